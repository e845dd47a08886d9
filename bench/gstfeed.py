#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
"""Feeds raw frames from memory into a GStreamer pipeline and times it.

    gstfeed.py RAW_FILE CAPS FRAME_SIZE LOOPS 'PIPELINE'

RAW_FILE is read into memory once, cut into buffers of FRAME_SIZE bytes
and pushed LOOPS times through `appsrc name=src caps=CAPS ! PIPELINE`
(the same buffers each loop: no copy, no file reading while timed);
PIPELINE ends in a sink named feedsink.
Prints `SECONDS s FRAMES n`: the steady state, from the moment the sink
got the last frame of the first loop to EOS, and the frames in between
(the first loop is the warm-up: plans, pools, first touches of memory).
With one loop, the time from the first push to EOS and every frame.
Needs Debian's python3-gi (run with /usr/bin/python3).
"""

import sys
import time

import gi

gi.require_version('Gst', '1.0')
from gi.repository import Gst  # noqa: E402


def main():
    path, caps, frame_size, loops, desc = sys.argv[1:6]
    frame_size, loops = int(frame_size), int(loops)
    Gst.init(None)
    with open(path, 'rb') as f:
        data = f.read()
    n = len(data) // frame_size
    bufs = [Gst.Buffer.new_wrapped(data[i * frame_size:(i + 1) * frame_size])
            for i in range(n)]
    pipe = Gst.parse_launch('appsrc name=src format=time caps="%s" '
                            'max-bytes=0 block=true ! %s' % (caps, desc))
    src = pipe.get_by_name('src')
    sink = pipe.get_by_name('feedsink')
    if not sink:
        sys.exit('the pipeline must end in a sink named feedsink')
    seen = {'n': 0, 't': None}

    def count(pad, info):
        seen['n'] += 1
        if seen['n'] == n:
            seen['t'] = time.monotonic()
        return Gst.PadProbeReturn.OK
    sink.get_static_pad('sink').add_probe(Gst.PadProbeType.BUFFER, count)
    # Not waiting for the state change: the sink prerolls on the first
    # buffer pushed below.
    pipe.set_state(Gst.State.PLAYING)
    t0 = time.monotonic()
    pts = 0
    for _ in range(loops):
        for b in bufs:
            b = b.copy()            # a new GstBuffer sharing the memory
            b.pts = pts
            b.duration = Gst.SECOND // 25
            pts += b.duration
            if src.emit('push-buffer', b) != Gst.FlowReturn.OK:
                sys.exit('push-buffer failed')
    src.emit('end-of-stream')
    msg = pipe.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    t1 = time.monotonic()
    pipe.set_state(Gst.State.NULL)
    if msg.type == Gst.MessageType.ERROR:
        sys.exit('error: %s' % msg.parse_error()[0].message)
    if loops > 1:
        print('SECONDS %.6f FRAMES %d' % (t1 - seen['t'], n * (loops - 1)))
    else:
        print('SECONDS %.6f FRAMES %d' % (t1 - t0, n))


if __name__ == '__main__':
    main()
