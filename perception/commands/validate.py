"""Flag value types for argparse: finite numbers within bounds, refused at parse time with one clear message."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

MAX_FRAMES = 10**9  # about a year at 30 fps: any larger --max-frames is a typo


def _number(text: str, kind: type) -> float | int:
    try:
        value = kind(text) if kind is float else int(text, 10)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected a {'number' if kind is float else 'whole number'}, "
                                         f"got {text[:40]!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text[:40]!r}")
    return value


def int_in(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``lo`` to ``hi``."""

    def parse(text: str) -> int:
        value = _number(text, int)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be from {lo} to {hi}, got {value}")
        return int(value)

    parse.__name__ = "whole number"
    return parse


def float_in(lo: float, hi: float, lo_open: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``)."""

    def parse(text: str) -> float:
        value = float(_number(text, float))
        if value > hi or value < lo or (lo_open and value == lo):
            raise argparse.ArgumentTypeError(f"must be {'above' if lo_open else 'at least'} {lo:g} and at most "
                                             f"{hi:g}, got {value:g}")
        return value

    parse.__name__ = "number"
    return parse


frame_count = int_in(1, MAX_FRAMES)
