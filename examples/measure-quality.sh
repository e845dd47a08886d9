#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
#
# For VOD and broadcast engineers: how good is an encode? Measures an
# encoded file against its source with estquality and writes per-frame and
# summary figures.
#
#   examples/measure-quality.sh SOURCE ENCODED [OUT_PREFIX]
#
# Both files are decoded with decodebin and converted to I420; they must
# have the same size (estquality says so when they differ). Frames are
# paired by index, which survives decoder delay and edit lists.

set -euo pipefail
src=${1:?source file}
enc=${2:?encoded file}
out=${3:-quality}
here=$(dirname "$(readlink -f "$0")")
export GST_PLUGIN_PATH=${GST_PLUGIN_PATH:-$here/../build/gst}

gst-launch-1.0 -q \
  filesrc location="$src" ! decodebin ! videoconvert ! \
    video/x-raw,format=I420 ! q.ref \
  filesrc location="$enc" ! decodebin ! videoconvert ! \
    video/x-raw,format=I420 ! q.dist \
  estquality name=q pairing=index stats-file="$out.csv" \
    summary-file="$out.json" ! fakesink
cat "$out.json"
