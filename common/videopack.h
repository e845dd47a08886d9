/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_VIDEOPACK_H
#define EST_VIDEOPACK_H

#include <stddef.h>
#include <stdint.h>

/* The layouts esthdrscale reads and writes, unpacked to and packed from
 * planar int16_t rows of "Q14" samples: a code value c of depth d is
 * c << (14 - d), so 8, 10 and 12-bit samples share one scale (0..16383) and
 * the resampler and colour stages do not care about the depth. Packing
 * rounds back to the output depth, adding a dither keyed to the sample's
 * position in its plane (so the result does not depend on how a frame is
 * split between threads), and clamps to the code range.
 *
 * The components are Y', Cb, Cr (0, 1, 2) for the YUV layouts and R', G',
 * B' for the RGB layouts (EstVideoFormatInfo.rgb), which are used with
 * EST_MATRIX_RGB (colour.h). In this header "chroma" means components 1
 * and 2 of either kind.
 *
 * 16-bit containers are little-endian, as on every host Estuary builds
 * for. */

typedef enum
{
  EST_VIDEO_I420,
  EST_VIDEO_NV12,
  EST_VIDEO_Y42B,
  EST_VIDEO_Y444,
  EST_VIDEO_I420_10,
  EST_VIDEO_I422_10,
  EST_VIDEO_Y444_10,
  EST_VIDEO_P010,
  EST_VIDEO_I420_12,
  EST_VIDEO_I422_12,
  EST_VIDEO_Y444_12,
  EST_VIDEO_V210,               /* 10-bit 4:2:2, 6 pixels in 16 bytes */
  EST_VIDEO_YUY2,               /* 8-bit 4:2:2, bytes Y0 Cb Y1 Cr */
  EST_VIDEO_RGBA,               /* 8-bit R'G'B', bytes R G B A */
  EST_VIDEO_BGRA,               /* bytes B G R A */
  EST_VIDEO_RGBX,               /* bytes R G B and a padding byte */
  EST_VIDEO_BGRX,               /* bytes B G R and a padding byte */
  EST_VIDEO_N_FORMATS
} EstVideoFormat;

typedef struct EstVideoFormatInfo
{
  const char *name;             /* GStreamer's name, e.g. "P010_10LE" */
  int depth;                    /* 8, 10 or 12 */
  int shift_x, shift_y;         /* chroma subsampling: 4:2:0 is 1, 1 */
  /* memory planes: 1 (v210, YUY2, RGB), 2 (NV12, P010), 3 */
  int n_planes;
  int rgb;                      /* 1: components R', G', B'; 0: Y'CbCr */
} EstVideoFormatInfo;

const EstVideoFormatInfo *est_video_format_info (EstVideoFormat f);

/* The format GStreamer calls `name`; -1 when it is not one of these. */
int est_video_format_from_name (const char *name);

/* A picture in memory: plane pointers and strides in bytes as GStreamer
 * lays them out (planes the format does not have are ignored). */
typedef struct EstVideoImage
{
  uint8_t *data[3];
  ptrdiff_t stride[3];
} EstVideoImage;

/* Component c (0 Y, 1 Cb, 2 Cr; 0 R, 1 G, 2 B) of row `y` of that
 * component's grid (for 4:2:0 chroma, row y of the half-height grid),
 * samples x0 .. x0 + n - 1 (x0 + n <= the component's width) to Q14 in
 * dst. Alpha and padding bytes are not read. */
void est_video_unpack (EstVideoFormat f, const EstVideoImage * img, int c,
    int y, int x0, int n, int16_t * dst);

/* Ordered-dither offsets for packing Q14 to `depth` bits: a 16 x 16 Bayer
 * matrix scaled to the 14 - depth bits dropped, indexed [y & 15][x & 15];
 * with dithering off, every entry is the rounding offset. */
typedef struct EstVideoDither
{
  int16_t offset[16][16];
} EstVideoDither;

void est_video_dither_init (EstVideoDither * d, int depth, int enabled);

/* The row kernels of packing. Rows start at column 0, so the dither of
 * sample i is dith[i & 15]. The C references in videopack.c are the
 * specification; ISA versions give identical results (tests/common/
 * videopack checks them). Large rows are written with streaming stores
 * where the ISA has them: the output frame is not read again soon. */
typedef struct EstVideoPackDSP
{
  /* dst[i] = clamp ((src[i] + dith[i & 15]) >> shift, 0, max) << up,
   * i < n. shift 2..6, max < 2^(16 - up). */
  void (*pack16) (uint16_t * dst, const int16_t * src, int n,
      const int16_t * dith, int shift, int max, int up);
  /* The same to 8 bits: shift 6, max 255, up 0. */
  void (*pack8) (uint8_t * dst, const int16_t * src, int n,
      const int16_t * dith);
  /* Two rows into one interleaved row (NV12 and P010 chroma): dst[2 i]
   * from u[i] and dst[2 i + 1] from v[i], each as pack16 / pack8 would,
   * with the dither of sample i, i < n. */
  void (*pack16_uv) (uint16_t * dst, const int16_t * u, const int16_t * v,
      int n, const int16_t * dith, int shift, int max, int up);
  void (*pack8_uv) (uint8_t * dst, const int16_t * u, const int16_t * v,
      int n, const int16_t * dith);
} EstVideoPackDSP;

void est_video_pack_dsp_init (EstVideoPackDSP * dsp, unsigned cpu_flags);

/* The C references, which ISA versions also use to finish a row (from a
 * multiple of 16 samples, so the dither phase carries on). */
void est_video_pack16_c (uint16_t * dst, const int16_t * src, int n,
    const int16_t * dith, int shift, int max, int up);
void est_video_pack8_c (uint8_t * dst, const int16_t * src, int n,
    const int16_t * dith);
void est_video_pack16_uv_c (uint16_t * dst, const int16_t * u,
    const int16_t * v, int n, const int16_t * dith, int shift, int max,
    int up);
void est_video_pack8_uv_c (uint8_t * dst, const int16_t * u,
    const int16_t * v, int n, const int16_t * dith);
void est_video_pack_dsp_init_x86 (EstVideoPackDSP * dsp, unsigned cpu_flags);

/* Packs Q14 rows into row `y` (luma grid) of img, columns 0 .. width - 1
 * (width in luma samples): luma from src[0]; when `chroma` is set, also
 * the chroma samples of that row, which for vertically subsampled formats
 * the caller sets only on rows whose index is a multiple of 2, passing
 * src[1] and src[2] as the chroma row y >> shift_y, (width + (1 << shift_x)
 * - 1) >> shift_x samples long. luma_dither and chroma_dither are built
 * for the format's depth. v210 packs in groups of six pixels: the padding
 * samples of the last group repeat the last real sample; likewise the
 * second luma sample of the last YUY2 pair when width is odd. YUY2 and the
 * RGB layouts have shift_y 0, so `chroma` is set on every row: a row's
 * three components are written together (with `chroma` clear, only
 * component 0). RGBA and BGRA get alpha 255, RGBx and BGRx 255 in the
 * padding byte, written with component 0. */
void est_video_pack (const EstVideoPackDSP * dsp, EstVideoFormat f,
    EstVideoImage * img, int y, int width, int chroma,
    const int16_t * const src[3], const EstVideoDither * dither);

#endif
