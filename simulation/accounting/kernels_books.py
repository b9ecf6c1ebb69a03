"""Compiled loops of the monthly cost booking (issue 15), each beside its numpy reference.

The month's open-care hours summed over each replication's prefix: numpy looks every household's
hours up into an (arms, R, window) array and sums each row's prefix (``costs.py``: the reference);
the loop adds them as whole multiples of a power of two, which is exact in any order, so the sum is
the one numpy's pairwise summation gives (every partial sum exact) — when the hours table allows it
(:func:`exact_units`); otherwise the caller keeps numpy's path. The loop over each row's own prefix
(agents/kernels.py's rules: counts and exact sums are loops' work, float sums stay numpy's).
"""

from __future__ import annotations

import numpy as np

from agents.kernels import compiled

#: the finest power of two an hours table may be a whole multiple of (2⁻²⁰ h: far below any
#: configured hours; a table such as 0.1 h is not, and stays with numpy's sums)
MAX_SCALE_EXPONENT = 20
#: sums of whole numbers below this are exact in float64 whatever the order (2⁵³)
EXACT_LIMIT = 2 ** 53


def exact_units(table: np.ndarray, max_terms: int) -> tuple[np.ndarray, float] | None:
    """The table as int64 multiples of 2⁻ᵏ (the smallest k ≤ 20 that makes every entry whole) and
    2⁻ᵏ, or None when no such k exists or ``max_terms`` entries of the largest size could reach 2⁵³
    units (then a sum of up to ``max_terms`` entries might round in float64)."""
    table = np.asarray(table, dtype=np.float64)
    if not np.all(np.isfinite(table)):
        return None
    for k in range(MAX_SCALE_EXPONENT + 1):
        scaled = table * float(2 ** k)                # a power of two: exact
        if np.all(scaled == np.floor(scaled)):
            largest = float(np.abs(scaled).max()) if scaled.size else 0.0
            if largest * max(int(max_terms), 1) >= EXACT_LIMIT:
                return None
            return scaled.astype(np.int64), 2.0 ** -k
    return None


def _open_care_hour_units_loop(months_left, intensive, month_index, units, n_active, out):  # pragma: no cover
    # out[a, r] = Σ over the households i < n_active[r] in an episode (months left > 0) of
    # units[intensive, min(month index, last column)]: whole numbers, so the order does not matter
    n_arms, n_reps = out.shape
    last = units.shape[1] - 1
    for a in range(n_arms):
        for r in range(n_reps):
            total = np.int64(0)
            for i in range(n_active[r]):
                if months_left[a, r, i] > 0:
                    total += units[np.int64(intensive[a, r, i]), min(month_index[a, r, i], last)]
            out[a, r] = total


def open_care_hour_sums(months_left: np.ndarray, intensive: np.ndarray, month_index: np.ndarray,
                        units: np.ndarray, unit_hours: float, n_active: np.ndarray) -> np.ndarray:
    """(arms, R): the therapist hours of the month summed over each replication's prefix, compiled,
    from :func:`exact_units`' table (the same floats as ``prefix_sums`` of the looked-up hours)."""
    out = np.empty(months_left.shape[:2], dtype=np.int64)
    compiled("open_care_hour_units", _open_care_hour_units_loop)(
        months_left, intensive, month_index, units, np.asarray(n_active, dtype=np.int64), out)
    return out.astype(np.float64) * unit_hours
