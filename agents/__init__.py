"""Agents of sifsim: households and children (array populations) and municipal units.

The fund is the executive board's books and lives with the accounting
(:mod:`simulation.accounting.fund`); agents never import :mod:`simulation`.

The names below are imported on first use (PEP 562), so that ``from agents import kernels``
(which the command line's config check needs) does not import Mesa through ``agents.units``.
"""

from __future__ import annotations

import importlib

_WHERE = {"Child": "agents.children", "ChildPopulation": "agents.children", "Household": "agents.households",
          "HouseholdPopulation": "agents.households", "MunicipalUnit": "agents.units"}

__all__ = ["Child", "ChildPopulation", "Household", "HouseholdPopulation", "MunicipalUnit"]


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'agents' has no attribute {name!r}")
