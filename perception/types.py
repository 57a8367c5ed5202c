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
    def from_matrix(cls, k: np.ndarray, width: int, height: int) -> Intrinsics:
        """Build from a 3x3 (or larger, top-left used) camera matrix."""
        k = np.asarray(k, dtype=float)
        _check(k.ndim == 2 and k.shape[0] >= 3 and k.shape[1] >= 3, f"camera matrix must be at least 3x3, got shape {k.shape}")
        return cls(float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2]), int(width), int(height))

    def backproject(self, u: np.ndarray, v: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Camera-frame points (3 x N, rows contiguous) of pixels ``(u, v)`` at z-depths ``z``."""
        return np.stack([(u - self.cx) / self.fx * z, (v - self.cy) / self.fy * z, z])

    def scaled(self, width: int, height: int) -> Intrinsics:
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
    _check(np.linalg.det(r) > 0, f"{what} rotation is a reflection (determinant {np.linalg.det(r):.3f}, must be +1)")
    return pose


@dataclass(frozen=True)
class SourceInfo:
    """What a frame source is: its name, kind, rate, size and length (None when unknown or live);
    ``path`` is the file or folder it reads ("" for cameras and generated sources)."""

    name: str
    kind: str
    fps: float
    width: int
    height: int
    length: int | None = None
    live: bool = False
    has_depth: bool = False
    path: str = ""


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


UNLABELLED = "object"
"""The class name of detections and tracks from class-agnostic sources (segmenters, motion without a class)."""


def _as_labels(x: Any, n: int, what: str) -> np.ndarray:
    """(n,) object array of non-empty class-name strings; ``UNLABELLED`` for each row when ``x`` is None."""
    if x is None:
        return np.full(n, UNLABELLED, dtype=object)
    a = np.asarray(x, dtype=object).reshape(-1) if not isinstance(x, str) else np.asarray([x], dtype=object)
    _check(len(a) == n, f"{what} has {len(a)} rows, expected {n}")
    _check(all(isinstance(v, str) and v for v in a), f"{what} must be non-empty strings")
    return a


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
    """Parallel arrays for N detections in one frame.

    ``xyxy`` (N, 4) float64 pixels; ``scores`` (N,) float64; ``class_ids`` (N,) int64 (0 when class-agnostic);
    ``labels`` (N,) object array of class names (``UNLABELLED`` when the detector has none);
    ``masks`` (N, H, W) bool; ``embeddings`` (N, D) float32 appearance features.
    """

    xyxy: np.ndarray
    scores: np.ndarray | None = None
    class_ids: np.ndarray | None = None
    masks: np.ndarray | None = None
    embeddings: np.ndarray | None = None
    labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.xyxy = _as_array(self.xyxy, np.float64, (4,), None, "detection boxes")
        n = len(self.xyxy)
        self.scores = np.ones(n) if self.scores is None else _as_array(self.scores, np.float64, (), n, "detection scores")
        self.class_ids = (np.zeros(n, dtype=np.int64) if self.class_ids is None
                          else _as_array(self.class_ids, np.int64, (), n, "detection class ids"))
        self.labels = _as_labels(self.labels, n, "detection labels")
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
    def empty(cls) -> Detections:
        """No detections."""
        return cls(np.zeros((0, 4)))

    def subset(self, index: np.ndarray) -> Detections:
        """Rows selected by a boolean mask or integer index."""
        return Detections(self.xyxy[index], self.scores[index], self.class_ids[index],
                          None if self.masks is None else self.masks[index],
                          None if self.embeddings is None else self.embeddings[index], self.labels[index])


class MaskRows:
    """Rows ``rows`` of an (N, H, W) bool mask stack read in place: what ``masks[rows]`` holds, without copying
    megabytes per frame; a negative row is an empty mask. ``shape``, ``len``, ``[k]`` (a read-only view) and
    iteration as an array; ``np.asarray`` gathers a copy."""

    def __init__(self, masks: np.ndarray, rows: np.ndarray):
        self._masks, self._rows = masks, np.asarray(rows, dtype=np.int64)
        self.shape, self.dtype, self.ndim = (len(self._rows), *masks.shape[1:]), masks.dtype, masks.ndim

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: Any) -> np.ndarray:
        if isinstance(index, (int, np.integer)):
            return self._row(int(self._rows[index]))
        return np.asarray(self)[index]

    def __iter__(self) -> Any:
        return (self._row(int(r)) for r in self._rows)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        hit = self._rows >= 0
        if hit.all():
            out = self._masks[self._rows]
        else:
            out = np.zeros(self.shape, self._masks.dtype)
            out[hit] = self._masks[self._rows[hit]]
        return out if dtype is None else out.astype(dtype)

    def _row(self, r: int) -> np.ndarray:
        """A read-only view of row ``r`` of the stack (an empty mask for a negative row: a track without a
        detection this frame)."""
        view = self._masks[r] if r >= 0 else np.zeros(self.shape[1:], self.dtype)
        view.flags.writeable = False
        return view


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
    so callers find masks and embeddings without re-matching. ``labels`` (M,) object array of class
    names (the majority over the track's detections; ``UNLABELLED`` when class-agnostic). ``masks`` (M, H, W) bool,
    or a ``MaskRows`` of the detections' masks (a tracker's, read in place).
    """

    xyxy: np.ndarray
    ids: np.ndarray
    scores: np.ndarray | None = None
    class_ids: np.ndarray | None = None
    states: np.ndarray | None = None
    det_index: np.ndarray | None = None
    masks: np.ndarray | MaskRows | None = None
    labels: np.ndarray | None = None

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
        if self.masks is not None and not isinstance(self.masks, MaskRows):
            self.masks = np.asarray(self.masks, dtype=bool)
        if self.masks is not None:
            _check(self.masks.ndim == 3 and len(self.masks) == n and self.masks.dtype == bool,
                   f"track masks must be MxHxW bool with M={n}, got {self.masks.shape} {self.masks.dtype}")
        self.labels = _as_labels(self.labels, n, "track labels")

    def __len__(self) -> int:
        return len(self.xyxy)

    @classmethod
    def empty(cls) -> Tracks:
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
    labels: np.ndarray | None = None  # (N,) object array of class names voted from detections, UNLABELLED if none

    def __post_init__(self) -> None:
        self.ids = _as_array(self.ids, np.int64, (), None, "instance ids")
        n = len(self.ids)
        self.centroids = _as_array(self.centroids, np.float64, (3,), n, "instance centroids")
        self.box_min = _as_array(self.box_min, np.float64, (3,), n, "instance box minima")
        self.box_max = _as_array(self.box_max, np.float64, (3,), n, "instance box maxima")
        self.point_counts = _as_array(self.point_counts, np.int64, (), n, "instance point counts")
        self.det_index = (np.full(n, -1, dtype=np.int64) if self.det_index is None
                          else _as_array(self.det_index, np.int64, (), n, "instance detection index"))
        self.labels = _as_labels(self.labels, n, "instance labels")

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls) -> Instances3D:
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


class PoseSource(enum.Enum):
    """Where a frame's camera pose came from."""

    GIVEN = "given"  # the source supplied it (dataset poses, a tracking camera)
    ODOMETRY = "odometry"  # estimated by RGB-D odometry
    LOST = "lost"  # odometry lost track: no pose this frame


@dataclass(frozen=True)
class CameraState:
    """The camera of one frame: ``pose`` 4x4 float64 camera-to-world (None when ``source`` is LOST)."""

    pose: np.ndarray | None
    source: PoseSource
    method: str = ""  # how odometry estimated it ("" for given poses)

    def __post_init__(self) -> None:
        _check(isinstance(self.source, PoseSource), f"camera pose source must be a PoseSource, got {self.source!r}")
        _check((self.pose is None) == (self.source is PoseSource.LOST), "a camera pose is None exactly when tracking is lost")
        if self.pose is not None:
            object.__setattr__(self, "pose", validate_pose(self.pose, "camera pose"))


def _image_field(dtype: Any, what: str) -> Any:
    """A validator for an HxW per-pixel field of ``result`` (same size as its image)."""
    def check(result: FrameResult, value: Any) -> np.ndarray:
        a = np.asarray(value)
        h, w = result.packet.image.shape[:2]
        _check(a.shape == (h, w), f"frame {result.index}: {what} must be {h}x{w}, got {a.shape}")
        _check(np.issubdtype(a.dtype, np.integer), f"frame {result.index}: {what} must be integer, got {a.dtype}")
        return a.astype(dtype, copy=False)
    return check


def _check_instance_of_detection(result: FrameResult, value: Any) -> np.ndarray:
    n = len(result.segments if result.segments is not None else result.detections)
    return _as_array(value, np.int64, (), n, f"frame {result.index}: instance of segment")


def _check_thin_segments(result: FrameResult, value: Any) -> np.ndarray:
    n = len(result.segments if result.segments is not None else result.detections)
    return _as_array(value, bool, (), n, f"frame {result.index}: thin segments")


def _check_segments(result: FrameResult, value: Any) -> Detections:
    _check(isinstance(value, Detections), f"frame {result.index}: segments must be Detections, got {type(value).__name__}")
    return value


def _check_embedding(result: FrameResult, value: Any) -> np.ndarray:
    """(D,) float32; a C x g x g feature map (with leading batch axes) is average-pooled over its grid."""
    a = np.asarray(value, dtype=np.float32)
    if a.ndim >= 3:
        a = a.reshape(a.shape[-3], -1).mean(axis=1)
    _check(a.ndim == 1 and a.size > 0 and bool(np.all(np.isfinite(a))),
           f"frame {result.index}: image embedding must be a finite 1-D vector or CxHxW map, got shape {a.shape}")
    return a


def _check_camera(result: FrameResult, value: Any) -> CameraState:
    _check(isinstance(value, CameraState), f"frame {result.index}: camera must be a CameraState, got {type(value).__name__}")
    return value


_FIELD_CHECKS = {
    "segment_labels": _image_field(np.int32, "segment labels"),
    "instance_image": _image_field(np.int64, "instance image"),
    "instance_of_detection": _check_instance_of_detection,
    "image_embedding": _check_embedding,
    "camera": _check_camera,
    "segments": _check_segments,
    "thin_segments": _check_thin_segments,
}


@dataclass
class FrameResult:
    """Everything the pipeline knows about one frame; stages fill it in turn.

    ``detections`` are what the tracker tracks: a detector's when one runs, else the segmenter's segments.
    Typed fields that one stage writes and others read (validated on assignment; None = not produced):
    - ``segments``: the segmenter's class-agnostic masks (what the 3D map lifts); the same object as
      ``detections`` when no detector runs.
    - ``segment_labels`` (H, W) int32: the segmenter's label image, -1 = none, label i = segment row i.
    - ``thin_segments`` (N,) bool: segments the segmenter found as thin objects lying on a plane (the map starts an
      instance from fewer voxels for them).
    - ``camera``: the frame's pose and where it came from (given, odometry, lost); written by "map3d".
    - ``instance_of_detection`` (N,) int64: the 3D instance ID each segment joined, -1 none ("map3d").
    - ``instance_image`` (H, W) int64: per pixel, the instance its voxel holds in the map, -1 none ("map3d").
    - ``image_embedding`` (D,) float32: a pooled image feature (e.g. SAM's) the memory stores with keyframes.
    - ``narration``: the narrator's messages for this frame ("memory").
    - ``skipped``: stage name -> why that stage left this frame untouched (no depth, tracking lost, ...).
    ``extras`` is for free-form user annotations only; no stage of the product reads it.
    """

    packet: FramePacket
    detections: Detections = field(default_factory=Detections.empty)
    tracks: Tracks = field(default_factory=Tracks.empty)
    tracks3d: Tracks3D | None = None
    instances: Instances3D | None = None
    segments: Detections | None = None
    segment_labels: np.ndarray | None = None
    thin_segments: np.ndarray | None = None
    camera: CameraState | None = None
    instance_of_detection: np.ndarray | None = None
    instance_image: np.ndarray | None = None
    image_embedding: np.ndarray | None = None
    narration: list[Any] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    events: list[Any] = field(default_factory=list)
    errors: list[StageError] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def __setattr__(self, name: str, value: Any) -> None:
        check = _FIELD_CHECKS.get(name)
        if check is not None and value is not None:
            value = check(self, value)
        object.__setattr__(self, name, value)

    @property
    def index(self) -> int:
        """The frame's index in its source (0-based)."""
        return self.packet.index

    @property
    def pose(self) -> np.ndarray | None:
        """The camera-to-world pose the pipeline used for this frame: the map's, else the packet's."""
        if self.camera is not None:
            return self.camera.pose
        return self.packet.pose
