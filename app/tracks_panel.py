"""Tracks panel: every 2D track and 3D instance seen (ID, kind, label, first / last seen, duration).

Sortable by any column and filterable by text; double-clicking a row seeks to where it was first seen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.overlay import id_color_hex
from app.session_log import SessionLog, TrackEntry

COLUMNS = ("ID", "Kind", "Label", "First seen", "Last seen", "Duration")
KIND_NAMES = {"2D": "2D track", "3D": "3D instance"}
KEY = Qt.ItemDataRole.UserRole


class _Item(QTableWidgetItem):
    """Sorts by its UserRole value (numbers as numbers)."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.data(KEY), other.data(KEY)
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)


def _time(frame: int, fps: float) -> str:
    return f"{frame / fps:.1f} s (#{frame + 1})"


class TracksPanel(QWidget):
    """Refreshes from a SessionLog on a timer when it changed; emits ``seek_requested(frame, kind, id)``.

    ``labels(kind, id)`` gives a row's class label; ``fps()`` the source's frame rate.
    """

    seek_requested = Signal(int, str, int)

    def __init__(self, log: SessionLog, labels: Callable[[str, int], str] = lambda k, i: "",
                 fps: Callable[[], float] = lambda: 30.0, parent: QWidget | None = None, refresh_ms: int = 1000):
        super().__init__(parent)
        self.log, self.labels, self.fps = log, labels, fps
        self._version = -1
        self._rows: dict[tuple[str, int], list[_Item]] = {}
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: ID, kind or label (e.g. 'person', '3D', '12')")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(self._double_clicked)
        self.table.setToolTip("Double-click a row to jump to where it was first seen")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.filter)
        lay.addWidget(self.table)
        self.setMinimumSize(300, 140)
        self._timer = QTimer(self)
        self._timer.setObjectName("tracks-refresh")
        self._timer.timeout.connect(self.refresh)
        self._timer.start(refresh_ms)

    def refresh(self, force: bool = False) -> None:
        """Bring the table up to date with the log (only when it changed and the panel is shown, unless forced)."""
        version = self.log.version
        if not force and (version == self._version or not self.isVisible()):
            return
        if force or version < self._version:  # a new source: the log started over
            self.table.setRowCount(0)
            self._rows.clear()
        self._version = version
        self.table.setSortingEnabled(False)
        fps = self.fps() or 30.0
        for e in self.log.entries():
            items = self._rows.get((e.kind, e.id))
            if items is None:
                items = [_Item() for _ in COLUMNS]
                row = self.table.rowCount()
                self.table.insertRow(row)
                for col, item in enumerate(items):
                    self.table.setItem(row, col, item)
                self._rows[(e.kind, e.id)] = items
                self._fill_identity(items, e)
            self._fill_times(items, e, fps)
        self.table.setSortingEnabled(True)
        self._apply_filter(self.filter.text())

    def _fill_identity(self, items: list[_Item], e: TrackEntry) -> None:
        prefix = "T" if e.kind == "2D" else "I"
        label = self.labels(e.kind, e.id)
        for item, text, key in ((items[0], f"{prefix}{e.id}", e.id), (items[1], KIND_NAMES.get(e.kind, e.kind), e.kind),
                                (items[2], label, label)):
            item.setText(text)
            item.setData(KEY, key)
        items[0].setForeground(QColor(id_color_hex(e.id)))
        items[0].setData(Qt.ItemDataRole.DecorationRole, QColor(id_color_hex(e.id)))

    def _fill_times(self, items: list[_Item], e: TrackEntry, fps: float) -> None:
        if items[3].data(KEY) == e.first and items[4].data(KEY) == e.last:
            return
        label = self.labels(e.kind, e.id)
        if label and items[2].data(KEY) != label:
            items[2].setText(label)
            items[2].setData(KEY, label)
        for item, text, key in ((items[3], _time(e.first, fps), e.first), (items[4], _time(e.last, fps), e.last),
                                (items[5], f"{(e.last - e.first + 1) / fps:.1f} s", e.last - e.first + 1)):
            item.setText(text)
            item.setData(KEY, key)

    def _apply_filter(self, text: str) -> None:
        words = text.lower().split()
        for row in range(self.table.rowCount()):
            hay = " ".join(self.table.item(row, c).text().lower() for c in range(3))
            self.table.setRowHidden(row, not all(w in hay for w in words))

    def row_entry(self, row: int) -> tuple[str, int, int]:
        """(kind '2D' / '3D', id, first frame) of a table row."""
        get = lambda c: self.table.item(row, c).data(KEY)  # noqa: E731
        return str(get(1)), int(get(0)), int(get(3))

    def select(self, kind: str, track_id: int) -> None:
        """Select the row of one track or instance, if listed."""
        self.refresh()
        items = self._rows.get((kind, track_id))
        if items is not None:
            self.table.selectRow(items[0].row())
            self.table.scrollToItem(items[0])

    def _double_clicked(self, row: int, _col: int) -> None:
        kind, tid, first = self.row_entry(row)
        self.seek_requested.emit(first, kind, tid)
