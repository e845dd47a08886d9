/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "cpu.h"

#include <stdatomic.h>
#include <stdlib.h>

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
