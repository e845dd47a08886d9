/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "esttest.h"

#include <stdarg.h>

#include <gst/check/gstcheck.h>

void
est_test_check_plugin_origin (void)
{
  const gchar *dir = g_getenv ("ESTUARY_PLUGIN_DIR");
  GstPlugin *plugin;
  gchar *want, *got_dir;

  fail_unless (dir != NULL, "ESTUARY_PLUGIN_DIR is not set: run the tests "
      "with meson test");
  plugin = gst_registry_find_plugin (gst_registry_get (), "estuary");
  fail_unless (plugin != NULL, "the estuary plugin is not in the registry "
      "(failed to load, or blacklisted: see GST_DEBUG=GST_PLUGIN_LOADING:4)");
  want = g_canonicalize_filename (dir, NULL);
  got_dir = g_path_get_dirname (gst_plugin_get_filename (plugin));
  fail_unless_equals_string (got_dir, want);
  g_free (got_dir);
  g_free (want);
  gst_object_unref (plugin);
}

const gchar *
est_test_media_dir (void)
{
  static gchar *dir = NULL;
  static gboolean looked = FALSE;

  if (!looked) {
    const gchar *env = g_getenv ("ESTUARY_MEDIA_DIR");
    if (env && g_file_test (env, G_FILE_TEST_IS_DIR))
      dir = g_canonicalize_filename (env, NULL);
    looked = TRUE;
  }
  return dir;
}

gboolean
est_test_run_pipeline (GstElement * pipeline, guint timeout_s,
    GList ** messages, GstMessage ** error_out)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gboolean eos = FALSE, done = FALSE;
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;

  if (error_out)
    *error_out = NULL;
  /* A failed start leaves its error on the bus. */
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  while (!done) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstMessage *msg;

    fail_unless (left > 0, "pipeline did not finish within %u s", timeout_s);
    msg = gst_bus_timed_pop (bus, left * GST_USECOND);
    if (!msg)
      continue;
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_EOS:
        eos = done = TRUE;
        break;
      case GST_MESSAGE_ERROR:
        if (error_out)
          *error_out = gst_message_ref (msg);
        else {
          GError *err = NULL;
          gchar *dbg = NULL;
          gst_message_parse_error (msg, &err, &dbg);
          GST_WARNING ("error: %s (%s)", err->message, dbg);
          g_clear_error (&err);
          g_free (dbg);
        }
        done = TRUE;
        break;
      case GST_MESSAGE_ELEMENT:
        if (messages)
          *messages = g_list_append (*messages, gst_message_ref (msg));
        break;
      default:
        break;
    }
    gst_message_unref (msg);
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  return eos;
}

GList *
est_test_filter_messages (GList * messages, const gchar * name)
{
  GList *out = NULL;

  for (GList * l = messages; l; l = l->next) {
    const GstStructure *s = gst_message_get_structure (l->data);
    if (s && gst_structure_has_name (s, name))
      out = g_list_append (out, (gpointer) s);
  }
  return out;
}

gboolean
est_test_have_elements (const gchar * what, const gchar * first, ...)
{
  const gchar *name = first;
  va_list args;
  gboolean ok = TRUE;

  va_start (args, first);
  while (name && ok) {
    GstElementFactory *f = gst_element_factory_find (name);
    if (f)
      gst_object_unref (f);
    else
      g_print ("SKIP %s: %s is not registered\n", what, name);
    ok = f != NULL;
    name = va_arg (args, const gchar *);
  }
  va_end (args);
  return ok;
}
