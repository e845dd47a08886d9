/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* common/hdrscale (the esthdrscale pipeline) against an independent float64
 * reference written from the headers: hdrscale.h (stage order, sample
 * positions, work grid), hdrcolour.h (colour stage and light units),
 * videopack.h (layouts, Q14) and resample.h (weights). The reference reads
 * and writes the layouts itself, resamples in double with
 * est_resample_kernel and runs the colour stage per pixel in double with the
 * specification functions of colour.h and tonemap.h; it quantises nothing
 * between stages (the fast path keeps Q14 int16 samples there). With dither
 * off, every output sample must be within one code value of the reference at
 * 8 and 10 bits.
 *
 * Also checked: the output does not depend on the thread count (dither on),
 * v210 padding and the unused bits of 16-bit containers, and the first two
 * frames of five HDR clips from ../shared/media (ESTUARY_MEDIA_DIR, which
 * meson sets), decoded with ffmpeg; that part is skipped without the folder
 * or ffmpeg. The fast path runs with est_cpu_flags (): EST_CPU_MASK=0 checks
 * the C kernels instead. */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "colour.h"
#include "cpu.h"
#include "hdrcolour.h"
#include "hdrscale.h"
#include "resample.h"
#include "tonemap.h"
#include "videopack.h"

static int failures;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
      failures++; \
      printf ("FAIL %s:%d: ", __func__, __LINE__); \
      printf (__VA_ARGS__); \
      printf ("\n"); \
    } \
  } while (0)

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

static uint64_t rng_state;

static uint32_t
rnd (void)
{
  /* xorshift64*, fixed seed per picture */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t) ((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* Uniform in [0, 1). */
static double
rndf (void)
{
  return rnd () / 4294967296.0;
}

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* --- Layouts, written from GStreamer's definitions ---------------------- */

typedef enum
{
  PLANAR,                       /* Y, U, V planes */
  SEMI,                         /* Y plane, interleaved UV plane */
  V210,                         /* 6 pixels in 4 little-endian words */
} Layout;

typedef struct
{
  EstVideoFormat f;
  const char *name;
  Layout layout;
  int depth, sx, sy;
  int msb;                      /* samples in the top bits of 16 */
} Fmt;

static const Fmt fmts[] = {
  {EST_VIDEO_I420, "I420", PLANAR, 8, 1, 1, 0},
  {EST_VIDEO_NV12, "NV12", SEMI, 8, 1, 1, 0},
  {EST_VIDEO_Y42B, "Y42B", PLANAR, 8, 1, 0, 0},
  {EST_VIDEO_Y444, "Y444", PLANAR, 8, 0, 0, 0},
  {EST_VIDEO_I420_10, "I420_10LE", PLANAR, 10, 1, 1, 0},
  {EST_VIDEO_I422_10, "I422_10LE", PLANAR, 10, 1, 0, 0},
  {EST_VIDEO_Y444_10, "Y444_10LE", PLANAR, 10, 0, 0, 0},
  {EST_VIDEO_P010, "P010_10LE", SEMI, 10, 1, 1, 1},
  {EST_VIDEO_I420_12, "I420_12LE", PLANAR, 12, 1, 1, 0},
  {EST_VIDEO_I422_12, "I422_12LE", PLANAR, 12, 1, 0, 0},
  {EST_VIDEO_Y444_12, "Y444_12LE", PLANAR, 12, 0, 0, 0},
  {EST_VIDEO_V210, "v210", V210, 10, 1, 0, 0},
};

static const Fmt *
fmt (EstVideoFormat f)
{
  for (size_t i = 0; i < N_ELEMENTS (fmts); i++)
    if (fmts[i].f == f)
      return &fmts[i];
  abort ();
}

/* The format of the same layout and subsampling at another depth; -1 when
 * there is none (v210 is 10-bit only). */
static int
with_depth (EstVideoFormat f, int depth)
{
  const Fmt *a = fmt (f);
  for (size_t i = 0; i < N_ELEMENTS (fmts); i++) {
    const Fmt *b = &fmts[i];
    if (b->layout == a->layout && b->sx == a->sx && b->sy == a->sy &&
        b->depth == depth)
      return (int) b->f;
  }
  return -1;
}

/* A picture in one of the formats. */
typedef struct
{
  EstVideoFormat f;
  int w, h;
  int pw[3], ph[3];             /* component sizes */
  EstVideoImage img;
  size_t size[3];
  uint8_t *own[3];
} Frame;

static void
frame_layout (Frame * fr, EstVideoFormat f, int w, int h)
{
  const Fmt *ff = fmt (f);

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

/* Allocates the planes, strides a little wider than the rows, every byte
 * set to `fill`. */
static void
frame_alloc (Frame * fr, EstVideoFormat f, int w, int h, int fill)
{
  const Fmt *ff = fmt (f);
  size_t bps = ff->depth > 8 ? 2 : 1;
  int n = 3;

  frame_layout (fr, f, w, h);
  if (ff->layout == V210) {
    n = 1;
    fr->img.stride[0] = (ptrdiff_t) ((w + 47) / 48 * 128);
    fr->size[0] = (size_t) fr->img.stride[0] * h;
  } else {
    n = ff->layout == SEMI ? 2 : 3;
    for (int p = 0; p < n; p++) {
      size_t row = (ff->layout == SEMI && p ? 2 : 1) * fr->pw[p] * bps;
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

static void
frame_free (Frame * fr)
{
  for (int p = 0; p < 3; p++)
    free (fr->own[p]);
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

/* Where sample (x, y) of component c lives; bytes per sample in *bps. */
static uint8_t *
sample_ptr (const Frame * fr, int c, int x, int y, int *bps)
{
  const Fmt *ff = fmt (fr->f);
  *bps = ff->depth > 8 ? 2 : 1;
  if (ff->layout == SEMI && c)
    return fr->img.data[1] + y * fr->img.stride[1] + (2 * x + c - 1) * *bps;
  return fr->img.data[c] + y * fr->img.stride[c] + x * *bps;
}

/* Samples whose container bits outside the code value are not zero. */
static int bad_bits;

/* Code value of component c at (x, y) of its grid (x may reach into the
 * padding of the last v210 group). */
static int
get_code (const Frame * fr, int c, int x, int y)
{
  const Fmt *ff = fmt (fr->f);
  int bps, max = (1 << ff->depth) - 1;

  if (ff->layout == V210) {
    int shift;
    size_t off = v210_field (c, x, &shift);
    uint32_t w = rd32 (fr->img.data[0] + y * fr->img.stride[0] + off);
    if (w >> 30)
      bad_bits++;
    return (int) ((w >> shift) & 0x3ff);
  }
  const uint8_t *p = sample_ptr (fr, c, x, y, &bps);
  if (bps == 1)
    return p[0];
  int v = p[0] | p[1] << 8;
  if (ff->msb) {
    if (v & ((1 << (16 - ff->depth)) - 1))
      bad_bits++;
    return v >> (16 - ff->depth);
  }
  if (v > max)
    bad_bits++;
  return v & max;
}

static void
set_code (Frame * fr, int c, int x, int y, int v)
{
  const Fmt *ff = fmt (fr->f);
  int bps;

  if (ff->layout == V210) {
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

/* Smooth random fields with sharp edges and some samples at 0 and at the
 * maximum. */
static void
fill_input (Frame * fr, uint64_t seed)
{
  const Fmt *ff = fmt (fr->f);
  int max = (1 << ff->depth) - 1;

  rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
  if (ff->layout == V210)
    memset (fr->img.data[0], 0, fr->size[0]);
  for (int c = 0; c < 3; c++) {
    double fx[3], fy[3], ph[3], amp[3];
    double base = c ? 0.5 : 0.2 + 0.6 * rndf ();
    double step_x = 0.6 * rndf () - 0.3, step_y = 0.6 * rndf () - 0.3;
    int ex = (int) (rndf () * fr->pw[c]), ey = (int) (rndf () * fr->ph[c]);
    for (int k = 0; k < 3; k++) {
      fx[k] = 0.4 * rndf ();
      fy[k] = 0.4 * rndf ();
      ph[k] = 6.283 * rndf ();
      amp[k] = (c ? 0.15 : 0.2) * rndf ();
    }
    for (int y = 0; y < fr->ph[c]; y++) {
      for (int x = 0; x < fr->pw[c]; x++) {
        double v = base + (x >= ex ? step_x : 0.0) + (y >= ey ? step_y : 0.0)
            + 0.02 * (rndf () - 0.5);
        for (int k = 0; k < 3; k++)
          v += amp[k] * sin (fx[k] * x + fy[k] * y + ph[k]);
        uint32_t r = rnd () & 63;
        if (r == 0)
          v = 0.0;
        else if (r == 1)
          v = 1.0;
        int code = (int) lround (v * max);
        set_code (fr, c, x, y, code < 0 ? 0 : code > max ? max : code);
      }
    }
  }
}

/* --- The reference ------------------------------------------------------ */

typedef struct
{
  int w, h;
  double *v;
} Plane;

static void
plane_alloc (Plane * p, int w, int h)
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
resample (const Plane * src, Plane * dst, EstResampleMethod m, int lobes,
    Grid sx, Grid sy, Grid dx, Grid dy)
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
  EstRange rin, rout;
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

  est_colour_range (in->depth, in->full_range, &rc->rin);
  est_colour_range (out->depth, out->full_range, &rc->rout);
  rc->qin = (double) (1 << (14 - in->depth));
  rc->qout = (double) (1 << (14 - out->depth));
  est_colour_ycbcr_to_rgb (in->matrix, rc->m_in);
  est_colour_rgb_to_ycbcr (out->matrix, rc->m_out);
  est_colour_gamut_matrix (in->primaries, out->primaries, rc->gamut);
  est_colour_luminance (in->primaries, rc->src_w);
  est_colour_luminance (out->primaries, rc->dst_w);
  rc->curve = p->curve;
  rc->tp.src_peak = rc->peak_in;
  rc->tp.dst_peak = p->dst_peak;
  rc->tp.param = p->curve_param;
  rc->tone_mode = p->tone_mode;
  rc->gamut_mode = p->gamut_mode;
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

  ycc[0] = (q[0] / rc->qin - rc->rin.y_offset) / rc->rin.y_scale;
  ycc[1] = (q[1] / rc->qin - rc->rin.c_offset) / rc->rin.c_scale;
  ycc[2] = (q[2] / rc->qin - rc->rin.c_offset) / rc->rin.c_scale;
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
  q[0] = (ycc[0] * rc->rout.y_scale + rc->rout.y_offset) * rc->qout;
  q[1] = (ycc[1] * rc->rout.c_scale + rc->rout.c_offset) * rc->qout;
  q[2] = (ycc[2] * rc->rout.c_scale + rc->rout.c_offset) * rc->qout;
}

/* One conversion: what est_hdr_scale_new gets. */
typedef struct
{
  EstHdrScaleFormat in, out;
  EstHdrScaleParams p;
} Conv;

/* Sample i of a plane with subsampling 2^shift: i * sub + (cosited ? 0.5 :
 * sub / 2) pixels of its picture, which is num / den input pixels each. */
static Grid
plane_grid (int shift, int cosited, int64_t num, int64_t den)
{
  double sub = (double) (1 << shift);
  Grid g = { sub, cosited ? 0.5 : sub / 2.0, num, den };
  return g;
}

/* The whole pipeline in double: res[c] gets every sample of output
 * component c, in Q14 units, borders included. With `quantise`, the work
 * planes become Q14 integers before the colour stage (rounded, or with bias
 * 0 and 1 down and up: the fast path's resampler, with Q14 weights, is
 * within about one unit of the exact value) and are rounded after it, as
 * the fast path stores them: the difference from the exact reference shows
 * where the conversion itself turns that precision into more than one
 * output code. */
/* Q14 integers: rounded with bias 0.5, down with 0, up with 1. */
static void
quantise_q14 (Plane * p, double bias)
{
  for (size_t i = 0; i < (size_t) p->w * p->h; i++)
    p->v[i] = clampd (floor (p->v[i] + bias), -32768.0, 32767.0);
}

static void
reference (const Conv * cv, const Frame * src, Plane res[3], int quantise,
    double bias)
{
  const Fmt *fi = fmt (cv->in.format), *fo = fmt (cv->out.format);
  int in_w = cv->in.width, in_h = cv->in.height;
  int rx = 0, ry = 0, rw = cv->out.width, rh = cv->out.height;
  EstRange r;
  Plane in[3], work[3];
  RefColour rc;

  if (cv->p.rect_w > 0 && cv->p.rect_h > 0) {
    rx = cv->p.rect_x;
    ry = cv->p.rect_y;
    rw = cv->p.rect_w;
    rh = cv->p.rect_h;
  }
  ref_colour_init (&rc, &cv->in.colour, &cv->out.colour, &cv->p.colour);
  CHECK (rc.identity == est_hdr_colour_is_identity (&cv->in.colour,
          &cv->out.colour, &cv->p.colour), "identity decision %d differs",
      rc.identity);

  for (int c = 0; c < 3; c++) {
    plane_alloc (&in[c], src->pw[c], src->ph[c]);
    for (int y = 0; y < src->ph[c]; y++)
      for (int x = 0; x < src->pw[c]; x++)
        in[c].v[(size_t) y * in[c].w + x] = get_code (src, c, x, y) * rc.qin;
  }

  /* The input grids (input pixels) and the work grid. */
  Grid igx[3], igy[3], wgx, wgy;
  int work_w = in_w, work_h = in_h;
  for (int c = 0; c < 3; c++) {
    igx[c] = plane_grid (c ? fi->sx : 0, cv->in.cosited_h, 1, 1);
    igy[c] = plane_grid (c ? fi->sy : 0, cv->in.cosited_v, 1, 1);
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
      resample (&in[c], &work[c], cv->p.method, cv->p.lanczos_taps, igx[c],
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

  est_colour_range (cv->out.colour.depth, cv->out.colour.full_range, &r);
  for (int c = 0; c < 3; c++) {
    int shx = c ? fo->sx : 0, shy = c ? fo->sy : 0;
    int pw = c ? (cv->out.width + (1 << shx) - 1) >> shx : cv->out.width;
    int ph = c ? (cv->out.height + (1 << shy) - 1) >> shy : cv->out.height;
    int x0 = rx >> shx, y0 = ry >> shy;
    Plane pic;
    double black = (c ? r.c_offset : r.y_offset) * rc.qout;

    plane_alloc (&res[c], pw, ph);
    for (size_t i = 0; i < (size_t) pw * ph; i++)
      res[c].v[i] = black;
    /* The output picture covers the rectangle edge to edge. */
    plane_alloc (&pic, ((rx + rw + (1 << shx) - 1) >> shx) - x0,
        ((ry + rh + (1 << shy) - 1) >> shy) - y0);
    Grid ogx = plane_grid (shx, cv->out.cosited_h, in_w, rw);
    Grid ogy = plane_grid (shy, cv->out.cosited_v, in_h, rh);
    if (rc.identity)
      resample (&in[c], &pic, cv->p.method, cv->p.lanczos_taps, igx[c],
          igy[c], ogx, ogy);
    else
      resample (&work[c], &pic, cv->p.method, cv->p.lanczos_taps, wgx, wgy,
          ogx, ogy);
    for (int y = 0; y < pic.h; y++)
      memcpy (res[c].v + (size_t) (y0 + y) * pw + x0,
          pic.v + (size_t) y * pic.w, sizeof (double) * pic.w);
    free (pic.v);
  }
  for (int c = 0; c < 3; c++) {
    free (in[c].v);
    if (!rc.identity)
      free (work[c].v);
  }
}

/* --- Fast path against reference ---------------------------------------- */

#define N_SHOWN 3

typedef struct
{
  int max_diff;                 /* code values, after rounding */
  double max_err;               /* against the unrounded reference */
  long off, total;              /* samples off by more than one, all */
  /* Samples where rounding the work planes to Q14 alone moves the
   * reference by more than one code: not held to the one-code bound. */
  long ill;
  int ill_max_diff;
  /* The first samples off by more than one: component, x, y, fast path,
   * reference (unrounded). */
  struct
  {
    int c, x, y, code;
    double ref;
  } shown[N_SHOWN];
} Result;

static double worst_err[2];     /* over all cases, 8 and 10 bits */
static int worst_diff[2];
static int n_cases;

static int
run_fast (const Conv * cv, const Frame * src, Frame * dst, int threads,
    int dither)
{
  EstHdrScaleParams p = cv->p;
  const char *err = NULL;

  p.n_threads = threads;
  p.dither = dither;
  EstHdrScale *s = est_hdr_scale_new (&cv->in, &cv->out, &p, &err);
  CHECK (s != NULL, "est_hdr_scale_new: %s", err ? err : "?");
  if (!s)
    return 0;
  est_hdr_scale_process (s, &src->img, &dst->img);
  est_hdr_scale_free (s);
  return 1;
}

static int
ref_code (const Plane * ref, size_t i, double q, int max)
{
  return (int) clampd (floor (ref->v[i] / q + 0.5), 0.0, max);
}

static Result
compare (const Frame * out, Plane ref[3], Plane refq[3][3], double q)
{
  const Fmt *fo = fmt (out->f);
  int max = (1 << fo->depth) - 1;
  Result res;

  memset (&res, 0, sizeof res);
  for (int c = 0; c < 3; c++) {
    for (int y = 0; y < out->ph[c]; y++) {
      for (int x = 0; x < out->pw[c]; x++) {
        size_t i = (size_t) y * out->pw[c] + x;
        double v = ref[c].v[i] / q;
        double vc = clampd (v, 0.0, max);
        int rcode = ref_code (&ref[c], i, q, max);
        int code = get_code (out, c, x, y);
        int d = abs (code - rcode);
        res.total++;
        int ill = 0;
        for (int k = 0; k < 3; k++)
          ill |= abs (ref_code (&refq[k][c], i, q, max) - rcode) > 1;
        if (ill) {
          res.ill++;
          res.ill_max_diff = d > res.ill_max_diff ? d : res.ill_max_diff;
          continue;
        }
        res.max_diff = d > res.max_diff ? d : res.max_diff;
        res.max_err = fmax (res.max_err, fabs (code - vc));
        if (d > 1 && res.off < N_SHOWN) {
          res.shown[res.off].c = c;
          res.shown[res.off].x = x;
          res.shown[res.off].y = y;
          res.shown[res.off].code = code;
          res.shown[res.off].ref = v;
        }
        res.off += d > 1;
      }
    }
  }
  return res;
}

/* v210 packs whole groups of six pixels: the padding samples of the last
 * group repeat the last real sample. Returns the count that do not. */
static int
v210_padding_errors (const Frame * out)
{
  int bad = 0, groups = (out->w + 5) / 6;

  if (fmt (out->f)->layout != V210)
    return 0;
  for (int y = 0; y < out->h; y++) {
    for (int c = 0; c < 3; c++) {
      int n = out->pw[c], end = groups * (c ? 3 : 6);
      int last = get_code (out, c, n - 1, y);
      for (int x = n; x < end; x++)
        bad += get_code (out, c, x, y) != last;
    }
  }
  return bad;
}

static void
conv_set_depths (Conv * cv)
{
  cv->in.colour.depth = fmt (cv->in.format)->depth;
  cv->out.colour.depth = fmt (cv->out.format)->depth;
}

/* Runs cv on src with dither off and checks every output sample against
 * the reference. */
static void
check_frame (const char *name, Conv * cv, const Frame * src)
{
  Frame dst;
  Plane ref[3];
  Result res;
  int bits = fmt (cv->out.format)->depth;

  conv_set_depths (cv);
  frame_alloc (&dst, cv->out.format, cv->out.width, cv->out.height, 0x5a);
  if (run_fast (cv, src, &dst, 1, 0)) {
    Plane refq[3][3];
    reference (cv, src, ref, 0, 0.0);
    for (int k = 0; k < 3; k++)
      reference (cv, src, refq[k], 1, k * 0.5);
    bad_bits = 0;
    res = compare (&dst, ref, refq, (double) (1 << (14 - bits)));
    int pad = v210_padding_errors (&dst);
    printf ("%-58s %2d-bit: max |diff| %d (unrounded %.3f), %ld of %ld off "
        "by more than 1", name, bits, res.max_diff, res.max_err, res.off,
        res.total);
    if (res.ill)
      printf ("; %ld ill-conditioned (max |diff| %d)", res.ill,
          res.ill_max_diff);
    printf ("\n");
    /* A broken fast path must not hide there: they stay rare. */
    CHECK (res.ill * 100 <= res.total, "%s %d-bit: %ld of %ld samples "
        "ill-conditioned", name, bits, res.ill, res.total);
    CHECK (res.off == 0, "%s %d-bit: %ld samples off by more than one code "
        "value (max %d)", name, bits, res.off, res.max_diff);
    for (long i = 0; i < res.off && i < N_SHOWN; i++)
      printf ("  component %d at (%d, %d): fast path %d, reference %.3f\n",
          res.shown[i].c, res.shown[i].x, res.shown[i].y, res.shown[i].code,
          res.shown[i].ref);
    CHECK (bad_bits == 0, "%s: %d samples with bits set outside the code "
        "value", name, bad_bits);
    CHECK (pad == 0, "%s: %d v210 padding samples do not repeat the last",
        name, pad);
    int slot = bits > 8;
    worst_err[slot] = fmax (worst_err[slot], res.max_err);
    worst_diff[slot] = res.max_diff > worst_diff[slot] ? res.max_diff :
        worst_diff[slot];
    n_cases++;
    for (int c = 0; c < 3; c++) {
      free (ref[c].v);
      for (int k = 0; k < 3; k++)
        free (refq[k][c].v);
    }
  }
  frame_free (&dst);
}

static void
check_case (const char *name, Conv cv, uint64_t seed)
{
  Frame src;

  conv_set_depths (&cv);
  frame_alloc (&src, cv.in.format, cv.in.width, cv.in.height, 0);
  fill_input (&src, seed);
  check_frame (name, &cv, &src);
  frame_free (&src);
}

/* The case at 8 and 10-bit output; the input takes the same depth where
 * its layout has it (v210 stays 10-bit). */
static void
check_depths (const char *name, const Conv * base, uint64_t seed)
{
  for (int d = 8; d <= 10; d += 2) {
    Conv cv = *base;
    int in_f = with_depth (base->in.format, d);
    int out_f = with_depth (base->out.format, d);
    if (out_f < 0)
      continue;
    if (in_f >= 0)
      cv.in.format = (EstVideoFormat) in_f;
    cv.out.format = (EstVideoFormat) out_f;
    check_case (name, cv, seed);
  }
}

static const EstColourSpace SDR709 = {
  EST_MATRIX_BT709, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 8
};

static const EstColourSpace SDR601 = {
  EST_MATRIX_BT601, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 8
};

static const EstColourSpace SDR2020 = {
  EST_MATRIX_BT2020NCL, EST_TRANSFER_BT1886, EST_PRIMARIES_BT2020, 0, 8
};

static const EstColourSpace PQ2020 = {
  EST_MATRIX_BT2020NCL, EST_TRANSFER_PQ, EST_PRIMARIES_BT2020, 0, 10
};

static const EstColourSpace HLG2020 = {
  EST_MATRIX_BT2020NCL, EST_TRANSFER_HLG, EST_PRIMARIES_BT2020, 0, 10
};

/* esthdrscale's defaults: lanczos 3, bt2390 on max (R, G, B), soft gamut
 * mapping, source peak 1000, SDR white 203, target peak the SDR white for
 * SDR output and 1000 for HDR output; chroma sited left (cosited
 * horizontally, centred vertically) on both sides. */
static Conv
conv_make (EstVideoFormat in_f, int in_w, int in_h, EstColourSpace in_c,
    EstVideoFormat out_f, int out_w, int out_h, EstColourSpace out_c)
{
  Conv cv;

  memset (&cv, 0, sizeof cv);
  cv.in.format = in_f;
  cv.in.width = in_w;
  cv.in.height = in_h;
  cv.in.colour = in_c;
  cv.in.cosited_h = 1;
  cv.out.format = out_f;
  cv.out.width = out_w;
  cv.out.height = out_h;
  cv.out.colour = out_c;
  cv.out.cosited_h = 1;
  cv.p.colour.curve = EST_TONE_CURVE_BT2390;
  cv.p.colour.curve_param = NAN;
  cv.p.colour.tone_mode = EST_TONE_MODE_MAX_RGB;
  cv.p.colour.gamut_mode = EST_GAMUT_SOFT;
  cv.p.colour.src_peak = 1000.0;
  cv.p.colour.sdr_white = 203.0;
  cv.p.colour.dst_peak = is_hdr (out_c.transfer) ? 1000.0 : 203.0;
  cv.p.method = EST_RESAMPLE_LANCZOS;
  cv.p.lanczos_taps = 3;
  cv.p.n_threads = 1;
  cv.p.cpu_flags = est_cpu_flags ();
  conv_set_depths (&cv);
  return cv;
}

/* --- The cases ---------------------------------------------------------- */

static void
test_format_table (void)
{
  for (size_t i = 0; i < N_ELEMENTS (fmts); i++) {
    const EstVideoFormatInfo *info = est_video_format_info (fmts[i].f);
    CHECK (strcmp (info->name, fmts[i].name) == 0 &&
        info->depth == fmts[i].depth && info->shift_x == fmts[i].sx &&
        info->shift_y == fmts[i].sy, "format %s: videopack says %s depth %d "
        "shift %d,%d", fmts[i].name, info->name, info->depth, info->shift_x,
        info->shift_y);
  }
}

static const char *const method_names[] = {
  "nearest", "bilinear", "bicubic", "mitchell", "lanczos", "spline36"
};

static void
test_scaling (void)
{
  static const int sizes[][4] = {
    {1, 1, 7, 5}, {7, 5, 1, 1}, {7, 5, 33, 17}, {33, 17, 7, 5},
    {33, 17, 64, 36}, {64, 36, 33, 17}, {64, 36, 64, 36},
    {320, 180, 640, 360}, {640, 360, 320, 180},
  };
  char name[128];

  for (int m = 0; m < EST_RESAMPLE_N; m++) {
    for (size_t i = 0; i < N_ELEMENTS (sizes); i++) {
      Conv cv = conv_make (EST_VIDEO_I420_10, sizes[i][0], sizes[i][1],
          SDR709, EST_VIDEO_I420_10, sizes[i][2], sizes[i][3], SDR709);
      cv.p.method = (EstResampleMethod) m;
      snprintf (name, sizeof name, "scale %s %dx%d -> %dx%d",
          method_names[m], sizes[i][0], sizes[i][1], sizes[i][2], sizes[i][3]);
      check_depths (name, &cv, 100 + i);
    }
  }
  /* Other lobe counts of lanczos. */
  for (int taps = 2; taps <= 8; taps += 6) {
    for (int dir = 0; dir < 2; dir++) {
      Conv cv = conv_make (EST_VIDEO_I420_10, dir ? 64 : 33, dir ? 36 : 17,
          SDR709, EST_VIDEO_I420_10, dir ? 33 : 64, dir ? 17 : 36, SDR709);
      cv.p.lanczos_taps = taps;
      snprintf (name, sizeof name, "scale lanczos%d %s", taps,
          dir ? "64x36 -> 33x17" : "33x17 -> 64x36");
      check_depths (name, &cv, 120 + dir);
    }
  }
}

static void
test_layouts (void)
{
  static const EstVideoFormat others[] = {
    EST_VIDEO_NV12, EST_VIDEO_V210, EST_VIDEO_Y444, EST_VIDEO_Y42B,
    EST_VIDEO_I420,
  };
  static const int sizes[][4] = { {33, 17, 33, 17}, {64, 36, 40, 24} };
  char name[128];

  for (size_t i = 0; i < N_ELEMENTS (others); i++) {
    for (size_t s = 0; s < N_ELEMENTS (sizes); s++) {
      for (int back = 0; back < 2; back++) {
        EstVideoFormat a = back ? others[i] : EST_VIDEO_I420;
        EstVideoFormat b = back ? EST_VIDEO_I420 : others[i];
        if (back && others[i] == EST_VIDEO_I420)
          continue;
        Conv cv = conv_make (a, sizes[s][0], sizes[s][1], SDR709, b,
            sizes[s][2], sizes[s][3], SDR709);
        snprintf (name, sizeof name, "layout %s -> %s %dx%d -> %dx%d",
            fmt (a)->name, fmt (b)->name, sizes[s][0], sizes[s][1],
            sizes[s][2], sizes[s][3]);
        check_depths (name, &cv, 200 + 10 * i + s);
      }
    }
  }
}

static void
test_depths (void)
{
  static const EstVideoFormat ins[] = {
    EST_VIDEO_I420, EST_VIDEO_I420_10, EST_VIDEO_I420_12
  };
  static const EstVideoFormat outs[] = { EST_VIDEO_I420, EST_VIDEO_I420_10 };
  char name[128];

  for (int full = 0; full < 2; full++) {
    for (size_t i = 0; i < N_ELEMENTS (ins); i++) {
      for (size_t o = 0; o < N_ELEMENTS (outs); o++) {
        for (int scaled = 0; scaled < 2; scaled++) {
          EstColourSpace c = SDR709;
          c.full_range = full;
          Conv cv = conv_make (ins[i], 33, 17, c, outs[o],
              scaled ? 40 : 33, scaled ? 24 : 17, c);
          snprintf (name, sizeof name, "depth %s -> %s, %s range%s",
              fmt (ins[i])->name, fmt (outs[o])->name,
              full ? "full" : "limited", scaled ? ", 33x17 -> 40x24" : "");
          check_case (name, cv, 300 + i);
        }
      }
    }
  }
  /* 12-bit output, held to the same one code value (Q14 keeps two bits
   * below it). */
  Conv cv = conv_make (EST_VIDEO_I420_10, 64, 36, SDR709, EST_VIDEO_I420_12,
      40, 24, SDR709);
  check_case ("depth I420_10LE -> I420_12LE, 64x36 -> 40x24", cv, 310);
}

static void
test_range_matrix_primaries (void)
{
  char name[128];
  EstColourSpace full = SDR709;
  full.full_range = 1;

  for (int dir = 0; dir < 2; dir++) {
    Conv cv = conv_make (EST_VIDEO_I420_10, 64, 36, dir ? full : SDR709,
        EST_VIDEO_NV12, 40, 24, dir ? SDR709 : full);
    check_depths (dir ? "range full -> limited" : "range limited -> full",
        &cv, 400 + dir);
    cv = conv_make (EST_VIDEO_I420_10, 33, 17, dir ? SDR709 : SDR601,
        EST_VIDEO_I420, 64, 36, dir ? SDR601 : SDR709);
    check_depths (dir ? "matrix BT.709 -> BT.601" : "matrix BT.601 -> BT.709",
        &cv, 410 + dir);
    for (int soft = 0; soft < 2; soft++) {
      cv = conv_make (EST_VIDEO_I420_10, 64, 36, dir ? SDR2020 : SDR709,
          EST_VIDEO_NV12, 40, 24, dir ? SDR709 : SDR2020);
      cv.p.colour.gamut_mode = soft ? EST_GAMUT_SOFT : EST_GAMUT_CLIP;
      snprintf (name, sizeof name, "primaries SDR %s, %s gamut",
          dir ? "BT.2020 -> BT.709" : "BT.709 -> BT.2020",
          soft ? "soft" : "clip");
      check_depths (name, &cv, 420 + dir);
    }
  }
}

static void
test_pq_to_sdr (void)
{
  static const EstToneCurveId curves[] = {
    EST_TONE_CURVE_BT2390, EST_TONE_CURVE_HABLE
  };
  static const char *const modes[] = { "rgb", "luminance", "max-rgb" };
  char name[128];

  for (size_t cu = 0; cu < N_ELEMENTS (curves); cu++)
    for (int mode = 0; mode < 3; mode++)
      for (int soft = 0; soft < 2; soft++)
        for (int peak = 1000; peak <= 4000; peak += 3000)
          for (int white = 100; white <= 203; white += 103) {
            Conv cv = conv_make (EST_VIDEO_I420_10, 96, 54, PQ2020,
                EST_VIDEO_NV12, 64, 36, SDR709);
            cv.p.colour.curve = curves[cu];
            cv.p.colour.tone_mode = (EstToneMode) mode;
            cv.p.colour.gamut_mode = soft ? EST_GAMUT_SOFT : EST_GAMUT_CLIP;
            cv.p.colour.src_peak = peak;
            cv.p.colour.sdr_white = white;
            cv.p.colour.dst_peak = white;
            snprintf (name, sizeof name, "PQ -> SDR %s %s %s peak %d white %d",
                est_tone_curves[curves[cu]].name, modes[mode],
                soft ? "soft" : "clip", peak, white);
            check_depths (name, &cv, 500 + mode);
          }
}

static void
test_hdr_conversions (void)
{
  Conv cv;

  /* HLG to SDR, colour at the input size (upscale) and at the output size
   * (downscale), with a few of the knobs. */
  cv = conv_make (EST_VIDEO_I420_10, 96, 54, HLG2020, EST_VIDEO_NV12, 64, 36,
      SDR709);
  check_depths ("HLG -> SDR 96x54 -> 64x36 (defaults)", &cv, 600);
  cv.p.colour.tone_mode = EST_TONE_MODE_RGB;
  cv.p.colour.gamut_mode = EST_GAMUT_CLIP;
  check_depths ("HLG -> SDR 96x54 -> 64x36 rgb clip", &cv, 601);
  cv.p.colour.tone_mode = EST_TONE_MODE_LUMINANCE;
  cv.p.colour.curve = EST_TONE_CURVE_HABLE;
  check_depths ("HLG -> SDR 96x54 -> 64x36 hable luminance clip", &cv, 602);
  cv = conv_make (EST_VIDEO_P010, 33, 17, HLG2020, EST_VIDEO_I420, 64, 36,
      SDR709);
  check_depths ("HLG -> SDR 33x17 -> 64x36 (defaults)", &cv, 603);
  cv.p.colour.src_peak = 2000.0;
  cv.p.colour.sdr_white = 100.0;
  cv.p.colour.dst_peak = 100.0;
  check_depths ("HLG -> SDR 33x17 -> 64x36 peak 2000 white 100", &cv, 604);

  /* Between the HDR systems, and from SDR. */
  cv = conv_make (EST_VIDEO_I420_10, 96, 54, PQ2020, EST_VIDEO_NV12, 64, 36,
      HLG2020);
  check_depths ("PQ -> HLG 96x54 -> 64x36 (defaults)", &cv, 610);
  cv.p.colour.gamut_mode = EST_GAMUT_CLIP;
  check_depths ("PQ -> HLG 96x54 -> 64x36 clip", &cv, 611);
  cv = conv_make (EST_VIDEO_I420_10, 33, 17, HLG2020, EST_VIDEO_I420, 64, 36,
      PQ2020);
  check_depths ("HLG -> PQ 33x17 -> 64x36 (defaults)", &cv, 612);
  cv = conv_make (EST_VIDEO_I420_10, 96, 54, HLG2020, EST_VIDEO_Y444, 64, 36,
      PQ2020);
  check_depths ("HLG -> PQ 96x54 -> 64x36 Y444 (defaults)", &cv, 613);
  cv = conv_make (EST_VIDEO_I420, 64, 36, SDR709, EST_VIDEO_NV12, 64, 36,
      PQ2020);
  check_depths ("SDR BT.709 -> PQ BT.2020 white 203", &cv, 620);
  cv = conv_make (EST_VIDEO_I420, 64, 36, SDR709, EST_VIDEO_NV12, 64, 36,
      HLG2020);
  check_depths ("SDR BT.709 -> HLG BT.2020 white 203", &cv, 621);
  cv = conv_make (EST_VIDEO_I420, 33, 17, SDR2020, EST_VIDEO_I420, 64, 36,
      PQ2020);
  check_depths ("SDR BT.2020 -> PQ 33x17 -> 64x36 white 203", &cv, 622);

  /* PQ 4000 -> PQ 1000: tone mapping without a transfer change. */
  cv = conv_make (EST_VIDEO_P010, 96, 54, PQ2020, EST_VIDEO_NV12, 64, 36,
      PQ2020);
  cv.p.colour.src_peak = 4000.0;
  check_depths ("PQ 4000 -> PQ 1000 (defaults)", &cv, 630);
  cv.p.colour.tone_mode = EST_TONE_MODE_RGB;
  cv.p.colour.gamut_mode = EST_GAMUT_CLIP;
  check_depths ("PQ 4000 -> PQ 1000 rgb clip", &cv, 631);
  cv.p.colour.tone_mode = EST_TONE_MODE_LUMINANCE;
  cv.p.colour.curve = EST_TONE_CURVE_HABLE;
  check_depths ("PQ 4000 -> PQ 1000 hable luminance", &cv, 632);
}

static void
test_siting (void)
{
  static const int sitings[][4] = {
    {1, 1, 0, 0}, {0, 0, 1, 1}, {1, 1, 1, 1}, {0, 0, 0, 0}, {1, 0, 0, 1},
  };
  char name[128];

  for (size_t i = 0; i < N_ELEMENTS (sitings); i++) {
    for (int scaled = 0; scaled < 2; scaled++) {
      for (int m = EST_RESAMPLE_BILINEAR; m <= EST_RESAMPLE_MITCHELL; m += 2) {
        Conv cv = conv_make (EST_VIDEO_I420_10, 33, 17, SDR709,
            EST_VIDEO_I420, scaled ? 64 : 33, scaled ? 36 : 17, SDR709);
        cv.in.cosited_h = sitings[i][0];
        cv.in.cosited_v = sitings[i][1];
        cv.out.cosited_h = sitings[i][2];
        cv.out.cosited_v = sitings[i][3];
        cv.p.method = (EstResampleMethod) m;
        snprintf (name, sizeof name, "siting %d%d -> %d%d %s%s",
            sitings[i][0], sitings[i][1], sitings[i][2], sitings[i][3],
            method_names[m], scaled ? " 33x17 -> 64x36" : "");
        check_depths (name, &cv, 700 + i);
      }
    }
  }
  /* 4:2:0 into 4:2:2 and through the colour stage. */
  Conv cv = conv_make (EST_VIDEO_I420_10, 64, 36, SDR709, EST_VIDEO_Y42B,
      64, 36, SDR709);
  cv.in.cosited_v = 1;
  cv.out.cosited_h = 0;
  check_depths ("siting 11 -> 00 I420 -> I422", &cv, 710);
  cv = conv_make (EST_VIDEO_I420_10, 96, 54, PQ2020, EST_VIDEO_NV12, 64, 36,
      SDR709);
  cv.in.cosited_v = 1;
  cv.out.cosited_h = 0;
  check_depths ("siting 11 -> 00 PQ -> SDR 96x54 -> 64x36", &cv, 711);
  cv = conv_make (EST_VIDEO_I420_10, 33, 17, PQ2020, EST_VIDEO_NV12, 64, 36,
      SDR709);
  cv.in.cosited_h = 0;
  cv.out.cosited_v = 1;
  check_depths ("siting 00 -> 11 PQ -> SDR 33x17 -> 64x36", &cv, 712);
}

static void
test_borders (void)
{
  EstColourSpace full = SDR709;
  full.full_range = 1;

  /* 4:3 into 16:9 (pillarbox), identity colour. */
  Conv cv = conv_make (EST_VIDEO_I420_10, 40, 30, SDR709, EST_VIDEO_I420,
      64, 36, SDR709);
  cv.p.rect_x = 8;
  cv.p.rect_w = 48;
  cv.p.rect_h = 36;
  check_depths ("borders 40x30 into 64x36 at 8,0 48x36", &cv, 800);
  /* 16:9 into 4:3 (letterbox), through the colour stage, full range. */
  cv = conv_make (EST_VIDEO_I420_10, 96, 54, PQ2020, EST_VIDEO_NV12, 48, 36,
      full);
  cv.p.rect_y = 4;
  cv.p.rect_w = 48;
  cv.p.rect_h = 28;
  check_depths ("borders PQ 96x54 into 48x36 at 0,4 48x28 full", &cv, 801);
  /* Odd output size, the rectangle reaching the right and bottom edges. */
  cv = conv_make (EST_VIDEO_I420_10, 33, 17, HLG2020, EST_VIDEO_I420, 65, 37,
      SDR709);
  cv.p.rect_x = 6;
  cv.p.rect_y = 2;
  cv.p.rect_w = 59;
  cv.p.rect_h = 35;
  check_depths ("borders HLG 33x17 into 65x37 at 6,2 59x35", &cv, 802);
}

/* The same output with 1 and 3 threads, dither on: byte for byte. */
static void
test_threads (void)
{
  Conv cvs[2];

  cvs[0] = conv_make (EST_VIDEO_I420_10, 320, 180, PQ2020, EST_VIDEO_NV12,
      640, 360, SDR709);
  cvs[1] = conv_make (EST_VIDEO_P010, 640, 360, HLG2020, EST_VIDEO_I420_10,
      320, 180, SDR709);
  for (size_t i = 0; i < N_ELEMENTS (cvs); i++) {
    Conv *cv = &cvs[i];
    Frame src, a, b;
    int same = 1;

    frame_alloc (&src, cv->in.format, cv->in.width, cv->in.height, 0);
    fill_input (&src, 900 + i);
    frame_alloc (&a, cv->out.format, cv->out.width, cv->out.height, 0x5a);
    frame_alloc (&b, cv->out.format, cv->out.width, cv->out.height, 0x5a);
    if (run_fast (cv, &src, &a, 1, 1) && run_fast (cv, &src, &b, 3, 1)) {
      for (int p = 0; p < 3; p++)
        if (a.own[p] && memcmp (a.own[p], b.own[p], a.size[p]) != 0)
          same = 0;
      printf ("threads 1 vs 3, dither on, %s %dx%d -> %s %dx%d: %s\n",
          fmt (cv->in.format)->name, cv->in.width, cv->in.height,
          fmt (cv->out.format)->name, cv->out.width, cv->out.height,
          same ? "identical" : "DIFFERENT");
      CHECK (same, "output depends on the thread count (case %zu)", i);
    }
    frame_free (&src);
    frame_free (&a);
    frame_free (&b);
  }
}

/* --- Real clips --------------------------------------------------------- */

static char *
media_path (const char *file)
{
  const char *dir = getenv ("ESTUARY_MEDIA_DIR");
  char *path = malloc (4096);
  struct stat st;

  if (!path)
    abort ();
  if (!dir || !*dir) {
    /* Run by hand from the build folder: the source is next to it. */
    snprintf (path, 4096, "%s", __FILE__);
    char *slash = strrchr (path, '/');
    if (!slash) {
      free (path);
      return NULL;
    }
    snprintf (slash, 4096 - (size_t) (slash - path),
        "/../../../shared/media/%s", file);
  } else {
    snprintf (path, 4096, "%s/%s", dir, file);
  }
  if (stat (path, &st) != 0) {
    free (path);
    return NULL;
  }
  return path;
}

static const struct
{
  const char *file;
  EstTransfer transfer;
} clips[] = {
  {"hdr10_mountains_1080p60_av1.mp4", EST_TRANSFER_PQ},
  {"hdr10_rooftops_1080p30_hevc.mp4", EST_TRANSFER_PQ},
  {"hlg_colorchecker_1080p_hevc.mp4", EST_TRANSFER_HLG},
  {"hlg_phone_rooftop_1080p_hevc.mp4", EST_TRANSFER_HLG},
  {"meridian_hdr10_720p_prores.mxf", EST_TRANSFER_PQ},
};

/* The coded size and chroma location of the clip's video. */
static int
probe (const char *path, int *w, int *h, int *cosited_h, int *cosited_v)
{
  char cmd[4400], loc[64] = "";
  FILE *f;
  int ok;

  snprintf (cmd, sizeof cmd, "ffprobe -v error -select_streams v:0 "
      "-show_entries stream=width,height,chroma_location -of csv=p=0 '%s'",
      path);
  f = popen (cmd, "r");
  if (!f)
    return 0;
  ok = fscanf (f, "%d,%d,%63[a-z]", w, h, loc) >= 2;
  pclose (f);
  /* MPEG's default (and what these clips say) is left. */
  *cosited_h = strcmp (loc, "center") != 0;
  *cosited_v = strcmp (loc, "topleft") == 0;
  return ok && *w > 0 && *h > 0;
}

static void
test_clips (void)
{
  char *path;
  int any = 0;

  if (system ("ffmpeg -version >/dev/null 2>&1") != 0 ||
      system ("ffprobe -version >/dev/null 2>&1") != 0) {
    printf ("SKIP clips: ffmpeg or ffprobe is not available\n");
    return;
  }
  for (size_t i = 0; i < N_ELEMENTS (clips); i++) {
    int w, h, ch, cv_, is422 = strstr (clips[i].file, "prores") != NULL;
    char cmd[4400], name[160];
    FILE *f;

    if (!(path = media_path (clips[i].file))) {
      printf ("SKIP clip %s: not found (ESTUARY_MEDIA_DIR)\n", clips[i].file);
      continue;
    }
    any = 1;
    if (!probe (path, &w, &h, &ch, &cv_)) {
      CHECK (0, "ffprobe cannot read %s", path);
      free (path);
      continue;
    }
    EstVideoFormat vf = is422 ? EST_VIDEO_I422_10 : EST_VIDEO_I420_10;
    Frame fr;
    frame_layout (&fr, vf, w, h);
    size_t plane[3], total = 0;
    for (int c = 0; c < 3; c++) {
      plane[c] = (size_t) fr.pw[c] * fr.ph[c] * 2;
      total += plane[c];
    }
    uint8_t *buf = malloc (2 * total);
    if (!buf)
      abort ();
    snprintf (cmd, sizeof cmd,
        "ffmpeg -v error -noautorotate -i '%s' -map 0:v:0 "
        "-frames:v 2 -f rawvideo -pix_fmt %s -", path,
        is422 ? "yuv422p10le" : "yuv420p10le");
    f = popen (cmd, "r");
    size_t got = f ? fread (buf, 1, 2 * total, f) : 0;
    if (f)
      pclose (f);
    CHECK (got == 2 * total, "%s: ffmpeg gave %zu bytes, not %zu", path, got,
        2 * total);
    for (int n = 0; got == 2 * total && n < 2; n++) {
      uint8_t *p = buf + n * total;
      for (int c = 0; c < 3; c++) {
        fr.img.data[c] = p;
        fr.img.stride[c] = (ptrdiff_t) fr.pw[c] * 2;
        p += plane[c];
      }
      EstColourSpace in_c = clips[i].transfer == EST_TRANSFER_PQ ? PQ2020 :
          HLG2020;

      /* HDR to SDR 640x360 NV12 and P010 with the defaults. */
      Conv cv = conv_make (vf, w, h, in_c, EST_VIDEO_NV12, 640, 360, SDR709);
      cv.in.cosited_h = ch;
      cv.in.cosited_v = cv_;
      snprintf (name, sizeof name, "clip %s #%d -> SDR 640x360",
          clips[i].file, n);
      check_frame (name, &cv, &fr);
      cv.out.format = EST_VIDEO_P010;
      check_frame (name, &cv, &fr);

      /* PQ <-> HLG at the input size, on a 480x270 crop of the centre. */
      Frame crop = fr;
      int x0 = (w - 480) / 4 * 2, y0 = (h - 270) / 4 * 2;
      const Fmt *ff = fmt (vf);
      crop.w = 480;
      crop.h = 270;
      for (int c = 0; c < 3; c++) {
        int sx = c ? ff->sx : 0, sy = c ? ff->sy : 0;
        crop.pw[c] = c ? (480 + (1 << sx) - 1) >> sx : 480;
        crop.ph[c] = c ? (270 + (1 << sy) - 1) >> sy : 270;
        crop.img.data[c] = fr.img.data[c] + (y0 >> sy) * fr.img.stride[c] +
            (x0 >> sx) * 2;
      }
      cv = conv_make (vf, 480, 270, in_c, EST_VIDEO_P010, 480, 270,
          clips[i].transfer == EST_TRANSFER_PQ ? HLG2020 : PQ2020);
      cv.in.cosited_h = ch;
      cv.in.cosited_v = cv_;
      snprintf (name, sizeof name, "clip %s #%d -> %s 480x270 crop",
          clips[i].file, n,
          clips[i].transfer == EST_TRANSFER_PQ ? "HLG" : "PQ");
      check_frame (name, &cv, &crop);
      cv.out.format = EST_VIDEO_NV12;
      check_frame (name, &cv, &crop);
    }
    free (buf);
    free (path);
  }
  if (!any)
    printf ("SKIP clips: no media folder (ESTUARY_MEDIA_DIR)\n");
}

int
main (void)
{
  double t0 = now ();

  setvbuf (stdout, NULL, _IOLBF, 0);
  printf ("CPU flags 0x%x\n", est_cpu_flags ());
  test_format_table ();
  test_scaling ();
  test_layouts ();
  test_depths ();
  test_range_matrix_primaries ();
  test_pq_to_sdr ();
  test_hdr_conversions ();
  test_siting ();
  test_borders ();
  test_threads ();
  test_clips ();

  printf ("%d cases; worst |diff| %d (unrounded %.3f) at 8 bits, %d "
      "(unrounded %.3f) at 10 bits; %.1f s\n", n_cases, worst_diff[0],
      worst_err[0], worst_diff[1], worst_err[1], now () - t0);
  if (failures)
    printf ("%d failures\n", failures);
  return failures ? 1 : 0;
}
