"""Economic assistance (EB): exits with duration dependence and caseload, exit routes, re-entries,
and the exit at pension age to the state's old-age support."""

from __future__ import annotations

import numpy as np

from agents import kernels
from agents.hazards import caseload_factor, fading_exit_hazard_per_month
from agents.households import COMPOSITION_INDEX, REENTRY_LATE_AFTER_MONTHS, ROUTE_INDEX, reentry_rows
from agents.mechanisms.base import CONTROL, INTERVENTION
from simulation.core.calibration import ELIGIBLE_FAMILY_MIN_MONTHS_ON_EB
from simulation.core.population import (HAS_CHILDREN, exit_floor_by_composition, reentry_hazard_by_route,
                                         route_shares)

#: the composition a household came with, from its (fixed) adults and children:
#: index (adults − 1) · 2 + (children > 0)
_ENTRY_COMPOSITION = np.array([COMPOSITION_INDEX["single_adult"], COMPOSITION_INDEX["single_parent"],
                               COMPOSITION_INDEX["couple_without_children"],
                               COMPOSITION_INDEX["couple_with_children"]])


class BenefitProcess:
    """One month of EB exits and re-entries for both arms (README "The model", baseline dynamics).

    Posts of the EB unit are fixed at the start (its caseload per worker at the
    starting stock); a growing stock dilutes them (``population.caseload_elasticity``).
    """

    #: the compiled path in one pass (``kernels.eb_month``); False: its three compiled passes
    #: (``kernels.exit_hazard``, ``eb_exits``, ``eb_reentries``), which tests compare it with
    fused = True

    def __init__(self, config, households, eb_unit_households_per_worker: float, intervention, evaluation):
        self.pop = config.population
        self.households, self.intervention, self.evaluation = households, intervention, evaluation
        self.households_per_worker = eb_unit_households_per_worker
        self.route_cdf = np.cumsum(route_shares(self.pop))
        self.reentry_hazard = reentry_hazard_by_route(self.pop)
        on_eb0 = np.count_nonzero(households.on_eb[CONTROL], axis=-1)          # per replication
        # an empty starting stock still has a (vanishing) post, so the caseload factor is defined
        self.eb_posts = np.maximum(on_eb0 / eb_unit_households_per_worker, 1e-9)
        naive = config.intervention.naive_claim
        self.count_exits_to_other_benefit = naive.count_exits_to_other_benefit
        self.participant_counts = None   # the participants table's counters, set by the model
        # exp(−λ d) for every duration d a household can reach (its start plus the months run), as a
        # table: the same values exit_hazard_per_month computes, one lookup instead of an exp a month
        # (a project starting mid-year adds a simulated year: simulation/core/calendar.py)
        longest = int(households.full("months_on_eb").max(initial=0)) + (config.horizon_years + 1) * 12 + 2
        self.duration_decay_by_month = np.exp(-self.pop.eb_duration_decay * np.arange(longest, dtype=float))
        self.pension_age_months = 12 * self.pop.pension_age_years
        # the floor and the fading part h(0) − floor by the composition a household came with
        # (population.eb_exit_hazard_floor_multiplier_by_composition), indexed as _ENTRY_COMPOSITION
        floors = exit_floor_by_composition(self.pop)[_ENTRY_COMPOSITION]
        self.floor_by_entry = floors
        self.fading_by_entry = fading_exit_hazard_per_month(self.pop.eb_exit_hazard_per_month, floors)
        self.with_children = HAS_CHILDREN            # by composition index
        self.counters = None   # the baseline's calibration counters (simulation/core/calibration.py), set by the model

    def exit_hazards(self, caseload: np.ndarray, hooks: tuple | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(base, hazard, at_risk) before the mechanisms: the base exit hazard (arms, R, N), times
        the caseload factor (arms, R), and the control arm's eligible families on EB (R, N).

        Compiled when the households are (agents/kernels.py: the same operations in the same order,
        so the same bits for the households on EB, tested; 0 for those off EB, which cannot leave and
        whose values nothing reads: the compiled pass skips them); otherwise these numpy passes.
        ``hooks`` (compiled only): the mechanisms' hook as ``(policy, factors)``
        (``Mechanism.exit_hazard_factors``) applied in the same pass, and the hazard clipped to
        [0, 1] — what :meth:`step` does after this otherwise.
        """
        hh = self.households
        if hh.kernels == "numba" and len(hh):
            base, hazard, at_risk, _ = self._exit_hazards_compiled(caseload, hooks)
            return base, hazard, at_risk
        entry = 2 * (hh.n_adults.astype(np.intp) - 1) + (hh.n_children > 0)
        floor = np.take(self.floor_by_entry, entry)
        # exit_hazard_per_month(h0 · propensity, months on EB, λ, floor), h0 = h(0) − floor, with
        # exp(−λ d) from the table
        base = np.take(self.fading_by_entry, entry) * hh.exit_propensity \
            * np.take(self.duration_decay_by_month, hh.months_on_eb) + floor
        hazard = base * caseload[..., None]
        at_risk = hh.on_eb[CONTROL] & np.take(self.with_children, hh.composition) \
            & (hh.months_on_eb[CONTROL] >= ELIGIBLE_FAMILY_MIN_MONTHS_ON_EB)
        return base, hazard, at_risk

    def _exit_hazards_compiled(self, caseload: np.ndarray, hooks: tuple | None):
        """:meth:`exit_hazards` in one compiled pass; also the participants on EB (R, N)."""
        shape = self.households.on_eb.shape
        base, hazard = np.empty(shape, dtype=np.float64), np.empty(shape, dtype=np.float64)
        at_risk, treated = np.empty(shape[1:], dtype=bool), np.empty(shape[1:], dtype=bool)
        kernels.exit_hazard(*self._hazard_arguments(caseload, hooks), base, hazard, at_risk, treated)
        return base, hazard, at_risk, treated

    def _hazard_arguments(self, caseload: np.ndarray, hooks: tuple | None) -> tuple:
        """The exit hazard's inputs as the compiled loops take them (``kernels.exit_hazard`` and
        ``kernels.eb_month`` begin with them), the hook's factors and the clip (with ``hooks``)."""
        hh, whole = self.households, kernels.whole
        policy, factors = hooks if hooks is not None else (False, np.ones(4))
        ordinary = self.intervention.ordinary_practice
        return (whole(hh.n_adults), whole(hh.n_children), whole(hh.exit_propensity),
                whole(hh.months_on_eb), whole(hh.on_eb), whole(hh.composition),
                self.fading_by_entry, self.floor_by_entry, self.duration_decay_by_month,
                np.ascontiguousarray(caseload, dtype=np.float64), self.with_children,
                np.int64(ELIGIBLE_FAMILY_MIN_MONTHS_ON_EB), np.int64(CONTROL), whole(hh.present),
                whole(hh.participant), np.int64(INTERVENTION), bool(policy),
                ordinary.eligible_by_composition, np.int64(ordinary.min_months_on_eb),
                np.asarray(factors, dtype=np.float64), hooks is not None)

    def hook_factors(self, t: int, strength: float) -> tuple | None:
        """The mechanisms' exit-hazard hooks as one ``(policy, factors)`` for the compiled pass, or
        None when they cannot be (more than one mechanism changes the hazard, or one says it cannot:
        then the hooks run on the hazard, as numpy's path does)."""
        changing = []
        for mechanism in self.intervention.mechanisms:
            hooks = mechanism.exit_hazard_factors(t, strength)
            if hooks is None:
                return None
            if hooks[0] or (hooks[1] != 1.0).any():
                changing.append(hooks)
        if len(changing) > 1:         # products in a chain: the hooks' own order keeps their bits
            return None
        return changing[0] if changing else (False, np.ones(4))

    def _step_fused(self, t: int, draws, caseload: np.ndarray, hooks: tuple, counting: bool,
                    to_pension: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`step`'s compiled path in one pass (``kernels.eb_month``): the exit hazard with the
        mechanism's factors and the clip, who leaves and by which route, who comes back; then the
        same counts and evaluation records as :meth:`step`'s other path, from the same arrays."""
        hh, pop, whole = self.households, self.pop, kernels.whole
        shape = hh.on_eb.shape
        base = np.empty(shape, dtype=np.float64) if counting else np.empty((1, 1, 1), dtype=np.float64)
        at_risk, treated = np.empty(shape[1:], dtype=bool), np.empty(shape[1:], dtype=bool)
        exits, back = np.empty(shape, dtype=bool), np.empty(shape, dtype=bool)
        route = np.empty(shape[1:], dtype=np.int8)
        n_exits, n_back = np.empty(shape[:2], dtype=np.int64), np.empty(shape[:2], dtype=np.int64)
        multiplier = pop.reentry_hazard_multiplier_after_24_months
        kernels.eb_month(*self._hazard_arguments(caseload, hooks), counting,
                         whole(draws.eb_exit), whole(draws.exit_route), np.asarray(self.route_cdf, dtype=np.float64),
                         np.int64(ROUTE_INDEX["moved"]), whole(hh.last_exit_route), whole(hh.months_since_exit),
                         whole(draws.reentry), reentry_rows(self.reentry_hazard, multiplier),
                         np.int64(self.reentry_hazard.shape[0]), np.int64(REENTRY_LATE_AFTER_MONTHS),
                         np.int64(pop.reentry_window_months), np.float64(pop.reentry_duration_memory),
                         base, at_risk, treated, exits, route, back, n_exits, n_back)
        self._record_exits(t, counting, caseload, base, treated, at_risk, exits, route)
        # a household reaching pension age this month left EB before the exits and cannot also exit
        # (exits need on EB): the two are disjoint, so the count of their union is the sum
        return n_exits + kernels.count_true(to_pension, hh.kernels), n_back

    def _record_exits(self, t: int, counting: bool, caseload: np.ndarray, base: np.ndarray, treated: np.ndarray,
                      at_risk: np.ndarray, exits: np.ndarray, route: np.ndarray) -> None:
        """The month's records of the exits, for both paths of :meth:`step`: the exits a pre/post
        evaluation expects anyway and those it claims (project months), the calibration's eligible
        families and the participants' exits by route. They read the hazard's inputs, the exits and
        the participants, none of which the re-entries change."""
        hh = self.households
        if counting:
            self.evaluation.count_expected_exits(t, base[INTERVENTION] * caseload[INTERVENTION][:, None],
                                                 hh.eb_sek_per_month, treated)
        if self.counters is not None:
            self.counters.count_eligible_family_exits(at_risk, exits[CONTROL], hh.kernels)
        if self.participant_counts is not None:
            self.participant_counts.count_exits(t, exits, route, hh.participant, hh.kernels)
        if counting:
            claimed = exits[INTERVENTION] & hh.participant[INTERVENTION]
            if not self.count_exits_to_other_benefit:
                claimed &= route != ROUTE_INDEX["other_benefit"]
            self.evaluation.count_exits(t, claimed, hh.eb_sek_per_month)

    def step(self, t: int, draws, strength: float) -> tuple[np.ndarray, np.ndarray]:
        """Exits and re-entries this month; returns (exits, entries) counted per arm and replication."""
        hh, pop, itv = self.households, self.pop, self.intervention
        # at pension age a household still on EB leaves it for the state's old-age support, for good
        # (issue 11 item 5): a shift of payer, booked in accounting/costs.py, not an exit the
        # intervention caused or an evaluation claims
        to_pension = hh.reach_pension_age(t, self.pension_age_months)
        caseload = caseload_factor(self.eb_posts, self.households_per_worker,
                                   kernels.count_true(hh.on_eb, hh.kernels), pop.caseload_elasticity)
        hooks = self.hook_factors(t, strength) if hh.kernels == "numba" and len(hh) else None
        counting = itv.active and t <= itv.t_end     # a pre/post evaluation counts project months
        if hooks is not None and self.fused:
            # the hazard, the exits and the re-entries in one compiled pass (the same bits as the
            # three compiled passes below, tested)
            return self._step_fused(t, draws, caseload, hooks, counting, to_pension)
        if hooks is not None:
            # one compiled pass: the hazard, the mechanism's factors and the clip (the same bits)
            base, hazard, at_risk, treated = self._exit_hazards_compiled(caseload, hooks)
        else:
            base, hazard, at_risk = self.exit_hazards(caseload)
            treated = hh.participant[INTERVENTION] & hh.on_eb[INTERVENTION]
            for mechanism in itv.mechanisms:
                mechanism.modify_exit_hazard(t, strength, hazard, treated)
            np.clip(hazard, 0.0, 1.0, out=hazard)            # in place: this month's own array
        exits, route = hh.eb_exits(hazard, draws.eb_exit, draws.exit_route, self.route_cdf)
        back = hh.eb_reentries(self.reentry_hazard, draws.reentry,
                               pop.reentry_hazard_multiplier_after_24_months, pop.reentry_window_months,
                               pop.reentry_duration_memory)
        self._record_exits(t, counting, caseload, base, treated, at_risk, exits, route)
        return kernels.count_true(exits | to_pension, hh.kernels), kernels.count_true(back, hh.kernels)
