/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef GST_EST_RC_META_H
#define GST_EST_RC_META_H

#include <gst/gst.h>

G_BEGIN_DECLS

/* Rate-control advice for one frame, from estlookahead to the encoders:
 * a frame-type hint, a frame-level QP offset, a per-block QP-offset map,
 * and the complexity behind them. Offsets are in QP steps of H.264 / HEVC
 * (AV1 encoders scale them); negative means better quality. */

#define GST_EST_RC_META_API_TYPE (gst_est_rc_meta_api_get_type ())
#define GST_EST_RC_META_INFO (gst_est_rc_meta_get_info ())

typedef enum
{
  GST_EST_RC_FRAME_TYPE_AUTO,   /* the encoder decides */
  GST_EST_RC_FRAME_TYPE_IDR,    /* a key frame (a scene cut, an interval) */
} GstEstRcFrameType;

typedef struct
{
  GstMeta meta;

  GstEstRcFrameType frame_type;
  gfloat qp_offset;             /* added to the QP the rate control picks */
  /* Added to qp_offset per block: map_width x map_height, row-major, of
   * block_size x block_size luma samples from the top left. Owned. */
  gfloat *qp_map;
  guint map_width, map_height, block_size;

  /* Complexity per sample of the analysis copy: intra and inter SATD and
   * block variance. */
  gdouble intra_cost, inter_cost, variance;
  guint scene;                  /* scene number from the stream start */
  /* target-quality mode: the encoder's quality setting (CRF) chosen for
   * the scene; < 0 otherwise. */
  gdouble quality;
} GstEstRcMeta;

GType gst_est_rc_meta_api_get_type (void);
const GstMetaInfo *gst_est_rc_meta_get_info (void);

/* Adds a meta with a zeroed map of the given size (0 x 0: no map). */
GstEstRcMeta *gst_buffer_add_est_rc_meta (GstBuffer * buffer,
    guint map_width, guint map_height, guint block_size);

#define gst_buffer_get_est_rc_meta(b) \
    ((GstEstRcMeta *) gst_buffer_get_meta ((b), GST_EST_RC_META_API_TYPE))

G_END_DECLS

#endif
