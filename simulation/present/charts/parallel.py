"""Run charts drawn in worker processes while the main process writes the workbook (issue 15).

A chart is drawn from the run folder's own tables (``read_table``), so a worker needs nothing but
the folder, the chart's name and the language; it writes the same bytes the main process would
(``tests/present/test_report.py``). ``sifsim`` uses this with ``workers`` processes (one per core
by default); ``sifsim report`` and the tests draw serially.

The workers are forked from a *fork server* (:mod:`multiprocessing`'s ``forkserver``, where the
platform has it; ``spawn`` elsewhere): a fresh interpreter that imports matplotlib, pandas, the
chart modules and the main module's imports once (:func:`chart_context`), so that each worker
starts in milliseconds instead of importing them itself (about 1.2 s a worker on the 2-core
machine of the README). The server is a fresh process, not a fork
of the run's own, so a worker holds none of the run's memory or state. ``sifsim`` draws in its
own pool instead (``pool``; :mod:`simulation.app.warm`, :mod:`simulation.app.task`): the workers
that ran the replications, forked from its warm server (the model's modules, started before the
config is composed), with one import of these modules per chart worker queued behind the batches
(:func:`simulation.present.workers.prepare_chart_worker`), which any idle worker may take.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext
from pathlib import Path

from simulation.present.workers import CHART_PRELOAD, forkserver_context, main_module_imports
from simulation.present.charts.registry import charts_of

#: what the fork server imports before it forks a worker: everything a chart worker needs
PRELOAD = CHART_PRELOAD


def chart_context() -> BaseContext:
    """The start method of the chart workers: ``forkserver`` preloaded with :data:`PRELOAD`, else ``spawn``."""
    return forkserver_context([*PRELOAD, *main_module_imports()])


def draw_from_folder(folder: str, name: str, language: str) -> list[Path]:
    """Draw run chart ``name`` of the run folder ``folder`` into ``folder/charts`` (in a worker)."""
    from simulation.present.charts.context import ChartContext
    from simulation.present.charts.registry import CHARTS
    from simulation.present.files import read_config, read_table

    run_folder = Path(folder)
    chart = CHARTS[name]
    tables = {stem: read_table(run_folder, stem) for stem in chart.tables}
    context = ChartContext.from_config(read_config(run_folder), language)
    return chart.save(tables, context, run_folder / "charts")


#: the run charts that took longest on the default scenario (CPU in one process, 2026-12-02:
#: who_saves 1.26 s, repayment_timeline 1.25, budget_pressure 0.99, repayment_waterfall 0.90;
#: the other four 0.44–0.72): submitted first, longest first, so that two workers end about
#: together (with these times two workers drawing in the registry's order end ≈ 0.2 s later: a
#: computation, not a measurement). Only the order of drawing: the report and :meth:`result`
#: keep the registry's order.
DRAW_FIRST = ("who_saves", "repayment_timeline", "budget_pressure", "repayment_waterfall")


def drawing_order(names: list[str]) -> list[str]:
    """``names`` with those of :data:`DRAW_FIRST` first (in its order), then the others in theirs."""
    first = [n for n in DRAW_FIRST if n in names]
    return first + [n for n in names if n not in first]


class PendingCharts:
    """Every run chart of a folder, being drawn by ``workers`` processes; :meth:`result` waits.

    Starting a worker waits until the fork server has made its imports, so the tasks are
    submitted from a thread and the caller goes on meanwhile (``sifsim`` writes the CSVs).
    ``pool``: the caller's pool to draw in (``sifsim``'s, whose workers ran the replications)
    instead of a pool of its own. That pool may have more workers than ``workers`` (``sifsim``'s
    has as many as the replications', :mod:`simulation.app.task`): at most ``workers`` charts are
    in the pool at a time, the next submitted (in :func:`drawing_order`) when one is done, so the
    charts take ``workers`` cores in either pool. A context manager: leaving it (after the
    result, or on an error) cancels what has not started, submits no more, and lets its own
    workers go without waiting for their interpreters to exit (a caller's pool is the caller's to
    shut down).
    """

    def __init__(self, folder: Path, language: str, workers: int, mp_context: BaseContext | None = None,
                 pool: Executor | None = None):
        names = self.names = [c.name for c in charts_of("run")]
        in_flight = max(1, min(workers, len(names)))
        self._own_pool = pool is None
        self.pool = pool if pool is not None else ProcessPoolExecutor(
            max_workers=in_flight, mp_context=mp_context if mp_context is not None else chart_context())
        self.futures: dict[str, Future] = {}
        self._failed: BaseException | None = None
        # a place for each chart in the pool at a time: taken before a chart is submitted, given
        # back when it is done (drawn, failed or cancelled)
        self._places = threading.Semaphore(in_flight)
        self._stopped = threading.Event()
        self._submitting = threading.Thread(target=self._submit, args=(str(folder), names, language),
                                            name="sifsim-charts", daemon=True)
        self._submitting.start()

    def _submit(self, folder: str, names: list[str], language: str) -> None:
        try:
            for name in drawing_order(names):
                self._places.acquire()
                if self._stopped.is_set():
                    return
                future = self.pool.submit(draw_from_folder, folder, name, language)
                self.futures[name] = future
                future.add_done_callback(self._give_back_place)
        except BaseException as exc:    # re-raised by result(), in the caller's thread
            self._failed = exc

    def _give_back_place(self, _future: Future) -> None:
        self._places.release()

    def __enter__(self) -> "PendingCharts":
        return self

    def __exit__(self, *exc) -> None:
        self._stopped.set()
        self._places.release()          # a submitting thread waiting for a place sees the stop
        self._submitting.join()
        if self._own_pool:
            self.pool.shutdown(wait=False, cancel_futures=True)
        else:
            for future in self.futures.values():
                future.cancel()

    def result(self) -> dict[str, list[Path]]:
        """{chart name: [png, svg, csv]}, in the registry's order (the report's)."""
        self._submitting.join()
        if self._failed is not None:
            raise self._failed
        return {name: self.futures[name].result() for name in self.names}


def save_sweep_chart(name: str, sweep_summary, context, folder: str) -> list[Path]:
    """Draw sweep chart ``name`` into ``folder`` (in a worker; the table and context are small)."""
    from simulation.present.charts.registry import CHARTS
    return CHARTS[name].save({"sweep_summary": sweep_summary}, context, Path(folder))


def draw_sweep_charts(sweep_summary, context, folder: Path, workers: int = 1,
                      mp_context: BaseContext | None = None) -> dict[str, list[Path]]:
    """Every sweep chart that applies (:func:`~.registry.sweep_charts`), drawn by ``workers``
    processes when there are two or more of them and of the charts; the same files either way
    (each chart is drawn by the same code from the same table), {chart name: [png, svg, csv]} in
    the registry's order."""
    from simulation.present.charts.registry import sweep_charts
    names = [c.name for c in charts_of("sweep") if c.wanted(context)]
    n = max(1, min(workers, len(names)))
    if n == 1:
        return sweep_charts(sweep_summary, context, folder)
    pool = ProcessPoolExecutor(max_workers=n, mp_context=mp_context if mp_context is not None else chart_context())
    try:
        futures = {name: pool.submit(save_sweep_chart, name, sweep_summary, context, str(folder)) for name in names}
        return {name: future.result() for name, future in futures.items()}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
