"""One recording end to end: open the source, run the chosen pipeline, write the requested outputs.

Shared by the `run` command and batch processing; outputs are written even when the run is cut short.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from perception.io.exports import TrackRecorder, format_for
from perception.io.paths import check_output_paths
from perception.pipeline.factory import PipelineOptions, build_pipeline
from perception.pipeline.runner import Pipeline, RunStats, run_pipeline
from perception.sources import open_source
from perception.types import FrameResult, InputError, SourceInfo

log = logging.getLogger(__name__)


@dataclass
class SessionOutputs:
    """Where to write what; None means not requested."""

    tracks: str | Path | None = None
    tracks_format: str | None = None
    map_ply: str | Path | None = None
    instances_json: str | Path | None = None
    answers_json: str | Path | None = None
    mesh_ply: str | Path | None = None
    overwrite: bool = False

    def paths(self) -> list[Path]:
        """Every requested output path."""
        return [Path(p) for p in (self.tracks, self.map_ply, self.instances_json, self.answers_json, self.mesh_ply)
                if p]

    def check(self, source_spec: str | None = None) -> None:
        """Fail before any work on a path that cannot be written, is the source, is given twice, or has an unknown format."""
        if self.tracks:
            format_for(self.tracks, self.tracks_format)
        check_output_paths({"tracks": self.tracks, "map": self.map_ply, "instances": self.instances_json,
                            "answers": self.answers_json, "mesh": self.mesh_ply}, [source_spec], self.overwrite)

    def check_source(self, options: PipelineOptions, info: SourceInfo) -> None:
        """Refuse, before the first frame, outputs this source and pipeline can never produce."""
        if (self.map_ply or self.instances_json) and not options.map3d_for(info):
            raise InputError(f"a 3D map export was asked for but the 3D map does not run on {info.name} "
                             f"({'it has no depth' if not info.has_depth else 'it was turned off'})")
        if self.mesh_ply and not options.mesh:
            raise InputError("a mesh export was asked for but the mesh stage is off")


@dataclass
class SessionResult:
    """What a finished (or interrupted) session produced."""

    stats: RunStats
    source: SourceInfo
    written: list[Path]
    track_rows: int
    answers: list = field(default_factory=list)
    mesh: dict = field(default_factory=dict)  # {"vertices", "triangles"} of a written TSDF mesh
    detector: str = "none"  # the detector that ran ("auto" resolved)

    def summary(self) -> dict:
        """The run summary plus the source name, the files written, the answers and the mesh size."""
        s = self.stats.summary()
        s.update({"source": self.source.name, "detector": self.detector, "outputs": [str(p) for p in self.written],
                  "track_rows": self.track_rows})
        if self.answers:
            s["answers"] = [a.to_json() for a in self.answers]
        if self.mesh:
            s["mesh"] = self.mesh
        return s


def _write_outputs(pipeline: Pipeline, outputs: SessionOutputs, recorder: TrackRecorder, answers: list, mesh: dict,
                   finished: bool) -> list[Path]:
    """Write every requested output that the pipeline can provide; returns the paths written."""
    written: list[Path] = []
    if outputs.tracks:
        written.append(recorder.write(outputs.tracks, outputs.tracks_format))
    map_stage = pipeline.stage("map3d")
    if outputs.map_ply or outputs.instances_json:
        if map_stage is None:
            raise InputError("a 3D map export was asked for but the 3D map did not run (the source has no depth?)")
        map_stage.settle()  # the map as a run ends: a denoise pass spread over frames finishes first
        if outputs.map_ply:
            map_stage.export_ply(outputs.map_ply)
            written.append(Path(outputs.map_ply))
        if outputs.instances_json:
            map_stage.export_json(outputs.instances_json)
            written.append(Path(outputs.instances_json))
    memory = pipeline.stage("memory")
    if memory is not None and len(memory.schedule):
        answers.extend(memory.finish(None if finished else 2.0))
        if outputs.answers_json:
            written.append(memory.write_answers(outputs.answers_json, timeout=0))
    if outputs.mesh_ply:
        mesh_stage = pipeline.stage("mesh")
        if mesh_stage is None:
            raise InputError("a mesh export was asked for but the mesh stage did not run")
        mesh["vertices"], mesh["triangles"] = mesh_stage.export_ply(outputs.mesh_ply)
        written.append(Path(outputs.mesh_ply))
    return written


def run_session(source_spec: str, options: PipelineOptions, outputs: SessionOutputs, max_frames: int | None = None,
                on_result: Callable[[FrameResult], None] | None = None, pace_speed: float | None = None,
                on_open: Callable[[SourceInfo], None] | None = None, concurrent: bool = False) -> SessionResult:
    """Process one recording; outputs are written on success, on error and on Ctrl-C alike (``concurrent``:
    see run_pipeline)."""
    outputs.check(source_spec)
    written: list[Path] = []
    answers: list = []
    mesh: dict = {}
    spool_dir = Path(outputs.tracks).parent if outputs.tracks else None
    with open_source(source_spec) as source, TrackRecorder(bool(outputs.tracks), spool_dir) as recorder:
        if on_open is not None:
            on_open(source.info)
        outputs.check_source(options, source.info)
        pipeline = build_pipeline(options, source.info)
        detect = pipeline.stage("detect")
        detector = "none" if detect is None else detect.detector.name
        log.info("detector: %s", detector)

        def record(result: FrameResult) -> None:
            recorder.add(result)
            if on_result is not None:
                on_result(result)

        stats = RunStats()
        finished = False
        try:
            stats = run_pipeline(source, pipeline, max_frames, record, pace_speed=pace_speed, concurrent=concurrent)
            finished = True
        finally:
            try:
                written = _write_outputs(pipeline, outputs, recorder, answers, mesh, finished)
            finally:
                pipeline.close()
    return SessionResult(stats, source.info, written, len(recorder), answers, mesh, detector)
