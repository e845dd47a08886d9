/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* AVX2 versions of the lookahead kernels. Built with -mavx2 (meson); only
 * called when the CPU reports AVX2. Results are bit-identical to the C
 * references in lookaheaddsp.c, which also handle the downscales' last
 * columns when the width is not a multiple of 8.
 *
 * The block kernels load an 8 x 8 block two rows at a time, 8 bytes each,
 * into the two halves of a 128-bit register. The SATD widens such a pair to
 * 16 bits, row 2k in the low 128 bits and row 2k + 1 in the high 128 bits:
 * its transform across rows then needs only one exchange between the two
 * halves, at the very end. */

#include "x86/lookaheaddsp_x86.h"

#include <immintrin.h>

#define ROW(ptr, stride, y, type) \
  ((const type *) ((const uint8_t *) (ptr) + (ptrdiff_t) (y) * (stride)))

/* Rows p and q of 8 bytes each: p in the low half, q in the high half. */
static inline __m128i
load_rows (const uint8_t * p, const uint8_t * q)
{
  return _mm_unpacklo_epi64 (_mm_loadl_epi64 ((const void *) p),
      _mm_loadl_epi64 ((const void *) q));
}

/* Sixteen outputs of the 8-bit downscale from 32 samples of rows r0 and r1,
 * as 16-bit lanes: the sums of four are at most 1020, so the pair sums of
 * maddubs (unsigned samples times +1) and their total never saturate. */
static inline __m256i
down8_16x (const uint8_t * r0, const uint8_t * r1)
{
  const __m256i ones = _mm256_set1_epi8 (1);
  __m256i s0 = _mm256_maddubs_epi16 (_mm256_loadu_si256 ((const void *) r0),
      ones);
  __m256i s1 = _mm256_maddubs_epi16 (_mm256_loadu_si256 ((const void *) r1),
      ones);
  __m256i s = _mm256_add_epi16 (_mm256_add_epi16 (s0, s1),
      _mm256_set1_epi16 (2));
  return _mm256_srli_epi16 (s, 2);
}

void
est_downscale2_8_avx2 (uint8_t * dst, ptrdiff_t dst_stride,
    const uint8_t * src, ptrdiff_t src_stride, int w, int h)
{
  const int wv = w & ~7;

  for (int y = 0; y < h; y++) {
    const uint8_t *r0 = ROW (src, src_stride, 2 * y, uint8_t);
    const uint8_t *r1 = ROW (src, src_stride, 2 * y + 1, uint8_t);
    uint8_t *d = dst + (ptrdiff_t) y * dst_stride;
    int x = 0;

    for (; x + 32 <= wv; x += 32) {
      __m256i lo = down8_16x (r0 + 2 * x, r1 + 2 * x);
      __m256i hi = down8_16x (r0 + 2 * x + 32, r1 + 2 * x + 32);
      /* packus works within 128-bit halves: put the quarters back in
       * order. */
      __m256i p = _mm256_permute4x64_epi64 (_mm256_packus_epi16 (lo, hi),
          _MM_SHUFFLE (3, 1, 2, 0));
      _mm256_storeu_si256 ((void *) (d + x), p);
    }
    if (x + 16 <= wv) {
      __m256i v = down8_16x (r0 + 2 * x, r1 + 2 * x);
      _mm_storeu_si128 ((void *) (d + x),
          _mm_packus_epi16 (_mm256_castsi256_si128 (v),
              _mm256_extracti128_si256 (v, 1)));
      x += 16;
    }
    if (x < wv) {
      const __m128i ones = _mm_set1_epi8 (1);
      __m128i s0 = _mm_maddubs_epi16 (_mm_loadu_si128 ((const void *) (r0 +
                  2 * x)), ones);
      __m128i s1 = _mm_maddubs_epi16 (_mm_loadu_si128 ((const void *) (r1 +
                  2 * x)), ones);
      __m128i s = _mm_srli_epi16 (_mm_add_epi16 (_mm_add_epi16 (s0, s1),
              _mm_set1_epi16 (2)), 2);
      _mm_storel_epi64 ((void *) (d + x), _mm_packus_epi16 (s, s));
    }
  }

  if (wv < w) {
    EstLookaheadDSP c;
    est_lookahead_dsp_init (&c, 0);
    c.downscale2_8 (dst + wv, dst_stride, src + 2 * wv, src_stride, w - wv, h);
  }
}

/* Eight outputs of the high-depth downscale from 16 samples of rows r0 and
 * r1, as 32-bit lanes before the clamp. madd takes signed 16-bit lanes:
 * flipping the top bit turns sample s into s - 32768, and bias (4 * 32768
 * plus the rounding term) adds back the four offsets. Exact for any
 * 16-bit samples: the sum stays below 2^19. */
static inline __m256i
down16_8x (const uint16_t * r0, const uint16_t * r1, __m256i bias,
    __m128i shift)
{
  const __m256i flip = _mm256_set1_epi16 ((short) 0x8000);
  const __m256i ones = _mm256_set1_epi16 (1);
  __m256i a = _mm256_xor_si256 (_mm256_loadu_si256 ((const void *) r0), flip);
  __m256i b = _mm256_xor_si256 (_mm256_loadu_si256 ((const void *) r1), flip);
  __m256i s = _mm256_add_epi32 (_mm256_madd_epi16 (a, ones),
      _mm256_madd_epi16 (b, ones));
  return _mm256_srl_epi32 (_mm256_add_epi32 (s, bias), shift);
}

void
est_downscale2_16_avx2 (uint8_t * dst, ptrdiff_t dst_stride,
    const uint16_t * src, ptrdiff_t src_stride, int w, int h, int depth)
{
  const int wv = w & ~7;
  const __m256i bias = _mm256_set1_epi32 (4 * 32768 + (1 << (depth - 7)));
  const __m128i shift = _mm_cvtsi32_si128 (depth - 6);
  /* After the shift a value can exceed 255: 256 from in-range samples, up
   * to 32768 from stray high bits (four samples of 65535 at depth 9). The
   * signed packs_epi32 turns 32768 into 32767 rather than into a negative
   * lane, and packus_epi16 then clamps everything to 255. */
  const __m256i order = _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7);

  for (int y = 0; y < h; y++) {
    const uint16_t *r0 = ROW (src, src_stride, 2 * y, uint16_t);
    const uint16_t *r1 = ROW (src, src_stride, 2 * y + 1, uint16_t);
    uint8_t *d = dst + (ptrdiff_t) y * dst_stride;
    int x = 0;

    for (; x + 32 <= wv; x += 32) {
      const uint16_t *p0 = r0 + 2 * x, *p1 = r1 + 2 * x;
      __m256i v0 = down16_8x (p0, p1, bias, shift);
      __m256i v1 = down16_8x (p0 + 16, p1 + 16, bias, shift);
      __m256i v2 = down16_8x (p0 + 32, p1 + 32, bias, shift);
      __m256i v3 = down16_8x (p0 + 48, p1 + 48, bias, shift);
      __m256i w01 = _mm256_packs_epi32 (v0, v1);
      __m256i w23 = _mm256_packs_epi32 (v2, v3);
      /* The 32-bit lanes now hold the groups of four outputs in the
       * order 0 2 4 6 1 3 5 7. */
      __m256i p = _mm256_permutevar8x32_epi32 (_mm256_packus_epi16 (w01,
              w23), order);
      _mm256_storeu_si256 ((void *) (d + x), p);
    }
    for (; x < wv; x += 8) {
      __m256i v = down16_8x (r0 + 2 * x, r1 + 2 * x, bias, shift);
      __m128i s = _mm_packs_epi32 (_mm256_castsi256_si128 (v),
          _mm256_extracti128_si256 (v, 1));
      _mm_storel_epi64 ((void *) (d + x), _mm_packus_epi16 (s, s));
    }
  }

  if (wv < w) {
    EstLookaheadDSP c;
    est_lookahead_dsp_init (&c, 0);
    c.downscale2_16 (dst + wv, dst_stride, src + 2 * wv, src_stride, w - wv,
        h, depth);
  }
}

int
est_sad8x8_avx2 (const uint8_t * a, ptrdiff_t a_stride, const uint8_t * b,
    ptrdiff_t b_stride)
{
  __m128i s = _mm_setzero_si128 ();

  /* Two rows per register: filling 256 bits would take a lane insert per
   * four rows and gain nothing over two 128-bit psadbw. The sixteen 8-byte
   * loads bound this kernel; a compiler that vectorises the C reference
   * with psadbw reaches the same speed, this one guarantees it. */
  for (int k = 0; k < 4; k++) {
    s = _mm_add_epi64 (s, _mm_sad_epu8 (load_rows (a, a + a_stride),
            load_rows (b, b + b_stride)));
    a += 2 * a_stride;
    b += 2 * b_stride;
  }
  s = _mm_add_epi64 (s, _mm_unpackhi_epi64 (s, s));
  return _mm_cvtsi128_si32 (s);
}

/* One stage of the 8-point Hadamard transform within each row (each
 * 128-bit half): lane j with partner j ^ dist (held in the same lane of
 * swapped) becomes v[j] + v[j ^ dist] when bit dist of j is clear and
 * v[j ^ dist] - v[j] when it is set, which neg (-1 in those lanes) gives. */
static inline __m256i
row_stage (__m256i v, __m256i swapped, __m256i neg)
{
  return _mm256_add_epi16 (swapped, _mm256_sign_epi16 (v, neg));
}

int
est_satd8x8_avx2 (const uint8_t * a, ptrdiff_t a_stride, const uint8_t * b,
    ptrdiff_t b_stride)
{
  const __m256i swap1 = _mm256_setr_epi8 (2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8,
      9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12,
      13);
  const __m256i neg1 = _mm256_setr_epi16 (1, -1, 1, -1, 1, -1, 1, -1, 1, -1,
      1, -1, 1, -1, 1, -1);
  const __m256i neg2 = _mm256_setr_epi16 (1, 1, -1, -1, 1, 1, -1, -1, 1, 1,
      -1, -1, 1, 1, -1, -1);
  const __m256i neg4 = _mm256_setr_epi16 (1, 1, 1, 1, -1, -1, -1, -1, 1, 1,
      1, 1, -1, -1, -1, -1);
  __m256i d[4];

  /* Differences fit 16 bits, and so does every coefficient: at most
   * 64 * 255 in magnitude. */
  for (int k = 0; k < 4; k++) {
    __m256i va = _mm256_cvtepu8_epi16 (load_rows (a, a + a_stride));
    __m256i vb = _mm256_cvtepu8_epi16 (load_rows (b, b + b_stride));
    __m256i v = _mm256_sub_epi16 (va, vb);

    a += 2 * a_stride;
    b += 2 * b_stride;

    v = row_stage (v, _mm256_shuffle_epi8 (v, swap1), neg1);
    v = row_stage (v, _mm256_shuffle_epi32 (v, _MM_SHUFFLE (2, 3, 0, 1)), neg2);
    d[k] = row_stage (v, _mm256_shuffle_epi32 (v, _MM_SHUFFLE (1, 0, 3, 2)),
        neg4);
  }

  /* Across rows: distance 2 between registers 0-1 and 2-3, then distance
   * 4 between 0-2 and 1-3. */
  __m256i e0 = _mm256_add_epi16 (d[0], d[1]);
  __m256i e1 = _mm256_sub_epi16 (d[0], d[1]);
  __m256i e2 = _mm256_add_epi16 (d[2], d[3]);
  __m256i e3 = _mm256_sub_epi16 (d[2], d[3]);
  __m256i f0 = _mm256_abs_epi16 (_mm256_add_epi16 (e0, e2));
  __m256i f1 = _mm256_abs_epi16 (_mm256_add_epi16 (e1, e3));
  __m256i f2 = _mm256_abs_epi16 (_mm256_sub_epi16 (e0, e2));
  __m256i f3 = _mm256_abs_epi16 (_mm256_sub_epi16 (e1, e3));

  /* The last stage pairs row 2k with row 2k + 1, the two halves of one
   * register, and |p + q| + |p - q| = 2 max (|p|, |q|): take the maxima
   * and halve the final rounding instead. */
  __m256i m01 = _mm256_max_epi16 (_mm256_permute2x128_si256 (f0, f1, 0x20),
      _mm256_permute2x128_si256 (f0, f1, 0x31));
  __m256i m23 = _mm256_max_epi16 (_mm256_permute2x128_si256 (f2, f3, 0x20),
      _mm256_permute2x128_si256 (f2, f3, 0x31));
  /* Two maxima add up to at most 2 * 16320: still a positive 16-bit lane
   * for madd. */
  __m256i s = _mm256_madd_epi16 (_mm256_add_epi16 (m01, m23),
      _mm256_set1_epi16 (1));
  __m128i t = _mm_add_epi32 (_mm256_castsi256_si128 (s),
      _mm256_extracti128_si256 (s, 1));
  t = _mm_add_epi32 (t, _mm_shuffle_epi32 (t, _MM_SHUFFLE (1, 0, 3, 2)));
  t = _mm_add_epi32 (t, _mm_shuffle_epi32 (t, _MM_SHUFFLE (2, 3, 0, 1)));

  /* The sum of |coefficients| is twice the sum of maxima m:
   * (2m + 2) >> 2 = (m + 1) >> 1. */
  return (_mm_cvtsi128_si32 (t) + 1) >> 1;
}

uint64_t
est_var8x8_avx2 (const uint8_t * a, ptrdiff_t a_stride)
{
  const __m256i ones = _mm256_set1_epi16 (1);
  __m256i sum = _mm256_setzero_si256 (), sq = sum;

  /* madd for both: the sums then stay on the multiply ports, next to the
   * squares, instead of queueing for the shuffle port behind the
   * widening. */
  for (int k = 0; k < 4; k++) {
    __m256i v = _mm256_cvtepu8_epi16 (load_rows (a, a + a_stride));
    a += 2 * a_stride;
    sum = _mm256_add_epi32 (sum, _mm256_madd_epi16 (v, ones));
    sq = _mm256_add_epi32 (sq, _mm256_madd_epi16 (v, v));
  }

  /* Pairwise additions down to the block's sum in lane 0 and its squares
   * in lane 1, the layout the contract returns. */
  __m256i x = _mm256_hadd_epi32 (sum, sq);
  __m128i t = _mm_add_epi32 (_mm256_castsi256_si128 (x),
      _mm256_extracti128_si256 (x, 1));
  t = _mm_hadd_epi32 (t, t);
  return (uint64_t) _mm_cvtsi128_si64 (t);
}
