"""The 3D view: map points, camera trajectory and frustum in a pyqtgraph GLViewWidget.

Without a working OpenGL context the same data is drawn top-down in a plain 2D plot, so the panel
degrades instead of failing. Clicking near a point emits the instance ID it belongs to.
"""

from __future__ import annotations

import logging

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QOffscreenSurface, QOpenGLContext
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout,
                               QWidget)

from app.cloud import CloudSnapshot
from app.overlay import id_colors

log = logging.getLogger(__name__)


def opengl_available() -> tuple[bool, str, bool]:
    """Whether an OpenGL context can be made current here, why not, and whether it renders in software."""
    try:
        ctx = QOpenGLContext()
        if not ctx.create():
            return False, "no OpenGL context could be created", False
        surface = QOffscreenSurface()
        surface.create()
        if not ctx.makeCurrent(surface):
            return False, "the OpenGL context could not be made current", False
        from OpenGL import GL

        renderer = (GL.glGetString(GL.GL_RENDERER) or b"").decode(errors="replace").lower()
        ctx.doneCurrent()
        return True, "", any(k in renderer for k in ("llvmpipe", "softpipe", "software", "swrast"))
    except Exception as exc:  # any driver trouble means: use the 2D fallback
        return False, str(exc), False


def point_colors(snap: CloudSnapshot, by: str, highlight: int | None) -> np.ndarray:
    """Nx4 float RGBA in 0..1: by 'instance' (ID colours, grey for none) or 'rgb'; others dim when highlighting."""
    if by == "instance":
        rgb = id_colors(snap.ids)[:, ::-1].astype(np.float32) / 255.0
        rgb[snap.ids == 0] = 0.55
    else:
        rgb = snap.rgb.astype(np.float32) / 255.0
    rgba = np.column_stack([rgb, np.ones(len(rgb), np.float32)])
    if highlight is not None and (snap.ids == highlight).any():
        rgba[snap.ids != highlight, :3] *= 0.3
    return rgba


def _pick(snap: CloudSnapshot, screen_xy: np.ndarray, x: float, y: float, radius: float = 12.0) -> int | None:
    """The instance ID of the point drawn nearest (x, y) within ``radius`` pixels, if it has one."""
    if not len(screen_xy):
        return None
    d = np.hypot(screen_xy[:, 0] - x, screen_xy[:, 1] - y)
    d[snap.ids == 0] = np.inf
    k = int(np.argmin(d))
    return int(snap.ids[k]) if d[k] <= radius else None


class _GLCanvas:
    """GLViewWidget with scatter, trajectory and frustum items."""

    def __init__(self, owner: "CloudView"):
        view = _PickingGLView(owner)
        view.setCameraPosition(distance=8.0, elevation=35, azimuth=-60)
        view.addItem(gl.GLGridItem())
        self.scatter = gl.GLScatterPlotItem(pos=np.zeros((0, 3)), size=3.0, pxMode=True, glOptions="opaque")
        self.path = gl.GLLinePlotItem(pos=np.zeros((0, 3)), color=(1.0, 0.85, 0.1, 1.0), width=2.0)
        self.frustum = gl.GLLinePlotItem(pos=np.zeros((0, 3)), color=(0.2, 1.0, 0.3, 1.0), width=2.0, mode="lines")
        for item in (self.scatter, self.path, self.frustum):
            view.addItem(item)
        self.widget = view

    def show(self, snap: CloudSnapshot, colors: np.ndarray) -> None:
        self.scatter.setData(pos=snap.xyz, color=colors)
        self.path.setData(pos=snap.trajectory if len(snap.trajectory) > 1 else np.zeros((0, 3)))
        self.frustum.setData(pos=snap.frustum)

    def screen_points(self, xyz: np.ndarray) -> np.ndarray:
        v = self.widget
        m = np.array((v.projectionMatrix() * v.viewMatrix()).data(), dtype=np.float64).reshape(4, 4).T
        h = np.column_stack([xyz, np.ones(len(xyz))]) @ m.T
        ndc = h[:, :2] / np.where(np.abs(h[:, 3:4]) < 1e-9, 1e-9, h[:, 3:4])
        return np.column_stack([(ndc[:, 0] + 1) / 2 * v.width(), (1 - ndc[:, 1]) / 2 * v.height()])


class _PickingGLView(gl.GLViewWidget):
    """GLViewWidget that reports clicks (not drags) to its owner's picker."""

    def __init__(self, owner: "CloudView"):
        super().__init__()
        self._owner = owner
        self._press = None

    def mousePressEvent(self, ev) -> None:  # noqa: N802 - Qt's name
        """Remember where a possible click started."""
        self._press = ev.position()
        super().mousePressEvent(ev)

    def mouseReleaseEvent(self, ev) -> None:  # noqa: N802
        """A release close to the press is a click: pick there."""
        super().mouseReleaseEvent(ev)
        if self._press is not None and (ev.position() - self._press).manhattanLength() < 4:
            self._owner.pick_at(ev.position().x(), ev.position().y())


class _FlatCanvas:
    """Top-down 2D scatter used when OpenGL is unavailable."""

    def __init__(self, owner: "CloudView"):
        self.widget = pg.PlotWidget()
        self.widget.setAspectLocked(True)
        self.widget.setLabel("bottom", "x (m)")
        self.widget.setLabel("left", "y (m)")
        self.scatter = pg.ScatterPlotItem(size=3, pen=None)
        self.index = np.zeros(0, dtype=np.int64)  # drawn point -> snapshot point
        self.scatter.sigClicked.connect(
            lambda _item, pts, _ev: owner.pick_point(int(self.index[pts[0].index()])) if len(pts) else None)
        self.path = pg.PlotCurveItem(pen=pg.mkPen((255, 217, 25), width=2))
        self.frustum = pg.PlotCurveItem(pen=pg.mkPen((50, 255, 80), width=2), connect="pairs")
        for item in (self.scatter, self.path, self.frustum):
            self.widget.addItem(item)

    def show(self, snap: CloudSnapshot, colors: np.ndarray, max_points: int = 5000) -> None:
        keep = np.linspace(0, len(snap) - 1, min(len(snap), max_points)).astype(np.int64) if len(snap) else []
        self.index = np.asarray(keep, dtype=np.int64)
        rgba = (colors[self.index] * 255).astype(np.uint8)
        palette, inverse = np.unique(rgba, axis=0, return_inverse=True)
        brushes = [pg.mkBrush(*c) for c in palette.tolist()]
        self.scatter.setData(x=snap.xyz[self.index, 0], y=snap.xyz[self.index, 1],
                             brush=[brushes[i] for i in inverse.ravel()])
        self.path.setData(snap.trajectory[:, 0], snap.trajectory[:, 1]) if len(snap.trajectory) else self.path.clear()
        self.frustum.setData(snap.frustum[:, 0], snap.frustum[:, 1]) if len(snap.frustum) else self.frustum.clear()


class CloudView(QWidget):
    """Point cloud panel with colour mode and point budget controls."""

    instance_clicked = Signal(int)
    budget_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None, use_opengl: bool | None = None):
        super().__init__(parent)
        ok, why, self.software_gl = opengl_available() if use_opengl is None else (use_opengl, "OpenGL disabled", False)
        self.snapshot: CloudSnapshot | None = None
        self.highlight: int | None = None
        self.color_by = QComboBox()
        self.color_by.addItems(["instance", "rgb"])
        self.color_by.currentTextChanged.connect(lambda _t: self._redraw())
        self.budget = QSpinBox()
        self.budget.setRange(1_000, 1_000_000)
        self.budget.setSingleStep(10_000)
        self.budget.setValue(60_000)
        self.budget.setSuffix(" pts")
        self.budget.valueChanged.connect(self.budget_changed)
        self.info = QLabel("no points yet")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Colour by"))
        bar.addWidget(self.color_by)
        bar.addWidget(QLabel("Budget"))
        bar.addWidget(self.budget)
        bar.addWidget(self.info, 1)
        self.canvas: _GLCanvas | _FlatCanvas
        try:
            self.canvas = _GLCanvas(self) if ok else _FlatCanvas(self)
        except Exception as exc:
            log.warning("3D view falls back to a top-down plot: %s", exc)
            ok, why, self.canvas = False, str(exc), _FlatCanvas(self)
        self.opengl = ok
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(bar)
        if not ok:
            note = QLabel(f"OpenGL unavailable ({why}): showing the map from above.")
            note.setWordWrap(True)
            lay.addWidget(note)
        self.separate_window = ok and self.software_gl
        if self.separate_window:
            # Software OpenGL: a GL widget inside the main window would make every video repaint composite
            # the whole window through GL; in its own top-level window it costs only its own updates.
            self.canvas.widget.setWindowTitle("Perception Studio — 3D view")
            self.canvas.widget.resize(640, 480)
            note = QLabel("Software OpenGL: the 3D view has its own window.")
            note.setWordWrap(True)
            show = QPushButton("Show 3D window")
            show.clicked.connect(self.show_window)
            lay.addWidget(note)
            lay.addWidget(show)
            self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        else:
            lay.addWidget(self.canvas.widget, 1)
        self.canvas.widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def show_window(self) -> None:
        """Show (and raise) the separate 3D window, when the view uses one."""
        if self.separate_window:
            self.canvas.widget.show()
            self.canvas.widget.raise_()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """The separate 3D window appears with the panel."""
        super().showEvent(event)
        self.show_window()

    def close_window(self) -> None:
        """Close the separate 3D window (the main window is closing)."""
        if self.separate_window:
            self.canvas.widget.close()

    def set_snapshot(self, snap: CloudSnapshot) -> None:
        """Show new points, trajectory and frustum."""
        self.snapshot = snap
        self._redraw()

    def set_highlight(self, instance_id: int | None) -> None:
        """Dim every point not belonging to ``instance_id`` (None: no highlight)."""
        self.highlight = instance_id
        self._redraw()

    def _redraw(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        self.canvas.show(snap, point_colors(snap, self.color_by.currentText(), self.highlight))
        n_inst = len(np.unique(snap.ids[snap.ids > 0]))
        self.info.setText(f"{len(snap):,} points, {n_inst} instances" + ("" if snap.from_map else " (live depth)"))

    def pick_at(self, x: float, y: float) -> None:
        """Emit the instance under widget pixel (x, y), if any (GL canvas)."""
        if self.snapshot is None or not isinstance(self.canvas, _GLCanvas):
            return
        tid = _pick(self.snapshot, self.canvas.screen_points(self.snapshot.xyz.astype(np.float64)), x, y)
        if tid is not None:
            self.instance_clicked.emit(tid)

    def pick_point(self, index: int) -> None:
        """Emit the instance of point ``index`` if it has one (flat canvas)."""
        if self.snapshot is not None and 0 <= index < len(self.snapshot) and self.snapshot.ids[index] > 0:
            self.instance_clicked.emit(int(self.snapshot.ids[index]))
