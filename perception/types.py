"""The one currency between stages: frame packets in, frame results out.

Arrays are validated once at construction so every stage can trust shapes and dtypes.
Conventions: images are HxWx3 uint8 BGR, depth is HxW float32 metres (0 = invalid),
boxes are Nx4 float XYXY pixels, poses are 4x4 float64 camera-to-world.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class InputError(ValueError):
    """Bad user input (path, file, format, values): reported as one clear line, never a traceback."""


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise InputError(msg)


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics for an image of ``width`` x ``height`` pixels."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    def __post_init__(self) -> None:
        vals = np.array([self.fx, self.fy, self.cx, self.cy], dtype=float)
        _check(bool(np.all(np.isfinite(vals))), f"intrinsics must be finite, got {vals.tolist()}")
        _check(self.fx > 0 and self.fy > 0, f"intrinsics need fx > 0 and fy > 0, got fx={self.fx}, fy={self.fy}")
        _check(self.width > 0 and self.height > 0, f"intrinsics need a positive image size, got {self.width}x{self.height}")

    @property
    def matrix(self) -> np.ndarray:
        """3x3 camera matrix K."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @classmethod
    def from_matrix(cls, k: np.ndarray, width: int, height: int) -> "Intrinsics":
        """Build from a 3x3 (or larger, top-left used) camera matrix."""
        k = np.asarray(k, dtype=float)
        _check(k.ndim == 2 and k.shape[0] >= 3 and k.shape[1] >= 3, f"camera matrix must be at least 3x3, got shape {k.shape}")
        return cls(float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2]), int(width), int(height))

    def scaled(self, width: int, height: int) -> "Intrinsics":
        """The same camera at another image resolution."""
        sx, sy = width / self.width, height / self.height
        return Intrinsics(self.fx * sx, self.fy * sy, self.cx * sx, self.cy * sy, width, height)


def validate_pose(pose: np.ndarray, what: str = "pose") -> np.ndarray:
    """Return ``pose`` as a 4x4 float64 rigid transform or raise InputError."""
    pose = np.asarray(pose, dtype=np.float64)
    _check(pose.shape == (4, 4), f"{what} must be 4x4, got shape {pose.shape}")
    _check(bool(np.all(np.isfinite(pose))), f"{what} has non-finite values")
    _check(np.allclose(pose[3], [0, 0, 0, 1], atol=1e-6), f"{what} last row must be [0 0 0 1], got {pose[3].tolist()}")
    r = pose[:3, :3]
    _check(np.allclose(r @ r.T, np.eye(3), atol=1e-2), f"{what} rotation is not orthonormal")
    return pose


@dataclass(frozen=True)
class SourceInfo:
    """What a frame source is: its name, kind, rate, size and length (None when unknown or live)."""

    name: str
    kind: str
    fps: float
    width: int
    height: int
    length: int | None = None
    live: bool = False
    has_depth: bool = False


@dataclass
class FramePacket:
    """One frame as it leaves a source."""

    index: int
    timestamp: float
    image: np.ndarray
    source: SourceInfo
    depth: np.ndarray | None = None
    intrinsics: Intrinsics | None = None
    pose: np.ndarray | None = None

    def __post_init__(self) -> None:
        img = self.image
        _check(isinstance(img, np.ndarray) and img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8,
               f"frame {self.index}: image must be HxWx3 uint8, got {getattr(img, 'shape', None)} {getattr(img, 'dtype', None)}")
        h, w = img.shape[:2]
        if self.depth is not None:
            d = self.depth
            _check(d.ndim == 2 and d.shape == (h, w),
                   f"frame {self.index}: depth size {d.shape[1] if d.ndim == 2 else '?'}x{d.shape[0]} differs from colour {w}x{h}")
            if d.dtype != np.float32:
                self.depth = d.astype(np.float32)
        if self.intrinsics is not None:
            k = self.intrinsics
            if (k.width, k.height) != (w, h):
                self.intrinsics = k.scaled(w, h)
        if self.pose is not None:
            self.pose = validate_pose(self.pose, f"frame {self.index}: pose")

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.image.shape[1], self.image.shape[0]


def _as_array(x: Any, dtype: Any, shape_tail: tuple[int, ...], n: int | None, what: str) -> np.ndarray:
    a = np.asarray(x, dtype=dtype)
    if a.size == 0 and n in (None, 0):
        a = a.reshape((0, *shape_tail))
    _check(a.ndim == 1 + len(shape_tail) and tuple(a.shape[1:]) == shape_tail,
           f"{what} must have shape (N, {', '.join(map(str, shape_tail))}), got {a.shape}" if shape_tail
           else f"{what} must have shape (N,), got {a.shape}")
    if n is not None:
        _check(a.shape[0] == n, f"{what} has {a.shape[0]} rows, expected {n}")
    return a


@dataclass
class Detections:
    """Parallel arrays for N detections in one frame (boxes XYXY pixels)."""

    xyxy: np.ndarray
    scores: np.ndarray | None = None
    class_ids: np.ndarray | None = None
    masks: np.ndarray | None = None
    embeddings: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.xyxy = _as_array(self.xyxy, np.float64, (4,), None, "detection boxes")
        n = len(self.xyxy)
        self.scores = np.ones(n) if self.scores is None else _as_array(self.scores, np.float64, (), n, "detection scores")
        self.class_ids = (np.zeros(n, dtype=np.int64) if self.class_ids is None
                          else _as_array(self.class_ids, np.int64, (), n, "detection class ids"))
        if self.masks is not None:
            self.masks = np.asarray(self.masks, dtype=bool)
            _check(self.masks.ndim == 3 and len(self.masks) == n, f"detection masks must be NxHxW with N={n}, got {self.masks.shape}")
        if self.embeddings is not None:
            self.embeddings = np.asarray(self.embeddings, dtype=np.float32)
            _check(self.embeddings.ndim == 2 and len(self.embeddings) == n,
                   f"detection embeddings must be NxD with N={n}, got {self.embeddings.shape}")

    def __len__(self) -> int:
        return len(self.xyxy)

    @classmethod
    def empty(cls) -> "Detections":
        """No detections."""
        return cls(np.zeros((0, 4)))

    def subset(self, index: np.ndarray) -> "Detections":
        """Rows selected by a boolean mask or integer index."""
        return Detections(self.xyxy[index], self.scores[index], self.class_ids[index],
                          None if self.masks is None else self.masks[index],
                          None if self.embeddings is None else self.embeddings[index])


class TrackState(enum.IntEnum):
    """Track lifecycle: tentative -> confirmed -> lost -> removed."""

    TENTATIVE = 0
    CONFIRMED = 1
    LOST = 2
    REMOVED = 3


@dataclass
class Tracks:
    """Parallel arrays for the M tracks a tracker reports in one frame.

    ``det_index`` is the row of the detection each track was matched to this frame (-1 if none),
    so callers find masks and embeddings without re-matching.
    """

    xyxy: np.ndarray
    ids: np.ndarray
    scores: np.ndarray | None = None
    class_ids: np.ndarray | None = None
    states: np.ndarray | None = None
    det_index: np.ndarray | None = None
    masks: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.xyxy = _as_array(self.xyxy, np.float64, (4,), None, "track boxes")
        n = len(self.xyxy)
        self.ids = _as_array(self.ids, np.int64, (), n, "track ids")
        self.scores = np.ones(n) if self.scores is None else _as_array(self.scores, np.float64, (), n, "track scores")
        self.class_ids = (np.zeros(n, dtype=np.int64) if self.class_ids is None
                          else _as_array(self.class_ids, np.int64, (), n, "track class ids"))
        self.states = (np.full(n, int(TrackState.CONFIRMED), dtype=np.int64) if self.states is None
                       else _as_array(self.states, np.int64, (), n, "track states"))
        self.det_index = (np.full(n, -1, dtype=np.int64) if self.det_index is None
                          else _as_array(self.det_index, np.int64, (), n, "track detection index"))
        if self.masks is not None:
            self.masks = np.asarray(self.masks, dtype=bool)
            _check(self.masks.ndim == 3 and len(self.masks) == n, f"track masks must be MxHxW with M={n}, got {self.masks.shape}")

    def __len__(self) -> int:
        return len(self.xyxy)

    @classmethod
    def empty(cls) -> "Tracks":
        """No tracks."""
        return cls(np.zeros((0, 4)), np.zeros(0, dtype=np.int64))


@dataclass
class Tracks3D:
    """Parallel arrays for tracks in world coordinates (metres): centre and axis-aligned size."""

    centers: np.ndarray
    ids: np.ndarray
    sizes: np.ndarray | None = None
    velocities: np.ndarray | None = None
    states: np.ndarray | None = None
    det_index: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.centers = _as_array(self.centers, np.float64, (3,), None, "3D track centres")
        n = len(self.centers)
        self.ids = _as_array(self.ids, np.int64, (), n, "3D track ids")
        self.sizes = np.zeros((n, 3)) if self.sizes is None else _as_array(self.sizes, np.float64, (3,), n, "3D track sizes")
        self.velocities = (np.zeros((n, 3)) if self.velocities is None
                           else _as_array(self.velocities, np.float64, (3,), n, "3D track velocities"))
        self.states = (np.full(n, int(TrackState.CONFIRMED), dtype=np.int64) if self.states is None
                       else _as_array(self.states, np.int64, (), n, "3D track states"))
        self.det_index = (np.full(n, -1, dtype=np.int64) if self.det_index is None
                          else _as_array(self.det_index, np.int64, (), n, "3D track detection index"))

    def __len__(self) -> int:
        return len(self.centers)


@dataclass
class Instances3D:
    """Parallel arrays describing the 3D instances of the map visible or updated in a frame."""

    ids: np.ndarray
    centroids: np.ndarray
    box_min: np.ndarray
    box_max: np.ndarray
    point_counts: np.ndarray
    det_index: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.ids = _as_array(self.ids, np.int64, (), None, "instance ids")
        n = len(self.ids)
        self.centroids = _as_array(self.centroids, np.float64, (3,), n, "instance centroids")
        self.box_min = _as_array(self.box_min, np.float64, (3,), n, "instance box minima")
        self.box_max = _as_array(self.box_max, np.float64, (3,), n, "instance box maxima")
        self.point_counts = _as_array(self.point_counts, np.int64, (), n, "instance point counts")
        self.det_index = (np.full(n, -1, dtype=np.int64) if self.det_index is None
                          else _as_array(self.det_index, np.int64, (), n, "instance detection index"))

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls) -> "Instances3D":
        """No instances."""
        z3 = np.zeros((0, 3))
        return cls(np.zeros(0, dtype=np.int64), z3, z3, z3, np.zeros(0, dtype=np.int64))


@dataclass(frozen=True)
class StageError:
    """A stage that raised on one frame."""

    stage: str
    frame_index: int
    message: str

    def __str__(self) -> str:
        return f"stage '{self.stage}' failed on frame {self.frame_index}: {self.message}"


@dataclass
class FrameResult:
    """Everything the pipeline knows about one frame; stages fill it in turn."""

    packet: FramePacket
    detections: Detections = field(default_factory=Detections.empty)
    tracks: Tracks = field(default_factory=Tracks.empty)
    tracks3d: Tracks3D | None = None
    instances: Instances3D | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    events: list[Any] = field(default_factory=list)
    errors: list[StageError] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def index(self) -> int:
        """The frame's index in its source (0-based)."""
        return self.packet.index
