/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "videopack.h"

#include <string.h>

static const EstVideoFormatInfo formats[EST_VIDEO_N_FORMATS] = {
  [EST_VIDEO_I420] = {"I420", 8, 1, 1, 3, 0},
  [EST_VIDEO_NV12] = {"NV12", 8, 1, 1, 2, 0},
  [EST_VIDEO_Y42B] = {"Y42B", 8, 1, 0, 3, 0},
  [EST_VIDEO_Y444] = {"Y444", 8, 0, 0, 3, 0},
  [EST_VIDEO_I420_10] = {"I420_10LE", 10, 1, 1, 3, 0},
  [EST_VIDEO_I422_10] = {"I422_10LE", 10, 1, 0, 3, 0},
  [EST_VIDEO_Y444_10] = {"Y444_10LE", 10, 0, 0, 3, 0},
  [EST_VIDEO_P010] = {"P010_10LE", 10, 1, 1, 2, 0},
  [EST_VIDEO_I420_12] = {"I420_12LE", 12, 1, 1, 3, 0},
  [EST_VIDEO_I422_12] = {"I422_12LE", 12, 1, 0, 3, 0},
  [EST_VIDEO_Y444_12] = {"Y444_12LE", 12, 0, 0, 3, 0},
  [EST_VIDEO_V210] = {"v210", 10, 1, 0, 1, 0},
  [EST_VIDEO_YUY2] = {"YUY2", 8, 1, 0, 1, 0},
  [EST_VIDEO_RGBA] = {"RGBA", 8, 0, 0, 1, 1},
  [EST_VIDEO_BGRA] = {"BGRA", 8, 0, 0, 1, 1},
  [EST_VIDEO_RGBX] = {"RGBx", 8, 0, 0, 1, 1},
  [EST_VIDEO_BGRX] = {"BGRx", 8, 0, 0, 1, 1},
};

/* The 8-bit layouts with every component in one plane: sample x of
 * component c (on its own grid) is byte off[c] + step[c] * x of the row.
 * filler: the byte of each pixel (at 4 * x + 3) that packing sets to 255,
 * for alpha or padding. */
typedef struct Interleaved
{
  uint8_t step[3], off[3];
  uint8_t filler;
} Interleaved;

static const Interleaved interleaved[EST_VIDEO_N_FORMATS] = {
  [EST_VIDEO_YUY2] = {{2, 4, 4}, {0, 1, 3}, 0},
  [EST_VIDEO_RGBA] = {{4, 4, 4}, {0, 1, 2}, 1},
  [EST_VIDEO_BGRA] = {{4, 4, 4}, {2, 1, 0}, 1},
  [EST_VIDEO_RGBX] = {{4, 4, 4}, {0, 1, 2}, 1},
  [EST_VIDEO_BGRX] = {{4, 4, 4}, {2, 1, 0}, 1},
};

static const Interleaved *
interleaved_layout (EstVideoFormat f)
{
  return interleaved[f].step[0] ? &interleaved[f] : NULL;
}

const EstVideoFormatInfo *
est_video_format_info (EstVideoFormat f)
{
  return &formats[f];
}

int
est_video_format_from_name (const char *name)
{
  for (int f = 0; f < EST_VIDEO_N_FORMATS; f++)
    if (strcmp (formats[f].name, name) == 0)
      return f;
  return -1;
}

static const uint32_t *
v210_row (const EstVideoImage * img, int y)
{
  return (const uint32_t *) (img->data[0] + y * img->stride[0]);
}

/* v210 stores each group of six pixels as four little-endian words of three
 * 10-bit fields: Cb0 Y0 Cr0 | Y1 Cb1 Y2 | Cr1 Y3 Cb2 | Y4 Cr2 Y5. Position
 * of luma sample i and of chroma sample i (Cb; Cr is the next field) as
 * (word, bit shift) within the group. */
static const uint8_t v210_luma[6][2] = {
  {0, 10}, {1, 0}, {1, 20}, {2, 10}, {3, 0}, {3, 20}
};
static const uint8_t v210_cb[3][2] = { {0, 0}, {1, 10}, {2, 20} };
static const uint8_t v210_cr[3][2] = { {0, 20}, {2, 0}, {3, 10} };

static void
unpack_v210 (const EstVideoImage * img, int c, int y, int x0, int n,
    int16_t * dst)
{
  const uint32_t *row = v210_row (img, y);
  int per_group = c == 0 ? 6 : 3;
  const uint8_t (*pos)[2] = c == 0 ? v210_luma : c == 1 ? v210_cb : v210_cr;

  for (int i = 0; i < n; i++) {
    int x = x0 + i;
    const uint32_t *g = row + (x / per_group) * 4;
    int k = x % per_group;
    dst[i] = (int16_t) (((g[pos[k][0]] >> pos[k][1]) & 0x3ff) << 4);
  }
}

void
est_video_unpack (EstVideoFormat f, const EstVideoImage * img, int c, int y,
    int x0, int n, int16_t * dst)
{
  const EstVideoFormatInfo *info = &formats[f];
  const Interleaved *il = interleaved_layout (f);

  if (f == EST_VIDEO_V210) {
    unpack_v210 (img, c, y, x0, n, dst);
    return;
  }

  if (il) {
    const uint8_t *s = img->data[0] + y * img->stride[0] + il->off[c] +
        (ptrdiff_t) il->step[c] * x0;
    for (int i = 0; i < n; i++)
      dst[i] = (int16_t) (s[il->step[c] * i] << 6);
    return;
  }

  if (info->n_planes == 2 && c > 0) {
    /* NV12 / P010: interleaved Cb Cr in plane 1. */
    const uint8_t *row = img->data[1] + y * img->stride[1];
    if (info->depth == 8) {
      const uint8_t *s = row + 2 * x0 + (c - 1);
      for (int i = 0; i < n; i++)
        dst[i] = (int16_t) (s[2 * i] << 6);
    } else {
      const uint16_t *s = (const uint16_t *) row + 2 * x0 + (c - 1);
      /* MSB-aligned 10 bits: the top 14 bits are Q14. */
      for (int i = 0; i < n; i++)
        dst[i] = (int16_t) (s[2 * i] >> 2);
    }
    return;
  }

  const uint8_t *row = img->data[c] + y * img->stride[c];
  if (info->depth == 8) {
    const uint8_t *s = row + x0;
    for (int i = 0; i < n; i++)
      dst[i] = (int16_t) (s[i] << 6);
  } else if (f == EST_VIDEO_P010) {
    const uint16_t *s = (const uint16_t *) row + x0;
    for (int i = 0; i < n; i++)
      dst[i] = (int16_t) (s[i] >> 2);
  } else {
    const uint16_t *s = (const uint16_t *) row + x0;
    int shift = 14 - info->depth;
    int max = (1 << info->depth) - 1;
    /* Bits above the depth are garbage by GStreamer's rules: mask them. */
    for (int i = 0; i < n; i++)
      dst[i] = (int16_t) ((s[i] & max) << shift);
  }
}

void
est_video_dither_init (EstVideoDither * d, int depth, int enabled)
{
  int shift = 14 - depth;

  for (int y = 0; y < 16; y++) {
    for (int x = 0; x < 16; x++) {
      /* Bayer index by bit interleaving of x ^ y and y, most significant
       * bits last. */
      int b = 0;
      for (int bit = 0; bit < 4; bit++) {
        int xb = (x >> bit) & 1, yb = (y >> bit) & 1;
        b |= ((xb ^ yb) << (7 - 2 * bit)) | (yb << (6 - 2 * bit));
      }
      /* b in 0..255: the offset is (b + 0.5) / 256 of one output step. */
      d->offset[y][x] = enabled ?
          (int16_t) (((2 * b + 1) << shift) >> 9) : (int16_t) ((1 << shift) >>
          1);
    }
  }
}

static inline int
quantise (int v, int offset, int shift, int max)
{
  v = (v + offset) >> shift;
  return v < 0 ? 0 : v > max ? max : v;
}

void
est_video_pack8_c (uint8_t * dst, const int16_t * src, int n,
    const int16_t * dith)
{
  for (int i = 0; i < n; i++)
    dst[i] = (uint8_t) quantise (src[i], dith[i & 15], 6, 255);
}

void
est_video_pack16_c (uint16_t * dst, const int16_t * src, int n,
    const int16_t * dith, int shift, int max, int up)
{
  for (int i = 0; i < n; i++)
    dst[i] = (uint16_t) (quantise (src[i], dith[i & 15], shift, max) << up);
}

void
est_video_pack16_uv_c (uint16_t * dst, const int16_t * u, const int16_t * v,
    int n, const int16_t * dith, int shift, int max, int up)
{
  for (int i = 0; i < n; i++) {
    dst[2 * i] = (uint16_t) (quantise (u[i], dith[i & 15], shift, max) << up);
    dst[2 * i + 1] =
        (uint16_t) (quantise (v[i], dith[i & 15], shift, max) << up);
  }
}

void
est_video_pack8_uv_c (uint8_t * dst, const int16_t * u, const int16_t * v,
    int n, const int16_t * dith)
{
  for (int i = 0; i < n; i++) {
    dst[2 * i] = (uint8_t) quantise (u[i], dith[i & 15], 6, 255);
    dst[2 * i + 1] = (uint8_t) quantise (v[i], dith[i & 15], 6, 255);
  }
}

void
est_video_pack_dsp_init (EstVideoPackDSP * dsp, unsigned cpu_flags)
{
  dsp->pack8 = est_video_pack8_c;
  dsp->pack16 = est_video_pack16_c;
  dsp->pack8_uv = est_video_pack8_uv_c;
  dsp->pack16_uv = est_video_pack16_uv_c;
#ifdef EST_HAVE_X86_DSP
  est_video_pack_dsp_init_x86 (dsp, cpu_flags);
#else
  (void) cpu_flags;
#endif
}

/* Interleaved 8-bit samples (YUY2, RGB): every step-th byte. */
static void
pack_row8_step (uint8_t * dst, const int16_t * src, int n,
    const int16_t * dith, int step)
{
  for (int i = 0; i < n; i++)
    dst[step * i] = (uint8_t) quantise (src[i], dith[i & 15], 6, 255);
}

static void
pack_v210 (EstVideoImage * img, int y, int width,
    const int16_t * const src[3], const EstVideoDither * dither)
{
  uint32_t *row = (uint32_t *) (img->data[0] + y * img->stride[0]);
  const int16_t *dith = dither->offset[y & 15];
  int cw = (width + 1) >> 1;
  int groups = (width + 5) / 6;

  for (int g = 0; g < groups; g++) {
    uint32_t w[4] = { 0, 0, 0, 0 };
    for (int k = 0; k < 6; k++) {
      int x = 6 * g + k < width ? 6 * g + k : width - 1;
      uint32_t v = (uint32_t) quantise (src[0][x], dith[x & 15], 4, 1023);
      w[v210_luma[k][0]] |= v << v210_luma[k][1];
    }
    for (int k = 0; k < 3; k++) {
      int x = 3 * g + k < cw ? 3 * g + k : cw - 1;
      uint32_t cb = (uint32_t) quantise (src[1][x], dith[x & 15], 4, 1023);
      uint32_t cr = (uint32_t) quantise (src[2][x], dith[x & 15], 4, 1023);
      w[v210_cb[k][0]] |= cb << v210_cb[k][1];
      w[v210_cr[k][0]] |= cr << v210_cr[k][1];
    }
    memcpy (row + 4 * g, w, sizeof w);
  }
}

/* YUY2 and RGB. Their shift_y is 0: chroma rows are luma rows. */
static void
pack_interleaved (const Interleaved * il, EstVideoImage * img, int y,
    int width, int cw, int chroma, const int16_t * const src[3],
    const EstVideoDither * dither)
{
  uint8_t *row = img->data[0] + y * img->stride[0];
  const int16_t *dith = dither->offset[y & 15];

  pack_row8_step (row + il->off[0], src[0], width, dith, il->step[0]);
  /* An odd YUY2 row ends in half a pair: repeat the last luma sample. */
  if (il->step[0] == 2 && (width & 1))
    row[2 * width] = row[2 * width - 2];
  if (il->filler)
    for (int x = 0; x < width; x++)
      row[4 * x + 3] = 255;
  if (!chroma)
    return;
  for (int c = 1; c < 3; c++)
    pack_row8_step (row + il->off[c], src[c], cw, dith, il->step[c]);
}

void
est_video_pack (const EstVideoPackDSP * dsp, EstVideoFormat f,
    EstVideoImage * img, int y, int width, int chroma,
    const int16_t * const src[3], const EstVideoDither * dither)
{
  const EstVideoFormatInfo *info = &formats[f];
  int cw = (width + (1 << info->shift_x) - 1) >> info->shift_x;
  int cy = y >> info->shift_y;
  const int16_t *cdith = dither->offset[cy & 15];

  if (f == EST_VIDEO_V210) {
    pack_v210 (img, y, width, src, dither);
    return;
  }

  if (interleaved_layout (f)) {
    pack_interleaved (interleaved_layout (f), img, y, width, cw, chroma, src,
        dither);
    return;
  }

  if (info->depth == 8) {
    dsp->pack8 (img->data[0] + y * img->stride[0], src[0], width,
        dither->offset[y & 15]);
    if (!chroma)
      return;
    if (info->n_planes == 2) {
      dsp->pack8_uv (img->data[1] + cy * img->stride[1], src[1], src[2], cw,
          cdith);
    } else {
      for (int c = 1; c < 3; c++)
        dsp->pack8 (img->data[c] + cy * img->stride[c], src[c], cw, cdith);
    }
    return;
  }

  int msb = f == EST_VIDEO_P010;
  int shift = 14 - info->depth, max = (1 << info->depth) - 1;
  int up = msb ? 16 - info->depth : 0;
  dsp->pack16 ((uint16_t *) (img->data[0] + y * img->stride[0]), src[0],
      width, dither->offset[y & 15], shift, max, up);
  if (!chroma)
    return;
  if (info->n_planes == 2) {
    dsp->pack16_uv ((uint16_t *) (img->data[1] + cy * img->stride[1]),
        src[1], src[2], cw, cdith, shift, max, up);
  } else {
    for (int c = 1; c < 3; c++)
      dsp->pack16 ((uint16_t *) (img->data[c] + cy * img->stride[c]),
          src[c], cw, cdith, shift, max, up);
  }
}
