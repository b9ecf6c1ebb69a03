"""The intervention: its project window, effect strength, enrolment and mechanisms.

Enrolment follows the same rule in both arms (the control arm's households
are enrolled too, as they would have been offered a place), so the arms
differ only through what the mechanisms change in the intervention arm.
"""

from __future__ import annotations

import math

import numpy as np

from agents import kernels_month
from agents.base import first_by_priority
from agents.households import COMPOSITION_INDEX
from agents.kernels import count_true
from agents.mechanisms import build_mechanisms
from agents.mechanisms.base import CONTROL, INTERVENTION
from agents.mechanisms.family_treatment import intensive_hours_by_month as family_treatment_hours
from scenarios.schema import COMPOSITIONS, InterventionConfig


def composition_table(compositions: list[int]) -> np.ndarray:
    """A lookup table over composition indices: True for the given ones (np.isin, as one take)."""
    table = np.zeros(len(COMPOSITIONS), dtype=bool)
    table[list(compositions)] = True
    return table


class OrdinaryPractice:
    """The policy path (README "The model"): from a date the method is ordinary practice in *both* arms.

    From ``intervention.ordinary_practice.start_year/start_month`` the named
    mechanisms act on every household of the intervention's eligible
    compositions that has been on EB at least ``eligible_min_months_on_eb``
    months, in the intervention and the control arm alike, at the method's
    configured strength (``effect_scale``; no ramp-up, no decay: it is the
    municipality's ordinary work). The project's attributable effect is then
    its head start. Each mechanism decides what reaching a household means
    (its hooks ask :meth:`reaches` and :meth:`eligible`).
    """

    def __init__(self, config: InterventionConfig, calendar, households, eligible_by_composition: np.ndarray):
        op = config.ordinary_practice
        self.enabled = bool(op.enabled) and len(op.mechanisms) > 0 and config.name != "none"
        self.mechanisms = frozenset(op.mechanisms)
        self.t_start = calendar.month_index(op.start_year, op.start_month)
        self.min_months_on_eb = op.eligible_min_months_on_eb
        self.strength = config.effect_scale
        self.households = households
        self.eligible_by_composition = eligible_by_composition   # bool per composition index

    def reaches(self, t: int, mechanism: str) -> bool:
        """Is ``mechanism`` ordinary practice in month ``t``?"""
        return self.enabled and t >= self.t_start and mechanism in self.mechanisms

    def eligible(self) -> np.ndarray:
        """(arms, R, N): households the policy reaches this month (on EB, eligible, long enough)."""
        hh = self.households
        composition = np.take(self.eligible_by_composition, hh.composition)
        return hh.present & hh.on_eb & composition[None] & (hh.months_on_eb >= self.min_months_on_eb)


class Intervention:
    """One intervention (or none) acting on the households and children of both arms.

    Args:
        config: the intervention's parameters.
        calendar: the model's calendar (``t_start``, ``t_end``, ``month_index``).
        households, children: the populations.
        caseloads: households per worker of each municipal unit (by unit name).
        evaluation: the pre/post bookkeeping that counts what an evaluator would claim.
    """

    def __init__(self, config: InterventionConfig, calendar, households, children,
                 caseloads: dict[str, float], evaluation):
        self.config = config
        self.households, self.children, self.evaluation = households, children, evaluation
        self.t_start, self.t_end = calendar.t_start, calendar.t_end
        self.active = config.name != "none" and config.participants_households > 0
        self.shocks = [(calendar.month_index(s.year, s.month), s.duration_months, s.effect_multiplier)
                       for s in config.implementation_shocks]
        self.eligible_by_composition = composition_table(
            [COMPOSITION_INDEX[c] for c in config.eligible_compositions])
        self.ordinary_practice = OrdinaryPractice(config, calendar, households, self.eligible_by_composition)
        self.mechanisms = build_mechanisms(self, config, caseloads)
        self.open_care = None        # the open-care service, set by the model (episodes start there)
        self.participant_counts = None   # the participants table's counters, set by the model

    def in_project(self, t: int) -> bool:
        return self.t_start <= t <= self.t_end

    def effect_strength(self, t: int) -> float:
        """0…: effect_scale × ramp-up × implementation shocks × decay after the end."""
        itv = self.config
        if not self.active or t < self.t_start:
            return 0.0
        ramp = 1.0 if itv.ramp_up_months == 0 else min(1.0, (t - self.t_start + 1) / itv.ramp_up_months)
        strength = itv.effect_scale * ramp
        for at, duration, multiplier in self.shocks:
            if at <= t < at + duration:
                strength *= multiplier
        if t > self.t_end:
            decay = itv.effect_decay_months_after_end
            strength *= math.exp(-(t - self.t_end) / decay) if decay > 0 else 0.0
        return strength

    def enrol(self, t: int, strength: float, draws) -> None:
        """Enrol households up to the project's size (both arms alike), then give children places."""
        if not self.active or not self.in_project(t):
            return
        itv, hh = self.config, self.households
        if t == self.t_start or itv.enrol_during_project:
            compiled = hh.kernels == "numba" and len(hh) > 0
            eligible_comp = None if compiled else np.take(self.eligible_by_composition, hh.composition)
            for arm in (INTERVENTION, CONTROL):
                if compiled:          # the lines below in one pass (kernels_month.enrol_households: the same)
                    chosen = kernels_month.enrol_households(hh, arm, itv.participants_households,
                                                            self.eligible_by_composition,
                                                            itv.eligible_min_months_on_eb)
                    if chosen is None:
                        continue
                else:
                    current = hh.participant[arm] & hh.on_eb[arm]
                    room = itv.participants_households - count_true(current, hh.kernels)
                    if not (room > 0).any():
                        continue
                    eligible = (hh.present[arm] & hh.on_eb[arm] & eligible_comp & ~hh.participant[arm]
                                & (hh.months_on_eb[arm] >= itv.eligible_min_months_on_eb))
                    chosen = first_by_priority(eligible, hh.enrolment_priority, room)
                    hh.participant[arm] |= chosen
                if self.participant_counts is not None:
                    self.participant_counts.count_enrolled(t, arm, chosen, hh, self.children)
                for mechanism in self.mechanisms:
                    mechanism.on_households_enrolled(t, strength, arm, chosen, draws)
        for mechanism in self.mechanisms:
            mechanism.enrol_children(t, strength, draws)

    def intensive_hours_by_month(self) -> np.ndarray:
        """Hours per month of the intervention's intensive open-care variant (empty if none)."""
        for mechanism in self.mechanisms:
            hours = mechanism.intensive_hours_by_month()
            if hours is not None:
                return hours
        return family_treatment_hours(self.config.family_treatment)
