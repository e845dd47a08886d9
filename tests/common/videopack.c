/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Formats and packing (common/videopack.h): every format round-trips exact
 * Q14 code values through pack and unpack with dither off, v210 included;
 * the one-plane 8-bit layouts (YUY2, RGBA, BGRA, RGBx, BGRx) put each
 * sample at the byte GStreamer's format name says, rounded and clamped,
 * write 255 to alpha and padding, repeat the last luma of an odd YUY2 row
 * and nothing past the row, at widths 1, 2, 7, 15 and 7681; the dither
 * offsets cover one output step evenly; and each ISA version of the row
 * kernels equals its C reference on random and extreme samples, widths
 * 1..7681, aligned and misaligned destinations, every depth. */

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

static int16_t sample (void);

/* Byte of component c of pixel x in a row of the one-plane 8-bit layout
 * called `name`, from GStreamer's definitions: YUY2 is Y0 U0 Y1 V0 per
 * pair, the RGB names list the bytes of a pixel in memory order. */
static int
interleaved_byte (const char *name, int c, int x)
{
  if (strcmp (name, "YUY2") == 0)
    return c == 0 ? 2 * x : 4 * x + (c == 1 ? 1 : 3);
  return 4 * x + (int) (strchr (name, "RGB"[c]) - name);
}

/* Random Q14 samples (any int16, codes and the extremes) packed with
 * dither off into rows wider than needed, then checked byte by byte and
 * unpacked again. */
static void
test_interleaved (void)
{
  static const EstVideoFormat fmts[] = {
    EST_VIDEO_YUY2, EST_VIDEO_RGBA, EST_VIDEO_BGRA, EST_VIDEO_RGBX,
    EST_VIDEO_BGRX,
  };
  static const int widths[] = { 1, 2, 7, 15, 7681 };
  enum
  { H = 3, SLACK = 8 };
  static const int16_t edge[] = { 0, 1 << 6, 254 << 6, 255 << 6, 16383,
    -32768, 32767, 31, 32, (255 << 6) - 33, (255 << 6) - 32
  };
  EstVideoPackDSP dsp;
  EstVideoDither dither;

  est_video_pack_dsp_init (&dsp, est_cpu_flags ());
  est_video_dither_init (&dither, 8, 0);
  for (size_t k = 0; k < sizeof fmts / sizeof fmts[0]; k++) {
    const EstVideoFormatInfo *fi = est_video_format_info (fmts[k]);
    int yuy2 = fmts[k] == EST_VIDEO_YUY2;
    int filler = fi->name[3] == 'A' || fi->name[3] == 'x';

    CHECK (fi->depth == 8 && fi->n_planes == 1 && fi->shift_y == 0 &&
        fi->shift_x == yuy2 && fi->rgb == !yuy2, "%s: format info", fi->name);
    CHECK (est_video_format_from_name (fi->name) == (int) fmts[k],
        "%s by name", fi->name);
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
      int w = widths[wi], cw = yuy2 ? (w + 1) / 2 : w;
      int row_bytes = yuy2 ? 4 * cw : 4 * w;
      ptrdiff_t stride = row_bytes + SLACK;
      uint8_t *mem = malloc ((size_t) stride * H);
      int16_t *planes[3], *got = malloc (sizeof (int16_t) * w);
      EstVideoImage img;
      int bad_code = 0, bad_filler = 0, bad_slack = 0, bad_pad = 0;
      int bad_unpack = 0;

      memset (&img, 0, sizeof img);
      img.data[0] = mem;
      img.stride[0] = stride;
      memset (mem, 0x5a, (size_t) stride * H);
      for (int c = 0; c < 3; c++) {
        planes[c] = malloc (sizeof (int16_t) * w * H);
        for (int i = 0; i < w * H; i++) {
          uint32_t r = rnd () % 3;
          planes[c][i] = r == 0 ? sample () : r == 1 ?
              (int16_t) ((rnd () % 256) << 6) :
              edge[rnd () % (sizeof edge / sizeof edge[0])];
        }
      }
      for (int y = 0; y < H; y++) {
        const int16_t *rows[3] = { planes[0] + y * w, planes[1] + y * w,
          planes[2] + y * w
        };
        est_video_pack (&dsp, fmts[k], &img, y, w, 1, rows, &dither);
      }
      for (int y = 0; y < H; y++) {
        const uint8_t *row = mem + y * stride;
        for (int c = 0; c < 3; c++) {
          int n = c ? cw : w;
          for (int x = 0; x < n; x++) {
            int v = (planes[c][y * w + x] + 32) >> 6;
            v = v < 0 ? 0 : v > 255 ? 255 : v;
            bad_code += row[interleaved_byte (fi->name, c, x)] != v;
          }
          est_video_unpack (fmts[k], &img, c, y, 0, n, got);
          for (int x = 0; x < n; x++)
            bad_unpack += got[x] != row[interleaved_byte (fi->name, c, x)] << 6;
        }
        for (int x = 0; filler && x < w; x++)
          bad_filler += row[4 * x + 3] != 255;
        if (yuy2 && (w & 1))
          bad_pad += row[2 * w] != row[2 * w - 2];
        for (int i = row_bytes; i < stride; i++)
          bad_slack += row[i] != 0x5a;
      }
      CHECK (bad_code == 0, "%s width %d: %d samples not at their byte, "
          "rounded and clamped", fi->name, w, bad_code);
      CHECK (bad_unpack == 0, "%s width %d: %d samples unpacked wrongly",
          fi->name, w, bad_unpack);
      CHECK (bad_filler == 0, "%s width %d: %d alpha or padding bytes not "
          "255", fi->name, w, bad_filler);
      CHECK (bad_pad == 0, "%s width %d: the odd row's last luma pair is "
          "not repeated", fi->name, w);
      CHECK (bad_slack == 0, "%s width %d: %d bytes written past the row",
          fi->name, w, bad_slack);
      for (int c = 0; c < 3; c++)
        free (planes[c]);
      free (got);
      free (mem);
    }
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
  if (dsp.pack16 == ref.pack16 && dsp.pack8 == ref.pack8 &&
      dsp.pack16_uv == ref.pack16_uv && dsp.pack8_uv == ref.pack8_uv) {
    printf ("no SIMD packing on this CPU: references only\n");
    return;
  }
  int16_t *src = malloc (sizeof (int16_t) * 8192);
  int16_t *src2 = malloc (sizeof (int16_t) * 8192);
  /* room for an interleaved row of two 8192-sample rows of 16 bits */
  size_t bytes = 4 * 8192 + 64;
  uint16_t *a = aligned_alloc (64, bytes);
  uint16_t *b = aligned_alloc (64, bytes);
  for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
    for (int misalign = 0; misalign < 2; misalign++) {
      int n = widths[k];
      for (int i = 0; i < n; i++) {
        src[i] = sample ();
        src2[i] = sample ();
      }
      for (int i = 0; i < 16; i++)
        dith[i] = (int16_t) (rnd () % 64);
      for (int depth = 10; depth <= 12; depth += 2) {
        for (int up = 0; up <= (depth == 10 ? 6 : 0); up += 6) {
          int shift = 14 - depth, max = (1 << depth) - 1;
          memset (a, 0xa5, bytes);
          memset (b, 0xa5, bytes);
          ref.pack16 (a + misalign, src, n, dith, shift, max, up);
          dsp.pack16 (b + misalign, src, n, dith, shift, max, up);
          CHECK (memcmp (a, b, bytes) == 0, "pack16 width %d depth "
              "%d up %d misaligned %d", n, depth, up, misalign);
          memset (a, 0xa5, bytes);
          memset (b, 0xa5, bytes);
          ref.pack16_uv (a + misalign, src, src2, n, dith, shift, max, up);
          dsp.pack16_uv (b + misalign, src, src2, n, dith, shift, max, up);
          CHECK (memcmp (a, b, bytes) == 0, "pack16_uv width %d depth "
              "%d up %d misaligned %d", n, depth, up, misalign);
        }
      }
      memset (a, 0xa5, bytes);
      memset (b, 0xa5, bytes);
      ref.pack8 ((uint8_t *) a + misalign, src, n, dith);
      dsp.pack8 ((uint8_t *) b + misalign, src, n, dith);
      CHECK (memcmp (a, b, bytes) == 0, "pack8 width %d misaligned "
          "%d", n, misalign);
      memset (a, 0xa5, bytes);
      memset (b, 0xa5, bytes);
      ref.pack8_uv ((uint8_t *) a + misalign, src, src2, n, dith);
      dsp.pack8_uv ((uint8_t *) b + misalign, src, src2, n, dith);
      CHECK (memcmp (a, b, bytes) == 0, "pack8_uv width %d misaligned "
          "%d", n, misalign);
    }
  }
  free (src);
  free (src2);
  free (a);
  free (b);
}

int
main (void)
{
  test_round_trip ();
  test_interleaved ();
  test_dither ();
  test_kernels ();
  printf ("%s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
