"""Headline figures that match the decision (issue 11): the attributable saving within the
project years and within each rule's repayment window, by hand-checkable ledgers."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.core.runner import per_replication_metrics
from tests.support import make_config

YEARS = range(2014, 2026)


def ledger_saving(by_year: dict[int, float], grant: str) -> pd.DataFrame:
    """A ledger whose attributable saving (control − intervention) in year y is by_year[y]."""
    rows = []
    for y, saving in by_year.items():
        rows.append((0, "control", y, "eb_unit", "eb", 100.0 + saving, True, grant))
        rows.append((0, "intervention", y, "eb_unit", "eb", 100.0, True, grant))
    return pd.DataFrame(rows, columns=["replication", "arm", "year", "payer", "category", "amount_sek",
                                       "cash", "grant"])


def repayment_rows(rules, grant: str) -> pd.DataFrame:
    return pd.DataFrame([{"rule": rule, "replication": 0, "year": y, "disbursed_sek": 0.0, "repaid_sek": 0.0,
                          "written_off_sek": 0.0, "outstanding_sek": 0.0, "budget_pressure_sek": 0.0,
                          "budget_pressure_posts": 0.0, "grant": grant} for rule in rules for y in YEARS])


def test_project_years_and_rule_windows_sum_the_right_years():
    cfg = make_config("replications=1")           # Öster: project 2014–2017, first disbursement 2014
    grant = cfg.intervention.name
    ledger = ledger_saving({y: float(y - 2013) for y in YEARS}, grant)   # 1, 2, … 12 in 2014 … 2025
    per = per_replication_metrics(cfg, ledger, repayment_rows(cfg.repayment.rules, grant),
                                  pd.DataFrame()).set_index("rule")
    assert per["attributable_saving_sek"].eq(78.0).all()                    # 1 + … + 12
    assert per["attributable_saving_project_years_sek"].eq(10.0).all()      # 2014–2017: 1 + 2 + 3 + 4
    window = per["attributable_saving_in_window_sek"]
    assert window["stockholm_2016"] == 2 + 3 + 4 + 5 + 6 + 7                # start + 1 … start + 6
    assert window["sodertalje_2015"] == 6 + 7 + 8 + 9 + 10                  # start + 5 … start + 9
    assert window["malmo_2012"] == window["norrkoping_2010"] == 78.0        # open: to the horizon
    assert window["budget_model"] == 78.0


def test_the_window_starts_at_the_first_disbursement():
    cfg = make_config("replications=1")
    cfg.intervention.cost_sek_by_year = {"2014": 0.0, "2016": 5.0}     # nothing paid out in 2014
    grant = cfg.intervention.name
    ledger = ledger_saving({y: 1.0 for y in YEARS}, grant)
    per = per_replication_metrics(cfg, ledger, repayment_rows(cfg.repayment.rules, grant),
                                  pd.DataFrame()).set_index("rule")
    # Stockholm: 2017 … 2022 (six years); Södertälje: 2021 … 2025 (five years)
    assert per.loc["stockholm_2016", "attributable_saving_in_window_sek"] == pytest.approx(6.0)
    assert per.loc["sodertalje_2015", "attributable_saving_in_window_sek"] == pytest.approx(5.0)
    assert per.loc["stockholm_2016", "attributable_saving_project_years_sek"] == pytest.approx(4.0)
