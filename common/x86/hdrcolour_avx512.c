/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* AVX-512 (F, BW, VL, DQ) version of the colour stage kernel
 * (hdrcolourdsp.h). Built with those flags (meson); only called when the
 * CPU and the OS support them.
 *
 * hdrcolour_avx2.c with 16 pixels per step, opmasks for the blends, and a
 * saturating narrow (vpmovsdw) for the output. Same operations in the same
 * order, so its output equals the AVX2 version's, and the precision notes
 * there hold here. The last n % 16 pixels go through a stack copy. */

#include "x86/hdrcolour_x86.h"

#include <immintrin.h>
#include <string.h>

#define LOG_SHIFT (23 - EST_HDR_LOG_SEG)

typedef __m512 V;
typedef __mmask16 M;

static inline V
bc (float f)
{
  return _mm512_set1_ps (f);
}

/* a * b + c, rounded twice as in C. */
static inline V
mul_add (V a, V b, V c)
{
  return _mm512_add_ps (_mm512_mul_ps (a, b), c);
}

static inline V
dot3 (const float w[3], const V v[3])
{
  return mul_add (bc (w[2]), v[2], mul_add (bc (w[1]), v[1],
          _mm512_mul_ps (bc (w[0]), v[0])));
}

static inline void
apply3 (const float m[3][3], const V v[3], V o[3])
{
  for (int i = 0; i < 3; i++)
    o[i] = dot3 (m[i], v);
}

static inline V
clamp01 (V v)
{
  return _mm512_min_ps (_mm512_max_ps (v, _mm512_setzero_ps ()), bc (1.0f));
}

/* The pairs (table[i], table[i + 1]) of two indices, as 4 floats. */
static inline __m128
two_pairs (const float *table, uint64_t ij)
{
  __m128 p = _mm_castsi128_ps (_mm_loadl_epi64 ((const void *) (table +
              (uint32_t) ij)));
  return _mm_loadh_pi (p, (const void *) (table + (ij >> 32)));
}

/* table[i] + (table[i + 1] - table[i]) * frac, the 16 pairs loaded one by
 * one as in hdrcolour_avx2.c. */
static inline V
lerp (const float *table, __m512i idx, V frac)
{
  __m128i i0 = _mm512_castsi512_si128 (idx);
  __m128i i1 = _mm512_extracti32x4_epi32 (idx, 1);
  __m128i i2 = _mm512_extracti32x4_epi32 (idx, 2);
  __m128i i3 = _mm512_extracti32x4_epi32 (idx, 3);
  /* pixels 0, 1 | 4, 5 | 8, 9 | 12, 13 and 2, 3 | 6, 7 | 10, 11 | 14, 15 */
  __m256 p01 = _mm256_set_m128 (two_pairs (table,
          (uint64_t) _mm_cvtsi128_si64 (i1)), two_pairs (table,
          (uint64_t) _mm_cvtsi128_si64 (i0)));
  __m256 p23 = _mm256_set_m128 (two_pairs (table,
          (uint64_t) _mm_cvtsi128_si64 (i3)), two_pairs (table,
          (uint64_t) _mm_cvtsi128_si64 (i2)));
  __m256 q01 = _mm256_set_m128 (two_pairs (table,
          (uint64_t) _mm_extract_epi64 (i1, 1)), two_pairs (table,
          (uint64_t) _mm_extract_epi64 (i0, 1)));
  __m256 q23 = _mm256_set_m128 (two_pairs (table,
          (uint64_t) _mm_extract_epi64 (i3, 1)), two_pairs (table,
          (uint64_t) _mm_extract_epi64 (i2, 1)));
  V p = _mm512_insertf32x8 (_mm512_castps256_ps512 (p01), p23, 1);
  V q = _mm512_insertf32x8 (_mm512_castps256_ps512 (q01), q23, 1);
  V a = _mm512_shuffle_ps (p, q, 0x88);
  V b = _mm512_shuffle_ps (p, q, 0xdd);
  return mul_add (_mm512_sub_ps (b, a), frac, a);
}

/* in_lut: x <= 0 gives index 0 and frac 0, x >= 1 index IN_LUT_SIZE. */
static inline V
in_lut (const float *lut, V s)
{
  V x = _mm512_mul_ps (s, bc (EST_HDR_IN_LUT_SIZE));
  x = _mm512_min_ps (_mm512_max_ps (x, _mm512_setzero_ps ()),
      bc (EST_HDR_IN_LUT_SIZE));
  __m512i i = _mm512_cvttps_epi32 (x);
  return lerp (lut, i, _mm512_sub_ps (x, _mm512_cvtepi32_ps (i)));
}

static inline V
log_lut (const EstHdrLogLut * lut, V x)
{
  const V lo = bc (0x1p-32f), zero = _mm512_setzero_ps ();
  /* max returns its second operand for NaN */
  V xm = _mm512_min_ps (_mm512_max_ps (x, lo), bc (0x1p14f));
  __m512i bits = _mm512_castps_si512 (xm);
  __m512i idx = _mm512_sub_epi32 (_mm512_srli_epi32 (bits, LOG_SHIFT),
      _mm512_set1_epi32 ((127 + EST_HDR_LOG_MIN) << EST_HDR_LOG_SEG));
  __m512i man = _mm512_and_si512 (bits, _mm512_set1_epi32 ((1 << LOG_SHIFT)
          - 1));
  V frac = _mm512_mul_ps (_mm512_cvtepi32_ps (man),
      bc (1.0f / (1 << LOG_SHIFT)));
  V big = lerp (lut->v, idx, frac);
  /* zero + (v[0] - zero) * (x * 2^32): scaling either factor by 2^32 is
   * exact, so the product rounds the same */
  V small = mul_add (bc ((lut->v[0] - lut->zero) * 0x1p32f),
      _mm512_max_ps (x, zero), bc (lut->zero));
  return _mm512_mask_blend_ps (_mm512_cmp_ps_mask (x, lo, _CMP_GT_OQ), small,
      big);
}

static inline void
gamut_soft (const float w[3], V rgb[3])
{
  const V zero = _mm512_setzero_ps (), one = bc (1.0f);
  const float kf = (float) EST_GAMUT_SOFT_KNEE;
  const V k = bc (kf);
  V y = dot3 (w, rgb), yc = clamp01 (y), d[3];

  for (int i = 0; i < 3; i++)
    d[i] = _mm512_sub_ps (rgb[i], y);
  /* t = max (hi / (1 - yc), lo / yc) over the channels above and below
   * y: rounding is monotonic, so the largest numerator gives the largest
   * quotient. Of the two, the larger by cross-multiplying: one division.
   * lo = 0 picks hi, and hi = 0 < lo picks lo, so a zero numerator only
   * wins for grey (hi = lo = 0), whose 0 / 0 the max turns into t = 0. */
  V hi = _mm512_max_ps (_mm512_max_ps (d[0], d[1]), _mm512_max_ps (d[2],
          zero));
  V lo = _mm512_sub_ps (zero, _mm512_min_ps (_mm512_min_ps (d[0], d[1]),
          _mm512_min_ps (d[2], zero)));
  V room = _mm512_sub_ps (one, yc);
  M pick_hi = _mm512_cmp_ps_mask (_mm512_mul_ps (hi, yc),
      _mm512_mul_ps (lo, room), _CMP_GT_OQ) | _mm512_cmp_ps_mask (lo, zero,
      _CMP_EQ_OQ);
  V t = _mm512_max_ps (_mm512_div_ps (_mm512_mask_blend_ps (pick_hi, lo,
              hi), _mm512_mask_blend_ps (pick_hi, yc, room)), zero);

  M keep = _mm512_cmp_ps_mask (t, k, _CMP_LE_OQ) & _mm512_cmp_ps_mask (y,
      yc, _CMP_EQ_OQ);
  /* (K + (1 - K) u / (1 + u)) / t = (K + u) / ((1 + u) t); t = inf
   * gives NaN here and ratio 0 below. */
  V u = _mm512_mul_ps (_mm512_sub_ps (t, k), bc (1.0f / (1.0f - kf)));
  V ratio = _mm512_div_ps (_mm512_add_ps (k, u),
      _mm512_mul_ps (_mm512_add_ps (one, u), t));
  ratio = _mm512_mask_blend_ps (_mm512_cmp_ps_mask (t, k, _CMP_GT_OQ), one,
      ratio);
  ratio = _mm512_maskz_mov_ps (_mm512_cmp_ps_mask (t, bc (__builtin_inff ()),
          _CMP_NEQ_UQ), ratio);

  for (int i = 0; i < 3; i++) {
    V m = mul_add (d[i], ratio, yc);
    rgb[i] = clamp01 (_mm512_mask_blend_ps (keep, m, rgb[i]));
  }
}

/* A strip of pixels goes through the stages one at a time, 16 pixels per
 * step, the light in between kept in float arrays: each stage's loop is
 * short and its steps independent, so the CPU overlaps many steps; one
 * loop through every stage would be a chain of some hundred dependent
 * instructions per step, too long to overlap. */
#define STRIP 256

typedef struct
{
  float c[3][STRIP];
} Light;

static inline V
load_q14 (const int16_t * p)
{
  return _mm512_cvtepi32_ps (_mm512_cvtepi16_epi32 (_mm256_loadu_si256 ((const
                  void *) p)));
}

static inline void
store_q14 (int16_t * p, V f)
{
  f = _mm512_min_ps (_mm512_max_ps (f, bc (-32768.0f)), bc (32767.0f));
  _mm256_storeu_si256 ((void *) p,
      _mm512_cvtsepi32_epi16 (_mm512_cvtps_epi32 (f)));
}

/* Q14 Y'CbCr -> R'G'B', normalised. */
static inline void
to_rgb_signal (const EstHdrColourTables * t, const int16_t * y,
    const int16_t * u, const int16_t * v, V s[3])
{
  const int16_t *p[3] = { y, u, v };
  V q[3];

  for (int k = 0; k < 3; k++)
    q[k] = _mm512_mul_ps (_mm512_sub_ps (load_q14 (p[k]),
            bc (t->in_off[k])), bc (t->in_scale[k]));
  apply3 (t->m_in, q, s);
}

/* R'G'B' normalised -> Q14 Y'CbCr. */
static inline void
from_rgb_signal (const EstHdrColourTables * t, const V s[3], int16_t * y,
    int16_t * u, int16_t * v)
{
  int16_t *p[3] = { y, u, v };
  V o[3];

  apply3 (t->m_out, s, o);
  for (int k = 0; k < 3; k++)
    store_q14 (p[k], mul_add (o[k], bc (t->out_scale[k]), bc (t->out_off[k])));
}

static inline void
load3 (const Light * l, int i, V v[3])
{
  for (int k = 0; k < 3; k++)
    v[k] = _mm512_load_ps (l->c[k] + i);
}

static inline void
store3 (Light * l, int i, const V v[3])
{
  for (int k = 0; k < 3; k++)
    _mm512_store_ps (l->c[k] + i, v[k]);
}

static void
matrix_only (const EstHdrColourTables * t, int16_t * y, int16_t * u,
    int16_t * v, int n)
{
  for (int i = 0; i < n; i += 16) {
    V s[3];
    to_rgb_signal (t, y + i, u + i, v + i, s);
    from_rgb_signal (t, s, y + i, u + i, v + i);
  }
}

/* Q14 -> light in target units, source primaries (HLG: with the OOTF). */
static void
stage_linearise (const EstHdrColourTables * t, const int16_t * y,
    const int16_t * u, const int16_t * v, Light * l, int n)
{
  for (int i = 0; i < n; i += 16) {
    V s[3], rgb[3];
    to_rgb_signal (t, y + i, u + i, v + i, s);
    for (int k = 0; k < 3; k++)
      rgb[k] = in_lut (t->in_lut, s[k]);
    if (t->hlg_in) {
      V g = log_lut (&t->hlg_in_lut, dot3 (t->hlg_w, rgb));
      for (int k = 0; k < 3; k++)
        rgb[k] = _mm512_mul_ps (rgb[k], g);
    }
    store3 (l, i, rgb);
  }
}

static void
stage_tone (const EstHdrColourTables * t, Light * l, int n)
{
  const V src_max = bc (t->src_max);

  for (int i = 0; i < n; i += 16) {
    V rgb[3];
    load3 (l, i, rgb);
    if (t->tone_mode == EST_TONE_MODE_RGB) {
      for (int k = 0; k < 3; k++)
        rgb[k] = log_lut (&t->tone_lut, _mm512_min_ps (rgb[k], src_max));
    } else {
      V m = t->tone_mode == EST_TONE_MODE_LUMINANCE ? dot3 (t->src_w, rgb) :
          _mm512_max_ps (rgb[0], _mm512_max_ps (rgb[1], rgb[2]));
      V g = _mm512_maskz_div_ps (_mm512_cmp_ps_mask (m, _mm512_setzero_ps (),
              _CMP_GT_OQ), log_lut (&t->tone_lut, _mm512_min_ps (m,
                  src_max)), m);
      for (int k = 0; k < 3; k++)
        rgb[k] = _mm512_mul_ps (rgb[k], g);
    }
    store3 (l, i, rgb);
  }
}

/* Gamut matrix and mapping, then the inverse OOTF for HLG output. */
static void
stage_gamut (const EstHdrColourTables * t, Light * l, int n)
{
  for (int i = 0; i < n; i += 16) {
    V rgb[3], o[3];
    load3 (l, i, rgb);
    if (!t->gamut_identity) {
      apply3 (t->gamut, rgb, o);
      memcpy (rgb, o, sizeof o);
    }
    if (t->gamut_mode == EST_GAMUT_SOFT) {
      gamut_soft (t->dst_w, rgb);
    } else {
      for (int k = 0; k < 3; k++)
        rgb[k] = clamp01 (rgb[k]);
    }
    if (t->hlg_out) {
      V g = log_lut (&t->hlg_out_lut, dot3 (t->hlg_w, rgb));
      for (int k = 0; k < 3; k++)
        rgb[k] = _mm512_mul_ps (rgb[k], g);
    }
    store3 (l, i, rgb);
  }
}

static void
stage_encode (const EstHdrColourTables * t, const Light * l, int16_t * y,
    int16_t * u, int16_t * v, int n)
{
  for (int i = 0; i < n; i += 16) {
    V rgb[3], s[3];
    load3 (l, i, rgb);
    for (int k = 0; k < 3; k++)
      s[k] = log_lut (&t->out_lut, rgb[k]);
    from_rgb_signal (t, s, y + i, u + i, v + i);
  }
}

/* n pixels, a multiple of 16. */
static void
process16 (const EstHdrColourTables * t, int16_t * y, int16_t * u,
    int16_t * v, int n)
{
  Light l __attribute__((aligned (64)));

  if (!t->linearise) {
    matrix_only (t, y, u, v, n);
    return;
  }
  for (int i = 0; i < n; i += STRIP) {
    const int m = n - i < STRIP ? n - i : STRIP;
    stage_linearise (t, y + i, u + i, v + i, &l, m);
    if (t->tone)
      stage_tone (t, &l, m);
    stage_gamut (t, &l, m);
    stage_encode (t, &l, y + i, u + i, v + i, m);
  }
}

void
est_hdr_colour_process_avx512 (const EstHdrColourTables * t, int16_t * y,
    int16_t * u, int16_t * v, int n)
{
  const int whole = n & ~15;

  process16 (t, y, u, v, whole);
  if (whole < n) {
    int16_t b[3][16];
    size_t len = (size_t) (n - whole) * sizeof (int16_t);

    memset (b, 0, sizeof b);
    memcpy (b[0], y + whole, len);
    memcpy (b[1], u + whole, len);
    memcpy (b[2], v + whole, len);
    process16 (t, b[0], b[1], b[2], 16);
    memcpy (y + whole, b[0], len);
    memcpy (u + whole, b[1], len);
    memcpy (v + whole, b[2], len);
  }
}
