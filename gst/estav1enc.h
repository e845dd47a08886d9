/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef GST_EST_AV1_ENC_H
#define GST_EST_AV1_ENC_H

#include "estenc.h"

G_BEGIN_DECLS

#define GST_TYPE_EST_AV1_ENC (gst_est_av1_enc_get_type ())
G_DECLARE_FINAL_TYPE (GstEstAV1Enc, gst_est_av1_enc, GST, EST_AV1_ENC, GstEstEnc);

GST_ELEMENT_REGISTER_DECLARE (estav1enc);

G_END_DECLS

#endif
