"""Imported by the warm fork server only (:mod:`simulation.app.warm`): the model with its
compiled loops loaded, so that every worker forked from the server has them.

numba compiles a loop for the argument types of its first call and keeps the machine code in an
on-disk cache; a new process loads it from there on its first call (about 0.7 s for all of a
month's loops, per process). Importing this module runs one tiny paired replication of the
default scenario (one year) with the compiled loops, which makes numba load each loop the model
calls, with the argument types the model gives it. The tiny run's config is composed once and
pickled beside this module (:func:`tiny_config`; composing it took ≈ 0.4 s of the server's time
before its first fork). A signature the tiny run did not meet is
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
    from simulation.core.runner import grants, simulate_rows
    config = tiny_config()
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


def config_key() -> str:
    """What the tiny config is made from: every file under ``conf/`` and the modules that compose
    and type it (path, size, modification time), the tiny run's overrides and the Python version."""
    import hashlib
    from pathlib import Path
    import scenarios
    from scenarios.defaults import CONF_DIR
    sources = sorted(Path(CONF_DIR).rglob("*.yaml")) + sorted(Path(scenarios.__file__).parent.glob("*.py"))
    digest = hashlib.sha256(repr((TINY_RUN, sys.version)).encode())
    for path in sources:
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def cache_path() -> "Path":
    """Where the composed tiny config is kept (beside this module's byte code, like numba's cache)."""
    from pathlib import Path
    return Path(__file__).resolve().parent / "__pycache__" / f"sifsim-tiny-config-{config_key()}.pickle"


def tiny_config():
    """:data:`TINY_RUN` composed from ``conf/`` (≈ 0.4 s with Hydra), or read back from the copy an
    earlier server pickled (:func:`cache_path`, keyed by :func:`config_key`: a changed ``conf/``
    file composes afresh). Only the loops loaded depend on it, never a table."""
    import pickle
    from scenarios.schema import SifsimConfig
    path = cache_path()
    try:
        config = pickle.loads(path.read_bytes())
        if isinstance(config, SifsimConfig):
            return config
    except Exception:   # noqa: BLE001 - no copy yet, or one that no longer loads: compose
        pass
    from scenarios.defaults import load_default_config
    config = load_default_config(list(TINY_RUN))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{os.getpid()}.part")
        part.write_bytes(pickle.dumps(config))
        os.replace(part, path)
    except OSError:     # a read-only checkout: compose each time
        pass
    return config


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

if in_fork_server():
    # the workers fork from here: what the server imported and loaded is frozen once, so that no
    # worker's full collection walks it again (simulation/app/collector.py)
    from simulation.app.collector import freeze_imports
    freeze_imports()
