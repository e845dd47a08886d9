/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The error of converted raw video against the float64 reference of the
 * esthdrscale pipeline (tests/common/hdrscaleref.h), for bench/hdrscale.py:
 *
 *   raw input --est_ref_convert--> reference, rounded to output codes
 *   candidate raw output (any tool) --------------------------> |diff|
 *
 * For the first --frames frames of the input, each candidate (the whole
 * output of one tool for those frames, in the output format) is compared
 * sample by sample, borders and chroma included, with the reference
 * rounded to the nearest output code. Printed per candidate: max |diff| and
 * mean |diff| in output code values, the share of samples off by more than
 * 1 and by more than 4, the mean signed difference of luma and chroma (a
 * systematic offset shows a difference of convention rather than of
 * precision), the PSNR of luma and of chroma (Cb and Cr together) with the
 * largest code value as the peak, and where the largest difference is;
 * then a line for scripts:
 *
 *   RESULT name maxdiff meandiff psnr_y psnr_c over1 over4
 *
 * (over1 and over4 in percent; an exact match prints inf for the PSNR).
 *
 * The reference neither dithers nor detects peaks: compare esthdrscale with
 * dither=false, and expect a dithering tool to sit about half a code from
 * it on average. It samples chroma where --chroma-site says on both sides:
 * give every tool the same siting (FFmpeg's default for 4:2:0 without a
 * chroma location is mpeg2, i.e. left; esthdrscale's, when the caps carry
 * no chroma-site, is jpeg, i.e. centred).
 *
 * Raw files: frames one after another, each plane's rows unpadded (FFmpeg's
 * rawvideo; GStreamer's too whenever a row is a multiple of 4 bytes, e.g.
 * NV12 of an even width that is a multiple of 4). Run with --help for the
 * options. */

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "colour.h"
#include "hdrcolour.h"
#include "hdrscale.h"
#include "hdrscaleref.h"
#include "resample.h"
#include "tonemap.h"
#include "videopack.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

static const char usage[] =
    "usage: hdrscale-error [options] NAME=FILE [NAME=FILE ...]\n"
    "\n"
    "Error of each candidate output FILE (raw, output format and size, the\n"
    "first --frames frames) against the float64 reference of esthdrscale.\n"
    "\n"
    "input:\n"
    "  --input FILE             raw input frames (required)\n"
    "  --in-format FMT          I420_10LE (default), I420, P010_10LE, ...\n"
    "                           GStreamer or FFmpeg names (yuv420p10le)\n"
    "  --in-size WxH            (required)\n"
    "  --in-colorimetry C       bt2100-pq (default), bt2100-hlg, bt709,\n"
    "                           bt2020, bt601\n"
    "  --in-range R             tv (default) or pc\n"
    "  --frames N               frames to check, from the first (default 2)\n"
    "output:\n"
    "  --out-size WxH           (required)\n"
    "  --out-format FMT         NV12 (default), P010_10LE, I420_10LE, ...\n"
    "  --out-colorimetry C      bt709 (default), as --in-colorimetry\n"
    "  --out-range R            tv (default) or pc\n"
    "  --chroma-site S          both sides: mpeg2 (left, the default), jpeg\n"
    "                           (centre), cosited (top left)\n"
    "  --in-chroma-site S, --out-chroma-site S   one side only\n"
    "  --no-borders             stretch to the output (no add-borders)\n"
    "conversion (esthdrscale's properties and defaults):\n"
    "  --method M               nearest, bilinear, bicubic, mitchell,\n"
    "                           lanczos (default), spline36\n"
    "  --taps N                 lanczos lobes (default 3)\n"
    "  --tone-curve C           bt2390 (default), bt2446a, hable, reinhard,\n"
    "                           mobius, clip\n"
    "  --tone-curve-param X     the curve's knob (default: the curve's)\n"
    "  --tone-mapping-mode M    rgb, luminance, max-rgb (default)\n"
    "  --gamut-mapping M        clip or soft (default)\n"
    "  --source-peak X          cd/m2 (default 1000)\n"
    "  --target-peak X          cd/m2 (default 0: sdr-white for SDR output,\n"
    "                           1000 for HDR output)\n"
    "  --sdr-white X            cd/m2 (default 203)\n"
    "other:\n"
    "  --write-reference FILE   also write the reference, rounded, as raw\n"
    "                           output frames\n";

typedef struct
{
  const char *name;
  EstColourSpace cs;
} Colorimetry;

/* GStreamer's colorimetry names, with esthdrscale's reading of them (every
 * SDR transfer is the BT.1886 display EOTF). depth is filled in later. */
static const Colorimetry colorimetries[] = {
  {"bt2100-pq", {EST_MATRIX_BT2020NCL, EST_TRANSFER_PQ, EST_PRIMARIES_BT2020,
          0, 0}},
  {"bt2100-hlg", {EST_MATRIX_BT2020NCL, EST_TRANSFER_HLG,
          EST_PRIMARIES_BT2020, 0, 0}},
  {"bt709", {EST_MATRIX_BT709, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0,
          0}},
  {"bt2020", {EST_MATRIX_BT2020NCL, EST_TRANSFER_BT1886,
          EST_PRIMARIES_BT2020, 0, 0}},
  {"bt601", {EST_MATRIX_BT601, EST_TRANSFER_BT1886, EST_PRIMARIES_BT601_525,
          0, 0}},
};

/* FFmpeg's pixel format names for the formats of the table. */
static const struct
{
  const char *ffmpeg;
  EstVideoFormat f;
} aliases[] = {
  {"yuv420p", EST_VIDEO_I420},
  {"nv12", EST_VIDEO_NV12},
  {"yuv422p", EST_VIDEO_Y42B},
  {"yuv444p", EST_VIDEO_Y444},
  {"yuv420p10le", EST_VIDEO_I420_10},
  {"yuv422p10le", EST_VIDEO_I422_10},
  {"yuv444p10le", EST_VIDEO_Y444_10},
  {"p010le", EST_VIDEO_P010},
  {"yuv420p12le", EST_VIDEO_I420_12},
  {"yuv422p12le", EST_VIDEO_I422_12},
  {"yuv444p12le", EST_VIDEO_Y444_12},
};

static const char *const method_names[] = {
  "nearest", "bilinear", "bicubic", "mitchell", "lanczos", "spline36"
};

static const char *const tone_mode_names[] = {
  "rgb", "luminance", "max-rgb"
};

static const char *const gamut_names[] = { "clip", "soft" };

/* Prints "hdrscale-error: " and the message, exits with status 2. */
static void die (const char *fmt, ...)
    __attribute__((format (printf, 1, 2), noreturn));

static void
die (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  fprintf (stderr, "hdrscale-error: ");
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, "\n");
  va_end (ap);
  exit (2);
}

/* The index of arg in names; dies naming `what` when it is not there. */
static int
find_name (const char *const *names, int n, const char *what, const char *arg)
{
  for (int i = 0; i < n; i++)
    if (strcasecmp (names[i], arg) == 0)
      return i;
  die ("unknown %s %s", what, arg);
}

static EstVideoFormat
parse_format (const char *arg)
{
  const EstRefFormat *f = est_ref_format_find (arg);

  if (f)
    return f->f;
  for (size_t i = 0; i < N_ELEMENTS (aliases); i++)
    if (strcasecmp (aliases[i].ffmpeg, arg) == 0)
      return aliases[i].f;
  die ("unknown format %s", arg);
}

static EstColourSpace
parse_colorimetry (const char *arg)
{
  for (size_t i = 0; i < N_ELEMENTS (colorimetries); i++)
    if (strcasecmp (colorimetries[i].name, arg) == 0)
      return colorimetries[i].cs;
  die ("unknown colorimetry %s (bt2100-pq, bt2100-hlg, bt709, bt2020, "
      "bt601)", arg);
}

static int
parse_range (const char *arg)
{
  if (strcasecmp (arg, "tv") == 0 || strcasecmp (arg, "limited") == 0)
    return 0;
  if (strcasecmp (arg, "pc") == 0 || strcasecmp (arg, "full") == 0)
    return 1;
  die ("unknown range %s (tv or pc)", arg);
}

static void
parse_size (const char *arg, int *w, int *h)
{
  char end;

  if (sscanf (arg, "%dx%d%c", w, h, &end) != 2 || *w < 1 || *h < 1 ||
      *w > 8192 || *h > 8192)
    die ("bad size %s (WxH, 1..8192)", arg);
}

static void
parse_siting (const char *arg, int *cosited_h, int *cosited_v)
{
  if (strcasecmp (arg, "mpeg2") == 0 || strcasecmp (arg, "left") == 0) {
    *cosited_h = 1;
    *cosited_v = 0;
  } else if (strcasecmp (arg, "jpeg") == 0 || strcasecmp (arg, "center") == 0) {
    *cosited_h = 0;
    *cosited_v = 0;
  } else if (strcasecmp (arg, "cosited") == 0 ||
      strcasecmp (arg, "topleft") == 0) {
    *cosited_h = 1;
    *cosited_v = 1;
  } else {
    die ("unknown chroma site %s (mpeg2, jpeg, cosited)", arg);
  }
}

static const char *
siting_name (const EstHdrScaleFormat * f)
{
  return f->cosited_h ? (f->cosited_v ? "cosited" : "mpeg2") : "jpeg";
}

static double
parse_double (const char *arg)
{
  char *end;
  double v = strtod (arg, &end);

  if (end == arg || *end || !isfinite (v))
    die ("bad number %s", arg);
  return v;
}

static int
is_hdr (EstTransfer t)
{
  return t == EST_TRANSFER_PQ || t == EST_TRANSFER_HLG;
}

/* One candidate: its file and the sums over every sample checked. */
typedef struct
{
  const char *name, *path;
  FILE *f;
  int max_diff;
  double sum_diff;
  long over1, over4, total;
  double sse[2], sum_signed[2]; /* luma, chroma */
  long n[2];
  /* The first sample of the largest difference. */
  int worst_frame, worst_c, worst_x, worst_y, worst_code, worst_ref;
} Candidate;

static int
read_frame (FILE * f, uint8_t * buf, size_t size)
{
  return fread (buf, 1, size, f) == size;
}

static void
compare (Candidate * cd, int frame, const EstRefFrame * out,
    EstRefPlane ref[3], int depth)
{
  int max = (1 << depth) - 1;
  double q = (double) (1 << (14 - depth));

  for (int c = 0; c < 3; c++) {
    int k = c > 0;
    for (int y = 0; y < out->ph[c]; y++) {
      for (int x = 0; x < out->pw[c]; x++) {
        double r = floor (ref[c].v[(size_t) y * ref[c].w + x] / q + 0.5);
        int rcode = (int) (r < 0.0 ? 0.0 : r > max ? max : r);
        int code = est_ref_get_code (out, c, x, y, NULL);
        int d = code - rcode, ad = abs (d);

        if (ad > cd->max_diff) {
          cd->max_diff = ad;
          cd->worst_frame = frame;
          cd->worst_c = c;
          cd->worst_x = x;
          cd->worst_y = y;
          cd->worst_code = code;
          cd->worst_ref = rcode;
        }
        cd->sum_diff += ad;
        cd->over1 += ad > 1;
        cd->over4 += ad > 4;
        cd->total++;
        cd->sse[k] += (double) (d) * d;
        cd->sum_signed[k] += d;
        cd->n[k]++;
      }
    }
  }
}

static double
psnr (double sse, long n, int depth)
{
  double peak = (double) ((1 << depth) - 1);

  if (sse == 0.0)
    return INFINITY;
  return 10.0 * log10 (peak * peak * n / sse);
}

static void
write_reference (FILE * f, const EstRefFrame * layout, EstRefPlane ref[3],
    int depth)
{
  EstRefFrame fr;
  size_t size = est_ref_frame_wrap (&fr, layout->f, layout->w, layout->h,
      NULL);
  uint8_t *buf = calloc (1, size);
  double q = (double) (1 << (14 - depth));
  int max = (1 << depth) - 1;

  if (!buf)
    abort ();
  est_ref_frame_wrap (&fr, layout->f, layout->w, layout->h, buf);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < fr.ph[c]; y++)
      for (int x = 0; x < fr.pw[c]; x++) {
        double r = floor (ref[c].v[(size_t) y * ref[c].w + x] / q + 0.5);
        est_ref_set_code (&fr, c, x, y, (int) (r < 0.0 ? 0.0 : r > max ?
                max : r));
      }
  /* v210 padding samples repeat the last real one. */
  if (est_ref_format (fr.f)->layout == EST_REF_V210)
    for (int y = 0; y < fr.h; y++)
      for (int c = 0; c < 3; c++) {
        int end = (fr.w + 5) / 6 * (c ? 3 : 6);
        int last = est_ref_get_code (&fr, c, fr.pw[c] - 1, y, NULL);
        for (int x = fr.pw[c]; x < end; x++)
          est_ref_set_code (&fr, c, x, y, last);
      }
  if (fwrite (buf, 1, size, f) != size)
    die ("cannot write the reference");
  free (buf);
}

enum
{
  OPT_INPUT = 256, OPT_IN_FORMAT, OPT_IN_SIZE, OPT_IN_COLORIMETRY,
  OPT_IN_RANGE, OPT_FRAMES, OPT_OUT_SIZE, OPT_OUT_FORMAT,
  OPT_OUT_COLORIMETRY, OPT_OUT_RANGE, OPT_CHROMA_SITE, OPT_IN_CHROMA_SITE,
  OPT_OUT_CHROMA_SITE, OPT_NO_BORDERS, OPT_METHOD, OPT_TAPS, OPT_TONE_CURVE,
  OPT_TONE_CURVE_PARAM, OPT_TONE_MODE, OPT_GAMUT, OPT_SOURCE_PEAK,
  OPT_TARGET_PEAK, OPT_SDR_WHITE, OPT_WRITE_REFERENCE, OPT_HELP
};

static const struct option options[] = {
  {"input", required_argument, NULL, OPT_INPUT},
  {"in-format", required_argument, NULL, OPT_IN_FORMAT},
  {"in-size", required_argument, NULL, OPT_IN_SIZE},
  {"in-colorimetry", required_argument, NULL, OPT_IN_COLORIMETRY},
  {"in-range", required_argument, NULL, OPT_IN_RANGE},
  {"frames", required_argument, NULL, OPT_FRAMES},
  {"out-size", required_argument, NULL, OPT_OUT_SIZE},
  {"out-format", required_argument, NULL, OPT_OUT_FORMAT},
  {"out-colorimetry", required_argument, NULL, OPT_OUT_COLORIMETRY},
  {"out-range", required_argument, NULL, OPT_OUT_RANGE},
  {"chroma-site", required_argument, NULL, OPT_CHROMA_SITE},
  {"in-chroma-site", required_argument, NULL, OPT_IN_CHROMA_SITE},
  {"out-chroma-site", required_argument, NULL, OPT_OUT_CHROMA_SITE},
  {"no-borders", no_argument, NULL, OPT_NO_BORDERS},
  {"method", required_argument, NULL, OPT_METHOD},
  {"taps", required_argument, NULL, OPT_TAPS},
  {"tone-curve", required_argument, NULL, OPT_TONE_CURVE},
  {"tone-curve-param", required_argument, NULL, OPT_TONE_CURVE_PARAM},
  {"tone-mapping-mode", required_argument, NULL, OPT_TONE_MODE},
  {"gamut-mapping", required_argument, NULL, OPT_GAMUT},
  {"source-peak", required_argument, NULL, OPT_SOURCE_PEAK},
  {"target-peak", required_argument, NULL, OPT_TARGET_PEAK},
  {"sdr-white", required_argument, NULL, OPT_SDR_WHITE},
  {"write-reference", required_argument, NULL, OPT_WRITE_REFERENCE},
  {"help", no_argument, NULL, OPT_HELP},
  {NULL, 0, NULL, 0}
};

int
main (int argc, char **argv)
{
  EstHdrScaleFormat in, out;
  EstHdrScaleParams p;
  const char *input = NULL, *ref_path = NULL;
  int frames = 2, borders = 1, have_in_size = 0, have_out_size = 0;
  double target_peak = 0.0;
  int opt;

  memset (&in, 0, sizeof in);
  memset (&out, 0, sizeof out);
  memset (&p, 0, sizeof p);
  in.format = EST_VIDEO_I420_10;
  in.colour = colorimetries[0].cs;
  in.cosited_h = 1;
  out.format = EST_VIDEO_NV12;
  out.colour = colorimetries[2].cs;
  out.cosited_h = 1;
  p.method = EST_RESAMPLE_LANCZOS;
  p.lanczos_taps = 3;
  p.colour.curve = EST_TONE_CURVE_BT2390;
  p.colour.curve_param = NAN;
  p.colour.tone_mode = EST_TONE_MODE_MAX_RGB;
  p.colour.gamut_mode = EST_GAMUT_SOFT;
  p.colour.src_peak = 1000.0;
  p.colour.sdr_white = 203.0;

  while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1) {
    switch (opt) {
      case OPT_INPUT:
        input = optarg;
        break;
      case OPT_IN_FORMAT:
        in.format = parse_format (optarg);
        break;
      case OPT_IN_SIZE:
        parse_size (optarg, &in.width, &in.height);
        have_in_size = 1;
        break;
      case OPT_IN_COLORIMETRY:{
        int full = in.colour.full_range;
        in.colour = parse_colorimetry (optarg);
        in.colour.full_range = full;
        break;
      }
      case OPT_IN_RANGE:
        in.colour.full_range = parse_range (optarg);
        break;
      case OPT_FRAMES:
        frames = atoi (optarg);
        if (frames < 1)
          die ("bad frame count %s", optarg);
        break;
      case OPT_OUT_SIZE:
        parse_size (optarg, &out.width, &out.height);
        have_out_size = 1;
        break;
      case OPT_OUT_FORMAT:
        out.format = parse_format (optarg);
        break;
      case OPT_OUT_COLORIMETRY:{
        int full = out.colour.full_range;
        out.colour = parse_colorimetry (optarg);
        out.colour.full_range = full;
        break;
      }
      case OPT_OUT_RANGE:
        out.colour.full_range = parse_range (optarg);
        break;
      case OPT_CHROMA_SITE:
        parse_siting (optarg, &in.cosited_h, &in.cosited_v);
        parse_siting (optarg, &out.cosited_h, &out.cosited_v);
        break;
      case OPT_IN_CHROMA_SITE:
        parse_siting (optarg, &in.cosited_h, &in.cosited_v);
        break;
      case OPT_OUT_CHROMA_SITE:
        parse_siting (optarg, &out.cosited_h, &out.cosited_v);
        break;
      case OPT_NO_BORDERS:
        borders = 0;
        break;
      case OPT_METHOD:
        p.method = (EstResampleMethod) find_name (method_names,
            N_ELEMENTS (method_names), "method", optarg);
        break;
      case OPT_TAPS:
        p.lanczos_taps = atoi (optarg);
        if (p.lanczos_taps < 1 || p.lanczos_taps > 8)
          die ("bad taps %s (1..8)", optarg);
        break;
      case OPT_TONE_CURVE:{
        const EstToneCurve *tc = est_tone_curve_find (optarg);
        if (!tc)
          die ("unknown tone curve %s", optarg);
        p.colour.curve = (EstToneCurveId) (tc - est_tone_curves);
        break;
      }
      case OPT_TONE_CURVE_PARAM:
        p.colour.curve_param = parse_double (optarg);
        break;
      case OPT_TONE_MODE:
        p.colour.tone_mode = (EstToneMode) find_name (tone_mode_names,
            N_ELEMENTS (tone_mode_names), "tone mapping mode", optarg);
        break;
      case OPT_GAMUT:
        p.colour.gamut_mode = (EstGamutMode) find_name (gamut_names,
            N_ELEMENTS (gamut_names), "gamut mapping", optarg);
        break;
      case OPT_SOURCE_PEAK:
        p.colour.src_peak = parse_double (optarg);
        break;
      case OPT_TARGET_PEAK:
        target_peak = parse_double (optarg);
        break;
      case OPT_SDR_WHITE:
        p.colour.sdr_white = parse_double (optarg);
        break;
      case OPT_WRITE_REFERENCE:
        ref_path = optarg;
        break;
      case OPT_HELP:
        fputs (usage, stdout);
        return 0;
      default:
        fputs (usage, stderr);
        return 2;
    }
  }
  if (!input || !have_in_size || !have_out_size || optind >= argc) {
    fputs (usage, stderr);
    return 2;
  }
  if (p.colour.src_peak < 1.0 || p.colour.src_peak > 10000.0 ||
      p.colour.sdr_white < 1.0 || p.colour.sdr_white > 10000.0 ||
      target_peak < 0.0 || target_peak > 10000.0)
    die ("peaks and SDR white must be in 1..10000 cd/m2");

  in.colour.depth = est_ref_format (in.format)->depth;
  out.colour.depth = est_ref_format (out.format)->depth;
  /* The element's rule for target-peak 0. */
  p.colour.dst_peak = target_peak > 0.0 ? target_peak :
      is_hdr (out.colour.transfer) ? 1000.0 : p.colour.sdr_white;
  if (borders) {
    const EstRefFormat *fo = est_ref_format (out.format);
    est_hdr_scale_fit_rect (in.width, in.height, 1, 1, out.width, out.height,
        1, 1, fo->sx, fo->sy, &p.rect_x, &p.rect_y, &p.rect_w, &p.rect_h);
  }

  /* The fast path validates what the reference takes for granted. */
  const char *err = NULL;
  EstHdrScale *check = est_hdr_scale_new (&in, &out, &p, &err);
  if (!check)
    die ("esthdrscale cannot do this conversion: %s", err ? err : "?");
  printf ("%s; peaks %g -> %g cd/m2, SDR white %g cd/m2; chroma %s -> %s\n",
      est_hdr_scale_describe (check), p.colour.src_peak, p.colour.dst_peak,
      p.colour.sdr_white, siting_name (&in), siting_name (&out));
  est_hdr_scale_free (check);

  int n_cand = argc - optind;
  Candidate *cands = calloc ((size_t) n_cand, sizeof *cands);
  EstRefFrame src, dst;
  size_t in_size = est_ref_frame_wrap (&src, in.format, in.width, in.height,
      NULL);
  size_t out_size = est_ref_frame_wrap (&dst, out.format, out.width,
      out.height, NULL);
  uint8_t *in_buf = malloc (in_size), *out_buf = malloc (out_size);
  FILE *fin = fopen (input, "rb"), *fref = NULL;

  if (!cands || !in_buf || !out_buf)
    abort ();
  if (!fin)
    die ("cannot open %s", input);
  if (ref_path && !(fref = fopen (ref_path, "wb")))
    die ("cannot create %s", ref_path);
  est_ref_frame_wrap (&src, in.format, in.width, in.height, in_buf);
  est_ref_frame_wrap (&dst, out.format, out.width, out.height, out_buf);

  for (int i = 0; i < n_cand; i++) {
    Candidate *cd = &cands[i];
    char *arg = argv[optind + i], *eq = strchr (arg, '=');
    if (eq) {
      *eq = '\0';
      cd->name = arg;
      cd->path = eq + 1;
    } else {
      const char *slash = strrchr (arg, '/');
      cd->name = slash ? slash + 1 : arg;
      cd->path = arg;
    }
    if (!(cd->f = fopen (cd->path, "rb")))
      die ("cannot open %s", cd->path);
    if (fseek (cd->f, 0, SEEK_END) == 0) {
      long len = ftell (cd->f);
      if (len >= 0 && (size_t) len % out_size != 0)
        fprintf (stderr, "hdrscale-error: warning: %s is %ld bytes, not a "
            "multiple of the %zu of a frame: padded rows or another "
            "format?\n", cd->path, len, out_size);
      rewind (cd->f);
    }
  }

  int status = 0;
  for (int n = 0; n < frames; n++) {
    EstRefPlane ref[3];

    if (!read_frame (fin, in_buf, in_size)) {
      fprintf (stderr, "hdrscale-error: %s ends after %d frames\n", input, n);
      status = 1;
      break;
    }
    est_ref_convert (&in, &out, &p, &src.img, ref, 0, 0.0);
    if (fref)
      write_reference (fref, &dst, ref, out.colour.depth);
    for (int i = 0; i < n_cand; i++) {
      Candidate *cd = &cands[i];
      if (!cd->f)
        continue;
      if (!read_frame (cd->f, out_buf, out_size)) {
        fprintf (stderr, "hdrscale-error: %s ends after %d frames: its "
            "figures cover those\n", cd->path, n);
        fclose (cd->f);
        cd->f = NULL;
        status = 1;
        continue;
      }
      compare (cd, n, &dst, ref, out.colour.depth);
    }
    for (int c = 0; c < 3; c++)
      est_ref_plane_free (&ref[c]);
  }

  int depth = out.colour.depth;
  for (int i = 0; i < n_cand; i++) {
    Candidate *cd = &cands[i];
    double mean = cd->total ? cd->sum_diff / cd->total : 0.0;
    double o1 = cd->total ? 100.0 * cd->over1 / cd->total : 0.0;
    double o4 = cd->total ? 100.0 * cd->over4 / cd->total : 0.0;
    double py = psnr (cd->sse[0], cd->n[0], depth);
    double pc = psnr (cd->sse[1], cd->n[1], depth);

    printf ("%s: %ld samples; max |diff| %d, mean |diff| %.4f, > 1: %.3f %%, "
        "> 4: %.3f %%; mean diff Y %+.4f C %+.4f; PSNR Y %.2f dB, C %.2f dB",
        cd->name, cd->total, cd->max_diff, mean, o1, o4,
        cd->n[0] ? cd->sum_signed[0] / cd->n[0] : 0.0,
        cd->n[1] ? cd->sum_signed[1] / cd->n[1] : 0.0, py, pc);
    if (cd->max_diff)
      printf ("; largest at frame %d %s (%d, %d): %d, reference %d",
          cd->worst_frame, cd->worst_c ? cd->worst_c == 1 ? "Cb" : "Cr" :
          "Y", cd->worst_x, cd->worst_y, cd->worst_code, cd->worst_ref);
    printf ("\n");
  }
  for (int i = 0; i < n_cand; i++) {
    Candidate *cd = &cands[i];
    printf ("RESULT %s %d %.4f %.2f %.2f %.3f %.3f\n", cd->name, cd->max_diff,
        cd->total ? cd->sum_diff / cd->total : 0.0,
        psnr (cd->sse[0], cd->n[0], depth), psnr (cd->sse[1], cd->n[1],
            depth), cd->total ? 100.0 * cd->over1 / cd->total : 0.0,
        cd->total ? 100.0 * cd->over4 / cd->total : 0.0);
    if (cd->f)
      fclose (cd->f);
  }
  fclose (fin);
  if (fref && fclose (fref) != 0)
    die ("cannot write %s", ref_path);
  free (cands);
  free (in_buf);
  free (out_buf);
  return status;
}
