/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_HDRCOLOUR_H
#define EST_HDRCOLOUR_H

#include <stdint.h>

#include "colour.h"
#include "tonemap.h"

/* The colour stage of esthdrscale: one Y'CbCr pixel (4:4:4, Q14 samples as
 * in videopack.h) to another, in float32 with lookup tables built once from
 * the double-precision specification in colour.c and tonemap.c. A side
 * whose matrix is EST_MATRIX_RGB carries R'G'B' instead: its matrix step
 * is the identity and all three components take luma's range.
 *
 *   Y'CbCr (Q14) -> normalise range -> R'G'B'          (input matrix)
 *     -> linearise                    in_lut: signal -> light, per channel
 *        (HLG: inverse OETF, then the OOTF for the source display peak)
 *     -> tone map                     when the source peak exceeds the
 *                                     target peak; per channel, on the
 *                                     luminance, or on max (R, G, B)
 *     -> gamut matrix                 source primaries -> target primaries
 *     -> gamut map                    clip, or soft compression keeping hue
 *        (HLG: inverse OOTF for the target display peak)
 *     -> encode transfer              out_lut: light -> signal, per channel
 *     -> R'G'B' -> Y'CbCr -> range    (output matrix) -> Q14
 *
 * Light is carried in units of the target peak (1.0 = dst_peak cd/m2):
 * PQ input decodes to 10000 * EOTF / dst_peak, SDR input to sdr_white *
 * EOTF / dst_peak, HLG input to src_peak * OOTF / dst_peak. On the way out,
 * PQ encodes light * dst_peak / 10000, SDR and HLG treat 1.0 as their
 * display peak. When transfer and primaries match and no tone mapping is
 * needed, the stage skips linearisation and only converts matrix and range.
 *
 * Soft gamut mapping applies only where colours can leave the target
 * gamut: source primaries reaching outside the target's (a negative
 * coefficient in the linear RGB matrix between them), or luminance tone
 * mapping; elsewhere the stage clips, a no-op on in-gamut light, rather
 * than desaturate colours near the edge for nothing.
 */

typedef enum
{
  EST_TONE_MODE_RGB,            /* the curve on each channel */
  /* Scale RGB by curve (Y) / Y. The curve holds its peak value above the
   * source peak, so brighter pixels (overshoot, wrong metadata) land on
   * the target peak rather than beyond it. */
  EST_TONE_MODE_LUMINANCE,
  EST_TONE_MODE_MAX_RGB,        /* the same with M = max (R, G, B) */
} EstToneMode;

/* The colour of one side of the conversion. */
typedef struct EstColourSpace
{
  EstMatrix matrix;
  EstTransfer transfer;
  EstPrimaries primaries;
  int full_range;
  int depth;                    /* 8..12: fixes the full-range code scale */
} EstColourSpace;

typedef struct EstHdrColourParams
{
  EstToneCurveId curve;
  double curve_param;           /* NAN: the curve's default */
  EstToneMode tone_mode;
  EstGamutMode gamut_mode;
  /* cd/m2. src_peak: the source's brightest value for PQ input, the display
   * peak of the HLG OOTF for HLG input; ignored for SDR input, whose peak
   * is sdr_white. dst_peak: the target display peak (PQ, HLG, and SDR
   * output alike). sdr_white: the light of SDR signal 1.0 on the way in. */
  double src_peak, dst_peak, sdr_white;
} EstHdrColourParams;

typedef struct EstHdrColour EstHdrColour;

/* The peak of the input in cd/m2 as the stage sees it (sdr_white for SDR,
 * src_peak otherwise). */
double est_hdr_colour_source_peak (const EstColourSpace * in,
    const EstHdrColourParams * p);

/* Whether in -> out is the identity on the samples (Y'CbCr, or R'G'B' on
 * both sides), apart from the depth. */
int est_hdr_colour_is_identity (const EstColourSpace * in,
    const EstColourSpace * out, const EstHdrColourParams * p);

/* Builds the tables: about 70 kB. Peaks must be in 1..10000 cd/m2 (the
 * caller validates them). The kernel is the fastest est_cpu_flags ()
 * allows (see est_hdr_colour_set_cpu_flags). NULL on allocation failure. */
EstHdrColour *est_hdr_colour_new (const EstColourSpace * in,
    const EstColourSpace * out, const EstHdrColourParams * p);
void est_hdr_colour_free (EstHdrColour * c);    /* NULL allowed */

/* Picks the kernel of est_hdr_colour_process from the CPU features in
 * cpu_flags (EST_CPU_FLAG_*, cpu.h): 0 for the C reference. The SIMD
 * kernels are within 1 Q14 unit of it (hdrcolourdsp.h). Not thread-safe
 * against est_hdr_colour_process. */
void est_hdr_colour_set_cpu_flags (EstHdrColour * c, unsigned cpu_flags);

/* Converts n pixels in place: y, u, v hold input Q14 samples (input range
 * and depth) and receive output Q14 samples. Thread-safe: the stage is
 * read-only once built. */
void est_hdr_colour_process (const EstHdrColour * c, int16_t * y,
    int16_t * u, int16_t * v, int n);

/* Whether the stage applies a tone curve (the static source peak exceeds
 * the target peak). */
int est_hdr_colour_tone_maps (const EstHdrColour * c);

/* Re-aims the tone curve at a source peak of `peak` cd/m2 (1..10000),
 * rebuilding its table only (about 3000 curve evaluations): for dynamic
 * peak detection. No effect on stages that do not tone map. Not
 * thread-safe against est_hdr_colour_process. */
void est_hdr_colour_set_source_peak (EstHdrColour * c, double peak);

/* For peak detection: the largest max (R, G, B) of every `step`-th of the
 * n pixels in cd/m2 of the source, before tone mapping (*max), and the sum
 * of those maxima (*sum). Both 0 for stages that do not linearise. */
void est_hdr_colour_measure (const EstHdrColour * c, const int16_t * y,
    const int16_t * u, const int16_t * v, int n, int step, float *max,
    double *sum);

#endif
