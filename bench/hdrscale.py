#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
"""esthdrscale against the conversion chains broadcasters use today.

Rows, each tool on the same raw input with the same thread count (T =
--threads, default 2), in the same run:

  hdr-sdr      4K HDR10 (PQ, BT.2020, 10-bit 4:2:0) -> 1080p SDR BT.709
               NV12, bicubic (Catmull-Rom) and the hable curve with the same
               peak (1000 cd/m2) and SDR anchor (203 cd/m2) on both sides,
               against FFmpeg's zscale + tonemap chain in its fastest order
               (zscale scales while it linearises):
                 zscale=w=1920:h=1080:f=bicubic:param_a=0:param_b=0.5:
                   cin=left:t=linear:npl=203, format=gbrpf32le,
                   zscale=p=bt709, tonemap=hable:desat=0:peak=1000/203,
                   zscale=t=bt709:m=bt709:r=tv:c=left, format=yuv420p,
                   format=nv12
               (the last zscale writes yuv420p itself: asked for NV12
               straight from gbrpf32le, FFmpeg inserts swscale with its
               BT.601 default matrix). Both tools read and write MPEG-2
               (left) chroma siting. Claim: >= 5x the frames per second,
               with a smaller error against the float64 reference: the
               first 2 frames of both tools' output are compared with
               tests/common/hdrscaleref.c by build/bench/hdrscale-error
               (esthdrscale with dither off, as the reference has none).
  hdr-sdr-def  the same conversion with esthdrscale's defaults (bt2390,
               lanczos 3, soft gamut mapping), against the same FFmpeg
               chain, for information.
  4k-8k        3840x2160 -> 7680x4320 10-bit 4:2:0, lanczos 3, no colour
               change, against zscale (f=lanczos) and GStreamer's
               videoconvertscale method=lanczos n-threads=T.
               Claim: >= 1.5x zscale, aiming for 2x.
  sdr-hlg      1080p SDR BT.709 8-bit -> 4K HLG 10-bit (BT.2408 mapping,
               SDR white to 203 cd/m2), figures only.
  pq-hlg       4K PQ -> 4K HLG (1000 cd/m2 display), figures only.

Timing: frames are fed from memory. GStreamer: bench/gstfeed.py reads
the raw file into memory once, then pushes the same buffers --loops times
through appsrc ! CONVERSION ! fakesink and times the steady state: from
the end of the first loop (the warm-up: plan, buffer pools, first touches
of 100 MB 8K frames) to EOS; appsrc ! fakesink alone is timed too and
subtracted. FFmpeg: the raw file on /dev/shm (tmpfs) read once, its loop
filter replaying the frames from memory --loops times in all ahead of the
conversion; the same command without the conversion (read, loop, discard)
is timed in the same repeat and subtracted. FFmpeg's start-up and first
frames stay in its time (a few per cent at these lengths: conservative for
esthdrscale). (Subtracting GStreamer's filesrc ! rawvideoparse does not
work: rawvideoparse alone took longer than the whole conversion
pipeline.) A row's fps is frames / (convert time - read time): the cost of
the conversion alone. Medians of --repeats runs, interleaved. Also
printed: the raw fps of the whole command, output megapixels per second,
and for 4k-8k how close to the compute bound the element gets (lanczos-3
at 2x needs 6 multiply-adds per output sample per pass).

Inputs, made once per run: hdr10_mountains_1080p60_av1.mp4 from --media
(default ../shared/media next to the repository) decoded and scaled to
3840x2160 10-bit with FFmpeg's lanczos (the suite has no 4K HDR clip), and
street_1080p25_h264.264 decoded to 8-bit (full range in the stream; it is
treated as limited range BT.709 SDR here, which does not change the cost).
Without the media folder, FFmpeg's testsrc2 is the source and the table
says so.

    bench/hdrscale.py [--build build] [--media DIR] [--threads 2]
                      [--frames 30] [--loops 3] [--repeats 3]
                      [--rows hdr-sdr,4k-8k,...]
                      [--out bench/results/hdrscale.md]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 900

# FFmpeg's fastest order. The last zscale must write yuv420p itself: asked
# for NV12 straight from gbrpf32le, FFmpeg would insert swscale, whose
# default matrix is BT.601.
TONEMAP_CHAIN = (
    'zscale=w=1920:h=1080:f=bicubic:param_a=0:param_b=0.5:cin=left:'
    't=linear:npl=203,format=gbrpf32le,zscale=p=bt709,'
    'tonemap=tonemap=hable:desat=0:peak=%.6f,'
    'zscale=t=bt709:m=bt709:r=tv:c=left,format=yuv420p,format=nv12'
    % (1000 / 203))
# Both tools read and write MPEG-2 (left) chroma siting, FFmpeg's default.
SITING = ['!', 'capssetter', 'caps=video/x-raw,chroma-site=mpeg2']


def run(cmd, env=None):
    """Seconds of cmd: what gstfeed.py reports for GStreamer pipelines, the
    wall time otherwise. Raises with its output when it fails."""
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       universal_newlines=True, errors='replace',
                       timeout=TIMEOUT)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError('%s failed:\n%s' % (' '.join(cmd),
                                               p.stdout[-2000:]))
    for line in p.stdout.splitlines():
        if line.startswith('SECONDS '):
            return float(line.split()[1])
    return wall


class Source:
    def __init__(self, path, width, height, depth, colorimetry, ff_colour,
                 frames, label):
        self.path = path
        self.width = width
        self.height = height
        self.depth = depth
        self.colorimetry = colorimetry
        self.ff_colour = ff_colour
        self.frames = frames
        self.label = label
        self.loops = 1

    @property
    def frame_size(self):
        return self.width * self.height * 3 // 2 * (2 if self.depth > 8
                                                     else 1)

    def gst(self):
        fmt = 'i420-10le' if self.depth > 8 else 'i420'
        return ['filesrc', 'location=' + self.path,
                'blocksize=%d' % self.frame_size, '!',
                'rawvideoparse', 'format=' + fmt,
                'width=%d' % self.width, 'height=%d' % self.height,
                'framerate=25/1', 'colorimetry=' + self.colorimetry] + SITING

    def ffmpeg_input(self, threads):
        return ['ffmpeg', '-v', 'error', '-nostdin', '-threads',
                str(threads), '-filter_threads', str(threads),
                '-f', 'rawvideo',
                '-pix_fmt', 'yuv420p10le' if self.depth > 8 else 'yuv420p',
                '-s', '%dx%d' % (self.width, self.height), '-r', '25'] + \
            self.ff_colour + ['-i', self.path]


def make_sources(args, tmp):
    n = args.frames
    media = args.media
    hdr = os.path.join(tmp, 'hdr4k.yuv')
    sdr = os.path.join(tmp, 'sdr1080.yuv')
    clip_hdr = os.path.join(media, 'hdr10_mountains_1080p60_av1.mp4')
    clip_sdr = os.path.join(media, 'street_1080p25_h264.264')
    real = os.path.exists(clip_hdr) and os.path.exists(clip_sdr)
    if real:
        hdr_in = ['-i', clip_hdr]
        sdr_in = ['-i', clip_sdr]
        hdr_label = 'hdr10_mountains, scaled to 3840x2160 (lanczos)'
        sdr_label = 'street_1080p25'
    else:
        hdr_in = ['-f', 'lavfi', '-i', 'testsrc2=s=1920x1080:r=25']
        sdr_in = hdr_in
        hdr_label = sdr_label = 'testsrc2 (no media folder: not representative)'
    # Loop short clips so every row gets n frames.
    run(['ffmpeg', '-v', 'error', '-nostdin', '-stream_loop', '-1'] +
        hdr_in + ['-frames:v', str(n), '-vf',
                  'scale=3840:2160:flags=lanczos,format=yuv420p10le',
                  '-f', 'rawvideo', '-y', hdr])
    run(['ffmpeg', '-v', 'error', '-nostdin', '-stream_loop', '-1'] +
        sdr_in + ['-frames:v', str(n), '-vf',
                  'scale=1920:1080,format=yuv420p', '-f', 'rawvideo', '-y',
                  sdr])
    pq = ['-color_primaries', 'bt2020', '-color_trc', 'smpte2084',
          '-colorspace', 'bt2020nc', '-color_range', 'tv']
    bt709 = ['-color_primaries', 'bt709', '-color_trc', 'bt709',
             '-colorspace', 'bt709', '-color_range', 'tv']
    return (Source(hdr, 3840, 2160, 10, 'bt2100-pq', pq, n, hdr_label),
            Source(sdr, 1920, 1080, 8, 'bt709', bt709, n, sdr_label))


def gst_cmd(src, middle):
    """src's frames fed from memory (bench/gstfeed.py) into middle."""
    fmt = 'I420_10LE' if src.depth > 8 else 'I420'
    caps = ('video/x-raw,format=%s,width=%d,height=%d,framerate=25/1,'
            'colorimetry=%s,chroma-site=mpeg2' % (fmt, src.width, src.height,
                                                  src.colorimetry))
    return ['/usr/bin/python3', os.path.join(ROOT, 'bench', 'gstfeed.py'),
            src.path, caps, str(src.frame_size), str(src.loops),
            ' '.join(middle + ['!', 'fakesink', 'name=feedsink',
                               'sync=false'])]


def rows(args, hdr, sdr):
    t = args.threads
    out1080 = ['video/x-raw,format=NV12,width=1920,height=1080,'
               'colorimetry=bt709']
    return [
        {
            'id': 'hdr-sdr', 'src': hdr, 'out': (1920, 1080),
            'what': '4K PQ -> 1080p SDR NV12, bicubic, hable',
            'est': gst_cmd(hdr, ['esthdrscale', 'n-threads=%d' % t,
                                 'method=bicubic', 'tone-curve=hable',
                                 'gamut-mapping=clip', 'source-peak=1000',
                                 'sdr-white=203', '!'] + out1080),
            'anchors': [('FFmpeg zscale+tonemap', 'ffmpeg',
                         ['-vf', TONEMAP_CHAIN])],
            'goal': 5.0,
        },
        {
            'id': 'hdr-sdr-def', 'src': hdr, 'out': (1920, 1080),
            'what': '4K PQ -> 1080p SDR NV12, element defaults '
                    '(bt2390, lanczos 3, soft gamut)',
            'est': gst_cmd(hdr, ['esthdrscale', 'n-threads=%d' % t,
                                 'source-peak=1000', '!'] + out1080),
            'anchors': [('FFmpeg zscale+tonemap (hable, bicubic)', 'ffmpeg',
                         ['-vf', TONEMAP_CHAIN])],
            'goal': None,
        },
        {
            'id': '4k-8k', 'src': hdr, 'out': (7680, 4320),
            'what': '3840x2160 -> 7680x4320 10-bit 4:2:0, lanczos 3',
            'est': gst_cmd(hdr, ['esthdrscale', 'n-threads=%d' % t,
                                 'method=lanczos', 'taps=3', '!',
                                 'video/x-raw,width=7680,height=4320']),
            'anchors': [
                ('FFmpeg zscale', 'ffmpeg',
                 ['-vf', 'zscale=w=7680:h=4320:f=lanczos']),
                ('videoconvertscale', 'gst',
                 gst_cmd(hdr, ['videoconvertscale', 'method=lanczos',
                               'n-threads=%d' % t, '!',
                               'video/x-raw,width=7680,height=4320'])),
            ],
            'goal': 1.5,
        },
        {
            'id': 'sdr-hlg', 'src': sdr, 'out': (3840, 2160),
            'what': '1080p SDR BT.709 -> 4K HLG 10-bit',
            'est': gst_cmd(sdr, ['esthdrscale', 'n-threads=%d' % t, '!',
                                 'video/x-raw,format=I420_10LE,width=3840,'
                                 'height=2160,colorimetry=bt2100-hlg']),
            'anchors': [], 'goal': None,
        },
        {
            'id': 'pq-hlg', 'src': hdr, 'out': (3840, 2160),
            'what': '4K PQ -> 4K HLG 10-bit',
            'est': gst_cmd(hdr, ['esthdrscale', 'n-threads=%d' % t, '!',
                                 'video/x-raw,format=I420_10LE,'
                                 'colorimetry=bt2100-hlg']),
            'anchors': [], 'goal': None,
        },
    ]


def ffmpeg_cmd(src, threads, filters):
    """FFmpeg reads src's frames once; its loop filter then replays them
    from memory --loops times in all, ahead of the conversion (filters is
    ['-vf', chain] or empty for the bare run)."""
    loop = 'loop=loop=%d:size=%d:start=0' % (src.loops - 1, src.frames)
    chain = loop + (',' + filters[1] if filters else '')
    return src.ffmpeg_input(threads) + ['-vf', chain, '-f', 'null', '-']


def measure(args, row, env):
    """Median seconds of each command, bare reads subtracted."""
    src = row['src']
    cmds = {'est': row['est'],
            'gst-read': gst_cmd(src, ['identity']),
            'ffmpeg-read': ffmpeg_cmd(src, args.threads, [])}
    for name, kind, spec in row['anchors']:
        cmds[name] = spec if kind == 'gst' else \
            ffmpeg_cmd(src, args.threads, spec)
    times = {k: [] for k in cmds}
    for _ in range(args.repeats):
        for k, c in cmds.items():
            times[k].append(run(c, env))
    med = {k: statistics.median(v) for k, v in times.items()}
    res = {'raw': {}, 'net': {}}
    for k, v in med.items():
        if k.endswith('-read'):
            continue
        kind = 'gst' if k == 'est' or any(
            a[0] == k and a[1] == 'gst' for a in row['anchors']) else 'ffmpeg'
        read = med[kind + '-read']
        # gstfeed.py times the loops after the first (warm-up); FFmpeg
        # runs them all.
        frames = src.frames * (src.loops - 1 if kind == 'gst' and
                               src.loops > 1 else src.loops)
        res['raw'][k] = frames / v
        res['net'][k] = frames / max(v - read, 1e-6)
    return res


def measure_error(args, hdr, env, tmp, frames=2):
    """Error of both hdr-sdr tools against the float64 reference of
    tests/common/hdrscaleref.c (bench/hdrscale-error), on the first frames:
    esthdrscale with dither off (the reference has none)."""
    tool = os.path.join(ROOT, args.build, 'bench', 'hdrscale-error')
    if not os.path.exists(tool):
        return None
    src = os.path.join(tmp, 'err-in.yuv')
    with open(hdr.path, 'rb') as f, open(src, 'wb') as o:
        o.write(f.read(hdr.frame_size * frames))
    part = Source(src, hdr.width, hdr.height, hdr.depth, hdr.colorimetry,
                  hdr.ff_colour, frames, hdr.label)
    est = os.path.join(tmp, 'err-est.nv12')
    ff = os.path.join(tmp, 'err-ff.nv12')
    run(['gst-launch-1.0', '-q'] + part.gst() + [
        '!', 'esthdrscale', 'method=bicubic', 'tone-curve=hable',
        'gamut-mapping=clip', 'source-peak=1000', 'sdr-white=203',
        'dither=false', '!', 'video/x-raw,format=NV12,width=1920,'
        'height=1080,colorimetry=bt709', '!', 'filesink', 'location=' + est],
        env)
    run(ffmpeg_cmd(part, args.threads, ['-vf', TONEMAP_CHAIN]
                   )[:-3] + ['-f', 'rawvideo', '-y', ff], env)
    out = subprocess.run(
        [tool, '--input', src, '--in-format', 'I420_10LE', '--in-size',
         '%dx%d' % (hdr.width, hdr.height), '--in-colorimetry',
         hdr.colorimetry, '--frames', str(frames), '--out-size', '1920x1080',
         '--out-format', 'NV12', '--out-colorimetry', 'bt709',
         '--chroma-site', 'mpeg2', '--method', 'bicubic', '--tone-curve',
         'hable', '--tone-mapping-mode', 'max-rgb', '--gamut-mapping', 'clip',
         '--source-peak', '1000', '--sdr-white', '203',
         'esthdrscale=' + est, 'ffmpeg=' + ff],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=TIMEOUT).stdout
    res = {}
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == 'RESULT':
            res[f[1]] = {'max': float(f[2]), 'mean': float(f[3]),
                         'psnr_y': float(f[4]), 'psnr_c': float(f[5])}
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default='build')
    ap.add_argument('--media',
                    default=os.path.join(ROOT, '..', 'shared', 'media'))
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--frames', type=int, default=30)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--loops', type=int, default=3,
                    help='times GStreamer gets the frames from memory')
    ap.add_argument('--rows', default='')
    ap.add_argument('--out',
                    default=os.path.join(ROOT, 'bench', 'results',
                                         'hdrscale.md'))
    args = ap.parse_args()

    for tool in ('gst-launch-1.0', 'ffmpeg'):
        if not shutil.which(tool):
            print('SKIP: %s is not installed' % tool)
            return 77

    shm = '/dev/shm' if os.path.isdir('/dev/shm') else None
    tmp = tempfile.mkdtemp(prefix='estuary-bench-hdrscale-', dir=shm)
    try:
        plugin = os.path.join(tmp, 'plugin')
        os.mkdir(plugin)
        build = os.path.join(ROOT, args.build, 'gst')
        for f in os.listdir(build):
            if f.endswith('.so'):
                shutil.copy(os.path.join(build, f), plugin)
        env = dict(os.environ, GST_PLUGIN_PATH=plugin,
                   GST_REGISTRY=os.path.join(tmp, 'registry.bin'))
        print('preparing %d frames of input in %s' % (args.frames, tmp))
        hdr, sdr = make_sources(args, tmp)
        hdr.loops = sdr.loops = args.loops
        wanted = set(args.rows.split(',')) if args.rows else None
        notes = []
        lines = [
            '# esthdrscale: conversion speed',
            '',
            'Command: `bench/hdrscale.py --threads %d --frames %d --loops '
            '%d --repeats %d`. fps = frames / (conversion time - the same '
            "tool's bare feed or read time), medians of %d interleaved runs;"
            ' GStreamer fed from memory (appsrc), FFmpeg from tmpfs; raw fps '
            '(nothing subtracted) in brackets.' % (
                args.threads, args.frames, args.loops, args.repeats,
                args.repeats),
            '',
            'Inputs: 4K HDR: %s; 1080p SDR: %s.' % (hdr.label, sdr.label),
            '',
            '| row | conversion | esthdrscale fps | Mpixel/s out | anchor '
            '| anchor fps | ratio | goal |',
            '|---|---|---:|---:|---|---:|---:|---|',
        ]
        for row in rows(args, hdr, sdr):
            if wanted and row['id'] not in wanted:
                continue
            print('row %s: %s' % (row['id'], row['what']), flush=True)
            r = measure(args, row, env)
            est = r['net']['est']
            mpx = est * row['out'][0] * row['out'][1] / 1e6
            anchors = row['anchors'] or [('-', None, None)]
            for i, (name, _, _) in enumerate(anchors):
                if name == '-':
                    cells = ['-', '-', '-']
                else:
                    a = r['net'][name]
                    cells = ['%s' % name, '%.1f (%.1f)' % (a, r['raw'][name]),
                             '%.2f' % (est / a)]
                goal = row['goal'] if i == 0 and row['goal'] else None
                goal_cell = '-' if not goal else (
                    '>= %.1fx: %s' % (goal, 'met' if est / r['net'][name] >=
                                      goal else 'MISSED'))
                first = i == 0
                lines.append('| %s | %s | %s | %s | %s | %s |' % (
                    row['id'] if first else '',
                    row['what'] if first else '',
                    '%.1f (%.1f)' % (est, r['raw']['est']) if first else '',
                    '%.0f' % mpx if first else '',
                    ' | '.join(cells), goal_cell))
            if row['id'] == '4k-8k':
                # 6 taps per pass: horizontal over 2160 rows of 7680, then
                # vertical over 4320 rows; chroma a quarter of each.
                macs = 6 * (7680 * 2160 + 7680 * 4320) * 1.5
                notes.append(
                    '4k-8k: %.0f M multiply-adds per frame; at %.1f fps the '
                    'element does %.1f G multiply-adds/s on %d threads.' % (
                        macs / 1e6, est, macs * est / 1e9, args.threads))
            print('\n'.join(lines[-len(anchors):]), flush=True)
        if not wanted or 'hdr-sdr' in wanted:
            err = measure_error(args, hdr, env, tmp)
            if err and 'esthdrscale' in err and 'ffmpeg' in err:
                lines.append('')
                lines.append('Error against the float64 reference '
                             '(tests/common/hdrscaleref.c), hdr-sdr row, '
                             'first 2 frames, 8-bit NV12 codes '
                             '(esthdrscale with dither off):')
                lines.append('')
                lines.append('| tool | max abs diff | mean abs diff | '
                             'PSNR Y dB | PSNR CbCr dB |')
                lines.append('|---|---:|---:|---:|---:|')
                for k in ('esthdrscale', 'ffmpeg'):
                    e = err[k]
                    lines.append('| %s | %g | %.4f | %.1f | %.1f |' % (
                        k if k == 'esthdrscale' else
                        'FFmpeg zscale+tonemap', e['max'], e['mean'],
                        e['psnr_y'], e['psnr_c']))
        lines.append('')
        lines.extend(notes)
        lines.append('')
        lines.append('Raw fps (in brackets) include the bare feed or read; '
                     'the difference between the two figures is what was '
                     'subtracted.')
        text = '\n'.join(lines) + '\n'
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(text)
        print()
        print(text)
        print('written to %s' % args.out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
