"""Chat panel: ask the streaming memory questions at any time; answers stream in; citations seek the video.

A question is answered on a background thread from an immutable memory snapshot, so the stream keeps
running; chunks arrive as signals. Cited times and IDs become links; narration lines appear as they happen.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from app.overlay import id_color_hex


@dataclass
class _Message:
    who: str
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, label)
    error: bool = False
    details: list[str] = field(default_factory=list)  # shown on demand (narration: the original messages)
    expanded: bool = False


class ChatPanel(QWidget):
    """``ask_handler(question)`` returns (backend, snapshot) or raises with a message for the user."""

    chunk_arrived = Signal(int, object)   # message index, AnswerChunk
    answer_done = Signal(int)
    answered = Signal(str)                # the final answer text (for tests and logs)
    seek_requested = Signal(int, int, str)  # frame index, ID (-1: none), "2D" track or "3D" instance

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """The dock's first size (the video gets the rest)."""
        return QSize(520, 260)

    def __init__(self, ask_handler: Callable[[str], tuple[object, object]], fps: Callable[[], float],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ask_handler, self.fps = ask_handler, fps
        self.messages: list[_Message] = []
        self.view = QTextBrowser()
        self.view.setPlaceholderText("Narration and answers appear here;\ncited times are links into the video.")
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(self._link)
        self.input = QLineEdit()
        self.input.setPlaceholderText("Ask about the video, e.g. 'how many objects are there?'")
        self.input.returnPressed.connect(self._submit)
        self.send = QPushButton("Ask")
        self.send.clicked.connect(self._submit)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.send)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.view, 1)
        lay.addLayout(row)
        self.chunk_arrived.connect(self._on_chunk)
        self.answer_done.connect(self._on_done)
        self.busy = False

    def _submit(self) -> None:
        q = self.input.text().strip()
        if q and not self.busy:
            self.input.clear()
            self.ask(q)

    def ask(self, question: str) -> None:
        """Post a question and answer it in the background."""
        self.messages.append(_Message("you", question))
        try:
            backend, snapshot = self.ask_handler(question)
        except Exception as exc:
            self.messages.append(_Message("studio", str(exc), error=True))
            self._render()
            self.answered.emit(str(exc))
            return
        self.messages.append(_Message(backend.name, ""))
        idx = len(self.messages) - 1
        self.busy = True
        self.send.setEnabled(False)
        self._render()

        def run() -> None:
            try:
                for chunk in backend.answer(snapshot, question):
                    self.chunk_arrived.emit(idx, chunk)
            except Exception as exc:  # a backend bug is shown, not raised
                from perception.memory.answer import AnswerChunk

                self.chunk_arrived.emit(idx, AnswerChunk(text=f" [{type(exc).__name__}: {exc}]", error=str(exc)))
            finally:
                self.answer_done.emit(idx)

        threading.Thread(target=run, name="chat-answer", daemon=True).start()

    def narrate(self, text: str, details: list[str] | None = None, frame: int = -1) -> None:
        """Show a grouped narration line (appended, not a full redraw); ``details`` open on a click."""
        msg = _Message("narration", text, details=list(details or []))
        if frame >= 0:
            msg.links.append((f"seek:{frame}:-1", f"{frame / max(self.fps(), 1e-6):.1f} s"))
        self.messages.append(msg)
        if len(self.messages) > 500:
            del self.messages[:100]
            self._render()
            return
        self.view.append(self._html(msg, len(self.messages) - 1))

    def reset(self) -> None:
        """Forget the conversation (a new source was opened); an answer still streaming is dropped."""
        self.messages.clear()
        self.busy = False
        self.send.setEnabled(True)
        self.view.clear()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Escape leaves the question box, so the window's shortcuts (Space, arrows) work again."""
        if event.key() == Qt.Key.Key_Escape:
            self.input.clearFocus()
            self.window().setFocus()
            return
        super().keyPressEvent(event)

    def _on_chunk(self, idx: int, chunk) -> None:
        if idx >= len(self.messages) or self.messages[idx].who in ("you", "narration"):
            return
        msg = self.messages[idx]
        msg.text += chunk.text
        msg.error = msg.error or chunk.error is not None
        for c in chunk.citations:
            frame = c.frame_index if c.frame_index is not None else int(round(c.time * max(self.fps(), 1e-6)))
            ids = list(c.track_ids) or [-1]
            for tid in ids:
                label = f"{c.time:.1f} s" + (f" T{tid}" if tid >= 0 else "")
                msg.links.append((f"seek:{frame}:{tid}", label))
            for iid in c.instance_ids:
                msg.links.append((f"inst:{frame}:{iid}", f"{c.time:.1f} s 3D I{iid}"))
        self._render()

    def _on_done(self, idx: int) -> None:
        self.busy = False
        self.send.setEnabled(True)
        if idx < len(self.messages) and self.messages[idx].who not in ("you", "narration"):
            self.answered.emit(self.messages[idx].text.strip())

    @staticmethod
    def _html(m: _Message, index: int = -1) -> str:
        """One message as an HTML paragraph (links coloured by the ID they cite; T = 2D track, I = 3D instance)."""
        style = {"you": "color:#1f6feb", "narration": "color:#808080;font-style:italic"}.get(m.who, "")
        if m.error:
            style = "color:#c0392b"
        body = html.escape(m.text.strip() or "…")
        links = " ".join(f'<a href="{h}" style="color:{id_color_hex(int(h.split(":")[2]))}">'
                         f"{html.escape(label)}</a>" if int(h.split(":")[2]) >= 0 else
                         f'<a href="{h}">{html.escape(label)}</a>' for h, label in m.links)
        if m.details and index >= 0:
            links += f' <a href="details:{index}">{"hide details" if m.expanded else "details"}</a>'
        more = "".join(f"<br/>&nbsp;&nbsp;• {html.escape(d)}" for d in m.details) if m.expanded else ""
        return (f'<p style="{style}"><b>{html.escape(m.who)}:</b> {body}'
                + (f"<br/>↳ {links}" if links else "") + more + "</p>")

    def _render(self) -> None:
        self.view.setHtml("".join(self._html(m, i) for i, m in enumerate(self.messages)))
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _link(self, url: QUrl) -> None:
        parts = url.toString().split(":")
        if len(parts) == 2 and parts[0] == "details" and int(parts[1]) < len(self.messages):
            msg = self.messages[int(parts[1])]
            msg.expanded = not msg.expanded
            self._render()
        elif len(parts) == 3 and parts[0] in ("seek", "inst"):
            self.seek_requested.emit(int(parts[1]), int(parts[2]), "2D" if parts[0] == "seek" else "3D")
