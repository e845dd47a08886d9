/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The float64 reference of the esthdrscale pipeline: see hdrscaleref.h. */

#include "hdrscaleref.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "colour.h"
#include "hdrcolour.h"
#include "resample.h"
#include "tonemap.h"
#include "videopack.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* --- Layouts, written from GStreamer's definitions ---------------------- */

const EstRefFormat est_ref_formats[] = {
  {EST_VIDEO_I420, "I420", EST_REF_PLANAR, 8, 1, 1, 0, NULL, 0},
  {EST_VIDEO_NV12, "NV12", EST_REF_SEMI, 8, 1, 1, 0, NULL, 0},
  {EST_VIDEO_Y42B, "Y42B", EST_REF_PLANAR, 8, 1, 0, 0, NULL, 0},
  {EST_VIDEO_Y444, "Y444", EST_REF_PLANAR, 8, 0, 0, 0, NULL, 0},
  {EST_VIDEO_I420_10, "I420_10LE", EST_REF_PLANAR, 10, 1, 1, 0, NULL, 0},
  {EST_VIDEO_I422_10, "I422_10LE", EST_REF_PLANAR, 10, 1, 0, 0, NULL, 0},
  {EST_VIDEO_Y444_10, "Y444_10LE", EST_REF_PLANAR, 10, 0, 0, 0, NULL, 0},
  {EST_VIDEO_P010, "P010_10LE", EST_REF_SEMI, 10, 1, 1, 1, NULL, 0},
  {EST_VIDEO_I420_12, "I420_12LE", EST_REF_PLANAR, 12, 1, 1, 0, NULL, 0},
  {EST_VIDEO_I422_12, "I422_12LE", EST_REF_PLANAR, 12, 1, 0, 0, NULL, 0},
  {EST_VIDEO_Y444_12, "Y444_12LE", EST_REF_PLANAR, 12, 0, 0, 0, NULL, 0},
  {EST_VIDEO_V210, "v210", EST_REF_V210, 10, 1, 0, 0, NULL, 0},
  {EST_VIDEO_YUY2, "YUY2", EST_REF_PACKED, 8, 1, 0, 0, "YUYV", 0},
  {EST_VIDEO_RGBA, "RGBA", EST_REF_PACKED, 8, 0, 0, 0, "RGBA", 1},
  {EST_VIDEO_BGRA, "BGRA", EST_REF_PACKED, 8, 0, 0, 0, "BGRA", 1},
  {EST_VIDEO_RGBX, "RGBx", EST_REF_PACKED, 8, 0, 0, 0, "RGBx", 1},
  {EST_VIDEO_BGRX, "BGRx", EST_REF_PACKED, 8, 0, 0, 0, "BGRx", 1},
};

const size_t est_ref_n_formats = N_ELEMENTS (est_ref_formats);

const EstRefFormat *
est_ref_format (EstVideoFormat f)
{
  for (size_t i = 0; i < N_ELEMENTS (est_ref_formats); i++)
    if (est_ref_formats[i].f == f)
      return &est_ref_formats[i];
  abort ();
}

const EstRefFormat *
est_ref_format_find (const char *name)
{
  for (size_t i = 0; name && i < N_ELEMENTS (est_ref_formats); i++)
    if (strcasecmp (est_ref_formats[i].name, name) == 0)
      return &est_ref_formats[i];
  return NULL;
}

void
est_ref_frame_layout (EstRefFrame * fr, EstVideoFormat f, int w, int h)
{
  const EstRefFormat *ff = est_ref_format (f);

  memset (fr, 0, sizeof *fr);
  fr->f = f;
  fr->w = w;
  fr->h = h;
  for (int c = 0; c < 3; c++) {
    fr->pw[c] = c ? (w + (1 << ff->sx) - 1) >> ff->sx : w;
    fr->ph[c] = c ? (h + (1 << ff->sy) - 1) >> ff->sy : h;
  }
}

static size_t
round4 (size_t n)
{
  return (n + 3) & ~(size_t) 3;
}

/* Pixels in one group of a packed layout: one for RGB, the Ys for YUV. */
static int
group_pixels (const EstRefFormat * ff)
{
  int n = 0;
  if (ff->rgb)
    return 1;
  for (const char *p = ff->packing; *p; p++)
    n += *p == 'Y';
  return n;
}

/* Bytes of a packed row of width w: whole groups. */
static size_t
packed_row (const EstRefFormat * ff, int w)
{
  int per = group_pixels (ff);
  return (size_t) ((w + per - 1) / per) * strlen (ff->packing);
}

void
est_ref_frame_alloc (EstRefFrame * fr, EstVideoFormat f, int w, int h, int fill)
{
  const EstRefFormat *ff = est_ref_format (f);
  size_t bps = ff->depth > 8 ? 2 : 1;
  int n = 3;

  est_ref_frame_layout (fr, f, w, h);
  if (ff->layout == EST_REF_V210) {
    n = 1;
    fr->img.stride[0] = (ptrdiff_t) ((w + 47) / 48 * 128);
    fr->size[0] = (size_t) fr->img.stride[0] * h;
  } else if (ff->layout == EST_REF_PACKED) {
    n = 1;
    fr->img.stride[0] = (ptrdiff_t) (round4 (packed_row (ff, w)) + 8);
    fr->size[0] = (size_t) fr->img.stride[0] * h;
  } else {
    n = ff->layout == EST_REF_SEMI ? 2 : 3;
    for (int p = 0; p < n; p++) {
      size_t row = (ff->layout == EST_REF_SEMI && p ? 2 : 1) * fr->pw[p] * bps;
      fr->img.stride[p] = (ptrdiff_t) (round4 (row) + 8);
      fr->size[p] = (size_t) fr->img.stride[p] * fr->ph[p];
    }
  }
  for (int p = 0; p < n; p++) {
    fr->own[p] = malloc (fr->size[p]);
    if (!fr->own[p])
      abort ();
    memset (fr->own[p], fill, fr->size[p]);
    fr->img.data[p] = fr->own[p];
  }
}

void
est_ref_frame_free (EstRefFrame * fr)
{
  for (int p = 0; p < 3; p++)
    free (fr->own[p]);
}

size_t
est_ref_frame_wrap (EstRefFrame * fr, EstVideoFormat f, int w, int h,
    uint8_t * data)
{
  const EstRefFormat *ff = est_ref_format (f);
  size_t bps = ff->depth > 8 ? 2 : 1, total = 0;
  int n = ff->layout == EST_REF_V210 || ff->layout == EST_REF_PACKED ? 1 :
      ff->layout == EST_REF_SEMI ? 2 : 3;

  est_ref_frame_layout (fr, f, w, h);
  for (int p = 0; p < n; p++) {
    size_t row;
    if (ff->layout == EST_REF_V210)
      row = (size_t) ((w + 47) / 48 * 128);
    else if (ff->layout == EST_REF_PACKED)
      row = packed_row (ff, w);
    else
      row = (ff->layout == EST_REF_SEMI && p ? 2 : 1) * fr->pw[p] * bps;
    fr->img.stride[p] = (ptrdiff_t) row;
    fr->size[p] = row * fr->ph[p];
    fr->img.data[p] = data ? data + total : NULL;
    total += fr->size[p];
  }
  return total;
}

/* v210 field n (0..11) of a group is bits 10 (n % 3) of word n / 3, in the
 * order Cb0 Y0 Cr0 Y1 Cb1 Y2 Cr1 Y3 Cb2 Y4 Cr2 Y5: luma k is field 2k + 1,
 * Cb k field 4k, Cr k field 4k + 2. Returns the byte offset of the word in
 * the row and the shift. */
static size_t
v210_field (int c, int x, int *shift)
{
  int per = c ? 3 : 6, g = x / per, k = x % per;
  int n = c == 0 ? 2 * k + 1 : 4 * k + (c == 2 ? 2 : 0);
  *shift = 10 * (n % 3);
  return (size_t) (g * 16 + n / 3 * 4);
}

static uint32_t
rd32 (const uint8_t * p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
      (uint32_t) p[3] << 24;
}

static void
wr32 (uint8_t * p, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t) (v >> (8 * i));
}

/* The byte of component c of sample x (of its grid) in a packed row: the
 * group holding it, and the letter of the component in the group (the
 * k-th Y for luma k of a YUV group). */
static size_t
packed_byte (const EstRefFormat * ff, int c, int x)
{
  int per = c == 0 ? group_pixels (ff) : 1, k = x % per;
  char letter = ff->rgb ? "RGB"[c] : "YUV"[c];
  size_t group = strlen (ff->packing) * (size_t) (x / per);

  for (size_t i = 0; ff->packing[i]; i++)
    if (ff->packing[i] == letter && k-- == 0)
      return group + i;
  abort ();
}

/* Where sample (x, y) of component c lives; bytes per sample in *bps. */
static uint8_t *
sample_ptr (const EstRefFrame * fr, int c, int x, int y, int *bps)
{
  const EstRefFormat *ff = est_ref_format (fr->f);
  *bps = ff->depth > 8 ? 2 : 1;
  if (ff->layout == EST_REF_PACKED)
    return fr->img.data[0] + y * fr->img.stride[0] + packed_byte (ff, c, x);
  if (ff->layout == EST_REF_SEMI && c)
    return fr->img.data[1] + y * fr->img.stride[1] + (2 * x + c - 1) * *bps;
  return fr->img.data[c] + y * fr->img.stride[c] + x * *bps;
}

int
est_ref_get_code (const EstRefFrame * fr, int c, int x, int y, int *bad_bits)
{
  const EstRefFormat *ff = est_ref_format (fr->f);
  int bps, max = (1 << ff->depth) - 1;

  if (ff->layout == EST_REF_V210) {
    int shift;
    size_t off = v210_field (c, x, &shift);
    uint32_t w = rd32 (fr->img.data[0] + y * fr->img.stride[0] + off);
    if (bad_bits && (w >> 30) != 0)
      (*bad_bits)++;
    return (int) ((w >> shift) & 0x3ff);
  }
  const uint8_t *p = sample_ptr (fr, c, x, y, &bps);
  if (bps == 1)
    return p[0];
  int v = p[0] | p[1] << 8;
  if (ff->msb) {
    if (bad_bits && (v & ((1 << (16 - ff->depth)) - 1)) != 0)
      (*bad_bits)++;
    return v >> (16 - ff->depth);
  }
  if (bad_bits && v > max)
    (*bad_bits)++;
  return v & max;
}

void
est_ref_set_code (EstRefFrame * fr, int c, int x, int y, int v)
{
  const EstRefFormat *ff = est_ref_format (fr->f);
  int bps;

  if (ff->layout == EST_REF_V210) {
    int shift;
    uint8_t *p = fr->img.data[0] + y * fr->img.stride[0] +
        v210_field (c, x, &shift);
    uint32_t w = rd32 (p) & ~(0x3ffu << shift);
    wr32 (p, w | (uint32_t) v << shift);
    return;
  }
  uint8_t *p = sample_ptr (fr, c, x, y, &bps);
  if (ff->msb)
    v <<= 16 - ff->depth;
  p[0] = (uint8_t) v;
  if (bps == 2)
    p[1] = (uint8_t) (v >> 8);
}

int
est_ref_filler_errors (const EstRefFrame * fr)
{
  const EstRefFormat *ff = est_ref_format (fr->f);
  int bad = 0;

  if (ff->layout != EST_REF_PACKED)
    return 0;
  size_t len = strlen (ff->packing);
  int per = group_pixels (ff), groups = (fr->w + per - 1) / per;
  for (int y = 0; y < fr->h; y++) {
    const uint8_t *row = fr->img.data[0] + y * fr->img.stride[0];
    for (int g = 0; g < groups; g++)
      for (size_t i = 0; i < len; i++)
        if (ff->packing[i] == 'A' || ff->packing[i] == 'x')
          bad += row[g * len + i] != 255;
  }
  return bad;
}

/* --- The reference ------------------------------------------------------ */

void
est_ref_plane_free (EstRefPlane * p)
{
  free (p->v);
  p->v = NULL;
}

static void
plane_alloc (EstRefPlane * p, int w, int h)
{
  p->w = w;
  p->h = h;
  p->v = calloc ((size_t) w * h, sizeof (double));
  if (!p->v)
    abort ();
}

/* A sampling grid: sample j is centred at (j * sub + c) * num / den luma
 * pixels of the input picture from its left (top) edge. */
typedef struct
{
  double sub, c;
  int64_t num, den;
} Grid;

/* The weights of one axis: output i reads idx[i * taps + k] with weight
 * w[i * taps + k] (unused slots have weight 0). */
typedef struct
{
  int n, taps;
  int *idx;
  double *w;
} Axis;

static void
axis_build (Axis * a, EstResampleMethod m, int lobes, int src_len, Grid src,
    int dst_len, Grid dst)
{
  /* Output i sits at source index ((i * dst.sub + dst.c) * r - src.c) /
   * src.sub, with r the ratio of the two grids' pixel scales. */
  double r = (double) (dst.num * src.den) / (double) (dst.den * src.num);
  double scale = dst.sub * r / src.sub;
  double s = m == EST_RESAMPLE_NEAREST || scale < 1.0 ? 1.0 : scale;
  double support = est_resample_support (m, lobes) * s;
  int identity = src_len == dst_len && scale == 1.0;
  double *pos = malloc (sizeof (double) * dst_len);

  for (int i = 0; i < dst_len; i++) {
    double x = i * dst.sub + dst.c;
    pos[i] = (x * r - src.c) / src.sub;
    if (pos[i] != i)
      identity = 0;
  }
  a->n = dst_len;
  a->taps = identity || m == EST_RESAMPLE_NEAREST ? 1 :
      2 * (int) ceil (support) + 1;
  a->idx = calloc ((size_t) dst_len * a->taps, sizeof (int));
  a->w = calloc ((size_t) dst_len * a->taps, sizeof (double));
  if (!pos || !a->idx || !a->w)
    abort ();

  for (int i = 0; i < dst_len; i++) {
    int *idx = a->idx + (size_t) i * a->taps;
    double *w = a->w + (size_t) i * a->taps;
    if (identity) {
      /* resample.h: the identity mapping copies, whatever the method. */
      idx[0] = i;
      w[0] = 1.0;
      continue;
    }
    if (m == EST_RESAMPLE_NEAREST) {
      double k = floor (pos[i] + 0.5);
      idx[0] = k < 0 ? 0 : k > src_len - 1 ? src_len - 1 : (int) k;
      w[0] = 1.0;
      continue;
    }
    double sum = 0.0;
    int n = 0;
    for (double k = ceil (pos[i] - support); k <= floor (pos[i] + support);
        k += 1.0) {
      double v = est_resample_kernel (m, lobes, (k - pos[i]) / s);
      if (n >= a->taps)
        abort ();
      idx[n] = k < 0 ? 0 : k > src_len - 1 ? src_len - 1 : (int) k;
      w[n++] = v;
      sum += v;
    }
    for (int k = 0; k < n; k++)
      w[k] /= sum;
  }
  free (pos);
}

static void
axis_free (Axis * a)
{
  free (a->idx);
  free (a->w);
}

/* dst = the separable resampling of src, horizontal then vertical. */
static void
resample (const EstRefPlane * src, EstRefPlane * dst, EstResampleMethod m,
    int lobes, Grid sx, Grid sy, Grid dx, Grid dy)
{
  Axis ax, ay;
  double *tmp = malloc (sizeof (double) * src->h * dst->w);

  if (!tmp)
    abort ();
  axis_build (&ax, m, lobes, src->w, sx, dst->w, dx);
  axis_build (&ay, m, lobes, src->h, sy, dst->h, dy);
  for (int y = 0; y < src->h; y++) {
    const double *row = src->v + (size_t) y * src->w;
    for (int i = 0; i < dst->w; i++) {
      double acc = 0.0;
      for (int k = 0; k < ax.taps; k++)
        acc += ax.w[i * ax.taps + k] * row[ax.idx[i * ax.taps + k]];
      tmp[(size_t) y * dst->w + i] = acc;
    }
  }
  for (int j = 0; j < dst->h; j++) {
    double *out = dst->v + (size_t) j * dst->w;
    for (int i = 0; i < dst->w; i++)
      out[i] = 0.0;
    for (int k = 0; k < ay.taps; k++) {
      double w = ay.w[j * ay.taps + k];
      const double *row = tmp + (size_t) ay.idx[j * ay.taps + k] * dst->w;
      if (w != 0.0)
        for (int i = 0; i < dst->w; i++)
          out[i] += w * row[i];
    }
  }
  axis_free (&ax);
  axis_free (&ay);
  free (tmp);
}

/* The colour stage, from hdrcolour.h's stage list and light units. */
typedef struct
{
  int identity, linearise, tone, hlg_in, hlg_out;
  EstTransfer tin, tout;
  /* Per component: signal = (code - off) / scale on the way in, code =
   * signal * scale + off on the way out. */
  double off_in[3], scale_in[3], off_out[3], scale_out[3];
  double qin, qout;             /* Q14 per code value of each side */
  double m_in[3][3], m_out[3][3], gamut[3][3];
  double src_w[3], dst_w[3];
  double lin_scale;             /* transfer light -> target units */
  double peak_in;               /* the stage's source peak, cd/m2 */
  double src_peak, dst_peak;
  EstToneCurveId curve;
  EstToneParams tp;
  EstToneMode tone_mode;
  EstGamutMode gamut_mode;
} RefColour;

static int
is_hdr (EstTransfer t)
{
  return t == EST_TRANSFER_PQ || t == EST_TRANSFER_HLG;
}

static void
mat_identity (double m[3][3])
{
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      m[i][j] = i == j;
}

/* The code normalisation of each component of a side: H.273's luma range
 * for Y' and for each of R', G' and B', the chroma range for Cb and Cr. */
static void
side_range (const EstColourSpace * s, double off[3], double scale[3])
{
  EstRange r;
  int rgb = s->matrix == EST_MATRIX_RGB;

  est_colour_range (s->depth, s->full_range, &r);
  for (int c = 0; c < 3; c++) {
    off[c] = c && !rgb ? r.c_offset : r.y_offset;
    scale[c] = c && !rgb ? r.c_scale : r.y_scale;
  }
}

static void
ref_colour_init (RefColour * rc, const EstColourSpace * in,
    const EstColourSpace * out, const EstHdrColourParams * p)
{
  memset (rc, 0, sizeof *rc);
  rc->tin = in->transfer;
  rc->tout = out->transfer;
  rc->src_peak = p->src_peak;
  rc->dst_peak = p->dst_peak;
  rc->peak_in = is_hdr (in->transfer) ? p->src_peak : p->sdr_white;
  rc->tone = rc->peak_in > p->dst_peak;

  /* Transfer light 1.0 in target units, on the way in. */
  if (in->transfer == EST_TRANSFER_PQ)
    rc->lin_scale = EST_PQ_PEAK / p->dst_peak;
  else if (in->transfer == EST_TRANSFER_HLG)
    rc->lin_scale = 1.0;        /* scene light: the OOTF scales it */
  else
    rc->lin_scale = p->sdr_white / p->dst_peak;

  /* Decoding and encoding are inverse when the transfers match and light
   * 1.0 means the same on both sides: always for PQ (absolute), when the
   * source peak is the target peak for SDR and HLG. */
  int same_light = in->transfer == out->transfer &&
      (in->transfer == EST_TRANSFER_PQ || rc->peak_in == p->dst_peak);
  rc->identity = in->matrix == out->matrix &&
      in->primaries == out->primaries && in->full_range == out->full_range &&
      (!in->full_range || in->depth == out->depth) && same_light && !rc->tone;
  rc->linearise = !same_light || in->primaries != out->primaries || rc->tone;
  rc->hlg_in = rc->linearise && in->transfer == EST_TRANSFER_HLG;
  rc->hlg_out = rc->linearise && out->transfer == EST_TRANSFER_HLG;

  side_range (in, rc->off_in, rc->scale_in);
  side_range (out, rc->off_out, rc->scale_out);
  rc->qin = (double) (1 << (14 - in->depth));
  rc->qout = (double) (1 << (14 - out->depth));
  /* R'G'B' planes need no matrix. */
  if (in->matrix == EST_MATRIX_RGB)
    mat_identity (rc->m_in);
  else
    est_colour_ycbcr_to_rgb (in->matrix, rc->m_in);
  if (out->matrix == EST_MATRIX_RGB)
    mat_identity (rc->m_out);
  else
    est_colour_rgb_to_ycbcr (out->matrix, rc->m_out);
  est_colour_gamut_matrix (in->primaries, out->primaries, rc->gamut);
  est_colour_luminance (in->primaries, rc->src_w);
  est_colour_luminance (out->primaries, rc->dst_w);
  rc->curve = p->curve;
  rc->tp.src_peak = rc->peak_in;
  rc->tp.dst_peak = p->dst_peak;
  rc->tp.param = p->curve_param;
  rc->tone_mode = p->tone_mode;
  /* hdrscale.h: soft only where colours can leave the target gamut (a
   * negative coefficient in the primaries matrix, or luminance tone
   * mapping); clip otherwise. */
  int wider = 0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      wider |= rc->gamut[i][j] < -1e-9;
  rc->gamut_mode = p->gamut_mode == EST_GAMUT_SOFT && !wider &&
      !(rc->tone && p->tone_mode == EST_TONE_MODE_LUMINANCE) ?
      EST_GAMUT_CLIP : p->gamut_mode;
}

/* Light l (target units) through the tone curve, in target units. */
static double
ref_tone (const RefColour * rc, double l)
{
  return est_tonemap (rc->curve, &rc->tp, l * rc->dst_peak) / rc->dst_peak;
}

static double
clampd (double v, double lo, double hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

/* One pixel: input Q14 Y'CbCr in q, output Q14 Y'CbCr back. */
static void
ref_colour_pixel (const RefColour * rc, double q[3])
{
  double ycc[3], s[3], rgb[3];

  for (int k = 0; k < 3; k++)
    ycc[k] = (q[k] / rc->qin - rc->off_in[k]) / rc->scale_in[k];
  est_mat3_apply (rc->m_in, ycc, s);

  if (rc->linearise) {
    for (int k = 0; k < 3; k++)
      rgb[k] = est_transfer_to_linear (rc->tin, s[k]) * rc->lin_scale;
    if (rc->hlg_in) {
      /* Display light in units of src_peak, then in target units. */
      est_hlg_ootf (rgb, rc->src_peak);
      for (int k = 0; k < 3; k++)
        rgb[k] *= rc->src_peak / rc->dst_peak;
    }
    if (rc->tone) {
      double top = rc->peak_in / rc->dst_peak;
      if (rc->tone_mode == EST_TONE_MODE_RGB) {
        for (int k = 0; k < 3; k++)
          rgb[k] = ref_tone (rc, clampd (rgb[k], 0.0, top));
      } else {
        double l = rc->tone_mode == EST_TONE_MODE_LUMINANCE ?
            rc->src_w[0] * rgb[0] + rc->src_w[1] * rgb[1] +
            rc->src_w[2] * rgb[2] : fmax (rgb[0], fmax (rgb[1], rgb[2]));
        /* The curve holds its peak value above the source peak, so light
         * beyond it is scaled down as 1 / l. l is 0 only for black: any
         * gain leaves it black. */
        double g = l > 0.0 ? ref_tone (rc, fmin (l, top)) / l : 1.0;
        for (int k = 0; k < 3; k++)
          rgb[k] *= g;
      }
    }
    est_mat3_apply (rc->gamut, rgb, rgb);
    est_gamut_map (rc->gamut_mode, rc->dst_w, rgb);
    if (rc->hlg_out)
      est_hlg_inverse_ootf (rgb, rc->dst_peak);
    for (int k = 0; k < 3; k++)
      s[k] = est_transfer_from_linear (rc->tout, rc->tout == EST_TRANSFER_PQ ?
          rgb[k] * rc->dst_peak / EST_PQ_PEAK : rgb[k]);
  }

  est_mat3_apply (rc->m_out, s, ycc);
  for (int k = 0; k < 3; k++)
    q[k] = (ycc[k] * rc->scale_out[k] + rc->off_out[k]) * rc->qout;
}

/* Sample i of a plane with subsampling 2^shift: i * sub + (cosited ? 0.5 :
 * sub / 2) pixels of its picture, which is num / den input pixels each. */
static Grid
plane_grid (int shift, int cosited, int64_t num, int64_t den)
{
  double sub = (double) (1 << shift);
  Grid g = { sub, cosited ? 0.5 : sub / 2.0, num, den };
  return g;
}

/* Q14 integers: rounded with bias 0.5, down with 0, up with 1. */
static void
quantise_q14 (EstRefPlane * p, double bias)
{
  for (size_t i = 0; i < (size_t) p->w * p->h; i++)
    p->v[i] = clampd (floor (p->v[i] + bias), -32768.0, 32767.0);
}

/* The whole pipeline in double; see hdrscaleref.h. */
int
est_ref_convert (const EstHdrScaleFormat * in, const EstHdrScaleFormat * out,
    const EstHdrScaleParams * p, const EstVideoImage * src_img,
    EstRefPlane res[3], int quantise, double bias)
{
  const EstRefFormat *fi = est_ref_format (in->format);
  const EstRefFormat *fo = est_ref_format (out->format);
  EstRefFrame frame, *src = &frame;
  int in_w = in->width, in_h = in->height;
  int rx = 0, ry = 0, rw = out->width, rh = out->height;
  double off_out[3], scale_out[3];
  EstRefPlane inp[3], work[3];
  RefColour rc;

  if (p->rect_w > 0 && p->rect_h > 0) {
    rx = p->rect_x;
    ry = p->rect_y;
    rw = p->rect_w;
    rh = p->rect_h;
  }
  ref_colour_init (&rc, &in->colour, &out->colour, &p->colour);
  est_ref_frame_layout (&frame, in->format, in->width, in->height);
  frame.img = *src_img;

  for (int c = 0; c < 3; c++) {
    plane_alloc (&inp[c], src->pw[c], src->ph[c]);
    for (int y = 0; y < src->ph[c]; y++)
      for (int x = 0; x < src->pw[c]; x++)
        inp[c].v[(size_t) y * inp[c].w + x] =
            est_ref_get_code (src, c, x, y, NULL) * rc.qin;
  }

  /* The input grids (input pixels) and the work grid. */
  Grid igx[3], igy[3], wgx, wgy;
  int work_w = in_w, work_h = in_h;
  for (int c = 0; c < 3; c++) {
    igx[c] = plane_grid (c ? fi->sx : 0, in->cosited_h, 1, 1);
    igy[c] = plane_grid (c ? fi->sy : 0, in->cosited_v, 1, 1);
  }
  if ((double) (in_w) * in_h > (double) (rw) * rh) {
    work_w = rw;
    work_h = rh;
  }
  wgx = plane_grid (0, 0, in_w, work_w);
  wgy = plane_grid (0, 0, in_h, work_h);

  if (!rc.identity) {
    for (int c = 0; c < 3; c++) {
      plane_alloc (&work[c], work_w, work_h);
      resample (&inp[c], &work[c], p->method, p->lanczos_taps, igx[c],
          igy[c], wgx, wgy);
      if (quantise)
        quantise_q14 (&work[c], bias);
    }
    for (size_t i = 0; i < (size_t) work_w * work_h; i++) {
      double q[3] = { work[0].v[i], work[1].v[i], work[2].v[i] };
      ref_colour_pixel (&rc, q);
      for (int c = 0; c < 3; c++)
        work[c].v[i] = q[c];
    }
    for (int c = 0; quantise && c < 3; c++)
      quantise_q14 (&work[c], 0.5);
  }

  side_range (&out->colour, off_out, scale_out);
  for (int c = 0; c < 3; c++) {
    int shx = c ? fo->sx : 0, shy = c ? fo->sy : 0;
    int pw = c ? (out->width + (1 << shx) - 1) >> shx : out->width;
    int ph = c ? (out->height + (1 << shy) - 1) >> shy : out->height;
    int x0 = rx >> shx, y0 = ry >> shy;
    EstRefPlane pic;
    double black = off_out[c] * rc.qout;

    plane_alloc (&res[c], pw, ph);
    for (size_t i = 0; i < (size_t) pw * ph; i++)
      res[c].v[i] = black;
    /* The output picture covers the rectangle edge to edge. */
    plane_alloc (&pic, ((rx + rw + (1 << shx) - 1) >> shx) - x0,
        ((ry + rh + (1 << shy) - 1) >> shy) - y0);
    Grid ogx = plane_grid (shx, out->cosited_h, in_w, rw);
    Grid ogy = plane_grid (shy, out->cosited_v, in_h, rh);
    if (rc.identity)
      resample (&inp[c], &pic, p->method, p->lanczos_taps, igx[c],
          igy[c], ogx, ogy);
    else
      resample (&work[c], &pic, p->method, p->lanczos_taps, wgx, wgy, ogx, ogy);
    for (int y = 0; y < pic.h; y++)
      memcpy (res[c].v + (size_t) (y0 + y) * pw + x0,
          pic.v + (size_t) y * pic.w, sizeof (double) * pic.w);
    free (pic.v);
  }
  for (int c = 0; c < 3; c++) {
    free (inp[c].v);
    if (!rc.identity)
      free (work[c].v);
  }
  return rc.identity;
}
