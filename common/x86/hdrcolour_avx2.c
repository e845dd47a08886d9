/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* AVX2 version of the colour stage kernel (hdrcolourdsp.h). Built with
 * -mavx2 (meson); only called when the CPU reports AVX2.
 *
 * Eight pixels per step, every stage of the C reference in the same order.
 * A strip of up to STRIP pixels goes through the stages one at a time
 * (see Light), each stage's configuration tested once per strip. A lookup
 * needs the pair (t[i], t[i + 1]) per pixel: two floats in one 64-bit
 * load. The log LUT's index is the float's bits shifted; its two branches
 * (below 2^LOG_MIN, at or above 2^LOG_MAX) become a clamp of the input, a
 * table pair whose second value repeats the first, and a blend. The last
 * n % 8 pixels go through a stack copy.
 *
 * Precision: multiplies and adds are kept apart (no FMA) and in the C
 * reference's order (apply3's ((m0 v0 + m1 v1) + m2 v2) included), so the
 * matrix-only path and every lookup are bit-exact. Only soft gamut mapping
 * differs, by rounding: it divides twice instead of five times, t = max
 * (hi / (1 - yc), lo / yc) choosing its quotient by cross-multiplication,
 * and f (t) / t = (K + u) / ((1 + u) t). */

#include "x86/hdrcolour_x86.h"

#include <immintrin.h>
#include <string.h>

#define LOG_SHIFT (23 - EST_HDR_LOG_SEG)

typedef __m256 V;

static inline V
bc (float f)
{
  return _mm256_set1_ps (f);
}

/* a * b + c, rounded twice as in C. */
static inline V
mul_add (V a, V b, V c)
{
  return _mm256_add_ps (_mm256_mul_ps (a, b), c);
}

static inline V
dot3 (const float w[3], const V v[3])
{
  return mul_add (bc (w[2]), v[2], mul_add (bc (w[1]), v[1],
          _mm256_mul_ps (bc (w[0]), v[0])));
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
  return _mm256_min_ps (_mm256_max_ps (v, _mm256_setzero_ps ()), bc (1.0f));
}

/* The pairs (table[i], table[i + 1]) of two indices, as 4 floats. */
static inline __m128
two_pairs (const float *table, uint64_t ij)
{
  __m128 p = _mm_castsi128_ps (_mm_loadl_epi64 ((const void *) (table +
              (uint32_t) ij)));
  return _mm_loadh_pi (p, (const void *) (table + (ij >> 32)));
}

/* table[i] + (table[i + 1] - table[i]) * frac. Gathers are slow on the
 * CPUs this was tuned on (Zen 5: about 2 cycles per element), so the 8
 * pairs are loaded one by one: an index pair per 64-bit extract, two
 * 64-bit loads per 128-bit lane, two shuffles to split the pairs. */
static inline V
lerp (const float *table, __m256i idx, V frac)
{
  __m128i lo = _mm256_castsi256_si128 (idx);
  __m128i hi = _mm256_extracti128_si256 (idx, 1);
  /* pixels 0, 1 | 4, 5 and 2, 3 | 6, 7 */
  V p = _mm256_set_m128 (two_pairs (table, (uint64_t) _mm_cvtsi128_si64 (hi)),
      two_pairs (table, (uint64_t) _mm_cvtsi128_si64 (lo)));
  V q = _mm256_set_m128 (two_pairs (table,
          (uint64_t) _mm_extract_epi64 (hi, 1)), two_pairs (table,
          (uint64_t) _mm_extract_epi64 (lo, 1)));
  V a = _mm256_shuffle_ps (p, q, 0x88);
  V b = _mm256_shuffle_ps (p, q, 0xdd);
  return mul_add (_mm256_sub_ps (b, a), frac, a);
}

/* in_lut: x <= 0 gives index 0 and frac 0, x >= 1 index IN_LUT_SIZE. */
static inline V
in_lut (const float *lut, V s)
{
  V x = _mm256_mul_ps (s, bc (EST_HDR_IN_LUT_SIZE));
  x = _mm256_min_ps (_mm256_max_ps (x, _mm256_setzero_ps ()),
      bc (EST_HDR_IN_LUT_SIZE));
  __m256i i = _mm256_cvttps_epi32 (x);
  return lerp (lut, i, _mm256_sub_ps (x, _mm256_cvtepi32_ps (i)));
}

static inline V
log_lut (const EstHdrLogLut * lut, V x)
{
  const V lo = bc (0x1p-32f), zero = _mm256_setzero_ps ();
  /* max returns its second operand for NaN */
  V xm = _mm256_min_ps (_mm256_max_ps (x, lo), bc (0x1p14f));
  __m256i bits = _mm256_castps_si256 (xm);
  __m256i idx = _mm256_sub_epi32 (_mm256_srli_epi32 (bits, LOG_SHIFT),
      _mm256_set1_epi32 ((127 + EST_HDR_LOG_MIN) << EST_HDR_LOG_SEG));
  __m256i man = _mm256_and_si256 (bits, _mm256_set1_epi32 ((1 << LOG_SHIFT)
          - 1));
  V frac = _mm256_mul_ps (_mm256_cvtepi32_ps (man),
      bc (1.0f / (1 << LOG_SHIFT)));
  V big = lerp (lut->v, idx, frac);
  /* zero + (v[0] - zero) * (x * 2^32): scaling either factor by 2^32 is
   * exact, so the product rounds the same */
  V small = mul_add (bc ((lut->v[0] - lut->zero) * 0x1p32f),
      _mm256_max_ps (x, zero), bc (lut->zero));
  return _mm256_blendv_ps (small, big, _mm256_cmp_ps (x, lo, _CMP_GT_OQ));
}

static inline void
gamut_soft (const float w[3], V rgb[3])
{
  const V zero = _mm256_setzero_ps (), one = bc (1.0f);
  const float kf = (float) EST_GAMUT_SOFT_KNEE;
  const V k = bc (kf);
  V y = dot3 (w, rgb), yc = clamp01 (y), d[3];

  for (int i = 0; i < 3; i++)
    d[i] = _mm256_sub_ps (rgb[i], y);
  /* t = max (hi / (1 - yc), lo / yc) over the channels above and below
   * y: rounding is monotonic, so the largest numerator gives the largest
   * quotient. Of the two, the larger by cross-multiplying: one division.
   * lo = 0 picks hi, and hi = 0 < lo picks lo, so a zero numerator only
   * wins for grey (hi = lo = 0), whose 0 / 0 the max turns into t = 0. */
  V hi = _mm256_max_ps (_mm256_max_ps (d[0], d[1]), _mm256_max_ps (d[2],
          zero));
  V lo = _mm256_sub_ps (zero, _mm256_min_ps (_mm256_min_ps (d[0], d[1]),
          _mm256_min_ps (d[2], zero)));
  V room = _mm256_sub_ps (one, yc);
  V pick_hi = _mm256_or_ps (_mm256_cmp_ps (_mm256_mul_ps (hi, yc),
          _mm256_mul_ps (lo, room), _CMP_GT_OQ), _mm256_cmp_ps (lo, zero,
          _CMP_EQ_OQ));
  V t = _mm256_max_ps (_mm256_div_ps (_mm256_blendv_ps (lo, hi, pick_hi),
          _mm256_blendv_ps (yc, room, pick_hi)), zero);

  V keep = _mm256_and_ps (_mm256_cmp_ps (t, k, _CMP_LE_OQ),
      _mm256_cmp_ps (y, yc, _CMP_EQ_OQ));
  /* (K + (1 - K) u / (1 + u)) / t = (K + u) / ((1 + u) t); t = inf
   * gives NaN here and ratio 0 below. */
  V u = _mm256_mul_ps (_mm256_sub_ps (t, k), bc (1.0f / (1.0f - kf)));
  V ratio = _mm256_div_ps (_mm256_add_ps (k, u),
      _mm256_mul_ps (_mm256_add_ps (one, u), t));
  ratio = _mm256_blendv_ps (one, ratio, _mm256_cmp_ps (t, k, _CMP_GT_OQ));
  ratio = _mm256_andnot_ps (_mm256_cmp_ps (t, bc (__builtin_inff ()),
          _CMP_EQ_OQ), ratio);

  for (int i = 0; i < 3; i++) {
    V m = mul_add (d[i], ratio, yc);
    rgb[i] = clamp01 (_mm256_blendv_ps (m, rgb[i], keep));
  }
}

/* A strip of pixels goes through the stages one at a time, 8 pixels per
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
  return _mm256_cvtepi32_ps (_mm256_cvtepi16_epi32 (_mm_loadu_si128 ((const
                  void *) p)));
}

static inline void
store_q14 (int16_t * p, V f)
{
  f = _mm256_min_ps (_mm256_max_ps (f, bc (-32768.0f)), bc (32767.0f));
  __m256i w = _mm256_cvtps_epi32 (f);
  _mm_storeu_si128 ((void *) p, _mm_packs_epi32 (_mm256_castsi256_si128 (w),
          _mm256_extracti128_si256 (w, 1)));
}

/* Q14 Y'CbCr -> R'G'B', normalised. */
static inline void
to_rgb_signal (const EstHdrColourTables * t, const int16_t * y,
    const int16_t * u, const int16_t * v, V s[3])
{
  const int16_t *p[3] = { y, u, v };
  V q[3];

  for (int k = 0; k < 3; k++)
    q[k] = _mm256_mul_ps (_mm256_sub_ps (load_q14 (p[k]),
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
    v[k] = _mm256_load_ps (l->c[k] + i);
}

static inline void
store3 (Light * l, int i, const V v[3])
{
  for (int k = 0; k < 3; k++)
    _mm256_store_ps (l->c[k] + i, v[k]);
}

static void
matrix_only (const EstHdrColourTables * t, int16_t * y, int16_t * u,
    int16_t * v, int n)
{
  for (int i = 0; i < n; i += 8) {
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
  for (int i = 0; i < n; i += 8) {
    V s[3], rgb[3];
    to_rgb_signal (t, y + i, u + i, v + i, s);
    for (int k = 0; k < 3; k++)
      rgb[k] = in_lut (t->in_lut, s[k]);
    if (t->hlg_in) {
      V g = log_lut (&t->hlg_in_lut, dot3 (t->hlg_w, rgb));
      for (int k = 0; k < 3; k++)
        rgb[k] = _mm256_mul_ps (rgb[k], g);
    }
    store3 (l, i, rgb);
  }
}

static void
stage_tone (const EstHdrColourTables * t, Light * l, int n)
{
  const V src_max = bc (t->src_max);

  for (int i = 0; i < n; i += 8) {
    V rgb[3];
    load3 (l, i, rgb);
    if (t->tone_mode == EST_TONE_MODE_RGB) {
      for (int k = 0; k < 3; k++)
        rgb[k] = log_lut (&t->tone_lut, _mm256_min_ps (rgb[k], src_max));
    } else {
      V m = t->tone_mode == EST_TONE_MODE_LUMINANCE ? dot3 (t->src_w, rgb) :
          _mm256_max_ps (rgb[0], _mm256_max_ps (rgb[1], rgb[2]));
      V g = _mm256_div_ps (log_lut (&t->tone_lut, _mm256_min_ps (m,
                  src_max)), m);
      g = _mm256_and_ps (g, _mm256_cmp_ps (m, _mm256_setzero_ps (),
              _CMP_GT_OQ));
      for (int k = 0; k < 3; k++)
        rgb[k] = _mm256_mul_ps (rgb[k], g);
    }
    store3 (l, i, rgb);
  }
}

/* Gamut matrix and mapping, then the inverse OOTF for HLG output. */
static void
stage_gamut (const EstHdrColourTables * t, Light * l, int n)
{
  for (int i = 0; i < n; i += 8) {
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
        rgb[k] = _mm256_mul_ps (rgb[k], g);
    }
    store3 (l, i, rgb);
  }
}

static void
stage_encode (const EstHdrColourTables * t, const Light * l, int16_t * y,
    int16_t * u, int16_t * v, int n)
{
  for (int i = 0; i < n; i += 8) {
    V rgb[3], s[3];
    load3 (l, i, rgb);
    for (int k = 0; k < 3; k++)
      s[k] = log_lut (&t->out_lut, rgb[k]);
    from_rgb_signal (t, s, y + i, u + i, v + i);
  }
}

/* n pixels, a multiple of 8. */
static void
process8 (const EstHdrColourTables * t, int16_t * y, int16_t * u,
    int16_t * v, int n)
{
  Light l __attribute__((aligned (32)));

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
est_hdr_colour_process_avx2 (const EstHdrColourTables * t, int16_t * y,
    int16_t * u, int16_t * v, int n)
{
  const int whole = n & ~7;

  process8 (t, y, u, v, whole);
  if (whole < n) {
    int16_t b[3][8];
    size_t len = (size_t) (n - whole) * sizeof (int16_t);

    memset (b, 0, sizeof b);
    memcpy (b[0], y + whole, len);
    memcpy (b[1], u + whole, len);
    memcpy (b[2], v + whole, len);
    process8 (t, b[0], b[1], b[2], 8);
    memcpy (y + whole, b[0], len);
    memcpy (u + whole, b[1], len);
    memcpy (v + whole, b[2], len);
  }
}
