"""Text of Word (.docx) files as the reader sees it on screen.

python-docx's ``paragraph.text`` reads only the runs directly in a paragraph: text typed
while Track Changes was on sits in ``<w:ins>`` and is skipped, so a transcriber's
corrections (or a coder's codes) would vanish. Here tracked changes count as accepted:
inserted text is read, deleted and moved-away text (``<w:del>``, ``<w:moveFrom>``) is not.

Transcripts also come as tables (transcription services: one row per turn, a speaker
column, often a time column, a text column). ``document_text`` reads a table row as one
line, ``Speaker: text``, so speaker turns are found as in plain paragraphs.
"""

from __future__ import annotations

import re
from pathlib import Path

from docx.oxml.ns import qn

from upstreamnlp.corpus.transcripts import TIMESTAMP

_DROPPED = {qn("w:del"), qn("w:moveFrom")}
_TIME_CELL = re.compile(rf"^[\[(]?{TIMESTAMP}[\])]?$")
#: Heading cells of a transcript table (lower case); a first row of only these is skipped.
HEADING_CELLS = frozenset(
    {
        "speaker", "name", "who", "role", "time", "timestamp", "time stamp", "start", "end",
        "text", "transcript", "transcription", "utterance", "content", "dialogue", "speech",
        "turn", "response", "comment", "comments",
    }
)  # fmt: skip


def paragraph_text(paragraph) -> str:
    """A ``<w:p>`` element's text with tracked changes accepted: every run's text (tabs
    and line breaks as python-docx renders them) in document order, also inside
    insertions, hyperlinks and fields, except runs in deletions or moved-away text."""
    pieces = []
    for run in paragraph.iter(qn("w:r")):
        if any(ancestor.tag in _DROPPED for ancestor in run.iterancestors()):
            continue
        pieces.append(run.text)
    return "".join(pieces)


def cell_text(cell, separator: str = "\n") -> str:
    """A ``<w:tc>`` element's paragraphs (not those of a table nested in it), joined."""
    return separator.join(paragraph_text(p) for p in cell.iterchildren(qn("w:p")))


def _row_line(cells: list[str]) -> str:
    """A transcript table row as one line: time cells dropped; a short first cell with
    more after it is the speaker (``Speaker: text``)."""
    cells = [c.strip() for c in cells if c.strip() and not _TIME_CELL.match(c.strip())]
    if len(cells) >= 2 and len(cells[0]) <= 60 and not cells[0].endswith((".", "?", "!")):
        label = cells[0].rstrip(":").strip()
        return f"{label}: " + " ".join(cells[1:])
    return " ".join(cells)


def table_rows_as_lines(rows: list[list[str]]) -> list[str]:
    """A transcript table's rows (cell texts) as lines, ``Speaker: text`` (``_row_line``),
    a heading row ("Speaker | Time | Text") left out. Shared by .docx and .odt."""
    if rows and all(c.strip().lower().rstrip(":") in HEADING_CELLS for c in rows[0] if c.strip()):
        rows = rows[1:]
    return [line for line in (_row_line(cells) for cells in rows) if line]


def _table_lines(table) -> list[str]:
    return table_rows_as_lines(
        [
            [cell_text(tc, " ") for tc in tr.iterchildren(qn("w:tc"))]
            for tr in table.iterchildren(qn("w:tr"))
        ]
    )


def document_text(path: str | Path) -> str:
    """The body of a .docx in document order, tracked changes accepted: each paragraph a
    line, each table row a line (``_row_line``)."""
    import docx  # python-docx

    return "\n".join(_block_lines(docx.Document(str(path)).element.body))


def _block_lines(container) -> list[str]:
    """Lines of the paragraphs and tables in ``container`` (the body, or the content of
    a content control, ``<w:sdt>``, whose blocks are read in place)."""
    lines: list[str] = []
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            lines.append(paragraph_text(child))
        elif child.tag == qn("w:tbl"):
            lines.extend(_table_lines(child))
        elif child.tag == qn("w:sdt"):
            for content in child.iterchildren(qn("w:sdtContent")):
                lines.extend(_block_lines(content))
    return lines
