"""Video and image-folder sources on the real data, their bad inputs, and open_source dispatch."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from perception.sources import (
    ACCEPTED_FORMS,
    ImageFolderSource,
    RGBDFolderSource,
    VideoFileSource,
    open_source,
    read_seqinfo,
)
from perception.types import InputError


def _digest(img: np.ndarray) -> str:
    return hashlib.sha1(img.tobytes()).hexdigest()


@pytest.fixture(scope="module")
def video(shared_data: Path) -> Path:
    return shared_data / "video" / "megamind.avi"


@pytest.fixture(scope="module")
def sequential(video: Path) -> list[str]:
    """Digest of every frame of the video, decoded straight through with plain OpenCV."""
    cap = cv2.VideoCapture(str(video))
    out = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        out.append(_digest(frame))
    cap.release()
    return out


def test_video_info_and_timestamps(video: Path, sequential: list[str]) -> None:
    with VideoFileSource(video) as src:
        assert (src.info.width, src.info.height, len(src)) == (720, 528, 270)
        assert src.fps == pytest.approx(23.976, abs=1e-3)
        packets = [p for _, p in zip(range(3), src)]
    assert [p.index for p in packets] == [0, 1, 2]
    assert packets[2].timestamp == pytest.approx(2 / 23.976)
    assert [_digest(p.image) for p in packets] == sequential[:3]
    assert len(sequential) == 270


def test_video_seek_is_frame_exact(video: Path, sequential: list[str]) -> None:
    targets = [133, 0, 269, 12, 13, 250, 100, 101, 140, 268, 5, 200]  # backward, forward, short and long jumps
    for k in (1, 5, 40):  # first seek of a fresh source: short forward decode and backend seek
        with VideoFileSource(video) as src:
            src.seek(k)
            assert _digest(src.read().image) == sequential[k]
    with VideoFileSource(video) as src:
        for k in targets:
            src.seek(k)
            a, b = src.read(), src.read()
            assert a.index == k and _digest(a.image) == sequential[k], f"frame {k} after seek"
            assert a.timestamp == pytest.approx(k / src.fps)
            if k + 1 < 270:
                assert _digest(b.image) == sequential[k + 1]
            else:
                assert b is None
        with pytest.raises(InputError, match="outside"):
            src.seek(270)
    assert src.read() is None and len(src) == 270  # closed: no frame, length untouched


@pytest.mark.parametrize("name, fourcc", [("clip.mp4", "mp4v"), ("clip.mkv", "mp4v"), ("clip.avi", "MJPG")])
def test_seek_is_frame_exact_in_other_containers(tmp_path: Path, name: str, fourcc: str) -> None:
    path = tmp_path / name
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 25, (160, 120))
    if not writer.isOpened():
        pytest.skip(f"this OpenCV build cannot write {fourcc} to {path.suffix}")
    base = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    for i in range(120):
        writer.write(np.roll(base, 3 * i, axis=1))
    writer.release()
    with VideoFileSource(path) as src:
        sequential = [_digest(p.image) for p in src]
        assert len(sequential) == len(src) == 120
        for k in (90, 3, 119, 60, 61, 0, 100, 30):
            src.seek(k)
            assert _digest(src.read().image) == sequential[k], f"frame {k} after seek"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.mp4", "not found"),
    (lambda d: _write(d / "zero.mp4", b""), "empty"),
    (lambda d: _write(d / "notes.mp4", b"this is a text file, not a video\n"), "cannot open"),
    (lambda d: _write(d / "noise.avi", np.random.default_rng(0).bytes(20000)), "cannot open"),
    (lambda d: d, "not a video file"),
])
def test_video_bad_inputs(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(InputError, match=message):
        VideoFileSource(make(tmp_path))


def test_video_header_only_is_rejected(tmp_path: Path, video: Path) -> None:
    bad = tmp_path / "header.avi"
    bad.write_bytes(video.read_bytes()[:4096])
    with pytest.raises(InputError):
        VideoFileSource(bad)


def test_truncated_video_ends_cleanly(tmp_path: Path, video: Path, sequential: list[str]) -> None:
    cut = tmp_path / "cut.avi"
    cut.write_bytes(video.read_bytes()[:600_000])
    with VideoFileSource(cut) as src:
        packets = list(src)
        assert 10 < len(packets) < 270
        assert [p.index for p in packets] == list(range(len(packets)))
        assert len(src) == len(packets)  # length corrected to what decodes
        assert [_digest(p.image) for p in packets[:10]] == sequential[:10]
        assert src.read() is None
    with VideoFileSource(cut) as src:
        with pytest.raises(InputError, match="truncated"):
            src.seek(265)
        src.seek(5)
        assert _digest(src.read().image) == sequential[5]


def test_mot_sequences_load_from_seqinfo(shared_data: Path) -> None:
    for name, fps, length, size in [("TUD-Campus", 25, 71, (640, 480)), ("PETS-S3-MF1", 7, 107, (768, 576))]:
        seq = shared_data / "mot" / name
        info = read_seqinfo(seq)
        assert (info.name, info.fps, info.length, (info.width, info.height)) == (name, fps, length, size)
        assert info.img_dir == seq / "img1" and info.ext == ".jpg"
        with ImageFolderSource(seq) as src:
            assert src.seqinfo == info
            assert (src.info.kind, src.fps, len(src), (src.info.width, src.info.height)) == ("mot", fps, length, size)
            first = src.read()
            assert first.image.shape == (size[1], size[0], 3)
            assert np.array_equal(first.image, cv2.imread(str(seq / "img1" / "000001.jpg")))
            src.seek(length - 1)
            last = src.read()
            assert last.index == length - 1 and last.timestamp == pytest.approx((length - 1) / fps)
            assert np.array_equal(last.image, cv2.imread(str(seq / "img1" / f"{length:06d}.jpg")))
            assert src.read() is None


def _copy_frames(shared_data: Path, dest: Path, n: int) -> list[Path]:
    dest.mkdir(parents=True)
    src = shared_data / "mot" / "TUD-Campus" / "img1"
    return [Path(shutil.copy(src / f"{i:06d}.jpg", dest)) for i in range(1, n + 1)]


def test_corrupt_jpeg_is_skipped_and_counted(tmp_path: Path, shared_data: Path) -> None:
    seq = tmp_path / "seq"
    files = _copy_frames(shared_data, seq / "img1", 5)
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=cut\nimDir=img1\nframeRate=25\nseqLength=5\n"
                                     "imWidth=640\nimHeight=480\nimExt=.jpg\n")
    files[2].write_bytes(b"\xff\xd8\xff\xe0" + bytes(5000))  # JPEG magic, then garbage
    with ImageFolderSource(seq) as src:
        packets = list(src)
        assert [p.index for p in packets] == [0, 1, 3, 4]  # indices stay aligned with the files
        assert src.skipped == [files[2]]
    with ImageFolderSource(seq, on_corrupt="error") as src:
        src.read(), src.read()
        with pytest.raises(InputError, match="000003.jpg"):
            src.read()


def test_plain_image_folder_uses_natural_order(tmp_path: Path, shared_data: Path) -> None:
    files = _copy_frames(shared_data, tmp_path / "imgs", 3)
    for f, new in zip(files, ["10.jpg", "2.jpg", "1.jpg"]):
        f.rename(f.parent / new)
    (tmp_path / "imgs" / "readme.txt").write_text("not an image")
    with ImageFolderSource(tmp_path / "imgs", fps=10) as src:
        assert [f.name for f in src.files] == ["1.jpg", "2.jpg", "10.jpg"]
        assert (src.info.kind, src.fps, len(src), src.seqinfo) == ("images", 10, 3, None)


def test_bad_image_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no images"):
        ImageFolderSource(tmp_path)
    with pytest.raises(InputError, match="not found"):
        ImageFolderSource(tmp_path / "nope")
    (tmp_path / "seqinfo.ini").write_text("[Sequence]\nname=x\nframeRate=25\n")
    with pytest.raises(InputError, match="missing key seqLength"):
        read_seqinfo(tmp_path)
    (tmp_path / "seqinfo.ini").write_text("[Other]\n")
    with pytest.raises(InputError, match=r"\[Sequence\]"):
        ImageFolderSource(tmp_path)


def test_open_source_dispatch(shared_data: Path, tmp_path: Path) -> None:
    cases = [(shared_data / "video" / "megamind.avi", VideoFileSource), (shared_data / "mot" / "TUD-Campus", ImageFolderSource),
             (shared_data / "rgbd" / "7scenes-a", RGBDFolderSource)]
    for path, cls in cases:
        with open_source(str(path)) as src:
            assert type(src) is cls
    with pytest.raises(InputError, match="no camera at index 99"):
        open_source("webcam:99")
    with pytest.raises(InputError, match="no camera at index 98"):
        open_source("98")
    for bad in ["", "webcam:x"]:
        with pytest.raises(InputError) as exc:
            open_source(bad)
        assert ACCEPTED_FORMS in str(exc.value)
    with pytest.raises(InputError, match="source not found: nope/missing.mp4"):
        open_source("nope/missing.mp4")
    with pytest.raises(InputError, match="no images"):
        open_source(str(tmp_path))


def test_open_source_sample_and_synthetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from perception.synthetic import cache
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(cache, "SAMPLE_OPTIONS", {**cache.SAMPLE_OPTIONS, "n_frames": 3, "width": 64, "height": 48})
    with open_source("sample") as src:
        assert (src.info.kind, src.info.has_depth, len(src)) == ("rgbd-esam", True, 3)
        assert src.fps == src.ground_truth.fps  # the generator's rate, not the ESAM reader's default
        p = src.read()
        assert p.depth.shape == (48, 64) and p.pose is not None and p.intrinsics is not None
    with pytest.raises(InputError, match="no options"):
        open_source("sample", fps=5)
    with pytest.raises(InputError, match="unknown synthetic source"):
        open_source("synthetic:nonsense")
