"""Fixtures of the fault suite: the CLI run in-process, scratch RGB-D folders, and small tmpfs mounts."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from perception.cli import main


@dataclass
class CliRun:
    """What one CLI call did: exit code, stdout, and the stderr lines."""

    code: int
    out: str
    err: list[str]

    @property
    def error(self) -> str:
        """The single ``error: ...`` line; fails the test if stderr holds anything else."""
        assert len(self.err) == 1 and self.err[0].startswith("error: "), self.err
        return self.err[0]


@pytest.fixture
def cli(capfd) -> Callable[..., CliRun]:
    """Run ``perception.cli.main`` in-process; stderr is captured at the descriptor, so native library noise counts."""

    def run(*argv: str) -> CliRun:
        capfd.readouterr()
        code = main([str(a) for a in argv])  # an exception escaping here is a traceback on the command line
        out, err = capfd.readouterr()
        return CliRun(code, out, [line for line in err.splitlines() if line.strip()])

    return run


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount a tmpfs (``size`` like '16k', ``readonly``) and unmount it afterwards; skip where mounting is not allowed."""
    mounted: list[Path] = []

    def mount(size: str = "1m", readonly: bool = False) -> Path:
        point = tmp_path / f"mnt-{uuid.uuid4().hex[:6]}"
        point.mkdir()
        opts = f"size={size}" + (",ro" if readonly else "")
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(point)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip() or proc.returncode}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


@pytest.fixture
def remount_ro() -> Callable[[Path], None]:
    """Turn a tmpfs from ``tmpfs`` read-only in place (after files were put there)."""

    def remount(point: Path) -> None:
        proc = subprocess.run(["mount", "-o", "remount,ro", str(point)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {proc.stderr.strip()}")

    return remount
