/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The CPU decoder for H.264 and HEVC: libavcodec.
 *
 *   packet (id as pts) -> avcodec_send_packet -> avcodec_receive_frame
 *     -> AVFrame (pts = id of the packet that started it)
 *     -> EstDecodedFrame: GstBuffer with GstVideoMeta, colour, HDR
 *
 * H.264 and HEVC decode straight into GStreamer buffers: get_buffer2 takes
 * a buffer from a pool sized for the stream, maps it for the decoder and
 * describes its planes with a GstVideoMeta; the AVBufferRef holds the
 * GstBuffer while libavcodec references the picture.
 *
 * Colorimetry comes from the frame (ISO/IEC 23091-4 codes), static HDR
 * metadata from its side data (SEI). HDR10+ (ST 2094-40) SEI and Dolby Vision RPU NAL units become side
 * data or are skipped by libavcodec; neither is passed on. */

#include "decoderbackend.h"

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/mastering_display_metadata.h>

/* Plane rows are aligned for the decoder's SIMD and the buffer padded past
 * the last plane for its over-reads. */
#define ALIGN 64
#define PADDING 64

typedef struct
{
  AVCodecContext *ctx;
  AVPacket *pkt;
  AVFrame *frame;
  /* Frame threads call get_buffer2 concurrently: the pool and its layout
   * are under this lock. */
  GMutex lock;
  GstBufferPool *pool;          /* for direct rendering */
  gsize pool_size;
  GstVideoInfo pool_info;       /* layout of the pool's buffers */
  gsize offset[4];
  gint stride[4];
} AvDec;

/* A pool buffer lent to libavcodec. */
typedef struct
{
  GstBuffer *buffer;
  GstMapInfo map;
} Lent;

static GstVideoFormat
video_format (enum AVPixelFormat f, gboolean * full_range)
{
  *full_range = FALSE;
  switch (f) {
    case AV_PIX_FMT_YUVJ420P:
      *full_range = TRUE;
      /* fall through */
    case AV_PIX_FMT_YUV420P:
      return GST_VIDEO_FORMAT_I420;
    case AV_PIX_FMT_YUVJ422P:
      *full_range = TRUE;
      /* fall through */
    case AV_PIX_FMT_YUV422P:
      return GST_VIDEO_FORMAT_Y42B;
    case AV_PIX_FMT_YUVJ444P:
      *full_range = TRUE;
      /* fall through */
    case AV_PIX_FMT_YUV444P:
      return GST_VIDEO_FORMAT_Y444;
    case AV_PIX_FMT_YUV420P10LE:
      return GST_VIDEO_FORMAT_I420_10LE;
    case AV_PIX_FMT_YUV422P10LE:
      return GST_VIDEO_FORMAT_I422_10LE;
    case AV_PIX_FMT_YUV444P10LE:
      return GST_VIDEO_FORMAT_Y444_10LE;
    case AV_PIX_FMT_YUV420P12LE:
      return GST_VIDEO_FORMAT_I420_12LE;
    case AV_PIX_FMT_YUV422P12LE:
      return GST_VIDEO_FORMAT_I422_12LE;
    case AV_PIX_FMT_YUV444P12LE:
      return GST_VIDEO_FORMAT_Y444_12LE;
    case AV_PIX_FMT_GRAY8:
      return GST_VIDEO_FORMAT_GRAY8;
    default:
      return GST_VIDEO_FORMAT_UNKNOWN;
  }
}

/* (Re)makes the pool for frames of this format and coded size: planes
 * ALIGN-aligned with rows of at least the decoder's alignment. */
static gboolean
ensure_pool (AvDec * d, AVCodecContext * ctx, enum AVPixelFormat fmt,
    gint width, gint height)
{
  gint aw = width, ah = height, lines[4];
  gint align[AV_NUM_DATA_POINTERS];
  ptrdiff_t strides[4];
  size_t sizes[4];
  gsize total = 0;
  gboolean full;
  GstVideoFormat gfmt = video_format (fmt, &full);

  if (gfmt == GST_VIDEO_FORMAT_UNKNOWN)
    return FALSE;
  avcodec_align_dimensions2 (ctx, &aw, &ah, align);
  if (av_image_fill_linesizes (lines, fmt, aw) < 0)
    return FALSE;
  for (gint i = 0; i < 4; i++) {
    strides[i] = GST_ROUND_UP_64 (lines[i]);
    d->stride[i] = (gint) strides[i];
  }
  if (av_image_fill_plane_sizes (sizes, fmt, ah, strides) < 0)
    return FALSE;
  for (gint i = 0; i < 4; i++) {
    d->offset[i] = total;
    total += GST_ROUND_UP_64 (sizes[i]);
  }
  total += PADDING;

  if (d->pool && d->pool_size == total &&
      GST_VIDEO_INFO_FORMAT (&d->pool_info) == gfmt &&
      GST_VIDEO_INFO_WIDTH (&d->pool_info) == width &&
      GST_VIDEO_INFO_HEIGHT (&d->pool_info) == height)
    return TRUE;

  if (d->pool) {
    gst_buffer_pool_set_active (d->pool, FALSE);
    gst_object_unref (d->pool);
  }
  d->pool = gst_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (d->pool);
  GstAllocationParams params;
  gst_allocation_params_init (&params);
  params.align = ALIGN - 1;
  gst_buffer_pool_config_set_params (config, NULL, (guint) total, 0, 0);
  gst_buffer_pool_config_set_allocator (config, NULL, &params);
  if (!gst_buffer_pool_set_config (d->pool, config) ||
      !gst_buffer_pool_set_active (d->pool, TRUE))
    return FALSE;
  d->pool_size = total;
  gst_video_info_set_format (&d->pool_info, gfmt, width, height);
  return TRUE;
}

static void
return_lent (void *opaque, uint8_t * data)
{
  Lent *l = opaque;
  gst_buffer_unmap (l->buffer, &l->map);
  gst_buffer_unref (l->buffer);
  g_free (l);
}

/* A pool buffer whose planes follow d->offset / d->stride, with the
 * GstVideoMeta that says so for a width x height picture. */
static GstBuffer *
pool_buffer (AvDec * d, gint width, gint height)
{
  GstBuffer *buf = NULL;
  gint n = GST_VIDEO_INFO_N_PLANES (&d->pool_info);

  if (gst_buffer_pool_acquire_buffer (d->pool, &buf, NULL) != GST_FLOW_OK)
    return NULL;
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (&d->pool_info), width, height, n, d->offset,
      d->stride);
  return buf;
}

static int
get_buffer2 (AVCodecContext * ctx, AVFrame * frame, int flags)
{
  EstDecoder *dec = ctx->opaque;
  AvDec *d = dec->priv;
  Lent *l;

  g_mutex_lock (&d->lock);
  if (!ensure_pool (d, ctx, frame->format, frame->width, frame->height)) {
    /* A format GStreamer has no name for: collect () drops the frame. */
    g_mutex_unlock (&d->lock);
    return avcodec_default_get_buffer2 (ctx, frame, flags);
  }
  l = g_new0 (Lent, 1);
  /* The decoder asks for the coded size; the meta describes the visible
   * picture, the context's size, as cropped at the right and bottom
   * (frame_buffer copies a picture cropped elsewhere). */
  l->buffer = pool_buffer (d, ctx->width > 0 ? MIN (ctx->width,
          frame->width) : frame->width, ctx->height > 0 ? MIN (ctx->height,
          frame->height) : frame->height);
  if (!l->buffer || !gst_buffer_map (l->buffer, &l->map, GST_MAP_READWRITE)) {
    g_mutex_unlock (&d->lock);
    gst_clear_buffer (&l->buffer);
    g_free (l);
    return AVERROR (ENOMEM);
  }
  for (gint i = 0; i < 4; i++) {
    frame->data[i] = d->stride[i] ? l->map.data + d->offset[i] : NULL;
    frame->linesize[i] = d->stride[i];
  }
  g_mutex_unlock (&d->lock);
  frame->extended_data = frame->data;
  frame->buf[0] = av_buffer_create (l->map.data, l->map.size, return_lent, l,
      0);
  if (!frame->buf[0]) {
    return_lent (l, NULL);
    return AVERROR (ENOMEM);
  }
  return 0;
}

static void
set_colour (GstVideoInfo * info, const AVFrame * f, gboolean full_range)
{
  GstVideoColorimetry *c = &info->colorimetry;

  if (f->color_range == AVCOL_RANGE_JPEG || full_range)
    c->range = GST_VIDEO_COLOR_RANGE_0_255;
  else if (f->color_range == AVCOL_RANGE_MPEG)
    c->range = GST_VIDEO_COLOR_RANGE_16_235;
  if (f->colorspace != AVCOL_SPC_UNSPECIFIED)
    c->matrix = gst_video_color_matrix_from_iso (f->colorspace);
  if (f->color_trc != AVCOL_TRC_UNSPECIFIED)
    c->transfer = gst_video_transfer_function_from_iso (f->color_trc);
  if (f->color_primaries != AVCOL_PRI_UNSPECIFIED)
    c->primaries = gst_video_color_primaries_from_iso (f->color_primaries);
}

/* q in units of 1 / scale, rounded and clamped to [0, max]: the libraries
 * pass the bitstream's values on unchecked (HEVC's 32-bit luminance can
 * arrive negative, AV1's 24.8 fixed point overflows 32 bits in units of
 * 0.0001 cd/m2), and an out-of-range float to integer conversion is
 * undefined. */
static guint32
to_units (AVRational q, gdouble scale, guint32 max)
{
  gdouble v = av_q2d (q) * scale + 0.5;

  if (!(v >= 0))                /* negative or NaN */
    return 0;
  return v >= max ? max : (guint32) v;
}

/* Side data in GStreamer's units: chromaticity 0.00002, luminance 0.0001
 * cd/m2; libavutil's primaries are red, green, blue as GStreamer's. */
static void
set_hdr (EstDecodedFrame * out, const AVFrame * f)
{
  AVFrameSideData *sd;

  sd = av_frame_get_side_data (f, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA);
  if (sd) {
    const AVMasteringDisplayMetadata *m = (const void *) sd->data;
    if (m->has_primaries && m->has_luminance) {
      GstVideoMasteringDisplayInfo *g = &out->mastering_display;
      for (gint i = 0; i < 3; i++) {
        g->display_primaries[i].x =
            to_units (m->display_primaries[i][0], 50000, G_MAXUINT16);
        g->display_primaries[i].y =
            to_units (m->display_primaries[i][1], 50000, G_MAXUINT16);
      }
      g->white_point.x = to_units (m->white_point[0], 50000, G_MAXUINT16);
      g->white_point.y = to_units (m->white_point[1], 50000, G_MAXUINT16);
      g->max_display_mastering_luminance =
          to_units (m->max_luminance, 10000, G_MAXUINT32);
      g->min_display_mastering_luminance =
          to_units (m->min_luminance, 10000, G_MAXUINT32);
      out->have_mastering_display = TRUE;
    }
  }
  sd = av_frame_get_side_data (f, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL);
  if (sd) {
    const AVContentLightMetadata *l = (const void *) sd->data;
    out->content_light_level.max_content_light_level = (guint16) l->MaxCLL;
    out->content_light_level.max_frame_average_light_level =
        (guint16) l->MaxFALL;
    out->have_content_light_level = TRUE;
  }
}

/* A copy of the visible picture in a buffer of its own, default layout. */
static GstBuffer *
copy_visible (const AVFrame * f)
{
  gboolean full;
  GstVideoInfo info;
  GstVideoFrame vf;
  GstBuffer *buf;
  uint8_t *dst[4] = { NULL };
  int strides[4] = { 0 };

  if (!gst_video_info_set_format (&info, video_format (f->format, &full),
          f->width, f->height))
    return NULL;
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (&info), f->width, f->height,
      GST_VIDEO_INFO_N_PLANES (&info), info.offset, info.stride);
  if (!gst_video_frame_map (&vf, &info, buf, GST_MAP_WRITE)) {
    gst_buffer_unref (buf);
    return NULL;
  }
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES (&vf); i++) {
    dst[i] = GST_VIDEO_FRAME_PLANE_DATA (&vf, i);
    strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (&vf, i);
  }
  av_image_copy (dst, strides, (const uint8_t **) f->data, f->linesize,
      f->format, f->width, f->height);
  gst_video_frame_unmap (&vf);
  return buf;
}

/* The decoded picture as a GstBuffer: the one lent to the decoder by
 * get_buffer2 (formats it cannot name are dropped before this). */
static GstBuffer *
frame_buffer (const AVFrame * f)
{
  Lent *l = av_buffer_get_opaque (f->buf[0]);
  GstVideoMeta *m = gst_buffer_get_video_meta (l->buffer);
  gboolean same = m->width == (guint) f->width &&
      m->height == (guint) f->height;

  /* libavcodec crops by moving the plane pointers and shrinking the
   * size: the meta must say the same, or the picture is copied. */
  for (guint i = 0; same && i < m->n_planes; i++)
    same = f->data[i] == l->map.data + m->offset[i];
  if (!same)
    return copy_visible (f);
  /* A finished picture is only read from now on (as a reference). Held
   * mapped for writing, its memory could not join the buffer GStreamer's
   * finish_frame makes writable, and GStreamer would copy it whole. The
   * pool's system memory keeps its address across maps. */
  if (l->map.flags & GST_MAP_WRITE) {
    guint8 *data = l->map.data;
    gst_buffer_unmap (l->buffer, &l->map);
    if (!gst_buffer_map (l->buffer, &l->map, GST_MAP_READ) ||
        l->map.data != data)
      g_error ("a decoded picture moved in memory");
  }
  return gst_buffer_ref (l->buffer);
}

static void
collect (EstDecoder * dec)
{
  AvDec *d = dec->priv;

  while (avcodec_receive_frame (d->ctx, d->frame) == 0) {
    AVFrame *f = d->frame;
    EstDecodedFrame out = { 0 };
    gboolean full;
    GstVideoFormat fmt = video_format (f->format, &full);

    if (fmt == GST_VIDEO_FORMAT_UNKNOWN) {
      dec->unsupported_format = f->format;
      av_frame_unref (f);
      continue;
    }
    gst_video_info_set_format (&out.info, fmt, f->width, f->height);
    set_colour (&out.info, f, full);
    if (f->sample_aspect_ratio.num > 0 && f->sample_aspect_ratio.den > 0) {
      GST_VIDEO_INFO_PAR_N (&out.info) = f->sample_aspect_ratio.num;
      GST_VIDEO_INFO_PAR_D (&out.info) = f->sample_aspect_ratio.den;
    }
    set_hdr (&out, f);
    out.buffer = frame_buffer (f);
    out.id = (guint64) f->pts;
    out.keyframe = f->key_frame;
    out.corrupt = f->decode_error_flags != 0 ||
        (f->flags & AV_FRAME_FLAG_CORRUPT);
    av_frame_unref (f);
    if (out.buffer)
      est_decoder_push_frame (dec, &out);
  }
}

static const gchar *
codec_name (EstCodec codec)
{
  switch (codec) {
    case EST_CODEC_H264:
      return "h264";
    case EST_CODEC_H265:
      return "hevc";
    case EST_CODEC_AV1:
      break;
  }
  return NULL;
}

static gboolean
av_open (EstDecoder * dec, GError ** error)
{
  const EstDecoderConfig *c = &dec->config;
  const AVCodec *codec = avcodec_find_decoder_by_name (codec_name (c->codec));
  AvDec *d = g_new0 (AvDec, 1);

  dec->priv = d;
  g_mutex_init (&d->lock);
  if (!codec) {
    g_set_error (error, EST_DECODER_ERROR, EST_DECODER_ERROR_UNSUPPORTED,
        "libavcodec has no %s decoder", codec_name (c->codec));
    return FALSE;
  }
  d->ctx = avcodec_alloc_context3 (codec);
  d->pkt = av_packet_alloc ();
  d->frame = av_frame_alloc ();
  if (!d->ctx || !d->pkt || !d->frame) {
    g_set_error (error, EST_DECODER_ERROR, EST_DECODER_ERROR_FAILED,
        "out of memory opening %s", codec->name);
    return FALSE;
  }
  d->ctx->opaque = dec;
  d->ctx->get_buffer2 = get_buffer2;
  /* get_buffer2 locks what it shares. FFmpeg 5.1 still asks for the
   * (deprecated) flag before it frame-threads with a custom allocator. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  d->ctx->thread_safe_callbacks = 1;
#pragma GCC diagnostic pop
  d->ctx->thread_count = (int) c->threads;
  /* The largest picture any level allows, 35651584 luma samples (8192 x
   * 4352) in H.264 6.2 and HEVC 6.2. A few header bytes can claim far more
   * (16000 x 16000: 40 s and 1.6 GB to conceal one empty picture, in
   * avdec_h264 too); libavcodec refuses such a picture instead. */
  d->ctx->max_pixels = 35651584;
  if (c->low_latency) {
    d->ctx->thread_type = FF_THREAD_SLICE;
    d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
  }
  if (c->codec_data) {
    gsize size = gst_buffer_get_size (c->codec_data);
    d->ctx->extradata = av_mallocz (size + AV_INPUT_BUFFER_PADDING_SIZE);
    d->ctx->extradata_size = (int) size;
    gst_buffer_extract (c->codec_data, 0, d->ctx->extradata, size);
  }
  int r = avcodec_open2 (d->ctx, codec, NULL);
  if (r < 0) {
    char msg[AV_ERROR_MAX_STRING_SIZE];
    av_strerror (r, msg, sizeof (msg));
    g_set_error (error, EST_DECODER_ERROR, EST_DECODER_ERROR_FAILED,
        "libavcodec could not open %s (%s): is the codec_data valid?",
        codec->name, msg);
    return FALSE;
  }
  return TRUE;
}

static gboolean
av_decode (EstDecoder * dec, GstBuffer * packet, guint64 id, GError ** error)
{
  AvDec *d = dec->priv;
  GstMapInfo map;
  int r;

  if (!gst_buffer_map (packet, &map, GST_MAP_READ)) {
    g_set_error (error, EST_DECODER_ERROR, EST_DECODER_ERROR_DECODE,
        "could not read the packet");
    return FALSE;
  }
  /* libavcodec reads up to AV_INPUT_BUFFER_PADDING_SIZE bytes past the end
   * of a packet: give it a padded copy. */
  r = av_new_packet (d->pkt, (int) map.size);
  if (r == 0) {
    /* An empty buffer maps to NULL, which memcpy may not be given. */
    if (map.size)
      memcpy (d->pkt->data, map.data, map.size);
    d->pkt->pts = (int64_t) id;
    while ((r = avcodec_send_packet (d->ctx, d->pkt)) == AVERROR (EAGAIN))
      collect (dec);
  }
  av_packet_unref (d->pkt);
  gst_buffer_unmap (packet, &map);
  collect (dec);
  if (r < 0) {
    char msg[AV_ERROR_MAX_STRING_SIZE];
    av_strerror (r, msg, sizeof (msg));
    g_set_error (error, EST_DECODER_ERROR, EST_DECODER_ERROR_DECODE,
        "%s rejected packet %" G_GUINT64_FORMAT ": %s", d->ctx->codec->name,
        id, msg);
    return FALSE;
  }
  return TRUE;
}

static void
av_flush (EstDecoder * dec)
{
  AvDec *d = dec->priv;
  avcodec_flush_buffers (d->ctx);
}

static gboolean
av_drain (EstDecoder * dec, GError ** error)
{
  AvDec *d = dec->priv;

  if (avcodec_send_packet (d->ctx, NULL) == 0)
    collect (dec);
  /* Ready for more input, as after a seek. */
  avcodec_flush_buffers (d->ctx);
  return TRUE;
}

static void
av_close (EstDecoder * dec)
{
  AvDec *d = dec->priv;

  if (!d)
    return;
  avcodec_free_context (&d->ctx);
  av_packet_free (&d->pkt);
  av_frame_free (&d->frame);
  if (d->pool) {
    gst_buffer_pool_set_active (d->pool, FALSE);
    gst_object_unref (d->pool);
  }
  g_mutex_clear (&d->lock);
  g_free (d);
  dec->priv = NULL;
}

const EstDecoderBackend est_av_decoder_backend = {
  .name = "libavcodec",
  .open = av_open,
  .decode = av_decode,
  .flush = av_flush,
  .drain = av_drain,
  .close = av_close,
};
