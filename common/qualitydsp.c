/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* C references of the quality kernels. Written for clarity: they define the
 * results every ISA version must reproduce exactly. */

#include "qualitydsp.h"

#define ROW(ptr, stride, y, type) \
  ((const type *) ((const uint8_t *) (ptr) + (ptrdiff_t) (y) * (stride)))

static uint64_t
sse8_c (const uint8_t * a, ptrdiff_t a_stride, const uint8_t * b,
    ptrdiff_t b_stride, int w, int h)
{
  uint64_t sse = 0;
  for (int y = 0; y < h; y++) {
    const uint8_t *ra = ROW (a, a_stride, y, uint8_t);
    const uint8_t *rb = ROW (b, b_stride, y, uint8_t);
    for (int x = 0; x < w; x++) {
      int d = ra[x] - rb[x];
      sse += (uint64_t) (d * d);
    }
  }
  return sse;
}

static uint64_t
sse16_c (const uint16_t * a, ptrdiff_t a_stride, const uint16_t * b,
    ptrdiff_t b_stride, int w, int h)
{
  uint64_t sse = 0;
  for (int y = 0; y < h; y++) {
    const uint16_t *ra = ROW (a, a_stride, y, uint16_t);
    const uint16_t *rb = ROW (b, b_stride, y, uint16_t);
    for (int x = 0; x < w; x++) {
      int64_t d = (int64_t) ra[x] - rb[x];
      sse += (uint64_t) (d * d);
    }
  }
  return sse;
}

static void
ssim_4x4_line8_c (const uint8_t * a, ptrdiff_t a_stride, const uint8_t * b,
    ptrdiff_t b_stride, int32_t (*sums)[4], int n)
{
  for (int i = 0; i < n; i++) {
    int32_t s1 = 0, s2 = 0, ss = 0, s12 = 0;
    for (int y = 0; y < 4; y++) {
      const uint8_t *ra = ROW (a, a_stride, y, uint8_t) + 4 * i;
      const uint8_t *rb = ROW (b, b_stride, y, uint8_t) + 4 * i;
      for (int x = 0; x < 4; x++) {
        int va = ra[x], vb = rb[x];
        s1 += va;
        s2 += vb;
        ss += va * va + vb * vb;
        s12 += va * vb;
      }
    }
    sums[i][0] = s1;
    sums[i][1] = s2;
    sums[i][2] = ss;
    sums[i][3] = s12;
  }
}

static void
ssim_4x4_line16_c (const uint16_t * a, ptrdiff_t a_stride, const uint16_t * b,
    ptrdiff_t b_stride, int64_t (*sums)[4], int n)
{
  for (int i = 0; i < n; i++) {
    int64_t s1 = 0, s2 = 0, ss = 0, s12 = 0;
    for (int y = 0; y < 4; y++) {
      const uint16_t *ra = ROW (a, a_stride, y, uint16_t) + 4 * i;
      const uint16_t *rb = ROW (b, b_stride, y, uint16_t) + 4 * i;
      for (int x = 0; x < 4; x++) {
        int64_t va = ra[x], vb = rb[x];
        s1 += va;
        s2 += vb;
        ss += va * va + vb * vb;
        s12 += va * vb;
      }
    }
    sums[i][0] = s1;
    sums[i][1] = s2;
    sums[i][2] = ss;
    sums[i][3] = s12;
  }
}

/* One 8x8 window from its sums over 64 samples: FFmpeg's (and x264's)
 * integer form of SSIM, constants scaled by 64 and 64 * 63. */
static double
ssim_window (int64_t s1, int64_t s2, int64_t ss, int64_t s12, int max)
{
  const double c1 = .01 * .01 * max * max * 64;
  const double c2 = .03 * .03 * max * max * 64 * 63;
  int64_t vars = ss * 64 - s1 * s1 - s2 * s2;
  int64_t covar = s12 * 64 - s1 * s2;

  return ((2.0 * s1 * s2 + c1) * (2.0 * covar + c2)) /
      (((double) s1 * s1 + (double) s2 * s2 + c1) * ((double) vars + c2));
}

static double
ssim_end_line8_c (const int32_t (*top)[4], const int32_t (*bottom)[4], int n)
{
  double sum = 0.0;
  for (int i = 0; i < n; i++) {
    int64_t s[4];
    for (int k = 0; k < 4; k++)
      s[k] = (int64_t) top[i][k] + top[i + 1][k] + bottom[i][k] +
          bottom[i + 1][k];
    sum += ssim_window (s[0], s[1], s[2], s[3], 255);
  }
  return sum;
}

static double
ssim_end_line16_c (const int64_t (*top)[4], const int64_t (*bottom)[4], int n,
    int max)
{
  double sum = 0.0;
  for (int i = 0; i < n; i++) {
    int64_t s[4];
    for (int k = 0; k < 4; k++)
      s[k] = top[i][k] + top[i + 1][k] + bottom[i][k] + bottom[i + 1][k];
    sum += ssim_window (s[0], s[1], s[2], s[3], max);
  }
  return sum;
}

void
est_quality_dsp_init (EstQualityDSP * dsp, unsigned cpu_flags)
{
  dsp->sse8 = sse8_c;
  dsp->sse16 = sse16_c;
  dsp->ssim_4x4_line8 = ssim_4x4_line8_c;
  dsp->ssim_4x4_line16 = ssim_4x4_line16_c;
  dsp->ssim_end_line8 = ssim_end_line8_c;
  dsp->ssim_end_line16 = ssim_end_line16_c;

#if defined(EST_HAVE_X86_DSP)
  est_quality_dsp_init_x86 (dsp, cpu_flags);
#else
  (void) cpu_flags;
#endif
}
