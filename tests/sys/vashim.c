/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* vashim: an LD_PRELOAD module, for tests only, that makes an ordinary file
 * pass for a DRM render node, so that VA clients which insist on one open
 * the virtual accelerator (estuary_drv_video.so) on a machine with no
 * /dev/dri. The file is named by ESTUARY_VASHIM_NODE; without it, and for
 * every other device or file descriptor, each call goes to the real function
 * (dlsym RTLD_NEXT). The driver itself is chosen by LIBVA_DRIVER_NAME.
 *
 * What it answers, and who asks:
 *
 *   g_udev_client_query_by_subsystem (client, "drm")
 *     GStreamer 1.22 va plugin, sys/va/gstvadevice.c
 *     gst_va_device_find_devices(): lists the devices to probe. Answered
 *     with one stand-in device (a plain GObject carrying the path).
 *   g_udev_device_get_device_file (), g_udev_device_get_name ()
 *     same function: the path to open, and a name that must start with
 *     "renderD". Answered for the stand-in device: the file, "renderD128".
 *   drmGetVersion (fd)
 *     GStreamer gst-libs/gst/va/gstvadisplay_drm.c
 *     gst_va_display_drm_create_va_display(): "not a DRM render node"
 *     without it; libva 2.17 va/drm/va_drm_utils.c (driver candidates, from
 *     the kernel driver name) in vaInitialize(). Answered with a version
 *     named "estuary", freed by the real drmFreeVersion() (plain malloc).
 *   drmGetNodeTypeFromFd (fd)
 *     libva 2.17 va/drm/va_drm.c vaGetDisplayDRM(): fails on a negative
 *     answer, and only a render node skips drmGetMagic()/drmAuthMagic().
 *     Answered DRM_NODE_RENDER. FFmpeg 5.1 libavutil/hwcontext_vaapi.c
 *     vaapi_device_create() opens the path and calls vaGetDisplayDRM()
 *     only, so it needs nothing more.
 *
 * A file descriptor is the node when fstat() gives the node's device and
 * inode, so dup()s and reopenings count too.
 */

#include <dlfcn.h>
#include <glib-object.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xf86drm.h>

#define NODE_KEY "estuary-vashim-node"

/* gudev's types stay opaque: the shim needs neither its headers nor it. */
GList *g_udev_client_query_by_subsystem (gpointer client,
    const gchar * subsystem);
const gchar *g_udev_device_get_device_file (gpointer device);
const gchar *g_udev_device_get_name (gpointer device);

/* The real function. RTLD_NEXT misses libraries that GStreamer loaded
 * with its plugin (RTLD_LOCAL); those are found by name, already loaded. */
static void *
find_real (const char *lib, const char *name)
{
  void *fn = dlsym (RTLD_NEXT, name), *handle;

  if (!fn && (handle = dlopen (lib, RTLD_LAZY | RTLD_NOLOAD))) {
    fn = dlsym (handle, name);
    dlclose (handle);
  }
  return fn;
}

#define REAL(lib, ret, name, ...) \
  static ret (*real) (__VA_ARGS__); \
  if (!real) \
    real = (ret (*) (__VA_ARGS__)) find_real (lib, name)

#define GUDEV "libgudev-1.0.so.0"
#define LIBDRM "libdrm.so.2"

static const char *
node_path (void)
{
  const char *path = getenv ("ESTUARY_VASHIM_NODE");

  return path && path[0] ? path : NULL;
}

static int
is_node (int fd)
{
  const char *path = node_path ();
  struct stat a, b;

  return path && fd >= 0 && fstat (fd, &a) == 0 && stat (path, &b) == 0
      && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static const char *
stand_in_path (gpointer device)
{
  return device ? g_object_get_data (G_OBJECT (device), NODE_KEY) : NULL;
}

GList *
g_udev_client_query_by_subsystem (gpointer client, const gchar * subsystem)
{
  REAL (GUDEV, GList *, "g_udev_client_query_by_subsystem", gpointer,
      const gchar *);
  const char *path = node_path ();
  GObject *device;

  if (!path || g_strcmp0 (subsystem, "drm") != 0)
    return real ? real (client, subsystem) : NULL;

  /* Only the stand-in, so that its elements get the plain names
   * (vapostproc, vah264enc) even where a real GPU is present. */
  device = g_object_new (G_TYPE_OBJECT, NULL);
  g_object_set_data_full (device, NODE_KEY, g_strdup (path), g_free);
  return g_list_append (NULL, device);
}

const gchar *
g_udev_device_get_device_file (gpointer device)
{
  REAL (GUDEV, const gchar *, "g_udev_device_get_device_file", gpointer);
  const char *path = stand_in_path (device);

  return path ? path : real ? real (device) : NULL;
}

const gchar *
g_udev_device_get_name (gpointer device)
{
  REAL (GUDEV, const gchar *, "g_udev_device_get_name", gpointer);

  return stand_in_path (device) ? "renderD128" : real ? real (device) : NULL;
}

drmVersionPtr
drmGetVersion (int fd)
{
  REAL (LIBDRM, drmVersionPtr, "drmGetVersion", int);
  static const char name[] = "estuary", date[] = "20260101",
      desc[] = "Estuary virtual accelerator (vashim stand-in node)";
  drmVersionPtr v;

  if (!is_node (fd))
    return real ? real (fd) : NULL;

  v = calloc (1, sizeof (*v));
  if (!v)
    return NULL;
  v->version_major = 1;
  v->name_len = strlen (name);
  v->name = strdup (name);
  v->date_len = strlen (date);
  v->date = strdup (date);
  v->desc_len = strlen (desc);
  v->desc = strdup (desc);
  return v;
}

int
drmGetNodeTypeFromFd (int fd)
{
  REAL (LIBDRM, int, "drmGetNodeTypeFromFd", int);

  if (is_node (fd))
    return DRM_NODE_RENDER;
  return real ? real (fd) : -1;
}
