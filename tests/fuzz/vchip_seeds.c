/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* Seed programs for vchip_fuzzer, in the input format of vchip_fuzzer.h:
 *
 *   vchip_fuzzer_seeds OUT_DIR
 *
 * writes a few valid call sequences of the kind tests/sys/vchip/vchip.c
 * makes through libva: an HDR10 to SDR tone-mapping picture with scaling,
 * two H.264 CQP pictures (IDR, then P with an ROI), a 10-bit HEVC CBR
 * picture in strict mode, and images and refused sizes. The fuzzer
 * mutates from there; without seeds it would take long to build a valid
 * picture from nothing. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vchip_fuzzer.h"

typedef struct Prog
{
  uint8_t data[65536];
  size_t n;
} Prog;

static void
b8 (Prog * p, unsigned v)
{
  if (p->n >= sizeof (p->data)) {
    fprintf (stderr, "vchip_fuzzer_seeds: program too long\n");
    exit (1);
  }
  p->data[p->n++] = (uint8_t) v;
}

static void
b16 (Prog * p, unsigned v)
{
  b8 (p, v & 0xff);
  b8 (p, v >> 8);
}

static void
b32 (Prog * p, uint32_t v)
{
  b16 (p, v & 0xffff);
  b16 (p, v >> 16);
}

static void
raw (Prog * p, const void *data, size_t n)
{
  for (size_t i = 0; i < n; i++)
    b8 (p, ((const uint8_t *) data)[i]);
}

/* bytes(n): a u16 count and the bytes */
static void
counted (Prog * p, const void *data, size_t n)
{
  b16 (p, (unsigned) n);
  raw (p, data, n);
}

static void
pick (Prog * p, const uint32_t * list, size_t n, uint32_t v)
{
  for (size_t i = 0; i < n; i++) {
    if (list[i] == v) {
      b8 (p, (unsigned) i);
      return;
    }
  }
  b8 (p, 0xff);
  b32 (p, v);
}

#define PICK(p, list, v) pick ((p), (list), VCHIP_LEN (list), (v))

/* id(): the i-th ID of the op's kind */
static void
nth (Prog * p, unsigned i)
{
  b8 (p, i);
}

/* size: 1..256 */
static void
sz (Prog * p, unsigned v)
{
  if (v <= 16) {
    b8 (p, v - 1);
  } else {
    b8 (p, 0x80);
    b8 (p, v - 1);
  }
}

/* coord: 0..255 */
static void
coord (Prog * p, unsigned v)
{
  if (v < 16) {
    b8 (p, v);
  } else {
    b8 (p, 0x80);
    b8 (p, v);
  }
}

static void
op (Prog * p, VchipOp o)
{
  b8 (p, o);
}

/* A pointer field's raw value: present (1) or NULL (0). */
#define PRESENT ((void *) (uintptr_t) 1)

static void
create_config (Prog * p, VAProfile profile, VAEntrypoint ep,
    uint32_t rt, uint32_t rc)
{
  op (p, VCHIP_OP_CREATE_CONFIG);
  PICK (p, vchip_profiles, (uint32_t) profile);
  PICK (p, vchip_entrypoints, ep);
  b8 (p, rt ? 2 : 0);
  if (rt) {
    PICK (p, vchip_attrib_types, VAConfigAttribRTFormat);
    PICK (p, vchip_values, rt);
    PICK (p, vchip_attrib_types, VAConfigAttribRateControl);
    PICK (p, vchip_values, rc);
  }
}

/* vaCreateSurfaces2, with a pixel format attribute when fourcc is set */
static void
create_surfaces (Prog * p, uint32_t rt, unsigned w, unsigned h, unsigned n,
    uint32_t fourcc)
{
  op (p, VCHIP_OP_CREATE_SURFACES);
  b8 (p, 1);
  PICK (p, vchip_rt_formats, rt);
  sz (p, w);
  sz (p, h);
  b8 (p, n);
  b8 (p, fourcc ? 1 : 0);
  if (fourcc) {
    PICK (p, vchip_surface_attrib_types, VASurfaceAttribPixelFormat);
    b8 (p, VA_SURFACE_ATTRIB_SETTABLE);
    PICK (p, vchip_value_types, VAGenericValueTypeInteger);
    PICK (p, vchip_values, fourcc);
  }
}

static void
create_context (Prog * p, unsigned cfg, unsigned w, unsigned h,
    const unsigned *targets, unsigned n)
{
  op (p, VCHIP_OP_CREATE_CONTEXT);
  nth (p, cfg);
  sz (p, w);
  sz (p, h);
  b32 (p, VA_PROGRESSIVE);
  b8 (p, n);
  for (unsigned i = 0; i < n; i++)
    nth (p, targets[i]);
}

/* A buffer of the type's natural size holding `data` (n bytes); the
 * pointer patches' bytes follow from the caller. NULL data: none. */
static void
create_buffer (Prog * p, unsigned ctx, uint32_t type, const void *data,
    size_t n)
{
  op (p, VCHIP_OP_CREATE_BUFFER);
  nth (p, ctx);
  PICK (p, vchip_buffer_types, type);
  b8 (p, 0);
  b8 (p, data ? 0 : 1);
  if (data)
    counted (p, data, n);
}

/* A misc parameter buffer: header and payload. */
static void
create_misc (Prog * p, unsigned ctx, uint32_t type, const void *payload,
    size_t n)
{
  uint8_t buf[512];

  memset (buf, 0, sizeof (buf));
  memcpy (buf, &type, sizeof (type));
  memcpy (buf + offsetof (VAEncMiscParameterBuffer, data), payload, n);
  create_buffer (p, ctx, VAEncMiscParameterBufferType, buf,
      offsetof (VAEncMiscParameterBuffer, data) + n);
}

static void
one_id_op (Prog * p, VchipOp o, unsigned i)
{
  op (p, o);
  nth (p, i);
}

static void
picture (Prog * p, unsigned ctx, unsigned target, const unsigned *bufs,
    unsigned n)
{
  op (p, VCHIP_OP_BEGIN_PICTURE);
  nth (p, ctx);
  nth (p, target);
  op (p, VCHIP_OP_RENDER_PICTURE);
  nth (p, ctx);
  b8 (p, n);
  for (unsigned i = 0; i < n; i++)
    nth (p, bufs[i]);
  one_id_op (p, VCHIP_OP_END_PICTURE, ctx);
}

/* map, read every byte (or segment), unmap */
static void
read_buffer (Prog * p, unsigned buf)
{
  op (p, VCHIP_OP_MAP_BUFFER);
  nth (p, buf);
  b8 (p, 2 | 4);
}

static void
sync_op (Prog * p, unsigned what, unsigned i)
{
  op (p, VCHIP_OP_SYNC);
  b8 (p, what);
  nth (p, i);
}

static const VAHdrMetaDataHDR10 hdr10 = {
  .display_primaries_x = {13250, 7500, 34000},
  .display_primaries_y = {34500, 3000, 16000},
  .white_point_x = 15635,.white_point_y = 16450,
  .max_display_mastering_luminance = 10000000,
  .min_display_mastering_luminance = 50,
  .max_content_light_level = 1000,.max_pic_average_light_level = 400,
};

/* HDR10 (P010, BT.2020 PQ) 64x48 -> SDR NV12 BT.709 32x24, tone mapped. */
static void
seed_vpp (Prog * p)
{
  VAProcFilterParameterBufferHDRToneMapping tm;
  VAProcPipelineParameterBuffer pp;
  unsigned target = 1, bufs[1] = { 1 };

  b8 (p, 0);
  create_config (p, VAProfileNone, VAEntrypointVideoProc, 0, 0);
  create_surfaces (p, VA_RT_FORMAT_YUV420_10, 64, 48, 1, 0);
  create_surfaces (p, VA_RT_FORMAT_YUV420, 32, 24, 1, VA_FOURCC_NV12);
  create_context (p, 0, 32, 24, &target, 1);

  memset (&tm, 0, sizeof (tm));
  tm.type = VAProcFilterHighDynamicRangeToneMapping;
  tm.data.metadata_type = VAProcHighDynamicRangeMetadataHDR10;
  tm.data.metadata = PRESENT;
  tm.data.metadata_size = sizeof (hdr10);
  create_buffer (p, 0, VAProcFilterParameterBufferType, &tm, sizeof (tm));
  counted (p, &hdr10, sizeof (hdr10));  /* the metadata */

  memset (&pp, 0, sizeof (pp));
  pp.surface = VCHIP_REF (VCHIP_SURFACE, 0);
  pp.surface_color_standard = VAProcColorStandardExplicit;
  pp.input_color_properties.colour_primaries = 9;
  pp.input_color_properties.transfer_characteristics = 16;
  pp.input_color_properties.matrix_coefficients = 9;
  pp.input_color_properties.color_range = VA_SOURCE_RANGE_REDUCED;
  pp.output_color_standard = VAProcColorStandardBT709;
  pp.filter_flags = VA_FILTER_SCALING_HQ;
  pp.filters = PRESENT;
  pp.num_filters = 1;
  create_buffer (p, 0, VAProcPipelineParameterBufferType, &pp, sizeof (pp));
  nth (p, 0);                   /* filters[0]: the tone-mapping buffer */

  picture (p, 0, 1, bufs, 1);
  sync_op (p, 0, 1);
  one_id_op (p, VCHIP_OP_DERIVE_IMAGE, 1);
  read_buffer (p, 2);
  one_id_op (p, VCHIP_OP_DESTROY_IMAGE, 0);
  one_id_op (p, VCHIP_OP_DESTROY_BUFFER, 1);
  one_id_op (p, VCHIP_OP_DESTROY_BUFFER, 0);
  one_id_op (p, VCHIP_OP_DESTROY_CONTEXT, 0);
  op (p, VCHIP_OP_DESTROY_SURFACES);
  b8 (p, 2);
  nth (p, 0);
  nth (p, 1);
  one_id_op (p, VCHIP_OP_DESTROY_CONFIG, 0);
}

/* A gradient into surface s through a w x h NV12 image (vaCreateImage,
 * map and write, vaPutImage); the image's buffer is buffer `buf`. */
static void
upload (Prog * p, unsigned s, unsigned image, unsigned buf, unsigned w,
    unsigned h)
{
  static uint8_t pixels[256 * 256 * 3 / 2];
  size_t n = (size_t) w * h * 3 / 2;

  for (size_t i = 0; i < n; i++)
    pixels[i] = (uint8_t) (i < (size_t) w * h ? 16 + (i % w + i / w) :
        128 + (i % 7));
  op (p, VCHIP_OP_CREATE_IMAGE);
  PICK (p, vchip_fourccs, VA_FOURCC_NV12);
  sz (p, w);
  sz (p, h);
  op (p, VCHIP_OP_MAP_BUFFER);
  nth (p, buf);
  b8 (p, 1 | 4);
  counted (p, pixels, n);
  op (p, VCHIP_OP_PUT_IMAGE);
  nth (p, s);
  nth (p, image);
  coord (p, 0);
  coord (p, 0);
  sz (p, w);
  sz (p, h);
  coord (p, 0);
  coord (p, 0);
  sz (p, w);
  sz (p, h);
}

static void
h264_picture (Prog * p, int idr, int roi)
{
  VAEncPictureParameterBufferH264 pic;
  VAEncSliceParameterBufferH264 sl;

  memset (&pic, 0, sizeof (pic));
  pic.CurrPic.picture_id = VCHIP_REF (VCHIP_SURFACE, idr ? 1 : 2);
  pic.coded_buf = VCHIP_REF (VCHIP_BUFFER, 0);
  pic.pic_init_qp = 26;
  pic.pic_fields.bits.idr_pic_flag = idr;
  pic.pic_fields.bits.reference_pic_flag = 1;
  create_buffer (p, 0, VAEncPictureParameterBufferType, &pic, sizeof (pic));
  memset (&sl, 0, sizeof (sl));
  sl.num_macroblocks = 4 * 3;
  sl.slice_type = idr ? 2 : 0;
  sl.slice_qp_delta = idr ? 0 : 4;
  create_buffer (p, 0, VAEncSliceParameterBufferType, &sl, sizeof (sl));
  if (roi) {
    VAEncMiscParameterBufferROI r;
    VAEncROI rect = { {16, 16, 32, 16}, -8 };
    memset (&r, 0, sizeof (r));
    r.num_roi = 1;
    r.max_delta_qp = 51;
    r.min_delta_qp = -51;
    r.roi = PRESENT;
    r.roi_flags.bits.roi_value_is_qp_delta = 1;
    create_misc (p, 0, VAEncMiscParameterTypeROI, &r, sizeof (r));
    raw (p, &rect, sizeof (rect));      /* roi[0] */
  }
}

/* H.264 Main, CQP, 64x48: an IDR picture, then a P picture with an ROI. */
static void
seed_h264 (Prog * p)
{
  VAEncSequenceParameterBufferH264 seq;
  unsigned recon[2] = { 1, 2 }, first[3] = { 2, 3, 4 }, second[4] =
      { 2, 5, 6, 7 };

  b8 (p, 0);
  create_config (p, VAProfileH264Main, VAEntrypointEncSlice,
      VA_RT_FORMAT_YUV420, VA_RC_CQP);
  create_surfaces (p, VA_RT_FORMAT_YUV420, 64, 48, 3, 0);
  create_context (p, 0, 64, 48, recon, 2);
  create_buffer (p, 0, VAEncCodedBufferType, NULL, 0);  /* buffer 0 */
  upload (p, 0, 0, 1, 64, 48);  /* image 0, buffer 1 */

  memset (&seq, 0, sizeof (seq));
  seq.level_idc = 40;
  seq.intra_period = 1000;
  seq.ip_period = 1;
  seq.picture_width_in_mbs = 4;
  seq.picture_height_in_mbs = 3;
  seq.time_scale = 60;
  seq.num_units_in_tick = 1;
  seq.seq_fields.bits.frame_mbs_only_flag = 1;
  seq.seq_fields.bits.chroma_format_idc = 1;
  create_buffer (p, 0, VAEncSequenceParameterBufferType, &seq, sizeof (seq));
  /* buffer 2 */
  h264_picture (p, 1, 0);       /* buffers 3, 4 */
  picture (p, 0, 0, first, 3);
  read_buffer (p, 0);
  sync_op (p, 0, 0);

  h264_picture (p, 0, 1);       /* buffers 5, 6, 7 */
  picture (p, 0, 0, second, 4);
  read_buffer (p, 0);
  sync_op (p, 3, 0);
}

/* HEVC Main10, CBR at 500 kbit/s, 64x64, strict mode "1" (odd layouts,
 * work deferred to sync). */
static void
seed_hevc (Prog * p)
{
  VAEncSequenceParameterBufferHEVC seq;
  VAEncPictureParameterBufferHEVC pic;
  VAEncSliceParameterBufferHEVC sl;
  VAEncMiscParameterRateControl rc;
  VAEncMiscParameterHRD hrd = { 500000, 250000, {0} };
  unsigned recon[1] = { 1 }, bufs[5] = { 1, 2, 3, 4, 5 };

  b8 (p, 1);
  create_config (p, VAProfileHEVCMain10, VAEntrypointEncSlice,
      VA_RT_FORMAT_YUV420_10, VA_RC_CBR);
  create_surfaces (p, VA_RT_FORMAT_YUV420_10, 64, 64, 2, 0);
  create_context (p, 0, 64, 64, recon, 1);
  create_buffer (p, 0, VAEncCodedBufferType, NULL, 0);

  memset (&seq, 0, sizeof (seq));
  seq.general_profile_idc = 2;
  seq.general_level_idc = 120;
  seq.intra_period = 30;
  seq.ip_period = 1;
  seq.bits_per_second = 500000;
  seq.pic_width_in_luma_samples = 64;
  seq.pic_height_in_luma_samples = 64;
  seq.seq_fields.bits.chroma_format_idc = 1;
  seq.seq_fields.bits.bit_depth_luma_minus8 = 2;
  seq.seq_fields.bits.bit_depth_chroma_minus8 = 2;
  seq.vui_time_scale = 30;
  seq.vui_num_units_in_tick = 1;
  create_buffer (p, 0, VAEncSequenceParameterBufferType, &seq, sizeof (seq));
  memset (&pic, 0, sizeof (pic));
  pic.decoded_curr_pic.picture_id = VCHIP_REF (VCHIP_SURFACE, 1);
  pic.coded_buf = VCHIP_REF (VCHIP_BUFFER, 0);
  pic.pic_init_qp = 30;
  pic.pic_fields.bits.idr_pic_flag = 1;
  pic.pic_fields.bits.coding_type = 1;
  create_buffer (p, 0, VAEncPictureParameterBufferType, &pic, sizeof (pic));
  memset (&sl, 0, sizeof (sl));
  sl.slice_type = 2;
  sl.num_ctu_in_slice = 1;
  create_buffer (p, 0, VAEncSliceParameterBufferType, &sl, sizeof (sl));
  memset (&rc, 0, sizeof (rc));
  rc.bits_per_second = 500000;
  rc.target_percentage = 100;
  create_misc (p, 0, VAEncMiscParameterTypeRateControl, &rc, sizeof (rc));
  create_misc (p, 0, VAEncMiscParameterTypeHRD, &hrd, sizeof (hrd));
  picture (p, 0, 0, bufs, 5);
  sync_op (p, 3, 0);            /* still rendering: deferred */
  sync_op (p, 2, 0);            /* vaSyncBuffer on the coded buffer */
  read_buffer (p, 0);
}

/* Queries, images in odd formats, and sizes the driver must refuse. */
static void
seed_images (Prog * p)
{
  b8 (p, 3);
  for (unsigned what = 0; what < 5; what++) {
    op (p, VCHIP_OP_QUERY_CONFIG);
    b8 (p, what);
    if (what == 1)
      PICK (p, vchip_profiles, VAProfileHEVCMain);
    if (what == 2) {
      PICK (p, vchip_profiles, VAProfileH264High);
      PICK (p, vchip_entrypoints, VAEntrypointEncSlice);
      b8 (p, 3);
      PICK (p, vchip_attrib_types, VAConfigAttribRTFormat);
      PICK (p, vchip_attrib_types, VAConfigAttribEncROI);
      PICK (p, vchip_attrib_types, VAConfigAttribEncMaxRefFrames);
    }
    if (what >= 3)
      nth (p, 0);
    if (what == 4)
      b8 (p, 16);
  }
  create_surfaces (p, VA_RT_FORMAT_YUV422, 33, 17, 1, 0);
  create_surfaces (p, VA_RT_FORMAT_RGB32, 20, 10, 1, VA_FOURCC_BGRA);
  op (p, VCHIP_OP_CREATE_IMAGE);
  PICK (p, vchip_fourccs, VA_FOURCC_YUY2);
  sz (p, 40);
  sz (p, 30);
  op (p, VCHIP_OP_GET_IMAGE);   /* surface 0 into image 0 */
  nth (p, 0);
  coord (p, 2);
  coord (p, 1);
  sz (p, 31);
  sz (p, 16);
  nth (p, 0);
  one_id_op (p, VCHIP_OP_DERIVE_IMAGE, 1);
  read_buffer (p, 1);
  /* over the limits: refused without allocating */
  op (p, VCHIP_OP_CREATE_SURFACES);
  b8 (p, 1);
  PICK (p, vchip_rt_formats, VA_RT_FORMAT_YUV420);
  b8 (p, 0xff);
  b8 (p, 1);                    /* 8193 */
  sz (p, 16);
  b8 (p, 1);
  b8 (p, 0);
  create_config (p, VAProfileNone, VAEntrypointVideoProc, 0, 0);
  create_context (p, 0, 16, 16, NULL, 0);
  op (p, VCHIP_OP_CREATE_BUFFER);
  nth (p, 0);
  PICK (p, vchip_buffer_types, VAProcPipelineParameterBufferType);
  b8 (p, 0xff);
  b8 (p, 5);                    /* many small elements over 256 MiB */
  b32 (p, 0x12345678);
  b8 (p, 0);
  op (p, VCHIP_OP_QUERY_VPP);
  nth (p, 0);
  b8 (p, 2);
  b8 (p, 0);
  op (p, VCHIP_OP_QUERY_VPP);
  nth (p, 0);
  b8 (p, 1);
  PICK (p, vchip_filter_types, VAProcFilterHighDynamicRangeToneMapping);
  b8 (p, 1);
}

int
main (int argc, char **argv)
{
  static const struct
  {
    const char *name;
    void (*make) (Prog * p);
  } seeds[] = {
    {"vpp-hdr10-tonemap", seed_vpp},
    {"encode-h264-cqp-roi", seed_h264},
    {"encode-hevc10-cbr-strict", seed_hevc},
    {"images-and-limits", seed_images},
  };
  static Prog prog;

  if (argc != 2) {
    fprintf (stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  for (size_t i = 0; i < VCHIP_LEN (seeds); i++) {
    char path[4096];
    FILE *f;
    prog.n = 0;
    seeds[i].make (&prog);
    snprintf (path, sizeof (path), "%s/%s", argv[1], seeds[i].name);
    f = fopen (path, "wb");
    if (!f || fwrite (prog.data, 1, prog.n, f) != prog.n || fclose (f)) {
      fprintf (stderr, "vchip_fuzzer_seeds: %s: %s\n", path, strerror (errno));
      return 1;
    }
  }
  return 0;
}
