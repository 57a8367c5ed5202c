"""The one verified downloader against a local HTTP server: progress, checksum, truncated transfers, resume,
servers that ignore ranges, cancel, and the offline message; the one cache folder."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from perception import paths
from perception.download import DownloadCancelled, cached_download, download, part_path
from perception.types import InputError

DATA = bytes(range(256)) * 4000  # 1,024,000 bytes
SHA = hashlib.sha256(DATA).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    mode = "ok"  # ok | truncate | norange
    ranges: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server API)
        rng = self.headers.get("Range")
        type(self).ranges.append(rng or "")
        start = int(rng.split("=")[1].split("-")[0]) if rng and self.mode != "norange" else 0
        body = DATA[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(DATA) - 1}/{len(DATA)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if self.mode == "truncate" else body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    _Handler.mode, _Handler.ranges = "ok", []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}/weights-{SHA[:8]}.pth"
    httpd.shutdown()
    httpd.server_close()


def test_progress_checksum_and_atomic_rename(server, tmp_path):
    _, url = server
    seen = []
    out = download(url, tmp_path / "w.pth", sha256=SHA, progress=lambda d, t: seen.append((d, t)), chunk=100_000)
    assert out.read_bytes() == DATA
    assert seen[-1] == (len(DATA), len(DATA)) and [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.pth"]


def test_checksum_mismatch_keeps_nothing(server, tmp_path):
    _, url = server
    with pytest.raises(InputError, match="checksum"):
        download(url, tmp_path / "w.pth", sha256="0" * 64)
    assert not list(tmp_path.iterdir())


def test_truncated_transfer_is_kept_and_resumed(server, tmp_path):
    _, url = server
    dest = tmp_path / "w.pth"
    _Handler.mode = "truncate"
    with pytest.raises(InputError, match="resume from 512000 bytes"):
        download(url, dest, sha256=SHA)
    assert not dest.exists() and part_path(dest).stat().st_size == len(DATA) // 2
    _Handler.mode = "ok"
    download(url, dest, sha256=SHA)
    assert dest.read_bytes() == DATA and not part_path(dest).exists()
    assert _Handler.ranges[-1] == f"bytes={len(DATA) // 2}-"


def test_server_ignoring_ranges_restarts_clean(server, tmp_path):
    _, url = server
    dest = tmp_path / "w.pth"
    part_path(dest).write_bytes(b"stale bytes that are not a prefix")
    _Handler.mode = "norange"
    download(url, dest, sha256=SHA)
    assert dest.read_bytes() == DATA


def test_cancel_removes_the_partial_file(server, tmp_path):
    _, url = server
    cancel = threading.Event()
    with pytest.raises(DownloadCancelled, match="cancelled"):
        download(url, tmp_path / "w.pth", progress=lambda d, t: cancel.set(), cancel=cancel, chunk=10_000)
    assert not list(tmp_path.iterdir())


def test_cache_hit_offline_message_and_unreachable_host(server, tmp_path, monkeypatch):
    _, url = server
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "cache"))
    folder = paths.cache_dir("models")
    assert folder == tmp_path / "cache" / "models" and folder.is_dir()
    name = url.rsplit("/", 1)[1]
    with pytest.raises(InputError) as err:
        cached_download(url, folder, allow_download=False, what="the test weights")
    assert name in str(err.value) and url in str(err.value) and str(folder / name) in str(err.value)
    got = cached_download(url, folder)  # the name's hash prefix is checked
    assert got.read_bytes() == DATA
    count = len(_Handler.ranges)
    assert cached_download(url, folder, allow_download=False) == got and len(_Handler.ranges) == count
    with pytest.raises(InputError, match="to install it by hand, download http://127.0.0.1:1/x.pth and put it at"):
        download("http://127.0.0.1:1/x.pth", tmp_path / "x.pth", timeout_s=2)
    assert not list(tmp_path.glob(".x.pth*"))


def test_sam_checkpoints_live_in_the_one_cache(tmp_path, monkeypatch):
    from perception.segmentation.sam.checkpoints import cache_dir, resolve_checkpoint

    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path))
    assert cache_dir() == tmp_path / "sam"
    with pytest.raises(InputError, match="sam_vit_b_01ec64.pth.*dl.fbaipublicfiles.com.*" + str(tmp_path / "sam")):
        resolve_checkpoint("vit_b", allow_download=False)
    (tmp_path / "sam" / "sam_vit_b_01ec64.pth").write_bytes(b"x")
    assert resolve_checkpoint("vit_b", allow_download=False) == Path(tmp_path / "sam" / "sam_vit_b_01ec64.pth")
