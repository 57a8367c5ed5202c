"""Ground truth of a synthetic RGB-D scene folder: camera, poses, instance maps and exact 3D instances.

Folder layout (ESAM / ScanNet export): ``color/N.jpg``, ``depth/N.png`` (uint16 mm, 0 invalid),
``pose/N.txt`` (4x4 camera-to-world), ``intrinsic.txt`` (3x3 K), plus ``instance/N.png`` (uint16
per-pixel instance id) and ``gt_instances.json``. N is the 0-based frame number without padding.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from perception.synthetic.geometry import RoomInstance
from perception.types import InputError, Intrinsics

GT_FILE = "gt_instances.json"
DEPTH_SCALE = 1000.0
INSTANCE_POLICY = ("every surface is an instance: ids 1-6 are structure (1 floor, 2 ceiling, 3-6 walls, "
                   "'structure': true), objects have ids >= 7; 0 marks pixels with no surface")


def instance_record(inst: RoomInstance, n_frames: int) -> dict:
    """JSON record of one instance (boxes are world AABBs; poses are object-to-world)."""
    lo, hi = inst.world_box(0)
    rec = {"id": inst.id, "name": inst.name, "structure": inst.structure, "moving": inst.moving,
           "color": [int(round(c * 255)) for c in inst.color], "shape": inst.shape,
           "size": [round(float(s), 6) for s in inst.size], "box": [lo.tolist(), hi.tolist()],
           "pose": inst.pose(0).tolist(), "texture": inst.texture.tolist()}
    if inst.patches is not None:
        rec["patches"] = inst.patches.tolist()
    if inst.moving:
        rec["poses"] = [p.tolist() for p in inst.poses]
        rec["boxes"] = [[b.tolist() for b in inst.world_box(f)] for f in range(n_frames)]
    return rec


def _instance_from_record(rec: dict) -> RoomInstance:
    poses = np.asarray(rec["poses"] if rec.get("moving") else [rec["pose"]], dtype=np.float64)
    return RoomInstance(int(rec["id"]), str(rec["name"]), rec["shape"], np.asarray(rec["size"], dtype=np.float64),
                        np.asarray(rec["color"], dtype=np.float64) / 255.0, poses,
                        np.asarray(rec["texture"], dtype=np.float64), bool(rec.get("structure", False)),
                        np.asarray(rec["patches"], dtype=np.float64) if "patches" in rec else None)


def read_matrix(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """A whitespace-separated matrix file of at least ``shape`` (top-left block returned)."""
    try:
        m = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read matrix file {path}: {exc}") from None
    if m.shape[0] < shape[0] or m.shape[1] < shape[1]:
        raise InputError(f"{path} must hold a {shape[0]}x{shape[1]} matrix, found {m.shape[0]}x{m.shape[1]}")
    return m[: shape[0], : shape[1]]


@dataclass
class RoomGroundTruth:
    """Exact ground truth of one synthetic RGB-D scene folder, loaded lazily per frame."""

    root: Path
    intrinsics: Intrinsics
    poses: np.ndarray
    instances: list[RoomInstance]
    fps: float
    seed: int

    @classmethod
    def load(cls, root: str | os.PathLike[str]) -> RoomGroundTruth:
        """Read ``gt_instances.json``, ``intrinsic.txt`` and ``pose/*.txt`` of a scene folder."""
        root = Path(root)
        gt_path = root / GT_FILE
        if not gt_path.is_file():
            raise InputError(f"{root} is not a synthetic RGB-D scene (no {GT_FILE})")
        meta = json.loads(gt_path.read_text(encoding="utf-8"))
        n = int(meta["n_frames"])
        k = read_matrix(root / "intrinsic.txt", (3, 3))
        poses = np.stack([read_matrix(root / "pose" / f"{i}.txt", (4, 4)) for i in range(n)])
        return cls(root, Intrinsics.from_matrix(k, int(meta["width"]), int(meta["height"])), poses,
                   [_instance_from_record(r) for r in meta["instances"]], float(meta["fps"]), int(meta["seed"]))

    def __len__(self) -> int:
        return len(self.poses)

    @property
    def ids(self) -> np.ndarray:
        """All instance ids (structure included)."""
        return np.array([i.id for i in self.instances], dtype=np.int64)

    @property
    def object_ids(self) -> np.ndarray:
        """Ids of the non-structure instances (furniture, props, pillars)."""
        return np.array([i.id for i in self.instances if not i.structure], dtype=np.int64)

    def instance(self, instance_id: int) -> RoomInstance:
        """The instance with ``instance_id``."""
        for inst in self.instances:
            if inst.id == instance_id:
                return inst
        raise KeyError(f"no instance {instance_id} in {self.root}")

    def instance_map(self, frame: int) -> np.ndarray:
        """HxW uint16 instance ids of 0-based ``frame``."""
        return self._read_png(self.root / "instance" / f"{frame}.png")

    def depth(self, frame: int) -> np.ndarray:
        """HxW float32 depth in metres (0 = invalid) of 0-based ``frame``, as stored on disk."""
        return self._read_png(self.root / "depth" / f"{frame}.png").astype(np.float32) / DEPTH_SCALE

    def back_project(self, frame: int, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """World points (Nx3) of the valid depth pixels of ``frame`` (every ``stride``-th pixel) and their ids."""
        depth = self.depth(frame)[::stride, ::stride]
        ids = self.instance_map(frame)[::stride, ::stride]
        v, u = np.nonzero(depth > 0)
        z = depth[v, u].astype(np.float64)
        k = self.intrinsics
        cam = k.backproject(u * stride, v * stride, z)
        pose = self.poses[frame]
        return (pose[:3, :3] @ cam + pose[:3, 3:4]).T, ids[v, u].astype(np.int64)

    def label_points(self, points: np.ndarray, frame: int = -1, tol: float = 0.03) -> np.ndarray:
        """GT instance id of each world point (Nx3): nearest instance surface at ``frame``, 0 if none within ``tol``.

        Labels any point set, e.g. a reconstructed map, for class-agnostic 3D instance evaluation; moving
        instances are taken at their pose of ``frame`` (default: the last frame).
        """
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        frame = frame % len(self)
        dist = np.stack([np.abs(inst.signed_distance(points, frame)) for inst in self.instances])
        nearest = dist.argmin(axis=0)
        return np.where(dist[nearest, np.arange(len(points))] <= tol, self.ids[nearest], 0)

    @staticmethod
    def _read_png(path: Path) -> np.ndarray:
        img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise InputError(f"cannot read {path}")
        return img
