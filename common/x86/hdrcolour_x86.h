/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_HDRCOLOUR_X86_H
#define EST_HDRCOLOUR_X86_H

#include "hdrcolourdsp.h"

/* Same contract as EstHdrColourDSP.process, including its precision
 * contract (hdrcolourdsp.h). */

/* AVX2 (hdrcolour_avx2.c, built with -mavx2). */
void est_hdr_colour_process_avx2 (const EstHdrColourTables * t, int16_t * y,
    int16_t * u, int16_t * v, int n);

/* AVX-512 F/BW/VL/DQ (hdrcolour_avx512.c, built with -mavx512f -mavx512bw
 * -mavx512vl -mavx512dq). */
void est_hdr_colour_process_avx512 (const EstHdrColourTables * t,
    int16_t * y, int16_t * u, int16_t * v, int n);

#endif
