"""Each month's arrivals drawn by compiled PCG64 steps: numpy's bits, without two Python calls and a
state reset per month (issue 15; :func:`simulation.core.population._draw_arrivals`'s numpy path
through :class:`~simulation.core.population.ArrivalDraws` is the reference).

The numpy path, for every month t of every replication, resets the INFLOW generator to its start,
advances it ``t × ARRIVAL_BLOCK_OUTPUTS`` steps, draws the month's Poisson count and then
``count × HOUSEHOLD_UNIFORMS`` doubles; the arrivals' children take ``n × CHILD_UNIFORMS`` doubles
from a second generator at the same block. That is ≈ 12 µs of calls a month, 300 months for each of
Öster's replications (≈ 0.2 s of a 50-replication batch's set-up). Here the same steps are compiled:

- a block start is the previous one under the affine map of ``ARRIVAL_BLOCK_OUTPUTS`` steps
  (:func:`simulation.core.pcg64.affine_jump`), as ``advance`` gives it;
- a double is numpy's ``next_double``: ``(next_uint64 >> 11) · 2⁻⁵³``;
- the count is numpy's ``random_poisson`` for a rate below 10, its multiplication method
  (``enlam = exp(−λ)``; multiply uniforms while the product stays above it), and 0 for a rate of 0.
  A rate of 10 or more uses numpy's transformed rejection (PTRS), which is not reproduced here: a
  replication with such a month takes the numpy path (:func:`compiled_rates`).

``tests/test_population_speed.py`` asserts the same counts and uniforms as the numpy path.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from agents.kernels import compiled
from simulation.core.pcg64 import (_MULT_HI, _MULT_LO, _ONE, _S58, _S63, _S64, _ZERO, _multiply_full, affine_jump,
                                   split)

#: numpy's random_poisson uses its multiplication method below this rate (distributions.c)
POISSON_MULT_MAX_RATE = 10.0
_S11 = np.uint64(11)
_DOUBLE_SCALE = 1.0 / 9007199254740992.0


def compiled_rates(rate_by_month: np.ndarray) -> bool:
    """Whether the compiled draws reproduce numpy's for these monthly rates (every rate below 10)."""
    return bool(np.all(rate_by_month < POISSON_MULT_MAX_RATE)) and bool(np.all(rate_by_month >= 0))


def _jump_step(hi, lo, jump):  # pragma: no cover - compiled by numba
    # A·s + C (mod 2¹²⁸) for jump = [A hi, A lo, C hi, C lo] (for the 2⁶⁴-step block A's low half is 1
    # and C's 0, so the carry never fires there; kept for any block size)
    product_hi, product_lo = _multiply_full(lo, jump[1])
    product_hi = product_hi + hi * jump[1] + lo * jump[0]
    new_lo = product_lo + jump[3]
    return product_hi + jump[2] + (_ONE if new_lo < product_lo else _ZERO), new_lo


def _double_step(hi, lo, inc_hi, inc_lo):  # pragma: no cover - compiled by numba
    # one PCG64 step (s ← s·M + inc) and numpy's next_double of its XSL-RR output: (new hi, new lo, u)
    product_hi, product_lo = _multiply_full(lo, _MULT_LO)
    product_hi = product_hi + hi * _MULT_LO + lo * _MULT_HI
    lo = product_lo + inc_lo
    hi = product_hi + inc_hi + (_ONE if lo < product_lo else _ZERO)
    x, rot = hi ^ lo, hi >> _S58
    value = (x >> rot) | (x << ((_S64 - rot) & _S63))
    return hi, lo, np.float64(value >> _S11) * _DOUBLE_SCALE


# the loops below call these two compiled (numba compiles a loop's callees into it); plain njit, not
# agents.kernels.compiled: they are never called from Python, so they have no signature of their own,
# and kernels._COMPILED lists the loops a warm worker has loaded (tests/test_warm.py)
_jump = numba.njit(cache=True, nogil=True)(_jump_step)
_double = numba.njit(cache=True, nogil=True)(_double_step)


def _counts_loop(start, increment, jump, rate, counts, after):  # pragma: no cover - compiled by numba
    # month t's block starts at jump applied t times to start; counts[t] ~ Poisson(rate[t]) by numpy's
    # multiplication method (rate < 10) from it; after[t]: the state after the count's draws, where
    # the month's household uniforms begin
    hi, lo = start[0], start[1]
    inc_hi, inc_lo = increment[0], increment[1]
    for t in range(rate.shape[0]):
        lam = rate[t]
        s_hi, s_lo = hi, lo
        k = 0
        if lam > 0:
            enlam = math.exp(-lam)
            product = 1.0
            while True:
                s_hi, s_lo, u = _double(s_hi, s_lo, inc_hi, inc_lo)
                product *= u
                if product > enlam:
                    k += 1
                else:
                    break
        counts[t] = k
        after[t, 0] = s_hi
        after[t, 1] = s_lo
        hi, lo = _jump(hi, lo, jump)


def _uniforms_loop(starts, increment, months, counts, width, out):  # pragma: no cover - compiled by numba
    # for each listed month (in order), counts[month] × width doubles from its state starts[month]
    # into the next rows of out (n, width)
    inc_hi, inc_lo = increment[0], increment[1]
    row = 0
    for j in range(months.shape[0]):
        t = months[j]
        hi, lo = starts[t, 0], starts[t, 1]
        for _ in range(counts[t]):
            for c in range(width):
                hi, lo, u = _double(hi, lo, inc_hi, inc_lo)
                out[row, c] = u
            row += 1


def _block_starts_loop(start, jump, n_months, out):  # pragma: no cover - compiled by numba
    # out[t] = the state at month t's block start (jump applied t times to start)
    hi, lo = start[0], start[1]
    for t in range(n_months):
        out[t, 0] = hi
        out[t, 1] = lo
        hi, lo = _jump(hi, lo, jump)


def _halves(value: int) -> np.ndarray:
    return np.array(split(value), dtype=np.uint64)


class CompiledArrivals:
    """The arrivals' draws of one replication (what :class:`ArrivalDraws` gives month by month)."""

    def __init__(self, inflow: np.random.Generator, block_outputs: int):
        bits = inflow.bit_generator
        state = bits.state
        if state["bit_generator"] != "PCG64" or state["has_uint32"]:
            raise ValueError("compiled arrivals need a PCG64 INFLOW stream at a whole output")
        self.block_outputs = block_outputs
        self.start, self.increment = int(state["state"]["state"]), int(state["state"]["inc"])
        # the children's generator, as ArrivalDraws spawns it from the INFLOW stream's seed
        seq = bits.seed_seq
        child = np.random.PCG64(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, 0))).state
        self.child_start, self.child_increment = int(child["state"]["state"]), int(child["state"]["inc"])

    def households(self, rate_by_month: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
        """(counts by month, (arrivals, width) uniforms in month order), as :func:`_draw_arrivals`
        draws them through numpy."""
        n_months = rate_by_month.shape[0]
        a, c = affine_jump(self.increment, self.block_outputs)
        jump = np.concatenate([_halves(a), _halves(c)])
        counts = np.zeros(n_months, dtype=np.int64)
        after = np.zeros((n_months, 2), dtype=np.uint64)
        increment = _halves(self.increment)
        compiled("arrival_counts", _counts_loop)(_halves(self.start), increment, jump,
                                                 np.ascontiguousarray(rate_by_month, dtype=np.float64), counts, after)
        months = np.flatnonzero(counts).astype(np.int64)
        out = np.empty((int(counts.sum()), width), dtype=np.float64)
        compiled("arrival_uniforms", _uniforms_loop)(after, increment, months, counts, np.int64(width), out)
        return counts, out

    def children(self, kids_by_month: np.ndarray, width: int) -> np.ndarray:
        """(children, width) uniforms of the months' arrivals' children, in month order."""
        n_months = kids_by_month.shape[0]
        a, c = affine_jump(self.child_increment, self.block_outputs)
        starts = np.zeros((n_months, 2), dtype=np.uint64)
        compiled("arrival_block_starts", _block_starts_loop)(_halves(self.child_start),
                                                             np.concatenate([_halves(a), _halves(c)]),
                                                             np.int64(n_months), starts)
        counts = np.asarray(kids_by_month, dtype=np.int64)
        out = np.empty((int(counts.sum()), width), dtype=np.float64)
        compiled("arrival_uniforms", _uniforms_loop)(starts, _halves(self.child_increment),
                                                     np.flatnonzero(counts).astype(np.int64), counts,
                                                     np.int64(width), out)
        return out
