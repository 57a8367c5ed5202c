"""Questions for a run: timed ones asked when the stream reaches their time, untimed ones at the end;
answers exported as JSON with citations."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from perception.io.atomic import atomic_write_text, check_export_path
from perception.memory.answer.base import Answer
from perception.types import InputError


@dataclass(frozen=True)
class ScheduledQuestion:
    """A question and the stream time (seconds) to ask it at; None asks it at the end of the run."""

    question: str
    t: float | None = None


class QuestionSchedule:
    """Questions ordered by time; ``due(t)`` hands out those whose time has come, each once."""

    def __init__(self, items: list[ScheduledQuestion] | None = None):
        items = list(items or [])
        self._timed = sorted((q for q in items if q.t is not None), key=lambda q: q.t)  # type: ignore[arg-type, return-value]
        self._end = [q for q in items if q.t is None]
        self._next = 0

    def add(self, question: str, t: float | None = None) -> None:
        """Schedule one more question (``t=None``: at the end)."""
        q = ScheduledQuestion(_check_question(question, "question"), _check_time(t, "question time"))
        if q.t is None:
            self._end.append(q)
        else:
            self._timed.append(q)
            self._timed[self._next:] = sorted(self._timed[self._next:], key=lambda x: x.t)  # type: ignore[arg-type, return-value]

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> QuestionSchedule:
        """Read a JSON file: a list (or {"questions": [...]}) of strings or {"question": str, "t": seconds}."""
        p = Path(path)
        if not p.is_file():
            raise InputError(f"questions file {p} does not exist")
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"questions file {p} is not valid JSON: {exc}") from None
        if isinstance(data, dict):
            data = data.get("questions")
        if not isinstance(data, list):
            raise InputError(f"questions file {p} must hold a list of questions (or {{\"questions\": [...]}})")
        items = []
        for k, entry in enumerate(data):
            where = f"{p} item {k + 1}"
            if isinstance(entry, str):
                items.append(ScheduledQuestion(_check_question(entry, where)))
                continue
            if not isinstance(entry, dict):
                raise InputError(f"{where}: expected a string or an object with \"question\" and \"t\", got {type(entry).__name__}")
            t = next((entry[k2] for k2 in ("t", "time", "at") if k2 in entry), None)
            items.append(ScheduledQuestion(_check_question(entry.get("question"), where), _check_time(t, where)))
        return cls(items)

    def due(self, t: float) -> list[ScheduledQuestion]:
        """Timed questions whose time is at or before stream time ``t`` and not handed out yet."""
        out = []
        while self._next < len(self._timed) and self._timed[self._next].t <= t + 1e-9:  # type: ignore[operator]
            out.append(self._timed[self._next])
            self._next += 1
        return out

    def remaining(self) -> list[ScheduledQuestion]:
        """Questions not handed out yet (untimed ones, and timed ones the stream never reached); marks them handed out."""
        out = self._timed[self._next:] + self._end
        self._next = len(self._timed)
        self._end = []
        return out

    def __len__(self) -> int:
        return len(self._timed) + len(self._end)


def _check_question(q: object, where: str) -> str:
    if not isinstance(q, str) or not q.strip():
        raise InputError(f"{where}: a question must be a non-empty string")
    return q.strip()


def _check_time(t: object, where: str) -> float | None:
    if t is None:
        return None
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
        raise InputError(f"{where}: time must be a number of seconds >= 0, got {t!r}")
    return float(t)


def write_answers(path: str | os.PathLike[str], answers: list[Answer], meta: dict | None = None) -> Path:
    """Write answers (with citations) as JSON, atomically; returns the path."""
    p = check_export_path(path)
    doc = {"meta": meta or {}, "answers": [a.to_json() for a in answers]}
    atomic_write_text(p, json.dumps(doc, indent=2, default=str) + "\n")
    return p
