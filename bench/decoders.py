#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
"""estdec against the decoders GStreamer and FFmpeg use today.

The claims under test, each decoder on the same input with the same
thread count, in the same run:

  H.264  estdec  against avdec_h264 (gst-libav): fps ratio >= 0.95
  HEVC   estdec  against avdec_h265 (gst-libav): fps ratio >= 0.95
  AV1    estdec  against av1dec (gst-plugins-bad, libaom), the decoder
                 GStreamer 1.22's decodebin picks without Estuary: >= 2.0x,
                 and against FFmpeg's libdav1d (ffmpeg -c:v libdav1d), the
                 same dav1d through the same libavcodec wrapper: >= 0.95

estdec and the gst-libav decoders run libavcodec's h264 and hevc
decoders; estdec's AV1 is libavcodec's libdav1d wrapper, as FFmpeg's.

Pipelines, the same except for the decoder (T = --threads, default 2):

  filesrc ! h264parse | h265parse | ivfparse ! av1parse
      ! estdec max-threads=T | avdec_h26x max-threads=T | av1dec
      ! fakesink sync=false | fakevideosink sync=false
  ffmpeg -benchmark -threads T -c:v libdav1d -i STREAM.ivf -f null -

av1dec has no thread setting: GStreamer passes libaom no configuration,
and libaom then decodes on one thread. AV1 streams therefore get a second
row where estdec and FFmpeg run with one thread too (--no-one-thread
leaves it out).

The sinks decide whether the decoders copy. fakesink does not answer the
allocation query with GstVideoMeta: estdec then copies each picture into
GStreamer's default layout, and avdec_h264/h265 copy each picture out of
their own direct-rendering pool (get_output_buffer) too. fakevideosink
(gst-plugins-bad) accepts GstVideoMeta, as real video sinks do: estdec
pushes the buffers libavcodec decoded into, avdec renders into
downstream's pool. But GstVideoDecoder's finish_frame makes the output
buffer writable, and a picture libavcodec still holds as a reference and
keeps mapped for writing cannot share its memory (gst-libav's
get_buffer2 does; estdec maps a finished picture for reading only), so
GStreamer copies it whole into new memory: an implicit copy, logged by
the GST_PERFORMANCE category ("_sysmem_copy: memcpy").
For AV1, estdec pushes the pictures dav1d allocated from its own pool,
wrapped without a copy (one copy with fakesink, as for H.264); av1dec
always copies out of libaom's image; FFmpeg's -f null copies nothing. Which path each decoder took is
checked, not assumed: a first, untimed run of each decoder and sink logs
(GST_DEBUG=basesink:6,estdec:5,libav:6,GST_PERFORMANCE:5) how many
frames reached the sink, what estdec decided ("downstream reads / does
not read GstVideoMeta"), how many pictures avdec copied ("get output
buffer") and how many whole pictures GStreamer copied implicitly;
FFmpeg's frame count comes from its own statistics.

Speed is frames / second from the wall time of the whole command
(process start, plugin loading, preroll, decode, teardown: nothing
subtracted), median of --repeats runs interleaved anchor, estdec, anchor,
estdec... per stream. Also printed: the ratio from the time between
PLAYING and EOS (gst-launch-1.0's "Execution ended after") and FFmpeg's
-benchmark rtime, which leave out start-up; the CPU time of each side
(user + system, from the kernel's child accounting) and its ratio, which
load from other processes disturbs less; the median of run-by-run ratios
(each estdec run against the anchor run just before it); the spread of
the runs ((max - min) / median); and, in each repeat, each side's bare
read-and-parse command (filesrc ! parse ! fakesink; ffmpeg -c copy -f
null), printed as the share of the decode's time that is start-up and
input. The machine's load is read from /proc/loadavg before and after,
and the CPU time other processes used during each stream from /proc/stat.

Inputs, made once per run in a temporary folder (on /dev/shm when there
is one): graffiti_1080p60_h264_dvp9.mp4 from --media (default
../shared/media next to the repository) decoded once to raw I420, played
forwards then backwards to --frames-1080 frames (120), and encoded with
FFmpeg at 1080p and, scaled up with -vf scale=3840:2160, at 4K (first
--frames-4k frames, 60): libx264 preset medium, libx265 preset fast,
libsvtav1 preset 8, each at 8 Mbit/s (1080p) and 25 Mbit/s (4K) with the
encoders' default B-frames / mini-GOP and a 120-frame key-frame interval.
H.264 and HEVC are Annex-B elementary streams, AV1 is IVF. Then the
clips that are already H.264, HEVC or AV1, their own bitstreams copied
out of the container (looped where shorter, cut to the same frame counts):
concert_lowlight (H.264 1080p50), panel_4k60 (H.264 4K), hdr10_rooftops
(HEVC Main 10 1080p, HDR10+), hdr10_mountains (AV1 10-bit 1080p).
Without the media folder, videotestsrc is the source (the table says so;
its figures are not representative) and the clip rows are left out.

Run from anywhere, after building:

    bench/decoders.py [--build build] [--media DIR] [--repeats 5]
                      [--threads 2] [--codecs h264,h265,av1]
                      [--sinks fakesink,fakevideosink] [--no-clips]
                      [--streams h265-1080p,av1-4k,...]
                      [--no-one-thread] [--frames-1080 120] [--frames-4k 60]
                      [--out bench/results/decoders.md] [--keep]

The Estuary plugin comes from --build (relative to the repository root):
its .so files are copied into the temporary folder at the start, so that
a rebuild during the run changes nothing, and a private registry is used.
Needs gst-launch-1.0 with h264parse, h265parse, ivfparse, av1parse,
avdec_h264, avdec_h265 and av1dec, and ffmpeg and ffprobe with libx264,
libx265, libsvtav1 and libdav1d; what is missing is skipped with a SKIP
line.
"""

import argparse
import glob
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SOURCE_CLIP = {
    'file': 'graffiti_1080p60_h264_dvp9.mp4',
    'label': 'graffiti_1080p60_h264_dvp9.mp4 (1920x1080, 59.94 fps, '
             'H.264, very high texture detail)',
    'width': 1920,
    'height': 1080,
    'fps': 60,
}
KEYINT = 120
# kbit/s per resolution, the same for the three codecs.
BITRATE = {'1080p': 8000, '4K': 25000}

CODECS = {
    'h264': {
        'name': 'H.264', 'ext': '264', 'fmt': 'h264',
        'parse': ['h264parse'],
        'anchor': 'avdec_h264', 'anchor_threads': True,
        'encoder': 'libx264',
        'encode': lambda kbps: [
            '-c:v', 'libx264', '-preset', 'medium',
            '-b:v', '%dk' % kbps, '-maxrate', '%dk' % (kbps * 3 // 2),
            '-bufsize', '%dk' % (kbps * 2), '-g', str(KEYINT)],
        'encode_note': 'libx264 preset medium (3 B-frames)',
    },
    'h265': {
        'name': 'HEVC', 'ext': '265', 'fmt': 'hevc',
        'parse': ['h265parse'],
        'anchor': 'avdec_h265', 'anchor_threads': True,
        'encoder': 'libx265',
        'encode': lambda kbps: [
            '-c:v', 'libx265', '-preset', 'fast',
            '-b:v', '%dk' % kbps, '-maxrate', '%dk' % (kbps * 3 // 2),
            '-bufsize', '%dk' % (kbps * 2), '-g', str(KEYINT),
            '-x265-params', 'log-level=error'],
        'encode_note': 'libx265 preset fast (4 B-frames)',
    },
    'av1': {
        'name': 'AV1', 'ext': 'ivf', 'fmt': 'ivf',
        'parse': ['ivfparse', '!', 'av1parse'],
        'anchor': 'av1dec', 'anchor_threads': False,
        'encoder': 'libsvtav1',
        'encode': lambda kbps: [
            '-c:v', 'libsvtav1', '-preset', '8', '-b:v', '%dk' % kbps,
            '-g', str(KEYINT)],
        'encode_note': 'libsvtav1 preset 8 (VBR, mini-GOP 16)',
    },
}

# The clips that are already H.264, HEVC or AV1: their own bitstreams.
CLIPS = [
    ('h264', '1080p', 'concert_lowlight_1080p50_h264.mov',
     'concert_lowlight (H.264 High 1080p50, low light, sensor noise)'),
    ('h264', '4K', 'panel_4k60_portrait_h264.mp4',
     'panel_4k60 (H.264 High 3840x2160 full range, 66 Mbit/s)'),
    ('h265', '1080p', 'hdr10_rooftops_1080p30_hevc.mp4',
     'hdr10_rooftops (HEVC Main 10 1080p30, PQ, HDR10+ SEI)'),
    ('av1', '1080p', 'hdr10_mountains_1080p60_av1.mp4',
     'hdr10_mountains (AV1 Main 10-bit 1080p60, PQ)'),
]

TIMEOUT = 600
# A runaway decoder must not take the shared machine's memory with it.
MEMORY_LIMIT = 8 << 30


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(cmd, env=None, check=True):
    """Runs cmd; returns (wall s, CPU s, stdout + stderr, returncode)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           universal_newlines=True, errors='replace',
                           timeout=TIMEOUT, preexec_fn=limit_memory)
    except subprocess.TimeoutExpired:
        raise RuntimeError('%s ran over %d s' % (' '.join(cmd), TIMEOUT))
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + \
        (after.ru_stime - before.ru_stime)
    if check and p.returncode != 0:
        raise RuntimeError('%s failed (%d):\n%s' % (
            ' '.join(cmd), p.returncode, p.stdout[-3000:]))
    return wall, cpu, p.stdout, p.returncode


def gst_seconds(out):
    m = re.search(r'Execution ended after (\d+):(\d+):(\d+(?:\.\d+)?)', out)
    if not m:
        return float('nan')
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def ffmpeg_seconds(out):
    m = re.search(r'bench: .*rtime=(\d+(?:\.\d+)?)s', out)
    return float(m.group(1)) if m else float('nan')


def ffmpeg_frames(out):
    m = re.findall(r'frame=\s*(\d+)', out)
    return int(m[-1]) if m else None


def stream_id(key, res, clip):
    """The name --streams knows a stream by: h264-1080p, av1-4k-clip..."""
    return '%s-%s%s' % (key, res.lower(), '-clip' if clip else '')


def wanted(args, sid):
    return not args.streams or sid in args.streams


def loadavg():
    try:
        with open('/proc/loadavg') as f:
            return ' '.join(f.read().split()[:3])
    except OSError:
        return '?'


def cpu_busy():
    """Seconds of CPU time the whole machine has spent busy, or None."""
    try:
        with open('/proc/stat') as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / os.sysconf('SC_CLK_TCK')


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def median(xs):
    xs = [x for x in xs if not math.isnan(x)]
    return statistics.median(xs) if xs else float('nan')


def spread(xs):
    m = median(xs)
    return (max(xs) - min(xs)) / m if xs and m > 0 else float('nan')


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


class Bench:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.env = dict(os.environ)
        self.env['GST_REGISTRY'] = os.path.join(tmp, 'registry.bin')
        self.env['GST_PLUGIN_PATH'] = os.path.join(tmp, 'plugins')
        for var in ('GST_DEBUG', 'GST_TRACERS', 'GST_DEBUG_FILE'):
            self.env.pop(var, None)
        self.skipped = []
        self.notes = []
        self.cases = []
        self.results = []

    def skip(self, what, why):
        line = '%s: %s' % (what, why)
        print('SKIP ' + line)
        self.skipped.append(line)

    # --- setup -----------------------------------------------------------

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
        stamp = time.strftime('%Y-%m-%d %H:%M', time.localtime(built))
        self.plugin_note = '%s (built %s)' % (
            ', '.join(os.path.relpath(lib, ROOT) for lib in libs), stamp)
        newer = [os.path.relpath(p, ROOT) for p in
                 glob.glob(os.path.join(ROOT, 'gst', 'estdec.*')) +
                 glob.glob(os.path.join(ROOT, 'sys', '*decoder*')) +
                 glob.glob(os.path.join(ROOT, 'sys', 'cpu', 'avdecoder.*'))
                 if os.path.getmtime(p) > built]
        if newer:
            self.plugin_note += '; the tree has newer sources than this ' \
                'build: ' + ', '.join(sorted(newer))

    def have_element(self, name, env=None):
        p = subprocess.run(['gst-inspect-1.0', name], env=env or self.env,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        return p.returncode == 0

    def ffmpeg_has(self, what, name):
        p = subprocess.run(['ffmpeg', '-hide_banner', '-' + what],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           universal_newlines=True)
        return re.search(r'\s%s\s' % re.escape(name), p.stdout) is not None

    def check_tools(self):
        if not self.have_element('estdec'):
            sys.exit('estdec is not in the plugin in %s' % self.args.build)
        self.sinks = []
        for sink in self.args.sinks:
            if self.have_element(sink):
                self.sinks.append(sink)
            else:
                self.skip(sink, 'not installed')
        if not self.sinks:
            sys.exit('No sink to run')
        self.codecs = []
        for key in ('h264', 'h265', 'av1'):
            if key not in self.args.codecs:
                continue
            c = CODECS[key]
            missing = [e for e in c['parse'] + [c['anchor']]
                       if e != '!' and not self.have_element(e)]
            if c['parse'] and missing and missing != [c['anchor']]:
                self.skip(c['name'], 'GStreamer lacks ' + ', '.join(missing))
                continue
            if missing:
                # AV1 can still be measured against FFmpeg alone.
                if key != 'av1':
                    self.skip(c['name'], 'its anchor %s is not installed'
                              % c['anchor'])
                    continue
                self.skip('av1dec', 'not installed: AV1 against FFmpeg only')
            self.codecs.append(key)
        self.have_av1dec = self.have_element('av1dec')
        self.have_dav1d = self.ffmpeg_has('decoders', 'libdav1d')
        if 'av1' in self.codecs and not self.have_dav1d:
            self.skip('FFmpeg libdav1d', 'ffmpeg has no libdav1d decoder')

    def decodebin_choice(self, stream, with_estuary):
        """The decoder element decodebin plugs for stream (an .ivf)."""
        env = dict(self.env)
        if not with_estuary:
            env.pop('GST_PLUGIN_PATH', None)
            env['GST_REGISTRY'] = os.path.join(self.tmp, 'registry-stock.bin')
        try:
            _, _, out, _ = run(['gst-launch-1.0', '-v', 'filesrc',
                                'location=' + stream, '!', 'ivfparse', '!',
                                'decodebin', '!', 'fakesink', 'sync=false',
                                'num-buffers=1'], env=env, check=False)
        except RuntimeError:
            return '?'
        found = re.findall(r'GstDecodeBin:decodebin0/(\w+):(\w+?)\d*\.', out)
        decs = sorted({name for cls, name in found
                       if 'Parse' not in cls and 'TypeFind' not in cls
                       and 'CapsFilter' not in cls})
        return ', '.join(decs) or '?'

    # --- inputs ----------------------------------------------------------

    def make_raw(self, frames):
        """Raw I420 1080p60 of `frames` frames; returns its path."""
        c = SOURCE_CLIP
        self.frame_size = c['width'] * c['height'] * 3 // 2
        raw = os.path.join(self.tmp, 'source.yuv')
        path = os.path.join(self.args.media, c['file'])
        if os.path.exists(path):
            self.media = True
            decoded = raw + '.clip'
            run(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin',
                 '-y', '-i', path, '-map', '0:v:0', '-frames:v', str(frames),
                 '-pix_fmt', 'yuv420p', '-f', 'rawvideo', decoded])
            n = os.path.getsize(decoded) // self.frame_size
            self.source_note = c['label'] + ', decoded once to raw I420'
            if n >= frames:
                os.rename(decoded, raw)
            else:
                # Forwards, backwards, forwards...: no cut at the turns.
                cycle = list(range(n)) + list(range(n - 2, 0, -1))
                with open(decoded, 'rb') as src, open(raw, 'wb') as dst:
                    for i in range(frames):
                        src.seek(cycle[i % len(cycle)] * self.frame_size)
                        dst.write(src.read(self.frame_size))
                os.unlink(decoded)
                self.source_note += ' (%d frames, played forwards then ' \
                    'backwards to make %d)' % (n, frames)
        else:
            self.media = False
            print('Media folder %s has no %s: the source is videotestsrc '
                  '(synthetic; the figures are not representative)'
                  % (self.args.media, c['file']))
            run(['gst-launch-1.0', '-q', 'videotestsrc',
                 'num-buffers=%d' % frames, 'pattern=smpte',
                 'horizontal-speed=4', '!',
                 'video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1'
                 % (c['width'], c['height'], c['fps']), '!', 'filesink',
                 'location=' + raw], env=self.env)
            self.source_note = 'videotestsrc pattern=smpte ' \
                'horizontal-speed=4 1920x1080 60 fps (media folder absent: ' \
                'synthetic input, not representative)'
        if os.path.getsize(raw) // self.frame_size < frames:
            sys.exit('The source has fewer than %d frames' % frames)
        return raw

    def encode(self, key, res, raw, frames):
        c = CODECS[key]
        s = SOURCE_CLIP
        kbps = BITRATE[res]
        out = os.path.join(self.tmp, '%s_%s.%s' % (key, res, c['ext']))
        scale = ['-vf', 'scale=3840:2160'] if res == '4K' else []
        cmd = ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin',
               '-y', '-f', 'rawvideo', '-pix_fmt', 'yuv420p',
               '-s', '%dx%d' % (s['width'], s['height']),
               '-framerate', str(s['fps']), '-i', raw,
               '-frames:v', str(frames)] + scale + \
            ['-color_range', 'tv', '-colorspace', 'bt709',
             '-color_primaries', 'bt709', '-color_trc', 'bt709'] + \
            c['encode'](kbps) + ['-f', c['fmt'], out]
        t0 = time.monotonic()
        run(cmd)
        real = os.path.getsize(out) * 8 / (frames / s['fps']) / 1000
        label = '%s %s' % (c['name'], res)
        how = '%s, %s at %d kbit/s (%.0f kbit/s made), keyint %d' % (
            'scaled to 3840x2160' if res == '4K' else '1920x1080',
            c['encode_note'], kbps, real, KEYINT)
        print('   %s: %s, %d frames (%.0f s to make)' % (
            label, how, frames, time.monotonic() - t0))
        return {'key': key, 'label': label, 'res': res, 'path': out,
                'frames': frames, 'how': how, 'kind': 'encoded',
                'id': stream_id(key, res, False)}

    def copy_clip(self, key, res, name, desc, frames):
        c = CODECS[key]
        src = os.path.join(self.args.media, name)
        if not os.path.exists(src):
            self.skip(name, 'not in the media folder')
            return None
        p = subprocess.run(['ffprobe', '-v', 'error', '-select_streams', 'v:0',
                            '-count_packets', '-show_entries',
                            'stream=nb_read_packets', '-of', 'csv=p=0', src],
                           stdout=subprocess.PIPE, universal_newlines=True)
        try:
            n = int(p.stdout.strip().split(',')[0])
        except ValueError:
            self.skip(name, 'ffprobe could not count its packets')
            return None
        loops = max(0, math.ceil(frames / n) - 1)
        out = os.path.join(self.tmp, 'clip_%s_%s.%s' % (
            key, os.path.splitext(name)[0], c['ext']))
        run(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
             '-stream_loop', str(loops), '-i', src, '-map', '0:v:0',
             '-c:v', 'copy', '-frames:v', str(frames), '-f', c['fmt'], out])
        how = 'its own bitstream' + (
            ' (%d frames, played %d times over)' % (n, loops + 1)
            if loops else '')
        return {'key': key, 'label': '%s %s clip' % (c['name'], res),
                'res': res, 'path': out, 'frames': frames,
                'how': '%s: %s' % (desc, how), 'kind': 'clip',
                'id': stream_id(key, res, True)}

    def make_inputs(self):
        a = self.args
        print('Making the inputs in %s' % self.tmp)
        raw = self.make_raw(a.frames_1080)
        print('Source: ' + self.source_note)
        for key in self.codecs:
            enc = CODECS[key]['encoder']
            if not self.ffmpeg_has('encoders', enc):
                self.skip('%s streams' % CODECS[key]['name'],
                          'ffmpeg has no %s' % enc)
                continue
            for res, frames in (('1080p', a.frames_1080),
                                ('4K', a.frames_4k)):
                if not wanted(a, stream_id(key, res, False)):
                    continue
                try:
                    self.cases.append(self.encode(key, res, raw, frames))
                except RuntimeError as e:
                    self.skip('%s %s' % (CODECS[key]['name'], res),
                              'encoding failed: %s' % str(e).split('\n')[0])
        os.unlink(raw)
        if self.media and not a.no_clips:
            for key, res, name, desc in CLIPS:
                if key not in self.codecs or \
                        not wanted(a, stream_id(key, res, True)):
                    continue
                frames = a.frames_1080 if res == '1080p' else a.frames_4k
                try:
                    case = self.copy_clip(key, res, name, desc, frames)
                except RuntimeError as e:
                    self.skip(name, 'copying failed: %s'
                              % str(e).split('\n')[0])
                    continue
                if case:
                    self.cases.append(case)
        elif not self.media:
            self.skip('clip rows', 'no media folder')

    # --- commands --------------------------------------------------------

    def gst_cmd(self, case, decoder, sink):
        c = CODECS[case['key']]
        return ['gst-launch-1.0', 'filesrc', 'location=' + case['path'],
                '!'] + c['parse'] + ['!'] + decoder + ['!', sink,
                                                       'sync=false']

    def gst_parse_cmd(self, case):
        c = CODECS[case['key']]
        return ['gst-launch-1.0', 'filesrc', 'location=' + case['path'],
                '!'] + c['parse'] + ['!', 'fakesink', 'sync=false']

    def ffmpeg_cmd(self, case, threads):
        return ['ffmpeg', '-hide_banner', '-nostdin', '-benchmark',
                '-threads', str(threads), '-c:v', 'libdav1d',
                '-i', case['path'], '-f', 'null', '-']

    def ffmpeg_demux_cmd(self, case):
        return ['ffmpeg', '-hide_banner', '-nostdin', '-benchmark',
                '-i', case['path'], '-c', 'copy', '-f', 'null', '-']

    def variants(self, case):
        """The commands of one stream, in the order each repeat runs
        them: anchor, estdec, anchor, estdec..."""
        t = self.args.threads
        c = CODECS[case['key']]
        av1 = case['key'] == 'av1'
        v = []

        def add(key, role, label, cmd, kind, sink=None, threads=t):
            v.append({'key': key, 'role': role, 'label': label, 'cmd': cmd,
                      'kind': kind, 'sink': sink, 'threads': threads})

        if av1 and self.have_dav1d:
            add('ffmpeg', 'ffmpeg', 'ffmpeg -threads %d -c:v libdav1d' % t,
                self.ffmpeg_cmd(case, t), 'ffmpeg')
        for sink in self.sinks:
            if not av1 or self.have_av1dec:
                dec = [c['anchor']] + (['max-threads=%d' % t]
                                       if c['anchor_threads'] else [])
                add('anchor/' + sink, 'anchor', ' '.join(dec + ['!', sink]),
                    self.gst_cmd(case, dec, sink), 'gst', sink,
                    t if c['anchor_threads'] else 1)
            dec = ['estdec', 'max-threads=%d' % t]
            add('estdec/' + sink, 'estdec', ' '.join(dec + ['!', sink]),
                self.gst_cmd(case, dec, sink), 'gst', sink)
        if av1 and self.args.one_thread and t != 1:
            if self.have_dav1d:
                add('ffmpeg1', 'ffmpeg', 'ffmpeg -threads 1 -c:v libdav1d',
                    self.ffmpeg_cmd(case, 1), 'ffmpeg', threads=1)
            sink = self.sinks[0]
            dec = ['estdec', 'max-threads=1']
            add('estdec1/' + sink, 'estdec', ' '.join(dec + ['!', sink]),
                self.gst_cmd(case, dec, sink), 'gst', sink, 1)
        add('parse', 'parse', 'filesrc ! %s ! fakesink' % ' '.join(
            c['parse']), self.gst_parse_cmd(case), 'gst')
        if av1 and self.have_dav1d:
            add('demux', 'parse', 'ffmpeg -c copy -f null',
                self.ffmpeg_demux_cmd(case), 'ffmpeg')
        return v

    # --- measurement -----------------------------------------------------

    def check_run(self, case, var):
        """An untimed first run (also the warm-up): frames that reached the
        sink, and how many pictures the decoder copied, explicitly (its own
        copies, from its log) and implicitly (whole-picture memcpy by
        GStreamer's allocator, logged by GST_PERFORMANCE)."""
        env = dict(self.env)
        info = {}
        if var['kind'] == 'gst' and var['role'] != 'parse':
            env['GST_DEBUG'] = 'basesink:6,estdec:5,libav:6,GST_PERFORMANCE:5'
            env['GST_DEBUG_NO_COLOR'] = '1'
        _, _, out, _ = run(var['cmd'], env=env)
        if var['kind'] == 'ffmpeg':
            info['frames'] = ffmpeg_frames(out)
            return info
        if var['role'] == 'parse':
            return info
        n = info['frames'] = len(re.findall(
            r'gst_base_sink_chain_unlocked:.*got times', out))
        # A copy of at least a luma plane's bytes is a picture's.
        luma = 1920 * 1080 if case['res'] == '1080p' else 3840 * 2160
        implicit = sum(1 for size in re.findall(
            r'_sysmem_copy: memcpy (\d+)', out) if int(size) >= luma)
        if var['role'] == 'estdec':
            if 'downstream reads GstVideoMeta' in out:
                text = '0 of %d' % n
            elif 'downstream does not read GstVideoMeta' in out:
                text = '%d of %d' % (n, n)
            else:
                text = '? (estdec logged no decision)'
        elif CODECS[case['key']]['anchor'].startswith('avdec'):
            text = '%d of %d' % (len(re.findall(
                r'get_output_buffer:.*get output buffer', out)), n)
        else:
            text = '1 per picture'      # out of libaom's image, always
        if implicit:
            text += ' + %d implicit' % implicit
        info['path'] = text
        info['implicit'] = implicit
        return info

    def timed(self, var):
        wall, cpu, out, _ = run(var['cmd'], env=self.env)
        inner = ffmpeg_seconds(out) if var['kind'] == 'ffmpeg' else \
            gst_seconds(out)
        return wall, cpu, inner

    def run_case(self, case):
        args = self.args
        vs = self.variants(case)
        print('\n== %s: %s, %d frames' % (case['label'], case['how'],
                                         case['frames']))
        for var in vs:
            print('   %-8s %s' % (var['key'].split('/')[0] + ':',
                                  ' '.join(var['cmd'])))
        busy0, own0, t0 = cpu_busy(), children_cpu(), time.monotonic()
        for var in vs:
            var['check'] = self.check_run(case, var)
            var['wall'], var['cpu'], var['inner'] = [], [], []
        checks = ['%s %s' % (var['key'], ', '.join(
            '%s' % (x if k == 'path' else '%s %s' % (x, k))
            for k, x in var['check'].items() if k != 'implicit'))
            for var in vs if var['check']]
        print('   checked: ' + '; '.join(checks))
        for i in range(args.repeats):
            line = []
            for var in vs:
                w, c, inner = self.timed(var)
                var['wall'].append(w)
                var['cpu'].append(c)
                var['inner'].append(inner)
                line.append('%s %.2f s' % (var['key'], w))
            print('   run %d: %s' % (i + 1, ', '.join(line)))
        busy1, own1, t1 = cpu_busy(), children_cpu(), time.monotonic()
        others = None
        if busy0 is not None and busy1 is not None:
            others = max(0.0, (busy1 - busy0) - (own1 - own0)) / (t1 - t0)
        case['others'] = others
        case['variants'] = {var['key']: var for var in vs}
        self.summarise(case)

    def stats(self, case, var):
        n = case['frames']
        w = median(var['wall'])
        return {
            'fps': n / w, 'wall': w, 'cpu': median(var['cpu']),
            'inner': median(var['inner']), 'spread': spread(var['wall']),
            'frames': var['check'].get('frames'),
            'path': var['check'].get('path'),
            'par': median([c / x for c, x in zip(var['cpu'], var['wall'])]),
        }

    def summarise(self, case):
        vs = case['variants']
        av1 = case['key'] == 'av1'
        rows = []
        parse = self.stats(case, vs['parse'])
        demux = self.stats(case, vs['demux']) if 'demux' in vs else None

        def compare(e, a, target):
            if a is None:
                return None
            se, sa = self.stats(case, e), self.stats(case, a)
            paired = median([x / y for x, y in zip(a['wall'], e['wall'])])
            return {
                'ratio': se['fps'] / sa['fps'],
                'paired': paired,
                'best': min(a['wall']) / min(e['wall']),
                'cpu_ratio': sa['cpu'] / se['cpu'],
                'inner_ratio': sa['inner'] / se['inner'],
                'target': target,
                'ok': se['fps'] / sa['fps'] >= target,
                'a': sa, 'e': se,
            }

        for sink in self.sinks:
            e = vs.get('estdec/' + sink)
            a = vs.get('anchor/' + sink)
            row = {'case': case, 'sink': sink, 'threads': self.args.threads,
                   'e': self.stats(case, e),
                   'a': self.stats(case, a) if a else None,
                   'vs_anchor': compare(e, a, 2.0 if av1 else 0.95),
                   'parse': parse}
            if av1:
                f = vs.get('ffmpeg')
                row['f'] = self.stats(case, f) if f else None
                row['vs_ffmpeg'] = compare(e, f, 0.95)
                row['demux'] = demux
            rows.append(row)
        if 'estdec1/' + self.sinks[0] in vs:
            e = vs['estdec1/' + self.sinks[0]]
            a = vs.get('anchor/' + self.sinks[0])
            f = vs.get('ffmpeg1')
            rows.append({'case': case, 'sink': self.sinks[0], 'threads': 1,
                         'e': self.stats(case, e),
                         'a': self.stats(case, a) if a else None,
                         'vs_anchor': compare(e, a, 2.0),
                         'f': self.stats(case, f) if f else None,
                         'vs_ffmpeg': compare(e, f, 0.95),
                         'parse': parse, 'demux': demux})
        for r in rows:
            what = []
            for k, name in (('vs_anchor', 'anchor'), ('vs_ffmpeg', 'FFmpeg')):
                x = r.get(k)
                if x:
                    what.append(
                        'estdec / %s %.3f (target %.2f: %s; paired %.3f, '
                        'CPU %.3f, PLAYING-EOS %.3f)' % (
                            name, x['ratio'], x['target'],
                            'pass' if x['ok'] else 'below', x['paired'],
                            x['cpu_ratio'], x['inner_ratio']))
            fps = ['estdec %.1f' % r['e']['fps']]
            if r['a']:
                fps.append('%s %.1f' % (CODECS[case['key']]['anchor'],
                                        r['a']['fps']))
            if r.get('f'):
                fps.append('FFmpeg %.1f' % r['f']['fps'])
            print('   %s, %d thread(s): fps %s; %s' % (
                r['sink'], r['threads'], ', '.join(fps), '; '.join(what)))
        if case['others'] is not None:
            print('   other processes used %.2f of %d CPUs meanwhile'
                  % (case['others'], os.cpu_count()))
        self.results += rows

    # --- report ----------------------------------------------------------

    def main(self):
        args = self.args
        self.load_before = loadavg()
        self.copy_plugin()
        self.check_tools()
        if not self.codecs:
            print('Nothing to run.')
            return 0
        self.make_inputs()
        print('Plugin: ' + self.plugin_note)
        av1 = [c for c in self.cases if c['key'] == 'av1']
        if av1:
            self.decodebin = (self.decodebin_choice(av1[0]['path'], False),
                              self.decodebin_choice(av1[0]['path'], True))
            print('decodebin plugs for AV1: %s without Estuary, %s with it'
                  % self.decodebin)
        t0 = time.monotonic()
        self.load_start = loadavg()
        for case in self.cases:
            try:
                self.run_case(case)
            except RuntimeError as e:
                print('FAILED %s: %s' % (case['label'], e))
                self.notes.append('%s failed: %s' % (
                    case['label'], str(e).split('\n')[0]))
        self.load_after = loadavg()
        self.minutes = (time.monotonic() - t0) / 60
        text = self.table()
        print()
        print(text)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(text)
        print('Written to ' + args.out)
        return 0

    def stream_cell(self, case):
        return '%s (%d fr)' % (case['label'], case['frames'])

    def table(self):
        a = self.args
        t = a.threads
        cmdline = 'bench/decoders.py ' + ' '.join(sys.argv[1:])
        lines = [
            '# estdec against avdec, av1dec and FFmpeg\'s libdav1d',
            '',
            'Generated by `%s` on %s, %s, %d CPUs, GStreamer %s, FFmpeg %s.'
            % (cmdline.strip(), time.strftime('%Y-%m-%d %H:%M'),
               platform.machine(), os.cpu_count(), gst_version(),
               ffmpeg_version()),
            'Plugin: %s.' % self.plugin_note,
            'Source of the encoded streams: %s.' % self.source_note,
            'Machine load (/proc/loadavg 1, 5, 15 min): %s at the start, %s '
            'when the measurements began, %s at the end (%.1f minutes of '
            'measurements); other processes\' CPU use during each stream is '
            'in the notes.' % (self.load_before, self.load_start,
                               self.load_after, self.minutes),
            '',
            'fps: frames / wall time of the whole command (start-up, preroll, '
            'decode, teardown; nothing subtracted), median of %d runs '
            'interleaved anchor, estdec, anchor, estdec... after an untimed '
            'checking run of each. ratio = estdec fps / anchor fps; paired: '
            'median of the run-by-run ratios; CPU: anchor CPU time / estdec '
            'CPU time; P-E: the ratio from the time between PLAYING and EOS '
            '(FFmpeg: -benchmark rtime), start-up left out. parse: the bare '
            '`filesrc ! parse ! fakesink` command\'s time (FFmpeg: `-c copy '
            '-f null`) as a share of the decode command\'s. spread: (max - '
            'min) / median of the runs. Threads: %d for estdec, avdec and '
            'FFmpeg (max-threads=%d, -threads %d); av1dec has no thread '
            'setting and decodes on one thread (libaom\'s default). '
            'Copies: pictures each decoder copied with that sink, from the '
            'debug log of the checking run: explicit ones (estdec: '
            '"downstream reads / does not read GstVideoMeta"; avdec: its '
            '"get output buffer" copies; av1dec copies each out of '
            'libaom\'s image, FFmpeg -f null copies none) + implicit ones: '
            'whole-picture memcpy by GStreamer (GST_PERFORMANCE '
            '"_sysmem_copy"), which happens when GstVideoDecoder\'s '
            'finish_frame makes writable a buffer the library still '
            'references and keeps mapped for writing (reference pictures '
            'in direct rendering).'
            % (a.repeats, t, t, t),
            '',
        ]
        hevc = [r for r in self.results if r['case']['key'] != 'av1']
        av1 = [r for r in self.results if r['case']['key'] == 'av1']
        notes = []
        if hevc:
            lines += [
                '## H.264 and HEVC: estdec against avdec_h264 / avdec_h265 '
                '(target: ratio >= 0.95)',
                '',
                '| stream | sink | copies: avdec / estdec | avdec fps '
                '| estdec fps | ratio | verdict | paired | CPU | P-E '
                '| parse | spread avdec / estdec |',
                '|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|',
            ]
            for r in hevc:
                x = r['vs_anchor']
                lines.append(
                    '| %s | %s | %s / %s | %.1f | %.1f | %.3f | %s | %.3f '
                    '| %.3f | %.3f | %.0f %% / %.0f %% | %.0f %% / %.0f %% |'
                    % (self.stream_cell(r['case']), r['sink'],
                       r['a']['path'], r['e']['path'], r['a']['fps'],
                       r['e']['fps'], x['ratio'],
                       'pass' if x['ok'] else '**below**', x['paired'],
                       x['cpu_ratio'], x['inner_ratio'],
                       100 * r['parse']['wall'] / r['a']['wall'],
                       100 * r['parse']['wall'] / r['e']['wall'],
                       100 * r['a']['spread'], 100 * r['e']['spread']))
            lines.append('')
        if av1:
            lines += [
                '## AV1: estdec against av1dec (target >= 2.0) and FFmpeg '
                'libdav1d (target >= 0.95)',
                '',
                '| stream | threads | sink | copies: av1dec / estdec | av1dec fps '
                '| FFmpeg fps | estdec fps | / av1dec | verdict | / FFmpeg '
                '| verdict | paired / FFmpeg | CPU av1dec / estdec '
                '| CPU FFmpeg / estdec '
                '| P-E / FFmpeg | parse: GStreamer / FFmpeg '
                '| spread av1dec / FFmpeg / estdec |',
                '|---|---:|---|---|---:|---:|---:|---:|---|---:|---|---:|---:'
                '|---:|---:|---|---|',
            ]
            for r in av1:
                xa, xf = r['vs_anchor'], r['vs_ffmpeg']

                def num(x, k, fmt='%.3f'):
                    return fmt % x[k] if x else '-'

                def verdict(x):
                    if not x:
                        return '-'
                    return 'pass' if x['ok'] else '**below**'
                lines.append(
                    '| %s | %s | %s | %s | %s | %s | %.1f | %s | %s | %s | %s '
                    '| %s | %s | %s | %s | %s | %s |' % (
                        self.stream_cell(r['case']),
                        '%d (av1dec 1)' % r['threads'], r['sink'],
                        '%s / %s' % (r['a']['path'] if r['a'] else '-',
                                     r['e']['path']),
                        num(r['a'], 'fps', '%.1f'),
                        num(r.get('f'), 'fps', '%.1f'), r['e']['fps'],
                        num(xa, 'ratio'), verdict(xa), num(xf, 'ratio'),
                        verdict(xf), num(xf, 'paired'),
                        num(xa, 'cpu_ratio'), num(xf, 'cpu_ratio'),
                        num(xf, 'inner_ratio'),
                        '%.0f %% / %s' % (
                            100 * r['parse']['wall'] / r['e']['wall'],
                            '%.0f %%' % (100 * r['demux']['wall'] /
                                         r['f']['wall'])
                            if r.get('demux') and r.get('f') else '-'),
                        ' / '.join('%.0f %%' % (100 * s['spread']) if s
                                   else '-' for s in
                                   (r['a'], r.get('f'), r['e']))))
            lines.append('')
        lines += ['## Inputs', '']
        for case in self.cases:
            lines.append('- %s (`%s`): %s; %d frames%s' % (
                case['label'], case['id'], case['how'], case['frames'],
                ' (not measured)' if 'variants' not in case else ''))
        lines.append('')
        lines += ['## Notes', '']
        for case in self.cases:
            if 'variants' not in case:
                continue
            vs = case['variants']
            n = case['frames']
            bits = []
            bad = ['%s %s' % (k, v['check'].get('frames'))
                   for k, v in vs.items()
                   if v['role'] != 'parse' and
                   v['check'].get('frames') not in (None, n)]
            bits.append('frames out: all %d' % n if not bad else
                        '**frames out differ from %d: %s**' % (
                            n, ', '.join(bad)))
            par = ['%s %.2f' % (k, median([c / w for c, w in
                                           zip(v['cpu'], v['wall'])]))
                   for k, v in vs.items() if v['role'] != 'parse']
            bits.append('CPU time / wall time (parallelism, %d CPUs): %s'
                        % (os.cpu_count(), ', '.join(par)))
            if case['others'] is not None:
                bits.append('other processes used %.2f of %d CPUs during '
                            'this stream' % (case['others'], os.cpu_count()))
            notes.append('%s: %s.' % (case['label'], '; '.join(bits)))
        if av1 and hasattr(self, 'decodebin'):
            notes.append('decodebin plugs for AV1 (ivfparse ! decodebin): %s '
                         'with the stock plugins, %s with Estuary\'s.'
                         % self.decodebin)
        notes += self.notes
        for n in notes:
            lines.append('- ' + n)
        if self.skipped:
            lines.append('')
            lines.append('Skipped: ' + '; '.join(self.skipped) + '.')
        lines += ['', '## Commands', '',
                  'Per stream, in the order each repeat runs them '
                  '(`$TMP` is the temporary folder):', '', '```']
        for case in self.cases:
            if 'variants' not in case:
                continue
            lines.append('# ' + case['label'])
            for var in case['variants'].values():
                lines.append(' '.join(var['cmd']).replace(self.tmp, '$TMP'))
        lines += ['```', '']
        return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default='build',
                    help='build folder, relative to the repository root')
    ap.add_argument('--media', default=None,
                    help='test media folder (default ../shared/media next to '
                    'the repository)')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--threads', type=int, default=2,
                    help='decoding threads for estdec, avdec and FFmpeg')
    ap.add_argument('--codecs', default='h264,h265,av1',
                    help='comma-separated subset of h264,h265,av1')
    ap.add_argument('--sinks', default='fakesink,fakevideosink',
                    help='comma-separated sinks to measure with')
    ap.add_argument('--streams', default='',
                    help='comma-separated subset of the streams, by id: '
                    'h264-1080p, h264-4k, h265-1080p, h265-4k, av1-1080p, '
                    'av1-4k, h264-1080p-clip, h264-4k-clip, h265-1080p-clip, '
                    'av1-1080p-clip (default: all)')
    ap.add_argument('--frames-1080', type=int, default=120)
    ap.add_argument('--frames-4k', type=int, default=60)
    ap.add_argument('--no-clips', action='store_true',
                    help='leave out the rows of the clips\' own bitstreams')
    ap.add_argument('--no-one-thread', dest='one_thread',
                    action='store_false',
                    help='leave out the AV1 rows at one thread')
    ap.add_argument('--out', default=os.path.join(ROOT, 'bench', 'results',
                                                  'decoders.md'))
    ap.add_argument('--keep', action='store_true',
                    help='keep the temporary folder (streams)')
    args = ap.parse_args()
    args.build = os.path.join(ROOT, args.build)
    if args.media is None:
        args.media = os.path.join(ROOT, '..', 'shared', 'media')
    args.codecs = set(args.codecs.split(','))
    args.sinks = [s for s in args.sinks.split(',') if s]
    args.streams = set(x.strip().lower() for x in args.streams.split(',')
                       if x.strip())
    if args.repeats < 1:
        ap.error('--repeats must be at least 1')
    if args.threads < 1:
        ap.error('--threads must be at least 1')
    for tool in ('gst-launch-1.0', 'gst-inspect-1.0', 'ffmpeg', 'ffprobe'):
        if not shutil.which(tool):
            sys.exit('%s is not installed' % tool)

    # On SIGTERM, end the running command and remove the temporary folder.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    base = '/dev/shm' if os.path.isdir('/dev/shm') else None
    if base:
        st = os.statvfs(base)
        if st.f_bavail * st.f_frsize < (2 << 30):
            base = None
    tmp = tempfile.mkdtemp(prefix='estuary-bench-dec-', dir=base)
    try:
        return Bench(args, tmp).main()
    finally:
        if args.keep:
            print('Kept ' + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
