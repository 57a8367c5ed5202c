"""The answer-backend contract: ``answer(snapshot, question)`` yields text chunks; the last may carry citations."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from perception.io.safe_text import redact
from perception.memory.store import MemorySnapshot


@dataclass(frozen=True)
class Citation:
    """Evidence for an answer: a stream time, and the tracks / 3D instances / frame it refers to."""

    time: float
    track_ids: tuple[int, ...] = ()
    instance_ids: tuple[int, ...] = ()
    frame_index: int | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"time": round(self.time, 3), "track_ids": list(self.track_ids),
                "instance_ids": list(self.instance_ids), "frame_index": self.frame_index}


@dataclass(frozen=True)
class AnswerChunk:
    """A piece of a streamed answer. ``value`` is a machine-readable answer (built-in backend only);
    ``error`` says why a backend could not answer (the text then explains it to the user)."""

    text: str = ""
    citations: tuple[Citation, ...] = ()
    value: Any = None
    error: str | None = None


@dataclass
class Answer:
    """A complete answer, as collected from a backend's chunks."""

    question: str
    asked_at: float
    text: str = ""
    value: Any = None
    citations: list[Citation] = field(default_factory=list)
    backend: str = ""
    latency_ms: float = 0.0
    error: str | None = None
    frame_index: int = -1
    scheduled_t: float | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (sets become sorted lists)."""
        value = self.value
        if isinstance(value, dict):
            value = {k: sorted(v) if isinstance(v, (set, frozenset)) else v for k, v in value.items()}
        return {"question": self.question, "t": self.scheduled_t, "asked_at": round(self.asked_at, 3),
                "frame_index": self.frame_index,
                "answer": self.text, "value": value, "citations": [c.to_json() for c in self.citations],
                "backend": self.backend, "latency_ms": round(self.latency_ms, 1), "error": self.error}


@runtime_checkable
class AnswerBackend(Protocol):
    """Anything that answers a question about a memory snapshot, streaming its reply."""

    name: str

    def answer(self, snapshot: MemorySnapshot, question: str) -> Iterator[AnswerChunk]:
        """Yield the reply in chunks; never raise for endpoint trouble (yield a chunk with ``error``)."""
        ...


def collect(question: str, snapshot: MemorySnapshot, chunks: Iterable[AnswerChunk], backend: str,
            on_chunk: Callable[[AnswerChunk], None] | None = None) -> Answer:
    """Drain a chunk stream into an Answer, passing each chunk to ``on_chunk`` as it arrives."""
    t0 = time.perf_counter()
    ans = Answer(question, snapshot.time, backend=backend, frame_index=snapshot.frame_index)
    parts: list[str] = []
    try:
        for ch in chunks:
            if on_chunk is not None:
                on_chunk(ch)
            parts.append(ch.text)
            ans.citations.extend(ch.citations)
            if ch.value is not None:
                ans.value = ch.value
            if ch.error is not None:
                ans.error = ch.error
    except Exception as exc:  # a backend bug must not take the stream down
        ans.error = redact(f"{backend} failed: {type(exc).__name__}: {exc}")
        parts.append(f" [{ans.error}]")
    ans.text = "".join(parts).strip()
    ans.latency_ms = (time.perf_counter() - t0) * 1e3
    return ans
