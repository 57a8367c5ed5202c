"""The memory as a pipeline stage: writes each frame into memory, narrates, and asks due questions."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from perception.memory.answer.base import Answer, AnswerBackend
from perception.memory.answer.grounded import GroundedAnswerer
from perception.memory.config import MemoryConfig
from perception.memory.narration import Narration, Narrator
from perception.memory.questions import QuestionSchedule, write_answers
from perception.memory.service import AnswerService, ChunkCallback
from perception.memory.store import MemorySnapshot, VideoMemory
from perception.types import FrameResult


class MemoryStage:
    """Pipeline stage "memory" (runs on the pipeline worker); questions are answered on reader threads.

    Adds memory events to ``result.events`` and narration messages to ``result.narration``.
    Reads ``result.image_embedding`` (a pooled image feature, e.g. from SAM) when present.
    """

    name = "memory"

    def __init__(self, config: MemoryConfig | None = None, backend: AnswerBackend | None = None,
                 schedule: QuestionSchedule | None = None, narrate: bool = True,
                 on_narration: Callable[[Narration], None] | None = None, on_chunk: ChunkCallback | None = None,
                 on_answer: Callable[[Answer], None] | None = None, answer_workers: int = 1,
                 narration_interval_s: float = 2.0):
        self.memory = VideoMemory(config)
        self.backend = backend or GroundedAnswerer()
        self.schedule = schedule or QuestionSchedule()
        self.narrator = Narrator(narration_interval_s, on_message=on_narration) if narrate else None
        self.service = AnswerService(self.backend, answer_workers, on_chunk, on_answer)

    def process(self, result: FrameResult) -> FrameResult:
        """Fold the frame into memory, narrate, and submit questions due by this frame's time."""
        events = self.memory.update(result)
        result.events.extend(events)
        t = result.packet.timestamp
        if self.narrator is not None:
            said = self.narrator.feed(events, t)
            if said:
                result.narration.extend(said)
        due = self.schedule.due(t)
        if due:
            snap = self.memory.snapshot()
            for q in due:
                self.service.submit(snap, q.question, q.t)
        return result

    def snapshot(self) -> MemorySnapshot:
        """The memory as of the latest frame."""
        return self.memory.snapshot()

    def ask(self, question: str, on_chunk: ChunkCallback | None = None) -> Future[Answer]:
        """Ask now (any thread): answered from the latest snapshot on a reader thread."""
        return self.service.submit(self.memory.snapshot(), question, None, on_chunk)

    def finish(self, timeout: float | None = None) -> list[Answer]:
        """At the end of a run: ask the questions not asked yet, then wait for every answer."""
        remaining = self.schedule.remaining()
        if remaining:
            snap = self.memory.snapshot()
            for q in remaining:
                self.service.submit(snap, q.question, q.t)
        return self.service.wait(timeout)

    def write_answers(self, path: str | os.PathLike[str], timeout: float | None = None) -> Path:
        """Finish, then write every answer with its citations to ``path`` (JSON, atomic)."""
        answers = self.finish(timeout)
        snap = self.memory.snapshot()
        meta = {"backend": getattr(self.backend, "name", "backend"), "frames": snap.frames,
                "stream_end_s": round(snap.time, 3), "pending": self.service.pending}
        return write_answers(path, answers, meta)

    def reset(self) -> None:
        """Forget the stream (a new sequence or a seek); questions already answered stay answered."""
        self.memory.reset()
        if self.narrator is not None:
            self.narrator.reset()

    def close(self) -> None:
        """Stop the reader threads."""
        self.service.close()
