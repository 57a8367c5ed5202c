"""Video files through OpenCV's FFmpeg backend, with frame-exact seeking.

Seeking forward by a few frames decodes forward; other seeks use CAP_PROP_POS_FRAMES (which the
FFmpeg backend resolves by seeking to the previous keyframe and decoding forward), and fall back
to decoding from frame 0 if the backend lands anywhere but the requested frame.
A file that ends early (truncated) stops cleanly at its last decodable frame.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from pathlib import Path

import cv2
import numpy as np

from perception.sources.base import FrameSource
from perception.types import FramePacket, InputError, SourceInfo

log = logging.getLogger(__name__)

# FFmpeg and OpenCV print their own complaints straight to stderr (e.g. "moov atom not found"); the InputError
# or warning raised here says it once, in words, so keep them quiet unless the user set their log levels.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
if "OPENCV_LOG_LEVEL" not in os.environ:
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)

FORWARD_DECODE_LIMIT = 30  # seeks at most this far ahead decode forward instead of asking the backend


class VideoFileSource(FrameSource):
    """Frames of a video file, timestamps ``index / fps``; ``fps`` overrides the file's rate."""

    def __init__(self, path: str | os.PathLike[str], fps: float | None = None):
        path = Path(path)
        if not path.exists():
            raise InputError(f"video file not found: {path}")
        if not path.is_file():
            raise InputError(f"not a video file: {path}")
        if path.stat().st_size == 0:
            raise InputError(f"video file is empty (0 bytes): {path}")
        self.path = path
        self._cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            self._cap.release()
            raise InputError(f"cannot open {path} as a video: not a video file, or a format or codec "
                             "OpenCV cannot decode")
        ok, first = self._cap.read()
        if not ok or first is None:
            self._cap.release()
            raise InputError(f"{path} opened as a video but no frame could be decoded")
        native_fps = self._cap.get(cv2.CAP_PROP_FPS)
        rate = fps if fps is not None else native_fps
        if not (rate and math.isfinite(rate) and rate > 0):
            self._cap.release()
            raise InputError(f"{path}: the file has no valid frame rate; pass fps")
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.info = SourceInfo(name=path.name, kind="video", fps=float(rate), width=first.shape[1],
                               height=first.shape[0], length=count if count > 0 else None, path=str(path))
        self._pending: np.ndarray | None = first  # frame 0, already decoded
        self._pos = 0  # index of the frame the next read() returns
        self._ended = False
        self._closed = False

    @property
    def seekable(self) -> bool:
        """Video files are seekable."""
        return True

    def seek(self, index: int) -> None:
        """Make the next read() return frame ``index`` exactly."""
        index = self._check_seek(index)
        if self._closed:
            raise InputError(f"{self.path.name} is closed")
        self._ended = False
        if index == self._pos:
            return
        cap_pos = self._pos + (self._pending is not None)  # the capture is past a pending frame
        self._pending = None
        if cap_pos <= index <= cap_pos + FORWARD_DECODE_LIMIT:
            reached = cap_pos + self._grab(index - cap_pos)
        else:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
            reached = int(self._cap.get(cv2.CAP_PROP_POS_FRAMES))
            if reached != index:
                log.debug("%s: backend seek to %d landed on %d; decoding from frame 0", self.path.name, index, reached)
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                reached = self._grab(index)
        self._pos = reached
        if reached != index:
            self._end_early()
            raise InputError(f"cannot seek to frame {index} of {self.path.name}: decoding stops at frame {reached} "
                             "(truncated or damaged file)")

    def _grab(self, n: int) -> int:
        """Decode and drop up to ``n`` frames; return how many there were."""
        for k in range(n):
            if not self._cap.grab():
                return k
        return n

    def read(self) -> FramePacket | None:
        """The next frame, or None at the end of the file (or of its decodable part)."""
        if self._closed:
            return None
        if self._pending is not None:
            frame, self._pending = self._pending, None
        else:
            if self._ended:
                return None
            ok, frame = self._cap.read()
            if not ok or frame is None:
                self._end_early()
                return None
        i = self._pos
        self._pos += 1
        return FramePacket(i, i / self.info.fps, frame, self.info)

    def _end_early(self) -> None:
        """Record the real length when decoding stops before the header's frame count."""
        self._ended = True
        length = self.info.length
        if length is not None and self._pos < length:
            log.warning("%s: decoding stopped at frame %d of %d (truncated or damaged file)",
                        self.path.name, self._pos, length)
            self.info = dataclasses.replace(self.info, length=self._pos)

    def close(self) -> None:
        """Release the file; later reads return None."""
        self._closed = True
        self._cap.release()
