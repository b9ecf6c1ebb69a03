"""Fixtures for the chart and report tests: one small saved run folder per session.

Imported by tests/present/test_charts.py and test_report.py (not a conftest, so it never
clashes with other fixtures). The model runs once per process: a module-level cache keeps
the folder even though each test module registers the fixture for itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPLICATIONS = 3
HORIZON_YEARS = 6
_CACHE: dict[str, Path] = {}


def make_run_folder(folder: Path) -> Path:
    """Compose the default config as the CLI does, run it small, and write the run's tables."""
    from hydra import compose, initialize_config_dir

    from scenarios.registry import register_configs
    from simulation.app.config import CONF_DIR, to_typed
    from simulation.app.outputs import write_run
    from simulation.core.runner import run

    register_configs()
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[f"replications={REPLICATIONS}", f"horizon_years={HORIZON_YEARS}",
                                           "charts=false", "progress=false"])
    results = run(to_typed(cfg), progress=False)
    write_run(results, folder)
    return folder


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory) -> Path:
    """A run folder with tables only (no charts, no report): copy it before writing into it."""
    if "run" not in _CACHE:
        _CACHE["run"] = make_run_folder(tmp_path_factory.mktemp("run") / "run")
    return _CACHE["run"]


def copy_run(run_folder: Path, target: Path) -> Path:
    shutil.copytree(run_folder, target)
    return target


@pytest.fixture(scope="session")
def tables(run_folder) -> dict[str, pd.DataFrame]:
    return {stem: pd.read_parquet(run_folder / f"{stem}.parquet")
            for stem in ("ledger", "population", "repayment", "years", "per_replication", "summary", "budget")}


@pytest.fixture(scope="session")
def run_config(run_folder) -> dict:
    return yaml.safe_load((run_folder / "config.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def built_reports(run_folder, tmp_path_factory) -> dict[str, Path]:
    """{language: a copy of the run folder with charts and report.html built in that language}."""
    if "reports" not in _CACHE:
        from simulation.present.report import build_report
        out = {}
        for lang in ("sv", "en"):
            folder = copy_run(run_folder, tmp_path_factory.mktemp(f"report_{lang}") / "run")
            build_report(folder, lang)
            out[lang] = folder
        _CACHE["reports"] = out
    return _CACHE["reports"]
