"""The warm fork server (simulation/app/warm.py): workers start ready, and change nothing (issue 15).

Replication r's tables must be the same from a worker forked by the warm server, from a spawned
one and from a serial run; the server must hold the model and its compiled loops, and none of
the main process's state; and ``sifsim`` starts it only for commands that run pools.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from simulation.app import cli, warm
from simulation.core.runner import run
from tests.support import make_config

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("ledger", "population", "repayment", "years", "per_replication", "summary", "participants",
          "budget")
needs_forkserver = pytest.mark.skipif(not warm.available(), reason="no fork server on this platform")


def test_the_preload_list_holds_the_model_and_its_loops_not_the_chart_modules():
    """The chart modules came last in the server's preload, before its first fork (the first
    replication waited for them): sifsim queues their imports behind the batches, for idle workers."""
    from simulation.present.charts import parallel
    modules = warm.preload_modules()
    assert {"simulation.core.model", "simulation.core.runner", warm.KERNEL_PRELOAD} <= set(modules)
    assert not set(parallel.PRELOAD) & set(modules) and "__main__" not in modules


def test_both_pools_take_their_start_method_from_one_builder(monkeypatch):
    """warm.context (every pool of sifsim) and parallel.chart_context (``sifsim report``'s own
    pool) both come from workers.forkserver_context: the fork server with their preload list
    where the platform has one, spawn where it has none."""
    from multiprocessing import forkserver
    from simulation.present import workers
    from simulation.present.charts import parallel
    monkeypatch.setattr(forkserver._forkserver, "_preload_modules", list(forkserver._forkserver._preload_modules))
    if warm.available():
        assert warm.context().get_start_method() == "forkserver"
        assert forkserver._forkserver._preload_modules == warm.preload_modules()
        assert parallel.chart_context().get_start_method() == "forkserver"
        assert forkserver._forkserver._preload_modules == [*parallel.PRELOAD, *workers.main_module_imports()]
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert warm.context().get_start_method() == "spawn"
    assert parallel.chart_context().get_start_method() == "spawn"


def test_the_preload_outside_the_server_loads_nothing_with_numpy_and_keeps_the_exit_code():
    """The server's preload ends the server with os._exit; anywhere else importing it must leave
    the process's exit alone (a sifsim that exits 2 must still exit 2)."""
    probe = ("import sys, simulation.app.preload as p; "
             "sys.exit(3 if (p.LOADED, p.FAILED, p.in_fork_server()) == (False, '', False) else 4)")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SIFSIM_KERNELS": "numpy"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 3, out.stderr


@needs_forkserver
def test_warm_forked_spawned_and_serial_workers_give_the_same_tables():
    overrides = ("replications=5", "horizon_years=3")
    serial = run(make_config(*overrides, "workers=1"))
    spawned = run(make_config(*overrides, "workers=2"), mp_context=multiprocessing.get_context("spawn"))
    context = warm.context()
    assert context.get_start_method() == "forkserver"
    forked = run(make_config(*overrides, "workers=2"), mp_context=context,
                 worker_environment=warm.worker_environment())
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(spawned, name), check_exact=True)
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(forked, name), check_exact=True)
    assert serial.ledger["replication"].nunique() == 5 and len(serial.ledger) > 0


#: run in a fresh interpreter: this test's own process may already have a fork server (the
#: chart tests start one), and a process's server keeps the preload list it started with
PROBE = textwrap.dedent("""
    import gc, json, os, sys
    from concurrent.futures import ProcessPoolExecutor

    def probe():
        from agents import kernels
        import simulation.app.preload as preload
        return {"pid": os.getpid(), "parent": os.getppid(), "kernels_env": os.environ.get("SIFSIM_KERNELS"),
                "loaded": preload.LOADED, "failed": preload.FAILED, "mesa": "mesa" in sys.modules,
                "compiled": {name: len(d.signatures) for name, d in kernels._COMPILED.items()},
                "secret": globals().get("SECRET"), "frozen": gc.get_freeze_count(),
                "tracked": len(gc.get_objects())}

    if __name__ == "__main__":
        frozen_at_start = gc.get_freeze_count()   # the interpreter's own (375 on 3.12.1)
        from simulation.app import warm
        from simulation.core.runner import use_environment
        os.environ.pop("SIFSIM_KERNELS", None)
        warm.start()
        SECRET = "state of the main process"
        os.environ["SIFSIM_KERNELS"] = "numpy"          # set after the server started
        with ProcessPoolExecutor(1, mp_context=warm.context(), initializer=use_environment,
                                 initargs=(warm.worker_environment(),)) as pool:
            seen = pool.submit(probe).result()
        seen["main_pid"] = os.getpid()
        seen["main_frozen"] = gc.get_freeze_count() - frozen_at_start
        seen["main_has_preload"] = "simulation.app.preload" in sys.modules
        print(json.dumps(seen))
""")


@needs_forkserver
def test_a_warm_worker_has_the_model_and_its_loops_and_none_of_the_main_process(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != "SIFSIM_KERNELS"}
    out = subprocess.run([sys.executable, str(script)], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["failed"] == "" and seen["loaded"] is True
    assert seen["mesa"], "the model (and Mesa) should be imported by the server"
    assert seen["compiled"] and all(n >= 1 for n in seen["compiled"].values()), seen["compiled"]
    # forked by the server, not by the main process, and blind to what the main process did since
    assert seen["parent"] != seen["main_pid"] and seen["secret"] is None
    assert not seen["main_has_preload"], "the main process must not run the tiny replication"
    assert seen["kernels_env"] == "numpy", "a worker follows the main process's SIFSIM_KERNELS"
    # what the server imported and loaded is in the collector's permanent generation: a worker's
    # full collections walk only what it made since (simulation/app/collector.py); far more
    # objects frozen than left to walk. The main process (a library caller) keeps its collector.
    assert seen["frozen"] > 50_000 and seen["frozen"] > 5 * seen["tracked"], seen
    assert seen["main_frozen"] == 0


def test_the_tiny_run_loads_what_a_default_sized_batch_calls():
    """After the preload's tiny run, an Öster-sized batch adds (almost) no compiled signature.

    A signature the tiny run misses is loaded by the worker on first use (a little time, no
    change in a table); more than one missing would mean the tiny run no longer warms the model.
    """
    probe = textwrap.dedent("""
        import json
        import simulation.app.preload as preload
        from agents import kernels
        from scenarios.defaults import load_default_config
        from simulation.core.runner import grants, simulate_rows
        before = {n: set(map(str, d.signatures)) for n, d in kernels._COMPILED.items()}
        config = load_default_config(["replications=8", "horizon_years=4"])
        for grant, case in grants(config).items():
            simulate_rows(case, grant, list(range(8)))
        after = {n: set(map(str, d.signatures)) for n, d in kernels._COMPILED.items()}
        print(json.dumps({"failed": preload.FAILED, "before": len(before),
                          "new": sorted(f"{n}: {s}" for n in after for s in after[n] - before.get(n, set()))}))
    """)
    env = {k: v for k, v in os.environ.items() if k != "SIFSIM_KERNELS"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["failed"] == "" and seen["before"] > 0
    assert len(seen["new"]) <= 1, seen["new"]


@pytest.mark.parametrize("args, wanted", [
    ([], True),
    (["replications=20", "seed=3"], True),
    (["-m", "seed=1,2"], True),
    (["workers=1"], False),
    (["-m", "hydra/launcher=joblib", "seed=1,2"], False),
    (["explore", "+uncertainty=default"], True),
    (["explore", "explore.workers=1"], False),
    (["report", "results/runs/x"], False),
    (["validate"], False),
    (["--help"], False),
    (["--version"], False),
    (["reprot"], False),
])
def test_the_command_line_starts_the_server_only_where_pools_run(args, wanted):
    assert cli.warm_workers_wanted(args) is wanted


def test_the_tiny_config_is_composed_once_then_read_back(tmp_path, monkeypatch):
    """The server's tiny run reads its config from the copy an earlier server pickled (composing
    it took ≈ 0.4 s before the first fork); a missing or broken copy is composed afresh."""
    import dataclasses
    import pickle
    import simulation.app.preload as preload
    from scenarios.defaults import load_default_config
    copy = tmp_path / "tiny.pickle"
    monkeypatch.setattr(preload, "cache_path", lambda: copy)
    composed = preload.tiny_config()
    assert composed == load_default_config(list(preload.TINY_RUN)) and copy.is_file()
    assert composed.replications == 1 and composed.horizon_years == 1
    marked = dataclasses.replace(composed, seed=composed.seed + 1)
    copy.write_bytes(pickle.dumps(marked))
    assert preload.tiny_config() == marked            # read back, not composed
    copy.write_bytes(b"not a pickle")
    assert preload.tiny_config() == composed           # composed again, and kept
    assert pickle.loads(copy.read_bytes()) == composed


def test_the_tiny_configs_key_changes_with_any_conf_file(tmp_path, monkeypatch):
    import shutil
    import scenarios.defaults
    import simulation.app.preload as preload
    conf = tmp_path / "conf"
    shutil.copytree(scenarios.defaults.CONF_DIR, conf)
    monkeypatch.setattr(scenarios.defaults, "CONF_DIR", conf)
    key = preload.config_key()
    assert preload.config_key() == key and preload.cache_path().name.endswith(f"{key}.pickle")
    some = sorted(conf.rglob("*.yaml"))[3]
    some.write_text(some.read_text() + "\n# an edit\n")
    assert preload.config_key() != key
