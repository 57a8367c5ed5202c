"""Security basics: no unpickling of user files, API keys only from the environment, files written only where the
user chose, and existing outputs never replaced without --overwrite."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO_ROOT

CODE_DIRS = ("perception", "trackers", "app")
UNSAFE_LOADERS = {("pickle", "load"), ("pickle", "loads"), ("pickle", "Unpickler"), ("dill", "load"),
                  ("dill", "loads"), ("joblib", "load"), ("marshal", "loads"), ("shelve", "open"),
                  ("cloudpickle", "load"), ("cloudpickle", "loads")}


def _calls() -> list[tuple[Path, ast.Call]]:
    found = []
    for folder in CODE_DIRS:
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            found += [(path, node) for node in ast.walk(tree) if isinstance(node, ast.Call)]
    return found


def _name(func: ast.expr) -> tuple[str, str] | None:
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id, func.attr
    return None


def _kw(call: ast.Call, name: str):
    return next((k.value for k in call.keywords if k.arg == name), None)


def _where(path: Path, call: ast.Call) -> str:
    return f"{path.relative_to(REPO_ROOT)}:{call.lineno}"


def test_checkpoints_load_with_weights_only():
    bad = [_where(p, c) for p, c in _calls() if _name(c.func) == ("torch", "load")
           and not (isinstance(_kw(c, "weights_only"), ast.Constant) and _kw(c, "weights_only").value is True)]
    assert bad == [], f"torch.load without weights_only=True: {bad}"


def test_no_unpickling_or_eval_of_user_files():
    bad = []
    for path, call in _calls():
        name = _name(call.func)
        if name in UNSAFE_LOADERS:
            bad.append(f"{_where(path, call)} {'.'.join(name)}")
        if name in {("np", "load"), ("numpy", "load")}:
            flag = _kw(call, "allow_pickle")
            if not (isinstance(flag, ast.Constant) and flag.value is False) and flag is not None:
                bad.append(f"{_where(path, call)} np.load(allow_pickle=...)")
        if name == ("yaml", "load") and not isinstance(_kw(call, "Loader"), ast.Attribute):
            bad.append(f"{_where(path, call)} yaml.load without a safe Loader")
        if isinstance(call.func, ast.Name) and call.func.id in {"eval", "exec"}:
            bad.append(f"{_where(path, call)} {call.func.id}()")
    assert bad == [], bad


def test_a_pickle_renamed_as_a_pose_or_det_file_is_refused_without_being_run(tmp_path):
    import pickle

    from perception.io.mot import read_mot
    from perception.sources.rgbd_layouts import load_pose_file
    from perception.types import InputError

    class Evil:
        def __reduce__(self):
            return (Path(tmp_path / "pwned").touch, ())

    for name, reader in (("pose.txt", load_pose_file), ("det.txt", read_mot)):
        (tmp_path / name).write_bytes(pickle.dumps(Evil()))
        with pytest.raises(InputError):
            reader(tmp_path / name)
    assert not (tmp_path / "pwned").exists()


# ----- API keys ----------------------------------------------------------------------------------------------------
class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.server.seen.append(dict(self.headers))
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(b'data: {"choices":[{"delta":{"content":"ok"}}]}\n\ndata: [DONE]\n\n')

    def log_message(self, *args) -> None:
        """Quiet."""


def test_api_keys_come_only_from_the_environment_and_are_never_kept(tmp_path, monkeypatch):
    from perception.memory import MemoryStage, make_backend
    from perception.memory.answer.http import _HTTPBackend
    from perception.types import FramePacket, FrameResult, SourceInfo

    for fn in (make_backend, _HTTPBackend.__init__):  # there is no way to pass a key itself
        assert not [p for p in inspect.signature(fn).parameters if "key" in p and p != "api_key_env"]
    from app.answers import AnswerSettings  # nor to store one in the app's settings

    assert not [f.name for f in dataclasses.fields(AnswerSettings) if "key" in f.name and f.name != "api_key_env"]

    secret = "sk-test-" + os.urandom(8).hex()
    monkeypatch.setenv("PERCEPTION_TEST_VLM_KEY", secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        backend = make_backend("openai", url=f"http://127.0.0.1:{server.server_address[1]}/v1", model="m",
                               api_key_env="PERCEPTION_TEST_VLM_KEY", retries=0, timeout_s=5)
        stage = MemoryStage(backend=backend, narrate=False)
        info = SourceInfo("cam", "memory", 10.0, 32, 24)
        for i in range(3):
            stage.process(FrameResult(FramePacket(i, i / 10, np.zeros((24, 32, 3), np.uint8), info)))
        answer = stage.ask("what is there?").result(30)
        stage.write_answers(tmp_path / "answers.json", timeout=30)
        stage.close()
    finally:
        server.shutdown()
        server.server_close()
    assert answer.text == "ok"
    assert server.seen[0]["Authorization"] == f"Bearer {secret}"
    assert secret not in repr(backend) and secret not in json.dumps(vars(backend), default=str)
    assert secret not in (tmp_path / "answers.json").read_text()


# ----- where files are written -----------------------------------------------------------------------------------------
def _seq(shared_data: Path, root: Path) -> Path:
    seq = root / "seq"
    (seq / "det").mkdir(parents=True)
    shutil.copy(shared_data / "mot/TUD-Campus/seqinfo.ini", seq)
    shutil.copy(shared_data / "mot/TUD-Campus/det/det.txt", seq / "det")
    return seq


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_files_are_written_only_where_the_user_chose(cli, shared_data, tmp_path, monkeypatch):
    seq = _seq(shared_data, tmp_path / "in")
    work, outdir = tmp_path / "cwd", tmp_path / "out"
    work.mkdir()
    outdir.mkdir()
    monkeypatch.chdir(work)
    before = _tree(tmp_path / "in")
    assert cli("track", "--mot-seq", seq, "--out", outdir / "t.json", "--summary-json", outdir / "s.json",
               "-q").code == 0
    assert cli("run", "--source", shared_data / "mot/TUD-Campus", "--max-frames", "3", "--segmenter", "none",
               "--no-memory", "--export-tracks", outdir / "r.txt", "-q").code == 0
    assert _tree(work) == set() and _tree(tmp_path / "in") == before  # nothing beside the inputs or in the cwd
    assert _tree(outdir) == {"t.json", "s.json", "r.txt"}  # exactly what was asked for, no temp files


@pytest.mark.parametrize("command, target", [
    (lambda seq, data, out: ["track", "--mot-seq", seq, "--out", out, "-q"], "existing.txt"),
    (lambda seq, data, out: ["track", "--mot-seq", seq, "--out", out.with_name("new.txt"), "--summary-json", out, "-q"],
     "existing.txt"),
    (lambda seq, data, out: ["run", "--source", data, "--export-tracks", out, "-q"], "existing.txt"),
    (lambda seq, data, out: ["run", "--source", data, "--summary-json", out, "-q"], "existing.txt"),
    (lambda seq, data, out: ["run", "--source", data, "--export-map", out.with_suffix(".ply"), "-q"], "existing.ply"),
    (lambda seq, data, out: ["run", "--source", data, "--export-instances", out.with_suffix(".json"), "-q"],
     "existing.json"),
    (lambda seq, data, out: ["run", "--source", data, "--ask", "what?", "--answers", out.with_suffix(".json"), "-q"],
     "existing.json"),
    (lambda seq, data, out: ["evaluate", "--gt", data / "gt/gt.txt", "--tracks", data / "gt/gt.txt", "--summary-json",
                             out], "existing.txt"),
], ids=["track-out", "track-summary", "run-tracks", "run-summary", "run-map", "run-instances", "run-answers",
        "evaluate-summary"])
def test_existing_outputs_are_never_replaced_without_overwrite(cli, shared_data, tmp_path, command, target):
    (tmp_path / target).write_text("precious\n")
    r = cli(*command(_seq(shared_data, tmp_path), shared_data / "mot/TUD-Campus", tmp_path / "existing.txt"))
    assert r.code == 2 and "already exists" in r.error and "--overwrite" in r.error
    assert (tmp_path / target).read_text() == "precious\n"


def test_batch_summary_is_not_replaced_without_overwrite(cli, shared_data, tmp_path):
    summary = tmp_path / "summary.json"
    summary.write_text("precious\n")
    r = cli("batch", "--inputs", shared_data / "mot/TUD-Campus", "--out", tmp_path / "out", "--max-frames", "2",
            "--segmenter", "none", "--no-memory", "--summary-json", summary, "-q")
    assert r.code == 2 and "already exists" in r.error and "--overwrite" in r.error
    assert summary.read_text() == "precious\n" and not (tmp_path / "out").exists()


def test_gui_save_dialogs_keep_the_overwrite_confirmation():
    source = (REPO_ROOT / "app").rglob("*.py")
    assert not [p.name for p in source if "DontConfirmOverwrite" in p.read_text(encoding="utf-8")]
