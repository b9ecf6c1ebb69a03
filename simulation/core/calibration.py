"""Baseline statistics to compare with :mod:`scenarios.calibration` targets."""

from __future__ import annotations

import numpy as np
import pandas as pd

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


class BaselineCounters:
    """The control arm's statistics for the calibration targets, one row per closed year."""

    def __init__(self, replication: int, capacity: int):
        self.replication = replication
        self.months_on_eb_this_year = np.zeros(capacity, dtype=np.int8)
        self.placements_this_year = 0
        self.minor_months_this_year = 0
        self.cohort = [0, 0]     # entrants of the first year: [on EB at follow-up, total]
        self.rows: list[dict] = []

    def count_month(self, t: int, households) -> None:
        hh = households
        self.months_on_eb_this_year[:len(hh)] += hh.on_eb[1]
        if COHORT_FOLLOW_UP_MONTHS <= t < COHORT_FOLLOW_UP_MONTHS + 12:
            cohort = hh.entry_month == t - COHORT_FOLLOW_UP_MONTHS
            self.cohort[0] += int((cohort & hh.on_eb[1]).sum())
            self.cohort[1] += int(cohort.sum())

    def count_children(self, new_placements: np.ndarray, minors: np.ndarray) -> None:
        self.placements_this_year += int(np.count_nonzero(new_placements[1]))
        self.minor_months_this_year += int(np.count_nonzero(minors[1]))

    def close_year(self, year_index: int, year: int) -> None:
        """One row for the year; the yearly counters start again (before households may retire)."""
        months_on_eb = self.months_on_eb_this_year
        any_eb = months_on_eb > 0
        cohort_year = year_index == COHORT_FOLLOW_UP_MONTHS // 12
        self.rows.append({
            "replication": self.replication, "year": year,
            "households_with_eb": int(any_eb.sum()),
            "long_term_households": int((months_on_eb >= LONG_TERM_MONTHS_IN_YEAR).sum()),
            "eb_household_months": int(months_on_eb.sum()),
            "placements": self.placements_this_year,
            "minor_years": self.minor_months_this_year / 12.0,
            "cohort_on_eb_at_60": self.cohort[0] if cohort_year else 0,
            "cohort_size": self.cohort[1] if cohort_year else 0,
        })
        months_on_eb[:] = 0
        self.placements_this_year = self.minor_months_this_year = 0
