"""Compose a typed sifsim config through the model's public entry points (shared by the benchmarks)."""

from __future__ import annotations


def serial_overrides() -> list[str]:
    """``workers=1`` if the schema has in-process replication workers: measurements are per process
    (and a process pool nested inside a joblib worker cannot start)."""
    from scenarios.schema import SifsimConfig

    return ["workers=1"] if "workers" in getattr(SifsimConfig, "__dataclass_fields__", {}) else []


def compose_config(overrides: list[str], serial: bool = True):
    """The typed ``SifsimConfig`` for ``overrides``, composed like the CLI does (serial unless told)."""
    from hydra import compose, initialize_config_dir

    from scenarios.registry import register_configs
    from simulation.app.config import CONF_DIR, to_typed

    register_configs()
    extra = serial_overrides() if serial else []
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[*extra, *overrides])
    return to_typed(cfg)
