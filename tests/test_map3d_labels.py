"""Detection class names voted into the 3D instances (majority over observations), exported in the JSON."""

from __future__ import annotations

import json

import numpy as np

from perception.map3d import build_map3d_stage
from perception.map3d.stage import match_detections
from perception.segmentation import build_segmenter
from perception.sources import open_source
from perception.types import Detections, FrameResult


def test_labels_are_voted_by_mask_overlap_and_exported(tmp_path):
    from perception.synthetic.rgbd_scene import generate_rgbd_scene

    scene = generate_rgbd_scene(tmp_path / "scene", seed=2, n_frames=6, width=320, height=240)
    seg, stage = build_segmenter("geometric"), build_map3d_stage()
    with open_source(str(scene)) as src:
        for f, p in enumerate(src):
            s = seg.segment(p)
            big = int(np.argmax(s.detections.masks.sum((1, 2))))
            name = "table" if f < 4 else "chair"  # 4 votes against 2: the majority wins
            labels = np.array(["object"] * len(s.detections), dtype=object)
            labels[big] = name
            dets = Detections(s.detections.xyxy, masks=s.detections.masks, labels=labels)
            r = FrameResult(p)
            r.segments, r.segment_labels, r.detections = s.detections, s.labels, dets
            r = stage.process(r)
    assert r.instances is not None and len(r.instances.labels) == len(r.instances)
    assert "table" in set(r.instances.labels) and "chair" not in set(r.instances.labels)
    stage.export_json(tmp_path / "inst.json")
    doc = json.loads((tmp_path / "inst.json").read_text())
    assert {"label", "confidence", "agreement"} <= set(doc["instances"][0])
    assert "table" in {x["label"] for x in doc["instances"]}


def test_match_detections_by_box_when_masks_are_missing():
    segs = Detections(np.array([[0, 0, 10, 10], [50, 50, 60, 60]], float))
    dets = Detections(np.array([[0, 0, 12, 12]], float), labels=np.array(["cup"], dtype=object))
    s, d = match_detections(segs, dets)
    assert s.tolist() == [0] and d.tolist() == [0]
