"""The order of the work after the simulation (issue 15): the same files, whatever the order.

``sifsim`` writes the Parquet tables and ``config.yaml`` first, starts the chart workers (forked
from a fork server that imported the chart modules while the tables were written), writes the
CSVs and the workbook while they draw, then the report. A run with ``workers=2`` must leave
exactly the files, byte for byte, of a run with ``workers=1`` (everything in one process, in the
old order), timings aside.
"""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir

from scenarios.registry import register_configs
from simulation.app import outputs, task
from simulation.app.config import CONF_DIR
from simulation.present import files
from simulation.present.charts import parallel

SKIPPED = {"sifsim.log", "done.json", ".sifsim-created.json", "manifest.json"}


def run_into(folder: Path, workers: int) -> dict[str, bytes]:
    register_configs()
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["replications=2", "horizon_years=5", "progress=false",
                                           f"workers={workers}", "language=en"])
    assert task.execute(cfg, folder) == 0
    out = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
           if p.is_file() and p.name not in SKIPPED}
    # the report cites the config hash, which covers `workers`
    config_hash = json.loads((folder / "manifest.json").read_text())["config_hash"].encode()
    assert config_hash in out["report.html"]
    out["report.html"] = out["report.html"].replace(config_hash, b"<config hash>")
    return out


def test_charts_started_before_the_csvs_leave_the_same_files_as_a_serial_run(tmp_path, capsys):
    # the same folder name in two places: the workbook's about sheet names the folder
    serial = run_into(tmp_path / "serial" / "run", workers=1)
    parallel_files = run_into(tmp_path / "parallel" / "run", workers=2)
    assert sorted(serial) == sorted(parallel_files)
    assert sum(name.endswith(".png") for name in serial) >= 2 and "ledger.csv" in serial
    for name in serial:
        if name == "config.yaml":        # says `workers`, the one key the two runs differ in
            same = [line for line in serial[name].splitlines() if not line.startswith(b"workers:")]
            assert same == [line for line in parallel_files[name].splitlines() if not line.startswith(b"workers:")]
            continue
        assert serial[name] == parallel_files[name], f"{name} differs when the charts start early"
    record = json.loads((tmp_path / "parallel" / "run" / "manifest.json").read_text())
    assert {"summarise", "write_tables", "charts_and_report"} <= set(record["wall_time_s"])


def test_the_fork_server_preloads_the_chart_modules():
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server on this platform: the chart workers are spawned")
    context = parallel.chart_context()
    assert context.get_start_method() == "forkserver"
    from multiprocessing import forkserver
    preload = forkserver._forkserver._preload_modules
    assert set(parallel.PRELOAD) <= set(preload) and "__main__" not in preload


def test_tables_written_in_two_passes_are_those_of_one(tmp_path):
    from tests.support import make_config
    from simulation.core.runner import run
    results = run(make_config("replications=1", "horizon_years=4", "workers=1"))
    outputs.write_run_tables(results, tmp_path / "one")
    outputs.write_run_tables(results, tmp_path / "two", csv=False)
    assert not list((tmp_path / "two").glob("*.csv")) and (tmp_path / "two" / "config.yaml").exists()
    outputs.write_run_tables(results, tmp_path / "two", parquet=False)
    one = {p.name: p.read_bytes() for p in (tmp_path / "one").iterdir()}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()}
    assert one == two and len(one) == 2 * len(outputs.RUN_TABLES) + 1


def test_the_config_is_structured_once_unless_it_changed():
    from tests.support import make_config
    config = make_config("replications=1")
    first = outputs.structured(config)
    assert outputs.structured(config) is first
    config.replications = 2                      # changed in place: a new node, the new value
    assert outputs.structured(config) is not first and outputs.structured(config).replications == 2


def test_read_config_gives_what_the_pure_python_parser_gives(tmp_path):
    """libyaml (when PyYAML has it) and PyYAML's own parser agree on every conf file and on a
    run's config.yaml."""
    from tests.support import make_config
    from simulation.core.runner import run
    outputs.write_run_tables(run(make_config("replications=1", "horizon_years=4", "workers=1")), tmp_path)
    assert files.read_config(tmp_path) == yaml.safe_load((tmp_path / "config.yaml").read_text(encoding="utf-8"))
    for path in sorted(Path(CONF_DIR).rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=files.SAFE_LOADER) == yaml.safe_load(text), path
