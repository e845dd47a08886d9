/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef GST_EST_LOOKAHEAD_H
#define GST_EST_LOOKAHEAD_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_EST_LOOKAHEAD (gst_est_lookahead_get_type ())
G_DECLARE_FINAL_TYPE (GstEstLookahead, gst_est_lookahead, GST,
    EST_LOOKAHEAD, GstElement);

GST_ELEMENT_REGISTER_DECLARE (estlookahead);

/* The custom query an encoder sends upstream when it opens: answered by
 * estlookahead with the structure fields "key-frames" (boolean: it places
 * key frames, turn scene-cut detection off) and "offsets" (boolean: it
 * sends QP offsets, turn adaptive quantisation and macroblock-tree off).
 * The encoder may put "speed-preset" (int, an EstSpeedPreset of
 * sys/encoder.h) in the query: the target-quality probes then encode with
 * the same preset. */
#define GST_EST_LOOKAHEAD_QUERY "estlookahead"

G_END_DECLS

#endif
