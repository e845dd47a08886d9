/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "device.h"

#include <string.h>
#include <sys/stat.h>

GQuark
est_device_error_quark (void)
{
  return g_quark_from_static_string ("est-device-error-quark");
}

gboolean
est_device_parse (const gchar * spec, EstDeviceKind * kind, gchar ** path,
    GError ** error)
{
  if (path)
    *path = NULL;

  if (!spec || !*spec || g_str_equal (spec, "auto")) {
    *kind = EST_DEVICE_AUTO;
  } else if (g_str_equal (spec, "cpu")) {
    *kind = EST_DEVICE_CPU;
  } else if (g_str_equal (spec, "virtual")) {
    *kind = EST_DEVICE_VIRTUAL;
  } else if (g_path_is_absolute (spec)) {
    *kind = EST_DEVICE_PATH;
    if (path)
      *path = g_strdup (spec);
  } else {
    g_set_error (error, EST_DEVICE_ERROR, EST_DEVICE_ERROR_INVALID,
        "Invalid device \"%s\": expected auto, cpu, virtual or the absolute "
        "path of a DRM render node such as /dev/dri/renderD128", spec);
    return FALSE;
  }
  return TRUE;
}

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  /* Numeric order: renderD129 before renderD1000. */
  const gchar *x = *(const gchar * const *) a, *y = *(const gchar * const *) b;
  gsize lx = strlen (x), ly = strlen (y);
  return lx != ly ? (lx < ly ? -1 : 1) : strcmp (x, y);
}

gchar **
est_device_list_render_nodes (const gchar * dir)
{
  GPtrArray *nodes = g_ptr_array_new ();
  GDir *d;
  const gchar *name;

  if (!dir)
    dir = "/dev/dri";
  d = g_dir_open (dir, 0, NULL);
  if (d) {
    while ((name = g_dir_read_name (d))) {
      struct stat st;
      gchar *p;

      if (!g_str_has_prefix (name, "renderD"))
        continue;
      p = g_build_filename (dir, name, NULL);
      if (stat (p, &st) == 0 && S_ISCHR (st.st_mode))
        g_ptr_array_add (nodes, p);
      else
        g_free (p);
    }
    g_dir_close (d);
  }
  g_ptr_array_sort (nodes, compare_paths);
  g_ptr_array_add (nodes, NULL);
  return (gchar **) g_ptr_array_free (nodes, FALSE);
}
