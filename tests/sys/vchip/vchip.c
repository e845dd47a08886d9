/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The virtual accelerator through libva itself: every entry point, its
 * error statuses, the VPP engine against common/hdrscale (bit for bit),
 * the encoders (frame types, per-frame QP, ROI, rates, decoded quality
 * through libavcodec) and the strict mode. A headless display
 * (sys/vchip/vaheadless.c); ESTUARY_VCHIP_DIR names the driver's folder. */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <va/va.h>
#include <va/va_drmcommon.h>
#include <va/va_enc_h264.h>
#include <va/va_enc_hevc.h>
#include <va/va_vpp.h>

#include "cpu.h"
#include "hdrscale.h"
#include "vaheadless.h"

#ifdef EST_HAVE_LIBAV
#include <libavcodec/avcodec.h>
#endif

static int failures;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
      failures++; \
      fprintf (stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf (stderr, __VA_ARGS__); \
      fprintf (stderr, "\n"); \
    } \
  } while (0)

#define CHECK_ST(call, want) do { \
    VAStatus st_ = (call); \
    CHECK (st_ == (want), "%s returned %s (0x%x), expected %s", #call, \
        vaErrorStr (st_), st_, vaErrorStr (want)); \
  } while (0)

#define OK(call) CHECK_ST (call, VA_STATUS_SUCCESS)

static const char *driver_dir;

static VADisplay
open_display (const char *strict)
{
  VADisplay dpy;

  if (strict)
    setenv ("ESTUARY_VCHIP_STRICT", strict, 1);
  else
    unsetenv ("ESTUARY_VCHIP_STRICT");
  dpy = est_va_headless_open_vchip (driver_dir);
  if (!dpy) {
    fprintf (stderr, "FAIL: the driver in %s does not load\n", driver_dir);
    exit (1);
  }
  return dpy;
}

/* --- Pictures in and out ------------------------------------------------- */

/* Fills a surface of `fourcc` with a deterministic pattern through an
 * image (vaCreateImage + vaPutImage). */
static void
upload_pattern (VADisplay dpy, VASurfaceID s, uint32_t fourcc, int w, int h,
    unsigned seed)
{
  VAImageFormat fmt = {.fourcc = fourcc };
  VAImage im;
  uint8_t *p;

  OK (vaCreateImage (dpy, &fmt, w, h, &im));
  OK (vaMapBuffer (dpy, im.buf, (void **) &p));
  for (uint32_t i = 0; i < im.data_size; i++) {
    unsigned v = ((i + seed * 7919u) * 2654435761u) >> 13;
    p[i] = (uint8_t) (v & 0xff);
  }
  /* smooth luma so the encoders have something real to code */
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) {
      /* a moving ramp and checkerboard, and noise that changes every
       * frame so that P pictures carry a residual */
      unsigned noise = ((unsigned) (x * 7 + y * 131) + seed * 7919u) *
          2654435761u >> 28;
      int v = 32 + ((x + y + (int) seed * 3) * 160 / (w + h)) +
          (((x / 8 + y / 8) & 1) ? 20 : 0) + (int) noise;
      if (fourcc == VA_FOURCC_P010)
        ((uint16_t *) (p + im.offsets[0] + y * im.pitches[0]))[x] =
            (uint16_t) ((v * 4) << 6);
      else if (fourcc == VA_FOURCC_NV12 || fourcc == VA_FOURCC_I420)
        p[im.offsets[0] + y * im.pitches[0] + x] = (uint8_t) v;
    }
  }
  if (fourcc == VA_FOURCC_P010) {
    /* 10-bit codes live in the top bits */
    for (int y = 0; y < (h + 1) / 2; y++) {
      uint16_t *row = (uint16_t *) (p + im.offsets[1] + y * im.pitches[1]);
      for (int x = 0; x < ((w + 1) / 2) * 2; x++)
        row[x] = (uint16_t) ((400 + (x * 7 + y * 3) % 224) << 6);
    }
  }
  OK (vaUnmapBuffer (dpy, im.buf));
  OK (vaPutImage (dpy, s, im.image_id, 0, 0, w, h, 0, 0, w, h));
  OK (vaDestroyImage (dpy, im.image_id));
}

/* The picture of a surface (vaDeriveImage), copied out, and its layout. */
typedef struct Picture
{
  uint8_t *data;
  VAImage im;
} Picture;

static Picture
download (VADisplay dpy, VASurfaceID s)
{
  Picture pic = { 0 };
  uint8_t *p;

  OK (vaSyncSurface (dpy, s));
  OK (vaDeriveImage (dpy, s, &pic.im));
  OK (vaMapBuffer (dpy, pic.im.buf, (void **) &p));
  pic.data = malloc (pic.im.data_size);
  memcpy (pic.data, p, pic.im.data_size);
  OK (vaUnmapBuffer (dpy, pic.im.buf));
  OK (vaDestroyImage (dpy, pic.im.image_id));
  return pic;
}

static EstVideoImage
video_image (Picture * pic)
{
  EstVideoImage img = { {0} };
  for (unsigned p = 0; p < pic->im.num_planes; p++) {
    img.data[p] = pic->data + pic->im.offsets[p];
    img.stride[p] = pic->im.pitches[p];
  }
  return img;
}

/* Bytes of plane p that hold samples, for comparisons. */
static int
row_bytes (uint32_t fourcc, int p, int w)
{
  switch (fourcc) {
    case VA_FOURCC_NV12:
      return p ? (w + 1) / 2 * 2 : w;
    case VA_FOURCC_P010:
      return p ? (w + 1) / 2 * 4 : 2 * w;
    case VA_FOURCC_I420:
      return p ? (w + 1) / 2 : w;
    case VA_FOURCC_YUY2:
      return (w + 1) / 2 * 4;
    default:
      return 4 * w;
  }
}

static int
plane_rows (uint32_t fourcc, int p, int h)
{
  int sub = p && (fourcc == VA_FOURCC_NV12 || fourcc == VA_FOURCC_P010 ||
      fourcc == VA_FOURCC_I420);
  return sub ? (h + 1) / 2 : h;
}

/* Number of bytes that differ between two pictures of one format. */
static long
compare (const Picture * a, const EstVideoImage * b, uint32_t fourcc, int w,
    int h)
{
  long diff = 0;
  for (unsigned p = 0; p < a->im.num_planes; p++)
    for (int y = 0; y < plane_rows (fourcc, p, h); y++)
      for (int x = 0; x < row_bytes (fourcc, p, w); x++)
        diff += a->data[a->im.offsets[p] + y * a->im.pitches[p] + x] !=
            b->data[p][y * b->stride[p] + x];
  return diff;
}

/* --- Queries ------------------------------------------------------------- */

static void
test_queries (VADisplay dpy)
{
  int n = vaMaxNumProfiles (dpy), ne;
  VAProfile *profiles = calloc (n, sizeof (*profiles));
  VAEntrypoint ep[4];
  int have_none = 0, have_h264 = 0, have_hevc10 = 0;

  CHECK (strstr (vaQueryVendorString (dpy), "Estuary") != NULL, "vendor %s",
      vaQueryVendorString (dpy));
  OK (vaQueryConfigProfiles (dpy, profiles, &n));
  for (int i = 0; i < n; i++) {
    have_none |= profiles[i] == VAProfileNone;
    have_h264 |= profiles[i] == VAProfileH264High;
    have_hevc10 |= profiles[i] == VAProfileHEVCMain10;
    OK (vaQueryConfigEntrypoints (dpy, profiles[i], ep, &ne));
    CHECK (ne == 1 && ep[0] == (profiles[i] == VAProfileNone ?
            VAEntrypointVideoProc : VAEntrypointEncSlice),
        "entrypoints of profile %d", profiles[i]);
  }
  CHECK (have_none && have_h264 && have_hevc10, "profiles %d %d %d",
      have_none, have_h264, have_hevc10);
  free (profiles);
  CHECK_ST (vaQueryConfigEntrypoints (dpy, VAProfileVP9Profile0, ep, &ne),
      VA_STATUS_ERROR_UNSUPPORTED_PROFILE);

  VAConfigAttrib a[6] = {
    {VAConfigAttribRTFormat}, {VAConfigAttribRateControl},
    {VAConfigAttribEncPackedHeaders}, {VAConfigAttribEncMaxRefFrames},
    {VAConfigAttribEncROI}, {VAConfigAttribDecSliceMode},
  };
  OK (vaGetConfigAttributes (dpy, VAProfileH264Main, VAEntrypointEncSlice, a,
          6));
  CHECK (a[0].value == VA_RT_FORMAT_YUV420, "rt %x", a[0].value);
  CHECK (a[1].value == (VA_RC_CQP | VA_RC_CBR | VA_RC_VBR), "rc %x",
      a[1].value);
  CHECK (a[2].value == VA_ENC_PACKED_HEADER_NONE, "packed %x", a[2].value);
  CHECK (a[3].value == 1, "refs %x: one L0, no L1", a[3].value);
  VAConfigAttribValEncROI roi = {.value = a[4].value };
  CHECK (roi.bits.num_roi_regions == 8 && roi.bits.roi_rc_qp_delta_support,
      "roi %x", a[4].value);
  CHECK (a[5].value == VA_ATTRIB_NOT_SUPPORTED, "dec slice mode %x",
      a[5].value);
  CHECK_ST (vaGetConfigAttributes (dpy, VAProfileNone, VAEntrypointEncSlice,
          a, 1), VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT);
  CHECK_ST (vaGetConfigAttributes (dpy, VAProfileH264High,
          VAEntrypointVLD, a, 1), VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT);

  /* configurations */
  VAConfigID cfg;
  VAConfigAttrib bad_rt = { VAConfigAttribRTFormat, VA_RT_FORMAT_YUV444 };
  VAConfigAttrib two_rc = { VAConfigAttribRateControl, VA_RC_CBR | VA_RC_VBR };
  VAConfigAttrib packed = { VAConfigAttribEncPackedHeaders,
    VA_ENC_PACKED_HEADER_SEQUENCE
  };
  VAConfigAttrib cbr = { VAConfigAttribRateControl, VA_RC_CBR };
  CHECK_ST (vaCreateConfig (dpy, VAProfileH264Main, VAEntrypointEncSlice,
          &bad_rt, 1, &cfg), VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT);
  CHECK_ST (vaCreateConfig (dpy, VAProfileH264Main, VAEntrypointEncSlice,
          &two_rc, 1, &cfg), VA_STATUS_ERROR_INVALID_VALUE);
  CHECK_ST (vaCreateConfig (dpy, VAProfileH264Main, VAEntrypointEncSlice,
          &packed, 1, &cfg), VA_STATUS_ERROR_INVALID_VALUE);
  CHECK_ST (vaCreateConfig (dpy, VAProfileVP8Version0_3,
          VAEntrypointEncSlice, NULL, 0, &cfg),
      VA_STATUS_ERROR_UNSUPPORTED_PROFILE);
  OK (vaCreateConfig (dpy, VAProfileH264Main, VAEntrypointEncSlice, &cbr, 1,
          &cfg));
  VAProfile prof;
  VAEntrypoint entry;
  VAConfigAttrib got[8];
  int n_got;
  OK (vaQueryConfigAttributes (dpy, cfg, &prof, &entry, got, &n_got));
  CHECK (prof == VAProfileH264Main && entry == VAEntrypointEncSlice &&
      n_got == 2 && got[1].value == VA_RC_CBR, "config read back");

  /* surface attributes: the encoder reads NV12 only */
  unsigned n_attr = 0;
  OK (vaQuerySurfaceAttributes (dpy, cfg, NULL, &n_attr));
  VASurfaceAttrib *attr = calloc (n_attr, sizeof (*attr));
  unsigned short_n = 1;
  CHECK_ST (vaQuerySurfaceAttributes (dpy, cfg, attr, &short_n),
      VA_STATUS_ERROR_MAX_NUM_EXCEEDED);
  OK (vaQuerySurfaceAttributes (dpy, cfg, attr, &n_attr));
  int formats = 0;
  for (unsigned i = 0; i < n_attr; i++)
    if (attr[i].type == VASurfaceAttribPixelFormat)
      formats += attr[i].value.value.i == VA_FOURCC_NV12 ? 1 : 100;
  CHECK (formats == 1, "encoder surface formats %d", formats);
  free (attr);

  OK (vaDestroyConfig (dpy, cfg));
  CHECK_ST (vaDestroyConfig (dpy, cfg), VA_STATUS_ERROR_INVALID_CONFIG);
  CHECK_ST (vaQueryConfigAttributes (dpy, cfg, &prof, &entry, got, &n_got),
      VA_STATUS_ERROR_INVALID_CONFIG);
}

/* --- Surfaces, images, buffers ------------------------------------------- */

static void
test_surfaces_and_images (VADisplay dpy)
{
  VASurfaceID s[2];
  VASurfaceAttrib fmt = {
    .type = VASurfaceAttribPixelFormat,.flags = VA_SURFACE_ATTRIB_SETTABLE,
    .value = {.type = VAGenericValueTypeInteger,.value.i = VA_FOURCC_P010}
  };
  VASurfaceAttrib prime = {
    .type = VASurfaceAttribMemoryType,.flags = VA_SURFACE_ATTRIB_SETTABLE,
    .value = {.type = VAGenericValueTypeInteger,.value.i =
          VA_SURFACE_ATTRIB_MEM_TYPE_USER_PTR}
  };

  CHECK_ST (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV444, 64, 64, s, 1, NULL,
          0), VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT);
  CHECK_ST (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420, 8193, 64, s, 1, NULL,
          0), VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED);
  CHECK_ST (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420, 0, 64, s, 1, NULL,
          0), VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED);
  CHECK_ST (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420, 64, 64, s, 1, &fmt,
          1), VA_STATUS_ERROR_INVALID_IMAGE_FORMAT);
  CHECK_ST (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420, 64, 64, s, 1, &prime,
          1), VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE);
  OK (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420_10, 33, 17, s, 2, &fmt, 1));

  /* put, get and derive agree on an odd-sized P010 picture */
  upload_pattern (dpy, s[0], VA_FOURCC_P010, 33, 17, 1);
  Picture a = download (dpy, s[0]);
  CHECK (a.im.format.fourcc == VA_FOURCC_P010 && a.im.width == 33 &&
      a.im.height == 17 && a.im.num_planes == 2, "derived image");
  VAImageFormat p010 = {.fourcc = VA_FOURCC_P010 };
  VAImage im;
  uint8_t *p;
  OK (vaCreateImage (dpy, &p010, 33, 17, &im));
  OK (vaGetImage (dpy, s[0], 0, 0, 33, 17, im.image_id));
  OK (vaMapBuffer (dpy, im.buf, (void **) &p));
  EstVideoImage got = { {p + im.offsets[0], p + im.offsets[1]},
  {im.pitches[0], im.pitches[1]}
  };
  CHECK (compare (&a, &got, VA_FOURCC_P010, 33, 17) == 0,
      "vaGetImage differs from vaDeriveImage");
  OK (vaUnmapBuffer (dpy, im.buf));
  /* a rectangle to another place */
  OK (vaPutImage (dpy, s[1], im.image_id, 2, 2, 16, 8, 4, 6, 16, 8));
  CHECK_ST (vaPutImage (dpy, s[1], im.image_id, 0, 0, 16, 8, 0, 0, 32, 8),
      VA_STATUS_ERROR_UNIMPLEMENTED);
  CHECK_ST (vaPutImage (dpy, s[1], im.image_id, 30, 0, 16, 8, 0, 0, 16, 8),
      VA_STATUS_ERROR_INVALID_PARAMETER);
  CHECK_ST (vaGetImage (dpy, s[1], 0, 10, 33, 17, im.image_id),
      VA_STATUS_ERROR_INVALID_PARAMETER);
  /* rectangles start on whole chroma samples (an odd row once overran
   * the chroma plane) */
  CHECK_ST (vaGetImage (dpy, s[1], 0, 1, 16, 8, im.image_id),
      VA_STATUS_ERROR_INVALID_PARAMETER);
  CHECK_ST (vaPutImage (dpy, s[1], im.image_id, 1, 0, 16, 8, 0, 0, 16, 8),
      VA_STATUS_ERROR_INVALID_PARAMETER);
  Picture b = download (dpy, s[1]);
  long diff = 0;
  for (int y = 0; y < 8; y++)
    diff += memcmp (b.data + b.im.offsets[0] + (6 + y) * b.im.pitches[0] + 8,
        a.data + a.im.offsets[0] + (2 + y) * a.im.pitches[0] + 4, 32) != 0;
  CHECK (diff == 0, "vaPutImage rectangle: %ld rows differ", diff);
  free (a.data);
  free (b.data);

  VAImageFormat nv12 = {.fourcc = VA_FOURCC_NV12 }, bogus = {.fourcc = 42 };
  VAImage im8;
  OK (vaCreateImage (dpy, &nv12, 33, 17, &im8));
  CHECK_ST (vaGetImage (dpy, s[0], 0, 0, 33, 17, im8.image_id),
      VA_STATUS_ERROR_INVALID_IMAGE_FORMAT);
  CHECK_ST (vaCreateImage (dpy, &bogus, 33, 17, &im8),
      VA_STATUS_ERROR_INVALID_IMAGE_FORMAT);
  OK (vaDestroyImage (dpy, im8.image_id));
  OK (vaDestroyImage (dpy, im.image_id));
  CHECK_ST (vaDestroyImage (dpy, im.image_id), VA_STATUS_ERROR_INVALID_IMAGE);

  /* a surface is busy while an image derived from it lives */
  VAImage d;
  OK (vaDeriveImage (dpy, s[0], &d));
  CHECK_ST (vaDestroySurfaces (dpy, s, 1), VA_STATUS_ERROR_SURFACE_BUSY);
  CHECK_ST (vaDestroyBuffer (dpy, d.buf), VA_STATUS_ERROR_INVALID_BUFFER);
  OK (vaDestroyImage (dpy, d.image_id));
  OK (vaDestroySurfaces (dpy, s, 2));
  CHECK_ST (vaDestroySurfaces (dpy, s, 1), VA_STATUS_ERROR_INVALID_SURFACE);
  CHECK_ST (vaDeriveImage (dpy, s[0], &d), VA_STATUS_ERROR_INVALID_SURFACE);

  int n = vaMaxNumImageFormats (dpy);
  VAImageFormat *list = calloc (n, sizeof (*list));
  OK (vaQueryImageFormats (dpy, list, &n));
  CHECK (n == 8, "%d image formats", n);
  free (list);
}

static void
test_buffers (VADisplay dpy)
{
  VAConfigID cfg;
  VAContextID ctx;
  VABufferID buf;
  uint32_t data[4] = { 1, 2, 3, 4 }, *p;

  OK (vaCreateConfig (dpy, VAProfileNone, VAEntrypointVideoProc, NULL, 0,
          &cfg));
  OK (vaCreateContext (dpy, cfg, 0, 0, 0, NULL, 0, &ctx));
  CHECK_ST (vaCreateContext (dpy, ctx, 0, 0, 0, NULL, 0, &ctx),
      VA_STATUS_ERROR_INVALID_CONFIG);
  CHECK_ST (vaCreateBuffer (dpy, cfg, VAProcPipelineParameterBufferType, 16,
          1, data, &buf), VA_STATUS_ERROR_INVALID_CONTEXT);
  CHECK_ST (vaCreateBuffer (dpy, ctx, VASliceDataBufferType, 16, 1, data,
          &buf), VA_STATUS_ERROR_UNSUPPORTED_BUFFERTYPE);
  CHECK_ST (vaCreateBuffer (dpy, ctx, VAProcPipelineParameterBufferType,
          1 << 20, 1024, NULL, &buf), VA_STATUS_ERROR_ALLOCATION_FAILED);
  OK (vaCreateBuffer (dpy, ctx, VAProcFilterParameterBufferType, 4, 4, data,
          &buf));
  OK (vaMapBuffer (dpy, buf, (void **) &p));
  CHECK (p[3] == 4, "buffer contents");
  OK (vaUnmapBuffer (dpy, buf));
  OK (vaBufferSetNumElements (dpy, buf, 2));
  CHECK_ST (vaBufferSetNumElements (dpy, buf, 5),
      VA_STATUS_ERROR_INVALID_PARAMETER);
  /* IDs of one kind never find an object of another */
  CHECK_ST (vaMapBuffer (dpy, ctx, (void **) &p),
      VA_STATUS_ERROR_INVALID_BUFFER);
  CHECK_ST (vaBeginPicture (dpy, buf, buf), VA_STATUS_ERROR_INVALID_CONTEXT);
  OK (vaDestroyBuffer (dpy, buf));
  CHECK_ST (vaDestroyBuffer (dpy, buf), VA_STATUS_ERROR_INVALID_BUFFER);
  CHECK_ST (vaMapBuffer (dpy, 0xdeadbeef, (void **) &p),
      VA_STATUS_ERROR_INVALID_BUFFER);
  OK (vaDestroyContext (dpy, ctx));
  CHECK_ST (vaDestroyContext (dpy, ctx), VA_STATUS_ERROR_INVALID_CONTEXT);
  OK (vaDestroyConfig (dpy, cfg));
}

/* --- Video processing ---------------------------------------------------- */

typedef struct VppCase
{
  const char *name;
  uint32_t in_fourcc, out_fourcc;
  unsigned in_rt, out_rt;
  int in_w, in_h, out_w, out_h;
  VAProcColorStandardType in_std, out_std;
  VAProcColorProperties in_cp, out_cp;
  uint32_t scaling;
  int tone_map;                 /* HDR10 metadata, MaxCLL 1000 */
  /* the same on the CPU */
  EstVideoFormat in_v, out_v;
  EstColourSpace in_c, out_c;
  EstResampleMethod method;
  double src_peak, dst_peak;
} VppCase;

#define CP(m, t, p, r) {.colour_primaries = p,.transfer_characteristics = t, \
    .matrix_coefficients = m,.color_range = r}
#define CS(m, t, p, full, depth) {m, t, p, full, depth}

static const VppCase vpp_cases[] = {
  {"NV12 640x360 -> 1280x720 bicubic",
        VA_FOURCC_NV12, VA_FOURCC_NV12, VA_RT_FORMAT_YUV420,
        VA_RT_FORMAT_YUV420, 640, 360, 1280, 720,
        VAProcColorStandardBT709, VAProcColorStandardBT709, {0}, {0},
        VA_FILTER_SCALING_DEFAULT, 0, EST_VIDEO_NV12, EST_VIDEO_NV12,
        CS (EST_MATRIX_BT709, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 8),
        CS (EST_MATRIX_BT709, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 8),
      EST_RESAMPLE_BICUBIC, 203, 203},
  {"I420 BT.601 -> NV12 BT.709 lanczos down (HQ)",
        VA_FOURCC_I420, VA_FOURCC_NV12, VA_RT_FORMAT_YUV420,
        VA_RT_FORMAT_YUV420, 720, 576, 352, 288,
        VAProcColorStandardBT470BG, VAProcColorStandardBT709, {0}, {0},
        VA_FILTER_SCALING_HQ, 0, EST_VIDEO_I420, EST_VIDEO_NV12,
        CS (EST_MATRIX_BT601, EST_TRANSFER_BT1886, EST_PRIMARIES_BT601_625, 0,
            8),
        CS (EST_MATRIX_BT709, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 8),
      EST_RESAMPLE_LANCZOS, 203, 203},
  {"P010 PQ -> NV12 SDR, HDR tone mapping (explicit)",
        VA_FOURCC_P010, VA_FOURCC_NV12, VA_RT_FORMAT_YUV420_10,
        VA_RT_FORMAT_YUV420, 320, 180, 320, 180,
        VAProcColorStandardExplicit, VAProcColorStandardExplicit,
        CP (9, 16, 9, VA_SOURCE_RANGE_REDUCED), CP (1, 1, 1,
            VA_SOURCE_RANGE_REDUCED), VA_FILTER_SCALING_FAST, 1,
        EST_VIDEO_P010, EST_VIDEO_NV12,
        CS (EST_MATRIX_BT2020NCL, EST_TRANSFER_PQ, EST_PRIMARIES_BT2020, 0,
            10),
        CS (EST_MATRIX_BT709, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 8),
      EST_RESAMPLE_BILINEAR, 1000, 203},
  {"NV12 -> BGRA (sRGB)",
        VA_FOURCC_NV12, VA_FOURCC_BGRA, VA_RT_FORMAT_YUV420,
        VA_RT_FORMAT_RGB32, 160, 90, 320, 180,
        VAProcColorStandardBT709, VAProcColorStandardSRGB, {0}, {0},
        VA_FILTER_SCALING_DEFAULT, 0, EST_VIDEO_NV12, EST_VIDEO_BGRA,
        CS (EST_MATRIX_BT709, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 8),
        CS (EST_MATRIX_RGB, EST_TRANSFER_SRGB, EST_PRIMARIES_BT709, 1, 8),
      EST_RESAMPLE_BICUBIC, 203, 203},
  {"RGBA -> YUY2",
        VA_FOURCC_RGBA, VA_FOURCC_YUY2, VA_RT_FORMAT_RGB32,
        VA_RT_FORMAT_YUV422, 100, 60, 100, 60,
        VAProcColorStandardNone, VAProcColorStandardBT709, {0}, {0},
        VA_FILTER_SCALING_DEFAULT, 0, EST_VIDEO_RGBA, EST_VIDEO_YUY2,
        CS (EST_MATRIX_RGB, EST_TRANSFER_SRGB, EST_PRIMARIES_BT709, 1, 8),
        CS (EST_MATRIX_BT709, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, 0, 8),
      EST_RESAMPLE_BICUBIC, 203, 203},
};

static VAHdrMetaDataHDR10 hdr10 = {
  .display_primaries_x = {13250, 7500, 34000},
  .display_primaries_y = {34500, 3000, 16000},
  .white_point_x = 15635,.white_point_y = 16450,
  .max_display_mastering_luminance = 10000000,
  .min_display_mastering_luminance = 50,
  .max_content_light_level = 1000,.max_pic_average_light_level = 400,
};

/* One processed picture; returns it downloaded. */
static Picture
process (VADisplay dpy, const VppCase * c, VASurfaceID * in_out,
    VAStatus * status)
{
  VAConfigID cfg;
  VAContextID ctx;
  VASurfaceID in, out;
  VASurfaceAttrib fa = {
    .type = VASurfaceAttribPixelFormat,.flags = VA_SURFACE_ATTRIB_SETTABLE,
    .value = {.type = VAGenericValueTypeInteger}
  };
  VABufferID pipe_buf, filter_buf;
  VAProcPipelineParameterBuffer pp;
  Picture pic = { 0 };

  OK (vaCreateConfig (dpy, VAProfileNone, VAEntrypointVideoProc, NULL, 0,
          &cfg));
  fa.value.value.i = (int) c->in_fourcc;
  OK (vaCreateSurfaces (dpy, c->in_rt, c->in_w, c->in_h, &in, 1, &fa, 1));
  fa.value.value.i = (int) c->out_fourcc;
  OK (vaCreateSurfaces (dpy, c->out_rt, c->out_w, c->out_h, &out, 1, &fa, 1));
  OK (vaCreateContext (dpy, cfg, c->out_w, c->out_h, 0, &out, 1, &ctx));
  upload_pattern (dpy, in, c->in_fourcc, c->in_w, c->in_h, 7);
  *in_out = in;

  memset (&pp, 0, sizeof (pp));
  pp.surface = in;
  pp.surface_color_standard = c->in_std;
  pp.output_color_standard = c->out_std;
  pp.input_color_properties = c->in_cp;
  pp.output_color_properties = c->out_cp;
  pp.filter_flags = c->scaling;
  pp.output_background_color = 0xff000000;
  if (c->tone_map) {
    VAProcFilterParameterBufferHDRToneMapping tm = {
      .type = VAProcFilterHighDynamicRangeToneMapping,
      .data = {.metadata_type = VAProcHighDynamicRangeMetadataHDR10,
          .metadata = &hdr10,.metadata_size = sizeof (hdr10)}
    };
    OK (vaCreateBuffer (dpy, ctx, VAProcFilterParameterBufferType,
            sizeof (tm), 1, &tm, &filter_buf));
    pp.filters = &filter_buf;
    pp.num_filters = 1;
  }
  OK (vaCreateBuffer (dpy, ctx, VAProcPipelineParameterBufferType,
          sizeof (pp), 1, &pp, &pipe_buf));
  OK (vaBeginPicture (dpy, ctx, out));
  OK (vaRenderPicture (dpy, ctx, &pipe_buf, 1));
  *status = vaEndPicture (dpy, ctx);
  if (*status == VA_STATUS_SUCCESS)
    pic = download (dpy, out);
  OK (vaDestroyBuffer (dpy, pipe_buf));
  if (c->tone_map)
    OK (vaDestroyBuffer (dpy, filter_buf));
  OK (vaDestroyContext (dpy, ctx));
  OK (vaDestroySurfaces (dpy, &out, 1));
  OK (vaDestroyConfig (dpy, cfg));
  return pic;
}

static void
test_vpp_matches_hdrscale (VADisplay dpy, const char *mode)
{
  for (size_t i = 0; i < sizeof (vpp_cases) / sizeof (vpp_cases[0]); i++) {
    const VppCase *c = &vpp_cases[i];
    VASurfaceID in;
    VAStatus st;
    Picture out = process (dpy, c, &in, &st);
    CHECK (st == VA_STATUS_SUCCESS, "%s (%s): vaEndPicture %s", c->name,
        mode, vaErrorStr (st));
    if (st != VA_STATUS_SUCCESS) {
      OK (vaDestroySurfaces (dpy, &in, 1));
      continue;
    }
    Picture src = download (dpy, in);

    /* the same conversion on the CPU */
    EstHdrScaleFormat fi = { c->in_v, c->in_w, c->in_h, c->in_c, 0, 0 };
    EstHdrScaleFormat fo = { c->out_v, c->out_w, c->out_h, c->out_c, 0, 0 };
    EstHdrScaleParams p = {
      .colour = {EST_TONE_CURVE_BT2390, NAN, EST_TONE_MODE_MAX_RGB,
          EST_GAMUT_SOFT, c->src_peak, c->dst_peak, 203},
      .method = c->method,.lanczos_taps = 3,.dither = 1,
      .cpu_flags = est_cpu_flags (),
    };
    const char *err = NULL;
    EstHdrScale *s = est_hdr_scale_new (&fi, &fo, &p, &err);
    CHECK (s != NULL, "%s: est_hdr_scale_new: %s", c->name, err);
    if (s) {
      Picture ref = { malloc (out.im.data_size), out.im };
      memset (ref.data, 0, out.im.data_size);
      EstVideoImage si = video_image (&src), ri = video_image (&ref);
      est_hdr_scale_process (s, &si, &ri);
      long diff = compare (&out, &ri, c->out_fourcc, c->out_w, c->out_h);
      CHECK (diff == 0, "%s (%s): %ld bytes differ from est_hdr_scale",
          c->name, mode, diff);
      est_hdr_scale_free (s);
      free (ref.data);
    }
    free (out.data);
    free (src.data);
    OK (vaDestroySurfaces (dpy, &in, 1));
  }
}

static void
test_vpp_errors (VADisplay dpy)
{
  VAConfigID cfg;
  VAContextID ctx;
  VASurfaceID s[2];
  VABufferID buf, fbuf, coded;
  VAProcPipelineParameterBuffer pp;
  VAProcPipelineCaps caps;
  VAProcFilterType filters[4];
  unsigned n = 4;

  OK (vaCreateConfig (dpy, VAProfileNone, VAEntrypointVideoProc, NULL, 0,
          &cfg));
  OK (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420, 64, 64, s, 2, NULL, 0));
  OK (vaCreateContext (dpy, cfg, 64, 64, 0, s, 2, &ctx));

  /* capabilities: an uninitialised struct comes back filled in */
  memset (&caps, 0xa5, sizeof (caps));
  OK (vaQueryVideoProcPipelineCaps (dpy, ctx, NULL, 0, &caps));
  CHECK (caps.num_input_color_standards >= 6 &&
      caps.input_color_standards[0] == VAProcColorStandardBT601 &&
      caps.num_output_pixel_formats == 8 && caps.max_output_width == 8192 &&
      caps.rotation_flags == 0, "pipeline caps");
  OK (vaQueryVideoProcFilters (dpy, ctx, filters, &n));
  CHECK (n == 1 && filters[0] == VAProcFilterHighDynamicRangeToneMapping,
      "filters");
  VAProcFilterCapHighDynamicRange hcap;
  n = 1;
  OK (vaQueryVideoProcFilterCaps (dpy, ctx,
          VAProcFilterHighDynamicRangeToneMapping, &hcap, &n));
  CHECK (hcap.metadata_type == VAProcHighDynamicRangeMetadataHDR10 &&
      (hcap.caps_flag & VA_TONE_MAPPING_HDR_TO_SDR), "HDR caps");
  CHECK_ST (vaQueryVideoProcFilterCaps (dpy, ctx, VAProcFilterSharpening,
          &hcap, &n), VA_STATUS_ERROR_UNSUPPORTED_FILTER);
  CHECK_ST (vaQueryVideoProcPipelineCaps (dpy, cfg, NULL, 0, &caps),
      VA_STATUS_ERROR_INVALID_CONTEXT);

  memset (&pp, 0, sizeof (pp));
  pp.surface = s[0];
  OK (vaCreateBuffer (dpy, ctx, VAProcPipelineParameterBufferType,
          sizeof (pp), 1, &pp, &buf));
  CHECK_ST (vaRenderPicture (dpy, ctx, &buf, 1),
      VA_STATUS_ERROR_OPERATION_FAILED);
  CHECK_ST (vaEndPicture (dpy, ctx), VA_STATUS_ERROR_OPERATION_FAILED);
  CHECK_ST (vaBeginPicture (dpy, ctx, 7), VA_STATUS_ERROR_INVALID_SURFACE);

  /* nothing rendered */
  OK (vaBeginPicture (dpy, ctx, s[1]));
  CHECK_ST (vaEndPicture (dpy, ctx), VA_STATUS_ERROR_INVALID_PARAMETER);

  /* a wrong buffer kind for processing */
  OK (vaCreateBuffer (dpy, ctx, VAEncCodedBufferType, 4096, 1, NULL, &coded));
  OK (vaBeginPicture (dpy, ctx, s[1]));
  CHECK_ST (vaRenderPicture (dpy, ctx, &coded, 1),
      VA_STATUS_ERROR_UNSUPPORTED_BUFFERTYPE);

  /* rotation, a missing input, a filter the chip lacks, a bad region */
  VAProcPipelineParameterBuffer *m;
  OK (vaMapBuffer (dpy, buf, (void **) &m));
  m->rotation_state = VA_ROTATION_90;
  OK (vaUnmapBuffer (dpy, buf));
  CHECK_ST (vaRenderPicture (dpy, ctx, &buf, 1),
      VA_STATUS_ERROR_INVALID_PARAMETER);
  OK (vaMapBuffer (dpy, buf, (void **) &m));
  m->rotation_state = 0;
  m->surface = 12345;
  OK (vaUnmapBuffer (dpy, buf));
  CHECK_ST (vaRenderPicture (dpy, ctx, &buf, 1),
      VA_STATUS_ERROR_INVALID_SURFACE);
  VAProcFilterParameterBuffer sharp = { VAProcFilterSharpening, 0.5f };
  OK (vaCreateBuffer (dpy, ctx, VAProcFilterParameterBufferType,
          sizeof (sharp), 1, &sharp, &fbuf));
  OK (vaMapBuffer (dpy, buf, (void **) &m));
  m->surface = s[0];
  m->filters = &fbuf;
  m->num_filters = 1;
  OK (vaUnmapBuffer (dpy, buf));
  CHECK_ST (vaRenderPicture (dpy, ctx, &buf, 1),
      VA_STATUS_ERROR_UNSUPPORTED_FILTER);
  VARectangle outside = { 32, 32, 64, 64 };
  OK (vaMapBuffer (dpy, buf, (void **) &m));
  m->filters = NULL;
  m->num_filters = 0;
  m->output_region = &outside;
  OK (vaUnmapBuffer (dpy, buf));
  OK (vaRenderPicture (dpy, ctx, &buf, 1));
  CHECK_ST (vaEndPicture (dpy, ctx), VA_STATUS_ERROR_INVALID_PARAMETER);

  /* in place is refused */
  OK (vaMapBuffer (dpy, buf, (void **) &m));
  m->output_region = NULL;
  OK (vaUnmapBuffer (dpy, buf));
  OK (vaBeginPicture (dpy, ctx, s[0]));
  OK (vaRenderPicture (dpy, ctx, &buf, 1));
  CHECK_ST (vaEndPicture (dpy, ctx), VA_STATUS_ERROR_INVALID_PARAMETER);

  OK (vaDestroyBuffer (dpy, fbuf));
  OK (vaDestroyBuffer (dpy, coded));
  OK (vaDestroyBuffer (dpy, buf));
  OK (vaDestroyContext (dpy, ctx));
  OK (vaDestroySurfaces (dpy, s, 2));
  OK (vaDestroyConfig (dpy, cfg));
}

/* --- Encode -------------------------------------------------------------- */

typedef struct EncCase
{
  VAProfile profile;
  uint32_t rc;                  /* VA_RC_* */
  int w, h, frames;
  unsigned bitrate;             /* bit/s, CBR and VBR */
  unsigned target_percentage;
  const int *qp;                /* CQP: one a frame, cycled; NULL: 26 */
  int n_qp;
  const int *idr;               /* frames coded IDR besides the first */
  int n_idr;
  int roi_delta;                /* a ROI over the whole picture; 0: none */
  unsigned coded_size;          /* coded buffer bytes; 0: plenty */
  int change_at;                /* from this frame on, bitrate2; 0: never */
  unsigned bitrate2;
} EncCase;

typedef struct EncResult
{
  uint8_t *stream;
  size_t size;
  size_t frame_size[64];
  size_t frame_start[64];
  uint32_t status[64];
  Picture source[64];           /* what each frame's input held */
} EncResult;

static int
is_hevc (VAProfile p)
{
  return p == VAProfileHEVCMain || p == VAProfileHEVCMain10;
}

static VABufferID
misc_buffer (VADisplay dpy, VAContextID ctx, VAEncMiscParameterType type,
    const void *body, size_t size)
{
  uint8_t buf[512] = { 0 };
  VAEncMiscParameterBuffer *m = (VAEncMiscParameterBuffer *) buf;
  VABufferID id;

  m->type = type;
  memcpy (m->data, body, size);
  OK (vaCreateBuffer (dpy, ctx, VAEncMiscParameterBufferType,
          (unsigned) (sizeof (*m) + size), 1, buf, &id));
  return id;
}

/* Renders one picture's parameter buffers. */
static void
render_params (VADisplay dpy, VAContextID ctx, const EncCase * c, int i,
    VASurfaceID recon, VABufferID coded, int idr)
{
  VABufferID b[8];
  int n = 0, qp = c->qp ? c->qp[i % c->n_qp] : 26;
  unsigned bitrate = c->change_at && i >= c->change_at ? c->bitrate2 :
      c->bitrate;
  int mbw = (c->w + 15) / 16, mbh = (c->h + 15) / 16;
  VAEncROI roi = { {0, 0, (uint16_t) c->w, (uint16_t) c->h},
  (int8_t) c->roi_delta
  };

  if (is_hevc (c->profile)) {
    VAEncSequenceParameterBufferHEVC seq = { 0 };
    VAEncPictureParameterBufferHEVC pic = { 0 };
    VAEncSliceParameterBufferHEVC sl = { 0 };
    seq.general_profile_idc = c->profile == VAProfileHEVCMain10 ? 2 : 1;
    seq.general_level_idc = 120;
    seq.intra_period = 1000;
    seq.ip_period = 1;
    seq.bits_per_second = bitrate;
    seq.pic_width_in_luma_samples = (uint16_t) (mbw * 16);
    seq.pic_height_in_luma_samples = (uint16_t) (mbh * 16);
    seq.seq_fields.bits.bit_depth_luma_minus8 =
        c->profile == VAProfileHEVCMain10 ? 2 : 0;
    seq.vui_time_scale = 30;
    seq.vui_num_units_in_tick = 1;
    pic.decoded_curr_pic.picture_id = recon;
    pic.coded_buf = coded;
    pic.pic_init_qp = (uint8_t) qp;
    pic.pic_fields.bits.idr_pic_flag = idr;
    pic.pic_fields.bits.coding_type = idr ? 1 : 2;
    sl.slice_type = idr ? 2 : 1;
    OK (vaCreateBuffer (dpy, ctx, VAEncSequenceParameterBufferType,
            sizeof (seq), 1, &seq, &b[n++]));
    OK (vaCreateBuffer (dpy, ctx, VAEncPictureParameterBufferType,
            sizeof (pic), 1, &pic, &b[n++]));
    OK (vaCreateBuffer (dpy, ctx, VAEncSliceParameterBufferType,
            sizeof (sl), 1, &sl, &b[n++]));
  } else {
    VAEncSequenceParameterBufferH264 seq = { 0 };
    VAEncPictureParameterBufferH264 pic = { 0 };
    VAEncSliceParameterBufferH264 sl = { 0 };
    seq.level_idc = 40;
    seq.intra_period = 1000;
    seq.ip_period = 1;
    seq.bits_per_second = bitrate;
    seq.picture_width_in_mbs = (uint16_t) mbw;
    seq.picture_height_in_mbs = (uint16_t) mbh;
    seq.frame_cropping_flag = mbw * 16 != c->w || mbh * 16 != c->h;
    seq.frame_crop_right_offset = (uint32_t) (mbw * 16 - c->w) / 2;
    seq.frame_crop_bottom_offset = (uint32_t) (mbh * 16 - c->h) / 2;
    seq.time_scale = 60;
    seq.num_units_in_tick = 1;
    pic.CurrPic.picture_id = recon;
    pic.coded_buf = coded;
    pic.pic_init_qp = (uint8_t) qp;
    pic.pic_fields.bits.idr_pic_flag = idr;
    pic.pic_fields.bits.reference_pic_flag = 1;
    sl.slice_type = idr ? 2 : 0;
    sl.num_macroblocks = (uint32_t) (mbw * mbh);
    OK (vaCreateBuffer (dpy, ctx, VAEncSequenceParameterBufferType,
            sizeof (seq), 1, &seq, &b[n++]));
    OK (vaCreateBuffer (dpy, ctx, VAEncPictureParameterBufferType,
            sizeof (pic), 1, &pic, &b[n++]));
    OK (vaCreateBuffer (dpy, ctx, VAEncSliceParameterBufferType,
            sizeof (sl), 1, &sl, &b[n++]));
  }
  if (c->rc != VA_RC_CQP) {
    VAEncMiscParameterRateControl rc = { 0 };
    VAEncMiscParameterHRD hrd = { bitrate, bitrate / 2 };
    rc.bits_per_second = bitrate;
    rc.target_percentage = c->target_percentage;
    b[n++] = misc_buffer (dpy, ctx, VAEncMiscParameterTypeRateControl, &rc,
        sizeof (rc));
    b[n++] = misc_buffer (dpy, ctx, VAEncMiscParameterTypeHRD, &hrd,
        sizeof (hrd));
  }
  if (c->roi_delta) {
    VAEncMiscParameterBufferROI r = { 0 };
    r.num_roi = 1;
    r.max_delta_qp = 51;
    r.min_delta_qp = -51;
    r.roi = &roi;
    r.roi_flags.bits.roi_value_is_qp_delta = 1;
    b[n++] = misc_buffer (dpy, ctx, VAEncMiscParameterTypeROI, &r, sizeof (r));
  }
  OK (vaRenderPicture (dpy, ctx, b, n));
  for (int k = 0; k < n; k++)
    OK (vaDestroyBuffer (dpy, b[k]));
}

static int
frame_is_idr (const EncCase * c, int i)
{
  if (i == 0)
    return 1;
  for (int k = 0; k < c->n_idr; k++)
    if (c->idr[k] == i)
      return 1;
  return 0;
}

static void
encode (VADisplay dpy, const EncCase * c, EncResult * r, const char *strict)
{
  VAConfigAttrib attr[2] = {
    {VAConfigAttribRTFormat, c->profile == VAProfileHEVCMain10 ?
          VA_RT_FORMAT_YUV420_10 : VA_RT_FORMAT_YUV420},
    {VAConfigAttribRateControl, c->rc},
  };
  unsigned rt = attr[0].value;
  uint32_t fourcc = rt == VA_RT_FORMAT_YUV420_10 ? VA_FOURCC_P010 :
      VA_FOURCC_NV12;
  VAConfigID cfg;
  VAContextID ctx;
  VASurfaceID in, recon[2];
  VABufferID coded;
  int aw = (c->w + 15) / 16 * 16, ah = (c->h + 15) / 16 * 16;

  memset (r, 0, sizeof (*r));
  OK (vaCreateConfig (dpy, c->profile, VAEntrypointEncSlice, attr, 2, &cfg));
  /* the input has the picture's size; reconstructed surfaces are aligned */
  OK (vaCreateSurfaces (dpy, rt, c->w, c->h, &in, 1, NULL, 0));
  OK (vaCreateSurfaces (dpy, rt, aw, ah, recon, 2, NULL, 0));
  OK (vaCreateContext (dpy, cfg, aw, ah, VA_PROGRESSIVE, recon, 2, &ctx));
  OK (vaCreateBuffer (dpy, ctx, VAEncCodedBufferType,
          c->coded_size ? c->coded_size : (unsigned) (aw * ah * 3), 1, NULL,
          &coded));
  r->stream = malloc ((size_t) c->frames * aw * ah * 3);
  for (int i = 0; i < c->frames; i++) {
    VACodedBufferSegment *seg;
    VASurfaceStatus ss;
    upload_pattern (dpy, in, fourcc, c->w, c->h, (unsigned) i);
    r->source[i] = download (dpy, in);
    OK (vaBeginPicture (dpy, ctx, in));
    render_params (dpy, ctx, c, i, recon[i & 1], coded, frame_is_idr (c, i));
    OK (vaEndPicture (dpy, ctx));
    if (strict) {
      OK (vaQuerySurfaceStatus (dpy, in, &ss));
      CHECK (ss == VASurfaceRendering, "strict encode: done before sync");
    }
    /* mapping the coded buffer waits for the picture */
    OK (vaMapBuffer (dpy, coded, (void **) &seg));
    CHECK (seg->next == NULL && seg->buf && seg->size > 0, "segment");
    r->status[i] = seg->status;
    r->frame_start[i] = r->size;
    r->frame_size[i] = seg->size;
    memcpy (r->stream + r->size, seg->buf, seg->size);
    r->size += seg->size;
    OK (vaUnmapBuffer (dpy, coded));
    OK (vaSyncSurface (dpy, in));
  }
  OK (vaDestroyBuffer (dpy, coded));
  OK (vaDestroyContext (dpy, ctx));
  OK (vaDestroySurfaces (dpy, &in, 1));
  OK (vaDestroySurfaces (dpy, recon, 2));
  OK (vaDestroyConfig (dpy, cfg));
}

static void
enc_result_clear (EncResult * r, int frames)
{
  free (r->stream);
  for (int i = 0; i < frames; i++)
    free (r->source[i].data);
}

/* NAL unit types in bytes [start, start + size) of an Annex B stream, as a
 * bit set. */
static uint64_t
nal_types (const uint8_t * d, size_t size, int hevc)
{
  uint64_t set = 0;
  for (size_t i = 0; i + 3 < size; i++) {
    if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
      int t = hevc ? (d[i + 3] >> 1) & 0x3f : d[i + 3] & 0x1f;
      set |= 1ull << t;
    }
  }
  return set;
}

/* The first SPS's profile_idc (H.264), or general_profile_idc (HEVC). */
static int
stream_profile (const uint8_t * d, size_t size, int hevc)
{
  for (size_t i = 0; i + 8 < size; i++) {
    if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
      if (!hevc && (d[i + 3] & 0x1f) == 7)
        return d[i + 4];
      if (hevc && ((d[i + 3] >> 1) & 0x3f) == 33)
        return d[i + 6] & 0x1f; /* after the 2-byte header and 1 byte */
    }
  }
  return -1;
}

#ifdef EST_HAVE_LIBAV
/* Decodes every frame of r with libavcodec; the luma PSNR of each against
 * its source, lowest in *min_psnr; returns the number of frames. */
static int
decode_psnr (const EncCase * c, const EncResult * r, double *min_psnr)
{
  const AVCodec *codec = avcodec_find_decoder (is_hevc (c->profile) ?
      AV_CODEC_ID_HEVC : AV_CODEC_ID_H264);
  AVCodecContext *av = avcodec_alloc_context3 (codec);
  AVPacket *pkt = av_packet_alloc ();
  AVFrame *f = av_frame_alloc ();
  int n = 0, ten = c->profile == VAProfileHEVCMain10;

  *min_psnr = 1000;
  if (avcodec_open2 (av, codec, NULL) < 0)
    return -1;
  for (int i = 0; i <= c->frames; i++) {
    if (i < c->frames) {
      av_new_packet (pkt, (int) r->frame_size[i]);
      memcpy (pkt->data, r->stream + r->frame_start[i], r->frame_size[i]);
      avcodec_send_packet (av, pkt);
      av_packet_unref (pkt);
    } else {
      avcodec_send_packet (av, NULL);
    }
    while (avcodec_receive_frame (av, f) == 0) {
      const Picture *src = &r->source[n];
      double se = 0;
      CHECK (f->width == c->w && f->height == c->h, "decoded %dx%d",
          f->width, f->height);
      for (int y = 0; y < c->h && f->width == c->w; y++) {
        for (int x = 0; x < c->w; x++) {
          double a, b;
          if (ten) {
            a = ((const uint16_t *) (src->data + src->im.offsets[0] +
                    y * src->im.pitches[0]))[x] >> 6;
            b = ((const uint16_t *) (f->data[0] + y * f->linesize[0]))[x];
          } else {
            a = src->data[src->im.offsets[0] + y * src->im.pitches[0] + x];
            b = f->data[0][y * f->linesize[0] + x];
          }
          se += (a - b) * (a - b);
        }
      }
      double peak = ten ? 1023 : 255, mse = se / (c->w * c->h);
      double psnr = mse > 0 ? 10 * log10 (peak * peak / mse) : 100;
      if (psnr < *min_psnr)
        *min_psnr = psnr;
      n++;
    }
  }
  av_frame_free (&f);
  av_packet_free (&pkt);
  avcodec_free_context (&av);
  return n;
}
#endif

static void
check_decodes (const EncCase * c, const EncResult * r, const char *name,
    double min_db)
{
#ifdef EST_HAVE_LIBAV
  double psnr;
  int n = decode_psnr (c, r, &psnr);
  CHECK (n == c->frames, "%s: %d of %d frames decode", name, n, c->frames);
  CHECK (psnr >= min_db, "%s: lowest PSNR %.2f dB < %.1f", name, psnr, min_db);
  printf ("  %s: %d frames, %zu bytes, lowest luma PSNR %.2f dB\n", name, n,
      r->size, psnr);
#else
  printf ("  %s: %zu bytes (not decoded: built without libavcodec)\n", name,
      r->size);
#endif
}

static void
test_encode_cqp (VADisplay dpy, VAProfile profile, int expect_profile_idc,
    const char *name, const char *strict)
{
  static const int qps[] = { 22, 30, 38, 26 };
  static const int idr[] = { 6 };
  EncCase c = { profile, VA_RC_CQP, 336, 200, 9, 0, 0, qps, 4, idr, 1, 0,
    0
  };
  EncResult r;
  int hevc = is_hevc (profile);

  encode (dpy, &c, &r, strict);
  for (int i = 0; i < c.frames; i++) {
    int qp = (int) (r.status[i] & VA_CODED_BUF_STATUS_PICTURE_AVE_QP_MASK);
    uint64_t t = nal_types (r.stream + r.frame_start[i], r.frame_size[i],
        hevc);
    int want_idr = frame_is_idr (&c, i);
    CHECK (qp == qps[i % 4], "%s frame %d: QP %d, asked %d", name, i, qp,
        qps[i % 4]);
    if (hevc)
      CHECK (want_idr == ((t >> 19 & 1) || (t >> 20 & 1)) &&
          want_idr == (int) (t >> 32 & 1), "%s frame %d: NAL types %llx",
          name, i, (unsigned long long) t);
    else
      CHECK (want_idr == (int) (t >> 5 & 1) &&
          want_idr == (int) (t >> 7 & 1), "%s frame %d: NAL types %llx",
          name, i, (unsigned long long) t);
  }
  /* higher QP, fewer bits: frames 1 (30) and 2 (38) are both P */
  CHECK (r.frame_size[2] < r.frame_size[1], "%s: QP 38 frame %zu >= QP 30 "
      "frame %zu", name, r.frame_size[2], r.frame_size[1]);
  CHECK (stream_profile (r.stream, r.size, hevc) == expect_profile_idc,
      "%s: profile_idc %d", name, stream_profile (r.stream, r.size, hevc));
  check_decodes (&c, &r, name, 30.0);
  enc_result_clear (&r, c.frames);
}

static void
test_encode_roi (VADisplay dpy, VAProfile profile, uint32_t rc)
{
  static const int qp[] = { 30 };
  EncCase c = { profile, rc, 320, 192, 3, 600000, 100, qp, 1, NULL, 0, 0,
    0
  };
  EncResult plain, coarse, fine;

  encode (dpy, &c, &plain, NULL);
  c.roi_delta = 12;
  encode (dpy, &c, &coarse, NULL);
  c.roi_delta = -12;
  encode (dpy, &c, &fine, NULL);
  /* the first (IDR) frame alone: rate control has not reacted yet */
  CHECK (coarse.frame_size[0] < plain.frame_size[0] * 0.85 &&
      fine.frame_size[0] > plain.frame_size[0] * 1.15,
      "ROI %s rc %u: +12 gives %zu bytes, none %zu, -12 %zu",
      is_hevc (profile) ? "HEVC" : "H.264", rc, coarse.frame_size[0],
      plain.frame_size[0], fine.frame_size[0]);
  enc_result_clear (&plain, c.frames);
  enc_result_clear (&coarse, c.frames);
  enc_result_clear (&fine, c.frames);
}

static void
test_encode_rate (VADisplay dpy, VAProfile profile, uint32_t rc, unsigned pct)
{
  EncCase c = { profile, rc, 640, 360, 60, 400000, pct, NULL, 0, NULL, 0, 0,
    0
  };
  EncResult r;
  double target = 400000.0 * (rc == VA_RC_VBR ? pct / 100.0 : 1.0);

  encode (dpy, &c, &r, NULL);
  /* 60 frames at 30 fps: two seconds */
  double kbps = r.size * 8.0 / 2.0 / 1000.0;
  CHECK (kbps > target / 1000 * 0.5 && kbps < target / 1000 * 1.25,
      "%s rc %u: %.0f kbit/s for a target of %.0f",
      is_hevc (profile) ? "HEVC" : "H.264", rc, kbps, target / 1000);
  printf ("  %s %s: %.0f kbit/s, target %.0f\n",
      is_hevc (profile) ? "HEVC" : "H.264", rc == VA_RC_CBR ? "CBR" : "VBR",
      kbps, target / 1000);
  enc_result_clear (&r, c.frames);
}

/* A new rate in the middle of a stream: x264 takes it at once, x265 at
 * the next IDR picture. */
static void
test_encode_rate_change (VADisplay dpy, VAProfile profile)
{
  static const int idr[] = { 30 };
  EncCase c = { profile, VA_RC_CBR, 640, 360, 60, 200000, 100, NULL, 0, idr,
    1, 0, 0, 30, 1000000
  };
  EncResult r;
  size_t first = 0, second = 0;

  encode (dpy, &c, &r, NULL);
  for (int i = 0; i < 60; i++)
    *(i < 30 ? &first : &second) += r.frame_size[i];
  printf ("  %s 200 -> 1000 kbit/s: %.0f then %.0f kbit/s\n",
      is_hevc (profile) ? "HEVC" : "H.264", first * 8.0 / 1000,
      second * 8.0 / 1000);
  CHECK (second > first * 2.5, "%s rate change: %zu then %zu bytes",
      is_hevc (profile) ? "HEVC" : "H.264", first, second);
  enc_result_clear (&r, c.frames);
}

static void
test_encode_overflow_and_errors (VADisplay dpy)
{
  EncCase c = { VAProfileH264Main, VA_RC_CQP, 320, 192, 1, 0, 0, NULL, 0,
    NULL, 0, 0, 64
  };
  EncResult r;
  VAConfigID cfg;
  VAContextID ctx;
  VASurfaceID s, p010;
  VABufferID coded, seq_buf, roi_buf;
  VAEncSequenceParameterBufferH264 seq = { 0 };
  VAEncMiscParameterBufferROI roi = { 0 };

  encode (dpy, &c, &r, NULL);
  CHECK (r.status[0] & VA_CODED_BUF_STATUS_SLICE_OVERFLOW_MASK &&
      r.frame_size[0] == 64, "overflow: status %x, %zu bytes", r.status[0],
      r.frame_size[0]);
  enc_result_clear (&r, 1);

  OK (vaCreateConfig (dpy, VAProfileH264Main, VAEntrypointEncSlice, NULL, 0,
          &cfg));
  OK (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420, 320, 192, &s, 1, NULL, 0));
  OK (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420_10, 320, 192, &p010, 1,
          NULL, 0));
  OK (vaCreateContext (dpy, cfg, 320, 192, 0, &s, 1, &ctx));
  OK (vaCreateBuffer (dpy, ctx, VAEncCodedBufferType, 100000, 1, NULL, &coded));
  /* no parameters */
  OK (vaBeginPicture (dpy, ctx, s));
  CHECK_ST (vaEndPicture (dpy, ctx), VA_STATUS_ERROR_INVALID_PARAMETER);
  /* a sequence buffer too small */
  OK (vaCreateBuffer (dpy, ctx, VAEncSequenceParameterBufferType, 8, 1, &seq,
          &seq_buf));
  OK (vaBeginPicture (dpy, ctx, s));
  CHECK_ST (vaRenderPicture (dpy, ctx, &seq_buf, 1),
      VA_STATUS_ERROR_INVALID_BUFFER);
  OK (vaDestroyBuffer (dpy, seq_buf));
  /* too many ROI rectangles */
  roi.num_roi = 9;
  roi_buf = misc_buffer (dpy, ctx, VAEncMiscParameterTypeROI, &roi,
      sizeof (roi));
  CHECK_ST (vaRenderPicture (dpy, ctx, &roi_buf, 1),
      VA_STATUS_ERROR_INVALID_PARAMETER);
  OK (vaDestroyBuffer (dpy, roi_buf));
  /* cropping that leaves nothing (or overflows) */
  VAEncSequenceParameterBufferH264 crop = {.picture_width_in_mbs = 20,
    .picture_height_in_mbs = 12,.frame_cropping_flag = 1,
    .frame_crop_left_offset = 0x40000000
  };
  OK (vaCreateBuffer (dpy, ctx, VAEncSequenceParameterBufferType,
          sizeof (crop), 1, &crop, &seq_buf));
  c.coded_size = 0;
  OK (vaBeginPicture (dpy, ctx, s));
  render_params (dpy, ctx, &c, 0, s, coded, 1);
  OK (vaRenderPicture (dpy, ctx, &seq_buf, 1));
  CHECK_ST (vaEndPicture (dpy, ctx), VA_STATUS_ERROR_INVALID_PARAMETER);
  OK (vaDestroyBuffer (dpy, seq_buf));
  /* a 10-bit input for an 8-bit profile, then a missing coded buffer */
  OK (vaBeginPicture (dpy, ctx, p010));
  render_params (dpy, ctx, &c, 0, s, coded, 1);
  CHECK_ST (vaEndPicture (dpy, ctx), VA_STATUS_ERROR_INVALID_SURFACE);
  OK (vaBeginPicture (dpy, ctx, s));
  render_params (dpy, ctx, &c, 0, s, s, 1);
  CHECK_ST (vaEndPicture (dpy, ctx), VA_STATUS_ERROR_INVALID_BUFFER);
  OK (vaDestroyBuffer (dpy, coded));
  OK (vaDestroyContext (dpy, ctx));
  OK (vaDestroySurfaces (dpy, &s, 1));
  OK (vaDestroySurfaces (dpy, &p010, 1));
  OK (vaDestroyConfig (dpy, cfg));
}

static void
test_encode (VADisplay dpy)
{
  test_encode_cqp (dpy, VAProfileH264ConstrainedBaseline, 66,
      "H.264 Constrained Baseline CQP", NULL);
  test_encode_cqp (dpy, VAProfileH264Main, 77, "H.264 Main CQP", NULL);
  test_encode_cqp (dpy, VAProfileH264High, 100, "H.264 High CQP", NULL);
  test_encode_cqp (dpy, VAProfileHEVCMain, 1, "HEVC Main CQP", NULL);
  test_encode_cqp (dpy, VAProfileHEVCMain10, 2, "HEVC Main 10 CQP", NULL);
  test_encode_roi (dpy, VAProfileH264High, VA_RC_CQP);
  test_encode_roi (dpy, VAProfileH264High, VA_RC_CBR);
  test_encode_roi (dpy, VAProfileHEVCMain, VA_RC_CQP);
  test_encode_rate (dpy, VAProfileH264High, VA_RC_CBR, 100);
  test_encode_rate (dpy, VAProfileH264High, VA_RC_VBR, 50);
  test_encode_rate (dpy, VAProfileHEVCMain, VA_RC_CBR, 100);
  test_encode_rate (dpy, VAProfileHEVCMain, VA_RC_VBR, 50);
  test_encode_rate_change (dpy, VAProfileH264High);
  test_encode_rate_change (dpy, VAProfileHEVCMain);
  test_encode_overflow_and_errors (dpy);
}

/* The entry points of a display chip the model does not have, and the
 * second forms of sync. */
static void
test_other_entry_points (VADisplay dpy)
{
  VAImageFormat fmts[4];
  unsigned flags[4], n = 4;
  int nd = 4;
  VADisplayAttribute attr[4];
  VASubpictureID sub;
  VASurfaceID s;
  VAConfigID cfg;
  VAContextID ctx;
  VABufferID coded, param;
  VADRMPRIMESurfaceDescriptor desc;
  void *info;
  unsigned char palette[16] = { 0 };

  OK (vaQuerySubpictureFormats (dpy, fmts, flags, &n));
  CHECK (n == 0, "%u subpicture formats", n);
  OK (vaQueryDisplayAttributes (dpy, attr, &nd));
  CHECK (nd == 0, "%d display attributes", nd);
  CHECK_ST (vaGetDisplayAttributes (dpy, attr, 1),
      VA_STATUS_ERROR_UNIMPLEMENTED);
  OK (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420, 64, 64, &s, 1, NULL, 0));
  CHECK_ST (vaCreateSubpicture (dpy, 1, &sub), VA_STATUS_ERROR_UNIMPLEMENTED);
  CHECK_ST (vaSetImagePalette (dpy, 1, palette), VA_STATUS_ERROR_UNIMPLEMENTED);
  CHECK_ST (vaQuerySurfaceError (dpy, s, VA_STATUS_ERROR_DECODING_ERROR,
          &info), VA_STATUS_ERROR_UNIMPLEMENTED);
  CHECK_ST (vaExportSurfaceHandle (dpy, s,
          VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2, 0, &desc),
      VA_STATUS_ERROR_UNIMPLEMENTED);
  OK (vaSyncSurface2 (dpy, s, 1000000));
  CHECK_ST (vaSyncSurface2 (dpy, 99, 1000000), VA_STATUS_ERROR_INVALID_SURFACE);

  OK (vaCreateConfig (dpy, VAProfileH264Main, VAEntrypointEncSlice, NULL, 0,
          &cfg));
  OK (vaCreateContext (dpy, cfg, 64, 64, 0, &s, 1, &ctx));
  OK (vaCreateBuffer (dpy, ctx, VAEncCodedBufferType, 4096, 1, NULL, &coded));
  OK (vaCreateBuffer (dpy, ctx, VAEncMiscParameterBufferType, 64, 1, NULL,
          &param));
  OK (vaSyncBuffer (dpy, coded, 1000000));
  CHECK_ST (vaSyncBuffer (dpy, param, 1000000), VA_STATUS_ERROR_UNIMPLEMENTED);
  OK (vaDestroyBuffer (dpy, coded));
  OK (vaDestroyBuffer (dpy, param));
  OK (vaDestroyContext (dpy, ctx));
  OK (vaDestroyConfig (dpy, cfg));
  OK (vaDestroySurfaces (dpy, &s, 1));
}

/* --- Strict mode --------------------------------------------------------- */

static void
test_strict_layout_and_deferral (void)
{
  VADisplay dpy = open_display ("1");
  VASurfaceID s[2];
  VAImage im;
  VASurfaceStatus ss;

  OK (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420, 640, 360, s, 2, NULL, 0));
  OK (vaDeriveImage (dpy, s[0], &im));
  CHECK (im.pitches[0] % 64 != 0 && im.offsets[1] != im.pitches[0] * 360,
      "strict layout: pitch %u, chroma at %u", im.pitches[0], im.offsets[1]);
  OK (vaDestroyImage (dpy, im.image_id));
  OK (vaDestroySurfaces (dpy, s, 2));

  /* every VPP case gives the same pictures with odd layouts */
  test_vpp_matches_hdrscale (dpy, "strict");

  /* work runs at sync */
  VAConfigID cfg;
  VAContextID ctx;
  VABufferID buf;
  VAProcPipelineParameterBuffer pp;
  OK (vaCreateConfig (dpy, VAProfileNone, VAEntrypointVideoProc, NULL, 0,
          &cfg));
  OK (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420, 64, 64, s, 2, NULL, 0));
  OK (vaCreateContext (dpy, cfg, 64, 64, 0, s, 2, &ctx));
  memset (&pp, 0, sizeof (pp));
  pp.surface = s[0];
  OK (vaCreateBuffer (dpy, ctx, VAProcPipelineParameterBufferType,
          sizeof (pp), 1, &pp, &buf));
  OK (vaBeginPicture (dpy, ctx, s[1]));
  OK (vaRenderPicture (dpy, ctx, &buf, 1));
  OK (vaEndPicture (dpy, ctx));
  OK (vaQuerySurfaceStatus (dpy, s[1], &ss));
  CHECK (ss == VASurfaceRendering, "strict: done before sync (%d)", ss);
  OK (vaSyncSurface (dpy, s[1]));
  OK (vaQuerySurfaceStatus (dpy, s[1], &ss));
  CHECK (ss == VASurfaceReady, "strict: not done after sync (%d)", ss);
  OK (vaDestroyBuffer (dpy, buf));
  OK (vaDestroyContext (dpy, ctx));
  OK (vaDestroySurfaces (dpy, s, 2));
  OK (vaDestroyConfig (dpy, cfg));

  /* one surface, pictures pending from two contexts: the first runs when
   * the second is submitted, so destroying the surface leaves nothing
   * behind */
  {
    EncCase ec = { VAProfileH264Main, VA_RC_CQP, 64, 48, 1, 0, 0, NULL, 0,
      NULL, 0, 0, 0, 0, 0
    };
    VAConfigID ecfg, vcfg;
    VAContextID ectx, vctx;
    VASurfaceID e[2];
    VABufferID ecoded, vbuf;
    VACodedBufferSegment *seg;
    OK (vaCreateConfig (dpy, VAProfileH264Main, VAEntrypointEncSlice, NULL, 0,
            &ecfg));
    OK (vaCreateConfig (dpy, VAProfileNone, VAEntrypointVideoProc, NULL, 0,
            &vcfg));
    OK (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420, 64, 48, e, 2, NULL, 0));
    OK (vaCreateContext (dpy, ecfg, 64, 48, 0, e, 2, &ectx));
    OK (vaCreateContext (dpy, vcfg, 64, 48, 0, e, 2, &vctx));
    OK (vaCreateBuffer (dpy, ectx, VAEncCodedBufferType, 100000, 1, NULL,
            &ecoded));
    OK (vaBeginPicture (dpy, ectx, e[0]));
    render_params (dpy, ectx, &ec, 0, e[1], ecoded, 1);
    OK (vaEndPicture (dpy, ectx));
    memset (&pp, 0, sizeof (pp));
    pp.surface = e[1];
    OK (vaCreateBuffer (dpy, vctx, VAProcPipelineParameterBufferType,
            sizeof (pp), 1, &pp, &vbuf));
    OK (vaBeginPicture (dpy, vctx, e[0]));
    OK (vaRenderPicture (dpy, vctx, &vbuf, 1));
    OK (vaEndPicture (dpy, vctx));
    OK (vaDestroyBuffer (dpy, vbuf));
    OK (vaDestroyContext (dpy, vctx));
    OK (vaDestroySurfaces (dpy, e, 1));
    OK (vaMapBuffer (dpy, ecoded, (void **) &seg));
    CHECK (seg->size > 0, "the first context's encode ran");
    OK (vaUnmapBuffer (dpy, ecoded));
    OK (vaDestroyBuffer (dpy, ecoded));
    OK (vaDestroyContext (dpy, ectx));
    OK (vaDestroySurfaces (dpy, e + 1, 1));
    OK (vaDestroyConfig (dpy, ecfg));
    OK (vaDestroyConfig (dpy, vcfg));
  }

  /* encode completes when its coded buffer is mapped */
  test_encode_cqp (dpy, VAProfileH264High, 100, "H.264 High CQP (strict)", "1");
  test_encode_cqp (dpy, VAProfileHEVCMain, 1, "HEVC Main CQP (strict)", "1");
  vaTerminate (dpy);
}

static void
test_strict_faults (void)
{
  VADisplay dpy = open_display ("fail-end=2,fail-sync=2");
  VAConfigID cfg;
  VAContextID ctx;
  VASurfaceID s[2];
  VABufferID buf;
  VAProcPipelineParameterBuffer pp;

  OK (vaCreateConfig (dpy, VAProfileNone, VAEntrypointVideoProc, NULL, 0,
          &cfg));
  OK (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420, 64, 64, s, 2, NULL, 0));
  OK (vaCreateContext (dpy, cfg, 64, 64, 0, s, 2, &ctx));
  memset (&pp, 0, sizeof (pp));
  pp.surface = s[0];
  OK (vaCreateBuffer (dpy, ctx, VAProcPipelineParameterBufferType,
          sizeof (pp), 1, &pp, &buf));
  for (int i = 1; i <= 3; i++) {
    OK (vaBeginPicture (dpy, ctx, s[1]));
    OK (vaRenderPicture (dpy, ctx, &buf, 1));
    CHECK_ST (vaEndPicture (dpy, ctx), i == 2 ?
        VA_STATUS_ERROR_OPERATION_FAILED : VA_STATUS_SUCCESS);
    CHECK_ST (vaSyncSurface (dpy, s[1]), i == 2 ?
        VA_STATUS_ERROR_OPERATION_FAILED : VA_STATUS_SUCCESS);
  }
  OK (vaDestroyBuffer (dpy, buf));
  OK (vaDestroyContext (dpy, ctx));
  OK (vaDestroySurfaces (dpy, s, 2));
  OK (vaDestroyConfig (dpy, cfg));
  vaTerminate (dpy);
}

int
main (int argc, char **argv)
{
  VADisplay dpy;

  driver_dir = getenv ("ESTUARY_VCHIP_DIR");
  if (!driver_dir) {
    fprintf (stderr, "ESTUARY_VCHIP_DIR is not set\n");
    return 1;
  }
  dpy = open_display (NULL);
  test_queries (dpy);
  test_surfaces_and_images (dpy);
  test_buffers (dpy);
  test_vpp_matches_hdrscale (dpy, "lenient");
  test_vpp_errors (dpy);
  test_encode (dpy);
  test_other_entry_points (dpy);
  vaTerminate (dpy);
  test_strict_layout_and_deferral ();
  test_strict_faults ();

  if (failures) {
    fprintf (stderr, "%d checks failed\n", failures);
    return 1;
  }
  printf ("all checks passed\n");
  return 0;
}
