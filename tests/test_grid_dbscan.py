"""DBSCAN on the voxel grid finds Open3D's clusters on the voxel centres."""

from __future__ import annotations

import numpy as np
import pytest

from perception.lifting import pack_keys
from perception.map3d.grid_dbscan import ball_offsets, grid_dbscan


def _open3d(ijk: np.ndarray, eps: float, min_points: int) -> np.ndarray:
    o3d = pytest.importorskip("open3d")
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector((ijk + 0.5) * 0.02))
    return np.asarray(pcd.cluster_dbscan(eps=eps * 0.02, min_points=min_points))


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(a < 0, b < 0) and len(set(zip(a.tolist(), b.tolist()))) == len(set(a.tolist()))


@pytest.mark.parametrize("seed", range(4))
def test_grid_dbscan_equals_open3d(seed):
    rng = np.random.default_rng(seed)
    sheet = np.stack(np.meshgrid(np.arange(60), np.arange(40), np.arange(2), indexing="ij"), -1).reshape(-1, 3)
    sheet = sheet[rng.random(len(sheet)) < 0.5]
    blob = rng.integers(0, 8, (200, 3)) + [100, 0, 0]  # a far cluster of its own
    dust = rng.integers(-50, 150, (60, 3))  # mostly noise
    ijk = np.unique(np.concatenate([sheet, blob, dust]), axis=0)
    rng.shuffle(ijk)
    ours, ref = grid_dbscan(pack_keys(ijk), 2.5, 3), _open3d(ijk, 2.5, 3)
    assert ours.max() >= 1 and (ours < 0).any()
    assert _same_partition(ours, ref) and _same_partition(ref, ours)


def test_grid_dbscan_radius_edges_and_limits():
    # 2 voxels apart with 1 to the side (d^2 = 5) links; 2 and 2 (d^2 = 8) does not
    line = np.array([[0, 0, 0], [1, 0, 0], [3, 1, 0], [4, 1, 0], [6, 3, 0], [7, 3, 0]])
    assert grid_dbscan(pack_keys(line), 2.5, 2).tolist() == [0, 0, 0, 0, 1, 1]
    assert len(ball_offsets(2.5)) == 81
    assert grid_dbscan(pack_keys(line), 1.0, 2) is None  # below sqrt(3): the caller uses a KD-tree
    assert grid_dbscan(pack_keys(np.array([[0, 0, 0], [5000, 0, 0]])), 2.5, 1, max_cells=1000) is not None
    assert grid_dbscan(pack_keys(np.zeros((0, 3), np.int64)), 2.5, 3).tolist() == []


def test_grid_dbscan_radius_per_point():
    # a row of points 4 voxels apart clusters where their own radius reaches the next one, else it is noise
    row = np.array([[4 * i, 0, 0] for i in range(6)])
    assert grid_dbscan(pack_keys(row), 2.5, 2).tolist() == [-1] * 6
    assert grid_dbscan(pack_keys(row), np.full(6, 4.5), 3).tolist() == [0] * 6
    # only the first three reach out; the fourth, whose own radius holds no other point, stays noise
    mixed = grid_dbscan(pack_keys(row), np.array([4.5, 4.5, 4.5, 2.5, 2.5, 2.5]), 2)
    assert mixed.tolist() == [0, 0, 0, -1, -1, -1]
    # core points link when each reaches the other
    pair = np.array([[0, 0, 0], [1, 0, 0], [5, 0, 0], [6, 0, 0]])
    assert grid_dbscan(pack_keys(pair), np.array([4.5, 4.5, 4.5, 4.5]), 2).tolist() == [0, 0, 0, 0]
    assert grid_dbscan(pack_keys(pair), np.array([2.5, 2.5, 4.5, 4.5]), 2).tolist() == [0, 0, 1, 1]
    assert grid_dbscan(pack_keys(pair), np.array([4.5, 4.5, 2.5, 2.5]), 2).tolist() == [0, 0, 1, 1]
    assert np.array_equal(grid_dbscan(pack_keys(row), np.full(6, 2.5), 2), grid_dbscan(pack_keys(row), 2.5, 2))


def _dbscan_reference(ijk: np.ndarray, radius: np.ndarray, min_points: int) -> np.ndarray:
    """grid_dbscan point by point: neighbours within each point's own radius, core links both ways, a border point
    joins its first core neighbour in ``ball_offsets`` order (offsets ascending), clusters numbered by first point."""
    d = ijk[None] - ijk[:, None]  # d[i, j]: offset from point i to point j
    d2 = (d ** 2).sum(2)
    within = d2 <= radius[:, None] ** 2
    core = within.sum(1) >= min_points
    link = within & within.T & core[:, None] & core[None]
    root = np.arange(len(ijk))
    for i, j in zip(*np.nonzero(link)):
        a, b = root[i], root[j]
        if a != b:
            root[root == b] = a
    owner = np.where(core, root, -1)
    for i in np.flatnonzero(~core):
        near = np.flatnonzero(within[i] & core)
        if len(near):
            owner[i] = root[near[np.lexsort(d[i, near].T[::-1])[0]]]
    out = np.full(len(ijk), -1, np.int64)
    for c, r in enumerate(dict.fromkeys(owner[owner >= 0].tolist())):
        out[owner == r] = c
    return out


@pytest.mark.parametrize("seed", range(8))
def test_grid_dbscan_equals_a_point_by_point_reference(seed):
    rng = np.random.default_rng(seed)
    # a dense sheet (one large part), sparse points that link only through larger radii, and stray dust
    sheet = np.stack(np.meshgrid(np.arange(12), np.arange(10), [0], indexing="ij"), -1).reshape(-1, 3)
    sheet = sheet[rng.random(len(sheet)) < [0.3, 0.6, 0.9, 0.5][seed % 4]]
    sparse = 3 * rng.integers(0, 8, (40, 3)) + [0, 0, 4]
    dust = rng.integers(-20, 40, (int(rng.integers(5, 60)), 3))
    ijk = np.unique(np.concatenate([sheet, sparse, dust]), axis=0)
    rng.shuffle(ijk)
    radius = rng.choice([2.5, 2.5 * np.sqrt(2), 5.0], len(ijk))
    for eps in (radius, np.full(len(ijk), radius[0])):
        for min_points in (2, 3, 5):
            ours = grid_dbscan(pack_keys(ijk), eps, min_points)
            assert np.array_equal(ours, _dbscan_reference(ijk, eps, min_points))
