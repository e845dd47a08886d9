/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Properties of common/quality: analytic PSNR for known distortions, the
 * caps for identical input, SSIM and MS-SSIM against straightforward float64
 * implementations written from FFmpeg's definition and from the paper, and
 * independence from the thread count. */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quality.h"
#include "stats.h"

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
  CHECK (fabs ((a) - (b)) <= (tol), "%s: %.9f vs %.9f (tolerance %g)", \
      what, (double) (a), (double) (b), (double) (tol))

static uint64_t rng_state;

static uint32_t
rnd (void)
{
  /* xorshift64*, fixed seed per test */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t) ((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* A 4:2:0 picture with planes of uint8_t or uint16_t samples. */
typedef struct
{
  int w, h, depth;
  void *plane[3];
  int pw[3], ph[3];
} Pic;

static void
pic_init (Pic * p, int w, int h, int depth)
{
  p->w = w;
  p->h = h;
  p->depth = depth;
  for (int i = 0; i < 3; i++) {
    p->pw[i] = i ? (w + 1) / 2 : w;
    p->ph[i] = i ? (h + 1) / 2 : h;
    p->plane[i] = calloc ((size_t) p->pw[i] * p->ph[i], depth > 8 ? 2 : 1);
  }
}

static void
pic_clear (Pic * p)
{
  for (int i = 0; i < 3; i++)
    free (p->plane[i]);
}

static int
get (const Pic * p, int c, int x, int y)
{
  size_t i = (size_t) y * p->pw[c] + x;
  return p->depth > 8 ? ((uint16_t *) p->plane[c])[i] :
      ((uint8_t *) p->plane[c])[i];
}

static void
set (Pic * p, int c, int x, int y, int v)
{
  size_t i = (size_t) y * p->pw[c] + x;
  int max = (1 << p->depth) - 1;
  v = v < 0 ? 0 : v > max ? max : v;
  if (p->depth > 8)
    ((uint16_t *) p->plane[c])[i] = (uint16_t) v;
  else
    ((uint8_t *) p->plane[c])[i] = (uint8_t) v;
}

/* Textured content that stays within the nominal video range, so that small
 * offsets never clip: a gradient, a grid and random texture. */
static void
fill_content (Pic * p, uint64_t seed)
{
  int lo = 16 << (p->depth - 8), hi = 235 << (p->depth - 8);
  rng_state = seed;
  for (int c = 0; c < 3; c++) {
    for (int y = 0; y < p->ph[c]; y++) {
      for (int x = 0; x < p->pw[c]; x++) {
        double v = 0.5 + 0.25 * sin (x * 0.07 + c) * cos (y * 0.05) +
            (((x / 8) + (y / 8)) & 1 ? 0.1 : -0.1) +
            ((int) (rnd () % 1000) - 500) / 5000.0;
        int s = lo + (int) (v * (hi - lo));
        set (p, c, x, y, s < lo ? lo : s > hi ? hi : s);
      }
    }
  }
}

static void
pic_copy (Pic * dst, const Pic * src)
{
  for (int c = 0; c < 3; c++)
    memcpy (dst->plane[c], src->plane[c], (size_t) src->pw[c] * src->ph[c] *
        (src->depth > 8 ? 2 : 1));
}

static EstQualityPicture
picture (const Pic * p)
{
  EstQualityPicture q;
  for (int c = 0; c < 3; c++) {
    q.data[c] = p->plane[c];
    q.stride[c] = (ptrdiff_t) p->pw[c] * (p->depth > 8 ? 2 : 1);
  }
  return q;
}

static EstQualityResult
measure (const Pic * ref, const Pic * dist, unsigned metrics, int threads)
{
  EstQualityConfig cfg = {
    .width = ref->w,.height = ref->h,.chroma_shift_x = 1,.chroma_shift_y = 1,
    .n_planes = 3,.depth = ref->depth,.metrics = metrics,.threads = threads,
  };
  EstQualityResult res;
  EstQuality *q = est_quality_new (&cfg);
  if (!q) {
    printf ("FAIL: est_quality_new refused %dx%d depth %d\n", ref->w, ref->h,
        ref->depth);
    exit (1);
  }
  EstQualityPicture a = picture (ref), b = picture (dist);
  est_quality_compute (q, &a, &b, &res);
  est_quality_free (q);
  return res;
}

static void
test_identical_gives_caps (void)
{
  for (int depth = 8; depth <= 12; depth += 2) {
    Pic a;
    pic_init (&a, 192, 180, depth);
    fill_content (&a, 1);
    EstQualityResult r = measure (&a, &a, EST_METRIC_ALL, 2);
    for (int c = 0; c < 3; c++)
      CHECK (r.psnr[c] == EST_QUALITY_DB_CAP, "depth %d plane %d psnr %f",
          depth, c, r.psnr[c]);
    CHECK (r.psnr_avg == EST_QUALITY_DB_CAP, "psnr avg %f", r.psnr_avg);
    CHECK (r.ssim == 1.0, "depth %d ssim %.12f", depth, r.ssim);
    CHECK (r.msssim == 1.0, "depth %d msssim %.12f", depth, r.msssim);
    CHECK (est_quality_db (r.ssim) == EST_QUALITY_DB_CAP, "ssim dB");
    CHECK (r.msssim_scales == 5, "scales %d", r.msssim_scales);
    pic_clear (&a);
  }
}

/* dist = ref + k everywhere: MSE is exactly k^2. */
static void
test_uniform_offset_psnr (void)
{
  for (int depth = 8; depth <= 12; depth += 2) {
    const int k[3] = { 3, 2, 5 };
    double peak = (1 << depth) - 1;
    Pic a, b;
    pic_init (&a, 320, 240, depth);
    pic_init (&b, 320, 240, depth);
    fill_content (&a, 2);
    for (int c = 0; c < 3; c++)
      for (int y = 0; y < a.ph[c]; y++)
        for (int x = 0; x < a.pw[c]; x++)
          set (&b, c, x, y, get (&a, c, x, y) + k[c]);
    EstQualityResult r = measure (&a, &b, EST_METRIC_PSNR, 1);
    double n[3] = { 320 * 240, 160 * 120, 160 * 120 };
    double total_se = 0;
    for (int c = 0; c < 3; c++) {
      CHECK_CLOSE (r.psnr[c], 10 * log10 (peak * peak / (k[c] * k[c])), 0.01,
          "offset psnr");
      total_se += n[c] * k[c] * k[c];
    }
    CHECK_CLOSE (r.psnr_avg, 10 * log10 (peak * peak / (total_se / (n[0] +
                    n[1] + n[2]))), 0.01, "offset psnr average");
    pic_clear (&a);
    pic_clear (&b);
  }
}

/* Additive noise with exactly known variance: each sample gets one of
 * -3, -1, +1, +3, equally often, shuffled, so the MSE is exactly 5. */
static void
test_known_noise_variance_psnr (void)
{
  for (int depth = 8; depth <= 10; depth += 2) {
    const int w = 320, h = 240, n = w * h;
    double peak = (1 << depth) - 1;
    int *noise = malloc (sizeof (int) * n);
    Pic a, b;

    rng_state = 99;
    for (int i = 0; i < n; i++)
      noise[i] = (i % 4) * 2 - 3;
    for (int i = n - 1; i > 0; i--) {
      int j = (int) (rnd () % (uint32_t) (i + 1)), t = noise[i];
      noise[i] = noise[j];
      noise[j] = t;
    }
    pic_init (&a, w, h, depth);
    pic_init (&b, w, h, depth);
    fill_content (&a, 3);
    pic_copy (&b, &a);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        set (&b, 0, x, y, get (&a, 0, x, y) + noise[y * w + x]);
    EstQualityResult r = measure (&a, &b, EST_METRIC_PSNR, 2);
    CHECK_CLOSE (r.psnr[0], 10 * log10 (peak * peak / 5.0), 0.01, "noise psnr");
    CHECK (r.psnr[1] == EST_QUALITY_DB_CAP, "untouched chroma");
    free (noise);
    pic_clear (&a);
    pic_clear (&b);
  }
}

/* SSIM exactly as FFmpeg defines it, in float64 with direct sums: 8x8
 * windows at every 4th sample in both directions. */
static double
reference_ssim (const Pic * a, const Pic * b)
{
  int max = (1 << a->depth) - 1, bw = a->w / 4, bh = a->h / 4;
  double c1 = .01 * .01 * max * max * 64, c2 = .03 * .03 * max * max * 64 * 63;
  double sum = 0;
  for (int by = 0; by + 1 < bh; by++) {
    for (int bx = 0; bx + 1 < bw; bx++) {
      double s1 = 0, s2 = 0, ss = 0, s12 = 0;
      for (int y = 4 * by; y < 4 * by + 8; y++)
        for (int x = 4 * bx; x < 4 * bx + 8; x++) {
          double p = get (a, 0, x, y), q = get (b, 0, x, y);
          s1 += p;
          s2 += q;
          ss += p * p + q * q;
          s12 += p * q;
        }
      double vars = ss * 64 - s1 * s1 - s2 * s2, cov = s12 * 64 - s1 * s2;
      sum += (2 * s1 * s2 + c1) * (2 * cov + c2) /
          ((s1 * s1 + s2 * s2 + c1) * (vars + c2));
    }
  }
  return sum / ((bw - 1) * (bh - 1));
}

/* MS-SSIM written from Wang, Simoncelli and Bovik (2003) in float64 with a
 * direct 2D 11x11 Gaussian, independent of the separable float code under
 * test. */
static double
reference_msssim (const Pic * pa, const Pic * pb)
{
  static const double weights[5] = { 0.0448, 0.2856, 0.3001, 0.2363, 0.1333 };
  int w = pa->w, h = pa->h, scales = 0;
  double max = (1 << pa->depth) - 1, g[11][11], gs = 0;
  double c1 = (0.01 * max) * (0.01 * max), c2 = (0.03 * max) * (0.03 * max);

  for (int m = w < h ? w : h; scales < 5 && (m >> scales) >= 11; scales++);
  for (int i = 0; i < 11; i++)
    for (int j = 0; j < 11; j++)
      gs += g[i][j] = exp (-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / 4.5);

  double *x = malloc (sizeof (double) * w * h);
  double *y = malloc (sizeof (double) * w * h);
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++) {
      x[i * w + j] = get (pa, 0, j, i);
      y[i * w + j] = get (pb, 0, j, i);
    }

  double wsum = 0, result = 1;
  for (int s = 0; s < scales; s++)
    wsum += weights[s];
  for (int s = 0; s < scales; s++) {
    double cs_sum = 0, ssim_sum = 0;
    for (int i = 0; i + 11 <= h; i++) {
      for (int j = 0; j + 11 <= w; j++) {
        double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
        for (int u = 0; u < 11; u++)
          for (int v = 0; v < 11; v++) {
            double k = g[u][v] / gs, p = x[(i + u) * w + j + v];
            double q = y[(i + u) * w + j + v];
            mx += k * p;
            my += k * q;
            sxx += k * p * p;
            syy += k * q * q;
            sxy += k * p * q;
          }
        double vx = sxx - mx * mx, vy = syy - my * my, cov = sxy - mx * my;
        double cs = (2 * cov + c2) / (vx + vy + c2);
        cs_sum += cs;
        ssim_sum += cs * (2 * mx * my + c1) / (mx * mx + my * my + c1);
      }
    }
    double n = (double) (w - 10) * (h - 10);
    double term = s == scales - 1 ? ssim_sum / n : cs_sum / n;
    result *= pow (term > 0 ? term : 0, weights[s] / wsum);

    int nw = w / 2, nh = h / 2;
    for (int i = 0; i < nh; i++)
      for (int j = 0; j < nw; j++) {
        x[i * nw + j] = (x[2 * i * w + 2 * j] + x[2 * i * w + 2 * j + 1] +
            x[(2 * i + 1) * w + 2 * j] + x[(2 * i + 1) * w + 2 * j + 1]) / 4;
        y[i * nw + j] = (y[2 * i * w + 2 * j] + y[2 * i * w + 2 * j + 1] +
            y[(2 * i + 1) * w + 2 * j] + y[(2 * i + 1) * w + 2 * j + 1]) / 4;
      }
    w = nw;
    h = nh;
  }
  free (x);
  free (y);
  return result;
}

/* Blur plus noise: a distortion that moves SSIM and MS-SSIM well away
 * from 1. */
static void
distort (Pic * dst, const Pic * src, int noise, uint64_t seed)
{
  rng_state = seed;
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < src->ph[c]; y++)
      for (int x = 0; x < src->pw[c]; x++) {
        int xr = x + 1 < src->pw[c] ? x + 1 : x;
        int v = (get (src, c, x, y) + get (src, c, xr, y)) / 2;
        set (dst, c, x, y, v + (int) (rnd () % (2 * noise + 1)) - noise);
      }
}

static void
test_ssim_matches_reference (void)
{
  const int sizes[][2] = { {320, 240}, {100, 60}, {8, 8}, {37, 29} };
  for (int depth = 8; depth <= 12; depth += 2) {
    for (size_t i = 0; i < sizeof (sizes) / sizeof (sizes[0]); i++) {
      Pic a, b;
      pic_init (&a, sizes[i][0], sizes[i][1], depth);
      pic_init (&b, sizes[i][0], sizes[i][1], depth);
      fill_content (&a, 4 + i);
      distort (&b, &a, 6 << (depth - 8), 5);
      EstQualityResult r = measure (&a, &b, EST_METRIC_SSIM, 2);
      CHECK_CLOSE (r.ssim, reference_ssim (&a, &b), 1e-9, "ssim");
      CHECK (r.ssim < 0.999, "distortion too weak to test: %f", r.ssim);
      pic_clear (&a);
      pic_clear (&b);
    }
  }
}

/* Tolerance 1e-4: the code under test filters in float32. */
static void
test_msssim_matches_reference (void)
{
  const struct
  {
    int w, h, scales;
  } cases[] = {
    {256, 192, 5}, {176, 176, 5}, {120, 100, 4}, {48, 40, 2}, {11, 11, 1},
  };
  for (int depth = 8; depth <= 12; depth += 2) {
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
      Pic a, b;
      pic_init (&a, cases[i].w, cases[i].h, depth);
      pic_init (&b, cases[i].w, cases[i].h, depth);
      fill_content (&a, 7 + i);
      distort (&b, &a, 10 << (depth - 8), 8);
      EstQualityResult r = measure (&a, &b, EST_METRIC_MSSSIM, 3);
      double ref = reference_msssim (&a, &b);
      CHECK_CLOSE (r.msssim, ref, 1e-4, "msssim");
      CHECK (r.msssim_scales == cases[i].scales, "%dx%d: %d scales",
          cases[i].w, cases[i].h, r.msssim_scales);
      CHECK (r.msssim > 0.0 && r.msssim < 0.999, "msssim %f out of range",
          r.msssim);
      pic_clear (&a);
      pic_clear (&b);
    }
  }
}

static void
test_results_independent_of_threads (void)
{
  Pic a, b;
  pic_init (&a, 333, 517, 10);
  pic_init (&b, 333, 517, 10);
  fill_content (&a, 11);
  distort (&b, &a, 20, 12);
  EstQualityResult r1 = measure (&a, &b, EST_METRIC_ALL, 1);
  for (int t = 2; t <= 5; t++) {
    EstQualityResult rt = measure (&a, &b, EST_METRIC_ALL, t);
    CHECK (memcmp (&r1, &rt, sizeof (r1)) == 0, "%d threads differ", t);
  }
  pic_clear (&a);
  pic_clear (&b);
}

static void
test_small_frames_drop_metrics (void)
{
  Pic a;
  pic_init (&a, 7, 9, 8);
  fill_content (&a, 13);
  EstQualityConfig cfg = {.width = 7,.height = 9,.chroma_shift_x = 1,
    .chroma_shift_y = 1,.n_planes = 3,.depth = 8,.metrics = EST_METRIC_ALL,
    .threads = 1
  };
  EstQuality *q = est_quality_new (&cfg);
  CHECK (q != NULL, "7x9 refused");
  CHECK (est_quality_metrics (q) == EST_METRIC_PSNR, "metrics 0x%x",
      est_quality_metrics (q));
  EstQualityResult r;
  EstQualityPicture p = picture (&a);
  est_quality_compute (q, &p, &p, &r);
  CHECK (r.metrics == EST_METRIC_PSNR && r.psnr[0] == EST_QUALITY_DB_CAP,
      "tiny psnr");
  est_quality_free (q);
  pic_clear (&a);

  cfg.depth = 13;
  CHECK (est_quality_new (&cfg) == NULL, "depth 13 accepted");
  cfg.depth = 8;
  cfg.width = 0;
  CHECK (est_quality_new (&cfg) == NULL, "width 0 accepted");
}

static void
test_db_conversions (void)
{
  CHECK_CLOSE (est_quality_db (0.9), 10.0, 1e-12, "0.9 -> 10 dB");
  CHECK_CLOSE (est_quality_db (0.99), 20.0, 1e-9, "0.99 -> 20 dB");
  CHECK (est_quality_db (1.0) == EST_QUALITY_DB_CAP, "cap");
  CHECK_CLOSE (est_quality_psnr (1.0, 8), 48.130803608679, 1e-9, "mse 1");
  CHECK_CLOSE (est_quality_psnr (1.0, 10), 60.197512674, 1e-6, "mse 1 10bit");
  CHECK (est_quality_psnr (0.0, 8) == EST_QUALITY_DB_CAP, "mse 0");
  CHECK (isfinite (est_quality_db (-1.0)), "negative SSIM is finite");
}

static void
test_stats_percentiles (void)
{
  double v[200];
  EstStatsSummary s;
  for (int i = 0; i < 200; i++)
    v[i] = 200 - i;             /* 200 .. 1, unsorted */
  est_stats_summarize (v, 200, &s);
  CHECK (s.n == 200 && s.min == 1 && s.max == 200, "min/max");
  CHECK_CLOSE (s.mean, 100.5, 1e-12, "mean");
  CHECK (s.p1 == 2, "p1 %f (nearest rank: 2nd of 200)", s.p1);
  CHECK (s.p5 == 10, "p5 %f", s.p5);
  double one = 7;
  est_stats_summarize (&one, 1, &s);
  CHECK (s.p1 == 7 && s.p5 == 7 && s.mean == 7, "single value");
  est_stats_summarize (NULL, 0, &s);
  CHECK (s.n == 0 && s.mean == 0, "empty");
}

int
main (void)
{
  test_identical_gives_caps ();
  test_uniform_offset_psnr ();
  test_known_noise_variance_psnr ();
  test_ssim_matches_reference ();
  test_msssim_matches_reference ();
  test_results_independent_of_threads ();
  test_small_frames_drop_metrics ();
  test_db_conversions ();
  test_stats_percentiles ();

  if (failures)
    printf ("%d check(s) failed\n", failures);
  else
    printf ("all checks passed\n");
  return failures ? 1 : 0;
}
