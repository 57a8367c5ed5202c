"""Trackers by name, imported lazily; an unknown name lists the valid ones."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from trackers.base import Tracker

if TYPE_CHECKING:
    from trackers.graph3d import Tracker3D

TRACKERS: dict[str, str] = {
    "iou": "trackers.iou:IoUTracker",
    "graph": "trackers.graph:GraphTracker",
}

TRACKERS_3D: dict[str, str] = {
    "graph3d": "trackers.graph3d:GraphTracker3D",
}


def _load(table: dict[str, str], name: str) -> Any:
    if name not in table:
        raise ValueError(f"unknown tracker '{name}'; choose one of: {', '.join(sorted(table))}")
    module, cls = table[name].split(":")
    return getattr(importlib.import_module(module), cls)


def build_tracker(name: str, fps: float = 30.0, **options: Any) -> Tracker:
    """Instantiate the 2D tracker registered as ``name`` (fills ``result.tracks`` via TrackerStage)."""
    return _load(TRACKERS, name)(fps=fps, **options)


def build_tracker3d(name: str, fps: float = 30.0, **options: Any) -> "Tracker3D":
    """Instantiate the 3D tracker registered as ``name`` (fills ``result.tracks3d`` via Tracker3DStage)."""
    return _load(TRACKERS_3D, name)(fps=fps, **options)
