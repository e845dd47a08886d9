/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* sys/cpu/svtav1encoder: what the SVT-AV1 backend adds to the generic
 * encoder tests: the av1C record, HDR metadata OBUs, frame QP, key frames
 * and the refusals of what SVT-AV1 1.4 cannot do. Built only with
 * SVT-AV1. */

#include <string.h>

#include <glib.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "encoder.h"

#define OBU_SEQUENCE_HEADER 1
#define OBU_METADATA 5
#define METADATA_HDR_CLL 1
#define METADATA_HDR_MDCV 2

static EstEncoderConfig
base_config (GstVideoFormat format, gint width, gint height)
{
  EstEncoderConfig c = { 0 };

  c.codec = EST_CODEC_AV1;
  gst_video_info_set_format (&c.info, format, width, height);
  GST_VIDEO_INFO_FPS_N (&c.info) = 25;
  GST_VIDEO_INFO_FPS_D (&c.info) = 1;
  c.rate_control = EST_RATE_CONTROL_CRF;
  c.crf = 40;
  c.min_qp = c.max_qp = -1;
  c.b_frames = -1;
  c.ref_frames = -1;
  c.speed_preset = EST_SPEED_ULTRAFAST;
  c.threads = 1;
  return c;
}

/* Textured 4:2:0 pictures that move with index, in any of the input
 * formats (the same samples whatever the layout). Semi-planar chroma is
 * written by hand: GStreamer 1.22 gives P010's V component a byte offset
 * of 1 in its format info. */
static GstBuffer *
make_frame (const GstVideoInfo * info, guint index)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame f;
  gint depth = GST_VIDEO_INFO_COMP_DEPTH (info, 0);
  gint shift = GST_VIDEO_FORMAT_INFO_SHIFT (info->finfo, 0);
  gboolean semi = GST_VIDEO_INFO_N_PLANES (info) == 2;

  /* Padding bytes hold junk that must not reach the stream. */
  gst_buffer_memset (buf, 0, 0x5a + 37 * index, info->size);
  g_assert_true (gst_video_frame_map (&f, info, buf, GST_MAP_WRITE));
  for (guint c = 0; c < 3; c++) {
    guint plane = semi && c > 0 ? 1 : c;
    guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&f, plane);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&f, plane);
    gint step = semi && c > 0 ? 2 : 1;
    gint first = semi && c == 2 ? 1 : 0;

    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&f, c); y++) {
      for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&f, c); x++) {
        guint v = c == 0 ? 16 + ((x + 3 * index) * 7 + y * 5) % 200 +
            ((x / 2 + y / 2) & 1) * 20 : 128 + ((x * y + index + c) % 40) - 20;
        gint i = x * step + first;

        if (depth > 8)
          ((guint16 *) (data + y * stride))[i] = (v << (depth - 8)) << shift;
        else
          data[y * stride + i] = v;
      }
    }
  }
  gst_video_frame_unmap (&f);
  return buf;
}

static gboolean
encode_frame (EstEncoder * enc, const GstVideoInfo * info, guint index,
    const EstEncodeParams * params, GError ** error)
{
  GstBuffer *buf = make_frame (info, index);
  GstVideoFrame f;
  gboolean ok;

  g_assert_true (gst_video_frame_map (&f, info, buf, GST_MAP_READ));
  ok = est_encoder_encode (enc, &f, index, index * GST_SECOND / 25, params,
      error);
  gst_video_frame_unmap (&f);
  gst_buffer_unref (buf);
  return ok;
}

/* Encodes n frames (params: NULL or n entries), drains, returns the
 * packets' buffers in output order and their key-frame flags. */
static GPtrArray *
encode_all (const EstEncoderConfig * c, guint n,
    const EstEncodeParams * params, GArray * keyframes)
{
  GError *err = NULL;
  EstEncoder *enc = est_encoder_new (c, &err);
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  EstPacket p;

  g_assert_no_error (err);
  for (guint i = 0; i < n; i++) {
    g_assert_true (encode_frame (enc, &c->info, i, params ? &params[i] : NULL,
            &err));
    g_assert_no_error (err);
  }
  g_assert_true (est_encoder_drain (enc, &err));
  g_assert_no_error (err);
  while (est_encoder_receive (enc, &p)) {
    g_assert_cmpuint (p.frame_id, ==, out->len);
    g_assert_cmpuint (p.dts, ==, p.pts);
    g_ptr_array_add (out, p.buffer);
    if (keyframes)
      g_array_append_val (keyframes, p.keyframe);
  }
  g_assert_cmpuint (out->len, ==, n);
  est_encoder_free (enc);
  return out;
}

static guint64
read_leb128 (const guint8 * data, gsize size, gsize * pos)
{
  guint64 v = 0;

  for (guint i = 0; i < 8; i++) {
    g_assert_cmpuint (*pos, <, size);
    v |= (guint64) (data[*pos] & 0x7f) << (7 * i);
    if (!(data[(*pos)++] & 0x80))
      break;
  }
  return v;
}

/* Calls func for each OBU of a low-overhead (size-delimited) stream. */
static void
for_each_obu (const guint8 * data, gsize size,
    void (*func) (guint type, const guint8 * payload, gsize size,
        gpointer user_data), gpointer user_data)
{
  gsize pos = 0;

  while (pos < size) {
    guint8 header = data[pos++];
    guint64 len;

    g_assert_true (header & 0x02);      /* obu_has_size_field */
    if (header & 0x04)
      pos++;
    len = read_leb128 (data, size, &pos);
    g_assert_cmpuint (pos + len, <=, size);
    func ((header >> 3) & 0xf, data + pos, len, user_data);
    pos += len;
  }
}

static void
test_codec_data_is_av1c (void)
{
  const GstVideoFormat formats[] = {
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_I420_10LE,
    GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_P010_10LE,
  };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    EstEncoderConfig c = base_config (formats[i], 128, 64);
    GError *err = NULL;
    EstEncoder *enc = est_encoder_new (&c, &err);
    gboolean ten = GST_VIDEO_INFO_COMP_DEPTH (&c.info, 0) == 10;
    GstBuffer *cd;
    GstMapInfo m;

    g_assert_no_error (err);
    cd = est_encoder_get_codec_data (enc);
    g_assert_nonnull (cd);
    g_assert_true (gst_buffer_map (cd, &m, GST_MAP_READ));
    g_assert_cmpuint (m.size, >, 6);
    g_assert_cmphex (m.data[0], ==, 0x81);      /* marker, version 1 */
    g_assert_cmpuint (m.data[1] >> 5, ==, 0);   /* main profile */
    /* tier 0, high_bitdepth, not twelve_bit, not mono, 4:2:0 */
    g_assert_cmphex (m.data[2] & 0xfc, ==, ten ? 0x4c : 0x0c);
    g_assert_cmphex (m.data[3], ==, 0);
    /* configOBUs: the sequence header OBU, with its size field. */
    g_assert_cmpuint ((m.data[4] >> 3) & 0xf, ==, OBU_SEQUENCE_HEADER);
    g_assert_true (m.data[4] & 0x02);
    gst_buffer_unmap (cd, &m);
    gst_buffer_unref (cd);
    est_encoder_free (enc);
  }
}

typedef struct
{
  gboolean seen_cll, seen_mdcv;
  guint8 cll[4], mdcv[24];
} Metadata;

static void
find_metadata (guint type, const guint8 * payload, gsize size,
    gpointer user_data)
{
  Metadata *md = user_data;
  gsize pos = 0;
  guint64 metadata_type;

  if (type != OBU_METADATA)
    return;
  metadata_type = read_leb128 (payload, size, &pos);
  if (metadata_type == METADATA_HDR_CLL) {
    g_assert_cmpuint (size - pos, >=, 4);
    memcpy (md->cll, payload + pos, 4);
    md->seen_cll = TRUE;
  } else if (metadata_type == METADATA_HDR_MDCV) {
    g_assert_cmpuint (size - pos, >=, 24);
    memcpy (md->mdcv, payload + pos, 24);
    md->seen_mdcv = TRUE;
  }
}

static guint
to_fixed (guint gst_value, gdouble gst_unit, guint frac_bits)
{
  return (guint) (gst_value * gst_unit * (1 << frac_bits) + 0.5);
}

/* HDR10 input: the key frame's temporal unit carries HDR_CLL and HDR_MDCV
 * metadata OBUs with the caps' values in AV1's fixed-point units. */
static void
test_hdr_metadata_obus (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420_10LE, 128, 64);
  const guint primaries[3][2] = {
    {35400, 14600}, {8500, 39850}, {6550, 2300}
  };
  GPtrArray *out;
  GstMapInfo m;
  Metadata md = { 0 };

  g_assert_true (gst_video_colorimetry_from_string (&c.info.colorimetry,
          GST_VIDEO_COLORIMETRY_BT2100_PQ));
  c.have_mastering_display = TRUE;
  for (guint i = 0; i < 3; i++) {
    c.mastering_display.display_primaries[i].x = primaries[i][0];
    c.mastering_display.display_primaries[i].y = primaries[i][1];
  }
  c.mastering_display.white_point.x = 15635;
  c.mastering_display.white_point.y = 16450;
  c.mastering_display.max_display_mastering_luminance = 10000000;
  c.mastering_display.min_display_mastering_luminance = 50;
  c.have_content_light_level = TRUE;
  c.content_light_level.max_content_light_level = 1000;
  c.content_light_level.max_frame_average_light_level = 400;

  out = encode_all (&c, 3, NULL, NULL);
  g_assert_true (gst_buffer_map (g_ptr_array_index (out, 0), &m, GST_MAP_READ));
  for_each_obu (m.data, m.size, find_metadata, &md);
  gst_buffer_unmap (g_ptr_array_index (out, 0), &m);

  g_assert_true (md.seen_cll);
  g_assert_cmpuint (GST_READ_UINT16_BE (md.cll), ==, 1000);
  g_assert_cmpuint (GST_READ_UINT16_BE (md.cll + 2), ==, 400);

  g_assert_true (md.seen_mdcv);
  for (guint i = 0; i < 3; i++) {
    g_assert_cmpuint (GST_READ_UINT16_BE (md.mdcv + 4 * i), ==,
        to_fixed (primaries[i][0], 0.00002, 16));
    g_assert_cmpuint (GST_READ_UINT16_BE (md.mdcv + 4 * i + 2), ==,
        to_fixed (primaries[i][1], 0.00002, 16));
  }
  g_assert_cmpuint (GST_READ_UINT16_BE (md.mdcv + 12), ==,
      to_fixed (15635, 0.00002, 16));
  g_assert_cmpuint (GST_READ_UINT16_BE (md.mdcv + 14), ==,
      to_fixed (16450, 0.00002, 16));
  g_assert_cmpuint (GST_READ_UINT32_BE (md.mdcv + 16), ==, 1000 << 8);
  g_assert_cmpuint (GST_READ_UINT32_BE (md.mdcv + 20), ==,
      to_fixed (50, 0.0001, 14));
  g_ptr_array_unref (out);
}

static void
check_refused (const EstEncoderConfig * c, gint code, const gchar * words)
{
  GError *err = NULL;

  g_assert_null (est_encoder_new (c, &err));
  g_assert_error (err, EST_ENCODER_ERROR, code);
  g_assert_nonnull (strstr (err->message, words));
  g_clear_error (&err);
}

static void
test_refuses_what_svtav1_cannot_do (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420, 32, 32);

  check_refused (&c, EST_ENCODER_ERROR_UNSUPPORTED, "64x64");
  c = base_config (GST_VIDEO_FORMAT_Y444, 128, 64);
  check_refused (&c, EST_ENCODER_ERROR_UNSUPPORTED, "4:2:0");
  c = base_config (GST_VIDEO_FORMAT_I420, 128, 64);
  c.intra_refresh = TRUE;
  check_refused (&c, EST_ENCODER_ERROR_UNSUPPORTED, "intra refresh");
  c = base_config (GST_VIDEO_FORMAT_I420, 128, 64);
  c.option_string = "no-such-option=1";
  check_refused (&c, EST_ENCODER_ERROR_INVALID, "no-such-option");
  c = base_config (GST_VIDEO_FORMAT_I420, 128, 64);
  c.rate_control = EST_RATE_CONTROL_VBR;
  c.bitrate = 500;
  c.b_frames = 0;
  check_refused (&c, EST_ENCODER_ERROR_UNSUPPORTED, "vbr");
}

static void
test_refuses_bitrate_change_while_encoding (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420, 128, 64);
  GError *err = NULL;
  EstEncoder *enc;

  c.rate_control = EST_RATE_CONTROL_VBR;
  c.bitrate = 500;
  enc = est_encoder_new (&c, &err);
  g_assert_no_error (err);
  g_assert_true (encode_frame (enc, &c.info, 0, NULL, &err));
  /* The same values are no change. */
  g_assert_true (est_encoder_reconfigure (enc, &c, &err));
  g_assert_no_error (err);
  c.bitrate = 800;
  g_assert_false (est_encoder_reconfigure (enc, &c, &err));
  g_assert_error (err, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (err->message, "bitrate"));
  g_clear_error (&err);
  est_encoder_free (enc);
}

static void
test_refuses_per_block_qp (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420, 128, 64);
  const gfloat map[2 * 1] = { -4, 4 };
  const EstRoi roi = { 0, 0, 64, 64, -6 };
  EstEncodeParams with_map = { 0 }, with_roi = { 0 };
  GError *err = NULL;
  EstEncoder *enc = est_encoder_new (&c, &err);

  g_assert_no_error (err);
  with_map.qp_map = map;
  with_map.map_block = 64;
  with_map.map_width = 2;
  with_map.map_height = 1;
  g_assert_false (encode_frame (enc, &c.info, 0, &with_map, &err));
  g_assert_error (err, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (err->message, "qp_map/ROI"));
  g_clear_error (&err);
  with_roi.rois = &roi;
  with_roi.n_rois = 1;
  g_assert_false (encode_frame (enc, &c.info, 0, &with_roi, &err));
  g_assert_error (err, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED);
  g_clear_error (&err);
  est_encoder_free (enc);
}

static gsize
first_packet_size (const EstEncoderConfig * c, gint qp, gfloat qp_offset)
{
  EstEncodeParams params = { 0 };
  GPtrArray *out;
  gsize size;

  params.qp = qp;
  params.qp_offset = qp_offset;
  out = encode_all (c, 1, &params, NULL);
  size = gst_buffer_get_size (g_ptr_array_index (out, 0));
  g_ptr_array_unref (out);
  return size;
}

/* In cqp the frame QP replaces the session's: the same picture at QP 10
 * costs many times the bits it does at QP 50; a QP offset moves the
 * session's QP to the same frame QP. */
static void
test_frame_qp_is_honoured (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420, 192, 128);
  gsize fine, coarse;

  c.rate_control = EST_RATE_CONTROL_CQP;
  c.qp = 30;
  fine = first_packet_size (&c, 10, 0);
  coarse = first_packet_size (&c, 50, 0);
  g_assert_cmpuint (fine, >, 3 * coarse);
  g_assert_cmpuint (first_packet_size (&c, 0, -20), ==, fine);
  g_assert_cmpuint (first_packet_size (&c, 0, 20), ==, coarse);
}

static void
test_frame_qp_refused_outside_cqp (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420, 128, 64);
  EstEncodeParams params = { 0 };
  GError *err = NULL;
  EstEncoder *enc = est_encoder_new (&c, &err);

  g_assert_no_error (err);
  params.qp = 20;
  g_assert_false (encode_frame (enc, &c.info, 0, &params, &err));
  g_assert_error (err, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED);
  g_clear_error (&err);
  est_encoder_free (enc);
}

/* key_int_max 1: every frame a key frame (1.4's intra period 0 would
 * give intra-only frames after the first). */
static void
test_every_frame_a_key_frame (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420, 128, 64);
  GArray *keyframes = g_array_new (FALSE, FALSE, sizeof (gboolean));
  GPtrArray *out;

  c.key_int_max = 1;
  out = encode_all (&c, 5, NULL, keyframes);
  for (guint i = 0; i < keyframes->len; i++)
    g_assert_true (g_array_index (keyframes, gboolean, i));
  g_ptr_array_unref (out);
  g_array_unref (keyframes);
}

/* cbr runs with low-delay prediction: no reordering, two frames held,
 * and no forced key frames in 1.4. */
static void
test_cbr_is_low_delay (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420, 128, 64);
  EstEncodeParams params[12] = { {0} };
  GError *err = NULL;
  EstEncoder *enc;
  GPtrArray *out;

  c.rate_control = EST_RATE_CONTROL_CBR;
  c.bitrate = 300;
  enc = est_encoder_new (&c, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (est_encoder_get_delay (enc), ==, 2);
  g_assert_true (encode_frame (enc, &c.info, 0, NULL, &err));
  params[0].force_keyframe = TRUE;
  g_assert_false (encode_frame (enc, &c.info, 1, &params[0], &err));
  g_assert_error (err, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED);
  g_clear_error (&err);
  est_encoder_free (enc);

  params[0].force_keyframe = FALSE;
  out = encode_all (&c, G_N_ELEMENTS (params), params, NULL);
  g_ptr_array_unref (out);
}

/* Planes with padded strides give the same stream as tightly packed
 * ones: narrow padding goes to SVT-AV1 as it is, wide padding (1.4 copies
 * whole strides into its own rows) through the staging buffer. */
static void
test_padded_strides_match_tight (void)
{
  const GstVideoFormat formats[] = {
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_I420_10LE,
  };
  const guint paddings[] = { 16, 200 };

  for (guint i = 0; i < G_N_ELEMENTS (formats) * G_N_ELEMENTS (paddings); i++) {
    EstEncoderConfig tight = base_config (formats[i / 2], 128, 64);
    EstEncoderConfig padded = tight;
    GstVideoAlignment align;
    GPtrArray *a, *b;

    gst_video_alignment_reset (&align);
    align.padding_right = paddings[i % 2];
    g_assert_true (gst_video_info_align (&padded.info, &align));
    g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&padded.info), ==, 128);
    a = encode_all (&tight, 4, NULL, NULL);
    b = encode_all (&padded, 4, NULL, NULL);
    for (guint j = 0; j < a->len; j++) {
      GstBuffer *pa = g_ptr_array_index (a, j);
      GstMapInfo m;

      g_assert_true (gst_buffer_map (pa, &m, GST_MAP_READ));
      g_assert_cmpuint (m.size, ==,
          gst_buffer_get_size (g_ptr_array_index (b, j)));
      g_assert_cmpint (gst_buffer_memcmp (g_ptr_array_index (b, j), 0, m.data,
              m.size), ==, 0);
      gst_buffer_unmap (pa, &m);
    }
    g_ptr_array_unref (a);
    g_ptr_array_unref (b);
  }
}

/* SVT-AV1 1.4 never answers an end of stream that follows no picture:
 * the backend must still drain and close at once. */
static void
test_empty_session_drains (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_P010_10LE, 128, 64);
  GError *err = NULL;
  EstEncoder *enc = est_encoder_new (&c, &err);
  EstPacket p;

  g_assert_no_error (err);
  g_assert_true (est_encoder_drain (enc, &err));
  g_assert_no_error (err);
  g_assert_false (est_encoder_receive (enc, &p));
  est_encoder_free (enc);

  /* Closing without a drain, with and without pictures. */
  enc = est_encoder_new (&c, &err);
  est_encoder_free (enc);
  enc = est_encoder_new (&c, &err);
  g_assert_true (encode_frame (enc, &c.info, 0, NULL, &err));
  est_encoder_free (enc);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/svtav1encoder/codec-data-is-av1c",
      test_codec_data_is_av1c);
  g_test_add_func ("/svtav1encoder/hdr-metadata-obus", test_hdr_metadata_obus);
  g_test_add_func ("/svtav1encoder/refuses-what-svtav1-cannot-do",
      test_refuses_what_svtav1_cannot_do);
  g_test_add_func ("/svtav1encoder/refuses-bitrate-change-while-encoding",
      test_refuses_bitrate_change_while_encoding);
  g_test_add_func ("/svtav1encoder/refuses-per-block-qp",
      test_refuses_per_block_qp);
  g_test_add_func ("/svtav1encoder/frame-qp-is-honoured",
      test_frame_qp_is_honoured);
  g_test_add_func ("/svtav1encoder/frame-qp-refused-outside-cqp",
      test_frame_qp_refused_outside_cqp);
  g_test_add_func ("/svtav1encoder/every-frame-a-key-frame",
      test_every_frame_a_key_frame);
  g_test_add_func ("/svtav1encoder/cbr-is-low-delay", test_cbr_is_low_delay);
  g_test_add_func ("/svtav1encoder/padded-strides-match-tight",
      test_padded_strides_match_tight);
  g_test_add_func ("/svtav1encoder/empty-session-drains",
      test_empty_session_drains);
  return g_test_run ();
}
