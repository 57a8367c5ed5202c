"""SAM checkpoints that cannot be used: corrupt, truncated, of another model type, or a pickle carrying code.
Each is refused with one line naming the file; nothing in the file is ever executed."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from perception.types import InputError


@pytest.fixture
def build_segmenter():
    from perception.segmentation import build_segmenter

    return build_segmenter


def _truncated(tmp_path: Path) -> Path:
    whole = tmp_path / "whole.pth"
    torch.save({"image_encoder.pos_embed": torch.zeros(1, 64, 64, 768)}, whole)
    path = tmp_path / "sam_vit_b_truncated.pth"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # a download cut half-way
    return path


def _corrupt(tmp_path: Path) -> Path:
    path = tmp_path / "sam_vit_b_corrupt.pth"
    path.write_bytes(np.random.default_rng(0).bytes(50_000))
    return path


def _wrong_type(tmp_path: Path) -> Path:
    """A checkpoint shaped like ViT-L (1024-wide) where ViT-B (768-wide) is asked for."""
    path = tmp_path / "sam_vit_l.pth"
    torch.save({"image_encoder.pos_embed": torch.zeros(1, 64, 64, 1024),
                "image_encoder.patch_embed.proj.weight": torch.zeros(1024, 3, 16, 16)}, path)
    return path


class _Payload:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _code_carrying(tmp_path: Path) -> Path:
    path = tmp_path / "sam_vit_b_evil.pth"
    with open(path, "wb") as f:
        pickle.dump({"model": _Payload(tmp_path / "executed")}, f)
    return path


CHECKPOINTS = {"corrupt": _corrupt, "truncated": _truncated, "wrong-model-type": _wrong_type,
               "pickle-with-code": _code_carrying}


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch's note on the pickle it refuses
@pytest.mark.parametrize("kind", list(CHECKPOINTS))
def test_bad_sam_checkpoint_is_refused_by_name(build_segmenter, tmp_path, kind):
    path = CHECKPOINTS[kind](tmp_path)
    with pytest.raises(InputError) as exc:
        build_segmenter("sam", checkpoint=str(path), variant="vit_b", keyframe_every=0)
    assert str(exc.value).startswith(("cannot read SAM checkpoint", "SAM checkpoint")) and path.name in str(exc.value)
    assert not (tmp_path / "executed").exists()  # loaded with weights_only: the pickled code never ran


@pytest.mark.parametrize("kind", ["truncated", "wrong-model-type"])
def test_bad_sam_checkpoint_on_the_cli_is_one_line_and_keeps_exports(cli, build_segmenter, shared_data, tmp_path, kind):
    path = CHECKPOINTS[kind](tmp_path)
    earlier = tmp_path / "tracks.txt"
    earlier.write_text("1,1,10.00,10.00,5.00,5.00,1.0000,-1,-1,-1\n")
    r = cli("run", "--source", shared_data / "mot/TUD-Campus", "--segmenter", "sam", "--sam-checkpoint", path,
            "--sam-model", "vit_b", "--max-frames", "2", "--export-tracks", earlier, "--overwrite", "-q")
    assert r.code == 2 and path.name in r.error
    assert earlier.read_text() == "1,1,10.00,10.00,5.00,5.00,1.0000,-1,-1,-1\n"
