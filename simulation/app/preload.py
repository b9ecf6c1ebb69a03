"""Imported by the warm fork server only (:mod:`simulation.app.warm`): the model with its
compiled loops loaded, so that every worker forked from the server has them.

numba compiles a loop for the argument types of its first call and keeps the machine code in an
on-disk cache; a new process loads it from there on its first call (about 0.7 s for all of a
month's loops, per process). Importing this module runs one tiny paired replication of the
default scenario (one year) with the compiled loops, which makes numba load each loop the model
calls, with the argument types the model gives it. A signature the tiny run did not meet is
loaded by the worker on first use, as before. Warming is only a saving of time: if anything
fails here (a broken ``conf/``, no numba) the server goes on without it, and the workers load
what they need themselves. Nothing of the tiny run is kept but the loaded loops.

Never imported by the main process (``tests/test_warm.py`` checks that ``sifsim``'s modules do
not import it).
"""

from __future__ import annotations

import atexit
import os
import sys

#: the tiny run: one paired replication of the default scenario over one year
TINY_RUN = ("replications=1", "horizon_years=1", "workers=1", "progress=false", "charts=false")


def load_compiled_loops() -> bool:
    """Run :data:`TINY_RUN` with the compiled loops (False: ``SIFSIM_KERNELS=numpy``, nothing to load)."""
    from agents import kernels
    if kernels.requested() == "numpy":
        return False
    from scenarios.defaults import load_default_config
    from simulation.core.runner import grants, simulate_rows
    config = load_default_config(list(TINY_RUN))
    before = os.environ.get(kernels.KERNELS_ENV)
    os.environ[kernels.KERNELS_ENV] = "numba"   # the tiny run is below auto's threshold
    try:
        for grant, case in grants(config).items():
            simulate_rows(case, grant, [0])
    finally:
        if before is None:
            os.environ.pop(kernels.KERNELS_ENV, None)
        else:
            os.environ[kernels.KERNELS_ENV] = before
    return True


def in_fork_server() -> bool:
    """Whether this import is the fork server's preload (:func:`multiprocessing.forkserver.main`
    is on the stack), not an import by any other process."""
    from multiprocessing import forkserver
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code is forkserver.main.__code__:
            return True
        frame = frame.f_back
    return False


def _exit_at_once() -> None:
    # the server ends when the command's process has gone (the end of its input); tearing down an
    # interpreter with numba's LLVM, matplotlib and pandas loaded took 1-2 s, during which the
    # server still held the command's stdout and stderr (a pipe reading them waited)
    os._exit(0)


if in_fork_server():
    atexit.register(_exit_at_once)    # the last handler to run: registered before any other here

#: whether the compiled loops were loaded here, and why not if that failed
LOADED, FAILED = False, ""
try:
    LOADED = load_compiled_loops()
except Exception as exc:   # noqa: BLE001 - an optimisation only: the workers load what they need
    FAILED = f"{type(exc).__name__}: {exc}"
