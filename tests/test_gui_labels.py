"""Class labels in the window: the overlay hides classes and colours by class, the legend, the tracks table and
lanes follow it, narration names labelled tracks; the detector chooser comes from the registry; the stats panel
shows the adaptive quality level and never NaN; the session log records labels and reports only changed rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QCoreApplication, QSettings, Qt  # noqa: E402

from app.class_legend import ClassLegend  # noqa: E402
from app.main_window import MainWindow  # noqa: E402
from app.overlay import OverlayLayers, class_colors, compose  # noqa: E402
from app.pipeline_panel import PipelinePanel, available_detectors  # noqa: E402
from app.session_log import SessionLog  # noqa: E402
from app.stats_panel import StatsPanel  # noqa: E402
from perception.pipeline.factory import PipelineOptions  # noqa: E402
from perception.pipeline.load import LEVELS, QualityGovernor  # noqa: E402
from perception.pipeline.runner import Pipeline  # noqa: E402
from perception.sources import MemorySource, open_source  # noqa: E402
from perception.types import FramePacket, FrameResult, SourceInfo, Tracks  # noqa: E402

pytestmark = pytest.mark.gui
QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
WAIT_MS = 120_000
INFO = SourceInfo("t", "memory", 10.0, 320, 120, length=3)
BOXES = np.array([[10, 20, 60, 100], [130, 20, 190, 100], [230, 30, 260, 90]], float)
LABELS = np.array(["person", "car", "person"], dtype=object)


def _labelled(index: int = 0) -> FrameResult:
    packet = FramePacket(index, index / 10, np.full((120, 320, 3), 100, np.uint8), INFO)
    return FrameResult(packet, tracks=Tracks(BOXES, np.array([1, 2, 3]), labels=LABELS))


class _LabelledTracks:
    """Stands in for detector + tracker: three labelled tracks on every frame."""

    name = "tracker"

    def process(self, result):
        result.tracks = Tracks(BOXES, np.array([1, 2, 3]), labels=LABELS)
        return result

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_overlay_hides_classes_and_colours_by_class():
    r = _labelled()
    shown = compose(r, OverlayLayers(trails=False))
    car = (slice(0, 102), slice(128, 192))
    assert not np.array_equal(shown[car], r.packet.image[car])
    hidden = compose(r, OverlayLayers(trails=False, hidden=frozenset({"car"})))
    assert np.array_equal(hidden[car], r.packet.image[car])  # the car is gone
    assert np.array_equal(hidden[:, :120], shown[:, :120]) and not np.array_equal(shown[:, :120], r.packet.image[:, :120])
    by_class = compose(r, OverlayLayers(trails=False, ids=False, by_class=True))
    person = class_colors(np.array(["person"], dtype=object))[0]
    assert np.array_equal(by_class[60, 10], person) and np.array_equal(by_class[60, 230], person)
    assert not np.array_equal(class_colors(np.array(["car"], dtype=object))[0], person)


def test_legend_lists_classes_and_reports_hidden_ones(qtbot):
    legend = ClassLegend()
    qtbot.addWidget(legend)
    legend.set_counts({"object": 4})
    assert not legend.isVisibleTo(None) and "object" in legend.boxes  # class-agnostic: nothing to tell apart
    legend.set_counts({"person": 3, "car": 1})
    assert legend.boxes["person"].text() == "person (3)" and legend.boxes["car"].text() == "car (1)"
    with qtbot.waitSignal(legend.hidden_changed) as sig:
        legend.boxes["car"].setChecked(False)
    assert sig.args == [frozenset({"car"})] and legend.hidden() == {"car"}
    with qtbot.waitSignal(legend.hidden_changed) as sig:
        legend.reset()
    assert sig.args == [frozenset()] and not legend.boxes


def test_session_log_keeps_labels_and_reports_changed_rows():
    log = SessionLog()
    log.add(_labelled(0))
    v = log.version
    assert log.labels() == {"person": 2, "car": 1}
    assert {(e.id, e.label) for e in log.entries()} == {(1, "person"), (2, "car"), (3, "person")}
    assert log.entries(changed_after=v) == []
    r = _labelled(1)
    r.tracks = Tracks(BOXES[:1], np.array([1]), labels=LABELS[:1])
    log.add(r)
    assert [(e.id, e.last) for e in log.entries(changed_after=v)] == [(1, 1)]
    generation = log.generation
    log.reset()
    assert log.generation == generation + 1 and log.entries() == [] and log.track_rows == 0


def test_detector_choices_come_from_the_registry(qtbot, monkeypatch, tmp_path):
    import perception.detection as detection

    monkeypatch.setitem(detection.DETECTORS, "stillness", "perception.detection.motion:MotionDetector")
    names = available_detectors()
    assert names[:2] == ["auto", "none"] and {"motion", "stillness", "onnx:", "file:"} <= set(names)
    assert any(n.startswith("torchvision:") for n in names)
    panel = PipelinePanel()
    qtbot.addWidget(panel)
    assert panel.detector.findText("stillness") >= 0
    panel.set_detector_file("file", str(tmp_path / "det.txt"))
    panel.classes.setText("person, car")
    opts = panel.options()
    assert opts.detector == f"file:{tmp_path / 'det.txt'}" and opts.detector_options == {"classes": ["person", "car"]}
    panel.set_options(PipelineOptions(detector="motion"))
    assert panel.options().detector == "motion" and not panel.detector_path_row.isVisibleTo(panel)
    panel.set_options(opts)
    assert panel.options().detector == opts.detector and panel.classes.text() == "person, car"
    panel.detector.setCurrentText("torchvision:fasterrcnn_mobilenet_v3_large_fpn")
    assert panel.options().detector_options["allow_download"] is False  # Apply never downloads silently


def test_stats_show_the_quality_level_and_never_nan(qtbot):
    stats = StatsPanel()
    qtbot.addWidget(stats)
    stats.add(0, 1.0, {"segment": 5.0}, 0, 0, None)
    text = stats.summary_text()
    assert "every frame in full" in text and "nan" not in text.lower()
    gov = QualityGovernor(budget_ms=10.0, patience=2)
    for _ in range(4):
        gov.observe(50.0)
    assert gov.level >= 1
    stats.add(1, 1.0, {"map3d": 40.0}, 2, 1, (gov.level, gov.current.description))  # same time: no FPS sample
    text = stats.summary_text()
    assert gov.current.description in text and f"level {gov.level}" in text and "nan" not in text.lower()
    assert gov.current.description == LEVELS[gov.level].description
    stats.add(2, 1.1, {}, 0, 0, (0, LEVELS[0].description))
    assert "quality: full" in stats.summary_text() and "nan" not in stats.summary_text().lower()


def test_stats_count_the_keyframes_the_map_fused(qtbot):
    stats = StatsPanel()
    qtbot.addWidget(stats)
    stats.add(0, 1.0, {"segment": 5.0}, 0, 0)
    assert "keyframes" not in stats.summary_text()  # no 3D map: nothing to say
    stats.add(1, 1.1, {"map3d": 9.0}, 0, 0, None, {})
    stats.add(2, 1.2, {"map3d": 1.0}, 0, 0, None, {"map3d": "not a keyframe"})
    stats.add(3, 1.3, {"map3d": 8.0}, 0, 0, None, {})
    assert "keyframes 2 of 3" in stats.summary_text()
    stats.reset()
    stats.add(0, 2.0, {"map3d": 9.0}, 0, 0)
    assert "keyframes 1 of 1" in stats.summary_text()


def test_window_legend_hides_a_class_everywhere_and_narration_uses_labels(qtbot, tmp_path, artifacts_dir):
    def opener(spec):
        if spec.startswith("mem:"):
            return MemorySource([np.full((120, 320, 3), 90, np.uint8)] * int(spec[4:]), fps=10.0, name=spec)
        return open_source(spec)

    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                   pipeline_factory=lambda o, i: Pipeline([_LabelledTracks()]), source_opener=opener, use_opengl=False)
    qtbot.addWidget(w)
    w.transport.speed.setCurrentText("max")
    w.show()
    assert w.open_spec("mem:6", play=True)
    qtbot.waitUntil(lambda: w.controller.state == "ended", timeout=WAIT_MS)
    w._refresh_lanes()
    w.tracks_panel.refresh(force=True)
    assert set(w.legend.boxes) == {"person", "car"} and w.legend.isVisible()
    assert {ln.track_id for ln in w.timeline.lanes} == {1, 2, 3}
    w.docks["Tracks"].raise_()
    w.screenshot().save(str(artifacts_dir / "state_labels.png"))
    w.legend.boxes["car"].setChecked(False)
    car = (slice(0, 102), slice(128, 192))
    qtbot.waitUntil(lambda: w.last_view is not None
                    and np.array_equal(w.last_view.image[car], w.last_view.result.packet.image[car]), timeout=WAIT_MS)
    assert not np.array_equal(w.last_view.image[:, :120], w.last_view.result.packet.image[:, :120])
    assert {ln.track_id for ln in w.timeline.lanes} == {1, 3}
    table = w.tracks_panel.table
    hidden = {table.item(r, 0).text() for r in range(table.rowCount()) if table.isRowHidden(r)}
    assert hidden == {"T2"}
    w.screenshot().save(str(artifacts_dir / "state_labels_car_hidden.png"))
    from perception.memory.events import Event
    from perception.memory.narration import Narration

    w.digest.add(Narration(0.1, "raw", (Event(0.1, 1, "confirmed", track_id=3),)), w.track_labels)
    assert w.digest.flush(10.0).text == "Person #3 entered"
    w.close()


def test_pipeline_panel_says_which_detector_runs_and_offers_the_download(qtbot, tmp_path, monkeypatch, artifacts_dir):
    from perception.detection.torchvision_models import MODELS, WEIGHT_BASE

    monkeypatch.setenv("PERCEPTION_STUDIO_CACHE", str(tmp_path / "cache"))  # no weights cached
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), use_opengl=False,
                   source_opener=lambda spec: MemorySource([np.full((120, 160, 3), 90, np.uint8)] * 3, name=spec))
    qtbot.addWidget(w)
    w.controller.options = PipelineOptions(memory=False)
    w.show()
    assert w.open_spec("clip")
    panel = w.pipeline_panel
    assert w.controller.detector_name() == "people" and "Runs now: <b>people</b>" in panel.detector_note.text()
    assert panel.detector_download.isVisibleTo(panel)  # auto fell back to the weight-free people detector: pretrained weights are offered
    w.docks["Pipeline"].raise_()
    qtbot.wait(50)
    w.screenshot().save(str(artifacts_dir / "state_pipeline_panel.png"))
    model = next(iter(MODELS))
    panel.detector_download_requested.disconnect()  # no real download here: the URL and destination are checked
    with qtbot.waitSignal(panel.detector_download_requested) as sig:
        panel.detector_download.click()
    assert sig.args[0] == WEIGHT_BASE + MODELS[model]
    assert Path(sig.args[1]) == tmp_path / "cache" / "torchvision" / MODELS[model]
    fake = tmp_path / MODELS[model]
    fake.write_bytes(b"not the weights" * 1000)
    with qtbot.waitSignal(w.download_finished, timeout=WAIT_MS) as done:
        w.download_weights(fake.as_uri(), sig.args[1], purpose="detector")
    assert "checksum" in done.args[1] and w.messages[-1][0] == "Download failed"
    assert not Path(sig.args[1]).exists()
    panel.detector.setCurrentText("none")
    assert w.apply_options(panel.options()) and w.controller.detector_name() is None
    assert "No detector runs" in panel.detector_note.text()
    w.close()
