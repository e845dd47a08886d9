#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
"""The BD-rate maths of the compression benchmark (bench/bdrate.py).

Exact properties (identity, a constant rate factor, sign symmetry), the
published JCTVC-E137 examples and the errors a benchmark must see rather
than a wrong figure.
"""

import math
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', '..', 'bench'))

import bdrate  # noqa: E402
from bdrate import BDRateError, Pchip, bd_quality, bd_rate  # noqa: E402

# (rate, quality) points of an x265 anchor and test from the FAU-LMS
# bjontegaard package's README ("Test 1": kbit/s, PSNR dB).
FAU_ANCHOR = [(9487.76, 40.037), (4593.60, 38.615), (2486.44, 36.845),
              (1358.24, 34.851)]
FAU_TEST = [(9787.80, 40.121), (4469.00, 38.651), (2451.52, 36.970),
            (1356.24, 34.987)]
# Its PCHIP BD-rate as SciPy 1.10 computes it (PchipInterpolator over
# (PSNR, log10 rate), .integrate over the overlap): an independent
# implementation, not a published figure.
FAU_SCIPY = -4.417485350589045

# JCTVC-E137 curve pairs with the BD-rates (fractions) that Netflix's VMAF
# publishes for them in python/test/bd_rate_calculator_test.py; VMAF
# validated its PCHIP calculator against JCTVC-E137 with these.
E137 = [
    ([(108048.8736, 43.6471), (61279.976, 40.3953), (33905.6656, 37.247),
      (18883.6928, 34.2911)],
     [(108061.2784, 43.6768), (61299.9936, 40.4232), (33928.7472, 37.2761),
      (18910.912, 34.3147)],
     -0.00465215420752807),
    ([(40433.8848, 37.5761), (7622.7456, 35.3756), (2394.488, 33.8977),
      (1017.6184, 32.0603)],
     [(40370.12, 37.5982), (7587.0024, 35.4025), (2390.0944, 33.9194),
      (1017.0984, 32.0822)],
     -0.018779823450567612),
]


class BdRate(unittest.TestCase):

    def test_identical_curves_give_zero(self):
        self.assertAlmostEqual(bd_rate(FAU_ANCHOR, FAU_ANCHOR), 0.0,
                               delta=1e-12)
        self.assertAlmostEqual(bd_quality(FAU_ANCHOR, FAU_ANCHOR), 0.0,
                               delta=1e-12)

    def test_rates_scaled_by_a_constant_give_that_factor(self):
        for k, want in ((0.8, -20.0), (1.25, 25.0), (0.5, -50.0)):
            test = [(r * k, q) for r, q in FAU_ANCHOR]
            self.assertAlmostEqual(bd_rate(FAU_ANCHOR, test), want,
                                   delta=1e-9)

    def test_quality_shift_gives_the_bd_quality(self):
        test = [(r, q + 0.5) for r, q in FAU_ANCHOR]
        self.assertAlmostEqual(bd_quality(FAU_ANCHOR, test), 0.5,
                               delta=1e-9)

    def test_jctvc_e137_examples(self):
        for anchor, test, want in E137:
            self.assertAlmostEqual(bd_rate(anchor, test), want * 100,
                                   delta=1e-9)

    def test_fau_example_matches_scipy(self):
        self.assertAlmostEqual(bd_rate(FAU_ANCHOR, FAU_TEST), FAU_SCIPY,
                               delta=1e-9)

    def test_order_of_the_points_does_not_matter(self):
        shuffled = [FAU_TEST[2], FAU_TEST[0], FAU_TEST[3], FAU_TEST[1]]
        self.assertAlmostEqual(bd_rate(FAU_ANCHOR[::-1], shuffled),
                               FAU_SCIPY, delta=1e-9)

    def test_swapping_the_curves_inverts_the_rate_factor(self):
        # A curve that is not monotone (its second-best point costs more
        # than its best) is interpolated as it is, shape preserved.
        bumpy = [(9787.80, 40.121), (10100.0, 38.651), (2451.52, 36.970),
                 (1356.24, 34.987)]
        for test in (FAU_TEST, bumpy):
            x = bd_rate(FAU_ANCHOR, test)
            y = bd_rate(test, FAU_ANCHOR)
            self.assertTrue(math.isfinite(x))
            self.assertAlmostEqual((1 + x / 100) * (1 + y / 100), 1.0,
                                   delta=1e-12)

    def test_curves_that_do_not_overlap_raise(self):
        far = [(r, q + 10) for r, q in FAU_ANCHOR]
        with self.assertRaisesRegex(BDRateError, 'do not overlap'):
            bd_rate(FAU_ANCHOR, far)
        # Touching at one quality is no interval either.
        touching = [(r, q + (40.037 - 34.851)) for r, q in FAU_ANCHOR]
        with self.assertRaisesRegex(BDRateError, 'do not overlap'):
            bd_rate(FAU_ANCHOR, touching)

    def test_bad_curves_raise(self):
        with self.assertRaisesRegex(BDRateError, 'two or more'):
            bd_rate(FAU_ANCHOR[:1], FAU_TEST)
        with self.assertRaisesRegex(BDRateError, 'rate <= 0'):
            bd_rate(FAU_ANCHOR, [(0.0, 36.0)] + FAU_TEST[1:])
        with self.assertRaisesRegex(BDRateError, 'non-finite'):
            bd_rate(FAU_ANCHOR, [(1000.0, math.nan)] + FAU_TEST[1:])
        with self.assertRaisesRegex(BDRateError, 'two points at quality'):
            bd_rate(FAU_ANCHOR, [(1000.0, 36.97)] + FAU_TEST[1:])


class Interpolant(unittest.TestCase):

    def test_passes_through_the_nodes_and_keeps_monotone_data_monotone(self):
        xs = [0.0, 1.0, 2.5, 3.0, 7.0]
        ys = [0.0, 0.1, 5.0, 5.1, 9.0]
        p = Pchip(xs, ys)
        for x, y in zip(xs, ys):
            self.assertAlmostEqual(p(x), y, delta=1e-12)
        prev = p(0.0)
        for i in range(1, 701):
            v = p(i / 100)
            self.assertGreaterEqual(v, prev - 1e-12)
            prev = v

    def test_integrates_a_straight_line_exactly(self):
        p = Pchip([1.0, 2.0, 4.0, 8.0], [3.0, 5.0, 9.0, 17.0])  # 2x + 1
        self.assertAlmostEqual(p.integrate(1.5, 7.0),
                               (7.0 ** 2 + 7.0) - (1.5 ** 2 + 1.5),
                               delta=1e-12)
        self.assertAlmostEqual(p.integrate(2.0, 2.0), 0.0, delta=1e-15)


if __name__ == '__main__':
    print('bench/bdrate.py from ' + os.path.abspath(bdrate.__file__))
    unittest.main(verbosity=2)
