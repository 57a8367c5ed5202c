"""The reader side: answers questions from immutable snapshots on worker threads, never on the frame path."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures

from perception.memory.answer.base import Answer, AnswerBackend, AnswerChunk, collect
from perception.memory.store import MemorySnapshot

ChunkCallback = Callable[[str, AnswerChunk], None]


class AnswerService:
    """Runs a backend on its own threads; each question gets the snapshot it was asked against."""

    def __init__(self, backend: AnswerBackend, workers: int = 1, on_chunk: ChunkCallback | None = None,
                 on_answer: Callable[[Answer], None] | None = None):
        self.backend = backend
        self.on_chunk = on_chunk
        self.on_answer = on_answer
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="memory-reader")
        self._futures: list[Future[Answer]] = []
        self._lock = threading.Lock()

    def submit(self, snapshot: MemorySnapshot, question: str, scheduled_t: float | None = None,
               on_chunk: ChunkCallback | None = None) -> Future[Answer]:
        """Queue a question; returns at once with a Future of its Answer (chunks stream to the callbacks)."""
        fut = self._pool.submit(self._run, snapshot, question, scheduled_t, on_chunk)
        with self._lock:
            self._futures.append(fut)
        return fut

    def _run(self, snap: MemorySnapshot, question: str, scheduled_t: float | None, on_chunk: ChunkCallback | None) -> Answer:
        def relay(ch: AnswerChunk) -> None:
            for cb in (on_chunk, self.on_chunk):
                if cb is not None:
                    cb(question, ch)

        ans = collect(question, snap, self.backend.answer(snap, question), getattr(self.backend, "name", "backend"), relay)
        ans.scheduled_t = scheduled_t
        if self.on_answer is not None:
            self.on_answer(ans)
        return ans

    def wait(self, timeout: float | None = None) -> list[Answer]:
        """Wait for every submitted question (up to ``timeout`` s); answers in the order asked (finished ones only)."""
        with self._lock:
            futs = list(self._futures)
        wait_futures(futs, timeout=timeout)
        return [f.result() for f in futs if f.done() and not f.cancelled() and f.exception() is None]

    @property
    def pending(self) -> int:
        """Questions not answered yet."""
        with self._lock:
            return sum(not f.done() for f in self._futures)

    def close(self) -> None:
        """Stop taking questions; drop those not started."""
        self._pool.shutdown(wait=False, cancel_futures=True)
