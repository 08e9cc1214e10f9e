"""Text of OpenDocument text files (.odt: LibreOffice Writer's own format), as the reader
sees it: paragraphs, headings and list items a line each, a table row a line
(``Speaker: text``, as for Word), tracked changes accepted (ODF keeps deleted text apart,
in ``<text:tracked-changes>``, so the body holds the accepted text), comments and
footnotes left out.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from upstreamnlp.corpus.word import table_rows_as_lines
from upstreamnlp.errors import UpstreamError

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
# inline elements whose text is not the document's: notes, comments, deleted text
_SKIPPED = {
    f"{{{TEXT}}}note",
    f"{{{OFFICE}}}annotation",
    f"{{{OFFICE}}}annotation-end",
    f"{{{TEXT}}}tracked-changes",
}


def _collapse(text: str | None) -> str:
    # ODF collapses runs of white space in text to one space; <text:s>, <text:tab> and
    # <text:line-break> are the document's own spaces, tabs and breaks
    return re.sub(r"[ \t\r\n]+", " ", text or "")


def _inline(element) -> str:
    """The text of a paragraph's content: spans and links read through, ``text:s`` as
    its count of spaces, tabs and line breaks as such."""
    out = [_collapse(element.text)]
    for child in element:
        tag = child.tag
        if tag in _SKIPPED:
            pass
        elif tag == f"{{{TEXT}}}s":
            out.append(" " * int(child.get(f"{{{TEXT}}}c", "1")))
        elif tag == f"{{{TEXT}}}tab":
            out.append("\t")
        elif tag == f"{{{TEXT}}}line-break":
            out.append("\n")
        else:
            out.append(_inline(child))
        out.append(_collapse(child.tail))
    return "".join(out)


def _block_lines(container) -> list[str]:
    lines: list[str] = []
    for child in container:
        tag = child.tag
        if tag in (f"{{{TEXT}}}p", f"{{{TEXT}}}h"):
            lines.append(_inline(child).strip(" "))
        elif tag in (f"{{{TEXT}}}list", f"{{{TEXT}}}list-item", f"{{{TEXT}}}section"):
            lines.extend(_block_lines(child))
        elif tag == f"{{{TABLE}}}table":
            lines.extend(table_rows_as_lines(_table_rows(child)))
    return lines


def _body(path: str | Path):
    """The ``<office:text>`` element of an .odt (None when it has no text body)."""
    from lxml import etree

    try:
        with zipfile.ZipFile(path) as archive:
            root = etree.fromstring(archive.read("content.xml"))
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise UpstreamError(
            f"corrupt or unreadable .odt ({exc.__class__.__name__})",
            path=path,
            fix="open it in LibreOffice and save it again, or save it as .docx",
        ) from None
    return root.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")


def _table_rows(table, separator: str = " ") -> list[list[str]]:
    """A table's rows as cell texts (a cell's paragraphs joined by ``separator``)."""
    return [
        [
            separator.join(_inline(p).strip(" ") for p in cell.iter(f"{{{TEXT}}}p"))
            for cell in row.iter(f"{{{TABLE}}}table-cell")
        ]
        for row in table.iter(f"{{{TABLE}}}table-row")
    ]


def odt_text(path: str | Path) -> str:
    """The body of an .odt in document order, a line per paragraph, heading, list item
    and table row."""
    body = _body(path)
    return "\n".join(_block_lines(body)) if body is not None else ""


def odt_tables(path: str | Path) -> list[list[list[str]]]:
    """Every table of an .odt, in document order, as rows of cell texts (a cell's
    paragraphs joined by newlines, as for Word)."""
    body = _body(path)
    if body is None:
        return []
    return [_table_rows(t, "\n") for t in body.iter(f"{{{TABLE}}}table")]
