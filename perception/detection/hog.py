"""Classical HOG people detector (Dalal and Triggs; the linear SVM that ships inside OpenCV) on chosen regions.

A region is a rectangle of the frame and a scale: the crop is resized by the scale and every 64x128 window
of it is scored once (no pyramid), so callers spend HOG time only where and at the size a person may be.
The window holds a person about 96 pixels tall with a margin around; boxes returned are that person.
"""

from __future__ import annotations

import cv2
import numpy as np

WINDOW = (64, 128)
# the person inside a detection window (x0, y0, x1, y1 in window pixels)
PERSON = np.array([12.0, 13.0, 50.0, 110.0])
PERSON_HEIGHT = PERSON[3] - PERSON[1]
# bilinear sampling shrinks by at most 1.5 (0.67); a larger person is sampled from a halved frame
MIN_SAMPLING = 0.67


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` (Nx4 xyxy) with every box of ``b`` (Mx4)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a, area_b = np.prod(a[:, 2:] - a[:, :2], axis=1), np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def box_inside(inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """(len(outer), len(inner)): the share of each ``inner`` box's area inside each ``outer`` box."""
    lt = np.maximum(outer[:, None, :2], inner[None, :, :2])
    rb = np.minimum(outer[:, None, 2:], inner[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    return inter / np.maximum(np.prod(inner[:, 2:] - inner[:, :2], axis=1), 1e-9)[None, :]


def nms(xyxy: np.ndarray, scores: np.ndarray, iou: float = 0.4) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, best first."""
    order = np.argsort(-scores, kind="stable")
    overlap = box_iou(xyxy[order], xyxy[order])
    alive = np.ones(len(order), bool)
    for i in range(len(order)):
        if alive[i]:
            alive[i + 1:] &= overlap[i, i + 1:] < iou
    return order[alive]


class HogPeople:
    """HOG + linear SVM person windows in regions of a grey frame; ``hit_threshold`` is the least SVM margin."""

    def __init__(self, hit_threshold: float = -0.3, stride: int = 8):
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor.getDefaultPeopleDetector())
        self.hit_threshold, self.stride = hit_threshold, stride

    def region(self, gray: np.ndarray, box: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
        """Person boxes (frame pixels) and SVM margins of every window in ``box`` (x0, y0, x1, y1) of ``gray``
        resized by ``scale``; the crop is grown to hold at least one window."""
        h, w = gray.shape
        need = np.array(WINDOW) / scale
        x0, y0, x1, y1 = np.asarray(box, float)
        grow = np.maximum(need - (x1 - x0, y1 - y0), 0) / 2
        x0, x1 = int(max(0, np.floor(x0 - grow[0]))), int(min(w, np.ceil(x1 + grow[0])))
        y0, y1 = int(max(0, np.floor(y0 - grow[1]))), int(min(h, np.ceil(y1 + grow[1])))
        size = (round((x1 - x0) * scale), round((y1 - y0) * scale))
        if size[0] < WINDOW[0] or size[1] < WINDOW[1]:
            return np.zeros((0, 4)), np.zeros(0)
        crop = cv2.resize(gray[y0:y1, x0:x1], size, interpolation=cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA)
        found, weights = self.hog.detect(crop, hitThreshold=self.hit_threshold, winStride=(self.stride, self.stride))
        if len(found) == 0:
            return np.zeros((0, 4)), np.zeros(0)
        tl = np.asarray(found, float).reshape(-1, 2)
        boxes = (np.c_[tl, tl] + PERSON) / scale + (x0, y0, x0, y0)
        return boxes, np.asarray(weights, float).reshape(-1)

    def verify(self, gray: np.ndarray, boxes: np.ndarray, jitter: int = 1) -> np.ndarray:
        """Best SVM margin of each person box (frame pixels), its window placed around it and shifted by up to
        ``jitter`` strides each way; all boxes go through HOG at once, side by side in one strip. A box more than
        1.5 times the window's person is sampled from the first level of the frame's Gaussian pyramid where it
        shrinks by at most 1.5 (the frame, halved, quartered...)."""
        if len(boxes) == 0:
            return np.zeros(0)
        pad = jitter * self.stride
        tile = (WINDOW[0] + 2 * pad, WINDOW[1] + 2 * pad)
        strip = np.zeros((tile[1], tile[0] * len(boxes)), np.uint8)
        pyramid = [gray]  # the frame, halved, quartered...: built as far as a box needs
        for i, box in enumerate(np.asarray(boxes, float)):
            s = PERSON_HEIGHT / max(box[3] - box[1], 1.0)
            # the window (plus the jitter margin) that holds this person at the detector's scale, in frame pixels
            x0 = (box[0] + box[2]) / 2 - (PERSON[0] + PERSON[2]) / 2 / s - pad / s
            y0 = box[1] - PERSON[1] / s - pad / s
            # a person much taller than the window is sampled from a halved (or quartered...) frame: bilinear
            # sampling that shrinks by more than ~1.5 skips pixels, and HOG reads the aliased detail as clutter
            level = 0
            while s * 2 ** level < MIN_SAMPLING and min(pyramid[level].shape) >= 2 * WINDOW[0]:
                level += 1
                if level == len(pyramid):
                    pyramid.append(cv2.pyrDown(pyramid[-1]))
            f = 2 ** level  # pixel j of that level is pixel f * j of the frame
            m = np.array([[s * f, 0, -x0 * s], [0, s * f, -y0 * s]])
            strip[:, i * tile[0]:(i + 1) * tile[0]] = cv2.warpAffine(pyramid[level], m, tile, flags=cv2.INTER_LINEAR,
                                                                       borderMode=cv2.BORDER_REPLICATE)
        found, weights = self.hog.detect(strip, hitThreshold=-1e3, winStride=(self.stride, self.stride))
        best = np.full(len(boxes), -np.inf)
        if len(found):
            xs = np.asarray(found, int).reshape(-1, 2)[:, 0]
            k = xs // tile[0]
            inside = xs + WINDOW[0] <= (k + 1) * tile[0]
            np.maximum.at(best, k[inside], np.asarray(weights, float).reshape(-1)[inside])
        return best
