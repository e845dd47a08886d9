/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_TONEMAP_H
#define EST_TONEMAP_H

/* Tone curves and gamut mapping for esthdrscale, in double precision: the
 * specification that the float32 LUTs of hdrscale.c are built from.
 *
 *   luminance (cd/m2, 0..src_peak) --curve--> cd/m2, 0..dst_peak
 *   linear RGB in destination primaries --gamut map--> 0..1 per channel
 *
 * Each curve is a const struct in est_tone_curves: its name (the element's
 * property nick), its knob with documented range and default, and its map
 * function. est_tonemap () is the one entry point that clamps: input,
 * parameter and output. */

typedef enum
{
  EST_TONE_CURVE_BT2390,
  EST_TONE_CURVE_BT2446A,
  EST_TONE_CURVE_HABLE,
  EST_TONE_CURVE_REINHARD,
  EST_TONE_CURVE_MOBIUS,
  EST_TONE_CURVE_CLIP,
  EST_TONE_CURVE_N,
} EstToneCurveId;

typedef struct
{
  double src_peak;              /* cd/m2, > 0: the brightest input value */
  double dst_peak;              /* cd/m2, > 0 */
  /* The curve's knob; NAN picks the curve's default. est_tonemap clamps it
   * once to [param_min, param_max]; ignored by curves without a knob. */
  double param;
} EstToneParams;

typedef struct
{
  /* "bt2390", "bt2446a", "hable", "reinhard", "mobius", "clip": the
   * element's property nicks. */
  const char *name;
  const char *description;      /* one line, for the GEnum value */
  const char *param_desc;       /* what param means; NULL: no knob */
  /* The knob's default and range (all 0 for curves without one). */
  double param_def, param_min, param_max;
  /* x: luminance in cd/m2, 0..src_peak, to cd/m2, 0..dst_peak. Only called
   * by est_tonemap, with src_peak > dst_peak > 0 and param already
   * resolved and clamped; non-decreasing in x, 0 maps to 0 and src_peak
   * to dst_peak (to rounding). */
  double (*map) (const EstToneParams * p, double x);
} EstToneCurve;

/* Indexed by EstToneCurveId.
 *
 * bt2390: the ITU-R BT.2390 EETF with source and target black 0, in the PQ
 *   domain, P (l) = the PQ signal of l cd/m2 (P (0) = c1^m2, not 0):
 *   e = (P (x) - P (0)) / (P (src_peak) - P (0)), maxLum likewise of
 *   dst_peak, knee KS = (1 + k) maxLum - k; e < KS passes, above it the
 *   report's Hermite spline runs from (KS, KS) with slope 1 to (1, maxLum)
 *   with slope 0; the result is mapped back through the same scale.
 *   param k: knee offset, 0.5..2, default 0.5 = the report's KS = 1.5
 *   maxLum - 0.5 (libplacebo calls it knee offset and defaults to 1); the
 *   spline is monotonic for k >= 0.5. When KS < 0 (dst_peak below about a
 *   third of src_peak in PQ, a few cd/m2) the spline would lift black; it
 *   is then rescaled affinely so that e = 0 maps to 0 and e = 1 to maxLum.
 * bt2446a: the luma tone curve of ITU-R BT.2446 method A applied to
 *   luminance as if it were a grey: Y' = (x / src_peak)^(1 / 2.4), then
 *   the report's steps (log compression with rho_hdr = 1 + 32 (src_peak /
 *   10000)^(1 / 2.4), the three-piece knee, expansion with rho_sdr from
 *   dst_peak) give Y'_sdr, and the result is dst_peak * Y'_sdr^2.4. The
 *   report's chroma correction belongs to the RGB stage, not to this
 *   curve. No knob.
 * hable: Uncharted 2 filmic, h (s) = (s (A s + C B) + D E) / (s (A s + B)
 *   + D F) - E / F with A..F = 0.15, 0.50, 0.10, 0.20, 0.02, 0.30; in
 *   units of dst_peak (s = x / dst_peak, peak = src_peak / dst_peak) the
 *   result is h (s) / h (peak), as FFmpeg's tonemap=hable. No knob.
 * reinhard: s / (s + o) * (peak + o) / peak with o = (1 - c) / c, same
 *   units as hable, as FFmpeg's tonemap=reinhard. param c: contrast,
 *   0.001..0.99, default 0.5.
 * mobius: linear up to s = j, then the Moebius transform through (j, j)
 *   with slope 1 and through (peak, 1), as FFmpeg's tonemap=mobius. param
 *   j: knee in units of dst_peak, 0..0.99, default 0.3.
 * clip: min (x, dst_peak). No knob. */
extern const EstToneCurve est_tone_curves[EST_TONE_CURVE_N];

/* The curve whose name is `name`; NULL when unknown or name is NULL. */
const EstToneCurve *est_tone_curve_find (const char *name);

/* The knob the curve runs with: param, or the default when param is NaN,
 * clamped to [param_min, param_max]. 0 for curves without a knob. */
double est_tone_curve_param (const EstToneCurve * c, double param);

/* Tone maps luminance x (cd/m2) with curve id (an EstToneCurveId below
 * EST_TONE_CURVE_N; others act as clip). When src_peak <= dst_peak (or
 * either is NaN) tone mapping is bypassed: x clamped at 0 only (NaN to 0).
 * Otherwise x is clamped to [0, src_peak], mapped with the knob resolved
 * by est_tone_curve_param, and the result clamped to [0, dst_peak].
 * Returns 0 when dst_peak <= 0. p may not be NULL. */
double est_tonemap (EstToneCurveId id, const EstToneParams * p, double x);

typedef enum
{
  EST_GAMUT_CLIP,
  EST_GAMUT_SOFT,
} EstGamutMode;

/* Saturation, relative to the gamut boundary, up to which EST_GAMUT_SOFT
 * leaves a colour untouched (see est_gamut_map). */
#define EST_GAMUT_SOFT_KNEE 0.8

/* Gamut mapping of linear RGB already converted to the destination
 * primaries and normalised so that 1.0 = the destination peak; w = the
 * destination's luminance weights (est_colour_luminance), summing to 1.
 * Input must be finite. In place; the result is inside [0, 1] per channel.
 *
 * CLIP clamps each channel to 0..1.
 *
 * SOFT keeps luminance (clamped to 0..1) and hue and compresses saturation
 * with a smooth knee. With y = w . rgb, yc = y clamped to 0..1, d = rgb -
 * y (the chroma: w . d = 0), every colour yc + s d, s >= 0, has luminance
 * yc and the same hue; it leaves the gamut at s = 1 / t with
 *   t = max over channels of d_i / (1 - yc) where d_i > 0,
 *                            -d_i / yc     where d_i < 0
 * (t = 0 for grey, infinite when yc is 0 or 1 and d is not 0). t is the
 * colour's saturation relative to the boundary: t <= 1 inside.
 *   - y in 0..1 and t <= K (K = EST_GAMUT_SOFT_KNEE): unchanged, exactly.
 *     This holds in particular whenever every channel is within
 *     [(1 - K) / (2 - K), 1 / (2 - K)] = [1/6, 5/6] for K = 0.8.
 *   - otherwise: rgb = yc + d * f (t) / t, with f (t) = t up to K and
 *     f (t) = K + (1 - K) u / (1 + u), u = (t - K) / (1 - K), above it
 *     (f (t) / t = 0 for infinite t, so the colour becomes the grey yc).
 * f is continuous with a continuous slope at K, increasing, and below 1, so
 * the result is continuous in rgb, monotonic in saturation and inside the
 * gamut; a final clamp to 0..1 only absorbs rounding. */
void est_gamut_map (EstGamutMode mode, const double w[3], double rgb[3]);

#endif
