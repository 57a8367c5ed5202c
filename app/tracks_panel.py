"""Tracks panel: every 2D track and 3D instance seen (ID, colour, first/last frame, length); double-click seeks."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.overlay import id_color_hex
from app.session_log import SessionLog, TrackEntry

COLUMNS = ("Kind", "ID", "Colour", "First", "Last", "Frames")


class TracksPanel(QWidget):
    """Refreshes from a SessionLog on a timer when it changed; emits ``seek_requested(frame, kind, id)``."""

    seek_requested = Signal(int, str, int)

    def __init__(self, log: SessionLog, parent: QWidget | None = None, refresh_ms: int = 1000):
        super().__init__(parent)
        self.log = log
        self._version = -1
        self._rows: dict[tuple[str, int], int] = {}
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(self._double_clicked)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.table)
        self._timer = QTimer(self)
        self._timer.setObjectName("tracks-refresh")
        self._timer.timeout.connect(self.refresh)
        self._timer.start(refresh_ms)

    def refresh(self, force: bool = False) -> None:
        """Bring the table up to date with the log (only when it changed and the panel is on screen, unless forced).

        Rows are updated in place and new tracks appended, so a refresh costs what changed, not the whole table.
        """
        version = self.log.version
        if not force and (version == self._version or not self.isVisible()):
            return
        if force or version < self._version:  # a new source: the log started over
            self.table.setRowCount(0)
            self._rows.clear()
        self._version = version
        for e in self.log.entries():
            row = self._rows.get((e.kind, e.id))
            if row is None:
                row = self.table.rowCount()
                self.table.insertRow(row)
                self._rows[(e.kind, e.id)] = row
                self._fill(row, e)
                continue
            for col, value in ((3, e.first), (4, e.last), (5, e.frames)):
                item = self.table.item(row, col)
                if item.data(Qt.ItemDataRole.DisplayRole) != value:
                    item.setData(Qt.ItemDataRole.DisplayRole, value)

    def _fill(self, row: int, e: TrackEntry) -> None:
        values = (e.kind, e.id, "", e.first, e.last, e.frames)
        for col, v in enumerate(values):
            item = QTableWidgetItem()
            item.setData(Qt.ItemDataRole.DisplayRole, v)
            if col == 2:
                item.setBackground(QColor(id_color_hex(e.id)))
            self.table.setItem(row, col, item)

    def row_entry(self, row: int) -> tuple[str, int, int]:
        """(kind, id, first frame) of a table row."""
        get = lambda c: self.table.item(row, c).data(Qt.ItemDataRole.DisplayRole)  # noqa: E731
        return str(get(0)), int(get(1)), int(get(3))

    def select(self, kind: str, track_id: int) -> None:
        """Select the row of one track or instance, if listed."""
        self.refresh()
        for row in range(self.table.rowCount()):
            k, i, _ = self.row_entry(row)
            if (k, i) == (kind, track_id):
                self.table.selectRow(row)
                self.table.scrollToItem(self.table.item(row, 0))
                return

    def _double_clicked(self, row: int, _col: int) -> None:
        kind, tid, first = self.row_entry(row)
        self.seek_requested.emit(first, kind, tid)
