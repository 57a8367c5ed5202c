"""bench/sparse_copy: a removed person becomes background, a kept one stays, gt and detections follow."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from bench.sparse_copy import background, make_copy, read_frames
from perception.io.mot import read_mot


def _sequence(root: Path) -> Path:
    """20 frames of 160 x 80 over a textured still scene: person 1 walks right along the top, person 2 left along
    the bottom; det.txt holds one detection on each."""
    seq = root / "walk"
    (seq / "img1").mkdir(parents=True)
    (seq / "gt").mkdir()
    (seq / "det").mkdir()
    rng = np.random.default_rng(0)
    scene = cv2.GaussianBlur(rng.integers(60, 200, (80, 160, 3)).astype(np.uint8), (7, 7), 0)
    gt, det = [], []
    for f in range(1, 21):
        image = scene.copy()
        for pid, x, y, colour in ((1, 5 + 5 * f, 5, (250, 250, 250)), (2, 140 - 5 * f, 45, (10, 10, 10))):
            image[y:y + 30, x:x + 12] = colour
            gt.append(f"{f},{pid},{x},{y},12,30,-1,-1,-1,-1\n")
            det.append(f"{f},-1,{x},{y},12,30,0.9,-1,-1,-1\n")
        cv2.imwrite(str(seq / "img1" / f"{f:06d}.png"), image)
    (seq / "gt" / "gt.txt").write_text("".join(gt))
    (seq / "det" / "det.txt").write_text("".join(det))
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=walk\nimDir=img1\nframeRate=10\nseqLength=20\n"
                                     "imWidth=160\nimHeight=80\nimExt=.png\n")
    return seq


def test_a_sparse_copy_keeps_some_people_and_paints_out_the_rest(tmp_path: Path) -> None:
    seq = _sequence(tmp_path)
    frames = read_frames(seq)
    bg = background(frames, read_mot(seq / "gt" / "gt.txt"))
    assert np.abs(bg - frames[0].astype(np.float32))[10:40, 100:160].mean() < 2  # nobody there on frame 1
    out = make_copy(seq, frames, bg, 0.5, seed=4, out_root=tmp_path / "copies")
    gt, det = read_mot(out / "gt" / "gt.txt"), read_mot(out / "det" / "det.txt")
    (kept,) = np.unique(gt.ids)
    assert len(gt.frames) == 20 and len(det.frames) == 20  # one person's rows, one detection a frame
    kept_xywh = gt.xywh[gt.frames == 10][0]
    assert np.array_equal(det.xywh[det.frames == 10][0], kept_xywh)
    image = cv2.imread(str(out / "img1" / "000010.jpg")).astype(np.float32)
    x, y = 5 + 5 * 10, 5  # person 1 on frame 10
    gone = (x, y) if kept == 2 else (140 - 5 * 10, 45)
    stay = (x, y) if kept == 1 else (140 - 5 * 10, 45)
    region = (slice(gone[1] + 4, gone[1] + 26), slice(gone[0] + 3, gone[0] + 9))
    assert np.abs(image[region] - bg[region]).mean() < 8  # painted over with the scene
    person = image[stay[1] + 4:stay[1] + 26, stay[0] + 3:stay[0] + 9]
    assert np.abs(person - frames[9][stay[1] + 4:stay[1] + 26, stay[0] + 3:stay[0] + 9]).mean() < 8
    assert "imExt=.jpg" in (out / "seqinfo.ini").read_text()
