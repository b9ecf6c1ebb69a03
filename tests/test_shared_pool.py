"""One pool for a run's replications and then its charts (issue 15, 0.10.0).

``sifsim`` hands its pool to :func:`simulation.core.runner.run` (``pool=``) with the chart
workers' imports queued behind the batches (``after_batches``), then draws the charts in the
same pool (:class:`simulation.present.charts.parallel.PendingCharts`, ``pool=``). The tables
must be those of a serial run, the charts' files those drawn serially, and neither the run nor
the charts may shut down a pool that is not theirs.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import pytest

from simulation.app import warm
from simulation.core.runner import run, use_environment
from simulation.present import report
from simulation.present.files import read_config
from simulation.present.workers import CHART_PRELOAD, prepare_chart_worker
from tests.present.fixtures import copy_run, run_folder  # noqa: F401
from tests.support import make_config

TABLES = ("ledger", "population", "repayment", "years", "per_replication", "summary", "participants",
          "budget")
needs_forkserver = pytest.mark.skipif(not warm.available(), reason="no fork server on this platform")


def chart_modules_loaded() -> bool:
    """In a worker: whether it has the chart modules."""
    return all(name in sys.modules for name in CHART_PRELOAD)


def warm_pool(workers: int = 2) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=warm.context(), initializer=use_environment,
                               initargs=(warm.worker_environment(),))


@needs_forkserver
def test_a_run_in_the_callers_pool_gives_the_serial_tables_and_leaves_the_pool_open():
    overrides = ("replications=5", "horizon_years=3")
    serial = run(make_config(*overrides, "workers=1"))
    pool = warm_pool()
    try:
        shared = run(make_config(*overrides, "workers=2"), pool=pool,
                     after_batches=(prepare_chart_worker,) * 2, worker_environment=warm.worker_environment())
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(serial, name), getattr(shared, name), check_exact=True)
        # still open (the run did not shut it down), and a worker has the chart modules after the
        # preparation queued behind the batches (each worker runs the tasks in the queue's order)
        assert pool.submit(prepare_chart_worker).result(timeout=300) is False
        assert pool.submit(chart_modules_loaded).result(timeout=300)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def test_the_preparation_imports_the_chart_modules_once():
    assert prepare_chart_worker() in (True, False)
    assert chart_modules_loaded() and prepare_chart_worker() is False


@needs_forkserver
def test_charts_drawn_in_the_callers_pool_are_the_serial_files_and_leave_it_open(run_folder, tmp_path):  # noqa: F811
    # the same folder name (the workbook's about sheet names it), in two places
    serial = copy_run(run_folder, tmp_path / "serial" / "run")
    shared = copy_run(run_folder, tmp_path / "shared" / "run")
    serial_paths = report.build_report(serial, workers=1)
    pool = warm_pool()
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


def test_the_longest_charts_are_drawn_first_and_the_report_keeps_the_registrys_order():
    from simulation.present.charts import charts_of
    from simulation.present.charts.parallel import DRAW_FIRST, drawing_order
    names = [c.name for c in charts_of("run")]
    assert set(DRAW_FIRST) <= set(names), "a chart of DRAW_FIRST is no longer registered"
    order = drawing_order(names)
    assert sorted(order) == sorted(names) and order[:len(DRAW_FIRST)] == list(DRAW_FIRST)
