"""Build the pipeline a user asked for from named choices (used by the CLI, batch and the GUI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from perception.pipeline.keyframes import KeyframePolicy
from perception.pipeline.reuse import ReusePolicy, ReuseUnchanged
from perception.pipeline.runner import ErrorPolicy, Pipeline
from perception.pipeline.stage import Stage
from perception.types import InputError, SourceInfo


@dataclass
class PipelineOptions:
    """What to run on each frame; every stage is optional.

    ``detector`` is a name of perception.detection ("auto" by default, see ``resolve_detector``);
    ``detector_options`` go to ``build_detector`` (``classes``, ``labels`` and the detector's own options).
    ``segmenter="auto"`` picks the weight-free geometric segmenter for RGB-D sources; without depth, the
    weight-free RGB segmenter when no detector runs and none when one does (segments only feed the 3D map).
    With a detector, segments feed the 3D map and detections the tracker; "sam" is then prompted by the
    detector's boxes and its masks ride on the detections. ``map3d=None`` turns the 3D map on when the
    source has depth; ``keyframes`` says when the map fuses a frame (perception/pipeline/keyframes.py; None fuses
    every frame); ``segment_reuse`` repeats the last segments on frames where colour and depth did not change
    (perception/pipeline/reuse.py; None segments every frame); ``mesh`` adds the TSDF mesh stage (needs depth; see perception/map3d/mesh.py).
    """

    detector: str = "auto"
    detector_options: dict[str, Any] = field(default_factory=dict)
    segmenter: str = "auto"
    segmenter_options: dict[str, Any] = field(default_factory=dict)
    segment_reuse: ReusePolicy | None = field(default_factory=ReusePolicy)
    tracker: str = "graph"
    tracker_options: dict[str, Any] = field(default_factory=dict)
    map3d: bool | None = None
    tracker3d: str = "graph3d"
    keyframes: KeyframePolicy | None = field(default_factory=KeyframePolicy)
    memory: bool = True
    memory_options: dict[str, Any] = field(default_factory=dict)  # make_memory_stage's arguments
    mesh: bool = False
    on_error: ErrorPolicy = "continue"

    def detector_for(self, source: SourceInfo) -> str:
        """The detector name after resolving 'auto' for this source."""
        from perception.detection import resolve_detector

        return resolve_detector(self.detector, source, self.segmenter)

    def segmenter_for(self, source: SourceInfo, detector: str | None = None) -> str:
        """The segmenter name after resolving 'auto' for this source (and its resolved detector)."""
        if self.segmenter != "auto":
            return self.segmenter
        if source.has_depth:
            return "geometric"
        detector = self.detector_for(source) if detector is None else detector
        return "rgb" if detector == "none" else "none"

    def map3d_for(self, source: SourceInfo) -> bool:
        """Whether the 3D map runs on this source."""
        return source.has_depth if self.map3d is None else self.map3d


def build_stages(options: PipelineOptions, source: SourceInfo) -> list[Stage]:
    """The stages for ``options`` on a source like ``source``, in execution order."""
    fps = source.fps or 30.0
    stages: list[Stage] = []
    detector = options.detector_for(source)
    if detector != "none":
        from perception.detection import DetectStage, build_detector

        stages.append(DetectStage(build_detector(detector, source, **options.detector_options)))
    segmenter = options.segmenter_for(source, detector)
    if segmenter == "sam" and detector != "none":
        from perception.segmentation.prompted import build_prompted_stage

        stages.append(build_prompted_stage(**options.segmenter_options))
    elif segmenter != "none":
        from perception.segmentation import build_segmenter
        from perception.segmentation.stage import SegmentStage

        stage = SegmentStage(build_segmenter(segmenter, **options.segmenter_options), feeds_tracker=detector == "none")
        stages.append(stage if options.segment_reuse is None else ReuseUnchanged(stage, options.segment_reuse))
    if options.tracker != "none":
        from trackers.registry import build_tracker
        from trackers.stage import TrackerStage

        stages.append(TrackerStage(build_tracker(options.tracker, fps=fps, **options.tracker_options)))
    if options.map3d_for(source):
        from perception.map3d.stage import Map3DStage
        from perception.pipeline.keyframe_map import KeyframeMap3DStage
        from trackers.registry import build_tracker3d
        from trackers.stage import Tracker3DStage

        stages.append(Map3DStage() if options.keyframes is None else KeyframeMap3DStage(policy=options.keyframes))
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
