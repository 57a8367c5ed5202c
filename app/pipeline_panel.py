"""Pipeline controls: detector (from the detector registry), class filter, segmenter, tracker and thresholds,
3D map, memory, answer backend settings.

Only what is installed is offered: each choice is probed by importing the module that provides it.
"""

from __future__ import annotations

import html
import importlib.util

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.answers import AnswerSettings, backend_names, default_endpoint
from perception.pipeline.factory import PipelineOptions
from perception.types import SourceInfo

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


def available_detectors() -> list[str]:
    """Detector choices from the detector registry: "auto", "none", the weight-free names, one
    "torchvision:MODEL" per model when torchvision is installed, and "KIND:" for kinds that take a file."""
    from perception.detection import DETECTORS, PREFIXED

    names = ["auto", "none", *[n for n in DETECTORS if n not in PREFIXED and n not in ("auto", "none")]]
    for kind in PREFIXED:
        if kind == "torchvision":
            if _installed("torchvision"):
                from perception.detection.torchvision_models import MODELS

                names += [f"torchvision:{m}" for m in MODELS]
        elif kind in DETECTORS:
            names.append(f"{kind}:")
    return names


def _weight_free(running: str | None) -> bool:
    """Whether the running detector (None: not known yet) needs no model weights, so pretrained ones are worth offering."""
    from perception.detection import PREFIXED

    return running is None or running.split(":")[0] not in PREFIXED


PATH_KINDS = {"onnx": "ONNX models (*.onnx);;All files (*)",
              "file": "Detections (*.txt *.json);;All files (*)"}  # detector kinds whose argument is a file


def torchvision_weights(name: str) -> tuple[str, str] | None:
    """(URL, cache path) of a torchvision detector's weights when they are not in the cache yet, else None."""
    from perception.detection.torchvision_models import MODELS, WEIGHT_BASE, weights_folder

    model = name.partition(":")[2]
    dest = weights_folder(create=False) / MODELS[model]
    return None if dest.is_file() else (WEIGHT_BASE + MODELS[model], str(dest))


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
    detector_file_requested = Signal(str)  # a detector kind whose file is to be chosen ("onnx", "file")
    detector_download_requested = Signal(str, str)  # URL, destination of torchvision weights

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.detector = QComboBox()
        self.detector.addItems(available_detectors())
        self.detector.setToolTip("What finds objects on video and webcam: auto picks cached pretrained weights, else a "
                                 "MOT folder's det/det.txt, else people (moving objects, HOG people and the small bundled person network)")
        self.detector.currentTextChanged.connect(lambda _t: self._show_detector())
        self.detector_path = QLineEdit()
        self.detector_path.setPlaceholderText("model or detections file")
        self.detector_path.textChanged.connect(lambda _t: self._show_detector())
        self.detector_browse = QPushButton("Browse…")
        self.detector_browse.clicked.connect(
            lambda: self.detector_file_requested.emit(self.detector.currentText().rstrip(":")))
        self.detector_download = QPushButton("Download weights…")
        self.detector_download.clicked.connect(self._request_download)
        self.classes = QLineEdit()
        self.classes.setPlaceholderText("all classes (or e.g. person, car)")
        self.classes.setToolTip("Keep only detections of these class names (as --classes)")
        self.detector_note = QLabel("")
        self.detector_note.setWordWrap(True)
        self.detector_note.setTextFormat(Qt.TextFormat.RichText)
        self._source: SourceInfo | None = None
        self._running: str | None = None
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
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        det_row = QHBoxLayout()
        det_row.addWidget(self.detector, 1)
        det_row.addWidget(self.detector_download)
        form.addRow("Detector", det_row)
        path_row = QHBoxLayout()
        path_row.addWidget(self.detector_path, 1)
        path_row.addWidget(self.detector_browse)
        self.detector_path_row = QWidget()
        self.detector_path_row.setLayout(path_row)
        path_row.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.detector_path_row)
        form.addRow("Classes", self.classes)
        form.addRow(self.detector_note)
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
        self._show_detector()

    # ----- detector -------------------------------------------------------------------------------------
    def detector_name(self) -> str:
        """The detector the widgets name ("onnx:PATH" / "file:PATH" with the chosen file)."""
        choice = self.detector.currentText()
        return choice + self.detector_path.text().strip() if choice.endswith(":") else choice

    def set_detector_file(self, kind: str, path: str) -> None:
        """Choose ``kind:path`` (after the file dialog)."""
        index = self.detector.findText(f"{kind}:")
        if index >= 0:
            self.detector.setCurrentIndex(index)
            self.detector_path.setText(path)

    def show_source(self, info: SourceInfo | None, running: str | None) -> None:
        """Say what the detector choice means on the open source (``running``: the detector the pipeline runs)."""
        self._source, self._running = info, running
        self._show_detector()

    def _offered_download(self) -> str | None:
        """The torchvision detector whose weights the Download button fetches, if any."""
        choice = self.detector.currentText()
        if choice.startswith("torchvision:"):
            return choice if torchvision_weights(choice) else None
        if choice == "auto" and _weight_free(self._running) and _installed("torchvision"):
            first = next((n for n in available_detectors() if n.startswith("torchvision:")), None)
            return first if first and torchvision_weights(first) else None
        return None

    def _request_download(self) -> None:
        name = self._offered_download()
        missing = torchvision_weights(name) if name else None
        if missing:
            self.detector_download_requested.emit(*missing)

    def _show_detector(self) -> None:
        choice = self.detector.currentText()
        self.detector_path_row.setVisible(choice.endswith(":"))
        offer = self._offered_download()
        self.detector_download.setVisible(offer is not None)
        self.detector_download.setToolTip(f"Download the COCO weights of {offer} into the cache" if offer else "")
        self.detector_note.setText(self._detector_note(choice, offer))

    def _detector_note(self, choice: str, offer: str | None) -> str:
        running = self._running
        if self._source is None:
            now = ""
        elif running is None:
            now = "No detector runs on this source" + (" (it has depth: the segmenter feeds the tracker and the "
                                                       "3D map)." if self._source.has_depth else ".")
        else:
            now = f"Runs now: <b>{html.escape(running)}</b>."
        if choice == "auto":
            why = ("auto: cached pretrained weights, else a MOT folder's det/det.txt, else people (moving objects "
                   "from a static camera, HOG people and the small person network bundled with the studio; class "
                   "names person and object).")
        elif choice.endswith(":") and not self.detector_path.text().strip():
            why = "Choose the file with Browse…, then press Apply."
        elif choice.startswith("torchvision:") and offer:
            why = "Its weights are not in the cache yet: Download weights…, then Apply."
        else:
            why = ""
        if offer and choice == "auto":
            why += f" Download weights… fetches {html.escape(offer.partition(':')[2])} (COCO classes: person, car, …)."
        return f"<small>{now} {why}</small>".strip()

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
        kind, sep, arg = options.detector.partition(":")
        if sep and kind in PATH_KINDS and self.detector.findText(f"{kind}:") >= 0:
            self.set_detector_file(kind, arg)
        elif self.detector.findText(options.detector) >= 0:
            self.detector.setCurrentText(options.detector)
        self.classes.setText(", ".join(options.detector_options.get("classes", ())))
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
        classes = [c.strip() for c in self.classes.text().split(",") if c.strip()]
        detector_options: dict = {"classes": classes} if classes else {}
        if self.detector_name().startswith("torchvision:"):
            detector_options["allow_download"] = False  # never a silent download on Apply: the button shows progress
        values = {"detector": self.detector_name(), "detector_options": detector_options,
                  "segmenter": self.segmenter.currentText(), "tracker": self.tracker.currentText(),
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
