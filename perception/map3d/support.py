"""Support relabel: an unlabelled voxel with little evidence of its own takes the label its neighbourhood votes for most."""

from __future__ import annotations

import numpy as np

from perception.lifting import pack_coords

_NEIGHBOURS = np.array([int(pack_coords(np.int64(i), np.int64(j), np.int64(k)) - pack_coords(0, 0, 0))
                        for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)], np.int64)
_COLUMNS = _NEIGHBOURS[1::3].tolist()  # the nine (i, j) columns of the neighbourhood, each 3 voxels along k


def neighbours(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each voxel ``rows`` of ``keys`` (sorted, packed) and each of its 27 neighbours (itself included), row by
    row: the neighbour's index in ``keys`` (where it would be inserted when absent, at most the last) and whether the
    map holds it."""
    base = keys.take(rows)
    last = len(keys) - 1
    pos = np.empty((len(rows), len(_COLUMNS), 3), np.int64)
    hit = np.empty((len(rows), len(_COLUMNS), 3), bool)
    for c, step in enumerate(_COLUMNS):  # one search per column: keys k - 1, k, k + 1 of a column are adjacent
        q = np.searchsorted(keys, base + (step - 1))
        for dk in range(3):
            at = np.minimum(q, last)
            pos[:, c, dk] = at
            hit[:, c, dk] = found = keys.take(at) == base + (step + dk - 1)
            q += found
    return pos.ravel(), hit.ravel()


def support_labels(keys: np.ndarray, labels: np.ndarray, conf: np.ndarray, weak: float = 2.0) -> np.ndarray:
    """Label of each voxel (``keys`` sorted, packed): unlabelled ones with at most ``weak`` agreeing votes (``conf``)
    take the label (0 = no instance included) whose voxels among themselves and their 26 neighbours hold the most
    votes; the others keep their own."""
    out = labels.copy()
    rows = np.flatnonzero((conf <= weak) & (labels == 0))
    labelled = np.flatnonzero(labels > 0)
    if len(labelled) < len(rows):  # only voxels beside a labelled one can change: find them from the fewer side
        pos, hit = neighbours(keys, labelled)
        beside = np.zeros(len(keys), bool)
        beside[pos[hit]] = True
        rows = rows[beside.take(rows)]
    if len(rows) == 0 or len(labelled) == 0:
        return out
    pos, hit = neighbours(keys, rows)
    owner, slot = np.divmod(np.flatnonzero(hit), len(_NEIGHBOURS))
    lab, votes = labels.take(pos[hit]), np.maximum(conf.take(pos[hit]), 0).astype(np.float64)
    votes += 1e-6 * (slot == len(_NEIGHBOURS) // 2)  # the voxel itself: a tie keeps its own label
    pair = owner * (int(labels.max()) + 1) + lab
    order = np.argsort(pair, kind="stable")  # pairs come sorted by owner: a stable sort is quick
    ranked = pair[order]
    new = np.r_[True, ranked[1:] != ranked[:-1]]
    inv = np.empty(len(pair), np.int64)
    inv[order] = np.cumsum(new) - 1
    total = np.bincount(inv, votes)  # per (voxel, label) pair, summed in neighbour order
    who, what = np.divmod(ranked[new], int(labels.max()) + 1)
    best = np.lexsort((-total, who))  # per voxel, its best-supported label (the smallest on a tie) comes first
    first = best[np.r_[True, who[best][1:] != who[best][:-1]]]
    out[rows[who[first]]] = what[first]
    return out
