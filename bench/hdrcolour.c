/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Times the colour stage kernel (common/hdrcolourdsp.h) of every ISA level
 * the CPU has against the C reference, in the same run, single-threaded,
 * on esthdrscale's common conversions with its defaults (bt2390, max-rgb,
 * soft gamut mapping, SDR white 203 cd/m2, HDR target 1000 cd/m2): PQ 1000
 * to SDR (and with clip gamut mapping, and the other tone modes), HLG to
 * SDR, SDR to HLG and PQ, and a matrix-only change (BT.601 to BT.709).
 *
 * The stage converts in place, so every call first copies one 1920-pixel
 * row (the 1080p work grid's) of random legal codes, cycling through 16
 * rows, into the row it converts; the time of the copies alone is
 * subtracted. Times are ns per pixel, the best of 5 runs of enough calls
 * for the fastest level to last 20 ms, levels interleaved so that clock
 * drift hits all alike. Prints a Markdown table; writes it to argv[1] too
 * when given. */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "hdrcolour.h"
#include "hdrcolourdsp.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#define RUNS 5
#define MIN_RUN_NS 20e6
#define MAX_LEVELS 3
#define WIDTH 1920
#define ROWS 16

static uint64_t rng_state = UINT64_C (0x2026e57ba4c0ffee);

/* Results go here so that the compiler cannot drop the calls. */
static volatile int sink;

static uint64_t
rnd (void)
{
  uint64_t z = (rng_state += UINT64_C (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static double
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The ISA levels to compare: C first. */
typedef struct
{
  const char *name;
  EstHdrColourDSP dsp;
} Level;

static int
make_levels (Level * levels)
{
  static const struct
  {
    const char *name;
    unsigned flags;
  } all[] = {
    {"C", 0},
    {"AVX2", EST_CPU_FLAG_SSE2 | EST_CPU_FLAG_AVX2},
    {"AVX-512", EST_CPU_FLAG_SSE2 | EST_CPU_FLAG_AVX2 | EST_CPU_FLAG_AVX512},
  };
  unsigned flags = est_cpu_flags ();
  int n = 0;

  for (size_t i = 0; i < N_ELEMENTS (all); i++) {
    if ((flags & all[i].flags) != all[i].flags)
      continue;
    levels[n].name = all[i].name;
    est_hdr_colour_dsp_init (&levels[n].dsp, all[i].flags);
    n++;
  }
  return n;
}

/* ---------------------------------------------------------------------- */

typedef struct
{
  const char *name;
  EstColourSpace in, out;
  EstToneMode mode;
  EstGamutMode gamut;
  double dst_peak;
} Case;

#define PQ { EST_MATRIX_BT2020NCL, EST_TRANSFER_PQ, EST_PRIMARIES_BT2020, 0, 10 }
#define HLG { EST_MATRIX_BT2020NCL, EST_TRANSFER_HLG, EST_PRIMARIES_BT2020, 0, 10 }
#define SDR { EST_MATRIX_BT709, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 8 }
#define SDR601 { EST_MATRIX_BT601, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 8 }

static const Case cases[] = {
  {"PQ 1000 -> SDR, bt2390 max-rgb soft", PQ, SDR, EST_TONE_MODE_MAX_RGB,
      EST_GAMUT_SOFT, 203},
  {"PQ 1000 -> SDR, bt2390 max-rgb clip", PQ, SDR, EST_TONE_MODE_MAX_RGB,
      EST_GAMUT_CLIP, 203},
  {"PQ 1000 -> SDR, bt2390 luminance soft", PQ, SDR,
      EST_TONE_MODE_LUMINANCE, EST_GAMUT_SOFT, 203},
  {"PQ 1000 -> SDR, bt2390 rgb soft", PQ, SDR, EST_TONE_MODE_RGB,
      EST_GAMUT_SOFT, 203},
  {"HLG 1000 -> SDR, bt2390 max-rgb soft", HLG, SDR, EST_TONE_MODE_MAX_RGB,
      EST_GAMUT_SOFT, 203},
  {"SDR -> HLG 1000, clip", SDR, HLG, EST_TONE_MODE_MAX_RGB, EST_GAMUT_CLIP,
      1000},
  {"SDR -> PQ 1000, clip", SDR, PQ, EST_TONE_MODE_MAX_RGB, EST_GAMUT_CLIP,
      1000},
  {"BT.601 -> BT.709, matrix only", SDR601, SDR, EST_TONE_MODE_MAX_RGB,
      EST_GAMUT_CLIP, 203},
};

typedef struct
{
  EstHdrColour *c;
  const EstHdrColourTables *t;
  int16_t *src[3], *work[3];
} Work;

static void
make_work (Work * w, const Case * c)
{
  EstHdrColourParams p = { 0 };
  const int depth = c->in.depth;

  p.curve = EST_TONE_CURVE_BT2390;
  p.curve_param = NAN;          /* the curve's default */
  p.tone_mode = c->mode;
  p.gamut_mode = c->gamut;
  p.src_peak = 1000.0;
  p.dst_peak = c->dst_peak;
  p.sdr_white = 203.0;
  w->c = est_hdr_colour_new (&c->in, &c->out, &p);
  if (!w->c) {
    fprintf (stderr, "out of memory\n");
    exit (1);
  }
  w->t = est_hdr_colour_tables (w->c);
  for (int k = 0; k < 3; k++) {
    /* legal codes: luma 16..235, chroma 16..240 (scaled to the depth) */
    const int lo = 16 << (depth - 8), span = (k ? 225 : 220) << (depth - 8);
    w->src[k] = malloc (sizeof (int16_t) * WIDTH * ROWS);
    w->work[k] = malloc (sizeof (int16_t) * WIDTH);
    if (!w->src[k] || !w->work[k]) {
      fprintf (stderr, "out of memory\n");
      exit (1);
    }
    for (int i = 0; i < WIDTH * ROWS; i++)
      w->src[k][i] = (int16_t) ((lo + (int) (rnd () % (unsigned) (span + 1)))
          << (14 - depth));
  }
}

static void
free_work (Work * w)
{
  est_hdr_colour_free (w->c);
  for (int k = 0; k < 3; k++) {
    free (w->src[k]);
    free (w->work[k]);
  }
}

/* calls rows copied and, with dsp, converted. */
static double
time_calls (const EstHdrColourDSP * dsp, Work * w, long calls)
{
  double start = now_ns ();

  for (long i = 0; i < calls; i++) {
    size_t o = (size_t) (i % ROWS) * WIDTH;
    for (int k = 0; k < 3; k++)
      memcpy (w->work[k], w->src[k] + o, sizeof (int16_t) * WIDTH);
    if (dsp)
      dsp->process (w->t, w->work[0], w->work[1], w->work[2], WIDTH);
    sink = w->work[0][i % WIDTH];
  }
  return now_ns () - start;
}

/* Best ns per pixel of each level on case c, the copies' time taken off. */
static void
bench_case (const Level * levels, int n_levels, const Case * c, double *ns)
{
  Work w;
  long calls = 1;
  const Level *fastest = &levels[n_levels - 1];
  double copy = 1e300;

  make_work (&w, c);
  for (int l = 0; l < n_levels; l++) {
    time_calls (&levels[l].dsp, &w, 1);
    ns[l] = 1e300;
  }
  while (time_calls (&fastest->dsp, &w, calls) < MIN_RUN_NS / 4)
    calls *= 2;
  calls *= 4;

  for (int r = 0; r < RUNS; r++) {
    double t = time_calls (NULL, &w, calls) / ((double) (calls) * WIDTH);
    copy = t < copy ? t : copy;
    for (int l = 0; l < n_levels; l++) {
      /* The C reference is the slow one: fewer calls, same clock. */
      long n = l == 0 && n_levels > 1 ? calls / 16 + 1 : calls;
      t = time_calls (&levels[l].dsp, &w, n) / ((double) (n) * WIDTH);
      ns[l] = t < ns[l] ? t : ns[l];
    }
  }
  for (int l = 0; l < n_levels; l++)
    ns[l] -= copy;
  free_work (&w);
}

int
main (int argc, char **argv)
{
  Level levels[MAX_LEVELS];
  int n_levels = make_levels (levels);
  char table[8192];
  size_t len = 0;

  len += (size_t) snprintf (table + len, sizeof (table) - len,
      "| conversion |");
  for (int l = 0; l < n_levels; l++)
    len += (size_t) snprintf (table + len, sizeof (table) - len,
        " %s ns/pixel |%s", levels[l].name, l ? " speed-up |" : "");
  len += (size_t) snprintf (table + len, sizeof (table) - len, "\n|---|");
  for (int l = 0; l < n_levels; l++)
    len += (size_t) snprintf (table + len, sizeof (table) - len, "---:|%s",
        l ? "---:|" : "");
  len += (size_t) snprintf (table + len, sizeof (table) - len, "\n");

  for (size_t i = 0; i < N_ELEMENTS (cases); i++) {
    double ns[MAX_LEVELS];
    bench_case (levels, n_levels, &cases[i], ns);
    len += (size_t) snprintf (table + len, sizeof (table) - len, "| %s |",
        cases[i].name);
    for (int l = 0; l < n_levels; l++) {
      len += (size_t) snprintf (table + len, sizeof (table) - len, " %.2f |",
          ns[l]);
      if (l)
        len += (size_t) snprintf (table + len, sizeof (table) - len,
            " %.1fx |", ns[0] / ns[l]);
    }
    len += (size_t) snprintf (table + len, sizeof (table) - len, "\n");
  }

  printf ("EstHdrColourDSP, CPU flags 0x%x: best of %d runs of >= %.0f ms, "
      "%d-pixel rows, one thread\n\n", est_cpu_flags (), RUNS,
      MIN_RUN_NS / 1e6, WIDTH);
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
