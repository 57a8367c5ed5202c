"""An answer endpoint that misbehaves: the answer says what went wrong in one message, the memory stage keeps
taking frames, and the next question is answered once the endpoint is back."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from perception.memory import MemoryStage, make_backend
from perception.types import FramePacket, FrameResult, SourceInfo, Tracks

INFO = SourceInfo("cam", "memory", 10.0, 160, 120)
TIMEOUT_S = 1.0
GOOD = b'data: {"choices":[{"delta":{"content":"A red box, #1."}}]}\n\ndata: [DONE]\n\n'


class _Endpoint(BaseHTTPRequestHandler):
    """An OpenAI-style chat endpoint whose behaviour the test switches through ``server.mode``."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        mode = self.server.mode
        if mode == "500":
            self.send_error(500, "model crashed")
            return
        if mode == "stall":
            time.sleep(3 * TIMEOUT_S)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if mode == "stall-mid-stream":
            self.wfile.write(b'data: {"choices":[{"delta":{"content":"A red"}}]}\n\n')
            self.wfile.flush()
            time.sleep(3 * TIMEOUT_S)
            return
        self.wfile.write(b"data: {this is not json\n\n" if mode == "malformed" else GOOD)

    def log_message(self, *args) -> None:
        """Quiet."""


@pytest.fixture
def endpoint() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    server.daemon_threads = True
    server.mode = "ok"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _frame(i: int) -> FrameResult:
    img = np.full((120, 160, 3), 60, np.uint8)
    img[30:70, 40:90] = (30, 30, 220)
    return FrameResult(FramePacket(i, i / 10.0, img, INFO), tracks=Tracks(np.array([[40.0, 30, 90, 70]]), np.array([1])))


def _stage(url: str) -> MemoryStage:
    stage = MemoryStage(backend=make_backend("openai", url=url, model="m", timeout_s=TIMEOUT_S, retries=0),
                        narrate=False)
    for i in range(12):
        stage.process(_frame(i))
    return stage


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_endpoint_refusing_connections():
    stage = _stage(f"http://127.0.0.1:{_free_port()}/v1")  # nothing listens there
    try:
        ans = stage.ask("what is there?").result(30)
        assert ans.error and "connection refused" in ans.error
        assert ans.text.count("VLM unavailable") == 1
        stage.process(_frame(12))  # the stream goes on
        assert stage.snapshot().frames == 13
    finally:
        stage.close()


@pytest.mark.parametrize("mode, message", [
    ("500", "returned HTTP 500"),
    ("stall", f"did not answer within {TIMEOUT_S:.0f} s"),
    ("stall-mid-stream", f"did not answer within {TIMEOUT_S:.0f} s"),
    ("malformed", "malformed"),
])
def test_endpoint_failure_is_one_message_and_the_next_question_works(endpoint, mode, message):
    stage = _stage(f"http://127.0.0.1:{endpoint.server_address[1]}/v1")
    try:
        endpoint.mode = mode
        t0 = time.perf_counter()
        ans = stage.ask("what is there?").result(30)
        assert time.perf_counter() - t0 < 2.5 * TIMEOUT_S + 1  # a stall is cut at the timeout, not waited out
        assert ans.error and message in ans.error, ans.error
        assert ans.text.count("VLM unavailable") == 1 and message in ans.text
        stage.process(_frame(12))
        endpoint.mode = "ok"
        again = stage.ask("what is there?").result(30)
        assert again.error is None and again.text == "A red box, #1."
    finally:
        stage.close()
