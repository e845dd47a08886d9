/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_HDRSCALEREF_H
#define EST_HDRSCALEREF_H

#include <stddef.h>
#include <stdint.h>

#include "hdrscale.h"

/* An independent float64 reference of the esthdrscale pipeline
 * (common/hdrscale), written from the headers: hdrscale.h (stage order,
 * sample positions, work grid), hdrcolour.h (colour stage and light
 * units), videopack.h (layouts, Q14) and resample.h (weights):
 *
 *   read codes (its own layout readers) -> Q14 doubles
 *     -> resample to the work grid (double, est_resample_kernel)
 *     -> colour stage per pixel (double, colour.h and tonemap.h)
 *     -> resample to each output plane's grid
 *
 * Nothing is quantised between stages and nothing is dithered. Used by
 * tests/common/hdrscale.c to hold the fast path to one code value, and by
 * bench/hdrscale-error.c to measure the error of any tool's output.
 * Not fast: a 4K frame takes seconds. Allocation failures abort. */

/* --- Layouts, written from GStreamer's definitions ------------------------ */

typedef enum
{
  EST_REF_PLANAR,               /* Y, U, V planes */
  EST_REF_SEMI,                 /* Y plane, interleaved UV plane */
  EST_REF_V210,                 /* 6 pixels in 4 little-endian words */
  EST_REF_PACKED,               /* one plane of bytes, see `packing` */
} EstRefLayout;

typedef struct
{
  EstVideoFormat f;
  const char *name;             /* GStreamer's, e.g. "P010_10LE" */
  EstRefLayout layout;
  int depth;                    /* bits per code value: 8, 10 or 12 */
  int sx, sy;                   /* chroma subsampling shifts */
  int msb;                      /* samples in the top bits of 16 */
  /* EST_REF_PACKED: the bytes of one group of pixels in memory order, Y U
   * V for the components of YUV (a group holds as many pixels as it has
   * Ys), R G B of RGB (one pixel a group), A alpha and x padding (neither
   * read; packing writes 255). NULL for the other layouts. */
  const char *packing;
  int rgb;                      /* components R', G', B' (EST_MATRIX_RGB) */
} EstRefFormat;

/* Every format of videopack.h, once each. */
extern const EstRefFormat est_ref_formats[];
extern const size_t est_ref_n_formats;

/* The entry of f; aborts when f is not in the table. */
const EstRefFormat *est_ref_format (EstVideoFormat f);

/* The entry called `name` (GStreamer's name, case-insensitive); NULL when
 * there is none or name is NULL. */
const EstRefFormat *est_ref_format_find (const char *name);

/* A picture in one of the formats: component sizes and the planes. own[]
 * is what est_ref_frame_alloc allocated (NULL for wrapped memory). */
typedef struct
{
  EstVideoFormat f;
  int w, h;
  int pw[3], ph[3];             /* component sizes, chroma rounded up */
  EstVideoImage img;
  size_t size[3];               /* bytes of each memory plane */
  uint8_t *own[3];
} EstRefFrame;

/* Sets f, w, h and the component sizes; clears everything else. */
void est_ref_frame_layout (EstRefFrame * fr, EstVideoFormat f, int w, int h);

/* Allocates the planes with strides a little wider than the rows (a
 * multiple of 4 bytes, plus 8), every byte set to `fill`. */
void est_ref_frame_alloc (EstRefFrame * fr, EstVideoFormat f, int w, int h,
    int fill);

/* Frees what est_ref_frame_alloc allocated; the frame is left as is. */
void est_ref_frame_free (EstRefFrame * fr);

/* Lays fr out over `data` as a raw file holds a frame: the memory planes
 * one after another, rows without padding (planar: components * bytes per
 * sample; semi-planar: Y, then interleaved UV of twice the chroma width;
 * v210: GStreamer's stride, (w + 47) / 48 * 128; packed: whole groups). That is FFmpeg's
 * rawvideo layout, and GStreamer's whenever its strides (rounded up to 4
 * bytes) need no rounding. data may be NULL to get only the size. Returns
 * the bytes of one frame. */
size_t est_ref_frame_wrap (EstRefFrame * fr, EstVideoFormat f, int w, int h,
    uint8_t * data);

/* The code value of component c (0 Y, 1 Cb, 2 Cr; 0 R, 1 G, 2 B) at (x, y)
 * of its grid; x may reach into the padding of the last v210 or YUY2
 * group. When the container
 * holds bits outside the code value, *bad_bits (NULL allowed) is
 * incremented and those bits are ignored. */
int est_ref_get_code (const EstRefFrame * fr, int c, int x, int y,
    int *bad_bits);

/* Writes code value v (0 .. 2^depth - 1) of component c at (x, y). */
void est_ref_set_code (EstRefFrame * fr, int c, int x, int y, int v);

/* The alpha and padding bytes (A, x of `packing`) of fr's pixels that are
 * not 255; 0 for layouts without them. */
int est_ref_filler_errors (const EstRefFrame * fr);

/* --- The reference -------------------------------------------------------- */

/* A plane of doubles, row after row, w * h values. */
typedef struct
{
  int w, h;
  double *v;
} EstRefPlane;

void est_ref_plane_free (EstRefPlane * p);      /* frees v; NULL v allowed */

/* The conversion in / out / p (what est_hdr_scale_new gets; colour.depth
 * must match each format; dither, peak_detect, n_threads and cpu_flags are
 * ignored: the reference neither dithers nor detects peaks) of the picture
 * src (in's format and size, strides in bytes).
 *
 * res[c] receives every sample of output component c (its full plane,
 * borders outside p->rect_* included) in Q14 units of the output: code
 * value v is v * 2^(14 - depth), so rounding res / 2^(14 - depth) to the
 * nearest integer and clamping to 0 .. 2^depth - 1 gives the output codes.
 * The caller frees res with est_ref_plane_free.
 *
 * quantise 0: the exact pipeline (bias ignored). quantise 1: the work
 * planes become Q14 integers before the colour stage (bias 0.5 rounds,
 * 0 rounds down, 1 up: the fast path's resampler, with Q14 weights, is
 * within about one unit of the exact value) and are rounded after it, as
 * the fast path stores them; the difference from the exact reference shows
 * where the conversion itself turns that precision into more than one
 * output code.
 *
 * Returns 1 when the reference skips the colour stage (in -> out is the
 * identity on Y'CbCr apart from depth and layout), 0 otherwise: the same
 * decision est_hdr_colour_is_identity must make. */
int est_ref_convert (const EstHdrScaleFormat * in,
    const EstHdrScaleFormat * out, const EstHdrScaleParams * p,
    const EstVideoImage * src, EstRefPlane res[3], int quantise, double bias);

#endif
