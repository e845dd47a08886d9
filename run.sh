#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
#
# One entry point for a fresh Debian 12 machine (run as root, or with sudo
# available for the package step):
#
#   ./run.sh demo    install what is needed, build, run the main job
#   ./run.sh test    install what is needed, build, run every test suite
#
# Other verbs: deps (packages only), build, format (rewrite C files in the
# house style), format-check (fail on unformatted C), fuzz [SECONDS] (the
# decoder fuzzers and the vchip fuzzer, SECONDS each, default 60, names in
# FUZZ_CODECS; see docs/testing.md).
#
# BUILD_DIR (default: build) names the build folder; FUZZ_DIR (default:
# build-fuzz) the fuzzers' clang build, corpus and crash files.

set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")"
BUILD_DIR=${BUILD_DIR:-build}

# Everything the build, the tests and the benchmarks need, from Debian 12.
PACKAGES=(
  # toolchain and build
  gcc libc6-dev meson ninja-build pkg-config indent
  # dpkg-architecture: meson's multiarch libdir for installs
  dpkg-dev
  # GStreamer: libraries, tools, and the plugins tests and the demo use
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  # optional backends (meson features va, x264, x265, svtav1, libav, dav1d)
  libva-dev libx264-dev libx265-dev libsvtav1enc-dev libavcodec-dev
  libavutil-dev libdav1d-dev
  # the virtual accelerator's client tests: libdrm's header for the vashim
  # test module
  libdrm-dev
  # anchors for benchmarks; the compression benchmark's RD-curve plots
  ffmpeg python3 python3-matplotlib
  # esthdrscale's agreement test: numpy, and Mesa's lavapipe Vulkan driver
  # for FFmpeg's libplacebo filter
  python3-numpy mesa-vulkan-drivers
  # esthdrscale's benchmark feeds GStreamer from memory through PyGObject
  python3-gi gir1.2-gstreamer-1.0
  # fuzzing: clang and its libFuzzer and sanitizer runtimes
  clang libclang-rt-14-dev
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}

deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "run.sh: all packages present"
    return
  fi
  echo "run.sh: installing ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends "${missing[@]}"
}

build() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    meson setup "$BUILD_DIR" --werror "$@"
  fi
  ninja -C "$BUILD_DIR"
}

# The main job: a real transcode of a test pattern (or the file given as
# an argument) to H.264 in MP4, measured against its source.
demo() {
  local out=${DEMO_OUTPUT:-estuary-demo.mp4}
  export GST_PLUGIN_PATH_1_0="$PWD/$BUILD_DIR/gst"
  export GST_REGISTRY="$PWD/$BUILD_DIR/registry.bin"
  if [ $# -gt 0 ]; then
    "$BUILD_DIR/tools/est-transcode" --input "$1" --output "$out"
  else
    "$BUILD_DIR/tools/est-transcode" --output "$out"
  fi
}

# The fuzzers (tests/fuzz): a clang build with ASan and UBSan in FUZZ_DIR,
# then each fuzzer for $1 seconds: the decoder fuzzers per codec (h264,
# h265, av1), seeded by tests/fuzz/make-corpus.sh (Estuary's encoders from
# the normal build in BUILD_DIR, which gst-launch-1.0 can load), and vchip,
# the virtual accelerator's, seeded by vchip_fuzzer_seeds. The corpus grows
# in FUZZ_DIR/fuzz-corpus from run to run; crashes, hangs and leaks land
# in FUZZ_DIR/fuzz-artifacts and fail the verb.
fuzz() {
  local seconds=${1:-60} dir=${FUZZ_DIR:-build-fuzz} status=0 codec rc
  local codecs=(${FUZZ_CODECS:-h264 h265 av1 vchip}) targets=() decoders=()
  local exe asan
  if [ ! -f "$dir/build.ninja" ]; then
    CC=clang meson setup "$dir" --werror -Dfuzzing=enabled -Dtests=disabled \
      -Db_sanitize=address,undefined -Db_lundef=false
  fi
  for codec in "${codecs[@]}"; do
    if [ "$codec" = vchip ]; then
      targets+=(tests/fuzz/vchip_fuzzer tests/fuzz/vchip_fuzzer_seeds)
    else
      targets+=("tests/fuzz/decoder_fuzzer_$codec")
      decoders+=("$codec")
    fi
  done
  ninja -C "$dir" "${targets[@]}"
  rm -rf "$dir/fuzz-seeds"
  if [ ${#decoders[@]} -gt 0 ]; then
    build
    tests/fuzz/make-corpus.sh "$dir/fuzz-seeds" "$PWD/$BUILD_DIR/gst" ||
      echo "run.sh: a codec has no seeds: its fuzzer starts from nothing"
  fi
  if [[ " ${codecs[*]} " == *" vchip "* ]]; then
    mkdir -p "$dir/fuzz-seeds/vchip"
    "$dir/tests/fuzz/vchip_fuzzer_seeds" "$dir/fuzz-seeds/vchip"
  fi
  mkdir -p "$dir/fuzz-artifacts"
  # UBSan stops at the first report so that libFuzzer keeps the input;
  # LeakSanitizer ignores what GLib and GStreamer keep until exit.
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
  for codec in "${codecs[@]}"; do
    exe=$dir/tests/fuzz/decoder_fuzzer_$codec asan=${ASAN_OPTIONS:-}
    if [ "$codec" = vchip ]; then
      # libx265 has no frame pointers: only full stacks show that a leak
      # comes from x265_encoder_open (suppressed), as in the test suites.
      exe=$dir/tests/fuzz/vchip_fuzzer
      asan=${asan:+$asan:}fast_unwind_on_malloc=0
    fi
    mkdir -p "$dir/fuzz-corpus/$codec"
    echo "run.sh: fuzzing $codec for $seconds s (log: $dir/fuzz-$codec.log)"
    rc=0
    ASAN_OPTIONS=$asan "$exe" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$dir/fuzz-artifacts/$codec-" \
      "$dir/fuzz-corpus/$codec" "$dir/fuzz-seeds/$codec" \
      >"$dir/fuzz-$codec.log" 2>&1 || rc=$?
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
      "$dir/fuzz-$codec.log" | sed 's/^/  /' || true
    if [ "$rc" -ne 0 ]; then
      echo "run.sh: $codec fuzzer failed (exit $rc):"
      grep -E '^==[0-9]+==ERROR|SUMMARY|runtime error|deadly signal|(decoder|vchip)_fuzzer:|Test unit written' \
        "$dir/fuzz-$codec.log" | head -20 | sed 's/^/  /'
      status=1
    fi
  done
  return $status
}

c_files() {
  git ls-files --cached --others --exclude-standard '*.c' 2>/dev/null ||
    find . -name '*.c' -not -path './build*'
}

INDENT_ARGS=(--braces-on-if-line --case-brace-indentation0
  --case-indentation2 --braces-after-struct-decl-line --line-length80
  --no-tabs --cuddle-else --dont-line-up-parentheses
  --continuation-indentation4 --honour-newlines --tab-size8 --indent-level2
  --leave-preprocessor-space)

# GNU indent with GStreamer's flags, run twice as gst-indent does: one pass
# is not always a fixed point.
format_file() {
  indent "${INDENT_ARGS[@]}" -o "$2" "$1"
  indent "${INDENT_ARGS[@]}" "$2"
  rm -f "$2~"
}

format() {
  local tmp
  tmp=$(mktemp -d)
  for f in $(c_files); do
    format_file "$f" "$tmp/out.c"
    cmp -s "$f" "$tmp/out.c" || cp "$tmp/out.c" "$f"
  done
  rm -rf "$tmp"
}

format_check() {
  local tmp bad=0
  tmp=$(mktemp -d)
  for f in $(c_files); do
    format_file "$f" "$tmp/out.c"
    if ! cmp -s "$f" "$tmp/out.c"; then
      echo "run.sh: $f is not formatted (./run.sh format fixes it):"
      diff -u "$f" "$tmp/out.c" | head -20 || true
      bad=1
    fi
  done
  rm -rf "$tmp"
  return $bad
}

case "${1:-}" in
  deps) deps ;;
  build) shift; deps; build "$@" ;;
  demo) shift; deps; build; demo "$@" ;;
  test) deps; build; meson test -C "$BUILD_DIR" --print-errorlogs ;;
  format) format ;;
  format-check) format_check ;;
  fuzz) shift; deps; fuzz "$@" ;;
  *)
    sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
