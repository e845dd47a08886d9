/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The video-processing engine of the virtual accelerator: one
 * VAProcPipelineParameterBuffer becomes one est_hdr_scale_process ()
 * call, the same code esthdrscale runs on the CPU. With the mapping below,
 * the same conversion on both gives the same output, bit for bit:
 *
 *   VA                                   esthdrscale
 *   VA_FILTER_SCALING_DEFAULT            method=bicubic
 *   VA_FILTER_SCALING_FAST               method=bilinear
 *   VA_FILTER_SCALING_HQ                 method=lanczos taps=3
 *   colour standard / colour properties  colorimetry (H.273 code points)
 *   VA_CHROMA_SITING_HORIZONTAL_LEFT,    chroma-site cosited; unknown,
 *     VERTICAL_TOP                         centre and bottom are centred
 *   HDR tone-mapping filter              source-peak from its MaxCLL, else
 *                                          its mastering maximum
 *   output_hdr_metadata                  target-peak from its mastering
 *                                          maximum (default: 203 for SDR,
 *                                          1000 for HDR)
 *   output_region                        the picture's place; the rest is
 *                                          black, whatever the background
 *   (fixed)                              tone-curve=bt2390,
 *                                          tone-mapping-mode=max-rgb,
 *                                          gamut-mapping=soft, dither=true
 *
 * Without the tone-mapping filter, HDR input is converted without tone
 * mapping (light above the target peak clips), as VA intends. */

#include "vchip.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

#define SDR_WHITE 203.0
#define HDR_TARGET 1000.0

/* Everything a plan depends on: a new plan when any of it changes. */
typedef struct VppKey
{
  EstHdrScaleFormat in, out;
  EstHdrScaleParams params;
} VppKey;

struct EstVchipVpp
{
  VppKey key;
  EstHdrScale *scale;
};

void
est_vchip_vpp_free (EstVchipVpp * v)
{
  if (v) {
    est_hdr_scale_free (v->scale);
    free (v);
  }
}

/* --- Capabilities --------------------------------------------------------- */

static VAProcColorStandardType colour_standards[] = {
  VAProcColorStandardBT601, VAProcColorStandardBT709,
  VAProcColorStandardBT470BG, VAProcColorStandardSMPTE170M,
  VAProcColorStandardSRGB, VAProcColorStandardBT2020,
  VAProcColorStandardExplicit,
};

static uint32_t pixel_formats[16];
static pthread_once_t pixel_formats_once = PTHREAD_ONCE_INIT;

static void
list_pixel_formats (void)
{
  for (int i = 0; i < est_vchip_n_formats (); i++)
    pixel_formats[i] = est_vchip_format_at (i)->fourcc;
}

VAStatus
est_vchip_query_filters (VAProcFilterType * filters, unsigned *n)
{
  if (!filters || !n)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  if (*n < 1) {
    *n = 1;
    return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
  }
  filters[0] = VAProcFilterHighDynamicRangeToneMapping;
  *n = 1;
  return VA_STATUS_SUCCESS;
}

VAStatus
est_vchip_query_filter_caps (VAProcFilterType type, void *caps, unsigned *n)
{
  VAProcFilterCapHighDynamicRange *hdr = caps;

  if (!caps || !n)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  if (type != VAProcFilterHighDynamicRangeToneMapping)
    return VA_STATUS_ERROR_UNSUPPORTED_FILTER;
  if (*n < 1) {
    *n = 1;
    return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
  }
  memset (hdr, 0, sizeof (*hdr));
  hdr->metadata_type = VAProcHighDynamicRangeMetadataHDR10;
  hdr->caps_flag = VA_TONE_MAPPING_HDR_TO_HDR | VA_TONE_MAPPING_HDR_TO_SDR;
  *n = 1;
  return VA_STATUS_SUCCESS;
}

VAStatus
est_vchip_query_pipeline_caps (VAProcPipelineCaps * caps)
{
  int n = est_vchip_n_formats ();

  /* Clients may pass this uninitialised (FFmpeg does): every field is
   * set, and the arrays point at the driver's storage, shared by every
   * display in the process. */
  pthread_once (&pixel_formats_once, list_pixel_formats);
  memset (caps, 0, sizeof (*caps));
  caps->input_color_standards = colour_standards;
  caps->num_input_color_standards =
      sizeof (colour_standards) / sizeof (colour_standards[0]);
  caps->output_color_standards = colour_standards;
  caps->num_output_color_standards = caps->num_input_color_standards;
  caps->input_pixel_format = pixel_formats;
  caps->num_input_pixel_formats = (uint32_t) n;
  caps->output_pixel_format = pixel_formats;
  caps->num_output_pixel_formats = (uint32_t) n;
  caps->max_input_width = caps->max_input_height = EST_VCHIP_MAX_SIZE;
  caps->max_output_width = caps->max_output_height = EST_VCHIP_MAX_SIZE;
  caps->min_input_width = caps->min_input_height = 1;
  caps->min_output_width = caps->min_output_height = 1;
  return VA_STATUS_SUCCESS;
}

/* --- Submission ----------------------------------------------------------- */

static VAStatus
read_filter (EstVchip * d, VABufferID id, EstVchipVppJob * job)
{
  EstVchipObject *o = est_vchip_lookup (d, EST_VCHIP_BUFFER, id);
  const EstVchipBuffer *b = o ? &o->u.buffer : NULL;
  const VAProcFilterParameterBufferHDRToneMapping *tm;

  if (!b || b->type != VAProcFilterParameterBufferType ||
      b->size < sizeof (VAProcFilterParameterBufferBase))
    return VA_STATUS_ERROR_INVALID_BUFFER;
  if (((const VAProcFilterParameterBufferBase *) b->data)->type !=
      VAProcFilterHighDynamicRangeToneMapping)
    return VA_STATUS_ERROR_UNSUPPORTED_FILTER;
  if (b->size < sizeof (*tm))
    return VA_STATUS_ERROR_INVALID_BUFFER;
  tm = (const VAProcFilterParameterBufferHDRToneMapping *) b->data;
  if (tm->data.metadata_type != VAProcHighDynamicRangeMetadataHDR10 ||
      !tm->data.metadata || tm->data.metadata_size < sizeof (job->in_hdr))
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  job->tone_map = 1;
  memcpy (&job->in_hdr, tm->data.metadata, sizeof (job->in_hdr));
  return VA_STATUS_SUCCESS;
}

VAStatus
est_vchip_vpp_render (EstVchip * d, const VAProcPipelineParameterBuffer * p,
    EstVchipVppJob * job)
{
  const VAHdrMetaData *out_md = p->output_hdr_metadata;
  VAStatus st;

  memset (job, 0, sizeof (*job));
  if (!est_vchip_lookup (d, EST_VCHIP_SURFACE, p->surface))
    return VA_STATUS_ERROR_INVALID_SURFACE;
  if (p->num_filters > 0 && !p->filters)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  /* The chip has no rotation, mirroring, blending, deinterlacing
   * references or extra outputs. */
  if (p->rotation_state || p->mirror_state || p->blend_state ||
      p->num_additional_outputs)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  for (uint32_t i = 0; i < p->num_filters; i++)
    if ((st = read_filter (d, p->filters[i], job)) != VA_STATUS_SUCCESS)
      return st;
  if (out_md) {
    if (out_md->metadata_type != VAProcHighDynamicRangeMetadataHDR10 ||
        !out_md->metadata || out_md->metadata_size < sizeof (job->out_hdr))
      return VA_STATUS_ERROR_INVALID_PARAMETER;
    memcpy (&job->out_hdr, out_md->metadata, sizeof (job->out_hdr));
    job->has_out_hdr = 1;
  }
  job->pipeline = *p;
  /* the pointers are the client's: keep copies, drop the pointers */
  if (p->surface_region) {
    job->surface_region = *p->surface_region;
    job->has_surface_region = 1;
  }
  if (p->output_region) {
    job->output_region = *p->output_region;
    job->has_output_region = 1;
  }
  job->pipeline.surface_region = NULL;
  job->pipeline.output_region = NULL;
  job->pipeline.filters = NULL;
  job->pipeline.forward_references = NULL;
  job->pipeline.backward_references = NULL;
  job->pipeline.additional_outputs = NULL;
  job->pipeline.output_hdr_metadata = NULL;
  return VA_STATUS_SUCCESS;
}

/* --- Colour --------------------------------------------------------------- */

/* One side's colour from its standard and properties (H.273 code points
 * under VAProcColorStandardExplicit); 0 when unsupported. */
static int
colour_of (VAProcColorStandardType std, const VAProcColorProperties * cp,
    const EstVchipFormat * f, EstHdrScaleFormat * out)
{
  EstColourSpace *c = &out->colour;

  c->matrix = EST_MATRIX_BT709;
  c->primaries = EST_PRIMARIES_BT709;
  c->transfer = EST_TRANSFER_BT1886;
  switch (std) {
    case VAProcColorStandardNone:
      if (f->rgb)
        c->transfer = EST_TRANSFER_SRGB;
      break;
    case VAProcColorStandardBT709:
      break;
    case VAProcColorStandardBT601:
    case VAProcColorStandardSMPTE170M:
      c->matrix = EST_MATRIX_BT601;
      c->primaries = EST_PRIMARIES_BT601_525;
      break;
    case VAProcColorStandardBT470BG:
      c->matrix = EST_MATRIX_BT601;
      c->primaries = EST_PRIMARIES_BT601_625;
      break;
    case VAProcColorStandardSRGB:
      c->transfer = EST_TRANSFER_SRGB;
      break;
    case VAProcColorStandardBT2020:
      c->matrix = EST_MATRIX_BT2020NCL;
      c->primaries = EST_PRIMARIES_BT2020;
      break;
    case VAProcColorStandardExplicit:
      switch (cp->colour_primaries) {
        case 1:
        case 2:
          break;
        case 5:
          c->primaries = EST_PRIMARIES_BT601_625;
          break;
        case 6:
        case 7:
          c->primaries = EST_PRIMARIES_BT601_525;
          break;
        case 9:
          c->primaries = EST_PRIMARIES_BT2020;
          break;
        case 12:
          c->primaries = EST_PRIMARIES_P3D65;
          break;
        default:
          return 0;
      }
      switch (cp->transfer_characteristics) {
        case 1:
        case 2:
        case 6:
        case 14:
        case 15:
          break;
        case 13:
          c->transfer = EST_TRANSFER_SRGB;
          break;
        case 16:
          c->transfer = EST_TRANSFER_PQ;
          break;
        case 18:
          c->transfer = EST_TRANSFER_HLG;
          break;
        default:
          return 0;
      }
      switch (cp->matrix_coefficients) {
        case 0:
          c->matrix = EST_MATRIX_RGB;
          break;
        case 1:
        case 2:
          break;
        case 5:
        case 6:
          c->matrix = EST_MATRIX_BT601;
          break;
        case 9:
          c->matrix = EST_MATRIX_BT2020NCL;
          break;
        default:
          return 0;
      }
      break;
    default:
      return 0;
  }
  /* The layout decides whether the planes are R'G'B'. */
  if (f->rgb)
    c->matrix = EST_MATRIX_RGB;
  else if (c->matrix == EST_MATRIX_RGB)
    return 0;
  c->full_range = cp->color_range == VA_SOURCE_RANGE_FULL ||
      (f->rgb && cp->color_range != VA_SOURCE_RANGE_REDUCED);
  c->depth = est_video_format_info (f->video)->depth;
  out->format = f->video;
  out->cosited_h = (cp->chroma_sample_location & 0x0c) ==
      VA_CHROMA_SITING_HORIZONTAL_LEFT;
  out->cosited_v = (cp->chroma_sample_location & 0x03) ==
      VA_CHROMA_SITING_VERTICAL_TOP;
  return 1;
}

static int
is_hdr (EstTransfer t)
{
  return t == EST_TRANSFER_PQ || t == EST_TRANSFER_HLG;
}

/* A peak from HDR10 metadata in cd/m2: MaxCLL, else the mastering maximum
 * (0.0001 cd/m2 units); 0 when neither is in 100..10000. */
static double
metadata_peak (const VAHdrMetaDataHDR10 * m, int use_cll)
{
  double cll = m->max_content_light_level;
  double mdl = m->max_display_mastering_luminance / 10000.0;

  if (use_cll && cll >= 100 && cll <= 10000)
    return cll;
  if (mdl >= 100 && mdl <= 10000)
    return mdl;
  return 0;
}

/* --- Running -------------------------------------------------------------- */

/* Plane pointers of the w x h rectangle at (x, y) of surface s; 0 when it
 * does not start on a whole chroma sample. */
static int
crop_image (const EstVchipSurface * s, int x, int y, EstVideoImage * img)
{
  const EstVchipFormat *f = s->format;
  int gx = 1 << f->shift_x, gy = 1 << f->shift_y;

  if (x % gx || y % gy)
    return 0;
  est_vchip_video_image (f, s->base, s->pitch, s->offset, img);
  for (int p = 0; p < f->n_planes; p++) {
    int gs, gb, sy;
    est_vchip_plane_geometry (f, p, &gs, &gb, &sy);
    img->data[p] += (ptrdiff_t) (y >> sy) * img->stride[p] +
        (ptrdiff_t) (x / gs) * gb;
  }
  return 1;
}

VAStatus
est_vchip_vpp_run (EstVchip * d, EstVchipContext * c, EstVchipSurface * target)
{
  EstVchipVppJob *job = &c->vpp_job;
  EstVchipSurface *src = est_vchip_surface (d, job->pipeline.surface);
  VARectangle in_r = { 0, 0, 0, 0 }, out_r = { 0, 0, 0, 0 };
  EstVideoImage in_img, out_img;
  VppKey key;
  EstHdrScaleParams *p = &key.params;

  if (!src)
    return VA_STATUS_ERROR_INVALID_SURFACE;
  if (src == target)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  in_r.width = (uint16_t) src->width;
  in_r.height = (uint16_t) src->height;
  if (job->has_surface_region)
    in_r = job->surface_region;
  out_r.width = (uint16_t) target->width;
  out_r.height = (uint16_t) target->height;
  if (job->has_output_region)
    out_r = job->output_region;
  if (in_r.x < 0 || in_r.y < 0 || in_r.width < 1 || in_r.height < 1 ||
      in_r.x + in_r.width > src->width || in_r.y + in_r.height > src->height)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  if (out_r.x < 0 || out_r.y < 0 || out_r.width < 1 || out_r.height < 1 ||
      out_r.x + out_r.width > target->width ||
      out_r.y + out_r.height > target->height)
    return VA_STATUS_ERROR_INVALID_PARAMETER;

  memset (&key, 0, sizeof (key));
  if (!colour_of (job->pipeline.surface_color_standard,
          &job->pipeline.input_color_properties, src->format, &key.in) ||
      !colour_of (job->pipeline.output_color_standard,
          &job->pipeline.output_color_properties, target->format, &key.out))
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  key.in.width = in_r.width;
  key.in.height = in_r.height;
  key.out.width = target->width;
  key.out.height = target->height;

  switch (job->pipeline.filter_flags & VA_FILTER_SCALING_MASK) {
    case VA_FILTER_SCALING_FAST:
      p->method = EST_RESAMPLE_BILINEAR;
      break;
    case VA_FILTER_SCALING_HQ:
      p->method = EST_RESAMPLE_LANCZOS;
      break;
    default:
      p->method = EST_RESAMPLE_BICUBIC;
      break;
  }
  p->lanczos_taps = 3;
  p->dither = 1;
  p->cpu_flags = est_cpu_flags ();
  p->colour.curve = EST_TONE_CURVE_BT2390;
  p->colour.curve_param = NAN;
  p->colour.tone_mode = EST_TONE_MODE_MAX_RGB;
  p->colour.gamut_mode = EST_GAMUT_SOFT;
  p->colour.sdr_white = SDR_WHITE;
  p->colour.dst_peak = is_hdr (key.out.colour.transfer) ? HDR_TARGET :
      SDR_WHITE;
  if (job->has_out_hdr && metadata_peak (&job->out_hdr, 0) > 0)
    p->colour.dst_peak = metadata_peak (&job->out_hdr, 0);
  if (job->tone_map) {
    double peak = metadata_peak (&job->in_hdr, 1);
    p->colour.src_peak = peak > 0 ? peak : HDR_TARGET;
  } else {
    /* no tone mapping: PQ clips at the target; HLG's display is nominal */
    p->colour.src_peak = key.in.colour.transfer == EST_TRANSFER_HLG ?
        HDR_TARGET : p->colour.dst_peak;
  }
  if (out_r.x || out_r.y || out_r.width != target->width ||
      out_r.height != target->height) {
    p->rect_x = out_r.x;
    p->rect_y = out_r.y;
    p->rect_w = out_r.width;
    p->rect_h = out_r.height;
  }

  if (!c->vpp || memcmp (&c->vpp->key, &key, sizeof (key)) != 0) {
    const char *err = NULL;
    est_vchip_vpp_free (c->vpp);
    c->vpp = calloc (1, sizeof (*c->vpp));
    if (!c->vpp)
      return VA_STATUS_ERROR_ALLOCATION_FAILED;
    c->vpp->key = key;
    c->vpp->scale = est_hdr_scale_new (&key.in, &key.out, p, &err);
    if (!c->vpp->scale) {
      est_vchip_vpp_free (c->vpp);
      c->vpp = NULL;
      return VA_STATUS_ERROR_INVALID_PARAMETER;
    }
  }

  if (!crop_image (src, in_r.x, in_r.y, &in_img))
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  est_vchip_video_image (target->format, target->base, target->pitch,
      target->offset, &out_img);
  est_hdr_scale_process (c->vpp->scale, &in_img, &out_img);
  return VA_STATUS_SUCCESS;
}
