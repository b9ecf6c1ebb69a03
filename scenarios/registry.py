"""Register the typed schema with Hydra's ConfigStore (once per process)."""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

from scenarios.schema import SifsimConfig

SCHEMA_NAME = "sifsim_schema"
_registered = False


def register_configs() -> None:
    global _registered
    if _registered:
        return
    ConfigStore.instance().store(name=SCHEMA_NAME, node=SifsimConfig)
    _registered = True
