"""RGB-D folder sources: 7-Scenes on the real frames, ESAM and TUM layouts rebuilt from them, bad inputs."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from perception.sources import RGBDFolderSource, open_source
from perception.sources.rgbd_layouts import associate, detect_layout
from perception.types import InputError

N = 12  # frames copied into the layouts built by these tests


@pytest.fixture(scope="module")
def scenes(shared_data: Path) -> Path:
    return shared_data / "rgbd" / "7scenes-a"


def _raw_depth(scenes: Path, i: int) -> np.ndarray:
    return cv2.imread(str(scenes / f"frame-{i:06d}.depth.png"), cv2.IMREAD_UNCHANGED)


def _pose(scenes: Path, i: int) -> np.ndarray:
    return np.loadtxt(scenes / f"frame-{i:06d}.pose.txt")


def make_esam(scenes: Path, root: Path, n: int = N) -> Path:
    """ESAM layout with frames 0..n-1 named 0.jpg..; 65535 depth set to 0 (ESAM has no such marker)."""
    for sub in ("color", "depth", "pose"):
        (root / sub).mkdir(parents=True)
    for i in range(n):
        shutil.copy(scenes / f"frame-{i:06d}.color.jpg", root / "color" / f"{i}.jpg")
        raw = _raw_depth(scenes, i)
        cv2.imwrite(str(root / "depth" / f"{i}.png"), np.where(raw == 65535, 0, raw).astype(np.uint16))
        shutil.copy(scenes / f"frame-{i:06d}.pose.txt", root / "pose" / f"{i}.txt")
    k = np.eye(4)
    k[:3, :3] = np.loadtxt(scenes / "camera-intrinsics.txt")
    np.savetxt(root / "intrinsic.txt", k)
    return root


def test_7scenes_depth_scale_poses_and_backprojection(scenes: Path) -> None:
    src = RGBDFolderSource(scenes)
    assert (src.layout, len(src), src.info.has_depth, src.info.kind) == ("7scenes", 60, True, "rgbd-7scenes")
    k = src.intrinsics
    assert (k.fx, k.fy, k.cx, k.cy, k.width, k.height) == (585, 585, 320, 240, 640, 480)
    src.seek(7)
    p = src.read()
    assert p.index == 7 and p.depth.dtype == np.float32 and p.depth.shape == (480, 640)
    raw = _raw_depth(scenes, 7)
    valid = (raw > 0) & (raw < 65535)
    np.testing.assert_allclose(p.depth[valid], raw[valid] / 1000.0, rtol=1e-6)
    assert not p.depth[~valid].any()
    np.testing.assert_allclose(p.pose, _pose(scenes, 7))
    # one pixel back-projected by hand: X_cam = ((u-cx)d/fx, (v-cy)d/fy, d), world = pose @ X_cam
    u, v = 410, 300
    d = raw[v, u] / 1000.0
    assert d > 0
    hand = _pose(scenes, 7) @ np.array([(u - 320) * d / 585, (v - 240) * d / 585, d, 1.0])
    x_cam = np.linalg.inv(p.intrinsics.matrix) @ np.array([u, v, 1.0]) * p.depth[v, u]
    np.testing.assert_allclose((p.pose @ np.append(x_cam, 1.0))[:3], hand[:3], atol=1e-6)


def test_7scenes_invalid_65535_becomes_zero(scenes: Path) -> None:
    src = RGBDFolderSource(scenes)
    for i in range(60):
        raw = _raw_depth(scenes, i)
        if (raw == 65535).any():
            src.seek(i)
            assert not src.read().depth[raw == 65535].any()
            return
    pytest.fail("expected some 65535 depth pixels in the 7-Scenes frames")


def test_7scenes_frames_agree_in_world(scenes: Path) -> None:
    """Points seen in frame 0, moved to frame 59 by the poses, land on frame 59's depth (scale and convention)."""
    src = RGBDFolderSource(scenes)
    a, b = src.read(), (src.seek(59), src.read())[1]
    k = a.intrinsics.matrix
    v, u = np.nonzero(a.depth > 0)
    u, v = u[::50], v[::50]
    d = a.depth[v, u]
    world = a.pose[:3, :3] @ (np.linalg.inv(k) @ np.stack([u * d, v * d, d])) + a.pose[:3, 3:]
    t = np.linalg.inv(b.pose)
    cam = t[:3, :3] @ world + t[:3, 3:]
    proj = k @ cam
    ub, vb = np.round(proj[:2] / proj[2]).astype(int)
    ok = (ub >= 0) & (ub < 640) & (vb >= 0) & (vb < 480) & (cam[2] > 0)
    seen = b.depth[vb[ok], ub[ok]]
    err = np.abs(seen - cam[2, ok])[seen > 0]
    assert len(err) > 1000 and np.median(err) < 0.03  # wrong convention or scale gives > 0.3 m


def test_7scenes_default_intrinsics_and_png_colour(scenes: Path, tmp_path: Path) -> None:
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"frame-{i:06d}.color.png"), cv2.imread(str(scenes / f"frame-{i:06d}.color.jpg")))
        shutil.copy(scenes / f"frame-{i:06d}.depth.png", tmp_path)
    src = RGBDFolderSource(tmp_path)
    k = src.intrinsics
    assert (k.fx, k.fy, k.cx, k.cy) == (585, 585, 320, 240)
    p = src.read()
    assert p.pose is None and p.depth is not None


def test_esam_layout_matches_7scenes(scenes: Path, tmp_path: Path) -> None:
    esam = make_esam(scenes, tmp_path / "scene0000_00")
    assert detect_layout(esam) == "esam"
    src = open_source(str(esam))
    ref = RGBDFolderSource(scenes)
    assert isinstance(src, RGBDFolderSource) and src.layout == "esam" and len(src) == N
    assert [c.stem for c in src.index.colors] == [str(i) for i in range(N)]  # numeric, not 0,1,10,11,2
    assert src.intrinsics == ref.intrinsics
    src.seek(10)
    ref.seek(10)
    p, q = src.read(), ref.read()
    assert p.index == 10 and p.timestamp == pytest.approx(10 / 30)
    assert np.array_equal(p.image, q.image) and np.array_equal(p.depth, q.depth)
    np.testing.assert_array_equal(p.pose, q.pose)


def test_esam_all_zero_depth_is_delivered(scenes: Path, tmp_path: Path) -> None:
    esam = make_esam(scenes, tmp_path / "s", n=2)
    cv2.imwrite(str(esam / "depth" / "1.png"), np.zeros((480, 640), np.uint16))
    src = RGBDFolderSource(esam)
    src.seek(1)
    p = src.read()
    assert p.depth.shape == (480, 640) and not p.depth.any()


def test_esam_missing_depth_is_reported_at_open(scenes: Path, tmp_path: Path) -> None:
    esam = make_esam(scenes, tmp_path / "s", n=4)
    (esam / "depth" / "2.png").unlink()
    with pytest.raises(InputError, match=r"depth frame 2 is missing.*depth/2\.png"):
        RGBDFolderSource(esam)


def test_esam_depth_size_mismatch_is_reported_on_read(scenes: Path, tmp_path: Path) -> None:
    esam = make_esam(scenes, tmp_path / "s", n=3)
    cv2.imwrite(str(esam / "depth" / "1.png"), np.full((240, 320), 1000, np.uint16))
    src = RGBDFolderSource(esam)
    assert src.read().index == 0
    with pytest.raises(InputError, match=r"depth image .*1\.png is 320x240 but colour 1\.jpg is 640x480"):
        src.read()


def test_esam_nan_pose_names_the_file(scenes: Path, tmp_path: Path) -> None:
    esam = make_esam(scenes, tmp_path / "s", n=3)
    pose = _pose(scenes, 1)
    pose[0, 3] = np.nan
    np.savetxt(esam / "pose" / "1.txt", pose)
    with pytest.raises(InputError, match=r"pose file .*1\.txt has non-finite values"):
        RGBDFolderSource(esam)


def test_esam_invalid_poses_can_be_skipped(scenes: Path, tmp_path: Path) -> None:
    esam = make_esam(scenes, tmp_path / "s", n=4)
    (esam / "pose" / "2.txt").write_text("\n".join(["-inf -inf -inf -inf"] * 4) + "\n")  # ScanNet's lost tracking
    with pytest.raises(InputError, match=r"pose file .*2\.txt has non-finite values"):
        RGBDFolderSource(esam)
    src = RGBDFolderSource(esam, skip_invalid_poses=True)
    packets = list(src)
    assert len(src) == 3 and [p.index for p in packets] == [0, 1, 2]
    assert [p.timestamp for p in packets] == pytest.approx([0, 1 / 30, 3 / 30])  # the gap stays visible in time
    np.testing.assert_array_equal(packets[2].pose, _pose(scenes, 3))


def test_esam_zero_focal_length_is_rejected(scenes: Path, tmp_path: Path) -> None:
    esam = make_esam(scenes, tmp_path / "s", n=2)
    np.savetxt(esam / "intrinsic.txt", np.array([[0, 0, 320], [0, 585, 240], [0, 0, 1]], float))
    with pytest.raises(InputError, match=r"intrinsic\.txt.*fx=0"):
        RGBDFolderSource(esam)
    with pytest.raises(InputError, match="fx > 0"):
        RGBDFolderSource(esam, intrinsics=(0.0, 585.0, 320.0, 240.0))
    assert RGBDFolderSource(esam, intrinsics=(500.0, 500.0, 320.0, 240.0)).intrinsics.fx == 500


def make_tum(scenes: Path, root: Path, n: int = N) -> tuple[Path, np.ndarray]:
    """TUM layout from 7-Scenes frames: depth x5 (scale 5000); frame 3 has no depth, the last one's is 0.03 s late."""
    (root / "rgb").mkdir(parents=True)
    (root / "depth").mkdir()
    t = 1305031102.175304 + np.arange(n) / 30.0
    rgb, dep, gt = ["# color images", "# timestamp filename"], ["# depth maps"], ["# timestamp tx ty tz qx qy qz qw"]
    for i in range(n):
        shutil.copy(scenes / f"frame-{i:06d}.color.jpg", root / "rgb" / f"{t[i]:.6f}.jpg")
        rgb.append(f"{t[i]:.6f} rgb/{t[i]:.6f}.jpg")
        if i != 3:
            td = t[i] + (0.03 if i == n - 1 else 0.004)
            raw = _raw_depth(scenes, i).astype(np.uint32)
            cv2.imwrite(str(root / "depth" / f"{td:.6f}.png"), np.where(raw == 65535, 0, raw * 5).astype(np.uint16))
            dep.append(f"{td:.6f} depth/{td:.6f}.png")
        pose = _pose(scenes, i)
        q = Rotation.from_matrix(pose[:3, :3]).as_quat()
        gt.append(f"{t[i] + 0.001:.4f} " + " ".join(f"{x:.7f}" for x in (*pose[:3, 3], *q)))
    for name, lines in (("rgb.txt", rgb), ("depth.txt", dep), ("groundtruth.txt", gt)):
        (root / name).write_text("\n".join(lines) + "\n")
    return root, t


def test_tum_layout_associates_and_converts(scenes: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tum, t = make_tum(scenes, tmp_path / "tum_room")
    assert detect_layout(tum) == "tum"
    with caplog.at_level(logging.WARNING):
        src = RGBDFolderSource(tum)
    assert "fr1 default" in caplog.text
    k = src.intrinsics
    assert (src.layout, (k.fx, k.fy, k.cx, k.cy)) == ("tum", (517.3, 516.5, 318.6, 255.3))
    assert len(src) == N - 2 and src.fps == pytest.approx(30.0, rel=1e-3)
    packets = list(src)
    kept = [i for i in range(N) if i not in (3, N - 1)]
    assert [p.timestamp for p in packets] == pytest.approx(list(t[kept] - t[0]), abs=2e-6)  # written with 6 decimals
    for p, i in zip(packets, kept):
        raw = _raw_depth(scenes, i)
        valid = raw < 65535
        np.testing.assert_allclose(p.depth[valid], raw[valid] / 1000.0, atol=1e-6)
        np.testing.assert_allclose(p.pose, _pose(scenes, i), atol=1e-3)  # 7-Scenes rotations are orthonormal to ~2e-4
    assert RGBDFolderSource(tum, intrinsics=(525.0, 525.0, 319.5, 239.5)).intrinsics.fx == 525.0


def test_tum_intrinsics_from_freiburg_folder_name(scenes: Path, tmp_path: Path) -> None:
    tum, _ = make_tum(scenes, tmp_path / "rgbd_dataset_freiburg3_long_office_household", n=2)
    k = RGBDFolderSource(tum).intrinsics
    assert (k.fx, k.fy, k.cx, k.cy) == (535.4, 539.2, 320.1, 247.6)


def test_tum_nonfinite_groundtruth_names_the_file(scenes: Path, tmp_path: Path) -> None:
    tum, _ = make_tum(scenes, tmp_path / "tum", n=3)
    gt = tum / "groundtruth.txt"
    lines = gt.read_text().splitlines()
    fields = lines[2].split()
    lines[2] = " ".join(fields[:3] + ["nan"] + fields[4:])  # tz of frame 1
    gt.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"groundtruth\.txt: non-finite pose"):
        RGBDFolderSource(tum)
    poses = [p.pose for p in RGBDFolderSource(tum, skip_invalid_poses=True)]
    assert poses[0] is not None and poses[1] is None  # the bad row is ignored; no other row is within 0.02 s


def test_associate_pairs_closest_first() -> None:
    a = np.array([0.0, 0.033, 0.066, 0.1])
    b = np.array([0.01, 0.03, 0.035, 0.2])
    assert associate(a, b) == [(0, 0), (1, 2)]  # 0.066 is 0.031 from 0.035: over the 0.02 s limit
    assert associate(np.array([0.0, 0.012]), np.array([0.011])) == [(1, 0)]  # the closer pair wins, not the earlier


def test_rgbd_not_a_layout(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not an RGB-D folder"):
        RGBDFolderSource(tmp_path)
    with pytest.raises(InputError, match="not found"):
        RGBDFolderSource(tmp_path / "nope")
