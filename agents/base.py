"""The storage shared by the array populations: an active prefix of preallocated arrays.

Households and children are agents in the model's sense (identity, state,
inspectable one by one) but are stored as arrays, one element per agent, so a
month's transitions are whole-array operations (DESIGN §3). Arrays are
allocated once, for every agent that will ever be in the area, and ordered so
that the agents present so far are a prefix: ``[active | not yet arrived |
retired]``. Each attribute is a *view* of the active prefix, re-bound when
agents arrive or retire, so monthly work is proportional to the agents
present, not to the horizon's inflow.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def compact(arrays: Iterable[tuple[np.ndarray, int]], keep: np.ndarray, gone: np.ndarray,
            future_start: int, future_end: int) -> None:
    """Rearrange ``[active | not yet arrived | …]`` into ``[kept | not yet arrived | gone | …]``.

    ``keep`` and ``gone`` index the active block ``[0, future_start)``; the block
    of agents not yet arrived ``[future_start, future_end)`` shifts left as one
    contiguous copy (no gather), and everything after ``future_end`` stays put.
    Each array is given with the position of its agent axis.
    """
    k, f = keep.size, future_end - future_start
    for arr, axis in arrays:
        view = np.moveaxis(arr, axis, 0)
        kept, retired = view[keep], view[gone]
        view[k:k + f] = view[future_start:future_end]   # overlapping move: numpy buffers it
        view[:k] = kept
        view[k + f:k + f + gone.size] = retired


class ArrayPopulation:
    """Agents as preallocated arrays with an active prefix (see the module docstring).

    Subclasses name their arrays: ``FIXED`` ones are the same in both arms
    (agent axis 0), ``STATE`` ones have an arm axis first (agent axis 1).
    """

    FIXED: tuple[str, ...] = ()
    STATE: tuple[str, ...] = ()

    def __init__(self, arrays: dict[str, np.ndarray], capacity: int, n_arms: int):
        self._arrays = arrays
        self.capacity = capacity
        self.n_arms = n_arms
        self.n_active = 0

    def full(self, name: str) -> np.ndarray:
        """The whole array of one attribute, every agent ever in the area (for inspection, tests)."""
        return self._arrays[name]

    def agent_axis(self, name: str) -> int:
        return 1 if name in self.STATE else 0

    def _bind(self, n: int) -> None:
        """Re-bind every attribute to a view of the first ``n`` agents."""
        self.n_active = n
        for name in self.FIXED:
            setattr(self, name, self._arrays[name][:n])
        for name in self.STATE:
            setattr(self, name, self._arrays[name][:, :n])

    def _compact(self, keep: np.ndarray, gone: np.ndarray, future_start: int, future_end: int) -> None:
        compact(((arr, self.agent_axis(name)) for name, arr in self._arrays.items()),
                keep, gone, future_start, future_end)

    def __len__(self) -> int:
        """Agents that have arrived so far (the active prefix)."""
        return self.n_active
