/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The CPU decoder for AV1: dav1d, called directly.
 *
 *   packet (id as timestamp) -> dav1d_data_wrap (no copy) -> dav1d_send_data
 *     -> dav1d_get_picture -> Dav1dPicture (timestamp = id)
 *     -> EstDecodedFrame: GstBuffer wrapping the picture, colour, HDR
 *
 * No copy on the way out: each plane of the picture dav1d allocated (from
 * its own memory pool) becomes a read-only GstMemory of the output buffer,
 * described by a GstVideoMeta; the buffer holds a reference on the picture
 * until downstream drops it, which may be after the session is closed.
 * dav1d's planes are 128-row aligned, so a consumer that cannot read
 * GstVideoMeta gets a copy (estdec makes it).
 *
 * Threads: dav1d's own pool of n_threads workers (0 = one per core), with
 * frame threading unless low latency asks for max_frame_delay 1. dav1d
 * returns pictures out of the threads' order only through get_picture, so
 * each packet is followed by one get_picture: a second call in a row would
 * drain the frame threads and serialise them.
 *
 * Colorimetry comes from the sequence header (ISO/IEC 23091-4 codes),
 * static HDR metadata from metadata OBUs. ITU-T T.35 metadata (HDR10+) is
 * not passed on. */

#include "decoderbackend.h"

#include <string.h>

#include <dav1d/dav1d.h>

GST_DEBUG_CATEGORY_STATIC (est_dav1d_debug);
#define GST_CAT_DEFAULT est_dav1d_debug

typedef struct
{
  Dav1dContext *ctx;
  Dav1dPicture pic;
} Dav1dDec;

/* The picture a buffer's plane memories share: freed with the last. */
typedef struct
{
  Dav1dPicture pic;
  gint refs;
} Held;

static void
release_held (gpointer data)
{
  Held *h = data;

  if (g_atomic_int_dec_and_test (&h->refs)) {
    dav1d_picture_unref (&h->pic);
    g_free (h);
  }
}

static GstVideoFormat
video_format (const Dav1dPictureParameters * p)
{
  static const GstVideoFormat formats[4][3] = {
    {GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_UNKNOWN,
        GST_VIDEO_FORMAT_UNKNOWN},
    {GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_I420_10LE,
        GST_VIDEO_FORMAT_I420_12LE},
    {GST_VIDEO_FORMAT_Y42B, GST_VIDEO_FORMAT_I422_10LE,
        GST_VIDEO_FORMAT_I422_12LE},
    {GST_VIDEO_FORMAT_Y444, GST_VIDEO_FORMAT_Y444_10LE,
        GST_VIDEO_FORMAT_Y444_12LE},
  };
  gint depth = p->bpc == 8 ? 0 : p->bpc == 10 ? 1 : p->bpc == 12 ? 2 : -1;

  if (depth < 0 || p->layout > DAV1D_PIXEL_LAYOUT_I444)
    return GST_VIDEO_FORMAT_UNKNOWN;
  return formats[p->layout][depth];
}

/* The picture's planes as read-only memories of one buffer, moving the
 * reference in *pic into the buffer. */
static GstBuffer *
wrap_picture (Dav1dPicture * pic, const GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_new ();
  guint n = GST_VIDEO_INFO_N_PLANES (info);
  Held *h = g_new (Held, 1);
  gsize offset[GST_VIDEO_MAX_PLANES] = { 0 }, total = 0;
  gint stride[GST_VIDEO_MAX_PLANES] = { 0 };

  h->pic = *pic;
  h->refs = (gint) n;
  memset (pic, 0, sizeof (*pic));
  for (guint i = 0; i < n; i++) {
    gsize rows = GST_VIDEO_INFO_COMP_HEIGHT (info, i);
    gsize size;

    stride[i] = (gint) h->pic.stride[i > 0];
    size = (gsize) stride[i] * rows;
    offset[i] = total;
    total += size;
    gst_buffer_append_memory (buf,
        gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, h->pic.data[i],
            size, 0, size, h, release_held));
  }
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), n, offset, stride);
  return buf;
}

static void
set_colour (GstVideoInfo * info, const Dav1dSequenceHeader * s)
{
  GstVideoColorimetry *c = &info->colorimetry;

  c->range = s->color_range ? GST_VIDEO_COLOR_RANGE_0_255 :
      GST_VIDEO_COLOR_RANGE_16_235;
  if (s->mtrx != DAV1D_MC_UNKNOWN)
    c->matrix = gst_video_color_matrix_from_iso (s->mtrx);
  if (s->trc != DAV1D_TRC_UNKNOWN)
    c->transfer = gst_video_transfer_function_from_iso (s->trc);
  if (s->pri != DAV1D_COLOR_PRI_UNKNOWN)
    c->primaries = gst_video_color_primaries_from_iso (s->pri);
}

/* Fixed point v / 2^frac in units of 1 / scale, clamped to max. */
static guint32
fixed_to_units (guint64 v, guint frac, guint64 scale, guint32 max)
{
  guint64 u = (v * scale + (G_GUINT64_CONSTANT (1) << frac >> 1)) >> frac;

  return u >= max ? max : (guint32) u;
}

/* Metadata OBUs in GStreamer's units: chromaticity 0.00002, luminance
 * 0.0001 cd/m2; AV1 orders the primaries red, green, blue as GStreamer. */
static void
set_hdr (EstDecodedFrame * out, const Dav1dPicture * p)
{
  if (p->mastering_display) {
    const Dav1dMasteringDisplay *m = p->mastering_display;
    GstVideoMasteringDisplayInfo *g = &out->mastering_display;

    for (gint i = 0; i < 3; i++) {
      g->display_primaries[i].x =
          fixed_to_units (m->primaries[i][0], 16, 50000, G_MAXUINT16);
      g->display_primaries[i].y =
          fixed_to_units (m->primaries[i][1], 16, 50000, G_MAXUINT16);
    }
    g->white_point.x = fixed_to_units (m->white_point[0], 16, 50000,
        G_MAXUINT16);
    g->white_point.y = fixed_to_units (m->white_point[1], 16, 50000,
        G_MAXUINT16);
    g->max_display_mastering_luminance =
        fixed_to_units (m->max_luminance, 8, 10000, G_MAXUINT32);
    g->min_display_mastering_luminance =
        fixed_to_units (m->min_luminance, 14, 10000, G_MAXUINT32);
    out->have_mastering_display = TRUE;
  }
  if (p->content_light) {
    out->content_light_level.max_content_light_level =
        (guint16) CLAMP (p->content_light->max_content_light_level, 0,
        G_MAXUINT16);
    out->content_light_level.max_frame_average_light_level =
        (guint16) CLAMP (p->content_light->max_frame_average_light_level, 0,
        G_MAXUINT16);
    out->have_content_light_level = TRUE;
  }
}

/* Hands the picture in d->pic to the frame queue (or drops a format
 * GStreamer has no name for). */
static void
push_picture (EstDecoder * dec)
{
  Dav1dDec *d = dec->priv;
  Dav1dPicture *p = &d->pic;
  EstDecodedFrame out = { 0 };
  GstVideoFormat fmt = video_format (&p->p);

  if (fmt == GST_VIDEO_FORMAT_UNKNOWN) {
    dec->unsupported_format = (gint) p->p.layout;
    dav1d_picture_unref (p);
    return;
  }
  gst_video_info_set_format (&out.info, fmt, (guint) p->p.w, (guint) p->p.h);
  set_colour (&out.info, p->seq_hdr);
  /* The render size is the intended display size: as a pixel aspect
   * ratio, as libavcodec's dav1d wrapper gives it. */
  if (p->frame_hdr->render_width > 0 && p->frame_hdr->render_height > 0)
    gst_util_fraction_multiply (p->frame_hdr->render_width, p->p.w, p->p.h,
        p->frame_hdr->render_height, &GST_VIDEO_INFO_PAR_N (&out.info),
        &GST_VIDEO_INFO_PAR_D (&out.info));
  set_hdr (&out, p);
  out.id = (guint64) p->m.timestamp;
  out.keyframe = p->frame_hdr->frame_type == DAV1D_FRAME_TYPE_KEY;
  out.buffer = wrap_picture (p, &out.info);
  est_decoder_push_frame (dec, &out);
}

/* One get_picture; FALSE with error set on a decode error it reports. */
static gboolean
get_one (EstDecoder * dec, gboolean * got, GError ** error)
{
  Dav1dDec *d = dec->priv;
  int r = dav1d_get_picture (d->ctx, &d->pic);

  *got = r == 0;
  if (r == 0) {
    push_picture (dec);
    return TRUE;
  }
  if (r == DAV1D_ERR (EAGAIN))
    return TRUE;
  /* With frame threads an error surfaces later than its packet. */
  Dav1dDataProps props = { 0 };
  gint64 bad = -1;
  if (dav1d_get_decode_error_data_props (d->ctx, &props) == 0) {
    bad = props.timestamp;
    dav1d_data_props_unref (&props);
  }
  g_set_error (error, EST_DECODER_ERROR, EST_DECODER_ERROR_DECODE,
      "dav1d could not decode packet %" G_GINT64_FORMAT ": %s", bad,
      g_strerror (-r));
  return FALSE;
}

/* A packet lent to dav1d, mapped until dav1d is done with its bytes. */
typedef struct
{
  GstBuffer *buffer;
  GstMapInfo map;
} Lent;

static void
return_packet (const uint8_t * data, void *cookie)
{
  Lent *l = cookie;

  gst_buffer_unmap (l->buffer, &l->map);
  gst_buffer_unref (l->buffer);
  g_free (l);
}

static gboolean
dav1d_decode (EstDecoder * dec, GstBuffer * packet, guint64 id, GError ** error)
{
  Dav1dDec *d = dec->priv;
  Dav1dData data = { 0 };
  Lent *l;
  gboolean got, ok = TRUE;
  int r;

  /* dav1d refuses empty data; an empty temporal unit is invalid anyway. */
  if (gst_buffer_get_size (packet) == 0) {
    g_set_error (error, EST_DECODER_ERROR, EST_DECODER_ERROR_DECODE,
        "packet %" G_GUINT64_FORMAT " is empty", id);
    return FALSE;
  }
  l = g_new (Lent, 1);
  l->buffer = gst_buffer_ref (packet);
  if (!gst_buffer_map (packet, &l->map, GST_MAP_READ)) {
    gst_buffer_unref (packet);
    g_free (l);
    g_set_error (error, EST_DECODER_ERROR, EST_DECODER_ERROR_DECODE,
        "could not read packet %" G_GUINT64_FORMAT, id);
    return FALSE;
  }
  if (dav1d_data_wrap (&data, l->map.data, l->map.size, return_packet, l) < 0) {
    return_packet (NULL, l);
    g_set_error (error, EST_DECODER_ERROR, EST_DECODER_ERROR_FAILED,
        "out of memory");
    return FALSE;
  }
  data.m.timestamp = (int64_t) id;
  /* dav1d's own loop: EAGAIN from send_data means its output queue is
   * full, and the picture taken out makes room for the rest. */
  do {
    r = dav1d_send_data (d->ctx, &data);
    if (r < 0 && r != DAV1D_ERR (EAGAIN)) {
      if (ok)
        g_set_error (error, EST_DECODER_ERROR, EST_DECODER_ERROR_DECODE,
            "dav1d rejected packet %" G_GUINT64_FORMAT ": %s", id,
            g_strerror (-r));
      ok = FALSE;
      break;
    }
    if (!get_one (dec, &got, ok ? error : NULL))
      ok = FALSE;
  } while (data.sz > 0);
  dav1d_data_unref (&data);
  return ok;
}

static void
dav1d_flush_ (EstDecoder * dec)
{
  Dav1dDec *d = dec->priv;
  dav1d_flush (d->ctx);
}

static gboolean
dav1d_drain (EstDecoder * dec, GError ** error)
{
  gboolean got, ok = TRUE;
  gint idle = 0;

  /* get_picture called twice in a row without data in between drains the
   * frame threads; two EAGAINs in a row: nothing left. */
  while (idle < 2) {
    if (!get_one (dec, &got, ok ? error : NULL))
      ok = FALSE;
    idle = got ? 0 : idle + 1;
  }
  return ok;
}

/* dav1d's messages go to the debug log, not to stderr. */
static void
quiet_log (void *cookie, const char *format, va_list ap)
G_GNUC_PRINTF (2, 0);

     static void quiet_log (void *cookie, const char *format, va_list ap)
{
  gchar *msg = g_strdup_vprintf (format, ap);

  GST_DEBUG ("dav1d: %s", g_strchomp (msg));
  g_free (msg);
}

static gsize debug_once;

static gboolean
dav1d_open_ (EstDecoder * dec, GError ** error)
{
  const EstDecoderConfig *c = &dec->config;
  Dav1dDec *d = g_new0 (Dav1dDec, 1);
  Dav1dSettings s;
  int r;

  dec->priv = d;
  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (est_dav1d_debug, "estdav1d", 0,
        "dav1d decode backend");
    g_once_init_leave (&debug_once, 1);
  }
  dav1d_default_settings (&s);
  s.n_threads = (int) MIN (c->threads, 256);
  s.max_frame_delay = c->low_latency ? 1 : 0;
  /* A scalable stream shows its highest spatial layer only. */
  s.all_layers = 0;
  /* The largest picture any level allows, 8192 x 4352 in AV1 6.3: a few
   * header bytes can claim far more. */
  s.frame_size_limit = 35651584;
  s.logger.callback = quiet_log;
  r = dav1d_open (&d->ctx, &s);
  if (r < 0) {
    g_set_error (error, EST_DECODER_ERROR, EST_DECODER_ERROR_FAILED,
        "dav1d could not open: %s", g_strerror (-r));
    return FALSE;
  }
  return TRUE;
}

static void
dav1d_close_ (EstDecoder * dec)
{
  Dav1dDec *d = dec->priv;

  if (!d)
    return;
  /* Pictures still held downstream outlive the context. */
  dav1d_close (&d->ctx);
  g_free (d);
  dec->priv = NULL;
}

const EstDecoderBackend est_dav1d_decoder_backend = {
  .name = "dav1d",
  .open = dav1d_open_,
  .decode = dav1d_decode,
  .flush = dav1d_flush_,
  .drain = dav1d_drain,
  .close = dav1d_close_,
};
