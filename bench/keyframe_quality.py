"""Does fusing keyframes only cost 3D quality? The eval3d metrics with every frame fused and with keyframes only.

Runs the same evaluations as ``main.py eval3d`` (a synthetic room scored against its reference map, and RGB-D
folders scored on ground-truth points), once with the plain map stage and once with the pipeline's keyframe
stage (perception/pipeline/keyframes.py) in its place, and prints AP, instance counts and map time side by side.

Run: .venv/bin/python bench/keyframe_quality.py [--scene synthetic:0] [--sources DIR ...] [--max-gap N]
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perception.map3d.evaluate import evaluate_rgbd_folder  # noqa: E402
from perception.map3d.point_eval import evaluate_source  # noqa: E402
from perception.pipeline.keyframe_map import KeyframeMap3DStage  # noqa: E402
from perception.pipeline.keyframes import KeyframePolicy  # noqa: E402
from perception.segmentation import build_segmenter  # noqa: E402

DATA = Path(os.environ.get("PERCEPTION_DATA", ROOT.parent / "shared" / "data"))
KEYS = ("keyframes", "ap", "ap25", "ap50", "gt_instances", "pred_instances", "map_instances", "id_changes_per_object", "map_ms")


def evaluate(kind: str, spec: str, policy: KeyframePolicy | None) -> dict:
    """The eval3d metrics of ``spec``; with ``policy`` the map stage fuses keyframes only."""
    made: list[KeyframeMap3DStage] = []

    def stage(*args, **kwargs) -> KeyframeMap3DStage:
        made.append(KeyframeMap3DStage(*args, policy=policy, **kwargs))
        return made[-1]

    with mock.patch("perception.map3d.stage.Map3DStage", stage) if policy is not None else nullcontext():
        if kind == "scene":
            from perception.commands.eval3d import scene_folder

            out = evaluate_rgbd_folder(scene_folder(spec, 60, False, False, sensor=True), build_segmenter("geometric"),
                                       voxel=None)
        else:
            out = evaluate_source(spec, build_segmenter("geometric"))
    if made:
        out["keyframes"] = f"{made[0].keyframes}/{made[0].frames}"
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scene", default="synthetic:0")
    ap.add_argument("--sources", nargs="*", default=[str(DATA / "rgbd" / "ycbv-0000")])
    ap.add_argument("--max-gap", type=int, default=KeyframePolicy().max_gap)
    a = ap.parse_args()
    runs = [("scene", a.scene)] + [("source", s) for s in a.sources if Path(s).is_dir()]
    for kind, spec in runs:
        print(f"\n{spec}")
        for name, policy in (("every frame", None), ("keyframes", KeyframePolicy(max_gap=a.max_gap))):
            out = evaluate(kind, spec, policy)
            shown = "  ".join(f"{k} {out[k]:.3f}" if isinstance(out[k], float) else f"{k} {out[k]}"
                              for k in KEYS if k in out)
            print(f"  {name:<12} {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
