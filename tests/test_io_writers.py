"""The one PLY writer and the one ESAM-layout writer, read back by Open3D and by the RGB-D folder source."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest

from perception.io.esam import EsamWriter
from perception.io.ply import mesh_ply_bytes, points_ply_bytes, read_points_ply
from perception.sources import open_source


def test_point_cloud_ply_reads_back_in_open3d_with_colours_and_instances(tmp_path):
    rng = np.random.default_rng(0)
    xyz = rng.random((50, 3)).astype(np.float32)
    rgb = rng.integers(0, 256, (50, 3), dtype=np.uint8)
    ids = rng.integers(-1, 9, 50)
    path = tmp_path / "cloud.ply"
    path.write_bytes(points_ply_bytes(xyz, rgb, "test", instance=ids))
    cloud = o3d.io.read_point_cloud(str(path))
    assert np.allclose(np.asarray(cloud.points), xyz, atol=1e-6)
    assert np.allclose(np.asarray(cloud.colors) * 255, rgb, atol=0.5)
    assert np.array_equal(read_points_ply(path, "instance")["instance"], ids)


def test_mesh_ply_reads_back_in_open3d(tmp_path):
    xyz = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32)
    rgb = np.full((4, 3), 200, np.uint8)
    tri = np.array([[0, 1, 2], [0, 1, 3]])
    path = tmp_path / "mesh.ply"
    path.write_bytes(mesh_ply_bytes(xyz, rgb, tri, "test"))
    mesh = o3d.io.read_triangle_mesh(str(path))
    assert np.array_equal(np.asarray(mesh.triangles), tri) and len(mesh.vertices) == 4


def test_esam_writer_round_trips_through_the_rgbd_source(tmp_path):
    k = np.array([[500.0, 0, 32], [0, 500.0, 24], [0, 0, 1]])
    writer = EsamWriter(tmp_path)
    writer.write_intrinsics(k)
    depth = np.full((48, 64), 1.234, np.float32)
    depth[0, 0] = np.nan  # invalid depth is written as 0
    for n in range(3):
        pose = np.eye(4)
        pose[0, 3] = 0.1 * n
        writer.write_frame(n, np.full((48, 64, 3), 40 * n, np.uint8), depth, pose)
    packets = list(open_source(str(tmp_path)))
    assert len(packets) == 3
    p = packets[2]
    assert p.depth[1, 1] == pytest.approx(1.234, abs=1e-3) and p.depth[0, 0] == 0
    assert p.pose[0, 3] == pytest.approx(0.2) and p.intrinsics.fx == pytest.approx(500.0)
