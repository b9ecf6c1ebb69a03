"""Array storage shared by the populations: moving retired agents out of the active prefix."""

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
