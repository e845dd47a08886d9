/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/**
 * SECTION:element-esthdrscale
 * @title: esthdrscale
 * @short_description: HDR-aware colour conversion, tone mapping and scaling
 *     up to 8K
 *
 * esthdrscale converts raw video between sizes, formats, bit depths and
 * colour spaces in one pass, tone mapping when the output cannot show the
 * input's light: HDR (PQ or HLG) to SDR, PQ to HLG and back, SDR up to HDR,
 * and HDR masters down to displays of a lower peak. What it does follows
 * from the input and output caps (size, format, `colorimetry`,
 * `chroma-site`, `mastering-display-info`, `content-light-level`); fields
 * that downstream leaves open keep the input's values.
 *
 * Transfers: BT.709/BT.601/BT.2020 SDR (the BT.1886 display EOTF, gamma
 * 2.4), sRGB, PQ (SMPTE ST 2084) and HLG (BT.2100). Primaries BT.709,
 * BT.2020, P3-D65 and BT.601; matrices BT.601, BT.709 and BT.2020
 * non-constant luminance for YUV, `rgb` for the 8-bit RGB formats (RGBA,
 * BGRA, RGBx, BGRx: alpha is written opaque and ignored on input); limited
 * and full range. Between YUV and RGB an open output colorimetry keeps the
 * input's transfer and primaries, with the matrix that goes with those
 * primaries and limited range for YUV output, full range for RGB output.
 *
 * Tone mapping happens only when the source peak exceeds the target peak.
 * The source peak comes from the input's `content-light-level` (MaxCLL),
 * else its `mastering-display-info` maximum, else
 * #GstEstHdrScale:source-peak; metadata outside 100..10000 cd/m² is treated
 * as broken and skipped with a warning. SDR signal 100 % is
 * #GstEstHdrScale:sdr-white cd/m² (203 by default, the HDR reference white
 * of ITU-R BT.2408): PQ at 203 cd/m² becomes SDR 100 % before the tone
 * curve compresses the highlights, and SDR 100 % becomes 203 cd/m² on the
 * way up. Set it to 100 for FFmpeg's `npl=100` convention. HLG is displayed
 * at the source peak on the way in (1000 cd/m² unless metadata says
 * otherwise) and at #GstEstHdrScale:target-peak on the way out.
 *
 * Scaling happens in the signal domain, at the smaller of the two sizes for
 * the colour math (colour first when upscaling, scaling first when
 * downscaling), with chroma resampled from its own siting. Output
 * `mastering-display-info` and `content-light-level` are removed for SDR
 * output and rewritten for HDR output of a new peak.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=hdr10.mkv ! matroskademux ! estdec ! \
 *     esthdrscale ! video/x-raw,width=1920,height=1080,format=NV12,colorimetry=bt709 ! \
 *     autovideosink
 * ]| An HDR10 stream tone mapped to SDR BT.709 for an ordinary display.
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=30 ! video/x-raw,width=3840,height=2160,format=I420_10LE ! \
 *     esthdrscale method=lanczos ! video/x-raw,width=7680,height=4320 ! fakesink
 * ]| 4K to 8K upscaling, 10-bit.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "esthdrscale.h"

#include <math.h>

#include "cpu.h"
#include "hdrscale.h"

GST_DEBUG_CATEGORY_STATIC (gst_est_hdr_scale_debug);
#define GST_CAT_DEFAULT gst_est_hdr_scale_debug

#define FORMATS "{ I420, NV12, Y42B, Y444, I420_10LE, I422_10LE, " \
  "Y444_10LE, P010_10LE, I420_12LE, I422_12LE, Y444_12LE, v210, YUY2, " \
  "RGBA, BGRA, RGBx, BGRx }"
#define CAPS GST_VIDEO_CAPS_MAKE (FORMATS) ";"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw, format = (string) " FORMATS ", "
        "width = (int) [ 1, 8192 ], height = (int) [ 1, 8192 ], "
        "framerate = (fraction) [ 0, max ]"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw, format = (string) " FORMATS ", "
        "width = (int) [ 1, 8192 ], height = (int) [ 1, 8192 ], "
        "framerate = (fraction) [ 0, max ]"));

enum
{
  PROP_0,
  PROP_METHOD,
  PROP_TAPS,
  PROP_TONE_CURVE,
  PROP_TONE_CURVE_PARAM,
  PROP_TONE_MAPPING_MODE,
  PROP_GAMUT_MAPPING,
  PROP_SOURCE_PEAK,
  PROP_TARGET_PEAK,
  PROP_SDR_WHITE,
  PROP_PEAK_DETECT,
  PROP_DITHER,
  PROP_ADD_BORDERS,
  PROP_N_THREADS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define DEFAULT_METHOD EST_RESAMPLE_LANCZOS
#define DEFAULT_TAPS 3
#define DEFAULT_TONE_CURVE EST_TONE_CURVE_BT2390
#define DEFAULT_TONE_CURVE_PARAM -1.0
#define DEFAULT_TONE_MAPPING_MODE EST_TONE_MODE_MAX_RGB
#define DEFAULT_GAMUT_MAPPING EST_GAMUT_SOFT
#define DEFAULT_SOURCE_PEAK 1000.0
#define DEFAULT_TARGET_PEAK 0.0
#define DEFAULT_SDR_WHITE 203.0
#define DEFAULT_PEAK_DETECT FALSE
#define DEFAULT_DITHER TRUE
#define DEFAULT_ADD_BORDERS TRUE
#define DEFAULT_N_THREADS 0
/* The HDR display a target peak of 0 means for HDR output. */
#define DEFAULT_HDR_TARGET 1000.0

struct _GstEstHdrScale
{
  GstVideoFilter parent;

  struct
  {
    EstResampleMethod method;
    guint taps;
    EstToneCurveId tone_curve;
    gdouble tone_curve_param;
    EstToneMode tone_mapping_mode;
    EstGamutMode gamut_mapping;
    gdouble source_peak, target_peak, sdr_white;
    gboolean peak_detect, dither, add_borders;
    guint n_threads;
  } prop;

  /* Streaming thread. */
  EstHdrScale *scale;
  gboolean dirty;               /* properties changed: replan */
  gboolean warned_metadata;
};

#define GST_TYPE_EST_HDR_SCALE_METHOD (gst_est_hdr_scale_method_get_type ())
static GType
gst_est_hdr_scale_method_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {EST_RESAMPLE_NEAREST, "Nearest neighbour", "nearest"},
    {EST_RESAMPLE_BILINEAR, "Bilinear (triangle)", "bilinear"},
    {EST_RESAMPLE_BICUBIC, "Bicubic, Catmull-Rom (B = 0, C = 0.5)",
        "bicubic"},
    {EST_RESAMPLE_MITCHELL, "Bicubic, Mitchell-Netravali (B = C = 1/3)",
        "mitchell"},
    {EST_RESAMPLE_LANCZOS, "Lanczos (taps lobes)", "lanczos"},
    {EST_RESAMPLE_SPLINE36, "Spline36", "spline36"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstEstHdrScaleMethod", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* The values come from the curve table in common/tonemap.c. */
#define GST_TYPE_EST_HDR_SCALE_TONE_CURVE (gst_est_hdr_scale_tone_curve_get_type ())
static GType
gst_est_hdr_scale_tone_curve_get_type (void)
{
  static GType type = 0;
  static GEnumValue values[EST_TONE_CURVE_N + 1];

  if (g_once_init_enter (&type)) {
    for (int i = 0; i < EST_TONE_CURVE_N; i++) {
      values[i].value = i;
      values[i].value_name = est_tone_curves[i].description;
      values[i].value_nick = est_tone_curves[i].name;
    }
    GType t = g_enum_register_static ("GstEstHdrScaleToneCurve", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_EST_HDR_SCALE_TONE_MODE (gst_est_hdr_scale_tone_mode_get_type ())
static GType
gst_est_hdr_scale_tone_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {EST_TONE_MODE_RGB, "The curve on each of R, G and B (desaturates "
          "highlights)", "rgb"},
    {EST_TONE_MODE_LUMINANCE, "The curve on luminance, RGB scaled alike",
        "luminance"},
    {EST_TONE_MODE_MAX_RGB, "The curve on max (R, G, B), RGB scaled alike "
          "(keeps hue and saturation)", "max-rgb"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstEstHdrScaleToneMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_EST_HDR_SCALE_GAMUT (gst_est_hdr_scale_gamut_get_type ())
static GType
gst_est_hdr_scale_gamut_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {EST_GAMUT_CLIP, "Clip each channel to the target gamut", "clip"},
    {EST_GAMUT_SOFT, "Compress out-of-gamut colours toward grey, keeping "
          "hue", "soft"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstEstHdrScaleGamut", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define gst_est_hdr_scale_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstEstHdrScale, gst_est_hdr_scale,
    GST_TYPE_VIDEO_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_est_hdr_scale_debug, "esthdrscale", 0,
        "Estuary HDR conversion and scaling"));
GST_ELEMENT_REGISTER_DEFINE (esthdrscale, "esthdrscale", GST_RANK_NONE,
    GST_TYPE_EST_HDR_SCALE);

/* --- Colour spaces from caps --------------------------------------------- */

static gboolean
is_hdr_transfer (GstVideoTransferFunction t)
{
  return t == GST_VIDEO_TRANSFER_SMPTE2084 ||
      t == GST_VIDEO_TRANSFER_ARIB_STD_B67;
}

/* Fills the colour part of f from info; NULL, or what is not supported. */
static const gchar *
colour_from_info (const GstVideoInfo * info, EstHdrScaleFormat * f)
{
  const GstVideoColorimetry *c = &info->colorimetry;
  EstColourSpace *s = &f->colour;
  const EstVideoFormatInfo *fi;
  int fmt = est_video_format_from_name (GST_VIDEO_INFO_NAME (info));

  if (fmt < 0)
    return "format";
  f->format = fmt;
  fi = est_video_format_info (f->format);
  f->width = GST_VIDEO_INFO_WIDTH (info);
  f->height = GST_VIDEO_INFO_HEIGHT (info);
  s->depth = fi->depth;
  s->full_range = c->range == GST_VIDEO_COLOR_RANGE_0_255;

  switch (c->matrix) {
    case GST_VIDEO_COLOR_MATRIX_BT601:
      s->matrix = EST_MATRIX_BT601;
      break;
    case GST_VIDEO_COLOR_MATRIX_BT709:
    case GST_VIDEO_COLOR_MATRIX_UNKNOWN:
      s->matrix = EST_MATRIX_BT709;
      break;
    case GST_VIDEO_COLOR_MATRIX_BT2020:
      s->matrix = EST_MATRIX_BT2020NCL;
      break;
    case GST_VIDEO_COLOR_MATRIX_RGB:
      s->matrix = EST_MATRIX_RGB;
      break;
    default:
      return "colour matrix";
  }

  switch (c->transfer) {
    case GST_VIDEO_TRANSFER_BT709:
    case GST_VIDEO_TRANSFER_BT601:
    case GST_VIDEO_TRANSFER_BT2020_10:
    case GST_VIDEO_TRANSFER_BT2020_12:
    case GST_VIDEO_TRANSFER_UNKNOWN:
      s->transfer = EST_TRANSFER_BT1886;
      break;
    case GST_VIDEO_TRANSFER_SRGB:
      s->transfer = EST_TRANSFER_SRGB;
      break;
    case GST_VIDEO_TRANSFER_SMPTE2084:
      s->transfer = EST_TRANSFER_PQ;
      break;
    case GST_VIDEO_TRANSFER_ARIB_STD_B67:
      s->transfer = EST_TRANSFER_HLG;
      break;
    default:
      return "transfer function";
  }

  switch (c->primaries) {
    case GST_VIDEO_COLOR_PRIMARIES_BT709:
    case GST_VIDEO_COLOR_PRIMARIES_UNKNOWN:
      s->primaries = EST_PRIMARIES_BT709;
      break;
    case GST_VIDEO_COLOR_PRIMARIES_BT2020:
      s->primaries = EST_PRIMARIES_BT2020;
      break;
    case GST_VIDEO_COLOR_PRIMARIES_SMPTEEG432:
      s->primaries = EST_PRIMARIES_P3D65;
      break;
    case GST_VIDEO_COLOR_PRIMARIES_BT470BG:
      s->primaries = EST_PRIMARIES_BT601_625;
      break;
    case GST_VIDEO_COLOR_PRIMARIES_SMPTE170M:
    case GST_VIDEO_COLOR_PRIMARIES_SMPTE240M:
      s->primaries = EST_PRIMARIES_BT601_525;
      break;
    default:
      return "colour primaries";
  }

  /* Without a chroma-site field GStreamer reports `jpeg` (centred) or
   * unknown, depending on whether colorimetry was given: both are centred
   * here, so the two sides agree. */
  f->cosited_h = (info->chroma_site & GST_VIDEO_CHROMA_SITE_H_COSITED) != 0;
  f->cosited_v = (info->chroma_site & GST_VIDEO_CHROMA_SITE_V_COSITED) != 0;
  return NULL;
}

/* The source peak by FFmpeg's order: MaxCLL, the mastering maximum, the
 * property; metadata outside 100..10000 cd/m² is skipped. */
static gdouble
source_peak (GstEstHdrScale * self, GstCaps * caps, gdouble fallback,
    gboolean warn)
{
  GstVideoContentLightLevel cll;
  GstVideoMasteringDisplayInfo mdi;

  if (gst_video_content_light_level_from_caps (&cll, caps) &&
      cll.max_content_light_level > 0) {
    gdouble v = cll.max_content_light_level;
    if (v >= 100.0 && v <= 10000.0)
      return v;
    if (warn)
      GST_ELEMENT_WARNING (self, STREAM, FORMAT,
          ("Ignoring broken content light level metadata: MaxCLL %g cd/m² "
              "is outside 100..10000.", v), (NULL));
  }
  if (gst_video_mastering_display_info_from_caps (&mdi, caps) &&
      mdi.max_display_mastering_luminance > 0) {
    gdouble v = mdi.max_display_mastering_luminance / 10000.0;
    if (v >= 100.0 && v <= 10000.0)
      return v;
    if (warn)
      GST_ELEMENT_WARNING (self, STREAM, FORMAT,
          ("Ignoring broken mastering display metadata: maximum %g cd/m² "
              "is outside 100..10000.", v), (NULL));
  }
  return fallback;
}

static gdouble
target_peak (gdouble prop, gdouble sdr_white, GstVideoTransferFunction t)
{
  if (prop > 0.0)
    return prop;
  return is_hdr_transfer (t) ? DEFAULT_HDR_TARGET : sdr_white;
}

/* --- Caps ---------------------------------------------------------------- */

static GstCaps *
gst_est_hdr_scale_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstCaps *res = gst_caps_new_empty ();

  for (guint i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_caps_get_structure (caps, i);
    GstCapsFeatures *f = gst_caps_get_features (caps, i);

    if (i > 0 && gst_caps_is_subset_structure_full (res, s, f))
      continue;
    s = gst_structure_copy (s);
    /* Only system memory: the element reads and writes pixels. */
    if (!gst_caps_features_is_any (f) &&
        !gst_caps_features_is_equal (f,
            GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY)) {
      gst_structure_free (s);
      continue;
    }
    gst_structure_set (s, "width", GST_TYPE_INT_RANGE, 1, 8192,
        "height", GST_TYPE_INT_RANGE, 1, 8192, NULL);
    gst_structure_remove_fields (s, "format", "colorimetry", "chroma-site",
        "mastering-display-info", "content-light-level", NULL);
    if (gst_structure_has_field (s, "pixel-aspect-ratio"))
      gst_structure_set (s, "pixel-aspect-ratio", GST_TYPE_FRACTION_RANGE,
          1, G_MAXINT, G_MAXINT, 1, NULL);
    gst_caps_append_structure_full (res, s, gst_caps_features_copy (f));
  }
  res = gst_caps_merge (gst_caps_ref (caps), res);

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, res,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (res);
    res = tmp;
  }
  GST_DEBUG_OBJECT (trans, "%s caps %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, res);
  return res;
}

/* Width and height for the output: fixed ones stay; an open one follows
 * the input's display aspect ratio; both open keep the input size. */
static void
fixate_size (GstStructure * in, GstStructure * out)
{
  gint in_w = 0, in_h = 0, in_pn = 1, in_pd = 1, out_pn = 1, out_pd = 1;
  gint w, h;

  gst_structure_get_int (in, "width", &in_w);
  gst_structure_get_int (in, "height", &in_h);
  gst_structure_get_fraction (in, "pixel-aspect-ratio", &in_pn, &in_pd);
  if (gst_structure_has_field (out, "pixel-aspect-ratio"))
    gst_structure_fixate_field_nearest_fraction (out, "pixel-aspect-ratio",
        in_pn, in_pd);
  gst_structure_get_fraction (out, "pixel-aspect-ratio", &out_pn, &out_pd);

  gboolean wf = gst_structure_get_int (out, "width", &w);
  gboolean hf = gst_structure_get_int (out, "height", &h);
  /* Display aspect ratio in output pixels: w / h = dar. */
  gdouble dar = (gdouble) in_w * in_pn / in_pd / in_h * out_pd / out_pn;

  if (wf && !hf)
    gst_structure_fixate_field_nearest_int (out, "height",
        MAX (1, (gint) (w / dar + 0.5)));
  else if (hf && !wf)
    gst_structure_fixate_field_nearest_int (out, "width",
        MAX (1, (gint) (h * dar + 0.5)));
  else if (!wf && !hf) {
    gst_structure_fixate_field_nearest_int (out, "width", in_w);
    gst_structure_fixate_field_nearest_int (out, "height", in_h);
  }
}

static void
fixate_format (GstStructure * in, GstStructure * out)
{
  const gchar *in_fmt = gst_structure_get_string (in, "format");
  const GValue *v = gst_structure_get_value (out, "format");

  if (!v || G_VALUE_HOLDS_STRING (v))
    return;
  if (in_fmt && GST_VALUE_HOLDS_LIST (v)) {
    for (guint i = 0; i < gst_value_list_get_size (v); i++) {
      const GValue *e = gst_value_list_get_value (v, i);
      if (G_VALUE_HOLDS_STRING (e) &&
          g_strcmp0 (g_value_get_string (e), in_fmt) == 0) {
        gst_structure_set (out, "format", G_TYPE_STRING, in_fmt, NULL);
        return;
      }
    }
  }
  gst_structure_fixate_field (out, "format");
}

/* A field downstream left open keeps the input's value. */
static void
fixate_from_input (GstStructure * in, GstStructure * out, const gchar * field)
{
  const GValue *v = gst_structure_get_value (out, field);

  if (v && gst_value_is_fixed (v))
    return;
  if (v) {
    gst_structure_fixate_field (out, field);
    return;
  }
  v = gst_structure_get_value (in, field);
  if (v)
    gst_structure_set_value (out, field, v);
}

/* The input's colorimetry for an output of RGB (rgb) or YUV format: as it
 * is between formats of the same kind; from YUV to RGB the `rgb` matrix at
 * full range, from RGB to YUV the matrix of the primaries at limited range,
 * transfer and primaries kept. */
static void
colorimetry_for_output (GstVideoColorimetry * c, gboolean rgb)
{
  if (rgb == (c->matrix == GST_VIDEO_COLOR_MATRIX_RGB))
    return;
  if (rgb) {
    c->matrix = GST_VIDEO_COLOR_MATRIX_RGB;
    c->range = GST_VIDEO_COLOR_RANGE_0_255;
    return;
  }
  switch (c->primaries) {
    case GST_VIDEO_COLOR_PRIMARIES_BT2020:
      c->matrix = GST_VIDEO_COLOR_MATRIX_BT2020;
      break;
    case GST_VIDEO_COLOR_PRIMARIES_BT470BG:
    case GST_VIDEO_COLOR_PRIMARIES_SMPTE170M:
      c->matrix = GST_VIDEO_COLOR_MATRIX_BT601;
      break;
    default:
      c->matrix = GST_VIDEO_COLOR_MATRIX_BT709;
      break;
  }
  c->range = GST_VIDEO_COLOR_RANGE_16_235;
}

/* Open colorimetry keeps the input's, even where the input caps leave it to
 * GStreamer's size-based default: scaling alone must not change colours.
 * Between YUV and RGB, see colorimetry_for_output. */
static void
fixate_colorimetry (GstCaps * incaps, GstStructure * out)
{
  const GValue *v = gst_structure_get_value (out, "colorimetry");
  const gchar *fmt = gst_structure_get_string (out, "format");
  GstVideoFormat out_format = fmt ? gst_video_format_from_string (fmt) :
      GST_VIDEO_FORMAT_UNKNOWN;
  GstVideoInfo info;
  gchar *c;

  if (v && gst_value_is_fixed (v))
    return;
  if (gst_video_info_from_caps (&info, incaps)) {
    if (out_format != GST_VIDEO_FORMAT_UNKNOWN)
      colorimetry_for_output (&info.colorimetry,
          GST_VIDEO_FORMAT_INFO_IS_RGB (gst_video_format_get_info
              (out_format)));
    if ((c = gst_video_colorimetry_to_string (&info.colorimetry))) {
      GValue want = G_VALUE_INIT;
      g_value_init (&want, G_TYPE_STRING);
      g_value_take_string (&want, c);
      /* Downstream may allow only some colorimetries: then its first. */
      if (!v || gst_value_can_intersect (v, &want))
        gst_structure_set_value (out, "colorimetry", &want);
      g_value_unset (&want);
    }
  }
  if (gst_structure_has_field (out, "colorimetry"))
    gst_structure_fixate_field (out, "colorimetry");
}

/* HDR metadata of the output: none for SDR; for HDR, the input's when the
 * light is unchanged, otherwise the target display's. */
static void
fixate_hdr_metadata (GstEstHdrScale * self, GstCaps * incaps, GstCaps * outcaps)
{
  GstVideoInfo in, out;
  GstStructure *s = gst_caps_get_structure (outcaps, 0);
  gdouble src_peak, dst_peak, sdr_white, fallback, prop_target;

  gst_structure_remove_fields (s, "mastering-display-info",
      "content-light-level", NULL);
  if (!gst_video_info_from_caps (&in, incaps) ||
      !gst_video_info_from_caps (&out, outcaps) ||
      !is_hdr_transfer (out.colorimetry.transfer))
    return;

  GST_OBJECT_LOCK (self);
  sdr_white = self->prop.sdr_white;
  fallback = self->prop.source_peak;
  prop_target = self->prop.target_peak;
  GST_OBJECT_UNLOCK (self);

  src_peak = is_hdr_transfer (in.colorimetry.transfer) ?
      source_peak (self, incaps, fallback, FALSE) : sdr_white;
  dst_peak = target_peak (prop_target, sdr_white, out.colorimetry.transfer);

  if (in.colorimetry.transfer == out.colorimetry.transfer &&
      in.colorimetry.primaries == out.colorimetry.primaries &&
      src_peak <= dst_peak) {
    GstStructure *is = gst_caps_get_structure (incaps, 0);
    const GValue *v;
    if ((v = gst_structure_get_value (is, "mastering-display-info")))
      gst_structure_set_value (s, "mastering-display-info", v);
    if ((v = gst_structure_get_value (is, "content-light-level")))
      gst_structure_set_value (s, "content-light-level", v);
    return;
  }

  /* The target display: the output primaries, D65, the target peak. */
  GstVideoMasteringDisplayInfo mdi;
  GstVideoContentLightLevel cll;
  const GstVideoColorPrimariesInfo *pi =
      gst_video_color_primaries_get_info (out.colorimetry.primaries);
  gdouble prim[4][2] = {
    {pi->Rx, pi->Ry}, {pi->Gx, pi->Gy}, {pi->Bx, pi->By}, {pi->Wx, pi->Wy}
  };
  gdouble peak = MIN (src_peak, dst_peak);

  gst_video_mastering_display_info_init (&mdi);
  /* Units of 0.00002 for chromaticities, 0.0001 cd/m² for luminance. */
  for (int i = 0; i < 3; i++) {
    mdi.display_primaries[i].x = (guint16) (prim[i][0] * 50000 + 0.5);
    mdi.display_primaries[i].y = (guint16) (prim[i][1] * 50000 + 0.5);
  }
  mdi.white_point.x = (guint16) (prim[3][0] * 50000 + 0.5);
  mdi.white_point.y = (guint16) (prim[3][1] * 50000 + 0.5);
  mdi.max_display_mastering_luminance = (guint32) (dst_peak * 10000 + 0.5);
  mdi.min_display_mastering_luminance = 50;     /* 0.005 cd/m² */
  gst_video_mastering_display_info_add_to_caps (&mdi, outcaps);

  gst_video_content_light_level_init (&cll);
  cll.max_content_light_level = (guint16) (peak + 0.5);
  {
    GstVideoContentLightLevel in_cll;
    if (gst_video_content_light_level_from_caps (&in_cll, incaps))
      cll.max_frame_average_light_level =
          MIN (in_cll.max_frame_average_light_level,
          cll.max_content_light_level);
  }
  gst_video_content_light_level_add_to_caps (&cll, outcaps);
}

static GstCaps *
gst_est_hdr_scale_fixate_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * othercaps)
{
  GstEstHdrScale *self = GST_EST_HDR_SCALE (trans);
  GstStructure *in, *out;

  othercaps = gst_caps_truncate (othercaps);
  othercaps = gst_caps_make_writable (othercaps);
  in = gst_caps_get_structure (caps, 0);
  out = gst_caps_get_structure (othercaps, 0);

  fixate_size (in, out);
  fixate_format (in, out);
  fixate_colorimetry (caps, out);
  fixate_from_input (in, out, "chroma-site");
  othercaps = gst_caps_fixate (othercaps);
  if (direction == GST_PAD_SINK)
    fixate_hdr_metadata (self, caps, othercaps);

  GST_DEBUG_OBJECT (trans, "fixated to %" GST_PTR_FORMAT, othercaps);
  return othercaps;
}

/* --- Planning and processing --------------------------------------------- */

static gboolean
plan (GstEstHdrScale * self, GstCaps * incaps, const GstVideoInfo * in_info,
    const GstVideoInfo * out_info)
{
  EstHdrScaleFormat in, out;
  EstHdrScaleParams p = { 0 };
  const gchar *what, *err = NULL;
  gboolean add_borders;

  for (int side = 0; side < 2; side++) {
    const GstVideoInfo *info = side ? out_info : in_info;
    if ((what = colour_from_info (info, side ? &out : &in))) {
      gchar *c = gst_video_colorimetry_to_string (&info->colorimetry);
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
          ("esthdrscale does not support the %s of the %s (colorimetry %s).",
              what, side ? "output" : "input", GST_STR_NULL (c)), (NULL));
      g_free (c);
      return FALSE;
    }
  }

  GST_OBJECT_LOCK (self);
  p.method = self->prop.method;
  p.lanczos_taps = (int) self->prop.taps;
  p.dither = self->prop.dither;
  p.peak_detect = self->prop.peak_detect;
  p.n_threads = (int) self->prop.n_threads;
  p.colour.curve = self->prop.tone_curve;
  p.colour.curve_param = self->prop.tone_curve_param < 0.0 ? NAN :
      self->prop.tone_curve_param;
  p.colour.tone_mode = self->prop.tone_mapping_mode;
  p.colour.gamut_mode = self->prop.gamut_mapping;
  p.colour.sdr_white = self->prop.sdr_white;
  p.colour.dst_peak = target_peak (self->prop.target_peak,
      self->prop.sdr_white, out_info->colorimetry.transfer);
  gdouble fallback = self->prop.source_peak;
  add_borders = self->prop.add_borders;
  self->dirty = FALSE;
  GST_OBJECT_UNLOCK (self);

  p.colour.src_peak = source_peak (self, incaps, fallback,
      !self->warned_metadata);
  self->warned_metadata = TRUE;
  p.cpu_flags = est_cpu_flags ();

  if (add_borders) {
    const EstVideoFormatInfo *fo = est_video_format_info (out.format);
    est_hdr_scale_fit_rect (in.width, in.height, in_info->par_n,
        in_info->par_d, out.width, out.height, out_info->par_n,
        out_info->par_d, fo->shift_x, fo->shift_y, &p.rect_x, &p.rect_y,
        &p.rect_w, &p.rect_h);
  }

  est_hdr_scale_free (self->scale);
  self->scale = est_hdr_scale_new (&in, &out, &p, &err);
  if (!self->scale) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("esthdrscale cannot convert %s to %s: %s.",
            GST_VIDEO_INFO_NAME (in_info), GST_VIDEO_INFO_NAME (out_info),
            err), (NULL));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "%s; peaks %g -> %g cd/m², SDR white %g cd/m²",
      est_hdr_scale_describe (self->scale), p.colour.src_peak,
      p.colour.dst_peak, p.colour.sdr_white);
  return TRUE;
}

static gboolean
gst_est_hdr_scale_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstEstHdrScale *self = GST_EST_HDR_SCALE (filter);

  gboolean passthrough = gst_caps_is_equal (incaps, outcaps);

  self->warned_metadata = FALSE;
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (filter), passthrough);
  est_hdr_scale_free (self->scale);
  self->scale = NULL;
  return passthrough || plan (self, incaps, in_info, out_info);
}

static void
image_from_frame (GstVideoFrame * frame, EstVideoImage * img)
{
  for (guint i = 0; i < 3; i++) {
    if (i < GST_VIDEO_FRAME_N_PLANES (frame)) {
      img->data[i] = GST_VIDEO_FRAME_PLANE_DATA (frame, i);
      img->stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, i);
    } else {
      img->data[i] = NULL;
      img->stride[i] = 0;
    }
  }
}

static GstFlowReturn
gst_est_hdr_scale_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in_frame, GstVideoFrame * out_frame)
{
  GstEstHdrScale *self = GST_EST_HDR_SCALE (filter);
  EstVideoImage src, dst;
  gboolean dirty;

  GST_OBJECT_LOCK (self);
  dirty = self->dirty;
  GST_OBJECT_UNLOCK (self);
  if (dirty || !self->scale) {
    GstCaps *incaps = gst_pad_get_current_caps (GST_BASE_TRANSFORM_SINK_PAD
        (filter));
    gboolean ok = incaps && plan (self, incaps, &filter->in_info,
        &filter->out_info);
    gst_clear_caps (&incaps);
    if (!ok)
      return GST_FLOW_NOT_NEGOTIATED;
  }

  image_from_frame (in_frame, &src);
  image_from_frame (out_frame, &dst);
  est_hdr_scale_process (self->scale, &src, &dst);
  GST_LOG_OBJECT (self, "tone mapped from %g cd/m²",
      est_hdr_scale_source_peak (self->scale));
  return GST_FLOW_OK;
}

/* Peak detection starts afresh after a flush (seek) or a new stream. */
static gboolean
gst_est_hdr_scale_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstEstHdrScale *self = GST_EST_HDR_SCALE (trans);

  if (self->scale && (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP ||
          GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START))
    est_hdr_scale_reset (self->scale);
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean
gst_est_hdr_scale_stop (GstBaseTransform * trans)
{
  GstEstHdrScale *self = GST_EST_HDR_SCALE (trans);

  est_hdr_scale_free (self->scale);
  self->scale = NULL;
  return TRUE;
}

/* --- Properties ---------------------------------------------------------- */

static void
gst_est_hdr_scale_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstEstHdrScale *self = GST_EST_HDR_SCALE (object);
  gboolean caps_change = FALSE;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_METHOD:
      self->prop.method = g_value_get_enum (value);
      break;
    case PROP_TAPS:
      self->prop.taps = g_value_get_uint (value);
      break;
    case PROP_TONE_CURVE:
      self->prop.tone_curve = g_value_get_enum (value);
      break;
    case PROP_TONE_CURVE_PARAM:
      self->prop.tone_curve_param = g_value_get_double (value);
      break;
    case PROP_TONE_MAPPING_MODE:
      self->prop.tone_mapping_mode = g_value_get_enum (value);
      break;
    case PROP_GAMUT_MAPPING:
      self->prop.gamut_mapping = g_value_get_enum (value);
      break;
    case PROP_SOURCE_PEAK:
      self->prop.source_peak = g_value_get_double (value);
      caps_change = TRUE;
      break;
    case PROP_TARGET_PEAK:
      self->prop.target_peak = g_value_get_double (value);
      caps_change = TRUE;
      break;
    case PROP_SDR_WHITE:
      self->prop.sdr_white = g_value_get_double (value);
      caps_change = TRUE;
      break;
    case PROP_PEAK_DETECT:
      self->prop.peak_detect = g_value_get_boolean (value);
      break;
    case PROP_DITHER:
      self->prop.dither = g_value_get_boolean (value);
      break;
    case PROP_ADD_BORDERS:
      self->prop.add_borders = g_value_get_boolean (value);
      break;
    case PROP_N_THREADS:
      self->prop.n_threads = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  self->dirty = TRUE;
  GST_OBJECT_UNLOCK (self);

  /* The peaks decide the output's HDR metadata. */
  if (caps_change)
    gst_base_transform_reconfigure_src (GST_BASE_TRANSFORM (self));
}

static void
gst_est_hdr_scale_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstEstHdrScale *self = GST_EST_HDR_SCALE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_METHOD:
      g_value_set_enum (value, self->prop.method);
      break;
    case PROP_TAPS:
      g_value_set_uint (value, self->prop.taps);
      break;
    case PROP_TONE_CURVE:
      g_value_set_enum (value, self->prop.tone_curve);
      break;
    case PROP_TONE_CURVE_PARAM:
      g_value_set_double (value, self->prop.tone_curve_param);
      break;
    case PROP_TONE_MAPPING_MODE:
      g_value_set_enum (value, self->prop.tone_mapping_mode);
      break;
    case PROP_GAMUT_MAPPING:
      g_value_set_enum (value, self->prop.gamut_mapping);
      break;
    case PROP_SOURCE_PEAK:
      g_value_set_double (value, self->prop.source_peak);
      break;
    case PROP_TARGET_PEAK:
      g_value_set_double (value, self->prop.target_peak);
      break;
    case PROP_SDR_WHITE:
      g_value_set_double (value, self->prop.sdr_white);
      break;
    case PROP_PEAK_DETECT:
      g_value_set_boolean (value, self->prop.peak_detect);
      break;
    case PROP_DITHER:
      g_value_set_boolean (value, self->prop.dither);
      break;
    case PROP_ADD_BORDERS:
      g_value_set_boolean (value, self->prop.add_borders);
      break;
    case PROP_N_THREADS:
      g_value_set_uint (value, self->prop.n_threads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_est_hdr_scale_finalize (GObject * object)
{
  GstEstHdrScale *self = GST_EST_HDR_SCALE (object);

  est_hdr_scale_free (self->scale);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_est_hdr_scale_class_init (GstEstHdrScaleClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = gst_est_hdr_scale_set_property;
  gobject_class->get_property = gst_est_hdr_scale_get_property;
  gobject_class->finalize = gst_est_hdr_scale_finalize;

  properties[PROP_METHOD] = g_param_spec_enum ("method", "Method",
      "Scaling kernel", GST_TYPE_EST_HDR_SCALE_METHOD, DEFAULT_METHOD, rw);
  properties[PROP_TAPS] = g_param_spec_uint ("taps", "Taps",
      "Lobes of the lanczos kernel", 1, 8, DEFAULT_TAPS, rw);
  properties[PROP_TONE_CURVE] = g_param_spec_enum ("tone-curve",
      "Tone curve", "Tone curve used when the source peak exceeds the "
      "target peak", GST_TYPE_EST_HDR_SCALE_TONE_CURVE, DEFAULT_TONE_CURVE, rw);
  properties[PROP_TONE_CURVE_PARAM] = g_param_spec_double ("tone-curve-param",
      "Tone curve parameter", "The curve's knob (reinhard: contrast, "
      "mobius: knee); negative: the curve's default", -1.0, 100.0,
      DEFAULT_TONE_CURVE_PARAM, rw);
  properties[PROP_TONE_MAPPING_MODE] = g_param_spec_enum
      ("tone-mapping-mode", "Tone mapping mode", "What the tone curve is "
      "applied to", GST_TYPE_EST_HDR_SCALE_TONE_MODE,
      DEFAULT_TONE_MAPPING_MODE, rw);
  properties[PROP_GAMUT_MAPPING] = g_param_spec_enum ("gamut-mapping",
      "Gamut mapping", "How colours outside the target gamut are brought in",
      GST_TYPE_EST_HDR_SCALE_GAMUT, DEFAULT_GAMUT_MAPPING, rw);
  properties[PROP_SOURCE_PEAK] = g_param_spec_double ("source-peak",
      "Source peak", "Peak of HDR input in cd/m² when its caps carry no "
      "valid content light level or mastering display metadata", 100.0,
      10000.0, DEFAULT_SOURCE_PEAK, rw);
  properties[PROP_TARGET_PEAK] = g_param_spec_double ("target-peak",
      "Target peak", "Peak of the output display in cd/m²; 0: sdr-white for "
      "SDR output, 1000 for HDR output", 0.0, 10000.0, DEFAULT_TARGET_PEAK, rw);
  properties[PROP_SDR_WHITE] = g_param_spec_double ("sdr-white",
      "SDR white", "Light of SDR signal 100 % in cd/m² (203: BT.2408 HDR "
      "reference white; 100: FFmpeg's npl=100)", 10.0, 1000.0,
      DEFAULT_SDR_WHITE, rw);
  properties[PROP_PEAK_DETECT] = g_param_spec_boolean ("peak-detect",
      "Peak detection", "Tone map to each frame's measured peak, smoothed "
      "over about 20 frames and reset at scene changes, instead of the "
      "static source peak (which stays the ceiling)", DEFAULT_PEAK_DETECT, rw);
  properties[PROP_DITHER] = g_param_spec_boolean ("dither", "Dither",
      "Ordered dither keyed to the pixel position when reducing precision",
      DEFAULT_DITHER, rw);
  properties[PROP_ADD_BORDERS] = g_param_spec_boolean ("add-borders",
      "Add borders", "Keep the display aspect ratio with black borders",
      DEFAULT_ADD_BORDERS, rw);
  properties[PROP_N_THREADS] = g_param_spec_uint ("n-threads", "Threads",
      "Threads for slice processing (0: one per core)", 0, 64,
      DEFAULT_N_THREADS, rw);
  g_object_class_install_properties (gobject_class, N_PROPS, properties);

  gst_element_class_set_static_metadata (element_class,
      "Estuary HDR colour conversion and scaler", "Filter/Converter/Video/"
      "Scaler", "Converts colour spaces, tone maps HDR and scales raw video "
      "up to 8K", "Estuary contributors");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_est_hdr_scale_transform_caps);
  trans_class->fixate_caps = GST_DEBUG_FUNCPTR (gst_est_hdr_scale_fixate_caps);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_est_hdr_scale_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_est_hdr_scale_sink_event);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_est_hdr_scale_set_info);
  filter_class->transform_frame =
      GST_DEBUG_FUNCPTR (gst_est_hdr_scale_transform_frame);

  gst_type_mark_as_plugin_api (GST_TYPE_EST_HDR_SCALE_METHOD, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EST_HDR_SCALE_TONE_CURVE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EST_HDR_SCALE_TONE_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EST_HDR_SCALE_GAMUT, 0);
}

static void
gst_est_hdr_scale_init (GstEstHdrScale * self)
{
  self->prop.method = DEFAULT_METHOD;
  self->prop.taps = DEFAULT_TAPS;
  self->prop.tone_curve = DEFAULT_TONE_CURVE;
  self->prop.tone_curve_param = DEFAULT_TONE_CURVE_PARAM;
  self->prop.tone_mapping_mode = DEFAULT_TONE_MAPPING_MODE;
  self->prop.gamut_mapping = DEFAULT_GAMUT_MAPPING;
  self->prop.source_peak = DEFAULT_SOURCE_PEAK;
  self->prop.target_peak = DEFAULT_TARGET_PEAK;
  self->prop.sdr_white = DEFAULT_SDR_WHITE;
  self->prop.peak_detect = DEFAULT_PEAK_DETECT;
  self->prop.dither = DEFAULT_DITHER;
  self->prop.add_borders = DEFAULT_ADD_BORDERS;
  self->prop.n_threads = DEFAULT_N_THREADS;
}
