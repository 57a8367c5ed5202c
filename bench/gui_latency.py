"""GUI responsiveness with the full weight-free pipeline on the synthetic RGB-D sample (640x480).

Measures, with the pipeline running in the worker: frame-arrival to on-screen latency, GUI-thread
busy time per displayed frame (every Qt event handled on the GUI thread is timed, not only the frame
handler), and the display rate. Targets: <= 8 ms GUI time per frame and >= 20 displayed FPS.

    .venv/bin/python bench/gui_latency.py [--seconds 20] [--speed 2] [--mode live|every]

Runs under a virtual X server (Xvfb via pyvirtualdisplay) when DISPLAY is unset.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _empty(options, info):
    """No stages: measures what the GUI costs by itself."""
    from perception.pipeline.runner import Pipeline

    return Pipeline([])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="how long to measure")
    ap.add_argument("--speed", type=float, default=2.0, help="playback speed (the sample is 15 fps: 2 offers 30 fps)")
    ap.add_argument("--mode", choices=("live", "every"), default="live",
                    help="live: stay live (newest frame wins); every: process every frame")
    ap.add_argument("--source", default="sample")
    ap.add_argument("--no-pipeline", action="store_true", help="baseline: no stages (the GUI's own cost alone)")
    ap.add_argument("--no-gl", action="store_true", help="use the 3D view's top-down fallback instead of OpenGL")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="cProfile the GUI thread (its CPU time) while measuring and print its N costliest functions")
    args = ap.parse_args()

    display = None
    if not os.environ.get("DISPLAY"):
        from pyvirtualdisplay import Display

        display = Display(visible=False, size=(1600, 1000), color_depth=24)
        display.start()
    from PySide6.QtCore import QCoreApplication, QSettings, Qt
    from PySide6.QtWidgets import QApplication

    class TimedApp(QApplication):
        """Sums the wall time of every outermost event delivered on the GUI thread."""

        busy_s = 0.0
        cpu_s = 0.0
        _depth = 0
        by_receiver: dict[str, float] = {}

        def notify(self, receiver, event):  # noqa: N802 - Qt's name
            if self._depth:
                return super().notify(receiver, event)
            self._depth += 1
            key = f"{receiver.objectName() or type(receiver).__name__}/{event.type().name}"  # before it may be deleted
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return super().notify(receiver, event)
            finally:
                dt = time.perf_counter() - t0
                TimedApp.busy_s += dt
                TimedApp.cpu_s += time.thread_time() - c0
                TimedApp.by_receiver[key] = TimedApp.by_receiver.get(key, 0.0) + dt
                self._depth -= 1

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    sys.setswitchinterval(0.001)  # as app.main_window.launch does
    app = TimedApp([sys.argv[0]])
    from app.main_window import MainWindow
    from perception.pipeline.factory import build_pipeline

    with tempfile.TemporaryDirectory() as tmp:
        w = MainWindow(QSettings(str(Path(tmp) / "bench.ini"), QSettings.Format.IniFormat), pipeline_factory=_empty if args.no_pipeline else build_pipeline,
                       use_opengl=False if args.no_gl else None)
        w.show()
        w.transport.live.setChecked(args.mode == "live")
        w.controller.set_speed(args.speed)
        if not w.open_spec(args.source):
            print(f"cannot open {args.source}: {w.messages[-1][1]}")
            return 1
        info = w.controller.info
        print(f"source: {info.name} {info.width}x{info.height} @ {info.fps:g} fps x{args.speed:g}, mode={args.mode}, "
              f"stages: {', '.join(w.controller.stage_names())}")
        # the 3D view starts once torch is preloaded (app.preload); its OpenGL setup is not a per-frame cost
        t_end = time.perf_counter() + 120.0
        while w.cloud_view.canvas is None and time.perf_counter() < t_end:
            app.processEvents()
            time.sleep(0.01)
        # warm-up: the first frames build caches (JIT-free but allocation-heavy); then measure from a clean slate
        t_end = time.perf_counter() + 3.0
        w.controller.play()
        while time.perf_counter() < t_end:
            app.processEvents()
        processed0 = w.controller.log.version
        w.latency_ms.clear()
        w.gui_ms.clear()
        shown0, TimedApp.busy_s, TimedApp.cpu_s = w.frames_shown, 0.0, 0.0
        cpu0 = time.thread_time()
        TimedApp.by_receiver.clear()
        stage_ms: dict[str, list[float]] = {}
        last_idx = -1
        profiler = cProfile.Profile(time.thread_time) if args.profile else None  # CPU time, as the target
        if profiler is not None:
            profiler.enable()  # this thread only: the GUI thread
        t0 = time.perf_counter()
        t_end = t0 + args.seconds
        while time.perf_counter() < t_end:
            app.processEvents()
            v = w.last_view
            if v is not None and v.result.index != last_idx:
                last_idx = v.result.index
                for k, ms in v.result.timings_ms.items():
                    stage_ms.setdefault(k, []).append(ms)
            if w.controller.state == "ended":
                w.controller.play()  # loop the sample
            time.sleep(0.001)  # let the worker threads run, as an idle event loop would
        elapsed = time.perf_counter() - t0
        if profiler is not None:
            profiler.disable()
        loop_cpu = time.thread_time() - cpu0
        shown = w.frames_shown - shown0
        processed = w.controller.log.version - processed0
        busy, cpu = TimedApp.busy_s, TimedApp.cpu_s  # read before the window's teardown is counted
        top = sorted(TimedApp.by_receiver.items(), key=lambda kv: -kv[1])[:6]
        lat, handler = np.array(w.latency_ms), np.array(w.gui_ms)
        w.close()
        w.deleteLater()
        app.processEvents()
    del w
    app.shutdown()  # Qt lets go of the X display before the virtual one stops
    if display is not None:
        display.stop()

    fps = shown / elapsed
    per_frame = cpu * 1e3 / max(shown, 1)
    print(f"measured {elapsed:.1f} s: {shown} distinct frames displayed ({fps:.1f} FPS), {processed} frames processed "
          f"({processed / elapsed:.1f} FPS)")
    if len(lat):
        print(f"arrival -> on screen latency: median {np.median(lat):.1f} ms, p95 {np.percentile(lat, 95):.1f} ms")
    if len(handler):
        print(f"frame handler + paint on the GUI thread: median {np.median(handler):.2f} ms, "
              f"p95 {np.percentile(handler, 95):.2f} ms, max {handler.max():.2f} ms")
    print(f"GUI thread CPU time (all events, incl. plots, tables, 3D upload): {cpu * 1e3:.0f} ms = "
          f"{per_frame:.2f} ms per displayed frame; whole GUI thread incl. the event loop: "
          f"{loop_cpu * 1e3 / max(shown, 1):.2f} ms per frame")
    print(f"GUI thread wall time in events (adds waits for the GIL and for a CPU core): {busy * 1e3:.0f} ms = "
          f"{busy * 1e3 / max(shown, 1):.2f} ms per displayed frame")
    print("GUI thread time by receiver/event: " + ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in top))
    print("pipeline stage means (worker thread): "
          + ", ".join(f"{k} {np.mean(v):.1f} ms" for k, v in stage_ms.items()))
    ok_gui, ok_fps = per_frame <= 8.0, fps >= 20.0
    print(f"targets: GUI thread CPU <= 8 ms/frame: {'PASS' if ok_gui else 'FAIL'} ({per_frame:.2f}); "
          f"display >= 20 FPS: {'PASS' if ok_fps else 'FAIL'} ({fps:.1f}); cores: {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
