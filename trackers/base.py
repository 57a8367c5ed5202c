"""The contract every tracker follows, in 2D and 3D (after boxmot and supervision): one ``update`` per frame."""

from __future__ import annotations

import abc
import dataclasses
import math
from collections import Counter
from typing import ClassVar

import numpy as np

from perception.types import UNLABELLED, Detections, InputError, Instances3D, Tracks, Tracks3D
from trackers.config import TrackerConfig


def frames_for(seconds: float, fps: float) -> int:
    """A lifecycle buffer given in seconds, as a whole number of frames at ``fps`` (at least 1)."""
    return max(1, int(math.ceil(seconds * fps)))


def _config(config_class: type[TrackerConfig], config: TrackerConfig | None, overrides: dict) -> TrackerConfig:
    """``config`` (or the defaults) with ``overrides`` applied and validated."""
    config = config if config is not None else config_class()
    if not isinstance(config, config_class):
        raise InputError(f"expected a {config_class.__name__}, got {type(config).__name__}")
    if not overrides:
        return config
    return config_class.from_options({**dataclasses.asdict(config), **overrides})


class _TrackerBase(abc.ABC):
    """Frame rate, config and reset shared by 2D and 3D trackers."""

    name: ClassVar[str] = "tracker"
    config_class: ClassVar[type[TrackerConfig]]

    def __init__(self, fps: float = 30.0, config: TrackerConfig | None = None, **overrides):
        if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
            raise InputError(f"fps must be a positive number, got {fps}")
        self.fps = float(fps)
        self.config = _config(self.config_class, config, overrides)

    @abc.abstractmethod
    def reset(self) -> None:
        """Forget every track and restart IDs at 1."""


class Tracker(_TrackerBase):
    """Tracking-by-detection in the image: ``update`` once per frame, in order; ``reset`` starts a new sequence."""

    @abc.abstractmethod
    def update(self, detections: Detections, image: np.ndarray | None = None) -> Tracks:
        """Associate this frame's detections (``image``: HxWx3 uint8 BGR, None when there is no real
        picture) with the tracks so far; return the tracks to report (``det_index`` links them back)."""


class Tracker3D(_TrackerBase):
    """Tracking in world coordinates: ``update`` once per frame with the 3D detections of that frame."""

    @abc.abstractmethod
    def update(self, detections: Instances3D, timestamp: float, embeddings: np.ndarray | None = None) -> Tracks3D:
        """Associate this frame's 3D detections (``embeddings``: one row each, or None) seen at ``timestamp``
        seconds with the tracks so far; return the tracks to report."""


class LabelVotes:
    """A track's class name: the majority over the detections it was matched to (ties: the earliest)."""

    __slots__ = ("_counts",)

    def __init__(self, label: str = UNLABELLED):
        self._counts: Counter[str] = Counter({label: 1})

    def add(self, label: str) -> None:
        """Count one more matched detection of class ``label``."""
        self._counts[label] += 1

    @property
    def label(self) -> str:
        """The most frequent class so far."""
        return self._counts.most_common(1)[0][0]
