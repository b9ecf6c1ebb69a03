"""Study ``replicate_oster_report``: the Öster report's table, line by line, beside the model.

The report (seed 004) counted every exit as a year of EB not paid, every
intensively treated family as an ordinary treatment avoided, and ten placements
judged avoided by staff, with no control group. The model's attributable figure
for the same case is the intervention arm against its paired control arm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scenarios import oster_report as R
from simulation.accounting.evaluation import naive_eb_claim_sek, naive_open_care_claim_sek, naive_placement_claim_sek
from simulation.accounting.ledger import savings_by
from simulation.core.runner import Results

LINES = ("investment", "eb", "open_care", "placements", "total_saving")
CATEGORIES = {"eb": ["eb"], "open_care": ["open_care_hours"],
              "placements": ["placement_hvb", "placement_family_home"]}

EXPLANATIONS = {
    "investment": "Same cost in both: the report's yearly costs are the model's grant.",
    "eb": ("The report counts one year of EB per exit (41 exits from 28 places, less 3 deadweight); "
           "the model follows each household: early leavers save more than a year, re-entries and "
           "exits that would have happened anyway (control arm) save nothing, and exits to "
           "Försäkringskassan/studies shift cost to the state instead of saving it."),
    "open_care": ("The report counts 16 × (ordinary − intensive episode); in the model only families "
                  "who would have needed treatment count, and freed therapist hours are cost "
                  "avoidance, not cash."),
    "placements": ("The report counts 10 placements judged avoided among 55 children; a 1–2 %/year "
                   "hazard gives ≈4–5 placements in 4 years without any intervention, so the model's "
                   "avoided placements are a fraction of that."),
    "total_saving": "Sum of the lines above (excluding the investment).",
}


def report_table() -> dict[str, float]:
    """The report's own figures, recomputed from its counts with the model's evaluation formulas."""
    exits = sum(R.EXITS_BY_ROUTE.values())
    eb = naive_eb_claim_sek(exits, R.EB_SEK_PER_MONTH, R.MONTHS_CLAIMED_PER_EXIT, R.DEADWEIGHT_EXITS)
    care = naive_open_care_claim_sek(R.OPEN_CARE_FAMILIES, R.ORDINARY_HOURS_BY_MONTH,
                                     R.INTENSIVE_HOURS_BY_MONTH, R.THERAPISTS, R.THERAPIST_SEK_PER_HOUR)
    placements = naive_placement_claim_sek(R.PLACEMENTS_AVOIDED, R.PLACEMENT_DAYS, R.HVB_SEK_PER_DAY)
    return {"investment": float(sum(R.INVESTMENT_SEK_BY_YEAR.values())), "eb": eb, "open_care": care,
            "placements": placements, "total_saving": eb + care + placements}


def comparison_table(results: Results) -> pd.DataFrame:
    """Report vs model: per line, the report's figure and the model's attributable saving
    (median and P10–P90 over replications) during the project (2014–2017) and to the horizon."""
    report = report_table()
    itv = results.config.intervention
    per = savings_by(results.ledger, ["replication", "year", "category"])
    project = per["year"].between(itv.start_year, itv.end_year)
    rows = []
    for line in LINES:
        row = {"line": line, "report_sek": report[line]}
        if line == "investment":
            cost = results.years.groupby("replication")["disbursed_sek"].sum()
            values = {"project": cost, "horizon": cost}
        else:
            cats = sum(CATEGORIES.values(), []) if line == "total_saving" else CATEGORIES[line]
            sel = per[per["category"].isin(cats)]
            values = {"project": sel[project.loc[sel.index]].groupby("replication")["saving_sek"].sum(),
                      "horizon": sel.groupby("replication")["saving_sek"].sum()}
        for window, v in values.items():
            v = v.reindex(range(results.config.replications), fill_value=0.0).to_numpy()
            row[f"model_{window}_p50_sek"] = float(np.median(v))
            row[f"model_{window}_p10_sek"] = float(np.quantile(v, 0.1))
            row[f"model_{window}_p90_sek"] = float(np.quantile(v, 0.9))
        row["explanation"] = EXPLANATIONS[line]
        rows.append(row)
    return pd.DataFrame(rows)


def format_comparison(table: pd.DataFrame) -> str:
    lines = ["Hela familjen Öster: the report's accounting vs the model (SEK)",
             f"{'line':<14} {'report':>12} {'model 2014–17':>14} {'model horizon':>14}"]
    for _, r in table.iterrows():
        lines.append(f"{r['line']:<14} {r['report_sek']:>12,.0f} {r['model_project_p50_sek']:>14,.0f} "
                     f"{r['model_horizon_p50_sek']:>14,.0f}")
    lines.append("(model: median attributable saving over replications, all payers; see "
                 "oster_report_comparison.csv for P10–P90 and explanations)")
    return "\n".join(lines)
