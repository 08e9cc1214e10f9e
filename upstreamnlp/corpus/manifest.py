"""The manifest: a CSV that adds metadata (role, discipline, participant_id, ...) to files.

Columns: ``file`` (path relative to the manifest), an optional ``doc_id`` that narrows
a row to one record of a multi-record file (RIS, BibTeX, table), an optional ``kind``
(transcript, paper, other), and any metadata columns. Empty cells are ignored;
manifest metadata overrides what the file itself says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from upstreamnlp.corpus.papers import parse_year
from upstreamnlp.corpus.tables import read_csv_file
from upstreamnlp.errors import UpstreamError

KINDS = ("transcript", "paper", "other")


@dataclass
class ManifestRow:
    """One manifest line: which file (and record) it describes, and what it adds."""

    line: int
    file: Path
    doc_id: str | None
    kind: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    used: bool = False


@dataclass
class Manifest:
    """Manifest rows indexed by resolved file path."""

    path: Path
    rows: list[ManifestRow]

    def rows_for(self, file: Path) -> list[ManifestRow]:
        resolved = file.resolve()
        return [r for r in self.rows if r.file == resolved]

    def lookup(self, file: Path, doc_id: str, single: bool) -> tuple[str | None, dict[str, Any]]:
        """``(kind, metadata)`` for one document: file-wide rows first, then its own row.

        In a single-document file a ``doc_id`` row applies whatever id it gives.
        """
        kind = None
        metadata: dict[str, Any] = {}
        rows = self.rows_for(file)
        ordered = [r for r in rows if r.doc_id is None] + [r for r in rows if r.doc_id is not None]
        for row in ordered:
            if row.doc_id is None or single or row.doc_id == doc_id:
                row.used = True
                metadata.update(row.metadata)
                kind = row.kind or kind
        return kind, metadata


def read_manifest(path: str | Path) -> Manifest:
    """Read a manifest CSV; raises ``UpstreamError`` when it has no ``file`` column."""
    path = Path(path)
    if not path.is_file():
        raise UpstreamError(
            "manifest not found", path=path, fix="give the path of an existing CSV file."
        )
    frame = read_csv_file(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    if "file" not in frame.columns:
        raise UpstreamError(
            f"no 'file' column; columns found: {list(frame.columns)}",
            path=path,
            fix="add a 'file' column with each document's path relative to the manifest.",
        )
    rows = []
    for index, record in enumerate(frame.to_dict("records")):
        line = index + 2  # the header is line 1
        name = record.pop("file").strip()
        if not name:
            continue
        doc_id = record.pop("doc_id", "").strip() or None
        kind = record.pop("kind", "").strip().lower() or None
        if kind is not None and kind not in KINDS:
            raise UpstreamError(
                f"kind {kind!r} is not one of {list(KINDS)}",
                path=path,
                where=f"line {line}",
                fix="use transcript, paper or other, or leave the cell empty.",
            )
        metadata: dict[str, Any] = {
            key: value.strip() for key, value in record.items() if value and value.strip()
        }
        if "year" in metadata:
            metadata["year"] = parse_year(metadata["year"])
        rows.append(ManifestRow(line, (path.parent / name).resolve(), doc_id, kind, metadata))
    return Manifest(path, rows)
