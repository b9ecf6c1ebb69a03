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
    from scenarios.yaml_keys import install
    install()          # {2025: 100} in a conf file is the year "2025" (scenarios/yaml_keys.py)
    ConfigStore.instance().store(name=SCHEMA_NAME, node=SifsimConfig)
    _registered = True
