"""Where the configs live and how a composed config becomes the typed one (shared by task and grid)."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from scenarios.schema import SifsimConfig

CONF_DIR = str(Path(__file__).resolve().parents[2] / "conf")


def to_typed(cfg: DictConfig) -> SifsimConfig:
    """The composed DictConfig as typed dataclasses (the hydra node dropped)."""
    plain = OmegaConf.masked_copy(cfg, [k for k in cfg.keys() if k != "hydra"]) if "hydra" in cfg else cfg
    obj = OmegaConf.to_object(plain)
    assert isinstance(obj, SifsimConfig)
    return obj
