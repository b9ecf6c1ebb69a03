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


# --- the households' month of costs in one pass ---------------------------------------------------

def _household_month_loop(n_active, present, on_eb, old_age_support, eb_sek, last_exit_route, months_since_exit,
                          routes, months, with_hours, months_left, intensive, month_index, units, counts, sums,
                          hour_units):  # pragma: no cover - compiled by numba
    # CostBooking.book's household passes over each replication's prefix, at once:
    # - sums[a, r, 0 / 1]: Σ EB amount of the households on EB / on old-age support, as
    #   agents/kernels.py's _exact_masked_sums_loop adds them (each term value × mask as int64; returns
    #   whether every term of that sum was a whole number below 2³² in size and their sizes summed
    #   below 2⁵³ in every row: then the float of the int64 total is numpy's pairwise sum, bit for bit);
    # - counts[a, r, k]: present, off EB, last exit by routes[k] less than months[k] ago
    #   (kernels.household_cost_counts' counts);
    # - hour_units[a, r]: Σ units[intensive, min(month index, last)] of the households in an episode
    #   (_open_care_hour_units_loop's whole units), when with_hours.
    # Returns bit 0 set when the EB sums are exact, bit 1 when the old-age ones are
    exact_eb = True
    exact_old = True
    term_limit = 4294967296.0
    sum_limit = 9007199254740992
    route_0, route_1, route_2 = routes[0], routes[1], routes[2]
    months_0, months_1, months_2 = months[0], months[1], months[2]
    last = units.shape[1] - 1
    for a in range(counts.shape[0]):
        for r in range(n_active.shape[0]):
            total_eb = np.int64(0)
            size_eb = np.int64(0)
            total_old = np.int64(0)
            size_old = np.int64(0)
            count_0 = 0
            count_1 = 0
            count_2 = 0
            # three simple loops over the row rather than one doing everything: each is what the
            # compiler vectorises in the loop it replaces (one loop of all of it was no faster, measured)
            for i in range(n_active[r]):
                amount = eb_sek[r, i]
                v = amount * on_eb[a, r, i]
                w = np.int64(v)
                exact_eb = exact_eb & (np.float64(w) == v) & (v < term_limit) & (v > -term_limit)
                total_eb += w
                size_eb += abs(w)
            for i in range(n_active[r]):
                v = eb_sek[r, i] * old_age_support[a, r, i]
                w = np.int64(v)
                exact_old = exact_old & (np.float64(w) == v) & (v < term_limit) & (v > -term_limit)
                total_old += w
                size_old += abs(w)
            for i in range(n_active[r]):
                off = present[a, r, i] & (not on_eb[a, r, i])
                route = last_exit_route[a, r, i]
                since = months_since_exit[a, r, i]
                count_0 += off & (route == route_0) & (since < months_0)
                count_1 += off & (route == route_1) & (since < months_1)
                count_2 += off & (route == route_2) & (since < months_2)
            sums[a, r, 0] = np.float64(total_eb)
            sums[a, r, 1] = np.float64(total_old)
            exact_eb = exact_eb & (size_eb < sum_limit)
            exact_old = exact_old & (size_old < sum_limit)
            counts[a, r, 0] = count_0
            counts[a, r, 1] = count_1
            counts[a, r, 2] = count_2
            if with_hours:
                hours = np.int64(0)
                for i in range(n_active[r]):
                    if months_left[a, r, i] > 0:
                        hours += units[np.int64(intensive[a, r, i]), min(month_index[a, r, i], last)]
                hour_units[a, r] = hours
    return np.int64(exact_eb) | (np.int64(exact_old) << 1)


def household_month(households, routes: np.ndarray, months: np.ndarray, hour_units) -> tuple:
    """The cost booking's household sums and counts of the month in one compiled pass
    (:func:`_household_month_loop`): ((arms, R) EB paid or None, (arms, R) old-age support paid or
    None — None where the amounts are not exact whole SEK: numpy's sum then decides the bits —,
    (arms, R, 3) counts, (arms, R) open-care hours or None without an exact hours table)."""
    from agents.kernels import whole
    hh = households
    counts = np.empty((hh.n_arms, hh.n_reps, 3), dtype=np.int64)
    sums = np.empty((hh.n_arms, hh.n_reps, 2), dtype=np.float64)
    with_hours = hour_units is not None
    units, unit_hours = hour_units if with_hours else (np.zeros((1, 1), dtype=np.int64), 1.0)
    hours = np.empty((hh.n_arms, hh.n_reps), dtype=np.int64)
    exact = compiled("household_month", _household_month_loop)(
        np.asarray(hh.n_active, dtype=np.int64), whole(hh.present), whole(hh.on_eb), whole(hh.old_age_support),
        whole(hh.eb_sek_per_month), whole(hh.last_exit_route), whole(hh.months_since_exit), routes, months,
        with_hours, whole(hh.open_care_months_left), whole(hh.open_care_intensive),
        whole(hh.open_care_month_index), units, counts, sums, hours)
    return (sums[..., 0] if exact & 1 else None, sums[..., 1] if exact & 2 else None, counts,
            hours.astype(np.float64) * unit_hours if with_hours else None)
