/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "msssim.h"
#include "qualitydsp.h"
#include "slicethread.h"

#define PSNR_BAND 64            /* rows per PSNR job */
#define SSIM_BAND 16            /* window rows per SSIM job */

/* Sums of one 4x4 block, see EstQualityDSP.ssim_4x4_line16; 8-bit lines
 * store int32_t[4] in the same memory. */
typedef int64_t SsimSums[4];

typedef struct PsnrJob
{
  int plane, y0, y1;
  uint64_t sse;
} PsnrJob;

struct EstQuality
{
  EstQualityConfig cfg;
  unsigned metrics;
  EstQualityDSP dsp;
  EstSlicePool *pool;
  int plane_w[3], plane_h[3];

  PsnrJob *psnr_jobs;
  int n_psnr_jobs;

  int blocks_x, blocks_y;       /* 4x4 blocks of the luma plane */
  SsimSums *ssim_sums;          /* per thread: two lines of blocks_x + 1 */
  double *ssim_rows;            /* per window row: sum of its windows */

  EstMsssim *msssim;

  /* The pictures of the current call. */
  const EstQualityPicture *ref, *dist;
};

double
est_quality_psnr (double mse, int depth)
{
  double peak = (double) ((1 << depth) - 1);
  if (mse <= 0.0)
    return EST_QUALITY_DB_CAP;
  double db = 10.0 * log10 (peak * peak / mse);
  return db < EST_QUALITY_DB_CAP ? db : EST_QUALITY_DB_CAP;
}

double
est_quality_db (double v)
{
  if (v >= 1.0)
    return EST_QUALITY_DB_CAP;
  double db = -10.0 * log10 (1.0 - v);
  return db < EST_QUALITY_DB_CAP ? db : EST_QUALITY_DB_CAP;
}

void
est_quality_free (EstQuality * q)
{
  if (!q)
    return;
  est_slice_pool_free (q->pool);
  est_msssim_free (q->msssim);
  free (q->psnr_jobs);
  free (q->ssim_sums);
  free (q->ssim_rows);
  free (q);
}

EstQuality *
est_quality_new (const EstQualityConfig * cfg)
{
  if (cfg->width < 1 || cfg->height < 1 || cfg->depth < 8 || cfg->depth > 12
      || (cfg->n_planes != 1 && cfg->n_planes != 3)
      || cfg->chroma_shift_x < 0 || cfg->chroma_shift_x > 1
      || cfg->chroma_shift_y < 0 || cfg->chroma_shift_y > 1
      || cfg->threads < 0 || (cfg->metrics & ~(unsigned) EST_METRIC_ALL))
    return NULL;

  EstQuality *q = calloc (1, sizeof (*q));
  if (!q)
    return NULL;
  q->cfg = *cfg;
  q->metrics = cfg->metrics;
  est_quality_dsp_init (&q->dsp, est_cpu_flags ());
  q->pool = est_slice_pool_new (cfg->threads);
  if (!q->pool)
    goto fail;
  const int threads = est_slice_pool_threads (q->pool);

  for (int p = 0; p < cfg->n_planes; p++) {
    int sx = p ? cfg->chroma_shift_x : 0, sy = p ? cfg->chroma_shift_y : 0;
    q->plane_w[p] = (cfg->width + (1 << sx) - 1) >> sx;
    q->plane_h[p] = (cfg->height + (1 << sy) - 1) >> sy;
  }

  if (q->metrics & EST_METRIC_PSNR) {
    int n = 0;
    for (int p = 0; p < cfg->n_planes; p++)
      n += (q->plane_h[p] + PSNR_BAND - 1) / PSNR_BAND;
    q->psnr_jobs = calloc ((size_t) n, sizeof (PsnrJob));
    if (!q->psnr_jobs)
      goto fail;
    for (int p = 0; p < cfg->n_planes; p++) {
      for (int y = 0; y < q->plane_h[p]; y += PSNR_BAND) {
        PsnrJob *j = &q->psnr_jobs[q->n_psnr_jobs++];
        j->plane = p;
        j->y0 = y;
        j->y1 = y + PSNR_BAND < q->plane_h[p] ? y + PSNR_BAND : q->plane_h[p];
      }
    }
  }

  if (cfg->width < EST_SSIM_MIN_SIZE || cfg->height < EST_SSIM_MIN_SIZE)
    q->metrics &= ~(unsigned) EST_METRIC_SSIM;
  if (q->metrics & EST_METRIC_SSIM) {
    q->blocks_x = cfg->width / 4;
    q->blocks_y = cfg->height / 4;
    q->ssim_sums = calloc ((size_t) threads * 2 * (size_t) (q->blocks_x + 1),
        sizeof (*q->ssim_sums));
    q->ssim_rows = calloc ((size_t) q->blocks_y, sizeof (double));
    if (!q->ssim_sums || !q->ssim_rows)
      goto fail;
  }

  if (est_msssim_scales (cfg->width, cfg->height) == 0)
    q->metrics &= ~(unsigned) EST_METRIC_MSSSIM;
  if (q->metrics & EST_METRIC_MSSSIM) {
    q->msssim = est_msssim_new (cfg->width, cfg->height, cfg->depth, threads);
    if (!q->msssim)
      goto fail;
  }
  return q;

fail:
  est_quality_free (q);
  return NULL;
}

unsigned
est_quality_metrics (const EstQuality * q)
{
  return q->metrics;
}

static const void *
plane_row (const EstQualityPicture * pic, int plane, int y)
{
  return (const uint8_t *) pic->data[plane] + y * pic->stride[plane];
}

static void
psnr_job (void *ctx, int job, int thread)
{
  EstQuality *q = ctx;
  PsnrJob *j = &q->psnr_jobs[job];
  const void *a = plane_row (q->ref, j->plane, j->y0);
  const void *b = plane_row (q->dist, j->plane, j->y0);
  ptrdiff_t sa = q->ref->stride[j->plane], sb = q->dist->stride[j->plane];
  int w = q->plane_w[j->plane], h = j->y1 - j->y0;

  if (q->cfg.depth > 8)
    j->sse = q->dsp.sse16 (a, sa, b, sb, w, h);
  else
    j->sse = q->dsp.sse8 (a, sa, b, sb, w, h);
}

/* Block sums of 4x4 block line `line` of the luma plane. */
static void
ssim_line (EstQuality * q, int line, void *sums)
{
  const void *a = plane_row (q->ref, 0, 4 * line);
  const void *b = plane_row (q->dist, 0, 4 * line);
  ptrdiff_t sa = q->ref->stride[0], sb = q->dist->stride[0];

  if (q->cfg.depth > 8)
    q->dsp.ssim_4x4_line16 (a, sa, b, sb, sums, q->blocks_x);
  else
    q->dsp.ssim_4x4_line8 (a, sa, b, sb, sums, q->blocks_x);
}

/* Window rows [1 + SSIM_BAND * job, ...): window row y pairs block lines
 * y - 1 and y. The line above the band is recomputed, not shared, so that
 * jobs are independent. */
static void
ssim_job (void *ctx, int job, int thread)
{
  EstQuality *q = ctx;
  const int y0 = 1 + job * SSIM_BAND;
  const int y1 = y0 + SSIM_BAND < q->blocks_y ? y0 + SSIM_BAND : q->blocks_y;
  const size_t len = (size_t) q->blocks_x + 1;
  SsimSums *top = q->ssim_sums + len * 2 * thread;
  SsimSums *bottom = top + len;
  const int max = (1 << q->cfg.depth) - 1;

  ssim_line (q, y0 - 1, top);
  for (int y = y0; y < y1; y++) {
    ssim_line (q, y, bottom);
    if (q->cfg.depth > 8)
      q->ssim_rows[y] = q->dsp.ssim_end_line16 ((const int64_t (*)[4]) top,
          (const int64_t (*)[4]) bottom, q->blocks_x - 1, max);
    else
      q->ssim_rows[y] = q->dsp.ssim_end_line8 ((const int32_t (*)[4]) top,
          (const int32_t (*)[4]) bottom, q->blocks_x - 1);
    SsimSums *t = top;
    top = bottom;
    bottom = t;
  }
}

void
est_quality_compute (EstQuality * q, const EstQualityPicture * ref,
    const EstQualityPicture * dist, EstQualityResult * res)
{
  memset (res, 0, sizeof (*res));
  res->metrics = q->metrics;
  q->ref = ref;
  q->dist = dist;

  if (q->metrics & EST_METRIC_PSNR) {
    uint64_t sse[3] = { 0, 0, 0 }, total_sse = 0;
    double total_samples = 0.0;
    est_slice_pool_run (q->pool, psnr_job, q, q->n_psnr_jobs);
    for (int i = 0; i < q->n_psnr_jobs; i++)
      sse[q->psnr_jobs[i].plane] += q->psnr_jobs[i].sse;
    for (int p = 0; p < q->cfg.n_planes; p++) {
      double samples = (double) q->plane_w[p] * q->plane_h[p];
      res->mse[p] = (double) sse[p] / samples;
      res->psnr[p] = est_quality_psnr (res->mse[p], q->cfg.depth);
      total_sse += sse[p];
      total_samples += samples;
    }
    res->mse_avg = (double) total_sse / total_samples;
    res->psnr_avg = est_quality_psnr (res->mse_avg, q->cfg.depth);
  }

  if (q->metrics & EST_METRIC_SSIM) {
    const int rows = q->blocks_y - 1;
    double sum = 0.0;
    est_slice_pool_run (q->pool, ssim_job, q,
        (rows + SSIM_BAND - 1) / SSIM_BAND);
    for (int y = 1; y < q->blocks_y; y++)
      sum += q->ssim_rows[y];
    res->ssim = sum / ((double) rows * (q->blocks_x - 1));
  }

  if (q->metrics & EST_METRIC_MSSSIM) {
    res->msssim = est_msssim_compute (q->msssim, q->pool, ref->data[0],
        ref->stride[0], dist->data[0], dist->stride[0]);
    res->msssim_scales = est_msssim_scales (q->cfg.width, q->cfg.height);
  }

  q->ref = NULL;
  q->dist = NULL;
}
