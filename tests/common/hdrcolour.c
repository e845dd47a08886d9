/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The colour stage kernels (common/hdrcolourdsp.h), in two parts.
 *
 * Soft gamut mapping: the C reference's float formula
 * (est_hdr_colour_gamut_soft) against est_gamut_map (tonemap.c, double)
 * on the same float colours, random and on the formula's edges (grey at
 * and beyond 0 and 1, luminance exactly 1, a channel exactly on its bound),
 * within 1e-5 per channel.
 *
 * SIMD: in the manner of dav1d's checkasm, every ISA level the CPU has is
 * initialised on its own and its process compared with the C reference's
 * over many stages: SDR to SDR with matrix, range, depth and primaries
 * changes; PQ to SDR with every curve, each tone mode, clip and soft gamut
 * mapping; HLG to SDR, PQ to HLG, HLG to PQ, SDR to PQ and HLG, PQ 4000 to
 * 1000; 8, 10 and 12 bits, full and limited range. Input is random Q14:
 * valid codes of the depth, any int16, the extremes (0, 16383, -32768,
 * 32767, black, white, neutral chroma and their neighbours), greys, and
 * saturated chroma far outside the gamut; pixel counts 1, 7, 8, 15, 16, 17,
 * 1000 and 7681. Each output sample must be within 1 Q14 unit of the C
 * reference's, and equal to it where the stage does not linearise (the
 * contract in hdrcolourdsp.h). Each plane lies right before an
 * inaccessible page, so a read past its end crashes the test, and carries
 * a canary before its start. The worst differences are printed.
 *
 * Usage: test-common-hdrcolour [SEED]. Exit 0 pass, 1 fail. With no SIMD
 * level available (or EST_CPU_MASK=0) only the first part runs. */

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu.h"
#include "hdrcolour.h"
#include "hdrcolourdsp.h"
#include "tonemap.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* Failing cases printed per check; the rest are only counted. */
#define MAX_REPORTS 8

#define MAX_N 7681

static const uint64_t default_seed = UINT64_C (0x2026c0100f5eed5);

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

/* uniform in [lo, hi) */
static double
rnd_range (double lo, double hi)
{
  return lo + (hi - lo) * ((double) (rnd () >> 11) * 0x1p-53);
}

/* A check: one line of output, with a count of cases and of failures. */
typedef struct
{
  char name[300];
  long cases;
  long failed;
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
  printf ("%s %s: %ld cases", c->failed ? "FAIL" : "ok  ", c->name, c->cases);
  if (c->failed)
    printf (", %ld failed (seed 0x%016" PRIx64 ")", c->failed, seed);
  printf ("\n");
  if (c->failed)
    failures++;
}

/* ---------------------------------------------------------------------- */
/* Soft gamut mapping: float against double */

static void
check_one_soft (Check * c, const float w[3], const float rgb[3])
{
  const double dw[3] = { w[0], w[1], w[2] };
  double d[3] = { rgb[0], rgb[1], rgb[2] };
  float f[3] = { rgb[0], rgb[1], rgb[2] };

  est_gamut_map (EST_GAMUT_SOFT, dw, d);
  est_hdr_colour_gamut_soft (w, f);
  c->cases++;
  for (int i = 0; i < 3; i++) {
    if (!(fabs (f[i] - d[i]) <= 1e-5)) {
      REPORT (c, "rgb (%.9g, %.9g, %.9g) channel %d: float %.9g, double "
          "%.9g", rgb[0], rgb[1], rgb[2], i, f[i], d[i]);
      return;
    }
  }
}

static void
check_gamut_soft (void)
{
  static const EstPrimaries prims[] = {
    EST_PRIMARIES_BT709, EST_PRIMARIES_BT2020, EST_PRIMARIES_P3D65,
  };
  static const float edges[] = {
    -1.0f, -0.25f, -1e-6f, 0.0f, 1e-7f, 0.2f, 0.5f, 0.8f, 0.999999f, 1.0f,
    1.000001f, 1.25f, 2.0f,
  };
  Check c;

  begin_check (&c, "gamut soft: float formula against est_gamut_map");
  for (size_t p = 0; p < N_ELEMENTS (prims); p++) {
    double dw[3];
    float w[3], rgb[3];

    est_colour_luminance (prims[p], dw);
    for (int i = 0; i < 3; i++)
      w[i] = (float) dw[i];

    for (int i = 0; i < 200000; i++) {
      double lo = i % 4 == 0 ? -1.0 : -0.2, hi = i % 4 == 0 ? 2.0 : 1.2;
      for (int k = 0; k < 3; k++)
        rgb[k] = (float) rnd_range (lo, hi);
      check_one_soft (&c, w, rgb);
    }
    /* every combination of the edges, greys among them */
    for (size_t a = 0; a < N_ELEMENTS (edges); a++)
      for (size_t b = 0; b < N_ELEMENTS (edges); b++)
        for (size_t e = 0; e < N_ELEMENTS (edges); e++) {
          rgb[0] = edges[a];
          rgb[1] = edges[b];
          rgb[2] = edges[e];
          check_one_soft (&c, w, rgb);
        }
    /* luminance exactly 1 and 0 with colour */
    for (int i = 0; i < 1000; i++) {
      float g = (float) rnd_range (0.0, 1.5);
      rgb[0] = g;
      rgb[2] = (float) rnd_range (-0.5, 1.5);
      rgb[1] = (1.0f - w[0] * rgb[0] - w[2] * rgb[2]) / w[1];
      check_one_soft (&c, w, rgb);
      rgb[1] = (0.0f - w[0] * rgb[0] - w[2] * rgb[2]) / w[1];
      check_one_soft (&c, w, rgb);
    }
  }
  end_check (&c);
}

/* ---------------------------------------------------------------------- */
/* Planes right before an inaccessible page, with a canary before them. */

#define CANARY 8
#define CANARY_VALUE 0x5a5a

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
  g->map_len = data + page;
  g->map = mmap (NULL, g->map_len, PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g->map == MAP_FAILED) {
    fprintf (stderr, "mmap failed\n");
    exit (1);
  }
  if (mprotect (g->map + data, page, PROT_NONE)) {
    fprintf (stderr, "mprotect failed\n");
    exit (1);
  }
}

/* n samples ending at the guard page, CANARY canaries before them. */
static int16_t *
guarded_plane (const Guarded * g, int n)
{
  int16_t *p = (int16_t *) (void *) (g->map + g->data) - n;
  for (int i = 1; i <= CANARY; i++)
    p[-i] = CANARY_VALUE;
  return p;
}

static int
canaries_intact (const int16_t * p)
{
  for (int i = 1; i <= CANARY; i++)
    if (p[-i] != CANARY_VALUE)
      return 0;
  return 1;
}

/* ---------------------------------------------------------------------- */
/* Configurations */

typedef struct
{
  char name[120];
  EstColourSpace in, out;
  EstHdrColourParams p;
} Config;

#define MAX_CONFIGS 400
static Config configs[MAX_CONFIGS];
static int n_configs;

static const char *const transfer_names[] = {
  "bt1886", "srgb", "pq", "hlg", "linear",
};

static const char *const primaries_names[] = {
  "709", "2020", "p3", "601-625", "601-525",
};
static const char *const matrix_names[] = { "601", "709", "2020", "rgb" };

static const char *const curve_names[EST_TONE_CURVE_N] = {
  "bt2390", "bt2446a", "hable", "reinhard", "mobius", "clip",
};
static const char *const mode_names[] = { "rgb", "luminance", "max-rgb" };

static EstColourSpace
space (EstMatrix m, EstTransfer t, EstPrimaries p, int full, int depth)
{
  EstColourSpace s;
  s.matrix = m;
  s.transfer = t;
  s.primaries = p;
  s.full_range = full;
  s.depth = depth;
  return s;
}

static void
add_config (EstColourSpace in, EstColourSpace out, EstToneCurveId curve,
    EstToneMode mode, EstGamutMode gamut, double src_peak, double dst_peak,
    double sdr_white)
{
  Config *c;

  if (n_configs == MAX_CONFIGS) {
    fprintf (stderr, "too many configurations\n");
    exit (1);
  }
  c = &configs[n_configs++];
  c->in = in;
  c->out = out;
  c->p.curve = curve;
  c->p.curve_param = NAN;
  c->p.tone_mode = mode;
  c->p.gamut_mode = gamut;
  c->p.src_peak = src_peak;
  c->p.dst_peak = dst_peak;
  c->p.sdr_white = sdr_white;
  snprintf (c->name, sizeof (c->name),
      "%s/%s/%s/%s/%d -> %s/%s/%s/%s/%d %s %s %s %g->%g (white %g)",
      transfer_names[in.transfer], primaries_names[in.primaries],
      matrix_names[in.matrix], in.full_range ? "full" : "lim", in.depth,
      transfer_names[out.transfer], primaries_names[out.primaries],
      matrix_names[out.matrix], out.full_range ? "full" : "lim", out.depth,
      curve_names[curve], mode_names[mode], gamut ? "soft" : "clip",
      src_peak, dst_peak, sdr_white);
}

static void
make_configs (void)
{
  const EstColourSpace sdr709 = space (EST_MATRIX_BT709, EST_TRANSFER_BT1886,
      EST_PRIMARIES_BT709, 0, 8);
  const EstColourSpace sdr709_10 = space (EST_MATRIX_BT709,
      EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 10);
  const EstColourSpace sdr2020 = space (EST_MATRIX_BT2020NCL,
      EST_TRANSFER_BT1886, EST_PRIMARIES_BT2020, 0, 10);
  const EstColourSpace pq = space (EST_MATRIX_BT2020NCL, EST_TRANSFER_PQ,
      EST_PRIMARIES_BT2020, 0, 10);
  const EstColourSpace hlg = space (EST_MATRIX_BT2020NCL, EST_TRANSFER_HLG,
      EST_PRIMARIES_BT2020, 0, 10);
  const EstToneCurveId bt2390 = EST_TONE_CURVE_BT2390;
  const EstToneMode max_rgb = EST_TONE_MODE_MAX_RGB;

  /* SDR <-> SDR: matrix, range, depth (matrix only), then primaries and
   * transfer (through light). */
  for (int d = 8; d <= 12; d += 2)
    for (int fi = 0; fi <= 1; fi++)
      for (int fo = 0; fo <= 1; fo++) {
        EstColourSpace in = space (EST_MATRIX_BT601, EST_TRANSFER_BT1886,
            EST_PRIMARIES_BT709, fi, d);
        EstColourSpace out = space (EST_MATRIX_BT709, EST_TRANSFER_BT1886,
            EST_PRIMARIES_BT709, fo, 20 - d);
        add_config (in, out, bt2390, max_rgb, EST_GAMUT_CLIP, 1000, 100, 100);
        out.matrix = EST_MATRIX_BT601;
        add_config (in, out, bt2390, max_rgb, EST_GAMUT_CLIP, 1000, 100, 100);
      }
  for (int g = 0; g <= 1; g++) {
    add_config (sdr709, sdr2020, bt2390, max_rgb, g, 1000, 100, 100);
    add_config (sdr2020, sdr709_10, bt2390, max_rgb, g, 1000, 100, 100);
    add_config (space (EST_MATRIX_BT709, EST_TRANSFER_SRGB,
            EST_PRIMARIES_P3D65, 1, 8), sdr709, bt2390, max_rgb, g, 1000,
        100, 100);
    add_config (space (EST_MATRIX_BT601, EST_TRANSFER_BT1886,
            EST_PRIMARIES_BT601_525, 0, 8), space (EST_MATRIX_BT709,
            EST_TRANSFER_SRGB, EST_PRIMARIES_BT709, 1, 10), bt2390,
        max_rgb, g, 1000, 100, 100);
    add_config (space (EST_MATRIX_BT601, EST_TRANSFER_BT1886,
            EST_PRIMARIES_BT601_625, 0, 8), space (EST_MATRIX_BT709,
            EST_TRANSFER_LINEAR, EST_PRIMARIES_BT709, 1, 12), bt2390,
        max_rgb, g, 1000, 100, 100);
    /* SDR white brighter than the target: tone mapped SDR */
    add_config (sdr709, sdr709_10, bt2390, max_rgb, g, 1000, 100, 203);
  }

  /* PQ -> SDR: every curve, mode and gamut mode, two peaks, both
   * matrices' outputs. */
  for (int curve = 0; curve < EST_TONE_CURVE_N; curve++)
    for (int mode = 0; mode < 3; mode++)
      for (int g = 0; g <= 1; g++) {
        add_config (pq, sdr709, curve, mode, g, 1000, 100, 100);
        add_config (pq, sdr709_10, curve, mode, g, 4000, 203, 203);
      }
  for (int g = 0; g <= 1; g++) {
    add_config (pq, sdr2020, bt2390, max_rgb, g, 10000, 100, 100);
    add_config (space (EST_MATRIX_BT2020NCL, EST_TRANSFER_PQ,
            EST_PRIMARIES_BT2020, 1, 12), space (EST_MATRIX_BT709,
            EST_TRANSFER_SRGB, EST_PRIMARIES_BT709, 1, 8), bt2390, max_rgb,
        g, 1000, 100, 100);
    add_config (space (EST_MATRIX_BT2020NCL, EST_TRANSFER_PQ,
            EST_PRIMARIES_BT2020, 0, 12), space (EST_MATRIX_BT709,
            EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 12), bt2390,
        EST_TONE_MODE_LUMINANCE, g, 1000, 100, 100);
  }

  /* HLG and PQ among themselves and with SDR. */
  for (int mode = 0; mode < 3; mode++)
    for (int g = 0; g <= 1; g++) {
      add_config (hlg, sdr709, bt2390, mode, g, 1000, 100, 100);
      add_config (hlg, sdr709_10, bt2390, mode, g, 1000, 203, 203);
      add_config (pq, hlg, bt2390, mode, g, 4000, 1000, 203);
      add_config (hlg, pq, bt2390, mode, g, 1000, 1000, 203);
      add_config (hlg, pq, bt2390, mode, g, 2000, 600, 203);
      add_config (sdr709, pq, bt2390, mode, g, 1000, 1000, 203);
      add_config (sdr709_10, hlg, bt2390, mode, g, 1000, 1000, 203);
      add_config (pq, pq, bt2390, mode, g, 4000, 1000, 203);
      add_config (hlg, hlg, bt2390, mode, g, 1000, 400, 203);
    }
  add_config (hlg, sdr2020, bt2390, max_rgb, EST_GAMUT_CLIP, 1000, 100, 100);
  add_config (space (EST_MATRIX_BT2020NCL, EST_TRANSFER_HLG,
          EST_PRIMARIES_BT2020, 1, 8), space (EST_MATRIX_BT709,
          EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 1, 12), bt2390, max_rgb,
      EST_GAMUT_SOFT, 1000, 100, 100);
  /* R'G'B' planes (EST_MATRIX_RGB): no matrix, luma's range on all three
   * components; matrix only, through light, and tone mapped. */
  const EstColourSpace rgb709 = space (EST_MATRIX_RGB, EST_TRANSFER_BT1886,
      EST_PRIMARIES_BT709, 1, 8);
  const EstColourSpace srgb = space (EST_MATRIX_RGB, EST_TRANSFER_SRGB,
      EST_PRIMARIES_BT709, 1, 8);
  add_config (rgb709, sdr709, bt2390, max_rgb, EST_GAMUT_CLIP, 1000, 100, 100);
  add_config (sdr709_10, space (EST_MATRIX_RGB, EST_TRANSFER_BT1886,
          EST_PRIMARIES_BT709, 0, 8), bt2390, max_rgb, EST_GAMUT_CLIP, 1000,
      100, 100);
  add_config (rgb709, space (EST_MATRIX_RGB, EST_TRANSFER_BT1886,
          EST_PRIMARIES_BT709, 0, 8), bt2390, max_rgb, EST_GAMUT_CLIP, 1000,
      100, 100);
  for (int g = 0; g <= 1; g++) {
    add_config (srgb, sdr709, bt2390, max_rgb, g, 1000, 100, 100);
    add_config (srgb, pq, bt2390, max_rgb, g, 1000, 1000, 203);
    add_config (pq, srgb, bt2390, max_rgb, g, 1000, 203, 203);
    add_config (hlg, srgb, bt2390, EST_TONE_MODE_LUMINANCE, g, 1000, 203, 203);
    add_config (space (EST_MATRIX_RGB, EST_TRANSFER_BT1886,
            EST_PRIMARIES_BT2020, 0, 8), srgb, bt2390, max_rgb, g, 1000, 100,
        100);
  }

  /* PQ without tone mapping: primaries only, and the identity */
  add_config (pq, space (EST_MATRIX_BT709, EST_TRANSFER_PQ,
          EST_PRIMARIES_BT709, 0, 10), bt2390, max_rgb, EST_GAMUT_SOFT, 1000,
      1000, 203);
  add_config (pq, pq, bt2390, max_rgb, EST_GAMUT_SOFT, 1000, 1000, 203);
}

/* ---------------------------------------------------------------------- */
/* Random input */

/* Q14 of code c at depth d */
static int16_t
q14 (int c, int d)
{
  return (int16_t) (c << (14 - d));
}

static int16_t
pick (const int16_t * set, size_t n)
{
  return set[rnd () % n];
}

static void
random_pixels (const EstColourSpace * s, int16_t * y, int16_t * u,
    int16_t * v, int n)
{
  const int d = s->depth, max = (1 << d) - 1;
  const int yb = s->full_range ? 0 : 16 << (d - 8);
  const int yw = s->full_range ? max : 235 << (d - 8);
  const int cmid = 128 << (d - 8);
  const int clo = s->full_range ? 0 : 16 << (d - 8);
  const int chi = s->full_range ? max : 240 << (d - 8);
  const int16_t extremes[] = {
    0, 1, -1, 16383, 16384, 16382, -32768, -32767, 32767, 32766,
    q14 (max, d), q14 (max - 1, d), q14 (yb, d), q14 (yb + 1, d),
    (int16_t) (q14 (yb, d) - 1), q14 (yw, d), q14 (yw - 1, d),
    (int16_t) (q14 (yw, d) + 1), q14 (cmid, d), q14 (cmid + 1, d),
    q14 (cmid - 1, d), q14 (clo, d), q14 (chi, d),
  };
  const int ne = N_ELEMENTS (extremes);

  for (int i = 0; i < n; i++) {
    unsigned kind = rnd () % 10;
    if (kind < 4) {             /* any code of the depth */
      y[i] = q14 ((int) (rnd () % (unsigned) (max + 1)), d);
      u[i] = q14 ((int) (rnd () % (unsigned) (max + 1)), d);
      v[i] = q14 ((int) (rnd () % (unsigned) (max + 1)), d);
    } else if (kind < 5) {      /* anything */
      y[i] = (int16_t) rnd ();
      u[i] = (int16_t) rnd ();
      v[i] = (int16_t) rnd ();
    } else if (kind < 7) {      /* extremes */
      y[i] = pick (extremes, ne);
      u[i] = pick (extremes, ne);
      v[i] = pick (extremes, ne);
    } else if (kind < 9) {      /* near grey, any Q14 value in range */
      y[i] = (int16_t) (rnd () % 16384);
      u[i] = (int16_t) (q14 (cmid, d) + (int) (rnd () % 65) - 32);
      v[i] = (int16_t) (q14 (cmid, d) + (int) (rnd () % 65) - 32);
    } else {                    /* saturated chroma, far out of gamut */
      y[i] = q14 (yb + (int) (rnd () % (unsigned) (yw - yb + 1)), d);
      u[i] = rnd () & 1 ? q14 (chi, d) : q14 (clo, d);
      v[i] = rnd () & 1 ? q14 (chi, d) : q14 (clo, d);
      if (rnd () & 1)
        u[i] = q14 (cmid, d);
    }
  }
}

/* ---------------------------------------------------------------------- */
/* SIMD against C */

static const struct
{
  const char *name;
  unsigned flags;
} isa_levels[] = {
  {"avx2", EST_CPU_FLAG_SSE2 | EST_CPU_FLAG_AVX2},
  {"avx512", EST_CPU_FLAG_SSE2 | EST_CPU_FLAG_AVX2 | EST_CPU_FLAG_AVX512},
};

static const int lengths[] = { 1, 7, 8, 15, 16, 17, 1000, MAX_N };

static Guarded guards[3];
static int16_t src[3][MAX_N], want[3][MAX_N];

typedef struct
{
  int worst;                    /* largest |SIMD - C| */
  long off_by_one;              /* samples that differ */
  long samples;
  char where[160];
} Stats;

/* Statistics of the matrix-only stages, of those through light with clip
 * gamut mapping, and with soft gamut mapping. */
typedef struct
{
  Stats matrix, clip, soft;
} AllStats;

static void
check_config (const EstHdrColourDSP * dsp, const char *isa, const Config * cf,
    AllStats * all)
{
  EstHdrColour *c = est_hdr_colour_new (&cf->in, &cf->out, &cf->p);
  const EstHdrColourTables *t;
  char name[256];
  Check chk;

  if (!c) {
    fprintf (stderr, "out of memory\n");
    exit (1);
  }
  if (est_hdr_colour_is_identity (&cf->in, &cf->out, &cf->p)) {
    est_hdr_colour_free (c);
    return;
  }
  t = est_hdr_colour_tables (c);
  snprintf (name, sizeof (name), "%s: %s", isa, cf->name);
  begin_check (&chk, name);
  Stats *st = !t->linearise ? &all->matrix :
      t->gamut_mode == EST_GAMUT_SOFT ? &all->soft : &all->clip;
  const int tolerance = t->linearise ? 1 : 0;

  for (size_t li = 0; li < N_ELEMENTS (lengths); li++) {
    const int n = lengths[li];
    const int reps = n < 100 ? 20 : n < 5000 ? 4 : 2;

    for (int r = 0; r < reps; r++) {
      int16_t *p[3];

      random_pixels (&cf->in, src[0], src[1], src[2], n);
      for (int k = 0; k < 3; k++) {
        memcpy (want[k], src[k], sizeof (int16_t) * (size_t) n);
        p[k] = guarded_plane (&guards[k], n);
        memcpy (p[k], src[k], sizeof (int16_t) * (size_t) n);
      }
      est_hdr_colour_process_c (t, want[0], want[1], want[2], n);
      dsp->process (t, p[0], p[1], p[2], n);

      for (int k = 0; k < 3; k++) {
        if (!canaries_intact (p[k]))
          REPORT (&chk, "n = %d: plane %d written before its start", n, k);
        for (int i = 0; i < n; i++) {
          int diff = abs (p[k][i] - want[k][i]);
          chk.cases++;
          st->samples++;
          if (diff)
            st->off_by_one++;
          if (diff > st->worst) {
            st->worst = diff;
            snprintf (st->where, sizeof (st->where),
                "%s, in (%d, %d, %d)", cf->name, src[0][i], src[1][i],
                src[2][i]);
          }
          if (diff > tolerance)
            REPORT (&chk, "n = %d, pixel %d (%d, %d, %d), plane %d: %d, C "
                "%d", n, i, src[0][i], src[1][i], src[2][i], k, p[k][i],
                want[k][i]);
        }
      }
    }
  }
  est_hdr_colour_free (c);
  /* Only failures get a line each: there are hundreds of configurations. */
  if (chk.failed)
    end_check (&chk);
}

static void
print_stats (const char *what, const Stats * st)
{
  printf ("     %s: %ld samples, %ld differ (%.2g%%), worst %d%s%s\n", what,
      st->samples, st->off_by_one, 100.0 * (double) (st->off_by_one) /
      (st->samples ? st->samples : 1), st->worst, st->worst ? " at " : "",
      st->worst ? st->where : "");
}

static void
check_level (const EstHdrColourDSP * dsp, const char *isa)
{
  AllStats all = { 0 };
  int before = failures;

  for (int i = 0; i < n_configs; i++)
    check_config (dsp, isa, &configs[i], &all);
  printf ("%s %s: %d configurations against C\n",
      failures == before ? "ok  " : "FAIL", isa, n_configs);
  print_stats ("matrix only", &all.matrix);
  print_stats ("through light, clip", &all.clip);
  print_stats ("through light, soft", &all.soft);
}

/* est_hdr_colour_process follows est_hdr_colour_set_cpu_flags. */
static void
check_dispatch (void)
{
  const Config *cf = &configs[n_configs / 2];
  EstHdrColour *c = est_hdr_colour_new (&cf->in, &cf->out, &cf->p);
  Check chk;

  begin_check (&chk, "process follows set_cpu_flags (0): the C reference");
  random_pixels (&cf->in, src[0], src[1], src[2], 1000);
  memcpy (want, src, sizeof want);
  est_hdr_colour_set_cpu_flags (c, 0);
  est_hdr_colour_process (c, src[0], src[1], src[2], 1000);
  est_hdr_colour_process_c (est_hdr_colour_tables (c), want[0], want[1],
      want[2], 1000);
  chk.cases++;
  if (memcmp (src, want, sizeof want))
    REPORT (&chk, "%s: outputs differ", cf->name);
  est_hdr_colour_free (c);
  end_check (&chk);
}

int
main (int argc, char **argv)
{
  EstHdrColourDSP ref, prev;
  unsigned flags = est_cpu_flags ();

  setvbuf (stdout, NULL, _IOLBF, 0);
  seed = argc > 1 ? strtoull (argv[1], NULL, 0) : default_seed;
  rng_state = seed;
  printf ("CPU flags 0x%x, seed 0x%016" PRIx64 "\n", flags, seed);

  check_gamut_soft ();
  make_configs ();
  check_dispatch ();

  for (int k = 0; k < 3; k++)
    guarded_alloc (&guards[k], sizeof (int16_t) * (MAX_N + CANARY));
  est_hdr_colour_dsp_init (&ref, 0);
  prev = ref;
  for (size_t i = 0; i < N_ELEMENTS (isa_levels); i++) {
    EstHdrColourDSP dsp;

    if ((flags & isa_levels[i].flags) != isa_levels[i].flags) {
      printf ("skip %s: not on this CPU (or masked by EST_CPU_MASK)\n",
          isa_levels[i].name);
      continue;
    }
    est_hdr_colour_dsp_init (&dsp, isa_levels[i].flags);
    if (dsp.process != prev.process)
      check_level (&dsp, isa_levels[i].name);
    prev = dsp;
  }
  for (int k = 0; k < 3; k++)
    munmap (guards[k].map, guards[k].map_len);

  printf ("%s\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}
