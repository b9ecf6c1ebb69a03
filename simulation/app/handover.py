"""A single run's config composed once: sifsim's check hands it to Hydra's run (issue 15).

Hydra 1.3.8's ``@hydra.main`` composes a run's config twice (``hydra/_internal/utils.py``
``_run_hydra``): ``Hydra.get_mode`` composes it in MULTIRUN mode only to read ``hydra.mode``, then
``Hydra.run`` composes it again (``hydra.mode=RUN`` appended to the overrides when the config sets
no mode) and configures logging. sifsim's own check (:func:`simulation.app.grid.preflight`)
composed it once before that, ≈ 0.4 s each on the README's machine. Here the check composes the
run's config as ``Hydra.run`` will — the same loader class, search path, job name, config name,
overrides and run mode — checks that one, and :func:`handed_over` gives it to Hydra's run:

* ``Hydra.get_mode`` answers with the mode the composed config has (``None``: the config sets no
  mode, as :func:`compose_run` requires) instead of composing;
* the run's ``ConfigLoaderImpl.load_configuration`` returns the composed config instead of
  composing; Hydra's ``compose_config`` around it (the log configuration), the callbacks, the run
  folder and ``.hydra/*.yaml`` are Hydra's own, unchanged.

Each answer is given once, only to a call whose arguments and loader (search path, job name) are
the ones the config was composed for; any other call composes as before. The run's overrides are
the command line's plus ``hydra.mode=RUN``; the config is composed without it (so the mode the
files set is seen), and the override is then applied as the loader applies it (Hydra's own
``_apply_overrides_to_config``, and the line appended to ``hydra.overrides.hydra``: the last
override is applied and recorded last). ``tests/test_handover.py`` compares the result with
Hydra's own composition, and a run folder written with and without the handover.

The seam rests on Hydra's internals, so it is used only with the Hydra it was written against
(:data:`PINNED_HYDRA`, the pin in ``pyproject.toml``) and the functions it answers for having
the shape it expects (:func:`seam_problem`); otherwise, and for whatever :func:`compose_run`
does not cover (a sweep, a config that sets ``hydra.mode``, ``hydra.job.env_copy``, a config that
does not compose or has problems), today's path: the check composes its own config and Hydra
composes twice.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: the hydra-core this seam was written against and checked with (``pyproject.toml`` pins it)
PINNED_HYDRA = "1.3.8"
#: the override Hydra 1.3's ``_run_app`` appends for a single run whose config sets no mode
RUN_MODE_OVERRIDE = "hydra.mode=RUN"

#: (function, the parameters it must take, text its source must contain): what the seam relies on
_EXPECTED = (
    ("hydra._internal.hydra:Hydra.get_mode", ["self", "config_name", "overrides"],
     "return cfg.hydra.mode"),
    ("hydra._internal.config_loader_impl:ConfigLoaderImpl.load_configuration",
     ["self", "config_name", "overrides", "run_mode", "from_shell", "validate_sweep_overrides"], None),
    ("hydra._internal.hydra:Hydra.compose_config",
     ["self", "config_name", "overrides", "run_mode", "with_log_configuration", "from_shell",
      "validate_sweep_overrides"], "self.config_loader.load_configuration("),
    ("hydra._internal.utils:_run_hydra", None, "run_mode = hydra.get_mode(config_name=config_name, "
                                                "overrides=overrides)"),
    ("hydra._internal.utils:_run_app", None, f'overrides.extend(["{RUN_MODE_OVERRIDE}"])'),
)


def _resolve(path: str) -> Any:
    import importlib
    module, _, attrs = path.partition(":")
    obj: Any = importlib.import_module(module)
    for attr in attrs.split("."):
        obj = getattr(obj, attr)
    return obj


def seam_problem() -> str | None:
    """Why the handover cannot be used with the Hydra installed (None: it can).

    A Hydra other than :data:`PINNED_HYDRA`, or one whose functions answered here take other
    parameters or no longer read as the seam expects: today's path then (``tests/test_handover.py``
    fails on such a Hydra, so that the seam is looked at again when the pin moves).
    """
    import hydra
    if hydra.__version__ != PINNED_HYDRA:
        return f"hydra-core {hydra.__version__} is not the {PINNED_HYDRA} this seam was written against"
    for path, parameters, text in _EXPECTED:
        try:
            function = _resolve(path)
        except (ImportError, AttributeError):
            return f"{path} is missing"
        if parameters is not None and list(inspect.signature(function).parameters) != parameters:
            return f"{path} takes {list(inspect.signature(function).parameters)}, not {parameters}"
        if text is not None:
            try:
                source = " ".join(inspect.getsource(function).split())
            except (OSError, TypeError):
                return f"{path}: no source to check"
            if " ".join(text.split()) not in source:
                return f"{path} no longer contains {text!r}"
    return None


def _search_path_entries(search_path) -> tuple[tuple[str, str], ...]:
    return tuple((e.provider, e.path) for e in search_path.get_path())


@dataclass
class ComposedRun:
    """A single run's config as Hydra's run composes it, and the calls it answers."""

    config_name: str | None
    #: the overrides ``_run_hydra`` passes to ``get_mode`` (the command line's)
    command_overrides: list[str]
    #: the overrides ``Hydra.run`` composes with (the command line's + ``hydra.mode=RUN``)
    run_overrides: list[str]
    #: the loader's search path and the job name it composes with
    search_path: tuple[tuple[str, str], ...]
    task_name: str
    #: the composed config, with its ``hydra`` node (what ``load_configuration`` returns)
    cfg: Any
    #: which of Hydra's calls were answered (``get_mode``, ``load_configuration``)
    answered: list[str] = field(default_factory=list)

    def task_config(self):
        """The task's part of the config (a copy without ``hydra``), as ``run_job`` gives the task."""
        import copy
        from omegaconf import open_dict, read_write
        task_cfg = copy.deepcopy(self.cfg)
        with read_write(task_cfg), open_dict(task_cfg):
            del task_cfg["hydra"]
        return task_cfg


def compose_run(ns, task_function: Callable, config_path: str | None,
                config_name: str | None) -> ComposedRun | None:
    """Compose a single run's config as ``Hydra.run`` will, for :func:`handed_over`; None where
    the seam does not apply (then today's path).

    Args:
        ns: Hydra's parsed command line (``hydra._internal.utils.get_args_parser``).
        task_function: the ``@hydra.main`` function (its module locates the config, names the job).
        config_path, config_name: the decorator's, as ``_run_hydra`` takes them (the command
            line's ``--config-path``/``--config-name`` win).

    Raises whatever the composition raises (a config that does not compose): the caller then
    checks the config as before, which names the problem.
    """
    if ns.multirun or ns.experimental_rerun is not None or seam_problem() is not None:
        return None
    import os

    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import (create_automatic_config_search_path,
                                       detect_calling_file_or_module_from_task_function,
                                       detect_task_name, validate_config_path)
    from hydra.core.config_search_path import SearchPathQuery
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.types import RunMode

    # as _run_hydra does, step by step
    if ns.config_name is not None:
        config_name = ns.config_name
    if ns.config_path is not None:
        config_path = ns.config_path
    calling_file, calling_module = detect_calling_file_or_module_from_task_function(task_function)
    if calling_file is None and calling_module is None:
        return None
    task_name = detect_task_name(calling_file, calling_module)
    validate_config_path(config_path)
    search_path = create_automatic_config_search_path(calling_file, calling_module, config_path)
    if ns.config_dir is not None:
        config_dir = os.path.abspath(ns.config_dir)
        if not os.path.isdir(config_dir):
            return None
        search_path.prepend(provider="command-line", path=f"file://{config_dir}",
                            anchor=SearchPathQuery(provider="schema"))
    # Hydra(...) sets the job name the loader falls back on (JobRuntime), as _run_hydra's does
    hydra_app = Hydra(task_name=task_name, config_loader=ConfigLoaderImpl(config_search_path=search_path))
    command_overrides = list(ns.overrides)
    cfg = hydra_app.config_loader.load_configuration(
        config_name=config_name, overrides=list(command_overrides), run_mode=RunMode.RUN,
        from_shell=True, validate_sweep_overrides=True)
    if cfg.hydra.mode is not None or len(cfg.hydra.job.env_copy):
        # a mode set in the files changes Hydra's path; env_copy reads the environment at compose
        # time, which sifsim changes before the run (SIFSIM_SWEEP_OUTCOME)
        return None
    # the override _run_app appends, applied and recorded as the loader does with the last one
    run_mode = OverridesParser.create().parse_overrides([RUN_MODE_OVERRIDE])
    ConfigLoaderImpl._apply_overrides_to_config(run_mode, cfg)
    cfg.hydra.overrides.hydra.append(RUN_MODE_OVERRIDE)
    return ComposedRun(config_name=config_name, command_overrides=command_overrides,
                       run_overrides=[*command_overrides, RUN_MODE_OVERRIDE],
                       search_path=_search_path_entries(search_path), task_name=task_name, cfg=cfg)


@contextmanager
def handed_over(composed: ComposedRun | None) -> Iterator[ComposedRun | None]:
    """While Hydra's ``@hydra.main`` runs: its ``get_mode`` and its run's ``load_configuration``
    answered from ``composed`` (each once, for the call it was composed for; Hydra's own
    functions are back once the run's config is given, and on leaving). ``None``: nothing
    changes."""
    if composed is None:
        yield None
        return
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.hydra import Hydra
    from hydra.core.utils import JobRuntime
    from hydra.types import RunMode

    original_get_mode = Hydra.get_mode
    original_load = ConfigLoaderImpl.load_configuration

    def same_loader(loader) -> bool:
        return (isinstance(loader, ConfigLoaderImpl)
                and _search_path_entries(loader.get_search_path()) == composed.search_path
                and JobRuntime.instance().get("name") == composed.task_name)

    def get_mode(self, config_name, overrides):
        if ("get_mode" not in composed.answered and config_name == composed.config_name
                and list(overrides) == composed.command_overrides and same_loader(self.config_loader)):
            composed.answered.append("get_mode")
            return None     # the mode of the config the command line composes: compose_run requires none
        return original_get_mode(self, config_name=config_name, overrides=overrides)

    def load_configuration(self, config_name, overrides, run_mode, from_shell=True,
                           validate_sweep_overrides=True):
        if (composed.answered == ["get_mode"] and config_name == composed.config_name
                and list(overrides) == composed.run_overrides and run_mode == RunMode.RUN
                and from_shell is True and validate_sweep_overrides is True and same_loader(self)):
            composed.answered.append("load_configuration")
            restore()                # nothing more to answer: the rest of the run is Hydra's own
            return composed.cfg
        return original_load(self, config_name=config_name, overrides=overrides, run_mode=run_mode,
                             from_shell=from_shell, validate_sweep_overrides=validate_sweep_overrides)

    def restore() -> None:
        Hydra.get_mode = original_get_mode
        ConfigLoaderImpl.load_configuration = original_load

    Hydra.get_mode = get_mode
    ConfigLoaderImpl.load_configuration = load_configuration
    try:
        yield composed
    finally:
        restore()
