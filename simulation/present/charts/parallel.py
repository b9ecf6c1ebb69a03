"""Run charts drawn in worker processes while the main process writes the workbook (issue 15).

A chart is drawn from the run folder's own tables (``read_table``), so a worker needs nothing but
the folder, the chart's name and the language; it writes the same bytes the main process would
(``tests/present/test_parallel_charts.py``). ``sifsim`` uses this with ``workers`` processes
(one per core by default); ``sifsim report`` and the tests draw serially.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from simulation.present.charts.registry import charts_of


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


class PendingCharts:
    """Every run chart of a folder, being drawn by ``workers`` processes; :meth:`result` waits.

    A context manager: leaving it (after the result, or on an error) lets the workers go without
    waiting for their interpreters to exit, and cancels what has not started.
    """

    def __init__(self, folder: Path, language: str, workers: int):
        names = [c.name for c in charts_of("run")]
        self.pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(names))),
                                        mp_context=multiprocessing.get_context("spawn"))
        self.futures: dict[str, Future] = {
            name: self.pool.submit(draw_from_folder, str(folder), name, language) for name in names}

    def __enter__(self) -> "PendingCharts":
        return self

    def __exit__(self, *exc) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

    def result(self) -> dict[str, list[Path]]:
        """{chart name: [png, svg, csv]}, in the registry's order (the report's)."""
        return {name: future.result() for name, future in self.futures.items()}
