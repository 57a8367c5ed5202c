"""The batch driver: plan the work, skip what is finished, dispatch the rest, log every outcome.

Only this (driver) process appends to the manifest; a lock file keeps a second batch out of the folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from perception.batch import layout
from perception.batch.engines import ENGINES, available_cores, run_local, run_ray
from perception.batch.inputs import recording_keys
from perception.batch.manifest import LOCK_NAME, Manifest
from perception.batch.task import RecordingTask, now_iso
from perception.io.paths import is_within
from perception.pipeline.factory import PipelineOptions
from perception.types import InputError

SLOWEST_SHOWN = 3


@dataclass
class BatchConfig:
    """What to process, where to, how, and on which engine."""

    inputs: Sequence[str]
    out_dir: str | os.PathLike[str]
    options: PipelineOptions = field(default_factory=PipelineOptions)
    tracks_format: str = "mot"
    max_frames: int | None = None
    engine: str = "local"
    workers: int | None = None
    ray_address: str | None = None
    cpus_per_task: float = 1.0
    gpus_per_task: float = 0.0

    def threads_per_task(self) -> int:
        """Each worker's share of threads: the cores split between local workers, or the Ray CPU hint."""
        if self.engine == "ray":
            return max(1, round(self.cpus_per_task))
        return max(1, available_cores() // min(self.workers or available_cores(), len(self.inputs)))

    def tasks(self) -> list[RecordingTask]:
        """One task per input, each with its own output folder."""
        keys = recording_keys(self.inputs)
        return [RecordingTask(spec, keys[spec], str(Path(self.out_dir).resolve()), self.options,
                              self.tracks_format, self.max_frames, self.threads_per_task()) for spec in self.inputs]


@dataclass
class BatchSummary:
    """Counts, frames and speed of one batch run."""

    done: int = 0
    failed: int = 0
    skipped: int = 0
    frames: int = 0
    wall_s: float = 0.0
    records: list[dict] = field(default_factory=list)

    @property
    def fps(self) -> float:
        """Frames processed in this run per second of batch wall time."""
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    def add(self, record: dict) -> None:
        """Count one manifest record."""
        setattr(self, record["status"], getattr(self, record["status"]) + 1)
        if record["status"] == "done":
            self.frames += record["frames"]
        self.records.append(record)

    def slowest(self, n: int = SLOWEST_SHOWN) -> list[dict]:
        """The ``n`` recordings processed in this run that took longest."""
        ran = [r for r in self.records if r["status"] != "skipped"]
        return sorted(ran, key=lambda r: r["timings"].get("task_s", 0.0), reverse=True)[:n]

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return {"done": self.done, "failed": self.failed, "skipped": self.skipped, "frames": self.frames,
                "wall_s": round(self.wall_s, 3), "fps": round(self.fps, 3),
                "slowest": [{"input": r["input"], "task_s": r["timings"].get("task_s"), "frames": r["frames"],
                             "status": r["status"]} for r in self.slowest()],
                "failures": [{"input": r["input"], "error": r["error"]} for r in self.records if r["status"] == "failed"]}


@contextlib.contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """Hold the folder's batch lock (released by the OS even if this process is killed)."""
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise InputError(f"cannot write to the output folder {folder}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"another batch is writing to {folder}") from None
        yield
    finally:
        os.close(fd)


def check_out_dir(out: Path, inputs: Sequence[str]) -> None:
    """Refuse an output folder that is, contains or lies inside a recording: batch never writes among its inputs."""
    for spec in inputs:
        if not os.path.exists(spec):
            continue  # synthetic:NAME and other non-path specs
        if is_within(spec, out):
            raise InputError(f"--out {out} contains the input {spec}; choose an output folder outside the recordings")
        if os.path.isdir(spec) and is_within(out, spec):
            raise InputError(f"--out {out} lies inside the input folder {spec}; choose a folder outside it")


def _skipped_record(task: RecordingTask, summary: dict) -> dict:
    return {"input": task.spec, "key": task.key, "status": "skipped", "error": None,
            "outputs": [f"{task.key}/{name}" for name in (*summary["files"], layout.SUMMARY_NAME)],
            "frames": summary["session"]["frames"], "timings": {}}


def _dispatch(config: BatchConfig, tasks: list[RecordingTask]) -> Iterator[dict]:
    if config.engine == "local":
        return run_local(tasks, config.workers)
    return run_ray(tasks, config.workers, config.ray_address, config.cpus_per_task, config.gpus_per_task)


def run_batch(config: BatchConfig, on_plan: Callable[[int, int], None] | None = None,
              on_record: Callable[[dict], None] | None = None) -> BatchSummary:
    """Process every recording not already complete; ``on_plan(to_run, skipped)`` then ``on_record`` per outcome."""
    if config.engine not in ENGINES:
        raise InputError(f"unknown engine '{config.engine}'; choose one of: {', '.join(ENGINES)}")
    if config.workers is not None and config.workers < 1:
        raise InputError(f"--workers must be at least 1, got {config.workers}")
    out = Path(config.out_dir)
    check_out_dir(out, config.inputs)
    if out.exists() and not out.is_dir():
        raise InputError(f"cannot write the batch to {out}: it is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder {out}: {exc.strerror}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise InputError(f"cannot write to the output folder {out}: permission denied")
    summary, run_id, t0 = BatchSummary(), now_iso(), time.perf_counter()
    with _exclusive(out):
        manifest = Manifest(out)

        def log(record: dict) -> None:
            record["run"] = run_id
            manifest.append(record)
            summary.add(record)
            if on_record is not None:
                on_record(record)

        todo, skipped = [], []
        for task in config.tasks():
            finished = layout.is_complete(task.folder, task.spec, task.fingerprint)
            if finished is None:
                todo.append(task)
            else:
                skipped.append(_skipped_record(task, finished))
        if on_plan is not None:
            on_plan(len(todo), len(skipped))
        for record in skipped:
            log(record)
        try:
            if todo:
                for record in _dispatch(config, todo):
                    log(record)
        finally:
            summary.wall_s = time.perf_counter() - t0
    return summary
