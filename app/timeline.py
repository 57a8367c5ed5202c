"""The time bar under the video: a frame ruler, one lane per track (coloured by ID, where it lived), markers for
narration and answered questions, and the playhead. Click or drag seeks to the exact frame under the cursor.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.overlay import id_color_hex

RULER_H = 16
LANE_MAX_H = 7
LANES_H = 56
MARKERS_H = 10


@dataclass(frozen=True)
class Lane:
    """One track's life on the timeline."""

    track_id: int
    first: int
    last: int
    label: str = ""


@dataclass(frozen=True)
class Marker:
    """Something that happened at ``frame``: 'narration' or 'question'."""

    frame: int
    kind: str
    text: str


class Timeline(QWidget):
    """Emits ``seek_requested(frame)`` while clicking or dragging (drags are coalesced to one seek per 40 ms)."""

    seek_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.length: int | None = None
        self.seekable = False
        self.position = -1
        self.lanes: list[Lane] = []
        self.markers: list[Marker] = []
        self.highlight: int | None = None
        self._dragging = False
        self._pending: int | None = None
        self._background: QPixmap | None = None  # ruler, lanes and markers; the playhead is drawn over it
        self._drawn_span = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(40)
        self._timer.timeout.connect(self._flush)
        self.setMinimumHeight(RULER_H + LANES_H + MARKERS_H + 6)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Full width, fixed height."""
        return QSize(600, self.minimumHeight())

    # ----- data -----------------------------------------------------------------------------------------
    def reset(self, length: int | None, seekable: bool) -> None:
        """A new source of ``length`` frames (None: live or unknown)."""
        self.length, self.seekable, self.position = length, seekable, -1
        self.lanes, self.markers = [], []
        self.highlight = None
        self.setCursor(Qt.CursorShape.PointingHandCursor if seekable and length else Qt.CursorShape.ArrowCursor)
        self.invalidate()

    def invalidate(self) -> None:
        """Redraw everything (lanes, markers, highlight or size changed), not only the playhead."""
        self._background = None
        self.update()

    def set_position(self, frame: int) -> None:
        """Move the playhead."""
        if frame != self.position:
            old, self.position = self.position, frame
            if not self.length and self._span() != self._drawn_span:
                self.invalidate()  # a live source: the bar grows
                return
            for f in (old, frame):  # only the strips under the old and the new playhead are redrawn
                if f >= 0:
                    self.update(int(self.x_of(f)) - 2, 0, 5, self.height())

    def set_lanes(self, lanes: list[Lane]) -> None:
        """Replace the track lanes."""
        if lanes != self.lanes:
            self.lanes = lanes
            self.invalidate()

    def add_marker(self, marker: Marker) -> None:
        """Add one event marker."""
        self.markers.append(marker)
        self.invalidate()

    def _span(self) -> int:
        """Frames the bar spans (for live sources: what has been seen so far)."""
        if self.length:
            return self.length
        ends = [ln.last for ln in self.lanes] + [m.frame for m in self.markers] + [self.position]
        return max(ends) + 1 if ends and max(ends) >= 0 else 1

    def frame_at(self, x: float) -> int:
        """The frame under widget x (clamped)."""
        span = self._span()
        w = max(1, self.width() - 2)
        return int(min(span - 1, max(0, round((x - 1) / w * (span - 1)))))

    def x_of(self, frame: float) -> float:
        """Widget x of frame ``frame``."""
        span = self._span()
        return 1 + (self.width() - 2) * (frame / max(span - 1, 1))

    # ----- drawing --------------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """The cached ruler, lanes and markers, then the playhead."""
        if self._background is None or self._background.size() != self.size():
            self._background = self._draw_background()
        p = QPainter(self)
        p.drawPixmap(event.rect(), self._background, event.rect())
        if self.position >= 0:
            x = self.x_of(self.position)
            p.setPen(QPen(QColor(255, 80, 60), 2))
            p.drawLine(int(x), 0, int(x), self.height())
        p.end()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Every x moves: redraw all."""
        self._background = None
        super().resizeEvent(event)

    def _draw_background(self) -> QPixmap:
        """Ruler, lanes and markers at the current size."""
        pixmap = QPixmap(self.size())
        p = QPainter(pixmap)
        w = self.width()
        p.fillRect(self.rect(), QColor(36, 36, 40))
        p.fillRect(QRectF(0, 0, w, RULER_H), QColor(48, 48, 54))
        span = self._drawn_span = self._span()
        font = QFont(self.font())
        font.setPointSizeF(7.5)
        p.setFont(font)
        p.setPen(QColor(150, 150, 150))
        step = _nice_step(span, max(1, w // 70))
        for f in range(0, span, step):
            x = self.x_of(f)
            p.drawLine(int(x), RULER_H - 5, int(x), RULER_H)
            p.drawText(int(x) + 2, RULER_H - 4, str(f + 1))
        lanes = self.lanes
        if lanes:
            lane_h = min(LANE_MAX_H, LANES_H / len(lanes))
            for k, ln in enumerate(lanes):
                y = RULER_H + 2 + k * lane_h
                color = QColor(id_color_hex(ln.track_id))
                if self.highlight is not None and ln.track_id != self.highlight:
                    color.setAlpha(70)
                x0, x1 = self.x_of(ln.first), self.x_of(ln.last)
                p.fillRect(QRectF(x0, y, max(2.0, x1 - x0), max(1.0, lane_h - 1)), color)
        elif not self.length:
            p.setPen(QColor(120, 120, 120))
            p.drawText(6, RULER_H + 20, "live source: the timeline grows as frames arrive")
        y0 = RULER_H + LANES_H + 3
        p.setPen(Qt.PenStyle.NoPen)
        for m in self.markers:
            x = self.x_of(m.frame)
            p.setBrush(QColor(80, 160, 255) if m.kind == "question" else QColor(190, 190, 190))
            p.drawPolygon([QPointF(x - 4, y0 + MARKERS_H), QPointF(x + 4, y0 + MARKERS_H), QPointF(x, y0)])
        p.end()
        return pixmap

    # ----- seeking --------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Seek to the frame under the click and start dragging."""
        if event.button() == Qt.MouseButton.LeftButton and self.seekable and self.length:
            self._dragging = True
            self._request(self.frame_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Scrub while dragging; otherwise say what is under the cursor."""
        x = event.position().x()
        if self._dragging:
            self._request(self.frame_at(x))
            return
        frame = self.frame_at(x)
        near = [m.text for m in self.markers if abs(self.x_of(m.frame) - x) <= 4]
        self.setToolTip(f"frame {frame + 1}" + ("\n" + "\n".join(near[:4]) if near else ""))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Finish the drag (the last position is seeked)."""
        if self._dragging:
            self._dragging = False
            self._request(self.frame_at(event.position().x()))
            self._flush()

    def _request(self, frame: int) -> None:
        self.set_position(frame)
        self._pending = frame
        if not self._timer.isActive():
            self._flush()
            self._timer.start()

    def _flush(self) -> None:
        frame, self._pending = self._pending, None
        if frame is not None:
            self.seek_requested.emit(frame)


def _nice_step(span: int, ticks: int) -> int:
    """A round frame step (1, 2, 5, 10, 20, 50, ...) giving at most ``ticks`` ruler labels."""
    raw = max(1, span // max(ticks, 1))
    base = 1
    while True:
        for m in (1, 2, 5):
            if base * m >= raw:
                return base * m
        base *= 10
