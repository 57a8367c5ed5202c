"""A bounded sparse voxel hash: sorted int64 keys with per-voxel instance vote, colour and last-seen frame.

Memory depends on the observed surface area (capped at ``capacity`` voxels, least recently seen evicted
first), never on the number of frames.
"""

from __future__ import annotations

import numpy as np

from perception.lifting import voxel_centers


class VoxelStore:
    """Parallel arrays sorted by key; label 0 means geometry without an instance."""

    def __init__(self, voxel: float, capacity: int = 2_000_000):
        self.voxel = float(voxel)
        self.capacity = int(capacity)
        self.clear()

    def clear(self) -> None:
        """Drop every voxel."""
        self.keys = np.zeros(0, np.int64)
        self.label = np.zeros(0, np.int64)
        self.conf = np.zeros(0, np.float32)
        self.rgb = np.zeros((0, 3), np.uint8)
        self.last_seen = np.zeros(0, np.int32)
        self.hits = np.zeros(0, np.int16)
        self.centers = np.zeros((0, 3), np.float32)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        """Bytes held by the voxel arrays."""
        return sum(a.nbytes for a in (self.keys, self.label, self.conf, self.rgb, self.last_seen, self.hits, self.centers))

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Row of each key in the store, -1 where absent."""
        if len(self.keys) == 0:
            return np.full(len(keys), -1, np.int64)
        idx = np.searchsorted(self.keys, keys)
        idx = np.minimum(idx, len(self.keys) - 1)
        return np.where(self.keys[idx] == keys, idx, -1)

    def vote(self, keys: np.ndarray, labels: np.ndarray, rgb: np.ndarray, frame: int) -> np.ndarray:
        """Add one observation per (unique) key; returns (old_label, new_label) pairs where a vote disagreed."""
        rows = self.lookup(keys)
        found = rows >= 0
        r, lab = rows[found], labels[found]
        old = self.label[r]
        same = old == lab
        self.conf[r] = np.where(same, self.conf[r] + 1, self.conf[r] - 1)
        flip = self.conf[r] <= 0
        self.label[r[flip]] = lab[flip]
        self.conf[r[flip]] = 1
        self.rgb[r] = (0.7 * self.rgb[r] + 0.3 * rgb[found]).astype(np.uint8)
        self.last_seen[r] = frame
        self.hits[r] = np.minimum(self.hits[r] + 1, 1000)
        conflicts = np.stack([old[~same], lab[~same]], axis=1)
        self._insert(keys[~found], labels[~found], rgb[~found], frame)
        return conflicts

    def _insert(self, keys: np.ndarray, labels: np.ndarray, rgb: np.ndarray, frame: int) -> None:
        if len(keys) == 0:
            return
        if np.any(keys[1:] < keys[:-1]):
            order = np.argsort(keys)
            keys, labels, rgb = keys[order], labels[order], rgb[order]
        n, total = len(keys), len(self.keys) + len(keys)
        new_rows = np.searchsorted(self.keys, keys) + np.arange(n)  # rows of the new keys after the merge
        is_old = np.ones(total, bool)
        is_old[new_rows] = False
        src = np.empty(total, np.intp)  # row of [old; new] that lands at each merged row
        src[is_old] = np.arange(len(self.keys))
        src[new_rows] = len(self.keys) + np.arange(n)
        added = {"keys": keys, "label": labels, "conf": np.ones(n, np.float32), "rgb": rgb,
                 "last_seen": np.full(n, frame, np.int32), "hits": np.ones(n, np.int16),
                 "centers": voxel_centers(keys, self.voxel).astype(np.float32)}
        for name, new in added.items():
            cur = getattr(self, name)
            setattr(self, name, _take_rows(np.concatenate([cur, new.astype(cur.dtype, copy=False)]), src))
        excess = len(self.keys) - self.capacity
        if excess > 0:
            mask = np.ones(len(self.keys), bool)
            mask[np.argpartition(self.last_seen, excess - 1)[:excess]] = False
            self.keep(mask)

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the voxels where ``mask`` is true."""
        for name in ("keys", "label", "conf", "rgb", "last_seen", "hits", "centers"):
            setattr(self, name, getattr(self, name)[mask])


def _take_rows(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``a[rows]``; rows of a 2D array move as single opaque items (several times faster than fancy indexing)."""
    if a.ndim == 1:
        return a.take(rows)
    flat = np.ascontiguousarray(a).view(np.dtype((np.void, a.shape[1] * a.itemsize))).ravel()
    return flat.take(rows).view(a.dtype).reshape(len(rows), a.shape[1])
