/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* sys/device: the `device` property vocabulary and render-node discovery. */

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "device.h"

static void
test_parse_accepts_the_four_forms (void)
{
  EstDeviceKind kind = EST_DEVICE_CPU;
  gchar *path = (gchar *) "unchanged";

  g_assert_true (est_device_parse (NULL, &kind, &path, NULL));
  g_assert_cmpint (kind, ==, EST_DEVICE_AUTO);
  g_assert_null (path);
  g_assert_true (est_device_parse ("", &kind, NULL, NULL));
  g_assert_cmpint (kind, ==, EST_DEVICE_AUTO);
  g_assert_true (est_device_parse ("auto", &kind, NULL, NULL));
  g_assert_cmpint (kind, ==, EST_DEVICE_AUTO);
  g_assert_true (est_device_parse ("cpu", &kind, NULL, NULL));
  g_assert_cmpint (kind, ==, EST_DEVICE_CPU);
  g_assert_true (est_device_parse ("virtual", &kind, NULL, NULL));
  g_assert_cmpint (kind, ==, EST_DEVICE_VIRTUAL);
  g_assert_true (est_device_parse ("/dev/dri/renderD128", &kind, &path, NULL));
  g_assert_cmpint (kind, ==, EST_DEVICE_PATH);
  g_assert_cmpstr (path, ==, "/dev/dri/renderD128");
  g_free (path);
}

static void
test_parse_rejects_unknown_with_a_message (void)
{
  const gchar *bad[] = { "gpu", "CPU", "renderD128", "dev/dri/renderD128" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    GError *err = NULL;
    EstDeviceKind kind;
    g_assert_false (est_device_parse (bad[i], &kind, NULL, &err));
    g_assert_error (err, EST_DEVICE_ERROR, EST_DEVICE_ERROR_INVALID);
    g_assert_nonnull (strstr (err->message, bad[i]));
    g_clear_error (&err);
  }
}

static void
test_render_nodes_lists_only_character_devices (void)
{
  gchar *dir = g_dir_make_tmp ("estdevice-XXXXXX", NULL);
  gchar *plain = g_build_filename (dir, "renderD128", NULL);
  gchar *card = g_build_filename (dir, "card0", NULL);
  gchar **nodes;

  g_assert_nonnull (dir);
  g_assert_true (g_file_set_contents (plain, "", 0, NULL));
  nodes = est_device_list_render_nodes (dir);
  g_assert_cmpuint (g_strv_length (nodes), ==, 0);
  g_strfreev (nodes);

  /* Real character devices need root (mknod); /dev/null's numbers do. */
  if (geteuid () == 0) {
    gchar *n1 = g_build_filename (dir, "renderD1000", NULL);
    gchar *n2 = g_build_filename (dir, "renderD129", NULL);
    g_unlink (plain);
    g_assert_cmpint (mknod (n1, S_IFCHR | 0600, makedev (1, 3)), ==, 0);
    g_assert_cmpint (mknod (n2, S_IFCHR | 0600, makedev (1, 3)), ==, 0);
    g_assert_cmpint (mknod (card, S_IFCHR | 0600, makedev (1, 3)), ==, 0);
    nodes = est_device_list_render_nodes (dir);
    g_assert_cmpuint (g_strv_length (nodes), ==, 2);
    g_assert_cmpstr (nodes[0], ==, n2);
    g_assert_cmpstr (nodes[1], ==, n1);
    g_strfreev (nodes);
    g_unlink (n1);
    g_unlink (n2);
    g_unlink (card);
    g_free (n1);
    g_free (n2);
  } else {
    g_test_message ("not root: character-device half skipped");
  }
  g_unlink (plain);
  g_rmdir (dir);
  g_free (plain);
  g_free (card);
  g_free (dir);
}

static void
test_render_nodes_of_missing_folder_is_empty (void)
{
  gchar **nodes = est_device_list_render_nodes ("/nonexistent/estuary");
  g_assert_nonnull (nodes);
  g_assert_cmpuint (g_strv_length (nodes), ==, 0);
  g_strfreev (nodes);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/device/parse-accepts-the-four-forms",
      test_parse_accepts_the_four_forms);
  g_test_add_func ("/device/parse-rejects-unknown-with-a-message",
      test_parse_rejects_unknown_with_a_message);
  g_test_add_func ("/device/render-nodes-lists-only-character-devices",
      test_render_nodes_lists_only_character_devices);
  g_test_add_func ("/device/render-nodes-of-missing-folder-is-empty",
      test_render_nodes_of_missing_folder_is_empty);
  return g_test_run ();
}
