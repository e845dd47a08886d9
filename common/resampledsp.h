/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_RESAMPLEDSP_H
#define EST_RESAMPLEDSP_H

#include <stddef.h>
#include <stdint.h>

#include "resample.h"

/* The two passes of the separable resampler of esthdrscale: a horizontal
 * pass per source row into a ring of scaled rows, then a vertical pass per
 * output row over taps rows of that ring. The C references in
 * resampledsp.c are the specification; ISA versions give bit-identical
 * results (tests/common/resample checks them on random and extreme input).
 *
 * Samples are int16_t. Results are
 * clamp_int16 ((sum of sample * coeff + 8192) >> 14), the shift
 * arithmetic (rounding half up). The sum is int32 and cannot overflow for
 * samples |s| <= 32768 and coefficients with sum |coeff| <= 65535, which
 * every EstResampleFilter guarantees (resample.h). */
typedef struct EstResampleDSP
{
  /* dst[i] = clamp_int16 ((sum over k < f->taps of
   *   src[f->offset[i] + k] * f->coeff[i * f->taps + k] + 8192) >> 14)
   * for i < f->dst_len. src holds f->src_len samples; no kernel reads
   * outside src[0 .. f->src_len - 1] (no padding needed), nor writes
   * outside dst[0 .. f->dst_len - 1]. No alignment is required. */
  void (*hscale) (int16_t * dst, const int16_t * src,
      const EstResampleFilter * f);

  /* dst[x] = clamp_int16 ((sum over k < taps of src[k][x] * coeff[k]
   *   + 8192) >> 14) for x < width (>= 0). taps >= 1 (any number);
   * sum |coeff| <= 65535 (true of any row of an EstResampleFilter's
   * coeff). Reads src[k][0 .. width - 1] only; no alignment required. */
  void (*vscale) (int16_t * dst, const int16_t * const *src,
      const int16_t * coeff, int taps, int width);
} EstResampleDSP;

/* Fills dsp with the C references, then overrides what the CPU features in
 * cpu_flags (EST_CPU_FLAG_*, see cpu.h) allow: 0 for the C references
 * only, est_cpu_flags () for the fastest. */
void est_resample_dsp_init (EstResampleDSP * dsp, unsigned cpu_flags);

/* ISA overrides, called by est_resample_dsp_init. */
void est_resample_dsp_init_x86 (EstResampleDSP * dsp, unsigned cpu_flags);

/* The C reference of hscale for outputs first .. f->dst_len - 1 only: the
 * ISA versions finish a row's last outputs with it. */
void est_resample_hscale_tail_c (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f, int first);

#endif
