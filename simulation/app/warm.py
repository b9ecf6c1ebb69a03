"""The warm fork server: worker processes that start ready to simulate and to draw (issue 15).

A replication worker started with ``spawn`` imports Mesa, numpy, pandas and the model and loads
the compiled loops from numba's on-disk cache before its first month (about 2.2–2.6 s on the
README's 2-core machine), and a chart worker imports matplotlib and the chart modules. Here one
*fork server* (:mod:`multiprocessing`'s ``forkserver``) makes the replication workers' imports
and loads their loops once, started at the very beginning of the command (:func:`start`, from
:mod:`simulation.app.cli`), so that its work overlaps the main process's own start-up and config
composition; each worker is then a fork of that server and starts in milliseconds.

The chart modules are not in the server's preload (0.10.0): the first replication waited for
the server, and their import (≈ 0.6 s) came last in it. ``sifsim`` draws a run's charts in the
same pool as its replications (:mod:`simulation.app.task`), with their imports queued behind the
batches (:func:`simulation.present.workers.prepare_chart_worker`, one per chart worker): a worker
whose batch is done takes one while the other batch finishes and the tables are summarised (any
idle worker may take any of them; one that took none imports them with its first chart). A pool
forked from this server for anything else (the explore command's chunks, a sweep's charts)
imports what it needs itself.

The server is a fresh interpreter, not a fork of the run's process: a worker holds none of the
run's state. What it has done before forking — imports, and one tiny paired replication run
with the compiled loops (:mod:`simulation.app.preload`) — leaves nothing a replication reads,
as in any pool worker that has run an earlier batch; replication r's tables are the same from a
warm worker, a spawned one or a serial run (``tests/test_warm.py``), and so are the charts
(each is drawn from the run folder's tables, whichever worker draws it).

Python has one fork server per process, and its preload list is read when it starts, so every
pool of a command (replications and charts: :func:`simulation.core.runner.run` and
:mod:`simulation.present.charts.parallel`; the explore command's chunks:
:mod:`simulation.explore.evaluate`) takes its start method from :func:`context`. Where the
platform has no fork server, ``spawn`` (the workers then import and load what they need).
"""

from __future__ import annotations

import os
from multiprocessing.context import BaseContext

from simulation.present.workers import forkserver_available, forkserver_context, main_module_imports

#: the module whose import (in the fork server only) runs a tiny replication with the compiled
#: loops, so that numba loads them there once
KERNEL_PRELOAD = "simulation.app.preload"
#: what a replication worker imports: the runner's batch function and the model
MODEL_PRELOAD = ("simulation.core.runner", "simulation.core.model")
#: environment variables a worker takes from the main process when its task starts (the server's
#: environment is the one it was started with)
ENVIRONMENT_PREFIX = "SIFSIM_"


def preload_modules() -> list[str]:
    """Every module the server imports before it forks a worker: the model, the compiled loops
    (:data:`KERNEL_PRELOAD`; it loads none with ``SIFSIM_KERNELS=numpy``) and the main module's
    imports; not the chart modules (the module's docstring says why)."""
    return [*MODEL_PRELOAD, KERNEL_PRELOAD, *main_module_imports()]


#: whether this platform has a fork server (Linux, macOS; not Windows): the check the worker pools'
#: start method makes (simulation/present/workers.py)
available = forkserver_available


def context() -> BaseContext:
    """The start method of every worker pool: the warm ``forkserver``, else ``spawn``.

    This sets the server's preload list (:func:`preload_modules`); the server reads it when it
    starts (a server already running keeps the list it was started with).
    """
    return forkserver_context(preload_modules())


def start() -> None:
    """Start the warm server now (idempotent): its imports and kernel loading overlap the caller's
    start-up. Returns at once; starting the first worker waits until the server is ready."""
    ctx = context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver
        forkserver.ensure_running()


def worker_environment() -> dict[str, str | None]:
    """The main process's ``SIFSIM_*`` variables now (``SIFSIM_KERNELS`` None: unset), which
    :func:`simulation.core.runner.run` sets in each worker before its first task."""
    names = {k for k in os.environ if k.startswith(ENVIRONMENT_PREFIX)}
    names.add("SIFSIM_KERNELS")
    return {k: os.environ.get(k) for k in sorted(names)}


def wanted(args: list[str], workers_key: str = "workers") -> bool:
    """Whether a command line will start worker pools in this process.

    Not with ``workers=1`` (``workers_key``: ``explore.workers`` for ``sifsim explore``; serial
    replications and charts), nor under a launcher that runs each job in its own process
    (joblib, submitit: the job's replications run serially there).
    """
    for arg in args:
        key, _, value = arg.lstrip("+").partition("=")
        if key == workers_key and value.strip() == "1":
            return False
        if key == "hydra/launcher" and value.strip() not in ("", "basic"):
            return False
    return True
