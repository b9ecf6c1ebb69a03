"""Households on social assistance (ekonomiskt bistånd, EB), held as a population.

A city has 10 000–200 000 households and a study runs thousands of paired
replications, so the monthly transitions are computed for the whole
population at once: every state array has shape ``(arms, capacity)`` where
axis 0 is the arm (0 = intervention, 1 = control) and axis 1 the household.
Both arms receive the *same* uniform draw for a household in a month
(common random numbers), so a household's fate differs between the arms only
through what the intervention changed.

Attributes fixed at creation (composition, children, propensity to leave EB,
monthly EB amount, the month it enters the area) are arm-independent and
stored once. :meth:`HouseholdPopulation.household` returns one household as a
:class:`Household` view, for inspection one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.base import ArrayPopulation
from scenarios.schema import COMPOSITIONS, EXIT_ROUTES

ROUTE_INDEX = {name: i for i, name in enumerate(EXIT_ROUTES)}
COMPOSITION_INDEX = {name: i for i, name in enumerate(COMPOSITIONS)}
NO_ROUTE = -1
ARMS = ("intervention", "control")
#: re-entry hazards drop after this many months off EB (the key
#: ``population.reentry_hazard_multiplier_after_24_months``; Andrén & Andrén 2013, assumption L)
REENTRY_LATE_AFTER_MONTHS = 24


@dataclass(frozen=True)
class Household:
    """One household in one arm, as seen at the current month."""

    index: int
    arm: str
    composition: str
    adults: int
    children: int
    present: bool
    on_eb: bool
    months_on_eb: int
    last_exit_route: str | None
    eb_sek_per_month: float
    participant: bool
    open_care_months_left: int
    open_care_intensive: bool


class HouseholdPopulation(ArrayPopulation):
    """Array-backed population of households, both arms side by side.

    Households are stored in order of entry into the area (the starting stock
    first), so the households that have arrived by a month are a prefix of
    the arrays. Every attribute below is a *view* of that prefix
    (``n_active`` households), re-bound when households arrive, so monthly
    work is proportional to the households present so far, not to the whole
    horizon's inflow. All updates are in place.
    """

    FIXED = ("composition", "n_children", "n_adults", "exit_propensity", "eb_sek_per_month",
             "entry_month", "original_index", "enrolment_priority")
    STATE = ("present", "on_eb", "months_on_eb", "months_since_exit", "last_exit_route",
             "participant", "open_care_months_left", "open_care_month_index",
             "open_care_intensive")

    def __init__(self, *, composition: np.ndarray, n_children: np.ndarray,
                 exit_propensity: np.ndarray, eb_sek_per_month: np.ndarray,
                 entry_month: np.ndarray, initial_months_on_eb: np.ndarray,
                 enrolment_priority: np.ndarray | None = None, n_arms: int = 2):
        capacity = composition.shape[0]
        if np.any(np.diff(entry_month) < 0):
            raise ValueError("households must be ordered by entry month")
        couple = np.isin(composition, [COMPOSITION_INDEX["couple_with_children"],
                                       COMPOSITION_INDEX["couple_without_children"]])
        full = {
            "composition": composition.astype(np.int8),
            "n_children": n_children.astype(np.int8),
            "n_adults": np.where(couple, 2, 1).astype(np.int8),
            "exit_propensity": exit_propensity.astype(np.float64),
            "eb_sek_per_month": eb_sek_per_month.astype(np.float64),
            "entry_month": entry_month.astype(np.int32),  # -1: in the stock at the start
            "original_index": np.arange(capacity, dtype=np.int64),
            # lower = offered an intervention place first (random, the same in both arms)
            "enrolment_priority": (np.zeros(capacity) if enrolment_priority is None
                                   else enrolment_priority.astype(np.float64)),
        }
        shape = (n_arms, capacity)
        full.update({
            "present": np.zeros(shape, dtype=bool),
            "on_eb": np.zeros(shape, dtype=bool),
            "months_on_eb": np.zeros(shape, dtype=np.int32),
            "months_since_exit": np.zeros(shape, dtype=np.int32),
            "last_exit_route": np.full(shape, NO_ROUTE, dtype=np.int8),
            "participant": np.zeros(shape, dtype=bool),
            "open_care_months_left": np.zeros(shape, dtype=np.int16),
            "open_care_month_index": np.zeros(shape, dtype=np.int16),
            "open_care_intensive": np.zeros(shape, dtype=bool),
        })
        super().__init__(full, capacity, n_arms)
        initial = int((full["entry_month"] < 0).sum())
        self.n_retired = 0
        self._bind(initial)
        self.present[:] = True
        self.on_eb[:] = True
        self.months_on_eb[:] = initial_months_on_eb[:initial]

    def start_off_eb(self, index: np.ndarray, route: np.ndarray, months_since_exit: np.ndarray) -> None:
        """Households in the area at the start that left EB earlier (by ``route``, months ago)."""
        self.on_eb[:, index] = False
        self.months_on_eb[:, index] = 0
        self.last_exit_route[:, index] = route
        self.months_since_exit[:, index] = months_since_exit

    def retire(self, retiring: np.ndarray) -> tuple[np.ndarray, int]:
        """Move the active households flagged in ``retiring`` out of the active prefix.

        Storage becomes [still active | not yet arrived | retired]. Returns the
        new position of every household before the old retired block (old
        position -> new position) and where that block starts, so that the
        children can follow. Retired households are no longer simulated;
        ``original_index`` keeps their identity.
        """
        active = np.arange(self.n_active)
        keep, gone = active[~retiring], active[retiring]
        future_end = self.capacity - self.n_retired
        new_position = np.empty(future_end, dtype=np.int64)
        new_position[keep] = np.arange(keep.size)
        new_position[self.n_active:] = np.arange(self.n_active, future_end) - gone.size
        new_position[gone] = future_end - gone.size + np.arange(gone.size)
        self._compact(keep, gone, self.n_active, future_end)
        self.n_retired += gone.size
        self._bind(keep.size)
        return new_position, future_end

    # --- inspection ---------------------------------------------------------------

    def household(self, index: int, arm: int = 0) -> Household:
        """One household as a read-only view (for inspection and tests)."""
        route = int(self.last_exit_route[arm, index])
        return Household(
            index=index, arm=ARMS[arm], composition=COMPOSITIONS[self.composition[index]],
            adults=int(self.n_adults[index]), children=int(self.n_children[index]),
            present=bool(self.present[arm, index]), on_eb=bool(self.on_eb[arm, index]),
            months_on_eb=int(self.months_on_eb[arm, index]),
            last_exit_route=None if route == NO_ROUTE else EXIT_ROUTES[route],
            eb_sek_per_month=float(self.eb_sek_per_month[index]),
            participant=bool(self.participant[arm, index]),
            open_care_months_left=int(self.open_care_months_left[arm, index]),
            open_care_intensive=bool(self.open_care_intensive[arm, index]))

    # --- transitions (called by the model in schedule order) ------------------------

    def enter(self, month: int) -> int:
        """Households whose entry month is ``month`` arrive on EB. Returns how many."""
        future = self._arrays["entry_month"][self.n_active:self.capacity - self.n_retired]
        arrived = int(np.searchsorted(future, month, side="right"))
        n_new = self.n_active + arrived
        if arrived > 0:
            old = self.n_active
            self._bind(n_new)
            self.present[:, old:] = True
            self.on_eb[:, old:] = True
            self.months_on_eb[:, old:] = 0
        return max(arrived, 0)

    def eb_exits(self, hazard: np.ndarray, u_exit: np.ndarray, u_route: np.ndarray,
                 route_cdf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Households on EB leave with probability ``hazard`` (shape (arms, N)).

        Returns ``(exits, route)``: a boolean (arms, N) mask and the route index
        of every household leaving in either arm (from its own draw, so the same
        in both arms; NO_ROUTE elsewhere). Moving away removes the household
        (and its children) from the area.
        """
        exits = self.on_eb & (u_exit[None, :] < hazard)
        leaving = np.flatnonzero(exits[0] | exits[1]) if exits.shape[0] == 2 else \
            np.flatnonzero(exits.any(axis=0))
        route = np.full(exits.shape[1], NO_ROUTE, dtype=np.int8)
        route[leaving] = np.minimum(np.searchsorted(route_cdf, u_route[leaving], side="right"),
                                    len(route_cdf) - 1)
        self.on_eb &= ~exits
        np.copyto(self.last_exit_route, route[None, :], where=exits)
        self.months_since_exit[exits] = 0
        self.present &= ~(exits & (route == ROUTE_INDEX["moved"])[None, :])
        return exits, route

    def eb_reentries(self, hazard_by_route: np.ndarray, u_reentry: np.ndarray,
                     after_24_multiplier: float, window_months: int) -> np.ndarray:
        """Households off EB (still in the area) return with a hazard by exit route.

        Only from the month after the exit; the hazard drops by
        ``after_24_multiplier`` after ``REENTRY_LATE_AFTER_MONTHS`` off EB and ends after
        ``window_months``: state dependence fades (Andrén & Andrén 2013).
        """
        since = self.months_since_exit
        off = self.present & ~self.on_eb & (self.last_exit_route >= 0) & (since >= 1) \
            & (since < window_months)
        n_routes = hazard_by_route.shape[0]
        table = np.concatenate([hazard_by_route, hazard_by_route * after_24_multiplier])
        hazard = table[np.maximum(self.last_exit_route, 0) + n_routes * (since >= REENTRY_LATE_AFTER_MONTHS)]
        back = off & (u_reentry[None, :] < hazard)
        self.on_eb |= back
        self.months_on_eb[back] = 0
        return back

    def advance_month(self) -> None:
        """Durations tick for everyone present."""
        self.months_on_eb += self.on_eb
        self.months_since_exit += self.present & ~self.on_eb

    # --- open care (an episode per family; its length and intensity decided by the caller) --

    def tick_open_care(self) -> None:
        """A month of every running open-care episode passes."""
        running = self.open_care_months_left > 0
        self.open_care_months_left -= running
        self.open_care_month_index += (self.open_care_months_left > 0)

    def start_open_care(self, start: np.ndarray, length_months: np.ndarray, intensive: np.ndarray) -> None:
        """Episodes begin (or restart) where ``start`` is set, with the given lengths."""
        np.copyto(self.open_care_months_left, length_months, where=start, casting="unsafe")
        self.open_care_month_index[start] = 0
        np.copyto(self.open_care_intensive, intensive, where=start)

    # --- retirement ---------------------------------------------------------------------

    def settled(self, window_months: int) -> np.ndarray:
        """Households whose EB dynamics are over in both arms (see :meth:`retire`).

        Moved away (gone in every arm), or off EB beyond the re-entry window in
        every arm, never a participant, no open-care episode running.
        """
        gone = ~self.present.any(axis=0)
        off = (~self.on_eb & (self.last_exit_route >= 0) & (self.months_since_exit >= window_months)).all(axis=0) \
            & ~self.participant.any(axis=0) & (self.open_care_months_left == 0).all(axis=0)
        return gone | off
