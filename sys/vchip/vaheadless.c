/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* A headless VADisplay: the display context libva's window-system front
 * ends (va_x11.c, va_drm.c) would build, with nothing behind it. libva
 * 2.17 asks the display for its driver candidates even when
 * LIBVA_DRIVER_NAME overrides them: the answer is the virtual
 * accelerator. */

#include "vaheadless.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <va/va_backend.h>

static int
is_valid (VADisplayContextP dctx)
{
  return dctx->pDriverContext != NULL;
}

static void
destroy (VADisplayContextP dctx)
{
  free (dctx->pDriverContext);
  free (dctx);
}

static VAStatus
num_candidates (VADisplayContextP dctx, int *n)
{
  *n = 1;
  return VA_STATUS_SUCCESS;
}

static VAStatus
driver_name_by_index (VADisplayContextP dctx, char **name, int index)
{
  *name = strdup ("estuary");
  return *name ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_ALLOCATION_FAILED;
}

static VAStatus
driver_name (VADisplayContextP dctx, char **name)
{
  return driver_name_by_index (dctx, name, 0);
}

VADisplay
est_va_headless_display (void)
{
  VADisplayContextP dctx = calloc (1, sizeof (*dctx));
  VADriverContextP ctx = calloc (1, sizeof (*ctx));

  if (!dctx || !ctx) {
    free (dctx);
    free (ctx);
    return NULL;
  }
  dctx->vadpy_magic = VA_DISPLAY_MAGIC;
  dctx->pDriverContext = ctx;
  dctx->vaIsValid = is_valid;
  dctx->vaDestroy = destroy;
  dctx->vaGetDriverName = driver_name;
  dctx->vaGetNumCandidates = num_candidates;
  dctx->vaGetDriverNameByIndex = driver_name_by_index;
  ctx->pDisplayContext = dctx;
  /* no window system: a DRM display type without a node, which drivers
   * that look at it treat as "no presentation" */
  ctx->display_type = VA_DISPLAY_DRM;
  return dctx;
}

VADisplay
est_va_headless_open_vchip (const char *dir)
{
  VADisplay dpy;
  int major, minor;
  VAStatus st;

  setenv ("LIBVA_DRIVERS_PATH", dir, 0);
  setenv ("LIBVA_DRIVER_NAME", "estuary", 0);
  dpy = est_va_headless_display ();
  if (!dpy)
    return NULL;
  st = vaInitialize (dpy, &major, &minor);
  if (st != VA_STATUS_SUCCESS) {
    fprintf (stderr, "vaInitialize: %s (LIBVA_DRIVERS_PATH=%s, "
        "LIBVA_DRIVER_NAME=%s)\n", vaErrorStr (st),
        getenv ("LIBVA_DRIVERS_PATH"), getenv ("LIBVA_DRIVER_NAME"));
    vaTerminate (dpy);
    return NULL;
  }
  return dpy;
}
