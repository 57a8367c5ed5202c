"""One folder per recording: which files go in it, and whether what is there is complete and valid.

``summary.json`` is written last and lists every other file with its size and SHA-256, so a folder
counts as complete only when that list checks out; anything else is redone from scratch.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
from pathlib import Path

from perception.pipeline.session import SessionOutputs
from perception.types import InputError

SUMMARY_NAME = "summary.json"
TRACK_EXTENSIONS = {"mot": "txt", "json": "json", "csv": "csv"}
MAP_FILES = {"map_ply": "map.ply", "instances_json": "instances.json"}  # SessionOutputs field -> file name


def session_outputs(folder: Path, tracks_format: str) -> SessionOutputs:
    """The outputs every recording's session writes into ``folder``; a new output kind is one more name here."""
    return SessionOutputs(tracks=folder / f"tracks.{TRACK_EXTENSIONS[tracks_format]}", tracks_format=tracks_format,
                          overwrite=True)


def add_map_outputs(outputs: SessionOutputs, folder: Path) -> None:
    """Also write the 3D map files (for sources where the 3D map runs)."""
    for field_name, file_name in MAP_FILES.items():
        setattr(outputs, field_name, folder / file_name)


def file_digest(path: Path) -> dict:
    """``{"bytes", "sha256"}`` of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": h.hexdigest()}


def read_summary(folder: Path) -> dict | None:
    """The recording's summary, or None when absent or unreadable."""
    try:
        summary = json.loads((folder / SUMMARY_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) else None


def is_complete(folder: Path, spec: str, fingerprint: str) -> dict | None:
    """The summary when ``folder`` holds finished outputs of ``spec`` made with these options; else None."""
    summary = read_summary(folder)
    if summary is None or summary.get("input") != spec or summary.get("fingerprint") != fingerprint:
        return None
    files = summary.get("files")
    if not isinstance(files, dict):
        return None
    for name, expected in files.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != expected.get("bytes"):
            return None
        if file_digest(path)["sha256"] != expected.get("sha256"):
            return None
    return summary


OUTPUT_NAMES = frozenset({*(f"tracks.{ext}" for ext in TRACK_EXTENSIONS.values()), *MAP_FILES.values()})


def owned_files(folder: Path, tracks_format: str) -> list[str]:
    """The names batch may remove in ``folder``: what its summary lists plus what this run writes, and only
    names batch itself ever writes (a crafted summary cannot point anywhere else)."""
    listed = set((read_summary(folder) or {}).get("files") or {})
    ours = {f"tracks.{TRACK_EXTENSIONS[tracks_format]}", *MAP_FILES.values()}
    return sorted((listed | ours) & OUTPUT_NAMES)


def clear(folder: Path, tracks_format: str) -> None:
    """Remove the batch's own files from a recording folder (summary first, so it never looks complete), any
    temporary files their interrupted writes left, then the folder if it is empty. Nothing else is touched."""
    if folder.is_symlink():
        raise InputError(f"{folder} is a link; batch writes only into folders it made itself")
    if not folder.is_dir():
        return
    names = owned_files(folder, tracks_format)
    with contextlib.suppress(FileNotFoundError):
        (folder / SUMMARY_NAME).unlink()
    for name in (*names, SUMMARY_NAME):
        for p in (folder / name, *folder.glob(f".{glob.escape(name)}.*.part")):
            if p.is_symlink() or p.is_file():  # a link is removed itself, never its target
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()
