/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/**
 * SECTION:element-estquality
 * @title: estquality
 * @short_description: objective quality (PSNR, SSIM, MS-SSIM) of a stream
 *     against its reference
 *
 * estquality compares the frames arriving on its `dist` pad (the distorted
 * stream: an encode, a scale, a tone map) with the frames on its `ref` pad
 * (the reference) and pushes the `dist` frames out of its src pad unchanged,
 * so it can sit inside a pipeline.
 *
 * Metrics, chosen with the #GstEstQuality:metrics property:
 *
 * * PSNR of Y, U and V, and their average weighted by sample count, as
 *   FFmpeg's `psnr` filter computes it (peak 255, 1023 or 4095 for 8, 10 and
 *   12 bits). Identical planes report the cap of 100 dB, never infinity.
 * * SSIM of luma, computed as FFmpeg's `ssim` filter does (8x8 windows on a
 *   4-sample grid), also in dB: -10 log10 (1 - SSIM).
 * * MS-SSIM of luma (Wang et al. 2003: 11x11 Gaussian, five scales), also in
 *   dB. Frames smaller than 176 samples in either direction use fewer
 *   scales, with the weights renormalised; below 11x11 MS-SSIM (and below
 *   8x8 SSIM) is not reported.
 *
 * Frames are paired by running time: a `dist` frame and a `ref` frame pair
 * when their running times differ by at most #GstEstQuality:tolerance (half
 * a frame duration by default). A `dist` frame with no `ref` frame is pushed
 * unmeasured; a `ref` frame with no `dist` frame is dropped; both are
 * counted in the summary. With #GstEstQuality:pairing=index the n-th frame
 * of one pad pairs with the n-th of the other, whatever their timestamps
 * (decoder delay, edit lists). When `ref` ends first, the remaining `dist`
 * frames pass unmeasured; when `dist` ends, the element ends.
 *
 * For every measured frame the element posts an element message named
 * `estquality` with the fields `frame` (guint64, from 0), `timestamp`,
 * `running-time`, `duration` (GstClockTime) and one gdouble per metric
 * computed: `psnr-y`, `psnr-u`, `psnr-v`, `psnr-avg`, `ssim-y`, `ssim-db`,
 * `msssim-y`, `msssim-db`. At end of stream it posts `estquality-summary`
 * with `frames`, `unmatched-ref`, `unmatched-dist` and, for every metric,
 * `<metric>-mean`, `-min`, `-p1` and `-p5` (1st and 5th percentile, nearest
 * rank), plus `psnr-y-global` ... `psnr-avg-global`: FFmpeg's summary figure,
 * the PSNR of the mean squared error over all frames.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m videotestsrc num-buffers=60 ! video/x-raw,width=320,height=240 ! \
 *     tee name=t ! queue ! x264enc ! avdec_h264 ! q.dist \
 *     t. ! queue max-size-time=0 max-size-bytes=0 max-size-buffers=0 ! q.ref \
 *     estquality name=q stats-file=frames.csv summary-file=summary.json ! fakesink
 * ]| Encodes a test pattern, measures the decode against the source and
 * writes per-frame and summary figures.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "estquality.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gst/base/gstaggregator.h>
#include <gst/video/video.h>

#include "quality.h"
#include "stats.h"

GST_DEBUG_CATEGORY_STATIC (gst_est_quality_debug);
#define GST_CAT_DEFAULT gst_est_quality_debug

#define FORMATS "{ I420, Y42B, Y444, I420_10LE, I422_10LE, Y444_10LE, " \
    "I420_12LE, I422_12LE, Y444_12LE }"

static GstStaticPadTemplate ref_templ = GST_STATIC_PAD_TEMPLATE ("ref",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

static GstStaticPadTemplate dist_templ = GST_STATIC_PAD_TEMPLATE ("dist",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

static GstStaticPadTemplate src_templ = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

typedef enum
{
  PAIRING_TIMESTAMP,
  PAIRING_INDEX,
} Pairing;

/* The columns of the stats file and the metrics of the summary, in order. */
typedef enum
{
  COL_PSNR_Y,
  COL_PSNR_U,
  COL_PSNR_V,
  COL_PSNR_AVG,
  COL_SSIM_Y,
  COL_SSIM_DB,
  COL_MSSSIM_Y,
  COL_MSSSIM_DB,
  N_COLS
} Column;

static const struct
{
  const gchar *name;            /* message field and CSV column */
  EstMetric metric;
} columns[N_COLS] = {
  {"psnr-y", EST_METRIC_PSNR},
  {"psnr-u", EST_METRIC_PSNR},
  {"psnr-v", EST_METRIC_PSNR},
  {"psnr-avg", EST_METRIC_PSNR},
  {"ssim-y", EST_METRIC_SSIM},
  {"ssim-db", EST_METRIC_SSIM},
  {"msssim-y", EST_METRIC_MSSSIM},
  {"msssim-db", EST_METRIC_MSSSIM},
};

struct _GstEstQuality
{
  GstAggregator parent;

  GstAggregatorPad *ref_pad, *dist_pad;

  struct
  {
    guint metrics;
    Pairing pairing;
    GstClockTime tolerance;
    gint threads;
    gchar *stats_file;
    gchar *summary_file;
  } prop;

  /* Streaming state, touched only from the aggregate thread (and start and
   * stop, when that thread is not running). */
  GstVideoInfo ref_info, dist_info;
  gboolean have_ref_info, have_dist_info;
  gboolean mismatch;            /* the two infos cannot be compared */
  EstQuality *quality;
  unsigned metrics;             /* what quality reports */
  guint metrics_wanted;         /* prop.metrics when quality was made */
  gint threads;
  Pairing pairing;
  GstClockTime tolerance;
  GstSegment out_segment;
  FILE *stats;
  gchar *summary_path;
  guint64 frames, unmatched_ref, unmatched_dist;
  GArray *values[N_COLS];       /* per-frame values, gdouble */
  gdouble mse_sum[4];           /* Y, U, V, average: for the global PSNR */
  gboolean warned_no_ref, warned_no_ts;
  gboolean finished;
};

enum
{
  PROP_0,
  PROP_METRICS,
  PROP_PAIRING,
  PROP_TOLERANCE,
  PROP_THREADS,
  PROP_STATS_FILE,
  PROP_SUMMARY_FILE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define DEFAULT_METRICS (EST_METRIC_PSNR | EST_METRIC_SSIM | EST_METRIC_MSSSIM)
#define DEFAULT_PAIRING PAIRING_TIMESTAMP
#define DEFAULT_TOLERANCE GST_CLOCK_TIME_NONE
#define DEFAULT_THREADS 0
/* Tolerance when neither caps nor buffers give a frame duration. */
#define FALLBACK_TOLERANCE GST_MSECOND

#define GST_TYPE_EST_QUALITY_METRICS (gst_est_quality_metrics_get_type ())
static GType
gst_est_quality_metrics_get_type (void)
{
  static GType type = 0;
  static const GFlagsValue values[] = {
    {EST_METRIC_PSNR, "PSNR of Y, U, V and their average", "psnr"},
    {EST_METRIC_SSIM, "SSIM of luma (FFmpeg's 8x8 windows)", "ssim"},
    {EST_METRIC_MSSSIM, "MS-SSIM of luma (5 scales)", "ms-ssim"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_flags_register_static ("GstEstQualityMetrics", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_EST_QUALITY_PAIRING (gst_est_quality_pairing_get_type ())
static GType
gst_est_quality_pairing_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {PAIRING_TIMESTAMP, "Pair frames whose running times match within the "
          "tolerance", "timestamp"},
    {PAIRING_INDEX, "Pair the n-th frame of each pad", "index"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstEstQualityPairing", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define gst_est_quality_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstEstQuality, gst_est_quality, GST_TYPE_AGGREGATOR,
    GST_DEBUG_CATEGORY_INIT (gst_est_quality_debug, "estquality", 0,
        "Estuary quality metrics"));
GST_ELEMENT_REGISTER_DEFINE (estquality, "estquality", GST_RANK_NONE,
    GST_TYPE_EST_QUALITY);

static const gchar *
pad_role (GstEstQuality * self, GstAggregatorPad * pad)
{
  return pad == self->ref_pad ? "ref" : "dist";
}

/* Pads must agree on everything the metrics read. */
static gboolean
check_infos (GstEstQuality * self)
{
  const GstVideoInfo *r = &self->ref_info, *d = &self->dist_info;

  self->mismatch = FALSE;
  if (!self->have_ref_info || !self->have_dist_info)
    return TRUE;
  if (GST_VIDEO_INFO_FORMAT (r) == GST_VIDEO_INFO_FORMAT (d) &&
      GST_VIDEO_INFO_WIDTH (r) == GST_VIDEO_INFO_WIDTH (d) &&
      GST_VIDEO_INFO_HEIGHT (r) == GST_VIDEO_INFO_HEIGHT (d))
    return TRUE;

  /* Buffers queued behind the caps event still reach aggregate: it must
   * refuse them, not read one format as the other. */
  self->mismatch = TRUE;

  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("The reference and distorted streams differ: ref is %dx%d %s, "
          "dist is %dx%d %s.", GST_VIDEO_INFO_WIDTH (r),
          GST_VIDEO_INFO_HEIGHT (r), GST_VIDEO_INFO_NAME (r),
          GST_VIDEO_INFO_WIDTH (d), GST_VIDEO_INFO_HEIGHT (d),
          GST_VIDEO_INFO_NAME (d)),
      ("Both pads need the same size and format; convert or scale one "
          "stream before estquality."));
  return FALSE;
}

static gboolean
gst_est_quality_sink_event (GstAggregator * agg, GstAggregatorPad * pad,
    GstEvent * event)
{
  GstEstQuality *self = GST_EST_QUALITY (agg);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    GstVideoInfo info;
    gboolean is_ref = pad == self->ref_pad;

    gst_event_parse_caps (event, &caps);
    if (!gst_video_info_from_caps (&info, caps)) {
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
          ("Invalid video caps on the %s pad.", pad_role (self, pad)),
          ("%" GST_PTR_FORMAT, caps));
      gst_event_unref (event);
      return FALSE;
    }
    GST_DEBUG_OBJECT (pad, "caps %" GST_PTR_FORMAT, caps);
    if (is_ref) {
      self->ref_info = info;
      self->have_ref_info = TRUE;
    } else {
      self->dist_info = info;
      self->have_dist_info = TRUE;
      gst_pad_mark_reconfigure (GST_AGGREGATOR_SRC_PAD (agg));
    }
    /* A new size or format needs a new measurer. */
    g_clear_pointer (&self->quality, est_quality_free);
    gst_event_unref (event);
    return check_infos (self);
  }

  return GST_AGGREGATOR_CLASS (parent_class)->sink_event (agg, pad, event);
}

/* Output caps follow the dist pad. */
static GstFlowReturn
gst_est_quality_update_src_caps (GstAggregator * agg, GstCaps * downstream,
    GstCaps ** ret)
{
  GstEstQuality *self = GST_EST_QUALITY (agg);
  GstCaps *caps = gst_pad_get_current_caps (GST_PAD (self->dist_pad));

  if (!caps)
    return GST_AGGREGATOR_FLOW_NEED_DATA;
  if (!gst_caps_can_intersect (caps, downstream)) {
    gst_caps_unref (caps);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  *ret = caps;
  return GST_FLOW_OK;
}

static gboolean
gst_est_quality_sink_query (GstAggregator * agg, GstAggregatorPad * pad,
    GstQuery * query)
{
  /* Buffers pass from dist to src unchanged: let downstream answer the
   * allocation query for them. */
  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION &&
      pad == GST_EST_QUALITY (agg)->dist_pad)
    return gst_pad_peer_query (GST_AGGREGATOR_SRC_PAD (agg), query);

  return GST_AGGREGATOR_CLASS (parent_class)->sink_query (agg, pad, query);
}

static gboolean
make_quality (GstEstQuality * self)
{
  const GstVideoInfo *info = &self->dist_info;
  const GstVideoFormatInfo *finfo = info->finfo;
  EstQualityConfig cfg = {
    .width = GST_VIDEO_INFO_WIDTH (info),
    .height = GST_VIDEO_INFO_HEIGHT (info),
    .chroma_shift_x = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, 1),
    .chroma_shift_y = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, 1),
    .n_planes = 3,
    .depth = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0),
    .metrics = self->metrics_wanted,
    .threads = self->threads,
  };

  self->quality = est_quality_new (&cfg);
  if (!self->quality) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not set up the quality metrics for %dx%d %s.", cfg.width,
            cfg.height, GST_VIDEO_INFO_NAME (info)),
        ("Out of memory or threads (threads=%d).", cfg.threads));
    return FALSE;
  }
  self->metrics = est_quality_metrics (self->quality);
  if (self->metrics != cfg.metrics)
    GST_WARNING_OBJECT (self, "%dx%d is too small for some metrics: "
        "computing 0x%x of 0x%x", cfg.width, cfg.height, self->metrics,
        cfg.metrics);
  return TRUE;
}

static gdouble
column_value (const EstQualityResult * r, Column c)
{
  switch (c) {
    case COL_PSNR_Y:
    case COL_PSNR_U:
    case COL_PSNR_V:
      return r->psnr[c - COL_PSNR_Y];
    case COL_PSNR_AVG:
      return r->psnr_avg;
    case COL_SSIM_Y:
      return r->ssim;
    case COL_SSIM_DB:
      return est_quality_db (r->ssim);
    case COL_MSSSIM_Y:
      return r->msssim;
    case COL_MSSSIM_DB:
      return est_quality_db (r->msssim);
    default:
      g_assert_not_reached ();
  }
  return 0.0;
}

static void
record_frame (GstEstQuality * self, GstBuffer * dist, GstClockTime running,
    const EstQualityResult * r)
{
  GstClockTime pts = GST_BUFFER_PTS (dist);
  GstStructure *s = gst_structure_new ("estquality",
      "frame", G_TYPE_UINT64, self->frames,
      "timestamp", G_TYPE_UINT64, pts,
      "running-time", G_TYPE_UINT64, running,
      "duration", G_TYPE_UINT64, GST_BUFFER_DURATION (dist), NULL);

  if (self->stats) {
    if (GST_CLOCK_TIME_IS_VALID (pts))
      fprintf (self->stats, "%" G_GUINT64_FORMAT ",%.9f", self->frames,
          (gdouble) pts / GST_SECOND);
    else
      fprintf (self->stats, "%" G_GUINT64_FORMAT ",", self->frames);
  }

  for (Column c = 0; c < N_COLS; c++) {
    gboolean have = (self->metrics & columns[c].metric) != 0;
    gdouble v = have ? column_value (r, c) : 0.0;

    if (have) {
      gst_structure_set (s, columns[c].name, G_TYPE_DOUBLE, v, NULL);
      g_array_append_val (self->values[c], v);
    }
    if (self->stats) {
      if (have)
        fprintf (self->stats, ",%.6f", v);
      else
        fputc (',', self->stats);
    }
  }
  if (self->stats)
    fputc ('\n', self->stats);

  if (self->metrics & EST_METRIC_PSNR) {
    for (int p = 0; p < 3; p++)
      self->mse_sum[p] += r->mse[p];
    self->mse_sum[3] += r->mse_avg;
  }
  self->frames++;

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static gboolean
measure (GstEstQuality * self, GstBuffer * ref, GstBuffer * dist,
    GstClockTime running)
{
  GstVideoFrame rf, df;
  EstQualityResult result;

  if (!self->quality && !make_quality (self))
    return FALSE;

  if (!gst_video_frame_map (&rf, &self->ref_info, ref, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("A reference buffer is smaller than its caps say."), (NULL));
    return FALSE;
  }
  if (!gst_video_frame_map (&df, &self->dist_info, dist, GST_MAP_READ)) {
    gst_video_frame_unmap (&rf);
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("A distorted buffer is smaller than its caps say."), (NULL));
    return FALSE;
  }

  EstQualityPicture rp, dp;
  for (int p = 0; p < 3; p++) {
    rp.data[p] = GST_VIDEO_FRAME_PLANE_DATA (&rf, p);
    rp.stride[p] = GST_VIDEO_FRAME_PLANE_STRIDE (&rf, p);
    dp.data[p] = GST_VIDEO_FRAME_PLANE_DATA (&df, p);
    dp.stride[p] = GST_VIDEO_FRAME_PLANE_STRIDE (&df, p);
  }
  est_quality_compute (self->quality, &rp, &dp, &result);
  gst_video_frame_unmap (&df);
  gst_video_frame_unmap (&rf);

  record_frame (self, dist, running, &result);
  return TRUE;
}

static void
summary_add (GstEstQuality * self, GstStructure * s, GString * json)
{
  for (Column c = 0; c < N_COLS; c++) {
    EstStatsSummary sum;
    GArray *a = self->values[c];
    gdouble *copy;
    gchar *key;

    if (!(self->metrics & columns[c].metric) || a->len == 0)
      continue;
    copy = g_memdup2 (a->data, sizeof (gdouble) * a->len);
    est_stats_summarize (copy, a->len, &sum);
    g_free (copy);

    static const char *const stat_names[] = { "mean", "min", "p1", "p5" };
    const gdouble stat_values[] = { sum.mean, sum.min, sum.p1, sum.p5 };
    gchar *json_name = g_strdelimit (g_strdup (columns[c].name), "-", '_');
    g_string_append_printf (json, ",\n  \"%s\": {", json_name);
    for (guint i = 0; i < G_N_ELEMENTS (stat_names); i++) {
      key = g_strdup_printf ("%s-%s", columns[c].name, stat_names[i]);
      gst_structure_set (s, key, G_TYPE_DOUBLE, stat_values[i], NULL);
      g_free (key);
      g_string_append_printf (json, "%s\"%s\": %.6f", i ? ", " : "",
          stat_names[i], stat_values[i]);
    }
    if (c <= COL_PSNR_AVG) {
      gdouble global = est_quality_psnr (self->mse_sum[c] / self->frames,
          GST_VIDEO_INFO_COMP_DEPTH (&self->dist_info, 0));
      key = g_strdup_printf ("%s-global", columns[c].name);
      gst_structure_set (s, key, G_TYPE_DOUBLE, global, NULL);
      g_free (key);
      g_string_append_printf (json, ", \"global\": %.6f", global);
    }
    g_string_append (json, "}");
    g_free (json_name);
  }
}

/* Posts the summary and writes the summary file. Once per stream. */
static void
finish (GstEstQuality * self)
{
  GstStructure *s;
  GString *json;

  if (self->finished)
    return;
  self->finished = TRUE;

  s = gst_structure_new ("estquality-summary",
      "frames", G_TYPE_UINT64, self->frames,
      "unmatched-ref", G_TYPE_UINT64, self->unmatched_ref,
      "unmatched-dist", G_TYPE_UINT64, self->unmatched_dist, NULL);
  json = g_string_new (NULL);
  g_string_append_printf (json, "{\n  \"frames\": %" G_GUINT64_FORMAT
      ",\n  \"unmatched_ref\": %" G_GUINT64_FORMAT
      ",\n  \"unmatched_dist\": %" G_GUINT64_FORMAT, self->frames,
      self->unmatched_ref, self->unmatched_dist);
  if (self->frames > 0)
    summary_add (self, s, json);
  g_string_append (json, "\n}\n");

  GST_INFO_OBJECT (self, "summary %" GST_PTR_FORMAT, s);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));

  if (self->summary_path) {
    GError *err = NULL;
    if (!g_file_set_contents (self->summary_path, json->str, json->len, &err)) {
      GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
          ("Could not write the summary file \"%s\".", self->summary_path),
          ("%s", err->message));
      g_clear_error (&err);
    }
  }
  g_string_free (json, TRUE);
}

static GstClockTime
running_time (GstAggregatorPad * pad, GstBuffer * buf)
{
  GstClockTime ts = GST_BUFFER_PTS (buf);
  if (!GST_CLOCK_TIME_IS_VALID (ts) || pad->segment.format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (&pad->segment, GST_FORMAT_TIME, ts);
}

static GstClockTime
pairing_tolerance (GstEstQuality * self, GstBuffer * dist)
{
  const GstVideoInfo *info = &self->dist_info;

  if (GST_CLOCK_TIME_IS_VALID (self->tolerance))
    return self->tolerance;
  if (GST_VIDEO_INFO_FPS_N (info) > 0 && GST_VIDEO_INFO_FPS_D (info) > 0)
    return gst_util_uint64_scale_int (GST_SECOND / 2,
        GST_VIDEO_INFO_FPS_D (info), GST_VIDEO_INFO_FPS_N (info));
  if (GST_BUFFER_DURATION_IS_VALID (dist))
    return GST_BUFFER_DURATION (dist) / 2;
  return FALLBACK_TOLERANCE;
}

/* Pushes the head dist buffer downstream, in the dist pad's segment. */
static GstFlowReturn
push_dist (GstEstQuality * self)
{
  GstAggregator *agg = GST_AGGREGATOR (self);
  GstBuffer *buf = gst_aggregator_pad_pop_buffer (self->dist_pad);

  if (!gst_segment_is_equal (&self->out_segment, &self->dist_pad->segment)) {
    gst_segment_copy_into (&self->dist_pad->segment, &self->out_segment);
    gst_aggregator_update_segment (agg, &self->out_segment);
  }
  return gst_aggregator_finish_buffer (agg, buf);
}

static GstFlowReturn
gst_est_quality_aggregate (GstAggregator * agg, gboolean timeout)
{
  GstEstQuality *self = GST_EST_QUALITY (agg);
  GstBuffer *ref = NULL, *dist = NULL;
  GstFlowReturn ret = GST_FLOW_OK;
  GstClockTime ref_rt, dist_rt;

  dist = gst_aggregator_pad_peek_buffer (self->dist_pad);
  if (!dist) {
    if (gst_aggregator_pad_is_eos (self->dist_pad)) {
      GST_DEBUG_OBJECT (self, "dist ended after %" G_GUINT64_FORMAT
          " measured frames", self->frames);
      finish (self);
      return GST_FLOW_EOS;
    }
    return GST_AGGREGATOR_FLOW_NEED_DATA;
  }

  ref = gst_aggregator_pad_peek_buffer (self->ref_pad);
  if (!ref) {
    if (!gst_aggregator_pad_is_eos (self->ref_pad)) {
      gst_buffer_unref (dist);
      return GST_AGGREGATOR_FLOW_NEED_DATA;
    }
    if (!self->warned_no_ref) {
      GST_WARNING_OBJECT (self, "ref ended first: the remaining dist frames "
          "pass unmeasured");
      self->warned_no_ref = TRUE;
    }
    self->unmatched_dist++;
    gst_buffer_unref (dist);
    return push_dist (self);
  }

  if (!self->have_ref_info || !self->have_dist_info || self->mismatch) {
    ret = GST_FLOW_NOT_NEGOTIATED;
    goto out;
  }

  ref_rt = running_time (self->ref_pad, ref);
  dist_rt = running_time (self->dist_pad, dist);
  gst_aggregator_selected_samples (agg, GST_BUFFER_PTS (dist),
      GST_BUFFER_DTS (dist), GST_BUFFER_DURATION (dist), NULL);

  if (self->pairing == PAIRING_TIMESTAMP &&
      GST_CLOCK_TIME_IS_VALID (ref_rt) && GST_CLOCK_TIME_IS_VALID (dist_rt)) {
    GstClockTime tol = pairing_tolerance (self, dist);
    if (dist_rt + tol < ref_rt) {
      GST_LOG_OBJECT (self, "dist %" GST_TIME_FORMAT " has no ref frame",
          GST_TIME_ARGS (dist_rt));
      self->unmatched_dist++;
      ret = push_dist (self);
      goto out;
    }
    if (ref_rt + tol < dist_rt) {
      GST_LOG_OBJECT (self, "ref %" GST_TIME_FORMAT " has no dist frame",
          GST_TIME_ARGS (ref_rt));
      self->unmatched_ref++;
      gst_aggregator_pad_drop_buffer (self->ref_pad);
      goto out;
    }
  } else if (self->pairing == PAIRING_TIMESTAMP && !self->warned_no_ts) {
    GST_WARNING_OBJECT (self, "frames without timestamps or time segments: "
        "pairing by index");
    self->warned_no_ts = TRUE;
  }

  if (!measure (self, ref, dist, dist_rt)) {
    ret = GST_FLOW_ERROR;
    goto out;
  }
  gst_aggregator_pad_drop_buffer (self->ref_pad);
  ret = push_dist (self);

out:
  gst_buffer_unref (ref);
  gst_buffer_unref (dist);
  return ret;
}

static gboolean
gst_est_quality_start (GstAggregator * agg)
{
  GstEstQuality *self = GST_EST_QUALITY (agg);
  gchar *stats_path;

  GST_OBJECT_LOCK (self);
  self->metrics_wanted = self->prop.metrics;
  self->pairing = self->prop.pairing;
  self->tolerance = self->prop.tolerance;
  self->threads = self->prop.threads;
  stats_path = g_strdup (self->prop.stats_file);
  self->summary_path = g_strdup (self->prop.summary_file);
  GST_OBJECT_UNLOCK (self);

  self->frames = self->unmatched_ref = self->unmatched_dist = 0;
  memset (self->mse_sum, 0, sizeof (self->mse_sum));
  self->warned_no_ref = self->warned_no_ts = self->finished = FALSE;
  gst_segment_init (&self->out_segment, GST_FORMAT_UNDEFINED);
  for (Column c = 0; c < N_COLS; c++)
    self->values[c] = g_array_new (FALSE, FALSE, sizeof (gdouble));

  if (stats_path) {
    self->stats = fopen (stats_path, "w");
    if (!self->stats) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
          ("Could not open the stats file \"%s\" for writing.", stats_path),
          ("%s", g_strerror (errno)));
      g_free (stats_path);
      return FALSE;
    }
    fputs ("frame,pts", self->stats);
    for (Column c = 0; c < N_COLS; c++) {
      gchar *col = g_strdelimit (g_strdup (columns[c].name), "-", '_');
      fprintf (self->stats, ",%s", col);
      g_free (col);
    }
    fputc ('\n', self->stats);
  }
  g_free (stats_path);
  return TRUE;
}

static gboolean
gst_est_quality_stop (GstAggregator * agg)
{
  GstEstQuality *self = GST_EST_QUALITY (agg);

  if (self->stats) {
    fclose (self->stats);
    self->stats = NULL;
  }
  g_clear_pointer (&self->quality, est_quality_free);
  g_clear_pointer (&self->summary_path, g_free);
  for (Column c = 0; c < N_COLS; c++)
    g_clear_pointer (&self->values[c], g_array_unref);
  self->have_ref_info = self->have_dist_info = self->mismatch = FALSE;
  return TRUE;
}

static gboolean
gst_est_quality_flush (GstAggregator * agg)
{
  GstEstQuality *self = GST_EST_QUALITY (agg);

  /* A flushing seek starts a new measurement. */
  self->finished = FALSE;
  return GST_AGGREGATOR_CLASS (parent_class)->flush (agg);
}

static GstAggregatorPad *
add_sink_pad (GstEstQuality * self, GstStaticPadTemplate * templ)
{
  GstPadTemplate *t = gst_static_pad_template_get (templ);
  GstAggregatorPad *pad = g_object_new (GST_TYPE_AGGREGATOR_PAD,
      "name", templ->name_template, "direction", GST_PAD_SINK,
      "template", t, NULL);

  gst_object_unref (t);
  gst_element_add_pad (GST_ELEMENT (self), GST_PAD (pad));
  return pad;
}

static void
gst_est_quality_init (GstEstQuality * self)
{
  self->prop.metrics = DEFAULT_METRICS;
  self->prop.pairing = DEFAULT_PAIRING;
  self->prop.tolerance = DEFAULT_TOLERANCE;
  self->prop.threads = DEFAULT_THREADS;
  self->ref_pad = add_sink_pad (self, &ref_templ);
  self->dist_pad = add_sink_pad (self, &dist_templ);
}

static void
gst_est_quality_finalize (GObject * object)
{
  GstEstQuality *self = GST_EST_QUALITY (object);

  g_free (self->prop.stats_file);
  g_free (self->prop.summary_file);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_est_quality_set_property (GObject * object, guint id,
    const GValue * value, GParamSpec * pspec)
{
  GstEstQuality *self = GST_EST_QUALITY (object);

  GST_OBJECT_LOCK (self);
  switch (id) {
    case PROP_METRICS:
      self->prop.metrics = g_value_get_flags (value);
      break;
    case PROP_PAIRING:
      self->prop.pairing = g_value_get_enum (value);
      break;
    case PROP_TOLERANCE:
      self->prop.tolerance = g_value_get_uint64 (value);
      break;
    case PROP_THREADS:
      self->prop.threads = g_value_get_int (value);
      break;
    case PROP_STATS_FILE:
      g_free (self->prop.stats_file);
      self->prop.stats_file = g_value_dup_string (value);
      break;
    case PROP_SUMMARY_FILE:
      g_free (self->prop.summary_file);
      self->prop.summary_file = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_est_quality_get_property (GObject * object, guint id, GValue * value,
    GParamSpec * pspec)
{
  GstEstQuality *self = GST_EST_QUALITY (object);

  GST_OBJECT_LOCK (self);
  switch (id) {
    case PROP_METRICS:
      g_value_set_flags (value, self->prop.metrics);
      break;
    case PROP_PAIRING:
      g_value_set_enum (value, self->prop.pairing);
      break;
    case PROP_TOLERANCE:
      g_value_set_uint64 (value, self->prop.tolerance);
      break;
    case PROP_THREADS:
      g_value_set_int (value, self->prop.threads);
      break;
    case PROP_STATS_FILE:
      g_value_set_string (value, self->prop.stats_file);
      break;
    case PROP_SUMMARY_FILE:
      g_value_set_string (value, self->prop.summary_file);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_est_quality_class_init (GstEstQualityClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS (klass);
  const GParamFlags rw_ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = gst_est_quality_set_property;
  gobject_class->get_property = gst_est_quality_get_property;
  gobject_class->finalize = gst_est_quality_finalize;

  properties[PROP_METRICS] = g_param_spec_flags ("metrics", "Metrics",
      "Metrics to compute", GST_TYPE_EST_QUALITY_METRICS, DEFAULT_METRICS,
      rw_ready);
  properties[PROP_PAIRING] = g_param_spec_enum ("pairing", "Pairing",
      "How frames of the two pads are paired", GST_TYPE_EST_QUALITY_PAIRING,
      DEFAULT_PAIRING, rw_ready);
  properties[PROP_TOLERANCE] = g_param_spec_uint64 ("tolerance", "Tolerance",
      "Largest running-time difference (ns) of a timestamp pair; "
      "-1 = half the frame duration", 0, G_MAXUINT64, DEFAULT_TOLERANCE,
      rw_ready);
  properties[PROP_THREADS] = g_param_spec_int ("threads", "Threads",
      "Threads computing the metrics (0 = one per CPU)", 0, 256,
      DEFAULT_THREADS, rw_ready);
  properties[PROP_STATS_FILE] = g_param_spec_string ("stats-file",
      "Stats file", "CSV file for per-frame values (NULL = none)", NULL,
      rw_ready);
  properties[PROP_SUMMARY_FILE] = g_param_spec_string ("summary-file",
      "Summary file", "JSON file for the summary at end of stream "
      "(NULL = none)", NULL, rw_ready);
  g_object_class_install_properties (gobject_class, N_PROPS, properties);

  gst_element_class_set_static_metadata (element_class,
      "Estuary quality meter", "Filter/Analyzer/Video",
      "Measures PSNR, SSIM and MS-SSIM of a distorted stream against its "
      "reference", "Estuary contributors");
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &ref_templ, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &dist_templ, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template (element_class, &src_templ);

  agg_class->sink_event = gst_est_quality_sink_event;
  agg_class->sink_query = gst_est_quality_sink_query;
  agg_class->update_src_caps = gst_est_quality_update_src_caps;
  agg_class->aggregate = gst_est_quality_aggregate;
  agg_class->start = gst_est_quality_start;
  agg_class->stop = gst_est_quality_stop;
  agg_class->flush = gst_est_quality_flush;

  gst_type_mark_as_plugin_api (GST_TYPE_EST_QUALITY_METRICS, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EST_QUALITY_PAIRING, 0);
}
