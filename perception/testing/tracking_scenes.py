"""Synthetic tracking scenes with long occlusions, built directly from box and centre trajectories.

``make_2d_sequence`` writes a MOTChallenge folder (rendered frames, det + gt); ``make_3d_sequence``
returns noisy 3D detections with ground truth. Ground truth lists an object only while it is visible
(at least half unoccluded), so identity metrics measure whether a track keeps its ID across occlusions.
Used by the tracker tests and benches (bench/track_synthetic.py) to test trackers on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from perception.io.mot import write_mot
from perception.types import FramePacket, FrameResult, Instances3D, SourceInfo

PALETTE = np.array([[40, 40, 200], [200, 60, 40], [40, 170, 40], [0, 200, 230], [200, 40, 200], [230, 230, 230],
                    [20, 20, 20], [0, 120, 255], [120, 60, 0], [150, 150, 0]], dtype=np.uint8)


def occlusion_events(visible: np.ndarray) -> int:
    """Number of times an object goes from visible to hidden and later becomes visible again (TxN bool)."""
    events = 0
    for col in visible.T:
        seen = np.flatnonzero(col)
        if len(seen) > 1:
            events += int(np.sum(np.diff(seen) > 1))
    return events


def make_2d_sequence(out_dir: Path, seed: int = 0, n_frames: int = 150, n_people: int = 6, fps: float = 15.0,
                     width: int = 640, height: int = 480) -> int:
    """Write a MOT folder (seqinfo.ini, img1/, det/det.txt, gt/gt.txt) with people walking behind two
    pillars; returns the number of ground-truth occlusion events."""
    rng = np.random.default_rng(seed)
    out_dir = Path(out_dir)
    (out_dir / "img1").mkdir(parents=True, exist_ok=True)
    pillars = [(180, 290), (400, 510)]
    w = rng.uniform(35, 55, n_people)
    h = 2.4 * w
    x = rng.uniform(20, width - 80, n_people)
    feet = rng.uniform(220, height - 10, n_people)
    vx = rng.choice([-1, 1], n_people) * rng.uniform(1.5, 3.5, n_people)
    colours = rng.permutation(len(PALETTE))
    shirt, trousers = PALETTE[colours[:n_people]], PALETTE[colours[::-1][:n_people]]
    background = cv2.GaussianBlur((rng.random((height, width, 3)) * 255).astype(np.uint8), (21, 21), 0)
    gt_rows, det_rows, visible = [], [], np.zeros((n_frames, n_people), bool)
    for f in range(n_frames):
        img = background.copy()
        order = np.argsort(feet)  # farther (higher up) drawn first
        boxes = np.stack([x, feet - h, x + w, feet], axis=1)
        for i in order:
            x1, y1, x2, y2 = boxes[i].round().astype(int)
            mid = (y1 + y2) // 2
            img[max(y1, 0):mid, max(x1, 0):max(x2, 0)] = shirt[i]
            img[mid:max(y2, 0), max(x1, 0):max(x2, 0)] = trousers[i]
        covered = np.zeros(n_people)
        for px1, px2 in pillars:
            img[:, px1:px2] = (90, 90, 90)
            covered += np.clip(np.minimum(boxes[:, 2], px2) - np.maximum(boxes[:, 0], px1), 0, None)
        vis_frac = 1 - np.clip(covered / w, 0, 1)
        inside = (boxes[:, 0] >= 0) & (boxes[:, 2] <= width)
        for i in range(n_people):
            if vis_frac[i] >= 0.5 and inside[i]:
                visible[f, i] = True
                gt_rows.append((f + 1, i + 1, boxes[i], 1.0))
                if rng.random() < 0.97:
                    noisy = boxes[i] + rng.normal(0, 0.03 * w[i], 4)
                    score = rng.uniform(0.6, 1.0) if vis_frac[i] > 0.9 else rng.uniform(0.2, 0.6)
                    det_rows.append((f + 1, -1, noisy, score))
        if rng.random() < 0.3:
            fw = rng.uniform(30, 60)
            fx, fy = rng.uniform(0, width - fw), rng.uniform(0, height - 2.4 * fw)
            det_rows.append((f + 1, -1, np.array([fx, fy, fx + fw, fy + 2.4 * fw]), rng.uniform(0.1, 0.6)))
        cv2.imwrite(str(out_dir / "img1" / f"{f + 1:06d}.jpg"), img)
        x += vx
        bounce = (x < 0) | (x + w > width)
        vx[bounce] *= -1
    for name, rows in (("gt", gt_rows), ("det", det_rows)):
        (out_dir / name).mkdir(exist_ok=True)
        b = np.stack([r[2] for r in rows])
        xywh = np.concatenate([b[:, :2], b[:, 2:] - b[:, :2]], axis=1)
        scores = np.array([r[3] for r in rows]) if name == "det" else -np.ones(len(rows))
        write_mot(out_dir / name / f"{name}.txt", np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
                  xywh, scores)
    (out_dir / "seqinfo.ini").write_text(
        f"[Sequence]\nname={out_dir.name}\nimDir=img1\nframeRate={fps:g}\nseqLength={n_frames}\n"
        f"imWidth={width}\nimHeight={height}\nimExt=.jpg\n")
    return occlusion_events(visible)


@dataclass
class Scene3D:
    """Frames of 3D detections (as FrameResults with instances) and per-frame ground truth."""

    frames: list[FrameResult]
    truth: list[tuple[np.ndarray, np.ndarray]]
    occlusion_events: int
    fps: float


def make_3d_sequence(seed: int = 0, n_frames: int = 150, n_objects: int = 8, fps: float = 15.0,
                     room: float = 6.0, max_speed: float = 1.0) -> Scene3D:
    """Objects on a floor wandering at up to ``max_speed`` m/s, each hidden for 1-2 spans of 0.3-1.3 s;
    detections carry 3 cm centre noise, 5 % size noise, 2 % misses and 0.2 false positives per frame."""
    rng = np.random.default_rng(seed)
    size = rng.uniform(0.3, 0.8, (n_objects, 3))
    pos = np.column_stack([rng.uniform(0.5, room - 0.5, (n_objects, 2)), size[:, 2] / 2])
    heading = rng.uniform(0, 2 * np.pi, n_objects)
    speed = rng.uniform(0.2, max_speed, n_objects)
    hidden = np.zeros((n_frames, n_objects), bool)
    for i in range(n_objects):
        for _ in range(rng.integers(1, 3)):
            start, span = rng.integers(5, n_frames - 25), rng.integers(5, 20)
            hidden[start:start + span, i] = True
    info = SourceInfo("synthetic-3d", "synthetic", fps, 64, 48)
    image = np.zeros((48, 64, 3), np.uint8)
    frames, truth = [], []
    for f in range(n_frames):
        vis = ~hidden[f]
        truth.append((np.flatnonzero(vis) + 1, pos[vis].copy()))
        det = vis & (rng.random(n_objects) > 0.02)
        centres = pos[det] + rng.normal(0, 0.03, (det.sum(), 3))
        sizes = size[det] * rng.normal(1, 0.05, (det.sum(), 3))
        if rng.random() < 0.2:
            centres = np.vstack([centres, [rng.uniform(0, room), rng.uniform(0, room), 0.3]])
            sizes = np.vstack([sizes, rng.uniform(0.2, 0.6, 3)])
        n = len(centres)
        inst = Instances3D(np.arange(n), centres, centres - sizes / 2, centres + sizes / 2, np.full(n, 500))
        frames.append(FrameResult(FramePacket(f, f / fps, image, info), instances=inst))
        heading += rng.normal(0, 0.15, n_objects)
        pos[:, :2] += (speed / fps)[:, None] * np.column_stack([np.cos(heading), np.sin(heading)])
        for axis in (0, 1):
            out = (pos[:, axis] < 0.3) | (pos[:, axis] > room - 0.3)
            heading[out] = np.pi - heading[out] if axis == 0 else -heading[out]
            pos[:, axis] = np.clip(pos[:, axis], 0.3, room - 0.3)
    return Scene3D(frames, truth, occlusion_events(~hidden), fps)
