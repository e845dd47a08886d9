#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
"""The Estuary encoders against their libraries' usual front ends.

The claim under test: Estuary's wrapper costs nothing measurable. For each
codec the Estuary element and the same library through its usual front end
encode the same raw input with the same settings, in the same run:

  H.264  esth264enc  against x264enc (gst-plugins-ugly), both x264
  HEVC   esth265enc  against x265enc (gst-plugins-bad), both x265
  AV1    estav1enc   against FFmpeg's libsvtav1 (GStreamer 1.22 has no
                     SVT-AV1 element), both SVT-AV1

The GStreamer pipelines are identical except for the encoder element:

  filesrc ! rawvideoparse ! ENCODER ! CAPS(byte-stream) ! filesink

(filesink async=false, so that gst-launch-1.0 goes to PLAYING at once
instead of waiting in PAUSED for the first encoded frame, which comes only
after the encoder's lookahead: its "Execution ended" time then covers the
whole encode.) FFmpeg reads the same raw file with -f rawvideo and writes
an OBU stream. An element the plugin does not have yet prints "SKIP
<element>: not in the plugin" and the rest goes on.

What it prints, per case (codec, speed preset, rate control):

* Speed: frames / second from the time between PLAYING and EOS as
  gst-launch-1.0 reports it ("Execution ended after"), or FFmpeg's
  -benchmark rtime; process start-up and plugin loading are left out.
  Estuary closes the library's session when it drains at EOS, before the
  EOS reaches the sink, so its time includes the library's teardown
  (about 50 ms for SVT-AV1 1.4 with two threads, a few ms for x264);
  x264enc and x265enc close theirs at the state change after EOS and
  FFmpeg after printing rtime, outside the measurement. A
  warm-up run of each side, then --repeats runs of each interleaved
  anchor, Estuary, anchor, Estuary...; the medians and the ratio Estuary /
  anchor (target >= 0.95). These shared machines are often loaded by
  others, so the CPU time of each run (user + system, from the kernel's
  child accounting) is measured too: "CPU ratio" is anchor CPU / Estuary
  CPU, also >= 0.95 when the wrapper is free. The notes add the median
  of the run-by-run ratios (each Estuary run against the anchor run just
  before it) and the ratio of each side's best run, which a load that
  comes and goes disturbs less than the medians. Each side's bare
  read-and-discard pipeline (the same command without the encoder) runs
  once and is printed as the share of the encode time that is input.
* Output: bit rate (stream bytes * 8 / duration), PSNR-Y of the decoded
  output against the raw input (FFmpeg's psnr filter), frames and key
  frames (ffprobe), whether the two streams are byte-identical (if not:
  how many frames differ in size, and whether a second run of each side
  gives the same bytes, which x264 and x265 do not promise with a VBV and
  several threads), and which library settings differ: x264 and x265
  write their whole configuration into an SEI (x265's info SEI, which
  Estuary turns off by default, is turned on with option-string info=1 so
  that it can be compared), and SVT-AV1 logs its configuration to stderr
  ("SVT [config]" lines).

Settings, and the front ends' defaults that would otherwise differ:

* x264enc: with pass=qual, "quantizer" is the CRF and "bitrate" a VBV cap
  (x264enc always sets one in that mode), so Estuary runs capped-crf with
  max-bitrate = that bitrate; vbv-buf-capacity (x264enc 600 ms, Estuary
  the library's 1000 ms) is set on both; aud=false (x264enc writes access
  unit delimiters by default, Estuary does not); bframes, threads,
  key-int-max and the preset are set on both.
* x265enc: tune defaults to ssim there and none in Estuary: psy-tune=ssim
  and tune=ssim on both. Estuary's threads=N is x265's pools=N, given to
  x265enc as option-string pools=N. Estuary's backend sets qg-size 16
  (x265's default is 32) so that per-block QP offsets apply at 16x16:
  x265enc gets qg-size=16 too, except in one row that shows what that
  choice costs. CRF and the CBR VBV (x265's strict-cbr, as Estuary's cbr)
  go through x265enc's option-string. Estuary repeats the parameter sets
  before every key frame, x265enc sends them once at the start: the HEVC
  cases are shorter than their key-frame interval (250), so that both
  carry them once.
* libsvtav1: the speed preset maps to SVT's preset as in
  sys/cpu/svtav1encoder.c (read from the source when it is there);
  key-int-max K is -g K, threads is -threads and lp. FFmpeg 5.1 sets 4
  hierarchical levels (mini-GOPs of 16, its -hielevel default) where SVT
  alone picks 5 (32): both get 16, estav1enc with b-frames=15 and FFmpeg
  with hierarchical-levels=4 in -svtav1-params. The colour description
  that rawvideoparse puts in the caps (bt709, chroma-site mpeg2) goes into
  Estuary's sequence header, so FFmpeg gets it as well (-colorspace etc.,
  chroma-sample-position=vertical).

Input: flower_handheld_720p30_h264.264 from --media (default
../shared/media next to the repository), decoded once to raw I420 in a
temporary folder (on /dev/shm when there is one; played forwards then
backwards where a case needs more than its 300 frames, so that every run
lasts a few seconds); each case reads its first N frames. Without the
media folder, a videotestsrc pattern is the input and the table says so
(its figures are not representative).

Run from anywhere, after building:

    bench/encoders.py [--build build] [--media DIR] [--repeats 5]
                      [--codecs h264,h265,av1]
                      [--out bench/results/encoders.md]

The Estuary plugin comes from --build (relative to the repository root):
its .so files are copied into the temporary folder at the start, so that a
rebuild during the run changes nothing, and a private registry is used.
Needs gst-launch-1.0 with rawvideoparse, x264enc and x265enc, and ffmpeg
and ffprobe with libsvtav1 and an AV1 decoder.
"""

import argparse
import glob
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CLIP = {
    'file': 'flower_handheld_720p30_h264.264',
    'label': 'flower_handheld_720p30_h264.264 (1280x720, 30 fps, 8-bit '
             '4:2:0, tv range)',
    'width': 1280,
    'height': 720,
    'fps': 30,
    'frames': 300,
}
THREADS = 2
KEYINT = 120
# Longer than every HEVC case: x265enc sends the parameter sets once, at
# the start, Estuary before every key frame.
KEYINT_HEVC = 250

# SVT-AV1 enc_mode per Estuary speed preset (ultrafast..veryslow), as in
# sys/cpu/svtav1encoder.c; used when that file is not in the tree.
SVT_PRESETS_FALLBACK = [12, 11, 10, 9, 8, 6, 4, 3, 2]
SPEED_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast',
                 'medium', 'slow', 'slower', 'veryslow']


def x264_case(preset, rc, frames):
    common_a = ['speed-preset=' + preset, 'bframes=3', 'threads=%d' % THREADS,
                'key-int-max=%d' % KEYINT, 'aud=false']
    common_e = ['speed-preset=' + preset, 'b-frames=3',
                'threads=%d' % THREADS, 'key-int-max=%d' % KEYINT]
    if rc[0] == 'crf':
        crf, cap = rc[1], rc[2]
        label = 'crf %d, VBV cap %d kbit/s 1 s' % (crf, cap)
        anchor = ['pass=qual', 'quantizer=%d' % crf, 'bitrate=%d' % cap,
                  'vbv-buf-capacity=1000']
        est = ['rate-control=capped-crf', 'crf=%d' % crf,
               'max-bitrate=%d' % cap, 'vbv-buf-capacity=1000']
    elif rc[0] == 'cbr':
        label = 'cbr %d kbit/s, VBV 1 s' % rc[1]
        anchor = ['pass=cbr', 'bitrate=%d' % rc[1], 'vbv-buf-capacity=1000']
        est = ['rate-control=cbr', 'bitrate=%d' % rc[1],
               'vbv-buf-capacity=1000']
    else:
        label = 'cqp %d' % rc[1]
        anchor = ['pass=quant', 'quantizer=%d' % rc[1]]
        est = ['rate-control=cqp', 'qp=%d' % rc[1]]
    return {
        'codec': 'H.264', 'element': 'esth264enc', 'anchor_name': 'x264enc',
        'preset': preset, 'frames': frames, 'ext': 'h264', 'fmt': 'h264',
        'settings': label + ', B-frames 3, %d threads, keyint %d'
                    % (THREADS, KEYINT),
        'caps': 'video/x-h264,stream-format=byte-stream',
        'anchor': ['x264enc'] + common_a + anchor,
        'estuary': ['esth264enc'] + common_e + est,
        'compare': 'x264',
    }


def x265_case(preset, rc, frames, qg16=True):
    # Estuary's x265 backend sets qg-size 16 (so that per-block QP offsets
    # apply at 16x16); x265enc gets it too unless qg16 is False.
    opts = ['pools=%d' % THREADS] + (['qg-size=16'] if qg16 else [])
    common_a = ['speed-preset=' + preset, 'tune=ssim',
                'key-int-max=%d' % KEYINT_HEVC]
    common_e = ['speed-preset=' + preset, 'psy-tune=ssim',
                'key-int-max=%d' % KEYINT_HEVC, 'threads=%d' % THREADS,
                'option-string=info=1']
    if rc[0] == 'crf':
        label = 'crf %d' % rc[1]
        anchor = ['option-string=' + ':'.join(opts + ['crf=%d' % rc[1]])]
        est = ['rate-control=crf', 'crf=%d' % rc[1]]
    else:
        label = 'cbr %d kbit/s, VBV 1 s' % rc[1]
        anchor = ['bitrate=%d' % rc[1], 'option-string=' + ':'.join(
            opts + ['vbv-maxrate=%d' % rc[1], 'vbv-bufsize=%d' % rc[1],
                    'strict-cbr=1'])]
        est = ['rate-control=cbr', 'bitrate=%d' % rc[1],
               'vbv-buf-capacity=1000']
    return {
        'codec': 'HEVC', 'element': 'esth265enc', 'anchor_name': 'x265enc',
        'preset': preset, 'frames': frames, 'ext': 'h265', 'fmt': 'hevc',
        'settings': label + ', psy-tune ssim, %d threads (pools), keyint '
                    '%d, %s' % (THREADS, KEYINT_HEVC,
                                'qg-size 16 on both' if qg16 else
                                'x265enc at its default qg-size 32'),
        'caps': 'video/x-h265,stream-format=byte-stream',
        'anchor': ['x265enc'] + common_a + anchor,
        'estuary': ['esth265enc'] + common_e + est,
        'compare': 'x265',
    }


def svt_case(preset, crf, frames, svt_presets):
    svt = svt_presets[SPEED_PRESETS.index(preset)]
    return {
        'codec': 'AV1', 'element': 'estav1enc', 'anchor_name': 'libsvtav1',
        'preset': '%s (M%d)' % (preset, svt), 'frames': frames,
        'ext': 'obu', 'fmt': 'obu',
        'settings': 'crf %d, mini-GOP 16, %d threads, keyint %d'
                    % (crf, THREADS, KEYINT),
        'caps': 'video/x-av1,stream-format=obu-stream',
        'ffmpeg': ['-c:v', 'libsvtav1', '-preset', str(svt),
                   '-crf', str(crf), '-g', str(KEYINT),
                   '-threads', str(THREADS),
                   '-svtav1-params',
                   'lp=%d:hierarchical-levels=4:chroma-sample-position='
                   'vertical' % THREADS],
        'estuary': ['estav1enc', 'speed-preset=' + preset, 'b-frames=15',
                    'rate-control=crf', 'crf=%d' % crf,
                    'key-int-max=%d' % KEYINT, 'threads=%d' % THREADS],
        'compare': 'svt',
    }


def svt_presets_from_source():
    path = os.path.join(ROOT, 'sys', 'cpu', 'svtav1encoder.c')
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return SVT_PRESETS_FALLBACK, 'fallback table (no ' \
            'sys/cpu/svtav1encoder.c in this tree)'
    m = re.search(r'preset\w*\s*\[\]\s*=\s*\{([^}]*)\}', text)
    if m:
        values = [int(v) for v in re.findall(r'-?\d+', m.group(1))]
        if len(values) == len(SPEED_PRESETS):
            return values, 'sys/cpu/svtav1encoder.c'
    return SVT_PRESETS_FALLBACK, 'fallback table (no preset table found ' \
        'in sys/cpu/svtav1encoder.c)'


def make_cases(codecs, svt_presets):
    cases = []
    if 'h264' in codecs:
        cases += [
            x264_case('veryfast', ('crf', 23, 20000), 600),
            x264_case('medium', ('crf', 23, 20000), 300),
            x264_case('medium', ('cbr', 2500), 300),
            x264_case('veryfast', ('cqp', 26), 600),
        ]
    if 'h265' in codecs:
        cases += [
            x265_case('veryfast', ('crf', 28), 240),
            x265_case('veryfast', ('crf', 28), 240, qg16=False),
            x265_case('medium', ('crf', 28), 120),
            x265_case('veryfast', ('cbr', 2500), 240),
        ]
    if 'av1' in codecs:
        cases += [
            svt_case('veryfast', 35, 240, svt_presets),
            svt_case('medium', 35, 60, svt_presets),
        ]
    return cases


def run(cmd, env=None, check=True):
    """Runs cmd; returns (wall s, CPU s, stdout + stderr, returncode)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       universal_newlines=True, errors='replace')
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
        raise RuntimeError('no "Execution ended" in gst-launch output:\n' +
                           out[-2000:])
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def ffmpeg_seconds(out):
    m = re.search(r'bench: .*rtime=(\d+(?:\.\d+)?)s', out)
    if not m:
        raise RuntimeError('no "bench: rtime" in ffmpeg output:\n' +
                           out[-2000:])
    return float(m.group(1))


class Bench:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.env = dict(os.environ)
        self.env['GST_REGISTRY'] = os.path.join(tmp, 'registry.bin')
        self.env['GST_PLUGIN_PATH'] = os.path.join(tmp, 'plugins')
        self.env.pop('GST_DEBUG', None)
        self.env.pop('GST_TRACERS', None)
        self.clip = dict(CLIP)
        self.raw = os.path.join(tmp, 'input.yuv')
        self.frame_size = self.clip['width'] * self.clip['height'] * 3 // 2

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
        stamp = time.strftime('%Y-%m-%d %H:%M', time.localtime(
            max(os.path.getmtime(lib) for lib in libs)))
        self.plugin_note = '%s (built %s)' % (
            ', '.join(os.path.relpath(lib, ROOT) for lib in libs), stamp)

    def have_element(self, name):
        p = subprocess.run(['gst-inspect-1.0', name], env=self.env,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        return p.returncode == 0

    def have_anchor(self, case):
        if 'anchor' in case:
            return self.have_element(case['anchor'][0])
        p = subprocess.run(['ffmpeg', '-hide_banner', '-encoders'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           universal_newlines=True)
        return re.search(r'\s%s\s' % case['anchor_name'], p.stdout) is not None

    def make_input(self, frames):
        path = os.path.join(self.args.media, self.clip['file'])
        if os.path.exists(path):
            decoded = self.raw + '.clip'
            run(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin',
                 '-y', '-i', path, '-frames:v', str(frames),
                 '-pix_fmt', 'yuv420p', '-f', 'rawvideo', decoded])
            n = os.path.getsize(decoded) // self.frame_size
            self.input_note = self.clip['label'] + ', decoded once to raw ' \
                'I420 with ffmpeg'
            if n >= frames:
                os.rename(decoded, self.raw)
            else:
                # Forwards, backwards, forwards...: no cut at the turns.
                cycle = list(range(n)) + list(range(n - 2, 0, -1))
                with open(decoded, 'rb') as src, open(self.raw, 'wb') as dst:
                    for i in range(frames):
                        src.seek(cycle[i % len(cycle)] * self.frame_size)
                        dst.write(src.read(self.frame_size))
                os.unlink(decoded)
                self.input_note += ' (%d frames, played forwards then ' \
                    'backwards to make %d)' % (n, frames)
        else:
            print('Media folder %s has no %s: the input is videotestsrc '
                  '(synthetic; the figures are not representative)'
                  % (self.args.media, self.clip['file']))
            run(['gst-launch-1.0', '-q', 'videotestsrc',
                 'num-buffers=%d' % frames, 'pattern=smpte',
                 'horizontal-speed=4', '!',
                 'video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1'
                 % (self.clip['width'], self.clip['height'],
                    self.clip['fps']), '!', 'filesink',
                 'location=' + self.raw], env=self.env)
            self.input_note = 'videotestsrc pattern=smpte horizontal-speed=4 '\
                '1280x720 30 fps (media folder absent: synthetic input)'
        have = os.path.getsize(self.raw) // self.frame_size
        if have < frames:
            sys.exit('The input has %d frames, %d needed' % (have, frames))

    # --- commands --------------------------------------------------------

    def gst_source(self, frames):
        c = self.clip
        return ['filesrc', 'location=' + self.raw,
                'blocksize=%d' % self.frame_size, 'num-buffers=%d' % frames,
                '!', 'rawvideoparse', 'width=%d' % c['width'],
                'height=%d' % c['height'], 'format=i420',
                'framerate=%d/1' % c['fps'], 'colorimetry=bt709']

    def gst_encode(self, case, element, out):
        return ['gst-launch-1.0'] + self.gst_source(case['frames']) + \
            ['!'] + element + ['!', case['caps'], '!', 'filesink',
                               'async=false', 'location=' + out]

    def gst_read(self, case):
        return ['gst-launch-1.0'] + self.gst_source(case['frames']) + \
            ['!', 'fakesink', 'async=false']

    def ffmpeg_input(self):
        c = self.clip
        return ['ffmpeg', '-hide_banner', '-nostdin', '-nostats',
                '-benchmark', '-y', '-f', 'rawvideo', '-pix_fmt', 'yuv420p',
                '-s', '%dx%d' % (c['width'], c['height']),
                '-framerate', str(c['fps']), '-i', self.raw]

    def ffmpeg_encode(self, case, out):
        return self.ffmpeg_input() + \
            ['-frames:v', str(case['frames']),
             '-color_primaries', 'bt709', '-color_trc', 'bt709',
             '-colorspace', 'bt709', '-color_range', 'tv'] + \
            case['ffmpeg'] + ['-f', 'obu', out]

    def ffmpeg_read(self, case):
        return self.ffmpeg_input() + ['-frames:v', str(case['frames']),
                                      '-f', 'null', '-']

    # --- measurement -----------------------------------------------------

    def timed(self, cmd, ffmpeg):
        wall, cpu, out, _ = run(cmd, env=self.env)
        secs = ffmpeg_seconds(out) if ffmpeg else gst_seconds(out)
        return secs, cpu, wall, out

    def analyse(self, case, path):
        c = self.clip
        fmt = case['fmt']
        p = subprocess.run(['ffprobe', '-v', 'error', '-f', fmt,
                            '-select_streams', 'v:0', '-show_entries',
                            'packet=size,flags', '-of', 'csv=p=0', path],
                           stdout=subprocess.PIPE, universal_newlines=True)
        packets = [ln.split(',') for ln in p.stdout.split('\n')
                   if ln.strip()]
        keys = sum(1 for pk in packets if pk[1].startswith('K'))
        stats = path + '.psnr'
        _, _, out, _ = run(
            ['ffmpeg', '-hide_banner', '-nostdin', '-nostats', '-f', fmt,
             '-i', path, '-f', 'rawvideo', '-pix_fmt', 'yuv420p',
             '-s', '%dx%d' % (c['width'], c['height']),
             '-framerate', str(c['fps']), '-i', self.raw, '-lavfi',
             '[0:v]settb=1/%d,setpts=N[d];[1:v]settb=1/%d,setpts=N[r];'
             '[d][r]psnr=shortest=1:stats_file=%s'
             % (c['fps'], c['fps'], stats),
             '-f', 'null', '-'])
        m = re.search(r'PSNR y:(\S+)', out)
        with open(stats) as f:
            psnr_frames = sum(1 for ln in f if ln.strip())
        size = os.path.getsize(path)
        return {
            'kbps': size * 8 / (case['frames'] / c['fps']) / 1000,
            'psnr': float(m.group(1)) if m else float('nan'),
            'frames': len(packets),
            'packet_sizes': [int(pk[0]) for pk in packets],
            'decoded': psnr_frames,
            'keys': keys,
            'size': size,
        }

    def run_case(self, case):
        args = self.args
        ffmpeg = 'ffmpeg' in case
        tag = '%s_%s_%d' % (case['codec'], case['preset'].split()[0],
                            len(self.results))
        tag = re.sub(r'[^A-Za-z0-9_]', '', tag)
        out_a = os.path.join(self.tmp, tag + '_anchor.' + case['ext'])
        out_e = os.path.join(self.tmp, tag + '_estuary.' + case['ext'])
        if ffmpeg:
            cmd_a = self.ffmpeg_encode(case, out_a)
            read_a = self.ffmpeg_read(case)
        else:
            cmd_a = self.gst_encode(case, case['anchor'], out_a)
            read_a = self.gst_read(case)
        cmd_e = self.gst_encode(case, case['estuary'], out_e)
        read_e = self.gst_read(case)
        # The timed runs write a second copy: run-to-run differences of a
        # side show whether a difference between the sides is noise.
        again_a, again_e = out_a + '.again', out_e + '.again'
        timed_a = [again_a if x == out_a else x for x in cmd_a]
        timed_a = [('location=' + again_a) if x == 'location=' + out_a
                   else x for x in timed_a]
        timed_e = [('location=' + again_e) if x == 'location=' + out_e
                   else x for x in cmd_e]

        print('\n== %s %s, %s, %d frames' % (case['codec'], case['preset'],
                                             case['settings'],
                                             case['frames']))
        print('   anchor : ' + ' '.join(cmd_a))
        print('   Estuary: ' + ' '.join(cmd_e))
        # Warm-up runs; their outputs are the ones analysed.
        _, _, _, log_a = self.timed(cmd_a, ffmpeg)
        _, _, _, log_e = self.timed(cmd_e, False)
        ta, te, ca, ce = [], [], [], []
        for i in range(args.repeats):
            s, cpu, _, _ = self.timed(timed_a, ffmpeg)
            ta.append(s)
            ca.append(cpu)
            s, cpu, _, _ = self.timed(timed_e, False)
            te.append(s)
            ce.append(cpu)
            print('   run %d: anchor %.2f s (CPU %.2f s), Estuary %.2f s '
                  '(CPU %.2f s)' % (i + 1, ta[-1], ca[-1], te[-1], ce[-1]))
        io_a = self.timed(read_a, ffmpeg)[0]
        io_e = self.timed(read_e, False)[0]

        n = case['frames']
        r = {
            'case': case,
            'fps_a': n / statistics.median(ta),
            'fps_e': n / statistics.median(te),
            'cpu_a': statistics.median(ca),
            'cpu_e': statistics.median(ce),
            'io_a': io_a / statistics.median(ta),
            'io_e': io_e / statistics.median(te),
            'spread_a': (max(ta) - min(ta)) / statistics.median(ta),
            'spread_e': (max(te) - min(te)) / statistics.median(te),
            # Load from other processes drifts slowly: each Estuary run
            # against the anchor run just before it, and the best runs.
            'paired': statistics.median(a / e for a, e in zip(ta, te)),
            'best': min(ta) / min(te),
            'a': self.analyse(case, out_a),
            'e': self.analyse(case, out_e),
        }
        r['identical'] = same_bytes(out_a, out_e)
        r['repeatable_a'] = same_bytes(out_a, again_a)
        r['repeatable_e'] = same_bytes(out_e, again_e)
        sa_, se_ = r['a']['packet_sizes'], r['e']['packet_sizes']
        r['packets_differ'] = sum(1 for x, y in zip(sa_, se_) if x != y) + \
            abs(len(sa_) - len(se_))
        r['output'] = output_note(r)
        sa = library_settings(case['compare'], out_a, log_a)
        se = library_settings(case['compare'], out_e, log_e)
        r['settings_note'] = compare_settings(case['compare'], sa, se)
        r['ratio'] = r['fps_e'] / r['fps_a']
        r['cpu_ratio'] = r['cpu_a'] / r['cpu_e']
        print('   fps anchor %.1f, Estuary %.1f, ratio %.3f (paired %.3f, '
              'best runs %.3f), CPU ratio %.3f; spread of the runs %.0f %% / '
              '%.0f %%' % (r['fps_a'], r['fps_e'], r['ratio'], r['paired'],
                           r['best'], r['cpu_ratio'], 100 * r['spread_a'],
                           100 * r['spread_e']))
        print('   input alone (read + parse + discard): %.0f %% of the '
              'anchor\'s time, %.0f %% of Estuary\'s'
              % (100 * r['io_a'], 100 * r['io_e']))
        for side in ('a', 'e'):
            x = r[side]
            print('   %s: %d bytes, %.1f kbit/s, PSNR-Y %.3f dB, %d frames '
                  '(%d decoded), %d key frames'
                  % ('anchor ' if side == 'a' else 'Estuary', x['size'],
                     x['kbps'], x['psnr'], x['frames'], x['decoded'],
                     x['keys']))
        print('   streams: %s; %s' % (r['output'], r['settings_note']))
        self.results.append(r)

    def main(self):
        args = self.args
        self.copy_plugin()
        svt_presets, svt_source = svt_presets_from_source()
        self.svt_note = 'SVT presets per speed preset %s (from %s)' % (
            dict(zip(SPEED_PRESETS, svt_presets)), svt_source)
        cases = make_cases(args.codecs, svt_presets)
        self.results = []
        self.skipped = []
        runnable = []
        for case in cases:
            if case['element'] in self.skipped:
                continue
            if not self.have_element(case['element']):
                print('SKIP %s: not in the plugin' % case['element'])
                self.skipped.append(case['element'])
                continue
            if not self.have_anchor(case):
                print('SKIP %s: its anchor %s is not installed'
                      % (case['element'], case['anchor_name']))
                self.skipped.append(case['element'])
                continue
            runnable.append(case)
        if not runnable:
            print('Nothing to run.')
            return 0
        self.make_input(max(c['frames'] for c in runnable))
        print('Input: ' + self.input_note)
        print('Plugin: ' + self.plugin_note)
        for case in runnable:
            try:
                self.run_case(case)
            except RuntimeError as e:
                print('FAILED %s %s: %s' % (case['codec'], case['preset'], e))
                self.results.append({'case': case, 'error': str(e)})
        text = self.table()
        print()
        print(text)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(text)
        print('Written to ' + args.out)
        return 0

    def table(self):
        lines = [
            '# Estuary encoders against their libraries\' front ends',
            '',
            'Generated by `bench/encoders.py` on %s, %s, %d CPUs, '
            'GStreamer %s.' % (time.strftime('%Y-%m-%d'), platform.machine(),
                               os.cpu_count(), gst_version()),
            'Input: %s. Plugin: %s.' % (self.input_note, self.plugin_note),
            'Speed: frames / second between PLAYING and EOS (FFmpeg: '
            '-benchmark rtime), medians of %d interleaved runs after a '
            'warm-up; ratio = Estuary / anchor, CPU ratio = anchor CPU time '
            '/ Estuary CPU time (both >= 0.95 when the wrapper is free). '
            'kbit/s: stream bytes * 8 / duration. PSNR-Y: FFmpeg\'s psnr '
            'filter, decoded output against the raw input.'
            % self.args.repeats,
            '',
            '| codec | preset | settings | anchor fps | Estuary fps | ratio '
            '| CPU ratio | anchor kbit/s | Estuary kbit/s | anchor PSNR-Y '
            '| Estuary PSNR-Y | output |',
            '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
        ]
        notes = []
        for r in self.results:
            c = r['case']
            anchor = c.get('anchor', ['ffmpeg ' + c['anchor_name']])[0]
            head = '| %s | %s | %s (%s vs %s, %d frames) |' % (
                c['codec'], c['preset'], c['settings'], anchor,
                c['element'], c['frames'])
            if 'error' in r:
                lines.append(head + ' failed | | | | | | | | | |')
                notes.append('%s %s failed: %s' % (
                    c['codec'], c['preset'], r['error'].split('\n')[0]))
                continue
            a, e = r['a'], r['e']
            lines.append(
                head + ' %.1f | %.1f | %.3f | %.3f | %.0f | %.0f | %.3f '
                '| %.3f | %s |' % (
                    r['fps_a'], r['fps_e'], r['ratio'], r['cpu_ratio'],
                    a['kbps'], e['kbps'], a['psnr'], e['psnr'],
                    r['output']))
            notes.append(
                '%s %s: ratio of the runs in pairs %.3f, of the best runs '
                '%.3f; input alone %.0f %% (anchor) / %.0f %% (Estuary) of '
                'the encode time; spread of the runs %.0f %% / %.0f %%; '
                'frames %d / %d, key frames %d / %d; bit rate %+.2f %%, '
                'PSNR-Y %+.3f dB (Estuary - anchor); %s.' % (
                    c['codec'], c['preset'], r['paired'], r['best'],
                    100 * r['io_a'],
                    100 * r['io_e'], 100 * r['spread_a'],
                    100 * r['spread_e'], a['frames'], e['frames'], a['keys'],
                    e['keys'], 100 * (e['kbps'] / a['kbps'] - 1),
                    e['psnr'] - a['psnr'], r['settings_note']))
        lines.append('')
        if self.skipped:
            lines.append('Skipped (not in the plugin or no anchor): ' +
                         ', '.join(self.skipped) + '.')
            lines.append('')
        lines.append('Notes:')
        lines.append('')
        for n in notes + [self.svt_note]:
            lines.append('- ' + n)
        lines.append('')
        return '\n'.join(lines)


def library_settings(kind, path, log):
    """The library's own record of its settings, as a dict, or None:
    kind 'x264' or 'x265' reads the options SEI in the stream at path,
    'svt' the "SVT [config]" lines SVT-AV1 logs (log)."""
    if kind == 'svt':
        lines = [re.sub(r'\s+', ' ', ln.split('SVT [config]:', 1)[1]).strip()
                 for ln in log.split('\n') if 'SVT [config]:' in ln]
        return {'%d' % i: v for i, v in enumerate(lines)} or None
    with open(path, 'rb') as f:
        data = f.read(4 << 20)
    m = re.search(rb'options: ([\x20-\x7e]+)', data)
    if not m:
        return None
    out = {}
    # x265 writes "sar-width : sar-height=1:1".
    text = m.group(1).decode().replace(' : ', ':')
    for tok in text.split():
        if '=' in tok:
            k, v = tok.split('=', 1)
        elif tok.startswith('no-'):
            k, v = tok[3:], 'off'
        else:
            k, v = tok, 'on'
        out[k] = v
    return out


def same_bytes(a, b):
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        return fa.read() == fb.read()


def output_note(r):
    if r['identical']:
        return 'identical'
    sizes = '%d of %d frames differ in size' % (
        r['packets_differ'], len(r['a']['packet_sizes']))
    flaky = [name for name, ok in (('anchor', r['repeatable_a']),
                                   ('Estuary', r['repeatable_e'])) if not ok]
    if flaky:
        return 'differ (%s); so do two runs of %s' % (
            sizes, ' and of '.join(flaky))
    return 'differ (%s); each side repeats itself' % sizes


def compare_settings(kind, sa, se):
    """One line saying how two library_settings () results differ."""
    what = {'x264': 'x264 SEI options', 'x265': 'x265 info SEI options',
            'svt': 'SVT-AV1 [config] log'}[kind]
    if sa is None or se is None:
        return '%s not found on %s' % (
            what, ' and '.join(s for s, v in (('the anchor', sa),
                                              ('Estuary', se)) if v is None))
    # cpuid and the like describe the machine, not the encode.
    ignore = {'cpuid', 'log-level'}
    diff = sorted(k for k in set(sa) | set(se)
                  if k not in ignore and sa.get(k) != se.get(k))
    if not diff:
        return '%s identical' % what
    return '%s differ: %s' % (what, '; '.join(
        '%s %s vs %s' % (k, sa.get(k, '-'), se.get(k, '-')) for k in diff))


def gst_version():
    try:
        out = subprocess.run(['gst-launch-1.0', '--version'],
                             stdout=subprocess.PIPE,
                             universal_newlines=True).stdout
        m = re.search(r'GStreamer (\S+)', out)
        return m.group(1) if m else '?'
    except OSError:
        return '?'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default='build',
                    help='build folder, relative to the repository root')
    ap.add_argument('--media', default=None,
                    help='test media folder (default ../shared/media next to '
                    'the repository)')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--codecs', default='h264,h265,av1',
                    help='comma-separated subset of h264,h265,av1')
    ap.add_argument('--out', default=os.path.join(ROOT, 'bench', 'results',
                                                  'encoders.md'))
    ap.add_argument('--keep', action='store_true',
                    help='keep the temporary folder (outputs, input)')
    args = ap.parse_args()
    args.build = os.path.join(ROOT, args.build)
    if args.media is None:
        args.media = os.path.join(ROOT, '..', 'shared', 'media')
    args.codecs = set(args.codecs.split(','))
    if not args.codecs <= {'h264', 'h265', 'av1'}:
        ap.error('--codecs takes h264, h265 and av1')
    if args.repeats < 1:
        ap.error('--repeats must be at least 1')
    for tool in ('gst-launch-1.0', 'gst-inspect-1.0', 'ffmpeg', 'ffprobe'):
        if not shutil.which(tool):
            sys.exit('%s is not installed' % tool)

    base = '/dev/shm' if os.path.isdir('/dev/shm') else None
    tmp = tempfile.mkdtemp(prefix='estuary-bench-enc-', dir=base)
    try:
        return Bench(args, tmp).main()
    finally:
        if args.keep:
            print('Kept ' + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
