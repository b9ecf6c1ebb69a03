"""No lost files (issue 9): a failed run never removes what sifsim did not create.

The repro of the issue: a copy of an earlier run (or the working directory
itself) as ``hydra.run.dir`` together with a bad value, with and without
Hydra's own flags. Every file that was there before must be there after,
byte for byte, and the run must still be refused with exit 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def sifsim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation", *args], cwd=cwd, text=True,
                          capture_output=True, env=dict(os.environ), timeout=300)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def earlier_run(folder: Path) -> Path:
    """A folder that looks like an earlier run (tables, Hydra's files, a log)."""
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "config.yaml").write_text("seed: 7\n")
    (folder / "summary.csv").write_text("rule,metric,mean\nmalmo_2012,repaid_share,0.5\n")
    (folder / "sifsim.log").write_text("an earlier run's log\n")
    (folder / "notes.txt").write_text("the user's own notes\n")
    return folder


FLAGS = {
    "no_flags": [],
    "config_name": ["--config-name", "config"],
    "short_config_name": ["-cn", "config"],
    "config_path": ["--config-path", "../../conf"],
}


@pytest.mark.parametrize("flags", sorted(FLAGS), ids=str)
def test_a_failed_run_into_an_existing_folder_leaves_it_as_it_was(flags, tmp_path):
    victim = earlier_run(tmp_path / "victim")
    before = snapshot(victim)
    proc = sifsim(*FLAGS[flags], f"hydra.run.dir={victim}", "horizon_years=500", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "horizon_years=500" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(victim) == before


def test_a_failed_run_into_the_working_directory_removes_nothing(tmp_path):
    earlier_run(tmp_path)
    before = snapshot(tmp_path)
    proc = sifsim("-cn", "config", "hydra.run.dir=.", "horizon_years=500", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert snapshot(tmp_path) == before


def test_a_failed_run_with_an_extra_config_dir_is_refused_before_hydra_starts(tmp_path):
    extra = tmp_path / "my_conf" / "municipality"
    extra.mkdir(parents=True)
    (extra / "orebro.yaml").write_text("name: orebro\nlabel: Örebro\n")
    victim = earlier_run(tmp_path / "victim")
    before = snapshot(victim)
    proc = sifsim("--config-dir", str(tmp_path / "my_conf"), "municipality=orebro",
                  f"hydra.run.dir={victim}", "seed=-1", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    problems = [line.strip() for line in proc.stderr.splitlines() if line.strip().startswith("- ")]
    assert len(problems) == 1 and problems[0].startswith("- seed=-1"), proc.stderr  # orebro was found
    assert snapshot(victim) == before


def test_a_successful_run_marks_the_folder_it_created_and_keeps_foreign_files(tmp_path):
    """A run into a new folder creates it (marked as sifsim's); nothing foreign is touched."""
    from simulation.app.run_folder import MARKER
    (tmp_path / "notes.txt").write_text("mine")
    run = tmp_path / "results" / "new"
    proc = sifsim("replications=1", "horizon_years=4", "charts=false", "progress=false",
                  f"hydra.run.dir={run}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (run / MARKER).is_file() and (run / "summary.csv").is_file()
    assert (tmp_path / "notes.txt").read_text() == "mine"
