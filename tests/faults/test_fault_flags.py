"""Every CLI flag given a malformed value ends in one `error:` line with exit 1 or 2, never a traceback;
numeric flags are refused at parse time; odd but possible files give one clear line."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from perception.cli import build_parser

BAD_VALUES = ["nan", "-1", "1e999", "\x1b[2Jx", ""]
# each command with required inputs that do not exist, so a value that parses ends quickly with an error
BASES = {"run": ["--source", "/nonexistent/clip.avi"], "track": ["--mot-seq", "/nonexistent", "--out", "/tmp/x.txt"],
         "batch": ["--inputs", "/nonexistent/*.mp4", "--out", "/nonexistent-out"],
         "evaluate": ["--gt", "/nonexistent", "--tracks", "/nonexistent.txt"], "eval3d": ["--scene", "/nonexistent"]}


def _flags() -> list[tuple[str, str]]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return [(cmd, action.option_strings[-1]) for cmd, parser in sub.choices.items() for action in parser._actions
            if action.option_strings and action.nargs != 0 and not isinstance(action, argparse._HelpAction)]


@pytest.mark.parametrize("command, flag", _flags())
def test_every_flag_with_malformed_values_is_one_error_line(cli, command, flag):
    for value in BAD_VALUES:
        base = [a for a in BASES[command]]
        if flag in base:
            i = base.index(flag)
            del base[i:i + 2]
        r = cli(command, *base, flag, value)
        assert r.code in (1, 2), (flag, value, r.code)
        r.error  # exactly one line, starting with "error: "
        assert "\x1b" not in r.err[0]


@pytest.mark.parametrize("argv", [
    ["run", "--max-frames", "-5"], ["run", "--max-frames", "0"], ["run", "--realtime", "0"],
    ["run", "--answer-timeout", "nan"], ["run", "--answer-timeout", "inf"], ["run", "--answer-timeout", "-3"],
    ["eval3d", "--scene", "synthetic:0", "--frames", "1000000"], ["eval3d", "--scene", "synthetic:0", "--voxel", "0"],
    ["eval3d", "--scene", "synthetic:0", "--voxel", "nan"], ["batch", "--inputs", "x", "--out", "o", "--workers", "0"],
    ["batch", "--inputs", "x", "--out", "o", "--cpus-per-task", "inf"],
])
def test_numeric_nonsense_is_refused_at_parse_time(cli, argv):
    r = cli(*argv)
    assert r.code == 2 and "argument --" in r.error


@pytest.mark.parametrize("length", [50_000_000, 2_000_000_000])
def test_a_huge_seqlength_without_images_stops_at_the_last_detection_or_is_refused(cli, tmp_path, length):
    seq = tmp_path / "seq"
    (seq / "det").mkdir(parents=True)
    (seq / "seqinfo.ini").write_text(f"[Sequence]\nname=s\nframeRate=10\nseqLength={length}\nimWidth=64\nimHeight=48\n")
    (seq / "det" / "det.txt").write_text("".join(f"{f},-1,5,5,10,10,1,-1,-1,-1\n" for f in range(1, 6)))
    r = cli("track", "--mot-seq", seq, "--out", tmp_path / "t.txt", "--tracker", "iou", "-q")
    if length > 10**8:
        assert r.code == 2 and "seqLength" in r.error
    else:
        assert r.code == 0 and "frames: 5 " in r.out


@pytest.mark.parametrize("ini", [
    b"[Sequence]\nname=s%\nframeRate=nan\nseqLength=3\nimWidth=64\nimHeight=48\n",
    b"[Sequence]\nname=s\nframeRate=10\nseqLength=3\nimWidth=99999999\nimHeight=48\n",
    "[Sequence]\nname=caf\xe9\nframeRate=10\n".encode("latin-1"),
    b"[Sequence]\nframeRate=10\nframeRate=11\n",
])
def test_odd_seqinfo_files_are_one_error_line(cli, tmp_path, ini):
    seq = tmp_path / "seq"
    (seq / "det").mkdir(parents=True)
    (seq / "seqinfo.ini").write_bytes(ini)
    (seq / "det" / "det.txt").write_text("1,-1,5,5,10,10,1,-1,-1,-1\n")
    r = cli("track", "--mot-seq", seq, "--out", tmp_path / "t.txt", "-q")
    assert r.code == 2 and "seqinfo.ini" in r.error


def test_a_reflected_pose_is_refused():
    from perception.types import InputError, validate_pose

    pose = np.diag([1.0, 1.0, -1.0, 1.0])
    with pytest.raises(InputError, match="reflection"):
        validate_pose(pose)


def _tum(folder, gt_line: str, stamps=("1.000000", "1.033000")):
    import cv2

    folder.mkdir()
    for name in ("rgb", "depth"):
        (folder / name).mkdir()
        lines = []
        for k, t in enumerate(stamps):
            img = np.zeros((48, 64, 3), np.uint8) if name == "rgb" else np.full((48, 64), 5000, np.uint16)
            cv2.imwrite(str(folder / name / f"{k}.png"), img)
            lines.append(f"{t} {name}/{k}.png")
        (folder / f"{name}.txt").write_text("\n".join(lines) + "\n")
    (folder / "groundtruth.txt").write_text(gt_line)


@pytest.mark.parametrize("gt, stamps, message", [
    ("1.0 0 0 0 0 0 0 0\n", ("1.000000", "1.033000"), "quaternion"),
    ("1.0 0 0 0 0 0 0 1\n", ("nan", "1.033000"), "not finite"),
    ("1.0 0 0 0 0 0 0 1\n", ("1.000000", "1.000000"), "must increase"),
])
def test_odd_tum_folders_are_one_error_line(cli, tmp_path, gt, stamps, message):
    _tum(tmp_path / "tum", gt, stamps)
    r = cli("run", "--source", tmp_path / "tum", "--no-memory", "-q")
    assert r.code == 2 and message in r.error


def test_absurd_boxes_never_become_nan_rows(cli, tmp_path):
    seq = tmp_path / "seq"
    (seq / "det").mkdir(parents=True)
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=s\nframeRate=10\nseqLength=3\nimWidth=64\nimHeight=48\n")
    (seq / "det" / "det.txt").write_text("1,-1,1e300,5,1e300,10,1,-1,-1,-1\n" + "".join(
        f"{f},-1,5,5,10,10,1,-1,-1,-1\n" for f in (1, 2, 3)))
    r = cli("track", "--mot-seq", seq, "--out", tmp_path / "t.txt", "--tracker", "iou", "-q")
    assert r.code == 0 and "nan" not in (tmp_path / "t.txt").read_text().lower()
