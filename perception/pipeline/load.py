"""Adaptive quality under load: when frames take longer than the source's frame interval, run the costly
stages on fewer frames, in a stated order, instead of letting latency grow; recover when there is room again.

Order of degradation: the 3D map (and mesh) integrate every 2nd, then every 3rd frame; then segmentation and
detection run every 2nd frame (stages with a ``hold`` method repeat their last output on the frames between; the
keyframe map stage tracks those frames against the map).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class QualityLevel:
    """One step of degradation: stage name -> run it on every N-th frame."""

    description: str
    strides: dict[str, int] = field(default_factory=dict)


LEVELS: tuple[QualityLevel, ...] = (
    QualityLevel("full quality"),
    QualityLevel("3D map on every 2nd frame", {"map3d": 2, "mesh": 2}),
    QualityLevel("3D map on every 3rd frame", {"map3d": 3, "mesh": 3}),
    QualityLevel("3D map on every 3rd frame, segmentation and detection on every 2nd",
                 {"map3d": 3, "mesh": 3, "segment": 2, "detect": 2}),
)


class QualityGovernor:
    """Chooses a QualityLevel from recent per-frame processing times against a frame budget (ms).

    Steps down after ``patience`` frames in a row whose smoothed time exceeds the budget; steps back up after
    ``recovery`` frames in a row under ``headroom`` x budget. ``changes`` counts level changes.
    """

    def __init__(self, budget_ms: float, patience: int = 5, recovery: int = 90, headroom: float = 0.6,
                 smoothing: float = 0.2):
        if not budget_ms > 0:
            raise ValueError(f"frame budget must be positive, got {budget_ms}")
        self.budget_ms, self.patience, self.recovery = budget_ms, patience, recovery
        self.headroom, self.smoothing = headroom, smoothing
        self.level = 0
        self.changes = 0
        self._ema: float | None = None
        self._over = self._under = 0

    @property
    def current(self) -> QualityLevel:
        """The level in force."""
        return LEVELS[self.level]

    def observe(self, frame_ms: float) -> None:
        """Account for one processed frame's total stage time."""
        self._ema = frame_ms if self._ema is None else (1 - self.smoothing) * self._ema + self.smoothing * frame_ms
        over, under = self._ema > self.budget_ms, self._ema < self.headroom * self.budget_ms
        self._over = self._over + 1 if over else 0
        self._under = self._under + 1 if under else 0
        if self._over >= self.patience and self.level < len(LEVELS) - 1:
            self._step(+1)
        elif self._under >= self.recovery and self.level > 0:
            self._step(-1)

    def _step(self, delta: int) -> None:
        self.level += delta
        self.changes += 1
        self._over = self._under = 0
