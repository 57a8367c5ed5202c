"""Evidence for merging map instances: how often one segment spanned two instances versus kept them apart.

Fragments of one object are spanned by a single segment whenever the object is seen whole; two touching
objects that a segmenter sometimes joins are seen in separate segments far more often.
"""

from __future__ import annotations

import numpy as np

PAIR = 1 << 32  # instance pairs (a < b) are packed as a * PAIR + b (shared with the map)


class PairEvidence:
    """Per instance pair: frames in which one segment covered both, and frames in which separate segments did."""

    def __init__(self) -> None:
        self.together: dict[int, int] = {}
        self.apart: dict[int, int] = {}

    def update(self, covers: np.ndarray, inter: np.ndarray, match: np.ndarray, inst_ids: np.ndarray) -> None:
        """One frame: ``covers`` (segments x instances, bool) says which segment covers most of which of the
        sorted, distinct ``inst_ids``, ``inter`` how much of each it holds and ``match`` which instance column each
        segment was associated with (-1: none). Each covered instance belongs to the covering segment that holds most
        of it (coarse cells put a thin object inside the segment of the table under it too); pairs with two owners
        were apart, and pairs with one owner together when one of them is the instance that segment was matched to
        (two objects lying on a table are not fragments of each other, whatever the table's segment covers)."""
        if covers.size == 0:
            return
        cols = np.flatnonzero(covers.any(0))
        owner = np.argmax(np.where(covers[:, cols], inter[:, cols], -1), axis=0)
        a, b = np.triu_indices(len(cols), 1)
        lo, hi = inst_ids[cols[a]], inst_ids[cols[b]]  # sorted ids: lo < hi
        same = owner[a] == owner[b]
        held = match[owner[a]]
        joint = same & ((held == cols[a]) | (held == cols[b]))
        for table, keys in ((self.together, lo[joint] * PAIR + hi[joint]), (self.apart, lo[~same] * PAIR + hi[~same])):
            for k in keys.tolist():
                table[k] = table.get(k, 0) + 1

    def fragments(self, min_frames: int, ratio: float = 2.0) -> list[tuple[int, int]]:
        """Pairs spanned by one segment in at least ``min_frames`` frames and ``ratio`` times more often than apart."""
        return [divmod(k, PAIR) for k, n in self.together.items()
                if n >= min_frames and n >= ratio * self.apart.get(k, 0)]

    def forget(self, ids: set[int]) -> None:
        """Drop every pair that involves one of ``ids`` (merged or pruned instances)."""
        gone = np.fromiter(ids, np.int64, len(ids))
        for table in (self.together, self.apart):
            if not table or not len(gone):
                continue
            keys = np.fromiter(table, np.int64, len(table))
            a, b = np.divmod(keys, PAIR)
            for k in keys[np.isin(a, gone) | np.isin(b, gone)].tolist():
                del table[k]
