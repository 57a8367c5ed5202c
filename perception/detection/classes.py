"""Class names: reading a labels file, and keeping only the classes a user asked for."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from perception.detection.base import Detector
from perception.types import Detections, FramePacket, InputError


def read_labels(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Class names from a text file, one per line (line k = class id k); blank lines and ``#`` comments skipped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read labels file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    names = tuple(s for s in (line.strip() for line in lines) if s and not s.startswith("#"))
    if not names:
        raise InputError(f"labels file {path} holds no class names (one per line)")
    return names


def name_of(class_ids: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The class name of each id (``class<id>`` for ids outside ``names``)."""
    return np.array([names[i] if 0 <= i < len(names) else f"class{i}" for i in np.asarray(class_ids, int)],
                    dtype=object)


class ClassFilter:
    """Wraps a detector and keeps only the detections whose label is in ``classes``."""

    def __init__(self, inner: Detector, classes: tuple[str, ...] | list[str]):
        wanted = tuple(dict.fromkeys(c.strip() for c in classes if c.strip()))
        if not wanted:
            raise InputError("--classes names no class")
        known = getattr(inner, "class_names", ())
        unknown = [c for c in wanted if known and c not in known]
        if unknown:
            raise InputError(f"detector '{inner.name}' has no class {', '.join(map(repr, unknown))}; "
                             f"it knows: {', '.join(known)}")
        self.inner, self.classes = inner, wanted
        self.name, self.class_names = inner.name, wanted

    def detect(self, packet: FramePacket) -> Detections:
        """The inner detections of the wanted classes."""
        dets = self.inner.detect(packet)
        return dets.subset(np.isin(dets.labels.astype(str), self.classes))

    def reset(self) -> None:
        """Forward to the inner detector."""
        self.inner.reset()

    def close(self) -> None:
        """Forward to the inner detector when it holds resources."""
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
