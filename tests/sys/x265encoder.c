/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* sys/cpu/x265encoder: what the generic encoder test cannot see. The
 * stream is read back with GStreamer's H.265 parser (VUI, SEI, profile) and
 * compared by size where the question is "more or fewer bits": with the
 * same pictures and settings, a lower QP in a region can only add bits. */

#include <string.h>

/* Stable since 1.0 in practice; GStreamer marks the parsers unstable. */
#define GST_USE_UNSTABLE_API

#include <glib.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/codecparsers/gsth265parser.h>

#include "encoder.h"

#define W 192
#define H 128

static EstEncoderConfig
base_config (GstVideoFormat format)
{
  EstEncoderConfig c = { 0 };

  c.codec = EST_CODEC_H265;
  gst_video_info_set_format (&c.info, format, W, H);
  GST_VIDEO_INFO_FPS_N (&c.info) = 25;
  GST_VIDEO_INFO_FPS_D (&c.info) = 1;
  c.annexb = TRUE;
  c.rate_control = EST_RATE_CONTROL_CRF;
  c.crf = 28;
  c.min_qp = c.max_qp = -1;
  c.b_frames = -1;
  c.ref_frames = -1;
  c.speed_preset = EST_SPEED_ULTRAFAST;
  c.threads = 1;
  return c;
}

/* A textured picture drifting right, with fixed-seed noise so that bits
 * follow the quantiser; planar formats only. */
static GstBuffer *
make_frame (const GstVideoInfo * info, guint index)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  const gint depth = GST_VIDEO_INFO_COMP_DEPTH (info, 0);
  GRand *rand = g_rand_new_with_seed (index);
  GstVideoFrame f;

  g_assert_cmpuint (GST_VIDEO_INFO_N_PLANES (info), ==, 3);
  g_assert_true (gst_video_frame_map (&f, info, buf, GST_MAP_WRITE));
  for (guint c = 0; c < 3; c++) {
    guint8 *data = GST_VIDEO_FRAME_COMP_DATA (&f, c);
    gint stride = GST_VIDEO_FRAME_COMP_STRIDE (&f, c);
    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&f, c); y++) {
      for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&f, c); x++) {
        gint v = c == 0 ? 40 + ((x + 3 * (gint) index) * 5 + y * 3) % 150 +
            g_rand_int_range (rand, 0, 24) : 112 + (x / 8 + y / 8) % 32;
        if (depth > 8)
          ((guint16 *) (data + y * stride))[x] = (guint16) (v << 2);
        else
          data[y * stride + x] = (guint8) v;
      }
    }
  }
  gst_video_frame_unmap (&f);
  g_rand_free (rand);
  return buf;
}

static void
free_packets (GPtrArray * packets)
{
  for (guint i = 0; i < packets->len; i++) {
    EstPacket *p = g_ptr_array_index (packets, i);
    gst_buffer_unref (p->buffer);
    g_free (p);
  }
  g_ptr_array_free (packets, TRUE);
}

static void
collect (EstEncoder * enc, GPtrArray * packets)
{
  EstPacket p;
  while (est_encoder_receive (enc, &p))
    g_ptr_array_add (packets, g_memdup2 (&p, sizeof (p)));
}

static void
encode_frame (EstEncoder * enc, const EstEncoderConfig * c, guint index,
    const EstEncodeParams * params)
{
  GstBuffer *buf = make_frame (&c->info, index);
  GError *err = NULL;
  GstVideoFrame f;

  g_assert_true (gst_video_frame_map (&f, &c->info, buf, GST_MAP_READ));
  g_assert_true (est_encoder_encode (enc, &f, index, 1000 * GST_SECOND +
          index * GST_SECOND / 25, params, &err));
  g_assert_no_error (err);
  gst_video_frame_unmap (&f);
  gst_buffer_unref (buf);
}

/* Encodes n frames, each with params (NULL: none), and drains. */
static GPtrArray *
encode_all (const EstEncoderConfig * c, guint n, const EstEncodeParams * params)
{
  GError *err = NULL;
  EstEncoder *enc = est_encoder_new (c, &err);
  GPtrArray *packets = g_ptr_array_new ();

  g_assert_no_error (err);
  for (guint i = 0; i < n; i++) {
    encode_frame (enc, c, i, params);
    collect (enc, packets);
  }
  g_assert_true (est_encoder_drain (enc, &err));
  g_assert_no_error (err);
  collect (enc, packets);
  est_encoder_free (enc);
  g_assert_cmpuint (packets->len, ==, n);
  return packets;
}

static gsize
total_size (GPtrArray * packets)
{
  gsize size = 0;
  for (guint i = 0; i < packets->len; i++)
    size += gst_buffer_get_size (((EstPacket *) packets->pdata[i])->buffer);
  return size;
}

static gboolean
same_stream (GPtrArray * a, GPtrArray * b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++) {
    GstBuffer *x = ((EstPacket *) a->pdata[i])->buffer;
    GstBuffer *y = ((EstPacket *) b->pdata[i])->buffer;
    GstMapInfo m;
    gboolean same;
    if (gst_buffer_get_size (x) != gst_buffer_get_size (y))
      return FALSE;
    g_assert_true (gst_buffer_map (x, &m, GST_MAP_READ));
    same = gst_buffer_memcmp (y, 0, m.data, m.size) == 0;
    gst_buffer_unmap (x, &m);
    if (!same)
      return FALSE;
  }
  return TRUE;
}

/* What the parser found in one access unit. */
typedef struct
{
  gboolean have_vps, have_sps;
  GstH265SPS sps;
  gboolean have_mdcv, have_cll;
  GstH265MasteringDisplayColourVolume mdcv;
  GstH265ContentLightLevel cll;
} Parsed;

static void
parse_nal (GstH265Parser * parser, GstH265NalUnit * nalu, Parsed * out)
{
  if (nalu->type == GST_H265_NAL_VPS) {
    GstH265VPS vps;
    g_assert_cmpint (gst_h265_parser_parse_vps (parser, nalu, &vps), ==,
        GST_H265_PARSER_OK);
    out->have_vps = TRUE;
  } else if (nalu->type == GST_H265_NAL_SPS) {
    g_assert_cmpint (gst_h265_parser_parse_sps (parser, nalu, &out->sps,
            TRUE), ==, GST_H265_PARSER_OK);
    out->have_sps = TRUE;
  } else if (nalu->type == GST_H265_NAL_PREFIX_SEI) {
    GArray *messages = NULL;
    g_assert_cmpint (gst_h265_parser_parse_sei (parser, nalu, &messages), ==,
        GST_H265_PARSER_OK);
    for (guint i = 0; i < messages->len; i++) {
      GstH265SEIMessage *m = &g_array_index (messages, GstH265SEIMessage, i);
      if (m->payloadType == GST_H265_SEI_MASTERING_DISPLAY_COLOUR_VOLUME) {
        out->mdcv = m->payload.mastering_display_colour_volume;
        out->have_mdcv = TRUE;
      } else if (m->payloadType == GST_H265_SEI_CONTENT_LIGHT_LEVEL) {
        out->cll = m->payload.content_light_level;
        out->have_cll = TRUE;
      }
    }
    g_array_free (messages, TRUE);
  } else {
    gst_h265_parser_parse_nal (parser, nalu);
  }
}

/* Parses every NAL unit of buf, Annex B or 4-byte length-prefixed. */
static Parsed
parse_access_unit (GstH265Parser * parser, GstBuffer * buf, gboolean annexb)
{
  Parsed out = { 0 };
  GstH265NalUnit nalu;
  GstH265ParserResult r;
  GstMapInfo m;
  guint offset = 0;

  g_assert_true (gst_buffer_map (buf, &m, GST_MAP_READ));
  for (;;) {
    if (annexb)
      r = gst_h265_parser_identify_nalu (parser, m.data, offset, m.size, &nalu);
    else
      r = gst_h265_parser_identify_nalu_hevc (parser, m.data, offset, m.size,
          4, &nalu);
    if (r != GST_H265_PARSER_OK && r != GST_H265_PARSER_NO_NAL_END)
      break;
    parse_nal (parser, &nalu, &out);
    offset = nalu.offset + nalu.size;
  }
  gst_buffer_unmap (buf, &m);
  return out;
}

static gboolean
has_nal_type (GstBuffer * buf, gboolean annexb, GstH265NalUnitType type)
{
  GstH265Parser *parser = gst_h265_parser_new ();
  GstH265NalUnit nalu;
  GstH265ParserResult r;
  GstMapInfo m;
  guint offset = 0;
  gboolean found = FALSE;

  g_assert_true (gst_buffer_map (buf, &m, GST_MAP_READ));
  for (;;) {
    if (annexb)
      r = gst_h265_parser_identify_nalu (parser, m.data, offset, m.size, &nalu);
    else
      r = gst_h265_parser_identify_nalu_hevc (parser, m.data, offset, m.size,
          4, &nalu);
    if (r != GST_H265_PARSER_OK && r != GST_H265_PARSER_NO_NAL_END)
      break;
    found |= nalu.type == type;
    offset = nalu.offset + nalu.size;
  }
  gst_buffer_unmap (buf, &m);
  gst_h265_parser_free (parser);
  return found;
}

/* HDR10: PQ colorimetry in the VUI, mastering display and content light
 * level SEI in the first access unit with the values given, in the SEI's
 * order (green, blue, red) where GStreamer lists red, green, blue. */
static void
test_hdr_metadata_in_first_packet (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420_10LE);
  GstVideoMasteringDisplayInfo *md = &c.mastering_display;
  GstH265Parser *parser = gst_h265_parser_new ();
  GPtrArray *packets;
  Parsed p;

  g_assert_true (gst_video_colorimetry_from_string (&c.info.colorimetry,
          GST_VIDEO_COLORIMETRY_BT2100_PQ));
  c.have_mastering_display = TRUE;
  md->display_primaries[0].x = 35400;   /* red */
  md->display_primaries[0].y = 14600;
  md->display_primaries[1].x = 8500;    /* green */
  md->display_primaries[1].y = 39850;
  md->display_primaries[2].x = 6550;    /* blue */
  md->display_primaries[2].y = 2300;
  md->white_point.x = 15635;
  md->white_point.y = 16450;
  md->max_display_mastering_luminance = 10000000;       /* 1000 cd/m2 */
  md->min_display_mastering_luminance = 50;     /* 0.005 cd/m2 */
  c.have_content_light_level = TRUE;
  c.content_light_level.max_content_light_level = 1000;
  c.content_light_level.max_frame_average_light_level = 400;

  packets = encode_all (&c, 4, NULL);
  p = parse_access_unit (parser,
      ((EstPacket *) packets->pdata[0])->buffer, TRUE);

  g_assert_true (p.have_vps);
  g_assert_true (p.have_sps);
  g_assert_cmpuint (p.sps.profile_tier_level.profile_idc, ==,
      GST_H265_PROFILE_IDC_MAIN_10);
  g_assert_cmpuint (p.sps.bit_depth_luma_minus8, ==, 2);
  g_assert_true (p.sps.vui_parameters_present_flag);
  g_assert_true (p.sps.vui_params.colour_description_present_flag);
  g_assert_cmpuint (p.sps.vui_params.colour_primaries, ==, 9);
  g_assert_cmpuint (p.sps.vui_params.transfer_characteristics, ==, 16);
  g_assert_cmpuint (p.sps.vui_params.matrix_coefficients, ==, 9);
  g_assert_false (p.sps.vui_params.video_full_range_flag);

  g_assert_true (p.have_mdcv);
  g_assert_cmpuint (p.mdcv.display_primaries_x[0], ==, 8500);
  g_assert_cmpuint (p.mdcv.display_primaries_y[0], ==, 39850);
  g_assert_cmpuint (p.mdcv.display_primaries_x[1], ==, 6550);
  g_assert_cmpuint (p.mdcv.display_primaries_y[1], ==, 2300);
  g_assert_cmpuint (p.mdcv.display_primaries_x[2], ==, 35400);
  g_assert_cmpuint (p.mdcv.display_primaries_y[2], ==, 14600);
  g_assert_cmpuint (p.mdcv.white_point_x, ==, 15635);
  g_assert_cmpuint (p.mdcv.white_point_y, ==, 16450);
  g_assert_cmpuint (p.mdcv.max_display_mastering_luminance, ==, 10000000);
  g_assert_cmpuint (p.mdcv.min_display_mastering_luminance, ==, 50);
  g_assert_true (p.have_cll);
  g_assert_cmpuint (p.cll.max_content_light_level, ==, 1000);
  g_assert_cmpuint (p.cll.max_pic_average_light_level, ==, 400);

  free_packets (packets);
  gst_h265_parser_free (parser);
}

/* SDR input keeps its own colorimetry and says nothing of HDR. */
static void
test_sdr_colorimetry_without_hdr_sei (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420);
  GstH265Parser *parser = gst_h265_parser_new ();
  GPtrArray *packets;
  Parsed p;

  g_assert_true (gst_video_colorimetry_from_string (&c.info.colorimetry,
          GST_VIDEO_COLORIMETRY_BT709));
  c.info.colorimetry.range = GST_VIDEO_COLOR_RANGE_0_255;
  packets = encode_all (&c, 2, NULL);
  p = parse_access_unit (parser,
      ((EstPacket *) packets->pdata[0])->buffer, TRUE);
  g_assert_true (p.have_sps);
  g_assert_cmpuint (p.sps.profile_tier_level.profile_idc, ==,
      GST_H265_PROFILE_IDC_MAIN);
  g_assert_cmpuint (p.sps.vui_params.colour_primaries, ==, 1);
  g_assert_cmpuint (p.sps.vui_params.transfer_characteristics, ==, 1);
  g_assert_cmpuint (p.sps.vui_params.matrix_coefficients, ==, 1);
  g_assert_true (p.sps.vui_params.video_full_range_flag);
  g_assert_false (p.have_mdcv);
  g_assert_false (p.have_cll);
  free_packets (packets);
  gst_h265_parser_free (parser);
}

static GstBuffer *
codec_data_for (const EstEncoderConfig * c)
{
  GError *err = NULL;
  EstEncoder *enc = est_encoder_new (c, &err);
  GstBuffer *cd;

  g_assert_no_error (err);
  cd = est_encoder_get_codec_data (enc);
  est_encoder_free (enc);
  g_assert_nonnull (cd);
  return cd;
}

/* GST_READ_UINT16_BE reads unaligned halfwords, which UBSan reports. */
static guint
read16 (const guint8 * p)
{
  return (guint) p[0] << 8 | p[1];
}

/* hvcC: profile from the SPS, chroma format and bit depths, 4-byte
 * lengths, then VPS, SPS and PPS arrays that parse. */
static void
check_hvcc (GstVideoFormat format, const gchar * profile, guint profile_idc,
    guint chroma, guint depth)
{
  EstEncoderConfig c = base_config (format);
  GstH265Parser *parser = gst_h265_parser_new ();
  GstBuffer *cd;
  GstMapInfo m;
  guint n_arrays, types = 0;
  gsize off;

  c.annexb = FALSE;
  c.profile = profile;
  cd = codec_data_for (&c);
  g_assert_true (gst_buffer_map (cd, &m, GST_MAP_READ));
  g_assert_cmpuint (m.size, >, 23);
  g_assert_cmphex (m.data[0], ==, 1);
  g_assert_cmpuint (m.data[1] & 0x1f, ==, profile_idc);
  g_assert_cmpuint (m.data[16] & 3, ==, chroma);
  g_assert_cmpuint (m.data[17] & 7, ==, depth - 8);
  g_assert_cmpuint (m.data[18] & 7, ==, depth - 8);
  g_assert_cmpuint (m.data[21] & 3, ==, 3);
  n_arrays = m.data[22];
  g_assert_cmpuint (n_arrays, ==, 3);
  off = 23;
  for (guint i = 0; i < n_arrays; i++) {
    guint type = m.data[off] & 0x3f;
    guint n = read16 (m.data + off + 1);
    off += 3;
    g_assert_cmpuint (n, ==, 1);
    types |= 1u << (type - GST_H265_NAL_VPS);
    for (guint k = 0; k < n; k++) {
      guint len = read16 (m.data + off);
      GstH265NalUnit nalu;
      Parsed p = { 0 };
      g_assert_cmpint (gst_h265_parser_identify_nalu_hevc (parser, m.data,
              off, m.size, 2, &nalu), ==, GST_H265_PARSER_OK);
      g_assert_cmpuint (nalu.type, ==, type);
      parse_nal (parser, &nalu, &p);
      if (type == GST_H265_NAL_SPS) {
        g_assert_cmpuint (p.sps.profile_tier_level.profile_idc, ==,
            profile_idc);
        g_assert_cmpuint (p.sps.chroma_format_idc, ==, chroma);
        g_assert_cmpuint (p.sps.bit_depth_luma_minus8, ==, depth - 8);
      }
      off += 2 + len;
    }
  }
  g_assert_cmpuint (off, ==, m.size);
  g_assert_cmphex (types, ==, 7);
  gst_buffer_unmap (cd, &m);
  gst_buffer_unref (cd);
  gst_h265_parser_free (parser);
}

static void
test_hvcc_profiles (void)
{
  check_hvcc (GST_VIDEO_FORMAT_I420, NULL, GST_H265_PROFILE_IDC_MAIN, 1, 8);
  check_hvcc (GST_VIDEO_FORMAT_I420_10LE, NULL,
      GST_H265_PROFILE_IDC_MAIN_10, 1, 10);
  /* 8-bit input in a 10-bit profile: x265 shifts the samples up. */
  check_hvcc (GST_VIDEO_FORMAT_I420, "main-10",
      GST_H265_PROFILE_IDC_MAIN_10, 1, 10);
  check_hvcc (GST_VIDEO_FORMAT_Y444, NULL,
      GST_H265_PROFILE_IDC_FORMAT_RANGE_EXTENSION, 3, 8);
  check_hvcc (GST_VIDEO_FORMAT_Y444_10LE, "main-444-10",
      GST_H265_PROFILE_IDC_FORMAT_RANGE_EXTENSION, 3, 10);
}

/* x265 shifts 8-bit samples up into a 10-bit profile, and reads 4:4:4
 * in both depths. */
static void
test_encodes_every_depth_and_chroma (void)
{
  const struct
  {
    GstVideoFormat format;
    const gchar *profile;
    guint depth, chroma;
  } cases[] = {
    {GST_VIDEO_FORMAT_I420, "main-10", 10, 1},
    {GST_VIDEO_FORMAT_Y444, NULL, 8, 3},
    {GST_VIDEO_FORMAT_Y444_10LE, NULL, 10, 3},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    EstEncoderConfig c = base_config (cases[i].format);
    GstH265Parser *parser = gst_h265_parser_new ();
    GPtrArray *packets;
    Parsed p;

    c.profile = cases[i].profile;
    packets = encode_all (&c, 4, NULL);
    p = parse_access_unit (parser,
        ((EstPacket *) packets->pdata[0])->buffer, TRUE);
    g_assert_true (p.have_sps);
    g_assert_cmpuint (p.sps.bit_depth_luma_minus8 + 8, ==, cases[i].depth);
    g_assert_cmpuint (p.sps.chroma_format_idc, ==, cases[i].chroma);
    free_packets (packets);
    gst_h265_parser_free (parser);
  }
}

/* hvc1: parameter sets only in the hvcC, even with HDR SEI (x265 turns
 * repeat-headers on for it); hev1: in-band before key frames as well. */
static void
test_length_prefixed_headers_follow_repeat_headers (void)
{
  for (guint hdr = 0; hdr < 2; hdr++) {
    for (guint repeat = 0; repeat < 2; repeat++) {
      EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420_10LE);
      GPtrArray *packets;
      GstBuffer *first;

      c.annexb = FALSE;
      c.repeat_headers = repeat;
      c.key_int_max = 5;
      if (hdr) {
        c.have_content_light_level = TRUE;
        c.content_light_level.max_content_light_level = 500;
        c.content_light_level.max_frame_average_light_level = 100;
      }
      packets = encode_all (&c, 8, NULL);
      first = ((EstPacket *) packets->pdata[0])->buffer;
      g_assert_true (((EstPacket *) packets->pdata[0])->keyframe);
      g_assert_cmpint (has_nal_type (first, FALSE, GST_H265_NAL_VPS), ==,
          repeat);
      g_assert_cmpint (has_nal_type (first, FALSE, GST_H265_NAL_SPS), ==,
          repeat);
      g_assert_cmpint (has_nal_type (first, FALSE, GST_H265_NAL_PPS), ==,
          repeat);
      g_assert_cmpint (has_nal_type (first, FALSE, GST_H265_NAL_PREFIX_SEI),
          ==, hdr);
      free_packets (packets);
    }
  }
}

/* In CRF mode the offsets move QPs after rate control: a negative frame
 * offset adds bits, a positive one saves them, a region of lower QP adds
 * bits against the same stream without it, and a QP map gives the same
 * stream as the ROIs it equals. */
static void
test_qp_offsets_steer_bits (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420);
  EstEncodeParams none = { 0 }, better = { 0 }, worse = { 0 };
  EstEncodeParams split = { 0 }, left = { 0 }, map = { 0 };
  EstRoi rois[2] = {
    {0, 0, W / 2, H, -10},
    {W / 2, 0, W / 2, H, 10},
  };
  gfloat qp_map[(W / 32) * (H / 32)];
  GPtrArray *a, *b, *w, *s, *l, *mp;

  better.qp_offset = -6;
  worse.qp_offset = 6;
  split.rois = rois;
  split.n_rois = 2;
  left.rois = rois;
  left.n_rois = 1;
  for (guint y = 0; y < H / 32; y++)
    for (guint x = 0; x < W / 32; x++)
      qp_map[y * (W / 32) + x] = x < W / 64 ? -10 : 10;
  map.qp_map = qp_map;
  map.map_block = 32;
  map.map_width = W / 32;
  map.map_height = H / 32;

  a = encode_all (&c, 6, &none);
  b = encode_all (&c, 6, &better);
  w = encode_all (&c, 6, &worse);
  s = encode_all (&c, 6, &split);
  l = encode_all (&c, 6, &left);
  mp = encode_all (&c, 6, &map);
  g_test_message ("bytes: none %zu, -6 %zu, +6 %zu, left -10 right +10 %zu, "
      "left -10 %zu", total_size (a), total_size (b), total_size (w),
      total_size (s), total_size (l));
  g_assert_cmpuint (total_size (b), >, total_size (a) * 5 / 4);
  g_assert_cmpuint (total_size (w), <, total_size (a) * 4 / 5);
  g_assert_cmpuint (total_size (l), >, total_size (a) * 5 / 4);
  g_assert_false (same_stream (s, a));
  g_assert_true (same_stream (s, mp));
  free_packets (a);
  free_packets (b);
  free_packets (w);
  free_packets (s);
  free_packets (l);
  free_packets (mp);
}

/* x265 turns adaptive quantisation off in cqp mode, so block offsets
 * cannot apply there: refused. A frame offset moves the frame QP. */
static void
test_cqp_refuses_maps_and_takes_frame_offsets (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420);
  EstRoi roi = { 0, 0, W / 2, H, -10 };
  EstEncodeParams with_roi = { 0 }, worse = { 0 };
  GError *err = NULL;
  EstEncoder *enc;
  GstBuffer *buf;
  GstVideoFrame f;
  GPtrArray *a, *w;

  c.rate_control = EST_RATE_CONTROL_CQP;
  c.qp = 30;
  with_roi.rois = &roi;
  with_roi.n_rois = 1;
  enc = est_encoder_new (&c, &err);
  g_assert_no_error (err);
  buf = make_frame (&c.info, 0);
  g_assert_true (gst_video_frame_map (&f, &c.info, buf, GST_MAP_READ));
  g_assert_false (est_encoder_encode (enc, &f, 0, 0, &with_roi, &err));
  g_assert_error (err, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (err->message, "cqp"));
  g_clear_error (&err);
  gst_video_frame_unmap (&f);
  gst_buffer_unref (buf);
  est_encoder_free (enc);

  worse.qp_offset = 8;
  a = encode_all (&c, 4, NULL);
  w = encode_all (&c, 4, &worse);
  g_assert_cmpuint (total_size (w), <, total_size (a) * 4 / 5);
  free_packets (a);
  free_packets (w);
}

/* A per-frame QP overrides rate control. */
static void
test_frame_qp (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420);
  EstEncodeParams low = { 0 }, high = { 0 };
  GPtrArray *l, *h;

  low.qp = 12;
  high.qp = 44;
  l = encode_all (&c, 4, &low);
  h = encode_all (&c, 4, &high);
  g_assert_cmpuint (total_size (l), >, 4 * total_size (h));
  free_packets (l);
  free_packets (h);
}

/* Average bytes per frame of the packets whose frames lie in [from, to). */
static gdouble
mean_bytes (GPtrArray * packets, guint from, guint to)
{
  gsize size = 0;
  for (guint i = 0; i < packets->len; i++) {
    EstPacket *p = g_ptr_array_index (packets, i);
    if (p->frame_id >= from && p->frame_id < to)
      size += gst_buffer_get_size (p->buffer);
  }
  return (gdouble) size / (to - from);
}

static void
check_reconfigure_refused (EstEncoder * enc, const EstEncoderConfig * c,
    const gchar * words)
{
  GError *err = NULL;

  g_assert_false (est_encoder_reconfigure (enc, c, &err));
  g_assert_error (err, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED);
  g_test_message ("%s", err->message);
  g_assert_nonnull (strstr (err->message, words));
  g_clear_error (&err);
}

/* libx265 3.5 takes new rate-control values in x265_encoder_reconfig and
 * never applies them: the backend says so instead of pretending. Values
 * that do not change, or do not matter in the mode, are accepted. */
static void
test_reconfigure_refuses_rate_changes (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420);
  EstEncoderConfig n;
  GError *err = NULL;
  EstEncoder *enc;

  c.rate_control = EST_RATE_CONTROL_CBR;
  c.bitrate = 200;
  enc = est_encoder_new (&c, &err);
  g_assert_no_error (err);
  encode_frame (enc, &c, 0, NULL);

  n = c;
  g_assert_true (est_encoder_reconfigure (enc, &n, &err));
  n.crf = 18;
  g_assert_true (est_encoder_reconfigure (enc, &n, &err));
  g_assert_no_error (err);

  n = c;
  n.bitrate = 800;
  check_reconfigure_refused (enc, &n, "bitrate");
  n = c;
  n.rate_control = EST_RATE_CONTROL_VBR;
  check_reconfigure_refused (enc, &n, "rate-control mode");

  encode_frame (enc, &c, 1, NULL);
  g_assert_true (est_encoder_drain (enc, &err));
  est_encoder_free (enc);

  c = base_config (GST_VIDEO_FORMAT_I420);
  enc = est_encoder_new (&c, &err);
  g_assert_no_error (err);
  n = c;
  n.crf = 18;
  check_reconfigure_refused (enc, &n, "crf");
  est_encoder_free (enc);
}

/* x265 cannot change the constant QP: the new one is forced per frame. */
static void
test_reconfigure_cqp (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420);
  GPtrArray *packets = g_ptr_array_new ();
  GError *err = NULL;
  EstEncoder *enc;

  c.rate_control = EST_RATE_CONTROL_CQP;
  c.qp = 44;
  enc = est_encoder_new (&c, &err);
  g_assert_no_error (err);
  for (guint i = 0; i < 20; i++) {
    if (i == 10) {
      EstEncoderConfig n = c;
      n.qp = 14;
      g_assert_true (est_encoder_reconfigure (enc, &n, &err));
      g_assert_no_error (err);
    }
    encode_frame (enc, &c, i, NULL);
    collect (enc, packets);
  }
  g_assert_true (est_encoder_drain (enc, &err));
  collect (enc, packets);
  est_encoder_free (enc);
  g_assert_cmpfloat (mean_bytes (packets, 10, 20), >,
      4 * mean_bytes (packets, 1, 10));
  free_packets (packets);
}

static void
check_refused (const EstEncoderConfig * c, gint code, const gchar * words)
{
  GError *err = NULL;

  g_assert_null (est_encoder_new (c, &err));
  g_assert_error (err, EST_ENCODER_ERROR, code);
  g_test_message ("%s", err->message);
  g_assert_nonnull (strstr (err->message, words));
  g_clear_error (&err);
}

static void
test_refuses_what_x265_cannot_do (void)
{
  EstEncoderConfig c;

  c = base_config (GST_VIDEO_FORMAT_I420);
  c.psy_tune = EST_PSY_TUNE_FILM;
  check_refused (&c, EST_ENCODER_ERROR_UNSUPPORTED, "film");

  c = base_config (GST_VIDEO_FORMAT_I420);
  c.tune = EST_TUNE_STILLIMAGE;
  check_refused (&c, EST_ENCODER_ERROR_UNSUPPORTED, "stillimage");

  c = base_config (GST_VIDEO_FORMAT_I420);
  c.option_string = "no-such-option=1";
  check_refused (&c, EST_ENCODER_ERROR_INVALID, "no-such-option");

  c = base_config (GST_VIDEO_FORMAT_I420);
  c.option_string = "bframes=lots";
  check_refused (&c, EST_ENCODER_ERROR_INVALID, "bframes=lots");

  c = base_config (GST_VIDEO_FORMAT_YUY2);
  check_refused (&c, EST_ENCODER_ERROR_UNSUPPORTED, "YUY2");

  c = base_config (GST_VIDEO_FORMAT_I420_10LE);
  c.profile = "main";
  check_refused (&c, EST_ENCODER_ERROR_INVALID, "main");

  c = base_config (GST_VIDEO_FORMAT_I420);
  c.profile = "main-444";
  check_refused (&c, EST_ENCODER_ERROR_INVALID, "4:4:4");

  c = base_config (GST_VIDEO_FORMAT_I420);
  c.profile = "high";
  check_refused (&c, EST_ENCODER_ERROR_INVALID, "high");

  c = base_config (GST_VIDEO_FORMAT_I420);
  c.tune = EST_TUNE_ZEROLATENCY;
  c.b_frames = 2;
  check_refused (&c, EST_ENCODER_ERROR_INVALID, "lookahead");
}

/* Option-string values reach x265. */
static void
test_option_string (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420);
  GPtrArray *packets;

  c.option_string = "keyint=4:min-keyint=4:scenecut=0:open-gop=0";
  packets = encode_all (&c, 9, NULL);
  for (guint i = 0; i < packets->len; i++) {
    EstPacket *p = g_ptr_array_index (packets, i);
    g_assert_cmpint (p->keyframe, ==, p->frame_id % 4 == 0);
  }
  free_packets (packets);
}

/* zerolatency: one frame in, its packet out, alone or next to a psy-tune
 * (then set by hand, since x265 takes one tune). */
static void
test_zerolatency_outputs_each_frame_at_once (void)
{
  const EstPsyTune psy[] = { EST_PSY_TUNE_NONE, EST_PSY_TUNE_PSNR,
    EST_PSY_TUNE_ANIMATION
  };

  for (guint t = 0; t < G_N_ELEMENTS (psy); t++) {
    EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420);
    GError *err = NULL;
    EstEncoder *enc;

    c.tune = EST_TUNE_ZEROLATENCY | EST_TUNE_FASTDECODE;
    c.psy_tune = psy[t];
    c.speed_preset = EST_SPEED_MEDIUM;
    enc = est_encoder_new (&c, &err);
    g_assert_no_error (err);
    g_assert_cmpuint (est_encoder_get_delay (enc), ==, 0);
    for (guint i = 0; i < 6; i++) {
      EstPacket p;
      encode_frame (enc, &c, i, NULL);
      g_assert_true (est_encoder_receive (enc, &p));
      g_assert_cmpuint (p.frame_id, ==, i);
      g_assert_cmpuint (p.dts, ==, p.pts);
      gst_buffer_unref (p.buffer);
      g_assert_false (est_encoder_receive (enc, &p));
    }
    g_assert_true (est_encoder_drain (enc, &err));
    est_encoder_free (enc);
  }
}

/* get_delay is the number of frames in before the first packet. */
static void
test_delay_matches_output (void)
{
  const EstSpeedPreset presets[] = { EST_SPEED_ULTRAFAST, EST_SPEED_FAST };

  for (guint t = 0; t < G_N_ELEMENTS (presets); t++) {
    EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420);
    GError *err = NULL;
    EstEncoder *enc;
    guint delay, first = G_MAXUINT;

    c.speed_preset = presets[t];
    enc = est_encoder_new (&c, &err);
    g_assert_no_error (err);
    delay = est_encoder_get_delay (enc);
    for (guint i = 0; i < delay + 8 && first == G_MAXUINT; i++) {
      EstPacket p;
      encode_frame (enc, &c, i, NULL);
      if (est_encoder_receive (enc, &p)) {
        first = i;
        gst_buffer_unref (p.buffer);
      }
    }
    g_test_message ("preset %d: delay %u, first packet at frame %u",
        presets[t], delay, first);
    g_assert_cmpuint (first, ==, delay);
    est_encoder_free (enc);
  }
}

/* With intra refresh, key frames after the first give way to a moving
 * column of intra blocks. */
static void
test_intra_refresh_replaces_key_frames (void)
{
  for (guint refresh = 0; refresh < 2; refresh++) {
    EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420);
    GPtrArray *packets;
    guint keyframes = 0;

    c.key_int_max = 8;
    c.intra_refresh = refresh;
    c.tune = EST_TUNE_ZEROLATENCY;
    packets = encode_all (&c, 24, NULL);
    for (guint i = 0; i < packets->len; i++)
      keyframes += ((EstPacket *) packets->pdata[i])->keyframe;
    g_assert_true (((EstPacket *) packets->pdata[0])->keyframe);
    g_assert_cmpuint (keyframes, ==, refresh ? 1 : 3);
    free_packets (packets);
  }
}

/* 8 and 10-bit encoders live side by side in one process, interleaved. */
static void
test_8_and_10_bit_side_by_side (void)
{
  EstEncoderConfig c8 = base_config (GST_VIDEO_FORMAT_I420);
  EstEncoderConfig c10 = base_config (GST_VIDEO_FORMAT_I420_10LE);
  GPtrArray *p8 = g_ptr_array_new (), *p10 = g_ptr_array_new ();
  GError *err = NULL;
  EstEncoder *e8, *e10;

  c10.speed_preset = EST_SPEED_MEDIUM;
  e8 = est_encoder_new (&c8, &err);
  g_assert_no_error (err);
  e10 = est_encoder_new (&c10, &err);
  g_assert_no_error (err);
  for (guint i = 0; i < 10; i++) {
    encode_frame (e8, &c8, i, NULL);
    encode_frame (e10, &c10, i, NULL);
    collect (e8, p8);
    collect (e10, p10);
  }
  g_assert_true (est_encoder_drain (e8, &err));
  g_assert_true (est_encoder_drain (e10, &err));
  collect (e8, p8);
  collect (e10, p10);
  g_assert_cmpuint (p8->len, ==, 10);
  g_assert_cmpuint (p10->len, ==, 10);
  est_encoder_free (e8);
  est_encoder_free (e10);
  free_packets (p8);
  free_packets (p10);
}

/* After drain the session is over. */
static void
test_encode_after_drain_is_refused (void)
{
  EstEncoderConfig c = base_config (GST_VIDEO_FORMAT_I420);
  GError *err = NULL;
  EstEncoder *enc = est_encoder_new (&c, &err);
  GstBuffer *buf = make_frame (&c.info, 0);
  GstVideoFrame f;
  EstPacket p;

  g_assert_no_error (err);
  g_assert_true (est_encoder_drain (enc, &err));
  g_assert_false (est_encoder_receive (enc, &p));
  g_assert_true (gst_video_frame_map (&f, &c.info, buf, GST_MAP_READ));
  g_assert_false (est_encoder_encode (enc, &f, 0, 0, NULL, &err));
  g_assert_error (err, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID);
  g_clear_error (&err);
  gst_video_frame_unmap (&f);
  gst_buffer_unref (buf);
  est_encoder_free (enc);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  if (!est_encoder_codec_available (EST_CODEC_H265)) {
    g_print ("1..0 # SKIP x265 backend not built\n");
    return 77;
  }
  g_test_add_func ("/x265/hdr-metadata-in-first-packet",
      test_hdr_metadata_in_first_packet);
  g_test_add_func ("/x265/sdr-colorimetry-without-hdr-sei",
      test_sdr_colorimetry_without_hdr_sei);
  g_test_add_func ("/x265/hvcc-profiles", test_hvcc_profiles);
  g_test_add_func ("/x265/encodes-every-depth-and-chroma",
      test_encodes_every_depth_and_chroma);
  g_test_add_func ("/x265/length-prefixed-headers-follow-repeat-headers",
      test_length_prefixed_headers_follow_repeat_headers);
  g_test_add_func ("/x265/qp-offsets-steer-bits", test_qp_offsets_steer_bits);
  g_test_add_func ("/x265/cqp-refuses-maps-and-takes-frame-offsets",
      test_cqp_refuses_maps_and_takes_frame_offsets);
  g_test_add_func ("/x265/frame-qp", test_frame_qp);
  g_test_add_func ("/x265/reconfigure-refuses-rate-changes",
      test_reconfigure_refuses_rate_changes);
  g_test_add_func ("/x265/reconfigure-cqp", test_reconfigure_cqp);
  g_test_add_func ("/x265/refuses-what-x265-cannot-do",
      test_refuses_what_x265_cannot_do);
  g_test_add_func ("/x265/option-string", test_option_string);
  g_test_add_func ("/x265/zerolatency-outputs-each-frame-at-once",
      test_zerolatency_outputs_each_frame_at_once);
  g_test_add_func ("/x265/delay-matches-output", test_delay_matches_output);
  g_test_add_func ("/x265/intra-refresh-replaces-key-frames",
      test_intra_refresh_replaces_key_frames);
  g_test_add_func ("/x265/8-and-10-bit-side-by-side",
      test_8_and_10_bit_side_by_side);
  g_test_add_func ("/x265/encode-after-drain-is-refused",
      test_encode_after_drain_is_refused);
  return g_test_run ();
}
