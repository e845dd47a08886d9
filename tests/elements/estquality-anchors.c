/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* estquality against stored FFmpeg 5.1 values: each case builds a reference
 * sequence (generated here, or decoded from a clip in $ESTUARY_MEDIA_DIR),
 * distorts it the same way every time (3x3 box blur blended in by a
 * per-frame amount, plus fixed-seed noise, clipped), runs both through
 * `appsrc ! estquality` and compares every frame's PSNR (Y, U, V, average)
 * and luma SSIM with the values FFmpeg's psnr and ssim filters gave for the
 * same bytes, stored in estquality-anchors.txt.
 *
 * Tolerances: 0.01 dB for PSNR (FFmpeg's stats file rounds to 0.01 dB, so
 * the stored value is at most 0.005 dB off) and 0.002 for SSIM. FFmpeg
 * reports identical planes as "inf" where estquality reports its 100 dB cap:
 * such values are checked to be the cap and left out of the comparison.
 *
 * Every input is built with integer arithmetic only and its bytes are
 * hashed: a case whose bytes differ from the ones the anchors were made
 * from fails with that message instead of a confusing metric mismatch.
 *
 * With ESTQUALITY_ANCHORS_DUMP=DIR the test writes each case's ref and dist
 * as raw planar files (NAME.ref.yuv, NAME.dist.yuv) and a NAME.info line
 * into DIR instead of comparing; a case that cannot run writes
 * NAME.skipped. estquality-anchors.sh turns that into the anchor file. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "esttest.h"

#define FPS 25
#define FRAME_DUR (GST_SECOND / FPS)
#define PSNR_TOL 0.01
#define SSIM_TOL 0.002
#define ANCHORS_PATH TEST_SOURCE_DIR "/estquality-anchors.txt"
/* Seconds a real-clip decode or a measuring pipeline may take. */
#define RUN_TIMEOUT 60

/* A reference sequence and its distorted copy, packed planar frames (Y, U,
 * V; 4:2:0 with chroma sizes rounded up, as FFmpeg's rawvideo expects),
 * one byte per sample at 8 bits, little-endian 16 bits above. */
typedef struct
{
  const gchar *name;
  gint width, height, depth;
  guint n_frames;
  gsize frame_size;
  guint8 *ref, *dist;
} Sequence;

/* Per frame: psnr y, u, v, avg, then ssim y. */
#define N_VALUES 5
static const gchar *const value_fields[N_VALUES] = {
  "psnr-y", "psnr-u", "psnr-v", "psnr-avg", "ssim-y"
};

typedef struct
{
  gchar *format;
  gint width, height;
  guint n_frames;
  gchar *hash;
  GArray *values;               /* gdouble[N_VALUES] per frame, in order */
} Anchor;

static gint
plane_w (const Sequence * s, gint p)
{
  return p ? (s->width + 1) / 2 : s->width;
}

static gint
plane_h (const Sequence * s, gint p)
{
  return p ? (s->height + 1) / 2 : s->height;
}

static gint
bytes_per_sample (const Sequence * s)
{
  return s->depth > 8 ? 2 : 1;
}

static gsize
plane_offset (const Sequence * s, gint p)
{
  gsize off = 0;
  for (gint i = 0; i < p; i++)
    off += (gsize) plane_w (s, i) * plane_h (s, i) * bytes_per_sample (s);
  return off;
}

static const gchar *
gst_format (const Sequence * s)
{
  return s->depth > 8 ? "I420_10LE" : "I420";
}

static void
seq_init (Sequence * s, const gchar * name, gint width, gint height,
    gint depth, guint n_frames)
{
  memset (s, 0, sizeof (*s));
  s->name = name;
  s->width = width;
  s->height = height;
  s->depth = depth;
  s->n_frames = n_frames;
  s->frame_size = plane_offset (s, 3);
  s->ref = g_malloc0 (s->frame_size * n_frames);
  s->dist = g_malloc0 (s->frame_size * n_frames);
}

static void
seq_clear (Sequence * s)
{
  g_free (s->ref);
  g_free (s->dist);
}

static gint
get_sample (const Sequence * s, const guint8 * plane, gint p, gint x, gint y)
{
  gsize i = (gsize) y * plane_w (s, p) + x;
  if (s->depth > 8)
    return plane[2 * i] | plane[2 * i + 1] << 8;
  return plane[i];
}

/* Stores little-endian whatever the host order, so the bytes (and the
 * hash) are the same on every machine. */
static void
set_sample (const Sequence * s, guint8 * plane, gint p, gint x, gint y, gint v)
{
  gsize i = (gsize) y * plane_w (s, p) + x;
  if (s->depth > 8) {
    plane[2 * i] = v & 0xff;
    plane[2 * i + 1] = v >> 8;
  } else {
    plane[i] = v;
  }
}

/* Integer hash of a lattice point: texture with no libm in the loop. */
static guint32
hash3 (guint32 x, guint32 y, guint32 z)
{
  guint32 h = x * 0x8da6b343u ^ y * 0xd8163841u ^ z * 0xcb1ab31fu;
  h ^= h >> 13;
  h *= 0x85ebca6bu;
  h ^= h >> 16;
  return h;
}

/* One sample of the generated scene in 10-bit units, at plane coordinates
 * (x, y) of frame t: a gradient, fine texture panning right, moving stripes
 * in the lower left and a shaded disc crossing the picture, so that every
 * window of the SSIM grid sees a different mix of flat, textured and edge
 * content. */
static gint
scene (const Sequence * s, gint p, gint x, gint y, gint t)
{
  const gint sub = p ? 2 : 1;
  const gint w = plane_w (s, p), h = plane_h (s, p);
  /* The disc in luma coordinates. */
  const gint r = s->height / 5;
  const gint cx = s->width / 5 + (t * 11) % (s->width * 3 / 5);
  const gint cy = s->height / 3 + (t * 5) % (s->height / 3);
  const gint dx = x * sub + sub / 2 - cx, dy = y * sub + sub / 2 - cy;
  const gint d2 = dx * dx + dy * dy;
  gint v;

  if (p == 0) {
    v = 128 + x * 512 / w + y * 256 / h;
    v += ((gint) (hash3 ((x + 2 * t) >> 1, (y + t) >> 1, 0) & 127) - 64) * 3
        / 4;
    if (y > h / 2 && x < w / 2)
      v += (abs (((x + 3 * t) & 31) - 16) - 8) * 12;
    if (d2 < r * r)
      v = 940 - d2 * 400 / (r * r);
  } else {
    v = p == 1 ? 512 + (2 * x - w) * 160 / w : 512 + (2 * y - h) * 160 / h;
    v += ((gint) (hash3 (x + t, y, p) & 31) - 16);
    if (d2 < r * r)
      v = p == 1 ? 300 : 720;
  }
  v = CLAMP (v, 0, 1023);
  return s->depth > 8 ? v : v >> 2;
}

static void
generate (Sequence * s)
{
  for (guint t = 0; t < s->n_frames; t++) {
    guint8 *frame = s->ref + t * s->frame_size;
    for (gint p = 0; p < 3; p++) {
      guint8 *plane = frame + plane_offset (s, p);
      for (gint y = 0; y < plane_h (s, p); y++)
        for (gint x = 0; x < plane_w (s, p); x++)
          set_sample (s, plane, p, x, y, scene (s, p, x, y, t));
    }
  }
}

static guint32
xorshift32 (guint32 * state)
{
  guint32 x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

/* dist = clip (ref + k/4 (blur3x3 (ref) - ref) + noise), k = 1, 2, 3 by
 * frame so that frames differ in quality, noise uniform in [-3, 3] (scaled
 * to the depth) from one fixed-seed generator run through the whole
 * sequence. Every fourth frame keeps its U plane, so that FFmpeg's inf for
 * identical planes meets estquality's cap. Integers only: the same bytes
 * everywhere. */
static void
distort (Sequence * s)
{
  const gint max = (1 << s->depth) - 1;
  const gint amp = 3 << (s->depth - 8);
  guint32 state = 0x2545f491u;

  for (guint t = 0; t < s->n_frames; t++) {
    const gint k = 1 + t % 3;
    for (gint p = 0; p < 3; p++) {
      const guint8 *a = s->ref + t * s->frame_size + plane_offset (s, p);
      guint8 *b = s->dist + t * s->frame_size + plane_offset (s, p);
      const gint w = plane_w (s, p), h = plane_h (s, p);
      if (p == 1 && t % 4 == 3) {
        memcpy (b, a, (gsize) w * h * bytes_per_sample (s));
        continue;
      }
      for (gint y = 0; y < h; y++) {
        for (gint x = 0; x < w; x++) {
          gint sum = 0, v = get_sample (s, a, p, x, y);
          for (gint j = -1; j <= 1; j++)
            for (gint i = -1; i <= 1; i++)
              sum += get_sample (s, a, p, CLAMP (x + i, 0, w - 1),
                  CLAMP (y + j, 0, h - 1));
          v += ((sum + 4) / 9 - v) * k / 4;
          v += (gint) (xorshift32 (&state) % (2 * amp + 1)) - amp;
          set_sample (s, b, p, x, y, CLAMP (v, 0, max));
        }
      }
    }
  }
}

/* FNV-1a of the ref and the dist bytes. */
static gchar *
seq_hash (const Sequence * s)
{
  guint32 h = 0x811c9dc5u;
  const gsize n = s->frame_size * s->n_frames;

  for (gsize i = 0; i < n; i++)
    h = (h ^ s->ref[i]) * 0x01000193u;
  for (gsize i = 0; i < n; i++)
    h = (h ^ s->dist[i]) * 0x01000193u;
  return g_strdup_printf ("%08x", h);
}

static const gchar *
dump_dir (void)
{
  const gchar *d = g_getenv ("ESTQUALITY_ANCHORS_DUMP");
  return d && *d ? d : NULL;
}

static void
dump_file (const gchar * name, const gchar * suffix, const guint8 * data,
    gsize len)
{
  gchar *base = g_strconcat (name, suffix, NULL);
  gchar *path = g_build_filename (dump_dir (), base, NULL);
  GError *err = NULL;

  fail_unless (g_file_set_contents (path, (const gchar *) data, len, &err),
      "%s", err ? err->message : path);
  g_free (path);
  g_free (base);
}

/* Marks a case as not run in dump mode, so that the regeneration script
 * refuses to write an anchor file without it. */
static void
skip_case (const gchar * name, const gchar * why)
{
  g_print ("SKIP: %s: %s\n", name, why);
  GST_INFO ("skipping %s: %s", name, why);
  if (dump_dir ())
    dump_file (name, ".skipped", (const guint8 *) why, strlen (why));
}

/* NAME.info: name, GStreamer format, FFmpeg pix_fmt, width, height,
 * frames, hash. */
static void
dump_sequence (const Sequence * s)
{
  gchar *hash = seq_hash (s);
  gchar *info = g_strdup_printf ("%s %s %s %d %d %u %s\n", s->name,
      gst_format (s), s->depth > 8 ? "yuv420p10le" : "yuv420p", s->width,
      s->height, s->n_frames, hash);

  dump_file (s->name, ".ref.yuv", s->ref, s->frame_size * s->n_frames);
  dump_file (s->name, ".dist.yuv", s->dist, s->frame_size * s->n_frames);
  dump_file (s->name, ".info", (const guint8 *) info, strlen (info));
  g_free (info);
  g_free (hash);
}

static void
anchor_free (Anchor * a)
{
  g_free (a->format);
  g_free (a->hash);
  g_array_unref (a->values);
  g_free (a);
}

static gdouble
parse_value (const gchar * str)
{
  gchar *end = NULL;
  gdouble v;

  if (g_str_equal (str, "inf"))
    return INFINITY;
  v = g_ascii_strtod (str, &end);
  fail_unless (end != str && *end == '\0', "bad value \"%s\" in %s", str,
      ANCHORS_PATH);
  return v;
}

/* name -> Anchor, read once per process. Lines:
 *   case NAME FORMAT WIDTH HEIGHT FRAMES HASH
 *   frame NAME INDEX PSNR_Y PSNR_U PSNR_V PSNR_AVG SSIM_Y */
static GHashTable *
anchors (void)
{
  static GHashTable *table = NULL;
  gchar *text = NULL, **lines;
  GError *err = NULL;

  if (table)
    return table;
  fail_unless (g_file_get_contents (ANCHORS_PATH, &text, NULL, &err),
      "%s (regenerate with estquality-anchors.sh)", err ? err->message : "");
  table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) anchor_free);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    gchar **f = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);
    guint n = g_strv_length (f);

    if (n == 0 || f[0][0] == '\0' || f[0][0] == '#') {
      g_strfreev (f);
      continue;
    }
    if (g_str_equal (f[0], "case")) {
      Anchor *a = g_new0 (Anchor, 1);
      fail_unless_equals_int (n, 7);
      a->format = g_strdup (f[2]);
      a->width = atoi (f[3]);
      a->height = atoi (f[4]);
      a->n_frames = atoi (f[5]);
      a->hash = g_strdup (f[6]);
      a->values = g_array_new (FALSE, FALSE, sizeof (gdouble) * N_VALUES);
      g_hash_table_replace (table, g_strdup (f[1]), a);
    } else {
      Anchor *a = g_hash_table_lookup (table, f[1]);
      gdouble v[N_VALUES];
      fail_unless (g_str_equal (f[0], "frame") && n == 3 + N_VALUES,
          "%s line %u: bad line", ANCHORS_PATH, i + 1);
      fail_unless (a != NULL, "%s line %u: frame before its case",
          ANCHORS_PATH, i + 1);
      fail_unless_equals_int (atoi (f[2]), a->values->len);
      for (guint k = 0; k < N_VALUES; k++)
        v[k] = parse_value (f[3 + k]);
      g_array_append_vals (a->values, v, 1);
    }
    g_strfreev (f);
  }
  g_strfreev (lines);
  g_free (text);
  return table;
}

static GstBuffer *
make_buffer (const Sequence * s, const GstVideoInfo * info,
    const guint8 * frame, guint index)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  const gint bps = bytes_per_sample (s);
  GstVideoFrame vf;

  fail_unless (gst_video_frame_map (&vf, info, buf, GST_MAP_WRITE));
  for (gint p = 0; p < 3; p++) {
    const guint8 *src = frame + plane_offset (s, p);
    guint8 *dst = GST_VIDEO_FRAME_PLANE_DATA (&vf, p);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&vf, p);
    gsize row = (gsize) plane_w (s, p) * bps;
    for (gint y = 0; y < plane_h (s, p); y++)
      memcpy (dst + (gsize) y * stride, src + y * row, row);
  }
  gst_video_frame_unmap (&vf);
  GST_BUFFER_PTS (buf) = index * FRAME_DUR;
  GST_BUFFER_DURATION (buf) = FRAME_DUR;
  return buf;
}

static void
push_sequence (GstElement * pipeline, const gchar * name, const Sequence * s,
    const guint8 * data)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstCaps *caps = gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, gst_format (s),
      "width", G_TYPE_INT, s->width, "height", G_TYPE_INT, s->height,
      "framerate", GST_TYPE_FRACTION, FPS, 1, NULL);
  GstVideoInfo info;

  fail_unless (gst_video_info_from_caps (&info, caps));
  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME,
      "max-bytes", (guint64) 0, NULL);
  for (guint i = 0; i < s->n_frames; i++)
    gst_app_src_push_buffer (GST_APP_SRC (src), make_buffer (s, &info,
            data + i * s->frame_size, i));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_caps_unref (caps);
  gst_object_unref (src);
}

/* Runs the sequence through estquality; returns gdouble[N_VALUES] per
 * measured frame. */
static GArray *
measure (const Sequence * s)
{
  GstElement *pipeline = gst_parse_launch ("appsrc name=ref ! q.ref "
      "appsrc name=dist ! q.dist estquality name=q metrics=psnr+ssim ! "
      "fakesink sync=false", NULL);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gdouble) * N_VALUES);
  GList *messages = NULL, *frames;
  GstMessage *error = NULL;

  fail_unless (pipeline != NULL);
  push_sequence (pipeline, "ref", s, s->ref);
  push_sequence (pipeline, "dist", s, s->dist);
  fail_unless (est_test_run_pipeline (pipeline, RUN_TIMEOUT, &messages,
          &error), "%s: estquality did not reach EOS", s->name);
  fail_unless (error == NULL);

  frames = est_test_filter_messages (messages, "estquality");
  for (GList * l = frames; l; l = l->next) {
    gdouble v[N_VALUES];
    guint64 index = G_MAXUINT64;
    fail_unless (gst_structure_get_uint64 (l->data, "frame", &index));
    fail_unless_equals_uint64 (index, out->len);
    for (guint k = 0; k < N_VALUES; k++)
      fail_unless (gst_structure_get_double (l->data, value_fields[k], &v[k]),
          "%s: no %s in %" GST_PTR_FORMAT, s->name, value_fields[k], l->data);
    g_array_append_vals (out, v, 1);
  }
  g_list_free (frames);
  g_list_free_full (messages, (GDestroyNotify) gst_message_unref);
  gst_object_unref (pipeline);
  return out;
}

/* Distorts, then dumps or measures and compares with the stored values. */
static void
check_sequence (Sequence * s)
{
  GString *errors = g_string_new (NULL);
  gdouble max_psnr = 0.0, max_ssim = 0.0;
  guint inf_skipped = 0;
  const Anchor *a;
  GArray *got;
  gchar *hash;

  distort (s);
  if (dump_dir ()) {
    dump_sequence (s);
    got = measure (s);
    fail_unless_equals_int (got->len, s->n_frames);
    g_array_unref (got);
    g_string_free (errors, TRUE);
    return;
  }

  a = g_hash_table_lookup (anchors (), s->name);
  fail_unless (a != NULL, "%s: no anchors in %s (regenerate with "
      "estquality-anchors.sh)", s->name, ANCHORS_PATH);
  hash = seq_hash (s);
  fail_unless (g_str_equal (a->format, gst_format (s)) &&
      a->width == s->width && a->height == s->height &&
      a->n_frames == s->n_frames && g_str_equal (a->hash, hash),
      "%s: the input is not the one the anchors were made from: %s %dx%d "
      "%u frames hash %s, anchors %s %dx%d %u frames hash %s", s->name,
      gst_format (s), s->width, s->height, s->n_frames, hash, a->format,
      a->width, a->height, a->n_frames, a->hash);
  g_free (hash);
  fail_unless_equals_int (a->values->len, s->n_frames);

  got = measure (s);
  fail_unless_equals_int (got->len, s->n_frames);
  for (guint i = 0; i < s->n_frames; i++) {
    const gdouble *want = (const gdouble *) (a->values->data) + i * N_VALUES;
    const gdouble *have = (const gdouble *) (got->data) + i * N_VALUES;
    for (guint k = 0; k < N_VALUES; k++) {
      gboolean is_psnr = k < 4;
      gdouble tol = is_psnr ? PSNR_TOL : SSIM_TOL, d;

      /* FFmpeg's inf (identical planes) is estquality's cap. */
      if (is_psnr && isinf (want[k])) {
        inf_skipped++;
        if (have[k] != 100.0)
          g_string_append_printf (errors, "\n  frame %u %s: %.6f, FFmpeg "
              "inf (want the 100 dB cap)", i, value_fields[k], have[k]);
        continue;
      }
      d = fabs (have[k] - want[k]);
      if (is_psnr)
        max_psnr = MAX (max_psnr, d);
      else
        max_ssim = MAX (max_ssim, d);
      if (!(d <= tol))
        g_string_append_printf (errors, "\n  frame %u %s: %.6f, FFmpeg %.6f "
            "(|d| %.6f > %g)", i, value_fields[k], have[k], want[k], d, tol);
    }
  }
  g_print ("%s: %u frames, max |d| psnr %.4f dB, ssim %.6f; %u inf PSNR "
      "values (identical planes) not compared\n", s->name, s->n_frames,
      max_psnr, max_ssim, inf_skipped);
  fail_unless (errors->len == 0, "%s disagrees with FFmpeg:%s", s->name,
      errors->str);
  g_string_free (errors, TRUE);
  g_array_unref (got);
}

static void
check_generated (const gchar * name, gint width, gint height, gint depth,
    guint n_frames)
{
  Sequence s;

  seq_init (&s, name, width, height, depth, n_frames);
  generate (&s);
  check_sequence (&s);
  seq_clear (&s);
}

/* Copies decoded frames into the packed layout; s is set up on the first
 * frame. */
static void
take_frame (Sequence * s, const gchar * name, guint n_frames,
    GstSample * sample, guint index)
{
  GstVideoInfo info;
  GstVideoFrame vf;

  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  if (index == 0)
    seq_init (s, name, GST_VIDEO_INFO_WIDTH (&info),
        GST_VIDEO_INFO_HEIGHT (&info), GST_VIDEO_INFO_COMP_DEPTH (&info, 0),
        n_frames);
  fail_unless (GST_VIDEO_INFO_WIDTH (&info) == s->width &&
      GST_VIDEO_INFO_HEIGHT (&info) == s->height, "%s: size changed", name);
  fail_unless (gst_video_frame_map (&vf, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ));
  for (gint p = 0; p < 3; p++) {
    const guint8 *src = GST_VIDEO_FRAME_PLANE_DATA (&vf, p);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&vf, p);
    gsize row = (gsize) plane_w (s, p) * bytes_per_sample (s);
    guint8 *dst = s->ref + index * s->frame_size + plane_offset (s, p);
    for (gint y = 0; y < plane_h (s, p); y++)
      memcpy (dst + y * row, src + (gsize) y * stride, row);
  }
  gst_video_frame_unmap (&vf);
}

/* Decodes the first n_frames of a clip with real GStreamer elements (libav
 * decoders are bit-exact and deterministic, so the stored values stay
 * valid). Returns FALSE after printing why when the clip or an element is
 * missing. */
static gboolean
decode_clip (Sequence * s, const gchar * name, const gchar * file,
    const gchar * chain, const gchar * format, guint n_frames)
{
  const gchar *media = est_test_media_dir ();
  GstElement *pipeline, *sink;
  GError *err = NULL;
  gchar *path, *desc;
  guint got = 0;

  if (!media) {
    skip_case (name, "no media folder ($ESTUARY_MEDIA_DIR)");
    return FALSE;
  }
  path = g_build_filename (media, file, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    gchar *why = g_strdup_printf ("no clip %s", path);
    skip_case (name, why);
    g_free (why);
    g_free (path);
    return FALSE;
  }
  /* appsink holds few frames: the rest of the clip is never decoded. */
  desc = g_strdup_printf ("filesrc location=\"%s\" ! %s ! appsink name=sink "
      "sync=false max-buffers=2 caps=video/x-raw,format=%s", path, chain,
      format);
  pipeline = gst_parse_launch (desc, &err);
  if (!pipeline || err) {
    gchar *why = g_strdup_printf ("cannot decode it (%s)",
        err ? err->message : "no pipeline");
    skip_case (name, why);
    g_free (why);
    g_clear_error (&err);
    gst_clear_object (&pipeline);
    g_free (desc);
    g_free (path);
    return FALSE;
  }

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE, "%s: cannot start %s", name, desc);
  while (got < n_frames) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        RUN_TIMEOUT * GST_SECOND);
    if (!sample)
      break;
    take_frame (s, name, n_frames, sample, got++);
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless_equals_int (got, n_frames);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (path);
  return TRUE;
}

static void
check_clip (const gchar * name, const gchar * file, const gchar * chain,
    const gchar * format, guint n_frames)
{
  Sequence s;

  if (!decode_clip (&s, name, file, chain, format, n_frames))
    return;
  check_sequence (&s);
  seq_clear (&s);
}

static void
setup (void)
{
  est_test_check_plugin_origin ();
}

GST_START_TEST (test_generated_8bit_agrees_with_ffmpeg)
{
  check_generated ("gen-i420-320x240", 320, 240, 8, 8);
}

GST_END_TEST;

/* Odd sizes: chroma planes rounded up, SSIM windows not covering the last
 * columns and rows; both must follow FFmpeg. */
GST_START_TEST (test_generated_odd_size_agrees_with_ffmpeg)
{
  check_generated ("gen-i420-175x99", 175, 99, 8, 4);
}

GST_END_TEST;

GST_START_TEST (test_generated_10bit_agrees_with_ffmpeg)
{
  check_generated ("gen-i420-10le-320x240", 320, 240, 10, 8);
}

GST_END_TEST;

GST_START_TEST (test_foreman_8bit_agrees_with_ffmpeg)
{
  check_clip ("foreman-cif", "foreman_cif_intra_h264.264",
      "h264parse ! avdec_h264", "I420", 30);
}

GST_END_TEST;

GST_START_TEST (test_rooftops_hdr10_agrees_with_ffmpeg)
{
  check_clip ("rooftops-1080p-10bit", "hdr10_rooftops_1080p30_hevc.mp4",
      "qtdemux name=demux demux.video_0 ! h265parse ! avdec_h265",
      "I420_10LE", 5);
}

GST_END_TEST;

static Suite *
estquality_anchors_suite (void)
{
  Suite *s = suite_create ("estquality-anchors");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, NULL);
  tcase_add_test (tc, test_generated_8bit_agrees_with_ffmpeg);
  tcase_add_test (tc, test_generated_odd_size_agrees_with_ffmpeg);
  tcase_add_test (tc, test_generated_10bit_agrees_with_ffmpeg);
  tcase_add_test (tc, test_foreman_8bit_agrees_with_ffmpeg);
  tcase_add_test (tc, test_rooftops_hdr10_agrees_with_ffmpeg);
  return s;
}

GST_CHECK_MAIN (estquality_anchors);
