/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* x86 overrides of the quality kernels, cascading from the oldest ISA to the
 * newest: each level replaces what it implements. */

#include "cpu.h"
#include "x86/qualitydsp_x86.h"

void
est_quality_dsp_init_x86 (EstQualityDSP * dsp, unsigned cpu_flags)
{
  if (!(cpu_flags & EST_CPU_FLAG_AVX2))
    return;

  dsp->sse8 = est_sse8_avx2;
  dsp->sse16 = est_sse16_avx2;
  dsp->ssim_4x4_line8 = est_ssim_4x4_line8_avx2;
  dsp->ssim_4x4_line16 = est_ssim_4x4_line16_avx2;
}
