/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "encoderbackend.h"

#include <string.h>

GQuark
est_encoder_error_quark (void)
{
  return g_quark_from_static_string ("est-encoder-error-quark");
}

/* The CPU backends that were built, one per codec. */
static const EstEncoderBackend *const cpu_backends[] = {
#if defined(EST_HAVE_X264)
  &est_x264_encoder_backend,
#endif
#if defined(EST_HAVE_X265)
  &est_x265_encoder_backend,
#endif
#if defined(EST_HAVE_SVTAV1)
  &est_svtav1_encoder_backend,
#endif
  NULL
};

static const gchar *const codec_names[] = { "H.264", "H.265", "AV1" };
static const gchar *const codec_libraries[] = { "x264", "x265", "SVT-AV1" };

const gchar *
est_codec_name (EstCodec codec)
{
  return codec_names[codec];
}

static const EstEncoderBackend *
find_backend (EstCodec codec)
{
  for (guint i = 0; cpu_backends[i]; i++)
    if (cpu_backends[i]->codec == codec)
      return cpu_backends[i];
  return NULL;
}

gboolean
est_encoder_codec_available (EstCodec codec)
{
  return find_backend (codec) != NULL;
}

static gboolean
check_config (const EstEncoderConfig * c, GError ** error)
{
  const gint max_q = c->codec == EST_CODEC_AV1 ? 63 : 51;

  if (GST_VIDEO_INFO_WIDTH (&c->info) < 1 ||
      GST_VIDEO_INFO_HEIGHT (&c->info) < 1) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
        "Invalid picture size %dx%d", GST_VIDEO_INFO_WIDTH (&c->info),
        GST_VIDEO_INFO_HEIGHT (&c->info));
    return FALSE;
  }
  switch (c->rate_control) {
    case EST_RATE_CONTROL_CBR:
    case EST_RATE_CONTROL_VBR:
      if (c->bitrate == 0) {
        g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
            "Rate control cbr and vbr need a bitrate above 0 kbit/s");
        return FALSE;
      }
      break;
    case EST_RATE_CONTROL_CQP:
      if (c->qp < 0 || c->qp > max_q) {
        g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
            "qp %d is outside 0..%d for %s", c->qp, max_q,
            codec_names[c->codec]);
        return FALSE;
      }
      break;
    case EST_RATE_CONTROL_CRF:
    case EST_RATE_CONTROL_CAPPED_CRF:
      if (c->crf < 0 || c->crf > max_q) {
        g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
            "crf %g is outside 0..%d for %s", c->crf, max_q,
            codec_names[c->codec]);
        return FALSE;
      }
      if (c->rate_control == EST_RATE_CONTROL_CAPPED_CRF &&
          c->max_bitrate == 0 && c->bitrate == 0) {
        g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
            "Rate control capped-crf needs max-bitrate (or bitrate)");
        return FALSE;
      }
      break;
  }
  if (c->min_qp > max_q || c->max_qp > max_q ||
      (c->min_qp >= 0 && c->max_qp >= 0 && c->min_qp > c->max_qp)) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
        "min-qp %d and max-qp %d are not a range within 0..%d", c->min_qp,
        c->max_qp, max_q);
    return FALSE;
  }
  return TRUE;
}

EstEncoder *
est_encoder_new (const EstEncoderConfig * config, GError ** error)
{
  const EstEncoderBackend *backend = find_backend (config->codec);
  EstEncoder *enc;

  if (!backend) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
        "No CPU encoder for %s: Estuary was built without %s (meson "
        "option %s)", codec_names[config->codec],
        codec_libraries[config->codec],
        config->codec == EST_CODEC_AV1 ? "svtav1" :
        codec_libraries[config->codec]);
    return NULL;
  }
  if (!check_config (config, error))
    return NULL;

  enc = g_new0 (EstEncoder, 1);
  enc->backend = backend;
  enc->config = *config;
  enc->profile = g_strdup (config->profile);
  enc->option_string = g_strdup (config->option_string);
  enc->config.profile = enc->profile;
  enc->config.option_string = enc->option_string;
  g_queue_init (&enc->packets);

  if (!backend->open (enc, error)) {
    est_encoder_free (enc);
    return NULL;
  }
  return enc;
}

gboolean
est_encoder_encode (EstEncoder * enc, const GstVideoFrame * frame,
    guint64 frame_id, GstClockTime pts, const EstEncodeParams * params,
    GError ** error)
{
  static const EstEncodeParams none = { 0 };

  g_return_val_if_fail (GST_VIDEO_FRAME_FORMAT (frame) ==
      GST_VIDEO_INFO_FORMAT (&enc->config.info), FALSE);
  return enc->backend->encode (enc, frame, frame_id, pts,
      params ? params : &none, error);
}

gboolean
est_encoder_receive (EstEncoder * enc, EstPacket * packet)
{
  EstPacket *p = g_queue_pop_head (&enc->packets);

  if (!p)
    return FALSE;
  *packet = *p;
  g_free (p);
  return TRUE;
}

gboolean
est_encoder_drain (EstEncoder * enc, GError ** error)
{
  return enc->backend->drain (enc, error);
}

gboolean
est_encoder_reconfigure (EstEncoder * enc, const EstEncoderConfig * config,
    GError ** error)
{
  const EstEncoderConfig *c = &enc->config;

  /* Nothing to change is not a change a backend can refuse. */
  if (config->rate_control == c->rate_control &&
      config->bitrate == c->bitrate && config->max_bitrate == c->max_bitrate
      && config->qp == c->qp && config->crf == c->crf)
    return TRUE;
  if (!enc->backend->reconfigure) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
        "%s cannot change its rate control while running", enc->backend->name);
    return FALSE;
  }
  if (!check_config (config, error))
    return FALSE;
  if (!enc->backend->reconfigure (enc, config, error))
    return FALSE;
  enc->config.rate_control = config->rate_control;
  enc->config.bitrate = config->bitrate;
  enc->config.max_bitrate = config->max_bitrate;
  enc->config.qp = config->qp;
  enc->config.crf = config->crf;
  return TRUE;
}

GstBuffer *
est_encoder_get_codec_data (EstEncoder * enc)
{
  return enc->backend->get_codec_data ? enc->backend->get_codec_data (enc) :
      NULL;
}

guint
est_encoder_get_delay (EstEncoder * enc)
{
  return enc->backend->get_delay ? enc->backend->get_delay (enc) : 0;
}

const gchar *
est_encoder_get_name (EstEncoder * enc)
{
  return enc->backend->name;
}

static void
free_packet (gpointer data)
{
  EstPacket *p = data;
  gst_buffer_unref (p->buffer);
  g_free (p);
}

void
est_encoder_free (EstEncoder * enc)
{
  if (!enc)
    return;
  enc->backend->close (enc);
  g_queue_clear_full (&enc->packets, free_packet);
  g_free (enc->profile);
  g_free (enc->option_string);
  g_free (enc);
}

void
est_encoder_push_packet (EstEncoder * enc, GstBuffer * buffer,
    guint64 frame_id, GstClockTime pts, GstClockTime dts, gboolean keyframe)
{
  EstPacket *p = g_new (EstPacket, 1);

  p->buffer = buffer;
  p->frame_id = frame_id;
  p->pts = pts;
  p->dts = dts;
  p->keyframe = keyframe;
  g_queue_push_tail (&enc->packets, p);
}

gchar **
est_encoder_parse_options (const gchar * options, GError ** error)
{
  GPtrArray *out = g_ptr_array_new ();
  gchar **items = g_strsplit (options ? options : "", ":", -1);

  for (gchar ** item = items; *item; item++) {
    gchar *eq;

    if (!**item)
      continue;
    eq = strchr (*item, '=');
    if (!eq || eq == *item) {
      g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
          "option-string item \"%s\" is not key=value", *item);
      g_strfreev (items);
      g_ptr_array_set_free_func (out, g_free);
      g_ptr_array_free (out, TRUE);
      return NULL;
    }
    g_ptr_array_add (out, g_strndup (*item, eq - *item));
    g_ptr_array_add (out, g_strdup (eq + 1));
  }
  g_strfreev (items);
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);
}

gboolean
est_encoder_block_offsets (const EstEncodeParams * params, gint block,
    gint bw, gint bh, gfloat * out)
{
  if (!params->qp_map && params->n_rois == 0 && params->qp_offset == 0.0f)
    return FALSE;

  for (gint by = 0; by < bh; by++) {
    for (gint bx = 0; bx < bw; bx++) {
      gint cx = bx * block + block / 2, cy = by * block + block / 2;
      gfloat v = params->qp_offset;

      if (params->qp_map && params->map_block > 0) {
        guint mx = MIN ((guint) cx / params->map_block,
            params->map_width - 1);
        guint my = MIN ((guint) cy / params->map_block,
            params->map_height - 1);
        v += params->qp_map[my * params->map_width + mx];
      }
      gint roi_delta = 0;
      for (guint i = 0; i < params->n_rois; i++) {
        const EstRoi *r = &params->rois[i];
        if (cx >= r->x && cx < r->x + r->width && cy >= r->y &&
            cy < r->y + r->height)
          roi_delta = r->delta_qp;
      }
      out[by * bw + bx] = v + roi_delta;
    }
  }
  return TRUE;
}
