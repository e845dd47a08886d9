/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The AV1 CPU encoder backend over SVT-AV1 1.4 (Debian 12).
 *
 *   open:   EstEncoderConfig -> checks against what 1.4 can do ->
 *           EbSvtAv1EncConfiguration -> option-string -> init; the
 *           sequence header from svt_av1_enc_stream_header -> av1C
 *   encode: GstVideoFrame -> planar 4:2:0 (NV12 / P010 converted into a
 *           buffer made at open) -> svt_av1_enc_send_picture -> poll
 *   drain:  EOS picture -> block on svt_av1_enc_get_packet until the
 *           packet flagged EOS
 *
 * Output: one temporal unit per packet, low-overhead OBUs starting with a
 * temporal delimiter (SVT writes it; one is prepended if ever missing).
 * AV1 has no container-level reordering: temporal units come out in
 * presentation order, dts = pts. SVT gets a running picture number as
 * its pts, and a small FIFO maps it back to the caller's frame_id and pts.
 *
 * Mapping (EstEncoderConfig -> EbSvtAv1EncConfiguration):
 *
 *   speed_preset  ultrafast superfast veryfast faster fast medium slow
 *   enc_mode          12       11        10      9     8     6     4
 *                 slower veryslow
 *                    3      2
 *   rate_control  cqp         rate_control_mode 0, adaptive quant 0,
 *                             qp (0 runs as 1: 1.4 has no lossless mode),
 *                             use_qp_file 1 (see "Frame QP")
 *                 crf         rate_control_mode 0, adaptive quant 2 (TPL),
 *                             qp = crf rounded to an integer (1.4 has no
 *                             fractional CRF)
 *                 capped-crf  crf + max_bit_rate = max_bitrate (or bitrate)
 *                 vbr         rate_control_mode 1, target_bit_rate
 *                 cbr         rate_control_mode 2, target_bit_rate, buffer
 *                             of vbv_buf_capacity ms (start and optimal
 *                             levels at 60 %), low-delay prediction
 *   min/max_qp    min/max_qp_allowed (vbr, cbr only; min-qp 0 runs as 1:
 *                 1.4 has no lossless mode)
 *   key_int_max   intra_period_length = key_int_max - 1; 0: SVT's default
 *                 (about 5 s, a whole number of mini-GOPs); closed GOPs
 *                 (intra_refresh_type 2). 1: every frame a forced key
 *                 frame, as 1.4's intra period 0 makes intra-only frames
 *                 after the first key frame (crf, cqp only)
 *   b_frames      -1: SVT's default; 0: low-delay prediction (no future
 *                 references); n > 0: random access with mini-GOPs of
 *                 2^k frames, the smallest k in 2..5 with 2^k > n
 *   tune          zerolatency: low-delay prediction, look_ahead_distance 0;
 *                 fastdecode: fast_decode 1
 *   force_keyframe  pic_type EB_AV1_KEY_PICTURE with force_key_frames 1,
 *                 set at open in random-access crf and cqp, the only modes
 *                 where 1.4 accepts it
 *   psy_tune      none: SVT's default (tune 1, PSNR); psnr: tune 1
 *   threads       logical_processors
 *   colorimetry   color_primaries, transfer_characteristics,
 *                 matrix_coefficients (ISO/IEC 23091-4 codes from
 *                 GStreamer), color_range, chroma_sample_position
 *   HDR           mastering_display / content_light_level in the units of
 *                 the AV1 metadata OBUs (0.16 chromaticity, 24.8 and 18.14
 *                 cd/m², stored big-endian as SVT expects): SVT writes
 *                 HDR_MDCV / HDR_CLL metadata OBUs with every key frame
 *   option_string each key=value through svt_av1_enc_parse_parameter, last,
 *                 so it may override the mapping above
 *
 * Frame QP: 1.4 takes a frame QP only as an absolute value, and only when
 * use_qp_file is set at open, in which case it takes it for every frame.
 * So in cqp every frame is coded at exactly qp (SVT's per-layer QP scaling
 * is off), a frame's EstEncodeParams qp replaces it and qp_offset is added
 * to it. In crf, capped-crf, vbr and cbr a frame QP or QP offset is
 * refused: it would replace the rate control for every frame.
 *
 * What 1.4 cannot do, refused with EST_ENCODER_ERROR_UNSUPPORTED: frames
 * under 64x64 or of odd size, 4:4:4 and any format but I420, NV12,
 * I420_10LE and P010_10LE, interlaced input, profiles but main, more than
 * 240 fps, per-block QP (qp_map, ROIs), intra refresh (intra_refresh_type
 * chooses open or closed GOP), ref_frames, tune stillimage, psy tunes but
 * psnr, fastdecode at presets above M10 (ultrafast, superfast: 1.4 turns
 * it off there), vbv_buf_capacity outside cbr, max_bitrate in vbr (1.4
 * has no peak cap in vbr), vbr with low-delay prediction (1.4 turns it
 * into cbr), cbr with b_frames > 0 (1.4 turns cbr in random access into
 * vbr), forcing a key frame outside random-access crf/cqp, and changing
 * the rate control while running (no API in 1.4).
 *
 * Fallbacks of 1.4 in low-delay prediction (cbr, zerolatency, b_frames 0),
 * documented rather than refused: presets slower than M8 run as M8 (set
 * here, so the log stays quiet), 3 hierarchical levels, at most 3 threads
 * (3 when threads is 0), tune PSNR, and no TPL, so crf there behaves as a
 * constant QP of that value. Above 4K (21 million pixels) presets slower
 * than M8 run as M8, as 1.4 allows no other. A variable frame rate (0/1)
 * runs the rate control at 30 fps. The pixel aspect ratio has no field in
 * the AV1 sequence header: the container carries it. A content light
 * level with MaxCLL 0 is not written (SVT writes it only when MaxCLL is
 * set); a mastering display with maximum luminance 0 likewise.
 *
 * get_delay follows 1.4.1's look-ahead rules (see estimate_delay). 1.4
 * never answers an end of stream that follows no picture, so an empty
 * session sends one grey picture first and drops its packet.
 *
 * SVT-AV1 logs to stderr at its SVT_LOG level (default: info); this
 * backend leaves the variable alone, as it is process-wide. */

/* SVT-AV1's headers define TRUE and FALSE without guards; GLib's are
 * guarded, so SVT comes first. */
#include <EbSvtAv1Enc.h>
#include <EbSvtAv1Metadata.h>

#include "encoderbackend.h"

#include <string.h>

#include "pixfmt.h"

#define MIN_SIZE 64
#define MAX_WIDTH 16384
#define MAX_HEIGHT 8704
#define MAX_QP 63
#define DEFAULT_FPS 30
#define OBU_SEQUENCE_HEADER 1
#define OBU_TEMPORAL_DELIMITER 2

/* A picture on its way through the library. */
typedef struct
{
  guint64 number;               /* the pts SVT sees */
  guint64 frame_id;
  GstClockTime pts;
} Pending;

typedef struct
{
  EbComponentType *handle;
  gboolean initialised;         /* svt_av1_enc_init succeeded */
  EbSvtAv1EncConfiguration cfg; /* as the library was set up */

  gboolean frame_qp;            /* use_qp_file in rate_control_mode 0 */
  gboolean can_force_keyframe;
  gboolean all_keyframes;       /* key_int_max 1 */
  const gchar *no_keyframe_reason;
  guint delay;

  GstBuffer *codec_data;        /* av1C */

  /* Planar 4:2:0 staging picture for NV12, P010 and odd strides: luma
   * width x height then two chroma planes, samples of 1 or 2 bytes. */
  guint8 *staging;
  gsize staging_size;
  gint width, height, chroma_width, chroma_height;
  gboolean high_depth;

  EbSvtIOFormat picture;
  EbBufferHeaderType input;

  Pending *pending;             /* FIFO ring */
  guint pending_cap, pending_head, pending_len;
  guint64 next_number;

  gboolean discard;             /* drop packets: a filler picture's */
  gboolean eos_sent;            /* the EOS picture went in */
  gboolean eos_received;        /* the EOS packet came out */
} SvtAv1Encoder;

static const gint8 preset_modes[] = { 12, 11, 10, 9, 8, 6, 4, 3, 2 };

/* Sets error and evaluates to FALSE, for "return fail (...)". */
#define fail(error, code, ...) \
  (g_set_error (error, EST_ENCODER_ERROR, code, __VA_ARGS__), FALSE)

/* --- the av1C record ------------------------------------------------- */

typedef struct
{
  const guint8 *data;
  gsize size;
  gsize bit;
  gboolean overrun;
} Bits;

static guint32
read_bits (Bits * b, guint n)
{
  guint32 v = 0;

  for (guint i = 0; i < n; i++) {
    if (b->bit >= b->size * 8) {
      b->overrun = TRUE;
      return 0;
    }
    v = (v << 1) | ((b->data[b->bit / 8] >> (7 - b->bit % 8)) & 1);
    b->bit++;
  }
  return v;
}

static void
skip_uvlc (Bits * b)
{
  guint zeros = 0;

  while (!b->overrun && zeros < 32 && !read_bits (b, 1))
    zeros++;
  if (zeros < 32)
    read_bits (b, zeros);
}

static gboolean
read_leb128 (const guint8 * data, gsize size, gsize * pos, guint64 * value)
{
  *value = 0;
  for (guint i = 0; i < 8; i++) {
    if (*pos >= size)
      return FALSE;
    *value |= (guint64) (data[*pos] & 0x7f) << (7 * i);
    if (!(data[(*pos)++] & 0x80))
      return TRUE;
  }
  return FALSE;
}

/* The fields of a sequence header OBU payload that av1C repeats. */
typedef struct
{
  guint profile, level, tier;
  gboolean high_bitdepth, twelve_bit, mono_chrome;
  guint subsampling_x, subsampling_y, chroma_sample_position;
} SequenceInfo;

/* AV1 spec 5.5: sequence_header_obu () up to the end of color_config ().
 */
static gboolean
parse_sequence_header (const guint8 * data, gsize size, SequenceInfo * s)
{
  Bits b = { data, size, 0, FALSE };
  gboolean reduced, decoder_model = FALSE, initial_display_delay;
  guint buffer_delay_bits = 0, n_ops, bits_w, bits_h, cp = 2, tc = 2, mc = 2;
  guint bit_depth;

  memset (s, 0, sizeof (*s));
  s->profile = read_bits (&b, 3);
  read_bits (&b, 1);            /* still_picture */
  reduced = read_bits (&b, 1);
  if (reduced) {
    s->level = read_bits (&b, 5);
  } else {
    if (read_bits (&b, 1)) {    /* timing_info_present_flag */
      read_bits (&b, 32);
      read_bits (&b, 32);
      if (read_bits (&b, 1))
        skip_uvlc (&b);
      decoder_model = read_bits (&b, 1);
      if (decoder_model) {
        buffer_delay_bits = read_bits (&b, 5) + 1;
        read_bits (&b, 32);
        read_bits (&b, 5);
        read_bits (&b, 5);
      }
    }
    initial_display_delay = read_bits (&b, 1);
    n_ops = read_bits (&b, 5) + 1;
    for (guint i = 0; i < n_ops; i++) {
      guint level, tier = 0;

      read_bits (&b, 12);       /* operating_point_idc */
      level = read_bits (&b, 5);
      if (level > 7)
        tier = read_bits (&b, 1);
      if (i == 0) {
        s->level = level;
        s->tier = tier;
      }
      if (decoder_model && read_bits (&b, 1)) {
        read_bits (&b, buffer_delay_bits);
        read_bits (&b, buffer_delay_bits);
        read_bits (&b, 1);
      }
      if (initial_display_delay && read_bits (&b, 1))
        read_bits (&b, 4);
    }
  }
  bits_w = read_bits (&b, 4) + 1;
  bits_h = read_bits (&b, 4) + 1;
  read_bits (&b, bits_w);
  read_bits (&b, bits_h);
  if (!reduced && read_bits (&b, 1)) {  /* frame_id_numbers_present_flag */
    read_bits (&b, 4);
    read_bits (&b, 3);
  }
  read_bits (&b, 3);            /* 128x128 SB, filter intra, intra edge */
  if (!reduced) {
    gboolean order_hint, force_sct = TRUE;

    read_bits (&b, 4);          /* interintra, masked, warped, dual filter */
    order_hint = read_bits (&b, 1);
    if (order_hint)
      read_bits (&b, 2);        /* jnt_comp, ref_frame_mvs */
    if (!read_bits (&b, 1))     /* seq_choose_screen_content_tools */
      force_sct = read_bits (&b, 1);
    if (force_sct && !read_bits (&b, 1))        /* seq_choose_integer_mv */
      read_bits (&b, 1);
    if (order_hint)
      read_bits (&b, 3);
  }
  read_bits (&b, 3);            /* superres, cdef, restoration */

  /* color_config () */
  s->high_bitdepth = read_bits (&b, 1);
  if (s->profile == 2 && s->high_bitdepth)
    s->twelve_bit = read_bits (&b, 1);
  bit_depth = s->twelve_bit ? 12 : s->high_bitdepth ? 10 : 8;
  if (s->profile != 1)
    s->mono_chrome = read_bits (&b, 1);
  if (read_bits (&b, 1)) {      /* color_description_present_flag */
    cp = read_bits (&b, 8);
    tc = read_bits (&b, 8);
    mc = read_bits (&b, 8);
  }
  if (s->mono_chrome) {
    s->subsampling_x = s->subsampling_y = 1;
  } else if (cp == 1 && tc == 13 && mc == 0) {
    s->subsampling_x = s->subsampling_y = 0;
  } else {
    read_bits (&b, 1);          /* color_range */
    if (s->profile == 0) {
      s->subsampling_x = s->subsampling_y = 1;
    } else if (s->profile == 2 && bit_depth == 12) {
      s->subsampling_x = read_bits (&b, 1);
      if (s->subsampling_x)
        s->subsampling_y = read_bits (&b, 1);
    } else if (s->profile == 2) {
      s->subsampling_x = 1;
    }
    if (s->subsampling_x && s->subsampling_y)
      s->chroma_sample_position = read_bits (&b, 2);
  }
  return !b.overrun;
}

/* av1C (AV1 Codec ISO Media File Format Binding, 2.3): four bytes from
 * the sequence header, then the sequence header OBU as configOBUs. */
static GstBuffer *
make_av1c (const guint8 * obu, gsize size)
{
  SequenceInfo s;
  gsize pos = 1;
  guint64 payload_size;
  guint8 header[4];
  GstBuffer *buf;

  if (size < 2 || ((obu[0] >> 3) & 0xf) != OBU_SEQUENCE_HEADER)
    return NULL;
  if (obu[0] & 0x04)            /* obu_extension_flag */
    pos++;
  if (obu[0] & 0x02) {          /* obu_has_size_field */
    if (!read_leb128 (obu, size, &pos, &payload_size) ||
        payload_size > size - pos)
      return NULL;
  } else {
    if (pos > size)
      return NULL;
    payload_size = size - pos;
  }
  if (!parse_sequence_header (obu + pos, payload_size, &s))
    return NULL;

  header[0] = 0x81;             /* marker 1, version 1 */
  header[1] = (s.profile << 5) | s.level;
  header[2] = (s.tier << 7) | (s.high_bitdepth << 6) | (s.twelve_bit << 5) |
      (s.mono_chrome << 4) | (s.subsampling_x << 3) | (s.subsampling_y << 2) |
      s.chroma_sample_position;
  header[3] = 0;                /* no initial_presentation_delay */
  buf = gst_buffer_new_allocate (NULL, 4 + size, NULL);
  gst_buffer_fill (buf, 0, header, 4);
  gst_buffer_fill (buf, 4, obu, size);
  return buf;
}

/* --- configuration ---------------------------------------------------- */

static gboolean
check_input (const GstVideoInfo * info, GError ** error)
{
  GstVideoFormat format = GST_VIDEO_INFO_FORMAT (info);
  gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);

  switch (format) {
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_NV12:
    case GST_VIDEO_FORMAT_I420_10LE:
    case GST_VIDEO_FORMAT_P010_10LE:
      break;
    case GST_VIDEO_FORMAT_Y444:
    case GST_VIDEO_FORMAT_Y444_10LE:
      return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
          "SVT-AV1 1.4 encodes 4:2:0 only, not %s: convert to I420 or "
          "I420_10LE", gst_video_format_to_string (format));
    default:
      return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
          "SVT-AV1 takes I420, NV12, I420_10LE or P010_10LE, not %s",
          gst_video_format_to_string (format));
  }
  if (w < MIN_SIZE || h < MIN_SIZE)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 encodes frames of at least %dx%d, not %dx%d: scale "
        "or pad the input", MIN_SIZE, MIN_SIZE, w, h);
  if (w > MAX_WIDTH || h > MAX_HEIGHT)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 encodes frames of at most %dx%d, not %dx%d",
        MAX_WIDTH, MAX_HEIGHT, w, h);
  if (w % 2 || h % 2)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 needs an even width and height for 4:2:0, not %dx%d",
        w, h);
  if (GST_VIDEO_INFO_IS_INTERLACED (info))
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "AV1 has no interlaced coding: deinterlace the input");
  return TRUE;
}

static guint16
chromaticity (guint v)
{
  /* GStreamer: units of 0.00002; AV1: 0.16 fixed point. */
  guint64 q = ((guint64) v * 65536 + 25000) / 50000;
  return GUINT16_TO_BE (MIN (q, G_MAXUINT16));
}

static guint32
luminance (guint v, guint frac_bits)
{
  /* GStreamer: units of 0.0001 cd/m²; AV1: 24.8 (max) and 18.14 (min). */
  guint64 q = (((guint64) v << frac_bits) + 5000) / 10000;
  return GUINT32_TO_BE (MIN (q, G_MAXUINT32));
}

static void
set_colour (EbSvtAv1EncConfiguration * cfg, const EstEncoderConfig * c)
{
  const GstVideoColorimetry *col = &GST_VIDEO_INFO_COLORIMETRY (&c->info);
  GstVideoChromaSite site = GST_VIDEO_INFO_CHROMA_SITE (&c->info);

  cfg->color_primaries = gst_video_color_primaries_to_iso (col->primaries);
  cfg->transfer_characteristics =
      gst_video_transfer_function_to_iso (col->transfer);
  cfg->matrix_coefficients = gst_video_color_matrix_to_iso (col->matrix);
  cfg->color_description_present_flag =
      cfg->color_primaries != EB_CICP_CP_UNSPECIFIED ||
      cfg->transfer_characteristics != EB_CICP_TC_UNSPECIFIED ||
      cfg->matrix_coefficients != EB_CICP_MC_UNSPECIFIED;
  cfg->color_range = col->range == GST_VIDEO_COLOR_RANGE_0_255 ?
      EB_CR_FULL_RANGE : EB_CR_STUDIO_RANGE;
  if (site == GST_VIDEO_CHROMA_SITE_COSITED)
    cfg->chroma_sample_position = EB_CSP_COLOCATED;
  else if (site == GST_VIDEO_CHROMA_SITE_H_COSITED)
    cfg->chroma_sample_position = EB_CSP_VERTICAL;
  else
    cfg->chroma_sample_position = EB_CSP_UNKNOWN;

  if (c->have_mastering_display) {
    const GstVideoMasteringDisplayInfo *m = &c->mastering_display;
    struct EbSvtAv1ChromaPoints *p[3] = {
      &cfg->mastering_display.r, &cfg->mastering_display.g,
      &cfg->mastering_display.b
    };

    for (guint i = 0; i < 3; i++) {
      p[i]->x = chromaticity (m->display_primaries[i].x);
      p[i]->y = chromaticity (m->display_primaries[i].y);
    }
    cfg->mastering_display.white_point.x = chromaticity (m->white_point.x);
    cfg->mastering_display.white_point.y = chromaticity (m->white_point.y);
    cfg->mastering_display.max_luma =
        luminance (m->max_display_mastering_luminance, 8);
    cfg->mastering_display.min_luma =
        luminance (m->min_display_mastering_luminance, 14);
  }
  if (c->have_content_light_level) {
    cfg->content_light_level.max_cll =
        GUINT16_TO_BE (c->content_light_level.max_content_light_level);
    cfg->content_light_level.max_fall =
        GUINT16_TO_BE (c->content_light_level.max_frame_average_light_level);
  }
  cfg->high_dynamic_range_input = c->have_mastering_display ||
      c->have_content_light_level;
}

static gboolean
set_rate_control (EbSvtAv1EncConfiguration * cfg, const EstEncoderConfig * c,
    gboolean low_delay, GError ** error)
{
  const gchar *names[] = { "cqp", "cbr", "vbr", "crf", "capped-crf" };
  const gchar *name = names[c->rate_control];
  gboolean bitrate_mode = c->rate_control == EST_RATE_CONTROL_CBR ||
      c->rate_control == EST_RATE_CONTROL_VBR;

  if (c->vbv_buf_capacity && c->rate_control != EST_RATE_CONTROL_CBR)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 has a rate buffer (vbv-buf-capacity) only in cbr, not "
        "in %s", name);
  if ((c->min_qp >= 0 || c->max_qp >= 0) && !bitrate_mode)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 applies min-qp and max-qp only in vbr and cbr, not in "
        "%s", name);
  if (c->bitrate > 100000 || c->max_bitrate > 100000)
    return fail (error, EST_ENCODER_ERROR_INVALID,
        "SVT-AV1 1.4 takes bitrates up to 100000 kbit/s, not %u",
        MAX (c->bitrate, c->max_bitrate));

  switch (c->rate_control) {
    case EST_RATE_CONTROL_CQP:
      cfg->rate_control_mode = SVT_AV1_RC_MODE_CQP_OR_CRF;
      cfg->enable_adaptive_quantization = 0;
      cfg->qp = CLAMP (c->qp, 1, MAX_QP);
      cfg->use_qp_file = TRUE;
      break;
    case EST_RATE_CONTROL_CRF:
    case EST_RATE_CONTROL_CAPPED_CRF:
      cfg->rate_control_mode = SVT_AV1_RC_MODE_CQP_OR_CRF;
      cfg->enable_adaptive_quantization = 2;
      cfg->qp = CLAMP ((gint) (c->crf + 0.5), 1, MAX_QP);
      if (c->rate_control == EST_RATE_CONTROL_CAPPED_CRF)
        cfg->max_bit_rate = 1000 * (c->max_bitrate ? c->max_bitrate :
            c->bitrate);
      break;
    case EST_RATE_CONTROL_VBR:
      if (low_delay)
        return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
            "SVT-AV1 1.4 has no vbr with low-delay prediction (b-frames 0 "
            "or tune zerolatency): use cbr");
      if (c->max_bitrate)
        return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
            "SVT-AV1 1.4 has no peak bitrate (max-bitrate) in vbr: leave it "
            "0 or use capped-crf");
      cfg->rate_control_mode = SVT_AV1_RC_MODE_VBR;
      cfg->target_bit_rate = 1000 * c->bitrate;
      break;
    case EST_RATE_CONTROL_CBR:
      if (c->b_frames > 0)
        return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
            "SVT-AV1 1.4 runs cbr only with low-delay prediction, which has "
            "no future references: b-frames must be 0 or -1, not %d",
            c->b_frames);
      cfg->rate_control_mode = SVT_AV1_RC_MODE_CBR;
      cfg->target_bit_rate = 1000 * c->bitrate;
      if (c->vbv_buf_capacity) {
        if (c->vbv_buf_capacity < 20 || c->vbv_buf_capacity > 10000)
          return fail (error, EST_ENCODER_ERROR_INVALID,
              "SVT-AV1 1.4 takes a vbv-buf-capacity of 20 to 10000 ms, not "
              "%u", c->vbv_buf_capacity);
        cfg->maximum_buffer_size_ms = c->vbv_buf_capacity;
        cfg->starting_buffer_level_ms = cfg->optimal_buffer_level_ms =
            MAX (20, c->vbv_buf_capacity * 6 / 10);
      }
      break;
  }
  if (bitrate_mode) {
    if (c->min_qp >= 0)
      cfg->min_qp_allowed = MAX (c->min_qp, 1);
    if (c->max_qp >= 0)
      cfg->max_qp_allowed = MAX (c->max_qp, 1);
  }
  return TRUE;
}

static gboolean
set_structure (EbSvtAv1EncConfiguration * cfg, const EstEncoderConfig * c,
    gboolean low_delay, GError ** error)
{
  if (c->external_keyframes)
    cfg->scene_change_detection = 0;
  if (c->intra_refresh)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 has no periodic intra refresh (its intra_refresh_type "
        "chooses open or closed GOPs): use key frames (key-int-max)");
  if (c->ref_frames >= 0)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 chooses its reference frames itself: leave ref-frames "
        "at -1, not %d", c->ref_frames);
  if (c->tune & EST_TUNE_STILLIMAGE)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 has no still-image tuning");
  switch (c->psy_tune) {
    case EST_PSY_TUNE_NONE:
      break;
    case EST_PSY_TUNE_PSNR:
      cfg->tune = 1;
      break;
    default:
      return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
          "SVT-AV1 1.4 tunes for psnr only (its other tuning, visual "
          "quality, has no psy-tune name)");
  }

  cfg->enc_mode = preset_modes[c->speed_preset];
  if (low_delay || (guint64) GST_VIDEO_INFO_WIDTH (&c->info) *
      GST_VIDEO_INFO_HEIGHT (&c->info) > 0x140A000)
    cfg->enc_mode = MAX (cfg->enc_mode, 8);
  if (c->tune & EST_TUNE_FASTDECODE) {
    if (cfg->enc_mode > 10)
      return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
          "SVT-AV1 1.4 has fastdecode only at presets M0 to M10 "
          "(speed-preset veryfast or slower)");
    cfg->fast_decode = 1;
  }

  if (low_delay) {
    cfg->pred_structure = SVT_AV1_PRED_LOW_DELAY_B;
  } else if (c->b_frames > 0) {
    guint levels = 2;

    while (levels < 5 && (1 << levels) <= c->b_frames)
      levels++;
    cfg->hierarchical_levels = levels;
  }
  if (c->tune & EST_TUNE_ZEROLATENCY)
    cfg->look_ahead_distance = 0;
  if (c->key_int_max > 0)
    cfg->intra_period_length = MIN (c->key_int_max - 1, G_MAXINT32 - 1);
  cfg->logical_processors = c->threads;
  return TRUE;
}

static gboolean
apply_options (EbSvtAv1EncConfiguration * cfg, const gchar * options,
    GError ** error)
{
  gchar **kv = est_encoder_parse_options (options, error);

  if (!kv)
    return FALSE;
  for (guint i = 0; kv[i]; i += 2) {
    if (svt_av1_enc_parse_parameter (cfg, kv[i], kv[i + 1]) != EB_ErrorNone) {
      g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
          "option-string: SVT-AV1 1.4 has no option \"%s\" taking \"%s\" "
          "(see svt_av1_enc_parse_parameter for the names)", kv[i], kv[i + 1]);
      g_strfreev (kv);
      return FALSE;
    }
  }
  g_strfreev (kv);
  return TRUE;
}

/* Frames the encoder holds before the first packet comes out, following
 * 1.4.1's look-ahead rules (and measured with it for every rate control at
 * the defaults): a mini-GOP of 2^levels frames plus lad_mg more mini-GOPs
 * of look-ahead, plus 4 frames of resource-coordination and scene /
 * temporal-filter delay; low-delay prediction holds 2 frames. An
 * option-string that changes the look-ahead makes it an estimate. */
static guint
estimate_delay (const EbSvtAv1EncConfiguration * cfg)
{
  guint levels, mg, lad_mg;

  if (cfg->pred_structure != SVT_AV1_PRED_RANDOM_ACCESS)
    return 2;
  levels = cfg->hierarchical_levels;
  if (!levels)
    levels = cfg->rate_control_mode == SVT_AV1_RC_MODE_CQP_OR_CRF &&
        cfg->enc_mode <= 12 ? 5 : 4;
  mg = 1u << levels;
  if (cfg->rate_control_mode == SVT_AV1_RC_MODE_CQP_OR_CRF) {
    /* One mini-GOP for TPL, which cqp (no adaptive quantisation) lacks. */
    lad_mg = cfg->enable_adaptive_quantization &&
        cfg->look_ahead_distance >= mg ? 1 : 0;
  } else if (cfg->look_ahead_distance == G_MAXUINT32) {
    lad_mg = cfg->logical_processors == 1 ? 1 : 2;
  } else {
    gint future = (gint) cfg->look_ahead_distance - 3 - (gint) (mg + 1);

    lad_mg = MAX (1, (MAX (future, 0) + (mg + 1) / 2) / (mg + 1));
  }
  return (1 + lad_mg) * mg + 4;
}

/* --- the backend ------------------------------------------------------ */

static guint8 *
staging_plane (SvtAv1Encoder * s, guint p)
{
  gsize sample = s->high_depth ? 2 : 1;
  gsize luma = (gsize) s->width * s->height;
  gsize chroma = (gsize) s->chroma_width * s->chroma_height;

  return s->staging + sample * (p == 0 ? 0 : luma + (p - 1) * chroma);
}

/* Sends the end of stream. 1.4 never answers one that follows no
 * picture (svt_av1_enc_get_packet and svt_av1_enc_deinit block for good),
 * so an empty session first sends a grey picture whose packet is
 * dropped. */
static gboolean
send_eos (SvtAv1Encoder * s)
{
  EbBufferHeaderType eos = { 0 };

  if (s->next_number == 0) {
    guint16 *samples = (guint16 *) s->staging;

    if (s->high_depth) {
      for (gsize i = 0; i < s->staging_size / 2; i++)
        samples[i] = 512;
    } else {
      memset (s->staging, 128, s->staging_size);
    }
    s->picture.luma = staging_plane (s, 0);
    s->picture.cb = staging_plane (s, 1);
    s->picture.cr = staging_plane (s, 2);
    s->picture.y_stride = s->width;
    s->picture.cb_stride = s->picture.cr_stride = s->chroma_width;
    s->input.pts = 0;
    s->input.qp = s->cfg.qp;
    s->input.pic_type = EB_AV1_INVALID_PICTURE;
    s->input.flags = 0;
    s->discard = TRUE;
    if (svt_av1_enc_send_picture (s->handle, &s->input) != EB_ErrorNone)
      return FALSE;
  }
  eos.size = sizeof (eos);
  eos.flags = EB_BUFFERFLAG_EOS;
  eos.pic_type = EB_AV1_INVALID_PICTURE;
  s->eos_sent = TRUE;
  return svt_av1_enc_send_picture (s->handle, &eos) == EB_ErrorNone;
}

static void
svtav1_close (EstEncoder * enc)
{
  SvtAv1Encoder *s = enc->priv;

  if (!s)
    return;
  if (s->handle) {
    if (s->initialised) {
      if (!s->eos_sent)
        send_eos (s);
      svt_av1_enc_deinit (s->handle);
    }
    svt_av1_enc_deinit_handle (s->handle);
  }
  gst_clear_buffer (&s->codec_data);
  g_free (s->staging);
  g_free (s->pending);
  g_free (s);
  enc->priv = NULL;
}

/* The buffers every picture reuses: no allocation per frame. */
static void
setup_buffers (SvtAv1Encoder * s, const GstVideoInfo * info)
{
  EbSvtIOFormat *picture = &s->picture;
  gsize sample;

  s->width = GST_VIDEO_INFO_WIDTH (info);
  s->height = GST_VIDEO_INFO_HEIGHT (info);
  s->chroma_width = s->width / 2;
  s->chroma_height = s->height / 2;
  s->high_depth = GST_VIDEO_INFO_COMP_DEPTH (info, 0) > 8;
  sample = s->high_depth ? 2 : 1;
  s->staging_size = sample * ((gsize) s->width * s->height +
      2 * (gsize) s->chroma_width * s->chroma_height);
  s->staging = g_malloc (s->staging_size);

  s->picture.width = s->width;
  s->picture.height = s->height;
  s->picture.color_fmt = EB_YUV420;
  s->picture.bit_depth = s->high_depth ? EB_TEN_BIT : EB_EIGHT_BIT;
  s->input.size = sizeof (s->input);
  s->input.p_buffer = (uint8_t *) picture;
  s->input.n_alloc_len = s->input.n_filled_len = s->staging_size;

  s->pending_cap = 64;
  s->pending = g_new (Pending, s->pending_cap);
}

static gboolean
svtav1_open (EstEncoder * enc, GError ** error)
{
  const EstEncoderConfig *c = &enc->config;
  const GstVideoInfo *info = &c->info;
  gboolean low_delay = c->b_frames == 0 || (c->tune & EST_TUNE_ZEROLATENCY)
      || c->rate_control == EST_RATE_CONTROL_CBR;
  SvtAv1Encoder *s;
  EbSvtAv1EncConfiguration *cfg;
  EbBufferHeaderType *header = NULL;
  EbErrorType err;
  gint fps_n = GST_VIDEO_INFO_FPS_N (info), fps_d = GST_VIDEO_INFO_FPS_D (info);

  if (!check_input (info, error))
    return FALSE;
  if (c->profile && strcmp (c->profile, "main") != 0) {
    if (strcmp (c->profile, "high") == 0 ||
        strcmp (c->profile, "professional") == 0)
      return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
          "SVT-AV1 1.4 encodes 4:2:0 in the main profile only, not %s",
          c->profile);
    return fail (error, EST_ENCODER_ERROR_INVALID,
        "AV1 has no profile \"%s\" (main, high, professional)", c->profile);
  }
  if (fps_n <= 0 || fps_d <= 0) {
    fps_n = DEFAULT_FPS;
    fps_d = 1;
  }
  if (fps_n > 240 * fps_d)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 encodes at most 240 fps, not %d/%d", fps_n, fps_d);

  s = enc->priv = g_new0 (SvtAv1Encoder, 1);
  setup_buffers (s, info);
  cfg = &s->cfg;
  err = svt_av1_enc_init_handle (&s->handle, NULL, cfg);
  if (err != EB_ErrorNone) {
    s->handle = NULL;
    return fail (error, EST_ENCODER_ERROR_FAILED,
        "SVT-AV1 could not create an encoder (error 0x%x)", (guint) err);
  }

  cfg->source_width = GST_VIDEO_INFO_WIDTH (info);
  cfg->source_height = GST_VIDEO_INFO_HEIGHT (info);
  cfg->frame_rate_numerator = fps_n;
  cfg->frame_rate_denominator = fps_d;
  cfg->encoder_bit_depth = s->high_depth ? 10 : 8;
  cfg->encoder_color_format = EB_YUV420;
  cfg->profile = MAIN_PROFILE;
  /* Closed GOPs: forced key frames work only with key-frame refresh. */
  cfg->intra_refresh_type = SVT_AV1_KF_REFRESH;
  set_colour (cfg, c);
  if (cfg->matrix_coefficients == EB_CICP_MC_IDENTITY)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "AV1 allows the identity (RGB) matrix only in 4:4:4, which "
        "SVT-AV1 1.4 cannot encode");
  if (!set_rate_control (cfg, c, low_delay, error) ||
      !set_structure (cfg, c, low_delay, error))
    return FALSE;
  cfg->force_key_frames = cfg->rate_control_mode ==
      SVT_AV1_RC_MODE_CQP_OR_CRF &&
      cfg->pred_structure == SVT_AV1_PRED_RANDOM_ACCESS;
  if (!apply_options (cfg, c->option_string, error))
    return FALSE;
  /* The option string may have changed the rate control or the
   * prediction structure: derive what the session can do from the result,
   * and keep force_key_frames where 1.4 refuses it. */
  if (cfg->rate_control_mode != SVT_AV1_RC_MODE_CQP_OR_CRF ||
      cfg->pred_structure != SVT_AV1_PRED_RANDOM_ACCESS)
    cfg->force_key_frames = FALSE;
  s->can_force_keyframe = cfg->force_key_frames;
  s->no_keyframe_reason = cfg->pred_structure != SVT_AV1_PRED_RANDOM_ACCESS ?
      "low-delay prediction (cbr, b-frames 0 or tune zerolatency)" :
      cfg->rate_control_mode != SVT_AV1_RC_MODE_CQP_OR_CRF ? "vbr" :
      "this option-string";
  if (c->key_int_max == 1) {
    /* An intra period of 0 gives intra-only frames after the first key
     * frame: every frame a key frame takes a forced one. */
    if (!s->can_force_keyframe)
      return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
          "SVT-AV1 1.4 makes every frame a key frame (key-int-max 1) only "
          "by forcing them, which it cannot with %s", s->no_keyframe_reason);
    cfg->intra_period_length = 1;
    s->all_keyframes = TRUE;
  }
  s->frame_qp = cfg->use_qp_file &&
      cfg->rate_control_mode == SVT_AV1_RC_MODE_CQP_OR_CRF;
  s->delay = estimate_delay (cfg);

  err = svt_av1_enc_set_parameter (s->handle, cfg);
  if (err != EB_ErrorNone)
    return fail (error, EST_ENCODER_ERROR_INVALID,
        "SVT-AV1 refused the configuration (error 0x%x); its log on stderr "
        "says why", (guint) err);
  err = svt_av1_enc_init (s->handle);
  if (err != EB_ErrorNone)
    return fail (error, EST_ENCODER_ERROR_FAILED,
        "SVT-AV1 could not start the encoder (error 0x%x)", (guint) err);
  s->initialised = TRUE;

  err = svt_av1_enc_stream_header (s->handle, &header);
  if (err != EB_ErrorNone || !header)
    return fail (error, EST_ENCODER_ERROR_FAILED,
        "SVT-AV1 returned no sequence header (error 0x%x)", (guint) err);
  s->codec_data = make_av1c (header->p_buffer, header->n_filled_len);
  svt_av1_enc_stream_header_release (header);
  if (!s->codec_data)
    return fail (error, EST_ENCODER_ERROR_FAILED,
        "SVT-AV1 returned a sequence header that does not parse");

  return TRUE;
}

/* Points the library's picture at the frame's planes, converting into the
 * staging buffer where the layout differs from planar 4:2:0. 1.4 copies
 * whole source strides into rows of its own padded pictures, so an 8-bit
 * plane whose stride is much wider than the picture goes through the
 * staging buffer too. */
static void
fill_picture (SvtAv1Encoder * s, const GstVideoFrame * frame)
{
  GstVideoFormat format = GST_VIDEO_FRAME_FORMAT (frame);
  gsize sample = s->high_depth ? 2 : 1;
  guint8 *planes[3] = {
    staging_plane (s, 0), staging_plane (s, 1), staging_plane (s, 2)
  };
  guint strides[3] = { s->width, s->chroma_width, s->chroma_width };
  gint widths[3] = { s->width, s->chroma_width, s->chroma_width };
  gint heights[3] = { s->height, s->chroma_height, s->chroma_height };

  if (format == GST_VIDEO_FORMAT_NV12 || format == GST_VIDEO_FORMAT_P010_10LE) {
    const guint8 *y = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
    const guint8 *uv = GST_VIDEO_FRAME_PLANE_DATA (frame, 1);
    gint ys = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
    gint uvs = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 1);

    if (format == GST_VIDEO_FORMAT_NV12 && ys <= s->width + 32) {
      planes[0] = (guint8 *) y;
      strides[0] = ys;
    } else if (format == GST_VIDEO_FORMAT_NV12) {
      for (gint r = 0; r < s->height; r++)
        memcpy (planes[0] + r * s->width, y + r * ys, s->width);
    } else {
      for (gint r = 0; r < s->height; r++)
        est_pixfmt_shift16 ((const uint16_t *) (y + r * ys),
            (uint16_t *) planes[0] + r * s->width, s->width, 6);
    }
    for (gint r = 0; r < s->chroma_height; r++) {
      if (format == GST_VIDEO_FORMAT_NV12)
        est_pixfmt_deinterleave8 (uv + r * uvs,
            planes[1] + r * s->chroma_width,
            planes[2] + r * s->chroma_width, s->chroma_width);
      else
        est_pixfmt_deinterleave16 ((const uint16_t *) (uv + r * uvs),
            (uint16_t *) planes[1] + r * s->chroma_width,
            (uint16_t *) planes[2] + r * s->chroma_width, s->chroma_width, 6);
    }
  } else {
    for (guint p = 0; p < 3; p++) {
      const guint8 *src = GST_VIDEO_FRAME_PLANE_DATA (frame, p);
      gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, p);

      if (s->high_depth || stride <= widths[p] + 32) {
        planes[p] = (guint8 *) src;
        strides[p] = stride / sample;
      } else {
        for (gint r = 0; r < heights[p]; r++)
          memcpy (planes[p] + r * widths[p], src + r * stride, widths[p]);
      }
    }
  }
  s->picture.luma = planes[0];
  s->picture.cb = planes[1];
  s->picture.cr = planes[2];
  s->picture.y_stride = strides[0];
  s->picture.cb_stride = strides[1];
  s->picture.cr_stride = strides[2];
}

static void
pending_push (SvtAv1Encoder * s, guint64 number, guint64 frame_id,
    GstClockTime pts)
{
  Pending *p;

  if (s->pending_len == s->pending_cap) {
    Pending *grown = g_new (Pending, 2 * s->pending_cap);

    for (guint i = 0; i < s->pending_len; i++)
      grown[i] = s->pending[(s->pending_head + i) % s->pending_cap];
    g_free (s->pending);
    s->pending = grown;
    s->pending_head = 0;
    s->pending_cap *= 2;
  }
  p = &s->pending[(s->pending_head + s->pending_len) % s->pending_cap];
  p->number = number;
  p->frame_id = frame_id;
  p->pts = pts;
  s->pending_len++;
}

/* Temporal units come out in the order the pictures went in: the oldest
 * pending picture is the one, older ones would be pictures SVT dropped. */
static gboolean
pending_take (SvtAv1Encoder * s, guint64 number, Pending * out)
{
  while (s->pending_len) {
    Pending *p = &s->pending[s->pending_head];

    s->pending_head = (s->pending_head + 1) % s->pending_cap;
    s->pending_len--;
    if (p->number == number) {
      *out = *p;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
push_packet (EstEncoder * enc, EbBufferHeaderType * pkt, GError ** error)
{
  SvtAv1Encoder *s = enc->priv;
  static const guint8 td[2] = { OBU_TEMPORAL_DELIMITER << 3 | 0x02, 0 };
  gboolean has_td;
  GstBuffer *buf;
  Pending p;

  if (!pending_take (s, (guint64) pkt->pts, &p))
    return fail (error, EST_ENCODER_ERROR_FAILED,
        "SVT-AV1 returned a packet for picture %" G_GINT64_FORMAT
        " that was never sent", pkt->pts);
  has_td = pkt->n_filled_len >= 2 && memcmp (pkt->p_buffer, td, 2) == 0;
  buf = gst_buffer_new_allocate (NULL, pkt->n_filled_len + (has_td ? 0 : 2),
      NULL);
  if (!has_td)
    gst_buffer_fill (buf, 0, td, 2);
  gst_buffer_fill (buf, has_td ? 0 : 2, pkt->p_buffer, pkt->n_filled_len);
  est_encoder_push_packet (enc, buf, p.frame_id, p.pts, p.pts,
      pkt->pic_type == EB_AV1_KEY_PICTURE);
  return TRUE;
}

/* Takes the packets SVT has ready; with wait, blocks until the EOS one. */
static gboolean
collect (EstEncoder * enc, gboolean wait, GError ** error)
{
  SvtAv1Encoder *s = enc->priv;

  while (!s->eos_received) {
    EbBufferHeaderType *pkt = NULL;
    EbErrorType err = svt_av1_enc_get_packet (s->handle, &pkt, wait);
    gboolean ok = TRUE;

    if (err == EB_NoErrorEmptyQueue)
      return TRUE;
    if (err != EB_ErrorNone || !pkt) {
      if (pkt)
        svt_av1_enc_release_out_buffer (&pkt);
      return fail (error, EST_ENCODER_ERROR_FAILED,
          "SVT-AV1 failed to encode (error 0x%x)", (guint) err);
    }
    if (pkt->n_filled_len > 0 && !s->discard)
      ok = push_packet (enc, pkt, error);
    if (pkt->flags & EB_BUFFERFLAG_EOS)
      s->eos_received = TRUE;
    svt_av1_enc_release_out_buffer (&pkt);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

static gboolean
frame_qp (EstEncoder * enc, const EstEncodeParams * params, guint * qp,
    GError ** error)
{
  SvtAv1Encoder *s = enc->priv;
  gint q;

  if (params->qp_map || params->n_rois)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 has no per-block QP offsets (qp_map/ROI): it takes "
        "one QP per frame");
  if (params->qp < 0 || params->qp > MAX_QP)
    return fail (error, EST_ENCODER_ERROR_INVALID,
        "frame qp %d is outside 1..%d for AV1", params->qp, MAX_QP);
  if ((params->qp || params->qp_offset != 0) && !s->frame_qp)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 takes a frame QP or QP offset only in rate-control "
        "cqp: in other modes it would replace the rate control for every "
        "frame");
  q = params->qp ? params->qp : (gint) s->cfg.qp;
  q += (gint) (params->qp_offset + (params->qp_offset < 0 ? -0.5f : 0.5f));
  *qp = CLAMP (q, 1, MAX_QP);
  return TRUE;
}

static gboolean
svtav1_encode (EstEncoder * enc, const GstVideoFrame * frame,
    guint64 frame_id, GstClockTime pts, const EstEncodeParams * params,
    GError ** error)
{
  SvtAv1Encoder *s = enc->priv;
  guint qp = 0;

  if (s->eos_sent)
    return fail (error, EST_ENCODER_ERROR_INVALID,
        "The SVT-AV1 session was drained: open a new one to encode more");
  if (!frame_qp (enc, params, &qp, error))
    return FALSE;
  if (params->force_keyframe && !s->can_force_keyframe && s->next_number > 0)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 forces key frames only in random-access crf or cqp, "
        "not with %s: use key-int-max", s->no_keyframe_reason);

  fill_picture (s, frame);
  s->input.pts = (int64_t) s->next_number;
  s->input.qp = qp;
  s->input.pic_type = (params->force_keyframe || params->keyframe_hint ||
      s->all_keyframes) &&
      s->can_force_keyframe ? EB_AV1_KEY_PICTURE : EB_AV1_INVALID_PICTURE;
  s->input.flags = 0;
  s->input.metadata = NULL;
  s->input.p_app_private = NULL;
  if (svt_av1_enc_send_picture (s->handle, &s->input) != EB_ErrorNone)
    return fail (error, EST_ENCODER_ERROR_FAILED,
        "SVT-AV1 did not take the picture");
  pending_push (s, s->next_number++, frame_id, pts);
  return collect (enc, FALSE, error);
}

static gboolean
svtav1_drain (EstEncoder * enc, GError ** error)
{
  SvtAv1Encoder *s = enc->priv;

  if (s->eos_sent)
    return TRUE;
  if (!send_eos (s))
    return fail (error, EST_ENCODER_ERROR_FAILED,
        "SVT-AV1 did not take the end of stream");
  return collect (enc, TRUE, error);
}

/* 1.4 has no call that changes the rate control of a running encoder;
 * the same values again are not a change. */
static gboolean
svtav1_reconfigure (EstEncoder * enc, const EstEncoderConfig * config,
    GError ** error)
{
  const EstEncoderConfig *c = &enc->config;

  if (config->rate_control != c->rate_control || config->qp != c->qp ||
      config->crf != c->crf)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 cannot change the rate control while encoding: "
        "restart the encoder with the new values");
  if (config->bitrate != c->bitrate || config->max_bitrate != c->max_bitrate)
    return fail (error, EST_ENCODER_ERROR_UNSUPPORTED,
        "SVT-AV1 1.4 cannot change the bitrate while encoding: restart the "
        "encoder with the new bitrate");
  return TRUE;
}

static GstBuffer *
svtav1_get_codec_data (EstEncoder * enc)
{
  SvtAv1Encoder *s = enc->priv;

  return gst_buffer_ref (s->codec_data);
}

static guint
svtav1_get_delay (EstEncoder * enc)
{
  SvtAv1Encoder *s = enc->priv;

  return s->delay;
}

const EstEncoderBackend est_svtav1_encoder_backend = {
  .name = "svt-av1",
  .codec = EST_CODEC_AV1,
  .open = svtav1_open,
  .encode = svtav1_encode,
  .drain = svtav1_drain,
  .reconfigure = svtav1_reconfigure,
  .get_codec_data = svtav1_get_codec_data,
  .get_delay = svtav1_get_delay,
  .close = svtav1_close,
};
