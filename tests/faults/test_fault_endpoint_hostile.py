"""Hostile or broken answer endpoints (servers on 127.0.0.1 only): a drip-fed reply, a redirect to another
host, an endpoint that echoes the request, a flood, a dead endpoint asked many times, escape sequences."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from perception.io.safe_text import printable
from perception.memory import make_backend
from perception.memory.answer.base import collect
from perception.memory.store import VideoMemory
from perception.types import FramePacket, FrameResult, SourceInfo, Tracks

KEY = "sk-live-0123456789abcdef"
GOOD = b'data: {"choices":[{"delta":{"content":"A red box."}}]}\n\ndata: [DONE]\n\n'


class _Hostile(BaseHTTPRequestHandler):
    """Behaviour set by ``server.mode``; every request's path and Authorization header is logged."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        mode = self.server.mode
        if mode == "drip":  # headers at once, then one byte a second, forever
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for _ in range(30):
                self.wfile.write(b"d")
                self.wfile.flush()
                time.sleep(1.0)
        elif mode == "redirect":
            self.send_response(307)
            self.send_header("Location", self.server.target + "/v1/chat/completions")
            self.end_headers()
        elif mode == "echo":  # an error page that quotes the request headers
            text = f"bad request; you sent Authorization: {self.headers.get('Authorization')}".encode()
            self.send_response(400)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
        elif mode == "flood":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            chunk = b" " * (1 << 20)
            try:
                for _ in range(50):
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif mode == "escape":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b'data: {"choices":[{"delta":{"content":"ok\\u001b[2J\\u001b]0;pwned\\u0007 done"}}]}\n\n'
                             b"data: [DONE]\n\n")
        else:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(GOOD)
        del body

    def log_message(self, *args) -> None:
        """Quiet."""


def _serve(mode: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    server.mode, server.seen, server.target = mode, [], ""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def servers() -> Iterator[list]:
    made: list[ThreadingHTTPServer] = []
    yield made
    for s in made:
        s.shutdown()
        s.server_close()


def _url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


@pytest.fixture
def snapshot():
    memory = VideoMemory()
    info = SourceInfo("cam", "memory", 10.0, 64, 48)
    for i in range(5):
        memory.update(FrameResult(FramePacket(i, i / 10, np.zeros((48, 64, 3), np.uint8), info),
                                  tracks=Tracks(np.array([[4.0, 4, 30, 30]]), np.array([1]))))
    return memory.snapshot()


def _ask(backend, snap):
    return collect("what is there?", snap, backend.answer(snap, "what is there?"), backend.name)


def test_a_drip_fed_reply_is_cut_at_the_overall_deadline(servers, snapshot):
    servers.append(_serve("drip"))
    t0 = time.perf_counter()
    ans = _ask(make_backend("openai", url=_url(servers[0]), model="m", timeout_s=1.5, retries=0), snapshot)
    assert time.perf_counter() - t0 < 4.0, "a byte a second kept the answer waiting past its deadline"
    assert ans.error and "did not answer within" in ans.error


def test_the_key_does_not_follow_a_redirect_to_another_host(servers, snapshot, monkeypatch):
    monkeypatch.setenv("HOSTILE_TEST_KEY", KEY)
    elsewhere = _serve("ok")
    redirecting = _serve("redirect")
    servers += [elsewhere, redirecting]
    elsewhere_url = f"http://localhost:{elsewhere.server_address[1]}"  # same machine, another origin
    redirecting.target = elsewhere_url
    ans = _ask(make_backend("openai", url=_url(redirecting), model="m", api_key_env="HOSTILE_TEST_KEY",
                            timeout_s=5, retries=0), snapshot)
    assert ans.error is None and ans.text == "A red box."
    assert redirecting.seen[0][1] == f"Bearer {KEY}"
    assert elsewhere.seen and elsewhere.seen[0][1] is None, "the API key was sent to the redirect target"


def test_a_server_echoing_the_key_never_gets_it_printed_or_saved(servers, snapshot, monkeypatch):
    monkeypatch.setenv("HOSTILE_TEST_KEY", KEY)
    servers.append(_serve("echo"))
    ans = _ask(make_backend("openai", url=_url(servers[0]), model="m", api_key_env="HOSTILE_TEST_KEY",
                            timeout_s=5, retries=0), snapshot)
    assert ans.error and "HTTP 400" in ans.error and "[redacted]" in ans.error
    assert KEY not in ans.text and KEY not in str(ans.to_json())


def test_a_50_mb_reply_is_refused(servers, snapshot):
    servers.append(_serve("flood"))
    ans = _ask(make_backend("openai", url=_url(servers[0]), model="m", timeout_s=20, retries=0), snapshot)
    assert ans.error and "larger than" in ans.error


def test_many_questions_to_a_dead_endpoint_end_quickly_and_say_so_once(snapshot, caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = make_backend("openai", url=f"http://127.0.0.1:{port}/v1", model="m", timeout_s=5, retries=1)
    t0 = time.perf_counter()
    answers = [_ask(backend, snapshot) for _ in range(300)]
    assert time.perf_counter() - t0 < 10.0
    assert all(a.error for a in answers)
    assert "connection refused" in answers[0].error and "skipped" in answers[-1].error
    assert sum("failed 3 times in a row" in r.getMessage() for r in caplog.records) == 1


def test_escape_sequences_in_an_answer_are_not_printed_raw(servers, snapshot):
    servers.append(_serve("escape"))
    ans = _ask(make_backend("openai", url=_url(servers[0]), model="m", timeout_s=5, retries=0), snapshot)
    shown = printable(ans.text)
    assert "\x1b" not in shown and "\x07" not in shown and shown.startswith("ok") and shown.endswith("done")
