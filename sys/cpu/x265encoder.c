/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The HEVC CPU backend on libx265 3.5. x265_api_get (depth) returns the
 * 8, 10 or 12-bit library, so one process opens encoders of any depth.
 *
 *   frame -> (NV12/P010: planar copy) -> x265_picture + QP offsets
 *         -> x265_encoder_encode -> NAL units -> packet (decode order)
 *
 * Mapping of the configuration, and what x265 cannot do:
 * - Speed presets have the same names in x265. x265 takes one tune
 *   string: psy-tune none/psnr/ssim/grain/animation and the flags
 *   zerolatency and fastdecode are x265 tunes, but when more than one is
 *   asked the psy-tune goes to x265 and the flags are applied by hand with
 *   the values x265's own tunes set. x265 has no film and no stillimage
 *   tune: both are refused.
 * - cqp: x265's constant QP. cbr: ABR with a VBV whose maximum rate is the
 *   bitrate and strict-cbr; x265 has no filler data, so a simple scene
 *   stays below the bitrate. vbr: ABR with a VBV at max-bitrate. crf and
 *   capped-crf (CRF with a VBV). The VBV holds vbv-buf-capacity ms (1000
 *   by default) of its maximum rate.
 * - Reconfiguring: libx265 3.5 accepts new bitrate, VBV and CRF values in
 *   x265_encoder_reconfig but never applies them (its rate control keeps a
 *   copy of the parameters it was opened with), so those changes are
 *   refused. In cqp mode the new QP is forced on every frame, which also
 *   drops x265's I/P/B QP ratios.
 * - Per-block QP offsets (QP map, ROI, frame offset) go into x265's
 *   quantOffsets, one per 16x16 block (qg-size is set to 16 so that QP can
 *   change at that size). x265 reads them only with adaptive quantisation
 *   on, and never in cqp mode (x265 turns AQ off there): in cqp mode the
 *   frame offset moves the forced frame QP and maps are refused. Where the
 *   preset leaves AQ off (ultrafast), it is turned on at strength 0, so the
 *   offsets apply and the picture itself changes nothing; x265 drops AQ at
 *   strength 0 when cu-tree is off too (zerolatency), so then the strength
 *   is 0.001, too small to move a QP. The offsets array goes with every
 *   frame (zeros when there are none): x265 keeps its copy in frames it
 *   recycles, allocated only when the first picture carried one.
 * - Output: Annex B always repeats VPS, SPS and PPS before key frames (a
 *   byte stream must be decodable from any of them); length-prefixed
 *   output puts them in the hvcC record and in-band only with
 *   repeat_headers (hev1 rather than hvc1); x265 turns repeat-headers on
 *   itself for HDR SEI, and the parameter sets it then writes are left out.
 *   Key frames are the IRAP pictures: IDR, and CRA with open GOP. x265's
 *   info SEI (its version and command line, 2 kB before every key frame) is
 *   turned off; the option string can turn it back on (info=1).
 * - Timestamps go through x265 in nanoseconds; x265 derives DTS from them
 *   (the PTS of an earlier frame, or the PTS minus the B-frame delay at the
 *   start), so DTS <= PTS and increasing. A frame id table, indexed by the
 *   picture's userData, maps output back to the caller's frames.
 * - get_delay is x265 3.5's measured behaviour (see x265_get_delay).
 * - Interlaced input and odd 4:2:0 sizes are refused (x265 codes progressive
 *   frames of whole chroma samples). */

#include "encoderbackend.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <x265.h>

#include "pixfmt.h"

/* Frames in flight are bounded by x265's lookahead, B-frames and frame
 * threads (250 + 16 + 16); the table holds more than that. */
#define RING_SIZE 512

typedef struct
{
  guint64 frame_id;
  GstClockTime pts;
} InFlight;

typedef enum
{
  CONVERT_NONE,
  CONVERT_NV12,
  CONVERT_P010,
} Convert;

typedef struct
{
  const x265_api *api;
  x265_param *param;            /* as opened, from x265_encoder_parameters */
  x265_encoder *x265;
  x265_picture *pic, *pic_out;
  gint input_depth;
  Convert convert;
  gpointer planar;              /* NV12 / P010 converted to planar */
  gsize luma_samples, chroma_samples;

  gboolean use_offsets;         /* AQ on: quantOffsets go with every frame */
  gint block, blocks_w, blocks_h;
  gfloat *offsets;
  gboolean offsets_zero;

  InFlight ring[RING_SIZE];
  guint64 n_in;
  GstClockTime last_dts;
  gboolean draining;
  /* x265 turns repeat-headers on with HDR SEI: parameter sets it puts in
   * packets that should have none are left out. */
  gboolean strip_headers;

  GstBuffer *codec_data;        /* hvcC, length-prefixed output only */
  gint frame_qp;                /* cqp changed while running: forced QP */

  /* Strings the parameters point at until x265 copies them. */
  gchar *pools;
  gchar *master_display;
} X265;

/* The string parameters libx265 3.5 strdup ()s in x265_param_parse and
 * x265_copy_params (so in x265_encoder_parameters), and x265_param_free
 * leaves: the holder of a copy frees it. */
static const gsize string_params[] = {
  G_STRUCT_OFFSET (x265_param, numaPools),
  G_STRUCT_OFFSET (x265_param, csvfn),
  G_STRUCT_OFFSET (x265_param, scalingLists),
  G_STRUCT_OFFSET (x265_param, analysisReuseFileName),
  G_STRUCT_OFFSET (x265_param, rc.statFileName),
  G_STRUCT_OFFSET (x265_param, rc.lambdaFileName),
  G_STRUCT_OFFSET (x265_param, masteringDisplayColorVolume),
  G_STRUCT_OFFSET (x265_param, toneMapFile),
  G_STRUCT_OFFSET (x265_param, analysisSave),
  G_STRUCT_OFFSET (x265_param, analysisLoad),
  G_STRUCT_OFFSET (x265_param, naluFile),
};

/* Frees the strings x265 allocated in p, not the backend's own. */
static void
free_strings (const X265 * x, x265_param * p)
{
  for (guint i = 0; i < G_N_ELEMENTS (string_params); i++) {
    const char **s = (const char **) ((guint8 *) p + string_params[i]);
    if (*s != x->pools && *s != x->master_display)
      free ((gpointer) s[0]);
    *s = NULL;
  }
}

static const gchar *const preset_names[] = {
  "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
  "slower", "veryslow"
};

static const gchar *const psy_names[] = {
  NULL, "film", "animation", "grain", "psnr", "ssim"
};

static gboolean
set_format (const EstEncoderConfig * c, X265 * x, gint * csp, GError ** error)
{
  switch (GST_VIDEO_INFO_FORMAT (&c->info)) {
    case GST_VIDEO_FORMAT_I420:
      *csp = X265_CSP_I420;
      x->input_depth = 8;
      break;
    case GST_VIDEO_FORMAT_NV12:
      *csp = X265_CSP_I420;
      x->input_depth = 8;
      x->convert = CONVERT_NV12;
      break;
    case GST_VIDEO_FORMAT_Y444:
      *csp = X265_CSP_I444;
      x->input_depth = 8;
      break;
    case GST_VIDEO_FORMAT_I420_10LE:
      *csp = X265_CSP_I420;
      x->input_depth = 10;
      break;
    case GST_VIDEO_FORMAT_P010_10LE:
      *csp = X265_CSP_I420;
      x->input_depth = 10;
      x->convert = CONVERT_P010;
      break;
    case GST_VIDEO_FORMAT_Y444_10LE:
      *csp = X265_CSP_I444;
      x->input_depth = 10;
      break;
    default:
      g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
          "x265 cannot encode %s: use I420, NV12, I420_10LE, P010_10LE, "
          "Y444 or Y444_10LE", GST_VIDEO_INFO_NAME (&c->info));
      return FALSE;
  }
  if (GST_VIDEO_INFO_INTERLACE_MODE (&c->info) !=
      GST_VIDEO_INTERLACE_MODE_PROGRESSIVE) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
        "The x265 backend encodes progressive frames only, not %s input",
        gst_video_interlace_mode_to_string (GST_VIDEO_INFO_INTERLACE_MODE
            (&c->info)));
    return FALSE;
  }
  if (*csp == X265_CSP_I420 && (GST_VIDEO_INFO_WIDTH (&c->info) % 2 ||
          GST_VIDEO_INFO_HEIGHT (&c->info) % 2)) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
        "x265 needs an even width and height for 4:2:0 input, not %dx%d",
        GST_VIDEO_INFO_WIDTH (&c->info), GST_VIDEO_INFO_HEIGHT (&c->info));
    return FALSE;
  }
  return TRUE;
}

/* Caps profile names to x265's, with the bit depth and chroma format each
 * implies. x265's own names are accepted as well. */
static const struct
{
  const gchar *caps, *x265;
  gint depth, csp;
} profiles[] = {
  {"main", "main", 8, X265_CSP_I420},
  {"main-10", "main10", 10, X265_CSP_I420},
  {"main-still-picture", "mainstillpicture", 8, X265_CSP_I420},
  {"main-intra", "main-intra", 8, X265_CSP_I420},
  {"main-10-intra", "main10-intra", 10, X265_CSP_I420},
  {"main-444", "main444-8", 8, X265_CSP_I444},
  {"main-444-8", "main444-8", 8, X265_CSP_I444},
  {"main-444-10", "main444-10", 10, X265_CSP_I444},
  {"main-444-intra", "main444-intra", 8, X265_CSP_I444},
  {"main-444-10-intra", "main444-10-intra", 10, X265_CSP_I444},
  {"main-444-still-picture", "main444-stillpicture", 8, X265_CSP_I444},
};

/* Picks x265's profile name (NULL: x265 chooses from the input) and the
 * coded bit depth: the profile's, which may be above the input's (x265
 * shifts the samples up), never below. */
static gboolean
pick_profile (const EstEncoderConfig * c, gint input_depth, gint csp,
    const gchar ** name, gint * depth, GError ** error)
{
  *name = NULL;
  *depth = input_depth;
  if (!c->profile)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++) {
    if (!g_str_equal (c->profile, profiles[i].caps) &&
        !g_str_equal (c->profile, profiles[i].x265))
      continue;
    if (profiles[i].csp != csp) {
      g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
          "HEVC profile %s is for %s input, not %s", c->profile,
          profiles[i].csp == X265_CSP_I444 ? "4:4:4" : "4:2:0",
          GST_VIDEO_INFO_NAME (&c->info));
      return FALSE;
    }
    if (profiles[i].depth < input_depth) {
      g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
          "HEVC profile %s is %d-bit: the %s input is %d-bit (use a 10-bit "
          "profile)", c->profile, profiles[i].depth,
          GST_VIDEO_INFO_NAME (&c->info), input_depth);
      return FALSE;
    }
    *name = profiles[i].x265;
    *depth = profiles[i].depth;
    return TRUE;
  }
  g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
      "x265 has no HEVC profile \"%s\" (main, main-10, main-444, "
      "main-444-10, main-still-picture and their -intra forms)", c->profile);
  return FALSE;
}

/* The tune string for x265 (one name at most) and the flags applied by
 * hand because x265 took another tune. */
static gboolean
pick_tune (const EstEncoderConfig * c, const gchar ** tune,
    gboolean * hand_zerolatency, gboolean * hand_fastdecode, GError ** error)
{
  *hand_zerolatency = *hand_fastdecode = FALSE;
  if (c->tune & EST_TUNE_STILLIMAGE) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
        "x265 has no stillimage tune: use profile main-still-picture or "
        "key-int-max=1 for pictures coded alone");
    return FALSE;
  }
  if (c->psy_tune == EST_PSY_TUNE_FILM) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
        "x265 has no film tune: use psy-tune none (x265's defaults are "
        "tuned for film) or grain");
    return FALSE;
  }
  if ((guint) c->psy_tune >= G_N_ELEMENTS (psy_names)) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
        "Unknown psy-tune %d", c->psy_tune);
    return FALSE;
  }
  *tune = psy_names[c->psy_tune];
  if (c->tune & EST_TUNE_ZEROLATENCY) {
    if (*tune)
      *hand_zerolatency = TRUE;
    else
      *tune = "zerolatency";
  }
  if (c->tune & EST_TUNE_FASTDECODE) {
    if (*tune)
      *hand_fastdecode = TRUE;
    else
      *tune = "fastdecode";
  }
  return TRUE;
}

/* What x265's tunes "zerolatency" and "fastdecode" set (param.cpp). */
static void
apply_zerolatency (x265_param * p)
{
  p->bFrameAdaptive = 0;
  p->bframes = 0;
  p->lookaheadDepth = 0;
  p->scenecutThreshold = 0;
  p->bHistBasedSceneCut = 0;
  p->rc.cuTree = 0;
  p->frameNumThreads = 1;
}

static void
apply_fastdecode (x265_param * p)
{
  p->bEnableLoopFilter = 0;
  p->bEnableSAO = 0;
  p->bEnableWeightedPred = 0;
  p->bEnableWeightedBiPred = 0;
  p->bIntraInBFrames = 0;
}

/* Rate-control fields shared by open and reconfigure. */
static void
set_rate_control (x265_param * p, const EstEncoderConfig * c)
{
  guint max = c->max_bitrate ? c->max_bitrate : c->bitrate;
  guint ms = c->vbv_buf_capacity ? c->vbv_buf_capacity : 1000;

  switch (c->rate_control) {
    case EST_RATE_CONTROL_CQP:
      p->rc.rateControlMode = X265_RC_CQP;
      p->rc.qp = c->qp;
      break;
    case EST_RATE_CONTROL_CRF:
      p->rc.rateControlMode = X265_RC_CRF;
      p->rc.rfConstant = c->crf;
      break;
    case EST_RATE_CONTROL_CAPPED_CRF:
      p->rc.rateControlMode = X265_RC_CRF;
      p->rc.rfConstant = c->crf;
      p->rc.vbvMaxBitrate = (gint) max;
      p->rc.vbvBufferSize = (gint) ((guint64) max * ms / 1000);
      break;
    case EST_RATE_CONTROL_CBR:
      p->rc.rateControlMode = X265_RC_ABR;
      p->rc.bitrate = (gint) c->bitrate;
      p->rc.vbvMaxBitrate = (gint) c->bitrate;
      p->rc.vbvBufferSize = (gint) ((guint64) c->bitrate * ms / 1000);
      p->rc.bStrictCbr = 1;
      break;
    case EST_RATE_CONTROL_VBR:
      p->rc.rateControlMode = X265_RC_ABR;
      p->rc.bitrate = (gint) c->bitrate;
      p->rc.vbvMaxBitrate = (gint) max;
      p->rc.vbvBufferSize = (gint) ((guint64) max * ms / 1000);
      break;
  }
}

static void
set_colour (X265 * x, x265_param * p, const EstEncoderConfig * c)
{
  const GstVideoColorimetry *cm = &c->info.colorimetry;
  const GstVideoInfo *info = &c->info;

  if (cm->primaries != GST_VIDEO_COLOR_PRIMARIES_UNKNOWN ||
      cm->transfer != GST_VIDEO_TRANSFER_UNKNOWN ||
      cm->matrix != GST_VIDEO_COLOR_MATRIX_UNKNOWN ||
      cm->range != GST_VIDEO_COLOR_RANGE_UNKNOWN) {
    p->vui.bEnableVideoSignalTypePresentFlag = 1;
    p->vui.videoFormat = 5;     /* unspecified */
    p->vui.bEnableVideoFullRangeFlag = cm->range == GST_VIDEO_COLOR_RANGE_0_255;
    p->vui.bEnableColorDescriptionPresentFlag = 1;
    /* The _to_iso functions give 2 (unspecified) for unknown values. */
    p->vui.colorPrimaries = gst_video_color_primaries_to_iso (cm->primaries);
    p->vui.transferCharacteristics =
        gst_video_transfer_function_to_iso (cm->transfer);
    p->vui.matrixCoeffs = gst_video_color_matrix_to_iso (cm->matrix);
  }
  if (GST_VIDEO_INFO_PAR_N (info) > 0 && GST_VIDEO_INFO_PAR_D (info) > 0) {
    if (GST_VIDEO_INFO_PAR_N (info) == GST_VIDEO_INFO_PAR_D (info)) {
      p->vui.aspectRatioIdc = 1;
    } else {
      p->vui.aspectRatioIdc = X265_EXTENDED_SAR;
      p->vui.sarWidth = GST_VIDEO_INFO_PAR_N (info);
      p->vui.sarHeight = GST_VIDEO_INFO_PAR_D (info);
    }
  }

  /* x265 writes the SEI from this string: green, blue, red, white point in
   * 0.00002 units, luminance in 0.0001 cd/m2, the units GStreamer stores.
   * GStreamer lists the primaries red, green, blue. */
  if (c->have_mastering_display) {
    const GstVideoMasteringDisplayInfo *m = &c->mastering_display;
    x->master_display = g_strdup_printf ("G(%u,%u)B(%u,%u)R(%u,%u)WP(%u,%u)"
        "L(%u,%u)", m->display_primaries[1].x, m->display_primaries[1].y,
        m->display_primaries[2].x, m->display_primaries[2].y,
        m->display_primaries[0].x, m->display_primaries[0].y,
        m->white_point.x, m->white_point.y,
        m->max_display_mastering_luminance, m->min_display_mastering_luminance);
    p->masteringDisplayColorVolume = x->master_display;
    p->bEmitHDR10SEI = 1;
  }
  /* x265 writes a content light level SEI with every HDR10 SEI unless
   * told not to; 0, 0 would say "unknown". */
  p->bEmitCLL = c->have_content_light_level;
  if (c->have_content_light_level) {
    p->maxCLL = c->content_light_level.max_content_light_level;
    p->maxFALL = c->content_light_level.max_frame_average_light_level;
    p->bEmitHDR10SEI = 1;
  }
}

static gboolean
apply_options (X265 * x, const gchar * options, GError ** error)
{
  gchar **kv = est_encoder_parse_options (options, error);

  if (!kv)
    return FALSE;
  for (guint i = 0; kv[i]; i += 2) {
    int r = x->api->param_parse (x->param, kv[i], kv[i + 1]);
    if (r != 0) {
      g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
          "x265 rejects option-string item %s=%s: %s", kv[i], kv[i + 1],
          r == X265_PARAM_BAD_NAME ? "unknown option" : "bad value");
      g_strfreev (kv);
      return FALSE;
    }
  }
  g_strfreev (kv);
  return TRUE;
}

/* QP offsets need adaptive quantisation, which x265 turns off in cqp mode
 * and, at strength 0, when cu-tree is off (see the top of the file).
 * External offsets replace x265's AQ and cu-tree. */
static void
enable_offsets (x265_param * p, gboolean external)
{
  if (p->rc.rateControlMode == X265_RC_CQP || p->bLossless)
    return;
  if (p->rc.aqMode == X265_AQ_NONE) {
    p->rc.aqMode = X265_AQ_VARIANCE;
    p->rc.aqStrength = 0.0;
  }
  if (external) {
    p->rc.aqStrength = 0.0;
    p->rc.cuTree = 0;
  }
  if (p->rc.aqStrength == 0.0 && !p->rc.cuTree)
    p->rc.aqStrength = 0.001;
}

/* ---- parameter sets ---- */

/* Removes emulation prevention bytes (00 00 03 -> 00 00); out holds len. */
static gsize
unescape (const guint8 * in, gsize len, guint8 * out)
{
  gsize n = 0, zeros = 0;
  for (gsize i = 0; i < len; i++) {
    if (zeros >= 2 && in[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = in[i] == 0 ? zeros + 1 : 0;
    out[n++] = in[i];
  }
  return n;
}

static void
append_array (GByteArray * a, guint type, const guint8 * nal, gsize size)
{
  guint8 head[] = { 0x80 | type, 0, 1, (guint8) (size >> 8), (guint8) size };
  g_byte_array_append (a, head, sizeof (head));
  g_byte_array_append (a, nal, size);
}

/* The hvcC record (ISO/IEC 14496-15 8.3.3.1) for length-prefixed output:
 * profile, tier and level from the SPS, chroma format and bit depths as
 * x265 codes them, 4-byte lengths, and one VPS, SPS and PPS. */
static gboolean
make_codec_data (X265 * x, GError ** error)
{
  x265_nal *nals = NULL;
  uint32_t n_nals = 0;
  const guint8 *vps = NULL, *sps = NULL, *pps = NULL;
  gsize vps_len = 0, sps_len = 0, pps_len = 0;
  guint8 *raw;
  gsize raw_len;
  GByteArray *a;
  gsize len;

  if (x->api->encoder_headers (x->x265, &nals, &n_nals) < 0) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "x265 failed to write the stream headers");
    return FALSE;
  }
  for (uint32_t i = 0; i < n_nals; i++) {
    /* Length-prefixed: 4 bytes of size, then the NAL unit. */
    const guint8 *d = nals[i].payload + 4;
    gsize n = nals[i].sizeBytes - 4;
    if (nals[i].type == NAL_UNIT_VPS) {
      vps = d;
      vps_len = n;
    } else if (nals[i].type == NAL_UNIT_SPS) {
      sps = d;
      sps_len = n;
    } else if (nals[i].type == NAL_UNIT_PPS) {
      pps = d;
      pps_len = n;
    }
  }
  /* SPS: NAL header (2), ids and sub-layers (1), general profile, tier and
   * level (12). */
  if (!vps || !sps || !pps || sps_len < 16) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "x265 wrote incomplete stream headers");
    return FALSE;
  }

  raw = g_malloc (sps_len);
  raw_len = unescape (sps, sps_len, raw);
  if (raw_len < 15) {
    g_free (raw);
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "x265 wrote a truncated SPS");
    return FALSE;
  }
  {
    const guint sub_layers = (raw[2] >> 1) & 7, nesting = raw[2] & 1;
    const guint8 *ptl = raw + 3;        /* general_profile_space .. level */
    const guint depth = (x->param->internalBitDepth - 8) & 7;
    guint8 head[23] = {
      1, ptl[0], ptl[1], ptl[2], ptl[3], ptl[4], ptl[5], ptl[6], ptl[7],
      ptl[8], ptl[9], ptl[10], ptl[11],
      0xf0, 0x00,               /* min_spatial_segmentation_idc 0 */
      0xfc,                     /* parallelismType 0: unknown */
      (guint8) (0xfc | (x->param->internalCsp & 3)),
      (guint8) (0xf8 | depth), (guint8) (0xf8 | depth),
      0, 0,                     /* avgFrameRate 0: unspecified */
      /* constantFrameRate 0, numTemporalLayers, temporalIdNested,
       * lengthSizeMinusOne 3 */
      (guint8) (((sub_layers + 1) << 3) | (nesting << 2) | 3),
      3,                        /* numOfArrays */
    };

    a = g_byte_array_new ();
    g_byte_array_append (a, head, sizeof (head));
  }
  g_free (raw);
  append_array (a, NAL_UNIT_VPS, vps, vps_len);
  append_array (a, NAL_UNIT_SPS, sps, sps_len);
  append_array (a, NAL_UNIT_PPS, pps, pps_len);
  len = a->len;
  x->codec_data = gst_buffer_new_wrapped (g_byte_array_free (a, FALSE), len);
  return TRUE;
}

/* ---- the session ---- */

static gboolean
x265_open (EstEncoder * enc, GError ** error)
{
  const EstEncoderConfig *c = &enc->config;
  const GstVideoInfo *info = &c->info;
  const gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  X265 *x = g_new0 (X265, 1);
  x265_param *p;
  const gchar *profile, *tune, *preset;
  gboolean hand_zerolatency, hand_fastdecode;
  gint csp, depth;

  enc->priv = x;
  if (!set_format (c, x, &csp, error) ||
      !pick_profile (c, x->input_depth, csp, &profile, &depth, error) ||
      !pick_tune (c, &tune, &hand_zerolatency, &hand_fastdecode, error))
    return FALSE;
  if ((guint) c->speed_preset >= G_N_ELEMENTS (preset_names)) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
        "Unknown speed preset %d", c->speed_preset);
    return FALSE;
  }

  x->api = x265_api_get (depth);
  if (!x->api) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
        "This libx265 (%s) was built without %d-bit encoding: install a "
        "multi-library build (Debian's has 8, 10 and 12 bit)",
        x265_version_str, depth);
    return FALSE;
  }
  if (x->api->api_major_version != X265_MAJOR_VERSION ||
      x->api->sizeof_param != (int) sizeof (x265_param) ||
      x->api->sizeof_picture != (int) sizeof (x265_picture)) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "The %d-bit libx265 (%s) does not match the x265.h Estuary was "
        "built with (build %d)", depth, x->api->version_str, X265_BUILD);
    return FALSE;
  }

  p = x->param = x->api->param_alloc ();
  if (!p) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "x265 failed to allocate its parameters");
    return FALSE;
  }
  preset = preset_names[c->speed_preset];
  if (x->api->param_default_preset (p, preset, tune) < 0) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "x265 rejects preset %s with tune %s", preset, tune ? tune : "none");
    return FALSE;
  }
  if (hand_zerolatency)
    apply_zerolatency (p);
  if (hand_fastdecode)
    apply_fastdecode (p);

  p->logLevel = X265_LOG_ERROR;
  p->bEmitInfoSEI = 0;
  p->internalBitDepth = depth;
  p->sourceBitDepth = x->input_depth;
  p->internalCsp = csp;
  p->sourceWidth = w;
  p->sourceHeight = h;
  /* Rate control counts in frames; with a variable rate, assume 25. */
  if (GST_VIDEO_INFO_FPS_N (info) > 0 && GST_VIDEO_INFO_FPS_D (info) > 0) {
    p->fpsNum = GST_VIDEO_INFO_FPS_N (info);
    p->fpsDenom = GST_VIDEO_INFO_FPS_D (info);
  } else {
    p->fpsNum = 25;
    p->fpsDenom = 1;
  }
  if (c->threads > 0) {
    x->pools = g_strdup_printf ("%u", c->threads);
    p->numaPools = x->pools;
    if (c->threads == 1)
      p->frameNumThreads = 1;
  }
  if (c->key_int_max > 0)
    p->keyframeMax = (gint) MIN (c->key_int_max, (guint) G_MAXINT);
  if (c->b_frames >= 0)
    p->bframes = c->b_frames;
  if (c->ref_frames >= 0)
    p->maxNumReferences = c->ref_frames;
  if (c->min_qp >= 0)
    p->rc.qpMin = c->min_qp;
  if (c->max_qp >= 0)
    p->rc.qpMax = c->max_qp;
  p->bIntraRefresh = c->intra_refresh;
  set_rate_control (p, c);
  set_colour (x, p, c);
  p->bAnnexB = c->annexb;
  p->bRepeatHeaders = c->annexb || c->repeat_headers;
  enable_offsets (p, c->external_offsets);
  if (c->external_keyframes) {
    p->scenecutThreshold = 0;
    p->bHistBasedSceneCut = 0;
  }
  p->rc.qgSize = 16;

  if (!apply_options (x, c->option_string, error))
    return FALSE;
  p->rc.qgSize = CLAMP (p->rc.qgSize, p->minCUSize, p->maxCUSize);
  if (p->bframes > 0 && p->lookaheadDepth <= p->bframes) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
        "x265 needs a lookahead deeper than its %d B-frames, and has %d "
        "(zerolatency has none): lower b-frames or set rc-lookahead in the "
        "option string", p->bframes, p->lookaheadDepth);
    return FALSE;
  }
  if (x->api->param_apply_profile (p, profile) < 0) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
        "x265 cannot encode %s input in profile %s with these settings",
        GST_VIDEO_INFO_NAME (info), c->profile);
    return FALSE;
  }

  x->x265 = x->api->encoder_open (p);
  if (!x->x265) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "x265 failed to open a %dx%d %d-bit %s encoder (option-string "
        "values are checked here: see x265's log)", w, h, depth,
        GST_VIDEO_INFO_NAME (info));
    return FALSE;
  }
  /* x265 adjusts parameters when opening (tools, AQ, QG size, threads,
   * repeat-headers with HDR). */
  free_strings (x, p);
  x->api->encoder_parameters (x->x265, p);
  x->strip_headers = !c->annexb && !c->repeat_headers && p->bRepeatHeaders;
  if (!c->annexb && !make_codec_data (x, error))
    return FALSE;

  x->pic = x->api->picture_alloc ();
  x->pic_out = x->api->picture_alloc ();
  if (x->convert != CONVERT_NONE) {
    const gsize bytes = x->convert == CONVERT_P010 ? 2 : 1;
    x->luma_samples = x->convert == CONVERT_P010 ? w * (gsize) h : 0;
    x->chroma_samples = (gsize) (w / 2) * (h / 2);
    x->planar = g_malloc (bytes * (x->luma_samples + 2 * x->chroma_samples));
  }

  /* x265 takes one offset per 16x16 block, per 8x8 with qg-size 8; its
   * grid covers the picture padded to whole blocks. */
  x->use_offsets = p->rc.aqMode != X265_AQ_NONE &&
      p->rc.rateControlMode != X265_RC_CQP;
  x->block = p->rc.qgSize == 8 ? 8 : 16;
  x->blocks_w = (w + 15) / 16 * (16 / x->block);
  x->blocks_h = (h + 15) / 16 * (16 / x->block);
  x->offsets = g_new0 (gfloat, (gsize) x->blocks_w * x->blocks_h);
  x->offsets_zero = TRUE;
  return TRUE;
}

static void
set_planes (X265 * x, x265_picture * pic, const GstVideoFrame * frame)
{
  const gint w = x->param->sourceWidth, h = x->param->sourceHeight;
  const gint cw = w / 2, ch = h / 2;

  pic->bitDepth = x->input_depth;
  pic->colorSpace = x->param->internalCsp;
  if (x->convert == CONVERT_NONE) {
    for (guint i = 0; i < 3; i++) {
      pic->planes[i] = GST_VIDEO_FRAME_PLANE_DATA (frame, i);
      pic->stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, i);
    }
    return;
  }

  if (x->convert == CONVERT_NV12) {
    guint8 *u = x->planar, *v = u + x->chroma_samples;
    for (gint y = 0; y < ch; y++)
      est_pixfmt_deinterleave8 ((const guint8 *)
          GST_VIDEO_FRAME_PLANE_DATA (frame, 1) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 1), u + y * cw, v + y * cw,
          cw);
    pic->planes[0] = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
    pic->stride[0] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
    pic->planes[1] = u;
    pic->planes[2] = v;
    pic->stride[1] = pic->stride[2] = cw;
    return;
  }

  /* P010: MSB-aligned 10-bit samples to the values themselves. */
  {
    guint16 *luma = x->planar, *u = luma + x->luma_samples,
        *v = u + x->chroma_samples;
    for (gint y = 0; y < h; y++)
      est_pixfmt_shift16 ((const guint16 *) ((const guint8 *)
              GST_VIDEO_FRAME_PLANE_DATA (frame, 0) +
              y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0)), luma + y * w, w, 6);
    for (gint y = 0; y < ch; y++)
      est_pixfmt_deinterleave16 ((const guint16 *) ((const guint8 *)
              GST_VIDEO_FRAME_PLANE_DATA (frame, 1) +
              y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 1)), u + y * cw,
          v + y * cw, cw, 6);
    pic->planes[0] = luma;
    pic->planes[1] = u;
    pic->planes[2] = v;
    pic->stride[0] = w * 2;
    pic->stride[1] = pic->stride[2] = cw * 2;
  }
}

static gboolean
is_parameter_set (const x265_nal * nal)
{
  return nal->type == NAL_UNIT_VPS || nal->type == NAL_UNIT_SPS ||
      nal->type == NAL_UNIT_PPS;
}

static gboolean
push_output (EstEncoder * enc, X265 * x, const x265_nal * nals,
    uint32_t n_nals, const x265_picture * out, GError ** error)
{
  const InFlight *f = out->userData;
  gsize size = 0, kept = 0;
  gboolean keyframe = FALSE;
  GstClockTime dts;
  GstBuffer *buf;

  if (n_nals == 0)
    return TRUE;
  if (!f || f->pts != (GstClockTime) out->pts) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "x265 returned a picture the backend did not give it (pts %"
        G_GINT64_FORMAT ")", (gint64) out->pts);
    return FALSE;
  }
  /* x265 lays the NAL units out back to back. IRAP pictures (BLA, IDR,
   * CRA) are the random access points. */
  for (uint32_t i = 0; i < n_nals; i++) {
    size += nals[i].sizeBytes;
    if (!x->strip_headers || !is_parameter_set (&nals[i]))
      kept += nals[i].sizeBytes;
    if (nals[i].type >= NAL_UNIT_CODED_SLICE_BLA_W_LP &&
        nals[i].type <= NAL_UNIT_CODED_SLICE_CRA)
      keyframe = TRUE;
  }
  if (kept == size) {
    buf = gst_buffer_new_memdup (nals[0].payload, size);
  } else {
    GstMapInfo m;
    gsize off = 0;

    buf = gst_buffer_new_allocate (NULL, kept, NULL);
    gst_buffer_map (buf, &m, GST_MAP_WRITE);
    for (uint32_t i = 0; i < n_nals; i++) {
      if (is_parameter_set (&nals[i]))
        continue;
      memcpy (m.data + off, nals[i].payload, nals[i].sizeBytes);
      off += nals[i].sizeBytes;
    }
    gst_buffer_unmap (buf, &m);
  }
  /* x265's DTS is an earlier frame's PTS, or before the first PTS while
   * B-frames delay output: kept within [last DTS, PTS] and above 0. */
  dts = out->dts < 0 ? 0 : (GstClockTime) out->dts;
  dts = CLAMP (dts, x->last_dts, f->pts);
  x->last_dts = dts;
  est_encoder_push_packet (enc, buf, f->frame_id, f->pts, dts, keyframe);
  return TRUE;
}

static gboolean
x265_encode (EstEncoder * enc, const GstVideoFrame * frame, guint64 frame_id,
    GstClockTime pts, const EstEncodeParams * params, GError ** error)
{
  X265 *x = enc->priv;
  x265_picture *pic = x->pic;
  x265_nal *nals = NULL;
  uint32_t n_nals = 0;
  InFlight *slot;
  gint qp = params->qp > 0 ? params->qp : x->frame_qp;
  int r;

  if (x->draining) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
        "The x265 session was drained: open a new one to encode more");
    return FALSE;
  }
  if (!GST_CLOCK_TIME_IS_VALID (pts) || pts > G_MAXINT64) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_INVALID,
        "Frame %" G_GUINT64_FORMAT " has no valid PTS", frame_id);
    return FALSE;
  }
  x->api->picture_init (x->param, pic);
  set_planes (x, pic, frame);
  pic->pts = (int64_t) pts;
  slot = &x->ring[x->n_in++ % RING_SIZE];
  slot->frame_id = frame_id;
  slot->pts = pts;
  pic->userData = slot;
  pic->sliceType = params->force_keyframe || params->keyframe_hint ?
      X265_TYPE_IDR : X265_TYPE_AUTO;

  if (est_encoder_block_offsets (params, x->block, x->blocks_w, x->blocks_h,
          x->offsets)) {
    if (!x->use_offsets) {
      gboolean cqp = x->param->rc.rateControlMode == X265_RC_CQP;
      if (!cqp || params->qp_map || params->n_rois > 0) {
        g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
            "x265 ignores per-block QP offsets (QP map, ROI) %s", cqp ?
            "in cqp mode: use crf, or a per-frame qp" :
            "without adaptive quantisation (aq-mode=0 in the option string)");
        return FALSE;
      }
      /* cqp: a frame offset moves the forced QP. */
      qp = (qp > 0 ? qp : x->param->rc.qp) +
          (gint) (params->qp_offset + (params->qp_offset < 0 ? -0.5f : 0.5f));
      qp = CLAMP (qp, 1, 51);
    } else {
      x->offsets_zero = FALSE;
    }
  } else if (x->use_offsets && !x->offsets_zero) {
    memset (x->offsets, 0, sizeof (gfloat) * (gsize) x->blocks_w * x->blocks_h);
    x->offsets_zero = TRUE;
  }
  /* x265 copies the offsets in the call. */
  if (x->use_offsets)
    pic->quantOffsets = x->offsets;
  if (qp > 0)
    pic->forceqp = qp + 1;

  r = x->api->encoder_encode (x->x265, &nals, &n_nals, pic, x->pic_out);
  if (r < 0) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "x265 failed to encode frame %" G_GUINT64_FORMAT, frame_id);
    return FALSE;
  }
  return r == 0 || push_output (enc, x, nals, n_nals, x->pic_out, error);
}

static gboolean
x265_drain (EstEncoder * enc, GError ** error)
{
  X265 *x = enc->priv;
  int r;

  x->draining = TRUE;
  for (;;) {
    x265_nal *nals = NULL;
    uint32_t n_nals = 0;

    r = x->api->encoder_encode (x->x265, &nals, &n_nals, NULL, x->pic_out);
    if (r <= 0)
      break;
    if (!push_output (enc, x, nals, n_nals, x->pic_out, error))
      return FALSE;
  }
  if (r < 0) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_FAILED,
        "x265 failed while draining");
    return FALSE;
  }
  return TRUE;
}

/* The rate-control values that matter in the session's mode. */
static gboolean
same_rate (const EstEncoderConfig * a, const EstEncoderConfig * b)
{
  const guint max_a = a->max_bitrate ? a->max_bitrate : a->bitrate;
  const guint max_b = b->max_bitrate ? b->max_bitrate : b->bitrate;

  switch (a->rate_control) {
    case EST_RATE_CONTROL_CBR:
      return a->bitrate == b->bitrate;
    case EST_RATE_CONTROL_VBR:
      return a->bitrate == b->bitrate && max_a == max_b;
    case EST_RATE_CONTROL_CRF:
      return a->crf == b->crf;
    case EST_RATE_CONTROL_CAPPED_CRF:
      return a->crf == b->crf && max_a == max_b;
    case EST_RATE_CONTROL_CQP:
      break;
  }
  return a->qp == b->qp;
}

/* libx265 3.5's x265_encoder_reconfig takes new bitrate, VBV and CRF
 * values, logs them and returns 0, but its rate control keeps its own copy
 * of the parameters it was opened with: nothing changes. So only what the
 * backend does itself is offered: a new QP in cqp mode. */
static gboolean
x265_reconfigure (EstEncoder * enc, const EstEncoderConfig * c, GError ** error)
{
  X265 *x = enc->priv;

  if (c->rate_control != enc->config.rate_control) {
    g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
        "x265 cannot switch rate-control mode while running");
    return FALSE;
  }
  if (same_rate (c, &enc->config))
    return TRUE;
  if (c->rate_control == EST_RATE_CONTROL_CQP) {
    x->frame_qp = c->qp == x->param->rc.qp ? 0 : c->qp;
    return TRUE;
  }
  g_set_error (error, EST_ENCODER_ERROR, EST_ENCODER_ERROR_UNSUPPORTED,
      "x265 %s cannot change %s while running (its rate control ignores "
      "x265_encoder_reconfig): open a new encoder for the new value",
      x->api->version_str, c->rate_control == EST_RATE_CONTROL_CRF ? "the crf"
      : c->rate_control == EST_RATE_CONTROL_CAPPED_CRF ?
      "the crf or max-bitrate" : "the bitrate");
  return FALSE;
}

static GstBuffer *
x265_get_codec_data (EstEncoder * enc)
{
  X265 *x = enc->priv;
  return x->codec_data ? gst_buffer_ref (x->codec_data) : NULL;
}

/* Frames in before the first packet, as measured with x265 3.5: the
 * lookahead fills (its depth, the B-frames and two more) before x265
 * decides frame types, then each frame thread holds one. Without
 * lookahead, B-frames and frame parallelism x265 returns each frame from
 * its own call. */
static guint
x265_get_delay (EstEncoder * enc)
{
  X265 *x = enc->priv;
  const x265_param *p = x->param;

  if (p->lookaheadDepth == 0 && p->bframes == 0 && p->frameNumThreads == 1)
    return 0;
  return (guint) ((p->lookaheadDepth > 0 ? p->lookaheadDepth + p->bframes +
          2 : 0) + p->frameNumThreads);
}

static void
x265_close (EstEncoder * enc)
{
  X265 *x = enc->priv;

  if (!x)
    return;
  if (x->x265)
    x->api->encoder_close (x->x265);
  if (x->pic)
    x->api->picture_free (x->pic);
  if (x->pic_out)
    x->api->picture_free (x->pic_out);
  if (x->param) {
    free_strings (x, x->param);
    x->api->param_free (x->param);
  }
  gst_clear_buffer (&x->codec_data);
  g_free (x->planar);
  g_free (x->offsets);
  g_free (x->pools);
  g_free (x->master_display);
  g_free (x);
  enc->priv = NULL;
}

const EstEncoderBackend est_x265_encoder_backend = {
  .name = "x265",
  .codec = EST_CODEC_H265,
  .open = x265_open,
  .encode = x265_encode,
  .drain = x265_drain,
  .reconfigure = x265_reconfigure,
  .get_codec_data = x265_get_codec_data,
  .get_delay = x265_get_delay,
  .close = x265_close,
};
