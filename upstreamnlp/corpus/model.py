"""The plain data types every stage understands: ``Document``, ``Segment`` and ``Corpus``.

A ``Document`` is one source (an interview, a paper, a table row); a ``Segment`` is one
analysis unit inside it (a participant turn or a window of it, an abstract, a
paragraph), with exact character offsets so that every quote can be traced back:
``document.text[segment.start_char:segment.end_char] == segment.text``. After
de-identification a segment also keeps ``source_start_char``/``source_end_char``: where it
lay in the original document, the offsets a human coder quotes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

DocumentKind = Literal["transcript", "paper", "other"]
INTERVIEWER = "interviewer"
PARTICIPANT = "participant"

# Columns of segments.parquet that are not metadata (see CONTRACT.md).
SEGMENT_COLUMNS = [
    "segment_id",
    "doc_id",
    "text",
    "start_char",
    "end_char",
    "speaker",
    "speaker_role",
    "kind",
    "source_start_char",
    "source_end_char",
]


@dataclass
class Document:
    """One source text with its metadata (role, discipline, year, title, ...)."""

    id: str
    text: str
    kind: DocumentKind = "other"
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Segment:
    """One analysis unit: a span ``[start_char, end_char)`` of a document's text."""

    id: str
    doc_id: str
    text: str
    start_char: int
    end_char: int
    speaker: str | None = None
    speaker_role: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # offsets in the original document when the text was rewritten (de-identification
    # replaces names by placeholders of another length); None: same as start/end_char
    source_start_char: int | None = None
    source_end_char: int | None = None

    @property
    def is_interviewer(self) -> bool:
        return self.speaker_role == INTERVIEWER


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _dumps(metadata: dict[str, Any]) -> str:
    return json.dumps(metadata, ensure_ascii=False, sort_keys=True, default=_json_default)


def _optional_int(value: Any) -> int | None:
    return None if value is None or is_missing(value) else int(value)


def _flat_value(value: Any) -> Any:
    """Metadata values as parquet-friendly scalars (lists become '; '-joined text)."""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return _dumps(value)
    return value


class Corpus:
    """Documents and their segments; saves to and loads from parquet.

    ``segments.parquet`` has one row per segment (the contract's columns plus one column
    per metadata key); the documents' full texts sit beside it in
    ``<name>.documents.parquet``. Both keep the exact metadata as JSON so that
    corpus -> parquet -> corpus is lossless.
    """

    def __init__(
        self,
        documents: Iterable[Document] = (),
        segments: Iterable[Segment] = (),
        skipped: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.documents: list[Document] = list(documents)
        self.segments: list[Segment] = list(segments)
        #: (file, reason) for every input that could not be used.
        self.skipped: list[tuple[str, str]] = list(skipped)
        #: warnings raised while reading (file, message).
        self.warnings: list[tuple[str, str]] = []

    # --- access -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.documents)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)

    def document(self, doc_id: str) -> Document:
        for doc in self.documents:
            if doc.id == doc_id:
                return doc
        raise KeyError(doc_id)

    def iter_segments(self, include_interviewer: bool = False) -> Iterator[Segment]:
        """Segments lazily, without the interviewer's turns unless asked for."""
        for seg in self.segments:
            if include_interviewer or not seg.is_interviewer:
                yield seg

    def segments_of(self, doc_id: str) -> list[Segment]:
        return [s for s in self.segments if s.doc_id == doc_id]

    # --- tables -------------------------------------------------------------------
    def segments_frame(self, include_interviewer: bool = True) -> pd.DataFrame:
        """One row per segment: the contract's columns, then one column per metadata key."""
        kinds = {d.id: d.kind for d in self.documents}
        rows = []
        for seg in self.iter_segments(include_interviewer=include_interviewer):
            row = {
                "segment_id": seg.id,
                "doc_id": seg.doc_id,
                "text": seg.text,
                "start_char": seg.start_char,
                "end_char": seg.end_char,
                "speaker": seg.speaker,
                "speaker_role": seg.speaker_role,
                "kind": kinds.get(seg.doc_id, "other"),
                "source_start_char": seg.source_start_char,
                "source_end_char": seg.source_end_char,
            }
            for key, value in seg.metadata.items():
                if key not in row:
                    row[key] = _flat_value(value)
            row["metadata_json"] = _dumps(seg.metadata)
            rows.append(row)
        frame = pd.DataFrame(rows, columns=None if rows else SEGMENT_COLUMNS + ["metadata_json"])
        for column in ("source_start_char", "source_end_char"):
            frame[column] = frame[column].astype("Int64")
        return _uniform_columns(frame)

    def documents_frame(self) -> pd.DataFrame:
        rows = []
        for doc in self.documents:
            row = {"doc_id": doc.id, "text": doc.text, "kind": doc.kind, "source": doc.source}
            for key, value in doc.metadata.items():
                if key not in row:
                    row[key] = _flat_value(value)
            row["metadata_json"] = _dumps(doc.metadata)
            rows.append(row)
        frame = pd.DataFrame(
            rows, columns=None if rows else ["doc_id", "text", "kind", "source", "metadata_json"]
        )
        return _uniform_columns(frame)

    # --- parquet ------------------------------------------------------------------
    @staticmethod
    def documents_path(segments_path: str | Path) -> Path:
        path = Path(segments_path)
        return path.with_name(path.stem + ".documents.parquet")

    def to_parquet(self, path: str | Path) -> Path:
        """Write segments to ``path`` and documents beside it; returns ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.segments_frame().to_parquet(path, index=False)
        self.documents_frame().to_parquet(self.documents_path(path), index=False)
        return path

    @classmethod
    def from_parquet(cls, path: str | Path) -> Corpus:
        """Read a corpus written by :meth:`to_parquet`."""

        path = Path(path)
        seg_frame = read_parquet_checked(
            path,
            ("segment_id", "doc_id", "text", "start_char", "end_char"),
            pd.read_parquet,
            "give the FILE.parquet written by `upstreamnlp ingest`.",
        )
        documents: list[Document] = []
        doc_path = cls.documents_path(path)
        if doc_path.exists():
            for row in pd.read_parquet(doc_path).to_dict("records"):
                documents.append(
                    Document(
                        id=row["doc_id"],
                        text=row["text"],
                        kind=row.get("kind") or "other",
                        source=row.get("source") or "",
                        metadata=json.loads(row["metadata_json"])
                        if row.get("metadata_json")
                        else {},
                    )
                )
        segments = []
        for row in seg_frame.to_dict("records"):
            if row.get("metadata_json"):
                metadata = json.loads(row["metadata_json"])
            else:
                metadata = {
                    k: v for k, v in row.items() if k not in SEGMENT_COLUMNS and not is_missing(v)
                }
            segments.append(
                Segment(
                    id=row["segment_id"],
                    doc_id=row["doc_id"],
                    text=row["text"],
                    start_char=int(row["start_char"]),
                    end_char=int(row["end_char"]),
                    speaker=None if is_missing(row.get("speaker")) else row.get("speaker"),
                    speaker_role=None
                    if is_missing(row.get("speaker_role"))
                    else row.get("speaker_role"),
                    metadata=metadata,
                    source_start_char=_optional_int(row.get("source_start_char")),
                    source_end_char=_optional_int(row.get("source_end_char")),
                )
            )
        if not documents:  # a bare segments table: rebuild documents from the segments
            by_doc: dict[str, list[Segment]] = {}
            for seg in segments:
                by_doc.setdefault(seg.doc_id, []).append(seg)
            for doc_id, segs in by_doc.items():
                kind = (
                    seg_frame.loc[seg_frame["doc_id"] == doc_id, "kind"].iloc[0]
                    if "kind" in seg_frame
                    else "other"
                )
                text = " " * max(s.end_char for s in segs)
                chars = list(text)
                for s in segs:
                    chars[s.start_char : s.end_char] = list(s.text)
                documents.append(
                    Document(
                        id=doc_id, text="".join(chars), kind=kind, metadata=dict(segs[0].metadata)
                    )
                )
        return cls(documents, segments)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Corpus):
            return NotImplemented
        return self.documents == other.documents and self.segments == other.segments


def read_parquet_checked(path: Path, required: Sequence[str], reader: Any, fix: str) -> Any:
    """``reader(path)`` (pandas or pyarrow) with the errors a user can act on: the file is
    missing, is not parquet, or lacks ``required`` columns; each names the file and ``fix``."""
    from upstreamnlp.errors import UpstreamError

    if not path.exists():
        raise UpstreamError("file not found", path=path, fix=fix)
    try:
        table = reader(path)
    except Exception as exc:  # noqa: BLE001 - any parquet failure is bad input
        raise UpstreamError(
            f"not a readable parquet file ({exc.__class__.__name__})", path=path, fix=fix
        ) from None
    columns = table.column_names if hasattr(table, "column_names") else table.columns
    missing = [c for c in required if c not in columns]
    if missing:
        raise UpstreamError(f"missing columns {missing}", path=path, fix=fix)
    return table


def is_missing(value: Any) -> bool:
    """None, NaN or pandas' NA: a cell with no value."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _uniform_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Metadata columns with mixed Python types become text, so parquet can store them."""
    for column in frame.columns:
        if frame[column].dtype == object:
            types = {type(v) for v in frame[column] if not is_missing(v)}
            if len(types) > 1:
                frame[column] = frame[column].map(lambda v: None if is_missing(v) else str(v))
    return frame
