/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/**
 * SECTION:element-estav1enc
 * @title: estav1enc
 * @short_description: AV1 encoder on an accelerator or the CPU
 *
 * Encodes raw video to AV1. On the CPU it runs SVT-AV1 1.4 (8 and 10 bit,
 * 4:2:0, frames of at least 64x64) with the property vocabulary of every
 * Estuary encoder (see docs/elements/estenc.md). SVT-AV1 1.4 cannot change
 * the bitrate while encoding (a change in PLAYING is refused with a
 * warning), has no per-block QP offsets (region-of-interest metas are an
 * error), and honours forced key frames only in crf and cqp modes; its
 * limits are listed in the documentation.
 *
 * Output is a low-overhead OBU stream, one temporal unit per buffer, with
 * the sequence header as `codec_data` (av1C).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=300 ! estav1enc crf=35 \
 *     speed-preset=faster ! av1parse ! matroskamux ! filesink location=out.mkv
 * ]| Constant quality AV1 in Matroska.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "estav1enc.h"

struct _GstEstAV1Enc
{
  GstEstEnc parent;
};

#define SRC_CAPS "video/x-av1, stream-format = (string) obu-stream, " \
    "alignment = (string) tu, profile = (string) main"

/* SVT-AV1 1.4 takes frames of 64x64 and more. */
#define SINK_CAPS "video/x-raw, format = (string) { I420, NV12, I420_10LE, " \
    "P010_10LE }, width = (int) [ 64, 16384 ], height = (int) [ 64, 8704 ], " \
    "framerate = (fraction) [ 0/1, max ]"

static GstStaticPadTemplate sink_templ = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (SINK_CAPS));

static GstStaticPadTemplate src_templ = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (SRC_CAPS));

static const GstEstEncStreamFormat stream_formats[] = {
  {"obu-stream", TRUE, TRUE},
  {NULL}
};

G_DEFINE_TYPE (GstEstAV1Enc, gst_est_av1_enc, GST_TYPE_EST_ENC);
GST_ELEMENT_REGISTER_DEFINE (estav1enc, "estav1enc", GST_RANK_SECONDARY,
    GST_TYPE_EST_AV1_ENC);

static void
gst_est_av1_enc_init (GstEstAV1Enc * self)
{
}

static void
gst_est_av1_enc_class_init (GstEstAV1EncClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstEstEncClass *enc_class = GST_EST_ENC_CLASS (klass);

  enc_class->codec = EST_CODEC_AV1;
  enc_class->media_type = "video/x-av1";
  enc_class->alignment = "tu";
  enc_class->stream_formats = stream_formats;
  enc_class->default_qp = 35;
  enc_class->default_crf = 35;

  gst_element_class_set_static_metadata (element_class,
      "Estuary AV1 encoder", "Codec/Encoder/Video/Hardware",
      "Encodes AV1 on an accelerator or the CPU (SVT-AV1)",
      "Estuary contributors");
  gst_element_class_add_static_pad_template (element_class, &sink_templ);
  gst_element_class_add_static_pad_template (element_class, &src_templ);
}
