#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
"""The virtual accelerator (estuary_drv_video.so) against the engines it wraps.

Rows, each measured in the same run as its anchor:

  vpp scale    1080p SDR NV12 -> 1280x720 NV12, VA_FILTER_SCALING_DEFAULT
               (bicubic)
  vpp tonemap  1080p HDR10 P010 (PQ, BT.2020) -> 1080p NV12 BT.709 SDR,
               the HDR tone-mapping filter with the clip's HDR10 metadata,
               explicit colour standards
  vpp upscale  1080p NV12 -> 3840x2160 NV12, VA_FILTER_SCALING_HQ (lanczos)
               Driver: a direct libva program (build/bench/bench-vchip,
               see bench/vchip.c), the frames already in surfaces: no
               upload, no download. Anchor: est_hdr_scale_process (the
               esthdrscale CPU path) on the same frames in memory with the
               parameters the driver maps the request to, the same thread
               count (one per CPU). Goal: driver / CPU >= 0.8.
  ffmpeg scale_vaapi   the scale row through FFmpeg on the driver, for
               information: raw NV12 on tmpfs, replayed from memory by the
               loop filter, -vf hwupload,scale_vaapi=w=1280:h=720:
               mode=default,hwdownload,format=nv12 (scale_vaapi's own
               default mode is hq, lanczos on the driver); the same
               command without the filters (read, loop, discard) is timed
               in the same repeat and subtracted, as bench/hdrscale.py
               does, and so, in a second figure, is the command with
               hwupload,hwdownload alone (the cost of the transfers).
               FFmpeg opens a VA display only on a DRM node:
               tests/sys/vashim.c (LD_PRELOAD, built at
               BUILD/tests/sys/vchip/vashim.so) makes a plain file pass
               for one. Without the shim, or when FFmpeg cannot open the
               driver, the row says why.
  enc h264     H.264 High, CQP 26, 1080p, IDR then P pictures
  enc hevc     HEVC Main, CQP 26, the same
               Driver: bench-vchip, a frame timed from vaBeginPicture to
               vaMapBuffer of the coded buffer. Anchor: x264 / x265 called
               directly with the settings the driver opens them with
               (vchipencode.c).

Inputs, made once per run with FFmpeg: street_1080p25_h264.264 decoded to
NV12 (full range in the stream, treated as limited range BT.709 here,
which does not change the cost), hdr10_rooftops_1080p30_hevc.mp4 decoded
to P010 (its metadata read with ffprobe: PQ, BT.2020, MaxCLL 1000, which
the driver takes as the source peak; its mastering maximum is broken,
0.1 cd/m2, and unused when MaxCLL is valid). Short clips are looped to
--frames. Without ../shared/media the script skips (exit 77).

Timing: after a warm-up pass of each, bench-vchip alternates the driver
and the direct path frame by frame, each going first every other frame
(VPP: --loops passes over the frames a repeat), so that the load of other
programs hits both alike, and reports medians over the repeats of the
frames a second and of the CPU time a frame of the whole process (all
threads), the steadier figure on a busy machine. The outputs of the first
VPP frame are compared byte for byte; the encoders' bitstreams must have
the same size.

    /usr/bin/python3 bench/vchip.py [--build build] [--media DIR]
        [--frames 30] [--loops 3] [--repeats 7] [--enc-frames 30]
        [--enc-repeats 5] [--ff-loops 10] [--quick]
        [--out bench/results/vchip.md]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 900
GOAL = 0.8
# scale_vaapi's own default mode is hq (VA_FILTER_SCALING_HQ: lanczos on
# the driver); the scale row's conversion is VA_FILTER_SCALING_DEFAULT.
SCALE_VAAPI = 'scale_vaapi=w=1280:h=720:mode=default'


def run(cmd, env=None):
    """Wall seconds and stdout of cmd; raises with its output on failure."""
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       universal_newlines=True, errors='replace',
                       timeout=TIMEOUT)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError('%s failed (exit %d):\n%s' % (
            ' '.join(cmd), p.returncode, p.stdout[-2000:]))
    return wall, p.stdout


def hdr10_metadata(clip):
    """The clip's transfer and HDR10 metadata (first frame's side data) as
    bench-vchip options, in VA's units."""
    _, out = run(['ffprobe', '-v', 'error', '-select_streams', 'v:0',
                  '-show_frames', '-read_intervals', '%+#1',
                  '-show_entries', 'frame=color_transfer,color_primaries:'
                  'side_data=max_content,max_average,max_luminance,'
                  'min_luminance', '-of', 'default=noprint_wrappers=1',
                  clip])
    kv = {}
    for line in out.splitlines():
        if '=' in line:
            k, v = line.split('=', 1)
            kv.setdefault(k, v)
    if kv.get('color_transfer') != 'smpte2084' or \
            kv.get('color_primaries') != 'bt2020':
        raise RuntimeError('%s is not PQ BT.2020: %s' % (clip, kv))
    md = {'max-cll': int(kv.get('max_content', 0)),
          'max-fall': int(kv.get('max_average', 0)),
          # cd/m2 as a fraction -> 0.0001 cd/m2
          'mastering-max': int(Fraction(kv.get('max_luminance', '0'))
                               * 10000),
          'mastering-min': int(Fraction(kv.get('min_luminance', '0'))
                               * 10000)}
    return md


def make_inputs(args, tmp):
    sdr_clip = os.path.join(args.media, 'street_1080p25_h264.264')
    hdr_clip = os.path.join(args.media, 'hdr10_rooftops_1080p30_hevc.mp4')
    sdr = os.path.join(tmp, 'sdr1080.nv12')
    hdr = os.path.join(tmp, 'hdr1080.p010')
    n = max(args.frames, args.enc_frames)
    run(['ffmpeg', '-v', 'error', '-nostdin', '-stream_loop', '-1', '-i',
         sdr_clip, '-frames:v', str(n), '-vf', 'scale=1920:1080,format=nv12',
         '-f', 'rawvideo', '-y', sdr])
    run(['ffmpeg', '-v', 'error', '-nostdin', '-stream_loop', '-1', '-i',
         hdr_clip, '-an', '-frames:v', str(args.frames), '-vf',
         'format=p010le', '-f', 'rawvideo', '-y', hdr])
    return sdr, hdr, hdr10_metadata(hdr_clip)


def bench_vchip(args, argv):
    """Runs bench-vchip; its RESULT line as a dict, and its output."""
    tool = os.path.join(ROOT, args.build, 'bench', 'bench-vchip')
    _, out = run([tool] + argv)
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == 'RESULT':
            cd, cr = f[7].split('=')[1].split('/')
            return {'driver': float(f[3]), 'direct': float(f[4]),
                    'ratio': float(f[5]), 'check': f[6],
                    'cpu_ratio': float(cr) / float(cd)}, out
    raise RuntimeError('no RESULT from bench-vchip:\n' + out[-2000:])


def ffmpeg_row(args, sdr, tmp):
    """The scale row through FFmpeg's scale_vaapi on the driver: fps net of
    the bare read, and net of upload + download; or the reason it cannot
    run."""
    build = os.path.join(ROOT, args.build)
    shim = os.path.join(build, 'tests', 'sys', 'vchip', 'vashim.so')
    drivers = os.path.join(build, 'sys', 'vchip')
    if not shutil.which('ffmpeg'):
        return None, 'ffmpeg is not installed'
    if not os.path.exists(shim):
        return None, ('the DRM-node shim %s is not built '
                      '(tests/sys/vashim.c, needs libdrm)' % shim)
    node = os.path.join(tmp, 'renderD128')
    open(node, 'w').close()
    env = dict(os.environ, LD_PRELOAD=shim, ESTUARY_VASHIM_NODE=node,
               LIBVA_DRIVERS_PATH=drivers, LIBVA_DRIVER_NAME='estuary')
    frames, loops = args.frames, args.ff_loops
    base = ['ffmpeg', '-v', 'error', '-nostdin',
            '-init_hw_device', 'vaapi=va:' + node, '-filter_hw_device', 'va',
            '-f', 'rawvideo', '-pix_fmt', 'nv12', '-s', '1920x1080',
            '-r', '25', '-color_primaries', 'bt709', '-color_trc', 'bt709',
            '-colorspace', 'bt709', '-color_range', 'tv', '-i', sdr]
    loop = 'loop=loop=%d:size=%d:start=0' % (loops - 1, frames)
    cmds = {
        'bare': base + ['-vf', loop, '-f', 'null', '-'],
        'updown': base + ['-vf', loop + ',hwupload,hwdownload,format=nv12',
                          '-f', 'null', '-'],
        'scale': base + ['-vf', loop + ',hwupload,' + SCALE_VAAPI +
                         ',hwdownload,format=nv12', '-f', 'null', '-'],
    }
    # Does FFmpeg open the driver and run the chain at all?
    try:
        run(base + ['-frames:v', '2', '-vf', 'hwupload,' + SCALE_VAAPI +
                           ',hwdownload,format=nv12', '-f', 'null', '-'],
            env)
    except RuntimeError as e:
        last = [x for x in str(e).splitlines() if x.strip()][-1:]
        return None, 'FFmpeg cannot run scale_vaapi on the driver: %s' % (
            last[0] if last else 'no message')
    times = {k: [] for k in cmds}
    for _ in range(args.repeats):
        for k, c in cmds.items():
            times[k].append(run(c, env)[0])
    med = {k: statistics.median(v) for k, v in times.items()}
    n = frames * loops

    def fps(t):
        # a difference of medians within the noise has no rate
        return n / t if t > 0.02 * med['scale'] else float('nan')

    return {'net': fps(med['scale'] - med['bare']),
            'raw': n / med['scale'],
            'alone': fps(med['scale'] - med['updown']),
            'updown': fps(med['updown'] - med['bare'])}, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default='build')
    ap.add_argument('--media',
                    default=os.path.join(ROOT, '..', 'shared', 'media'))
    ap.add_argument('--frames', type=int, default=30,
                    help='VPP frames (and FFmpeg)')
    ap.add_argument('--loops', type=int, default=3,
                    help='VPP passes over the frames a measurement')
    ap.add_argument('--repeats', type=int, default=7,
                    help='VPP and FFmpeg repeats')
    ap.add_argument('--enc-frames', type=int, default=30)
    ap.add_argument('--enc-repeats', type=int, default=5)
    ap.add_argument('--ff-loops', type=int, default=10,
                    help='passes of the FFmpeg loop filter')
    ap.add_argument('--quick', action='store_true',
                    help='fewer frames and repeats (a minute or two)')
    ap.add_argument('--out',
                    default=os.path.join(ROOT, 'bench', 'results',
                                         'vchip.md'))
    args = ap.parse_args()
    if args.quick:
        args.frames, args.loops, args.repeats = 10, 2, 3
        args.enc_frames, args.enc_repeats, args.ff_loops = 8, 2, 5

    tool = os.path.join(ROOT, args.build, 'bench', 'bench-vchip')
    if not os.path.exists(tool):
        print('SKIP: %s is not built (needs libva)' % tool)
        return 77
    if not os.path.isdir(args.media):
        print('SKIP: no media folder %s' % args.media)
        return 77
    for t in ('ffmpeg', 'ffprobe'):
        if not shutil.which(t):
            print('SKIP: %s is not installed' % t)
            return 77

    shm = '/dev/shm' if os.path.isdir('/dev/shm') else None
    tmp = tempfile.mkdtemp(prefix='estuary-bench-vchip-', dir=shm)
    try:
        print('preparing inputs in %s' % tmp, flush=True)
        sdr, hdr, md = make_inputs(args, tmp)
        load = os.getloadavg()[0]
        vpp_opts = ['--frames', str(args.frames), '--loops', str(args.loops),
                    '--repeats', str(args.repeats)]
        md_opts = []
        for k, v in md.items():
            md_opts += ['--' + k, str(v)]
        rows = [
            ('vpp scale', '1080p NV12 -> 1280x720 NV12, SCALING_DEFAULT '
             '(bicubic)', ['vpp', 'scale', sdr, '1920x1080'] + vpp_opts,
             'CPU'),
            ('vpp tonemap', '1080p HDR10 P010 PQ BT.2020 -> 1080p NV12 '
             'BT.709, HDR tone-mapping filter (MaxCLL %d)' % md['max-cll'],
             ['vpp', 'tonemap', hdr, '1920x1080'] + vpp_opts + md_opts,
             'CPU'),
            ('vpp upscale', '1080p NV12 -> 3840x2160 NV12, SCALING_HQ '
             '(lanczos 3)', ['vpp', 'upscale', sdr, '1920x1080'] + vpp_opts,
             'CPU'),
            ('enc h264', 'H.264 High CQP 26, 1080p, IDR then P',
             ['enc', 'h264', sdr, '1920x1080', '--frames',
              str(args.enc_frames), '--repeats', str(args.enc_repeats)],
             'x264'),
            ('enc hevc', 'HEVC Main CQP 26, 1080p, IDR then P',
             ['enc', 'hevc', sdr, '1920x1080', '--frames',
              str(args.enc_frames), '--repeats', str(args.enc_repeats)],
             'x265'),
        ]
        lines = [
            '# Virtual accelerator: speed',
            '',
            'Command: `/usr/bin/python3 bench/vchip.py --build %s%s` '
            '(%d CPUs, load average %.1f at the start). Driver: '
            'estuary_drv_video.so through libva (build/bench/bench-vchip), '
            'surfaces already filled; anchor: the same engine called '
            'directly with the parameters the driver gives it, the same '
            'thread count. VPP: %d frames, %d passes a measurement, '
            'medians of %d alternated repeats; encode: %d frames, medians '
            'of %d repeats, driver and library frame by frame in turn.' % (
                args.build, ' --quick' if args.quick else '',
                os.cpu_count(), load, args.frames, args.loops, args.repeats,
                args.enc_frames, args.enc_repeats),
            '',
            'Inputs: street_1080p25 (NV12), hdr10_rooftops_1080p30 (P010, '
            'PQ BT.2020; HDR10 metadata from the clip: MaxCLL %d, MaxFALL '
            '%d, mastering %g..%g cd/m2).' % (
                md['max-cll'], md['max-fall'], md['mastering-min'] / 1e4,
                md['mastering-max'] / 1e4),
            '',
            '| row | work | driver fps | anchor | anchor fps | ratio | goal '
            '| CPU-time ratio | check |',
            '|---|---|---:|---|---:|---:|---|---:|---|',
        ]
        scale_cpu = None
        for name, what, argv, anchor in rows:
            print('row %s: %s' % (name, what), flush=True)
            try:
                r, out = bench_vchip(args, argv)
            except RuntimeError as e:
                print(e)
                lines.append('| %s | %s | failed | %s | | | | | see '
                             'output |' % (name, what, anchor))
                continue
            print(out.rstrip(), flush=True)
            if name == 'vpp scale':
                scale_cpu = r['direct']
            vpp = name.startswith('vpp')
            goal = ('>= %.1f: %s' % (GOAL, 'met' if r['ratio'] >= GOAL
                                     else 'MISSED')) if vpp else 'info'
            check = r['check']
            if vpp:
                check = ('identical output' if check == 'differing_bytes=0'
                         else check.replace('_', ' '))
            else:
                a, b = check.split('=')[1].split('/')
                check = ('same bitstream size (%s bytes)' % a if a == b else
                         'bitstream sizes differ: %s / %s bytes' % (a, b))
            lines.append('| %s | %s | %.1f | %s | %.1f | %.2f | %s | %.3f '
                         '| %s |' % (name, what, r['driver'], anchor,
                                     r['direct'], r['ratio'], goal,
                                     r['cpu_ratio'], check))

        print('row ffmpeg scale_vaapi', flush=True)
        ff, why = ffmpeg_row(args, sdr, tmp)
        if ff:
            ratio = '%.2f' % (ff['net'] / scale_cpu) if scale_cpu else '-'
            lines.append(
                '| ffmpeg scale_vaapi | the vpp scale conversion through '
                'FFmpeg (hwupload, scale_vaapi, hwdownload); in brackets: '
                'net of the upload and download too | %.1f (%.1f) | CPU '
                '(vpp scale row) | %.1f | %s | info | - | raw %.1f fps; '
                'upload + download alone %.1f fps |' % (
                    ff['net'], ff['alone'], scale_cpu or 0, ratio,
                    ff['raw'], ff['updown']))
        else:
            lines.append('| ffmpeg scale_vaapi | the vpp scale conversion '
                         'through FFmpeg | not available | | | | info | - | '
                         '%s |' % why)
        lines.append('')
        lines.append('ratio: driver fps / anchor fps (wall time). CPU-time '
                     'ratio: the anchor\'s CPU time a frame (all threads of '
                     'the process) / the driver\'s, medians: the work each '
                     'does, which other programs on the machine do not '
                     'inflate; 1.0 means the driver adds nothing.')
        lines.append('')
        lines.append('FFmpeg fps: frames / (time - the same command '
                     'without filters), medians of %d; FFmpeg pays for the '
                     'upload and download of every frame, which the direct '
                     'rows do not.' % args.repeats)
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
