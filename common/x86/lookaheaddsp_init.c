/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* x86 overrides of the lookahead kernels, cascading from the oldest ISA to
 * the newest: each level replaces what it implements. */

#include "cpu.h"
#include "lookaheaddsp.h"

void
est_lookahead_dsp_init_x86 (EstLookaheadDSP * dsp, unsigned cpu_flags)
{
  if (!(cpu_flags & EST_CPU_FLAG_AVX2))
    return;
  (void) dsp;
}
