"""Regression tests for faults found by the fault suite: a dying worker, unsafe model loading, SAM checkpoint errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from perception.pipeline.runner import Pipeline
from perception.sources import MemorySource
from perception.types import Detections
from trackers.registry import build_tracker
from trackers.stage import TrackerStage


class _Boxes:
    name = "boxes"

    def process(self, result):
        x = np.array([10.0, 80.0]) + result.index
        result.detections = Detections(np.column_stack([x, [10.0, 10.0], x + 30, [60.0, 60.0]]))
        return result

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def _pipeline(options, info, extra=()) -> Pipeline:
    return Pipeline([_Boxes(), *extra, TrackerStage(build_tracker("iou", fps=info.fps or 30.0))], on_error=options.on_error)


# Was bug B (app/controller.py StreamController._on_finished / app/main_window.py _on_ended): the worker now records
# stats.worker_error (runner, c59797e), but the window still says nothing when the worker dies (here in overlay code).
def test_worker_thread_dying_is_noticed_and_said(qtbot, tmp_path, monkeypatch):
    pytest.importorskip("pytestqt")
    from PySide6.QtCore import QSettings

    import app.controller
    from app.main_window import MainWindow

    def opener(spec):
        n = int(spec.split(":")[1])
        return MemorySource([np.full((120, 160, 3), 10 * i, np.uint8) for i in range(n)], name=spec)

    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), pipeline_factory=_pipeline,
                        source_opener=opener, use_opengl=False)
    qtbot.addWidget(window)
    real = app.controller.build_layer

    def overlay_bug(result, *args, **kwargs):
        if result.index == 3:
            raise RuntimeError("overlay bug")
        return real(result, *args, **kwargs)

    monkeypatch.setattr(app.controller, "build_layer", overlay_bug)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    assert window.open_spec("mem:10")
    with qtbot.waitSignal(window.message_shown, timeout=20_000) as sig:
        window.controller.play()
    assert "overlay bug" in sig.args[1] and "frame 3" in sig.args[1]
    assert window.controller.state != "playing"
    monkeypatch.setattr(app.controller, "build_layer", real)
    assert window.open_spec("mem:5", play=True)
    qtbot.waitUntil(lambda: window.controller.state == "ended", timeout=20_000)
    window.close()


# Was bug C (perception/memory/answer/local.py TransformersBackend._load): from_pretrained(path) without
# use_safetensors=True may unpickle a user-supplied pytorch_model.bin; require safetensors weights.
def test_local_vlm_loads_safetensors_only():
    import ast
    from pathlib import Path

    tree = ast.parse(Path("perception/memory/answer/local.py").read_text())
    calls = [c for c in ast.walk(tree) if isinstance(c, ast.Call) and getattr(c.func, "attr", "") == "from_pretrained"]
    model_calls = [c for c in calls if "Model" in ast.unparse(c.func)]
    assert model_calls and all(any(k.arg == "use_safetensors" and getattr(k.value, "value", None) is True
                                   for k in c.keywords) for c in model_calls)


def _sam_checkpoint(tmp_path, kind):
    import pickle

    import torch

    path = tmp_path / f"sam_vit_b_{kind}.pth"
    if kind == "corrupt":
        path.write_bytes(np.random.default_rng(0).bytes(50_000))
    elif kind == "pickle":
        path.write_bytes(pickle.dumps({"model": tmp_path}))  # a pickle, not a weights file
    else:
        torch.save({"image_encoder.pos_embed": torch.zeros(1, 64, 64, 1024)}, path)  # a ViT-L-sized tensor
    return path


# Was bug D (perception/segmentation/sam/segmenter.py, checkpoint loading): a corrupt checkpoint, or a pickle that
# weights_only refuses, gives an InputError whose text embeds torch's multi-line explanation (and torch prints a
# UserWarning), so the CLI's "one line" is ~10 lines. Suggest: "cannot read SAM checkpoint PATH: not a PyTorch
# weights file (or it holds objects other than tensors)" and only the first line of torch's message.
@pytest.mark.parametrize("kind", ["corrupt", "pickle"])
def test_sam_checkpoint_errors_are_one_line(tmp_path, kind):
    from perception.segmentation import build_segmenter
    from perception.types import InputError

    path = _sam_checkpoint(tmp_path, kind)
    with pytest.raises(InputError) as exc:
        build_segmenter("sam", checkpoint=str(path), variant="vit_b", keyframe_every=0)
    assert "\n" not in str(exc.value) and path.name in str(exc.value)


# Was bug E (perception/segmentation/sam/segmenter.py): a checkpoint of another model type says only "does not fit this
# architecture: Error(s) in loading state_dict for Sam:"; it should name the variant asked for (vit_b) and, from the
# tensor widths, the one the file holds (vit_l: 1024, vit_h: 1280, vit_b: 768).
def test_sam_wrong_model_type_names_both_types(tmp_path):
    from perception.segmentation import build_segmenter
    from perception.types import InputError

    path = _sam_checkpoint(tmp_path, "wrong-type")
    with pytest.raises(InputError) as exc:
        build_segmenter("sam", checkpoint=str(path), variant="vit_b", keyframe_every=0)
    assert "vit_b" in str(exc.value) and "vit_l" in str(exc.value)


# Was bug D on the command line: the corrupt checkpoint's error is several lines.
def test_cli_sam_corrupt_checkpoint_is_one_line(cli, shared_data, tmp_path):
    path = _sam_checkpoint(tmp_path, "corrupt")
    r = cli("run", "--source", shared_data / "mot/TUD-Campus", "--segmenter", "sam", "--sam-checkpoint", path,
            "--sam-model", "vit_b", "--max-frames", "2", "-q")
    assert r.code == 2 and path.name in r.error
