/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* AVX-512 (F, BW, VL, DQ) versions of the resampling passes. Built with
 * those flags (meson); only called when the CPU and the OS support them.
 * Bit-identical to the C references for the reasons given in
 * resampledsp_avx2.c.
 *
 * Vertical: as AVX2 with 512-bit registers, 64 then 32 columns per
 * iteration; the last columns with masked loads and stores, so nothing
 * runs in scalar code.
 *
 * Horizontal, perm16 layout (resample.h): 16 outputs per register whose
 * sources lie within 32 samples. For pair p, one load of the 32 samples
 * at the group's base + 2p, one vpermw that puts each output's two samples
 * in its 32-bit lane, one vpmaddwd with the pair's coefficients: three
 * instructions per 16 outputs and 2 taps, whatever the phases. Downscales
 * by 2 to about 4 need a 64-sample window: two loads and a vpermt2w.
 * vpmovsdw narrows with the int16 clamp. Groups whose loads would cross
 * the end of the row use masked (fault-free) loads; the last group a
 * masked store. Filters without this layout (downscales by more than about
 * 4), or with a 64-sample window and more than 5 coefficient pairs, go to
 * the AVX2 version, whose dot layout is as fast there. Each (window, pairs)
 * up to 5 pairs has its own copy of the loop, unrolled. */

#include "x86/resampledsp_x86.h"

#include <immintrin.h>
#include <string.h>

/* Mask of the first n 16-bit lanes (none for n <= 0, all from 32). */
static inline __mmask32
first_lanes (int n)
{
  return n <= 0 ? 0 : n >= 32 ? 0xffffffffu : ((__mmask32) 1 << n) - 1;
}

/* The two samples of each output for pair p from the window at s (32 or
 * 64 samples, W), all of it readable. */
static inline __m512i
window_pairs (const int16_t * s, __m512i idx, const int W)
{
  if (W == 32)
    return _mm512_permutexvar_epi16 (idx, _mm512_loadu_si512 (s));
  return _mm512_permutex2var_epi16 (_mm512_loadu_si512 (s), idx,
      _mm512_loadu_si512 (s + 32));
}

/* The same from a window of which only the first n samples may be read:
 * fault-free masked loads, zeros beyond. */
static inline __m512i
window_pairs_masked (const int16_t * s, __m512i idx, const int W, int n)
{
  __m512i lo = _mm512_maskz_loadu_epi16 (first_lanes (n), s);
  if (W == 32)
    return _mm512_permutexvar_epi16 (idx, lo);
  return _mm512_permutex2var_epi16 (lo, idx,
      _mm512_maskz_loadu_epi16 (first_lanes (n - 32), s + 32));
}

static inline __attribute__((always_inline))
     void hscale_perm16 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f, const int P, const int W)
{
  const __m512i round = _mm512_set1_epi32 (8192);
  const int groups = f->perm16_groups;
  int g = 0;

  for (; g < f->perm16_safe; g++) {
    const int16_t *s = src + f->perm16_base[g];
    const int16_t *c = f->perm16_coeff + (size_t) g * P * 32;
    const __m512i idx = _mm512_loadu_si512 (f->perm16_idx + 32 * g);
    __m512i acc = round;
    for (int p = 0; p < P; p++) {
      __m512i w = window_pairs (s + 2 * p, idx, W);
      acc = _mm512_add_epi32 (acc, _mm512_madd_epi16 (w,
              _mm512_loadu_si512 (c + 32 * p)));
    }
    __m256i r = _mm512_cvtsepi32_epi16 (_mm512_srai_epi32 (acc, 14));
    if (16 * g + 16 <= f->dst_len)
      _mm256_storeu_si256 ((void *) (dst + 16 * g), r);
    else
      _mm256_mask_storeu_epi16 (dst + 16 * g,
          (__mmask16) ((1u << (f->dst_len - 16 * g)) - 1), r);
  }
  for (; g < groups; g++) {
    const int base = f->perm16_base[g];
    const int16_t *c = f->perm16_coeff + (size_t) g * P * 32;
    const __m512i idx = _mm512_loadu_si512 (f->perm16_idx + 32 * g);
    __m512i acc = round;
    for (int p = 0; p < P; p++) {
      /* base + 2p < src_len: see the odd-taps note in resample.h. The
       * second half of a 64-sample window may lie wholly past the end:
       * its load then has an empty mask and reads nothing. */
      __m512i w = window_pairs_masked (src + base + 2 * p, idx, W,
          f->src_len - base - 2 * p);
      acc = _mm512_add_epi32 (acc, _mm512_madd_epi16 (w,
              _mm512_loadu_si512 (c + 32 * p)));
    }
    __m256i r = _mm512_cvtsepi32_epi16 (_mm512_srai_epi32 (acc, 14));
    int n = f->dst_len - 16 * g;
    _mm256_mask_storeu_epi16 (dst + 16 * g,
        (__mmask16) (n >= 16 ? 0xffffu : (1u << n) - 1), r);
  }
}

static void
hscale_perm32_p1 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_perm16 (dst, src, f, 1, 32);
}

static void
hscale_perm32_p2 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_perm16 (dst, src, f, 2, 32);
}

static void
hscale_perm32_p3 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_perm16 (dst, src, f, 3, 32);
}

static void
hscale_perm32_p4 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_perm16 (dst, src, f, 4, 32);
}

static void
hscale_perm32_p5 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_perm16 (dst, src, f, 5, 32);
}

static void
hscale_perm32_pany (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_perm16 (dst, src, f, f->pairs, 32);
}

static void
hscale_perm64_p1 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_perm16 (dst, src, f, 1, 64);
}

static void
hscale_perm64_p2 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_perm16 (dst, src, f, 2, 64);
}

static void
hscale_perm64_p3 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_perm16 (dst, src, f, 3, 64);
}

static void
hscale_perm64_p4 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_perm16 (dst, src, f, 4, 64);
}

static void
hscale_perm64_p5 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  hscale_perm16 (dst, src, f, 5, 64);
}

typedef void (*HScaleFunc) (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f);

/* By window (32, 64), then pairs (1..5, more: only with window 32). */
static const HScaleFunc perm16_funcs[2][6] = {
  {hscale_perm32_p1, hscale_perm32_p2, hscale_perm32_p3, hscale_perm32_p4,
      hscale_perm32_p5, hscale_perm32_pany},
  {hscale_perm64_p1, hscale_perm64_p2, hscale_perm64_p3, hscale_perm64_p4,
      hscale_perm64_p5, NULL},
};

void
est_resample_hscale_avx512 (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f)
{
  /* With a 64-sample window and more than 5 pairs (downscales by more than
   * about 2.5), the AVX2 dot layout is as fast or faster (bench
   * resampledsp). */
  if (!f->perm16_base || (f->perm16_window == 64 && f->pairs > 5)) {
    est_resample_hscale_avx2 (dst, src, f);
    return;
  }
  perm16_funcs[f->perm16_window == 64][f->pairs < 6 ? f->pairs - 1 : 5] (dst,
      src, f);
}

/* The coefficient pair (coeff[k], coeff[k + 1]) in every 32-bit lane, the
 * first in the low half, matching unpacklo/unpackhi (row k, row k + 1). */
static inline __m512i
coeff_pair (const int16_t * coeff, int k)
{
  int32_t v;
  memcpy (&v, coeff + k, sizeof (v));
  return _mm512_set1_epi32 (v);
}

/* Adds a * ca + b * cb (a, b: 32 columns of two rows; c: their pair) to
 * lo and hi. */
static inline void
madd_rows (__m512i * lo, __m512i * hi, __m512i a, __m512i b, __m512i c)
{
  *lo = _mm512_add_epi32 (*lo, _mm512_madd_epi16 (_mm512_unpacklo_epi16 (a,
              b), c));
  *hi = _mm512_add_epi32 (*hi, _mm512_madd_epi16 (_mm512_unpackhi_epi16 (a,
              b), c));
}

static inline __m512i
pack32 (__m512i lo, __m512i hi)
{
  /* packs works within 128-bit lanes, as unpack did: columns come back in
   * order. */
  return _mm512_packs_epi32 (_mm512_srai_epi32 (lo, 14),
      _mm512_srai_epi32 (hi, 14));
}

void
est_resample_vscale_avx512 (int16_t * dst, const int16_t * const *src,
    const int16_t * coeff, int taps, int width)
{
  const __m512i round = _mm512_set1_epi32 (8192);
  const __m512i zero = _mm512_setzero_si512 ();
  const int even = taps & ~1;
  int x = 0;

  for (; x + 64 <= width; x += 64) {
    __m512i lo0 = round, hi0 = round, lo1 = round, hi1 = round;
    for (int k = 0; k < even; k += 2) {
      const __m512i c = coeff_pair (coeff, k);
      const int16_t *r0 = src[k] + x, *r1 = src[k + 1] + x;
      madd_rows (&lo0, &hi0, _mm512_loadu_si512 (r0),
          _mm512_loadu_si512 (r1), c);
      madd_rows (&lo1, &hi1, _mm512_loadu_si512 (r0 + 32),
          _mm512_loadu_si512 (r1 + 32), c);
    }
    if (even < taps) {
      const __m512i c = _mm512_set1_epi32 ((uint16_t) coeff[even]);
      const int16_t *r0 = src[even] + x;
      madd_rows (&lo0, &hi0, _mm512_loadu_si512 (r0), zero, c);
      madd_rows (&lo1, &hi1, _mm512_loadu_si512 (r0 + 32), zero, c);
    }
    _mm512_storeu_si512 (dst + x, pack32 (lo0, hi0));
    _mm512_storeu_si512 (dst + x + 32, pack32 (lo1, hi1));
  }
  /* The last 1..63 columns: masked loads and stores read and write none
   * past width. */
  for (; x < width; x += 32) {
    const __mmask32 m = first_lanes (width - x);
    __m512i lo = round, hi = round;
    for (int k = 0; k < even; k += 2)
      madd_rows (&lo, &hi, _mm512_maskz_loadu_epi16 (m, src[k] + x),
          _mm512_maskz_loadu_epi16 (m, src[k + 1] + x), coeff_pair (coeff, k));
    if (even < taps)
      madd_rows (&lo, &hi, _mm512_maskz_loadu_epi16 (m, src[even] + x), zero,
          _mm512_set1_epi32 ((uint16_t) coeff[even]));
    _mm512_mask_storeu_epi16 (dst + x, m, pack32 (lo, hi));
  }
}
