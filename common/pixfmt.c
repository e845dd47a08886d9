/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "pixfmt.h"

void
est_pixfmt_deinterleave8 (const uint8_t * uv, uint8_t * u, uint8_t * v, int n)
{
  for (int i = 0; i < n; i++) {
    u[i] = uv[2 * i];
    v[i] = uv[2 * i + 1];
  }
}

void
est_pixfmt_deinterleave16 (const uint16_t * uv, uint16_t * u, uint16_t * v,
    int n, int shift)
{
  for (int i = 0; i < n; i++) {
    u[i] = (uint16_t) (uv[2 * i] >> shift);
    v[i] = (uint16_t) (uv[2 * i + 1] >> shift);
  }
}

void
est_pixfmt_shift16 (const uint16_t * src, uint16_t * dst, int n, int shift)
{
  for (int i = 0; i < n; i++)
    dst[i] = (uint16_t) (src[i] >> shift);
}
