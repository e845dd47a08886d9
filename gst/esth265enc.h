/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef GST_EST_H265_ENC_H
#define GST_EST_H265_ENC_H

#include "estenc.h"

G_BEGIN_DECLS

#define GST_TYPE_EST_H265_ENC (gst_est_h265_enc_get_type ())
G_DECLARE_FINAL_TYPE (GstEstH265Enc, gst_est_h265_enc, GST, EST_H265_ENC, GstEstEnc);

GST_ELEMENT_REGISTER_DECLARE (esth265enc);

G_END_DECLS

#endif
