"""VLM backends over HTTP: any OpenAI-compatible chat-completions server (llama.cpp, vLLM, Ollama /v1)
and Ollama's native /api/chat. Sends the memory timeline plus timestamped keyframes, streams the reply.

Endpoint trouble (down, HTTP error, too slow, malformed stream) never raises: it ends the answer with a
chunk whose ``error`` says what went wrong, so the app goes on.
"""

from __future__ import annotations

import abc
import base64
import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from perception.memory.answer.base import AnswerChunk, Citation
from perception.memory.answer.prompt import SYSTEM_PROMPT, memory_text, question_keyframes
from perception.memory.star import FrameRecord
from perception.memory.store import MemorySnapshot
from perception.types import InputError

class EndpointError(Exception):
    """The endpoint failed; ``retryable`` when trying again may help (down, 5xx, timeout)."""

    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def _check_url(url: str) -> str:
    p = urlparse(url)
    if p.scheme not in ("http", "https") or not p.netloc:
        raise InputError(f"VLM endpoint must be an http(s) URL like http://127.0.0.1:8080/v1, got {url!r}")
    return url.rstrip("/")


class _HTTPBackend(abc.ABC):
    """Shared request building, retries and error reporting of the HTTP backends."""

    name = "http"

    def __init__(self, base_url: str, model: str, api_key_env: str | None = None, timeout_s: float = 60.0,
                 retries: int = 1, backoff_s: float = 0.5, max_images: int = 4, timeline_lines: int = 120,
                 object_lines: int = 40, max_tokens: int = 512, temperature: float = 0.2):
        self.base_url = _check_url(base_url)
        if not model:
            raise InputError("a VLM backend needs a model name")
        if api_key_env is not None and not os.environ.get(api_key_env):
            raise InputError(f"environment variable {api_key_env} (the VLM API key) is not set")
        if timeout_s <= 0 or retries < 0 or max_images < 0:
            raise InputError("VLM timeout must be > 0, retries >= 0 and max_images >= 0")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_images = max_images
        self.timeline_lines = timeline_lines
        self.object_lines = object_lines
        self.max_tokens = max_tokens
        self.temperature = temperature

    def __repr__(self) -> str:  # never shows the key
        return f"{type(self).__name__}({self.base_url!r}, model={self.model!r})"

    # --- what is sent ------------------------------------------------------------------------
    def memory_text(self, snap: MemorySnapshot, question: str) -> str:
        """The memory as prompt text (see perception.memory.answer.prompt)."""
        return memory_text(snap, question, self.timeline_lines, self.object_lines)

    def keyframes(self, snap: MemorySnapshot, question: str) -> list[FrameRecord]:
        """Frames for this question (see perception.memory.answer.prompt)."""
        return question_keyframes(snap, question, self.max_images)

    def citations(self, frames: list[FrameRecord]) -> tuple[Citation, ...]:
        """The frames sent, as citations."""
        return tuple(Citation(r.time, r.track_ids, r.instance_ids, r.frame_index) for r in frames)

    def _headers(self) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "text/event-stream, application/json"}
        if self.api_key_env:
            h["Authorization"] = f"Bearer {os.environ.get(self.api_key_env, '')}"
        return h

    # --- how it is sent ------------------------------------------------------------------------
    def answer(self, snapshot: MemorySnapshot, question: str) -> Iterator[AnswerChunk]:
        """Stream the model's reply; on endpoint trouble end with a clear error chunk."""
        frames = self.keyframes(snapshot, question)
        payload = self.payload(snapshot, question, frames)
        cites = self.citations(frames)
        for attempt in range(self.retries + 1):
            sent = False
            try:
                for piece in self._stream(payload):
                    sent = True
                    yield AnswerChunk(piece)
                yield AnswerChunk("", cites)
                return
            except EndpointError as exc:
                if sent or not exc.retryable or attempt == self.retries:
                    tries = f" (after {attempt + 1} tries)" if attempt else ""
                    msg = f"{exc}{tries}"
                    yield AnswerChunk(f"{' ' if sent else ''}[VLM unavailable: {msg}]", cites if sent else (), error=msg)
                    return
                time.sleep(self.backoff_s * 2 ** attempt)

    @abc.abstractmethod
    def payload(self, snap: MemorySnapshot, question: str, frames: list[FrameRecord]) -> dict[str, Any]:
        """The JSON request body."""

    @abc.abstractmethod
    def _endpoint(self) -> str:
        """The URL posted to."""

    @abc.abstractmethod
    def _pieces(self, line: str) -> tuple[str | None, bool]:
        """Text in one line of the streamed body, and whether the stream is finished."""

    def _stream(self, payload: dict[str, Any]) -> Iterator[str]:
        url = self._endpoint()
        req = urllib.request.Request(url, json.dumps(payload).encode(), self._headers(), method="POST")
        deadline = time.monotonic() + self.timeout_s
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                ctype = resp.headers.get("Content-Type", "")
                if ctype.startswith("application/json"):  # a server that ignored stream: true
                    yield self._whole(resp.read())
                    return
                done = False
                for raw in resp:
                    if time.monotonic() > deadline:
                        raise EndpointError(f"{url} did not finish its reply within {self.timeout_s:.0f} s", False)
                    line = raw.decode("utf-8", "replace").strip()
                    if not line:
                        continue
                    text, done = self._pieces(line)
                    if text:
                        yield text
                    if done:
                        break
                if not done:
                    raise EndpointError(f"{url} ended its stream before saying it was done (malformed stream)", False)
        except EndpointError:
            raise
        except urllib.error.HTTPError as exc:
            body = exc.read()[:300].decode("utf-8", "replace").strip()
            raise EndpointError(f"{url} returned HTTP {exc.code} {exc.reason}" + (f": {body}" if body else ""),
                                exc.code >= 500 or exc.code == 429) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise EndpointError(f"{url} did not answer within {self.timeout_s:.0f} s", True) from None
            if isinstance(reason, ConnectionRefusedError):
                raise EndpointError(f"{url} is down (connection refused)", True) from None
            raise EndpointError(f"{url} is unreachable ({reason})", True) from None
        except (TimeoutError, socket.timeout):
            raise EndpointError(f"{url} did not answer within {self.timeout_s:.0f} s", True) from None
        except (ConnectionError, OSError) as exc:
            raise EndpointError(f"{url} dropped the connection ({exc})", True) from None

    @abc.abstractmethod
    def _whole(self, body: bytes) -> str:
        """Text of a non-streamed reply body."""


def _malformed(url: str, what: str) -> EndpointError:
    return EndpointError(f"{url} sent a malformed reply ({what})", False)


class OpenAIBackend(_HTTPBackend):
    """OpenAI-compatible /v1/chat/completions (llama.cpp llama-server, vLLM, Ollama's /v1, ...)."""

    name = "openai"

    def _endpoint(self) -> str:
        base = self.base_url if self.base_url.endswith("/v1") else f"{self.base_url}/v1"
        return f"{base}/chat/completions"

    def payload(self, snap: MemorySnapshot, question: str, frames: list[FrameRecord]) -> dict[str, Any]:
        """The chat request: memory text, then each frame as a timestamp line plus a JPEG data URL, then the question."""
        content: list[dict[str, Any]] = [{"type": "text", "text": self.memory_text(snap, question)}]
        for r in frames:
            ids = ", ".join(f"#{i}" for i in r.track_ids) or "none"
            content.append({"type": "text", "text": f"Frame at {r.time:.1f} s (objects visible: {ids}):"})
            content.append({"type": "image_url",
                            "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(r.jpeg).decode()}})
        content.append({"type": "text", "text": f"Question (asked at {snap.time:.1f} s): {question}"})
        return {"model": self.model, "stream": True, "max_tokens": self.max_tokens, "temperature": self.temperature,
                "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": content}]}

    def _pieces(self, line: str) -> tuple[str | None, bool]:
        if line.startswith(":") or line.startswith(("event:", "id:", "retry:")):
            return None, False
        if not line.startswith("data:"):
            raise _malformed(self._endpoint(), f"unexpected line {line[:60]!r}")
        data = line[5:].strip()
        if data == "[DONE]":
            return None, True
        try:
            obj = json.loads(data)
        except json.JSONDecodeError:
            raise _malformed(self._endpoint(), f"bad JSON in event {data[:60]!r}") from None
        if isinstance(obj, dict) and "error" in obj:
            raise EndpointError(f"{self._endpoint()} reported an error: {obj['error']}", False)
        try:
            choice = obj["choices"][0]
            text = (choice.get("delta") or {}).get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise _malformed(self._endpoint(), f"no choices[0].delta in {data[:60]!r}") from None
        return text, False

    def _whole(self, body: bytes) -> str:
        try:
            return json.loads(body)["choices"][0]["message"]["content"] or ""
        except (json.JSONDecodeError, KeyError, IndexError, TypeError):
            raise _malformed(self._endpoint(), f"no choices[0].message in {body[:60]!r}") from None


class OllamaBackend(_HTTPBackend):
    """Ollama's native /api/chat: images go as a base64 list on the user message; NDJSON streaming."""

    name = "ollama"

    def _endpoint(self) -> str:
        return f"{self.base_url}/api/chat"

    def payload(self, snap: MemorySnapshot, question: str, frames: list[FrameRecord]) -> dict[str, Any]:
        """The chat request: text lists the frames' times in order; ``images`` holds them as base64 JPEGs."""
        times = "; ".join(f"image {k + 1} at {r.time:.1f} s (objects {', '.join(f'#{i}' for i in r.track_ids) or 'none'})"
                          for k, r in enumerate(frames))
        text = self.memory_text(snap, question) + (f"\nFrames attached: {times}." if frames else "") \
            + f"\nQuestion (asked at {snap.time:.1f} s): {question}"
        return {"model": self.model, "stream": True, "options": {"temperature": self.temperature, "num_predict": self.max_tokens},
                "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                             {"role": "user", "content": text, "images": [base64.b64encode(r.jpeg).decode() for r in frames]}]}

    def _pieces(self, line: str) -> tuple[str | None, bool]:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            raise _malformed(self._endpoint(), f"bad JSON line {line[:60]!r}") from None
        if not isinstance(obj, dict):
            raise _malformed(self._endpoint(), f"not an object: {line[:60]!r}")
        if "error" in obj:
            raise EndpointError(f"{self._endpoint()} reported an error: {obj['error']}", False)
        msg = obj.get("message")
        if msg is not None and not isinstance(msg, dict):
            raise _malformed(self._endpoint(), f"bad message in {line[:60]!r}")
        return (msg or {}).get("content") or "", bool(obj.get("done"))

    def _whole(self, body: bytes) -> str:
        try:
            return json.loads(body)["message"]["content"] or ""
        except (json.JSONDecodeError, KeyError, TypeError):
            raise _malformed(self._endpoint(), f"no message in {body[:60]!r}") from None
