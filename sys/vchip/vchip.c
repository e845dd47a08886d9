/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* estuary_drv_video.so: the virtual accelerator, a libva backend driver
 * whose engines run on the CPU. libva loads it with
 *
 *   LIBVA_DRIVERS_PATH=<folder> LIBVA_DRIVER_NAME=estuary
 *
 * This file holds the entry points libva calls: configurations, contexts,
 * buffers, picture submission and sync, and the object tables behind the
 * IDs. Surfaces and images live in vchipsurface.c, the engines in
 * vchipvpp.c and vchipencode.c.
 *
 * Work normally runs inside vaEndPicture. The strict mode
 * (ESTUARY_VCHIP_STRICT, docs/vchip.md) behaves like demanding silicon:
 * odd pitches and alignments, work that completes only at sync, and
 * injected faults. */

#include "vchip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <va/va_backend_vpp.h>

#define VENDOR "Estuary virtual accelerator " "0.1"

#define DRIVER(ctx) ((EstVchip *) (ctx)->pDriverData)

/* --- Object tables -------------------------------------------------------- */

/* IDs are (kind + 1) << 24 | (slot + 1): never 0 or VA_INVALID_ID, and an
 * ID of one kind never finds an object of another. */
#define ID_SHIFT 24
#define ID_SLOT_MASK ((1u << ID_SHIFT) - 1)
#define MAX_OBJECTS (1u << 20)  /* a kind */

VAGenericID
est_vchip_add (EstVchip * d, EstVchipKind kind, EstVchipObject ** obj)
{
  EstVchipObject **tab = d->objects[kind];
  unsigned n = d->n_objects[kind], i;

  for (i = 0; i < n && tab[i]; i++);
  if (i == n) {
    unsigned grow = n ? n * 2 : 64;
    if (grow > MAX_OBJECTS)
      return VA_INVALID_ID;
    tab = realloc (tab, grow * sizeof (*tab));
    if (!tab)
      return VA_INVALID_ID;
    memset (tab + n, 0, (grow - n) * sizeof (*tab));
    d->objects[kind] = tab;
    d->n_objects[kind] = grow;
  }
  tab[i] = calloc (1, sizeof (**tab));
  if (!tab[i])
    return VA_INVALID_ID;
  tab[i]->kind = kind;
  *obj = tab[i];
  return ((VAGenericID) (kind + 1) << ID_SHIFT) | (i + 1);
}

static EstVchipObject **
slot (EstVchip * d, EstVchipKind kind, VAGenericID id)
{
  unsigned i = (id & ID_SLOT_MASK) - 1;

  if ((id >> ID_SHIFT) != (VAGenericID) kind + 1 || i >= d->n_objects[kind])
    return NULL;
  return d->objects[kind][i] ? &d->objects[kind][i] : NULL;
}

EstVchipObject *
est_vchip_lookup (EstVchip * d, EstVchipKind kind, VAGenericID id)
{
  EstVchipObject **s = slot (d, kind, id);
  return s ? *s : NULL;
}

void
est_vchip_remove (EstVchip * d, EstVchipKind kind, VAGenericID id)
{
  EstVchipObject **s = slot (d, kind, id);

  if (s) {
    free (*s);
    *s = NULL;
  }
}

static EstVchipContext *
context_of (EstVchip * d, VAContextID id)
{
  EstVchipObject *o = est_vchip_lookup (d, EST_VCHIP_CONTEXT, id);
  return o ? &o->u.context : NULL;
}

static EstVchipBuffer *
buffer_of (EstVchip * d, VABufferID id)
{
  EstVchipObject *o = est_vchip_lookup (d, EST_VCHIP_BUFFER, id);
  return o ? &o->u.buffer : NULL;
}

/* --- Strict mode ---------------------------------------------------------- */

/* ESTUARY_VCHIP_STRICT: unset, empty or "0" is off; "1" is "layout,defer";
 * otherwise a comma list of layout, defer, fail-end=N, fail-sync=N. */
static void
parse_strict (EstVchipStrict * s, const char *env)
{
  char buf[256], *tok, *save = NULL;

  memset (s, 0, sizeof (*s));
  if (!env || !*env || strcmp (env, "0") == 0)
    return;
  if (strcmp (env, "1") == 0) {
    s->odd_layout = s->defer = 1;
    return;
  }
  snprintf (buf, sizeof (buf), "%s", env);
  for (tok = strtok_r (buf, ",", &save); tok; tok = strtok_r (NULL, ",", &save)) {
    if (strcmp (tok, "layout") == 0)
      s->odd_layout = 1;
    else if (strcmp (tok, "defer") == 0)
      s->defer = 1;
    else if (strncmp (tok, "fail-end=", 9) == 0)
      s->fail_end = (unsigned) strtoul (tok + 9, NULL, 10);
    else if (strncmp (tok, "fail-sync=", 10) == 0)
      s->fail_sync = (unsigned) strtoul (tok + 10, NULL, 10);
    else
      fprintf (stderr, "estuary_drv_video: ESTUARY_VCHIP_STRICT: unknown "
          "item '%s' ignored\n", tok);
  }
}

/* --- Configurations ------------------------------------------------------- */

#define VPP_RT_FORMATS (VA_RT_FORMAT_YUV420 | VA_RT_FORMAT_YUV420_10 | \
    VA_RT_FORMAT_YUV422 | VA_RT_FORMAT_RGB32)

static int
profile_entrypoint_ok (VAProfile profile, VAEntrypoint entrypoint)
{
  if (profile == VAProfileNone)
    return entrypoint == VAEntrypointVideoProc;
  return est_vchip_encode_profile (profile) &&
      entrypoint == VAEntrypointEncSlice;
}

static VAStatus
check_profile_entrypoint (VAProfile profile, VAEntrypoint entrypoint)
{
  if (profile != VAProfileNone && !est_vchip_encode_profile (profile))
    return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
  if (!profile_entrypoint_ok (profile, entrypoint))
    return VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT;
  return VA_STATUS_SUCCESS;
}

static VAStatus
query_config_profiles (VADriverContextP ctx, VAProfile * list, int *n)
{
  static const VAProfile all[] = {
    VAProfileNone,
    VAProfileH264ConstrainedBaseline, VAProfileH264Main, VAProfileH264High,
    VAProfileHEVCMain, VAProfileHEVCMain10,
  };
  int k = 0;

  if (!list || !n)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  for (size_t i = 0; i < sizeof (all) / sizeof (all[0]); i++)
    if (all[i] == VAProfileNone || est_vchip_encode_profile (all[i]))
      list[k++] = all[i];
  *n = k;
  return VA_STATUS_SUCCESS;
}

static VAStatus
query_config_entrypoints (VADriverContextP ctx, VAProfile profile,
    VAEntrypoint * list, int *n)
{
  if (!list || !n)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  if (profile == VAProfileNone)
    list[0] = VAEntrypointVideoProc;
  else if (est_vchip_encode_profile (profile))
    list[0] = VAEntrypointEncSlice;
  else
    return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
  *n = 1;
  return VA_STATUS_SUCCESS;
}

static void
fill_attributes (VAProfile profile, VAConfigAttrib * a, int n)
{
  if (profile != VAProfileNone) {
    est_vchip_encode_attributes (profile, a, n);
    return;
  }
  for (int i = 0; i < n; i++) {
    switch (a[i].type) {
      case VAConfigAttribRTFormat:
        a[i].value = VPP_RT_FORMATS;
        break;
      case VAConfigAttribMaxPictureWidth:
      case VAConfigAttribMaxPictureHeight:
        a[i].value = EST_VCHIP_MAX_SIZE;
        break;
      default:
        a[i].value = VA_ATTRIB_NOT_SUPPORTED;
        break;
    }
  }
}

static VAStatus
get_config_attributes (VADriverContextP ctx, VAProfile profile,
    VAEntrypoint entrypoint, VAConfigAttrib * a, int n)
{
  VAStatus st = check_profile_entrypoint (profile, entrypoint);

  if (st != VA_STATUS_SUCCESS)
    return st;
  if (n < 0 || (n > 0 && !a))
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  fill_attributes (profile, a, n);
  return VA_STATUS_SUCCESS;
}

static VAStatus
create_config (VADriverContextP ctx, VAProfile profile,
    VAEntrypoint entrypoint, VAConfigAttrib * attribs, int n, VAConfigID * id)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipConfig c = { profile, entrypoint, 0, 0 };
  EstVchipObject *o;
  VAStatus st = check_profile_entrypoint (profile, entrypoint);

  if (st != VA_STATUS_SUCCESS)
    return st;
  if (!id || n < 0 || (n > 0 && !attribs))
    return VA_STATUS_ERROR_INVALID_PARAMETER;

  VAConfigAttrib caps[2] =
      { {VAConfigAttribRTFormat}, {VAConfigAttribRateControl}
  };
  fill_attributes (profile, caps, 2);
  c.rt_format = profile == VAProfileNone ? VA_RT_FORMAT_YUV420 : caps[0].value;
  c.rc_mode = caps[1].value == VA_ATTRIB_NOT_SUPPORTED ? 0 : VA_RC_CQP;

  for (int i = 0; i < n; i++) {
    VAConfigAttrib one = { attribs[i].type };
    fill_attributes (profile, &one, 1);
    switch (attribs[i].type) {
      case VAConfigAttribRTFormat:
        if (!attribs[i].value || (attribs[i].value & ~caps[0].value))
          return VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT;
        c.rt_format = attribs[i].value;
        break;
      case VAConfigAttribRateControl:
        /* exactly one mode, one the chip has */
        if (c.rc_mode == 0 || (attribs[i].value & (attribs[i].value - 1)) ||
            !(attribs[i].value & caps[1].value))
          return VA_STATUS_ERROR_INVALID_VALUE;
        c.rc_mode = attribs[i].value;
        break;
      default:
        /* Other attributes the chip reports are accepted when their value
         * fits in what it reports (a bit mask for the packed headers). */
        if (one.value == VA_ATTRIB_NOT_SUPPORTED)
          return VA_STATUS_ERROR_ATTR_NOT_SUPPORTED;
        if (attribs[i].type == VAConfigAttribEncPackedHeaders &&
            (attribs[i].value & ~one.value))
          return VA_STATUS_ERROR_INVALID_VALUE;
        break;
    }
  }

  pthread_mutex_lock (&d->lock);
  *id = est_vchip_add (d, EST_VCHIP_CONFIG, &o);
  if (*id != VA_INVALID_ID)
    o->u.config = c;
  pthread_mutex_unlock (&d->lock);
  return *id == VA_INVALID_ID ? VA_STATUS_ERROR_ALLOCATION_FAILED :
      VA_STATUS_SUCCESS;
}

static VAStatus
destroy_config (VADriverContextP ctx, VAConfigID id)
{
  EstVchip *d = DRIVER (ctx);
  VAStatus st = VA_STATUS_ERROR_INVALID_CONFIG;

  pthread_mutex_lock (&d->lock);
  if (est_vchip_lookup (d, EST_VCHIP_CONFIG, id)) {
    est_vchip_remove (d, EST_VCHIP_CONFIG, id);
    st = VA_STATUS_SUCCESS;
  }
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
query_config_attributes (VADriverContextP ctx, VAConfigID id,
    VAProfile * profile, VAEntrypoint * entrypoint, VAConfigAttrib * a, int *n)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipObject *o;
  VAStatus st = VA_STATUS_ERROR_INVALID_CONFIG;

  if (!profile || !entrypoint || !a || !n)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  pthread_mutex_lock (&d->lock);
  o = est_vchip_lookup (d, EST_VCHIP_CONFIG, id);
  if (o) {
    const EstVchipConfig *c = &o->u.config;
    *profile = c->profile;
    *entrypoint = c->entrypoint;
    a[0].type = VAConfigAttribRTFormat;
    a[0].value = c->rt_format;
    *n = 1;
    if (c->rc_mode) {
      a[1].type = VAConfigAttribRateControl;
      a[1].value = c->rc_mode;
      *n = 2;
    }
    st = VA_STATUS_SUCCESS;
  }
  pthread_mutex_unlock (&d->lock);
  return st;
}

/* --- Contexts ------------------------------------------------------------- */

static void
context_clear (EstVchipContext * c)
{
  est_vchip_vpp_free (c->vpp);
  est_vchip_encoder_free (c->enc);
  c->vpp = NULL;
  c->enc = NULL;
}

static VAStatus
create_context (VADriverContextP ctx, VAConfigID config_id, int width,
    int height, int flag, VASurfaceID * targets, int n_targets,
    VAContextID * id)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipObject *co, *o;
  EstVchipContext *c;
  VAStatus st = VA_STATUS_SUCCESS;

  if (!id || n_targets < 0 || (n_targets > 0 && !targets))
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  if (width < 0 || height < 0 || width > EST_VCHIP_MAX_SIZE ||
      height > EST_VCHIP_MAX_SIZE)
    return VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED;

  pthread_mutex_lock (&d->lock);
  co = est_vchip_lookup (d, EST_VCHIP_CONFIG, config_id);
  if (!co) {
    st = VA_STATUS_ERROR_INVALID_CONFIG;
    goto out;
  }
  for (int i = 0; i < n_targets; i++) {
    if (!est_vchip_lookup (d, EST_VCHIP_SURFACE, targets[i])) {
      st = VA_STATUS_ERROR_INVALID_SURFACE;
      goto out;
    }
  }
  *id = est_vchip_add (d, EST_VCHIP_CONTEXT, &o);
  if (*id == VA_INVALID_ID) {
    st = VA_STATUS_ERROR_ALLOCATION_FAILED;
    goto out;
  }
  c = &o->u.context;
  c->config = co->u.config;
  c->target = VA_INVALID_ID;
  if (c->config.entrypoint == VAEntrypointEncSlice) {
    c->enc = est_vchip_encoder_new (&c->config);
    if (!c->enc) {
      est_vchip_remove (d, EST_VCHIP_CONTEXT, *id);
      *id = VA_INVALID_ID;
      st = VA_STATUS_ERROR_ALLOCATION_FAILED;
    }
  }
out:
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
destroy_context (VADriverContextP ctx, VAContextID id)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipContext *c;
  VAStatus st = VA_STATUS_ERROR_INVALID_CONTEXT;

  pthread_mutex_lock (&d->lock);
  c = context_of (d, id);
  if (c) {
    est_vchip_flush (d, c);
    context_clear (c);
    est_vchip_remove (d, EST_VCHIP_CONTEXT, id);
    st = VA_STATUS_SUCCESS;
  }
  pthread_mutex_unlock (&d->lock);
  return st;
}

/* --- Buffers -------------------------------------------------------------- */

static int
buffer_type_ok (VABufferType t)
{
  switch (t) {
    case VAProcPipelineParameterBufferType:
    case VAProcFilterParameterBufferType:
    case VAEncSequenceParameterBufferType:
    case VAEncPictureParameterBufferType:
    case VAEncSliceParameterBufferType:
    case VAEncMiscParameterBufferType:
    case VAEncCodedBufferType:
      return 1;
    default:
      return 0;
  }
}

static VAStatus
create_buffer (VADriverContextP ctx, VAContextID context, VABufferType type,
    unsigned size, unsigned n_elements, void *data, VABufferID * id)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipObject *o;
  EstVchipBuffer *b;
  VAStatus st = VA_STATUS_SUCCESS;
  size_t total;

  if (!id)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  if (!buffer_type_ok (type))
    return VA_STATUS_ERROR_UNSUPPORTED_BUFFERTYPE;
  if (size == 0 || n_elements == 0)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  total = (size_t) size *n_elements;
  if (total > EST_VCHIP_MAX_BUFFER)
    return VA_STATUS_ERROR_ALLOCATION_FAILED;

  pthread_mutex_lock (&d->lock);
  if (!context_of (d, context)) {
    st = VA_STATUS_ERROR_INVALID_CONTEXT;
    goto out;
  }
  *id = est_vchip_add (d, EST_VCHIP_BUFFER, &o);
  if (*id == VA_INVALID_ID) {
    st = VA_STATUS_ERROR_ALLOCATION_FAILED;
    goto out;
  }
  b = &o->u.buffer;
  b->type = type;
  b->size = size;
  b->n_elements = n_elements;
  b->data = calloc (1, total);
  if (!b->data) {
    est_vchip_remove (d, EST_VCHIP_BUFFER, *id);
    *id = VA_INVALID_ID;
    st = VA_STATUS_ERROR_ALLOCATION_FAILED;
    goto out;
  }
  if (type == VAEncCodedBufferType) {
    b->capacity = total;
    b->segment.buf = b->data;
  } else if (data) {
    memcpy (b->data, data, total);
  }
out:
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
buffer_set_num_elements (VADriverContextP ctx, VABufferID id, unsigned n)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipBuffer *b;
  VAStatus st = VA_STATUS_SUCCESS;

  pthread_mutex_lock (&d->lock);
  b = buffer_of (d, id);
  if (!b)
    st = VA_STATUS_ERROR_INVALID_BUFFER;
  else if (b->mapped || b->type == VAEncCodedBufferType || b->borrowed)
    st = VA_STATUS_ERROR_OPERATION_FAILED;
  else if (n == 0 || (size_t) n * b->size > (size_t) b->n_elements * b->size)
    st = VA_STATUS_ERROR_INVALID_PARAMETER;
  else
    b->n_elements = n;
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
map_buffer (VADriverContextP ctx, VABufferID id, void **p)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipBuffer *b;
  VAStatus st = VA_STATUS_SUCCESS;

  if (!p)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  pthread_mutex_lock (&d->lock);
  b = buffer_of (d, id);
  if (!b) {
    st = VA_STATUS_ERROR_INVALID_BUFFER;
  } else if (b->type == VAEncCodedBufferType) {
    /* Mapping a coded buffer waits for the encode that fills it. */
    if (b->pending)
      st = est_vchip_flush (d, b->pending);
    *p = &b->segment;
  } else {
    *p = b->data;
  }
  if (b && st == VA_STATUS_SUCCESS)
    b->mapped = 1;
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
unmap_buffer (VADriverContextP ctx, VABufferID id)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipBuffer *b;
  VAStatus st = VA_STATUS_SUCCESS;

  pthread_mutex_lock (&d->lock);
  b = buffer_of (d, id);
  if (!b)
    st = VA_STATUS_ERROR_INVALID_BUFFER;
  else
    b->mapped = 0;
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
destroy_buffer (VADriverContextP ctx, VABufferID id)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipBuffer *b;
  VAStatus st = VA_STATUS_SUCCESS;

  pthread_mutex_lock (&d->lock);
  b = buffer_of (d, id);
  if (!b || b->type == VAImageBufferType) {
    /* an image's buffer goes with vaDestroyImage */
    st = VA_STATUS_ERROR_INVALID_BUFFER;
  } else {
    if (b->pending)
      est_vchip_flush (d, b->pending);
    free (b->data);
    est_vchip_remove (d, EST_VCHIP_BUFFER, id);
  }
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
buffer_info (VADriverContextP ctx, VABufferID id, VABufferType * type,
    unsigned *size, unsigned *n_elements)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipBuffer *b;
  VAStatus st = VA_STATUS_SUCCESS;

  if (!type || !size || !n_elements)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  pthread_mutex_lock (&d->lock);
  b = buffer_of (d, id);
  if (!b) {
    st = VA_STATUS_ERROR_INVALID_BUFFER;
  } else {
    *type = b->type;
    *size = b->size;
    *n_elements = b->n_elements;
  }
  pthread_mutex_unlock (&d->lock);
  return st;
}

/* --- Pictures ------------------------------------------------------------- */

/* Runs the context's submitted picture, if it has one not yet run. */
VAStatus
est_vchip_flush (EstVchip * d, EstVchipContext * c)
{
  EstVchipSurface *target;
  EstVchipBuffer *coded = NULL;
  VAStatus st;

  if (!c->pending)
    return VA_STATUS_SUCCESS;
  /* whatever happens, nothing points at this picture any more */
  c->pending = 0;
  target = est_vchip_surface (d, c->pending_target);
  if (target)
    target->pending = NULL;
  if (c->config.entrypoint == VAEntrypointEncSlice &&
      (coded = buffer_of (d, c->pending_coded)))
    coded->pending = NULL;
  if (!target)
    return VA_STATUS_ERROR_INVALID_SURFACE;

  if (c->config.entrypoint == VAEntrypointVideoProc)
    st = est_vchip_vpp_run (d, c, target);
  else if (!coded)
    st = VA_STATUS_ERROR_INVALID_BUFFER;
  else
    st = est_vchip_encoder_run (c->enc, target, coded);
  target->status = st;
  return st;
}

static VAStatus
begin_picture (VADriverContextP ctx, VAContextID context, VASurfaceID id)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipContext *c;
  VAStatus st = VA_STATUS_SUCCESS;

  pthread_mutex_lock (&d->lock);
  c = context_of (d, context);
  if (!c) {
    st = VA_STATUS_ERROR_INVALID_CONTEXT;
  } else if (!est_vchip_lookup (d, EST_VCHIP_SURFACE, id)) {
    st = VA_STATUS_ERROR_INVALID_SURFACE;
  } else {
    /* One picture in flight a context: the previous one runs first. */
    est_vchip_flush (d, c);
    c->target = id;
    c->in_picture = 1;
    c->have_vpp_job = 0;
  }
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
render_picture (VADriverContextP ctx, VAContextID context,
    VABufferID * buffers, int n)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipContext *c;
  VAStatus st = VA_STATUS_SUCCESS;

  if (n < 0 || (n > 0 && !buffers))
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  pthread_mutex_lock (&d->lock);
  c = context_of (d, context);
  if (!c) {
    st = VA_STATUS_ERROR_INVALID_CONTEXT;
    goto out;
  }
  if (!c->in_picture) {
    st = VA_STATUS_ERROR_OPERATION_FAILED;
    goto out;
  }
  for (int i = 0; i < n && st == VA_STATUS_SUCCESS; i++) {
    EstVchipBuffer *b = buffer_of (d, buffers[i]);
    if (!b) {
      st = VA_STATUS_ERROR_INVALID_BUFFER;
    } else if (c->config.entrypoint == VAEntrypointVideoProc) {
      if (b->type != VAProcPipelineParameterBufferType)
        st = VA_STATUS_ERROR_UNSUPPORTED_BUFFERTYPE;
      else if (b->size < sizeof (VAProcPipelineParameterBuffer))
        st = VA_STATUS_ERROR_INVALID_BUFFER;
      else if ((st = est_vchip_vpp_render (d,
                  (const VAProcPipelineParameterBuffer *) b->data,
                  &c->vpp_job)) == VA_STATUS_SUCCESS)
        c->have_vpp_job = 1;
    } else {
      st = est_vchip_encoder_render (c->enc, b);
    }
  }
out:
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
end_picture (VADriverContextP ctx, VAContextID context)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipContext *c;
  EstVchipSurface *target;
  VAStatus st = VA_STATUS_SUCCESS;

  pthread_mutex_lock (&d->lock);
  c = context_of (d, context);
  if (!c) {
    st = VA_STATUS_ERROR_INVALID_CONTEXT;
    goto out;
  }
  if (!c->in_picture) {
    st = VA_STATUS_ERROR_OPERATION_FAILED;
    goto out;
  }
  c->in_picture = 0;
  target = est_vchip_surface (d, c->target);
  if (!target) {
    st = VA_STATUS_ERROR_INVALID_SURFACE;
    goto out;
  }
  if (d->strict.fail_end && ++d->n_end == d->strict.fail_end) {
    st = VA_STATUS_ERROR_OPERATION_FAILED;
    goto out;
  }

  c->pending_target = c->target;
  c->pending_coded = VA_INVALID_ID;
  if (c->config.entrypoint == VAEntrypointVideoProc) {
    if (!c->have_vpp_job) {
      st = VA_STATUS_ERROR_INVALID_PARAMETER;
      goto out;
    }
  } else {
    EstVchipBuffer *coded;
    st = est_vchip_encoder_check (c->enc, target);
    if (st != VA_STATUS_SUCCESS)
      goto out;
    c->pending_coded = est_vchip_encoder_coded_buffer (c->enc);
    coded = buffer_of (d, c->pending_coded);
    if (!coded || coded->type != VAEncCodedBufferType) {
      st = VA_STATUS_ERROR_INVALID_BUFFER;
      goto out;
    }
    coded->pending = c;
    coded->segment.size = 0;
    coded->segment.status = 0;
  }
  /* A surface waits for one picture: another context's goes first. */
  if (target->pending && target->pending != c)
    est_vchip_flush (d, target->pending);
  c->pending = 1;
  target->pending = c;
  if (!d->strict.defer)
    st = est_vchip_flush (d, c);
out:
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
sync_surface_locked (EstVchip * d, VASurfaceID id)
{
  EstVchipSurface *s = est_vchip_surface (d, id);

  if (!s)
    return VA_STATUS_ERROR_INVALID_SURFACE;
  if (s->pending)
    est_vchip_flush (d, s->pending);
  if (d->strict.fail_sync && ++d->n_sync == d->strict.fail_sync)
    return VA_STATUS_ERROR_OPERATION_FAILED;
  return s->status;
}

static VAStatus
sync_surface (VADriverContextP ctx, VASurfaceID id)
{
  EstVchip *d = DRIVER (ctx);
  VAStatus st;

  pthread_mutex_lock (&d->lock);
  st = sync_surface_locked (d, id);
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
sync_surface2 (VADriverContextP ctx, VASurfaceID id, uint64_t timeout_ns)
{
  return sync_surface (ctx, id);
}

static VAStatus
sync_buffer (VADriverContextP ctx, VABufferID id, uint64_t timeout_ns)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipBuffer *b;
  VAStatus st = VA_STATUS_SUCCESS;

  pthread_mutex_lock (&d->lock);
  b = buffer_of (d, id);
  if (!b)
    st = VA_STATUS_ERROR_INVALID_BUFFER;
  else if (b->type != VAEncCodedBufferType)
    st = VA_STATUS_ERROR_UNIMPLEMENTED;
  else if (b->pending)
    st = est_vchip_flush (d, b->pending);
  if (st == VA_STATUS_SUCCESS && d->strict.fail_sync &&
      ++d->n_sync == d->strict.fail_sync)
    st = VA_STATUS_ERROR_OPERATION_FAILED;
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
query_surface_status (VADriverContextP ctx, VASurfaceID id,
    VASurfaceStatus * status)
{
  EstVchip *d = DRIVER (ctx);
  EstVchipSurface *s;
  VAStatus st = VA_STATUS_SUCCESS;

  if (!status)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  pthread_mutex_lock (&d->lock);
  s = est_vchip_surface (d, id);
  if (!s)
    st = VA_STATUS_ERROR_INVALID_SURFACE;
  else
    *status = s->pending ? VASurfaceRendering : VASurfaceReady;
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
query_surface_error (VADriverContextP ctx, VASurfaceID id, VAStatus error,
    void **info)
{
  return VA_STATUS_ERROR_UNIMPLEMENTED;
}

/* --- Surfaces, images and processing caps (locked wrappers) -------------- */

#define LOCKED(call) do { \
    EstVchip *d_ = DRIVER (ctx); \
    VAStatus st_; \
    pthread_mutex_lock (&d_->lock); \
    st_ = call; \
    pthread_mutex_unlock (&d_->lock); \
    return st_; \
  } while (0)

static VAStatus
create_surfaces2 (VADriverContextP ctx, unsigned format, unsigned width,
    unsigned height, VASurfaceID * surfaces, unsigned n,
    VASurfaceAttrib * attribs, unsigned n_attribs)
{
  LOCKED (est_vchip_create_surfaces (d_, format, width, height, surfaces, n,
          attribs, n_attribs));
}

static VAStatus
create_surfaces (VADriverContextP ctx, int width, int height, int format,
    int n, VASurfaceID * surfaces)
{
  if (width < 0 || height < 0 || n < 0)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  return create_surfaces2 (ctx, (unsigned) format, (unsigned) width,
      (unsigned) height, surfaces, (unsigned) n, NULL, 0);
}

static VAStatus
destroy_surfaces (VADriverContextP ctx, VASurfaceID * surfaces, int n)
{
  LOCKED (est_vchip_destroy_surfaces (d_, surfaces, n));
}

static VAStatus
query_surface_attributes (VADriverContextP ctx, VAConfigID config,
    VASurfaceAttrib * attribs, unsigned *n)
{
  LOCKED (est_vchip_query_surface_attributes (d_, config, attribs, n));
}

static VAStatus
query_image_formats (VADriverContextP ctx, VAImageFormat * formats, int *n)
{
  LOCKED (est_vchip_query_image_formats (d_, formats, n));
}

static VAStatus
create_image (VADriverContextP ctx, VAImageFormat * format, int width,
    int height, VAImage * image)
{
  LOCKED (est_vchip_create_image (d_, format, width, height, image));
}

static VAStatus
derive_image (VADriverContextP ctx, VASurfaceID surface, VAImage * image)
{
  LOCKED (est_vchip_derive_image (d_, surface, image));
}

static VAStatus
destroy_image (VADriverContextP ctx, VAImageID image)
{
  LOCKED (est_vchip_destroy_image (d_, image));
}

static VAStatus
get_image (VADriverContextP ctx, VASurfaceID surface, int x, int y,
    unsigned width, unsigned height, VAImageID image)
{
  LOCKED (est_vchip_get_image (d_, surface, x, y, width, height, image));
}

static VAStatus
put_image (VADriverContextP ctx, VASurfaceID surface, VAImageID image,
    int src_x, int src_y, unsigned src_w, unsigned src_h, int dst_x,
    int dst_y, unsigned dst_w, unsigned dst_h)
{
  LOCKED (est_vchip_put_image (d_, surface, image, src_x, src_y, src_w,
          src_h, dst_x, dst_y, dst_w, dst_h));
}

static VAStatus
query_video_proc_filters (VADriverContextP ctx, VAContextID context,
    VAProcFilterType * filters, unsigned *n)
{
  EstVchip *d = DRIVER (ctx);
  VAStatus st;

  pthread_mutex_lock (&d->lock);
  st = context_of (d, context) ? est_vchip_query_filters (filters, n) :
      VA_STATUS_ERROR_INVALID_CONTEXT;
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
query_video_proc_filter_caps (VADriverContextP ctx, VAContextID context,
    VAProcFilterType type, void *caps, unsigned *n)
{
  EstVchip *d = DRIVER (ctx);
  VAStatus st;

  pthread_mutex_lock (&d->lock);
  st = context_of (d, context) ? est_vchip_query_filter_caps (type, caps, n)
      : VA_STATUS_ERROR_INVALID_CONTEXT;
  pthread_mutex_unlock (&d->lock);
  return st;
}

static VAStatus
query_video_proc_pipeline_caps (VADriverContextP ctx, VAContextID context,
    VABufferID * filters, unsigned n_filters, VAProcPipelineCaps * caps)
{
  EstVchip *d = DRIVER (ctx);
  VAStatus st = VA_STATUS_SUCCESS;

  if (!caps || (n_filters > 0 && !filters))
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  pthread_mutex_lock (&d->lock);
  if (!context_of (d, context))
    st = VA_STATUS_ERROR_INVALID_CONTEXT;
  for (unsigned i = 0; i < n_filters && st == VA_STATUS_SUCCESS; i++) {
    EstVchipBuffer *b = buffer_of (d, filters[i]);
    if (!b || b->type != VAProcFilterParameterBufferType)
      st = VA_STATUS_ERROR_INVALID_BUFFER;
  }
  if (st == VA_STATUS_SUCCESS)
    st = est_vchip_query_pipeline_caps (caps);
  pthread_mutex_unlock (&d->lock);
  return st;
}

/* --- What a display chip would do, and the chip does not have ------------ */

static VAStatus
put_surface (VADriverContextP ctx, VASurfaceID surface, void *draw,
    short src_x, short src_y, unsigned short src_w, unsigned short src_h,
    short dst_x, short dst_y, unsigned short dst_w, unsigned short dst_h,
    VARectangle * cliprects, unsigned n_cliprects, unsigned flags)
{
  return VA_STATUS_ERROR_UNIMPLEMENTED;
}

static VAStatus
set_image_palette (VADriverContextP ctx, VAImageID image,
    unsigned char *palette)
{
  return VA_STATUS_ERROR_UNIMPLEMENTED;
}

static VAStatus
query_subpicture_formats (VADriverContextP ctx, VAImageFormat * formats,
    unsigned *flags, unsigned *n)
{
  if (!n)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  *n = 0;
  return VA_STATUS_SUCCESS;
}

static VAStatus
create_subpicture (VADriverContextP ctx, VAImageID image,
    VASubpictureID * subpicture)
{
  return VA_STATUS_ERROR_UNIMPLEMENTED;
}

static VAStatus
destroy_subpicture (VADriverContextP ctx, VASubpictureID subpicture)
{
  return VA_STATUS_ERROR_INVALID_SUBPICTURE;
}

static VAStatus
set_subpicture_image (VADriverContextP ctx, VASubpictureID subpicture,
    VAImageID image)
{
  return VA_STATUS_ERROR_INVALID_SUBPICTURE;
}

static VAStatus
set_subpicture_chromakey (VADriverContextP ctx, VASubpictureID subpicture,
    unsigned min, unsigned max, unsigned mask)
{
  return VA_STATUS_ERROR_INVALID_SUBPICTURE;
}

static VAStatus
set_subpicture_global_alpha (VADriverContextP ctx,
    VASubpictureID subpicture, float alpha)
{
  return VA_STATUS_ERROR_INVALID_SUBPICTURE;
}

static VAStatus
associate_subpicture (VADriverContextP ctx, VASubpictureID subpicture,
    VASurfaceID * surfaces, int n, short src_x, short src_y,
    unsigned short src_w, unsigned short src_h, short dst_x, short dst_y,
    unsigned short dst_w, unsigned short dst_h, unsigned flags)
{
  return VA_STATUS_ERROR_INVALID_SUBPICTURE;
}

static VAStatus
deassociate_subpicture (VADriverContextP ctx, VASubpictureID subpicture,
    VASurfaceID * surfaces, int n)
{
  return VA_STATUS_ERROR_INVALID_SUBPICTURE;
}

static VAStatus
query_display_attributes (VADriverContextP ctx, VADisplayAttribute * list,
    int *n)
{
  if (!n)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  *n = 0;
  return VA_STATUS_SUCCESS;
}

static VAStatus
get_display_attributes (VADriverContextP ctx, VADisplayAttribute * list, int n)
{
  return VA_STATUS_ERROR_UNIMPLEMENTED;
}

static VAStatus
set_display_attributes (VADriverContextP ctx, VADisplayAttribute * list, int n)
{
  return VA_STATUS_ERROR_UNIMPLEMENTED;
}

/* --- Driver life ---------------------------------------------------------- */

static VAStatus
terminate (VADriverContextP ctx)
{
  EstVchip *d = DRIVER (ctx);

  for (int k = 0; k < EST_VCHIP_N_KINDS; k++) {
    for (unsigned i = 0; i < d->n_objects[k]; i++) {
      EstVchipObject *o = d->objects[k][i];
      if (!o)
        continue;
      if (k == EST_VCHIP_CONTEXT)
        context_clear (&o->u.context);
      else if (k == EST_VCHIP_SURFACE)
        free (o->u.surface.mem);
      else if (k == EST_VCHIP_BUFFER && !o->u.buffer.borrowed)
        free (o->u.buffer.data);
      free (o);
    }
    free (d->objects[k]);
  }
  pthread_mutex_destroy (&d->lock);
  free (d);
  ctx->pDriverData = NULL;
  return VA_STATUS_SUCCESS;
}

/* The driver's one exported symbol. libva looks for __vaDriverInit_1_N,
 * N from its own minor version down to 0, so this build's name works
 * with this and later libva releases of major version 1. */
#define INIT_NAME_(a, b) __vaDriverInit_##a##_##b
#define INIT_NAME(a, b) INIT_NAME_ (a, b)
#define DRIVER_INIT INIT_NAME (VA_MAJOR_VERSION, VA_MINOR_VERSION)

__attribute__((visibility ("default")))
     VAStatus DRIVER_INIT (VADriverContextP ctx);

VAStatus
DRIVER_INIT (VADriverContextP ctx)
{
  struct VADriverVTable *vt = ctx->vtable;
  struct VADriverVTableVPP *vpp = ctx->vtable_vpp;
  EstVchip *d;

  if (!vt || !vpp)
    return VA_STATUS_ERROR_INVALID_CONTEXT;
  d = calloc (1, sizeof (*d));
  if (!d)
    return VA_STATUS_ERROR_ALLOCATION_FAILED;
  pthread_mutex_init (&d->lock, NULL);
  parse_strict (&d->strict, getenv ("ESTUARY_VCHIP_STRICT"));
  ctx->pDriverData = d;

  ctx->version_major = VA_MAJOR_VERSION;
  ctx->version_minor = VA_MINOR_VERSION;
  ctx->max_profiles = 8;
  ctx->max_entrypoints = 2;
  ctx->max_attributes = 16;
  ctx->max_image_formats = est_vchip_n_formats ();
  ctx->max_subpic_formats = 1;
  ctx->max_display_attributes = 1;
  ctx->str_vendor = VENDOR;

  vt->vaTerminate = terminate;
  vt->vaQueryConfigProfiles = query_config_profiles;
  vt->vaQueryConfigEntrypoints = query_config_entrypoints;
  vt->vaGetConfigAttributes = get_config_attributes;
  vt->vaCreateConfig = create_config;
  vt->vaDestroyConfig = destroy_config;
  vt->vaQueryConfigAttributes = query_config_attributes;
  vt->vaCreateSurfaces = create_surfaces;
  vt->vaCreateSurfaces2 = create_surfaces2;
  vt->vaDestroySurfaces = destroy_surfaces;
  vt->vaQuerySurfaceAttributes = query_surface_attributes;
  vt->vaCreateContext = create_context;
  vt->vaDestroyContext = destroy_context;
  vt->vaCreateBuffer = create_buffer;
  vt->vaBufferSetNumElements = buffer_set_num_elements;
  vt->vaMapBuffer = map_buffer;
  vt->vaUnmapBuffer = unmap_buffer;
  vt->vaDestroyBuffer = destroy_buffer;
  vt->vaBufferInfo = buffer_info;
  vt->vaBeginPicture = begin_picture;
  vt->vaRenderPicture = render_picture;
  vt->vaEndPicture = end_picture;
  vt->vaSyncSurface = sync_surface;
  vt->vaSyncSurface2 = sync_surface2;
  vt->vaSyncBuffer = sync_buffer;
  vt->vaQuerySurfaceStatus = query_surface_status;
  vt->vaQuerySurfaceError = query_surface_error;
  vt->vaPutSurface = put_surface;
  vt->vaQueryImageFormats = query_image_formats;
  vt->vaCreateImage = create_image;
  vt->vaDeriveImage = derive_image;
  vt->vaDestroyImage = destroy_image;
  vt->vaSetImagePalette = set_image_palette;
  vt->vaGetImage = get_image;
  vt->vaPutImage = put_image;
  vt->vaQuerySubpictureFormats = query_subpicture_formats;
  vt->vaCreateSubpicture = create_subpicture;
  vt->vaDestroySubpicture = destroy_subpicture;
  vt->vaSetSubpictureImage = set_subpicture_image;
  vt->vaSetSubpictureChromakey = set_subpicture_chromakey;
  vt->vaSetSubpictureGlobalAlpha = set_subpicture_global_alpha;
  vt->vaAssociateSubpicture = associate_subpicture;
  vt->vaDeassociateSubpicture = deassociate_subpicture;
  vt->vaQueryDisplayAttributes = query_display_attributes;
  vt->vaGetDisplayAttributes = get_display_attributes;
  vt->vaSetDisplayAttributes = set_display_attributes;

  vpp->vaQueryVideoProcFilters = query_video_proc_filters;
  vpp->vaQueryVideoProcFilterCaps = query_video_proc_filter_caps;
  vpp->vaQueryVideoProcPipelineCaps = query_video_proc_pipeline_caps;
  return VA_STATUS_SUCCESS;
}
