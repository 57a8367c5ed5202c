"""Shared fixtures: the real data set beside the repository, and a place for review artifacts."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (MOT15 sequences, 7-Scenes frames, a video); tests skip if it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Folder for images saved for human review (ignored by git)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def esam_folder(shared_data: Path, tmp_path: Path) -> Callable[..., Path]:
    """Build a small ESAM-layout RGB-D folder from the 7-Scenes frames (colour, depth in mm, pose, intrinsics)."""
    src = shared_data / "rgbd/7scenes-a"

    def make(n: int = 4, name: str = "scan") -> Path:
        dst = tmp_path / name
        for sub in ("color", "depth", "pose"):
            (dst / sub).mkdir(parents=True)
        for i in range(n):
            shutil.copy(src / f"frame-{i:06d}.color.jpg", dst / "color" / f"{i}.jpg")
            shutil.copy(src / f"frame-{i:06d}.depth.png", dst / "depth" / f"{i}.png")
            shutil.copy(src / f"frame-{i:06d}.pose.txt", dst / "pose" / f"{i}.txt")
        shutil.copy(src / "camera-intrinsics.txt", dst / "intrinsic.txt")
        return dst

    return make
