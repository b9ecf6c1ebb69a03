"""Children of the households, held as a population with an arm axis.

State arrays have shape ``(arms, capacity)`` (factors: ``(arms, capacity, 4)``).
A child belongs to one household for life, ages with the calendar, carries
four risk factors and four protective factors (a fifth, a parent in work, is
read from the household), may be placed out of home (HVB or family home),
counts the months it has conduct problems between 7 and 17 (its childhood
history), leaves home between 18 and 20 (its family's composition and EB norm
follow), and from 18 may start adult outcomes, with a hazard over ages 18–30
whose cumulative risk is multiplied by that history (docs/sources.md: 2–10×,
Fergusson et al. 2005 via seed 004) — so a protective factor gained at 8 still
matters at 25 (issue 11 item 5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents import kernels, kernels_month
from agents.base import ArrayPopulation
from agents.hazards import adult_risk_multiplier, monthly_from_cumulative
from scenarios.vocabulary import ADULT_OUTCOMES, PROTECTIVE_FACTORS, RISK_FACTORS

__all__ = ["ADULT_AGE_MONTHS", "MAX_PLACEMENT_MONTHS", "ADULT_OUTCOMES", "FAMILY_HOME", "HOME", "HVB", "PROTECTIVE_FACTORS",
           "RISK_FACTORS", "Child", "ChildPopulation", "count_factors"]

PLACEMENT_STATES = ("home", "hvb", "family_home")
HOME, HVB, FAMILY_HOME = 0, 1, 2
ADULT_AGE_MONTHS = 18 * 12
#: placement lengths are stored as int16 months: a drawn length is capped here (2 600+ years,
#: never reached: children leave care at 18)
MAX_PLACEMENT_MONTHS = 32_000
#: months since return from care of a child never placed: far beyond any re-placement window
NEVER_RETURNED_MONTHS = 10_000
#: a month beyond any horizon (an event that does not happen)
NEVER_MONTH = np.iinfo(np.int32).max
CONDUCT_PROBLEMS = RISK_FACTORS.index("conduct_problems")


@dataclass(frozen=True)
class Child:
    """One child in one arm, as seen at the current month."""

    index: int
    arm: str
    replication: int
    household: int
    age_months: int
    present: bool
    risk_factors: tuple[str, ...]
    protective_factors: tuple[str, ...]
    placement: str
    placement_months_left: int
    ever_placed: bool
    adult_outcomes: tuple[str, ...]
    conduct_problem_months: int = 0
    leave_home_age_months: int = 0


def count_factors(flags: np.ndarray) -> np.ndarray:
    """How many of the four flags on the last axis are set, for (…, 4) boolean arrays.

    The four bytes of a child's flags read as one little-endian uint32; multiplying
    by 0x01010101 sums the bytes into the top byte. One pass instead of a slow
    reduction over a length-4 axis.
    """
    if flags.shape[-1] != 4 or flags.strides[-1] != 1 or not np.little_endian:
        return flags.sum(axis=-1)
    words = np.ascontiguousarray(flags).view(np.uint32)[..., 0]
    return ((words * np.uint32(0x01010101)) >> np.uint32(24)).astype(np.int8)


class ChildPopulation(ArrayPopulation):
    """Array-backed children of a batch of replications, both arms side by side.

    Within a replication's row children are stored household by household, so
    the children of the households present so far are a prefix; as in
    :class:`agents.households.HouseholdPopulation`, every attribute is a view
    of the batch's window and all updates are in place.
    """

    FIXED = ("household", "birth_month", "original_index", "priority", "adult_outcome_draws",
             "leave_home_month")
    STATE = ("present", "risk", "protective", "assigned_protective", "placement",
             "placement_months_left", "months_since_return", "ever_placed", "adult",
             "adult_outcome", "conduct_problem_months", "adult_onset_month")
    NO_HOUSEHOLD = np.iinfo(np.int32).max     # household of padding: sorts last, never arrives
    INERT = {"present": False, "adult": False, "adult_outcome": False, "placement": HOME,
             "placement_months_left": 0, "assigned_protective": -1, "adult_onset_month": NEVER_MONTH}
    #: "numba" or "numpy": which implementation of agents/kernels.py the monthly passes use (the
    #: model chooses by the batch's size, kernels.choose; the results are the same)
    kernels = "numpy"

    def __init__(self, *, household: list[np.ndarray], birth_month: list[np.ndarray],
                 risk: list[np.ndarray], protective: list[np.ndarray], priority: list[np.ndarray],
                 adult_outcome_draws: list[np.ndarray], n_arms: int = 2,
                 leave_home_month: list[np.ndarray] | None = None):
        """One list entry per replication of the batch (each ordered by household)."""
        from agents.base import pad_rows
        for h in household:
            if np.any(np.diff(h) < 0):
                raise ValueError("children must be ordered by household")
        capacity = np.array([h.shape[0] for h in household], dtype=np.int64)
        risk_full = pad_rows([r.astype(bool) for r in risk], False)
        protective_full = pad_rows([p.astype(bool) for p in protective], False)
        fixed_shape = risk_full.shape[:2]
        shape = (n_arms,) + fixed_shape
        arrays = {
            "household": pad_rows([h.astype(np.int32) for h in household], self.NO_HOUSEHOLD),
            # relative to the simulation start; padding is never born
            "birth_month": pad_rows([b.astype(np.int32) for b in birth_month], self.NO_HOUSEHOLD),
            "original_index": pad_rows([np.arange(c, dtype=np.int64) for c in capacity], -1),
            # lower = offered an activity place first (random, the same in both arms)
            "priority": pad_rows([p.astype(np.float64) for p in priority], 1.0),
            # one set of uniforms per child for the outcomes drawn at 18 (a child comes of age once)
            "adult_outcome_draws": pad_rows([d.astype(np.float32) for d in adult_outcome_draws], 1.0),
            "present": np.zeros(shape, dtype=bool),
            "risk": np.broadcast_to(risk_full, (n_arms,) + risk_full.shape).copy(),
            "protective": np.broadcast_to(protective_full, (n_arms,) + protective_full.shape).copy(),
            # a protective factor given by an intervention (index into PROTECTIVE_FACTORS, -1: none)
            "assigned_protective": np.full(shape, -1, dtype=np.int8),
            "placement": np.zeros(shape, dtype=np.int8),
            "placement_months_left": np.zeros(shape, dtype=np.int16),
            "months_since_return": np.full(shape, NEVER_RETURNED_MONTHS, dtype=np.int32),
            "ever_placed": np.zeros(shape, dtype=bool),
            "adult": np.zeros(shape, dtype=bool),
            "adult_outcome": np.zeros(shape + (len(ADULT_OUTCOMES),), dtype=bool),
            # the month (from the simulation start) each child leaves its family's household;
            # without it given, never within any horizon
            "leave_home_month": pad_rows([m.astype(np.int32) for m in leave_home_month], NEVER_MONTH)
            if leave_home_month is not None else np.full(fixed_shape, NEVER_MONTH, dtype=np.int32),
            # the childhood history: months with conduct problems in the counted ages
            "conduct_problem_months": np.zeros(shape, dtype=np.int16),
            # the month each adult outcome starts, set when the child turns 18 (NEVER_MONTH: never)
            "adult_onset_month": np.full(shape + (len(ADULT_OUTCOMES),), NEVER_MONTH, dtype=np.int32),
        }
        super().__init__(arrays, capacity, n_arms)
        self.n_households = np.zeros(self.n_reps, dtype=np.int64)
        self._families = [np.zeros(0, np.int64)] * self.n_reps
        self._family_first_child = [np.zeros(0, np.int64)] * self.n_reps
        for r in range(self.n_reps):
            self._index_families(r)
        self.activate_households(self.n_households)

    def activate_households(self, n_households: np.ndarray) -> None:
        """Re-bind every attribute to the children of the first ``n_households`` households of each row."""
        self.n_households = np.asarray(n_households, dtype=np.int64).copy()
        self._set_active(kernels.search_left(self._arrays["household"], self.n_households, self.kernels))

    def start_placed(self, r: int, index: np.ndarray, kind: np.ndarray, months_left: np.ndarray) -> None:
        """Children of replication ``r`` already in care when the simulation starts (both arms alike)."""
        self.placement[:, r, index] = kind
        self.placement_months_left[:, r, index] = months_left
        self.ever_placed[:, r, index] = True

    def follow_households(self, r: int, new_position: np.ndarray, n_kept: int, future_end: int,
                          rebind: bool = True) -> None:
        """Follow households of replication ``r`` moved by :meth:`HouseholdPopulation.retire`.

        ``new_position`` maps every household before the old retired block (which
        starts at ``future_end``) to its new position; the first ``n_kept`` positions
        are the households still active. Children stay grouped by household in
        the new order, so the children of active households remain a prefix.
        """
        household = self._arrays["household"][r]
        m_active = int(self.n_active[r])
        m_end = int(np.searchsorted(household, future_end, side="left"))
        household[:m_end] = new_position[household[:m_end]]
        staying = household[:m_active] < n_kept
        self._compact_row(r, np.flatnonzero(staying), np.flatnonzero(~staying), m_active, m_end)
        if self._pending is None:          # else end_compaction indexes the families
            self._index_families(r)
        n_households = self.n_households.copy()
        n_households[r] = n_kept
        if rebind:
            self.activate_households(n_households)
        else:              # the caller re-binds once, after following the households of several rows
            self.n_households = n_households

    def end_compaction(self) -> list[int]:
        """Compact the queued rows (:meth:`ArrayPopulation.end_compaction`), then index their families."""
        rows = super().end_compaction()
        for r in rows:
            self._index_families(r)
        return rows

    def _index_families(self, r: int) -> None:
        """Children are stored household by household: each family's household and first child."""
        row = self._arrays["household"][r]
        valid = row[row != self.NO_HOUSEHOLD]
        if valid.size and bool(np.all(valid[1:] >= valid[:-1])):
            # stored household by household (ascending): a family starts where the household changes
            # (what np.unique's first indices are for a sorted row, without its sort)
            first = np.flatnonzero(np.concatenate(([True], valid[1:] != valid[:-1])))
            families = valid[first]
        else:
            families, first = np.unique(valid, return_index=True)
        self._families[r], self._family_first_child[r] = families, first

    def of_households(self, household_values: np.ndarray) -> np.ndarray:
        """A per-household (arms, R, households) array spread to the children (arms, R, children).

        Children beyond their replication's active prefix get 0/False.
        """
        hh = self.household
        if household_values.shape[-1] == 0:      # no household has arrived anywhere in the batch
            return np.zeros(household_values.shape[:-1] + hh.shape[-1:], dtype=household_values.dtype)
        if self.kernels == "numba":
            return kernels.spread_to_children(household_values, kernels.whole(self._arrays["household"]),
                                              np.minimum(self.n_households, household_values.shape[-1]),
                                              hh.shape[-1])
        valid = hh < self.n_households[:, None]
        index = np.where(valid, hh, 0)
        spread = np.take_along_axis(household_values, np.broadcast_to(
            index, household_values.shape[:-2] + index.shape), axis=-1)
        return np.where(valid, spread, 0).astype(household_values.dtype, copy=False)

    def family_max(self, values: np.ndarray, n_households: int) -> np.ndarray:
        """Per household (arms, R, n_households): the largest of its children's ``values`` (0 if none)."""
        limits = np.minimum(n_households, self.n_households)
        return kernels.family_max_numpy(values, self.household, self._families, self._family_first_child, limits,
                                        n_households)

    def age_months(self, month: int) -> np.ndarray:
        return month - self.birth_month

    def child(self, index: int, arm: int, month: int, replication: int = 0) -> Child:
        """One child as a read-only view."""
        r = replication
        return Child(
            index=index, arm=("intervention", "control")[arm], replication=r,
            household=int(self.household[r, index]),
            age_months=int(month - self.birth_month[r, index]), present=bool(self.present[arm, r, index]),
            risk_factors=tuple(n for k, n in enumerate(RISK_FACTORS) if self.risk[arm, r, index, k]),
            protective_factors=tuple(n for k, n in enumerate(PROTECTIVE_FACTORS)
                                     if self.protective[arm, r, index, k]),
            placement=PLACEMENT_STATES[self.placement[arm, r, index]],
            placement_months_left=int(self.placement_months_left[arm, r, index]),
            ever_placed=bool(self.ever_placed[arm, r, index]),
            adult_outcomes=tuple(n for k, n in enumerate(ADULT_OUTCOMES)
                                 if self.adult_outcome[arm, r, index, k]),
            conduct_problem_months=int(self.conduct_problem_months[arm, r, index]),
            leave_home_age_months=int(self.leave_home_month[r, index] - self.birth_month[r, index]))

    # --- transitions ----------------------------------------------------------------

    def sync_presence(self, household_present: np.ndarray, month: int) -> None:
        """Minors are in the area while their household is; adults stay once grown up.

        ``household_present`` is already spread to the children (arms, R, children).
        """
        minors = self.age_months(month) < ADULT_AGE_MONTHS
        np.copyto(self.present, household_present, where=minors[None])

    def evolve_factors(self, onset_per_month: np.ndarray, remission_per_month: np.ndarray,
                       protective_loss_per_month: float, u_risk: np.ndarray,
                       u_protective: np.ndarray, minors_present: np.ndarray) -> None:
        """Risk factors start and stop; natural protective factors fade.

        ``onset_per_month`` and ``remission_per_month`` have shape (arms, R, N).
        One uniform per child and factor decides onset (if absent) or
        remission (if present) — the same draw in both arms.
        """
        # compared in float32, as numpy compares a float32 array with a Python float
        kernels.evolve_factors_numpy(self.risk, self.protective, self.assigned_protective,
                                     onset_per_month.astype(np.float32, copy=False),
                                     remission_per_month.astype(np.float32, copy=False),
                                     np.float32(protective_loss_per_month), u_risk, u_protective, minors_present)

    def placements(self, hazard: np.ndarray, u_place: np.ndarray, u_kind_length: np.ndarray,
                   hvb_share: float, hvb_mean_months: float,
                   family_home_mean_months: float, eligible: np.ndarray) -> np.ndarray:
        """Children at home are placed with ``hazard``; returns the mask of new placements.

        One uniform decides both the kind (HVB below ``hvb_share``) and, rescaled
        to [0, 1) within its kind, the length: geometric with the kind's mean (months).
        """
        new = eligible & (self.placement == HOME) & (u_place[None] < hazard)
        self.place(new, u_kind_length, hvb_share, hvb_mean_months, family_home_mean_months)
        return new

    def place(self, new: np.ndarray, u_kind_length: np.ndarray, hvb_share: float, hvb_mean_months: float,
              family_home_mean_months: float) -> None:
        """The children in ``new`` (arms, R, N) are placed: kind and length from their draw (see :meth:`placements`)."""
        if not new.any():
            return
        arm, rep, child = np.nonzero(new)
        self.place_at(arm, rep, child, u_kind_length, hvb_share, hvb_mean_months, family_home_mean_months)

    def place_at(self, arm: np.ndarray, rep: np.ndarray, child: np.ndarray, u_kind_length: np.ndarray,
                 hvb_share: float, hvb_mean_months: float, family_home_mean_months: float) -> None:
        """:meth:`place` for the children at (``arm``, ``rep``, ``child``) (distinct, as ``np.nonzero``
        gives them): the compiled children's month lists them, so no mask is searched."""
        # kind and length from the placed children's own draws (the same in both arms): computed
        # for them only, not for every child
        u_kind_length = u_kind_length[rep, child]
        hvb = u_kind_length < hvb_share
        kind = np.where(hvb, HVB, FAMILY_HOME).astype(np.int8)
        u_length = np.where(hvb, u_kind_length / max(hvb_share, 1e-12),
                            (u_kind_length - hvb_share) / max(1.0 - hvb_share, 1e-12))
        u_length = np.clip(u_length, 0.0, 1.0 - 1e-7)
        mean = np.where(kind == HVB, hvb_mean_months, family_home_mean_months)
        # geometric length >= 1 month with the given mean, from one uniform (inverse CDF)
        p_end = 1.0 / np.maximum(mean, 1.0)
        length = 1 + np.floor(np.log1p(-u_length) / np.log1p(-np.minimum(p_end, 1 - 1e-12)))
        length = np.minimum(length, MAX_PLACEMENT_MONTHS).astype(np.int16)
        self.placement[arm, rep, child] = kind
        self.placement_months_left[arm, rep, child] = length
        self.ever_placed[arm, rep, child] = True

    def end_placements(self) -> np.ndarray:
        """Count down placements; those reaching zero go home. Returns the mask returned."""
        placed = self.placement != HOME
        self.placement_months_left -= placed
        back = placed & (self.placement_months_left <= 0)
        self.placement[back] = HOME
        self.months_since_return += 1
        self.months_since_return[back] = 0
        return back

    def record_history(self, counted: np.ndarray) -> None:
        """A month of childhood history: children in ``counted`` (arms, R, N) with conduct problems add one."""
        self.conduct_problem_months += counted & self.risk[..., CONDUCT_PROBLEMS]

    def come_of_age(self, month: int, base_probability: np.ndarray, max_multiplier: float,
                    history_months: int, onset_first_month: int, onset_months: int,
                    u_outcome: np.ndarray) -> np.ndarray:
        """Children turning 18 this month (and in the area) become adults; their adult outcomes are dated.

        Each outcome k starts with a constant monthly hazard over the ``onset_months`` months
        from age ``onset_first_month``, such that it starts at all with probability
        p = min(1, base_k × RR), RR = 1 + (max − 1) × (months with conduct problems) /
        ``history_months`` (:func:`agents.hazards.adult_risk_multiplier`). With the child's one
        uniform u per outcome (drawn once at creation, the same in both arms) the start is the
        inverse of that distribution: the first month m with u < 1 − (1 − h)^(m+1), i.e.
        m = ⌊log(1 − u) / log(1 − h)⌋ with h the monthly hazard — or never if u ≥ p. The history
        is complete at 18 and the draws are fixed, so the start month is known now and no monthly
        draw depends on either arm's state.
        Returns the (R, children) mask of the children turning 18.
        """
        if self.kernels == "numba":             # one compiled pass finds them (the same pairs, in order)
            rep, child = kernels.find_equal(kernels.whole(self.birth_month), month - ADULT_AGE_MONTHS, self.window)
            turning = np.zeros(self.birth_month.shape, dtype=bool)
            turning[rep, child] = True
            # and one dates their outcomes: the lines below with their rates looked up by conduct months
            # (kernels_month.come_of_age: the same onset months); it refuses only a count outside its tables
            if rep.size == 0 or kernels_month.come_of_age(
                    self, rep, child, base_probability, max_multiplier, history_months, onset_first_month,
                    onset_months, u_outcome, NEVER_MONTH, HOME):
                return turning
        else:
            turning = self.age_months(month) == ADULT_AGE_MONTHS
            rep, child = np.nonzero(turning)     # once: every array below is read at these children
        if rep.size == 0:
            return turning
        here = self.present[:, rep, child]                                  # (arms, k)
        rr = adult_risk_multiplier(self.conduct_problem_months[:, rep, child].astype(float), max_multiplier,
                                   history_months)
        probability = np.clip(base_probability[None, None, :] * rr[:, :, None], 0.0, 1.0)
        hazard = monthly_from_cumulative(probability, onset_months)
        u = u_outcome[rep, child][None].astype(float)                       # (1, k, outcomes)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.floor(np.log1p(-u) / np.log1p(-np.minimum(hazard, 1.0 - 1e-15)))
        m = np.clip(np.nan_to_num(m, nan=0.0), 0, onset_months - 1)
        start = self.birth_month[rep, child][None, :, None] + onset_first_month + m
        onset = np.where(here[..., None] & (u < probability), start, NEVER_MONTH).astype(np.int32)
        self.adult_onset_month[:, rep, child] = onset
        self.adult[:, rep, child] |= here
        self.placement[:, rep, child] = np.where(here, HOME, self.placement[:, rep, child])
        self.placement_months_left[:, rep, child] = np.where(here, 0, self.placement_months_left[:, rep, child])
        return turning

    def start_adult_outcomes(self, month: int) -> None:
        """Adult outcomes dated to this month start."""
        self.adult_outcome |= self.adult_onset_month == month

    def adult_remission(self, remission_per_month: float, u_remission: np.ndarray) -> None:
        """Adults leave an outcome with a constant monthly probability."""
        self.adult_outcome &= ~(u_remission[None] < remission_per_month)
