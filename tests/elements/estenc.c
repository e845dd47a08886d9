/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The encoders esth264enc, esth265enc and estav1enc: every case runs for
 * each encoder the build registered (loop index = codec) and reports the
 * others as skipped. Pipelines decode the output with the reference
 * decoders, harnesses check timestamps, key frames and caps. */

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "esttest.h"

typedef struct
{
  const gchar *element;
  const gchar *parser;
  const gchar *decoder;
  const gchar *media_type;
  const gchar *bytestream;      /* stream-format with start codes */
  const gchar *packetized;      /* stream-format with codec_data, or NULL */
  const gchar *muxers[3];
  guint zerolatency_delay;      /* frames held with tune=zerolatency */
  gboolean bitrate_in_playing;  /* the library follows bitrate changes */
} Codec;

static const Codec codecs[] = {
  {"esth264enc", "h264parse", "avdec_h264", "video/x-h264", "byte-stream",
      "avc", {"mp4mux", "matroskamux", "mpegtsmux"}, 0, TRUE},
  /* libx265 3.5 accepts a new bitrate and keeps the old one. */
  {"esth265enc", "h265parse", "avdec_h265", "video/x-h265", "byte-stream",
      "hvc1", {"mp4mux", "matroskamux", "mpegtsmux"}, 0, FALSE},
  /* SVT-AV1 1.4's low-delay mode holds two frames. */
  {"estav1enc", "av1parse", "av1dec", "video/x-av1", "obu-stream", NULL,
      {"mp4mux", "matroskamux", NULL}, 2, FALSE},
};

#define W 320
#define H 240
#define FPS 25
#define DUR (GST_SECOND / FPS)
#define RAW_CAPS "video/x-raw,format=I420,width=320,height=240,framerate=25/1"

/* The codec of loop index i, or NULL (and a note) when not built. */
static const Codec *
codec_or_skip (gint i)
{
  GstElementFactory *f = gst_element_factory_find (codecs[i].element);
  if (!f) {
    g_print ("SKIP %s: not built\n", codecs[i].element);
    return NULL;
  }
  gst_object_unref (f);
  return &codecs[i];
}

static void
setup (void)
{
  est_test_check_plugin_origin ();
}

/* A harness around the encoder fed by videotestsrc (pattern ball unless
 * given) with raw_caps. */
static GstHarness *
encoder_harness (const Codec * c, const gchar * props, const gchar * raw_caps,
    const gchar * out_caps)
{
  gchar *desc = g_strdup_printf ("%s threads=2 speed-preset=ultrafast %s",
      c->element, props ? props : "");
  GstHarness *h = gst_harness_new_parse (desc);
  /* "snow:" and "zone:" before the caps pick a harder pattern. */
  const gchar *pattern = "ball";
  if (g_str_has_prefix (raw_caps, "snow:"))
    pattern = "snow";
  else if (g_str_has_prefix (raw_caps, "zone:"))
    pattern = "zone-plate kx2=20 ky2=20 kt=1";
  if (!g_str_equal (pattern, "ball"))
    raw_caps += 5;
  gchar *src = g_strdup_printf ("videotestsrc pattern=%s ! capsfilter "
      "caps=\"%s\"", pattern, raw_caps);

  gst_harness_add_src_parse (h, src, TRUE);
  if (out_caps)
    gst_harness_set_sink_caps_str (h, out_caps);
  g_free (src);
  g_free (desc);
  return h;
}

/* Pushes n frames and EOS; returns every output buffer in order. */
static GList *
encode_frames (GstHarness * h, guint n)
{
  GList *out = NULL;
  GstBuffer *buf;

  fail_unless_equals_int (gst_harness_src_crank_and_push_many (h, 0, n),
      GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((buf = gst_harness_try_pull (h)))
    out = g_list_append (out, buf);
  return out;
}

static guint64
first_pts (GList * bufs)
{
  GstClockTime min = GST_CLOCK_TIME_NONE;
  for (GList * l = bufs; l; l = l->next)
    min = MIN (min, GST_BUFFER_PTS (l->data));
  return min;
}

GST_START_TEST (test_timestamps_and_drain)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  /* B-frames: output comes in decode order, DTS before PTS. */
  GstHarness *h = encoder_harness (c, "key-int-max=10 b-frames=3", RAW_CAPS,
      NULL);
  GList *out = encode_frames (h, 24);
  gboolean reordered = FALSE;
  GstClockTime last_dts = 0, base = first_pts (out);
  gboolean seen[24] = { FALSE };

  /* Frames out = frames in, each input PTS once, DTS increasing and never
   * after its PTS, a key frame first. */
  fail_unless_equals_int (g_list_length (out), 24);
  for (GList * l = out; l; l = l->next) {
    GstBuffer *b = l->data;
    guint idx = (guint) ((GST_BUFFER_PTS (b) - base + DUR / 2) / DUR);
    fail_unless (idx < 24 && !seen[idx], "unexpected PTS %" GST_TIME_FORMAT,
        GST_TIME_ARGS (GST_BUFFER_PTS (b)));
    seen[idx] = TRUE;
    fail_unless (GST_BUFFER_DTS_IS_VALID (b));
    fail_unless (GST_BUFFER_DTS (b) <= GST_BUFFER_PTS (b));
    fail_unless (GST_BUFFER_DTS (b) >= last_dts);
    if (GST_BUFFER_DTS (b) < GST_BUFFER_PTS (b))
      reordered = TRUE;
    last_dts = GST_BUFFER_DTS (b);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (b), DUR);
    if (l == out)
      fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT));
    /* key-int-max=10: a key frame at least every 10 frames. */
    if (idx % 10 == 0)
      fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT),
          "frame %u is not a key frame", idx);
  }
  /* AV1 reorders inside temporal units: its DTS is its PTS. */
  if (c->packetized)
    fail_unless (reordered, "no B-frame reordering seen");
  /* Frames held for reordering are latency the pipeline must know. */
  fail_unless (gst_harness_query_latency (h) > 0);
  g_list_free_full (out, (GDestroyNotify) gst_buffer_unref);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_force_key_unit_gives_key_frame)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  GstHarness *h = encoder_harness (c, "key-int-max=1000", RAW_CAPS, NULL);
  GList *out = NULL;
  GstBuffer *buf;
  gboolean found = FALSE;

  fail_unless_equals_int (gst_harness_src_crank_and_push_many (h, 0, 7),
      GST_FLOW_OK);
  fail_unless (gst_harness_push_upstream_event (h,
          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
              TRUE, 1)));
  fail_unless_equals_int (gst_harness_src_crank_and_push_many (h, 0, 7),
      GST_FLOW_OK);
  /* From upstream too: a downstream event before frame 14. */
  fail_unless (gst_harness_push_event (h,
          gst_video_event_new_downstream_force_key_unit (GST_CLOCK_TIME_NONE,
              GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, TRUE, 2)));
  out = encode_frames (h, 7);
  while ((buf = gst_harness_try_pull (h)))
    out = g_list_append (out, buf);
  GstClockTime base = first_pts (out);
  gboolean found_second = FALSE;
  for (GList * l = out; l; l = l->next) {
    GstBuffer *b = l->data;
    guint idx = (guint) ((GST_BUFFER_PTS (b) - base + DUR / 2) / DUR);
    if (idx == 0)
      continue;
    if (!GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT)) {
      /* The requests arrived before frames 7 and 14 were handled. */
      fail_unless (idx >= 7, "key frame %u before the request", idx);
      if (idx >= 14)
        found_second = TRUE;
      else
        found = TRUE;
    }
  }
  fail_unless (found, "no key frame after the upstream event");
  /* GstVideoEncoder answers a request without a running time with the
   * next key frame it outputs. An encoder that holds frames (SVT-AV1) may
   * output frame 7's key frame only after the downstream request came,
   * which then counts as answered: seen under load, never for x264 and
   * x265, which hold none here. */
  if (c->zerolatency_delay == 0)
    fail_unless (found_second, "no key frame after the downstream event");
  g_list_free_full (out, (GDestroyNotify) gst_buffer_unref);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_stream_formats)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  const gchar *formats[] = { c->bytestream, c->packetized };

  for (guint f = 0; f < G_N_ELEMENTS (formats) && formats[f]; f++) {
    gchar *caps = g_strdup_printf ("%s,stream-format=%s", c->media_type,
        formats[f]);
    GstHarness *h = encoder_harness (c, NULL, RAW_CAPS, caps);
    GList *out = encode_frames (h, 3);
    GstCaps *got = gst_pad_get_current_caps (h->sinkpad);
    GstStructure *s = gst_caps_get_structure (got, 0);
    GstMapInfo m;

    fail_unless_equals_string (gst_structure_get_string (s, "stream-format"),
        formats[f]);
    gint width = 0;
    fail_unless (gst_structure_get_int (s, "width", &width) && width == W);
    if (f == 1)
      fail_unless (gst_structure_has_field_typed (s, "codec_data",
              GST_TYPE_BUFFER), "%s without codec_data", formats[f]);
    fail_unless (out != NULL);
    fail_unless (gst_buffer_map (out->data, &m, GST_MAP_READ));
    if (f == 0 && c->packetized)
      fail_unless (memcmp (m.data, "\0\0\0\1", 4) == 0 ||
          memcmp (m.data, "\0\0\1", 3) == 0, "no start code");
    if (f == 1)
      fail_unless (GST_READ_UINT32_BE (m.data) + 4 <= m.size,
          "not length-prefixed");
    gst_buffer_unmap (out->data, &m);
    gst_caps_unref (got);
    g_list_free_full (out, (GDestroyNotify) gst_buffer_unref);
    gst_harness_teardown (h);
    g_free (caps);
  }

  /* A profile downstream insists on is the one in the stream. */
  if (g_str_equal (c->media_type, "video/x-h264")) {
    /* (ultrafast codes constrained baseline, which main decoders take.) */
    GstHarness *h = encoder_harness (c, "speed-preset=medium b-frames=2",
        RAW_CAPS, "video/x-h264,stream-format=avc,profile=main");
    GList *out = encode_frames (h, 2);
    GstCaps *got = gst_pad_get_current_caps (h->sinkpad);
    const GValue *v = gst_structure_get_value (gst_caps_get_structure (got,
            0), "codec_data");
    GstMapInfo m;
    fail_unless (v != NULL);
    fail_unless (gst_buffer_map (gst_value_get_buffer (v), &m, GST_MAP_READ));
    fail_unless_equals_int (m.data[1], 77);     /* avcC profile: Main */
    gst_buffer_unmap (gst_value_get_buffer (v), &m);
    gst_caps_unref (got);
    g_list_free_full (out, (GDestroyNotify) gst_buffer_unref);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* Runs a pipeline to EOS and returns its element messages. */
static GList *
run (const gchar * desc)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  GList *messages = NULL;
  GstMessage *error = NULL;

  fail_unless (p != NULL, "%s: %s", desc, err ? err->message : "");
  gboolean eos = est_test_run_pipeline (p, 120, &messages, &error);
  if (error) {
    GError *e = NULL;
    gchar *dbg = NULL;
    gst_message_parse_error (error, &e, &dbg);
    fail ("%s: %s (%s)", desc, e->message, dbg);
  }
  fail_unless (eos);
  gst_object_unref (p);
  return messages;
}

GST_START_TEST (test_decoded_quality_meets_floor)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=30 pattern=ball "
      "! %s ! tee name=t ! queue ! %s speed-preset=ultrafast ! %s ! %s ! "
      "q.dist t. ! queue max-size-buffers=0 max-size-bytes=0 "
      "max-size-time=0 ! q.ref estquality name=q metrics=psnr ! fakesink",
      RAW_CAPS, c->element, c->parser, c->decoder);
  GList *msgs = run (desc);
  GList *sum = est_test_filter_messages (msgs, "estquality-summary");
  guint64 frames = 0;
  gdouble psnr = 0;

  fail_unless_equals_int (g_list_length (sum), 1);
  gst_structure_get_uint64 (sum->data, "frames", &frames);
  gst_structure_get_double (sum->data, "psnr-y-mean", &psnr);
  fail_unless_equals_uint64 (frames, 30);
  /* Default quality (crf) on a simple pattern: far above 30 dB. */
  fail_unless (psnr > 30.0, "psnr-y %f", psnr);
  g_list_free (sum);
  g_list_free_full (msgs, (GDestroyNotify) gst_message_unref);
  g_free (desc);
}

GST_END_TEST;

static guint
count_frames (const gchar * path, const Codec * c)
{
  gchar *desc = g_strdup_printf ("filesrc location=%s ! decodebin ! "
      "fakesink name=sink signal-handoffs=true", path);
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  guint n = 0;

  g_signal_connect_swapped (sink, "handoff", G_CALLBACK (g_atomic_int_inc), &n);
  fail_unless (est_test_run_pipeline (p, 60, NULL, NULL), "%s", desc);
  gst_object_unref (sink);
  gst_object_unref (p);
  g_free (desc);
  return n;
}

GST_START_TEST (test_output_muxes_and_decodes)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  gchar *dir = g_dir_make_tmp ("estenc-XXXXXX", NULL);

  for (guint m = 0; m < G_N_ELEMENTS (c->muxers) && c->muxers[m]; m++) {
    gchar *path = g_strdup_printf ("%s/out-%s", dir, c->muxers[m]);
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=20 pattern=ball "
        "! %s ! %s speed-preset=ultrafast ! %s ! %s ! filesink location=%s",
        RAW_CAPS, c->element, c->parser, c->muxers[m], path);
    g_list_free_full (run (desc), (GDestroyNotify) gst_message_unref);
    fail_unless_equals_int (count_frames (path, c), 20);
    g_unlink (path);
    g_free (desc);
    g_free (path);
  }
  g_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_10bit_in_gives_10bit_out)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=5 ! "
      "video/x-raw,format=I420_10LE,width=320,height=240,framerate=25/1 ! "
      "%s speed-preset=ultrafast ! %s ! %s ! fakesink name=sink", c->element,
      c->parser, c->decoder);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");

  fail_unless (gst_element_set_state (p, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_get_state (p, NULL, NULL, 60 * GST_SECOND) ==
      GST_STATE_CHANGE_SUCCESS);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstVideoInfo info;
  fail_unless (gst_video_info_from_caps (&info, caps));
  fail_unless_equals_int (GST_VIDEO_INFO_COMP_DEPTH (&info, 0), 10);
  gst_caps_unref (caps);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (p);
  g_free (desc);
}

GST_END_TEST;

/* Removes emulation prevention bytes (00 00 03). */
static gsize
unescape (const guint8 * in, gsize n, guint8 * out)
{
  gsize o = 0, zeros = 0;
  for (gsize i = 0; i < n; i++) {
    if (zeros >= 2 && in[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = in[i] == 0 ? zeros + 1 : 0;
    out[o++] = in[i];
  }
  return o;
}

/* Finds SEI payload `type` in an Annex B access unit; copies its payload
 * into out (at most 64 bytes) and returns its size, or -1. */
static gint
find_sei (const guint8 * data, gsize size, gboolean hevc, guint type,
    guint8 * out)
{
  for (gsize i = 0; i + 4 < size; i++) {
    if (data[i] || data[i + 1] || data[i + 2] != 1)
      continue;
    const guint8 *nal = data + i + 3;
    gsize end = i + 3;
    while (end + 3 <= size && !(data[end] == 0 && data[end + 1] == 0 &&
            data[end + 2] <= 1))
      end++;
    if (end + 3 > size)
      end = size;
    gsize len = data + end - nal;
    guint nal_type = hevc ? (nal[0] >> 1) & 0x3f : nal[0] & 0x1f;
    if (nal_type != (hevc ? 39u : 6u))
      continue;
    guint8 *raw = g_malloc (len);
    gsize n = unescape (nal, len, raw);
    gsize p = hevc ? 2 : 1;
    while (p + 2 < n && raw[p] != 0x80) {
      guint t = 0, s = 0;
      while (raw[p] == 0xff)
        t += raw[p++];
      t += raw[p++];
      while (raw[p] == 0xff)
        s += raw[p++];
      s += raw[p++];
      if (t == type && s <= 64 && p + s <= n) {
        memcpy (out, raw + p, s);
        g_free (raw);
        return (gint) s;
      }
      p += s;
    }
    g_free (raw);
  }
  return -1;
}

/* HDR10 metadata of a BT.2020 PQ master: primaries in GStreamer's order
 * (red, green, blue), 1000 cd/m2 peak, MaxCLL 1100, MaxFALL 180. */
#define HDR_CAPS "video/x-raw,format=I420_10LE,width=320,height=240," \
    "framerate=25/1,colorimetry=bt2100-pq," \
    "mastering-display-info=(string)35400:14600:8500:39850:6550:2300:" \
    "15635:16450:10000000:50,content-light-level=(string)1100:180"

GST_START_TEST (test_hdr_metadata_in_stream)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  if (!c->packetized) {
    g_print ("SKIP %s: HDR checks here parse SEI (AV1: sys tests)\n",
        c->element);
    return;
  }
  gboolean hevc = g_str_equal (c->media_type, "video/x-h265");
  gchar *out_caps = g_strdup_printf ("%s,stream-format=byte-stream",
      c->media_type);
  GstHarness *h = encoder_harness (c, NULL, HDR_CAPS, out_caps);
  GList *out = encode_frames (h, 2);
  GstMapInfo m;
  guint8 p[64];

  fail_unless (gst_buffer_map (out->data, &m, GST_MAP_READ));
  /* Mastering display colour volume: green, blue, red, white (u16 each),
   * max and min luminance (u32). */
  fail_unless_equals_int (find_sei (m.data, m.size, hevc, 137, p), 24);
  fail_unless_equals_int (GST_READ_UINT16_BE (p + 0), 8500);    /* green x */
  fail_unless_equals_int (GST_READ_UINT16_BE (p + 8), 35400);   /* red x */
  fail_unless_equals_int (GST_READ_UINT16_BE (p + 12), 15635);  /* white x */
  fail_unless_equals_int (GST_READ_UINT32_BE (p + 16), 10000000);
  fail_unless_equals_int (GST_READ_UINT32_BE (p + 20), 50);
  /* Content light level: MaxCLL, MaxFALL. */
  fail_unless_equals_int (find_sei (m.data, m.size, hevc, 144, p), 4);
  fail_unless_equals_int (GST_READ_UINT16_BE (p), 1100);
  fail_unless_equals_int (GST_READ_UINT16_BE (p + 2), 180);
  gst_buffer_unmap (out->data, &m);

  /* The caps keep the metadata for muxers. */
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstVideoMasteringDisplayInfo mdi;
  fail_unless (gst_video_mastering_display_info_from_caps (&mdi, caps));
  gst_caps_unref (caps);

  g_list_free_full (out, (GDestroyNotify) gst_buffer_unref);
  gst_harness_teardown (h);
  g_free (out_caps);
}

GST_END_TEST;

static gsize
bytes_between (GList * bufs, GstClockTime base, guint from, guint to)
{
  gsize n = 0;
  for (GList * l = bufs; l; l = l->next) {
    guint idx = (guint) ((GST_BUFFER_PTS (l->data) - base + DUR / 2) / DUR);
    if (idx >= from && idx < to)
      n += gst_buffer_get_size (l->data);
  }
  return n;
}

GST_START_TEST (test_bitrate_change_in_playing)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  GstHarness *h = encoder_harness (c, "rate-control=cbr bitrate=150 "
      "tune=zerolatency", "snow:" RAW_CAPS, NULL);
  GList *out = NULL;
  GstBuffer *buf;

  gst_harness_play (h);
  fail_unless_equals_int (gst_harness_src_crank_and_push_many (h, 0, 50),
      GST_FLOW_OK);
  GstElement *enc = gst_harness_find_element (h, c->element);
  g_object_set (enc, "bitrate", 600, NULL);
  out = encode_frames (h, 50);
  while ((buf = gst_harness_try_pull (h)))
    out = g_list_append (out, buf);

  guint bitrate = 0;
  g_object_get (enc, "bitrate", &bitrate, NULL);
  gst_object_unref (enc);
  if (!c->bitrate_in_playing) {
    /* The library cannot: a warning, and the property went back. */
    fail_unless_equals_int (bitrate, 150);
  } else {
    fail_unless_equals_int (bitrate, 600);
    GstClockTime base = first_pts (out);
    /* Skip the first second after each setting: VBV and rate control
     * settle. */
    gsize low = bytes_between (out, base, 25, 50);
    gsize high = bytes_between (out, base, 75, 100);
    fail_unless (high > 2 * low, "bitrate did not follow: %" G_GSIZE_FORMAT
        " bytes at 150 kbit/s, %" G_GSIZE_FORMAT " at 600", low, high);
    /* And roughly what was asked: 1 s at 600 kbit/s is 75000 bytes. */
    fail_unless (high > 75000 / 2 && high < 75000 * 2, "%" G_GSIZE_FORMAT,
        high);
  }
  g_list_free_full (out, (GDestroyNotify) gst_buffer_unref);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_zerolatency_is_one_in_one_out)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  GstHarness *h = encoder_harness (c, "tune=zerolatency", RAW_CAPS, NULL);

  for (guint i = 0; i < 10; i++) {
    fail_unless_equals_int (gst_harness_src_crank_and_push_many (h, 0, 1),
        GST_FLOW_OK);
    guint got = gst_harness_buffers_received (h);
    fail_unless (got <= i + 1 && got + c->zerolatency_delay >= i + 1,
        "%u frames out after %u in", got, i + 1);
  }
  /* And it says so to the pipeline. */
  fail_unless (gst_harness_query_latency (h) <= (c->zerolatency_delay + 1) *
      DUR);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_renegotiation_drains_and_reopens)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  GstHarness *h = gst_harness_new (c->element);
  GstVideoInfo a, b;

  g_object_set (h->element, "speed-preset", 0, NULL);
  gst_video_info_set_format (&a, GST_VIDEO_FORMAT_I420, 320, 240);
  /* The second format differs in size and layout. */
  gst_video_info_set_format (&b, GST_VIDEO_FORMAT_NV12, 192, 128);
  for (guint round = 0; round < 2; round++) {
    GstVideoInfo *info = round ? &b : &a;
    GST_VIDEO_INFO_FPS_N (info) = FPS;
    GstCaps *caps = gst_video_info_to_caps (info);
    gst_harness_set_src_caps (h, caps);
    for (guint i = 0; i < 5; i++) {
      GstBuffer *buf = gst_harness_create_buffer (h, info->size);
      gst_buffer_memset (buf, 0, 64 + 8 * i, info->size);
      GST_BUFFER_PTS (buf) = (round * 5 + i) * DUR;
      GST_BUFFER_DURATION (buf) = DUR;
      fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    }
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_received (h), 10);
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  gint width = 0;
  gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &width);
  fail_unless_equals_int (width, 192);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Starting fails and the error names what is wrong. */
static void
check_start_error (const Codec * c, const gchar * props, GQuark domain,
    gint code, const gchar * words)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! %s ! %s %s ! "
      "fakesink", RAW_CAPS, c->element, props);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstMessage *error = NULL;
  GError *err = NULL;

  fail_if (est_test_run_pipeline (p, 30, NULL, &error));
  fail_unless (error != NULL, "%s: no error", desc);
  gst_message_parse_error (error, &err, NULL);
  fail_unless (g_error_matches (err, domain, code), "%s: %s", desc,
      err->message);
  fail_unless (strstr (err->message, words) != NULL, "%s: \"%s\" lacks %s",
      desc, err->message, words);
  g_clear_error (&err);
  gst_message_unref (error);
  gst_object_unref (p);
  g_free (desc);
}

GST_START_TEST (test_refused_settings_are_errors)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  check_start_error (c, "device=virtual", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND, "VA-API");
  check_start_error (c, "device=gpu", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "gpu");
  check_start_error (c, "option-string=no-such-option=1", GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, "no-such-option");
}

GST_END_TEST;


/* Leaky-bucket model of the VBV / HRD buffer: bits arrive at `kbps` and
 * the buffer holds at most `ms` milliseconds of them; each frame leaves at
 * its decode time. Returns the lowest fullness seen, in bits (negative:
 * underflow, the decoder would stall). */
static gdouble
vbv_min_fullness (GList * bufs, guint kbps, guint ms)
{
  const gdouble size = kbps * 1000.0 * ms / 1000.0;
  gdouble fullness = 0.9 * size, lowest = fullness;
  GstClockTime last = GST_CLOCK_TIME_NONE;

  for (GList * l = bufs; l; l = l->next) {
    GstBuffer *b = l->data;
    if (GST_CLOCK_TIME_IS_VALID (last))
      fullness += kbps * 1000.0 * (GST_BUFFER_DTS (b) - last) / GST_SECOND;
    fullness = MIN (fullness, size);
    fullness -= 8.0 * gst_buffer_get_size (b);
    lowest = MIN (lowest, fullness);
    last = GST_BUFFER_DTS (b);
  }
  return lowest;
}

GST_START_TEST (test_cbr_respects_vbv)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  GstHarness *h = encoder_harness (c, "rate-control=cbr bitrate=300 "
      "vbv-buf-capacity=500", "zone:" RAW_CAPS, NULL);
  GList *out = encode_frames (h, 75);
  gsize total = 0;

  for (GList * l = out; l; l = l->next)
    total += gst_buffer_get_size (l->data);
  /* 3 s at 300 kbit/s: 112500 bytes; a moving zone plate is expensive, so
   * the rate control runs at its limit. (On pure noise SVT-AV1 1.4 cannot
   * get down to 300 kbit/s at this size and overshoots about 2.8 times.) */
  fail_unless (total > 112500 * 0.7 && total < 112500 * 1.15,
      "%" G_GSIZE_FORMAT " bytes for 3 s at 300 kbit/s", total);
  gdouble lowest = vbv_min_fullness (out, 300, 500);
  if (g_str_equal (c->element, "estav1enc")) {
    /* SVT-AV1 1.4's CBR keeps the average, not the buffer: measured
     * underflows of about a third of it. Documented, not asserted. */
    g_print ("estav1enc: lowest VBV fullness %.0f bits of %.0f\n", lowest,
        300000.0 * 0.5);
  } else {
    /* One frame of slack for the model's rounding of arrival times. */
    fail_unless (lowest > -300000.0 / FPS, "VBV underflow: %.0f bits", lowest);
  }
  g_list_free_full (out, (GDestroyNotify) gst_buffer_unref);
  gst_harness_teardown (h);
}

GST_END_TEST;

typedef struct
{
  GPtrArray *ref, *dec;         /* GstSample * */
} RoiRun;

static void
add_roi (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstVideoRegionOfInterestMeta *m =
      gst_buffer_add_video_region_of_interest_meta (buf, "face", 0, 0, W / 2,
      H);
  gst_video_region_of_interest_meta_add_param (m,
      gst_structure_new ("roi/estuary", "delta-qp", G_TYPE_INT, -12, NULL));
  GST_PAD_PROBE_INFO_DATA (info) = buf;
}

static GstPadProbeReturn
roi_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  add_roi (pad, info, data);
  return GST_PAD_PROBE_OK;
}

/* PSNR of the luma of columns [x0, x1) over all frames. */
static gdouble
region_psnr (RoiRun * r, gint x0, gint x1)
{
  gdouble se = 0, n = 0;
  for (guint f = 0; f < r->ref->len && f < r->dec->len; f++) {
    GstBuffer *a = gst_sample_get_buffer (g_ptr_array_index (r->ref, f));
    GstBuffer *b = gst_sample_get_buffer (g_ptr_array_index (r->dec, f));
    GstVideoInfo info;
    GstVideoFrame fa, fb;
    gst_video_info_from_caps (&info,
        gst_sample_get_caps (g_ptr_array_index (r->dec, f)));
    fail_unless (gst_video_frame_map (&fa, &info, a, GST_MAP_READ));
    fail_unless (gst_video_frame_map (&fb, &info, b, GST_MAP_READ));
    for (gint y = 0; y < H; y++) {
      const guint8 *pa = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fa,
          0) + y * GST_VIDEO_FRAME_PLANE_STRIDE (&fa, 0);
      const guint8 *pb = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fb,
          0) + y * GST_VIDEO_FRAME_PLANE_STRIDE (&fb, 0);
      for (gint x = x0; x < x1; x++) {
        gdouble d = pa[x] - pb[x];
        se += d * d;
        n++;
      }
    }
    gst_video_frame_unmap (&fa);
    gst_video_frame_unmap (&fb);
  }
  return 10 * log10 (255.0 * 255.0 / (se / n));
}

static void
pull_all (GstElement * pipeline, const gchar * name, GPtrArray * into)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstSample *s;
  while ((s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 0)))
    g_ptr_array_add (into, s);
  gst_object_unref (sink);
}

/* Encodes 10 frames with or without a ROI on the left half; returns the
 * luma PSNR of the left and right halves, or FALSE with the error. */
static gboolean
roi_encode (const Codec * c, gboolean roi, gdouble * left, gdouble * right,
    GError ** error)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=10 "
      "pattern=zone-plate kx2=20 ky2=20 kt=1 ! %s ! tee name=t ! queue ! "
      "%s name=enc speed-preset=ultrafast ! %s ! %s ! videoconvert ! "
      "video/x-raw,format=I420 ! appsink name=dec sync=false "
      "t. ! queue ! appsink name=ref sync=false", RAW_CAPS, c->element,
      c->parser, c->decoder);
  GstElement *p = gst_parse_launch (desc, NULL);
  RoiRun r = { g_ptr_array_new_with_free_func ((GDestroyNotify)
        gst_sample_unref), g_ptr_array_new_with_free_func ((GDestroyNotify)
        gst_sample_unref)
  };
  GstMessage *err_msg = NULL;
  gboolean ok;

  if (roi) {
    GstElement *enc = gst_bin_get_by_name (GST_BIN (p), "enc");
    GstPad *pad = gst_element_get_static_pad (enc, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, roi_probe, NULL, NULL);
    gst_object_unref (pad);
    gst_object_unref (enc);
  }
  for (guint i = 0; i < 2; i++) {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (p), i ? "dec" : "ref");
    g_object_set (sink, "max-buffers", 0, "drop", FALSE, "wait-on-eos", FALSE,
        NULL);
    gst_object_unref (sink);
  }
  gst_element_set_state (p, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (m != NULL, "timeout");
  ok = GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS;
  if (!ok) {
    err_msg = m;
    gst_message_parse_error (err_msg, error, NULL);
  } else {
    pull_all (p, "ref", r.ref);
    pull_all (p, "dec", r.dec);
    fail_unless_equals_int (r.ref->len, 10);
    fail_unless_equals_int (r.dec->len, 10);
    *left = region_psnr (&r, 0, W / 2);
    *right = region_psnr (&r, W / 2, W);
  }
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_ptr_array_unref (r.ref);
  g_ptr_array_unref (r.dec);
  g_free (desc);
  return ok;
}

GST_START_TEST (test_roi_improves_its_region)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  gdouble l0 = 0, r0 = 0, l1 = 0, r1 = 0;
  GError *err = NULL;

  fail_unless (roi_encode (c, FALSE, &l0, &r0, &err));
  if (!roi_encode (c, TRUE, &l1, &r1, &err)) {
    /* SVT-AV1 1.4 has no per-block QP: the element must say so. */
    fail_unless (g_str_equal (c->element, "estav1enc"), "%s", err->message);
    fail_unless (strstr (err->message, "QP") != NULL, "%s", err->message);
    g_clear_error (&err);
    return;
  }
  /* The zone plate is mirror-symmetric: without ROI both halves match. */
  fail_unless (fabs (l0 - r0) < 1.0, "halves differ without ROI: %f %f", l0,
      r0);
  fail_unless (l1 - r1 > 3.0, "ROI half %.2f dB, rest %.2f dB", l1, r1);
  fail_unless (l1 > l0 + 2.0, "ROI half %.2f dB, before %.2f dB", l1, l0);
}

GST_END_TEST;

/* webrtcsink-style congestion control: a new bitrate every 100 ms (3
 * frames at 30 fps) for 20 s, following a slow square wave between 200 and
 * 800 kbit/s. The stream stays decodable and each 2 s plateau's output
 * follows its target. */
GST_START_TEST (test_bitrate_every_100ms_is_followed)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  if (!c->bitrate_in_playing) {
    g_print ("SKIP %s: the library cannot change bitrate while playing\n",
        c->element);
    return;
  }
  const guint fps = 30, frames = 600, plateau = 60;
  GstHarness *h = encoder_harness (c, "rate-control=cbr bitrate=200 "
      "tune=zerolatency", "zone:video/x-raw,format=I420,width=320,"
      "height=240,framerate=30/1", NULL);
  GstElement *enc = gst_harness_find_element (h, c->element);
  GList *out = NULL;
  GstBuffer *buf;

  gst_harness_play (h);
  for (guint f = 0; f < frames; f += 3) {
    /* Jitter of +-5 % around the plateau's target, as congestion control
     * would send. */
    guint target = (f / plateau) % 2 ? 800 : 200;
    guint kbps = target + (f % 2 ? target / 20 : 0);
    g_object_set (enc, "bitrate", kbps, NULL);
    fail_unless_equals_int (gst_harness_src_crank_and_push_many (h, 0, 3),
        GST_FLOW_OK);
    while ((buf = gst_harness_try_pull (h)))
      out = g_list_append (out, buf);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((buf = gst_harness_try_pull (h)))
    out = g_list_append (out, buf);
  fail_unless_equals_int (g_list_length (out), frames);

  GstClockTime base = first_pts (out);
  for (guint p = 1; p < frames / plateau; p++) {
    guint target = p % 2 ? 800 : 200;
    /* The second half of each plateau, after the rate control settles. */
    gsize bytes = 0;
    for (GList * l = out; l; l = l->next) {
      guint idx = (guint) ((GST_BUFFER_PTS (l->data) - base) * fps /
          GST_SECOND);
      if (idx >= p * plateau + plateau / 2 && idx < (p + 1) * plateau)
        bytes += gst_buffer_get_size (l->data);
    }
    gdouble kbps = bytes * 8.0 / 1000.0 / ((plateau / 2.0) / fps);
    fail_unless (kbps > target * 0.6 && kbps < target * 1.4,
        "plateau %u: %.0f kbit/s for a target of %u", p, kbps, target);
  }
  g_list_free_full (out, (GDestroyNotify) gst_buffer_unref);
  gst_object_unref (enc);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Caps events lose their colorimetry, so only the stream can carry it. */
static GstPadProbeReturn
strip_colorimetry (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;

  if (GST_EVENT_TYPE (ev) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (ev, &caps);
  caps = gst_caps_copy (caps);
  gst_structure_remove_field (gst_caps_get_structure (caps, 0), "colorimetry");
  gst_event_unref (ev);
  GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_caps (caps);
  gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

/* Colorimetry goes into the VUI / sequence header: the parser, which then
 * can only read it from the stream, reports it in its caps. */
GST_START_TEST (test_colorimetry_in_stream)
{
  const Codec *c = codec_or_skip (__i__);
  if (!c)
    return;
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! "
      "video/x-raw,format=I420_10LE,width=320,height=240,framerate=25/1,"
      "colorimetry=bt2100-hlg ! %s speed-preset=ultrafast ! %s name=parse ! "
      "fakesink", c->element, c->parser);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *parse = gst_bin_get_by_name (GST_BIN (p), "parse");
  GstPad *sink = gst_element_get_static_pad (parse, "sink");
  GstPad *src = gst_element_get_static_pad (parse, "src");
  GstVideoColorimetry got, want;

  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      strip_colorimetry, NULL, NULL);
  gst_element_set_state (p, GST_STATE_PAUSED);
  fail_unless_equals_int (gst_element_get_state (p, NULL, NULL,
          60 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  GstCaps *caps = gst_pad_get_current_caps (src);
  fail_unless (caps != NULL);
  const gchar *cm = gst_structure_get_string (gst_caps_get_structure (caps,
          0), "colorimetry");
  fail_unless (cm != NULL, "no colorimetry in %" GST_PTR_FORMAT, caps);
  fail_unless (gst_video_colorimetry_from_string (&got, cm));
  fail_unless (gst_video_colorimetry_from_string (&want, "bt2100-hlg"));
  fail_unless_equals_int (got.transfer, want.transfer);
  fail_unless_equals_int (got.primaries, want.primaries);
  fail_unless_equals_int (got.matrix, want.matrix);
  gst_caps_unref (caps);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (parse);
  gst_object_unref (p);
  g_free (desc);
}

GST_END_TEST;

static Suite *
estenc_suite (void)
{
  Suite *s = suite_create ("estenc");
  TCase *tc = tcase_create ("general");
  const gint n = G_N_ELEMENTS (codecs);

  suite_add_tcase (s, tc);
  /* Generous: the 20 s congestion-control case runs slowly on a loaded
   * machine, and several times slower under ASan. */
  tcase_set_timeout (tc, 300);
  tcase_add_checked_fixture (tc, setup, NULL);
  tcase_add_loop_test (tc, test_timestamps_and_drain, 0, n);
  tcase_add_loop_test (tc, test_force_key_unit_gives_key_frame, 0, n);
  tcase_add_loop_test (tc, test_stream_formats, 0, n);
  tcase_add_loop_test (tc, test_decoded_quality_meets_floor, 0, n);
  tcase_add_loop_test (tc, test_output_muxes_and_decodes, 0, n);
  tcase_add_loop_test (tc, test_10bit_in_gives_10bit_out, 0, n);
  tcase_add_loop_test (tc, test_hdr_metadata_in_stream, 0, n);
  tcase_add_loop_test (tc, test_bitrate_change_in_playing, 0, n);
  tcase_add_loop_test (tc, test_zerolatency_is_one_in_one_out, 0, n);
  tcase_add_loop_test (tc, test_renegotiation_drains_and_reopens, 0, n);
  tcase_add_loop_test (tc, test_refused_settings_are_errors, 0, n);
  tcase_add_loop_test (tc, test_cbr_respects_vbv, 0, n);
  tcase_add_loop_test (tc, test_roi_improves_its_region, 0, n);
  tcase_add_loop_test (tc, test_bitrate_every_100ms_is_followed, 0, n);
  tcase_add_loop_test (tc, test_colorimetry_in_stream, 0, n);
  return s;
}

GST_CHECK_MAIN (estenc);
