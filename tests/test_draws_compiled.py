"""The compiled PCG64 draws give numpy's bits (simulation/core/pcg64.py against simulation/core/draws.py)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.core.draws import MONTH_BLOCK_OUTPUTS, MONTHLY, MonthDraws, replication_streams
from simulation.core.pcg64 import CompiledStream, affine_jump, stream_state


def test_the_block_jump_is_numpys_advance():
    bit_generator = np.random.PCG64(np.random.SeedSequence(11))
    state, increment = stream_state(np.random.Generator(bit_generator))
    for steps in (1, 7, 2 ** 20 + 3, MONTH_BLOCK_OUTPUTS):
        a, c = affine_jump(increment, steps)
        expected = np.random.PCG64(np.random.SeedSequence(11)).advance(steps).state["state"]["state"]
        assert (a * state + c) % (1 << 128) == expected, steps


@pytest.mark.parametrize("seed, n_reps", [(0, 4), (1, 4), (2, 4), (3, 3), (4, 1), (5, 5)])
def test_month_draws_compiled_equal_numpy(seed, n_reps):
    """Random active counts per month and replication (zero and odd ones included): the same uniforms.
    The loop steps replications in pairs: odd batch sizes leave one alone, and random counts make
    either of a pair the longer one."""
    households, children = 60, 90
    numpy_draws = MonthDraws([replication_streams(seed, r) for r in range(n_reps)], households, children, "numpy")
    compiled = MonthDraws([replication_streams(seed, r) for r in range(n_reps)], households, children, "numba")
    rng = np.random.default_rng(seed)
    for month in range(8):
        n_households, n_children = rng.integers(0, households + 1, n_reps), rng.integers(0, children + 1, n_reps)
        n_households[month % n_reps] = 0
        n_children[(month + 1) % n_reps] = 1                      # an odd count: half of a 64-bit output
        numpy_draws.draw(n_households, n_children, households, children)
        compiled.draw(n_households, n_children, households, children)
        for spec in MONTHLY:
            active = n_households if spec.per == "household" else n_children
            for r in range(n_reps):
                a = getattr(numpy_draws, spec.field)[r, :active[r]]
                b = getattr(compiled, spec.field)[r, :active[r]]
                assert a.dtype == b.dtype == np.float32
                assert np.array_equal(a, b), (month, spec.field, r)
    # and they are uniforms, not a buffer left at zero
    assert np.unique(compiled.child_risk[0, :n_children[0]]).size > 1


def test_a_generator_that_is_not_pcg64_is_refused():
    with pytest.raises(TypeError, match="PCG64"):
        CompiledStream([np.random.Generator(np.random.MT19937(1))], MONTH_BLOCK_OUTPUTS)


def test_a_half_used_output_is_refused():
    generator = np.random.Generator(np.random.PCG64(1))
    generator.random(1, dtype=np.float32)              # one float32: the 64-bit output's upper half waits
    with pytest.raises(ValueError, match="half"):
        CompiledStream([generator], MONTH_BLOCK_OUTPUTS)
