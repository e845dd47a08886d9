/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_LOOKAHEADDSP_H
#define EST_LOOKAHEADDSP_H

#include <stddef.h>
#include <stdint.h>

/* The hot kernels of the lookahead analysis (lookahead.c), on the 8-bit
 * downscaled luma copy. The C references in lookaheaddsp.c are the
 * specification; ISA versions must return bit-identical results
 * (tests/common/lookaheaddsp checks them on random and extreme input).
 *
 * Strides are in bytes and may be negative. Block kernels read exactly the
 * 8 x 8 samples at their pointers. */
typedef struct EstLookaheadDSP
{
  /* 2 x 2 box filter to half size: dst[y][x] = (the four samples of
   * src rows 2y, 2y + 1 and columns 2x, 2x + 1, summed, + 2) >> 2, for
   * x < w, y < h (the source holds at least 2w x 2h samples). */
  void (*downscale2_8) (uint8_t * dst, ptrdiff_t dst_stride,
      const uint8_t * src, ptrdiff_t src_stride, int w, int h);
  /* The same from native-endian uint16_t samples of `depth` bits (9..16),
   * to 8 bits: (sum of four + (1 << (depth - 7))) >> (depth - 6), clamped
   * to 255. */
  void (*downscale2_16) (uint8_t * dst, ptrdiff_t dst_stride,
      const uint16_t * src, ptrdiff_t src_stride, int w, int h, int depth);

  /* Sum of |a - b| over an 8 x 8 block. */
  int (*sad8x8) (const uint8_t * a, ptrdiff_t a_stride,
      const uint8_t * b, ptrdiff_t b_stride);
  /* Sum of absolute transformed differences: the unnormalised 8 x 8
   * Hadamard transform of a - b (rows then columns, any order gives the
   * same), |coefficients| summed, then (sum + 2) >> 2. */
  int (*satd8x8) (const uint8_t * a, ptrdiff_t a_stride,
      const uint8_t * b, ptrdiff_t b_stride);
  /* Sum (low 32 bits) and sum of squares (high 32 bits) of an 8 x 8
   * block. */
  uint64_t (*var8x8) (const uint8_t * a, ptrdiff_t a_stride);
} EstLookaheadDSP;

/* Fills dsp with the C references, then overrides what the CPU features in
 * cpu_flags (EST_CPU_FLAG_*, see cpu.h) allow: 0 for the C references
 * only, est_cpu_flags () for the fastest. */
void est_lookahead_dsp_init (EstLookaheadDSP * dsp, unsigned cpu_flags);

/* ISA overrides, called by est_lookahead_dsp_init. */
void est_lookahead_dsp_init_x86 (EstLookaheadDSP * dsp, unsigned cpu_flags);

#endif
