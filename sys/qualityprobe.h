/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_QUALITY_PROBE_H
#define EST_QUALITY_PROBE_H

#include <gst/gst.h>

#include "encoder.h"

G_BEGIN_DECLS

/* Probe encodes for target-quality rate control: how good a few small
 * 8-bit luma pictures (estlookahead's downscaled copies) come out of the
 * CPU H.264 encoder at a given CRF.
 *
 *   luma copies --> I420 (chroma flat 128) --> x264 crf, the encoder's
 *     speed preset, zerolatency, one thread --> libavcodec H.264 --> MS-SSIM of luma
 *     against the copies (common/quality) --> -10 log10 (1 - mean)
 *
 * Each measure opens and drains its own encoder and decoder session, so
 * every call starts with a key frame like the scene it stands for. */

typedef struct EstQualityProbe EstQualityProbe;

/* Whether the probe can run: x264 and an H.264 decoder were built. */
gboolean est_quality_probe_available (void);

/* A probe for pictures of width x height (at least 16 x 16; an odd size
 * loses its last column or row), encoding with the x264 speed preset of
 * the encoder it stands for. NULL with error set when no encoder or
 * decoder is built. */
EstQualityProbe *est_quality_probe_new (gint width, gint height,
    EstSpeedPreset preset, GError ** error);

/* Encodes n pictures (planes[i]: width x height 8-bit samples, rows stride
 * bytes apart; not owned, read before the call returns) at crf (0..51),
 * qp_offset (QP steps, as GstEstRcMeta's frame offset) added on every
 * picture, and returns the MS-SSIM of luma in dB of the decoded pictures: -10
 * log10 (1 - mean of the per-picture MS-SSIM). -1 with error set on
 * failure. */
gdouble est_quality_probe_measure (EstQualityProbe * probe,
    const guint8 * const *planes, gsize stride, guint n, gdouble crf,
    gfloat qp_offset, GError ** error);

/* CRF range the search keeps to. */
#define EST_QUALITY_PROBE_MIN_CRF 10.0
#define EST_QUALITY_PROBE_MAX_CRF 51.0

/* The CRF (EST_QUALITY_PROBE_MIN_CRF..MAX_CRF, 0.01 steps) at which the
 * full-size frames the n copies stand for should reach target_db, an
 * MS-SSIM of luma in dB, when coded by the H.264 encoder after
 * estlookahead, which adds its frame offsets (about qp_offset, which the
 * probes add too): three probes (the first at start_crf), a secant search on
 * the copy for the target mapped by the calibration in qualityprobe.c,
 * then interpolation between the two probes nearest the target. -1 with
 * error set when a probe fails. */
gdouble est_quality_probe_find_crf (EstQualityProbe * probe,
    const guint8 * const *planes, gsize stride, guint n, gdouble target_db,
    gdouble start_crf, gfloat qp_offset, GError ** error);

void est_quality_probe_free (EstQualityProbe * probe);

G_END_DECLS

#endif
