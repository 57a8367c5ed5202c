"""Answer backends for the chat, picked by name from what perception.memory provides; and the memory lookup."""

from __future__ import annotations

import importlib

from app.pipeline_panel import AnswerSettings
from perception.types import InputError

MEMORY_OFF = "The streaming memory is off: tick 'Streaming memory' in the Pipeline panel and press Apply."


def memory_of(stage) -> object | None:
    """The object with ``snapshot()`` behind a "memory" stage (the stage itself or its ``memory``), or None."""
    if stage is None:
        return None
    for candidate in (getattr(stage, "memory", None), stage):
        if candidate is not None and callable(getattr(candidate, "snapshot", None)):
            return candidate
    return None


def make_backend(settings: AnswerSettings):
    """An AnswerBackend for ``settings``; InputError with a way forward if it is not available."""
    answer = importlib.import_module("perception.memory.answer")
    if settings.backend == "builtin":
        return answer.GroundedAnswerer()
    build = getattr(answer, "build_backend", None)
    if build is None:
        raise InputError(f"the '{settings.backend}' answer backend is not installed; choose 'builtin' in the Pipeline panel")
    if not settings.endpoint:
        raise InputError(f"the '{settings.backend}' backend needs an endpoint URL: set it in the Pipeline panel")
    return build(settings.backend, endpoint=settings.endpoint, model=settings.model or None)
