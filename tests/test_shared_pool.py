"""One pool for a run's replications and then its charts (issue 15, 0.10.0).

``sifsim`` hands its pool to :func:`simulation.core.runner.run` (``pool=``) with the chart
workers' imports queued behind the batches (``after_batches``), then draws the charts in the
same pool (:class:`simulation.present.charts.parallel.PendingCharts`, ``pool=``). The tables
must be those of a serial run, the charts' files those drawn serially, and neither the run nor
the charts may shut down a pool that is not theirs.
"""

from __future__ import annotations

import functools
import os
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from simulation.app import warm
from simulation.core.runner import run, use_environment
from simulation.present import report
from simulation.present.files import read_config
from simulation.present.workers import prepare_chart_worker
from tests.pool_probes import chart_modules_loaded, prepare_and_note
from tests.present.fixtures import copy_run, run_folder  # noqa: F401
from tests.support import make_config

TABLES = ("ledger", "population", "repayment", "years", "per_replication", "summary", "participants",
          "budget")
needs_forkserver = pytest.mark.skipif(not warm.available(), reason="no fork server on this platform")


def read_notes(notes: Path) -> list[tuple[int, bool, bool]]:
    return [(int(pid), imported == "1", loaded == "1")
            for pid, imported, loaded in (line.split() for line in notes.read_text(encoding="utf-8").splitlines())]


def warm_pool(workers: int = 2) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=warm.context(), initializer=use_environment,
                               initargs=(warm.worker_environment(),))


@needs_forkserver
def test_a_run_in_the_callers_pool_gives_the_serial_tables_and_leaves_the_pool_open(tmp_path):
    overrides = ("replications=5", "horizon_years=3")
    serial = run(make_config(*overrides, "workers=1"))
    notes = tmp_path / "preparations"
    pool = warm_pool()
    try:
        shared = run(make_config(*overrides, "workers=2"), pool=pool,
                     after_batches=(functools.partial(prepare_and_note, str(notes)),) * 2,
                     worker_environment=warm.worker_environment())
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(serial, name), getattr(shared, name), check_exact=True)
        assert pool.submit(os.getpid).result(timeout=300) != os.getpid()   # still open: the run left it
    finally:
        pool.shutdown(wait=True, cancel_futures=True)        # waits for the preparations too
    # both preparations ran in the pool's workers (which worker took which is the pool's scheduling:
    # one worker may have taken both) and left their worker with the chart modules; a worker imported
    # them at most once (none, if this process's fork server was started preloading them)
    preparations = read_notes(notes)
    assert len(preparations) == 2
    assert all(pid != os.getpid() and loaded for pid, _, loaded in preparations)
    for pid in {pid for pid, _, _ in preparations}:
        assert [imported for p, imported, _ in preparations if p == pid].count(True) <= 1


class RecordingPool(Executor):
    """A caller's pool that runs nothing: it records what it is given and whether it is shut down."""

    def __init__(self):
        self.submitted: list = []
        self.shut_down = False

    def submit(self, fn, /, *args, **kwargs) -> Future:
        self.submitted.append(fn)
        future: Future = Future()
        future.set_result(None)
        return future

    def shutdown(self, wait=True, *, cancel_futures=False) -> None:
        self.shut_down = True


def first_task() -> None:
    """An ``after_batches`` task (never run: RecordingPool runs nothing)."""


def second_task() -> None:
    """Another."""


@pytest.mark.parametrize("overrides", [("workers=1", "replications=3"), ("workers=2", "replications=1")],
                         ids=["one-worker", "one-replication"])
def test_a_serial_run_given_a_pool_runs_here_submits_only_the_tasks_after_the_batches_and_leaves_it_open(overrides):
    """With one worker or one batch the replications run in this process, not in the caller's pool:
    the pool gets the ``after_batches`` tasks alone, at once and in their order, and is not shut down."""
    config = make_config(*overrides, "horizon_years=3")
    alone = run(config)
    pool = RecordingPool()
    shared = run(config, pool=pool, after_batches=(first_task, second_task))
    assert pool.submitted == [first_task, second_task] and not pool.shut_down
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(alone, name), getattr(shared, name), check_exact=True)


def test_the_preparation_imports_the_chart_modules_once():
    assert prepare_chart_worker() in (True, False)
    assert chart_modules_loaded() and prepare_chart_worker() is False


@needs_forkserver
def test_charts_drawn_in_the_callers_pool_are_the_serial_files_and_leave_it_open(run_folder, tmp_path):  # noqa: F811
    # the same folder name (the workbook's about sheet names it), in two places
    serial = copy_run(run_folder, tmp_path / "serial" / "run")
    shared = copy_run(run_folder, tmp_path / "shared" / "run")
    serial_paths = report.build_report(serial, workers=1)
    pool = warm_pool(3)         # more workers than draw the charts (sifsim's pool can be larger)
    try:
        pool.submit(prepare_chart_worker)
        language = read_config(shared).get("language", "sv")
        drawing = report.start_charts(shared, language, 2, pool=pool)
        shared_paths = report.build_report(shared, workers=2, drawing=drawing)
        assert pool.submit(chart_modules_loaded).result(timeout=300)   # not shut down by the charts
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    rel = [p.relative_to(serial) for p in serial_paths]
    assert rel == [p.relative_to(shared) for p in shared_paths]
    for r in rel:
        assert (serial / r).read_bytes() == (shared / r).read_bytes(), f"{r} differs when drawn in the shared pool"


class HeldPool(Executor):
    """A caller's pool that draws nothing: it holds each chart submitted until the test lets one go
    (a result of no files), and counts the charts it holds at once."""

    def __init__(self):
        self.held: list[Future] = []
        self.names: list[str] = []
        self.most_at_once = 0
        self.changed = threading.Condition()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        future.set_running_or_notify_cancel()
        with self.changed:
            self.held.append(future)
            self.names.append(args[1])                   # draw_from_folder(folder, name, language)
            self.most_at_once = max(self.most_at_once, len(self.held))
            self.changed.notify_all()
        return future

    def wait_for_held(self, n: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.held) >= n, timeout=300), "no chart submitted"

    def let_one_go(self) -> None:
        self.wait_for_held(1)
        with self.changed:
            future = self.held.pop(0)
        future.set_result([])


@pytest.mark.parametrize("workers", [1, 3])
def test_charts_in_a_larger_callers_pool_are_at_most_workers_at_a_time_in_the_drawing_order(workers):
    from simulation.present.charts.parallel import PendingCharts, drawing_order
    pool = HeldPool()
    with PendingCharts(Path("run"), "sv", workers, pool=pool) as drawing:
        for _ in drawing.names:
            pool.let_one_go()
        assert drawing.result() == {name: [] for name in drawing.names}
    assert pool.most_at_once == workers
    assert pool.names == drawing_order(drawing.names)


def test_leaving_the_charts_early_submits_no_more_of_them():
    """Leaving (on an error) while the submitting thread waits for a place: it submits nothing more,
    and leaving does not wait for the chart in the pool to end."""
    from simulation.present.charts.parallel import DRAW_FIRST, PendingCharts
    pool = HeldPool()
    drawing = PendingCharts(Path("run"), "sv", 1, pool=pool)
    pool.wait_for_held(1)
    leaving = threading.Thread(target=drawing.__exit__, args=(None, None, None), daemon=True)
    leaving.start()
    leaving.join(timeout=120)           # a guard against a hang, not a measurement
    assert not leaving.is_alive(), "leaving waits for the submitting thread"
    assert not drawing._submitting.is_alive() and pool.names == [DRAW_FIRST[0]]
    pool.let_one_go()                   # its place back: a submitting thread would submit the next now
    assert len(pool.names) == 1


def test_the_longest_charts_are_drawn_first_and_the_report_keeps_the_registrys_order():
    from simulation.present.charts import charts_of
    from simulation.present.charts.parallel import DRAW_FIRST, drawing_order
    names = [c.name for c in charts_of("run")]
    assert set(DRAW_FIRST) <= set(names), "a chart of DRAW_FIRST is no longer registered"
    order = drawing_order(names)
    assert sorted(order) == sorted(names) and order[:len(DRAW_FIRST)] == list(DRAW_FIRST)
