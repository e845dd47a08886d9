/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* GstEstEnc: the base of Estuary's encoders. It owns what every codec
 * shares and drives one sys/ encoder session (est_encoder_*):
 *
 *   set_format:   downstream caps -> stream format and profile; input caps
 *                 -> size, colorimetry, HDR metadata; properties -> the
 *                 rest; open the session, set output caps and latency
 *   handle_frame: per-frame parameters (forced key unit, ROI metas) ->
 *                 encode -> finish every packet that is ready, with its DTS
 *   finish:       drain the session (frames out = frames in)
 *   flush:        drop the session; the next frame opens a new one
 *
 * Rate-control properties changed in PLAYING are applied before the next
 * frame; what the library refuses is reported as a warning and the old
 * value stays. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "estenc.h"

#include <math.h>
#include <string.h>

#include "device.h"
#include "estlookahead.h"
#include "estrcmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_est_enc_debug);
#define GST_CAT_DEFAULT gst_est_enc_debug

/* Room for the DTS of reordered frames: DTS may precede the first PTS by
 * the B-frame delay, and GstClockTime cannot be negative. */
#define MIN_PTS (GST_SECOND * 60 * 60 * 1000)
#define MAX_ROIS 32

typedef struct
{
  /* Properties, guarded by the object lock. */
  struct
  {
    gchar *device;
    EstRateControl rate_control;
    guint bitrate, max_bitrate, vbv_buf_capacity;
    gint qp;
    gdouble crf;
    gint min_qp, max_qp;
    guint key_int_max;
    gint b_frames, ref_frames;
    EstSpeedPreset speed_preset;
    guint tune;
    EstPsyTune psy_tune;
    gboolean intra_refresh;
    guint threads;
    gchar *option_string;
  } prop;
  gboolean rc_changed;          /* a rate-control property changed */

  /* Streaming state, under the stream lock. */
  GstVideoCodecState *input_state;
  EstEncoderConfig config;      /* of the open session */
  gchar *profile;               /* config.profile points here */
  gchar *option_string;         /* config.option_string points here */
  EstEncoder *encoder;
  /* The library refused the CRF of a GstEstRcMeta: warned once. */
  gboolean quality_refused;
} GstEstEncPrivate;

G_DEFINE_TYPE_WITH_CODE (GstEstEnc, gst_est_enc, GST_TYPE_VIDEO_ENCODER,
    G_ADD_PRIVATE (GstEstEnc)
    GST_DEBUG_CATEGORY_INIT (gst_est_enc_debug, "estenc", 0,
        "Estuary encoder base"));

enum
{
  PROP_0,
  PROP_DEVICE,
  PROP_RATE_CONTROL,
  PROP_BITRATE,
  PROP_MAX_BITRATE,
  PROP_VBV_BUF_CAPACITY,
  PROP_QP,
  PROP_CRF,
  PROP_MIN_QP,
  PROP_MAX_QP,
  PROP_KEY_INT_MAX,
  PROP_B_FRAMES,
  PROP_REF_FRAMES,
  PROP_SPEED_PRESET,
  PROP_TUNE,
  PROP_PSY_TUNE,
  PROP_INTRA_REFRESH,
  PROP_THREADS,
  PROP_OPTION_STRING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define DEFAULT_DEVICE "auto"
#define DEFAULT_RATE_CONTROL EST_RATE_CONTROL_CRF
#define DEFAULT_BITRATE 2048
#define DEFAULT_VBV_BUF_CAPACITY 0
#define DEFAULT_SPEED_PRESET EST_SPEED_MEDIUM

#define GST_TYPE_EST_ENC_RATE_CONTROL (gst_est_enc_rate_control_get_type ())
static GType
gst_est_enc_rate_control_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {EST_RATE_CONTROL_CQP, "Constant QP (qp)", "cqp"},
    {EST_RATE_CONTROL_CBR, "Constant bitrate (bitrate)", "cbr"},
    {EST_RATE_CONTROL_VBR, "Variable bitrate (bitrate, max-bitrate)", "vbr"},
    {EST_RATE_CONTROL_CRF, "Constant quality (crf)", "crf"},
    {EST_RATE_CONTROL_CAPPED_CRF, "Constant quality capped at max-bitrate",
        "capped-crf"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstEstEncRateControl", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_EST_ENC_SPEED_PRESET (gst_est_enc_speed_preset_get_type ())
static GType
gst_est_enc_speed_preset_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {EST_SPEED_ULTRAFAST, "ultrafast", "ultrafast"},
    {EST_SPEED_SUPERFAST, "superfast", "superfast"},
    {EST_SPEED_VERYFAST, "veryfast", "veryfast"},
    {EST_SPEED_FASTER, "faster", "faster"},
    {EST_SPEED_FAST, "fast", "fast"},
    {EST_SPEED_MEDIUM, "medium", "medium"},
    {EST_SPEED_SLOW, "slow", "slow"},
    {EST_SPEED_SLOWER, "slower", "slower"},
    {EST_SPEED_VERYSLOW, "veryslow", "veryslow"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstEstEncSpeedPreset", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_EST_ENC_TUNE (gst_est_enc_tune_get_type ())
static GType
gst_est_enc_tune_get_type (void)
{
  static GType type = 0;
  static const GFlagsValue values[] = {
    {EST_TUNE_ZEROLATENCY, "One frame in, one frame out", "zerolatency"},
    {EST_TUNE_FASTDECODE, "Cheaper to decode", "fastdecode"},
    {EST_TUNE_STILLIMAGE, "Still images", "stillimage"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_flags_register_static ("GstEstEncTune", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_EST_ENC_PSY_TUNE (gst_est_enc_psy_tune_get_type ())
static GType
gst_est_enc_psy_tune_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {EST_PSY_TUNE_NONE, "No psychovisual tuning", "none"},
    {EST_PSY_TUNE_FILM, "Film", "film"},
    {EST_PSY_TUNE_ANIMATION, "Animation", "animation"},
    {EST_PSY_TUNE_GRAIN, "Keep film grain", "grain"},
    {EST_PSY_TUNE_PSNR, "Optimise for PSNR", "psnr"},
    {EST_PSY_TUNE_SSIM, "Optimise for SSIM", "ssim"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstEstEncPsyTune", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static GstEstEncPrivate *
get_priv (GstEstEnc * self)
{
  return gst_est_enc_get_instance_private (self);
}

/* Copies the properties into a configuration. Object lock held. */
static void
config_from_props (GstEstEnc * self, EstEncoderConfig * c)
{
  GstEstEncPrivate *priv = get_priv (self);
  GstEstEncClass *klass = GST_EST_ENC_GET_CLASS (self);

  c->codec = klass->codec;
  c->rate_control = priv->prop.rate_control;
  c->bitrate = priv->prop.bitrate;
  c->max_bitrate = priv->prop.max_bitrate;
  c->vbv_buf_capacity = priv->prop.vbv_buf_capacity;
  c->qp = priv->prop.qp >= 0 ? priv->prop.qp : klass->default_qp;
  c->crf = priv->prop.crf >= 0 ? priv->prop.crf : klass->default_crf;
  c->min_qp = priv->prop.min_qp;
  c->max_qp = priv->prop.max_qp;
  c->key_int_max = priv->prop.key_int_max;
  c->b_frames = priv->prop.b_frames;
  c->ref_frames = priv->prop.ref_frames;
  c->speed_preset = priv->prop.speed_preset;
  c->tune = priv->prop.tune;
  c->psy_tune = priv->prop.psy_tune;
  c->intra_refresh = priv->prop.intra_refresh;
  c->threads = priv->prop.threads;
}

/* Resolves the device property. Until the VA backend lands, every
 * accepted choice is the CPU. */
static gboolean
check_device (GstEstEnc * self)
{
  GstEstEncPrivate *priv = get_priv (self);
  EstDeviceKind kind;
  GError *err = NULL;
  gchar *spec;
  gboolean ok = TRUE;

  GST_OBJECT_LOCK (self);
  spec = g_strdup (priv->prop.device);
  GST_OBJECT_UNLOCK (self);

  if (!est_device_parse (spec, &kind, NULL, &err)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", err->message), (NULL));
    g_clear_error (&err);
    ok = FALSE;
  } else if (kind == EST_DEVICE_VIRTUAL || kind == EST_DEVICE_PATH) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("device=%s needs the VA-API encode backend, which this version of "
            "Estuary does not have yet: use device=cpu or auto", spec), (NULL));
    ok = FALSE;
  } else {
    GST_INFO_OBJECT (self, "device=%s: using the CPU (%s)", spec,
        kind == EST_DEVICE_AUTO ? "no VA encode backend yet" : "asked for");
  }
  g_free (spec);
  return ok;
}

static GstFlowReturn
push_ready (GstEstEnc * self)
{
  GstEstEncPrivate *priv = get_priv (self);
  GstVideoEncoder *venc = GST_VIDEO_ENCODER (self);
  GstFlowReturn ret = GST_FLOW_OK;
  EstPacket p;

  while (est_encoder_receive (priv->encoder, &p)) {
    GstVideoCodecFrame *frame = gst_video_encoder_get_frame (venc,
        (int) p.frame_id);

    if (!frame) {
      GST_WARNING_OBJECT (self, "packet for unknown frame %" G_GUINT64_FORMAT,
          p.frame_id);
      gst_buffer_unref (p.buffer);
      continue;
    }
    frame->output_buffer = p.buffer;
    frame->dts = p.dts;
    if (p.keyframe)
      GST_VIDEO_CODEC_FRAME_SET_SYNC_POINT (frame);
    else
      GST_VIDEO_CODEC_FRAME_UNSET_SYNC_POINT (frame);
    /* The extra ref from get_frame is dropped after finishing. */
    GstFlowReturn r = gst_video_encoder_finish_frame (venc,
        gst_video_codec_frame_ref (frame));
    gst_video_codec_frame_unref (frame);
    if (r != GST_FLOW_OK && ret == GST_FLOW_OK)
      ret = r;
  }
  return ret;
}

static GstFlowReturn
drain (GstEstEnc * self)
{
  GstEstEncPrivate *priv = get_priv (self);
  GError *err = NULL;

  if (!priv->encoder)
    return GST_FLOW_OK;
  if (!est_encoder_drain (priv->encoder, &err)) {
    GST_ELEMENT_ERROR (self, LIBRARY, ENCODE, ("%s", err->message), (NULL));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }
  GstFlowReturn ret = push_ready (self);
  g_clear_pointer (&priv->encoder, est_encoder_free);
  return ret;
}

static const GstEstEncStreamFormat *
pick_stream_format (GstEstEnc * self, GstCaps * allowed)
{
  GstEstEncClass *klass = GST_EST_ENC_GET_CLASS (self);
  const GstEstEncStreamFormat *f;

  for (f = klass->stream_formats; f->name; f++) {
    GstCaps *want = gst_caps_new_simple (klass->media_type, "stream-format",
        G_TYPE_STRING, f->name, NULL);
    gboolean ok = !allowed || gst_caps_can_intersect (want, allowed);
    gst_caps_unref (want);
    if (ok)
      return f;
  }
  return NULL;
}

/* A profile downstream insists on, or NULL. */
static gchar *
pick_profile (GstCaps * allowed)
{
  const gchar *profile;

  if (!allowed || gst_caps_is_empty (allowed) || gst_caps_is_any (allowed))
    return NULL;
  profile = gst_structure_get_string (gst_caps_get_structure (allowed, 0),
      "profile");
  return g_strdup (profile);
}

/* Whether estlookahead is upstream, and what it decides for us. */
static void
ask_lookahead (GstEstEnc * self, EstEncoderConfig * c)
{
  GstQuery *q = gst_query_new_custom (GST_QUERY_CUSTOM,
      gst_structure_new (GST_EST_LOOKAHEAD_QUERY, "speed-preset", G_TYPE_INT,
          (gint) c->speed_preset, NULL));

  if (gst_pad_peer_query (GST_VIDEO_ENCODER_SINK_PAD (self), q)) {
    const GstStructure *s = gst_query_get_structure (q);
    gst_structure_get_boolean (s, "key-frames", &c->external_keyframes);
    gst_structure_get_boolean (s, "offsets", &c->external_offsets);
    GST_INFO_OBJECT (self, "estlookahead upstream: %s key frames, %s "
        "offsets", c->external_keyframes ? "its" : "our",
        c->external_offsets ? "its" : "our");
  }
  gst_query_unref (q);
}

static gboolean
open_session (GstEstEnc * self)
{
  GstEstEncPrivate *priv = get_priv (self);
  GstEstEncClass *klass = GST_EST_ENC_GET_CLASS (self);
  GstVideoEncoder *venc = GST_VIDEO_ENCODER (self);
  GstVideoCodecState *in = priv->input_state, *out;
  const GstEstEncStreamFormat *format;
  EstEncoderConfig *c = &priv->config;
  GstCaps *allowed, *caps;
  GstBuffer *codec_data;
  GError *err = NULL;

  allowed = gst_pad_get_allowed_caps (GST_VIDEO_ENCODER_SRC_PAD (venc));
  format = pick_stream_format (self, allowed);
  if (!format) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Downstream accepts none of the stream formats of %s",
            klass->media_type), ("allowed: %" GST_PTR_FORMAT, allowed));
    gst_clear_caps (&allowed);
    return FALSE;
  }
  g_free (priv->profile);
  priv->profile = pick_profile (allowed);
  gst_clear_caps (&allowed);

  memset (c, 0, sizeof (*c));
  GST_OBJECT_LOCK (self);
  config_from_props (self, c);
  g_free (priv->option_string);
  priv->option_string = g_strdup (priv->prop.option_string);
  priv->rc_changed = FALSE;
  GST_OBJECT_UNLOCK (self);
  priv->quality_refused = FALSE;
  c->info = in->info;
  c->annexb = format->annexb;
  c->repeat_headers = format->repeat_headers;
  c->profile = priv->profile;
  c->option_string = priv->option_string;
  c->have_mastering_display =
      gst_video_mastering_display_info_from_caps (&c->mastering_display,
      in->caps);
  c->have_content_light_level =
      gst_video_content_light_level_from_caps (&c->content_light_level,
      in->caps);

  ask_lookahead (self, c);
  priv->encoder = est_encoder_new (c, &err);
  if (!priv->encoder) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("%s", err->message), (NULL));
    g_clear_error (&err);
    return FALSE;
  }

  caps = gst_caps_new_simple (klass->media_type,
      "stream-format", G_TYPE_STRING, format->name,
      "alignment", G_TYPE_STRING, klass->alignment, NULL);
  if (priv->profile)
    gst_caps_set_simple (caps, "profile", G_TYPE_STRING, priv->profile, NULL);
  codec_data = est_encoder_get_codec_data (priv->encoder);
  if (codec_data) {
    gst_caps_set_simple (caps, "codec_data", GST_TYPE_BUFFER, codec_data, NULL);
    gst_buffer_unref (codec_data);
  }
  out = gst_video_encoder_set_output_state (venc, caps, in);
  /* Colorimetry, HDR fields and the rest of the input travel along. */
  if (c->have_mastering_display)
    gst_video_mastering_display_info_add_to_caps (&c->mastering_display,
        out->caps);
  if (c->have_content_light_level)
    gst_video_content_light_level_add_to_caps (&c->content_light_level,
        out->caps);
  gst_video_codec_state_unref (out);

  GstClockTime latency = 0;
  if (GST_VIDEO_INFO_FPS_N (&in->info) > 0)
    latency = gst_util_uint64_scale_ceil (est_encoder_get_delay
        (priv->encoder) * GST_SECOND, GST_VIDEO_INFO_FPS_D (&in->info),
        GST_VIDEO_INFO_FPS_N (&in->info));
  gst_video_encoder_set_latency (venc, latency, latency);

  GST_INFO_OBJECT (self, "%s session open: %dx%d %s, %s, %u frames of delay",
      est_encoder_get_name (priv->encoder), GST_VIDEO_INFO_WIDTH (&in->info),
      GST_VIDEO_INFO_HEIGHT (&in->info), GST_VIDEO_INFO_NAME (&in->info),
      format->name, est_encoder_get_delay (priv->encoder));
  return gst_video_encoder_negotiate (venc);
}

static gboolean
gst_est_enc_set_format (GstVideoEncoder * venc, GstVideoCodecState * state)
{
  GstEstEnc *self = GST_EST_ENC (venc);
  GstEstEncPrivate *priv = get_priv (self);

  /* A new format: what the old session holds goes out first. */
  if (drain (self) != GST_FLOW_OK)
    GST_WARNING_OBJECT (self, "draining before renegotiation failed");
  if (priv->input_state)
    gst_video_codec_state_unref (priv->input_state);
  priv->input_state = gst_video_codec_state_ref (state);
  return open_session (self);
}

/* Applies rate-control properties changed while playing. */
static void
apply_rate_control_changes (GstEstEnc * self)
{
  GstEstEncPrivate *priv = get_priv (self);
  EstEncoderConfig c = priv->config;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  if (!priv->rc_changed) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  priv->rc_changed = FALSE;
  c.bitrate = priv->prop.bitrate;
  c.max_bitrate = priv->prop.max_bitrate;
  c.qp = priv->prop.qp >= 0 ? priv->prop.qp :
      GST_EST_ENC_GET_CLASS (self)->default_qp;
  c.crf = priv->prop.crf >= 0 ? priv->prop.crf :
      GST_EST_ENC_GET_CLASS (self)->default_crf;
  GST_OBJECT_UNLOCK (self);

  if (est_encoder_reconfigure (priv->encoder, &c, &err)) {
    priv->config = c;
    GST_INFO_OBJECT (self, "rate control now bitrate %u max %u kbit/s, "
        "qp %d, crf %g", c.bitrate, c.max_bitrate, c.qp, c.crf);
    return;
  }
  GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS, ("%s", err->message),
      ("keeping bitrate %u, max-bitrate %u, qp %d, crf %g",
          priv->config.bitrate, priv->config.max_bitrate, priv->config.qp,
          priv->config.crf));
  g_clear_error (&err);
  GST_OBJECT_LOCK (self);
  priv->prop.bitrate = priv->config.bitrate;
  priv->prop.max_bitrate = priv->config.max_bitrate;
  GST_OBJECT_UNLOCK (self);
}

/* The CRF estlookahead chose for the scene (target-quality mode), in the
 * crf modes: a reconfiguration when it changes. x264 takes it; x265 3.5
 * and SVT-AV1 1.4 cannot change it while running: warned once, the
 * encode goes on at the crf it opened with. */
static void
apply_meta_quality (GstEstEnc * self, gdouble quality)
{
  GstEstEncPrivate *priv = get_priv (self);
  EstEncoderConfig c = priv->config;
  GError *err = NULL;

  if (quality < 0 || priv->quality_refused ||
      (c.rate_control != EST_RATE_CONTROL_CRF &&
          c.rate_control != EST_RATE_CONTROL_CAPPED_CRF) ||
      fabs (quality - c.crf) < 0.005)
    return;
  c.crf = quality;
  if (est_encoder_reconfigure (priv->encoder, &c, &err)) {
    GST_DEBUG_OBJECT (self, "crf %.2f from the rate-control meta", quality);
    priv->config = c;
    return;
  }
  GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS, ("%s", err->message),
      ("the quality chosen by estlookahead (crf %.2f) is not applied: "
          "keeping crf %g", quality, priv->config.crf));
  g_clear_error (&err);
  priv->quality_refused = TRUE;
}

/* ROI metas with a delta-qp in any roi/ parameter structure. */
/* Rate-control advice from estlookahead, as far as the library can take
 * it: x264 and x265 read per-block offsets except in cqp; SVT-AV1 1.4 takes
 * one QP per frame, and only in cqp. */
static void
apply_rc_meta (GstEstEnc * self, const GstEstRcMeta * m,
    EstEncodeParams * params)
{
  GstEstEncPrivate *priv = get_priv (self);
  gboolean cqp = priv->config.rate_control == EST_RATE_CONTROL_CQP;

  if (m->frame_type == GST_EST_RC_FRAME_TYPE_IDR)
    params->keyframe_hint = TRUE;
  apply_meta_quality (self, m->quality);
  if (GST_EST_ENC_GET_CLASS (self)->codec == EST_CODEC_AV1) {
    if (cqp)
      params->qp_offset = m->qp_offset;
    return;
  }
  if (cqp)
    return;
  params->qp_offset = m->qp_offset;
  if (m->qp_map) {
    params->qp_map = m->qp_map;
    params->map_block = m->block_size;
    params->map_width = m->map_width;
    params->map_height = m->map_height;
  }
}

/* ROI metas with a delta-qp in any roi/ parameter structure, but
 * estlookahead's own when its GstEstRcMeta is applied. */
static guint
collect_rois (GstBuffer * buf, gboolean skip_estuary, EstRoi * rois)
{
  gpointer state = NULL;
  GstMeta *meta;
  guint n = 0;

  while (n < MAX_ROIS && (meta = gst_buffer_iterate_meta_filtered (buf,
              &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    for (GList * l = roi->params; l; l = l->next) {
      GstStructure *s = l->data;
      gint delta;
      if (skip_estuary && gst_structure_has_name (s, "roi/estuary"))
        break;
      if (g_str_has_prefix (gst_structure_get_name (s), "roi/") &&
          gst_structure_get_int (s, "delta-qp", &delta)) {
        rois[n].x = roi->x;
        rois[n].y = roi->y;
        rois[n].width = roi->w;
        rois[n].height = roi->h;
        rois[n].delta_qp = delta;
        n++;
        break;
      }
    }
  }
  return n;
}

static GstFlowReturn
gst_est_enc_handle_frame (GstVideoEncoder * venc, GstVideoCodecFrame * frame)
{
  GstEstEnc *self = GST_EST_ENC (venc);
  GstEstEncPrivate *priv = get_priv (self);
  EstEncodeParams params = { 0 };
  EstRoi rois[MAX_ROIS];
  GstVideoFrame vf;
  GError *err = NULL;
  gboolean ok;

  if (!priv->encoder && !open_session (self)) {
    gst_video_codec_frame_unref (frame);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  apply_rate_control_changes (self);

  params.force_keyframe = GST_VIDEO_CODEC_FRAME_IS_FORCE_KEYFRAME (frame);
  GstEstRcMeta *rc = gst_buffer_get_est_rc_meta (frame->input_buffer);
  if (rc)
    apply_rc_meta (self, rc, &params);
  params.rois = rois;
  params.n_rois = collect_rois (frame->input_buffer, rc != NULL, rois);
  if (params.n_rois)
    GST_LOG_OBJECT (self, "frame %u: %u regions of interest",
        frame->system_frame_number, params.n_rois);

  if (!gst_video_frame_map (&vf, &priv->input_state->info,
          frame->input_buffer, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("An input buffer is smaller than its caps say."), (NULL));
    gst_video_codec_frame_unref (frame);
    return GST_FLOW_ERROR;
  }
  ok = est_encoder_encode (priv->encoder, &vf, frame->system_frame_number,
      frame->pts, &params, &err);
  gst_video_frame_unmap (&vf);
  gst_video_codec_frame_unref (frame);
  if (!ok) {
    GST_ELEMENT_ERROR (self, LIBRARY, ENCODE, ("%s", err->message), (NULL));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }
  return push_ready (self);
}

/* Rate-control advice is spent on the raw frame: it does not follow it
 * into the stream. */
static gboolean
gst_est_enc_transform_meta (GstVideoEncoder * venc,
    GstVideoCodecFrame * frame, GstMeta * meta)
{
  if (meta->info->api == GST_EST_RC_META_API_TYPE)
    return FALSE;
  return
      GST_VIDEO_ENCODER_CLASS (gst_est_enc_parent_class)->transform_meta (venc,
      frame, meta);
}

static GstFlowReturn
gst_est_enc_finish (GstVideoEncoder * venc)
{
  return drain (GST_EST_ENC (venc));
}

static gboolean
gst_est_enc_flush (GstVideoEncoder * venc)
{
  GstEstEncPrivate *priv = get_priv (GST_EST_ENC (venc));

  /* Pending frames are the base class's to drop; the next frame opens a
   * new session. */
  g_clear_pointer (&priv->encoder, est_encoder_free);
  return TRUE;
}

static gboolean
gst_est_enc_start (GstVideoEncoder * venc)
{
  if (!check_device (GST_EST_ENC (venc)))
    return FALSE;
  gst_video_encoder_set_min_pts (venc, MIN_PTS);
  return TRUE;
}

static gboolean
gst_est_enc_stop (GstVideoEncoder * venc)
{
  GstEstEncPrivate *priv = get_priv (GST_EST_ENC (venc));

  g_clear_pointer (&priv->encoder, est_encoder_free);
  if (priv->input_state) {
    gst_video_codec_state_unref (priv->input_state);
    priv->input_state = NULL;
  }
  return TRUE;
}

static gboolean
gst_est_enc_propose_allocation (GstVideoEncoder * venc, GstQuery * query)
{
  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  return GST_VIDEO_ENCODER_CLASS (gst_est_enc_parent_class)->propose_allocation
      (venc, query);
}

static void
gst_est_enc_init (GstEstEnc * self)
{
  GstEstEncPrivate *priv = get_priv (self);

  priv->prop.device = g_strdup (DEFAULT_DEVICE);
  priv->prop.rate_control = DEFAULT_RATE_CONTROL;
  priv->prop.bitrate = DEFAULT_BITRATE;
  priv->prop.vbv_buf_capacity = DEFAULT_VBV_BUF_CAPACITY;
  priv->prop.qp = -1;
  priv->prop.crf = -1;
  priv->prop.min_qp = -1;
  priv->prop.max_qp = -1;
  priv->prop.b_frames = -1;
  priv->prop.ref_frames = -1;
  priv->prop.speed_preset = DEFAULT_SPEED_PRESET;
  priv->prop.psy_tune = EST_PSY_TUNE_NONE;
}

static void
gst_est_enc_finalize (GObject * object)
{
  GstEstEncPrivate *priv = get_priv (GST_EST_ENC (object));

  g_free (priv->prop.device);
  g_free (priv->prop.option_string);
  g_free (priv->profile);
  g_free (priv->option_string);
  G_OBJECT_CLASS (gst_est_enc_parent_class)->finalize (object);
}

static void
gst_est_enc_set_property (GObject * object, guint id, const GValue * value,
    GParamSpec * pspec)
{
  GstEstEncPrivate *priv = get_priv (GST_EST_ENC (object));

  GST_OBJECT_LOCK (object);
  switch (id) {
    case PROP_DEVICE:
      g_free (priv->prop.device);
      priv->prop.device = g_value_dup_string (value);
      break;
    case PROP_RATE_CONTROL:
      priv->prop.rate_control = g_value_get_enum (value);
      break;
    case PROP_BITRATE:
      priv->prop.bitrate = g_value_get_uint (value);
      priv->rc_changed = TRUE;
      break;
    case PROP_MAX_BITRATE:
      priv->prop.max_bitrate = g_value_get_uint (value);
      priv->rc_changed = TRUE;
      break;
    case PROP_VBV_BUF_CAPACITY:
      priv->prop.vbv_buf_capacity = g_value_get_uint (value);
      break;
    case PROP_QP:
      priv->prop.qp = g_value_get_int (value);
      priv->rc_changed = TRUE;
      break;
    case PROP_CRF:
      priv->prop.crf = g_value_get_double (value);
      priv->rc_changed = TRUE;
      break;
    case PROP_MIN_QP:
      priv->prop.min_qp = g_value_get_int (value);
      break;
    case PROP_MAX_QP:
      priv->prop.max_qp = g_value_get_int (value);
      break;
    case PROP_KEY_INT_MAX:
      priv->prop.key_int_max = g_value_get_uint (value);
      break;
    case PROP_B_FRAMES:
      priv->prop.b_frames = g_value_get_int (value);
      break;
    case PROP_REF_FRAMES:
      priv->prop.ref_frames = g_value_get_int (value);
      break;
    case PROP_SPEED_PRESET:
      priv->prop.speed_preset = g_value_get_enum (value);
      break;
    case PROP_TUNE:
      priv->prop.tune = g_value_get_flags (value);
      break;
    case PROP_PSY_TUNE:
      priv->prop.psy_tune = g_value_get_enum (value);
      break;
    case PROP_INTRA_REFRESH:
      priv->prop.intra_refresh = g_value_get_boolean (value);
      break;
    case PROP_THREADS:
      priv->prop.threads = g_value_get_uint (value);
      break;
    case PROP_OPTION_STRING:
      g_free (priv->prop.option_string);
      priv->prop.option_string = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (object);
}

static void
gst_est_enc_get_property (GObject * object, guint id, GValue * value,
    GParamSpec * pspec)
{
  GstEstEncPrivate *priv = get_priv (GST_EST_ENC (object));

  GST_OBJECT_LOCK (object);
  switch (id) {
    case PROP_DEVICE:
      g_value_set_string (value, priv->prop.device);
      break;
    case PROP_RATE_CONTROL:
      g_value_set_enum (value, priv->prop.rate_control);
      break;
    case PROP_BITRATE:
      g_value_set_uint (value, priv->prop.bitrate);
      break;
    case PROP_MAX_BITRATE:
      g_value_set_uint (value, priv->prop.max_bitrate);
      break;
    case PROP_VBV_BUF_CAPACITY:
      g_value_set_uint (value, priv->prop.vbv_buf_capacity);
      break;
    case PROP_QP:
      g_value_set_int (value, priv->prop.qp);
      break;
    case PROP_CRF:
      g_value_set_double (value, priv->prop.crf);
      break;
    case PROP_MIN_QP:
      g_value_set_int (value, priv->prop.min_qp);
      break;
    case PROP_MAX_QP:
      g_value_set_int (value, priv->prop.max_qp);
      break;
    case PROP_KEY_INT_MAX:
      g_value_set_uint (value, priv->prop.key_int_max);
      break;
    case PROP_B_FRAMES:
      g_value_set_int (value, priv->prop.b_frames);
      break;
    case PROP_REF_FRAMES:
      g_value_set_int (value, priv->prop.ref_frames);
      break;
    case PROP_SPEED_PRESET:
      g_value_set_enum (value, priv->prop.speed_preset);
      break;
    case PROP_TUNE:
      g_value_set_flags (value, priv->prop.tune);
      break;
    case PROP_PSY_TUNE:
      g_value_set_enum (value, priv->prop.psy_tune);
      break;
    case PROP_INTRA_REFRESH:
      g_value_set_boolean (value, priv->prop.intra_refresh);
      break;
    case PROP_THREADS:
      g_value_set_uint (value, priv->prop.threads);
      break;
    case PROP_OPTION_STRING:
      g_value_set_string (value, priv->prop.option_string);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (object);
}

static void
gst_est_enc_class_init (GstEstEncClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstVideoEncoderClass *venc_class = GST_VIDEO_ENCODER_CLASS (klass);
  const GParamFlags ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  const GParamFlags playing = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = gst_est_enc_set_property;
  gobject_class->get_property = gst_est_enc_get_property;
  gobject_class->finalize = gst_est_enc_finalize;

  properties[PROP_DEVICE] = g_param_spec_string ("device", "Device",
      "auto, cpu, virtual, or a DRM render node path", DEFAULT_DEVICE, ready);
  properties[PROP_RATE_CONTROL] = g_param_spec_enum ("rate-control",
      "Rate control", "Rate-control mode", GST_TYPE_EST_ENC_RATE_CONTROL,
      DEFAULT_RATE_CONTROL, ready);
  properties[PROP_BITRATE] = g_param_spec_uint ("bitrate", "Bitrate",
      "Target bitrate in kbit/s (cbr, vbr)", 1, 2000000, DEFAULT_BITRATE,
      playing);
  properties[PROP_MAX_BITRATE] = g_param_spec_uint ("max-bitrate",
      "Max bitrate", "Peak bitrate in kbit/s (vbr, capped-crf); 0 = bitrate",
      0, 2000000, 0, playing);
  properties[PROP_VBV_BUF_CAPACITY] = g_param_spec_uint ("vbv-buf-capacity",
      "VBV buffer capacity", "VBV buffer in milliseconds of the peak bitrate "
      "(0 = the library's default)", 0, 10000, DEFAULT_VBV_BUF_CAPACITY, ready);
  properties[PROP_QP] = g_param_spec_int ("qp", "QP",
      "Quantiser in cqp mode (-1 = the codec's default)", -1, 63, -1, playing);
  properties[PROP_CRF] = g_param_spec_double ("crf", "CRF",
      "Quality in crf modes, lower is better (-1 = the codec's default)",
      -1, 63, -1, playing);
  properties[PROP_MIN_QP] = g_param_spec_int ("min-qp", "Min QP",
      "Smallest quantiser (-1 = library default)", -1, 63, -1, ready);
  properties[PROP_MAX_QP] = g_param_spec_int ("max-qp", "Max QP",
      "Largest quantiser (-1 = library default)", -1, 63, -1, ready);
  properties[PROP_KEY_INT_MAX] = g_param_spec_uint ("key-int-max",
      "Key interval max", "Most frames between key frames (0 = library "
      "default)", 0, G_MAXINT, 0, ready);
  properties[PROP_B_FRAMES] = g_param_spec_int ("b-frames", "B-frames",
      "Consecutive B-frames (-1 = library default)", -1, 16, -1, ready);
  properties[PROP_REF_FRAMES] = g_param_spec_int ("ref-frames",
      "Reference frames", "Reference frames (-1 = library default)", -1, 16,
      -1, ready);
  properties[PROP_SPEED_PRESET] = g_param_spec_enum ("speed-preset",
      "Speed preset", "Speed against compression",
      GST_TYPE_EST_ENC_SPEED_PRESET, DEFAULT_SPEED_PRESET, ready);
  properties[PROP_TUNE] = g_param_spec_flags ("tune", "Tune",
      "Tunings for the use case", GST_TYPE_EST_ENC_TUNE, 0, ready);
  properties[PROP_PSY_TUNE] = g_param_spec_enum ("psy-tune", "Psy tune",
      "Psychovisual tuning", GST_TYPE_EST_ENC_PSY_TUNE, EST_PSY_TUNE_NONE,
      ready);
  properties[PROP_INTRA_REFRESH] = g_param_spec_boolean ("intra-refresh",
      "Intra refresh", "Periodic intra refresh instead of key frames", FALSE,
      ready);
  properties[PROP_THREADS] = g_param_spec_uint ("threads", "Threads",
      "Encoder threads (0 = automatic)", 0, 256, 0, ready);
  properties[PROP_OPTION_STRING] = g_param_spec_string ("option-string",
      "Option string", "Library options as key=value:key=value", NULL, ready);
  g_object_class_install_properties (gobject_class, N_PROPS, properties);

  venc_class->start = gst_est_enc_start;
  venc_class->stop = gst_est_enc_stop;
  venc_class->set_format = gst_est_enc_set_format;
  venc_class->transform_meta = gst_est_enc_transform_meta;
  venc_class->handle_frame = gst_est_enc_handle_frame;
  venc_class->finish = gst_est_enc_finish;
  venc_class->flush = gst_est_enc_flush;
  venc_class->propose_allocation = gst_est_enc_propose_allocation;

  gst_type_mark_as_plugin_api (GST_TYPE_EST_ENC, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EST_ENC_RATE_CONTROL, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EST_ENC_SPEED_PRESET, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EST_ENC_TUNE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EST_ENC_PSY_TUNE, 0);
}
