/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "msssim.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define TAPS 11
#define RADIUS (TAPS / 2)
#define BAND 32                 /* output rows per job */

static const double scale_weights[5] = {
  0.0448, 0.2856, 0.3001, 0.2363, 0.1333
};

typedef struct Scale
{
  int w, h;                     /* plane size at this scale */
  float *x, *y;                 /* reference and distorted, w * h */
  double *row_cs, *row_ssim;    /* per output row sums, h - 10 each */
} Scale;

struct EstMsssim
{
  int depth;
  int n_scales;
  int max_threads;
  float c1, c2;
  float g[TAPS];
  Scale scales[5];
  float *scratch;               /* per thread: 5 maps of (BAND + 10) rows */
  size_t scratch_stride;        /* floats per thread */

  /* Arguments of the current run. */
  const void *ref, *dist;
  ptrdiff_t ref_stride, dist_stride;
  int cur;                      /* scale being processed */
};

int
est_msssim_scales (int width, int height)
{
  int m = width < height ? width : height;
  if (m < TAPS)
    return 0;
  int n = 1;
  while (n < 5 && (m >> n) >= TAPS)
    n++;
  return n;
}

EstMsssim *
est_msssim_new (int width, int height, int depth, int max_threads)
{
  int n_scales = est_msssim_scales (width, height);
  if (n_scales == 0 || depth < 8 || depth > 16 || max_threads < 1)
    return NULL;

  EstMsssim *m = calloc (1, sizeof (*m));
  if (!m)
    return NULL;
  m->depth = depth;
  m->n_scales = n_scales;
  m->max_threads = max_threads;

  double peak = (double) ((1 << depth) - 1);
  m->c1 = (float) ((0.01 * peak) * (0.01 * peak));
  m->c2 = (float) ((0.03 * peak) * (0.03 * peak));

  double g[TAPS], sum = 0.0;
  for (int i = 0; i < TAPS; i++) {
    double d = i - RADIUS;
    g[i] = exp (-d * d / (2.0 * 1.5 * 1.5));
    sum += g[i];
  }
  for (int i = 0; i < TAPS; i++)
    m->g[i] = (float) (g[i] / sum);

  int w = width, h = height;
  for (int s = 0; s < n_scales; s++) {
    Scale *sc = &m->scales[s];
    sc->w = w;
    sc->h = h;
    sc->x = malloc (sizeof (float) * (size_t) w * (size_t) h);
    sc->y = malloc (sizeof (float) * (size_t) w * (size_t) h);
    sc->row_cs = malloc (sizeof (double) * (size_t) (h - 2 * RADIUS));
    sc->row_ssim = malloc (sizeof (double) * (size_t) (h - 2 * RADIUS));
    if (!sc->x || !sc->y || !sc->row_cs || !sc->row_ssim) {
      est_msssim_free (m);
      return NULL;
    }
    w /= 2;
    h /= 2;
  }

  /* 5 horizontal maps, 5 vertical rows and 3 product rows, all at most
   * width floats wide. */
  const size_t row = width;
  m->scratch_stride = row * (5 * (BAND + 2 * RADIUS) + 5 + 3);
  m->scratch = malloc (sizeof (float) * m->scratch_stride *
      (size_t) max_threads);
  if (!m->scratch) {
    est_msssim_free (m);
    return NULL;
  }
  return m;
}

void
est_msssim_free (EstMsssim * m)
{
  if (!m)
    return;
  for (int s = 0; s < 5; s++) {
    free (m->scales[s].x);
    free (m->scales[s].y);
    free (m->scales[s].row_cs);
    free (m->scales[s].row_ssim);
  }
  free (m->scratch);
  free (m);
}

/* Scale 0 from integer samples, one job per BAND rows. */
static void
load_job (void *ctx, int job, int thread)
{
  EstMsssim *m = ctx;
  Scale *sc = &m->scales[0];
  int y1 = (job + 1) * BAND < sc->h ? (job + 1) * BAND : sc->h;

  for (int y = job * BAND; y < y1; y++) {
    float *fx = sc->x + (size_t) y * sc->w;
    float *fy = sc->y + (size_t) y * sc->w;
    const uint8_t *r = (const uint8_t *) m->ref + y * m->ref_stride;
    const uint8_t *d = (const uint8_t *) m->dist + y * m->dist_stride;
    if (m->depth > 8) {
      for (int x = 0; x < sc->w; x++) {
        fx[x] = ((const uint16_t *) r)[x];
        fy[x] = ((const uint16_t *) d)[x];
      }
    } else {
      for (int x = 0; x < sc->w; x++) {
        fx[x] = r[x];
        fy[x] = d[x];
      }
    }
  }
}

/* Scale cur + 1 from scale cur: mean of each 2x2 block. */
static void
downsample_job (void *ctx, int job, int thread)
{
  EstMsssim *m = ctx;
  const Scale *src = &m->scales[m->cur];
  Scale *dst = &m->scales[m->cur + 1];
  int y1 = (job + 1) * BAND < dst->h ? (job + 1) * BAND : dst->h;

  for (int y = job * BAND; y < y1; y++) {
    const float *x0 = src->x + (size_t) (2 * y) * src->w;
    const float *y0 = src->y + (size_t) (2 * y) * src->w;
    float *ox = dst->x + (size_t) y * dst->w;
    float *oy = dst->y + (size_t) y * dst->w;
    for (int x = 0; x < dst->w; x++) {
      ox[x] = 0.25f * (x0[2 * x] + x0[2 * x + 1] + x0[src->w + 2 * x] +
          x0[src->w + 2 * x + 1]);
      oy[x] = 0.25f * (y0[2 * x] + y0[2 * x + 1] + y0[src->w + 2 * x] +
          y0[src->w + 2 * x + 1]);
    }
  }
}

/* out[x] = sum_k g[k] * in[x + k * step] for x < n: one Gaussian pass,
 * horizontal (step 1) or vertical (step = row length). The loop over x is
 * innermost so that the compiler vectorises it. */
static void
gauss (float *restrict out, const float *restrict in, size_t step,
    const float *g, int n)
{
  for (int x = 0; x < n; x++)
    out[x] = g[0] * in[x];
  for (int k = 1; k < TAPS; k++) {
    const float *src = in + (size_t) k * step;
    for (int x = 0; x < n; x++)
      out[x] += g[k] * src[x];
  }
}

/* SSIM statistics of output rows [BAND * job, ...) of the current scale:
 * horizontal Gaussian of x, y, x^2, y^2, xy into the thread's scratch, then
 * the vertical Gaussian and the per-pixel terms, summed per row. */
static void
stats_job (void *ctx, int job, int thread)
{
  EstMsssim *m = ctx;
  Scale *sc = &m->scales[m->cur];
  const int w = sc->w, ow = w - 2 * RADIUS, oh = sc->h - 2 * RADIUS;
  const int r0 = job * BAND, r1 = r0 + BAND < oh ? r0 + BAND : oh;
  const int rows = r1 - r0 + 2 * RADIUS;
  const float c1 = m->c1, c2 = m->c2;
  float *base = m->scratch + m->scratch_stride * (size_t) thread;
  const size_t map_size = (size_t) (BAND + 2 * RADIUS) * (size_t) ow;
  float *h[5], *v[5];
  const size_t orow = ow;
  for (int i = 0; i < 5; i++) {
    h[i] = base + map_size * i;
    v[i] = base + 5 * map_size + orow * i;
  }
  float *pxx = base + 5 * map_size + 5 * (size_t) ow;
  float *pyy = pxx + w, *pxy = pyy + w;

  for (int r = 0; r < rows; r++) {
    const float *px = sc->x + (size_t) (r0 + r) * w;
    const float *py = sc->y + (size_t) (r0 + r) * w;
    for (int x = 0; x < w; x++) {
      pxx[x] = px[x] * px[x];
      pyy[x] = py[x] * py[x];
      pxy[x] = px[x] * py[x];
    }
    const size_t o = (size_t) r * ow;
    gauss (h[0] + o, px, 1, m->g, ow);
    gauss (h[1] + o, py, 1, m->g, ow);
    gauss (h[2] + o, pxx, 1, m->g, ow);
    gauss (h[3] + o, pyy, 1, m->g, ow);
    gauss (h[4] + o, pxy, 1, m->g, ow);
  }

  for (int r = 0; r < r1 - r0; r++) {
    for (int i = 0; i < 5; i++)
      gauss (v[i], h[i] + (size_t) r * ow, (size_t) ow, m->g, ow);

    double sum_cs = 0.0, sum_ssim = 0.0;
    for (int x = 0; x < ow; x++) {
      float mx = v[0][x], my = v[1][x];
      float vx = v[2][x] - mx * mx, vy = v[3][x] - my * my;
      float cov = v[4][x] - mx * my;
      float cs = (2.0f * cov + c2) / (vx + vy + c2);
      float l = (2.0f * mx * my + c1) / (mx * mx + my * my + c1);
      sum_cs += cs;
      sum_ssim += l * cs;
    }
    sc->row_cs[r0 + r] = sum_cs;
    sc->row_ssim[r0 + r] = sum_ssim;
  }
}

static int
n_bands (int rows)
{
  return (rows + BAND - 1) / BAND;
}

double
est_msssim_compute (EstMsssim * m, EstSlicePool * pool, const void *ref,
    ptrdiff_t ref_stride, const void *dist, ptrdiff_t dist_stride)
{
  m->ref = ref;
  m->dist = dist;
  m->ref_stride = ref_stride;
  m->dist_stride = dist_stride;
  est_slice_pool_run (pool, load_job, m, n_bands (m->scales[0].h));

  double weight_sum = 0.0;
  for (int s = 0; s < m->n_scales; s++)
    weight_sum += scale_weights[s];

  double result = 1.0;
  for (int s = 0; s < m->n_scales; s++) {
    Scale *sc = &m->scales[s];
    const int oh = sc->h - 2 * RADIUS, ow = sc->w - 2 * RADIUS;
    m->cur = s;
    est_slice_pool_run (pool, stats_job, m, n_bands (oh));

    double cs = 0.0, ssim = 0.0;
    for (int r = 0; r < oh; r++) {
      cs += sc->row_cs[r];
      ssim += sc->row_ssim[r];
    }
    double n = (double) ow * oh;
    double term = (s == m->n_scales - 1) ? ssim / n : cs / n;
    if (term < 0.0)
      term = 0.0;
    result *= pow (term, scale_weights[s] / weight_sum);

    if (s + 1 < m->n_scales)
      est_slice_pool_run (pool, downsample_job, m,
          n_bands (m->scales[s + 1].h));
  }
  return result > 1.0 ? 1.0 : result;
}
