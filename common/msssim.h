/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_MSSSIM_H
#define EST_MSSSIM_H

#include <stddef.h>

#include "slicethread.h"

/* Multi-scale SSIM of one plane (Z. Wang, E. P. Simoncelli, A. C. Bovik,
 * "Multi-scale structural similarity for image quality assessment", 2003):
 *
 *   samples -> float -> [scale s: 11x11 Gaussian (sigma 1.5, valid region)
 *   -> mean contrast-structure cs_s, mean SSIM -> 2x2 box average, odd
 *   row/column dropped] x scales -> prod cs_s^w_s (s < last) * SSIM^w_last
 *
 * Weights 0.0448, 0.2856, 0.3001, 0.2363, 0.1333; constants K1 = 0.01,
 * K2 = 0.03 of the peak 2^depth - 1. A plane whose smallest scale would be
 * under 11 samples uses fewer scales, with the weights of those scales
 * renormalised to sum 1. Negative means are clamped to 0 before the power,
 * so the result is in [0, 1] and never NaN. */

typedef struct EstMsssim EstMsssim;

/* Number of scales for a width x height plane: 0 when under 11x11. */
int est_msssim_scales (int width, int height);

/* For planes of width x height samples of the given depth (8..16; above 8
 * the samples are uint16_t). max_threads is the thread count of the pool
 * that will be passed to est_msssim_compute. NULL when the plane is too
 * small or memory runs out. */
EstMsssim *est_msssim_new (int width, int height, int depth, int max_threads);
void est_msssim_free (EstMsssim * m);

/* MS-SSIM of dist against ref (byte strides). */
double est_msssim_compute (EstMsssim * m, EstSlicePool * pool,
    const void *ref, ptrdiff_t ref_stride, const void *dist,
    ptrdiff_t dist_stride);

#endif
