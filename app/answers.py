"""Answer backends for the chat, picked by name from what perception.memory provides."""

from __future__ import annotations

from dataclasses import dataclass

from perception.types import InputError


@dataclass
class AnswerSettings:
    """Which answer backend the chat uses and where it lives ('' = the backend's default)."""

    backend: str = "builtin"
    endpoint: str = ""
    model: str = ""
    api_key_env: str = ""  # the name of an environment variable holding the key; the key itself is never stored


MEMORY_OFF = "The streaming memory is off: tick 'Streaming memory' in the Pipeline panel and press Apply."


def backend_names() -> list[str]:
    """Answer backends this install offers ('builtin' needs no server)."""
    try:
        from perception.memory.answer.registry import PRESETS
    except ImportError:
        return ["builtin"]
    return list(PRESETS)


def default_endpoint(kind: str) -> str:
    """The usual local address of a backend kind ('' for builtin or unknown)."""
    try:
        from perception.memory.answer.registry import PRESETS
    except ImportError:
        return ""
    return PRESETS.get(kind, ("", None))[1] or ""


def make_backend(settings: AnswerSettings):
    """An AnswerBackend for ``settings``; InputError with a way forward if it cannot be built."""
    if settings.backend == "builtin":
        from perception.memory.answer import GroundedAnswerer

        return GroundedAnswerer()
    try:
        from perception.memory.answer.registry import make_backend as build
    except ImportError:
        raise InputError(f"the '{settings.backend}' answer backend is not installed; choose 'builtin' in the "
                         "Pipeline panel") from None
    return build(settings.backend, url=settings.endpoint or None, model=settings.model or None,
                 api_key_env=settings.api_key_env or None)
