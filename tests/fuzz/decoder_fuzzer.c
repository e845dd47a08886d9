/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* libFuzzer target for the decode interface of the device layer
 * (sys/decoder.h), one codec per executable (FUZZ_CODEC = EST_CODEC_H264,
 * EST_CODEC_H265 or EST_CODEC_AV1 at build time). It drives a session the
 * way estdec does:
 *
 *   est_decoder_new -> (decode -> receive*)* -> drain -> receive* -> free
 *
 * Input format, chosen so that the fuzzer controls packet boundaries and
 * tests/fuzz/make-corpus.sh can turn real streams into seeds:
 *
 *   flags      1 byte: bit 0 codec_data follows (avcC / hvcC; the AV1
 *              backend ignores it), bit 1 low_latency
 *   codec_data u16 little-endian size, then that many bytes (bit 0 only)
 *   packets    repeated: u16 little-endian size, then that many bytes
 *              (fewer when the input ends first). Size 0 drains the
 *              session, size 0xffff flushes it (no payload either way);
 *              the session goes on after both, as after EOS and a seek.
 *
 * A packet is one access unit / temporal unit as h264parse, h265parse
 * (byte-stream or length-prefixed, matching codec_data) and av1parse
 * (obu-stream) deliver it.
 *
 * Every frame that comes out is checked as estdec uses it: a buffer with a
 * GstVideoMeta of the frame's format, at least its size, whose planes lie
 * inside the buffer; the first and last byte of every row range is read so
 * that AddressSanitizer sees a freed or short buffer. A broken promise
 * aborts (libFuzzer reports it as a crash). */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <libavutil/log.h>

#include "decoder.h"

#ifndef FUZZ_CODEC
#error "build with -DFUZZ_CODEC=EST_CODEC_H264 (or _H265, _AV1)"
#endif

#define FLAG_CODEC_DATA 0x01
#define FLAG_LOW_LATENCY 0x02
#define RECORD_DRAIN 0x0000
#define RECORD_FLUSH 0xffff

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

/* Keeps the reads of frame bytes from being optimised away. */
static volatile guint8 sink;

/* libavcodec and dav1d are not instrumented: libFuzzer sees Estuary's
 * edges only. These counters, in the section libFuzzer reads as extra
 * coverage, tell it about outcomes inside the library too: packets
 * accepted or rejected, and the format, size class, colour and flags of
 * every frame. */
enum
{
  NOTE_PACKET_OK = 0,
  NOTE_PACKET_REJECTED,
  NOTE_KEYFRAME,
  NOTE_CORRUPT,
  NOTE_MASTERING_DISPLAY,
  NOTE_CONTENT_LIGHT_LEVEL,
  NOTE_PAR,
  NOTE_FORMAT = 16,             /* + GstVideoFormat */
  NOTE_WIDTH = 160,             /* + bits of the width */
  NOTE_HEIGHT = 192,            /* + bits of the height */
  NOTE_TRANSFER = 224,          /* + GstVideoTransferFunction */
  NOTE_MATRIX = 256,            /* + GstVideoColorMatrix */
  NOTE_PRIMARIES = 288,         /* + GstVideoColorPrimaries */
  N_NOTES = 320
};

static uint8_t notes[N_NOTES]
    __attribute__((section ("__libfuzzer_extra_counters"), used));

static void
note (guint slot, guint value, guint range)
{
  notes[slot + MIN (value, range - 1)]++;
}

static guint
bits (guint v)
{
  return v ? 32 - __builtin_clz (v) : 0;
}

static void
note_frame (const EstDecodedFrame * f)
{
  const GstVideoInfo *info = &f->info;

  note (NOTE_FORMAT, GST_VIDEO_INFO_FORMAT (info), NOTE_WIDTH - NOTE_FORMAT);
  note (NOTE_WIDTH, bits (GST_VIDEO_INFO_WIDTH (info)), 32);
  note (NOTE_HEIGHT, bits (GST_VIDEO_INFO_HEIGHT (info)), 32);
  note (NOTE_TRANSFER, info->colorimetry.transfer, 32);
  note (NOTE_MATRIX, info->colorimetry.matrix, 32);
  note (NOTE_PRIMARIES, info->colorimetry.primaries, 32);
  if (f->keyframe)
    note (NOTE_KEYFRAME, 0, 1);
  if (f->corrupt)
    note (NOTE_CORRUPT, 0, 1);
  if (f->have_mastering_display)
    note (NOTE_MASTERING_DISPLAY, 0, 1);
  if (f->have_content_light_level)
    note (NOTE_CONTENT_LIGHT_LEVEL, 0, 1);
  if (GST_VIDEO_INFO_PAR_N (info) != GST_VIDEO_INFO_PAR_D (info))
    note (NOTE_PAR, 0, 1);
}

static void
fail (const gchar * what, const EstDecodedFrame * f)
{
  fprintf (stderr, "decoder_fuzzer: %s (frame id %" G_GUINT64_FORMAT
      ", %s %dx%d)\n", what, f->id, GST_VIDEO_INFO_NAME (&f->info),
      GST_VIDEO_INFO_WIDTH (&f->info), GST_VIDEO_INFO_HEIGHT (&f->info));
  abort ();
}

/* What estdec's default_layout () relies on, then a read of both ends of
 * every component's rows. */
static void
check_frame (const EstDecodedFrame * f)
{
  const GstVideoInfo *info = &f->info;
  GstVideoMeta *meta;
  GstMapInfo map;
  gsize size;

  if (!f->buffer)
    fail ("frame without a buffer", f);
  meta = gst_buffer_get_video_meta (f->buffer);
  if (!meta)
    fail ("buffer without a GstVideoMeta", f);
  if (meta->format != GST_VIDEO_INFO_FORMAT (info) ||
      meta->n_planes != GST_VIDEO_INFO_N_PLANES (info))
    fail ("GstVideoMeta format or plane count differs from the frame's", f);
  if ((gint) meta->width < GST_VIDEO_INFO_WIDTH (info) ||
      (gint) meta->height < GST_VIDEO_INFO_HEIGHT (info))
    fail ("GstVideoMeta smaller than the frame", f);
  if (!gst_buffer_map (f->buffer, &map, GST_MAP_READ))
    fail ("buffer cannot be mapped", f);
  size = map.size;

  for (guint c = 0; c < GST_VIDEO_INFO_N_COMPONENTS (info); c++) {
    guint p = GST_VIDEO_INFO_COMP_PLANE (info, c);
    gsize w = GST_VIDEO_INFO_COMP_WIDTH (info, c);
    gsize h = GST_VIDEO_INFO_COMP_HEIGHT (info, c);
    gsize ps = GST_VIDEO_INFO_COMP_PSTRIDE (info, c);
    gint stride = meta->stride[p];
    gsize first = meta->offset[p] + GST_VIDEO_INFO_COMP_POFFSET (info, c);
    gsize last;

    if (w == 0 || h == 0)
      continue;
    if (stride <= 0 || (gsize) stride < w * ps)
      fail ("plane stride shorter than a row", f);
    last = first + (h - 1) * (gsize) stride + w * ps - 1;
    if (last >= size)
      fail ("plane extends past the end of the buffer", f);
    sink ^= map.data[first];
    sink ^= map.data[last];
  }
  gst_buffer_unmap (f->buffer, &map);
}

static void
receive_all (EstDecoder * dec)
{
  EstDecodedFrame f;

  while (est_decoder_receive (dec, &f)) {
    check_frame (&f);
    note_frame (&f);
    gst_buffer_unref (f.buffer);
  }
}

/* Reads a u16 little-endian size; FALSE at the end of the input. */
static gboolean
read_size (const uint8_t ** data, size_t *size, guint * out)
{
  if (*size < 2)
    return FALSE;
  *out = (*data)[0] | ((guint) (*data)[1] << 8);
  *data += 2;
  *size -= 2;
  return TRUE;
}

/* An empty buffer when n is 0 (the input ended early): estdec can be
 * given one too. */
static GstBuffer *
new_buffer (const uint8_t * data, guint n)
{
  return n ? gst_buffer_new_memdup (data, n) : gst_buffer_new ();
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* No plugins are needed: skip the registry scan (and loading system
   * plugins that are not instrumented). */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_init (argc, argv);
  /* Corrupt input makes libavcodec log on every packet: quiet is faster,
   * and the fuzzer's own output stays readable. */
  av_log_set_level (AV_LOG_QUIET);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  EstDecoderConfig config = { 0 };
  EstDecoder *dec;
  GError *err = NULL;
  guint64 id = 0;
  guint8 flags;
  guint n;

  if (size < 1)
    return 0;
  flags = data[0];
  data++;
  size--;

  config.codec = FUZZ_CODEC;
  /* One thread: frame threads make runs non-deterministic and slow. */
  config.threads = 1;
  config.low_latency = (flags & FLAG_LOW_LATENCY) != 0;
  if (flags & FLAG_CODEC_DATA) {
    if (!read_size (&data, &size, &n))
      return 0;
    n = MIN (n, size);
    config.codec_data = new_buffer (data, n);
    data += n;
    size -= n;
  }

  dec = est_decoder_new (&config, &err);
  gst_clear_buffer (&config.codec_data);
  if (!dec) {
    /* A refused codec_data is a clean error; anything else is not. */
    if (!g_error_matches (err, EST_DECODER_ERROR, EST_DECODER_ERROR_FAILED)
        || !(flags & FLAG_CODEC_DATA)) {
      fprintf (stderr, "decoder_fuzzer: est_decoder_new failed: %s\n",
          err ? err->message : "(no error)");
      abort ();
    }
    g_clear_error (&err);
    return 0;
  }

  while (read_size (&data, &size, &n)) {
    if (n == RECORD_DRAIN) {
      est_decoder_drain (dec, NULL);
      receive_all (dec);
      continue;
    }
    if (n == RECORD_FLUSH) {
      est_decoder_flush (dec);
      continue;
    }
    n = MIN (n, size);
    GstBuffer *packet = new_buffer (data, n);
    data += n;
    size -= n;
    /* A rejected packet is fine: the session must go on. */
    if (est_decoder_decode (dec, packet, id++, NULL))
      note (NOTE_PACKET_OK, 0, 1);
    else
      note (NOTE_PACKET_REJECTED, 0, 1);
    gst_buffer_unref (packet);
    receive_all (dec);
  }

  est_decoder_drain (dec, NULL);
  receive_all (dec);
  est_decoder_free (dec);
  return 0;
}
