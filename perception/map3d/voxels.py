"""A bounded sparse voxel hash: sorted int64 keys with per-voxel instance vote, colour, last-seen frame and the
finest spacing of the depth samples that fell in it.

Memory depends on the observed surface area (capped at ``capacity`` voxels, least recently seen evicted
first), never on the number of frames.
"""

from __future__ import annotations

import numpy as np

from perception.lifting import take_rows, voxel_centers

# colour blend 0.7 * stored + 0.3 * observed (truncated to uint8), tabulated for every pair of uint8 values
_BLEND = (0.7 * np.arange(256)[:, None] + 0.3 * np.arange(256)[None, :]).astype(np.uint8).ravel()


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
        self.spacing = np.zeros(0, np.float16)  # metres between neighbouring depth samples, finest observation
        self.centers = np.zeros((0, 3), np.float32)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        """Bytes held by the voxel arrays."""
        return sum(a.nbytes for a in (self.keys, self.label, self.conf, self.rgb, self.last_seen, self.hits, self.spacing,
                                      self.centers))

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Row of each key in the store, -1 where absent."""
        return self._find(keys)[0]

    def _find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row of each key or -1, insertion position of each key in the sorted store)."""
        pos = np.searchsorted(self.keys, keys)
        if len(self.keys) == 0:
            return np.full(len(keys), -1, np.int64), pos
        idx = np.minimum(pos, len(self.keys) - 1)
        return np.where(self.keys.take(idx) == keys, idx, -1), pos

    def vote(self, keys: np.ndarray, labels: np.ndarray, rgb: np.ndarray, frame: int,
             spacing: np.ndarray | None = None) -> np.ndarray:
        """Add one observation per (unique) key, its depth samples ``spacing`` m apart (default: one voxel);
        returns (old_label, new_label) pairs where a vote disagreed."""
        spacing = np.full(len(keys), self.voxel) if spacing is None else np.asarray(spacing)
        rows, pos = self._find(keys)
        found = rows >= 0
        r, lab = rows[found], labels[found]
        old = self.label[r]
        same = old == lab
        self.conf[r] = np.where(same, self.conf[r] + 1, self.conf[r] - 1)
        flip = self.conf[r] <= 0
        self.label[r[flip]] = lab[flip]
        self.conf[r[flip]] = 1
        self._blend(r, rgb[found])
        self.last_seen[r] = frame
        self.hits[r] = np.minimum(self.hits[r] + 1, 1000)
        self.spacing[r] = np.minimum(self.spacing[r], spacing[found])
        conflicts = np.stack([old[~same], lab[~same]], axis=1)
        self._insert(keys[~found], labels[~found], rgb[~found], spacing[~found], frame, pos[~found])
        return conflicts

    def _blend(self, rows: np.ndarray, rgb: np.ndarray) -> None:
        """Stored colour of ``rows`` becomes 0.7 * stored + 0.3 * ``rgb`` (truncated to uint8)."""
        cur = take_rows(self.rgb, rows)
        if rgb.dtype == np.uint8:
            new = _BLEND.take((cur.astype(np.intp) << 8) | rgb)
        else:
            new = (0.7 * cur + 0.3 * rgb).astype(np.uint8)
        self.rgb[rows] = new

    def _insert(self, keys: np.ndarray, labels: np.ndarray, rgb: np.ndarray, spacing: np.ndarray, frame: int,
                pos: np.ndarray) -> None:
        """Add absent ``keys``; ``pos`` is where each would go in the current sorted keys (np.searchsorted)."""
        if len(keys) == 0:
            return
        if np.any(keys[1:] < keys[:-1]):
            order = np.argsort(keys)
            keys, labels, rgb, spacing, pos = keys[order], labels[order], rgb[order], spacing[order], pos[order]
        n, total = len(keys), len(self.keys) + len(keys)
        new_rows = pos + np.arange(n)  # rows of the new keys after the merge
        is_old = np.ones(total, bool)
        is_old[new_rows] = False
        src = np.empty(total, np.intp)  # row of [old; new] that lands at each merged row
        src[is_old] = np.arange(len(self.keys))
        src[new_rows] = len(self.keys) + np.arange(n)
        added = {"keys": keys, "label": labels, "conf": np.ones(n, np.float32), "rgb": rgb,
                 "last_seen": np.full(n, frame, np.int32), "hits": np.ones(n, np.int16), "spacing": spacing,
                 "centers": voxel_centers(keys, self.voxel).astype(np.float32)}
        for name, new in added.items():
            cur = getattr(self, name)
            setattr(self, name, take_rows(np.concatenate([cur, new.astype(cur.dtype, copy=False)]), src))
        excess = len(self.keys) - self.capacity
        if excess > 0:
            mask = np.ones(len(self.keys), bool)
            mask[np.argpartition(self.last_seen, excess - 1)[:excess]] = False
            self.keep(mask)

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the voxels where ``mask`` is true."""
        for name in ("keys", "label", "conf", "rgb", "last_seen", "hits", "spacing", "centers"):
            setattr(self, name, getattr(self, name)[mask])

