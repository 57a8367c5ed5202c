"""Segmenters (frame -> masks with scores and optional per-mask features), their registry and pipeline stage.

Names: "none" (no segmenter), "geometric" (weight-free RGB-D: depth/normal discontinuities + RANSAC planes;
options: GeometricSegmenter), "rgb" (weight-free colour: motion + edge regions; options: RGBSegmenter),
"sam" (segment-anything; options: SamSegmenter, plus ``keyframe_every=N`` to run it asynchronously on
keyframes with optical-flow carry-over, see AsyncKeyframeSegmenter), "masks:DIR" (replays per-frame instance masks
from DIR; MaskReplaySegmenter). Heavy modules are imported lazily.
"""

from __future__ import annotations

import importlib

from perception.segmentation.base import Segmentation, Segmenter
from perception.segmentation.stage import SegmentStage
from perception.types import InputError

SEGMENTERS: dict[str, str | None] = {
    "none": None,
    "geometric": "perception.segmentation.geometric:GeometricSegmenter",
    "rgb": "perception.segmentation.rgb:RGBSegmenter",
    "sam": "perception.segmentation.sam.segmenter:SamSegmenter",
    "masks": "perception.segmentation.masks:MaskReplaySegmenter",
}
NEEDS_ARGUMENT = {"masks"}  # written NAME:ARG; ARG goes to the constructor as ``source``


def build_segmenter(name: str, keyframe_every: int | None = None, **options) -> Segmenter | None:
    """The segmenter registered as ``name`` (None for "none"); ``options`` go to its constructor.

    ``keyframe_every`` wraps it in AsyncKeyframeSegmenter (default for "sam": every 10 frames; 0 = inline).
    """
    base, _, arg = name.partition(":")
    if base in NEEDS_ARGUMENT:
        if not arg:
            raise InputError(f"segmenter '{base}' needs a folder: {base}:DIR")
        name, options = base, {"source": arg, **options}
    if name not in SEGMENTERS:
        raise InputError(f"unknown segmenter '{name}'; choose one of {', '.join(SEGMENTERS)} (masks:DIR)")
    target = SEGMENTERS[name]
    if target is None:
        return None
    module, cls = target.split(":")
    try:
        segmenter = getattr(importlib.import_module(module), cls)(**options)
    except TypeError as exc:
        raise InputError(f"bad options for segmenter '{name}': {exc}") from None
    every = (10 if name == "sam" else 0) if keyframe_every is None else int(keyframe_every)
    if every > 0:
        from perception.segmentation.keyframes import AsyncKeyframeSegmenter

        segmenter = AsyncKeyframeSegmenter(segmenter, every=every)
    return segmenter


def default_segmenter_name(has_depth: bool) -> str:
    """What "auto" means: the geometric segmenter for RGB-D sources, the colour one otherwise."""
    return "geometric" if has_depth else "rgb"


def build_segment_stage(name: str, **options) -> SegmentStage | None:
    """The "segment" stage around ``build_segmenter(name, **options)``; None for "none"."""
    segmenter = build_segmenter(name, **options)
    return None if segmenter is None else SegmentStage(segmenter)


__all__ = ["SEGMENTERS", "Segmentation", "Segmenter", "SegmentStage", "build_segmenter", "build_segment_stage",
           "default_segmenter_name"]
