"""Stats panel: FPS, per-stage milliseconds, queue depth and dropped frames over time (pyqtgraph).

Samples are appended per frame into ring buffers; the plots redraw on a slow timer so drawing them
costs the GUI thread a few milliseconds a few times a second, not per frame.
"""

from __future__ import annotations

import html
from collections import deque
from collections.abc import Container

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from app.overlay import id_color_hex


class StatsPanel(QWidget):
    """Rolling plots of the last ``history`` frames."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """The dock's first size (the video gets the rest)."""
        return QSize(800, 230)

    def __init__(self, parent: QWidget | None = None, history: int = 300, redraw_ms: int = 500):
        super().__init__(parent)
        self.history = history
        self.frames: deque[int] = deque(maxlen=history)
        self.fps: deque[float] = deque(maxlen=history)
        self.queue: deque[int] = deque(maxlen=history)
        self.dropped: deque[int] = deque(maxlen=history)
        self.quality_levels: deque[float] = deque(maxlen=history)
        self.quality: tuple[int, str] | None = None  # (level, what is degraded) of QualityGovernor; None: off
        self.stage_ms: dict[str, deque[float]] = {}
        self.map_frames = 0  # frames the 3D map stage handled since the source opened ...
        self.keyframes = 0  # ... and those it fused (keyframes; the others were tracked against the map)
        self._last_t: float | None = None
        self._dirty = False
        self.summary = QLabel("no frames yet")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.fps_plot = pg.PlotWidget(title="Displayed frames per second")
        self.ms_plot = pg.PlotWidget(title="Time per stage (ms); colours as in the line above")
        self.q_plot = pg.PlotWidget(title="Queue (yellow), dropped (red), quality level (green, 0 = full)")
        self.fps_curve = self.fps_plot.plot(pen=pg.mkPen("c", width=2))
        self.q_curve = self.q_plot.plot(pen=pg.mkPen("y", width=2), name="queue")
        self.drop_curve = self.q_plot.plot(pen=pg.mkPen("r", width=2), name="dropped")
        self.quality_curve = self.q_plot.plot(pen=pg.mkPen("g", width=2), name="quality level")
        self.stage_curves: dict[str, pg.PlotDataItem] = {}
        for w in (self.fps_plot, self.ms_plot, self.q_plot):
            w.setMinimumHeight(100)
            w.setLabel("bottom", "displayed frame (most recent on the right)")
        lay = QGridLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.summary, 0, 0, 1, 2)
        lay.addWidget(self.ms_plot, 1, 0, 1, 2)
        lay.addWidget(self.fps_plot, 2, 0)
        lay.addWidget(self.q_plot, 2, 1)
        lay.setRowStretch(1, 1)
        lay.setRowStretch(2, 1)
        self.setMinimumSize(360, 220)
        self._timer = QTimer(self)
        self._timer.setObjectName("stats-redraw")
        self._timer.timeout.connect(self.redraw)
        self._timer.start(redraw_ms)

    def reset(self) -> None:
        """Clear every series (a new source)."""
        for d in (self.frames, self.fps, self.queue, self.dropped, self.quality_levels):
            d.clear()
        self.quality = None
        self.map_frames = self.keyframes = 0
        for d in self.stage_ms.values():
            d.clear()
        self._last_t = None
        self._dirty = True

    def add(self, frame: int, t: float, timings_ms: dict[str, float], queue_depth: int, dropped: int,
            quality: tuple[int, str] | None = None, skipped: Container[str] = ()) -> None:
        """One displayed frame: its index, display time (s), per-stage times, queue depth, drops so far, the
        adaptive quality level (None: adaptive quality off) and the stages that skipped it (map3d: not a keyframe)."""
        self.quality = quality
        if "map3d" in timings_ms:
            self.map_frames += 1
            self.keyframes += "map3d" not in skipped
        self.quality_levels.append(float("nan") if quality is None else float(quality[0]))
        if self._last_t is not None and t > self._last_t:
            self.fps.append(1.0 / (t - self._last_t))
        else:
            self.fps.append(float("nan"))
        self._last_t = t
        self.frames.append(frame)
        self.queue.append(queue_depth)
        self.dropped.append(dropped)
        n = len(self.frames)
        for name, ms in timings_ms.items():
            series = self.stage_ms.setdefault(name, deque([float("nan")] * (n - 1), maxlen=self.history))
            series.append(ms)
        for name, series in self.stage_ms.items():
            if len(series) < n:
                series.append(float("nan"))
        self._dirty = True

    def smoothed_fps(self, window: int = 30) -> float:
        """Mean display FPS over the last ``window`` frames (nan if unknown)."""
        vals = np.array(list(self.fps)[-window:], dtype=float)
        vals = vals[np.isfinite(vals)]
        return float(1.0 / np.mean(1.0 / vals)) if len(vals) else float("nan")

    def redraw(self) -> None:
        """Push the buffers to the plots (only if something changed and the panel is on screen)."""
        if not self._dirty or not self.isVisible():
            return
        self._dirty = False
        x = np.arange(len(self.frames))
        self.fps_curve.setData(x, np.array(self.fps, dtype=float), connect="finite")
        self.q_curve.setData(x, np.array(self.queue, dtype=float))
        self.drop_curve.setData(x, np.array(self.dropped, dtype=float))
        self.quality_curve.setData(x, np.array(self.quality_levels, dtype=float), connect="finite")
        for k, (name, series) in enumerate(self.stage_ms.items()):
            curve = self.stage_curves.get(name)
            if curve is None:
                curve = self.ms_plot.plot(pen=pg.mkPen(id_color_hex(k + 1), width=2), name=name)
                self.stage_curves[name] = curve
            curve.setData(np.arange(len(series)), np.array(series, dtype=float), connect="finite")
        values = np.array([v for series in self.stage_ms.values() for v in series], dtype=float)
        values = values[np.isfinite(values)]
        if len(values):  # a rare spike runs off the top instead of flattening every other curve
            self.ms_plot.setYRange(0.0, max(1.0, 1.3 * float(np.percentile(values, 98))), padding=0)
        self.summary.setText(self.summary_text())

    def quality_text(self) -> str:
        """What the adaptive quality does now, as rich text."""
        if self.quality is None:
            return ('<span title="Every frame is processed in full. Adaptive quality turns on for cameras and with '
                    '\'Stay live\'.">quality: every frame in full</span>')
        level, what = self.quality
        if level == 0:
            return '<span style="color:#60d060">quality: full (adaptive)</span>'
        return f'<span style="color:#ffa040">under load, degraded (level {level}): {html.escape(what)}</span>'

    def summary_text(self) -> str:
        """One line: display rate, queue, drops and each stage's latest time in its curve's colour (no NaN)."""
        if not self.frames:
            return "no frames yet"
        fps = self.smoothed_fps()
        parts = [f"display {fps:.1f} FPS" if np.isfinite(fps) else "display – FPS (one frame so far)",
                 f"queue {self.queue[-1]}", f"dropped {self.dropped[-1]}", self.quality_text()]
        if self.map_frames:
            parts.append(f'<span title="Frames fused into the 3D map; the others were tracked against it">'
                         f'keyframes {self.keyframes} of {self.map_frames}</span>')
        for k, (name, series) in enumerate(self.stage_ms.items()):
            v = series[-1] if series else float("nan")
            value = f"{v:.1f} ms" if np.isfinite(v) else "–"
            parts.append(f'<span style="color:{id_color_hex(k + 1)}">■</span> {name} {value}')
        return " | ".join(parts)
