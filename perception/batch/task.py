"""One recording as a unit of work: runs in a worker process (pool or Ray) and returns its manifest record.

The worker writes only into the recording's own folder; the driver alone appends to the manifest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import socket
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from perception.batch import layout
from perception.io.atomic import atomic_write_text
from perception.pipeline.factory import PipelineOptions
from perception.pipeline.session import run_session
from perception.types import InputError, SourceInfo


@dataclass(frozen=True)
class RecordingTask:
    """Everything a worker needs to process one recording (picklable)."""

    spec: str
    key: str
    out_dir: str
    options: PipelineOptions
    tracks_format: str = "mot"
    max_frames: int | None = None
    threads: int | None = None

    @property
    def folder(self) -> Path:
        """The recording's output folder."""
        return Path(self.out_dir) / self.key

    @property
    def fingerprint(self) -> str:
        """A hash of everything that changes the outputs; finished work made otherwise is redone."""
        settings = {"options": dataclasses.asdict(self.options), "tracks_format": self.tracks_format,
                    "max_frames": self.max_frames}
        return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENCV_FFMPEG_THREADS")


def limit_threads(n: int) -> None:
    """Keep this worker to ``n`` threads in OpenCV, BLAS/OpenMP and torch, so parallel workers do not oversubscribe."""
    import cv2

    for var in THREAD_ENV:
        os.environ[var] = str(n)
    cv2.setNumThreads(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the millisecond."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def worker_name() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def error_message(exc: BaseException) -> str:
    """One line: the message of bad input, or the exception type and message of anything else."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text if isinstance(exc, InputError) else f"{type(exc).__name__}: {text}".rstrip(": ")


def failed_record(task: RecordingTask, error: str, **extra) -> dict:
    """The manifest record of a recording that produced nothing."""
    return {"input": task.spec, "key": task.key, "status": "failed", "outputs": [], "frames": 0,
            "error": error, "timings": {}, **extra}


def run_task(task: RecordingTask) -> dict:
    """Process one recording into its folder; never raises for a bad recording (the record says why)."""
    started, t0 = now_iso(), time.perf_counter()
    folder = task.folder
    if task.threads is not None:
        limit_threads(task.threads)
    try:
        layout.clear(folder, task.tracks_format)
        folder.mkdir(parents=True, exist_ok=True)
        outputs = layout.session_outputs(folder, task.tracks_format)

        def add_map_outputs(info: SourceInfo) -> None:  # known only once the source is open: does it have depth?
            if task.options.map3d_for(info):
                layout.add_map_outputs(outputs, folder)

        session = run_session(task.spec, task.options, outputs, task.max_frames, on_open=add_map_outputs)
        summary = session.summary()
        files = {p.name: layout.file_digest(p) for p in session.written}
        atomic_write_text(folder / layout.SUMMARY_NAME, json.dumps(
            {"input": task.spec, "key": task.key, "fingerprint": task.fingerprint,
             "options": dataclasses.asdict(task.options), "tracks_format": task.tracks_format,
             "max_frames": task.max_frames, "files": files, "session": summary}, indent=2, default=str) + "\n")
        record = {"input": task.spec, "key": task.key, "status": "done",
                  "outputs": [f"{task.key}/{name}" for name in (*files, layout.SUMMARY_NAME)],
                  "frames": summary["frames"], "stage_errors": summary["errors"], "error": None,
                  "timings": {"pipeline_s": summary["wall_s"], "fps": summary["fps"], "stages": summary["stages"]}}
    except Exception as exc:
        with contextlib.suppress(Exception):
            layout.clear(folder, task.tracks_format)
        record = failed_record(task, error_message(exc))
        if not isinstance(exc, InputError):
            record["traceback"] = traceback.format_exc(limit=-4)
    except BaseException:
        with contextlib.suppress(Exception):
            layout.clear(folder, task.tracks_format)
        raise
    record.setdefault("timings", {})["task_s"] = round(time.perf_counter() - t0, 3)
    record.update(worker=worker_name(), started=started, finished=now_iso())
    return record
