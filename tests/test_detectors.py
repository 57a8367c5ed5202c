"""Detectors: torchvision backends with random weights, YOLO ONNX decoding on generated models with known
outputs, file replay, the registry and "auto", SAM prompted by detections, and `run --detector` end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from perception.cli import main
from perception.detection import DetectStage, build_detector, resolve_detector
from perception.io.exports import rle_encode
from perception.pipeline.factory import PipelineOptions, build_stages
from perception.types import FramePacket, FrameResult, InputError, SourceInfo

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA.is_dir():
    DATA = Path("/work/shared/data")
TUD = DATA / "mot" / "TUD-Campus"
needs_data = pytest.mark.skipif(not TUD.is_dir(), reason="shared data absent")


def _packet(w: int, h: int, i: int = 0) -> FramePacket:
    img = np.random.default_rng(i).integers(0, 255, (h, w, 3), dtype=np.uint8)
    return FramePacket(i, i / 10, img, SourceInfo("t", "test", 10.0, w, h))


# ----- torchvision ------------------------------------------------------------------------------------------
def test_weights_table_matches_torchvision():
    from torchvision.models import get_model_weights

    from perception.detection.torchvision_models import MODELS, WEIGHT_BASE

    for model, name in MODELS.items():
        assert get_model_weights(model).COCO_V1.url == WEIGHT_BASE + name


SMALL = {"fasterrcnn_mobilenet_v3_large_fpn": {"box_score_thresh": 0.0, "min_size": 128, "max_size": 160},
         "ssdlite320_mobilenet_v3_large": {"score_thresh": 0.0},
         "retinanet_resnet50_fpn_v2": {"score_thresh": 0.0, "min_size": 128, "max_size": 160},
         "maskrcnn_resnet50_fpn_v2": {"box_score_thresh": 0.0, "min_size": 128, "max_size": 160,
                                      "box_detections_per_img": 10}}


@pytest.mark.parametrize("model", list(SMALL))
def test_torchvision_backend_runs_end_to_end_with_random_weights(model):
    import torch

    torch.manual_seed(0)
    det = build_detector(f"torchvision:{model}", pretrained=False, score_threshold=0.0, device="cpu", **SMALL[model])
    result = DetectStage(det).process(FrameResult(_packet(160, 120)))
    d = result.detections
    assert det.name == f"torchvision:{model}" and len(det.class_names) == 80 and "person" in det.class_names
    assert len(d) > 0 and set(d.labels) <= set(det.class_names)
    assert np.all(d.xyxy >= 0) and np.all(d.xyxy[:, [0, 2]] <= 160) and np.all(d.xyxy[:, [1, 3]] <= 120)
    assert np.all((d.scores >= 0) & (d.scores <= 1))
    if model.startswith("maskrcnn"):
        assert d.masks is not None and d.masks.shape == (len(d), 120, 160)
    else:
        assert d.masks is None


def test_missing_weights_offline_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PERCEPTION_STUDIO_CACHE", str(tmp_path))
    with pytest.raises(InputError) as err:
        build_detector("torchvision:ssdlite320_mobilenet_v3_large", allow_download=False)
    msg = str(err.value)
    assert "ssdlite320_mobilenet_v3_large_coco-a79551df.pth" in msg and "https://download.pytorch.org/models/" in msg
    assert str(tmp_path / "torchvision") in msg and "\n" not in msg


def test_pretrained_weights_load_from_the_cache(tmp_path, monkeypatch):
    import torch
    from torchvision.models import get_model

    monkeypatch.setenv("PERCEPTION_STUDIO_CACHE", str(tmp_path))
    torch.manual_seed(1)
    net = get_model("ssdlite320_mobilenet_v3_large", weights=None, weights_backbone=None, num_classes=91)
    (tmp_path / "torchvision").mkdir()
    torch.save(net.state_dict(), tmp_path / "torchvision" / "ssdlite320_mobilenet_v3_large_coco-a79551df.pth")
    det = build_detector("torchvision:ssdlite320_mobilenet_v3_large", allow_download=False, device="cpu")
    assert torch.equal(det.model.state_dict()["head.classification_head.module_list.0.1.weight"],
                       net.state_dict()["head.classification_head.module_list.0.1.weight"])
    video = SourceInfo("v", "video", 25.0, 64, 48, path=str(tmp_path / "v.mp4"))
    assert resolve_detector("auto", video) == "torchvision:ssdlite320_mobilenet_v3_large"


# ----- ONNX -------------------------------------------------------------------------------------------------
def _onnx_model(path: Path, outputs: list[np.ndarray], input_hw=(64, 64), names: str | None = None) -> Path:
    """A model that ignores its image and returns ``outputs`` (the raw head output is then known exactly)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, outs = [], []
    for k, arr in enumerate(outputs):
        nodes.append(helper.make_node("Constant", [], [f"output{k}"],
                                      value=numpy_helper.from_array(arr.astype(np.float32), f"c{k}")))
        outs.append(helper.make_tensor_value_info(f"output{k}", TensorProto.FLOAT, list(arr.shape)))
    graph = helper.make_graph(nodes, "yolo", [helper.make_tensor_value_info("images", TensorProto.FLOAT,
                                                                            [1, 3, *input_hw])], outs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if names:
        model.metadata_props.append(onnx.StringStringEntryProto(key="names", value=names))
    onnx.save(model, path)
    return path


# anchors (cx, cy, w, h in the 64x64 input) and class scores; a1 repeats a0's class on a0's box (suppressed),
# a2 is a0's box with another class (kept: NMS is per class), a4 is below the score threshold
ANCHORS = np.array([[20, 30, 10, 10], [21, 30, 10, 10], [21, 30, 10, 10], [50, 40, 8, 12], [40, 40, 8, 8]], float)
CLASSES = np.array([[0.9, 0.1, 0], [0.8, 0, 0], [0, 0.7, 0], [0, 0, 0.6], [0.1, 0.2, 0.2]], float)
NAMES = "{0: 'person', 1: 'car', 2: 'dog'}"
# a 128x64 frame letterboxed into 64x64: scale 0.5, 16 rows of padding on top
EXPECTED = np.array([[30, 18, 50, 38], [32, 18, 52, 38], [92, 36, 108, 60]], float)


def test_ultralytics_detect_layout_decodes_exactly(tmp_path):
    head = np.concatenate([ANCHORS, CLASSES], 1).T[None]  # 1 x (4+C) x N
    det = build_detector(f"onnx:{_onnx_model(tmp_path / 'v8.onnx', [head], names=NAMES)}")
    assert det.layout == "ultralytics" and det.class_names == ("person", "car", "dog")
    d = det.detect(_packet(128, 64))
    assert np.allclose(d.xyxy, EXPECTED) and np.allclose(d.scores, [0.9, 0.7, 0.6])
    assert d.labels.tolist() == ["person", "car", "dog"] and d.class_ids.tolist() == [0, 1, 2] and d.masks is None


def test_ultralytics_segment_layout_gives_masks_in_frame_pixels(tmp_path):
    coef = np.tile([[10.0, 0.0]], (5, 1))
    head = np.concatenate([ANCHORS, CLASSES, coef], 1).T[None]  # 1 x (4+C+M) x N
    protos = np.zeros((1, 2, 16, 16))
    protos[0, 0, :, :8] = 1.0  # left half of the input (left half of the frame) is "object"
    protos[0, 0, :, 8:] = -1.0
    det = build_detector(f"onnx:{_onnx_model(tmp_path / 'seg.onnx', [head, protos], names=NAMES)}")
    d = det.detect(_packet(128, 64))
    assert np.allclose(d.xyxy, EXPECTED) and d.masks.shape == (3, 64, 128)
    box = np.zeros((64, 128), bool)
    box[18:38, 30:50] = True
    assert np.array_equal(d.masks[0], box)  # the whole box, nothing outside it
    assert not d.masks[2].any()  # right half: sigmoid(-10)


def test_yolox_raw_grid_layout_decodes_exactly(tmp_path):
    n = 8 * 8 + 4 * 4 + 2 * 2
    head = np.zeros((n, 5 + 3))
    head[19] = [0.5, 0.5, math.log(2), math.log(3), 0.9, 0.1, 1.0, 0.0]  # stride 8, cell (x 3, y 2)
    head[20] = [-0.5, 0.5, math.log(2), math.log(3), 0.5, 0.0, 1.0, 0.0]  # same box (cell x 4), lower score
    head[70] = [0.0, 0.0, 0.0, 0.0, 0.8, 1.0, 0.0, 0.0]  # stride 16, cell (x 2, y 1)
    labels = tmp_path / "labels.txt"
    labels.write_text("# YOLOX classes\nperson\ncar\n\ndog\n")
    det = build_detector(f"onnx:{_onnx_model(tmp_path / 'yolox.onnx', [head[None]])}", labels=labels)
    assert det.layout == "yolox" and det.class_names == ("person", "car", "dog")
    d = det.detect(_packet(128, 64))  # scale 0.5, YOLOX pads bottom/right only
    assert np.allclose(d.xyxy, [[40, 16, 72, 64], [48, 16, 80, 48]])
    assert np.allclose(d.scores, [0.9, 0.8]) and d.labels.tolist() == ["car", "person"]


def test_onnx_errors_and_class_filter(tmp_path):
    with pytest.raises(InputError, match="ONNX model not found"):
        build_detector(f"onnx:{tmp_path / 'absent.onnx'}")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(InputError, match="cannot load ONNX model"):
        build_detector(f"onnx:{tmp_path / 'junk.onnx'}")
    end2end = _onnx_model(tmp_path / "e2e.onnx", [np.zeros((1, 300, 6))], names=NAMES)
    with pytest.raises(InputError, match="not supported; export the model without NMS"):
        build_detector(f"onnx:{end2end}")
    head = np.concatenate([ANCHORS, CLASSES], 1).T[None]
    path = _onnx_model(tmp_path / "v8.onnx", [head], names=NAMES)
    only = build_detector(f"onnx:{path}", classes=["dog", "car"])
    assert only.detect(_packet(128, 64)).labels.tolist() == ["car", "dog"]
    with pytest.raises(InputError, match="no class 'cat'.*person, car, dog"):
        build_detector(f"onnx:{path}", classes=["cat"])


# ----- file replay ------------------------------------------------------------------------------------------
@needs_data
def test_file_replays_mot_detections():
    from perception.io.mot import read_mot

    det = build_detector(f"file:{TUD}")
    table = read_mot(TUD / "det" / "det.txt")
    d = det.detect(_packet(640, 480, 4))
    assert len(d) == len(table.rows_for(5)) > 0 and np.allclose(d.xyxy, table.xyxy[table.rows_for(5)])
    assert set(d.labels) == {"person"} and np.all((d.scores >= 0) & (d.scores <= 1))
    assert len(det.detect(_packet(640, 480, 500))) == 0


def test_file_replays_json_with_labels_and_masks(tmp_path):
    mask = np.zeros((48, 64), bool)
    mask[10:20, 5:15] = True
    doc = {"frame_base": 0, "frames": [{"frame": 2, "detections": [
        {"bbox_xyxy": [5, 10, 15, 20], "score": 0.8, "label": "cup", "class_id": 41, "mask": rle_encode(mask)},
        {"bbox_xyxy": [30, 5, 40, 25], "score": 0.6, "class_id": 1, "mask": rle_encode(~mask)}]}]}
    path = tmp_path / "dets.json"
    path.write_text(json.dumps(doc))
    (tmp_path / "names.txt").write_text("person\nbicycle\n")
    det = build_detector(f"file:{path}", labels=tmp_path / "names.txt")
    d = det.detect(_packet(64, 48, 2))
    assert d.labels.tolist() == ["cup", "bicycle"] and d.class_ids.tolist() == [41, 1]
    assert np.array_equal(d.masks[0], mask) and np.allclose(d.scores, [0.8, 0.6])
    assert len(det.detect(_packet(64, 48, 1))) == 0
    with pytest.raises(InputError, match="masks of frame 2 are 64x48"):
        det.detect(_packet(32, 24, 2))
    path.write_text('{"frames": [{"detections": []}]}')
    with pytest.raises(InputError, match="malformed"):
        build_detector(f"file:{path}")


# ----- registry and auto ------------------------------------------------------------------------------------
def test_registry_errors_list_the_valid_names(tmp_path):
    for bad in ("yolo", "torchvision", "motion:x", "file:", "onnx"):
        with pytest.raises(InputError, match="choose one of none, motion, people, auto, torchvision:<model>"):
            build_detector(bad)
    with pytest.raises(InputError, match="unknown torchvision detector 'resnet50'"):
        build_detector("torchvision:resnet50")
    with pytest.raises(InputError, match="detections file not found"):
        build_detector(f"file:{tmp_path / 'none.txt'}")
    with pytest.raises(InputError, match="bad options"):
        build_detector(f"file:{tmp_path}", nonsense=1)
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(InputError, match="holds no class names"):
        build_detector(f"onnx:{tmp_path / 'm.onnx'}", labels=tmp_path / "empty.txt")
    with pytest.raises(InputError, match="--labels names the classes of onnx: and file: detectors"):
        build_detector("torchvision:ssdlite320_mobilenet_v3_large", labels=tmp_path / "empty.txt")
    assert build_detector("none") is None


def test_auto_picks_by_source(tmp_path, monkeypatch):
    monkeypatch.setenv("PERCEPTION_STUDIO_CACHE", str(tmp_path / "empty-cache"))
    (tmp_path / "seq" / "det").mkdir(parents=True)
    (tmp_path / "seq" / "det" / "det.txt").write_text("1,-1,1,2,3,4,0.5,-1,-1,-1\n")
    mot = SourceInfo("seq", "mot", 25.0, 64, 48, path=str(tmp_path / "seq"))
    video = SourceInfo("v", "video", 25.0, 64, 48, path=str(tmp_path / "v.mp4"))
    rgbd = SourceInfo("r", "rgbd-tum", 30.0, 64, 48, has_depth=True, path=str(tmp_path / "seq"))
    assert resolve_detector("auto", mot) == f"file:{tmp_path / 'seq' / 'det' / 'det.txt'}"
    assert resolve_detector("auto", video) == "people"
    assert resolve_detector("auto", SourceInfo("webcam:0", "webcam", 30.0, 64, 48, live=True)) == "people"
    assert resolve_detector("auto", rgbd) == "none"
    assert resolve_detector("auto", video, segmenter="rgb") == "none"  # an explicit segmenter feeds the tracker
    assert resolve_detector("onnx:x.onnx", rgbd) == "onnx:x.onnx"


def test_factory_orders_detect_before_segment(tmp_path):
    det_txt = tmp_path / "det.txt"
    det_txt.write_text("1,-1,1,2,3,4,0.5,-1,-1,-1\n")
    rgbd = SourceInfo("r", "rgbd-tum", 30.0, 64, 48, has_depth=True)
    stages = build_stages(PipelineOptions(detector=f"file:{det_txt}", memory=False), rgbd)
    assert [s.name for s in stages][:3] == ["detect", "segment", "tracker"]
    assert stages[1].feeds_tracker is False  # segments feed the 3D map, detections the tracker
    assert [s.name for s in build_stages(PipelineOptions(memory=False), rgbd)][:2] == ["segment", "tracker"]
    video = SourceInfo("v", "video", 25.0, 64, 48)
    names = [s.name for s in build_stages(PipelineOptions(detector=f"file:{det_txt}", memory=False), video)]
    assert names == ["detect", "tracker"]  # no depth: segments would feed nothing
    stages = build_stages(PipelineOptions(detector="none", segmenter="rgb", memory=False), video)
    assert [s.name for s in stages] == ["segment", "tracker"] and stages[0].feeds_tracker


# ----- SAM prompted by detections ---------------------------------------------------------------------------
def test_sam_prompted_by_detector_boxes_puts_masks_on_detections(tmp_path):
    import torch

    from perception.segmentation.prompted import PromptedSegmentStage, move_mask
    from perception.segmentation.sam import SamArch, SamSegmenter, build_sam_model
    from perception.types import Detections

    tiny = SamArch(embed_dim=32, depth=2, num_heads=2, global_attn=(1,), img_size=128, patch_size=16, prompt_dim=32,
                   window_size=4, decoder_depth=1, decoder_mlp_dim=64)
    torch.manual_seed(0)
    torch.save(build_sam_model(tiny).state_dict(), tmp_path / "tiny.pth")
    sam = SamSegmenter(checkpoint=tmp_path / "tiny.pth", arch=tiny, mode="prompted", device="cpu")
    boxes = np.array([[10, 10, 50, 40], [60, 30, 90, 60]], float)
    for every in (0, 1):
        stage = PromptedSegmentStage(sam, every=every)
        for i in range(6 if every else 1):
            r = FrameResult(_packet(96, 64, i))
            r.detections = Detections(boxes + i, labels=["cup", "book"])
            r = stage.process(r)
            if every == 0 or stage._key is not None:
                break
            stage._future.result(timeout=60)
        stage.close()
        d = r.detections
        assert d.masks.shape == (2, 64, 96) and d.labels.tolist() == ["cup", "book"] and r.segments is d
        assert r.segment_labels.shape == (64, 96) and r.image_embedding is not None
    mask = np.zeros((20, 20), bool)
    mask[2:6, 2:6] = True
    moved = move_mask(mask, np.array([2, 2, 6, 6]), np.array([10, 10, 18, 18]))
    assert moved.sum() == 64 and moved[10:18, 10:18].all()


# ----- end to end -------------------------------------------------------------------------------------------
@needs_data
def test_run_with_file_detector_on_tud_campus(tmp_path, capsys):
    out, summary = tmp_path / "tracks.json", tmp_path / "s.json"
    code = main(["run", "--source", str(TUD), "--detector", f"file:{TUD / 'det' / 'det.txt'}", "--classes", "person",
                 "--no-memory", "--export-tracks", str(out), "--summary-json", str(summary), "-q"])
    assert code == 0
    doc = json.loads(out.read_text())
    tracks = [t for f in doc["frames"] for t in f["tracks"]]
    assert len(doc["frames"]) > 60 and len({t["id"] for t in tracks}) >= 5
    assert {t["label"] for t in tracks} == {"person"} and {t["class_id"] for t in tracks} == {0}
    s = json.loads(summary.read_text())
    assert s["detector"].startswith("file:") and "detect" in s["stages"] and "segment" not in s["stages"]
    assert "detector: file:" in capsys.readouterr().out
    assert main(["run", "--source", str(TUD), "--detector", f"file:{TUD}", "--classes", "car", "-q"]) == 2
    assert "has no class 'car'" in capsys.readouterr().err
    assert main(["run", "--source", str(TUD), "--detector", "yolo", "-q"]) == 2


def test_mot_folder_naming_a_video_opens_like_one_with_img1(tmp_path, monkeypatch):
    import cv2

    monkeypatch.setenv("PERCEPTION_STUDIO_CACHE", str(tmp_path / "cache"))
    from perception.sources import open_source

    seq = tmp_path / "seq"
    (seq / "det").mkdir(parents=True)
    writer = cv2.VideoWriter(str(seq / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 5.0, (64, 48))
    for i in range(6):
        writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
    writer.release()
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=clipseq\nimDir=img1\nframeRate=7\nseqLength=6\n"
                                     "imWidth=64\nimHeight=48\nimExt=.jpg\nvideo=clip.avi\n")
    (seq / "det" / "det.txt").write_text("2,-1,1,2,10,20,0.9,-1,-1,-1\n")
    with open_source(str(seq)) as source:
        info = source.info
        frames = list(source)
    assert (info.name, info.kind, info.fps, info.path) == ("clipseq", "mot", 7.0, str(seq)) and len(frames) == 6
    assert abs(int(frames[3].image.mean()) - 120) < 8
    assert resolve_detector("auto", info) == f"file:{seq / 'det' / 'det.txt'}"
    (seq / "seqinfo.ini").write_text((seq / "seqinfo.ini").read_text().replace("clip.avi", "gone.avi"))
    with pytest.raises(InputError, match="names video gone.avi, which does not exist"):
        open_source(str(seq))
