"""What a counter-based uniform costs (docs/next-engine.md, stage (a)); not a test:

    .venv/bin/python tests/benchmarks/counter_draws.py

A uniform as a pure function of a counter (SplitMix64's finaliser of key + i × the golden gamma,
its top 24 bits as a float32), compiled by numba: for every slot in order (dense), and for 5 % of
the slots only (sparse, as waiting times would draw), in CPU ns per float32 drawn. Today's
compiled PCG64 streams (simulation/core/pcg64.py) are timed inside the model by make bench's
split rows. An illustration of the cost, not a proposal of this hash: a production engine would
use a vetted counter-based generator (Philox, as numpy ships it) and test its streams.
"""

from __future__ import annotations

import time

import numba
import numpy as np

GAMMA = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(nogil=True)
def _mix(z):  # pragma: no cover - compiled by numba
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(nogil=True)
def dense(key, n, out):  # pragma: no cover - compiled by numba
    for i in range(n):
        out[i] = np.float32((_mix(key + np.uint64(i) * GAMMA) >> np.uint64(40)) * (1.0 / 16777216.0))


@numba.njit(nogil=True)
def sparse(key, slots, out):  # pragma: no cover - compiled by numba
    for j in range(slots.size):
        out[j] = np.float32((_mix(key + slots[j] * GAMMA) >> np.uint64(40)) * (1.0 / 16777216.0))


def main(n: int = 20_000_000, rounds: int = 3) -> None:
    out = np.empty(n, np.float32)
    slots = np.sort(np.random.default_rng(1).choice(20 * n, n // 20, replace=False)).astype(np.uint64)
    picked = np.empty(slots.size, np.float32)
    dense(np.uint64(1), 1_000, out)          # compile and touch the pages first
    sparse(np.uint64(1), slots[:1_000], picked)
    dense(np.uint64(1), n, out)
    for k in range(rounds):
        t = time.process_time()
        dense(np.uint64(100 + k), n, out)
        d = time.process_time() - t
        t = time.process_time()
        sparse(np.uint64(100 + k), slots, picked)
        s = time.process_time() - t
        print(f"dense {1e9 * d / n:.2f} ns per float32; sparse (5 % of the slots) {1e9 * s / slots.size:.2f} ns "
              f"per float32 drawn")
    print(f"dense draws: mean {out.mean():.4f}, min {out.min():.2e}, max {out.max():.7f} (uniform on [0, 1))")


if __name__ == "__main__":
    main()
