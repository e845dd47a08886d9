/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "qpoverlay.h"

/* Reads and writes a sample in 8-bit units. */
static int
get8 (const EstQpOverlay * o, const uint8_t * row, int x)
{
  if (o->depth == 8)
    return row[x];
  int v = ((const uint16_t *) row)[x];
  return o->msb ? v >> 8 : v >> (o->depth - 8);
}

static void
put8 (const EstQpOverlay * o, uint8_t * row, int x, int v)
{
  v = v < 0 ? 0 : v > 255 ? 255 : v;
  if (o->depth == 8)
    row[x] = (uint8_t) v;
  else
    ((uint16_t *) row)[x] = (uint16_t) (o->msb ? v << 8 : v << (o->depth - 8));
}

static float
offset_at (const EstQpOverlay * o, int x, int y)
{
  int bx = x / o->block, by = y / o->block;

  if (bx >= o->map_width)
    bx = o->map_width - 1;
  if (by >= o->map_height)
    by = o->map_height - 1;
  return o->map[by * o->map_width + bx] + o->offset;
}

void
est_qp_overlay_paint (const EstQpOverlay * o, void *const plane[3],
    const ptrdiff_t stride[3])
{
  const int sx = o->chroma_shift_x, sy = o->chroma_shift_y;
  const int cw = (o->width + (1 << sx) - 1) >> sx;
  const int ch = (o->height + (1 << sy) - 1) >> sy;

  if (o->block <= 0 || o->map_width <= 0 || o->map_height <= 0)
    return;
  for (int y = 0; y < o->height; y++) {
    uint8_t *row = (uint8_t *) plane[0] + (ptrdiff_t) y * stride[0];
    for (int x = 0; x < o->width; x++)
      if (x % o->block == 0 || y % o->block == 0)
        put8 (o, row, x, get8 (o, row, x) / 2);
  }
  if (!plane[1] || !plane[2])
    return;
  for (int y = 0; y < ch; y++) {
    uint8_t *u = (uint8_t *) plane[1] + (ptrdiff_t) y * stride[1];
    uint8_t *v = (uint8_t *) plane[2] + (ptrdiff_t) y * stride[2];
    for (int x = 0; x < cw; x++) {
      float q = offset_at (o, x << sx, y << sy) / 8.0f;
      q = q < -1 ? -1 : q > 1 ? 1 : q;
      /* Half the tint over the picture's own colour. */
      int tu = (int) (q < 0 ? -q * 60 : -q * 30);
      int tv = (int) (q < 0 ? q * 50 : q * 90);
      int i = x * o->chroma_step;
      put8 (o, u, i, (get8 (o, u, i) + 128 + tu) / 2);
      put8 (o, v, i, (get8 (o, v, i) + 128 + tv) / 2);
    }
  }
}
