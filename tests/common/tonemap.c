/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Properties of common/tonemap: every curve finite, monotonic, 0 to 0 and
 * the source peak to the destination peak for several peak pairs and
 * knobs; the bypass when the source is not brighter; the one clamp; hable,
 * reinhard and mobius against a transcription of FFmpeg's vf_tonemap
 * formulas; bt2390 against values computed from the report's equations;
 * and the gamut mappers: in-gamut colours untouched, output inside the
 * gamut, hue and luminance kept, continuity. */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colour.h"
#include "tonemap.h"

static int failures;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
      failures++; \
      printf ("FAIL %s:%d: ", __func__, __LINE__); \
      printf (__VA_ARGS__); \
      printf ("\n"); \
    } \
  } while (0)

#define CHECK_CLOSE(a, b, tol, what) \
  CHECK (fabs ((a) - (b)) <= (tol), "%s: %.12g vs %.12g (tolerance %g)", \
      what, (double) (a), (double) (b), (double) (tol))

static uint64_t rng_state;

/* uniform in [0, 1), xorshift64*, fixed seed per test */
static double
rnd (void)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double) ((rng_state * 0x2545F4914F6CDD1DULL) >> 11) /
      9007199254740992.0;
}

static const double peak_pairs[][2] = {
  {1000, 203}, {4000, 1000}, {10000, 100}, {1100, 203}, {1000, 100},
  {10000, 5}, {204, 203},
};

#define N_PAIRS (sizeof (peak_pairs) / sizeof (peak_pairs[0]))

static void
test_table (void)
{
  const char *names[EST_TONE_CURVE_N] = {
    "bt2390", "bt2446a", "hable", "reinhard", "mobius", "clip",
  };
  for (int i = 0; i < EST_TONE_CURVE_N; i++) {
    const EstToneCurve *c = &est_tone_curves[i];
    CHECK (c->name && strcmp (c->name, names[i]) == 0, "curve %d name", i);
    CHECK (c->description && c->description[0], "%s: description", c->name);
    CHECK (c->map != NULL, "%s: map", c->name);
    CHECK (est_tone_curve_find (names[i]) == c, "find %s", names[i]);
    if (c->param_desc) {
      CHECK (c->param_min <= c->param_def && c->param_def <= c->param_max
          && c->param_min < c->param_max, "%s: knob range", c->name);
      CHECK (est_tone_curve_param (c, NAN) == c->param_def, "%s: default",
          c->name);
      CHECK (est_tone_curve_param (c, -1e9) == c->param_min, "%s: min",
          c->name);
      CHECK (est_tone_curve_param (c, 1e9) == c->param_max, "%s: max", c->name);
    } else {
      CHECK (est_tone_curve_param (c, 0.7) == 0.0, "%s: no knob", c->name);
    }
  }
  CHECK (est_tone_curve_find ("nope") == NULL, "unknown name");
  CHECK (est_tone_curve_find ("") == NULL, "empty name");
  CHECK (est_tone_curve_find (NULL) == NULL, "NULL name");
  CHECK (est_tone_curves[EST_TONE_CURVE_BT2390].param_def == 0.5,
      "bt2390 default is the report's knee");
  CHECK (est_tone_curves[EST_TONE_CURVE_REINHARD].param_def == 0.5,
      "reinhard default contrast");
  CHECK (est_tone_curves[EST_TONE_CURVE_MOBIUS].param_def == 0.3,
      "mobius default knee");
}

/* Every curve, every peak pair, knob at min, default and max: finite and
 * within 0..dst_peak, non-decreasing over a 20001-point sweep (tolerance
 * 1e-12 dst_peak for rounding), 0 to 0 (1e-9 dst_peak), src_peak to
 * dst_peak (1e-9 dst_peak; clip: to dst_peak exactly). */
static void
test_curves_monotonic (void)
{
  const int n = 20000;
  for (int id = 0; id < EST_TONE_CURVE_N; id++) {
    const EstToneCurve *c = &est_tone_curves[id];
    for (size_t k = 0; k < N_PAIRS; k++) {
      for (int knob = 0; knob < 3; knob++) {
        EstToneParams p = {.src_peak = peak_pairs[k][0],
          .dst_peak = peak_pairs[k][1],
          .param = knob == 0 ? NAN : knob == 1 ? -1e9 : 1e9
        };
        double tol = 1e-12 * p.dst_peak, prev = 0.0;
        for (int i = 0; i <= n; i++) {
          double x = p.src_peak * i / n;
          double y = est_tonemap (id, &p, x);
          CHECK (isfinite (y) && y >= 0.0 && y <= p.dst_peak,
              "%s %g->%g: %g -> %g", c->name, p.src_peak, p.dst_peak, x, y);
          CHECK (y >= prev - tol, "%s %g->%g knob %d: not monotonic at %g: "
              "%.15g after %.15g", c->name, p.src_peak, p.dst_peak, knob, x,
              y, prev);
          prev = y;
        }
        double y0 = est_tonemap (id, &p, 0.0);
        double y1 = est_tonemap (id, &p, p.src_peak);
        CHECK (y0 <= 1e-9 * p.dst_peak, "%s %g->%g: 0 -> %g", c->name,
            p.src_peak, p.dst_peak, y0);
        CHECK (fabs (y1 - p.dst_peak) <= 1e-9 * p.dst_peak, "%s %g->%g: "
            "peak -> %.15g", c->name, p.src_peak, p.dst_peak, y1);
        /* the raw curve, before est_tonemap's clamp, already stays in
         * range */
        EstToneParams q = p;
        q.param = est_tone_curve_param (c, p.param);
        double raw = c->map (&q, p.src_peak);
        CHECK (raw <= p.dst_peak * (1 + 1e-9) && c->map (&q, 0.0) >= -1e-9,
            "%s: raw peak %.15g", c->name, raw);
      }
    }
  }
}

/* src_peak <= dst_peak: x comes back unchanged, whatever the curve; only
 * negative x (and NaN) are clamped, to 0. */
static void
test_bypass (void)
{
  const double pairs[][2] = { {203, 203}, {1000, 1000}, {100, 203},
  {1000, 4000}
  };
  for (int id = 0; id < EST_TONE_CURVE_N; id++) {
    for (size_t k = 0; k < sizeof (pairs) / sizeof (pairs[0]); k++) {
      EstToneParams p = {.src_peak = pairs[k][0],.dst_peak = pairs[k][1],
        .param = NAN
      };
      for (double x = 0.0; x <= 2.0 * pairs[k][1]; x += 0.37)
        CHECK (est_tonemap (id, &p, x) == x, "curve %d, %g->%g: %g -> %g",
            id, p.src_peak, p.dst_peak, x, est_tonemap (id, &p, x));
      CHECK (est_tonemap (id, &p, -5.0) == 0.0, "negative");
      CHECK (est_tonemap (id, &p, NAN) == 0.0, "NaN");
    }
  }
}

static void
test_one_clamp (void)
{
  for (int id = 0; id < EST_TONE_CURVE_N; id++) {
    const EstToneCurve *c = &est_tone_curves[id];
    EstToneParams p = {.src_peak = 1000,.dst_peak = 203,.param = NAN };
    EstToneParams q = p;
    double peak = est_tonemap (id, &p, 1000.0);
    CHECK (est_tonemap (id, &p, 5000.0) == peak, "%s: above src_peak", c->name);
    CHECK (est_tonemap (id, &p, -1.0) == est_tonemap (id, &p, 0.0),
        "%s: negative", c->name);
    CHECK (est_tonemap (id, &p, NAN) == est_tonemap (id, &p, 0.0),
        "%s: NaN", c->name);
    if (!c->param_desc)
      continue;
    q.param = c->param_def;
    CHECK (est_tonemap (id, &p, 300.0) == est_tonemap (id, &q, 300.0),
        "%s: NaN knob is the default", c->name);
    p.param = c->param_max + 5;
    q.param = c->param_max;
    CHECK (est_tonemap (id, &p, 300.0) == est_tonemap (id, &q, 300.0),
        "%s: knob clamped to max", c->name);
    p.param = c->param_min - 5;
    q.param = c->param_min;
    CHECK (est_tonemap (id, &p, 300.0) == est_tonemap (id, &q, 300.0),
        "%s: knob clamped to min", c->name);
    /* the knob does something */
    q.param = c->param_max;
    p.param = c->param_def;
    CHECK (est_tonemap (id, &p, 300.0) != est_tonemap (id, &q, 300.0),
        "%s: knob ignored", c->name);
  }
  EstToneParams bad = {.src_peak = 1000,.dst_peak = 0,.param = NAN };
  CHECK (est_tonemap (EST_TONE_CURVE_HABLE, &bad, 5.0) == 0.0, "dst_peak 0");
  EstToneParams ok = {.src_peak = 1000,.dst_peak = 100,.param = NAN };
  CHECK (est_tonemap ((EstToneCurveId) 99, &ok, 500.0) == 100.0,
      "unknown id acts as clip");
}

/* FFmpeg's libavfilter/vf_tonemap.c, transcribed in double: sig is the
 * signal relative to the destination white (x / dst_peak), peak the source
 * peak in the same units; init () turns the reinhard contrast into the
 * offset (1 - param) / param. */
static double
ff_hable (double in)
{
  double a = 0.15, b = 0.50, c = 0.10, d = 0.20, e = 0.02, f = 0.30;
  return (in * (in * a + b * c) + d * e) / (in * (in * a + b) + d * f) - e / f;
}

static double
ff_mobius (double in, double j, double peak)
{
  double a, b;
  if (in <= j)
    return in;
  a = -j * j * (peak - 1.0) / (j * j - 2.0 * j + peak);
  b = (j * j - 2.0 * j * peak + peak) / fmax (peak - 1.0, 1e-6);
  return (b * b + 2.0 * b * j + j * j) / (b - a) * (in + a) / (in + b);
}

static double
ff_reinhard (double sig, double param, double peak)
{
  double offset = (1.0 - param) / param;
  return sig / (sig + offset) * (peak + offset) / peak;
}

static void
test_matches_ffmpeg (void)
{
  const double knobs[] = { 0.05, 0.3, 0.5, 0.8, 0.99 };
  for (size_t k = 0; k < N_PAIRS; k++) {
    double src = peak_pairs[k][0], dst = peak_pairs[k][1], peak = src / dst;
    for (int i = 0; i <= 1000; i++) {
      double x = src * i / 1000.0, sig = x / dst;
      EstToneParams p = {.src_peak = src,.dst_peak = dst,.param = NAN };
      CHECK_CLOSE (est_tonemap (EST_TONE_CURVE_HABLE, &p, x) / dst,
          ff_hable (sig) / ff_hable (peak), 1e-9, "hable");
      for (size_t j = 0; j < sizeof (knobs) / sizeof (knobs[0]); j++) {
        p.param = knobs[j];
        CHECK_CLOSE (est_tonemap (EST_TONE_CURVE_REINHARD, &p, x) / dst,
            ff_reinhard (sig, knobs[j], peak), 1e-9, "reinhard");
        CHECK_CLOSE (est_tonemap (EST_TONE_CURVE_MOBIUS, &p, x) / dst,
            ff_mobius (sig, knobs[j], peak), 1e-9, "mobius");
      }
      /* FFmpeg's defaults: mobius 0.3, reinhard offset 1 (contrast 0.5) */
      p.param = NAN;
      CHECK_CLOSE (est_tonemap (EST_TONE_CURVE_MOBIUS, &p, x) / dst,
          ff_mobius (sig, 0.3, peak), 1e-9, "mobius default");
      CHECK_CLOSE (est_tonemap (EST_TONE_CURVE_REINHARD, &p, x) / dst,
          sig / (sig + 1.0) * (peak + 1.0) / peak, 1e-9, "reinhard default");
      CHECK_CLOSE (est_tonemap (EST_TONE_CURVE_CLIP, &p, x), fmin (x, dst),
          0.0, "clip");
    }
  }
}

/* ITU-R BT.2390 EETF (section 5.4.1, LB = LMIN = 0, KS = 1.5 maxLum -
 * 0.5), evaluated with the report's equations in an independent float64
 * script; cd/m2, tolerance 1e-6. */
static void
test_bt2390_report_values (void)
{
  const struct
  {
    double src, dst, x, y;
  } cases[] = {
    {1000, 100, 10, 10.0},      /* below the knee: unchanged */
    {1000, 100, 100, 69.4544030357},
    {1000, 100, 203, 88.2436405386},
    {1000, 100, 500, 98.9468713182},
    {1000, 100, 1000, 100.0},
    {4000, 1000, 203, 203.0},
    {4000, 1000, 500, 499.9996517465},
    {1000, 203, 100, 99.3610905499},
    {1000, 203, 203, 159.0418654595},
    {1000, 203, 500, 198.8560089486},
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
    EstToneParams p = {.src_peak = cases[i].src,.dst_peak = cases[i].dst,
      .param = NAN
    };
    double y = est_tonemap (EST_TONE_CURVE_BT2390, &p, cases[i].x);
    CHECK (fabs (y - cases[i].y) <= 1e-6, "%g->%g: %g -> %.10f, report "
        "%.10f", cases[i].src, cases[i].dst, cases[i].x, y, cases[i].y);
  }

  /* a higher knee offset starts compressing earlier */
  EstToneParams a = {.src_peak = 1000,.dst_peak = 203,.param = 0.5 };
  EstToneParams b = {.src_peak = 1000,.dst_peak = 203,.param = 2.0 };
  CHECK (est_tonemap (EST_TONE_CURVE_BT2390, &b, 100.0) <
      est_tonemap (EST_TONE_CURVE_BT2390, &a, 100.0), "knee offset");

  /* knee below 0 (10000 -> 5 cd/m2): still 0 to 0, rescaled */
  EstToneParams dim = {.src_peak = 10000,.dst_peak = 5,.param = NAN };
  CHECK (est_tonemap (EST_TONE_CURVE_BT2390, &dim, 0.0) == 0.0, "dim black");
  CHECK (est_tonemap (EST_TONE_CURVE_BT2390, &dim, 1.0) > 0.0, "dim 1");
}

/* ITU-R BT.2446 method A's luma curve (section 5.1.1, steps 1 to 4) on a
 * grey, evaluated with the report's equations in an independent float64
 * script: each of the three segments of the knee is hit (Y'p 0.20, 0.58:
 * linear; 0.77, 0.90, 0.74: quadratic; 0.9985: the top line). cd/m2,
 * tolerance 1e-6. */
static void
test_bt2446a (void)
{
  const struct
  {
    double src, dst, x, y;
  } cases[] = {
    {1000, 100, 1, 0.3837022961},
    {1000, 100, 50, 12.6484206875},
    {1000, 100, 203, 40.5953434933},
    {1000, 100, 500, 73.1492689727},
    {1000, 100, 990, 99.6213765589},
    {4000, 1000, 203, 109.0431934854},
    {4000, 1000, 500, 251.3692536089},
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
    EstToneParams q = {.src_peak = cases[i].src,.dst_peak = cases[i].dst,
      .param = NAN
    };
    double y = est_tonemap (EST_TONE_CURVE_BT2446A, &q, cases[i].x);
    CHECK (fabs (y - cases[i].y) <= 1e-6, "%g->%g: %g -> %.10f, report "
        "%.10f", cases[i].src, cases[i].dst, cases[i].x, y, cases[i].y);
  }

  /* at its design point (1000 -> 100 cd/m2) it compresses highlights
   * harder than shadows */
  EstToneParams p = {.src_peak = 1000,.dst_peak = 100,.param = NAN };
  double y_low = est_tonemap (EST_TONE_CURVE_BT2446A, &p, 1.0);
  double y_high = est_tonemap (EST_TONE_CURVE_BT2446A, &p, 900.0);
  CHECK (y_low / 1.0 > y_high / 900.0, "shadows %g highlights %g", y_low,
      y_high);
  CHECK (est_tonemap (EST_TONE_CURVE_BT2446A, &p, 1000.0) == 100.0, "peak");
}

static double
luminance (const double w[3], const double rgb[3])
{
  return w[0] * rgb[0] + w[1] * rgb[1] + w[2] * rgb[2];
}

/* The saturation relative to the gamut boundary, as tonemap.h defines it,
 * for a colour of luminance y in (0, 1). */
static double
boundary_ratio (const double w[3], const double rgb[3])
{
  double y = luminance (w, rgb), t = 0;
  for (int i = 0; i < 3; i++) {
    double d = rgb[i] - y;
    t = fmax (t, d > 0 ? d / (1 - y) : -d / y);
  }
  return t;
}

static int
inside (const double rgb[3])
{
  for (int i = 0; i < 3; i++)
    if (!(rgb[i] >= 0.0 && rgb[i] <= 1.0))
      return 0;
  return 1;
}

/* In-gamut colours: CLIP never changes them; SOFT leaves alone every one
 * whose boundary ratio is at most EST_GAMUT_SOFT_KNEE (0.8), which
 * includes every colour with all channels in [1/6, 5/6], and moves the
 * others only inward. */
static void
test_gamut_in_gamut_unchanged (void)
{
  double w[3];
  int soft_untouched = 0;
  est_colour_luminance (EST_PRIMARIES_BT709, w);
  rng_state = 3;
  for (int i = 0; i < 100000; i++) {
    double in[3], a[3], b[3];
    int mid = i % 2;
    for (int c = 0; c < 3; c++)
      in[c] = mid ? 1.0 / 6.0 + rnd () * (4.0 / 6.0) : rnd ();
    memcpy (a, in, sizeof (a));
    memcpy (b, in, sizeof (b));
    est_gamut_map (EST_GAMUT_CLIP, w, a);
    est_gamut_map (EST_GAMUT_SOFT, w, b);
    CHECK (memcmp (a, in, sizeof (a)) == 0, "clip changed an in-gamut "
        "colour");
    double t = boundary_ratio (w, in);
    if (mid || t <= EST_GAMUT_SOFT_KNEE) {
      CHECK (memcmp (b, in, sizeof (b)) == 0, "soft changed %g %g %g "
          "(ratio %g)", in[0], in[1], in[2], t);
      soft_untouched++;
    } else {
      CHECK (inside (b) && boundary_ratio (w, b) < t, "soft moved "
          "%g %g %g outward", in[0], in[1], in[2]);
    }
  }
  CHECK (soft_untouched > 60000, "only %d untouched", soft_untouched);
}

/* Saturated BT.2020 colours (one channel 0, up to 1.5x the peak) in
 * BT.709: out of gamut; both modes bring them inside; SOFT keeps the
 * luminance (when it was in 0..1) and the chroma direction. Tolerances
 * 1e-12. */
static void
test_gamut_out_of_gamut (void)
{
  double m[3][3], w[3];
  int outside = 0;
  est_colour_gamut_matrix (EST_PRIMARIES_BT2020, EST_PRIMARIES_BT709, m);
  est_colour_luminance (EST_PRIMARIES_BT709, w);
  rng_state = 4;
  for (int i = 0; i < 100000; i++) {
    double src[3], in[3], a[3], b[3];
    double gain = i % 3 == 0 ? 1.5 : 1.0;
    for (int c = 0; c < 3; c++)
      src[c] = gain * rnd ();
    src[i % 3] = 0.0;
    est_mat3_apply (m, src, in);
    outside += !inside (in);
    memcpy (a, in, sizeof (a));
    memcpy (b, in, sizeof (b));
    est_gamut_map (EST_GAMUT_CLIP, w, a);
    est_gamut_map (EST_GAMUT_SOFT, w, b);
    CHECK (inside (a), "clip: %g %g %g", a[0], a[1], a[2]);
    CHECK (inside (b), "soft: %g %g %g", b[0], b[1], b[2]);

    double y = luminance (w, in), yb = luminance (w, b);
    if (y > 1e-6 && y < 1.0 - 1e-6) {
      double d[3], e[3], cross = 0.0, dot = 0.0, nd = 0.0, ne = 0.0;
      CHECK_CLOSE (yb, y, 1e-12, "soft keeps luminance");
      for (int c = 0; c < 3; c++) {
        d[c] = in[c] - y;
        e[c] = b[c] - yb;
      }
      for (int c = 0; c < 3; c++) {
        double x = d[(c + 1) % 3] * e[(c + 2) % 3] -
            d[(c + 2) % 3] * e[(c + 1) % 3];
        cross += x * x;
        dot += d[c] * e[c];
        nd += d[c] * d[c];
        ne += e[c] * e[c];
      }
      CHECK (sqrt (cross) <= 1e-9 * sqrt (nd * ne) + 1e-15 && dot >= 0.0,
          "soft turned the hue of %g %g %g", in[0], in[1], in[2]);
    } else if (y >= 1.0) {
      CHECK (b[0] == 1.0 && b[1] == 1.0 && b[2] == 1.0,
          "soft: above peak luminance is white");
    }
  }
  CHECK (outside > 50000, "only %d of the colours were out of gamut", outside);

  /* negative luminance is black, and anything in between is in range */
  double neg[3] = { -0.5, 0.1, -0.2 };
  est_gamut_map (EST_GAMUT_SOFT, w, neg);
  CHECK (neg[0] == 0.0 && neg[1] == 0.0 && neg[2] == 0.0, "negative "
      "luminance: %g %g %g", neg[0], neg[1], neg[2]);
  double grey[3] = { 1.2, 1.2, 1.2 };
  est_gamut_map (EST_GAMUT_SOFT, w, grey);
  CHECK (grey[0] == 1.0 && grey[1] == 1.0 && grey[2] == 1.0, "bright grey");
}

/* Along a ray of growing saturation y + s d (s 0..4, step 1e-4) the SOFT
 * output moves by at most |d| per unit of s (f's slope is at most 1), its
 * saturation never falls, and it reaches at most the boundary; random
 * close pairs (1e-7 apart) map within 1e-5 of each other. */
static void
test_gamut_soft_continuous (void)
{
  double w[3];
  est_colour_luminance (EST_PRIMARIES_BT2020, w);
  rng_state = 5;
  for (int r = 0; r < 200; r++) {
    double y = 0.02 + 0.96 * rnd (), d[3], nd = 0;
    double dir[3] = { rnd () - 0.5, rnd () - 0.5, rnd () - 0.5 };
    /* remove the luminance component: a pure chroma direction */
    double dy = luminance (w, dir);
    for (int c = 0; c < 3; c++) {
      d[c] = 0.5 * (dir[c] - dy);
      nd += d[c] * d[c];
    }
    nd = sqrt (nd);
    double prev[3] = { y, y, y }, prev_sat = 0.0;
    for (double s = 1e-4; s <= 4.0; s += 1e-4) {
      double rgb[3], step = 0.0, sat = 0.0;
      for (int c = 0; c < 3; c++)
        rgb[c] = y + s * d[c];
      est_gamut_map (EST_GAMUT_SOFT, w, rgb);
      for (int c = 0; c < 3; c++) {
        step += (rgb[c] - prev[c]) * (rgb[c] - prev[c]);
        sat += (rgb[c] - y) * d[c];
      }
      CHECK (sqrt (step) <= nd * 1e-4 * (1 + 1e-6), "ray %d: jump %g at s "
          "%g", r, sqrt (step), s);
      CHECK (sat >= prev_sat - 1e-15, "ray %d: saturation fell at s %g", r, s);
      CHECK (inside (rgb), "ray %d: outside at s %g", r, s);
      memcpy (prev, rgb, sizeof (prev));
      prev_sat = sat;
    }
  }
  for (int i = 0; i < 100000; i++) {
    double a[3], b[3], dist = 0;
    for (int c = 0; c < 3; c++) {
      a[c] = rnd () * 1.6 - 0.3;
      b[c] = a[c] + (rnd () - 0.5) * 2e-7;
    }
    est_gamut_map (EST_GAMUT_SOFT, w, a);
    est_gamut_map (EST_GAMUT_SOFT, w, b);
    for (int c = 0; c < 3; c++)
      dist = fmax (dist, fabs (a[c] - b[c]));
    CHECK (dist <= 1e-5, "discontinuity %g", dist);
  }
}

int
main (void)
{
  test_table ();
  test_curves_monotonic ();
  test_bypass ();
  test_one_clamp ();
  test_matches_ffmpeg ();
  test_bt2390_report_values ();
  test_bt2446a ();
  test_gamut_in_gamut_unchanged ();
  test_gamut_out_of_gamut ();
  test_gamut_soft_continuous ();

  if (failures)
    printf ("%d check(s) failed\n", failures);
  else
    printf ("all checks passed\n");
  return failures ? 1 : 0;
}
