/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_QUALITY_H
#define EST_QUALITY_H

#include <stddef.h>
#include <stdint.h>

/* Objective quality of a distorted picture against its reference.
 *
 *   ref, dist --+--> PSNR  (per plane sum of squared errors; Y, U, V and
 *               |           the sample-weighted average, as FFmpeg's psnr)
 *               +--> SSIM  (luma; 8x8 windows on a 4-sample grid, as
 *               |           FFmpeg's ssim and x264)
 *               +--> MS-SSIM (luma; Wang, Simoncelli, Bovik 2003: 11x11
 *                           Gaussian, sigma 1.5, five scales)
 *
 * Every metric splits its rows into jobs on a slice pool and reduces the
 * per-job results in job order, so results do not depend on the thread
 * count. */

typedef enum
{
  EST_METRIC_PSNR = 1 << 0,
  EST_METRIC_SSIM = 1 << 1,
  EST_METRIC_MSSSIM = 1 << 2,
  EST_METRIC_ALL = 0x7,
} EstMetric;

/* dB values (PSNR, SSIM and MS-SSIM in dB) never exceed this cap: identical
 * planes give exactly the cap instead of infinity. */
#define EST_QUALITY_DB_CAP 100.0

/* Smallest luma size for SSIM (two 8x8 windows would not fit below this in
 * either direction) and for MS-SSIM (one 11x11 window). */
#define EST_SSIM_MIN_SIZE 8
#define EST_MSSSIM_MIN_SIZE 11
/* Largest number of MS-SSIM scales; a frame uses fewer when its smallest
 * scale would be under EST_MSSSIM_MIN_SIZE (below 176 samples for five). */
#define EST_MSSSIM_MAX_SCALES 5

typedef struct EstQualityConfig
{
  int width, height;            /* luma size in samples, >= 1 */
  int chroma_shift_x;           /* 0 or 1: chroma width = ceil (w / 2^s) */
  int chroma_shift_y;           /* 0 or 1 */
  int n_planes;                 /* 1 (luma only) or 3 */
  int depth;                    /* bits per sample, 8..12; > 8 is uint16_t */
  unsigned metrics;             /* EstMetric flags */
  int threads;                  /* >= 1, or 0 for one per online CPU */
} EstQualityConfig;

/* Plane pointers and byte strides of one picture; planes beyond n_planes
 * are ignored. Not owned. */
typedef struct EstQualityPicture
{
  const void *data[3];
  ptrdiff_t stride[3];
} EstQualityPicture;

typedef struct EstQualityResult
{
  unsigned metrics;             /* which of the values below are set */

  /* PSNR: per plane and the average over all samples (FFmpeg's "average").
   * mse is the mean squared error in sample units^2. */
  double mse[3], mse_avg;
  double psnr[3], psnr_avg;     /* dB, capped */

  double ssim;                  /* luma, in [-1, 1] */
  double msssim;                /* luma, in [0, 1] */
  int msssim_scales;            /* scales used, 1..EST_MSSSIM_MAX_SCALES */
} EstQualityResult;

typedef struct EstQuality EstQuality;

/* Returns NULL on an invalid configuration or when memory or threads run
 * out. Metrics the size does not allow (SSIM below 8x8, MS-SSIM below
 * 11x11) are dropped: see est_quality_metrics (). */
EstQuality *est_quality_new (const EstQualityConfig * cfg);
void est_quality_free (EstQuality * q);

/* The metrics est_quality_compute () will report. */
unsigned est_quality_metrics (const EstQuality * q);

/* Measures dist against ref. Both pictures have the configured size and
 * format. Not thread-safe on one EstQuality. */
void est_quality_compute (EstQuality * q, const EstQualityPicture * ref,
    const EstQualityPicture * dist, EstQualityResult * res);

/* PSNR in dB of a mean squared error for samples of the given bit depth
 * (peak 2^depth - 1), capped at EST_QUALITY_DB_CAP. */
double est_quality_psnr (double mse, int depth);

/* -10 log10 (1 - v) for an SSIM-like value v <= 1, capped at
 * EST_QUALITY_DB_CAP. */
double est_quality_db (double v);

#endif
