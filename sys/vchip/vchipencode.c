/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The encode engine of the virtual accelerator: H.264 on x264 and HEVC on
 * x265, behind VAEntrypointEncSlice.
 *
 *   vaRenderPicture: sequence, picture, slice and misc parameters (copied)
 *   vaEndPicture:    render target (NV12 or P010) -> library picture with
 *                    frame type, QP and per-block offsets
 *                 -> x264 / x265, zero latency: one picture in, its NAL
 *                    units out -> the coded buffer's one segment
 *
 * What the chip reports and does, so that stock VA clients drive it:
 * - One L0 reference and no L1: clients code I and P pictures only.
 * - No packed headers (VAConfigAttribEncPackedHeaders is 0): the library
 *   writes parameter sets itself, before every IDR picture.
 * - The coded picture size is the sequence's cropped size (H.264 frame
 *   cropping), or for HEVC the smaller of the sequence's size and the
 *   input surface's: VA's HEVC sequence carries no conformance window.
 * - Frame types follow the picture parameters (IDR, I, P); the library
 *   never decides one itself.
 * - CQP: the frame QP is pic_init_qp + slice_qp_delta, forced on every
 *   picture. The libraries apply per-block offsets (ROI) only with
 *   adaptive quantisation on, which both turn off in their own constant-QP
 *   modes, so CQP is emulated: CRF mode with AQ at a strength of 0.001
 *   (too small to move a QP) and the frame QP forced. ROI thus works in
 *   CQP as in CBR and VBR.
 * - CBR: average bitrate with a VBV whose maximum rate is the bitrate;
 *   VBR: average bitrate target_percentage of the maximum, VBV at the
 *   maximum. The VBV size comes from the HRD parameters (default one
 *   second). x264 applies new rates with x264_encoder_reconfig; libx265
 *   3.5 ignores new rates there, so x265 reopens at the next IDR.
 * - ROI (VAEncMiscParameterBufferROI): up to 8 rectangles with QP deltas,
 *   the first listed wins where they overlap, clamped to the buffer's
 *   delta range, applied per 16x16 block.
 * - The coded segment's status carries the average QP of the picture;
 *   a bitstream larger than the coded buffer is cut and flagged with
 *   VA_CODED_BUF_STATUS_SLICE_OVERFLOW_MASK. */

#include "vchip.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef EST_HAVE_X264
#include <x264.h>
#endif
#ifdef EST_HAVE_X265
#include <x265.h>
#endif

#define MAX_ROI 8
#define AQ_STRENGTH_FOR_OFFSETS 0.001f

typedef struct Rate
{
  uint32_t rc_mode;
  uint32_t bits_per_second, target_percentage;
  uint32_t hrd_buffer;          /* bits, 0: one second */
  uint32_t fps_num, fps_den;
} Rate;

struct EstVchipEncoder
{
  EstVchipConfig config;
  int hevc;

  /* The current picture's parameters, as rendered. The sequence stays
   * from picture to picture until a new one comes. */
  int have_seq, have_pic, have_slice;
  union
  {
    VAEncSequenceParameterBufferH264 h264;
    VAEncSequenceParameterBufferHEVC hevc;
  } seq;
  union
  {
    VAEncPictureParameterBufferH264 h264;
    VAEncPictureParameterBufferHEVC hevc;
  } pic;
  int slice_type;               /* 0 P, 1 B, 2 I (H.264 numbering) */
  int slice_qp_delta;
  Rate rate;                    /* from the sequence and misc buffers */
  int n_roi;
  VAEncROI roi[MAX_ROI];
  int roi_min, roi_max;

  /* The library's view. */
  int width, height;
  Rate open_rate;
  float *offsets;               /* per 16x16 block */
  int blocks_w, blocks_h;
  int64_t pts;
#ifdef EST_HAVE_X264
  x264_t *x264;
#endif
#ifdef EST_HAVE_X265
  const x265_api *api;
  x265_param *param;
  x265_encoder *x265;
  x265_picture *xpic;
  uint16_t *planar;             /* x265 reads planar input */
#endif
};

/* --- Profiles and attributes ---------------------------------------------- */

static int
is_h264 (VAProfile p)
{
  return p == VAProfileH264ConstrainedBaseline || p == VAProfileH264Main ||
      p == VAProfileH264High;
}

static int
is_hevc (VAProfile p)
{
  return p == VAProfileHEVCMain || p == VAProfileHEVCMain10;
}

int
est_vchip_encode_profile (VAProfile profile)
{
#ifdef EST_HAVE_X264
  if (is_h264 (profile))
    return 1;
#endif
#ifdef EST_HAVE_X265
  if (is_hevc (profile))
    return 1;
#endif
  return 0;
}

void
est_vchip_encode_attributes (VAProfile profile, VAConfigAttrib * a, int n)
{
  for (int i = 0; i < n; i++) {
    switch (a[i].type) {
      case VAConfigAttribRTFormat:
        a[i].value = profile == VAProfileHEVCMain10 ?
            VA_RT_FORMAT_YUV420_10 : VA_RT_FORMAT_YUV420;
        break;
      case VAConfigAttribRateControl:
        a[i].value = VA_RC_CQP | VA_RC_CBR | VA_RC_VBR;
        break;
      case VAConfigAttribEncPackedHeaders:
        a[i].value = VA_ENC_PACKED_HEADER_NONE;
        break;
      case VAConfigAttribEncMaxRefFrames:
        a[i].value = 1;         /* one L0 in bits 0-15, no L1 in 16-31 */
        break;
      case VAConfigAttribEncMaxSlices:
        a[i].value = 1;
        break;
      case VAConfigAttribEncSliceStructure:
        a[i].value = VA_ENC_SLICE_STRUCTURE_ARBITRARY_MACROBLOCKS;
        break;
      case VAConfigAttribEncQualityRange:
        a[i].value = 1;
        break;
      case VAConfigAttribEncROI:{
        VAConfigAttribValEncROI roi = { 0 };
        roi.bits.num_roi_regions = MAX_ROI;
        roi.bits.roi_rc_qp_delta_support = 1;
        a[i].value = roi.value;
        break;
      }
      case VAConfigAttribMaxPictureWidth:
      case VAConfigAttribMaxPictureHeight:
        a[i].value = EST_VCHIP_MAX_SIZE;
        break;
      default:
        a[i].value = VA_ATTRIB_NOT_SUPPORTED;
        break;
    }
  }
}

/* --- Parameters ----------------------------------------------------------- */

EstVchipEncoder *
est_vchip_encoder_new (const EstVchipConfig * config)
{
  EstVchipEncoder *e = calloc (1, sizeof (*e));

  if (!e)
    return NULL;
  e->config = *config;
  e->hevc = is_hevc (config->profile);
  e->rate.rc_mode = config->rc_mode;
  return e;
}

static void
close_library (EstVchipEncoder * e)
{
#ifdef EST_HAVE_X264
  if (e->x264)
    x264_encoder_close (e->x264);
  e->x264 = NULL;
#endif
#ifdef EST_HAVE_X265
  if (e->x265)
    e->api->encoder_close (e->x265);
  if (e->xpic)
    e->api->picture_free (e->xpic);
  if (e->param)
    e->api->param_free (e->param);
  free (e->planar);
  e->x265 = NULL;
  e->xpic = NULL;
  e->param = NULL;
  e->planar = NULL;
#endif
  free (e->offsets);
  e->offsets = NULL;
  e->width = e->height = 0;
}

void
est_vchip_encoder_free (EstVchipEncoder * e)
{
  if (e) {
    close_library (e);
    free (e);
  }
}

static VAStatus
render_misc (EstVchipEncoder * e, const EstVchipBuffer * b)
{
  size_t total = (size_t) b->size * b->n_elements, need;
  const VAEncMiscParameterBuffer *m = (const void *) b->data;
  /* The body starts 4 bytes in, too far for its 8-byte members: copied. */
  union
  {
    VAEncMiscParameterRateControl rc;
    VAEncMiscParameterFrameRate fr;
    VAEncMiscParameterHRD hrd;
    VAEncMiscParameterBufferROI roi;
  } u;

  if (total < sizeof (*m))
    return VA_STATUS_ERROR_INVALID_BUFFER;
  switch (m->type) {
    case VAEncMiscParameterTypeRateControl:
      need = sizeof (u.rc);
      break;
    case VAEncMiscParameterTypeFrameRate:
      need = sizeof (u.fr);
      break;
    case VAEncMiscParameterTypeHRD:
      need = sizeof (u.hrd);
      break;
    case VAEncMiscParameterTypeROI:
      need = sizeof (u.roi);
      break;
    default:
      /* quality level, max frame size and the like: accepted, the model
       * has no use for them */
      return VA_STATUS_SUCCESS;
  }
  if (total - sizeof (*m) < need)
    return VA_STATUS_ERROR_INVALID_BUFFER;
  memcpy (&u, m->data, need);

  switch (m->type) {
    case VAEncMiscParameterTypeRateControl:
      e->rate.bits_per_second = u.rc.bits_per_second;
      e->rate.target_percentage = u.rc.target_percentage;
      break;
    case VAEncMiscParameterTypeFrameRate:
      /* numerator in the low 16 bits and denominator in the high, or an
       * integer rate when the high half is 0 */
      e->rate.fps_num = u.fr.framerate & 0xffff;
      e->rate.fps_den = u.fr.framerate >> 16;
      if (!e->rate.fps_den) {
        e->rate.fps_num = u.fr.framerate;
        e->rate.fps_den = 1;
      }
      break;
    case VAEncMiscParameterTypeHRD:
      e->rate.hrd_buffer = u.hrd.buffer_size;
      break;
    default:                   /* ROI */
      if (u.roi.num_roi > MAX_ROI || (u.roi.num_roi && !u.roi.roi))
        return VA_STATUS_ERROR_INVALID_PARAMETER;
      e->n_roi = (int) u.roi.num_roi;
      if (e->n_roi)
        memcpy (e->roi, u.roi.roi, e->n_roi * sizeof (*e->roi));
      e->roi_min = u.roi.min_delta_qp;
      e->roi_max = u.roi.max_delta_qp;
      if (e->roi_min == 0 && e->roi_max == 0) {
        e->roi_min = -51;
        e->roi_max = 51;
      }
      break;
  }
  return VA_STATUS_SUCCESS;
}

VAStatus
est_vchip_encoder_render (EstVchipEncoder * e, const EstVchipBuffer * b)
{
  size_t total = (size_t) b->size * b->n_elements;

  switch (b->type) {
    case VAEncSequenceParameterBufferType:
      if (total < (e->hevc ? sizeof (e->seq.hevc) : sizeof (e->seq.h264)))
        return VA_STATUS_ERROR_INVALID_BUFFER;
      memcpy (&e->seq, b->data, e->hevc ? sizeof (e->seq.hevc) :
          sizeof (e->seq.h264));
      e->have_seq = 1;
      if (e->hevc) {
        e->rate.bits_per_second = e->seq.hevc.bits_per_second;
        if (e->seq.hevc.vui_time_scale && e->seq.hevc.vui_num_units_in_tick) {
          e->rate.fps_num = e->seq.hevc.vui_time_scale;
          e->rate.fps_den = e->seq.hevc.vui_num_units_in_tick;
        }
      } else {
        e->rate.bits_per_second = e->seq.h264.bits_per_second;
        if (e->seq.h264.time_scale && e->seq.h264.num_units_in_tick) {
          /* H.264 ticks are fields */
          e->rate.fps_num = e->seq.h264.time_scale;
          e->rate.fps_den = 2 * e->seq.h264.num_units_in_tick;
        }
      }
      return VA_STATUS_SUCCESS;
    case VAEncPictureParameterBufferType:
      if (total < (e->hevc ? sizeof (e->pic.hevc) : sizeof (e->pic.h264)))
        return VA_STATUS_ERROR_INVALID_BUFFER;
      memcpy (&e->pic, b->data, e->hevc ? sizeof (e->pic.hevc) :
          sizeof (e->pic.h264));
      e->have_pic = 1;
      e->have_slice = 0;
      /* ROI is per picture */
      e->n_roi = 0;
      return VA_STATUS_SUCCESS;
    case VAEncSliceParameterBufferType:
      if (e->hevc) {
        const VAEncSliceParameterBufferHEVC *s = (const void *) b->data;
        if (total < sizeof (*s))
          return VA_STATUS_ERROR_INVALID_BUFFER;
        /* HEVC numbers slice types B 0, P 1, I 2 */
        if (!e->have_slice) {
          e->slice_type = s->slice_type == 2 ? 2 : s->slice_type == 1 ? 0 : 1;
          e->slice_qp_delta = s->slice_qp_delta;
        }
      } else {
        const VAEncSliceParameterBufferH264 *s = (const void *) b->data;
        if (total < sizeof (*s))
          return VA_STATUS_ERROR_INVALID_BUFFER;
        if (!e->have_slice) {
          e->slice_type = s->slice_type % 5;
          e->slice_qp_delta = s->slice_qp_delta;
        }
      }
      e->have_slice = 1;
      return VA_STATUS_SUCCESS;
    case VAEncMiscParameterBufferType:
      return render_misc (e, b);
    default:
      return VA_STATUS_ERROR_UNSUPPORTED_BUFFERTYPE;
  }
}

VABufferID
est_vchip_encoder_coded_buffer (EstVchipEncoder * e)
{
  if (!e->have_pic)
    return VA_INVALID_ID;
  return e->hevc ? e->pic.hevc.coded_buf : e->pic.h264.coded_buf;
}

/* The coded size the sequence asks for, before clipping to the input; 0
 * when the cropping leaves nothing. */
static void
sequence_size (const EstVchipEncoder * e, int *w, int *h)
{
  if (e->hevc) {
    *w = e->seq.hevc.pic_width_in_luma_samples;
    *h = e->seq.hevc.pic_height_in_luma_samples;
    return;
  }
  const VAEncSequenceParameterBufferH264 *s = &e->seq.h264;
  int64_t cw = s->picture_width_in_mbs * 16, ch = s->picture_height_in_mbs * 16;
  if (s->frame_cropping_flag) {
    /* 4:2:0 frames: crop units of two samples */
    cw -= 2 * ((int64_t) s->frame_crop_left_offset +
        s->frame_crop_right_offset);
    ch -= 2 * ((int64_t) s->frame_crop_top_offset +
        s->frame_crop_bottom_offset);
  }
  *w = cw > 0 ? (int) cw : 0;
  *h = ch > 0 ? (int) ch : 0;
}

static int
picture_qp (const EstVchipEncoder * e)
{
  int qp = (e->hevc ? e->pic.hevc.pic_init_qp : e->pic.h264.pic_init_qp) +
      e->slice_qp_delta;
  return qp < 0 ? 0 : qp > 51 ? 51 : qp;
}

static int
picture_idr (const EstVchipEncoder * e)
{
  return e->hevc ? e->pic.hevc.pic_fields.bits.idr_pic_flag :
      e->pic.h264.pic_fields.bits.idr_pic_flag;
}

VAStatus
est_vchip_encoder_check (EstVchipEncoder * e, const EstVchipSurface * input)
{
  int w, h;
  uint32_t want = e->config.profile == VAProfileHEVCMain10 ?
      VA_FOURCC_P010 : VA_FOURCC_NV12;

  if (!e->have_seq || !e->have_pic)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  if (input->format->fourcc != want)
    return VA_STATUS_ERROR_INVALID_SURFACE;
  sequence_size (e, &w, &h);
  if (e->hevc) {
    w = w < input->width ? w : input->width;
    h = h < input->height ? h : input->height;
  }
  /* whole chroma samples, and at least a macroblock's worth for x264 */
  if (w < 16 || h < 16 || w > EST_VCHIP_MAX_SIZE || h > EST_VCHIP_MAX_SIZE ||
      (w | h) & 1 || w > input->width || h > input->height)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  if (e->rate.rc_mode != VA_RC_CQP && e->rate.bits_per_second < 1000)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  return VA_STATUS_SUCCESS;
}

/* Per-block QP offsets from the ROI list; 0 when there is none. */
static int
fill_offsets (EstVchipEncoder * e)
{
  if (!e->n_roi)
    return 0;
  for (int by = 0; by < e->blocks_h; by++) {
    for (int bx = 0; bx < e->blocks_w; bx++) {
      int cx = bx * 16 + 8, cy = by * 16 + 8;
      float v = 0.0f;
      for (int i = 0; i < e->n_roi; i++) {
        const VARectangle *r = &e->roi[i].roi_rectangle;
        if (cx >= r->x && cx < r->x + r->width && cy >= r->y &&
            cy < r->y + r->height) {
          int d = e->roi[i].roi_value;
          v = (float) (d < e->roi_min ? e->roi_min :
              d > e->roi_max ? e->roi_max : d);
          break;
        }
      }
      e->offsets[by * e->blocks_w + bx] = v;
    }
  }
  return 1;
}

/* Writes n NAL payloads into the coded buffer's segment. */
static void
write_segment (EstVchipBuffer * coded, const uint8_t * const *nal,
    const size_t *size, int n, int qp)
{
  VACodedBufferSegment *seg = &coded->segment;
  size_t pos = 0;

  seg->status = (uint32_t) (qp & VA_CODED_BUF_STATUS_PICTURE_AVE_QP_MASK);
  for (int i = 0; i < n; i++) {
    size_t take = size[i];
    if (pos + take > coded->capacity) {
      take = coded->capacity - pos;
      seg->status |= VA_CODED_BUF_STATUS_SLICE_OVERFLOW_MASK;
    }
    memcpy (coded->data + pos, nal[i], take);
    pos += take;
  }
  seg->size = (uint32_t) pos;
  seg->bit_offset = 0;
  seg->buf = coded->data;
  seg->next = NULL;
}

static int
same_rate (const Rate * a, const Rate * b)
{
  return a->rc_mode == b->rc_mode && a->bits_per_second == b->bits_per_second
      && a->target_percentage == b->target_percentage &&
      a->hrd_buffer == b->hrd_buffer;
}

/* Average and maximum rate in kbit/s, VBV size in kbit. */
static void
rate_kbps (const Rate * r, int *avg, int *max, int *vbv)
{
  int pct = r->target_percentage ? (int) r->target_percentage : 100;
  *max = (int) (r->bits_per_second / 1000);
  *avg = r->rc_mode == VA_RC_VBR ? *max * (pct > 100 ? 100 : pct) / 100 : *max;
  *vbv = r->hrd_buffer ? (int) (r->hrd_buffer / 1000) : *max;
  if (*avg < 1)
    *avg = 1;
}

/* --- x264 ----------------------------------------------------------------- */

#ifdef EST_HAVE_X264
static void
x264_rate (x264_param_t * p, const Rate * r)
{
  int avg, max, vbv;

  if (r->rc_mode == VA_RC_CQP) {
    p->rc.i_rc_method = X264_RC_CRF;
    p->rc.f_rf_constant = 23;
    p->rc.i_vbv_max_bitrate = p->rc.i_vbv_buffer_size = 0;
    return;
  }
  rate_kbps (r, &avg, &max, &vbv);
  p->rc.i_rc_method = X264_RC_ABR;
  p->rc.i_bitrate = avg;
  p->rc.i_vbv_max_bitrate = max;
  p->rc.i_vbv_buffer_size = vbv;
}

static VAStatus
x264_open (EstVchipEncoder * e)
{
  static const char *const profiles[] = { "baseline", "main", "high" };
  x264_param_t p;
  int prof = e->config.profile == VAProfileH264High ? 2 :
      e->config.profile == VAProfileH264Main ? 1 : 0;

  if (x264_param_default_preset (&p, "veryfast", "zerolatency") < 0)
    return VA_STATUS_ERROR_OPERATION_FAILED;
  p.i_log_level = X264_LOG_ERROR;
  p.i_csp = X264_CSP_NV12;
  p.i_width = e->width;
  p.i_height = e->height;
  p.i_fps_num = e->rate.fps_num ? e->rate.fps_num : 30;
  p.i_fps_den = e->rate.fps_den ? e->rate.fps_den : 1;
  p.i_timebase_num = p.i_fps_den;
  p.i_timebase_den = p.i_fps_num;
  p.i_frame_reference = 1;
  p.i_bframe = 0;
  p.i_keyint_max = X264_KEYINT_MAX_INFINITE;
  p.i_scenecut_threshold = 0;
  p.b_repeat_headers = 1;
  p.b_annexb = 1;
  p.i_level_idc = e->seq.h264.level_idc ? e->seq.h264.level_idc : -1;
  p.rc.i_aq_mode = X264_AQ_VARIANCE;
  if (e->rate.rc_mode == VA_RC_CQP)
    p.rc.f_aq_strength = AQ_STRENGTH_FOR_OFFSETS;
  p.rc.b_mb_tree = 0;
  x264_rate (&p, &e->rate);
  if (x264_param_apply_profile (&p, profiles[prof]) < 0)
    return VA_STATUS_ERROR_OPERATION_FAILED;
  e->x264 = x264_encoder_open (&p);
  return e->x264 ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_OPERATION_FAILED;
}

static VAStatus
x264_run (EstVchipEncoder * e, const EstVchipSurface * in,
    EstVchipBuffer * coded)
{
  x264_picture_t pic, out;
  x264_nal_t *nals;
  int n_nals;
  const uint8_t *payload[64];
  size_t size[64];

  if (!same_rate (&e->rate, &e->open_rate)) {
    x264_param_t p;
    x264_encoder_parameters (e->x264, &p);
    x264_rate (&p, &e->rate);
    if (x264_encoder_reconfig (e->x264, &p) < 0)
      return VA_STATUS_ERROR_INVALID_PARAMETER;
    e->open_rate = e->rate;
  }
  x264_picture_init (&pic);
  pic.img.i_csp = X264_CSP_NV12;
  pic.img.i_plane = 2;
  for (int p = 0; p < 2; p++) {
    pic.img.plane[p] = in->base + in->offset[p];
    pic.img.i_stride[p] = (int) in->pitch[p];
  }
  pic.i_pts = e->pts++;
  pic.i_type = picture_idr (e) ? X264_TYPE_IDR :
      e->slice_type == 2 ? X264_TYPE_I : X264_TYPE_P;
  if (e->rate.rc_mode == VA_RC_CQP)
    pic.i_qpplus1 = picture_qp (e) + 1;
  if (fill_offsets (e))
    pic.prop.quant_offsets = e->offsets;
  if (x264_encoder_encode (e->x264, &nals, &n_nals, &pic, &out) < 0)
    return VA_STATUS_ERROR_ENCODING_ERROR;
  if (n_nals > 64)
    return VA_STATUS_ERROR_ENCODING_ERROR;
  for (int i = 0; i < n_nals; i++) {
    payload[i] = nals[i].p_payload;
    size[i] = (size_t) nals[i].i_payload;
  }
  write_segment (coded, payload, size, n_nals, out.i_qpplus1 - 1);
  return VA_STATUS_SUCCESS;
}
#endif

/* --- x265 ----------------------------------------------------------------- */

#ifdef EST_HAVE_X265
static void
x265_rate (x265_param * p, const Rate * r)
{
  int avg, max, vbv;

  if (r->rc_mode == VA_RC_CQP) {
    p->rc.rateControlMode = X265_RC_CRF;
    p->rc.rfConstant = 23;
    return;
  }
  rate_kbps (r, &avg, &max, &vbv);
  p->rc.rateControlMode = X265_RC_ABR;
  p->rc.bitrate = avg;
  p->rc.vbvMaxBitrate = max;
  p->rc.vbvBufferSize = vbv;
  p->rc.bStrictCbr = r->rc_mode == VA_RC_CBR;
}

static VAStatus
x265_open (EstVchipEncoder * e)
{
  int depth = e->config.profile == VAProfileHEVCMain10 ? 10 : 8;
  x265_param *p;

  e->api = x265_api_get (depth);
  if (!e->api || e->api->sizeof_param != (int) sizeof (x265_param) ||
      e->api->sizeof_picture != (int) sizeof (x265_picture))
    return VA_STATUS_ERROR_OPERATION_FAILED;
  p = e->param = e->api->param_alloc ();
  if (!p || e->api->param_default_preset (p, "veryfast", "zerolatency") < 0)
    return VA_STATUS_ERROR_OPERATION_FAILED;
  p->logLevel = X265_LOG_ERROR;
  p->internalCsp = X265_CSP_I420;
  p->sourceWidth = e->width;
  p->sourceHeight = e->height;
  p->fpsNum = e->rate.fps_num ? e->rate.fps_num : 30;
  p->fpsDenom = e->rate.fps_den ? e->rate.fps_den : 1;
  p->maxNumReferences = 1;
  p->bframes = 0;
  p->keyframeMax = 1 << 30;     /* IDR pictures come from the client */
  p->scenecutThreshold = 0;
  p->bOpenGOP = 0;              /* forced key frames are IDR, not CRA */
  p->bRepeatHeaders = 1;
  p->bAnnexB = 1;
  p->bEmitInfoSEI = 0;
  p->frameNumThreads = 1;
  p->rc.qgSize = 16;
  p->rc.aqMode = X265_AQ_VARIANCE;
  if (e->rate.rc_mode == VA_RC_CQP || p->rc.aqStrength <= 0.0)
    p->rc.aqStrength = AQ_STRENGTH_FOR_OFFSETS;
  p->rc.cuTree = 0;
  x265_rate (p, &e->rate);
  if (e->api->param_apply_profile (p, depth == 10 ? "main10" : "main") < 0)
    return VA_STATUS_ERROR_OPERATION_FAILED;
  e->x265 = e->api->encoder_open (p);
  e->xpic = e->api->picture_alloc ();
  e->planar = malloc ((size_t) e->width * e->height * 3 / 2 *
      sizeof (uint16_t));
  if (!e->x265 || !e->xpic || !e->planar)
    return VA_STATUS_ERROR_OPERATION_FAILED;
  e->api->picture_init (p, e->xpic);
  return VA_STATUS_SUCCESS;
}

/* NV12 or P010 to the planar picture x265 reads (8-bit bytes, or 10-bit
 * samples in 16-bit words). */
static void
x265_input (EstVchipEncoder * e, const EstVchipSurface * in)
{
  int w = e->width, h = e->height, cw = w / 2, ch = h / 2;
  int ten = in->format->fourcc == VA_FOURCC_P010;
  uint8_t *y8 = (uint8_t *) e->planar, *u8 = y8 + w * h, *v8 = u8 + cw * ch;
  uint16_t *y16 = e->planar, *u16 = y16 + w * h, *v16 = u16 + cw * ch;
  const uint8_t *luma = in->base + in->offset[0];
  const uint8_t *chroma = in->base + in->offset[1];

  for (int y = 0; y < h; y++) {
    const uint8_t *row = luma + (size_t) y * in->pitch[0];
    if (ten)
      for (int x = 0; x < w; x++)
        y16[y * w + x] = ((const uint16_t *) row)[x] >> 6;
    else
      memcpy (y8 + y * w, row, w);
  }
  for (int y = 0; y < ch; y++) {
    const uint8_t *row = chroma + (size_t) y * in->pitch[1];
    for (int x = 0; x < cw; x++) {
      if (ten) {
        u16[y * cw + x] = ((const uint16_t *) row)[2 * x] >> 6;
        v16[y * cw + x] = ((const uint16_t *) row)[2 * x + 1] >> 6;
      } else {
        u8[y * cw + x] = row[2 * x];
        v8[y * cw + x] = row[2 * x + 1];
      }
    }
  }
  e->xpic->bitDepth = ten ? 10 : 8;
  e->xpic->colorSpace = X265_CSP_I420;
  if (ten) {
    e->xpic->planes[0] = y16;
    e->xpic->planes[1] = u16;
    e->xpic->planes[2] = v16;
    e->xpic->stride[0] = w * 2;
    e->xpic->stride[1] = e->xpic->stride[2] = cw * 2;
  } else {
    e->xpic->planes[0] = y8;
    e->xpic->planes[1] = u8;
    e->xpic->planes[2] = v8;
    e->xpic->stride[0] = w;
    e->xpic->stride[1] = e->xpic->stride[2] = cw;
  }
}

static VAStatus
x265_run (EstVchipEncoder * e, const EstVchipSurface * in,
    EstVchipBuffer * coded)
{
  x265_nal *nals;
  uint32_t n_nals;
  x265_picture out;
  const uint8_t *payload[64];
  size_t size[64];
  int r;

  x265_input (e, in);
  e->xpic->pts = e->pts++;
  e->xpic->sliceType = picture_idr (e) ? X265_TYPE_IDR :
      e->slice_type == 2 ? X265_TYPE_I : X265_TYPE_P;
  e->xpic->forceqp = e->rate.rc_mode == VA_RC_CQP ? picture_qp (e) + 1 : 0;
  /* x265 keeps the offsets array of the first picture that had one in
   * the frames it recycles, so it goes with every picture */
  if (!fill_offsets (e))
    memset (e->offsets, 0, sizeof (float) * e->blocks_w * e->blocks_h);
  e->xpic->quantOffsets = e->offsets;
  e->api->picture_init (e->param, &out);
  r = e->api->encoder_encode (e->x265, &nals, &n_nals, e->xpic, &out);
  if (r < 0 || n_nals > 64)
    return VA_STATUS_ERROR_ENCODING_ERROR;
  if (r == 0)                   /* zero latency: one picture in, one out */
    return VA_STATUS_ERROR_ENCODING_ERROR;
  for (uint32_t i = 0; i < n_nals; i++) {
    payload[i] = nals[i].payload;
    size[i] = nals[i].sizeBytes;
  }
  write_segment (coded, payload, size, (int) n_nals,
      (int) lrint (out.frameData.qp));
  return VA_STATUS_SUCCESS;
}
#endif

/* --- Running -------------------------------------------------------------- */

VAStatus
est_vchip_encoder_run (EstVchipEncoder * e, const EstVchipSurface * input,
    EstVchipBuffer * coded)
{
  int w, h;
  VAStatus st = VA_STATUS_ERROR_UNSUPPORTED_PROFILE;

  /* again: in strict mode the input may have changed since vaEndPicture */
  if ((st = est_vchip_encoder_check (e, input)) != VA_STATUS_SUCCESS)
    return st;
  st = VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
  sequence_size (e, &w, &h);
  if (e->hevc) {
    w = w < input->width ? w : input->width;
    h = h < input->height ? h : input->height;
  }
  /* A new size reopens; so does a new rate for x265, at an IDR picture
   * (libx265 ignores new rates in x265_encoder_reconfig). */
  if (w != e->width || h != e->height ||
      (e->hevc && picture_idr (e) && !same_rate (&e->rate, &e->open_rate)))
    close_library (e);
  if (!e->width) {
    e->width = w;
    e->height = h;
    e->blocks_w = (w + 15) / 16;
    e->blocks_h = (h + 15) / 16;
    e->offsets = calloc ((size_t) e->blocks_w * e->blocks_h, sizeof (float));
    if (!e->offsets) {
      close_library (e);
      return VA_STATUS_ERROR_ALLOCATION_FAILED;
    }
    e->open_rate = e->rate;
#ifdef EST_HAVE_X265
    if (e->hevc)
      st = x265_open (e);
#endif
#ifdef EST_HAVE_X264
    if (!e->hevc)
      st = x264_open (e);
#endif
    if (st != VA_STATUS_SUCCESS) {
      close_library (e);
      return st;
    }
  }
#ifdef EST_HAVE_X265
  if (e->hevc)
    return x265_run (e, input, coded);
#endif
#ifdef EST_HAVE_X264
  if (!e->hevc)
    return x264_run (e, input, coded);
#endif
  return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
}
