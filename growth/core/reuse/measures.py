"""Concentration measures over a vector of non-negative amounts (downloads, likes, citations).

Plain numpy, no Django. Every function takes a 1-d array and returns a Python float, or ``None``
when the measure is undefined (the denominator is zero: no units, or a total of zero). ``None``
is never silently turned into 0, because "nobody downloads anything" is not "perfectly equal".
"""

from fractions import Fraction

import numpy as np


def _as_float(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).ravel()


def top_k_count(n: int, fraction: Fraction | float | str) -> int:
    """``ceil(fraction * n)``, in exact arithmetic (0.01 * 300 is 3.0000000000000004 in floats)."""
    fraction = Fraction(fraction)
    if n <= 0:
        return 0
    return int(-((-n * fraction.numerator) // fraction.denominator))


def top_share(values, fraction: Fraction | float | str) -> float | None:
    """Share of the total held by the ``ceil(fraction * n)`` largest values.

    ``None`` when there are no values or they sum to 0.
    """
    x = _as_float(values)
    total = x.sum()
    if x.size == 0 or total <= 0:
        return None
    k = top_k_count(x.size, fraction)
    top = np.partition(x, x.size - k)[x.size - k :]
    return float(min(top.sum() / total, 1.0))


def gini(values) -> float | None:
    """Gini coefficient, zeros included: ``G = sum_i sum_j |x_i - x_j| / (2 n^2 mean)``.

    Computed in the sorted form ``(2 * sum_i i * x_(i)) / (n * X) - (n + 1) / n`` (ascending,
    ``i`` from 1), which is O(n log n). In [0, 1 - 1/n]; ``None`` when n = 0 or the total is 0.
    """
    x = np.sort(_as_float(values))
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return None
    ranks = np.arange(1, n + 1, dtype=np.float64)
    g = 2.0 * np.dot(ranks, x) / (n * total) - (n + 1) / n
    return float(min(max(g, 0.0), 1.0))  # clamp rounding noise of the order of 1e-16


def share_below(values, threshold: float) -> float | None:
    """Fraction of units whose value is strictly below ``threshold``; ``None`` when n = 0."""
    x = _as_float(values)
    if x.size == 0:
        return None
    return float(np.count_nonzero(x < threshold) / x.size)


def group_totals(codes, values, n_groups: int | None = None) -> np.ndarray:
    """Sum of ``values`` per integer group code (e.g. per author), groups with no unit dropped."""
    codes = np.asarray(codes, dtype=np.int64).ravel()
    if codes.size == 0:
        return np.zeros(0)
    sums = np.bincount(codes, weights=_as_float(values), minlength=n_groups or 0)
    present = np.bincount(codes, minlength=n_groups or 0) > 0
    return sums[present]


def hhi(values) -> float | None:
    """Herfindahl-Hirschman index ``sum_i s_i^2`` with ``s_i = x_i / X``; in [1/n, 1].

    Pass per-player totals (``group_totals``). ``None`` when there are no players or X = 0.
    """
    x = _as_float(values)
    total = x.sum()
    if x.size == 0 or total <= 0:
        return None
    shares = x / total
    return float(min(np.dot(shares, shares), 1.0))


def effective_number(hhi_value: float | None) -> float | None:
    """``1 / HHI``: how many equal-sized players would give the same concentration."""
    return None if not hhi_value else float(1.0 / hhi_value)


def quantile(values, q: float) -> float | None:
    x = _as_float(values)
    return float(np.quantile(x, q)) if x.size else None


def concentration(values, author_codes=None, *, long_tail_threshold: float | None = None) -> dict:
    """Every concentration measure of one amount (downloads or likes) over one set of repos."""
    x = _as_float(values)
    positive = x[x > 0]
    result = {
        "total": float(x.sum()),
        "top0_01pct_share": top_share(x, Fraction(1, 10_000)),
        "top1pct_share": top_share(x, Fraction(1, 100)),
        "gini": gini(x),
        "gini_positive": gini(positive),
        "median": quantile(x, 0.5),
        "p90": quantile(x, 0.9),
    }
    if long_tail_threshold is not None:
        result[f"share_under_{long_tail_threshold:g}"] = share_below(x, long_tail_threshold)
    if author_codes is not None:
        per_author = group_totals(author_codes, x)
        result["authors"] = int(per_author.size)
        result["hhi_authors"] = hhi(per_author)
        result["effective_authors"] = effective_number(result["hhi_authors"])
    return result
