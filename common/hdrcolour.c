/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The colour stage (stage list in hdrcolour.h): the tables, built once in
 * double precision, and the C reference of the per-pixel kernel, the
 * specification its ISA versions (x86/hdrcolour_*.c) follow within the
 * contract of hdrcolourdsp.h. */

#include "hdrcolour.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "hdrcolourdsp.h"

#define IN_LUT_SIZE EST_HDR_IN_LUT_SIZE
#define LOG_MIN EST_HDR_LOG_MIN
#define LOG_SEG EST_HDR_LOG_SEG
#define LOG_SIZE EST_HDR_LOG_SIZE

typedef EstHdrLogLut LogLut;

struct EstHdrColour
{
  EstColourSpace in, out;
  EstHdrColourParams p;         /* src_peak: the static peak */
  int identity;
  float in_light_scale;         /* target units -> source cd/m2 */
  EstHdrColourDSP dsp;
  EstHdrColourTables t;         /* what the kernels read */
};

static int
is_hdr (EstTransfer t)
{
  return t == EST_TRANSFER_PQ || t == EST_TRANSFER_HLG;
}

double
est_hdr_colour_source_peak (const EstColourSpace * in,
    const EstHdrColourParams * p)
{
  return is_hdr (in->transfer) ? p->src_peak : p->sdr_white;
}

static int
needs_tone_mapping (const EstColourSpace * in, const EstHdrColourParams * p)
{
  return est_hdr_colour_source_peak (in, p) > p->dst_peak;
}

/* The light scale of each side, in cd/m2 of signal-derived light 1.0. */
static int
same_light (const EstColourSpace * in, const EstColourSpace * out,
    const EstHdrColourParams * p)
{
  if (in->transfer != out->transfer)
    return 0;
  if (in->transfer == EST_TRANSFER_PQ)
    return 1;
  /* HLG and SDR: 1.0 is the display peak on each side. */
  return est_hdr_colour_source_peak (in, p) == p->dst_peak;
}

/* See the header: soft only where colours can leave the target gamut. */
static EstGamutMode
gamut_mode (const EstColourSpace * in, const EstColourSpace * out,
    const EstHdrColourParams * p)
{
  double m[3][3];
  int wider = 0;

  if (p->gamut_mode != EST_GAMUT_SOFT)
    return p->gamut_mode;
  est_colour_gamut_matrix (in->primaries, out->primaries, m);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      wider |= m[i][j] < -1e-9;
  if (wider || (p->tone_mode == EST_TONE_MODE_LUMINANCE &&
          needs_tone_mapping (in, p)))
    return EST_GAMUT_SOFT;
  return EST_GAMUT_CLIP;
}

int
est_hdr_colour_is_identity (const EstColourSpace * in,
    const EstColourSpace * out, const EstHdrColourParams * p)
{
  if (in->matrix != out->matrix || in->primaries != out->primaries ||
      in->full_range != out->full_range)
    return 0;
  if (in->full_range && in->depth != out->depth)
    return 0;                   /* full-range Q14 scales differ by depth */
  return same_light (in, out, p) && !needs_tone_mapping (in, p);
}

/* The light at entry i of a log table: 2^e (1 + m / 2^LOG_SEG). */
static double
log_lut_point (int i)
{
  int e = LOG_MIN + (i >> LOG_SEG);
  double m = 1.0 + (double) (i & ((1 << LOG_SEG) - 1)) / (1 << LOG_SEG);
  return ldexp (m, e);
}

static void
log_lut_fill (LogLut * lut, double (*f) (const void *, double), const void *ctx)
{
  lut->zero = (float) f (ctx, 0.0);
  for (int i = 0; i <= LOG_SIZE; i++)
    lut->v[i] = (float) f (ctx, log_lut_point (i));
  lut->v[LOG_SIZE + 1] = lut->v[LOG_SIZE];
}

/* Makes the segment holding x_end (a table point or not) end exactly at
 * (x_end, f_end): inputs are clamped to x_end, and a curve that turns flat
 * there would otherwise be interpolated across the corner. */
static void
log_lut_end_at (LogLut * lut, double x_end, double f_end)
{
  for (int i = 0; i < LOG_SIZE; i++) {
    double x0 = log_lut_point (i), x1 = log_lut_point (i + 1);
    if (x0 < x_end && x_end < x1) {
      lut->v[i + 1] = (float) (lut->v[i] + (f_end - lut->v[i]) *
          (x1 - x0) / (x_end - x0));
      lut->v[LOG_SIZE + 1] = lut->v[LOG_SIZE];
      return;
    }
  }
}

static inline float
log_lut (const LogLut * lut, float x)
{
  const float lo = 0x1p-32f, hi = 0x1p14f;

  if (!(x > lo)) {
    if (!(x > 0.0f))
      return lut->zero;
    return lut->zero + (lut->v[0] - lut->zero) * (x * 0x1p32f);
  }
  if (x >= hi)
    return lut->v[LOG_SIZE];

  uint32_t bits;
  memcpy (&bits, &x, sizeof bits);
  uint32_t idx = (bits >> (23 - LOG_SEG)) - ((uint32_t) (127 + LOG_MIN) <<
      LOG_SEG);
  float frac = (float) (bits & ((1u << (23 - LOG_SEG)) - 1)) *
      (1.0f / (1u << (23 - LOG_SEG)));
  return lut->v[idx] + (lut->v[idx + 1] - lut->v[idx]) * frac;
}

static inline float
in_lut (const EstHdrColourTables * t, float v)
{
  float x = v * IN_LUT_SIZE;
  if (!(x > 0.0f))
    return t->in_lut[0];
  if (x >= IN_LUT_SIZE)
    return t->in_lut[IN_LUT_SIZE];
  int i = (int) x;
  float frac = x - (float) i;
  return t->in_lut[i] + (t->in_lut[i + 1] - t->in_lut[i]) * frac;
}

typedef struct Ctx
{
  const EstColourSpace *in, *out;
  const EstHdrColourParams *p;
  EstToneParams tp;
  double gamma;
} Ctx;

/* Signal -> light in target units, before any OOTF. */
static double
linearise (const Ctx * x, double v)
{
  double l = est_transfer_to_linear (x->in->transfer, v);
  switch (x->in->transfer) {
    case EST_TRANSFER_PQ:
      return l * 10000.0 / x->p->dst_peak;
    case EST_TRANSFER_HLG:
      return l;                 /* scene light; the OOTF scales it */
    default:
      return l * x->p->sdr_white / x->p->dst_peak;
  }
}

static double
hlg_in_gain (const void *ctx, double ys)
{
  const Ctx *x = ctx;
  double g = ys > 0.0 ? pow (ys, x->gamma - 1.0) : 0.0;
  return g * x->p->src_peak / x->p->dst_peak;
}

static double
tone_value (const void *ctx, double l)
{
  const Ctx *x = ctx;
  return est_tonemap (x->p->curve, &x->tp, l * x->p->dst_peak) / x->p->dst_peak;
}

static double
hlg_out_gain (const void *ctx, double yd)
{
  const Ctx *x = ctx;
  return yd > 0.0 ? pow (yd, (1.0 - x->gamma) / x->gamma) : 0.0;
}

static double
encode (const void *ctx, double l)
{
  const Ctx *x = ctx;
  if (x->out->transfer == EST_TRANSFER_PQ)
    l = l * x->p->dst_peak / 10000.0;
  return est_transfer_from_linear (x->out->transfer, l);
}

/* Normalisation of Q14 samples of one side: code = q >> (14 - depth).
 * R'G'B' planes take luma's offset and scale on every component. */
static void
range_q14 (const EstColourSpace * s, float off[3], float scale[3], int out)
{
  EstRange r;
  double q = (double) (1 << (14 - s->depth));
  int rgb = s->matrix == EST_MATRIX_RGB;

  est_colour_range (s->depth, s->full_range, &r);
  double yo = r.y_offset * q, ys = r.y_scale * q;
  double co = (rgb ? r.y_offset : r.c_offset) * q;
  double cs = (rgb ? r.y_scale : r.c_scale) * q;
  off[0] = (float) yo;
  off[1] = off[2] = (float) co;
  scale[0] = (float) (out ? ys : 1.0 / ys);
  scale[1] = scale[2] = (float) (out ? cs : 1.0 / cs);
}

static void
to_float (const double m[3][3], float f[3][3])
{
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      f[i][j] = (float) m[i][j];
}

/* The tone table for a source peak of `peak` cd/m2. */
static void
build_tone (EstHdrColour * c, double peak)
{
  Ctx x = { 0 };

  x.in = &c->in;
  x.out = &c->out;
  x.p = &c->p;
  x.tp.src_peak = peak;
  x.tp.dst_peak = c->p.dst_peak;
  x.tp.param = c->p.curve_param;
  c->t.src_max = (float) (peak / c->p.dst_peak);
  log_lut_fill (&c->t.tone_lut, tone_value, &x);
  log_lut_end_at (&c->t.tone_lut, c->t.src_max, tone_value (&x, c->t.src_max));
}

int
est_hdr_colour_tone_maps (const EstHdrColour * c)
{
  return c->t.tone;
}

void
est_hdr_colour_set_source_peak (EstHdrColour * c, double peak)
{
  if (c->t.tone)
    build_tone (c, peak);
}

EstHdrColour *
est_hdr_colour_new (const EstColourSpace * in, const EstColourSpace * out,
    const EstHdrColourParams * p)
{
  EstHdrColour *c = calloc (1, sizeof *c);
  EstHdrColourTables *t;
  double m[3][3], w[3];

  if (!c)
    return NULL;
  t = &c->t;

  /* The tables other than the tone curve's (build_tone). */
  Ctx x = { 0 };
  x.in = in;
  x.out = out;
  x.p = p;

  c->in = *in;
  c->out = *out;
  c->p = *p;
  c->identity = est_hdr_colour_is_identity (in, out, p);
  c->in_light_scale = (float) p->dst_peak;
  est_hdr_colour_dsp_init (&c->dsp, est_cpu_flags ());

  t->tone = needs_tone_mapping (in, p);
  t->linearise = !same_light (in, out, p) || in->primaries != out->primaries
      || t->tone;
  t->tone_mode = p->tone_mode;
  t->gamut_mode = gamut_mode (in, out, p);
  t->hlg_in = t->linearise && in->transfer == EST_TRANSFER_HLG;
  t->hlg_out = t->linearise && out->transfer == EST_TRANSFER_HLG;

  range_q14 (in, t->in_off, t->in_scale, 0);
  range_q14 (out, t->out_off, t->out_scale, 1);
  est_colour_ycbcr_to_rgb (in->matrix, m);
  to_float (m, t->m_in);
  est_colour_rgb_to_ycbcr (out->matrix, m);
  to_float (m, t->m_out);

  if (!t->linearise)
    return c;

  for (int i = 0; i <= IN_LUT_SIZE + 1; i++)
    t->in_lut[i] = (float) linearise (&x, fmin (1.0, (double) i / IN_LUT_SIZE));

  /* HLG's OOTF is defined on BT.2020 luminance. */
  est_colour_luminance (EST_PRIMARIES_BT2020, w);
  for (int i = 0; i < 3; i++)
    t->hlg_w[i] = (float) w[i];
  if (t->hlg_in) {
    x.gamma = est_hlg_gamma (p->src_peak);
    log_lut_fill (&t->hlg_in_lut, hlg_in_gain, &x);
  }

  est_colour_luminance (in->primaries, w);
  for (int i = 0; i < 3; i++)
    t->src_w[i] = (float) w[i];
  if (t->tone)
    build_tone (c, est_hdr_colour_source_peak (in, p));

  est_colour_gamut_matrix (in->primaries, out->primaries, m);
  to_float (m, t->gamut);
  t->gamut_identity = in->primaries == out->primaries;
  est_colour_luminance (out->primaries, w);
  for (int i = 0; i < 3; i++)
    t->dst_w[i] = (float) w[i];

  if (t->hlg_out) {
    x.gamma = est_hlg_gamma (p->dst_peak);
    log_lut_fill (&t->hlg_out_lut, hlg_out_gain, &x);
  }
  log_lut_fill (&t->out_lut, encode, &x);
  return c;
}

void
est_hdr_colour_free (EstHdrColour * c)
{
  free (c);
}

void
est_hdr_colour_set_cpu_flags (EstHdrColour * c, unsigned cpu_flags)
{
  est_hdr_colour_dsp_init (&c->dsp, cpu_flags);
}

const EstHdrColourTables *
est_hdr_colour_tables (const EstHdrColour * c)
{
  return &c->t;
}

static inline float
clampf (float v, float lo, float hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

/* est_gamut_map's EST_GAMUT_SOFT (tonemap.c), the same formula in float. */
void
est_hdr_colour_gamut_soft (const float w[3], float rgb[3])
{
  const float k = (float) EST_GAMUT_SOFT_KNEE;
  float y = w[0] * rgb[0] + w[1] * rgb[1] + w[2] * rgb[2];
  float yc = clampf (y, 0.0f, 1.0f);
  float d[3], t = 0.0f;

  for (int i = 0; i < 3; i++) {
    float ti = 0.0f;
    d[i] = rgb[i] - y;
    /* how far along d the channel reaches its bound, inverted */
    if (d[i] > 0.0f)
      ti = yc < 1.0f ? d[i] / (1.0f - yc) : INFINITY;
    else if (d[i] < 0.0f)
      ti = yc > 0.0f ? -d[i] / yc : INFINITY;
    t = ti > t ? ti : t;
  }

  if (!(t <= k && y == yc)) {
    float ratio = 1.0f;
    if (isinf (t)) {
      ratio = 0.0f;
    } else if (t > k) {
      float u = (t - k) / (1.0f - k);
      ratio = (k + (1.0f - k) * u / (1.0f + u)) / t;
    }
    for (int i = 0; i < 3; i++)
      rgb[i] = yc + d[i] * ratio;
  }
  for (int i = 0; i < 3; i++)
    rgb[i] = clampf (rgb[i], 0.0f, 1.0f);
}

static inline void
apply3 (const float m[3][3], const float v[3], float o[3])
{
  for (int i = 0; i < 3; i++)
    o[i] = m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2];
}

/* Q14 Y'CbCr -> R'G'B', normalised. */
static inline void
to_rgb_signal (const EstHdrColourTables * t, int16_t y, int16_t u,
    int16_t v, float s[3])
{
  float yuv[3] = {
    ((float) y - t->in_off[0]) * t->in_scale[0],
    ((float) u - t->in_off[1]) * t->in_scale[1],
    ((float) v - t->in_off[2]) * t->in_scale[2],
  };

  apply3 (t->m_in, yuv, s);
}

/* Q14 Y'CbCr -> linear light in target units, source primaries. */
static inline void
to_rgb_light (const EstHdrColourTables * t, int16_t y, int16_t u, int16_t v,
    float rgb[3])
{
  float s[3];

  to_rgb_signal (t, y, u, v, s);
  for (int i = 0; i < 3; i++)
    rgb[i] = in_lut (t, s[i]);
  if (t->hlg_in) {
    float ys = t->hlg_w[0] * rgb[0] + t->hlg_w[1] * rgb[1] +
        t->hlg_w[2] * rgb[2];
    float g = log_lut (&t->hlg_in_lut, ys);
    for (int i = 0; i < 3; i++)
      rgb[i] *= g;
  }
}

static inline int16_t
to_q14 (float v)
{
  v = clampf (v, -32768.0f, 32767.0f);
  return (int16_t) lrintf (v);
}

void
est_hdr_colour_process_c (const EstHdrColourTables * t, int16_t * y,
    int16_t * u, int16_t * v, int n)
{
  for (int i = 0; i < n; i++) {
    float rgb[3], s[3], o[3];

    if (!t->linearise) {
      to_rgb_signal (t, y[i], u[i], v[i], s);
    } else {
      to_rgb_light (t, y[i], u[i], v[i], rgb);

      if (t->tone) {
        if (t->tone_mode == EST_TONE_MODE_RGB) {
          for (int k = 0; k < 3; k++)
            rgb[k] = log_lut (&t->tone_lut, fminf (rgb[k], t->src_max));
        } else {
          float l = t->tone_mode == EST_TONE_MODE_LUMINANCE ?
              t->src_w[0] * rgb[0] + t->src_w[1] * rgb[1] +
              t->src_w[2] * rgb[2] : fmaxf (rgb[0], fmaxf (rgb[1], rgb[2]));
          /* curve (l) / l: light above the source peak keeps the peak's
           * output, so its gain falls as 1 / l. */
          float g = l > 0.0f ?
              log_lut (&t->tone_lut, fminf (l, t->src_max)) / l : 0.0f;
          for (int k = 0; k < 3; k++)
            rgb[k] *= g;
        }
      }

      if (!t->gamut_identity) {
        apply3 (t->gamut, rgb, o);
        memcpy (rgb, o, sizeof o);
      }
      if (t->gamut_mode == EST_GAMUT_SOFT)
        est_hdr_colour_gamut_soft (t->dst_w, rgb);
      else
        for (int k = 0; k < 3; k++)
          rgb[k] = clampf (rgb[k], 0.0f, 1.0f);

      if (t->hlg_out) {
        float yd = t->hlg_w[0] * rgb[0] + t->hlg_w[1] * rgb[1] +
            t->hlg_w[2] * rgb[2];
        float g = log_lut (&t->hlg_out_lut, yd);
        for (int k = 0; k < 3; k++)
          rgb[k] *= g;
      }
      for (int k = 0; k < 3; k++)
        s[k] = log_lut (&t->out_lut, rgb[k]);
    }

    apply3 (t->m_out, s, o);
    y[i] = to_q14 (o[0] * t->out_scale[0] + t->out_off[0]);
    u[i] = to_q14 (o[1] * t->out_scale[1] + t->out_off[1]);
    v[i] = to_q14 (o[2] * t->out_scale[2] + t->out_off[2]);
  }
}

void
est_hdr_colour_dsp_init (EstHdrColourDSP * dsp, unsigned cpu_flags)
{
  dsp->process = est_hdr_colour_process_c;
#if defined(EST_HAVE_X86_DSP)
  est_hdr_colour_dsp_init_x86 (dsp, cpu_flags);
#else
  (void) cpu_flags;
#endif
}

void
est_hdr_colour_process (const EstHdrColour * c, int16_t * y, int16_t * u,
    int16_t * v, int n)
{
  if (c->identity)
    return;
  c->dsp.process (&c->t, y, u, v, n);
}

void
est_hdr_colour_measure (const EstHdrColour * c, const int16_t * y,
    const int16_t * u, const int16_t * v, int n, int step, float *max,
    double *sum)
{
  float peak = 0.0f;
  double total = 0.0;

  for (int i = 0; c->t.linearise && i < n; i += step) {
    float rgb[3];
    to_rgb_light (&c->t, y[i], u[i], v[i], rgb);
    float m = fmaxf (rgb[0], fmaxf (rgb[1], rgb[2]));
    peak = fmaxf (peak, m);
    total += m;
  }
  *max = peak * c->in_light_scale;
  *sum = total * c->in_light_scale;
}
