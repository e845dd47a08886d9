/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_COLOUR_H
#define EST_COLOUR_H

/* Colour science for esthdrscale, in double precision: the specification
 * that the float32 LUT pipeline (hdrscale.c) is built from and checked
 * against.
 *
 *   code values --range--> Y'CbCr --matrix--> R'G'B' --transfer--> linear
 *   linear --(HLG: OOTF)--> display light --gamut matrix--> other primaries
 *
 * Conventions: linear light is relative, 1.0 = the transfer's nominal peak
 * (SDR reference white for BT1886 and SRGB, 10000 cd/m2 for PQ, the scene
 * peak for HLG); every primaries set shares the D65 white point, so gamut
 * conversion needs no chromatic adaptation. Matrices are row-major,
 * m[row][col], and act on column vectors: out = m * in. */

/* Nominal peak of PQ linear light 1.0, in cd/m2. */
#define EST_PQ_PEAK 10000.0

typedef enum
{
  EST_TRANSFER_BT1886,
  EST_TRANSFER_SRGB,
  EST_TRANSFER_PQ,
  EST_TRANSFER_HLG,
  EST_TRANSFER_LINEAR,
} EstTransfer;

typedef enum
{
  EST_PRIMARIES_BT709,
  EST_PRIMARIES_BT2020,
  EST_PRIMARIES_P3D65,
  EST_PRIMARIES_BT601_625,
  EST_PRIMARIES_BT601_525,
} EstPrimaries;

/* How a side's three components carry R'G'B': Y'CbCr by the matrix of
 * BT.601, BT.709 or BT.2020 (non-constant luminance); or, for
 * EST_MATRIX_RGB, R', G', B' themselves (no matrix), every component
 * normalised with luma's offset and scale (EstRange's y_offset and
 * y_scale: no offset of one half on components 1 and 2). */
typedef enum
{
  EST_MATRIX_BT601,
  EST_MATRIX_BT709,
  EST_MATRIX_BT2020NCL,
  EST_MATRIX_RGB,
} EstMatrix;

/* Non-linear signal v to linear light. v is nominally 0..1; values outside,
 * and NaN, are clamped to 0..1 first (NaN to 0).
 *   BT1886: v^2.4 (black level 0, as zimg does); 1.0 = SDR reference white.
 *   SRGB:   the IEC 61966-2-1 EOTF: v / 12.92 up to v = 0.04045, then
 *           ((v + 0.055) / 1.055)^2.4.
 *   PQ:     the SMPTE ST 2084 EOTF; 1.0 = EST_PQ_PEAK cd/m2.
 *   HLG:    the inverse OETF of ARIB STD-B67 / BT.2100: scene light 0..1,
 *           v^2 / 3 up to v = 0.5, then (exp ((v - c) / a) + b) / 12. No
 *           OOTF: it depends on all three channels (est_hlg_ootf).
 *   LINEAR: v.
 * Returns 0..1, non-decreasing in v. */
double est_transfer_to_linear (EstTransfer t, double v);

/* The exact inverse of est_transfer_to_linear: linear light l (clamped to
 * 0..1 first, NaN to 0) to the signal 0..1. to_linear (from_linear (l)) = l
 * for every l in 0..1, and from_linear (to_linear (v)) = v for every v
 * between from_linear (0) and from_linear (1) (to rounding). Those are 0
 * and 1 except where the standard's constants say otherwise: PQ puts 0
 * cd/m2 at c1^m2 = 7.3e-7 (every signal below decodes to 0), and HLG's
 * rounded a, b, c put scene light 1 at 1 - 5e-9 (every signal above decodes
 * to 1). For SRGB the linear breakpoint is 0.04045 / 12.92 (IEC 61966-2-1
 * rounds it to 0.0031308) so that the two pieces invert each other. */
double est_transfer_from_linear (EstTransfer t, double l);

/* BT.2100 HLG system gamma for a display of nominal peak lw cd/m2.
 * For 400 <= lw <= 2000: 1.2 + 0.42 log10 (lw / 1000) (BT.2100 table 5,
 * note 5f). Outside that range the BT.2390 extended model's growth law
 * (gamma multiplied by 1.111 per doubling of lw) continues from the nearer
 * end, so the result is continuous and increasing in lw and always > 0:
 *   lw < 400:  gamma (400) * 1.111^log2 (lw / 400)
 *   lw > 2000: gamma (2000) * 1.111^log2 (lw / 2000)
 * lw is clamped to 1..EST_PQ_PEAK first (NaN to 1000). */
double est_hlg_gamma (double lw);

/* HLG OOTF (BT.2100) on scene-linear RGB (each 0..1, negative values taken
 * as 0) for a display of nominal peak lw cd/m2 and black level 0:
 *   rgb_out = rgb * ys^(gamma - 1), gamma = est_hlg_gamma (lw),
 *   ys = 0.2627 r + 0.6780 g + 0.0593 b (BT.2020 luminance: HLG is defined
 *   on BT.2020 primaries).
 * The result is display light in units of lw (1.0 = lw cd/m2); a grey
 * stays 0..1, a saturated colour may exceed 1 when gamma < 1. Black stays
 * black. In place. */
void est_hlg_ootf (double rgb[3], double lw);

/* The exact inverse of est_hlg_ootf: display light in units of lw
 * (negative values taken as 0) to scene-linear RGB:
 *   yd = the BT.2020 luminance of rgb, rgb_out = rgb * yd^((1 - gamma) /
 *   gamma). In place. */
void est_hlg_inverse_ootf (double rgb[3], double lw);

/* The 3x3 matrix from linear RGB of primaries p (white D65) to CIE XYZ
 * (Y = 1 for RGB white), computed from the primaries' xy chromaticities
 * and the D65 white point (x 0.3127, y 0.3290): the columns are the
 * primaries' XYZ (x / y, 1, (1 - x - y) / y), each scaled so that they sum
 * to the white point's XYZ. */
void est_colour_rgb_to_xyz (EstPrimaries p, double m[3][3]);

/* Linear RGB of primaries src to linear RGB of primaries dst:
 * inverse (rgb_to_xyz (dst)) * rgb_to_xyz (src). All primaries share D65,
 * so white maps to white. Exactly the identity when src == dst. */
void est_colour_gamut_matrix (EstPrimaries src, EstPrimaries dst,
    double m[3][3]);

/* Luminance weights of linear RGB of primaries p: the Y row of
 * est_colour_rgb_to_xyz. w[0] + w[1] + w[2] = 1 (to rounding). */
void est_colour_luminance (EstPrimaries p, double w[3]);

/* Kr and Kb of the Y'CbCr matrix m, as the standards tabulate them:
 * BT601 0.299 / 0.114, BT709 0.2126 / 0.0722, BT2020NCL 0.2627 / 0.0593.
 * Kg = 1 - Kr - Kb. EST_MATRIX_RGB has none: BT709's are returned. Neither
 * pointer may be NULL. */
void est_colour_matrix_coeffs (EstMatrix m, double *kr, double *kb);

/* Y'CbCr (Y' 0..1, Cb and Cr -0.5..0.5) to R'G'B' (0..1): out * (Y', Cb,
 * Cr) = (R', G', B'), in closed form:
 *   R' = Y' + 2 (1 - Kr) Cr, B' = Y' + 2 (1 - Kb) Cb,
 *   G' = Y' - 2 Kb (1 - Kb) / Kg Cb - 2 Kr (1 - Kr) / Kg Cr.
 * EST_MATRIX_RGB: the identity (the input is R'G'B' already). */
void est_colour_ycbcr_to_rgb (EstMatrix m, double out[3][3]);

/* R'G'B' to Y'CbCr, the inverse of est_colour_ycbcr_to_rgb:
 *   Y' = Kr R' + Kg G' + Kb B', Cb = (B' - Y') / (2 (1 - Kb)),
 *   Cr = (R' - Y') / (2 (1 - Kr)).
 * EST_MATRIX_RGB: the identity. */
void est_colour_rgb_to_ycbcr (EstMatrix m, double out[3][3]);

/* Code-value normalisation (ITU-T H.273, BT.709, BT.2100):
 *   Y' = (code - y_offset) / y_scale, Cb = (code - c_offset) / c_scale,
 * and the same for R'G'B' codes (EST_MATRIX_RGB) with the Y' values on all
 * three: full range 0..2^d - 1, limited 16..235 (scaled to the depth). */
typedef struct
{
  double y_offset, y_scale, c_offset, c_scale;
} EstRange;

/* The EstRange of `depth` bits (8..16; clamped to that range) and full
 * (non-zero) or limited (0) range:
 *   limited: y_offset 16 << (d - 8), y_scale 219 << (d - 8),
 *            c_offset 1 << (d - 1), c_scale 224 << (d - 8);
 *   full:    y_offset 0, y_scale 2^d - 1, c_offset 1 << (d - 1),
 *            c_scale 2^d - 1.
 * r may not be NULL. */
void est_colour_range (int depth, int full_range, EstRange * r);

/* out = a * b. out may alias a or b. */
void est_mat3_mul (const double a[3][3], const double b[3][3],
    double out[3][3]);

/* out = the inverse of a, by cofactors. Returns 1, or 0 when a is singular
 * (determinant 0 or not finite), leaving out untouched. out may alias a. */
int est_mat3_invert (const double a[3][3], double out[3][3]);

/* v_out = m * v. v_out may alias v. */
void est_mat3_apply (const double m[3][3], const double v[3], double v_out[3]);

#endif
