/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "estrcmeta.h"

#include <gst/video/video.h>
#include <string.h>

GType
gst_est_rc_meta_api_get_type (void)
{
  static GType type;
  /* Tied to the picture's content and size: dropped by elements that
   * change either. */
  static const gchar *tags[] = { GST_META_TAG_VIDEO_STR,
    GST_META_TAG_VIDEO_SIZE_STR, NULL
  };

  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstEstRcMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
rc_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstEstRcMeta *m = (GstEstRcMeta *) meta;

  m->frame_type = GST_EST_RC_FRAME_TYPE_AUTO;
  m->qp_offset = 0;
  m->qp_map = NULL;
  m->map_width = m->map_height = m->block_size = 0;
  m->intra_cost = m->inter_cost = m->variance = 0;
  m->scene = 0;
  m->quality = -1;
  return TRUE;
}

static void
rc_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  g_free (((GstEstRcMeta *) meta)->qp_map);
}

static gboolean
rc_meta_transform (GstBuffer * dest, GstMeta * meta, GstBuffer * buffer,
    GQuark type, gpointer data)
{
  const GstEstRcMeta *m = (const GstEstRcMeta *) meta;
  GstEstRcMeta *d;

  /* Copies only: a scaled or cropped picture needs a new analysis. */
  if (!GST_META_TRANSFORM_IS_COPY (type))
    return FALSE;
  d = gst_buffer_add_est_rc_meta (dest, m->map_width, m->map_height,
      m->block_size);
  if (!d)
    return FALSE;
  if (m->qp_map)
    memcpy (d->qp_map, m->qp_map,
        sizeof (gfloat) * m->map_width * m->map_height);
  d->frame_type = m->frame_type;
  d->qp_offset = m->qp_offset;
  d->intra_cost = m->intra_cost;
  d->inter_cost = m->inter_cost;
  d->variance = m->variance;
  d->scene = m->scene;
  d->quality = m->quality;
  return TRUE;
}

const GstMetaInfo *
gst_est_rc_meta_get_info (void)
{
  static const GstMetaInfo *info;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *i = gst_meta_register (GST_EST_RC_META_API_TYPE,
        "GstEstRcMeta", sizeof (GstEstRcMeta), rc_meta_init, rc_meta_free,
        rc_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) i);
  }
  return info;
}

GstEstRcMeta *
gst_buffer_add_est_rc_meta (GstBuffer * buffer, guint map_width,
    guint map_height, guint block_size)
{
  GstEstRcMeta *m;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  m = (GstEstRcMeta *) gst_buffer_add_meta (buffer, GST_EST_RC_META_INFO, NULL);
  if (!m)
    return NULL;
  if (map_width && map_height) {
    m->qp_map = g_new0 (gfloat, (gsize) map_width * map_height);
    m->map_width = map_width;
    m->map_height = map_height;
    m->block_size = block_size;
  }
  return m;
}
