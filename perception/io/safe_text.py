"""Text safe to print or save: known secrets redacted, terminal control sequences removed."""

from __future__ import annotations

import re
import threading

REDACTED = "[redacted]"
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_secrets: set[str] = set()
_lock = threading.Lock()
MIN_SECRET = 4  # shorter values would redact ordinary words


def register_secret(value: str | None) -> None:
    """Remember a secret (an API key) so ``redact`` hides it wherever it appears."""
    if value and len(value) >= MIN_SECRET:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``[redacted]``."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, REDACTED)
    return text


def printable(text: str) -> str:
    """``text`` redacted and without terminal escape sequences or control characters (newlines and tabs kept)."""
    return _CONTROL.sub("", redact(str(text)))


def one_line(text: str) -> str:
    """``printable`` text folded onto one line."""
    return " ".join(printable(text).split())
