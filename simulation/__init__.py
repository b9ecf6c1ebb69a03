"""sifsim: agent-based simulation of social investment funds (see README.md).

From Python::

    from simulation import load_config, run, SifsimModel
    config = load_config(["replications=10", "horizon_years=8"])   # what `sifsim ...` would run
    results = run(config)                                         # tidy tables, as in a run folder
    model = SifsimModel(config).run()                             # one replication as a Mesa model
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

__version__ = "0.10.2"

if TYPE_CHECKING:  # pragma: no cover
    from scenarios.schema import SifsimConfig


def load_config(overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> "SifsimConfig":
    """The typed, validated config the ``sifsim`` command would run with these overrides.

    Args:
        overrides: Hydra overrides, as on the command line (``["intervention=none", "seed=3"]``).
        config_dir: an extra config folder (like ``sifsim --config-dir``), e.g. your own
            municipality's ``municipality/orebro.yaml``; searched after ``conf/``.

    Raises:
        scenarios.validation.ConfigError: every problem of the config, one per line.
    """
    from scenarios.defaults import load_default_config
    from scenarios.validation import validate
    extra = [f"hydra.searchpath=[file://{Path(config_dir).resolve()}]"] if config_dir is not None else []
    config = load_default_config([*extra, *overrides])
    validate(config)
    return config


def __getattr__(name: str):
    # the model and the runner load numpy, pandas and mesa: only when asked for
    if name == "run":
        from simulation.core.runner import run
        return run
    if name == "SifsimModel":
        from simulation.core.model import SifsimModel
        return SifsimModel
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")


__all__ = ["SifsimModel", "__version__", "load_config", "run"]
