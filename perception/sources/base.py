"""The interface every frame source implements: iterate, length, seek, fps, close."""

from __future__ import annotations

import abc
from collections.abc import Iterator

from perception.types import FramePacket, InputError, SourceInfo


class SourceEnded(Exception):
    """A live source stopped delivering frames (e.g. a camera was unplugged)."""


class FrameSource(abc.ABC):
    """A stream of FramePackets.

    Iteration yields frames from the current position until the end (files) or until the
    device stops (live sources, which end cleanly rather than raising).
    """

    info: SourceInfo

    @abc.abstractmethod
    def read(self) -> FramePacket | None:
        """Next frame, or None at the end of the stream."""

    def __iter__(self) -> Iterator[FramePacket]:
        while True:
            packet = self.read()
            if packet is None:
                return
            yield packet

    def __len__(self) -> int:
        if self.info.length is None:
            raise TypeError(f"source '{self.info.name}' has no known length")
        return self.info.length

    @property
    def fps(self) -> float:
        """Native frame rate (frames per second)."""
        return self.info.fps

    @property
    def seekable(self) -> bool:
        """Whether seek() is supported."""
        return False

    def seek(self, index: int) -> None:
        """Make the next read() return frame ``index`` exactly."""
        raise InputError(f"source '{self.info.name}' cannot seek")

    def close(self) -> None:
        """Release the device or file."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_seek(self, index: int) -> int:
        length = self.info.length
        if index < 0 or (length is not None and index >= length):
            raise InputError(f"seek to frame {index} is outside '{self.info.name}' (0..{(length or 0) - 1})")
        return int(index)


class IndexedSource(FrameSource):
    """A source whose frames are addressed by index (a folder, a list, a generator): seekable anywhere in it."""

    _next: int  # the index read() returns next; set by the subclass's __init__

    @property
    def seekable(self) -> bool:
        """Always seekable."""
        return True

    def seek(self, index: int) -> None:
        """Make the next read() return frame ``index``."""
        self._next = self._check_seek(index)
