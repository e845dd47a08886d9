/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/**
 * SECTION:element-estdec
 * @title: estdec
 * @short_description: H.264, HEVC and AV1 decoder on an accelerator or the
 *     CPU
 *
 * Decodes H.264 (`byte-stream`, `avc`), HEVC (`byte-stream`, `hvc1`,
 * `hev1`) and AV1 (`obu-stream`) as `h264parse`, `h265parse` and
 * `av1parse` deliver them, to raw video in the stream's own chroma format
 * and bit depth. On the CPU it runs libavcodec for H.264 and HEVC, which
 * decodes straight into the buffers it pushes, and dav1d for AV1, whose
 * pictures it pushes without a copy.
 *
 * Colorimetry comes from the bitstream; `mastering-display-info` and
 * `content-light-level` come from the bitstream (SEI, AV1 metadata OBUs)
 * or, when it has none, from the upstream caps. HDR10+ SEI and Dolby Vision
 * RPU NAL units are skipped: the output carries static HDR10 metadata only.
 *
 * A packet the library rejects, or a picture decoded with errors, posts a
 * warning and the stream goes on (the picture is concealed or dropped);
 * after #GstVideoDecoder:max-errors consecutive failures the element posts
 * an error. With #GstEstDec:low-latency (automatic when upstream is live)
 * each picture comes out as soon as it is decoded, without frame threads.
 *
 * Rank: primary + 1, one rank for all three codecs. For H.264 and HEVC the
 * output is bit-identical to avdec_h264 and avdec_h265 (the same library)
 * at no extra cost, for AV1 it is faster than av1dec, and with a VA device
 * it offloads: decodebin should prefer it.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=hdr10.mp4 ! qtdemux ! h265parse ! estdec ! \
 *     videoconvert ! autovideosink
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "estdec.h"

#include <string.h>

#include "decoder.h"
#include "device.h"

GST_DEBUG_CATEGORY_STATIC (gst_est_dec_debug);
#define GST_CAT_DEFAULT gst_est_dec_debug

/* Sink caps per codec; the template lists the codecs a backend was built
 * for. */
static const gchar *const sink_caps[] = {
  [EST_CODEC_H264] = "video/x-h264, "
      "stream-format = (string) { byte-stream, avc }, alignment = (string) au",
  [EST_CODEC_H265] = "video/x-h265, "
      "stream-format = (string) { byte-stream, hvc1, hev1 }, "
      "alignment = (string) au",
  [EST_CODEC_AV1] = "video/x-av1, stream-format = (string) obu-stream, "
      "alignment = (string) tu",
};

#define SRC_CAPS GST_VIDEO_CAPS_MAKE ("{ I420, Y42B, Y444, I420_10LE, " \
    "I422_10LE, Y444_10LE, I420_12LE, I422_12LE, Y444_12LE, GRAY8 }")


static GstStaticPadTemplate src_templ = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (SRC_CAPS));

struct _GstEstDec
{
  GstVideoDecoder parent;

  struct
  {
    gchar *device;
    guint max_threads;
    gboolean low_latency;
  } prop;

  GstVideoCodecState *input_state;
  EstDecoderConfig config;
  EstDecoder *decoder;
  GstVideoInfo out_info;        /* of the negotiated output, or unset */
  gboolean have_out_info;
  gboolean have_hdr_caps;       /* upstream caps carry HDR fields */
  GstVideoMasteringDisplayInfo caps_mdi;
  GstVideoContentLightLevel caps_cll;
  gboolean downstream_video_meta;
};

enum
{
  PROP_0,
  PROP_DEVICE,
  PROP_MAX_THREADS,
  PROP_LOW_LATENCY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define gst_est_dec_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstEstDec, gst_est_dec, GST_TYPE_VIDEO_DECODER,
    GST_DEBUG_CATEGORY_INIT (gst_est_dec_debug, "estdec", 0,
        "Estuary decoder"));
GST_ELEMENT_REGISTER_DEFINE (estdec, "estdec", GST_RANK_PRIMARY + 1,
    GST_TYPE_EST_DEC);

static gboolean
upstream_is_live (GstEstDec * self)
{
  GstQuery *q = gst_query_new_latency ();
  gboolean live = FALSE;

  if (gst_pad_peer_query (GST_VIDEO_DECODER_SINK_PAD (self), q))
    gst_query_parse_latency (q, &live, NULL, NULL);
  gst_query_unref (q);
  return live;
}

static gboolean
open_session (GstEstDec * self)
{
  GstStructure *s = gst_caps_get_structure (self->input_state->caps, 0);
  const gchar *name = gst_structure_get_name (s);
  const GValue *cd = gst_structure_get_value (s, "codec_data");
  EstDecoderConfig *c = &self->config;
  GError *err = NULL;

  memset (c, 0, sizeof (*c));
  if (g_str_equal (name, "video/x-h264"))
    c->codec = EST_CODEC_H264;
  else if (g_str_equal (name, "video/x-h265"))
    c->codec = EST_CODEC_H265;
  else
    c->codec = EST_CODEC_AV1;
  if (cd && G_VALUE_HOLDS (cd, GST_TYPE_BUFFER))
    c->codec_data = gst_value_get_buffer (cd);

  GST_OBJECT_LOCK (self);
  c->threads = self->prop.max_threads;
  c->low_latency = self->prop.low_latency;
  GST_OBJECT_UNLOCK (self);
  if (!c->low_latency && upstream_is_live (self)) {
    GST_INFO_OBJECT (self, "upstream is live: low latency");
    c->low_latency = TRUE;
  }

  self->decoder = est_decoder_new (c, &err);
  c->codec_data = NULL;         /* the session holds its own ref */
  if (!self->decoder) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("%s", err->message), (NULL));
    g_clear_error (&err);
    return FALSE;
  }
  self->have_hdr_caps =
      gst_video_mastering_display_info_from_caps (&self->caps_mdi,
      self->input_state->caps);
  if (!gst_video_content_light_level_from_caps (&self->caps_cll,
          self->input_state->caps))
    gst_video_content_light_level_init (&self->caps_cll);
  GST_INFO_OBJECT (self, "%s session for %s", est_decoder_get_name
      (self->decoder), name);
  return TRUE;
}

static gboolean
check_device (GstEstDec * self)
{
  EstDeviceKind kind;
  GError *err = NULL;
  gchar *spec;
  gboolean ok = TRUE;

  GST_OBJECT_LOCK (self);
  spec = g_strdup (self->prop.device);
  GST_OBJECT_UNLOCK (self);
  if (!est_device_parse (spec, &kind, NULL, &err)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", err->message), (NULL));
    g_clear_error (&err);
    ok = FALSE;
  } else if (kind == EST_DEVICE_VIRTUAL || kind == EST_DEVICE_PATH) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("device=%s needs the VA-API decode backend, which this version of "
            "Estuary does not have yet: use device=cpu or auto", spec), (NULL));
    ok = FALSE;
  }
  g_free (spec);
  return ok;
}

static gboolean
gst_est_dec_start (GstVideoDecoder * vdec)
{
  return check_device (GST_EST_DEC (vdec));
}

static gboolean
gst_est_dec_stop (GstVideoDecoder * vdec)
{
  GstEstDec *self = GST_EST_DEC (vdec);

  g_clear_pointer (&self->decoder, est_decoder_free);
  g_clear_pointer (&self->input_state, gst_video_codec_state_unref);
  self->have_out_info = FALSE;
  return TRUE;
}

static GstFlowReturn push_ready (GstEstDec * self);

static gboolean
gst_est_dec_set_format (GstVideoDecoder * vdec, GstVideoCodecState * state)
{
  GstEstDec *self = GST_EST_DEC (vdec);

  if (self->decoder) {
    GError *err = NULL;
    if (est_decoder_drain (self->decoder, &err))
      push_ready (self);
    g_clear_error (&err);
    g_clear_pointer (&self->decoder, est_decoder_free);
  }
  g_clear_pointer (&self->input_state, gst_video_codec_state_unref);
  self->input_state = gst_video_codec_state_ref (state);
  return open_session (self);
}

/* Output caps for a decoded picture's format, size and colour; HDR fields
 * from the stream, else from upstream caps. */
static gboolean
negotiate_for (GstEstDec * self, const EstDecodedFrame * f)
{
  GstVideoDecoder *vdec = GST_VIDEO_DECODER (self);
  const GstVideoInfo *i = &f->info;
  GstVideoCodecState *out;

  if (self->have_out_info &&
      GST_VIDEO_INFO_FORMAT (&self->out_info) == GST_VIDEO_INFO_FORMAT (i) &&
      GST_VIDEO_INFO_WIDTH (&self->out_info) == GST_VIDEO_INFO_WIDTH (i) &&
      GST_VIDEO_INFO_HEIGHT (&self->out_info) == GST_VIDEO_INFO_HEIGHT (i) &&
      gst_video_colorimetry_is_equal (&self->out_info.colorimetry,
          &i->colorimetry) &&
      !gst_pad_check_reconfigure (GST_VIDEO_DECODER_SRC_PAD (vdec)))
    return TRUE;

  out = gst_video_decoder_set_output_state (vdec, GST_VIDEO_INFO_FORMAT (i),
      GST_VIDEO_INFO_WIDTH (i), GST_VIDEO_INFO_HEIGHT (i), self->input_state);
  out->info.colorimetry = i->colorimetry;
  if (GST_VIDEO_INFO_PAR_N (i) > 0 && GST_VIDEO_INFO_PAR_D (i) > 0) {
    GST_VIDEO_INFO_PAR_N (&out->info) = GST_VIDEO_INFO_PAR_N (i);
    GST_VIDEO_INFO_PAR_D (&out->info) = GST_VIDEO_INFO_PAR_D (i);
  }
  out->caps = gst_video_info_to_caps (&out->info);
  if (f->have_mastering_display)
    gst_video_mastering_display_info_add_to_caps (&f->mastering_display,
        out->caps);
  else if (self->have_hdr_caps)
    gst_video_mastering_display_info_add_to_caps (&self->caps_mdi, out->caps);
  if (f->have_content_light_level)
    gst_video_content_light_level_add_to_caps (&f->content_light_level,
        out->caps);
  else if (self->caps_cll.max_content_light_level)
    gst_video_content_light_level_add_to_caps (&self->caps_cll, out->caps);
  gst_video_codec_state_unref (out);

  self->out_info = *i;
  self->have_out_info = TRUE;
  GST_INFO_OBJECT (self, "output %dx%d %s", GST_VIDEO_INFO_WIDTH (i),
      GST_VIDEO_INFO_HEIGHT (i), GST_VIDEO_INFO_NAME (i));
  return gst_video_decoder_negotiate (vdec);
}

/* A copy in GStreamer's default layout, for downstream elements that do
 * not read GstVideoMeta. */
static GstBuffer *
default_layout (GstEstDec * self, GstBuffer * src, const GstVideoInfo * info)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (src);
  GstVideoInfo in = *info;
  GstVideoFrame sf, df;
  GstBuffer *dst = gst_video_decoder_allocate_output_buffer
      (GST_VIDEO_DECODER (self));

  for (guint p = 0; meta && p < meta->n_planes; p++) {
    in.offset[p] = meta->offset[p];
    in.stride[p] = meta->stride[p];
  }
  if (!dst || !gst_video_frame_map (&sf, &in, src, GST_MAP_READ)) {
    gst_clear_buffer (&dst);
    return NULL;
  }
  if (!gst_video_frame_map (&df, info, dst, GST_MAP_WRITE)) {
    gst_video_frame_unmap (&sf);
    gst_clear_buffer (&dst);
    return NULL;
  }
  gst_video_frame_copy (&df, &sf);
  gst_video_frame_unmap (&df);
  gst_video_frame_unmap (&sf);
  return dst;
}

static GstFlowReturn
push_ready (GstEstDec * self)
{
  GstVideoDecoder *vdec = GST_VIDEO_DECODER (self);
  GstFlowReturn ret = GST_FLOW_OK;
  EstDecodedFrame f;

  while (est_decoder_receive (self->decoder, &f)) {
    GstVideoCodecFrame *frame = gst_video_decoder_get_frame (vdec,
        (int) f.id);

    if (!frame) {
      GST_DEBUG_OBJECT (self, "picture of unknown packet %" G_GUINT64_FORMAT,
          f.id);
      gst_buffer_unref (f.buffer);
      continue;
    }
    if (f.corrupt)
      GST_ELEMENT_WARNING (self, STREAM, DECODE,
          ("A picture was decoded with errors and concealed."),
          ("packet %" G_GUINT64_FORMAT, f.id));
    if (!negotiate_for (self, &f)) {
      gst_buffer_unref (f.buffer);
      gst_video_decoder_drop_frame (vdec, frame);
      ret = GST_FLOW_NOT_NEGOTIATED;
      continue;
    }
    if (self->downstream_video_meta) {
      frame->output_buffer = f.buffer;
    } else {
      frame->output_buffer = default_layout (self, f.buffer, &f.info);
      gst_buffer_unref (f.buffer);
    }
    if (!frame->output_buffer) {
      gst_video_decoder_drop_frame (vdec, frame);
      continue;
    }
    GstFlowReturn r = gst_video_decoder_finish_frame (vdec, frame);
    if (r != GST_FLOW_OK && ret == GST_FLOW_OK)
      ret = r;
  }
  return ret;
}

static GstFlowReturn
gst_est_dec_handle_frame (GstVideoDecoder * vdec, GstVideoCodecFrame * frame)
{
  GstEstDec *self = GST_EST_DEC (vdec);
  GError *err = NULL;
  GstFlowReturn ret = GST_FLOW_OK;

  if (!self->decoder && (!self->input_state || !open_session (self))) {
    gst_video_decoder_drop_frame (vdec, frame);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!est_decoder_decode (self->decoder, frame->input_buffer,
          frame->system_frame_number, &err)) {
    /* Counts towards max-errors; below it the stream goes on. */
    GST_VIDEO_DECODER_ERROR (self, 1, STREAM, DECODE,
        ("A packet could not be decoded."), ("%s", err->message), ret);
    /* Below max-errors the base class only logs it. */
    if (ret == GST_FLOW_OK)
      GST_ELEMENT_WARNING (self, STREAM, DECODE,
          ("A packet could not be decoded."), ("%s", err->message));
    g_clear_error (&err);
    gst_video_decoder_drop_frame (vdec, frame);
    if (ret != GST_FLOW_OK)
      return ret;
    return push_ready (self);
  }
  gst_video_codec_frame_unref (frame);
  return push_ready (self);
}

static GstFlowReturn
gst_est_dec_finish (GstVideoDecoder * vdec)
{
  GstEstDec *self = GST_EST_DEC (vdec);
  GError *err = NULL;

  if (!self->decoder)
    return GST_FLOW_OK;
  if (!est_decoder_drain (self->decoder, &err)) {
    GST_ELEMENT_WARNING (self, STREAM, DECODE, ("Draining failed."),
        ("%s", err->message));
    g_clear_error (&err);
  }
  return push_ready (self);
}

static GstFlowReturn
gst_est_dec_drain (GstVideoDecoder * vdec)
{
  return gst_est_dec_finish (vdec);
}

static gboolean
gst_est_dec_flush (GstVideoDecoder * vdec)
{
  GstEstDec *self = GST_EST_DEC (vdec);

  if (self->decoder)
    est_decoder_flush (self->decoder);
  return TRUE;
}

static gboolean
gst_est_dec_decide_allocation (GstVideoDecoder * vdec, GstQuery * query)
{
  GstEstDec *self = GST_EST_DEC (vdec);

  self->downstream_video_meta = gst_query_find_allocation_meta (query,
      GST_VIDEO_META_API_TYPE, NULL);
  GST_DEBUG_OBJECT (self, "downstream %s GstVideoMeta: %s",
      self->downstream_video_meta ? "reads" : "does not read",
      self->downstream_video_meta ? "pushing decoded buffers" :
      "copying each picture");
  return GST_VIDEO_DECODER_CLASS (parent_class)->decide_allocation (vdec,
      query);
}

static void
gst_est_dec_init (GstEstDec * self)
{
  self->prop.device = g_strdup ("auto");
  gst_video_decoder_set_packetized (GST_VIDEO_DECODER (self), TRUE);
  gst_video_decoder_set_needs_format (GST_VIDEO_DECODER (self), TRUE);
}

static void
gst_est_dec_finalize (GObject * object)
{
  GstEstDec *self = GST_EST_DEC (object);

  g_free (self->prop.device);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_est_dec_set_property (GObject * object, guint id, const GValue * value,
    GParamSpec * pspec)
{
  GstEstDec *self = GST_EST_DEC (object);

  GST_OBJECT_LOCK (self);
  switch (id) {
    case PROP_DEVICE:
      g_free (self->prop.device);
      self->prop.device = g_value_dup_string (value);
      break;
    case PROP_MAX_THREADS:
      self->prop.max_threads = g_value_get_uint (value);
      break;
    case PROP_LOW_LATENCY:
      self->prop.low_latency = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_est_dec_get_property (GObject * object, guint id, GValue * value,
    GParamSpec * pspec)
{
  GstEstDec *self = GST_EST_DEC (object);

  GST_OBJECT_LOCK (self);
  switch (id) {
    case PROP_DEVICE:
      g_value_set_string (value, self->prop.device);
      break;
    case PROP_MAX_THREADS:
      g_value_set_uint (value, self->prop.max_threads);
      break;
    case PROP_LOW_LATENCY:
      g_value_set_boolean (value, self->prop.low_latency);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_est_dec_class_init (GstEstDecClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstVideoDecoderClass *vdec_class = GST_VIDEO_DECODER_CLASS (klass);
  GstCaps *caps;
  const GParamFlags ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = gst_est_dec_set_property;
  gobject_class->get_property = gst_est_dec_get_property;
  gobject_class->finalize = gst_est_dec_finalize;

  properties[PROP_DEVICE] = g_param_spec_string ("device", "Device",
      "auto, cpu, virtual, or a DRM render node path", "auto", ready);
  properties[PROP_MAX_THREADS] = g_param_spec_uint ("max-threads",
      "Max threads", "Decoding threads (0 = one per core)", 0, 256, 0, ready);
  properties[PROP_LOW_LATENCY] = g_param_spec_boolean ("low-latency",
      "Low latency", "Each picture out as soon as it is decoded, no frame "
      "threads (automatic when upstream is live)", FALSE, ready);
  g_object_class_install_properties (gobject_class, N_PROPS, properties);

  gst_element_class_set_static_metadata (element_class, "Estuary decoder",
      "Codec/Decoder/Video/Hardware",
      "Decodes H.264, HEVC and AV1 on an accelerator or the CPU",
      "Estuary contributors");
  caps = gst_caps_new_empty ();
  for (guint c = 0; c < G_N_ELEMENTS (sink_caps); c++)
    if (est_decoder_codec_available (c))
      gst_caps_append (caps, gst_caps_from_string (sink_caps[c]));
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);
  gst_element_class_add_static_pad_template (element_class, &src_templ);

  vdec_class->start = gst_est_dec_start;
  vdec_class->stop = gst_est_dec_stop;
  vdec_class->set_format = gst_est_dec_set_format;
  vdec_class->handle_frame = gst_est_dec_handle_frame;
  vdec_class->finish = gst_est_dec_finish;
  vdec_class->drain = gst_est_dec_drain;
  vdec_class->flush = gst_est_dec_flush;
  vdec_class->decide_allocation = gst_est_dec_decide_allocation;
}
