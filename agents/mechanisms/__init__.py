"""The intervention's mechanisms, one file each behind :class:`~agents.mechanisms.base.Mechanism`.

To add a mechanism: write ``agents/mechanisms/<name>.py`` with a subclass that
overrides the hooks it needs, give it a parameter record in
``scenarios/schema.py`` (``InterventionConfig.<name>``) and a YAML block in the
interventions that use it, and add one line to :data:`REGISTRY`. The model
does not change.
"""

from __future__ import annotations

from collections.abc import Callable

from agents.mechanisms.base import Mechanism
from agents.mechanisms.caseload import Caseload
from agents.mechanisms.family_treatment import FamilyTreatment
from agents.mechanisms.protective import Protective

#: config key under ``intervention`` -> builder(intervention, its config, unit caseloads) -> mechanisms.
#: Order is the order the hooks are called in each month.
REGISTRY: dict[str, Callable[..., list[Mechanism]]] = {
    "caseload": lambda itv, params, caseloads: (
        [Caseload(itv, params, caseloads["eb_unit"])] if params.enabled else []),
    "family_treatment": lambda itv, params, caseloads: (
        [FamilyTreatment(itv, params)] if params.enabled else []),
    "protective": lambda itv, params, caseloads: [
        Protective(itv, key, p) for key, p in params.items() if p.enabled],
}


def build_mechanisms(intervention, config, caseloads: dict[str, float]) -> list[Mechanism]:
    """Every enabled mechanism of an intervention config, in registry order."""
    out: list[Mechanism] = []
    for key, build in REGISTRY.items():
        out += build(intervention, getattr(config, key), caseloads)
    return out


__all__ = ["REGISTRY", "Mechanism", "build_mechanisms"]
