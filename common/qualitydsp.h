/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_QUALITYDSP_H
#define EST_QUALITYDSP_H

#include <stddef.h>
#include <stdint.h>

/* The hot kernels of the quality metrics. The C references in qualitydsp.c
 * are the specification; ISA versions must return bit-identical results
 * (tests/common/qualitydsp checks them on random and extreme input).
 *
 * Samples wider than 8 bits are native-endian uint16_t holding values below
 * 1 << 16; strides are in bytes and may be negative. Widths and heights are
 * >= 0; a zero size returns 0 or writes nothing. */
typedef struct EstQualityDSP
{
  /* Sum over a w x h rectangle of (a - b)^2. Exact for any 8-bit plane up to
   * 2^40 samples. */
  uint64_t (*sse8) (const uint8_t * a, ptrdiff_t a_stride,
      const uint8_t * b, ptrdiff_t b_stride, int w, int h);
  /* Same for 16-bit containers; exact for samples up to 16 bits and planes
   * up to 2^32 samples. */
  uint64_t (*sse16) (const uint16_t * a, ptrdiff_t a_stride,
      const uint16_t * b, ptrdiff_t b_stride, int w, int h);

  /* For n 4x4 blocks side by side starting at a and b (4 rows of 4n samples
   * each), writes sums[i] = { sum a, sum b, sum a^2 + b^2, sum a*b } of
   * block i. */
  void (*ssim_4x4_line8) (const uint8_t * a, ptrdiff_t a_stride,
      const uint8_t * b, ptrdiff_t b_stride, int32_t (*sums)[4], int n);
  /* Samples of at most 12 bits. */
  void (*ssim_4x4_line16) (const uint16_t * a, ptrdiff_t a_stride,
      const uint16_t * b, ptrdiff_t b_stride, int64_t (*sums)[4], int n);

  /* Sum of the SSIM of the n 8x8 windows formed by the block pairs
   * (top[i], top[i + 1], bottom[i], bottom[i + 1]), i < n; each window's
   * SSIM uses FFmpeg's integer formula with peak value max. Arrays hold
   * n + 1 entries. */
  double (*ssim_end_line8) (const int32_t (*top)[4],
      const int32_t (*bottom)[4], int n);
  double (*ssim_end_line16) (const int64_t (*top)[4],
      const int64_t (*bottom)[4], int n, int max);
} EstQualityDSP;

/* Fills dsp with the C references, then overrides what the CPU features in
 * cpu_flags (EST_CPU_FLAG_*, see cpu.h) allow. Pass 0 for the C
 * references only, est_cpu_flags () for the fastest. */
void est_quality_dsp_init (EstQualityDSP * dsp, unsigned cpu_flags);

/* ISA overrides, called by est_quality_dsp_init. */
void est_quality_dsp_init_x86 (EstQualityDSP * dsp, unsigned cpu_flags);

#endif
