"""Answer backends by name, with the usual local servers' default addresses."""

from __future__ import annotations

from perception.memory.answer.base import AnswerBackend
from perception.memory.answer.grounded import GroundedAnswerer
from perception.memory.answer.http import OllamaBackend, OpenAIBackend
from perception.types import InputError

# name -> (protocol, default base URL)
PRESETS: dict[str, tuple[str, str | None]] = {
    "builtin": ("builtin", None),
    "openai": ("openai", "http://127.0.0.1:8080/v1"),
    "llamacpp": ("openai", "http://127.0.0.1:8080/v1"),
    "vllm": ("openai", "http://127.0.0.1:8000/v1"),
    "ollama-openai": ("openai", "http://127.0.0.1:11434/v1"),
    "ollama": ("ollama", "http://127.0.0.1:11434"),
    "transformers": ("transformers", None),
}


def make_backend(kind: str = "builtin", url: str | None = None, model: str | None = None,
                 api_key_env: str | None = None, timeout_s: float = 60.0, max_images: int = 4,
                 retries: int = 1) -> AnswerBackend:
    """Build an answer backend: 'builtin' (default, no weights), 'openai'/'llamacpp'/'vllm'/'ollama-openai'
    (OpenAI-compatible chat completions), 'ollama' (native API) or 'transformers' (a local model folder
    given as ``url``). The API key is read from the environment variable named by ``api_key_env`` at
    request time and never stored."""
    if kind not in PRESETS:
        raise InputError(f"unknown answer backend {kind!r}; choose one of: {', '.join(PRESETS)}")
    proto, default_url = PRESETS[kind]
    if proto == "builtin":
        return GroundedAnswerer()
    if proto == "transformers":
        if not url:
            raise InputError("the transformers backend needs a model folder (pass it as the URL / path)")
        from perception.memory.answer.local import TransformersBackend

        return TransformersBackend(url, max_images=max_images, timeout_s=timeout_s)
    cls = OpenAIBackend if proto == "openai" else OllamaBackend
    return cls(url or default_url or "", model or "default", api_key_env=api_key_env, timeout_s=timeout_s,
               max_images=max_images, retries=retries)
