"""What the shared-pool tests run in a pool's workers (tests/test_shared_pool.py).

Light on purpose: a worker imports this module to run them, and it imports nothing of the charts
(:mod:`simulation.present.workers` is the standard library only), so that a worker has the chart
modules only if a preparation imported them (or its fork server preloaded them)."""

from __future__ import annotations

import os
import sys

from simulation.present.workers import CHART_PRELOAD, prepare_chart_worker


def chart_modules_loaded() -> bool:
    """In a worker: whether it has the chart modules."""
    return all(name in sys.modules for name in CHART_PRELOAD)


def prepare_and_note(notes: str) -> None:
    """In a worker: :func:`prepare_chart_worker`, then a line in ``notes``: this worker's pid, whether
    the preparation imported the modules and whether the worker has them now."""
    imported = prepare_chart_worker()
    with open(notes, "a", encoding="utf-8") as f:
        f.write(f"{os.getpid()} {int(imported)} {int(chart_modules_loaded())}\n")
