"""DBSCAN of voxels on their own integer grid: the clusters Open3D's ``cluster_dbscan`` finds on voxel centres,
from a dense grid of the voxels' bounding box (SciPy labelling) instead of KD-tree radius searches."""

from __future__ import annotations

from itertools import product

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from perception.lifting import unpack_keys


def ball_offsets(radius: float) -> np.ndarray:
    """Integer 3D offsets within ``radius`` (in voxels) of the origin, the origin included (K x 3)."""
    r = int(np.floor(radius))
    offs = np.array(list(product(range(-r, r + 1), repeat=3)), np.int64)
    return offs[(offs ** 2).sum(1) <= radius ** 2]


def grid_dbscan(keys: np.ndarray, eps_voxels: float, min_points: int, max_cells: int = 1 << 24) -> np.ndarray | None:
    """DBSCAN cluster per packed voxel key (0, 1, ... in order of first point; -1 noise) with radius
    ``eps_voxels`` voxels (at least sqrt(3)); a point counts itself among its neighbours, and a border point next to
    several clusters joins that of its first core neighbour in offset order. None when a group of voxels lying
    within the radius of each other spans more than ``max_cells`` grid cells or the radius is below sqrt(3) (use
    a KD-tree DBSCAN then)."""
    if eps_voxels ** 2 < 3:
        return None
    ijk = unpack_keys(keys)
    cluster = np.full(len(ijk), -1, np.int64)
    if len(ijk) == 0:
        return cluster
    offs = ball_offsets(eps_voxels)
    groups = _groups(ijk, int(np.abs(offs).max()) + 1)
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(groups[order]) != 0, True])
    done = 0
    for a, b in zip(bounds[:-1], bounds[1:]):
        rows = order[a:b]
        local = _dense_dbscan(ijk[rows], offs, min_points, max_cells)
        if local is None:
            return None
        cluster[rows] = np.where(local >= 0, local + done, -1)
        done += int(local.max(initial=-1)) + 1
    found = cluster >= 0
    _, first, inv = np.unique(cluster[found], return_index=True, return_inverse=True)
    cluster[found] = np.argsort(np.argsort(first))[inv]
    return cluster


def _groups(ijk: np.ndarray, cell: int) -> np.ndarray:
    """Group of each point: points in cells of ``cell`` voxels that do not touch are further apart than
    ``cell - 1`` voxels, so DBSCAN with a smaller radius can cluster each group on its own."""
    c = ijk // cell
    c -= c.min(0) - 1
    occupied = np.zeros(tuple(int(e) for e in c.max(0) + 2), bool)
    occupied[c[:, 0], c[:, 1], c[:, 2]] = True
    lab, _ = ndimage.label(occupied, structure=np.ones((3, 3, 3), bool))
    return lab[c[:, 0], c[:, 1], c[:, 2]]


def _dense_dbscan(ijk: np.ndarray, offs: np.ndarray, min_points: int, max_cells: int) -> np.ndarray | None:
    """DBSCAN clusters (-1 noise) of one group of integer points on a dense grid of their bounding box."""
    n = len(ijk)
    pad = int(np.abs(offs).max())
    lo = ijk.min(0) - pad
    ext = tuple(int(e) for e in ijk.max(0) - lo + pad + 1)
    if int(np.prod(ext)) > max_cells:
        return None
    flat = ((ijk[:, 0] - lo[0]) * ext[1] + (ijk[:, 1] - lo[1])) * ext[2] + (ijk[:, 2] - lo[2])
    step = (offs[:, 0] * ext[1] + offs[:, 1]) * ext[2] + offs[:, 2]
    index = np.full(int(np.prod(ext)), -1, np.int32)  # point at each grid cell, -1 none
    index[flat] = np.arange(n, dtype=np.int32)
    occupied = (index >= 0).astype(np.uint8)
    # the 3x3x3 box lies inside the ball: enough points there make a core point; count the rest exactly
    box = _box_sums(occupied.reshape(ext)).ravel()
    core = box.take(flat) >= min_points
    unsure = np.flatnonzero(~core)
    core[unsure] = (index.take(flat[unsure, None] + step) >= 0).sum(1) >= min_points
    core_cells = np.zeros(len(index), bool)
    core_cells[flat[core]] = True
    lab, k = ndimage.label(core_cells.reshape(ext), structure=np.ones((3, 3, 3), bool))
    lab = lab.ravel()
    own = lab.take(flat[core])
    comp = np.arange(k)
    if k > 1:  # 26-connected parts within the radius of each other are one cluster
        far = step[(np.abs(offs).max(1) >= 2) & (step > 0)]  # ball offsets beyond the box, one of each +- pair
        other = lab.take(flat[core][:, None] + far)
        link = (other > 0) & (other != own[:, None])
        rows = np.broadcast_to(own[:, None], other.shape)[link]
        graph = coo_matrix((np.ones(len(rows), np.int8), (rows - 1, other[link] - 1)), shape=(k, k))
        _, comp = connected_components(graph, directed=False)
    cluster = np.full(n, -1, np.int64)
    cluster[core] = comp[own - 1]
    border = np.flatnonzero(~core)
    near = index.take(flat[border, None] + step)
    near_core = np.append(core, False).take(near)
    has = near_core.any(1)
    border, near, near_core = border[has], near[has], near_core[has]
    cluster[border] = cluster[near[np.arange(len(border)), near_core.argmax(1)]]
    return cluster


def _box_sums(vol: np.ndarray) -> np.ndarray:
    """Sum over each cell's 3x3x3 neighbourhood (zero outside), in three separable passes."""
    for axis in range(3):
        out = vol.copy()
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], hi[axis] = slice(None, -1), slice(1, None)
        out[tuple(hi)] += vol[tuple(lo)]
        out[tuple(lo)] += vol[tuple(hi)]
        vol = out
    return vol
