/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* x86 overrides of the resampling passes, cascading from the oldest ISA to
 * the newest: each level replaces what it implements. */

#include "cpu.h"
#include "x86/resampledsp_x86.h"

void
est_resample_dsp_init_x86 (EstResampleDSP * dsp, unsigned cpu_flags)
{
  if (!(cpu_flags & EST_CPU_FLAG_AVX2))
    return;

  dsp->hscale = est_resample_hscale_avx2;
  dsp->vscale = est_resample_vscale_avx2;

  if (!(cpu_flags & EST_CPU_FLAG_AVX512))
    return;

  dsp->hscale = est_resample_hscale_avx512;
  dsp->vscale = est_resample_vscale_avx512;
}
