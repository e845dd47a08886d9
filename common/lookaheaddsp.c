/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* C references of the lookahead kernels. Written for clarity: they define
 * the results every ISA version must reproduce exactly. */

#include "lookaheaddsp.h"

#include <stdlib.h>

#define ROW(ptr, stride, y, type) \
  ((const type *) ((const uint8_t *) (ptr) + (ptrdiff_t) (y) * (stride)))

static void
downscale2_8_c (uint8_t * dst, ptrdiff_t dst_stride, const uint8_t * src,
    ptrdiff_t src_stride, int w, int h)
{
  for (int y = 0; y < h; y++) {
    const uint8_t *r0 = ROW (src, src_stride, 2 * y, uint8_t);
    const uint8_t *r1 = ROW (src, src_stride, 2 * y + 1, uint8_t);
    uint8_t *d = dst + (ptrdiff_t) y * dst_stride;
    for (int x = 0; x < w; x++)
      d[x] = (uint8_t) ((r0[2 * x] + r0[2 * x + 1] + r1[2 * x] +
              r1[2 * x + 1] + 2) >> 2);
  }
}

static void
downscale2_16_c (uint8_t * dst, ptrdiff_t dst_stride, const uint16_t * src,
    ptrdiff_t src_stride, int w, int h, int depth)
{
  const int shift = depth - 6;
  const uint32_t round = 1u << (depth - 7);

  for (int y = 0; y < h; y++) {
    const uint16_t *r0 = ROW (src, src_stride, 2 * y, uint16_t);
    const uint16_t *r1 = ROW (src, src_stride, 2 * y + 1, uint16_t);
    uint8_t *d = dst + (ptrdiff_t) y * dst_stride;
    for (int x = 0; x < w; x++) {
      uint32_t sum = (uint32_t) r0[2 * x] + r0[2 * x + 1] + r1[2 * x] +
          r1[2 * x + 1];
      uint32_t v = (sum + round) >> shift;
      d[x] = (uint8_t) (v > 255 ? 255 : v);
    }
  }
}

static int
sad8x8_c (const uint8_t * a, ptrdiff_t a_stride, const uint8_t * b,
    ptrdiff_t b_stride)
{
  int sad = 0;
  for (int y = 0; y < 8; y++) {
    const uint8_t *ra = ROW (a, a_stride, y, uint8_t);
    const uint8_t *rb = ROW (b, b_stride, y, uint8_t);
    for (int x = 0; x < 8; x++)
      sad += abs (ra[x] - rb[x]);
  }
  return sad;
}

/* In-place 8-point Hadamard transform (unnormalised) of v[0], v[s], ... */
static void
hadamard8 (int *v, int s)
{
  for (int half = 1; half < 8; half *= 2)
    for (int i = 0; i < 8; i += 2 * half)
      for (int j = i; j < i + half; j++) {
        int p = v[j * s], q = v[(j + half) * s];
        v[j * s] = p + q;
        v[(j + half) * s] = p - q;
      }
}

static int
satd8x8_c (const uint8_t * a, ptrdiff_t a_stride, const uint8_t * b,
    ptrdiff_t b_stride)
{
  int d[64], sum = 0;

  for (int y = 0; y < 8; y++) {
    const uint8_t *ra = ROW (a, a_stride, y, uint8_t);
    const uint8_t *rb = ROW (b, b_stride, y, uint8_t);
    for (int x = 0; x < 8; x++)
      d[y * 8 + x] = ra[x] - rb[x];
  }
  for (int y = 0; y < 8; y++)
    hadamard8 (d + y * 8, 1);
  for (int x = 0; x < 8; x++)
    hadamard8 (d + x, 8);
  for (int i = 0; i < 64; i++)
    sum += abs (d[i]);
  return (sum + 2) >> 2;
}

static uint64_t
var8x8_c (const uint8_t * a, ptrdiff_t a_stride)
{
  uint32_t sum = 0, sq = 0;
  for (int y = 0; y < 8; y++) {
    const uint8_t *r = ROW (a, a_stride, y, uint8_t);
    for (int x = 0; x < 8; x++) {
      sum += r[x];
      sq += (uint32_t) r[x] * r[x];
    }
  }
  return sum | ((uint64_t) sq << 32);
}

void
est_lookahead_dsp_init (EstLookaheadDSP * dsp, unsigned cpu_flags)
{
  dsp->downscale2_8 = downscale2_8_c;
  dsp->downscale2_16 = downscale2_16_c;
  dsp->sad8x8 = sad8x8_c;
  dsp->satd8x8 = satd8x8_c;
  dsp->var8x8 = var8x8_c;
#if defined(EST_HAVE_X86_DSP)
  est_lookahead_dsp_init_x86 (dsp, cpu_flags);
#else
  (void) cpu_flags;
#endif
}
