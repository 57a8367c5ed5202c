"""Tracks panel: every 2D track and 3D instance seen (ID, kind, label, first / last seen, duration).

Sortable by any column and filterable by text; double-clicking a row seeks to where it was first seen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
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
    """Refreshes from a SessionLog on a timer, touching only the rows that changed; emits
    ``seek_requested(frame, kind, id)``. ``fps()`` gives the source's frame rate.
    """

    seek_requested = Signal(int, str, int)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """The dock's first size (the video gets the rest)."""
        return QSize(800, 200)

    def __init__(self, log: SessionLog, fps: Callable[[], float] = lambda: 30.0, parent: QWidget | None = None,
                 refresh_ms: int = 1000):
        super().__init__(parent)
        self.log, self.fps = log, fps
        self._version = -1
        self._generation = -1
        self._rows: dict[tuple[str, int], list[_Item]] = {}
        self._hay: dict[tuple[str, int], str] = {}  # what the filter searches, per row
        self.hidden: frozenset[str] = frozenset()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: ID, kind or label (e.g. 'person', '3D', '12')")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(lambda _t: self._apply_filter())
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # labels vary in length; times do not
        for col, width in enumerate((70, 95, 0, 110, 110, 80)):
            if width:
                self.table.setColumnWidth(col, width)
        self.table.cellDoubleClicked.connect(self._double_clicked)
        self.table.setToolTip("Double-click a row to jump to where it was first seen")
        self.empty = QLabel("No tracks so far. Every 2D track and 3D instance the pipeline finds is listed here "
                            "(it needs a detector or segmenter and a tracker: see the Pipeline panel).")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.filter)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.empty, 1)
        self.table.hide()
        self.setMinimumSize(300, 140)
        self._timer = QTimer(self)
        self._timer.setObjectName("tracks-refresh")
        self._timer.timeout.connect(self.refresh)
        self._timer.start(refresh_ms)

    def refresh(self, force: bool = False) -> None:
        """Bring the table up to date with the log: only rows changed since the last refresh are touched
        (only when the panel is shown, unless forced)."""
        version, generation = self.log.version, self.log.generation
        if generation != self._generation:  # a new source: the log started over
            self.table.setRowCount(0)
            self._rows.clear()
            self._hay.clear()
            self._version, self._generation = -1, generation
            self.table.hide()
            self.empty.show()
        if not force and (version == self._version or not self.isVisible()):
            return
        changed = self.log.entries(changed_after=self._version)
        self._version = version
        if changed:
            self.table.setSortingEnabled(False)
            fps = self.fps() or 30.0
            for e in changed:
                key = (e.kind, e.id)
                items = self._rows.get(key)
                if items is None:
                    items = self._rows[key] = [_Item() for _ in COLUMNS]
                    row = self.table.rowCount()
                    self.table.insertRow(row)
                    for col, item in enumerate(items):
                        self.table.setItem(row, col, item)
                    self._fill_identity(items, e)
                self._fill(items, e, fps)
            self.table.setSortingEnabled(True)
            for e in changed:
                self._filter_row(self._rows[(e.kind, e.id)], (e.kind, e.id))
        self.table.setVisible(bool(self._rows))
        self.empty.setVisible(not self._rows)

    def _fill_identity(self, items: list[_Item], e: TrackEntry) -> None:
        prefix = "T" if e.kind == "2D" else "I"
        for item, text, key in ((items[0], f"{prefix}{e.id}", e.id), (items[1], KIND_NAMES.get(e.kind, e.kind), e.kind)):
            item.setText(text)
            item.setData(KEY, key)
        items[0].setForeground(QColor(id_color_hex(e.id)))
        items[0].setData(Qt.ItemDataRole.DecorationRole, QColor(id_color_hex(e.id)))

    def _fill(self, items: list[_Item], e: TrackEntry, fps: float) -> None:
        """Label and times (set only where they changed: each Qt call costs the GUI thread)."""
        values = ((items[2], e.label, e.label), (items[3], _time(e.first, fps), e.first),
                  (items[4], _time(e.last, fps), e.last),
                  (items[5], f"{(e.last - e.first + 1) / fps:.1f} s", e.last - e.first + 1))
        for item, text, key in values:
            if item.data(KEY) != key:
                item.setText(text)
                item.setData(KEY, key)
        self._hay[(e.kind, e.id)] = f"{items[0].text()} {KIND_NAMES.get(e.kind, e.kind)} {e.label}".lower()

    def set_hidden(self, hidden: frozenset[str]) -> None:
        """Hide the rows of these class labels."""
        self.hidden = frozenset(hidden)
        self._apply_filter()

    def _apply_filter(self) -> None:
        for key, items in self._rows.items():
            self._filter_row(items, key)

    def _filter_row(self, items: list[_Item], key: tuple[str, int]) -> None:
        words = self.filter.text().lower().split()
        hay = self._hay.get(key, "")
        hide = items[2].data(KEY) in self.hidden or not all(w in hay for w in words)
        row = items[0].row()
        if self.table.isRowHidden(row) != hide:
            self.table.setRowHidden(row, hide)

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
