/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_LOOKAHEAD_H
#define EST_LOOKAHEAD_H

#include <stddef.h>
#include <stdint.h>

/* Content analysis for rate control, on a downscaled luma copy of each
 * frame (half size; quarter from 2560x1600 up), in 8 x 8 blocks of that
 * copy (16 x 16 or 32 x 32 luma samples of the frame).
 *
 *   push (frame n)                 downscale; per block: variance, mean,
 *                                  intra cost (SATD against DC, H, V),
 *                                  inter cost (SATD after a motion search
 *                                  against frame n - 1); per frame: scene
 *                                  cut candidate, flash, fade, static
 *   pop (frame n - lookahead)      scene cut / key frame decision; QP
 *                                  offsets: temporal propagation over the
 *                                  frames held (macroblock-tree), spatial
 *                                  AQ (texture, brightness)
 *
 * Frames come out in the order they went in, each once `lookahead` newer
 * frames have been pushed (0: at once), or when flushing. */

typedef enum
{
  EST_LOOKAHEAD_MODE_AQ,        /* per-block spatial offsets only */
  EST_LOOKAHEAD_MODE_FULL,      /* + propagation, frame offsets, key frames */
  /* As full; the caller also chooses a quality per scene from probe
   * encodes of the copies (est_lookahead_get_copy). */
  EST_LOOKAHEAD_MODE_TARGET_QUALITY,
} EstLookaheadMode;

typedef enum
{
  EST_LOOKAHEAD_KEY_NONE,
  EST_LOOKAHEAD_KEY_START,      /* first frame */
  EST_LOOKAHEAD_KEY_CUT,        /* a scene cut */
  EST_LOOKAHEAD_KEY_INTERVAL,   /* key_int reached in moving content */
  EST_LOOKAHEAD_KEY_MAX,        /* key_int_max reached */
} EstLookaheadKey;

typedef enum
{
  EST_LOOKAHEAD_CHROMA_NONE,    /* luma only (GRAY8, or chroma left out) */
  EST_LOOKAHEAD_CHROMA_PLANAR,  /* plane[1] and plane[2] */
  EST_LOOKAHEAD_CHROMA_INTERLEAVED,     /* plane[1] holds UV pairs (NV12, P010) */
} EstLookaheadChroma;

typedef enum
{
  EST_LOOKAHEAD_AQ_VARIANCE,    /* x264's aq-mode 1 */
  EST_LOOKAHEAD_AQ_AUTO_VARIANCE,       /* x264's aq-mode 2: relative to the frame */
} EstLookaheadAqMode;

typedef struct EstLookaheadConfig
{
  int width, height;            /* luma samples */
  int bit_depth;                /* 8: uint8_t samples; 9..16: uint16_t */
  /* Chroma, read for the AQ energy only: layout and subsampling (4:2:0:
   * shifts 1, 1). */
  EstLookaheadChroma chroma;
  int chroma_shift_x, chroma_shift_y;
  int lookahead;                /* frames held before a decision */
  EstLookaheadMode mode;
  EstLookaheadAqMode aq_mode;
  double aq_strength;           /* texture masking, 1.0 nominal */
  double dark_strength;         /* more bits for dark blocks, 1.0 nominal */
  double propagation_strength;  /* macroblock-tree, 1.0 nominal */
  int key_int;                  /* a key frame at least this often in moving content; 0 = no */
  int key_int_max;              /* and always this often; 0 = no */
  unsigned cpu_flags;           /* for the kernels: est_cpu_flags () */
} EstLookaheadConfig;

/* What the analysis decided for one frame. */
typedef struct EstLookaheadFrame
{
  int64_t index;                /* 0, 1, ... in push order since reset */
  EstLookaheadKey key;          /* a key frame is wanted, and why */
  int scene;                    /* scene number, from 0; increases at each cut */
  int flash, fade, still;       /* detected on this frame */
  float qp_offset;              /* frame level: mean of the block offsets */
  /* Block offsets minus qp_offset, map_width x map_height, row-major, of
   * block x block luma samples. Valid until the next pop or reset. */
  const float *qp_map;
  int map_width, map_height, block;
  /* Complexity, per sample of the downscaled copy: intra cost, inter cost
   * (each block's best of inter and intra), mean block variance. */
  double intra_cost, inter_cost, variance;
} EstLookaheadFrame;

/* One frame's planes (bit_depth as configured, strides in bytes): Y, then
 * as chroma says U and V, or UV. */
typedef struct EstLookaheadPicture
{
  const void *plane[3];
  ptrdiff_t stride[3];
} EstLookaheadPicture;

typedef struct EstLookahead EstLookahead;

/* NULL when the configuration is invalid (size < 16 x 16, depth, negative
 * values). */
EstLookahead *est_lookahead_new (const EstLookaheadConfig * config);

/* Analyses one frame. Returns 0, or -1 when the lookahead is full (pop
 * first). */
int est_lookahead_push (EstLookahead * la, const EstLookaheadPicture * pic);

/* The decisions for the oldest frame held, when lookahead newer frames
 * follow it or flush is set. Returns 1 with *out filled, 0 when none is
 * ready. */
int est_lookahead_pop (EstLookahead * la, int flush, EstLookaheadFrame * out);

/* The downscaled 8-bit luma copy of frame index (as in EstLookaheadFrame):
 * a frame held or the last one popped. *width x *height samples (the copy's
 * size: half the frame's, quarter from 2560x1600), rows *stride bytes
 * apart. Valid until the next push or reset. Returns 0, or -1 when the
 * frame is no longer (or not yet) held. */
int est_lookahead_get_copy (const EstLookahead * la, int64_t index,
    const uint8_t ** plane, ptrdiff_t * stride, int *width, int *height);

/* How many frames from index (the last one popped, or one held) belong to
 * its scene as far as the window shows: index itself and the frames held
 * after it up to the next scene cut (exclusive) or the newest frame held.
 * The cut threshold is taken as at the last key frame decided. Returns 0
 * when index is not available. */
int est_lookahead_scene_span (const EstLookahead * la, int64_t index);

/* Frames pushed and not yet popped. */
int est_lookahead_held (const EstLookahead * la);

/* Forgets every frame: the next one pushed starts a new stream (index 0, a
 * key frame). */
void est_lookahead_reset (EstLookahead * la);

void est_lookahead_free (EstLookahead * la);

#endif
