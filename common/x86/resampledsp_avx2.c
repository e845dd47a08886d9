/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* AVX2 versions of the resampling passes. Built with -mavx2 (meson); only
 * called when the CPU reports AVX2. Results are bit-identical to the C
 * references in resampledsp.c: every product and pair sum of pmaddwd is
 * exact, and the int32 sums cannot overflow (resample.h), so any order of
 * addition gives the same total.
 *
 * Vertical: pmaddwd on the samples of rows k and k + 1 interleaved
 * (unpacklo/unpackhi), times the pair (coeff[k], coeff[k + 1]) broadcast;
 * 32 columns per iteration in four accumulators, then 16, then the C
 * formula for the last few.
 *
 * Horizontal, two layouts precomputed by est_resample_filter_new:
 * - lane4 (upscales and downscales up to about 2): each 128-bit lane
 *   computes 4 outputs that read within 8 samples of each other. For pair p
 *   the lane loads the 8 samples at its group's base + 2p, a pshufb puts
 *   each output's two samples side by side, and pmaddwd with the pair's
 *   coefficients gives the 4 partial sums. Two registers cover 16 outputs,
 *   which one packssdw puts in order.
 * - dot (larger downscales, long filters): one output at a time,
 *   16 coefficients per pmaddwd, eight outputs reduced together with
 *   phaddd.
 * The outputs the layouts leave (the last ones, whose loads would cross
 * the end of the row) go through the C reference. */

#include "x86/resampledsp_x86.h"

#include <immintrin.h>
#include <string.h>

static inline __m256i
load2x128 (const int16_t * lo, const int16_t * hi)
{
  return _mm256_inserti128_si256 (_mm256_castsi128_si256 (_mm_loadu_si128
          ((const void *) lo)), _mm_loadu_si128 ((const void *) hi), 1);
}

/* Blocks of 16 outputs of the lane4 layout. P is a constant in the
 * specialised callers below, so that the pair loop unrolls. */
static inline __attribute__((always_inline))
     void hscale_lane4 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f, const int P)
{
  const __m256i round = _mm256_set1_epi32 (8192);

  for (int b = 0; b < f->lane4_blocks; b++) {
    const int32_t *base = f->lane4_base + 4 * b;
    const uint8_t *shuf = f->lane4_shuf + 64 * b;
    const int16_t *c = f->lane4_coeff + (size_t) b * P * 32;
    const __m256i sh_a = _mm256_loadu_si256 ((const void *) shuf);
    const __m256i sh_b = _mm256_loadu_si256 ((const void *) (shuf + 32));
    /* Register a holds groups 0 and 2, register b groups 1 and 3. */
    const int16_t *s0 = src + base[0], *s2 = src + base[1];
    const int16_t *s1 = src + base[2], *s3 = src + base[3];
    __m256i acc_a = round, acc_b = round;

    for (int p = 0; p < P; p++) {
      __m256i wa = _mm256_shuffle_epi8 (load2x128 (s0 + 2 * p, s2 + 2 * p),
          sh_a);
      __m256i wb = _mm256_shuffle_epi8 (load2x128 (s1 + 2 * p, s3 + 2 * p),
          sh_b);
      acc_a = _mm256_add_epi32 (acc_a, _mm256_madd_epi16 (wa,
              _mm256_loadu_si256 ((const void *) (c + 32 * p))));
      acc_b = _mm256_add_epi32 (acc_b, _mm256_madd_epi16 (wb,
              _mm256_loadu_si256 ((const void *) (c + 32 * p + 16))));
    }
    acc_a = _mm256_srai_epi32 (acc_a, 14);
    acc_b = _mm256_srai_epi32 (acc_b, 14);
    _mm256_storeu_si256 ((void *) (dst + 16 * b),
        _mm256_packs_epi32 (acc_a, acc_b));
  }
}

static void
hscale_lane4_p1 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_lane4 (dst, src, f, 1);
}

static void
hscale_lane4_p2 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_lane4 (dst, src, f, 2);
}

static void
hscale_lane4_p3 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_lane4 (dst, src, f, 3);
}

static void
hscale_lane4_p4 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_lane4 (dst, src, f, 4);
}

static void
hscale_lane4_any (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_lane4 (dst, src, f, f->pairs);
}

/* The 8 sums of acc[0..7] (8 int32 lanes each), in order. */
static inline __m256i
reduce8 (const __m256i acc[8])
{
  __m256i h01 = _mm256_hadd_epi32 (acc[0], acc[1]);
  __m256i h23 = _mm256_hadd_epi32 (acc[2], acc[3]);
  __m256i h45 = _mm256_hadd_epi32 (acc[4], acc[5]);
  __m256i h67 = _mm256_hadd_epi32 (acc[6], acc[7]);
  /* Per 128-bit lane: partial sums of outputs 0..3, then 4..7. */
  __m256i h0123 = _mm256_hadd_epi32 (h01, h23);
  __m256i h4567 = _mm256_hadd_epi32 (h45, h67);
  return _mm256_add_epi32 (_mm256_permute2x128_si256 (h0123, h4567, 0x20),
      _mm256_permute2x128_si256 (h0123, h4567, 0x31));
}

/* Outputs 0 .. dot_safe rounded down to 8, with the dot layout, T taps.
 * Returns how many it computed. */
static inline __attribute__((always_inline))
     int hscale_dot (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f, const int T)
{
  const __m256i round = _mm256_set1_epi32 (8192);
  int i = 0;

  for (; i + 8 <= f->dot_safe; i += 8) {
    const int16_t *c = f->dot_coeff + (size_t) i * T;
    __m256i acc[8];
    for (int j = 0; j < 8; j++) {
      const int16_t *s = src + f->offset[i + j];
      __m256i a = _mm256_madd_epi16 (_mm256_loadu_si256 ((const void *) s),
          _mm256_loadu_si256 ((const void *) (c + j * T)));
      for (int t = 16; t < T; t += 16)
        a = _mm256_add_epi32 (a,
            _mm256_madd_epi16 (_mm256_loadu_si256 ((const void *) (s + t)),
                _mm256_loadu_si256 ((const void *) (c + j * T + t))));
      acc[j] = a;
    }
    __m256i sum = _mm256_srai_epi32 (_mm256_add_epi32 (reduce8 (acc), round),
        14);
    _mm_storeu_si128 ((void *) (dst + i),
        _mm_packs_epi32 (_mm256_castsi256_si128 (sum),
            _mm256_extracti128_si256 (sum, 1)));
  }
  return i;
}

static int
hscale_dot16 (int16_t * dst, const int16_t * src, const EstResampleFilter * f)
{
  return hscale_dot (dst, src, f, 16);
}

static int
hscale_dot32 (int16_t * dst, const int16_t * src, const EstResampleFilter * f)
{
  return hscale_dot (dst, src, f, 32);
}

static int
hscale_dot_any (int16_t * dst, const int16_t * src, const EstResampleFilter * f)
{
  return hscale_dot (dst, src, f, f->dot_taps);
}

void
est_resample_hscale_avx2 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  int done;

  if (f->lane4_base) {
    switch (f->pairs) {
      case 1:
        hscale_lane4_p1 (dst, src, f);
        break;
      case 2:
        hscale_lane4_p2 (dst, src, f);
        break;
      case 3:
        hscale_lane4_p3 (dst, src, f);
        break;
      case 4:
        hscale_lane4_p4 (dst, src, f);
        break;
      default:
        hscale_lane4_any (dst, src, f);
        break;
    }
    done = 16 * f->lane4_blocks;
  } else if (f->dot_taps == 16) {
    done = hscale_dot16 (dst, src, f);
  } else if (f->dot_taps == 32) {
    done = hscale_dot32 (dst, src, f);
  } else {
    done = hscale_dot_any (dst, src, f);
  }
  est_resample_hscale_tail_c (dst, src, f, done);
}

/* The coefficient pair (coeff[k], coeff[k + 1]) in every 32-bit lane, the
 * first in the low half, matching unpacklo/unpackhi (row k, row k + 1). */
static inline __m256i
coeff_pair (const int16_t * coeff, int k)
{
  int32_t v;
  memcpy (&v, coeff + k, sizeof (v));
  return _mm256_set1_epi32 (v);
}

/* 16 columns from x: sums of pairs of rows, plus the odd last row. */
static inline void
vscale16 (__m256i * lo, __m256i * hi, const int16_t * const *src,
    const int16_t * coeff, int taps, int x)
{
  int k = 0;
  for (; k + 2 <= taps; k += 2) {
    const __m256i c = coeff_pair (coeff, k);
    __m256i a = _mm256_loadu_si256 ((const void *) (src[k] + x));
    __m256i b = _mm256_loadu_si256 ((const void *) (src[k + 1] + x));
    *lo = _mm256_add_epi32 (*lo, _mm256_madd_epi16 (_mm256_unpacklo_epi16 (a,
                b), c));
    *hi = _mm256_add_epi32 (*hi, _mm256_madd_epi16 (_mm256_unpackhi_epi16 (a,
                b), c));
  }
  if (k < taps) {
    const __m256i c = _mm256_set1_epi32 ((uint16_t) coeff[k]);
    const __m256i z = _mm256_setzero_si256 ();
    __m256i a = _mm256_loadu_si256 ((const void *) (src[k] + x));
    *lo = _mm256_add_epi32 (*lo, _mm256_madd_epi16 (_mm256_unpacklo_epi16 (a,
                z), c));
    *hi = _mm256_add_epi32 (*hi, _mm256_madd_epi16 (_mm256_unpackhi_epi16 (a,
                z), c));
  }
}

static inline __m256i
pack16 (__m256i lo, __m256i hi)
{
  return _mm256_packs_epi32 (_mm256_srai_epi32 (lo, 14),
      _mm256_srai_epi32 (hi, 14));
}

void
est_resample_vscale_avx2 (int16_t * dst, const int16_t * const *src,
    const int16_t * coeff, int taps, int width)
{
  const __m256i round = _mm256_set1_epi32 (8192);
  int x = 0;

  for (; x + 32 <= width; x += 32) {
    __m256i lo0 = round, hi0 = round, lo1 = round, hi1 = round;
    int k = 0;
    for (; k + 2 <= taps; k += 2) {
      const __m256i c = coeff_pair (coeff, k);
      const int16_t *r0 = src[k] + x, *r1 = src[k + 1] + x;
      __m256i a0 = _mm256_loadu_si256 ((const void *) r0);
      __m256i b0 = _mm256_loadu_si256 ((const void *) r1);
      __m256i a1 = _mm256_loadu_si256 ((const void *) (r0 + 16));
      __m256i b1 = _mm256_loadu_si256 ((const void *) (r1 + 16));
      lo0 = _mm256_add_epi32 (lo0,
          _mm256_madd_epi16 (_mm256_unpacklo_epi16 (a0, b0), c));
      hi0 = _mm256_add_epi32 (hi0,
          _mm256_madd_epi16 (_mm256_unpackhi_epi16 (a0, b0), c));
      lo1 = _mm256_add_epi32 (lo1,
          _mm256_madd_epi16 (_mm256_unpacklo_epi16 (a1, b1), c));
      hi1 = _mm256_add_epi32 (hi1,
          _mm256_madd_epi16 (_mm256_unpackhi_epi16 (a1, b1), c));
    }
    if (k < taps) {
      const __m256i c = _mm256_set1_epi32 ((uint16_t) coeff[k]);
      const __m256i z = _mm256_setzero_si256 ();
      __m256i a0 = _mm256_loadu_si256 ((const void *) (src[k] + x));
      __m256i a1 = _mm256_loadu_si256 ((const void *) (src[k] + x + 16));
      lo0 = _mm256_add_epi32 (lo0,
          _mm256_madd_epi16 (_mm256_unpacklo_epi16 (a0, z), c));
      hi0 = _mm256_add_epi32 (hi0,
          _mm256_madd_epi16 (_mm256_unpackhi_epi16 (a0, z), c));
      lo1 = _mm256_add_epi32 (lo1,
          _mm256_madd_epi16 (_mm256_unpacklo_epi16 (a1, z), c));
      hi1 = _mm256_add_epi32 (hi1,
          _mm256_madd_epi16 (_mm256_unpackhi_epi16 (a1, z), c));
    }
    _mm256_storeu_si256 ((void *) (dst + x), pack16 (lo0, hi0));
    _mm256_storeu_si256 ((void *) (dst + x + 16), pack16 (lo1, hi1));
  }
  for (; x + 16 <= width; x += 16) {
    __m256i lo = round, hi = round;
    vscale16 (&lo, &hi, src, coeff, taps, x);
    _mm256_storeu_si256 ((void *) (dst + x), pack16 (lo, hi));
  }
  for (; x < width; x++) {
    int32_t sum = 8192;
    for (int k = 0; k < taps; k++)
      sum += src[k][x] * coeff[k];
    sum >>= 14;
    dst[x] = (int16_t) (sum < INT16_MIN ? INT16_MIN : sum > INT16_MAX ?
        INT16_MAX : sum);
  }
}
