"""Support relabel: an unlabelled voxel with little evidence of its own takes the label its neighbourhood votes for most."""

from __future__ import annotations

import numpy as np

from perception.lifting import pack_coords

_NEIGHBOURS = np.array([int(pack_coords(np.int64(i), np.int64(j), np.int64(k)) - pack_coords(0, 0, 0))
                        for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)], np.int64)


def neighbours(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each voxel ``rows`` of ``keys`` (sorted, packed) and each of its 27 neighbours (itself included), row by
    row: the neighbour's key, its index in ``keys`` and whether the map holds it."""
    near = (keys[rows, None] + _NEIGHBOURS[None]).ravel()
    pos = np.minimum(np.searchsorted(keys, near), len(keys) - 1)
    return near, pos, keys.take(pos) == near


def support_labels(keys: np.ndarray, labels: np.ndarray, conf: np.ndarray, weak: float = 2.0) -> np.ndarray:
    """Label of each voxel (``keys`` sorted, packed): unlabelled ones with at most ``weak`` agreeing votes (``conf``)
    take the label (0 = no instance included) whose voxels among themselves and their 26 neighbours hold the most
    votes; the others keep their own."""
    out = labels.copy()
    rows = np.flatnonzero((conf <= weak) & (labels == 0))
    if len(rows) == 0 or len(keys) == 0:
        return out
    near, pos, hit = neighbours(keys, rows)
    owner = np.repeat(np.arange(len(rows)), len(_NEIGHBOURS))[hit]
    lab, votes = labels.take(pos[hit]), np.maximum(conf.take(pos[hit]), 0).astype(np.float64)
    votes += 1e-6 * (near[hit] == keys.take(rows)[owner])  # a tie keeps the voxel's own label
    pair, inv = np.unique(owner * (int(labels.max()) + 1) + lab, return_inverse=True)
    total = np.bincount(inv, votes)
    who, what = np.divmod(pair, int(labels.max()) + 1)
    best = np.lexsort((-total, who))  # per voxel, its best-supported label comes first
    first = best[np.r_[True, who[best][1:] != who[best][:-1]]]
    out[rows[who[first]]] = what[first]
    return out
