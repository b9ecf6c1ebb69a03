"""Children month by month: risk and protective factors, placements, leaving home, adult outcomes."""

from __future__ import annotations

import math

import numpy as np

from agents import kernels, kernels_month
from agents.children import ADULT_AGE_MONTHS, ADULT_OUTCOMES, CONDUCT_PROBLEMS, PROTECTIVE_FACTORS, count_factors
from agents.hazards import (DAYS_PER_MONTH, monthly_from_cumulative, monthly_from_yearly,
                            placement_hazard_per_month)
from agents.households import ROUTE_INDEX
from agents.mechanisms.base import CONTROL, INTERVENTION
from simulation.core.population import eb_amount_sek_per_month

#: a placement ended less than this long ago raises the hazard to the re-placement
#: hazard (``population.replacement_within_2_years``; Vinnerljung, Öman & Gunnarson 2004)
REPLACEMENT_WINDOW_MONTHS = 24
MAX_RISK_FACTORS = 4


def household_flags(households) -> np.ndarray:
    """(arms, R, window) uint8, the households' state the children's month reads, in bits: 0 present,
    1 a parent in work (off EB after an exit to work), 2 in an intensive open-care episode, 3 a
    participant. The numpy reference of ``kernels.household_flags`` (the compiled month's)."""
    hh = households
    return (hh.present.view(np.uint8)
            | ((~hh.on_eb & (hh.last_exit_route == ROUTE_INDEX["work"])).view(np.uint8) << 1)
            | ((hh.open_care_intensive & (hh.open_care_months_left > 0)).view(np.uint8) << 2)
            | (hh.participant.view(np.uint8) << 3))


class ChildhoodProcess:
    """One month of the children of both arms; open care runs from here (it needs family risk)."""

    def __init__(self, population, households, children, intervention, open_care, baseline, economy=None):
        pop = population
        self.economy = economy        # the EB norm of a family whose child left home (None: amounts stay)
        self.pop, self.households, self.children = pop, households, children
        self.intervention, self.open_care, self.baseline = intervention, open_care, baseline
        # per replication: the starting children's mean number of risk factors
        counts = count_factors(children.risk[1]) if len(children) else np.zeros((children.n_reps, 0))
        self.mean_risk = np.array([counts[r, :children.n_active[r]].mean() if children.n_active[r] else 0.0
                                   for r in range(children.n_reps)])
        n_protection_levels = len(PROTECTIVE_FACTORS) + 2     # the four, a parent in work, and none
        # float32 like the draws they are compared with
        self.onset_by_protection = (pop.risk_onset_per_month * np.exp(
            -pop.protective_onset_log_multiplier * np.arange(n_protection_levels))).astype(np.float32)
        self.placement_hazard_table = np.clip(placement_hazard_per_month(
            pop.placement_hazard_per_year, np.arange(MAX_RISK_FACTORS + 1)[None, :, None],
            np.arange(n_protection_levels)[None, None, :], pop.placement_risk_log_multiplier,
            pop.placement_protection_log_multiplier, self.mean_risk[:, None, None]), 0, 1)
        self._rep = np.arange(children.n_reps)[None, :, None]
        self.adult_base_probability = np.array([pop.adult_outcome_base_probability[k] for k in ADULT_OUTCOMES])
        self.adult_remission_per_month = monthly_from_yearly(pop.adult_outcome_remission_per_year)
        self.hvb_mean_months = pop.hvb_mean_days / DAYS_PER_MONTH
        self.family_home_mean_months = pop.family_home_mean_days / DAYS_PER_MONTH
        self.replacement_hazard = float(monthly_from_cumulative(pop.replacement_within_2_years,
                                                                REPLACEMENT_WINDOW_MONTHS))
        # life course (issue 11 item 5): the childhood history's ages, the adult outcomes' onset ages
        first, last = pop.adult_outcome_conduct_history_age_years
        self.history_ages_months = (12 * first, 12 * (last + 1))
        first, last = pop.adult_outcome_onset_age_years
        self.onset_first_month, self.onset_months = 12 * first, 12 * (last - first + 1)
        self._new_placements: np.ndarray | None = None     # step_fused's buffer of new placements

    def step(self, t: int, strength: float, draws) -> None:
        ch, hh = self.children, self.households
        if len(ch) == 0:
            self.open_care.step(t, strength, draws, np.zeros((2, hh.n_reps, len(hh))))
            return
        # compiled: one pass with the mechanisms' hooks as factors; a mechanism whose hooks cannot be
        # put as factors (none of today's) runs them as numpy hooks in the reference's passes
        # (the compiled pass reads a child's four risk and four protective flags as one word each)
        words = ch.risk.shape[-1] == ch.protective.shape[-1] == 4 and np.little_endian
        hooks = self.hook_factors(strength) if ch.kernels == "numba" and words else None
        if hooks is not None:
            self.step_fused(t, strength, draws, hooks)
        else:
            self.step_numpy(t, strength, draws)

    def step_numpy(self, t: int, strength: float, draws) -> None:
        """The month with numpy passes: the reference of :meth:`step_fused` (the same bits)."""
        ch, hh, pop = self.children, self.households, self.pop
        # household state the children need, packed into bits and spread to them in one pass
        flags = ch.of_households(household_flags(hh))
        ch.sync_presence((flags & 1).view(bool), t)
        self.leave_home(t)
        age = ch.age_months(t)
        minors = ch.present & ~ch.adult & (age >= 0)[None] & (age < ADULT_AGE_MONTHS)[None]
        # the household's situation protects too: a parent in work, or in treatment
        parent_in_work = (flags >> 1) & 1
        n_protective = count_factors(ch.protective) + parent_in_work
        onset = self.onset_by_protection[n_protective]
        remission = np.full(onset.shape, pop.risk_remission_per_month, dtype=np.float32)
        intensive = ((flags >> 2) & 1).view(bool)
        participant_child = ((flags >> 3) & 1).view(bool)
        for mechanism in self.intervention.mechanisms:
            mechanism.modify_child_rates(strength, onset, remission, intensive)
        ch.evolve_factors(onset, remission, pop.protective_loss_per_month,
                          draws.child_risk, draws.protective_loss, minors)
        lo, hi = self.history_ages_months
        ch.record_history(minors & ((age >= lo) & (age < hi))[None])
        # placements: re-placement hazard for those recently home (Vinnerljung et al. 2004)
        ch.end_placements()
        n_risk = count_factors(ch.risk)
        # table lookup of placement_hazard_per_month over (risk factors 0–4, protective 0–5)
        hazard = self.placement_hazard_table[self._rep, n_risk, n_protective]
        recent = ch.ever_placed & (ch.months_since_return < REPLACEMENT_WINDOW_MONTHS)
        np.maximum(hazard, self.replacement_hazard, out=hazard, where=recent)
        for mechanism in self.intervention.mechanisms:
            mechanism.modify_placement_hazard(hazard, intensive, participant_child)
        new = ch.placements(hazard, draws.placement, draws.placement_kind,
                            pop.hvb_share_of_placements, self.hvb_mean_months,
                            self.family_home_mean_months, minors)
        self.baseline.count_children(new, minors)
        self.finish_month(t, strength, draws, minors, n_risk)
        ch.start_adult_outcomes(t)
        ch.adult_remission(self.adult_remission_per_month, draws.adult_remission)

    def hook_factors(self, strength: float) -> tuple[np.ndarray, ...] | None:
        """The mechanisms' children's hooks as the fused loop's factors, in the mechanisms' order:
        (protective factor held, onset multiplier), remission multipliers, placement multipliers
        (``Mechanism.child_hook_factors``); None when a mechanism cannot give its hooks as factors."""
        held, onset, remission, placement = [], [], [], []
        for mechanism in self.intervention.mechanisms:
            factors = mechanism.child_hook_factors(strength)
            if factors is None:
                return None
            if "onset_where_held" in factors:
                factor, multiplier = factors["onset_where_held"]
                held.append(factor)
                onset.append(multiplier)
            if "remission_where_intensive" in factors:
                remission.append(factors["remission_where_intensive"])
            if "placement_where_intensive_participant" in factors:
                placement.append(factors["placement_where_intensive_participant"])
        return (np.array(held, dtype=np.int64), np.array(onset, dtype=np.float64),
                np.array(remission, dtype=np.float64), np.array(placement, dtype=np.float64))

    def step_fused(self, t: int, strength: float, draws, hooks: tuple[np.ndarray, ...],
                   keep: dict | None = None) -> None:
        """The month of :meth:`step_numpy` as one compiled pass over the children (agents/kernels.py:
        child_month), the mechanisms' hooks applied in it as factors (:meth:`hook_factors`): the same
        bits (tests/test_kernels.py). ``keep`` (tests): a dict given the month's minors and risk
        counts, and the rates and placement hazard of the minors (NaN for the other children, whose
        rates and hazard the pass does not compute: they change nothing)."""
        ch, hh, pop = self.children, self.households, self.pop
        whole = kernels.whole
        shape = ch.present.shape
        lo, hi = self.history_ages_months
        # the new placements' (arm, replication, child), at most one per slot; kept while the window fits
        if self._new_placements is None or self._new_placements.shape[1] < math.prod(shape):
            self._new_placements = np.empty((3, math.prod(shape)), dtype=np.intp)
        new_arm, new_rep, new_child = self._new_placements
        family_risk = np.zeros(shape[:2] + (len(hh),), dtype=np.int8)
        if keep is not None:
            keep.update(onset=np.empty(shape, dtype=np.float32), remission=np.empty(shape, dtype=np.float32),
                        hazard=np.empty(shape, dtype=np.float64), minors=np.empty(shape, dtype=bool),
                        n_risk=np.empty(shape, dtype=np.int8))
            kept = (keep["onset"], keep["remission"], keep["hazard"], keep["minors"], keep["n_risk"])
        else:
            unused = np.empty((1, 1, 1))
            kept = (unused.astype(np.float32), unused.astype(np.float32), unused, unused.astype(bool),
                    unused.astype(np.int8))
        # leaving home changes households' composition, children at home and norm only: none of
        # the household state read below
        self.leave_home(t)
        held, onset_multiplier, remission_multiplier, placement_multiplier = hooks
        flags = kernels.household_flags(hh, ROUTE_INDEX["work"])     # one byte per household: what a child reads
        n_new = kernels.child_month(np.int64(t), np.int64(ADULT_AGE_MONTHS), flags, whole(ch.household),
                                    np.minimum(len(hh), ch.n_households), whole(ch.birth_month),
                            whole(ch.present), whole(ch.adult), whole(ch.protective).view(np.uint32),
                            np.int64(ch.protective.shape[-1]), self.onset_by_protection,
                            np.float32(pop.risk_remission_per_month), np.int64(INTERVENTION), held,
                            onset_multiplier, remission_multiplier, placement_multiplier,
                            np.int64(ch.risk.shape[-1]), np.int64(CONDUCT_PROBLEMS), np.int64(lo), np.int64(hi),
                            np.int64(REPLACEMENT_WINDOW_MONTHS), np.float64(self.replacement_hazard),
                            whole(ch.risk).view(np.uint32), whole(ch.assigned_protective),
                            np.float32(pop.protective_loss_per_month),
                            whole(draws.child_risk), whole(draws.protective_loss), whole(ch.conduct_problem_months),
                            whole(ch.placement), whole(ch.placement_months_left), whole(ch.months_since_return),
                            whole(ch.ever_placed), self.placement_hazard_table, whole(draws.placement),
                            np.int64(shape[-1]), new_arm, new_rep, new_child, self.baseline.placements_this_year,
                            self.baseline.minor_months_this_year, family_risk,
                            np.int64(CONTROL), keep is not None, *kept)
        if n_new:
            ch.place_at(new_arm[:n_new], new_rep[:n_new], new_child[:n_new], draws.placement_kind,
                        pop.hvb_share_of_placements, self.hvb_mean_months, self.family_home_mean_months)
        self.finish_month(t, strength, draws, None, None, family_risk)
        # start_adult_outcomes then adult_remission (step_numpy's lines) in one pass over the outcomes
        kernels_month.adult_outcomes_month(ch, t, self.adult_remission_per_month, draws.adult_remission)

    def finish_month(self, t: int, strength: float, draws, minors: np.ndarray, n_risk: np.ndarray,
                     family_risk: np.ndarray | None = None) -> None:
        """Open care (its need rises with the family's risk) and the children turning 18."""
        ch, pop = self.children, self.pop
        # open-care need of a family rises with its children's risk (its largest count over its minors)
        if family_risk is None:
            family_risk = ch.family_max(np.where(minors, n_risk, 0), len(self.households))
        self.open_care.step(t, strength, draws, family_risk, implementation=ch.kernels)
        # at 18 the adult outcomes are dated (a hazard over 18–30, its risk multiplied by the
        # childhood history); those dated to this month start
        ch.come_of_age(t, self.adult_base_probability, pop.adult_outcome_risk_multiplier_max,
                       self.history_ages_months[1] - self.history_ages_months[0], self.onset_first_month,
                       self.onset_months, ch.adult_outcome_draws)

    def leave_home(self, t: int) -> None:
        """Children whose leaving-home month is now leave their family (the same in both arms).

        The family's composition and EB norm follow (``eb_amount_sek_per_month`` of its new size).
        """
        ch, hh = self.children, self.households
        if ch.kernels == "numba":                # one compiled pass (the same pairs, in order)
            whole = kernels.whole
            r, c = kernels.find_equal(whole(ch.leave_home_month), t, ch.window, whole(ch.household), ch.n_households)
        else:
            r, c = np.nonzero((ch.leave_home_month == t) & (ch.household < ch.n_households[:, None]))
        if r.size == 0:
            return
        r, h = hh.children_leave_home(r, ch.household[r, c])
        if self.economy is not None:
            hh.eb_sek_per_month[r, h] = eb_amount_sek_per_month(hh.composition[r, h],
                                                                hh.children_at_home[r, h], self.economy)
