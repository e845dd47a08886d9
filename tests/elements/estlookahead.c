/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* estlookahead in real pipelines: the meta on every frame (8 and 10 bit,
 * planar and semi-planar), frames unchanged; key-frame hints at a cut and
 * not at a flash; still content stretching the key-frame interval; the
 * meta through queue and tee; the encoders honouring it (a key frame at
 * the cut, a better half where the map says so); force-key-unit events
 * and ROI metas; latency; EOS and flush; the allocation query; caps
 * changes; the scene messages; target-quality mode (a CRF per scene, in
 * the meta and the messages, followed by the encoder). */

#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "../../gst/estrcmeta.h"
#include "esttest.h"

#define W 320
#define H 240

static void
setup (void)
{
  est_test_check_plugin_origin ();
}

/* The meta of a buffer; its API type comes from the plugin. */
static const GstEstRcMeta *
rc_meta (GstBuffer * buf)
{
  GType api = g_type_from_name ("GstEstRcMetaAPI");

  fail_unless (api != 0, "the plugin registered no GstEstRcMetaAPI");
  return (const GstEstRcMeta *) gst_buffer_get_meta (buf, api);
}

typedef struct
{
  GPtrArray *buffers;           /* GstBuffer, as the sink got them */
  GList *messages;
  GPtrArray *events;            /* custom downstream events at the sink */
} Out;

static GstPadProbeReturn
keep_event (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

  if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM)
    g_ptr_array_add (data, gst_event_ref (ev));
  return GST_PAD_PROBE_OK;
}

/* On the src pad of a videotestsrc named "switch": a cut to a moving zone
 * plate from frame 20 on. */
static GstPadProbeReturn
cut_at_20 (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  if (GST_BUFFER_OFFSET (GST_PAD_PROBE_INFO_BUFFER (info)) == 19) {
    GstObject *src = gst_pad_get_parent (pad);
    gst_util_set_object_arg (G_OBJECT (src), "pattern", "zone-plate");
    g_object_set (src, "kx2", 20, "ky2", 20, "kt", 1, NULL);
    gst_object_unref (src);
  }
  return GST_PAD_PROBE_OK;
}

/* Runs desc (ending in "appsink name=out") to EOS, keeping the buffers,
 * the element messages and the custom events reaching the sink. */
static void
run (const gchar * desc, Out * out)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  GstElement *sink;
  GstPad *pad;
  GstSample *s;

  fail_unless (p != NULL, "%s: %s", desc, err ? err->message : "?");
  out->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  out->events = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_event_unref);
  out->messages = NULL;
  sink = gst_bin_get_by_name (GST_BIN (p), "out");
  g_object_set (sink, "sync", FALSE, "emit-signals", FALSE, "max-buffers",
      0, NULL);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, keep_event,
      out->events, NULL);
  gst_object_unref (pad);
  GstElement *sw = gst_bin_get_by_name (GST_BIN (p), "switch");
  if (sw) {
    pad = gst_element_get_static_pad (sw, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, cut_at_20, NULL, NULL);
    gst_object_unref (pad);
    gst_object_unref (sw);
  }

  gst_element_set_state (p, GST_STATE_PLAYING);
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    g_ptr_array_add (out->buffers, gst_buffer_ref (gst_sample_get_buffer (s)));
    gst_sample_unref (s);
  }
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *m;
  gboolean eos = FALSE;
  while (!eos && (m = gst_bus_timed_pop (bus, 30 * GST_SECOND))) {
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT)
      out->messages = g_list_append (out->messages, gst_message_ref (m));
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS)
      eos = TRUE;
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      GError *e = NULL;
      gst_message_parse_error (m, &e, NULL);
      fail ("%s: error %s", desc, e->message);
    }
    gst_message_unref (m);
  }
  fail_unless (eos, "%s: no EOS", desc);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

static void
out_clear (Out * out)
{
  g_ptr_array_unref (out->buffers);
  g_ptr_array_unref (out->events);
  g_list_free_full (out->messages, (GDestroyNotify) gst_message_unref);
}

/* Indices of the frames hinted as key frames. */
static GArray *
key_hints (const Out * out)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < out->buffers->len; i++) {
    const GstEstRcMeta *m = rc_meta (g_ptr_array_index (out->buffers, i));
    fail_unless (m != NULL, "frame %u has no GstEstRcMeta", i);
    if (m->frame_type == GST_EST_RC_FRAME_TYPE_IDR)
      g_array_append_val (a, i);
  }
  return a;
}

#define CAPS(fmt) "video/x-raw,format=" fmt ",width=320,height=240," \
    "framerate=25/1"
/* The same as the last element of a harness source. */
#define CAPSFILTER(fmt) "capsfilter caps=\"" CAPS (fmt) "\""

/* 1. Every frame comes out once, unchanged, with a meta whose map covers
 * the picture; 8 and 10-bit, planar and semi-planar. */
GST_START_TEST (test_meta_on_every_frame_frames_unchanged)
{
  static const gchar *formats[] = { "I420", "NV12", "I420_10LE", "P010_10LE",
    "Y444"
  };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=12 "
        "pattern=smpte100 horizontal-speed=3 ! video/x-raw,format=%s,width=%d,"
        "height=%d,framerate=25/1 ! tee name=t ! queue ! estlookahead "
        "lookahead-depth=4 ! appsink name=out  t. ! queue ! appsink "
        "name=ref", formats[i], W, H);
    GError *err = NULL;
    GstElement *p = gst_parse_launch (desc, &err);
    GstElement *out = gst_bin_get_by_name (GST_BIN (p), "out");
    GstElement *ref = gst_bin_get_by_name (GST_BIN (p), "ref");
    GstSample *a, *b;
    guint n = 0;

    g_object_set (out, "sync", FALSE, NULL);
    g_object_set (ref, "sync", FALSE, NULL);
    gst_element_set_state (p, GST_STATE_PLAYING);
    while ((a = gst_app_sink_pull_sample (GST_APP_SINK (out)))) {
      b = gst_app_sink_pull_sample (GST_APP_SINK (ref));
      fail_unless (b != NULL, "%s: more frames out than in", formats[i]);
      GstBuffer *ba = gst_sample_get_buffer (a), *bb =
          gst_sample_get_buffer (b);
      const GstEstRcMeta *m = rc_meta (ba);
      fail_unless (m != NULL, "%s: frame %u has no meta", formats[i], n);
      fail_unless (m->block_size == 16 && m->map_width == W / 16 &&
          m->map_height == H / 16, "%s: map %ux%u of %u", formats[i],
          m->map_width, m->map_height, m->block_size);
      fail_unless (GST_BUFFER_PTS (ba) == GST_BUFFER_PTS (bb));
      GstMapInfo ma, mb;
      gst_buffer_map (ba, &ma, GST_MAP_READ);
      gst_buffer_map (bb, &mb, GST_MAP_READ);
      fail_unless (ma.size == mb.size && memcmp (ma.data, mb.data,
              ma.size) == 0, "%s: frame %u changed", formats[i], n);
      gst_buffer_unmap (ba, &ma);
      gst_buffer_unmap (bb, &mb);
      gst_sample_unref (a);
      gst_sample_unref (b);
      n++;
    }
    fail_unless_equals_int (n, 12);
    gst_element_set_state (p, GST_STATE_NULL);
    gst_object_unref (out);
    gst_object_unref (ref);
    gst_object_unref (p);
    g_free (desc);
  }
}

GST_END_TEST;

/* 2. A cut between two sources is a key frame and a new scene, with a
 * message for each scene; a one-frame white flash is neither. */
GST_START_TEST (test_key_frame_at_cut_not_at_flash)
{
  Out out;
  GArray *keys;
  GList *scenes;

  run ("videotestsrc name=switch num-buffers=40 pattern=smpte100 "
      "horizontal-speed=3 ! " CAPS ("I420") " ! estlookahead "
      "lookahead-depth=5 ! appsink name=out", &out);
  fail_unless_equals_int (out.buffers->len, 40);
  keys = key_hints (&out);
  fail_unless (keys->len == 2 && g_array_index (keys, guint, 0) == 0 &&
      g_array_index (keys, guint, 1) == 20, "%u key frames, the second at "
      "%u", keys->len, keys->len > 1 ? g_array_index (keys, guint, 1) : 0);
  fail_unless_equals_int (rc_meta (g_ptr_array_index (out.buffers,
              19))->scene, 0);
  fail_unless_equals_int (rc_meta (g_ptr_array_index (out.buffers,
              20))->scene, 1);
  scenes = est_test_filter_messages (out.messages, "estlookahead-scene");
  fail_unless_equals_int (g_list_length (scenes), 2);
  guint64 start, end;
  fail_unless (gst_structure_get_uint64 (g_list_nth_data (scenes, 1),
          "start-frame", &start));
  fail_unless (gst_structure_get_uint64 (g_list_nth_data (scenes, 1),
          "end-frame", &end));
  fail_unless (start == 20 && end == 40, "second scene %" G_GUINT64_FORMAT
      "..%" G_GUINT64_FORMAT, start, end);
  g_list_free (scenes);
  g_array_free (keys, TRUE);
  out_clear (&out);

  run ("concat name=c ! estlookahead lookahead-depth=5 ! appsink name=out "
      "videotestsrc num-buffers=15 pattern=smpte100 horizontal-speed=3 ! "
      CAPS ("I420") " ! c.  videotestsrc num-buffers=1 pattern=white ! "
      CAPS ("I420") " ! c.  videotestsrc num-buffers=15 pattern=smpte100 "
      "horizontal-speed=3 ! " CAPS ("I420") " ! c.", &out);
  keys = key_hints (&out);
  fail_unless (keys->len == 1, "%u key frames with a flash, the second at "
      "%u", keys->len, keys->len > 1 ? g_array_index (keys, guint, 1) : 0);
  g_array_free (keys, TRUE);
  out_clear (&out);
}

GST_END_TEST;

/* 3. Still content stretches the key-frame interval to key-int-max;
 * moving content gets one every key-int. */
GST_START_TEST (test_still_content_stretches_gop)
{
  Out out;
  GArray *keys;

  run ("videotestsrc num-buffers=90 pattern=smpte100 ! " CAPS ("I420") " ! "
      "estlookahead lookahead-depth=3 key-int=10 key-int-max=40 ! appsink "
      "name=out", &out);
  keys = key_hints (&out);
  fail_unless (keys->len == 3 && g_array_index (keys, guint, 1) == 40 &&
      g_array_index (keys, guint, 2) == 80, "still: %u key frames", keys->len);
  g_array_free (keys, TRUE);
  out_clear (&out);

  run ("videotestsrc num-buffers=90 pattern=smpte100 horizontal-speed=4 ! "
      CAPS ("I420") " ! estlookahead lookahead-depth=3 key-int=10 "
      "key-int-max=40 ! appsink name=out", &out);
  keys = key_hints (&out);
  fail_unless_equals_int (keys->len, 9);
  for (guint i = 0; i < keys->len; i++)
    fail_unless_equals_int (g_array_index (keys, guint, i), 10 * i);
  g_array_free (keys, TRUE);
  out_clear (&out);
}

GST_END_TEST;

/* 4. The meta survives a tee and queues on both branches, and a copy of
 * the buffer (a writable copy made downstream) keeps it, map included. */
GST_START_TEST (test_meta_survives_tee_queue_and_copies)
{
  GstHarness *h = gst_harness_new_parse ("estlookahead lookahead-depth=0 ! "
      "tee name=t ! queue ! fakesink  t. ! queue");
  GstBuffer *buf, *copy;
  const GstEstRcMeta *m, *mc;

  gst_harness_add_src_parse (h, "videotestsrc pattern=smpte100 ! "
      CAPSFILTER ("I420"), FALSE);
  gst_harness_src_crank_and_push_many (h, 0, 3);
  for (gint i = 0; i < 3; i++) {
    buf = gst_harness_pull (h);
    m = rc_meta (buf);
    fail_unless (m != NULL && m->qp_map != NULL, "frame %d lost its meta", i);
    copy = gst_buffer_copy (buf);
    mc = rc_meta (copy);
    fail_unless (mc != NULL && mc->qp_map != m->qp_map &&
        memcmp (mc->qp_map, m->qp_map,
            sizeof (gfloat) * m->map_width * m->map_height) == 0 &&
        mc->qp_offset == m->qp_offset && mc->frame_type == m->frame_type,
        "the copy of frame %d has no equal meta", i);
    gst_buffer_unref (copy);
    gst_buffer_unref (buf);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* 5. The encoders follow the hints: the frame after a cut is a key frame
 * in the stream, and the encoder's own scene-cut detection is off (no
 * other key frame). SVT-AV1 1.4 forces key frames in random access only,
 * hence crf with B-frames. */
GST_START_TEST (test_encoder_key_frame_at_cut)
{
  static const gchar *encoders[][2] = {
    {"esth264enc", "h264parse"},
    {"esth265enc", "h265parse"},
    {"estav1enc", "av1parse"},
  };

  for (guint e = 0; e < G_N_ELEMENTS (encoders); e++) {
    Out out;
    guint n_key = 0, key_at = 0;

    if (!est_test_have_elements ("key frame at a cut", encoders[e][0], NULL))
      continue;
    gchar *desc = g_strdup_printf ("videotestsrc name=switch num-buffers=40 "
        "pattern=smpte100 horizontal-speed=3 ! " CAPS ("I420") " ! "
        "estlookahead lookahead-depth=5 ! %s speed-preset=ultrafast "
        "rate-control=crf key-int-max=200 ! %s ! appsink name=out",
        encoders[e][0], encoders[e][1]);
    run (desc, &out);
    fail_unless_equals_int (out.buffers->len, 40);
    for (guint i = 1; i < out.buffers->len; i++) {
      GstBuffer *b = g_ptr_array_index (out.buffers, i);
      if (!GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT)) {
        n_key++;
        key_at = (guint) gst_util_uint64_scale_round (GST_BUFFER_PTS (b) -
            GST_BUFFER_PTS (g_ptr_array_index (out.buffers, 0)), 25,
            GST_SECOND);
      }
    }
    fail_unless (n_key == 1 && key_at == 20, "%s: %u key frames after the "
        "first, at frame %u", encoders[e][0], n_key, key_at);
    fail_if (rc_meta (g_ptr_array_index (out.buffers, 0)) != NULL,
        "%s: the meta followed the frame into the stream", encoders[e][0]);
    out_clear (&out);
    g_free (desc);
  }
}

GST_END_TEST;

/* 6. The encoder applies the map: offsets of -8 on the left half and +8 on
 * the right make the left half measurably better. */
static GstPadProbeReturn
split_map (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstEstRcMeta *m = (GstEstRcMeta *) rc_meta (buf);

  fail_unless (m != NULL);
  m->qp_offset = 0;
  for (guint y = 0; y < m->map_height; y++)
    for (guint x = 0; x < m->map_width; x++)
      m->qp_map[y * m->map_width + x] = x < m->map_width / 2 ? -8 : 8;
  return GST_PAD_PROBE_OK;
}

static gdouble
half_psnr (GstBuffer * a, GstBuffer * b, gboolean left)
{
  GstMapInfo ma, mb;
  gdouble sse = 0;
  guint n = 0;

  gst_buffer_map (a, &ma, GST_MAP_READ);
  gst_buffer_map (b, &mb, GST_MAP_READ);
  for (guint y = 0; y < H; y++)
    for (guint x = left ? 0 : W / 2; x < (left ? W / 2 : W); x++) {
      gdouble d = (gdouble) ma.data[y * W + x] - mb.data[y * W + x];
      sse += d * d;
      n++;
    }
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return 10 * log10 (255.0 * 255.0 / (sse / n + 1e-9));
}

GST_START_TEST (test_encoder_applies_the_map)
{
  static const gchar *encoders[][3] = {
    {"esth264enc", "h264parse", "avdec_h264"},
    {"esth265enc", "h265parse", "avdec_h265"},
  };

  for (guint e = 0; e < G_N_ELEMENTS (encoders); e++) {
    if (!est_test_have_elements ("map", encoders[e][0], encoders[e][2], NULL))
      continue;
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=10 "
        "pattern=zone-plate kx2=10 ky2=10 kt=1 ! " CAPS ("I420") " ! tee "
        "name=t ! queue ! estlookahead name=la lookahead-depth=0 ! %s "
        "speed-preset=ultrafast rate-control=crf crf=30 ! %s ! %s ! appsink "
        "name=out  t. ! queue ! appsink name=ref", encoders[e][0],
        encoders[e][1], encoders[e][2]);
    GstElement *p = gst_parse_launch (desc, NULL);
    GstElement *la = gst_bin_get_by_name (GST_BIN (p), "la");
    GstPad *pad = gst_element_get_static_pad (la, "src");
    GstElement *out = gst_bin_get_by_name (GST_BIN (p), "out");
    GstElement *ref = gst_bin_get_by_name (GST_BIN (p), "ref");
    GstSample *a, *b;
    gdouble left = 0, right = 0;
    guint n = 0;

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, split_map, NULL, NULL);
    gst_element_set_state (p, GST_STATE_PLAYING);
    while ((a = gst_app_sink_pull_sample (GST_APP_SINK (out)))) {
      b = gst_app_sink_pull_sample (GST_APP_SINK (ref));
      left += half_psnr (gst_sample_get_buffer (a), gst_sample_get_buffer
          (b), TRUE);
      right += half_psnr (gst_sample_get_buffer (a), gst_sample_get_buffer
          (b), FALSE);
      gst_sample_unref (a);
      gst_sample_unref (b);
      n++;
    }
    fail_unless_equals_int (n, 10);
    /* The zone plate is symmetric: without the map both halves match. */
    fail_unless (left / n > right / n + 3.0, "%s: left %.2f dB, right %.2f "
        "dB", encoders[e][0], left / n, right / n);
    gst_element_set_state (p, GST_STATE_NULL);
    gst_object_unref (pad);
    gst_object_unref (la);
    gst_object_unref (out);
    gst_object_unref (ref);
    gst_object_unref (p);
    g_free (desc);
  }
}

GST_END_TEST;

/* 7. force-key-units sends an event before each key frame; roi-meta adds
 * roi/estuary rectangles with a delta-qp. */
GST_START_TEST (test_force_key_units_and_roi_meta)
{
  Out out;
  guint n_roi = 0;

  run ("videotestsrc name=switch num-buffers=30 pattern=smpte100 "
      "horizontal-speed=3 ! " CAPS ("I420") " ! estlookahead "
      "lookahead-depth=5 force-key-units=true roi-meta=true ! appsink "
      "name=out", &out);
  guint fku = 0;
  for (guint i = 0; i < out.events->len; i++)
    if (gst_video_event_is_force_key_unit (g_ptr_array_index (out.events, i)))
      fku++;
  fail_unless_equals_int (fku, 2);
  for (guint i = 0; i < out.buffers->len; i++) {
    GstBuffer *b = g_ptr_array_index (out.buffers, i);
    gpointer state = NULL;
    GstMeta *meta;
    while ((meta = gst_buffer_iterate_meta_filtered (b, &state,
                GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
      GstStructure *s = gst_video_region_of_interest_meta_get_param
          ((GstVideoRegionOfInterestMeta *) meta, "roi/estuary");
      gint delta;
      fail_unless (s && gst_structure_get_int (s, "delta-qp", &delta) &&
          delta != 0);
      n_roi++;
    }
  }
  fail_unless (n_roi > 0, "no ROI meta");
  out_clear (&out);
}

GST_END_TEST;

/* 8. Latency: lookahead-depth frames at the stream's rate; 0 adds none
 * and each frame goes out as it comes in. */
GST_START_TEST (test_latency_and_zero_depth)
{
  GstHarness *h = gst_harness_new_parse ("estlookahead lookahead-depth=25");
  GstClockTime latency;

  gst_harness_set_src_caps_str (h, CAPS ("I420"));
  latency = gst_harness_query_latency (h);
  fail_unless_equals_uint64 (latency, GST_SECOND);
  gst_harness_teardown (h);

  h = gst_harness_new_parse ("estlookahead lookahead-depth=0");
  gst_harness_add_src_parse (h, "videotestsrc ! " CAPSFILTER ("I420"), FALSE);
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 0);
  for (gint i = 0; i < 3; i++) {
    gst_harness_src_crank_and_push_many (h, 0, 1);
    fail_unless_equals_int (gst_harness_buffers_received (h), i + 1);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* 9. EOS pushes every frame held; a flush drops them and the next frame
 * starts a new analysis (a key frame again). */
GST_START_TEST (test_eos_and_flush)
{
  GstHarness *h = gst_harness_new_parse ("estlookahead lookahead-depth=10");
  GstBuffer *b;

  gst_harness_add_src_parse (h, "videotestsrc pattern=smpte100 "
      "horizontal-speed=3 ! " CAPSFILTER ("I420"), FALSE);
  gst_harness_src_crank_and_push_many (h, 0, 5);
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  gst_harness_src_crank_and_push_many (h, 0, 4);
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_received (h), 4);
  b = gst_harness_pull (h);
  fail_unless (rc_meta (b)->frame_type == GST_EST_RC_FRAME_TYPE_IDR,
      "the first frame after a flush is no key frame");
  gst_buffer_unref (b);
  /* EOS came after the frames. */
  GstEvent *ev;
  gboolean eos = FALSE;
  while ((ev = gst_harness_try_pull_event (h))) {
    eos |= GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  fail_unless (eos, "no EOS downstream");
  gst_harness_teardown (h);
}

GST_END_TEST;

/* 10. The allocation query asks upstream pools for the frames held. */
GST_START_TEST (test_allocation_asks_for_the_frames_held)
{
  GstHarness *h = gst_harness_new_parse ("estlookahead lookahead-depth=7");
  GstCaps *caps = gst_caps_from_string (CAPS ("I420"));
  GstQuery *q = gst_query_new_allocation (caps, TRUE);
  guint size, min, max;

  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  fail_unless (gst_pad_peer_query (h->srcpad, q));
  fail_unless (gst_query_get_n_allocation_pools (q) > 0);
  gst_query_parse_nth_allocation_pool (q, 0, NULL, &size, &min, &max);
  fail_unless (min >= 8, "min %u buffers for 7 held", min);
  gst_query_unref (q);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* 11. A caps change drains the frames of the old size and restarts the
 * analysis at the new one. */
GST_START_TEST (test_caps_change_restarts)
{
  GstHarness *h = gst_harness_new_parse ("estlookahead lookahead-depth=5");
  GstBuffer *b;

  gst_harness_set_src_caps_str (h, CAPS ("I420"));
  for (gint i = 0; i < 3; i++)
    gst_harness_push (h, gst_buffer_new_wrapped (g_malloc0 (W * H * 3 / 2),
            W * H * 3 / 2));
  gst_harness_set_src_caps_str (h, "video/x-raw,format=I420,width=160,"
      "height=128,framerate=25/1");
  fail_unless_equals_int (gst_harness_buffers_received (h), 3);
  gst_harness_push (h, gst_buffer_new_wrapped (g_malloc0 (160 * 128 * 3 / 2),
          160 * 128 * 3 / 2));
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  for (gint i = 0; i < 3; i++) {
    b = gst_harness_pull (h);
    fail_unless_equals_int (rc_meta (b)->map_width, W / 16);
    gst_buffer_unref (b);
  }
  b = gst_harness_pull (h);
  fail_unless_equals_int (rc_meta (b)->map_width, 160 / 16);
  fail_unless (rc_meta (b)->frame_type == GST_EST_RC_FRAME_TYPE_IDR);
  gst_buffer_unref (b);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* 12. overlay paints the decisions over the picture (and only then). */
GST_START_TEST (test_overlay_paints)
{
  for (gint on = 0; on < 2; on++) {
    GstHarness *h = gst_harness_new_parse (on ? "estlookahead "
        "lookahead-depth=0 overlay=true" : "estlookahead lookahead-depth=0");
    GstBuffer *in, *out;
    GstMapInfo a, b;

    gst_harness_set_src_caps_str (h, CAPS ("I420"));
    in = gst_buffer_new_allocate (NULL, W * H * 3 / 2, NULL);
    gst_buffer_memset (in, 0, 128, W * H * 3 / 2);
    out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
    fail_unless (rc_meta (out) != NULL);
    gst_buffer_map (in, &a, GST_MAP_READ);
    gst_buffer_map (out, &b, GST_MAP_READ);
    fail_unless ((memcmp (a.data, b.data, a.size) != 0) == on,
        "overlay=%d: the picture %s", on, on ? "is unchanged" : "changed");
    gst_buffer_unmap (in, &a);
    gst_buffer_unmap (out, &b);
    gst_buffer_unref (in);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* The CRF of each frame's scene in target-quality mode, checked against
 * its meta and the scene messages: >= 0 and the same on every frame of a
 * scene; each message carries the target and that CRF. */
static void
scene_crfs (const Out * out, gdouble target, gdouble crf[2])
{
  GList *scenes = est_test_filter_messages (out->messages,
      "estlookahead-scene");

  fail_unless_equals_int (out->buffers->len, 40);
  for (guint i = 0; i < out->buffers->len; i++) {
    const GstEstRcMeta *m = rc_meta (g_ptr_array_index (out->buffers, i));
    fail_unless (m != NULL && m->scene == (i < 20 ? 0 : 1), "frame %u: "
        "scene %d", i, m ? (gint) m->scene : -1);
    fail_unless (m->quality >= 10 && m->quality <= 51, "frame %u: quality "
        "%g", i, m->quality);
    if (i == 0 || i == 20)
      crf[m->scene] = m->quality;
    fail_unless (m->quality == crf[m->scene], "frame %u: CRF %g in a scene "
        "at %g", i, m->quality, crf[m->scene]);
  }
  fail_unless_equals_int (g_list_length (scenes), 2);
  for (guint i = 0; i < 2; i++) {
    const GstStructure *st = g_list_nth_data (scenes, i);
    gdouble t, q;
    fail_unless (gst_structure_get_double (st, "target-quality", &t) &&
        gst_structure_get_double (st, "quality-value", &q), "scene %u: no "
        "target-quality or quality-value", i);
    fail_unless (t == target && q == crf[i], "scene %u: message says %g dB "
        "at CRF %g, frames CRF %g", i, t, q, crf[i]);
  }
  g_list_free (scenes);
}

/* 13. target-quality: per scene a CRF from the probe encodes, lower for a
 * higher target and for harder content (a moving zone plate after colour
 * bars); full mode leaves the field < 0; an encoder in crf mode follows
 * (more bytes for the higher target). */
GST_START_TEST (test_target_quality_per_scene)
{
  gdouble crf[2][2];
  gsize bytes[2];
  static const gdouble targets[2] = { 22, 30 };
  Out out;

  if (!est_test_have_elements ("target quality", "esth264enc", NULL))
    return;
  for (guint k = 0; k < 2; k++) {
    gchar *desc = g_strdup_printf ("videotestsrc name=switch num-buffers=40 "
        "pattern=smpte100 horizontal-speed=3 ! " CAPS ("I420") " ! "
        "estlookahead lookahead-depth=10 mode=target-quality "
        "target-quality=%g ! appsink name=out", targets[k]);
    run (desc, &out);
    scene_crfs (&out, targets[k], crf[k]);
    out_clear (&out);
    g_free (desc);
  }
  for (guint s = 0; s < 2; s++)
    fail_unless (crf[1][s] < crf[0][s] - 1, "scene %u: CRF %g for %g dB, "
        "%g for %g dB", s, crf[1][s], targets[1], crf[0][s], targets[0]);
  fail_unless (crf[0][1] < crf[0][0] - 1, "the zone plate got CRF %g, the "
      "colour bars %g", crf[0][1], crf[0][0]);

  run ("videotestsrc num-buffers=5 ! " CAPS ("I420") " ! estlookahead "
      "lookahead-depth=2 mode=full ! appsink name=out", &out);
  fail_unless (rc_meta (g_ptr_array_index (out.buffers, 0))->quality < 0);
  out_clear (&out);

  for (guint k = 0; k < 2; k++) {
    gchar *desc = g_strdup_printf ("videotestsrc name=switch num-buffers=40 "
        "pattern=smpte100 horizontal-speed=3 ! " CAPS ("I420") " ! "
        "estlookahead lookahead-depth=10 mode=target-quality "
        "target-quality=%g ! esth264enc rate-control=crf crf=23 "
        "speed-preset=ultrafast ! appsink name=out", targets[k]);
    run (desc, &out);
    bytes[k] = 0;
    for (guint i = 0; i < out.buffers->len; i++)
      bytes[k] += gst_buffer_get_size (g_ptr_array_index (out.buffers, i));
    out_clear (&out);
    g_free (desc);
  }
  fail_unless (bytes[1] > bytes[0] * 3 / 2, "%" G_GSIZE_FORMAT " bytes for "
      "%g dB, %" G_GSIZE_FORMAT " for %g dB", bytes[1], targets[1],
      bytes[0], targets[0]);
}

GST_END_TEST;

static Suite *
estlookahead_suite (void)
{
  Suite *s = suite_create ("estlookahead");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 180);
  tcase_add_checked_fixture (tc, setup, NULL);
  tcase_add_test (tc, test_meta_on_every_frame_frames_unchanged);
  tcase_add_test (tc, test_key_frame_at_cut_not_at_flash);
  tcase_add_test (tc, test_still_content_stretches_gop);
  tcase_add_test (tc, test_meta_survives_tee_queue_and_copies);
  tcase_add_test (tc, test_encoder_key_frame_at_cut);
  tcase_add_test (tc, test_encoder_applies_the_map);
  tcase_add_test (tc, test_force_key_units_and_roi_meta);
  tcase_add_test (tc, test_latency_and_zero_depth);
  tcase_add_test (tc, test_eos_and_flush);
  tcase_add_test (tc, test_allocation_asks_for_the_frames_held);
  tcase_add_test (tc, test_caps_change_restarts);
  tcase_add_test (tc, test_overlay_paints);
  tcase_add_test (tc, test_target_quality_per_scene);
  return s;
}

GST_CHECK_MAIN (estlookahead);
