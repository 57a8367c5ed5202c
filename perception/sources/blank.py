"""Blank frames of a known size and rate: lets box-only tracking run through the normal pipeline."""

from __future__ import annotations

import numpy as np

from perception.sources.base import IndexedSource
from perception.types import FramePacket, SourceInfo


class BlankSource(IndexedSource):
    """``length`` black frames sharing one read-only image."""

    def __init__(self, name: str, width: int, height: int, fps: float, length: int):
        self.info = SourceInfo(name=name, kind="blank", fps=fps, width=width, height=height, length=length)
        self._image = np.zeros((height, width, 3), dtype=np.uint8)
        self._image.flags.writeable = False
        self._next = 0

    def read(self) -> FramePacket | None:
        """The next blank frame."""
        if self._next >= (self.info.length or 0):
            return None
        i = self._next
        self._next += 1
        return FramePacket(i, i / self.info.fps, self._image, self.info)
