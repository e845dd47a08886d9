/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
/* AVX-512 F, BW, VL and DQ (CPUID leaf 7), and the OS enabling XSAVE of
 * the SSE, AVX, opmask and both halves of the ZMM state (XCR0 bits 1, 2, 5,
 * 6, 7): without that the registers are not preserved across context
 * switches and the instructions fault. */
static int
avx512_usable (void)
{
  unsigned a, b, c, d, xcr0_lo, xcr0_hi;
  const unsigned need7 = bit_AVX512F | bit_AVX512BW | bit_AVX512VL |
      bit_AVX512DQ;

  if (!__get_cpuid (1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
    return 0;
  if (__get_cpuid_max (0, NULL) < 7)
    return 0;
  __cpuid_count (7, 0, a, b, c, d);
  if ((b & need7) != need7)
    return 0;
  /* xgetbv with ECX = 0 reads XCR0 (inline asm: the intrinsic would need
   * -mxsave for this file). */
  __asm__ volatile ("xgetbv":"=a" (xcr0_lo), "=d" (xcr0_hi):"c" (0));
  (void) xcr0_hi;
  return (xcr0_lo & 0xe6) == 0xe6;
}
#endif

static unsigned
detect (void)
{
  unsigned flags = 0;

#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("sse2"))
    flags |= EST_CPU_FLAG_SSE2;
  if (__builtin_cpu_supports ("avx2"))
    flags |= EST_CPU_FLAG_AVX2;
  if (avx512_usable ())
    flags |= EST_CPU_FLAG_AVX512;
#endif

  const char *mask = getenv ("EST_CPU_MASK");
  if (mask && *mask)
    flags &= (unsigned) strtoul (mask, NULL, 0);
  return flags;
}

unsigned
est_cpu_flags (void)
{
  /* Racing first calls compute the same value; the store is idempotent. */
  static atomic_int cached = -1;
  int v = atomic_load (&cached);
  if (v < 0) {
    v = (int) detect ();
    atomic_store (&cached, v);
  }
  return (unsigned) v;
}
