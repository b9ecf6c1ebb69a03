"""Households on social assistance (ekonomiskt bistånd, EB), held as a population.

A city has 10 000–200 000 households and a study runs thousands of paired
replications, so the monthly transitions are computed for the whole
population at once: every state array has shape ``(arms, replications, households)``
where axis 0 is the arm (0 = intervention, 1 = control); a batch of
replications is stepped together (see :mod:`agents.base`).
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

from agents import kernels, kernels_month
from agents.base import FEW_ROWS, ArrayPopulation
from scenarios.schema import COMPOSITIONS, EXIT_ROUTES

ROUTE_INDEX = {name: i for i, name in enumerate(EXIT_ROUTES)}
COMPOSITION_INDEX = {name: i for i, name in enumerate(COMPOSITIONS)}
NO_ROUTE = -1
ARMS = ("intervention", "control")
#: re-entry hazards drop after this many months off EB (the key
#: ``population.reentry_hazard_multiplier_after_24_months``; Andrén & Andrén 2013, assumption L)
REENTRY_LATE_AFTER_MONTHS = 24


def _unique_pairs(replication: np.ndarray, household: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (replication, household) pairs in ascending order, and how often each occurs.

    What ``np.unique(np.stack([replication, household]), axis=1, return_counts=True)`` gives. The
    children leaving home come in ``np.nonzero``'s order and are stored household by household, so
    their pairs are normally sorted already: then the distinct ones are where a pair differs from
    the one before (a few passes over a few elements; ``np.unique`` over an axis sorts a structured
    view, ≈ 0.1 ms a month on Öster's 50 replications). Unsorted pairs go to ``np.unique``.
    """
    if replication.size < 2:
        return replication, household, np.ones(replication.size, dtype=np.intp)
    row_up = replication[1:] > replication[:-1]
    same_row = replication[1:] == replication[:-1]
    if bool(np.all(row_up | (same_row & (household[1:] >= household[:-1])))):
        starts = np.flatnonzero(np.concatenate(([True], ~same_row | (household[1:] != household[:-1]))))
        counts = np.diff(np.append(starts, replication.size))
        return replication[starts], household[starts], counts
    pairs, counts = np.unique(np.stack([replication, household]), axis=1, return_counts=True)
    return pairs[0], pairs[1], counts


def reentry_rows(hazard_by_route: np.ndarray, after_24_multiplier: float) -> np.ndarray:
    """The re-entry hazard by row: the exit route's, then the route's after
    ``REENTRY_LATE_AFTER_MONTHS`` off EB (row = route + routes × late), float64 and contiguous."""
    return np.ascontiguousarray(np.concatenate([hazard_by_route, hazard_by_route * after_24_multiplier]),
                                dtype=np.float64)


@dataclass(frozen=True)
class Household:
    """One household in one arm, as seen at the current month."""

    index: int
    arm: str
    replication: int
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
    adult_age_months: int = 0
    children_at_home: int = 0
    old_age_support: bool = False


class HouseholdPopulation(ArrayPopulation):
    """Array-backed households of a batch of replications, both arms side by side.

    Within a replication's row households are stored in order of entry into
    the area (the starting stock first), so the households that have arrived
    by a month are a prefix of the row. All updates are in place.
    """

    #: ``composition``, ``children_at_home`` and ``eb_sek_per_month`` change when the last child
    #: leaves home (the same in both arms: it follows the calendar); ``n_children`` stays the number
    #: the household came with
    FIXED = ("composition", "n_children", "n_adults", "exit_propensity", "eb_sek_per_month",
             "entry_month", "original_index", "enrolment_priority", "adult_birth_month", "children_at_home")
    STATE = ("present", "on_eb", "months_on_eb", "months_since_exit", "last_exit_route",
             "participant", "open_care_months_left", "open_care_month_index",
             "open_care_intensive", "pensioned", "old_age_support")
    NEVER = np.iinfo(np.int32).max      # entry month of padding: never arrives
    #: "numba" or "numpy": which implementation the EB month uses (set by the model with the
    #: children's choice, agents/kernels.py; the results are the same)
    kernels = "numpy"
    INERT = {"present": False, "on_eb": False, "participant": False, "last_exit_route": NO_ROUTE,
             "open_care_months_left": 0, "open_care_intensive": False, "pensioned": False,
             "old_age_support": False}

    def __init__(self, *, composition: list[np.ndarray], n_children: list[np.ndarray],
                 exit_propensity: list[np.ndarray], eb_sek_per_month: list[np.ndarray],
                 entry_month: list[np.ndarray], initial_months_on_eb: list[np.ndarray],
                 enrolment_priority: list[np.ndarray], n_months: int, n_arms: int = 2,
                 adult_birth_month: list[np.ndarray] | None = None):
        """One list entry per replication of the batch (each ordered by entry month)."""
        from agents.base import pad_rows
        for e in entry_month:
            if np.any(np.diff(e) < 0):
                raise ValueError("households must be ordered by entry month")
        capacity = np.array([c.shape[0] for c in composition], dtype=np.int64)
        comp = pad_rows([c.astype(np.int8) for c in composition], 0)
        couple = np.isin(comp, [COMPOSITION_INDEX["couple_with_children"],
                                COMPOSITION_INDEX["couple_without_children"]])
        full = {
            "composition": comp,
            "n_children": pad_rows([k.astype(np.int8) for k in n_children], 0),
            "n_adults": np.where(couple, 2, 1).astype(np.int8),
            "exit_propensity": pad_rows([p.astype(np.float64) for p in exit_propensity], 0.0),
            "eb_sek_per_month": pad_rows([a.astype(np.float64) for a in eb_sek_per_month], 0.0),
            "entry_month": pad_rows([e.astype(np.int32) for e in entry_month], self.NEVER),  # -1: at start
            "original_index": pad_rows([np.arange(c, dtype=np.int64) for c in capacity], -1),
            # lower = offered an intervention place first (random, the same in both arms)
            "enrolment_priority": pad_rows([p.astype(np.float64) for p in enrolment_priority], 1.0),
            # the (oldest) adult's birth month relative to the simulation start (issue 11 item 5);
            # without ages given, nobody reaches pension age within any horizon
            "adult_birth_month": pad_rows([b.astype(np.int32) for b in adult_birth_month], 0)
            if adult_birth_month is not None else np.zeros(comp.shape, dtype=np.int32),
            "children_at_home": pad_rows([k.astype(np.int8) for k in n_children], 0),
        }
        if adult_birth_month is None:
            full["adult_birth_month"][:] = np.iinfo(np.int32).max // 2
        shape = (n_arms,) + comp.shape
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
            # reached pension age in the area (no more EB), and left EB for old-age support at it
            "pensioned": np.zeros(shape, dtype=bool),
            "old_age_support": np.zeros(shape, dtype=bool),
        })
        super().__init__(full, capacity, n_arms)
        entries = full["entry_month"]
        initial = (entries < 0).sum(axis=1)
        # arrivals per replication and month (the future block keeps its order through compaction)
        self._arrivals = np.stack([np.bincount(row[(row >= 0) & (row < n_months)], minlength=n_months)
                                   for row in entries]) if len(entries) else np.zeros((0, n_months), int)
        self.n_retired = np.zeros(self.n_reps, dtype=np.int64)
        self.month_now = 0           # the model's month (advance_month ends one), for the views' ages
        self._bind(initial)
        stock = self.active_mask()
        self.present[:, stock] = True
        self.on_eb[:, stock] = True
        months0 = pad_rows([m[:i] for m, i in zip(initial_months_on_eb, initial)], 0).astype(np.int32)
        self.months_on_eb[:] = months0[:, :self.window]

    def start_off_eb(self, r: int, index: np.ndarray, route: np.ndarray, months_since_exit: np.ndarray) -> None:
        """Households of replication ``r`` in the area at the start that left EB earlier."""
        self.on_eb[:, r, index] = False
        self.months_on_eb[:, r, index] = 0
        self.last_exit_route[:, r, index] = route
        self.months_since_exit[:, r, index] = months_since_exit

    def retire(self, r: int, retiring: np.ndarray, rebind: bool = True) -> tuple[np.ndarray, int]:
        """Move the active households of replication ``r`` flagged in ``retiring`` out of its prefix.

        Its row becomes [still active | not yet arrived | retired]. Returns the
        new position of every household before the old retired block (old
        position -> new position) and where that block starts, so that the
        children can follow. Retired households are no longer simulated;
        ``original_index`` keeps their identity. With ``rebind=False`` the attribute views
        are left as they are (the caller re-binds once, after retiring in several rows).
        """
        n = int(self.n_active[r])
        active = np.arange(n)
        keep, gone = active[~retiring[:n]], active[retiring[:n]]
        future_end = int(self.capacity[r] - self.n_retired[r])
        new_position = np.empty(future_end, dtype=np.int64)
        new_position[keep] = np.arange(keep.size)
        new_position[n:] = np.arange(n, future_end) - gone.size
        new_position[gone] = future_end - gone.size + np.arange(gone.size)
        self._compact_row(r, keep, gone, n, future_end)
        self.n_retired[r] += gone.size
        n_active = self.n_active.copy()
        n_active[r] = keep.size
        if rebind:
            self._bind(n_active)
        else:
            self.n_active = n_active
        return new_position, future_end

    # --- inspection ---------------------------------------------------------------

    def household(self, index: int, arm: int = 0, replication: int = 0) -> Household:
        """One household as a read-only view (for inspection and tests)."""
        r = replication
        route = int(self.last_exit_route[arm, r, index])
        return Household(
            index=index, arm=ARMS[arm], replication=r, composition=COMPOSITIONS[self.composition[r, index]],
            adults=int(self.n_adults[r, index]), children=int(self.n_children[r, index]),
            present=bool(self.present[arm, r, index]), on_eb=bool(self.on_eb[arm, r, index]),
            months_on_eb=int(self.months_on_eb[arm, r, index]),
            last_exit_route=None if route == NO_ROUTE else EXIT_ROUTES[route],
            eb_sek_per_month=float(self.eb_sek_per_month[r, index]),
            participant=bool(self.participant[arm, r, index]),
            open_care_months_left=int(self.open_care_months_left[arm, r, index]),
            open_care_intensive=bool(self.open_care_intensive[arm, r, index]),
            adult_age_months=int(self.month_now - self.adult_birth_month[r, index]),
            children_at_home=int(self.children_at_home[r, index]),
            old_age_support=bool(self.old_age_support[arm, r, index]))

    # --- transitions (called by the model in schedule order) ------------------------

    def enter(self, month: int) -> np.ndarray:
        """Households whose entry month is ``month`` arrive on EB. Returns how many, per replication."""
        arrived = self._arrivals[:, month] if month < self._arrivals.shape[1] else np.zeros(self.n_reps, int)
        if arrived.any():
            old = self.n_active
            self._set_active(old + arrived)
            rows = np.flatnonzero(arrived)
            if self.kernels == "numba":              # one compiled pass over the arrivals of every row
                whole = kernels.whole
                kernels.arrive(rows, old, self.n_active, whole(self.present), whole(self.on_eb),
                               whole(self.months_on_eb))
            elif rows.size <= FEW_ROWS:                # each row's arrivals are one slice (long ones: a city)
                for r in rows:
                    new = slice(int(old[r]), int(self.n_active[r]))
                    self.present[:, r, new] = True
                    self.on_eb[:, r, new] = True
                    self.months_on_eb[:, r, new] = 0
            else:
                # many rows with a few arrivals each (Öster's 50 replications): all rows' slices
                # [old, old + arrived) as one index, three assignments instead of three per row
                counts = arrived[rows]
                starts = np.cumsum(counts) - counts          # where each row's arrivals begin in the index
                row_index = np.repeat(rows, counts)
                column_index = np.arange(int(counts.sum())) + np.repeat(old[rows] - starts, counts)
                self.present[:, row_index, column_index] = True
                self.on_eb[:, row_index, column_index] = True
                self.months_on_eb[:, row_index, column_index] = 0
        return arrived

    def eb_exits(self, hazard: np.ndarray, u_exit: np.ndarray, u_route: np.ndarray,
                 route_cdf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Households on EB leave with probability ``hazard`` (shape (arms, R, N)).

        Returns ``(exits, route)``: a boolean (arms, R, N) mask and the route index
        of every household leaving in either arm (from its own draw, so the same
        in both arms; NO_ROUTE elsewhere). Moving away removes the household
        (and its children) from the area.
        """
        if self.kernels == "numba" and len(self):
            exits = np.empty(self.on_eb.shape, dtype=bool)
            route = np.empty(exits.shape[1:], dtype=np.int8)
            whole = kernels.whole
            kernels.eb_exits(whole(self.on_eb), whole(u_exit), np.ascontiguousarray(hazard, dtype=np.float64),
                             whole(u_route), np.asarray(route_cdf, dtype=np.float64), np.int64(ROUTE_INDEX["moved"]),
                             whole(self.last_exit_route), whole(self.months_since_exit), whole(self.present),
                             exits, route)
            return exits, route
        exits = self.on_eb & (u_exit[None] < hazard)
        leaving = exits.any(axis=0)
        route = np.full(exits.shape[1:], NO_ROUTE, dtype=np.int8)
        route[leaving] = np.minimum(np.searchsorted(route_cdf, u_route[leaving], side="right"),
                                    len(route_cdf) - 1)
        self.on_eb &= ~exits
        np.copyto(self.last_exit_route, route[None], where=exits)
        self.months_since_exit[exits] = 0
        self.present &= ~(exits & (route == ROUTE_INDEX["moved"])[None])
        return exits, route

    def eb_reentries(self, hazard_by_route: np.ndarray, u_reentry: np.ndarray,
                     after_24_multiplier: float, window_months: int,
                     duration_memory: float = 0.0) -> np.ndarray:
        """Households off EB (still in the area) return with a hazard by exit route.

        Only from the month after the exit; the hazard drops by
        ``after_24_multiplier`` after ``REENTRY_LATE_AFTER_MONTHS`` off EB and ends after
        ``window_months``: state dependence fades (Andrén & Andrén 2013).
        A returning household resumes with ``floor(duration_memory × months on EB at
        its exit)`` months (``population.reentry_duration_memory``: 1 = where it left
        off, 0 = a new spell at duration 0).
        """
        n_routes = hazard_by_route.shape[0]
        if self.kernels == "numba" and len(self):
            table = reentry_rows(hazard_by_route, after_24_multiplier)
            back = np.empty(self.on_eb.shape, dtype=bool)
            whole = kernels.whole
            kernels.eb_reentries(whole(self.present), whole(self.on_eb), whole(self.last_exit_route),
                                 whole(self.months_since_exit), whole(self.months_on_eb), whole(u_reentry), table,
                                 np.int64(n_routes), np.int64(REENTRY_LATE_AFTER_MONTHS), np.int64(window_months),
                                 np.float64(duration_memory), back)
            return back
        since = self.months_since_exit
        off = self.present & ~self.on_eb & (self.last_exit_route >= 0) & (since >= 1) \
            & (since < window_months)
        table = reentry_rows(hazard_by_route, after_24_multiplier)
        row = np.maximum(self.last_exit_route, 0).astype(np.intp)
        row += n_routes * (since >= REENTRY_LATE_AFTER_MONTHS)
        hazard = np.take(table, row)
        back = off & (u_reentry[None] < hazard)
        self.on_eb |= back
        if duration_memory >= 1.0:
            pass                                    # months_on_eb still holds the months at the exit
        elif duration_memory <= 0.0:
            self.months_on_eb[back] = 0
        else:
            self.months_on_eb[back] = np.floor(duration_memory * self.months_on_eb[back]).astype(np.int32)
        return back

    def advance_month(self) -> None:
        """Durations tick for everyone present."""
        if self.kernels == "numba" and len(self):
            whole = kernels.whole
            n_arms, n_reps, n_households = self.on_eb.shape
            kernels.advance_month(np.int64(n_arms), np.int64(n_reps), np.int64(n_households), whole(self.on_eb),
                                  whole(self.present), whole(self.months_on_eb), whole(self.months_since_exit))
        else:
            self.months_on_eb += self.on_eb
            self.months_since_exit += self.present & ~self.on_eb
        self.month_now += 1

    # --- life course (issue 11 item 5) ---------------------------------------------------

    def reach_pension_age(self, month: int, pension_age_months: int) -> np.ndarray:
        """Households whose adult turns ``pension_age_months`` this month, in the area, stop EB for good.

        Those on EB leave it for the state's old-age support (äldreförsörjningsstöd: the payer
        changes, the household's income does not); those off EB can no longer come back (their
        exit route is cleared, so the re-entry hazard no longer applies). Returns the (arms, R, N)
        mask of the households that left EB for old-age support this month.
        """
        if self.kernels == "numba":
            # the few households whose adult turns the age this month (found in one compiled pass) changed
            # in a second one (kernels.reach_pension_age): the same changes, without passes over every
            # household (the fancy-indexed numpy lines over the pairs it replaces cost ≈ 0.15 ms a month)
            to_support = np.zeros(self.on_eb.shape, dtype=bool)
            whole = kernels.whole
            rows, columns = kernels.find_equal(whole(self.adult_birth_month), month - pension_age_months, self.window)
            if rows.size == 0:
                return to_support
            kernels.reach_pension_age(rows, columns, whole(self.present), whole(self.on_eb),
                                      whole(self.old_age_support), whole(self.pensioned), whole(self.last_exit_route),
                                      whole(self.months_since_exit), np.int64(NO_ROUTE), to_support)
            return to_support
        reaching = self.present & ((month - self.adult_birth_month) == pension_age_months)[None]
        if not reaching.any():
            return reaching
        to_support = reaching & self.on_eb
        self.on_eb &= ~to_support
        self.old_age_support |= to_support
        self.pensioned |= reaching
        self.last_exit_route[reaching] = NO_ROUTE
        self.months_since_exit[to_support] = 0
        return to_support

    def children_leave_home(self, replication: np.ndarray, household: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Children of (replication, household) pairs (one pair per child) left home this month.

        The family's count of children at home falls; when the last one has left, the family's
        composition becomes its childless counterpart (eligibility follows). Returns the
        (replications, households) whose count changed, for the caller to set their EB norm.
        """
        if self.kernels == "numba":           # the lines below in one pass, for pairs in order (always)
            pairs = kernels_month.leave_home(self, np.asarray(replication), np.asarray(household), COMPOSITION_INDEX)
            if pairs is not None:
                return pairs
        r, h, counts = _unique_pairs(np.asarray(replication), np.asarray(household))
        self.children_at_home[r, h] -= counts.astype(self.children_at_home.dtype)
        childless = self.children_at_home[r, h] <= 0
        comp = self.composition[r, h]
        np.copyto(comp, COMPOSITION_INDEX["single_adult"],
                  where=childless & (comp == COMPOSITION_INDEX["single_parent"]), casting="unsafe")
        np.copyto(comp, COMPOSITION_INDEX["couple_without_children"],
                  where=childless & (comp == COMPOSITION_INDEX["couple_with_children"]), casting="unsafe")
        self.composition[r, h] = comp
        return r, h

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
        """(R, window): arrived households whose EB dynamics are over in both arms (see :meth:`retire`).

        Moved away (gone in every arm), or off EB beyond the re-entry window (or past pension
        age off EB) in every arm, never a participant, no open-care episode running.
        """
        gone = ~self.present.any(axis=0)
        # off for good: beyond the re-entry window, or reached pension age off EB (a household on
        # the state's old-age support stays: its cost is booked every month)
        off_for_good = ~self.on_eb & (((self.last_exit_route >= 0) & (self.months_since_exit >= window_months))
                                      | (self.pensioned & ~self.old_age_support))
        off = off_for_good.all(axis=0) \
            & ~self.participant.any(axis=0) & (self.open_care_months_left == 0).all(axis=0)
        return (gone | off) & self.active_mask()
