"""Batch processing: local pool and Ray give the same outputs, bad files are logged, runs resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from perception.batch import BatchConfig, Manifest, recording_keys, resolve_inputs, run_batch, run_local
from perception.batch.layout import SUMMARY_NAME, is_complete
from perception.batch.runner import _exclusive
from perception.batch.task import RecordingTask, run_task
from perception.cli import main
from perception.pipeline.factory import PipelineOptions
from perception.types import InputError

REPO = Path(__file__).resolve().parents[1]
PIPELINE_ARGS = ["--segmenter", "rgb", "--no-memory", "-q"]  # weight-free segmenter, graph tracker
OPTIONS = PipelineOptions(segmenter="rgb", memory=False)  # what PIPELINE_ARGS mean


def write_video(path: Path, seed: int, frames: int = 20, size: tuple[int, int] = (160, 120)) -> Path:
    """A tiny MJPG video of two coloured shapes moving on a grey background."""
    rng = np.random.default_rng(seed)
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, size)
    start, vel = rng.uniform(20, 60, (2, 2)), rng.uniform(-2, 2, (2, 2))
    for i in range(frames):
        img = np.full((h, w, 3), 90, np.uint8)
        (x0, y0), (x1, y1) = (start + vel * i).astype(int)
        cv2.rectangle(img, (x0, y0), (x0 + 30, y0 + 24), (0, 0, 230), -1)
        cv2.circle(img, (w - x1, h - y1), 12, (0, 220, 0), -1)
        writer.write(img)
    writer.release()
    return path


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> Path:
    """Four small videos and one corrupt file."""
    folder = tmp_path_factory.mktemp("recordings")
    for k in range(4):
        write_video(folder / f"walk{k}.avi", seed=k)
    (folder / "corrupt.avi").write_bytes(b"not a video" * 64)
    return folder


@pytest.fixture(scope="module")
def local_out(recordings, tmp_path_factory) -> tuple[Path, int]:
    """One local-engine batch over the recordings: (output folder, exit code)."""
    out = tmp_path_factory.mktemp("local") / "out"
    rc = main(["batch", "--inputs", str(recordings / "*.avi"), "--out", str(out), "--workers", "2",
               "--summary-json", str(out.parent / "batch.json"), *PIPELINE_ARGS])
    return out, rc


@pytest.fixture(scope="session")
def ray_local():
    """One local Ray instance for the whole session (its start-up takes seconds)."""
    ray = pytest.importorskip("ray")
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    yield ray
    ray.shutdown()


def latest(out: Path) -> dict[str, dict]:
    """Last manifest record per recording, keyed by file name."""
    return {Path(k).name: v for k, v in Manifest(out).latest().items()}


def outputs_of(out: Path) -> dict[str, tuple[int, bytes]]:
    """Per recording: frames processed and the exact bytes of its track file."""
    res = {}
    for name, rec in latest(out).items():
        if rec["status"] in ("done", "skipped"):
            summary = json.loads((out / rec["key"] / SUMMARY_NAME).read_text())
            res[name] = (summary["session"]["frames"], (out / rec["key"] / "tracks.txt").read_bytes())
    return res


def part_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(".part")]


def test_inputs_from_globs_list_files_and_specs(tmp_path):
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.mp4").write_bytes(b"x")
    (tmp_path / "list.txt").write_text("# recordings\nsub/a.mp4\n\na.mp4\nsynthetic:room\n")
    specs = resolve_inputs([str(tmp_path / "*.mp4"), str(tmp_path / "list.txt")])
    assert specs == [str(tmp_path / "a.mp4"), str(tmp_path / "b.mp4"), str(tmp_path / "sub" / "a.mp4"),
                     "synthetic:room"]
    keys = recording_keys(specs)
    assert keys[str(tmp_path / "b.mp4")] == "b" and keys["synthetic:room"] == "synthetic_room"
    assert keys[specs[0]] != keys[specs[2]] and keys[specs[0]].startswith("a-")  # same stem: made distinct
    with pytest.raises(InputError, match="no recordings match"):
        resolve_inputs([str(tmp_path / "*.mkv")])


def test_manifest_skips_a_torn_last_line(tmp_path):
    m = Manifest(tmp_path)
    m.append({"input": "a", "status": "done"})
    with open(m.path, "a") as f:
        f.write('{"input": "b", "sta')  # a crash mid-write
    m.append({"input": "c", "status": "failed"})
    assert [r["input"] for r in m.records()] == ["a", "c"]


def test_local_batch_logs_every_recording_and_the_corrupt_one_as_failed(local_out):
    out, rc = local_out
    assert rc == 1  # one recording failed
    recs = latest(out)
    assert sorted(recs) == ["corrupt.avi", "walk0.avi", "walk1.avi", "walk2.avi", "walk3.avi"]
    bad = recs.pop("corrupt.avi")
    assert bad["status"] == "failed" and "cannot open" in bad["error"] and "corrupt.avi" in bad["error"]
    assert not (out / "corrupt").exists()
    for rec in recs.values():
        assert rec["status"] == "done" and rec["frames"] == 20
        assert rec["outputs"] == [f"{rec['key']}/tracks.txt", f"{rec['key']}/summary.json"]
        assert rec["timings"]["task_s"] > 0 and "tracker" in rec["timings"]["stages"]
        assert is_complete(out / rec["key"], rec["input"], RecordingTask(
            rec["input"], rec["key"], str(out), OPTIONS).fingerprint)
    assert len({r["worker"] for r in recs.values()}) <= 2  # workers are reused across recordings
    assert not part_files(out)
    summary = json.loads((out.parent / "batch.json").read_text())
    assert (summary["done"], summary["failed"], summary["skipped"], summary["frames"]) == (4, 1, 0, 80)
    assert summary["fps"] > 0 and len(summary["slowest"]) == 3
    assert summary["failures"] == [{"input": bad["input"], "error": bad["error"]}]


def test_rerun_skips_finished_work_retries_failures_and_redoes_damaged_outputs(local_out, recordings, tmp_path,
                                                                                 capsys):
    out = tmp_path / "out"
    shutil.copytree(local_out[0], out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("tracks.txt")}
    args = ["batch", "--inputs", str(recordings / "*.avi"), "--out", str(out), "--workers", "2", *PIPELINE_ARGS]
    assert main(args) == 1
    assert "0 done, 1 failed, 4 skipped" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in out.rglob("tracks.txt")} == before
    (out / "walk2" / "tracks.txt").write_text("damaged\n")
    assert main(args) == 1
    assert "1 done, 1 failed, 3 skipped" in capsys.readouterr().out
    assert latest(out)["walk2.avi"]["status"] == "done"
    assert main([*args, "--max-frames", "5"]) == 1  # other settings: everything is redone
    assert "4 done, 1 failed, 0 skipped" in capsys.readouterr().out
    assert all(frames == 5 for frames, _ in outputs_of(out).values())


def test_ray_engine_gives_the_same_outputs_as_local(ray_local, local_out, recordings, tmp_path):
    ray_out = tmp_path / "ray"
    assert main(["batch", "--inputs", str(recordings / "*.avi"), "--out", str(ray_out), "--engine", "ray",
                 *PIPELINE_ARGS]) == 1
    ray_outputs = outputs_of(ray_out)
    assert ray_outputs == outputs_of(local_out[0]) and len(ray_outputs) == 4
    assert all(frames == 20 and tracks.strip() for frames, tracks in ray_outputs.values())  # real tracks
    bad = latest(ray_out)["corrupt.avi"]
    assert bad["status"] == "failed" and "cannot open" in bad["error"]


def test_killed_batch_resumes_without_redoing_or_leaving_half_files(tmp_path):
    inputs = [write_video(tmp_path / f"rec{k:02d}.avi", seed=10 + k, frames=30) for k in range(10)]
    out = tmp_path / "out"
    light = ["--segmenter", "none", "--no-memory", "-q"]  # resuming is what is tested here, not the pipeline
    cmd = [sys.executable, str(REPO / "main.py"), "batch", "--inputs", str(tmp_path / "*.avi"), "--out", str(out),
           "--workers", "1", *light]
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while sum(r["status"] == "done" for r in Manifest(out).records()) < 3:
            assert proc.poll() is None and time.monotonic() < deadline, "batch ended before it could be killed"
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done_before = {r["input"] for r in Manifest(out).records() if r["status"] == "done"}
    assert 3 <= len(done_before) < len(inputs)
    assert main(["batch", "--inputs", str(tmp_path / "*.avi"), "--out", str(out), *light]) == 0
    recs = Manifest(out).latest()
    assert {Path(k).name for k in recs} == {p.name for p in inputs}
    skipped = {k for k, r in recs.items() if r["status"] == "skipped"}
    assert done_before <= skipped  # (one finished just before the kill, not yet logged, is also skipped)
    assert all(r["status"] in ("done", "skipped") for r in recs.values())
    assert not part_files(out)
    for rec in recs.values():
        assert json.loads((out / rec["key"] / SUMMARY_NAME).read_text())["session"]["frames"] == 30


def test_a_second_batch_on_the_same_folder_is_refused(tmp_path, recordings):
    with _exclusive(tmp_path):
        with pytest.raises(InputError, match="another batch"):
            run_batch(BatchConfig([str(recordings / "walk0.avi")], tmp_path))


@pytest.mark.parametrize("args, message", [
    (["--inputs", "/nonexistent/*.avi"], "no recordings match"),
    (["--inputs", "x.avi", "--ray-address", "auto"], "need --engine ray"),
    (["--inputs", "x.avi", "--gpus-per-task", "1"], "need --engine ray"),
    (["--inputs", "x.avi", "--tracker", "nope"], "unknown tracker 'nope'"),
])
def test_bad_batch_arguments_print_one_line(tmp_path, capsys, args, message):
    assert main(["batch", *args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err and "\n" not in err


class KillsItsWorker:
    """Options that end the worker process abruptly when it unpickles them (a stand-in for a native crash)."""

    def __reduce__(self):
        return os._exit, (3,)


def test_a_recording_that_kills_its_worker_fails_alone(recordings, tmp_path):
    good = [RecordingTask(str(recordings / f"walk{k}.avi"), f"walk{k}", str(tmp_path),
                          OPTIONS) for k in range(2)]
    crash = RecordingTask(str(recordings / "walk2.avi"), "walk2", str(tmp_path), KillsItsWorker())
    records = {r["key"]: r for r in run_local([good[0], crash, good[1]], workers=2)}
    assert records["walk2"]["status"] == "failed" and "worker process died" in records["walk2"]["error"]
    assert records["walk0"]["status"] == records["walk1"]["status"] == "done"


def test_rgbd_recordings_also_get_the_3d_map(shared_data, recordings, tmp_path):
    out = tmp_path / "out"
    rgbd = shared_data / "rgbd" / "7scenes-a"
    assert main(["batch", "--inputs", str(rgbd), str(recordings / "walk0.avi"), "--out", str(out),
                 "--max-frames", "3", "--no-memory", "-q"]) == 0  # segmenter auto: geometric with depth
    recs = latest(out)
    assert recs["7scenes-a"]["outputs"] == ["7scenes-a/tracks.txt", "7scenes-a/map.ply", "7scenes-a/instances.json",
                                            "7scenes-a/summary.json"]
    assert recs["walk0.avi"]["outputs"] == ["walk0/tracks.txt", "walk0/summary.json"]
    assert (out / "7scenes-a" / "map.ply").read_bytes().startswith(b"ply")


def test_a_task_replaces_half_written_files_left_by_a_killed_run(recordings, tmp_path):
    task = RecordingTask(str(recordings / "walk1.avi"), "walk1", str(tmp_path), OPTIONS)
    task.folder.mkdir()
    (task.folder / ".tracks.txt.x1y2.part").write_text("1,1,")
    (task.folder / "tracks.txt").write_text("stale\n")
    assert is_complete(task.folder, task.spec, task.fingerprint) is None
    record = run_task(task)
    assert record["status"] == "done" and record["frames"] == 20
    assert sorted(p.name for p in task.folder.iterdir()) == ["summary.json", "tracks.txt"]
    assert is_complete(task.folder, task.spec, task.fingerprint) is not None
