/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Surfaces and images of the virtual accelerator: pixel formats, picture
 * memory, and the image calls (create, derive, get, put).
 *
 * A surface is one block of CPU memory holding its planes. Images of the
 * same format copy rectangles in and out; a derived image maps the
 * surface's own memory. In strict mode pitches are not multiples of 64,
 * planes have gaps between them and the block does not start on a cache
 * line, so clients that assume a layout instead of reading pitches and
 * offsets break here as they would on silicon. */

#include "vchip.h"

#include <stdlib.h>
#include <string.h>

#define RGB_FORMAT(fcc, depth, r, g, b, a) \
  { fcc, VA_LSB_FIRST, 32, depth, r, g, b, a, {0} }
#define YUV_FORMAT(fcc, bpp) { fcc, VA_LSB_FIRST, bpp, 0, 0, 0, 0, 0, {0} }

static const EstVchipFormat formats[] = {
  {VA_FOURCC_NV12, VA_RT_FORMAT_YUV420, EST_VIDEO_NV12, 2, 1, 1, 1, 0,
      YUV_FORMAT (VA_FOURCC_NV12, 12)},
  {VA_FOURCC_P010, VA_RT_FORMAT_YUV420_10, EST_VIDEO_P010, 2, 2, 1, 1, 0,
      YUV_FORMAT (VA_FOURCC_P010, 24)},
  {VA_FOURCC_I420, VA_RT_FORMAT_YUV420, EST_VIDEO_I420, 3, 1, 1, 1, 0,
      YUV_FORMAT (VA_FOURCC_I420, 12)},
  {VA_FOURCC_YUY2, VA_RT_FORMAT_YUV422, EST_VIDEO_YUY2, 1, 2, 1, 0, 0,
      YUV_FORMAT (VA_FOURCC_YUY2, 16)},
  {VA_FOURCC_BGRA, VA_RT_FORMAT_RGB32, EST_VIDEO_BGRA, 1, 4, 0, 0, 1,
        RGB_FORMAT (VA_FOURCC_BGRA, 32, 0x00ff0000, 0x0000ff00, 0x000000ff,
          0xff000000)},
  {VA_FOURCC_RGBA, VA_RT_FORMAT_RGB32, EST_VIDEO_RGBA, 1, 4, 0, 0, 1,
        RGB_FORMAT (VA_FOURCC_RGBA, 32, 0x000000ff, 0x0000ff00, 0x00ff0000,
          0xff000000)},
  {VA_FOURCC_BGRX, VA_RT_FORMAT_RGB32, EST_VIDEO_BGRX, 1, 4, 0, 0, 1,
      RGB_FORMAT (VA_FOURCC_BGRX, 24, 0x00ff0000, 0x0000ff00, 0x000000ff, 0)},
  {VA_FOURCC_RGBX, VA_RT_FORMAT_RGB32, EST_VIDEO_RGBX, 1, 4, 0, 0, 1,
      RGB_FORMAT (VA_FOURCC_RGBX, 24, 0x000000ff, 0x0000ff00, 0x00ff0000, 0)},
};

#define N_FORMATS ((int) (sizeof (formats) / sizeof (formats[0])))

int
est_vchip_n_formats (void)
{
  return N_FORMATS;
}

const EstVchipFormat *
est_vchip_format_at (int i)
{
  return i >= 0 && i < N_FORMATS ? &formats[i] : NULL;
}

const EstVchipFormat *
est_vchip_format (uint32_t fourcc)
{
  for (int i = 0; i < N_FORMATS; i++)
    if (formats[i].fourcc == fourcc)
      return &formats[i];
  return NULL;
}

const EstVchipFormat *
est_vchip_format_for_rt (uint32_t rt_format)
{
  /* the table lists each render-target format's default first */
  for (int i = 0; i < N_FORMATS; i++)
    if (formats[i].rt_format == rt_format)
      return &formats[i];
  return NULL;
}

/* --- Layout --------------------------------------------------------------- */

void
est_vchip_plane_geometry (const EstVchipFormat * f, int p, int *gs, int *gb,
    int *sy)
{
  *sy = p ? f->shift_y : 0;
  if (f->n_planes == 1) {       /* packed: YUY2, RGB */
    *gs = 1 << f->shift_x;
    *gb = f->bytes << f->shift_x;
  } else if (p == 0) {
    *gs = 1;
    *gb = f->bytes;
  } else {                      /* NV12/P010 pairs, or I420 samples */
    *gs = 1 << f->shift_x;
    *gb = f->n_planes == 2 ? 2 * f->bytes : f->bytes;
  }
}

static uint32_t
align (uint32_t v, uint32_t a)
{
  return (v + a - 1) / a * a;
}

size_t
est_vchip_layout (const EstVchipFormat * f, int width, int height, int odd,
    uint32_t pitch[3], uint32_t offset[3])
{
  size_t pos = 0;

  memset (pitch, 0, 3 * sizeof (*pitch));
  memset (offset, 0, 3 * sizeof (*offset));
  for (int p = 0; p < f->n_planes; p++) {
    int gs, gb, sy;
    uint32_t row, rows;
    est_vchip_plane_geometry (f, p, &gs, &gb, &sy);
    row = (uint32_t) ((width + gs - 1) / gs * gb);
    rows = (uint32_t) ((height + (1 << sy) - 1) >> sy);
    /* Strict: 16-byte aligned but an odd multiple of 16 over the row, and
     * a gap of two rows and 80 bytes before the next plane. */
    pitch[p] = odd ? align (row, 16) + 48 : align (row, 64);
    offset[p] = (uint32_t) pos;
    pos += (size_t) pitch[p] * rows;
    if (odd)
      pos += 2 * pitch[p] + 80;
  }
  return pos;
}

void
est_vchip_video_image (const EstVchipFormat * f, uint8_t * base,
    const uint32_t pitch[3], const uint32_t offset[3], EstVideoImage * img)
{
  memset (img, 0, sizeof (*img));
  for (int p = 0; p < f->n_planes; p++) {
    img->data[p] = base + offset[p];
    img->stride[p] = pitch[p];
  }
}

/* --- Surfaces ------------------------------------------------------------- */

static VAStatus
surface_init (EstVchipSurface * s, const EstVchipFormat * f, int width,
    int height, int odd)
{
  /* Strict mode starts the pixels 16 bytes into a cache line. */
  size_t lead = odd ? 16 : 0;

  s->format = f;
  s->width = width;
  s->height = height;
  s->size = est_vchip_layout (f, width, height, odd, s->pitch, s->offset);
  if (posix_memalign ((void **) &s->mem, 64, s->size + lead))
    return VA_STATUS_ERROR_ALLOCATION_FAILED;
  /* Black, so that an unwritten surface is a picture, not garbage:
   * limited-range Y'CbCr black, or zero R'G'B'. */
  s->base = s->mem + lead;
  memset (s->base, 0, s->size);
  for (int p = 0; p < f->n_planes && !f->rgb; p++) {
    static const uint8_t yuy2[4] = { 16, 128, 16, 128 };
    /* 16-bit samples are little-endian codes << 6: 64 and 512 */
    uint8_t luma[2] = { f->bytes == 2 ? 0x00 : 16, 0x10 };
    uint8_t chroma[2] = { f->bytes == 2 ? 0x00 : 128, 0x80 };
    const uint8_t *pat = f->video == EST_VIDEO_YUY2 ? yuy2 : p ? chroma : luma;
    int period = f->video == EST_VIDEO_YUY2 ? 4 : f->bytes;
    int gs, gb, sy;
    est_vchip_plane_geometry (f, p, &gs, &gb, &sy);
    int bytes = (width + gs - 1) / gs * gb;
    int rows = (height + (1 << sy) - 1) >> sy;
    for (int y = 0; y < rows; y++) {
      uint8_t *row = s->base + s->offset[p] + (size_t) y * s->pitch[p];
      for (int i = 0; i < bytes; i++)
        row[i] = pat[i % period];
    }
  }
  s->status = VA_STATUS_SUCCESS;
  return VA_STATUS_SUCCESS;
}

VAStatus
est_vchip_create_surfaces (EstVchip * d, unsigned rt_format, unsigned width,
    unsigned height, VASurfaceID * surfaces, unsigned n,
    VASurfaceAttrib * attribs, unsigned n_attribs)
{
  const EstVchipFormat *f = est_vchip_format_for_rt (rt_format);
  VAStatus st = VA_STATUS_SUCCESS;
  unsigned i;

  if (!surfaces || n == 0 || (n_attribs > 0 && !attribs))
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  if (!f)
    return VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT;
  if (width < 1 || height < 1 || width > EST_VCHIP_MAX_SIZE ||
      height > EST_VCHIP_MAX_SIZE)
    return VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED;
  for (i = 0; i < n_attribs; i++) {
    const VASurfaceAttrib *a = &attribs[i];
    if (!(a->flags & VA_SURFACE_ATTRIB_SETTABLE))
      continue;
    if (a->type == VASurfaceAttribPixelFormat) {
      f = a->value.type == VAGenericValueTypeInteger ?
          est_vchip_format ((uint32_t) a->value.value.i) : NULL;
      if (!f || f->rt_format != rt_format)
        return VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
    } else if (a->type == VASurfaceAttribMemoryType) {
      if (a->value.type != VAGenericValueTypeInteger ||
          a->value.value.i != VA_SURFACE_ATTRIB_MEM_TYPE_VA)
        return VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE;
    } else if (a->type == VASurfaceAttribExternalBufferDescriptor) {
      return VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE;
    }
    /* usage hints and the rest describe intent only */
  }

  for (i = 0; i < n; i++) {
    EstVchipObject *o;
    surfaces[i] = est_vchip_add (d, EST_VCHIP_SURFACE, &o);
    if (surfaces[i] == VA_INVALID_ID) {
      st = VA_STATUS_ERROR_ALLOCATION_FAILED;
      break;
    }
    st = surface_init (&o->u.surface, f, (int) width, (int) height,
        d->strict.odd_layout);
    if (st != VA_STATUS_SUCCESS) {
      est_vchip_remove (d, EST_VCHIP_SURFACE, surfaces[i]);
      break;
    }
  }
  if (st != VA_STATUS_SUCCESS) {
    est_vchip_destroy_surfaces (d, surfaces, (int) i);
    for (unsigned k = 0; k < n; k++)
      surfaces[k] = VA_INVALID_SURFACE;
  }
  return st;
}

VAStatus
est_vchip_destroy_surfaces (EstVchip * d, VASurfaceID * surfaces, int n)
{
  if (n < 0 || (n > 0 && !surfaces))
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  /* all or nothing */
  for (int i = 0; i < n; i++) {
    EstVchipSurface *s = est_vchip_surface (d, surfaces[i]);
    if (!s)
      return VA_STATUS_ERROR_INVALID_SURFACE;
    if (s->derived)
      return VA_STATUS_ERROR_SURFACE_BUSY;
  }
  for (int i = 0; i < n; i++) {
    EstVchipSurface *s = est_vchip_surface (d, surfaces[i]);
    if (!s)                     /* listed twice */
      continue;
    if (s->pending)
      est_vchip_flush (d, s->pending);
    free (s->mem);
    est_vchip_remove (d, EST_VCHIP_SURFACE, surfaces[i]);
  }
  return VA_STATUS_SUCCESS;
}

static int
config_has_format (const EstVchipConfig * c, const EstVchipFormat * f)
{
  if (c->entrypoint == VAEntrypointVideoProc)
    return 1;
  /* encoders read NV12, or P010 for 10-bit profiles */
  return f->fourcc == (c->rt_format & VA_RT_FORMAT_YUV420_10 ?
      VA_FOURCC_P010 : VA_FOURCC_NV12);
}

VAStatus
est_vchip_query_surface_attributes (EstVchip * d, VAConfigID config,
    VASurfaceAttrib * attribs, unsigned *n)
{
  EstVchipObject *o = est_vchip_lookup (d, EST_VCHIP_CONFIG, config);
  VASurfaceAttrib list[N_FORMATS + 5];
  unsigned k = 0;

  if (!o)
    return VA_STATUS_ERROR_INVALID_CONFIG;
  if (!n)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  memset (list, 0, sizeof (list));
  for (int i = 0; i < N_FORMATS; i++) {
    if (!config_has_format (&o->u.config, &formats[i]))
      continue;
    list[k].type = VASurfaceAttribPixelFormat;
    list[k].flags = VA_SURFACE_ATTRIB_GETTABLE | VA_SURFACE_ATTRIB_SETTABLE;
    list[k].value.type = VAGenericValueTypeInteger;
    list[k++].value.value.i = (int) formats[i].fourcc;
  }
  const struct
  {
    VASurfaceAttribType type;
    int value;
  } limits[] = {
    {VASurfaceAttribMinWidth, 1},
    {VASurfaceAttribMinHeight, 1},
    {VASurfaceAttribMaxWidth, EST_VCHIP_MAX_SIZE},
    {VASurfaceAttribMaxHeight, EST_VCHIP_MAX_SIZE},
    {VASurfaceAttribMemoryType, VA_SURFACE_ATTRIB_MEM_TYPE_VA},
  };
  for (size_t i = 0; i < sizeof (limits) / sizeof (limits[0]); i++) {
    list[k].type = limits[i].type;
    list[k].flags = VA_SURFACE_ATTRIB_GETTABLE;
    if (limits[i].type == VASurfaceAttribMemoryType)
      list[k].flags |= VA_SURFACE_ATTRIB_SETTABLE;
    list[k].value.type = VAGenericValueTypeInteger;
    list[k++].value.value.i = limits[i].value;
  }

  if (!attribs) {
    *n = k;
    return VA_STATUS_SUCCESS;
  }
  if (*n < k) {
    *n = k;
    return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
  }
  memcpy (attribs, list, k * sizeof (*list));
  *n = k;
  return VA_STATUS_SUCCESS;
}

/* --- Images --------------------------------------------------------------- */

VAStatus
est_vchip_query_image_formats (EstVchip * d, VAImageFormat * list, int *n)
{
  if (!list || !n)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  for (int i = 0; i < N_FORMATS; i++)
    list[i] = formats[i].image;
  *n = N_FORMATS;
  return VA_STATUS_SUCCESS;
}

/* Adds an image of f over memory `data` (owned by the image's buffer unless
 * borrowed). */
static VAStatus
add_image (EstVchip * d, const EstVchipFormat * f, int width, int height,
    uint8_t * data, int borrowed, size_t size, const uint32_t pitch[3],
    const uint32_t offset[3], VASurfaceID from, VAImage * out)
{
  EstVchipObject *io, *bo;
  VAImage *im;
  VABufferID buf = est_vchip_add (d, EST_VCHIP_BUFFER, &bo);

  if (buf == VA_INVALID_ID)
    return VA_STATUS_ERROR_ALLOCATION_FAILED;
  VAImageID id = est_vchip_add (d, EST_VCHIP_IMAGE, &io);
  if (id == VA_INVALID_ID) {
    est_vchip_remove (d, EST_VCHIP_BUFFER, buf);
    return VA_STATUS_ERROR_ALLOCATION_FAILED;
  }
  bo->u.buffer.type = VAImageBufferType;
  bo->u.buffer.size = (unsigned) size;
  bo->u.buffer.n_elements = 1;
  bo->u.buffer.data = data;
  bo->u.buffer.borrowed = borrowed;

  io->u.image.derived_from = from;
  im = &io->u.image.image;
  im->image_id = id;
  im->format = f->image;
  im->buf = buf;
  im->width = (uint16_t) width;
  im->height = (uint16_t) height;
  im->data_size = (uint32_t) size;
  im->num_planes = (uint32_t) f->n_planes;
  for (int p = 0; p < 3; p++) {
    im->pitches[p] = pitch[p];
    im->offsets[p] = offset[p];
  }
  *out = *im;
  return VA_STATUS_SUCCESS;
}

static EstVchipImage *
image_of (EstVchip * d, VAImageID id)
{
  EstVchipObject *o = est_vchip_lookup (d, EST_VCHIP_IMAGE, id);
  return o ? &o->u.image : NULL;
}

VAStatus
est_vchip_create_image (EstVchip * d, VAImageFormat * format, int width,
    int height, VAImage * image)
{
  const EstVchipFormat *f;
  uint32_t pitch[3], offset[3];
  uint8_t *data;
  size_t size;
  VAStatus st;

  if (!format || !image)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  f = est_vchip_format (format->fourcc);
  if (!f)
    return VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
  if (width < 1 || height < 1 || width > EST_VCHIP_MAX_SIZE ||
      height > EST_VCHIP_MAX_SIZE)
    return VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED;
  size = est_vchip_layout (f, width, height, d->strict.odd_layout, pitch,
      offset);
  data = calloc (1, size);
  if (!data)
    return VA_STATUS_ERROR_ALLOCATION_FAILED;
  st = add_image (d, f, width, height, data, 0, size, pitch, offset,
      VA_INVALID_ID, image);
  if (st != VA_STATUS_SUCCESS)
    free (data);
  return st;
}

VAStatus
est_vchip_derive_image (EstVchip * d, VASurfaceID surface, VAImage * image)
{
  EstVchipSurface *s = est_vchip_surface (d, surface);
  VAStatus st;

  if (!image)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  if (!s)
    return VA_STATUS_ERROR_INVALID_SURFACE;
  /* the client reads what was submitted: finish it */
  if (s->pending)
    est_vchip_flush (d, s->pending);
  st = add_image (d, s->format, s->width, s->height, s->base, 1, s->size,
      s->pitch, s->offset, surface, image);
  if (st == VA_STATUS_SUCCESS)
    s->derived++;
  return st;
}

VAStatus
est_vchip_destroy_image (EstVchip * d, VAImageID id)
{
  EstVchipImage *im = image_of (d, id);
  EstVchipObject *bo;

  if (!im)
    return VA_STATUS_ERROR_INVALID_IMAGE;
  bo = est_vchip_lookup (d, EST_VCHIP_BUFFER, im->image.buf);
  if (bo && !bo->u.buffer.borrowed)
    free (bo->u.buffer.data);
  est_vchip_remove (d, EST_VCHIP_BUFFER, im->image.buf);
  if (im->derived_from != VA_INVALID_ID) {
    EstVchipSurface *s = est_vchip_surface (d, im->derived_from);
    if (s && s->derived > 0)
      s->derived--;
  }
  est_vchip_remove (d, EST_VCHIP_IMAGE, id);
  return VA_STATUS_SUCCESS;
}

/* Copies the w x h rectangle at (sx, sy) of one picture of format f to
 * (dx, dy) of another. Positions and sizes are in pixels; on subsampled
 * planes the rectangle is widened to whole chroma samples. */
static void
copy_rect (const EstVchipFormat * f, const uint8_t * src,
    const uint32_t * spitch, const uint32_t * soff, int sx, int sy,
    uint8_t * dst, const uint32_t * dpitch, const uint32_t * doff, int dx,
    int dy, int w, int h)
{
  for (int p = 0; p < f->n_planes; p++) {
    int gs, gb, vs;
    est_vchip_plane_geometry (f, p, &gs, &gb, &vs);
    int g0 = sx / gs, g1 = (sx + w + gs - 1) / gs;
    int r0 = sy >> vs, r1 = (sy + h + (1 << vs) - 1) >> vs;
    int dg = dx / gs, dr = dy >> vs;
    for (int r = r0; r < r1; r++)
      memcpy (dst + doff[p] + (size_t) (dr + r - r0) * dpitch[p] +
          (size_t) dg * gb, src + soff[p] + (size_t) r * spitch[p] +
          (size_t) g0 * gb, (size_t) (g1 - g0) * gb);
  }
}

/* Whether the rectangle lies inside a picture of width x height and
 * starts on a whole chroma sample of f (so that its chroma rows and
 * columns are those of its luma, rounded up). */
static int
rect_inside (const EstVchipFormat * f, int x, int y, unsigned w, unsigned h,
    int width, int height)
{
  return x >= 0 && y >= 0 && w >= 1 && h >= 1 &&
      (long) x + (long) w <= width && (long) y + (long) h <= height &&
      x % (1 << f->shift_x) == 0 && y % (1 << f->shift_y) == 0;
}

/* The surface and image a vaGetImage or vaPutImage names, which must
 * share a format, and the image's pixels. */
static VAStatus
surface_and_image (EstVchip * d, VASurfaceID surface, VAImageID image,
    EstVchipSurface ** s, EstVchipImage ** im, uint8_t ** data)
{
  EstVchipObject *bo;

  if (!(*s = est_vchip_surface (d, surface)))
    return VA_STATUS_ERROR_INVALID_SURFACE;
  if (!(*im = image_of (d, image)))
    return VA_STATUS_ERROR_INVALID_IMAGE;
  if ((*im)->image.format.fourcc != (*s)->format->fourcc)
    return VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
  if (!(bo = est_vchip_lookup (d, EST_VCHIP_BUFFER, (*im)->image.buf)))
    return VA_STATUS_ERROR_INVALID_IMAGE;
  *data = bo->u.buffer.data;
  return VA_STATUS_SUCCESS;
}

VAStatus
est_vchip_get_image (EstVchip * d, VASurfaceID surface, int x, int y,
    unsigned width, unsigned height, VAImageID image)
{
  EstVchipSurface *s;
  EstVchipImage *im;
  uint8_t *data;
  VAStatus st = surface_and_image (d, surface, image, &s, &im, &data);

  if (st != VA_STATUS_SUCCESS)
    return st;
  if (!rect_inside (s->format, x, y, width, height, s->width, s->height) ||
      width > im->image.width || height > im->image.height)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  if (s->pending)
    est_vchip_flush (d, s->pending);
  if (data != s->base)          /* a derived image is the surface itself */
    copy_rect (s->format, s->base, s->pitch, s->offset, x, y, data,
        im->image.pitches, im->image.offsets, 0, 0, (int) width, (int) height);
  return VA_STATUS_SUCCESS;
}

VAStatus
est_vchip_put_image (EstVchip * d, VASurfaceID surface, VAImageID image,
    int src_x, int src_y, unsigned src_w, unsigned src_h, int dst_x,
    int dst_y, unsigned dst_w, unsigned dst_h)
{
  EstVchipSurface *s;
  EstVchipImage *im;
  uint8_t *data;
  VAStatus st = surface_and_image (d, surface, image, &s, &im, &data);

  if (st != VA_STATUS_SUCCESS)
    return st;
  if (src_w != dst_w || src_h != dst_h)
    return VA_STATUS_ERROR_UNIMPLEMENTED;       /* no scaling on upload */
  if (!rect_inside (s->format, src_x, src_y, src_w, src_h, im->image.width,
          im->image.height) ||
      !rect_inside (s->format, dst_x, dst_y, dst_w, dst_h, s->width, s->height))
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  if (s->pending)
    est_vchip_flush (d, s->pending);
  if (data != s->base)
    copy_rect (s->format, data, im->image.pitches, im->image.offsets, src_x,
        src_y, s->base, s->pitch, s->offset, dst_x, dst_y, (int) dst_w,
        (int) dst_h);
  return VA_STATUS_SUCCESS;
}
