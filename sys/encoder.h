/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_ENCODER_H
#define EST_ENCODER_H

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* The encode interface of the device layer: one session per stream.
 *
 *   est_encoder_new (config, &error)        open a backend with a configuration
 *   loop:
 *     est_encoder_encode (enc, frame, id, pts, params, &error)
 *     while (est_encoder_receive (enc, &packet)) ... push packet ...
 *   est_encoder_reconfigure (enc, config, &error)   bitrate, quality in PLAYING
 *   est_encoder_drain (enc, &error)         end of stream: flush every frame
 *     while (est_encoder_receive (enc, &packet)) ...
 *   est_encoder_free (enc)
 *
 * A backend never blocks on output: encode queues the picture, receive
 * returns what is ready. Errors are GErrors in EST_ENCODER_ERROR with a
 * message a user can act on ("x265 cannot ... : use ..."). Not thread-safe:
 * one thread drives a session. */

#define EST_ENCODER_ERROR (est_encoder_error_quark ())
GQuark est_encoder_error_quark (void);

typedef enum
{
  EST_ENCODER_ERROR_UNSUPPORTED,        /* the backend cannot do what was asked */
  EST_ENCODER_ERROR_INVALID,    /* a value out of range or inconsistent */
  EST_ENCODER_ERROR_FAILED,     /* the library failed */
} EstEncoderError;

typedef enum
{
  EST_CODEC_H264,
  EST_CODEC_H265,
  EST_CODEC_AV1,
} EstCodec;

/* "H.264", "H.265" or "AV1". */
const gchar *est_codec_name (EstCodec codec);

typedef enum
{
  EST_RATE_CONTROL_CQP,         /* constant QP: qp */
  EST_RATE_CONTROL_CBR,         /* bitrate, VBV of vbv_buf_capacity ms */
  EST_RATE_CONTROL_VBR,         /* bitrate average, max_bitrate peak (VBV) */
  EST_RATE_CONTROL_CRF,         /* constant quality: crf */
  EST_RATE_CONTROL_CAPPED_CRF,  /* crf, capped by max_bitrate (VBV) */
} EstRateControl;

/* x264's preset names; each backend maps them to its own presets (see
 * docs/elements/estenc.md). */
typedef enum
{
  EST_SPEED_ULTRAFAST,
  EST_SPEED_SUPERFAST,
  EST_SPEED_VERYFAST,
  EST_SPEED_FASTER,
  EST_SPEED_FAST,
  EST_SPEED_MEDIUM,
  EST_SPEED_SLOW,
  EST_SPEED_SLOWER,
  EST_SPEED_VERYSLOW,
} EstSpeedPreset;

typedef enum
{
  EST_TUNE_ZEROLATENCY = 1 << 0,        /* one frame in, one out: no B-frames, no lookahead */
  EST_TUNE_FASTDECODE = 1 << 1,
  EST_TUNE_STILLIMAGE = 1 << 2,
} EstTune;

/* Psychovisual tunings; they exclude each other. */
typedef enum
{
  EST_PSY_TUNE_NONE,
  EST_PSY_TUNE_FILM,
  EST_PSY_TUNE_ANIMATION,
  EST_PSY_TUNE_GRAIN,
  EST_PSY_TUNE_PSNR,
  EST_PSY_TUNE_SSIM,
} EstPsyTune;

typedef struct EstEncoderConfig
{
  EstCodec codec;

  /* Input: format (I420, NV12, I420_10LE, P010_10LE, Y444, Y444_10LE where
   * the codec has a profile for it), size, framerate, pixel aspect ratio,
   * colorimetry (written into the VUI or sequence header). */
  GstVideoInfo info;
  /* Static HDR metadata, written as SEI (H.264, H.265) or metadata OBUs
   * (AV1) when set. */
  gboolean have_mastering_display;
  GstVideoMasteringDisplayInfo mastering_display;
  gboolean have_content_light_level;
  GstVideoContentLightLevel content_light_level;

  /* Output: Annex B start codes (byte-stream; AV1: ignored, always a low
   * overhead OBU stream) or length-prefixed NAL units with the parameter
   * sets in est_encoder_get_codec_data (); repeat_headers puts them in-band
   * before every key frame as well. */
  gboolean annexb;
  gboolean repeat_headers;
  /* Profile name as in caps ("high", "high-10", "main-10", "main"), NULL
   * for the default of the input format. */
  const gchar *profile;

  EstRateControl rate_control;
  guint bitrate;                /* kbit/s, CBR and VBR */
  guint max_bitrate;            /* kbit/s, VBR and capped CRF; 0 = bitrate */
  guint vbv_buf_capacity;       /* ms of max_bitrate (CBR: bitrate); 0 = the
                                 * library's default (x264, x265: 1000) */
  gint qp;                      /* CQP, 0..51 (AV1: 0..63) */
  gdouble crf;                  /* CRF, 0..51 (AV1: 0..63) */
  gint min_qp, max_qp;          /* -1 = library default */
  guint key_int_max;            /* frames between key frames; 0 = library default */
  gint b_frames;                /* -1 = library default */
  gint ref_frames;              /* -1 = library default */
  EstSpeedPreset speed_preset;
  guint tune;                   /* EstTune flags */
  EstPsyTune psy_tune;
  gboolean intra_refresh;       /* periodic intra refresh instead of key frames */
  /* An analysis upstream (estlookahead) places the key frames: the
   * library's scene-cut detection is off, key frames come where asked and
   * at key_int_max. */
  gboolean external_keyframes;
  /* It sends QP offsets: the library's own adaptive quantisation and
   * temporal propagation (macroblock-tree, cu-tree) are off. */
  gboolean external_offsets;
  guint threads;                /* 0 = library default (all cores) */
  const gchar *option_string;   /* "key=value:key=value" for the library, or NULL */
} EstEncoderConfig;

/* A rectangle (luma samples) whose quantiser moves by delta_qp (negative:
 * better quality). */
typedef struct EstRoi
{
  gint x, y, width, height;
  gint delta_qp;
} EstRoi;

/* Per-frame parameters; zero-initialised means "nothing special". */
typedef struct EstEncodeParams
{
  gboolean force_keyframe;      /* an IDR / key frame */
  /* A key frame advised (estlookahead): made where the library can force
   * one, else left to the library. */
  gboolean keyframe_hint;
  gint qp;                      /* absolute frame QP; 0 = rate control decides */
  gfloat qp_offset;             /* added to the frame QP the rate control picks */
  /* Per-block QP offsets, row-major, map_width x map_height blocks of
   * map_block x map_block luma samples; NULL for none. Not owned. */
  const gfloat *qp_map;
  guint map_block, map_width, map_height;
  const EstRoi *rois;           /* n_rois rectangles, not owned */
  guint n_rois;
} EstEncodeParams;

typedef struct EstPacket
{
  GstBuffer *buffer;            /* owned by the caller of receive */
  guint64 frame_id;             /* as passed to est_encoder_encode () */
  GstClockTime pts;             /* as passed to est_encoder_encode () */
  GstClockTime dts;             /* decode time: <= pts, increasing */
  gboolean keyframe;            /* a random access point (IDR, key frame) */
} EstPacket;

typedef struct EstEncoder EstEncoder;

/* Whether a backend for this codec was built. */
gboolean est_encoder_codec_available (EstCodec codec);

/* Opens a CPU encoder for config (copied). NULL with error set when the
 * backend is missing or refuses the configuration. */
EstEncoder *est_encoder_new (const EstEncoderConfig * config,
    GError ** error);

/* Queues one picture. frame is mapped and matches config->info; it is read
 * before the call returns. */
gboolean est_encoder_encode (EstEncoder * enc, const GstVideoFrame * frame,
    guint64 frame_id, GstClockTime pts, const EstEncodeParams * params,
    GError ** error);

/* Takes the next packet in decode order. FALSE when none is ready. */
gboolean est_encoder_receive (EstEncoder * enc, EstPacket * packet);

/* Flushes every queued picture into packets (then call receive until FALSE).
 * The session ends here: to encode more, free it and open a new one. */
gboolean est_encoder_drain (EstEncoder * enc, GError ** error);

/* Applies new rate-control values (bitrate, max_bitrate, qp, crf) from
 * config while running; other fields must equal the open configuration.
 * FALSE with EST_ENCODER_ERROR_UNSUPPORTED where the library cannot. */
gboolean est_encoder_reconfigure (EstEncoder * enc,
    const EstEncoderConfig * config, GError ** error);

/* Parameter sets for length-prefixed output: the avcC, hvcC or av1C record
 * (ISO/IEC 14496-15, AV1-ISOBMFF). NULL when not applicable. Owned by the
 * caller. */
GstBuffer *est_encoder_get_codec_data (EstEncoder * enc);

/* Frames the encoder holds before the first packet comes out (lookahead,
 * B-frames, frame threads), for latency reporting. */
guint est_encoder_get_delay (EstEncoder * enc);

/* Name of the backend ("x264", "x265", "svt-av1") for logs. */
const gchar *est_encoder_get_name (EstEncoder * enc);

void est_encoder_free (EstEncoder * enc);

G_END_DECLS

#endif
