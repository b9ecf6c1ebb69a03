"""Child and family open care: families with children start episodes; the intervention may
give participants its intensive variant (shorter, fewer hours)."""

from __future__ import annotations

import numpy as np

from agents.hazards import monthly_from_yearly


class OpenCare:
    """Episodes of open care per family (both arms)."""

    def __init__(self, population, economy, households, intervention):
        self.pop, self.eco = population, economy
        self.households, self.intervention = households, intervention
        self.need_per_month = monthly_from_yearly(population.open_care_need_per_year)
        self.intensive_months = len(intervention.intensive_hours_by_month())

    def step(self, t: int, strength: float, draws, family_risk: np.ndarray) -> None:
        """Episodes run a month; families with children start one with a hazard rising with their risk."""
        hh = self.households
        hh.tick_open_care()
        with_children = (hh.n_children > 0)[None] & hh.present
        hazard = self.need_per_month * np.exp(self.pop.open_care_risk_log_multiplier * family_risk)
        start = with_children & (hh.open_care_months_left == 0) & (draws.open_care[None] < hazard)
        self.start(t, strength, start, draws)

    def start(self, t: int, strength: float, start: np.ndarray, draws) -> None:
        """Episodes begin where ``start`` is set: ordinary length, or the intervention's intensive one."""
        intensive = None
        for mechanism in self.intervention.mechanisms:
            chosen = mechanism.intensive_episodes(t, strength, start, draws)
            if chosen is not None:
                intensive = chosen
        if intensive is None:
            intensive = np.zeros_like(start)
        length = np.where(intensive, self.intensive_months, self.eco.ordinary_treatment_months)
        self.households.start_open_care(start, length, intensive)
