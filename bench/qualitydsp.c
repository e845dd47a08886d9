/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Times each EstQualityDSP kernel that the CPU init overrides against its C
 * reference, in the same run, on random 1920x1080 planes of 8 and 10 bits.
 * Prints a Markdown table; writes it to argv[1] too when given.
 *
 * One pass covers a whole plane: one call for sse, one call per 4-row strip
 * for the SSIM kernels. Each time is the best of 5 runs of enough passes for
 * the SIMD version to last 20 ms, C and SIMD runs interleaved so that clock
 * or thermal drift hits both alike. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "qualitydsp.h"

#define WIDTH 1920
#define HEIGHT 1080
#define BLOCKS (WIDTH / 4)
#define STRIPS (HEIGHT / 4)
#define RUNS 5
#define MIN_RUN_NS 20e6

typedef enum
{
  KERNEL_SSE8,
  KERNEL_SSE16,
  KERNEL_SSIM_LINE8,
  KERNEL_SSIM_LINE16,
  KERNEL_SSIM_END8,
  KERNEL_SSIM_END16,
  N_KERNELS
} Kernel;

static const char *const kernel_names[N_KERNELS] = {
  "sse8", "sse16", "ssim_4x4_line8", "ssim_4x4_line16", "ssim_end_line8",
  "ssim_end_line16",
};

/* The inputs of every kernel: two planes per depth, and the block sums of
 * every strip for the end-of-line kernels. */
typedef struct
{
  uint8_t *a8, *b8;
  uint16_t *a16, *b16;
    int32_t (*sums8)[BLOCKS][4];
    int64_t (*sums16)[BLOCKS][4];
    int32_t (*line8)[4];
    int64_t (*line16)[4];
} Input;

static uint64_t rng_state = UINT64_C (0x2026e57ba4c0ffee);

/* Results go here so that the compiler cannot drop the calls. */
static volatile uint64_t sink_u64;
static volatile double sink_f64;

static uint64_t
rnd (void)
{
  uint64_t z = (rng_state += UINT64_C (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static void *
xmalloc (size_t size)
{
  void *p = malloc (size);
  if (!p) {
    fprintf (stderr, "out of memory\n");
    exit (1);
  }
  return p;
}

static double
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* b is a with small noise, like the pictures the metrics compare. */
static void
fill_planes (void *a, void *b, int bps, unsigned max)
{
  for (size_t i = 0; i < (size_t) WIDTH * HEIGHT; i++) {
    uint64_t r = rnd ();
    int va = (int) ((r & 0xffffffff) % (max + 1));
    int vb = va + (int) ((r >> 32) % 9) - 4;
    vb = vb < 0 ? 0 : vb > (int) max ? (int) max : vb;
    if (bps == 1) {
      ((uint8_t *) a)[i] = (uint8_t) va;
      ((uint8_t *) b)[i] = (uint8_t) vb;
    } else {
      ((uint16_t *) a)[i] = (uint16_t) va;
      ((uint16_t *) b)[i] = (uint16_t) vb;
    }
  }
}

static void
make_input (Input * in)
{
  EstQualityDSP ref;

  est_quality_dsp_init (&ref, 0);
  in->a8 = xmalloc ((size_t) WIDTH * HEIGHT);
  in->b8 = xmalloc ((size_t) WIDTH * HEIGHT);
  in->a16 = xmalloc ((size_t) WIDTH * HEIGHT * 2);
  in->b16 = xmalloc ((size_t) WIDTH * HEIGHT * 2);
  fill_planes (in->a8, in->b8, 1, 255);
  fill_planes (in->a16, in->b16, 2, 1023);

  in->sums8 = xmalloc (sizeof (*in->sums8) * STRIPS);
  in->sums16 = xmalloc (sizeof (*in->sums16) * STRIPS);
  for (int s = 0; s < STRIPS; s++) {
    size_t off = (size_t) s * 4 * WIDTH;
    ref.ssim_4x4_line8 (in->a8 + off, WIDTH, in->b8 + off, WIDTH,
        in->sums8[s], BLOCKS);
    ref.ssim_4x4_line16 (in->a16 + off, WIDTH * 2, in->b16 + off, WIDTH * 2,
        in->sums16[s], BLOCKS);
  }
  in->line8 = xmalloc (sizeof (*in->line8) * BLOCKS);
  in->line16 = xmalloc (sizeof (*in->line16) * BLOCKS);
}

static void
free_input (Input * in)
{
  free (in->a8);
  free (in->b8);
  free (in->a16);
  free (in->b16);
  free (in->sums8);
  free (in->sums16);
  free (in->line8);
  free (in->line16);
}

static int
calls_per_pass (Kernel k)
{
  switch (k) {
    case KERNEL_SSE8:
    case KERNEL_SSE16:
      return 1;
    case KERNEL_SSIM_LINE8:
    case KERNEL_SSIM_LINE16:
      return STRIPS;
    default:
      return STRIPS - 1;
  }
}

/* One pass of kernel k over the whole plane. */
static void
run_pass (const EstQualityDSP * dsp, Kernel k, Input * in)
{
  const ptrdiff_t s8 = WIDTH, s16 = WIDTH * 2;
  double acc = 0.0;

  switch (k) {
    case KERNEL_SSE8:
      sink_u64 = dsp->sse8 (in->a8, s8, in->b8, s8, WIDTH, HEIGHT);
      break;
    case KERNEL_SSE16:
      sink_u64 = dsp->sse16 (in->a16, s16, in->b16, s16, WIDTH, HEIGHT);
      break;
    case KERNEL_SSIM_LINE8:
      for (int s = 0; s < STRIPS; s++) {
        size_t off = (size_t) s * 4 * WIDTH;
        dsp->ssim_4x4_line8 (in->a8 + off, s8, in->b8 + off, s8, in->line8,
            BLOCKS);
      }
      sink_u64 = (uint64_t) in->line8[BLOCKS - 1][3];
      break;
    case KERNEL_SSIM_LINE16:
      for (int s = 0; s < STRIPS; s++) {
        size_t off = (size_t) s * 4 * WIDTH;
        dsp->ssim_4x4_line16 (in->a16 + off, s16, in->b16 + off, s16,
            in->line16, BLOCKS);
      }
      sink_u64 = (uint64_t) in->line16[BLOCKS - 1][3];
      break;
    case KERNEL_SSIM_END8:
      for (int s = 0; s + 1 < STRIPS; s++)
        acc += dsp->ssim_end_line8 ((const int32_t (*)[4]) in->sums8[s],
            (const int32_t (*)[4]) in->sums8[s + 1], BLOCKS - 1);
      sink_f64 = acc;
      break;
    case KERNEL_SSIM_END16:
    default:
      for (int s = 0; s + 1 < STRIPS; s++)
        acc += dsp->ssim_end_line16 ((const int64_t (*)[4]) in->sums16[s],
            (const int64_t (*)[4]) in->sums16[s + 1], BLOCKS - 1, 1023);
      sink_f64 = acc;
      break;
  }
}

static double
time_passes (const EstQualityDSP * dsp, Kernel k, Input * in, long passes)
{
  double start = now_ns ();
  for (long i = 0; i < passes; i++)
    run_pass (dsp, k, in);
  return now_ns () - start;
}

/* Best ns per call of ref and opt on kernel k. */
static void
bench_kernel (const EstQualityDSP * ref, const EstQualityDSP * opt,
    Kernel k, Input * in, double *ref_ns, double *opt_ns)
{
  long passes = 1;
  double best_ref = 1e300, best_opt = 1e300;

  /* Warms caches and branch predictors, and sizes a run on the faster
   * version so that both last long enough for the clock. */
  run_pass (ref, k, in);
  while (time_passes (opt, k, in, passes) < MIN_RUN_NS / 4)
    passes *= 2;
  passes *= 4;

  for (int r = 0; r < RUNS; r++) {
    double t = time_passes (ref, k, in, passes);
    best_ref = t < best_ref ? t : best_ref;
    t = time_passes (opt, k, in, passes);
    best_opt = t < best_opt ? t : best_opt;
  }
  *ref_ns = best_ref / ((double) passes * calls_per_pass (k));
  *opt_ns = best_opt / ((double) passes * calls_per_pass (k));
}

static int
is_overridden (const EstQualityDSP * ref, const EstQualityDSP * opt, Kernel k)
{
  switch (k) {
    case KERNEL_SSE8:
      return opt->sse8 != ref->sse8;
    case KERNEL_SSE16:
      return opt->sse16 != ref->sse16;
    case KERNEL_SSIM_LINE8:
      return opt->ssim_4x4_line8 != ref->ssim_4x4_line8;
    case KERNEL_SSIM_LINE16:
      return opt->ssim_4x4_line16 != ref->ssim_4x4_line16;
    case KERNEL_SSIM_END8:
      return opt->ssim_end_line8 != ref->ssim_end_line8;
    case KERNEL_SSIM_END16:
    default:
      return opt->ssim_end_line16 != ref->ssim_end_line16;
  }
}

static const char *
describe_call (Kernel k)
{
  switch (k) {
    case KERNEL_SSE8:
    case KERNEL_SSE16:
      return "1920x1080 plane";
    case KERNEL_SSIM_LINE8:
    case KERNEL_SSIM_LINE16:
      return "480 blocks (1920x4)";
    default:
      return "479 windows";
  }
}

int
main (int argc, char **argv)
{
  EstQualityDSP ref, opt;
  unsigned flags = est_cpu_flags ();
  Input in;
  char table[4096];
  size_t len = 0;
  int rows = 0;

  est_quality_dsp_init (&ref, 0);
  est_quality_dsp_init (&opt, flags);
  make_input (&in);

  len += (size_t) snprintf (table + len, sizeof (table) - len,
      "| kernel | depth | one call | C ns/call | SIMD ns/call | speed-up |\n"
      "|---|---:|---|---:|---:|---:|\n");
  for (int k = 0; k < N_KERNELS; k++) {
    double ref_ns, opt_ns;
    int bits = (k == KERNEL_SSE8 || k == KERNEL_SSIM_LINE8 ||
        k == KERNEL_SSIM_END8) ? 8 : 10;

    if (!is_overridden (&ref, &opt, (Kernel) k))
      continue;
    bench_kernel (&ref, &opt, (Kernel) k, &in, &ref_ns, &opt_ns);
    len += (size_t) snprintf (table + len, sizeof (table) - len,
        "| %s | %d | %s | %.1f | %.1f | %.2fx |\n", kernel_names[k], bits,
        describe_call ((Kernel) k), ref_ns, opt_ns, ref_ns / opt_ns);
    rows++;
  }
  free_input (&in);

  printf ("EstQualityDSP, CPU flags 0x%x: best of %d runs of >= %.0f ms\n\n",
      flags, RUNS, MIN_RUN_NS / 1e6);
  if (!rows) {
    printf ("no kernel is overridden on this CPU: nothing to compare\n");
    return 0;
  }
  fputs (table, stdout);

  if (argc > 1) {
    FILE *f = fopen (argv[1], "w");
    int ok = f != NULL;
    if (f) {
      ok = fputs (table, f) >= 0;
      ok = fclose (f) == 0 && ok;
    }
    if (!ok) {
      perror (argv[1]);
      return 1;
    }
  }
  return 0;
}
