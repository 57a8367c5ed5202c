"""One recording end to end: open the source, run the chosen pipeline, write the requested outputs.

Shared by the `run` command and batch processing; outputs are written even when the run is cut short.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from perception.io.atomic import check_export_path
from perception.io.exports import TrackRecorder, format_for
from perception.pipeline.factory import PipelineOptions, build_pipeline
from perception.pipeline.runner import RunStats, run_pipeline
from perception.sources import open_source
from perception.types import FrameResult, SourceInfo


@dataclass
class SessionOutputs:
    """Where to write what; None means not requested."""

    tracks: str | Path | None = None
    tracks_format: str | None = None
    overwrite: bool = False

    def paths(self) -> list[Path]:
        """Every requested output path."""
        return [Path(p) for p in (self.tracks,) if p]

    def check(self) -> None:
        """Fail before any work on a path that cannot be written or a format that is unknown."""
        if self.tracks:
            format_for(self.tracks, self.tracks_format)
        for p in self.paths():
            check_export_path(p, overwrite=self.overwrite)


@dataclass
class SessionResult:
    """What a finished (or interrupted) session produced."""

    stats: RunStats
    source: SourceInfo
    written: list[Path]
    track_rows: int

    def summary(self) -> dict:
        """The run summary plus the source name and the files written."""
        s = self.stats.summary()
        s.update({"source": self.source.name, "outputs": [str(p) for p in self.written], "track_rows": self.track_rows})
        return s


def run_session(source_spec: str, options: PipelineOptions, outputs: SessionOutputs, max_frames: int | None = None,
                on_result: Callable[[FrameResult], None] | None = None, pace_speed: float | None = None,
                on_open: Callable[[SourceInfo], None] | None = None) -> SessionResult:
    """Process one recording; outputs are written on success, on error and on Ctrl-C alike."""
    outputs.check()
    recorder = TrackRecorder()
    written: list[Path] = []
    with open_source(source_spec) as source:
        if on_open is not None:
            on_open(source.info)
        pipeline = build_pipeline(options, source.info)

        def record(result: FrameResult) -> None:
            recorder.add(result)
            if on_result is not None:
                on_result(result)

        stats = RunStats()
        try:
            stats = run_pipeline(source, pipeline, max_frames, record, pace_speed=pace_speed)
        finally:
            pipeline.close()
            if outputs.tracks:
                written.append(recorder.write(outputs.tracks, outputs.tracks_format))
    return SessionResult(stats, source.info, written, len(recorder))
