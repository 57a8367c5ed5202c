"""Weight-free colour segmenter for cameras without depth: moving regions plus colour/edge regions.

Moving regions come from background subtraction (OpenCV MOG2); the rest of the frame is split into
regions bounded by image edges (Canny) whose pixels then join the neighbouring region closest in colour.
"""

from __future__ import annotations

import cv2
import numpy as np

from perception.segmentation.base import Segmentation
from perception.types import FramePacket


class RGBSegmenter:
    """Segments a BGR frame; keeps a background model, so frames must come in order (``reset`` between clips).

    stride: internal subsampling; canny_low / canny_high: edge thresholds; colour_gate: largest Lab
    distance for an edge pixel to join a region; min_pixels: smallest kept segment (full-resolution
    pixels); motion: use background subtraction; history: frames in the background model.
    """

    name = "rgb"
    needs_depth = False

    def __init__(self, stride: int = 4, canny_low: int = 40, canny_high: int = 120, colour_gate: float = 20.0,
                 min_pixels: int = 600, motion: bool = True, history: int = 200):
        self.stride = int(stride)
        self.canny_low, self.canny_high = canny_low, canny_high
        self.colour_gate = colour_gate
        self.min_pixels = int(min_pixels)
        self.motion, self.history = motion, history
        self.reset()

    def reset(self) -> None:
        """Forget the background model."""
        self._bg = cv2.createBackgroundSubtractorMOG2(history=self.history, detectShadows=False) if self.motion else None
        self._frames = 0

    def segment(self, packet: FramePacket) -> Segmentation:
        """Masks of one colour frame."""
        s = self.stride
        small = cv2.GaussianBlur(packet.image[::s, ::s], (3, 3), 0)
        lab_img = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32)
        edges = cv2.Canny(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), self.canny_low, self.canny_high) > 0
        _, lab = cv2.connectedComponents((~edges).astype(np.uint8), connectivity=4)
        lab = lab.astype(np.int32) - 1
        lab[edges] = -1
        lab = self._fill(lab, lab_img)
        if self._bg is not None:
            fg = self._bg.apply(small)
            self._frames += 1
            if self._frames > 5:
                fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
                fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
                k, moving = cv2.connectedComponents((fg > 0).astype(np.uint8), connectivity=8)
                base = int(lab.max()) + 1
                sel = moving > 0
                lab[sel] = base + moving[sel] - 1
        return Segmentation.from_low_res(lab, packet.image, s, self.min_pixels)

    def _fill(self, lab: np.ndarray, colour: np.ndarray, passes: int = 3) -> np.ndarray:
        """Unlabelled (edge) pixels take the label of the 4-neighbour closest in Lab colour, within the gate."""
        for _ in range(passes):
            todo = lab < 0
            if not todo.any():
                break
            pl = np.pad(lab, 1, constant_values=-1)
            pc = np.pad(colour, ((1, 1), (1, 1), (0, 0)), mode="edge")
            nl = np.stack([pl[:-2, 1:-1], pl[2:, 1:-1], pl[1:-1, :-2], pl[1:-1, 2:]])
            nc = np.stack([pc[:-2, 1:-1], pc[2:, 1:-1], pc[1:-1, :-2], pc[1:-1, 2:]])
            diff = np.where(nl >= 0, np.linalg.norm(nc - colour[None], axis=3), np.inf)
            best = np.argmin(diff, axis=0)
            bd = np.take_along_axis(diff, best[None], 0)[0]
            take = todo & (bd < self.colour_gate)
            lab = np.where(take, np.take_along_axis(nl, best[None], 0)[0], lab)
        return lab
