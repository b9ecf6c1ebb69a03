"""Budget frames, outturn and surplus (issue 12 item 1): hand-computed frames and the model's budget.csv."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from simulation.accounting.budget import BudgetFrames
from simulation.accounting.ledger import savings_by
from simulation.core.inflow_shocks import inflow_multiplier_by_month
from simulation.core.runner import run
from tests.support import make_config

INTERVENTION, CONTROL = 0, 1


def frames(rule: str, growth: float = 0.0, plan: dict | None = None, given: float = 0.0) -> BudgetFrames:
    unit = SimpleNamespace(budget_frame_sek_per_year=given)
    config = SimpleNamespace(rule=rule, growth_per_year=growth, plan_frame_sek_by_unit_year=plan or {})
    return BudgetFrames(config, {"eb_unit": unit}, n_reps=1)


def surpluses(budget: BudgetFrames, outturn_by_year: list[tuple[float, float]], start_year: int = 2014):
    """Surplus per year, (intervention, control), for one unit's outturn stream."""
    out = []
    for i, (itv, ctl) in enumerate(outturn_by_year):
        frame, spent = budget.close_year(i, start_year + i, {"eb_unit": np.array([[itv], [ctl]])})["eb_unit"]
        out.append(tuple(float(v) for v in (frame - spent)[:, 0]))
    return out


def test_incremental_frames_absorb_a_saving_that_has_levelled_off():
    # control spends 100 every year; the intervention arm saves 20 from year 1 on
    got = surpluses(frames("incremental"), [(100, 100), (80, 100), (80, 100), (80, 100)])
    # year 0: frame = control's outturn (100) in both arms; then frame = last year's outturn of the arm
    assert got == [(0, 0), (20, 0), (0, 0), (0, 0)]


def test_a_plan_keeps_the_frame_so_the_saving_stays_a_surplus_and_growth_compounds():
    assert surpluses(frames("plan"), [(100, 100), (80, 100), (80, 100)]) == [(0, 0), (20, 0), (20, 0)]
    got = surpluses(frames("plan", growth=0.1), [(100, 100), (100, 100), (100, 100)])
    assert np.allclose(got, [(0, 0), (10, 10), (21, 21)])
    # a given plan series overrides the growth for its years
    got = surpluses(frames("plan", plan={"eb_unit": {"2015": 90.0}}), [(100, 100), (80, 100), (80, 100)])
    assert got == [(0, 0), (10, -10), (20, 0)]


def test_an_inflow_shock_in_both_arms_leaves_the_saving_and_lowers_the_surplus():
    """The same extra spending X in both arms: control − intervention unchanged, surplus down by X
    in the shock year, and under incremental budgeting next year's frame takes it in."""
    base = [(100, 100), (80, 100), (80, 100), (80, 100)]
    shocked = [(100, 100), (80 + 30, 100 + 30), (80 + 30, 100 + 30), (80, 100)]
    saving = [c - i for i, c in base]
    assert [c - i for i, c in shocked] == saving
    got, ref = surpluses(frames("incremental"), shocked), surpluses(frames("incremental"), base)
    assert got[1][INTERVENTION] == ref[1][INTERVENTION] - 30
    assert got[1][CONTROL] == -30
    assert got[2] == (0, 0)                     # the shock is in the frame now
    assert got[3] == (30, 30)                   # and its end is a surplus in both arms


def test_the_first_frame_is_the_given_one_when_a_unit_has_one():
    assert surpluses(frames("incremental", given=150.0), [(100, 120), (100, 120)]) == [(50, 30), (0, 0)]


def test_inflow_multiplier_covers_the_shock_years_and_compounds_overlaps():
    shocks = [SimpleNamespace(first_year=2015, last_year=2016, relative_change=0.5),
              SimpleNamespace(first_year=2016, last_year=2016, relative_change=-0.2)]
    m = inflow_multiplier_by_month(shocks, 2014, 48)
    assert m.shape == (48,)
    assert (m[:12] == 1).all() and (m[12:24] == 1.5).all() and (m[36:] == 1).all()
    assert m[24:36] == pytest.approx(1.5 * 0.8)


@pytest.fixture(scope="module")
def shocked_and_level():
    common = ("replications=3", "horizon_years=6", "municipality.reorganisations=[]")
    shock = "population.inflow_shocks=[{first_year: 2016, last_year: 2017, relative_change: 1.0}]"
    return run(make_config(*common, shock)), run(make_config(*common))


def test_budget_table_is_frame_minus_outturn_with_incremental_frames(shocked_and_level):
    budget = shocked_and_level[1].budget
    assert list(budget.columns[:8]) == ["replication", "arm", "year", "unit", "body", "frame_sek",
                                        "outturn_sek", "surplus_sek"]
    assert np.allclose(budget["surplus_sek"], budget["frame_sek"] - budget["outturn_sek"])
    eb = budget[budget["unit"] == "eb_unit"].sort_values(["replication", "arm", "year"])
    for _, g in eb.groupby(["replication", "arm"]):
        # incremental, no growth: next year's frame is this year's outturn (the seed's "no pot of money")
        assert np.allclose(g["frame_sek"].to_numpy()[1:], g["outturn_sek"].to_numpy()[:-1])
    assert set(eb["body"]) == {"social_services"}


def test_with_an_inflow_shock_outturn_rises_above_the_frame_in_both_arms(shocked_and_level):
    shocked, level = shocked_and_level
    for results in (shocked, level):
        b = results.budget
        eb = b[(b["unit"] == "eb_unit") & (b["year"] == 2016)].groupby("arm")["surplus_sek"].mean()
        results.eb_surplus_2016 = eb
    for arm in ("intervention", "control"):
        assert shocked.eb_surplus_2016[arm] < level.eb_surplus_2016[arm] - 1e6
        assert shocked.eb_surplus_2016[arm] < 0
    # the borrower's surplus (years.csv) falls in the shock year
    def borrower_surplus(results):
        y = results.years
        return y[y["year"] == 2016]["borrower_surplus_sek"].mean()
    assert borrower_surplus(shocked) < borrower_surplus(level) - 1e6
    # while the attributable saving does not move with it: the extra households are the same in both
    # arms (the exact, to-the-krona version of this is tests/accounting/test_inflow_shocks.py)
    s_shock = savings_by(shocked.ledger, ["replication"])["saving_sek"]
    s_level = savings_by(level.ledger, ["replication"])["saving_sek"]
    spread = max(s_shock.std(), s_level.std())
    assert abs(s_shock.mean() - s_level.mean()) < 2 * spread


def test_budget_chart_shows_the_eb_units_surplus_per_replication(shocked_and_level):
    from simulation.present.charts import CHARTS, ChartContext, surplus_by_year
    budget = shocked_and_level[0].budget
    wide = surplus_by_year(budget, "intervention")
    eb = budget[(budget["unit"] == "eb_unit") & (budget["arm"] == "intervention")]
    assert wide.shape == (eb["year"].nunique(), eb["replication"].nunique())
    row = eb[(eb["year"] == 2016) & (eb["replication"] == 1)]["surplus_sek"].sum()
    assert wide.loc[2016, 1] == row
    fig = CHARTS["budget_frames"].draw({"budget": budget}, ChartContext(language="en", replications=3))
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()[:2]] == ["control arm", "intervention arm"]
    assert np.allclose(ax.get_lines()[1].get_ydata(), wide.median(axis=1).to_numpy())


def test_a_plan_frame_for_an_unknown_unit_is_refused_naming_it():
    from scenarios.validation import collect_problems
    cfg = make_config()
    cfg.municipality.budget.plan_frame_sek_by_unit_year = {"eb_unti": {"2015": 1.0}, "eb_unit": {"2015": -1.0}}
    problems = collect_problems(cfg)
    assert any(p.startswith("municipality.budget.plan_frame_sek_by_unit_year.eb_unti: unknown unit") for p in problems)
    assert any(p.startswith("municipality.budget.plan_frame_sek_by_unit_year.eb_unit.2015=-1.0") for p in problems)


def test_a_units_own_budget_rule_comes_before_the_municipalitys():
    """INTERFACE.md's municipality.units[*].budget_rule: the EB unit follows the municipality's
    incremental rule (its 2016 frame is its 2015 outturn), open care its own plan (the frame stays
    at the first year's 50 whatever it spends)."""
    units = {"eb_unit": SimpleNamespace(budget_frame_sek_per_year=0.0, budget_rule=None),
             "open_care": SimpleNamespace(budget_frame_sek_per_year=0.0, budget_rule="plan")}
    config = SimpleNamespace(rule="incremental", growth_per_year=0.0, plan_frame_sek_by_unit_year={})
    budget = BudgetFrames(config, units, n_reps=1)
    spent = lambda itv, ctl: np.array([[itv], [ctl]], dtype=float)
    budget.close_year(0, 2014, {"eb_unit": spent(100, 100), "open_care": spent(50, 50)})
    budget.close_year(1, 2015, {"eb_unit": spent(80, 100), "open_care": spent(40, 50)})
    year_2016 = budget.close_year(2, 2016, {"eb_unit": spent(80, 100), "open_care": spent(40, 50)})
    assert year_2016["eb_unit"][0][:, 0].tolist() == [80.0, 100.0]
    assert year_2016["open_care"][0][:, 0].tolist() == [50.0, 50.0]


def test_a_units_budget_rule_is_set_from_the_command_line_and_checked():
    from scenarios.validation import collect_problems
    assert make_config("municipality.units.1.budget_rule=plan").municipality.units[1].budget_rule == "plan"
    assert make_config().municipality.units[1].budget_rule is None        # null: the municipality's rule
    cfg = make_config()
    cfg.municipality.units[0].budget_rule = "zero_based"
    assert any(p.startswith("municipality.units[0].budget_rule='zero_based': allowed values are incremental, plan")
               for p in collect_problems(cfg))
