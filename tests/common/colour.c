/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Properties of common/colour: known points of PQ and HLG (BT.2100,
 * BT.2408), exact round trips of every transfer and of the HLG OOTF, the
 * RGB to XYZ and gamut matrices against the published values (BT.709,
 * BT.2087), luminance weights, Y'CbCr matrices and code ranges, and the
 * 3x3 helpers. */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colour.h"

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

static const EstTransfer transfers[] = {
  EST_TRANSFER_BT1886, EST_TRANSFER_SRGB, EST_TRANSFER_PQ, EST_TRANSFER_HLG,
  EST_TRANSFER_LINEAR,
};

static const EstPrimaries all_primaries[] = {
  EST_PRIMARIES_BT709, EST_PRIMARIES_BT2020, EST_PRIMARIES_P3D65,
  EST_PRIMARIES_BT601_625, EST_PRIMARIES_BT601_525,
};

#define N_TRANSFERS (sizeof (transfers) / sizeof (transfers[0]))
#define N_PRIMARIES (sizeof (all_primaries) / sizeof (all_primaries[0]))

/* BT.2408: HDR reference white, 203 cd/m2, is PQ signal 0.58 (58 %,
 * rounded: the exact signal is 0.580689, and 0.58 itself decodes to
 * 201.67 cd/m2). */
static void
test_pq_known_points (void)
{
  CHECK (est_transfer_to_linear (EST_TRANSFER_PQ, 0.0) == 0.0, "PQ 0");
  CHECK_CLOSE (est_transfer_to_linear (EST_TRANSFER_PQ, 1.0) * EST_PQ_PEAK,
      10000.0, 1e-9, "PQ 1 -> 10000 cd/m2");
  CHECK_CLOSE (est_transfer_to_linear (EST_TRANSFER_PQ, 0.58) * EST_PQ_PEAK,
      203.0, 1.5, "PQ 0.58 -> about 203 cd/m2");
  CHECK_CLOSE (est_transfer_to_linear (EST_TRANSFER_PQ, 0.58) * EST_PQ_PEAK,
      201.666262, 1e-5, "PQ 0.58 -> 201.666262 cd/m2");
  CHECK_CLOSE (est_transfer_to_linear (EST_TRANSFER_PQ, 0.5806888810)
      * EST_PQ_PEAK, 203.0, 1e-6, "PQ 0.5806889 -> 203 cd/m2");
  CHECK_CLOSE (est_transfer_from_linear (EST_TRANSFER_PQ, 203.0 /
          EST_PQ_PEAK), 0.5806888810, 1e-9, "203 cd/m2 -> PQ");
  CHECK_CLOSE (est_transfer_from_linear (EST_TRANSFER_PQ, 100.0 /
          EST_PQ_PEAK), 0.5080784, 1e-6, "100 cd/m2 -> PQ");
  CHECK_CLOSE (est_transfer_from_linear (EST_TRANSFER_PQ, 1000.0 /
          EST_PQ_PEAK), 0.7518271, 1e-6, "1000 cd/m2 -> PQ");
  CHECK_CLOSE (est_transfer_from_linear (EST_TRANSFER_PQ, 1.0), 1.0, 1e-12,
      "10000 cd/m2 -> PQ 1");
  /* ST 2084's formula puts 0 cd/m2 at c1^m2, not at 0 */
  CHECK_CLOSE (est_transfer_from_linear (EST_TRANSFER_PQ, 0.0),
      7.309559e-7, 1e-12, "0 cd/m2 -> PQ");
  /* clamping */
  CHECK (est_transfer_to_linear (EST_TRANSFER_PQ, 1.5) ==
      est_transfer_to_linear (EST_TRANSFER_PQ, 1.0), "PQ above 1");
  CHECK (est_transfer_to_linear (EST_TRANSFER_PQ, -0.5) == 0.0, "PQ below 0");
  CHECK (est_transfer_to_linear (EST_TRANSFER_PQ, NAN) == 0.0, "PQ NaN");
  CHECK (est_transfer_from_linear (EST_TRANSFER_PQ, 2.0) ==
      est_transfer_from_linear (EST_TRANSFER_PQ, 1.0), "linear above 1");
}

static void
test_hlg_known_points (void)
{
  CHECK_CLOSE (est_transfer_to_linear (EST_TRANSFER_HLG, 0.5), 1.0 / 12.0,
      1e-15, "HLG inverse OETF (0.5)");
  CHECK_CLOSE (est_transfer_from_linear (EST_TRANSFER_HLG, 1.0 / 12.0), 0.5,
      1e-15, "HLG OETF (1/12)");
  CHECK_CLOSE (est_transfer_to_linear (EST_TRANSFER_HLG, 1.0), 1.0, 1e-7,
      "HLG inverse OETF (1)");
  CHECK_CLOSE (est_transfer_to_linear (EST_TRANSFER_HLG, 0.25), 0.0625 / 3.0,
      1e-15, "HLG inverse OETF (0.25): square-root segment");

  /* BT.2408: a grey at HLG 75 % is HDR reference white, 203 cd/m2, on a
   * 1000 cd/m2 display (gamma 1.2). */
  double s = est_transfer_to_linear (EST_TRANSFER_HLG, 0.75);
  double rgb[3] = { s, s, s };
  est_hlg_ootf (rgb, 1000.0);
  for (int i = 0; i < 3; i++)
    CHECK_CLOSE (rgb[i] * 1000.0, 203.0, 3.0, "HLG 75 % grey, cd/m2");
  CHECK_CLOSE (rgb[0], pow (s, 1.2), 1e-12, "grey: ys^gamma");

  /* black stays black, negative scene light is taken as 0 */
  double black[3] = { 0.0, 0.0, 0.0 };
  est_hlg_ootf (black, 1000.0);
  CHECK (black[0] == 0.0 && black[1] == 0.0 && black[2] == 0.0, "black");
  double neg[3] = { -0.1, 0.5, 0.5 }, pos[3] = { 0.0, 0.5, 0.5 };
  est_hlg_ootf (neg, 1000.0);
  est_hlg_ootf (pos, 1000.0);
  CHECK (memcmp (neg, pos, sizeof (neg)) == 0, "negative taken as 0");
}

static void
test_hlg_gamma (void)
{
  CHECK_CLOSE (est_hlg_gamma (1000.0), 1.2, 1e-15, "gamma at 1000");
  CHECK_CLOSE (est_hlg_gamma (2000.0), 1.2 + 0.42 * log10 (2.0), 1e-15,
      "gamma at 2000");
  CHECK_CLOSE (est_hlg_gamma (400.0), 1.2 + 0.42 * log10 (0.4), 1e-15,
      "gamma at 400");
  CHECK_CLOSE (est_hlg_gamma (500.0), 1.2 + 0.42 * log10 (0.5), 1e-15,
      "gamma at 500");
  /* outside 400..2000: 1.111 per doubling, from the nearer end */
  CHECK_CLOSE (est_hlg_gamma (4000.0), est_hlg_gamma (2000.0) * 1.111, 1e-12,
      "gamma at 4000");
  CHECK_CLOSE (est_hlg_gamma (200.0), est_hlg_gamma (400.0) / 1.111, 1e-12,
      "gamma at 200");
  CHECK_CLOSE (est_hlg_gamma (400.0 - 1e-9), est_hlg_gamma (400.0 + 1e-9),
      1e-9, "continuous at 400");
  CHECK_CLOSE (est_hlg_gamma (2000.0 - 1e-9), est_hlg_gamma (2000.0 + 1e-9),
      1e-9, "continuous at 2000");
  CHECK (est_hlg_gamma (0.0) == est_hlg_gamma (1.0), "clamped below 1");
  CHECK (est_hlg_gamma (1e6) == est_hlg_gamma (EST_PQ_PEAK),
      "clamped above 10000");
  CHECK (est_hlg_gamma (NAN) == 1.2, "NaN peak: 1000 cd/m2");

  double prev = 0.0;
  for (double lw = 1.0; lw <= 10000.0; lw *= 1.01) {
    double g = est_hlg_gamma (lw);
    CHECK (isfinite (g) && g > 0.0 && g > prev, "gamma (%g) = %g", lw, g);
    prev = g;
  }
}

/* Tolerance 1e-9 in both domains. Signal round trips run from the signal
 * of 0 to the signal of 1: PQ decodes every signal below c1^m2 (7.3e-7) to
 * 0, HLG every signal above 1 - 5e-9 to 1. */
static void
test_transfer_round_trips (void)
{
  const int n = 100000;
  for (size_t k = 0; k < N_TRANSFERS; k++) {
    EstTransfer t = transfers[k];
    double v0 = est_transfer_from_linear (t, 0.0);
    double v1 = est_transfer_from_linear (t, 1.0);
    double max_v = 0, max_l = 0, prev = -1.0;
    CHECK (v0 >= 0.0 && v0 < 1e-6 && v1 > 1.0 - 1e-8 && v1 <= 1.0,
        "transfer %d: signal range %g..%g", (int) t, v0, v1);
    for (int i = 0; i <= n; i++) {
      double x = (double) (i) / n;
      double v = v0 + x * (v1 - v0);
      double l = est_transfer_to_linear (t, v);
      max_v = fmax (max_v, fabs (est_transfer_from_linear (t, l) - v));
      max_l = fmax (max_l, fabs (est_transfer_to_linear (t,
                  est_transfer_from_linear (t, x)) - x));
      CHECK (l >= prev && l >= 0.0 && l <= 1.0, "transfer %d not monotonic "
          "or out of 0..1 at %g", (int) t, v);
      prev = l;
    }
    CHECK (max_v <= 1e-9, "transfer %d: signal round trip error %g", (int) t,
        max_v);
    CHECK (max_l <= 1e-9, "transfer %d: linear round trip error %g", (int) t,
        max_l);
    /* and near 0, where relative precision matters */
    for (double l = 1e-12; l < 1e-3; l *= 1.5) {
      double back = est_transfer_to_linear (t, est_transfer_from_linear (t, l));
      CHECK (fabs (back - l) <= 1e-9 * l + 1e-15, "transfer %d: %g -> %g",
          (int) t, l, back);
    }
    CHECK (est_transfer_to_linear (t, 0.0) == 0.0, "transfer %d: 0", (int) t);
    CHECK_CLOSE (est_transfer_to_linear (t, 1.0), 1.0, 1e-12, "1 -> 1");
  }
  /* the sRGB pieces, on either side of the knee */
  CHECK_CLOSE (est_transfer_to_linear (EST_TRANSFER_SRGB, 0.04045),
      0.04045 / 12.92, 1e-15, "sRGB linear segment");
  CHECK_CLOSE (est_transfer_to_linear (EST_TRANSFER_SRGB, 0.5), 0.214041140,
      1e-9, "sRGB 0.5");
  CHECK_CLOSE (est_transfer_to_linear (EST_TRANSFER_BT1886, 0.5),
      pow (0.5, 2.4), 1e-15, "BT.1886 0.5");
}

static void
test_hlg_ootf_round_trip (void)
{
  const double peaks[] = { 100, 400, 1000, 1500, 2000, 4000, 10000 };
  rng_state = 1;
  for (size_t p = 0; p < sizeof (peaks) / sizeof (peaks[0]); p++) {
    for (int i = 0; i < 10000; i++) {
      double in[3], rgb[3];
      for (int c = 0; c < 3; c++)
        rgb[c] = in[c] = i % 10 == 0 ? 0.0 : rnd ();
      if (i % 7 == 0)
        rgb[i % 3] = in[i % 3] = 0.0;
      est_hlg_ootf (rgb, peaks[p]);
      est_hlg_inverse_ootf (rgb, peaks[p]);
      for (int c = 0; c < 3; c++)
        CHECK (fabs (rgb[c] - in[c]) <= 1e-12, "peak %g: %.17g -> %.17g",
            peaks[p], in[c], rgb[c]);
    }
  }
}

/* BT.709 / sRGB, as tabulated to 4 places (IEC 61966-2-1) */
static void
test_rgb_to_xyz (void)
{
  const double bt709[3][3] = {
    {0.4124, 0.3576, 0.1805},
    {0.2126, 0.7152, 0.0722},
    {0.0193, 0.1192, 0.9505},
  };
  double m[3][3];
  est_colour_rgb_to_xyz (EST_PRIMARIES_BT709, m);
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++)
      CHECK_CLOSE (m[r][c], bt709[r][c], 1e-4, "BT.709 RGB to XYZ");

  /* white is D65 for every set of primaries */
  for (size_t k = 0; k < N_PRIMARIES; k++) {
    const double one[3] = { 1, 1, 1 };
    double xyz[3];
    est_colour_rgb_to_xyz (all_primaries[k], m);
    est_mat3_apply (m, one, xyz);
    CHECK_CLOSE (xyz[0], 0.3127 / 0.3290, 1e-12, "white X");
    CHECK_CLOSE (xyz[1], 1.0, 1e-12, "white Y");
    CHECK_CLOSE (xyz[2], (1 - 0.3127 - 0.3290) / 0.3290, 1e-12, "white Z");
  }
}

static void
test_gamut_matrices (void)
{
  /* BT.2087 table 2 (linear BT.709 to BT.2020) */
  const double bt2087[3][3] = {
    {0.6274, 0.3293, 0.0433},
    {0.0691, 0.9195, 0.0114},
    {0.0164, 0.0880, 0.8956},
  };
  double m[3][3], back[3][3], prod[3][3];
  est_colour_gamut_matrix (EST_PRIMARIES_BT709, EST_PRIMARIES_BT2020, m);
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++)
      CHECK_CLOSE (m[r][c], bt2087[r][c], 1e-4, "BT.709 to BT.2020");

  for (size_t a = 0; a < N_PRIMARIES; a++) {
    for (size_t b = 0; b < N_PRIMARIES; b++) {
      est_colour_gamut_matrix (all_primaries[a], all_primaries[b], m);
      est_colour_gamut_matrix (all_primaries[b], all_primaries[a], back);
      est_mat3_mul (back, m, prod);
      for (int r = 0; r < 3; r++) {
        CHECK_CLOSE (m[r][0] + m[r][1] + m[r][2], 1.0, 1e-12, "white to white");
        for (int c = 0; c < 3; c++) {
          CHECK_CLOSE (prod[r][c], r == c, 1e-12, "there and back");
          if (a == b)
            CHECK (m[r][c] == (r == c), "identity for equal primaries");
        }
      }
    }
  }

  /* BT.601 625 and BT.709 share red and blue but not green */
  est_colour_gamut_matrix (EST_PRIMARIES_BT601_625, EST_PRIMARIES_BT709, m);
  CHECK (fabs (m[0][0] - 1.0) > 1e-3, "EBU green differs from BT.709");
}

static void
test_luminance (void)
{
  const double bt709[3] = { 0.2126, 0.7152, 0.0722 };
  const double bt2020[3] = { 0.2627, 0.6780, 0.0593 };
  double w[3];
  for (size_t k = 0; k < N_PRIMARIES; k++) {
    est_colour_luminance (all_primaries[k], w);
    CHECK_CLOSE (w[0] + w[1] + w[2], 1.0, 1e-12, "weights sum");
    CHECK (w[0] > 0 && w[1] > 0 && w[2] > 0, "positive weights");
  }
  est_colour_luminance (EST_PRIMARIES_BT709, w);
  for (int c = 0; c < 3; c++)
    CHECK_CLOSE (w[c], bt709[c], 1e-4, "BT.709 weights");
  est_colour_luminance (EST_PRIMARIES_BT2020, w);
  for (int c = 0; c < 3; c++)
    CHECK_CLOSE (w[c], bt2020[c], 1e-4, "BT.2020 weights");
  /* SMPTE 170M primaries give about BT.601's 0.299 / 0.587 / 0.114 only
   * loosely (those were NTSC 1953's): check the computed values */
  est_colour_luminance (EST_PRIMARIES_BT601_525, w);
  CHECK_CLOSE (w[0], 0.2124, 1e-4, "SMPTE 170M red weight");
  CHECK_CLOSE (w[1], 0.7011, 1e-4, "SMPTE 170M green weight");
}

static void
test_ycbcr_matrices (void)
{
  const struct
  {
    EstMatrix m;
    double kr, kb;
  } cases[] = {
    {EST_MATRIX_BT601, 0.299, 0.114},
    {EST_MATRIX_BT709, 0.2126, 0.0722},
    {EST_MATRIX_BT2020NCL, 0.2627, 0.0593},
  };
  for (size_t k = 0; k < sizeof (cases) / sizeof (cases[0]); k++) {
    double kr, kb, to_rgb[3][3], to_yuv[3][3], prod[3][3];
    est_colour_matrix_coeffs (cases[k].m, &kr, &kb);
    CHECK (kr == cases[k].kr && kb == cases[k].kb, "matrix %d: Kr %g Kb %g",
        (int) cases[k].m, kr, kb);

    est_colour_ycbcr_to_rgb (cases[k].m, to_rgb);
    est_colour_rgb_to_ycbcr (cases[k].m, to_yuv);
    for (int order = 0; order < 2; order++) {
      if (order == 0)
        est_mat3_mul (to_rgb, to_yuv, prod);
      else
        est_mat3_mul (to_yuv, to_rgb, prod);
      for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
          CHECK_CLOSE (prod[r][c], r == c, 1e-14, "inverse of each other");
    }

    /* white, pure blue, pure red */
    const double white[3] = { 1, 1, 1 }, blue[3] = { 0, 0, 1 }, red[3] = {
      1, 0, 0
    };
    double yuv[3];
    est_mat3_apply (to_yuv, white, yuv);
    CHECK_CLOSE (yuv[0], 1.0, 1e-15, "white Y'");
    CHECK_CLOSE (yuv[1], 0.0, 1e-15, "white Cb");
    CHECK_CLOSE (yuv[2], 0.0, 1e-15, "white Cr");
    est_mat3_apply (to_yuv, blue, yuv);
    CHECK_CLOSE (yuv[0], kb, 1e-15, "blue Y'");
    CHECK_CLOSE (yuv[1], 0.5, 1e-15, "blue Cb");
    est_mat3_apply (to_yuv, red, yuv);
    CHECK_CLOSE (yuv[0], kr, 1e-15, "red Y'");
    CHECK_CLOSE (yuv[2], 0.5, 1e-15, "red Cr");
  }

  /* R'G'B' planes: no matrix either way. */
  double to_rgb[3][3], to_yuv[3][3];
  est_colour_ycbcr_to_rgb (EST_MATRIX_RGB, to_rgb);
  est_colour_rgb_to_ycbcr (EST_MATRIX_RGB, to_yuv);
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++)
      CHECK (to_rgb[r][c] == (r == c) && to_yuv[r][c] == (r == c),
          "EST_MATRIX_RGB [%d][%d]: %g and %g, not the identity", r, c,
          to_rgb[r][c], to_yuv[r][c]);
}

static void
test_ranges (void)
{
  const struct
  {
    int depth, full;
    double y_offset, y_scale, c_offset, c_scale;
  } cases[] = {
    {8, 0, 16, 219, 128, 224},
    {10, 0, 64, 876, 512, 896},
    {12, 0, 256, 3504, 2048, 3584},
    {16, 0, 4096, 56064, 32768, 57344},
    {8, 1, 0, 255, 128, 255},
    {10, 1, 0, 1023, 512, 1023},
    {16, 1, 0, 65535, 32768, 65535},
    {7, 0, 16, 219, 128, 224},  /* clamped to 8 */
  };
  for (size_t k = 0; k < sizeof (cases) / sizeof (cases[0]); k++) {
    EstRange r;
    est_colour_range (cases[k].depth, cases[k].full, &r);
    CHECK (r.y_offset == cases[k].y_offset && r.y_scale == cases[k].y_scale
        && r.c_offset == cases[k].c_offset && r.c_scale == cases[k].c_scale,
        "depth %d full %d: %g %g %g %g", cases[k].depth, cases[k].full,
        r.y_offset, r.y_scale, r.c_offset, r.c_scale);
  }
  /* 10-bit limited: code 940 is white, 64 black, 960 and 64 the chroma
   * extremes */
  EstRange r;
  est_colour_range (10, 0, &r);
  CHECK ((940 - r.y_offset) / r.y_scale == 1.0, "940 is white");
  CHECK ((960 - r.c_offset) / r.c_scale == 0.5, "960 is Cb 0.5");
  CHECK ((64 - r.c_offset) / r.c_scale == -0.5, "64 is Cb -0.5");
}

static void
test_mat3_helpers (void)
{
  double a[3][3], inv[3][3], prod[3][3], c[3][3];
  rng_state = 2;
  for (int i = 0; i < 1000; i++) {
    for (int r = 0; r < 3; r++)
      for (int k = 0; k < 3; k++)
        a[r][k] = rnd () * 2 - 1 + (r == k ? 2.0 : 0.0);
    CHECK (est_mat3_invert (a, inv), "diagonally dominant is invertible");
    est_mat3_mul (a, inv, prod);
    for (int r = 0; r < 3; r++)
      for (int k = 0; k < 3; k++)
        CHECK_CLOSE (prod[r][k], r == k, 1e-12, "a * inverse (a)");

    /* aliasing: out = a, then out = out * out */
    memcpy (c, a, sizeof (c));
    est_mat3_invert (c, c);
    CHECK (memcmp (c, inv, sizeof (c)) == 0, "invert in place");
    est_mat3_mul (a, a, prod);
    memcpy (c, a, sizeof (c));
    est_mat3_mul (c, c, c);
    CHECK (memcmp (c, prod, sizeof (c)) == 0, "multiply in place");

    double v[3] = { rnd (), rnd (), rnd () }, w[3], u[3];
    est_mat3_apply (a, v, w);
    est_mat3_apply (inv, w, u);
    for (int k = 0; k < 3; k++)
      CHECK_CLOSE (u[k], v[k], 1e-12, "apply and undo");
    memcpy (u, v, sizeof (u));
    est_mat3_apply (a, u, u);
    CHECK (memcmp (u, w, sizeof (u)) == 0, "apply in place");
  }

  const double singular[3][3] = { {1, 2, 3}, {2, 4, 6}, {0, 1, 1} };
  double out[3][3] = { {7} };
  CHECK (!est_mat3_invert (singular, out), "singular accepted");
  CHECK (out[0][0] == 7, "singular: output touched");
}

int
main (void)
{
  test_pq_known_points ();
  test_hlg_known_points ();
  test_hlg_gamma ();
  test_transfer_round_trips ();
  test_hlg_ootf_round_trip ();
  test_rgb_to_xyz ();
  test_gamut_matrices ();
  test_luminance ();
  test_ycbcr_matrices ();
  test_ranges ();
  test_mat3_helpers ();

  if (failures)
    printf ("%d check(s) failed\n", failures);
  else
    printf ("all checks passed\n");
  return failures ? 1 : 0;
}
