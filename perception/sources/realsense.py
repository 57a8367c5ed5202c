"""Intel RealSense colour + depth (aligned to colour) through the optional ``pyrealsense2`` package."""

from __future__ import annotations

import logging
import time
from types import ModuleType

import numpy as np

from perception.sources.base import FrameSource
from perception.types import FramePacket, InputError, Intrinsics, SourceInfo

log = logging.getLogger(__name__)


def _import_rs() -> ModuleType:
    try:
        import pyrealsense2 as rs
    except ImportError:
        raise InputError("pyrealsense2 is not installed; pip install '.[realsense]'") from None
    return rs


def list_realsense() -> list[tuple[str, str]]:
    """(serial, name) of each connected RealSense device; InputError if pyrealsense2 is missing."""
    rs = _import_rs()
    return [(d.get_info(rs.camera_info.serial_number), d.get_info(rs.camera_info.name))
            for d in rs.context().query_devices()]


class RealSenseSource(FrameSource):
    """Live colour (BGR) and depth in metres aligned to colour; ends cleanly when frames stop arriving."""

    def __init__(self, serial: str | None = None, width: int = 640, height: int = 480, fps: int = 30,
                 timeout_ms: int = 2000):
        rs = _import_rs()
        devices = list_realsense()
        if not devices:
            raise InputError("no RealSense camera is connected")
        if serial is not None and serial not in {s for s, _ in devices}:
            raise InputError(f"no RealSense camera with serial {serial} (connected: "
                             f"{', '.join(f'{s} ({n})' for s, n in devices)})")
        config = rs.config()
        if serial is not None:
            config.enable_device(serial)
        config.enable_stream(rs.stream.color, width, height, rs.format.bgr8, fps)
        config.enable_stream(rs.stream.depth, width, height, rs.format.z16, fps)
        self._pipe = rs.pipeline()
        try:
            profile = self._pipe.start(config)
        except RuntimeError as exc:
            raise InputError(f"cannot start RealSense {serial or devices[0][0]} at {width}x{height}@{fps}: {exc}") from None
        self._depth_scale = float(profile.get_device().first_depth_sensor().get_depth_scale())
        self._align = rs.align(rs.stream.color)
        k = profile.get_stream(rs.stream.color).as_video_stream_profile().get_intrinsics()
        self.intrinsics = Intrinsics(k.fx, k.fy, k.ppx, k.ppy, k.width, k.height)
        self.timeout_ms = timeout_ms
        self.disconnected = False
        self.end_reason: str | None = None
        self._count = 0
        self._t0: float | None = None
        self._running = True
        self.info = SourceInfo(name=f"realsense:{serial or devices[0][0]}", kind="realsense", fps=float(fps),
                               width=k.width, height=k.height, length=None, live=True, has_depth=True)

    def read(self) -> FramePacket | None:
        """The next aligned colour/depth pair; None once the camera stops (or after close())."""
        if not self._running or self.disconnected:
            return None
        color = depth = None
        while not color or not depth:  # an incomplete frameset is skipped
            try:
                frames = self._align.process(self._pipe.wait_for_frames(self.timeout_ms))
            except RuntimeError as exc:
                self.disconnected = True
                self.end_reason = f"{self.info.name} stopped delivering frames after {self._count} frames: {exc}"
                log.warning("%s", self.end_reason)
                return None
            color, depth = frames.get_color_frame(), frames.get_depth_frame()
        now = time.monotonic()
        self._t0 = now if self._t0 is None else self._t0
        i = self._count
        self._count += 1
        d = np.asanyarray(depth.get_data()).astype(np.float32) * np.float32(self._depth_scale)
        return FramePacket(i, now - self._t0, np.asanyarray(color.get_data()).copy(), self.info, depth=d,
                           intrinsics=self.intrinsics)

    def close(self) -> None:
        """Stop the camera."""
        if self._running:
            self._running = False
            self._pipe.stop()
