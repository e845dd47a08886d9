#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
"""Compression: content-aware rate control against the x264 / x265 anchors.

The claim under test: estlookahead in front of an Estuary encoder gives
the same quality for fewer bits than the library run as hardware encoders
are usually run, and fewer than the library's own crf. Every
contender encodes the same raw input at four or more rate points in the same
run, estquality measures each decode against that raw input, and BD-rates
(bench/bdrate.py: PCHIP over (quality, log10 rate), exact integral over the
overlapping quality interval, as the JVET / AOM CTC tools) compare the
curves.

Contenders, per library (--libs x264,x265) and speed preset (--presets
veryfast,medium), all with the same 1 s VBV where they have one:

  cbr      the library in cbr through its usual GStreamer element
           (x264enc pass=cbr / x265enc strict-cbr)
  crf      the library in crf, tuned for the main metric (x264enc
           psy-tune=ssim, x265enc tune=ssim)
  zl-cbr   the library as hardware encoders are usually run: cbr,
           tune=zerolatency, no B-frames. The baseline of the main goal.
  la-full  estlookahead lookahead-depth=D mode=full ! esth264enc
           rate-control=cbr tune=zerolatency b-frames=0 (esth265enc for
           x265; D = one second of frames)
  la-tq    estlookahead lookahead-depth=D mode=target-quality
           target-quality=Q ! esth264enc rate-control=crf
           tune=zerolatency b-frames=0 (Q: MS-SSIM in dB)

The rate points come from the crf row: it runs first at --crf values, and
its bitrates are the cbr rows' bitrates and its MS-SSIM dB the la-tq rows'
targets (unless --tq gives them), so that every curve covers the same range
of rates and quality and the BD-rates have an overlap to integrate over.
The exact pipelines are in the output (Commands) and every command run is
in <out>-commands.txt. la-full and la-tq run only when the plugin has
estlookahead with the properties lookahead-depth, mode (full,
target-quality) and target-quality; otherwise they are skipped with a note
and the rest runs.

Settings the front ends would otherwise differ in: x264enc writes access
unit delimiters by default (aud=false here, as Estuary); x264enc always caps
its crf with a VBV at `bitrate` (bitrate=2048000, its largest, makes the cap
unreachable); x265enc's default tune is ssim (kept, written out, in its
cbr and crf rows); x265enc keeps x265's quantisation group of 32 where
esth265enc uses 16 for its per-block offsets.

Material (--media, default ../shared/media next to the repository): the
compression set, street, flower, talkinghead, screen_pdf, foreman,
graffiti, bbb_animation, concert_lowlight, parking_cam, in two views:

* per clip: each clip alone, its first --frames frames (60; fewer where the
  clip is shorter) at its own size and frame rate, decoded once with FFmpeg
  to y4m; full-range clips (street) converted to limited range, the raw
  file being the reference of every comparison.
* the mixed programme of ../shared/tools/mixed-programme.sh (--tools; it
  reads the media folder beside it): each clip's first 60 frames, 1280x720,
  25 fps, 483 frames, built once.

Inputs live in a temporary folder on /dev/shm when it has room, else /tmp.
GStreamer 1.22's y4mdec reads at most 80 bytes of stream header, so the
FFmpeg header's X tags (XYSCSS, XCOLORRANGE) are dropped from every file.

Measured per encode: kbit/s = file bytes * 8 / (frames / fps); estquality
(metrics psnr+ssim+ms-ssim, pairing=index) of the avdec_h264 / avdec_h265
decode against the raw file: PSNR-Y as the mean of per-frame values, SSIM
and MS-SSIM in dB as -10 log10(1 - mean of per-frame values); the CPU time
of the encode.

Reported:

* BD-rate of each contender against zl-cbr and against crf, at MS-SSIM dB
  (main), SSIM dB and PSNR-Y, per clip, their mean over clips, and on the
  mixed programme; RD curves as PNG (matplotlib) beside the Markdown.
* Goals, with verdicts: on the mixed programme at MS-SSIM, la-full <= -30 %
  against zl-cbr and < 0 against crf; no clip's la-full worse than its
  zl-cbr by more than 2 %.
* Target-quality accuracy: estlookahead posts an element message
  `estlookahead-scene` per scene (index, start-frame, end-frame with the end
  exclusive, kind, target-quality dB, quality-value); gst-launch-1.0 -m
  prints them. Each scene's measured MS-SSIM dB is -10 log10(1 - mean of
  its frames' msssim-y) from estquality's stats file; mean and 90th
  percentile of |measured - target| (goals 0.5 dB and 1.5 dB).
* Analysis cost: CPU time (user + sys, kernel accounting of each process)
  of `filesrc ! y4mdec ! estlookahead lookahead-depth=25 ! fakesink` minus
  that of `filesrc ! y4mdec ! fakesink`, over the same for the x264
  veryfast zero-latency cbr encode it feeds (esth264enc), on street (1080p25,
  played forwards and backwards to --cost-frames); --cost-repeats runs of
  the three interleaved, medians. Goal < 20 %, aim 10 %.

Run from anywhere, after building:

    bench/compression.py [--quick] [--build build] [--media DIR]
                         [--libs x264,x265] [--presets veryfast,medium]
                         [--clips street,flower,...] [--frames 60]
                         [--crf 19,23,27,31,35] [--tq 13,15,17,19]
                         [--no-clips] [--no-mixed] [--no-cost]
                         [--cost-frames 216] [--cost-repeats 5]
                         [--plugin-path DIR] [--keep]
                         [--out bench/results/compression.md]

--quick: talkinghead and parking_cam, 30 frames each, the mixed programme
at 640x360 with 12 frames per clip, 4 rate points, 3 cost repeats on 54
frames: 1 to 2 minutes on 2 cores (measured 0.9 to 1.6 minutes with the
three x264 rows, as the machine's other load varied). The full run (x264
veryfast, 9 clips of 60 frames, the 483-frame mixed programme, 5 rate
points) took 13 minutes on 2 cores with the three x264 rows; with the two
estlookahead rows and the cost, expect about 25. Each further preset or
library is a run of its own: one cbr encode of the mixed programme took
8 s with x264 veryfast, 16 s with x264 medium, 26 s with x265 veryfast and
about 47 s with x265 medium (extrapolated from 100 frames), its
measurement about 14 s whatever the encoder, so about 18, 25 and 35
minutes for the three anchor rows of those.

The Estuary plugin comes from --build (relative to the repository root):
its .so files are copied into the temporary folder at the start, so that a
rebuild during the run changes nothing, and a private registry is used;
--plugin-path adds folders after it (an estlookahead built elsewhere).
Needs gst-launch-1.0 and gst-inspect-1.0 with y4mdec, x264enc (x265enc),
h264parse and avdec_h264 (h265parse, avdec_h265), FFmpeg and ffprobe, and
for the plots a Python that can import matplotlib (Debian's
python3-matplotlib, for /usr/bin/python3; without it the report says so).
Without the media folder it prints why and exits 0.
"""

import argparse
import glob
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bdrate import BDRateError, bd_rate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The compression set, in the mixed programme's order.
CLIPS = [
    ('street', 'street_1080p25_h264.264'),
    ('flower', 'flower_handheld_720p30_h264.264'),
    ('talkinghead', 'talkinghead_office_720p25_h264.264'),
    ('screen_pdf', 'screen_pdf_1024x768_h264.264'),
    ('foreman', 'foreman_cif_intra_h264.264'),
    ('graffiti', 'graffiti_1080p60_h264_dvp9.mp4'),
    ('bbb_animation', 'bbb_animation_1080p60_vp8.webm'),
    ('concert_lowlight', 'concert_lowlight_1080p50_h264.mov'),
    ('parking_cam', 'parking_cam_768x432_h264.mp4'),
]
QUICK_CLIPS = ['talkinghead', 'parking_cam']
COST_CLIP = 'street'

LIBS = {
    'x264': {
        'name': 'x264', 'anchor': 'x264enc', 'element': 'esth264enc',
        'caps': 'video/x-h264,stream-format=byte-stream',
        'parse': 'h264parse', 'decoder': 'avdec_h264', 'ext': 'h264',
        'crf': [19, 23, 27, 31, 35], 'crf_quick': [20, 25, 30, 35],
    },
    'x265': {
        'name': 'x265', 'anchor': 'x265enc', 'element': 'esth265enc',
        'caps': 'video/x-h265,stream-format=byte-stream',
        'parse': 'h265parse', 'decoder': 'avdec_h265', 'ext': 'h265',
        'crf': [21, 25, 29, 33, 37], 'crf_quick': [22, 27, 32, 37],
    },
}

CONTENDERS = ['cbr', 'crf', 'zl-cbr', 'la-full', 'la-tq']
LOOKAHEAD = ('la-full', 'la-tq')
LABEL = {
    'cbr': 'library cbr',
    'crf': 'library crf',
    'zl-cbr': 'zero-latency cbr (baseline)',
    'la-full': 'estlookahead full + Estuary cbr',
    'la-tq': 'estlookahead target-quality + Estuary crf',
}
METRICS = [('msssim_db', 'MS-SSIM dB'), ('ssim_db', 'SSIM dB'),
           ('psnr_y', 'PSNR-Y')]
ANCHORS = ['zl-cbr', 'crf']

GOAL_MIXED_VS_ZL = -30.0
GOAL_MIXED_VS_CRF = 0.0
GOAL_CLIP_WORST = 2.0
GOAL_TQ_MEAN = 0.5
GOAL_TQ_P90 = 1.5
GOAL_COST = 0.20
AIM_COST = 0.10

TIMEOUT = 1800
CAP_DB = 100.0


def stage_chain(lib, kind, preset, value, depth):
    """The encoder part of a pipeline, as gst-launch tokens: value is the
    bitrate (kbit/s) for the cbr rows, the CRF for crf, the MS-SSIM dB
    target for la-tq."""
    L = LIBS[lib]
    vbv = 'vbv-buf-capacity=1000'
    if lib == 'x264':
        if kind == 'cbr':
            return ['x264enc', 'pass=cbr', 'bitrate=%d' % value,
                    'speed-preset=' + preset, vbv, 'aud=false']
        if kind == 'crf':
            return ['x264enc', 'pass=qual', 'quantizer=%d' % value,
                    'bitrate=2048000', 'speed-preset=' + preset,
                    'psy-tune=ssim', vbv, 'aud=false']
        if kind == 'zl-cbr':
            return ['x264enc', 'pass=cbr', 'bitrate=%d' % value,
                    'speed-preset=' + preset, 'tune=zerolatency',
                    'bframes=0', vbv, 'aud=false']
    else:
        strict = 'vbv-maxrate=%d:vbv-bufsize=%d:strict-cbr=1' % (value,
                                                                 value)
        if kind == 'cbr':
            return ['x265enc', 'bitrate=%d' % value,
                    'speed-preset=' + preset, 'tune=ssim',
                    'option-string=' + strict]
        if kind == 'crf':
            return ['x265enc', 'speed-preset=' + preset, 'tune=ssim',
                    'option-string=crf=%d' % value]
        if kind == 'zl-cbr':
            return ['x265enc', 'bitrate=%d' % value,
                    'speed-preset=' + preset, 'tune=zerolatency',
                    'option-string=bframes=0:' + strict]
    if kind == 'la-full':
        return ['estlookahead', 'lookahead-depth=%d' % depth, 'mode=full',
                '!', L['element'], 'rate-control=cbr', 'bitrate=%d' % value,
                'speed-preset=' + preset, 'tune=zerolatency', 'b-frames=0',
                vbv]
    if kind == 'la-tq':
        return ['estlookahead', 'lookahead-depth=%d' % depth,
                'mode=target-quality', 'target-quality=%s' % fmt_q(value),
                '!', L['element'], 'rate-control=crf',
                'speed-preset=' + preset, 'tune=zerolatency', 'b-frames=0']
    raise ValueError(kind)


def fmt_q(q):
    return ('%.2f' % q).rstrip('0').rstrip('.')


def db(mean):
    """-10 log10(1 - mean), capped as estquality caps it."""
    if mean >= 1.0:
        return CAP_DB
    return min(CAP_DB, -10 * math.log10(1 - mean))


def percentile(values, p):
    """Nearest rank: the smallest value with at least p % of the values at
    or below it (as estquality's p1 and p5)."""
    xs = sorted(values)
    k = max(1, math.ceil(p / 100 * len(xs)))
    return xs[k - 1]


def gst_version():
    try:
        out = subprocess.run(['gst-launch-1.0', '--version'],
                             stdout=subprocess.PIPE,
                             universal_newlines=True).stdout
        m = re.search(r'GStreamer (\S+)', out)
        return m.group(1) if m else '?'
    except OSError:
        return '?'


def ffmpeg_version():
    try:
        out = subprocess.run(['ffmpeg', '-hide_banner', '-version'],
                             stdout=subprocess.PIPE,
                             universal_newlines=True).stdout
        m = re.search(r'ffmpeg version (\S+)', out)
        return m.group(1) if m else '?'
    except OSError:
        return '?'


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown CPU'


def loadavg():
    try:
        with open('/proc/loadavg') as f:
            return ' '.join(f.read().split()[:3])
    except OSError:
        return '?'


# --- y4m -----------------------------------------------------------------

def y4m_header_fields(line):
    return dict((t[:1], t[1:]) for t in line.split()[1:])


def write_y4m_from(src_stream, dst_path):
    """Copies a y4m stream into dst_path without the header's X tags
    (GStreamer 1.22's y4mdec reads at most 80 header bytes)."""
    header = src_stream.readline()
    if not header.startswith(b'YUV4MPEG2 '):
        raise RuntimeError('not a y4m stream: %r' % header[:40])
    toks = [t for t in header.split() if not t.startswith(b'X')]
    with open(dst_path, 'wb') as out:
        out.write(b' '.join(toks) + b'\n')
        shutil.copyfileobj(src_stream, out, 1 << 22)


def y4m_info(path):
    """Width, height, fps (num, den), frames and header length of a y4m
    file whose frames carry no parameters ("FRAME\\n")."""
    with open(path, 'rb') as f:
        header = f.readline()
    fields = y4m_header_fields(header.decode('ascii'))
    w, h = int(fields['W']), int(fields['H'])
    num, den = (int(x) for x in fields['F'].split(':'))
    chroma = fields.get('C', '420')
    if not chroma.startswith('420'):
        raise RuntimeError('%s: chroma %s, want 4:2:0' % (path, chroma))
    frame = w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)
    body = os.path.getsize(path) - len(header)
    if body % (frame + 6):
        raise RuntimeError('%s: frames with parameters, or a cut file'
                           % path)
    return {'width': w, 'height': h, 'fps_num': num, 'fps_den': den,
            'fps': num / den, 'frames': body // (frame + 6),
            'header': len(header), 'frame_bytes': frame}


def ping_pong(src, dst, frames):
    """dst: src's frames played forwards, then backwards, ... to frames."""
    info = y4m_info(src)
    n, step = info['frames'], info['frame_bytes'] + 6
    order = []
    while len(order) < frames:
        order += list(range(n)) if (len(order) // n) % 2 == 0 else \
            list(range(n - 1, -1, -1))
    with open(src, 'rb') as f, open(dst, 'wb') as out:
        out.write(f.readline())
        for i in order[:frames]:
            f.seek(info['header'] + i * step)
            out.write(f.read(step))


# --- gst-launch output ------------------------------------------------------

FIELD_RE = re.compile(
    r'([A-Za-z][\w-]*)=\((\w+)\)("(?:[^"\\]|\\.)*"|[^,;]*)')


def parse_scene_messages(text):
    """The estlookahead-scene element messages in gst-launch-1.0 -m
    output, as dicts of their fields."""
    scenes = []
    for line in text.splitlines():
        m = re.search(r'\(element\): estlookahead-scene, (.*);\s*$', line)
        if not m:
            continue
        fields = {}
        for name, typ, raw in FIELD_RE.findall(m.group(1)):
            raw = raw.strip()
            if raw.startswith('"'):
                raw = re.sub(r'\\(.)', r'\1', raw[1:-1])
            if typ in ('uint', 'int', 'guint64', 'gint64', 'uint64',
                       'int64'):
                fields[name] = int(raw)
            elif typ in ('double', 'float', 'gdouble'):
                fields[name] = float(raw)
            else:
                fields[name] = raw
        scenes.append(fields)
    return scenes


class Bench:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.env = dict(os.environ)
        for var in ('GST_DEBUG', 'GST_TRACERS', 'GST_DEBUG_FILE',
                    'GST_PLUGIN_PATH', 'GST_PLUGIN_PATH_1_0'):
            self.env.pop(var, None)
        self.env['GST_REGISTRY'] = os.path.join(tmp, 'registry.bin')
        self.env['GST_PLUGIN_PATH'] = os.pathsep.join(
            [os.path.join(tmp, 'plugins')] + args.plugin_path)
        self.notes = []
        self.skipped = []
        self.failures = []
        self.commands = []
        self.views = {}
        self.results = {}
        self.cost = None
        self.full_range = set()
        self.started = time.time()

    def note(self, text):
        self.notes.append(text)

    def skip(self, what, why):
        line = '%s: %s' % (what, why)
        print('SKIP ' + line)
        self.skipped.append(line)

    def run(self, cmd, check=True):
        """Runs cmd; returns (wall s, CPU s, stdout + stderr)."""
        self.commands.append(' '.join(cmd).replace(self.tmp, '$TMP'))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL,
                               universal_newlines=True, errors='replace',
                               timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise RuntimeError('%s ran over %d s' % (' '.join(cmd), TIMEOUT))
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + \
            (after.ru_stime - before.ru_stime)
        if check and p.returncode != 0:
            raise RuntimeError('%s failed (%d):\n%s' % (
                ' '.join(cmd), p.returncode, p.stdout[-3000:]))
        return wall, cpu, p.stdout

    # --- setup -------------------------------------------------------------

    def copy_plugin(self):
        src = os.path.join(self.args.build, 'gst')
        libs = glob.glob(os.path.join(src, '*.so'))
        if not libs:
            sys.exit('No plugin in %s: build first (meson setup build && '
                     'ninja -C build) or pass --build' % src)
        dst = os.path.join(self.tmp, 'plugins')
        os.makedirs(dst, exist_ok=True)
        for lib in libs:
            shutil.copy2(lib, dst)
        built = max(os.path.getmtime(lib) for lib in libs)
        self.plugin_note = '%s (built %s)' % (
            ', '.join(os.path.relpath(lib, ROOT) for lib in libs),
            time.strftime('%Y-%m-%d %H:%M', time.localtime(built)))

    def inspect(self, name):
        """gst-inspect-1.0's text for an element, or None."""
        p = subprocess.run(['gst-inspect-1.0', name], env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           universal_newlines=True, errors='replace')
        return p.stdout if p.returncode == 0 else None

    def have(self, name):
        return self.inspect(name) is not None

    def check_elements(self):
        args = self.args
        for e in ('y4mdec', 'fakesink', 'filesrc', 'filesink'):
            if not self.have(e):
                sys.exit('GStreamer lacks %s' % e)
        text = self.inspect('estquality')
        if text is None:
            sys.exit('estquality is not in the plugin in %s' % args.build)
        m = re.search(r'^\s*Filename\s+(\S+)', text, re.M)
        if not m or os.path.dirname(os.path.realpath(m.group(1))) != \
                os.path.realpath(os.path.join(self.tmp, 'plugins')):
            sys.exit('estquality does not come from the copy of %s'
                     % args.build)
        self.libs = []
        for lib in args.libs:
            L = LIBS[lib]
            missing = [e for e in (L['anchor'], L['parse'], L['decoder'])
                       if not self.have(e)]
            if missing:
                self.skip(lib, 'GStreamer lacks ' + ', '.join(missing))
                continue
            self.libs.append(lib)
        if not self.libs:
            sys.exit('No library to run')
        self.lookahead_tq = False
        self.lookahead, self.lookahead_note, why = self.check_lookahead()
        if not self.lookahead:
            self.skip('la-full, la-tq, target-quality accuracy, analysis '
                      'cost', why)
        self.estuary_enc = {}
        for lib in self.libs:
            el = LIBS[lib]['element']
            self.estuary_enc[lib] = self.have(el)
            if self.lookahead and not self.estuary_enc[lib]:
                self.skip('la-full, la-tq with %s' % lib,
                          '%s is not in the plugin' % el)

    def check_lookahead(self):
        """(usable, short note, longer reason)"""
        text = self.inspect('estlookahead')
        if text is None:
            return False, 'estlookahead is not in the plugin', (
                'gst-inspect-1.0 estlookahead, with the build\'s plugin '
                'folder and a private registry, finds no such element')
        props = set(re.findall(r'^  ([a-z][a-z0-9-]*)\s*:', text, re.M))
        missing = [p for p in ('lookahead-depth', 'mode') if p not in props]
        mode = re.search(r'^  mode\s*:.*?(?=^  [a-z]|\Z)', text, re.M | re.S)
        nicks = set(re.findall(r'\(\d+\): (\S+)', mode.group(0))) \
            if mode else set()
        if mode and 'full' not in nicks:
            missing.append('mode=full')
        if missing:
            note = 'estlookahead lacks ' + ', '.join(missing)
            return False, note, note + ' (gst-inspect-1.0 estlookahead)'
        # la-tq needs the target-quality mode and property as well.
        self.lookahead_tq = 'target-quality' in props and \
            'target-quality' in nicks
        if not self.lookahead_tq:
            self.skip('la-tq, target-quality accuracy', 'estlookahead has '
                      'no target-quality mode yet')
        m = re.search(r'^\s*Filename\s+(\S+)', text, re.M)
        note = 'estlookahead from %s' % (m.group(1) if m else '?')
        return True, note, note

    # --- inputs ------------------------------------------------------------

    def probe(self, path):
        p = subprocess.run(
            ['ffprobe', '-v', 'error', '-select_streams', 'v:0',
             '-show_entries', 'stream=width,height,pix_fmt,color_range,'
             'r_frame_rate', '-of', 'json', path],
            stdout=subprocess.PIPE, universal_newlines=True)
        if p.returncode != 0:
            raise RuntimeError('ffprobe failed on ' + path)
        return json.loads(p.stdout)['streams'][0]

    def decode_clip(self, key, file, frames):
        src = os.path.join(self.args.media, file)
        dst = os.path.join(self.tmp, '%s-%d.y4m' % (key, frames))
        if os.path.exists(dst):
            return dst
        st = self.probe(src)
        full = st['pix_fmt'].startswith('yuvj') or \
            st.get('color_range') == 'pc'
        vf = ['-vf', 'scale=out_range=tv'] if full else []
        cmd = ['ffmpeg', '-v', 'error', '-nostdin', '-noautorotate', '-i',
               src, '-map', '0:v:0', '-frames:v', str(frames),
               '-fps_mode', 'passthrough'] + vf + \
            ['-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', '-']
        self.commands.append(' '.join(cmd).replace(self.tmp, '$TMP') +
                             ' > ' + dst.replace(self.tmp, '$TMP'))
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
        write_y4m_from(p.stdout, dst)
        if p.wait() != 0:
            raise RuntimeError('ffmpeg could not decode ' + src)
        if full:
            self.full_range.add(key)
        return dst

    def make_inputs(self):
        args = self.args
        if args.views_clips:
            for key, file in CLIPS:
                if key not in args.clips:
                    continue
                path = self.decode_clip(key, file, args.frames)
                info = y4m_info(path)
                self.views[key] = dict(info, path=path, kind='clip',
                                       label=key, file=file)
        if args.views_mixed:
            tool = os.path.join(args.tools, 'mixed-programme.sh')
            raw = os.path.join(self.tmp, 'mixed-tool.y4m')
            dst = os.path.join(self.tmp, 'mixed.y4m')
            w, h = args.mixed_size
            cmd = ['bash', tool, raw, str(w), str(h), str(args.mixed_frames)]
            self.run(cmd)
            with open(raw, 'rb') as f:
                write_y4m_from(f, dst)
            os.unlink(raw)
            info = y4m_info(dst)
            self.views['mixed'] = dict(
                info, path=dst, kind='mixed', label='mixed programme',
                file='mixed-programme.sh %dx%d, %d frames per clip'
                % (w, h, args.mixed_frames))
        for key, v in self.views.items():
            print('Input %s: %dx%d, %s fps, %d frames%s' % (
                key, v['width'], v['height'], fmt_fps(v), v['frames'],
                ', full range converted to limited' if key in
                self.full_range else ''))

    # --- one encode --------------------------------------------------------

    def encode_and_measure(self, view, lib, preset, kind, value):
        v = self.views[view]
        L = LIBS[lib]
        depth = max(1, int(v['fps'] + 0.5))
        tag = re.sub(r'[^\w.-]', '_', '%s-%s-%s-%s-%s' % (
            view, lib, preset, kind, fmt_q(value)))
        stream = os.path.join(self.tmp, tag + '.' + L['ext'])
        csv = os.path.join(self.tmp, tag + '.csv')
        chain = stage_chain(lib, kind, preset, value, depth)
        enc = ['gst-launch-1.0'] + (['-m'] if kind == 'la-tq' else ['-q']) + \
            ['filesrc', 'location=' + v['path'], '!', 'y4mdec', '!'] + \
            chain + ['!', L['caps'], '!', 'filesink',
                     'location=' + stream]
        meas = ['gst-launch-1.0', '-q', 'filesrc', 'location=' + stream,
                '!', L['parse'], '!', L['decoder'], '!', 'q.dist',
                'filesrc', 'location=' + v['path'], '!', 'y4mdec', '!',
                'q.ref', 'estquality', 'name=q', 'pairing=index',
                'metrics=psnr+ssim+ms-ssim', 'stats-file=' + csv, '!',
                'fakesink']
        wall, cpu, out = self.run(enc)
        self.run(meas)
        frames = read_stats(csv)
        if len(frames) != v['frames']:
            raise RuntimeError('%s: estquality measured %d frames of %d'
                               % (tag, len(frames), v['frames']))
        size = os.path.getsize(stream)
        point = {
            'kind': kind, 'value': value, 'depth': depth,
            'kbps': size * 8 / (v['frames'] / v['fps']) / 1000,
            'bytes': size,
            'psnr_y': statistics.fmean(f['psnr_y'] for f in frames),
            'ssim_db': db(statistics.fmean(f['ssim_y'] for f in frames)),
            'msssim_db': db(statistics.fmean(f['msssim_y']
                                             for f in frames)),
            'cpu': cpu, 'wall': wall,
            'encode': ' '.join(enc).replace(self.tmp, '$TMP'),
            'measure': ' '.join(meas).replace(self.tmp, '$TMP'),
        }
        if kind == 'la-tq':
            point['scenes'] = self.scene_errors(
                parse_scene_messages(out), frames, value)
        if lib == 'x264' and not hasattr(self, 'x264_core'):
            with open(stream, 'rb') as f:
                m = re.search(rb'x264 - core (\d+)', f.read(1 << 16))
            if m:
                self.x264_core = m.group(1).decode()
        if not self.args.keep:
            os.unlink(stream)
            os.unlink(csv)
        return point

    @staticmethod
    def scene_errors(scenes, frames, target):
        out = []
        for s in scenes:
            a = max(0, int(s.get('start-frame', 0)))
            b = min(len(frames), int(s.get('end-frame', 0)))
            if b <= a:
                continue
            measured = db(statistics.fmean(f['msssim_y']
                                           for f in frames[a:b]))
            t = s.get('target-quality', target)
            out.append({'index': s.get('index'), 'start': a, 'end': b,
                        'kind': s.get('kind', '?'), 'target': t,
                        'quality_value': s.get('quality-value'),
                        'measured': measured, 'error': measured - t})
        return {'messages': len(scenes), 'scenes': out}

    # --- one view, one library, one preset ---------------------------------

    def run_view(self, view, lib, preset):
        args = self.args
        kinds = ['cbr', 'zl-cbr']
        if self.lookahead and self.estuary_enc[lib]:
            kinds += [k for k in LOOKAHEAD
                      if k != 'la-tq' or self.lookahead_tq]
        crfs = args.crf or (LIBS[lib]['crf_quick'] if args.quick else
                            LIBS[lib]['crf'])
        res = {k: [] for k in ['crf'] + kinds}
        errors = {}
        head = '%s %s %s' % (view, lib, preset)
        for c in crfs:
            try:
                p = self.encode_and_measure(view, lib, preset, 'crf', c)
            except RuntimeError as e:
                errors['crf'] = str(e)
                print('FAILED %s crf %d: %s' % (head, c, first_line(e)))
                continue
            res['crf'].append(p)
            print_point(head, p)
        if len(res['crf']) < 2:
            self.failures.append('%s: the crf row failed, so there are no '
                                 'rate points: %s' % (
                                     head, first_line(errors.get('crf'))))
            return {'points': res, 'errors': errors}
        rates = [max(1, int(round(p['kbps']))) for p in res['crf']]
        tqs = args.tq or [round(p['msssim_db'], 2) for p in res['crf']]
        # Interleaved: every contender at one point before the next point.
        for i in range(max(len(rates), len(tqs))):
            for kind in kinds:
                vals = tqs if kind == 'la-tq' else rates
                if i >= len(vals) or kind in errors:
                    continue
                try:
                    p = self.encode_and_measure(view, lib, preset, kind,
                                                vals[i])
                except RuntimeError as e:
                    errors[kind] = str(e)
                    print('FAILED %s %s: %s' % (head, kind, first_line(e)))
                    continue
                res[kind].append(p)
                print_point(head, p)
        for kind, e in errors.items():
            self.failures.append('%s %s: %s' % (head, kind, first_line(e)))
        return {'points': res, 'errors': errors}

    # --- analysis cost -----------------------------------------------------

    def measure_cost(self):
        args = self.args
        if not (self.lookahead and self.estuary_enc.get('x264')):
            return None
        src = self.decode_clip(COST_CLIP, dict(CLIPS)[COST_CLIP], 10000)
        path = os.path.join(self.tmp, 'cost.y4m')
        ping_pong(src, path, args.cost_frames)
        info = y4m_info(path)
        bitrate = 6000
        head = ['gst-launch-1.0', '-q', 'filesrc', 'location=' + path, '!',
                'y4mdec', '!']
        cmds = {
            'base': head + ['fakesink'],
            'lookahead': head + ['estlookahead', 'lookahead-depth=25', '!',
                                 'fakesink'],
            'encode': head + ['esth264enc', 'rate-control=cbr',
                              'bitrate=%d' % bitrate,
                              'speed-preset=veryfast', 'tune=zerolatency',
                              'b-frames=0', 'vbv-buf-capacity=1000', '!',
                              'fakesink'],
        }
        print('\n== analysis cost: %s, %d frames 1080p, %d repeats'
              % (COST_CLIP, info['frames'], args.cost_repeats))
        for cmd in cmds.values():
            print('   ' + ' '.join(cmd).replace(self.tmp, '$TMP'))
            self.run(cmd)    # warm-up: page cache, registry, libraries
        cpu = {k: [] for k in cmds}
        for i in range(args.cost_repeats):
            for k, cmd in cmds.items():
                cpu[k].append(self.run(cmd)[1])
            print('   run %d: base %.2f s, lookahead %.2f s, encode %.2f s '
                  'CPU' % (i + 1, cpu['base'][-1], cpu['lookahead'][-1],
                           cpu['encode'][-1]))
        med = {k: statistics.median(v) for k, v in cpu.items()}
        la = med['lookahead'] - med['base']
        enc = med['encode'] - med['base']
        pairs = [(l_ - b) / (e - b) for b, l_, e in
                 zip(cpu['base'], cpu['lookahead'], cpu['encode']) if e > b]
        paired = statistics.median(pairs) if pairs else float('nan')
        return {'frames': info['frames'], 'cpu': cpu, 'median': med,
                'ratio': la / enc if enc > 0 else float('nan'),
                'paired': paired,
                'commands': [' '.join(c).replace(self.tmp, '$TMP')
                             for c in cmds.values()]}

    # --- main --------------------------------------------------------------

    def main(self):
        args = self.args
        self.copy_plugin()
        self.check_elements()
        print('Plugin: %s; %s' % (self.plugin_note, self.lookahead_note))
        self.load_start = loadavg()
        self.make_inputs()
        order = [k for k in ('mixed',) if k in self.views] + \
            [k for k, _ in CLIPS if k in self.views]
        for lib in self.libs:
            for preset in args.presets:
                key = '%s %s' % (lib, preset)
                print('\n== %s' % key)
                self.results[key] = {}
                for view in order:
                    self.results[key][view] = self.run_view(view, lib,
                                                            preset)
        if not args.no_cost:
            try:
                self.cost = self.measure_cost()
            except RuntimeError as e:
                self.failures.append('analysis cost: ' + first_line(e))
        self.load_end = loadavg()
        self.minutes = (time.time() - self.started) / 60
        self.analyse()
        stem = os.path.splitext(os.path.abspath(args.out))[0]
        os.makedirs(os.path.dirname(stem), exist_ok=True)
        self.plots = self.plot(stem)
        text = self.report(stem)
        print()
        print(text)
        with open(args.out, 'w') as f:
            f.write(text)
        with open(stem + '-commands.txt', 'w') as f:
            f.write('\n'.join(self.commands) + '\n')
        with open(stem + '.json', 'w') as f:
            json.dump({'views': {k: {x: y for x, y in v.items()
                                     if x != 'path'}
                                 for k, v in self.views.items()},
                       'results': self.results, 'bd': {
                           '|'.join(k): v for k, v in self.bd.items()},
                       'cost': self.cost}, f, indent=1)
        print('Written to %s (commands: %s-commands.txt, data: %s.json)'
              % (args.out, stem, stem))
        return 0

    # --- analysis ----------------------------------------------------------

    def analyse(self):
        """BD-rates: self.bd[(lp, view, kind, anchor, metric)] = % or an
        error string."""
        self.bd = {}
        for lp, views in self.results.items():
            for view, r in views.items():
                pts = r['points']
                for anchor in ANCHORS:
                    for kind in CONTENDERS:
                        if kind == anchor or not pts.get(kind) or \
                                not pts.get(anchor):
                            continue
                        for metric, _ in METRICS:
                            a = [(p['kbps'], p[metric]) for p in pts[anchor]]
                            t = [(p['kbps'], p[metric]) for p in pts[kind]]
                            try:
                                v = bd_rate(a, t)
                            except BDRateError as e:
                                v = str(e)
                            self.bd[(lp, view, kind, anchor, metric)] = v

    def clip_mean(self, lp, kind, anchor, metric):
        vals = [self.bd.get((lp, k, kind, anchor, metric))
                for k, _ in CLIPS if k in self.views]
        nums = [v for v in vals if isinstance(v, float)]
        if not nums:
            return None, 0
        return statistics.fmean(nums), len(nums)

    def tq_errors(self, lp, kinds_of_view):
        errs = []
        messages = 0
        for view, r in self.results[lp].items():
            if self.views[view]['kind'] not in kinds_of_view:
                continue
            for p in r['points'].get('la-tq', []):
                messages += p['scenes']['messages']
                errs += [s['error'] for s in p['scenes']['scenes']]
        return errs, messages

    def goals(self, lp):
        """(goal, figure, verdict) rows for one library and preset."""
        rows = []
        have_la = any(r['points'].get('la-full')
                      for r in self.results[lp].values())
        missing = 'not run: ' + self.lookahead_note if not self.lookahead \
            else 'not run'

        def bd_cell(view, anchor):
            v = self.bd.get((lp, view, 'la-full', anchor, 'msssim_db'))
            return v

        quick = ' (--quick material)' if self.args.quick else ''
        if 'mixed' in self.views:
            for anchor, test, text in (
                    ('zl-cbr', lambda x: x <= GOAL_MIXED_VS_ZL, '<= -30 %'),
                    ('crf', lambda x: x < GOAL_MIXED_VS_CRF, '< 0 %')):
                name = ('mixed programme, MS-SSIM: la-full BD-rate vs %s %s'
                        % (anchor, text)) + quick
                v = bd_cell('mixed', anchor)
                if not have_la:
                    rows.append((name, '-', missing))
                elif isinstance(v, float):
                    rows.append((name, '%+.1f %%' % v,
                                 verdict(test(v))))
                else:
                    rows.append((name, 'n/a', 'no figure: %s' % v))
        clips = [k for k, _ in CLIPS if k in self.views]
        if clips:
            name = ('every clip, MS-SSIM: la-full no worse than zl-cbr by '
                    'more than 2 %% BD-rate (%d of %d clips)'
                    % (len(clips), len(CLIPS))) + quick
            vals = [(k, self.bd.get((lp, k, 'la-full', 'zl-cbr',
                                     'msssim_db'))) for k in clips]
            nums = [(v, k) for k, v in vals if isinstance(v, float)]
            if not have_la:
                rows.append((name, '-', missing))
            elif not nums:
                rows.append((name, 'n/a', 'no figure'))
            else:
                worst, wk = max(nums)
                bad = [k for k, v in vals if not isinstance(v, float)]
                rows.append((name, 'worst %s %+.1f %%%s' % (
                    wk, worst, ('; no figure for ' + ', '.join(bad))
                    if bad else ''), verdict(worst <= GOAL_CLIP_WORST)))
        errs, messages = self.tq_errors(lp, ('mixed', 'clip'))
        name = ('target-quality accuracy: mean |measured - target| <= '
                '0.5 dB, p90 <= 1.5 dB') + quick
        if not any(r['points'].get('la-tq')
                   for r in self.results[lp].values()):
            rows.append((name, '-', missing))
        elif not errs:
            rows.append((name, 'no scenes (%d estlookahead-scene messages)'
                         % messages, '**fail**'))
        else:
            mean = statistics.fmean(abs(e) for e in errs)
            p90 = percentile([abs(e) for e in errs], 90)
            rows.append((name, 'mean %.2f dB, p90 %.2f dB over %d scenes'
                         % (mean, p90, len(errs)),
                         verdict(mean <= GOAL_TQ_MEAN and p90 <= GOAL_TQ_P90)))
        return rows

    # --- plots -------------------------------------------------------------

    def plot(self, stem):
        try:
            import matplotlib
            matplotlib.use('Agg')
            import matplotlib.pyplot as plt
            import matplotlib.ticker as ticker
        except ImportError:
            self.note('No plots: %s cannot import matplotlib (Debian: '
                      'python3-matplotlib, for /usr/bin/python3).'
                      % sys.executable)
            return []
        style = {'cbr': ('tab:blue', 'o', '-'),
                 'crf': ('tab:green', 's', '-'),
                 'zl-cbr': ('black', 'D', '--'),
                 'la-full': ('tab:red', '^', '-'),
                 'la-tq': ('tab:purple', 'v', '-')}

        def curves(ax, pts, metric, title):
            for kind in CONTENDERS:
                ps = sorted(pts.get(kind, []), key=lambda p: p['kbps'])
                if not ps:
                    continue
                c, mk, ls = style[kind]
                ax.plot([p['kbps'] for p in ps], [p[metric] for p in ps],
                        color=c, marker=mk, linestyle=ls, markersize=4,
                        label='%s: %s' % (kind, LABEL[kind]))
            ax.set_xscale('log')
            ax.xaxis.set_major_formatter(ticker.FormatStrFormatter('%g'))
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
            ax.set_title(title, fontsize=9)
            ax.set_xlabel('kbit/s', fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(True, which='both', alpha=0.3)

        written = []
        for lp, views in self.results.items():
            slug = lp.replace(' ', '-')
            if 'mixed' in views:
                fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
                for ax, (metric, name) in zip(axes, METRICS):
                    curves(ax, views['mixed']['points'], metric,
                           'mixed programme, %s, %s' % (lp, name))
                    ax.set_ylabel(name, fontsize=8)
                axes[0].legend(fontsize=7, loc='lower right')
                fig.tight_layout()
                path = '%s-%s-mixed.png' % (stem, slug)
                fig.savefig(path, dpi=110)
                plt.close(fig)
                written.append(path)
            clips = [k for k, _ in CLIPS if k in views]
            if clips:
                cols = min(3, len(clips))
                rows = (len(clips) + cols - 1) // cols
                fig, axes = plt.subplots(rows, cols, squeeze=False,
                                         figsize=(5 * cols, 3.8 * rows))
                for i, k in enumerate(clips):
                    ax = axes[i // cols][i % cols]
                    curves(ax, views[k]['points'], 'msssim_db',
                           '%s, %s' % (k, lp))
                    ax.set_ylabel('MS-SSIM dB', fontsize=8)
                for j in range(len(clips), rows * cols):
                    axes[j // cols][j % cols].axis('off')
                axes[0][0].legend(fontsize=7, loc='lower right')
                fig.tight_layout()
                path = '%s-%s-clips.png' % (stem, slug)
                fig.savefig(path, dpi=100)
                plt.close(fig)
                written.append(path)
        return written

    # --- report ------------------------------------------------------------

    def report(self, stem):
        args = self.args
        lines = [
            '# Compression: content-aware rate control against the '
            'library anchors',
            '',
            'Generated by `bench/compression.py%s` on %s, %s, %d CPUs (%s), '
            'GStreamer %s, FFmpeg %s%s, in %.1f minutes.' % (
                ' --quick' if args.quick else '', time.strftime('%Y-%m-%d'),
                platform.machine(), os.cpu_count(), cpu_model(),
                gst_version(), ffmpeg_version(),
                ', x264 core ' + self.x264_core if hasattr(
                    self, 'x264_core') else '', self.minutes),
            'Plugin: %s; %s.' % (self.plugin_note, self.lookahead_note),
            'Machine load (/proc/loadavg 1, 5, 15 min): %s at the start, '
            '%s at the end (the figures are bits and quality, not time).'
            % (self.load_start, self.load_end),
            '',
            'Material: %s.' % self.material_note(),
            '',
            'Method: each contender encodes the raw file; kbit/s = file '
            'bytes * 8 / (frames / fps); estquality (pairing=index) '
            'measures the avdec decode against the same raw file: PSNR-Y '
            'is the mean of per-frame values, SSIM and MS-SSIM dB are '
            '-10 log10(1 - mean of per-frame values). The crf row runs '
            'first; its bitrates are the cbr rows\' bitrates and its '
            'MS-SSIM dB the la-tq targets%s. BD-rate: PCHIP of log10 rate '
            'over quality, exact integral over the overlapping quality '
            'interval (bench/bdrate.py); negative = fewer bits than the '
            'anchor at equal quality. "mean of clips": the mean of the '
            'clips\' BD-rates.' % (
                '' if not args.tq else ' (here --tq: %s)'
                % ', '.join(fmt_q(q) for q in args.tq)),
            '',
        ]
        for lp, views in self.results.items():
            lines += self.report_lp(lp, views)
        lines += self.report_cost()
        if self.plots:
            lines += ['## RD curves', '']
            for p in self.plots:
                lines.append('![%s](%s)' % (os.path.basename(p),
                                            os.path.basename(p)))
            lines.append('')
        lines += ['## Notes', '']
        notes = list(self.notes)
        notes.append(
            'Every row with a VBV has a 1 s one (vbv-buf-capacity=1000; '
            'x265enc: vbv-bufsize = the bitrate). la-full and la-tq: '
            'lookahead-depth = one second of frames (the frame rate, '
            'rounded). The la rows are the Estuary encoder of the same '
            'library and preset as the anchors.')
        if 'x264' in self.libs:
            notes.append(
                'x264: crf is x264enc pass=qual (quantizer = the CRF) with '
                'psy-tune=ssim, the best tune for MS-SSIM (the SSIM and '
                'PSNR columns use the same encodes); x264enc always caps '
                'crf with a VBV at `bitrate`, so bitrate=2048000 (its '
                'largest) puts the cap out of reach; aud=false on every '
                'x264enc row, as Estuary writes no access unit '
                'delimiters.')
        if 'x265' in self.libs:
            notes.append(
                'x265: cbr is x265enc ABR with vbv-maxrate = vbv-bufsize = '
                'the bitrate and strict-cbr, as esth265enc\'s cbr; '
                'x265enc\'s default tune, ssim, is kept and written out '
                'in the cbr and crf rows; zl-cbr has tune=zerolatency '
                '(x265enc takes one tune) and bframes=0; x265enc keeps '
                'x265\'s quantisation group of 32 where esth265enc uses '
                '16 for its per-block offsets.')
        for f in self.failures:
            notes.append('FAILED ' + f)
        for n in notes:
            lines.append('- ' + n)
        if self.skipped:
            lines += ['', 'Skipped: ' + '; '.join(self.skipped) + '.']
        lines += ['', '## Commands', '',
                  'Per view, library and preset: the crf row at each CRF, '
                  'then each point\'s cbr, zl-cbr, la-full and la-tq. One '
                  'point of each contender on the first view (`$TMP` is '
                  'the temporary folder; the other points differ in the '
                  'value in the RD points table); every command run is in '
                  '`%s-commands.txt`.' % os.path.basename(stem), '', '```']
        shown = set()
        for lp, views in self.results.items():
            for view, r in views.items():
                for kind in CONTENDERS:
                    if (lp, kind) in shown or not r['points'].get(kind):
                        continue
                    shown.add((lp, kind))
                    p = r['points'][kind][0]
                    lines.append('# %s, %s, %s (%s)' % (lp, kind, view,
                                                        LABEL[kind]))
                    lines.append(p['encode'])
                    if kind == 'crf':
                        lines.append(p['measure'])
        if self.cost:
            lines.append('# analysis cost')
            lines += self.cost['commands']
        lines += ['```', '']
        return '\n'.join(lines)

    def material_note(self):
        parts = []
        if 'mixed' in self.views:
            v = self.views['mixed']
            parts.append('the mixed programme (%s: %dx%d, %s fps, %d '
                         'frames)' % (v['file'], v['width'], v['height'],
                                      fmt_fps(v), v['frames']))
        clips = [k for k, _ in CLIPS if k in self.views]
        if clips:
            parts.append('per clip, first %d frames: %s' % (
                self.args.frames, ', '.join(
                    '%s %dx%d %s fps %d frames%s' % (
                        k, self.views[k]['width'], self.views[k]['height'],
                        fmt_fps(self.views[k]), self.views[k]['frames'],
                        ' (full range, converted to limited)'
                        if k in self.full_range else '')
                    for k in clips)))
        return '; '.join(parts) or 'none'

    def report_lp(self, lp, views):
        lines = ['## %s' % lp, '', '### Goals', '',
                 '| goal | figure | verdict |', '|---|---|---|']
        for name, fig, v in self.goals(lp):
            lines.append('| %s | %s | %s |' % (name, fig, v))
        lines += ['', '### BD-rate (%)', '',
                  'Negative: fewer bits than the anchor at equal quality. '
                  'Goal column: the goal that applies to the row.', '',
                  '| view | contender | vs zl-cbr: MS-SSIM | SSIM | PSNR-Y '
                  '| vs crf: MS-SSIM | SSIM | PSNR-Y | goal |',
                  '|---|---|---:|---:|---:|---:|---:|---:|---|']
        order = [k for k in ('mixed',) if k in views] + \
            [k for k, _ in CLIPS if k in views]
        bd_notes = {}
        for view in order:
            for kind in CONTENDERS:
                if not views[view]['points'].get(kind):
                    continue
                cells = []
                for anchor in ANCHORS:
                    for metric, _ in METRICS:
                        v = self.bd.get((lp, view, kind, anchor, metric))
                        if kind == anchor:
                            cells.append('-')
                        elif isinstance(v, float):
                            cells.append('%+.1f' % v)
                        elif v is None:
                            cells.append('')
                        else:
                            cells.append('n/a')
                            why = bd_notes.setdefault((view, kind, v), [])
                            why.append('vs %s, %s' % (
                                anchor, dict(METRICS)[metric]))
                lines.append('| %s | %s | %s | %s |' % (
                    'mixed programme' if view == 'mixed' else view, kind,
                    ' | '.join(cells), self.goal_cell(lp, view, kind)))
        clips = [k for k, _ in CLIPS if k in views]
        if len(clips) > 1:
            for kind in CONTENDERS:
                cells = []
                n_max = 0
                for anchor in ANCHORS:
                    for metric, _ in METRICS:
                        if kind == anchor:
                            cells.append('-')
                            continue
                        m, n = self.clip_mean(lp, kind, anchor, metric)
                        n_max = max(n_max, n)
                        cells.append('%+.1f' % m if m is not None else '')
                if n_max:
                    lines.append('| mean of %d clips | %s | %s | |' % (
                        n_max, kind, ' | '.join(cells)))
        lines.append('')
        for (view, kind, why), where in bd_notes.items():
            lines.append('- n/a, %s %s (%s): %s' % (
                view, kind, ', '.join(where), why))
        if bd_notes:
            lines.append('')
        lines += self.report_tq(lp, views)
        lines += ['### RD points', '',
                  '| view | contender | setting | kbit/s | PSNR-Y '
                  '| SSIM dB | MS-SSIM dB | encode CPU s |',
                  '|---|---|---|---:|---:|---:|---:|---:|']
        for view in order:
            for kind in CONTENDERS:
                for p in sorted(views[view]['points'].get(kind, []),
                                key=lambda p: p['kbps']):
                    setting = {
                        'crf': 'crf %s' % fmt_q(p['value']),
                        'la-tq': 'target %s dB' % fmt_q(p['value']),
                    }.get(kind, '%d kbit/s' % p['value'])
                    lines.append(
                        '| %s | %s | %s | %.0f | %.2f | %.2f | %.2f | %.1f |'
                        % ('mixed programme' if view == 'mixed' else view,
                           kind, setting, p['kbps'], p['psnr_y'],
                           p['ssim_db'], p['msssim_db'], p['cpu']))
        lines.append('')
        return lines

    def goal_cell(self, lp, view, kind):
        if kind != 'la-full':
            return ''
        if view == 'mixed':
            out = []
            for anchor, test, text in (
                    ('zl-cbr', lambda x: x <= GOAL_MIXED_VS_ZL,
                     'vs zl-cbr <= -30'),
                    ('crf', lambda x: x < GOAL_MIXED_VS_CRF, 'vs crf < 0')):
                v = self.bd.get((lp, view, kind, anchor, 'msssim_db'))
                if isinstance(v, float):
                    out.append('%s: %s' % (text, verdict(test(v))))
            return '; '.join(out)
        v = self.bd.get((lp, view, kind, 'zl-cbr', 'msssim_db'))
        if isinstance(v, float):
            return 'vs zl-cbr <= +2: %s' % verdict(v <= GOAL_CLIP_WORST)
        return ''

    def report_tq(self, lp, views):
        rows = []
        for label, kinds in (('mixed programme', ('mixed',)),
                             ('clips', ('clip',)),
                             ('all', ('mixed', 'clip'))):
            errs, messages = self.tq_errors(lp, kinds)
            if not messages and not errs:
                continue
            if not errs:
                rows.append('| %s | %d | 0 | | | | |' % (label, messages))
                continue
            a = [abs(e) for e in errs]
            rows.append('| %s | %d | %d | %+.2f | %.2f | %.2f | %.2f |' % (
                label, messages, len(errs), statistics.fmean(errs),
                statistics.fmean(a), percentile(a, 90), max(a)))
        lines = ['### Target-quality accuracy (la-tq)', '']
        if not rows:
            lines += ['Not measured: %s.' % (
                self.lookahead_note if not self.lookahead else
                'no la-tq encode ran'), '']
            return lines
        lines += ['Per scene (estlookahead-scene messages): measured '
                  'MS-SSIM dB = -10 log10(1 - mean msssim-y of the scene\'s '
                  'frames) against the message\'s target-quality. Goals: '
                  'mean |error| <= 0.5 dB, p90 <= 1.5 dB.', '',
                  '| material | messages | scenes measured | mean error dB '
                  '| mean abs dB | p90 abs dB | max abs dB |',
                  '|---|---:|---:|---:|---:|---:|---:|'] + rows + ['']
        return lines

    def report_cost(self):
        lines = ['## Analysis cost', '']
        c = self.cost
        if c is None:
            why = 'not measured: ' + (
                '--no-cost' if self.args.no_cost else
                self.lookahead_note if not self.lookahead else
                'esth264enc is not in the plugin')
            return lines + [why[0].upper() + why[1:] + '.', '']
        r = c['ratio']
        lines += [
            'CPU time (user + sys) of estlookahead lookahead-depth=25 on '
            '%s 1080p25, %d frames, as a share of the x264 veryfast '
            'zero-latency cbr encode (esth264enc) of the same input, '
            'each minus the bare read-and-discard pipeline; medians of %d '
            'interleaved runs after a warm-up. Goal < 20 %%, aim 10 %%.'
            % (COST_CLIP, c['frames'], len(c['cpu']['base'])), '',
            '| read + parse s | + estlookahead s | + esth264enc s '
            '| estlookahead / encode | paired runs | verdict |',
            '|---:|---:|---:|---:|---:|---|',
            '| %.2f | %.2f | %.2f | %.1f %% | %.1f %% | %s |' % (
                c['median']['base'], c['median']['lookahead'],
                c['median']['encode'], 100 * r, 100 * c['paired'],
                verdict(r < GOAL_COST) + (' (aim 10 %%: %s)' % (
                    'met' if r <= AIM_COST else 'not met'))),
            '']
        return lines


def read_stats(path):
    rows = []
    with open(path) as f:
        header = f.readline().strip().split(',')
        for line in f:
            if not line.strip():
                continue
            vals = dict(zip(header, line.strip().split(',')))
            rows.append({k: float(vals[k]) for k in
                         ('psnr_y', 'ssim_y', 'msssim_y')})
    return rows


def fmt_fps(v):
    if v['fps_den'] == 1:
        return str(v['fps_num'])
    return '%.3g' % v['fps']


def first_line(e):
    return str(e).strip().split('\n')[0] if e else ''


def verdict(ok):
    return 'pass' if ok else '**fail**'


def print_point(head, p):
    setting = {'crf': 'crf %s' % fmt_q(p['value']),
               'la-tq': 'target %s dB' % fmt_q(p['value'])}.get(
        p['kind'], '%d kbit/s' % p['value'])
    extra = ''
    if 'scenes' in p:
        s = p['scenes']['scenes']
        extra = ', %d scenes%s' % (len(s), ', mean |error| %.2f dB' % (
            statistics.fmean(abs(x['error']) for x in s)) if s else '')
    print('   %s %-7s %-14s %8.1f kbit/s  MS-SSIM %6.2f dB  SSIM %6.2f dB  '
          'PSNR-Y %6.2f  (encode %.1f s CPU)%s' % (
              head, p['kind'], setting, p['kbps'], p['msssim_db'],
              p['ssim_db'], p['psnr_y'], p['cpu'], extra))


def number_list(text, kind=float):
    return [kind(x) for x in text.split(',') if x.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true',
                    help='2 clips of 30 frames, a 640x360 mixed programme of '
                    '12 frames per clip, 4 rate points, 3 cost repeats')
    ap.add_argument('--build', default='build',
                    help='build folder, relative to the repository root')
    ap.add_argument('--media', default=None,
                    help='test media folder (default ../shared/media next to '
                    'the repository)')
    ap.add_argument('--tools', default=None,
                    help='folder of mixed-programme.sh (default '
                    '../shared/tools)')
    ap.add_argument('--plugin-path', default='',
                    help='more plugin folders, after the build\'s, '
                    'separated by ":"')
    ap.add_argument('--libs', default='x264',
                    help='comma-separated subset of x264,x265')
    ap.add_argument('--presets', default='veryfast',
                    help='comma-separated speed presets, e.g. '
                    'veryfast,medium')
    ap.add_argument('--clips', default=None,
                    help='comma-separated clips of the per-clip view '
                    '(default: all nine; --quick: %s)'
                    % ','.join(QUICK_CLIPS))
    ap.add_argument('--frames', type=int, default=None,
                    help='frames per clip in the per-clip view (60; '
                    '--quick 30)')
    ap.add_argument('--mixed-size', default=None,
                    help='WxH of the mixed programme (1280x720; --quick '
                    '640x360)')
    ap.add_argument('--mixed-frames', type=int, default=None,
                    help='frames per clip in the mixed programme (60; '
                    '--quick 12)')
    ap.add_argument('--crf', default=None,
                    help='CRF values of the crf row, which set the rate '
                    'points (x264 19,23,27,31,35; x265 21,25,29,33,37; '
                    '--quick: 4 of them)')
    ap.add_argument('--tq', default=None,
                    help='target qualities (MS-SSIM dB) of the la-tq row '
                    '(default: the crf row\'s measured MS-SSIM dB)')
    ap.add_argument('--no-clips', action='store_true',
                    help='leave out the per-clip view')
    ap.add_argument('--no-mixed', action='store_true',
                    help='leave out the mixed programme')
    ap.add_argument('--no-cost', action='store_true',
                    help='leave out the analysis cost')
    ap.add_argument('--cost-frames', type=int, default=None,
                    help='frames of the cost input (216; --quick 54)')
    ap.add_argument('--cost-repeats', type=int, default=None,
                    help='interleaved cost runs (5; --quick 3)')
    ap.add_argument('--out', default=os.path.join(ROOT, 'bench', 'results',
                                                  'compression.md'))
    ap.add_argument('--keep', action='store_true',
                    help='keep the temporary folder (inputs, streams, '
                    'stats)')
    args = ap.parse_args()
    q = args.quick
    args.build = os.path.join(ROOT, args.build)
    if args.media is None:
        args.media = os.path.join(ROOT, '..', 'shared', 'media')
    if args.tools is None:
        args.tools = os.path.join(ROOT, '..', 'shared', 'tools')
    args.plugin_path = [os.path.abspath(p) for p in
                        args.plugin_path.split(':') if p]
    args.libs = [x for x in args.libs.split(',') if x]
    if not args.libs or not set(args.libs) <= set(LIBS):
        ap.error('--libs takes x264 and x265')
    args.presets = [x for x in args.presets.split(',') if x]
    known = [k for k, _ in CLIPS]
    args.clips = (args.clips.split(',') if args.clips else
                  QUICK_CLIPS if q else known)
    if not set(args.clips) <= set(known):
        ap.error('--clips takes ' + ','.join(known))
    args.frames = args.frames or (30 if q else 60)
    size = args.mixed_size or ('640x360' if q else '1280x720')
    try:
        args.mixed_size = tuple(int(x) for x in size.split('x'))
    except ValueError:
        ap.error('--mixed-size takes WxH')
    args.mixed_frames = args.mixed_frames or (12 if q else 60)
    args.crf = number_list(args.crf, int) if args.crf else None
    args.tq = number_list(args.tq) if args.tq else None
    for name, vals in (('--crf', args.crf), ('--tq', args.tq)):
        if vals is not None and len(vals) < 2:
            ap.error('%s needs two values or more (four for the goals)'
                     % name)
    args.cost_frames = args.cost_frames or (54 if q else 216)
    args.cost_repeats = args.cost_repeats or (3 if q else 5)
    args.views_clips = not args.no_clips
    args.views_mixed = not args.no_mixed
    for tool in ('gst-launch-1.0', 'gst-inspect-1.0', 'ffmpeg', 'ffprobe'):
        if not shutil.which(tool):
            sys.exit('%s is not installed' % tool)
    if not os.path.isdir(args.media):
        print('No media folder at %s: nothing to measure (the compression '
              'benchmark needs the real clips).' % args.media)
        return 0
    if args.views_mixed and not os.path.exists(
            os.path.join(args.tools, 'mixed-programme.sh')):
        sys.exit('No mixed-programme.sh in %s (--tools, or --no-mixed)'
                 % args.tools)

    # On SIGTERM, end the running command and remove the temporary folder.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Inputs: about 0.7 GB for the full mixed programme, 1 GB for the
    # clips; /dev/shm only when it has room to spare.
    base = '/dev/shm' if os.path.isdir('/dev/shm') else None
    if base:
        st = os.statvfs(base)
        if st.f_bavail * st.f_frsize < (4 << 30):
            base = None
    tmp = tempfile.mkdtemp(prefix='estuary-bench-compression-', dir=base)
    try:
        return Bench(args, tmp).main()
    finally:
        if args.keep:
            print('Kept ' + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
