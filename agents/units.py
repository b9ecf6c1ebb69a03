"""Municipal units: few, rich in rules, ordinary Mesa agents."""

from __future__ import annotations

import mesa

from scenarios.schema import Reorganisation, UnitConfig


class MunicipalUnit(mesa.Agent):
    """A unit of the municipality (EB unit, open care, child authority, school, leisure…).

    It has a committee that holds its budget, a cost per post and a caseload
    per worker, and it knows which body bears its costs at a given month: a
    reorganisation moves that responsibility (Malmö 2013: the EB budget went
    from the district committees to the executive board, seed 000).
    """

    def __init__(self, model: mesa.Model, config: UnitConfig,
                 reorganisations: list[Reorganisation], start_year: int):
        super().__init__(model)
        self.name = config.name
        self.committee = config.committee
        self.sek_per_post_year = config.sek_per_post_year
        self.caseload_households_per_worker = config.caseload_households_per_worker
        # (month index from the simulation start, new body), in date order
        self._moves = sorted(((r.year - start_year) * 12 + (r.month - 1), r.to_body)
                             for r in reorganisations if r.unit == config.name)

    def payer_at(self, month_index: int) -> str:
        """The body that bears this unit's costs in a month (its own name until moved)."""
        payer = self.name
        for at, body in self._moves:
            if month_index >= at:
                payer = body
        return payer

    def moved_before(self, month_index: int) -> bool:
        """Whether its budget responsibility had moved by ``month_index``."""
        return any(at <= month_index for at, _ in self._moves)
