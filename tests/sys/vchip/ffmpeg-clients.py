#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
"""FFmpeg 5.1's VA code on the virtual accelerator (estuary_drv_video.so).

FFmpeg opens a VA device through a DRM node; vashim (../vashim.c, an
LD_PRELOAD test module) makes an ordinary file pass for one. Every case
runs the real ffmpeg on frames of a real clip (../shared/media):

- scale_vaapi in its three modes equals esthdrscale with the driver's
  mapping (default: bicubic, fast: bilinear, hq: lanczos of 3 taps), bit
  for bit;
- in strict mode (odd layouts, completion at sync) scale_vaapi and
  h264_vaapi give the same bytes; an injected vaEndPicture or sync failure
  ends ffmpeg with its error message, not a crash or a hang;
- tonemap_vaapi (HDR10 P010 -> SDR NV12 BT.709) equals esthdrscale on the
  same frames with the same source peak (the clip's MaxCLL, which
  tonemap_vaapi passes in its HDR10 metadata), bit for bit;
- h264_vaapi and hevc_vaapi in CQP, CBR and VBR: the streams decode in
  software to every frame, none below a PSNR bound against the source
  (set per case from the rate or QP: 36 dB at QP 24, 28 dB at QP 36, 30 dB
  at 800 kbit/s), CBR and VBR near the asked rate; ROI through addroi lowers the
  size at the same QP; a forced key frame is a key frame; HEVC Main 10
  from P010.

Skips (77) without ffmpeg's VA filters or without the clips. A client that
cannot open the driver fails.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import vaclients
from vaclients import psnr, read

SHIM = os.environ.get('ESTUARY_VASHIM', '')
DRIVER_DIR = os.environ.get('ESTUARY_VCHIP_DIR', '')
MEDIA = os.environ.get('ESTUARY_MEDIA_DIR', '')
SDR_CLIP = os.path.join(MEDIA, 'street_1080p25_h264.264')
HDR_CLIP = os.path.join(MEDIA, 'hdr10_rooftops_1080p30_hevc.mp4')

W, H = 640, 360                  # encoder source pictures
N_ENC = 30                       # frames through each encoder
FPS = 25
TMP = NODE = REGISTRY = ''


def client_env():
    return vaclients.client_env(NODE, REGISTRY)


def plain_env():
    """Tools that do not touch VA run without the shim."""
    env = dict(os.environ)
    env['LD_PRELOAD'] = os.environ.get('EST_PRELOAD', '')
    env['GST_REGISTRY'] = REGISTRY
    return env


def run(cmd, env=None, check=True):
    """vaclients.run: its output with check, else the finished process."""
    p = vaclients.run(cmd, env or client_env(), check)
    return p.stdout if check else p


def ffmpeg(*args, strict=None, check=True):
    """ffmpeg on the driver; strict sets ESTUARY_VCHIP_STRICT."""
    env = client_env()
    if strict:
        env['ESTUARY_VCHIP_STRICT'] = strict
    return run(['ffmpeg', '-hide_banner', '-nostdin', '-y', '-v', 'error',
                '-init_hw_device', 'vaapi=va:' + NODE,
                '-filter_hw_device', 'va'] + list(args), env=env,
               check=check)


def luma(data, w, h, n, bytes_=1):
    """Frame n's luma of 4:2:0 raw video as a float array."""
    size = w * h * 3 // 2 * bytes_
    dt = np.uint16 if bytes_ == 2 else np.uint8
    a = np.frombuffer(data, dtype=dt, count=w * h, offset=n * size)
    return a.reshape(h, w).astype(np.float64)


def probe_frames(path):
    out = run(['ffprobe', '-v', 'error', '-select_streams', 'v:0',
               '-show_frames', '-of', 'json', path], env=plain_env())
    return json.loads(out)['frames']


class FFmpegOnDriver(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # 640x360 NV12 and P010 sources from the SDR clip
        cls.nv12 = os.path.join(TMP, 'src-nv12.yuv')
        cls.p010 = os.path.join(TMP, 'src-p010.yuv')
        for path, fmt in ((cls.nv12, 'nv12'), (cls.p010, 'p010le')):
            run(['ffmpeg', '-hide_banner', '-nostdin', '-y', '-v', 'error',
                 '-i', SDR_CLIP, '-frames:v', str(N_ENC), '-vf',
                 'scale=%d:%d:flags=bicubic,format=%s' % (W, H, fmt),
                 '-f', 'rawvideo', path], env=plain_env())

    def encode(self, codec, extra, name, src=None, pix_fmt='nv12',
               filters='', strict=None):
        out = os.path.join(TMP, name + ('.h264' if codec == 'h264_vaapi'
                                        else '.hevc'))
        vf = 'format=%s,hwupload' % pix_fmt
        if filters:
            vf = filters + ',' + vf
        ffmpeg('-f', 'rawvideo', '-pix_fmt', pix_fmt, '-s', '%dx%d' % (W, H),
               '-r', str(FPS), '-i', src or self.nv12, '-vf', vf,
               '-c:v', codec, *extra, out, strict=strict)
        return out

    def check_stream(self, stream, min_psnr, src=None, ten=False):
        """Decodes in software: every frame, and none below min_psnr dB
        against its source (luma)."""
        dec = stream + '.yuv'
        fmt = 'p010le' if ten else 'nv12'
        run(['ffmpeg', '-hide_banner', '-nostdin', '-y', '-v', 'error',
             '-i', stream, '-f', 'rawvideo', '-pix_fmt', fmt, dec],
            env=plain_env())
        got, want = read(dec), read(src or self.nv12)
        b = 2 if ten else 1
        n = len(got) // (W * H * 3 // 2 * b)
        self.assertEqual(n, N_ENC, '%s decodes to %d frames' % (stream, n))
        worst = min(psnr(luma(got, W, H, i, b) / (64 if ten else 1),
                         luma(want, W, H, i, b) / (64 if ten else 1),
                         1023 if ten else 255) for i in range(n))
        self.assertGreater(worst, min_psnr, '%s: worst PSNR %.2f dB' %
                           (stream, worst))
        return worst

    def kbps(self, stream):
        return os.path.getsize(stream) * 8 / (N_ENC / FPS) / 1000

    def test_cqp_decodes_at_the_asked_qp(self):
        for codec in ('h264_vaapi', 'hevc_vaapi'):
            sizes = {}
            for qp, min_psnr in ((24, 36), (36, 28)):
                s = self.encode(codec, ['-rc_mode', 'CQP', '-qp', str(qp)],
                                '%s-cqp%d' % (codec, qp))
                worst = self.check_stream(s, min_psnr)
                sizes[qp] = os.path.getsize(s)
                print('%s CQP %d: %d bytes, worst PSNR %.2f dB' %
                      (codec, qp, sizes[qp], worst))
            # ffmpeg's P pictures are coded at the asked QP: fewer bits at 36
            self.assertLess(sizes[36], sizes[24] * 0.6, codec)

    def test_cbr_and_vbr_hold_the_rate(self):
        for codec in ('h264_vaapi', 'hevc_vaapi'):
            s = self.encode(codec, ['-rc_mode', 'CBR', '-b:v', '800k',
                                    '-maxrate', '800k'], codec + '-cbr')
            worst = self.check_stream(s, 30)
            rate = self.kbps(s)
            print('%s CBR 800k: %.0f kbit/s, worst PSNR %.2f dB' %
                  (codec, rate, worst))
            self.assertTrue(560 < rate < 1000, '%s CBR: %.0f kbit/s' %
                            (codec, rate))
            s = self.encode(codec, ['-rc_mode', 'VBR', '-b:v', '600k',
                                    '-maxrate', '1200k'], codec + '-vbr')
            worst = self.check_stream(s, 28)
            rate = self.kbps(s)
            print('%s VBR 600k/1200k: %.0f kbit/s, worst PSNR %.2f dB' %
                  (codec, rate, worst))
            self.assertTrue(360 < rate < 900, '%s VBR: %.0f kbit/s' %
                            (codec, rate))

    def test_roi_lowers_the_size_at_the_same_qp(self):
        for codec in ('h264_vaapi', 'hevc_vaapi'):
            plain = self.encode(codec, ['-rc_mode', 'CQP', '-qp', '28'],
                                codec + '-roi-none')
            roi = self.encode(codec, ['-rc_mode', 'CQP', '-qp', '28'],
                              codec + '-roi', filters='addroi=0:0:iw:ih:0.2')
            self.check_stream(roi, 25)
            a, b = os.path.getsize(plain), os.path.getsize(roi)
            print('%s ROI qoffset 0.2: %d bytes, without %d' % (codec, b, a))
            self.assertLess(b, a * 0.8, codec)

    def test_forced_key_frame(self):
        for codec in ('h264_vaapi', 'hevc_vaapi'):
            s = self.encode(codec, ['-rc_mode', 'CQP', '-qp', '28',
                                    '-force_key_frames', 'expr:eq(n,12)'],
                            codec + '-key')
            keys = [i for i, f in enumerate(probe_frames(s))
                    if f.get('key_frame') == 1]
            self.assertEqual(keys, [0, 12], codec)

    def test_hevc_main10_from_p010(self):
        s = self.encode('hevc_vaapi', ['-rc_mode', 'CQP', '-qp', '26',
                                       '-profile:v', 'main10'],
                        'hevc-main10', src=self.p010, pix_fmt='p010le')
        worst = self.check_stream(s, 35, src=self.p010, ten=True)
        print('hevc_vaapi Main 10 CQP 26: worst PSNR %.2f dB' % worst)
        out = run(['ffprobe', '-v', 'error', '-show_entries',
                   'stream=profile,pix_fmt', '-of', 'csv=p=0', s],
                  env=plain_env())
        self.assertIn('Main 10', out)

    def test_scale_vaapi_equals_esthdrscale(self):
        n, ow, oh = 3, 1280, 720
        for mode, method in (('default', 'method=bicubic'),
                             ('fast', 'method=bilinear'),
                             ('hq', 'method=lanczos taps=3')):
            va_out = os.path.join(TMP, 'scale-%s-va.yuv' % mode)
            cpu_out = os.path.join(TMP, 'scale-%s-cpu.yuv' % mode)
            ffmpeg('-f', 'rawvideo', '-pix_fmt', 'nv12', '-s', '%dx%d' % (W, H),
                   '-color_primaries', 'bt709', '-color_trc', 'bt709',
                   '-colorspace', 'bt709', '-color_range', 'tv',
                   '-chroma_sample_location', 'center', '-i', self.nv12,
                   '-frames:v', str(n), '-vf',
                   'hwupload,scale_vaapi=w=%d:h=%d:mode=%s,hwdownload,'
                   'format=nv12' % (ow, oh, mode), '-f', 'rawvideo', va_out)
            run(['gst-launch-1.0', '-q', 'filesrc', 'location=' + self.nv12,
                 '!', 'rawvideoparse', 'format=nv12', 'width=%d' % W,
                 'height=%d' % H, 'colorimetry=bt709', '!', 'capssetter',
                 'caps=video/x-raw,chroma-site=jpeg', '!', 'esthdrscale',
                 *method.split(), '!',
                 'video/x-raw,format=NV12,width=%d,height=%d' % (ow, oh),
                 '!', 'filesink', 'location=' + cpu_out], env=plain_env())
            a = np.frombuffer(read(va_out), np.uint8).astype(int)
            b = np.frombuffer(read(cpu_out), np.uint8)[:len(a)].astype(int)
            self.assertEqual(len(a), ow * oh * 3 // 2 * n, mode)
            diff = np.count_nonzero(a - b)
            print('scale_vaapi mode=%s vs esthdrscale %s: %d bytes differ' %
                  (mode, method, diff))
            self.assertEqual(diff, 0, mode)

    def test_strict_layout_and_deferral_change_nothing(self):
        # FFmpeg reads pitches and offsets and syncs before it reads: the
        # strict chip's odd layouts and late completion give the same bytes
        for strict in (None, '1'):
            ffmpeg('-f', 'rawvideo', '-pix_fmt', 'nv12', '-s', '%dx%d' % (W, H),
                   '-i', self.nv12, '-frames:v', '3', '-vf',
                   'hwupload,scale_vaapi=w=1280:h=720,hwdownload,format=nv12',
                   '-f', 'rawvideo',
                   os.path.join(TMP, 'strict-%s.yuv' % strict), strict=strict)
        self.assertEqual(read(os.path.join(TMP, 'strict-None.yuv')),
                         read(os.path.join(TMP, 'strict-1.yuv')))
        a = self.encode('h264_vaapi', ['-rc_mode', 'CQP', '-qp', '28'],
                        'lenient')
        b = self.encode('h264_vaapi', ['-rc_mode', 'CQP', '-qp', '28'],
                        'strict', strict='1')
        self.assertEqual(read(a), read(b))

    def test_injected_faults_end_ffmpeg_with_an_error(self):
        for strict, message in (('fail-end=5', 'end picture'),
                                ('fail-sync=5', 'sync')):
            p = ffmpeg('-f', 'rawvideo', '-pix_fmt', 'nv12',
                       '-s', '%dx%d' % (W, H), '-r', str(FPS),
                       '-i', self.nv12, '-vf', 'format=nv12,hwupload',
                       '-c:v', 'h264_vaapi', '-qp', '28',
                       os.path.join(TMP, 'fault.h264'), strict=strict,
                       check=False)
            print('%s: ffmpeg exits %d: %s' % (
                strict, p.returncode, p.stdout.strip().splitlines()[0]))
            self.assertNotEqual(p.returncode, 0, strict)
            self.assertLess(p.returncode, 128, '%s: killed by a signal' %
                            strict)
            self.assertIn(message, p.stdout.lower(), strict)

    def test_tonemap_vaapi_equals_esthdrscale(self):
        n = 2
        raw = os.path.join(TMP, 'hdr-p010.yuv')
        run(['ffmpeg', '-hide_banner', '-nostdin', '-y', '-v', 'error',
             '-i', HDR_CLIP, '-frames:v', str(n), '-fps_mode', 'passthrough',
             '-f', 'rawvideo', '-pix_fmt', 'p010le', raw], env=plain_env())
        side = probe_frames(HDR_CLIP)[0].get('side_data_list', [])
        cll = [s for s in side if 'max_content' in s]
        mdi = [s for s in side if 'max_luminance' in s]
        self.assertTrue(mdi, 'the HDR clip carries no mastering metadata')
        peak = cll[0]['max_content'] if cll and \
            100 <= cll[0]['max_content'] <= 10000 else \
            eval(mdi[0]['max_luminance'])
        w, h = 1920, 1080

        va_out = os.path.join(TMP, 'tonemap-va.yuv')
        # passthrough: ffmpeg would otherwise repeat or drop frames by
        # timestamp, differently for the two commands
        ffmpeg('-i', HDR_CLIP, '-frames:v', str(n), '-fps_mode', 'passthrough',
               '-vf',
               'format=p010le,hwupload,tonemap_vaapi=format=nv12:'
               't=bt709:m=bt709:p=bt709,hwdownload,format=nv12',
               '-f', 'rawvideo', va_out)

        cpu_out = os.path.join(TMP, 'tonemap-cpu.yuv')
        # The clip's chroma is left-sited; tonemap_vaapi passes that for
        # input and output, which is GStreamer's mpeg2 siting.
        siting = run(['ffprobe', '-v', 'error', '-select_streams', 'v:0',
                      '-show_entries', 'stream=chroma_location', '-of',
                      'csv=p=0', HDR_CLIP], env=plain_env()).strip()
        self.assertEqual(siting, 'left')
        run(['gst-launch-1.0', '-q', 'filesrc', 'location=' + raw, '!',
             'rawvideoparse', 'format=p010-10le', 'width=%d' % w,
             'height=%d' % h, 'colorimetry=bt2100-pq', '!',
             'capssetter', 'caps=video/x-raw,chroma-site=mpeg2', '!',
             'esthdrscale', 'method=bicubic', 'source-peak=%d' % peak, '!',
             'video/x-raw,format=NV12,colorimetry=bt709,chroma-site=mpeg2',
             '!', 'filesink', 'location=' + cpu_out], env=plain_env())
        a = np.frombuffer(read(va_out), np.uint8).astype(int)
        b = np.frombuffer(read(cpu_out), np.uint8).astype(int)
        self.assertEqual(len(a), len(b))
        diff = np.abs(a - b)
        print('tonemap_vaapi vs esthdrscale (source peak %d): %d of %d '
              'bytes differ, max %d' % (peak, np.count_nonzero(diff),
                                        len(a), diff.max()))
        self.assertEqual(np.count_nonzero(diff), 0)


def main():
    global TMP, NODE, REGISTRY
    filters = subprocess.run(['ffmpeg', '-hide_banner', '-filters'],
                             stdout=subprocess.PIPE, universal_newlines=True,
                             stderr=subprocess.DEVNULL).stdout
    if 'tonemap_vaapi' not in filters or 'scale_vaapi' not in filters:
        print('SKIP: ffmpeg has no VA filters')
        return 77
    if not os.path.exists(SDR_CLIP) or not os.path.exists(HDR_CLIP):
        print('SKIP: no clips in %s' % MEDIA)
        return 77
    if not SHIM or not os.path.exists(os.path.join(
            DRIVER_DIR, 'estuary_drv_video.so')):
        print('FAIL: the shim or the driver is missing')
        return 1
    TMP = tempfile.mkdtemp(prefix='vchip-ffmpeg-')
    NODE = os.path.join(TMP, 'renderD128')
    REGISTRY = os.path.join(TMP, 'registry.bin')
    open(NODE, 'w').close()
    try:
        prog = unittest.main(argv=[sys.argv[0], '-v'], exit=False)
        return 0 if prog.result.wasSuccessful() else 1
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
