/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef GST_EST_ENC_H
#define GST_EST_ENC_H

#include <gst/video/video.h>

#include "encoder.h"

G_BEGIN_DECLS

#define GST_TYPE_EST_ENC (gst_est_enc_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstEstEnc, gst_est_enc, GST, EST_ENC,
    GstVideoEncoder);

/* An output stream format a codec element offers, in order of preference
 * when downstream accepts several. */
typedef struct
{
  const gchar *name;            /* caps "stream-format" */
  gboolean annexb;              /* start codes instead of length prefixes */
  gboolean repeat_headers;      /* parameter sets in-band at key frames */
} GstEstEncStreamFormat;

/* The shared base of esth264enc, esth265enc and estav1enc: properties,
 * device choice, frame bookkeeping, timestamps, latency, drain,
 * renegotiation, HDR metadata and per-frame parameters. A codec element
 * sets the class fields below and its pad templates in class_init. */
struct _GstEstEncClass
{
  GstVideoEncoderClass parent_class;

  EstCodec codec;
  const gchar *media_type;      /* "video/x-h264" */
  const gchar *alignment;       /* "au", or "tu" for AV1 */
  const GstEstEncStreamFormat *stream_formats;  /* NULL-name terminated */
  gint default_qp;              /* qp=-1 means this */
  gdouble default_crf;          /* crf=-1 means this */
};

G_END_DECLS

#endif
