"""Synthetic scenes as frame sources: generated folders read back through the real readers, plus ground truth."""

from __future__ import annotations

import os
from pathlib import Path

from perception.sources.base import FrameSource
from perception.sources.images import ImageFolderSource
from perception.sources.rgbd import RGBDFolderSource
from perception.synthetic.mot_truth import MotGroundTruth
from perception.synthetic.room_truth import RoomGroundTruth
from perception.types import FramePacket


class SyntheticSource(FrameSource):
    """A generated scene folder read by its ordinary reader, with ``ground_truth`` for tests and evaluation.

    RGB-D rooms are read by ``RGBDFolderSource`` (ESAM layout) and carry a ``RoomGroundTruth``;
    walkers sequences are read by ``ImageFolderSource`` (MOT layout) and carry a ``MotGroundTruth``.
    """

    def __init__(self, reader: FrameSource, ground_truth: RoomGroundTruth | MotGroundTruth, root: Path):
        self.reader = reader
        self.ground_truth = ground_truth
        self.root = root
        self.info = reader.info

    @property
    def seekable(self) -> bool:
        """Always seekable."""
        return self.reader.seekable

    def seek(self, index: int) -> None:
        """Make the next read() return frame ``index``."""
        self.reader.seek(index)

    def read(self) -> FramePacket | None:
        """The next frame (RGB-D: with depth in metres, intrinsics and camera-to-world pose)."""
        return self.reader.read()

    def close(self) -> None:
        """Close the underlying reader."""
        self.reader.close()


def open_room_folder(path: str | os.PathLike[str]) -> SyntheticSource:
    """A generated RGB-D room folder as a source (ESAM reader) with its RoomGroundTruth."""
    truth = RoomGroundTruth.load(path)
    return SyntheticSource(RGBDFolderSource(path, fps=truth.fps, layout="esam"), truth, Path(path))


def open_walkers_folder(path: str | os.PathLike[str]) -> SyntheticSource:
    """A generated walkers MOT folder as a source (image/MOT reader) with its MotGroundTruth."""
    truth = MotGroundTruth.load(path)
    return SyntheticSource(ImageFolderSource(path, on_corrupt="error"), truth, Path(path))
