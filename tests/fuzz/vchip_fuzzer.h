/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The input format of vchip_fuzzer.c, shared with the seed generator
 * vchip_seeds.c. An input is a little program of calls into the virtual
 * accelerator's vtable:
 *
 *   mode  1 byte: ESTUARY_VCHIP_STRICT for this input (vchip_strict[],
 *         modulo its length)
 *   ops   repeated: 1 opcode byte (VchipOp, modulo VCHIP_N_OPS), then the
 *         op's arguments as listed at VchipOp
 *
 * Reading past the end yields zeros; the program ends with its bytes (or
 * after VCHIP_MAX_OPS ops). Argument encodings:
 *
 *   u8, u16, u32  little-endian
 *   choice(L)     u8 b: 0xff, then a raw u32; else L[b % length of L]
 *   id(KIND)      u8 b: < 0xe0: the (b % n)-th ID of KIND the program got
 *                 back so far (VA_INVALID_ID when none); 0xe0..0xef: then
 *                 u8 i, the i-th ID of kind (b & 15) % VCHIP_N_KINDS (a
 *                 wrong kind on purpose); 0xf0..0xfd: then a raw u32;
 *                 0xfe: VA_INVALID_ID; 0xff: 0
 *   size          u8 b: < 0x80: (b & 15) + 1; 0x80..0xfe: then u8 c,
 *                 c + 1; 0xff: then u8 k, vchip_huge_sizes[k % 8], the
 *                 last of which is a raw u32 made larger than 8192 (sizes
 *                 the driver must refuse without allocating; valid sizes
 *                 stay at most 256, and small ones come often, so that
 *                 rectangles meet picture edges)
 *   coord         u8 b: < 0x80: b & 15; 0x80..0xfe: then u8 c; 0xff: then
 *                 a raw u32 (as int)
 *   bytes(n)      u16 c, then min (c, n) bytes; the rest of n is zero
 *
 * IDs a call returns are remembered per kind in creation order (a ring of
 * VCHIP_MAX_IDS); destroyed ones stay, so stale IDs get used too. Inside
 * parameter buffers, an ID field holding VCHIP_REF (KIND, i) becomes the
 * i-th ID of KIND: the pipeline's surface and the H.264 and HEVC picture
 * parameters' coded_buf.
 *
 * Pointer fields of parameter buffers never carry fuzz bytes: after the
 * contents are in, each pointer field of the first element that lies
 * inside the buffer is replaced (vchip_fuzzer.c, patch_buffer): raw low
 * bit 0 -> NULL, 1 -> memory the harness owns until the end of the input,
 * filled from the program (bytes(size) for plain memory, id() per element
 * for ID arrays), its element count first reduced modulo (capacity + 1).
 * In field order:
 *
 *   VAProcPipelineParameterBuffer   surface_region (bytes(8)),
 *     output_region (bytes(8)), num_filters % 9 then filters (id(BUFFER)
 *     each), num_forward_references % 5 then forward_references,
 *     num_backward_references % 5 then backward_references (id(SURFACE)
 *     each), blend_state (bytes), num_additional_outputs % 5 then
 *     additional_outputs (id(SURFACE)), output_hdr_metadata (bytes of a
 *     VAHdrMetaData, then its metadata as below)
 *   VAHdrMetaData (in both)         metadata_size % (VCHIP_META_CAP + 1),
 *     metadata (bytes(VCHIP_META_CAP))
 *   VAProcFilterParameterBufferHDRToneMapping  data as VAHdrMetaData
 *   VAEncMiscParameterBuffer        ROI: num_roi % (VCHIP_ROI_CAP + 1),
 *     roi (num_roi * sizeof (VAEncROI) plain bytes, no count before
 *     them); DirtyRect: the same for its rectangles; MultiPassFrameSize:
 *     num_passes % (VCHIP_ROI_CAP + 1), delta_qp (num_passes bytes)
 *
 * Only the first element of a buffer is patched: the driver reads no
 * other.
 */

#ifndef EST_VCHIP_FUZZER_H
#define EST_VCHIP_FUZZER_H

#include <stdint.h>

#include <va/va.h>
#include <va/va_enc_h264.h>
#include <va/va_enc_hevc.h>
#include <va/va_vpp.h>

#define VCHIP_MAX_OPS 512
#define VCHIP_MAX_IDS 64        /* remembered a kind */
#define VCHIP_MAX_END 4         /* vaEndPicture calls an input may make */
#define VCHIP_META_CAP 64       /* bytes of HDR metadata behind a pointer */
#define VCHIP_ROI_CAP 16        /* ROI or dirty rectangles behind a pointer */
#define VCHIP_FILTER_CAP 8      /* filter IDs behind a pipeline */
#define VCHIP_SURFACE_CAP 4     /* reference and extra output surfaces */

/* ID kinds, in the driver's order (its IDs carry (kind + 1) << 24). */
typedef enum
{
  VCHIP_CONFIG,
  VCHIP_CONTEXT,
  VCHIP_SURFACE,
  VCHIP_BUFFER,
  VCHIP_IMAGE,
  VCHIP_N_KINDS
} VchipKind;

/* An ID field in a parameter buffer that names the i-th ID of a kind. */
#define VCHIP_REF_MAGIC 0xface0000u
#define VCHIP_REF(kind, i) (VCHIP_REF_MAGIC | (uint32_t) (kind) << 8 | (i))

typedef enum
{
  /* choice(profiles) choice(entrypoints) u8 n (n % 5 attributes; bit 7:
   * a NULL list), then per attribute choice(attrib_types)
   * choice(values) */
  VCHIP_OP_CREATE_CONFIG,
  /* id(CONFIG) */
  VCHIP_OP_DESTROY_CONFIG,
  /* u8 what % 5: 0 profiles; 1 entrypoints: choice(profiles); 2 config
   * attributes: choice(profiles) choice(entrypoints) u8 n (% 8) and n
   * choice(attrib_types); 3 a config's attributes: id(CONFIG); 4 surface
   * attributes: id(CONFIG) u8 capacity (% 24; 0: a NULL list) */
  VCHIP_OP_QUERY_CONFIG,
  /* u8 flags (bit 0: vaCreateSurfaces2, else the old call; bit 1: a NULL
   * ID list) choice(rt_formats) size size u8 n (% 5) u8 a (% 4
   * attributes, vaCreateSurfaces2 only), then per attribute
   * choice(surface_attrib_types) u8 flags choice(value_types)
   * choice(values) (a pointer value: 64 zero bytes of the harness) */
  VCHIP_OP_CREATE_SURFACES,
  /* u8 n (% 5; bit 7: a NULL list), then n id(SURFACE) */
  VCHIP_OP_DESTROY_SURFACES,
  /* id(CONFIG) size size u32 flag u8 n (% 5; bit 7: a NULL list) then n
   * id(SURFACE) */
  VCHIP_OP_CREATE_CONTEXT,
  /* id(CONTEXT) */
  VCHIP_OP_DESTROY_CONTEXT,
  /* id(CONTEXT) choice(buffer_types) u8 s, then by s: 0: the type's
   * natural size (vchip_natural_size), one element; 0xff: u8 k u32 raw,
   * a size the driver must refuse (k % 6, see buffer_size ()); else u16
   * size (% 16384) and (s & 3) + 1 elements. Then u8 flags (bit 0: NULL
   * data) and, unless NULL or refused, bytes(size * elements) and the
   * pointer patches */
  VCHIP_OP_CREATE_BUFFER,
  /* id(BUFFER) u8 flags: bit 0 write (not coded buffers): bytes(size),
   * then the pointer patches; bit 1 read every byte (coded buffers: the
   * segments); bit 2 unmap right after */
  VCHIP_OP_MAP_BUFFER,
  /* id(BUFFER) */
  VCHIP_OP_UNMAP_BUFFER,
  /* id(BUFFER) */
  VCHIP_OP_DESTROY_BUFFER,
  /* id(BUFFER) u8 flags (bit 0: vaBufferSetNumElements to u32 n after) */
  VCHIP_OP_BUFFER_INFO,
  /* id(CONTEXT) id(SURFACE) */
  VCHIP_OP_BEGIN_PICTURE,
  /* id(CONTEXT) u8 n (n & 15 buffers; bit 6: count -1; bit 7: a NULL
   * list), then n & 15 id(BUFFER) */
  VCHIP_OP_RENDER_PICTURE,
  /* id(CONTEXT); skipped after VCHIP_MAX_END */
  VCHIP_OP_END_PICTURE,
  /* u8 what % 5: vaSyncSurface, vaSyncSurface2, vaSyncBuffer,
   * vaQuerySurfaceStatus, vaQuerySurfaceError, then id(SURFACE) or
   * id(BUFFER) */
  VCHIP_OP_SYNC,
  /* choice(fourccs) size size */
  VCHIP_OP_CREATE_IMAGE,
  /* id(SURFACE) */
  VCHIP_OP_DERIVE_IMAGE,
  /* id(IMAGE) */
  VCHIP_OP_DESTROY_IMAGE,
  /* id(SURFACE) coord coord size size id(IMAGE) */
  VCHIP_OP_GET_IMAGE,
  /* id(SURFACE) id(IMAGE) coord coord size size coord coord size size */
  VCHIP_OP_PUT_IMAGE,
  /* u8 what % 3: image formats, subpicture formats, display attributes */
  VCHIP_OP_QUERY_FORMATS,
  /* id(CONTEXT) u8 what % 3: 0 filters: u8 capacity (% 4); 1 filter caps:
   * choice(filter_types) u8 capacity (% 4); 2 pipeline caps: u8 n (% 5;
   * bit 7: a NULL list) then n id(BUFFER) */
  VCHIP_OP_QUERY_VPP,
  /* u32 subpicture ID, u8 what % 9: the calls the chip does not
   * implement (put surface, palette, subpictures, display attributes),
   * then id(SURFACE) or id(IMAGE) where they take one (u8 attribute type
   * for display attributes) */
  VCHIP_OP_UNSUPPORTED,
  VCHIP_N_OPS
} VchipOp;

static const char *const vchip_strict[] = {
  "", "1", "fail-end=2,fail-sync=3", "layout,defer,fail-end=3,fail-sync=2",
};

#define VCHIP_LEN(a) (sizeof (a) / sizeof ((a)[0]))

static const uint32_t vchip_profiles[] = {
  (uint32_t) VAProfileNone, VAProfileH264ConstrainedBaseline,
  VAProfileH264Main, VAProfileH264High, VAProfileHEVCMain,
  VAProfileHEVCMain10, VAProfileVP9Profile0, VAProfileAV1Profile0,
  VAProfileMPEG2Main, VAProfileHEVCMain444, VAProfileJPEGBaseline,
};

static const uint32_t vchip_entrypoints[] = {
  VAEntrypointVideoProc, VAEntrypointEncSlice, VAEntrypointEncSliceLP,
  VAEntrypointVLD, VAEntrypointEncPicture, VAEntrypointFEI, 0,
};

static const uint32_t vchip_attrib_types[] = {
  VAConfigAttribRTFormat, VAConfigAttribRateControl,
  VAConfigAttribEncPackedHeaders, VAConfigAttribEncMaxRefFrames,
  VAConfigAttribEncMaxSlices, VAConfigAttribEncSliceStructure,
  VAConfigAttribEncQualityRange, VAConfigAttribEncROI,
  VAConfigAttribMaxPictureWidth, VAConfigAttribMaxPictureHeight,
  VAConfigAttribEncIntraRefresh, VAConfigAttribDecSliceMode,
};

/* Values of attributes and the like: formats, modes, masks, limits. */
static const uint32_t vchip_values[] = {
  VA_RT_FORMAT_YUV420, VA_RT_FORMAT_YUV420_10, VA_RT_FORMAT_YUV422,
  VA_RT_FORMAT_RGB32, VA_RT_FORMAT_YUV444, VA_RC_CQP, VA_RC_CBR, VA_RC_VBR,
  VA_RC_CQP | VA_RC_CBR, VA_RC_VCM, 0, 1, VA_ATTRIB_NOT_SUPPORTED,
  VA_ENC_PACKED_HEADER_SEQUENCE, VA_FOURCC_NV12, VA_FOURCC_P010,
  VA_FOURCC_BGRA, VA_SURFACE_ATTRIB_MEM_TYPE_VA,
  VA_SURFACE_ATTRIB_MEM_TYPE_USER_PTR, 8192, 8193,
};

static const uint32_t vchip_rt_formats[] = {
  VA_RT_FORMAT_YUV420, VA_RT_FORMAT_YUV420_10, VA_RT_FORMAT_YUV422,
  VA_RT_FORMAT_RGB32, VA_RT_FORMAT_YUV444, VA_RT_FORMAT_YUV400,
  VA_RT_FORMAT_YUV420_12, VA_RT_FORMAT_RGBP, 0,
  VA_RT_FORMAT_YUV420 | VA_RT_FORMAT_YUV422,
};

static const uint32_t vchip_fourccs[] = {
  VA_FOURCC_NV12, VA_FOURCC_P010, VA_FOURCC_I420, VA_FOURCC_YUY2,
  VA_FOURCC_BGRA, VA_FOURCC_RGBA, VA_FOURCC_BGRX, VA_FOURCC_RGBX,
  VA_FOURCC_YV12, VA_FOURCC_UYVY, VA_FOURCC_P016, VA_FOURCC_ARGB,
  VA_FOURCC_Y800, 0,
};

static const uint32_t vchip_buffer_types[] = {
  VAProcPipelineParameterBufferType, VAProcFilterParameterBufferType,
  VAEncSequenceParameterBufferType, VAEncPictureParameterBufferType,
  VAEncSliceParameterBufferType, VAEncMiscParameterBufferType,
  VAEncCodedBufferType, VAImageBufferType, VASliceDataBufferType,
  VAPictureParameterBufferType, VAEncPackedHeaderParameterBufferType,
  VAEncPackedHeaderDataBufferType, VAEncMacroblockMapBufferType,
};

static const uint32_t vchip_surface_attrib_types[] = {
  VASurfaceAttribPixelFormat, VASurfaceAttribMemoryType,
  VASurfaceAttribExternalBufferDescriptor, VASurfaceAttribUsageHint,
  VASurfaceAttribMinWidth, VASurfaceAttribMaxWidth,
  VASurfaceAttribDRMFormatModifiers, VASurfaceAttribNone,
};

static const uint32_t vchip_value_types[] = {
  VAGenericValueTypeInteger, VAGenericValueTypePointer,
  VAGenericValueTypeFloat, VAGenericValueTypeFunc,
};

static const uint32_t vchip_filter_types[] = {
  VAProcFilterHighDynamicRangeToneMapping, VAProcFilterNoiseReduction,
  VAProcFilterSharpening, VAProcFilterColorBalance, VAProcFilterNone,
  VAProcFilterCount,
};

/* Sizes after size's 0xff: 0, over the chip's 8192 limit, or negative as
 * an int; the last is a raw u32 forced above 8192. */
static const uint32_t vchip_huge_sizes[] = {
  0, 8193, 16384, 65535, 0x7fffffff, 0x80000000, 0xffffffff, 0,
};

#define VCHIP_MAX2(a, b) ((a) > (b) ? (a) : (b))

/* The size of a buffer type's parameter structure (the larger of the
 * H.264 and HEVC ones, and for misc buffers the header and its largest
 * payload); a coded buffer gets 128 KiB. */
static inline uint32_t
vchip_natural_size (uint32_t type)
{
  switch (type) {
    case VAProcPipelineParameterBufferType:
      return sizeof (VAProcPipelineParameterBuffer);
    case VAProcFilterParameterBufferType:
      return sizeof (VAProcFilterParameterBufferHDRToneMapping);
    case VAEncSequenceParameterBufferType:
      return VCHIP_MAX2 (sizeof (VAEncSequenceParameterBufferH264),
          sizeof (VAEncSequenceParameterBufferHEVC));
    case VAEncPictureParameterBufferType:
      return VCHIP_MAX2 (sizeof (VAEncPictureParameterBufferH264),
          sizeof (VAEncPictureParameterBufferHEVC));
    case VAEncSliceParameterBufferType:
      return VCHIP_MAX2 (sizeof (VAEncSliceParameterBufferH264),
          sizeof (VAEncSliceParameterBufferHEVC));
    case VAEncMiscParameterBufferType:
      return sizeof (VAEncMiscParameterBuffer) +
          VCHIP_MAX2 (VCHIP_MAX2 (sizeof (VAEncMiscParameterRateControl),
              sizeof (VAEncMiscParameterBufferROI)),
          VCHIP_MAX2 (sizeof (VAEncMiscParameterHRD),
              sizeof (VAEncMiscParameterFrameRate)));
    case VAEncCodedBufferType:
      return 128 << 10;
    default:
      return 64;
  }
}

#endif
