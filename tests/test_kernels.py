"""The compiled monthly loops give the same bits as their numpy references (agents/kernels.py)."""

from __future__ import annotations

import numpy as np
import pytest

from agents import kernels
from agents.households import ROUTE_INDEX
from tests.support import make_config
from simulation.core.runner import run


def random_children_state(seed: int, n_arms=2, n_reps=3, capacity=40, window=31, n_risk=4, n_protective=4):
    """A random factor state as the model holds it: views of the first ``window`` agents of larger arrays."""
    rng = np.random.default_rng(seed)
    risk = rng.random((n_arms, n_reps, capacity, n_risk)) < 0.3
    protective = rng.random((n_arms, n_reps, capacity, n_protective)) < 0.5
    assigned = rng.integers(-1, n_protective, size=(n_arms, n_reps, capacity)).astype(np.int8)
    assigned[rng.random(assigned.shape) < 0.6] = -1
    # rates and draws close to each other, so that a float32/float64 slip would flip some factors
    onset = rng.random((n_arms, n_reps, window)).astype(np.float32)
    remission = rng.random((n_arms, n_reps, window)).astype(np.float32)
    u_risk = rng.random((n_reps, capacity, n_risk)).astype(np.float32)
    u_risk[..., 0][:, :window] = onset[0]            # draw == rate: "u < rate" is false, exactly
    u_protective_full = rng.random((n_reps, capacity, n_protective + 1)).astype(np.float32)
    active = rng.random((n_arms, n_reps, window)) < 0.8
    loss = float(np.float32(0.37)) + 1e-9           # a float64 just above a float32 value
    u_protective_full[:, :5, 0] = np.float32(0.37)
    return dict(risk=risk[:, :, :window], protective=protective[:, :, :window],
                assigned_protective=assigned[:, :, :window], onset_per_month=onset,
                remission_per_month=remission, protective_loss_per_month=loss,
                u_risk=u_risk[:, :window], u_protective=u_protective_full[:, :window, :n_protective],
                active=active)


def test_evolve_factors_reference_follows_its_rules():
    state = random_children_state(11)
    risk0, prot0 = state["risk"].copy(), state["protective"].copy()
    kernels.evolve_factors_numpy(**{**state, "protective_loss_per_month": np.float32(0.37)})
    active = state["active"][..., None]
    # inactive children keep every factor
    assert np.array_equal(state["risk"][~state["active"]], risk0[~state["active"]])
    # a factor an intervention holds is never lost
    held = state["assigned_protective"][..., None] == np.arange(prot0.shape[-1])
    assert np.all(state["protective"][held & prot0])
    # onset happens only where the draw is under the onset rate
    started = state["risk"] & ~risk0
    assert np.all((state["u_risk"][None] < state["onset_per_month"][..., None])[started])
    assert np.all(active[..., 0][started.any(axis=-1)])


def test_unknown_kernel_choice_is_refused(monkeypatch):
    monkeypatch.setenv(kernels.KERNELS_ENV, "fortran")
    with pytest.raises(ValueError, match="SIFSIM_KERNELS='fortran' is not one of auto, numba, numpy"):
        kernels.requested()


def test_auto_compiles_only_large_batches(monkeypatch):
    monkeypatch.setenv(kernels.KERNELS_ENV, "auto")
    monkeypatch.setattr(kernels, "_COMPILED", {})      # as in a fresh process
    assert kernels.choose(kernels.AUTO_MIN_WORK) == "numba"
    assert kernels.choose(kernels.AUTO_MIN_WORK - 1) == "numpy"
    monkeypatch.setattr(kernels, "_COMPILED", {"child_month": object()})   # loaded: free from now on
    assert kernels.choose(1) == "numba"
    monkeypatch.setenv(kernels.KERNELS_ENV, "numba")
    assert kernels.choose(1) == "numba"
    monkeypatch.setenv(kernels.KERNELS_ENV, "numpy")
    assert kernels.choose(10 ** 12) == "numpy"


def test_a_run_is_the_same_with_either_kernel(monkeypatch):
    config = make_config("replications=2", "horizon_years=8")
    tables = {}
    for choice in ("numba", "numpy"):
        monkeypatch.setenv(kernels.KERNELS_ENV, choice)
        res = run(config, progress=False)
        tables[choice] = res
    for name in ("ledger", "population", "repayment", "participants", "summary"):
        a, b = getattr(tables["numba"], name), getattr(tables["numpy"], name)
        assert a.equals(b), name


def test_a_bad_kernel_choice_is_a_config_problem_before_any_work(monkeypatch):
    from simulation.app.task import kernel_problems
    monkeypatch.setenv(kernels.KERNELS_ENV, "fortran")
    assert kernel_problems() == ["SIFSIM_KERNELS='fortran' is not one of auto, numba, numpy"]
    monkeypatch.setenv(kernels.KERNELS_ENV, "numpy")
    assert kernel_problems() == []


def test_family_max_gives_each_familys_largest_value_on_a_model_state():
    """family_max_numpy (the reference the compiled children's month is held to for the families'
    risk) on a model state: a household's value is the largest of its own children's, 0 without any."""
    from simulation.core.model import SifsimModel
    model = SifsimModel(make_config("replications=3", "horizon_years=6"), replications=[0, 1, 2])
    for _ in range(30):
        model.step()
    ch, hh = model.children, model.households
    rng = np.random.default_rng(3)
    n_risk = rng.integers(0, 5, size=(2,) + ch.household.shape).astype(np.int8)
    minors = (rng.random(n_risk.shape) < 0.7) & ch.active_mask()[None]
    values = np.where(minors, n_risk, 0)
    limits = np.minimum(len(hh), ch.n_households)
    reference = kernels.family_max_numpy(values, ch.household, ch._families, ch._family_first_child, limits, len(hh))
    checked = 0
    for r in range(3):
        for h in range(int(limits[r])):
            own = ch.household[r] == h
            expected = values[:, r][:, own].max(axis=-1) if own.any() else np.zeros(2)
            assert np.array_equal(reference[:, r, h], expected), (r, h)
            checked += int(own.any())
    assert checked > 50 and reference.max() == 4


def test_the_model_chooses_by_the_batch_size(monkeypatch):
    from simulation.core.model import SifsimModel
    monkeypatch.setenv(kernels.KERNELS_ENV, "auto")
    monkeypatch.setattr(kernels, "_COMPILED", {})
    small = SifsimModel(make_config("replications=1", "horizon_years=6"), replications=[0])
    assert small.children.kernels == "numpy"
    monkeypatch.setenv(kernels.KERNELS_ENV, "numba")
    forced = SifsimModel(make_config("replications=1", "horizon_years=6"), replications=[0])
    assert forced.children.kernels == "numba"


@pytest.mark.parametrize("memory", ["0.25", "0.0", "1.0", "0.95"])
def test_a_month_of_children_is_the_same_compiled_and_with_numpy(monkeypatch, memory):
    """Two models of the default intervention (caseload, family treatment, protective places), one per
    implementation, stepped side by side: every child and household array is equal after every month
    (EB exits, moves, re-entries with each kind of duration memory, open care, placements...)."""
    from simulation.core.model import SifsimModel
    config = make_config("replications=3", "horizon_years=8", "population.households=120",
                         f"population.reentry_duration_memory={memory}")
    models = {}
    for choice in ("numba", "numpy"):
        monkeypatch.setenv(kernels.KERNELS_ENV, choice)
        models[choice] = SifsimModel(config, replications=[0, 1, 2])
        assert models[choice].children.kernels == choice
    compiled, reference = models["numba"], models["numpy"]
    placed = moved = 0
    for month in range(compiled.n_months):
        compiled.step()
        reference.step()
        for name in compiled.children.STATE + compiled.households.STATE:
            owner = "children" if name in compiled.children.STATE else "households"
            a, b = getattr(getattr(compiled, owner), name), getattr(getattr(reference, owner), name)
            assert np.array_equal(a, b), (month, owner, name)
        for name in ("children_at_home", "composition", "eb_sek_per_month"):     # leaving home changes these
            assert np.array_equal(getattr(compiled.households, name), getattr(reference.households, name)), \
                (month, name)
        placed += int(np.count_nonzero(reference.children.placement))
        moved += int(np.count_nonzero(reference.households.last_exit_route == ROUTE_INDEX["moved"]))
    assert placed > 0            # the months compared include placements, not only children at home
    assert moved > 0             # and exits that leave the area
    assert compiled.children.adult_outcome.any() or compiled.children.conduct_problem_months.any()
    assert reference.children.adult.any()                  # children came of age
    assert reference.households.pensioned.any() and reference.households.old_age_support.any()  # adults retired
    assert (reference.households.children_at_home < reference.households.n_children).any()   # and left home


@pytest.mark.parametrize("few_rows", [0, 10], ids=["one-gather-for-all-rows", "memory-moves-per-row"])
def test_batched_compaction_equals_row_by_row(monkeypatch, few_rows):
    """The yearly retirement's queued compaction (one gather per array for all rows, or memory moves
    row by row) gives the arrays and archives that compacting each row at once gives
    (agents/base.py: begin/end_compaction)."""
    from agents import base
    from agents.base import ArrayPopulation
    from simulation.core.model import SifsimModel
    config = make_config("replications=4", "horizon_years=4", "population.households=150")
    monkeypatch.setattr(base, "FEW_ROWS", few_rows)
    batched = SifsimModel(config, replications=[0, 1, 2, 3]).run()
    monkeypatch.setattr(ArrayPopulation, "begin_compaction", lambda self: None)   # nothing queued
    row_by_row = SifsimModel(config, replications=[0, 1, 2, 3]).run()
    assert batched.retired_households == row_by_row.retired_households > 0
    for owner in ("households", "children"):
        a, b = getattr(batched, owner), getattr(row_by_row, owner)
        assert np.array_equal(a.n_active, b.n_active)
        for name in a._arrays:
            assert np.array_equal(a.full(name), b.full(name)), (owner, name)
        for r in range(4):
            for name, value in a.retired_state(r).items():
                assert np.array_equal(value, b.retired_state(r)[name]), (owner, r, name)


@pytest.mark.parametrize("seed", range(4))
def test_first_by_priority_is_a_stable_sort_of_the_eligible(seed):
    """The room[r] eligible agents of lowest priority per row, ties by position: against a sort of
    every agent with the ineligible last (the former implementation)."""
    from agents.base import first_by_priority
    rng = np.random.default_rng(seed)
    eligible = rng.random((5, 40)) < 0.4
    priority = rng.integers(0, 6, size=(5, 40)).astype(float)        # many ties
    room = np.array([0, 3, 100, -2, 7])
    keys = np.where(eligible, priority, np.inf)
    order = np.argsort(keys, axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(40)[None, :], axis=-1)
    expected = eligible & (rank < np.maximum(room, 0)[:, None])
    chosen = first_by_priority(eligible, priority, room)
    assert np.array_equal(chosen, expected)
    assert chosen.sum(axis=1).tolist() == np.minimum(eligible.sum(axis=1), np.maximum(room, 0)).tolist()


def test_masked_prefix_sums_are_numpys_sums_of_whole_amounts_and_refuse_fractions():
    from agents.base import prefix_sums
    rng = np.random.default_rng(5)
    mask = rng.random((2, 3, 500)) < 0.5
    n_active = np.array([500, 123, 0])
    whole = rng.integers(0, 20_000, size=(3, 500)).astype(float)
    compiled = kernels.masked_prefix_sums(mask, whole, n_active)
    assert np.array_equal(compiled, prefix_sums(mask * whole, n_active))
    assert compiled[:, 2].tolist() == [0.0, 0.0]                       # an empty prefix sums to 0
    assert kernels.masked_prefix_sums(mask, whole + 0.1, n_active) is None   # numpy's rounding: not ours
    signed = whole - 10_000.0                                          # whole amounts of either sign
    assert np.array_equal(kernels.masked_prefix_sums(mask, signed, n_active), prefix_sums(mask * signed, n_active))
    large = whole.copy()
    large[1, 7] = 2.0 ** 32                  # a whole term too large for the int64 sum's guarantee
    assert kernels.masked_prefix_sums(np.ones_like(mask), large, n_active) is None
    nan = whole.copy()
    nan[0, 3] = np.nan
    assert kernels.masked_prefix_sums(np.ones_like(mask), nan, n_active) is None
    outside = whole.copy()
    outside[2, 0] = np.nan                   # beyond replication 2's (empty) prefix: never read
    assert np.array_equal(kernels.masked_prefix_sums(mask, outside, n_active), compiled)


def test_the_exit_hazard_compiled_is_numpys_to_the_bit():
    """A float difference of one unit in the last place would almost never change an exit, so the
    month-by-month state test could miss it: compare the hazard arrays themselves on a model state."""
    from simulation.core.model import SifsimModel
    model = SifsimModel(make_config("replications=3", "horizon_years=6"), replications=[0, 1, 2])
    for _ in range(40):
        model.step()
    hh, benefits = model.households, model.benefits
    caseload = np.random.default_rng(2).uniform(0.5, 2.0, size=hh.on_eb.shape[:2])
    results = {}
    for choice in ("numba", "numpy"):
        hh.kernels = choice
        results[choice] = benefits.exit_hazards(caseload)
    on = hh.on_eb
    for compiled, reference, name in zip(results["numba"], results["numpy"], ("base", "hazard", "at_risk")):
        assert compiled.dtype == reference.dtype, name
        if name == "at_risk":
            assert np.array_equal(compiled, reference), name
        else:        # the households on EB, the only ones that can leave; 0 for the others (skipped)
            assert np.array_equal(compiled[on], reference[on]) and (compiled[~on] == 0.0).all(), name
    base, hazard, at_risk = results["numpy"]
    assert np.unique(base[on]).size > 10 and at_risk.any()       # varied hazards, some eligible families
    assert (~on.any(axis=0)).any() and (on[0] != on[1]).any()    # off EB in both arms, and in one only


def test_whole_finds_the_array_a_prefix_view_starts_and_forgets_views_that_are_gone():
    base = np.zeros((2, 3, 50), dtype=bool)
    prefix = base[:, :, :20]
    assert kernels.whole(prefix) is base and kernels.whole(prefix) is base     # found, then remembered
    assert id(prefix) in kernels._PREFIXES
    for _ in range(50):          # views made and dropped, offset ones among them (ids get reused)
        offset = base[:, :, 1:21]
        assert kernels.whole(offset) is offset                                    # not a prefix
        transient = base[:, :, :10]
        assert kernels.whole(transient) is base
        key = id(transient)
        del transient
        assert key not in kernels._PREFIXES                                       # forgotten with its view
        assert kernels.whole(base[:, 1:, :20]).base is base                       # other strides: the view


def test_a_populations_bound_views_are_known_prefixes_of_its_whole_arrays():
    from simulation.core.model import SifsimModel
    model = SifsimModel(make_config("replications=2", "horizon_years=2"), replications=[0, 1])
    for _ in range(3):
        model.step()                          # arrivals re-bind the views
    for population in (model.households, model.children):
        for name in population.FIXED + population.STATE:
            view = getattr(population, name)
            assert id(view) in kernels._PREFIXES, name
            assert kernels.whole(view) is population.full(name), name
            assert view.shape[population.agent_axis(name)] == population.window, name


def test_compiled_counts_are_numpys_counts_on_views_temporaries_and_empty_rows():
    rng = np.random.default_rng(8)
    whole_array = rng.random((2, 5, 300)) < 0.4
    for mask in (whole_array, whole_array[:, :, :123], whole_array[1], whole_array[:, 2:, :7], whole_array[..., :0],
                 whole_array[:, :, ::2], whole_array[0, 0]):
        counted = kernels.count_true(mask, "numba")
        expected = np.count_nonzero(mask, axis=-1)
        assert counted.shape == expected.shape and counted.dtype == expected.dtype
        assert np.array_equal(counted, expected)
    assert kernels.count_true(whole_array[:, :, :123], "numba").sum() > 0
    route = rng.integers(-1, 5, size=(5, 300)).astype(np.int8)            # -1: no exit route
    by_route = kernels.count_by_route(whole_array, route, 5)
    for k in range(5):
        assert np.array_equal(by_route[..., k], np.count_nonzero(whole_array & (route == k)[None], axis=-1)), k
    assert by_route.sum() == np.count_nonzero(whole_array & (route >= 0)[None])


def test_open_care_hours_compiled_are_the_numpy_lookup():
    from simulation.accounting.costs import hours_table
    rng = np.random.default_rng(9)
    table = hours_table(np.array([2.0, 1.5, 1.0]), np.array([6.0, 5.0, 4.0, 3.5, 2.0]))
    full = (2, 3, 400)
    months_left = rng.integers(-1, 4, size=full).astype(np.int16)
    intensive = rng.random(full) < 0.4
    month_index = rng.integers(0, 12, size=full).astype(np.int16)           # past the table's end too
    shape = (2, 3, 250)                                                      # the window of the whole arrays
    compiled = kernels.open_care_hours(months_left, intensive, month_index, table, shape)
    left, kind, index = months_left[..., :250], intensive[..., :250], month_index[..., :250]
    in_care = np.nonzero(left > 0)
    expected = np.zeros(shape)
    expected[in_care] = table[kind[in_care].astype(np.intp), np.minimum(index[in_care], table.shape[1] - 1)]
    assert np.array_equal(compiled, expected)
    assert ((compiled > 0) <= (left > 0)).all() and np.unique(compiled).size > 4      # hours only in an episode


def test_find_equal_gives_numpys_nonzero_pairs_in_order():
    rng = np.random.default_rng(10)
    values = rng.integers(0, 6, size=(4, 300)).astype(np.int32)
    limit_values = rng.integers(0, 50, size=(4, 300))
    limits = np.array([50, 10, 0, 25])
    window = 217
    rows, columns = kernels.find_equal(values, 3, window)
    expected = np.nonzero(values[:, :window] == 3)
    assert np.array_equal(rows, expected[0]) and np.array_equal(columns, expected[1]) and rows.size > 100
    rows, columns = kernels.find_equal(values, 3, window, limit_values, limits)
    expected = np.nonzero((values[:, :window] == 3) & (limit_values[:, :window] < limits[:, None]))
    assert np.array_equal(rows, expected[0]) and np.array_equal(columns, expected[1])
    assert 2 not in rows.tolist() and rows.size > 0                          # limit 0: none of row 2
    assert kernels.find_equal(values, 99, window)[0].size == 0


@pytest.mark.parametrize("work_months", ["null", "7"])
def test_the_compiled_benefit_counts_include_the_fiscal_bookings_working_households(monkeypatch, work_months):
    from simulation.accounting.fiscal import working_after_exit
    from simulation.core.model import SifsimModel
    monkeypatch.setenv(kernels.KERNELS_ENV, "numba")
    model = SifsimModel(make_config("replications=3", "horizon_years=4",
                                    f"economy.fiscal.work_income_months_after_exit={work_months}"),
                        replications=[0, 1, 2])
    for _ in range(30):
        model.step()
    compiled = model.costs.benefit_counts(True)
    reference = model.costs.benefit_counts(False)
    assert np.array_equal(compiled[0], reference[0]) and np.array_equal(compiled[1], reference[1])
    assert reference[2] is None
    months = None if work_months == "null" else int(work_months)
    working = np.count_nonzero(working_after_exit(model.households, months), axis=-1)
    assert np.array_equal(compiled[2], working) and working.sum() > 0 and compiled[0].sum() > 0


def shuffled_models(seed: int, monkeypatch):
    """Two identical models of the default intervention 16 months in (compiled loops), their state
    shuffled alike so that every branch of the children's month applies to many children: intensive
    treatment, participants, each mechanism's protective places, risk and protective factors,
    placements ending this month, children recently home (the re-placement hazard), adults among
    the minors; and the month's draws, alike, with ties: risk draws equal to the onset and remission
    rates a child can have, protective-loss draws at and next to the float32 loss. Some households
    leave the area (their minors follow them, their grown children stay)."""
    from agents.mechanisms.protective import Protective
    from simulation.core.model import SifsimModel
    monkeypatch.setenv(kernels.KERNELS_ENV, "numba")
    config = make_config("replications=3", "horizon_years=6")
    models = [SifsimModel(config, replications=[0, 1, 2]) for _ in range(2)]
    out = []
    for model in models:
        for _ in range(16):                             # into the project
            model.step()
        hh, ch = model.households, model.children
        rng = np.random.default_rng(seed)
        hh.open_care_intensive[:] = rng.random(hh.open_care_intensive.shape) < 0.5
        hh.open_care_months_left[:] = rng.integers(0, 3, size=hh.open_care_months_left.shape)
        hh.participant[:] = rng.random(hh.participant.shape) < 0.5
        hh.present[:] &= rng.random(hh.present.shape) < 0.9      # gone: their minors follow, adults stay
        factors = [m.factor for m in model.intervention.mechanisms if isinstance(m, Protective)]
        ch.assigned_protective[:] = rng.choice(np.array([-1, *factors], dtype=np.int8),
                                               size=ch.assigned_protective.shape)
        ch.risk[:] = rng.random(ch.risk.shape) < 0.3
        ch.protective[:] = rng.random(ch.protective.shape) < 0.5
        kind = rng.choice(np.array([0, 0, 0, 1, 2], dtype=np.int8), size=ch.placement.shape)
        ch.placement[:] = kind
        ch.placement_months_left[:] = np.where(kind != 0, rng.integers(1, 4, size=kind.shape), 0)
        ch.ever_placed[:] |= rng.random(ch.ever_placed.shape) < 0.3
        ch.months_since_return[:] = np.where(ch.ever_placed, rng.integers(0, 40, size=kind.shape),
                                             ch.months_since_return)
        ch.conduct_problem_months[:] = rng.integers(0, 30, size=ch.conduct_problem_months.shape)
        draws = model.draws.draw(hh.n_active, ch.n_active, len(hh), len(ch))
        process, pop = model.childhood, model.config.population
        rates = np.concatenate([process.onset_by_protection, [np.float32(pop.risk_remission_per_month)]])
        tie = rng.random(draws.child_risk.shape) < 0.3
        draws.child_risk[tie] = rng.choice(rates, size=int(tie.sum()))
        loss = np.float32(pop.protective_loss_per_month)
        near = np.array([loss, np.nextafter(loss, np.float32(0)), np.nextafter(loss, np.float32(1))])
        tie = rng.random(draws.protective_loss.shape) < 0.3
        draws.protective_loss[tie] = rng.choice(near, size=int(tie.sum()))
        out.append((model, draws))
    return out


def model_arrays(model) -> dict:
    """Every array a children's month may change: both populations', the calibration counters and
    the evaluation's (open care's intensive episodes are counted there)."""
    arrays = {(owner, name): arr.copy() for owner, pop in (("households", model.households),
                                                            ("children", model.children))
              for name, arr in pop._arrays.items()}
    for owner, obj in (("baseline", model.baseline), ("evaluation", model.evaluation)):
        for name, value in vars(obj).items():
            if isinstance(value, np.ndarray):
                arrays[owner, name] = value.copy()
    return arrays


@pytest.mark.parametrize("seed", range(3))
def test_the_compiled_childrens_month_is_numpys_to_the_bit(monkeypatch, seed):
    """The children's month as one compiled pass (childhood.step_fused: kernels.child_month, the
    mechanisms' hooks as factors) against the numpy reference (step_numpy, the hooks' own numpy
    products), from the same shuffled state and draws: every state array after the month, the
    counters, the families' risk open care reads, and the month's minors and risk counts, and the
    minors' rates after the hooks and placement hazard (the pass skips them for the other children:
    they change nothing). A float32/float64 slip, a hook applied to the wrong children or a
    skipped update would show here."""
    from agents.mechanisms.base import INTERVENTION
    (fused, draws_fused), (numpy, draws_numpy) = shuffled_models(seed, monkeypatch)
    assert np.array_equal(draws_fused.child_risk, draws_numpy.child_risk)
    before = model_arrays(numpy)
    t, strength = numpy.month, 0.8

    seen = {}
    ch = numpy.children
    ch.kernels = numpy.households.kernels = "numpy"          # the reference, numpy's passes throughout
    evolve, placements, finish = ch.evolve_factors, ch.placements, numpy.childhood.finish_month

    def capture_rates(onset, remission, *args):
        seen.update(onset=onset.copy(), remission=remission.copy())      # after the rate hooks
        return evolve(onset, remission, *args)

    def capture_hazard(hazard, *args):
        seen.update(hazard=hazard.copy(), minors=args[-1].copy())        # after the placement hook
        return placements(hazard, *args)

    def capture_counts(t, strength, draws, minors, n_risk, family_risk=None):
        seen.update(n_risk=n_risk.copy(),
                    family_risk=ch.family_max(np.where(minors, n_risk, 0), len(numpy.households)))
        return finish(t, strength, draws, minors, n_risk, family_risk)

    monkeypatch.setattr(ch, "evolve_factors", capture_rates)
    monkeypatch.setattr(ch, "placements", capture_hazard)
    monkeypatch.setattr(numpy.childhood, "finish_month", capture_counts)
    numpy.childhood.step_numpy(t, strength, draws_numpy)

    kept, family_risk = {}, {}
    open_care_step = fused.open_care.step

    def capture_family_risk(t, strength, draws, risk, implementation="numpy"):
        family_risk["fused"] = risk.copy()
        return open_care_step(t, strength, draws, risk, implementation)

    monkeypatch.setattr(fused.open_care, "step", capture_family_risk)
    hooks = fused.childhood.hook_factors(strength)
    assert hooks is not None and hooks[0].size >= 1 and hooks[2].size == hooks[3].size == 1
    fused.childhood.step_fused(t, strength, draws_fused, hooks, keep=kept)

    after_fused, after_numpy = model_arrays(fused), model_arrays(numpy)
    assert after_fused.keys() == after_numpy.keys()
    for name in after_numpy:
        assert after_fused[name].dtype == after_numpy[name].dtype, name
        assert np.array_equal(after_fused[name], after_numpy[name]), name
    assert np.array_equal(family_risk["fused"], seen["family_risk"])
    minors = seen["minors"]
    assert np.array_equal(kept["minors"], minors) and np.array_equal(kept["n_risk"], seen["n_risk"])
    for name in ("onset", "remission", "hazard"):
        assert kept[name].dtype == seen[name].dtype, name
        assert np.array_equal(kept[name][minors], seen[name][minors]), name
        assert np.isnan(kept[name][~minors]).all(), name                 # not computed: nothing reads them
    # what the comparison covers: hooked rates and hazards, ties, factors moving, placements
    # starting and ending, the re-placement hazard, children the pass skips
    on = minors[INTERVENTION]
    for name in ("onset", "remission", "hazard"):
        assert (seen[name][INTERVENTION] != seen[name][1])[on].any(), name
    u = draws_numpy.child_risk[None]
    assert ((u == seen["onset"][..., None]) & minors[..., None]).any()
    assert ((u == seen["remission"][..., None]) & minors[..., None]).any()
    assert (seen["hazard"][minors] == numpy.childhood.replacement_hazard).any()
    changed = {name: not np.array_equal(after_numpy[name], before[name])
               for name in before}
    for name in (("children", "risk"), ("children", "protective"), ("children", "conduct_problem_months"),
                 ("children", "placement"), ("children", "placement_months_left"),
                 ("baseline", "placements_this_year")):
        assert changed[name], name
    placement_before, placement_after = before["children", "placement"], after_numpy["children", "placement"]
    assert ((placement_before == 0) & (placement_after != 0)).any()          # placed this month
    assert ((placement_before != 0) & (placement_after == 0)).any()          # and home again
    window = ch.active_mask()[None]
    skipped = ~minors & window                                                # children the pass skips
    assert skipped.any() and (skipped & (placement_before[..., :ch.window] != 0)).any()
    assert seen["family_risk"].max() >= 2


def test_a_childrens_hook_without_factors_runs_the_numpy_month(monkeypatch):
    """A mechanism whose children's hooks cannot be given as factors runs them in the reference's
    passes (step_numpy), also when the compiled loops are chosen."""
    from agents.mechanisms.base import Mechanism
    from simulation.core.model import SifsimModel
    model = SifsimModel(make_config("replications=1", "horizon_years=2"), replications=[0])
    assert model.childhood.hook_factors(0.8) is not None

    class Halving(Mechanism):
        def modify_placement_hazard(self, hazard, intensive_child, participant_child):
            hazard *= 0.5

    calls = []
    monkeypatch.setattr(model.childhood, "step_numpy", lambda *args: calls.append("numpy"))
    monkeypatch.setattr(model.childhood, "step_fused", lambda *args: calls.append("fused"))
    model.children.kernels = "numba"
    model.childhood.step(0, 0.8, None)
    model.intervention.mechanisms.append(Halving(model.intervention))
    assert model.childhood.hook_factors(0.8) is None
    model.childhood.step(0, 0.8, None)
    assert calls == ["fused", "numpy"]


def test_the_exit_hazard_with_the_caseload_hook_in_the_same_pass_is_the_hook_to_the_bit():
    """The compiled exit hazard applies the caseload mechanism's hook as factors (reached by the
    policy path, a participant, both) and clips: the same bits as numpy's hazard, the hook's
    in-place products and np.clip, before and under the policy path, at strengths below, at and
    above the policy's; also the participants on EB it reports."""
    from agents.mechanisms.base import INTERVENTION
    from simulation.core.model import SifsimModel
    model = SifsimModel(make_config("replications=3", "horizon_years=8"), replications=[0, 1, 2])
    for _ in range(40):
        model.step()
    hh, benefits = model.households, model.benefits
    policy = model.intervention.ordinary_practice
    rng = np.random.default_rng(8)
    hh.participant[:] = rng.random(hh.participant.shape) < 0.4        # many participants, reached or not
    caseload = rng.uniform(0.5, 30.0, size=hh.on_eb.shape[:2])          # some hazards above 1: the clip counts
    reached = policy.eligible()
    treated = hh.participant[INTERVENTION] & hh.on_eb[INTERVENTION]
    for cell in (reached[INTERVENTION] & treated, reached[INTERVENTION] & ~treated, ~reached[INTERVENTION] & treated):
        assert cell.any()                                  # every factor of the hook is exercised
    changed = 0
    for t, strength in ((policy.t_start - 1, 0.7), (policy.t_start + 3, 0.7), (policy.t_start + 3, 0.0),
                        (policy.t_start + 3, 1.3), (policy.t_start - 1, 0.0)):
        hh.kernels = "numpy"
        base, hazard, at_risk = benefits.exit_hazards(caseload)
        unhooked = np.clip(hazard, 0.0, 1.0)
        for mechanism in model.intervention.mechanisms:
            mechanism.modify_exit_hazard(t, strength, hazard, treated)
        np.clip(hazard, 0.0, 1.0, out=hazard)
        hh.kernels = "numba"
        hooks = benefits.hook_factors(t, strength)
        assert hooks is not None and hooks[0] == policy.reaches(t, "caseload")
        compiled = benefits._exit_hazards_compiled(caseload, hooks)
        on = hh.on_eb
        for got, expected, name in zip(compiled, (base, hazard, at_risk, treated),
                                       ("base", "hazard", "at_risk", "treated")):
            assert got.dtype == expected.dtype, (t, strength, name)
            if name in ("base", "hazard"):      # on EB; 0 off EB (no exit is possible there)
                assert np.array_equal(got[on], expected[on]) and (got[~on] == 0.0).all(), (t, strength, name)
            else:
                assert np.array_equal(got, expected), (t, strength, name)
        changed += int(np.count_nonzero(hazard != unhooked))
        if policy.reaches(t, "caseload"):
            assert (hazard[1] != unhooked[1]).any()        # the policy reaches the control arm too
    assert changed > 0 and (hazard == 1.0).any()


def test_an_exit_hazard_hook_without_factors_runs_as_a_hook(monkeypatch):
    """A mechanism that changes the hazard but gives no factors keeps its hook: no compiled factors."""
    from agents.mechanisms.base import Mechanism
    from simulation.core.model import SifsimModel
    model = SifsimModel(make_config("replications=1", "horizon_years=2"), replications=[0])
    benefits = model.benefits
    assert benefits.hook_factors(30, 0.8) is not None

    class Doubling(Mechanism):
        def modify_exit_hazard(self, t, strength, hazard, treated):
            hazard *= 2.0

    model.intervention.mechanisms.append(Doubling(model.intervention))
    assert benefits.hook_factors(30, 0.8) is None


def test_search_left_is_numpys_searchsorted_per_row_sorted_or_not():
    """The compiled binary search makes numpy's probes: the same index as ``searchsorted(side="left")``
    on sorted rows (the children's households, padding last), on rows with ties, and on unsorted rows
    (where only the same probes give the same answer), for limits below, inside and beyond a row."""
    rng = np.random.default_rng(12)
    sorted_rows = np.sort(rng.integers(0, 60, size=(7, 301)), axis=1).astype(np.int32)
    sorted_rows[:, -20:] = np.iinfo(np.int32).max                           # padding: never a household
    unsorted_rows = rng.integers(0, 60, size=(7, 300)).astype(np.int32)
    for values in (sorted_rows, unsorted_rows, sorted_rows[:, :1], sorted_rows[:, :0]):
        for limits in (rng.integers(-2, 64, size=7), np.full(7, 30), np.array([0, 1, 59, 60, 61, 2 ** 40, -5])):
            expected = np.array([np.searchsorted(values[r], limits[r], side="left") for r in range(7)])
            found = kernels.search_left(values, limits, "numba")
            assert found.dtype == np.int64 and np.array_equal(found, expected), (values.shape, limits)
            assert np.array_equal(kernels.search_left(values, limits, "numpy"), expected)
    inside = kernels.search_left(sorted_rows, np.full(7, 30), "numba")
    assert ((inside > 0) & (inside < 281)).all()                            # the search did not end at a bound


def test_the_children_of_arriving_households_are_bound_with_or_without_a_new_window(monkeypatch):
    """Children's prefixes follow the households present (compiled search, numpy's reference); the
    views are re-made only when the window changes, and are then the right width and known prefixes."""
    from simulation.core.model import SifsimModel
    monkeypatch.setenv(kernels.KERNELS_ENV, "numba")
    model = SifsimModel(make_config("replications=3", "horizon_years=2"), replications=[0, 1, 2])
    ch, hh = model.children, model.households
    assert ch.kernels == "numba"
    household = ch.full("household")
    n_households = hh.n_active.copy()
    reference = np.array([np.searchsorted(household[r], n_households[r]) for r in range(3)])
    assert np.array_equal(ch.n_active, reference)
    # the same window, other prefixes: the views stay, the prefixes follow
    views = {name: getattr(ch, name) for name in ch.FIXED + ch.STATE}
    longest = int(np.argmax(ch.n_active))
    fewer = n_households.copy()
    fewer[(longest + 1) % 3] = 0
    ch.activate_households(fewer)
    assert ch.n_active[(longest + 1) % 3] == 0 and ch.window == reference.max()
    assert all(getattr(ch, name) is view for name, view in views.items())
    # a wider window: new views of the new width, known to whole()
    more = n_households + 5
    ch.activate_households(more)
    expected = np.array([np.searchsorted(household[r], more[r]) for r in range(3)])
    assert np.array_equal(ch.n_active, expected) and ch.window == expected.max() > reference.max()
    for name in ch.FIXED + ch.STATE:
        view = getattr(ch, name)
        assert view.shape[ch.agent_axis(name)] == ch.window, name
        assert kernels.whole(view) is ch.full(name), name
    # and narrower again (a retirement): re-bound to the narrower window
    ch.activate_households(np.zeros(3, dtype=np.int64))
    assert ch.window == 0 and ch.present.shape[-1] == 0


def test_the_families_leaving_home_are_numpys_unique_pairs_sorted_or_not():
    """children_leave_home's distinct (replication, household) pairs and their counts are
    ``np.unique(..., axis=1, return_counts=True)``'s, from sorted pairs (the fast path) and from
    unsorted ones."""
    from agents.households import _unique_pairs
    rng = np.random.default_rng(13)
    for trial in range(20):
        n = int(rng.integers(0, 40))
        replication = rng.integers(0, 4, size=n)
        household = rng.integers(0, 12, size=n).astype(np.int32)
        if trial % 2 == 0:                               # np.nonzero's order of children stored by household
            order = np.lexsort((household, replication))
            replication, household = replication[order], household[order]
        r, h, counts = _unique_pairs(replication, household)
        if n:
            pairs, expected_counts = np.unique(np.stack([replication, household]), axis=1, return_counts=True)
        else:
            pairs, expected_counts = np.zeros((2, 0), dtype=int), np.zeros(0, dtype=int)
        assert np.array_equal(r, pairs[0]) and np.array_equal(h, pairs[1]), trial
        assert np.array_equal(counts, expected_counts) and counts.sum() == n, trial


def _place_by_mask_080(ch, new, u_kind_length, hvb_share, hvb_mean_months, family_home_mean_months):
    """0.8.0's ChildPopulation.place, verbatim (a mask of new placements): the independent reference
    for place_at, now that place itself calls place_at."""
    from agents.children import FAMILY_HOME, HVB, MAX_PLACEMENT_MONTHS
    if not new.any():
        return
    arm, rep, child = np.nonzero(new)
    u_kind_length = u_kind_length[rep, child]
    hvb = u_kind_length < hvb_share
    kind = np.where(hvb, HVB, FAMILY_HOME).astype(np.int8)
    u_length = np.where(hvb, u_kind_length / max(hvb_share, 1e-12),
                        (u_kind_length - hvb_share) / max(1.0 - hvb_share, 1e-12))
    u_length = np.clip(u_length, 0.0, 1.0 - 1e-7)
    mean = np.where(kind == HVB, hvb_mean_months, family_home_mean_months)
    p_end = 1.0 / np.maximum(mean, 1.0)
    length = 1 + np.floor(np.log1p(-u_length) / np.log1p(-np.minimum(p_end, 1 - 1e-12)))
    length = np.minimum(length, MAX_PLACEMENT_MONTHS).astype(np.int16)
    ch.placement[arm, rep, child] = kind
    ch.placement_months_left[arm, rep, child] = length
    ch.ever_placed |= new


def test_placing_children_by_index_is_placing_them_by_mask():
    """place_at (the compiled month's list of new placements) changes what 0.8.0's place (a mask,
    kept verbatim above) changed: the placed children get their kind and length from their own draw
    and are ever placed; nobody else changes. place (the mask's entry point) is place_at too."""
    from agents.children import ChildPopulation, FAMILY_HOME, HOME, HVB
    rng = np.random.default_rng(14)
    n, reps = 60, 3

    def population():
        gen = np.random.default_rng(5)
        ch = ChildPopulation(household=[np.arange(n)] * reps, birth_month=[np.zeros(n, int)] * reps,
                             risk=[np.zeros((n, 4), bool)] * reps, protective=[np.zeros((n, 4), bool)] * reps,
                             priority=[gen.random(n) for _ in range(reps)],
                             adult_outcome_draws=[gen.random((n, 3), dtype=np.float32) for _ in range(reps)])
        ch.activate_households(np.full(reps, n))
        ch.ever_placed[:] = gen.random(ch.ever_placed.shape) < 0.3
        return ch

    reference, by_index, by_mask = population(), population(), population()
    before = reference.ever_placed.copy()
    new = rng.random(reference.placement.shape) < 0.2
    u = rng.random((reps, n)).astype(np.float32)
    _place_by_mask_080(reference, new, u, 0.4, 5.0, 20.0)
    by_index.place_at(*np.nonzero(new), u, 0.4, 5.0, 20.0)
    by_mask.place(new, u, 0.4, 5.0, 20.0)
    assert np.array_equal(by_index.ever_placed, before | new) and (new & ~before).any()
    for name in ("placement", "placement_months_left", "ever_placed"):
        assert np.array_equal(by_index.full(name), reference.full(name)), name
        assert np.array_equal(by_mask.full(name), reference.full(name)), name
    kinds = by_index.placement[new]
    assert set(kinds.tolist()) == {HVB, FAMILY_HOME} and (by_index.placement[~new] == HOME).all()
    assert (by_index.placement_months_left[new] >= 1).all() and (by_index.placement_months_left[~new] == 0).all()


@pytest.mark.parametrize("seed", range(2))
def test_the_compiled_household_flags_are_the_numpy_bits(monkeypatch, seed):
    """kernels.household_flags (the byte the compiled children's month reads per household) is
    childhood.household_flags (step_numpy's bits) on shuffled states: every bit set and unset somewhere,
    parents in work after an exit to work and off EB after other exits, episodes of both kinds,
    some ending (0 months left)."""
    from simulation.core.childhood import household_flags
    (model, _), _ = shuffled_models(seed, monkeypatch)
    hh = model.households
    rng = np.random.default_rng(seed)
    hh.on_eb[:] = rng.random(hh.on_eb.shape) < 0.5
    hh.last_exit_route[:] = rng.integers(-1, len(ROUTE_INDEX), size=hh.last_exit_route.shape)
    compiled = kernels.household_flags(hh, ROUTE_INDEX["work"])
    expected = household_flags(hh)
    assert compiled.dtype == expected.dtype == np.uint8 and compiled.shape == expected.shape == hh.on_eb.shape
    assert np.array_equal(compiled, expected)
    for bit in range(4):
        assert ((expected >> bit) & 1).any() and not ((expected >> bit) & 1).all(), bit


def test_the_compiled_pension_age_is_numpys_on_shuffled_households(monkeypatch):
    """reach_pension_age in one compiled pass (found and changed) against the numpy reference, from the
    same shuffled state: some households whose adult turns the age this month on EB (to old-age
    support), off EB (pensioned, route cleared) and gone from the area (unchanged); every household
    array and the returned mask equal."""
    (compiled, _), (numpy, _) = shuffled_models(3, monkeypatch)
    t = numpy.month
    pension_age_months = numpy.benefits.pension_age_months
    for model in (compiled, numpy):
        hh = model.households
        rng = np.random.default_rng(21)
        turning = rng.random(hh.adult_birth_month.shape) < 0.2
        longest = int(np.argmax(hh.n_active))
        turning[longest, hh.window - 1] = True                        # the window's last household too
        hh.adult_birth_month[turning] = t - pension_age_months
        hh.on_eb[:] = rng.random(hh.on_eb.shape) < 0.5
        hh.present[:, longest, hh.window - 1] = hh.on_eb[:, longest, hh.window - 1] = True
        hh.last_exit_route[:] = np.where(hh.on_eb, hh.last_exit_route, rng.integers(0, 4, size=hh.on_eb.shape))
        hh.months_since_exit[:] = rng.integers(1, 30, size=hh.on_eb.shape)
    numpy.households.kernels = "numpy"
    assert compiled.households.kernels == "numba"
    to_support = {name: model.households.reach_pension_age(t, pension_age_months)
                  for name, model in (("compiled", compiled), ("numpy", numpy))}
    assert np.array_equal(to_support["compiled"], to_support["numpy"]) and to_support["numpy"].any()
    for name in numpy.households.STATE + numpy.households.FIXED:
        assert np.array_equal(compiled.households.full(name), numpy.households.full(name)), name
    hh = numpy.households
    assert hh.old_age_support[:, int(np.argmax(hh.n_active)), hh.window - 1].all()
    turned = (hh.adult_birth_month == t - pension_age_months)[None] & hh.present
    assert (turned & ~hh.old_age_support).any() and (hh.last_exit_route[turned] == -1).all()
    assert ((hh.adult_birth_month == t - pension_age_months)[None] & ~hh.present & ~hh.pensioned).any()


@pytest.mark.parametrize("n_reps", [3, 7])
def test_the_compiled_arrivals_are_numpys(monkeypatch, n_reps):
    """enter's compiled pass over every row's arrivals against numpy's (a slice per row for a few
    rows, one index for many): the same households present, on EB and at duration 0, in both arms,
    month by month; nothing beyond the arrivals changes."""
    from simulation.core.model import SifsimModel
    monkeypatch.setenv(kernels.KERNELS_ENV, "numba")
    config = make_config(f"replications={n_reps}", "horizon_years=3")
    compiled, numpy = (SifsimModel(config, replications=list(range(n_reps))) for _ in range(2))
    numpy.households.kernels = "numpy"
    arrived_in_rows = 0
    for t in range(14):
        for model in (compiled, numpy):       # a state the arrivals would overwrite, alike in both
            model.households.months_on_eb[:] += 3
            model.households.on_eb[:] = False
        counts = [model.households.enter(t) for model in (compiled, numpy)]
        assert np.array_equal(counts[0], counts[1])
        arrived_in_rows = max(arrived_in_rows, int(np.count_nonzero(counts[0])))
        for name in numpy.households.STATE + numpy.households.FIXED:
            assert np.array_equal(compiled.households.full(name), numpy.households.full(name)), (t, name)
        assert np.array_equal(compiled.households.n_active, numpy.households.n_active)
    assert arrived_in_rows > (4 if n_reps > 4 else 0)              # the many-rows path was compared too
    assert numpy.households.on_eb.any() and not numpy.households.on_eb.all()


@pytest.mark.parametrize("strength", [0.8, 0.0])
def test_open_care_episodes_begun_compiled_are_numpys(monkeypatch, strength):
    """OpenCare.start's compiled pass (kernels.start_open_care) against its numpy lines, from the same
    shuffled state and start mask (episodes running and not, participants and not): every household
    array and the evaluation's counts equal; with strength 0 the mechanism gives no intensive
    variant (None), with 0.8 some episodes are intensive and some ordinary, restarted ones too."""
    (compiled, draws_compiled), (numpy, draws_numpy) = shuffled_models(4, monkeypatch)
    t = numpy.month
    rng = np.random.default_rng(22)
    start = rng.random(numpy.households.present.shape) < 0.3
    before = numpy.households.open_care_months_left.copy()
    compiled.open_care.start(t, strength, start.copy(), draws_compiled, compiled=True)
    numpy.open_care.start(t, strength, start.copy(), draws_numpy)
    after_compiled, after_numpy = model_arrays(compiled), model_arrays(numpy)
    for name in after_numpy:
        assert np.array_equal(after_compiled[name], after_numpy[name]), name
    hh = numpy.households
    lengths = set(hh.open_care_months_left[start].tolist())
    ordinary = numpy.config.economy.ordinary_treatment_months
    assert ordinary in lengths and (hh.open_care_month_index[start] == 0).all()
    assert (start & (before > 0)).any()                                    # restarted episodes too
    if strength > 0:
        assert hh.open_care_intensive[start].any() and not hh.open_care_intensive[start].all()
        assert len(lengths) == 2
    else:
        assert not hh.open_care_intensive[start].any() and lengths == {ordinary}


def test_the_eb_month_without_the_clip_is_its_three_passes_without_it_and_its_exits_with_it():
    """kernels.eb_month with ``clip`` False (the model always clips in it: BenefitProcess._step_fused
    has hooks, and ``clip`` is ``hooks is not None``; no config turns it off) against the three compiled
    passes unclipped (exit_hazard with clip False, eb_exits, eb_reentries), on hazards above 1 and below
    0; and with the clip: the same exits and returns (a draw in [0, 1) is under an unclipped hazard where
    it is under the clipped one)."""
    from simulation.core.model import SifsimModel
    from agents.mechanisms.base import INTERVENTION
    config = make_config("replications=2", "horizon_years=4")
    models = [SifsimModel(config, replications=[0, 1]) for _ in range(3)]
    hooks = (False, np.array([1.0, 1.0, -2.0, -2.0]))        # participants' factor: a negative hazard
    for model in models:
        model.households.kernels = model.children.kernels = "numba"
        for _ in range(14):
            model.step()
    unclipped_fused, unclipped_passes, clipped_fused = models
    for model in (unclipped_fused, unclipped_passes):
        arguments = model.benefits._hazard_arguments
        model.benefits._hazard_arguments = lambda caseload, hooks, arguments=arguments: \
            arguments(caseload, hooks)[:-1] + (False,)
    t = models[0].month
    itv = models[0].intervention
    counting = itv.active and t <= itv.t_end
    caseload = np.ones(models[0].households.on_eb.shape[:2])
    caseload[INTERVENTION] = 40.0                               # the intervention arm's hazards above 1
    counts = []
    for model in models:
        hh, benefits, pop = model.households, model.benefits, model.config.population
        draws = model.draws.draw(hh.n_active, model.children.n_active, len(hh), len(model.children))
        if model is unclipped_passes:
            base, hazard, at_risk, treated = benefits._exit_hazards_compiled(caseload, hooks)
            on = hh.on_eb
            assert (hazard[on] > 1.0).any() and (hazard[on] < 0.0).any()          # unclipped
            exits, route = hh.eb_exits(hazard, draws.eb_exit, draws.exit_route, benefits.route_cdf)
            back = hh.eb_reentries(benefits.reentry_hazard, draws.reentry,
                                   pop.reentry_hazard_multiplier_after_24_months, pop.reentry_window_months,
                                   pop.reentry_duration_memory)
            benefits._record_exits(t, counting, caseload, base, treated, at_risk, exits, route)
            counts.append((kernels.count_true(exits, "numba"), kernels.count_true(back, "numba")))
        else:
            counts.append(benefits._step_fused(t, draws, caseload, hooks, counting,
                                               np.zeros(hh.on_eb.shape, dtype=bool)))
    arrays = [model_arrays(model) for model in models]
    for name in arrays[1]:
        assert np.array_equal(arrays[0][name], arrays[1][name]), ("unclipped", name)
        assert np.array_equal(arrays[2][name], arrays[1][name]), ("clipped", name)
    for n_exits, n_back in (counts[0], counts[2]):
        assert np.array_equal(n_exits, counts[1][0]) and np.array_equal(n_back, counts[1][1])
    assert counts[1][0][INTERVENTION].sum() > 0 and counts[1][1].sum() > 0


@pytest.mark.parametrize("overrides", [
    ("replications=3", "horizon_years=9"),
    # the caseload moves every month (a hazard per arm and replication), a memory of the months on EB
    # between 0 and 1, many moving away: every branch of the one-pass month
    ("replications=2", "horizon_years=7", "population.caseload_elasticity=0.8",
     "population.reentry_duration_memory=0.5", "population=city", "population.households=600",
     "intervention.participants_households=60"),
    # the re-entry memory's other branches: a return restarts the clock (0), resumes where it left off (1)
    ("replications=2", "horizon_years=7", "population.reentry_duration_memory=0.0"),
    ("replications=2", "horizon_years=7", "population.reentry_duration_memory=1.0"),
], ids=["default", "city-moving-caseload", "memory-0", "memory-1"])
def test_the_households_eb_month_in_one_pass_is_its_three_passes_to_the_bit(overrides):
    """kernels.eb_month (the hazard, the exits and the re-entries in one pass) leaves every
    household array, the month's counts, the evaluation's records and every table as the three
    compiled passes it replaces do (BenefitProcess.fused False), month after month: in project
    months and after, with exits to every route, re-entries and pension ages."""
    from simulation.core.model import SifsimModel
    config = make_config(*overrides)
    models = [SifsimModel(config, replications=list(range(config.replications))) for _ in range(2)]
    for model in models:
        model.households.kernels = model.children.kernels = "numba"
    models[1].benefits.fused = False
    calls = {"eb_month": 0}
    original = kernels.eb_month

    def counted(*args):
        calls["eb_month"] += 1
        return original(*args)

    kernels.eb_month = counted
    try:
        exits = back = 0
        while models[0].running:
            for model in models:
                model.step()
            one, three = models
            assert np.array_equal(one._exits, three._exits) and np.array_equal(one._entries, three._entries)
            for name, array in one.households._arrays.items():
                assert np.array_equal(array, three.households.full(name)), (one.month, name)
            for name in ("eb_sek", "expected_anyway_sek"):
                assert np.array_equal(getattr(one.evaluation, name), getattr(three.evaluation, name)), name
            exits += int(one._exits.sum())
            back += int(one._entries.sum())
    finally:
        kernels.eb_month = original
    assert calls["eb_month"] == models[0].month              # the one pass ran every month, in model 0 only
    assert exits > 0 and back > 0
    for r in range(config.replications):
        assert models[0].replication_rows(r) == models[1].replication_rows(r)
