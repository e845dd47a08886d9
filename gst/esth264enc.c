/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/**
 * SECTION:element-esth264enc
 * @title: esth264enc
 * @short_description: H.264 encoder on an accelerator or the CPU
 *
 * Encodes raw video to H.264. On the CPU it runs x264 (8 and 10 bit, 4:2:0
 * and 4:4:4); the properties are those of every Estuary encoder (see
 * docs/elements/estenc.md): rate control, presets, tunings, key frames,
 * B-frames, intra refresh, and rate-control changes while playing.
 * Force-key-unit events give IDR frames; region-of-interest metas with a
 * `delta-qp` in a `roi/...` parameter structure move the quantiser of their
 * region. Static HDR metadata in the caps (`mastering-display-info`,
 * `content-light-level`) is written as SEI.
 *
 * Output is `byte-stream` (Annex B, parameter sets before every IDR) or
 * `avc` (length-prefixed, parameter sets in `codec_data`), as downstream
 * prefers; the profile follows downstream caps or the input (High, High 10,
 * High 4:4:4).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=300 ! esth264enc bitrate=2000 \
 *     rate-control=cbr ! h264parse ! mp4mux ! filesink location=out.mp4
 * ]| Constant bitrate into MP4.
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! esth264enc tune=zerolatency \
 *     intra-refresh=true rate-control=cbr bitrate=4000 ! fakesink
 * ]| Cloud gaming: one frame of latency, no periodic key frames.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "esth264enc.h"

struct _GstEstH264Enc
{
  GstEstEnc parent;
};

#define SINK_CAPS GST_VIDEO_CAPS_MAKE ("{ I420, NV12, I420_10LE, P010_10LE, " \
    "Y444, Y444_10LE }")
#define SRC_CAPS "video/x-h264, stream-format = (string) { byte-stream, " \
    "avc }, alignment = (string) au, profile = (string) { high, main, " \
    "constrained-baseline, baseline, high-10, high-4:4:4 }"

static GstStaticPadTemplate sink_templ = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (SINK_CAPS));

static GstStaticPadTemplate src_templ = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (SRC_CAPS));

static const GstEstEncStreamFormat stream_formats[] = {
  {"byte-stream", TRUE, TRUE},
  {"avc", FALSE, FALSE},
  {NULL}
};

G_DEFINE_TYPE (GstEstH264Enc, gst_est_h264_enc, GST_TYPE_EST_ENC);
GST_ELEMENT_REGISTER_DEFINE (esth264enc, "esth264enc", GST_RANK_SECONDARY,
    GST_TYPE_EST_H264_ENC);

static void
gst_est_h264_enc_init (GstEstH264Enc * self)
{
}

static void
gst_est_h264_enc_class_init (GstEstH264EncClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstEstEncClass *enc_class = GST_EST_ENC_CLASS (klass);

  enc_class->codec = EST_CODEC_H264;
  enc_class->media_type = "video/x-h264";
  enc_class->alignment = "au";
  enc_class->stream_formats = stream_formats;
  enc_class->default_qp = 23;
  enc_class->default_crf = 23;

  gst_element_class_set_static_metadata (element_class,
      "Estuary H.264 encoder", "Codec/Encoder/Video/Hardware",
      "Encodes H.264 on an accelerator or the CPU (x264)",
      "Estuary contributors");
  gst_element_class_add_static_pad_template (element_class, &sink_templ);
  gst_element_class_add_static_pad_template (element_class, &src_templ);
}
