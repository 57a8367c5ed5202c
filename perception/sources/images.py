"""Folders of still images, including MOTChallenge sequences (``seqinfo.ini`` + ``img1/``).

Corrupt images policy: by default an image that does not decode is skipped with a logged
warning and recorded in ``ImageFolderSource.skipped``; the next image keeps its own index, so
frame numbers stay aligned with ground truth. Pass ``on_corrupt="error"`` to raise instead.
"""

from __future__ import annotations

import configparser
import dataclasses
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from perception.sources.base import FrameSource, IndexedSource
from perception.types import FramePacket, InputError, SourceInfo

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_FPS = 30.0
MAX_FPS = 1000.0
MAX_SEQ_LENGTH = 10**8  # over a month at 30 fps
MAX_SIDE = 16384


def natural_key(path: Path) -> list[int | str]:
    """Sort key that orders ``2.jpg`` before ``10.jpg``."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def list_images(folder: Path, extensions: tuple[str, ...] = IMAGE_EXTENSIONS) -> list[Path]:
    """Image files directly in ``folder``, in natural order."""
    exts = {e.lower() for e in extensions}
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in exts), key=natural_key)


def imread(path: Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray | None:
    """Decode an image file (any path encoding); None if it cannot be read or decoded."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    return cv2.imdecode(data, flags)


@dataclass(frozen=True)
class SeqInfo:
    """A MOTChallenge ``seqinfo.ini``: name, frame rate, length, image size and image folder."""

    name: str
    fps: float
    length: int
    width: int
    height: int
    img_dir: Path
    ext: str = ".jpg"
    video: Path | None = None  # a video next to seqinfo.ini holding the frames instead of img_dir (``video=``)


def read_seqinfo(path: str | os.PathLike[str]) -> SeqInfo:
    """Read ``seqinfo.ini`` from a sequence folder (or the file itself); InputError if malformed."""
    path = Path(path)
    ini = path / "seqinfo.ini" if path.is_dir() else path
    if not ini.is_file():
        raise InputError(f"no seqinfo.ini found at {ini}")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(ini, encoding="utf-8")
    except configparser.Error as exc:
        raise InputError(f"{ini}: not a valid ini file ({type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise InputError(f"{ini}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"cannot read {ini}: {exc.strerror}") from None
    if not parser.has_section("Sequence"):
        raise InputError(f"{ini}: missing the [Sequence] section")
    sec = parser["Sequence"]
    try:
        fps = float(sec["frameRate"])
        length, width, height = int(sec["seqLength"]), int(sec["imWidth"]), int(sec["imHeight"])
    except KeyError as exc:
        raise InputError(f"{ini}: missing key {exc.args[0]}") from None
    except ValueError as exc:
        raise InputError(f"{ini}: non-numeric value ({exc})") from None
    if not (0 < fps <= MAX_FPS and 0 < length <= MAX_SEQ_LENGTH and 0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise InputError(f"{ini}: need 0 < frameRate <= {MAX_FPS:g}, 0 < seqLength <= {MAX_SEQ_LENGTH}, "
                         f"0 < imWidth, imHeight <= {MAX_SIDE}; got {fps:g}, {length}, {width}, {height}")
    ext = sec.get("imExt", ".jpg")
    video = sec.get("video")
    return SeqInfo(name=sec.get("name", ini.parent.name), fps=fps, length=length, width=width, height=height,
                   img_dir=ini.parent / sec.get("imDir", "img1"), ext=ext if ext.startswith(".") else f".{ext}",
                   video=ini.parent / video if video else None)


class ImageFolderSource(IndexedSource):
    """Images of a folder in natural order, or a MOT sequence folder; seekable, index = position in the folder."""

    def __init__(self, path: str | os.PathLike[str], fps: float | None = None,
                 on_corrupt: Literal["skip", "error"] = "skip"):
        path = Path(path)
        if not path.is_dir():
            raise InputError(f"image folder not found: {path}")
        if on_corrupt not in ("skip", "error"):
            raise InputError(f"on_corrupt must be 'skip' or 'error', got {on_corrupt!r}")
        self.on_corrupt = on_corrupt
        self.seqinfo: SeqInfo | None = read_seqinfo(path) if (path / "seqinfo.ini").is_file() else None
        if self.seqinfo is not None:
            if not self.seqinfo.img_dir.is_dir():
                raise InputError(f"{path}/seqinfo.ini names image folder {self.seqinfo.img_dir.name}, which does not exist")
            self.files = list_images(self.seqinfo.img_dir, (self.seqinfo.ext,))
        else:
            self.files = list_images(path)
            if not self.files and (path / "img1").is_dir():
                self.files = list_images(path / "img1")
        if not self.files:
            raise InputError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) found in {path}")
        self.skipped: list[Path] = []
        self._next = 0
        if self.seqinfo is not None:
            if len(self.files) != self.seqinfo.length:
                log.warning("%s: seqinfo.ini says %d frames but %d images were found; using the images",
                            path, self.seqinfo.length, len(self.files))
            width, height = self.seqinfo.width, self.seqinfo.height
            rate, name = fps or self.seqinfo.fps, self.seqinfo.name
        else:
            height, width = self._first_decodable().shape[:2]
            rate, name = fps or DEFAULT_FPS, path.name
        if rate <= 0:
            raise InputError(f"fps must be positive, got {rate}")
        self.info = SourceInfo(name=name, kind="mot" if self.seqinfo else "images", fps=float(rate),
                               width=int(width), height=int(height), length=len(self.files), path=str(path))

    def _first_decodable(self) -> np.ndarray:
        for f in self.files:
            img = imread(f)
            if img is not None:
                return img
        raise InputError(f"none of the {len(self.files)} images in {self.files[0].parent} can be decoded")

    def read(self) -> FramePacket | None:
        """The next decodable image, or None after the last one."""
        while self._next < len(self.files):
            i, f = self._next, self.files[self._next]
            self._next += 1
            img = imread(f)
            if img is not None:
                return FramePacket(i, i / self.info.fps, img, self.info)
            if self.on_corrupt == "error":
                raise InputError(f"cannot decode image {f}")
            if f not in self.skipped:
                self.skipped.append(f)
            log.warning("skipping undecodable image %s (%d skipped so far)", f, len(self.skipped))
        return None


def open_mot_folder(path: str | os.PathLike[str], fps: float | None = None, **options) -> FrameSource:
    """An image or MOT folder; a MOT sequence whose seqinfo.ini names a ``video=`` (and has no image folder)
    plays that video with the sequence's name and rate, like one with img1/."""
    path = Path(path)
    seq = read_seqinfo(path) if (path / "seqinfo.ini").is_file() else None
    if seq is None or seq.video is None or seq.img_dir.is_dir():
        return ImageFolderSource(path, fps, **options)
    if not seq.video.is_file():
        raise InputError(f"{path}/seqinfo.ini names video {seq.video.name}, which does not exist")
    from perception.sources.video import VideoFileSource

    source = VideoFileSource(seq.video, fps or seq.fps, **options)
    source.info = dataclasses.replace(source.info, name=seq.name, kind="mot", path=str(path))
    return source
