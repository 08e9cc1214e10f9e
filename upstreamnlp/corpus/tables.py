"""Tables (.csv, .tsv, .jsonl, .parquet): one row is one document.

The text column is ``text_column`` or a common export name (``text``, ``Abstract``,
``AB``, ...); the id column is ``id_column`` or ``id``/``ID``/``doc_id``, else row
numbers; every other column becomes metadata (empty cells dropped).
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from upstreamnlp.corpus.encoding import read_text
from upstreamnlp.corpus.papers import Record, paper_record, parse_year
from upstreamnlp.errors import UpstreamError

TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".parquet")
#: Text columns tried in order when no ``text_column`` is given.
TEXT_COLUMNS = ("text", "Text", "abstract", "Abstract", "AB", "content", "body")
#: Id columns tried in order when no ``id_column`` is given.
ID_COLUMNS = ("id", "ID", "doc_id")
# Column names (lower case) of a bibliographic export: a table with them holds papers.
_BIBLIOGRAPHIC = frozenset({"title", "abstract", "ab", "journal", "doi", "authors", "ti"})


#: Separators a spreadsheet program may have saved a ".csv" with: Excel in many European
#: locales writes semicolons, some exports tabs.
CSV_SEPARATORS = (",", ";", "\t")
#: Spreadsheet and word-processor files that are not read directly: save them as CSV.
SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")
SAVE_AS_CSV = "save it as CSV (in Excel: File > Save As > CSV UTF-8)"


def csv_separator(text: str, suffix: str = ".csv") -> str:
    """The separator of a CSV file's text: a tab for ``.tsv``, else whichever of comma,
    semicolon and tab the header line holds most of, outside quotes (comma on a tie)."""
    if suffix.lower() == ".tsv":
        return "\t"
    header = text.split("\n", 1)[0]
    unquoted = "".join(part for n, part in enumerate(header.split('"')) if n % 2 == 0)
    counts = {sep: unquoted.count(sep) for sep in CSV_SEPARATORS}
    best = max(CSV_SEPARATORS, key=lambda sep: counts[sep])  # max keeps the first on ties
    return best if counts[best] > 0 else ","


def read_csv_file(path: str | Path, fix: str = "save it as CSV.", **options: Any) -> pd.DataFrame:
    """A CSV (or TSV) file as a DataFrame, however a spreadsheet program saved it: UTF-8
    with or without a byte-order mark, Windows cp1252, comma, semicolon or tab separated.
    ``options`` go to ``pandas.read_csv``; a file that cannot be read raises
    ``UpstreamError`` naming it, with ``fix``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES:
        raise UpstreamError(
            f"a {suffix} spreadsheet is not read directly",
            path=path,
            fix=f"{SAVE_AS_CSV} and give that file.",
        )
    text = read_text(path)
    try:
        return pd.read_csv(io.StringIO(text), sep=csv_separator(text, suffix), **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UpstreamError(
            f"not a readable CSV ({str(exc).strip()})", path=path, fix=fix
        ) from None


def load_table(path: str | Path) -> pd.DataFrame:
    """A table file as a DataFrame (text files decoded like any other text)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - pyarrow errors vary
            raise UpstreamError(
                f"not a readable parquet file ({exc.__class__.__name__})", path=path
            ) from None
    if suffix != ".jsonl":
        return read_csv_file(path, fix="check the quoting (csv: comma or semicolon, tsv: tab).")
    rows = []
    for line_no, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UpstreamError(
                f"invalid JSON ({exc.msg})",
                path=path,
                where=f"line {line_no}",
                fix="each line must be one JSON object.",
            ) from None
        if not isinstance(row, dict):
            raise UpstreamError(
                "not a JSON object", path=path, where=f"line {line_no}", fix="use {...}."
            )
        rows.append(row)
    return pd.DataFrame(rows)


# Bibliographic export columns (lower case) -> the metadata names RIS and BibTeX records use.
_BIBLIOGRAPHIC_NAMES = {
    "title": "title", "ti": "title", "article title": "title",
    "authors": "authors", "author": "authors", "au": "authors", "author full names": "authors",
    "journal": "journal", "source title": "journal", "jo": "journal", "so": "journal",
    "year": "year", "py": "year", "publication year": "year",
    "keywords": "keywords", "author keywords": "keywords", "kw": "keywords", "de": "keywords",
    "doi": "doi", "di": "doi",
}  # fmt: skip


def _bibliographic_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Export column names as the standard keys; authors and keywords as lists."""
    renamed: dict[str, Any] = {}
    for key, value in metadata.items():
        name = _BIBLIOGRAPHIC_NAMES.get(key.strip().lower(), key)
        if name in renamed and name != key:
            name = key  # two columns map to one name: keep the second as it was
        if name in ("authors", "keywords") and isinstance(value, str):
            value = [part.strip() for part in value.split(";") if part.strip()]
        renamed[name] = value
    return renamed


def _plain(value: Any) -> Any:
    """Cells as plain Python values (numpy scalars unwrapped, whole floats as ints)."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def is_bibliographic(columns: list[str]) -> bool:
    """True when a table's columns look like a bibliographic export (title, abstract, ...)."""
    names = {str(c).lower() for c in columns}
    return len(names & _BIBLIOGRAPHIC) >= 2 or "abstract" in names or "ab" in names


def read_table(
    path: str | Path, text_column: str | None = None, id_column: str | None = None
) -> tuple[list[Record], bool]:
    """The rows of a table as records, and whether it looks bibliographic.

    In a bibliographic export, columns such as ``Title``, ``Authors``, ``Source title``,
    ``Publication Year`` become ``title``, ``authors`` (a list), ``journal``, ``year``.

    Raises ``UpstreamError`` naming the columns found when there is no text column.
    """
    path = Path(path)
    frame = load_table(path)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if text_column == "text" and "text" not in columns:
        text_column = None  # the default name, spelled out: recognised export names still count
    if text_column is not None:
        if text_column not in columns:
            raise UpstreamError(
                f"no column {text_column!r}; columns found: {columns}",
                path=path,
                fix="pass --text-column with one of these.",
            )
        text_col = text_column
    else:
        text_col = next((c for c in TEXT_COLUMNS if c in columns), None)
        if text_col is None:
            raise UpstreamError(
                f"no text column; columns found: {columns}",
                path=path,
                fix="name the column that holds the text with --text-column COL "
                "(or text_column in the config).",
            )
    if id_column is not None and id_column not in columns:
        raise UpstreamError(
            f"no id column {id_column!r}; columns found: {columns}",
            path=path,
            fix="pass --id-column with one of these, or leave it out to number the rows.",
        )
    id_col = id_column or next((c for c in ID_COLUMNS if c in columns), None)
    bibliographic = is_bibliographic(columns)
    records = []
    for row_no, row in enumerate(frame.to_dict("records"), start=1):
        text = row.get(text_col)
        record_id = (
            str(_plain(row[id_col]))
            if id_col and not _missing(row.get(id_col))
            else f"{path.stem}-{row_no}"
        )
        metadata = {
            key: _plain(value)
            for key, value in row.items()
            if key not in (text_col, id_col) and not _missing(value)
        }
        if bibliographic:
            metadata = _bibliographic_metadata(metadata)
        if "year" in metadata:
            metadata["year"] = parse_year(metadata["year"])
        if bibliographic:  # an export's abstract: placeholders, copyright lines, fallback
            keywords = metadata.get("keywords") or []
            records.append(
                paper_record(
                    record_id,
                    metadata,
                    "" if _missing(text) else str(text),
                    str(metadata.get("title", "")),
                    keywords if isinstance(keywords, list) else [str(keywords)],
                )
            )
            continue
        if _missing(text):
            records.append(Record(record_id, "", metadata, warning=f"row {row_no} has no text"))
            continue
        records.append(Record(record_id, str(text), metadata))
    return records, bibliographic
