"""Fiscal revenue of exits to work (issue 12 item 2), and money conserved in every perspective."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.households import ROUTE_INDEX
from simulation.accounting.fiscal import FiscalBooking, flows_per_work_month
from simulation.accounting.ledger import CATEGORIES, PERSPECTIVES, MonthlyLedger, savings_by
from simulation.core.runner import run
from tests.support import make_config

INTERVENTION, CONTROL = 0, 1


def fiscal(**overrides) -> SimpleNamespace:
    base = dict(wage_sek_per_month=24000.0, work_income_months_after_exit=6, employer_contribution_rate=0.3,
                basic_deduction_sek_per_year=12000.0, municipal_tax_rate=0.2, municipal_retained_share_of_tax=0.1,
                regional_tax_rate=0.1, regional_retained_share_of_tax=0.5, state_income_tax_rate=0.2,
                state_income_tax_threshold_sek_per_year=240000.0, earned_income_tax_credit_sek_per_year=1200.0,
                housing_allowance_sek_per_household_month=500.0)
    return SimpleNamespace(**{**base, **overrides})


def one_exit_to_work(n_months: int, months_since_exit_at_start: int = 0):
    """Two arms, one replication, two households: in the intervention arm household 0 left EB for work."""
    hh = SimpleNamespace(present=np.ones((2, 1, 2), bool), on_eb=np.ones((2, 1, 2), bool),
                         last_exit_route=np.full((2, 1, 2), -1, np.int8),
                         months_since_exit=np.zeros((2, 1, 2), np.int32))
    hh.on_eb[INTERVENTION, 0, 0] = False
    hh.last_exit_route[INTERVENTION, 0, 0] = ROUTE_INDEX["work"]
    hh.months_since_exit[INTERVENTION, 0, 0] = months_since_exit_at_start
    return hh


def test_one_extra_exit_to_work_gives_the_closed_form_revenue_by_payer():
    """24 000 SEK a month for 6 months (the window), by hand:
    taxable 24 000 − 1 000 = 23 000; municipal tax 4 600 (10 % kept: 460 KS, 4 140 state);
    regional 2 300 (50 %: 1 150 region, 1 150 state); employer contributions 7 200; state income tax
    0.2 × (288 000 − 12 000 − 240 000) / 12 = 600; tax credit −100; housing allowance −500."""
    eco = fiscal()
    ledger = MonthlyLedger(12, {}, n_reps=1)
    booking = FiscalBooking(ledger, eco)
    hh = one_exit_to_work(12)
    for t in range(12):
        working = booking.book(t, hh)
        assert working[INTERVENTION, 0] == (1 if t < 6 else 0) and working[CONTROL, 0] == 0
        hh.months_since_exit += 1
    rows = ledger.year_rows([0], 2017, range(12), {})[0]
    revenue = pd.DataFrame(rows).assign(sek=lambda d: -d["amount_sek"])
    by_payer = revenue[revenue["category"] != "production"].groupby("payer")["sek"].sum()
    months = 6
    assert by_payer["ks"] == pytest.approx(months * 460)
    assert by_payer["region"] == pytest.approx(months * 1150)
    assert by_payer["state"] == pytest.approx(months * (7200 + 600 + 4140 + 1150 - 100 - 500))
    by_category = revenue.groupby("category")["sek"].sum()
    assert by_category["tax_municipal_income"] == pytest.approx(months * 4600)   # KS + state = the whole tax
    assert by_category["production"] == pytest.approx(months * 24000 * 1.3)       # society: labour cost
    assert set(revenue["arm"]) == {"intervention"}                               # nothing in the control arm


def test_without_a_limit_the_wage_counts_while_the_household_stays_off_eb():
    """work_income_months_after_exit=None (the default): every month off EB after the exit is a
    working month, also years after it (the model follows participants to the horizon; a cap would
    stop the early leaver's wage while a later leaver in the other arm still earns)."""
    ledger = MonthlyLedger(120, {}, n_reps=1)
    booking = FiscalBooking(ledger, fiscal(work_income_months_after_exit=None))
    hh = one_exit_to_work(120, months_since_exit_at_start=70)
    for t in range(120):
        assert booking.book(t, hh)[INTERVENTION, 0] == 1
        hh.months_since_exit += 1
    hh.on_eb[INTERVENTION, 0, 0] = True                 # back on EB: no wage any more
    assert booking.book(119, hh)[INTERVENTION, 0] == 0


def test_a_household_back_on_eb_pays_no_more_tax():
    ledger = MonthlyLedger(2, {}, n_reps=1)
    booking = FiscalBooking(ledger, fiscal())
    hh = one_exit_to_work(2)
    booking.book(0, hh)
    hh.on_eb[INTERVENTION, 0, 0] = True
    assert booking.book(1, hh)[INTERVENTION, 0] == 0


@settings(max_examples=40, deadline=None)
@given(wage=st.floats(0, 80000), mun=st.floats(0, 0.35), kept=st.floats(0, 1), reg=st.floats(0, 0.2),
       reg_kept=st.floats(0, 1), emp=st.floats(0, 0.4))
def test_each_tax_is_split_over_payers_without_loss(wage, mun, kept, reg, reg_kept, emp):
    eco = fiscal(wage_sek_per_month=wage, municipal_tax_rate=mun, municipal_retained_share_of_tax=kept,
                 regional_tax_rate=reg, regional_retained_share_of_tax=reg_kept, employer_contribution_rate=emp)
    flows = flows_per_work_month(eco)
    taxable = max(0.0, wage - eco.basic_deduction_sek_per_year / 12)
    municipal = -sum(f.sek for f in flows if f.category == "tax_municipal_income")
    regional = -sum(f.sek for f in flows if f.category == "tax_regional_income")
    assert municipal == pytest.approx(mun * taxable, abs=1e-6)
    assert regional == pytest.approx(reg * taxable, abs=1e-6)
    assert all(f.category in CATEGORIES and f.payer in ("ks", "region", "state") for f in flows)


@pytest.fixture(scope="module")
def small_runs():
    return [run(make_config("replications=2", "horizon_years=5", f"seed={seed}", "municipality.reorganisations=[]"))
            for seed in (1, 2)]


@settings(max_examples=6, deadline=None)
@given(index=st.integers(0, 1), view=st.sampled_from(PERSPECTIVES))
def test_money_is_conserved_in_every_perspective(small_runs, index, view):
    """Payer deltas add up to the perspective's total in every replication, and the ledger's rows add
    up to what was booked (arm by arm)."""
    ledger = small_runs[index].ledger
    per_payer = savings_by(ledger, ["replication", "payer"], perspective=view).groupby("replication")["saving_sek"].sum()
    rows = ledger[(ledger["perspective"] == view) & ~ledger["category"].map(lambda c: CATEGORIES[c].financing)]
    by_arm = rows.groupby(["replication", "arm"], observed=True)["amount_sek"].sum().unstack()
    direct = by_arm["control"] - by_arm["intervention"]
    assert np.allclose(per_payer.reindex(direct.index).to_numpy(), direct.to_numpy(), atol=1.0)
    assert set(rows["category"].map(lambda c: CATEGORIES[c].perspective)) <= {view}
