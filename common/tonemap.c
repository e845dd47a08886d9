/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Tone curves and gamut mapping in double precision, written for clarity:
 * the specification the LUTs of hdrscale.c are built from. The formulas and
 * the choices behind them are documented in tonemap.h. */

#include "tonemap.h"

#include <math.h>
#include <string.h>

#include "colour.h"

/* PQ signal of l cd/m2 */
static double
pq (double l)
{
  return est_transfer_from_linear (EST_TRANSFER_PQ, l / EST_PQ_PEAK);
}

/* The BT.2390 Hermite spline through (ks, ks) with slope 1 and (1, max_lum)
 * with slope 0, at e. */
static double
bt2390_spline (double e, double ks, double max_lum)
{
  double t = (e - ks) / (1.0 - ks), t2 = t * t, t3 = t2 * t;
  return (2.0 * t3 - 3.0 * t2 + 1.0) * ks + (t3 - 2.0 * t2 + t) * (1.0 - ks)
      + (-2.0 * t3 + 3.0 * t2) * max_lum;
}

static double
map_bt2390 (const EstToneParams * p, double x)
{
  double black = pq (0.0), range = pq (p->src_peak) - black;
  double e = (pq (x) - black) / range;
  double max_lum = (pq (p->dst_peak) - black) / range;
  double ks = (1.0 + p->param) * max_lum - p->param;

  if (e >= ks) {
    double lift = ks < 0.0 ? bt2390_spline (0.0, ks, max_lum) : 0.0;
    e = bt2390_spline (e, ks, max_lum);
    /* With the knee below 0 the spline starts above black: rescale it so
     * that 0 stays 0 (it rises strictly, so lift < max_lum). */
    if (ks < 0.0)
      e = max_lum * (e - lift) / (max_lum - lift);
  }
  return EST_PQ_PEAK * est_transfer_to_linear (EST_TRANSFER_PQ,
      e * range + black);
}

static double
bt2446a_rho (double peak)
{
  return 1.0 + 32.0 * pow (peak / 10000.0, 1.0 / 2.4);
}

static double
map_bt2446a (const EstToneParams * p, double x)
{
  double rho_hdr = bt2446a_rho (p->src_peak);
  double rho_sdr = bt2446a_rho (p->dst_peak);
  double y = pow (x / p->src_peak, 1.0 / 2.4);
  double yp = log (1.0 + (rho_hdr - 1.0) * y) / log (rho_hdr);
  double yc;

  if (yp <= 0.7399)
    yc = 1.0770 * yp;
  else if (yp < 0.9909)
    yc = -1.1510 * yp * yp + 2.7811 * yp - 0.6302;
  else
    yc = 0.5 * yp + 0.5;
  y = (pow (rho_sdr, yc) - 1.0) / (rho_sdr - 1.0);
  return p->dst_peak * pow (y, 2.4);
}

static double
hable (double s)
{
  const double a = 0.15, b = 0.50, c = 0.10, d = 0.20, e = 0.02, f = 0.30;
  return (s * (a * s + c * b) + d * e) / (s * (a * s + b) + d * f) - e / f;
}

/* The FFmpeg curves work on s = x / dst_peak against peak = src_peak /
 * dst_peak and return units of dst_peak. */
static double
map_hable (const EstToneParams * p, double x)
{
  double s = x / p->dst_peak, peak = p->src_peak / p->dst_peak;
  return p->dst_peak * hable (s) / hable (peak);
}

static double
map_reinhard (const EstToneParams * p, double x)
{
  double s = x / p->dst_peak, peak = p->src_peak / p->dst_peak;
  double offset = (1.0 - p->param) / p->param;
  return p->dst_peak * s / (s + offset) * (peak + offset) / peak;
}

static double
map_mobius (const EstToneParams * p, double x)
{
  double s = x / p->dst_peak, peak = p->src_peak / p->dst_peak;
  double j = p->param;

  if (s <= j)
    return x;
  /* M (s) = scale (s + a) / (s + b) with M (j) = j, M' (j) = 1 and
   * M (peak) = 1 */
  double a = -j * j * (peak - 1.0) / (j * j - 2.0 * j + peak);
  double b = (j * j - 2.0 * j * peak + peak) / fmax (peak - 1.0, 1e-6);
  double scale = (b * b + 2.0 * b * j + j * j) / (b - a);
  return p->dst_peak * scale * (s + a) / (s + b);
}

static double
map_clip (const EstToneParams * p, double x)
{
  return x < p->dst_peak ? x : p->dst_peak;
}

const EstToneCurve est_tone_curves[EST_TONE_CURVE_N] = {
  [EST_TONE_CURVE_BT2390] = {
        .name = "bt2390",
        .description = "ITU-R BT.2390 EETF (Hermite knee in PQ)",
        .param_desc = "Knee offset (0.5: the report's knee)",
        .param_def = 0.5,.param_min = 0.5,.param_max = 2.0,
        .map = map_bt2390,
      },
  [EST_TONE_CURVE_BT2446A] = {
        .name = "bt2446a",
        .description = "ITU-R BT.2446 method A",
        .map = map_bt2446a,
      },
  [EST_TONE_CURVE_HABLE] = {
        .name = "hable",
        .description = "Filmic (Hable, Uncharted 2)",
        .map = map_hable,
      },
  [EST_TONE_CURVE_REINHARD] = {
        .name = "reinhard",
        .description = "Reinhard",
        .param_desc = "Contrast",
        .param_def = 0.5,.param_min = 0.001,.param_max = 0.99,
        .map = map_reinhard,
      },
  [EST_TONE_CURVE_MOBIUS] = {
        .name = "mobius",
        .description = "Mobius (linear up to a knee)",
        .param_desc = "Knee, relative to the destination peak",
        .param_def = 0.3,.param_min = 0.0,.param_max = 0.99,
        .map = map_mobius,
      },
  [EST_TONE_CURVE_CLIP] = {
        .name = "clip",
        .description = "Hard clip at the destination peak",
        .map = map_clip,
      },
};

const EstToneCurve *
est_tone_curve_find (const char *name)
{
  if (!name)
    return NULL;
  for (int i = 0; i < EST_TONE_CURVE_N; i++)
    if (strcmp (name, est_tone_curves[i].name) == 0)
      return &est_tone_curves[i];
  return NULL;
}

double
est_tone_curve_param (const EstToneCurve * c, double param)
{
  if (!c->param_desc)
    return 0.0;
  if (isnan (param))
    return c->param_def;
  return param < c->param_min ? c->param_min :
      param > c->param_max ? c->param_max : param;
}

double
est_tonemap (EstToneCurveId id, const EstToneParams * p, double x)
{
  if (!(p->dst_peak > 0.0))
    return 0.0;
  x = x > 0.0 ? x : 0.0;
  if (!(p->src_peak > p->dst_peak))
    return x;

  const EstToneCurve *c = &est_tone_curves[(unsigned) id < EST_TONE_CURVE_N ?
      id : EST_TONE_CURVE_CLIP];
  EstToneParams q = *p;
  q.param = est_tone_curve_param (c, p->param);
  x = x < p->src_peak ? x : p->src_peak;

  double y = c->map (&q, x);
  return y > 0.0 ? (y < p->dst_peak ? y : p->dst_peak) : 0.0;
}

void
est_gamut_map (EstGamutMode mode, const double w[3], double rgb[3])
{
  const double k = EST_GAMUT_SOFT_KNEE;

  if (mode == EST_GAMUT_SOFT) {
    double y = w[0] * rgb[0] + w[1] * rgb[1] + w[2] * rgb[2];
    double yc = y > 0.0 ? (y < 1.0 ? y : 1.0) : 0.0;
    double d[3], t = 0.0;

    for (int i = 0; i < 3; i++) {
      double ti = 0.0;
      d[i] = rgb[i] - y;
      /* how far along d the channel reaches its bound, inverted */
      if (d[i] > 0.0)
        ti = yc < 1.0 ? d[i] / (1.0 - yc) : INFINITY;
      else if (d[i] < 0.0)
        ti = yc > 0.0 ? -d[i] / yc : INFINITY;
      t = ti > t ? ti : t;
    }

    if (t <= k && y == yc)
      return;
    double ratio = 1.0;
    if (isinf (t)) {
      ratio = 0.0;
    } else if (t > k) {
      double u = (t - k) / (1.0 - k);
      ratio = (k + (1.0 - k) * u / (1.0 + u)) / t;
    }
    for (int i = 0; i < 3; i++)
      rgb[i] = yc + d[i] * ratio;
  }

  /* CLIP, and rounding for SOFT */
  for (int i = 0; i < 3; i++)
    rgb[i] = rgb[i] > 0.0 ? (rgb[i] < 1.0 ? rgb[i] : 1.0) : 0.0;
}
