/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_LOOKAHEADDSP_X86_H
#define EST_LOOKAHEADDSP_X86_H

#include "lookaheaddsp.h"

/* AVX2 kernels (lookaheaddsp_avx2.c, built with -mavx2). Same contracts as
 * the EstLookaheadDSP members they implement; in particular they read and
 * write no sample outside the rectangle the contract names. */
void est_downscale2_8_avx2 (uint8_t * dst, ptrdiff_t dst_stride,
    const uint8_t * src, ptrdiff_t src_stride, int w, int h);
void est_downscale2_16_avx2 (uint8_t * dst, ptrdiff_t dst_stride,
    const uint16_t * src, ptrdiff_t src_stride, int w, int h, int depth);
int est_sad8x8_avx2 (const uint8_t * a, ptrdiff_t a_stride,
    const uint8_t * b, ptrdiff_t b_stride);
int est_satd8x8_avx2 (const uint8_t * a, ptrdiff_t a_stride,
    const uint8_t * b, ptrdiff_t b_stride);
uint64_t est_var8x8_avx2 (const uint8_t * a, ptrdiff_t a_stride);

#endif
