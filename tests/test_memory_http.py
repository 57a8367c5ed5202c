"""HTTP VLM backends against a local fake server speaking OpenAI chat completions (SSE) and Ollama's API."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest

from perception.memory import MemoryStage, QuestionSchedule, VideoMemory, make_backend
from perception.memory.answer import collect
from perception.testing.memory_scenes import ScriptedScene

REPLY = ["Object #3 ", "appeared at ", "12.0 s."]


class FakeVLM:
    """A 127.0.0.1 server whose behaviour is set by ``mode``; it records every request."""

    def __init__(self):
        self.mode = "ok"
        self.delay = 0.0
        self.requests: list[tuple[str, dict, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append((self.path, dict(self.headers), body))
                getattr(fake, f"_{fake.mode}")(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def _send(h, ctype: str, lines: list[str], pause: float = 0.0):
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.end_headers()
        for line in lines:
            h.wfile.write(line.encode())
            h.wfile.flush()
            time.sleep(pause)

    def _ok(self, h):
        events = [f"data: {json.dumps({'choices': [{'index': 0, 'delta': {'content': piece}}]})}\n\n" for piece in REPLY]
        self._send(h, "text/event-stream", [": keep-alive\n\n", *events, "data: [DONE]\n\n"], self.delay)

    def _json(self, h):
        self._send(h, "application/json", [json.dumps({"choices": [{"message": {"content": "".join(REPLY)}}]})])

    def _error500(self, h):
        h.send_response(500)
        h.send_header("Content-Type", "application/json")
        h.end_headers()
        h.wfile.write(b'{"error": "model crashed"}')

    def _slow(self, h):
        time.sleep(self.delay)
        self._ok(h)

    def _malformed(self, h):
        self._send(h, "text/event-stream", ["data: {\"choices\": [{\"delta\": {\"content\": \"Hi\"}}]}\n\n", "data: {oops\n\n"])

    def _truncated(self, h):
        self._send(h, "text/event-stream", [f"data: {json.dumps({'choices': [{'delta': {'content': 'Half'}}]})}\n\n"])

    def _ollama(self, h):
        lines = [json.dumps({"message": {"role": "assistant", "content": p}, "done": False}) + "\n" for p in REPLY]
        self._send(h, "application/x-ndjson", [*lines, json.dumps({"done": True}) + "\n"])

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def vlm():
    server = FakeVLM()
    yield server
    server.close()


@pytest.fixture(scope="module")
def snapshot():
    scene = ScriptedScene(seed=4, duration_s=40.0, width=160, height=120)
    mem = VideoMemory()
    for i in range(scene.frames):
        mem.update(scene.result(i))
    return mem.snapshot()


def ask(backend, snap, q="When did object 3 appear?"):
    return collect(q, snap, backend.answer(snap, q), backend.name)


def test_openai_request_shape_and_streamed_reply(vlm, snapshot, monkeypatch):
    monkeypatch.setenv("PERCEPTION_TEST_VLM_KEY", "sk-secret-123")
    backend = make_backend("openai", url=vlm.url + "/v1", model="smolvlm", api_key_env="PERCEPTION_TEST_VLM_KEY", max_images=3)
    chunks = []
    ans = collect("When did object 3 appear?", snapshot, backend.answer(snapshot, "When did object 3 appear?"), "openai", chunks.append)
    assert ans.error is None and ans.text == "".join(REPLY)
    assert [c.text for c in chunks[:3]] == REPLY  # streamed piece by piece
    path, headers, body = vlm.requests[0]
    assert path == "/v1/chat/completions" and headers["Authorization"] == "Bearer sk-secret-123"
    assert body["model"] == "smolvlm" and body["stream"] is True
    system, user = body["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    parts = user["content"]
    assert parts[0]["type"] == "text" and "Timeline (oldest first):" in parts[0]["text"]
    assert all(line in parts[0]["text"] for line in snapshot.timeline[-5:])
    assert "Memory lookup for this question: Object #3" in parts[0]["text"]
    images = [p for p in parts if p["type"] == "image_url"]
    assert 1 <= len(images) <= 3
    for k, p in enumerate(parts):
        if p["type"] == "image_url":
            assert parts[k - 1]["type"] == "text" and parts[k - 1]["text"].startswith("Frame at ")
            url = p["image_url"]["url"]
            assert url.startswith("data:image/jpeg;base64,")
            img = cv2.imdecode(np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
            assert img is not None and img.shape[1] == 160
    assert parts[-1] == {"type": "text", "text": f"Question (asked at {snapshot.time:.1f} s): When did object 3 appear?"}
    born = snapshot.tracks[3].born_t  # question-driven retrieval: a frame showing object 3 is among those sent
    assert any(3 in c.track_ids for c in ans.citations) and ans.citations
    assert born <= snapshot.time
    assert "sk-secret" not in repr(backend) and "sk-secret" not in json.dumps(ans.to_json())


def test_openai_non_streamed_json_reply_is_accepted(vlm, snapshot):
    vlm.mode = "json"
    ans = ask(make_backend("vllm", url=vlm.url, model="m"), snapshot)
    assert ans.error is None and ans.text == "".join(REPLY)
    assert vlm.requests[0][0] == "/v1/chat/completions"


def test_down_endpoint_gives_a_clear_message():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    snap = VideoMemory().snapshot()
    ans = ask(make_backend("llamacpp", url=f"http://127.0.0.1:{port}/v1", retries=1), snap)
    assert "is down (connection refused)" in ans.error and "after 2 tries" in ans.error
    assert ans.text.startswith("[VLM unavailable:")


def test_http_500_is_retried_then_reported(vlm, snapshot):
    vlm.mode = "error500"
    ans = ask(make_backend("openai", url=vlm.url, model="m", retries=1), snapshot)
    assert len(vlm.requests) == 2
    assert "returned HTTP 500" in ans.error and "model crashed" in ans.error


def test_slow_endpoint_times_out(vlm, snapshot):
    vlm.mode, vlm.delay = "slow", 3.0
    t0 = time.perf_counter()
    ans = ask(make_backend("openai", url=vlm.url, model="m", timeout_s=0.4, retries=0), snapshot)
    assert time.perf_counter() - t0 < 2.0
    assert "did not answer within" in ans.error


def test_trickling_reply_past_the_deadline_is_cut(vlm, snapshot):
    vlm.mode, vlm.delay = "ok", 0.3
    ans = ask(make_backend("openai", url=vlm.url, model="m", timeout_s=0.5, retries=0), snapshot)
    assert ans.error and ("within" in ans.error)
    assert ans.text.startswith("Object #3")  # what arrived in time is kept


@pytest.mark.parametrize("mode,message", [("malformed", "malformed reply (bad JSON"), ("truncated", "ended its stream")])
def test_malformed_streams_give_a_clear_message(vlm, snapshot, mode, message):
    vlm.mode = mode
    ans = ask(make_backend("openai", url=vlm.url, model="m"), snapshot)
    assert message in ans.error and len(vlm.requests) == 1  # not retried: the server answered, badly


def test_ollama_native_images_and_ndjson(vlm, snapshot):
    vlm.mode = "ollama"
    ans = ask(make_backend("ollama", url=vlm.url, model="llava", max_images=2), snapshot, "Where was object 3 at 12 s?")
    assert ans.error is None and ans.text == "".join(REPLY)
    path, _, body = vlm.requests[0]
    assert path == "/api/chat" and body["model"] == "llava" and body["stream"] is True
    user = body["messages"][1]
    assert isinstance(user["content"], str) and "Timeline (oldest first):" in user["content"]
    assert 1 <= len(user["images"]) <= 2 and "Frames attached: image 1 at" in user["content"]
    for b64 in user["images"]:
        assert cv2.imdecode(np.frombuffer(base64.b64decode(b64), np.uint8), cv2.IMREAD_COLOR) is not None
    assert any(abs(c.time - 12.0) < 5.0 for c in ans.citations)  # the frame nearest the asked time went along


def test_failing_backend_does_not_stop_the_stream(vlm, tmp_path):
    vlm.mode = "error500"
    sched = QuestionSchedule()
    sched.add("How many objects are visible now?", 1.0)
    stage = MemoryStage(backend=make_backend("openai", url=vlm.url, model="m", retries=0), schedule=sched)
    scene = ScriptedScene(seed=1, duration_s=5.0, width=96, height=72)
    for i in range(scene.frames):
        stage.process(scene.result(i))
    out = json.loads(stage.write_answers(tmp_path / "a.json").read_text())
    stage.close()
    assert out["meta"]["frames"] == scene.frames
    (a,) = out["answers"]
    assert "HTTP 500" in a["error"] and a["answer"].startswith("[VLM unavailable:")
