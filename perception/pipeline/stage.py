"""The contract every pipeline stage follows."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from perception.types import FrameResult


@runtime_checkable
class Stage(Protocol):
    """One step of per-frame work: takes the frame result so far, fills in its part, returns it.

    Stages are online: they see one frame at a time, in order, and never look ahead.
    """

    name: str

    def process(self, result: FrameResult) -> FrameResult:
        """Fill this stage's part of ``result`` and return it."""
        ...

    def reset(self) -> None:
        """Forget all state (a new sequence starts or the source seeked)."""
        ...

    def close(self) -> None:
        """Release resources (threads, files, models)."""
        ...
