/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* x86 overrides of the lookahead kernels, cascading from the oldest ISA to
 * the newest: each level replaces what it implements. */

#include "cpu.h"
#include "x86/lookaheaddsp_x86.h"

void
est_lookahead_dsp_init_x86 (EstLookaheadDSP * dsp, unsigned cpu_flags)
{
  if (!(cpu_flags & EST_CPU_FLAG_AVX2))
    return;

  dsp->downscale2_8 = est_downscale2_8_avx2;
  dsp->downscale2_16 = est_downscale2_16_avx2;
  dsp->sad8x8 = est_sad8x8_avx2;
  dsp->satd8x8 = est_satd8x8_avx2;
  dsp->var8x8 = est_var8x8_avx2;
}
