"""WSIPP-style figures per perspective (issue 12 item 3): hand-computed from a two-row ledger."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.accounting.ledger import PERSPECTIVES
from simulation.accounting.perspectives import BEARS_THE_GRANT, perspective_metrics


def ledger_rows(rows):
    return pd.DataFrame(rows, columns=["replication", "arm", "year", "payer", "category", "amount_sek", "cash",
                                       "perspective"])


def test_households_bear_no_grant_so_their_net_benefit_is_their_gain():
    """Budget: EB 1 000 (control) vs 400 (intervention) → saving 600; households: income 1 000 vs
    1 300 (a negative cost) → gain 300; therapist hours 50 vs 30 (a real resource: society counts it)
    → 20; grant 500, all in 2014, no discounting. By hand: budget net 600 + 20 − 500 = 120,
    society net 20 − 500 = −480, households net 300 (they pay no part of the grant)."""
    ledger = ledger_rows([
        (0, "control", 2014, "eb_unit", "eb", 1000.0, True, "budget"),
        (0, "intervention", 2014, "eb_unit", "eb", 400.0, True, "budget"),
        (0, "control", 2014, "open_care", "open_care_hours", 50.0, False, "budget"),
        (0, "intervention", 2014, "open_care", "open_care_hours", 30.0, False, "budget"),
        (0, "control", 2014, "households", "household_income", -1000.0, False, "household"),
        (0, "intervention", 2014, "households", "household_income", -1300.0, False, "household"),
    ])
    years = pd.DataFrame({"replication": [0], "year": [2014], "disbursed_sek": [500.0]})
    got = perspective_metrics(ledger, years, start_year=2014, discount_rate=0.0,
                              replications=pd.Index([0])).iloc[0]
    assert got["net_benefit_pv_sek_budget"] == pytest.approx(120.0)
    assert got["net_benefit_pv_sek_society"] == pytest.approx(-480.0)
    assert got["net_benefit_pv_sek_household"] == pytest.approx(300.0)
    # the ratio is per krona of the grant in every perspective
    assert got["benefit_cost_ratio_budget"] == pytest.approx(620 / 500)
    assert got["benefit_cost_ratio_household"] == pytest.approx(300 / 500)
    assert (got["p_net_benefit_positive_household"], got["p_net_benefit_positive_society"]) == (1.0, 0.0)


def test_every_perspective_says_whether_it_bears_the_grant():
    assert set(BEARS_THE_GRANT) == set(PERSPECTIVES)
    assert not BEARS_THE_GRANT["household"] and BEARS_THE_GRANT["budget"] and BEARS_THE_GRANT["society"]
