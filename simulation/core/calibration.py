"""Baseline statistics to compare with :mod:`scenarios.calibration` targets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.kernels import count_true

from scenarios.calibration import TARGETS


def baseline_statistics(calibration_rows: pd.DataFrame, skip_years: int = 1) -> dict[str, float]:
    """The control arm's EB and placement statistics, pooled over replications and years.

    ``skip_years`` drops the first years (the starting stock is drawn from the
    steady state, but inflow takes a year to mix in).
    """
    rows = calibration_rows[calibration_rows["year"] >= calibration_rows["year"].min() + skip_years]
    cohort = calibration_rows["cohort_size"].sum()
    return {
        "long_term_share_of_stock": rows["long_term_households"].sum() / rows["households_with_eb"].sum(),
        "months_on_eb_per_household_year": rows["eb_household_months"].sum() / rows["households_with_eb"].sum(),
        "entrants_on_eb_after_5_years": (calibration_rows["cohort_on_eb_at_60"].sum() / cohort) if cohort else float("nan"),
        "placements_per_child_year": rows["placements"].sum() / rows["minor_years"].sum(),
        "eligible_family_exits_per_year": 12.0 * rows["eligible_family_exits"].sum()
        / rows["eligible_family_months"].sum(),
    }


def calibration_table(stats: dict[str, float]) -> pd.DataFrame:
    out = []
    for t in TARGETS:
        v = stats[t.name]
        out.append({"target": t.name, "model": v, "target_value": t.value, "accepted_low": t.low,
                    "accepted_high": t.high, "met": bool(t.low <= v <= t.high), "source": t.source})
    return pd.DataFrame(out)


#: "long-term" recipients: on EB at least this many months of a calendar year
#: (Socialstyrelsen's definition, behind the target long_term_share_of_stock)
LONG_TERM_MONTHS_IN_YEAR = 10
#: entrants of the first simulated year are followed this long (target
#: entrants_on_eb_after_5_years, Mood 2012)
COHORT_FOLLOW_UP_MONTHS = 60
#: "eligible" families (target eligible_family_exits_per_year): with children at home and on EB at
#: least this many months, the target group of Hela familjen (seed 000: "kontinuerligt under minst
#: två år"; seed 001: ≥ 24 months) and of the parameter table's row "baseline exit, target families
#: (≥ 2 y on EB)"
ELIGIBLE_FAMILY_MIN_MONTHS_ON_EB = 24


class BaselineCounters:
    """The control arm's statistics for the calibration targets, one row per replication and closed year."""

    def __init__(self, replications: list[int], capacity: int):
        self.replications = list(replications)
        n = len(self.replications)
        self.months_on_eb_this_year = np.zeros((n, capacity), dtype=np.int8)
        self.placements_this_year = np.zeros(n, dtype=np.int64)
        self.minor_months_this_year = np.zeros(n, dtype=np.int64)
        self.cohort_on_eb = np.zeros(n, dtype=np.int64)   # entrants of the first year on EB at follow-up
        self.cohort_size = np.zeros(n, dtype=np.int64)
        self.eligible_family_months = np.zeros(n, dtype=np.int64)
        self.eligible_family_exits = np.zeros(n, dtype=np.int64)
        self.rows: list[list[dict]] = [[] for _ in self.replications]

    def count_month(self, t: int, households) -> None:
        hh = households
        self.months_on_eb_this_year[:, :len(hh)] += hh.on_eb[1]
        if COHORT_FOLLOW_UP_MONTHS <= t < COHORT_FOLLOW_UP_MONTHS + 12:
            cohort = hh.entry_month == t - COHORT_FOLLOW_UP_MONTHS
            self.cohort_on_eb += np.count_nonzero(cohort & hh.on_eb[1], axis=-1)
            self.cohort_size += np.count_nonzero(cohort, axis=-1)

    def count_eligible_family_exits(self, at_risk: np.ndarray, exits: np.ndarray, implementation: str = "numpy") -> None:
        """A month's EB exit draw in the control arm: ``at_risk`` the (R, N) eligible families on EB at it
        (with children, on EB ≥ ELIGIBLE_FAMILY_MIN_MONTHS_ON_EB months), ``exits`` the (R, N) households
        that left EB in it (any route; pension exits are not part of the draw). ``implementation``: how
        to count (agents.kernels.count_true; the same counts)."""
        self.eligible_family_months += count_true(at_risk, implementation)
        self.eligible_family_exits += count_true(at_risk & exits, implementation)

    def count_children(self, new_placements: np.ndarray, minors: np.ndarray) -> None:
        self.placements_this_year += np.count_nonzero(new_placements[1], axis=-1)
        self.minor_months_this_year += np.count_nonzero(minors[1], axis=-1)

    def close_year(self, year_index: int, year: int) -> None:
        """One row per replication for the year; the yearly counters start again (before retirement)."""
        months_on_eb = self.months_on_eb_this_year
        households_with_eb = np.count_nonzero(months_on_eb > 0, axis=-1)
        long_term = np.count_nonzero(months_on_eb >= LONG_TERM_MONTHS_IN_YEAR, axis=-1)
        household_months = months_on_eb.sum(axis=-1, dtype=np.int64)
        cohort_year = year_index == COHORT_FOLLOW_UP_MONTHS // 12
        for i, replication in enumerate(self.replications):
            self.rows[i].append({
                "replication": replication, "year": year,
                "households_with_eb": int(households_with_eb[i]),
                "long_term_households": int(long_term[i]),
                "eb_household_months": int(household_months[i]),
                "placements": int(self.placements_this_year[i]),
                "minor_years": int(self.minor_months_this_year[i]) / 12.0,
                "cohort_on_eb_at_60": int(self.cohort_on_eb[i]) if cohort_year else 0,
                "cohort_size": int(self.cohort_size[i]) if cohort_year else 0,
                "eligible_family_months": int(self.eligible_family_months[i]),
                "eligible_family_exits": int(self.eligible_family_exits[i]),
            })
        months_on_eb[:] = 0
        self.placements_this_year[:] = 0
        self.minor_months_this_year[:] = 0
        self.eligible_family_months[:] = 0
        self.eligible_family_exits[:] = 0
