"""Sweeps through the real command: aggregation, launchers giving identical tables, failure and resume.

One 2 × 2 grid of tiny jobs (2 replications, 2 years) is run serially (Hydra's
basic launcher) and with joblib; the two sweep tables must be identical apart
from timing. A third copy fails on purpose for two jobs and loses one job's
result, and is then re-run into the same folder: only the jobs without a
complete result run again, and the table ends identical to the clean one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from simulation.app import grid, sweep

# workers=1: replications in the job's own process (where Hydra configured logging); a pool of
# two for two tiny replications would only cost start-up time
GRID = ["replications=2", "horizon_years=4", "charts=false", "workers=1",
        "intervention.effect_scale=0,1", "economy.discount_rate=0,0.5"]
TIMING = ["wall_time_s"]


FAILING_JOB = Path(__file__).with_name("failing_job.py")


def sifsim(*args: str, cwd: Path, fail: str | None = None) -> subprocess.CompletedProcess:
    """The real command; with ``fail``, every job whose overrides include it raises (tests/failing_job.py)."""
    command = ["-m", "simulation"] if fail is None else [str(FAILING_JOB), fail]
    return subprocess.run([sys.executable, *command, *args], cwd=cwd, text=True,
                          capture_output=True, env=dict(os.environ), timeout=600)


def table(sweep_dir: Path) -> pd.DataFrame:
    return pd.read_csv(sweep_dir / "sweep_summary.csv")


def jobs(sweep_dir: Path) -> pd.DataFrame:
    return sweep.job_status(table(sweep_dir)).set_index("job")


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    """The grid with Hydra's basic launcher. Mesa's logger is set back to INFO here only, as the
    control for the joblib sweep's quiet logs (a hydra.* override: not a job override)."""
    cwd = tmp_path_factory.mktemp("serial")
    proc = sifsim("-m", *GRID, f"hydra.sweep.dir={cwd / 'sweep'}",
                  "hydra.job_logging.loggers.MESA.level=INFO", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return cwd / "sweep"


@pytest.fixture(scope="module")
def parallel(tmp_path_factory) -> Path:
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    cwd = tmp_path_factory.mktemp("joblib")
    proc = sifsim("-m", *GRID, f"hydra.sweep.dir={cwd / 'sweep'}", "hydra/launcher=joblib",
                  "hydra.launcher.n_jobs=2", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return cwd / "sweep"


def test_sweep_table_has_a_row_per_job_and_metric_with_overrides_as_columns(serial):
    t = table(serial)
    assert list(t.columns[:8]) == ["job", "status", "replications", "horizon_years", "charts", "workers",
                                   "intervention.effect_scale", "economy.discount_rate"]
    assert list(t.columns[8:]) == ["rule", "metric", "mean", "p10", "p50", "p90", "error", "wall_time_s"]
    assert (t["status"] == "ok").all() and t["error"].isna().all()
    grid = t.drop_duplicates("job")[["job", "intervention.effect_scale", "economy.discount_rate"]]
    assert grid.values.tolist() == [[0, 0, 0.0], [1, 0, 0.5], [2, 1, 0.0], [3, 1, 0.5]]
    for job in range(4):  # each job's rows are exactly what that job wrote
        own = pd.read_csv(serial / str(job) / "summary.csv")
        rows = t[t["job"] == job][own.columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, own)
    parquet = pd.read_parquet(serial / "sweep_summary.parquet")
    assert len(parquet) == len(t) and list(parquet.columns) == list(t.columns)
    assert not [p for p in serial.rglob("*") if ".tmp-" in p.name], "temporary files left behind"


def test_job_numbers_are_those_sifsim_validate_lists(serial):
    expected = grid.expand_grid({}, GRID)
    for job, overrides in enumerate(expected):
        assert yaml.safe_load((serial / str(job) / ".hydra" / "overrides.yaml").read_text()) == overrides


def test_joblib_and_serial_sweeps_give_identical_tables(serial, parallel):
    a = table(serial).drop(columns=TIMING)
    b = table(parallel).drop(columns=TIMING)
    pd.testing.assert_frame_equal(a, b)
    assert (serial / "sweep_summary.csv").read_text().count("\n") == len(a) + 1


def test_joblib_jobs_run_their_replications_serially_unless_told(tmp_path):
    """The default `workers: null` would start a pool inside each loky worker (which fails)."""
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    proc = sifsim("-m", "replications=2", "horizon_years=4", "charts=false", "seed=1,2",
                  f"hydra.sweep.dir={tmp_path / 'sweep'}", "hydra/launcher=joblib", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert jobs(tmp_path / "sweep")["status"].tolist() == ["ok", "ok"]
    for job in (0, 1):
        assert yaml.safe_load((tmp_path / "sweep" / str(job) / "config.yaml").read_text())["workers"] == 1


def test_mesa_is_quiet_under_joblib(serial, parallel):
    # control: with MESA at INFO every model step is logged in the job's log file
    assert "[MESA" in (serial / "0" / "sifsim.log").read_text()
    for job in range(4):
        assert "[MESA" not in (parallel / str(job) / "sifsim.log").read_text()


def test_submitit_local_gives_the_same_rows(serial, tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    grid = [a for a in GRID if not a.startswith("economy.discount_rate")] + ["economy.discount_rate=0.5"]
    proc = sifsim("-m", *grid, f"hydra.sweep.dir={tmp_path / 'sweep'}", "hydra/launcher=submitit_local",
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    got = table(tmp_path / "sweep").drop(columns=TIMING + ["job"])
    ref = table(serial)
    ref = ref[ref["economy.discount_rate"] == 0.5].drop(columns=TIMING + ["job"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ref)


def test_failed_jobs_are_listed_and_a_rerun_completes_only_what_is_missing(serial, tmp_path):
    sweep_dir = tmp_path / "sweep"
    first = sifsim("-m", *GRID, f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path,
                   fail="economy.discount_rate=0.5")             # jobs 1 and 3 raise
    assert first.returncode == 1, first.stderr                  # the sweep says a job failed ...
    status = jobs(sweep_dir)
    assert status["status"].tolist() == ["ok", "failed", "ok", "failed"]   # ... and the others ran
    assert status.loc[1, "error"].startswith("RuntimeError: injected failure")
    assert (sweep_dir / "1" / "error.json").exists() and not (sweep_dir / "1" / "done.json").exists()
    assert "job 1: failed: RuntimeError" in first.stdout

    # job 2 "was killed": its result is incomplete
    (sweep_dir / "2" / "summary.csv").unlink()
    assert sweep.aggregate_main([str(sweep_dir)]) == 1
    assert jobs(sweep_dir).loc[2, "status"] == "incomplete"

    kept = {p: p.stat().st_mtime_ns for p in (sweep_dir / "0").iterdir() if p.is_file()
            and p.suffix != ".log"}
    second = sifsim("-m", *GRID, f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "job 0: complete result already in" in second.stdout
    assert {p: p.stat().st_mtime_ns for p in kept} == kept, "a finished job was run again"
    assert not (sweep_dir / "1" / "error.json").exists()
    pd.testing.assert_frame_equal(table(sweep_dir).drop(columns=TIMING), table(serial).drop(columns=TIMING))


def test_aggregate_lists_missing_and_stale_jobs(serial, tmp_path):
    import shutil
    sweep_dir = tmp_path / "sweep"
    shutil.copytree(serial, sweep_dir)
    shutil.rmtree(sweep_dir / "3")                                   # never started
    overrides = sweep_dir / "2" / ".hydra" / "overrides.yaml"        # from another grid
    overrides.write_text(overrides.read_text().replace("economy.discount_rate=0", "economy.discount_rate=0.9"))
    assert sweep.aggregate_main([str(sweep_dir)]) == 1
    status = sweep.job_status(table(sweep_dir))
    assert list(zip(status["job"], status["status"])) == [
        (0, "ok"), (1, "ok"), (2, "stale"), (2, "missing"), (3, "missing")]
    per_job = len(table(serial)) // 4
    assert len(table(sweep_dir)) == 2 * per_job + 3


def test_a_sweep_with_hydra_flags_is_checked_before_any_job_starts(tmp_path):
    """Hydra's flags (-cn) no longer bypass the pre-check: a bad job stops the sweep before it starts."""
    proc = sifsim("-m", "-cn", "config", "replications=1", "horizon_years=4", "charts=false",
                  "seed=-1,1", f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("sweep not started")
    assert "seed=-1: expected a number >= 0" in proc.stderr
    assert not (tmp_path / "sweep").exists()


def test_a_failing_single_run_exits_non_zero_and_keeps_its_error(tmp_path):
    proc = sifsim("replications=1", "horizon_years=4", "charts=false", f"hydra.run.dir={tmp_path / 'run'}",
                  cwd=tmp_path, fail="replications=1")
    assert proc.returncode != 0
    assert "injected failure" in proc.stderr
    assert (tmp_path / "run" / "error.json").exists()
    assert not (tmp_path / "run" / "done.json").exists()
