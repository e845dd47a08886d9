/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_VIDEOPACK_X86_H
#define EST_VIDEOPACK_X86_H

#include "videopack.h"

void est_video_pack16_avx2 (uint16_t * dst, const int16_t * src, int n,
    const int16_t * dith, int shift, int max, int up);
void est_video_pack8_avx2 (uint8_t * dst, const int16_t * src, int n,
    const int16_t * dith);
void est_video_pack16_uv_avx2 (uint16_t * dst, const int16_t * u,
    const int16_t * v, int n, const int16_t * dith, int shift, int max,
    int up);
void est_video_pack8_uv_avx2 (uint8_t * dst, const int16_t * u,
    const int16_t * v, int n, const int16_t * dith);

#endif
