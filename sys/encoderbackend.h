/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_ENCODER_BACKEND_H
#define EST_ENCODER_BACKEND_H

#include "encoder.h"

G_BEGIN_DECLS

/* What a backend implements; encoder.c does the rest (argument checks, the
 * packet queue, the configuration copy). Backends live in sys/cpu/ (and
 * later sys/va/) and are listed in encoder.c. */
typedef struct EstEncoderBackend
{
  const gchar *name;
  EstCodec codec;

  /* Opens the library for enc->config; stores its state in enc->priv. */
  gboolean (*open) (EstEncoder * enc, GError ** error);
  /* Encodes one picture, pushing any finished packets with
   * est_encoder_push_packet (). */
  gboolean (*encode) (EstEncoder * enc, const GstVideoFrame * frame,
      guint64 frame_id, GstClockTime pts, const EstEncodeParams * params,
      GError ** error);
  /* Flushes all pictures into packets. */
  gboolean (*drain) (EstEncoder * enc, GError ** error);
  /* NULL when the library cannot change rate control while running. */
  gboolean (*reconfigure) (EstEncoder * enc, const EstEncoderConfig * config,
      GError ** error);
  GstBuffer *(*get_codec_data) (EstEncoder * enc);
  guint (*get_delay) (EstEncoder * enc);
  /* Frees enc->priv and the library state; called once, also after a
   * failed open. */
  void (*close) (EstEncoder * enc);
} EstEncoderBackend;

struct EstEncoder
{
  const EstEncoderBackend *backend;
  EstEncoderConfig config;      /* profile and option_string point into copies */
  gchar *profile;
  gchar *option_string;
  GQueue packets;               /* EstPacket *, decode order */
  gpointer priv;                /* the backend's */
};

/* Called by backends: appends a packet (takes the buffer). */
void est_encoder_push_packet (EstEncoder * enc, GstBuffer * buffer,
    guint64 frame_id, GstClockTime pts, GstClockTime dts, gboolean keyframe);

/* Parses "key=value:key=value" (as x264's and x265's command lines) into a
 * NULL-terminated array of alternating keys and values. NULL input gives
 * an empty array; a malformed item sets error. Free with g_strfreev (). */
gchar **est_encoder_parse_options (const gchar * options, GError ** error);

/* Fills out[bw * bh] with the QP offset of each block of `block` x `block`
 * luma samples: the frame offset, plus the QP map value at the block's
 * centre, plus the delta of the last ROI covering the centre. Returns FALSE
 * (and leaves out untouched) when params carry no offsets at all. */
gboolean est_encoder_block_offsets (const EstEncodeParams * params,
    gint block, gint bw, gint bh, gfloat * out);

#if defined(EST_HAVE_X264)
extern const EstEncoderBackend est_x264_encoder_backend;
#endif
#if defined(EST_HAVE_X265)
extern const EstEncoderBackend est_x265_encoder_backend;
#endif
#if defined(EST_HAVE_SVTAV1)
extern const EstEncoderBackend est_svtav1_encoder_backend;
#endif

G_END_DECLS

#endif
