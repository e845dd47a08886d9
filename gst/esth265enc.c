/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/**
 * SECTION:element-esth265enc
 * @title: esth265enc
 * @short_description: H.265 / HEVC encoder on an accelerator or the CPU
 *
 * Encodes raw video to HEVC. On the CPU it runs x265 (8 and 10 bit, 4:2:0
 * and 4:4:4) with the property vocabulary of every Estuary encoder (see
 * docs/elements/estenc.md). Force-key-unit events give IDR frames;
 * region-of-interest metas with a `delta-qp` move the quantiser of their
 * region; `mastering-display-info` and `content-light-level` caps become
 * SEI. x265 has no `film` psychovisual tuning and no `stillimage` tune:
 * asking for them is an error.
 *
 * Output is `byte-stream`, `hvc1` (parameter sets in `codec_data` only) or
 * `hev1` (in `codec_data` and in-band), as downstream prefers.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=300 ! \
 *     video/x-raw,format=I420_10LE ! esth265enc crf=24 ! h265parse ! \
 *     matroskamux ! filesink location=out.mkv
 * ]| Main 10 at constant quality.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "esth265enc.h"

struct _GstEstH265Enc
{
  GstEstEnc parent;
};

#define SINK_CAPS GST_VIDEO_CAPS_MAKE ("{ I420, NV12, I420_10LE, P010_10LE, " \
    "Y444, Y444_10LE }")
#define SRC_CAPS "video/x-h265, stream-format = (string) { byte-stream, " \
    "hvc1, hev1 }, alignment = (string) au, profile = (string) { main, " \
    "main-10, main-444, main-444-10 }"

static GstStaticPadTemplate sink_templ = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (SINK_CAPS));

static GstStaticPadTemplate src_templ = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (SRC_CAPS));

static const GstEstEncStreamFormat stream_formats[] = {
  {"byte-stream", TRUE, TRUE},
  {"hvc1", FALSE, FALSE},
  {"hev1", FALSE, TRUE},
  {NULL}
};

G_DEFINE_TYPE (GstEstH265Enc, gst_est_h265_enc, GST_TYPE_EST_ENC);
GST_ELEMENT_REGISTER_DEFINE (esth265enc, "esth265enc", GST_RANK_SECONDARY,
    GST_TYPE_EST_H265_ENC);

static void
gst_est_h265_enc_init (GstEstH265Enc * self)
{
}

static void
gst_est_h265_enc_class_init (GstEstH265EncClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstEstEncClass *enc_class = GST_EST_ENC_CLASS (klass);

  enc_class->codec = EST_CODEC_H265;
  enc_class->media_type = "video/x-h265";
  enc_class->alignment = "au";
  enc_class->stream_formats = stream_formats;
  enc_class->default_qp = 28;
  enc_class->default_crf = 28;

  gst_element_class_set_static_metadata (element_class,
      "Estuary H.265 encoder", "Codec/Encoder/Video/Hardware",
      "Encodes HEVC on an accelerator or the CPU (x265)",
      "Estuary contributors");
  gst_element_class_add_static_pad_template (element_class, &sink_templ);
  gst_element_class_add_static_pad_template (element_class, &src_templ);
}
