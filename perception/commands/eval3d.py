"""`eval3d`: class-agnostic 3D instance AP25/AP50 and ID stability of the map on a scene with ground truth.

``--scene`` compares map voxels with a reference map built from instance images (synthetic scenes);
``--source`` runs the online pipeline on any RGB-D folder and scores it ScanNet-style on ground-truth points.
"""

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
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--scene",
                      help="synthetic:SEED (a room), synthetic:tabletop:SEED (small objects on a table) or "
                           "synthetic:ycb:SEED (a YCB-Video-like cluster of touching objects seen at fx 1066), "
                           "rendered once into the cache, or an RGB-D folder with instance/N.png")
    what.add_argument("--source", metavar="FOLDER",
                      help="an RGB-D folder scored on ground-truth points (gt_points.npz or instance-filt/N.png)")
    p.add_argument("--gt", metavar="FILE",
                   help="with --source: ground-truth points (.npz: xyz, instance) or a folder of N.png label images")
    p.add_argument("--segmenter", default="geometric", help="segmenter name (geometric, rgb, sam, masks:DIR)")
    p.add_argument("--frames", type=int_in(1, MAX_RENDER_FRAMES), default=60,
                   help=f"frames to render for synthetic:SEED (default 60, at most {MAX_RENDER_FRAMES})")
    p.add_argument("--heavy-occlusion", action="store_true", help="synthetic scene with pillars and more clutter")
    p.add_argument("--static", action="store_true", help="synthetic scene without moving objects")
    p.add_argument("--clean", action="store_true",
                   help="synthetic scene with perfect depth (default: Kinect-like sensor model: noise, holes, "
                        "flying pixels, colour misregistration)")
    p.add_argument("--focal", type=float_in(100.0, 5000.0),
                   help="focal length in pixels at 640x480 of a synthetic scene (default 525: 63 degrees wide; 1066 for ycb)")
    p.add_argument("--odometry", action="store_true", help="estimate camera poses instead of using the given ones")
    p.add_argument("--voxel", type=float_in(0.002, 1.0),
                   help="map voxel size in metres (default: from the first frame's depth, 1-2.5 cm)")
    p.add_argument("--max-frames", type=frame_count, metavar="N", help="evaluate only the first N frames")
    p.add_argument("--summary-json", metavar="PATH", help="write the metrics (ap25, ap50, ...) as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --summary-json file")
    p.set_defaults(handler=eval3d_command)


def scene_folder(spec: str, frames: int, heavy_occlusion: bool, static: bool, sensor: bool = False,
                 focal: float | None = None) -> Path:
    """The folder for ``spec``: a synthetic scene (rendered into the cache when missing) or a given path.

    ``focal`` (pixels at 640x480; None: the layout's default, 1066 for ycb, else RoomConfig's) renders with another
    focal length, cached apart."""
    m = re.fullmatch(r"synthetic:(?:(tabletop|ycb):)?(\d+)", spec.strip())
    if m is None:
        path = Path(spec).expanduser()
        if not (path / "instance").is_dir():
            raise InputError(f"scene '{spec}' is neither synthetic:SEED nor a folder with instance/ ground truth")
        return path
    from perception.paths import cache_dir
    from perception.synthetic.rgbd_scene import focal_suffix, generate_rgbd_scene
    from perception.synthetic.room import DEFAULT_FOCAL
    from perception.synthetic.ycb_like import FOCAL as YCB_FOCAL

    if not 1 <= frames <= MAX_RENDER_FRAMES:
        raise InputError(f"--frames must be from 1 to {MAX_RENDER_FRAMES}, got {frames}")
    seed, layout = int(m.group(2)), m.group(1) or "room"
    focal = (YCB_FOCAL if layout == "ycb" else DEFAULT_FOCAL) if focal is None else focal
    name = (f"{layout}-seed{seed}-n{frames}{'-occluded' if heavy_occlusion else ''}"
            f"{'-static' if static else ''}{'-sensor' if sensor else ''}{focal_suffix(focal)}")
    folder = cache_dir("synthetic") / name
    if not (folder / "gt_instances.json").is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        print(f"rendering {spec} into {folder} ...")
        generate_rgbd_scene(folder, seed=seed, n_frames=frames, moving=not static, heavy_occlusion=heavy_occlusion,
                            overwrite=True, sensor=sensor, tabletop=layout == "tabletop", ycb=layout == "ycb",
                            n_objects={"tabletop": 8, "ycb": 9}.get(layout, 10), focal=focal)
    return folder


def eval3d_command(args: argparse.Namespace) -> int:
    """Evaluate, print the metrics, optionally write them as JSON."""
    from perception.map3d.evaluate import evaluate_rgbd_folder
    from perception.segmentation import build_segmenter

    check_outputs({"--summary-json": args.summary_json}, inputs=[args.scene or args.source], overwrite=args.overwrite)
    if args.source is not None:
        return _source_command(args)
    if args.gt is not None:
        raise InputError("--gt goes with --source")
    folder = scene_folder(args.scene, args.frames, args.heavy_occlusion, args.static, sensor=not args.clean,
                          focal=args.focal)
    segmenter = build_segmenter(args.segmenter, keyframe_every=0)
    if segmenter is None:
        raise InputError("eval3d needs a segmenter (not 'none')")
    metrics = evaluate_rgbd_folder(folder, segmenter, use_odometry=args.odometry, max_frames=args.max_frames,
                                   voxel=args.voxel)
    metrics.update({"scene": args.scene, "folder": str(folder), "segmenter": args.segmenter,
                    "sensor_model": not args.clean and args.scene.strip().startswith("synthetic:")})
    print(f"scene {args.scene} ({metrics['frames']} frames, segmenter {args.segmenter})")
    print(f"  AP25 {metrics['ap25']:.3f}   AP50 {metrics['ap50']:.3f}   "
          f"GT instances {metrics['gt_instances']}   predicted {metrics['pred_instances']}")
    print(f"  ID changes per object {metrics['id_changes_per_object']:.2f} (all surfaces), "
          f"{metrics['id_changes_per_thing']:.2f} (objects without floor/walls/ceiling)")
    print(f"  segment {metrics['segment_ms']:.1f} ms/frame   map {metrics['map_ms']:.1f} ms/frame")
    if "ate_rmse_m" in metrics:
        print(f"  odometry ATE RMSE {100 * metrics['ate_rmse_m']:.2f} cm")
    _write_json(args.summary_json, metrics)
    return 0


def _source_command(args: argparse.Namespace) -> int:
    """eval3d --source: ScanNet-style AP on ground-truth points of an RGB-D folder."""
    from perception.lifting import LiftConfig
    from perception.map3d.instance_map import MapConfig
    from perception.map3d.point_eval import evaluate_source
    from perception.segmentation import build_segmenter

    folder = Path(args.source).expanduser()
    if not folder.is_dir():
        raise InputError(f"--source '{args.source}' is not a folder")
    segmenter = build_segmenter(args.segmenter, keyframe_every=0)
    if segmenter is None:
        raise InputError("eval3d needs a segmenter (not 'none')")
    cfg = (MapConfig(auto_voxel=True) if args.voxel is None else MapConfig(lift=LiftConfig(voxel=args.voxel)))
    m = evaluate_source(folder, segmenter, gt=args.gt, map_config=cfg, max_frames=args.max_frames,
                        use_odometry=args.odometry)
    m.update({"source": str(folder), "segmenter": args.segmenter})
    print(f"source {folder} ({m['frames']} frames, segmenter {args.segmenter}, voxel {100 * m['voxel']:.1f} cm)")
    print(f"  AP {m['ap']:.3f}   AP50 {m['ap50']:.3f}   AP25 {m['ap25']:.3f}   "
          f"GT instances {m['gt_instances']}   predicted {m['pred_instances']}")
    print("  best IoU per object: " + ", ".join(f"{g}: {v:.3f}" for g, v in m["best_iou"].items()))
    print(f"  segment {m['segment_ms']:.1f} ms/frame   map {m['map_ms']:.1f} ms/frame")
    _write_json(args.summary_json, m)
    return 0


def _write_json(path: str | None, metrics: dict) -> None:
    if path:
        clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()}
        atomic_write_text(path, json.dumps(clean, indent=2) + "\n")
