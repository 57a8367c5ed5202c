"""Thin objects on a support plane (segmentation.on_plane) when the colour image is misregistered against the depth."""

from __future__ import annotations

import cv2
import numpy as np

from perception.segmentation.on_plane import raised_objects
from perception.types import Intrinsics


def test_a_thin_object_s_mask_follows_its_depth_not_its_misregistered_colour():
    """A red marker (a cylinder 1.5 cm across lying on a grey table 1 m below the camera), its colour 3 px right
    of its depth (an RGB-D sensor's registration error): the mask stays on the depth silhouette (measured: no
    pixel beside it, 59 of its 63 on the fine grid; 21 beside it when the mask grew by colour)."""
    k = Intrinsics(525, 525, 320, 240, 640, 480)
    radius, table = 0.0075, 1.0
    v, u = np.mgrid[0:480, 0:640]
    x, y = (u - 300) / k.fx * (table - radius), (v - 250) / k.fy * (table - radius)
    marker = (np.abs(x) < radius) & (np.abs(y) <= 0.04)
    depth = np.where(marker, table - radius - np.sqrt(np.maximum(radius ** 2 - x ** 2, 0)), table).astype(np.float32)
    colour = np.where(np.roll(marker, 3, axis=1)[..., None], np.uint8([40, 40, 200]), np.uint8([150, 150, 150]))
    plane = {0: (np.array([0.0, 0.0, 1.0]), -table)}  # the table, z = 1 m in the camera frame
    out = raised_objects(np.zeros((120, 160), np.int32), 4, plane, depth, np.ascontiguousarray(colour, np.uint8), k, 400)
    assert out is not None and out[1] == 2
    mask, silhouette = out[0] == 1, marker[::2, ::2]
    beside = mask & ~(cv2.dilate(silhouette.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    assert (mask & silhouette).sum() >= 0.7 * silhouette.sum(), ((mask & silhouette).sum(), silhouette.sum())
    assert beside.sum() <= 0.05 * silhouette.sum(), (beside.sum(), silhouette.sum())


def _table_with(height: np.ndarray, k: Intrinsics, table: float = 1.0):
    """raised_objects on a table ``table`` m below a camera looking straight down, with ``height`` (m, HxW) on it."""
    depth = (table - height).astype(np.float32)
    plane = {0: (np.array([0.0, 0.0, 1.0]), -table)}
    grey = np.full((*depth.shape, 3), 150, np.uint8)
    return raised_objects(np.zeros((120, 160), np.int32), 4, plane, depth, grey, k, 400)


def test_the_end_of_a_marker_in_view_is_a_thin_object_but_low_noise_and_the_foot_of_a_taller_one_are_not():
    """A marker's last 3 cm in view (about 150 px, under half of min_pixels) is found and marked thin; a bump as
    large standing barely over the noise threshold (noise on a far wall) is not found; the foot of a wedge rising past
    max_height (a taller object the coarse grid left unsegmented) is found but not marked thin."""
    k = Intrinsics(525, 525, 320, 240, 640, 480)
    v, u = np.mgrid[0:480, 0:640]
    x, y = (u - 300) / k.fx, (v - 250) / k.fy  # metres on the table, 1 m away
    radius = 0.0085
    marker = np.where((np.abs(x) < radius) & (np.abs(y) <= 0.015), radius + np.sqrt(np.maximum(radius ** 2 - x ** 2, 0)), 0)
    out = _table_with(marker, k)
    assert out is not None
    label, share = _main_label(out[0][marker[::2, ::2] > 0])
    assert label >= 1 and share >= 0.7 and out[3][label], (label, share, out[3])
    bump = np.where((np.abs(x) < 0.02) & (np.abs(y) < 0.02), 0.007, 0)  # 6 mm threshold at 1 m
    assert _table_with(bump, k) is None
    wedge = np.where((np.abs(x) < 0.02) & (np.abs(y) < 0.04), np.clip((y + 0.04) * 1.0, 0, None), 0)  # 0 to 8 cm
    out = _table_with(wedge, k)
    assert out is not None
    label, share = _main_label(out[0][(wedge[::2, ::2] > 0.01) & (wedge[::2, ::2] < 0.045)])
    assert label >= 1 and share >= 0.7 and not out[3][label], (label, share, out[3])


def _main_label(labels: np.ndarray) -> tuple[int, float]:
    """The most common label and its share."""
    ids, counts = np.unique(labels, return_counts=True)
    return int(ids[np.argmax(counts)]), float(counts.max() / counts.sum())
