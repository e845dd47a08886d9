/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* libFuzzer target for the virtual accelerator (sys/vchip/), the libva
 * driver estuary_drv_video.so. Its sources are compiled into the fuzzer;
 * each input initialises the driver on a fresh VADriverContext, as libva
 * would (no display, no dlopen), runs the little program the input
 * encodes (vchip_fuzzer.h) through ctx->vtable and ctx->vtable_vpp, and
 * ends with vaTerminate, so that LeakSanitizer sees anything the driver
 * keeps:
 *
 *   setenv ESTUARY_VCHIP_STRICT -> __vaDriverInit_1_N -> op* -> vaTerminate
 *
 * The harness is a well-behaved client in what a client must get right:
 * every pointer it passes is valid for the call and sized for the counts
 * beside it, including the pointers inside parameter buffers, which are
 * patched to memory the harness owns (patch_buffer). Every other value,
 * IDs, sizes, formats, flags and the bytes of parameter buffers, comes
 * from the input. The driver must refuse what is wrong with a status,
 * never crash, leak, hang or read outside what it was given.
 *
 * What the driver hands back is checked the way a client uses it: IDs of
 * successful creations are valid, image layouts lie inside their buffers,
 * counts stay within the capacity passed, coded segments fit their
 * buffer; the bytes of mapped buffers and images are read so that ASan
 * sees short or freed memory. A broken promise aborts. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <va/va_backend.h>
#include <va/va_backend_vpp.h>

#include "vchip_fuzzer.h"

/* The driver's init symbol, named as vchip.c names it. */
#define INIT_NAME_(a, b) __vaDriverInit_##a##_##b
#define INIT_NAME(a, b) INIT_NAME_ (a, b)
#define DRIVER_INIT INIT_NAME (VA_MAJOR_VERSION, VA_MINOR_VERSION)

VAStatus DRIVER_INIT (VADriverContextP ctx);

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

/* VCHIP_FUZZER_TRACE set: every call and its status on stderr, to turn a
 * crashing input into a reproducer. */
static int trace;

#define TRACE(...) do { \
    if (trace) \
      fprintf (stderr, __VA_ARGS__); \
  } while (0)

/* Keeps the reads of returned memory from being optimised away. */
static volatile uint8_t sink;

/* Outcomes per op and status, in the section libFuzzer reads as extra
 * coverage: the engines (common/, x264, x265) are not instrumented. */
#define N_STATUS 48
#define NOTE_RECT (VCHIP_N_OPS * N_STATUS)
static uint8_t notes[NOTE_RECT + 2 * 64]
    __attribute__((section ("__libfuzzer_extra_counters"), used));

static void
note (VchipOp op, VAStatus st)
{
  notes[op * N_STATUS + (st < N_STATUS - 1 ? st : N_STATUS - 1)]++;
}

/* Rectangles vaGetImage and vaPutImage accepted, by the parity of their
 * edges: odd ones cut chroma samples, where copies go wrong. */
static void
note_rect (int put, VAStatus st, int x, int y, unsigned w, unsigned h,
    int dx, int dy)
{
  if (st == VA_STATUS_SUCCESS)
    notes[NOTE_RECT + put * 64 + ((x & 1) | (y & 1) << 1 | (w & 1) << 2 |
            (h & 1) << 3 | (dx & 1) << 4 | (dy & 1) << 5)]++;
}

static void
fail (const char *what, unsigned id)
{
  fprintf (stderr, "vchip_fuzzer: %s (ID 0x%x)\n", what, id);
  abort ();
}

/* --- The program ---------------------------------------------------------- */

typedef struct Run
{
  const uint8_t *data;
  size_t size, pos;
  VADriverContextP ctx;
  struct VADriverVTable *vt;
  struct VADriverVTableVPP *vpp;
  /* IDs returned so far, a ring per kind */
  uint32_t ids[VCHIP_N_KINDS][VCHIP_MAX_IDS];
  unsigned n_ids[VCHIP_N_KINDS];
  unsigned n_end;
  /* memory handed to the driver through pointers: kept to the end */
  void **blocks;
  size_t n_blocks, cap_blocks;
} Run;

static uint8_t
u8 (Run * r)
{
  return r->pos < r->size ? r->data[r->pos++] : 0;
}

static uint16_t
u16 (Run * r)
{
  uint16_t lo = u8 (r);
  return (uint16_t) (lo | (uint16_t) u8 (r) << 8);
}

static uint32_t
u32 (Run * r)
{
  uint32_t lo = u16 (r);
  return lo | (uint32_t) u16 (r) << 16;
}

/* n bytes into dst, zeros where the input ends. */
static void
take (Run * r, void *dst, size_t n)
{
  size_t have = r->size - r->pos < n ? r->size - r->pos : n;

  memcpy (dst, r->data + r->pos, have);
  memset ((uint8_t *) dst + have, 0, n - have);
  r->pos += have;
}

/* bytes(n): a u16 count, then that many of the n bytes. */
static void
take_counted (Run * r, void *dst, size_t n)
{
  size_t c = u16 (r);

  memset (dst, 0, n);
  take (r, dst, c < n ? c : n);
}

static uint32_t
choice (Run * r, const uint32_t * list, size_t n)
{
  uint8_t b = u8 (r);
  return b == 0xff ? u32 (r) : list[b % n];
}

#define CHOICE(r, list) choice ((r), (list), VCHIP_LEN (list))

static uint32_t
nth_id (Run * r, unsigned kind, unsigned i)
{
  unsigned n = r->n_ids[kind] < VCHIP_MAX_IDS ? r->n_ids[kind] : VCHIP_MAX_IDS;
  return n ? r->ids[kind][i % n] : VA_INVALID_ID;
}

static uint32_t
id (Run * r, VchipKind kind)
{
  uint8_t b = u8 (r);

  if (b < 0xe0)
    return nth_id (r, kind, b);
  if (b < 0xf0)
    return nth_id (r, (b & 15) % VCHIP_N_KINDS, u8 (r));
  if (b < 0xfe)
    return u32 (r);
  return b == 0xfe ? VA_INVALID_ID : 0;
}

static uint32_t
traced_id (Run * r, VchipKind kind)
{
  uint32_t v = id (r, kind);

  TRACE ("  ID 0x%x\n", v);
  return v;
}

static void
remember (Run * r, VchipKind kind, uint32_t v)
{
  r->ids[kind][r->n_ids[kind]++ % VCHIP_MAX_IDS] = v;
}

static uint32_t
size (Run * r)
{
  uint8_t b = u8 (r), k;

  if (b < 0x80)
    return (b & 15) + 1u;
  if (b != 0xff)
    return u8 (r) + 1u;
  k = u8 (r) % VCHIP_LEN (vchip_huge_sizes);
  if (k == VCHIP_LEN (vchip_huge_sizes) - 1)
    return 8193 + u32 (r) % (UINT32_MAX - 8193);
  return vchip_huge_sizes[k];
}

static int
coord (Run * r)
{
  uint8_t b = u8 (r);

  if (b < 0x80)
    return b & 15;
  return b != 0xff ? u8 (r) : (int) u32 (r);
}

/* Zeroed memory that lives until the end of the input. */
static void *
block (Run * r, size_t n)
{
  void *p;

  if (r->n_blocks == r->cap_blocks) {
    size_t cap = r->cap_blocks ? 2 * r->cap_blocks : 64;
    void **b = realloc (r->blocks, cap * sizeof (*b));
    if (!b)
      abort ();
    r->blocks = b;
    r->cap_blocks = cap;
  }
  p = calloc (1, n ? n : 1);
  if (!p)
    abort ();
  r->blocks[r->n_blocks++] = p;
  return p;
}

/* --- Pointers inside parameter buffers ------------------------------------ */

/* A field of `n` bytes at `off` lies inside a buffer of `total` bytes. */
#define INSIDE(off, n, total) ((size_t) (off) + (n) <= (total))

/* The pointer field at `off`: NULL when its raw low bit is 0, else a block
 * of `bytes` bytes the harness owns. */
static void *
patch_pointer (Run * r, uint8_t * base, size_t total, size_t off, size_t bytes)
{
  uintptr_t raw;
  void *p = NULL;

  if (!INSIDE (off, sizeof (void *), total))
    return NULL;
  memcpy (&raw, base + off, sizeof (raw));
  if (raw & 1)
    p = block (r, bytes);
  memcpy (base + off, &p, sizeof (p));
  return p;
}

/* A u32 count at `off` reduced to 0..cap; cap when it lies outside. */
static uint32_t
bound_count (uint8_t * base, size_t total, size_t off, uint32_t cap)
{
  uint32_t v;

  if (!INSIDE (off, sizeof (v), total))
    return cap;
  memcpy (&v, base + off, sizeof (v));
  v %= cap + 1;
  memcpy (base + off, &v, sizeof (v));
  return v;
}

static uint8_t
bound_count8 (uint8_t * base, size_t total, size_t off, uint8_t cap)
{
  if (!INSIDE (off, 1, total))
    return cap;
  base[off] %= cap + 1;
  return base[off];
}

/* A count and the ID array it sizes, IDs from id (kind). */
static void
patch_ids (Run * r, uint8_t * base, size_t total, size_t count_off,
    size_t ptr_off, uint32_t cap, VchipKind kind)
{
  uint32_t n = bound_count (base, total, count_off, cap);
  uint32_t *ids = patch_pointer (r, base, total, ptr_off,
      cap * sizeof (uint32_t));

  for (uint32_t i = 0; ids && i < n; i++)
    ids[i] = id (r, kind);
}

/* A count and the array of `elem`-byte records it sizes. */
static void
patch_array (Run * r, uint8_t * base, size_t total, size_t count_off,
    size_t ptr_off, uint32_t cap, size_t elem)
{
  uint32_t n = bound_count (base, total, count_off, cap);
  uint8_t *p = patch_pointer (r, base, total, ptr_off, cap * elem);

  if (p)
    take (r, p, n * elem);
}

/* A plain block of `bytes` behind the pointer at `off`. */
static void *
patch_plain (Run * r, uint8_t * base, size_t total, size_t off, size_t bytes)
{
  void *p = patch_pointer (r, base, total, off, bytes);

  if (p)
    take_counted (r, p, bytes);
  return p;
}

/* A VAHdrMetaData at `off`: its size bounded, its metadata pointer. */
static void
patch_hdr (Run * r, uint8_t * base, size_t total, size_t off)
{
  bound_count (base, total, off + offsetof (VAHdrMetaData, metadata_size),
      VCHIP_META_CAP);
  patch_plain (r, base, total, off + offsetof (VAHdrMetaData, metadata),
      VCHIP_META_CAP);
}

/* An ID field holding VCHIP_REF (kind, i) becomes that ID. */
static void
resolve_ref (Run * r, uint8_t * base, size_t total, size_t off)
{
  uint32_t v;

  if (!INSIDE (off, sizeof (v), total))
    return;
  memcpy (&v, base + off, sizeof (v));
  if ((v & 0xffff0000u) != VCHIP_REF_MAGIC)
    return;
  v = nth_id (r, ((v >> 8) & 0xff) % VCHIP_N_KINDS, v & 0xff);
  memcpy (base + off, &v, sizeof (v));
}

/* The first element of a buffer of `type`, `total` bytes at base. */
static void
patch_buffer (Run * r, uint32_t type, uint8_t * base, size_t total)
{
  switch (type) {
    case VAProcPipelineParameterBufferType:{
#define PP(f) offsetof (VAProcPipelineParameterBuffer, f)
      VAHdrMetaData *md;
      resolve_ref (r, base, total, PP (surface));
      patch_plain (r, base, total, PP (surface_region), sizeof (VARectangle));
      patch_plain (r, base, total, PP (output_region), sizeof (VARectangle));
      patch_ids (r, base, total, PP (num_filters), PP (filters),
          VCHIP_FILTER_CAP, VCHIP_BUFFER);
      patch_ids (r, base, total, PP (num_forward_references),
          PP (forward_references), VCHIP_SURFACE_CAP, VCHIP_SURFACE);
      patch_ids (r, base, total, PP (num_backward_references),
          PP (backward_references), VCHIP_SURFACE_CAP, VCHIP_SURFACE);
      patch_plain (r, base, total, PP (blend_state), sizeof (VABlendState));
      patch_ids (r, base, total, PP (num_additional_outputs),
          PP (additional_outputs), VCHIP_SURFACE_CAP, VCHIP_SURFACE);
      md = patch_plain (r, base, total, PP (output_hdr_metadata),
          sizeof (VAHdrMetaData));
      if (md)
        patch_hdr (r, (uint8_t *) md, sizeof (*md), 0);
#undef PP
      break;
    }
    case VAProcFilterParameterBufferType:
      patch_hdr (r, base, total,
          offsetof (VAProcFilterParameterBufferHDRToneMapping, data));
      break;
    case VAEncPictureParameterBufferType:
      resolve_ref (r, base, total,
          offsetof (VAEncPictureParameterBufferH264, coded_buf));
      resolve_ref (r, base, total,
          offsetof (VAEncPictureParameterBufferHEVC, coded_buf));
      break;
    case VAEncMiscParameterBufferType:{
      size_t at = offsetof (VAEncMiscParameterBuffer, data);
      uint32_t misc;
      if (!INSIDE (0, sizeof (misc), total))
        break;
      memcpy (&misc, base, sizeof (misc));
      if (misc == VAEncMiscParameterTypeROI)
        patch_array (r, base, total,
            at + offsetof (VAEncMiscParameterBufferROI, num_roi),
            at + offsetof (VAEncMiscParameterBufferROI, roi), VCHIP_ROI_CAP,
            sizeof (VAEncROI));
      else if (misc == VAEncMiscParameterTypeDirtyRect)
        patch_array (r, base, total,
            at + offsetof (VAEncMiscParameterBufferDirtyRect,
                num_roi_rectangle),
            at + offsetof (VAEncMiscParameterBufferDirtyRect, roi_rectangle),
            VCHIP_ROI_CAP, sizeof (VARectangle));
      else if (misc == VAEncMiscParameterTypeMultiPassFrameSize) {
#define MP(f) (at + offsetof (VAEncMiscParameterBufferMultiPassFrameSize, f))
        uint8_t n = bound_count8 (base, total, MP (num_passes), VCHIP_ROI_CAP);
        uint8_t *qp = patch_pointer (r, base, total, MP (delta_qp),
            VCHIP_ROI_CAP);
        if (qp)
          take (r, qp, n);
#undef MP
      }
      break;
    }
    default:
      /* no pointers the harness knows of */
      break;
  }
}

/* --- Checks of what comes back -------------------------------------------- */

/* The bytes a buffer is created with, for traces. */
static void
dump (const uint8_t * p, size_t n)
{
  for (size_t i = 0; i < n && i < 512; i++)
    fprintf (stderr, "%s%02x", i % 32 ? " " : (i ? "\n    " : "    "), p[i]);
  fprintf (stderr, "%s\n", n > 512 ? " ..." : "");
}

static void
read_bytes (const void *p, size_t n)
{
  const uint8_t *b = p;
  uint8_t x = 0;

  for (size_t i = 0; i < n; i++)
    x ^= b[i];
  sink ^= x;
}

/* An image the driver handed out: its planes lie inside its buffer. */
static void
check_image (Run * r, const VAImage * im)
{
  VABufferType type;
  unsigned bsize, n;

  if (im->image_id == VA_INVALID_ID || im->buf == VA_INVALID_ID)
    fail ("image without an ID or a buffer", im->image_id);
  if (im->num_planes < 1 || im->num_planes > 3 || im->data_size == 0)
    fail ("image with no planes or no bytes", im->image_id);
  for (unsigned p = 0; p < im->num_planes; p++)
    if (im->offsets[p] >= im->data_size || im->pitches[p] == 0)
      fail ("image plane outside its buffer", im->image_id);
  if (r->vt->vaBufferInfo (r->ctx, im->buf, &type, &bsize, &n) !=
      VA_STATUS_SUCCESS || type != VAImageBufferType ||
      (size_t) bsize * n < im->data_size)
    fail ("image buffer missing or smaller than the image", im->buf);
}

/* A mapped coded buffer: a chain of segments inside the buffer. */
static void
check_coded (Run * r, uint32_t buf, const VACodedBufferSegment * seg,
    size_t capacity)
{
  int n = 0;

  for (; seg; seg = seg->next) {
    if (++n > 16)
      fail ("coded segment chain does not end", buf);
    if (seg->size > capacity || (seg->size && !seg->buf))
      fail ("coded segment larger than its buffer", buf);
    read_bytes (seg->buf, seg->size);
  }
}

/* --- Ops ------------------------------------------------------------------- */

static VAStatus
op_create_config (Run * r)
{
  uint32_t profile = CHOICE (r, vchip_profiles);
  uint32_t ep = CHOICE (r, vchip_entrypoints);
  uint8_t n = u8 (r);
  int count = n % 5;
  VAConfigAttrib attribs[4];
  VAConfigID cfg = VA_INVALID_ID;
  VAStatus st;

  for (int i = 0; i < count; i++) {
    attribs[i].type = CHOICE (r, vchip_attrib_types);
    attribs[i].value = CHOICE (r, vchip_values);
  }
  TRACE ("  vaCreateConfig (profile %d, entrypoint %u, %s, %d)",
      (int) profile, ep, n & 0x80 ? "NULL" : "attribs", count);
  for (int i = 0; i < count; i++)
    TRACE (" {%u, 0x%x}", attribs[i].type, attribs[i].value);
  TRACE ("\n");
  st = r->vt->vaCreateConfig (r->ctx, (VAProfile) profile, ep,
      n & 0x80 ? NULL : attribs, count, &cfg);
  TRACE ("  config 0x%x\n", cfg);
  if (st == VA_STATUS_SUCCESS) {
    if (cfg == VA_INVALID_ID)
      fail ("vaCreateConfig succeeded without an ID", cfg);
    remember (r, VCHIP_CONFIG, cfg);
  }
  return st;
}

static VAStatus
op_query_config (Run * r)
{
  VAStatus st = VA_STATUS_SUCCESS;
  int n;

  switch (u8 (r) % 5) {
    case 0:{
      VAProfile *list = block (r, r->ctx->max_profiles * sizeof (*list));
      st = r->vt->vaQueryConfigProfiles (r->ctx, list, &n);
      if (st == VA_STATUS_SUCCESS && (n < 0 || n > r->ctx->max_profiles))
        fail ("more profiles than max_profiles", (unsigned) n);
      break;
    }
    case 1:{
      VAEntrypoint *list = block (r, r->ctx->max_entrypoints * sizeof (*list));
      uint32_t profile = CHOICE (r, vchip_profiles);
      st = r->vt->vaQueryConfigEntrypoints (r->ctx, (VAProfile) profile,
          list, &n);
      if (st == VA_STATUS_SUCCESS && (n < 0 || n > r->ctx->max_entrypoints))
        fail ("more entrypoints than max_entrypoints", (unsigned) n);
      break;
    }
    case 2:{
      uint32_t profile = CHOICE (r, vchip_profiles);
      uint32_t ep = CHOICE (r, vchip_entrypoints);
      int count = u8 (r) % 8;
      VAConfigAttrib *a = block (r, count * sizeof (*a));
      for (int i = 0; i < count; i++)
        a[i].type = CHOICE (r, vchip_attrib_types);
      st = r->vt->vaGetConfigAttributes (r->ctx, (VAProfile) profile, ep,
          count ? a : NULL, count);
      break;
    }
    case 3:{
      VAConfigAttrib *a = block (r, r->ctx->max_attributes * sizeof (*a));
      VAProfile profile;
      VAEntrypoint ep;
      st = r->vt->vaQueryConfigAttributes (r->ctx, id (r, VCHIP_CONFIG),
          &profile, &ep, a, &n);
      if (st == VA_STATUS_SUCCESS && (n < 0 || n > r->ctx->max_attributes))
        fail ("more attributes than max_attributes", (unsigned) n);
      break;
    }
    default:{
      VAConfigID cfg = id (r, VCHIP_CONFIG);
      unsigned cap = u8 (r) % 24, got = cap;
      VASurfaceAttrib *a = cap ? block (r, cap * sizeof (*a)) : NULL;
      st = r->vt->vaQuerySurfaceAttributes (r->ctx, cfg, a, &got);
      if (st == VA_STATUS_SUCCESS && a && got > cap)
        fail ("more surface attributes than room for", got);
      break;
    }
  }
  return st;
}

static VAStatus
op_create_surfaces (Run * r)
{
  uint8_t flags = u8 (r);
  uint32_t rt = CHOICE (r, vchip_rt_formats);
  uint32_t w = size (r), h = size (r);
  unsigned n = u8 (r) % 5, n_attribs = u8 (r) % 4;
  VASurfaceID ids[4];
  VASurfaceAttrib attribs[3];
  VAStatus st;

  memset (attribs, 0, sizeof (attribs));
  if (!(flags & 1))
    n_attribs = 0;
  for (unsigned i = 0; i < n_attribs; i++) {
    VASurfaceAttrib *a = &attribs[i];
    a->type = CHOICE (r, vchip_surface_attrib_types);
    a->flags = u8 (r);
    a->value.type = CHOICE (r, vchip_value_types);
    a->value.value.i = (int32_t) CHOICE (r, vchip_values);
    if (a->value.type == VAGenericValueTypePointer)
      a->value.value.p = block (r, 64);
  }
  for (unsigned i = 0; i < 4; i++)
    ids[i] = VA_INVALID_SURFACE;
  TRACE ("  vaCreateSurfaces%s (rt 0x%x, %ux%u, %u surfaces%s, %u attribs)",
      flags & 1 ? "2" : "", rt, w, h, n, flags & 2 ? " into NULL" : "",
      n_attribs);
  for (unsigned i = 0; i < n_attribs; i++)
    TRACE (" {type %d flags 0x%x value type %d 0x%x}", attribs[i].type,
        attribs[i].flags, attribs[i].value.type, attribs[i].value.value.i);
  TRACE ("\n");
  if (flags & 1)
    st = r->vt->vaCreateSurfaces2 (r->ctx, rt, w, h, flags & 2 ? NULL : ids,
        n, n_attribs ? attribs : NULL, n_attribs);
  else
    st = r->vt->vaCreateSurfaces (r->ctx, (int) w, (int) h, (int) rt,
        (int) n, flags & 2 ? NULL : ids);
  if (st == VA_STATUS_SUCCESS) {
    for (unsigned i = 0; i < n; i++) {
      TRACE ("  surface 0x%x\n", ids[i]);
      if (ids[i] == VA_INVALID_SURFACE)
        fail ("vaCreateSurfaces succeeded without an ID", i);
      remember (r, VCHIP_SURFACE, ids[i]);
    }
  }
  return st;
}

static VAStatus
op_destroy_surfaces (Run * r)
{
  uint8_t b = u8 (r);
  VASurfaceID ids[4];
  int n = b % 5;

  for (int i = 0; i < n; i++) {
    ids[i] = id (r, VCHIP_SURFACE);
    TRACE ("  surface 0x%x\n", ids[i]);
  }
  return r->vt->vaDestroySurfaces (r->ctx, b & 0x80 ? NULL : ids, n);
}

static VAStatus
op_create_context (Run * r)
{
  VAConfigID cfg = id (r, VCHIP_CONFIG);
  int w = (int) size (r), h = (int) size (r);
  int flag = (int) u32 (r);
  uint8_t b = u8 (r);
  int n = b % 5;
  VASurfaceID targets[4];
  VAContextID c = VA_INVALID_ID;
  VAStatus st;

  for (int i = 0; i < n; i++)
    targets[i] = id (r, VCHIP_SURFACE);
  TRACE ("  vaCreateContext (config 0x%x, %dx%d, flag 0x%x, %d targets%s)\n",
      cfg, w, h, flag, n, b & 0x80 ? " in NULL" : "");
  for (int i = 0; i < n; i++)
    TRACE ("  target 0x%x\n", targets[i]);
  st = r->vt->vaCreateContext (r->ctx, cfg, w, h, flag,
      b & 0x80 ? NULL : targets, n, &c);
  if (st == VA_STATUS_SUCCESS) {
    if (c == VA_INVALID_ID)
      fail ("vaCreateContext succeeded without an ID", c);
    TRACE ("  context 0x%x\n", c);
    remember (r, VCHIP_CONTEXT, c);
  }
  return st;
}

/* Size and element count of a new buffer; *refused when the driver must
 * refuse them (no data is passed then). */
static void
buffer_size (Run * r, uint32_t type, uint32_t * sz, uint32_t * n, int *refused)
{
  uint8_t s = u8 (r);

  *refused = 0;
  *n = 1;
  if (s == 0) {
    *sz = vchip_natural_size (type);
  } else if (s != 0xff) {
    *sz = u16 (r) % 16384;
    *n = (s & 3) + 1u;
    *refused = *sz == 0;
  } else {
    uint8_t k = u8 (r) % 6;
    uint32_t raw = u32 (r);
    static const uint32_t sizes[6] = { 0, 1, 0xffffffff, 0xffffffff, 0, 0 };
    static const uint32_t counts[6] = { 1, 0, 1, 0xffffffff, 1, 0 };
    *sz = sizes[k];
    *n = counts[k];
    if (k == 4)                 /* one element over 256 MiB */
      *sz = raw | 0x10000001u;
    else if (k == 5) {          /* many small elements over 256 MiB */
      *sz = 16 + (raw & 0xff);
      *n = (raw >> 8) | 0x01000000u;
    }
    *refused = 1;
  }
}

static VAStatus
op_create_buffer (Run * r)
{
  VAContextID c = id (r, VCHIP_CONTEXT);
  uint32_t type = CHOICE (r, vchip_buffer_types);
  uint32_t sz, n;
  int refused;
  uint8_t *data = NULL;
  VABufferID b = VA_INVALID_ID;
  VAStatus st;

  buffer_size (r, type, &sz, &n, &refused);
  if (!(u8 (r) & 1) && !refused) {
    size_t total = (size_t) sz * n;
    data = malloc (total);
    if (!data)
      abort ();
    take_counted (r, data, total);
    patch_buffer (r, type, data, total);
  }
  TRACE ("  vaCreateBuffer (context 0x%x, type %u, size %u, %u elements, %s)\n",
      c, type, sz, n, data ? "data" : "NULL");
  if (trace && data)
    dump (data, (size_t) sz * n);
  st = r->vt->vaCreateBuffer (r->ctx, c, type, sz, n, data, &b);
  free (data);
  if (st == VA_STATUS_SUCCESS) {
    if (b == VA_INVALID_ID)
      fail ("vaCreateBuffer succeeded without an ID", b);
    TRACE ("  buffer 0x%x\n", b);
    remember (r, VCHIP_BUFFER, b);
  }
  return st;
}

static VAStatus
op_map_buffer (Run * r)
{
  VABufferID b = id (r, VCHIP_BUFFER);
  uint8_t flags = u8 (r);
  VABufferType type;
  unsigned sz, n;
  void *p = NULL;
  VAStatus st;

  TRACE ("  vaMapBuffer (0x%x) flags 0x%x\n", b, flags);
  st = r->vt->vaMapBuffer (r->ctx, b, &p);
  if (st != VA_STATUS_SUCCESS)
    return st;
  if (!p)
    fail ("vaMapBuffer succeeded with a NULL pointer", b);
  if (r->vt->vaBufferInfo (r->ctx, b, &type, &sz, &n) != VA_STATUS_SUCCESS)
    fail ("a mapped buffer has no info", b);
  if (type == VAEncCodedBufferType) {
    if (flags & 2)
      check_coded (r, b, p, (size_t) sz * n);
  } else {
    if (flags & 1) {
      take_counted (r, p, (size_t) sz * n);
      patch_buffer (r, type, p, (size_t) sz * n);
    }
    if (flags & 2)
      read_bytes (p, (size_t) sz * n);
  }
  if (flags & 4)
    st = r->vt->vaUnmapBuffer (r->ctx, b);
  return st;
}

static VAStatus
op_buffer_info (Run * r)
{
  VABufferID b = id (r, VCHIP_BUFFER);
  uint8_t flags = u8 (r);
  VABufferType type;
  unsigned sz, n;
  VAStatus st = r->vt->vaBufferInfo (r->ctx, b, &type, &sz, &n);

  if (flags & 1)
    st = r->vt->vaBufferSetNumElements (r->ctx, b, u32 (r));
  return st;
}

static VAStatus
op_render_picture (Run * r)
{
  VAContextID c = id (r, VCHIP_CONTEXT);
  uint8_t b = u8 (r);
  VABufferID list[15];
  int n = b & 15;

  TRACE ("  vaRenderPicture (context 0x%x, %s, %d):", c,
      b & 0x80 ? "NULL" : "list", b & 0x40 ? -1 : n);
  for (int i = 0; i < n; i++) {
    list[i] = id (r, VCHIP_BUFFER);
    TRACE (" 0x%x", list[i]);
  }
  TRACE ("\n");
  return r->vt->vaRenderPicture (r->ctx, c, b & 0x80 ? NULL : list,
      b & 0x40 ? -1 : n);
}

static VAStatus
op_end_picture (Run * r)
{
  VAContextID c = id (r, VCHIP_CONTEXT);

  /* each picture may encode or process up to 256 x 256 pixels */
  if (r->n_end >= VCHIP_MAX_END)
    return VA_STATUS_SUCCESS;
  r->n_end++;
  TRACE ("  vaEndPicture (0x%x)\n", c);
  return r->vt->vaEndPicture (r->ctx, c);
}

static VAStatus
op_sync (Run * r)
{
  uint8_t what = u8 (r) % 5;
  VASurfaceStatus ss;
  void *info = NULL;

  TRACE ("  call %u (vaSyncSurface, vaSyncSurface2, vaSyncBuffer, "
      "vaQuerySurfaceStatus, vaQuerySurfaceError)\n", what);
  switch (what) {
    case 0:
      return r->vt->vaSyncSurface (r->ctx, traced_id (r, VCHIP_SURFACE));
    case 1:
      return r->vt->vaSyncSurface2 (r->ctx, traced_id (r, VCHIP_SURFACE),
          UINT64_MAX);
    case 2:
      return r->vt->vaSyncBuffer (r->ctx, traced_id (r, VCHIP_BUFFER),
          UINT64_MAX);
    case 3:{
      VAStatus st = r->vt->vaQuerySurfaceStatus (r->ctx,
          traced_id (r, VCHIP_SURFACE), &ss);
      if (st == VA_STATUS_SUCCESS)
        TRACE ("  status %d\n", ss);
      return st;
    }

    default:
      return r->vt->vaQuerySurfaceError (r->ctx, traced_id (r, VCHIP_SURFACE),
          VA_STATUS_ERROR_DECODING_ERROR, &info);
  }
}

static VAStatus
new_image (Run * r, VAStatus st, const VAImage * im)
{
  if (st == VA_STATUS_SUCCESS) {
    TRACE ("  image 0x%x buffer 0x%x %ux%u, %u bytes\n", im->image_id,
        im->buf, im->width, im->height, im->data_size);
    check_image (r, im);
    remember (r, VCHIP_IMAGE, im->image_id);
    remember (r, VCHIP_BUFFER, im->buf);
  }
  return st;
}

static VAStatus
op_create_image (Run * r)
{
  VAImageFormat *fmt = block (r, sizeof (*fmt));
  VAImage im;
  int w, h;

  fmt->fourcc = CHOICE (r, vchip_fourccs);
  w = (int) size (r);
  h = (int) size (r);
  memset (&im, 0, sizeof (im));
  TRACE ("  vaCreateImage (fourcc 0x%x, %dx%d)\n", fmt->fourcc, w, h);
  return new_image (r, r->vt->vaCreateImage (r->ctx, fmt, w, h, &im), &im);
}

static VAStatus
op_derive_image (Run * r)
{
  VAImage im;

  memset (&im, 0, sizeof (im));
  return new_image (r, r->vt->vaDeriveImage (r->ctx, traced_id (r,
              VCHIP_SURFACE), &im), &im);
}

static VAStatus
op_get_image (Run * r)
{
  VASurfaceID s = id (r, VCHIP_SURFACE);
  int x = coord (r), y = coord (r);
  unsigned w = size (r), h = size (r);
  VAImageID im = id (r, VCHIP_IMAGE);
  VAStatus st;

  TRACE ("  vaGetImage (surface 0x%x, %d, %d, %ux%u, image 0x%x)\n", s, x, y,
      w, h, im);
  st = r->vt->vaGetImage (r->ctx, s, x, y, w, h, im);
  note_rect (0, st, x, y, w, h, 0, 0);
  return st;
}

static VAStatus
op_put_image (Run * r)
{
  VASurfaceID s = id (r, VCHIP_SURFACE);
  VAImageID im = id (r, VCHIP_IMAGE);
  int sx = coord (r), sy = coord (r);
  unsigned sw = size (r), sh = size (r);
  int dx = coord (r), dy = coord (r);
  unsigned dw = size (r), dh = size (r);
  VAStatus st;

  TRACE ("  vaPutImage (surface 0x%x, image 0x%x, %d, %d, %ux%u, %d, %d, "
      "%ux%u)\n", s, im, sx, sy, sw, sh, dx, dy, dw, dh);
  st = r->vt->vaPutImage (r->ctx, s, im, sx, sy, sw, sh, dx, dy, dw, dh);
  note_rect (1, st, sx, sy, sw, sh, dx, dy);
  return st;
}

static VAStatus
op_query_formats (Run * r)
{
  VADriverContextP ctx = r->ctx;
  VAStatus st;
  int n = -1;

  switch (u8 (r) % 3) {
    case 0:{
      VAImageFormat *f = block (r, ctx->max_image_formats * sizeof (*f));
      st = r->vt->vaQueryImageFormats (ctx, f, &n);
      if (st == VA_STATUS_SUCCESS && (n < 0 || n > ctx->max_image_formats))
        fail ("more image formats than max_image_formats", (unsigned) n);
      return st;
    }
    case 1:{
      VAImageFormat *f = block (r, ctx->max_subpic_formats * sizeof (*f));
      unsigned *flags = block (r, ctx->max_subpic_formats * sizeof (*flags));
      unsigned un = 0;
      st = r->vt->vaQuerySubpictureFormats (ctx, f, flags, &un);
      if (st == VA_STATUS_SUCCESS && un > (unsigned) ctx->max_subpic_formats)
        fail ("more subpicture formats than max_subpic_formats", un);
      return st;
    }
    default:{
      VADisplayAttribute *a = block (r, (ctx->max_display_attributes + 1) *
          sizeof (*a));
      st = r->vt->vaQueryDisplayAttributes (ctx, a, &n);
      if (st == VA_STATUS_SUCCESS && (n < 0 || n > ctx->max_display_attributes))
        fail ("more display attributes than max_display_attributes",
            (unsigned) n);
      return st;
    }
  }
}

static VAStatus
op_query_vpp (Run * r)
{
  VAContextID c = id (r, VCHIP_CONTEXT);
  VAStatus st;

  switch (u8 (r) % 3) {
    case 0:{
      unsigned cap = u8 (r) % 4, n = cap;
      VAProcFilterType *f = block (r, cap * sizeof (*f));
      st = r->vpp->vaQueryVideoProcFilters (r->ctx, c, f, &n);
      if (st == VA_STATUS_SUCCESS && n > cap)
        fail ("more filters than room for", n);
      return st;
    }
    case 1:{
      uint32_t type = CHOICE (r, vchip_filter_types);
      unsigned cap = u8 (r) % 4, n = cap;
      /* room for cap of the largest filter caps structure */
      void *caps = block (r, cap * 1024);
      st = r->vpp->vaQueryVideoProcFilterCaps (r->ctx, c, type, caps, &n);
      if (st == VA_STATUS_SUCCESS && n > cap)
        fail ("more filter caps than room for", n);
      return st;
    }
    default:{
      uint8_t b = u8 (r);
      unsigned n = b % 5;
      VABufferID filters[4];
      VAProcPipelineCaps *caps = block (r, sizeof (*caps));
      for (unsigned i = 0; i < n; i++)
        filters[i] = id (r, VCHIP_BUFFER);
      /* clients may pass it uninitialised */
      memset (caps, 0xa5, sizeof (*caps));
      st = r->vpp->vaQueryVideoProcPipelineCaps (r->ctx, c,
          b & 0x80 ? NULL : filters, n, caps);
      if (st == VA_STATUS_SUCCESS) {
        read_bytes (caps->input_color_standards,
            caps->num_input_color_standards *
            sizeof (*caps->input_color_standards));
        read_bytes (caps->output_color_standards,
            caps->num_output_color_standards *
            sizeof (*caps->output_color_standards));
        read_bytes (caps->input_pixel_format,
            caps->num_input_pixel_formats * sizeof (*caps->input_pixel_format));
        read_bytes (caps->output_pixel_format,
            caps->num_output_pixel_formats *
            sizeof (*caps->output_pixel_format));
      }
      return st;
    }
  }
}

static VAStatus
op_unsupported (Run * r)
{
  VADriverContextP ctx = r->ctx;
  struct VADriverVTable *vt = r->vt;
  VASurfaceID s[1];
  VASubpictureID sub = u32 (r);
  VADisplayAttribute *attr = block (r, sizeof (*attr));
  VARectangle *clip = block (r, sizeof (*clip));

  switch (u8 (r) % 9) {
    case 0:
      return vt->vaPutSurface (ctx, id (r, VCHIP_SURFACE), NULL, 0, 0, 16,
          16, 0, 0, 16, 16, clip, 1, 0);
    case 1:
      return vt->vaSetImagePalette (ctx, id (r, VCHIP_IMAGE),
          block (r, 16 * 3));
    case 2:
      return vt->vaCreateSubpicture (ctx, id (r, VCHIP_IMAGE), &sub);
    case 3:
      return vt->vaDestroySubpicture (ctx, sub);
    case 4:
      return vt->vaSetSubpictureImage (ctx, sub, id (r, VCHIP_IMAGE));
    case 5:
      vt->vaSetSubpictureChromakey (ctx, sub, 0, 255, 255);
      return vt->vaSetSubpictureGlobalAlpha (ctx, sub, 0.5f);
    case 6:
      s[0] = id (r, VCHIP_SURFACE);
      return vt->vaAssociateSubpicture (ctx, sub, s, 1, 0, 0, 16, 16, 0, 0,
          16, 16, 0);
    case 7:
      s[0] = id (r, VCHIP_SURFACE);
      return vt->vaDeassociateSubpicture (ctx, sub, s, 1);
    default:
      attr->type = (VADisplayAttribType) u8 (r);
      vt->vaGetDisplayAttributes (ctx, attr, 1);
      return vt->vaSetDisplayAttributes (ctx, attr, 1);
  }
}

static VAStatus
run_op (Run * r, VchipOp op)
{
  switch (op) {
    case VCHIP_OP_CREATE_CONFIG:
      return op_create_config (r);
    case VCHIP_OP_DESTROY_CONFIG:
      return r->vt->vaDestroyConfig (r->ctx, traced_id (r, VCHIP_CONFIG));
    case VCHIP_OP_QUERY_CONFIG:
      return op_query_config (r);
    case VCHIP_OP_CREATE_SURFACES:
      return op_create_surfaces (r);
    case VCHIP_OP_DESTROY_SURFACES:
      return op_destroy_surfaces (r);
    case VCHIP_OP_CREATE_CONTEXT:
      return op_create_context (r);
    case VCHIP_OP_DESTROY_CONTEXT:
      return r->vt->vaDestroyContext (r->ctx, traced_id (r, VCHIP_CONTEXT));
    case VCHIP_OP_CREATE_BUFFER:
      return op_create_buffer (r);
    case VCHIP_OP_MAP_BUFFER:
      return op_map_buffer (r);
    case VCHIP_OP_UNMAP_BUFFER:
      return r->vt->vaUnmapBuffer (r->ctx, traced_id (r, VCHIP_BUFFER));
    case VCHIP_OP_DESTROY_BUFFER:
      return r->vt->vaDestroyBuffer (r->ctx, traced_id (r, VCHIP_BUFFER));
    case VCHIP_OP_BUFFER_INFO:
      return op_buffer_info (r);
    case VCHIP_OP_BEGIN_PICTURE:{
      VAContextID c = id (r, VCHIP_CONTEXT);
      VASurfaceID s = id (r, VCHIP_SURFACE);
      TRACE ("  vaBeginPicture (context 0x%x, surface 0x%x)\n", c, s);
      return r->vt->vaBeginPicture (r->ctx, c, s);
    }
    case VCHIP_OP_RENDER_PICTURE:
      return op_render_picture (r);
    case VCHIP_OP_END_PICTURE:
      return op_end_picture (r);
    case VCHIP_OP_SYNC:
      return op_sync (r);
    case VCHIP_OP_CREATE_IMAGE:
      return op_create_image (r);
    case VCHIP_OP_DERIVE_IMAGE:
      return op_derive_image (r);
    case VCHIP_OP_DESTROY_IMAGE:
      return r->vt->vaDestroyImage (r->ctx, traced_id (r, VCHIP_IMAGE));
    case VCHIP_OP_GET_IMAGE:
      return op_get_image (r);
    case VCHIP_OP_PUT_IMAGE:
      return op_put_image (r);
    case VCHIP_OP_QUERY_FORMATS:
      return op_query_formats (r);
    case VCHIP_OP_QUERY_VPP:
      return op_query_vpp (r);
    default:
      return op_unsupported (r);
  }
}

static const char *const op_names[VCHIP_N_OPS] = {
  "CreateConfig", "DestroyConfig", "QueryConfig", "CreateSurfaces",
  "DestroySurfaces", "CreateContext", "DestroyContext", "CreateBuffer",
  "MapBuffer", "UnmapBuffer", "DestroyBuffer", "BufferInfo",
  "BeginPicture", "RenderPicture", "EndPicture", "Sync", "CreateImage",
  "DeriveImage", "DestroyImage", "GetImage", "PutImage", "QueryFormats",
  "QueryVpp", "Unsupported",
};

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  trace = getenv ("VCHIP_FUZZER_TRACE") != NULL;
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size_)
{
  Run r;
  VAStatus st;

  memset (&r, 0, sizeof (r));
  r.data = data;
  r.size = size_;
  /* read at init, as libva loads the driver */
  setenv ("ESTUARY_VCHIP_STRICT",
      vchip_strict[u8 (&r) % VCHIP_LEN (vchip_strict)], 1);
  TRACE ("ESTUARY_VCHIP_STRICT=\"%s\"\n", getenv ("ESTUARY_VCHIP_STRICT"));

  r.ctx = calloc (1, sizeof (*r.ctx));
  r.vt = r.ctx->vtable = calloc (1, sizeof (*r.vt));
  r.vpp = r.ctx->vtable_vpp = calloc (1, sizeof (*r.vpp));
  if (!r.ctx->vtable || !r.ctx->vtable_vpp)
    abort ();
  st = DRIVER_INIT (r.ctx);
  if (st != VA_STATUS_SUCCESS)
    fail ("the driver does not initialise", st);

  for (int i = 0; i < VCHIP_MAX_OPS && r.pos < r.size; i++) {
    VchipOp op = (VchipOp) (u8 (&r) % VCHIP_N_OPS);
    size_t at = r.pos - 1;
    TRACE ("@%zu %s\n", at, op_names[op]);
    st = run_op (&r, op);
    TRACE ("  -> 0x%x %s\n", st, st ? "" : "ok");
    note (op, st);
  }

  st = r.vt->vaTerminate (r.ctx);
  if (st != VA_STATUS_SUCCESS || r.ctx->pDriverData)
    fail ("vaTerminate failed or left its data", st);
  for (size_t i = 0; i < r.n_blocks; i++)
    free (r.blocks[i]);
  free (r.blocks);
  free (r.ctx->vtable);
  free (r.ctx->vtable_vpp);
  free (r.ctx);
  return 0;
}
