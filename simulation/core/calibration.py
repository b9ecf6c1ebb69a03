"""Baseline statistics to compare with :mod:`scenarios.calibration` targets."""

from __future__ import annotations

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
