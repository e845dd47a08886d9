/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_QPOVERLAY_H
#define EST_QPOVERLAY_H

#include <stddef.h>
#include <stdint.h>

/* Paints a QP-offset map over a picture so a person can see it: chroma
 * tinted by each block's offset (blue-green: lower QP, better quality;
 * red: higher QP), strongest at +-8 and beyond, and the luma of each
 * block's top and left edge darkened to a grid. Luma is kept elsewhere.
 *
 * Planes: Y, U and V, each pointer at its first sample; chroma_step
 * samples from one chroma sample to the next (2 in NV12's UV pairs).
 * Samples are uint8_t at depth 8, else native-endian uint16_t with `depth`
 * significant bits at the bottom, or at the top when msb is set (P010). */
typedef struct EstQpOverlay
{
  int width, height;            /* luma samples */
  int depth;                    /* 8..16 */
  int msb;                      /* samples in the top bits of 16 */
  int chroma_shift_x, chroma_shift_y;
  int chroma_step;              /* 1 planar, 2 interleaved */
  const float *map;             /* map_width x map_height offsets */
  int map_width, map_height, block;
  float offset;                 /* added to every block */
} EstQpOverlay;

void est_qp_overlay_paint (const EstQpOverlay * o, void *const plane[3],
    const ptrdiff_t stride[3]);

#endif
