/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Resampling kernels and the Q14 weights of one axis (resample.h), with the
 * layouts the SIMD kernels of resampledsp read. Everything here runs when
 * the scale changes, never per row. */

#include "resample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

#define Q14_ONE 16384

/* The largest sum |coeff| of one output: with samples |s| <= 32768,
 * 32768 * 65535 + 8192 < 2^31. */
#define MAX_ABS_SUM 65535

/* The windows of the SIMD layouts, in samples. */
#define LANE4_WINDOW 8
#define PERM16_WINDOW_MAX 64

static int
clamp_lobes (int taps)
{
  return taps < 1 ? 1 : taps > 8 ? 8 : taps;
}

static double
sinc (double x)
{
  double px;

  if (x == 0.0)
    return 1.0;
  /* Exactly 0 at the other integers, where sin (pi x) only comes near. */
  if (x == floor (x))
    return 0.0;
  px = PI * x;
  return sin (px) / px;
}

/* Mitchell-Netravali cubics with parameters b and c, at |x| = ax. */
static double
mitchell_netravali (double b, double c, double ax)
{
  if (ax < 1.0)
    return ((12.0 - 9.0 * b - 6.0 * c) * ax * ax * ax +
        (-18.0 + 12.0 * b + 6.0 * c) * ax * ax + (6.0 - 2.0 * b)) / 6.0;
  if (ax < 2.0)
    return ((-b - 6.0 * c) * ax * ax * ax + (6.0 * b + 30.0 * c) * ax * ax +
        (-12.0 * b - 48.0 * c) * ax + (8.0 * b + 24.0 * c)) / 6.0;
  return 0.0;
}

static double
spline36 (double ax)
{
  if (ax < 1.0)
    return ((13.0 / 11.0 * ax - 453.0 / 209.0) * ax - 3.0 / 209.0) * ax + 1.0;
  if (ax < 2.0) {
    ax -= 1.0;
    return ((-6.0 / 11.0 * ax + 270.0 / 209.0) * ax - 156.0 / 209.0) * ax;
  }
  if (ax < 3.0) {
    ax -= 2.0;
    return ((1.0 / 11.0 * ax - 45.0 / 209.0) * ax + 26.0 / 209.0) * ax;
  }
  return 0.0;
}

double
est_resample_kernel (EstResampleMethod m, int taps, double x)
{
  double ax = fabs (x);

  switch (m) {
    case EST_RESAMPLE_NEAREST:
      return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
    case EST_RESAMPLE_BILINEAR:
      return ax < 1.0 ? 1.0 - ax : 0.0;
    case EST_RESAMPLE_BICUBIC:
      return mitchell_netravali (0.0, 0.5, ax);
    case EST_RESAMPLE_MITCHELL:
      return mitchell_netravali (1.0 / 3.0, 1.0 / 3.0, ax);
    case EST_RESAMPLE_LANCZOS:{
      double a = clamp_lobes (taps);
      return ax < a ? sinc (x) * sinc (x / a) : 0.0;
    }
    case EST_RESAMPLE_SPLINE36:
      return spline36 (ax);
    default:
      return 0.0;
  }
}

double
est_resample_support (EstResampleMethod m, int taps)
{
  switch (m) {
    case EST_RESAMPLE_NEAREST:
      return 0.5;
    case EST_RESAMPLE_BILINEAR:
      return 1.0;
    case EST_RESAMPLE_BICUBIC:
    case EST_RESAMPLE_MITCHELL:
      return 2.0;
    case EST_RESAMPLE_LANCZOS:
      return clamp_lobes (taps);
    case EST_RESAMPLE_SPLINE36:
      return 3.0;
    default:
      return 0.0;
  }
}

void
est_resample_filter_free (EstResampleFilter * f)
{
  if (!f)
    return;
  free (f->offset);
  free (f->coeff);
  free (f->lane4_base);
  free (f->lane4_shuf);
  free (f->lane4_coeff);
  free (f->perm16_base);
  free (f->perm16_idx);
  free (f->perm16_coeff);
  free (f->dot_coeff);
  free (f);
}

int
est_resample_filter_is_identity (const EstResampleFilter * f)
{
  return f->identity;
}

static int
check_identity (const EstResampleFilter * f)
{
  if (f->src_len != f->dst_len || f->taps != 1)
    return 0;
  for (int i = 0; i < f->dst_len; i++)
    if (f->offset[i] != i || f->coeff[i] != Q14_ONE)
      return 0;
  return 1;
}

/* The Q14 weights of output i over source samples 0..src_len-1, into
 * q[src_len] (zeroed by the caller); returns the first and last non-zero
 * index in *first and *last. w is scratch of src_len doubles, zero on entry
 * and on return. */
static void
output_weights (EstResampleMethod m, int lobes, int src_len, double pos,
    double s, double *w, int32_t * q, int *first, int *last)
{
  const double support = est_resample_support (m, lobes) * s;
  int lo = src_len, hi = -1, big;
  double sum = 0.0;
  int32_t qsum = 0;

  if (m == EST_RESAMPLE_NEAREST) {
    double k = floor (pos + 0.5);
    int idx = k < 0.0 ? 0 : k > src_len - 1 ? src_len - 1 : (int) k;
    q[idx] = Q14_ONE;
    *first = *last = idx;
    return;
  }

  /* Every k with |k - pos| < support; the kernel returns 0 at the ends. */
  double kmin = ceil (pos - support), kmax = floor (pos + support);
  for (double k = kmin; k <= kmax; k += 1.0) {
    double v = est_resample_kernel (m, lobes, (k - pos) / s);
    int idx = k < 0.0 ? 0 : k > src_len - 1 ? src_len - 1 : (int) k;
    if (v == 0.0)
      continue;
    w[idx] += v;
    sum += v;
    lo = idx < lo ? idx : lo;
    hi = idx > hi ? idx : hi;
  }
  if (hi < 0 || sum == 0.0) {
    /* No weight at all cannot happen with these kernels (each is positive
     * near 0); keep the filter well-defined anyway. */
    int idx = (int) fmin (fmax (floor (pos + 0.5), 0.0), src_len - 1.0);
    q[idx] = Q14_ONE;
    *first = *last = idx;
    return;
  }

  big = lo;
  for (int k = lo; k <= hi; k++) {
    w[k] /= sum;
    q[k] = (int32_t) lround (w[k] * Q14_ONE);
    qsum += q[k];
    if (fabs (w[k]) > fabs (w[big]))
      big = k;
  }
  q[big] += Q14_ONE - qsum;
  for (int k = lo; k <= hi; k++)
    w[k] = 0.0;

  while (lo < hi && q[lo] == 0)
    lo++;
  while (hi > lo && q[hi] == 0)
    hi--;
  *first = lo;
  *last = hi;
}

/* Lays out the coefficients for 128-bit lanes (see resample.h); leaves
 * lane4_base NULL when a group spans too far. Returns 0 on allocation
 * failure. */
static int
build_lane4 (EstResampleFilter * f)
{
  const int n_groups = (f->dst_len + 3) / 4;
  const int n_blocks = f->dst_len / 16;
  const int P = f->pairs;
  /* Register order of the groups of a block. */
  static const int slot_group[4] = { 0, 2, 1, 3 };

  for (int g = 0; g < n_groups; g++) {
    int i0 = 4 * g, n = f->dst_len - i0 < 4 ? f->dst_len - i0 : 4;
    int lo = f->offset[i0], hi = lo;
    for (int j = 1; j < n; j++) {
      lo = f->offset[i0 + j] < lo ? f->offset[i0 + j] : lo;
      hi = f->offset[i0 + j] > hi ? f->offset[i0 + j] : hi;
    }
    /* Each output reads window bytes of samples d and d + 1. */
    if (hi - lo > LANE4_WINDOW - 2)
      return 1;
  }
  if (!n_blocks)
    return 1;

  f->lane4_base = malloc (sizeof (int32_t) * 4 * n_blocks);
  f->lane4_shuf = malloc (16 * 4 * (size_t) n_blocks);
  f->lane4_coeff = calloc ((size_t) n_blocks * P * 32, sizeof (int16_t));
  if (!f->lane4_base || !f->lane4_shuf || !f->lane4_coeff)
    return 0;

  f->lane4_blocks = 0;
  for (int b = 0; b < n_blocks; b++) {
    int safe = 1;
    for (int slot = 0; slot < 4; slot++) {
      int i0 = 16 * b + 4 * slot_group[slot];
      int base = f->offset[i0];
      for (int j = 1; j < 4; j++)
        base = f->offset[i0 + j] < base ? f->offset[i0 + j] : base;
      f->lane4_base[4 * b + slot] = base;
      if (base + 2 * (P - 1) + LANE4_WINDOW > f->src_len)
        safe = 0;
      for (int j = 0; j < 4; j++) {
        int i = i0 + j, d = f->offset[i] - base;
        uint8_t *shuf = f->lane4_shuf + (4 * b + slot) * 16 + 4 * j;
        shuf[0] = (uint8_t) (2 * d);
        shuf[1] = (uint8_t) (2 * d + 1);
        shuf[2] = (uint8_t) (2 * d + 2);
        shuf[3] = (uint8_t) (2 * d + 3);
        for (int k = 0; k < f->taps; k++)
          f->lane4_coeff[((size_t) (b * P + k / 2) * 4 + slot) * 8 + 2 * j +
              k % 2] = f->coeff[(size_t) i * f->taps + k];
      }
    }
    /* Safe blocks form a prefix: reads run past the end only near it. */
    if (safe && f->lane4_blocks == b)
      f->lane4_blocks = b + 1;
  }
  return 1;
}

/* Lays out the coefficients for 16-output word permutes (see resample.h);
 * leaves perm16_base NULL when a group spans too far. Returns 0 on
 * allocation failure. */
static int
build_perm16 (EstResampleFilter * f)
{
  const int n_groups = (f->dst_len + 15) / 16;
  const int P = f->pairs;
  int span = 0;

  for (int g = 0; g < n_groups; g++) {
    int i0 = 16 * g, n = f->dst_len - i0 < 16 ? f->dst_len - i0 : 16;
    int lo = f->offset[i0], hi = lo;
    for (int j = 1; j < n; j++) {
      lo = f->offset[i0 + j] < lo ? f->offset[i0 + j] : lo;
      hi = f->offset[i0 + j] > hi ? f->offset[i0 + j] : hi;
    }
    span = hi - lo > span ? hi - lo : span;
  }
  /* Each output reads window words d and d + 1. */
  if (span > PERM16_WINDOW_MAX - 2)
    return 1;
  f->perm16_window = span <= PERM16_WINDOW_MAX / 2 - 2 ?
      PERM16_WINDOW_MAX / 2 : PERM16_WINDOW_MAX;

  f->perm16_base = malloc (sizeof (int32_t) * n_groups);
  f->perm16_idx = calloc ((size_t) n_groups * 32, sizeof (int16_t));
  f->perm16_coeff = calloc ((size_t) n_groups * P * 32, sizeof (int16_t));
  if (!f->perm16_base || !f->perm16_idx || !f->perm16_coeff)
    return 0;

  f->perm16_groups = n_groups;
  f->perm16_safe = 0;
  for (int g = 0; g < n_groups; g++) {
    int i0 = 16 * g, n = f->dst_len - i0 < 16 ? f->dst_len - i0 : 16;
    int base = f->offset[i0];
    for (int j = 1; j < n; j++)
      base = f->offset[i0 + j] < base ? f->offset[i0 + j] : base;
    f->perm16_base[g] = base;
    /* Padding outputs (j >= n) keep index 0 and zero weights. */
    for (int j = 0; j < n; j++) {
      int i = i0 + j, d = f->offset[i] - base;
      f->perm16_idx[g * 32 + 2 * j] = (int16_t) d;
      f->perm16_idx[g * 32 + 2 * j + 1] = (int16_t) (d + 1);
      for (int k = 0; k < f->taps; k++)
        f->perm16_coeff[(size_t) (g * P + k / 2) * 32 + 2 * j + k % 2] =
            f->coeff[(size_t) i * f->taps + k];
    }
    if (base + 2 * (P - 1) + f->perm16_window <= f->src_len
        && f->perm16_safe == g)
      f->perm16_safe = g + 1;
  }
  return 1;
}

/* Pads each output's coefficients to a multiple of 16 taps (see
 * resample.h). Returns 0 on allocation failure. */
static int
build_dot (EstResampleFilter * f)
{
  f->dot_taps = (f->taps + 15) & ~15;
  f->dot_coeff = calloc ((size_t) f->dst_len * f->dot_taps, sizeof (int16_t));
  if (!f->dot_coeff)
    return 0;
  f->dot_safe = 0;
  for (int i = 0; i < f->dst_len; i++) {
    memcpy (f->dot_coeff + (size_t) i * f->dot_taps,
        f->coeff + (size_t) i * f->taps, sizeof (int16_t) * f->taps);
    if (f->offset[i] + f->dot_taps <= f->src_len && f->dot_safe == i)
      f->dot_safe = i + 1;
  }
  return 1;
}

/* Computes the weights of every output into f (offset, coeff, taps).
 * Returns 0 on allocation failure or when a filter breaks the accumulation
 * bound. */
static int
build_weights (EstResampleFilter * f, EstResampleMethod m, int lobes,
    double scale, double offset)
{
  const int src_len = f->src_len, dst_len = f->dst_len;
  const double s = m == EST_RESAMPLE_NEAREST || scale < 1.0 ? 1.0 : scale;
  double *w = calloc ((size_t) src_len, sizeof (double));
  int32_t *q = calloc ((size_t) src_len, sizeof (int32_t));
  int *first = malloc (sizeof (int) * dst_len);
  int *last = malloc (sizeof (int) * dst_len);
  size_t *start = malloc (sizeof (size_t) * dst_len);
  int32_t *all = NULL;
  size_t all_len = 0, all_size = 0;
  int ok = 0, taps = 1;

  if (!w || !q || !first || !last || !start)
    goto out;

  /* First pass: every output's weights from its first non-zero one to its
   * last, one after the other in `all`, and the widest span. */
  for (int i = 0; i < dst_len; i++) {
    double pos = offset + (double) (i) * scale;
    int n;

    output_weights (m, lobes, src_len, pos, s, w, q, &first[i], &last[i]);
    n = last[i] - first[i] + 1;
    taps = n > taps ? n : taps;
    if (all_len + (size_t) n > all_size) {
      size_t size = 2 * all_size + (size_t) n + 256;
      int32_t *grown = realloc (all, sizeof (int32_t) * size);
      if (!grown)
        goto out;
      all = grown;
      all_size = size;
    }
    start[i] = all_len;
    memcpy (all + all_len, q + first[i], sizeof (int32_t) * n);
    all_len += (size_t) n;
    /* output_weights writes no weight outside [first, last]. */
    memset (q + first[i], 0, sizeof (int32_t) * n);
  }

  /* Second pass: place them in windows of taps samples inside the source. */
  f->taps = taps;
  f->offset = malloc (sizeof (int32_t) * dst_len);
  f->coeff = calloc ((size_t) dst_len * taps, sizeof (int16_t));
  if (!f->offset || !f->coeff)
    goto out;
  ok = 1;
  for (int i = 0; i < dst_len; i++) {
    int n = last[i] - first[i] + 1;
    int o = first[i] < src_len - taps ? first[i] : src_len - taps;
    int64_t abs_sum = 0;

    f->offset[i] = o;
    for (int k = 0; k < n; k++) {
      int32_t c = all[start[i] + k];
      abs_sum += c < 0 ? -c : c;
      if (c < INT16_MIN || c > INT16_MAX)
        ok = 0;
      f->coeff[(size_t) i * taps + first[i] - o + k] = (int16_t) c;
    }
    if (abs_sum > MAX_ABS_SUM)
      ok = 0;
  }

out:
  free (w);
  free (q);
  free (first);
  free (last);
  free (start);
  free (all);
  return ok;
}

/* The identity filter, whatever the method. */
static int
build_identity (EstResampleFilter * f)
{
  f->taps = 1;
  f->offset = malloc (sizeof (int32_t) * f->dst_len);
  f->coeff = malloc (sizeof (int16_t) * f->dst_len);
  if (!f->offset || !f->coeff)
    return 0;
  for (int i = 0; i < f->dst_len; i++) {
    f->offset[i] = i;
    f->coeff[i] = Q14_ONE;
  }
  return 1;
}

EstResampleFilter *
est_resample_filter_new (EstResampleMethod m, int lanczos_taps, int src_len,
    int dst_len, double scale, double offset)
{
  EstResampleFilter *f;
  int ok;

  if ((unsigned) m >= EST_RESAMPLE_N || src_len < 1 || src_len > 65536
      || dst_len < 1 || dst_len > 65536 || !(scale > 0.0) || !isfinite (scale)
      || !isfinite (offset) || (m == EST_RESAMPLE_LANCZOS
          && (lanczos_taps < 1 || lanczos_taps > 8)))
    return NULL;
  /* Positions far outside the source only fold onto its edges, at a cost
   * that grows with the distance: refuse them. Real scales have
   * dst_len * scale near src_len <= 65536. */
  if (fabs (offset) > 1048576.0 || (double) (dst_len) * scale > 1048576.0)
    return NULL;

  f = calloc (1, sizeof (*f));
  if (!f)
    return NULL;
  f->src_len = src_len;
  f->dst_len = dst_len;

  if (src_len == dst_len && scale == 1.0 && offset == 0.0)
    ok = build_identity (f);
  else
    ok = build_weights (f, m, lanczos_taps, scale, offset);
  if (ok) {
    f->identity = check_identity (f);
    f->pairs = (f->taps + 1) / 2;
    ok = build_lane4 (f) && build_perm16 (f);
    if (ok && !f->lane4_base)
      ok = build_dot (f);
  }
  if (!ok) {
    est_resample_filter_free (f);
    return NULL;
  }
  return f;
}
