/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Times the resampling passes (common/resampledsp.h) of every ISA level
 * the CPU has against the C references, in the same run, on esthdrscale's
 * headline cases: 4K to 8K lanczos-3 (luma 3840 -> 7680, chroma
 * 1920 -> 3840) and 4K to 1080p bicubic (3840 -> 1920, 8 taps), plus a 4x
 * bicubic downscale (the dot layout). Then whole frames: one 3840x2160
 * 10-bit 4:2:0 frame scaled single-threaded, each plane through a
 * horizontal pass per source row into a ring and a vertical pass per
 * output row, as esthdrscale does; once into whole output planes, once
 * into one reused row (the 8K planes' memory traffic left out).
 *
 * Samples are random 10-bit codes in Q14 (c << 4). Kernel times are ns per
 * output sample, the best of 5 runs of enough calls for the fastest level
 * to last 20 ms, levels interleaved so that clock drift hits all alike;
 * frame rates are the best of 3 frames. Prints a Markdown table; writes it
 * to argv[1] too when given. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "resample.h"
#include "resampledsp.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#define RUNS 5
#define FRAME_RUNS 3
#define MIN_RUN_NS 20e6
#define MAX_LEVELS 3

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

static int16_t *
random_q14 (size_t n)
{
  int16_t *p = xmalloc (sizeof (int16_t) * n);
  for (size_t i = 0; i < n; i++)
    p[i] = (int16_t) ((rnd () % 1024) << 4);
  return p;
}

/* A centred filter from src_len to dst_len samples. */
static EstResampleFilter *
centred_filter (EstResampleMethod m, int lobes, int src_len, int dst_len)
{
  double scale = (double) (src_len) / dst_len;
  EstResampleFilter *f = est_resample_filter_new (m, lobes, src_len, dst_len,
      scale, 0.5 * scale - 0.5);
  if (!f) {
    fprintf (stderr, "filter %d -> %d failed\n", src_len, dst_len);
    exit (1);
  }
  return f;
}

/* The ISA levels to compare: C first. */
typedef struct
{
  const char *name;
  EstResampleDSP dsp;
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
    est_resample_dsp_init (&levels[n].dsp, all[i].flags);
    n++;
  }
  return n;
}

/* ---------------------------------------------------------------------- */
/* Kernels */

typedef struct
{
  const char *name;
  int vertical;
  EstResampleMethod m;
  int lobes, src_len, dst_len;
} Case;

static const Case cases[] = {
  {"luma 3840 -> 7680 lanczos-3", 0, EST_RESAMPLE_LANCZOS, 3, 3840, 7680},
  {"chroma 1920 -> 3840 lanczos-3", 0, EST_RESAMPLE_LANCZOS, 3, 1920, 3840},
  {"3840 -> 1920 bicubic", 0, EST_RESAMPLE_BICUBIC, 3, 3840, 1920},
  {"3840 -> 1706 bicubic", 0, EST_RESAMPLE_BICUBIC, 3, 3840, 1706},
  {"3840 -> 1280 bicubic", 0, EST_RESAMPLE_BICUBIC, 3, 3840, 1280},
  {"3840 -> 960 bicubic", 0, EST_RESAMPLE_BICUBIC, 3, 3840, 960},
  {"luma 2160 -> 4320 lanczos-3, 7680 wide", 1, EST_RESAMPLE_LANCZOS, 3,
      2160, 4320},
  {"chroma 1080 -> 2160 lanczos-3, 3840 wide", 1, EST_RESAMPLE_LANCZOS, 3,
      1080, 2160},
  {"2160 -> 1080 bicubic, 1920 wide", 1, EST_RESAMPLE_BICUBIC, 3, 2160,
      1080},
};

/* Width of the rows of a vertical case: the horizontal output. */
static int
vertical_width (const Case * c)
{
  return c->src_len == 2160 ? (c->dst_len == 4320 ? 7680 : 1920) : 3840;
}

typedef struct
{
  EstResampleFilter *f;
  int16_t *src, *dst;
  const int16_t **rows;
  int width;                    /* outputs per call */
} Work;

static void
make_work (Work * w, const Case * c)
{
  w->f = centred_filter (c->m, c->lobes, c->src_len, c->dst_len);
  if (!c->vertical) {
    w->width = c->dst_len;
    w->src = random_q14 ((size_t) c->src_len);
    w->rows = NULL;
  } else {
    w->width = vertical_width (c);
    w->src = random_q14 ((size_t) w->f->taps * w->width);
    w->rows = xmalloc (sizeof (int16_t *) * w->f->taps);
    for (int k = 0; k < w->f->taps; k++)
      w->rows[k] = w->src + k * (size_t) w->width;
  }
  w->dst = xmalloc (sizeof (int16_t) * w->width);
}

static void
free_work (Work * w)
{
  est_resample_filter_free (w->f);
  free (w->src);
  free (w->dst);
  free ((void *) w->rows);
}

/* calls calls; the vertical ones cycle through the outputs' phases. */
static double
time_calls (const EstResampleDSP * dsp, const Case * c, Work * w, long calls)
{
  const EstResampleFilter *f = w->f;
  double start = now_ns ();

  for (long i = 0; i < calls; i++) {
    if (c->vertical)
      dsp->vscale (w->dst, w->rows, f->coeff + (size_t) (i % 8) * f->taps,
          f->taps, w->width);
    else
      dsp->hscale (w->dst, w->src, f);
  }
  sink = w->dst[w->width - 1];
  return now_ns () - start;
}

/* Best ns per output sample of each level on case c. */
static void
bench_case (const Level * levels, int n_levels, const Case * c, double *ns)
{
  Work w;
  long calls = 1;
  const Level *fastest = &levels[n_levels - 1];

  make_work (&w, c);
  for (int l = 0; l < n_levels; l++) {
    time_calls (&levels[l].dsp, c, &w, 1);
    ns[l] = 1e300;
  }
  while (time_calls (&fastest->dsp, c, &w, calls) < MIN_RUN_NS / 4)
    calls *= 2;
  calls *= 4;

  for (int r = 0; r < RUNS; r++)
    for (int l = 0; l < n_levels; l++) {
      /* The C reference is the slow one: fewer calls, same clock. */
      long n = l == 0 && n_levels > 1 ? calls / 8 + 1 : calls;
      double t = time_calls (&levels[l].dsp, c, &w, n) / ((double) (n) *
          w.width);
      ns[l] = t < ns[l] ? t : ns[l];
    }
  free_work (&w);
}

/* ---------------------------------------------------------------------- */
/* Whole frames */

typedef struct
{
  int sw, sh, dw, dh;
  EstResampleFilter *hf, *vf;
  int16_t *src, *dst, *ring;
  const int16_t **rows;
  int one_row;                  /* vscale into row 0 of dst every time */
} Plane;

static void
make_plane (Plane * p, EstResampleMethod m, int lobes, int sw, int sh,
    int dw, int dh)
{
  p->sw = sw;
  p->sh = sh;
  p->dw = dw;
  p->dh = dh;
  p->hf = centred_filter (m, lobes, sw, dw);
  p->vf = centred_filter (m, lobes, sh, dh);
  p->src = random_q14 ((size_t) sw * sh);
  p->dst = xmalloc (sizeof (int16_t) * dw * dh);
  p->ring = xmalloc (sizeof (int16_t) * dw * p->vf->taps);
  p->rows = xmalloc (sizeof (int16_t *) * p->vf->taps);
}

static void
free_plane (Plane * p)
{
  est_resample_filter_free (p->hf);
  est_resample_filter_free (p->vf);
  free (p->src);
  free (p->dst);
  free (p->ring);
  free ((void *) p->rows);
}

/* The vertical filter's offsets never decrease, so a ring of taps rows
 * holds every row an output needs: each source row is scaled once. */
static void
scale_plane (const EstResampleDSP * dsp, Plane * p)
{
  const int T = p->vf->taps;
  int next = p->vf->offset[0];

  for (int y = 0; y < p->dh; y++) {
    const int o = p->vf->offset[y];
    for (; next < o + T; next++)
      dsp->hscale (p->ring + (size_t) (next % T) * p->dw,
          p->src + (size_t) next * p->sw, p->hf);
    for (int k = 0; k < T; k++)
      p->rows[k] = p->ring + (size_t) ((o + k) % T) * p->dw;
    dsp->vscale (p->dst + (p->one_row ? 0 : (size_t) y * p->dw), p->rows,
        p->vf->coeff + (size_t) y * T, T, p->dw);
  }
}

typedef struct
{
  const char *name;
  EstResampleMethod m;
  int lobes, sw, sh, dw, dh;
  int one_row;
} Frame;

/* Into whole output planes, as the bench's brief asks; and into one
 * reused row per plane, as a pipeline that packs each output row at once
 * would, which leaves out the cost of writing 8K planes to memory. */
static const Frame frames[] = {
  {"3840x2160 -> 7680x4320 lanczos-3", EST_RESAMPLE_LANCZOS, 3, 3840, 2160,
      7680, 4320, 0},
  {"3840x2160 -> 1920x1080 bicubic", EST_RESAMPLE_BICUBIC, 3, 3840, 2160,
      1920, 1080, 0},
  {"3840x2160 -> 7680x4320 lanczos-3, rows not kept", EST_RESAMPLE_LANCZOS,
      3, 3840, 2160, 7680, 4320, 1},
  {"3840x2160 -> 1920x1080 bicubic, rows not kept", EST_RESAMPLE_BICUBIC, 3,
      3840, 2160, 1920, 1080, 1},
};

/* Best frames per second of each level on a 4:2:0 frame. */
static void
bench_frame (const Level * levels, int n_levels, const Frame * fr, double *fps)
{
  Plane planes[3];

  make_plane (&planes[0], fr->m, fr->lobes, fr->sw, fr->sh, fr->dw, fr->dh);
  for (int i = 1; i < 3; i++)
    make_plane (&planes[i], fr->m, fr->lobes, fr->sw / 2, fr->sh / 2,
        fr->dw / 2, fr->dh / 2);
  for (int i = 0; i < 3; i++)
    planes[i].one_row = fr->one_row;
  for (int l = 0; l < n_levels; l++)
    fps[l] = 0.0;
  for (int r = 0; r < FRAME_RUNS; r++)
    for (int l = 0; l < n_levels; l++) {
      double start = now_ns (), f;
      for (int i = 0; i < 3; i++)
        scale_plane (&levels[l].dsp, &planes[i]);
      f = 1e9 / (now_ns () - start);
      fps[l] = f > fps[l] ? f : fps[l];
    }
  sink = planes[0].dst[0];
  for (int i = 0; i < 3; i++)
    free_plane (&planes[i]);
}

/* ---------------------------------------------------------------------- */

static size_t
append_header (char *table, size_t size, size_t len, const Level * levels,
    int n_levels, const char *first, const char *unit)
{
  len += (size_t) snprintf (table + len, size - len, "| %s |", first);
  for (int l = 0; l < n_levels; l++)
    len += (size_t) snprintf (table + len, size - len, " %s %s |%s",
        levels[l].name, unit, l ? " speed-up |" : "");
  len += (size_t) snprintf (table + len, size - len, "\n|---|");
  for (int l = 0; l < n_levels; l++)
    len += (size_t) snprintf (table + len, size - len, "---:|%s",
        l ? "---:|" : "");
  return len + (size_t) snprintf (table + len, size - len, "\n");
}

int
main (int argc, char **argv)
{
  Level levels[MAX_LEVELS];
  int n_levels = make_levels (levels);
  char table[8192];
  size_t len = 0;

  len = append_header (table, sizeof (table), len, levels, n_levels,
      "pass", "ns/sample");
  for (size_t i = 0; i < N_ELEMENTS (cases); i++) {
    double ns[MAX_LEVELS];
    bench_case (levels, n_levels, &cases[i], ns);
    len += (size_t) snprintf (table + len, sizeof (table) - len, "| %s %s |",
        cases[i].vertical ? "vscale" : "hscale", cases[i].name);
    for (int l = 0; l < n_levels; l++) {
      len += (size_t) snprintf (table + len, sizeof (table) - len, " %.3f |",
          ns[l]);
      if (l)
        len += (size_t) snprintf (table + len, sizeof (table) - len,
            " %.1fx |", ns[0] / ns[l]);
    }
    len += (size_t) snprintf (table + len, sizeof (table) - len, "\n");
  }

  len += (size_t) snprintf (table + len, sizeof (table) - len, "\n");
  len = append_header (table, sizeof (table), len, levels, n_levels,
      "10-bit 4:2:0 frame, one thread", "frames/s");
  for (size_t i = 0; i < N_ELEMENTS (frames); i++) {
    double fps[MAX_LEVELS];
    bench_frame (levels, n_levels, &frames[i], fps);
    len += (size_t) snprintf (table + len, sizeof (table) - len, "| %s |",
        frames[i].name);
    for (int l = 0; l < n_levels; l++) {
      len += (size_t) snprintf (table + len, sizeof (table) - len, " %.1f |",
          fps[l]);
      if (l)
        len += (size_t) snprintf (table + len, sizeof (table) - len,
            " %.1fx |", fps[l] / fps[0]);
    }
    len += (size_t) snprintf (table + len, sizeof (table) - len, "\n");
  }

  printf ("EstResampleDSP, CPU flags 0x%x: kernels best of %d runs of "
      ">= %.0f ms, frames best of %d\n\n", est_cpu_flags (), RUNS,
      MIN_RUN_NS / 1e6, FRAME_RUNS);
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
