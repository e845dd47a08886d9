/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_PIXFMT_H
#define EST_PIXFMT_H

#include <stddef.h>
#include <stdint.h>

/* Row conversions between the layouts GStreamer delivers and the planar
 * layouts codec libraries take. Plain loops the compiler vectorises; n is
 * the number of output samples per plane, >= 0. */

/* NV12 / NV16 chroma: splits n interleaved pairs uv[2i], uv[2i + 1] into
 * u[i] and v[i]. */
void est_pixfmt_deinterleave8 (const uint8_t * uv, uint8_t * u, uint8_t * v,
    int n);

/* P010 / P016 chroma: the same for 16-bit containers, shifting each sample
 * right by `shift` (6 turns P010's MSB-aligned 10-bit samples into the
 * LSB-aligned values libraries expect). */
void est_pixfmt_deinterleave16 (const uint16_t * uv, uint16_t * u,
    uint16_t * v, int n, int shift);

/* P010 luma: dst[i] = src[i] >> shift. src and dst may be the same. */
void est_pixfmt_shift16 (const uint16_t * src, uint16_t * dst, int n,
    int shift);

#endif
