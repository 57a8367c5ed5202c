"""Run a pipeline beside its source: the source on one thread and the stages on one thread each (or all on one, for
live sources), joined by bounded queues, results in order.

While the map integrates frame t, the segmenter already works on frame t+1 (NumPy, OpenCV and Open3D release the
GIL). Each stage still sees every frame once and in order, so results equal ``Pipeline.process`` frame by frame
(for a live source, every frame that was not dropped as stale).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

from perception.pipeline.load import QualityGovernor
from perception.pipeline.runner import Pipeline, governed, put_newest
from perception.pipeline.stage import Stage
from perception.types import FramePacket, FrameResult

_END = object()


class _Failure:
    """An exception raised upstream (source or stage), carried downstream to be re-raised in order."""

    def __init__(self, exc: BaseException):
        self.exc = exc


class _Lanes:
    """The bounded queues between the feeder, the stage threads and the consumer, with one stop flag."""

    def __init__(self, n: int, depth: int):
        self.queues = [queue.Queue(maxsize=depth) for _ in range(n)]
        self.stop = threading.Event()

    def put(self, lane: int, item: object) -> bool:
        """Put into ``lane`` unless the run was stopped; False when stopped."""
        while not self.stop.is_set():
            try:
                self.queues[lane].put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def replace(self, lane: int, item: FrameResult) -> int:
        """Put ``item`` into ``lane`` without waiting: frames still waiting there make way (the newest frame wins);
        returns how many were dropped."""
        return put_newest(self.queues[lane], item, self.stop) or 0

    def get(self, lane: int) -> object:
        """The next item of ``lane``; ``_END`` once the run was stopped."""
        while not self.stop.is_set():
            try:
                return self.queues[lane].get(timeout=0.05)
            except queue.Empty:
                continue
        return _END


def _feed(packets: Iterator[FramePacket], lanes: _Lanes, on_drop: Callable[[int], None] | None) -> None:
    try:
        for packet in packets:
            if lanes.stop.is_set():
                return
            if on_drop is None:
                if not lanes.put(0, FrameResult(packet=packet)):
                    return
            else:
                dropped = lanes.replace(0, FrameResult(packet=packet))
                if dropped:
                    on_drop(dropped)
        lanes.put(0, _END)
    except BaseException as exc:  # carried to the consumer, which re-raises it after the frames before it
        lanes.put(0, _Failure(exc))


def _work(pipeline: Pipeline, stages: list[Stage] | None, lane: int, lanes: _Lanes,
          governor: QualityGovernor | None = None) -> None:
    """Run ``stages`` in turn (None: the whole pipeline, at the quality ``governor`` allows) on each frame taken from
    ``lane``; pass the result on to the next lane."""
    while True:
        item = lanes.get(lane)
        try:
            if stages is None and isinstance(item, FrameResult):
                item = governed(pipeline, item, governor)
            for stage in stages or ():
                if not isinstance(item, FrameResult):
                    break
                item = pipeline.run_stage(stage, item)
        except BaseException as exc:  # the error policy said stop: end the run after the frames before it
            item = _Failure(exc)
        if not lanes.put(lane + 1, item) or not isinstance(item, FrameResult):
            return


def process_concurrently(pipeline: Pipeline, packets: Iterator[FramePacket], depth: int = 1,
                         on_drop: Callable[[int], None] | None = None, stage_threads: bool = True,
                         governor: QualityGovernor | None = None) -> Iterator[FrameResult]:
    """Yield ``pipeline.process(p)`` for each packet, in order, with the source on its own thread and every stage on
    its own (``stage_threads``) or all stages on one.

    ``depth`` frames wait between two threads at most (1 keeps latency low and still overlaps every stage).
    With ``on_drop`` (live sources) the source never waits: a frame the first stage has not taken yet when the
    next one arrives is dropped and ``on_drop(count)`` told, so results stay as fresh as the camera.
    An exception from the source or a stage (policy "stop") is re-raised here after the results before it;
    closing the iterator early stops every thread. ``governor`` (stages on one thread only) chooses the quality.
    """
    if governor is not None and stage_threads:
        raise ValueError("adaptive quality needs the stages on one thread (stage_threads=False)")
    groups: list[list[Stage] | None] = [[s] for s in pipeline.stages] if stage_threads else [None]
    n = len(groups)
    lanes = _Lanes(n + 1, max(1, depth))
    threads = [threading.Thread(target=_feed, args=(packets, lanes, on_drop), name="pipeline-source", daemon=True)]
    threads += [threading.Thread(target=_work, args=(pipeline, group, k, lanes, governor), daemon=True,
                                 name=f"stage-{group[0].name}" if group else "pipeline-stages")
                for k, group in enumerate(groups)]
    for t in threads:
        t.start()
    try:
        while True:
            item = lanes.get(n)
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        lanes.stop.set()
        for t in threads:
            t.join(timeout=1.0)
