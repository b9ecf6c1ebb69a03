"""What a chart worker process needs imported, by name (only the standard library here: light enough for
``sifsim``'s first lines, which start the workers' fork server: :mod:`simulation.app.warm`)."""

from __future__ import annotations

import importlib
import multiprocessing
import sys
from collections.abc import Sequence
from multiprocessing.context import BaseContext

#: what a chart worker imports (simulation/present/charts/parallel.py draws from it)
CHART_PRELOAD = ("simulation.present.charts.parallel", "simulation.present.charts.context",
                 "simulation.present.files")


def prepare_chart_worker() -> bool:
    """Import :data:`CHART_PRELOAD` in this worker (True: imported now, False: it had them).

    ``sifsim`` queues one of these per chart worker in its pool behind the replications' batches,
    before the same pool draws the charts (:mod:`simulation.app.task`): the pool's first idle
    worker takes the first, so the imports (matplotlib and the chart modules, ≈ 0.6 s) fill a
    core that would wait for the other batch or for the tables' summary, instead of delaying the
    warm fork server's first fork (:mod:`simulation.app.warm`). Which worker takes which is the
    pool's scheduling: one worker may take two (the second returns False at once) and another
    none. Only a matter of time: a worker that has not run it imports the modules with its first
    chart.
    """
    if all(name in sys.modules for name in CHART_PRELOAD):
        return False
    for name in CHART_PRELOAD:
        importlib.import_module(name)
    return True


def main_module_imports() -> list[str]:
    """What a worker imports again when it prepares its ``__main__`` (as a spawned process does):
    the main module when Python was started with ``-m``; for a script (the ``sifsim`` console
    script) the ``simulation`` modules its functions come from (``simulation.app.cli``)."""
    main = sys.modules.get("__main__")
    if main is None:
        return []
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name not in ("__main__", "__mp_main__"):
        return [spec.name]
    return sorted({str(v.__module__) for v in vars(main).values()
                   if callable(v) and str(getattr(v, "__module__", "")).startswith("simulation.")})


def forkserver_available() -> bool:
    """Whether this platform has a fork server (Linux, macOS; not Windows)."""
    return "forkserver" in multiprocessing.get_all_start_methods()


def forkserver_context(preload: Sequence[str]) -> BaseContext:
    """The start method of a worker pool: ``forkserver`` preloaded with ``preload`` where the
    platform has it (Linux, macOS), else ``spawn`` (the workers then import what they need).

    Python has one fork server per process and reads the preload list when the server starts,
    so a server already running keeps the list it was started with."""
    if not forkserver_available():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return context
