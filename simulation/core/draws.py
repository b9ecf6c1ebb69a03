"""One randomness family: numpy SeedSequence, spawned per replication and per process.

Each stochastic process of the model has its own named stream (STYLE item 6),
so adding draws to one process never shifts another's, and both arms of a
replication read the *same* draws (common random numbers). Every stream
draws a fixed number of uniforms per month (one per agent slot), so the draw
an agent gets in a month depends only on (seed, replication, process, month,
agent), never on what happened in either arm.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    POPULATION = 0       # synthetic population attributes at set-up
    INFLOW = 1           # monthly number of new households
    EB_EXIT = 2
    EXIT_ROUTE = 3
    REENTRY = 4
    ENROLMENT = 5        # priority of households and children for intervention places
    CHILD_RISK = 6
    CHILD_PROTECTIVE = 7
    PLACEMENT = 8
    PLACEMENT_KIND = 9    # kind and length of a placement, from one uniform
    OPEN_CARE = 10
    ADULT_OUTCOME = 11   # drawn once per child at set-up
    ADULT_REMISSION = 12
    TREATMENT = 13       # which families get the intensive variant when effect_scale < 1


def replication_streams(seed: int, replication: int) -> dict[Stream, np.random.Generator]:
    """Independent generators for every process of one replication."""
    root = np.random.SeedSequence(entropy=seed, spawn_key=(replication,))
    children = root.spawn(len(Stream))
    return {s: np.random.Generator(np.random.PCG64(children[s])) for s in Stream}
