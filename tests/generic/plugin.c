/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The plugin under test is the build's, and it exposes exactly the elements
 * the build configured. Under a sanitizer a plugin that fails to load is
 * blacklisted silently; this test is what notices. */

#include <gst/check/gstcheck.h>

#include "esttest.h"

GST_START_TEST (test_plugin_is_from_build_tree)
{
  est_test_check_plugin_origin ();
}

GST_END_TEST;

GST_START_TEST (test_every_configured_element_is_registered)
{
  const gchar *list = g_getenv ("ESTUARY_ELEMENTS");
  gchar **names;
  GList *features;
  guint n_expected = 0;

  fail_unless (list != NULL, "ESTUARY_ELEMENTS is not set");
  names = g_strsplit (list, " ", -1);
  for (gchar ** n = names; *n; n++) {
    GstElementFactory *f;
    GstElement *e;

    if (!**n)
      continue;
    n_expected++;
    f = gst_element_factory_find (*n);
    fail_unless (f != NULL, "element %s is missing from the registry", *n);
    fail_unless_equals_string (gst_plugin_feature_get_plugin_name
        (GST_PLUGIN_FEATURE (f)), "estuary");
    e = gst_element_factory_create (f, NULL);
    fail_unless (e != NULL, "element %s cannot be created", *n);
    gst_object_unref (e);
    gst_object_unref (f);
  }
  g_strfreev (names);

  features = gst_registry_get_feature_list_by_plugin (gst_registry_get (),
      "estuary");
  fail_unless_equals_int (g_list_length (features), n_expected);
  gst_plugin_feature_list_free (features);
}

GST_END_TEST;

static Suite *
plugin_suite (void)
{
  Suite *s = suite_create ("plugin");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_plugin_is_from_build_tree);
  tcase_add_test (tc, test_every_configured_element_is_registered);
  return s;
}

GST_CHECK_MAIN (plugin);
