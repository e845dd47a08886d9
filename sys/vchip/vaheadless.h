/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_VA_HEADLESS_H
#define EST_VA_HEADLESS_H

#include <va/va.h>

/* A VADisplay with no window system and no DRM node, built from
 * va/va_backend.h, for programs that drive a VA driver directly (the
 * virtual accelerator's tests, benchmark and fuzzer). libva picks the
 * driver from LIBVA_DRIVER_NAME (and LIBVA_DRIVERS_PATH), which must be
 * set before vaInitialize. vaTerminate frees the display. NULL when out of
 * memory. */
VADisplay est_va_headless_display (void);

/* Sets LIBVA_DRIVERS_PATH to dir and LIBVA_DRIVER_NAME to "estuary" unless
 * already set, then returns an initialised headless display, or NULL with
 * a message on stderr. */
VADisplay est_va_headless_open_vchip (const char *dir);

#endif
