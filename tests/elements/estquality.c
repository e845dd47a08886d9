/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* estquality in real pipelines: two appsrcs feed generated frames with
 * known distortions, a fakesink counts what comes out, and the bus carries
 * the per-frame and summary messages. */

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "esttest.h"

#define W 160
#define H 120
#define FPS 25
#define FRAME_DUR (GST_SECOND / FPS)

/* One frame to push: its timestamp and the luma offset of the distortion
 * (0 for a reference frame). */
typedef struct
{
  GstClockTime pts;
  gint index;                   /* content index: pairs must match it */
  gint offset;
} Frame;

static GstBuffer *
make_frame (const GstVideoInfo * info, const Frame * f)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame vf;
  gboolean deep = GST_VIDEO_INFO_COMP_DEPTH (info, 0) > 8;
  gint shift = GST_VIDEO_INFO_COMP_DEPTH (info, 0) - 8;

  fail_unless (gst_video_frame_map (&vf, info, buf, GST_MAP_WRITE));
  for (guint p = 0; p < 3; p++) {
    guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&vf, p);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&vf, p);
    gint pw = GST_VIDEO_FRAME_COMP_WIDTH (&vf, p);
    gint ph = GST_VIDEO_FRAME_COMP_HEIGHT (&vf, p);
    for (gint y = 0; y < ph; y++) {
      for (gint x = 0; x < pw; x++) {
        /* Content changes with the index so that a wrong pair shows. */
        gint v = 16 + (x * 3 + y * 5 + f->index * 37 + p * 11) % 200;
        if (p == 0)
          v += f->offset;
        v <<= shift;
        if (deep)
          ((guint16 *) (data + y * stride))[x] = (guint16) v;
        else
          data[y * stride + x] = (guint8) v;
      }
    }
  }
  gst_video_frame_unmap (&vf);
  GST_BUFFER_PTS (buf) = f->pts;
  GST_BUFFER_DURATION (buf) = FRAME_DUR;
  return buf;
}

typedef struct
{
  GList *messages;              /* element messages */
  GstMessage *error;
  gboolean eos;
  GArray *out_pts;              /* GstClockTime of buffers leaving estquality */
} Run;

static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, Run * run)
{
  GstClockTime pts = GST_BUFFER_PTS (buf);
  g_array_append_val (run->out_pts, pts);
}

static void
configure_src (GstElement * pipeline, const gchar * name,
    const gchar * caps_str)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstCaps *caps = gst_caps_from_string (caps_str);

  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME,
      "max-bytes", (guint64) 0, NULL);
  gst_caps_unref (caps);
  gst_object_unref (src);
}

static void
push_all (GstElement * pipeline, const gchar * name, const gchar * caps_str,
    const Frame * frames, guint n)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstCaps *caps = gst_caps_from_string (caps_str);
  GstVideoInfo info;

  fail_unless (gst_video_info_from_caps (&info, caps));
  for (guint i = 0; i < n; i++)
    gst_app_src_push_buffer (GST_APP_SRC (src), make_frame (&info, &frames[i]));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_caps_unref (caps);
  gst_object_unref (src);
}

/* Runs ref and dist frames through `estquality <props>`. */
static void
run_pair (Run * run, const gchar * props, const gchar * ref_caps,
    const Frame * ref, guint n_ref, const gchar * dist_caps,
    const Frame * dist, guint n_dist)
{
  gchar *desc = g_strdup_printf ("appsrc name=ref ! q.ref "
      "appsrc name=dist ! q.dist "
      "estquality name=q %s ! fakesink name=out signal-handoffs=true "
      "sync=false", props);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *out;

  fail_unless (pipeline != NULL, "could not build: %s", desc);
  memset (run, 0, sizeof (*run));
  run->out_pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  g_signal_connect (out, "handoff", G_CALLBACK (on_handoff), run);
  gst_object_unref (out);

  configure_src (pipeline, "ref", ref_caps);
  configure_src (pipeline, "dist", dist_caps);
  /* A failed start posts its error on the bus, which the run below reads. */
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  push_all (pipeline, "ref", ref_caps, ref, n_ref);
  push_all (pipeline, "dist", dist_caps, dist, n_dist);
  run->eos = est_test_run_pipeline (pipeline, 60, &run->messages, &run->error);
  gst_object_unref (pipeline);
  g_free (desc);
}

static void
run_clear (Run * run)
{
  g_list_free_full (run->messages, (GDestroyNotify) gst_message_unref);
  if (run->error)
    gst_message_unref (run->error);
  g_array_unref (run->out_pts);
}

static const GstStructure *
summary_of (Run * run)
{
  GList *l = est_test_filter_messages (run->messages, "estquality-summary");
  const GstStructure *s;

  fail_unless_equals_int (g_list_length (l), 1);
  s = l->data;
  g_list_free (l);
  return s;
}

static guint64
get_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v = G_MAXUINT64;
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s in %"
      GST_PTR_FORMAT, field, s);
  return v;
}

static gdouble
get_double (const GstStructure * s, const gchar * field)
{
  gdouble v = NAN;
  fail_unless (gst_structure_get_double (s, field, &v), "no %s in %"
      GST_PTR_FORMAT, field, s);
  return v;
}

static void
make_frames (Frame * f, guint n, gint offset)
{
  for (guint i = 0; i < n; i++) {
    f[i].pts = i * FRAME_DUR;
    f[i].index = i;
    f[i].offset = offset ? 1 + (i % 4) * offset : 0;
  }
}

/* PSNR of a luma offset k with unchanged chroma. */
static gdouble
expected_psnr_y (gint k, gint depth)
{
  gdouble peak = (1 << depth) - 1;
  return 10.0 * log10 (peak * peak / (k * k));
}

#define CAPS_8 "video/x-raw,format=I420,width=160,height=120,framerate=25/1"
#define CAPS_10 "video/x-raw,format=I420_10LE,width=160,height=120," \
    "framerate=25/1"

static void
setup (void)
{
  est_test_check_plugin_origin ();
}

GST_START_TEST (test_identical_streams_give_caps)
{
  Frame f[5];
  Run run;

  make_frames (f, 5, 0);
  run_pair (&run, "", CAPS_8, f, 5, CAPS_8, f, 5);
  fail_unless (run.eos);
  GList *frames = est_test_filter_messages (run.messages, "estquality");
  fail_unless_equals_int (g_list_length (frames), 5);
  for (GList * l = frames; l; l = l->next) {
    fail_unless_equals_float (get_double (l->data, "psnr-y"), 100.0);
    fail_unless_equals_float (get_double (l->data, "psnr-avg"), 100.0);
    fail_unless_equals_float (get_double (l->data, "ssim-y"), 1.0);
    fail_unless_equals_float (get_double (l->data, "msssim-y"), 1.0);
    fail_unless_equals_float (get_double (l->data, "ssim-db"), 100.0);
  }
  g_list_free (frames);
  run_clear (&run);
}

GST_END_TEST;

/* Each dist frame is its ref frame plus a known luma offset, so the PSNR of
 * every frame is known exactly, and a frame measured against the wrong ref
 * frame would be far off. */
static void
check_offsets (Run * run, const Frame * dist, guint n, gint depth)
{
  GList *frames = est_test_filter_messages (run->messages, "estquality");
  guint i = 0;

  fail_unless_equals_int (g_list_length (frames), n);
  for (GList * l = frames; l; l = l->next, i++) {
    gdouble want = expected_psnr_y (dist[i].offset, depth);
    gdouble got = get_double (l->data, "psnr-y");
    fail_unless (fabs (got - want) < 0.01, "frame %u: psnr-y %f, want %f", i,
        got, want);
    fail_unless_equals_float (get_double (l->data, "psnr-u"), 100.0);
    fail_unless_equals_uint64 (get_u64 (l->data, "timestamp"), dist[i].pts);
  }
  g_list_free (frames);
}

GST_START_TEST (test_known_offset_gives_expected_psnr)
{
  Frame ref[8], dist[8];
  Run run;

  make_frames (ref, 8, 0);
  make_frames (dist, 8, 2);
  run_pair (&run, "metrics=psnr", CAPS_8, ref, 8, CAPS_8, dist, 8);
  fail_unless (run.eos);
  check_offsets (&run, dist, 8, 8);
  /* dist passes through unchanged, with its timestamps. */
  fail_unless_equals_int (run.out_pts->len, 8);
  for (guint i = 0; i < 8; i++)
    fail_unless_equals_uint64 (g_array_index (run.out_pts, GstClockTime, i),
        dist[i].pts);
  const GstStructure *s = summary_of (&run);
  fail_unless_equals_uint64 (get_u64 (s, "frames"), 8);
  fail_unless (!gst_structure_has_field (s, "ssim-y-mean"));
  fail_unless (gst_structure_has_field (s, "psnr-y-global"));
  run_clear (&run);
}

GST_END_TEST;

GST_START_TEST (test_10bit_input)
{
  Frame ref[4], dist[4];
  Run run;

  make_frames (ref, 4, 0);
  make_frames (dist, 4, 3);
  run_pair (&run, "", CAPS_10, ref, 4, CAPS_10, dist, 4);
  fail_unless (run.eos);
  /* Offsets are scaled by 4 in 10-bit (content << 2 after the offset). */
  for (guint i = 0; i < 4; i++)
    dist[i].offset *= 4;
  check_offsets (&run, dist, 4, 10);
  GList *frames = est_test_filter_messages (run.messages, "estquality");
  for (GList * l = frames; l; l = l->next) {
    gdouble ssim = get_double (l->data, "ssim-y");
    fail_unless (ssim > 0.5 && ssim < 1.0, "ssim %f", ssim);
  }
  g_list_free (frames);
  run_clear (&run);
}

GST_END_TEST;

GST_START_TEST (test_missing_dist_frame_is_skipped_not_mispaired)
{
  Frame ref[10], all[10], dist[9];
  Run run;

  make_frames (ref, 10, 0);
  make_frames (all, 10, 1);
  for (guint i = 0, j = 0; i < 10; i++)
    if (i != 3)
      dist[j++] = all[i];
  run_pair (&run, "metrics=psnr", CAPS_8, ref, 10, CAPS_8, dist, 9);
  fail_unless (run.eos);
  check_offsets (&run, dist, 9, 8);
  const GstStructure *s = summary_of (&run);
  fail_unless_equals_uint64 (get_u64 (s, "frames"), 9);
  fail_unless_equals_uint64 (get_u64 (s, "unmatched-ref"), 1);
  fail_unless_equals_uint64 (get_u64 (s, "unmatched-dist"), 0);
  run_clear (&run);
}

GST_END_TEST;

GST_START_TEST (test_missing_ref_frame_passes_dist_unmeasured)
{
  Frame ref[9], all[10], dist[10];
  Run run;

  make_frames (all, 10, 0);
  make_frames (dist, 10, 1);
  for (guint i = 0, j = 0; i < 10; i++)
    if (i != 6)
      ref[j++] = all[i];
  run_pair (&run, "metrics=psnr", CAPS_8, ref, 9, CAPS_8, dist, 10);
  fail_unless (run.eos);
  fail_unless_equals_int (run.out_pts->len, 10);
  const GstStructure *s = summary_of (&run);
  fail_unless_equals_uint64 (get_u64 (s, "frames"), 9);
  fail_unless_equals_uint64 (get_u64 (s, "unmatched-dist"), 1);
  run_clear (&run);
}

GST_END_TEST;

GST_START_TEST (test_eos_on_ref_only_lets_dist_finish)
{
  Frame ref[10], dist[10];
  Run run;

  make_frames (ref, 10, 0);
  make_frames (dist, 10, 1);
  run_pair (&run, "metrics=psnr", CAPS_8, ref, 4, CAPS_8, dist, 10);
  fail_unless (run.eos);
  fail_unless_equals_int (run.out_pts->len, 10);
  const GstStructure *s = summary_of (&run);
  fail_unless_equals_uint64 (get_u64 (s, "frames"), 4);
  fail_unless_equals_uint64 (get_u64 (s, "unmatched-dist"), 6);
  run_clear (&run);
}

GST_END_TEST;

GST_START_TEST (test_eos_on_dist_only_ends_the_stream)
{
  Frame ref[10], dist[10];
  Run run;

  make_frames (ref, 10, 0);
  make_frames (dist, 10, 1);
  run_pair (&run, "metrics=psnr", CAPS_8, ref, 10, CAPS_8, dist, 4);
  fail_unless (run.eos, "no EOS: the element hung or failed");
  fail_unless_equals_int (run.out_pts->len, 4);
  const GstStructure *s = summary_of (&run);
  fail_unless_equals_uint64 (get_u64 (s, "frames"), 4);
  run_clear (&run);
}

GST_END_TEST;

GST_START_TEST (test_index_pairing_ignores_constant_offset)
{
  Frame ref[6], dist[6];
  Run run;

  make_frames (ref, 6, 0);
  make_frames (dist, 6, 1);
  for (guint i = 0; i < 6; i++)
    dist[i].pts += GST_SECOND;

  /* By timestamp nothing pairs ... */
  run_pair (&run, "metrics=psnr", CAPS_8, ref, 6, CAPS_8, dist, 6);
  fail_unless (run.eos);
  fail_unless_equals_uint64 (get_u64 (summary_of (&run), "frames"), 0);
  fail_unless_equals_int (run.out_pts->len, 6);
  run_clear (&run);

  /* ... by index everything does. */
  run_pair (&run, "metrics=psnr pairing=index", CAPS_8, ref, 6, CAPS_8,
      dist, 6);
  fail_unless (run.eos);
  check_offsets (&run, dist, 6, 8);
  run_clear (&run);
}

GST_END_TEST;

GST_START_TEST (test_mismatched_sizes_fail_negotiation)
{
  Frame f[3];
  Run run;
  GError *err = NULL;

  make_frames (f, 3, 0);
  run_pair (&run, "", CAPS_8, f, 3,
      "video/x-raw,format=I420,width=80,height=60,framerate=25/1", f, 3);
  fail_if (run.eos);
  fail_unless (run.error != NULL);
  gst_message_parse_error (run.error, &err, NULL);
  fail_unless (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION), "%s", err->message);
  fail_unless (strstr (err->message, "160x120") && strstr (err->message,
          "80x60"), "message does not name the sizes: %s", err->message);
  g_clear_error (&err);
  run_clear (&run);
}

GST_END_TEST;

GST_START_TEST (test_mismatched_formats_fail_negotiation)
{
  Frame f[3];
  Run run;
  GError *err = NULL;

  make_frames (f, 3, 0);
  run_pair (&run, "", CAPS_8, f, 3, CAPS_10, f, 3);
  fail_unless (run.error != NULL);
  gst_message_parse_error (run.error, &err, NULL);
  fail_unless (strstr (err->message, "I420_10LE") != NULL, "%s", err->message);
  g_clear_error (&err);
  run_clear (&run);
}

GST_END_TEST;

GST_START_TEST (test_stats_and_summary_files)
{
  gchar *dir = g_dir_make_tmp ("estquality-XXXXXX", NULL);
  gchar *csv = g_build_filename (dir, "frames.csv", NULL);
  gchar *json = g_build_filename (dir, "summary.json", NULL);
  gchar *props = g_strdup_printf ("metrics=psnr+ms-ssim stats-file=%s "
      "summary-file=%s", csv, json);
  gchar *text = NULL, **lines;
  Frame ref[5], dist[5];
  Run run;

  make_frames (ref, 5, 0);
  make_frames (dist, 5, 1);
  run_pair (&run, props, CAPS_8, ref, 5, CAPS_8, dist, 5);
  fail_unless (run.eos);

  fail_unless (g_file_get_contents (csv, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  fail_unless_equals_string (lines[0], "frame,pts,psnr_y,psnr_u,psnr_v,"
      "psnr_avg,ssim_y,ssim_db,msssim_y,msssim_db");
  fail_unless_equals_int (g_strv_length (lines), 7);    /* header, 5, "" */
  for (guint i = 1; i <= 5; i++) {
    gchar **cols = g_strsplit (lines[i], ",", -1);
    fail_unless_equals_int (g_strv_length (cols), 10);
    fail_unless_equals_int (atoi (cols[0]), i - 1);
    fail_unless (fabs (g_ascii_strtod (cols[2], NULL) -
            expected_psnr_y (dist[i - 1].offset, 8)) < 0.01);
    fail_unless_equals_string (cols[6], "");    /* SSIM not computed */
    fail_unless_equals_string (cols[7], "");
    fail_unless (*cols[8] != '\0');
    g_strfreev (cols);
  }
  g_strfreev (lines);
  g_free (text);

  fail_unless (g_file_get_contents (json, &text, NULL, NULL));
  fail_unless (strstr (text, "\"frames\": 5") != NULL, "%s", text);
  fail_unless (strstr (text, "\"psnr_y\": {\"mean\": ") != NULL, "%s", text);
  fail_unless (strstr (text, "\"global\": ") != NULL, "%s", text);
  fail_unless (strstr (text, "\"msssim_db\"") != NULL, "%s", text);
  fail_unless (strstr (text, "\"ssim_y\"") == NULL, "%s", text);
  g_free (text);

  g_unlink (csv);
  g_unlink (json);
  g_rmdir (dir);
  g_free (props);
  g_free (csv);
  g_free (json);
  g_free (dir);
  run_clear (&run);
}

GST_END_TEST;

GST_START_TEST (test_unwritable_stats_file_is_an_error)
{
  Frame f[2];
  Run run;
  GError *err = NULL;

  make_frames (f, 2, 0);
  run_pair (&run, "stats-file=/nonexistent/dir/frames.csv", CAPS_8, f, 2,
      CAPS_8, f, 2);
  fail_unless (run.error != NULL);
  gst_message_parse_error (run.error, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE), "%s", err->message);
  fail_unless (strstr (err->message, "/nonexistent/dir/frames.csv") != NULL);
  g_clear_error (&err);
  run_clear (&run);
}

GST_END_TEST;

/* A real decoder in front of the element: videotestsrc, x264 and avdec. */
GST_START_TEST (test_in_an_encode_pipeline)
{
  GstElement *pipeline;
  GList *messages = NULL;
  GError *err = NULL;

  pipeline = gst_parse_launch ("videotestsrc num-buffers=20 pattern=ball ! "
      "video/x-raw,format=I420,width=160,height=120,framerate=25/1 ! "
      "tee name=t ! queue ! x264enc speed-preset=ultrafast bitrate=64 ! "
      "avdec_h264 ! q.dist t. ! queue ! q.ref estquality name=q ! fakesink",
      &err);
  fail_unless (pipeline != NULL, "%s (x264enc comes from "
      "gstreamer1.0-plugins-ugly, avdec_h264 from gstreamer1.0-libav)",
      err ? err->message : "");
  fail_unless (est_test_run_pipeline (pipeline, 60, &messages, NULL));
  GList *frames = est_test_filter_messages (messages, "estquality");
  fail_unless_equals_int (g_list_length (frames), 20);
  for (GList * l = frames; l; l = l->next) {
    gdouble psnr = get_double (l->data, "psnr-y");
    fail_unless (psnr > 20.0 && psnr < 100.0, "psnr-y %f", psnr);
  }
  g_list_free (frames);
  g_list_free_full (messages, (GDestroyNotify) gst_message_unref);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
estquality_suite (void)
{
  Suite *s = suite_create ("estquality");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, NULL);
  tcase_add_test (tc, test_identical_streams_give_caps);
  tcase_add_test (tc, test_known_offset_gives_expected_psnr);
  tcase_add_test (tc, test_10bit_input);
  tcase_add_test (tc, test_missing_dist_frame_is_skipped_not_mispaired);
  tcase_add_test (tc, test_missing_ref_frame_passes_dist_unmeasured);
  tcase_add_test (tc, test_eos_on_ref_only_lets_dist_finish);
  tcase_add_test (tc, test_eos_on_dist_only_ends_the_stream);
  tcase_add_test (tc, test_index_pairing_ignores_constant_offset);
  tcase_add_test (tc, test_mismatched_sizes_fail_negotiation);
  tcase_add_test (tc, test_mismatched_formats_fail_negotiation);
  tcase_add_test (tc, test_stats_and_summary_files);
  tcase_add_test (tc, test_unwritable_stats_file_is_an_error);
  tcase_add_test (tc, test_in_an_encode_pipeline);
  return s;
}

GST_CHECK_MAIN (estquality);
