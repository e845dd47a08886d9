/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The estuary plugin: registers every element whose backends were built
 * (HAVE_<ELEMENT> from gst/meson.build, which also lists them for the
 * tests). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "esthdrscale.h"
#include "estlookahead.h"
#include "estquality.h"
#ifdef HAVE_ESTDEC
#include "estdec.h"
#endif
#ifdef HAVE_ESTH264ENC
#include "esth264enc.h"
#endif
#ifdef HAVE_ESTH265ENC
#include "esth265enc.h"
#endif
#ifdef HAVE_ESTAV1ENC
#include "estav1enc.h"
#endif

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ok = FALSE;

  ok |= GST_ELEMENT_REGISTER (estquality, plugin);
  ok |= GST_ELEMENT_REGISTER (estlookahead, plugin);
  ok |= GST_ELEMENT_REGISTER (esthdrscale, plugin);
#ifdef HAVE_ESTDEC
  ok |= GST_ELEMENT_REGISTER (estdec, plugin);
#endif
#ifdef HAVE_ESTH264ENC
  ok |= GST_ELEMENT_REGISTER (esth264enc, plugin);
#endif
#ifdef HAVE_ESTH265ENC
  ok |= GST_ELEMENT_REGISTER (esth265enc, plugin);
#endif
#ifdef HAVE_ESTAV1ENC
  ok |= GST_ELEMENT_REGISTER (estav1enc, plugin);
#endif

  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, estuary,
    "Estuary: video transcoding on accelerator chips, and on the CPU",
    plugin_init, PACKAGE_VERSION, "LGPL", PACKAGE, PACKAGE_ORIGIN)
