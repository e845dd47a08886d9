/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_DECODER_BACKEND_H
#define EST_DECODER_BACKEND_H

#include "decoder.h"

G_BEGIN_DECLS

/* What a decode backend implements; decoder.c does the rest. */
typedef struct EstDecoderBackend
{
  const gchar *name;
  gboolean (*open) (EstDecoder * dec, GError ** error);
  /* Decodes one packet, pushing finished pictures with
   * est_decoder_push_frame (). */
  gboolean (*decode) (EstDecoder * dec, GstBuffer * packet, guint64 id,
      GError ** error);
  void (*flush) (EstDecoder * dec);
  gboolean (*drain) (EstDecoder * dec, GError ** error);
  /* Frees dec->priv; also after a failed open. */
  void (*close) (EstDecoder * dec);
} EstDecoderBackend;

struct EstDecoder
{
  const EstDecoderBackend *backend;
  EstDecoderConfig config;      /* codec_data holds a ref */
  GQueue frames;                /* EstDecodedFrame *, presentation order */
  gint unsupported_format;      /* last library format with no GStreamer name */
  gpointer priv;
};

/* Called by backends: appends a copy of *frame (takes its buffer). */
void est_decoder_push_frame (EstDecoder * dec, const EstDecodedFrame * frame);

#if defined(EST_HAVE_LIBAV)
extern const EstDecoderBackend est_av_decoder_backend;
#endif
#if defined(EST_HAVE_DAV1D)
extern const EstDecoderBackend est_dav1d_decoder_backend;
#endif

G_END_DECLS

#endif
