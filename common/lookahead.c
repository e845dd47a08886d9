/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The lookahead analysis: see lookahead.h for the stages.
 *
 * Costs are SATD of 8 x 8 blocks of the downscaled copy. A frame is a scene
 * cut candidate when motion compensation from the previous frame saves
 * little against intra coding (CANDIDATE_RATIO); the candidate is
 *   - a flash's end when it predicts well from the frame before the last
 *     (the last was a one-frame flash, known once this one is pushed);
 *   - a fade when the cost without each block's mean difference (the DC
 *     coefficient of the residual) would not make it a candidate;
 *   - else a cut, when its inter / intra cost ratio also passes x264's
 *     threshold for its distance from the last key frame: 0.975 up to a
 *     quarter of the minimum interval (a tenth of the maximum), 0.9 at
 *     the minimum, 0.6 at the maximum.
 * A still frame differs little from the previous one at zero motion.
 *
 * Temporal propagation follows x264's macroblock-tree: walking from the
 * newest frame held back to the oldest, each block passes to the blocks it
 * predicts from (split by the overlap of its motion-compensated position)
 * the share of its own and inherited information that inter prediction
 * saves, (inherited + w intra) * (1 - inter / intra), w = 2^(-spatial
 * offset / 6) weighing a block by the quantiser its AQ gives it, as x264
 * does. The oldest frame's block offset is -2 log2 ((w intra + inherited)
 * / (w intra)): x264's strength 5 (1 - qcomp) at its default qcomp 0.6.
 * Nothing propagates across a cut.
 *
 * Spatial AQ: x264's variance or auto-variance AQ (aq-mode 1 or 2, see
 * spatial_offsets) on the frame itself, not the copy (the copy loses the
 * fine texture that masks coding noise), energy being the sum of the
 * squared deviations from their means of the block's luma and chroma
 * samples (8-bit units, per 16 x 16 luma samples); plus up to -2 for dark
 * blocks (below 64 in 8 bits), which band first. */

#include "lookahead.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookaheaddsp.h"

#define BLOCK 8
#define CANDIDATE_RATIO 0.6     /* inter / intra cost above which a cut is possible */
#define STILL_SAD 1.5           /* mean |difference| per sample, zero motion */
#define SEARCH_RANGE 32         /* samples of the copy */
#define MAX_OFFSET 12.0f

typedef struct
{
  uint8_t *plane;               /* pw x ph, edges replicated */
  int32_t *intra, *inter;       /* per block; inter <= intra */
    int16_t (*mv)[2];
  float *variance;              /* per sample, of each block of the copy */
  float *energy;                /* log2 of the AQ energy of each block */
  /* 2^(-spatial offset / 6): the quantiser step a block's AQ gives it,
   * inverted, which weighs its information in the propagation as in
   * x264. */
  float *weight;
  float *spatial;               /* texture and dark offsets, clamped */
  uint8_t *mean;
  float *propagate;             /* scratch of pop */
  /* Per block, for the propagation: the share of its information inter
   * prediction saves (0 when coded intra), the first block its vector
   * lands on and the vector's offset within it, in samples. */
  float *share;
  int32_t *target;
    uint8_t (*frac)[2];
  int64_t index;
  int has_prev;                 /* inter and mv are valid */
  double intra_sum, inter_sum, variance_sum;
  double ratio;                 /* inter_sum / intra_sum */
  int candidate, flash, after_flash, fade, still;
} Slot;

struct EstLookahead
{
  EstLookaheadConfig c;
  EstLookaheadDSP dsp;
  int scale;                    /* 2 or 4 */
  int dw, dh;                   /* size of the copy */
  int pw, ph;                   /* padded to whole blocks */
  int bw, bh, nb;               /* blocks */
  uint8_t *half;                /* scratch for the quarter-size copy */
  Slot *slots;
  int n_slots;
  int64_t pushed, popped;       /* frames since reset */
  int64_t last_key;
  int scene;
  float *offsets, *map;         /* output of pop */
};

static Slot *
slot_of (EstLookahead * la, int64_t index)
{
  return &la->slots[index % la->n_slots];
}

static int
slot_init (Slot * s, const EstLookahead * la)
{
  size_t nb = (size_t) la->nb;

  s->plane = malloc ((size_t) la->pw * la->ph);
  s->intra = malloc (nb * sizeof (*s->intra));
  s->inter = malloc (nb * sizeof (*s->inter));
  s->mv = calloc (nb, sizeof (*s->mv));
  s->variance = malloc (nb * sizeof (*s->variance));
  s->energy = malloc (nb * sizeof (*s->energy));
  s->weight = malloc (nb * sizeof (*s->weight));
  s->spatial = malloc (nb * sizeof (*s->spatial));
  s->mean = malloc (nb);
  s->propagate = malloc (nb * sizeof (*s->propagate));
  s->share = malloc (nb * sizeof (*s->share));
  s->target = malloc (nb * sizeof (*s->target));
  s->frac = malloc (nb * sizeof (*s->frac));
  return s->plane && s->intra && s->inter && s->mv && s->variance &&
      s->energy && s->weight && s->spatial && s->share && s->target && s->frac
      && s->mean && s->propagate;
}

static void
slot_clear (Slot * s)
{
  free (s->plane);
  free (s->intra);
  free (s->inter);
  free (s->mv);
  free (s->variance);
  free (s->energy);
  free (s->weight);
  free (s->spatial);
  free (s->mean);
  free (s->propagate);
  free (s->share);
  free (s->target);
  free (s->frac);
}

EstLookahead *
est_lookahead_new (const EstLookaheadConfig * config)
{
  const EstLookaheadConfig *c = config;
  EstLookahead *la;

  if (c->width < 16 || c->height < 16 || c->bit_depth < 8 ||
      c->bit_depth > 16 || c->lookahead < 0 || c->lookahead > 1000 ||
      c->key_int < 0 || c->key_int_max < 0 || c->aq_strength < 0 ||
      c->dark_strength < 0 || c->propagation_strength < 0 ||
      c->chroma_shift_x < 0 || c->chroma_shift_x > 2 ||
      c->chroma_shift_y < 0 || c->chroma_shift_y > 2)
    return NULL;
  la = calloc (1, sizeof (*la));
  if (!la)
    return NULL;
  la->c = *c;
  est_lookahead_dsp_init (&la->dsp, c->cpu_flags);
  la->scale = (int64_t) c->width * c->height > 2560 * 1600 ? 4 : 2;
  la->dw = c->width / la->scale;
  la->dh = c->height / la->scale;
  if (la->dw < 1 || la->dh < 1) {
    free (la);
    return NULL;
  }
  la->bw = (la->dw + BLOCK - 1) / BLOCK;
  la->bh = (la->dh + BLOCK - 1) / BLOCK;
  la->nb = la->bw * la->bh;
  la->pw = la->bw * BLOCK;
  la->ph = la->bh * BLOCK;
  /* The frames held, the one being pushed, and the two before the oldest
   * held (motion and flash references). */
  la->n_slots = c->lookahead + 3;
  la->slots = calloc ((size_t) la->n_slots, sizeof (Slot));
  la->offsets = malloc ((size_t) la->nb * sizeof (float));
  la->map = malloc ((size_t) la->nb * sizeof (float));
  if (la->scale == 4)
    la->half = malloc ((size_t) (c->width / 2) * (c->height / 2));
  int ok = la->slots && la->offsets && la->map && (la->scale == 2 || la->half);
  for (int i = 0; ok && i < la->n_slots; i++)
    ok = slot_init (&la->slots[i], la);
  if (!ok) {
    est_lookahead_free (la);
    return NULL;
  }
  return la;
}

void
est_lookahead_free (EstLookahead * la)
{
  if (!la)
    return;
  for (int i = 0; la->slots && i < la->n_slots; i++)
    slot_clear (&la->slots[i]);
  free (la->slots);
  free (la->offsets);
  free (la->map);
  free (la->half);
  free (la);
}

void
est_lookahead_reset (EstLookahead * la)
{
  la->pushed = la->popped = 0;
  la->last_key = 0;
  la->scene = 0;
}

int
est_lookahead_held (const EstLookahead * la)
{
  return (int) (la->pushed - la->popped);
}

/* The downscaled copy of the luma plane into s->plane, padded. */
static void
downscale (EstLookahead * la, Slot * s, const void *luma, ptrdiff_t stride)
{
  const EstLookaheadDSP *d = &la->dsp;
  const int w = la->c.width, h = la->c.height;

  if (la->scale == 2) {
    if (la->c.bit_depth == 8)
      d->downscale2_8 (s->plane, la->pw, luma, stride, la->dw, la->dh);
    else
      d->downscale2_16 (s->plane, la->pw, luma, stride, la->dw, la->dh,
          la->c.bit_depth);
  } else {
    if (la->c.bit_depth == 8)
      d->downscale2_8 (la->half, w / 2, luma, stride, w / 2, h / 2);
    else
      d->downscale2_16 (la->half, w / 2, luma, stride, w / 2, h / 2,
          la->c.bit_depth);
    d->downscale2_8 (s->plane, la->pw, la->half, w / 2, la->dw, la->dh);
  }
  for (int y = 0; y < la->dh; y++) {
    uint8_t *row = s->plane + (size_t) y * la->pw;
    memset (row + la->dw, row[la->dw - 1], (size_t) (la->pw - la->dw));
  }
  for (int y = la->dh; y < la->ph; y++)
    memcpy (s->plane + (size_t) y * la->pw,
        s->plane + (size_t) (la->dh - 1) * la->pw, (size_t) la->pw);
}

/* Best SATD of DC, vertical and horizontal prediction from the block's
 * neighbours in the copy. */
static int32_t
intra_cost (const EstLookahead * la, const uint8_t * plane, int bx, int by)
{
  const ptrdiff_t stride = la->pw;
  const uint8_t *blk = plane + (size_t) by * BLOCK * stride + bx * BLOCK;
  const uint8_t *top = by > 0 ? blk - stride : NULL;
  uint8_t pred[BLOCK * BLOCK], left[BLOCK];
  int sum = 0, n = 0, best;

  for (int i = 0; i < BLOCK; i++) {
    if (top) {
      sum += top[i];
      n++;
    }
    if (bx > 0) {
      left[i] = blk[i * stride - 1];
      sum += left[i];
      n++;
    }
  }
  memset (pred, n ? (sum + n / 2) / n : 128, sizeof (pred));
  best = la->dsp.satd8x8 (blk, stride, pred, BLOCK);
  if (top) {
    for (int y = 0; y < BLOCK; y++)
      memcpy (pred + y * BLOCK, top, BLOCK);
    int c = la->dsp.satd8x8 (blk, stride, pred, BLOCK);
    best = c < best ? c : best;
  }
  if (bx > 0) {
    for (int y = 0; y < BLOCK; y++)
      memset (pred + y * BLOCK, left[y], BLOCK);
    int c = la->dsp.satd8x8 (blk, stride, pred, BLOCK);
    best = c < best ? c : best;
  }
  return best;
}

static int
clamp_int (int v, int lo, int hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

typedef struct
{
  int32_t cost;                 /* SATD at the best vector */
  int32_t ac_cost;              /* the same less the DC difference */
  int sad0;                     /* SAD at zero motion */
  int16_t mv[2];
} Motion;

/* Integer motion search of block (bx, by) of cur in ref: the candidate
 * vectors, then diamond steps of 4, 2 and 1 samples on SAD, then SATD. */
static void
search (const EstLookahead * la, const uint8_t * cur, const uint8_t * ref,
    int bx, int by, const int16_t (*cand)[2], int n_cand, Motion * m)
{
  const ptrdiff_t stride = la->pw;
  const int x = bx * BLOCK, y = by * BLOCK;
  const int x_lo = -clamp_int (x, 0, SEARCH_RANGE);
  const int x_hi = clamp_int (la->pw - BLOCK - x, 0, SEARCH_RANGE);
  const int y_lo = -clamp_int (y, 0, SEARCH_RANGE);
  const int y_hi = clamp_int (la->ph - BLOCK - y, 0, SEARCH_RANGE);
  const uint8_t *blk = cur + (size_t) y * stride + x;
  int best_x = 0, best_y = 0, best;

#define SAD_AT(dx, dy) \
  la->dsp.sad8x8 (blk, stride, ref + (ptrdiff_t) (y + (dy)) * stride + x + \
      (dx), stride)

  best = m->sad0 = SAD_AT (0, 0);
  for (int i = 0; i < n_cand; i++) {
    int cx = clamp_int (cand[i][0], x_lo, x_hi);
    int cy = clamp_int (cand[i][1], y_lo, y_hi);
    if (cx == best_x && cy == best_y)
      continue;
    int c = SAD_AT (cx, cy);
    if (c < best) {
      best = c;
      best_x = cx;
      best_y = cy;
    }
  }
  for (int step = 4; step >= 1; step /= 2) {
    for (int iter = 0; iter < 8; iter++) {
      static const int dirs[4][2] = { {1, 0}, {-1, 0}, {0, 1}, {0, -1} };
      int moved = 0;
      for (int i = 0; i < 4; i++) {
        int cx = best_x + dirs[i][0] * step, cy = best_y + dirs[i][1] * step;
        if (cx < x_lo || cx > x_hi || cy < y_lo || cy > y_hi)
          continue;
        int c = SAD_AT (cx, cy);
        if (c < best) {
          best = c;
          best_x = cx;
          best_y = cy;
          moved = 1;
        }
      }
      if (!moved)
        break;
    }
  }
#undef SAD_AT
  const uint8_t *r = ref + (ptrdiff_t) (y + best_y) * stride + x + best_x;
  int32_t dc = (int32_t) (uint32_t) la->dsp.var8x8 (blk, stride) -
      (int32_t) (uint32_t) la->dsp.var8x8 (r, stride);
  m->cost = la->dsp.satd8x8 (blk, stride, r, stride);
  m->ac_cost = m->cost - (abs (dc) >> 2);
  if (m->ac_cost < 0)
    m->ac_cost = 0;
  m->mv[0] = (int16_t) best_x;
  m->mv[1] = (int16_t) best_y;
}

/* Inter costs of s against ref. With store, fills s->inter and s->mv;
 * returns the summed cost (each block's best of inter and intra) and, in
 * *ac and *sad0, the DC-free cost and the zero-motion SAD. */
static double
inter_frame (EstLookahead * la, Slot * s, const Slot * ref, int store,
    double *ac, double *sad0)
{
  double sum = 0, ac_sum = 0, sad_sum = 0;

  for (int by = 0; by < la->bh; by++) {
    for (int bx = 0; bx < la->bw; bx++) {
      int b = by * la->bw + bx, n = 0;
      int16_t cand[4][2];
      Motion m;

      if (store && bx > 0)
        memcpy (cand[n++], s->mv[b - 1], sizeof (cand[0]));
      if (store && by > 0)
        memcpy (cand[n++], s->mv[b - la->bw], sizeof (cand[0]));
      if (store && by > 0 && bx + 1 < la->bw)
        memcpy (cand[n++], s->mv[b - la->bw + 1], sizeof (cand[0]));
      if (ref->has_prev)
        memcpy (cand[n++], ref->mv[b], sizeof (cand[0]));
      search (la, s->plane, ref->plane, bx, by, (const int16_t (*)[2]) cand,
          n, &m);
      int32_t cost = m.cost < s->intra[b] ? m.cost : s->intra[b];
      int32_t ac_cost = m.ac_cost < s->intra[b] ? m.ac_cost : s->intra[b];
      if (store) {
        s->inter[b] = cost;
        s->mv[b][0] = m.mv[0];
        s->mv[b][1] = m.mv[1];
      }
      sum += cost;
      ac_sum += ac_cost;
      sad_sum += m.sad0;
    }
  }
  *ac = ac_sum;
  *sad0 = sad_sum;
  return sum;
}

/* Sum of squared deviations from their mean of the w x h samples at
 * (x0, y0) of a plane (step: 2 for one component of interleaved UV), in
 * 8-bit units. */
static double
dev2 (const EstLookahead * la, const void *plane, ptrdiff_t stride, int x0,
    int y0, int w, int h, int step)
{
  const int depth = la->c.bit_depth;
  double sum = 0, sq = 0;

  if (depth == 8 && step == 1 && w % 8 == 0 && h % 8 == 0) {
    for (int y = 0; y < h; y += 8)
      for (int x = 0; x < w; x += 8) {
        uint64_t v = la->dsp.var8x8 ((const uint8_t *) plane +
            (ptrdiff_t) (y0 + y) * stride + x0 + x, stride);
        sum += (double) (uint32_t) v;
        sq += (double) (v >> 32);
      }
  } else {
    const double unit = 1.0 / (1 << (depth - 8));
    for (int y = 0; y < h; y++) {
      const uint8_t *row = (const uint8_t *) plane + (ptrdiff_t) (y0 + y) *
          stride;
      for (int x = x0 * step; x < (x0 + w) * step; x += step) {
        double v = depth == 8 ? row[x] : ((const uint16_t *) row)[x] * unit;
        sum += v;
        sq += v * v;
      }
    }
  }
  return sq - sum * sum / ((double) w * h);
}

/* log2 of the block's AQ energy as x264 counts it: the squared deviations
 * of its luma and chroma samples, per 16 x 16 luma samples; blocks cut by
 * the frame's edge count what is inside, scaled up. */
static float
block_energy (const EstLookahead * la, const EstLookaheadPicture * pic,
    int bx, int by)
{
  const EstLookaheadConfig *c = &la->c;
  const int size = BLOCK * la->scale;
  const int x0 = bx * size, y0 = by * size;
  const int w = c->width - x0 < size ? c->width - x0 : size;
  const int h = c->height - y0 < size ? c->height - y0 : size;
  double energy = dev2 (la, pic->plane[0], pic->stride[0], x0, y0, w, h, 1);

  if (c->chroma != EST_LOOKAHEAD_CHROMA_NONE) {
    const int sx = c->chroma_shift_x, sy = c->chroma_shift_y;
    const int cx = x0 >> sx, cy = y0 >> sy;
    const int cw = ((x0 + w + (1 << sx) - 1) >> sx) - cx;
    const int ch = ((y0 + h + (1 << sy) - 1) >> sy) - cy;

    if (c->chroma == EST_LOOKAHEAD_CHROMA_PLANAR) {
      energy += dev2 (la, pic->plane[1], pic->stride[1], cx, cy, cw, ch, 1);
      energy += dev2 (la, pic->plane[2], pic->stride[2], cx, cy, cw, ch, 1);
    } else {
      const int bytes = c->bit_depth > 8 ? 2 : 1;
      const uint8_t *uv = pic->plane[1];
      energy += dev2 (la, uv, pic->stride[1], cx, cy, cw, ch, 2);
      energy += dev2 (la, uv + bytes, pic->stride[1], cx, cy, cw, ch, 2);
    }
  }
  energy *= 256.0 / ((double) w * h);
  return (float) log2 (energy > 1.0 ? energy : 1.0);
}

/* Texture masking and the dark term of every block, and the weights
 * they give the propagation. Variance AQ is x264's aq-mode 1; auto-variance
 * its aq-mode 2, relative to the frame: strength scaled by the frame's mean
 * of (energy + 1)^(1/8), centred as x264 centres it. */
static void
spatial_offsets (const EstLookahead * la, Slot * s)
{
  const EstLookaheadConfig *c = &la->c;
  double avg = 0, avg2 = 0, strength = c->aq_strength * 1.0397;

  if (c->aq_mode == EST_LOOKAHEAD_AQ_AUTO_VARIANCE) {
    for (int b = 0; b < la->nb; b++) {
      double a = pow (exp2 (s->energy[b]) + 1.0, 0.125);
      avg += a;
      avg2 += a * a;
    }
    avg /= la->nb;
    avg2 /= la->nb;
    strength = c->aq_strength * avg;
    avg = avg - 0.5 * (avg2 - 14.0) / avg;
  }
  for (int b = 0; b < la->nb; b++) {
    double o;
    if (c->aq_mode == EST_LOOKAHEAD_AQ_AUTO_VARIANCE)
      o = strength * (pow (exp2 (s->energy[b]) + 1.0, 0.125) - avg);
    else
      o = strength * (s->energy[b] - 14.427);
    if (s->mean[b] < 64)
      o -= c->dark_strength * 2.0 * (64 - (s->mean[b] > 16 ? s->mean[b] :
              16)) / 48.0;
    o = o > MAX_OFFSET ? MAX_OFFSET : o < -MAX_OFFSET ? -MAX_OFFSET : o;
    s->spatial[b] = (float) o;
    s->weight[b] = (float) exp2 (-o / 6.0);
  }
}

/* What the propagation needs of a frame, once its vectors are known. */
static void
prepare_propagation (const EstLookahead * la, Slot * s)
{
  for (int by = 0; by < la->bh; by++) {
    for (int bx = 0; bx < la->bw; bx++) {
      int b = by * la->bw + bx;
      /* Vectors keep the block inside the copy: the four blocks it
       * overlaps exist wherever the overlap is not empty. */
      int rx = bx * BLOCK + s->mv[b][0], ry = by * BLOCK + s->mv[b][1];
      float intra = (float) s->intra[b] + 1.0f;
      float share = 1.0f - ((float) s->inter[b] + 1.0f) / intra;

      s->share[b] = share > 0.0f ? share : 0.0f;
      s->target[b] = (ry >> 3) * la->bw + (rx >> 3);
      s->frac[b][0] = (uint8_t) (rx & 7);
      s->frac[b][1] = (uint8_t) (ry & 7);
    }
  }
}

int
est_lookahead_push (EstLookahead * la, const EstLookaheadPicture * pic)
{
  Slot *s, *prev;
  double ac, sad0;

  if (est_lookahead_held (la) > la->c.lookahead)
    return -1;
  s = slot_of (la, la->pushed);
  s->index = la->pushed;
  downscale (la, s, pic->plane[0], pic->stride[0]);

  s->intra_sum = s->variance_sum = 0;
  for (int by = 0; by < la->bh; by++) {
    for (int bx = 0; bx < la->bw; bx++) {
      int b = by * la->bw + bx;
      uint64_t v = la->dsp.var8x8 (s->plane + (size_t) by * BLOCK * la->pw +
          bx * BLOCK, la->pw);
      double sum = (double) (uint32_t) v, sq = (double) (v >> 32);

      s->mean[b] = (uint8_t) ((sum + 32) / 64);
      s->variance[b] = (float) ((sq - sum * sum / 64) / 64);
      s->energy[b] = block_energy (la, pic, bx, by);
      s->intra[b] = intra_cost (la, s->plane, bx, by);
      s->intra_sum += s->intra[b];
      s->variance_sum += s->variance[b];
    }
  }
  spatial_offsets (la, s);

  s->candidate = s->flash = s->after_flash = s->fade = s->still = 0;
  s->has_prev = la->pushed > 0;
  if (!s->has_prev) {
    /* The first frame is a cut of its own. */
    memcpy (s->inter, s->intra, (size_t) la->nb * sizeof (*s->inter));
    memset (s->mv, 0, (size_t) la->nb * sizeof (*s->mv));
    s->inter_sum = s->intra_sum;
    prepare_propagation (la, s);
    s->candidate = 1;
    s->ratio = 1;
  } else {
    prev = slot_of (la, la->pushed - 1);
    s->inter_sum = inter_frame (la, s, prev, 1, &ac, &sad0);
    prepare_propagation (la, s);
    s->ratio = s->inter_sum / (s->intra_sum > 0 ? s->intra_sum : 1);
    s->candidate = s->ratio > CANDIDATE_RATIO;
    s->fade = s->candidate && ac <= CANDIDATE_RATIO * s->intra_sum;
    s->still = sad0 < STILL_SAD * la->dw * la->dh;

    /* A cut here but not from the frame before the last: the last one
     * was a flash (even a flat one, which is cheap to code and no
     * candidate itself). */
    if (s->candidate && !s->fade && la->pushed >= 2 &&
        la->pushed - 1 >= la->popped) {
      const Slot *before = slot_of (la, la->pushed - 2);
      double skip = inter_frame (la, s, before, 0, &ac, &sad0);
      if (skip <= CANDIDATE_RATIO * s->intra_sum) {
        prev->flash = 1;
        s->after_flash = 1;
      }
    }
  }
  la->pushed++;
  return 0;
}

static int
is_cut (const Slot * s)
{
  return s->candidate && !s->flash && !s->after_flash && !s->fade;
}

/* x264's scene-cut threshold on the cost ratio, by the distance from the
 * last key frame (its scenecut 40, minimum interval a tenth of the
 * maximum). */
static int
is_cut_after (const EstLookahead * la, const Slot * s, int64_t last_key)
{
  const double kmax = la->c.key_int_max > 0 ? la->c.key_int_max : 250;
  const double kmin = kmax / 10 > 1 ? kmax / 10 : 1;
  const double since = (double) (s->index - last_key);
  double bias;

  if (!is_cut (s))
    return 0;
  if (since <= kmin / 4)
    bias = 0.025;
  else if (since <= kmin)
    bias = 0.1 * since / kmin;
  else
    bias = 0.1 + 0.3 * (since - kmin) / (kmax > kmin ? kmax - kmin : 1);
  return s->ratio >= 1.0 - (bias < 0.4 ? bias : 0.4);
}

static int
is_cut_at (const EstLookahead * la, const Slot * s)
{
  return is_cut_after (la, s, la->last_key);
}

/* Whether index is in a slot that still holds it: held, or among the
 * frames kept before the oldest held. */
static int
available (const EstLookahead * la, int64_t index)
{
  return index >= 0 && index < la->pushed && index > la->pushed - la->n_slots;
}

int
est_lookahead_get_copy (const EstLookahead * la, int64_t index,
    const uint8_t ** plane, ptrdiff_t *stride, int *width, int *height)
{
  if (!available (la, index))
    return -1;
  *plane = la->slots[index % la->n_slots].plane;
  *stride = la->pw;
  *width = la->dw;
  *height = la->dh;
  return 0;
}

int
est_lookahead_scene_span (const EstLookahead * la, int64_t index)
{
  int64_t i;

  if (!available (la, index))
    return 0;
  for (i = index + 1; i < la->pushed; i++)
    if (is_cut_after (la, &la->slots[i % la->n_slots], la->last_key))
      break;
  return (int) (i - index);
}

/* Macroblock-tree: fills the oldest frame's propagate from the frames held
 * after it. */
static void
propagate (EstLookahead * la)
{
  const int64_t first = la->popped, last = la->pushed - 1;
  const int bw = la->bw;

  for (int64_t i = first; i <= last; i++)
    memset (slot_of (la, i)->propagate, 0, (size_t) la->nb * sizeof (float));
  for (int64_t i = last; i > first; i--) {
    const Slot *s = slot_of (la, i);
    float *ref = slot_of (la, i - 1)->propagate;

    if (is_cut (s) || s->flash)
      continue;
    for (int b = 0; b < la->nb; b++) {
      if (s->share[b] <= 0.0f)
        continue;
      /* Over up to four blocks, each getting its share of the overlap. */
      float amount = (s->propagate[b] + ((float) s->intra[b] + 1.0f) *
          s->weight[b]) * s->share[b] / (BLOCK * BLOCK);
      const int t = s->target[b], fx = s->frac[b][0], fy = s->frac[b][1];
      ref[t] += amount * (float) ((BLOCK - fx) * (BLOCK - fy));
      if (fx)
        ref[t + 1] += amount * (float) (fx * (BLOCK - fy));
      if (fy) {
        ref[t + bw] += amount * (float) ((BLOCK - fx) * fy);
        if (fx)
          ref[t + bw + 1] += amount * (float) (fx * fy);
      }
    }
  }
}

int
est_lookahead_pop (EstLookahead * la, int flush, EstLookaheadFrame * out)
{
  const EstLookaheadConfig *c = &la->c;
  int held = est_lookahead_held (la);
  Slot *s;
  double sum = 0;

  if (held == 0 || (!flush && held <= c->lookahead))
    return 0;
  s = slot_of (la, la->popped);
  if (c->mode != EST_LOOKAHEAD_MODE_AQ)
    propagate (la);

  for (int b = 0; b < la->nb; b++) {
    double o = s->spatial[b];
    if (c->mode != EST_LOOKAHEAD_MODE_AQ) {
      double intra = (s->intra[b] + 1.0) * s->weight[b];
      o -= c->propagation_strength * 2.0 * log2 ((intra +
              s->propagate[b]) / intra);
    }
    if (o > MAX_OFFSET)
      o = MAX_OFFSET;
    if (o < -MAX_OFFSET)
      o = -MAX_OFFSET;
    la->offsets[b] = (float) o;
    sum += o;
  }
  /* Full mode splits off the frame level; aq mode keeps it in the map. */
  float mean = c->mode != EST_LOOKAHEAD_MODE_AQ ? (float) (sum / la->nb) : 0.0f;
  for (int b = 0; b < la->nb; b++)
    la->map[b] = la->offsets[b] - mean;

  memset (out, 0, sizeof (*out));
  out->index = s->index;
  int cut = s->index > 0 && is_cut_at (la, s);
  if (cut)
    la->scene++;
  out->scene = la->scene;
  if (c->mode == EST_LOOKAHEAD_MODE_AQ) {
    if (cut)
      la->last_key = s->index;
  } else {
    int64_t since = s->index - la->last_key;
    if (s->index == 0)
      out->key = EST_LOOKAHEAD_KEY_START;
    else if (cut)
      out->key = EST_LOOKAHEAD_KEY_CUT;
    else if (c->key_int > 0 && since >= c->key_int && !s->still)
      out->key = EST_LOOKAHEAD_KEY_INTERVAL;
    else if (c->key_int_max > 0 && since >= c->key_int_max)
      out->key = EST_LOOKAHEAD_KEY_MAX;
    if (out->key != EST_LOOKAHEAD_KEY_NONE)
      la->last_key = s->index;
    out->qp_offset = mean;
  }
  out->flash = s->flash;
  out->fade = s->fade;
  out->still = s->still;
  out->qp_map = la->map;
  out->map_width = la->bw;
  out->map_height = la->bh;
  out->block = BLOCK * la->scale;
  double area = (double) la->pw * la->ph;
  out->intra_cost = s->intra_sum / area;
  out->inter_cost = s->inter_sum / area;
  out->variance = s->variance_sum / la->nb;
  la->popped++;
  return 1;
}
