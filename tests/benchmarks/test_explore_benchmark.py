"""Benchmark (issue 13): a Morris screening and a Sobol study of the default scenario at study size,
through ``sifsim explore``.

    make bench          # Morris: 13 factors + the dummy, 10 trajectories (150 points) × 20 replications
                        # Sobol:  13 factors + the dummy, N = 256 (4 096 points) × 20 replications
                        #         = 81 920 paired replications: hours on a 2-core machine
    make bench-smoke    # SIFSIM_BENCH_SMOKE=1: the 3-factor smoke study, 4 years; Morris 1 trajectory,
                        # Sobol N = 8 (48 points), 2 replications a point
    SIFSIM_BENCH_SOBOL_N=8 make bench ARGS="-k sobol"    # a smaller Sobol study, projected to N = 256

``SIFSIM_BENCH_SOBOL_N`` (a power of two >= 8; default the issue's 256, smoke 8) and
``SIFSIM_BENCH_SOBOL_REPLICATIONS`` (default 20, smoke 2) set the Sobol study that runs. The
Sobol study runs exactly one stage of the governor (``sobol_base_samples`` = ``sobol_max_base_samples``
= N, ``max_runs`` = its runs), so its size is known before it starts. Below issue 13's size
(N = 256, 20 replications) the record also gives the **projected** wall time of that size: the
measured design time × (issue-size runs ÷ runs measured), labelled as a projection (linear in
paired replications; at fewer replications a point the per-point start-up weighs more, so the
projection errs high).

Each command runs in a fresh process (its own peak memory); each record — design points, runs,
wall time, CPU, peak memory, and the projection — is a row of the one benchmark table
(``results/benchmarks/benchmark_<date>.md``, :mod:`tests.benchmarks._bench`) and a line of
``results/benchmarks/explore_<date>.md``. Speed is reported, never asserted; the tests assert what
the design must produce (points, replications, a row per point, rule and outcome, the stop).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from . import _bench

pytestmark = pytest.mark.benchmark

#: issue 13's Sobol study size: base sample N and replications a point
ISSUE_SOBOL_N, ISSUE_REPLICATIONS = 256, 20

if _bench.SMOKE:
    COMMON = ("+uncertainty=smoke", "horizon_years=4", "explore.break_even.enabled=false")
    FACTORS, TRAJECTORIES, REPLICATIONS = 3, 1, 2
    SOBOL_N_DEFAULT, SOBOL_R_DEFAULT = 8, 2
else:
    COMMON = ("+uncertainty=default", "explore.break_even.enabled=false")
    FACTORS, TRAJECTORIES, REPLICATIONS = 13, 10, ISSUE_REPLICATIONS
    SOBOL_N_DEFAULT, SOBOL_R_DEFAULT = ISSUE_SOBOL_N, ISSUE_REPLICATIONS
POINTS = TRAJECTORIES * (FACTORS + 2)       # Morris: trajectories × (factors + the dummy + 1)
EXPLORE_LINES: list[str] = []               # this session's lines of explore_<date>.md


def env_int(name: str, default: int, *, power_of_two: bool = False) -> int:
    """An integer from the environment, refused with the variable, the value and what is allowed."""
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < (8 if power_of_two else 2) or (power_of_two and value & (value - 1)):
        allowed = "a power of two >= 8" if power_of_two else "an integer >= 2"
        raise pytest.UsageError(f"{name}={raw!r}: not allowed; allowed: {allowed}")
    return value


SOBOL_N = env_int("SIFSIM_BENCH_SOBOL_N", SOBOL_N_DEFAULT, power_of_two=True)
SOBOL_R = env_int("SIFSIM_BENCH_SOBOL_REPLICATIONS", SOBOL_R_DEFAULT)
SOBOL_POINTS = SOBOL_N * (FACTORS + 3)      # Saltelli without second order: N × (factors + the dummy + 2)
ISSUE_SOBOL_RUNS = ISSUE_SOBOL_N * (FACTORS + 3) * ISSUE_REPLICATIONS


def run_explore(name: str, design_args: tuple[str, ...]) -> tuple[list[str], dict, pd.DataFrame, dict]:
    """Run ``sifsim explore`` in a fresh process; (command, study.json, points table, measurement).

    The command runs under ``bench_worker.py`` as its subreaper, so the CPU column counts the
    chunk workers too (children of the command's fork server, which no ``RUSAGE_CHILDREN`` of
    this process would see)."""
    with tempfile.TemporaryDirectory(prefix=f"sifsim-bench-{name}-") as tmp:
        folder = Path(tmp) / "study"
        cmd = [sys.executable, "-m", "simulation", "explore", *design_args, *COMMON,
               f"explore.output_dir={folder}", "progress=false"]
        workload = _bench.Workload(name, "explore_command", (), describe="")
        measured_run = _bench.run_worker(workload, spec_extra={"command": cmd, "workdir": str(_bench.REPO)})
        assert measured_run["returncode"] == 0, measured_run["stderr_tail"]
        record = json.loads((folder / "study.json").read_text())
        table = pd.read_parquet(folder / "explore_points.parquet")
    measured = {key: measured_run[key] for key in ("wall_s", "cpu_s", "maxrss_kb", "loadavg_1m")}
    return cmd, record, table, measured


def ran_replications(table: pd.DataFrame, replications: int) -> bool:
    """Every point ran ``replications`` paired replications: an outcome's ``replications`` counts the
    ones where it is defined (a ratio can be undefined in some), so it is at most that, and the
    attributable saving is defined in all of them."""
    pv = table[table["outcome"] == "attributable_saving_pv_sek"]
    return bool(table["replications"].between(1, replications).all() and len(pv)
                and pv["replications"].eq(replications).all() and pv["point"].nunique() == table["point"].nunique())


def projection(design_s: float, runs: int, target_runs: int) -> float:
    """Projected design time of ``target_runs`` paired replications from a measured design: linear in runs."""
    return design_s * target_runs / runs


def fmt_duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.0f} s"


def remember(name: str, cmd: list[str], record: dict, measured: dict, points: int, replications: int,
             describe: str, extra: str = "") -> dict:
    """A row of the one benchmark table (kind ``explore``) and a line of explore_<date>.md."""
    design_s = float(record["wall_time_s"]["design"])
    row = {"name": name, "kind": "explore", "describe": describe, **measured,
           "timings_s": {"design": design_s}, "points": points, "replications": replications,
           "runs": points * replications, "note": extra, "command": " ".join(cmd[2:-2])}
    _bench.RESULTS.append(row)
    line = (f"{name}: {points} points × {replications} replications = {points * replications} paired "
            f"replications; wall {measured['wall_s']:.1f} s (design {design_s:.1f} s), CPU {measured['cpu_s']:.1f} s, "
            f"peak RSS of a child {measured['maxrss_kb'] / 1024:.0f} MB, load {measured['loadavg_1m']:.1f}"
            + (f"; {extra}" if extra else ""))
    print("\n" + line)
    EXPLORE_LINES.append(f"{row['command']}\n\n{line}\n")
    out = _bench.REPO / "results" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"explore_{dt.date.today():%Y-%m-%d}{'_smoke' if _bench.SMOKE else ''}.md"
    path.write_text(f"# sifsim explore benchmark{' (SMOKE)' if _bench.SMOKE else ''}\n\n"
                    + "\n".join(EXPLORE_LINES)
                    + f"\nmachine: {_bench.machine()}\nversions: {_bench.versions()}\ngit: {_bench.git_head()}\n",
                    encoding="utf-8")
    return row


def test_morris_screening_of_the_default_scenario():
    cmd, record, table, measured = run_explore(
        "morris", ("explore.design=morris", f"explore.trajectories={TRAJECTORIES}", f"explore.replications={REPLICATIONS}"))
    assert record["stop"]["points"] == POINTS and record["stop"]["runs"] == POINTS * REPLICATIONS
    assert table["point"].nunique() == POINTS and ran_replications(table, REPLICATIONS)
    assert table.groupby(["point", "rule", "outcome"]).size().eq(1).all()
    remember("explore_morris", cmd, record, measured, POINTS, REPLICATIONS,
             f"`sifsim explore` Morris screening, {'smoke study (3 factors, 4 years)' if _bench.SMOKE else 'default scenario, the default uncertainty set'}: "
             f"{FACTORS} factors + the dummy, {TRAJECTORIES} trajectories, {REPLICATIONS} paired replications a point, all cores")


def test_sobol_study_of_the_default_scenario():
    runs = SOBOL_POINTS * SOBOL_R
    cmd, record, table, measured = run_explore(
        "sobol", ("explore.design=sobol", f"explore.sobol_base_samples={SOBOL_N}",
                  f"explore.sobol_max_base_samples={SOBOL_N}", f"explore.replications={SOBOL_R}",
                  f"explore.max_runs={runs}"))
    stop = record["stop"]
    assert stop["base_samples"] == SOBOL_N and stop["points"] == SOBOL_POINTS and stop["runs"] == runs
    assert stop["reason"] in ("converged", "run budget")          # one stage: the governor cannot double
    assert table["point"].nunique() == SOBOL_POINTS and ran_replications(table, SOBOL_R)
    assert table.groupby(["point", "rule", "outcome"]).size().eq(1).all()
    # a fresh folder: nothing reused; a point equal to another (an integer factor drawn to the same
    # value in the A and B rows a Saltelli row mixes) is one config, run once
    assert stop["points_run"] == table["point_hash"].nunique() <= SOBOL_POINTS
    design_s = float(record["wall_time_s"]["design"])
    issue_size = f"N = {ISSUE_SOBOL_N} × {ISSUE_REPLICATIONS} replications ({ISSUE_SOBOL_RUNS:,} paired replications)"
    if _bench.SMOKE:
        extra = "smoke size: no projection (another study, 3 factors over 4 years)"
    elif (SOBOL_N, SOBOL_R) == (ISSUE_SOBOL_N, ISSUE_REPLICATIONS):
        extra = f"measured at issue 13's size {issue_size} (goal ≤ 30 min on 2 cores)"
    else:
        projected = projection(design_s, runs, ISSUE_SOBOL_RUNS)
        extra = (f"**projection** for {issue_size}: ≈{fmt_duration(projected)} "
                 f"(measured design time × {ISSUE_SOBOL_RUNS:,} / {runs:,} runs; not measured; goal ≤ 30 min on 2 cores)")
    remember("explore_sobol", cmd, record, measured, SOBOL_POINTS, SOBOL_R,
             f"`sifsim explore` Sobol study, {'smoke study (3 factors, 4 years)' if _bench.SMOKE else 'default scenario, the default uncertainty set'}: "
             f"{FACTORS} factors + the dummy, N = {SOBOL_N} ({SOBOL_POINTS} points), {SOBOL_R} paired replications a point, "
             "one governor stage, all cores", extra)


def test_the_projection_is_linear_in_paired_replications():
    """The arithmetic the README's projection rests on: time per paired replication × runs."""
    assert projection(120.0, 240, ISSUE_SOBOL_RUNS) == pytest.approx(0.5 * ISSUE_SOBOL_RUNS)
    if not _bench.SMOKE:
        assert ISSUE_SOBOL_RUNS == 81_920          # 13 factors + the dummy: 4 096 points × 20
