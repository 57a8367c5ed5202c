"""The legend by class label: one check box per class seen (its colour and how many tracks), unticked = hidden.

Shown once a detector issues class names (a class-agnostic pipeline labels everything "object").

Hiding a class takes its tracks out of the overlay, the tracks table and the timeline lanes.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QWidget

from app.overlay import class_color_hex
from perception.types import UNLABELLED


def _chip(color: str) -> QIcon:
    """A small square of ``color`` (the class's colour when 'Colour by class' is on)."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class ClassLegend(QWidget):
    """Emits ``hidden_changed(frozenset of labels)`` when a box is toggled."""

    hidden_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.boxes: dict[str, QCheckBox] = {}
        self._counts: dict[str, int] = {}
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(4, 0, 4, 0)
        title = QLabel("Classes:")
        title.setToolTip("Untick a class to hide its tracks in the video, the tracks table and the timeline")
        self._layout.addWidget(title)
        self._layout.addStretch(1)
        self.setVisible(False)

    def hidden(self) -> frozenset[str]:
        """The unticked classes."""
        return frozenset(label for label, box in self.boxes.items() if not box.isChecked())

    def set_counts(self, counts: dict[str, int]) -> None:
        """Tracks seen per class label; new classes get a ticked box, known ones a new count."""
        if counts == self._counts:
            return
        self._counts = dict(counts)
        for label in sorted(counts, key=lambda k: (-counts[k], k)):
            box = self.boxes.get(label)
            if box is None:
                box = self.boxes[label] = QCheckBox()
                box.setChecked(True)
                box.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the window's shortcuts
                box.setIcon(_chip(class_color_hex(label)))
                box.toggled.connect(lambda _on: self.hidden_changed.emit(self.hidden()))
                self._layout.insertWidget(self._layout.count() - 1, box)
            n = counts[label]
            box.setText(f"{label} ({n})")
            box.setToolTip(f"{n} {html.escape(label)} track{'s' if n != 1 else ''} so far; untick to hide them")
        self.setVisible(any(label != UNLABELLED for label in self.boxes))  # class-agnostic: nothing to tell apart

    def reset(self) -> None:
        """Forget every class (a new source); nothing stays hidden."""
        was_hidden = bool(self.hidden())
        for box in self.boxes.values():
            self._layout.removeWidget(box)
            box.deleteLater()
        self.boxes.clear()
        self._counts = {}
        self.setVisible(False)
        if was_hidden:
            self.hidden_changed.emit(frozenset())
