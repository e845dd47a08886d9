#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
#
# Seed corpora for the decoder fuzzers, in decoder_fuzzer.c's input format:
#
#   tests/fuzz/make-corpus.sh OUT_DIR [PLUGIN_DIR]
#
# writes OUT_DIR/h264, OUT_DIR/h265 and OUT_DIR/av1. Seeds are short
# streams, split into access units by h264parse / h265parse / av1parse:
#   - GStreamer's encoders (x264enc, x265enc, av1enc) on videotestsrc;
#   - Estuary's own (esth264enc, esth265enc, estav1enc) when PLUGIN_DIR
#     (or ESTUARY_PLUGIN_DIR) names a build's gst folder;
#   - the first access units of the real clips in ESTUARY_MEDIA_DIR
#     (default ../shared/media), when that folder exists.
# H.264 and HEVC come both as byte-stream and length-prefixed with their
# avcC / hvcC as codec_data. A stream an encoder or parser here cannot make
# is skipped with a note; the script fails only when a codec gets no seed.

set -uo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 OUT_DIR [PLUGIN_DIR]" >&2
  exit 2
fi
out=$1
plugin_dir=${2:-${ESTUARY_PLUGIN_DIR:-}}
here=$(dirname "$(readlink -f "$0")")
media=${ESTUARY_MEDIA_DIR:-$here/../../../shared/media}

# Seeds stay under the fuzzers' -max_len (65536): AUs are added while they
# fit, and the one that does not is cut.
LIMIT=60000
# Access units taken from each stream.
MAX_AUS=8

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GST_REGISTRY=$tmp/registry.bin
if [ -n "$plugin_dir" ]; then
  export GST_PLUGIN_PATH_1_0=$plugin_dir
fi
mkdir -p "$out/h264" "$out/h265" "$out/av1"

byte() {
  printf '%b' "\\x$(printf %02x "$1")"
}

u16le() {
  byte $(($1 & 255))
  byte $(($1 >> 8 & 255))
}

hex_to_bin() {
  # shellcheck disable=SC2001 # no bash expansion inserts the match
  printf '%b' "$(sed 's/../\\x&/g' <<<"$1")"
}

# pack SEED AU_DIR CODEC_DATA_HEX: flags, codec_data, then one record per
# access unit file in AU_DIR.
pack() {
  local seed=$1 dir=$2 cd=$3 total=1 n room f
  {
    if [ -n "$cd" ]; then
      byte 1
      u16le $((${#cd} / 2))
      hex_to_bin "$cd"
      total=$((total + 2 + ${#cd} / 2))
    else
      byte 0
    fi
    for f in "$dir"/p*; do
      n=$(stat -c %s "$f")
      room=$((LIMIT - total - 2))
      [ "$room" -gt 0 ] || break
      [ "$n" -le "$room" ] || n=$room
      u16le "$n"
      head -c "$n" "$f"
      total=$((total + 2 + n))
    done
  } >"$seed"
}

# stream CODEC NAME FORMAT SOURCE: runs SOURCE (a launch line ending in
# encoded or demuxable video) through the codec's parser into access units
# of FORMAT (byte-stream, avc, hvc1, obu-stream) and packs them as seed
# OUT_DIR/CODEC/NAME.
stream() {
  local codec=$1 name=$2 format=$3 src=$4 caps cd='' launch
  local dir=$tmp/$codec-$name
  case $codec in
    h264) caps="h264parse ! video/x-h264,stream-format=$format,alignment=au" ;;
    h265) caps="h265parse ! video/x-h265,stream-format=$format,alignment=au" ;;
    av1) caps="av1parse ! video/x-av1,stream-format=$format,alignment=tu" ;;
  esac
  mkdir -p "$dir"
  # single-segment: a sink drops the access units before the start of an
  # edit list, the key frame among them; identity keeps them.
  # gst-launch-1.0 quotes an argument with spaces: one word per argument
  # (so no spaces in paths).
  read -ra launch <<<"$src ! $caps ! identity single-segment=true eos-after=$MAX_AUS ! multifilesink name=out location=$dir/p%05d"
  if ! timeout 120 gst-launch-1.0 -v "${launch[@]}" >"$dir.log" 2>&1 ||
      ! compgen -G "$dir/p*" >/dev/null; then
    echo "make-corpus: skipped $codec/$name (see below)"
    grep -E 'ERROR|erroneous|no element' "$dir.log" | head -3 | sed 's/^/  /'
    return 0
  fi
  if [ "$format" = avc ] || [ "$format" = hvc1 ]; then
    cd=$(grep 'GstMultiFileSink:out.GstPad:sink: caps' "$dir.log" | tail -1 |
      grep -o 'codec_data=(buffer)[0-9a-f]*' | cut -d')' -f2)
  fi
  pack "$out/$codec/$name" "$dir" "$cd"
}

# raw FORMAT WIDTH HEIGHT PATTERN: a short test pattern.
raw() {
  echo "videotestsrc num-buffers=$MAX_AUS pattern=$4 ! video/x-raw,format=$1,width=$2,height=$3,framerate=25/1"
}

# GStreamer's encoders: profiles, bit depths, chroma formats, B-frames,
# interlacing, CAVLC.
stream h264 x264-64x64-i420 byte-stream "$(raw I420 64 64 ball) ! x264enc speed-preset=ultrafast key-int-max=4"
stream h264 x264-176x144-bframes-avc avc "$(raw I420 176 144 smpte) ! x264enc speed-preset=fast bframes=2 b-adapt=false"
stream h264 x264-96x64-cavlc byte-stream "$(raw I420 96 64 snow) ! x264enc speed-preset=ultrafast cabac=false"
stream h264 x264-128x96-interlaced byte-stream "$(raw I420 128 96 ball) ! x264enc speed-preset=fast interlaced=true"
stream h264 x264-80x48-y444 byte-stream "$(raw Y444 80 48 smpte) ! x264enc speed-preset=ultrafast"
stream h264 x264-64x64-y42b byte-stream "$(raw Y42B 64 64 ball) ! x264enc speed-preset=ultrafast"
stream h264 x264-64x64-i420-10 avc "$(raw I420_10LE 64 64 ball) ! x264enc speed-preset=ultrafast"
stream h265 x265-64x64-i420 byte-stream "$(raw I420 64 64 ball) ! x265enc speed-preset=ultrafast key-int-max=4"
stream h265 x265-176x144-hvc1 hvc1 "$(raw I420 176 144 smpte) ! x265enc speed-preset=fast"
stream h265 x265-96x64-i420-10 byte-stream "$(raw I420_10LE 96 64 snow) ! x265enc speed-preset=ultrafast"
stream h265 x265-64x64-y444 hvc1 "$(raw Y444 64 64 ball) ! x265enc speed-preset=ultrafast"
stream av1 aom-64x64-i420 obu-stream "$(raw I420 64 64 ball) ! av1enc cpu-used=8"
stream av1 aom-176x144-i420 obu-stream "$(raw I420 176 144 smpte) ! av1enc cpu-used=8 end-usage=q"
# Sizes that are not a multiple of the block size: cropping.
stream h264 x264-66x34-odd byte-stream "$(raw I420 66 34 smpte) ! x264enc speed-preset=ultrafast"
stream h265 x265-72x40-odd byte-stream "$(raw I420 72 40 smpte) ! x265enc speed-preset=ultrafast"
stream av1 aom-50x30-odd obu-stream "$(raw I420 50 30 smpte) ! av1enc cpu-used=8"

# Estuary's encoders, from the build given.
if [ -n "$plugin_dir" ]; then
  stream h264 est-64x64-i420 byte-stream "$(raw I420 64 64 ball) ! esth264enc speed-preset=ultrafast"
  stream h264 est-176x144-nv12-avc avc "$(raw NV12 176 144 smpte) ! esth264enc"
  stream h264 est-96x64-y444-10 byte-stream "$(raw Y444_10LE 96 64 snow) ! esth264enc speed-preset=ultrafast"
  stream h265 est-64x64-i420 byte-stream "$(raw I420 64 64 ball) ! esth265enc speed-preset=ultrafast"
  stream h265 est-176x144-p010-hvc1 hvc1 "$(raw P010_10LE 176 144 smpte) ! esth265enc"
  stream h265 est-96x64-y444 byte-stream "$(raw Y444 96 64 snow) ! esth265enc speed-preset=ultrafast"
  stream av1 est-64x64-i420 obu-stream "$(raw I420 64 64 ball) ! estav1enc"
  stream av1 est-176x144-i420-10 obu-stream "$(raw I420_10LE 176 144 smpte) ! estav1enc"
else
  echo "make-corpus: no PLUGIN_DIR: no seeds from Estuary's encoders"
fi

# Real clips: codec from the file name, demuxer from the extension.
if [ -d "$media" ]; then
  for f in "$media"/*; do
    base=$(basename "$f")
    case $base in
      *.mp4 | *.mov) src="filesrc location=$f ! qtdemux" ;;
      *.mkv | *.webm) src="filesrc location=$f ! matroskademux" ;;
      *.ivf) src="filesrc location=$f ! ivfparse" ;;
      *) src="filesrc location=$f" ;;
    esac
    base=${base%.*}
    case $base in
      *h264*)
        stream h264 "clip-$base" byte-stream "$src"
        stream h264 "clip-$base-avc" avc "$src"
        ;;
      *hevc* | *h265*)
        stream h265 "clip-$base" byte-stream "$src"
        stream h265 "clip-$base-hvc1" hvc1 "$src"
        ;;
      *av1*)
        stream av1 "clip-$base" obu-stream "$src"
        ;;
    esac
  done
else
  echo "make-corpus: no $media: no seeds from real clips"
fi

status=0
for codec in h264 h265 av1; do
  count=$(find "$out/$codec" -type f | wc -l)
  echo "make-corpus: $codec: $count seeds in $out/$codec"
  [ "$count" -gt 0 ] || status=1
done
exit $status
