"""The 3D view, docked in the window: map points, camera path and frustum, instance legend, camera controls.

The OpenGL canvas is created by ``activate()`` (the window calls it once torch and triton are loaded, see
app.preload). Without a working OpenGL context the same data is drawn top-down in a plain 2D plot. World
points are turned so that the camera's "up" points up on screen. Clicking near a point emits its 3D
instance ID.
"""

from __future__ import annotations

import html
import logging

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt, Signal
from PySide6.QtGui import QImage, QOffscreenSurface, QOpenGLContext, QVector3D
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from app.cloud import CloudSnapshot
from app.overlay import id_color_hex, id_colors

log = logging.getLogger(__name__)
SOFTWARE_GL_BUDGET = 20_000  # points drawn per redraw on software OpenGL (llvmpipe)
LEGEND_MAX = 12


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


def up_alignment(pose: np.ndarray | None) -> np.ndarray:
    """3x3 rotation taking the camera's up (-y of an OpenCV camera) to +z, so the scene stands upright."""
    if pose is None:
        return np.eye(3)
    up = -np.asarray(pose, float)[:3, 1]
    up /= np.linalg.norm(up) or 1.0
    z = np.array([0.0, 0.0, 1.0])
    v, c = np.cross(up, z), float(up @ z)
    if np.linalg.norm(v) < 1e-9:
        return np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1.0 + c)


def framing(xyz: np.ndarray, fov_deg: float = 60.0) -> tuple[np.ndarray, float]:
    """Centre and orbit distance that fit the bulk of ``xyz`` (2nd-98th percentile box) in view."""
    if not len(xyz):
        return np.zeros(3), 8.0
    lo, hi = np.percentile(xyz, [2, 98], axis=0)
    radius = max(float(np.linalg.norm(hi - lo)) / 2.0, 0.25)
    return (lo + hi) / 2.0, radius / np.tan(np.radians(fov_deg) / 2.0) * 1.1


def _pick(ids: np.ndarray, screen_xy: np.ndarray, x: float, y: float, radius: float = 12.0) -> int | None:
    """The instance ID of the point drawn nearest (x, y) within ``radius`` pixels, if it has one."""
    if not len(screen_xy):
        return None
    d = np.hypot(screen_xy[:, 0] - x, screen_xy[:, 1] - y)
    d[ids == 0] = np.inf
    k = int(np.argmin(d))
    return int(ids[k]) if d[k] <= radius else None


class _GLCanvas:
    """pyqtgraph's GL view as a native OpenGL window (QOpenGLWindow) docked through a window container.

    A QOpenGLWidget would switch the whole main window to OpenGL composition, so every video frame would be
    composed through (software) OpenGL; a window container keeps the rest of the window on plain raster drawing.
    """

    def __init__(self, owner: CloudView):
        import pyqtgraph.opengl as gl

        self.view = _make_picking_view(owner)
        self.view.setCameraPosition(distance=8.0, elevation=25, azimuth=-90)
        self.view.setBackgroundColor((30, 30, 34))
        self.widget = QWidget.createWindowContainer(self.view)
        self.grid = gl.GLGridItem()
        self.grid.setSize(20, 20)
        self.grid.setSpacing(1, 1)
        self.view.addItem(self.grid)
        self.scatter = gl.GLScatterPlotItem(pos=np.zeros((0, 3)), size=3.0, pxMode=True, glOptions="opaque")
        self.path = gl.GLLinePlotItem(pos=np.zeros((0, 3)), color=(1.0, 0.85, 0.1, 1.0), width=2.0)
        self.frustum = gl.GLLinePlotItem(pos=np.zeros((0, 3)), color=(0.2, 1.0, 0.3, 1.0), width=2.0, mode="lines")
        for item in (self.scatter, self.path, self.frustum):
            self.view.addItem(item)
        self.drawn = np.zeros((0, 3))

    def show(self, xyz: np.ndarray, colors: np.ndarray, path: np.ndarray, frustum: np.ndarray) -> None:
        self.drawn = xyz
        self.scatter.setData(pos=xyz, color=colors)
        self.path.setData(pos=path if len(path) > 1 else np.zeros((0, 3)))
        self.frustum.setData(pos=frustum)

    def look_at(self, centre: np.ndarray, distance: float, elevation: float | None = None,
                azimuth: float | None = None) -> None:
        self.view.setCameraPosition(pos=QVector3D(*map(float, centre)), distance=float(distance),
                                    elevation=elevation, azimuth=azimuth)
        self.grid.resetTransform()
        self.grid.translate(float(centre[0]), float(centre[1]), float(centre[2]) - distance * 0.35)

    def distance(self) -> float:
        return float(self.view.opts["distance"])

    def release(self) -> None:
        """Delete the container, and with it the GL window, now: left to teardown order, Python may free the
        window first and the container then touches freed memory."""
        self.widget.deleteLater()
        QCoreApplication.sendPostedEvents(self.widget, QEvent.Type.DeferredDelete)

    def image(self) -> QImage:
        """What the view shows now (rendered into an image)."""
        return self.view.grabFramebuffer()

    def screen_points(self, xyz: np.ndarray) -> np.ndarray:
        v = self.view
        m = np.array((v.projectionMatrix() * v.viewMatrix()).data(), dtype=np.float64).reshape(4, 4).T
        h = np.column_stack([xyz, np.ones(len(xyz))]) @ m.T
        ndc = h[:, :2] / np.where(np.abs(h[:, 3:4]) < 1e-9, 1e-9, h[:, 3:4])
        return np.column_stack([(ndc[:, 0] + 1) / 2 * v.width(), (1 - ndc[:, 1]) / 2 * v.height()])


def _make_picking_view(owner: CloudView):
    """A GL view window that reports clicks (not drags) to ``owner.pick_at``."""
    from pyqtgraph.opengl.GLViewWidget import GLViewMixin
    from PySide6.QtOpenGL import QOpenGLWindow

    class PickingGLWindow(GLViewMixin, QOpenGLWindow):
        def __init__(self, *args):
            super().__init__(*args)
            self._press = None

        def devicePixelRatioF(self) -> float:  # noqa: N802 - the name GLViewMixin calls
            return float(self.devicePixelRatio())

        def mousePressEvent(self, ev) -> None:  # noqa: N802 - Qt's name
            self._press = ev.position()
            super().mousePressEvent(ev)

        def mouseReleaseEvent(self, ev) -> None:  # noqa: N802
            super().mouseReleaseEvent(ev)
            if self._press is not None and (ev.position() - self._press).manhattanLength() < 4:
                owner.pick_at(ev.position().x(), ev.position().y())

    share = QOpenGLContext.globalShareContext()  # GL items cache shader programs across contexts
    return PickingGLWindow(share) if share is not None else PickingGLWindow()


class _FlatCanvas:
    """Top-down 2D scatter used when OpenGL is unavailable."""

    def __init__(self, owner: CloudView):
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
        self.drawn = np.zeros((0, 3))

    def show(self, xyz: np.ndarray, colors: np.ndarray, path: np.ndarray, frustum: np.ndarray,
             max_points: int = 5000) -> None:
        self.drawn = xyz
        keep = np.linspace(0, len(xyz) - 1, min(len(xyz), max_points)).astype(np.int64) if len(xyz) else []
        self.index = np.asarray(keep, dtype=np.int64)
        rgba = (colors[self.index] * 255).astype(np.uint8)
        palette, inverse = np.unique(rgba, axis=0, return_inverse=True)
        brushes = [pg.mkBrush(*c) for c in palette.tolist()]
        self.scatter.setData(x=xyz[self.index, 0], y=xyz[self.index, 1], brush=[brushes[i] for i in inverse.ravel()])
        self.path.setData(path[:, 0], path[:, 1]) if len(path) else self.path.clear()
        self.frustum.setData(frustum[:, 0], frustum[:, 1]) if len(frustum) else self.frustum.clear()

    def look_at(self, centre: np.ndarray, distance: float, elevation: float | None = None,
                azimuth: float | None = None) -> None:
        self.widget.autoRange()

    def image(self) -> QImage:
        """What the view shows now."""
        return self.widget.grab().toImage()


class CloudView(QWidget):
    """Point cloud panel: colour mode, point budget, fit / reset / follow camera, instance legend."""

    instance_clicked = Signal(int)
    budget_changed = Signal(int)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """The dock's first size (the video gets the rest)."""
        return QSize(520, 420)

    def __init__(self, parent: QWidget | None = None, use_opengl: bool | None = None):
        super().__init__(parent)
        self.use_opengl = use_opengl
        self.opengl = False
        self.software_gl = False
        self.snapshot: CloudSnapshot | None = None
        self.highlight: int | None = None
        self.align = np.eye(3)
        self._framed = False
        self.canvas: _GLCanvas | _FlatCanvas | None = None
        self.color_by = QComboBox()
        self.color_by.addItems(["instance", "rgb"])
        self.color_by.setToolTip("Colour points by 3D instance or by their camera colour")
        self.color_by.currentTextChanged.connect(lambda _t: self._redraw())
        self.budget = QSpinBox()
        self.budget.setRange(1_000, 1_000_000)
        self.budget.setSingleStep(10_000)
        self.budget.setValue(60_000)
        self.budget.setSuffix(" pts")
        self.budget.setToolTip("Most points drawn (lower is faster)")
        self.budget.valueChanged.connect(self.budget_changed)
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Frame all points")
        self.fit_button.clicked.connect(self.fit)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Upright view from behind the camera's start, framing all points")
        self.reset_button.clicked.connect(self.reset_view)
        self.follow = QCheckBox("Follow camera")
        self.follow.setToolTip("Keep the current camera position in the middle of the view")
        self.follow.toggled.connect(lambda _on: self._redraw())
        self.info = QLabel("no points yet")
        self.info.setWordWrap(True)
        self.info.setMinimumHeight(2 * self.info.fontMetrics().height() + 4)  # two lines are never clipped
        self.legend = QLabel("")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        bar = QHBoxLayout()  # two short rows: a narrow dock never clips a control
        for w in (QLabel("Colour"), self.color_by, self.budget):
            bar.addWidget(w)
        bar.addStretch(1)
        camera = QHBoxLayout()
        for w in (self.fit_button, self.reset_button, self.follow):
            camera.addWidget(w)
        camera.addStretch(1)
        self.placeholder = QLabel("Starting the 3D view…")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.hide()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self._layout.addLayout(bar)
        self._layout.addLayout(camera)
        self._layout.addWidget(self.note)
        self._layout.addWidget(self.placeholder, 1)
        self._layout.addWidget(self.info)
        self._layout.addWidget(self.legend)
        self.setMinimumSize(280, 220)
        if use_opengl is False:
            self.activate()

    def activate(self) -> None:
        """Create the canvas (OpenGL if a context works here, else the top-down plot); call once."""
        if self.canvas is not None:
            return
        ok, why, self.software_gl = ((False, "OpenGL turned off", False) if self.use_opengl is False
                                     else opengl_available())
        try:
            self.canvas = _GLCanvas(self) if ok else _FlatCanvas(self)
        except Exception as exc:
            log.warning("3D view falls back to a top-down plot: %s", exc)
            ok, why, self.canvas = False, str(exc), _FlatCanvas(self)
        self.opengl = ok
        if not ok:
            self.note.setText(f"OpenGL unavailable ({why}): showing the map from above.")
            self.note.show()
        elif self.software_gl and self.budget.value() > SOFTWARE_GL_BUDGET:
            self.budget.setValue(SOFTWARE_GL_BUDGET)  # software rendering: fewer points per redraw
        self.canvas.widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._layout.replaceWidget(self.placeholder, self.canvas.widget)
        self.placeholder.deleteLater()
        self._redraw()

    def clear(self) -> None:
        """Forget the points and the framing (a new source)."""
        self.snapshot = None
        self.highlight = None
        self.align = np.eye(3)
        self._framed = False
        if self.canvas is not None:
            z = np.zeros((0, 3))
            self.canvas.show(z, np.zeros((0, 4), np.float32), z, z)
        self.info.setText("no points yet")
        self.legend.setText("")

    def set_snapshot(self, snap: CloudSnapshot) -> None:
        """Show new points, camera path and frustum; the first snapshot with points of a source is framed."""
        self.snapshot = snap
        self._redraw()
        if not self._framed and len(snap) and self.canvas is not None:
            self.reset_view()

    def set_highlight(self, instance_id: int | None) -> None:
        """Dim every point not belonging to 3D instance ``instance_id`` (None: no highlight)."""
        self.highlight = instance_id
        self._redraw()

    def fit(self) -> None:
        """Frame all points, keeping the viewing direction."""
        if self.canvas is None or self.snapshot is None:
            return
        centre, distance = framing(self.canvas.drawn)
        self.canvas.look_at(centre, distance)
        self._framed = True

    def reset_view(self) -> None:
        """Upright view from behind and above the camera, framing all points."""
        snap = self.snapshot
        if self.canvas is None or snap is None:
            return
        self.align = up_alignment(snap.pose)
        self._redraw()
        centre, distance = framing(self.canvas.drawn)
        azimuth = -90.0
        if snap.pose is not None:
            forward = self.align @ np.asarray(snap.pose, float)[:3, 2]
            azimuth = float(np.degrees(np.arctan2(forward[1], forward[0]))) + 180.0
        self.canvas.look_at(centre, distance, elevation=25.0, azimuth=azimuth)
        self._framed = True

    def _redraw(self) -> None:
        snap = self.snapshot
        if snap is None or self.canvas is None:
            return
        colors = point_colors(snap, self.color_by.currentText(), self.highlight)
        r = self.align.T
        self.canvas.show(snap.xyz @ r, colors, snap.trajectory @ r if len(snap.trajectory) else snap.trajectory,
                         snap.frustum @ r if len(snap.frustum) else snap.frustum)
        if self.follow.isChecked() and snap.pose is not None and isinstance(self.canvas, _GLCanvas):
            self.canvas.look_at(self.align @ np.asarray(snap.pose, float)[:3, 3], self.canvas.distance())
        self._describe(snap)

    def _describe(self, snap: CloudSnapshot) -> None:
        if not snap.has_depth and not snap.from_map:
            self.info.setText("This source has no depth, so there is nothing to show in 3D. Open an RGB-D folder "
                              "or the sample for a 3D map.")
            self.legend.setText("")
            return
        ids, counts = np.unique(snap.ids[snap.ids > 0], return_counts=True)
        what = "3D map" if snap.from_map else "this frame's depth (3D map off)"
        path = f", camera path {len(snap.trajectory)} poses" if len(snap.trajectory) else ""
        self.info.setText(f"{len(snap):,} points, {len(ids)} 3D instances from {what}{path}")
        order = np.argsort(-counts)[:LEGEND_MAX]
        chips = " ".join(f'<span style="color:{id_color_hex(int(i))}">■</span>&nbsp;I{int(i)}' for i in ids[order])
        more = f" … +{len(ids) - LEGEND_MAX}" if len(ids) > LEGEND_MAX else ""
        self.legend.setText(f"<small>{chips}{html.escape(more)}</small>" if len(ids) else "")

    def release(self) -> None:
        """Give up the 3D canvas (the window is closing); the view shows nothing afterwards."""
        canvas, self.canvas = self.canvas, None
        if isinstance(canvas, _GLCanvas):
            canvas.release()

    def image(self) -> QImage | None:
        """What the 3D view shows now (None before it starts)."""
        return None if self.canvas is None else self.canvas.image()

    def pick_at(self, x: float, y: float) -> None:
        """Emit the instance under widget pixel (x, y), if any (OpenGL canvas)."""
        if self.snapshot is None or not isinstance(self.canvas, _GLCanvas):
            return
        tid = _pick(self.snapshot.ids, self.canvas.screen_points(np.asarray(self.canvas.drawn, np.float64)), x, y)
        if tid is not None:
            self.instance_clicked.emit(tid)

    def pick_point(self, index: int) -> None:
        """Emit the instance of point ``index`` if it has one (flat canvas)."""
        if self.snapshot is not None and 0 <= index < len(self.snapshot) and self.snapshot.ids[index] > 0:
            self.instance_clicked.emit(int(self.snapshot.ids[index]))
