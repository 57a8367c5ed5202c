"""The bundled pedestrian network: it loads and finds real people, how its people join the weight-free ones, and
the people detector without it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import perception.detection.person_net as person_net
from perception.detection.hog import box_iou
from perception.detection.people import PeopleDetector
from perception.detection.person_net import PersonNet, adopt_network_people
from perception.types import Detections, FramePacket, InputError, SourceInfo


def _gt(seq: Path, frame: int) -> np.ndarray:
    g = np.loadtxt(seq / "gt" / "gt.txt", delimiter=",")
    g = g[g[:, 0] == frame]
    return np.c_[g[:, 2:4], g[:, 2:4] + g[:, 4:6]]


def _packet(i: int, image: np.ndarray, fps: float = 25.0) -> FramePacket:
    h, w = image.shape[:2]
    return FramePacket(i, i / fps, np.ascontiguousarray(image), SourceInfo("test", "images", fps, w, h))


def _found(boxes: list[list[float]], scores: list[float], ids: list[int]) -> Detections:
    names = np.array(["person", "object"], dtype=object)[ids]
    return Detections(np.array(boxes, float).reshape(-1, 4), np.array(scores, float), np.array(ids), labels=names)


def test_the_bundled_network_finds_the_people_of_a_first_frame(shared_data: Path) -> None:
    """TUD-Campus frame 1: six people in view before anything has moved (the motion detector sees none of them)."""
    seq = shared_data / "mot" / "TUD-Campus"
    image = cv2.imread(str(seq / "img1" / "000001.jpg"))
    gt = _gt(seq, 1)
    boxes, scores = PersonNet().find(image)
    assert np.all(scores >= 0.3) and np.all(boxes[:, 2:] > boxes[:, :2])
    assert (box_iou(gt, boxes).max(axis=1, initial=0) >= 0.5).sum() >= 4  # 6 of 6 measured (two share a box)
    assert (box_iou(boxes, gt).max(axis=1, initial=0) >= 0.5).all()  # 5 boxes, all on people


def test_a_grey_frame_reads_as_well_as_a_colour_one(shared_data: Path) -> None:
    image = cv2.imread(str(shared_data / "mot" / "TUD-Campus" / "img1" / "000001.jpg"))
    colour, _ = PersonNet().find(image)
    grey, _ = PersonNet().find(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    assert abs(len(grey) - len(colour)) <= 1 and len(grey) >= 3


def test_a_missing_or_foreign_model_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        PersonNet(tmp_path / "nope.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(InputError, match="cannot load"):
        PersonNet(junk)
    with pytest.raises(InputError, match="not found"):
        PeopleDetector(network=str(tmp_path / "nope.onnx"))


def test_a_matched_box_takes_the_network_box_and_class() -> None:
    found = _found([[100, 100, 140, 170], [300, 50, 330, 120]], [0.4, 0.9], [1, 0])
    boxes = np.array([[98, 95, 142, 190]], float)  # the whole person where the blob stopped at the knees
    out = adopt_network_people(found, boxes, np.array([0.8]), 0, "person", min_height=50)
    assert len(out) == 2
    np.testing.assert_allclose(out.xyxy[0], boxes[0])
    assert out.scores[0] == pytest.approx(0.8) and out.class_ids[0] == 0 and out.labels[0] == "person"
    np.testing.assert_allclose(out.xyxy[1], found.xyxy[1])  # not seen by the network: left as it was
    assert out.scores[1] == pytest.approx(0.9)


def test_a_new_person_is_added_and_a_small_one_is_not() -> None:
    found = _found([[100, 100, 140, 190]], [0.9], [0])
    boxes = np.array([[400, 100, 440, 200], [600, 100, 610, 120], [104, 102, 144, 192]], float)
    out = adopt_network_people(found, boxes, np.array([0.7, 0.95, 0.6]), 0, "person", min_height=50)
    assert len(out) == 2  # the 20-pixel one is below min_height; the third matches the found person
    np.testing.assert_allclose(out.xyxy[1], boxes[0])
    assert out.scores[1] == pytest.approx(0.7) and out.labels[1] == "person"
    assert out.scores[0] == pytest.approx(0.9)  # the higher score is kept


def test_one_network_person_never_redraws_two_boxes() -> None:
    found = _found([[100, 100, 140, 190], [102, 101, 142, 191]], [0.6, 0.5], [0, 0])
    boxes = np.array([[101, 100, 141, 190]], float)
    out = adopt_network_people(found, boxes, np.array([0.9]), 0, "person", min_height=50)
    assert len(out) == 2 and (np.all(out.xyxy == boxes[0], axis=1)).sum() == 1


def test_pieces_of_a_network_person_are_dropped() -> None:
    """Inside a person the network drew, a moving blob of the legs, one of a bag and a 'person' box of the upper
    body go; a moving object elsewhere and a person box inside it nearly as tall (someone behind) stay. Left in,
    such pieces carried tracks off on TUD-Campus, and on megamind.avi two ears counted as two more people."""
    found = _found([[100, 100, 140, 190], [105, 150, 135, 192], [126, 120, 144, 150], [104, 99, 138, 150],
                    [400, 300, 430, 330], [112, 104, 138, 170]], [0.9, 0.3, 0.25, 0.6, 0.3, 0.7], [0, 1, 1, 0, 1, 0])
    boxes = np.array([[98, 98, 142, 194]], float)
    out = adopt_network_people(found, boxes, np.array([0.9]), 0, "person", min_height=50)
    np.testing.assert_allclose(out.xyxy, np.r_[boxes, found.xyxy[4:]])
    assert list(out.labels) == ["person", "object", "person"]


def test_a_group_blob_gives_way_to_the_people_in_it() -> None:
    """A moving blob over two people walking side by side (PETS-S3-MF1 frame 5): the network's two people replace
    it; kept beside them it became a third track that lived 1.6 s and counted as one more person."""
    found = _found([[656, 271, 768, 408], [300, 280, 340, 380]], [0.5, 0.9], [1, 0])
    boxes = np.array([[658, 275, 693, 391], [733, 284, 762, 400]], float)
    out = adopt_network_people(found, boxes, np.array([0.8, 0.7]), 0, "person", min_height=50)
    assert len(out) == 3
    np.testing.assert_allclose(out.xyxy, np.r_[found.xyxy[1:], boxes])
    assert list(out.labels) == ["person"] * 3


def test_nothing_found_and_nothing_from_the_network() -> None:
    out = adopt_network_people(Detections.empty(), np.zeros((0, 4)), np.zeros(0), 0, "person", min_height=50)
    assert len(out) == 0
    out = adopt_network_people(Detections.empty(), np.array([[0, 0, 40, 90.0]]), np.array([0.5]), 0, "person", 50)
    assert len(out) == 1 and out.labels[0] == "person"


def test_without_the_file_the_people_detector_is_weight_free(monkeypatch, tmp_path: Path, shared_data: Path) -> None:
    monkeypatch.setattr(person_net, "BUNDLED", tmp_path / "missing.onnx")
    det, off = PeopleDetector(), PeopleDetector(network=False)
    assert det.net is None and det.motion.uncover_s is None and off.motion.uncover_s is None
    seq = shared_data / "mot" / "TUD-Campus"
    for i in range(3):
        image = cv2.imread(str(seq / "img1" / f"{i + 1:06d}.jpg"))
        a, b = det.detect(_packet(i, image)), off.detect(_packet(i, image))
        np.testing.assert_allclose(a.xyxy, b.xyxy)  # the motion and HOG detector, as without the network
    det.close()
    off.close()


def test_people_there_from_the_first_frame_are_found_at_once(shared_data: Path) -> None:
    """With the network the people of TUD-Campus frame 1 are reported on frame 1; motion and HOG alone report
    one of them there (the background model has seen nothing move yet)."""
    seq = shared_data / "mot" / "TUD-Campus"
    image = cv2.imread(str(seq / "img1" / "000001.jpg"))
    gt = _gt(seq, 1)
    with_net, without = PeopleDetector(), PeopleDetector(network=False)
    assert with_net.net is not None
    found, alone = with_net.detect(_packet(0, image)), without.detect(_packet(0, image))
    with_net.close()
    without.close()
    people = found.subset(found.labels == "person")
    hits = (box_iou(gt, people.xyxy).max(axis=1, initial=0) >= 0.5).sum()
    assert hits >= 4 and hits >= (box_iou(gt, alone.xyxy).max(axis=1, initial=0) >= 0.5).sum() + 3  # 6 and 1


def test_featureless_texture_is_nobody() -> None:
    """On blurred noise the network returns the whole frame at 0.30-0.36; a box over half the frame needs 0.6."""
    net = PersonNet()
    for seed in range(4):
        rng = np.random.default_rng(seed)
        scene = cv2.GaussianBlur(rng.integers(0, 255, (288, 384, 3)).astype(np.uint8), (5, 5), 0)
        assert len(net.find(scene)[0]) == 0


def test_people_while_the_camera_pans(shared_data: Path) -> None:
    """While the camera moves the motion detector reports nothing; the network still finds the people."""
    image = cv2.imread(str(shared_data / "mot" / "TUD-Campus" / "img1" / "000001.jpg"))
    with_net, without = PeopleDetector(), PeopleDetector(network=False)
    for i in range(25):
        frame = cv2.warpAffine(image, np.float32([[1, 0, 5 * i], [0, 1, 0]]), image.shape[1::-1])
        found, alone = with_net.detect(_packet(i, frame)), without.detect(_packet(i, frame))
    with_net.close()
    without.close()
    assert with_net.camera_moving and without.camera_moving
    assert len(alone) == 0 and len(found) >= 3 and set(found.labels) == {"person"}


def test_the_networks_people_keep_still_foreground_from_being_healed(shared_data: Path) -> None:
    """Every person the network finds (of any height) is handed to the motion step, where still foreground inside
    it stays foreground (a coat's flat middle as someone walks slowly through the first frames of TUD-Campus)."""
    image = cv2.imread(str(shared_data / "mot" / "TUD-Campus" / "img1" / "000001.jpg"))
    det = PeopleDetector(parallel=False)
    det.detect(_packet(0, image))
    det.close()
    expected = PersonNet().find(image)[0]
    assert len(expected) >= 4
    np.testing.assert_allclose(det.motion.people_seen, expected)
