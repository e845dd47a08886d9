/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Colour science in double precision, written for clarity: this is the
 * specification the LUTs of hdrscale.c are built from. */

#include "colour.h"

#include <math.h>
#include <string.h>

/* SMPTE ST 2084 */
#define PQ_M1 (2610.0 / 16384.0)
#define PQ_M2 (2523.0 / 4096.0 * 128.0)
#define PQ_C1 (3424.0 / 4096.0)
#define PQ_C2 (2413.0 / 4096.0 * 32.0)
#define PQ_C3 (2392.0 / 4096.0 * 32.0)

/* ARIB STD-B67 / BT.2100 HLG */
#define HLG_A 0.17883277
#define HLG_B (1.0 - 4.0 * HLG_A)
#define HLG_C (0.5 - HLG_A * log (4.0 * HLG_A))

/* IEC 61966-2-1 */
#define SRGB_V_KNEE 0.04045
#define SRGB_L_KNEE (SRGB_V_KNEE / 12.92)

/* BT.2020 luminance, on which HLG's OOTF is defined. */
static const double hlg_luma[3] = { 0.2627, 0.6780, 0.0593 };

/* 0..1, NaN to 0 */
static double
clamp01 (double v)
{
  return v > 0.0 ? (v < 1.0 ? v : 1.0) : 0.0;
}

static double
pq_to_linear (double v)
{
  double p = pow (v, 1.0 / PQ_M2);
  double num = p - PQ_C1;
  if (num <= 0.0)
    return 0.0;
  return pow (num / (PQ_C2 - PQ_C3 * p), 1.0 / PQ_M1);
}

static double
pq_from_linear (double l)
{
  double p = pow (l, PQ_M1);
  return pow ((PQ_C1 + PQ_C2 * p) / (1.0 + PQ_C3 * p), PQ_M2);
}

static double
hlg_to_linear (double v)
{
  if (v <= 0.5)
    return v * v / 3.0;
  return (exp ((v - HLG_C) / HLG_A) + HLG_B) / 12.0;
}

static double
hlg_from_linear (double l)
{
  if (l <= 1.0 / 12.0)
    return sqrt (3.0 * l);
  return HLG_A * log (12.0 * l - HLG_B) + HLG_C;
}

double
est_transfer_to_linear (EstTransfer t, double v)
{
  v = clamp01 (v);
  switch (t) {
    case EST_TRANSFER_BT1886:
      return pow (v, 2.4);
    case EST_TRANSFER_SRGB:
      if (v <= SRGB_V_KNEE)
        return v / 12.92;
      return pow ((v + 0.055) / 1.055, 2.4);
    case EST_TRANSFER_PQ:
      /* v = 1 lands a rounding error away from 1 */
      return clamp01 (pq_to_linear (v));
    case EST_TRANSFER_HLG:
      return clamp01 (hlg_to_linear (v));
    case EST_TRANSFER_LINEAR:
    default:
      return v;
  }
}

double
est_transfer_from_linear (EstTransfer t, double l)
{
  l = clamp01 (l);
  switch (t) {
    case EST_TRANSFER_BT1886:
      return pow (l, 1.0 / 2.4);
    case EST_TRANSFER_SRGB:
      if (l <= SRGB_L_KNEE)
        return l * 12.92;
      return 1.055 * pow (l, 1.0 / 2.4) - 0.055;
    case EST_TRANSFER_PQ:
      return clamp01 (pq_from_linear (l));
    case EST_TRANSFER_HLG:
      return clamp01 (hlg_from_linear (l));
    case EST_TRANSFER_LINEAR:
    default:
      return l;
  }
}

static double
hlg_gamma_2100 (double lw)
{
  return 1.2 + 0.42 * log10 (lw / 1000.0);
}

double
est_hlg_gamma (double lw)
{
  if (isnan (lw))
    lw = 1000.0;
  lw = lw < 1.0 ? 1.0 : lw > EST_PQ_PEAK ? EST_PQ_PEAK : lw;
  /* BT.2390's extended model grows gamma by 1.111 per doubling of the
   * peak; continuing it from the ends of BT.2100's range keeps gamma
   * continuous, so a peak of 399 and 401 cd/m2 render alike. */
  if (lw < 400.0)
    return hlg_gamma_2100 (400.0) * pow (1.111, log2 (lw / 400.0));
  if (lw > 2000.0)
    return hlg_gamma_2100 (2000.0) * pow (1.111, log2 (lw / 2000.0));
  return hlg_gamma_2100 (lw);
}

/* Scales rgb (negative values taken as 0) by y^e, y its BT.2020
 * luminance; black stays black. */
static void
scale_by_luminance_power (double rgb[3], double e)
{
  double y = 0.0;
  for (int i = 0; i < 3; i++) {
    rgb[i] = rgb[i] > 0.0 ? rgb[i] : 0.0;
    y += hlg_luma[i] * rgb[i];
  }
  double s = y > 0.0 ? pow (y, e) : 0.0;
  for (int i = 0; i < 3; i++)
    rgb[i] *= s;
}

void
est_hlg_ootf (double rgb[3], double lw)
{
  scale_by_luminance_power (rgb, est_hlg_gamma (lw) - 1.0);
}

void
est_hlg_inverse_ootf (double rgb[3], double lw)
{
  /* The OOTF turns scene luminance ys into yd = ys^gamma, so the scene is
   * rgb_d * ys^(1 - gamma) with ys = yd^(1 / gamma). */
  double gamma = est_hlg_gamma (lw);
  scale_by_luminance_power (rgb, (1.0 - gamma) / gamma);
}

typedef struct
{
  double x, y;
} Chromaticity;

/* R, G, B */
static const Chromaticity primaries_xy[][3] = {
  [EST_PRIMARIES_BT709] = {{0.640, 0.330}, {0.300, 0.600}, {0.150, 0.060}},
  [EST_PRIMARIES_BT2020] = {{0.708, 0.292}, {0.170, 0.797}, {0.131, 0.046}},
  [EST_PRIMARIES_P3D65] = {{0.680, 0.320}, {0.265, 0.690}, {0.150, 0.060}},
  [EST_PRIMARIES_BT601_625] = {{0.640, 0.330}, {0.290, 0.600}, {0.150,
          0.060}},
  [EST_PRIMARIES_BT601_525] = {{0.630, 0.340}, {0.310, 0.595}, {0.155,
          0.070}},
};

static const Chromaticity white_d65 = { 0.3127, 0.3290 };

/* XYZ with Y = 1 */
static void
xy_to_xyz (Chromaticity c, double xyz[3])
{
  xyz[0] = c.x / c.y;
  xyz[1] = 1.0;
  xyz[2] = (1.0 - c.x - c.y) / c.y;
}

void
est_colour_rgb_to_xyz (EstPrimaries p, double m[3][3])
{
  double prim[3][3], inv[3][3], white[3], s[3];

  if ((unsigned) p >= sizeof (primaries_xy) / sizeof (primaries_xy[0]))
    p = EST_PRIMARIES_BT709;
  for (int c = 0; c < 3; c++) {
    double xyz[3];
    xy_to_xyz (primaries_xy[p][c], xyz);
    for (int r = 0; r < 3; r++)
      prim[r][c] = xyz[r];
  }
  /* Scale each primary so that R = G = B = 1 is the white point. The
   * chromaticities of real primaries are never collinear. */
  xy_to_xyz (white_d65, white);
  est_mat3_invert (prim, inv);
  est_mat3_apply (inv, white, s);
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++)
      m[r][c] = prim[r][c] * s[c];
}

static void
identity (double out[3][3])
{
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++)
      out[r][c] = r == c ? 1.0 : 0.0;
}

void
est_colour_gamut_matrix (EstPrimaries src, EstPrimaries dst, double m[3][3])
{
  double to_xyz[3][3], from_xyz[3][3];

  if (src == dst) {
    identity (m);
    return;
  }
  est_colour_rgb_to_xyz (src, to_xyz);
  est_colour_rgb_to_xyz (dst, from_xyz);
  est_mat3_invert (from_xyz, from_xyz);
  est_mat3_mul (from_xyz, to_xyz, m);
}

void
est_colour_luminance (EstPrimaries p, double w[3])
{
  double m[3][3];
  est_colour_rgb_to_xyz (p, m);
  for (int c = 0; c < 3; c++)
    w[c] = m[1][c];
}

void
est_colour_matrix_coeffs (EstMatrix m, double *kr, double *kb)
{
  switch (m) {
    case EST_MATRIX_BT601:
      *kr = 0.299;
      *kb = 0.114;
      break;
    case EST_MATRIX_BT2020NCL:
      *kr = 0.2627;
      *kb = 0.0593;
      break;
    case EST_MATRIX_BT709:
    default:
      *kr = 0.2126;
      *kb = 0.0722;
      break;
  }
}

void
est_colour_ycbcr_to_rgb (EstMatrix m, double out[3][3])
{
  double kr, kb, kg;

  if (m == EST_MATRIX_RGB) {
    identity (out);
    return;
  }
  est_colour_matrix_coeffs (m, &kr, &kb);
  kg = 1.0 - kr - kb;

  out[0][0] = 1.0;
  out[0][1] = 0.0;
  out[0][2] = 2.0 * (1.0 - kr);
  out[1][0] = 1.0;
  out[1][1] = -2.0 * kb * (1.0 - kb) / kg;
  out[1][2] = -2.0 * kr * (1.0 - kr) / kg;
  out[2][0] = 1.0;
  out[2][1] = 2.0 * (1.0 - kb);
  out[2][2] = 0.0;
}

void
est_colour_rgb_to_ycbcr (EstMatrix m, double out[3][3])
{
  double kr, kb, kg;

  if (m == EST_MATRIX_RGB) {
    identity (out);
    return;
  }
  est_colour_matrix_coeffs (m, &kr, &kb);
  kg = 1.0 - kr - kb;

  out[0][0] = kr;
  out[0][1] = kg;
  out[0][2] = kb;
  /* Cb = (B' - Y') / (2 (1 - Kb)) */
  out[1][0] = -kr / (2.0 * (1.0 - kb));
  out[1][1] = -kg / (2.0 * (1.0 - kb));
  out[1][2] = 0.5;
  /* Cr = (R' - Y') / (2 (1 - Kr)) */
  out[2][0] = 0.5;
  out[2][1] = -kg / (2.0 * (1.0 - kr));
  out[2][2] = -kb / (2.0 * (1.0 - kr));
}

void
est_colour_range (int depth, int full_range, EstRange * r)
{
  int d = depth < 8 ? 8 : depth > 16 ? 16 : depth;
  double max = ldexp (1.0, d) - 1.0;

  r->c_offset = ldexp (1.0, d - 1);
  if (full_range) {
    r->y_offset = 0.0;
    r->y_scale = max;
    r->c_scale = max;
  } else {
    r->y_offset = ldexp (16.0, d - 8);
    r->y_scale = ldexp (219.0, d - 8);
    r->c_scale = ldexp (224.0, d - 8);
  }
}

void
est_mat3_mul (const double a[3][3], const double b[3][3], double out[3][3])
{
  double t[3][3];
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++)
      t[r][c] = a[r][0] * b[0][c] + a[r][1] * b[1][c] + a[r][2] * b[2][c];
  memcpy (out, t, sizeof (t));
}

int
est_mat3_invert (const double a[3][3], double out[3][3])
{
  double t[3][3];

  t[0][0] = a[1][1] * a[2][2] - a[1][2] * a[2][1];
  t[0][1] = a[0][2] * a[2][1] - a[0][1] * a[2][2];
  t[0][2] = a[0][1] * a[1][2] - a[0][2] * a[1][1];
  t[1][0] = a[1][2] * a[2][0] - a[1][0] * a[2][2];
  t[1][1] = a[0][0] * a[2][2] - a[0][2] * a[2][0];
  t[1][2] = a[0][2] * a[1][0] - a[0][0] * a[1][2];
  t[2][0] = a[1][0] * a[2][1] - a[1][1] * a[2][0];
  t[2][1] = a[0][1] * a[2][0] - a[0][0] * a[2][1];
  t[2][2] = a[0][0] * a[1][1] - a[0][1] * a[1][0];

  double det = a[0][0] * t[0][0] + a[0][1] * t[1][0] + a[0][2] * t[2][0];
  if (det == 0.0 || !isfinite (det))
    return 0;
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++)
      out[r][c] = t[r][c] / det;
  return 1;
}

void
est_mat3_apply (const double m[3][3], const double v[3], double v_out[3])
{
  double t[3];
  for (int r = 0; r < 3; r++)
    t[r] = m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2];
  v_out[0] = t[0];
  v_out[1] = t[1];
  v_out[2] = t[2];
}
