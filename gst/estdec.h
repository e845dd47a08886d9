/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef GST_EST_DEC_H
#define GST_EST_DEC_H

#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_TYPE_EST_DEC (gst_est_dec_get_type ())
G_DECLARE_FINAL_TYPE (GstEstDec, gst_est_dec, GST, EST_DEC, GstVideoDecoder);

GST_ELEMENT_REGISTER_DECLARE (estdec);

G_END_DECLS

#endif
