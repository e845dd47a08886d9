/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* est-transcode: transcode a file (or a test pattern) to H.264, HEVC or AV1
 * in MP4 with Estuary's encoders and measure the result against its source
 * with estquality, in one pipeline:
 *
 *   source -> decode -> convert -> tee -+-> encode -> parse -> tee -+-> mux -> file
 *                                       |                           |
 *                                       |                 estdec <--+
 *                                       |                   |
 *                                       +----> estquality (ref, dist)
 *
 * It prints what it did: input, output, frames, size, bitrate, speed and
 * the quality summary. See docs/tools/est-transcode.md. */

#include <stdio.h>
#include <stdlib.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

typedef struct
{
  const gchar *name;            /* --codec */
  const gchar *encoder, *parser, *decoder;
} Codec;

static const Codec codecs[] = {
  {"h264", "esth264enc", "h264parse", "estdec"},
  {"h265", "esth265enc", "h265parse", "estdec"},
  {"av1", "estav1enc", "av1parse", "estdec"},
};

typedef struct
{
  gchar *input;
  gchar *output;
  gchar *codec_name;
  const Codec *codec;
  gint bitrate;                 /* kbit/s */
  gint frames;                  /* test pattern length */
  gint width, height;           /* test pattern size */
} Options;

static gchar *
build_description (const Options * o)
{
  gchar *src, *desc, *out_escaped;

  if (o->input) {
    gchar *uri = gst_filename_to_uri (o->input, NULL);
    /* (ANY): decoders that can also output other memory or interlaced
     * video are still picked. */
    src = g_strdup_printf ("uridecodebin uri=\"%s\" expose-all-streams=false "
        "caps=\"video/x-raw(ANY)\"", uri);
    g_free (uri);
  } else {
    /* Scrolling bars with a moving zone plate: motion and fine detail, so
     * the bitrate matters. */
    src = g_strdup_printf ("videotestsrc num-buffers=%d pattern=zone-plate "
        "kx2=20 ky2=20 kt=1 ! video/x-raw,width=%d,height=%d,framerate=30/1",
        o->frames, o->width, o->height);
  }
  out_escaped = g_strescape (o->output, NULL);
  desc = g_strdup_printf ("%s ! videoconvert ! video/x-raw,format=I420 ! "
      "tee name=raw "
      "raw. ! queue max-size-buffers=64 ! %s name=enc rate-control=vbr "
      "bitrate=%d speed-preset=faster ! %s ! tee name=coded "
      "coded. ! queue ! mp4mux ! filesink name=file location=\"%s\" "
      "coded. ! queue ! %s ! q.dist "
      /* The reference waits here while the encoder fills its lookahead:
       * size the queue by time, deeper than any x264 preset's latency. */
      "raw. ! queue max-size-buffers=0 max-size-bytes=0 "
      "max-size-time=10000000000 ! q.ref "
      "estquality name=q ! fakesink", src, o->codec->encoder, o->bitrate,
      o->codec->parser, out_escaped, o->codec->decoder);
  g_free (out_escaped);
  g_free (src);
  return desc;
}

static void
print_summary (const GstStructure * s, const Options * o, gdouble seconds)
{
  guint64 frames = 0, size = 0;
  gdouble psnr = 0, ssim_db = 0, msssim_db = 0, msssim_min = 0;
  GStatBuf st;

  gst_structure_get_uint64 (s, "frames", &frames);
  gst_structure_get_double (s, "psnr-avg-global", &psnr);
  gst_structure_get_double (s, "ssim-db-mean", &ssim_db);
  gst_structure_get_double (s, "msssim-db-mean", &msssim_db);
  gst_structure_get_double (s, "msssim-db-min", &msssim_min);
  if (g_stat (o->output, &st) == 0)
    size = st.st_size;

  printf ("est-transcode: %s -> %s (%s, %d kbit/s)\n", o->input ? o->input :
      "test pattern", o->output, o->codec->encoder, o->bitrate);
  printf ("  frames        %" G_GUINT64_FORMAT "\n", frames);
  printf ("  output size   %" G_GUINT64_FORMAT " bytes\n", size);
  printf ("  time          %.2f s (%.1f frames/s)\n", seconds,
      seconds > 0 ? frames / seconds : 0.0);
  printf ("  quality       PSNR %.2f dB, SSIM %.2f dB, MS-SSIM %.2f dB "
      "(worst frame %.2f dB)\n", psnr, ssim_db, msssim_db, msssim_min);
}

static gboolean
parse_options (int argc, char **argv, Options * o)
{
  GError *err = NULL;
  GOptionEntry entries[] = {
    {"input", 'i', 0, G_OPTION_ARG_FILENAME, &o->input,
        "File to transcode (default: a test pattern)", "FILE"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output,
        "MP4 file to write (default: estuary-demo.mp4)", "FILE"},
    {"codec", 'c', 0, G_OPTION_ARG_STRING, &o->codec_name,
        "h264, h265 or av1 (default: h264)", "CODEC"},
    {"bitrate", 'b', 0, G_OPTION_ARG_INT, &o->bitrate,
        "Target bitrate in kbit/s (default: 1000)", "KBPS"},
    {"frames", 'n', 0, G_OPTION_ARG_INT, &o->frames,
        "Test pattern length in frames (default: 150)", "N"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- transcode and measure");
  gboolean ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  ok = g_option_context_parse (ctx, &argc, &argv, &err);
  if (!ok) {
    fprintf (stderr, "est-transcode: %s\n", err->message);
    g_clear_error (&err);
  } else if (o->bitrate < 1 || o->frames < 1) {
    fprintf (stderr, "est-transcode: --bitrate and --frames must be "
        "positive\n");
    ok = FALSE;
  } else if (o->input && !g_file_test (o->input, G_FILE_TEST_IS_REGULAR)) {
    fprintf (stderr, "est-transcode: no such file: %s\n", o->input);
    ok = FALSE;
  }
  if (ok) {
    const gchar *want = o->codec_name ? o->codec_name : "h264";
    for (guint i = 0; i < G_N_ELEMENTS (codecs); i++)
      if (g_str_equal (want, codecs[i].name))
        o->codec = &codecs[i];
    if (!o->codec) {
      fprintf (stderr, "est-transcode: unknown codec %s (h264, h265, av1)\n",
          want);
      ok = FALSE;
    }
  }
  g_option_context_free (ctx);
  return ok;
}

int
main (int argc, char **argv)
{
  Options o = {.bitrate = 1000,.frames = 150,.width = 1280,.height = 720 };
  GstElement *pipeline;
  GstStructure *summary = NULL;
  GError *err = NULL;
  gchar *desc;
  gint64 start;
  int status = 0;

  if (!parse_options (argc, argv, &o))
    return 2;
  if (!o.output)
    o.output = g_strdup ("estuary-demo.mp4");

  desc = build_description (&o);
  pipeline = gst_parse_launch_full (desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
      &err);
  if (!pipeline) {
    fprintf (stderr, "est-transcode: could not build the pipeline: %s\n"
        "  %s\n", err->message, desc);
    g_clear_error (&err);
    g_free (desc);
    return 1;
  }

  start = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline);
  for (gboolean done = FALSE; !done;) {
    GstMessage *msg = gst_bus_timed_pop (bus, GST_CLOCK_TIME_NONE);
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_EOS:
        done = TRUE;
        break;
      case GST_MESSAGE_ERROR:{
        gchar *dbg = NULL;
        gst_message_parse_error (msg, &err, &dbg);
        fprintf (stderr, "est-transcode: error from %s: %s\n  %s\n",
            GST_OBJECT_NAME (msg->src), err->message, dbg ? dbg : "");
        g_clear_error (&err);
        g_free (dbg);
        status = 1;
        done = TRUE;
        break;
      }
      case GST_MESSAGE_ELEMENT:{
        const GstStructure *s = gst_message_get_structure (msg);
        if (gst_structure_has_name (s, "estquality-summary"))
          summary = gst_structure_copy (s);
        break;
      }
      default:
        break;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  if (status == 0 && summary)
    print_summary (summary, &o, (g_get_monotonic_time () - start) / 1e6);
  else if (status == 0) {
    fprintf (stderr, "est-transcode: the stream ended without a quality "
        "summary\n");
    status = 1;
  }

  if (summary)
    gst_structure_free (summary);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (o.input);
  g_free (o.output);
  g_free (o.codec_name);
  return status;
}
