"""Bad input files fed to the command line: one clear line (or a warning and a finished run), never a traceback,
and an existing export left exactly as it was when the run cannot start."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from perception.io.mot import read_mot

MINIMAL = ["--segmenter", "none", "--tracker", "iou", "--no-3d", "--no-memory", "-q"]
KEEP = "1,1,10.00,10.00,5.00,5.00,1.0000,-1,-1,-1\n"


@pytest.fixture
def kept(tmp_path: Path) -> Path:
    """An export from an earlier run that a failing run must leave untouched."""
    path = tmp_path / "earlier.txt"
    path.write_text(KEEP)
    return path


def _run_source(cli, source: Path | str, kept: Path, *extra: str):
    return cli("run", "--source", source, *MINIMAL, "--export-tracks", kept, "--overwrite", *extra)


# ----- videos --------------------------------------------------------------------------------------------------
def test_zero_byte_video(cli, tmp_path, kept):
    video = tmp_path / "empty.mp4"
    video.write_bytes(b"")
    r = _run_source(cli, video, kept)
    assert r.code == 2 and "empty (0 bytes)" in r.error and str(video) in r.error
    assert kept.read_text() == KEEP


def test_text_file_renamed_mp4(cli, tmp_path, kept):
    video = tmp_path / "notes.mp4"
    video.write_text("shopping list: milk, eggs\n" * 40)
    r = _run_source(cli, video, kept)  # stderr at the descriptor: FFmpeg's own complaints would show here
    assert r.code == 2 and "cannot open" in r.error and "not a video file" in r.error
    assert kept.read_text() == KEEP


def test_video_codec_opencv_cannot_decode(cli, tmp_path, kept):
    good = tmp_path / "good.avi"
    writer = cv2.VideoWriter(str(good), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(10):
        writer.write(np.full((48, 64, 3), 20 * i, np.uint8))
    writer.release()
    data = good.read_bytes()
    assert data.count(b"MJPG") >= 1
    video = tmp_path / "unknown_codec.avi"
    video.write_bytes(data.replace(b"MJPG", b"QQQQ"))  # a container whose codec no decoder knows
    r = _run_source(cli, video, kept)
    assert r.code == 2 and "codec" in r.error and str(video) in r.error
    assert kept.read_text() == KEEP


def test_truncated_video_runs_to_its_last_frame_and_says_so(cli, shared_data, tmp_path, caplog):
    video = tmp_path / "cut.avi"
    video.write_bytes((shared_data / "video/megamind.avi").read_bytes()[:300_000])  # cut mid-file
    summary, tracks = tmp_path / "summary.json", tmp_path / "tracks.json"
    with caplog.at_level(logging.WARNING):
        r = cli("run", "--source", video, *MINIMAL, "--summary-json", summary, "--export-tracks", tracks)
    assert r.code == 0, r.err
    assert not [line for line in r.err if "Traceback" in line or line.startswith("[")]  # no FFmpeg noise
    warnings = [rec.getMessage() for rec in caplog.records if "truncated" in rec.getMessage()]
    assert len(warnings) == 1 and "cut.avi" in warnings[0], warnings
    frames = json.loads(summary.read_text())["frames"]
    assert 10 < frames < 270  # every decodable frame, fewer than the header's 270
    assert json.loads(tracks.read_text())["format"] == "perception-studio-tracks"


# ----- image folders and MOT sequences -----------------------------------------------------------------------------
def test_image_folder_with_a_corrupt_jpeg_in_the_middle(cli, shared_data, tmp_path, caplog):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(1, 7):
        shutil.copy(shared_data / f"mot/TUD-Campus/img1/{i:06d}.jpg", folder / f"{i:06d}.jpg")
    bad = folder / "000003.jpg"
    bad.write_bytes(bad.read_bytes()[:200] + b"\x00" * 300)  # JPEG header, then garbage
    summary = tmp_path / "summary.json"
    with caplog.at_level(logging.WARNING):
        r = cli("run", "--source", folder, *MINIMAL, "--summary-json", summary)
    assert r.code == 0, r.err
    assert json.loads(summary.read_text())["frames"] == 5  # the other five images all processed
    skipped = [rec.getMessage() for rec in caplog.records if "000003.jpg" in rec.getMessage()]
    assert skipped and "undecodable" in skipped[0]


def _det_sequence(shared_data: Path, root: Path, det_text: str | None = None) -> Path:
    """A MOT sequence folder without images: seqinfo.ini and det/det.txt (tracked on boxes alone)."""
    seq = root / "seq"
    (seq / "det").mkdir(parents=True)
    shutil.copy(shared_data / "mot/TUD-Campus/seqinfo.ini", seq)
    text = det_text if det_text is not None else (shared_data / "mot/TUD-Campus/det/det.txt").read_text()
    (seq / "det" / "det.txt").write_text(text)
    return seq


def test_mot_folder_without_seqinfo(cli, shared_data, tmp_path, kept):
    seq = tmp_path / "seq"
    (seq / "det").mkdir(parents=True)
    shutil.copytree(shared_data / "mot/TUD-Campus/img1", seq / "img1")
    shutil.copy(shared_data / "mot/TUD-Campus/det/det.txt", seq / "det")
    r = cli("track", "--mot-seq", seq, "--out", kept, "--overwrite", "-q")
    assert r.code == 2 and "seqinfo.ini" in r.error
    assert kept.read_text() == KEEP


def test_det_with_wrong_columns(cli, shared_data, tmp_path, kept):
    seq = _det_sequence(shared_data, tmp_path, "1,-1,155,199\n2,-1,160,200\n")
    r = cli("track", "--mot-seq", seq, "--out", kept, "--overwrite", "-q")
    assert r.code == 2 and "det.txt:1" in r.error and "columns" in r.error and "found 4" in r.error
    assert kept.read_text() == KEEP


def _lines(shared_data: Path) -> list[str]:
    return (shared_data / "mot/TUD-Campus/det/det.txt").read_text().splitlines(keepends=True)


@pytest.mark.parametrize("damage, warning", [
    (lambda ls: ls[:5] + ["3,-1,nan,199,66,162,51.8,-1,-1,-1\n", "4,-1,155,199,NaN,162,40,-1,-1,-1\n"] + ls[5:],
     "skipped 2 rows with non-finite values"),
    (lambda ls: ls[:5] + ["3,-1,155,199,-66,162,51.8,-1,-1,-1\n", "4,-1,155,199,66,-1,40,-1,-1,-1\n"] + ls[5:],
     "skipped 2 rows with non-positive width or height"),
], ids=["nan", "negative-size"])
def test_det_with_bad_rows_skips_them_and_tracks_the_rest(cli, shared_data, tmp_path, damage, warning):
    clean, dirty = tmp_path / "clean", tmp_path / "dirty"
    out_clean, out_dirty = tmp_path / "clean.txt", tmp_path / "dirty.txt"
    assert cli("track", "--mot-seq", _det_sequence(shared_data, clean), "--out", out_clean, "--tracker", "iou",
               "-q").code == 0
    r = cli("track", "--mot-seq", _det_sequence(shared_data, dirty, "".join(damage(_lines(shared_data)))),
            "--out", out_dirty, "--tracker", "iou", "-q")
    assert r.code == 0 and r.err == [f"warning: det.txt: {warning}"]
    assert out_dirty.read_text() == out_clean.read_text()  # the bad rows changed nothing else


def test_det_rows_out_of_frame_order_are_sorted(cli, shared_data, tmp_path):
    lines = _lines(shared_data)
    shuffled = [lines[i] for i in np.random.default_rng(3).permutation(len(lines))]
    clean, dirty = tmp_path / "clean", tmp_path / "dirty"
    out_clean, out_dirty = tmp_path / "clean.txt", tmp_path / "dirty.txt"
    assert cli("track", "--mot-seq", _det_sequence(shared_data, clean), "--out", out_clean, "-q").code == 0
    r = cli("track", "--mot-seq", _det_sequence(shared_data, dirty, "".join(shuffled)), "--out", out_dirty, "-q")
    assert r.code == 0 and r.err == ["warning: det.txt: rows were out of frame order and have been sorted"]
    a, b = read_mot(out_clean), read_mot(out_dirty)
    assert len(a) > 100 and np.array_equal(a.frames, b.frames)
    assert np.allclose(a.xywh, b.xywh)  # the same boxes tracked, however the file was ordered


# ----- RGB-D folders -------------------------------------------------------------------------------------------------
RGBD = ["--segmenter", "none", "--tracker", "none", "--no-memory", "-q"]


def test_rgbd_missing_depth_frame(cli, esam_folder, kept):
    folder = esam_folder()
    (folder / "depth" / "2.png").unlink()
    r = cli("run", "--source", folder, *RGBD, "--export-tracks", kept, "--overwrite")
    assert r.code == 2 and "depth frame 2 is missing" in r.error
    assert kept.read_text() == KEEP


def test_rgbd_depth_of_another_size_stops_with_one_line_and_keeps_exports(cli, esam_folder, tmp_path):
    folder = esam_folder()
    depth = cv2.imread(str(folder / "depth" / "2.png"), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(folder / "depth" / "2.png"), cv2.resize(depth, (320, 240), interpolation=cv2.INTER_NEAREST))
    tracks = tmp_path / "tracks.json"
    r = cli("run", "--source", folder, *RGBD, "--no-3d", "--export-tracks", tracks)
    assert r.code == 2 and r.error.endswith("2.png is 320x240 but colour 2.jpg is 640x480")
    assert json.loads(tracks.read_text())["format"] == "perception-studio-tracks"  # frames 0 and 1 were exported
    assert not list(tmp_path.glob(".*.part"))


def test_rgbd_all_zero_depth_frame_is_skipped_by_the_3d_map(cli, esam_folder, tmp_path, caplog):
    folder = esam_folder()
    depth = cv2.imread(str(folder / "depth" / "1.png"), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(folder / "depth" / "1.png"), np.zeros_like(depth))
    summary, ply = tmp_path / "summary.json", tmp_path / "map.ply"
    with caplog.at_level(logging.WARNING):
        r = cli("run", "--source", folder, "--segmenter", "geometric", "--tracker", "none", "--no-memory", "-q",
                "--map3d", "--summary-json", summary, "--export-map", ply)
    assert r.code == 0, r.err
    doc = json.loads(summary.read_text())
    assert doc["frames"] == 4 and doc["errors"] == 0 and "map3d" in doc["stages"]
    assert any("frame 1 skipped" in rec.getMessage() and "no valid pixels" in rec.getMessage() for rec in caplog.records)
    assert ply.read_bytes().startswith(b"ply")


def test_rgbd_nan_pose(cli, esam_folder, kept):
    folder = esam_folder()
    pose = np.loadtxt(folder / "pose" / "1.txt")
    pose[1, 1] = np.nan
    np.savetxt(folder / "pose" / "1.txt", pose)
    r = cli("run", "--source", folder, *RGBD, "--export-tracks", kept, "--overwrite")
    assert r.code == 2 and "1.txt" in r.error and "non-finite" in r.error
    assert kept.read_text() == KEEP


def test_rgbd_intrinsics_with_zero_focal_length(cli, esam_folder, kept):
    folder = esam_folder()
    k = np.loadtxt(folder / "intrinsic.txt")
    k[0, 0] = 0.0
    np.savetxt(folder / "intrinsic.txt", k)
    r = cli("run", "--source", folder, *RGBD, "--export-tracks", kept, "--overwrite")
    assert r.code == 2 and "intrinsic.txt" in r.error and "fx=0.0" in r.error
    assert kept.read_text() == KEEP


def test_refused_videos_leak_no_file_descriptors(shared_data, tmp_path):
    import psutil

    from perception.sources import VideoFileSource
    from perception.types import InputError

    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 40)
    proc = psutil.Process()
    before = proc.num_fds()
    for _ in range(30):
        for path, fps in ((text, None), (shared_data / "video/megamind.avi", 0.0)):  # unreadable; invalid rate
            with pytest.raises(InputError):
                VideoFileSource(path, fps=fps)
    assert proc.num_fds() <= before


def test_det_with_a_frame_number_beyond_what_fits(cli, shared_data, tmp_path, kept):
    seq = _det_sequence(shared_data, tmp_path, "1e20,-1,155,199,66,162,51.8,-1,-1,-1\n2,-1,160,200,60,150,40,-1,-1,-1\n")
    r = cli("track", "--mot-seq", seq, "--out", kept, "--overwrite", "-q")
    assert r.code == 2 and "det.txt:1" in r.error and "1e20" in r.error
    assert kept.read_text() == KEEP


def test_rgbd_frames_where_nothing_is_segmented_run_through_the_3d_map(cli, esam_folder, tmp_path):
    summary = tmp_path / "summary.json"
    r = cli("run", "--source", esam_folder(), *RGBD, "--map3d", "--summary-json", summary)
    assert r.code == 0, r.err
    doc = json.loads(summary.read_text())
    assert doc["frames"] == 4 and doc["errors"] == 0 and "map3d" in doc["stages"]
