"""Repayment rules: hand-computed schedules per preset, invariants, monotonicity."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.accounting.repayment import schedule
from tests.support import make_config

PRESETS = make_config("repayment=all").repayment.rules


def col(rows, key):
    return [r[key] for r in rows]


def test_all_presets_are_loaded():
    assert set(PRESETS) == {"budget_model", "malmo_2012", "sodertalje_2015", "stockholm_2016",
                            "norrkoping_2010"}


def test_budget_model_repays_nothing_and_writes_the_grant_off_as_it_is_paid():
    rows = schedule(PRESETS["budget_model"], start_year=2014, disbursed_sek=[100, 100],
                    measured_saving_sek=[0, 500, 500, 500], capital_sek=1000)
    assert col(rows, "repaid_sek") == [0, 0, 0, 0]
    assert col(rows, "written_off_sek") == [100, 100, 0, 0]
    assert col(rows, "outstanding_sek") == [0, 0, 0, 0]
    assert col(rows, "fund_balance_sek") == [900, 800, 800, 800]


def test_malmo_2012_repays_out_of_savings_after_the_project():
    # project 2014–2017; measured saving 10, 20, 30, 40 during it, 150 a year after
    rows = schedule(PRESETS["malmo_2012"], start_year=2014, disbursed_sek=[100, 100, 100, 100],
                    measured_saving_sek=[10, 20, 30, 40, 150, 150, 150, 150], project_end_year=2017,
                    capital_sek=1000)
    assert col(rows, "repaid_sek") == [0, 0, 0, 0, 150, 150, 100, 0]
    assert col(rows, "outstanding_sek") == [100, 200, 300, 400, 250, 100, 0, 0]
    assert col(rows, "written_off_sek") == [0] * 8
    assert col(rows, "fund_balance_sek") == [900, 800, 700, 600, 750, 900, 1000, 1000]


def test_malmo_2012_board_lifts_the_demand_when_responsibility_moved():
    rows = schedule(PRESETS["malmo_2012"], start_year=2014, disbursed_sek=[100, 100, 100, 100],
                    measured_saving_sek=[10, 20, 30, 40, 150, 150, 150, 150], project_end_year=2017,
                    responsibility_moved=True)
    # review in start year + 4 = 2018: the whole 400 is written off before anything is repaid
    assert col(rows, "repaid_sek") == [0] * 8
    assert col(rows, "written_off_sek") == [0, 0, 0, 0, 400, 0, 0, 0]
    assert col(rows, "outstanding_sek") == [100, 200, 300, 400, 0, 0, 0, 0]


def test_malmo_2012_board_lifts_the_demand_when_the_evaluation_is_inconclusive():
    # measured by the review (2018): 10 + 20 + 30 + 40 + 50 = 150 < half of 400
    rows = schedule(PRESETS["malmo_2012"], start_year=2014, disbursed_sek=[100, 100, 100, 100],
                    measured_saving_sek=[10, 20, 30, 40, 50, 50], project_end_year=2017)
    assert col(rows, "repaid_sek") == [0, 0, 0, 0, 0, 0]
    assert col(rows, "written_off_sek") == [0, 0, 0, 0, 400, 0]


def test_sodertalje_2015_cuts_the_frame_by_a_fifth_a_year_from_year_five():
    rows = schedule(PRESETS["sodertalje_2015"], start_year=2015, disbursed_sek=[100, 100, 100],
                    measured_saving_sek=[0] * 12, cash_saving_sek=[0] * 6 + [20] * 6,
                    surplus_sek=[0] * 6 + [20] * 6)
    assert col(rows, "repaid_sek") == [0, 0, 0, 0, 0, 60, 60, 60, 60, 60, 0, 0]
    # pressure = instalment − the borrower's surplus against its frame: positive means cuts elsewhere
    assert col(rows, "budget_pressure_sek") == [0, 0, 0, 0, 0, 60, 40, 40, 40, 40, -20, -20]
    assert rows[-1]["outstanding_sek"] == 0


def test_a_deficit_against_the_frame_is_not_the_rules_pressure():
    """By hand: surplus −50 every year. A grant (budget model) owes nothing, so no pressure; Södertälje's
    instalment of 60 from year 5 is all pressure (no surplus covers it), not 60 + the deficit."""
    grant = schedule(PRESETS["budget_model"], start_year=2015, disbursed_sek=[100, 100, 100],
                     measured_saving_sek=[0] * 12, surplus_sek=[-50] * 12)
    assert col(grant, "budget_pressure_sek") == [0] * 12
    loan = schedule(PRESETS["sodertalje_2015"], start_year=2015, disbursed_sek=[100, 100, 100],
                    measured_saving_sek=[0] * 12, surplus_sek=[-50] * 12)
    assert col(loan, "budget_pressure_sek") == [0, 0, 0, 0, 0, 60, 60, 60, 60, 60, 0, 0]


def test_stockholm_2016_nets_the_spending_reduction_over_its_window_then_writes_off():
    """Seed 002: repaid "motsvarande den utgiftsminskning som uppstått" for six years, then a final
    adjustment of the ordinary budget. By hand, cash saving 50, 30, −40, 10, 10, 10, 10, 10 from 2016:
    window years 1–6 net 30, −10, 0, 10, 20, 30 cumulatively; repaid = cumulative − repaid so far, ≥ 0:
    30 in year 1 and nothing after (the yearly max(0, ·) reading would repay 30 + 10 × 4 = 70); 70 written
    off by the fund at year 6; the year-6 reduction (10) is the permanent frame adjustment."""
    rows = schedule(PRESETS["stockholm_2016"], start_year=2016, disbursed_sek=[100],
                    measured_saving_sek=[0] * 8, cash_saving_sek=[50, 30, -40, 10, 10, 10, 10, 10])
    assert col(rows, "repaid_sek") == [0, 30, 0, 0, 0, 0, 0, 0]
    assert col(rows, "written_off_sek") == [0, 0, 0, 0, 0, 0, 70, 0]
    assert col(rows, "outstanding_sek") == [100, 70, 70, 70, 70, 70, 0, 0]
    assert col(rows, "frame_adjustment_sek") == [0, 0, 0, 0, 0, 0, 10, 0]


def test_stockholm_2016_repays_a_steady_spending_reduction_year_by_year():
    rows = schedule(PRESETS["stockholm_2016"], start_year=2016, disbursed_sek=[100],
                    measured_saving_sek=[0] * 8, cash_saving_sek=[50, 10, 10, 10, 10, 10, 10, 10])
    assert col(rows, "repaid_sek") == [0, 10, 10, 10, 10, 10, 10, 0]
    assert col(rows, "written_off_sek") == [0, 0, 0, 0, 0, 0, 40, 0]


def test_sodertalje_2015_cuts_the_frames_where_the_saving_lands():
    """Seed 003: "minska kommunbidraget för de nämnder där kostnadsminskningen uppstår". Grant 300,
    instalments of 60 in years 5–9; the borrower holds half the municipal saving from year 5, so its own
    frame is cut by 30 a year (budget pressure with no surplus); the fund still gets 60 a year."""
    rows = schedule(PRESETS["sodertalje_2015"], start_year=2015, disbursed_sek=[100, 100, 100],
                    measured_saving_sek=[0] * 11, borrower_share_of_saving=[1.0] * 5 + [0.5] * 6)
    assert col(rows, "repaid_sek") == [0, 0, 0, 0, 0, 60, 60, 60, 60, 60, 0]
    assert col(rows, "budget_pressure_sek") == [0, 0, 0, 0, 0, 30, 30, 30, 30, 30, 0]


def test_sodertalje_2015_board_exemption_is_a_switch():
    """Off by default (P(full) as the guideline is written); on, a project whose measured saving by
    year 5 is below half the grant is exempted at that review and nothing is repaid."""
    exempt = dataclasses.replace(PRESETS["sodertalje_2015"], waive_if_failed=True)
    # 6 × 5 = 30 measured by the end of year 5 < 50: exempted
    rows = schedule(exempt, start_year=2015, disbursed_sek=[100], measured_saving_sek=[5] * 8)
    assert col(rows, "repaid_sek") == [0] * 8
    assert col(rows, "written_off_sek") == [0, 0, 0, 0, 0, 100, 0, 0]
    rows = schedule(exempt, start_year=2015, disbursed_sek=[100], measured_saving_sek=[20] * 8)
    assert sum(col(rows, "repaid_sek")) == 60        # 120 saved by year 5 ≥ 50: not exempt, 20 a year


def test_norrkoping_2010_starts_when_the_saving_passes_the_threshold():
    k = 1000
    rows = schedule(PRESETS["norrkoping_2010"], start_year=2010, disbursed_sek=[2000 * k],
                    measured_saving_sek=[100 * k, 400 * k, 600 * k, 300 * k, 900 * k, 800 * k, 0, 0, 0])
    assert col(rows, "repaid_sek") == [0, 0, 600 * k, 300 * k, 900 * k, 200 * k, 0, 0, 0]
    assert col(rows, "written_off_sek") == [0] * 9


def test_norrkoping_2010_writes_a_failed_investment_down_in_year_eight():
    k = 1000
    rows = schedule(PRESETS["norrkoping_2010"], start_year=2010, disbursed_sek=[2000 * k],
                    measured_saving_sek=[100 * k] * 10)
    assert col(rows, "repaid_sek") == [0] * 10
    assert col(rows, "written_off_sek") == [0] * 8 + [2000 * k, 0]


# --- properties on random inputs ---------------------------------------------------------

money = st.floats(min_value=-5e6, max_value=5e6, allow_nan=False, allow_infinity=False)
grant = st.floats(min_value=0, max_value=5e6, allow_nan=False, allow_infinity=False)


@st.composite
def rules(draw):
    base = PRESETS[draw(st.sampled_from(sorted(PRESETS)))]
    if draw(st.booleans()):
        return base
    last = draw(st.one_of(st.none(), st.integers(0, 12)))
    first = draw(st.integers(0, 6 if last is None else last))
    return dataclasses.replace(
        base, first_year_offset=first, last_year_offset=last,
        share_of_basis=draw(st.floats(0, 1)), cap_share_of_grant=draw(st.floats(0, 1.5)),
        threshold_sek=draw(st.floats(0, 2e6)), instalments=draw(st.integers(1, 8)),
        risk_bearer=draw(st.sampled_from(["committee", "ks"])),
        waiver_review_year_offset=draw(st.one_of(st.none(), st.integers(0, 12))),
        waive_if_failed=draw(st.booleans()), waive_if_responsibility_moved=draw(st.booleans()))


@settings(max_examples=300, deadline=None)
@given(rule=rules(), disbursed=st.lists(grant, min_size=1, max_size=5),
       measured=st.lists(money, min_size=6, max_size=15), moved=st.booleans(),
       capital=st.floats(0, 1e8))
def test_fund_invariants_hold_for_any_rule_and_savings(rule, disbursed, measured, moved, capital):
    rows = schedule(rule, start_year=2014, disbursed_sek=disbursed, measured_saving_sek=measured,
                    cash_saving_sek=measured, responsibility_moved=moved, capital_sek=capital)
    cum_disbursed = cum_repaid = cum_written = 0.0
    best_window = 0.0
    tol = 1e-6 * max(1.0, sum(disbursed))
    for offset, row in enumerate(rows):
        cum_disbursed += row["disbursed_sek"]
        cum_repaid += row["repaid_sek"]
        cum_written += row["written_off_sek"]
        assert row["repaid_sek"] >= 0 and row["written_off_sek"] >= 0
        assert abs(row["fund_balance_sek"] - (capital - cum_disbursed + cum_repaid)) <= tol
        assert abs(row["outstanding_sek"] - max(0.0, cum_disbursed - cum_repaid - cum_written)) <= tol
        assert cum_disbursed - cum_repaid - cum_written >= -tol
        assert abs(row["fund_equity_sek"] - (capital - cum_written)) <= tol
        assert cum_repaid <= rule.cap_share_of_grant * cum_disbursed + tol
        # never more than the basis the rule allows this year
        if rule.amount_basis in ("measured_saving", "cash_saving"):
            assert row["repaid_sek"] <= rule.share_of_basis * max(0.0, measured[offset]) + tol
        elif rule.amount_basis == "cumulative_spending_reduction":
            window = [m for k, m in enumerate(measured[:offset + 1]) if k >= rule.first_year_offset
                      and (rule.exempt_effects_after_years is None or k <= rule.exempt_effects_after_years)]
            best_window = max(best_window, sum(window))     # repaid money is not clawed back later
            assert cum_repaid <= rule.share_of_basis * best_window + tol
        elif rule.amount_basis == "fixed_instalment":
            assert row["repaid_sek"] <= rule.cap_share_of_grant * cum_disbursed / rule.instalments + tol
        if rule.last_year_offset is not None and offset > rule.last_year_offset:
            assert row["repaid_sek"] == 0
        if offset < rule.first_year_offset:
            assert row["repaid_sek"] == 0
    if rule.amount_basis == "none":
        assert cum_repaid == 0


@settings(max_examples=200, deadline=None)
@given(rule=rules(), disbursed=st.lists(grant, min_size=1, max_size=4),
       measured=st.lists(money, min_size=6, max_size=12),
       extra=st.lists(st.floats(0, 3e6), min_size=12, max_size=12))
def test_a_larger_measured_saving_never_lowers_what_is_repaid(rule, disbursed, measured, extra):
    more = [m + e for m, e in zip(measured, extra)]
    low = schedule(rule, start_year=2014, disbursed_sek=disbursed, measured_saving_sek=measured,
                   cash_saving_sek=measured)
    high = schedule(rule, start_year=2014, disbursed_sek=disbursed, measured_saving_sek=more,
                    cash_saving_sek=more)
    assert sum(r["repaid_sek"] for r in high) >= sum(r["repaid_sek"] for r in low) - 1e-6


@pytest.mark.parametrize("evaluation", ["attributable", "naive", "deadweight_adjusted"])
def test_every_evaluation_method_drives_the_rules_in_a_run(evaluation):
    from simulation.core.runner import run
    cfg = make_config(f"evaluation={evaluation}", "replications=2", "horizon_years=6",
                      "municipality.reorganisations=[]")
    results = run(cfg)
    rep = results.repayment
    years = results.years.set_index(["replication", "year"])
    column = {"attributable": "borrower_saving_sek", "naive": "naive_claim_sek",
              "deadweight_adjusted": "deadweight_adjusted_claim_sek"}[evaluation]
    stock = rep[rep["rule"] == "stockholm_2016"].set_index(["replication", "year"])
    assert (stock["measured_saving_sek"] == years.loc[stock.index, column]).all()
    assert set(rep["rule"]) == set(PRESETS)


@pytest.mark.parametrize("n", [20, 100])
def test_p_full_repayment_interval_has_the_closed_form_at_the_edges(n):
    from simulation.core.runner import monte_carlo_interval
    low, high = monte_carlo_interval(0, n, level=0.8)
    assert low == 0 and high == pytest.approx(1 - 0.1 ** (1 / n), rel=1e-9)
    low, high = monte_carlo_interval(n, n, level=0.8)
    assert high == 1 and low == pytest.approx(0.1 ** (1 / n), rel=1e-9)
    low, high = monte_carlo_interval(n // 2, n, level=0.8)
    assert low < 0.5 < high and high - low < 0.35


def test_p_full_repayment_interval_is_scipy_stats_beta_ppf_bit_for_bit():
    """The interval comes from scipy.special.betaincinv (cheap to import), and is the same number
    as the textbook form with scipy.stats.beta.ppf, to the last bit, for every count up to 200
    replications and a few levels."""
    from scipy import stats
    from simulation.core.runner import monte_carlo_interval
    for trials in [1, 2, 3, 7, 20, 30, 99, 100, 200]:
        for successes in range(trials + 1):
            for level in (0.8, 0.9, 0.95):
                tail = (1 - level) / 2
                low, high = monte_carlo_interval(successes, trials, level=level)
                expect_low = 0.0 if successes == 0 else float(
                    stats.beta.ppf(tail, successes, trials - successes + 1))
                expect_high = 1.0 if successes == trials else float(
                    stats.beta.ppf(1 - tail, successes + 1, trials - successes))
                assert (low, high) == (expect_low, expect_high), (successes, trials, level)


def test_summary_reports_p_full_repayment_with_its_monte_carlo_interval():
    from simulation.core.runner import run
    summary = run(make_config("replications=4", "horizon_years=10")).summary.set_index(["rule", "metric"])
    row = summary.loc[("sodertalje_2015", "p_full_repayment")]
    assert row["mean"] == row["p50"] == 1.0
    assert row["p90"] == 1.0 and row["p10"] == pytest.approx(0.1 ** (1 / 4))


def test_every_trigger_and_basis_the_schema_allows_has_a_registered_rule():
    from scenarios.schema import AMOUNT_BASES, TRIGGERS
    from simulation.accounting.repayment import BASIS_RULES, TRIGGER_RULES
    assert set(TRIGGER_RULES) == set(TRIGGERS)
    assert set(BASIS_RULES) == set(AMOUNT_BASES)
