"""Measures on a lattice: the arithmetic behind the exact dilution-aware closed forms.

A pool is detectable when the sum of its positives' concentrations (in units of the
detection limit) reaches its size. Sums of independent concentrations are convolutions of
their laws, so the closed forms work with laws held on a lattice ``0, h, 2h, ..., N·h``:

* a measure is a float array of length ``N + 2``: mass at each lattice point, and in the
  last slot the mass above ``N·h`` (the *overflow*: above every threshold of interest);
* only thresholds up to ``N·h`` are ever asked, and a sum of non-negative terms is below a
  threshold only if every term is, so truncating after each convolution loses nothing;
  the overflow is kept as "total mass minus what is in range";
* a sum that lands exactly on a threshold counts half (``tie = 0.5``): with laws
  discretised by a mean-preserving split of each cell onto its two ends
  (``concentration.py``) this makes every threshold probability accurate to O(h²)
  rather than O(h). The one term whose value several thresholds share (the focal
  person of a closed form: its row and its column, its subpool and its pool) is instead
  held at the left end of its cell and read just above it (``tie = 1``): the midpoint
  rule, which keeps O(h²) where two thresholds jump at the same value of that term.

Measures may have any total mass (sub-probability laws restricted to an event, laws
weighted by a test's chance to come out negative): the convolution multiplies masses.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt

Arr = npt.NDArray[np.float64]

# below this many points a direct convolution is faster than an FFT
_DIRECT = 64


@attrs.frozen(slots=True)
class Lattice:
    """Points ``k·h`` for ``k = 0..n``; thresholds must be lattice points."""

    h: float
    n: int

    @property
    def top(self) -> float:
        """The largest threshold the lattice can answer: ``n·h``."""
        return self.n * self.h

    def index(self, threshold: float) -> int:
        """Lattice index of a threshold (which must be a lattice point within range)."""
        k = int(round(threshold / self.h))
        if abs(k * self.h - threshold) > 1e-9 * max(1.0, threshold) or not 0 <= k <= self.n:
            raise ValueError(f"threshold {threshold} is not a point of the lattice (h={self.h}, n={self.n})")
        return k


def convolve(a: Arr, b: Arr) -> Arr:
    """The law of the sum of independent terms with (sub-)measures ``a`` and ``b``."""
    n = a.shape[0] - 2
    lo = _linear(a[: n + 1], b[: n + 1])[: n + 1]
    out = np.empty(n + 2)
    out[: n + 1] = lo
    out[n + 1] = max(0.0, a.sum() * b.sum() - lo.sum())
    return out


def fast_length(n: int) -> int:
    """The smallest 2^a·3^b·5^c at least ``n``: a length the FFT handles fast."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def _linear(x: Arr, y: Arr) -> Arr:
    """Linear convolution of non-negative vectors (FFT above ``_DIRECT`` points)."""
    if x.shape[0] <= _DIRECT:
        return np.convolve(x, y)
    size = fast_length(x.shape[0] + y.shape[0] - 1)
    z = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(y, size), size)[: x.shape[0] + y.shape[0] - 1]
    # FFT round-off leaves values of order 1e-17 below zero; a measure has none
    return np.maximum(z, 0.0)


def power(a: Arr, k: int) -> Arr:
    """The law of the sum of ``k`` independent terms of law ``a`` (binary powering)."""
    result = np.zeros_like(a)
    result[0] = 1.0
    base = a
    while k > 0:
        if k & 1:
            result = convolve(result, base)
        k >>= 1
        if k:
            base = convolve(base, base)
    return result


def powers(a: Arr, kmax: int) -> Arr:
    """Rows ``k = 0..kmax``: the law of the sum of ``k`` independent terms of law ``a``."""
    n = a.shape[0] - 2
    out = np.zeros((kmax + 1, n + 2))
    out[0, 0] = 1.0
    if kmax == 0:
        return out
    size = fast_length(2 * n + 1)
    fa = np.fft.rfft(a[: n + 1], size)
    mass_a = a.sum()
    for k in range(1, kmax + 1):
        prev = out[k - 1]
        if n + 1 <= _DIRECT:
            lo = np.convolve(prev[: n + 1], a[: n + 1])[: n + 1]
        else:
            lo = np.maximum(np.fft.irfft(np.fft.rfft(prev[: n + 1], size) * fa, size)[: n + 1], 0.0)
        out[k, : n + 1] = lo
        out[k, n + 1] = max(0.0, prev.sum() * mass_a - lo.sum())
    return out


def tails(a: Arr, tie: float = 0.5) -> Arr:
    """``t[k] = P(value > k·h) + tie·P(value = k·h)`` for every lattice point ``k = 0..n``.

    Rows of a 2-D array are treated as separate measures.
    """
    above = np.cumsum(a[..., ::-1], axis=-1)[..., ::-1]  # above[k] = mass at k and beyond
    return np.asarray(above[..., 1:] + tie * a[..., :-1], dtype=np.float64)


def detect(u: Arr, k: int, tie: float = 0.5) -> Arr:
    """``g[v] = E_u[w(v + U)]`` for every lattice value ``v = 0..n+1`` of another term,
    ``w`` the weight of reaching threshold index ``k`` (1 above, ``tie`` on it): the chance
    that ``v`` plus a term of law ``u`` reaches it, times ``u``'s mass. Values beyond ``k``
    reach it whatever ``U`` is."""
    n = u.shape[0] - 2
    t = tails(u, tie)
    g = np.full(n + 2, u.sum())
    g[: k + 1] = t[k::-1]
    return g


def weights(n: int, k: int, tie: float = 0.5) -> Arr:
    """``w[j] = 1`` above index ``k``, ``tie`` at ``k``, ``0`` below, for ``j = 0..n+1``
    (the last slot is the overflow): the detection weight of a sum against threshold ``k``."""
    w = np.zeros(n + 2)
    w[k + 1 :] = 1.0
    w[k] = tie
    return w
