"""`eval3d`: class-agnostic 3D instance AP25/AP50 and ID stability of the map on a scene with ground truth."""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path

from perception.commands.common import check_outputs
from perception.commands.validate import float_in, frame_count, int_in
from perception.io.atomic import atomic_write_text
from perception.types import InputError

MAX_RENDER_FRAMES = 2000  # a synthetic scene is rendered whole into the cache before evaluation


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `eval3d` command."""
    p = sub.add_parser("eval3d", help="3D instance AP25/AP50 of the map against a synthetic scene's ground truth")
    p.add_argument("--scene", required=True,
                   help="synthetic:SEED (rendered once into the cache) or an RGB-D folder with instance/N.png")
    p.add_argument("--segmenter", default="geometric", help="segmenter name (geometric, rgb, sam)")
    p.add_argument("--frames", type=int_in(1, MAX_RENDER_FRAMES), default=60,
                   help=f"frames to render for synthetic:SEED (default 60, at most {MAX_RENDER_FRAMES})")
    p.add_argument("--heavy-occlusion", action="store_true", help="synthetic scene with pillars and more clutter")
    p.add_argument("--static", action="store_true", help="synthetic scene without moving objects")
    p.add_argument("--odometry", action="store_true", help="estimate camera poses instead of using the given ones")
    p.add_argument("--voxel", type=float_in(0.002, 1.0), default=0.025, help="map voxel size in metres (default 0.025)")
    p.add_argument("--max-frames", type=frame_count, metavar="N", help="evaluate only the first N frames")
    p.add_argument("--summary-json", metavar="PATH", help="write the metrics (ap25, ap50, ...) as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace an existing summary file")
    p.set_defaults(handler=eval3d_command)


def scene_folder(spec: str, frames: int, heavy_occlusion: bool, static: bool) -> Path:
    """The folder for ``spec``: a synthetic scene (rendered into the cache when missing) or a given path."""
    m = re.fullmatch(r"synthetic:(\d+)", spec.strip())
    if m is None:
        path = Path(spec).expanduser()
        if not (path / "instance").is_dir():
            raise InputError(f"scene '{spec}' is neither synthetic:SEED nor a folder with instance/ ground truth")
        return path
    from perception.paths import cache_dir
    from perception.synthetic.rgbd_scene import generate_rgbd_scene

    if not 1 <= frames <= MAX_RENDER_FRAMES:
        raise InputError(f"--frames must be from 1 to {MAX_RENDER_FRAMES}, got {frames}")
    seed = int(m.group(1))
    name = f"room-seed{seed}-n{frames}{'-occluded' if heavy_occlusion else ''}{'-static' if static else ''}"
    folder = cache_dir("synthetic") / name
    if not (folder / "gt_instances.json").is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        print(f"rendering {spec} into {folder} ...")
        generate_rgbd_scene(folder, seed=seed, n_frames=frames, moving=not static, heavy_occlusion=heavy_occlusion,
                            overwrite=True)
    return folder


def eval3d_command(args: argparse.Namespace) -> int:
    """Evaluate, print the metrics, optionally write them as JSON."""
    from perception.map3d.evaluate import evaluate_rgbd_folder
    from perception.segmentation import build_segmenter

    check_outputs({"--summary-json": args.summary_json}, inputs=[args.scene], overwrite=args.overwrite)
    folder = scene_folder(args.scene, args.frames, args.heavy_occlusion, args.static)
    segmenter = build_segmenter(args.segmenter, keyframe_every=0)
    if segmenter is None:
        raise InputError("eval3d needs a segmenter (not 'none')")
    metrics = evaluate_rgbd_folder(folder, segmenter, use_odometry=args.odometry, max_frames=args.max_frames,
                                   voxel=args.voxel)
    metrics.update({"scene": args.scene, "folder": str(folder), "segmenter": args.segmenter})
    print(f"scene {args.scene} ({metrics['frames']} frames, segmenter {args.segmenter})")
    print(f"  AP25 {metrics['ap25']:.3f}   AP50 {metrics['ap50']:.3f}   "
          f"GT instances {metrics['gt_instances']}   predicted {metrics['pred_instances']}")
    print(f"  ID changes per object {metrics['id_changes_per_object']:.2f} (all surfaces), "
          f"{metrics['id_changes_per_thing']:.2f} (objects without floor/walls/ceiling)")
    print(f"  segment {metrics['segment_ms']:.1f} ms/frame   map {metrics['map_ms']:.1f} ms/frame")
    if "ate_rmse_m" in metrics:
        print(f"  odometry ATE RMSE {100 * metrics['ate_rmse_m']:.2f} cm")
    if args.summary_json:
        clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()}
        atomic_write_text(args.summary_json, json.dumps(clean, indent=2) + "\n")
    return 0
