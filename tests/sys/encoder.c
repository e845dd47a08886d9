/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* sys/encoder: every CPU backend that was built, through the one interface.
 * Each case runs once per available codec; a codec whose library is absent
 * is reported as skipped. */

#include <string.h>

#include <glib.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "encoder.h"

#define W 192
#define H 128
#define N_FRAMES 24

static const gchar *const codec_names[] = { "h264", "h265", "av1" };

static EstEncoderConfig
base_config (EstCodec codec, GstVideoFormat format)
{
  EstEncoderConfig c = { 0 };

  c.codec = codec;
  gst_video_info_set_format (&c.info, format, W, H);
  GST_VIDEO_INFO_FPS_N (&c.info) = 25;
  GST_VIDEO_INFO_FPS_D (&c.info) = 1;
  c.annexb = TRUE;
  c.rate_control = EST_RATE_CONTROL_CRF;
  c.crf = codec == EST_CODEC_AV1 ? 40 : 28;
  c.min_qp = c.max_qp = -1;
  c.b_frames = -1;
  c.ref_frames = -1;
  c.speed_preset = EST_SPEED_ULTRAFAST;
  c.threads = 1;
  return c;
}

/* A moving gradient with texture, in any of the input formats: luma and
 * chroma values are the same numbers whatever the layout, so NV12 and
 * I420 frames of the same index hold the same picture. Semi-planar layouts
 * are written by hand: GStreamer 1.22 gives P010's V component a byte
 * offset of 1 in its format info. */
static guint
sample_value (guint comp, gint x, gint y, guint index)
{
  if (comp == 0)
    return 16 + ((x + 2 * index) * 3 + y * 2) % 200 + ((x / 4 + y / 4) & 1) *
        12;
  return 128 + ((x + y + index + comp * 5) % 32) - 16;
}

static GstBuffer *
make_frame (const GstVideoInfo * info, guint index)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame f;
  const GstVideoFormatInfo *fi = info->finfo;
  gint depth = GST_VIDEO_FORMAT_INFO_DEPTH (fi, 0);
  gint shift = GST_VIDEO_FORMAT_INFO_SHIFT (fi, 0);
  gboolean semi = GST_VIDEO_INFO_N_PLANES (info) == 2;

  g_assert_true (gst_video_frame_map (&f, info, buf, GST_MAP_WRITE));
  for (guint comp = 0; comp < 3; comp++) {
    guint plane = semi && comp > 0 ? 1 : comp;
    guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&f, plane);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&f, plane);
    gint cw = GST_VIDEO_FRAME_COMP_WIDTH (&f, comp);
    gint ch = GST_VIDEO_FRAME_COMP_HEIGHT (&f, comp);
    gint step = semi && comp > 0 ? 2 : 1;
    gint first = semi && comp == 2 ? 1 : 0;

    for (gint y = 0; y < ch; y++) {
      for (gint x = 0; x < cw; x++) {
        guint v = sample_value (comp, x, y, index) << (depth - 8);
        gint i = x * step + first;
        if (depth > 8)
          ((guint16 *) (data + y * stride))[i] = (guint16) (v << shift);
        else
          (data + y * stride)[i] = (guint8) v;
      }
    }
  }
  gst_video_frame_unmap (&f);
  return buf;
}

typedef struct
{
  GPtrArray *packets;           /* EstPacket * */
} Output;

static void
collect (EstEncoder * enc, Output * out)
{
  EstPacket p;
  while (est_encoder_receive (enc, &p))
    g_ptr_array_add (out->packets, g_memdup2 (&p, sizeof (p)));
}

static void
output_free (Output * out)
{
  for (guint i = 0; i < out->packets->len; i++) {
    EstPacket *p = g_ptr_array_index (out->packets, i);
    gst_buffer_unref (p->buffer);
    g_free (p);
  }
  g_ptr_array_free (out->packets, TRUE);
}

/* Encodes n frames with the given per-frame parameters (NULL: none) and
 * drains. */
static Output
encode_all (const EstEncoderConfig * config, guint n,
    const EstEncodeParams * params)
{
  GError *err = NULL;
  EstEncoder *enc = est_encoder_new (config, &err);
  Output out = { g_ptr_array_new () };

  g_assert_no_error (err);
  g_assert_nonnull (enc);
  for (guint i = 0; i < n; i++) {
    GstBuffer *buf = make_frame (&config->info, i);
    GstVideoFrame f;
    g_assert_true (gst_video_frame_map (&f, &config->info, buf, GST_MAP_READ));
    g_assert_true (est_encoder_encode (enc, &f, i, 1000 * GST_SECOND +
            i * GST_SECOND / 25, params ? &params[i] : NULL, &err));
    g_assert_no_error (err);
    gst_video_frame_unmap (&f);
    gst_buffer_unref (buf);
    collect (enc, &out);
  }
  g_assert_true (est_encoder_drain (enc, &err));
  g_assert_no_error (err);
  collect (enc, &out);
  est_encoder_free (enc);
  return out;
}

static gboolean
skip_unless_available (EstCodec codec)
{
  if (est_encoder_codec_available (codec))
    return FALSE;
  g_test_skip ("backend not built");
  return TRUE;
}

static void
check_starts_like_codec (EstCodec codec, GstBuffer * buf)
{
  GstMapInfo m;
  g_assert_true (gst_buffer_map (buf, &m, GST_MAP_READ));
  g_assert_cmpuint (m.size, >, 4);
  if (codec == EST_CODEC_AV1) {
    /* A temporal unit starts with a temporal delimiter OBU. */
    g_assert_cmphex (m.data[0], ==, 0x12);
  } else {
    g_assert_true (memcmp (m.data, "\0\0\1", 3) == 0 ||
        memcmp (m.data, "\0\0\0\1", 4) == 0);
  }
  gst_buffer_unmap (buf, &m);
}

static void
test_every_frame_comes_out_in_decode_order (gconstpointer data)
{
  EstCodec codec = GPOINTER_TO_INT (data);
  if (skip_unless_available (codec))
    return;

  EstEncoderConfig c = base_config (codec, GST_VIDEO_FORMAT_I420);
  Output out = encode_all (&c, N_FRAMES, NULL);
  gboolean seen[N_FRAMES] = { FALSE };
  GstClockTime last_dts = 0;

  g_assert_cmpuint (out.packets->len, ==, N_FRAMES);
  for (guint i = 0; i < out.packets->len; i++) {
    EstPacket *p = g_ptr_array_index (out.packets, i);
    g_assert_cmpuint (p->frame_id, <, N_FRAMES);
    g_assert_false (seen[p->frame_id]);
    seen[p->frame_id] = TRUE;
    g_assert_cmpuint (p->pts, ==, 1000 * GST_SECOND +
        p->frame_id * GST_SECOND / 25);
    g_assert_true (GST_CLOCK_TIME_IS_VALID (p->dts));
    g_assert_cmpuint (p->dts, <=, p->pts);
    g_assert_cmpuint (p->dts, >=, last_dts);
    last_dts = p->dts;
    if (i == 0) {
      g_assert_true (p->keyframe);
      check_starts_like_codec (codec, p->buffer);
    }
  }
  output_free (&out);
}

static void
test_forced_keyframe (gconstpointer data)
{
  EstCodec codec = GPOINTER_TO_INT (data);
  EstEncodeParams params[N_FRAMES] = { {0} };
  if (skip_unless_available (codec))
    return;

  EstEncoderConfig c = base_config (codec, GST_VIDEO_FORMAT_I420);
  params[13].force_keyframe = TRUE;
  Output out = encode_all (&c, N_FRAMES, params);
  gboolean found = FALSE;
  for (guint i = 0; i < out.packets->len; i++) {
    EstPacket *p = g_ptr_array_index (out.packets, i);
    if (p->frame_id == 13) {
      g_assert_true (p->keyframe);
      found = TRUE;
    } else if (p->frame_id != 0) {
      g_assert_false (p->keyframe);
    }
  }
  g_assert_true (found);
  output_free (&out);
}

/* Semi-planar input is converted in sys/: the stream must be the same as
 * from planar input holding the same picture. */
static void
check_same_stream (EstCodec codec, GstVideoFormat planar, GstVideoFormat semi)
{
  if (skip_unless_available (codec))
    return;
  EstEncoderConfig a = base_config (codec, planar);
  EstEncoderConfig b = base_config (codec, semi);
  Output oa = encode_all (&a, 6, NULL);
  Output ob = encode_all (&b, 6, NULL);

  g_assert_cmpuint (oa.packets->len, ==, ob.packets->len);
  for (guint i = 0; i < oa.packets->len; i++) {
    EstPacket *pa = g_ptr_array_index (oa.packets, i);
    EstPacket *pb = g_ptr_array_index (ob.packets, i);
    gsize sa = gst_buffer_get_size (pa->buffer);
    g_assert_cmpuint (sa, ==, gst_buffer_get_size (pb->buffer));
    GstMapInfo m;
    g_assert_true (gst_buffer_map (pa->buffer, &m, GST_MAP_READ));
    g_assert_cmpint (gst_buffer_memcmp (pb->buffer, 0, m.data, m.size), ==, 0);
    gst_buffer_unmap (pa->buffer, &m);
  }
  output_free (&oa);
  output_free (&ob);
}

static void
test_nv12_matches_i420 (gconstpointer data)
{
  check_same_stream (GPOINTER_TO_INT (data), GST_VIDEO_FORMAT_I420,
      GST_VIDEO_FORMAT_NV12);
}

static void
test_p010_matches_i420_10 (gconstpointer data)
{
  check_same_stream (GPOINTER_TO_INT (data), GST_VIDEO_FORMAT_I420_10LE,
      GST_VIDEO_FORMAT_P010_10LE);
}

static void
test_length_prefixed_output_has_codec_data (gconstpointer data)
{
  EstCodec codec = GPOINTER_TO_INT (data);
  GError *err = NULL;
  if (skip_unless_available (codec))
    return;
  if (codec == EST_CODEC_AV1) {
    g_test_skip ("AV1 has no length-prefixed mode");
    return;
  }

  EstEncoderConfig c = base_config (codec, GST_VIDEO_FORMAT_I420);
  c.annexb = FALSE;
  EstEncoder *enc = est_encoder_new (&c, &err);
  g_assert_no_error (err);
  GstBuffer *cd = est_encoder_get_codec_data (enc);
  g_assert_nonnull (cd);
  GstMapInfo m;
  g_assert_true (gst_buffer_map (cd, &m, GST_MAP_READ));
  /* avcC and hvcC both start with configurationVersion 1. */
  g_assert_cmpuint (m.size, >, 10);
  g_assert_cmphex (m.data[0], ==, 1);
  gst_buffer_unmap (cd, &m);
  gst_buffer_unref (cd);
  est_encoder_free (enc);

  Output out = encode_all (&c, 4, NULL);
  for (guint i = 0; i < out.packets->len; i++) {
    EstPacket *p = g_ptr_array_index (out.packets, i);
    /* Each NAL unit is a 4-byte big-endian size then that many bytes. */
    g_assert_true (gst_buffer_map (p->buffer, &m, GST_MAP_READ));
    gsize off = 0;
    while (off + 4 <= m.size)
      off += 4 + GST_READ_UINT32_BE (m.data + off);
    g_assert_cmpuint (off, ==, m.size);
    gst_buffer_unmap (p->buffer, &m);
  }
  output_free (&out);
}

static void
test_refuses_out_of_range_values (gconstpointer data)
{
  EstCodec codec = GPOINTER_TO_INT (data);
  GError *err = NULL;
  if (skip_unless_available (codec))
    return;

  EstEncoderConfig c = base_config (codec, GST_VIDEO_FORMAT_I420);
  c.rate_control = EST_RATE_CONTROL_CQP;
  c.qp = 99;
  g_assert_null (est_encoder_new (&c, &err));
  g_assert_error (err, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID);
  g_assert_nonnull (strstr (err->message, "99"));
  g_clear_error (&err);

  c = base_config (codec, GST_VIDEO_FORMAT_I420);
  c.option_string = "no-equals-sign";
  g_assert_null (est_encoder_new (&c, &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
}


/* A frame QP from the per-frame parameters is the QP the frame gets: the
 * same picture at QP 10 costs far more than at QP 45. x264 takes frame QPs
 * in crf mode only, SVT-AV1 in cqp only. */
static void
test_frame_qp_is_honoured (gconstpointer data)
{
  EstCodec codec = GPOINTER_TO_INT (data);
  EstEncodeParams params[4] = { {0} };
  if (skip_unless_available (codec))
    return;

  EstEncoderConfig c = base_config (codec, GST_VIDEO_FORMAT_I420);
  c.rate_control = codec == EST_CODEC_H264 ? EST_RATE_CONTROL_CRF :
      EST_RATE_CONTROL_CQP;
  c.qp = 30;
  for (guint i = 0; i < 4; i++) {
    params[i].force_keyframe = TRUE;
    params[i].qp = i % 2 ? 45 : 10;
  }
  Output out = encode_all (&c, 4, params);
  gsize size[4] = { 0 };
  g_assert_cmpuint (out.packets->len, ==, 4);
  for (guint i = 0; i < out.packets->len; i++) {
    EstPacket *p = g_ptr_array_index (out.packets, i);
    size[p->frame_id] = gst_buffer_get_size (p->buffer);
  }
  g_assert_cmpuint (size[2], >, 3 * size[3]);
  output_free (&out);
}

static void
add_for_each_codec (const gchar * name, GTestDataFunc func)
{
  for (EstCodec c = EST_CODEC_H264; c <= EST_CODEC_AV1; c++) {
    gchar *path = g_strdup_printf ("/encoder/%s/%s", codec_names[c], name);
    g_test_add_data_func (path, GINT_TO_POINTER (c), func);
    g_free (path);
  }
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  add_for_each_codec ("every-frame-comes-out-in-decode-order",
      test_every_frame_comes_out_in_decode_order);
  add_for_each_codec ("forced-keyframe", test_forced_keyframe);
  add_for_each_codec ("nv12-matches-i420", test_nv12_matches_i420);
  add_for_each_codec ("p010-matches-i420-10", test_p010_matches_i420_10);
  add_for_each_codec ("length-prefixed-output-has-codec-data",
      test_length_prefixed_output_has_codec_data);
  add_for_each_codec ("refuses-out-of-range-values",
      test_refuses_out_of_range_values);
  add_for_each_codec ("frame-qp-is-honoured", test_frame_qp_is_honoured);
  return g_test_run ();
}
