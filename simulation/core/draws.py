"""One randomness family: numpy SeedSequence, spawned per replication and per process.

Each stochastic process of the model has its own named stream (STYLE item 6),
so adding draws to one process never shifts another's, and both arms of a
replication read the *same* draws (common random numbers). A monthly stream
draws one uniform per active agent slot (times its declared columns), and each
month's draws start at that month's own block of the stream
(:data:`MONTH_BLOCK_OUTPUTS`), so the draw an agent gets in a month depends only
on (seed, replication, process, month, agent slot), never on what happened in
either arm nor on how many agents were active in earlier months (an inflow
shock adds agents after the others: issue 12). The shape of every monthly
stream is declared once, in :data:`MONTHLY`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from agents.kernels import remember_prefix
from scenarios.vocabulary import ADULT_OUTCOMES, PROTECTIVE_FACTORS, RISK_FACTORS


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
    LIFE_COURSE = 14     # at set-up: adults' ages, children's ages at leaving home (appended last,
                         # so the other streams' spawn keys do not move)


@dataclass(frozen=True)
class MonthlyStream:
    """A stream drawn every month: one uniform per household or child, per named column."""

    stream: Stream
    field: str                     # attribute name on :class:`MonthDraws`
    per: str                       # "household" or "child"
    columns: tuple[str, ...] = ()  # () = one uniform per agent


#: Every monthly draw, declared once. CHILD_PROTECTIVE has one column per protective
#: factor (its loss) and one more: a place in a protective activity dropping out.
MONTHLY = (
    MonthlyStream(Stream.EB_EXIT, "eb_exit", "household"),
    MonthlyStream(Stream.EXIT_ROUTE, "exit_route", "household"),
    MonthlyStream(Stream.REENTRY, "reentry", "household"),
    MonthlyStream(Stream.OPEN_CARE, "open_care", "household"),
    MonthlyStream(Stream.TREATMENT, "treatment", "household"),
    MonthlyStream(Stream.CHILD_RISK, "child_risk", "child", RISK_FACTORS),
    MonthlyStream(Stream.CHILD_PROTECTIVE, "child_protective", "child",
                  PROTECTIVE_FACTORS + ("activity_dropout",)),
    MonthlyStream(Stream.PLACEMENT, "placement", "child"),
    MonthlyStream(Stream.PLACEMENT_KIND, "placement_kind", "child"),
    MonthlyStream(Stream.ADULT_REMISSION, "adult_remission", "child", ADULT_OUTCOMES),
)


#: PCG64 outputs reserved for one month of a monthly stream (a month uses ≤ agents × columns / 2;
#: 2**40 keeps 2**88 months within the period of 2**128)
MONTH_BLOCK_OUTPUTS = 2 ** 40


class MonthDraws:
    """Each month's uniforms (float32) of a batch of replications, one attribute per :data:`MONTHLY` stream.

    Replication r draws from its own generators exactly as it would alone: one
    uniform per active agent of its row (times the stream's columns), into its
    row of a preallocated buffer. Attributes are (R, window[, columns]) views;
    beyond a replication's active prefix they hold stale values that inert
    agents never read. ``protective_loss`` (children × protective factors) and
    ``activity_dropout`` (children) are the named parts of the CHILD_PROTECTIVE draw.
    """

    eb_exit: np.ndarray
    exit_route: np.ndarray
    reentry: np.ndarray
    open_care: np.ndarray
    treatment: np.ndarray
    child_risk: np.ndarray
    child_protective: np.ndarray
    placement: np.ndarray
    placement_kind: np.ndarray
    adult_remission: np.ndarray

    def __init__(self, streams: list[dict[Stream, np.random.Generator]], household_capacity: int,
                 child_capacity: int, implementation: str = "numpy"):
        self.streams = streams
        self.implementation = implementation
        self._buffers, self._flat, self._rows, self._compiled, self._whole = {}, {}, {}, {}, {}
        for spec in MONTHLY:
            n = household_capacity if spec.per == "household" else child_capacity
            # one spare slot per row: an even count of float32 uses whole 64-bit outputs (below)
            shape = (len(streams), n + 1) + ((len(spec.columns),) if spec.columns else ())
            full = np.zeros(shape, dtype=np.float32)
            self._flat[spec.field] = [full[r].reshape(-1) for r in range(len(streams))]   # views
            self._rows[spec.field] = full.reshape(len(streams), -1)                        # a view
            self._buffers[spec.field] = full[:, :n]
            self._whole[spec.field] = full
        if implementation == "numba" and streams:
            # the same bits from compiled PCG64 steps (simulation/core/pcg64.py); the generators
            # are read once, here, at their first month's block, and not used afterwards
            from simulation.core.pcg64 import CompiledStream
            self._compiled = {spec.field: CompiledStream([gens[spec.stream] for gens in streams],
                                                         MONTH_BLOCK_OUTPUTS) for spec in MONTHLY}

    def draw(self, households_active: np.ndarray, children_active: np.ndarray,
             household_window: int, child_window: int) -> "MonthDraws":
        """This month's draws for the given active counts per replication."""
        for spec in MONTHLY:
            counts, window = (households_active, household_window) if spec.per == "household" \
                else (children_active, child_window)
            buffer, flat = self._buffers[spec.field], self._flat[spec.field]
            width = len(spec.columns) or 1
            if self._compiled:
                n = counts.astype(np.int64) * width
                self._compiled[spec.field].draw(n + (n & 1), self._rows[spec.field])
                # a prefix of the whole buffer, said so once (kernels.whole finds it without a pointer test)
                setattr(self, spec.field, remember_prefix(buffer[:, :window], self._whole[spec.field]))
                continue
            for r, gens in enumerate(self.streams):
                gen, n = gens[spec.stream], int(counts[r]) * width
                n += n & 1                      # two float32 per output: leave no half-used output
                gen.random(dtype=np.float32, out=flat[r][:n])
                gen.bit_generator.advance(MONTH_BLOCK_OUTPUTS - n // 2)   # to next month's block
            setattr(self, spec.field, buffer[:, :window])
        n_factors = len(PROTECTIVE_FACTORS)
        self.protective_loss = self.child_protective[..., :n_factors]
        self.activity_dropout = self.child_protective[..., n_factors]
        return self


def replication_streams(seed: int, replication: int) -> dict[Stream, np.random.Generator]:
    """Independent generators for every process of one replication."""
    root = np.random.SeedSequence(entropy=seed, spawn_key=(replication,))
    children = root.spawn(len(Stream))
    return {s: np.random.Generator(np.random.PCG64(children[s])) for s in Stream}
