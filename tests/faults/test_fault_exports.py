"""Export destinations that cannot take the file: a missing folder, a read-only folder, a disk that fills up.
The run refuses before any work (one line) or the write fails cleanly; an earlier file is never damaged."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from perception.io.atomic import ExportError, atomic_write_text
from perception.io.exports import TrackRecorder
from perception.sources import MemorySource
from perception.types import FramePacket, FrameResult, Tracks

EARLIER = "1,1,10.00,10.00,5.00,5.00,1.0000,-1,-1,-1\n"


def _seq(shared_data: Path, root: Path) -> Path:
    """TUD-Campus without images (tracked on its boxes alone: fast)."""
    seq = root / "seq"
    (seq / "det").mkdir(parents=True)
    shutil.copy(shared_data / "mot/TUD-Campus/seqinfo.ini", seq)
    shutil.copy(shared_data / "mot/TUD-Campus/det/det.txt", seq / "det")
    return seq


@pytest.mark.parametrize("args", [
    lambda seq, out: ["track", "--mot-seq", seq, "--out", out, "-q"],
    lambda seq, out: ["track", "--mot-seq", seq, "--out", out.parents[2] / "t.txt", "--summary-json", out, "-q"],
    lambda seq, out: ["run", "--source", seq / "det" / "det.txt", "--export-tracks", out, "-q"],
], ids=["track-out", "summary-json", "run-export-tracks"])
def test_export_into_a_missing_folder(cli, shared_data, tmp_path, args):
    out = tmp_path / "no" / "such" / "tracks.txt"
    r = cli(*args(_seq(shared_data, tmp_path), out))
    assert r.code == 2 and "does not exist" in r.error and str(out.parent) in r.error
    assert not (tmp_path / "no").exists() and not (tmp_path / "t.txt").exists()


def test_export_into_a_read_only_folder(cli, shared_data, tmp_path, tmpfs, remount_ro):
    folder = tmpfs("1m")
    out = folder / "tracks.txt"
    out.write_text(EARLIER)
    remount_ro(folder)
    r = cli("track", "--mot-seq", _seq(shared_data, tmp_path), "--out", out, "--overwrite", "-q")
    assert r.code == 2 and "not writable" in r.error and str(folder) in r.error
    assert out.read_text() == EARLIER


def test_read_only_mount_from_the_start(cli, shared_data, tmp_path, tmpfs):
    folder = tmpfs("1m", readonly=True)
    r = cli("track", "--mot-seq", _seq(shared_data, tmp_path), "--out", folder / "tracks.json", "-q")
    assert r.code == 2 and "not writable" in r.error
    assert list(folder.iterdir()) == []


def _recorder(frames: int = 400, per_frame: int = 5) -> TrackRecorder:
    info = MemorySource([np.zeros((8, 8, 3), np.uint8)]).info
    rec = TrackRecorder()
    for i in range(frames):
        x = np.arange(per_frame) * 50.0 + i
        tracks = Tracks(np.column_stack([x, x, x + 20, x + 40]), np.arange(1, per_frame + 1))
        rec.add(FrameResult(FramePacket(i, i / 30, np.zeros((8, 8, 3), np.uint8), info), tracks=tracks))
    return rec


@pytest.mark.parametrize("fmt", ["mot", "json", "csv"])
def test_disk_filling_during_an_export_keeps_the_previous_file(tmpfs, fmt):
    folder = tmpfs("16k")
    out = folder / f"tracks.{ {'mot': 'txt'}.get(fmt, fmt) }"
    out.write_text(EARLIER)
    with pytest.raises(ExportError) as exc:
        _recorder().write(out, fmt)  # ~2000 rows: far more than 16 KiB
    assert str(exc.value) == f"cannot write {out}: No space left on device (any previous file is kept)"
    assert out.read_text() == EARLIER
    assert [p.name for p in folder.iterdir()] == [out.name]  # no temp file left behind, the space is given back
    small = TrackRecorder()
    small.write(out, fmt)  # and the next, smaller export still fits
    assert out.stat().st_size < 200


def test_disk_full_from_the_start_keeps_the_previous_file(tmpfs):
    folder = tmpfs("16k")
    out = folder / "answers.json"
    out.write_text('{"earlier": true}')
    (folder / "filler").write_bytes(b"\0" * (16384 - 4096))
    with pytest.raises(ExportError, match="No space left on device"):
        atomic_write_text(out, "x" * 20_000)
    assert out.read_text() == '{"earlier": true}' and sorted(p.name for p in folder.iterdir()) == ["answers.json", "filler"]


def test_export_path_that_is_a_folder(cli, shared_data, tmp_path):
    target = tmp_path / "already-a-folder.txt"
    target.mkdir()
    r = cli("track", "--mot-seq", _seq(shared_data, tmp_path), "--out", target, "--overwrite", "-q")
    assert r.code == 2 and "it is a folder" in r.error and target.is_dir()


def test_disk_full_during_a_cli_export_is_one_line(cli, shared_data, tmp_path, tmpfs):
    folder = tmpfs("16k")
    out = folder / "tracks.txt"
    out.write_text(EARLIER)
    seq = tmp_path / "pets"
    (seq / "det").mkdir(parents=True)
    shutil.copy(shared_data / "mot/PETS-S3-MF1/seqinfo.ini", seq)
    shutil.copy(shared_data / "mot/PETS-S3-MF1/det/det.txt", seq / "det")  # ~27 KiB of tracks
    r = cli("track", "--mot-seq", seq, "--out", out, "--overwrite", "--tracker", "iou", "-q")
    assert r.code == 2 and r.error == f"error: cannot write {out}: No space left on device (any previous file is kept)"
    assert out.read_text() == EARLIER and [p.name for p in folder.iterdir()] == ["tracks.txt"]


def test_exports_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        _recorder(3, 1).write(tmp_path / "t.txt")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "t.txt").stat().st_mode) == 0o640
