"""The three RGB-D folder layouts we read, each parsed into one ``RGBDIndex``.

- ``esam`` (ESAM / ScanNet export): ``color/N.jpg``, ``depth/N.png`` (mm), ``pose/N.txt``, ``intrinsic.txt``.
- ``tum`` (TUM RGB-D): ``rgb.txt``, ``depth.txt``, ``groundtruth.txt``; depth / 5000; frames associated by
  nearest timestamp within 0.02 s exactly as TUM's associate.py; colour frames without depth are dropped,
  frames without ground truth within the tolerance get ``pose=None``.
- ``7scenes``: ``frame-XXXXXX.color.(jpg|png)``, ``.depth.png`` (mm, 65535 also invalid), ``.pose.txt``.

Every file a frame needs is checked when the folder is opened: a missing depth or pose file, a
non-finite pose or bad intrinsics raise InputError naming the file before any frame is delivered.
With ``skip_invalid_poses`` (ScanNet exports mark lost tracking with ``-inf`` poses) frames whose pose
file is invalid are dropped instead (TUM: invalid ground-truth rows are ignored), with a warning.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from perception.sources.images import IMAGE_EXTENSIONS, natural_key
from perception.types import InputError, validate_pose

log = logging.getLogger(__name__)

Pinhole = tuple[float, float, float, float]

DEFAULT_FPS = 30.0  # Kinect-class sensors; ESAM and 7-Scenes folders store no rate
TUM_MAX_DT = 0.02
TUM_DEPTH_SCALE = 5000.0
QUAT_NORM_TOLERANCE = 0.01  # TUM stores unit quaternions to 4 decimals
# Calibrated colour intrinsics of the TUM RGB-D cameras (fx, fy, cx, cy), from the dataset's documentation.
TUM_INTRINSICS = {"fr1": (517.3, 516.5, 318.6, 255.3), "fr2": (520.9, 521.0, 325.1, 249.7),
                  "fr3": (535.4, 539.2, 320.1, 247.6)}
SEVEN_SCENES_INTRINSICS = (585.0, 585.0, 320.0, 240.0)
MIN_FOCAL, MAX_FOCAL = 1.0, 1e5  # pixels: outside this no real camera, only a unit mix-up (metres, millimetres)


@dataclass
class RGBDIndex:
    """Per-frame files and poses of one RGB-D sequence, plus its camera model and depth encoding.

    ``intrinsics`` is (fx, fy, cx, cy) in colour pixels; depth in metres = raw / ``depth_scale``, with
    raw values in ``invalid_depth`` mapped to 0; ``timestamps`` are seconds from the first frame.
    """

    layout: str
    colors: list[Path]
    depths: list[Path]
    poses: list[np.ndarray | None]
    timestamps: np.ndarray
    fps: float
    intrinsics: Pinhole
    depth_scale: float
    invalid_depth: tuple[int, ...] = (0,)


def detect_layout(folder: Path) -> str | None:
    """'esam', 'tum', '7scenes', or None if ``folder`` is none of them."""
    if (folder / "rgb.txt").is_file() and (folder / "depth.txt").is_file():
        return "tum"
    if (folder / "color").is_dir() and (folder / "depth").is_dir():
        return "esam"
    if next(folder.glob("frame-*.color.*"), None) is not None:
        return "7scenes"
    return None


def _load_matrix(path: Path, what: str) -> np.ndarray:
    """A whitespace-separated numeric matrix; InputError naming the file if it is unreadable or empty."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # NumPy's "input contained no data": said below, once
            matrix = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {what} file {path}: {exc}") from None
    if matrix.size == 0:
        raise InputError(f"{what} file {path} is empty")
    return matrix


def load_pose_file(path: Path) -> np.ndarray:
    """A 4x4 camera-to-world matrix from a whitespace-separated text file; InputError naming the file."""
    return validate_pose(_load_matrix(path, "pose"), f"pose file {path}")


def load_intrinsics_file(path: Path) -> Pinhole:
    """(fx, fy, cx, cy) from a 3x3 or 4x4 camera matrix file; InputError naming the file if invalid."""
    k = _load_matrix(path, "intrinsics")
    if k.shape not in ((3, 3), (4, 4)):
        raise InputError(f"intrinsics file {path} must hold a 3x3 or 4x4 matrix, got shape {k.shape}")
    fx, fy, cx, cy = float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2])
    if not (np.isfinite([fx, fy, cx, cy]).all() and MIN_FOCAL <= fx <= MAX_FOCAL and MIN_FOCAL <= fy <= MAX_FOCAL
            and abs(cx) <= MAX_FOCAL and abs(cy) <= MAX_FOCAL):
        raise InputError(f"intrinsics file {path}: need finite {MIN_FOCAL:g} <= fx, fy <= {MAX_FOCAL:g} pixels and a "
                         f"principal point within {MAX_FOCAL:g} pixels, got fx={fx}, fy={fy}, cx={cx}, cy={cy}")
    return fx, fy, cx, cy


def _load_poses(files: list[Path], skip_invalid: bool) -> list[np.ndarray | None]:
    """Each pose file loaded and validated; an invalid one raises, or becomes None with ``skip_invalid``."""
    poses: list[np.ndarray | None] = []
    for f in files:
        try:
            poses.append(load_pose_file(f))
        except InputError:
            if not skip_invalid:
                raise
            poses.append(None)
    return poses


def _drop_unposed(index: RGBDIndex, folder: Path) -> RGBDIndex:
    """The index without frames whose pose is None; InputError if none is left."""
    keep = [i for i, p in enumerate(index.poses) if p is not None]
    if not keep:
        raise InputError(f"{folder}: no frame has a valid pose")
    if len(keep) < len(index.poses):
        log.warning("%s: skipping %d of %d frames with invalid poses", folder.name, len(index.poses) - len(keep),
                    len(index.poses))
    index.colors = [index.colors[i] for i in keep]
    index.depths = [index.depths[i] for i in keep]
    index.poses = [index.poses[i] for i in keep]
    index.timestamps = index.timestamps[keep]
    return index


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise InputError(f"{what} is missing: expected {path}")
    return path


def parse_esam(folder: Path, fps: float | None, intrinsics: Pinhole | None, skip_invalid_poses: bool = False
               ) -> RGBDIndex:
    """ESAM / ScanNet export: numeric file names N shared by color/, depth/ and (optional) pose/."""
    colors = sorted((p for p in (folder / "color").iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS), key=natural_key)
    if not colors:
        raise InputError(f"no colour images in {folder / 'color'}")
    depths = [_require(folder / "depth" / f"{c.stem}.png", f"depth frame {c.stem}") for c in colors]
    pose_dir = folder / "pose"
    has_poses = pose_dir.is_dir()
    poses = (_load_poses([_require(pose_dir / f"{c.stem}.txt", f"pose of frame {c.stem}") for c in colors],
                         skip_invalid_poses) if has_poses else [None] * len(colors))
    if intrinsics is None:
        intrinsics = load_intrinsics_file(_require(folder / "intrinsic.txt", "camera intrinsics file intrinsic.txt"))
    rate = fps or DEFAULT_FPS
    index = RGBDIndex("esam", colors, depths, poses, np.arange(len(colors)) / rate, rate, intrinsics, 1000.0)
    return _drop_unposed(index, folder) if has_poses and skip_invalid_poses else index


def parse_7scenes(folder: Path, fps: float | None, intrinsics: Pinhole | None, skip_invalid_poses: bool = False
                  ) -> RGBDIndex:
    """7-Scenes: ``frame-XXXXXX.{color.jpg|color.png, depth.png, pose.txt}``; 0 and 65535 are invalid depth."""
    colors = sorted((p for p in folder.glob("frame-*.color.*") if p.suffix.lower() in IMAGE_EXTENSIONS), key=natural_key)
    if not colors:
        raise InputError(f"no frame-*.color.* images in {folder}")
    stems = [c.name.split(".color.")[0] for c in colors]
    depths = [_require(folder / f"{s}.depth.png", f"depth frame {s}") for s in stems]
    has_poses = next(folder.glob("frame-*.pose.txt"), None) is not None
    poses = (_load_poses([_require(folder / f"{s}.pose.txt", f"pose of frame {s}") for s in stems],
                         skip_invalid_poses) if has_poses else [None] * len(colors))
    if intrinsics is None:
        k_file = folder / "camera-intrinsics.txt"
        intrinsics = load_intrinsics_file(k_file) if k_file.is_file() else SEVEN_SCENES_INTRINSICS
    rate = fps or DEFAULT_FPS
    index = RGBDIndex("7scenes", colors, depths, poses, np.arange(len(colors)) / rate, rate, intrinsics, 1000.0,
                      (0, 65535))
    return _drop_unposed(index, folder) if has_poses and skip_invalid_poses else index


def read_tum_list(path: Path, columns: int) -> tuple[np.ndarray, list[list[str]]]:
    """Timestamps and the next ``columns - 1`` fields of each line of a TUM list file (``#`` comments skipped)."""
    stamps, rows = [], []
    if not path.is_file():
        raise InputError(f"TUM list file is missing: {path}")
    for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) < columns:
            raise InputError(f"{path}:{lineno}: expected {columns} fields, found {len(parts)}")
        try:
            stamp = float(parts[0])
        except ValueError:
            raise InputError(f"{path}:{lineno}: timestamp '{parts[0][:40]}' is not a number") from None
        if not math.isfinite(stamp):
            raise InputError(f"{path}:{lineno}: timestamp '{parts[0][:40]}' is not finite")
        stamps.append(stamp)
        rows.append(parts[1:columns])
    return np.asarray(stamps, dtype=np.float64), rows


def associate(a: np.ndarray, b: np.ndarray, max_dt: float = TUM_MAX_DT) -> list[tuple[int, int]]:
    """TUM associate.py: greedily pair the closest timestamps (|a-b| < max_dt), each used once; sorted by a."""
    order_b = np.argsort(b)
    sb = b[order_b]
    lo = np.searchsorted(sb, a - max_dt, side="left")
    hi = np.searchsorted(sb, a + max_dt, side="right")
    cand = sorted((abs(a[i] - sb[j]), i, int(order_b[j])) for i in range(len(a)) for j in range(lo[i], hi[i])
                  if abs(a[i] - sb[j]) < max_dt)
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for _, i, j in cand:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def tum_default_intrinsics(folder: Path) -> Pinhole:
    """The freiburg camera named in the folder name (rgbd_dataset_freiburgN_...), else fr1 with a warning."""
    m = re.search(r"freiburg([123])", folder.resolve().name)
    if m:
        log.info("%s: using TUM fr%s intrinsics (from the folder name)", folder.name, m.group(1))
        return TUM_INTRINSICS[f"fr{m.group(1)}"]
    log.warning("%s: TUM intrinsics are not stored in the folder; using the fr1 default %s (pass intrinsics=...)",
                folder.name, TUM_INTRINSICS["fr1"])
    return TUM_INTRINSICS["fr1"]


def _tum_poses(gt_file: Path, stamps: np.ndarray, skip_invalid: bool) -> list[np.ndarray | None]:
    """Ground-truth camera-to-world poses (tx ty tz qx qy qz qw) nearest in time to ``stamps``, else None."""
    gt_t, gt_rows = read_tum_list(gt_file, 8)
    try:
        gt = np.asarray(gt_rows, dtype=np.float64).reshape(-1, 7)
    except ValueError:
        raise InputError(f"{gt_file}: non-numeric pose values") from None
    bad = ~np.isfinite(gt).all(axis=1)
    if bad.any() and not skip_invalid:
        raise InputError(f"{gt_file}: non-finite pose at t={gt_t[np.argmax(bad)]:.6f}")
    norms = np.linalg.norm(np.where(np.isfinite(gt[:, 3:7]), gt[:, 3:7], 0.0), axis=1)
    zero = ~bad & (np.abs(norms - 1.0) > QUAT_NORM_TOLERANCE)
    if zero.any() and not skip_invalid:
        raise InputError(f"{gt_file}: quaternion qx qy qz qw at t={gt_t[np.argmax(zero)]:.6f} has norm "
                         f"{norms[np.argmax(zero)]:.3g}, not 1")
    bad |= zero
    gt_t, gt = gt_t[~bad], gt[~bad]
    poses: list[np.ndarray | None] = [None] * len(stamps)
    for k, g in associate(stamps, gt_t):
        pose = np.eye(4)
        pose[:3, :3] = Rotation.from_quat(gt[g, 3:7]).as_matrix()
        pose[:3, 3] = gt[g, :3]
        poses[k] = pose
    missing = sum(p is None for p in poses)
    if missing:
        log.warning("%s: %d frames have no ground-truth pose within %s s (delivered with pose=None)",
                    gt_file.parent.name, missing, TUM_MAX_DT)
    return poses


def parse_tum(folder: Path, fps: float | None, intrinsics: Pinhole | None, skip_invalid_poses: bool = False
              ) -> RGBDIndex:
    """TUM RGB-D: colour/depth associated by timestamp; fps from the timestamps unless given."""
    rgb_t, rgb_rows = read_tum_list(folder / "rgb.txt", 2)
    dep_t, dep_rows = read_tum_list(folder / "depth.txt", 2)
    pairs = associate(rgb_t, dep_t)
    if not pairs:
        raise InputError(f"{folder}: no colour frame in rgb.txt has a depth frame within {TUM_MAX_DT} s")
    if len(pairs) < len(rgb_t):
        log.warning("%s: %d of %d colour frames have no depth within %s s and are skipped",
                    folder.name, len(rgb_t) - len(pairs), len(rgb_t), TUM_MAX_DT)
    colors = [_require(folder / rgb_rows[i][0], f"colour frame at t={rgb_t[i]:.6f}") for i, _ in pairs]
    depths = [_require(folder / dep_rows[j][0], f"depth frame at t={dep_t[j]:.6f}") for _, j in pairs]
    stamps = rgb_t[[i for i, _ in pairs]]
    gt_file = folder / "groundtruth.txt"
    poses = _tum_poses(gt_file, stamps, skip_invalid_poses) if gt_file.is_file() else [None] * len(pairs)
    if len(stamps) > 1 and np.any(np.diff(stamps) <= 0):
        raise InputError(f"{folder / 'rgb.txt'}: timestamps must increase (a repeated or earlier time was found)")
    rate = fps or (1.0 / float(np.median(np.diff(stamps))) if len(stamps) > 1 else DEFAULT_FPS)
    if not 0 < rate <= 1000:
        raise InputError(f"{folder / 'rgb.txt'}: timestamps give {rate:g} frames per second; expected up to 1000")
    return RGBDIndex("tum", colors, depths, poses, stamps - stamps[0], rate,
                     intrinsics or tum_default_intrinsics(folder), TUM_DEPTH_SCALE)


PARSERS = {"esam": parse_esam, "tum": parse_tum, "7scenes": parse_7scenes}
