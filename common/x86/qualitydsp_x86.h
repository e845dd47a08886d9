/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_QUALITYDSP_X86_H
#define EST_QUALITYDSP_X86_H

#include "qualitydsp.h"

/* AVX2 kernels (qualitydsp_avx2.c, built with -mavx2). Same contracts as the
 * EstQualityDSP members they implement. */
uint64_t est_sse8_avx2 (const uint8_t * a, ptrdiff_t a_stride,
    const uint8_t * b, ptrdiff_t b_stride, int w, int h);
uint64_t est_sse16_avx2 (const uint16_t * a, ptrdiff_t a_stride,
    const uint16_t * b, ptrdiff_t b_stride, int w, int h);
void est_ssim_4x4_line8_avx2 (const uint8_t * a, ptrdiff_t a_stride,
    const uint8_t * b, ptrdiff_t b_stride, int32_t (*sums)[4], int n);
void est_ssim_4x4_line16_avx2 (const uint16_t * a, ptrdiff_t a_stride,
    const uint16_t * b, ptrdiff_t b_stride, int64_t (*sums)[4], int n);

#endif
