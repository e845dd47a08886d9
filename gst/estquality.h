/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef GST_EST_QUALITY_H
#define GST_EST_QUALITY_H

#include <gst/base/gstaggregator.h>

G_BEGIN_DECLS

#define GST_TYPE_EST_QUALITY (gst_est_quality_get_type ())
G_DECLARE_FINAL_TYPE (GstEstQuality, gst_est_quality, GST, EST_QUALITY,
    GstAggregator);

GST_ELEMENT_REGISTER_DECLARE (estquality);

G_END_DECLS

#endif
