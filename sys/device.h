/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_DEVICE_H
#define EST_DEVICE_H

#include <glib.h>

G_BEGIN_DECLS

/* What an element's `device` property asks for. */
typedef enum
{
  EST_DEVICE_AUTO,              /* a VA device that supports the job, else CPU */
  EST_DEVICE_CPU,               /* the CPU backend (software libraries) */
  EST_DEVICE_VIRTUAL,           /* the built-in virtual accelerator */
  EST_DEVICE_PATH,              /* one DRM render node, by path */
} EstDeviceKind;

#define EST_DEVICE_ERROR (est_device_error_quark ())
GQuark est_device_error_quark (void);

typedef enum
{
  EST_DEVICE_ERROR_INVALID,     /* the spec is not one of the forms */
} EstDeviceError;

/* Parses a `device` property value: "auto", "cpu", "virtual", or an
 * absolute path to a DRM render node ("/dev/dri/renderD128"). NULL or ""
 * mean "auto". On success sets *kind and, for EST_DEVICE_PATH, *path to a
 * newly allocated copy (else NULL); path may be NULL when the caller does
 * not need it. On failure returns FALSE and sets error. */
gboolean est_device_parse (const gchar * spec, EstDeviceKind * kind,
    gchar ** path, GError ** error);

/* The DRM render nodes present, sorted ("/dev/dri/renderD128", ...). dir is
 * the folder to scan; NULL means "/dev/dri". Returns a NULL-terminated
 * array, empty when there are none; free with g_strfreev (). */
gchar **est_device_list_render_nodes (const gchar * dir);

G_END_DECLS

#endif
