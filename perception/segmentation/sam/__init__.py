"""Segment-anything: model building, checkpoint cache/download, and the SAM segmenter."""

from perception.segmentation.sam.checkpoints import OFFICIAL, cache_dir, download, resolve_checkpoint
from perception.segmentation.sam.model import ARCHS, SamArch, build_sam_model, load_sam
from perception.segmentation.sam.segmenter import SamSegmenter

__all__ = ["OFFICIAL", "cache_dir", "download", "resolve_checkpoint", "ARCHS", "SamArch", "build_sam_model",
           "load_sam", "SamSegmenter"]
