"""Participants per year and arm: households and children enrolled, EB exits by route (issue 11).

``participants.csv`` lets anyone check the model's project against seed 004 (28 families,
55 children, 41 exits: 21 work, 10 stopped applying, 6 studies, 3 Försäkringskassan, 1 moved).
The control arm's rows are the comparison families enrolled by the same rule.
"""

from __future__ import annotations

import numpy as np

from agents.kernels import count_by_route
from scenarios.schema import EXIT_ROUTES

PARTICIPANT_COLUMNS = ("replication", "arm", "year", "households_enrolled", "children_enrolled",
                       *(f"exits_{route}" for route in EXIT_ROUTES))


class ParticipantCounts:
    """Counters per (arm, replication, year): enrolments, their children, participants' exits by route.

    ``households_enrolled``: households enrolled in the year (a refilled place counts
    again); ``children_enrolled``: their children (present, under 18) at enrolment;
    ``exits_<route>``: EB exits of participant households in the year (any month,
    during or after the project), by exit route.
    """

    def __init__(self, replications: list[int], n_years: int, n_arms: int = 2):
        self.replications = list(replications)
        shape = (n_arms, len(self.replications), n_years)
        self.households = np.zeros(shape, dtype=np.int64)
        self.children = np.zeros(shape, dtype=np.int64)
        self.exits = np.zeros(shape + (len(EXIT_ROUTES),), dtype=np.int64)

    def count_enrolled(self, t: int, arm: int, chosen: np.ndarray, households, children) -> None:
        """``chosen``: the (R, N) households of ``arm`` enrolled in month ``t``."""
        year = t // 12
        self.households[arm, :, year] += np.count_nonzero(chosen, axis=-1)
        if len(children):
            kids = children.of_households(chosen[None])[0] & children.present[arm] & ~children.adult[arm]
            self.children[arm, :, year] += np.count_nonzero(kids, axis=-1)

    def count_exits(self, t: int, exits: np.ndarray, route: np.ndarray, participant: np.ndarray,
                    implementation: str = "numpy") -> None:
        """``exits``: the (arms, R, N) EB exits of month ``t``; ``route``: (R, N) route indices;
        ``implementation`` "numba": counted by route in one compiled pass (the same counts)."""
        leaving = exits & participant
        if not leaving.any():
            return
        year = t // 12
        if implementation == "numba":
            self.exits[:, :, year] += count_by_route(leaving, route, len(EXIT_ROUTES))
            return
        for k in range(len(EXIT_ROUTES)):
            self.exits[:, :, year, k] += np.count_nonzero(leaving & (route == k)[None], axis=-1)

    def rows(self, r: int, start_year: int, arm_names: tuple[str, ...]) -> list[tuple]:
        """The table rows of the batch's r-th replication (one per arm and year)."""
        out = []
        for arm, name in enumerate(arm_names):
            for y in range(self.households.shape[2]):
                out.append((self.replications[r], name, start_year + y, int(self.households[arm, r, y]),
                            int(self.children[arm, r, y]), *(int(v) for v in self.exits[arm, r, y])))
        return out


__all__ = ["PARTICIPANT_COLUMNS", "ParticipantCounts"]
