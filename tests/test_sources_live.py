"""Live sources without hardware: a webcam through an injected fake capture, RealSense when absent."""

from __future__ import annotations

import importlib.util

import cv2
import numpy as np
import pytest

from perception.pipeline.runner import Pipeline, run_pipeline
from perception.sources import RealSenseSource, WebcamSource, list_cameras
from perception.types import InputError


class FakeCapture:
    """Delivers ``frames`` numbered frames, then fails every read (an unplugged camera); ``glitch`` fails once."""

    def __init__(self, frames: int, glitch_at: int | None = None, opened: bool = True, gray: bool = False):
        self.frames, self.glitch_at, self.opened, self.gray = frames, glitch_at, opened, gray
        self.delivered = 0
        self.reads = 0
        self.released = False
        self.props: dict[int, float] = {cv2.CAP_PROP_FPS: 15.0}

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.opened

    def read(self) -> tuple[bool, np.ndarray | None]:
        self.reads += 1
        if self.released or self.delivered >= self.frames or self.reads == self.glitch_at:
            return False, None
        self.delivered += 1
        shape = (48, 64) if self.gray else (48, 64, 3)
        return True, np.full(shape, self.delivered, np.uint8)

    def get(self, prop: int) -> float:
        return self.props.get(prop, 0.0)

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True

    def release(self) -> None:
        self.released = True


def test_webcam_ends_cleanly_when_frames_stop() -> None:
    cap = FakeCapture(frames=7)
    src = WebcamSource(3, capture=cap, retry_delay_s=0)
    assert src.info.live and src.info.length is None and src.fps == 15.0 and not src.seekable
    assert (src.info.width, src.info.height, src.info.name) == (64, 48, "webcam:3")
    packets = list(src)
    assert [p.index for p in packets] == list(range(7))
    assert [int(p.image[0, 0, 0]) for p in packets] == list(range(1, 8))  # no frame lost or repeated
    assert all(b.timestamp >= a.timestamp for a, b in zip(packets, packets[1:]))
    assert src.disconnected and "after 7 frames" in src.end_reason
    assert src.read() is None
    src.close()
    assert cap.released


def test_webcam_retries_a_single_failed_read() -> None:
    src = WebcamSource(0, capture=FakeCapture(frames=5, glitch_at=3), retry_delay_s=0)
    assert len(list(src)) == 5 and src.disconnected


def test_webcam_in_pipeline_stops_without_error() -> None:
    src = WebcamSource(0, capture=FakeCapture(frames=4, gray=True), retry_delay_s=0, width=64, height=48)
    stats = run_pipeline(src, Pipeline([]))
    assert stats.frames == 4 and stats.error_count == 0


def test_webcam_that_never_delivers_or_is_closed() -> None:
    with pytest.raises(InputError, match="delivers no frames"):
        WebcamSource(0, capture=FakeCapture(frames=0), retry_delay_s=0)
    with pytest.raises(InputError, match="no camera at index 5"):
        WebcamSource(5, capture=FakeCapture(frames=3, opened=False))
    src = WebcamSource(0, capture=FakeCapture(frames=10), retry_delay_s=0)
    src.read()
    src.close()
    assert src.read() is None


def test_webcam_missing_index() -> None:
    with pytest.raises(InputError, match="no camera at index 99"):
        WebcamSource(99)


def test_list_cameras_returns_devices() -> None:
    cams = list_cameras()
    assert all(c.index >= 0 and c.name for c in cams)
    assert 99 not in {c.index for c in cams}


@pytest.mark.skipif(importlib.util.find_spec("pyrealsense2") is not None, reason="pyrealsense2 is installed")
def test_realsense_absent_is_a_clear_input_error() -> None:
    with pytest.raises(InputError, match=r"pyrealsense2 is not installed; pip install '\.\[realsense\]'"):
        RealSenseSource()


def test_realsense_device_delivers_depth() -> None:
    pytest.importorskip("pyrealsense2")
    from perception.sources import list_realsense
    if not list_realsense():
        pytest.skip("no RealSense camera connected")
    with RealSenseSource() as src:
        p = src.read()
        assert p is not None and p.depth is not None and p.depth.shape == p.image.shape[:2]
