"""VLM backends over HTTP: any OpenAI-compatible chat-completions server (llama.cpp, vLLM, Ollama /v1)
and Ollama's native /api/chat. Sends the memory timeline plus timestamped keyframes, streams the reply.

Endpoint trouble (down, HTTP error, too slow, malformed stream) never raises: it ends the answer with a
chunk whose ``error`` says what went wrong, so the app goes on.
"""

from __future__ import annotations

import abc
import base64
import http.client
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlparse

from perception.io.safe_text import redact, register_secret
from perception.memory.answer.base import AnswerChunk, Citation
from perception.memory.answer.prompt import SYSTEM_PROMPT, memory_text, question_keyframes
from perception.memory.star import FrameRecord
from perception.memory.store import MemorySnapshot
from perception.types import InputError

log = logging.getLogger(__name__)

MAX_REPLY_BYTES = 4 << 20  # a chat answer is a few kB; more is a misbehaving server
MAX_ERROR_BODY = 300
MAX_REDIRECTS = 3
REDIRECTS = (301, 302, 303, 307, 308)
BREAKER_FAILURES = 3  # consecutive failed answers before the endpoint is skipped
BREAKER_COOLDOWN_S = 30.0


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


def _origin(url: str) -> tuple[str, str, int | None]:
    p = urlparse(url)
    return p.scheme, (p.hostname or "").lower(), p.port or {"http": 80, "https": 443}.get(p.scheme)


def _open(url: str, body: bytes, headers: dict[str, str], deadline: float
          ) -> tuple[http.client.HTTPConnection, socket.socket, http.client.HTTPResponse, str]:
    """POST to ``url``, following up to MAX_REDIRECTS redirects with the same body; the Authorization header
    never goes to another origin. Returns the connection, its socket, the response and the final URL."""
    for _ in range(MAX_REDIRECTS + 1):
        p = urlparse(url)
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError()
        cls = http.client.HTTPSConnection if p.scheme == "https" else http.client.HTTPConnection
        conn = cls(p.hostname, p.port, timeout=left)
        try:
            conn.request("POST", (p.path or "/") + (f"?{p.query}" if p.query else ""), body, headers)
            sock = conn.sock
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            resp = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        location = resp.getheader("Location")
        if resp.status not in REDIRECTS or not location:
            return conn, sock, resp, url
        conn.close()
        target = urljoin(url, location)
        if urlparse(target).scheme not in ("http", "https"):
            raise EndpointError(f"{url} redirected to a non-HTTP address; not followed", False)
        if _origin(target) != _origin(url):
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        url = target
    raise EndpointError(f"{url}: more than {MAX_REDIRECTS} redirects; not followed", False)


def _chunks(sock: socket.socket, resp: http.client.HTTPResponse, deadline: float, cap: int, url: str,
            cap_is_error: bool = True) -> Iterator[bytes]:
    """The response body as it arrives; every read is bounded by the overall deadline, the total by ``cap``."""
    total = 0
    while total <= cap:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError()
        sock.settimeout(left)
        data = resp.read1(min(65536, cap - total + 1))
        if not data:
            return
        total += len(data)
        if total > cap:
            if cap_is_error:
                raise EndpointError(f"{url} sent a reply larger than {cap >> 20} MB; it was cut", False)
            data = data[:len(data) - (total - cap)]
        yield data


def _lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Lines (without their newline) of a chunked byte stream; a last unterminated line too."""
    rest = b""
    for chunk in chunks:
        *lines, rest = (rest + chunk).split(b"\n")
        yield from lines
    if rest:
        yield rest


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
        if api_key_env is not None:
            register_secret(os.environ[api_key_env])  # hidden from anything printed or saved
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
        self._breaker_lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0

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
            key = os.environ.get(self.api_key_env, "")
            register_secret(key)
            h["Authorization"] = f"Bearer {key}"
        return h

    # --- how it is sent ------------------------------------------------------------------------
    def answer(self, snapshot: MemorySnapshot, question: str) -> Iterator[AnswerChunk]:
        """Stream the model's reply; on endpoint trouble end with a clear error chunk (secrets redacted)."""
        skipped = self._breaker_says()
        if skipped:
            yield AnswerChunk(f"[VLM unavailable: {skipped}]", error=skipped)
            return
        frames = self.keyframes(snapshot, question)
        payload = self.payload(snapshot, question, frames)
        cites = self.citations(frames)
        for attempt in range(self.retries + 1):
            sent = False
            try:
                for piece in self._stream(payload):
                    sent = True
                    yield AnswerChunk(redact(piece))
                self._record(ok=True)
                yield AnswerChunk("", cites)
                return
            except EndpointError as exc:
                if sent or not exc.retryable or attempt == self.retries:
                    tries = f" (after {attempt + 1} tries)" if attempt else ""
                    msg = redact(f"{exc}{tries}")
                    self._record(ok=False, why=msg)
                    yield AnswerChunk(f"{' ' if sent else ''}[VLM unavailable: {msg}]", cites if sent else (), error=msg)
                    return
                time.sleep(min(self.backoff_s * 2 ** attempt, BREAKER_COOLDOWN_S))

    # --- circuit breaker: a failing endpoint is skipped for a while instead of being waited on per question ---
    def _breaker_says(self) -> str | None:
        """Why this answer is skipped (the endpoint failed repeatedly and is resting), or None to try it."""
        with self._breaker_lock:
            left = self._open_until - time.monotonic()
            if left <= 0:
                return None
            return (f"{self.base_url} skipped: it failed {self._failures} times in a row; "
                    f"trying again in {left:.0f} s")

    def _record(self, ok: bool, why: str = "") -> None:
        with self._breaker_lock:
            if ok:
                self._failures, self._open_until = 0, 0.0
                return
            self._failures += 1
            if self._failures >= BREAKER_FAILURES:
                if self._open_until == 0.0:
                    log.warning("answer endpoint %s failed %d times in a row (last: %s); skipping it for %.0f s",
                                self.base_url, self._failures, why, BREAKER_COOLDOWN_S)
                self._open_until = time.monotonic() + BREAKER_COOLDOWN_S

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
        """POST ``payload`` and yield the reply's text within one overall deadline (connect and whole body)."""
        url = self._endpoint()
        deadline = time.monotonic() + self.timeout_s
        conn = None
        got_body = False
        try:
            conn, sock, resp, url = _open(url, json.dumps(payload).encode(), self._headers(), deadline)
            if resp.status >= 400:
                body = b"".join(_chunks(sock, resp, deadline, MAX_ERROR_BODY, url, cap_is_error=False))
                text = " ".join(body[:MAX_ERROR_BODY].decode("utf-8", "replace").split())
                raise EndpointError(f"{url} returned HTTP {resp.status} {resp.reason}" + (f": {text}" if text else ""),
                                    resp.status >= 500 or resp.status == 429)
            if (resp.getheader("Content-Type") or "").startswith("application/json"):  # ignored stream: true
                yield self._whole(b"".join(_chunks(sock, resp, deadline, MAX_REPLY_BYTES, url)))
                return
            done = False
            for line in _lines(_chunks(sock, resp, deadline, MAX_REPLY_BYTES, url)):
                got_body = True
                line = line.decode("utf-8", "replace").strip()
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
        except TimeoutError:
            raise EndpointError(f"{url} did not answer within {self.timeout_s:g} s", not got_body) from None
        except ConnectionRefusedError:
            raise EndpointError(f"{url} is down (connection refused)", True) from None
        except socket.gaierror as exc:
            raise EndpointError(f"{url} is unreachable ({exc.strerror})", True) from None
        except (http.client.HTTPException, OSError) as exc:
            raise EndpointError(f"{url} dropped the connection ({type(exc).__name__})", True) from None
        finally:
            if conn is not None:
                conn.close()

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
