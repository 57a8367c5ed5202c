"""3D instance AP of the default weight-free map over many synthetic scenes (sensor model on) and the real
ycbv-0000 scan: AP25/AP50 per scene and their means, and AP/AP50/AP25 with each object's best IoU on ycbv-0000
and on the YCB-Video-like synthetic clusters (``--ycb``, with each object kind's mean best IoU over them).

Synthetic scenes use ``eval3d --scene`` scoring (map voxels against a reference map built from the instance
images); ycbv-0000 uses ``eval3d --source`` scoring (ScanNet-style on ground-truth points). Scenes are rendered
into the cache once.

Usage: python bench/map3d_ap.py [--rooms 1 2 3 4 5 7] [--tabletops 1 2 3 4 5 6 8 9] [--ycb 1 2 3] [--focal 525]
[--ycbv PATH] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

import numpy as np

from perception.commands.eval3d import scene_folder
from perception.map3d.evaluate import evaluate_rgbd_folder
from perception.map3d.instance_map import MapConfig
from perception.map3d.point_eval import evaluate_source
from perception.segmentation import build_segmenter

YCBV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "rgbd" / "ycbv-0000"


def synthetic(spec: str, frames: int, clean: bool, focal: float | None = None) -> dict:
    """eval3d --scene SPEC with the default segmenter and a scene-sized voxel; ``names`` maps GT ids to names."""
    folder = scene_folder(spec, frames, heavy_occlusion=False, static=False, sensor=not clean, focal=focal)
    m = evaluate_rgbd_folder(folder, build_segmenter("geometric", keyframe_every=0), voxel=None)
    records = json.loads((folder / "gt_instances.json").read_text())["instances"]
    return {**m, "names": {int(r["id"]): r["name"] for r in records}}


def kind(spec: str) -> str:
    """rooms, tabletops or ycb-like of a synthetic spec."""
    return {"tabletop": "tabletops", "ycb": "ycb-like"}.get(spec.split(":")[1], "rooms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rooms", type=int, nargs="*", default=[1, 2, 3, 4, 5, 7])
    ap.add_argument("--tabletops", type=int, nargs="*", default=[1, 2, 3, 4, 5, 6, 8, 9])
    ap.add_argument("--room-frames", type=int, default=60)
    ap.add_argument("--ycb", type=int, nargs="*", default=[], help="YCB-Video-like cluster seeds (synthetic:ycb:SEED)")
    ap.add_argument("--tabletop-frames", type=int, default=30)
    ap.add_argument("--ycb-frames", type=int, default=10)
    ap.add_argument("--focal", type=float, help="synthetic scenes' focal length in pixels (default 525)")
    ap.add_argument("--clean", action="store_true", help="perfect depth instead of the sensor model")
    ap.add_argument("--ycbv", default=os.environ.get("YCBV", str(YCBV)))
    ap.add_argument("--json", help="write every number printed here as JSON")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    rows: dict[str, dict] = {}
    specs = [(f"synthetic:{s}", args.room_frames) for s in args.rooms]
    specs += [(f"synthetic:tabletop:{s}", args.tabletop_frames) for s in args.tabletops]
    specs += [(f"synthetic:ycb:{s}", args.ycb_frames) for s in args.ycb]
    print(f"{'scene':26s} {'AP25':>6s} {'AP50':>6s} {'GT':>4s} {'pred':>5s} {'voxel':>6s} {'seg ms':>7s} {'map ms':>7s} {'AP':>6s}")
    for spec, n in specs:
        t0 = time.perf_counter()
        m = synthetic(spec, n, args.clean, args.focal)
        rows[spec] = {k: m[k] for k in ("ap", "ap25", "ap50", "gt_instances", "pred_instances", "voxel", "segment_ms",
                                        "map_ms", "best_iou", "names")}
        print(f"{spec:26s} {m['ap25']:6.3f} {m['ap50']:6.3f} {m['gt_instances']:4d} {m['pred_instances']:5d} "
              f"{100 * m['voxel']:4.1f}cm {m['segment_ms']:7.1f} {m['map_ms']:7.1f} {m['ap']:6.3f}   ({time.perf_counter() - t0:.0f} s)")
        if kind(spec) == "ycb-like":
            print("    best IoU " + ", ".join(f"{m['names'][g]}: {v:.2f}" for g, v in m["best_iou"].items() if g > 2))
    for name in ("rooms", "tabletops", "ycb-like"):
        sel = [r for s, r in rows.items() if kind(s) == name]
        if sel:
            print(f"mean {name:21s} {np.mean([r['ap25'] for r in sel]):6.3f} {np.mean([r['ap50'] for r in sel]):6.3f}"
                  f"   AP {np.mean([r['ap'] for r in sel]):6.3f}")
    per_name: dict[str, list[float]] = {}
    for s, r in rows.items():
        for g, v in r["best_iou"].items():
            if kind(s) == "ycb-like" and g > 2:
                per_name.setdefault(r["names"][g], []).append(v)
    if per_name:
        print("ycb-like mean best IoU: " + ", ".join(f"{n} {np.mean(v):.2f} (n={len(v)}, <0.5: {sum(x < 0.5 for x in v)})"
                                                 for n, v in sorted(per_name.items(), key=lambda kv: np.mean(kv[1]))))
    if rows:
        print(f"mean all synthetic         {np.mean([r['ap25'] for r in rows.values()]):6.3f} "
              f"{np.mean([r['ap50'] for r in rows.values()]):6.3f}   AP {np.mean([r['ap'] for r in rows.values()]):6.3f}")
    ycbv = Path(args.ycbv)
    if ycbv.is_dir():
        for name in ("geometric", f"masks:{ycbv / 'instance-filt'}"):
            m = evaluate_source(ycbv, build_segmenter(name, keyframe_every=0), map_config=MapConfig(auto_voxel=True))
            label = "ycbv-0000" if name == "geometric" else "ycbv-0000 GT masks"
            rows[label] = m
            print(f"{label}: AP {m['ap']:.3f}  AP50 {m['ap50']:.3f}  AP25 {m['ap25']:.3f}  predicted "
                  f"{m['pred_instances']}  best IoU " + ", ".join(f"{g}: {v:.3f}" for g, v in m["best_iou"].items()))
    else:
        print(f"ycbv-0000 not found at {ycbv}: skipped")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
