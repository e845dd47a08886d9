/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Decisions of common/lookahead on synthetic sequences made here: a moving
 * texture with a cut, flashes and a fade; still content and its stretched
 * key-frame interval; propagation on still against independent frames;
 * texture and darkness in the spatial offsets; 10-bit input against the
 * same picture in 8 bits; no lookahead; the quarter-size copy; the copies
 * and scene spans of the target-quality mode. */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "lookahead.h"
#include "qpoverlay.h"

static int failures;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
      failures++; \
      printf ("FAIL %s:%d: ", __func__, __LINE__); \
      printf (__VA_ARGS__); \
      printf ("\n"); \
    } \
  } while (0)

#define W 320
#define H 240
#define TEX 1024

static uint64_t rng_state;

static uint32_t
rnd (void)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t) ((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* A TEX x TEX texture: random values smoothed by a few box passes, so that
 * motion search finds it and it still has detail. */
static uint8_t *
texture (uint64_t seed)
{
  float *f = malloc (sizeof (float) * TEX * TEX);
  uint8_t *t = malloc (TEX * TEX);

  rng_state = seed;
  for (int i = 0; i < TEX * TEX; i++)
    f[i] = (float) (rnd () % 256);
  for (int pass = 0; pass < 2; pass++) {
    for (int y = 0; y < TEX; y++)
      for (int x = 1; x + 1 < TEX; x++)
        f[y * TEX + x] = (f[y * TEX + x - 1] + f[y * TEX + x] +
            f[y * TEX + x + 1]) / 3;
    for (int y = 1; y + 1 < TEX; y++)
      for (int x = 0; x < TEX; x++)
        f[y * TEX + x] = (f[(y - 1) * TEX + x] + f[y * TEX + x] +
            f[(y + 1) * TEX + x]) / 3;
  }
  for (int i = 0; i < TEX * TEX; i++) {
    /* Stretch the contrast back after smoothing. */
    float v = 128 + (f[i] - 128) * 3;
    t[i] = (uint8_t) (v < 16 ? 16 : v > 235 ? 235 : v);
  }
  free (f);
  return t;
}

/* Frame of texture t seen from (ox, oy), brightness scaled by gain. */
static void
view (uint8_t * dst, const uint8_t * t, int ox, int oy, double gain)
{
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double v = t[((oy + y) % TEX) * TEX + (ox + x) % TEX] * gain;
      dst[y * W + x] = (uint8_t) (v > 255 ? 255 : v);
    }
}

static EstLookaheadConfig
config (int lookahead)
{
  EstLookaheadConfig c = { 0 };

  c.width = W;
  c.height = H;
  c.bit_depth = 8;
  c.lookahead = lookahead;
  c.mode = EST_LOOKAHEAD_MODE_FULL;
  c.aq_strength = 1.0;
  c.dark_strength = 1.0;
  c.propagation_strength = 1.0;
  c.cpu_flags = est_cpu_flags ();
  return c;
}

/* Pushes a luma plane (chroma left out of the configuration). */
static int
push (EstLookahead * la, const void *luma, ptrdiff_t stride)
{
  EstLookaheadPicture pic = { {luma}, {stride} };
  return est_lookahead_push (la, &pic);
}

typedef struct
{
  int n;
  EstLookaheadKey key[400];
  int scene[400], flash[400], fade[400], still[400];
  float qp_offset[400];
  float level[400];             /* qp_offset + the mean of the map */
} Result;

/* Pushes n frames made by make (frame index -> plane), popping as the
 * lookahead fills and flushing at the end. */
static void
run (const EstLookaheadConfig * c, int n, void (*make) (int, uint8_t *),
    Result * r)
{
  EstLookahead *la = est_lookahead_new (c);
  uint8_t *frame = malloc (W * H);
  EstLookaheadFrame f;

  memset (r, 0, sizeof (*r));
  CHECK (la != NULL, "est_lookahead_new refused a valid configuration");
  if (!la)
    return;
  for (int i = 0; i <= n; i++) {
    if (i < n) {
      make (i, frame);
      CHECK (push (la, frame, W) == 0, "push %d refused", i);
    }
    while (est_lookahead_pop (la, i == n, &f)) {
      int k = (int) f.index;
      CHECK (k == r->n, "frame %d popped as %d", r->n, k);
      r->key[k] = f.key;
      r->scene[k] = f.scene;
      r->flash[k] = f.flash;
      r->fade[k] = f.fade;
      r->still[k] = f.still;
      r->qp_offset[k] = f.qp_offset;
      double m = 0;
      for (int b = 0; b < f.map_width * f.map_height; b++)
        m += f.qp_map[b];
      r->level[k] = (float) (f.qp_offset + m / (f.map_width * f.map_height));
      r->n++;
    }
    CHECK (est_lookahead_held (la) <= c->lookahead, "holds %d frames",
        est_lookahead_held (la));
  }
  CHECK (r->n == n, "%d frames out of %d", r->n, n);
  free (frame);
  est_lookahead_free (la);
}

static int
keys (const Result * r, int *at, int max)
{
  int n = 0;
  for (int i = 0; i < r->n; i++)
    if (r->key[i] != EST_LOOKAHEAD_KEY_NONE && n < max)
      at[n++] = i;
  return n;
}

static uint8_t *tex_a, *tex_b;

static void
make_cut (int i, uint8_t * dst)
{
  if (i < 20)
    view (dst, tex_a, 3 * i, 2 * i, 1.0);
  else
    view (dst, tex_b, 3 * i, 2 * i, 1.0);
}

static void
test_cut (void)
{
  EstLookaheadConfig c = config (10);
  Result r;
  int at[8];

  run (&c, 40, make_cut, &r);
  int n = keys (&r, at, 8);
  CHECK (n == 2 && at[0] == 0 && at[1] == 20, "key frames: %d (%d, %d)", n,
      at[0], n > 1 ? at[1] : -1);
  CHECK (r.key[0] == EST_LOOKAHEAD_KEY_START, "frame 0: key %d", r.key[0]);
  CHECK (r.key[20] == EST_LOOKAHEAD_KEY_CUT, "frame 20: key %d", r.key[20]);
  CHECK (r.scene[19] == 0 && r.scene[20] == 1 && r.scene[39] == 1,
      "scenes %d %d %d", r.scene[19], r.scene[20], r.scene[39]);
}

/* A white frame at 15, a camera flash (everything far brighter) at 25. */
static void
make_flashes (int i, uint8_t * dst)
{
  if (i == 15)
    memset (dst, 235, W * H);
  else
    view (dst, tex_a, 2 * i, i, i == 25 ? 2.5 : 1.0);
}

static void
test_flash_is_not_a_cut (void)
{
  EstLookaheadConfig c = config (10);
  Result r;
  int at[8];

  run (&c, 40, make_flashes, &r);
  int n = keys (&r, at, 8);
  CHECK (n == 1 && at[0] == 0, "%d key frames, the second at %d", n,
      n > 1 ? at[1] : -1);
  CHECK (r.flash[15], "the white frame is not a flash");
  CHECK (r.flash[25] || r.fade[25], "the bright frame is neither a flash "
      "nor a fade");
  CHECK (r.scene[39] == 0, "scene %d after the flashes", r.scene[39]);
}

static void
make_fade (int i, uint8_t * dst)
{
  view (dst, tex_a, i, 0, i < 10 ? 1.0 : 1.0 - (i - 10) * 0.045);
}

static void
test_fade_is_not_a_cut (void)
{
  EstLookaheadConfig c = config (10);
  Result r;
  int at[8];

  run (&c, 30, make_fade, &r);
  int n = keys (&r, at, 8);
  CHECK (n == 1 && at[0] == 0, "%d key frames in a fade, the second at %d",
      n, n > 1 ? at[1] : -1);
}

/* The same picture with noise of +-1. */
static void
make_still (int i, uint8_t * dst)
{
  view (dst, tex_a, 0, 0, 1.0);
  rng_state = 1000 + (uint64_t) i;
  for (int k = 0; k < W * H; k++)
    dst[k] = (uint8_t) (dst[k] + (int) (rnd () % 3) - 1);
}

static void
make_moving (int i, uint8_t * dst)
{
  view (dst, tex_a, 4 * i, 3 * i, 1.0);
}

static void
test_gop_stretches_on_still_content (void)
{
  EstLookaheadConfig c = config (5);
  Result r;
  int at[16];

  c.key_int = 10;
  c.key_int_max = 40;
  run (&c, 100, make_still, &r);
  int n = keys (&r, at, 16);
  CHECK (n == 3 && at[1] == 40 && at[2] == 80, "still: %d key frames "
      "(%d, %d, ...)", n, n > 1 ? at[1] : -1, n > 2 ? at[2] : -1);
  CHECK (r.still[50], "a still frame not seen as still");
  CHECK (r.key[40] == EST_LOOKAHEAD_KEY_MAX, "key %d at 40", r.key[40]);

  run (&c, 100, make_moving, &r);
  n = keys (&r, at, 16);
  CHECK (n == 10, "moving: %d key frames, wanted one every 10", n);
  for (int i = 0; i < n; i++)
    CHECK (at[i] == 10 * i, "moving: key frame %d at %d", i, at[i]);
  CHECK (!r.still[50], "a moving frame seen as still");
}

static void
make_noise (int i, uint8_t * dst)
{
  rng_state = 5000 + (uint64_t) i;
  for (int k = 0; k < W * H; k++)
    dst[k] = (uint8_t) (16 + rnd () % 220);
}

/* Still content is referenced by every later frame: its quality pays off
 * and the propagation lowers its QP below what spatial AQ alone (aq mode)
 * gives; independent noise frames gain nothing from each other. */
static void
test_propagation (void)
{
  EstLookaheadConfig c = config (20);
  Result still, noise, still_aq, noise_aq;

  run (&c, 30, make_still, &still);
  run (&c, 30, make_noise, &noise);
  c.mode = EST_LOOKAHEAD_MODE_AQ;
  run (&c, 30, make_still, &still_aq);
  run (&c, 30, make_noise, &noise_aq);
  CHECK (still.level[5] < still_aq.level[5] - 3.0f, "still content: %.2f, "
      "%.2f in aq mode", still.level[5], still_aq.level[5]);
  CHECK (fabsf (noise.level[5] - noise_aq.level[5]) < 0.5f, "noise: %.2f, "
      "%.2f in aq mode", noise.level[5], noise_aq.level[5]);
  /* aq mode keeps the frame level in the map and places no key frames. */
  CHECK (still_aq.qp_offset[5] == 0.0f && still_aq.key[0] ==
      EST_LOOKAHEAD_KEY_NONE, "aq mode: frame offset %.2f, key %d",
      still_aq.qp_offset[5], still_aq.key[0]);
}

/* Left half nearly flat mid grey (noise of +-2), right half busy texture;
 * the bottom rows nearly flat and dark. Returns the mean offsets of the
 * three areas. */
static void
spatial (int depth, EstLookaheadAqMode mode, float *flat, float *busy,
    float *dark)
{
  EstLookaheadConfig c = config (0);
  EstLookahead *la;
  EstLookaheadFrame f;
  uint8_t *p8 = malloc (W * H);
  uint16_t *p16 = malloc (W * H * 2);
  double sum[3] = { 0 };
  int count[3] = { 0 };

  c.bit_depth = depth;
  c.aq_mode = mode;
  c.mode = EST_LOOKAHEAD_MODE_AQ;
  view (p8, tex_a, 0, 0, 1.0);
  rng_state = 77;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      int noise = (int) (rnd () % 5) - 2;
      if (y >= H - 64)
        p8[y * W + x] = (uint8_t) (24 + noise);
      else if (x < W / 2)
        p8[y * W + x] = (uint8_t) (128 + noise);
    }
  for (int i = 0; i < W * H; i++)
    p16[i] = (uint16_t) (p8[i] << (depth - 8));
  la = est_lookahead_new (&c);
  CHECK (push (la, depth > 8 ? (const void *) p16 : p8,
          depth > 8 ? W * 2 : W) == 0, "push refused");
  CHECK (est_lookahead_pop (la, 0, &f) == 1, "no lookahead: nothing out");
  CHECK (f.block == 16 && f.map_width == W / 16 && f.map_height == H / 16,
      "map %dx%d of %d", f.map_width, f.map_height, f.block);
  for (int by = 0; by < f.map_height; by++)
    for (int bx = 0; bx < f.map_width; bx++) {
      int area = by * 16 >= H - 64 ? 2 : bx * 16 < W / 2 ? 0 : 1;
      /* Leave out the blocks at the borders between areas. */
      if (bx * 16 == W / 2 - 16 || bx * 16 == W / 2 || (by + 1) * 16 == H - 64)
        continue;
      sum[area] += f.qp_map[by * f.map_width + bx] + f.qp_offset;
      count[area]++;
    }
  *flat = (float) (sum[0] / count[0]);
  *busy = (float) (sum[1] / count[1]);
  *dark = (float) (sum[2] / count[2]);
  est_lookahead_free (la);
  free (p8);
  free (p16);
}

static void
test_texture_and_dark_masking (void)
{
  float flat, busy, dark, flat10, busy10, dark10;

  spatial (8, EST_LOOKAHEAD_AQ_VARIANCE, &flat, &busy, &dark);
  CHECK (busy > flat + 3.0f, "busy %.2f, flat %.2f", busy, flat);
  CHECK (dark < flat - 1.0f, "dark %.2f, flat mid grey %.2f", dark, flat);
  /* 10 and 12-bit input: the same picture gives the same offsets. */
  for (int depth = 10; depth <= 12; depth += 2) {
    spatial (depth, EST_LOOKAHEAD_AQ_VARIANCE, &flat10, &busy10, &dark10);
    CHECK (flat10 == flat && busy10 == busy && dark10 == dark,
        "%d-bit: %.3f %.3f %.3f, 8-bit: %.3f %.3f %.3f", depth, flat10,
        busy10, dark10, flat, busy, dark);
  }
  /* Auto-variance masks texture too, measured against the frame: the
   * offsets change, their order does not. */
  float avflat, avbusy, avdark;
  spatial (8, EST_LOOKAHEAD_AQ_AUTO_VARIANCE, &avflat, &avbusy, &avdark);
  CHECK (avbusy > avflat + 2.0f && avdark < avflat - 1.0f &&
      (avflat != flat || avbusy != busy), "auto-variance: busy %.2f, flat "
      "%.2f, dark %.2f", avbusy, avflat, avdark);
}

/* Mean offset of a nearly flat luma picture with 4:2:0 chroma: flat, or
 * the texture in U and V, planar or interleaved. */
static float
chroma_level (int textured, int interleaved)
{
  EstLookaheadConfig c = config (0);
  const int cw = W / 2, ch = H / 2;
  uint8_t *y = malloc (W * H), *u = malloc (cw * ch), *v = malloc (cw * ch);
  uint8_t *uv = malloc (W * ch);
  EstLookaheadFrame f;
  double sum = 0;

  c.mode = EST_LOOKAHEAD_MODE_AQ;
  c.chroma = interleaved ? EST_LOOKAHEAD_CHROMA_INTERLEAVED :
      EST_LOOKAHEAD_CHROMA_PLANAR;
  c.chroma_shift_x = c.chroma_shift_y = 1;
  rng_state = 99;
  for (int i = 0; i < W * H; i++)
    y[i] = (uint8_t) (128 + (int) (rnd () % 5) - 2);
  for (int j = 0; j < ch; j++)
    for (int i = 0; i < cw; i++) {
      u[j * cw + i] = textured ? tex_a[j * TEX + i] : 128;
      v[j * cw + i] = textured ? tex_b[j * TEX + i] : 128;
      uv[j * W + 2 * i] = u[j * cw + i];
      uv[j * W + 2 * i + 1] = v[j * cw + i];
    }
  EstLookaheadPicture planar = { {y, u, v}, {W, cw, cw} };
  EstLookaheadPicture semi = { {y, uv, NULL}, {W, W, 0} };
  EstLookahead *la = est_lookahead_new (&c);
  CHECK (est_lookahead_push (la, interleaved ? &semi : &planar) == 0,
      "push refused");
  CHECK (est_lookahead_pop (la, 0, &f) == 1, "nothing out");
  for (int b = 0; b < f.map_width * f.map_height; b++)
    sum += f.qp_map[b];
  est_lookahead_free (la);
  free (y);
  free (u);
  free (v);
  free (uv);
  return (float) (sum / (f.map_width * f.map_height));
}

/* x264 counts chroma texture in the AQ energy: a flat luma area with busy
 * colour gets a higher QP than a flat grey one. */
static void
test_chroma_energy (void)
{
  float flat = chroma_level (0, 0), busy = chroma_level (1, 0);
  float busy_semi = chroma_level (1, 1);

  CHECK (busy > flat + 3.0f, "busy chroma %.2f, flat %.2f", busy, flat);
  CHECK (busy_semi == busy, "interleaved %.3f, planar %.3f", busy_semi, busy);
}

/* The overlay tints lower-QP blocks blue-green and higher-QP blocks red,
 * and darkens the block grid on luma; 8-bit planar and 16-bit
 * interleaved (P010) alike. */
static void
test_overlay (void)
{
  const float map[2] = { -8, 8 };
  EstQpOverlay o = { 32, 16, 8, 0, 1, 1, 1, map, 2, 1, 16, 0 };
  uint8_t y[32 * 16], u[16 * 8], v[16 * 8];
  uint16_t y16[32 * 16], uv16[32 * 8];
  void *planes[3] = { y, u, v };
  ptrdiff_t strides[3] = { 32, 16, 16 };

  memset (y, 200, sizeof (y));
  memset (u, 128, sizeof (u));
  memset (v, 128, sizeof (v));
  est_qp_overlay_paint (&o, planes, strides);
  CHECK (y[0] == 100 && y[16] == 100 && y[32 * 5 + 5] == 200 &&
      y[32 * 5 + 16] == 100, "grid: %d %d %d %d", y[0], y[16],
      y[32 * 5 + 5], y[32 * 5 + 16]);
  CHECK (u[3] > 128 && v[3] < 128, "lower QP: u %d v %d", u[3], v[3]);
  CHECK (u[12] < 128 && v[12] > 128, "higher QP: u %d v %d", u[12], v[12]);

  for (int i = 0; i < 32 * 16; i++)
    y16[i] = 200 << 8;
  for (int i = 0; i < 32 * 8; i++)
    uv16[i] = 128 << 8;
  o.depth = 10;
  o.msb = 1;
  o.chroma_step = 2;
  void *p16[3] = { y16, uv16, uv16 + 1 };
  ptrdiff_t s16[3] = { 64, 64, 64 };
  est_qp_overlay_paint (&o, p16, s16);
  CHECK (y16[0] == 100 << 8 && (uv16[2 * 3] >> 8) == u[3] &&
      (uv16[2 * 3 + 1] >> 8) == v[3] && (uv16[2 * 12 + 1] >> 8) == v[12],
      "P010: y %d u %d v %d", y16[0] >> 8, uv16[6] >> 8, uv16[7] >> 8);
}

static void
test_no_lookahead (void)
{
  EstLookaheadConfig c = config (0);
  Result r;
  int at[8];

  run (&c, 40, make_cut, &r);
  int n = keys (&r, at, 8);
  CHECK (n == 2 && at[1] == 20, "no lookahead: %d key frames", n);
}

static void
test_quarter_size_and_reset (void)
{
  EstLookaheadConfig c = config (2);
  EstLookahead *la;
  EstLookaheadFrame f;
  const int w = 2600, h = 1700;
  uint8_t *p = calloc ((size_t) w * h, 1);

  c.width = w;
  c.height = h;
  la = est_lookahead_new (&c);
  CHECK (la != NULL, "2600x1700 refused");
  for (int i = 0; i < 3; i++)
    CHECK (push (la, p, w) == 0, "push %d", i);
  CHECK (push (la, p, w) == -1, "a full lookahead took more");
  CHECK (est_lookahead_pop (la, 0, &f) == 1, "nothing out when full");
  CHECK (f.block == 32 && f.map_width == (w / 4 + 7) / 8 &&
      f.map_height == (h / 4 + 7) / 8, "map %dx%d of %d", f.map_width,
      f.map_height, f.block);
  est_lookahead_reset (la);
  CHECK (est_lookahead_held (la) == 0, "reset kept %d frames",
      est_lookahead_held (la));
  CHECK (push (la, p, w) == 0, "push after reset");
  CHECK (est_lookahead_pop (la, 1, &f) == 1 && f.index == 0 &&
      f.key == EST_LOOKAHEAD_KEY_START, "after reset: frame %d, key %d",
      (int) f.index, f.key);
  est_lookahead_free (la);
  free (p);

  c = config (2);
  c.width = 8;
  CHECK (est_lookahead_new (&c) == NULL, "8 samples wide accepted");
  c = config (-1);
  CHECK (est_lookahead_new (&c) == NULL, "negative lookahead accepted");
  c = config (2);
  c.bit_depth = 17;
  CHECK (est_lookahead_new (&c) == NULL, "17 bits accepted");
}

/* The copies the target-quality probe encodes: the half-size luma of the
 * frames held and of the last one popped; the scene span up to the cut
 * the window shows, or to its end. Target-quality mode places the key
 * frames full mode does. */
static void
test_copies_and_scene_span (void)
{
  EstLookaheadConfig c = config (25);
  EstLookahead *la;
  EstLookaheadFrame f;
  uint8_t *frames = malloc ((size_t) 40 * W * H);
  const uint8_t *plane;
  ptrdiff_t stride;
  int w, h, worst = 0;
  Result r;
  int at[8];

  c.mode = EST_LOOKAHEAD_MODE_TARGET_QUALITY;
  run (&c, 40, make_cut, &r);
  CHECK (keys (&r, at, 8) == 2 && at[1] == 20, "target-quality key frames "
      "differ from full mode's");

  la = est_lookahead_new (&c);
  for (int i = 0; i < 26; i++) {
    make_cut (i, frames + (size_t) i * W * H);
    push (la, frames + (size_t) i * W * H, W);
  }
  CHECK (est_lookahead_get_copy (la, 26, &plane, &stride, &w, &h) == -1,
      "a copy of a frame not pushed");
  CHECK (est_lookahead_pop (la, 0, &f) == 1 && f.index == 0, "no frame 0");
  CHECK (est_lookahead_scene_span (la, 0) == 20, "scene of frame 0: %d "
      "frames, not 20", est_lookahead_scene_span (la, 0));
  CHECK (est_lookahead_scene_span (la, 5) == 15, "span from frame 5: %d",
      est_lookahead_scene_span (la, 5));
  CHECK (est_lookahead_scene_span (la, 20) == 6, "span from frame 20 to the "
      "window's end: %d", est_lookahead_scene_span (la, 20));
  CHECK (est_lookahead_scene_span (la, 26) == 0, "span of a frame not pushed");
  for (int i = 0; i < 26; i += 5) {
    const uint8_t *src = frames + (size_t) i * W * H;
    CHECK (est_lookahead_get_copy (la, i, &plane, &stride, &w, &h) == 0,
        "no copy of frame %d", i);
    CHECK (w == W / 2 && h == H / 2 && stride >= w, "copy %dx%d, stride %d",
        w, h, (int) stride);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        const uint8_t *s = src + (size_t) 2 * y * W + 2 * x;
        int mean = (s[0] + s[1] + s[W] + s[W + 1] + 2) / 4;
        int d = abs (plane[y * stride + x] - mean);
        worst = d > worst ? d : worst;
      }
  }
  CHECK (worst <= 1, "the copy is not the half-size frame: off by %d", worst);
  while (est_lookahead_pop (la, 1, &f));
  for (int i = 26; i < 40; i++) {
    make_cut (i, frames + (size_t) i * W * H);
    push (la, frames + (size_t) i * W * H, W);
  }
  CHECK (est_lookahead_get_copy (la, 0, &plane, &stride, &w, &h) == -1,
      "a copy of a frame long gone");
  CHECK (est_lookahead_get_copy (la, 39, &plane, &stride, &w, &h) == 0,
      "no copy of the newest frame");
  est_lookahead_free (la);
  free (frames);
}

int
main (void)
{
  tex_a = texture (1);
  tex_b = texture (2);

  test_cut ();
  test_flash_is_not_a_cut ();
  test_fade_is_not_a_cut ();
  test_gop_stretches_on_still_content ();
  test_propagation ();
  test_texture_and_dark_masking ();
  test_chroma_energy ();
  test_overlay ();
  test_no_lookahead ();
  test_quarter_size_and_reset ();
  test_copies_and_scene_span ();

  free (tex_a);
  free (tex_b);
  if (failures)
    printf ("%d check(s) failed\n", failures);
  else
    printf ("all checks passed\n");
  return failures ? 1 : 0;
}
