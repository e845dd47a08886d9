/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* AVX2 packing of Q14 rows: 16 (pack16, and the interleaving _uv
 * kernels) or 32 (pack8) samples per step, the dither period being 16. The saturating add cannot change a result:
 * a sum that saturates at 32767 still clamps to max. Rows whose
 * destination is 32-byte aligned are written with streaming stores. */

#include <immintrin.h>

#include "x86/videopack_x86.h"

void
est_video_pack16_avx2 (uint16_t * dst, const int16_t * src, int n,
    const int16_t * dith, int shift, int max, int up)
{
  const __m256i d = _mm256_loadu_si256 ((const __m256i *) dith);
  const __m128i sh = _mm_cvtsi32_si128 (shift);
  const __m128i ush = _mm_cvtsi32_si128 (up);
  const __m256i hi = _mm256_set1_epi16 ((short) max);
  const __m256i zero = _mm256_setzero_si256 ();
  const int stream = ((uintptr_t) dst & 31) == 0;
  int i = 0;

  for (; i + 16 <= n; i += 16) {
    __m256i v = _mm256_loadu_si256 ((const __m256i *) (src + i));
    v = _mm256_sra_epi16 (_mm256_adds_epi16 (v, d), sh);
    v = _mm256_sll_epi16 (_mm256_min_epi16 (_mm256_max_epi16 (v, zero), hi),
        ush);
    if (stream)
      _mm256_stream_si256 ((__m256i *) (dst + i), v);
    else
      _mm256_storeu_si256 ((__m256i *) (dst + i), v);
  }
  est_video_pack16_c (dst + i, src + i, n - i, dith, shift, max, up);
  if (stream)
    _mm_sfence ();
}

void
est_video_pack8_avx2 (uint8_t * dst, const int16_t * src, int n,
    const int16_t * dith)
{
  const __m256i d = _mm256_loadu_si256 ((const __m256i *) dith);
  const int stream = ((uintptr_t) dst & 31) == 0;
  int i = 0;

  for (; i + 32 <= n; i += 32) {
    __m256i a = _mm256_loadu_si256 ((const __m256i *) (src + i));
    __m256i b = _mm256_loadu_si256 ((const __m256i *) (src + i + 16));
    a = _mm256_srai_epi16 (_mm256_adds_epi16 (a, d), 6);
    b = _mm256_srai_epi16 (_mm256_adds_epi16 (b, d), 6);
    /* packus clamps to 0..255 and interleaves 128-bit lanes: put them
     * back in order. */
    __m256i v = _mm256_permute4x64_epi64 (_mm256_packus_epi16 (a, b),
        _MM_SHUFFLE (3, 1, 2, 0));
    if (stream)
      _mm256_stream_si256 ((__m256i *) (dst + i), v);
    else
      _mm256_storeu_si256 ((__m256i *) (dst + i), v);
  }
  est_video_pack8_c (dst + i, src + i, n - i, dith);
  if (stream)
    _mm_sfence ();
}

/* Quantises 16 samples as pack16 does. */
static inline __m256i
quantise16 (const int16_t * src, __m256i d, __m128i sh, __m128i ush, __m256i hi)
{
  __m256i v = _mm256_loadu_si256 ((const __m256i *) src);
  v = _mm256_sra_epi16 (_mm256_adds_epi16 (v, d), sh);
  return _mm256_sll_epi16 (_mm256_min_epi16 (_mm256_max_epi16 (v,
              _mm256_setzero_si256 ()), hi), ush);
}

void
est_video_pack16_uv_avx2 (uint16_t * dst, const int16_t * u,
    const int16_t * v, int n, const int16_t * dith, int shift, int max, int up)
{
  const __m256i d = _mm256_loadu_si256 ((const __m256i *) dith);
  const __m128i sh = _mm_cvtsi32_si128 (shift);
  const __m128i ush = _mm_cvtsi32_si128 (up);
  const __m256i hi = _mm256_set1_epi16 ((short) max);
  const int stream = ((uintptr_t) dst & 31) == 0;
  int i = 0;

  for (; i + 16 <= n; i += 16) {
    __m256i a = quantise16 (u + i, d, sh, ush, hi);
    __m256i b = quantise16 (v + i, d, sh, ush, hi);
    /* unpack works within 128-bit lanes: samples 0-3 and 8-11 in lo,
     * 4-7 and 12-15 in hi; the lane swap restores the order. */
    __m256i lo = _mm256_unpacklo_epi16 (a, b);
    __m256i hi2 = _mm256_unpackhi_epi16 (a, b);
    __m256i first = _mm256_permute2x128_si256 (lo, hi2, 0x20);
    __m256i second = _mm256_permute2x128_si256 (lo, hi2, 0x31);
    if (stream) {
      _mm256_stream_si256 ((__m256i *) (dst + 2 * i), first);
      _mm256_stream_si256 ((__m256i *) (dst + 2 * i + 16), second);
    } else {
      _mm256_storeu_si256 ((__m256i *) (dst + 2 * i), first);
      _mm256_storeu_si256 ((__m256i *) (dst + 2 * i + 16), second);
    }
  }
  est_video_pack16_uv_c (dst + 2 * i, u + i, v + i, n - i, dith, shift, max,
      up);
  if (stream)
    _mm_sfence ();
}

void
est_video_pack8_uv_avx2 (uint8_t * dst, const int16_t * u,
    const int16_t * v, int n, const int16_t * dith)
{
  const __m256i d = _mm256_loadu_si256 ((const __m256i *) dith);
  const __m128i sh = _mm_cvtsi32_si128 (6);
  const __m128i none = _mm_cvtsi32_si128 (0);
  const __m256i hi = _mm256_set1_epi16 (255);
  const int stream = ((uintptr_t) dst & 31) == 0;
  int i = 0;

  for (; i + 16 <= n; i += 16) {
    /* u in the low byte of each word, v in the high one: the words are
     * the interleaved bytes, in order */
    __m256i a = quantise16 (u + i, d, sh, none, hi);
    __m256i b = quantise16 (v + i, d, sh, none, hi);
    __m256i w = _mm256_or_si256 (a, _mm256_slli_epi16 (b, 8));
    if (stream)
      _mm256_stream_si256 ((__m256i *) (dst + 2 * i), w);
    else
      _mm256_storeu_si256 ((__m256i *) (dst + 2 * i), w);
  }
  est_video_pack8_uv_c (dst + 2 * i, u + i, v + i, n - i, dith);
  if (stream)
    _mm_sfence ();
}
