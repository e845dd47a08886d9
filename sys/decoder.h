/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_DECODER_H
#define EST_DECODER_H

#include <gst/gst.h>
#include <gst/video/video.h>

#include "encoder.h"

G_BEGIN_DECLS

/* The decode interface of the device layer: one session per stream.
 *
 *   est_decoder_new (config, &error)
 *   loop:
 *     est_decoder_decode (dec, packet, id, &error)
 *     while (est_decoder_receive (dec, &frame)) ... push frame ...
 *   est_decoder_flush (dec)           seek: drop everything, wait for a key frame
 *   est_decoder_drain (dec, &error)   end of stream: every frame out
 *   est_decoder_free (dec)
 *
 * Frames come out in presentation order with the id of the packet that
 * started them. A packet the library cannot decode is an error for that
 * packet only: the session goes on with the next one (the caller counts
 * consecutive errors). Not thread-safe: one thread drives a session. */

#define EST_DECODER_ERROR (est_decoder_error_quark ())
GQuark est_decoder_error_quark (void);

typedef enum
{
  EST_DECODER_ERROR_UNSUPPORTED,        /* codec, profile or format not available */
  EST_DECODER_ERROR_DECODE,     /* a packet could not be decoded */
  EST_DECODER_ERROR_FAILED,     /* the library failed */
} EstDecoderError;

typedef struct EstDecoderConfig
{
  EstCodec codec;
  /* avcC / hvcC / av1C record for length-prefixed input, or NULL for Annex
   * B and OBU streams. Not owned; copied by est_decoder_new. */
  GstBuffer *codec_data;
  guint threads;                /* 0 = one per core */
  gboolean low_latency;         /* no frame threading: each picture out when decoded */
} EstDecoderConfig;

/* One decoded picture. */
typedef struct EstDecodedFrame
{
  GstBuffer *buffer;            /* owned by the receiver; carries a GstVideoMeta */
  GstVideoInfo info;            /* format (I420, I420_10LE, Y42B, ...), size, colorimetry */
  guint64 id;                   /* the id of the packet that started it */
  gboolean keyframe;
  gboolean corrupt;             /* decoded with errors (concealed) */
  gboolean have_mastering_display;
  GstVideoMasteringDisplayInfo mastering_display;
  gboolean have_content_light_level;
  GstVideoContentLightLevel content_light_level;
} EstDecodedFrame;

typedef struct EstDecoder EstDecoder;

/* Whether a backend for this codec was built. */
gboolean est_decoder_codec_available (EstCodec codec);

/* Opens a CPU decoder. NULL with error set when no backend was built or
 * the library refuses the configuration (e.g. a broken codec_data). */
EstDecoder *est_decoder_new (const EstDecoderConfig * config,
    GError ** error);

/* Feeds one packet (a whole access unit / temporal unit). FALSE with
 * EST_DECODER_ERROR_DECODE when the library rejected it; the session
 * stays usable. */
gboolean est_decoder_decode (EstDecoder * dec, GstBuffer * packet,
    guint64 id, GError ** error);

/* Takes the next decoded picture. FALSE when none is ready. */
gboolean est_decoder_receive (EstDecoder * dec, EstDecodedFrame * frame);

/* Drops every queued packet and picture (seek, flush). Decoding restarts
 * at the next key frame. */
void est_decoder_flush (EstDecoder * dec);

/* Outputs every picture still held (end of stream); receive until FALSE.
 * The session can decode again afterwards. */
gboolean est_decoder_drain (EstDecoder * dec, GError ** error);

const gchar *est_decoder_get_name (EstDecoder * dec);

void est_decoder_free (EstDecoder * dec);

G_END_DECLS

#endif
