"""numpy's PCG64 stepped in compiled code: a month's uniforms of every replication in one call (issue 15).

:class:`simulation.core.draws.MonthDraws` draws each month, for every replication and
monthly stream, ``n`` float32 uniforms and then moves the generator to the start of the
next month's block (``MONTH_BLOCK_OUTPUTS`` outputs on). Through numpy that is two Python
calls per replication, stream and month (≈ 8 µs of overhead each, and ≈ 9 ns per float32),
which at Öster's size is a fifth of the simulation. This module produces the same bits:

- PCG64 is numpy's XSL-RR 128/64 generator: the 128-bit state steps as
  ``s ← s·M + inc (mod 2¹²⁸)`` and each step outputs ``rotr64(hi(s) ^ lo(s), hi(s) >> 58)``;
- a float32 uniform is ``(u32 >> 8) · 2⁻²⁴`` of a 32-bit output, and one 64-bit output
  gives two of them, its low half first (numpy's ``next_uint32`` buffering);
- the next month's block starts ``2⁴⁰`` steps after this month's, an affine map
  ``s ← A·s + C`` computed once per stream (:func:`affine_jump`), so the count drawn this
  month does not matter (as with ``advance``).

The 128-bit arithmetic is written with 64-bit unsigned integers in halves; the full product of
two halves is one machine multiply (:func:`_multiply_full`, an LLVM ``i128`` multiply). The numpy path
stays the reference; ``tests/test_draws_compiled.py`` asserts bit equality.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from agents.kernels import compiled

#: numpy's PCG64 multiplier (pcg64.h: PCG_DEFAULT_MULTIPLIER_HIGH, _LOW)
MULTIPLIER = (2549297995355413924 << 64) + 4865540595714422341
MODULUS = 1 << 128
_MASK64 = (1 << 64) - 1

_M32 = np.uint64(0xFFFFFFFF)
_MULT_HI = np.uint64(MULTIPLIER >> 64)
_MULT_LO = np.uint64(MULTIPLIER & _MASK64)
_S8 = np.uint64(8)
_S40 = np.uint64(40)
_S58 = np.uint64(58)
_S64 = np.uint64(64)
_S63 = np.uint64(63)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_FLOAT32_SCALE = np.float32(1.0 / 16777216.0)


def affine_jump(increment: int, steps: int) -> tuple[int, int]:
    """(A, C) with ``steps`` PCG64 steps = ``s ↦ A·s + C (mod 2¹²⁸)`` for a stream of this increment."""
    a, c = 1, 0                                  # the identity map
    step_a, step_c = MULTIPLIER, increment       # one step
    while steps:
        if steps & 1:
            a, c = (a * step_a) % MODULUS, (c * step_a + step_c) % MODULUS
        step_a, step_c = (step_a * step_a) % MODULUS, (step_c * step_a + step_c) % MODULUS
        steps >>= 1
    return a, c


def split(value: int) -> tuple[int, int]:
    """A 128-bit integer as (high, low) 64-bit halves."""
    return value >> 64, value & _MASK64


def stream_state(generator: np.random.Generator) -> tuple[int, int]:
    """A PCG64 generator's (state, increment), checked to have no half-used 64-bit output."""
    state = generator.bit_generator.state
    if state["bit_generator"] != "PCG64":
        raise TypeError(f"compiled draws need PCG64 generators, not {state['bit_generator']}")
    if state["has_uint32"]:
        raise ValueError("the generator holds half of a 64-bit output: its next float32 is not a block start")
    return int(state["state"]["state"]), int(state["state"]["inc"])


@intrinsic
def _multiply_full(typingctx, a, b):  # pragma: no cover - compiled by numba
    """(high, low) 64-bit halves of the 128-bit product of two uint64: one machine multiply."""
    signature = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64)

    def codegen(context, builder, sig, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        low = builder.trunc(product, ir.IntType(64))
        high = builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))
        return context.make_tuple(builder, sig.return_type, (high, low))

    return signature, codegen


def _month_loop(state, increment, jump, counts, out):  # pragma: no cover - compiled by numba
    # state (R, 2): each replication's block start [hi, lo], moved to the next block's start;
    # increment (R, 2); jump (R, 4): [A hi, A lo, C hi, C lo]; counts (R,): float32 to draw (even);
    # out (R, L): the replication's flat buffer. Two replications' streams are stepped side by side
    # (two independent chains of multiplies keep the multiplier busy: ≈ 20 % fewer cycles per
    # draw than one at a time, measured), the longer one's rest alone; each stream's bits are its own.
    n_reps = state.shape[0]
    for first in range(0, n_reps, 2):
        second = min(first + 1, n_reps - 1)
        hi_0, lo_0 = state[first, 0], state[first, 1]
        hi_1, lo_1 = state[second, 0], state[second, 1]
        inc_hi_0, inc_lo_0 = increment[first, 0], increment[first, 1]
        inc_hi_1, inc_lo_1 = increment[second, 0], increment[second, 1]
        n_0 = counts[first] // 2
        n_1 = counts[second] // 2 if second != first else 0
        for j in range(min(n_0, n_1)):
            # s = s * M + inc (mod 2^128): the low halves' full product, then the cross terms
            product_hi_0, product_lo_0 = _multiply_full(lo_0, _MULT_LO)
            product_hi_1, product_lo_1 = _multiply_full(lo_1, _MULT_LO)
            product_hi_0 = product_hi_0 + hi_0 * _MULT_LO + lo_0 * _MULT_HI
            product_hi_1 = product_hi_1 + hi_1 * _MULT_LO + lo_1 * _MULT_HI
            lo_0 = product_lo_0 + inc_lo_0
            lo_1 = product_lo_1 + inc_lo_1
            hi_0 = product_hi_0 + inc_hi_0 + (_ONE if lo_0 < product_lo_0 else _ZERO)
            hi_1 = product_hi_1 + inc_hi_1 + (_ONE if lo_1 < product_lo_1 else _ZERO)
            # XSL-RR output of the new states
            x_0, rot_0 = hi_0 ^ lo_0, hi_0 >> _S58
            x_1, rot_1 = hi_1 ^ lo_1, hi_1 >> _S58
            value_0 = (x_0 >> rot_0) | (x_0 << ((_S64 - rot_0) & _S63))
            value_1 = (x_1 >> rot_1) | (x_1 << ((_S64 - rot_1) & _S63))
            out[first, 2 * j] = np.float32((value_0 & _M32) >> _S8) * _FLOAT32_SCALE
            out[first, 2 * j + 1] = np.float32(value_0 >> _S40) * _FLOAT32_SCALE
            out[second, 2 * j] = np.float32((value_1 & _M32) >> _S8) * _FLOAT32_SCALE
            out[second, 2 * j + 1] = np.float32(value_1 >> _S40) * _FLOAT32_SCALE
        # the rest of the longer stream alone (a lone last replication: all of it)
        if n_0 >= n_1:
            row, hi, lo, inc_hi, inc_lo, done, n = first, hi_0, lo_0, inc_hi_0, inc_lo_0, n_1, n_0
        else:
            row, hi, lo, inc_hi, inc_lo, done, n = second, hi_1, lo_1, inc_hi_1, inc_lo_1, n_0, n_1
        for j in range(done, n):
            product_hi, product_lo = _multiply_full(lo, _MULT_LO)
            product_hi = product_hi + hi * _MULT_LO + lo * _MULT_HI
            lo = product_lo + inc_lo
            hi = product_hi + inc_hi + (_ONE if lo < product_lo else _ZERO)
            x, rot = hi ^ lo, hi >> _S58
            value = (x >> rot) | (x << ((_S64 - rot) & _S63))
            out[row, 2 * j] = np.float32((value & _M32) >> _S8) * _FLOAT32_SCALE
            out[row, 2 * j + 1] = np.float32(value >> _S40) * _FLOAT32_SCALE
    for r in range(n_reps):
        # the next month's block: A * block start + C
        s_hi = state[r, 0]
        s_lo = state[r, 1]
        a_hi = jump[r, 0]
        a_lo = jump[r, 1]
        product_hi, product_lo = _multiply_full(s_lo, a_lo)
        product_hi = product_hi + s_hi * a_lo + s_lo * a_hi
        new_lo = product_lo + jump[r, 3]
        carry = _ONE if new_lo < product_lo else _ZERO
        state[r, 0] = product_hi + jump[r, 2] + carry
        state[r, 1] = new_lo


class CompiledStream:
    """One monthly stream of a batch of replications, stepped by the compiled loop.

    Built from the replications' numpy generators at their current position (a block
    start); from then on the generators are not used for this stream.
    """

    def __init__(self, generators: list[np.random.Generator], block_outputs: int):
        rows = [stream_state(g) for g in generators]
        self.state = np.array([split(s) for s, _ in rows], dtype=np.uint64).reshape(len(rows), 2)
        self.increment = np.array([split(inc) for _, inc in rows], dtype=np.uint64).reshape(len(rows), 2)
        jumps = [affine_jump(inc, block_outputs) for _, inc in rows]
        self.jump = np.array([split(a) + split(c) for a, c in jumps], dtype=np.uint64).reshape(len(rows), 4)

    def draw(self, counts: np.ndarray, out: np.ndarray) -> None:
        """``counts[r]`` (even) float32 uniforms into ``out[r, :counts[r]]``; then to the next block."""
        compiled("pcg64_month", _month_loop)(self.state, self.increment, self.jump, counts, out)
