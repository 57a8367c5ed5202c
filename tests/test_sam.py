"""SAM path with a tiny randomly initialised model: real loader, automatic and prompted modes, async keyframes,
and the checkpoint download (file:// URL, checksum, truncated file)."""

from __future__ import annotations

import hashlib
import threading
import time

import numpy as np
import pytest
import torch

from perception.segmentation import build_segmenter
from perception.segmentation.keyframes import AsyncKeyframeSegmenter
from perception.segmentation.sam import SamArch, SamSegmenter, build_sam_model, download, load_sam
from perception.types import FramePacket, InputError, SourceInfo

TINY = SamArch(embed_dim=32, depth=2, num_heads=2, global_attn=(1,), img_size=128, patch_size=16, prompt_dim=32,
               window_size=4, decoder_depth=1, decoder_mlp_dim=64)
INFO = SourceInfo("t", "test", 30.0, 96, 64)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("sam") / "tiny.pth"
    torch.save(build_sam_model(TINY).state_dict(), path)
    return path


def _frame(i: int = 0) -> FramePacket:
    img = np.zeros((64, 96, 3), np.uint8)
    img[10:40, 10 + i:50 + i] = (0, 0, 255)
    img[30:60, 60:90] = (0, 255, 0)
    return FramePacket(i, i / 30, img, INFO)


def test_loader_uses_cpu_map_and_weights_only(tiny_checkpoint):
    model = load_sam(TINY, tiny_checkpoint)
    assert model.image_encoder.img_size == 128 and not model.training
    bad = tiny_checkpoint.parent / "bad.pth"
    torch.save({"model": {"not": torch.zeros(1)}}, bad)
    with pytest.raises(InputError, match="does not fit"):
        load_sam(TINY, bad)
    with pytest.raises(InputError, match="does not exist"):
        load_sam(TINY, tiny_checkpoint.parent / "missing.pth")


def test_automatic_mode_gives_masks_with_features(tiny_checkpoint):
    seg = SamSegmenter(checkpoint=tiny_checkpoint, arch=TINY, points_per_side=4, pred_iou_thresh=0.0,
                       stability_thresh=0.0, min_area=1, device="cpu")
    out = seg.segment(_frame())
    d = out.detections
    assert len(d) > 0 and d.masks.shape[1:] == (64, 96)
    assert d.embeddings.shape == (len(d), 32)
    assert np.allclose(np.linalg.norm(d.embeddings, axis=1), 1.0, atol=1e-4)
    assert out.labels.shape == (64, 96) and out.labels.max() < len(d)


def test_prompted_mode_segments_each_box(tiny_checkpoint):
    seg = SamSegmenter(checkpoint=tiny_checkpoint, arch=TINY, mode="prompted", min_area=0, device="cpu")
    assert len(seg.segment(_frame()).detections) == 0  # no prompts yet
    boxes = np.array([[10, 10, 50, 40], [60, 30, 90, 60]], float)
    out = seg.segment(_frame(), boxes=boxes)
    assert len(out.detections) <= 2 and out.detections.masks.shape[1:] == (64, 96)
    seg.set_prompts(boxes[:1])
    assert len(seg.segment(_frame()).detections) <= 1


class _Gated:
    """Wraps a segmenter; each call waits until the test opens the gate."""

    name = "gated"
    needs_depth = False

    def __init__(self, inner):
        self.inner, self.gate, self.calls = inner, threading.Event(), 0

    def segment(self, packet):
        self.calls += 1
        self.gate.wait(10)
        return self.inner.segment(packet)


def test_async_keyframes_never_block_the_stream(tiny_checkpoint):
    sam = SamSegmenter(checkpoint=tiny_checkpoint, arch=TINY, points_per_side=4, pred_iou_thresh=0.0,
                       stability_thresh=0.0, min_area=1, device="cpu")
    gated = _Gated(sam)
    seg = AsyncKeyframeSegmenter(gated, every=3)
    try:
        t0 = time.perf_counter()
        first = [seg.segment(_frame(i)) for i in range(5)]  # keyframe 0 is held at the gate meanwhile
        assert time.perf_counter() - t0 < 5 and seg.busy
        assert all(len(r.detections) == 0 for r in first) and gated.calls == 1
        gated.gate.set()
        deadline = time.time() + 20
        while seg.busy and time.time() < deadline:
            time.sleep(0.02)
        out = seg.segment(_frame(5))  # adopts the keyframe, warps it onto this frame, starts the next keyframe
        assert seg.keyframes_done == 1 and len(out.detections) > 0
        assert out.detections.embeddings is not None and out.labels.max() < len(out.detections)
    finally:
        gated.gate.set()
        seg.close()


def test_registry_wraps_sam_asynchronously(tiny_checkpoint):
    seg = build_segmenter("sam", checkpoint=tiny_checkpoint, arch=TINY, points_per_side=4, device="cpu")
    try:
        assert isinstance(seg, AsyncKeyframeSegmenter)
    finally:
        seg.close()
    with pytest.raises(InputError, match="unknown segmenter"):
        build_segmenter("nope")
    assert build_segmenter("none") is None


def test_download_from_file_url_verifies_the_checksum(tmp_path, tiny_checkpoint):
    data = tiny_checkpoint.read_bytes()
    prefix = hashlib.sha256(data).hexdigest()[:6]
    src = tmp_path / "server" / f"sam_tiny_{prefix}.pth"
    src.parent.mkdir()
    src.write_bytes(data)
    cache = tmp_path / "cache"
    got = download(src.as_uri(), cache)
    assert got.read_bytes() == data and load_sam(TINY, got) is not None
    bad = tmp_path / "bad" / f"sam_tiny_{prefix}.pth"
    bad.parent.mkdir()
    bad.write_bytes(data[: len(data) // 2])  # truncated
    cache2 = tmp_path / "cache2"
    with pytest.raises(InputError, match="checksum"):
        download(bad.as_uri(), cache2)
    assert not any(cache2.iterdir())  # nothing half-written was left in the cache
    with pytest.raises(InputError, match="SHA-256 prefix"):
        download((tmp_path / "server" / "noprefix.pth").as_uri(), cache2)
