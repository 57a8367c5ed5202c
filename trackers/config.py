"""One config dataclass per tracker: each field's default, valid range and one-line meaning.

The CLI (``--tracker-opt KEY=VALUE``), batch and the window's pipeline panel all read these, so a default is
written once. Ranges are checked on construction; a bad value raises InputError naming the field and its range.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from perception.types import InputError


def tunable(default: float | int | bool | str, low: float | None = None, high: float | None = None,
            help: str = "", choices: tuple[str, ...] = ()) -> Any:
    """A config field with its valid range (inclusive) or choices and a one-line meaning."""
    return dataclasses.field(default=default, metadata={"low": low, "high": high, "help": help, "choices": choices})


@dataclass(frozen=True)
class Tunable:
    """What a UI or CLI needs to offer one config field."""

    name: str
    default: Any
    type: type
    low: float | None
    high: float | None
    help: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class TrackerConfig:
    """Base of every tracker config: validates types and ranges of its fields."""

    tracker: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for t in self.tunables():
            value = getattr(self, t.name)
            if t.type is bool:
                if not isinstance(value, bool):
                    raise InputError(f"{self.tracker} tracker option {t.name} must be true or false, got {value!r}")
                continue
            if t.choices:
                if value not in t.choices:
                    raise InputError(f"{self.tracker} tracker option {t.name} must be one of {', '.join(t.choices)}, "
                                     f"got {value!r}")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(f"{self.tracker} tracker option {t.name} must be a finite number, got {value!r}")
            if t.type is int and int(value) != value:
                raise InputError(f"{self.tracker} tracker option {t.name} must be a whole number, got {value!r}")
            if (t.low is not None and value < t.low) or (t.high is not None and value > t.high):
                raise InputError(f"{self.tracker} tracker option {t.name}={value} is outside [{t.low}, {t.high}]")

    @classmethod
    def tunables(cls) -> list[Tunable]:
        """Every field with its default, type, range and meaning, in declaration order."""
        out = []
        for f in dataclasses.fields(cls):
            kind = type(f.default)
            out.append(Tunable(f.name, f.default, kind, f.metadata.get("low"), f.metadata.get("high"),
                               f.metadata.get("help", ""), f.metadata.get("choices", ())))
        return out

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> TrackerConfig:
        """A config with ``options`` (field -> value, values may be strings as typed on a command line)."""
        known = {t.name: t for t in cls.tunables()}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise InputError(f"unknown {cls.tracker} tracker option(s) {', '.join(unknown)}; "
                             f"valid: {', '.join(known)}")
        return cls(**{k: _parse(known[k], v) for k, v in options.items()})


def _parse(t: Tunable, value: Any) -> Any:
    """``value`` as the field's type; strings are parsed (true/false, numbers)."""
    if not isinstance(value, str) or t.type is str:
        return t.type(value) if t.type is float and isinstance(value, int) and not isinstance(value, bool) else value
    text = value.strip().lower()
    if t.type is bool:
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise InputError(f"tracker option {t.name} must be true or false, got {value!r}")
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"tracker option {t.name} must be a number, got {value!r}") from None
    return int(number) if t.type is int and number.is_integer() else number


@dataclass(frozen=True)
class GraphConfig(TrackerConfig):
    """The 2D graph tracker (trackers/graph.py)."""

    tracker: ClassVar[str] = "graph"
    high_score: float = tunable(0.5, 0.0, 1.0, "detections at least this confident join the association graph")
    new_track_score: float = tunable(0.6, 0.0, 1.0, "unmatched detections at least this confident start a track")
    low_score: float = tunable(0.1, 0.0, 1.0, "detections below this are ignored")
    max_detections: int = tunable(300, 1, 100_000, "most detections considered per frame, best first")
    top_k: int = tunable(4, 1, 64, "edges kept per track (sparse graph)")
    match_score: float = tunable(0.3, 0.0, 1.0, "least edge score for a match")
    rounds: int = tunable(2, 0, 16, "message-passing rounds between competing edges")
    competition: float = tunable(0.5, 0.0, 4.0, "how strongly competing edges suppress each other")
    recovery: bool = tunable(True, help="low-score detections may extend (never start) a track")
    recovery_iou: float = tunable(0.3, 0.0, 1.0, "overlap with a live track a low-score detection needs")
    duplicate_iou: float = tunable(0.6, 0.0, 1.0, "overlap with a better detection that marks a duplicate")
    second_iou: float = tunable(0.4, 0.0, 1.0, "least IoU in the second matching pass")
    min_hits: int = tunable(2, 1, 100, "matches before a track is confirmed")
    track_buffer_s: float = tunable(2.0, 0.0, 600.0, "seconds a lost track is kept")
    reid_window_s: float = tunable(4.0, 0.0, 600.0, "seconds a lost track can be re-identified by appearance")
    reid_cosine: float = tunable(0.95, -1.0, 1.0, "least appearance cosine for re-identification")
    reid_speed: float = tunable(1.5, 0.0, 100.0, "box heights per second a lost object may travel")
    ema: float = tunable(0.9, 0.0, 1.0, "appearance memory (exponential moving average weight)")
    appearance: bool = tunable(True, help="use appearance (detector embeddings, else colour histograms)")
    appearance_refresh: int = tunable(5, 1, 1000, "refresh a track's appearance every N matches")
    cmc: bool = tunable(False, help="compensate camera motion (moving cameras)")
    output_box: str = tunable("kalman", help="report the filtered box or the matched detection's",
                              choices=("kalman", "detection"))
    slow_fps: float = tunable(7.0, 0.0, 1000.0, "below this frame rate the edge score's offset penalty shrinks by "
                              "(fps / slow_fps)^2: a frame spans more walking (0: never)")
    coast_frames: int = tunable(3, 0, 1000, "frames a lost track is still reported at its predicted box (state "
                                "lost), across a detector's missed frames; 0: only tracks matched this frame")


@dataclass(frozen=True)
class IoUConfig(TrackerConfig):
    """The IoU baseline tracker (trackers/iou.py)."""

    tracker: ClassVar[str] = "iou"
    iou_threshold: float = tunable(0.3, 0.0, 1.0, "least IoU with the previous box for a match")
    min_score: float = tunable(0.3, 0.0, 1.0, "detections below this are ignored")
    min_hits: int = tunable(2, 1, 100, "matches before a track is confirmed")
    max_lost_s: float = tunable(0.5, 0.0, 600.0, "seconds a lost track is kept")


@dataclass(frozen=True)
class Graph3DConfig(TrackerConfig):
    """The 3D graph tracker (trackers/graph3d.py); distances in metres, times in seconds."""

    tracker: ClassVar[str] = "graph3d"
    max_speed: float = tunable(2.0, 0.0, 100.0, "fastest object speed (m/s): the association gate")
    gate_margin: float = tunable(0.15, 0.0, 10.0, "metres added to the speed gate")
    match_score: float = tunable(0.3, 0.0, 1.0, "least edge score for a match")
    min_hits: int = tunable(2, 1, 100, "matches before a track is confirmed")
    max_lost_s: float = tunable(2.0, 0.0, 600.0, "seconds a lost track is kept")
    min_points: int = tunable(1, 1, 10_000_000, "instances with fewer map points are ignored")
    accel_std: float = tunable(2.0, 0.0, 100.0, "process noise: acceleration (m/s^2)")
    measure_std: float = tunable(0.03, 1e-6, 10.0, "measurement noise of an instance centre (m)")
    size_ema: float = tunable(0.8, 0.0, 1.0, "box size memory (exponential moving average weight)")
    ema: float = tunable(0.9, 0.0, 1.0, "appearance memory (exponential moving average weight)")
    w_offset: float = tunable(4.0, 0.0, 100.0, "edge weight of the offset from the prediction")
    w_size: float = tunable(2.0, 0.0, 100.0, "edge weight of the size change")
    w_iou: float = tunable(2.0, 0.0, 100.0, "edge weight of 3D box IoU")
    w_cosine: float = tunable(4.0, 0.0, 100.0, "edge weight of appearance")
    cosine_neutral: float = tunable(0.8, -1.0, 1.0, "appearance cosine that neither helps nor hurts an edge")
