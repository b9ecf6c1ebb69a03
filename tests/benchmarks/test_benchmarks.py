"""The benchmark suite (issue 6): run on demand, never in the default test run.

    make bench          # pytest tests/benchmarks -m benchmark -s -p no:xdist
    make bench-smoke    # the same with SIFSIM_BENCH_SMOKE=1: tiny workloads (CI)

Each workload runs in a fresh process (peak memory of its own); the session
prints ONE table at the end (see ``conftest.py``) and writes it to
``results/benchmarks/``. Speed targets are reported, never asserted: these
tests assert correctness facts only (months simulated, arms, replications,
identical sweep outputs whatever the launcher).

``SIFSIM_BENCH_PROFILE=1`` also writes a cProfile of the ``city`` workload to
``results/benchmarks/profile_city_<date>.txt``.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

from . import _bench

pytestmark = pytest.mark.benchmark


def _record(workload: str) -> dict:
    record = _bench.run_worker(_bench.WORKLOADS[workload])
    _bench.RESULTS.append(record)
    return record


def _check_sifsim(record: dict) -> None:
    assert record["months"] == record["months_max"] == record["months_expected"]
    assert record["arms"] == ["control", "intervention"]
    assert record["replications"] == record["replications_expected"]
    assert record["nominal_household_months"] > 0 and record["ledger_rows"] > 0


def test_reference():
    record = _record("reference")
    assert record["months"] == _bench.WORKLOADS["reference"].months
    assert record["household_months"] >= record["months"] * 1  # someone was there every month
    assert record["households_on_eb_end"] > 0


def test_default_run():
    record = _record("default_run")
    _check_sifsim(record)
    assert record["charts"] > 0


def test_study():
    _check_sifsim(_record("study"))


def test_city():
    _check_sifsim(_record("city"))


def test_national():
    _check_sifsim(_record("national"))


@pytest.mark.parametrize("workload", ["split_default", "split_city"])
def test_split(workload):
    """A run split into draws, compiled loops and the rest (how much of a target the random-stream
    layout and the model's compiled work take): the replications ran, every month drew, and the
    parts are parts of the run's CPU; a run on the compiled path timed its children's month."""
    record = _record(workload)
    assert record["replications"] == record["replications_expected"]
    assert record["draw_months"] > 0 and record["floats"] > 0
    assert 0 < record["draws_cpu_s"] < record["cpu_s"]
    assert record["draws_cpu_s"] + record["loops_cpu_s"] + record["summarise_cpu_s"] < record["cpu_s"]
    assert record["summarise_cpu_s"] > 0
    if "numba" in record["implementations"]:
        # the draws' own loop runs inside MonthDraws.draw: timed there, and not among the model's loops
        assert 0 < record["draws_loop_cpu_s"] <= record["draws_cpu_s"]
        assert "pcg64_month" not in record["loops_by_name_cpu_s"]
        assert record["loops_by_name_cpu_s"].get("child_month", 0) > 0
        assert record["loops_cpu_s"] == pytest.approx(sum(record["loops_by_name_cpu_s"].values()))


def test_sweep():
    workload = _bench.WORKLOADS["sweep"]
    parallel = _bench.run_worker(workload, ("--mode", "parallel"))
    serial = _bench.run_worker(workload, ("--mode", "serial"))
    _bench.RESULTS.append({"name": "sweep", "kind": "sweep", "describe": workload.describe,
                           "serial": serial, "parallel": parallel})
    assert sorted(serial["jobs"]) == sorted(parallel["jobs"]) == ["0", "1", "2", "3"]
    for job, info in serial["jobs"].items():
        assert info["population_sha256"] is not None, f"job {job}: no population table"
        assert info["overrides"] == parallel["jobs"][job]["overrides"]
        # same seed and overrides: the launcher must not change a single number
        assert info["population_sha256"] == parallel["jobs"][job]["population_sha256"], f"job {job}"
    for record in (serial, parallel):
        # the parts come from this sweep's own job files: every job started after the command and
        # ended before it returned (stale files from another sweep would break this)
        phases = record["phases_s"]
        assert phases["before_jobs"] > 0 and phases["jobs"] > 0 and phases["after_jobs"] > 0, phases
        assert phases["before_jobs"] + phases["jobs"] + phases["after_jobs"] == pytest.approx(record["wall_s"], abs=0.5)


@pytest.mark.skipif(not os.environ.get("SIFSIM_BENCH_PROFILE"), reason="set SIFSIM_BENCH_PROFILE=1 to profile")
def test_profile_city():
    path = _bench.REPO / "results" / "benchmarks" / f"profile_city_{dt.date.today():%Y-%m-%d}.txt"
    record = _bench.run_worker(_bench.WORKLOADS["city"], ("--profile", str(path)))
    assert path.exists() and record["months"] == record["months_expected"]
