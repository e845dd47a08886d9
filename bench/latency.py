#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
"""Per-frame encode latency for cloud gaming: esth264enc against x264enc.

Both encoders run x264 with tune=zerolatency, the same speed preset
(ultrafast and veryfast), CBR at the same bitrate (8000 kbit/s, VBV 1 s),
2 threads, the same key-frame interval and no access unit delimiters, on
1080p30 from a live source:

  videotestsrc is-live=true ! 1920x1080 I420 30 fps ! identity name=in
      ! ENCODER name=enc ! byte-stream ! identity name=out ! filesink

One frame at a time arrives every 33 ms, so what is measured is the time
each frame spends in the encoder, not its throughput. The GStreamer
latency tracer (GST_TRACERS="latency(flags=element+reported)",
GST_DEBUG=GST_TRACER:7) logs, for every buffer the encoder pushes, the
time since the buffer before it left "in" (element-latency of "enc"):
with one frame in and one out, that is the frame's encode latency. It also
logs the latency the encoder reports to the pipeline (element-reported-
latency). The identities print every buffer they pass (gst-launch-1.0 -v,
silent=false): frames held is the most frames inside the encoder when a
new one arrives (frames in - frames out; 0 with zerolatency).

Per preset, --repeats runs of each side, interleaved anchor, Estuary,
anchor, ..., after one warm-up run each; the per-frame latencies of all
runs are pooled: median, 95th percentile and maximum in ms, and the ratio
Estuary / anchor of median and p95 (1.0 when the wrapper adds nothing;
shared machines add noise, mostly to p95 and max). The table also shows
the CPU time per frame of each side, whether x264's own record of its
settings (the options SEI it writes into the stream) is the same and
whether the streams are (if not, whether two runs of the same side are:
x264's rate control with a VBV and slice threads need not repeat itself
to the bit). The one difference in settings: Estuary's x264 backend keeps
adaptive quantisation on at strength 0.001 where ultrafast turns it off,
so that per-block QP offsets apply; a second ultrafast row gives x264enc
the same (option-string=aq-mode=1:aq-strength=0.001), which makes the
settings, and the streams where x264 repeats itself, identical and leaves
the wrapper alone to compare.

--source clip paces a real clip instead (street_1080p25_h264.264 from the
media folder, decoded once and played forwards and backwards, timed at
30 fps by clocksync): real texture costs more to encode than a test
pattern.

Run from anywhere, after building:

    bench/latency.py [--build build] [--repeats 5] [--frames 150]
                     [--presets ultrafast,veryfast] [--source testsrc|clip]
                     [--media DIR] [--out bench/results/latency.md]

The Estuary plugin comes from --build (relative to the repository root),
copied into a temporary folder, with a private registry there.
"""

import argparse
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encoders  # noqa: E402  (library_settings, compare_settings)

ROOT = encoders.ROOT
WIDTH, HEIGHT, FPS = 1920, 1080, 30
BITRATE = 8000
THREADS = 2
KEYINT = 60
CLIP = 'street_1080p25_h264.264'

ELEMENT_LATENCY = re.compile(
    r'element-latency, element-id=\(string\)\S+, element=\(string\)enc, '
    r'src=\(string\)src, time=\(guint64\)(\d+)')
REPORTED = re.compile(
    r'element-reported-latency, element-id=\(string\)\S+, '
    r'element=\(string\)enc, live=\(boolean\)\d, min=\(guint64\)(\d+)')
IN_CHAIN = '/GstIdentity:in: last-message = chain'
OUT_CHAIN = '/GstIdentity:out: last-message = chain'


# Estuary's x264 backend keeps adaptive quantisation on at strength 0.001
# where the preset turns it off (ultrafast), so that per-block QP offsets
# apply (docs/elements/estenc.md): the same option-string makes x264enc's
# output byte-identical to Estuary's, which separates that setting from
# the wrapper.
ESTUARY_AQ = 'aq-mode=1:aq-strength=0.001'


def encoder(kind, preset, anchor_options=None):
    if kind == 'anchor':
        return ['x264enc', 'name=enc', 'speed-preset=' + preset,
                'tune=zerolatency', 'pass=cbr', 'bitrate=%d' % BITRATE,
                'vbv-buf-capacity=1000', 'threads=%d' % THREADS,
                'key-int-max=%d' % KEYINT, 'aud=false'] + \
            (['option-string=' + anchor_options] if anchor_options else [])
    return ['esth264enc', 'name=enc', 'speed-preset=' + preset,
            'tune=zerolatency', 'rate-control=cbr', 'bitrate=%d' % BITRATE,
            'vbv-buf-capacity=1000', 'threads=%d' % THREADS,
            'key-int-max=%d' % KEYINT]


def percentile(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


class Bench:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.env = dict(os.environ)
        self.env['GST_REGISTRY'] = os.path.join(tmp, 'registry.bin')
        self.env['GST_PLUGIN_PATH'] = os.path.join(tmp, 'plugins')
        self.env['GST_TRACERS'] = 'latency(flags=element+reported)'
        self.env['GST_DEBUG'] = 'GST_TRACER:7'
        self.env['GST_DEBUG_NO_COLOR'] = '1'

    def copy_plugin(self):
        src = os.path.join(self.args.build, 'gst')
        libs = [os.path.join(src, f) for f in os.listdir(src)
                if f.endswith('.so')] if os.path.isdir(src) else []
        if not libs:
            sys.exit('No plugin in %s: build first or pass --build' % src)
        dst = os.path.join(self.tmp, 'plugins')
        os.makedirs(dst, exist_ok=True)
        for lib in libs:
            shutil.copy2(lib, dst)
        stamp = time.strftime('%Y-%m-%d %H:%M', time.localtime(
            max(os.path.getmtime(lib) for lib in libs)))
        self.plugin_note = '%s (built %s)' % (
            ', '.join(os.path.relpath(lib, ROOT) for lib in libs), stamp)

    def have_element(self, name):
        env = dict(self.env)
        env.pop('GST_TRACERS')
        env.pop('GST_DEBUG')
        return subprocess.run(['gst-inspect-1.0', name], env=env,
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0

    def prepare_source(self):
        args = self.args
        caps = 'video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1' \
            % (WIDTH, HEIGHT, FPS)
        if args.source == 'testsrc':
            self.source = ['videotestsrc', 'is-live=true',
                           'num-buffers=%d' % args.frames, 'pattern=smpte',
                           'horizontal-speed=8', '!', caps]
            self.source_note = 'videotestsrc is-live=true pattern=smpte ' \
                'horizontal-speed=8 (moving colour bars), 1920x1080 I420 ' \
                '30 fps, %d frames' % args.frames
            return
        path = os.path.join(args.media, CLIP)
        if not os.path.exists(path):
            sys.exit('--source clip needs %s' % path)
        decoded = os.path.join(self.tmp, 'clip.yuv')
        subprocess.run(['ffmpeg', '-hide_banner', '-loglevel', 'error',
                        '-nostdin', '-y', '-i', path, '-pix_fmt', 'yuv420p',
                        '-f', 'rawvideo', decoded], check=True)
        size = WIDTH * HEIGHT * 3 // 2
        with open(decoded, 'rb') as f:
            frames = [f.read(size) for _ in range(os.path.getsize(decoded) //
                                                 size)]
        os.unlink(decoded)
        # Forwards, backwards, forwards...: no jump at the loop point.
        cycle = list(range(len(frames))) + \
            list(range(len(frames) - 2, 0, -1))
        raw = os.path.join(self.tmp, 'source.yuv')
        with open(raw, 'wb') as f:
            for i in range(args.frames):
                f.write(frames[cycle[i % len(cycle)]])
        self.source = ['filesrc', 'location=' + raw, 'blocksize=%d' % size,
                       '!', 'rawvideoparse', 'width=%d' % WIDTH,
                       'height=%d' % HEIGHT, 'format=i420',
                       'framerate=%d/1' % FPS, '!', 'clocksync']
        self.source_note = '%s (%d frames played forwards and backwards, ' \
            'paced at 30 fps by clocksync), %d frames' % (CLIP, len(frames),
                                                         args.frames)

    def command(self, kind, case, out):
        return ['gst-launch-1.0', '-v'] + self.source + \
            ['!', 'identity', 'name=in', 'silent=false', '!'] + \
            encoder(kind, *case) + \
            ['!', 'video/x-h264,stream-format=byte-stream', '!', 'identity',
             'name=out', 'silent=false', '!', 'filesink', 'async=false',
             'location=' + out]

    def run_once(self, kind, case, out):
        cmd = self.command(kind, case, out)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           universal_newlines=True, errors='replace')
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            raise RuntimeError('%s failed (%d):\n%s' % (
                ' '.join(cmd), p.returncode, p.stdout[-1500:] +
                p.stderr[-1500:]))
        lat = [int(m.group(1)) / 1e6
               for m in ELEMENT_LATENCY.finditer(p.stderr)]
        reported = [int(m.group(1)) / 1e6
                    for m in REPORTED.finditer(p.stderr)]
        n_in = n_out = held = 0
        for line in p.stdout.split('\n'):
            if IN_CHAIN in line:
                held = max(held, n_in - n_out)
                n_in += 1
            elif OUT_CHAIN in line:
                n_out += 1
        cpu = (after.ru_utime - before.ru_utime) + \
            (after.ru_stime - before.ru_stime)
        return {'lat': lat, 'reported': reported[-1] if reported else None,
                'in': n_in, 'out': n_out, 'held': held, 'cpu': cpu}

    def run_case(self, case):
        args = self.args
        preset, options = case
        label = preset + (', x264enc option-string=' + options
                          if options else '')
        outs = {k: os.path.join(self.tmp, '%s_%d_%s.h264' % (
            preset, bool(options), k)) for k in ('anchor', 'estuary')}
        print('\n== %s' % label)
        for k in ('anchor', 'estuary'):
            print('   %-7s: %s' % (k, ' '.join(
                self.command(k, case, outs[k]))))
        for k in ('anchor', 'estuary'):
            self.run_once(k, case, outs[k])         # warm-up
        pooled = {k: {'lat': [], 'held': 0, 'in': 0, 'out': 0, 'cpu': 0.0,
                      'reported': None} for k in outs}
        # The timed runs write a second copy: whether a side repeats itself
        # tells noise from a difference between the sides.
        for i in range(args.repeats):
            for k in ('anchor', 'estuary'):
                r = self.run_once(k, case, outs[k] + '.again')
                d = pooled[k]
                d['lat'] += r['lat']
                d['held'] = max(d['held'], r['held'])
                d['in'] += r['in']
                d['out'] += r['out']
                d['cpu'] += r['cpu']
                d['reported'] = r['reported']
                print('   run %d %-7s: %d frames in, %d out, %d latency '
                      'records, median %.2f ms, max %.2f ms, held %d'
                      % (i + 1, k, r['in'], r['out'], len(r['lat']),
                         statistics.median(r['lat']) if r['lat'] else -1,
                         max(r['lat']) if r['lat'] else -1, r['held']))
        res = {'preset': label, 'identical': encoders.same_bytes(
            outs['anchor'], outs['estuary'])}
        for k, d in pooled.items():
            if not d['lat']:
                raise RuntimeError('no element-latency records for enc (%s)'
                                   % k)
            res[k] = {
                'median': statistics.median(d['lat']),
                'p95': percentile(d['lat'], 95),
                'max': max(d['lat']),
                'n': len(d['lat']),
                'held': d['held'],
                'in': d['in'],
                'out': d['out'],
                'cpu_ms': 1000 * d['cpu'] / max(1, d['in']),
                'reported': d['reported'],
            }
        sa = encoders.library_settings('x264', outs['anchor'], '')
        se = encoders.library_settings('x264', outs['estuary'], '')
        flaky = [k if k == 'anchor' else 'Estuary' for k in outs
                 if not encoders.same_bytes(outs[k], outs[k] + '.again')]
        res['settings'] = encoders.compare_settings('x264', sa, se) + \
            ('; streams identical' if res['identical'] else
             '; streams differ, ' + ('and so do two runs of %s' % ' and of '
                                     .join(flaky) if flaky else
                                     'each side repeats itself'))
        a, e = res['anchor'], res['estuary']
        print('   median %.2f / %.2f ms (ratio %.3f), p95 %.2f / %.2f ms, '
              'max %.2f / %.2f ms, CPU %.1f / %.1f ms per frame, held %d / '
              '%d; %s' % (a['median'], e['median'], e['median'] / a['median'],
                          a['p95'], e['p95'], a['max'], e['max'],
                          a['cpu_ms'], e['cpu_ms'], a['held'], e['held'],
                          res['settings']))
        return res

    def main(self):
        args = self.args
        self.copy_plugin()
        for name in ('esth264enc', 'x264enc'):
            if not self.have_element(name):
                print('SKIP %s: not in the plugin' % name
                      if name.startswith('est') else
                      'SKIP esth264enc: its anchor x264enc is not installed')
                return 0
        self.prepare_source()
        print('Source: ' + self.source_note)
        print('Plugin: ' + self.plugin_note)
        cases = []
        for preset in args.presets:
            cases.append((preset, None))
            if preset == 'ultrafast':
                cases.append((preset, ESTUARY_AQ))
        results = []
        for case in cases:
            try:
                results.append(self.run_case(case))
            except RuntimeError as e:
                print('FAILED %s: %s' % (case[0], e))
                results.append({'preset': case[0], 'error': str(e)})
        text = self.table(results)
        print()
        print(text)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(text)
        print('Written to ' + args.out)
        return 0

    def table(self, results):
        lines = [
            '# Per-frame encode latency, 1080p30, tune=zerolatency',
            '',
            'Generated by `bench/latency.py` on %s, %s, %d CPUs, GStreamer '
            '%s. Source: %s. Plugin: %s.' % (
                time.strftime('%Y-%m-%d'), platform.machine(),
                os.cpu_count(), encoders.gst_version(), self.source_note,
                self.plugin_note),
            'Both: x264, tune=zerolatency, cbr %d kbit/s, VBV 1 s, %d '
            'threads, keyint %d, no AUD (x264enc vs esth264enc). Latency: '
            'the latency tracer\'s element-latency of the encoder, per '
            'frame, pooled over %d runs of each side (interleaved, after a '
            'warm-up); ratio = Estuary / anchor. Held: most frames inside '
            'the encoder when a new one arrives. Reported: the latency the '
            'encoder reports to the pipeline.' % (
                BITRATE, THREADS, KEYINT, self.args.repeats),
            '',
            '| preset | anchor median ms | Estuary median ms | ratio '
            '| anchor p95 ms | Estuary p95 ms | p95 ratio | anchor max ms '
            '| Estuary max ms | CPU ms/frame (anchor / Estuary) '
            '| frames held (anchor / Estuary) | reported ms '
            '| frames in / out | x264 settings, output |',
            '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|'
            '---|',
        ]
        for r in results:
            if 'error' in r:
                lines.append('| %s | failed: %s |' % (
                    r['preset'], r['error'].split('\n')[0]))
                continue
            a, e = r['anchor'], r['estuary']

            def rep(x):
                return '-' if x is None else '%.1f' % x
            lines.append(
                '| %s | %.2f | %.2f | %.3f | %.2f | %.2f | %.3f | %.2f | %.2f '
                '| %.1f / %.1f | %d / %d | %s / %s | %d / %d, %d / %d | %s |'
                % (r['preset'], a['median'], e['median'],
                   e['median'] / a['median'], a['p95'], e['p95'],
                   e['p95'] / a['p95'], a['max'], e['max'], a['cpu_ms'],
                   e['cpu_ms'], a['held'], e['held'], rep(a['reported']),
                   rep(e['reported']), a['in'], a['out'], e['in'], e['out'],
                   r['settings']))
        lines.append('')
        return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default='build',
                    help='build folder, relative to the repository root')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--frames', type=int, default=150)
    ap.add_argument('--presets', default='ultrafast,veryfast')
    ap.add_argument('--source', choices=('testsrc', 'clip'),
                    default='testsrc')
    ap.add_argument('--media', default=None,
                    help='test media folder, for --source clip (default '
                    '../shared/media next to the repository)')
    ap.add_argument('--out', default=os.path.join(ROOT, 'bench', 'results',
                                                  'latency.md'))
    args = ap.parse_args()
    args.build = os.path.join(ROOT, args.build)
    if args.media is None:
        args.media = os.path.join(ROOT, '..', 'shared', 'media')
    args.presets = args.presets.split(',')
    if args.repeats < 1 or args.frames < 1:
        ap.error('--repeats and --frames must be at least 1')
    for tool in ('gst-launch-1.0', 'gst-inspect-1.0'):
        if not shutil.which(tool):
            sys.exit('%s is not installed' % tool)

    base = '/dev/shm' if os.path.isdir('/dev/shm') else None
    tmp = tempfile.mkdtemp(prefix='estuary-bench-lat-', dir=base)
    try:
        return Bench(args, tmp).main()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
