"""Build the pipeline a user asked for from named choices (used by the CLI and the GUI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from perception.pipeline.runner import ErrorPolicy, Pipeline
from perception.pipeline.stage import Stage
from perception.types import SourceInfo


@dataclass
class PipelineOptions:
    """What to run on each frame; every stage is optional."""

    segmenter: str = "auto"
    tracker: str = "graph"
    tracker_options: dict[str, Any] = field(default_factory=dict)
    map3d: bool | None = None
    memory: bool = False
    on_error: ErrorPolicy = "continue"


def build_stages(options: PipelineOptions, source: SourceInfo) -> list[Stage]:
    """The stages for ``options`` on a source like ``source``, in execution order."""
    from trackers.base import TrackerStage
    from trackers.registry import build_tracker

    stages: list[Stage] = []
    if options.tracker != "none":
        stages.append(TrackerStage(build_tracker(options.tracker, fps=source.fps or 30.0, **options.tracker_options)))
    return stages


def build_pipeline(options: PipelineOptions, source: SourceInfo) -> Pipeline:
    """A Pipeline of the stages chosen in ``options``."""
    return Pipeline(build_stages(options, source), on_error=options.on_error)
