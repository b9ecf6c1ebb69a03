"""The storage shared by the array populations: replications stacked, each with an active prefix.

Households and children are agents in the model's sense (identity, state,
inspectable one by one) but are stored as arrays, one element per agent, so a
month's transitions are whole-array operations (README "The model"). A *batch* of
replications is stepped together: every array has a replication axis, so one
month's pass serves every replication of the batch (issue 15). Shapes:

* fixed attributes (the same in both arms): ``(replications, agents)``;
* state: ``(arms, replications, agents)`` (factors add a last axis).

Within a replication's row the agents are ordered so that those present so
far are a prefix: ``[active | not yet arrived | retired | padding]``. The
attributes are *views* of the first ``window`` agents (the longest active
prefix of the batch), re-bound when agents arrive or retire. A replication
whose prefix is shorter than the window has inert agents beyond it (not yet
arrived: not present, not on EB), so every transition leaves them as they are.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from agents.kernels import remember_prefix


#: batches of at most this many rows are compacted row by row with memory moves
#: (:meth:`ArrayPopulation._compact_by_slices`); more rows with one batched gather per array
FEW_ROWS = 4


def compact(arrays: Iterable[tuple[np.ndarray, int]], keep: np.ndarray, gone: np.ndarray,
            future_start: int, future_end: int) -> None:
    """Rearrange ``[active | not yet arrived | …]`` into ``[kept | not yet arrived | gone | …]``.

    ``keep`` and ``gone`` index the active block ``[0, future_start)``; the block
    of agents not yet arrived ``[future_start, future_end)`` keeps its order, and
    everything after ``future_end`` stays put. One gather per array (the new order
    is a permutation of ``[0, future_end)``). Each array is given with the position
    of its agent axis.
    """
    order = np.concatenate([keep, np.arange(future_start, future_end), gone])
    for arr, axis in arrays:
        arr[(slice(None),) * axis + (slice(0, order.size),)] = np.take(arr, order, axis=axis)


def pad_rows(rows: list[np.ndarray], fill, dtype=None) -> np.ndarray:
    """Stack per-replication arrays (agent axis first) into (replications, max agents, …), padded."""
    width = max((r.shape[0] for r in rows), default=0)
    first = rows[0] if rows else np.zeros(0)
    out = np.full((len(rows), width) + first.shape[1:], fill, dtype=dtype or first.dtype)
    for i, r in enumerate(rows):
        out[i, :r.shape[0]] = r
    return out


class ArrayPopulation:
    """Agents of a batch of replications as preallocated arrays (see the module docstring).

    Subclasses name their arrays: ``FIXED`` ones have shape (replications, agents, …),
    ``STATE`` ones (arms, replications, agents, …).
    """

    FIXED: tuple[str, ...] = ()
    STATE: tuple[str, ...] = ()

    def __init__(self, arrays: dict[str, np.ndarray], capacity: np.ndarray, n_arms: int):
        self._arrays = arrays
        self.capacity = np.asarray(capacity, dtype=np.int64)   # agents of each replication
        self.n_reps = self.capacity.shape[0]
        self.n_arms = n_arms
        self.n_active = np.zeros(self.n_reps, dtype=np.int64)
        self.window = 0
        self._bound = False                    # the attribute views exist (set by _bind)
        self._archive: dict[int, list[dict[str, np.ndarray]]] = {}
        self.retired_present = 0
        self._pending: list | None = None      # rows queued for one batched compaction
        self._word_layouts: dict = {}          # the arrays as the compiled compaction sees them

    def full(self, name: str) -> np.ndarray:
        """The whole array of one attribute, every agent ever in the area (for inspection, tests)."""
        return self._arrays[name]

    def agent_axis(self, name: str) -> int:
        return 2 if name in self.STATE else 1

    def _bind(self, n_active: np.ndarray) -> None:
        """Re-bind every attribute to a view of the first ``window`` agents of each replication."""
        self.n_active = np.asarray(n_active, dtype=np.int64)
        w = int(self.n_active.max()) if self.n_reps else 0
        self.window = w
        self._bound = True
        for name in self.FIXED:
            whole = self._arrays[name]
            setattr(self, name, remember_prefix(whole[:, :w], whole))
        for name in self.STATE:
            whole = self._arrays[name]
            setattr(self, name, remember_prefix(whole[:, :, :w], whole))

    def _set_active(self, n_active: np.ndarray) -> None:
        """:meth:`_bind`, re-binding the views only when the window changes: the views of the same
        window are the same slices of the same arrays (the monthly arrivals change the window in few
        months, the prefixes in most; 18 views re-made, ≈ 0.1 ms, each time)."""
        n_active = np.asarray(n_active, dtype=np.int64)
        if self._bound and self.n_reps and int(n_active.max()) == self.window:
            self.n_active = n_active
        else:
            self._bind(n_active)

    def rebind(self) -> None:
        """Re-bind the attribute views to the current active prefixes (after :meth:`_compact_row`)."""
        self._bind(self.n_active)

    def active_mask(self) -> np.ndarray:
        """(replications, window): the agent has arrived (and not retired)."""
        return np.arange(self.window)[None, :] < self.n_active[:, None]

    #: state a retired agent is given, so that it is inert in every transition and cost while it
    #: sits inside a longer replication's window (its state at retirement is archived first)
    INERT: dict[str, object] = {}

    def _compact_row(self, r: int, keep: np.ndarray, gone: np.ndarray, future_start: int,
                     future_end: int) -> None:
        """Compact row ``r`` (see :func:`compact`), archive its retired block and make it inert.

        Between :meth:`begin_compaction` and :meth:`end_compaction` the rows are only queued
        and then compacted together: one gather per array for all of them (the same result).
        """
        if self._pending is not None:
            self._pending.append((r, keep, gone, future_start, future_end))
            return
        rows = ((arr[r] if name in self.FIXED else arr[:, r], 0 if name in self.FIXED else 1)
                for name, arr in self._arrays.items())
        compact(rows, keep, gone, future_start, future_end)
        self._retire_block(r, keep.size + (future_end - future_start), gone.size)

    def begin_compaction(self) -> None:
        """Queue the rows :meth:`_compact_row` is asked to compact, until :meth:`end_compaction`."""
        self._pending = []

    def end_compaction(self) -> list[int]:
        """Compact the queued rows with one gather per array; returns the rows compacted."""
        pending, self._pending = self._pending or [], None
        if not pending:
            return []
        if getattr(self, "kernels", "numpy") == "numba" and self._compact_compiled(pending):
            return [r for r, *_ in pending]
        if len(pending) <= FEW_ROWS:        # long rows: a memory move per row beats a batched gather
            for r, keep, gone, future_start, future_end in pending:
                self._compact_by_slices(r, keep, gone, future_start, future_end)
        else:
            self._compact_by_one_gather(pending)
        for r, keep, gone, future_start, future_end in pending:
            self._retire_block(r, keep.size + (future_end - future_start), gone.size)
        return [r for r, *_ in pending]

    def _compact_compiled(self, pending: list[tuple]) -> bool:
        """The queued rows' compactions and :meth:`_retire_block`'s work (archive, inert state, the
        retired present) in one compiled loop per array (agents/kernels_compaction.py): the same
        bits as the numpy paths. False, and nothing done, if an array is not C-contiguous (then the
        numpy paths run)."""
        if not all(arr.flags.c_contiguous for arr in self._arrays.values()):
            return False
        from agents.kernels_compaction import CompactionPlan
        plan = CompactionPlan(pending)
        archived = {}
        for name, arr in self._arrays.items():
            layout = self._word_layouts.get(name)
            if layout is None or layout.array is not arr:
                from agents.kernels_compaction import WordLayout
                layout = self._word_layouts[name] = WordLayout(arr, 1 if name in self.STATE else 0,
                                                               self.INERT.get(name))
            archived[name] = plan.apply(layout, archive=name in self.STATE)
        for i, r in enumerate(plan.rows.tolist()):
            part = slice(int(plan.gone_offsets[i]), int(plan.gone_offsets[i + 1]))
            self._archive.setdefault(r, []).append({name: archived[name][:, part] for name in self.STATE})
        if "present" in self.STATE:
            # still in the area when retired (both arms counted): for head counts of the area
            self.retired_present += int(np.count_nonzero(archived["present"]))
        return True

    def _compact_by_one_gather(self, pending: list[tuple]) -> None:
        """The queued rows' compactions (see :func:`compact`) as one gather per array for all of them.

        Only the columns some row changes are gathered, ``[first, width)``: before the first
        retiring agent of any row every row keeps its agents in place, and beyond a row's own order
        (``future_end``) its agents stay put. The flat index into the (replication, agent) axes is
        built once per population (every array has the same agent axis length), not per array.
        """
        rows = np.array([r for r, *_ in pending], dtype=np.intp)
        width = max(future_end for *_, future_end in pending)    # a row's order covers [0, future_end)
        # the first column any row changes: a row's agents before its first gone one keep their places
        first = min(int(gone[0]) if gone.size else future_end for _, keep, gone, _, future_end in pending)
        if first >= width:
            return
        index = np.broadcast_to(np.arange(first, width), (len(pending), width - first)).copy()
        for i, (_, keep, gone, future_start, future_end) in enumerate(pending):
            if gone.size:
                # [kept | not yet arrived | gone]; beyond a row's own order its agents stay put
                index[i, :future_end - first] = np.concatenate(
                    [keep, np.arange(future_start, future_end), gone])[first:]
        contiguous = rows.size == int(rows[-1] - rows[0]) + 1 and bool(np.all(np.diff(rows) == 1))
        select = slice(int(rows[0]), int(rows[-1]) + 1) if contiguous else rows
        flat_index: dict[int, np.ndarray] = {}
        for name, arr in self._arrays.items():
            # one np.take over the flattened (replication, agent) axes: the rows' gathers at once
            fixed = name in self.FIXED
            lead = 0 if fixed else 1
            n_agents = arr.shape[lead + 1]
            if n_agents not in flat_index:
                flat_index[n_agents] = (rows[:, None] * n_agents + index).reshape(-1)
            flat = arr.reshape(arr.shape[:lead] + (-1,) + arr.shape[lead + 2:])
            taken = np.take(flat, flat_index[n_agents], axis=lead).reshape(
                arr.shape[:lead] + (len(pending), width - first) + arr.shape[lead + 2:])
            if fixed:
                arr[select, first:width] = taken
            else:
                arr[:, select, first:width] = taken

    def _compact_by_slices(self, r: int, keep: np.ndarray, gone: np.ndarray, future_start: int,
                           future_end: int) -> None:
        """Row ``r``'s compaction with the block not yet arrived moved as one slice (a memory move).

        The same result as :func:`compact`'s one gather: the kept and the gone agents are gathered,
        the block between them only shifts, which is much faster when it is long (a national run's
        future arrivals).
        """
        n_keep, n_future = keep.size, future_end - future_start
        for name, arr in self._arrays.items():
            fixed = name in self.FIXED
            row = arr[r] if fixed else arr[:, r]
            axis = 0 if fixed else 1

            def part(start: int, stop: int):
                return (slice(None),) * axis + (slice(start, stop),)

            kept, went = np.take(row, keep, axis=axis), np.take(row, gone, axis=axis)
            row[part(n_keep, n_keep + n_future)] = row[part(future_start, future_end)]     # overlap-safe
            row[part(0, n_keep)] = kept
            row[part(n_keep + n_future, n_keep + n_future + gone.size)] = went

    def _retire_block(self, r: int, start: int, n_gone: int) -> None:
        """Archive row ``r``'s newly retired block (``n_gone`` agents from ``start``) and make it inert."""
        block = slice(start, start + n_gone)
        self._archive.setdefault(r, []).append(
            {name: self._arrays[name][:, r, block].copy() for name in self.STATE})
        if "present" in self._arrays:
            # still in the area when retired (both arms counted): for head counts of the area
            self.retired_present += int(self._arrays["present"][:, r, block].sum())
        for name, value in self.INERT.items():
            self._arrays[name][:, r, block] = value

    def retired_state(self, r: int = 0) -> dict[str, np.ndarray]:
        """The state arrays of replication r's retired agents as they were when they retired
        (arms, agents…), in the order of the retired block (oldest retirements last)."""
        blocks = self._archive.get(r, [])
        return {name: np.concatenate([b[name] for b in reversed(blocks)], axis=1) if blocks
                else self._arrays[name][:, r, :0] for name in self.STATE}

    def __len__(self) -> int:
        """The window: the longest active prefix of the batch."""
        return self.window


def first_by_priority(eligible: np.ndarray, priority: np.ndarray, room: np.ndarray) -> np.ndarray:
    """(R, N) mask: in each row, the ``room[r]`` eligible agents with the lowest priority.

    Ties are broken by position (a stable sort), as ``idx[argsort(priority[idx])][:room]`` would.
    Only the eligible agents are sorted (few: a sort of every agent each month was the largest item
    of a national run's enrolment).
    """
    out = np.zeros(eligible.shape, dtype=bool)
    rows, cols = np.nonzero(eligible)
    if rows.size == 0:
        return out
    # np.nonzero lists the rows in order, each row's agents by position: a stable sort of a row's
    # priorities is then by priority, then position (one argsort per row: 3× faster than one lexsort
    # of (rows, priority, position) for a city batch's eligible households, measured)
    n_rows = eligible.shape[0]
    starts = np.searchsorted(rows, np.arange(n_rows + 1))
    room = np.broadcast_to(np.maximum(np.asarray(room), 0), (n_rows,))
    for r in range(n_rows):
        first, stop = int(starts[r]), int(starts[r + 1])
        k = min(int(room[r]), stop - first)
        if k <= 0:
            continue
        chosen = cols[first:stop]
        if k < stop - first:
            chosen = chosen[np.argsort(priority[r, chosen], kind="stable")[:k]]
        out[r, chosen] = True
    return out


def prefix_sums(values: np.ndarray, n_active: np.ndarray) -> np.ndarray:
    """Sum the last axis over each replication's own active prefix: (…, R, W) -> (…, R).

    A float sum's rounding depends on how many terms it has, so each
    replication sums exactly its own agents, the same terms in the same order
    whether it runs alone or in a batch of any size (issue 15's promise).
    """
    out = np.empty(values.shape[:-1], dtype=np.float64)
    for r, n in enumerate(n_active):
        out[..., r] = values[..., r, :int(n)].sum(axis=-1)
    return out
