"""Build the pipeline a user asked for from named choices (used by the CLI, batch and the GUI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from perception.pipeline.runner import ErrorPolicy, Pipeline
from perception.pipeline.stage import Stage
from perception.types import InputError, SourceInfo


@dataclass
class PipelineOptions:
    """What to run on each frame; every stage is optional.

    ``segmenter="auto"`` picks the weight-free geometric segmenter for RGB-D sources and the
    weight-free RGB segmenter otherwise; ``map3d=None`` turns the 3D map on when the source has depth;
    ``mesh`` adds the TSDF mesh stage (needs depth; see perception/map3d/mesh.py).
    """

    segmenter: str = "auto"
    segmenter_options: dict[str, Any] = field(default_factory=dict)
    tracker: str = "graph"
    tracker_options: dict[str, Any] = field(default_factory=dict)
    map3d: bool | None = None
    tracker3d: str = "graph3d"
    memory: bool = True
    memory_options: dict[str, Any] = field(default_factory=dict)  # make_memory_stage's arguments
    mesh: bool = False
    on_error: ErrorPolicy = "continue"

    def segmenter_for(self, source: SourceInfo) -> str:
        """The segmenter name after resolving 'auto' for this source."""
        if self.segmenter != "auto":
            return self.segmenter
        return "geometric" if source.has_depth else "rgb"

    def map3d_for(self, source: SourceInfo) -> bool:
        """Whether the 3D map runs on this source."""
        return source.has_depth if self.map3d is None else self.map3d


def build_stages(options: PipelineOptions, source: SourceInfo) -> list[Stage]:
    """The stages for ``options`` on a source like ``source``, in execution order."""
    fps = source.fps or 30.0
    stages: list[Stage] = []
    segmenter = options.segmenter_for(source)
    if segmenter != "none":
        from perception.segmentation import build_segmenter
        from perception.segmentation.stage import SegmentStage

        stages.append(SegmentStage(build_segmenter(segmenter, **options.segmenter_options)))
    if options.tracker != "none":
        from trackers.stage import TrackerStage
        from trackers.registry import build_tracker

        stages.append(TrackerStage(build_tracker(options.tracker, fps=fps, **options.tracker_options)))
    if options.map3d_for(source):
        from perception.map3d.stage import Map3DStage
        from trackers.stage import Tracker3DStage
        from trackers.registry import build_tracker3d

        stages.append(Map3DStage())
        if options.tracker3d != "none":
            stages.append(Tracker3DStage(build_tracker3d(options.tracker3d, fps=fps)))
    if options.mesh:
        if not source.has_depth:
            raise InputError(f"the TSDF mesh needs depth, but {source.name} has none")
        from perception.map3d.mesh_stage import MeshStage

        stages.append(MeshStage())
    if options.memory:
        from perception.memory import make_memory_stage

        stages.append(make_memory_stage(**options.memory_options))
    return stages


def build_pipeline(options: PipelineOptions, source: SourceInfo) -> Pipeline:
    """A Pipeline of the stages chosen in ``options``."""
    return Pipeline(build_stages(options, source), on_error=options.on_error)
