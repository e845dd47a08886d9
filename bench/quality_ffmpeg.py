#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
"""estquality against FFmpeg's psnr and ssim filters on real 1080p clips.

What it measures, in one run:

* Agreement: per frame, |estquality - FFmpeg| of PSNR Y, U, V, average and
  of luma SSIM; the table shows the largest over the clip. The tolerances
  are 0.01 dB and 0.002. FFmpeg's psnr stats file prints two decimals, so
  up to 0.005 dB of each PSNR difference is FFmpeg's rounding. Planes
  FFmpeg calls identical ("inf") are estquality's 100 dB cap: they are
  counted and left out.
* Speed of PSNR + SSIM at 1080p with 2 threads: FFmpeg computes both in one
  command (`split`, `psnr`, `ssim`, `-f null`), Estuary with
  `gst-launch-1.0 ... estquality metrics=psnr+ssim threads=2 ! fakesink`.
  Each tool also runs a baseline, the same command without the metrics
  (FFmpeg reading both inputs to null, estquality with metrics=0), so the
  table shows the whole command and the metric-only time (command minus
  baseline). Medians of --runs interleaved runs, after one warm-up each.
  The ratio FFmpeg / Estuary is > 1 when Estuary is faster. FFmpeg's ssim
  filter measures all three planes, estquality luma only.

Inputs (from --media, default ../shared/media next to the repository):
street_1080p25_h264.264 (8-bit, 54 frames; full-range yuvj420p, whose
bytes both tools read as yuv420p) and hdr10_rooftops_1080p30_hevc.mp4
(10-bit, 28 frames). Each is decoded to a raw reference with ffmpeg; the
distorted copy is an ffmpeg libx264 / libx265 encode at -crf 35 -preset
ultrafast, decoded back to raw. Everything lives in a temporary folder.

Run from anywhere, after building:

    bench/quality_ffmpeg.py [--build build] [--media DIR] [--runs 5]
                            [--out bench/results/quality.md]

The Estuary plugin comes from --build (relative to the repository root)
with a private registry in the temporary folder. Without the media folder
the benchmark prints why and exits 0. Needs ffmpeg, ffprobe (with libx264
and libx265) and gst-launch-1.0 with rawvideoparse.
"""

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREADS = 2
PSNR_TOL = 0.01
SSIM_TOL = 0.002
CAP_DB = 100.0

CLIPS = [
    {
        'label': 'street 1080p25 8-bit (H.264 source)',
        'file': 'street_1080p25_h264.264',
        'depth': 8,
        # Full range: keep the decoder's bytes (yuvj420p), read them as
        # yuv420p on both sides so that nothing converts the range.
        'decode_fmt': 'yuvj420p',
        'raw_fmt': 'yuv420p',
        'gst_fmt': 'i420',
        'encode': ['-c:v', 'libx264', '-crf', '35', '-preset', 'ultrafast'],
        'frames': 54,
    },
    {
        'label': 'rooftops 1080p30 10-bit HDR10 (HEVC source)',
        'file': 'hdr10_rooftops_1080p30_hevc.mp4',
        'depth': 10,
        'decode_fmt': 'yuv420p10le',
        'raw_fmt': 'yuv420p10le',
        'gst_fmt': 'i420-10le',
        'encode': ['-c:v', 'libx265', '-crf', '35', '-preset', 'ultrafast',
                   '-x265-params', 'log-level=error'],
        'frames': 28,
    },
]

FIELDS = ['psnr_y', 'psnr_u', 'psnr_v', 'psnr_avg', 'ssim_y']


def run(cmd, env=None, capture=False):
    """Runs cmd, exits with its stderr on failure; returns stdout."""
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit('failed (%d): %s\n%s' % (p.returncode, ' '.join(cmd),
                                          p.stderr[-4000:]))
    return p.stdout if capture else None


def timed(cmd, env):
    """Wall and CPU (user + sys) seconds of one run of cmd."""
    # stderr goes to a file: a full pipe would stall the child.
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                             stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            sys.exit('failed (%d): %s\n%s' % (
                p.returncode, ' '.join(cmd),
                err.read().decode(errors='replace')[-4000:]))
    return wall, usage.ru_utime + usage.ru_stime


def probe(path):
    out = run(['ffprobe', '-v', 'error', '-select_streams', 'v:0',
               '-show_entries', 'stream=width,height,pix_fmt,r_frame_rate',
               '-of', 'default=noprint_wrappers=1', path], capture=True)
    info = dict(line.split('=', 1) for line in out.split())
    return int(info['width']), int(info['height']), info['r_frame_rate']


def raw_input(path, clip, width, height, rate):
    return ['-f', 'rawvideo', '-pix_fmt', clip['raw_fmt'],
            '-video_size', '%dx%d' % (width, height), '-framerate', rate,
            '-i', path]


def prepare(clip, media, tmp):
    """Writes the raw ref and dist of a clip; returns their description."""
    src = os.path.join(media, clip['file'])
    width, height, rate = probe(src)
    stem = os.path.join(tmp, os.path.splitext(clip['file'])[0])
    ref, enc, dist = stem + '.ref.yuv', stem + '.dist.mkv', stem + '.dist.yuv'
    ff = ['ffmpeg', '-nostdin', '-hide_banner', '-loglevel', 'error', '-y']

    run(ff + ['-i', src, '-map', '0:v:0', '-fps_mode', 'passthrough',
              '-f', 'rawvideo', '-pix_fmt', clip['decode_fmt'], ref])
    run(ff + raw_input(ref, clip, width, height, rate) + clip['encode'] +
        ['-pix_fmt', clip['raw_fmt'], enc])
    run(ff + ['-i', enc, '-fps_mode', 'passthrough', '-f', 'rawvideo',
              '-pix_fmt', clip['raw_fmt'], dist])

    bps = 2 if clip['depth'] > 8 else 1
    frame_size = bps * (width * height +
                        2 * ((width + 1) // 2) * ((height + 1) // 2))
    frames = os.path.getsize(ref) // frame_size
    if os.path.getsize(ref) != frames * frame_size or \
            os.path.getsize(dist) != os.path.getsize(ref):
        sys.exit('%s: ref is %d bytes, dist %d, frame %d' % (
            clip['file'], os.path.getsize(ref), os.path.getsize(dist),
            frame_size))
    if frames != clip['frames']:
        print('note: %s decodes to %d frames (expected %d)' % (
            clip['file'], frames, clip['frames']), file=sys.stderr)
    return {'ref': ref, 'dist': dist, 'width': width, 'height': height,
            'rate': rate, 'frames': frames, 'stem': stem}


def ffmpeg_cmd(clip, d, metrics, stats=False):
    """FFmpeg reading dist and ref; with metrics, psnr and ssim fed by a
    split of ref (psnr passes dist on to ssim)."""
    cmd = ['ffmpeg', '-nostdin', '-hide_banner', '-loglevel', 'error']
    cmd += raw_input(d['dist'], clip, d['width'], d['height'], d['rate'])
    cmd += raw_input(d['ref'], clip, d['width'], d['height'], d['rate'])
    cmd += ['-filter_threads', str(THREADS),
            '-filter_complex_threads', str(THREADS)]
    if metrics:
        psnr, ssim = 'psnr', 'ssim'
        if stats:
            psnr += '=stats_file=' + d['stem'] + '.psnr.log'
            ssim += '=stats_file=' + d['stem'] + '.ssim.log'
        cmd += ['-filter_complex',
                '[1:v]split[r0][r1];[0:v][r0]%s[p];[p][r1]%s' % (psnr, ssim)]
    else:
        cmd += ['-map', '0:v', '-map', '1:v']
    return cmd + ['-f', 'null', '-']


def gst_cmd(clip, d, metrics, stats=False):
    def branch(path, pad):
        return ['filesrc', 'location=' + path, '!', 'rawvideoparse',
                'width=%d' % d['width'], 'height=%d' % d['height'],
                'format=' + clip['gst_fmt'], 'framerate=' + d['rate'],
                '!', 'q.' + pad]

    cmd = ['gst-launch-1.0', '-q']
    cmd += branch(d['ref'], 'ref') + branch(d['dist'], 'dist')
    cmd += ['estquality', 'name=q', 'pairing=index',
            'metrics=' + ('psnr+ssim' if metrics else '0'),
            'threads=%d' % THREADS]
    if stats:
        cmd += ['stats-file=' + d['stem'] + '.estquality.csv']
    return cmd + ['!', 'fakesink']


def ffmpeg_stats(d):
    """Per frame {field: value} from FFmpeg's stats files."""
    def read(path):
        rows = []
        with open(path) as f:
            for line in f:
                rows.append(dict(kv.split(':', 1) for kv in line.split()
                                 if ':' in kv))
        return rows

    psnr = read(d['stem'] + '.psnr.log')
    ssim = read(d['stem'] + '.ssim.log')
    return [{'psnr_y': float(p['psnr_y']), 'psnr_u': float(p['psnr_u']),
             'psnr_v': float(p['psnr_v']), 'psnr_avg': float(p['psnr_avg']),
             'ssim_y': float(s['Y'])} for p, s in zip(psnr, ssim)]


def estquality_stats(d):
    with open(d['stem'] + '.estquality.csv') as f:
        header = f.readline().strip().split(',')
        return [{k: float(v) for k, v in zip(header, line.strip().split(','))
                 if k in FIELDS} for line in f if line.strip()]


def agreement(clip, d, ff_env, gst_env):
    run(ffmpeg_cmd(clip, d, True, stats=True), env=ff_env)
    run(gst_cmd(clip, d, True, stats=True), env=gst_env)
    ff, est = ffmpeg_stats(d), estquality_stats(d)
    if len(ff) != d['frames'] or len(est) != d['frames']:
        sys.exit('%s: FFmpeg measured %d frames, estquality %d, want %d' % (
            clip['file'], len(ff), len(est), d['frames']))
    worst = {k: 0.0 for k in FIELDS}
    skipped = 0
    for f, e in zip(ff, est):
        for k in FIELDS:
            if math.isinf(f[k]):
                skipped += 1
                if e[k] != CAP_DB:
                    worst[k] = math.inf
                continue
            worst[k] = max(worst[k], abs(e[k] - f[k]))
    mean = {k: statistics.fmean(f[k] for f in ff if not math.isinf(f[k]))
            for k in ('psnr_y', 'ssim_y')}
    ok = all(worst[k] <= (SSIM_TOL if k == 'ssim_y' else PSNR_TOL)
             for k in FIELDS)
    return {'worst': worst, 'skipped': skipped, 'mean': mean, 'ok': ok}


def speed(clip, d, ff_env, gst_env, runs):
    cmds = {
        'ff': (ffmpeg_cmd(clip, d, True), ff_env),
        'ff_base': (ffmpeg_cmd(clip, d, False), ff_env),
        'gst': (gst_cmd(clip, d, True), gst_env),
        'gst_base': (gst_cmd(clip, d, False), gst_env),
    }
    for cmd, env in cmds.values():
        timed(cmd, env)          # warm-up: page cache, registry, libraries
    times = {k: [] for k in cmds}
    for _ in range(runs):
        for k, (cmd, env) in cmds.items():
            times[k].append(timed(cmd, env))
    return {k: (statistics.median(w for w, _ in v),
                statistics.median(c for _, c in v)) for k, v in times.items()}


def check_plugin(env, plugin_dir):
    out = run(['gst-inspect-1.0', 'estquality'], env=env, capture=True)
    for line in out.splitlines():
        if line.strip().startswith('Filename'):
            path = line.split(None, 1)[1].strip()
            if os.path.dirname(os.path.realpath(path)) == \
                    os.path.realpath(plugin_dir):
                return
            sys.exit('estquality comes from %s, not %s' % (path, plugin_dir))
    sys.exit('gst-inspect-1.0 did not say where estquality comes from')


def version(cmd):
    return run(cmd, capture=True).splitlines()[0].strip()


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown CPU'


def fmt_delta(v, digits):
    return 'inf' if math.isinf(v) else '%.*f' % (digits, v)


def ratio(a, b):
    return '%.2f' % (a / b) if b > 0 and a > 0 else 'n/a'


def table(results, runs):
    ffv = version(['ffmpeg', '-version'])
    gstv = version(['gst-launch-1.0', '--version'])
    lines = [
        '# estquality against FFmpeg psnr + ssim',
        '',
        'Generated by `bench/quality_ffmpeg.py` on %s (%d CPUs); %s; %s.' % (
            cpu_model(), os.cpu_count(), ffv, gstv),
        'Distorted stream: libx264 / libx265 `-crf 35 -preset ultrafast`, '
        'decoded back to raw.',
        '',
        '## Agreement (largest per-frame |estquality - FFmpeg|)',
        '',
        'Tolerances: %.2f dB (PSNR), %.3f (SSIM). FFmpeg prints PSNR with two '
        'decimals, so up to 0.005 dB of each PSNR figure is its rounding. '
        'Values FFmpeg gives as inf (identical planes; estquality: 100 dB) '
        'are not compared.' % (PSNR_TOL, SSIM_TOL),
        '',
        '| clip | frames | mean PSNR-Y (dB) | mean SSIM-Y | PSNR-Y | PSNR-U '
        '| PSNR-V | PSNR-avg | SSIM-Y | inf skipped | within tolerance |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ]
    for clip, d, a, _ in results:
        w = a['worst']
        lines.append('| %s | %d | %.2f | %.4f | %s | %s | %s | %s | %s | %d '
                     '| %s |' % (
                         clip['label'], d['frames'], a['mean']['psnr_y'],
                         a['mean']['ssim_y'], fmt_delta(w['psnr_y'], 4),
                         fmt_delta(w['psnr_u'], 4), fmt_delta(w['psnr_v'], 4),
                         fmt_delta(w['psnr_avg'], 4),
                         fmt_delta(w['ssim_y'], 6), a['skipped'],
                         'yes' if a['ok'] else '**NO**'))
    lines += [
        '',
        '## Speed: PSNR + SSIM, 1080p, %d threads' % THREADS,
        '',
        'Wall seconds, median of %d interleaved runs (CPU seconds, user + '
        'sys, in brackets). Baseline: the same command without the metrics '
        '(FFmpeg reading both inputs to null; estquality metrics=0). '
        'Metric-only = whole - baseline. Ratio = FFmpeg / Estuary: > 1 means '
        'Estuary is faster. Not quite the same work: FFmpeg\'s ssim filter '
        'always measures all three planes (1.5x the samples of luma at '
        '4:2:0), estquality luma only.' % runs,
        '',
        '| clip | FFmpeg whole | FFmpeg baseline | FFmpeg metric-only '
        '| Estuary whole | Estuary baseline | Estuary metric-only '
        '| ratio whole | ratio metric-only |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for clip, d, _, s in results:
        ff, ffb, gst, gstb = s['ff'], s['ff_base'], s['gst'], s['gst_base']
        ff_only, gst_only = ff[0] - ffb[0], gst[0] - gstb[0]
        lines.append(
            '| %s | %.3f (%.2f) | %.3f (%.2f) | %.3f | %.3f (%.2f) '
            '| %.3f (%.2f) | %.3f | %s | %s |' % (
                clip['label'], ff[0], ff[1], ffb[0], ffb[1], ff_only,
                gst[0], gst[1], gstb[0], gstb[1], gst_only,
                ratio(ff[0], gst[0]), ratio(ff_only, gst_only)))
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--build', default='build',
                    help='build folder, relative to the repository root '
                    '(default: build)')
    ap.add_argument('--media', default=os.path.join(ROOT, '..', 'shared',
                                                    'media'),
                    help='folder of the test clips')
    ap.add_argument('--runs', type=int, default=5,
                    help='timed runs per command (>= 3, default 5)')
    ap.add_argument('--out', default=os.path.join(ROOT, 'bench', 'results',
                                                  'quality.md'),
                    help='Markdown table to write')
    args = ap.parse_args()

    if not os.path.isdir(args.media):
        print('SKIP: no media folder %s (pass --media DIR)' % args.media)
        return 0
    clips = [c for c in CLIPS
             if os.path.isfile(os.path.join(args.media, c['file']))]
    for c in CLIPS:
        if c not in clips:
            print('SKIP: %s: no %s' % (c['label'], c['file']))
    if not clips:
        return 0
    runs = max(3, args.runs)

    build = os.path.join(ROOT, args.build)
    plugin_dir = os.path.join(build, 'gst')
    if not os.path.isfile(os.path.join(plugin_dir, 'libgstestuary.so')):
        sys.exit('no %s/libgstestuary.so: build first (ninja -C %s)' % (
            plugin_dir, args.build))

    with tempfile.TemporaryDirectory(prefix='quality-ffmpeg-') as tmp:
        ff_env = dict(os.environ)
        gst_env = dict(os.environ, GST_PLUGIN_PATH_1_0=plugin_dir,
                       GST_PLUGIN_PATH=plugin_dir,
                       GST_REGISTRY=os.path.join(tmp, 'registry.bin'))
        check_plugin(gst_env, plugin_dir)

        results = []
        for clip in clips:
            print('%s: preparing' % clip['label'], file=sys.stderr)
            d = prepare(clip, args.media, tmp)
            print('%s: agreement' % clip['label'], file=sys.stderr)
            a = agreement(clip, d, ff_env, gst_env)
            print('%s: speed' % clip['label'], file=sys.stderr)
            s = speed(clip, d, ff_env, gst_env, runs)
            results.append((clip, d, a, s))
            for path in (d['ref'], d['dist']):
                os.unlink(path)

    text = table(results, runs)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write(text)
    print(text)
    print('wrote %s' % args.out, file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
