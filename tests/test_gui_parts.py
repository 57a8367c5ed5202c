"""Qt-free parts of the desktop app: overlay compositing, the session log, 3D snapshots, recordings."""

from __future__ import annotations

import numpy as np
import pytest

from app.cloud import CloudBuilder, frustum_segments, voxel_downsample
from app.overlay import OverlayLayers, TrailBook, build_layer, compose, id_colors
from app.recording import SessionRecorder
from app.session_log import SessionLog
from perception.io.mot import read_mot
from perception.sources import open_source
from perception.types import (
    Detections,
    FramePacket,
    FrameResult,
    InputError,
    Intrinsics,
    SourceInfo,
    Tracks,
    TrackState,
)

INFO = SourceInfo("t", "memory", 10.0, 64, 48, length=5)
K = Intrinsics(50.0, 50.0, 32.0, 24.0, 64, 48)


def _result(index: int = 0, ids=(1, 2), depth: bool = False) -> FrameResult:
    img = np.full((48, 64, 3), 100, np.uint8)
    masks = np.zeros((len(ids), 48, 64), bool)
    boxes = []
    for k, _ in enumerate(ids):
        masks[k, 5 + 10 * k:15 + 10 * k, 5:20] = True
        boxes.append([5, 5 + 10 * k, 20, 15 + 10 * k])
    det = Detections(np.array(boxes, float), masks=masks)
    packet = FramePacket(index, index / 10, img, INFO, depth=np.full((48, 64), 2.0, np.float32) if depth else None,
                         intrinsics=K if depth else None, pose=np.eye(4) if depth else None)
    return FrameResult(packet, detections=det,
                       tracks=Tracks(det.xyxy, np.array(ids), det_index=np.arange(len(ids))))


def test_id_colours_are_stable_and_distinct():
    a, b = id_colors(np.arange(1, 20)), id_colors(np.arange(1, 20))
    assert np.array_equal(a, b) and len({tuple(c) for c in a}) == 19


def test_overlay_tints_masks_and_leaves_background():
    r = _result()
    out = compose(r, OverlayLayers(boxes=False, ids=False))
    assert np.array_equal(out[40, 60], r.packet.image[40, 60])
    assert not np.array_equal(out[8, 10], r.packet.image[8, 10])
    off = compose(r, OverlayLayers(masks=False, boxes=False, ids=False, trails=False))
    assert np.array_equal(off, r.packet.image)


def test_overlay_layer_applies_to_a_newer_frame():
    r = _result()
    layer = build_layer(r, OverlayLayers())
    newer = np.full((48, 64, 3), 7, np.uint8)
    out = layer.apply(newer)
    assert out.shape == newer.shape and not np.array_equal(out, newer)
    assert layer.apply(np.zeros((10, 10, 3), np.uint8)).shape == (10, 10, 3)  # other size: unchanged


def test_a_coasting_track_is_drawn_thinner():
    r = _result(ids=(1,))
    layers = OverlayLayers(masks=False, ids=False, trails=False)
    changed = lambda res: int((compose(res, layers) != res.packet.image).any(axis=2).sum())  # noqa: E731
    matched = changed(r)
    r.tracks = Tracks(r.tracks.xyxy, r.tracks.ids, states=np.array([TrackState.LOST]))
    assert 0 < changed(r) < matched


def test_label_image_path_matches_mask_path():
    r = _result()
    labels = np.full((48, 64), -1, np.int32)
    for k, m in enumerate(r.detections.masks):
        labels[m] = k
    r2 = _result()
    r2.segment_labels = labels
    assert np.array_equal(compose(r, OverlayLayers()), compose(r2, OverlayLayers()))


def test_trails_follow_tracks_and_forget():
    book = TrailBook(length=5, forget_after=3)
    for i in range(4):
        book.update(_result(i))
    assert [tid for tid, _ in book.polylines(np.array([1, 2]))] == [1, 2]
    book.update(_result(10, ids=(3,)))
    assert book.polylines(np.array([1])) == []


def test_session_log_keeps_one_row_set_per_frame(tmp_path):
    log = SessionLog()
    for i in (0, 1, 2, 1):  # frame 1 processed again after a seek
        log.add(_result(i))
    assert log.track_rows == 6
    e = log.entry("2D", 2)
    assert (e.first, e.last, e.frames) == (0, 2, 4)
    path = log.write_tracks(tmp_path / "t.txt")
    table = read_mot(path)
    assert len(table) == 6 and sorted(set(table.frames.tolist())) == [1, 2, 3]


def test_session_log_counts_a_coasting_track_as_unseen_but_exports_it(tmp_path):
    log = SessionLog()
    for i in range(3):
        r = _result(i, ids=(1,))
        if i == 2:  # track 1 coasts on its prediction
            r.tracks = Tracks(r.tracks.xyxy, r.tracks.ids, states=np.array([TrackState.LOST]))
        log.add(r)
    e = log.entry("2D", 1)
    assert (e.first, e.last, e.frames) == (0, 1, 2)
    assert len(read_mot(log.write_tracks(tmp_path / "t.txt"))) == 3


def test_voxel_downsample_respects_budget():
    xyz = np.random.default_rng(0).uniform(0, 1, (5000, 3))
    rgb = np.zeros((5000, 3), np.uint8)
    ids = np.arange(5000)
    x, c, i = voxel_downsample(xyz, rgb, ids, 0.1, 300)
    assert len(x) == 300 and x.dtype == np.float32 and len(c) == len(i) == 300
    x2, _, _ = voxel_downsample(xyz, rgb, ids, 0.5, 10_000)
    assert len(x2) == 8


def test_cloud_builder_without_map_uses_depth_and_frustum():
    builder = CloudBuilder(budget=500, voxel=0.0)
    builder.observe(_result(0, depth=True))
    snap = builder.snapshot(_result(0, depth=True), None)
    assert 0 < len(snap) <= 500 and not snap.from_map
    assert np.allclose(snap.xyz[:, 2], 2.0) and set(np.unique(snap.ids)) >= {0, 1}
    assert snap.frustum.shape == (16, 3) and len(snap.trajectory) == 1
    assert np.allclose(frustum_segments(K, np.eye(4))[0], 0)


def test_recording_rgbd_folder_reads_back(tmp_path):
    info = SourceInfo("t", "memory", 10.0, 64, 48, length=3, has_depth=True)
    rec = SessionRecorder(tmp_path / "rec", info)
    for i in range(3):
        p = _result(i, depth=True).packet
        rec.add(FramePacket(i, i / 10, p.image, info, depth=p.depth, intrinsics=K, pose=np.eye(4)))
    assert not (tmp_path / "rec").exists()
    rec.finish()
    src = open_source(str(tmp_path / "rec"))
    frames = list(src)
    assert len(frames) == 3 and np.allclose(frames[1].depth, 2.0) and frames[0].pose is not None
    assert abs(frames[0].intrinsics.fx - 50.0) < 1e-3


def test_recording_video_reads_back(tmp_path):
    rec = SessionRecorder(tmp_path / "cam.avi", INFO)
    for i in range(4):
        rec.add(FramePacket(i, i / 10, np.full((48, 64, 3), 40 * i, np.uint8), INFO))
    rec.finish()
    frames = list(open_source(str(tmp_path / "cam.avi")))
    assert len(frames) == 4 and abs(int(frames[3].image.mean()) - 120) < 8
    with pytest.raises(InputError):
        SessionRecorder(tmp_path / "cam.mkv", INFO)
    empty = SessionRecorder(tmp_path / "none.avi", INFO)
    with pytest.raises(InputError):
        empty.finish()
    assert not list(tmp_path.glob(".none*"))


def test_download_is_atomic_reports_progress_and_cancels(tmp_path):
    from app.downloads import download

    src = tmp_path / "weights.bin"
    src.write_bytes(bytes(range(256)) * 5000)
    seen = []
    out = download(src.as_uri(), tmp_path / "w" / "sam.pth", lambda d, t: seen.append((d, t)) or True, chunk=100_000)
    assert out.read_bytes() == src.read_bytes() and seen[-1] == (1_280_000, 1_280_000)
    with pytest.raises(InputError, match="cancelled"):
        download(src.as_uri(), tmp_path / "w" / "other.pth", lambda d, t: False, chunk=100_000)
    assert not (tmp_path / "w" / "other.pth").exists() and not list((tmp_path / "w").glob(".*"))
    with pytest.raises(InputError, match="cannot download"):
        download((tmp_path / "absent.pth").as_uri(), tmp_path / "w" / "x.pth")


def test_download_job_reports_through_signals(qtbot, tmp_path):
    from app.downloads import DownloadJob

    src = tmp_path / "weights.bin"
    src.write_bytes(b"w" * 300_000)
    job = DownloadJob(src.as_uri(), tmp_path / "w" / "got.pth")
    seen = []
    job.progress.connect(lambda d, t: seen.append(d))
    with qtbot.waitSignal(job.finished, timeout=10_000) as done:
        job.start()
    assert done.args == [str(tmp_path / "w" / "got.pth"), ""] and seen[-1] == 300_000
    job = DownloadJob((tmp_path / "absent.pth").as_uri(), tmp_path / "w" / "x.pth")
    with qtbot.waitSignal(job.finished, timeout=10_000) as done:
        job.start()
    assert done.args[0] == "" and "cannot download" in done.args[1]


def test_qt_calls_keep_singleton_references_balanced():
    """PySide6 6.12.0 on Python 3.11 dropped a reference to None/True/False per call and aborted long sessions."""
    import sys

    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        ping = Signal()

    e = Emitter()
    singletons = (None, True, False)
    before = sum(sys.getrefcount(o) for o in singletons)
    for _ in range(20_000):
        e.ping.emit()
        e.setObjectName("x")
    assert abs(sum(sys.getrefcount(o) for o in singletons) - before) < 100
