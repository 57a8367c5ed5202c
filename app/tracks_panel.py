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
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(self._double_clicked)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.table)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(refresh_ms)

    def refresh(self, force: bool = False) -> None:
        """Rebuild the table if the log changed (and the panel is on screen, unless forced)."""
        if not force and (self.log.version == self._version or not self.isVisible()):
            return
        self._version = self.log.version
        entries = self.log.entries()
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(entries))
        for row, e in enumerate(entries):
            self._fill(row, e)
        self.table.setSortingEnabled(True)

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
