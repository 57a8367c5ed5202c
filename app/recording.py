"""Record the frames of a session so it can be replayed later, without Qt.

Sources with depth are written in the ESAM RGB-D layout the app reads back (``color/N.jpg``,
``depth/N.png`` in millimetres, ``pose/N.txt``, ``intrinsic.txt``); others as an MJPG ``.avi`` video.
Everything is written beside the target under a temporary name and renamed into place on ``finish``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np

from perception.io.atomic import check_export_path
from perception.io.esam import EsamWriter
from perception.types import FramePacket, InputError, SourceInfo

VIDEO_SUFFIXES = {".avi": "MJPG", ".mp4": "mp4v"}


def recording_kind(info: SourceInfo) -> str:
    """'rgbd' (a folder) when the source has depth, else 'video' (a file)."""
    return "rgbd" if info.has_depth else "video"


class SessionRecorder:
    """Frames in via ``add`` (any thread, one at a time), ``finish`` makes the recording appear atomically."""

    def __init__(self, path: str | os.PathLike[str], info: SourceInfo):
        self.path = Path(path)
        self.info = info
        self.kind = recording_kind(info)
        self.frames = 0
        if self.kind == "video":
            check_export_path(self.path)
            if self.path.suffix.lower() not in VIDEO_SUFFIXES:
                raise InputError(f"record a video as .avi or .mp4, got '{self.path.name}'")
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=self.path.suffix, dir=self.path.parent)
            os.close(fd)
            self._tmp = Path(tmp)
            self._writer: cv2.VideoWriter | None = None
        else:
            parent = self.path.parent
            if not parent.is_dir():
                raise InputError(f"cannot record to {self.path}: folder {parent} does not exist")
            if self.path.is_file():
                raise InputError(f"cannot record to {self.path}: it is a file; choose a folder name")
            self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".part", dir=parent))
            self._esam = EsamWriter(self._tmp)
            self._all_posed = True

    def add(self, packet: FramePacket) -> None:
        """Append one frame."""
        if self.kind == "video":
            self._add_video(packet.image)
        else:
            self._add_rgbd(packet)
        self.frames += 1

    def _add_video(self, image: np.ndarray) -> None:
        if self._writer is None:
            fourcc = cv2.VideoWriter_fourcc(*VIDEO_SUFFIXES[self.path.suffix.lower()])
            self._writer = cv2.VideoWriter(str(self._tmp), fourcc, self.info.fps or 30.0,
                                           (image.shape[1], image.shape[0]))
            if not self._writer.isOpened():
                raise InputError(f"cannot write video {self.path}: no encoder for {self.path.suffix}")
        self._writer.write(image)

    def _add_rgbd(self, p: FramePacket) -> None:
        n = self.frames
        if n == 0:
            if p.intrinsics is None:
                raise InputError("cannot record RGB-D without camera intrinsics")
            self._esam.write_intrinsics(p.intrinsics.matrix)
        self._all_posed &= p.pose is not None
        self._esam.write_frame(n, p.image, p.depth, p.pose)

    def finish(self) -> Path:
        """Move the recording into place (replacing an older one); InputError if no frame was recorded."""
        if self.frames == 0:
            self.abort()
            raise InputError("nothing was recorded: no frame was shown while recording")
        if self.kind == "video":
            self._writer.release()
            os.replace(self._tmp, self.path)
            return self.path
        if not self._all_posed:
            shutil.rmtree(self._tmp / "pose")
        old = None
        if self.path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".old", dir=self.path.parent))
            os.replace(self.path, old / "previous")
        os.replace(self._tmp, self.path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.path

    def abort(self) -> None:
        """Throw the partial recording away."""
        if self.kind == "video":
            if self._writer is not None:
                self._writer.release()
            self._tmp.unlink(missing_ok=True)
        else:
            shutil.rmtree(self._tmp, ignore_errors=True)
