"""Generate a synthetic walkers sequence on disk as a MOTChallenge folder with exact ground truth.

Layout: ``seqinfo.ini``, ``img1/000001.jpg``, ``gt/gt.txt`` (visible boxes = bounding boxes of the
masks, for walkers at least ``min_visibility`` visible), ``gt/amodal.txt`` (full boxes, conf column =
visible fraction), ``gt/masks/000001.png`` (uint16 visible instance ids), ``gt/walkers.json`` and
``det/det.txt`` (simulated detector: jitter, misses that grow with occlusion, false positives).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

from perception.io.mot import format_mot_rows
from perception.synthetic.folder import atomic_folder
from perception.synthetic.walkers import Walker, WalkersConfig, make_walkers, render_walkers
from perception.types import InputError

VERSION = 1  # bump whenever the same arguments would produce different files (cache folder names carry it)


def sequence_name(seed: int = 0, n_frames: int = 150, width: int = 640, height: int = 480, n_walkers: int = 12,
                  n_pillars: int = 2) -> str:
    """Cache folder name of a walkers sequence: every parameter that changes the files, plus the format version."""
    return f"walkers-s{seed}-{width}x{height}-f{n_frames}-w{n_walkers}-p{n_pillars}-v{VERSION}"


def _visible_rows(ids: np.ndarray, walkers: dict[int, Walker], min_visibility: float
                  ) -> tuple[list[int], list[tuple[float, float, float, float]], list[float]]:
    """(ids, xywh of the mask bounding box, visible fraction) of the walkers visible enough in one id map."""
    out_ids, boxes, vis = [], [], []
    found = np.unique(ids)
    for i in found[found > 0].tolist():
        ys, xs = np.nonzero(ids == i)
        v = len(xs) / float(walkers[i].mask.sum())
        if v >= min_visibility:
            x0, y0 = int(xs.min()), int(ys.min())
            out_ids.append(i)
            boxes.append((x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1))
            vis.append(v)
    return out_ids, boxes, vis


def _simulate_detections(rng: np.random.Generator, cfg: WalkersConfig, boxes: list, vis: list) -> list[tuple]:
    """Detector rows (xywh, score) for one frame: missed more often and scored lower when occluded."""
    rows = []
    for (x, y, w, h), v in zip(boxes, vis):
        noise = rng.normal(size=5)
        if rng.uniform() >= 0.97 * np.clip((v - 0.1) / 0.4, 0.0, 1.0):
            continue
        cx, cy = x + w / 2 + 0.04 * w * noise[0], y + h / 2 + 0.03 * h * noise[1]
        dw, dh = w * np.exp(0.06 * noise[2]), h * np.exp(0.05 * noise[3])
        rows.append((cx - dw / 2, cy - dh / 2, dw, dh, float(np.clip(0.3 + 0.65 * v + 0.06 * noise[4], 0.01, 1.0))))
    scale = cfg.height / 480
    for _ in range(rng.poisson(0.3)):
        h = rng.uniform(60, 170) * scale
        w = h * rng.uniform(0.3, 0.5)
        x, y = rng.uniform(0, cfg.width - w), rng.uniform(0, cfg.height - h)
        rows.append((x, y, w, h, float(rng.uniform(0.02, 0.5))))
    return rows


def _table(rows: list[tuple]) -> str:
    """MOT text of (frame, id, x, y, w, h, conf) rows, sorted by frame then id (stable for det's -1 ids)."""
    if not rows:
        return ""
    a = np.asarray(rows, dtype=np.float64).reshape(-1, 7)
    a = a[np.lexsort((a[:, 1], a[:, 0]))]
    return format_mot_rows(a[:, 0], a[:, 1], a[:, 2:6], a[:, 6])


def generate_mot_sequence(out_dir: str | os.PathLike[str], seed: int = 0, n_frames: int = 150, width: int = 640,
                          height: int = 480, n_walkers: int = 12, n_pillars: int = 2, fps: float = 25.0,
                          min_visibility: float = 0.1, overwrite: bool = False) -> Path:
    """Render a walkers sequence into ``out_dir`` (created atomically) and return it; same arguments, same files."""
    cfg = WalkersConfig(seed=seed, n_frames=n_frames, width=width, height=height, n_walkers=n_walkers,
                        n_pillars=n_pillars, fps=fps)
    if n_frames < 1 or n_walkers < 0 or n_pillars < 0 or not (64 <= width <= 4096 and 64 <= height <= 4096):
        raise InputError(f"walkers need n_frames >= 1, n_walkers >= 0, n_pillars >= 0 and a 64..4096 pixel image, "
                         f"got {n_frames} frames, {n_walkers} walkers, {n_pillars} pillars, {width}x{height}")
    walkers, pillars, background = make_walkers(cfg)
    by_id = {wk.id: wk for wk in walkers}
    det_rng = np.random.default_rng([seed, 2])
    gt_rows, amodal_rows, det_rows = [], [], []
    seen: dict[int, list[int]] = {}
    with atomic_folder(out_dir, overwrite=overwrite) as tmp:
        for sub in ("img1", "gt/masks", "det"):
            (tmp / sub).mkdir(parents=True)
        for f in range(n_frames):
            img, ids, amodal = render_walkers(walkers, pillars, background, f)
            name = f"{f + 1:06d}"
            if not cv2.imwrite(str(tmp / "img1" / f"{name}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 92]) or \
                    not cv2.imwrite(str(tmp / "gt" / "masks" / f"{name}.png"), ids):
                raise OSError(f"cannot write frame {name} into {tmp}")
            vis_ids, boxes, vis = _visible_rows(ids, by_id, min_visibility)
            gt_rows += [(f + 1, i, *b, 1.0) for i, b in zip(vis_ids, boxes)]
            pixels = np.bincount(ids.ravel(), minlength=len(walkers) + 1)
            for i, (x0, y0, x1, y1) in amodal.items():
                if x1 > 0 and x0 < width and y1 > 0 and y0 < height:
                    amodal_rows.append((f + 1, i, x0, y0, x1 - x0, y1 - y0, pixels[i] / float(by_id[i].mask.sum())))
            for i in vis_ids:
                seen.setdefault(i, []).append(f + 1)
            det_rows += [(f + 1, -1, *r) for r in _simulate_detections(det_rng, cfg, boxes, vis)]
        (tmp / "gt" / "gt.txt").write_text(_table(gt_rows), encoding="utf-8")
        (tmp / "gt" / "amodal.txt").write_text(_table(amodal_rows), encoding="utf-8")
        (tmp / "det" / "det.txt").write_text(_table(det_rows), encoding="utf-8")
        meta = {"config": asdict(cfg), "min_visibility": min_visibility, "pillars": pillars,
                "walkers": [{"id": wk.id, "color_bgr": list(wk.color), "pattern": wk.pattern,
                             "size": list(wk.size), "frames_visible": len(seen.get(wk.id, [])),
                             "first_frame": min(seen.get(wk.id, [0])), "last_frame": max(seen.get(wk.id, [0]))}
                            for wk in walkers]}
        (tmp / "gt" / "walkers.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        (tmp / "seqinfo.ini").write_text(
            f"[Sequence]\nname={Path(out_dir).name}\nimDir=img1\nframeRate={fps:g}\nseqLength={n_frames}\n"
            f"imWidth={width}\nimHeight={height}\nimExt=.jpg\n", encoding="utf-8")
    return Path(out_dir)
