/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The H.264 CPU backend on libx264 (8 and 10 bit from one library).
 *
 * Mapping of the configuration:
 * - speed presets are x264's own; psy-tune and the tune flags become
 *   x264's tune string ("film,zerolatency"). x264 counts stillimage among
 *   its psychovisual tunings, so tune=stillimage excludes a psy-tune.
 * - cbr is ABR with a VBV whose maximum rate is the bitrate (as x264enc's
 *   pass=cbr); vbr is ABR with a VBV at max-bitrate; capped-crf is CRF
 *   with a VBV. x264 changes bitrate and VBV while running only when opened
 *   with a VBV (cbr, vbr, capped-crf). Strict HRD signalling with filler
 *   data ("nal-hrd=cbr:filler=1" in option-string) pins the bitrate: x264
 *   keeps padding to the rate it opened with, so changes do not follow.
 *   CRF values change in any CRF mode. In cqp mode a new qp is applied as a
 *   per-frame QP.
 * - Per-block QP offsets (QP map, ROI, frame offset) go into
 *   quant_offsets, one per 16x16 macroblock. x264 reads them only with
 *   adaptive quantisation on and never in cqp mode. Presets that turn AQ
 *   off (ultrafast, psy-tune=psnr) get AQ at strength 0.001, which applies
 *   the offsets and nothing else measurable; in cqp mode offsets are
 *   refused.
 * - Input: I420, NV12 and Y444 as they are; 10-bit formats as 16-bit
 *   samples. P010 is MSB-aligned and x264 wants the values themselves, so
 *   it is shifted into a buffer kept for the session.
 * - Timestamps go through x264 in nanoseconds; x264 derives DTS from them
 *   (the PTS of an earlier frame, or the PTS minus the B-frame delay at the
 *   start), so DTS <= PTS and increasing. */

#include "encoderbackend.h"

#include <stdint.h>
#include <string.h>
#include <x264.h>

#include "pixfmt.h"

typedef struct
{
  x264_t *x264;
  x264_param_t param;
  gint bit_depth;
  gint csp;
  gboolean p010;
  guint16 *shifted;             /* P010 shifted to LSB: luma then chroma */
  gint mb_width, mb_height;
  gfloat *offsets;              /* mb_width * mb_height */
} X264;

static gboolean
set_format (EstEncoder * enc, X264 * x, GError ** error)
{
  const GstVideoInfo *info = &enc->config.info;

  switch (GST_VIDEO_INFO_FORMAT (info)) {
    case GST_VIDEO_FORMAT_I420:
      x->csp = X264_CSP_I420;
      x->bit_depth = 8;
      break;
    case GST_VIDEO_FORMAT_NV12:
      x->csp = X264_CSP_NV12;
      x->bit_depth = 8;
      break;
    case GST_VIDEO_FORMAT_Y444:
      x->csp = X264_CSP_I444;
      x->bit_depth = 8;
      break;
    case GST_VIDEO_FORMAT_I420_10LE:
      x->csp = X264_CSP_I420 | X264_CSP_HIGH_DEPTH;
      x->bit_depth = 10;
      break;
    case GST_VIDEO_FORMAT_P010_10LE:
      x->csp = X264_CSP_NV12 | X264_CSP_HIGH_DEPTH;
      x->bit_depth = 10;
      x->p010 = TRUE;
      break;
    case GST_VIDEO_FORMAT_Y444_10LE:
      x->csp = X264_CSP_I444 | X264_CSP_HIGH_DEPTH;
      x->bit_depth = 10;
      break;
    default:
      g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
          "x264 cannot encode %s", GST_VIDEO_INFO_NAME (info));
      return FALSE;
  }
  return TRUE;
}

static const gchar *const preset_names[] = {
  "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
  "slower", "veryslow"
};

static const gchar *const psy_names[] = {
  NULL, "film", "animation", "grain", "psnr", "ssim"
};

/* Sets *out to x264's tune string, NULL for none. */
static gboolean
tune_string (const EstEncoderConfig * c, gchar ** out, GError ** error)
{
  GPtrArray *t = g_ptr_array_new ();

  if ((c->tune & EST_TUNE_STILLIMAGE) && c->psy_tune != EST_PSY_TUNE_NONE) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
        "x264 counts tune=stillimage as a psychovisual tuning: it excludes "
        "psy-tune=%s", psy_names[c->psy_tune]);
    g_ptr_array_free (t, TRUE);
    return FALSE;
  }
  if (c->psy_tune != EST_PSY_TUNE_NONE)
    g_ptr_array_add (t, (gpointer) psy_names[c->psy_tune]);
  if (c->tune & EST_TUNE_STILLIMAGE)
    g_ptr_array_add (t, (gpointer) "stillimage");
  if (c->tune & EST_TUNE_FASTDECODE)
    g_ptr_array_add (t, (gpointer) "fastdecode");
  if (c->tune & EST_TUNE_ZEROLATENCY)
    g_ptr_array_add (t, (gpointer) "zerolatency");
  g_ptr_array_add (t, NULL);
  *out = t->len > 1 ? g_strjoinv (",", (gchar **) t->pdata) : NULL;
  g_ptr_array_free (t, TRUE);
  return TRUE;
}

/* Caps profile names to x264's; NULL picks from the input. */
static const gchar *
profile_name (const EstEncoderConfig * c, gint bit_depth)
{
  static const struct
  {
    const gchar *caps, *x264;
  } map[] = {
    {"constrained-baseline", "baseline"}, {"baseline", "baseline"},
    {"main", "main"}, {"high", "high"}, {"high-10", "high10"},
    {"high-4:2:2", "high422"}, {"high-4:4:4", "high444"},
  };

  if (c->profile) {
    for (guint i = 0; i < G_N_ELEMENTS (map); i++)
      if (g_str_equal (c->profile, map[i].caps))
        return map[i].x264;
    return c->profile;
  }
  if (GST_VIDEO_INFO_FORMAT (&c->info) == GST_VIDEO_FORMAT_Y444 ||
      GST_VIDEO_INFO_FORMAT (&c->info) == GST_VIDEO_FORMAT_Y444_10LE)
    return "high444";
  return bit_depth > 8 ? "high10" : "high";
}

/* Rate-control fields shared by open and reconfigure. */
static void
set_rate_control (x264_param_t * p, const EstEncoderConfig * c)
{
  guint max = c->max_bitrate ? c->max_bitrate : c->bitrate;
  guint ms = c->vbv_buf_capacity ? c->vbv_buf_capacity : 1000;

  switch (c->rate_control) {
    case EST_RATE_CONTROL_CQP:
      p->rc.i_rc_method = X264_RC_CQP;
      p->rc.i_qp_constant = c->qp;
      break;
    case EST_RATE_CONTROL_CRF:
      p->rc.i_rc_method = X264_RC_CRF;
      p->rc.f_rf_constant = (float) c->crf;
      break;
    case EST_RATE_CONTROL_CAPPED_CRF:
      p->rc.i_rc_method = X264_RC_CRF;
      p->rc.f_rf_constant = (float) c->crf;
      p->rc.i_vbv_max_bitrate = max;
      p->rc.i_vbv_buffer_size = (gint) ((guint64) max * ms / 1000);
      break;
    case EST_RATE_CONTROL_CBR:
      p->rc.i_rc_method = X264_RC_ABR;
      p->rc.i_bitrate = c->bitrate;
      p->rc.i_vbv_max_bitrate = c->bitrate;
      p->rc.i_vbv_buffer_size = (gint) ((guint64) c->bitrate * ms / 1000);
      break;
    case EST_RATE_CONTROL_VBR:
      p->rc.i_rc_method = X264_RC_ABR;
      p->rc.i_bitrate = c->bitrate;
      p->rc.i_vbv_max_bitrate = max;
      p->rc.i_vbv_buffer_size = (gint) ((guint64) max * ms / 1000);
      break;
  }
}

static void
set_colour (x264_param_t * p, const EstEncoderConfig * c)
{
  const GstVideoColorimetry *cm = &c->info.colorimetry;

  if (cm->primaries != GST_VIDEO_COLOR_PRIMARIES_UNKNOWN)
    p->vui.i_colorprim = gst_video_color_primaries_to_iso (cm->primaries);
  if (cm->transfer != GST_VIDEO_TRANSFER_UNKNOWN)
    p->vui.i_transfer = gst_video_transfer_function_to_iso (cm->transfer);
  if (cm->matrix != GST_VIDEO_COLOR_MATRIX_UNKNOWN)
    p->vui.i_colmatrix = gst_video_color_matrix_to_iso (cm->matrix);
  p->vui.b_fullrange = cm->range == GST_VIDEO_COLOR_RANGE_0_255;
  if (GST_VIDEO_INFO_PAR_N (&c->info) > 0 &&
      GST_VIDEO_INFO_PAR_D (&c->info) > 0) {
    p->vui.i_sar_width = GST_VIDEO_INFO_PAR_N (&c->info);
    p->vui.i_sar_height = GST_VIDEO_INFO_PAR_D (&c->info);
  }

  /* GStreamer lists the primaries red, green, blue; both use the SEI's
   * units (0.00002 for chromaticity, 0.0001 cd/m2 for luminance). */
  if (c->have_mastering_display) {
    const GstVideoMasteringDisplayInfo *m = &c->mastering_display;
    p->mastering_display.b_mastering_display = 1;
    p->mastering_display.i_red_x = m->display_primaries[0].x;
    p->mastering_display.i_red_y = m->display_primaries[0].y;
    p->mastering_display.i_green_x = m->display_primaries[1].x;
    p->mastering_display.i_green_y = m->display_primaries[1].y;
    p->mastering_display.i_blue_x = m->display_primaries[2].x;
    p->mastering_display.i_blue_y = m->display_primaries[2].y;
    p->mastering_display.i_white_x = m->white_point.x;
    p->mastering_display.i_white_y = m->white_point.y;
    p->mastering_display.i_display_max = m->max_display_mastering_luminance;
    p->mastering_display.i_display_min = m->min_display_mastering_luminance;
  }
  if (c->have_content_light_level) {
    p->content_light_level.b_cll = 1;
    p->content_light_level.i_max_cll =
        c->content_light_level.max_content_light_level;
    p->content_light_level.i_max_fall =
        c->content_light_level.max_frame_average_light_level;
  }
}

static gboolean
apply_options (x264_param_t * p, const gchar * options, GError ** error)
{
  gchar **kv = est_encoder_parse_options (options, error);

  if (!kv)
    return FALSE;
  for (guint i = 0; kv[i]; i += 2) {
    int r = x264_param_parse (p, kv[i], kv[i + 1]);
    if (r != 0) {
      g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
          "x264 rejects option-string item %s=%s: %s", kv[i], kv[i + 1],
          r == X264_PARAM_BAD_NAME ? "unknown option" : "bad value");
      g_strfreev (kv);
      return FALSE;
    }
  }
  g_strfreev (kv);
  return TRUE;
}

static gboolean
x264_open (EstEncoder * enc, GError ** error)
{
  const EstEncoderConfig *c = &enc->config;
  const GstVideoInfo *info = &c->info;
  X264 *x = g_new0 (X264, 1);
  x264_param_t *p = &x->param;
  gchar *tune = NULL;
  const gchar *profile;

  enc->priv = x;
  if (!set_format (enc, x, error))
    return FALSE;
  if (!tune_string (c, &tune, error))
    return FALSE;
  if (x264_param_default_preset (p, preset_names[c->speed_preset], tune) < 0) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
        "x264 rejects preset %s with tune %s",
        preset_names[c->speed_preset], tune ? tune : "none");
    g_free (tune);
    return FALSE;
  }
  g_free (tune);

  p->i_log_level = X264_LOG_ERROR;
  p->i_width = GST_VIDEO_INFO_WIDTH (info);
  p->i_height = GST_VIDEO_INFO_HEIGHT (info);
  p->i_csp = x->csp;
  p->i_bitdepth = x->bit_depth;
  if (GST_VIDEO_INFO_FPS_N (info) > 0 && GST_VIDEO_INFO_FPS_D (info) > 0) {
    p->i_fps_num = GST_VIDEO_INFO_FPS_N (info);
    p->i_fps_den = GST_VIDEO_INFO_FPS_D (info);
  }
  p->b_vfr_input = 0;
  p->i_timebase_num = 1;
  p->i_timebase_den = GST_SECOND;
  p->i_threads = c->threads;
  if (c->key_int_max)
    p->i_keyint_max = c->key_int_max;
  if (c->b_frames >= 0)
    p->i_bframe = c->b_frames;
  if (c->ref_frames >= 0)
    p->i_frame_reference = c->ref_frames;
  if (c->min_qp >= 0)
    p->rc.i_qp_min = c->min_qp;
  if (c->max_qp >= 0)
    p->rc.i_qp_max = c->max_qp;
  p->b_intra_refresh = c->intra_refresh;
  set_rate_control (p, c);
  /* x264 reads quant_offsets only with AQ on; the fastest presets turn it
   * off, and x264 turns it off again at strength 0. A strength of 0.001
   * moves no quantiser measurably and keeps ROI working. */
  if (p->rc.i_aq_mode == X264_AQ_NONE || p->rc.f_aq_strength <= 0.0f ||
      c->external_offsets) {
    p->rc.i_aq_mode = X264_AQ_VARIANCE;
    p->rc.f_aq_strength = 0.001f;
  }
  if (c->external_offsets)
    p->rc.b_mb_tree = 0;
  if (c->external_keyframes)
    p->i_scenecut_threshold = 0;
  set_colour (p, c);
  p->b_annexb = c->annexb;
  p->b_repeat_headers = c->annexb || c->repeat_headers;
  if (!apply_options (p, c->option_string, error))
    return FALSE;

  profile = profile_name (c, x->bit_depth);
  if (x264_param_apply_profile (p, profile) < 0) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
        "x264 cannot encode %s input in profile %s",
        GST_VIDEO_INFO_NAME (info), c->profile ? c->profile : profile);
    return FALSE;
  }

  x->x264 = x264_encoder_open (p);
  if (!x->x264) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "x264 failed to open a %dx%d %s encoder", p->i_width, p->i_height,
        GST_VIDEO_INFO_NAME (info));
    return FALSE;
  }
  /* x264 may adjust parameters when opening (profile, level). */
  x264_encoder_parameters (x->x264, p);

  x->mb_width = (p->i_width + 15) / 16;
  x->mb_height = (p->i_height + 15) / 16;
  x->offsets = g_new0 (gfloat, x->mb_width * x->mb_height);
  if (x->p010) {
    gsize luma = (gsize) p->i_width * p->i_height;
    x->shifted = g_new (guint16, luma + luma / 2 + p->i_width);
  }
  return TRUE;
}

static void
push_output (EstEncoder * enc, x264_nal_t * nals, int n_nals, int size,
    const x264_picture_t * out)
{
  GstBuffer *buf;
  GstClockTime dts;

  if (size <= 0 || n_nals <= 0)
    return;
  /* x264 lays the NAL units out back to back. */
  buf = gst_buffer_new_memdup (nals[0].p_payload, size);
  dts = out->i_dts < 0 ? 0 : (GstClockTime) out->i_dts;
  est_encoder_push_packet (enc, buf, GPOINTER_TO_SIZE (out->opaque),
      (GstClockTime) out->i_pts, dts, out->b_keyframe);
}

static gboolean
set_planes (X264 * x, x264_picture_t * pic, const GstVideoFrame * frame)
{
  const gint w = x->param.i_width, h = x->param.i_height;

  if (x->p010) {
    guint16 *luma = x->shifted, *chroma = x->shifted + (gsize) w * h;
    for (gint y = 0; y < h; y++)
      est_pixfmt_shift16 ((const guint16 *) ((const guint8 *)
              GST_VIDEO_FRAME_PLANE_DATA (frame, 0) +
              y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0)), luma + y * w, w, 6);
    for (gint y = 0; y < (h + 1) / 2; y++)
      est_pixfmt_shift16 ((const guint16 *) ((const guint8 *)
              GST_VIDEO_FRAME_PLANE_DATA (frame, 1) +
              y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 1)),
          chroma + y * ((w + 1) & ~1), (w + 1) & ~1, 6);
    pic->img.i_plane = 2;
    pic->img.plane[0] = (guint8 *) luma;
    pic->img.i_stride[0] = w * 2;
    pic->img.plane[1] = (guint8 *) chroma;
    pic->img.i_stride[1] = ((w + 1) & ~1) * 2;
    return TRUE;
  }

  pic->img.i_plane = GST_VIDEO_FRAME_N_PLANES (frame);
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES (frame); i++) {
    pic->img.plane[i] = GST_VIDEO_FRAME_PLANE_DATA (frame, i);
    pic->img.i_stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, i);
  }
  return TRUE;
}

static gboolean
x264_encode (EstEncoder * enc, const GstVideoFrame * frame, guint64 frame_id,
    GstClockTime pts, const EstEncodeParams * params, GError ** error)
{
  X264 *x = enc->priv;
  x264_picture_t pic, out;
  x264_nal_t *nals = NULL;
  int n_nals = 0, size;

  x264_picture_init (&pic);
  pic.img.i_csp = x->csp;
  set_planes (x, &pic, frame);
  pic.i_pts = (int64_t) pts;
  pic.opaque = GSIZE_TO_POINTER ((gsize) frame_id);
  pic.i_type = params->force_keyframe || params->keyframe_hint ?
      X264_TYPE_IDR : X264_TYPE_AUTO;
  if (params->qp > 0) {
    if (x->param.rc.i_rc_method == X264_RC_CQP) {
      g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
          "x264 ignores a frame QP in cqp mode: use crf, cbr or vbr");
      return FALSE;
    }
    pic.i_qpplus1 = params->qp + 1;
  }

  if (est_encoder_block_offsets (params, 16, x->mb_width, x->mb_height,
          x->offsets)) {
    if (x->param.rc.i_rc_method == X264_RC_CQP) {
      g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
          "x264 ignores per-block QP offsets (QP map, ROI) in cqp mode: use "
          "crf, cbr or vbr");
      return FALSE;
    }
    /* x264 reads the array during the call; frames are copied in. */
    pic.prop.quant_offsets = x->offsets;
  }

  size = x264_encoder_encode (x->x264, &nals, &n_nals, &pic, &out);
  if (size < 0) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "x264 failed to encode frame %" G_GUINT64_FORMAT, frame_id);
    return FALSE;
  }
  push_output (enc, nals, n_nals, size, &out);
  return TRUE;
}

static gboolean
x264_drain (EstEncoder * enc, GError ** error)
{
  X264 *x = enc->priv;

  while (x264_encoder_delayed_frames (x->x264) > 0) {
    x264_picture_t out;
    x264_nal_t *nals = NULL;
    int n_nals = 0;
    int size = x264_encoder_encode (x->x264, &nals, &n_nals, NULL, &out);
    if (size < 0) {
      g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
          "x264 failed while draining");
      return FALSE;
    }
    push_output (enc, nals, n_nals, size, &out);
  }
  return TRUE;
}

static gboolean
x264_reconfigure (EstEncoder * enc, const EstEncoderConfig * c, GError ** error)
{
  X264 *x = enc->priv;
  x264_param_t p = x->param;
  gboolean had_vbv = x->param.rc.i_vbv_max_bitrate > 0;

  if (c->rate_control != enc->config.rate_control) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
        "x264 cannot switch rate-control mode while running");
    return FALSE;
  }
  if (c->rate_control == EST_RATE_CONTROL_CQP) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
        "x264 keeps the qp it opened with in cqp mode (it ignores frame "
        "QPs there too)");
    return FALSE;
  }
  if (!had_vbv && (c->bitrate != enc->config.bitrate ||
          c->max_bitrate != enc->config.max_bitrate)) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
        "x264 changes the bitrate while running only with a VBV: use "
        "rate-control cbr, vbr or capped-crf");
    return FALSE;
  }
  set_rate_control (&p, c);
  if (x264_encoder_reconfig (x->x264, &p) < 0) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "x264 refused the new rate control (bitrate %u, max %u kbit/s)",
        c->bitrate, c->max_bitrate);
    return FALSE;
  }
  x264_encoder_parameters (x->x264, &x->param);
  return TRUE;
}

/* avcC (ISO/IEC 14496-15) from the SPS and PPS. */
static GstBuffer *
x264_get_codec_data (EstEncoder * enc)
{
  X264 *x = enc->priv;
  x264_nal_t *nals;
  int n_nals;
  const guint8 *sps = NULL, *pps = NULL;
  gsize sps_len = 0, pps_len = 0;
  GByteArray *a;

  if (enc->config.annexb || x264_encoder_headers (x->x264, &nals, &n_nals) < 0)
    return NULL;
  for (int i = 0; i < n_nals; i++) {
    /* Length-prefixed: 4 bytes of size, then the NAL unit. */
    const guint8 *nal = nals[i].p_payload + 4;
    gsize len = nals[i].i_payload - 4;
    if (nals[i].i_type == NAL_SPS) {
      sps = nal;
      sps_len = len;
    } else if (nals[i].i_type == NAL_PPS) {
      pps = nal;
      pps_len = len;
    }
  }
  if (!sps || !pps || sps_len < 4)
    return NULL;

  a = g_byte_array_new ();
  guint8 head[] = { 1, sps[1], sps[2], sps[3], 0xff, 0xe1,
    (guint8) (sps_len >> 8), (guint8) sps_len
  };
  g_byte_array_append (a, head, sizeof (head));
  g_byte_array_append (a, sps, sps_len);
  guint8 mid[] = { 1, (guint8) (pps_len >> 8), (guint8) pps_len };
  g_byte_array_append (a, mid, sizeof (mid));
  g_byte_array_append (a, pps, pps_len);
  /* High profiles carry chroma format and bit depths. */
  if (sps[1] == 100 || sps[1] == 110 || sps[1] == 122 || sps[1] == 244) {
    gint chroma = (x->csp & X264_CSP_MASK) == X264_CSP_I444 ? 3 : 1;
    guint8 ext[] = { 0xfc | chroma, 0xf8 | (x->bit_depth - 8),
      0xf8 | (x->bit_depth - 8), 0
    };
    g_byte_array_append (a, ext, sizeof (ext));
  }
  gsize len = a->len;
  return gst_buffer_new_wrapped (g_byte_array_free (a, FALSE), len);
}

static guint
x264_get_delay (EstEncoder * enc)
{
  X264 *x = enc->priv;
  return (guint) x264_encoder_maximum_delayed_frames (x->x264);
}

static void
x264_close (EstEncoder * enc)
{
  X264 *x = enc->priv;

  if (!x)
    return;
  if (x->x264)
    x264_encoder_close (x->x264);
  g_free (x->offsets);
  g_free (x->shifted);
  g_free (x);
  enc->priv = NULL;
}

const EstEncoderBackend est_x264_encoder_backend = {
  .name = "x264",
  .codec = EST_CODEC_H264,
  .open = x264_open,
  .encode = x264_encode,
  .drain = x264_drain,
  .reconfigure = x264_reconfigure,
  .get_codec_data = x264_get_codec_data,
  .get_delay = x264_get_delay,
  .close = x264_close,
};
