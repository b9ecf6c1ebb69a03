"""Typed configs built from ``conf/`` — the one place default values live.

The schema (:mod:`scenarios.schema`) declares types and ranges but no values, so
``SifsimConfig()`` is a skeleton of ``???``. Code that needs a whole config without the
command line (the model called with no config, tests, benchmarks, notebooks) composes
``conf/config.yaml`` with Hydra's compose API, exactly as the CLI does::

    from scenarios.defaults import load_default_config, preset_rule
    cfg = load_default_config(["intervention=none", "horizon_years=5"])
    rule = preset_rule("malmo_2012")            # a RepaymentRuleConfig from conf/repayment/
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from scenarios.registry import register_configs
from scenarios.schema import InterventionConfig, RepaymentRuleConfig, SifsimConfig

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"


def _compose(overrides: Sequence[str]):
    register_configs()
    if GlobalHydra.instance().is_initialized():
        # inside a running Hydra app (or an open initialize block): compose in a fresh context
        # would clash with it, so use the current one; its search path must be conf/
        return compose("config", overrides=list(overrides))
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def load_default_config(overrides: Sequence[str] = ()) -> SifsimConfig:
    """``conf/config.yaml`` composed with Hydra ``overrides``, as the typed :class:`SifsimConfig`.

    The same config the CLI builds (the ``hydra`` node dropped); not validated — call
    :func:`scenarios.validation.validate` if the overrides may be out of range.
    """
    cfg = _compose(overrides)
    plain = OmegaConf.masked_copy(cfg, [k for k in cfg.keys() if k != "hydra"]) if "hydra" in cfg else cfg
    obj = OmegaConf.to_object(plain)
    assert isinstance(obj, SifsimConfig)
    return obj


def preset_rule(name: str, overrides: Sequence[str] = ()) -> RepaymentRuleConfig:
    """The repayment preset ``conf/repayment/<name>.yaml`` as a typed rule.

    ``overrides`` are Hydra overrides relative to the rule, e.g. ``["share_of_basis=0.5"]``.
    """
    rule_overrides = [f"repayment.rules.{name}.{o}" for o in overrides]
    return load_default_config([f"repayment={name}", *rule_overrides]).repayment.rules[name]


def intervention(name: str, overrides: Sequence[str] = ()) -> InterventionConfig:
    """The intervention ``conf/intervention/<name>.yaml`` as a typed config."""
    return load_default_config([f"intervention={name}", *[f"intervention.{o}" for o in overrides]]).intervention
