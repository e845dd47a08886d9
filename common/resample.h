/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_RESAMPLE_H
#define EST_RESAMPLE_H

#include <stdint.h>

/* Separable resampling filters: the weights of the scale stage of
 * esthdrscale, one axis at a time. A filter maps src_len source samples to
 * dst_len output samples; the kernels that apply it are in resampledsp.h.
 *
 * Weights are Q14 (1.0 is 16384). Samples are int16_t "Q14 codes" (a code c
 * of depth d stored as c << (14 - d)); the filters do not care, they only
 * need |sample| <= 32768 (see the accumulation bound below). */

typedef enum
{
  EST_RESAMPLE_NEAREST,
  EST_RESAMPLE_BILINEAR,
  EST_RESAMPLE_BICUBIC,         /* Catmull-Rom: Mitchell-Netravali B = 0, C = 0.5 */
  EST_RESAMPLE_MITCHELL,        /* Mitchell-Netravali B = C = 1/3 */
  EST_RESAMPLE_LANCZOS,         /* sinc (x) sinc (x / a), a = taps lobes */
  EST_RESAMPLE_SPLINE36,        /* the 6-tap cardinal spline (AviSynth's) */
  EST_RESAMPLE_N
} EstResampleMethod;

/* The continuous kernel k(x) of method m, the specification of the weights
 * (and of the float64 reference in the tests). taps is the number of lobes
 * of lanczos, 1..8 (clamped to that range), ignored by the other methods.
 * Returns 0 for |x| >= est_resample_support (m, taps), and for an unknown
 * method.
 *
 * Nearest is 1 on (-0.5, 0.5]: with weights k(k - pos), as below, that
 * picks source sample round-half-up (pos). Every kernel is 1 at 0. The
 * interpolating ones (all but mitchell) are exactly 0 at the other
 * integers; mitchell is 8/9 at 0 and 1/18 at +-1 (it blurs slightly, in
 * exchange for less ringing). All but lanczos are partitions of unity:
 * sum over integers n of k(x + n) is 1 for every x; lanczos only comes
 * close (within 19% for 1 lobe, 1.9% for 2, 0.6% for 3, 0.03% for 8),
 * which the normalisation of the weights absorbs. */
double est_resample_kernel (EstResampleMethod m, int taps, double x);

/* Support radius of the kernel: nearest 0.5, bilinear 1, bicubic and
 * mitchell 2, lanczos taps (clamped to 1..8), spline36 3. */
double est_resample_support (EstResampleMethod m, int taps);

/* The weights of one axis.
 *
 * Output sample i (0 <= i < dst_len) is centred at source coordinate
 * pos = offset + i * scale, where source sample k is centred at coordinate
 * k (so a centred scale from n to m samples has scale = n / m and
 * offset = scale / 2 - 0.5). With s = max (1, scale), the weight of source
 * sample k is k((k - pos) / s): a downscale stretches the kernel (its
 * support becomes support * s) so that it also low-passes. Nearest is never
 * stretched: it picks round-half-up (pos). Samples outside [0, src_len)
 * are the edge samples repeated, so their weights fold onto sample 0 and
 * sample src_len - 1. The weights are normalised to sum 1 and quantised to
 * Q14 with the rounding error put on the largest, so each output's
 * coefficients sum to exactly 16384.
 *
 * Output i reads source samples offset[i] .. offset[i] + taps - 1. Leading
 * and trailing zero coefficients are trimmed per output, so taps is the
 * widest output's count of samples from its first non-zero weight to its
 * last. An identity mapping (src_len == dst_len, scale 1, offset 0) has
 * taps 1 and coefficient 16384 for every method (mitchell included).
 *
 * Accumulation bound: every filter has sum |coeff| <= 65535 per output
 * (creation fails otherwise, which no method does: the largest, lanczos-8
 * upscales at half-sample phases, reach about 35400, 2.16 times 16384;
 * downscales stay lower, lanczos-8 by 16 about 28700), so a dot product of
 * samples |s| <= 32768 with it, plus the rounding 8192, stays below
 * 32768 * 65535 + 8192 < 2^31: int32 cannot overflow.
 *
 * The fields after coeff are layouts precomputed for the SIMD kernels of
 * resampledsp; callers need not look at them. A filter is immutable once
 * created and may be shared by threads. */
typedef struct EstResampleFilter
{
  int src_len, dst_len;
  int taps;                     /* coefficients per output, 1..src_len */
  int32_t *offset;              /* [dst_len]: 0 <= offset[i] <= src_len - taps */
  int16_t *coeff;               /* [dst_len * taps], Q14, each row sums to 16384 */
  int identity;                 /* est_resample_filter_is_identity () */

  /* The coefficient pairs of the SIMD kernels, (taps + 1) / 2: an odd
   * taps gets a zero last coefficient, whose sample (offset[i] + taps, at
   * most src_len) a kernel may read but must then multiply by 0. */
  int pairs;

  /* "lane4" layout, for 128-bit lanes (AVX2). Outputs go in blocks of 16,
   * block b holding outputs 16b .. 16b + 15 as four groups of 4; group
   * g of block b reads the 8 samples from lane4_base[4b + g] + 2p for
   * pair p, and its output j (0..3) takes from them the two samples at
   * bytes lane4_shuf[(4b + g) * 16 + 4j ..] (a pshufb control) times the
   * coefficients lane4_coeff[((b * pairs + p) * 4 + g) * 8 + 2j ..].
   * Groups are stored in the order 0, 2, 1, 3 (lane4_base, lane4_shuf,
   * lane4_coeff): one 256-bit register holds groups 0 and 2, another 1 and
   * 3, and packing their two results gives outputs 0..15 in order.
   * lane4_blocks is the number of leading blocks that are complete and
   * whose reads stay in [0, src_len); the outputs after them are left to
   * the C reference. lane4_base is NULL (and lane4_blocks 0) when the
   * offsets of some group of 4 outputs differ by more than 6 (downscales
   * by more than about 2), or when dst_len < 16. */
  int lane4_blocks;
  int32_t *lane4_base;
  uint8_t *lane4_shuf;
  int16_t *lane4_coeff;

  /* "perm16" layout, for 512-bit registers with word permutes (AVX-512
   * BW). Group g holds outputs 16g .. 16g + 15 (perm16_groups groups, the
   * last one padded with zero-weight outputs); it reads the perm16_window
   * (32 or 64) samples from perm16_base[g] + 2p for pair p, output j
   * taking words perm16_idx[g * 32 + 2j] and [.. + 1] of them (a vpermw
   * or, with 64, vpermt2w control) times
   * perm16_coeff[(g * pairs + p) * 32 + 2j ..]. The window is 32 when
   * the offsets within every group differ by at most 30 (up to 2x
   * downscales), else 64. perm16_safe is the number of leading groups
   * whose reads all stay in [0, src_len); the ones after need masked
   * loads. perm16_base is NULL when the offsets of some group differ by
   * more than 62 (downscales by more than about 4). */
  int perm16_groups, perm16_safe, perm16_window;
  int32_t *perm16_base;
  int16_t *perm16_idx;
  int16_t *perm16_coeff;

  /* "dot" layout, built when lane4 is not (larger downscales, and
   * dst_len < 16): each output's coefficients padded with zeros to
   * dot_taps, a multiple of 16, dot_coeff[i * dot_taps ..]. dot_safe is
   * the number of leading outputs whose dot_taps samples from offset[i]
   * stay in [0, src_len). */
  int dot_taps, dot_safe;
  int16_t *dot_coeff;
} EstResampleFilter;

/* Creates the filter of method m (lanczos with lanczos_taps lobes) mapping
 * src_len samples to dst_len with the given scale and offset (see above).
 * src_len and dst_len 1..65536, scale > 0, |offset| <= 2^20 and
 * dst_len * scale <= 2^20 (positions stay within 16 source widths of the
 * largest source), lanczos_taps 1..8 (ignored by the other methods). Returns
 * NULL on bad arguments or allocation failure; free with
 * est_resample_filter_free. Creation costs
 * O (dst_len * support * max (1, scale)). */
EstResampleFilter *est_resample_filter_new (EstResampleMethod m,
    int lanczos_taps, int src_len, int dst_len, double scale, double offset);

/* Frees f; NULL is allowed. */
void est_resample_filter_free (EstResampleFilter * f);

/* Whether f copies its input: src_len == dst_len, taps 1, offset[i] == i
 * and every coefficient 16384. Callers may skip such a pass. */
int est_resample_filter_is_identity (const EstResampleFilter * f);

#endif
