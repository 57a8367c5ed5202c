"""Trackers by name, imported lazily; an unknown name lists the valid ones."""

from __future__ import annotations

import importlib
from typing import Any

from perception.types import InputError
from trackers.base import Tracker, Tracker3D
from trackers.config import Graph3DConfig, GraphConfig, IoUConfig, TrackerConfig

TRACKERS: dict[str, str] = {
    "iou": "trackers.iou:IoUTracker",
    "graph": "trackers.graph:GraphTracker",
}

TRACKERS_3D: dict[str, str] = {
    "graph3d": "trackers.graph3d:GraphTracker3D",
}

CONFIGS: dict[str, type[TrackerConfig]] = {"graph": GraphConfig, "iou": IoUConfig, "graph3d": Graph3DConfig}
"""Each tracker's config dataclass (defaults, ranges, meanings), without importing the tracker."""


def _load(table: dict[str, str], name: str) -> Any:
    if name not in table:
        raise InputError(f"unknown tracker '{name}'; choose one of: {', '.join(sorted(table))}")
    module, cls = table[name].split(":")
    return getattr(importlib.import_module(module), cls)


def build_tracker(name: str, fps: float = 30.0, **options: Any) -> Tracker:
    """Instantiate the 2D tracker registered as ``name`` (fills ``result.tracks`` via TrackerStage)."""
    return _load(TRACKERS, name)(fps=fps, **options)


def build_tracker3d(name: str, fps: float = 30.0, **options: Any) -> Tracker3D:
    """Instantiate the 3D tracker registered as ``name`` (fills ``result.tracks3d`` via Tracker3DStage)."""
    return _load(TRACKERS_3D, name)(fps=fps, **options)
