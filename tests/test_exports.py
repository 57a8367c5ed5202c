"""Track exports: MOT/JSON/CSV round trips, RLE masks, atomic writes that never leave half files."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from perception.io.atomic import ExportError, ExportExistsError, atomic_open, check_export_path
from perception.io.exports import TrackRecorder, format_for, rle_decode, rle_encode
from perception.io.mot import read_mot
from perception.types import FramePacket, FrameResult, InputError, SourceInfo, Tracks

INFO = SourceInfo("t", "test", 10.0, 32, 24, 3)


def _result(i: int, ids, boxes, masks=None) -> FrameResult:
    r = FrameResult(FramePacket(i, i / 10, np.zeros((24, 32, 3), np.uint8), INFO))
    r.tracks = Tracks(np.array(boxes, float), np.array(ids), scores=np.full(len(ids), 0.75), masks=masks,
                      class_ids=np.array(ids) * 2, labels=["person" if k == 1 else "car" for k in ids])
    return r


def _recorder(with_masks: bool = False) -> TrackRecorder:
    rec = TrackRecorder()
    rng = np.random.default_rng(0)
    for i in range(3):
        masks = rng.random((2, 24, 32)) > 0.5 if with_masks else None
        rec.add(_result(i, [1, 2], [[1 + i, 2, 11 + i, 12], [5, 5, 20.5, 22]], masks))
    return rec


def test_rle_round_trip_including_masks_that_start_with_ones():
    rng = np.random.default_rng(1)
    for m in [rng.random((7, 5)) > 0.5, np.ones((3, 4), bool), np.zeros((2, 2), bool)]:
        m[0, 0] = True
        assert np.array_equal(rle_decode(rle_encode(m)), m)


def test_mot_export_is_one_based_and_reads_back(tmp_path):
    path = _recorder().write(tmp_path / "t.txt")
    table = read_mot(path)
    assert table.frames.tolist() == [1, 1, 2, 2, 3, 3]
    assert table.ids.tolist() == [1, 2, 1, 2, 1, 2]
    assert np.allclose(table.xywh[0], [1, 2, 10, 10]) and np.allclose(table.xywh[1], [5, 5, 15.5, 17])
    assert path.read_text().splitlines()[0] == "1,1,1.00,2.00,10.00,10.00,0.7500,-1,-1,-1"


def test_json_export_carries_rle_masks(tmp_path):
    rec = _recorder(with_masks=True)
    doc = json.loads(rec.write(tmp_path / "t.json").read_text())
    first = doc["frames"][0]["tracks"][0]
    assert doc["frame_base"] == 1 and first["id"] == 1 and first["bbox_xyxy"] == [1.0, 2.0, 11.0, 12.0]
    assert rle_decode(first["mask"]).shape == (24, 32)
    assert (first["label"], first["class_id"]) == ("person", 2)
    assert (doc["frames"][0]["tracks"][1]["label"], doc["frames"][0]["tracks"][1]["class_id"]) == ("car", 4)


def test_csv_export_has_header_and_rows(tmp_path):
    rows = list(csv.reader(open(_recorder().write(tmp_path / "t.csv"))))
    assert rows[0] == ["frame", "id", "x", "y", "width", "height", "score", "class_id", "label"] and len(rows) == 7
    assert rows[1][-2:] == ["2", "person"] and rows[2][-2:] == ["4", "car"]


def test_format_from_extension_and_errors():
    assert format_for("a.txt") == "mot" and format_for("a.bin", "json") == "json"
    with pytest.raises(InputError, match="format"):
        format_for("a.bin")


def test_failed_write_keeps_the_previous_file_intact(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("previous\n")
    with pytest.raises(ExportError, match="No space left on device"):
        with atomic_open(target) as f:
            f.write("half")
            raise OSError("No space left on device")
    assert target.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_export_path_checks(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        check_export_path(tmp_path / "missing" / "t.txt")
    (tmp_path / "t.txt").write_text("x")
    with pytest.raises(ExportExistsError, match="--overwrite"):
        check_export_path(tmp_path / "t.txt", overwrite=False)
