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

from scenarios.schema import COMPOSITIONS, EXIT_ROUTES

ROUTE_INDEX = {name: i for i, name in enumerate(EXIT_ROUTES)}
COMPOSITION_INDEX = {name: i for i, name in enumerate(COMPOSITIONS)}
NO_ROUTE = -1
ARMS = ("intervention", "control")


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
    track: int
    open_care_months_left: int
    open_care_intensive: bool


def exit_hazard_per_month(base_per_month: np.ndarray | float, months_on_eb: np.ndarray,
                          duration_decay: float) -> np.ndarray:
    """Monthly EB exit hazard with duration dependence, h(d) = h0 · exp(−λ d).

    Source: parameters.md §1 (hazard form; Mood 2012 for the duration dependence).
    """
    return base_per_month * np.exp(-duration_decay * months_on_eb)


def monthly_from_cumulative(prob: float | np.ndarray, months: float) -> np.ndarray:
    """The constant monthly hazard giving ``prob`` within ``months`` months."""
    prob = np.clip(np.asarray(prob, dtype=float), 0.0, 1.0 - 1e-12)
    return 1.0 - (1.0 - prob) ** (1.0 / months)


def spell_survival(months: np.ndarray, base_per_month: np.ndarray | float,
                   duration_decay: float) -> np.ndarray:
    """Probability that a spell lasts beyond ``months`` under the continuous-time hazard."""
    if duration_decay == 0.0:
        cumulative = base_per_month * months
    else:
        cumulative = base_per_month * (1.0 - np.exp(-duration_decay * months)) / duration_decay
    return np.exp(-cumulative)


class HouseholdPopulation:
    """Array-backed population of households, both arms side by side."""

    def __init__(self, *, composition: np.ndarray, n_children: np.ndarray,
                 exit_propensity: np.ndarray, eb_sek_per_month: np.ndarray,
                 entry_month: np.ndarray, initial_months_on_eb: np.ndarray, n_arms: int = 2):
        capacity = composition.shape[0]
        self.capacity = capacity
        self.n_arms = n_arms
        # arm-independent attributes
        self.composition = composition.astype(np.int8)
        self.n_children = n_children.astype(np.int8)
        self.n_adults = np.where(np.isin(self.composition, [COMPOSITION_INDEX["couple_with_children"],
                                                            COMPOSITION_INDEX["couple_without_children"]]),
                                 2, 1).astype(np.int8)
        self.exit_propensity = exit_propensity.astype(np.float64)
        self.eb_sek_per_month = eb_sek_per_month.astype(np.float64)
        self.entry_month = entry_month.astype(np.int32)  # -1: in the stock at the start
        # per-arm state
        shape = (n_arms, capacity)
        initial = self.entry_month < 0
        self.present = np.broadcast_to(initial, shape).copy()
        self.on_eb = self.present.copy()
        self.months_on_eb = np.zeros(shape, dtype=np.int32)
        self.months_on_eb[:, initial] = initial_months_on_eb[initial]
        self.months_since_exit = np.zeros(shape, dtype=np.int32)
        self.last_exit_route = np.full(shape, NO_ROUTE, dtype=np.int8)
        self.participant = np.zeros(shape, dtype=bool)
        self.track = np.zeros(shape, dtype=np.int8)  # 0 none, 1 financial aid only, 2 all partners
        self.open_care_months_left = np.zeros(shape, dtype=np.int16)
        self.open_care_month_index = np.zeros(shape, dtype=np.int16)
        self.open_care_intensive = np.zeros(shape, dtype=bool)

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
            participant=bool(self.participant[arm, index]), track=int(self.track[arm, index]),
            open_care_months_left=int(self.open_care_months_left[arm, index]),
            open_care_intensive=bool(self.open_care_intensive[arm, index]))

    def __len__(self) -> int:
        return self.capacity

    def counts(self) -> dict[str, np.ndarray]:
        """Head counts per arm."""
        return {"present": self.present.sum(axis=1), "on_eb": self.on_eb.sum(axis=1)}

    # --- transitions (called by the model in schedule order) ------------------------

    def enter(self, month: int) -> np.ndarray:
        """Households whose entry month is ``month`` arrive on EB. Returns their indices."""
        new = np.flatnonzero(self.entry_month == month)
        if new.size:
            self.present[:, new] = True
            self.on_eb[:, new] = True
            self.months_on_eb[:, new] = 0
        return new

    def eb_exits(self, hazard: np.ndarray, u_exit: np.ndarray, u_route: np.ndarray,
                 route_cdf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Households on EB leave with probability ``hazard`` (shape (arms, N)).

        Returns ``(exits, route)``: a boolean (arms, N) mask and the route index
        drawn for every household (used where ``exits``). Moving away removes
        the household (and its children) from the area.
        """
        exits = self.on_eb & (u_exit[None, :] < hazard)
        route = np.searchsorted(route_cdf, u_route, side="right").astype(np.int8)
        route = np.minimum(route, len(route_cdf) - 1)
        route_b = np.broadcast_to(route, exits.shape)
        self.on_eb &= ~exits
        self.last_exit_route[exits] = route_b[exits]
        self.months_since_exit[exits] = 0
        moved = exits & (route_b == ROUTE_INDEX["moved"])
        self.present &= ~moved
        return exits, route

    def eb_reentries(self, hazard_by_route: np.ndarray, u_reentry: np.ndarray,
                     after_24_multiplier: float) -> np.ndarray:
        """Households off EB (still in the area) return with a hazard by exit route."""
        off = self.present & ~self.on_eb & (self.last_exit_route >= 0)
        route = np.maximum(self.last_exit_route, 0)
        hazard = hazard_by_route[route]
        hazard = np.where(self.months_since_exit >= 24, hazard * after_24_multiplier, hazard)
        back = off & (u_reentry[None, :] < hazard)
        self.on_eb |= back
        self.months_on_eb[back] = 0
        return back

    def advance_month(self) -> None:
        """Durations tick for everyone present."""
        self.months_on_eb += self.on_eb
        self.months_since_exit += self.present & ~self.on_eb
