"""Issue 9, faults and concurrency: messages instead of tracebacks, the sweep lock, resume keyed on
the resolved config, a restart removes its earlier attempt's files, SIGTERM leaves nothing running."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulation.app import sweep
from tests.test_validation import run_main  # the one helper that runs `sifsim` in-process

# a quick valid run: no intervention (no project window to cover), one short replication
QUICK = ["intervention=none", "replications=1", "horizon_years=1", "charts=false", "progress=false",
         "workers=1"]


def sifsim(*args: str, cwd: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation", *args], cwd=cwd, text=True,
                          capture_output=True, env=dict(os.environ), timeout=600, **kw)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("run")
    proc = sifsim(*QUICK, f"hydra.run.dir={root / 'run'}", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root / "run"


def copy_run(run_folder: Path, dest: Path) -> Path:
    shutil.copytree(run_folder, dest)
    return dest


# --- messages, not tracebacks --------------------------------------------------------------

@pytest.mark.parametrize("argv, expected", [
    (["reprot", "x"], "unknown command 'reprot'; did you mean report?"),
    (["valdate"], "did you mean validate?"),
    (["-cn", "nosuch"], "--config-name=nosuch: no such primary config"),
    (["--config-name=confg"], "did you mean config?"),
])
def test_misspelt_commands_and_configs_are_named(argv, expected, tmp_path, monkeypatch, capsys):
    code, _, err = run_main(argv, tmp_path, monkeypatch, capsys)
    assert code == 2 and expected in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def report(folder: Path, cwd: Path) -> subprocess.CompletedProcess:
    return sifsim("report", str(folder), cwd=cwd)


def test_report_refuses_folders_it_cannot_use(run_folder, tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "notes.txt").write_text("x")
    interrupted = copy_run(run_folder, tmp_path / "interrupted")
    (interrupted / "summary.csv").unlink()
    truncated = copy_run(run_folder, tmp_path / "truncated")
    data = (truncated / "ledger.parquet").read_bytes()
    (truncated / "ledger.parquet").write_bytes(data[: len(data) // 2])
    for folder, words in [(tmp_path / "plain", "neither a sifsim run folder"),
                          (tmp_path / "missing", "no such folder"),
                          (interrupted, "an interrupted run (no summary.csv)"),
                          (truncated, "ledger.parquet: unreadable table")]:
        before = sorted(p.name for p in folder.iterdir()) if folder.exists() else None
        proc = report(folder, tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert words in proc.stderr and "Traceback" not in proc.stderr
        assert (sorted(p.name for p in folder.iterdir()) if folder.exists() else None) == before


def test_report_warns_on_a_run_without_done_json(run_folder, tmp_path):
    killed = copy_run(run_folder, tmp_path / "killed")
    (killed / "done.json").unlink()
    proc = sifsim("report", str(killed), "--language", "en", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "warning" in proc.stderr and "no done.json" in proc.stderr


def test_report_refuses_a_folder_of_another_layout_and_warns_on_another_version(run_folder, tmp_path):
    from simulation import __version__
    from simulation.app.outputs import RUN_FOLDER_LAYOUT
    written = json.loads((run_folder / "manifest.json").read_text())
    assert written["layout"] == RUN_FOLDER_LAYOUT and written["sifsim_version"] == __version__

    future = copy_run(run_folder, tmp_path / "future")
    (future / "manifest.json").write_text(json.dumps({**written, "layout": RUN_FOLDER_LAYOUT + 1,
                                                      "sifsim_version": "9.0.0"}))
    before = sorted(p.name for p in future.rglob("*"))
    proc = report(future, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"written by sifsim 9.0.0 in run-folder layout {RUN_FOLDER_LAYOUT + 1}" in proc.stderr
    assert "nothing written" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in future.rglob("*")) == before

    older = copy_run(run_folder, tmp_path / "older")
    (older / "manifest.json").write_text(json.dumps({**written, "sifsim_version": "0.1.9"}))
    proc = sifsim("report", str(older), "--language", "en", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "was written by sifsim 0.1.9, this is" in proc.stderr
    assert (older / "report.html").is_file()

    unknown = copy_run(run_folder, tmp_path / "unknown")
    (unknown / "manifest.json").unlink()
    proc = sifsim("report", str(unknown), "--language", "en", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "no readable manifest.json: the version that wrote it is unknown" in proc.stderr


def test_aggregate_refuses_a_run_folder(run_folder, tmp_path):
    folder = copy_run(run_folder, tmp_path / "run")
    before = sorted(p.name for p in folder.iterdir())
    proc = sifsim("aggregate", str(folder), cwd=tmp_path)
    assert proc.returncode == 2 and "is a run folder, not a sweep folder" in proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == before


# --- the sweep lock ------------------------------------------------------------------------

def test_a_second_sweep_into_a_locked_dir_is_refused(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        sweep_dir = tmp_path / "sweep"
        sweep_dir.mkdir()
        (sweep_dir / sweep.LOCK).write_text(json.dumps({"pid": holder.pid, "started": "now"}))
        proc = sifsim("-m", *QUICK, "seed=1,2", f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert f"another sweep (pid {holder.pid}" in proc.stderr and "Traceback" not in proc.stderr
        assert sorted(p.name for p in sweep_dir.iterdir()) == [sweep.LOCK], "nothing else written"
    finally:
        holder.kill()
        holder.wait()


def test_a_stale_lock_is_taken_over_and_the_lock_is_removed_at_the_end(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    (sweep_dir / sweep.LOCK).write_text(json.dumps({"pid": dead.pid}))
    proc = sifsim("-m", *QUICK, "seed=1", f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (sweep_dir / "0" / "done.json").is_file()
    assert not (sweep_dir / sweep.LOCK).exists()


def test_acquire_lock_refuses_a_live_holder_and_releases_only_its_own(tmp_path):
    path = sweep.acquire_lock(tmp_path)
    assert json.loads(path.read_text())["pid"] == os.getpid()
    sweep.release_lock(tmp_path)
    assert not path.exists()
    path.write_text(json.dumps({"pid": os.getppid()}))
    with pytest.raises(sweep.SweepLocked, match="another sweep"):
        sweep.acquire_lock(tmp_path)
    sweep.release_lock(tmp_path)
    assert path.exists(), "someone else's lock is left alone"


# --- resume keyed on the resolved config; a restart removes its earlier attempt ---------------

def test_editing_conf_does_not_resume_into_stale_results(tmp_path):
    conf = tmp_path / "conf"
    shutil.copytree(Path(__file__).resolve().parents[1] / "conf", conf)
    sweep_dir = tmp_path / "sweep"
    args = ["-m", "-cp", str(conf), *QUICK, "seed=1", f"hydra.sweep.dir={sweep_dir}"]
    assert sifsim(*args, cwd=tmp_path).returncode == 0
    first = json.loads((sweep_dir / "0" / "done.json").read_text())
    again = sifsim(*args, cwd=tmp_path)
    assert "skipped" in again.stdout + again.stderr, "same config: resumed"
    econ = conf / "economy" / "sweden_2017.yaml"
    econ.write_text(econ.read_text().replace("discount_rate: 0.", "discount_rate: 0.0", 1))
    proc = sifsim(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "skipped" not in proc.stdout + proc.stderr, "a changed conf/ must re-run the job"
    second = json.loads((sweep_dir / "0" / "done.json").read_text())
    assert second["config_hash"] != first["config_hash"]


def test_a_restart_removes_only_its_earlier_attempts_files(tmp_path):
    job = tmp_path / "0"
    job.mkdir()
    (job / "notes.txt").write_text("the user's")
    sweep.start_job(job)                                    # attempt 1 starts: notes.txt was there
    for name in ("summary.csv", "report.html", "chart.png"):
        (job / name).write_text(name)
    sweep.write_done(job, ["seed=1"], 0, 1.0, "abc")
    (job / "chart.png").unlink()
    (job / "late.png").write_text("written after done.json by attempt 1")
    removed = sweep.start_job(job)                          # attempt 2 (a different config)
    assert removed == ["late.png", "report.html", "summary.csv"]
    assert sorted(p.name for p in job.iterdir()) == [sweep.ATTEMPT, "notes.txt"]


# --- SIGTERM leaves nothing running ------------------------------------------------------------

def _descendants(pid: int) -> list[int]:
    return sweep._children(pid)


def test_sigterm_to_a_joblib_sweep_leaves_no_worker_running(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    proc = subprocess.Popen([sys.executable, "-m", "simulation", "-m", "replications=40",
                             "horizon_years=25", "charts=false", "sweep_charts=false", "seed=1,2",
                             f"hydra.sweep.dir={tmp_path / 'sweep'}", "hydra/launcher=joblib",
                             "hydra.launcher.n_jobs=2"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: set[int] = set()
    deadline = time.time() + 120
    while time.time() < deadline and not (tmp_path / "sweep" / "0" / ".hydra").is_dir():
        seen |= set(_descendants(proc.pid))
        time.sleep(0.2)
    time.sleep(1.0)
    seen |= set(_descendants(proc.pid))
    assert seen, "the sweep started no worker"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    time.sleep(3.0)
    alive = [p for p in seen if sweep._alive(p) and not sweep._zombie(p)]
    assert alive == [], f"workers still running after SIGTERM: {alive}\n{err}"
    assert not list((tmp_path / "sweep").glob("*/done.json")), "no job may finish after the parent died"
