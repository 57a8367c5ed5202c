"""The one verified downloader: resumable, cancellable, SHA-256-checked, renamed into place only when complete.

Bytes go to ``.NAME.part`` beside the target. A dropped connection keeps the part file and the next call
resumes it with an HTTP Range request (or starts clean when the server ignores the range); a checksum
mismatch or a cancel deletes it. Every failure is an InputError naming the URL and where the file belongs.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import os
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from perception.types import InputError

Progress = Callable[[int, int | None], object]
"""``progress(done_bytes, total_bytes_or_None)``; returning False cancels."""


class DownloadCancelled(InputError):
    """The download was cancelled; nothing was written."""


def hash_prefix(filename: str) -> str | None:
    """The SHA-256 prefix a torch.hub-style name carries (``name-<hex>.pth`` or ``name_<hex>.pth``), else None."""
    m = re.search(r"[-_]([0-9a-f]{6,64})\.[A-Za-z0-9]+$", filename)
    return m.group(1) if m else None


def part_path(dest: Path) -> Path:
    """Where the bytes of ``dest`` accumulate until the download completes."""
    return dest.with_name(f".{dest.name}.part")


def _open(url: str, offset: int, timeout_s: float):
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    return urllib.request.urlopen(request, timeout=timeout_s)


def _resumed_total(resp, offset: int) -> tuple[bool, int | None]:
    """Whether the server continued at ``offset`` (HTTP 206 from there) and the full size when known."""
    status = getattr(resp, "status", None)
    m = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", resp.headers.get("Content-Range", "") or "")
    if offset and status == 206 and m and int(m.group(1)) == offset:
        return True, None if m.group(2) == "*" else int(m.group(2))
    length = resp.headers.get("Content-Length")
    return False, int(length) if length and length.isdigit() else None


def download(url: str, dest: str | os.PathLike[str], sha256: str | None = None, progress: Progress | None = None,
             cancel: threading.Event | None = None, timeout_s: float = 30.0, chunk: int = 1 << 20) -> Path:
    """Fetch ``url`` to ``dest``; ``sha256`` (full hex digest or a prefix of it) is checked before the rename."""
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {dest.parent} for {dest.name} ({exc.strerror})") from None
    part = part_path(dest)
    where = f"to install it by hand, download {url} and put it at {dest}"
    with open(part, "ab") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError(f"{dest.name} is being downloaded by another process; try again when it finishes") from None
        try:
            _fetch(url, part, progress, cancel, timeout_s, chunk)
        except DownloadCancelled:
            part.unlink(missing_ok=True)
            raise
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc or type(exc).__name__
            kept = part.stat().st_size if part.is_file() else 0
            if not kept:
                part.unlink(missing_ok=True)
            again = f"; run again to resume from {kept} bytes" if kept else ""
            raise InputError(f"cannot download {dest.name} from {url} ({reason}){again}; {where}") from None
        digest = _sha256(part)
        if sha256 is not None and not digest.startswith(sha256.lower()):
            part.unlink(missing_ok=True)
            raise InputError(f"download of {url} failed its checksum (SHA-256 {digest[:16]}..., expected "
                             f"{sha256[:16]}...); nothing was kept; try again, or {where}")
        os.replace(part, dest)
    return dest


def _fetch(url: str, part: Path, progress: Progress | None, cancel: threading.Event | None, timeout_s: float,
           chunk: int) -> None:
    """Append the rest of ``url`` to ``part`` (starting clean when the server cannot resume); raise when short."""
    offset = part.stat().st_size
    try:
        resp = _open(url, offset, timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code != 416 or not offset:  # 416: the kept part is not a prefix the server can continue
            raise
        offset, resp = 0, _open(url, 0, timeout_s)
    with resp:
        resumed, total = _resumed_total(resp, offset)
        if not resumed:
            offset = 0
        with open(part, "r+b" if resumed else "wb") as out:
            out.seek(offset)
            out.truncate()
            done = offset
            while block := resp.read(chunk):
                out.write(block)
                done += len(block)
                if (cancel is not None and cancel.is_set()) or (progress is not None and progress(done, total) is False):
                    raise DownloadCancelled(f"download of {url} cancelled")
            out.flush()
            os.fsync(out.fileno())
    if total is not None and done != total:
        raise OSError(f"the transfer stopped at {done} of {total} bytes")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def cached_download(url: str, folder: Path, allow_download: bool = True, progress: Progress | None = None,
                    what: str = "the file") -> Path:
    """``folder/<name of url>``, downloading it first when missing (the name's hash prefix is checked).

    Offline (``allow_download`` False) a missing file is an InputError naming the file, its URL and where to put it.
    """
    name = url.rstrip("/").rsplit("/", 1)[-1]
    dest = folder / name
    if dest.is_file():
        return dest
    if not allow_download:
        raise InputError(f"{what} {name} is not in the cache; download {url} and put it at {dest}")
    return download(url, dest, sha256=hash_prefix(name), progress=progress)
