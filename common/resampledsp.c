/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* C references of the resampling passes. Written for clarity: they define
 * the results every ISA version must reproduce exactly. */

#include "resampledsp.h"

static int16_t
clamp_int16 (int32_t v)
{
  return (int16_t) (v < INT16_MIN ? INT16_MIN : v > INT16_MAX ? INT16_MAX : v);
}

void
est_resample_hscale_tail_c (int16_t * dst, const int16_t * src,
    const EstResampleFilter * f, int first)
{
  for (int i = first; i < f->dst_len; i++) {
    const int16_t *s = src + f->offset[i];
    const int16_t *c = f->coeff + (size_t) i * f->taps;
    int32_t sum = 8192;
    for (int k = 0; k < f->taps; k++)
      sum += s[k] * c[k];
    dst[i] = clamp_int16 (sum >> 14);
  }
}

static void
hscale_c (int16_t * dst, const int16_t * src, const EstResampleFilter * f)
{
  est_resample_hscale_tail_c (dst, src, f, 0);
}

static void
vscale_c (int16_t * dst, const int16_t * const *src, const int16_t * coeff,
    int taps, int width)
{
  for (int x = 0; x < width; x++) {
    int32_t sum = 8192;
    for (int k = 0; k < taps; k++)
      sum += src[k][x] * coeff[k];
    dst[x] = clamp_int16 (sum >> 14);
  }
}

void
est_resample_dsp_init (EstResampleDSP * dsp, unsigned cpu_flags)
{
  dsp->hscale = hscale_c;
  dsp->vscale = vscale_c;
#if defined(EST_HAVE_X86_DSP)
  est_resample_dsp_init_x86 (dsp, cpu_flags);
#else
  (void) cpu_flags;
#endif
}
