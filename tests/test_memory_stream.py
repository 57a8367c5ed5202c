"""Questions asked while frames stream are answered on reader threads without stalling the pipeline."""

from __future__ import annotations

import threading
import time

from perception.memory import AnswerChunk, MemoryStage, QuestionSchedule
from perception.pipeline.runner import Pipeline, PipelineWorker
from perception.testing.memory_scenes import ScriptedScene, ScriptedSource, ScriptedTracksStage


class SlowBackend:
    """Streams five chunks over ~1.5 s, like a VLM on a busy GPU; records when it ran."""

    name = "slow"

    def __init__(self):
        self.spans: list[tuple[float, float]] = []

    def answer(self, snapshot, question):
        t0 = time.perf_counter()
        for k in range(5):
            time.sleep(0.3)
            yield AnswerChunk(f"part{k} ")
        self.spans.append((t0, time.perf_counter()))
        yield AnswerChunk(f"(seen {snapshot.frames} frames)")


def test_pipeline_keeps_its_pace_while_a_slow_answer_streams():
    scene = ScriptedScene(seed=2, duration_s=4.0, fps=30.0, width=96, height=72)
    backend = SlowBackend()
    sched = QuestionSchedule()
    sched.add("How many objects are visible now?", 0.5)
    memory = MemoryStage(backend=backend, schedule=sched)
    chunk_times = []
    memory.service.on_chunk = lambda q, ch: chunk_times.append(time.perf_counter())
    stamps: list[float] = []
    done = threading.Event()
    worker = PipelineWorker(ScriptedSource(scene), Pipeline([ScriptedTracksStage(scene), memory]),
                            on_result=lambda r: stamps.append(time.perf_counter()), on_finished=lambda s: done.set(),
                            pace_speed=1.0)
    worker.start()
    assert done.wait(30)
    (answer,) = memory.finish(timeout=10)
    memory.close()
    assert worker.stats.frames == scene.frames and worker.stats.errors == []
    (a, b), = backend.spans
    during = [t for t in stamps if a <= t <= b]
    gaps = [y - x for x, y in zip(stamps, stamps[1:]) if a <= x <= b]
    assert len(during) >= 0.8 * (b - a) * scene.fps  # about one frame per 1/30 s all the while
    assert max(gaps) < 0.25
    assert answer.text.startswith("part0 part1") and answer.scheduled_t == 0.5
    assert answer.text.endswith("(seen 16 frames)")  # answered from the snapshot taken when it was asked
    assert len(chunk_times) == 6 and chunk_times[-1] - chunk_times[0] > 1.0  # streamed, not delivered at once


def test_questions_from_another_thread_while_streaming():
    scene = ScriptedScene(seed=3, duration_s=3.0, fps=30.0, width=96, height=72)
    memory = MemoryStage()
    done, started = threading.Event(), threading.Event()
    worker = PipelineWorker(ScriptedSource(scene), Pipeline([ScriptedTracksStage(scene), memory]),
                            on_result=lambda r: started.set(), on_finished=lambda s: done.set(), pace_speed=1.0)
    worker.start()
    assert started.wait(10)
    futures = []
    while not done.is_set():
        futures.append(memory.ask("How many distinct objects have been seen so far?"))
        time.sleep(0.1)
    answers = [f.result(timeout=10) for f in futures]
    memory.close()
    frames_seen = [a.frame_index for a in answers]
    assert len(answers) >= 20 and frames_seen == sorted(frames_seen) and frames_seen[-1] > frames_seen[0]
    assert all(a.error is None and isinstance(a.value, int) for a in answers)
