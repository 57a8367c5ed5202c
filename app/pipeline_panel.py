"""Pipeline controls: segmenter, tracker and thresholds, 3D map, memory, answer backend settings.

Only what is installed is offered: each choice is probed by importing the module that provides it.
"""

from __future__ import annotations

import importlib.util

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.answers import AnswerSettings, backend_names, default_endpoint
from perception.pipeline.factory import PipelineOptions

# tracker name -> the threshold options its constructor takes (label, key, default)
TRACKER_THRESHOLDS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "graph": (("High score", "high_score", 0.5), ("Match score", "match_score", 0.3)),
    "iou": (("IoU threshold", "iou_threshold", 0.3), ("Min score", "min_score", 0.3)),
}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def available_segmenters() -> list[str]:
    """Segmenter names from the segmenter registry ("auto" lets the factory pick)."""
    from perception.segmentation import SEGMENTERS

    names = list(SEGMENTERS)
    return ["auto", "none", *[n for n in names if n not in ("auto", "none")]]


def available_trackers() -> list[str]:
    """Tracker names from the tracker registry, plus 'none'."""
    try:
        from trackers.registry import TRACKERS
    except ImportError:
        return ["none"]
    return ["none", *TRACKERS]


def available_trackers3d() -> list[str]:
    """3D tracker names from the tracker registry, plus 'none'."""
    try:
        from trackers.registry import TRACKERS_3D
    except ImportError:
        return ["none"]
    return [*TRACKERS_3D, "none"]


def memory_installed() -> bool:
    """Whether the streaming memory stage can be built."""
    return _installed("perception.memory")


def map3d_installed() -> bool:
    """Whether the 3D map stage can be built."""
    return _installed("perception.map3d.stage")


MAP3D_CHOICES: dict[str, bool | None] = {"auto": None, "on": True, "off": False}


class PipelinePanel(QWidget):
    """Emits ``options_changed(PipelineOptions)`` on Apply and ``answer_changed(AnswerSettings)`` on edits."""

    options_changed = Signal(object)
    answer_changed = Signal(object)
    sam_checkpoint_requested = Signal()
    sam_download_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.segmenter = QComboBox()
        self.segmenter.addItems(available_segmenters())
        self.sam_button = QPushButton("SAM checkpoint…")
        self.sam_button.clicked.connect(self.sam_checkpoint_requested)
        self.sam_download = QPushButton("Download…")
        self.sam_download.setToolTip("Download the SAM ViT-B checkpoint")
        self.sam_download.clicked.connect(self.sam_download_requested)
        self.sam_checkpoint = ""
        self.tracker = QComboBox()
        self.tracker.addItems(available_trackers())
        self.tracker.currentTextChanged.connect(self._show_thresholds)
        self.thresholds: dict[str, QDoubleSpinBox] = {}
        self.threshold_form = QFormLayout()
        self.map3d = QComboBox()
        self.map3d.addItems(list(MAP3D_CHOICES) if map3d_installed() else ["off"])
        self.map3d.setToolTip("auto: on for sources with depth" if map3d_installed() else "The 3D map is not installed")
        self.tracker3d = QComboBox()
        self.tracker3d.addItems(available_trackers3d())
        self.memory = QCheckBox("Streaming memory (chat)")
        self.memory.setEnabled(memory_installed())
        self.apply_button = QPushButton("Apply")
        self.apply_button.clicked.connect(lambda: self.options_changed.emit(self.options()))
        self.backend = QComboBox()
        self.backend.addItems(backend_names())
        self.endpoint = QLineEdit()
        self.backend.currentTextChanged.connect(lambda k: self.endpoint.setPlaceholderText(default_endpoint(k)))
        self.model = QLineEdit()
        self.model.setPlaceholderText("model name")
        self.api_key_env = QLineEdit()
        self.api_key_env.setPlaceholderText("environment variable with the API key (optional)")
        for w in (self.backend,):
            w.currentTextChanged.connect(lambda _t: self.answer_changed.emit(self.answer_settings()))
        for w in (self.endpoint, self.model, self.api_key_env):
            w.editingFinished.connect(lambda: self.answer_changed.emit(self.answer_settings()))

        stages = QGroupBox("Stages")
        form = QFormLayout(stages)
        seg_row = QHBoxLayout()
        seg_row.addWidget(self.segmenter, 1)
        seg_row.addWidget(self.sam_button)
        seg_row.addWidget(self.sam_download)
        form.addRow("Segmenter", seg_row)
        form.addRow("Tracker", self.tracker)
        form.addRow(self.threshold_form)
        form.addRow("3D map", self.map3d)
        form.addRow("3D tracker", self.tracker3d)
        form.addRow(self.memory)
        form.addRow(self.apply_button)
        answers = QGroupBox("Answers")
        aform = QFormLayout(answers)
        aform.addRow("Backend", self.backend)
        aform.addRow("Endpoint", self.endpoint)
        aform.addRow("Model", self.model)
        aform.addRow("API key variable", self.api_key_env)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(stages)
        lay.addWidget(answers)
        lay.addStretch(1)
        self._show_thresholds(self.tracker.currentText())

    def _show_thresholds(self, tracker: str) -> None:
        while self.threshold_form.rowCount():
            self.threshold_form.removeRow(0)
        self.thresholds.clear()
        for label, key, default in TRACKER_THRESHOLDS.get(tracker, ()):
            spin = QDoubleSpinBox()
            spin.setRange(0.0, 1.0)
            spin.setSingleStep(0.05)
            spin.setValue(default)
            self.thresholds[key] = spin
            self.threshold_form.addRow(label, spin)

    def set_options(self, options: PipelineOptions) -> None:
        """Show ``options`` in the widgets (unknown names fall back to the first choice)."""
        if self.segmenter.findText(options.segmenter) >= 0:
            self.segmenter.setCurrentText(options.segmenter)
        if self.tracker.findText(options.tracker) >= 0:
            self.tracker.setCurrentText(options.tracker)
        for key, value in options.tracker_options.items():
            if key in self.thresholds:
                self.thresholds[key].setValue(float(value))
        choice = next((k for k, v in MAP3D_CHOICES.items() if v == options.map3d), "auto")
        if self.map3d.findText(choice) >= 0:
            self.map3d.setCurrentText(choice)
        if self.tracker3d.findText(options.tracker3d) >= 0:
            self.tracker3d.setCurrentText(options.tracker3d)
        self.memory.setChecked(bool(options.memory) and self.memory.isEnabled())
        self.sam_checkpoint = str(options.segmenter_options.get("checkpoint", "") or self.sam_checkpoint)

    def options(self) -> PipelineOptions:
        """The options the widgets describe."""
        values = {"segmenter": self.segmenter.currentText(), "tracker": self.tracker.currentText(),
                  "tracker_options": {k: s.value() for k, s in self.thresholds.items()},
                  "map3d": MAP3D_CHOICES[self.map3d.currentText()], "tracker3d": self.tracker3d.currentText(),
                  "memory": self.memory.isChecked()}
        if values["segmenter"] == "sam" and self.sam_checkpoint:
            values["segmenter_options"] = {"checkpoint": self.sam_checkpoint}
        return PipelineOptions(**values)

    def answer_settings(self) -> AnswerSettings:
        """The chat's backend settings."""
        return AnswerSettings(self.backend.currentText(), self.endpoint.text().strip(), self.model.text().strip(),
                              self.api_key_env.text().strip())

    def set_answer_settings(self, s: AnswerSettings) -> None:
        """Show saved backend settings."""
        if self.backend.findText(s.backend) >= 0:
            self.backend.setCurrentText(s.backend)
        self.endpoint.setText(s.endpoint)
        self.model.setText(s.model)
        self.api_key_env.setText(s.api_key_env)
