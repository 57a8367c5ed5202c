"""Detectors (frame -> labelled boxes, optionally masks), their registry and the pipeline stage.

Names: "none"; "motion" (weight-free moving-object boxes; options: MotionDetector); "people" (motion fused with
OpenCV's HOG people detector and the small pedestrian network ./dev install builds into assets/models, weight-free
without that file; options: PeopleDetector); "auto" (see
``resolve_detector``); "torchvision:<model>" (COCO models, see torchvision_models.MODELS; options:
TorchvisionDetector); "onnx:<path>" (YOLOv8/YOLO11/YOLOX ONNX; options: OnnxDetector); "file:<path>"
(replayed det.txt or JSON; options: FileDetector). Every detector module is imported lazily by name.
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path

from perception.detection.base import Detector, DetectStage
from perception.detection.classes import ClassFilter, read_labels
from perception.types import InputError, SourceInfo

log = logging.getLogger(__name__)

DETECTORS: dict[str, str | None] = {
    "none": None,
    "motion": "perception.detection.motion:MotionDetector",
    "people": "perception.detection.people:PeopleDetector",
    "torchvision": "perception.detection.torchvision_models:TorchvisionDetector",
    "onnx": "perception.detection.onnx_yolo:OnnxDetector",
    "file": "perception.detection.replay:FileDetector",
}
PREFIXED = ("torchvision", "onnx", "file")  # "name:<argument>"
VALID = "none, motion, people, auto, torchvision:<model>, onnx:<path>, file:<path>"


def mot_detections(path: str) -> Path | None:
    """``<path>/det/det.txt`` when ``path`` is a MOT sequence folder that has one."""
    det = Path(path) / "det" / "det.txt" if path else None
    return det if det is not None and det.is_file() else None


def resolve_detector(name: str, source: SourceInfo, segmenter: str = "auto") -> str:
    """What ``name`` means on ``source``: itself unless "auto".

    "auto": "none" for RGB-D sources (the segmenter feeds the 3D map and the tracker) and when the user chose
    a segmenter explicitly (it feeds the tracker, as before detectors); else a torchvision detector whose
    weights are already cached, else ``file:`` for a MOT folder with det/det.txt, else "people".
    """
    if name != "auto":
        return name
    if source.has_depth or segmenter not in ("auto", "none"):
        return "none"
    from perception.detection.torchvision_models import cached_models

    cached = cached_models()
    if cached:
        return f"torchvision:{cached[0]}"
    det = mot_detections(source.path)
    if det is not None:
        return f"file:{det}"
    return "people"


def build_detector(name: str, source: SourceInfo | None = None, classes: list[str] | tuple[str, ...] | None = None,
                   labels: str | os.PathLike[str] | None = None, **options) -> Detector | None:
    """The detector ``name`` names (None for "none"), keeping only ``classes`` when given.

    ``labels`` is a class-names file (one per line) for detectors that issue class ids ("onnx", "file");
    ``options`` go to the detector's constructor. "auto" needs ``source``.
    """
    if name == "auto":
        if source is None:
            raise InputError("the 'auto' detector needs the source it will run on")
        name = resolve_detector(name, source)
    kind, _, arg = name.partition(":")
    if kind not in DETECTORS or (kind in PREFIXED) != bool(arg):
        raise InputError(f"unknown detector '{name}'; choose one of {VALID}")
    target = DETECTORS[kind]
    if target is None:
        return None
    if labels is not None:
        if kind not in ("onnx", "file"):
            raise InputError(f"--labels names the classes of onnx: and file: detectors, not of '{kind}'")
        options["names"] = read_labels(labels)
    module, cls = target.split(":")
    try:
        detector_cls = getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        raise InputError(f"detector '{kind}' is unavailable ({exc})") from None
    try:
        detector = detector_cls(arg, **options) if arg else detector_cls(**options)
    except TypeError as exc:
        raise InputError(f"bad options for detector '{name}': {exc}") from None
    log.info("detector: %s", detector.name)
    return ClassFilter(detector, classes) if classes else detector


__all__ = ["DETECTORS", "Detector", "DetectStage", "ClassFilter", "build_detector", "read_labels", "resolve_detector"]
