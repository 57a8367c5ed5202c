"""Frames already in memory (tests, benchmarks, frames handed over by another program)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from perception.sources.base import IndexedSource
from perception.types import FramePacket, InputError, SourceInfo


class MemorySource(IndexedSource):
    """A seekable source over a list of HxWx3 uint8 BGR images (optionally with per-frame depth in metres)."""

    def __init__(self, images: Sequence[np.ndarray], fps: float = 30.0, name: str = "memory",
                 depths: Sequence[np.ndarray] | None = None):
        if len(images) == 0:
            raise InputError("a memory source needs at least one image")
        if depths is not None and len(depths) != len(images):
            raise InputError(f"{len(depths)} depth maps for {len(images)} images")
        if fps <= 0:
            raise InputError(f"fps must be positive, got {fps}")
        self.images, self.depths = images, depths
        h, w = images[0].shape[:2]
        self.info = SourceInfo(name=name, kind="memory", fps=float(fps), width=w, height=h, length=len(images),
                               has_depth=depths is not None)
        self._next = 0

    def read(self) -> FramePacket | None:
        """The next frame, or None after the last."""
        i = self._next
        if i >= len(self.images):
            return None
        self._next += 1
        return FramePacket(i, i / self.info.fps, self.images[i], self.info,
                           depth=None if self.depths is None else self.depths[i])
