"""The demo corpus (corpora/demo), checked the way a researcher trying the toolkit would.

A researcher relies on the demo to try every stage, so it must ingest cleanly with the
project's own readers, hold the promised mix of formats, groups and disciplines, read as
distinct voices (next to no sentences shared between documents), and have gold coding that can be
traced to participant speech character for character. The privacy key must list names that
really occur, or the de-identification tests that use it prove nothing.

It also covers the former tests/test_demo_papers.py (exports parse with standard
parsers, distinct abstracts of a sensible length, PDFs with a text layer, each gold quote
found exactly once in its record).
"""

from __future__ import annotations

import csv
import fnmatch
import re
from collections import Counter, defaultdict
from pathlib import Path

import bibtexparser
import pandas as pd
import pytest
import rispy
from pypdf import PdfReader

from upstreamnlp.corpus import PARTICIPANT, Corpus, Document, read_corpus

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
THEMES = {"prevention", "population", "social_determinants", "grassroots", "other"}
LOCATIONS = {"determinant", "action", "both", "neither"}
GROUPS = {"researcher", "practitioner", "public"}
TRANSCRIPT_SUFFIXES = {".txt", ".docx", ".vtt"}
EXPORTS = {".ris", ".bib", ".csv"}
# Files that sit in the corpus folder but are not documents (relative to corpora/demo).
NOT_DOCUMENTS = (
    "README.md",
    "manifest.csv",
    "PRIVACY_KEY.csv",
    "gold_coding.csv",
    "tools/*.py",
    "_parts/*.csv",
)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return read_corpus([DEMO], manifest=DEMO / "manifest.csv")


@pytest.fixture(scope="module")
def docs(corpus: Corpus) -> dict[str, Document]:
    return {doc.id: doc for doc in corpus.documents}


@pytest.fixture(scope="module")
def transcripts(corpus: Corpus) -> list[Document]:
    return [doc for doc in corpus.documents if doc.kind == "transcript"]


@pytest.fixture(scope="module")
def gold() -> pd.DataFrame:
    return pd.read_csv(DEMO / "gold_coding.csv", dtype={"text": str}, keep_default_na=False)


def _suffix(doc: Document) -> str:
    return Path(doc.source).suffix.lower()


def _group(doc: Document) -> str:
    return doc.metadata.get("role") or "papers"


def _sentences(text: str) -> list[str]:
    """A simple splitter: after . ! or ? followed by whitespace."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


# --- ingestion ---------------------------------------------------------------------------
def test_corpus_ingests_without_warnings_or_skipped_documents(corpus: Corpus) -> None:
    assert corpus.warnings == []
    for file, reason in corpus.skipped:
        relative = Path(file).resolve().relative_to(DEMO).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in NOT_DOCUMENTS), (
            f"{relative} skipped: {reason}"
        )
    # every file under transcripts/ and papers/ became at least one document
    sources = {Path(doc.source).resolve() for doc in corpus.documents}
    on_disk = {
        p.resolve() for folder in ("transcripts", "papers") for p in (DEMO / folder).rglob("*")
    }
    assert {p for p in on_disk if p.is_file()} == sources


def test_every_manifest_row_names_an_existing_file_and_document(docs: dict[str, Document]) -> None:
    manifest = pd.read_csv(DEMO / "manifest.csv", dtype=str, keep_default_na=False)
    assert list(manifest.columns[:2]) == ["file", "doc_id"]
    for row in manifest.itertuples():
        assert (DEMO / row.file).is_file(), row.file
        doc_id = row.doc_id or Path(row.file).stem
        assert doc_id in docs, doc_id
        assert Path(docs[doc_id].source).resolve() == (DEMO / row.file).resolve()
    assert len(manifest) == len(docs)


# --- formats, groups, disciplines --------------------------------------------------------
def test_formats(corpus: Corpus, transcripts: list[Document]) -> None:
    formats = Counter(_suffix(doc) for doc in transcripts)
    assert len(transcripts) >= 24
    assert set(formats) == TRANSCRIPT_SUFFIXES, formats
    assert formats[".docx"] >= 4 and formats[".vtt"] >= 3
    assert formats[".txt"] == len(transcripts) - formats[".docx"] - formats[".vtt"]

    papers = [doc for doc in corpus.documents if doc.kind == "paper"]
    abstracts = [doc for doc in papers if _suffix(doc) in EXPORTS]
    assert len(abstracts) >= 80
    assert {_suffix(doc) for doc in abstracts} == EXPORTS
    assert len({doc.id for doc in abstracts}) == len(abstracts)
    assert len({doc.text for doc in abstracts}) == len(abstracts), "an abstract is repeated"
    assert all(150 <= len(doc.text.split()) <= 300 for doc in abstracts)
    assert {doc.kind for doc in corpus.documents} == {"transcript", "paper"}


def test_pdfs_have_a_text_layer(corpus: Corpus) -> None:
    pdfs = sorted((DEMO / "papers" / "pdf").glob("*.pdf"))
    assert len(pdfs) >= 2
    ingested = {Path(doc.source).name: doc for doc in corpus.documents if _suffix(doc) == ".pdf"}
    for pdf in pdfs:
        layer = " ".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
        assert 600 <= len(layer.split()) <= 1000, pdf.name
        assert "upstream" in ingested[pdf.name].text


def test_exports_parse_with_standard_parsers(corpus: Corpus) -> None:
    """Zotero-style parsers see the same records as the toolkit (none dropped or merged)."""
    with open(DEMO / "papers" / "scopus_export.ris", encoding="utf-8") as handle:
        ris = [entry["id"] for entry in rispy.load(handle) if entry.get("abstract")]
    bib = bibtexparser.loads((DEMO / "papers" / "wos_export.bib").read_text(encoding="utf-8"))
    bib_ids = [entry["ID"] for entry in bib.entries if entry.get("abstract")]
    with open(DEMO / "papers" / "pubmed_export.csv", encoding="utf-8", newline="") as handle:
        pubmed = [row["id"] for row in csv.DictReader(handle) if row["Abstract"]]
    by_file = defaultdict(list)
    for doc in corpus.documents:
        by_file[Path(doc.source).name].append(doc.id)
    assert by_file["scopus_export.ris"] == ris
    assert by_file["wos_export.bib"] == bib_ids
    assert by_file["pubmed_export.csv"] == pubmed


def test_roles_and_disciplines(corpus: Corpus, transcripts: list[Document]) -> None:
    for doc in transcripts:
        assert doc.metadata.get("role") in GROUPS, doc.id
        assert doc.metadata.get("discipline"), doc.id
    assert Counter(doc.metadata["role"] for doc in transcripts) == dict.fromkeys(GROUPS, 8)
    papers = [doc for doc in corpus.documents if doc.kind == "paper"]
    assert all(doc.metadata.get("discipline") and doc.metadata.get("year") for doc in papers)
    assert len({doc.metadata["discipline"] for doc in papers}) >= 6
    assert all(2005 <= int(doc.metadata["year"]) <= 2021 for doc in papers)
    assert all(2016 <= int(doc.metadata["year"]) <= 2021 for doc in transcripts)  # the study


def test_transcripts_are_800_to_2000_words(transcripts: list[Document]) -> None:
    lengths = {doc.id: len(doc.text.split()) for doc in transcripts}
    assert all(800 <= n <= 2000 for n in lengths.values()), lengths


def test_at_most_one_percent_of_sentences_recur_across_documents(corpus: Corpus) -> None:
    where: dict[str, set[str]] = defaultdict(set)
    for doc in corpus.documents:
        for sentence in _sentences(doc.text):
            if len(sentence.split()) >= 4:
                where[sentence].add(doc.id)
    repeated = {s: sorted(ids) for s, ids in where.items() if len(ids) > 1}
    assert len(where) > 1000
    assert len(repeated) <= 0.01 * len(where), list(repeated.items())[:10]


# --- gold coding -------------------------------------------------------------------------
def test_gold_rows_are_valid_and_traceable(gold: pd.DataFrame, docs: dict[str, Document]) -> None:
    assert list(gold.columns) == [
        "gold_id",
        "doc_id",
        "start_char",
        "end_char",
        "theme",
        "determinant_or_action",
        "text",
    ]
    assert len(gold) >= 300
    assert gold["gold_id"].is_unique
    assert set(gold["theme"]) == THEMES
    assert set(gold["determinant_or_action"]) == LOCATIONS
    for row in gold.itertuples():
        text = docs[row.doc_id].text
        assert text[row.start_char : row.end_char] == row.text, row.gold_id
        assert text.count(row.text) == 1, f"{row.gold_id}: quote is not unique in {row.doc_id}"


def test_every_group_has_every_theme(gold: pd.DataFrame, docs: dict[str, Document]) -> None:
    groups = gold["doc_id"].map(lambda doc_id: _group(docs[doc_id]))
    for group in GROUPS | {"papers"}:
        rows = gold[groups == group]
        assert set(rows["theme"]) == THEMES, group
        assert {"determinant", "action"} <= set(rows["determinant_or_action"]), group


def test_gold_passages_in_transcripts_are_participant_speech(
    corpus: Corpus, gold: pd.DataFrame, docs: dict[str, Document]
) -> None:
    segments = defaultdict(list)
    for segment in corpus.segments:
        segments[segment.doc_id].append(segment)
    checked = 0
    for row in gold.itertuples():
        if docs[row.doc_id].kind != "transcript":
            continue
        overlapping = [
            s
            for s in segments[row.doc_id]
            if s.start_char < row.end_char and s.end_char > row.start_char
        ]
        assert overlapping, row.gold_id
        roles = {s.speaker_role for s in overlapping}
        assert roles == {PARTICIPANT}, f"{row.gold_id} ({row.doc_id}) overlaps {roles}"
        checked += 1
    assert checked >= 200


# --- privacy key -------------------------------------------------------------------------
def test_every_privacy_key_term_occurs_in_the_corpus(corpus: Corpus) -> None:
    key = pd.read_csv(DEMO / "PRIVACY_KEY.csv", dtype=str, keep_default_na=False)
    assert list(key.columns) == ["term", "type"]
    assert key["term"].is_unique and len(key) >= 50
    assert set(key["type"]) <= {"person", "place", "organisation"}
    texts = [doc.text for doc in corpus.documents]
    missing = [term for term in key["term"] if not any(term in text for text in texts)]
    assert missing == []
