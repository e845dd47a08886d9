# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 Estuary contributors
"""Bjøntegaard delta rate and quality with piecewise cubic interpolation.

The method of the JCT-VC / JVET common test conditions (JCTVC-L1100,
JVET-T2010 Excel sheets) and of AOM's CTC tools: each rate-distortion curve
becomes a monotone piecewise cubic Hermite interpolant (PCHIP, Fritsch and
Carlson, with the derivatives of Fritsch and Butland as in Matlab's and
SciPy's pchip) of log10(rate) over quality; BD-rate is the mean difference
of the two interpolants over the quality interval both curves cover,
10^mean - 1. The integrals are exact (each piece is a cubic), so scaling
every rate of a curve by k gives exactly (k - 1) * 100 %.

Pure Python, no NumPy, so that the benchmarks' maths runs anywhere.

    bd_rate(anchor, test)     -> % of bits test spends more (< 0: it saves)
    bd_quality(anchor, test)  -> mean quality gain of test at equal rate

Curves are sequences of (rate, quality) pairs in any order; each needs at
least two points, positive rates, finite values and distinct qualities
(distinct rates for bd_quality). The overlap of the two curves must be an
interval of non-zero length. Anything else raises BDRateError.
"""

import math

__all__ = ['BDRateError', 'Pchip', 'bd_rate', 'bd_quality']


class BDRateError(ValueError):
    """A curve or a pair of curves that has no Bjøntegaard delta."""


def _sign(v):
    return (v > 0) - (v < 0)


class Pchip:
    """Monotone piecewise cubic Hermite interpolant through (xs, ys), xs
    strictly increasing. Between the nodes it never leaves the range of its
    two end values, so a monotone curve stays monotone."""

    def __init__(self, xs, ys):
        if len(xs) != len(ys) or len(xs) < 2:
            raise BDRateError('an interpolant needs two points or more')
        if any(b <= a for a, b in zip(xs, xs[1:])):
            raise BDRateError('interpolation nodes must increase strictly')
        self.xs = list(xs)
        self.ys = list(ys)
        self.ds = self._slopes(self.xs, self.ys)

    @staticmethod
    def _slopes(x, y):
        n = len(x)
        h = [x[k + 1] - x[k] for k in range(n - 1)]
        delta = [(y[k + 1] - y[k]) / h[k] for k in range(n - 1)]
        if n == 2:
            return [delta[0], delta[0]]
        d = [0.0] * n
        # Interior: weighted harmonic mean of the neighbouring secants,
        # zero at a local extremum or a flat secant (Fritsch-Butland).
        for k in range(1, n - 1):
            if _sign(delta[k - 1]) * _sign(delta[k]) > 0:
                w1 = 2 * h[k] + h[k - 1]
                w2 = h[k] + 2 * h[k - 1]
                d[k] = (w1 + w2) / (w1 / delta[k - 1] + w2 / delta[k])
        # Ends: the three-point one-sided formula, kept shape-preserving.

        def edge(h0, h1, m0, m1):
            e = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
            if _sign(e) != _sign(m0):
                return 0.0
            if _sign(m0) != _sign(m1) and abs(e) > 3 * abs(m0):
                return 3 * m0
            return e

        d[0] = edge(h[0], h[1], delta[0], delta[1])
        d[-1] = edge(h[-1], h[-2], delta[-1], delta[-2])
        return d

    def _piece(self, x):
        """Index k of the piece [xs[k], xs[k+1]] holding x (clamped)."""
        lo, hi = 0, len(self.xs) - 2
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.xs[mid] <= x:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def __call__(self, x):
        k = self._piece(x)
        h = self.xs[k + 1] - self.xs[k]
        s = (x - self.xs[k]) / h
        y0, y1 = self.ys[k], self.ys[k + 1]
        d0, d1 = self.ds[k] * h, self.ds[k + 1] * h
        return (y0 * (2 * s ** 3 - 3 * s ** 2 + 1) +
                d0 * (s ** 3 - 2 * s ** 2 + s) +
                y1 * (-2 * s ** 3 + 3 * s ** 2) +
                d1 * (s ** 3 - s ** 2))

    def _primitive(self, k, x):
        """Integral of piece k from xs[k] to x (x within the piece)."""
        h = self.xs[k + 1] - self.xs[k]
        s = (x - self.xs[k]) / h
        y0, y1 = self.ys[k], self.ys[k + 1]
        d0, d1 = self.ds[k] * h, self.ds[k + 1] * h
        s2, s3, s4 = s * s, s ** 3, s ** 4
        return h * (y0 * (s4 / 2 - s3 + s) +
                    d0 * (s4 / 4 - 2 * s3 / 3 + s2 / 2) +
                    y1 * (-s4 / 2 + s3) +
                    d1 * (s4 / 4 - s3 / 3))

    def integrate(self, a, b):
        """Exact integral from a to b, both within [xs[0], xs[-1]]."""
        if a > b:
            return -self.integrate(b, a)
        if a < self.xs[0] or b > self.xs[-1]:
            raise BDRateError('integration interval %g..%g leaves the '
                              'curve (%g..%g)' % (a, b, self.xs[0],
                                                  self.xs[-1]))
        ka, kb = self._piece(a), self._piece(b)
        if ka == kb:
            return self._primitive(ka, b) - self._primitive(ka, a)
        total = self._primitive(ka, self.xs[ka + 1]) - \
            self._primitive(ka, a)
        for k in range(ka + 1, kb):
            total += self._primitive(k, self.xs[k + 1])
        return total + self._primitive(kb, b)


def _prepare(curve, name, key):
    """Checks a curve and returns its points sorted by key (0: rate,
    1: quality)."""
    pts = [(float(r), float(q)) for r, q in curve]
    if len(pts) < 2:
        raise BDRateError('%s curve has %d point(s); it needs two or more'
                          % (name, len(pts)))
    for r, q in pts:
        if not (math.isfinite(r) and math.isfinite(q)):
            raise BDRateError('%s curve has a non-finite point (%g, %g)'
                              % (name, r, q))
        if r <= 0:
            raise BDRateError('%s curve has a rate <= 0 (%g)' % (name, r))
    pts.sort(key=lambda p: p[key])
    for a, b in zip(pts, pts[1:]):
        if a[key] == b[key]:
            raise BDRateError('%s curve has two points at %s %g'
                              % (name, ('rate', 'quality')[key], a[key]))
    return pts


def _overlap(lo_a, hi_a, lo_t, hi_t, what):
    lo, hi = max(lo_a, lo_t), min(hi_a, hi_t)
    if hi <= lo:
        raise BDRateError(
            'the curves do not overlap in %s: anchor %g..%g, test %g..%g'
            % (what, lo_a, hi_a, lo_t, hi_t))
    return lo, hi


def bd_rate(anchor, test):
    """BD-rate of test against anchor, in %: the mean difference in bits at
    equal quality over the quality interval both curves cover (negative
    when test needs fewer bits). anchor and test are sequences of
    (rate, quality); rates in any consistent unit, quality higher is
    better (dB)."""
    a = _prepare(anchor, 'anchor', 1)
    t = _prepare(test, 'test', 1)
    lo, hi = _overlap(a[0][1], a[-1][1], t[0][1], t[-1][1], 'quality')
    pa = Pchip([q for _, q in a], [math.log10(r) for r, _ in a])
    pt = Pchip([q for _, q in t], [math.log10(r) for r, _ in t])
    mean = (pt.integrate(lo, hi) - pa.integrate(lo, hi)) / (hi - lo)
    return (10 ** mean - 1) * 100


def bd_quality(anchor, test):
    """BD-quality (BD-PSNR for PSNR) of test against anchor: the mean
    quality difference at equal rate over the log10-rate interval both
    curves cover (positive when test is better)."""
    a = _prepare(anchor, 'anchor', 0)
    t = _prepare(test, 'test', 0)
    lo, hi = _overlap(math.log10(a[0][0]), math.log10(a[-1][0]),
                      math.log10(t[0][0]), math.log10(t[-1][0]),
                      'log10 rate')
    pa = Pchip([math.log10(r) for r, _ in a], [q for _, q in a])
    pt = Pchip([math.log10(r) for r, _ in t], [q for _, q in t])
    return (pt.integrate(lo, hi) - pa.integrate(lo, hi)) / (hi - lo)
