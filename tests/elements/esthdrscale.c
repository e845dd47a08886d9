/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* esthdrscale as a GStreamer element: every kind of conversion negotiates
 * and lands on the light it should (PQ, HLG and SDR anchors checked on flat
 * pictures with values computed here from the standards); HDR metadata
 * removed for SDR and rewritten for a new peak; broken metadata skipped
 * with a warning; odd sizes and 8K; renegotiation and property changes
 * while playing; v210 packed as GStreamer packs it; R'G'B' to and from
 * Y'CbCr on flat colours; borders; passthrough; a clear error for what it
 * cannot do. */

#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "esttest.h"

static void
setup (void)
{
  est_test_check_plugin_origin ();
}

/* SMPTE ST 2084 inverse EOTF: cd/m2 -> signal. */
static double
pq_signal (double cdm2)
{
  const double m1 = 2610.0 / 16384, m2 = 2523.0 / 4096 * 128;
  const double c1 = 3424.0 / 4096, c2 = 2413.0 / 4096 * 32;
  const double c3 = 2392.0 / 4096 * 32;
  double y = pow (cdm2 / 10000.0, m1);
  return pow ((c1 + c2 * y) / (1 + c3 * y), m2);
}

/* Limited-range luma code of signal v at depth d. */
static int
luma_code (double v, int depth)
{
  return (int) lround ((16 + 219 * v) * (1 << (depth - 8)));
}

/* Address of component c at (x, y) in its own grid. GStreamer's component
 * offsets for P010 are not byte offsets, so semi-planar chroma is located
 * here from the plane. Packed components (YUY2, RGB) step by their pixel
 * stride. */
static guint8 *
comp_ptr (GstVideoFrame * frame, int c, int x, int y)
{
  int bps = GST_VIDEO_INFO_COMP_DEPTH (&frame->info, c) > 8 ? 2 : 1;
  int step = MAX (bps, GST_VIDEO_FRAME_COMP_PSTRIDE (frame, c));

  if (GST_VIDEO_FRAME_N_PLANES (frame) == 2 && c > 0)
    return (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (frame, 1) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 1) + (2 * x + c - 1) * bps;
  return (guint8 *) GST_VIDEO_FRAME_COMP_DATA (frame, c) +
      y * GST_VIDEO_FRAME_COMP_STRIDE (frame, c) + x * step;
}

/* A picture of caps filled with one code triple (Y'CbCr, or R'G'B' for
 * RGB formats; alpha 0, which esthdrscale ignores). */
static GstBuffer *
flat_buffer (GstCaps * caps, int y, int u, int v)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;
  int vals[4] = { y, u, v, 0 };

  fail_unless (gst_video_info_from_caps (&info, caps));
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  for (guint c = 0; c < GST_VIDEO_INFO_N_COMPONENTS (&info); c++) {
    int depth = GST_VIDEO_INFO_COMP_DEPTH (&info, c);
    int shift = GST_VIDEO_FORMAT_INFO_SHIFT (info.finfo, c);
    fail_unless (depth == 8 || depth == 10 || depth == 12);
    for (int row = 0; row < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c); row++) {
      for (int x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&frame, c); x++) {
        guint8 *p = comp_ptr (&frame, c, x, row);
        if (depth == 8)
          p[0] = (guint8) vals[c];
        else
          GST_WRITE_UINT16_LE (p, vals[c] << shift);
      }
    }
  }
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 25;
  return buf;
}

/* Code of component c at (x, y) of buf with the harness's output caps. */
static int
sample_at (GstCaps * caps, GstBuffer * buf, int c, int x, int y)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  int v;

  fail_unless (gst_video_info_from_caps (&info, caps));
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_READ));
  int shift = GST_VIDEO_FORMAT_INFO_SHIFT (info.finfo, c);
  int depth = GST_VIDEO_INFO_COMP_DEPTH (&info, c);
  int cx = x >> GST_VIDEO_FORMAT_INFO_W_SUB (info.finfo, c);
  int cy = y >> GST_VIDEO_FORMAT_INFO_H_SUB (info.finfo, c);
  const guint8 *p = comp_ptr (&frame, c, cx, cy);
  if (depth == 8)
    v = p[0];
  else
    v = (GST_READ_UINT16_LE (p) >> shift) & ((1 << depth) - 1);
  gst_video_frame_unmap (&frame);
  return v;
}

typedef struct
{
  GstHarness *h;
  GstCaps *out_caps;            /* negotiated */
  GstBuffer *out;
} Run;

/* One flat frame through esthdrscale (with `props`, a gst-launch property
 * string, may be empty) from in_caps to what out_filter allows. */
static void
run_flat (Run * r, const gchar * props, const gchar * in_caps,
    const gchar * out_filter, int y, int u, int v)
{
  gchar *desc = g_strdup_printf ("esthdrscale %s", props);
  GstCaps *in = gst_caps_from_string (in_caps);

  r->h = gst_harness_new_parse (desc);
  g_free (desc);

  gst_harness_set_caps (r->h, gst_caps_ref (in),
      gst_caps_from_string (out_filter));
  fail_unless_equals_int (gst_harness_push (r->h, flat_buffer (in, y, u, v)),
      GST_FLOW_OK);
  r->out = gst_harness_pull (r->h);
  fail_unless (r->out != NULL);
  r->out_caps = gst_pad_get_current_caps (r->h->sinkpad);
  fail_unless (r->out_caps != NULL);
  gst_caps_unref (in);
}

static void
run_clear (Run * r)
{
  gst_buffer_unref (r->out);
  gst_caps_unref (r->out_caps);
  gst_harness_teardown (r->h);
}

#define PQ_1080 "video/x-raw,format=P010_10LE,width=64,height=36," \
  "framerate=25/1,colorimetry=bt2100-pq"
#define HLG_1080 "video/x-raw,format=I420_10LE,width=64,height=36," \
  "framerate=25/1,colorimetry=bt2100-hlg"
#define SDR_OUT "video/x-raw,format=NV12,colorimetry=bt709"

/* Each anchor from the standards, on flat grey pictures. */
GST_START_TEST (test_light_anchors)
{
  Run r;
  struct
  {
    const gchar *name, *props, *in, *out;
    double in_signal;           /* of the grey input */
    int in_depth;
    double lo, hi;              /* expected output luma code */
  } cases[] = {
    /* PQ 1000 cd/m2 (the peak) tone maps onto SDR 100 %. */
    {"PQ peak -> SDR white", "", PQ_1080, SDR_OUT, pq_signal (1000), 10,
        233, 235},
    /* Reference white is compressed a little by the BT.2390 knee. */
    {"PQ 203 -> SDR", "", PQ_1080, SDR_OUT, pq_signal (203), 10, 170, 230},
    /* Below the peak and no tone mapping: 203 cd/m2 is SDR 100 %. */
    {"PQ 203 -> SDR, target 1000", "target-peak=1000 sdr-white=203",
        PQ_1080, SDR_OUT, pq_signal (203), 10, 0, 0},
    /* SDR 100 % goes up to 203 cd/m2 (BT.2408). */
    {"SDR white -> PQ", "", "video/x-raw,format=I420,width=64,height=36,"
          "framerate=25/1,colorimetry=bt709",
          "video/x-raw,format=P010_10LE,colorimetry=bt2100-pq", 1.0, 8,
          luma_code (pq_signal (203), 10) - 2, luma_code (pq_signal (203),
            10) + 2},
    /* HLG 75 % on a 1000 cd/m2 display is about reference white. */
    {"HLG 0.75 -> PQ", "", HLG_1080,
          "video/x-raw,format=I420_10LE,colorimetry=bt2100-pq", 0.75, 10,
          luma_code (pq_signal (203), 10) - 6, luma_code (pq_signal (203),
            10) + 6},
    {"PQ 203 -> HLG", "", PQ_1080,
          "video/x-raw,format=I420_10LE,colorimetry=bt2100-hlg",
          pq_signal (203), 10, luma_code (0.75, 10) - 6, luma_code (0.75,
            10) + 6},
    /* npl=100: SDR 100 % is 100 cd/m2, so 100 cd/m2 of PQ is white. */
    {"PQ 100 -> SDR, sdr-white 100, target 1000",
          "sdr-white=100 target-peak=100 source-peak=100", PQ_1080, SDR_OUT,
        pq_signal (100), 10, 234, 235},
  };
  /* The third case: 203 cd/m2 of 1000 without a curve is signal
   * (203/1000)^(1/2.4). */
  double v = pow (203.0 / 1000.0, 1 / 2.4);
  cases[2].lo = luma_code (v, 8) - 1;
  cases[2].hi = luma_code (v, 8) + 1;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    int y = luma_code (cases[i].in_signal, cases[i].in_depth);
    int mid = 1 << (cases[i].in_depth - 1);
    run_flat (&r, cases[i].props, cases[i].in, cases[i].out, y, mid, mid);
    int oy = sample_at (r.out_caps, r.out, 0, 10, 10);
    int ou = sample_at (r.out_caps, r.out, 1, 10, 10);
    GstVideoInfo oi;
    gst_video_info_from_caps (&oi, r.out_caps);
    int omid = 1 << (GST_VIDEO_INFO_COMP_DEPTH (&oi, 1) - 1);
    GST_INFO ("%s: luma %d -> %d", cases[i].name, y, oy);
    fail_unless (oy >= cases[i].lo && oy <= cases[i].hi,
        "%s: luma %d outside %g..%g", cases[i].name, oy, cases[i].lo,
        cases[i].hi);
    fail_unless (abs (ou - omid) <= 1, "%s: grey got chroma %d",
        cases[i].name, ou);
    run_clear (&r);
  }
}

GST_END_TEST;

/* Every conversion the element offers negotiates and produces a picture of
 * the size and format asked for. */
GST_START_TEST (test_conversions_negotiate)
{
  const gchar *ins[] = {
    "video/x-raw,format=P010_10LE,width=96,height=54,colorimetry=bt2100-pq",
    "video/x-raw,format=I420_10LE,width=96,height=54,colorimetry=bt2100-hlg",
    "video/x-raw,format=I420,width=96,height=54,colorimetry=bt709",
    "video/x-raw,format=Y444_12LE,width=96,height=54,colorimetry=bt2020",
    "video/x-raw,format=v210,width=96,height=54,colorimetry=bt601",
    "video/x-raw,format=YUY2,width=96,height=54,colorimetry=bt709",
    "video/x-raw,format=RGBA,width=96,height=54",
    "video/x-raw,format=BGRx,width=96,height=54,colorimetry=1:1:5:1",
  };
  const gchar *outs[] = {
    "video/x-raw,format=NV12,width=48,height=28,colorimetry=bt709",
    "video/x-raw,format=P010_10LE,width=192,height=108,colorimetry=bt2100-pq",
    "video/x-raw,format=I422_10LE,colorimetry=bt2100-hlg",
    "video/x-raw,format=Y42B,colorimetry=bt601",
    "video/x-raw,format=v210,width=100,height=50",
    "video/x-raw,format=I420_12LE,colorimetry=bt2020",
    "video/x-raw,format=Y444,colorimetry=(string)1:4:5:1",
    "video/x-raw,format=YUY2,width=47,height=28",
    "video/x-raw,format=BGRA,width=48,height=27",
    "video/x-raw,format=RGBx,colorimetry=bt2100-pq",
  };

  for (guint i = 0; i < G_N_ELEMENTS (ins); i++) {
    for (guint o = 0; o < G_N_ELEMENTS (outs); o++) {
      Run r;
      gchar *in = g_strconcat (ins[i], ",framerate=25/1", NULL);
      GstVideoInfo info;
      GstCaps *want = gst_caps_from_string (outs[o]);

      run_flat (&r, "", in, outs[o], 300, 400, 500);
      fail_unless (gst_caps_can_intersect (r.out_caps, want),
          "%s -> %s negotiated %" GST_PTR_FORMAT, ins[i], outs[o], r.out_caps);
      fail_unless (gst_video_info_from_caps (&info, r.out_caps));
      fail_unless_equals_int (gst_buffer_get_size (r.out), info.size);
      gst_caps_unref (want);
      g_free (in);
      run_clear (&r);
    }
  }
}

GST_END_TEST;

static GstCaps *
pq_caps_with_metadata (guint max_cll, guint mastering_max)
{
  GstCaps *caps = gst_caps_from_string (PQ_1080);
  GstVideoMasteringDisplayInfo mdi;
  GstVideoContentLightLevel cll;

  gst_video_mastering_display_info_init (&mdi);
  mdi.display_primaries[0].x = 35400;
  mdi.display_primaries[0].y = 14600;
  mdi.display_primaries[1].x = 8500;
  mdi.display_primaries[1].y = 39850;
  mdi.display_primaries[2].x = 6550;
  mdi.display_primaries[2].y = 2300;
  mdi.white_point.x = 15635;
  mdi.white_point.y = 16450;
  mdi.max_display_mastering_luminance = mastering_max * 10000;
  mdi.min_display_mastering_luminance = 50;
  gst_video_mastering_display_info_add_to_caps (&mdi, caps);
  gst_video_content_light_level_init (&cll);
  cll.max_content_light_level = max_cll;
  cll.max_frame_average_light_level = 400;
  gst_video_content_light_level_add_to_caps (&cll, caps);
  return caps;
}

GST_START_TEST (test_hdr_metadata_rewritten)
{
  Run r;
  GstVideoMasteringDisplayInfo mdi;
  GstVideoContentLightLevel cll;
  GstCaps *in = pq_caps_with_metadata (4000, 4000);
  gchar *in_str = gst_caps_to_string (in);
  int y = luma_code (pq_signal (100), 10);

  /* SDR output: no HDR metadata. */
  run_flat (&r, "", in_str, SDR_OUT, y, 512, 512);
  fail_if (gst_video_mastering_display_info_from_caps (&mdi, r.out_caps));
  fail_if (gst_video_content_light_level_from_caps (&cll, r.out_caps));
  run_clear (&r);

  /* A 4000 cd/m2 master for a 1000 cd/m2 display: the display's. */
  run_flat (&r, "target-peak=1000", in_str,
      "video/x-raw,format=P010_10LE,colorimetry=bt2100-pq", y, 512, 512);
  fail_unless (gst_video_mastering_display_info_from_caps (&mdi, r.out_caps));
  fail_unless_equals_int (mdi.max_display_mastering_luminance, 10000000);
  fail_unless (gst_video_content_light_level_from_caps (&cll, r.out_caps));
  fail_unless_equals_int (cll.max_content_light_level, 1000);
  fail_unless_equals_int (cll.max_frame_average_light_level, 400);
  run_clear (&r);

  /* Enough headroom: the input's metadata stays. */
  run_flat (&r, "target-peak=4000", in_str,
      "video/x-raw,format=P010_10LE,colorimetry=bt2100-pq", y, 512, 512);
  fail_unless (gst_video_content_light_level_from_caps (&cll, r.out_caps));
  fail_unless_equals_int (cll.max_content_light_level, 4000);
  run_clear (&r);

  g_free (in_str);
  gst_caps_unref (in);
}

GST_END_TEST;

/* A mastering maximum of 0.1 cd/m2 (as one real clip has) is skipped with
 * a warning: the source peak falls back to source-peak. */
GST_START_TEST (test_broken_metadata_warns)
{
  GstHarness *h = gst_harness_new_parse ("esthdrscale source-peak=1000");
  GstBus *bus = gst_bus_new ();
  GstCaps *in = gst_caps_from_string (PQ_1080);
  GstVideoMasteringDisplayInfo mdi;
  GstMessage *msg;

  gst_element_set_bus (h->element, bus);
  gst_video_mastering_display_info_init (&mdi);
  mdi.max_display_mastering_luminance = 1000;   /* 0.1 cd/m2 */
  gst_video_mastering_display_info_add_to_caps (&mdi, in);
  gst_harness_set_caps (h, gst_caps_ref (in), gst_caps_from_string (SDR_OUT));
  fail_unless_equals_int (gst_harness_push (h, flat_buffer (in,
              luma_code (pq_signal (1000), 10), 512, 512)), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull (h);
  GstCaps *oc = gst_pad_get_current_caps (h->sinkpad);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning about the broken metadata");
  gst_message_unref (msg);
  /* 1000 cd/m2 is the fallback peak: it maps to SDR white. */
  fail_unless (sample_at (oc, out, 0, 0, 0) >= 233);

  gst_buffer_unref (out);
  gst_caps_unref (oc);
  gst_caps_unref (in);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Sizes at the limits, flat colour kept everywhere. */
GST_START_TEST (test_odd_sizes_and_8k)
{
  struct
  {
    const gchar *in, *out;
  } cases[] = {
    {"video/x-raw,format=I420,width=1,height=1,framerate=25/1",
        "video/x-raw,width=1,height=1,format=I420_10LE"},
    {"video/x-raw,format=I420,width=7,height=5,framerate=25/1",
        "video/x-raw,width=7,height=5,format=Y444"},
    {"video/x-raw,format=I420,width=7,height=5,framerate=25/1",
        "video/x-raw,width=1,height=1"},
    {"video/x-raw,format=I420,width=1,height=1,framerate=25/1",
        "video/x-raw,width=7681,height=4321"},
    {"video/x-raw,format=I420_10LE,width=3840,height=2160,framerate=25/1",
        "video/x-raw,width=7680,height=4320"},
    {"video/x-raw,format=I420_10LE,width=7681,height=4321,framerate=25/1",
        "video/x-raw,width=7,height=5"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    Run r;
    GstVideoInfo ii, oi;
    GstCaps *in = gst_caps_from_string (cases[i].in);
    gst_video_info_from_caps (&ii, in);
    int d = GST_VIDEO_INFO_COMP_DEPTH (&ii, 0);
    int y = 100 << (d - 8), u = 90 << (d - 8), v = 160 << (d - 8);

    run_flat (&r, "add-borders=false", cases[i].in, cases[i].out, y, u, v);
    gst_video_info_from_caps (&oi, r.out_caps);
    int od = GST_VIDEO_INFO_COMP_DEPTH (&oi, 0);
    int w = GST_VIDEO_INFO_WIDTH (&oi), hh = GST_VIDEO_INFO_HEIGHT (&oi);
    int xs[] = { 0, w / 2, w - 1 }, ys[] = { 0, hh / 2, hh - 1 };
    int want[3] = { 100 << (od - 8), 90 << (od - 8), 160 << (od - 8) };
    for (int k = 0; k < 3; k++)
      for (int c = 0; c < 3; c++)
        fail_unless (abs (sample_at (r.out_caps, r.out, c, xs[k],
                    ys[k]) - want[c]) <= 1, "%s -> %s: component %d at "
            "(%d, %d) is %d, not %d", cases[i].in, cases[i].out, c, xs[k],
            ys[k], sample_at (r.out_caps, r.out, c, xs[k], ys[k]), want[c]);
    gst_caps_unref (in);
    run_clear (&r);
  }
}

GST_END_TEST;

/* New input caps mid-stream, and property changes in PLAYING, take effect
 * on the next frame. */
GST_START_TEST (test_renegotiation_and_live_properties)
{
  GstHarness *h = gst_harness_new_parse ("esthdrscale tone-curve=clip");
  GstCaps *a = gst_caps_from_string (PQ_1080);
  GstCaps *b = gst_caps_from_string ("video/x-raw,format=I420_10LE,"
      "width=32,height=18,framerate=25/1,colorimetry=bt2100-pq");
  int y = luma_code (pq_signal (600), 10);
  GstBuffer *out;
  GstCaps *oc;
  int clip_y, hable_y;

  gst_harness_set_caps (h, gst_caps_ref (a),
      gst_caps_from_string (SDR_OUT ",width=16,height=16"));
  gst_harness_push (h, flat_buffer (a, y, 512, 512));
  out = gst_harness_pull (h);
  oc = gst_pad_get_current_caps (h->sinkpad);
  clip_y = sample_at (oc, out, 0, 4, 4);
  gst_buffer_unref (out);
  /* clip: 600 cd/m2 is above SDR white (203): full white. */
  fail_unless (clip_y >= 234, "clip gave %d", clip_y);

  GstElement *e = gst_harness_find_element (h, "esthdrscale");
  g_object_set (e, "tone-curve", 2 /* hable */ , NULL);
  gst_object_unref (e);
  gst_harness_push (h, flat_buffer (a, y, 512, 512));
  out = gst_harness_pull (h);
  hable_y = sample_at (oc, out, 0, 4, 4);
  gst_buffer_unref (out);
  fail_unless (hable_y < clip_y - 5, "hable %d, clip %d", hable_y, clip_y);

  gst_harness_set_src_caps (h, gst_caps_ref (b));
  gst_harness_push (h, flat_buffer (b, y, 512, 512));
  out = gst_harness_pull (h);
  gst_caps_unref (oc);
  oc = gst_pad_get_current_caps (h->sinkpad);
  fail_unless_equals_int (sample_at (oc, out, 0, 4, 4), hable_y);
  gst_buffer_unref (out);

  gst_caps_unref (oc);
  gst_caps_unref (a);
  gst_caps_unref (b);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* With peak detection a dim frame of a bright master is mapped from its own
 * peak: its brightest light becomes SDR white. */
GST_START_TEST (test_peak_detect)
{
  Run r;
  int y = luma_code (pq_signal (400), 10);
  int fixed, detected;

  run_flat (&r, "source-peak=4000", PQ_1080, SDR_OUT, y, 512, 512);
  fixed = sample_at (r.out_caps, r.out, 0, 10, 10);
  run_clear (&r);
  run_flat (&r, "source-peak=4000 peak-detect=true", PQ_1080, SDR_OUT, y,
      512, 512);
  detected = sample_at (r.out_caps, r.out, 0, 10, 10);
  run_clear (&r);
  GST_INFO ("400 cd/m2 of a 4000 master: %d fixed, %d detected", fixed,
      detected);
  fail_unless (detected >= 233, "detected peak: luma %d", detected);
  fail_unless (fixed < detected - 10, "static peak: luma %d", fixed);
}

GST_END_TEST;

/* v210 as GStreamer's own videoconvert packs it, and back. */
GST_START_TEST (test_v210_matches_videoconvert)
{
  const gchar *src = "videotestsrc pattern=smpte num-buffers=1 ! "
      "video/x-raw,format=I422_10LE,width=100,height=20 ! tee name=t "
      "t. ! queue ! esthdrscale dither=false ! video/x-raw,format=v210 ! "
      "appsink name=a t. ! queue ! videoconvert dither=none ! video/x-raw,format=v210 ! "
      "appsink name=b";
  GstElement *p = gst_parse_launch (src, NULL);
  GstSample *sa, *sb;
  GstMapInfo ma, mb;

  fail_unless (p != NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  sa = gst_app_sink_pull_sample (GST_APP_SINK (gst_bin_get_by_name (GST_BIN
              (p), "a")));
  sb = gst_app_sink_pull_sample (GST_APP_SINK (gst_bin_get_by_name (GST_BIN
              (p), "b")));
  fail_unless (sa && sb);
  gst_buffer_map (gst_sample_get_buffer (sa), &ma, GST_MAP_READ);
  gst_buffer_map (gst_sample_get_buffer (sb), &mb, GST_MAP_READ);
  fail_unless_equals_int (ma.size, mb.size);
  /* Row 0, the 96 pixels of whole groups (videoconvert pads the last group
   * with other values). */
  fail_unless (memcmp (ma.data, mb.data, 96 / 6 * 16) == 0);
  gst_buffer_unmap (gst_sample_get_buffer (sa), &ma);
  gst_buffer_unmap (gst_sample_get_buffer (sb), &mb);
  gst_sample_unref (sa);
  gst_sample_unref (sb);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

GST_END_TEST;

/* Limited-range 8-bit Y'CbCr of full-range 8-bit R'G'B' codes, by the
 * matrix of Kr and Kb (H.273). */
static void
ycbcr_of_rgb (const int rgb[3], double kr, double kb, double ycc[3])
{
  double r = rgb[0] / 255.0, g = rgb[1] / 255.0, b = rgb[2] / 255.0;
  double y = kr * r + (1 - kr - kb) * g + kb * b;

  ycc[0] = 16 + 219 * y;
  ycc[1] = 128 + 224 * (b - y) / (2 * (1 - kb));
  ycc[2] = 128 + 224 * (r - y) / (2 * (1 - kr));
}

/* A flat colour between R'G'B' and Y'CbCr formats, both ways: the codes
 * H.273 gives, alpha and padding written opaque, and an open output
 * colorimetry that suits the output (the `rgb` matrix at full range for
 * RGB, the primaries' matrix at limited range for YUV). */
GST_START_TEST (test_rgb_yuv_flat_colours)
{
  const int rgb[3] = { 200, 100, 50 };
  double ycc709[3], ycc601[3];
  int y709[3], y601[3];
  GstVideoInfo oi;
  Run r;

  ycbcr_of_rgb (rgb, 0.2126, 0.0722, ycc709);
  ycbcr_of_rgb (rgb, 0.299, 0.114, ycc601);
  for (int c = 0; c < 3; c++) {
    y709[c] = (int) lround (ycc709[c]);
    y601[c] = (int) lround (ycc601[c]);
  }

  /* RGBA with BT.709 transfer and primaries to NV12 BT.709: the matrix
   * and range only. */
  run_flat (&r, "dither=false", "video/x-raw,format=RGBA,width=64,"
      "height=36,framerate=25/1,colorimetry=1:1:5:1",
      "video/x-raw,format=NV12,colorimetry=bt709", rgb[0], rgb[1], rgb[2]);
  for (int c = 0; c < 3; c++)
    fail_unless (fabs (sample_at (r.out_caps, r.out, c, 10, 10) -
            ycc709[c]) <= 1.0, "RGBA -> NV12 component %d: %d, not %.2f", c,
        sample_at (r.out_caps, r.out, c, 10, 10), ycc709[c]);
  run_clear (&r);

  /* sRGB (GStreamer's default for RGB) to an open NV12: BT.709 matrix at
   * limited range, the sRGB transfer kept, so again no linearisation. */
  run_flat (&r, "dither=false", "video/x-raw,format=RGBA,width=64,"
      "height=36,framerate=25/1", "video/x-raw,format=NV12", rgb[0], rgb[1],
      rgb[2]);
  fail_unless (gst_video_info_from_caps (&oi, r.out_caps));
  fail_unless_equals_int (oi.colorimetry.matrix, GST_VIDEO_COLOR_MATRIX_BT709);
  fail_unless_equals_int (oi.colorimetry.range, GST_VIDEO_COLOR_RANGE_16_235);
  fail_unless_equals_int (oi.colorimetry.transfer, GST_VIDEO_TRANSFER_SRGB);
  for (int c = 0; c < 3; c++)
    fail_unless (fabs (sample_at (r.out_caps, r.out, c, 63, 35) -
            ycc709[c]) <= 1.0, "sRGB -> NV12 component %d: %d, not %.2f", c,
        sample_at (r.out_caps, r.out, c, 63, 35), ycc709[c]);
  run_clear (&r);

  /* Back: NV12 BT.709 and YUY2 BT.601 to open RGB outputs. */
  struct
  {
    const gchar *in, *out;
    const int *codes;
  } back[] = {
    {"video/x-raw,format=NV12,width=64,height=36,framerate=25/1,"
          "colorimetry=bt709", "video/x-raw,format=BGRx", y709},
    {"video/x-raw,format=YUY2,width=63,height=35,framerate=25/1,"
          "colorimetry=bt601", "video/x-raw,format=RGBA", y601},
  };
  for (guint i = 0; i < G_N_ELEMENTS (back); i++) {
    GstMapInfo map;

    run_flat (&r, "dither=false", back[i].in, back[i].out, back[i].codes[0],
        back[i].codes[1], back[i].codes[2]);
    fail_unless (gst_video_info_from_caps (&oi, r.out_caps));
    fail_unless_equals_int (oi.colorimetry.matrix, GST_VIDEO_COLOR_MATRIX_RGB);
    fail_unless_equals_int (oi.colorimetry.range, GST_VIDEO_COLOR_RANGE_0_255);
    for (int c = 0; c < 3; c++) {
      int got = sample_at (r.out_caps, r.out, c, 5, 7);
      /* Rounding the Y'CbCr codes moves R'G'B' by up to about 1.5. */
      fail_unless (abs (got - rgb[c]) <= 2, "%s -> %s component %d: %d, "
          "not %d", back[i].in, back[i].out, c, got, rgb[c]);
    }
    fail_unless (gst_buffer_map (r.out, &map, GST_MAP_READ));
    for (gsize k = 3; k < map.size && k < 4 * 64; k += 4)
      fail_unless_equals_int (map.data[k], 255);
    gst_buffer_unmap (r.out, &map);
    run_clear (&r);
  }
}

GST_END_TEST;

/* A 4:3 picture into 16:9 gets black pillars; the picture stays. */
GST_START_TEST (test_add_borders)
{
  Run r;

  run_flat (&r, "", "video/x-raw,format=I420,width=64,height=48,"
      "framerate=25/1,pixel-aspect-ratio=1/1",
      "video/x-raw,width=128,height=72,pixel-aspect-ratio=1/1", 200, 100, 150);
  fail_unless_equals_int (sample_at (r.out_caps, r.out, 0, 2, 36), 16);
  fail_unless_equals_int (sample_at (r.out_caps, r.out, 1, 2, 36), 128);
  fail_unless_equals_int (sample_at (r.out_caps, r.out, 0, 125, 36), 16);
  fail_unless_equals_int (sample_at (r.out_caps, r.out, 0, 64, 36), 200);
  fail_unless_equals_int (sample_at (r.out_caps, r.out, 1, 64, 36), 100);
  run_clear (&r);

  run_flat (&r, "add-borders=false", "video/x-raw,format=I420,width=64,"
      "height=48,framerate=25/1,pixel-aspect-ratio=1/1",
      "video/x-raw,width=128,height=72,pixel-aspect-ratio=1/1", 200, 100, 150);
  fail_unless_equals_int (sample_at (r.out_caps, r.out, 0, 2, 36), 200);
  run_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_passthrough_when_nothing_changes)
{
  GstHarness *h = gst_harness_new ("esthdrscale");
  GstCaps *caps = gst_caps_from_string (PQ_1080);
  GstBuffer *in, *out;

  gst_harness_set_caps (h, gst_caps_ref (caps), gst_caps_ref (caps));
  in = flat_buffer (caps, 500, 500, 500);
  gst_buffer_ref (in);
  gst_harness_push (h, in);
  out = gst_harness_pull (h);
  fail_unless (out == in, "the buffer was copied");
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* What it cannot do fails negotiation with a message naming it. */
GST_START_TEST (test_unsupported_rejected)
{
  GstElement *p = gst_parse_launch ("videotestsrc num-buffers=1 ! "
      "video/x-raw,format=I420,width=64,height=48,colorimetry=(string)"
      "2:3:4:1 ! esthdrscale ! video/x-raw,format=NV12,colorimetry=bt709 ! "
      "fakesink", NULL);
  GstMessage *err = NULL;
  GError *e = NULL;

  fail_unless (p != NULL);
  fail_if (est_test_run_pipeline (p, 30, NULL, &err));
  fail_unless (err != NULL);
  gst_message_parse_error (err, &e, NULL);
  fail_unless (strstr (e->message, "transfer function") != NULL,
      "message: %s", e->message);
  g_error_free (e);
  gst_message_unref (err);
  gst_object_unref (p);
}

GST_END_TEST;

static Suite *
esthdrscale_suite (void)
{
  Suite *s = suite_create ("esthdrscale");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 180);
  tcase_add_checked_fixture (tc, setup, NULL);
  tcase_add_test (tc, test_light_anchors);
  tcase_add_test (tc, test_conversions_negotiate);
  tcase_add_test (tc, test_hdr_metadata_rewritten);
  tcase_add_test (tc, test_broken_metadata_warns);
  tcase_add_test (tc, test_odd_sizes_and_8k);
  tcase_add_test (tc, test_renegotiation_and_live_properties);
  tcase_add_test (tc, test_peak_detect);
  tcase_add_test (tc, test_v210_matches_videoconvert);
  tcase_add_test (tc, test_rgb_yuv_flat_colours);
  tcase_add_test (tc, test_add_borders);
  tcase_add_test (tc, test_passthrough_when_nothing_changes);
  tcase_add_test (tc, test_unsupported_rejected);
  return s;
}

GST_CHECK_MAIN (esthdrscale);
