/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* common/hdrscale (the esthdrscale pipeline) against the independent
 * float64 reference of hdrscaleref.h, written from the headers: hdrscale.h
 * (stage order, sample positions, work grid), hdrcolour.h (colour stage and
 * light units), videopack.h (layouts, Q14) and resample.h (weights). The
 * reference reads and writes the layouts itself, resamples in double with
 * est_resample_kernel and runs the colour stage per pixel in double with the
 * specification functions of colour.h and tonemap.h; it quantises nothing
 * between stages (the fast path keeps Q14 int16 samples there). With dither
 * off, every output sample must be within one code value of the reference at
 * 8 and 10 bits.
 *
 * Also checked: the output does not depend on the thread count (dither on),
 * v210 and YUY2 padding, alpha and padding bytes of RGB (255), the unused
 * bits of 16-bit containers, that a matrix not suiting the format (RGB
 * layouts take EST_MATRIX_RGB, YUV layouts a YUV matrix) is refused, and
 * the first two frames of five HDR clips from ../shared/media
 * (ESTUARY_MEDIA_DIR, which meson sets), decoded with ffmpeg; that part is
 * skipped without the folder or ffmpeg. The fast path runs with est_cpu_flags (): EST_CPU_MASK=0 checks
 * the C kernels instead. */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "colour.h"
#include "cpu.h"
#include "hdrcolour.h"
#include "hdrscale.h"
#include "hdrscaleref.h"
#include "resample.h"
#include "tonemap.h"
#include "videopack.h"

static int failures;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
      failures++; \
      printf ("FAIL %s:%d: ", __func__, __LINE__); \
      printf (__VA_ARGS__); \
      printf ("\n"); \
    } \
  } while (0)

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

static uint64_t rng_state;

static uint32_t
rnd (void)
{
  /* xorshift64*, fixed seed per picture */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t) ((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* Uniform in [0, 1). */
static double
rndf (void)
{
  return rnd () / 4294967296.0;
}

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The format of the same layout and subsampling at another depth; -1 when
 * there is none (v210 is 10-bit only, YUY2 and RGB 8-bit only). */
static int
with_depth (EstVideoFormat f, int depth)
{
  const EstRefFormat *a = est_ref_format (f);
  if (a->depth == depth)
    return (int) f;
  for (size_t i = 0; i < est_ref_n_formats; i++) {
    const EstRefFormat *b = &est_ref_formats[i];
    if (b->layout == a->layout && b->sx == a->sx && b->sy == a->sy &&
        b->depth == depth)
      return (int) b->f;
  }
  return -1;
}

/* Samples whose container bits outside the code value are not zero. */
static int bad_bits;

/* Code value of component c at (x, y) of its grid (x may reach into the
 * padding of the last v210 group), counting bad container bits. */
static int
get_code (const EstRefFrame * fr, int c, int x, int y)
{
  return est_ref_get_code (fr, c, x, y, &bad_bits);
}

/* Smooth random fields with sharp edges and some samples at 0 and at the
 * maximum. */
static void
fill_input (EstRefFrame * fr, uint64_t seed)
{
  const EstRefFormat *ff = est_ref_format (fr->f);
  int max = (1 << ff->depth) - 1;

  rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
  if (ff->layout == EST_REF_V210)
    memset (fr->img.data[0], 0, fr->size[0]);
  for (int c = 0; c < 3; c++) {
    double fx[3], fy[3], ph[3], amp[3];
    double base = c ? 0.5 : 0.2 + 0.6 * rndf ();
    double step_x = 0.6 * rndf () - 0.3, step_y = 0.6 * rndf () - 0.3;
    int ex = (int) (rndf () * fr->pw[c]), ey = (int) (rndf () * fr->ph[c]);
    for (int k = 0; k < 3; k++) {
      fx[k] = 0.4 * rndf ();
      fy[k] = 0.4 * rndf ();
      ph[k] = 6.283 * rndf ();
      amp[k] = (c ? 0.15 : 0.2) * rndf ();
    }
    for (int y = 0; y < fr->ph[c]; y++) {
      for (int x = 0; x < fr->pw[c]; x++) {
        double v = base + (x >= ex ? step_x : 0.0) + (y >= ey ? step_y : 0.0)
            + 0.02 * (rndf () - 0.5);
        for (int k = 0; k < 3; k++)
          v += amp[k] * sin (fx[k] * x + fy[k] * y + ph[k]);
        uint32_t r = rnd () & 63;
        if (r == 0)
          v = 0.0;
        else if (r == 1)
          v = 1.0;
        int code = (int) lround (v * max);
        est_ref_set_code (fr, c, x, y, code < 0 ? 0 : code > max ? max : code);
      }
    }
  }
}

/* One conversion: what est_hdr_scale_new gets. */
typedef struct
{
  EstHdrScaleFormat in, out;
  EstHdrScaleParams p;
} Conv;

static int
is_hdr (EstTransfer t)
{
  return t == EST_TRANSFER_PQ || t == EST_TRANSFER_HLG;
}

static double
clampd (double v, double lo, double hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

/* The reference of cv on src (est_ref_convert), which must agree with
 * hdrcolour on when the colour stage is the identity. */
static void
reference (const Conv * cv, const EstRefFrame * src, EstRefPlane res[3],
    int quantise, double bias)
{
  int identity = est_ref_convert (&cv->in, &cv->out, &cv->p, &src->img, res,
      quantise, bias);

  CHECK (identity == est_hdr_colour_is_identity (&cv->in.colour,
          &cv->out.colour, &cv->p.colour), "identity decision %d differs",
      identity);
}

/* --- Fast path against reference ---------------------------------------- */

#define N_SHOWN 3

typedef struct
{
  int max_diff;                 /* code values, after rounding */
  double max_err;               /* against the unrounded reference */
  long off, total;              /* samples off by more than one, all */
  /* Samples where rounding the work planes to Q14 alone moves the
   * reference by more than one code: not held to the one-code bound. */
  long ill;
  int ill_max_diff;
  /* The first samples off by more than one: component, x, y, fast path,
   * reference (unrounded). */
  struct
  {
    int c, x, y, code;
    double ref;
  } shown[N_SHOWN];
} Result;

static double worst_err[2];     /* over all cases, 8 and 10 bits */
static int worst_diff[2];
static int n_cases;

static int
run_fast (const Conv * cv, const EstRefFrame * src, EstRefFrame * dst,
    int threads, int dither)
{
  EstHdrScaleParams p = cv->p;
  const char *err = NULL;

  p.n_threads = threads;
  p.dither = dither;
  EstHdrScale *s = est_hdr_scale_new (&cv->in, &cv->out, &p, &err);
  CHECK (s != NULL, "est_hdr_scale_new: %s", err ? err : "?");
  if (!s)
    return 0;
  est_hdr_scale_process (s, &src->img, &dst->img);
  est_hdr_scale_free (s);
  return 1;
}

static int
ref_code (const EstRefPlane * ref, size_t i, double q, int max)
{
  return (int) clampd (floor (ref->v[i] / q + 0.5), 0.0, max);
}

static Result
compare (const EstRefFrame * out, EstRefPlane ref[3], EstRefPlane refq[3][3],
    double q)
{
  const EstRefFormat *fo = est_ref_format (out->f);
  int max = (1 << fo->depth) - 1;
  Result res;

  memset (&res, 0, sizeof res);
  for (int c = 0; c < 3; c++) {
    for (int y = 0; y < out->ph[c]; y++) {
      for (int x = 0; x < out->pw[c]; x++) {
        size_t i = (size_t) y * out->pw[c] + x;
        double v = ref[c].v[i] / q;
        double vc = clampd (v, 0.0, max);
        int rcode = ref_code (&ref[c], i, q, max);
        int code = get_code (out, c, x, y);
        int d = abs (code - rcode);
        res.total++;
        int ill = 0;
        for (int k = 0; k < 3; k++)
          ill |= abs (ref_code (&refq[k][c], i, q, max) - rcode) > 1;
        if (ill) {
          res.ill++;
          res.ill_max_diff = d > res.ill_max_diff ? d : res.ill_max_diff;
          continue;
        }
        res.max_diff = d > res.max_diff ? d : res.max_diff;
        res.max_err = fmax (res.max_err, fabs (code - vc));
        if (d > 1 && res.off < N_SHOWN) {
          res.shown[res.off].c = c;
          res.shown[res.off].x = x;
          res.shown[res.off].y = y;
          res.shown[res.off].code = code;
          res.shown[res.off].ref = v;
        }
        res.off += d > 1;
      }
    }
  }
  return res;
}

/* v210 and YUY2 pack whole groups of six and two pixels: the padding
 * samples of the last group repeat the last real sample. Returns the count
 * that do not. */
static int
padding_errors (const EstRefFrame * out)
{
  const EstRefFormat *ff = est_ref_format (out->f);
  int per = ff->layout == EST_REF_V210 ? 6 : ff->f == EST_VIDEO_YUY2 ? 2 : 0;
  int bad = 0;

  if (!per)
    return 0;
  int groups = (out->w + per - 1) / per;
  for (int y = 0; y < out->h; y++) {
    for (int c = 0; c < 3; c++) {
      int n = out->pw[c], end = groups * (c ? per / 2 : per);
      int last = get_code (out, c, n - 1, y);
      for (int x = n; x < end; x++)
        bad += get_code (out, c, x, y) != last;
    }
  }
  return bad;
}

static void
conv_set_depths (Conv * cv)
{
  cv->in.colour.depth = est_ref_format (cv->in.format)->depth;
  cv->out.colour.depth = est_ref_format (cv->out.format)->depth;
}

/* Runs cv on src with dither off and checks every output sample against
 * the reference. */
static void
check_frame (const char *name, Conv * cv, const EstRefFrame * src)
{
  EstRefFrame dst;
  EstRefPlane ref[3];
  Result res;
  int bits = est_ref_format (cv->out.format)->depth;

  conv_set_depths (cv);
  est_ref_frame_alloc (&dst, cv->out.format, cv->out.width, cv->out.height,
      0x5a);
  if (run_fast (cv, src, &dst, 1, 0)) {
    EstRefPlane refq[3][3];
    reference (cv, src, ref, 0, 0.0);
    for (int k = 0; k < 3; k++)
      reference (cv, src, refq[k], 1, k * 0.5);
    bad_bits = 0;
    res = compare (&dst, ref, refq, (double) (1 << (14 - bits)));
    int pad = padding_errors (&dst);
    int filler = est_ref_filler_errors (&dst);
    printf ("%-58s %2d-bit: max |diff| %d (unrounded %.3f), %ld of %ld off "
        "by more than 1", name, bits, res.max_diff, res.max_err, res.off,
        res.total);
    if (res.ill)
      printf ("; %ld ill-conditioned (max |diff| %d)", res.ill,
          res.ill_max_diff);
    printf ("\n");
    /* A broken fast path must not hide there: they stay rare. */
    CHECK (res.ill * 100 <= res.total, "%s %d-bit: %ld of %ld samples "
        "ill-conditioned", name, bits, res.ill, res.total);
    CHECK (res.off == 0, "%s %d-bit: %ld samples off by more than one code "
        "value (max %d)", name, bits, res.off, res.max_diff);
    for (long i = 0; i < res.off && i < N_SHOWN; i++)
      printf ("  component %d at (%d, %d): fast path %d, reference %.3f\n",
          res.shown[i].c, res.shown[i].x, res.shown[i].y, res.shown[i].code,
          res.shown[i].ref);
    CHECK (bad_bits == 0, "%s: %d samples with bits set outside the code "
        "value", name, bad_bits);
    CHECK (pad == 0, "%s: %d padding samples do not repeat the last", name,
        pad);
    CHECK (filler == 0, "%s: %d alpha or padding bytes are not 255", name,
        filler);
    int slot = bits > 8;
    worst_err[slot] = fmax (worst_err[slot], res.max_err);
    worst_diff[slot] = res.max_diff > worst_diff[slot] ? res.max_diff :
        worst_diff[slot];
    n_cases++;
    for (int c = 0; c < 3; c++) {
      free (ref[c].v);
      for (int k = 0; k < 3; k++)
        free (refq[k][c].v);
    }
  }
  est_ref_frame_free (&dst);
}

static void
check_case (const char *name, Conv cv, uint64_t seed)
{
  EstRefFrame src;

  conv_set_depths (&cv);
  est_ref_frame_alloc (&src, cv.in.format, cv.in.width, cv.in.height, 0);
  fill_input (&src, seed);
  check_frame (name, &cv, &src);
  est_ref_frame_free (&src);
}

/* The case at 8 and 10-bit output; the input takes the same depth where
 * its layout has it (v210 stays 10-bit). */
static void
check_depths (const char *name, const Conv * base, uint64_t seed)
{
  for (int d = 8; d <= 10; d += 2) {
    Conv cv = *base;
    int in_f = with_depth (base->in.format, d);
    int out_f = with_depth (base->out.format, d);
    if (out_f < 0)
      continue;
    if (in_f >= 0)
      cv.in.format = (EstVideoFormat) in_f;
    cv.out.format = (EstVideoFormat) out_f;
    check_case (name, cv, seed);
  }
}

static const EstColourSpace SDR709 = {
  EST_MATRIX_BT709, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 8
};

static const EstColourSpace SDR601 = {
  EST_MATRIX_BT601, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 8
};

static const EstColourSpace SDR2020 = {
  EST_MATRIX_BT2020NCL, EST_TRANSFER_BT1886, EST_PRIMARIES_BT2020, 0, 8
};

static const EstColourSpace PQ2020 = {
  EST_MATRIX_BT2020NCL, EST_TRANSFER_PQ, EST_PRIMARIES_BT2020, 0, 10
};

static const EstColourSpace HLG2020 = {
  EST_MATRIX_BT2020NCL, EST_TRANSFER_HLG, EST_PRIMARIES_BT2020, 0, 10
};

/* esthdrscale's defaults: lanczos 3, bt2390 on max (R, G, B), soft gamut
 * mapping, source peak 1000, SDR white 203, target peak the SDR white for
 * SDR output and 1000 for HDR output; chroma sited left (cosited
 * horizontally, centred vertically) on both sides. */
static Conv
conv_make (EstVideoFormat in_f, int in_w, int in_h, EstColourSpace in_c,
    EstVideoFormat out_f, int out_w, int out_h, EstColourSpace out_c)
{
  Conv cv;

  memset (&cv, 0, sizeof cv);
  cv.in.format = in_f;
  cv.in.width = in_w;
  cv.in.height = in_h;
  cv.in.colour = in_c;
  cv.in.cosited_h = 1;
  cv.out.format = out_f;
  cv.out.width = out_w;
  cv.out.height = out_h;
  cv.out.colour = out_c;
  cv.out.cosited_h = 1;
  cv.p.colour.curve = EST_TONE_CURVE_BT2390;
  cv.p.colour.curve_param = NAN;
  cv.p.colour.tone_mode = EST_TONE_MODE_MAX_RGB;
  cv.p.colour.gamut_mode = EST_GAMUT_SOFT;
  cv.p.colour.src_peak = 1000.0;
  cv.p.colour.sdr_white = 203.0;
  cv.p.colour.dst_peak = is_hdr (out_c.transfer) ? 1000.0 : 203.0;
  cv.p.method = EST_RESAMPLE_LANCZOS;
  cv.p.lanczos_taps = 3;
  cv.p.n_threads = 1;
  cv.p.cpu_flags = est_cpu_flags ();
  conv_set_depths (&cv);
  return cv;
}

/* --- The cases ---------------------------------------------------------- */

static void
test_format_table (void)
{
  for (size_t i = 0; i < est_ref_n_formats; i++) {
    const EstRefFormat *f = &est_ref_formats[i];
    const EstVideoFormatInfo *info = est_video_format_info (f->f);
    CHECK (strcmp (info->name, f->name) == 0 && info->depth == f->depth &&
        info->shift_x == f->sx && info->shift_y == f->sy &&
        info->rgb == f->rgb, "format %s: videopack says %s depth %d shift "
        "%d,%d rgb %d", f->name, info->name, info->depth, info->shift_x,
        info->shift_y, info->rgb);
  }
}

static const char *const method_names[] = {
  "nearest", "bilinear", "bicubic", "mitchell", "lanczos", "spline36"
};

static void
test_scaling (void)
{
  static const int sizes[][4] = {
    {1, 1, 7, 5}, {7, 5, 1, 1}, {7, 5, 33, 17}, {33, 17, 7, 5},
    {33, 17, 64, 36}, {64, 36, 33, 17}, {64, 36, 64, 36},
    {320, 180, 640, 360}, {640, 360, 320, 180},
  };
  char name[128];

  for (int m = 0; m < EST_RESAMPLE_N; m++) {
    for (size_t i = 0; i < N_ELEMENTS (sizes); i++) {
      Conv cv = conv_make (EST_VIDEO_I420_10, sizes[i][0], sizes[i][1],
          SDR709, EST_VIDEO_I420_10, sizes[i][2], sizes[i][3], SDR709);
      cv.p.method = (EstResampleMethod) m;
      snprintf (name, sizeof name, "scale %s %dx%d -> %dx%d",
          method_names[m], sizes[i][0], sizes[i][1], sizes[i][2], sizes[i][3]);
      check_depths (name, &cv, 100 + i);
    }
  }
  /* Other lobe counts of lanczos. */
  for (int taps = 2; taps <= 8; taps += 6) {
    for (int dir = 0; dir < 2; dir++) {
      Conv cv = conv_make (EST_VIDEO_I420_10, dir ? 64 : 33, dir ? 36 : 17,
          SDR709, EST_VIDEO_I420_10, dir ? 33 : 64, dir ? 17 : 36, SDR709);
      cv.p.lanczos_taps = taps;
      snprintf (name, sizeof name, "scale lanczos%d %s", taps,
          dir ? "64x36 -> 33x17" : "33x17 -> 64x36");
      check_depths (name, &cv, 120 + dir);
    }
  }
}

static void
test_layouts (void)
{
  static const EstVideoFormat others[] = {
    EST_VIDEO_NV12, EST_VIDEO_V210, EST_VIDEO_Y444, EST_VIDEO_Y42B,
    EST_VIDEO_I420,
  };
  static const int sizes[][4] = { {33, 17, 33, 17}, {64, 36, 40, 24} };
  char name[128];

  for (size_t i = 0; i < N_ELEMENTS (others); i++) {
    for (size_t s = 0; s < N_ELEMENTS (sizes); s++) {
      for (int back = 0; back < 2; back++) {
        EstVideoFormat a = back ? others[i] : EST_VIDEO_I420;
        EstVideoFormat b = back ? EST_VIDEO_I420 : others[i];
        if (back && others[i] == EST_VIDEO_I420)
          continue;
        Conv cv = conv_make (a, sizes[s][0], sizes[s][1], SDR709, b,
            sizes[s][2], sizes[s][3], SDR709);
        snprintf (name, sizeof name, "layout %s -> %s %dx%d -> %dx%d",
            est_ref_format (a)->name, est_ref_format (b)->name, sizes[s][0],
            sizes[s][1], sizes[s][2], sizes[s][3]);
        check_depths (name, &cv, 200 + 10 * i + s);
      }
    }
  }
}

static void
test_depths (void)
{
  static const EstVideoFormat ins[] = {
    EST_VIDEO_I420, EST_VIDEO_I420_10, EST_VIDEO_I420_12
  };
  static const EstVideoFormat outs[] = { EST_VIDEO_I420, EST_VIDEO_I420_10 };
  char name[128];

  for (int full = 0; full < 2; full++) {
    for (size_t i = 0; i < N_ELEMENTS (ins); i++) {
      for (size_t o = 0; o < N_ELEMENTS (outs); o++) {
        for (int scaled = 0; scaled < 2; scaled++) {
          EstColourSpace c = SDR709;
          c.full_range = full;
          Conv cv = conv_make (ins[i], 33, 17, c, outs[o],
              scaled ? 40 : 33, scaled ? 24 : 17, c);
          snprintf (name, sizeof name, "depth %s -> %s, %s range%s",
              est_ref_format (ins[i])->name, est_ref_format (outs[o])->name,
              full ? "full" : "limited", scaled ? ", 33x17 -> 40x24" : "");
          check_case (name, cv, 300 + i);
        }
      }
    }
  }
  /* 12-bit output, held to the same one code value (Q14 keeps two bits
   * below it). */
  Conv cv = conv_make (EST_VIDEO_I420_10, 64, 36, SDR709, EST_VIDEO_I420_12,
      40, 24, SDR709);
  check_case ("depth I420_10LE -> I420_12LE, 64x36 -> 40x24", cv, 310);
}

static void
test_range_matrix_primaries (void)
{
  char name[128];
  EstColourSpace full = SDR709;
  full.full_range = 1;

  for (int dir = 0; dir < 2; dir++) {
    Conv cv = conv_make (EST_VIDEO_I420_10, 64, 36, dir ? full : SDR709,
        EST_VIDEO_NV12, 40, 24, dir ? SDR709 : full);
    check_depths (dir ? "range full -> limited" : "range limited -> full",
        &cv, 400 + dir);
    cv = conv_make (EST_VIDEO_I420_10, 33, 17, dir ? SDR709 : SDR601,
        EST_VIDEO_I420, 64, 36, dir ? SDR601 : SDR709);
    check_depths (dir ? "matrix BT.709 -> BT.601" : "matrix BT.601 -> BT.709",
        &cv, 410 + dir);
    for (int soft = 0; soft < 2; soft++) {
      cv = conv_make (EST_VIDEO_I420_10, 64, 36, dir ? SDR2020 : SDR709,
          EST_VIDEO_NV12, 40, 24, dir ? SDR709 : SDR2020);
      cv.p.colour.gamut_mode = soft ? EST_GAMUT_SOFT : EST_GAMUT_CLIP;
      snprintf (name, sizeof name, "primaries SDR %s, %s gamut",
          dir ? "BT.2020 -> BT.709" : "BT.709 -> BT.2020",
          soft ? "soft" : "clip");
      check_depths (name, &cv, 420 + dir);
    }
  }
}

static void
test_pq_to_sdr (void)
{
  static const EstToneCurveId curves[] = {
    EST_TONE_CURVE_BT2390, EST_TONE_CURVE_HABLE
  };
  static const char *const modes[] = { "rgb", "luminance", "max-rgb" };
  char name[128];

  for (size_t cu = 0; cu < N_ELEMENTS (curves); cu++)
    for (int mode = 0; mode < 3; mode++)
      for (int soft = 0; soft < 2; soft++)
        for (int peak = 1000; peak <= 4000; peak += 3000)
          for (int white = 100; white <= 203; white += 103) {
            Conv cv = conv_make (EST_VIDEO_I420_10, 96, 54, PQ2020,
                EST_VIDEO_NV12, 64, 36, SDR709);
            cv.p.colour.curve = curves[cu];
            cv.p.colour.tone_mode = (EstToneMode) mode;
            cv.p.colour.gamut_mode = soft ? EST_GAMUT_SOFT : EST_GAMUT_CLIP;
            cv.p.colour.src_peak = peak;
            cv.p.colour.sdr_white = white;
            cv.p.colour.dst_peak = white;
            snprintf (name, sizeof name, "PQ -> SDR %s %s %s peak %d white %d",
                est_tone_curves[curves[cu]].name, modes[mode],
                soft ? "soft" : "clip", peak, white);
            check_depths (name, &cv, 500 + mode);
          }
}

static void
test_hdr_conversions (void)
{
  Conv cv;

  /* HLG to SDR, colour at the input size (upscale) and at the output size
   * (downscale), with a few of the knobs. */
  cv = conv_make (EST_VIDEO_I420_10, 96, 54, HLG2020, EST_VIDEO_NV12, 64, 36,
      SDR709);
  check_depths ("HLG -> SDR 96x54 -> 64x36 (defaults)", &cv, 600);
  cv.p.colour.tone_mode = EST_TONE_MODE_RGB;
  cv.p.colour.gamut_mode = EST_GAMUT_CLIP;
  check_depths ("HLG -> SDR 96x54 -> 64x36 rgb clip", &cv, 601);
  cv.p.colour.tone_mode = EST_TONE_MODE_LUMINANCE;
  cv.p.colour.curve = EST_TONE_CURVE_HABLE;
  check_depths ("HLG -> SDR 96x54 -> 64x36 hable luminance clip", &cv, 602);
  cv = conv_make (EST_VIDEO_P010, 33, 17, HLG2020, EST_VIDEO_I420, 64, 36,
      SDR709);
  check_depths ("HLG -> SDR 33x17 -> 64x36 (defaults)", &cv, 603);
  cv.p.colour.src_peak = 2000.0;
  cv.p.colour.sdr_white = 100.0;
  cv.p.colour.dst_peak = 100.0;
  check_depths ("HLG -> SDR 33x17 -> 64x36 peak 2000 white 100", &cv, 604);

  /* Between the HDR systems, and from SDR. */
  cv = conv_make (EST_VIDEO_I420_10, 96, 54, PQ2020, EST_VIDEO_NV12, 64, 36,
      HLG2020);
  check_depths ("PQ -> HLG 96x54 -> 64x36 (defaults)", &cv, 610);
  cv.p.colour.gamut_mode = EST_GAMUT_CLIP;
  check_depths ("PQ -> HLG 96x54 -> 64x36 clip", &cv, 611);
  cv = conv_make (EST_VIDEO_I420_10, 33, 17, HLG2020, EST_VIDEO_I420, 64, 36,
      PQ2020);
  check_depths ("HLG -> PQ 33x17 -> 64x36 (defaults)", &cv, 612);
  cv = conv_make (EST_VIDEO_I420_10, 96, 54, HLG2020, EST_VIDEO_Y444, 64, 36,
      PQ2020);
  check_depths ("HLG -> PQ 96x54 -> 64x36 Y444 (defaults)", &cv, 613);
  cv = conv_make (EST_VIDEO_I420, 64, 36, SDR709, EST_VIDEO_NV12, 64, 36,
      PQ2020);
  check_depths ("SDR BT.709 -> PQ BT.2020 white 203", &cv, 620);
  cv = conv_make (EST_VIDEO_I420, 64, 36, SDR709, EST_VIDEO_NV12, 64, 36,
      HLG2020);
  check_depths ("SDR BT.709 -> HLG BT.2020 white 203", &cv, 621);
  cv = conv_make (EST_VIDEO_I420, 33, 17, SDR2020, EST_VIDEO_I420, 64, 36,
      PQ2020);
  check_depths ("SDR BT.2020 -> PQ 33x17 -> 64x36 white 203", &cv, 622);

  /* PQ 4000 -> PQ 1000: tone mapping without a transfer change. */
  cv = conv_make (EST_VIDEO_P010, 96, 54, PQ2020, EST_VIDEO_NV12, 64, 36,
      PQ2020);
  cv.p.colour.src_peak = 4000.0;
  check_depths ("PQ 4000 -> PQ 1000 (defaults)", &cv, 630);
  cv.p.colour.tone_mode = EST_TONE_MODE_RGB;
  cv.p.colour.gamut_mode = EST_GAMUT_CLIP;
  check_depths ("PQ 4000 -> PQ 1000 rgb clip", &cv, 631);
  cv.p.colour.tone_mode = EST_TONE_MODE_LUMINANCE;
  cv.p.colour.curve = EST_TONE_CURVE_HABLE;
  check_depths ("PQ 4000 -> PQ 1000 hable luminance", &cv, 632);
}

static void
test_siting (void)
{
  static const int sitings[][4] = {
    {1, 1, 0, 0}, {0, 0, 1, 1}, {1, 1, 1, 1}, {0, 0, 0, 0}, {1, 0, 0, 1},
  };
  char name[128];

  for (size_t i = 0; i < N_ELEMENTS (sitings); i++) {
    for (int scaled = 0; scaled < 2; scaled++) {
      for (int m = EST_RESAMPLE_BILINEAR; m <= EST_RESAMPLE_MITCHELL; m += 2) {
        Conv cv = conv_make (EST_VIDEO_I420_10, 33, 17, SDR709,
            EST_VIDEO_I420, scaled ? 64 : 33, scaled ? 36 : 17, SDR709);
        cv.in.cosited_h = sitings[i][0];
        cv.in.cosited_v = sitings[i][1];
        cv.out.cosited_h = sitings[i][2];
        cv.out.cosited_v = sitings[i][3];
        cv.p.method = (EstResampleMethod) m;
        snprintf (name, sizeof name, "siting %d%d -> %d%d %s%s",
            sitings[i][0], sitings[i][1], sitings[i][2], sitings[i][3],
            method_names[m], scaled ? " 33x17 -> 64x36" : "");
        check_depths (name, &cv, 700 + i);
      }
    }
  }
  /* 4:2:0 into 4:2:2 and through the colour stage. */
  Conv cv = conv_make (EST_VIDEO_I420_10, 64, 36, SDR709, EST_VIDEO_Y42B,
      64, 36, SDR709);
  cv.in.cosited_v = 1;
  cv.out.cosited_h = 0;
  check_depths ("siting 11 -> 00 I420 -> I422", &cv, 710);
  cv = conv_make (EST_VIDEO_I420_10, 96, 54, PQ2020, EST_VIDEO_NV12, 64, 36,
      SDR709);
  cv.in.cosited_v = 1;
  cv.out.cosited_h = 0;
  check_depths ("siting 11 -> 00 PQ -> SDR 96x54 -> 64x36", &cv, 711);
  cv = conv_make (EST_VIDEO_I420_10, 33, 17, PQ2020, EST_VIDEO_NV12, 64, 36,
      SDR709);
  cv.in.cosited_h = 0;
  cv.out.cosited_v = 1;
  check_depths ("siting 00 -> 11 PQ -> SDR 33x17 -> 64x36", &cv, 712);
}

static void
test_borders (void)
{
  EstColourSpace full = SDR709;
  full.full_range = 1;

  /* 4:3 into 16:9 (pillarbox), identity colour. */
  Conv cv = conv_make (EST_VIDEO_I420_10, 40, 30, SDR709, EST_VIDEO_I420,
      64, 36, SDR709);
  cv.p.rect_x = 8;
  cv.p.rect_w = 48;
  cv.p.rect_h = 36;
  check_depths ("borders 40x30 into 64x36 at 8,0 48x36", &cv, 800);
  /* 16:9 into 4:3 (letterbox), through the colour stage, full range. */
  cv = conv_make (EST_VIDEO_I420_10, 96, 54, PQ2020, EST_VIDEO_NV12, 48, 36,
      full);
  cv.p.rect_y = 4;
  cv.p.rect_w = 48;
  cv.p.rect_h = 28;
  check_depths ("borders PQ 96x54 into 48x36 at 0,4 48x28 full", &cv, 801);
  /* Odd output size, the rectangle reaching the right and bottom edges. */
  cv = conv_make (EST_VIDEO_I420_10, 33, 17, HLG2020, EST_VIDEO_I420, 65, 37,
      SDR709);
  cv.p.rect_x = 6;
  cv.p.rect_y = 2;
  cv.p.rect_w = 59;
  cv.p.rect_h = 35;
  check_depths ("borders HLG 33x17 into 65x37 at 6,2 59x35", &cv, 802);
}

static const EstColourSpace SRGB = {
  EST_MATRIX_RGB, EST_TRANSFER_SRGB, EST_PRIMARIES_BT709, 1, 8
};

static const EstColourSpace RGB709 = {
  EST_MATRIX_RGB, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 1, 8
};

/* The one-plane 8-bit layouts: YUY2 in and out of the other YUV layouts,
 * R'G'B' to and from Y'CbCr through every kind of colour stage, R'G'B'
 * ranges, primaries and borders. */
static void
test_yuy2_and_rgb (void)
{
  EstColourSpace rgb_limited = RGB709, rgb2020 = RGB709;
  Conv cv;

  rgb_limited.full_range = 0;
  rgb2020.primaries = EST_PRIMARIES_BT2020;

  cv = conv_make (EST_VIDEO_YUY2, 64, 36, SDR709, EST_VIDEO_NV12, 40, 24,
      SDR709);
  check_depths ("YUY2 -> NV12 64x36 -> 40x24", &cv, 1000);
  cv = conv_make (EST_VIDEO_I420, 33, 17, SDR709, EST_VIDEO_YUY2, 65, 37,
      SDR709);
  check_depths ("I420 -> YUY2 33x17 -> 65x37", &cv, 1001);
  cv = conv_make (EST_VIDEO_YUY2, 33, 17, PQ2020, EST_VIDEO_YUY2, 33, 17,
      SDR709);
  check_case ("YUY2 PQ -> YUY2 SDR 33x17", cv, 1002);

  cv = conv_make (EST_VIDEO_RGBA, 64, 36, SRGB, EST_VIDEO_NV12, 40, 24, SDR709);
  check_depths ("RGBA sRGB -> NV12 BT.709 64x36 -> 40x24", &cv, 1010);
  cv = conv_make (EST_VIDEO_NV12, 33, 17, SDR709, EST_VIDEO_BGRX, 64, 36,
      RGB709);
  check_case ("NV12 BT.709 -> BGRx 33x17 -> 64x36", cv, 1011);
  cv = conv_make (EST_VIDEO_YUY2, 33, 17, SDR601, EST_VIDEO_RGBA, 33, 17, SRGB);
  check_case ("YUY2 BT.601 -> RGBA sRGB 33x17", cv, 1012);
  cv = conv_make (EST_VIDEO_RGBA, 64, 36, SRGB, EST_VIDEO_P010, 64, 36, PQ2020);
  check_case ("RGBA sRGB -> P010 PQ BT.2020 (SDR -> HDR)", cv, 1013);
  cv = conv_make (EST_VIDEO_P010, 96, 54, PQ2020, EST_VIDEO_RGBA, 64, 36, SRGB);
  check_case ("P010 PQ -> RGBA sRGB 96x54 -> 64x36 (tone mapped)", cv, 1014);
  cv.p.colour.tone_mode = EST_TONE_MODE_LUMINANCE;
  cv.out.format = EST_VIDEO_BGRA;
  check_case ("P010 PQ -> BGRA sRGB 96x54 -> 64x36 luminance", cv, 1015);
  cv = conv_make (EST_VIDEO_I420_10, 33, 17, HLG2020, EST_VIDEO_RGBX, 64, 36,
      rgb2020);
  check_case ("I420_10LE HLG -> RGBx BT.2020 SDR 33x17 -> 64x36", cv, 1016);

  cv = conv_make (EST_VIDEO_RGBA, 64, 36, RGB709, EST_VIDEO_BGRX, 33, 17,
      RGB709);
  check_case ("RGBA -> BGRx 64x36 -> 33x17 (no colour stage)", cv, 1020);
  cv = conv_make (EST_VIDEO_RGBX, 33, 17, rgb_limited, EST_VIDEO_BGRA, 33, 17,
      RGB709);
  check_case ("RGBx limited -> BGRA full", cv, 1021);
  cv = conv_make (EST_VIDEO_BGRA, 33, 17, RGB709, EST_VIDEO_RGBA, 40, 24,
      rgb_limited);
  check_case ("BGRA full -> RGBA limited 33x17 -> 40x24", cv, 1022);
  for (int soft = 0; soft < 2; soft++) {
    cv = conv_make (EST_VIDEO_RGBA, 64, 36, rgb2020, EST_VIDEO_RGBA, 64, 36,
        SRGB);
    cv.p.colour.gamut_mode = soft ? EST_GAMUT_SOFT : EST_GAMUT_CLIP;
    check_case (soft ? "RGBA BT.2020 -> RGBA sRGB, soft gamut" :
        "RGBA BT.2020 -> RGBA sRGB, clip gamut", cv, 1023);
  }

  cv = conv_make (EST_VIDEO_I420, 40, 30, SDR709, EST_VIDEO_RGBX, 64, 36,
      RGB709);
  cv.p.rect_x = 8;
  cv.p.rect_w = 48;
  cv.p.rect_h = 36;
  check_case ("borders I420 40x30 into RGBx 64x36 at 8,0 48x36", cv, 1030);
  cv = conv_make (EST_VIDEO_RGBA, 40, 30, RGB709, EST_VIDEO_RGBA, 64, 36,
      rgb_limited);
  cv.p.rect_x = 8;
  cv.p.rect_w = 48;
  cv.p.rect_h = 36;
  check_case ("borders RGBA 40x30 into RGBA limited 64x36", cv, 1031);
}

/* RGB layouts carry R'G'B' and YUV layouts Y'CbCr: any other pairing of
 * format and matrix is refused with a message saying so. */
static void
test_matrix_must_match_format (void)
{
  static const struct
  {
    EstVideoFormat f;
    EstMatrix m;
    int ok;
  } sides[] = {
    {EST_VIDEO_RGBA, EST_MATRIX_RGB, 1},
    {EST_VIDEO_BGRX, EST_MATRIX_RGB, 1},
    {EST_VIDEO_NV12, EST_MATRIX_BT709, 1},
    {EST_VIDEO_YUY2, EST_MATRIX_BT601, 1},
    {EST_VIDEO_RGBA, EST_MATRIX_BT709, 0},
    {EST_VIDEO_RGBX, EST_MATRIX_BT2020NCL, 0},
    {EST_VIDEO_NV12, EST_MATRIX_RGB, 0},
    {EST_VIDEO_YUY2, EST_MATRIX_RGB, 0},
  };

  for (size_t i = 0; i < N_ELEMENTS (sides); i++) {
    for (size_t o = 0; o < N_ELEMENTS (sides); o++) {
      Conv cv = conv_make (sides[i].f, 16, 8, RGB709, sides[o].f, 16, 8,
          RGB709);
      const char *err = NULL;
      int want = sides[i].ok && sides[o].ok;

      cv.in.colour.matrix = sides[i].m;
      cv.out.colour.matrix = sides[o].m;
      EstHdrScale *s = est_hdr_scale_new (&cv.in, &cv.out, &cv.p, &err);
      CHECK (!!s == want, "%s matrix %d -> %s matrix %d: %s",
          est_ref_format (sides[i].f)->name, (int) sides[i].m,
          est_ref_format (sides[o].f)->name, (int) sides[o].m,
          s ? "accepted" : err);
      if (!want)
        CHECK (err && strstr (err, "matrix"), "error message: %s",
            err ? err : "(none)");
      est_hdr_scale_free (s);
    }
  }
}

/* The same output with 1 and 3 threads, dither on: byte for byte. */
static void
test_threads (void)
{
  Conv cvs[2];

  cvs[0] = conv_make (EST_VIDEO_I420_10, 320, 180, PQ2020, EST_VIDEO_NV12,
      640, 360, SDR709);
  cvs[1] = conv_make (EST_VIDEO_P010, 640, 360, HLG2020, EST_VIDEO_I420_10,
      320, 180, SDR709);
  for (size_t i = 0; i < N_ELEMENTS (cvs); i++) {
    Conv *cv = &cvs[i];
    EstRefFrame src, a, b;
    int same = 1;

    est_ref_frame_alloc (&src, cv->in.format, cv->in.width, cv->in.height, 0);
    fill_input (&src, 900 + i);
    est_ref_frame_alloc (&a, cv->out.format, cv->out.width, cv->out.height,
        0x5a);
    est_ref_frame_alloc (&b, cv->out.format, cv->out.width, cv->out.height,
        0x5a);
    if (run_fast (cv, &src, &a, 1, 1) && run_fast (cv, &src, &b, 3, 1)) {
      for (int p = 0; p < 3; p++)
        if (a.own[p] && memcmp (a.own[p], b.own[p], a.size[p]) != 0)
          same = 0;
      printf ("threads 1 vs 3, dither on, %s %dx%d -> %s %dx%d: %s\n",
          est_ref_format (cv->in.format)->name, cv->in.width, cv->in.height,
          est_ref_format (cv->out.format)->name, cv->out.width, cv->out.height,
          same ? "identical" : "DIFFERENT");
      CHECK (same, "output depends on the thread count (case %zu)", i);
    }
    est_ref_frame_free (&src);
    est_ref_frame_free (&a);
    est_ref_frame_free (&b);
  }
}

/* --- Real clips --------------------------------------------------------- */

static char *
media_path (const char *file)
{
  const char *dir = getenv ("ESTUARY_MEDIA_DIR");
  char *path = malloc (4096);
  struct stat st;

  if (!path)
    abort ();
  if (!dir || !*dir) {
    /* Run by hand from the build folder: the source is next to it. */
    snprintf (path, 4096, "%s", __FILE__);
    char *slash = strrchr (path, '/');
    if (!slash) {
      free (path);
      return NULL;
    }
    snprintf (slash, 4096 - (size_t) (slash - path),
        "/../../../shared/media/%s", file);
  } else {
    snprintf (path, 4096, "%s/%s", dir, file);
  }
  if (stat (path, &st) != 0) {
    free (path);
    return NULL;
  }
  return path;
}

static const struct
{
  const char *file;
  EstTransfer transfer;
} clips[] = {
  {"hdr10_mountains_1080p60_av1.mp4", EST_TRANSFER_PQ},
  {"hdr10_rooftops_1080p30_hevc.mp4", EST_TRANSFER_PQ},
  {"hlg_colorchecker_1080p_hevc.mp4", EST_TRANSFER_HLG},
  {"hlg_phone_rooftop_1080p_hevc.mp4", EST_TRANSFER_HLG},
  {"meridian_hdr10_720p_prores.mxf", EST_TRANSFER_PQ},
};

/* The coded size and chroma location of the clip's video. */
static int
probe (const char *path, int *w, int *h, int *cosited_h, int *cosited_v)
{
  char cmd[4400], loc[64] = "";
  FILE *f;
  int ok;

  snprintf (cmd, sizeof cmd, "ffprobe -v error -select_streams v:0 "
      "-show_entries stream=width,height,chroma_location -of csv=p=0 '%s'",
      path);
  f = popen (cmd, "r");
  if (!f)
    return 0;
  ok = fscanf (f, "%d,%d,%63[a-z]", w, h, loc) >= 2;
  pclose (f);
  /* MPEG's default (and what these clips say) is left. */
  *cosited_h = strcmp (loc, "center") != 0;
  *cosited_v = strcmp (loc, "topleft") == 0;
  return ok && *w > 0 && *h > 0;
}

static void
test_clips (void)
{
  char *path;
  int any = 0;

  if (system ("ffmpeg -version >/dev/null 2>&1") != 0 ||
      system ("ffprobe -version >/dev/null 2>&1") != 0) {
    printf ("SKIP clips: ffmpeg or ffprobe is not available\n");
    return;
  }
  for (size_t i = 0; i < N_ELEMENTS (clips); i++) {
    int w, h, ch, cv_, is422 = strstr (clips[i].file, "prores") != NULL;
    char cmd[4400], name[160];
    FILE *f;

    if (!(path = media_path (clips[i].file))) {
      printf ("SKIP clip %s: not found (ESTUARY_MEDIA_DIR)\n", clips[i].file);
      continue;
    }
    any = 1;
    if (!probe (path, &w, &h, &ch, &cv_)) {
      CHECK (0, "ffprobe cannot read %s", path);
      free (path);
      continue;
    }
    EstVideoFormat vf = is422 ? EST_VIDEO_I422_10 : EST_VIDEO_I420_10;
    EstRefFrame fr;
    est_ref_frame_layout (&fr, vf, w, h);
    size_t plane[3], total = 0;
    for (int c = 0; c < 3; c++) {
      plane[c] = (size_t) fr.pw[c] * fr.ph[c] * 2;
      total += plane[c];
    }
    uint8_t *buf = malloc (2 * total);
    if (!buf)
      abort ();
    snprintf (cmd, sizeof cmd,
        "ffmpeg -v error -noautorotate -i '%s' -map 0:v:0 "
        "-frames:v 2 -f rawvideo -pix_fmt %s -", path,
        is422 ? "yuv422p10le" : "yuv420p10le");
    f = popen (cmd, "r");
    size_t got = f ? fread (buf, 1, 2 * total, f) : 0;
    if (f)
      pclose (f);
    CHECK (got == 2 * total, "%s: ffmpeg gave %zu bytes, not %zu", path, got,
        2 * total);
    for (int n = 0; got == 2 * total && n < 2; n++) {
      uint8_t *p = buf + n * total;
      for (int c = 0; c < 3; c++) {
        fr.img.data[c] = p;
        fr.img.stride[c] = (ptrdiff_t) fr.pw[c] * 2;
        p += plane[c];
      }
      EstColourSpace in_c = clips[i].transfer == EST_TRANSFER_PQ ? PQ2020 :
          HLG2020;

      /* HDR to SDR 640x360 NV12 and P010 with the defaults. */
      Conv cv = conv_make (vf, w, h, in_c, EST_VIDEO_NV12, 640, 360, SDR709);
      cv.in.cosited_h = ch;
      cv.in.cosited_v = cv_;
      snprintf (name, sizeof name, "clip %s #%d -> SDR 640x360",
          clips[i].file, n);
      check_frame (name, &cv, &fr);
      cv.out.format = EST_VIDEO_P010;
      check_frame (name, &cv, &fr);

      /* PQ <-> HLG at the input size, on a 480x270 crop of the centre. */
      EstRefFrame crop = fr;
      int x0 = (w - 480) / 4 * 2, y0 = (h - 270) / 4 * 2;
      const EstRefFormat *ff = est_ref_format (vf);
      crop.w = 480;
      crop.h = 270;
      for (int c = 0; c < 3; c++) {
        int sx = c ? ff->sx : 0, sy = c ? ff->sy : 0;
        crop.pw[c] = c ? (480 + (1 << sx) - 1) >> sx : 480;
        crop.ph[c] = c ? (270 + (1 << sy) - 1) >> sy : 270;
        crop.img.data[c] = fr.img.data[c] + (y0 >> sy) * fr.img.stride[c] +
            (x0 >> sx) * 2;
      }
      cv = conv_make (vf, 480, 270, in_c, EST_VIDEO_P010, 480, 270,
          clips[i].transfer == EST_TRANSFER_PQ ? HLG2020 : PQ2020);
      cv.in.cosited_h = ch;
      cv.in.cosited_v = cv_;
      snprintf (name, sizeof name, "clip %s #%d -> %s 480x270 crop",
          clips[i].file, n,
          clips[i].transfer == EST_TRANSFER_PQ ? "HLG" : "PQ");
      check_frame (name, &cv, &crop);
      cv.out.format = EST_VIDEO_NV12;
      check_frame (name, &cv, &crop);
    }
    free (buf);
    free (path);
  }
  if (!any)
    printf ("SKIP clips: no media folder (ESTUARY_MEDIA_DIR)\n");
}

int
main (void)
{
  double t0 = now ();

  setvbuf (stdout, NULL, _IOLBF, 0);
  printf ("CPU flags 0x%x\n", est_cpu_flags ());
  test_format_table ();
  test_scaling ();
  test_layouts ();
  test_depths ();
  test_range_matrix_primaries ();
  test_pq_to_sdr ();
  test_hdr_conversions ();
  test_siting ();
  test_borders ();
  test_yuy2_and_rgb ();
  test_matrix_must_match_format ();
  test_threads ();
  test_clips ();

  printf ("%d cases; worst |diff| %d (unrounded %.3f) at 8 bits, %d "
      "(unrounded %.3f) at 10 bits; %.1f s\n", n_cases, worst_diff[0],
      worst_err[0], worst_diff[1], worst_err[1], now () - t0);
  if (failures)
    printf ("%d failures\n", failures);
  return failures ? 1 : 0;
}
