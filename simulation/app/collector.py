"""Python's cyclic garbage collector in sifsim's own processes: what is imported is frozen (issue 15).

A full collection (generation 2) walks every object the collector tracks. In a process that has
imported numpy, pandas, Mesa, Hydra and numba that is ≈ 160 000–230 000 objects, none of them
garbage, walked again at every full collection the run's own allocations trigger (the rows of the
tables are Python tuples: ≈ 100 000 for the default run). :func:`freeze_imports` moves what exists
now into the collector's permanent generation (:func:`gc.freeze`), so that later collections walk
only what the run itself made. Measured 2026-12-02 on the README's machine (the collector's time
from :data:`gc.callbacks`): a point of an exploration study (20 replications, one process) spent
0.097 s in collections, 0.026 s after the freeze; a worker's batch of 50 replications 0.19 s,
0.07 s after it; the command's own process 0.22–0.23 s before it.

Only where sifsim owns the process: the workers' fork server (:mod:`simulation.app.preload`: every
worker forked from it inherits the frozen generation, as :func:`gc.freeze`'s documentation
recommends before a fork) and the command's process (:mod:`simulation.app.task`). A library caller
of :func:`simulation.core.runner.run` keeps its collector as it is. Nothing is disabled: garbage
made after the freeze is collected as before, and nothing the collector does changes a number.
"""

from __future__ import annotations

import gc


def freeze_imports() -> int:
    """Collect the garbage there is now, then freeze every object left (:func:`gc.freeze`);
    returns how many objects the permanent generation holds."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
