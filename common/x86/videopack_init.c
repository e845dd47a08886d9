/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* x86 overrides of the packing kernels. */

#include "cpu.h"
#include "x86/videopack_x86.h"

void
est_video_pack_dsp_init_x86 (EstVideoPackDSP * dsp, unsigned cpu_flags)
{
  if (!(cpu_flags & EST_CPU_FLAG_AVX2))
    return;

  dsp->pack16 = est_video_pack16_avx2;
  dsp->pack8 = est_video_pack8_avx2;
  dsp->pack16_uv = est_video_pack16_uv_avx2;
  dsp->pack8_uv = est_video_pack8_uv_avx2;
}
