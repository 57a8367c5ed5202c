"""Trackers by name, imported lazily; an unknown name lists the valid ones."""

from __future__ import annotations

import importlib
from typing import Any

from trackers.base import Tracker

TRACKERS: dict[str, str] = {
    "iou": "trackers.iou:IoUTracker",
    "graph": "trackers.graph:GraphTracker",
}


def build_tracker(name: str, fps: float = 30.0, **options: Any) -> Tracker:
    """Instantiate the tracker registered as ``name``."""
    if name not in TRACKERS:
        raise ValueError(f"unknown tracker '{name}'; choose one of: {', '.join(sorted(TRACKERS))}")
    module, cls = TRACKERS[name].split(":")
    return getattr(importlib.import_module(module), cls)(fps=fps, **options)
