/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_VCHIP_H
#define EST_VCHIP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <va/va.h>
#include <va/va_backend.h>
#include <va/va_enc_h264.h>
#include <va/va_enc_hevc.h>
#include <va/va_vpp.h>

#include "hdrscale.h"
#include "videopack.h"

/* The virtual accelerator: a libva driver whose engines run on the CPU.
 * Internal interface between its files:
 *
 *   vchip.c         the entry points libva calls, the object tables,
 *                   configurations, contexts, buffers, picture submission,
 *                   sync and the strict mode
 *   vchipsurface.c  pixel formats, surfaces and images
 *   vchipvpp.c      the video-processing engine (common/hdrscale.h)
 *   vchipencode.c   the encode engine: VA parameters to x264 and x265
 *
 * Every entry point takes the driver lock, so the files below need no
 * locking of their own. Nothing here uses GLib: the driver is loaded into
 * other people's processes. */

#define EST_VCHIP_MAX_SIZE 8192
#define EST_VCHIP_MAX_BUFFER (256u << 20)       /* bytes, one buffer */

typedef enum
{
  EST_VCHIP_CONFIG,
  EST_VCHIP_CONTEXT,
  EST_VCHIP_SURFACE,
  EST_VCHIP_BUFFER,
  EST_VCHIP_IMAGE,
  EST_VCHIP_N_KINDS
} EstVchipKind;

/* A pixel format of surfaces and images. */
typedef struct EstVchipFormat
{
  uint32_t fourcc;              /* VA_FOURCC_* */
  uint32_t rt_format;           /* VA_RT_FORMAT_* */
  EstVideoFormat video;         /* videopack.h layout */
  int n_planes;
  int bytes;                    /* bytes a sample (a pixel for packed) */
  int shift_x, shift_y;         /* chroma subsampling of planes 1, 2 */
  int rgb;
  VAImageFormat image;          /* as vaQueryImageFormats reports it */
} EstVchipFormat;

typedef struct EstVchipConfig
{
  VAProfile profile;
  VAEntrypoint entrypoint;
  uint32_t rt_format;
  uint32_t rc_mode;             /* VA_RC_*, encode only */
} EstVchipConfig;

typedef struct EstVchipSurface
{
  const EstVchipFormat *format;
  int width, height;
  uint8_t *mem;                 /* owns the pixels */
  uint8_t *base;                /* mem, or an odd offset in strict mode */
  size_t size;
  uint32_t pitch[3], offset[3];
  int derived;                  /* derived images alive */
  /* Work submitted that writes or reads this surface and has not run yet
   * (strict mode defers it to sync). */
  struct EstVchipContext *pending;
  VAStatus status;              /* of the last work on it */
} EstVchipSurface;

typedef struct EstVchipBuffer
{
  VABufferType type;
  unsigned size, n_elements;    /* size is per element */
  uint8_t *data;                /* owned unless borrowed */
  int borrowed;                 /* pixels of a derived image */
  int mapped;
  /* Coded buffers: the segment written by the encoder, and the context
   * whose pending work will fill it. */
  VACodedBufferSegment segment;
  size_t capacity;              /* bytes of data for the bitstream */
  struct EstVchipContext *pending;
} EstVchipBuffer;

typedef struct EstVchipImage
{
  VAImage image;
  VASurfaceID derived_from;     /* VA_INVALID_ID for a created image */
} EstVchipImage;

typedef struct EstVchipVpp EstVchipVpp;
typedef struct EstVchipEncoder EstVchipEncoder;

/* The parameters of one video-processing picture, copied at
 * vaRenderPicture (clients may destroy their buffers before the work
 * runs). */
typedef struct EstVchipVppJob
{
  VAProcPipelineParameterBuffer pipeline;
  VARectangle surface_region, output_region;
  int has_surface_region, has_output_region;
  int tone_map;                 /* an HDR tone-mapping filter was given */
  VAHdrMetaDataHDR10 in_hdr;    /* its metadata */
  int has_out_hdr;
  VAHdrMetaDataHDR10 out_hdr;   /* pipeline.output_hdr_metadata's */
} EstVchipVppJob;

typedef struct EstVchipContext
{
  EstVchipConfig config;        /* a copy: the configuration may go first */
  VASurfaceID target;           /* between vaBeginPicture and vaEndPicture */
  int in_picture;
  /* Submitted picture not yet run (strict mode): its target surface and,
   * for encode, its coded buffer. */
  int pending;
  VASurfaceID pending_target;
  VABufferID pending_coded;
  /* Video processing. */
  int have_vpp_job;
  EstVchipVppJob vpp_job;
  EstVchipVpp *vpp;
  /* Encode. */
  EstVchipEncoder *enc;
} EstVchipContext;

typedef struct EstVchipObject
{
  EstVchipKind kind;
  union
  {
    EstVchipConfig config;
    EstVchipContext context;
    EstVchipSurface surface;
    EstVchipBuffer buffer;
    EstVchipImage image;
  } u;
} EstVchipObject;

/* Strict mode (ESTUARY_VCHIP_STRICT): see docs/vchip.md. */
typedef struct EstVchipStrict
{
  int odd_layout;               /* odd pitches, offsets and base alignment */
  int defer;                    /* work runs at sync, not at vaEndPicture */
  unsigned fail_end;            /* the n-th vaEndPicture fails; 0: never */
  unsigned fail_sync;           /* the n-th sync reports a device error */
} EstVchipStrict;

typedef struct EstVchip
{
  pthread_mutex_t lock;
  EstVchipObject **objects[EST_VCHIP_N_KINDS];
  unsigned n_objects[EST_VCHIP_N_KINDS];
  EstVchipStrict strict;
  unsigned n_end, n_sync;       /* calls counted for fault injection */
} EstVchip;

/* Object tables. IDs carry their kind: lookups of a wrong kind fail. */
VAGenericID est_vchip_add (EstVchip * d, EstVchipKind kind,
    EstVchipObject ** obj);
EstVchipObject *est_vchip_lookup (EstVchip * d, EstVchipKind kind,
    VAGenericID id);
void est_vchip_remove (EstVchip * d, EstVchipKind kind, VAGenericID id);

/* The surface of id; NULL when id is not a live surface. */
static inline EstVchipSurface *
est_vchip_surface (EstVchip * d, VASurfaceID id)
{
  EstVchipObject *o = est_vchip_lookup (d, EST_VCHIP_SURFACE, id);
  return o ? &o->u.surface : NULL;
}

/* Runs the work a context has pending (strict mode), if any. */
VAStatus est_vchip_flush (EstVchip * d, EstVchipContext * c);

/* --- vchipsurface.c ----------------------------------------------------- */

/* The format of fourcc; NULL when the chip has none. */
const EstVchipFormat *est_vchip_format (uint32_t fourcc);
/* The default format of a render-target format (VA_RT_FORMAT_*); NULL
 * when unsupported. */
const EstVchipFormat *est_vchip_format_for_rt (uint32_t rt_format);
int est_vchip_n_formats (void);
const EstVchipFormat *est_vchip_format_at (int i);

/* Plane p of f stores groups of `gs` pixels in `gb` bytes, one row per
 * 2^sy picture rows. */
void est_vchip_plane_geometry (const EstVchipFormat * f, int p, int *gs,
    int *gb, int *sy);
/* Picture memory of a surface or an image of a format: plane pitches and
 * offsets, total size. */
size_t est_vchip_layout (const EstVchipFormat * f, int width, int height,
    int odd, uint32_t pitch[3], uint32_t offset[3]);
/* Plane pointers and strides of a picture for videopack.h. */
void est_vchip_video_image (const EstVchipFormat * f, uint8_t * base,
    const uint32_t pitch[3], const uint32_t offset[3], EstVideoImage * img);

VAStatus est_vchip_create_surfaces (EstVchip * d, unsigned rt_format,
    unsigned width, unsigned height, VASurfaceID * surfaces,
    unsigned n, VASurfaceAttrib * attribs, unsigned n_attribs);
VAStatus est_vchip_destroy_surfaces (EstVchip * d, VASurfaceID * surfaces,
    int n);
VAStatus est_vchip_query_surface_attributes (EstVchip * d,
    VAConfigID config, VASurfaceAttrib * attribs, unsigned *n);
VAStatus est_vchip_query_image_formats (EstVchip * d,
    VAImageFormat * formats, int *n);
VAStatus est_vchip_create_image (EstVchip * d, VAImageFormat * format,
    int width, int height, VAImage * image);
VAStatus est_vchip_derive_image (EstVchip * d, VASurfaceID surface,
    VAImage * image);
VAStatus est_vchip_destroy_image (EstVchip * d, VAImageID image);
VAStatus est_vchip_get_image (EstVchip * d, VASurfaceID surface, int x,
    int y, unsigned width, unsigned height, VAImageID image);
VAStatus est_vchip_put_image (EstVchip * d, VASurfaceID surface,
    VAImageID image, int src_x, int src_y, unsigned src_w, unsigned src_h,
    int dst_x, int dst_y, unsigned dst_w, unsigned dst_h);

/* --- vchipvpp.c --------------------------------------------------------- */

/* Copies a pipeline buffer and the filters it names into job. */
VAStatus est_vchip_vpp_render (EstVchip * d,
    const VAProcPipelineParameterBuffer * p, EstVchipVppJob * job);
/* Runs job: job->pipeline.surface into target. */
VAStatus est_vchip_vpp_run (EstVchip * d, EstVchipContext * c,
    EstVchipSurface * target);
void est_vchip_vpp_free (EstVchipVpp * v);

VAStatus est_vchip_query_filters (VAProcFilterType * filters, unsigned *n);
VAStatus est_vchip_query_filter_caps (VAProcFilterType type, void *caps,
    unsigned *n);
VAStatus est_vchip_query_pipeline_caps (VAProcPipelineCaps * caps);

/* --- vchipencode.c ------------------------------------------------------ */

int est_vchip_encode_profile (VAProfile profile);
/* Fills attribute values for an encode profile; unknown ones get
 * VA_ATTRIB_NOT_SUPPORTED. */
void est_vchip_encode_attributes (VAProfile profile, VAConfigAttrib * a,
    int n);
EstVchipEncoder *est_vchip_encoder_new (const EstVchipConfig * config);
void est_vchip_encoder_free (EstVchipEncoder * e);
/* Takes one parameter buffer of the current picture (copied). */
VAStatus est_vchip_encoder_render (EstVchipEncoder * e,
    const EstVchipBuffer * b);
/* The coded buffer the current picture writes; VA_INVALID_ID if none. */
VABufferID est_vchip_encoder_coded_buffer (EstVchipEncoder * e);
/* Checks the picture's parameters at vaEndPicture. */
VAStatus est_vchip_encoder_check (EstVchipEncoder * e,
    const EstVchipSurface * input);
/* Encodes input into coded. */
VAStatus est_vchip_encoder_run (EstVchipEncoder * e,
    const EstVchipSurface * input, EstVchipBuffer * coded);

#endif
