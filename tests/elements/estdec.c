/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The decoder estdec on the CPU: pictures bit-identical to the reference
 * decoders (avdec_h264, avdec_h265, libaom's av1dec) on streams made here
 * and on the shared clips, HDR metadata, renegotiation, seeking, draining,
 * corrupted input, low latency, refused settings and downstream elements
 * without GstVideoMeta.
 *
 * Pictures are compared by a SHA-1 of each plane's visible bytes, read row
 * by row through a GstVideoFrame mapped with the caps of each sample, so
 * the strides of each buffer's GstVideoMeta count. appsink does not offer
 * GstVideoMeta in the allocation query: a probe adds it, or estdec would
 * copy every picture to the default layout and its direct rendering would
 * go untested. Frames are 320x180, which is not a multiple of 16: the coded
 * picture is larger than the displayed one. */

#include <string.h>

#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "esttest.h"

#define W 320
#define H 180
#define FPS 25
#define DUR (GST_SECOND / FPS)
#define PATTERN "pattern=zone-plate kx2=20 ky2=20 kt=1"

static void
setup (void)
{
  est_test_check_plugin_origin ();
}


/* The first word of an element description ("x264enc bframes=3"). */
static gchar *
element_name (const gchar * desc)
{
  const gchar *end = strchr (desc, ' ');
  return end ? g_strndup (desc, end - desc) : g_strdup (desc);
}

static gboolean
is_estdec (GstObject * obj)
{
  GstElementFactory *f;

  if (!GST_IS_ELEMENT (obj))
    return FALSE;
  f = gst_element_get_factory (GST_ELEMENT (obj));
  return f && g_str_equal (GST_OBJECT_NAME (f), "estdec");
}

/* One output picture. */
typedef struct
{
  GstCaps *caps;
  GstVideoInfo info;            /* from the caps */
  GstClockTime pts;
  GstClockTime stream_time;     /* from the sample's segment, if any */
  gboolean mapped;
  gint frame_width, frame_height;       /* as GstVideoFrame maps it */
  gboolean default_layout;      /* no GstVideoMeta, or one with the default
                                 * offsets and strides */
  gchar *plane[GST_VIDEO_MAX_PLANES];   /* SHA-1 of the visible bytes */
} Pic;

static Pic *
pic_new (GstBuffer * buf, GstCaps * caps, const GstSegment * segment)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (buf);
  Pic *p = g_new0 (Pic, 1);
  GstVideoFrame f;

  p->caps = gst_caps_ref (caps);
  p->pts = GST_BUFFER_PTS (buf);
  p->stream_time = segment ? gst_segment_to_stream_time (segment,
      GST_FORMAT_TIME, p->pts) : GST_CLOCK_TIME_NONE;
  if (!gst_video_info_from_caps (&p->info, caps) ||
      !gst_video_frame_map (&f, &p->info, buf, GST_MAP_READ))
    return p;
  p->mapped = TRUE;
  p->default_layout = TRUE;
  for (guint i = 0; meta && i < meta->n_planes; i++)
    if (meta->offset[i] != p->info.offset[i] ||
        meta->stride[i] != p->info.stride[i])
      p->default_layout = FALSE;
  p->frame_width = GST_VIDEO_FRAME_WIDTH (&f);
  p->frame_height = GST_VIDEO_FRAME_HEIGHT (&f);
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES (&f); i++) {
    GChecksum *c = g_checksum_new (G_CHECKSUM_SHA1);
    const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&f, i);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&f, i);
    /* Planar formats only: plane i is component i. */
    gsize row = (gsize) GST_VIDEO_FRAME_COMP_WIDTH (&f, i) *
        GST_VIDEO_FRAME_COMP_PSTRIDE (&f, i);
    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&f, i); y++)
      g_checksum_update (c, data + (gsize) y * stride, row);
    p->plane[i] = g_strdup (g_checksum_get_string (c));
    g_checksum_free (c);
  }
  gst_video_frame_unmap (&f);
  return p;
}

static void
pic_free (Pic * p)
{
  gst_caps_unref (p->caps);
  for (guint i = 0; i < GST_VIDEO_MAX_PLANES; i++)
    g_free (p->plane[i]);
  g_free (p);
}

static GPtrArray *
pics_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) pic_free);
}

#define PIC(a, i) ((Pic *) g_ptr_array_index ((a), (i)))

/* The picture maps and the GstVideoFrame describes what the caps do. */
static void
check_pic (const Pic * p, const gchar * what, guint i)
{
  fail_unless (p->mapped, "%s: picture %u does not map with its caps %"
      GST_PTR_FORMAT, what, i, p->caps);
  fail_unless (p->frame_width == GST_VIDEO_INFO_WIDTH (&p->info) &&
      p->frame_height == GST_VIDEO_INFO_HEIGHT (&p->info),
      "%s: picture %u maps as %dx%d (its GstVideoMeta) for caps of %dx%d",
      what, i, p->frame_width, p->frame_height,
      GST_VIDEO_INFO_WIDTH (&p->info), GST_VIDEO_INFO_HEIGHT (&p->info));
}

/* Same count, and picture by picture the same format, size, timestamp and
 * bytes in every plane. */
static void
check_identical (GPtrArray * est, GPtrArray * ref, const gchar * what)
{
  fail_unless (est->len > 0, "%s: no pictures", what);
  fail_unless (est->len == ref->len, "%s: %u pictures from estdec, %u from "
      "the reference", what, est->len, ref->len);
  for (guint i = 0; i < est->len; i++) {
    const Pic *a = PIC (est, i), *b = PIC (ref, i);

    check_pic (a, what, i);
    fail_unless (b->mapped);
    fail_unless (GST_VIDEO_INFO_FORMAT (&a->info) ==
        GST_VIDEO_INFO_FORMAT (&b->info), "%s: picture %u is %s, the "
        "reference's %s", what, i, GST_VIDEO_INFO_NAME (&a->info),
        GST_VIDEO_INFO_NAME (&b->info));
    fail_unless (GST_VIDEO_INFO_WIDTH (&a->info) ==
        GST_VIDEO_INFO_WIDTH (&b->info) && GST_VIDEO_INFO_HEIGHT (&a->info)
        == GST_VIDEO_INFO_HEIGHT (&b->info), "%s: picture %u is %dx%d, the "
        "reference's %dx%d", what, i, GST_VIDEO_INFO_WIDTH (&a->info),
        GST_VIDEO_INFO_HEIGHT (&a->info), GST_VIDEO_INFO_WIDTH (&b->info),
        GST_VIDEO_INFO_HEIGHT (&b->info));
    fail_unless (a->pts == b->pts, "%s: picture %u at %" GST_TIME_FORMAT
        ", the reference's at %" GST_TIME_FORMAT, what, i,
        GST_TIME_ARGS (a->pts), GST_TIME_ARGS (b->pts));
    for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES (&a->info); p++)
      fail_unless (g_str_equal (a->plane[p], b->plane[p]), "%s: picture %u "
          "(%" GST_TIME_FORMAT "), plane %u differs from the reference", what,
          i, GST_TIME_ARGS (a->pts), p);
  }
}

/* appsink answers allocation queries without GstVideoMeta. */
static GstPadProbeReturn
offer_video_meta (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstQuery *q = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (q) == GST_QUERY_ALLOCATION &&
      !gst_query_find_allocation_meta (q, GST_VIDEO_META_API_TYPE, NULL))
    gst_query_add_allocation_meta (q, GST_VIDEO_META_API_TYPE, NULL);
  return GST_PAD_PROBE_OK;
}

/* A pipeline run: the pictures of the appsinks named "est" and "ref", and
 * what the bus said. */
typedef struct
{
  GPtrArray *est, *ref;         /* Pic * */
  GMutex lock;
  GList *warnings;              /* GstMessage *: every WARNING */
  GstMessage *error;            /* the first ERROR, or NULL */
  gboolean eos;
} Run;

static void
run_init (Run * r)
{
  memset (r, 0, sizeof (*r));
  r->est = pics_new ();
  r->ref = pics_new ();
  g_mutex_init (&r->lock);
}

static void
run_clear (Run * r)
{
  g_ptr_array_unref (r->est);
  g_ptr_array_unref (r->ref);
  g_list_free_full (r->warnings, (GDestroyNotify) gst_message_unref);
  if (r->error)
    gst_message_unref (r->error);
  g_mutex_clear (&r->lock);
}

static GstFlowReturn
on_sample (GstAppSink * sink, gpointer data)
{
  GstSample *s = gst_app_sink_pull_sample (sink);

  if (s) {
    g_ptr_array_add (data, pic_new (gst_sample_get_buffer (s),
            gst_sample_get_caps (s), gst_sample_get_segment (s)));
    gst_sample_unref (s);
  }
  return GST_FLOW_OK;
}

static GstBusSyncReply
keep_warnings (GstBus * bus, GstMessage * msg, gpointer data)
{
  Run *r = data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
    g_mutex_lock (&r->lock);
    r->warnings = g_list_append (r->warnings, gst_message_ref (msg));
    g_mutex_unlock (&r->lock);
  }
  return GST_BUS_PASS;
}

static GstElement *
pipeline_new (const gchar * desc)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);

  fail_unless (p != NULL && err == NULL, "%s: %s", desc,
      err ? err->message : "");
  return p;
}

/* An appsink that offers GstVideoMeta; with pics, each sample is kept. */
static void
prepare_sink (GstElement * p, const gchar * name, GPtrArray * pics)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), name);
  GstPad *pad;

  if (!sink)
    return;
  g_object_set (sink, "sync", FALSE, NULL);
  if (pics) {
    GstAppSinkCallbacks cb = { 0 };
    cb.new_sample = on_sample;
    gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, pics, NULL);
  }
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      offer_video_meta, NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
}

/* Runs p to EOS or error (failing the check after timeout_s) and takes
 * it. */
static void
run_pipeline (GstElement * p, Run * r, guint timeout_s)
{
  GstBus *bus = gst_element_get_bus (p);

  prepare_sink (p, "est", r->est);
  prepare_sink (p, "ref", r->ref);
  gst_bus_set_sync_handler (bus, keep_warnings, r, NULL);
  r->eos = est_test_run_pipeline (p, timeout_s, NULL, &r->error);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
}

static void
fail_unless_clean_eos (Run * r, const gchar * what)
{
  if (r->error) {
    GError *e = NULL;
    gchar *dbg = NULL;
    gst_message_parse_error (r->error, &e, &dbg);
    fail ("%s: error from %s: %s (%s)", what,
        GST_OBJECT_NAME (GST_MESSAGE_SRC (r->error)), e->message, dbg);
  }
  fail_unless (r->eos, "%s: no EOS", what);
}

static guint
estdec_warnings (Run * r)
{
  guint n = 0;
  for (GList * l = r->warnings; l; l = l->next)
    if (is_estdec (GST_MESSAGE_SRC (l->data)))
      n++;
  return n;
}

/* Runs `source` (ending in encoded video) into estdec and into the
 * reference decoder through a tee, and checks the pictures are
 * identical. */
static void
check_bit_exact (const gchar * source, const gchar * reference,
    const gchar * what, Run * r)
{
  gchar *desc = g_strdup_printf ("%s ! tee name=t "
      "t. ! queue ! estdec ! appsink name=est "
      "t. ! queue ! %s ! appsink name=ref", source, reference);

  run_pipeline (pipeline_new (desc), r, 120);
  fail_unless_clean_eos (r, what);
  check_identical (r->est, r->ref, what);
  g_free (desc);
}

/* 1. Streams from the reference encoders and Estuary's, in every stream
 * format estdec takes. */
typedef struct
{
  const gchar *name;
  const gchar *encoder;         /* element and properties */
  const gchar *format;          /* of the raw input */
  const gchar *parser;
  const gchar *stream_format;   /* caps forced after the parser, or NULL */
  const gchar *reference;
} Stream;

#define X264_BS "video/x-h264,stream-format=byte-stream"
#define X264_AVC "video/x-h264,stream-format=avc"
#define X265_BS "video/x-h265,stream-format=byte-stream"
#define X265_HVC1 "video/x-h265,stream-format=hvc1"
#define X265_HEV1 "video/x-h265,stream-format=hev1"
#define X265 "x265enc speed-preset=ultrafast"

static const Stream streams[] = {
  {"x264 8-bit byte-stream", "x264enc", "I420", "h264parse", X264_BS,
      "avdec_h264"},
  {"x264 8-bit avc", "x264enc", "I420", "h264parse", X264_AVC, "avdec_h264"},
  {"x264 10-bit byte-stream", "x264enc", "I420_10LE", "h264parse", X264_BS,
      "avdec_h264"},
  {"x264 10-bit avc", "x264enc", "I420_10LE", "h264parse", X264_AVC,
      "avdec_h264"},
  {"x264 zerolatency", "x264enc tune=zerolatency", "I420", "h264parse",
      X264_BS, "avdec_h264"},
  {"x264 bframes=3", "x264enc bframes=3 b-adapt=false", "I420", "h264parse",
      X264_AVC, "avdec_h264"},
  {"x265 8-bit byte-stream", X265, "I420", "h265parse", X265_BS,
      "avdec_h265"},
  {"x265 8-bit hvc1", X265, "I420", "h265parse", X265_HVC1, "avdec_h265"},
  {"x265 8-bit hev1", X265, "I420", "h265parse", X265_HEV1, "avdec_h265"},
  {"x265 10-bit byte-stream", X265, "I420_10LE", "h265parse", X265_BS,
      "avdec_h265"},
  {"x265 10-bit hvc1", X265, "I420_10LE", "h265parse", X265_HVC1,
      "avdec_h265"},
  {"esth264enc byte-stream", "esth264enc speed-preset=ultrafast", "I420",
      "h264parse", X264_BS, "avdec_h264"},
  {"esth264enc 10-bit avc", "esth264enc speed-preset=ultrafast", "I420_10LE",
      "h264parse", X264_AVC, "avdec_h264"},
  {"esth265enc hev1", "esth265enc speed-preset=ultrafast", "I420",
      "h265parse", X265_HEV1, "avdec_h265"},
  {"esth265enc 10-bit byte-stream", "esth265enc speed-preset=ultrafast",
      "I420_10LE", "h265parse", X265_BS, "avdec_h265"},
  /* AV1 decoding is normative: dav1d and libaom agree to the bit. */
  {"estav1enc 8-bit", "estav1enc speed-preset=ultrafast", "I420", "av1parse",
      NULL, "av1dec"},
  {"estav1enc 10-bit", "estav1enc speed-preset=ultrafast", "I420_10LE",
      "av1parse", NULL, "av1dec"},
};

GST_START_TEST (test_bit_exact_with_reference_decoder)
{
  const Stream *s = &streams[__i__];
  gchar *enc = element_name (s->encoder);
  Run r;

  if (!est_test_have_elements (s->name, enc, s->parser, s->reference, NULL)) {
    g_free (enc);
    return;
  }
  gchar *source = g_strdup_printf ("videotestsrc num-buffers=15 " PATTERN
      " ! video/x-raw,format=%s,width=%d,height=%d,framerate=%d/1 ! %s ! "
      "%s ! %s", s->format, W, H, FPS, s->encoder, s->parser,
      s->stream_format ? s->stream_format : "identity");
  run_init (&r);
  check_bit_exact (source, s->reference, s->name, &r);
  fail_unless_equals_int (r.est->len, 15);
  fail_unless_equals_int (GST_VIDEO_INFO_COMP_DEPTH (&PIC (r.est, 0)->info,
          0), g_str_has_suffix (s->format, "10LE") ? 10 : 8);
  run_clear (&r);
  g_free (source);
  g_free (enc);
}

GST_END_TEST;

/* 2. The shared clips. */
static gchar *
clip (const gchar * name)
{
  const gchar *dir = est_test_media_dir ();
  gchar *path;

  if (!dir) {
    g_print ("SKIP %s: no media folder (ESTUARY_MEDIA_DIR)\n", name);
    return NULL;
  }
  path = g_build_filename (dir, name, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_print ("SKIP %s: not in %s\n", name, dir);
    g_clear_pointer (&path, g_free);
  }
  return path;
}

static void
check_colorimetry (const Pic * p, const gchar * want, const gchar * what)
{
  GstVideoColorimetry c;

  fail_unless (gst_video_colorimetry_from_string (&c, want));
  fail_unless (gst_video_colorimetry_is_equal (&p->info.colorimetry, &c),
      "%s: colorimetry %s, not %s, in %" GST_PTR_FORMAT, what,
      gst_structure_get_string (gst_caps_get_structure (p->caps, 0),
          "colorimetry"), want, p->caps);
}

GST_START_TEST (test_clip_h264_is_bit_exact)
{
  gchar *path = clip ("street_1080p25_h264.264");
  Run r;

  if (!path)
    return;
  /* Full-range High profile 1080p (coded 1088 lines), first 10 frames
   * (identity's eos-after=N passes N - 1 buffers). */
  gchar *source = g_strdup_printf ("filesrc location=\"%s\" ! h264parse ! "
      "identity eos-after=11", path);
  run_init (&r);
  check_bit_exact (source, "avdec_h264", "street", &r);
  fail_unless_equals_int (r.est->len, 10);
  run_clear (&r);
  g_free (source);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_clip_hdr10_hevc_is_bit_exact_with_hdr_caps)
{
  gchar *path = clip ("hdr10_rooftops_1080p30_hevc.mp4");
  GstVideoMasteringDisplayInfo mdi, ref_mdi;
  GstVideoContentLightLevel cll;
  Run r;

  if (!path)
    return;
  gchar *source = g_strdup_printf ("filesrc location=\"%s\" ! qtdemux ! "
      "h265parse ! identity eos-after=6", path);
  run_init (&r);
  check_bit_exact (source, "avdec_h265", "rooftops", &r);
  fail_unless_equals_int (r.est->len, 5);

  const Pic *p = PIC (r.est, 0);
  fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&p->info),
      GST_VIDEO_FORMAT_I420_10LE);
  check_colorimetry (p, "bt2100-pq", "rooftops");
  fail_unless (gst_video_content_light_level_from_caps (&cll, p->caps),
      "no content-light-level in %" GST_PTR_FORMAT, p->caps);
  fail_unless_equals_int (cll.max_content_light_level, 1000);
  fail_unless_equals_int (cll.max_frame_average_light_level, 200);
  /* The clip's mastering display says 0.1 cd/m2 peak (broken metadata):
   * only check estdec reports what the stream has, as avdec_h265 does. */
  fail_unless (gst_video_mastering_display_info_from_caps (&mdi, p->caps),
      "no mastering-display-info in %" GST_PTR_FORMAT, p->caps);
  fail_unless (gst_video_mastering_display_info_from_caps (&ref_mdi,
          PIC (r.ref, 0)->caps));
  fail_unless (gst_video_mastering_display_info_is_equal (&mdi, &ref_mdi),
      "mastering-display-info %" GST_PTR_FORMAT ", avdec_h265: %"
      GST_PTR_FORMAT, p->caps, PIC (r.ref, 0)->caps);
  run_clear (&r);
  g_free (source);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_clip_hdr10_av1_in_mp4_is_10bit_pq)
{
  gchar *path = clip ("hdr10_mountains_1080p60_av1.mp4");
  Run r;

  if (!path)
    return;
  if (!est_test_have_elements ("mountains", "av1parse", "av1dec", NULL)) {
    g_free (path);
    return;
  }
  gchar *source = g_strdup_printf ("filesrc location=\"%s\" ! qtdemux ! "
      "av1parse ! identity eos-after=7", path);
  run_init (&r);
  check_bit_exact (source, "av1dec", "mountains", &r);
  fail_unless_equals_int (r.est->len, 6);
  fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&PIC (r.est, 0)->info),
      GST_VIDEO_FORMAT_I420_10LE);
  check_colorimetry (PIC (r.est, 0), "bt2100-pq", "mountains");
  run_clear (&r);
  g_free (source);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_clip_hlg_hevc_is_bt2100_hlg)
{
  gchar *path = clip ("hlg_colorchecker_1080p_hevc.mp4");
  Run r;

  if (!path)
    return;
  gchar *source = g_strdup_printf ("filesrc location=\"%s\" ! qtdemux ! "
      "h265parse ! identity eos-after=5", path);
  run_init (&r);
  check_bit_exact (source, "avdec_h265", "colorchecker", &r);
  fail_unless_equals_int (r.est->len, 4);
  check_colorimetry (PIC (r.est, 0), "bt2100-hlg", "colorchecker");
  run_clear (&r);
  g_free (source);
  g_free (path);
}

GST_END_TEST;

/* Dolby Vision 8.4 (RPU NAL units, an edit list) and HDR10+ SEI: whole
 * clips, every frame out as avdec_h265 gives, nothing on the bus. */
GST_START_TEST (test_clip_dolby_vision_and_hdr10plus_decode_cleanly)
{
  const gchar *names[] = { "hlg_phone_rooftop_1080p_hevc.mp4",
    "hdr10_rooftops_1080p30_hevc.mp4"
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    gchar *path = clip (names[i]);
    Run r;

    if (!path)
      continue;
    gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! qtdemux ! "
        "h265parse ! tee name=t t. ! queue ! estdec ! fakesink name=n0 "
        "signal-handoffs=true t. ! queue ! avdec_h265 ! fakesink name=n1 "
        "signal-handoffs=true", path);
    GstElement *p = pipeline_new (desc);
    guint n[2] = { 0, 0 };
    for (guint s = 0; s < 2; s++) {
      GstElement *sink = gst_bin_get_by_name (GST_BIN (p), s ? "n1" : "n0");
      g_signal_connect_swapped (sink, "handoff",
          G_CALLBACK (g_atomic_int_inc), &n[s]);
      gst_object_unref (sink);
    }
    run_init (&r);
    run_pipeline (p, &r, 120);
    fail_unless_clean_eos (&r, names[i]);
    for (GList * l = r.warnings; l; l = l->next) {
      GError *e = NULL;
      gst_message_parse_warning (l->data, &e, NULL);
      fail ("%s: warning from %s: %s", names[i],
          GST_OBJECT_NAME (GST_MESSAGE_SRC (l->data)), e->message);
    }
    fail_unless (n[0] > 0);
    fail_unless (n[0] == n[1], "%s: %u frames from estdec, %u from "
        "avdec_h265", names[i], n[0], n[1]);
    run_clear (&r);
    g_free (desc);
    g_free (path);
  }
}

GST_END_TEST;

/* 3. Static HDR metadata from the bitstream when the caps lose it. */

/* HDR10 metadata of a BT.2020 PQ master (as in estenc.c). */
#define HDR_MDI "35400:14600:8500:39850:6550:2300:15635:16450:10000000:50"
#define HDR_CLL "1100:180"

static GstPadProbeReturn
strip_hdr_fields (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  GstStructure *s;
  GstCaps *caps;

  if (GST_EVENT_TYPE (ev) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (ev, &caps);
  caps = gst_caps_copy (caps);
  s = gst_caps_get_structure (caps, 0);
  if (gst_structure_has_field (s, "mastering-display-info"))
    *(gboolean *) data = TRUE;
  gst_structure_remove_fields (s, "mastering-display-info",
      "content-light-level", NULL);
  gst_event_unref (ev);
  GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_caps (caps);
  gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_hdr_metadata_from_sei)
{
  /* HEVC carries it in SEI, AV1 in metadata OBUs. */
  static const gchar *const cases[][2] = {
    {"esth265enc", "h265parse"},
    {"estav1enc", "av1parse"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstVideoMasteringDisplayInfo got, want;
    GstVideoContentLightLevel cll;
    gboolean stripped = FALSE;
    Run r;

    if (!est_test_have_elements ("HDR metadata", cases[i][0], cases[i][1],
            NULL))
      continue;
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! "
        "video/x-raw,format=I420_10LE,width=%d,height=%d,framerate=%d/1,"
        "colorimetry=bt2100-pq,mastering-display-info=(string)" HDR_MDI ","
        "content-light-level=(string)" HDR_CLL " ! %s "
        "speed-preset=ultrafast ! %s ! estdec name=dec ! appsink "
        "name=est", W, H, FPS, cases[i][0], cases[i][1]);
    GstElement *p = pipeline_new (desc);
    GstElement *dec = gst_bin_get_by_name (GST_BIN (p), "dec");
    GstPad *pad = gst_element_get_static_pad (dec, "sink");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        strip_hdr_fields, &stripped, NULL);
    gst_object_unref (pad);
    gst_object_unref (dec);
    run_init (&r);
    run_pipeline (p, &r, 60);
    fail_unless_clean_eos (&r, cases[i][0]);
    fail_unless (stripped, "%s: the caps into estdec had no HDR fields to "
        "strip", cases[i][0]);
    fail_unless_equals_int (r.est->len, 3);

    GstCaps *caps = PIC (r.est, 0)->caps;
    fail_unless (gst_video_mastering_display_info_from_string (&want, HDR_MDI));
    fail_unless (gst_video_mastering_display_info_from_caps (&got, caps),
        "%s: no mastering-display-info in %" GST_PTR_FORMAT, cases[i][0], caps);
    fail_unless (gst_video_mastering_display_info_is_equal (&got, &want),
        "%s: mastering-display-info in %" GST_PTR_FORMAT ", wanted "
        HDR_MDI, cases[i][0], caps);
    fail_unless (gst_video_content_light_level_from_caps (&cll, caps),
        "%s: no content-light-level in %" GST_PTR_FORMAT, cases[i][0], caps);
    fail_unless_equals_int (cll.max_content_light_level, 1100);
    fail_unless_equals_int (cll.max_frame_average_light_level, 180);
    check_colorimetry (PIC (r.est, 0), "bt2100-pq", cases[i][0]);
    run_clear (&r);
    g_free (desc);
  }
}

GST_END_TEST;

/* Encodes n frames of the moving zone plate (raw_caps) with `encoder`;
 * returns the packets and, in caps, the encoder's output caps. */
static GList *
encode_packets (const gchar * encoder, const gchar * raw_caps, guint n,
    GstCaps ** caps)
{
  GstHarness *h = gst_harness_new_parse (encoder);
  gchar *src = g_strdup_printf ("videotestsrc " PATTERN " ! capsfilter "
      "caps=\"%s\"", raw_caps);
  GList *out = NULL;
  GstBuffer *buf;

  gst_harness_add_src_parse (h, src, TRUE);
  fail_unless_equals_int (gst_harness_src_crank_and_push_many (h, 0, n),
      GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((buf = gst_harness_try_pull (h)))
    out = g_list_append (out, buf);
  if (caps)
    *caps = gst_pad_get_current_caps (h->sinkpad);
  gst_harness_teardown (h);
  g_free (src);
  return out;
}

static gchar *
raw_caps (const gchar * format, gint width, gint height)
{
  return g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=%d/1", format, width, height, FPS);
}

static void
append_packets (GByteArray * to, GList * packets)
{
  for (GList * l = packets; l; l = l->next) {
    GstMapInfo m;
    fail_unless (gst_buffer_map (l->data, &m, GST_MAP_READ));
    g_byte_array_append (to, m.data, (guint) m.size);
    gst_buffer_unmap (l->data, &m);
  }
}

/* 4. Two byte-streams one after the other in a file: the second has
 * another size or bit depth. */
static void
check_concatenated (const gchar * format_a, gint wa, gint ha,
    const gchar * format_b, gint wb, gint hb, const gchar * what)
{
  gchar *caps_a = raw_caps (format_a, wa, ha);
  gchar *caps_b = raw_caps (format_b, wb, hb);
  GList *a = encode_packets ("x264enc bframes=2", caps_a, 6, NULL);
  GList *b = encode_packets ("x264enc bframes=2", caps_b, 6, NULL);
  GByteArray *bytes = g_byte_array_new ();
  gchar *dir = g_dir_make_tmp ("estdec-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "two.264", NULL);
  Run r;

  append_packets (bytes, a);
  append_packets (bytes, b);
  fail_unless (g_file_set_contents (path, (const gchar *) bytes->data,
          bytes->len, NULL));
  gchar *source = g_strdup_printf ("filesrc location=\"%s\" ! h264parse",
      path);
  run_init (&r);
  check_bit_exact (source, "avdec_h264", what, &r);
  /* Every frame of both streams, each half with its own caps. */
  fail_unless_equals_int (r.est->len, 12);
  for (guint i = 0; i < r.est->len; i++) {
    const Pic *p = PIC (r.est, i);
    GstVideoInfo want;
    gst_video_info_set_format (&want,
        gst_video_format_from_string (i < 6 ? format_a : format_b),
        i < 6 ? wa : wb, i < 6 ? ha : hb);
    fail_unless (GST_VIDEO_INFO_FORMAT (&p->info) ==
        GST_VIDEO_INFO_FORMAT (&want) && GST_VIDEO_INFO_WIDTH (&p->info) ==
        GST_VIDEO_INFO_WIDTH (&want) && GST_VIDEO_INFO_HEIGHT (&p->info) ==
        GST_VIDEO_INFO_HEIGHT (&want), "%s: picture %u has caps %"
        GST_PTR_FORMAT, what, i, p->caps);
  }
  run_clear (&r);
  g_unlink (path);
  g_rmdir (dir);
  g_free (source);
  g_free (path);
  g_free (dir);
  g_byte_array_unref (bytes);
  g_list_free_full (a, (GDestroyNotify) gst_buffer_unref);
  g_list_free_full (b, (GDestroyNotify) gst_buffer_unref);
  g_free (caps_a);
  g_free (caps_b);
}

GST_START_TEST (test_size_change_renegotiates)
{
  check_concatenated ("I420", W, H, "I420", 176, 144, "size change");
}

GST_END_TEST;

GST_START_TEST (test_bit_depth_change_renegotiates)
{
  check_concatenated ("I420", W, H, "I420_10LE", W, H, "bit depth change");
}

GST_END_TEST;

/* 5. Flushing seeks in an MP4, in PAUSED and in PLAYING. */

/* The next picture from sink, failing the check on a timeout. NULL at
 * EOS. */
static Pic *
pull_pic (GstAppSink * sink)
{
  GstSample *s = gst_app_sink_try_pull_sample (sink, 30 * GST_SECOND);
  Pic *p;

  if (!s) {
    fail_unless (gst_app_sink_is_eos (sink), "no picture within 30 s");
    return NULL;
  }
  p = pic_new (gst_sample_get_buffer (s), gst_sample_get_caps (s),
      gst_sample_get_segment (s));
  gst_sample_unref (s);
  return p;
}

/* The reference picture at pts, or -1. */
static gint
ref_index (GPtrArray * ref, GstClockTime pts)
{
  for (guint i = 0; i < ref->len; i++)
    if (PIC (ref, i)->pts == pts)
      return (gint) i;
  return -1;
}

static void
check_same_pic (const Pic * p, const Pic * want, const gchar * what)
{
  check_pic (p, what, 0);
  fail_unless (p->pts == want->pts, "%s: picture at %" GST_TIME_FORMAT
      ", wanted %" GST_TIME_FORMAT, what, GST_TIME_ARGS (p->pts),
      GST_TIME_ARGS (want->pts));
  for (guint i = 0; i < GST_VIDEO_INFO_N_PLANES (&p->info); i++)
    fail_unless (g_str_equal (p->plane[i], want->plane[i]), "%s: picture "
        "at %" GST_TIME_FORMAT ", plane %u differs from avdec_h264's", what,
        GST_TIME_ARGS (p->pts), i);
}

/* Keeps the PTS of key frame packets. */
static void
on_packet (GstElement * sink, GstBuffer * buf, GstPad * pad, GArray * keys)
{
  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    GstClockTime pts = GST_BUFFER_PTS (buf);
    g_array_append_val (keys, pts);
  }
}

static void
seek_to (GstElement * p, GstClockTime pos, GstSeekFlags flags)
{
  fail_unless (gst_element_seek_simple (p, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | flags, pos));
}

GST_START_TEST (test_seek_resumes_with_correct_frames)
{
  gchar *dir = g_dir_make_tmp ("estdec-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "seek.mp4", NULL);
  gchar *caps = raw_caps ("I420", W, H);
  Run made, ref;

  /* 50 frames, a key frame every 10, B-frames. */
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=50 " PATTERN
      " ! %s ! x264enc key-int-max=10 bframes=2 b-adapt=false ! h264parse ! "
      "mp4mux ! filesink location=\"%s\"", caps, path);
  run_init (&made);
  run_pipeline (pipeline_new (desc), &made, 60);
  fail_unless_clean_eos (&made, desc);
  run_clear (&made);
  g_free (desc);

  /* The reference: every picture, decoded from the start, and where the
   * key frames are (decoded buffers do not say). */
  desc = g_strdup_printf ("filesrc location=\"%s\" ! qtdemux ! h264parse ! "
      "tee name=t t. ! queue ! avdec_h264 ! appsink name=ref t. ! queue ! "
      "fakesink name=keys signal-handoffs=true", path);
  GstElement *p = pipeline_new (desc);
  GstElement *keys_sink = gst_bin_get_by_name (GST_BIN (p), "keys");
  GArray *keys = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  g_signal_connect (keys_sink, "handoff", G_CALLBACK (on_packet), keys);
  gst_object_unref (keys_sink);
  run_init (&ref);
  run_pipeline (p, &ref, 60);
  fail_unless_clean_eos (&ref, desc);
  fail_unless_equals_int (ref.ref->len, 50);
  for (guint i = 0; i < ref.ref->len; i++) {
    gboolean key = FALSE;
    for (guint k = 0; k < keys->len; k++)
      key |= g_array_index (keys, GstClockTime, k) == PIC (ref.ref, i)->pts;
    fail_unless (key == (i % 10 == 0), "picture %u is %sa key frame", i,
        key ? "" : "not ");
  }
  g_array_unref (keys);
  g_free (desc);

  desc = g_strdup_printf ("filesrc location=\"%s\" ! qtdemux ! h264parse ! "
      "estdec ! appsink name=est max-buffers=2", path);
  p = pipeline_new (desc);
  GstElement *sink_el;
  GstAppSink *sink;
  Pic *pic;

  prepare_sink (p, "est", NULL);
  sink_el = gst_bin_get_by_name (GST_BIN (p), "est");
  sink = GST_APP_SINK (sink_el);

  /* PAUSED: an accurate seek between key frames (25; key frames at 20 and
   * 30) prerolls on that very picture. */
  gst_element_set_state (p, GST_STATE_PAUSED);
  fail_unless_equals_int (gst_element_get_state (p, NULL, NULL,
          30 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  seek_to (p, PIC (ref.ref, 25)->stream_time, GST_SEEK_FLAG_ACCURATE);
  fail_unless_equals_int (gst_element_get_state (p, NULL, NULL,
          30 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  GstSample *s = gst_app_sink_try_pull_preroll (sink, 30 * GST_SECOND);
  fail_unless (s != NULL, "no preroll after the seek");
  pic = pic_new (gst_sample_get_buffer (s), gst_sample_get_caps (s),
      gst_sample_get_segment (s));
  gst_sample_unref (s);
  check_same_pic (pic, PIC (ref.ref, 25), "preroll after seek in PAUSED");
  pic_free (pic);

  /* PLAYING: the stream goes on from there... */
  gst_element_set_state (p, GST_STATE_PLAYING);
  for (guint i = 25; i < 28; i++) {
    pic = pull_pic (sink);
    fail_unless (pic != NULL, "EOS at picture %u", i);
    check_same_pic (pic, PIC (ref.ref, i), "playing after seek in PAUSED");
    pic_free (pic);
  }

  /* ...and a seek while playing, to key frame 10, restarts from it and
   * runs to the end with every picture right. */
  seek_to (p, PIC (ref.ref, 10)->stream_time, GST_SEEK_FLAG_ACCURATE);
  guint n = 0;
  while ((pic = pull_pic (sink))) {
    fail_unless (10 + n < ref.ref->len, "more pictures than the stream has");
    check_same_pic (pic, PIC (ref.ref, 10 + n), "after seek in PLAYING");
    pic_free (pic);
    n++;
  }
  fail_unless_equals_int (n, 40);

  /* A key-unit seek snaps back to the key frame before the position. */
  seek_to (p, PIC (ref.ref, 34)->stream_time, GST_SEEK_FLAG_KEY_UNIT |
      GST_SEEK_FLAG_SNAP_BEFORE);
  pic = pull_pic (sink);
  fail_unless (pic != NULL);
  fail_unless (ref_index (ref.ref, pic->pts) == 30, "key-unit seek to 34 "
      "gave picture %d", ref_index (ref.ref, pic->pts));
  check_same_pic (pic, PIC (ref.ref, 30), "after key-unit seek");
  pic_free (pic);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink_el);
  gst_object_unref (p);
  run_clear (&ref);
  g_unlink (path);
  g_rmdir (dir);
  g_free (desc);
  g_free (caps);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

/* 6. EOS drains what B-frame reordering and frame threads hold. */
GST_START_TEST (test_eos_drains_every_frame)
{
  gchar *raw = raw_caps ("I420", W, H);
  GstCaps *caps;
  GList *packets = encode_packets ("x264enc bframes=3 b-adapt=false "
      "key-int-max=30", raw, 24, &caps);
  GstHarness *h = gst_harness_new ("estdec");
  GArray *in = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  guint n = 0;

  fail_unless_equals_int (g_list_length (packets), 24);
  /* Not live: frame threads, no low-latency mode. */
  gst_harness_set_live (h, FALSE);
  g_object_set (h->element, "max-threads", 2, NULL);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  for (GList * l = packets; l; l = l->next) {
    GstClockTime pts = GST_BUFFER_PTS (l->data);
    g_array_append_val (in, pts);
    fail_unless_equals_int (gst_harness_push (h,
            gst_buffer_ref (l->data)), GST_FLOW_OK);
  }
  fail_unless (gst_harness_buffers_received (h) < 24,
      "nothing held before EOS: the drain is not tested");
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_received (h), 24);

  /* In presentation order, each input timestamp once, key frame first. */
  GstBuffer *buf;
  GstClockTime last = GST_CLOCK_TIME_NONE;
  while ((buf = gst_harness_try_pull (h))) {
    GstClockTime pts = GST_BUFFER_PTS (buf);
    fail_unless (GST_CLOCK_TIME_IS_VALID (pts));
    if (n == 0)
      fail_if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT));
    else
      fail_unless (pts > last, "picture %u at %" GST_TIME_FORMAT " after %"
          GST_TIME_FORMAT, n, GST_TIME_ARGS (pts), GST_TIME_ARGS (last));
    gboolean found = FALSE;
    for (guint i = 0; i < in->len; i++)
      found |= g_array_index (in, GstClockTime, i) == pts;
    fail_unless (found, "picture at %" GST_TIME_FORMAT " not in the input",
        GST_TIME_ARGS (pts));
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), DUR);
    last = pts;
    n++;
    gst_buffer_unref (buf);
  }
  fail_unless_equals_int (n, 24);
  gst_harness_teardown (h);
  g_array_unref (in);
  gst_caps_unref (caps);
  g_list_free_full (packets, (GDestroyNotify) gst_buffer_unref);
  g_free (raw);
}

GST_END_TEST;

/* 7. Corrupted input. */
typedef struct
{
  const gchar *name;
  const gchar *encoder;
  const gchar *parser;          /* between appsrc and estdec, or NULL */
} Codec;

static const Codec codecs[] = {
  {"H.264", "x264enc key-int-max=10 bframes=2", "h264parse"},
  {"HEVC", X265 " key-int-max=10", "h265parse"},
  /* No av1parse: a broken OBU size is the parser's error, not estdec's. */
  {"AV1", "estav1enc speed-preset=ultrafast key-int-max=10", NULL},
};

/* The packets of 30 frames of c, or NULL (and a note) when an element is
 * missing. */
static GList *
codec_packets (const Codec * c, GstCaps ** caps)
{
  gchar *enc = element_name (c->encoder);
  gchar *raw = raw_caps ("I420", W, H);
  GList *packets = NULL;

  if (est_test_have_elements (c->name, enc, c->parser ? c->parser : "estdec",
          NULL))
    packets = encode_packets (c->encoder, raw, 30, caps);
  g_free (raw);
  g_free (enc);
  return packets;
}

static GstBuffer *
buffer_from (const guint8 * data, gsize size, GstClockTime pts)
{
  GstBuffer *b = gst_buffer_new_memdup (data, size);
  GST_BUFFER_PTS (b) = pts;
  GST_BUFFER_DURATION (b) = DUR;
  return b;
}

static GstBuffer *
copy_packet (GstBuffer * src)
{
  return gst_buffer_copy_deep (src);
}

/* Random bytes, none zero: no start code, no OBU a decoder takes. */
static GstBuffer *
garbage (GRand * rand, gsize size, gboolean start_code, GstClockTime pts)
{
  guint8 *data = g_malloc (size);
  GstBuffer *b;

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_rand_int_range (rand, 1, 256);
  if (start_code && size > 4)
    memcpy (data, "\0\0\0\1", 4);
  b = buffer_from (data, size, pts);
  g_free (data);
  return b;
}

static void
feed_all (GstAppSrc * src, gpointer length, gpointer data)
{
  GList **packets = data;

  for (GList * l = *packets; l; l = l->next)
    gst_app_src_push_buffer (src, l->data);
  g_list_free (*packets);
  *packets = NULL;
  gst_app_src_end_of_stream (src);
}

/* Runs packets (taken) from an appsrc with caps through c's parser (when
 * `parse`) into estdec with props; pictures in r->est. */
static void
run_packets (const Codec * c, GstCaps * caps, GList * packets,
    gboolean parse, const gchar * props, Run * r)
{
  gchar *desc = g_strdup_printf ("appsrc name=src format=time ! %s ! "
      "estdec name=dec %s ! appsink name=est",
      parse && c->parser ? c->parser : "identity", props ? props : "");
  GstElement *p = pipeline_new (desc);
  GstElement *src = gst_bin_get_by_name (GST_BIN (p), "src");
  GstCaps *in_caps = gst_caps_copy (caps);

  /* Straight into estdec, the packets are what it takes. */
  if (!parse || !c->parser)
    gst_caps_set_simple (in_caps, "alignment", G_TYPE_STRING,
        c->parser ? "au" : "tu", NULL);
  g_object_set (src, "caps", in_caps, NULL);
  g_signal_connect (src, "need-data", G_CALLBACK (feed_all), &packets);
  run_pipeline (p, r, 60);
  g_list_free_full (packets, (GDestroyNotify) gst_buffer_unref);
  gst_object_unref (src);
  gst_caps_unref (in_caps);
  g_free (desc);
}

GST_START_TEST (test_flipped_bits_warn_and_reach_eos)
{
  const Codec *c = &codecs[__i__];
  GstCaps *caps = NULL;
  GList *packets = codec_packets (c, &caps), *bad = NULL;
  GRand *rand = g_rand_new_with_seed (4242);
  gsize flips = 0;
  Run r;

  if (!packets)
    return;
  /* The first packet (the key frame and its headers) intact, then one bit
   * in about 200 bytes flipped. No crash, no hang (run_pipeline's
   * timeout), and with the default max-errors (-1) never an error: EOS. */
  for (GList * l = packets; l; l = l->next) {
    GstBuffer *b = copy_packet (l->data);
    if (l != packets) {
      GstMapInfo m;
      fail_unless (gst_buffer_map (b, &m, GST_MAP_READWRITE));
      for (gsize pos = g_rand_int_range (rand, 0, 200); pos < m.size;
          pos += g_rand_int_range (rand, 1, 400)) {
        m.data[pos] ^= 1 << g_rand_int_range (rand, 0, 8);
        flips++;
      }
      gst_buffer_unmap (b, &m);
    }
    bad = g_list_append (bad, b);
  }
  fail_unless (flips > 10);
  run_init (&r);
  run_packets (c, caps, bad, TRUE, NULL, &r);
  fail_unless_clean_eos (&r, c->name);
  fail_unless (estdec_warnings (&r) > 0, "%s: %" G_GSIZE_FORMAT " flipped "
      "bits and no warning from estdec", c->name, flips);
  fail_unless (r.est->len > 0, "%s: not even the intact key frame", c->name);
  run_clear (&r);
  g_rand_free (rand);
  gst_caps_unref (caps);
  g_list_free_full (packets, (GDestroyNotify) gst_buffer_unref);
}

GST_END_TEST;

GST_START_TEST (test_cut_packets_reach_eos)
{
  const Codec *c = &codecs[__i__];
  GstCaps *caps = NULL;
  GList *packets = codec_packets (c, &caps), *bad = NULL;
  GRand *rand = g_rand_new_with_seed (77);
  Run r;
  guint i = 0;

  if (!packets)
    return;
  /* Every other packet after the first cut short at a random point. */
  for (GList * l = packets; l; l = l->next, i++) {
    GstBuffer *b = copy_packet (l->data);
    gsize size = gst_buffer_get_size (b);
    if (i > 0 && i % 2 == 1 && size > 1)
      gst_buffer_resize (b, 0, g_rand_int_range (rand, 1, (gint32) size));
    bad = g_list_append (bad, b);
  }
  run_init (&r);
  run_packets (c, caps, bad, TRUE, NULL, &r);
  fail_unless_clean_eos (&r, c->name);
  fail_unless (r.est->len > 0, "%s: not even the intact key frame", c->name);
  run_clear (&r);
  g_rand_free (rand);
  gst_caps_unref (caps);
  g_list_free_full (packets, (GDestroyNotify) gst_buffer_unref);
}

GST_END_TEST;

static GList *
copy_packets (GList * packets)
{
  GList *out = NULL;
  for (GList * l = packets; l; l = l->next)
    out = g_list_append (out, copy_packet (l->data));
  return out;
}

/* Inserts n buffers of random sizes before packet `at` of list; with
 * start_codes every other one starts with one. */
static GList *
insert_garbage (GList * list, guint at, guint n, gboolean start_codes,
    GRand * rand)
{
  GList *before = g_list_nth (list, at);
  GstClockTime pts = before ? GST_BUFFER_PTS (before->data) : 0;

  for (guint i = 0; i < n; i++)
    list = g_list_insert_before (list, before, garbage (rand,
            g_rand_int_range (rand, 1, 3000), start_codes && i % 2, pts));
  return list;
}

/* The packets with n garbage buffers after the first `head`. */
static GList *
with_garbage (GList * packets, guint head, guint n, gboolean start_codes,
    GRand * rand)
{
  return insert_garbage (copy_packets (packets), head, n, start_codes, rand);
}

GST_START_TEST (test_garbage_warns_and_reaches_eos)
{
  const Codec *c = &codecs[__i__];
  GstCaps *caps = NULL;
  GList *packets = codec_packets (c, &caps);
  GRand *rand = g_rand_new_with_seed (9);
  Run r;

  if (!packets)
    return;
  /* Straight into estdec: a parser would drop what has no start code. */
  run_init (&r);
  run_packets (c, caps, with_garbage (packets, 3, 20, TRUE, rand), FALSE,
      NULL, &r);
  fail_unless_clean_eos (&r, c->name);
  fail_unless (estdec_warnings (&r) > 0, "%s: 20 garbage packets and no "
      "warning from estdec", c->name);
  fail_unless (r.est->len > 0, "%s: no pictures", c->name);
  run_clear (&r);

  /* Nothing but garbage from the start. */
  GList *only = NULL;
  for (guint i = 0; i < 20; i++)
    only = g_list_append (only, garbage (rand, g_rand_int_range (rand, 1,
                3000), i % 2, i * DUR));
  run_init (&r);
  run_packets (c, caps, only, FALSE, NULL, &r);
  fail_unless_clean_eos (&r, c->name);
  fail_unless (estdec_warnings (&r) > 0, "%s: only garbage and no warning "
      "from estdec", c->name);
  run_clear (&r);
  g_rand_free (rand);
  gst_caps_unref (caps);
  g_list_free_full (packets, (GDestroyNotify) gst_buffer_unref);
}

GST_END_TEST;

/* The error of a run: estdec's, STREAM/DECODE. */
static void
check_decode_error (Run * r, const gchar * what)
{
  GError *e = NULL;

  fail_unless (r->error != NULL, "%s: no error", what);
  fail_unless (is_estdec (GST_MESSAGE_SRC (r->error)), "%s: error from %s",
      what, GST_OBJECT_NAME (GST_MESSAGE_SRC (r->error)));
  gst_message_parse_error (r->error, &e, NULL);
  fail_unless (g_error_matches (e, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE),
      "%s: %s", what, e->message);
  g_clear_error (&e);
}

/* GstVideoDecoder's max-errors (default -1: never fatal): an error once
 * more than max-errors consecutive packets failed. One thread, so that
 * each failure is reported with its own packet. */
GST_START_TEST (test_max_errors_makes_errors_fatal)
{
  const Codec *c = &codecs[0];
  GstCaps *caps = NULL;
  GList *packets = codec_packets (c, &caps);
  GRand *rand = g_rand_new_with_seed (5);
  Run r;

  if (!packets)
    return;
  /* Garbage without start codes: each is refused. */
  run_init (&r);
  run_packets (c, caps, with_garbage (packets, 3, 1, FALSE, rand), FALSE,
      "max-threads=1 max-errors=0", &r);
  check_decode_error (&r, "max-errors=0, one bad packet");
  run_clear (&r);

  run_init (&r);
  run_packets (c, caps, with_garbage (packets, 3, 3, FALSE, rand), FALSE,
      "max-threads=1 max-errors=3", &r);
  fail_unless_clean_eos (&r, "max-errors=3, 3 bad packets");
  fail_unless_equals_int (r.est->len, 30);
  run_clear (&r);

  run_init (&r);
  run_packets (c, caps, with_garbage (packets, 3, 4, FALSE, rand), FALSE,
      "max-threads=1 max-errors=3", &r);
  check_decode_error (&r, "max-errors=3, 4 bad packets");
  run_clear (&r);

  /* Consecutive failures: a decoded picture in between starts over. */
  GList *twice = insert_garbage (with_garbage (packets, 3, 3, FALSE, rand),
      3 + 3 + 5, 3, FALSE, rand);
  run_init (&r);
  run_packets (c, caps, twice, FALSE, "max-threads=1 max-errors=3", &r);
  fail_unless_clean_eos (&r, "max-errors=3, twice 3 bad packets");
  fail_unless_equals_int (r.est->len, 30);
  run_clear (&r);

  /* The default: never fatal. */
  run_init (&r);
  run_packets (c, caps, with_garbage (packets, 3, 40, FALSE, rand), FALSE,
      "max-threads=1", &r);
  fail_unless_clean_eos (&r, "default max-errors, 40 bad packets");
  fail_unless_equals_int (r.est->len, 30);
  run_clear (&r);

  g_rand_free (rand);
  gst_caps_unref (caps);
  g_list_free_full (packets, (GDestroyNotify) gst_buffer_unref);
}

GST_END_TEST;

/* 8. Low latency: one packet in, one picture out. */

/* A harness around props (an estdec description), upstream live or not,
 * and 10 packets without B-frames for it. */
static GstHarness *
latency_harness (const gchar * props, gboolean live, GstCaps ** caps,
    GList ** packets)
{
  gchar *raw = raw_caps ("I420", W, H);
  GstHarness *h = gst_harness_new_parse (props);

  *packets = encode_packets ("x264enc tune=zerolatency", raw, 10, caps);
  fail_unless_equals_int (g_list_length (*packets), 10);
  gst_harness_set_live (h, live);
  gst_harness_set_src_caps (h, gst_caps_ref (*caps));
  g_free (raw);
  return h;
}

static void
check_one_in_one_out (const gchar * props, gboolean live, const gchar * what)
{
  GstCaps *caps;
  GList *packets;
  GstHarness *h = latency_harness (props, live, &caps, &packets);
  guint i = 0;

  for (GList * l = packets; l; l = l->next, i++) {
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (l->data)),
        GST_FLOW_OK);
    fail_unless (gst_harness_buffers_received (h) == i + 1, "%s: %u "
        "pictures out after %u packets", what,
        gst_harness_buffers_received (h), i + 1);
  }
  gst_harness_teardown (h);
  gst_caps_unref (caps);
  g_list_free_full (packets, (GDestroyNotify) gst_buffer_unref);
}

GST_START_TEST (test_low_latency_is_one_in_one_out)
{
  GstCaps *caps;
  GList *packets;

  check_one_in_one_out ("estdec low-latency=true max-threads=3", FALSE,
      "low-latency=true");

  /* The control: without it frame threads hold pictures, so the check
   * above is not vacuous. */
  GstHarness *h = latency_harness ("estdec max-threads=3", FALSE, &caps,
      &packets);
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_ref (packets->data)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_ref (packets->next->data)), GST_FLOW_OK);
  fail_unless (gst_harness_buffers_received (h) < 2,
      "frame threads held nothing");
  gst_harness_teardown (h);
  gst_caps_unref (caps);
  g_list_free_full (packets, (GDestroyNotify) gst_buffer_unref);
}

GST_END_TEST;

GST_START_TEST (test_live_upstream_is_low_latency)
{
  check_one_in_one_out ("estdec max-threads=3", TRUE, "live upstream");
}

GST_END_TEST;

/* 9. Settings refused at start. */
static void
check_start_error (const gchar * props, gint code, const gchar * words)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! "
      "video/x-raw,format=I420,width=%d,height=%d ! x264enc ! h264parse ! "
      "estdec %s ! fakesink", W, H, props);
  GError *err = NULL;
  Run r;

  run_init (&r);
  run_pipeline (pipeline_new (desc), &r, 30);
  fail_unless (r.error != NULL, "%s: no error", desc);
  gst_message_parse_error (r.error, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR, code), "%s: %s",
      desc, err->message);
  fail_unless (strstr (err->message, words) != NULL, "%s: \"%s\" lacks %s",
      desc, err->message, words);
  fail_unless (is_estdec (GST_MESSAGE_SRC (r.error)));
  g_clear_error (&err);
  run_clear (&r);
  g_free (desc);
}

GST_START_TEST (test_refused_settings_are_errors)
{
  check_start_error ("device=virtual", GST_RESOURCE_ERROR_NOT_FOUND, "VA-API");
  check_start_error ("device=gpu", GST_RESOURCE_ERROR_SETTINGS, "gpu");
}

GST_END_TEST;

/* 10. Downstream without GstVideoMeta: the default layout, same bytes. */
static GPtrArray *
harness_pics (GList * packets, GstCaps * caps, gboolean video_meta)
{
  GstHarness *h = gst_harness_new ("estdec");
  GPtrArray *pics = pics_new ();
  GstBuffer *buf;

  if (video_meta)
    gst_harness_add_propose_allocation_meta (h, GST_VIDEO_META_API_TYPE, NULL);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  for (GList * l = packets; l; l = l->next)
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (l->data)),
        GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GstCaps *out = gst_pad_get_current_caps (h->sinkpad);
  while ((buf = gst_harness_try_pull (h))) {
    g_ptr_array_add (pics, pic_new (buf, out, NULL));
    gst_buffer_unref (buf);
  }
  gst_caps_unref (out);
  gst_harness_teardown (h);
  return pics;
}

GST_START_TEST (test_downstream_without_video_meta_gets_default_layout)
{
  gchar *raw = raw_caps ("I420", W, H);
  GstCaps *caps;
  GList *packets = encode_packets ("x264enc", raw, 8, &caps);
  GPtrArray *plain = harness_pics (packets, caps, FALSE);
  GPtrArray *meta = harness_pics (packets, caps, TRUE);
  gboolean direct = FALSE;

  fail_unless_equals_int (plain->len, 8);
  for (guint i = 0; i < plain->len; i++) {
    check_pic (PIC (plain, i), "without GstVideoMeta", i);
    fail_unless (PIC (plain, i)->default_layout, "picture %u is not in the "
        "default layout for a peer without GstVideoMeta", i);
  }
  for (guint i = 0; i < meta->len; i++)
    direct |= !PIC (meta, i)->default_layout;
  /* With GstVideoMeta estdec pushes the decoder's own buffers (rows
   * aligned for SIMD), so both paths were taken. */
  fail_unless (direct, "with GstVideoMeta every picture was in the default "
      "layout");
  check_identical (plain, meta, "with and without GstVideoMeta");
  g_ptr_array_unref (plain);
  g_ptr_array_unref (meta);
  gst_caps_unref (caps);
  g_list_free_full (packets, (GDestroyNotify) gst_buffer_unref);
  g_free (raw);
}

GST_END_TEST;

static Suite *
estdec_suite (void)
{
  Suite *s = suite_create ("estdec");
  TCase *tc = tcase_create ("general");
  const gint n_codecs = G_N_ELEMENTS (codecs);

  suite_add_tcase (s, tc);
  /* Generous for ASan, several times slower. */
  tcase_set_timeout (tc, 180);
  tcase_add_checked_fixture (tc, setup, NULL);
  tcase_add_loop_test (tc, test_bit_exact_with_reference_decoder, 0,
      G_N_ELEMENTS (streams));
  tcase_add_test (tc, test_clip_h264_is_bit_exact);
  tcase_add_test (tc, test_clip_hdr10_hevc_is_bit_exact_with_hdr_caps);
  tcase_add_test (tc, test_clip_hdr10_av1_in_mp4_is_10bit_pq);
  tcase_add_test (tc, test_clip_hlg_hevc_is_bt2100_hlg);
  tcase_add_test (tc, test_clip_dolby_vision_and_hdr10plus_decode_cleanly);
  tcase_add_test (tc, test_hdr_metadata_from_sei);
  tcase_add_test (tc, test_size_change_renegotiates);
  tcase_add_test (tc, test_bit_depth_change_renegotiates);
  tcase_add_test (tc, test_seek_resumes_with_correct_frames);
  tcase_add_test (tc, test_eos_drains_every_frame);
  tcase_add_loop_test (tc, test_flipped_bits_warn_and_reach_eos, 0, n_codecs);
  tcase_add_loop_test (tc, test_cut_packets_reach_eos, 0, n_codecs);
  tcase_add_loop_test (tc, test_garbage_warns_and_reaches_eos, 0, n_codecs);
  tcase_add_test (tc, test_max_errors_makes_errors_fatal);
  tcase_add_test (tc, test_low_latency_is_one_in_one_out);
  tcase_add_test (tc, test_live_upstream_is_low_latency);
  tcase_add_test (tc, test_refused_settings_are_errors);
  tcase_add_test (tc, test_downstream_without_video_meta_gets_default_layout);
  return s;
}

GST_CHECK_MAIN (estdec);
