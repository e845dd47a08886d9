/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_CPU_H
#define EST_CPU_H

/* CPU features a DSP init may use. Callers never test these themselves:
 * they pass the flags to a DSP init, which picks its functions. */
enum
{
  EST_CPU_FLAG_SSE2 = 1 << 0,
  EST_CPU_FLAG_AVX2 = 1 << 1,
  /* AVX-512 F, BW, VL and DQ, with the OS saving the opmask and 512-bit
   * register state (XCR0). */
  EST_CPU_FLAG_AVX512 = 1 << 2,
};

/* Returns the EST_CPU_FLAG_* bits of the running CPU, masked by the
 * environment variable EST_CPU_MASK when it is set (a number, e.g. 0 to
 * force the C references). Thread-safe; computed once. */
unsigned est_cpu_flags (void);

#endif
