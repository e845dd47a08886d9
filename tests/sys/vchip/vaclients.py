# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
"""What the VA client tests (gst-clients.py, ffmpeg-clients.py) share: the
environment of a client on the virtual accelerator, running a tool, and
comparing pictures. Needs Debian's python3 (numpy)."""

import os
import subprocess

import numpy as np


def client_env(node, registry):
    """The environment of a VA client: the vashim module (ESTUARY_VASHIM)
    after any sanitizer runtime (EST_PRELOAD), node as the render node, the
    driver by name from ESTUARY_VCHIP_DIR, registry as GStreamer's."""
    env = dict(os.environ)
    env['LD_PRELOAD'] = ':'.join(
        p for p in (os.environ.get('EST_PRELOAD', ''),
                    os.environ.get('ESTUARY_VASHIM', '')) if p)
    env['ESTUARY_VASHIM_NODE'] = node
    env['LIBVA_DRIVERS_PATH'] = os.environ.get('ESTUARY_VCHIP_DIR', '')
    env['LIBVA_DRIVER_NAME'] = 'estuary'
    env['GST_REGISTRY'] = registry
    return env


def run(cmd, env, check=True):
    """Runs cmd with stdout and stderr together in .stdout; with check, a
    failure raises AssertionError with the end of that output."""
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       universal_newlines=True, errors='replace',
                       timeout=300)
    if check and p.returncode != 0:
        raise AssertionError('%s failed (%d):\n%s' %
                             (' '.join(cmd), p.returncode, p.stdout[-6000:]))
    return p


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def psnr(a, b, peak):
    mse = np.mean((a - b) ** 2)
    return 100.0 if mse == 0 else 10 * np.log10(peak * peak / mse)
