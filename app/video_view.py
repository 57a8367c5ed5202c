"""The video view: draws one composited frame per update with zoom (wheel) and pan (drag); double-click fits."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class VideoView(QWidget):
    """Shows BGR uint8 frames; ``painted`` reports the perf_counter time each frame reached the screen."""

    painted = Signal(float)
    clicked = Signal(float, float)  # image pixel coordinates

    def __init__(self, placeholder: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.placeholder = placeholder
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._image: QImage | None = None
        self._buffer: np.ndarray | None = None
        self._zoom = 1.0
        self._pan = QPointF(0, 0)
        self._drag: QPointF | None = None
        self.paint_ms = 0.0

    def set_frame(self, bgr: np.ndarray) -> None:
        """Show a new HxWx3 uint8 BGR frame (the array is kept, not copied)."""
        self._buffer = np.ascontiguousarray(bgr)
        h, w = self._buffer.shape[:2]
        self._image = QImage(self._buffer.data, w, h, 3 * w, QImage.Format.Format_BGR888)
        self.update()

    def clear(self) -> None:
        """Show nothing (until the next frame); the view stays as zoomed."""
        self._image = self._buffer = None
        self.update()

    def set_placeholder(self, text: str) -> None:
        """The text shown while there is no frame (what can be opened, or what is being prepared)."""
        self.placeholder = text
        self.update()

    def image(self) -> QImage | None:
        """The frame on screen (a deep copy)."""
        return None if self._image is None else self._image.copy()

    @property
    def zoom(self) -> float:
        """Zoom factor relative to fit-to-window."""
        return self._zoom

    def fit(self) -> None:
        """Reset zoom and pan so the whole frame fits."""
        self._zoom, self._pan = 1.0, QPointF(0, 0)
        self.update()

    def _target(self) -> QRectF:
        w, h = self._image.width(), self._image.height()
        scale = min(self.width() / w, self.height() / h) * self._zoom
        tw, th = w * scale, h * scale
        return QRectF((self.width() - tw) / 2 + self._pan.x(), (self.height() - th) / 2 + self._pan.y(), tw, th)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Draw the frame scaled into the widget."""
        t0 = time.perf_counter()
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 24, 24))
        if self._image is not None:
            p.drawImage(self._target(), self._image)
        elif self.placeholder:
            p.setPen(QColor(200, 200, 200))
            p.drawText(self.rect().adjusted(24, 24, -24, -24), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.placeholder)
        p.end()
        t1 = time.perf_counter()
        self.paint_ms = (t1 - t0) * 1e3
        if self._image is not None:
            self.painted.emit(t1)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        """Zoom about the cursor."""
        if self._image is None:
            return
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        new_zoom = float(np.clip(self._zoom * factor, 0.2, 20.0))
        pos = event.position()
        centre = QPointF(self.width() / 2, self.height() / 2) + self._pan
        self._pan += (pos - centre) * (1 - new_zoom / self._zoom)
        self._zoom = new_zoom
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Start a pan; a click also reports the image pixel under the cursor."""
        self._drag = event.position()
        if self._image is not None:
            r = self._target()
            x = (event.position().x() - r.x()) / r.width() * self._image.width()
            y = (event.position().y() - r.y()) / r.height() * self._image.height()
            self.clicked.emit(x, y)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Pan by dragging."""
        if self._drag is not None:
            self._pan += event.position() - self._drag
            self._drag = event.position()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """End a pan."""
        self._drag = None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Fit the frame to the window."""
        self.fit()
