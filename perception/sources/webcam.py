"""Live cameras through OpenCV: listing, opening by index, and a clean end when frames stop."""

from __future__ import annotations

import glob
import logging
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from perception.sources.base import FrameSource
from perception.types import FramePacket, InputError, SourceInfo

log = logging.getLogger(__name__)

DEFAULT_FPS = 30.0


class Capture(Protocol):
    """The part of ``cv2.VideoCapture`` a webcam source uses (tests inject fakes)."""

    def isOpened(self) -> bool: ...  # noqa: N802 - OpenCV's name
    def read(self) -> tuple[bool, np.ndarray | None]: ...
    def get(self, prop: int) -> float: ...
    def set(self, prop: int, value: float) -> bool: ...
    def release(self) -> None: ...


@dataclass(frozen=True)
class CameraInfo:
    """A camera the OS reports: its OpenCV index and a human-readable name."""

    index: int
    name: str


def list_cameras(max_probe: int = 4) -> list[CameraInfo]:
    """Cameras present now. Linux: /dev/video* capture nodes (no device is opened); elsewhere: probe indexes."""
    if sys.platform.startswith("linux"):
        cams = []
        for dev in glob.glob("/dev/video*"):
            m = re.fullmatch(r"/dev/video(\d+)", dev)
            if m is None:
                continue
            sysfs = Path("/sys/class/video4linux") / f"video{m.group(1)}"
            node_index = _read_text(sysfs / "index")
            if node_index not in (None, "0"):  # index>0: a metadata node of the same camera
                continue
            cams.append(CameraInfo(int(m.group(1)), _read_text(sysfs / "name") or dev))
        return sorted(cams, key=lambda c: c.index)
    found = []
    for i in range(max_probe):
        cap = cv2.VideoCapture(i)
        if cap.isOpened():
            found.append(CameraInfo(i, f"camera {i}"))
        cap.release()
    return found


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _no_camera(index: int) -> InputError:
    cams = list_cameras()
    listed = ", ".join(f"{c.index} ({c.name})" for c in cams) or "none"
    return InputError(f"no camera at index {index} (cameras found: {listed})")


class WebcamSource(FrameSource):
    """Frames from a live camera; ends cleanly (read() -> None, ``disconnected`` set) when frames stop.

    ``capture`` replaces the OpenCV capture (an opened object with VideoCapture's read/get/set/release).
    A read is retried ``max_failures`` times, ``retry_delay_s`` apart, before the camera counts as gone.
    """

    def __init__(self, index: int = 0, width: int | None = None, height: int | None = None,
                 fps: float | None = None, capture: Capture | Any | None = None,
                 max_failures: int = 5, retry_delay_s: float = 0.05):
        self.index = int(index)
        node = Path(f"/dev/video{self.index}")
        linux = sys.platform.startswith("linux")
        if capture is None:
            if linux and not node.exists():
                raise _no_camera(self.index)
            capture = cv2.VideoCapture(self.index)
        if not capture.isOpened():
            capture.release()
            if linux and node.exists():
                raise InputError(f"camera {self.index} ({node}) exists but cannot be opened: "
                                 "in use by another program, or no permission")
            raise _no_camera(self.index)
        for prop, value in ((cv2.CAP_PROP_FRAME_WIDTH, width), (cv2.CAP_PROP_FRAME_HEIGHT, height),
                            (cv2.CAP_PROP_FPS, fps)):
            if value is not None:
                capture.set(prop, float(value))
        self._cap = capture
        self.max_failures = max(1, int(max_failures))
        self.retry_delay_s = retry_delay_s
        self.disconnected = False
        self.end_reason: str | None = None
        self._count = 0
        self._closed = False
        first = self._read_frame()
        if first is None:
            capture.release()
            raise InputError(f"camera {self.index} opened but delivers no frames")
        self._pending: np.ndarray | None = first
        rate = fps or capture.get(cv2.CAP_PROP_FPS)
        self.info = SourceInfo(name=f"webcam:{self.index}", kind="webcam",
                               fps=float(rate) if rate and rate > 0 else DEFAULT_FPS,
                               width=first.shape[1], height=first.shape[0], length=None, live=True)
        self._t0 = time.monotonic()

    def _read_frame(self) -> np.ndarray | None:
        for attempt in range(self.max_failures):
            ok, frame = self._cap.read()
            if ok and frame is not None and frame.size:
                return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if frame.ndim == 2 else frame
            if attempt + 1 < self.max_failures and self.retry_delay_s > 0:
                time.sleep(self.retry_delay_s)
        return None

    def read(self) -> FramePacket | None:
        """The newest camera frame; None once the camera stops delivering (or after close())."""
        if self._closed or self.disconnected:
            return None
        frame, self._pending = (self._pending, None) if self._pending is not None else (self._read_frame(), None)
        if frame is None:
            self.disconnected = True
            self.end_reason = (f"camera {self.index} stopped delivering frames after {self._count} frames "
                               "(disconnected?)")
            log.warning("%s", self.end_reason)
            return None
        i = self._count
        self._count += 1
        return FramePacket(i, time.monotonic() - self._t0, frame, self.info)

    def close(self) -> None:
        """Release the camera."""
        self._closed = True
        self._cap.release()
