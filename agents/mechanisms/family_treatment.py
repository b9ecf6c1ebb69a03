"""Intensive family treatment: shorter episodes with fewer hours, faster remission of
risk factors, a lower placement hazard (Öster's spår 2 families; seed 004, README "The model")."""

from __future__ import annotations

import numpy as np

from agents import kernels_month
from agents.mechanisms.base import INTERVENTION, Mechanism
from scenarios.schema import FamilyTreatmentMechanism


def intensive_hours_by_month(params: FamilyTreatmentMechanism) -> np.ndarray:
    """Therapist hours in each month of an intensive episode (its length is ``intensive_months``)."""
    return np.asarray(params.intensive_hours_by_month[:params.intensive_months], dtype=float)


class FamilyTreatment(Mechanism):
    """Participant families starting open care in the project get the intensive variant.

    With ``effect_scale`` < 1 a family gets it with probability ``strength``
    (its own TREATMENT draw). Families already in open care when the project
    starts move to the intensive variant.
    """

    name = "family_treatment"

    def __init__(self, intervention, params: FamilyTreatmentMechanism):
        super().__init__(intervention)
        self.params = params
        self.hours = intensive_hours_by_month(params)

    def intensive_hours_by_month(self) -> np.ndarray:
        return self.hours

    def on_households_enrolled(self, t: int, strength: float, arm: int, chosen: np.ndarray, draws) -> None:
        itv = self.intervention
        if t != itv.t_start or arm != INTERVENTION:
            return
        hh = itv.households
        start = np.zeros_like(hh.participant)
        start[arm] = chosen & (hh.open_care_months_left[arm] > 0)   # already in open care
        itv.open_care.start(t, strength, start, draws)

    def intensive_episodes(self, t: int, strength: float, start: np.ndarray, draws) -> np.ndarray | None:
        itv = self.intervention
        if not (itv.t_start <= t <= itv.t_end and strength > 0):
            return None
        hh = itv.households
        if hh.kernels == "numba" and start.shape[-1] == len(hh):     # the lines below in one pass
            intensive, families = kernels_month.intensive_episodes(hh, INTERVENTION, start, draws.treatment, strength)
            if itv.active:
                itv.evaluation.count_intensive_families(t, families)
            return intensive
        intensive = np.zeros_like(start)
        intensive[INTERVENTION] = (start[INTERVENTION] & hh.participant[INTERVENTION]
                                   & (draws.treatment < strength))
        if itv.active:
            itv.evaluation.count_intensive_families(
                t, np.count_nonzero(start[INTERVENTION] & hh.participant[INTERVENTION], axis=-1))
        return intensive

    def child_hook_factors(self, strength: float) -> dict:
        """The two hooks below as factors for the compiled children's month (Mechanism.child_hook_factors)."""
        return {"remission_where_intensive": np.float64(self.params.risk_remission_multiplier),
                "placement_where_intensive_participant": np.float64(self.params.placement_hazard_multiplier)}

    def modify_child_rates(self, strength: float, onset: np.ndarray, remission: np.ndarray,
                           intensive_child: np.ndarray) -> None:
        # in place where intensive, in float64 (the bits of ``*= np.where(intensive, m, 1.0)``, one pass)
        arm = remission[INTERVENTION]
        np.multiply(arm, np.float64(self.params.risk_remission_multiplier), out=arm,
                    where=intensive_child[INTERVENTION], casting="same_kind")

    def modify_placement_hazard(self, hazard: np.ndarray, intensive_child: np.ndarray,
                                participant_child: np.ndarray) -> None:
        arm = hazard[INTERVENTION]
        np.multiply(arm, np.float64(self.params.placement_hazard_multiplier), out=arm,
                    where=intensive_child[INTERVENTION] & participant_child[INTERVENTION], casting="same_kind")
