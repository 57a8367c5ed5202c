"""Model weight downloads without Qt: streamed to a temp file beside the target, renamed into place when complete."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from perception.io.atomic import atomic_open
from perception.types import InputError

# The official Segment Anything checkpoints (facebookresearch/segment-anything README).
SAM_CHECKPOINTS = {
    "vit_b": "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth",
    "vit_l": "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_l_0b3195.pth",
    "vit_h": "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth",
}


class DownloadCancelled(InputError):
    """The user cancelled a download; nothing was written."""


def weights_dir() -> Path:
    """Where downloaded weights are kept (``$PERCEPTION_WEIGHTS`` or ~/.cache/perception-studio/weights)."""
    return Path(os.environ.get("PERCEPTION_WEIGHTS", Path.home() / ".cache" / "perception-studio" / "weights"))


def download(url: str, dest: str | os.PathLike[str], progress: Callable[[int, int | None], bool] | None = None,
             timeout_s: float = 30.0, chunk: int = 1 << 20) -> Path:
    """Fetch ``url`` to ``dest`` atomically; ``progress(done, total)`` returning False cancels. InputError on failure."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp, atomic_open(dest, "wb") as out:
            total = resp.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            done = 0
            while block := resp.read(chunk):
                out.write(block)
                done += len(block)
                if progress is not None and progress(done, total) is False:
                    raise DownloadCancelled(f"download of {dest.name} cancelled")
            if total is not None and done != total:
                raise InputError(f"download of {dest.name} stopped at {done} of {total} bytes; try again")
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"cannot download {url}: {reason}. Without internet, copy the checkpoint by hand and pick it "
                         "with 'SAM checkpoint…'") from None
    return dest
