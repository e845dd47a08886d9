/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Every element of the estuary plugin, found through the registry so that
 * elements added later are covered without touching this test, goes
 * through NULL -> READY -> PAUSED -> PLAYING -> NULL several times, with no
 * data, and leaves no pad or buffer behind (checked with GStreamer's leaks
 * tracer, filtered to those types). */

#include <gst/check/gstcheck.h>

#include "esttest.h"

#define CYCLES 3

static GstTracer *
find_leaks_tracer (void)
{
  GList *tracers = gst_tracing_get_active_tracers ();
  GstTracer *found = NULL;

  for (GList * l = tracers; l; l = l->next)
    if (!found && g_str_equal (G_OBJECT_TYPE_NAME (l->data), "GstLeaksTracer"))
      found = gst_object_ref (l->data);
  g_list_free_full (tracers, gst_object_unref);
  return found;
}

/* The "address" of every entry of a checkpoint list. */
static GHashTable *
addresses (const GstStructure * checkpoint, const gchar * field)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  const GValue *list = gst_structure_get_value (checkpoint, field);

  fail_unless (list && GST_VALUE_HOLDS_LIST (list), "no %s", field);
  for (guint i = 0; i < gst_value_list_get_size (list); i++) {
    const GstStructure *s =
        gst_value_get_structure (gst_value_list_get_value (list, i));
    const gchar *type = gst_structure_get_string (s, "type-name");
    const gchar *addr = gst_structure_get_string (s, "address");
    g_hash_table_add (set, g_strdup_printf ("%s@%s", type, addr));
  }
  return set;
}

static void
cycle_states (GstElement * e)
{
  static const GstState order[] = { GST_STATE_READY, GST_STATE_PAUSED,
    GST_STATE_PLAYING, GST_STATE_PAUSED, GST_STATE_READY, GST_STATE_NULL
  };

  for (guint i = 0; i < G_N_ELEMENTS (order); i++) {
    GstStateChangeReturn ret = gst_element_set_state (e, order[i]);
    fail_if (ret == GST_STATE_CHANGE_FAILURE, "%s failed to go to %s",
        GST_ELEMENT_NAME (e), gst_element_state_get_name (order[i]));
    /* Sinks complete PAUSED only with data: waiting is not required. */
    if (ret == GST_STATE_CHANGE_ASYNC && order[i] != GST_STATE_PAUSED)
      gst_element_get_state (e, NULL, NULL, 5 * GST_SECOND);
  }
}

GST_START_TEST (test_state_cycles_leave_no_pads_or_buffers)
{
  GstTracer *tracer = find_leaks_tracer ();
  GList *features;
  guint n = 0;

  fail_unless (tracer != NULL, "the leaks tracer is not active");
  est_test_check_plugin_origin ();

  features = gst_registry_get_feature_list_by_plugin (gst_registry_get (),
      "estuary");
  for (GList * l = features; l; l = l->next) {
    GstStructure *checkpoint = NULL;
    GHashTable *created, *removed;
    GHashTableIter iter;
    gpointer key;
    GString *leaked = g_string_new (NULL);
    GstElement *e;
    guint pads_before;

    if (!GST_IS_ELEMENT_FACTORY (l->data))
      continue;
    n++;
    g_signal_emit_by_name (tracer, "activity-start-tracking");
    e = gst_element_factory_create (GST_ELEMENT_FACTORY (l->data), NULL);
    fail_unless (e != NULL);
    pads_before = e->numpads;
    for (int c = 0; c < CYCLES; c++)
      cycle_states (e);
    fail_unless_equals_int (e->numpads, pads_before);
    ASSERT_OBJECT_REFCOUNT (e, GST_ELEMENT_NAME (e), 1);
    gst_object_unref (e);
    gst_task_cleanup_all ();

    g_signal_emit_by_name (tracer, "activity-get-checkpoint", &checkpoint);
    g_signal_emit_by_name (tracer, "activity-stop-tracking");
    fail_unless (checkpoint != NULL);
    /* The checkpoint lists what was created and what was freed since
     * tracking started: a leak is created and not freed. */
    created = addresses (checkpoint, "objects-created-list");
    removed = addresses (checkpoint, "objects-removed-list");
    g_hash_table_iter_init (&iter, created);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      if (!g_hash_table_contains (removed, key))
        g_string_append_printf (leaked, " %s", (const gchar *) key);
    fail_unless (leaked->len == 0, "%s leaked:%s", GST_OBJECT_NAME (l->data),
        leaked->str);
    g_string_free (leaked, TRUE);
    g_hash_table_unref (created);
    g_hash_table_unref (removed);
    gst_structure_free (checkpoint);
  }
  gst_plugin_feature_list_free (features);
  gst_object_unref (tracer);
  fail_unless (n > 0, "the estuary plugin has no elements");
}

GST_END_TEST;

static Suite *
states_suite (void)
{
  Suite *s = suite_create ("states");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_state_cycles_leave_no_pads_or_buffers);
  return s;
}

int
main (int argc, char **argv)
{
  /* Before gst_init: tracers are set up there. Pads and buffers only, so
   * GLib and registry objects alive for the process do not count. */
  g_setenv ("GST_TRACERS", "leaks(filters=\"GstPad,GstBuffer\","
      "stack-traces-flags=none)", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (states_suite (), "states", __FILE__);
}
