/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The resampling filters (common/resample.h) and passes
 * (common/resampledsp.h), in three parts.
 *
 * Kernels: each is 1 at 0 (mitchell 8/9) and 0 at the other integers
 * (mitchell 1/18 at +-1, 0 beyond), 0 from its support on, and sums to 1
 * over integer shifts (exactly but for rounding, 1e-12, except lanczos,
 * within the tolerance its header states).
 *
 * Filters: over every method and many (src_len, dst_len, scale, offset),
 * every output's coefficients sum to 16384 with sum |coeff| <= 65535 (the
 * int32 bound), offsets keep the taps inside the source, identities are
 * detected, a constant row comes out unchanged, bilinear upscaling keeps a
 * ramp (within 1 Q14 unit), and the 2x lanczos-3 upscale of 10-bit
 * codes is within 1 Q14 unit (a sixteenth of a 10-bit code) of the float64
 * filter built from est_resample_kernel directly, rounded. That margin is
 * the quantisation of the weights: each is off by up to 1/32768 (the
 * largest by the others' sum), which over 6 taps of samples up to 16368
 * can move an output by more than half a unit. Bad arguments give NULL.
 *
 * SIMD: in the manner of dav1d's checkasm, every ISA level the CPU has is
 * initialised on its own, and its hscale and vscale are compared bit for
 * bit with the C references on random and extreme samples (0, 32767,
 * -32768, 16383 and their neighbours, alternating extremes that drive the
 * sums past int16), for output widths 1, 2, 7, 15, 16, 17, 31, 33, 63, 65
 * and 7681, scales 2x, 1.5x and 3.7x up, 2x, 2.25x and 16x down, 1.0 with
 * offset 0.25, the exact identity, and every method; vscale for taps 1..20,
 * 31..33, 64, 65. Each source row lies right before (and, in a second run,
 * right after) an inaccessible page, so a read outside it crashes the
 * test; destinations carry canaries after their last sample.
 *
 * Usage: test-common-resample [SEED]. Exit 0 pass, 1 fail. With no SIMD
 * level available (or EST_CPU_MASK=0) only the first two parts run. */

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu.h"
#include "resample.h"
#include "resampledsp.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* Failing cases printed per check; the rest are only counted. */
#define MAX_REPORTS 8

static const uint64_t default_seed = UINT64_C (0x2026e57ba4c0ffee);

static uint64_t seed;
static uint64_t rng_state;
static int failures;

static uint64_t
rnd (void)
{
  /* splitmix64: any seed, including 0, gives a full-period stream */
  uint64_t z = (rng_state += UINT64_C (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static void *
xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);
  if (!p) {
    fprintf (stderr, "out of memory\n");
    exit (1);
  }
  return p;
}

static const char *const method_names[EST_RESAMPLE_N] = {
  "nearest", "bilinear", "bicubic", "mitchell", "lanczos", "spline36",
};

/* A check: one line of output, with a count of cases and of failures. */
typedef struct
{
  char name[160];
  int cases;
  int failed;
} Check;

static void
begin_check (Check * c, const char *name)
{
  snprintf (c->name, sizeof (c->name), "%s", name);
  c->cases = 0;
  c->failed = 0;
}

#define REPORT(c, ...) do { \
    if ((c)->failed++ < MAX_REPORTS) { \
      printf ("  %s: ", (c)->name); \
      printf (__VA_ARGS__); \
      printf ("\n"); \
    } \
  } while (0)

static void
end_check (const Check * c)
{
  printf ("%s %s: %d cases", c->failed ? "FAIL" : "ok  ", c->name, c->cases);
  if (c->failed)
    printf (", %d failed (seed 0x%016" PRIx64 ")", c->failed, seed);
  printf ("\n");
  if (c->failed)
    failures++;
}

/* ---------------------------------------------------------------------- */
/* Memory between two inaccessible pages: guarded_place hands out n bytes
 * right before the second (at_end) or right after the first. */

typedef struct
{
  uint8_t *map;
  size_t map_len, data;
} Guarded;

static void
guarded_alloc (Guarded * g, size_t capacity)
{
  const size_t page = (size_t) sysconf (_SC_PAGESIZE);
  const size_t data = (capacity + page - 1) / page * page;

  g->data = data;
  g->map_len = data + 2 * page;
  g->map = mmap (NULL, g->map_len, PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g->map == MAP_FAILED) {
    fprintf (stderr, "mmap failed\n");
    exit (1);
  }
  if (mprotect (g->map, page, PROT_NONE)
      || mprotect (g->map + page + data, page, PROT_NONE)) {
    fprintf (stderr, "mprotect failed\n");
    exit (1);
  }
}

static void *
guarded_place (const Guarded * g, size_t n, int at_end)
{
  const size_t page = (size_t) sysconf (_SC_PAGESIZE);
  return at_end ? g->map + page + g->data - n : g->map + page;
}

static void
guarded_free (Guarded * g)
{
  munmap (g->map, g->map_len);
}

/* ---------------------------------------------------------------------- */
/* Kernels */

static void
check_kernels (void)
{
  Check c;

  begin_check (&c, "kernels: values at integers, support, unity");
  for (int m = 0; m < EST_RESAMPLE_N; m++) {
    for (int lobes = 1; lobes <= (m == EST_RESAMPLE_LANCZOS ? 8 : 1); lobes++) {
      double support = est_resample_support (m, lobes);
      double at0 = m == EST_RESAMPLE_MITCHELL ? 8.0 / 9.0 : 1.0;
      double k0 = est_resample_kernel (m, lobes, 0.0);

      c.cases++;
      if (fabs (k0 - at0) > 1e-15)
        REPORT (&c, "%s-%d: k(0) = %.17g, want %.17g", method_names[m],
            lobes, k0, at0);
      for (int n = 1; n <= 10; n++) {
        double want = m == EST_RESAMPLE_MITCHELL && n == 1 ? 1.0 / 18.0 : 0.0;
        for (int sign = -1; sign <= 1; sign += 2) {
          double v = est_resample_kernel (m, lobes, sign * n);
          c.cases++;
          if (fabs (v - want) > 1e-15)
            REPORT (&c, "%s-%d: k(%d) = %.17g, want %.17g",
                method_names[m], lobes, sign * n, v, want);
        }
      }
      /* 0 from the support on, on both sides. */
      for (int sign = -1; sign <= 1; sign += 2) {
        double edge = sign * support;
        double v1 = est_resample_kernel (m, lobes, edge);
        double v2 = est_resample_kernel (m, lobes, edge + sign * 0.37);
        c.cases++;
        /* Nearest is 1 on (-0.5, 0.5]: its upper edge is inside. */
        if (!(m == EST_RESAMPLE_NEAREST && sign > 0) && v1 != 0.0)
          REPORT (&c, "%s-%d: k(%g) = %g, want 0", method_names[m], lobes,
              edge, v1);
        if (v2 != 0.0)
          REPORT (&c, "%s-%d: k(%g) = %g, want 0", method_names[m], lobes,
              edge + sign * 0.37, v2);
      }
      /* Symmetry (nearest only up to its half-open edge). */
      for (double x = 0.01; x < support + 1.0; x += 0.0731) {
        double a = est_resample_kernel (m, lobes, x);
        double b = est_resample_kernel (m, lobes, -x);
        c.cases++;
        if (a != b && !(m == EST_RESAMPLE_NEAREST && x == 0.5))
          REPORT (&c, "%s-%d: k(%g) = %.17g != k(-%g) = %.17g",
              method_names[m], lobes, x, a, x, b);
      }
      /* Partition of unity: sum over n of k(x + n), x in [0, 1). */
      double tol = 1e-12;
      if (m == EST_RESAMPLE_LANCZOS)
        tol = lobes == 1 ? 0.25 : lobes == 2 ? 0.025 : 0.008;
      double worst = 0.0;
      for (int step = 0; step < 1000; step++) {
        double x = step / 1000.0, sum = 0.0;
        for (int n = -12; n <= 12; n++)
          sum += est_resample_kernel (m, lobes, x + n);
        worst = fmax (worst, fabs (sum - 1.0));
      }
      c.cases++;
      if (worst > tol)
        REPORT (&c, "%s-%d: integer shifts sum to 1 +- %g, allowed %g",
            method_names[m], lobes, worst, tol);
      if (m == EST_RESAMPLE_LANCZOS)
        printf ("     lanczos-%d: integer shifts sum to 1 +- %.2g\n", lobes,
            worst);
    }
  }
  end_check (&c);
}

/* ---------------------------------------------------------------------- */
/* Filters */

typedef struct
{
  int src_len, dst_len;
} Size;

/* The pairs the brief names, and some more around the SIMD blocks. */
static const Size sizes[] = {
  {1, 1}, {1, 7}, {7, 1}, {2, 3}, {3, 2}, {5, 16}, {16, 5}, {17, 33},
  {33, 17}, {100, 37}, {3840, 7680}, {7680, 3840}, {3840, 1920},
  {1920, 3840}, {7681, 4321}, {4321, 7681}, {2, 8192}, {8192, 2},
  {1920, 1080}, {720, 1920}, {61440, 3840},
};

/* Offsets tried per size: centred, and shifted either way. */
static const double offset_shifts[] = { 0.0, 0.25, -0.375, 3.5 };

/* Checks the invariants of one filter; returns its largest sum |coeff|. */
static int
check_filter_invariants (Check * c, const EstResampleFilter * f,
    const char *what)
{
  int worst = 0;

  c->cases++;
  if (f->taps < 1 || f->taps > f->src_len) {
    REPORT (c, "%s: taps %d outside 1..%d", what, f->taps, f->src_len);
    return 0;
  }
  for (int i = 0; i < f->dst_len; i++) {
    int32_t sum = 0, abs_sum = 0;
    for (int k = 0; k < f->taps; k++) {
      int32_t v = f->coeff[(size_t) i * f->taps + k];
      sum += v;
      abs_sum += v < 0 ? -v : v;
    }
    worst = abs_sum > worst ? abs_sum : worst;
    if (sum != 16384)
      REPORT (c, "%s: output %d coefficients sum to %d", what, i, sum);
    if (abs_sum > 65535)
      REPORT (c, "%s: output %d sum |coeff| %d > 65535", what, i, abs_sum);
    if (f->offset[i] < 0 || f->offset[i] > f->src_len - f->taps)
      REPORT (c, "%s: output %d offset %d outside 0..%d", what, i,
          f->offset[i], f->src_len - f->taps);
  }
  /* Trimming: some output uses the first column and some the last. */
  int first_used = 0, last_used = 0;
  for (int i = 0; i < f->dst_len; i++) {
    first_used |= f->coeff[(size_t) i * f->taps] != 0;
    last_used |= f->coeff[(size_t) i * f->taps + f->taps - 1] != 0;
  }
  if (!first_used || !last_used)
    REPORT (c, "%s: a zero column left untrimmed (taps %d)", what, f->taps);
  return worst;
}

/* The outputs of the C reference on a constant row equal the constant. */
static void
check_dc (Check * c, const EstResampleDSP * ref, const EstResampleFilter * f,
    const char *what)
{
  static const int16_t levels[] = { 0, 1, 4096, 16383, 16384, -7, 32767,
    -32768
  };
  int16_t *src = xmalloc (sizeof (int16_t) * f->src_len);
  int16_t *dst = xmalloc (sizeof (int16_t) * f->dst_len);

  for (size_t l = 0; l < N_ELEMENTS (levels); l++) {
    for (int k = 0; k < f->src_len; k++)
      src[k] = levels[l];
    ref->hscale (dst, src, f);
    c->cases++;
    for (int i = 0; i < f->dst_len; i++)
      if (dst[i] != levels[l]) {
        REPORT (c, "%s: constant %d gives %d at output %d", what, levels[l],
            dst[i], i);
        break;
      }
  }
  free (src);
  free (dst);
}

static void
check_filters (const EstResampleDSP * ref)
{
  Check inv, dc, ident;
  int worst = 0, worst_l8x16 = 0;
  char what[128];

  begin_check (&inv, "filters: sums, bounds, offsets, trimming");
  begin_check (&dc, "filters: constant rows unchanged");
  for (size_t si = 0; si < N_ELEMENTS (sizes); si++) {
    const Size *sz = &sizes[si];
    const double scale = (double) (sz->src_len) / sz->dst_len;
    for (int m = 0; m < EST_RESAMPLE_N; m++) {
      for (int lobes = 1; lobes <= 8; lobes++) {
        if (m != EST_RESAMPLE_LANCZOS && lobes > 1)
          continue;
        if (m == EST_RESAMPLE_LANCZOS && lobes != 2 && lobes != 3
            && lobes != 8 && sz->src_len > 20000)
          continue;
        for (size_t oi = 0; oi < N_ELEMENTS (offset_shifts); oi++) {
          double offset = 0.5 * scale - 0.5 + offset_shifts[oi];
          EstResampleFilter *f = est_resample_filter_new (m, lobes,
              sz->src_len, sz->dst_len, scale, offset);
          snprintf (what, sizeof (what), "%s-%d %d->%d offset %g",
              method_names[m], lobes, sz->src_len, sz->dst_len, offset);
          if (!f) {
            inv.cases++;
            REPORT (&inv, "%s: creation failed", what);
            continue;
          }
          int w = check_filter_invariants (&inv, f, what);
          worst = w > worst ? w : worst;
          if (m == EST_RESAMPLE_LANCZOS && lobes == 8 && scale >= 16.0)
            worst_l8x16 = w > worst_l8x16 ? w : worst_l8x16;
          if (oi < 2)
            check_dc (&dc, ref, f, what);
          est_resample_filter_free (f);
        }
      }
    }
  }
  end_check (&inv);
  printf ("     largest sum |coeff| %d (lanczos-8 16x down: %d) of 65535 "
      "allowed\n", worst, worst_l8x16);
  end_check (&dc);

  /* Identities, for every method, and near misses. */
  begin_check (&ident, "filters: identity detection");
  static const int ident_lens[] = { 1, 2, 7, 3840, 7681 };
  for (int m = 0; m < EST_RESAMPLE_N; m++)
    for (size_t li = 0; li < N_ELEMENTS (ident_lens); li++) {
      int n = ident_lens[li];
      EstResampleFilter *f = est_resample_filter_new (m, 3, n, n, 1.0, 0.0);
      ident.cases++;
      if (!f || !est_resample_filter_is_identity (f) || f->taps != 1
          || f->coeff[0] != 16384)
        REPORT (&ident, "%s %d->%d: not an identity", method_names[m], n, n);
      est_resample_filter_free (f);
      if (n < 2)
        continue;
      f = est_resample_filter_new (m, 3, n, n, 1.0, 0.25);
      ident.cases++;
      /* Nearest with a quarter-sample shift still picks sample i. */
      if (!f || est_resample_filter_is_identity (f) !=
          (m == EST_RESAMPLE_NEAREST))
        REPORT (&ident, "%s %d->%d offset 0.25: identity %d",
            method_names[m], n, n, f ? est_resample_filter_is_identity (f) :
            -1);
      est_resample_filter_free (f);
      f = est_resample_filter_new (m, 3, n, 2 * n, 0.5, -0.25);
      ident.cases++;
      if (!f || est_resample_filter_is_identity (f))
        REPORT (&ident, "%s %d->%d: taken for an identity", method_names[m],
            n, 2 * n);
      est_resample_filter_free (f);
    }
  end_check (&ident);
}

static void
check_bad_arguments (void)
{
  Check c;
  struct
  {
    int m, lobes, src, dst;
    double scale, offset;
  } bad[] = {
    {EST_RESAMPLE_N, 3, 10, 10, 1.0, 0.0},
    {-1, 3, 10, 10, 1.0, 0.0},
    {EST_RESAMPLE_LANCZOS, 0, 10, 10, 1.0, 0.0},
    {EST_RESAMPLE_LANCZOS, 9, 10, 10, 1.0, 0.0},
    {EST_RESAMPLE_BILINEAR, 3, 0, 10, 1.0, 0.0},
    {EST_RESAMPLE_BILINEAR, 3, 10, 0, 1.0, 0.0},
    {EST_RESAMPLE_BILINEAR, 3, 65537, 10, 1.0, 0.0},
    {EST_RESAMPLE_BILINEAR, 3, 10, 65537, 1.0, 0.0},
    {EST_RESAMPLE_BILINEAR, 3, 10, 10, 0.0, 0.0},
    {EST_RESAMPLE_BILINEAR, 3, 10, 10, -1.0, 0.0},
    {EST_RESAMPLE_BILINEAR, 3, 10, 10, NAN, 0.0},
    {EST_RESAMPLE_BILINEAR, 3, 10, 10, INFINITY, 0.0},
    {EST_RESAMPLE_BILINEAR, 3, 10, 10, 1.0, NAN},
    {EST_RESAMPLE_BILINEAR, 3, 10, 10, 1.0, 1e9},
    {EST_RESAMPLE_BILINEAR, 3, 10, 65536, 1e3, 0.0},
  };
  EstResampleFilter *f;

  begin_check (&c, "filters: bad arguments give NULL");
  for (size_t i = 0; i < N_ELEMENTS (bad); i++) {
    f = est_resample_filter_new (bad[i].m, bad[i].lobes, bad[i].src,
        bad[i].dst, bad[i].scale, bad[i].offset);
    c.cases++;
    if (f) {
      REPORT (&c, "case %zu accepted", i);
      est_resample_filter_free (f);
    }
  }
  /* Lobes mean nothing to the other methods. */
  f = est_resample_filter_new (EST_RESAMPLE_BICUBIC, 0, 10, 20, 0.5, -0.25);
  c.cases++;
  if (!f)
    REPORT (&c, "bicubic refused for lanczos_taps 0");
  est_resample_filter_free (f);
  /* The largest sizes are fine. */
  f = est_resample_filter_new (EST_RESAMPLE_LANCZOS, 8, 65536, 65536, 1.0, 0.5);
  c.cases++;
  if (!f)
    REPORT (&c, "65536 -> 65536 lanczos-8 refused");
  est_resample_filter_free (f);
  est_resample_filter_free (NULL);
  end_check (&c);
}

/* Bilinear upscales of a ramp give the ramp, clamped at the edges. */
static void
check_ramp (const EstResampleDSP * ref)
{
  static const double factors[] = { 2.0, 1.5, 3.7, 8.0, 1.25 };
  const int src_len = 300, slope = 100;
  int16_t src[300];
  Check c;

  begin_check (&c, "filters: bilinear upscale keeps a ramp");
  for (int k = 0; k < src_len; k++)
    src[k] = (int16_t) (slope * k - 15000);
  for (size_t fi = 0; fi < N_ELEMENTS (factors); fi++) {
    int dst_len = (int) (src_len * factors[fi]);
    double scale = (double) (src_len) / dst_len;
    EstResampleFilter *f = est_resample_filter_new (EST_RESAMPLE_BILINEAR, 3,
        src_len, dst_len, scale, 0.5 * scale - 0.5);
    int16_t *dst = xmalloc (sizeof (int16_t) * dst_len);

    ref->hscale (dst, src, f);
    for (int i = 0; i < dst_len; i++) {
      double pos = fmin (fmax (0.5 * scale - 0.5 + i * scale, 0.0),
          src_len - 1.0);
      double want = slope * pos - 15000;
      c.cases++;
      /* Weights off by <= 1/32768 each (one rounding, the other takes the
       * rest) times the step of 100, plus the final rounding: < 1. */
      if (fabs (dst[i] - want) > 1.0)
        REPORT (&c, "%gx: output %d is %d, ramp %g", factors[fi], i, dst[i],
            want);
    }
    free (dst);
    est_resample_filter_free (f);
  }
  end_check (&c);
}

/* The 2x lanczos-3 upscale against float64 weights from the kernel. */
static void
check_lanczos_float (const EstResampleDSP * ref)
{
  const int src_len = 1000, dst_len = 2000;
  const double scale = 0.5, offset = -0.25;
  int16_t src[1000], dst[2000];
  double worst = 0.0, sum_err = 0.0;
  int off_by_one = 0;
  Check c;

  begin_check (&c, "filters: 2x lanczos-3 against float64, +-1 Q14 unit");
  EstResampleFilter *f = est_resample_filter_new (EST_RESAMPLE_LANCZOS, 3,
      src_len, dst_len, scale, offset);
  for (int rep = 0; rep < 20; rep++) {
    /* 10-bit codes in Q14: c << 4; smooth and sharp halves. */
    for (int k = 0; k < src_len; k++)
      src[k] = (int16_t) ((k < src_len / 2 ? (int) (rnd () % 1024) :
              (rnd () & 1) * 1023) << 4);
    ref->hscale (dst, src, f);
    for (int i = 0; i < dst_len; i++) {
      double pos = offset + i * scale, wsum = 0.0, acc = 0.0;
      int centre = (int) floor (pos);
      for (int k = centre - 4; k <= centre + 4; k++) {
        double w = est_resample_kernel (EST_RESAMPLE_LANCZOS, 3, k - pos);
        int idx = k < 0 ? 0 : k >= src_len ? src_len - 1 : k;
        wsum += w;
        acc += w * src[idx];
      }
      double want = acc / wsum, err = fabs (dst[i] - want);
      worst = fmax (worst, err);
      sum_err += err;
      off_by_one += dst[i] != floor (want + 0.5);
      c.cases++;
      if (fabs (dst[i] - floor (want + 0.5)) > 1.0)
        REPORT (&c, "output %d: %d, float64 %.3f", i, dst[i], want);
    }
  }
  est_resample_filter_free (f);
  end_check (&c);
  printf ("     |Q14 - float64|: largest %.3f, mean %.3f; %.1f%% off the "
      "rounded float64 by 1\n", worst, sum_err / c.cases,
      100.0 * off_by_one / c.cases);
}

/* ---------------------------------------------------------------------- */
/* SIMD against C */

typedef enum
{
  PAT_RANDOM,
  PAT_RANDOM_Q14,
  PAT_EXTREME,
  PAT_ALTERNATE,
  PAT_ZERO,
  PAT_MAX,
  PAT_MIN,
  PAT_16383,
  PAT_16384,
  PAT_MAX_1,
  N_PATTERNS
} Pattern;

static const char *const pattern_names[N_PATTERNS] = {
  "random", "random-q14", "random-extremes", "alternating-max-min",
  "all-0", "all-32767", "all--32768", "all-16383", "all-16384",
  "all-32766",
};

static const int16_t extremes[] = { 0, 1, -1, 32767, 32766, -32768, -32767,
  16383, 16384, 16382,
};

static int16_t
pattern_sample (Pattern p, int x)
{
  switch (p) {
    case PAT_RANDOM:
      return (int16_t) rnd ();
    case PAT_RANDOM_Q14:
      return (int16_t) (rnd () % 16384);
    case PAT_EXTREME:
      return extremes[rnd () % N_ELEMENTS (extremes)];
    case PAT_ALTERNATE:
      return (x & 1) ? -32768 : 32767;
    case PAT_ZERO:
      return 0;
    case PAT_MAX:
      return 32767;
    case PAT_MIN:
      return -32768;
    case PAT_16383:
      return 16383;
    case PAT_16384:
      return 16384;
    case PAT_MAX_1:
    default:
      return 32766;
  }
}

#define CANARY 8

/* The source rows of the SIMD checks, allocated once. */
#define MAX_SRC_LEN 65536
#define MAX_VTAPS 65
static Guarded src_guard;
static Guarded row_guards[MAX_VTAPS];

static void
compare_rows (Check * c, const int16_t * want, const int16_t * got, int n,
    const char *what)
{
  for (int i = 0; i < n + CANARY; i++)
    if (want[i] != got[i]) {
      if (i < n)
        REPORT (c, "%s: output %d: C %d, SIMD %d", what, i, want[i], got[i]);
      else
        REPORT (c, "%s: wrote past the end (%d)", what, i - n);
      return;
    }
}

typedef struct
{
  const char *name;
  double factor;                /* dst_len = width, src_len = width * factor */
  double offset_shift;
  int exact_identity;
} ScaleCase;

static const ScaleCase scale_cases[] = {
  {"up 2x", 0.5, 0.0, 0},
  {"up 1.5x", 1.0 / 1.5, 0.0, 0},
  {"up 3.7x", 1.0 / 3.7, 0.0, 0},
  {"down 2x", 2.0, 0.0, 0},
  {"down 2.25x", 2.25, 0.0, 0},
  {"down 16x", 16.0, 0.0, 0},
  {"1x offset 0.25", 1.0, 0.25, 0},
  {"identity", 1.0, 0.0, 1},
};

static const int widths[] = { 1, 2, 7, 15, 16, 17, 31, 33, 63, 65, 7681 };

static void
check_hscale_case (Check * c, const EstResampleDSP * ref,
    const EstResampleDSP * opt, const EstResampleFilter * f, Pattern p,
    const char *what)
{
  int16_t *want = xmalloc (sizeof (int16_t) * (f->dst_len + CANARY));
  int16_t *got = xmalloc (sizeof (int16_t) * (f->dst_len + CANARY));

  for (int at_end = 0; at_end <= 1; at_end++) {
    int16_t *src = guarded_place (&src_guard, sizeof (int16_t) * f->src_len,
        at_end);
    for (int k = 0; k < f->src_len; k++)
      src[k] = pattern_sample (p, k);
    for (int i = 0; i < f->dst_len + CANARY; i++)
      want[i] = got[i] = (int16_t) (0x5a5a + i);
    ref->hscale (want, src, f);
    opt->hscale (got, src, f);
    c->cases++;
    compare_rows (c, want, got, f->dst_len, what);
  }
  free (want);
  free (got);
}

static const char *
layout_name (const EstResampleFilter * f)
{
  return f->perm16_base ? (f->lane4_base ? "lane4+perm16" : "perm16") :
      f->lane4_base ? "lane4" : "dot";
}

static void
check_hscale (const EstResampleDSP * ref, const EstResampleDSP * opt,
    const char *isa)
{
  for (size_t si = 0; si < N_ELEMENTS (scale_cases); si++) {
    const ScaleCase *sc = &scale_cases[si];
    Check c;
    char what[160];
    int layouts[4] = { 0 };

    snprintf (what, sizeof (what), "hscale_%s %s, all methods, patterns and "
        "widths", isa, sc->name);
    begin_check (&c, what);
    for (size_t wi = 0; wi < N_ELEMENTS (widths); wi++) {
      int dst_len = widths[wi];
      int src_len = sc->exact_identity ? dst_len :
          (int) lround (dst_len * sc->factor);
      double scale, offset;
      if (src_len < 1)
        src_len = 1;
      if (src_len > 65536)
        continue;
      scale = sc->exact_identity ? 1.0 : (double) (src_len) / dst_len;
      offset = sc->exact_identity ? 0.0 : 0.5 * scale - 0.5 + sc->offset_shift;
      for (int m = 0; m < EST_RESAMPLE_N; m++) {
        static const int lanczos_lobes[] = { 2, 3, 4, 8 };
        int n_lobes = m == EST_RESAMPLE_LANCZOS ? 4 : 1;
        for (int li = 0; li < n_lobes; li++) {
          int lobes = m == EST_RESAMPLE_LANCZOS ? lanczos_lobes[li] : 3;
          EstResampleFilter *f = est_resample_filter_new (m, lobes, src_len,
              dst_len, scale, offset);
          if (!f) {
            c.cases++;
            REPORT (&c, "%s-%d %d->%d: creation failed", method_names[m],
                lobes, src_len, dst_len);
            continue;
          }
          layouts[f->perm16_base ? (f->lane4_base ? 0 : 1) :
              f->lane4_base ? 2 : 3]++;
          for (int p = 0; p < N_PATTERNS; p++) {
            int reps = p <= PAT_EXTREME && dst_len < 100 ? 8 : 1;
            snprintf (what, sizeof (what), "%s-%d %d->%d taps %d (%s) %s",
                method_names[m], lobes, src_len, dst_len, f->taps,
                layout_name (f), pattern_names[p]);
            for (int r = 0; r < reps; r++)
              check_hscale_case (&c, ref, opt, f, (Pattern) p, what);
          }
          est_resample_filter_free (f);
        }
      }
    }
    end_check (&c);
    printf ("     layouts: lane4+perm16 %d, perm16 only %d, lane4 only %d, "
        "dot %d\n", layouts[0], layouts[1], layouts[2], layouts[3]);
  }
}

/* Random coefficients summing to 16384, sum |coeff| <= 65535. */
static void
random_coeff (int16_t * coeff, int taps, int kind)
{
  for (;;) {
    int32_t sum = 0, abs_sum = 0;
    for (int k = 0; k < taps - 1; k++) {
      int32_t v = kind == 0 ? (int32_t) (rnd () % 4001) - 1000 :
          (int32_t) (rnd () % 65536) - 32768;
      if (kind == 1)
        v /= taps;
      coeff[k] = (int16_t) v;
      sum += v;
    }
    int32_t last = 16384 - sum;
    if (last < INT16_MIN || last > INT16_MAX)
      continue;
    coeff[taps - 1] = (int16_t) last;
    for (int k = 0; k < taps; k++)
      abs_sum += coeff[k] < 0 ? -coeff[k] : coeff[k];
    if (abs_sum <= 65535)
      return;
  }
}

static void
check_vscale (const EstResampleDSP * ref, const EstResampleDSP * opt,
    const char *isa)
{
  static const int vwidths[] = { 0, 1, 2, 7, 15, 16, 17, 31, 32, 33, 63, 64,
    65, 95, 7681
  };
  Check c;
  char what[128];

  snprintf (what, sizeof (what), "vscale_%s taps 1..20, 31..33, 64, 65, all "
      "patterns", isa);
  begin_check (&c, what);
  for (int taps = 1; taps <= 65; taps++) {
    if (taps > 20 && !(taps >= 31 && taps <= 33) && taps != 64 && taps != 65)
      continue;
    int16_t *coeff = xmalloc (sizeof (int16_t) * taps);
    const int16_t **rows = xmalloc (sizeof (int16_t *) * taps);
    for (size_t wi = 0; wi < N_ELEMENTS (vwidths); wi++) {
      int width = vwidths[wi];
      int16_t *want = xmalloc (sizeof (int16_t) * (width + CANARY));
      int16_t *got = xmalloc (sizeof (int16_t) * (width + CANARY));
      for (int p = 0; p < N_PATTERNS; p++)
        for (int kind = 0; kind < 3; kind++) {
          int at_end = kind & 1;
          if (kind == 2) {
            /* An extreme single tap: 16384 on one row, 0 elsewhere. */
            memset (coeff, 0, sizeof (int16_t) * taps);
            coeff[rnd () % taps] = 16384;
          } else {
            random_coeff (coeff, taps, kind);
          }
          for (int k = 0; k < taps; k++) {
            int16_t *r = guarded_place (&row_guards[k],
                sizeof (int16_t) * width, at_end);
            for (int x = 0; x < width; x++)
              r[x] = pattern_sample ((Pattern) p, x + k);
            rows[k] = r;
          }
          for (int i = 0; i < width + CANARY; i++)
            want[i] = got[i] = (int16_t) (0x5a5a + i);
          ref->vscale (want, rows, coeff, taps, width);
          opt->vscale (got, rows, coeff, taps, width);
          snprintf (what, sizeof (what), "taps %d width %d %s coeff kind %d",
              taps, width, pattern_names[p], kind);
          c.cases++;
          compare_rows (&c, want, got, width, what);
        }
      free (want);
      free (got);
    }
    free (coeff);
    free (rows);
  }
  end_check (&c);
}

/* ---------------------------------------------------------------------- */

/* ISA levels in the order their inits cascade; each includes the ones
 * before it. */
static const struct
{
  const char *name;
  unsigned flags;
} isa_levels[] = {
  {"avx2", EST_CPU_FLAG_SSE2 | EST_CPU_FLAG_AVX2},
  {"avx512", EST_CPU_FLAG_SSE2 | EST_CPU_FLAG_AVX2 | EST_CPU_FLAG_AVX512},
};

int
main (int argc, char **argv)
{
  EstResampleDSP ref, prev;
  unsigned flags = est_cpu_flags ();
  int tested = 0;

  setvbuf (stdout, NULL, _IOLBF, 0);
  seed = argc > 1 ? strtoull (argv[1], NULL, 0) : default_seed;
  rng_state = seed;

  est_resample_dsp_init (&ref, 0);
  printf ("CPU flags 0x%x, seed 0x%016" PRIx64 "\n", flags, seed);

  check_kernels ();
  check_filters (&ref);
  check_bad_arguments ();
  check_ramp (&ref);
  check_lanczos_float (&ref);

  guarded_alloc (&src_guard, sizeof (int16_t) * MAX_SRC_LEN);
  for (int k = 0; k < MAX_VTAPS; k++)
    guarded_alloc (&row_guards[k], sizeof (int16_t) * 8192);

  prev = ref;
  for (size_t i = 0; i < N_ELEMENTS (isa_levels); i++) {
    EstResampleDSP dsp;

    if ((flags & isa_levels[i].flags) != isa_levels[i].flags) {
      printf ("skip %s: not on this CPU (or masked by EST_CPU_MASK)\n",
          isa_levels[i].name);
      continue;
    }
    est_resample_dsp_init (&dsp, isa_levels[i].flags);
    if (dsp.hscale != prev.hscale) {
      check_hscale (&ref, &dsp, isa_levels[i].name);
      tested++;
    }
    if (dsp.vscale != prev.vscale) {
      check_vscale (&ref, &dsp, isa_levels[i].name);
      tested++;
    }
    prev = dsp;
  }
  guarded_free (&src_guard);
  for (int k = 0; k < MAX_VTAPS; k++)
    guarded_free (&row_guards[k]);

  if (failures) {
    printf ("FAIL: %d checks failed (seed 0x%016" PRIx64 ")\n", failures, seed);
    return 1;
  }
  if (!tested)
    printf ("PASS: C reference properties only, no SIMD kernel here\n");
  else
    printf ("PASS: C reference properties, %d SIMD kernels\n", tested);
  return 0;
}
