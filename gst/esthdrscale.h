/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef GST_EST_HDR_SCALE_H
#define GST_EST_HDR_SCALE_H

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_EST_HDR_SCALE (gst_est_hdr_scale_get_type ())
G_DECLARE_FINAL_TYPE (GstEstHdrScale, gst_est_hdr_scale, GST, EST_HDR_SCALE,
    GstVideoFilter);

GST_ELEMENT_REGISTER_DECLARE (esthdrscale);

G_END_DECLS

#endif
