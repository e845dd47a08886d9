/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "hdrscale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resampledsp.h"
#include "slicethread.h"

/* Samples of slack after every int16 row, for kernels that read past the
 * end of a row. */
#define ROW_PAD 64

/* One component from one grid to another: NULL filters are identities. */
typedef struct Resample
{
  EstResampleFilter *h, *v;
  int src_w, src_h, dst_w, dst_h;
} Resample;

/* Where a resample reads: packed input, or int16 planes of the work grid. */
typedef struct Source
{
  const EstVideoImage *img;     /* packed, when not NULL */
  int16_t *plane[3];
  ptrdiff_t stride;             /* samples */
} Source;

typedef struct Scratch
{
  int16_t *unpack;              /* one source row */
  int16_t *hbuf;                /* horizontally scaled rows */
  const int16_t **hrows;
  int16_t *obuf[3];             /* one slice of output rows, per component */
} Scratch;

struct EstHdrScale
{
  EstHdrScaleFormat in, out;
  EstHdrScaleParams p;
  int rect_x, rect_y, rect_w, rect_h;
  EstResampleDSP dsp;
  EstVideoPackDSP pack;
  EstSlicePool *pool;
  EstVideoDither dither;
  int16_t black[3];             /* output Q14 */

  /* Colour path: input -> work planes (stage a) -> output (stage b). */
  EstHdrColour *colour;         /* NULL: planes go straight to the output */
  int work_w, work_h;
  int16_t *work[3];
  ptrdiff_t work_stride;
  Resample a[3], b[3];

  int slice_a, slice_b;         /* rows per job */

  /* Peak detection: per stage a job, then smoothed over frames. */
  int detect;
  float *job_max;
  double *job_sum;
  long *job_count;
  int have_history;
  double peak, mean, used_peak;
  int n_scratch;
  Scratch *scratch;
  size_t hbuf_row;              /* samples per hbuf row */
  size_t obuf_stride;
  int max_hrows;

  /* Set per process call. */
  const EstVideoImage *src;
  EstVideoImage *dst;

  char description[512];
};

static int
comp_w (const EstHdrScaleFormat * f, int c)
{
  int sx = c ? est_video_format_info (f->format)->shift_x : 0;
  return (f->width + (1 << sx) - 1) >> sx;
}

static int
comp_h (const EstHdrScaleFormat * f, int c)
{
  int sy = c ? est_video_format_info (f->format)->shift_y : 0;
  return (f->height + (1 << sy) - 1) >> sy;
}

/* A grid's sample k sits at a + b * k in input luma pixels. */
typedef struct Grid
{
  double a, b;
} Grid;

static Grid
plane_grid (int shift, int cosited, double k)
{
  double sub = (double) (1 << shift);
  Grid g = { (cosited || !shift ? 0.5 : sub / 2.0) * k, sub * k };
  return g;
}

static const char *
make_filter (EstHdrScale * s, EstResampleFilter ** f, Grid src, Grid dst,
    int src_len, int dst_len)
{
  double scale = dst.b / src.b, offset = (dst.a - src.a) / src.b;

  *f = est_resample_filter_new (s->p.method, s->p.lanczos_taps, src_len,
      dst_len, scale, offset);
  if (!*f)
    return "out of memory building the scaling filters";
  if (est_resample_filter_is_identity (*f)) {
    est_resample_filter_free (*f);
    *f = NULL;
  }
  return NULL;
}

static const char *
make_resample (EstHdrScale * s, Resample * r, int src_w, int src_h,
    Grid sx, Grid sy, int dst_w, int dst_h, Grid dx, Grid dy)
{
  const char *err;

  r->src_w = src_w;
  r->src_h = src_h;
  r->dst_w = dst_w;
  r->dst_h = dst_h;
  if ((err = make_filter (s, &r->h, sx, dx, src_w, dst_w)))
    return err;
  return make_filter (s, &r->v, sy, dy, src_h, dst_h);
}

static void
free_resample (Resample * r)
{
  est_resample_filter_free (r->h);
  est_resample_filter_free (r->v);
  r->h = r->v = NULL;
}

void
est_hdr_scale_free (EstHdrScale * s)
{
  if (!s)
    return;
  est_slice_pool_free (s->pool);
  est_hdr_colour_free (s->colour);
  for (int c = 0; c < 3; c++) {
    free_resample (&s->a[c]);
    free_resample (&s->b[c]);
    free (s->work[c]);
  }
  for (int t = 0; s->scratch && t < s->n_scratch; t++) {
    free (s->scratch[t].unpack);
    free (s->scratch[t].hbuf);
    free (s->scratch[t].hrows);
    for (int c = 0; c < 3; c++)
      free (s->scratch[t].obuf[c]);
  }
  free (s->scratch);
  free (s->job_max);
  free (s->job_sum);
  free (s->job_count);
  free (s);
}

/* Source rows a resample of dst rows [y0, y1) reads. Offsets need not be
 * monotonic (an output that falls on a source sample gets a trimmed
 * window), so every row is looked at. */
static void
source_rows (const Resample * r, int y0, int y1, int *sy0, int *sy1)
{
  if (!r->v) {
    *sy0 = y0;
    *sy1 = y1;
    return;
  }
  *sy0 = r->v->offset[y0];
  *sy1 = r->v->offset[y0] + r->v->taps;
  for (int y = y0 + 1; y < y1; y++) {
    if (r->v->offset[y] < *sy0)
      *sy0 = r->v->offset[y];
    if (r->v->offset[y] + r->v->taps > *sy1)
      *sy1 = r->v->offset[y] + r->v->taps;
  }
}

/* Rows per job: enough jobs to balance the threads, but tall enough that
 * the rows a vertical filter reads twice at slice edges stay cheap. */
static int
slice_rows (int height, int n_threads, int align)
{
  int rows = (height + 4 * n_threads - 1) / (4 * n_threads);
  if (rows < 64)
    rows = 64;
  return (rows + align - 1) / align * align;
}

/* The most source rows any n consecutive dst rows of r read, wherever the
 * window starts (jobs of stage b start at the rectangle's edge). */
static int
max_hrows (const Resample * r, int n)
{
  int most = 0;
  if (n > r->dst_h)
    n = r->dst_h;
  for (int y0 = 0; y0 + n <= r->dst_h; y0++) {
    int sy0, sy1;
    source_rows (r, y0, y0 + n, &sy0, &sy1);
    if (sy1 - sy0 > most)
      most = sy1 - sy0;
  }
  return most;
}

static void
describe (EstHdrScale * s)
{
  static const char *const methods[] = {
    "nearest", "bilinear", "bicubic", "mitchell", "lanczos", "spline36"
  };
  const char *in = est_video_format_info (s->in.format)->name;
  const char *out = est_video_format_info (s->out.format)->name;

  if (s->colour)
    snprintf (s->description, sizeof s->description,
        "unpack %s %dx%d -> resample to %dx%d 4:4:4 (%s) -> colour -> "
        "resample to output (%s) -> pack %s %dx%d (picture %dx%d at %d,%d)",
        in, s->in.width, s->in.height, s->work_w, s->work_h,
        methods[s->p.method], methods[s->p.method], out, s->out.width,
        s->out.height, s->rect_w, s->rect_h, s->rect_x, s->rect_y);
  else
    snprintf (s->description, sizeof s->description,
        "unpack %s %dx%d -> resample each plane (%s) -> pack %s %dx%d "
        "(picture %dx%d at %d,%d)", in, s->in.width, s->in.height,
        methods[s->p.method], out, s->out.width, s->out.height, s->rect_w,
        s->rect_h, s->rect_x, s->rect_y);
}

const char *
est_hdr_scale_describe (const EstHdrScale * s)
{
  return s->description;
}

static const char *
plan (EstHdrScale * s)
{
  const EstVideoFormatInfo *fi = est_video_format_info (s->in.format);
  const EstVideoFormatInfo *fo = est_video_format_info (s->out.format);
  double kx = (double) s->in.width / s->rect_w;
  double ky = (double) s->in.height / s->rect_h;
  int threads = est_slice_pool_threads (s->pool);
  const char *err;

  /* Output plane grids, in input pixels. */
  Grid ox[3], oy[3], ix[3], iy[3];
  int rw[3], rh[3];
  for (int c = 0; c < 3; c++) {
    int shx = c ? fo->shift_x : 0, shy = c ? fo->shift_y : 0;
    ox[c] = plane_grid (shx, s->out.cosited_h, kx);
    oy[c] = plane_grid (shy, s->out.cosited_v, ky);
    rw[c] = ((s->rect_x + s->rect_w + (1 << shx) - 1) >> shx) -
        (s->rect_x >> shx);
    rh[c] = ((s->rect_y + s->rect_h + (1 << shy) - 1) >> shy) -
        (s->rect_y >> shy);
    ix[c] = plane_grid (c ? fi->shift_x : 0, s->in.cosited_h, 1.0);
    iy[c] = plane_grid (c ? fi->shift_y : 0, s->in.cosited_v, 1.0);
  }

  if (!est_hdr_colour_is_identity (&s->in.colour, &s->out.colour, &s->p.colour)) {
    s->colour = est_hdr_colour_new (&s->in.colour, &s->out.colour,
        &s->p.colour);
    if (!s->colour)
      return "out of memory building the colour tables";
    est_hdr_colour_set_cpu_flags (s->colour, s->p.cpu_flags);
  }

  if (s->colour) {
    Grid wx, wy;
    if ((double) s->in.width * s->in.height <= (double) s->rect_w * s->rect_h) {
      s->work_w = s->in.width;
      s->work_h = s->in.height;
      wx = plane_grid (0, 0, 1.0);
      wy = wx;
    } else {
      s->work_w = s->rect_w;
      s->work_h = s->rect_h;
      wx = plane_grid (0, 0, kx);
      wy = plane_grid (0, 0, ky);
    }
    s->work_stride = s->work_w + ROW_PAD;
    for (int c = 0; c < 3; c++) {
      s->work[c] = malloc ((size_t) s->work_stride * s->work_h *
          sizeof (int16_t));
      if (!s->work[c])
        return "out of memory for the work planes";
      if ((err = make_resample (s, &s->a[c], comp_w (&s->in, c),
                  comp_h (&s->in, c), ix[c], iy[c], s->work_w, s->work_h,
                  wx, wy)))
        return err;
      if ((err = make_resample (s, &s->b[c], s->work_w, s->work_h, wx, wy,
                  rw[c], rh[c], ox[c], oy[c])))
        return err;
    }
  } else {
    for (int c = 0; c < 3; c++)
      if ((err = make_resample (s, &s->b[c], comp_w (&s->in, c),
                  comp_h (&s->in, c), ix[c], iy[c], rw[c], rh[c], ox[c],
                  oy[c])))
        return err;
  }

  /* Scratch: sized for the largest job of either stage. */
  s->slice_b = slice_rows (s->out.height, threads, 1 << fo->shift_y);
  s->slice_a = slice_rows (s->work_h, threads, 1);
  size_t widest = (size_t) (s->in.width > s->out.width ? s->in.width :
      s->out.width);
  if ((size_t) s->work_w > widest)
    widest = (size_t) s->work_w;
  s->hbuf_row = widest + ROW_PAD;
  s->max_hrows = 1;
  for (int c = 0; c < 3; c++) {
    int n;
    int sh = c ? fo->shift_y : 0;
    /* A stage b job covers slice_b luma rows: that many of the plane's
     * rows, or fewer. */
    n = max_hrows (&s->b[c], (s->slice_b >> sh) + 1);
    if (n > s->max_hrows)
      s->max_hrows = n;
    if (s->colour) {
      n = max_hrows (&s->a[c], s->slice_a);
      if (n > s->max_hrows)
        s->max_hrows = n;
    }
  }
  s->obuf_stride = (size_t) s->out.width + ROW_PAD;

  s->used_peak = s->p.colour.src_peak;
  s->detect = s->p.peak_detect && s->colour &&
      est_hdr_colour_tone_maps (s->colour);
  if (s->detect) {
    int jobs = (s->work_h + s->slice_a - 1) / s->slice_a;
    s->job_max = calloc ((size_t) jobs, sizeof *s->job_max);
    s->job_sum = calloc ((size_t) jobs, sizeof *s->job_sum);
    s->job_count = calloc ((size_t) jobs, sizeof *s->job_count);
    if (!s->job_max || !s->job_sum || !s->job_count)
      return "out of memory for peak detection";
  }

  s->n_scratch = threads;
  s->scratch = calloc ((size_t) threads, sizeof *s->scratch);
  if (!s->scratch)
    return "out of memory for the slice buffers";
  for (int t = 0; t < threads; t++) {
    Scratch *sc = &s->scratch[t];
    sc->unpack = calloc (widest + ROW_PAD, sizeof (int16_t));
    sc->hbuf = calloc (s->hbuf_row * (size_t) s->max_hrows, sizeof (int16_t));
    sc->hrows = calloc ((size_t) s->max_hrows, sizeof *sc->hrows);
    if (!sc->unpack || !sc->hbuf || !sc->hrows)
      return "out of memory for the slice buffers";
    for (int c = 0; c < 3; c++) {
      sc->obuf[c] = malloc (s->obuf_stride * (size_t) (s->slice_b + 1) *
          sizeof (int16_t));
      if (!sc->obuf[c])
        return "out of memory for the slice buffers";
    }
  }
  describe (s);
  return NULL;
}

/* RGB layouts carry R'G'B' (EST_MATRIX_RGB), YUV layouts Y'CbCr. */
static int
matrix_fits (const EstHdrScaleFormat * f)
{
  return est_video_format_info (f->format)->rgb ==
      (f->colour.matrix == EST_MATRIX_RGB);
}

EstHdrScale *
est_hdr_scale_new (const EstHdrScaleFormat * in, const EstHdrScaleFormat * out,
    const EstHdrScaleParams * p, const char **error)
{
  EstHdrScale *s;
  const char *err = NULL;
  EstRange r;

  if (in->width < 1 || in->height < 1 || in->width > 8192 ||
      in->height > 8192 || out->width < 1 || out->height < 1 ||
      out->width > 8192 || out->height > 8192)
    err = "picture sizes must be 1..8192 in each direction";
  else if (in->colour.depth != est_video_format_info (in->format)->depth ||
      out->colour.depth != est_video_format_info (out->format)->depth)
    err = "colour depth does not match the format";
  else if (!matrix_fits (in) || !matrix_fits (out))
    err = "colour matrix does not match the format: RGB formats take "
        "EST_MATRIX_RGB, YUV formats a YUV matrix";
  if (err) {
    if (error)
      *error = err;
    return NULL;
  }

  s = calloc (1, sizeof *s);
  if (!s) {
    if (error)
      *error = "out of memory";
    return NULL;
  }
  s->in = *in;
  s->out = *out;
  s->p = *p;
  if (p->rect_w > 0 && p->rect_h > 0) {
    s->rect_x = p->rect_x;
    s->rect_y = p->rect_y;
    s->rect_w = p->rect_w;
    s->rect_h = p->rect_h;
  } else {
    s->rect_w = out->width;
    s->rect_h = out->height;
  }
  if (s->rect_x < 0 || s->rect_y < 0 || s->rect_x + s->rect_w > out->width
      || s->rect_y + s->rect_h > out->height)
    err = "the picture rectangle does not fit the output";

  est_resample_dsp_init (&s->dsp, p->cpu_flags);
  est_video_pack_dsp_init (&s->pack, p->cpu_flags);
  est_video_dither_init (&s->dither, out->colour.depth, p->dither);
  est_colour_range (out->colour.depth, out->colour.full_range, &r);
  /* R'G'B' black is luma's black on every component. */
  double c_black = out->colour.matrix == EST_MATRIX_RGB ? r.y_offset :
      r.c_offset;
  s->black[0] = (int16_t) (r.y_offset * (1 << (14 - out->colour.depth)));
  s->black[1] = s->black[2] =
      (int16_t) (c_black * (1 << (14 - out->colour.depth)));

  if (!err) {
    s->pool = est_slice_pool_new (p->n_threads);
    if (!s->pool)
      err = "cannot start the slice threads";
  }
  if (!err)
    err = plan (s);
  if (err) {
    est_hdr_scale_free (s);
    if (error)
      *error = err;
    return NULL;
  }
  return s;
}

/* Row sy of component c of the source, as Q14. Packed input is unpacked
 * into `into`, which the caller may pass as its own destination. */
static const int16_t *
source_row (const EstHdrScale * s, const Source * src, const Resample * r,
    int c, int sy, int16_t * into)
{
  if (!src->img)
    return src->plane[c] + sy * src->stride;
  est_video_unpack (s->in.format, src->img, c, sy, 0, r->src_w, into);
  return into;
}

/* Resamples rows [y0, y1) of component c into dst (row i at dst + i *
 * dst_stride). */
static void
resample_rows (const EstHdrScale * s, const Resample * r, const Source * src,
    int c, int y0, int y1, int16_t * dst, ptrdiff_t dst_stride, Scratch * t)
{
  int sy0, sy1;

  source_rows (r, y0, y1, &sy0, &sy1);
  for (int sy = sy0; sy < sy1; sy++) {
    /* Without a vertical filter the row goes straight to dst. */
    int16_t *out = r->v ? t->hbuf + (size_t) (sy - sy0) * s->hbuf_row :
        dst + (sy - y0) * dst_stride;
    if (r->h) {
      s->dsp.hscale (out, source_row (s, src, r, c, sy, t->unpack), r->h);
      t->hrows[sy - sy0] = out;
    } else {
      const int16_t *row = source_row (s, src, r, c, sy, out);
      if (!r->v && row != out)
        memcpy (out, row, (size_t) r->dst_w * sizeof *out);
      t->hrows[sy - sy0] = row;
    }
  }
  if (!r->v)
    return;
  for (int y = y0; y < y1; y++)
    s->dsp.vscale (dst + (y - y0) * dst_stride,
        t->hrows + (r->v->offset[y] - sy0),
        r->v->coeff + (size_t) y * r->v->taps, r->v->taps, r->dst_w);
}

static void
stage_a_rows (EstHdrScale * s, int job, int *y0, int *y1)
{
  *y0 = job * s->slice_a;
  *y1 = *y0 + s->slice_a < s->work_h ? *y0 + s->slice_a : s->work_h;
}

static void
colour_rows (EstHdrScale * s, int y0, int y1)
{
  for (int y = y0; y < y1; y++) {
    ptrdiff_t o = y * s->work_stride;
    est_hdr_colour_process (s->colour, s->work[0] + o, s->work[1] + o,
        s->work[2] + o, s->work_w);
  }
}

/* Input to the work planes, then the colour stage; with peak detection,
 * the measurement instead, and the colour stage in a second run. */
static void
stage_a (void *ctx, int job, int thread)
{
  EstHdrScale *s = ctx;
  Scratch *t = &s->scratch[thread];
  Source src = { s->src, {NULL}, 0 };
  int y0, y1;

  stage_a_rows (s, job, &y0, &y1);
  for (int c = 0; c < 3; c++)
    resample_rows (s, &s->a[c], &src, c, y0, y1,
        s->work[c] + y0 * s->work_stride, s->work_stride, t);
  if (!s->detect) {
    colour_rows (s, y0, y1);
    return;
  }

  float most = 0.0f;
  double sum = 0.0;
  long n = 0;
  for (int y = y0 - y0 % 4 + (y0 % 4 ? 4 : 0); y < y1; y += 4) {
    ptrdiff_t o = y * s->work_stride;
    float m;
    double total;
    est_hdr_colour_measure (s->colour, s->work[0] + o, s->work[1] + o,
        s->work[2] + o, s->work_w, 4, &m, &total);
    most = m > most ? m : most;
    sum += total;
    n += (s->work_w + 3) / 4;
  }
  s->job_max[job] = most;
  s->job_sum[job] = sum;
  s->job_count[job] = n;
}

static void
stage_a_colour (void *ctx, int job, int thread)
{
  EstHdrScale *s = ctx;
  int y0, y1;

  (void) thread;
  stage_a_rows (s, job, &y0, &y1);
  colour_rows (s, y0, y1);
}

/* Smooths the measured peak over about 20 frames, starting afresh at a
 * scene change, and re-aims the tone curve. Reduced in job order, so the
 * result does not depend on the threads. */
static void
update_peak (EstHdrScale * s, int jobs)
{
  const double period = 20.0;
  double peak = 0.0, sum = 0.0, mean;
  long n = 0;

  for (int j = 0; j < jobs; j++) {
    peak = s->job_max[j] > peak ? s->job_max[j] : peak;
    sum += s->job_sum[j];
    n += s->job_count[j];
  }
  mean = n ? sum / n : 0.0;
  if (!s->have_history || mean > 2.0 * s->mean || mean < 0.5 * s->mean) {
    s->peak = peak;
    s->mean = mean;
    s->have_history = 1;
  } else {
    s->peak += (peak - s->peak) / period;
    s->mean += (mean - s->mean) / period;
  }
  double used = s->peak < s->p.colour.src_peak ? s->peak : s->p.colour.src_peak;
  if (used < 1.0)
    used = 1.0;
  if (used != s->used_peak) {
    s->used_peak = used;
    est_hdr_colour_set_source_peak (s->colour, used);
  }
}

double
est_hdr_scale_source_peak (const EstHdrScale * s)
{
  return s->used_peak;
}

void
est_hdr_scale_reset (EstHdrScale * s)
{
  s->have_history = 0;
}

static void
fill (int16_t * row, int16_t v, int n)
{
  for (int i = 0; i < n; i++)
    row[i] = v;
}

static void
stage_b (void *ctx, int job, int thread)
{
  EstHdrScale *s = ctx;
  Scratch *t = &s->scratch[thread];
  const EstVideoFormatInfo *fo = est_video_format_info (s->out.format);
  Source src = { NULL, {NULL}, s->work_stride };
  int y0 = job * s->slice_b;
  int y1 = y0 + s->slice_b < s->out.height ? y0 + s->slice_b : s->out.height;

  if (s->colour)
    memcpy (src.plane, s->work, sizeof src.plane);
  else
    src.img = s->src;

  for (int c = 0; c < 3; c++) {
    int shx = c ? fo->shift_x : 0, shy = c ? fo->shift_y : 0;
    int w = comp_w (&s->out, c);
    int py0 = y0 >> shy, py1 = (y1 + (1 << shy) - 1) >> shy;
    int rx = s->rect_x >> shx, ry0 = s->rect_y >> shy;
    int ry1 = ry0 + s->b[c].dst_h;
    int16_t *obuf = t->obuf[c];
    int r0 = py0 > ry0 ? py0 : ry0, r1 = py1 < ry1 ? py1 : ry1;

    for (int py = py0; py < py1; py++) {
      int16_t *row = obuf + (py - py0) * s->obuf_stride;
      if (py < r0 || py >= r1) {
        fill (row, s->black[c], w);
      } else if (s->b[c].dst_w < w) {
        fill (row, s->black[c], rx);
        fill (row + rx + s->b[c].dst_w, s->black[c], w - rx - s->b[c].dst_w);
      }
    }
    if (r0 < r1)
      resample_rows (s, &s->b[c], &src, c, r0 - ry0, r1 - ry0,
          obuf + (r0 - py0) * s->obuf_stride + rx, s->obuf_stride, t);
  }

  for (int y = y0; y < y1; y++) {
    int shy = fo->shift_y;
    int cy = (y >> shy) - (y0 >> shy);
    const int16_t *rows[3] = {
      t->obuf[0] + (y - y0) * s->obuf_stride,
      t->obuf[1] + cy * s->obuf_stride,
      t->obuf[2] + cy * s->obuf_stride,
    };
    est_video_pack (&s->pack, s->out.format, s->dst, y, s->out.width,
        (y & ((1 << shy) - 1)) == 0, rows, &s->dither);
  }
}

void
est_hdr_scale_process (EstHdrScale * s, const EstVideoImage * src,
    EstVideoImage * dst)
{
  s->src = src;
  s->dst = dst;
  if (s->colour) {
    int jobs = (s->work_h + s->slice_a - 1) / s->slice_a;
    est_slice_pool_run (s->pool, stage_a, s, jobs);
    if (s->detect) {
      update_peak (s, jobs);
      est_slice_pool_run (s->pool, stage_a_colour, s, jobs);
    }
  }
  est_slice_pool_run (s->pool, stage_b, s,
      (s->out.height + s->slice_b - 1) / s->slice_b);
  s->src = NULL;
  s->dst = NULL;
}

static int
round_down (int v, int shift)
{
  return v >> shift << shift;
}

void
est_hdr_scale_fit_rect (int in_w, int in_h, int in_par_n, int in_par_d,
    int out_w, int out_h, int out_par_n, int out_par_d, int shift_x,
    int shift_y, int *x, int *y, int *w, int *h)
{
  /* Display aspect of the input, in output pixels. */
  double dar = (double) in_w * in_par_n / in_par_d / in_h;
  double out_dar = (double) out_w * out_par_n / out_par_d / out_h;
  int rw = out_w, rh = out_h;

  if (dar > out_dar)
    rh = (int) (out_h * out_dar / dar + 0.5);
  else if (dar < out_dar)
    rw = (int) (out_w * dar / out_dar + 0.5);
  rw = rw < out_w ? round_down (rw, shift_x) : out_w;
  rh = rh < out_h ? round_down (rh, shift_y) : out_h;
  if (rw < 1)
    rw = out_w < (1 << shift_x) ? out_w : 1 << shift_x;
  if (rh < 1)
    rh = out_h < (1 << shift_y) ? out_h : 1 << shift_y;
  *x = round_down ((out_w - rw) / 2, shift_x);
  *y = round_down ((out_h - rh) / 2, shift_y);
  *w = rw;
  *h = rh;
}
