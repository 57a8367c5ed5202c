"""What the CLI calls for ``--ask`` / ``--questions``: build the memory stage, and print answers as text."""

from __future__ import annotations

import os
from collections.abc import Sequence

from perception.memory.answer.base import Answer
from perception.memory.answer.registry import make_backend
from perception.memory.config import MemoryConfig
from perception.memory.questions import QuestionSchedule
from perception.memory.stage import MemoryStage
from perception.memory.understand.embed import IntentMatcher


def make_memory_stage(ask: str | Sequence[str] | None = None, questions: str | os.PathLike[str] | None = None,
                      backend: str = "builtin", url: str | None = None, model: str | None = None,
                      api_key_env: str | None = None, timeout_s: float = 60.0, max_images: int = 4,
                      config: MemoryConfig | None = None, **stage_kwargs) -> MemoryStage:
    """A ready memory stage: ``questions`` (a JSON file) are asked at their times, ``ask`` at the end.

    Bad files, backend names or URLs raise InputError before any frame is read.
    """
    schedule = QuestionSchedule.load(questions) if questions is not None else QuestionSchedule()
    for q in [ask] if isinstance(ask, str) else list(ask or []):
        schedule.add(q)
    answerer = make_backend(backend, url=url, model=model, api_key_env=api_key_env, timeout_s=timeout_s, max_images=max_images)
    if len(schedule):
        IntentMatcher.warm_up()  # the sentence model loads while the stream starts, not at the first unsure question
    return MemoryStage(config=config, backend=answerer, schedule=schedule, **stage_kwargs)


def format_answer(answer: Answer) -> str:
    """Two lines for a terminal: the question with its time, and the answer with its citations."""
    when = f"{answer.asked_at:.1f} s" + (f", scheduled {answer.scheduled_t:.1f} s" if answer.scheduled_t is not None else "")
    cites = "; ".join(f"{c.time:.1f} s" + (" " + " ".join(f"#{i}" for i in c.track_ids) if c.track_ids else "")
                      + (" " + " ".join(f"instance {i}" for i in c.instance_ids) if c.instance_ids else "")
                      for c in answer.citations[:8])
    return f"Q ({when}): {answer.question}\nA: {answer.text}" + (f"\n   cited: {cites}" if cites else "")
