#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
#
# Regenerates tests/elements/estquality-anchors.txt, the FFmpeg values that
# the estquality-anchors test compares estquality with.
#
#   tests/elements/estquality-anchors.sh [BUILD_DIR]     (default: build)
#
# 1. Runs the test in dump mode (ESTQUALITY_ANCHORS_DUMP=DIR): every case
#    writes its ref and dist frames as raw planar files and a NAME.info line
#    (name, GStreamer format, FFmpeg pix_fmt, width, height, frames, input
#    hash) instead of comparing.
# 2. Runs FFmpeg's psnr and ssim filters on each pair (one ffmpeg run per
#    filter) with their stats files.
# 3. Writes the anchor file: a `case` line per case and a `frame` line per
#    frame with psnr_y psnr_u psnr_v psnr_avg (2 decimals, as FFmpeg prints
#    them) and ssim_y (6 decimals); "inf" where the planes are identical.
#
# The real-clip cases need ../shared/media (ESTUARY_MEDIA_DIR); the script
# refuses to write a file where any case was skipped. The anchors were made
# with FFmpeg 5.1: another version prints a warning (its filters may round
# differently). Needs meson, ffmpeg and awk.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in
  /*) ;;
  *) build=$root/$build ;;
esac
out=$here/estquality-anchors.txt

command -v ffmpeg >/dev/null || { echo "ffmpeg not found" >&2; exit 1; }
ffver=$(ffmpeg -hide_banner -version |
  sed -n '1s/^ffmpeg version \([^ ]*\).*/\1/p')
case $ffver in
  5.1*) ;;
  *) echo "warning: FFmpeg $ffver, the anchors are meant for 5.1" >&2 ;;
esac

dump=$(mktemp -d "${TMPDIR:-/tmp}/estquality-anchors.XXXXXX")
trap 'rm -rf "$dump"' EXIT

ninja -C "$build" >/dev/null
ESTQUALITY_ANCHORS_DUMP=$dump meson test -C "$build" --print-errorlogs \
  estquality-anchors >/dev/null || {
  echo "the test failed in dump mode: see $build/meson-logs/testlog.txt" >&2
  exit 1
}

shopt -s nullglob
skipped=("$dump"/*.skipped)
if ((${#skipped[@]})); then
  for f in "${skipped[@]}"; do
    echo "skipped: $(basename "$f" .skipped): $(cat "$f")" >&2
  done
  echo "refusing to write a partial anchor file" >&2
  exit 1
fi
infos=("$dump"/*.info)
((${#infos[@]})) || { echo "the test dumped nothing" >&2; exit 1; }

# FFmpeg's stats lines name their fields: "n:1 mse_avg:... psnr_y:31.20 ..."
# and "n:1 Y:0.912345 U:... All:... (...)". Prints field `key` of each line.
field() {
  awk -v key="$2" '{
    for (i = 1; i <= NF; i++) {
      split($i, kv, ":")
      if (kv[1] == key) { print kv[2]; break }
    }
  }' "$1"
}

tmp_out=$dump/anchors.txt
{
  echo "# FFmpeg $ffver psnr and ssim values for"
  echo "# tests/elements/estquality-anchors.c, written by"
  echo "# tests/elements/estquality-anchors.sh: do not edit by hand."
  echo "#"
  echo "# case NAME FORMAT WIDTH HEIGHT FRAMES HASH"
  echo "#   FORMAT is the GStreamer format (I420: yuv420p, I420_10LE:"
  echo "#   yuv420p10le), HASH the FNV-1a (hex) of the ref then the dist bytes."
  echo "# frame NAME INDEX PSNR_Y PSNR_U PSNR_V PSNR_AVG SSIM_Y"
  echo "#   PSNR in dB from the psnr filter's stats file (2 decimals;"
  echo "#   \"inf\" for identical planes), SSIM_Y the ssim filter's Y"
  echo "#   (6 decimals)."
  for info in "${infos[@]}"; do
    read -r name format pix_fmt width height frames hash <"$info"
    for filter in psnr ssim; do
      ffmpeg -nostdin -hide_banner -loglevel error \
        -f rawvideo -pix_fmt "$pix_fmt" -video_size "${width}x$height" \
        -framerate 25 -i "$dump/$name.dist.yuv" \
        -f rawvideo -pix_fmt "$pix_fmt" -video_size "${width}x$height" \
        -framerate 25 -i "$dump/$name.ref.yuv" \
        -lavfi "[0:v][1:v]$filter=stats_file=$dump/$name.$filter.log" \
        -f null -
    done
    echo
    echo "case $name $format $width $height $frames $hash"
    paste -d ' ' \
      <(field "$dump/$name.psnr.log" n) \
      <(field "$dump/$name.psnr.log" psnr_y) \
      <(field "$dump/$name.psnr.log" psnr_u) \
      <(field "$dump/$name.psnr.log" psnr_v) \
      <(field "$dump/$name.psnr.log" psnr_avg) \
      <(field "$dump/$name.ssim.log" Y) |
      awk -v name="$name" -v frames="$frames" '
        NF != 6 { print "bad stats line: " $0 > "/dev/stderr"; exit 1 }
        { print "frame", name, $1 - 1, $2, $3, $4, $5, $6; n++ }
        END { if (n != frames) { print name ": " n " frames, want " frames \
                > "/dev/stderr"; exit 1 } }'
  done
} >"$tmp_out"

cp "$tmp_out" "$out"
echo "wrote $out (${#infos[@]} cases)"
