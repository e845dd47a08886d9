/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* x86 overrides of the colour stage kernel, cascading from the oldest ISA
 * to the newest: each level replaces what it implements. */

#include "cpu.h"
#include "x86/hdrcolour_x86.h"

void
est_hdr_colour_dsp_init_x86 (EstHdrColourDSP * dsp, unsigned cpu_flags)
{
  if (!(cpu_flags & EST_CPU_FLAG_AVX2))
    return;

  dsp->process = est_hdr_colour_process_avx2;

  if (!(cpu_flags & EST_CPU_FLAG_AVX512))
    return;

  dsp->process = est_hdr_colour_process_avx512;
}
