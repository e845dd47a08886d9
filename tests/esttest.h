/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_TEST_H
#define EST_TEST_H

#include <gst/gst.h>

G_BEGIN_DECLS

/* Exit code that meson counts as a skip. */
#define EST_TEST_SKIP 77

/* Fails the current check unless the "estuary" plugin in the registry was
 * loaded from $ESTUARY_PLUGIN_DIR (the build tree), never an installed
 * copy. */
void est_test_check_plugin_origin (void);

/* Folder of the shared test clips, or NULL when it is absent (tests that
 * need clips skip). Owned by the helper. */
const gchar *est_test_media_dir (void);

/* Sets pipeline to PLAYING and runs it until EOS or error (a failed start
 * counts as an error), collecting every
 * element message. Returns TRUE at EOS. error_out, when not NULL, gets the
 * first error message (ref'd) or NULL. messages, when not NULL, gets the
 * element messages (a GList of ref'd GstMessage). Fails the check after
 * timeout_s seconds. */
gboolean est_test_run_pipeline (GstElement * pipeline, guint timeout_s,
    GList ** messages, GstMessage ** error_out);

/* The structures of the element messages named `name` from `messages`, in
 * order. The list is new, the structures belong to the messages. */
GList *est_test_filter_messages (GList * messages, const gchar * name);

/* TRUE when every element named in the NULL-terminated list is
 * registered; otherwise prints a SKIP line naming `what` and the missing
 * one. */
gboolean est_test_have_elements (const gchar * what, const gchar * first,
    ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS

#endif
