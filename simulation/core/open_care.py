"""Child and family open care: families with children start episodes; the intervention may
give participants its intensive variant (shorter, fewer hours)."""

from __future__ import annotations

import numpy as np

from agents import kernels
from agents.hazards import monthly_from_yearly
from scenarios.vocabulary import RISK_FACTORS


class OpenCare:
    """Episodes of open care per family (both arms)."""

    def __init__(self, population, economy, households, intervention):
        self.pop, self.eco = population, economy
        self.households, self.intervention = households, intervention
        self.need_per_month = monthly_from_yearly(population.open_care_need_per_year)
        self.intensive_months = len(intervention.intensive_hours_by_month())
        self.need_by_family_risk = self.need_per_month * np.exp(
            population.open_care_risk_log_multiplier * np.arange(len(RISK_FACTORS) + 1, dtype=float))

    def step(self, t: int, strength: float, draws, family_risk: np.ndarray, implementation: str = "numpy") -> None:
        """Episodes run a month; families with children start one with a hazard rising with their risk.

        ``implementation`` "numba": the tick and the start mask in one compiled loop
        (agents/kernels.py), the same bits; the mechanisms decide the variant as before.
        """
        hh = self.households
        if implementation == "numba" and len(hh):
            whole = kernels.whole
            start = np.empty(hh.present.shape, dtype=bool)
            # the compiled children's month gives the families' risk as int8: indexed as it is (a
            # conversion to intp was a pass and an 8-byte copy of every household slot a month)
            if family_risk.dtype != np.int8 or not family_risk.flags.c_contiguous:
                family_risk = np.ascontiguousarray(family_risk, dtype=np.intp)
            kernels.open_care_month(whole(hh.n_children), whole(hh.present), whole(hh.open_care_months_left),
                                    whole(hh.open_care_month_index), family_risk,
                                    self.need_by_family_risk, whole(draws.open_care), start)
            self.start(t, strength, start, draws, compiled=True)
            return
        hh.tick_open_care()
        with_children = (hh.n_children > 0)[None] & hh.present
        # need × exp(β · family risk): the family's risk is a count of its children's risk factors, so
        # the hazard is a lookup in the table of those values (the same numbers, without an exp a month)
        hazard = np.take(self.need_by_family_risk, family_risk.astype(np.intp))
        start = with_children & (hh.open_care_months_left == 0) & (draws.open_care[None] < hazard)
        self.start(t, strength, start, draws)

    def start(self, t: int, strength: float, start: np.ndarray, draws, compiled: bool = False) -> None:
        """Episodes begin where ``start`` is set: ordinary length, or the intervention's intensive one.

        ``compiled``: the episodes are begun in one compiled pass (``kernels.start_open_care``: the
        same lengths, cast as numpy's ``copyto`` casts them) instead of ``np.where`` and three passes."""
        intensive = None
        for mechanism in self.intervention.mechanisms:
            chosen = mechanism.intensive_episodes(t, strength, start, draws)
            if chosen is not None:
                intensive = chosen
        hh = self.households
        if compiled:
            whole = kernels.whole
            # np.where's lengths (ordinary, intensive), cast to the months' type as copyto casts them
            lengths = np.array([self.eco.ordinary_treatment_months, self.intensive_months])
            lengths = lengths.astype(hh.open_care_months_left.dtype, casting="unsafe")
            with_intensive = intensive is not None
            kernels.start_open_care(np.int64(hh.window), start,
                                    np.ascontiguousarray(intensive, dtype=bool) if with_intensive else start,
                                    with_intensive, lengths, whole(hh.open_care_months_left),
                                    whole(hh.open_care_month_index), whole(hh.open_care_intensive))
            return
        if intensive is None:
            intensive = np.zeros_like(start)
        length = np.where(intensive, self.intensive_months, self.eco.ordinary_treatment_months)
        self.households.start_open_care(start, length, intensive)
