/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Every EstQualityDSP kernel that the CPU init overrides, compared bit for
 * bit with its C reference, in the manner of dav1d's checkasm: random and
 * extreme samples, odd widths, padded and negative strides.
 *
 * Each row set is malloc'ed to exactly the bytes the contract lets a kernel
 * read, so that AddressSanitizer reports an over-read past the last row in
 * memory; over-reads into the padding between rows are caught by refilling
 * the padding with new garbage and checking that the result stays the same.
 *
 * Usage: test-common-qualitydsp [SEED]. Exit 0 pass, 1 fail, 77 skip (no
 * kernel overridden on this CPU, or EST_CPU_MASK=0). */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "qualitydsp.h"

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

typedef enum
{
  PAT_RANDOM,
  PAT_NEAR,
  PAT_ZERO,
  PAT_MAX,
  PAT_MAX_1,
  PAT_ALTERNATING,
  PAT_MAX_VS_ZERO,
  PAT_ZERO_VS_MAX,
  N_PATTERNS
} Pattern;

static const char *const pattern_names[N_PATTERNS] = {
  "random", "random-near", "all-0", "all-max", "all-max-1", "alternating",
  "a-max-b-0", "a-0-b-max",
};

/* Writes the samples (a, b) of pattern p at (x, y) for peak value max. */
static void
make_pair (Pattern p, unsigned max, int x, int y, unsigned *a, unsigned *b)
{
  switch (p) {
    case PAT_RANDOM:{
      uint64_t r = rnd ();
      *a = (unsigned) ((r & 0xffffffff) % (max + 1));
      *b = (unsigned) ((r >> 32) % (max + 1));
      break;
    }
    case PAT_NEAR:{
      /* Similar pictures, as the metrics usually see them: small signed
       * differences, clamped at both ends of the range. */
      uint64_t r = rnd ();
      int va = (int) ((r & 0xffffffff) % (max + 1));
      int vb = va + (int) ((r >> 32) % 9) - 4;
      *a = (unsigned) va;
      *b = vb < 0 ? 0 : vb > (int) max ? max : (unsigned) vb;
      break;
    }
    case PAT_ZERO:
      *a = *b = 0;
      break;
    case PAT_MAX:
      *a = *b = max;
      break;
    case PAT_MAX_1:
      *a = *b = max - 1;
      break;
    case PAT_ALTERNATING:
      *a = ((x + y) & 1) ? max : 0;
      *b = max - *a;
      break;
    case PAT_MAX_VS_ZERO:
      *a = max;
      *b = 0;
      break;
    case PAT_ZERO_VS_MAX:
    default:
      *a = 0;
      *b = max;
      break;
  }
}

typedef enum
{
  STRIDE_TIGHT,
  STRIDE_PADDED,
  STRIDE_NEGATIVE,
  N_STRIDE_MODES
} StrideMode;

/* Padding between rows, in samples, for a and b: different for a and b so
 * that swapped strides show. The padded ones are wider than one 32-byte
 * load, so that reading past a row's end reads only garbage; with the
 * negative ones such a read also reaches the next row in memory. */
static const int stride_pads[N_STRIDE_MODES][2] = {
  {0, 0}, {35, 41}, {19, 3},
};

/* h rows of w samples of bps bytes each. buf holds exactly the bytes from
 * the first row in memory to the end of the last: nothing to spare. */
typedef struct
{
  uint8_t *buf;
  size_t size;
  uint8_t *row0;
  ptrdiff_t stride;
  size_t row_bytes;
  int w, h, bps;
} Plane;

static void
plane_alloc (Plane * p, int w, int h, int bps, int pad, int negative)
{
  size_t abs_stride = (size_t) (w + pad) * bps;

  p->w = w;
  p->h = h;
  p->bps = bps;
  p->row_bytes = w * (size_t) bps;
  p->size = h > 0 ? (size_t) (h - 1) * abs_stride + p->row_bytes : 0;
  /* malloc (0) may return NULL; a zero-sized plane must not be read */
  p->buf = malloc (p->size ? p->size : 1);
  if (!p->buf) {
    fprintf (stderr, "out of memory\n");
    exit (1);
  }
  for (size_t i = 0; i < p->size; i++)
    p->buf[i] = (uint8_t) rnd ();
  p->stride = negative ? -(ptrdiff_t) abs_stride : (ptrdiff_t) abs_stride;
  p->row0 = negative && h > 0 ? p->buf + (size_t) (h - 1) * abs_stride : p->buf;
}

static void
plane_set (Plane * p, int x, int y, unsigned v)
{
  uint8_t *row = p->row0 + (ptrdiff_t) y * p->stride;

  if (p->bps == 1) {
    row[x] = (uint8_t) v;
  } else {
    uint16_t s = (uint16_t) v;
    memcpy (row + 2 * (size_t) x, &s, sizeof (s));
  }
}

/* Changes every byte between rows, so that a kernel that reads any of them
 * gives another result. */
static void
plane_repad (Plane * p)
{
  size_t abs_stride = (size_t) (p->stride < 0 ? -p->stride : p->stride);

  for (int k = 0; k + 1 < p->h; k++)
    for (size_t i = k * abs_stride + p->row_bytes; i < (k + 1) * abs_stride;
        i++)
      p->buf[i] ^= (uint8_t) (1 + rnd () % 255);
}

static void
fill_pair (Plane * a, Plane * b, Pattern pat, unsigned max)
{
  for (int y = 0; y < a->h; y++)
    for (int x = 0; x < a->w; x++) {
      unsigned va, vb;
      make_pair (pat, max, x, y, &va, &vb);
      plane_set (a, x, y, va);
      plane_set (b, x, y, vb);
    }
}

static void
alloc_pair (Plane * a, Plane * b, int w, int h, int bps, StrideMode mode)
{
  int negative = mode == STRIDE_NEGATIVE;

  plane_alloc (a, w, h, bps, stride_pads[mode][0], negative);
  plane_alloc (b, w, h, bps, stride_pads[mode][1], negative);
}

static void
free_pair (Plane * a, Plane * b)
{
  free (a->buf);
  free (b->buf);
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

/* One line of output: a kernel at one depth on one pattern, over all sizes
 * and strides. */
typedef struct
{
  const char *func;
  int bits;
  Pattern pat;
  int cases;
  int failed;
} Check;

static void
report_case (Check * c, const char *size, const char *what)
{
  if (c->failed++ < MAX_REPORTS)
    printf ("  %s %d-bit %s, %s: %s (seed 0x%016" PRIx64 ")\n", c->func,
        c->bits, pattern_names[c->pat], size, what, seed);
}

static void
end_check (const Check * c)
{
  printf ("%s %s %d-bit %s: %d cases", c->failed ? "FAIL" : "ok  ", c->func,
      c->bits, pattern_names[c->pat], c->cases);
  if (c->failed)
    printf (", %d failed", c->failed);
  printf ("\n");
  if (c->failed)
    failures++;
}

static const int sse_widths[] = { 0, 1, 2, 7, 15, 16, 17, 7681 };
static const int sse_heights[] = { 0, 1, 2, 4, 64 };

/* Rows long enough for a kernel to overflow a narrow accumulator that it
 * does not flush (sse8_avx2 flushes every 65536 samples; 32-bit lanes
 * would wrap after about 528000), checked on few rows to stay fast. */
static const int sse_long_widths[] = { 131101, 600001 };
static const int sse_long_heights[] = { 1, 2 };

/* Blocks of 4 samples: widths 4n. */
static const int ssim_blocks[] = { 0, 1, 2, 7, 15, 16, 17, 1920 };

static uint64_t
call_sse (const EstQualityDSP * dsp, const Plane * a, const Plane * b)
{
  if (a->bps == 1)
    return dsp->sse8 (a->row0, a->stride, b->row0, b->stride, a->w, a->h);
  return dsp->sse16 ((const uint16_t *) (const void *) a->row0, a->stride,
      (const uint16_t *) (const void *) b->row0, b->stride, a->w, a->h);
}

static void
check_sse_case (Check * c, const EstQualityDSP * ref,
    const EstQualityDSP * opt, int w, int h, StrideMode mode)
{
  const int bps = c->bits > 8 ? 2 : 1;
  Plane a, b;
  char size[96], what[96];

  alloc_pair (&a, &b, w, h, bps, mode);
  fill_pair (&a, &b, c->pat, (1u << c->bits) - 1);
  snprintf (size, sizeof (size), "w=%d h=%d strides %td/%td", w, h, a.stride,
      b.stride);

  uint64_t want = call_sse (ref, &a, &b);
  uint64_t got = call_sse (opt, &a, &b);
  if (got != want) {
    snprintf (what, sizeof (what), "C %" PRIu64 ", SIMD %" PRIu64, want, got);
    report_case (c, size, what);
  } else {
    plane_repad (&a);
    plane_repad (&b);
    got = call_sse (opt, &a, &b);
    if (got != want) {
      snprintf (what, sizeof (what), "padding changed the result to %" PRIu64,
          got);
      report_case (c, size, what);
    }
  }
  c->cases++;
  free_pair (&a, &b);
}

static void
check_sse (const EstQualityDSP * ref, const EstQualityDSP * opt, int bits,
    Pattern pat)
{
  Check c = { bits > 8 ? "sse16" : "sse8", bits, pat };

  for (size_t wi = 0; wi < N_ELEMENTS (sse_widths); wi++)
    for (size_t hi = 0; hi < N_ELEMENTS (sse_heights); hi++)
      for (int mode = 0; mode < N_STRIDE_MODES; mode++)
        check_sse_case (&c, ref, opt, sse_widths[wi], sse_heights[hi], mode);
  for (size_t wi = 0; wi < N_ELEMENTS (sse_long_widths); wi++)
    for (size_t hi = 0; hi < N_ELEMENTS (sse_long_heights); hi++)
      check_sse_case (&c, ref, opt, sse_long_widths[wi],
          sse_long_heights[hi], STRIDE_TIGHT);
  end_check (&c);
}

/* Sums of either width, as bytes: the test only compares them. */
static void
call_ssim_line (const EstQualityDSP * dsp, const Plane * a, const Plane * b,
    void *sums, int n)
{
  if (a->bps == 1)
    dsp->ssim_4x4_line8 (a->row0, a->stride, b->row0, b->stride,
        (int32_t (*)[4]) sums, n);
  else
    dsp->ssim_4x4_line16 ((const uint16_t *) (const void *) a->row0,
        a->stride, (const uint16_t *) (const void *) b->row0, b->stride,
        (int64_t (*)[4]) sums, n);
}

static size_t
sums_size (int bps, int n)
{
  size_t block = bps == 1 ? sizeof (int32_t[4]) : sizeof (int64_t[4]);

  return block * n;
}

/* Index of the first block whose sums differ, or -1. */
static int
first_diff (const void *x, const void *y, int bps, int n)
{
  size_t block = sums_size (bps, 1);

  for (int i = 0; i < n; i++)
    if (memcmp ((const uint8_t *) x + i * block,
            (const uint8_t *) y + i * block, block))
      return i;
  return -1;
}

static void
describe_block (char *out, size_t out_size, const void *want,
    const void *got, int bps, int i)
{
  int64_t w[4], g[4];

  for (int k = 0; k < 4; k++) {
    if (bps == 1) {
      w[k] = ((const int32_t (*)[4]) want)[i][k];
      g[k] = ((const int32_t (*)[4]) got)[i][k];
    } else {
      w[k] = ((const int64_t (*)[4]) want)[i][k];
      g[k] = ((const int64_t (*)[4]) got)[i][k];
    }
  }
  snprintf (out, out_size, "block %d: C {%" PRId64 " %" PRId64 " %" PRId64
      " %" PRId64 "}, SIMD {%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64
      "}", i, w[0], w[1], w[2], w[3], g[0], g[1], g[2], g[3]);
}

static void
check_ssim_line (const EstQualityDSP * ref, const EstQualityDSP * opt,
    int bits, Pattern pat)
{
  const int bps = bits > 8 ? 2 : 1;
  const unsigned max = (1u << bits) - 1;
  Check c = { bps == 1 ? "ssim_4x4_line8" : "ssim_4x4_line16", bits, pat };

  for (size_t ni = 0; ni < N_ELEMENTS (ssim_blocks); ni++)
    for (int mode = 0; mode < N_STRIDE_MODES; mode++) {
      const int n = ssim_blocks[ni];
      const size_t ssize = sums_size (bps, n);
      Plane a, b;
      char size[96], what[256];

      alloc_pair (&a, &b, 4 * n, 4, bps, mode);
      fill_pair (&a, &b, pat, max);
      snprintf (size, sizeof (size), "n=%d strides %td/%td", n, a.stride,
          b.stride);

      /* Exactly n entries, starting with different garbage, so that a
       * skipped or extra store shows. */
      uint8_t *want = xmalloc (ssize);
      uint8_t *got = xmalloc (ssize);
      memset (want, 0xa5, ssize);
      for (size_t i = 0; i < ssize; i++)
        got[i] = (uint8_t) rnd ();

      call_ssim_line (ref, &a, &b, want, n);
      call_ssim_line (opt, &a, &b, got, n);
      int i = first_diff (want, got, bps, n);
      if (i >= 0) {
        describe_block (what, sizeof (what), want, got, bps, i);
        report_case (&c, size, what);
      } else {
        plane_repad (&a);
        plane_repad (&b);
        call_ssim_line (opt, &a, &b, got, n);
        i = first_diff (want, got, bps, n);
        if (i >= 0) {
          char block[224];
          describe_block (block, sizeof (block), want, got, bps, i);
          snprintf (what, sizeof (what), "padding changed %s", block);
          report_case (&c, size, what);
        }
      }
      c.cases++;
      free (want);
      free (got);
      free_pair (&a, &b);
    }
  end_check (&c);
}

/* Windows per line; the sums arrays hold one block more. */
static const int ssim_windows[] = { 0, 1, 2, 7, 15, 16, 17, 1919 };

static double
call_ssim_end (const EstQualityDSP * dsp, const void *top,
    const void *bottom, int bps, int n, int max)
{
  if (bps == 1)
    return dsp->ssim_end_line8 ((const int32_t (*)[4]) top,
        (const int32_t (*)[4]) bottom, n);
  return dsp->ssim_end_line16 ((const int64_t (*)[4]) top,
      (const int64_t (*)[4]) bottom, n, max);
}

/* Fills sums with the C reference's block sums of a fresh 4-row strip. */
static void
make_strip_sums (const EstQualityDSP * ref, void *sums, int bps, int blocks,
    Pattern pat, unsigned max)
{
  Plane a, b;

  alloc_pair (&a, &b, 4 * blocks, 4, bps, STRIDE_TIGHT);
  fill_pair (&a, &b, pat, max);
  call_ssim_line (ref, &a, &b, sums, blocks);
  free_pair (&a, &b);
}

static void
check_ssim_end (const EstQualityDSP * ref, const EstQualityDSP * opt,
    int bits, Pattern pat)
{
  const int bps = bits > 8 ? 2 : 1;
  const int max = (1 << bits) - 1;
  Check c = { bps == 1 ? "ssim_end_line8" : "ssim_end_line16", bits, pat };

  for (size_t ni = 0; ni < N_ELEMENTS (ssim_windows); ni++) {
    const int n = ssim_windows[ni];
    void *top = xmalloc (sums_size (bps, n + 1));
    void *bottom = xmalloc (sums_size (bps, n + 1));
    char size[32], what[96];

    make_strip_sums (ref, top, bps, n + 1, pat, (unsigned) max);
    make_strip_sums (ref, bottom, bps, n + 1, pat, (unsigned) max);
    snprintf (size, sizeof (size), "n=%d", n);

    double want = call_ssim_end (ref, top, bottom, bps, n, max);
    double got = call_ssim_end (opt, top, bottom, bps, n, max);
    if (memcmp (&want, &got, sizeof (want))) {
      snprintf (what, sizeof (what), "C %.17g, SIMD %.17g", want, got);
      report_case (&c, size, what);
    }
    c.cases++;
    free (top);
    free (bottom);
  }
  end_check (&c);
}

typedef void (*CheckFunc) (const EstQualityDSP * ref,
    const EstQualityDSP * opt, int bits, Pattern pat);

/* Runs check at each depth, on every pattern, when opt overrides the
 * kernel; returns whether it does. */
static int
check_kernel (const char *name, int overridden, CheckFunc check,
    const EstQualityDSP * ref, const EstQualityDSP * opt, const int *depths,
    size_t n_depths)
{
  if (!overridden) {
    printf ("skip %s: no override on this CPU\n", name);
    return 0;
  }
  for (size_t d = 0; d < n_depths; d++)
    for (int p = 0; p < N_PATTERNS; p++)
      check (ref, opt, depths[d], (Pattern) p);
  return 1;
}

int
main (int argc, char **argv)
{
  static const int depth8[] = { 8 };
  /* sse16 is exact up to 16 bits; ssim_4x4_line16 is specified up to 12. */
  static const int sse16_depths[] = { 10, 12, 16 };
  static const int ssim16_depths[] = { 10, 12 };
  EstQualityDSP ref, opt;
  unsigned flags = est_cpu_flags ();
  int tested = 0;

  /* Line by line, so that the checks before a sanitizer abort stay in the
   * log. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  seed = argc > 1 ? strtoull (argv[1], NULL, 0) : default_seed;
  rng_state = seed;

  est_quality_dsp_init (&ref, 0);
  est_quality_dsp_init (&opt, flags);
  printf ("CPU flags 0x%x, seed 0x%016" PRIx64 "\n", flags, seed);

  tested += check_kernel ("sse8", opt.sse8 != ref.sse8, check_sse, &ref,
      &opt, depth8, N_ELEMENTS (depth8));
  tested += check_kernel ("sse16", opt.sse16 != ref.sse16, check_sse, &ref,
      &opt, sse16_depths, N_ELEMENTS (sse16_depths));
  tested += check_kernel ("ssim_4x4_line8",
      opt.ssim_4x4_line8 != ref.ssim_4x4_line8, check_ssim_line, &ref, &opt,
      depth8, N_ELEMENTS (depth8));
  tested += check_kernel ("ssim_4x4_line16",
      opt.ssim_4x4_line16 != ref.ssim_4x4_line16, check_ssim_line, &ref,
      &opt, ssim16_depths, N_ELEMENTS (ssim16_depths));
  tested += check_kernel ("ssim_end_line8",
      opt.ssim_end_line8 != ref.ssim_end_line8, check_ssim_end, &ref, &opt,
      depth8, N_ELEMENTS (depth8));
  tested += check_kernel ("ssim_end_line16",
      opt.ssim_end_line16 != ref.ssim_end_line16, check_ssim_end, &ref,
      &opt, ssim16_depths, N_ELEMENTS (ssim16_depths));

  if (!tested) {
    printf ("SKIP: no kernel is overridden on this CPU\n");
    return 77;
  }
  if (failures) {
    printf ("FAIL: %d checks failed (seed 0x%016" PRIx64 ")\n", failures, seed);
    return 1;
  }
  printf ("PASS: %d kernels\n", tested);
  return 0;
}
