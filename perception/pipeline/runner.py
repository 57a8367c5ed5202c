"""Compose stages, time them, and run them over a source: inline or in a worker thread.

File sources process every frame; live sources drop stale frames so the newest frame wins.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from perception.pipeline.load import QualityGovernor
from perception.pipeline.stage import Stage
from perception.sources.base import FrameSource
from perception.types import FramePacket, FrameResult, InputError, StageError

log = logging.getLogger(__name__)

ErrorPolicy = Literal["continue", "stop"]


class PipelineStopped(RuntimeError):
    """A stage failed and the error policy is 'stop'."""

    def __init__(self, error: StageError):
        super().__init__(str(error))
        self.error = error


class StageTimes:
    """Per-stage wall times: exact running mean, p95 over a bounded recent window."""

    def __init__(self, window: int = 5000):
        self._window = window
        self._recent: dict[str, deque[float]] = {}
        self._sum: dict[str, float] = {}
        self._count: dict[str, int] = {}

    def add(self, stage: str, ms: float) -> None:
        """Record one measurement in milliseconds."""
        if stage not in self._recent:
            self._recent[stage] = deque(maxlen=self._window)
            self._sum[stage] = 0.0
            self._count[stage] = 0
        self._recent[stage].append(ms)
        self._sum[stage] += ms
        self._count[stage] += 1

    def summary(self) -> dict[str, dict[str, float]]:
        """``{stage: {"mean_ms", "p95_ms", "count"}}``."""
        return {
            s: {"mean_ms": self._sum[s] / self._count[s],
                "p95_ms": float(np.percentile(np.fromiter(self._recent[s], float), 95)),
                "count": self._count[s]}
            for s in self._recent
        }


@dataclass
class RunStats:
    """What a run did: frames processed and dropped, wall time, stage timings, errors."""

    frames: int = 0
    dropped: int = 0
    wall_s: float = 0.0
    times: StageTimes = field(default_factory=StageTimes)
    errors: list[StageError] = field(default_factory=list)
    max_errors_kept: int = 1000
    error_count: int = 0
    source_error: str | None = None
    worker_error: str | None = None
    quality: str = "full quality"
    quality_changes: int = 0
    map_frames: int = 0  # frames the 3D map stage handled ...
    keyframes: int = 0  # ... and those it fused into the map (the others were tracked against it)

    @property
    def fps(self) -> float:
        """Processed frames per second of wall time."""
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    def record(self, result: FrameResult) -> None:
        """Account for one processed frame."""
        self.frames += 1
        if "map3d" in result.timings_ms:
            self.map_frames += 1
            self.keyframes += "map3d" not in result.skipped
        for stage, ms in result.timings_ms.items():
            self.times.add(stage, ms)
        for err in result.errors:
            self.error_count += 1
            if len(self.errors) < self.max_errors_kept:
                self.errors.append(err)

    def summary(self) -> dict:
        """JSON-ready summary: ``frames``, ``fps``, ``stages`` (name -> mean_ms, p95_ms), ``keyframes_integrated``
        (frames fused into the 3D map, of ``map_frames`` it handled), and more."""
        return {
            "frames": self.frames,
            "fps": round(self.fps, 3),
            "wall_s": round(self.wall_s, 3),
            "dropped": self.dropped,
            "stages": {k: {"mean_ms": round(v["mean_ms"], 3), "p95_ms": round(v["p95_ms"], 3)}
                       for k, v in self.times.summary().items()},
            "errors": self.error_count,
            "first_errors": [str(e) for e in self.errors[:10]],
            "source_error": self.source_error,
            "worker_error": self.worker_error,
            "quality": self.quality,
            "quality_changes": self.quality_changes,
            "map_frames": self.map_frames,
            "keyframes_integrated": self.keyframes,
        }


class Pipeline:
    """An ordered list of stages applied to each frame, each timed and guarded."""

    def __init__(self, stages: Sequence[Stage] = (), on_error: ErrorPolicy = "continue"):
        names = [s.name for s in stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be unique, got {names}")
        self.stages = list(stages)
        self.on_error = on_error

    def process(self, packet: FramePacket, strides: dict[str, int] | None = None) -> FrameResult:
        """Run every stage on one frame; a failing stage is recorded (or stops the run, by policy).

        ``strides`` (stage name -> N) runs a stage only on every N-th frame (adaptive quality, see load.py): on
        the others a stage with a ``hold(result)`` method repeats its last output, any other is skipped.
        """
        return self.run_stages(FrameResult(packet=packet), strides)

    def run_stages(self, result: FrameResult, strides: dict[str, int] | None = None) -> FrameResult:
        """``process`` on a result whose packet is already wrapped (the concurrent runner's feeder wraps it)."""
        packet = result.packet
        for stage in self.stages:
            stride = 1 if strides is None else strides.get(stage.name, 1)
            if stride > 1 and packet.index % stride:
                hold = getattr(stage, "hold", None)
                if hold is not None:
                    result = hold(result)
                else:
                    result.skipped[stage.name] = f"under load: runs on every {stride} frames"
                continue
            result = self.run_stage(stage, result)
        return result

    def run_stage(self, stage: Stage, result: FrameResult) -> FrameResult:
        """One stage on one frame, timed and guarded (a failure is recorded, or stops the run by policy)."""
        t0 = time.perf_counter()
        try:
            result = stage.process(result)
        except Exception as exc:  # a stage bug must not kill the stream silently
            err = StageError(stage.name, result.index, f"{type(exc).__name__}: {exc}")
            log.warning("%s", err, exc_info=log.isEnabledFor(logging.DEBUG))
            result.errors.append(err)
            if self.on_error == "stop":
                raise PipelineStopped(err) from exc
        finally:
            result.timings_ms[stage.name] = (time.perf_counter() - t0) * 1e3
        return result

    def stage(self, name: str) -> Stage | None:
        """The stage called ``name``, or None when the pipeline has none."""
        return next((s for s in self.stages if s.name == name), None)

    def reset(self) -> None:
        """Reset every stage (new sequence or a seek)."""
        for s in self.stages:
            s.reset()

    def close(self) -> None:
        """Close every stage, even if one fails to close."""
        for s in self.stages:
            try:
                s.close()
            except Exception as exc:
                log.warning("closing stage '%s' failed: %s", s.name, exc)


def paced(packets: Iterable[FramePacket], speed: float) -> Iterable[FramePacket]:
    """Yield packets no faster than their timestamps at ``speed`` x real time."""
    start_wall = start_ts = None
    for p in packets:
        if start_wall is None:
            start_wall, start_ts = time.perf_counter(), p.timestamp
        else:
            due = start_wall + (p.timestamp - start_ts) / speed
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        yield p


def _source_packets(source: FrameSource, stats: RunStats, max_frames: int | None, pace_speed: float | None,
                    should_stop: Callable[[], bool] | None) -> Iterator[FramePacket]:
    """The source's packets up to ``max_frames`` or ``should_stop()``; a device failing mid-stream ends them
    (recorded in ``stats.source_error``); bad data (InputError) is raised."""
    packets = iter(source if pace_speed is None else paced(source, pace_speed))
    sent = 0
    while max_frames is None or sent < max_frames:
        if should_stop is not None and should_stop():
            return
        try:
            packet = next(packets)
        except StopIteration:
            return
        except InputError:  # bad data in the recording: the caller reports it as one line
            raise
        except Exception as exc:  # a device failing mid-stream ends the run, not the program
            stats.source_error = f"{source.info.name}: {exc}"
            log.warning("source failed after %d frames: %s", sent, stats.source_error)
            return
        sent += 1
        yield packet


def governed(pipeline: Pipeline, result: FrameResult, governor: QualityGovernor | None) -> FrameResult:
    """Every stage on one frame, at the quality ``governor`` allows (all of them without one); it learns the time."""
    if governor is None:
        return pipeline.run_stages(result)
    result = pipeline.run_stages(result, governor.current.strides)
    governor.observe(sum(result.timings_ms.values()))
    return result


def run_pipeline(source: FrameSource, pipeline: Pipeline, max_frames: int | None = None,
                 on_result: Callable[[FrameResult], None] | None = None, pace_speed: float | None = None,
                 should_stop: Callable[[], bool] | None = None, concurrent: bool = False,
                 drop_stale: bool | None = None, adaptive: bool | None = None) -> RunStats:
    """Process a source frame by frame; returns the run's statistics.

    Stops at the source's end, after ``max_frames``, when ``should_stop()`` is true, when the device
    fails mid-stream (recorded in ``stats.source_error``), on bad data (InputError, re-raised) or on
    KeyboardInterrupt (re-raised); callers export in ``finally`` either way. ``concurrent`` runs the source
    and each stage on its own thread (perception/pipeline/parallel.py): same results, in the same order; there
    ``drop_stale`` (default: live sources) lets the newest frame win over one still waiting for the first stage
    (counted in ``stats.dropped``) and runs the stages one after another on one thread beside the source: for a
    camera, freshness counts, and stages overlapping on two cores each take longer (they share the GIL).
    ``adaptive`` (default: live sources; not with stages on threads of their own) lets a QualityGovernor run costly
    stages on fewer frames when frames take longer than the source's frame interval, as the window does.
    """
    stats = RunStats()
    t0 = time.perf_counter()
    packets = _source_packets(source, stats, max_frames, pace_speed, should_stop)
    live = source.info.live if drop_stale is None else drop_stale
    stage_threads = concurrent and not live
    adaptive = source.info.live and not stage_threads if adaptive is None else adaptive
    if adaptive and stage_threads:
        raise ValueError("adaptive quality needs the stages on one thread (a live source, or concurrent=False)")
    governor = QualityGovernor(1000.0 / (source.info.fps or 30.0)) if adaptive else None
    if concurrent:
        from perception.pipeline.parallel import process_concurrently

        def count_drops(n: int) -> None:
            stats.dropped += n

        results: Iterator[FrameResult] = process_concurrently(pipeline, packets, on_drop=count_drops if live else None,
                                                              stage_threads=stage_threads, governor=governor)
    else:
        results = (governed(pipeline, FrameResult(packet=p), governor) for p in packets)
    try:
        for result in results:
            if governor is not None:
                stats.quality, stats.quality_changes = governor.current.description, governor.changes
            stats.record(result)
            if on_result is not None:
                on_result(result)
            if should_stop is not None and should_stop():
                break
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
        stats.wall_s = time.perf_counter() - t0
    return stats


_END = object()


def put_newest(q: queue.Queue, item: object, stop: threading.Event) -> int | None:
    """Put ``item`` into ``q`` without waiting, evicting the oldest waiting items (the newest frame wins); returns
    how many were evicted, or None once ``stop`` is set."""
    dropped = 0
    while not stop.is_set():
        try:
            q.put_nowait(item)
            return dropped
        except queue.Full:
            try:
                q.get_nowait()
                dropped += 1
            except queue.Empty:
                continue
    return None


class PipelineWorker:
    """Runs a pipeline on a background thread fed by a reader thread through a bounded queue.

    ``on_result`` and ``on_finished`` are called on the worker thread; a GUI forwards them as signals.
    For live sources the queue keeps only the newest frames (stale ones are dropped and counted), and with
    ``adaptive`` (default: live sources) a QualityGovernor runs costly stages on fewer frames when frames take
    longer than the source's frame interval (``stats.quality`` says what is in force).
    """

    def __init__(self, source: FrameSource, pipeline: Pipeline, on_result: Callable[[FrameResult], None],
                 on_finished: Callable[[RunStats], None] | None = None, queue_size: int = 4,
                 max_frames: int | None = None, pace_speed: float | None = None, drop_stale: bool | None = None,
                 adaptive: bool | None = None):
        self.source = source
        self.pipeline = pipeline
        self.on_result = on_result
        self.on_finished = on_finished
        self.max_frames = max_frames
        self.pace_speed = pace_speed
        self.drop_stale = source.info.live if drop_stale is None else drop_stale
        adaptive = source.info.live if adaptive is None else adaptive
        self.governor = QualityGovernor(1000.0 / (source.info.fps or 30.0)) if adaptive else None
        self.stats = RunStats()
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read_loop, name="frame-reader", daemon=True)
        self._worker = threading.Thread(target=self._work_loop, name="perception-worker", daemon=True)

    @property
    def queue_depth(self) -> int:
        """Frames waiting for the worker."""
        return self._queue.qsize()

    def start(self) -> None:
        """Start reading and processing."""
        self._t0 = time.perf_counter()
        self._reader.start()
        self._worker.start()

    def stop(self) -> None:
        """Ask both threads to finish after the frame in hand."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to finish; True if it did."""
        self._worker.join(timeout)
        if not self._worker.is_alive():
            self._reader.join(1.0)
        return not self._worker.is_alive()

    @property
    def running(self) -> bool:
        """True while the worker thread is alive."""
        return self._worker.is_alive()

    def _put(self, item: object) -> bool:
        """Queue an item; live sources evict the oldest frame at once instead of waiting."""
        if self.drop_stale:
            dropped = put_newest(self._queue, item, self._stop)
            self.stats.dropped += dropped or 0
            return dropped is not None
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _read_loop(self) -> None:
        packets: Iterable[FramePacket] = self.source if self.pace_speed is None else paced(self.source, self.pace_speed)
        sent = 0
        try:
            for packet in packets:
                if self._stop.is_set() or (self.max_frames is not None and sent >= self.max_frames):
                    break
                if not self._put(packet):
                    break
                sent += 1
        except Exception as exc:
            self.stats.source_error = f"{self.source.info.name}: {exc}"
            log.warning("source failed: %s", self.stats.source_error)
        finally:
            while True:  # the end marker must get through even when the queue is full
                try:
                    self._queue.put(_END, timeout=0.05)
                    break
                except queue.Full:
                    if self._stop.is_set():
                        break

    def _process(self, packet: FramePacket) -> FrameResult:
        """One frame, at the quality the governor allows."""
        result = governed(self.pipeline, FrameResult(packet=packet), self.governor)
        if self.governor is not None:
            self.stats.quality, self.stats.quality_changes = self.governor.current.description, self.governor.changes
        return result

    def _work_loop(self) -> None:
        index = -1
        try:
            while not self._stop.is_set():
                try:
                    item = self._queue.get(timeout=0.05)
                except queue.Empty:
                    continue
                if item is _END:
                    break
                index = item.index
                result = self._process(item)
                self.stats.record(result)
                self.on_result(result)
        except PipelineStopped as exc:
            self.stats.errors.append(exc.error)
            self.stats.error_count += 1
        except Exception as exc:  # outside any stage (e.g. a result callback): end and say so, never silently
            self.stats.worker_error = f"perception worker failed on frame {index}: {type(exc).__name__}: {exc}"
            log.error("%s", self.stats.worker_error, exc_info=True)
        finally:
            self._stop.set()
            self.stats.wall_s = time.perf_counter() - self._t0
            if self.on_finished is not None:
                self.on_finished(self.stats)
