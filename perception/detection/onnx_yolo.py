"""YOLO-family ONNX detectors through onnxruntime: letterbox, decode, class-aware NMS, masks for segment models.

Layouts (picked from the output shapes and metadata, or forced with ``layout``):
- "ultralytics": YOLOv8 / YOLO11 detect ``1 x (4+C) x N`` (cx, cy, w, h, class scores) and segment
  (``1 x (4+C+M) x N`` plus ``1 x M x h x w`` mask prototypes); RGB input in [0, 1], centred letterbox.
- "yolox": ``1 x N x (5+C)`` (cx, cy, w, h, objectness, class scores); BGR input in [0, 255], top-left
  padding. Raw grid outputs (the official export) are decoded with strides 8, 16, 32.
Class names come from ``names`` (a labels file), else the model's ``names`` metadata, else ``class<k>``.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import cv2
import numpy as np

from perception.detection.classes import name_of
from perception.types import Detections, FramePacket, InputError

LAYOUTS = ("auto", "ultralytics", "yolox")
YOLOX_STRIDES = (8, 16, 32)
PAD_VALUE = 114


def letterbox(image: np.ndarray, size: tuple[int, int], centre: bool) -> tuple[np.ndarray, float, tuple[int, int]]:
    """``image`` scaled to fit ``size`` (h, w) keeping its aspect, padded with grey; returns (image, scale, (dx, dy))."""
    h, w = image.shape[:2]
    r = min(size[0] / h, size[1] / w)
    nh, nw = round(h * r), round(w * r)
    dy, dx = ((size[0] - nh) // 2, (size[1] - nw) // 2) if centre else (0, 0)
    out = np.full((size[0], size[1], 3), PAD_VALUE, np.uint8)
    out[dy:dy + nh, dx:dx + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nh, nw) != (h, w) else image
    return out, r, (dx, dy)


def yolox_grid_decode(pred: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Raw YOLOX rows (grid offsets, log sizes) to input pixels, anchors ordered stride 8, 16, 32, row-major."""
    grids, strides = [], []
    for s in YOLOX_STRIDES:
        gy, gx = np.meshgrid(np.arange(size[0] // s), np.arange(size[1] // s), indexing="ij")
        grids.append(np.stack([gx, gy], -1).reshape(-1, 2))
        strides.append(np.full((grids[-1].shape[0], 1), s))
    grid, stride = np.concatenate(grids), np.concatenate(strides)
    out = pred.copy()
    out[:, :2] = (pred[:, :2] + grid) * stride
    out[:, 2:4] = np.exp(pred[:, 2:4]) * stride
    return out


def yolox_anchor_count(size: tuple[int, int]) -> int:
    """How many rows a raw YOLOX head gives for an input of ``size`` (h, w)."""
    return sum((size[0] // s) * (size[1] // s) for s in YOLOX_STRIDES)


def _metadata_names(meta: dict[str, str]) -> tuple[str, ...] | None:
    """Class names from Ultralytics-style metadata (``names`` = "{0: 'person', ...}")."""
    raw = meta.get("names")
    if not raw:
        return None
    try:
        names = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return None
    if isinstance(names, dict):
        return tuple(str(names[k]) for k in sorted(names))
    return tuple(map(str, names)) if isinstance(names, (list, tuple)) else None


class OnnxDetector:
    """A YOLO-family ONNX model run by onnxruntime on each frame.

    score_threshold / iou_threshold: confidence floor and NMS overlap; max_det: most boxes kept;
    layout: "auto" | "ultralytics" | "yolox"; names: class names (overrides the model's); input_size:
    (h, w) for models with a dynamic input; yolox_decoded: True when a YOLOX export already decodes
    its boxes (None: decode when the rows match the raw grid); device: "cpu", "cuda" or None (CUDA when
    onnxruntime has it).
    """

    def __init__(self, path: str | os.PathLike[str], score_threshold: float = 0.25, iou_threshold: float = 0.45,
                 max_det: int = 300, layout: str = "auto", names: tuple[str, ...] | None = None,
                 input_size: tuple[int, int] = (640, 640), yolox_decoded: bool | None = None,
                 mask_threshold: float = 0.5, device: str | None = None):
        import onnxruntime as ort

        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise InputError(f"ONNX model not found: {self.path}")
        if layout not in LAYOUTS:
            raise InputError(f"unknown ONNX layout '{layout}'; choose one of {', '.join(LAYOUTS)}")
        available = ort.get_available_providers()
        providers = (["CUDAExecutionProvider"] if device != "cpu" and "CUDAExecutionProvider" in available else [])
        try:
            self.session = ort.InferenceSession(str(self.path), providers=providers + ["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for unreadable models
            raise InputError(f"cannot load ONNX model {self.path}: {str(exc).splitlines()[0][:160]}") from None
        self.name = f"onnx:{self.path.name}"
        inp = self.session.get_inputs()[0]
        self._input = inp.name
        self._dtype = np.float16 if inp.type == "tensor(float16)" else np.float32
        dims = inp.shape[2:4]
        self.size = tuple(int(d) if isinstance(d, int) else int(s) for d, s in zip(dims, input_size))
        meta = self.session.get_modelmeta().custom_metadata_map
        self.layout = self._layout(layout, self.session.get_outputs(), meta)
        self.names = tuple(names) if names else _metadata_names(meta)
        self.class_names = self.names or ()
        self.score_threshold, self.iou_threshold = float(score_threshold), float(iou_threshold)
        self.max_det, self.mask_threshold = int(max_det), float(mask_threshold)
        self.yolox_decoded = yolox_decoded

    def _layout(self, layout: str, outs, meta: dict[str, str]) -> str:
        """The layout asked for, else the one the output shapes and metadata imply."""
        if layout != "auto":
            return layout
        shape = outs[0].shape
        if len(shape) != 3:
            raise InputError(f"ONNX output 0 has shape {shape}; expected 1 x (4+C) x N (YOLOv8/YOLO11) or "
                             "1 x N x (5+C) (YOLOX)")
        a, b = shape[1], shape[2]
        anchors = yolox_anchor_count(self.size)
        if a == anchors:
            return "yolox"
        if b == 6 and "names" in meta:
            raise InputError(f"{self.path.name} has boxes after NMS (1 x {a} x 6, an end-to-end export), which is not "
                             "supported; export the model without NMS (Ultralytics: nms=False, end2end=False)")
        if len(outs) > 1 or b == anchors or "names" in meta or not isinstance(b, int):
            return "ultralytics"  # Ultralytics exports carry their class names; YOLOX exports do not
        return "ultralytics" if isinstance(a, int) and a < b else "yolox"

    def detect(self, packet: FramePacket) -> Detections:
        """Letterbox, run, decode, NMS, and map the boxes back to the frame."""
        ultra = self.layout == "ultralytics"
        image = packet.image[:, :, ::-1] if ultra else packet.image
        boxed, r, (dx, dy) = letterbox(np.ascontiguousarray(image), self.size, centre=ultra)
        x = boxed.transpose(2, 0, 1)[None].astype(np.float32)
        if ultra:
            x /= 255.0
        outputs = self.session.run(None, {self._input: x.astype(self._dtype)})
        pred = np.asarray(outputs[0], np.float32)[0]
        if ultra:
            pred = pred.T  # N x (4 + C [+ M])
            n_mask = outputs[1].shape[1] if len(outputs) > 1 else 0
            cls = pred[:, 4:pred.shape[1] - n_mask]
            coef = pred[:, pred.shape[1] - n_mask:]
        else:
            if self.yolox_decoded is False or (self.yolox_decoded is None and len(pred) == yolox_anchor_count(self.size)):
                pred = yolox_grid_decode(pred, self.size)
            cls = pred[:, 5:] * pred[:, 4:5]
            coef = pred[:, :0]
        ids = cls.argmax(1)
        scores = cls[np.arange(len(cls)), ids]
        cand = np.flatnonzero(scores >= self.score_threshold)
        xywh = np.column_stack([pred[cand, :2] - pred[cand, 2:4] / 2, pred[cand, 2:4]])
        keep = cand[np.asarray(cv2.dnn.NMSBoxesBatched(xywh.tolist(), scores[cand].tolist(), ids[cand].tolist(),
                                                        self.score_threshold, self.iou_threshold),
                               int).reshape(-1)] if len(cand) else cand
        keep = keep[np.argsort(-scores[keep], kind="stable")][: self.max_det]
        h, w = packet.image.shape[:2]
        c = pred[keep, :4]
        boxes = np.column_stack([c[:, :2] - c[:, 2:] / 2, c[:, :2] + c[:, 2:] / 2])
        boxes = (boxes - [dx, dy, dx, dy]) / r
        boxes = np.clip(boxes, 0, [w, h, w, h])
        masks = None
        if ultra and coef.shape[1]:
            masks = self._masks(coef[keep], np.asarray(outputs[1], np.float32)[0], boxes, r, (dx, dy), (h, w))
        return Detections(boxes, scores[keep], ids[keep], masks, labels=name_of(ids[keep], self.names or ()))

    def _masks(self, coef: np.ndarray, protos: np.ndarray, boxes: np.ndarray, r: float, pad: tuple[int, int],
               frame: tuple[int, int]) -> np.ndarray:
        """Per-box masks: sigmoid(coefficients x prototypes), un-letterboxed, cut to the box."""
        h, w = frame
        m, ph, pw = protos.shape
        logits = (coef @ protos.reshape(m, -1)).reshape(-1, ph, pw)
        prob = 1.0 / (1.0 + np.exp(-logits))
        dx, dy = pad
        nh, nw = round(h * r), round(w * r)
        out = np.zeros((len(coef), h, w), bool)
        for i, p in enumerate(prob):
            full = cv2.resize(p, (self.size[1], self.size[0]), interpolation=cv2.INTER_LINEAR)[dy:dy + nh, dx:dx + nw]
            full = cv2.resize(full, (w, h), interpolation=cv2.INTER_LINEAR)
            x0, y0 = np.floor(boxes[i, :2]).astype(int)
            x1, y1 = np.ceil(boxes[i, 2:]).astype(int)
            out[i, y0:y1, x0:x1] = full[y0:y1, x0:x1] > self.mask_threshold
        return out

    def reset(self) -> None:
        """Stateless between frames."""
