"""Benchmark (issue 13): a Morris screening of the default scenario at study size, through ``sifsim explore``.

    make bench          # full: 12 factors + the dummy, 10 trajectories (140 points) × 20 replications
    make bench-smoke    # SIFSIM_BENCH_SMOKE=1: the 3-factor smoke study, 1 trajectory × 2 replications, 4 years

The command runs in a fresh process (its own peak memory); the record — runs, wall time, CPU,
peak memory — is printed and written to ``results/benchmarks/explore_<date>.md``. Speed is
reported, never asserted; the test asserts what the design must produce (points, replications,
a row per point, rule and outcome).
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from . import _bench

pytestmark = pytest.mark.benchmark

if _bench.SMOKE:
    STUDY = ("+uncertainty=smoke", "explore.trajectories=1", "explore.replications=2", "horizon_years=4",
             "explore.break_even.enabled=false")
    FACTORS, TRAJECTORIES, REPLICATIONS = 3, 1, 2
else:
    STUDY = ("+uncertainty=default", "explore.trajectories=10", "explore.replications=20",
             "explore.break_even.enabled=false")
    FACTORS, TRAJECTORIES, REPLICATIONS = 12, 10, 20
POINTS = TRAJECTORIES * (FACTORS + 2)       # Morris: trajectories × (factors + the dummy + 1)


def test_morris_screening_of_the_default_scenario():
    with tempfile.TemporaryDirectory(prefix="sifsim-bench-explore-") as tmp:
        folder = Path(tmp) / "study"
        cmd = [sys.executable, "-m", "simulation", "explore", "explore.design=morris", *STUDY,
               f"explore.output_dir={folder}", "progress=false"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=_bench.REPO, capture_output=True, text=True)
        wall_s = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert proc.returncode == 0, proc.stderr[-4000:]
        record = json.loads((folder / "study.json").read_text())
        table = pd.read_parquet(folder / "explore_points.parquet")
    assert record["stop"]["points"] == POINTS and record["stop"]["runs"] == POINTS * REPLICATIONS
    assert table["point"].nunique() == POINTS and table["replications"].eq(REPLICATIONS).all()
    assert table.groupby(["point", "rule", "outcome"]).size().eq(1).all()
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    line = (f"explore_morris: {POINTS} points × {REPLICATIONS} replications = {POINTS * REPLICATIONS} paired "
            f"replications; wall {wall_s:.1f} s (design {record['wall_time_s']['design']:.1f} s), "
            f"CPU {cpu_s:.1f} s, peak RSS of a child {after.ru_maxrss / 1024:.0f} MB")
    print("\n" + line)
    out = _bench.REPO / "results" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"explore_{dt.date.today():%Y-%m-%d}{'_smoke' if _bench.SMOKE else ''}.md"
    path.write_text(f"# sifsim explore benchmark{' (SMOKE)' if _bench.SMOKE else ''}\n\n"
                    f"{' '.join(cmd[2:-2])}\n\n{line}\n\nmachine: {_bench.machine()}\n"
                    f"versions: {_bench.versions()}\ngit: {_bench.git_head()}\n", encoding="utf-8")
