"""TSDF mesh export: fusion on a synthetic room, the "mesh" stage's skipping rules, and `run --export-mesh`."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
from scipy.spatial import cKDTree

from perception.cli import main
from perception.map3d.mesh import MeshConfig
from perception.map3d.mesh_stage import MeshStage
from perception.pipeline.factory import PipelineOptions, build_stages
from perception.sources import open_source
from perception.synthetic.rgbd_scene import generate_rgbd_scene
from perception.types import CameraState, FrameResult, InputError, PoseSource, SourceInfo


@pytest.fixture(scope="module")
def room(tmp_path_factory) -> Path:
    """An 8-frame 160x120 synthetic RGB-D room (ESAM layout, ground-truth poses)."""
    return generate_rgbd_scene(tmp_path_factory.mktemp("mesh") / "room", seed=0, n_frames=8, width=160, height=120)


def _lifted(packet) -> tuple[np.ndarray, np.ndarray]:
    """World points and RGB colours of a packet's valid depth pixels."""
    k, d = packet.intrinsics, packet.depth
    v, u = np.nonzero((d > 0) & (d < MeshConfig().depth_trunc))
    z = d[v, u]
    cam = np.stack([(u - k.cx) / k.fx * z, (v - k.cy) / k.fy * z, z, np.ones_like(z)], 1)
    return (cam @ packet.pose.T)[:, :3], packet.image[v, u, ::-1]


def test_mesh_of_a_synthetic_room_lies_on_its_surfaces_with_their_colours(room):
    stage, points, colours = MeshStage(), [], []
    with open_source(str(room)) as src:
        for packet in src:
            assert "mesh" not in stage.process(FrameResult(packet)).skipped
            xyz, rgb = _lifted(packet)
            points.append(xyz)
            colours.append(rgb)
    xyz, rgb, tris = stage.volume.mesh()
    assert len(tris) > 1000 and stage.volume.frames == 8
    dist, nearest = cKDTree(np.concatenate(points)).query(xyz)
    colour_err = np.abs(rgb.astype(int) - np.concatenate(colours)[nearest].astype(int))
    print(f"synthetic room mesh: {len(xyz)} vertices, {len(tris)} triangles, median distance to the lifted "
          f"depth {100 * np.median(dist):.2f} cm, median colour error {np.median(colour_err):.0f}")
    assert np.median(dist) < 2 * stage.volume.config.voxel
    assert np.median(colour_err) < 20  # RGB, not BGR


def test_frames_without_pose_or_depth_are_skipped_and_an_empty_mesh_is_refused(room, tmp_path):
    with open_source(str(room)) as src:
        packet = next(iter(src))
    stage = MeshStage()
    for bare in (dataclasses.replace(packet, pose=None), dataclasses.replace(packet, depth=None)):
        assert stage.process(FrameResult(bare)).skipped["mesh"].startswith("no ")
    assert stage.skipped == 2 and stage.volume.frames == 0 and stage.volume.blocks == 0
    with pytest.raises(InputError, match="mesh is empty"):
        stage.export_ply(tmp_path / "empty.ply")
    assert not (tmp_path / "empty.ply").exists()
    unposed = FrameResult(dataclasses.replace(packet, pose=None), camera=CameraState(packet.pose, PoseSource.ODOMETRY))
    assert "mesh" not in stage.process(unposed).skipped and stage.volume.frames == 1  # the map3d stage's pose


def test_mesh_stage_is_opt_in_and_needs_depth():
    rgbd = SourceInfo("scan", "rgbd", 30.0, 160, 120, has_depth=True)
    assert "mesh" not in [s.name for s in build_stages(PipelineOptions(memory=False), rgbd)]
    names = [s.name for s in build_stages(PipelineOptions(memory=False, mesh=True), rgbd)]
    assert names.index("mesh") > names.index("map3d")
    with pytest.raises(InputError, match="needs depth"):
        build_stages(PipelineOptions(memory=False, mesh=True), dataclasses.replace(rgbd, has_depth=False))


def test_run_exports_the_mesh_and_keeps_an_existing_file_without_overwrite(room, tmp_path, capsys):
    out, summary = tmp_path / "mesh.ply", tmp_path / "summary.json"
    out.write_text("keep me\n")
    args = ["run", "--source", str(room), "--export-mesh", str(out), "--summary-json", str(summary), "-q"]
    assert main(args) == 2
    assert "--overwrite" in capsys.readouterr().err and out.read_text() == "keep me\n"
    assert main(args + ["--overwrite"]) == 0
    mesh = o3d.io.read_triangle_mesh(str(out))
    s = json.loads(summary.read_text())
    assert len(mesh.triangles) == s["mesh"]["triangles"] > 1000 and mesh.has_vertex_colors()
    assert s["stages"]["mesh"]["mean_ms"] > 0 and str(out) in s["outputs"]
    assert not list(tmp_path.glob(".*.part"))


def test_run_meshes_with_odometry_poses_when_the_folder_has_none(esam_folder, tmp_path):
    folder = esam_folder(6)
    shutil.rmtree(folder / "pose")
    out = tmp_path / "odometry.ply"
    assert main(["run", "--source", str(folder), "--export-mesh", str(out), "--segmenter", "none",
                 "--tracker", "none", "--no-memory", "-q"]) == 0
    assert len(o3d.io.read_triangle_mesh(str(out)).triangles) > 1000
