"""The life course (issue 11 item 5): pension age, children leaving home, adult outcomes after 18.

Closed forms: with no other EB exits, a stock whose adults are all 64 at the start leaves EB
for old-age support exactly when each turns 65 (months 1–12), and the state then pays what EB
paid (a shift of payer, to the krona); a child leaving home lowers its family's EB norm by the
riksnorm arithmetic; an adult outcome with a known childhood history starts between 18 and 30
with the known cumulative probability.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents.children import ADULT_AGE_MONTHS, NEVER_MONTH, ChildPopulation
from agents.households import COMPOSITION_INDEX
from scenarios.schema import COMPOSITIONS
from simulation.core.draws import Stream, replication_streams
from simulation.core.model import SifsimModel
from simulation.core.population import eb_amount_sek_per_month
from simulation.core.runner import run
from tests.support import make_config

PENSION_MONTHS = 65 * 12
ALL_AGED_64 = [f"population.adult_age_years_at_entry_by_composition.{c}=[64,64]" for c in COMPOSITIONS]
#: nothing else moves a household off EB: no exit hazard, no inflow, no returns
EB_FROZEN = ["population.eb_exit_hazard_per_month=0", "population.eb_exit_hazard_floor_per_month=0",
             "population.inflow_enabled=false", "population.reentry_enabled=false"]


def _frozen_stock(*extra: str, households: int = 1200) -> SifsimModel:
    cfg = make_config("intervention=none", f"population.households={households}", "horizon_years=2",
                      *EB_FROZEN, *extra)
    return SifsimModel(cfg).run()


def test_every_adult_aged_64_at_the_start_leaves_eb_for_old_age_support_in_the_month_it_turns_65():
    model = _frozen_stock(*ALL_AGED_64)
    hh = model.households
    n = int(hh.n_active[0])
    age_at_start = -hh.full("adult_birth_month")[0, :n]            # months, at month 0
    assert age_at_start.min() >= 64 * 12 and age_at_start.max() < PENSION_MONTHS
    pop = pd.DataFrame(model.population_rows, columns=["r", "arm", "year", "month", "on_eb", "exits",
                                                       "entries", "placed"])
    for arm in ("intervention", "control"):
        exits = pop.loc[pop["arm"] == arm, "exits"].to_numpy()
        # exactly the households turning 65 in month k leave in month k, and nobody else
        expected = np.bincount(PENSION_MONTHS - age_at_start, minlength=exits.size)[:exits.size]
        np.testing.assert_array_equal(exits, expected)
        assert exits[0] == 0 and exits[1:13].sum() == n and exits[13:].sum() == 0
        # ages are uniform over the year's 12 months: each month's count is Binomial(n, 1/12)
        se = np.sqrt(n * (1 / 12) * (11 / 12))
        assert np.all(np.abs(exits[1:13] - n / 12) <= 4 * se), exits[1:13]
    assert hh.old_age_support.sum() == 2 * n and not hh.on_eb.any()


def test_old_age_support_is_a_shift_of_payer_not_a_saving():
    """From the month its adult turns 65 the state pays what EB paid; every perspective's total is unchanged."""
    with_pension = _frozen_stock(*ALL_AGED_64, households=300)
    without = _frozen_stock(*ALL_AGED_64, "population.pension_age_years=100", households=300)
    ledger_cols = ["replication", "arm", "year", "payer", "category", "amount_sek", "cash", "perspective"]
    a = pd.DataFrame(with_pension.ledger_rows, columns=ledger_cols)
    b = pd.DataFrame(without.ledger_rows, columns=ledger_cols)
    by = ["arm", "year", "perspective"]
    totals_a, totals_b = a.groupby(by)["amount_sek"].sum(), b.groupby(by)["amount_sek"].sum()
    pd.testing.assert_series_equal(totals_a, totals_b, check_exact=False, atol=0.5)   # to the krona
    eb_a = a[a["category"] == "eb"].groupby("year")["amount_sek"].sum()
    eb_b = b[b["category"] == "eb"].groupby("year")["amount_sek"].sum()
    state_a = a[(a["category"] == "other_benefit") & (a["payer"] == "state")].groupby("year")["amount_sek"].sum()
    state_b = b[(b["category"] == "other_benefit") & (b["payer"] == "state")].groupby("year")["amount_sek"].sum()
    shifted = eb_b.sub(eb_a, fill_value=0.0)             # EB the pension age took off the EB unit
    # ages uniform over the months of 64: a household is on old-age support 24 − 6.5 of 24 months
    assert shifted.sum() == pytest.approx(eb_b.sum() * 17.5 / 24, rel=0.05)
    np.testing.assert_allclose(state_a.sub(state_b, fill_value=0.0).reindex(shifted.index).to_numpy(),
                               shifted.to_numpy(), atol=0.5)


def test_a_household_past_pension_age_does_not_come_back_to_eb():
    model = _frozen_stock(*ALL_AGED_64, "population.reentry_enabled=true", households=400)
    hh = model.households
    assert hh.pensioned.all(axis=0)[0, :int(hh.n_active[0])].all()
    assert not hh.on_eb.any()                             # re-entry is on, yet nobody returned


def test_a_child_leaving_home_lowers_the_family_eb_norm_by_the_riksnorm_arithmetic():
    """Single parent, one child: (2 980 + 3 120 + 1 060 + 7 000) × 0.75 = 10 620 SEK a month;
    when the child has left, a single adult: (2 980 + 950 + 7 000) × 0.75 = 8 197.5 (riksnorm 2017)."""
    model = _frozen_stock("economy.eb_amount_mode=norm", "population.child_leave_home_age_years=[18,18]",
                          "horizon_years=3", households=1500)
    hh, ch, eco = model.households, model.children, model.config.economy
    n = int(hh.n_active[0])
    last_month = model.month - 1
    gone = np.zeros(n, dtype=int)
    for h, leaves in zip(ch.household[0], ch.leave_home_month[0]):
        if h < n and leaves <= last_month:
            gone[h] += 1
    at_home = hh.n_children[0, :n] - gone
    np.testing.assert_array_equal(hh.children_at_home[0, :n], at_home)
    np.testing.assert_allclose(hh.eb_sek_per_month[0, :n],
                               eb_amount_sek_per_month(hh.composition[0, :n], at_home, eco))
    single_parent_one_child = (hh.full("n_children")[0, :n] == 1) & (gone == 1) \
        & (hh.composition[0, :n] == COMPOSITION_INDEX["single_adult"])
    assert single_parent_one_child.sum() >= 3
    np.testing.assert_allclose(hh.eb_sek_per_month[0, :n][single_parent_one_child], 8197.5)
    stayed = (hh.composition[0, :n] == COMPOSITION_INDEX["single_parent"]) & (hh.n_children[0, :n] == 1)
    np.testing.assert_allclose(hh.eb_sek_per_month[0, :n][stayed], 10620.0)
    assert stayed.sum() >= 3
    # [18, 18]: every child leaves in a month of its 19th year (aged 18 years and 0–11 months)
    left = ch.leave_home_month[0] <= last_month
    age_leaving = (ch.leave_home_month - ch.birth_month)[0][left]
    assert age_leaving.min() >= 18 * 12 and age_leaving.max() < 19 * 12


def test_the_conduct_history_counts_the_months_with_conduct_problems_between_7_and_17():
    """Conduct problems present at entry and never remitting: each child's count is its months aged 7–17 in the run."""
    prevalence = "population.risk_factor_prevalence_at_entry="\
        "{conduct_problems: 1.0, school_absence: 0.0, family_conflict: 0.0, weak_parenting: 0.0}"
    model = _frozen_stock(prevalence, "population.risk_remission_per_month=0",
                          "population.placement_hazard_per_year=0", "horizon_years=3", households=300)
    ch = model.children
    m = int(ch.n_active[0])
    months = np.arange(model.month)[None, :]
    age = months - ch.birth_month[0, :m, None]
    expected = ((age >= 7 * 12) & (age < 18 * 12)).sum(axis=1)
    np.testing.assert_array_equal(ch.conduct_problem_months[0, 0, :m], expected)
    np.testing.assert_array_equal(ch.conduct_problem_months[1, 0, :m], expected)
    assert expected.max() == 36 and expected.min() == 0


def _children_turning_18(n: int, conduct_months: int, seed: int = 11):
    """n children who turn 18 in month 0, with the given childhood history, and their outcome uniforms."""
    gen = np.random.default_rng(seed)
    ch = ChildPopulation(household=[np.arange(n)], birth_month=[np.full(n, -ADULT_AGE_MONTHS)],
                         risk=[np.zeros((n, 4), bool)], protective=[np.zeros((n, 4), bool)],
                         priority=[gen.random(n)], adult_outcome_draws=[gen.random((n, 3), dtype=np.float32)])
    ch.activate_households(np.array([n]))
    ch.present[:] = True
    ch.conduct_problem_months[:] = conduct_months
    return ch


@pytest.mark.parametrize("conduct_months", [0, 66, 132])
def test_an_adult_outcome_after_18_has_the_cumulative_probability_its_childhood_history_gives(conduct_months):
    """RR = 1 + (6 − 1) × months/132; p = base × RR by the 31st birthday, reached at a constant hazard.

    Base 0.10 (unemployed on EB): p = 0.10, 0.35, 0.60 for 0, 66 and 132 months with conduct
    problems. 40 000 children: the binomial standard error is ≤ 0.0025; allowed 4 of them.
    """
    n, base, onset_months = 40_000, np.array([0.10, 0.04, 0.02]), 13 * 12
    ch = _children_turning_18(n, conduct_months)
    ch.come_of_age(0, base, 6.0, 132, ADULT_AGE_MONTHS, onset_months, ch.adult_outcome_draws)
    started_by = []
    for t in range(onset_months + 24):
        ch.start_adult_outcomes(t)
        started_by.append(ch.adult_outcome[0, 0].mean(axis=0))
    started_by = np.array(started_by)                  # (months, outcomes): share started by month t
    p = base * (1 + 5 * conduct_months / 132)
    se = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(started_by[onset_months - 1] - p) <= 4 * se), (started_by[onset_months - 1], p)
    # at 25 (month 84 after the 18th birthday): 1 − (1 − p)^(85/156), the constant-hazard curve
    at_25 = 1 - (1 - p) ** (85 / onset_months)
    assert np.all(np.abs(started_by[84] - at_25) <= 4 * np.sqrt(at_25 * (1 - at_25) / n)), (started_by[84], at_25)
    # nothing starts after the 31st birthday, and both arms (the same history) agree draw for draw
    np.testing.assert_array_equal(started_by[onset_months - 1], started_by[-1])
    np.testing.assert_array_equal(ch.adult_outcome[0], ch.adult_outcome[1])
    assert (ch.adult_onset_month[ch.adult_onset_month != NEVER_MONTH] < onset_months).all()


def test_protection_gained_in_childhood_still_lowers_the_adult_risk_at_25():
    """Two arms with the same draws: the arm whose history has fewer conduct-problem months has fewer
    outcomes started by 25, and every outcome started in it also started in the other (monotone in u)."""
    n = 20_000
    ch = _children_turning_18(n, 0)
    ch.conduct_problem_months[0] = 24          # intervention arm: two years with conduct problems
    ch.conduct_problem_months[1] = 96          # control arm: eight years
    ch.come_of_age(0, np.array([0.10, 0.04, 0.02]), 6.0, 132, ADULT_AGE_MONTHS, 156, ch.adult_outcome_draws)
    for t in range(85):
        ch.start_adult_outcomes(t)
    assert ch.adult_outcome[0].sum() < ch.adult_outcome[1].sum()
    assert not (ch.adult_outcome[0] & ~ch.adult_outcome[1]).any()


def test_the_life_course_stream_is_appended_last_so_the_other_streams_do_not_move():
    assert Stream.LIFE_COURSE == len(Stream) - 1
    streams = replication_streams(7, 3)
    # the first stream's first draw is what SeedSequence(7, spawn_key=(3,)).spawn(14)[0] gives
    root = np.random.SeedSequence(entropy=7, spawn_key=(3,))
    before = root.spawn(len(Stream) - 1)
    for s in Stream:
        if s is Stream.LIFE_COURSE:
            continue
        expected = np.random.Generator(np.random.PCG64(before[s])).random()
        assert streams[s].random() == expected, s


def test_pension_exits_leave_the_arms_paired_with_no_effect():
    """effect_scale = 0: the arms stay identical with ages, pension, leaving home and dated adult outcomes."""
    results = run(make_config("intervention.effect_scale=0", "replications=2", "horizon_years=8"))
    per = results.per_replication
    assert (per["attributable_saving_sek"].abs() < 1e-6).all()
