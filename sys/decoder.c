/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "decoderbackend.h"

GQuark
est_decoder_error_quark (void)
{
  return g_quark_from_static_string ("est-decoder-error-quark");
}

static const EstDecoderBackend *
find_backend (EstCodec codec)
{
  switch (codec) {
    case EST_CODEC_H264:
    case EST_CODEC_H265:
#if defined(EST_HAVE_LIBAV)
      return &est_av_decoder_backend;
#endif
      break;
    case EST_CODEC_AV1:
#if defined(EST_HAVE_DAV1D)
      return &est_dav1d_decoder_backend;
#endif
      break;
  }
  return NULL;
}

gboolean
est_decoder_codec_available (EstCodec codec)
{
  return find_backend (codec) != NULL;
}

EstDecoder *
est_decoder_new (const EstDecoderConfig * config, GError ** error)
{
  const EstDecoderBackend *backend = find_backend (config->codec);
  EstDecoder *dec;

  if (!backend) {
    g_set_error (error, EST_DECODER_ERROR, EST_DECODER_ERROR_UNSUPPORTED,
        "No CPU decoder for %s: Estuary was built without %s (meson "
        "option %s)", est_codec_name (config->codec),
        config->codec == EST_CODEC_AV1 ? "dav1d" : "libavcodec",
        config->codec == EST_CODEC_AV1 ? "dav1d" : "libav");
    return NULL;
  }
  dec = g_new0 (EstDecoder, 1);
  dec->backend = backend;
  dec->config = *config;
  if (config->codec_data)
    gst_buffer_ref (config->codec_data);
  dec->unsupported_format = -1;
  g_queue_init (&dec->frames);
  if (!backend->open (dec, error)) {
    est_decoder_free (dec);
    return NULL;
  }
  return dec;
}

gboolean
est_decoder_decode (EstDecoder * dec, GstBuffer * packet, guint64 id,
    GError ** error)
{
  return dec->backend->decode (dec, packet, id, error);
}

gboolean
est_decoder_receive (EstDecoder * dec, EstDecodedFrame * frame)
{
  EstDecodedFrame *f = g_queue_pop_head (&dec->frames);

  if (!f)
    return FALSE;
  *frame = *f;
  g_free (f);
  return TRUE;
}

static void
free_frame (gpointer data)
{
  EstDecodedFrame *f = data;
  gst_buffer_unref (f->buffer);
  g_free (f);
}

void
est_decoder_flush (EstDecoder * dec)
{
  dec->backend->flush (dec);
  g_queue_clear_full (&dec->frames, free_frame);
}

gboolean
est_decoder_drain (EstDecoder * dec, GError ** error)
{
  return dec->backend->drain (dec, error);
}

const gchar *
est_decoder_get_name (EstDecoder * dec)
{
  return dec->backend->name;
}

void
est_decoder_free (EstDecoder * dec)
{
  if (!dec)
    return;
  dec->backend->close (dec);
  g_queue_clear_full (&dec->frames, free_frame);
  gst_clear_buffer (&dec->config.codec_data);
  g_free (dec);
}

void
est_decoder_push_frame (EstDecoder * dec, const EstDecodedFrame * frame)
{
  g_queue_push_tail (&dec->frames, g_memdup2 (frame, sizeof (*frame)));
}
