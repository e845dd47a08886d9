/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_HDRSCALE_H
#define EST_HDRSCALE_H

#include "hdrcolour.h"
#include "resample.h"
#include "videopack.h"

/* Colour conversion, tone mapping and scaling of one picture into another,
 * as esthdrscale does it:
 *
 *   unpack (Q14 planes)
 *     -> resample to the work grid        4:4:4, at the smaller of the
 *                                         input and output sizes
 *     -> colour stage (hdrcolour.h)       per pixel
 *     -> resample to the output grids     each plane, siting-correct
 *     -> dither -> pack
 *
 * so upscaling does its colour math at the input size and downscaling at
 * the output size. Without a colour change (same matrix, range, transfer,
 * primaries and light; any depth and layout), each plane is resampled
 * straight from its input grid to its output grid.
 *
 * Resampling works in the signal (non-linear) domain. Sample positions
 * follow the chroma siting of each side: output sample i of a plane with
 * subsampling factor `sub` is centred at i * sub + (cosited ? 0.5 : sub /
 * 2) luma pixels from the picture's left edge, and the picture is mapped
 * edge to edge onto the output rectangle.
 *
 * The work is split into slices of rows run on a slice pool; every output
 * sample is computed the same way whatever the split, so the output does
 * not depend on the thread count. Nothing is allocated per frame. */

typedef struct EstHdrScaleFormat
{
  EstVideoFormat format;
  int width, height;            /* 1..8192 */
  /* colour.depth must match the format, and colour.matrix be
   * EST_MATRIX_RGB exactly for the RGB formats (EstVideoFormatInfo.rgb). */
  EstColourSpace colour;
  int cosited_h, cosited_v;     /* chroma siting: with the first luma sample */
} EstHdrScaleFormat;

typedef struct EstHdrScaleParams
{
  EstHdrColourParams colour;
  EstResampleMethod method;
  int lanczos_taps;             /* 1..8 */
  int dither;                   /* ordered dither when packing */
  /* Dynamic peak detection: each frame's brightest max (R, G, B) (on a
   * 1-in-4 grid of the work picture, before tone mapping), smoothed over
   * about 20 frames and reset at scene changes (the frame's mean light
   * more than doubles or halves against the smoothed mean), replaces
   * colour.src_peak, which stays the ceiling. Only when tone mapping. */
  int peak_detect;
  /* Where the picture lands in the output (add-borders); the rest is
   * black. x, y, w, h must be multiples of the output's chroma
   * subsampling, except where they reach the output's right or bottom
   * edge. All zero: the whole output. */
  int rect_x, rect_y, rect_w, rect_h;
  int n_threads;                /* 0: one per online CPU */
  unsigned cpu_flags;           /* est_cpu_flags () */
} EstHdrScaleParams;

typedef struct EstHdrScale EstHdrScale;

/* Plans the conversion and allocates everything it needs. On failure
 * (including a matrix that does not suit the format, see
 * EstHdrScaleFormat) returns NULL and, when error is not NULL, points it
 * at a static message naming the problem. */
EstHdrScale *est_hdr_scale_new (const EstHdrScaleFormat * in,
    const EstHdrScaleFormat * out, const EstHdrScaleParams * p,
    const char **error);
void est_hdr_scale_free (EstHdrScale * s);      /* NULL allowed */

/* The stage list as text, e.g. "unpack P010_10LE 3840x2160 -> resample
 * 1920x1080 4:4:4 (bicubic) -> colour -> resample to output -> pack NV12
 * 1920x1080", for logs. Owned by s. */
const char *est_hdr_scale_describe (const EstHdrScale * s);

/* Converts one picture. Not re-entrant: one call at a time per s. */
void est_hdr_scale_process (EstHdrScale * s, const EstVideoImage * src,
    EstVideoImage * dst);

/* The source peak the last frame was tone mapped with, in cd/m2
 * (colour.src_peak without peak detection). */
double est_hdr_scale_source_peak (const EstHdrScale * s);

/* Forgets the peak history (a seek or a new stream). */
void est_hdr_scale_reset (EstHdrScale * s);

/* The largest rectangle of the input's display aspect ratio (sizes times
 * pixel aspect ratios, as num / den) centred in the output, with x, y, w
 * and h rounded to multiples of 2^shift_x and 2^shift_y. */
void est_hdr_scale_fit_rect (int in_w, int in_h, int in_par_n, int in_par_d,
    int out_w, int out_h, int out_par_n, int out_par_d, int shift_x,
    int shift_y, int *x, int *y, int *w, int *h);

#endif
