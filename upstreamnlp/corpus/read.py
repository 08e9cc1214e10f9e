"""``read_corpus``: files and folders -> a segmented ``Corpus``.

Each file is read by the reader for its type (transcripts, papers, exports, tables);
a file that cannot be used is recorded in ``corpus.skipped`` with the reason and never
stops the others. Warnings (no abstract, duplicate ids, missing manifest files, ...)
go to ``corpus.warnings`` and to the ``upstreamnlp.corpus`` logger.
"""

from __future__ import annotations

import fnmatch
import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from upstreamnlp.corpus.encoding import normalise_newlines, read_text
from upstreamnlp.corpus.manifest import Manifest, read_manifest
from upstreamnlp.corpus.model import INTERVIEWER, Corpus, Document, DocumentKind, Segment
from upstreamnlp.corpus.papers import (
    Record,
    looks_like_medline,
    looks_like_wos,
    read_bibtex,
    read_medline,
    read_pdf,
    read_ris,
    read_wos,
)
from upstreamnlp.corpus.segment import SegmentationOptions, segment_paper, segment_transcript
from upstreamnlp.corpus.tables import (
    SAVE_AS_CSV,
    SPREADSHEET_SUFFIXES,
    TABLE_SUFFIXES,
    TEXT_COLUMNS,
    read_table,
)
from upstreamnlp.corpus.transcripts import (
    Turn,
    find_turns,
    parse_subtitles,
    read_docx_text,
    subtitles_to_transcript,
)
from upstreamnlp.errors import UpstreamError

logger = logging.getLogger("upstreamnlp.corpus")

NOT_A_DOCUMENT = "not a document (manifest/key/coding file)"
#: File names (lower case, shell patterns) that sit beside documents but are not documents:
#: manifests, de-identification keys, human coding. Skipped with ``NOT_A_DOCUMENT``.
NOT_DOCUMENT_NAMES: tuple[str, ...] = (
    "manifest.csv",
    "manifest*.csv",
    "*privacy*.csv",
    "*privacy_key*",
    "*privacy-key*",
    "*_key.csv",
    "*-key.csv",
    "key.csv",
    "*deidentification_key*",
    "gold_coding*",
    "gold-coding*",
    "*_coding.csv",
    "codebook*.csv",
)
#: Read-me files, skipped with the reason "not a document (read-me)".
README_NAMES: tuple[str, ...] = ("readme", "readme.md", "readme.txt", "readme.rst")

TEXT_SUFFIXES = (".txt", ".md")
SUBTITLE_SUFFIXES = (".vtt", ".srt")
TAGGED_SUFFIXES = (".nbib", ".medline")  # PubMed's citation-manager export
SUPPORTED_SUFFIXES = (
    TEXT_SUFFIXES
    + SUBTITLE_SUFFIXES
    + TAGGED_SUFFIXES
    + (".docx", ".odt", ".pdf", ".ris", ".bib")
    + TABLE_SUFFIXES
)
# How to make a file of a common type this reader does not read into one it does.
_CONVERT = {
    **dict.fromkeys(
        (".doc", ".rtf", ".pages", ".wpd"),
        "save it as .docx (or .txt) from your word processor",
    ),
    **dict.fromkeys(SPREADSHEET_SUFFIXES, SAVE_AS_CSV),
    **dict.fromkeys((".enl", ".enlx"), "export the EndNote library as RIS (.ris) or BibTeX"),
    **dict.fromkeys((".htm", ".html", ".xml"), "save the text as .txt"),
}
# Folder names that say what their files are when the file itself does not.
_PAPER_FOLDERS = frozenset({"papers", "paper", "literature", "articles", "review"})
_TRANSCRIPT_FOLDERS = frozenset({"transcripts", "transcript", "interviews"})


@dataclass
class _Pending:
    """A document read from a file, before manifest metadata and segmentation."""

    file: Path
    original_id: str
    document: Document
    turns: list[Turn] | None  # None: not (yet) known to be a transcript
    record: bool  # one record of an export or table
    labelled: bool  # speaker labels found (or subtitle speakers)
    thin: bool = False  # an exported record without an abstract (title and keywords)


class _Reader:
    def __init__(
        self,
        text_column: str | None,
        id_column: str | None,
        options: SegmentationOptions,
        corpus: Corpus,
    ) -> None:
        self.text_column = text_column
        self.id_column = id_column
        self.options = options
        self.corpus = corpus

    def warn(self, file: Path | str, message: str) -> None:
        self.corpus.warnings.append((str(file), message))
        logger.warning("%s: %s", file, message)

    # --- one file -> pending documents ------------------------------------------------
    def read_file(self, path: Path) -> list[_Pending]:
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise UpstreamError(
                f"unsupported file type {suffix or '(no extension)'!r}",
                fix=_CONVERT.get(suffix),
            )
        if path.stat().st_size == 0:
            raise UpstreamError("empty file")
        if suffix in TAGGED_SUFFIXES:
            return self._records(path, read_medline(read_text(path), path.stem, path), "paper")
        if suffix in TEXT_SUFFIXES:
            text = read_text(path)
            # a bibliographic export saved as .txt: PubMed MEDLINE, Web of Science plain text
            if looks_like_medline(text):
                return self._records(path, read_medline(text, path.stem, path), "paper")
            if looks_like_wos(text):
                return self._records(path, read_wos(text, path.stem, path), "paper")
            return [self._full_text(path, text, default_kind=None)]
        if suffix == ".docx":
            try:
                text = normalise_newlines(read_docx_text(path))
            except Exception as exc:  # noqa: BLE001 - zipfile/lxml errors on broken files
                raise UpstreamError(
                    f"corrupt or unreadable .docx ({exc.__class__.__name__})"
                ) from None
            return [self._full_text(path, text, default_kind=None)]
        if suffix == ".odt":  # LibreOffice Writer
            from upstreamnlp.corpus.opendocument import odt_text

            return [self._full_text(path, normalise_newlines(odt_text(path)), default_kind=None)]
        if suffix == ".pdf":
            pdf = read_pdf(path, keep_references=self.options.pdf_references == "keep")
            for note in pdf.notes:  # what cleaning took out (page numbers, references)
                logger.info("%s: %s", path, note)
            return [self._full_text(path, normalise_newlines(pdf.text), "paper")]
        if suffix in SUBTITLE_SUFFIXES:
            return [self._subtitles(path)]
        if suffix == ".ris":
            return self._records(path, read_ris(read_text(path), path.stem, path), "paper")
        if suffix == ".bib":
            return self._records(path, read_bibtex(read_text(path), path.stem, path), "paper")
        records, bibliographic = read_table(path, self.text_column, self.id_column)
        return self._records(path, records, "paper" if bibliographic else "other")

    def _full_text(self, path: Path, text: str, default_kind: DocumentKind | None) -> _Pending:
        if not text.strip():
            raise UpstreamError("empty file")
        turns = find_turns(text)
        labelled = len(turns) >= 2
        folder = path.parent.name.lower()
        if default_kind is None:
            if labelled:
                default_kind = "transcript"
            elif folder in _TRANSCRIPT_FOLDERS:
                default_kind = "transcript"
            elif folder in _PAPER_FOLDERS:
                default_kind = "paper"
            else:
                default_kind = "other"
        document = Document(id=path.stem, text=text, kind=default_kind, source=str(path))
        return _Pending(path, path.stem, document, turns, record=False, labelled=labelled)

    def _subtitles(self, path: Path) -> _Pending:
        cues = parse_subtitles(read_text(path))
        if not cues:
            raise UpstreamError("no subtitle cues with text")
        text, turns = subtitles_to_transcript(cues, self.options.merge_same_speaker)
        labelled = any(t.speaker for t in turns)
        document = Document(id=path.stem, text=text, kind="transcript", source=str(path))
        return _Pending(path, path.stem, document, turns, record=False, labelled=labelled)

    def _records(self, path: Path, records: list[Record], kind: DocumentKind) -> list[_Pending]:
        pending = []
        for record in records:
            if not record.text.strip():
                self.warn(path, f"{record.warning or f'record {record.id} has no text'}: left out")
                continue
            if record.warning:
                self.warn(path, record.warning)
            document = Document(
                id=record.id,
                text=normalise_newlines(record.text),
                kind=kind,
                source=str(path),
                metadata=dict(record.metadata),
            )
            pending.append(
                _Pending(
                    path,
                    record.id,
                    document,
                    None,
                    record=True,
                    labelled=False,
                    thin=record.warning is not None,
                )
            )
        if not pending:
            raise UpstreamError("no records with text")
        return pending


def _is_hidden(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts if path != root else (path.name,)
    return any(p.startswith((".", "~$", "__")) for p in parts)


def _skip_reason(path: Path, manifest_path: Path | None) -> str | None:
    name = path.name.lower()
    if manifest_path is not None and path.resolve() == manifest_path:
        return NOT_A_DOCUMENT
    if name in README_NAMES:
        return "not a document (read-me)"
    if any(fnmatch.fnmatch(name, pattern) for pattern in NOT_DOCUMENT_NAMES):
        return NOT_A_DOCUMENT
    if path.suffix.lower() in (".csv", ".tsv") and _looks_like_manifest(path):
        return NOT_A_DOCUMENT
    return None


def _looks_like_manifest(path: Path) -> bool:
    """A CSV with a ``file`` column and no text column describes files; it is not one."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
        header = pd.read_csv(io.BytesIO(head), nrows=0, sep=None, engine="python")
    except Exception:  # noqa: BLE001 - unreadable tables are reported by the reader
        return False
    columns = {str(c).strip() for c in header.columns}
    return "file" in columns and not columns & set(TEXT_COLUMNS)


def _collect_files(paths: Sequence[Path], manifest_path: Path | None, corpus: Corpus) -> list[Path]:
    files: list[Path] = []
    seen: set[Path] = set()
    for root in paths:
        if not root.exists():
            raise UpstreamError(
                "no such file or folder", path=root, fix="check the path (and its spelling)."
            )
        found = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in found:
            if root.is_dir() and _is_hidden(path, root):
                continue  # .DS_Store, ~$lock files of Word, .git, __pycache__
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            reason = _skip_reason(path, manifest_path)
            if reason:
                corpus.skipped.append((str(path), reason))
                continue
            files.append(path)
    return files


def _paper_key(doc: Document) -> tuple[str, str] | None:
    """What makes two exported records one paper: the DOI (any case, without a doi.org
    prefix), else the title (letters and digits only, at least four words) and year."""
    doi = str(doc.metadata.get("doi") or "").strip().lower()
    doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi)
    if doi:
        return ("DOI", doi)
    title = re.sub(r"[^a-z0-9]+", " ", str(doc.metadata.get("title") or "").lower()).strip()
    if len(title.split()) >= 4:
        return ("title and year", f"{title} ({doc.metadata.get('year', '')})")
    return None


def _drop_duplicate_papers(pending: list[_Pending], reader: _Reader) -> None:
    """The same paper exported from two databases (Scopus and Web of Science, say) counts
    once: of the records sharing a ``_paper_key`` the first with an abstract is kept (else
    the first), the others left out with a warning naming the one kept."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, item in enumerate(pending):
        if item.record and item.document.kind == "paper":
            key = _paper_key(item.document)
            if key is not None:
                groups.setdefault(key, []).append(i)
    dropped: set[int] = set()
    for key, members in groups.items():
        keep = min(members, key=lambda i: (pending[i].thin, i))
        for i in members:
            if i != keep:
                dropped.add(i)
                reader.warn(
                    pending[i].file,
                    f"record {pending[i].original_id} is a duplicate of "
                    f"{pending[keep].original_id} in {pending[keep].file.name} "
                    f"(same {key[0]}): left out",
                )
    pending[:] = [item for i, item in enumerate(pending) if i not in dropped]


def _unique_ids(pending: list[_Pending], reader: _Reader) -> None:
    seen: set[str] = set()
    for item in pending:
        doc = item.document
        if doc.id in seen:
            n = 2
            while f"{doc.id}-{n}" in seen:
                n += 1
            new_id = f"{doc.id}-{n}"
            reader.warn(item.file, f"duplicate document id {doc.id!r}: renamed to {new_id!r}")
            doc.id = new_id
        seen.add(doc.id)


def _apply_manifest(item: _Pending, manifest: Manifest, single: bool) -> None:
    kind, metadata = manifest.lookup(item.file, item.original_id, single)
    item.document.metadata.update(metadata)
    if kind is not None:
        item.document.kind = kind  # type: ignore[assignment]


def _segment(
    item: _Pending,
    options: SegmentationOptions,
    interviewer_labels: Iterable[str] | None,
    reader: _Reader,
) -> list[Segment]:
    doc = item.document
    if doc.kind == "transcript":
        turns = item.turns or []
        if not any(t.speaker for t in turns):
            reader.warn(item.file, "no speaker labels found: read as one participant")
            turns = [Turn(None, 0, len(doc.text))]
        segments = segment_transcript(doc, turns, options, interviewer_labels)
        _check_interviewer(item, turns, segments, reader)
        return segments
    return segment_paper(doc, options, record=item.record)


def _check_interviewer(
    item: _Pending, turns: list[Turn], segments: list[Segment], reader: _Reader
) -> None:
    """A transcript of several speakers none of whom is the interviewer: the questions
    would be modelled as answers. Warn, naming the speaker whose turns are mostly
    questions (e.g. ``Researcher:``), and how to mark it."""
    speakers = list(dict.fromkeys(t.speaker for t in turns if t.speaker))
    if len(speakers) < 2 or any(s.speaker_role == INTERVIEWER for s in segments):
        return
    text = item.document.text
    questions = {
        speaker: [
            text[t.start : t.end].rstrip().endswith("?") for t in turns if t.speaker == speaker
        ]
        for speaker in speakers
    }
    asking = [s for s, q in questions.items() if len(q) >= 2 and sum(q) * 2 > len(q)]
    hint = (
        f"; {', '.join(asking)} mostly ask{'s' if len(asking) == 1 else ''} questions"
        if asking
        else ""
    )
    reader.warn(
        item.file,
        f"no interviewer among the speakers ({', '.join(speakers[:6])}){hint}: their turns "
        "are modelled as answers. If one of them is the interviewer, add its label to "
        "corpus.interviewer_labels (--interviewer-label on ingest)",
    )


def read_corpus(
    paths: str | Path | Iterable[str | Path],
    manifest: str | Path | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    options: SegmentationOptions | None = None,
    interviewer_labels: Iterable[str] | None = None,
    strict: bool = False,
    deduplicate_papers: bool = True,
) -> Corpus:
    """Read files and folders (recursively) into documents and their segments.

    ``manifest``: a CSV adding metadata per file; when not given, a ``manifest.csv`` at
    the top of a folder in ``paths`` is used. ``interviewer_labels`` replaces the default
    set (Interviewer, Int, I, Q, Facilitator, Moderator). ``strict=True`` raises the
    first problem instead of skipping the file. ``deduplicate_papers``: a paper exported
    from several databases (same DOI, or same title and year) is read once
    (``_drop_duplicate_papers``).

    Example::

        corpus = read_corpus(["corpora/demo"], manifest="corpora/demo/manifest.csv")
        for file, reason in corpus.skipped: print(file, reason)
    """
    options = options or SegmentationOptions()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    path_list = [Path(p) for p in paths]
    if manifest is None:
        auto = [p / "manifest.csv" for p in path_list if (p / "manifest.csv").is_file()]
        if len(auto) == 1:
            manifest = auto[0]
            logger.info("using manifest %s", manifest)
    manifest_data = read_manifest(manifest) if manifest is not None else None
    manifest_path = manifest_data.path.resolve() if manifest_data else None
    if not path_list and manifest_data is not None:
        path_list = sorted({row.file for row in manifest_data.rows if row.file.is_file()})

    corpus = Corpus()
    reader = _Reader(text_column, id_column, options, corpus)
    files = _collect_files(path_list, manifest_path, corpus)

    pending: list[_Pending] = []
    for path in files:
        try:
            items = reader.read_file(path)
        except UpstreamError as exc:
            if strict:
                raise
            corpus.skipped.append((str(path), exc.reason()))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the others
            if strict:
                raise
            corpus.skipped.append((str(path), f"unreadable ({exc.__class__.__name__}: {exc})"))
            continue
        if manifest_data is not None:
            for item in items:
                _apply_manifest(item, manifest_data, single=len(items) == 1)
        pending.extend(items)

    if manifest_data is not None:
        _check_manifest(manifest_data, files, pending, reader)
    if deduplicate_papers:
        _drop_duplicate_papers(pending, reader)
    _unique_ids(pending, reader)

    for item in pending:
        corpus.documents.append(item.document)
        corpus.segments.extend(_segment(item, options, interviewer_labels, reader))
    return corpus


def _check_manifest(
    manifest: Manifest, files: list[Path], pending: list[_Pending], reader: _Reader
) -> None:
    read_files = {p.resolve() for p in files}
    for row in manifest.rows:
        where = f"{manifest.path} (line {row.line})"
        if not row.file.exists():
            reader.warn(where, f"file not found: {row.file}")
        elif row.file not in read_files:
            reader.warn(where, f"{row.file} is not among the paths read")
        elif not row.used and any(p.file.resolve() == row.file for p in pending):
            reader.warn(where, f"doc_id {row.doc_id!r} not found in {row.file.name}")
    # files read that no manifest row describes: their documents get no role, discipline
    listed = {row.file for row in manifest.rows}
    unlisted = sorted({p.file for p in pending if p.file.resolve() not in listed})
    for file in unlisted:
        reader.warn(
            file,
            f"not in the manifest {manifest.path.name}: its documents get no metadata "
            "from it (role, discipline, ...); add a row for it",
        )


__all__: list[Any] = ["read_corpus", "NOT_DOCUMENT_NAMES", "README_NAMES", "NOT_A_DOCUMENT"]
