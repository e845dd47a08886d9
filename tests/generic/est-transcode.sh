#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
#
# The README's main job, small: est-transcode writes a playable MP4 and
# prints the frame count and a quality line.

set -euo pipefail
tool=$1
# Under a sanitizer, meson hands the runtime over in EST_PRELOAD: it goes to
# the tool (and the plugin scanner it spawns), not to bash or ffprobe.
run_tool() {
  LD_PRELOAD="${EST_PRELOAD:-}" "$tool" "$@"
}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

run_tool --frames 12 --bitrate 500 --output "$dir/out.mp4" > "$dir/log"
cat "$dir/log"
grep -q "frames        12$" "$dir/log"
grep -Eq "quality +PSNR [0-9]+\.[0-9]+ dB" "$dir/log"
test -s "$dir/out.mp4"
# The file decodes back to the same number of frames.
n=$(ffprobe -v error -count_frames -select_streams v:0 \
  -show_entries stream=nb_read_frames -of csv=p=0 "$dir/out.mp4")
test "$n" -eq 12 || { echo "decoded $n frames, want 12"; exit 1; }
# A file as input: the MP4 just written, transcoded again to HEVC.
run_tool --input "$dir/out.mp4" --codec h265 --bitrate 300 \
  --output "$dir/again.mp4" > "$dir/log2"
cat "$dir/log2"
grep -q "frames        12$" "$dir/log2"
grep -q "esth265enc" "$dir/log2"
# Bad input is a clear error, not a crash.
if run_tool --input "$dir/missing.mp4" 2> "$dir/err"; then
  echo "missing input accepted"; exit 1
fi
grep -q "no such file" "$dir/err"
