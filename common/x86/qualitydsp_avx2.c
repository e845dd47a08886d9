/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* AVX2 versions of the quality kernels. Built with -mavx2 (meson); only
 * called when the CPU reports AVX2. Results are bit-identical to the C
 * references in qualitydsp.c, which handle the leftover columns. */

#include "x86/qualitydsp_x86.h"

#include <immintrin.h>

#define ROW(ptr, stride, y, type) \
  ((const type *) ((const uint8_t *) (ptr) + (ptrdiff_t) (y) * (stride)))

static uint64_t
hsum_epi64 (__m256i v)
{
  __m128i s = _mm_add_epi64 (_mm256_castsi256_si128 (v),
      _mm256_extracti128_si256 (v, 1));
  return (uint64_t) _mm_cvtsi128_si64 (s) + (uint64_t) _mm_extract_epi64 (s, 1);
}

/* Adds the eight unsigned 32-bit lanes of v to the four 64-bit lanes of
 * acc. */
static __m256i
widen_add (__m256i acc, __m256i v)
{
  __m256i zero = _mm256_setzero_si256 ();
  acc = _mm256_add_epi64 (acc, _mm256_unpacklo_epi32 (v, zero));
  return _mm256_add_epi64 (acc, _mm256_unpackhi_epi32 (v, zero));
}

uint64_t
est_sse8_avx2 (const uint8_t * a, ptrdiff_t a_stride, const uint8_t * b,
    ptrdiff_t b_stride, int w, int h)
{
  const int wv = w & ~15;
  __m256i acc64 = _mm256_setzero_si256 ();
  uint64_t tail = 0;

  for (int y = 0; y < h; y++) {
    const uint8_t *ra = ROW (a, a_stride, y, uint8_t);
    const uint8_t *rb = ROW (b, b_stride, y, uint8_t);
    __m256i acc32 = _mm256_setzero_si256 ();
    int x = 0;
    while (x < wv) {
      /* Each 32-bit lane gains at most 2 * 255^2 per step: flush to 64 bits
       * every 4096 steps, long before it could wrap. */
      const int end = wv - x > 16 * 4096 ? x + 16 * 4096 : wv;
      for (; x < end; x += 16) {
        __m256i va = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const void *)
                (ra + x)));
        __m256i vb = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const void *)
                (rb + x)));
        __m256i d = _mm256_sub_epi16 (va, vb);
        acc32 = _mm256_add_epi32 (acc32, _mm256_madd_epi16 (d, d));
      }
      acc64 = widen_add (acc64, acc32);
      acc32 = _mm256_setzero_si256 ();
    }
    for (; x < w; x++) {
      int d = ra[x] - rb[x];
      tail += (uint64_t) (d * d);
    }
  }
  return hsum_epi64 (acc64) + tail;
}

uint64_t
est_sse16_avx2 (const uint16_t * a, ptrdiff_t a_stride, const uint16_t * b,
    ptrdiff_t b_stride, int w, int h)
{
  const int wv = w & ~7;
  __m256i acc = _mm256_setzero_si256 ();
  uint64_t tail = 0;

  for (int y = 0; y < h; y++) {
    const uint16_t *ra = ROW (a, a_stride, y, uint16_t);
    const uint16_t *rb = ROW (b, b_stride, y, uint16_t);
    int x = 0;
    for (; x < wv; x += 8) {
      /* Differences of 16-bit samples need 17 bits: square them as signed
       * 32-bit values into 64-bit products. */
      __m256i va = _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const void *)
              (ra + x)));
      __m256i vb = _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const void *)
              (rb + x)));
      __m256i d = _mm256_sub_epi32 (va, vb);
      __m256i d_odd = _mm256_srli_epi64 (d, 32);
      acc = _mm256_add_epi64 (acc, _mm256_mul_epi32 (d, d));
      acc = _mm256_add_epi64 (acc, _mm256_mul_epi32 (d_odd, d_odd));
    }
    for (; x < w; x++) {
      int64_t d = (int64_t) ra[x] - rb[x];
      tail += (uint64_t) (d * d);
    }
  }
  return hsum_epi64 (acc) + tail;
}

/* From per-pair 32-bit sums (lanes 2k, 2k + 1 belong to block k; blocks 0, 1
 * in the low 128 bits, 2, 3 in the high), returns the four blocks'
 * {s1, s2, ss, s12} in memory order: blocks 0-1 in *lo01, 2-3 in *hi23. */
static void
gather_blocks (__m256i s1, __m256i s2, __m256i ss, __m256i s12,
    __m256i * b01, __m256i * b23)
{
  __m256i x = _mm256_hadd_epi32 (s1, s2);       /* s1_0 s1_1 s2_0 s2_1 | 2 3 */
  __m256i y = _mm256_hadd_epi32 (ss, s12);
  x = _mm256_shuffle_epi32 (x, _MM_SHUFFLE (3, 1, 2, 0));
  y = _mm256_shuffle_epi32 (y, _MM_SHUFFLE (3, 1, 2, 0));
  __m256i even = _mm256_unpacklo_epi64 (x, y);  /* block 0 | block 2 */
  __m256i odd = _mm256_unpackhi_epi64 (x, y);   /* block 1 | block 3 */
  *b01 = _mm256_permute2x128_si256 (even, odd, 0x20);
  *b23 = _mm256_permute2x128_si256 (even, odd, 0x31);
}

void
est_ssim_4x4_line8_avx2 (const uint8_t * a, ptrdiff_t a_stride,
    const uint8_t * b, ptrdiff_t b_stride, int32_t (*sums)[4], int n)
{
  const __m256i ones = _mm256_set1_epi16 (1);
  const int nv = n & ~3;
  int i = 0;

  for (; i < nv; i += 4) {
    __m256i s1 = _mm256_setzero_si256 (), s2 = s1, ss = s1, s12 = s1;
    for (int y = 0; y < 4; y++) {
      const uint8_t *ra = ROW (a, a_stride, y, uint8_t) + 4 * i;
      const uint8_t *rb = ROW (b, b_stride, y, uint8_t) + 4 * i;
      __m256i va = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const void *) ra));
      __m256i vb = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const void *) rb));
      s1 = _mm256_add_epi32 (s1, _mm256_madd_epi16 (va, ones));
      s2 = _mm256_add_epi32 (s2, _mm256_madd_epi16 (vb, ones));
      ss = _mm256_add_epi32 (ss, _mm256_madd_epi16 (va, va));
      ss = _mm256_add_epi32 (ss, _mm256_madd_epi16 (vb, vb));
      s12 = _mm256_add_epi32 (s12, _mm256_madd_epi16 (va, vb));
    }
    __m256i b01, b23;
    gather_blocks (s1, s2, ss, s12, &b01, &b23);
    _mm256_storeu_si256 ((void *) sums[i], b01);
    _mm256_storeu_si256 ((void *) sums[i + 2], b23);
  }

  if (i < n) {
    EstQualityDSP c;
    est_quality_dsp_init (&c, 0);
    c.ssim_4x4_line8 (a + 4 * i, a_stride, b + 4 * i, b_stride, sums + i,
        n - i);
  }
}

void
est_ssim_4x4_line16_avx2 (const uint16_t * a, ptrdiff_t a_stride,
    const uint16_t * b, ptrdiff_t b_stride, int64_t (*sums)[4], int n)
{
  const __m256i ones = _mm256_set1_epi16 (1);
  const int nv = n & ~3;
  int i = 0;

  for (; i < nv; i += 4) {
    __m256i s1 = _mm256_setzero_si256 (), s2 = s1, ss = s1, s12 = s1;
    for (int y = 0; y < 4; y++) {
      const uint16_t *ra = ROW (a, a_stride, y, uint16_t) + 4 * i;
      const uint16_t *rb = ROW (b, b_stride, y, uint16_t) + 4 * i;
      /* 12-bit samples: products and pair sums fit signed 32 bits. */
      __m256i va = _mm256_loadu_si256 ((const void *) ra);
      __m256i vb = _mm256_loadu_si256 ((const void *) rb);
      s1 = _mm256_add_epi32 (s1, _mm256_madd_epi16 (va, ones));
      s2 = _mm256_add_epi32 (s2, _mm256_madd_epi16 (vb, ones));
      ss = _mm256_add_epi32 (ss, _mm256_madd_epi16 (va, va));
      ss = _mm256_add_epi32 (ss, _mm256_madd_epi16 (vb, vb));
      s12 = _mm256_add_epi32 (s12, _mm256_madd_epi16 (va, vb));
    }
    __m256i b01, b23;
    gather_blocks (s1, s2, ss, s12, &b01, &b23);
    _mm256_storeu_si256 ((void *) sums[i],
        _mm256_cvtepi32_epi64 (_mm256_castsi256_si128 (b01)));
    _mm256_storeu_si256 ((void *) sums[i + 1],
        _mm256_cvtepi32_epi64 (_mm256_extracti128_si256 (b01, 1)));
    _mm256_storeu_si256 ((void *) sums[i + 2],
        _mm256_cvtepi32_epi64 (_mm256_castsi256_si128 (b23)));
    _mm256_storeu_si256 ((void *) sums[i + 3],
        _mm256_cvtepi32_epi64 (_mm256_extracti128_si256 (b23, 1)));
  }

  if (i < n) {
    EstQualityDSP c;
    est_quality_dsp_init (&c, 0);
    c.ssim_4x4_line16 (a + 4 * i, a_stride, b + 4 * i, b_stride, sums + i,
        n - i);
  }
}
