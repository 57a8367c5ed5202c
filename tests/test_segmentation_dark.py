"""Dark objects with sparse depth (segmentation.dark) through the geometric segmenter."""

from __future__ import annotations

import numpy as np

from perception.segmentation.geometric import GeometricSegmenter
from perception.types import FramePacket, Intrinsics, SourceInfo


def _scene(valid_share: float, top: float = 0.94, seed: int = 0) -> tuple[FramePacket, np.ndarray]:
    """A grey table 1 m below a downward-looking camera and a black 8 cm block on it (its top at depth ``top``)
    of which only ``valid_share`` of the pixels have depth (a structured-light sensor on a dark surface)."""
    k = Intrinsics(525, 525, 320, 240, 640, 480)
    v, u = np.mgrid[0:480, 0:640]
    x, y = (u - k.cx) / k.fx * 0.94, (v - k.cy) / k.fy * 0.94
    block = (np.abs(x - 0.05) < 0.04) & (np.abs(y) < 0.04)
    rng = np.random.default_rng(seed)
    depth = np.where(block, np.where(rng.random(block.shape) < valid_share, top, 0.0), 1.0).astype(np.float32)
    colour = np.where(block[..., None], np.uint8([20, 14, 24]), np.uint8([170, 165, 160])).astype(np.uint8)
    info = SourceInfo("t", "test", 30.0, 640, 480, has_depth=True)
    return FramePacket(0, 0.0, colour, info, depth=depth, intrinsics=k), block


def test_a_dark_block_with_a_tenth_of_its_depth_becomes_one_segment():
    """Depth on 10 % of a black block's pixels: too few for depth edges, so without the colour region no segment
    holds it; with it one segment covers it (measured: 78 % of its pixels, no table pixel beside it; border cells
    straddling the block's edge, whose mean depth lies between block and table, are left out)."""
    packet, block = _scene(0.1)
    labels = GeometricSegmenter().segment(packet).labels
    ids, counts = np.unique(labels[block], return_counts=True)
    best = ids[np.argmax(np.where(ids >= 0, counts, 0))]
    assert best >= 0 and (labels[block] == best).mean() >= 0.7, (ids, counts)
    assert (labels[~block] == best).sum() <= 0.1 * block.sum()


def test_a_dark_block_whose_colour_spills_onto_the_table_is_judged_by_its_interior():
    """The colour image 3 pixels off the depth (misregistration): the dark region's border ring lies on the table, with
    depth on all of its pixels against a tenth of the block's, so its median depth is the table's and its dark pixels
    on the table plane touch it; its interior's depth stands clear of the table, and the region becomes the segment,
    less the border cells whose depth lies off the block's height (measured: 70 % of the block's pixels, 48 table
    pixels)."""
    packet, block = _scene(0.1)
    packet.image = np.ascontiguousarray(np.roll(packet.image, (3, 3), axis=(0, 1)))
    labels = GeometricSegmenter().segment(packet).labels
    ids, counts = np.unique(labels[block], return_counts=True)
    best = ids[np.argmax(np.where(ids >= 0, counts, 0))]
    assert best >= 0 and (labels[block] == best).mean() >= 0.6, (ids, counts)
    assert (labels[~block] == best).sum() <= 0.1 * block.sum()


def test_a_dark_block_with_its_depth_keeps_its_depth_segment():
    """With depth on all of its pixels the block is segmented by depth alone: the same labels as without the pass."""
    packet, _ = _scene(1.0)
    with_dark = GeometricSegmenter().segment(packet).labels
    assert (with_dark == GeometricSegmenter(dark_objects=False).segment(packet).labels).all()


def test_a_black_mat_flat_on_the_table_is_no_object():
    """A dark patch with sparse depth lying on the table (a black mat, a dark stain): its depth is the plane's, so
    the pass adds nothing."""
    packet, _ = _scene(0.1, top=1.0)
    with_dark = GeometricSegmenter().segment(packet).labels
    assert (with_dark == GeometricSegmenter(dark_objects=False).segment(packet).labels).all()
