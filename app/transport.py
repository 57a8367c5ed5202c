"""Transport row under the timeline: step / play, frame counter, speed, live mode and a menu of overlay layers."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from app.overlay import OverlayLayers

SPEEDS = {"0.25x": 0.25, "0.5x": 0.5, "1x": 1.0, "2x": 2.0, "4x": 4.0, "max": None}


class TransportBar(QWidget):
    """Widgets only; the main window connects them to the controller."""

    play_toggled = Signal()
    step_requested = Signal(int)
    speed_changed = Signal(object)  # float or None
    live_changed = Signal(bool)
    layers_changed = Signal(object)  # OverlayLayers

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.play_button = QToolButton()
        self.play_button.setText("Play")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.setMinimumWidth(56)
        self.play_button.clicked.connect(self.play_toggled)
        self.back_button = QToolButton()
        self.back_button.setText("◀")
        self.back_button.setToolTip("Previous frame (Left)")
        self.back_button.clicked.connect(lambda: self.step_requested.emit(-1))
        self.next_button = QToolButton()
        self.next_button.setText("▶")
        self.next_button.setToolTip("Next frame (Right)")
        self.next_button.clicked.connect(lambda: self.step_requested.emit(1))
        self.frame_label = QLabel("no source")
        self.frame_label.setMinimumWidth(150)
        self.speed = QComboBox()
        self.speed.addItems(list(SPEEDS))
        self.speed.setCurrentText("1x")
        self.speed.setToolTip("Playback speed for files ([ slower, ] faster)")
        self.speed.currentTextChanged.connect(lambda t: self.speed_changed.emit(SPEEDS[t]))
        self.live = QCheckBox("Stay live")
        self.live.setToolTip("Drop frames the pipeline cannot keep up with (off: process every frame)")
        self.live.toggled.connect(self.live_changed)
        self.layers_button = QToolButton()
        self.layers_button.setText("Overlays")
        self.layers_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.layers_menu = QMenu(self)
        self.layer_boxes: dict[str, QAction] = {}
        for name in ("masks", "boxes", "ids", "trails"):
            action = self.layers_menu.addAction(name.capitalize())
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(self._layers_toggled)
            self.layer_boxes[name] = action
        self.layers_menu.addSeparator()
        self.by_class = self.layers_menu.addAction("Colour by class")
        self.by_class.setCheckable(True)
        self.by_class.setToolTip("Colour masks and boxes by class label (as the legend) instead of by track ID")
        self.by_class.toggled.connect(self._layers_toggled)
        self.layers_button.setMenu(self.layers_menu)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 2)
        for w in (self.back_button, self.play_button, self.next_button, self.frame_label):
            lay.addWidget(w)
        lay.addStretch(1)
        for w in (QLabel("Speed"), self.speed, self.live, self.layers_button):
            lay.addWidget(w)
        self.highlight: int | None = None
        self.hidden: frozenset[str] = frozenset()  # class labels the legend hides
        self._length: int | None = None
        for w in self.findChildren(QWidget):  # keys stay with the window's shortcuts
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def layers(self) -> OverlayLayers:
        """The layers the toggles ask for."""
        on = {k: b.isChecked() for k, b in self.layer_boxes.items()}
        return OverlayLayers(**on, highlight=self.highlight, hidden=self.hidden, by_class=self.by_class.isChecked())

    def _layers_toggled(self, _on: bool) -> None:
        self.layers_changed.emit(self.layers())

    def set_length(self, length: int | None, seekable: bool) -> None:
        """Configure for a source of ``length`` frames (None: live or unknown)."""
        self._length = length
        self.back_button.setEnabled(seekable)
        self.frame_label.setText("frame – / " + (str(length) if length else "live"))

    def show_frame(self, index: int, fps: float | None = None) -> None:
        """Show frame ``index`` (and its time when the rate is known)."""
        t = f"  {index / fps:6.2f} s" if fps else ""
        self.frame_label.setText(f"frame {index + 1} / {self._length}{t}" if self._length else f"frame {index + 1}{t}")

    def show_state(self, state: str) -> None:
        """Label the play button for the controller's state."""
        self.play_button.setText("Pause" if state == "playing" else "Play")

    def change_speed(self, steps: int) -> None:
        """Move the speed choice ``steps`` entries (negative: slower)."""
        i = min(max(self.speed.currentIndex() + steps, 0), self.speed.count() - 1)
        self.speed.setCurrentIndex(i)
