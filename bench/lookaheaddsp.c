/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Times each EstLookaheadDSP kernel that the CPU init overrides against its
 * C reference, in the same run, on the lookahead's working size: random
 * 1920x1080 planes of 8 and 10 bits downscaled to 960x540, and the block
 * kernels over every 8x8 block of that 960x540 plane (SAD and SATD against
 * a second plane, the first with small noise, as a previous frame).
 * Prints a Markdown table; writes it to argv[1] too when given.
 *
 * One pass covers a whole plane: one call for a downscale, one call per
 * block for the block kernels. Each time is the best of 5 runs of enough
 * passes for the SIMD version to last 20 ms, C and SIMD runs interleaved so
 * that clock or thermal drift hits both alike. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "lookaheaddsp.h"

#define SRC_WIDTH 1920
#define SRC_HEIGHT 1080
#define WIDTH (SRC_WIDTH / 2)
#define HEIGHT (SRC_HEIGHT / 2)
#define BLOCKS_X (WIDTH / 8)
#define BLOCKS_Y (HEIGHT / 8)
#define RUNS 5
#define MIN_RUN_NS 20e6

typedef enum
{
  KERNEL_DOWNSCALE8,
  KERNEL_DOWNSCALE16,
  KERNEL_SAD,
  KERNEL_SATD,
  KERNEL_VAR,
  N_KERNELS
} Kernel;

static const char *const kernel_names[N_KERNELS] = {
  "downscale2_8", "downscale2_16", "sad8x8", "satd8x8", "var8x8",
};

/* The sources of the downscales, their output, and the two 8-bit planes
 * the block kernels read. */
typedef struct
{
  uint8_t *src8;
  uint16_t *src16;
  uint8_t *dst;
  uint8_t *cur, *prev;
} Input;

static uint64_t rng_state = UINT64_C (0x2026e57ba4c0ffee);

/* Results go here so that the compiler cannot drop the calls. */
static volatile uint64_t sink_u64;

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

static void
make_input (Input * in)
{
  const size_t n_src = (size_t) SRC_WIDTH * SRC_HEIGHT;
  const size_t n = (size_t) WIDTH * HEIGHT;
  EstLookaheadDSP ref;

  est_lookahead_dsp_init (&ref, 0);
  in->src8 = xmalloc (n_src);
  in->src16 = xmalloc (n_src * 2);
  in->dst = xmalloc (n);
  in->cur = xmalloc (n);
  in->prev = xmalloc (n);
  for (size_t i = 0; i < n_src; i++) {
    uint64_t r = rnd ();
    in->src8[i] = (uint8_t) r;
    in->src16[i] = (uint16_t) ((r >> 8) & 1023);
  }
  ref.downscale2_8 (in->cur, WIDTH, in->src8, SRC_WIDTH, WIDTH, HEIGHT);
  for (size_t i = 0; i < n; i++) {
    int v = in->cur[i] + (int) (rnd () % 9) - 4;
    in->prev[i] = (uint8_t) (v < 0 ? 0 : v > 255 ? 255 : v);
  }
}

static void
free_input (Input * in)
{
  free (in->src8);
  free (in->src16);
  free (in->dst);
  free (in->cur);
  free (in->prev);
}

static int
calls_per_pass (Kernel k)
{
  return k == KERNEL_DOWNSCALE8 || k == KERNEL_DOWNSCALE16 ? 1 :
      BLOCKS_X * BLOCKS_Y;
}

/* One pass of kernel k over the whole plane. */
static void
run_pass (const EstLookaheadDSP * dsp, Kernel k, Input * in)
{
  uint64_t acc = 0;

  switch (k) {
    case KERNEL_DOWNSCALE8:
      dsp->downscale2_8 (in->dst, WIDTH, in->src8, SRC_WIDTH, WIDTH, HEIGHT);
      acc = in->dst[WIDTH * HEIGHT - 1];
      break;
    case KERNEL_DOWNSCALE16:
      dsp->downscale2_16 (in->dst, WIDTH, in->src16, SRC_WIDTH * 2, WIDTH,
          HEIGHT, 10);
      acc = in->dst[WIDTH * HEIGHT - 1];
      break;
    default:
      for (int by = 0; by < BLOCKS_Y; by++)
        for (int bx = 0; bx < BLOCKS_X; bx++) {
          size_t off = (size_t) by * 8 * WIDTH + (size_t) bx * 8;
          if (k == KERNEL_SAD)
            acc += (uint64_t) dsp->sad8x8 (in->cur + off, WIDTH,
                in->prev + off, WIDTH);
          else if (k == KERNEL_SATD)
            acc += (uint64_t) dsp->satd8x8 (in->cur + off, WIDTH,
                in->prev + off, WIDTH);
          else
            acc += dsp->var8x8 (in->cur + off, WIDTH);
        }
      break;
  }
  sink_u64 = acc;
}

static double
time_passes (const EstLookaheadDSP * dsp, Kernel k, Input * in, long passes)
{
  double start = now_ns ();
  for (long i = 0; i < passes; i++)
    run_pass (dsp, k, in);
  return now_ns () - start;
}

/* Best ns per call of ref and opt on kernel k. */
static void
bench_kernel (const EstLookaheadDSP * ref, const EstLookaheadDSP * opt,
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
is_overridden (const EstLookaheadDSP * ref, const EstLookaheadDSP * opt,
    Kernel k)
{
  switch (k) {
    case KERNEL_DOWNSCALE8:
      return opt->downscale2_8 != ref->downscale2_8;
    case KERNEL_DOWNSCALE16:
      return opt->downscale2_16 != ref->downscale2_16;
    case KERNEL_SAD:
      return opt->sad8x8 != ref->sad8x8;
    case KERNEL_SATD:
      return opt->satd8x8 != ref->satd8x8;
    case KERNEL_VAR:
    default:
      return opt->var8x8 != ref->var8x8;
  }
}

static const char *
describe_call (Kernel k)
{
  switch (k) {
    case KERNEL_DOWNSCALE8:
    case KERNEL_DOWNSCALE16:
      return "1920x1080 to 960x540";
    default:
      return "8x8 block (8040 per plane)";
  }
}

int
main (int argc, char **argv)
{
  EstLookaheadDSP ref, opt;
  unsigned flags = est_cpu_flags ();
  Input in;
  char table[4096];
  size_t len = 0;
  int rows = 0;

  est_lookahead_dsp_init (&ref, 0);
  est_lookahead_dsp_init (&opt, flags);
  make_input (&in);

  len += (size_t) snprintf (table + len, sizeof (table) - len,
      "| kernel | depth | one call | C ns/call | SIMD ns/call | speed-up |\n"
      "|---|---:|---|---:|---:|---:|\n");
  for (int k = 0; k < N_KERNELS; k++) {
    double ref_ns, opt_ns;
    int bits = k == KERNEL_DOWNSCALE16 ? 10 : 8;

    if (!is_overridden (&ref, &opt, (Kernel) k))
      continue;
    bench_kernel (&ref, &opt, (Kernel) k, &in, &ref_ns, &opt_ns);
    len += (size_t) snprintf (table + len, sizeof (table) - len,
        "| %s | %d | %s | %.1f | %.1f | %.2fx |\n", kernel_names[k], bits,
        describe_call ((Kernel) k), ref_ns, opt_ns, ref_ns / opt_ns);
    rows++;
  }
  free_input (&in);

  printf ("EstLookaheadDSP, CPU flags 0x%x: best of %d runs of >= %.0f ms\n\n",
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
