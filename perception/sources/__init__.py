"""Frame sources, and ``open_source`` which picks one from a spec string (the CLI's ``--source``)."""

from __future__ import annotations

import re
from pathlib import Path

from perception.sources.base import FrameSource, SourceEnded
from perception.sources.images import ImageFolderSource, SeqInfo, open_mot_folder, read_seqinfo
from perception.sources.memory import MemorySource
from perception.sources.realsense import RealSenseSource, list_realsense
from perception.sources.rgbd import RGBDFolderSource, open_rgbd_folder
from perception.sources.rgbd_layouts import detect_layout
from perception.sources.video import VideoFileSource
from perception.sources.webcam import CameraInfo, WebcamSource, list_cameras
from perception.types import InputError

__all__ = ["FrameSource", "SourceEnded", "ImageFolderSource", "SeqInfo", "read_seqinfo", "MemorySource",
           "RealSenseSource", "list_realsense", "RGBDFolderSource", "open_rgbd_folder", "VideoFileSource",
           "CameraInfo", "WebcamSource", "list_cameras", "open_source", "ACCEPTED_FORMS"]

ACCEPTED_FORMS = ("webcam:N (or just N), realsense or realsense:SERIAL, a video file, an image folder, "
                  "a MOT sequence folder (seqinfo.ini + img1/ or video=), an RGB-D folder (ESAM, TUM or 7-Scenes layout), "
                  "sample, synthetic:NAME")


def _synthetic():
    try:
        import perception.synthetic as synthetic
    except ImportError as exc:
        raise InputError(f"synthetic sources are unavailable ({exc})") from None
    return synthetic


def open_source(spec: str, **options) -> FrameSource:
    """Open the source a spec names; ``options`` go to that source's constructor. InputError if unknown.

    Forms: ``webcam:N`` / ``N``, ``realsense[:SERIAL]``, ``sample`` (the cached synthetic room of
    ``perception.synthetic.sample_path``), ``synthetic:NAME`` (passed whole to
    ``perception.synthetic.open_synthetic``), or a path to a video file, image/MOT folder or RGB-D folder.
    """
    spec = str(spec).strip()
    if not spec:
        raise InputError(f"no source given; accepted: {ACCEPTED_FORMS}")
    if m := re.fullmatch(r"(?:webcam:)?(\d+)|webcam", spec):
        return WebcamSource(int(m.group(1) or 0), **options)
    if m := re.fullmatch(r"realsense(?::(\S+))?", spec):
        return RealSenseSource(m.group(1), **options)
    if spec == "sample":
        if options:
            raise InputError(f"the sample source takes no options, got {', '.join(sorted(options))}")
        from perception.sources.synthetic import open_room_folder
        return open_room_folder(_synthetic().sample_path())  # its own fps, with ground truth attached
    if spec == "synthetic" or spec.startswith("synthetic:"):
        return _synthetic().open_synthetic(spec, **options)
    path = Path(spec).expanduser()
    if path.is_file():
        return VideoFileSource(path, **options)
    if path.is_dir():
        if detect_layout(path) is not None:
            return RGBDFolderSource(path, **options)
        return open_mot_folder(path, **options)
    if path.suffix or "/" in spec or "\\" in spec:
        raise InputError(f"source not found: {path} (no such file or folder)")
    raise InputError(f"source '{spec}' is not a file, a folder or a known form; accepted: {ACCEPTED_FORMS}")
