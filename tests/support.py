"""Shared helpers for the tests: compose typed configs exactly as the CLI does."""

from __future__ import annotations

from hydra import compose, initialize_config_dir

from scenarios.registry import register_configs
from scenarios.schema import SifsimConfig
from simulation.app.config import CONF_DIR, to_typed


def make_config(*overrides: str) -> SifsimConfig:
    """Compose conf/config.yaml with Hydra overrides and return the typed config."""
    register_configs()
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["charts=false", "progress=false", "workers=1", *overrides])
    return to_typed(cfg)


# a baseline whose closed form is known: constant hazard, no heterogeneity, nothing coming in or back
CONSTANT_HAZARD = (
    "intervention=none", "population.eb_duration_decay=0", "population.exit_propensity_sd=0",
    "population.eb_exit_hazard_floor_per_month=0",
    "population.reentry_enabled=false", "population.inflow_enabled=false",
    "population.caseload_elasticity=0",
    "population.exit_hazard_multiplier_by_composition={single_adult:1,single_parent:1,"
    "couple_with_children:1,couple_without_children:1}",
)
