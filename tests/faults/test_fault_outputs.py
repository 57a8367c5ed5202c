"""Outputs never touch inputs and are checked together before any work; batch keeps to its own files;
the track recorder stays small however long the stream; batch workers end with their driver."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import psutil
import pytest

from perception.io.exports import TrackRecorder
from perception.types import FramePacket, FrameResult, SourceInfo, Tracks
from tests.conftest import REPO_ROOT


def _video(path: Path, frames: int = 6, size: tuple[int, int] = (64, 48)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, size)
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()
    return path


def _images(folder: Path, n: int = 3) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        cv2.imwrite(str(folder / f"{i:06d}.png"), np.full((24, 32, 3), 40 * i, np.uint8))
    return folder


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- batch never writes among its inputs ---------------------------------------------------------------------
def test_batch_refuses_an_out_folder_that_holds_the_inputs(cli, tmp_path):
    data = tmp_path / "data"
    a, b = _images(data / "scene-a"), _images(data / "scene-b")
    before = _tree(data)
    r = cli("batch", "--inputs", a, b, "--out", data, "-q")
    assert r.code == 2 and "contains the input" in r.error
    assert _tree(data) == before


def test_batch_with_out_dot_from_inside_the_recordings_folder_is_refused(cli, tmp_path, monkeypatch):
    _images(tmp_path / "rec" / "scene1")
    monkeypatch.chdir(tmp_path / "rec")
    before = _tree(tmp_path / "rec")
    r = cli("batch", "--inputs", "scene1", "--out", ".", "-q")
    assert r.code == 2 and "contains the input" in r.error
    assert _tree(tmp_path / "rec") == before


def test_batch_refuses_an_out_folder_inside_an_input_folder(cli, tmp_path):
    scene = _images(tmp_path / "scene")
    r = cli("batch", "--inputs", scene, "--out", scene / "results", "-q")
    assert r.code == 2 and "inside the input folder" in r.error and not (scene / "results").exists()


def test_list_files_that_include_each_other_are_one_error(cli, tmp_path):
    (tmp_path / "a.txt").write_text("b.txt\n")
    (tmp_path / "b.txt").write_text("a.txt\n")
    r = cli("batch", "--inputs", tmp_path / "a.txt", "--out", tmp_path / "out", "-q")
    assert r.code == 2 and "includes itself" in r.error


def test_recording_names_never_take_the_manifest_or_grow_past_file_name_limits():
    from perception.batch import recording_keys

    keys = recording_keys(["/r/manifest.jsonl.avi", "/r/" + "x" * 400 + ".mp4", "/r/MANIFEST.JSONL.mp4"])
    assert "manifest.jsonl" not in {k.lower() for k in keys.values()}
    assert all(len(k.encode()) <= 120 for k in keys.values())


def test_batch_clears_only_its_own_files_even_with_a_crafted_summary(tmp_path):
    from perception.batch import layout

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "out" / "rec"
    folder.mkdir(parents=True)
    (folder / "notes.md").write_text("mine")
    (folder / "tracks.txt").write_text("old tracks")
    (folder / "summary.json").write_text(json.dumps({"files": {"../../victim.txt": {}, "notes.md": {}}}))
    layout.clear(folder, "mot")
    assert victim.read_text() == "precious" and (folder / "notes.md").read_text() == "mine"
    assert not (folder / "tracks.txt").exists() and not (folder / "summary.json").exists()


def test_a_linked_recording_folder_is_not_emptied(tmp_path):
    from perception.batch import layout
    from perception.types import InputError

    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "tracks.txt").write_text("not batch's")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "rec").symlink_to(target)
    with pytest.raises(InputError, match="is a link"):
        layout.clear(tmp_path / "out" / "rec", "mot")
    assert (target / "tracks.txt").exists()


def test_batch_summary_json_cannot_take_a_recordings_folder_name(cli, tmp_path):
    video = _video(tmp_path / "clip.avi")
    (tmp_path / "out").mkdir()
    r = cli("batch", "--inputs", video, "--out", tmp_path / "out", "--summary-json", tmp_path / "out" / "clip", "-q")
    assert r.code == 2 and "would take the name" in r.error


def test_batch_into_a_read_only_folder_is_one_error(cli, tmp_path, tmpfs):
    video = _video(tmp_path / "clip.avi")
    ro = tmpfs("64k", readonly=True)
    r = cli("batch", "--inputs", video, "--out", ro, "-q")
    assert r.code == 2 and "cannot write" in r.error


# --- every output checked together, before any work ----------------------------------------------------------
def test_the_same_path_for_two_outputs_is_refused_before_any_work(cli, tmp_path):
    video = _video(tmp_path / "clip.avi")
    same = tmp_path / "same.json"
    r = cli("run", "--source", video, "--no-memory", "--export-tracks", same, "--summary-json", same, "-q")
    assert r.code == 2 and "name the same file" in r.error and not same.exists()


def test_a_map_export_without_depth_is_refused_before_the_tracks_are_replaced(cli, tmp_path):
    video = _video(tmp_path / "clip.avi")
    tracks = tmp_path / "t.txt"
    tracks.write_text("previous run\n")
    r = cli("run", "--source", video, "--no-memory", "--export-tracks", tracks, "--export-map", tmp_path / "m.ply",
            "--overwrite", "-q")
    assert r.code == 2 and "3D map" in r.error
    assert tracks.read_text() == "previous run\n" and "frames:" not in r.out


def test_an_output_that_is_an_input_is_refused_even_with_overwrite(cli, tmp_path):
    seq = tmp_path / "seq"
    (seq / "det").mkdir(parents=True)
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=s\nframeRate=10\nseqLength=3\nimWidth=64\nimHeight=48\n")
    det = seq / "det" / "det.txt"
    det.write_text("1,-1,1,1,10,10,1,-1,-1,-1\n")
    r = cli("track", "--mot-seq", seq, "--out", det, "--overwrite", "-q")
    assert r.code == 2 and "is an input" in r.error and det.read_text() == "1,-1,1,1,10,10,1,-1,-1,-1\n"


def test_eval3d_summary_is_not_replaced_without_overwrite(cli, tmp_path):
    existing = tmp_path / "ap.json"
    existing.write_text("{}")
    r = cli("eval3d", "--scene", "synthetic:0", "--summary-json", existing)
    assert r.code == 2 and "already exists" in r.error and existing.read_text() == "{}"


def test_answers_without_questions_is_refused(cli, tmp_path):
    r = cli("run", "--source", _video(tmp_path / "c.avi"), "--answers", tmp_path / "a.json", "-q")
    assert r.code == 2 and "--answers" in r.error


# --- the track recorder: frame-keyed, on disk, exact RLE -----------------------------------------------------
INFO = SourceInfo("t", "test", 10.0, 160, 120)


def _frame(i: int, n: int = 5, masks: bool = True, seed: int = 0) -> FrameResult:
    rng = np.random.default_rng(seed + i)
    boxes = np.column_stack([rng.uniform(0, 80, (n, 2)), rng.uniform(90, 150, (n, 2))])
    m = rng.random((n, 120, 160)) > 0.5 if masks else None
    r = FrameResult(FramePacket(i, i / 10, np.zeros((120, 160, 3), np.uint8), INFO))
    r.tracks = Tracks(boxes, np.arange(1, n + 1), masks=m)
    return r


def test_recorder_memory_stays_flat_over_a_long_stream_with_masks():
    r = _frame(0, 5, masks=False)
    masks = np.zeros((5, 120, 160), bool)
    for k in range(5):
        masks[k, 10 + 15 * k:60 + 15 * k, 5 + 20 * k:70 + 20 * k] = True  # object-like masks: ~130 runs each
    r.tracks = Tracks(r.tracks.xyxy, r.tracks.ids, masks=masks)
    proc = psutil.Process()
    with TrackRecorder() as rec:
        for i in range(200):
            r.packet = FramePacket(i, i / 10, r.packet.image, INFO)
            rec.add(r)
        before = proc.memory_info().rss
        for i in range(200, 4200):  # held in memory as RLE lists, these masks would take about 25 MB
            r.packet = FramePacket(i, i / 10, r.packet.image, INFO)
            rec.add(r)
        grown = proc.memory_info().rss - before
        assert len(rec) == 21000
    assert grown < 10e6, f"RSS grew {grown / 1e6:.1f} MB over 4000 frames of tracks with masks"


def test_recorder_replaces_a_frame_added_again_and_counts_it_once(tmp_path):
    with TrackRecorder() as rec:
        rec.add(_frame(0, 3, masks=False))
        rec.add(_frame(1, 3, masks=False))
        rec.add(_frame(1, 2, masks=False, seed=9))  # processed again after a seek
        assert len(rec) == 5
        doc = json.loads(rec.write(tmp_path / "t.json").read_text())
    assert [len(f["tracks"]) for f in doc["frames"]] == [3, 2]


def test_recorder_drops_rows_with_non_finite_boxes(tmp_path):
    r = _frame(0, 2, masks=False)
    r.tracks.xyxy[1] = [np.inf, 0, np.nan, 1]
    with TrackRecorder() as rec:
        rec.add(r)
        text = rec.write(tmp_path / "t.txt").read_text()
    assert len(text.splitlines()) == 1 and "nan" not in text and rec.skipped_rows == 1


def test_json_export_masks_decode_equal_with_pycocotools(tmp_path):
    mask_api = pytest.importorskip("pycocotools.mask")
    originals = [_frame(i, 4) for i in range(3)]
    originals[0].tracks.masks[0, 0, 0] = True  # a mask that starts with ones
    with TrackRecorder() as rec:
        for r in originals:
            rec.add(r)
        doc = json.loads(rec.write(tmp_path / "t.json").read_text())
    for f, r in zip(doc["frames"], originals):
        for t, mask in zip(f["tracks"], r.tracks.masks):
            h, w = t["mask"]["size"]
            decoded = mask_api.decode(mask_api.frPyObjects(t["mask"], h, w))
            assert np.array_equal(decoded.astype(bool), mask)


# --- process lifetime ----------------------------------------------------------------------------------------
@pytest.mark.timeout(120)
def test_batch_workers_end_when_the_driver_is_killed(tmp_path):
    video = _video(tmp_path / "long.avi", frames=4000, size=(96, 72))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    driver = subprocess.Popen([sys.executable, str(REPO_ROOT / "main.py"), "batch", "--inputs", str(video), "--out",
                               str(out), "--workers", "1", "--no-memory", "-q"], cwd=REPO_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        proc = psutil.Process(driver.pid)
        deadline = time.time() + 60
        workers: list[psutil.Process] = []
        while time.time() < deadline and len(workers) < 2:  # the fork server and a worker
            workers = proc.children(recursive=True)
            time.sleep(0.2)
        assert len(workers) >= 2, "the batch never started a worker"
        time.sleep(1.0)
        driver.send_signal(signal.SIGKILL)
        driver.wait(10)
        gone, alive = psutil.wait_procs(workers, timeout=8)
        assert not alive, f"workers outlived the killed driver: {[p.pid for p in alive]}"
    finally:
        if driver.poll() is None:
            driver.kill()
