"""Places in a protective activity for participants' children (Familjeklass, organised
leisure, family centre...), with a capacity: the place gives a protective factor that
lowers risk onset while it is held (README "The model"; Öster: 13 and 24 of 55 children)."""

from __future__ import annotations

import numpy as np

from agents import kernels_month
from agents.base import first_by_priority
from agents.kernels import count_true
from agents.mechanisms.base import INTERVENTION, Mechanism
from scenarios.schema import ProtectiveMechanism
from scenarios.vocabulary import PROTECTIVE_FACTORS

#: With effect_scale < 1 only places whose child's priority (a uniform in [0, 1), the same
#: draw in every run) falls below the strength change anything; the priority is scaled by
#: this just-below-one factor so that the share of working places is exactly the strength.
WORKING_PLACE_PRIORITY_SCALE = 0.999


class Protective(Mechanism):
    """Participants' children of the right age get a place while there is room; places drop out."""

    name = "protective"

    def __init__(self, intervention, key: str, params: ProtectiveMechanism):
        super().__init__(intervention)
        self.key, self.params = key, params
        self.factor = PROTECTIVE_FACTORS.index(params.factor)

    def enrol_children(self, t: int, strength: float, draws) -> None:
        itv, mech = self.intervention, self.params
        hh, ch = itv.households, itv.children
        if len(ch) == 0:
            return
        if ch.kernels == "numba":           # the lines below in one pass (kernels_month.protective_places)
            kernels_month.protective_places(ch, hh, INTERVENTION, t, self.factor, mech.capacity_children,
                                            mech.dropout_per_month, draws.child_protective,
                                            len(PROTECTIVE_FACTORS), strength, mech.child_age_min_years,
                                            mech.child_age_max_years, WORKING_PLACE_PRIORITY_SCALE)
            return
        age_years = ch.age_months(t) // 12
        participant_child = ch.of_households(hh.participant[INTERVENTION:INTERVENTION + 1])[0] \
            & ch.present[INTERVENTION] & ~ch.adult[INTERVENTION]
        held = ch.assigned_protective[INTERVENTION] == self.factor
        drop = held & (draws.activity_dropout < mech.dropout_per_month)
        ch.assigned_protective[INTERVENTION][drop] = -1
        held &= ~drop
        room = mech.capacity_children - count_true(held, ch.kernels)
        if not (room > 0).any() or strength <= 0:
            return
        eligible = (participant_child & (ch.assigned_protective[INTERVENTION] < 0)
                    & (age_years >= mech.child_age_min_years) & (age_years <= mech.child_age_max_years))
        chosen = first_by_priority(eligible, ch.priority, room)
        works = chosen & (ch.priority * WORKING_PLACE_PRIORITY_SCALE < strength) if strength < 1 else chosen
        ch.assigned_protective[INTERVENTION][works] = self.factor
        ch.protective[INTERVENTION, ..., self.factor][works] = True

    def child_hook_factors(self, strength: float) -> dict:
        """The hook below as a factor for the compiled children's month (Mechanism.child_hook_factors)."""
        return {"onset_where_held": (self.factor, np.float64(1.0 + strength * (self.params.risk_onset_multiplier - 1.0)))}

    def modify_child_rates(self, strength: float, onset: np.ndarray, remission: np.ndarray,
                           intensive_child: np.ndarray) -> None:
        held = self.intervention.children.assigned_protective[INTERVENTION] == self.factor
        # in place where held, in float64 then back to float32 (the bits of ``*= np.where(held, m, 1.0)``, one pass)
        arm = onset[INTERVENTION]
        np.multiply(arm, np.float64(1.0 + strength * (self.params.risk_onset_multiplier - 1.0)), out=arm,
                    where=held, casting="same_kind")
