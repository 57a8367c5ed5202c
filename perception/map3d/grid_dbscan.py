"""DBSCAN of voxels on their own integer grid: the clusters Open3D's ``cluster_dbscan`` finds on voxel centres,
from a dense grid of the voxels' bounding box (SciPy labelling) instead of KD-tree radius searches."""

from __future__ import annotations

from functools import lru_cache
from itertools import product

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from perception.lifting import unpack_keys

_BOX = np.array(list(product((-1, 0, 1), repeat=3)), np.int64)
_HALF_BOX = _BOX[_BOX.tolist().index([0, 0, 0]) + 1:]  # one of each +- pair of the 26 neighbours


@lru_cache(maxsize=64)
def ball_offsets(radius: float) -> np.ndarray:
    """Integer 3D offsets within ``radius`` (in voxels) of the origin, the origin included (K x 3, read-only)."""
    r = int(np.floor(radius))
    offs = np.array(list(product(range(-r, r + 1), repeat=3)), np.int64)
    offs = offs[(offs ** 2).sum(1) <= radius ** 2]
    offs.flags.writeable = False
    return offs


def grid_dbscan(keys: np.ndarray, eps_voxels: float | np.ndarray, min_points: int,
                max_cells: int = 1 << 24) -> np.ndarray | None:
    """DBSCAN cluster per packed voxel key (0, 1, ... in order of first point; -1 noise) with radius
    ``eps_voxels`` voxels (at least sqrt(3)), one for all or one per point; a point counts itself among its
    neighbours, and a border point next to several clusters joins that of its first core neighbour in offset order.
    With radii per point, each point's neighbours are those within its own radius, and two core points link when
    each lies within the other's radius. None when a group of voxels lying within the largest radius of each other
    spans more than ``max_cells`` grid cells or a radius is below sqrt(3) (use a KD-tree DBSCAN then)."""
    ijk = unpack_keys(keys)
    radii, level = np.unique(np.broadcast_to(np.asarray(eps_voxels, np.float64), (len(ijk),)), return_inverse=True)
    if np.any(np.asarray(eps_voxels) ** 2 < 3):
        return None
    cluster = np.full(len(ijk), -1, np.int64)
    if len(ijk) == 0:
        return cluster
    offs = [ball_offsets(float(r)) for r in radii]
    groups = _groups(ijk, int(np.abs(offs[-1]).max()) + 1)
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(groups[order]) != 0, True])
    done = 0
    for a, b in zip(bounds[:-1], bounds[1:]):
        rows = order[a:b]
        local = _dense_dbscan(ijk[rows], level[rows], offs, min_points, max_cells)
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


def _gather(grid: np.ndarray, cells: np.ndarray, step: np.ndarray, chunk: int = 1 << 22) -> np.ndarray:
    """``grid`` at each cell + each step offset (len(cells) x len(step)), gathered in chunks of bounded size."""
    rows = max(1, chunk // max(len(step), 1))
    if len(cells) <= rows:
        return grid.take(cells[:, None] + step)
    return np.concatenate([grid.take(cells[i:i + rows, None] + step) for i in range(0, len(cells), rows)]
                          or [np.zeros((0, len(step)), grid.dtype)])


def _dense_dbscan(ijk: np.ndarray, level: np.ndarray, offs: list[np.ndarray], min_points: int,
                  max_cells: int) -> np.ndarray | None:
    """DBSCAN clusters (-1 noise) of one group of integer points on a dense grid of their bounding box; point i
    searches the ball ``offs[level[i]]`` (balls sorted by radius)."""
    n = len(ijk)
    pad = int(np.abs(offs[int(level.max())]).max())
    lo = ijk.min(0) - pad
    ext = tuple(int(e) for e in ijk.max(0) - lo + pad + 1)
    if int(np.prod(ext)) > max_cells:
        return None
    if n < min_points:  # no point has enough neighbours to be a core point
        return np.full(n, -1, np.int64)
    flat = ((ijk[:, 0] - lo[0]) * ext[1] + (ijk[:, 1] - lo[1])) * ext[2] + (ijk[:, 2] - lo[2])
    steps = [(o[:, 0] * ext[1] + o[:, 1]) * ext[2] + o[:, 2] for o in offs]
    index = np.full(int(np.prod(ext)), -1, np.int32)  # point at each grid cell, -1 none
    index[flat] = np.arange(n, dtype=np.int32)
    occupied = np.zeros(len(index), bool)
    occupied[flat] = True
    # the 3x3x3 box lies inside every ball: enough points there make a core point; count the rest exactly
    box = (_BOX[:, 0] * ext[1] + _BOX[:, 1]) * ext[2] + _BOX[:, 2]
    core = np.count_nonzero(_gather(occupied, flat, box), axis=1) >= min_points
    for lv, step in enumerate(steps):
        unsure = np.flatnonzero(~core & (level == lv))
        core[unsure] = np.count_nonzero(_gather(occupied, flat[unsure], step), axis=1) >= min_points
    if not core.any():
        return np.full(n, -1, np.int64)
    core_cells = np.zeros(len(index), bool)
    core_cells[flat[core]] = True
    lab, k = _box_parts(index, flat, core, ext)
    comp = np.arange(k)
    if k > 1:  # 26-connected parts within the radius of each other are one cluster
        pairs = []
        reach2 = np.array([(o ** 2).sum(1).max() for o in offs])[level]
        part = lab.take(flat)
        sizes = np.bincount(part[core], minlength=k + 1)
        # a link between two parts has an end outside the largest one: when few points lie outside it, search from
        # those alone, in every direction; otherwise from every core point, one of each +- pair of directions
        both = 2 * (sizes.sum() - sizes.max()) < sizes.sum()
        for lv, (o, step) in enumerate(zip(offs, steps)):
            rows = core & (level == lv) & ((part != sizes.argmax()) if both else True)
            src = flat[rows]
            far = (np.abs(o).max(1) >= 2) & ((step > 0) | both)  # beyond the box
            own = part[rows]
            other = _gather(lab, src, step[far])
            r, c = np.nonzero((other > 0) & (other != own[:, None]))
            if lv > 0:  # a larger ball than the smallest: the other point's radius must reach back too
                ok = reach2[index.take(src[r] + step[far][c])] >= (o[far][c] ** 2).sum(1)
                r, c = r[ok], c[ok]
            pairs.append(np.unique((own[r].astype(np.int64) - 1) * k + other[r, c] - 1))
        a, b = np.divmod(np.unique(np.concatenate(pairs)), k)
        _, comp = connected_components(coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(k, k)), directed=False)
    cluster = np.full(n, -1, np.int64)
    cluster[core] = comp[lab.take(flat[core]) - 1]
    for lv, step in enumerate(steps):
        border = flat[~core & (level == lv)]
        near_core = _gather(core_cells, border, step)
        has = near_core.any(1)
        first = step[near_core[has].argmax(1)]  # first core neighbour in offset order
        cluster[index.take(border[has])] = cluster[index.take(border[has] + first)]
    return cluster


def _box_parts(index: np.ndarray, flat: np.ndarray, core: np.ndarray, ext: tuple[int, ...]) -> tuple[np.ndarray, int]:
    """26-connected parts of the core points: a grid of part numbers (1, 2, ...; 0 where no core point lies) and
    how many; from the core points' own neighbours rather than a scan of the whole grid."""
    src = np.flatnonzero(core)
    local = np.full(len(core) + 1, -1, np.int32)  # each core point's place among them (-1 for none, also at -1)
    local[src] = np.arange(len(src), dtype=np.int32)
    step = (_HALF_BOX[:, 0] * ext[1] + _HALF_BOX[:, 1]) * ext[2] + _HALF_BOX[:, 2]
    other = local.take(_gather(index, flat[src], step)).ravel()
    link = other >= 0
    starts = np.r_[0, np.cumsum(link.reshape(len(src), -1).sum(1))]
    k, part = connected_components(csr_matrix((np.ones(int(starts[-1])), other[link], starts),
                                              shape=(len(src), len(src))), directed=False)
    lab = np.zeros(len(index), np.int32)
    lab[flat[src]] = part + 1
    return lab, k
