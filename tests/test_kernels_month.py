"""The month's smaller compiled passes give the bits of the numpy lines they replace
(agents/kernels_month.py; the ledger's one-addition month and monthly totals; tests/test_kernels.py's style)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from agents import kernels, kernels_month
from agents.children import ADULT_AGE_MONTHS, HOME, NEVER_MONTH
from agents.households import COMPOSITION_INDEX
from tests.test_kernels import model_arrays, shuffled_models


def _assert_same_arrays(compiled, numpy, what=""):
    a, b = model_arrays(compiled), model_arrays(numpy)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key], equal_nan=True), (what, key)


@pytest.mark.parametrize("seed", range(2))
def test_the_adult_outcomes_month_is_the_start_then_the_remission(monkeypatch, seed):
    """adult_outcomes_month (one pass) against start_adult_outcomes then adult_remission, from the same
    shuffled state: outcomes dated this month, earlier, later and never; draws at the float32 rate
    and next to it (numpy compares a float32 draw with the rate rounded to float32)."""
    (compiled, draws_compiled), (numpy, draws_numpy) = shuffled_models(seed, monkeypatch)
    t = numpy.month
    rate = numpy.childhood.adult_remission_per_month
    assert isinstance(rate, float) and float(np.float32(rate)) != rate       # the rounding matters
    for model, draws in ((compiled, draws_compiled), (numpy, draws_numpy)):
        ch, rng = model.children, np.random.default_rng(seed)
        ch.adult_outcome[:] = rng.random(ch.adult_outcome.shape) < 0.4
        ch.adult_onset_month[:] = rng.choice(np.array([t - 1, t, t + 1, NEVER_MONTH], dtype=np.int32),
                                             size=ch.adult_onset_month.shape)
        near = np.array([np.float32(rate), np.nextafter(np.float32(rate), np.float32(0)),
                         np.nextafter(np.float32(rate), np.float32(1)), 0.5], dtype=np.float32)
        draws.adult_remission[:] = rng.choice(near, size=draws.adult_remission.shape)
    before = numpy.children.adult_outcome.copy()
    kernels_month.adult_outcomes_month(compiled.children, t, rate, draws_compiled.adult_remission)
    numpy.children.start_adult_outcomes(t)
    numpy.children.adult_remission(rate, draws_numpy.adult_remission)
    _assert_same_arrays(compiled, numpy)
    after = numpy.children.adult_outcome
    assert (after & ~before).any() and (before & ~after).any()                 # started and remitted
    at_rate = (draws_numpy.adult_remission == np.float32(rate))[None] & before
    assert at_rate.any() and after[at_rate].all()                            # u == rate: no remission


def test_the_adult_outcomes_month_refuses_outcomes_it_would_write_into_a_copy():
    """The loop writes the outcomes through a flat view of them: outcomes no flat view can be made of
    (every other child of a larger array, which kernels.whole leaves as it is) raise instead of the
    writes going into a copy and being lost; contiguous ones are written."""
    from types import SimpleNamespace
    arms, reps, window, n_outcomes, month = 2, 3, 5, 4, 7
    onset = np.full((arms, reps, window, n_outcomes), month, dtype=np.int32)    # every outcome starts
    u = np.ones((reps, window, n_outcomes), dtype=np.float32)                    # none remits
    every_other = np.zeros((arms, reps, 2 * window, n_outcomes), dtype=bool)[:, :, ::2]
    assert kernels.whole(every_other) is every_other
    strided = SimpleNamespace(adult_outcome=every_other, adult_onset_month=onset, window=window)
    with pytest.raises(ValueError):
        kernels_month.adult_outcomes_month(strided, month, 0.5, u)
    assert not every_other.any()
    contiguous = SimpleNamespace(adult_outcome=np.zeros_like(onset, dtype=bool), adult_onset_month=onset,
                                 window=window)
    kernels_month.adult_outcomes_month(contiguous, month, 0.5, u)
    assert contiguous.adult_outcome.all()


def _turning_state(model, draws, rng, t):
    """Many children turning 18 at month t, in the area or not, placed or not, with every conduct
    count from 0 to beyond the history, and draws of 0 (log1p(−0) = −0: 0/0 in the reference)."""
    ch = model.children
    turning = rng.random(ch.birth_month.shape) < 0.3
    ch.birth_month[turning] = t - ADULT_AGE_MONTHS
    ch.conduct_problem_months[:] = rng.integers(0, 200, size=ch.conduct_problem_months.shape)
    ch.conduct_problem_months[:, :, :3] = [0, 132, 150]
    ch.adult_outcome_draws[:, :4] = 0.0
    ch.adult_outcome_draws[:, 4:8] = rng.choice(np.array([1e-4, 0.01, 0.2], dtype=np.float32), size=(4, 3))
    ch.present[:] = rng.random(ch.present.shape) < 0.8
    ch.adult[:] = False
    return int(np.count_nonzero(turning))


@pytest.mark.parametrize("base", [(0.10, 0.04, 0.02), (0.0, 1.0, 0.3)], ids=["configured", "zero-and-certain"])
def test_the_children_turning_18_are_dated_as_numpy_dates_them(monkeypatch, base):
    """come_of_age compiled (kernels_month.come_of_age: tables by conduct months, log1p numpy's) against
    its numpy lines, from the same shuffled state: every onset month, adult flag and placement equal —
    with an outcome of probability 0 (a zero hazard: the reference divides by −0) and one of 1."""
    (compiled, draws_compiled), (numpy, draws_numpy) = shuffled_models(5, monkeypatch)
    t = numpy.month
    for model, draws in ((compiled, draws_compiled), (numpy, draws_numpy)):
        assert _turning_state(model, draws, np.random.default_rng(8), t) > 50
    numpy.children.kernels = "numpy"
    process = numpy.childhood
    args = (t, np.array(base), numpy.config.population.adult_outcome_risk_multiplier_max,
            process.history_ages_months[1] - process.history_ages_months[0], process.onset_first_month,
            process.onset_months)
    turned = [model.children.come_of_age(*args, model.children.adult_outcome_draws) for model in (compiled, numpy)]
    assert np.array_equal(turned[0], turned[1]) and turned[1].any()
    _assert_same_arrays(compiled, numpy)
    ch = numpy.children
    dated = ch.adult_onset_month[:, turned[1]]
    assert (dated != NEVER_MONTH).any() and (dated == NEVER_MONTH).any()
    assert (ch.placement[:, turned[1]][ch.present[:, turned[1]]] == HOME).all()


def test_the_tables_are_the_reference_child_by_child():
    """adult_outcome_tables' probability and divisor at every conduct count are what come_of_age's numpy
    expressions give on arrays of the (arms, k) shapes a month has (k from 1 to 60 children)."""
    from agents.hazards import adult_risk_multiplier, monthly_from_cumulative
    base, max_multiplier, history, onset_months = np.array([0.10, 0.04, 0.02]), 6.0, 132, 156
    probability, denominator = kernels_month.adult_outcome_tables(base, max_multiplier, history, onset_months)
    rng = np.random.default_rng(3)
    for k in list(range(1, 61)) + [500]:
        conduct = rng.integers(0, kernels_month.CONDUCT_MONTHS_TABLE, size=(2, k)).astype(np.int16)
        conduct[0, 0] = 0
        rr = adult_risk_multiplier(conduct.astype(float), max_multiplier, history)
        p = np.clip(base[None, None, :] * rr[:, :, None], 0.0, 1.0)
        hazard = monthly_from_cumulative(p, onset_months)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.log1p(-np.minimum(hazard, 1.0 - 1e-15))
        assert probability[conduct].tobytes() == p.tobytes(), k
        assert denominator[conduct].tobytes() == d.tobytes(), k


@pytest.mark.parametrize("seed", range(3))
def test_the_household_enrolment_compiled_is_numpys(monkeypatch, seed):
    """Intervention.enrol with the compiled choice (kernels_month.enrol_households) against its numpy
    lines (first_by_priority), from the same shuffled state: priorities with many ties, a row with no
    room, one with room for some of the eligible and one with room for all, durations at the
    threshold; every array equal."""
    (compiled, draws_compiled), (numpy, draws_numpy) = shuffled_models(seed, monkeypatch)
    t = numpy.month
    itv = numpy.intervention
    assert itv.in_project(t)
    threshold = itv.config.eligible_min_months_on_eb
    assert threshold >= 1
    for model in (compiled, numpy):
        hh, rng = model.households, np.random.default_rng(seed + 10)
        hh.participant[:] = rng.random(hh.participant.shape) < 0.01
        hh.enrolment_priority[:] = rng.integers(0, 5, size=hh.enrolment_priority.shape) / 8.0   # ties
        hh.months_on_eb[:] = rng.integers(0, 2 * threshold + 2, size=hh.months_on_eb.shape)
        # replication 0: every household on EB a participant (more than the places: no room, asserted
        # below); replication 2: one in twenty at the threshold, the others a month short (few eligible)
        hh.participant[:, 0] = hh.on_eb[:, 0]
        hh.months_on_eb[:, 2] = np.where(rng.random(hh.months_on_eb[:, 2].shape) < 0.05, threshold, threshold - 1)
        model.intervention.config = dataclasses.replace(model.intervention.config, enrol_during_project=True)
    hh = numpy.households
    room = itv.config.participants_households - np.count_nonzero(hh.participant & hh.on_eb, axis=-1)
    eligible = np.count_nonzero(hh.present & hh.on_eb & np.take(itv.eligible_by_composition, hh.composition)
                                & ~hh.participant & (hh.months_on_eb >= threshold), axis=-1)
    assert (room[:, 0] <= 0).all()                                         # no room
    assert ((0 < room[:, 1]) & (room[:, 1] < eligible[:, 1])).all()        # room for some
    assert ((0 < eligible[:, 2]) & (eligible[:, 2] <= room[:, 2])).all()   # room for all
    hh.kernels = numpy.children.kernels = "numpy"
    before = hh.participant.copy()
    for model, draws in ((compiled, draws_compiled), (numpy, draws_numpy)):
        model.intervention.enrol(t, 0.7, draws)
    _assert_same_arrays(compiled, numpy)
    gained = np.count_nonzero(hh.participant & ~before, axis=-1)
    assert (gained[:, 0] == 0).all() and (gained[:, 1] == room[:, 1]).all() and (gained[:, 2] == eligible[:, 2]).all()


def test_the_compiled_enrolment_skips_an_arm_without_room_and_fills_rows_with_room_for_all():
    """enrol_households on a small population: None (nothing changed) when no row has room; a row with
    room for every eligible takes them all; a row with less takes the lowest priorities, ties by position."""
    from tests.test_kernels import make_config
    from simulation.core.model import SifsimModel
    model = SifsimModel(make_config("replications=2", "horizon_years=2", "population.households=60"),
                        replications=[0, 1])
    hh = model.households
    hh.participant[:] = False
    hh.present[:] = hh.on_eb[:] = True
    hh.months_on_eb[:] = 100
    hh.enrolment_priority[:] = 0.5
    hh.enrolment_priority[1, :3] = [0.9, 0.1, 0.1]
    table = np.ones(len(COMPOSITION_INDEX), dtype=bool)
    n = hh.window
    chosen = kernels_month.enrol_households(hh, 0, 2, table, 0)
    assert chosen.sum(axis=-1).tolist() == [2, 2]
    assert chosen[1, :3].tolist() == [False, True, True] and chosen[0, :2].all()
    assert hh.participant[0].sum() == 4 and not hh.participant[1].any()
    assert kernels_month.enrol_households(hh, 0, 2, table, 0) is None           # full: no room anywhere
    chosen = kernels_month.enrol_households(hh, 1, 10 * n, table, 0)         # room for all: every one
    assert chosen.shape == (2, n) and chosen.all() and hh.participant[1].all()


@pytest.mark.parametrize("strength", [1.0, 0.6, 0.0])
def test_the_protective_places_compiled_are_numpys(monkeypatch, strength):
    """Protective.enrol_children compiled (kernels_month.protective_places) against its numpy lines, from
    the same shuffled state: places held and dropping out (draws at the float32 rate), participants'
    children of every age, priorities with ties, capacities reached and not; every array equal."""
    from agents.mechanisms.protective import Protective
    (compiled, draws_compiled), (numpy, draws_numpy) = shuffled_models(7, monkeypatch)
    t = numpy.month
    mechanisms = [m for m in numpy.intervention.mechanisms if isinstance(m, Protective)]
    assert mechanisms
    rate = mechanisms[0].params.dropout_per_month
    for model, draws in ((compiled, draws_compiled), (numpy, draws_numpy)):
        ch, rng = model.children, np.random.default_rng(17)
        ch.priority[:] = rng.integers(0, 6, size=ch.priority.shape) / 6.0
        ch.adult[:] = rng.random(ch.adult.shape) < 0.1
        ch.assigned_protective[:] = np.where(rng.random(ch.assigned_protective.shape) < 0.03,
                                             ch.assigned_protective, -1)       # a few held: room to give
        near = np.array([np.float32(rate), np.nextafter(np.float32(rate), np.float32(0)),
                         np.nextafter(np.float32(rate), np.float32(1)), 0.0, 0.9], dtype=np.float32)
        draws.activity_dropout[:] = rng.choice(near, size=draws.activity_dropout.shape)
    numpy.children.kernels = "numpy"
    before = numpy.children.assigned_protective.copy()
    for model, draws in ((compiled, draws_compiled), (numpy, draws_numpy)):
        for mechanism in model.intervention.mechanisms:
            mechanism.enrol_children(t, strength, draws)
    _assert_same_arrays(compiled, numpy)
    after = numpy.children.assigned_protective
    assert ((before >= 0) & (after < 0)).any()                                # places dropped out
    if strength > 0:
        assert ((before < 0) & (after >= 0)).any()                            # and were given


def test_the_children_leaving_home_compiled_are_numpys_and_unordered_pairs_go_to_numpy(monkeypatch):
    """children_leave_home's compiled pass against its numpy lines on the same pairs (families losing one
    child, several, their last: compositions change), and None for pairs out of order."""
    (compiled, _), (numpy, _) = shuffled_models(2, monkeypatch)
    hh = numpy.households
    rng = np.random.default_rng(4)
    families = np.flatnonzero(hh.n_children[1, :hh.window] > 0)[:40]
    households = np.sort(np.concatenate([families, families[::3], families[::5]]))
    rows = np.ones(households.size, dtype=np.intp)
    numpy.households.kernels = "numpy"
    pairs = [model.households.children_leave_home(rows, households) for model in (compiled, numpy)]
    assert [p.tolist() for p in pairs[0]] == [p.tolist() for p in pairs[1]]
    for name in ("children_at_home", "composition"):
        assert np.array_equal(compiled.households.full(name), numpy.households.full(name)), name
    assert (numpy.households.children_at_home[1, families] <= 0).any()
    shuffled = rng.permutation(households.size)
    assert kernels_month.leave_home(compiled.households, rows[shuffled], households[shuffled], COMPOSITION_INDEX) is None \
        or np.array_equal(shuffled, np.arange(households.size))


def test_a_months_bookings_in_one_addition_are_one_add_each():
    """add_to_slots (distinct slots: one indexed addition; a slot twice: in order) books what one add per
    booking books, every amount shape add takes; the store grows by doubling without moving a slot's
    amounts; month_totals is month_total of each arm's month (−0 amounts and all)."""
    from simulation.accounting.ledger import MonthlyLedger
    rng = np.random.default_rng(1)
    one, many = MonthlyLedger(5, {}, n_reps=3), MonthlyLedger(5, {}, n_reps=3)
    keys = [("eb", "eb_unit"), ("eb", "unit_b"), ("open_care_hours", None), ("production", "society")] + \
        [("other_benefit", f"body_{k}") for k in range(12)]
    for month in range(5):
        amounts = [rng.random((2, 3)) * 1e5, rng.random((2, 1)), np.array([1.5, -0.0]), 7.0] + \
            [rng.random((2, 3)) for _ in range(12)]
        amounts[0][0, 0] = -0.0
        for (category, body), amount in zip(keys, amounts):
            one.add(month, category, body, amount)
        slots = [many.booking_slot(category, body) for category, body in keys]
        many.add_to_slots(month, slots, amounts)
        twice = [many.booking_slot("eb", "eb_unit"), many.booking_slot("eb", "eb_unit")]
        many.add_to_slots(month, twice, [amounts[1], amounts[0]])
        one.add(month, "eb", "eb_unit", amounts[1])
        one.add(month, "eb", "eb_unit", amounts[0])
    assert list(one._slot) == list(many._slot) and many._store.shape[0] == 16
    for a, b in zip(one._amounts, many._amounts):
        assert a.tobytes() == b.tobytes()
    for month in range(5):
        for r in range(3):
            assert many.month_totals(month, r) == [one.month_total(arm, slice(month, month + 1), r) for arm in (0, 1)]
    assert MonthlyLedger(3, {}).month_totals(0) == [0.0, 0.0]


def test_a_runs_monthly_cost_series_is_the_ledgers_month_total(monkeypatch):
    """The model's monthly series (record_month) reads each arm's month at once: month_total's floats."""
    from simulation.core.model import SifsimModel
    from tests.test_kernels import make_config
    monkeypatch.setenv(kernels.KERNELS_ENV, "numba")
    model = SifsimModel(make_config("replications=2", "horizon_years=3"), replications=[0, 1])
    for t in range(model.n_months):
        model.step()
        assert [model._month_series["cost_sek_intervention"], model._month_series["cost_sek_control"]] == \
            [model.ledger.month_total(arm, slice(t, t + 1)) for arm in (0, 1)]


@pytest.mark.parametrize("amounts", ["whole", "fractional", "huge"])
def test_the_households_month_of_costs_in_one_pass_is_the_passes_it_replaces(monkeypatch, amounts):
    """kernels_books.household_month against the numpy references of the passes it replaces, from the same
    shuffled state (exits by every route at every distance, old-age support, episodes of both kinds past
    the hours table's end): EB and old-age sums the bits of numpy's prefix sums — None where the amounts
    are not whole SEK below 2³² (numpy decides those bits) —, the counts, the hours."""
    from agents.base import prefix_sums
    from simulation.accounting.fiscal import working_after_exit
    from simulation.accounting.kernels_books import household_month
    (model, _), _ = shuffled_models(6, monkeypatch)
    hh, costs = model.households, model.costs
    rng = np.random.default_rng(6)
    hh.on_eb[:] = rng.random(hh.on_eb.shape) < 0.5
    hh.old_age_support[:] = ~hh.on_eb & (rng.random(hh.on_eb.shape) < 0.2)
    hh.last_exit_route[:] = np.where(hh.on_eb, -1, rng.integers(-1, 5, size=hh.on_eb.shape))
    hh.months_since_exit[:] = rng.integers(0, 40, size=hh.on_eb.shape)
    hh.open_care_month_index[:] = rng.integers(0, 30, size=hh.on_eb.shape)
    if amounts == "fractional":
        hh.eb_sek_per_month[1] += 0.25
    elif amounts == "huge":
        hh.eb_sek_per_month[2] = 2.0 ** 33
    eb, old_age, counts, hours = household_month(hh, *costs.benefit_limits(), costs.hour_units)
    for got, mask in ((eb, hh.on_eb), (old_age, hh.old_age_support)):
        reference = prefix_sums(mask * hh.eb_sek_per_month, hh.n_active)
        if amounts == "whole":
            assert got.tobytes() == reference.tobytes()
        else:
            assert got is None
    n_other, n_studies, _ = costs.benefit_counts(False)                        # numpy's counts
    working = np.count_nonzero(working_after_exit(hh, costs.fiscal.fiscal.work_income_months_after_exit), axis=-1)
    assert np.array_equal(counts[..., 0], n_other) and np.array_equal(counts[..., 1], n_studies)
    assert np.array_equal(counts[..., 2], working) and (counts > 0).all()
    assert hours.tobytes() == costs.hour_sums(False).tobytes() and (hours > 0).all()


@pytest.mark.parametrize("strength", [0.55, 1.0])
def test_the_intensive_episodes_compiled_are_numpys(monkeypatch, strength):
    """FamilyTreatment.intensive_episodes compiled (kernels_month.intensive_episodes) against its numpy
    lines from the same shuffled state and start mask: the same intensive mask and the same families
    counted for the evaluation; treatment draws at and next to the float32 strength."""
    from agents.mechanisms.family_treatment import FamilyTreatment
    (compiled, draws_compiled), (numpy, draws_numpy) = shuffled_models(8, monkeypatch)
    t = numpy.month
    masks = []
    for model, draws in ((compiled, draws_compiled), (numpy, draws_numpy)):
        rng = np.random.default_rng(9)
        near = np.array([np.float32(strength), np.nextafter(np.float32(strength), np.float32(0)), 0.1, 0.99],
                        dtype=np.float32)
        draws.treatment[:] = rng.choice(near, size=draws.treatment.shape)
        start = rng.random(model.households.present.shape) < 0.4
        mechanism = next(m for m in model.intervention.mechanisms if isinstance(m, FamilyTreatment))
        masks.append(mechanism.intensive_episodes(t, strength, start, draws))
        numpy.households.kernels = "numpy"
    assert masks[0].dtype == masks[1].dtype and np.array_equal(masks[0], masks[1])
    assert masks[1][0].any() and not masks[1][1].any()
    _assert_same_arrays(compiled, numpy)
