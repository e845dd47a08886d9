/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

/* The lookahead kernels (common/lookaheaddsp.h), in two parts.
 *
 * Known answers pin the C references themselves: values worked out by hand
 * from the definitions in the header (SATD of an impulse, SAD of constant
 * blocks, the downscales' rounding and clamp).
 *
 * Then, in the manner of dav1d's checkasm, every ISA level the CPU has is
 * initialised on its own, and each kernel that the level replaces is
 * compared bit for bit with its C reference: random and extreme samples
 * (0, max, max - 1, and 0/max patterns that drive the Hadamard sums to
 * their largest single coefficient and their largest total), positive,
 * odd, and negative strides, misaligned pointers, downscale widths 1..200
 * and every depth 9..16.
 *
 * Each plane is allocated to exactly the bytes a kernel may touch, so that
 * AddressSanitizer reports an access past the last row in memory; reads of
 * the padding between rows (or before the first row) are caught by
 * refilling it and checking that the result stays the same, and writes
 * there by comparing whole destination buffers, padding included.
 *
 * Usage: test-common-lookaheaddsp [SEED]. Exit 0 pass, 1 fail. With no SIMD
 * level available (or EST_CPU_MASK=0) only the known answers run. */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "lookaheaddsp.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* Failing cases printed per check; the rest are only counted. */
#define MAX_REPORTS 8

/* Random 8x8 blocks per stride and alignment combination. */
#define RANDOM_BLOCKS 256

static const uint64_t default_seed = UINT64_C (0x2026e57ba4c0ffee);

static uint64_t seed;
static uint64_t rng_state;
static int failures;

static uint64_t
rnd (void)
{
  /* splitmix64: any seed, including 0, gives a full-period stream */
  uint64_t z = (rng_state += UINT64_C (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static void *
xmalloc_aligned (size_t size)
{
  void *p = NULL;

  /* 64-byte aligned, so that the offsets below set the alignment. */
  if (posix_memalign (&p, 64, size ? size : 1)) {
    fprintf (stderr, "out of memory\n");
    exit (1);
  }
  return p;
}

/* ---------------------------------------------------------------------- */
/* Known answers of the C references */

static int known_checks;

#define KNOWN(got, want, ...) do { \
    uint64_t got_ = (got), want_ = (want); \
    known_checks++; \
    if (got_ != want_) { \
      failures++; \
      printf ("FAIL known answer: "); \
      printf (__VA_ARGS__); \
      printf (": got %" PRIu64 ", want %" PRIu64 "\n", got_, want_); \
    } \
  } while (0)

static void
fill_block (uint8_t blk[8][8], int v)
{
  memset (blk, v, 64);
}

static uint64_t
var_result (uint32_t sum, uint32_t sq)
{
  return sum | ((uint64_t) sq << 32);
}

static void
check_known_blocks (const EstLookaheadDSP * c)
{
  uint8_t a[8][8], b[8][8];

  /* SAD of constant blocks: 64 |a - b|. */
  fill_block (a, 100);
  fill_block (b, 37);
  KNOWN (c->sad8x8 (a[0], 8, b[0], 8), 64 * 63, "sad8x8 100 vs 37");
  fill_block (a, 0);
  fill_block (b, 255);
  KNOWN (c->sad8x8 (a[0], 8, b[0], 8), 64 * 255, "sad8x8 0 vs 255");
  /* One differing sample, read through a negative stride. */
  fill_block (a, 9);
  fill_block (b, 9);
  b[7][3] = 200;
  KNOWN (c->sad8x8 (a[7], -8, b[7], -8), 191, "sad8x8 one sample");

  /* Every Hadamard basis function is +-1 at every position, so a single
   * impulse v gives 64 coefficients of magnitude |v|: (64 |v| + 2) >> 2. */
  fill_block (a, 50);
  fill_block (b, 50);
  KNOWN (c->satd8x8 (a[0], 8, b[0], 8), 0, "satd8x8 identical");
  b[2][6] = 57;
  KNOWN (c->satd8x8 (a[0], 8, b[0], 8), 16 * 7, "satd8x8 impulse -7");
  b[2][6] = 50;
  a[0][0] = 51;
  KNOWN (c->satd8x8 (a[0], 8, b[0], 8), 16, "satd8x8 impulse 1");
  /* A constant difference is the DC coefficient alone: 64 * 3. */
  fill_block (a, 203);
  fill_block (b, 200);
  KNOWN (c->satd8x8 (a[0], 8, b[0], 8), (64 * 3 + 2) >> 2,
      "satd8x8 constant 3");
  /* Difference -1 everywhere but 0 at (3, 5): a constant -1 (DC -64) plus
   * an impulse +1 (+-1 everywhere, +1 on DC), so DC = -63 and the other 63
   * coefficients have magnitude 1. The sum, 126, ends in .5 after / 4:
   * the rounding goes up, to 32. */
  fill_block (a, 10);
  fill_block (b, 11);
  b[3][5] = 10;
  KNOWN (c->satd8x8 (a[0], 8, b[0], 8), 32, "satd8x8 rounding of 126");
  /* Difference +-255 by the parity of popcount (x & y), a bent function:
   * every coefficient has the same magnitude 8 * 255, the largest total
   * any block can reach, 64 * 2040 = 130560, so 32640. */
  for (int y = 0; y < 8; y++)
    for (int x = 0; x < 8; x++) {
      a[y][x] = __builtin_parity ((unsigned) (x & y)) ? 0 : 255;
      b[y][x] = (uint8_t) (255 - a[y][x]);
    }
  KNOWN (c->satd8x8 (a[0], 8, b[0], 8), 32640, "satd8x8 bent +-255");

  fill_block (a, 200);
  KNOWN (c->var8x8 (a[0], 8), var_result (64 * 200, 64 * 200 * 200),
      "var8x8 constant 200");
  fill_block (a, 255);
  KNOWN (c->var8x8 (a[0], 8), var_result (64 * 255, 64 * 255 * 255),
      "var8x8 constant 255");
  /* 0..63 in raster order: sum 63 * 64 / 2, squares 63 * 64 * 127 / 6. */
  for (int i = 0; i < 64; i++)
    a[i / 8][i % 8] = (uint8_t) i;
  KNOWN (c->var8x8 (a[0], 8), var_result (2016, 85344), "var8x8 ramp");
}

typedef struct
{
  int depth;                    /* 8: downscale2_8 */
  uint16_t s[4];                /* r0[0], r0[1], r1[0], r1[1] */
  int want;
  const char *why;
} KnownDownscale;

static const KnownDownscale known_downscales[] = {
  {8, {0, 0, 0, 1}, 0, "1/4 rounds down"},
  {8, {0, 0, 1, 1}, 1, "2/4 rounds up"},
  {8, {1, 1, 1, 0}, 1, "3/4 rounds up"},
  {8, {1, 2, 3, 4}, 3, "10/4 rounds up"},
  {8, {255, 255, 255, 255}, 255, "8-bit peak"},
  /* depth 10: (sum + 8) >> 4 */
  {10, {2, 2, 2, 2}, 1, "8/16 rounds up"},
  {10, {2, 2, 2, 1}, 0, "7/16 rounds down"},
  {10, {1020, 1020, 1020, 1020}, 255, "10-bit 1020 is 8-bit 255"},
  {10, {1023, 1023, 1023, 1023}, 255, "10-bit peak: 256 clamped"},
  /* depth 9: (sum + 4) >> 3 */
  {9, {2, 2, 1, 1}, 1, "6/8 rounds up"},
  {9, {1, 1, 1, 0}, 0, "3/8 rounds down"},
  {9, {511, 511, 511, 511}, 255, "9-bit peak: 256 clamped"},
  /* depth 16: (sum + 512) >> 10 */
  {16, {32768, 32768, 32768, 32768}, 128, "16-bit half scale"},
  {16, {65280, 65280, 65280, 65280}, 255, "16-bit 65280 is 8-bit 255"},
  {16, {65535, 65535, 65535, 65535}, 255, "16-bit peak: 256 clamped"},
};

static void
check_known_downscales (const EstLookaheadDSP * c)
{
  for (size_t i = 0; i < N_ELEMENTS (known_downscales); i++) {
    const KnownDownscale *k = &known_downscales[i];
    uint8_t dst = 0xa5;

    if (k->depth == 8) {
      const uint8_t src[4] = { (uint8_t) k->s[0], (uint8_t) k->s[1],
        (uint8_t) k->s[2], (uint8_t) k->s[3]
      };
      c->downscale2_8 (&dst, 1, src, 2, 1, 1);
    } else {
      c->downscale2_16 (&dst, 1, k->s, 4, 1, 1, k->depth);
    }
    KNOWN (dst, (uint64_t) k->want, "downscale depth %d {%u %u %u %u}, %s",
        k->depth, k->s[0], k->s[1], k->s[2], k->s[3], k->why);
  }

  /* A wider picture, with a stride between source rows: output x sums
   * 50x, 50x + 25, 50x + 1 and 50x + 26, so (200x + 52 + 2) >> 2. */
  uint8_t src[2][20], dst[2][6];
  memset (src, 0, sizeof (src));
  memset (dst, 0xa5, sizeof (dst));
  for (int x = 0; x < 10; x++) {
    src[0][x] = (uint8_t) (x * 25);
    src[1][x] = (uint8_t) (x * 25 + 1);
  }
  c->downscale2_8 (dst[0], 6, src[0], 20, 5, 1);
  for (int x = 0; x < 5; x++)
    KNOWN (dst[0][x], (uint64_t) (50 * x + 13),
        "downscale2_8 ramp, column %d", x);
  KNOWN (dst[0][5], 0xa5, "downscale2_8 writes no further than w");
  KNOWN (dst[1][0], 0xa5, "downscale2_8 writes no further than h");
}

/* ---------------------------------------------------------------------- */
/* Planes with controlled strides, alignment and padding */

/* h rows of w samples of bps bytes each. buf holds exactly the bytes from
 * the misalignment offset through the first row in memory to the end of
 * the last: nothing to spare. */
typedef struct
{
  uint8_t *buf;
  size_t size;
  size_t offset;
  uint8_t *row0;
  ptrdiff_t stride;
  size_t row_bytes;
  int w, h, bps;
} Plane;

/* A layout of a plane: padding between rows in samples, direction, and
 * offset in bytes from a 64-byte boundary (even for 16-bit samples, whose
 * pointers must stay aligned for the C reference). */
typedef struct
{
  const char *name;
  int pad;
  int negative;
  int offset;
} Layout;

/* Pairs (a, b) of layouts: tight and aligned; odd padding (odd strides) and
 * odd offsets; negative strides; negative tight strides misaligned by
 * almost a whole register. a and b differ so that swapped strides show.
 * The padded ones are wider than one 32-byte load, so that reading past a
 * row's end reads only garbage; with negative ones such a read also
 * reaches the next row in memory. */
static const Layout layouts[][2] = {
  {{"tight", 0, 0, 0}, {"tight", 0, 0, 0}},
  {{"odd", 35, 0, 1}, {"odd", 41, 0, 7}},
  {{"negative", 19, 1, 13}, {"negative", 3, 1, 2}},
  {{"negative-tight", 0, 1, 31}, {"negative-tight", 0, 1, 17}},
};

#define N_LAYOUTS ((int) N_ELEMENTS (layouts))

static void
plane_alloc (Plane * p, int w, int h, int bps, const Layout * l)
{
  size_t abs_stride = (size_t) (w + l->pad) * bps;

  p->w = w;
  p->h = h;
  p->bps = bps;
  /* 16-bit samples stay 2-byte aligned */
  p->offset = (size_t) l->offset & (bps == 2 ? ~(size_t) 1 : ~(size_t) 0);
  p->row_bytes = w * (size_t) bps;
  p->size = p->offset + (h > 0 ? (size_t) (h - 1) * abs_stride +
      p->row_bytes : 0);
  p->buf = xmalloc_aligned (p->size);
  for (size_t i = 0; i < p->size; i++)
    p->buf[i] = (uint8_t) rnd ();
  p->stride = l->negative ? -(ptrdiff_t) abs_stride : (ptrdiff_t) abs_stride;
  p->row0 = p->buf + p->offset + (l->negative && h > 0 ?
      (size_t) (h - 1) * abs_stride : 0);
}

static void
plane_free (Plane * p)
{
  free (p->buf);
}

static uint8_t *
plane_row (const Plane * p, int y)
{
  return p->row0 + (ptrdiff_t) y *p->stride;
}

static void
plane_set (Plane * p, int x, int y, unsigned v)
{
  uint8_t *row = plane_row (p, y);

  if (p->bps == 1) {
    row[x] = (uint8_t) v;
  } else {
    uint16_t s = (uint16_t) v;
    memcpy (row + 2 * (size_t) x, &s, sizeof (s));
  }
}

/* Whether byte i of buf lies in a row's samples. */
static int
plane_is_sample (const Plane * p, size_t i, int *x, int *y)
{
  size_t abs_stride = (size_t) (p->stride < 0 ? -p->stride : p->stride);
  size_t k, in_row;

  if (i < p->offset || !p->h)
    return 0;
  k = (i - p->offset) / abs_stride;
  in_row = (i - p->offset) % abs_stride;
  if (in_row >= p->row_bytes)
    return 0;
  *x = (int) (in_row / p->bps);
  *y = p->stride < 0 ? p->h - 1 - (int) k : (int) k;
  return 1;
}

/* Changes every byte outside the samples, so that a kernel that reads any
 * of them gives another result. */
static void
plane_repad (Plane * p)
{
  for (size_t i = 0; i < p->size; i++) {
    int x, y;
    if (!plane_is_sample (p, i, &x, &y))
      p->buf[i] ^= (uint8_t) (1 + rnd () % 255);
  }
}

/* ---------------------------------------------------------------------- */
/* Sample patterns */

typedef enum
{
  PAT_RANDOM,
  PAT_NEAR,
  PAT_EXTREME,
  PAT_ZERO,
  PAT_MAX,
  PAT_MAX_1,
  PAT_MAX_VS_ZERO,
  PAT_ZERO_VS_MAX,
  PAT_CHECKER,
  PAT_BENT,
  PAT_ROWS,
  PAT_HIGH_BITS,
  PAT_ALL_16_BITS,
  N_PATTERNS
} Pattern;

static const char *const pattern_names[N_PATTERNS] = {
  "random", "random-near", "random-0-or-max", "all-0", "all-max",
  "all-max-1", "a-max-b-0", "a-0-b-max", "checkerboard", "bent", "rows",
  "random-16-bit", "all-65535",
};

/* Whether pattern p draws new samples on every call (and so deserves many
 * repetitions). */
static int
pattern_is_random (Pattern p)
{
  return p == PAT_RANDOM || p == PAT_NEAR || p == PAT_EXTREME ||
      p == PAT_HIGH_BITS;
}

/* The samples (a, b) of pattern p at (x, y) for peak value max. Where b
 * is max - a, the difference is +-max: the checkerboard is one Hadamard
 * basis function (one coefficient of 64 max, the largest any coefficient
 * reaches), the bent pattern spreads the same energy evenly (all 64
 * coefficients at 8 max, the largest total). */
static void
make_pair (Pattern p, unsigned max, int x, int y, unsigned *a, unsigned *b)
{
  switch (p) {
    case PAT_RANDOM:{
      uint64_t r = rnd ();
      *a = (unsigned) ((r & 0xffffffff) % (max + 1));
      *b = (unsigned) ((r >> 32) % (max + 1));
      break;
    }
    case PAT_NEAR:{
      /* Similar pictures, as motion search sees them: small signed
       * differences, clamped at both ends of the range. */
      uint64_t r = rnd ();
      int va = (int) ((r & 0xffffffff) % (max + 1));
      int vb = va + (int) ((r >> 32) % 9) - 4;
      *a = (unsigned) va;
      *b = vb < 0 ? 0 : vb > (int) max ? max : (unsigned) vb;
      break;
    }
    case PAT_EXTREME:{
      uint64_t r = rnd ();
      *a = (r & 1) ? max : 0;
      *b = (r & 2) ? max : 0;
      break;
    }
    case PAT_ZERO:
      *a = *b = 0;
      break;
    case PAT_MAX:
      *a = *b = max;
      break;
    case PAT_MAX_1:
      *a = *b = max - 1;
      break;
    case PAT_MAX_VS_ZERO:
      *a = max;
      *b = 0;
      break;
    case PAT_ZERO_VS_MAX:
      *a = 0;
      *b = max;
      break;
    case PAT_CHECKER:
      *a = ((x + y) & 1) ? max : 0;
      *b = max - *a;
      break;
    case PAT_BENT:
      *a = __builtin_parity ((unsigned) (x & y & 7)) ? 0 : max;
      *b = max - *a;
      break;
    case PAT_ROWS:
      *a = (y & 1) ? max : 0;
      *b = max - *a;
      break;
      /* The last two lie beyond the contract of downscale2_16 (samples of
       * `depth` bits), but the C reference defines the result for any 16-bit
       * value; SIMD keeps to it so that stray high bits never make the two
       * disagree. All 65535 gives the largest sum of all, which at depth 9
       * no longer fits a signed 16-bit lane after the shift. */
    case PAT_HIGH_BITS:
      *a = (unsigned) (rnd () & 0xffff);
      *b = (unsigned) (rnd () & 0xffff);
      break;
    case PAT_ALL_16_BITS:
    default:
      *a = *b = 0xffff;
      break;
  }
}

static void
fill_pair (Plane * a, Plane * b, Pattern pat, unsigned max)
{
  for (int y = 0; y < a->h; y++)
    for (int x = 0; x < a->w; x++) {
      unsigned va, vb;
      make_pair (pat, max, x, y, &va, &vb);
      plane_set (a, x, y, va);
      if (b)
        plane_set (b, x, y, vb);
    }
}

/* ---------------------------------------------------------------------- */
/* Reports */

/* One line of output: a kernel of one ISA level at one depth on one
 * pattern, over all sizes and layouts. */
typedef struct
{
  const char *func;
  const char *isa;
  int bits;
  Pattern pat;
  int cases;
  int failed;
} Check;

static void
report_case (Check * c, const char *where, const char *what)
{
  if (c->failed++ < MAX_REPORTS)
    printf ("  %s_%s %d-bit %s, %s: %s (seed 0x%016" PRIx64 ")\n", c->func,
        c->isa, c->bits, pattern_names[c->pat], where, what, seed);
}

static void
end_check (const Check * c)
{
  printf ("%s %s_%s %d-bit %s: %d cases", c->failed ? "FAIL" : "ok  ",
      c->func, c->isa, c->bits, pattern_names[c->pat], c->cases);
  if (c->failed)
    printf (", %d failed", c->failed);
  printf ("\n");
  if (c->failed)
    failures++;
}

/* ---------------------------------------------------------------------- */
/* Block kernels */

typedef enum
{
  BLOCK_SAD,
  BLOCK_SATD,
  BLOCK_VAR,
} BlockKernel;

static const char *const block_names[] = { "sad8x8", "satd8x8", "var8x8" };

static uint64_t
call_block (const EstLookaheadDSP * dsp, BlockKernel k, const Plane * a,
    const Plane * b)
{
  switch (k) {
    case BLOCK_SAD:
      return (uint64_t) dsp->sad8x8 (a->row0, a->stride, b->row0, b->stride);
    case BLOCK_SATD:
      return (uint64_t) dsp->satd8x8 (a->row0, a->stride, b->row0, b->stride);
    case BLOCK_VAR:
    default:
      return dsp->var8x8 (a->row0, a->stride);
  }
}

static void
check_block_case (Check * c, const EstLookaheadDSP * ref,
    const EstLookaheadDSP * opt, BlockKernel k, int li)
{
  Plane a, b;
  char where[96], what[128];

  plane_alloc (&a, 8, 8, 1, &layouts[li][0]);
  plane_alloc (&b, 8, 8, 1, &layouts[li][1]);
  fill_pair (&a, &b, c->pat, 255);
  snprintf (where, sizeof (where), "%s strides %td/%td offsets %zu/%zu",
      layouts[li][0].name, a.stride, b.stride, a.offset, b.offset);

  uint64_t want = call_block (ref, k, &a, &b);
  uint64_t got = call_block (opt, k, &a, &b);
  if (got != want) {
    snprintf (what, sizeof (what), "C %" PRIu64 " (0x%" PRIx64 "), SIMD %"
        PRIu64 " (0x%" PRIx64 ")", want, want, got, got);
    report_case (c, where, what);
  } else {
    plane_repad (&a);
    plane_repad (&b);
    got = call_block (opt, k, &a, &b);
    if (got != want) {
      snprintf (what, sizeof (what), "padding changed the result to %"
          PRIu64, got);
      report_case (c, where, what);
    }
  }
  c->cases++;
  plane_free (&a);
  plane_free (&b);
}

static void
check_block (const EstLookaheadDSP * ref, const EstLookaheadDSP * opt,
    const char *isa, BlockKernel k)
{
  for (int p = 0; p < N_PATTERNS; p++) {
    Check c = { block_names[k], isa, 8, (Pattern) p };
    int reps = pattern_is_random ((Pattern) p) ? RANDOM_BLOCKS : 1;

    /* var8x8 reads a only: a-max-b-0 and a-0-b-max would repeat all-max
     * and all-0. */
    if (p == PAT_HIGH_BITS || p == PAT_ALL_16_BITS || (k == BLOCK_VAR
            && (p == PAT_MAX_VS_ZERO || p == PAT_ZERO_VS_MAX)))
      continue;
    for (int li = 0; li < N_LAYOUTS; li++)
      for (int r = 0; r < reps; r++)
        check_block_case (&c, ref, opt, k, li);
    end_check (&c);
  }
}

/* ---------------------------------------------------------------------- */
/* Downscales */

/* Every width up to here on a few rows; then taller pictures at the widths
 * around the vector steps (8, 16, 32 outputs); then one very long row
 * pair, as the house rules ask of every SIMD test. */
#define MAX_SWEEP_WIDTH 200
static const int sweep_heights[] = { 1, 2, 3 };

static const int tall_widths[] = { 1, 7, 8, 9, 16, 24, 31, 32, 33, 40, 63,
  64, 65, 200, 481
};
static const int tall_heights[] = { 5, 16 };

#define LONG_WIDTH 7681

/* The destination's own layouts, paired with the source's. */
static const Layout dst_layouts[] = {
  {"tight", 0, 0, 0},
  {"padded", 13, 0, 3},
  {"negative", 5, 1, 1},
  {"negative-tight", 0, 1, 30},
};

static void
call_downscale (const EstLookaheadDSP * dsp, const Plane * dst,
    const Plane * src, int depth)
{
  if (depth == 8)
    dsp->downscale2_8 (dst->row0, dst->stride, src->row0, src->stride,
        dst->w, dst->h);
  else
    dsp->downscale2_16 (dst->row0, dst->stride,
        (const uint16_t *) (const void *) src->row0, src->stride, dst->w,
        dst->h, depth);
}

/* Where the first differing byte of two copies of dst lies, in words. */
static void
describe_diff (char *out, size_t out_size, const Plane * dst,
    const uint8_t * want, const uint8_t * got)
{
  size_t i = 0;
  int x, y;

  while (i < dst->size && want[i] == got[i])
    i++;
  if (plane_is_sample (dst, i, &x, &y))
    snprintf (out, out_size, "at (%d, %d): C %u, SIMD %u", x, y, want[i],
        got[i]);
  else
    snprintf (out, out_size, "byte %zu of the padding written: %u, was %u",
        i, got[i], want[i]);
}

static void
check_downscale_case (Check * c, const EstLookaheadDSP * ref,
    const EstLookaheadDSP * opt, int w, int h, int li)
{
  const int bps = c->bits > 8 ? 2 : 1;
  const unsigned max = (1u << c->bits) - 1;
  Plane src, want, got;
  char where[128], what[128];

  plane_alloc (&src, 2 * w, 2 * h, bps, &layouts[li][0]);
  fill_pair (&src, NULL, c->pat, max);
  plane_alloc (&want, w, h, 1, &dst_layouts[li]);
  plane_alloc (&got, w, h, 1, &dst_layouts[li]);
  /* The same garbage in both, so that the whole buffers compare. */
  memcpy (got.buf, want.buf, want.size);
  snprintf (where, sizeof (where), "w=%d h=%d src stride %td offset %zu, "
      "dst stride %td offset %zu", w, h, src.stride, src.offset,
      want.stride, want.offset);

  call_downscale (ref, &want, &src, c->bits);
  call_downscale (opt, &got, &src, c->bits);
  if (memcmp (want.buf, got.buf, want.size)) {
    describe_diff (what, sizeof (what), &want, want.buf, got.buf);
    report_case (c, where, what);
  } else {
    plane_repad (&src);
    for (int y = 0; y < h; y++)
      memset (plane_row (&got, y), 0x5a, (size_t) w);
    call_downscale (opt, &got, &src, c->bits);
    if (memcmp (want.buf, got.buf, want.size)) {
      char diff[96];
      describe_diff (diff, sizeof (diff), &want, want.buf, got.buf);
      snprintf (what, sizeof (what), "source padding changed %s", diff);
      report_case (c, where, what);
    }
  }
  c->cases++;
  plane_free (&src);
  plane_free (&want);
  plane_free (&got);
}

static void
check_downscale (const EstLookaheadDSP * ref, const EstLookaheadDSP * opt,
    const char *isa, int bits)
{
  for (int p = 0; p < N_PATTERNS; p++) {
    Check c = { bits == 8 ? "downscale2_8" : "downscale2_16", isa, bits,
      (Pattern) p
    };

    /* Only the patterns that say something about a 2 x 2 average of one
     * plane; stray high bits only where samples have 16 bits. */
    if (p == PAT_NEAR || p == PAT_EXTREME || p == PAT_ZERO_VS_MAX ||
        p == PAT_MAX_VS_ZERO || p == PAT_BENT)
      continue;
    if ((p == PAT_HIGH_BITS || p == PAT_ALL_16_BITS) && bits == 8)
      continue;

    for (int li = 0; li < N_LAYOUTS; li++) {
      for (int w = 1; w <= MAX_SWEEP_WIDTH; w++)
        for (size_t hi = 0; hi < N_ELEMENTS (sweep_heights); hi++)
          check_downscale_case (&c, ref, opt, w, sweep_heights[hi], li);
      for (size_t wi = 0; wi < N_ELEMENTS (tall_widths); wi++)
        for (size_t hi = 0; hi < N_ELEMENTS (tall_heights); hi++)
          check_downscale_case (&c, ref, opt, tall_widths[wi],
              tall_heights[hi], li);
      check_downscale_case (&c, ref, opt, LONG_WIDTH, 2, li);
    }
    /* The lookahead's own size: 1920x1080 to 960x540. */
    if (p == PAT_RANDOM)
      check_downscale_case (&c, ref, opt, 960, 540, 0);
    end_check (&c);
  }
}

/* ---------------------------------------------------------------------- */

/* ISA levels in the order their inits cascade; each includes the ones
 * before it. */
static const struct
{
  const char *name;
  unsigned flags;
} isa_levels[] = {
  {"sse2", EST_CPU_FLAG_SSE2},
  {"avx2", EST_CPU_FLAG_SSE2 | EST_CPU_FLAG_AVX2},
};

/* Checks the kernels that level `isa` (dsp) replaces relative to the level
 * before it (prev); returns how many. */
static int
check_level (const EstLookaheadDSP * ref, const EstLookaheadDSP * prev,
    const EstLookaheadDSP * dsp, const char *isa)
{
  int n = 0;

  if (dsp->downscale2_8 != prev->downscale2_8) {
    check_downscale (ref, dsp, isa, 8);
    n++;
  }
  if (dsp->downscale2_16 != prev->downscale2_16) {
    for (int bits = 9; bits <= 16; bits++)
      check_downscale (ref, dsp, isa, bits);
    n++;
  }
  if (dsp->sad8x8 != prev->sad8x8) {
    check_block (ref, dsp, isa, BLOCK_SAD);
    n++;
  }
  if (dsp->satd8x8 != prev->satd8x8) {
    check_block (ref, dsp, isa, BLOCK_SATD);
    n++;
  }
  if (dsp->var8x8 != prev->var8x8) {
    check_block (ref, dsp, isa, BLOCK_VAR);
    n++;
  }
  return n;
}

int
main (int argc, char **argv)
{
  EstLookaheadDSP ref, prev;
  unsigned flags = est_cpu_flags ();
  int tested = 0;

  /* Line by line, so that the checks before a sanitizer abort stay in the
   * log. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  seed = argc > 1 ? strtoull (argv[1], NULL, 0) : default_seed;
  rng_state = seed;

  est_lookahead_dsp_init (&ref, 0);
  printf ("CPU flags 0x%x, seed 0x%016" PRIx64 "\n", flags, seed);

  check_known_blocks (&ref);
  check_known_downscales (&ref);
  printf ("%s C reference known answers: %d\n", failures ? "FAIL" : "ok  ",
      known_checks);

  prev = ref;
  for (size_t i = 0; i < N_ELEMENTS (isa_levels); i++) {
    EstLookaheadDSP dsp;
    int n;

    if ((flags & isa_levels[i].flags) != isa_levels[i].flags) {
      printf ("skip %s: not on this CPU (or masked by EST_CPU_MASK)\n",
          isa_levels[i].name);
      continue;
    }
    est_lookahead_dsp_init (&dsp, isa_levels[i].flags);
    n = check_level (&ref, &prev, &dsp, isa_levels[i].name);
    if (!n)
      printf ("%s: no kernel of its own\n", isa_levels[i].name);
    tested += n;
    prev = dsp;
  }

  if (failures) {
    printf ("FAIL: %d checks failed (seed 0x%016" PRIx64 ")\n", failures, seed);
    return 1;
  }
  if (!tested)
    printf ("PASS: C reference known answers only, no SIMD kernel here\n");
  else
    printf ("PASS: known answers, %d SIMD kernels\n", tested);
  return 0;
}
