"""``manifest.jsonl``: one JSON line per recording per run, appended only by the driver process.

Each line is written with a single ``write`` on an O_APPEND descriptor and fsynced, so a crash
leaves at most a torn last line, which readers skip and the next append starts after.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

MANIFEST_NAME = "manifest.jsonl"
LOCK_NAME = ".batch.lock"
RESERVED_NAMES = (MANIFEST_NAME, LOCK_NAME)  # the batch's own files: never a recording's folder name
STATUSES = ("done", "failed", "skipped")


class Manifest:
    """The append-only log of a batch output folder."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.path = Path(folder) / MANIFEST_NAME

    def append(self, record: dict) -> None:
        """Append one record as a line, durably."""
        line = json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size and not self._ends_with_newline():
                line = "\n" + line  # close a torn line left by a crash
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    def records(self) -> list[dict]:
        """Every readable record in order; torn or foreign lines are skipped."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and rec.get("status") in STATUSES:
                out.append(rec)
        return out

    def latest(self) -> dict[str, dict]:
        """The last record of each input."""
        return {rec["input"]: rec for rec in self.records() if "input" in rec}
