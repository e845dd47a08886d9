/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The virtual accelerator (sys/vchip, estuary_drv_video.so) through libva
 * against the engines it wraps, called directly, in the same run:
 *
 *   bench-vchip vpp CONVERSION INPUT WxH [options]
 *     CONVERSION: scale    NV12 -> 1280x720 NV12, VA_FILTER_SCALING_DEFAULT
 *                 tonemap  P010 PQ BT.2020 -> NV12 BT.709 SDR at the input
 *                          size, HDR tone-mapping filter with HDR10
 *                          metadata, explicit colour standards
 *                 upscale  NV12 -> 3840x2160 NV12, VA_FILTER_SCALING_HQ
 *     The driver: the input frames are put into one surface each once,
 *     one pipeline buffer a frame is made once, then vaBeginPicture,
 *     vaRenderPicture, vaEndPicture and vaSyncSurface a frame into one
 *     output surface a frame: no upload, no download while timed.
 *     The CPU: est_hdr_scale_process () on the same frames in memory (the
 *     surfaces' own layout) into buffers laid out like the output
 *     surfaces, with the parameters vchipvpp.c maps the VA request to.
 *     Both use one thread per online CPU (the driver always does). The
 *     first frame's outputs are compared byte for byte.
 *
 *   bench-vchip enc CODEC INPUT WxH [options]
 *     CODEC: h264 (H.264 High, x264) or hevc (HEVC Main, x265); CQP.
 *     The driver: one surface a frame, filled once; an IDR picture then P
 *     pictures, one coded buffer; a frame's time runs from vaBeginPicture
 *     to the return of vaMapBuffer on the coded buffer (the parameter
 *     buffers are made before and destroyed after).
 *     The library: x264 or x265 opened with the settings vchipencode.c
 *     opens it with, fed the same frames and frame types; a frame's time is
 *     the encode call's. The two encode the frames in turn, frame by
 *     frame.
 *
 * INPUT is raw NV12 (P010 for tonemap), frames of WxH back to back.
 * Options: --frames N (default: all in the file), --loops L (VPP: passes
 * over the frames a measurement, default 3), --repeats R (default 5),
 * --alternate frame|pass (VPP, default frame: see below),
 * --qp Q (encode, default 26), and for tonemap the HDR10 metadata of the
 * filter: --max-cll, --max-fall (cd/m2), --mastering-max,
 * --mastering-min (0.0001 cd/m2; defaults 1000, 400, 10000000, 50).
 *
 * Measurements alternate after one warm-up pass of each (plans, first
 * touches of memory, the library's open): frame by frame (driver, direct,
 * direct, driver, driver, direct...: each first every other frame), each
 * frame timed on its own, so that the machine's noise hits both alike; for
 * VPP, --alternate pass times whole passes instead (a steady loop of the
 * driver, then one of the CPU). The figures
 * are medians over the repeats, the ratio is driver / direct of the
 * medians; beside the frames a second, the CPU time of the process a frame
 * (all threads), which other programs on the machine do not inflate. The
 * last line is machine-readable:
 *   RESULT mode name driver_fps direct_fps ratio check cpu_ms=DRV/DIRECT
 * where check is the number of output bytes that differ (VPP) or the
 * driver's and the library's bitstream bytes (encode).
 *
 * The driver's folder: ESTUARY_VCHIP_DIR, else the build's sys/vchip. */

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <va/va.h>
#include <va/va_enc_h264.h>
#include <va/va_enc_hevc.h>
#include <va/va_vpp.h>

#ifdef EST_HAVE_X264
#include <x264.h>
#endif
#ifdef EST_HAVE_X265
#include <x265.h>
#endif

#include "cpu.h"
#include "hdrscale.h"
#include "vaheadless.h"

#ifndef EST_VCHIP_DIR
#define EST_VCHIP_DIR "sys/vchip"
#endif

#define MAX_REPEATS 64

static void die (const char *fmt, ...)
    __attribute__((format (printf, 1, 2), noreturn));

static void
die (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  fprintf (stderr, "bench-vchip: ");
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, "\n");
  va_end (ap);
  exit (1);
}

#define VA(call) do { \
    VAStatus st_ = (call); \
    if (st_ != VA_STATUS_SUCCESS) \
      die ("%s: %s", #call, vaErrorStr (st_)); \
  } while (0)

static void *
xmalloc (size_t size)
{
  void *p = NULL;

  if (posix_memalign (&p, 64, size ? size : 1))
    die ("out of memory (%zu bytes)", size);
  return p;
}

/* Wall time and the CPU time of the whole process (every thread): the
 * second is blind to the time other programs take the CPUs from this one,
 * which makes the comparison of the work done steadier on a busy machine. */
typedef struct Stamp
{
  double wall, cpu;
} Stamp;

static Stamp
stamp (void)
{
  struct timespec ts;
  Stamp s;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  s.wall = ts.tv_sec + ts.tv_nsec * 1e-9;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  s.cpu = ts.tv_sec + ts.tv_nsec * 1e-9;
  return s;
}

/* acc += b - a */
static void
add_span (Stamp * acc, Stamp a, Stamp b)
{
  acc->wall += b.wall - a.wall;
  acc->cpu += b.cpu - a.cpu;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (const double *v, int n)
{
  double s[MAX_REPEATS];

  memcpy (s, v, n * sizeof (*s));
  qsort (s, n, sizeof (*s), cmp_double);
  return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* --- Options and input ---------------------------------------------------- */

typedef struct Options
{
  const char *mode, *name, *input;
  int width, height;
  int frames, loops, repeats, qp;
  int by_frame;                 /* VPP: alternate frame by frame */
  VAHdrMetaDataHDR10 hdr10;
} Options;

static void
usage (void)
{
  fprintf (stderr, "usage: bench-vchip vpp scale|tonemap|upscale INPUT WxH "
      "[--frames N] [--loops L] [--repeats R]\n"
      "         [--alternate frame|pass]\n"
      "         [--max-cll N] [--max-fall N] [--mastering-max N] "
      "[--mastering-min N]\n"
      "       bench-vchip enc h264|hevc INPUT WxH [--frames N] "
      "[--repeats R] [--qp Q]\n"
      "INPUT: raw NV12 (P010 for tonemap). See bench/vchip.c.\n");
  exit (2);
}

/* BT.2020 primaries and D65 in 0.00002 units, as HEVC's SEI carries them;
 * light levels in cd/m2 (MaxCLL, MaxFALL), mastering in 0.0001 cd/m2. */
static const VAHdrMetaDataHDR10 default_hdr10 = {
  .display_primaries_x = {8500, 6550, 35400},
  .display_primaries_y = {39850, 2300, 14600},
  .white_point_x = 15635,.white_point_y = 16450,
  .max_display_mastering_luminance = 10000000,
  .min_display_mastering_luminance = 50,
  .max_content_light_level = 1000,.max_pic_average_light_level = 400,
};

static void
parse_options (int argc, char **argv, Options * o)
{
  memset (o, 0, sizeof (*o));
  o->loops = 3;
  o->by_frame = 1;
  o->repeats = 5;
  o->qp = 26;
  o->hdr10 = default_hdr10;
  if (argc < 5)
    usage ();
  o->mode = argv[1];
  o->name = argv[2];
  o->input = argv[3];
  if (sscanf (argv[4], "%dx%d", &o->width, &o->height) != 2 ||
      o->width < 16 || o->height < 16 || (o->width | o->height) & 1)
    usage ();
  for (int i = 5; i < argc; i++) {
    const char *a = argv[i];
    long v;
    if (i + 1 >= argc)
      usage ();
    v = strtol (argv[++i], NULL, 10);
    if (!strcmp (a, "--frames"))
      o->frames = (int) v;
    else if (!strcmp (a, "--loops"))
      o->loops = (int) v;
    else if (!strcmp (a, "--repeats"))
      o->repeats = (int) v;
    else if (!strcmp (a, "--alternate") && !strcmp (argv[i], "frame"))
      o->by_frame = 1;
    else if (!strcmp (a, "--alternate") && !strcmp (argv[i], "pass"))
      o->by_frame = 0;
    else if (!strcmp (a, "--qp"))
      o->qp = (int) v;
    else if (!strcmp (a, "--max-cll"))
      o->hdr10.max_content_light_level = (uint16_t) v;
    else if (!strcmp (a, "--max-fall"))
      o->hdr10.max_pic_average_light_level = (uint16_t) v;
    else if (!strcmp (a, "--mastering-max"))
      o->hdr10.max_display_mastering_luminance = (uint32_t) v;
    else if (!strcmp (a, "--mastering-min"))
      o->hdr10.min_display_mastering_luminance = (uint32_t) v;
    else
      usage ();
  }
  if (o->loops < 1 || o->repeats < 1 || o->repeats > MAX_REPEATS ||
      o->frames < 0 || o->qp < 0 || o->qp > 51)
    usage ();
}

/* The raw file: n frames of `bytes` bytes a sample (1 NV12, 2 P010). */
typedef struct Raw
{
  uint8_t *data;
  int n, bytes;
  size_t frame_size;
} Raw;

static void
read_raw (Options * o, int bytes, Raw * r)
{
  FILE *f = fopen (o->input, "rb");
  long size;

  if (!f)
    die ("cannot open %s", o->input);
  fseek (f, 0, SEEK_END);
  size = ftell (f);
  fseek (f, 0, SEEK_SET);
  r->bytes = bytes;
  r->frame_size = (size_t) o->width * o->height * 3 / 2 * bytes;
  r->n = (int) (size / (long) r->frame_size);
  if (o->frames && o->frames < r->n)
    r->n = o->frames;
  if (r->n < 1)
    die ("%s holds no whole %dx%d frame", o->input, o->width, o->height);
  o->frames = r->n;
  r->data = xmalloc (r->frame_size * r->n);
  if (fread (r->data, r->frame_size, r->n, f) != (size_t) r->n)
    die ("cannot read %s", o->input);
  fclose (f);
}

/* Copies frame i of r (tight NV12 or P010) into a picture of that layout
 * with the given pitches and offsets. */
static void
copy_frame (const Raw * r, int i, int w, int h, uint8_t * dst,
    const uint32_t * pitch, const uint32_t * offset)
{
  const uint8_t *src = r->data + r->frame_size * i;
  size_t row = (size_t) w * r->bytes;

  for (int y = 0; y < h; y++)
    memcpy (dst + offset[0] + (size_t) y * pitch[0], src + y * row, row);
  src += row * h;
  for (int y = 0; y < h / 2; y++)
    memcpy (dst + offset[1] + (size_t) y * pitch[1], src + y * row, row);
}

/* A surface's layout, read through vaDeriveImage. */
typedef struct Layout
{
  uint32_t pitch[3], offset[3];
  size_t size;
} Layout;

static Layout
surface_layout (VADisplay dpy, VASurfaceID s)
{
  VAImage im;
  Layout l = { {0} };

  VA (vaDeriveImage (dpy, s, &im));
  for (unsigned p = 0; p < im.num_planes && p < 3; p++) {
    l.pitch[p] = im.pitches[p];
    l.offset[p] = im.offsets[p];
  }
  l.size = im.data_size;
  VA (vaDestroyImage (dpy, im.image_id));
  return l;
}

/* Puts frame i of r into surface s (vaDeriveImage, mapped). */
static void
upload (VADisplay dpy, VASurfaceID s, const Raw * r, int i, int w, int h)
{
  VAImage im;
  uint8_t *p;

  VA (vaDeriveImage (dpy, s, &im));
  VA (vaMapBuffer (dpy, im.buf, (void **) &p));
  copy_frame (r, i, w, h, p, im.pitches, im.offsets);
  VA (vaUnmapBuffer (dpy, im.buf));
  VA (vaDestroyImage (dpy, im.image_id));
}

static VADisplay
open_driver (void)
{
  const char *dir = getenv ("ESTUARY_VCHIP_DIR");
  VADisplay dpy = est_va_headless_open_vchip (dir ? dir : EST_VCHIP_DIR);

  if (!dpy)
    die ("the driver in %s does not load", dir ? dir : EST_VCHIP_DIR);
  return dpy;
}

/* Per repeat: frames a second (wall) and CPU milliseconds a frame, of the
 * driver and of the direct path. */
typedef struct Figures
{
  double fps[MAX_REPEATS], cpu_ms[MAX_REPEATS];
} Figures;

static void
record (Figures * f, int r, int frames, Stamp span)
{
  f->fps[r] = frames / span.wall;
  f->cpu_ms[r] = span.cpu * 1e3 / frames;
}

static void
print_result (const Options * o, const char *direct, const Figures * drv,
    const Figures * ref, const char *check)
{
  double md = median (drv->fps, o->repeats);
  double mr = median (ref->fps, o->repeats);
  double cd = median (drv->cpu_ms, o->repeats);
  double cr = median (ref->cpu_ms, o->repeats);

  printf ("%s %s: driver %.1f fps, %s %.1f fps (medians of %d), ratio "
      "%.3f; CPU time a frame: driver %.2f ms, %s %.2f ms (ratio %.3f)\n",
      o->mode, o->name, md, direct, mr, o->repeats, md / mr, cd, direct, cr,
      cr / cd);
  printf ("RESULT %s %s %.2f %.2f %.4f %s cpu_ms=%.3f/%.3f\n", o->mode,
      o->name, md, mr, md / mr, check, cd, cr);
}

/* --- Video processing ----------------------------------------------------- */

/* One conversion as a VA client asks for it, and the same conversion as
 * vchipvpp.c maps it onto common/hdrscale.h. */
typedef struct VppConv
{
  const char *name;
  uint32_t in_fourcc;
  unsigned in_rt;
  EstVideoFormat in_v;
  int out_w, out_h;             /* 0: the input's */
  VAProcColorStandardType in_std, out_std;
  VAProcColorProperties in_cp, out_cp;
  uint32_t scaling;
  int tone_map;
  /* vchipvpp.c colour_of (): the standards above become these */
  EstColourSpace in_c, out_c;
} VppConv;

/* MPEG-2 chroma siting (left, vertically centred), NV12's usual one, on
 * both sides: vchipvpp.c maps it to cosited_h = 1, cosited_v = 0. */
#define SITING (VA_CHROMA_SITING_HORIZONTAL_LEFT | \
    VA_CHROMA_SITING_VERTICAL_CENTER)
#define CP(m, t, p) {.chroma_sample_location = SITING, \
    .color_range = VA_SOURCE_RANGE_REDUCED,.colour_primaries = p, \
    .transfer_characteristics = t,.matrix_coefficients = m}
#define SDR709 {EST_MATRIX_BT709, EST_TRANSFER_BT1886, EST_PRIMARIES_BT709, \
    0, 8}

static const VppConv vpp_convs[] = {
  {"scale", VA_FOURCC_NV12, VA_RT_FORMAT_YUV420, EST_VIDEO_NV12, 1280, 720,
        VAProcColorStandardBT709, VAProcColorStandardBT709,
        CP (0, 0, 0), CP (0, 0, 0), VA_FILTER_SCALING_DEFAULT, 0,
      SDR709, SDR709},
  {"tonemap", VA_FOURCC_P010, VA_RT_FORMAT_YUV420_10, EST_VIDEO_P010, 0, 0,
        VAProcColorStandardExplicit, VAProcColorStandardExplicit,
        CP (9, 16, 9), CP (1, 1, 1), VA_FILTER_SCALING_DEFAULT, 1,
        {EST_MATRIX_BT2020NCL, EST_TRANSFER_PQ, EST_PRIMARIES_BT2020, 0, 10},
      SDR709},
  {"upscale", VA_FOURCC_NV12, VA_RT_FORMAT_YUV420, EST_VIDEO_NV12, 3840,
        2160, VAProcColorStandardBT709, VAProcColorStandardBT709,
        CP (0, 0, 0), CP (0, 0, 0), VA_FILTER_SCALING_HQ, 0, SDR709,
      SDR709},
};

/* vchipvpp.c metadata_peak (): MaxCLL, else the mastering maximum; 0 when
 * neither is in 100..10000 cd/m2. */
static double
metadata_peak (const VAHdrMetaDataHDR10 * m, int use_cll)
{
  double cll = m->max_content_light_level;
  double mdl = m->max_display_mastering_luminance / 10000.0;

  if (use_cll && cll >= 100 && cll <= 10000)
    return cll;
  if (mdl >= 100 && mdl <= 10000)
    return mdl;
  return 0;
}

/* The parameters vchipvpp.c est_vchip_vpp_run () gives est_hdr_scale_new
 * () for c: its fixed choices, the scaling flag's method, the peaks from
 * the filter's metadata, and n_threads 0 (one per online CPU). */
static void
cpu_conversion (const VppConv * c, const VAHdrMetaDataHDR10 * md, int in_w,
    int in_h, int out_w, int out_h, EstHdrScaleFormat * in,
    EstHdrScaleFormat * out, EstHdrScaleParams * p)
{
  int out_hdr = c->out_c.transfer == EST_TRANSFER_PQ ||
      c->out_c.transfer == EST_TRANSFER_HLG;

  memset (in, 0, sizeof (*in));
  memset (out, 0, sizeof (*out));
  memset (p, 0, sizeof (*p));
  in->format = c->in_v;
  in->width = in_w;
  in->height = in_h;
  in->colour = c->in_c;
  out->format = EST_VIDEO_NV12;
  out->width = out_w;
  out->height = out_h;
  out->colour = c->out_c;
  in->cosited_h = (c->in_cp.chroma_sample_location & 0x0c) ==
      VA_CHROMA_SITING_HORIZONTAL_LEFT;
  in->cosited_v = (c->in_cp.chroma_sample_location & 0x03) ==
      VA_CHROMA_SITING_VERTICAL_TOP;
  out->cosited_h = (c->out_cp.chroma_sample_location & 0x0c) ==
      VA_CHROMA_SITING_HORIZONTAL_LEFT;
  out->cosited_v = (c->out_cp.chroma_sample_location & 0x03) ==
      VA_CHROMA_SITING_VERTICAL_TOP;

  switch (c->scaling & VA_FILTER_SCALING_MASK) {
    case VA_FILTER_SCALING_FAST:
      p->method = EST_RESAMPLE_BILINEAR;
      break;
    case VA_FILTER_SCALING_HQ:
      p->method = EST_RESAMPLE_LANCZOS;
      break;
    default:
      p->method = EST_RESAMPLE_BICUBIC;
      break;
  }
  p->lanczos_taps = 3;
  p->dither = 1;
  p->cpu_flags = est_cpu_flags ();
  p->n_threads = 0;
  p->colour.curve = EST_TONE_CURVE_BT2390;
  p->colour.curve_param = NAN;
  p->colour.tone_mode = EST_TONE_MODE_MAX_RGB;
  p->colour.gamut_mode = EST_GAMUT_SOFT;
  p->colour.sdr_white = 203.0;
  p->colour.dst_peak = out_hdr ? 1000.0 : 203.0;
  if (c->tone_map) {
    double peak = metadata_peak (md, 1);
    p->colour.src_peak = peak > 0 ? peak : 1000.0;
  } else {
    p->colour.src_peak = c->in_c.transfer == EST_TRANSFER_HLG ? 1000.0 :
        p->colour.dst_peak;
  }
}

static EstVideoImage
image_of (uint8_t * base, const Layout * l)
{
  EstVideoImage img = { {0} };

  for (int p = 0; p < 2; p++) {
    img.data[p] = base + l->offset[p];
    img.stride[p] = l->pitch[p];
  }
  return img;
}

/* Bytes of the visible NV12 picture that differ between surface s and the
 * CPU's picture `cpu` of layout l. */
static long
compare_nv12 (VADisplay dpy, VASurfaceID s, const uint8_t * cpu,
    const Layout * l, int w, int h)
{
  VAImage im;
  uint8_t *p;
  long diff = 0;

  VA (vaSyncSurface (dpy, s));
  VA (vaDeriveImage (dpy, s, &im));
  VA (vaMapBuffer (dpy, im.buf, (void **) &p));
  for (int pl = 0; pl < 2; pl++)
    for (int y = 0; y < (pl ? h / 2 : h); y++)
      for (int x = 0; x < w; x++)
        diff += p[im.offsets[pl] + (size_t) y * im.pitches[pl] + x] !=
            cpu[l->offset[pl] + (size_t) y * l->pitch[pl] + x];
  VA (vaUnmapBuffer (dpy, im.buf));
  VA (vaDestroyImage (dpy, im.image_id));
  return diff;
}

/* One picture through the driver: the steady-state call sequence. */
static void
driver_process (VADisplay dpy, VAContextID ctx, VASurfaceID out,
    VABufferID pipe)
{
  VA (vaBeginPicture (dpy, ctx, out));
  VA (vaRenderPicture (dpy, ctx, &pipe, 1));
  VA (vaEndPicture (dpy, ctx));
  VA (vaSyncSurface (dpy, out));
}

static void
cpu_process (EstHdrScale * s, uint8_t * in, const Layout * in_l,
    uint8_t * out, const Layout * out_l)
{
  EstVideoImage si = image_of (in, in_l), di = image_of (out, out_l);

  est_hdr_scale_process (s, &si, &di);
}

static int
bench_vpp (Options * o)
{
  const VppConv *c = NULL;
  VADisplay dpy;
  Raw raw;
  int n, w = o->width, h = o->height, ow, oh;
  VAConfigID cfg;
  VAContextID ctx;
  VASurfaceID *in, *out;
  VABufferID *pipe, filter = VA_INVALID_ID;
  VASurfaceAttrib fa = {
    .type = VASurfaceAttribPixelFormat,.flags = VA_SURFACE_ATTRIB_SETTABLE,
    .value = {.type = VAGenericValueTypeInteger}
  };
  Layout in_l, out_l;
  uint8_t **cpu_in, **cpu_out;
  EstHdrScaleFormat fi, fo;
  EstHdrScaleParams params;
  EstHdrScale *scale;
  const char *err = NULL;
  Figures drv, ref;
  char check[64];
  long diff;

  for (size_t i = 0; i < sizeof (vpp_convs) / sizeof (vpp_convs[0]); i++)
    if (!strcmp (vpp_convs[i].name, o->name))
      c = &vpp_convs[i];
  if (!c)
    usage ();
  read_raw (o, c->in_fourcc == VA_FOURCC_P010 ? 2 : 1, &raw);
  n = raw.n;
  ow = c->out_w ? c->out_w : w;
  oh = c->out_h ? c->out_h : h;

  /* The driver: surfaces filled once, one pipeline buffer a frame. */
  dpy = open_driver ();
  in = calloc (n, sizeof (*in));
  out = calloc (n, sizeof (*out));
  pipe = calloc (n, sizeof (*pipe));
  cpu_in = calloc (n, sizeof (*cpu_in));
  cpu_out = calloc (n, sizeof (*cpu_out));
  if (!in || !out || !pipe || !cpu_in || !cpu_out)
    die ("out of memory");
  VA (vaCreateConfig (dpy, VAProfileNone, VAEntrypointVideoProc, NULL, 0,
          &cfg));
  fa.value.value.i = (int) c->in_fourcc;
  VA (vaCreateSurfaces (dpy, c->in_rt, w, h, in, n, &fa, 1));
  fa.value.value.i = VA_FOURCC_NV12;
  VA (vaCreateSurfaces (dpy, VA_RT_FORMAT_YUV420, ow, oh, out, n, &fa, 1));
  VA (vaCreateContext (dpy, cfg, ow, oh, 0, out, n, &ctx));
  for (int i = 0; i < n; i++)
    upload (dpy, in[i], &raw, i, w, h);
  if (c->tone_map) {
    VAProcFilterParameterBufferHDRToneMapping tm = {
      .type = VAProcFilterHighDynamicRangeToneMapping,
      .data = {.metadata_type = VAProcHighDynamicRangeMetadataHDR10,
          .metadata = &o->hdr10,.metadata_size = sizeof (o->hdr10)}
    };
    VA (vaCreateBuffer (dpy, ctx, VAProcFilterParameterBufferType,
            sizeof (tm), 1, &tm, &filter));
  }
  for (int i = 0; i < n; i++) {
    VAProcPipelineParameterBuffer pp;
    memset (&pp, 0, sizeof (pp));
    pp.surface = in[i];
    pp.surface_color_standard = c->in_std;
    pp.output_color_standard = c->out_std;
    pp.input_color_properties = c->in_cp;
    pp.output_color_properties = c->out_cp;
    pp.filter_flags = c->scaling;
    pp.output_background_color = 0xff000000;
    if (c->tone_map) {
      pp.filters = &filter;
      pp.num_filters = 1;
    }
    VA (vaCreateBuffer (dpy, ctx, VAProcPipelineParameterBufferType,
            sizeof (pp), 1, &pp, &pipe[i]));
  }

  /* The CPU: the same frames in the surfaces' layout. */
  in_l = surface_layout (dpy, in[0]);
  out_l = surface_layout (dpy, out[0]);
  for (int i = 0; i < n; i++) {
    cpu_in[i] = xmalloc (in_l.size);
    cpu_out[i] = xmalloc (out_l.size);
    memset (cpu_out[i], 0, out_l.size);
    copy_frame (&raw, i, w, h, cpu_in[i], in_l.pitch, in_l.offset);
  }
  cpu_conversion (c, &o->hdr10, w, h, ow, oh, &fi, &fo, &params);
  scale = est_hdr_scale_new (&fi, &fo, &params, &err);
  if (!scale)
    die ("est_hdr_scale_new: %s", err);
  printf ("%s: %d frames %dx%d -> %dx%d, %ld CPUs; %s\n", o->name, n, w, h,
      ow, oh, sysconf (_SC_NPROCESSORS_ONLN), est_hdr_scale_describe (scale));

  for (int r = -1; r < o->repeats; r++) {
    int loops = r < 0 ? 1 : o->loops;   /* r == -1: the warm-up */
    Stamp td = { 0, 0 }, tc = { 0, 0 }, t0, t1, t2;
    if (o->by_frame) {
      for (int l = 0; l < loops; l++) {
        for (int i = 0; i < n; i++) {
          /* each goes first every other frame */
          for (int k = 0; k < 2; k++) {
            t0 = stamp ();
            if (k == ((l * n + i) & 1)) {
              driver_process (dpy, ctx, out[i], pipe[i]);
              add_span (&td, t0, stamp ());
            } else {
              cpu_process (scale, cpu_in[i], &in_l, cpu_out[i], &out_l);
              add_span (&tc, t0, stamp ());
            }
          }
        }
      }
    } else {
      t0 = stamp ();
      for (int l = 0; l < loops; l++)
        for (int i = 0; i < n; i++)
          driver_process (dpy, ctx, out[i], pipe[i]);
      t1 = stamp ();
      for (int l = 0; l < loops; l++)
        for (int i = 0; i < n; i++)
          cpu_process (scale, cpu_in[i], &in_l, cpu_out[i], &out_l);
      t2 = stamp ();
      add_span (&td, t0, t1);
      add_span (&tc, t1, t2);
    }
    if (r >= 0) {
      record (&drv, r, loops * n, td);
      record (&ref, r, loops * n, tc);
      printf ("  repeat %d: driver %.1f fps, CPU %.1f fps, ratio %.3f; "
          "CPU ms a frame %.2f / %.2f\n", r, drv.fps[r], ref.fps[r],
          drv.fps[r] / ref.fps[r], drv.cpu_ms[r], ref.cpu_ms[r]);
      fflush (stdout);
    }
  }

  diff = compare_nv12 (dpy, out[0], cpu_out[0], &out_l, ow, oh);
  printf ("first frame: %ld bytes of the output differ between the driver "
      "and est_hdr_scale_process\n", diff);
  snprintf (check, sizeof (check), "differing_bytes=%ld", diff);
  print_result (o, "CPU", &drv, &ref, check);

  est_hdr_scale_free (scale);
  for (int i = 0; i < n; i++) {
    VA (vaDestroyBuffer (dpy, pipe[i]));
    free (cpu_in[i]);
    free (cpu_out[i]);
  }
  if (filter != VA_INVALID_ID)
    VA (vaDestroyBuffer (dpy, filter));
  VA (vaDestroyContext (dpy, ctx));
  VA (vaDestroySurfaces (dpy, in, n));
  VA (vaDestroySurfaces (dpy, out, n));
  VA (vaDestroyConfig (dpy, cfg));
  vaTerminate (dpy);
  free (in);
  free (out);
  free (pipe);
  free (cpu_in);
  free (cpu_out);
  free (raw.data);
  return diff != 0;
}

/* --- Encode --------------------------------------------------------------- */

/* The library called directly: one encoder and its input frames. */
typedef struct Direct
{
  int hevc, w, h, qp;
  int64_t pts;
#ifdef EST_HAVE_X264
  x264_t *x264;
  x264_picture_t *pics;         /* one a frame, pointing into the frames */
#endif
#ifdef EST_HAVE_X265
  const x265_api *api;
  x265_param *param;
  x265_encoder *x265;
  x265_picture *xpic;
  uint8_t **planar;             /* one I420 frame a frame */
  float *offsets;
#endif
} Direct;

/* The settings below mirror vchipencode.c's x264_open () and x265_open ()
 * for CQP at the parameters the driver is given here (H.264 High, level
 * 4.0, 30 fps from time_scale 60 and num_units_in_tick 1; HEVC Main,
 * 30 fps), and the per-picture fields x264_run () and x265_run () set.
 * Keep them in step with that file. */
static int
direct_open (Direct * d, int hevc, int w, int h, int qp)
{
  memset (d, 0, sizeof (*d));
  d->hevc = hevc;
  d->w = w;
  d->h = h;
  d->qp = qp;
  if (!hevc) {
#ifdef EST_HAVE_X264
    x264_param_t p;
    if (x264_param_default_preset (&p, "veryfast", "zerolatency") < 0)
      return 0;
    p.i_log_level = X264_LOG_ERROR;
    p.i_csp = X264_CSP_NV12;
    p.i_width = w;
    p.i_height = h;
    p.i_fps_num = 60;           /* time_scale 60, ticks of fields: 60 / 2 */
    p.i_fps_den = 2;
    p.i_timebase_num = p.i_fps_den;
    p.i_timebase_den = p.i_fps_num;
    p.i_frame_reference = 1;
    p.i_bframe = 0;
    p.i_keyint_max = X264_KEYINT_MAX_INFINITE;
    p.i_scenecut_threshold = 0;
    p.b_repeat_headers = 1;
    p.b_annexb = 1;
    p.i_level_idc = 40;
    p.rc.i_aq_mode = X264_AQ_VARIANCE;
    p.rc.f_aq_strength = 0.001f;        /* AQ_STRENGTH_FOR_OFFSETS */
    p.rc.b_mb_tree = 0;
    p.rc.i_rc_method = X264_RC_CRF;     /* x264_rate () for VA_RC_CQP */
    p.rc.f_rf_constant = 23;
    p.rc.i_vbv_max_bitrate = p.rc.i_vbv_buffer_size = 0;
    if (x264_param_apply_profile (&p, "high") < 0)
      return 0;
    d->x264 = x264_encoder_open (&p);
    return d->x264 != NULL;
#endif
  } else {
#ifdef EST_HAVE_X265
    x265_param *p;
    d->api = x265_api_get (8);
    if (!d->api)
      return 0;
    p = d->param = d->api->param_alloc ();
    if (!p || d->api->param_default_preset (p, "veryfast", "zerolatency") < 0)
      return 0;
    p->logLevel = X265_LOG_ERROR;
    p->internalCsp = X265_CSP_I420;
    p->sourceWidth = w;
    p->sourceHeight = h;
    p->fpsNum = 30;
    p->fpsDenom = 1;
    p->maxNumReferences = 1;
    p->bframes = 0;
    p->keyframeMax = 1 << 30;
    p->scenecutThreshold = 0;
    p->bOpenGOP = 0;
    p->bRepeatHeaders = 1;
    p->bAnnexB = 1;
    p->bEmitInfoSEI = 0;
    p->frameNumThreads = 1;
    p->rc.qgSize = 16;
    p->rc.aqMode = X265_AQ_VARIANCE;
    p->rc.aqStrength = 0.001;   /* AQ_STRENGTH_FOR_OFFSETS */
    p->rc.cuTree = 0;
    p->rc.rateControlMode = X265_RC_CRF;        /* x265_rate () for CQP */
    p->rc.rfConstant = 23;
    if (d->api->param_apply_profile (p, "main") < 0)
      return 0;
    d->x265 = d->api->encoder_open (p);
    d->xpic = d->api->picture_alloc ();
    /* x265_run () hands x265 a zeroed offset a 16x16 block when the
     * picture has no ROI */
    d->offsets = calloc ((size_t) ((w + 15) / 16) * ((h + 15) / 16),
        sizeof (float));
    if (!d->x265 || !d->xpic || !d->offsets)
      return 0;
    d->api->picture_init (p, d->xpic);
    return 1;
#endif
  }
  return 0;
}

/* Points the library's pictures at the frames, once: x264 reads NV12 in
 * place as the driver's x264_run () does; x265 reads planar I420, which
 * the driver's x265_input () makes from the surface every frame and which
 * a program calling x265 has already (made here, untimed). */
static void
direct_frames (Direct * d, const Raw * raw)
{
  size_t luma = (size_t) d->w * d->h;

  if (!d->hevc) {
#ifdef EST_HAVE_X264
    d->pics = calloc (raw->n, sizeof (*d->pics));
    for (int i = 0; i < raw->n; i++) {
      uint8_t *f = raw->data + raw->frame_size * i;
      x264_picture_init (&d->pics[i]);
      d->pics[i].img.i_csp = X264_CSP_NV12;
      d->pics[i].img.i_plane = 2;
      d->pics[i].img.plane[0] = f;
      d->pics[i].img.plane[1] = f + luma;
      d->pics[i].img.i_stride[0] = d->pics[i].img.i_stride[1] = d->w;
    }
#endif
    return;
  }
#ifdef EST_HAVE_X265
  d->planar = calloc (raw->n, sizeof (*d->planar));
  for (int i = 0; i < raw->n; i++) {
    const uint8_t *f = raw->data + raw->frame_size * i;
    uint8_t *q = d->planar[i] = xmalloc (luma * 3 / 2);
    memcpy (q, f, luma);
    for (size_t k = 0; k < luma / 4; k++) {
      q[luma + k] = f[luma + 2 * k];
      q[luma + luma / 4 + k] = f[luma + 2 * k + 1];
    }
  }
#endif
}

/* Encodes frame i (IDR when idr, else P); the time in the library into
 * *span, bytes of bitstream into *bytes. */
static void
direct_encode (Direct * d, int i, int idr, Stamp * span, size_t *bytes)
{
  Stamp t0;

  *bytes = 0;
  if (!d->hevc) {
#ifdef EST_HAVE_X264
    x264_picture_t out;
    x264_nal_t *nals;
    int n_nals;
    x264_picture_t *pic = &d->pics[i];
    pic->i_pts = d->pts++;
    pic->i_type = idr ? X264_TYPE_IDR : X264_TYPE_P;
    pic->i_qpplus1 = d->qp + 1;
    t0 = stamp ();
    if (x264_encoder_encode (d->x264, &nals, &n_nals, pic, &out) < 0)
      die ("x264_encoder_encode failed");
    add_span (span, t0, stamp ());
    for (int k = 0; k < n_nals; k++)
      *bytes += (size_t) nals[k].i_payload;
#endif
  } else {
#ifdef EST_HAVE_X265
    x265_nal *nals;
    uint32_t n_nals;
    x265_picture out;
    int cw = d->w / 2;
    size_t luma = (size_t) d->w * d->h;
    d->xpic->bitDepth = 8;
    d->xpic->colorSpace = X265_CSP_I420;
    d->xpic->planes[0] = d->planar[i];
    d->xpic->planes[1] = d->planar[i] + luma;
    d->xpic->planes[2] = d->planar[i] + luma + luma / 4;
    d->xpic->stride[0] = d->w;
    d->xpic->stride[1] = d->xpic->stride[2] = cw;
    d->xpic->pts = d->pts++;
    d->xpic->sliceType = idr ? X265_TYPE_IDR : X265_TYPE_P;
    d->xpic->forceqp = d->qp + 1;
    d->xpic->quantOffsets = d->offsets;
    t0 = stamp ();
    d->api->picture_init (d->param, &out);
    if (d->api->encoder_encode (d->x265, &nals, &n_nals, d->xpic, &out) != 1)
      die ("x265 encoder_encode did not return the picture");
    add_span (span, t0, stamp ());
    for (uint32_t k = 0; k < n_nals; k++)
      *bytes += nals[k].sizeBytes;
#endif
  }
}

static void
direct_close (Direct * d, int n)
{
#ifdef EST_HAVE_X264
  if (d->x264)
    x264_encoder_close (d->x264);
  free (d->pics);
#endif
#ifdef EST_HAVE_X265
  if (d->x265)
    d->api->encoder_close (d->x265);
  if (d->xpic)
    d->api->picture_free (d->xpic);
  if (d->param)
    d->api->param_free (d->param);
  for (int i = 0; d->planar && i < n; i++)
    free (d->planar[i]);
  free (d->planar);
  free (d->offsets);
#endif
  (void) n;
}

/* The driver's encode session: one input surface a frame. */
typedef struct Driver
{
  VADisplay dpy;
  VAProfile profile;
  int hevc, w, h, aw, ah, qp;
  VAConfigID cfg;
  VAContextID ctx;
  VASurfaceID *in, recon[2];
  VABufferID coded;
} Driver;

static void
driver_open (Driver * v, const Raw * raw, int hevc, int w, int h, int qp)
{
  VAConfigAttrib attr[2] = {
    {VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420},
    {VAConfigAttribRateControl, VA_RC_CQP},
  };

  memset (v, 0, sizeof (*v));
  v->dpy = open_driver ();
  v->hevc = hevc;
  v->profile = hevc ? VAProfileHEVCMain : VAProfileH264High;
  v->w = w;
  v->h = h;
  v->aw = (w + 15) / 16 * 16;
  v->ah = (h + 15) / 16 * 16;
  v->qp = qp;
  VA (vaCreateConfig (v->dpy, v->profile, VAEntrypointEncSlice, attr, 2,
          &v->cfg));
  v->in = calloc (raw->n, sizeof (*v->in));
  if (!v->in)
    die ("out of memory");
  VA (vaCreateSurfaces (v->dpy, VA_RT_FORMAT_YUV420, w, h, v->in, raw->n,
          NULL, 0));
  for (int i = 0; i < raw->n; i++)
    upload (v->dpy, v->in[i], raw, i, w, h);
  VA (vaCreateSurfaces (v->dpy, VA_RT_FORMAT_YUV420, v->aw, v->ah, v->recon,
          2, NULL, 0));
  VA (vaCreateContext (v->dpy, v->cfg, v->aw, v->ah, VA_PROGRESSIVE,
          v->recon, 2, &v->ctx));
  VA (vaCreateBuffer (v->dpy, v->ctx, VAEncCodedBufferType,
          (unsigned) (v->aw * v->ah * 3), 1, NULL, &v->coded));
}

/* The sequence, picture and slice buffers of frame i, as a stock client
 * (tests/sys/vchip/vchip.c) makes them. */
static int
driver_params (Driver * v, int i, int idr, VABufferID * b)
{
  int mbw = v->aw / 16, mbh = v->ah / 16;
  VASurfaceID recon = v->recon[i & 1];

  if (v->hevc) {
    VAEncSequenceParameterBufferHEVC seq = { 0 };
    VAEncPictureParameterBufferHEVC pic = { 0 };
    VAEncSliceParameterBufferHEVC sl = { 0 };
    seq.general_profile_idc = 1;
    seq.general_level_idc = 120;
    seq.intra_period = 1000;
    seq.ip_period = 1;
    seq.pic_width_in_luma_samples = (uint16_t) v->aw;
    seq.pic_height_in_luma_samples = (uint16_t) v->ah;
    seq.vui_time_scale = 30;
    seq.vui_num_units_in_tick = 1;
    pic.decoded_curr_pic.picture_id = recon;
    pic.coded_buf = v->coded;
    pic.pic_init_qp = (uint8_t) v->qp;
    pic.pic_fields.bits.idr_pic_flag = idr;
    pic.pic_fields.bits.coding_type = idr ? 1 : 2;
    sl.slice_type = idr ? 2 : 1;
    VA (vaCreateBuffer (v->dpy, v->ctx, VAEncSequenceParameterBufferType,
            sizeof (seq), 1, &seq, &b[0]));
    VA (vaCreateBuffer (v->dpy, v->ctx, VAEncPictureParameterBufferType,
            sizeof (pic), 1, &pic, &b[1]));
    VA (vaCreateBuffer (v->dpy, v->ctx, VAEncSliceParameterBufferType,
            sizeof (sl), 1, &sl, &b[2]));
  } else {
    VAEncSequenceParameterBufferH264 seq = { 0 };
    VAEncPictureParameterBufferH264 pic = { 0 };
    VAEncSliceParameterBufferH264 sl = { 0 };
    seq.level_idc = 40;
    seq.intra_period = 1000;
    seq.ip_period = 1;
    seq.picture_width_in_mbs = (uint16_t) mbw;
    seq.picture_height_in_mbs = (uint16_t) mbh;
    seq.frame_cropping_flag = v->aw != v->w || v->ah != v->h;
    seq.frame_crop_right_offset = (uint32_t) (v->aw - v->w) / 2;
    seq.frame_crop_bottom_offset = (uint32_t) (v->ah - v->h) / 2;
    seq.time_scale = 60;
    seq.num_units_in_tick = 1;
    pic.CurrPic.picture_id = recon;
    pic.coded_buf = v->coded;
    pic.pic_init_qp = (uint8_t) v->qp;
    pic.pic_fields.bits.idr_pic_flag = idr;
    pic.pic_fields.bits.reference_pic_flag = 1;
    sl.slice_type = idr ? 2 : 0;
    sl.num_macroblocks = (uint32_t) (mbw * mbh);
    VA (vaCreateBuffer (v->dpy, v->ctx, VAEncSequenceParameterBufferType,
            sizeof (seq), 1, &seq, &b[0]));
    VA (vaCreateBuffer (v->dpy, v->ctx, VAEncPictureParameterBufferType,
            sizeof (pic), 1, &pic, &b[1]));
    VA (vaCreateBuffer (v->dpy, v->ctx, VAEncSliceParameterBufferType,
            sizeof (sl), 1, &sl, &b[2]));
  }
  return 3;
}

/* Encodes frame i through the driver; the time from vaBeginPicture to
 * the mapped coded buffer into *span, bytes into *bytes. */
static void
driver_encode (Driver * v, int i, int idr, Stamp * span, size_t *bytes)
{
  VABufferID b[3];
  VACodedBufferSegment *seg;
  int n = driver_params (v, i, idr, b);
  Stamp t0;

  t0 = stamp ();
  VA (vaBeginPicture (v->dpy, v->ctx, v->in[i]));
  VA (vaRenderPicture (v->dpy, v->ctx, b, n));
  VA (vaEndPicture (v->dpy, v->ctx));
  VA (vaMapBuffer (v->dpy, v->coded, (void **) &seg));
  add_span (span, t0, stamp ());
  *bytes = 0;
  for (; seg; seg = seg->next) {
    if (seg->status & VA_CODED_BUF_STATUS_SLICE_OVERFLOW_MASK)
      die ("coded buffer overflow");
    *bytes += seg->size;
  }
  VA (vaUnmapBuffer (v->dpy, v->coded));
  for (int k = 0; k < n; k++)
    VA (vaDestroyBuffer (v->dpy, b[k]));
}

static void
driver_close (Driver * v, int n)
{
  VA (vaDestroyBuffer (v->dpy, v->coded));
  VA (vaDestroyContext (v->dpy, v->ctx));
  VA (vaDestroySurfaces (v->dpy, v->in, n));
  VA (vaDestroySurfaces (v->dpy, v->recon, 2));
  VA (vaDestroyConfig (v->dpy, v->cfg));
  vaTerminate (v->dpy);
  free (v->in);
}

static int
bench_enc (Options * o)
{
  int hevc = 0;
  Raw raw;
  Driver v;
  Direct d;
  Figures drv, ref;
  size_t drv_bytes = 0, ref_bytes = 0;
  char check[96];

  if (!strcmp (o->name, "h264"))
    hevc = 0;
  else if (!strcmp (o->name, "hevc"))
    hevc = 1;
  else
    usage ();
#ifndef EST_HAVE_X264
  if (!hevc) {
    printf ("SKIP: built without x264\n");
    return 77;
  }
#endif
#ifndef EST_HAVE_X265
  if (hevc) {
    printf ("SKIP: built without x265\n");
    return 77;
  }
#endif
  read_raw (o, 1, &raw);
  driver_open (&v, &raw, hevc, o->width, o->height, o->qp);
  if (!direct_open (&d, hevc, o->width, o->height, o->qp))
    die ("cannot open the %s library", hevc ? "x265" : "x264");
  direct_frames (&d, &raw);
  printf ("%s: %d frames %dx%d, CQP %d, IDR then P, %ld CPUs\n", o->name,
      raw.n, o->width, o->height, o->qp, sysconf (_SC_NPROCESSORS_ONLN));

  for (int r = -1; r < o->repeats; r++) {
    Stamp td = { 0, 0 }, tr = { 0, 0 };
    size_t bd = 0, br = 0, b;
    /* frame by frame, so that the machine's noise hits both alike */
    for (int i = 0; i < raw.n; i++) {
      /* each goes first every other frame */
      for (int k = 0; k < 2; k++) {
        if (k == (i & 1)) {
          driver_encode (&v, i, i == 0, &td, &b);
          bd += b;
        } else {
          direct_encode (&d, i, i == 0, &tr, &b);
          br += b;
        }
      }
    }
    if (r >= 0) {
      record (&drv, r, raw.n, td);
      record (&ref, r, raw.n, tr);
      drv_bytes = bd;
      ref_bytes = br;
      printf ("  repeat %d: driver %.1f fps (%zu bytes), %s %.1f fps "
          "(%zu bytes), ratio %.3f; CPU ms a frame %.1f / %.1f\n", r,
          drv.fps[r], bd, hevc ? "x265" : "x264", ref.fps[r], br,
          drv.fps[r] / ref.fps[r], drv.cpu_ms[r], ref.cpu_ms[r]);
      fflush (stdout);
    }
  }
  snprintf (check, sizeof (check), "bytes=%zu/%zu", drv_bytes, ref_bytes);
  print_result (o, hevc ? "x265" : "x264", &drv, &ref, check);
  driver_close (&v, raw.n);
  direct_close (&d, raw.n);
  free (raw.data);
  return 0;
}

int
main (int argc, char **argv)
{
  Options o;

  parse_options (argc, argv, &o);
  if (!strcmp (o.mode, "vpp"))
    return bench_vpp (&o);
  if (!strcmp (o.mode, "enc"))
    return bench_enc (&o);
  usage ();
  return 2;
}
