/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Times the packing kernels (common/videopack.h) of every ISA level the CPU
 * has against the C reference, in the same run, single-threaded: one 8K
 * 10-bit plane (7680 x 4320, the 4K to 8K output) and one 1080p 8-bit
 * plane, and the interleaved chroma planes of P010 and NV12 at those
 * sizes, each packed row by row from a ring of 64 Q14 rows into a frame
 * that does not fit the caches, as esthdrscale writes its output. Prints
 * ns per sample, the best of 5 runs, levels interleaved, as a Markdown
 * table; writes it to argv[1] too when given. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "videopack.h"

#define RUNS 5
#define RING 64

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct
{
  const char *name;
  int w, h, depth;
  int uv;                       /* w / 2 Cb and Cr samples a row, interleaved */
} Case;

static double
time_plane (const EstVideoPackDSP * dsp, const Case * c, const int16_t * ring,
    uint8_t * frame, const int16_t * dith)
{
  size_t bps = c->depth > 8 ? 2 : 1, stride = c->w * bps;
  double t0 = now ();

  for (int y = 0; y < c->h; y++) {
    const int16_t *src = ring + (size_t) (y % RING) * c->w;
    if (c->uv && c->depth > 8)
      dsp->pack16_uv ((uint16_t *) (frame + y * stride), src, src + c->w / 2,
          c->w / 2, dith, 14 - c->depth, (1 << c->depth) - 1, 6);
    else if (c->uv)
      dsp->pack8_uv (frame + y * stride, src, src + c->w / 2, c->w / 2, dith);
    else if (c->depth > 8)
      dsp->pack16 ((uint16_t *) (frame + y * stride), src, c->w, dith,
          14 - c->depth, (1 << c->depth) - 1, 0);
    else
      dsp->pack8 (frame + y * stride, src, c->w, dith);
  }
  return now () - t0;
}

int
main (int argc, char **argv)
{
  static const Case cases[] = {
    {"8K 10-bit plane (7680x4320)", 7680, 4320, 10, 0},
    {"1080p 8-bit plane (1920x1080)", 1920, 1080, 8, 0},
    {"8K P010 chroma (3840x2160 pairs)", 7680, 2160, 10, 1},
    {"1080p NV12 chroma (960x540 pairs)", 1920, 540, 8, 1},
  };
  static const struct
  {
    const char *name;
    unsigned flags;
  } levels[] = {
    {"C", 0}, {"AVX2", EST_CPU_FLAG_AVX2},
  };
  unsigned have = est_cpu_flags ();
  int16_t dith[16];
  char out[2048];
  int len = 0;

  for (int i = 0; i < 16; i++)
    dith[i] = (int16_t) (i * 4);
  len += snprintf (out + len, sizeof out - len,
      "| plane | C ns/sample | AVX2 ns/sample | speed-up |\n|---|---:|---:|---:|\n");
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const Case *c = &cases[k];
    int16_t *ring = malloc (sizeof (int16_t) * c->w * RING);
    uint8_t *frame = aligned_alloc (64, (size_t) c->w * c->h * 2);
    double best[2] = { 1e9, 1e9 };
    for (int i = 0; i < c->w * RING; i++)
      ring[i] = (int16_t) ((i * 2654435761u) >> 18);
    memset (frame, 0, (size_t) c->w * c->h * 2);
    for (int r = 0; r < RUNS; r++) {
      for (int l = 0; l < 2; l++) {
        EstVideoPackDSP dsp;
        if (levels[l].flags & ~have)
          continue;
        est_video_pack_dsp_init (&dsp, levels[l].flags);
        double t = time_plane (&dsp, c, ring, frame, dith);
        best[l] = t < best[l] ? t : best[l];
      }
    }
    double n = (double) c->w * c->h;
    len += snprintf (out + len, sizeof out - len, "| %s | %.3f | %.3f | "
        "%.1fx |\n", c->name, best[0] / n * 1e9, best[1] / n * 1e9,
        best[1] < 1e9 ? best[0] / best[1] : 0.0);
    free (ring);
    free (frame);
  }
  fputs (out, stdout);
  if (argc > 1) {
    FILE *f = fopen (argv[1], "w");
    if (f) {
      fputs (out, f);
      fclose (f);
    }
  }
  return 0;
}
