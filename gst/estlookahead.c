/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/**
 * SECTION:element-estlookahead
 * @title: estlookahead
 * @short_description: content analysis that tells the encoder after it
 *     where to spend bits
 *
 * Holds #GstEstLookahead:lookahead-depth frames, analyses them on a
 * downscaled luma copy (intra and inter cost after motion search, texture,
 * brightness, scene cuts, flashes, fades, still content) and pushes each
 * frame unchanged with a #GstEstRcMeta: a key-frame hint at scene cuts, a
 * frame-level QP offset and a per-block QP-offset map (macroblock-tree
 * propagation over the frames held, and adaptive quantisation). The
 * Estuary encoders apply the meta and, told by a query that estlookahead
 * is upstream, turn their own scene-cut detection, adaptive quantisation
 * and macroblock-tree off. For other encoders the element can add
 * #GstVideoRegionOfInterestMeta (`roi/estuary`, `delta-qp`) and send
 * force-key-unit events at its key frames.
 *
 * In `mode=target-quality` it also chooses, per scene, the CRF at which
 * the encoder reaches #GstEstLookahead:target-quality (MS-SSIM of luma in
 * dB), from a few probe encodes of the downscaled copies of the scene's
 * frames in the window, and puts it in the meta's `quality`; the Estuary
 * encoders in `rate-control=crf` follow it.
 *
 * An element message `estlookahead-scene` is posted at the end of each
 * scene with its frames and what was decided.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=in.y4m ! y4mdec ! \
 *     estlookahead lookahead-depth=25 ! esth264enc rate-control=cbr \
 *     bitrate=2000 tune=zerolatency ! h264parse ! mp4mux ! \
 *     filesink location=out.mp4
 * gst-launch-1.0 filesrc location=in.y4m ! y4mdec ! \
 *     estlookahead mode=target-quality target-quality=18 ! \
 *     esth264enc rate-control=crf ! h264parse ! mp4mux ! \
 *     filesink location=out.mp4
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "estlookahead.h"

#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "cpu.h"
#include "estrcmeta.h"
#include "lookahead.h"
#include "qpoverlay.h"
#include "qualityprobe.h"

GST_DEBUG_CATEGORY_STATIC (gst_est_lookahead_debug);
#define GST_CAT_DEFAULT gst_est_lookahead_debug

#define FORMATS "{ I420, YV12, NV12, NV21, Y42B, Y444, GRAY8, I420_10LE, " \
    "I422_10LE, Y444_10LE, P010_10LE, I420_12LE, I422_12LE, Y444_12LE }"

static GstStaticPadTemplate sink_templ = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

static GstStaticPadTemplate src_templ = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

#define DEFAULT_DEPTH 25
#define DEFAULT_MODE EST_LOOKAHEAD_MODE_FULL
#define DEFAULT_STRENGTH 1.0
#define DEFAULT_AQ_MODE EST_LOOKAHEAD_AQ_VARIANCE
#define DEFAULT_KEY_INT 0
#define DEFAULT_KEY_INT_MAX 250
#define DEFAULT_TARGET_QUALITY 18.0
/* Encoders that read ROI meta limit the count (Intel's: 256). */
#define MAX_ROIS 255

typedef struct
{
  gboolean open;
  guint index;
  guint64 start;
  GstClockTime start_time;
  guint frames, still, keys;
  gdouble intra, inter, qp;
  gdouble quality;              /* target-quality: the CRF chosen, else < 0 */
} Scene;

struct _GstEstLookahead
{
  GstElement parent;
  GstPad *sinkpad, *srcpad;

  struct
  {
    guint depth;
    EstLookaheadMode mode;
    EstLookaheadAqMode aq_mode;
    gdouble aq_strength, dark_strength, propagation_strength;
    guint key_int, key_int_max;
    gboolean roi_meta, force_key_units, overlay;
    gdouble target_quality;
  } prop;                       /* under the object lock */
  /* The speed preset the Estuary encoder downstream said it uses (the
   * query), for the probes; under the object lock. */
  EstSpeedPreset encoder_preset;

  /* Streaming thread only. */
  GstVideoInfo info;
  EstLookahead *la;
  GQueue queue;                 /* GstBuffer and serialized GstEvent, in order */
  guint held;                   /* buffers in queue */
  guint depth;                  /* of the running analysis */
  EstLookaheadMode mode;
  gboolean roi_meta, force_key_units, overlay;
  guint64 out_frames;
  GstClockTime last_end;
  Scene scene;
  /* target-quality */
  gdouble target;               /* MS-SSIM dB */
  EstQualityProbe *probe;       /* NULL in the other modes */
  gboolean probe_failed;        /* warned once */
  gint tq_scene;                /* scene the CRF below is for; -1: none */
  gdouble tq_crf;               /* < 0: none yet */
};

enum
{
  PROP_0,
  PROP_DEPTH,
  PROP_MODE,
  PROP_AQ_MODE,
  PROP_AQ_STRENGTH,
  PROP_DARK_STRENGTH,
  PROP_PROPAGATION_STRENGTH,
  PROP_KEY_INT,
  PROP_KEY_INT_MAX,
  PROP_ROI_META,
  PROP_FORCE_KEY_UNITS,
  PROP_OVERLAY,
  PROP_TARGET_QUALITY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define GST_TYPE_EST_LOOKAHEAD_MODE (gst_est_lookahead_mode_get_type ())
static GType
gst_est_lookahead_mode_get_type (void)
{
  static GType type;
  static const GEnumValue values[] = {
    {EST_LOOKAHEAD_MODE_AQ, "Per-block offsets from texture and brightness "
          "only", "aq"},
    {EST_LOOKAHEAD_MODE_FULL, "Offsets with temporal propagation, frame "
          "offsets and scene-aware key frames", "full"},
    {EST_LOOKAHEAD_MODE_TARGET_QUALITY, "As full, and per scene the "
          "encoder quality (CRF) that reaches target-quality, from probe "
          "encodes of the downscaled copy", "target-quality"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstEstLookaheadMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_EST_LOOKAHEAD_AQ_MODE (gst_est_lookahead_aq_mode_get_type ())
static GType
gst_est_lookahead_aq_mode_get_type (void)
{
  static GType type;
  static const GEnumValue values[] = {
    {EST_LOOKAHEAD_AQ_VARIANCE, "Variance: x264's aq-mode 1", "variance"},
    {EST_LOOKAHEAD_AQ_AUTO_VARIANCE, "Auto-variance: x264's aq-mode 2, "
          "relative to the frame", "auto-variance"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstEstLookaheadAqMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define gst_est_lookahead_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstEstLookahead, gst_est_lookahead,
    GST_TYPE_ELEMENT, GST_DEBUG_CATEGORY_INIT (gst_est_lookahead_debug,
        "estlookahead", 0, "Estuary lookahead"));
GST_ELEMENT_REGISTER_DEFINE (estlookahead, "estlookahead", GST_RANK_NONE,
    GST_TYPE_EST_LOOKAHEAD);

static const gchar *
key_name (EstLookaheadKey key)
{
  switch (key) {
    case EST_LOOKAHEAD_KEY_START:
      return "start";
    case EST_LOOKAHEAD_KEY_CUT:
      return "cut";
    case EST_LOOKAHEAD_KEY_INTERVAL:
      return "key-int";
    case EST_LOOKAHEAD_KEY_MAX:
      return "key-int-max";
    case EST_LOOKAHEAD_KEY_NONE:
      break;
  }
  return "none";
}

static void
post_scene (GstEstLookahead * self)
{
  Scene *s = &self->scene;
  GstStructure *st;

  if (!s->open || s->frames == 0)
    return;
  st = gst_structure_new ("estlookahead-scene",
      "index", G_TYPE_UINT, s->index,
      "start-frame", G_TYPE_UINT64, s->start,
      "end-frame", G_TYPE_UINT64, s->start + s->frames,
      "start-time", G_TYPE_UINT64, s->start_time,
      "end-time", G_TYPE_UINT64, self->last_end,
      "kind", G_TYPE_STRING, s->index == 0 ? "start" : "cut",
      "frames", G_TYPE_UINT, s->frames,
      "still-frames", G_TYPE_UINT, s->still,
      "key-frames", G_TYPE_UINT, s->keys,
      "intra-cost", G_TYPE_DOUBLE, s->intra / s->frames,
      "inter-cost", G_TYPE_DOUBLE, s->inter / s->frames,
      "qp-offset", G_TYPE_DOUBLE, s->qp / s->frames, NULL);
  if (s->quality >= 0)
    gst_structure_set (st, "target-quality", G_TYPE_DOUBLE, self->target,
        "quality-value", G_TYPE_DOUBLE, s->quality, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), st));
  s->open = FALSE;
}

static void
track_scene (GstEstLookahead * self, const EstLookaheadFrame * f,
    GstBuffer * buf)
{
  Scene *s = &self->scene;

  if (s->open && s->index != (guint) f->scene)
    post_scene (self);
  if (!s->open) {
    memset (s, 0, sizeof (*s));
    s->open = TRUE;
    s->index = (guint) f->scene;
    s->start = self->out_frames;
    s->start_time = GST_BUFFER_PTS (buf);
    s->quality = -1;
  }
  if (self->mode == EST_LOOKAHEAD_MODE_TARGET_QUALITY)
    s->quality = self->tq_crf;
  s->frames++;
  s->still += f->still ? 1 : 0;
  s->keys += f->key != EST_LOOKAHEAD_KEY_NONE ? 1 : 0;
  s->intra += f->intra_cost;
  s->inter += f->inter_cost;
  s->qp += f->qp_offset;
  if (GST_BUFFER_PTS_IS_VALID (buf))
    self->last_end = GST_BUFFER_PTS (buf) +
        (GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf) : 0);
  self->out_frames++;
}

/* The offsets as ROI metas: runs of blocks with the same rounded offset,
 * merged down the rows, the strongest MAX_ROIS kept. */
typedef struct
{
  guint x0, x1, y0, y1;         /* blocks, end exclusive */
  gint delta;
  gboolean open;                /* extended by the last row */
} Rect;

static gint
compare_rects (gconstpointer a, gconstpointer b)
{
  const Rect *ra = a, *rb = b;
  gint64 wa = (gint64) ABS (ra->delta) * (ra->x1 - ra->x0) * (ra->y1 - ra->y0);
  gint64 wb = (gint64) ABS (rb->delta) * (rb->x1 - rb->x0) * (rb->y1 - rb->y0);
  return wa > wb ? -1 : wa < wb;
}

static void
add_rois (GstEstLookahead * self, GstBuffer * buf, const EstLookaheadFrame * f)
{
  GArray *rects = g_array_new (FALSE, FALSE, sizeof (Rect));
  const guint w = GST_VIDEO_INFO_WIDTH (&self->info);
  const guint h = GST_VIDEO_INFO_HEIGHT (&self->info);
  const guint bs = (guint) f->block;

  for (gint by = 0; by < f->map_height; by++) {
    for (guint i = 0; i < rects->len; i++) {
      Rect *r = &g_array_index (rects, Rect, i);
      r->open = r->y1 == (guint) by;
    }
    for (gint bx = 0; bx < f->map_width;) {
      const float *row = f->qp_map + by * f->map_width;
      gint q = (gint) lrintf (row[bx] + f->qp_offset), end = bx + 1;
      while (end < f->map_width && lrintf (row[end] + f->qp_offset) == q)
        end++;
      if (q != 0) {
        gboolean merged = FALSE;
        for (guint i = 0; i < rects->len && !merged; i++) {
          Rect *r = &g_array_index (rects, Rect, i);
          if (r->open && r->x0 == (guint) bx && r->x1 == (guint) end &&
              r->delta == q) {
            r->y1 = (guint) by + 1;
            merged = TRUE;
          }
        }
        if (!merged) {
          Rect r = { (guint) bx, (guint) end, (guint) by, (guint) by + 1, q,
            FALSE
          };
          g_array_append_val (rects, r);
        }
      }
      bx = end;
    }
  }
  g_array_sort (rects, compare_rects);
  for (guint i = 0; i < rects->len && i < MAX_ROIS; i++) {
    const Rect *r = &g_array_index (rects, Rect, i);
    guint x = r->x0 * bs, y = r->y0 * bs;
    GstVideoRegionOfInterestMeta *m;

    if (x >= w || y >= h)
      continue;
    m = gst_buffer_add_video_region_of_interest_meta (buf, "estuary", x, y,
        MIN (r->x1 * bs, w) - x, MIN (r->y1 * bs, h) - y);
    gst_video_region_of_interest_meta_add_param (m,
        gst_structure_new ("roi/estuary", "delta-qp", G_TYPE_INT, r->delta,
            NULL));
  }
  g_array_free (rects, TRUE);
}

/* The decisions painted over the picture (the overlay property). */
static void
paint (GstEstLookahead * self, GstBuffer * buf, const EstLookaheadFrame * f)
{
  const GstVideoFormatInfo *fi = self->info.finfo;
  GstVideoFrame vf;
  EstQpOverlay o = { 0 };
  void *planes[3] = { NULL };
  ptrdiff_t strides[3] = { 0 };

  if (!gst_video_frame_map (&vf, &self->info, buf, GST_MAP_READWRITE))
    return;
  o.width = GST_VIDEO_INFO_WIDTH (&self->info);
  o.height = GST_VIDEO_INFO_HEIGHT (&self->info);
  o.depth = GST_VIDEO_FORMAT_INFO_DEPTH (fi, 0);
  o.msb = GST_VIDEO_FORMAT_INFO_SHIFT (fi, 0) > 0;
  o.map = f->qp_map;
  o.map_width = f->map_width;
  o.map_height = f->map_height;
  o.block = f->block;
  o.offset = f->qp_offset;
  planes[0] = GST_VIDEO_FRAME_COMP_DATA (&vf, 0);
  strides[0] = GST_VIDEO_FRAME_COMP_STRIDE (&vf, 0);
  if (GST_VIDEO_INFO_N_COMPONENTS (&self->info) >= 3) {
    for (gint c = 1; c < 3; c++) {
      planes[c] = GST_VIDEO_FRAME_COMP_DATA (&vf, c);
      strides[c] = GST_VIDEO_FRAME_COMP_STRIDE (&vf, c);
    }
    o.chroma_shift_x = GST_VIDEO_FORMAT_INFO_W_SUB (fi, 1);
    o.chroma_shift_y = GST_VIDEO_FORMAT_INFO_H_SUB (fi, 1);
    o.chroma_step = GST_VIDEO_FRAME_COMP_PSTRIDE (&vf, 1) /
        (o.depth > 8 ? 2 : 1);
  }
  est_qp_overlay_paint (&o, planes, strides);
  gst_video_frame_unmap (&vf);
}

/* target-quality: at the first frame of a scene, the CRF that reaches the
 * target, from probe encodes of the copies of the scene's frames in the
 * window. */
static void
choose_quality (GstEstLookahead * self, const EstLookaheadFrame * f)
{
  const guint8 **planes;
  const uint8_t *plane;
  ptrdiff_t stride = 0;
  gint w, h, n;
  GError *err = NULL;
  gdouble crf;

  if (f->scene == self->tq_scene)
    return;
  self->tq_scene = f->scene;
  n = est_lookahead_scene_span (self->la, f->index);
  if (n <= 0 || est_lookahead_get_copy (self->la, f->index, &plane, &stride,
          &w, &h) < 0)
    return;
  if (!self->probe && !self->probe_failed) {
    GST_OBJECT_LOCK (self);
    EstSpeedPreset preset = self->encoder_preset;
    GST_OBJECT_UNLOCK (self);
    self->probe = est_quality_probe_new (w, h, preset, &err);
    if (!self->probe) {
      GST_ELEMENT_WARNING (self, LIBRARY, INIT, ("%s", err->message),
          ("no quality is chosen per scene: the encoder keeps its own"));
      g_clear_error (&err);
      self->probe_failed = TRUE;
    }
  }
  if (!self->probe)
    return;
  planes = g_new (const guint8 *, n);
  for (gint i = 0; i < n; i++) {
    gint cw, ch;
    est_lookahead_get_copy (self->la, f->index + i, &plane, &stride, &cw, &ch);
    planes[i] = plane;
  }
  crf = est_quality_probe_find_crf (self->probe, planes, (gsize) stride,
      (guint) n, self->target, self->tq_crf >= 0 ? self->tq_crf : 23.0,
      f->qp_offset, &err);
  g_free (planes);
  if (crf < 0) {
    GST_WARNING_OBJECT (self, "scene %d: probe failed, keeping CRF %.2f: %s",
        f->scene, self->tq_crf, err->message);
    g_clear_error (&err);
    return;
  }
  self->tq_crf = crf;
  GST_DEBUG_OBJECT (self, "scene %d: CRF %.2f for %.2f dB, from %d frames, "
      "first offset %.2f", f->scene, crf, self->target, n, f->qp_offset);
}

static GstFlowReturn
push_frame (GstEstLookahead * self, GstBuffer * buf,
    const EstLookaheadFrame * f)
{
  GstEstRcMeta *m;

  if (self->mode == EST_LOOKAHEAD_MODE_TARGET_QUALITY)
    choose_quality (self, f);

  buf = gst_buffer_make_writable (buf);
  m = gst_buffer_add_est_rc_meta (buf, (guint) f->map_width,
      (guint) f->map_height, (guint) f->block);
  memcpy (m->qp_map, f->qp_map, sizeof (gfloat) * f->map_width * f->map_height);
  m->frame_type = f->key != EST_LOOKAHEAD_KEY_NONE ?
      GST_EST_RC_FRAME_TYPE_IDR : GST_EST_RC_FRAME_TYPE_AUTO;
  m->qp_offset = f->qp_offset;
  m->intra_cost = f->intra_cost;
  m->inter_cost = f->inter_cost;
  m->variance = f->variance;
  m->scene = (guint) f->scene;
  if (self->mode == EST_LOOKAHEAD_MODE_TARGET_QUALITY && self->tq_crf >= 0)
    m->quality = self->tq_crf;
  if (self->roi_meta)
    add_rois (self, buf, f);
  if (self->overlay)
    paint (self, buf, f);
  track_scene (self, f, buf);
  GST_LOG_OBJECT (self, "frame %" G_GINT64_FORMAT ": key %s, scene %d, "
      "offset %.2f%s%s%s", f->index, key_name (f->key), f->scene,
      f->qp_offset, f->flash ? ", flash" : "", f->fade ? ", fade" : "",
      f->still ? ", still" : "");

  if (f->key != EST_LOOKAHEAD_KEY_NONE && self->force_key_units) {
    GstClockTime ts = GST_BUFFER_PTS (buf);
    GstEvent *seg_ev = gst_pad_get_sticky_event (self->srcpad,
        GST_EVENT_SEGMENT, 0);
    GstClockTime running = GST_CLOCK_TIME_NONE, stream = GST_CLOCK_TIME_NONE;

    if (seg_ev) {
      const GstSegment *seg;
      gst_event_parse_segment (seg_ev, &seg);
      running = gst_segment_to_running_time (seg, GST_FORMAT_TIME, ts);
      stream = gst_segment_to_stream_time (seg, GST_FORMAT_TIME, ts);
      gst_event_unref (seg_ev);
    }
    gst_pad_push_event (self->srcpad,
        gst_video_event_new_downstream_force_key_unit (ts, stream, running,
            TRUE, (guint) f->scene));
  }
  return gst_pad_push (self->srcpad, buf);
}

/* Pushes every frame the analysis has decided on (all of them when
 * flushing), with the events queued before each. */
static GstFlowReturn
push_ready (GstEstLookahead * self, gboolean flush)
{
  EstLookaheadFrame f;
  GstFlowReturn ret = GST_FLOW_OK;

  while (self->la && est_lookahead_pop (self->la, flush, &f)) {
    GstMiniObject *item;

    while ((item = g_queue_pop_head (&self->queue)) && GST_IS_EVENT (item))
      gst_pad_push_event (self->srcpad, GST_EVENT_CAST (item));
    g_assert (item != NULL);
    self->held--;
    GstFlowReturn r = push_frame (self, GST_BUFFER_CAST (item), &f);
    if (r != GST_FLOW_OK && ret == GST_FLOW_OK)
      ret = r;
  }
  /* Events after the last frame held go on now. */
  if (self->held == 0) {
    GstMiniObject *item;
    while ((item = g_queue_pop_head (&self->queue)))
      gst_pad_push_event (self->srcpad, GST_EVENT_CAST (item));
  }
  return ret;
}

static void
clear_queue (GstEstLookahead * self)
{
  g_queue_clear_full (&self->queue, (GDestroyNotify) gst_mini_object_unref);
  self->held = 0;
  if (self->la)
    est_lookahead_reset (self->la);
  memset (&self->scene, 0, sizeof (self->scene));
  self->out_frames = 0;
  self->tq_scene = -1;
  self->tq_crf = -1;
}

/* A buffer from a pool that cannot lend the frames held: copied, so the
 * pool's own buffer goes back at once. */
static GstBuffer *
keep_pool_alive (GstEstLookahead * self, GstBuffer * buf)
{
  GstBufferPool *pool = buf->pool;
  guint max = 0;

  if (!pool || self->depth == 0)
    return buf;
  GstStructure *config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_get_params (config, NULL, NULL, NULL, &max);
  gst_structure_free (config);
  if (max == 0 || max > self->depth + 1)
    return buf;
  GST_LOG_OBJECT (self, "copying a buffer of a pool of %u", max);
  GstBuffer *copy = gst_buffer_copy_deep (buf);
  gst_buffer_unref (buf);
  return copy;
}

static GstFlowReturn
gst_est_lookahead_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstEstLookahead *self = GST_EST_LOOKAHEAD (parent);
  GstVideoFrame vf;
  int r;

  if (!self->la) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("a buffer before caps"));
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  buf = keep_pool_alive (self, buf);
  if (!gst_video_frame_map (&vf, &self->info, buf, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("A buffer is smaller than its caps say."), (NULL));
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }
  EstLookaheadPicture pic = { {NULL}
  };
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES (&vf) && i < 3; i++) {
    pic.plane[i] = GST_VIDEO_FRAME_PLANE_DATA (&vf, i);
    pic.stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE (&vf, i);
  }
  r = est_lookahead_push (self->la, &pic);
  gst_video_frame_unmap (&vf);
  g_assert (r == 0);
  g_queue_push_tail (&self->queue, buf);
  self->held++;
  return push_ready (self, FALSE);
}

static gboolean
setup (GstEstLookahead * self, GstCaps * caps)
{
  EstLookaheadConfig c = { 0 };
  GstVideoInfo info;
  const GstVideoFormatInfo *fi;

  if (!gst_video_info_from_caps (&info, caps)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("invalid caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  /* The same caps again: the analysis goes on. */
  if (self->la && gst_video_info_is_equal (&info, &self->info))
    return TRUE;
  fi = info.finfo;
  GST_OBJECT_LOCK (self);
  c.lookahead = (int) self->prop.depth;
  c.mode = self->prop.mode;
  c.aq_mode = self->prop.aq_mode;
  c.aq_strength = self->prop.aq_strength;
  c.dark_strength = self->prop.dark_strength;
  c.propagation_strength = self->prop.propagation_strength;
  c.key_int = (int) self->prop.key_int;
  c.key_int_max = (int) self->prop.key_int_max;
  self->roi_meta = self->prop.roi_meta;
  self->force_key_units = self->prop.force_key_units;
  self->overlay = self->prop.overlay;
  self->target = self->prop.target_quality;
  GST_OBJECT_UNLOCK (self);
  c.width = GST_VIDEO_INFO_WIDTH (&info);
  c.height = GST_VIDEO_INFO_HEIGHT (&info);
  /* The bits the luma container uses: P010 keeps 10 bits at the top. */
  c.bit_depth = GST_VIDEO_FORMAT_INFO_DEPTH (fi, 0) +
      GST_VIDEO_FORMAT_INFO_SHIFT (fi, 0);
  c.cpu_flags = est_cpu_flags ();
  if (GST_VIDEO_INFO_N_COMPONENTS (&info) >= 3) {
    c.chroma = GST_VIDEO_INFO_N_PLANES (&info) == 2 ?
        EST_LOOKAHEAD_CHROMA_INTERLEAVED : EST_LOOKAHEAD_CHROMA_PLANAR;
    c.chroma_shift_x = GST_VIDEO_FORMAT_INFO_W_SUB (fi, 1);
    c.chroma_shift_y = GST_VIDEO_FORMAT_INFO_H_SUB (fi, 1);
  }

  est_lookahead_free (self->la);
  self->la = est_lookahead_new (&c);
  /* The copy's size may change: a new probe with the first scene. */
  g_clear_pointer (&self->probe, est_quality_probe_free);
  self->probe_failed = FALSE;
  self->tq_scene = -1;
  if (!self->la) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Cannot analyse %dx%d video: at least 16x16 is needed.", c.width,
            c.height), (NULL));
    return FALSE;
  }
  self->info = info;
  self->depth = (guint) c.lookahead;
  self->mode = c.mode;
  GST_INFO_OBJECT (self, "analysing %dx%d %s, %u frames ahead", c.width,
      c.height, GST_VIDEO_INFO_NAME (&info), self->depth);
  return TRUE;
}

static gboolean
gst_est_lookahead_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstEstLookahead *self = GST_EST_LOOKAHEAD (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      /* The old frames go out analysed at their size; a new analysis
       * starts with the new caps. */
      push_ready (self, TRUE);
      gst_event_parse_caps (event, &caps);
      if (!setup (self, caps)) {
        gst_event_unref (event);
        return FALSE;
      }
      return gst_pad_push_event (self->srcpad, event);
    }
    case GST_EVENT_EOS:
      push_ready (self, TRUE);
      post_scene (self);
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_FLUSH_STOP:
      clear_queue (self);
      return gst_pad_push_event (self->srcpad, event);
    default:
      break;
  }
  if (GST_EVENT_IS_SERIALIZED (event) && self->held > 0) {
    g_queue_push_tail (&self->queue, event);
    return TRUE;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_est_lookahead_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstEstLookahead *self = GST_EST_LOOKAHEAD (parent);

  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION) {
    GstCaps *caps;
    GstVideoInfo info;
    guint extra, size, min, max;
    GstBufferPool *pool;

    GST_OBJECT_LOCK (self);
    extra = self->prop.depth + 1;
    GST_OBJECT_UNLOCK (self);
    gst_pad_peer_query (self->srcpad, query);
    /* Upstream's pool must lend the frames held on top of what
     * downstream needs. */
    for (guint i = 0; i < gst_query_get_n_allocation_pools (query); i++) {
      gst_query_parse_nth_allocation_pool (query, i, &pool, &size, &min, &max);
      min += extra;
      if (max != 0 && max < min)
        max = min;
      gst_query_set_nth_allocation_pool (query, i, pool, size, min, max);
      if (pool)
        gst_object_unref (pool);
    }
    gst_query_parse_allocation (query, &caps, NULL);
    if (gst_query_get_n_allocation_pools (query) == 0 && caps &&
        gst_video_info_from_caps (&info, caps))
      gst_query_add_allocation_pool (query, NULL, (guint) info.size, extra, 0);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static gboolean
gst_est_lookahead_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstEstLookahead *self = GST_EST_LOOKAHEAD (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      gboolean live;
      GstClockTime min, max, add = 0;
      gint fps_n = GST_VIDEO_INFO_FPS_N (&self->info);
      gint fps_d = GST_VIDEO_INFO_FPS_D (&self->info);
      guint depth;

      if (!gst_pad_peer_query (self->sinkpad, query))
        return FALSE;
      gst_query_parse_latency (query, &live, &min, &max);
      GST_OBJECT_LOCK (self);
      depth = self->la ? self->depth : self->prop.depth;
      GST_OBJECT_UNLOCK (self);
      if (fps_n > 0 && fps_d > 0)
        add = gst_util_uint64_scale_ceil (depth * GST_SECOND, fps_d, fps_n);
      min += add;
      if (GST_CLOCK_TIME_IS_VALID (max))
        max += add;
      gst_query_set_latency (query, live, min, max);
      return TRUE;
    }
    case GST_QUERY_CUSTOM:{
      GstStructure *s = gst_query_writable_structure (query);
      gint preset;
      if (!gst_structure_has_name (s, GST_EST_LOOKAHEAD_QUERY))
        break;
      GST_OBJECT_LOCK (self);
      if (gst_structure_get_int (s, "speed-preset", &preset) &&
          preset >= EST_SPEED_ULTRAFAST && preset <= EST_SPEED_VERYSLOW)
        self->encoder_preset = preset;
      gst_structure_set (s, "key-frames", G_TYPE_BOOLEAN,
          self->prop.mode != EST_LOOKAHEAD_MODE_AQ, "offsets",
          G_TYPE_BOOLEAN, TRUE, NULL);
      GST_OBJECT_UNLOCK (self);
      return TRUE;
    }
    default:
      break;
  }
  return gst_pad_query_default (pad, parent, query);
}

static GstStateChangeReturn
gst_est_lookahead_change_state (GstElement * element, GstStateChange transition)
{
  GstEstLookahead *self = GST_EST_LOOKAHEAD (element);
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    clear_queue (self);
    est_lookahead_free (self->la);
    self->la = NULL;
    g_clear_pointer (&self->probe, est_quality_probe_free);
    self->probe_failed = FALSE;
    gst_video_info_init (&self->info);
  }
  return ret;
}

static void
gst_est_lookahead_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstEstLookahead *self = GST_EST_LOOKAHEAD (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DEPTH:
      self->prop.depth = g_value_get_uint (value);
      break;
    case PROP_MODE:
      self->prop.mode = g_value_get_enum (value);
      break;
    case PROP_AQ_MODE:
      self->prop.aq_mode = g_value_get_enum (value);
      break;
    case PROP_AQ_STRENGTH:
      self->prop.aq_strength = g_value_get_double (value);
      break;
    case PROP_DARK_STRENGTH:
      self->prop.dark_strength = g_value_get_double (value);
      break;
    case PROP_PROPAGATION_STRENGTH:
      self->prop.propagation_strength = g_value_get_double (value);
      break;
    case PROP_KEY_INT:
      self->prop.key_int = g_value_get_uint (value);
      break;
    case PROP_KEY_INT_MAX:
      self->prop.key_int_max = g_value_get_uint (value);
      break;
    case PROP_ROI_META:
      self->prop.roi_meta = g_value_get_boolean (value);
      break;
    case PROP_FORCE_KEY_UNITS:
      self->prop.force_key_units = g_value_get_boolean (value);
      break;
    case PROP_OVERLAY:
      self->prop.overlay = g_value_get_boolean (value);
      break;
    case PROP_TARGET_QUALITY:
      self->prop.target_quality = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_est_lookahead_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstEstLookahead *self = GST_EST_LOOKAHEAD (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DEPTH:
      g_value_set_uint (value, self->prop.depth);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->prop.mode);
      break;
    case PROP_AQ_MODE:
      g_value_set_enum (value, self->prop.aq_mode);
      break;
    case PROP_AQ_STRENGTH:
      g_value_set_double (value, self->prop.aq_strength);
      break;
    case PROP_DARK_STRENGTH:
      g_value_set_double (value, self->prop.dark_strength);
      break;
    case PROP_PROPAGATION_STRENGTH:
      g_value_set_double (value, self->prop.propagation_strength);
      break;
    case PROP_KEY_INT:
      g_value_set_uint (value, self->prop.key_int);
      break;
    case PROP_KEY_INT_MAX:
      g_value_set_uint (value, self->prop.key_int_max);
      break;
    case PROP_ROI_META:
      g_value_set_boolean (value, self->prop.roi_meta);
      break;
    case PROP_FORCE_KEY_UNITS:
      g_value_set_boolean (value, self->prop.force_key_units);
      break;
    case PROP_OVERLAY:
      g_value_set_boolean (value, self->prop.overlay);
      break;
    case PROP_TARGET_QUALITY:
      g_value_set_double (value, self->prop.target_quality);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_est_lookahead_finalize (GObject * object)
{
  GstEstLookahead *self = GST_EST_LOOKAHEAD (object);

  g_queue_clear_full (&self->queue, (GDestroyNotify) gst_mini_object_unref);
  est_lookahead_free (self->la);
  est_quality_probe_free (self->probe);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_est_lookahead_init (GstEstLookahead * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_templ, "sink");
  gst_pad_set_chain_function (self->sinkpad, gst_est_lookahead_chain);
  gst_pad_set_event_function (self->sinkpad, gst_est_lookahead_sink_event);
  gst_pad_set_query_function (self->sinkpad, gst_est_lookahead_sink_query);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_templ, "src");
  gst_pad_set_query_function (self->srcpad, gst_est_lookahead_src_query);
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->prop.depth = DEFAULT_DEPTH;
  self->prop.mode = DEFAULT_MODE;
  self->prop.aq_mode = DEFAULT_AQ_MODE;
  self->prop.aq_strength = DEFAULT_STRENGTH;
  self->prop.dark_strength = DEFAULT_STRENGTH;
  self->prop.propagation_strength = DEFAULT_STRENGTH;
  self->prop.key_int = DEFAULT_KEY_INT;
  self->prop.key_int_max = DEFAULT_KEY_INT_MAX;
  self->prop.target_quality = DEFAULT_TARGET_QUALITY;
  self->encoder_preset = EST_SPEED_VERYFAST;
  self->tq_scene = -1;
  self->tq_crf = -1;
  g_queue_init (&self->queue);
  gst_video_info_init (&self->info);
}

static void
gst_est_lookahead_class_init (GstEstLookaheadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = gst_est_lookahead_set_property;
  gobject_class->get_property = gst_est_lookahead_get_property;
  gobject_class->finalize = gst_est_lookahead_finalize;

  properties[PROP_DEPTH] = g_param_spec_uint ("lookahead-depth",
      "Lookahead depth", "Frames held and analysed before each frame goes "
      "out (0: the current frame only, no latency)", 0, 250, DEFAULT_DEPTH,
      ready);
  properties[PROP_MODE] = g_param_spec_enum ("mode", "Mode",
      "What the analysis decides", GST_TYPE_EST_LOOKAHEAD_MODE, DEFAULT_MODE,
      ready);
  properties[PROP_AQ_MODE] = g_param_spec_enum ("aq-mode", "AQ mode",
      "How texture masking measures a block against the frame",
      GST_TYPE_EST_LOOKAHEAD_AQ_MODE, DEFAULT_AQ_MODE, ready);
  properties[PROP_AQ_STRENGTH] = g_param_spec_double ("aq-strength",
      "AQ strength", "Texture masking: higher QP on busy blocks, lower on "
      "flat ones (x264's variance AQ at 1)", 0, 3, DEFAULT_STRENGTH, ready);
  properties[PROP_DARK_STRENGTH] = g_param_spec_double ("dark-strength",
      "Dark strength", "Lower QP on dark blocks, which band first (1: up to "
      "-2)", 0, 3, DEFAULT_STRENGTH, ready);
  properties[PROP_PROPAGATION_STRENGTH] =
      g_param_spec_double ("propagation-strength", "Propagation strength",
      "Temporal propagation (macroblock-tree) in full mode: lower QP on "
      "what later frames inherit (1: x264's at qcomp 0.6)", 0, 3,
      DEFAULT_STRENGTH, ready);
  properties[PROP_KEY_INT] = g_param_spec_uint ("key-int", "Key interval",
      "In full mode, a key frame at least this often in moving content "
      "(frames; 0: only at cuts and key-int-max)", 0, G_MAXINT,
      DEFAULT_KEY_INT, ready);
  properties[PROP_KEY_INT_MAX] = g_param_spec_uint ("key-int-max",
      "Maximum key interval", "In full mode, a key frame at least this "
      "often, still content included (frames; 0: no limit). The encoder's "
      "own key-int-max stays a hard cap", 0, G_MAXINT, DEFAULT_KEY_INT_MAX,
      ready);
  properties[PROP_ROI_META] = g_param_spec_boolean ("roi-meta", "ROI meta",
      "Also add the offsets as GstVideoRegionOfInterestMeta (roi/estuary, "
      "delta-qp) for encoders that read them", FALSE, ready);
  properties[PROP_FORCE_KEY_UNITS] = g_param_spec_boolean ("force-key-units",
      "Force key units", "Also send a force-key-unit event before each key "
      "frame it places", FALSE, ready);
  properties[PROP_OVERLAY] = g_param_spec_boolean ("overlay", "Overlay",
      "Debug: paint the QP offsets over the video (blue-green: lower QP, "
      "red: higher) with the block grid; the encoder then codes the "
      "painted picture", FALSE, ready);
  properties[PROP_TARGET_QUALITY] = g_param_spec_double ("target-quality",
      "Target quality", "In target-quality mode, the MS-SSIM of luma to "
      "reach per scene, in dB as estquality reports it (-10 log10 (1 - "
      "MS-SSIM))", 5, 40, DEFAULT_TARGET_QUALITY, ready);
  g_object_class_install_properties (gobject_class, N_PROPS, properties);

  element_class->change_state = gst_est_lookahead_change_state;
  gst_element_class_set_static_metadata (element_class, "Estuary lookahead",
      "Filter/Analyzer/Video",
      "Analyses frames ahead of an encoder and tells it where to spend bits",
      "Estuary contributors");
  gst_element_class_add_static_pad_template (element_class, &sink_templ);
  gst_element_class_add_static_pad_template (element_class, &src_templ);
  gst_type_mark_as_plugin_api (GST_TYPE_EST_LOOKAHEAD_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EST_LOOKAHEAD_AQ_MODE, 0);
}
