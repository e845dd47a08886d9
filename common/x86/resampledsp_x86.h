/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_RESAMPLEDSP_X86_H
#define EST_RESAMPLEDSP_X86_H

#include "resampledsp.h"

/* Same contracts as the EstResampleDSP members they implement; in
 * particular they read no sample outside src[0 .. f->src_len - 1] (resp.
 * src[k][0 .. width - 1]) and write none outside the outputs. */

/* AVX2 (resampledsp_avx2.c, built with -mavx2). */
void est_resample_hscale_avx2 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f);
void est_resample_vscale_avx2 (int16_t * dst, const int16_t * const *src,
    const int16_t * coeff, int taps, int width);

/* AVX-512 F/BW/VL/DQ (resampledsp_avx512.c, built with -mavx512f
 * -mavx512bw -mavx512vl -mavx512dq). hscale falls back to the AVX2 one for
 * filters without the perm16 layout, so it also needs AVX2 (which every
 * AVX-512 CPU has). */
void est_resample_hscale_avx512 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f);
void est_resample_vscale_avx512 (int16_t * dst, const int16_t * const *src,
    const int16_t * coeff, int taps, int width);

#endif
