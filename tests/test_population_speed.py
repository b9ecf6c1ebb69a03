"""The yearly retirement's compiled compaction and the batched retirement give the numpy paths'
arrays and archives to the bit (agents/kernels_compaction.py, agents/base.py), and the synthetic
population's per-batch constants give every replication the draws it gets alone
(simulation/core/population.py)."""

from __future__ import annotations

import numpy as np
import pytest

from agents import base, kernels
from agents.base import ArrayPopulation, compact


class _Toy(ArrayPopulation):
    """Arrays of every width the model's populations hold (1, 2, 3, 4, 8 and 12 bytes an agent)."""

    FIXED = ("household", "priority", "draws")
    STATE = ("present", "placement", "months", "risk", "outcome", "onset")
    INERT = {"present": False, "placement": 0, "onset": np.iinfo(np.int32).max}
    kernels = "numpy"

    def __init__(self, seed: int, n_reps: int, capacity: int, n_arms: int = 2):
        rng = np.random.default_rng(seed)
        shape = (n_arms, n_reps, capacity)
        arrays = {
            "household": rng.integers(0, 1 << 30, size=(n_reps, capacity)).astype(np.int32),
            "priority": rng.random((n_reps, capacity)),
            "draws": rng.random((n_reps, capacity, 3)).astype(np.float32),
            "present": rng.random(shape) < 0.7,
            "placement": rng.integers(0, 3, size=shape).astype(np.int8),
            "months": rng.integers(-500, 500, size=shape).astype(np.int16),
            "risk": rng.random(shape + (4,)) < 0.3,
            "outcome": rng.random(shape + (3,)) < 0.3,
            "onset": rng.integers(0, 1 << 30, size=shape + (3,)).astype(np.int32),
        }
        super().__init__(arrays, np.full(n_reps, capacity), n_arms)


def _plan(seed: int, n_reps: int, capacity: int, rows: list[int]) -> list[tuple]:
    """(row, keep, gone, future_start, future_end) per row: random active prefixes, retirements
    (isolated, in runs, at the first agent, none, all) and blocks not yet arrived (some empty)."""
    rng = np.random.default_rng(seed)
    out = []
    for k, r in enumerate(rows):
        future_end = int(rng.integers(0, capacity + 1)) if k % 5 else capacity
        future_start = int(rng.integers(0, future_end + 1)) if k % 4 else future_end   # k % 4 == 0: none to come
        if k == 2:
            future_start = max(future_end - 1, 0)               # one agent to come
        share = (0.1, 0.5, 0.03, 0.0, 1.0)[k % 5]
        gone_mask = rng.random(future_start) < share
        if k % 3 == 1 and future_start:
            gone_mask[:min(40, future_start)] = True             # a long run of retirements (memmove)
        out.append((r, np.flatnonzero(~gone_mask), np.flatnonzero(gone_mask), future_start, future_end))
    return out


def _run(path: str, seed: int, n_reps: int, capacity: int, rows: list[int]):
    toy = _Toy(seed, n_reps, capacity)
    pending = _plan(seed + 1, n_reps, capacity, rows)
    if path == "row-by-row":                     # compact() at once per row, the original definition
        for row in pending:
            toy._compact_row(*row)
        return toy
    toy.kernels = "numba" if path == "compiled" else "numpy"
    toy.begin_compaction()
    for row in pending:
        toy._compact_row(*row)
    toy.end_compaction()
    return toy


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("layout", ["many-rows", "few-rows", "one-row", "rows-apart"])
def test_the_compiled_compaction_is_the_numpy_paths_to_the_bit(monkeypatch, seed, layout):
    n_reps, capacity, rows = {"many-rows": (12, 300, list(range(12))),
                              "few-rows": (3, 2000, [0, 1, 2]),
                              "one-row": (2, 500, [1]),
                              "rows-apart": (9, 400, [0, 2, 3, 7, 8])}[layout]
    from agents import kernels_compaction
    ran = []

    def noting(name, loop):             # kernels.compiled, noting which loops this test asked for
        ran.append(name)
        return kernels.compiled(name, loop)

    monkeypatch.setattr(kernels_compaction, "compiled", noting)
    results = {}
    for path in ("compiled", "numpy", "row-by-row"):
        ran.clear()
        results[path] = _run(path, seed, n_reps, capacity, rows)
        assert ("compact_rows" in ran) == (path == "compiled"), path       # the compiled loop ran in its path only
    ran.clear()
    monkeypatch.setattr(base, "FEW_ROWS", 0 if base.FEW_ROWS >= len(rows) else 100)   # the other numpy path
    results["numpy-other"] = _run("numpy", seed, n_reps, capacity, rows)
    assert not ran
    reference = results["row-by-row"]
    moved = False
    for path, toy in results.items():
        assert toy.retired_present == reference.retired_present, path
        for name in toy._arrays:
            assert toy.full(name).dtype == reference.full(name).dtype
            assert np.array_equal(toy.full(name), reference.full(name)), (path, name)
            moved |= not np.array_equal(toy.full(name), _Toy(seed, n_reps, capacity).full(name))
        for r in range(n_reps):
            for name, value in reference.retired_state(r).items():
                got = toy.retired_state(r)[name]
                assert got.dtype == value.dtype and np.array_equal(got, value), (path, r, name)
    assert moved                     # the plans compacted something


def test_compact_keeps_its_definition():
    """compact() is [kept | not yet arrived | gone | the rest], the order the compiled loop reproduces."""
    arr = np.arange(10)[None].copy()
    compact([(arr, 1)], keep=np.array([0, 2]), gone=np.array([1, 3]), future_start=4, future_end=7)
    assert arr.tolist() == [[0, 2, 4, 5, 6, 1, 3, 7, 8, 9]]


# --- the arrivals' draws, compiled ---------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_arrivals_are_the_numpy_months_to_the_bit(seed):
    """Counts, household and children's uniforms of every month: rates from 0 to just below 10
    (numpy's multiplication method), months without arrivals and without children included."""
    from simulation.core.draws import Stream, replication_streams
    from simulation.core.population import ArrivalDraws, _draw_arrivals
    from tests.support import make_config
    pop = make_config().population
    rng = np.random.default_rng(seed)
    rate = rng.random(240) * 10.0
    rate[rng.random(240) < 0.2] = 0.0
    rate[:3] = (np.nextafter(10.0, 0.0), 1e-9, 0.0)                       # the edges of the method
    drawn = {implementation: _draw_arrivals(pop, ArrivalDraws(replication_streams(seed, 7)[Stream.INFLOW]), rate,
                                            implementation) for implementation in ("numba", "numpy")}
    (counts, households, children), (counts_ref, households_ref, children_ref) = drawn["numba"], drawn["numpy"]
    assert np.array_equal(counts, counts_ref) and counts.sum() > 500 and (counts == 0).any()
    for got, want in ((households, households_ref), (children, children_ref)):
        assert got.keys() == want.keys()
        for name in want:
            assert got[name].dtype == want[name].dtype and np.array_equal(got[name], want[name]), name
    assert children["priority"].size > 500


def test_a_rate_of_10_or_more_takes_numpys_poisson():
    """numpy's Poisson draw changes method at a rate of 10 (not reproduced): such rates stay numpy's."""
    from simulation.core.kernels_arrivals import compiled_rates
    assert compiled_rates(np.array([0.0, 9.99]))
    assert not compiled_rates(np.array([0.0, 10.0]))
    assert not compiled_rates(np.array([3.0, -1.0]))


@pytest.mark.parametrize("overrides", [(), ("population=city", "population.households=400")],
                         ids=["oster", "city-rates-above-10"])
def test_a_batch_is_drawn_the_same_with_either_implementation(monkeypatch, overrides):
    """The whole synthetic population of a batch (every array of both populations), compiled arrivals
    or numpy's (kernels.choose decides by SIFSIM_KERNELS)."""
    from simulation.core.draws import replication_streams
    from simulation.core.population import arrivals_implementation, build_population
    from tests.support import make_config
    config = make_config("horizon_years=10", *overrides)
    built = {}
    for implementation in ("numba", "numpy"):
        monkeypatch.setenv(kernels.KERNELS_ENV, implementation)
        assert arrivals_implementation(config.population, 120, 3) == implementation
        built[implementation] = build_population(config.population, config.economy, 120,
                                                 [replication_streams(config.seed, r) for r in range(3)])
    for owner in ("households", "children"):
        a, b = getattr(built["numba"], owner), getattr(built["numpy"], owner)
        assert np.array_equal(a.n_active, b.n_active)
        for name in b._arrays:
            assert np.array_equal(a.full(name), b.full(name)), (owner, name)


def test_a_models_yearly_retirement_is_the_same_compiled_and_with_numpy(monkeypatch):
    """Whole runs with every yearly compaction compiled or numpy's: every array, the archives of the
    retired and the head count of the retired present (agents/base.py's end_compaction)."""
    from simulation.core.model import SifsimModel
    from tests.support import make_config
    config = make_config("replications=6", "horizon_years=5", "population.households=150")
    runs = {}
    for implementation in ("numba", "numpy"):
        monkeypatch.setenv(kernels.KERNELS_ENV, implementation)
        runs[implementation] = SifsimModel(config, replications=list(range(6))).run()
        assert runs[implementation].children.kernels == implementation
    compiled, reference = runs["numba"], runs["numpy"]
    assert compiled.retired_households == reference.retired_households > 0
    for owner in ("households", "children"):
        a, b = getattr(compiled, owner), getattr(reference, owner)
        assert np.array_equal(a.n_active, b.n_active) and a.retired_present == b.retired_present
        for name in b._arrays:
            assert np.array_equal(a.full(name), b.full(name)), (owner, name)
        for r in range(6):
            for name, value in b.retired_state(r).items():
                got = a.retired_state(r)[name]
                assert got.dtype == value.dtype and np.array_equal(got, value), (owner, r, name)
