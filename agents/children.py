"""Children of the households, held as a population with an arm axis.

State arrays have shape ``(arms, capacity)`` (factors: ``(arms, capacity, 4)``).
A child belongs to one household for life, ages with the calendar, carries
four risk factors and four protective factors (a fifth, a parent in work, is
read from the household), may be placed out of home (HVB or family home),
and at 18 draws adult outcomes whose risks are multiplied by the childhood
risk (parameters.md §2–§3: 2–10×, Fergusson et al. 2005 via seed 004).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.base import ArrayPopulation
from agents.hazards import adult_risk_multiplier

RISK_FACTORS = ("conduct_problems", "school_absence", "family_conflict", "weak_parenting")
PROTECTIVE_FACTORS = ("organised_leisure", "prosocial_context", "school_engagement",
                      "parenting_support")
ADULT_OUTCOMES = ("unemployed_on_eb", "mental_illness", "substance_abuse")
PLACEMENT_STATES = ("home", "hvb", "family_home")
HOME, HVB, FAMILY_HOME = 0, 1, 2
ADULT_AGE_MONTHS = 18 * 12


@dataclass(frozen=True)
class Child:
    """One child in one arm, as seen at the current month."""

    index: int
    arm: str
    household: int
    age_months: int
    present: bool
    risk_factors: tuple[str, ...]
    protective_factors: tuple[str, ...]
    placement: str
    placement_months_left: int
    ever_placed: bool
    adult_outcomes: tuple[str, ...]


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
    """Array-backed population of children, both arms side by side.

    Children are stored household by household, so the children of the
    households present so far are a prefix; as in
    :class:`agents.households.HouseholdPopulation`, every attribute is a view
    of that prefix and all updates are in place.
    """

    FIXED = ("household", "birth_month", "original_index", "priority", "adult_outcome_draws")
    STATE = ("present", "risk", "protective", "assigned_protective", "placement",
             "placement_months_left", "months_since_return", "ever_placed", "adult",
             "adult_outcome")

    def __init__(self, *, household: np.ndarray, birth_month: np.ndarray,
                 risk: np.ndarray, protective: np.ndarray, priority: np.ndarray | None = None,
                 adult_outcome_draws: np.ndarray | None = None, n_arms: int = 2):
        capacity = household.shape[0]
        if np.any(np.diff(household) < 0):
            raise ValueError("children must be ordered by household")
        shape = (n_arms, capacity)
        arrays = {
            "household": household.astype(np.int32),
            "birth_month": birth_month.astype(np.int32),  # relative to the simulation start
            "original_index": np.arange(capacity, dtype=np.int64),
            # lower = offered an activity place first (random, the same in both arms)
            "priority": np.zeros(capacity) if priority is None else priority.astype(np.float64),
            # one set of uniforms per child for the outcomes drawn at 18 (a child comes of age once)
            "adult_outcome_draws": (np.ones((capacity, len(ADULT_OUTCOMES)), dtype=np.float32)
                                    if adult_outcome_draws is None else adult_outcome_draws),
            "present": np.zeros(shape, dtype=bool),
            "risk": np.broadcast_to(risk, (n_arms,) + risk.shape).copy(),
            "protective": np.broadcast_to(protective, (n_arms,) + protective.shape).copy(),
            # a protective factor given by an intervention (index into PROTECTIVE_FACTORS, -1: none)
            "assigned_protective": np.full(shape, -1, dtype=np.int8),
            "placement": np.zeros(shape, dtype=np.int8),
            "placement_months_left": np.zeros(shape, dtype=np.int16),
            "months_since_return": np.full(shape, 10_000, dtype=np.int32),
            "ever_placed": np.zeros(shape, dtype=bool),
            "adult": np.zeros(shape, dtype=bool),
            "adult_outcome": np.zeros((n_arms, capacity, len(ADULT_OUTCOMES)), dtype=bool),
        }
        super().__init__(arrays, capacity, n_arms)
        self._index_families()
        self.activate_households(0)

    def activate_households(self, n_households: int) -> None:
        """Re-bind every attribute to the children of the first ``n_households`` households."""
        self._bind(int(np.searchsorted(self._arrays["household"], n_households, side="left")))

    def start_placed(self, index: np.ndarray, kind: np.ndarray, months_left: np.ndarray) -> None:
        """Children already in care when the simulation starts (both arms alike)."""
        self.placement[:, index] = kind
        self.placement_months_left[:, index] = months_left
        self.ever_placed[:, index] = True

    def follow_households(self, new_position: np.ndarray, n_kept: int, future_end: int) -> None:
        """Follow households moved by :meth:`HouseholdPopulation.retire`.

        ``new_position`` maps every household before the old retired block (which
        starts at ``future_end``) to its new position; the first ``n_kept`` positions
        are the households still active. Children stay grouped by household in
        the new order, so the children of active households remain a prefix.
        """
        household = self._arrays["household"]
        m_active = self.n_active
        m_end = int(np.searchsorted(household, future_end, side="left"))
        household[:m_end] = new_position[household[:m_end]]
        staying = household[:m_active] < n_kept
        self._compact(np.flatnonzero(staying), np.flatnonzero(~staying), m_active, m_end)
        self._index_families()
        self.activate_households(n_kept)

    def _index_families(self) -> None:
        """Children are stored household by household: each family's household and first child."""
        self._families, self._family_first_child = np.unique(self._arrays["household"], return_index=True)

    def family_max(self, values: np.ndarray, n_households: int) -> np.ndarray:
        """Per household (arms, n_households): the largest of its children's ``values`` (0 if none)."""
        out = np.zeros((values.shape[0], n_households), dtype=float)
        k = int(np.searchsorted(self._families, n_households))
        if k:
            out[:, self._families[:k]] = np.maximum.reduceat(values, self._family_first_child[:k], axis=1)
        return out

    def age_months(self, month: int) -> np.ndarray:
        return month - self.birth_month

    def child(self, index: int, arm: int, month: int) -> Child:
        """One child as a read-only view."""
        return Child(
            index=index, arm=("intervention", "control")[arm], household=int(self.household[index]),
            age_months=int(month - self.birth_month[index]), present=bool(self.present[arm, index]),
            risk_factors=tuple(n for k, n in enumerate(RISK_FACTORS) if self.risk[arm, index, k]),
            protective_factors=tuple(n for k, n in enumerate(PROTECTIVE_FACTORS)
                                     if self.protective[arm, index, k]),
            placement=PLACEMENT_STATES[self.placement[arm, index]],
            placement_months_left=int(self.placement_months_left[arm, index]),
            ever_placed=bool(self.ever_placed[arm, index]),
            adult_outcomes=tuple(n for k, n in enumerate(ADULT_OUTCOMES)
                                 if self.adult_outcome[arm, index, k]))

    # --- transitions ----------------------------------------------------------------

    def sync_presence(self, household_present: np.ndarray, month: int) -> None:
        """Minors are in the area while their household is; adults stay once grown up.

        ``household_present`` is already spread to the children (arms, children).
        """
        minors = self.age_months(month) < ADULT_AGE_MONTHS
        np.copyto(self.present, household_present, where=minors[None, :])

    def evolve_factors(self, onset_per_month: np.ndarray, remission_per_month: np.ndarray,
                       protective_loss_per_month: float, u_risk: np.ndarray,
                       u_protective: np.ndarray, minors_present: np.ndarray) -> None:
        """Risk factors start and stop; natural protective factors fade.

        ``onset_per_month`` and ``remission_per_month`` have shape (arms, N).
        One uniform per child and factor decides onset (if absent) or
        remission (if present) — the same draw in both arms.
        """
        u = u_risk[None, :, :]
        active = minors_present[:, :, None]
        # a factor flips when the draw falls under the rate that applies to its current state
        rate = np.where(self.risk, remission_per_month[:, :, None], onset_per_month[:, :, None])
        self.risk ^= active & (u < rate)
        # protective factors fade, except one given by an intervention while it is held
        lose = active & self.protective & (u_protective[None, :, :] < protective_loss_per_month)
        held = self.assigned_protective >= 0
        if held.any():
            k = np.arange(len(PROTECTIVE_FACTORS))[None, None, :]
            lose &= ~(self.assigned_protective[:, :, None] == k)
        self.protective &= ~lose

    def placements(self, hazard: np.ndarray, u_place: np.ndarray, u_kind_length: np.ndarray,
                   hvb_share: float, hvb_mean_months: float,
                   family_home_mean_months: float, eligible: np.ndarray) -> np.ndarray:
        """Children at home are placed with ``hazard``; returns the mask of new placements.

        One uniform decides both the kind (HVB below ``hvb_share``) and, rescaled
        to [0, 1) within its kind, the length: geometric with the kind's mean (months).
        """
        new = eligible & (self.placement == HOME) & (u_place[None, :] < hazard)
        if not new.any():
            return new
        hvb = u_kind_length < hvb_share
        kind = np.where(hvb, HVB, FAMILY_HOME).astype(np.int8)
        u_length = np.where(hvb, u_kind_length / max(hvb_share, 1e-12),
                            (u_kind_length - hvb_share) / max(1.0 - hvb_share, 1e-12))
        u_length = np.clip(u_length, 0.0, 1.0 - 1e-7)
        mean = np.where(kind == HVB, hvb_mean_months, family_home_mean_months)
        # geometric length >= 1 month with the given mean, from one uniform (inverse CDF)
        p_end = 1.0 / np.maximum(mean, 1.0)
        length = 1 + np.floor(np.log1p(-u_length) / np.log1p(-np.minimum(p_end, 1 - 1e-12)))
        length = np.minimum(length, 32_000).astype(np.int16)
        np.copyto(self.placement, kind[None, :], where=new)
        np.copyto(self.placement_months_left, length[None, :], where=new)
        self.ever_placed |= new
        return new

    def end_placements(self) -> np.ndarray:
        """Count down placements; those reaching zero go home. Returns the mask returned."""
        placed = self.placement != HOME
        self.placement_months_left -= placed
        back = placed & (self.placement_months_left <= 0)
        self.placement[back] = HOME
        self.months_since_return += 1
        self.months_since_return[back] = 0
        return back

    def come_of_age(self, month: int, n_risk: np.ndarray, base_probability: np.ndarray,
                    max_multiplier: float, u_outcome: np.ndarray) -> np.ndarray:
        """Children turning 18 this month (and in the area) draw their adult outcomes.

        ``u_outcome`` holds each child's three uniforms, drawn once at creation:
        a child comes of age once, so one draw per child and outcome suffices.
        Returns the indices of the children turning 18.
        """
        idx = np.flatnonzero(self.age_months(month) == ADULT_AGE_MONTHS)
        if idx.size == 0:
            return idx
        here = self.present[:, idx]
        rr = adult_risk_multiplier(n_risk[:, idx], max_multiplier, len(RISK_FACTORS))
        probability = np.clip(base_probability[None, None, :] * rr[:, :, None], 0.0, 1.0)
        self.adult_outcome[:, idx] |= here[:, :, None] & (u_outcome[None, idx, :] < probability)
        self.adult[:, idx] |= here
        self.placement[:, idx] = np.where(here, HOME, self.placement[:, idx])
        self.placement_months_left[:, idx] = np.where(here, 0, self.placement_months_left[:, idx])
        return idx

    def adult_remission(self, remission_per_month: float, u_remission: np.ndarray) -> None:
        """Adults leave an outcome with a constant monthly probability."""
        self.adult_outcome &= ~(u_remission[None, :, :] < remission_per_month)
