/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_HDRCOLOURDSP_H
#define EST_HDRCOLOURDSP_H

#include <stdint.h>

#include "hdrcolour.h"

/* The per-pixel kernel of the colour stage (hdrcolour.h), private to
 * hdrcolour.c, its ISA versions (x86/hdrcolour_*.c) and their test and
 * benchmark. est_hdr_colour_new fills an EstHdrColourTables once; the
 * kernel only reads it.
 *
 * The C reference (hdrcolour.c) is the specification. The ISA versions
 * compute in float32 too, but may evaluate an expression in another,
 * algebraically equal, form (or fuse a multiply-add), so they need not be
 * bit-exact. Their contract, checked by tests/common/hdrcolour on random
 * and extreme input over every configuration:
 *   - every output sample is within 1 Q14 unit of the C reference's;
 *   - without linearisation (matrix and range conversion only) they are
 *     bit-exact: the same operations in the same order, no fusing.
 * (The x86 versions go further: they are bit-exact but for soft gamut
 * mapping, which they compute with fewer divisions; in the test about
 * 0.006 % of the samples of soft-mapped stages differ, all by 1.) Samples
 * that are not finite cannot occur: inputs are int16 and every table entry
 * is finite. */

/* Signal -> light: uniform in the signal, linear interpolation. */
#define EST_HDR_IN_LUT_SIZE 4096

/* Light -> anything: indexed by the float's exponent and top LOG_SEG
 * mantissa bits, so every octave from 2^LOG_MIN to 2^LOG_MAX gets
 * 2^LOG_SEG entries (light spans ten decades, and the transfer curves are
 * steepest near black). Below 2^LOG_MIN the value is interpolated from
 * f (0). */
#define EST_HDR_LOG_MIN (-32)
#define EST_HDR_LOG_MAX 14
#define EST_HDR_LOG_SEG 6
#define EST_HDR_LOG_SIZE \
  (((EST_HDR_LOG_MAX) - (EST_HDR_LOG_MIN)) << EST_HDR_LOG_SEG)

typedef struct EstHdrLogLut
{
  float zero;                   /* f (0) */
  /* v[i] = f (2^(LOG_MIN + i / 2^LOG_SEG) stepwise) for i <= LOG_SIZE;
   * v[LOG_SIZE + 1] = v[LOG_SIZE], so that the pair (v[i], v[i + 1]) can
   * be read for every index, the last included. */
  float v[EST_HDR_LOG_SIZE + 2];
} EstHdrLogLut;

/* Everything the kernel reads. The flags select the stages (see the stage
 * list in hdrcolour.h); tables of stages that are off are not filled. */
typedef struct EstHdrColourTables
{
  /* 0: matrix and range only (in -> m_in -> m_out -> out). */
  int linearise;
  int hlg_in, hlg_out, tone, gamut_identity;
  EstToneMode tone_mode;
  EstGamutMode gamut_mode;

  /* Q14 -> normalised: (q - off) * scale, per component. */
  float in_off[3], in_scale[3];
  float m_in[3][3];             /* Y'CbCr -> R'G'B' (EST_MATRIX_RGB: 1) */
  /* in_lut[i] = light of signal i / IN_LUT_SIZE; the last two entries are
   * the light of signal 1 (the pair at IN_LUT_SIZE is readable). */
  float in_lut[EST_HDR_IN_LUT_SIZE + 2];
  float hlg_w[3];               /* BT.2020 luminance, the OOTF's */
  EstHdrLogLut hlg_in_lut;      /* Ys -> Ys^(gamma - 1) * src_peak / dst_peak */
  float src_w[3];               /* source luminance, for tone modes */
  EstHdrLogLut tone_lut;        /* x -> tm (x), x clamped to src_max first */
  float src_max;                /* source peak in target units */
  float gamut[3][3];            /* source -> target primaries */
  float dst_w[3];               /* target luminance, for soft gamut mapping */
  EstHdrLogLut hlg_out_lut;     /* Yd -> Yd^((1 - gamma) / gamma) */
  EstHdrLogLut out_lut;         /* light -> signal */
  float m_out[3][3];            /* R'G'B' -> Y'CbCr (EST_MATRIX_RGB: 1) */
  float out_off[3], out_scale[3];       /* normalised -> Q14: v * scale + off */
} EstHdrColourTables;

typedef struct EstHdrColourDSP
{
  /* Converts n (>= 0) pixels in place, as est_hdr_colour_process does for
   * a stage that is not the identity: y, u, v hold input Q14 samples and
   * receive output Q14 samples. Reads and writes y, u, v [0 .. n - 1]
   * only; no alignment required. */
  void (*process) (const EstHdrColourTables * t, int16_t * y, int16_t * u,
      int16_t * v, int n);
} EstHdrColourDSP;

/* Fills dsp with the C reference, then overrides what the CPU features in
 * cpu_flags (EST_CPU_FLAG_*, see cpu.h) allow: 0 for the C reference only,
 * est_cpu_flags () for the fastest. */
void est_hdr_colour_dsp_init (EstHdrColourDSP * dsp, unsigned cpu_flags);

/* ISA overrides, called by est_hdr_colour_dsp_init. */
void est_hdr_colour_dsp_init_x86 (EstHdrColourDSP * dsp, unsigned cpu_flags);

/* The C reference of process. */
void est_hdr_colour_process_c (const EstHdrColourTables * t, int16_t * y,
    int16_t * u, int16_t * v, int n);

/* The soft gamut compression of est_gamut_map (tonemap.c) in float, as the
 * C reference applies it: w the target luminance weights, rgb linear light
 * in target primaries, replaced by the mapped colour in 0..1. */
void est_hdr_colour_gamut_soft (const float w[3], float rgb[3]);

/* The tables of a stage, for the test and benchmark of the kernels. */
const EstHdrColourTables *est_hdr_colour_tables (const EstHdrColour * c);

#endif
