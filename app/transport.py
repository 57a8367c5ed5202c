"""Transport bar under the video: play/pause, step, seek slider, speed, live mode and overlay layer toggles."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from app.overlay import OverlayLayers

SPEEDS = {"0.25x": 0.25, "0.5x": 0.5, "1x": 1.0, "2x": 2.0, "4x": 4.0, "max": None}


class TransportBar(QWidget):
    """Widgets only; the main window connects them to the controller."""

    play_toggled = Signal()
    step_requested = Signal(int)
    seek_requested = Signal(int)
    speed_changed = Signal(object)  # float or None
    live_changed = Signal(bool)
    layers_changed = Signal(object)  # OverlayLayers

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.play_button = QToolButton()
        self.play_button.setText("Play")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(self.play_toggled)
        self.back_button = QToolButton()
        self.back_button.setText("◀")
        self.back_button.setToolTip("Previous frame (Left)")
        self.back_button.clicked.connect(lambda: self.step_requested.emit(-1))
        self.next_button = QToolButton()
        self.next_button.setText("▶")
        self.next_button.setToolTip("Next frame (Right)")
        self.next_button.clicked.connect(lambda: self.step_requested.emit(1))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setTracking(False)
        self.slider.valueChanged.connect(self.seek_requested)
        self.frame_label = QLabel("–")
        self.frame_label.setFixedWidth(110)
        self.speed = QComboBox()
        self.speed.addItems(list(SPEEDS))
        self.speed.setCurrentText("1x")
        self.speed.setToolTip("Playback speed for files")
        self.speed.currentTextChanged.connect(lambda t: self.speed_changed.emit(SPEEDS[t]))
        self.live = QCheckBox("Stay live")
        self.live.setToolTip("Drop frames the pipeline cannot keep up with (off: process every frame)")
        self.live.toggled.connect(self.live_changed)
        self.layer_boxes: dict[str, QCheckBox] = {}
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        for w in (self.back_button, self.play_button, self.next_button):
            lay.addWidget(w)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.frame_label)
        lay.addWidget(self.speed)
        lay.addWidget(self.live)
        for name in ("masks", "boxes", "ids", "trails"):
            box = QCheckBox(name.capitalize())
            box.setChecked(True)
            box.toggled.connect(self._layers_toggled)
            self.layer_boxes[name] = box
            lay.addWidget(box)
        self.highlight: int | None = None
        for w in self.findChildren(QWidget):  # keys stay with the window: Space plays, arrows step
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def layers(self) -> OverlayLayers:
        """The layers the toggles ask for."""
        on = {k: b.isChecked() for k, b in self.layer_boxes.items()}
        return OverlayLayers(**on, highlight=self.highlight)

    def _layers_toggled(self, _on: bool) -> None:
        self.layers_changed.emit(self.layers())

    def set_length(self, length: int | None, seekable: bool) -> None:
        """Configure the slider for a source of ``length`` frames (disabled for live / unseekable sources)."""
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, (length or 1) - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(bool(length) and seekable)
        self.back_button.setEnabled(seekable)
        self._length = length

    def show_frame(self, index: int) -> None:
        """Move the slider (without seeking) and the label to ``index``."""
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setValue(index)
            self.slider.blockSignals(False)
        length = getattr(self, "_length", None)
        self.frame_label.setText(f"{index + 1} / {length}" if length else f"frame {index + 1}")

    def show_state(self, state: str) -> None:
        """Label the play button for the controller's state."""
        self.play_button.setText("Pause" if state == "playing" else "Play")
