"""The yearly retirement's compaction as memory moves, compiled (issue 15; agents/base.py's numpy
paths, ``_compact_by_one_gather`` and ``_compact_by_slices``, are the references).

A row's compaction rearranges ``[active | not yet arrived | …]`` into ``[kept | not yet arrived |
gone | …]`` (:func:`agents.base.compact`). The numpy paths gather every agent of the changed span
``[first gone, future end)`` element by element (``np.take``), once per array; on Öster's 50
replications that span is ≈ 1 700 households and 1 200 children a row, most of them the block not
yet arrived, which only shifts. Here each array's bytes move instead: an agent is the same
``agent_bytes`` bytes in every array of the population whatever its dtype and trailing axes, so
every array is handled as one flat ``uint8`` buffer by one compiled loop (one specialisation):

1. the gone agents' bytes are copied, in order, to a scratch buffer (their places are
   overwritten next);
2. the kept agents move down run by run (a run: consecutive kept agents; its target is below its
   source, and every later run's source is above this run's target, so nothing is read after it
   is overwritten);
3. the block not yet arrived moves down as one ``memmove`` (overlap-safe);
4. the scratch goes to the end of the row's order.

The bytes are the same as the gathers give (a move copies bits: no dtype is interpreted), which
``tests/test_population_speed.py`` asserts against both numpy paths.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from agents.kernels import compiled

#: runs of at most this many bytes are copied byte by byte (a call of libc's memmove costs about as
#: much as 30 bytes copied in the loop; most kept runs of a one-byte array are a few bytes)
SHORT_RUN_BYTES = 32


@intrinsic
def _move_bytes(typingctx, target, target_start, source, source_start, n_bytes):  # pragma: no cover
    """memmove(target.data + target_start, source.data + source_start, n_bytes): overlap-safe."""
    if not (isinstance(target, types.Array) and isinstance(source, types.Array)
            and target.dtype == types.uint8 and source.dtype == types.uint8):
        return None
    signature = types.void(target, types.int64, source, types.int64, types.int64)

    def codegen(context, builder, sig, args):
        to = context.make_array(sig.args[0])(context, builder, args[0])
        frm = context.make_array(sig.args[2])(context, builder, args[2])
        cgutils.raw_memmove(builder, builder.gep(to.data, [args[1]]), builder.gep(frm.data, [args[3]]),
                            args[4], 1)
        return context.get_dummy_value()

    return signature, codegen


def _compact_rows_loop(flat, n_lead, n_reps, row_bytes, agent_bytes, rows, kept_offsets, kept_source,
                       kept_target, kept_length, gone_offsets, gone_source, gone_length, n_keep,
                       future_start, future_end, scratch):  # pragma: no cover - compiled by numba
    # flat: one array's bytes, (n_lead, n_reps, row_bytes) C order; for queued row i (replication
    # rows[i]): its kept runs kept_offsets[i] … kept_offsets[i + 1] − 1 (source, target, length in
    # agents; runs already in place are left out), its gone runs likewise (source, length), n_keep,
    # and its block not yet arrived [future_start, future_end); scratch holds a row's gone bytes
    # moves of at most SHORT_RUN_BYTES go byte by byte (forward: right for a move down, the only
    # direction here, and between buffers), longer ones by memmove
    short = SHORT_RUN_BYTES
    for i in range(rows.shape[0]):
        r = rows[i]
        n_future = future_end[i] - future_start[i]
        for lead in range(n_lead):
            row = (lead * n_reps + r) * row_bytes
            s = 0
            for j in range(gone_offsets[i], gone_offsets[i + 1]):
                n = gone_length[j] * agent_bytes
                source = row + gone_source[j] * agent_bytes
                if n <= short:
                    for b in range(n):
                        scratch[s + b] = flat[source + b]
                else:
                    _move_bytes(scratch, s, flat, source, n)
                s += n
            for j in range(kept_offsets[i], kept_offsets[i + 1]):
                n = kept_length[j] * agent_bytes
                source = row + kept_source[j] * agent_bytes
                target = row + kept_target[j] * agent_bytes
                if n <= short:
                    for b in range(n):
                        flat[target + b] = flat[source + b]
                else:
                    _move_bytes(flat, target, flat, source, n)
            if n_future > 0 and future_start[i] != n_keep[i]:
                _move_bytes(flat, row + n_keep[i] * agent_bytes, flat, row + future_start[i] * agent_bytes,
                            n_future * agent_bytes)
            if s > 0:
                _move_bytes(flat, row + (n_keep[i] + n_future) * agent_bytes, scratch, 0, s)


def _runs(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start position in ``index``, length) of the runs of consecutive values of the ascending ``index``."""
    if index.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.concatenate(([True], np.diff(index) != 1)))
    return starts, np.diff(np.append(starts, index.size))


class CompactionPlan:
    """The queued rows' moves in agents, worked out once per population and used for every array.

    ``pending``: (replication, keep, gone, future_start, future_end) per row, as
    :meth:`agents.base.ArrayPopulation._compact_row` queues them (keep and gone ascending, together
    the active block ``[0, future_start)``).
    """

    def __init__(self, pending: list[tuple]):
        self.rows = np.array([p[0] for p in pending], dtype=np.int64)
        self.n_keep = np.array([p[1].size for p in pending], dtype=np.int64)
        self.future_start = np.array([p[3] for p in pending], dtype=np.int64)
        self.future_end = np.array([p[4] for p in pending], dtype=np.int64)
        kept_source, kept_target, kept_length, gone_source, gone_length = [], [], [], [], []
        kept_offsets, gone_offsets = [0], [0]
        self.max_gone = 0
        for _, keep, gone, _, _ in pending:
            keep = np.asarray(keep, dtype=np.int64)
            gone = np.asarray(gone, dtype=np.int64)
            starts, lengths = _runs(keep)
            source = keep[starts]
            moved = source != starts                  # a run whose agents keep their places stays
            kept_source.append(source[moved])
            kept_target.append(starts[moved])
            kept_length.append(lengths[moved])
            kept_offsets.append(kept_offsets[-1] + int(np.count_nonzero(moved)))
            starts, lengths = _runs(gone)
            gone_source.append(gone[starts])
            gone_length.append(lengths)
            gone_offsets.append(gone_offsets[-1] + starts.size)
            self.max_gone = max(self.max_gone, gone.size)
        join = (lambda parts: np.concatenate(parts).astype(np.int64, copy=False) if parts
                else np.zeros(0, np.int64))
        self.kept_offsets, self.gone_offsets = np.array(kept_offsets, np.int64), np.array(gone_offsets, np.int64)
        self.kept_source, self.kept_target, self.kept_length = join(kept_source), join(kept_target), join(kept_length)
        self.gone_source, self.gone_length = join(gone_source), join(gone_length)

    def apply(self, arr: np.ndarray, lead: int) -> None:
        """Compact the planned rows of ``arr`` in place: (lead…, replications, agents, trailing…),
        C-contiguous, with ``lead`` axes before the replication axis."""
        n_reps, n_agents = arr.shape[lead], arr.shape[lead + 1]
        n_lead = int(np.prod(arr.shape[:lead], dtype=np.int64))
        if arr.size == 0 or n_agents == 0:
            return
        agent_bytes = arr.nbytes // (n_lead * n_reps * n_agents)
        flat = arr.reshape(-1).view(np.uint8)
        scratch = np.empty(self.max_gone * agent_bytes, dtype=np.uint8)
        compiled("compact_rows", _compact_rows_loop)(
            flat, np.int64(n_lead), np.int64(n_reps), np.int64(n_agents * agent_bytes), np.int64(agent_bytes),
            self.rows, self.kept_offsets, self.kept_source, self.kept_target, self.kept_length,
            self.gone_offsets, self.gone_source, self.gone_length, self.n_keep, self.future_start,
            self.future_end, scratch)
