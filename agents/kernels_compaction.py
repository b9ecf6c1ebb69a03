"""The yearly retirement's compaction, compiled (issue 15): agents/base.py's numpy paths
(``_compact_by_one_gather`` or ``_compact_by_slices``, then ``_retire_block`` per row) are the
references.

A row's compaction rearranges ``[active | not yet arrived | …]`` into ``[kept | not yet arrived |
gone | …]`` (:func:`agents.base.compact`), then archives the gone block and gives it the inert
state. The numpy paths gather the whole changed span ``[first gone, future end)`` with ``np.take``
per array, and archive and reset per row and array (≈ 20 small numpy calls a row); on Öster's 50
replications the span is ≈ 1 700 households and 1 200 children a row, most of them the block not
yet arrived, which only shifts. Here one compiled loop per array does it for every queued row:

1. the gone agents are copied, in order, to a scratch buffer (their places are overwritten next);
2. the kept agents after the first gone one move down, one by one (a kept agent's source is at or
   above its target and above every earlier target: nothing is read after it is overwritten), the
   ones before it are already in place;
3. the block not yet arrived moves down as one ``memmove`` (overlap-safe);
4. the scratch is copied to the archive (state arrays), and the row's gone block gets the
   scratch or, for an array with an inert value, that value.

Every array is handled as words of the widest unsigned type that divides an agent's bytes (an
agent's ``words`` words, its trailing axes included): a move copies bits and interprets no dtype,
so the arrays are the gathers' to the bit (``tests/test_population_speed.py``), and the loop has
four specialisations (uint8 … uint64) whatever the population's dtypes.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from agents.kernels import compiled

_WORDS = {8: np.uint64, 4: np.uint32, 2: np.uint16, 1: np.uint8}


@intrinsic
def _move_bytes(typingctx, target, target_start, source, source_start, n_bytes):  # pragma: no cover
    """memmove(bytes of target + target_start, bytes of source + source_start, n_bytes): overlap-safe."""
    if not (isinstance(target, types.Array) and isinstance(source, types.Array)):
        return None
    signature = types.void(target, types.int64, source, types.int64, types.int64)

    def codegen(context, builder, sig, args):
        byte_pointer = ir.IntType(8).as_pointer()
        to = context.make_array(sig.args[0])(context, builder, args[0])
        frm = context.make_array(sig.args[2])(context, builder, args[2])
        cgutils.raw_memmove(builder, builder.gep(builder.bitcast(to.data, byte_pointer), [args[1]]),
                            builder.gep(builder.bitcast(frm.data, byte_pointer), [args[3]]), args[4], 1)
        return context.get_dummy_value()

    return signature, codegen


def _compact_rows_loop(data, word_bytes, n_lead, n_reps, n_agents, words, rows, first, kept_offsets, kept,
                       gone_offsets, gone, n_keep, future_start, future_end, scratch, archive, n_archived,
                       inert, has_inert):  # pragma: no cover - compiled by numba
    # data: one array as words, (n_lead, n_reps, n_agents, words) in C order. Queued row i (replication
    # rows[i]): its kept agents after its first gone one, kept[kept_offsets[i] : kept_offsets[i + 1]],
    # go to first[i], first[i] + 1, …; its gone ones, gone[gone_offsets[i] : gone_offsets[i + 1]], to
    # the end of its order; its block not yet arrived [future_start[i], future_end[i]) to n_keep[i].
    # archive (n_lead, n_archived, words), or empty: the gone agents of every row, row i's from
    # gone_offsets[i]. inert (words,): the gone block's new value when has_inert.
    # Every index and count is uint64 (the caller's arrays and scalars): a signed index costs a
    # test for negative values at every access (3× slower for the one-word moves, measured).
    one = np.uint64(1)
    for i in range(rows.shape[0]):
        r = rows[i]
        g0, g1 = gone_offsets[i], gone_offsets[i + 1]
        k0, k1 = kept_offsets[i], kept_offsets[i + 1]
        n_future = future_end[i] - future_start[i]
        for lead in range(n_lead):
            row = (lead * n_reps + r) * n_agents * words
            s = (g1 - g0) * words
            target = row + first[i] * words
            if words == one:                   # most arrays: one word an agent (no inner loops)
                for j in range(g0, g1):
                    scratch[j - g0] = data[row + gone[j]]
                for j in range(k0, k1):
                    data[target] = data[row + kept[j]]
                    target += one
            else:
                # an agent of several words: word by word over the agents (a loop of a few words per
                # agent inside was 5× slower than the one-word case, measured); a word's pass reads and
                # writes only that word of each agent, and its moves go down, so it reads nothing a
                # pass has written
                for w in range(words):
                    for j in range(g0, g1):
                        scratch[(j - g0) * words + w] = data[row + gone[j] * words + w]
                for w in range(words):
                    place = target + w
                    for j in range(k0, k1):
                        data[place] = data[row + kept[j] * words + w]
                        place += words
            if n_future > 0 and future_start[i] != n_keep[i]:
                _move_bytes(data, np.int64((row + n_keep[i] * words) * word_bytes), data,
                            np.int64((row + future_start[i] * words) * word_bytes),
                            np.int64(n_future * words * word_bytes))
            tail = row + (n_keep[i] + n_future) * words
            if archive.shape[0] > 0:
                start = (lead * n_archived + g0) * words
                for q in range(s):
                    archive[start + q] = scratch[q]
            if has_inert and words == one:
                value = inert[0]
                for q in range(s):
                    data[tail + q] = value
            elif has_inert:
                for q in range(g1 - g0):
                    for w in range(words):
                        data[tail + q * words + w] = inert[w]
            else:
                for q in range(s):
                    data[tail + q] = scratch[q]


class CompactionPlan:
    """The queued rows' moves, worked out once per population and used for every array.

    ``pending``: (replication, keep, gone, future_start, future_end) per row, as
    :meth:`agents.base.ArrayPopulation._compact_row` queues them (keep and gone ascending, together
    the active block ``[0, future_start)``; distinct rows).
    """

    def __init__(self, pending: list[tuple]):
        self.rows = np.array([p[0] for p in pending], dtype=np.int64)
        self.n_keep = np.array([p[1].size for p in pending], dtype=np.int64)
        self.future_start = np.array([p[3] for p in pending], dtype=np.int64)
        self.future_end = np.array([p[4] for p in pending], dtype=np.int64)
        # a row's agents before its first gone one keep their places (keep[k] == k there), so its
        # kept agents from position first on are keep[first:]
        self.first = np.array([int(gone[0]) if gone.size else keep.size for _, keep, gone, _, _ in pending],
                              dtype=np.int64)
        kept = [np.asarray(keep[f:], dtype=np.int64) for (_, keep, *_), f in zip(pending, self.first.tolist())]
        gone = [np.asarray(p[2], dtype=np.int64) for p in pending]
        self.kept_offsets = np.concatenate(([0], np.cumsum([k.size for k in kept]))).astype(np.int64)
        self.gone_offsets = np.concatenate(([0], np.cumsum([g.size for g in gone]))).astype(np.int64)
        self.kept = np.concatenate(kept) if kept else np.zeros(0, np.int64)
        self.gone = np.concatenate(gone) if gone else np.zeros(0, np.int64)
        self.n_gone = int(self.gone_offsets[-1])
        self.max_gone = max((g.size for g in gone), default=0)
        self.unsigned = {name: getattr(self, name).astype(np.uint64) for name in (
            "rows", "first", "kept_offsets", "kept", "gone_offsets", "gone", "n_keep", "future_start", "future_end")}

    def apply(self, layout: "WordLayout", archive: bool = False) -> np.ndarray | None:
        """Compact the planned rows of ``layout``'s array in place and give their gone blocks its
        inert value (if it has one). With ``archive``, returns the gone agents of every row as they
        were, (lead axes…, gone of all rows, trailing…), row i's from ``gone_offsets[i]`` (what
        ``arr[:, r, block].copy()`` gives, row by row)."""
        out = np.empty(layout.lead_shape + (self.n_gone,) + layout.trailing, dtype=layout.dtype) \
            if archive else None
        if layout.data is None:
            return out
        archived = out.reshape(-1, copy=False).view(layout.word) if archive else layout.no_archive
        u = self.unsigned
        compiled("compact_rows", _compact_rows_loop)(
            layout.data, *layout.sizes, u["rows"], u["first"], u["kept_offsets"], u["kept"], u["gone_offsets"],
            u["gone"], u["n_keep"], u["future_start"], u["future_end"],
            np.empty(self.max_gone * layout.words, dtype=layout.word), archived, np.uint64(self.n_gone),
            layout.pattern, layout.has_inert)
        return out


class WordLayout:
    """One array seen as words for :func:`_compact_rows_loop`: (lead axes…, replications, agents,
    trailing…), C-contiguous, an agent's bytes as ``words`` words of the widest unsigned type that
    divides them; made once per array (the populations' arrays are never re-allocated)."""

    def __init__(self, arr: np.ndarray, lead: int, inert=None):
        self.array = arr
        self.dtype, self.lead_shape, self.trailing = arr.dtype, arr.shape[:lead], arr.shape[lead + 2:]
        n_reps, n_agents = arr.shape[lead], arr.shape[lead + 1]
        n_lead = int(np.prod(self.lead_shape, dtype=np.int64))
        agent_bytes = arr.itemsize * int(np.prod(self.trailing, dtype=np.int64))
        word_bytes = next(b for b in _WORDS if agent_bytes % b == 0) if agent_bytes else 1
        self.word = _WORDS[word_bytes]
        self.words = agent_bytes // word_bytes
        # written through: a view or an error, never a silent copy (copy=False raises on an array
        # that is not contiguous)
        self.data = arr.reshape(-1, copy=False).view(self.word) if arr.size else None
        self.sizes = tuple(np.uint64(v) for v in (word_bytes, n_lead, n_reps, n_agents, self.words))
        self.has_inert = inert is not None
        self.pattern = np.ascontiguousarray(np.broadcast_to(np.asarray(inert if self.has_inert else 0, dtype=arr.dtype),
                                                            self.trailing)).reshape(-1).view(self.word)
        self.no_archive = np.zeros(0, dtype=self.word)
