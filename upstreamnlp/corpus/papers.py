"""Papers: PDFs (text layer) and bibliographic exports (RIS, BibTeX), one record per paper.

For an export the document text is the abstract; a record without one falls back to
title + keywords, with a warning, so it still counts but the researcher knows why it
is thin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from upstreamnlp.errors import UpstreamError


@dataclass
class Record:
    """One paper from an export: its id, its text (the abstract) and its metadata."""

    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    warning: str | None = None


def parse_year(value: Any) -> int | Any:
    """The first four-digit year in ``value`` as an int ("2019///" -> 2019), else ``value``."""
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    match = re.search(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)", str(value))
    return int(match.group(1)) if match else value


_PAGE_NUMBER = re.compile(r"^\s*(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\s*$", re.I)
_REFERENCES = re.compile(
    r"^\s*(?:\d{1,2}\.?\s*)?(?:references?|reference list|bibliography|literature cited|"
    r"works cited|cited literature)\s*:?\s*$",
    re.I | re.M,
)
_HYPHENATED = re.compile(r"(\w+)-\n(\w+)")


@dataclass
class PdfText:
    """A PDF's text as the corpus reads it, and what was taken out of it (``notes``)."""

    text: str
    notes: list[str] = field(default_factory=list)


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Running headers and footers: a line among the first or last two of a page that
    recurs, digits aside, on at least 3 pages and half of them."""
    if len(pages) < 3:
        return set()
    seen: dict[str, int] = {}
    for lines in pages:
        edge = {re.sub(r"\d+", "#", line.strip()) for line in lines[:2] + lines[-2:]}
        for key in edge - {""}:
            seen[key] = seen.get(key, 0) + 1
    return {key for key, n in seen.items() if n >= 3 and n * 2 >= len(pages)}


def _join_hyphenated(text: str) -> str:
    """Words broken across lines with a hyphen: joined ("determi-\\nnants" ->
    "determinants") when the paper spells the joined word elsewhere, kept as one
    hyphenated word ("community-\\nled" -> "community-led") when it spells that elsewhere
    or when both halves are whole words of three letters or more; else joined."""
    words = {w.lower() for w in re.findall(r"[\w-]+", text)}

    def join(match: re.Match) -> str:
        first, second = match.group(1), match.group(2)
        joined, hyphenated = first + second, f"{first}-{second}"
        if joined.lower() in words:
            return joined
        if hyphenated.lower() in words or (
            len(first) >= 3
            and len(second) >= 3
            and first.lower() in words
            and second.lower() in words
        ):
            return hyphenated
        return joined

    return _HYPHENATED.sub(join, text)


def clean_pdf_pages(pages: list[str], keep_references: bool = False) -> PdfText:
    """The pages' text as one document: page numbers and running headers/footers
    removed, words hyphenated at a line end joined (``_join_hyphenated``), pages
    separated by a blank line, and the reference list (from the last "References" /
    "Bibliography" heading in the second half of the text to the end) dropped unless
    ``keep_references``: cited titles and journal names are not the paper's argument."""
    notes: list[str] = []
    split = [page.split("\n") for page in pages]
    running = _running_lines(split)
    dropped = 0
    kept_pages = []
    for lines in split:
        kept = []
        for line in lines:
            if _PAGE_NUMBER.match(line) or re.sub(r"\d+", "#", line.strip()) in running:
                dropped += bool(line.strip())
                continue
            kept.append(line)
        page = "\n".join(kept).strip()
        if page:
            kept_pages.append(page)
    if dropped:
        notes.append(f"{dropped} page-number or running header/footer line(s) removed")
    text = _join_hyphenated("\n\n".join(kept_pages))
    if not keep_references:
        headings = [m for m in _REFERENCES.finditer(text) if m.start() >= len(text) / 2]
        if headings:
            cut = headings[-1].start()
            notes.append(
                f"reference list removed ({len(text) - cut} characters from "
                f"'{headings[-1].group(0).strip()}' to the end)"
            )
            text = text[:cut].rstrip()
    return PdfText(text, notes)


def read_pdf(path: str | Path, keep_references: bool = False) -> PdfText:
    """The text layer of a PDF, cleaned by ``clean_pdf_pages``.

    Raises ``UpstreamError`` with reason "no text layer (scanned?)" when no page has text,
    or "corrupt or unreadable PDF" when pypdf cannot open it.
    """
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf logs every odd xref
    try:
        reader = PdfReader(str(path))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on broken files
        raise UpstreamError(
            f"corrupt or unreadable PDF ({exc.__class__.__name__})", path=path
        ) from None
    if not any(p.strip() for p in pages):
        raise UpstreamError("no text layer (scanned?)", path=path)
    return clean_pdf_pages(pages, keep_references=keep_references)


_LATEX_STYLE = re.compile(
    r"\\(?:textit|textbf|textsc|textrm|textsf|texttt|textup|textnormal|emph|mathrm|mathit|"
    r"mathbf|mbox|text|underline|uppercase|lowercase)\s*\{((?:[^{}]|\{[^{}]*\})*)\}"
)
_LATEX_DASHES = (("---", "\u2014"), ("--", "\u2013"), ("``", "\u201c"), ("''", "\u201d"))


def latex_text(value: str) -> str:
    """BibTeX field text as a reader sees it: LaTeX accents and escapes as characters
    (``M{\\"u}ller`` -> Müller, ``50\\%`` -> 50%, ``\\&`` -> &), style commands
    unwrapped (``\\textit{people}`` -> people), math ``$...$`` delimiters dropped,
    ``---``/``--`` as dashes, ``~`` as a space. Zotero, JabRef and database exports
    escape so; left as they were, ``\\textitpeople`` and ``M\\"uller`` became words."""
    from bibtexparser.latexenc import latex_to_unicode

    text = value.replace("\\LaTeX", "LaTeX").replace("\\TeX", "TeX")
    while True:
        unwrapped = _LATEX_STYLE.sub(r"\1", text)
        if unwrapped == text:
            break
        text = unwrapped
    text = text.replace("\\$", "\x00")  # an escaped dollar is a dollar; the others are math
    text = latex_to_unicode(text.replace("$", "")).replace("\x00", "$")
    for latex, character in _LATEX_DASHES:
        text = text.replace(latex, character)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text.replace("~", " "))
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.replace("{", "").replace("}", "").split())
    if isinstance(value, list):
        return [_clean(v) for v in value if str(v).strip()]
    return value


_NO_ABSTRACT = re.compile(
    r"^\W*(?:no abstract(?: available)?|abstract(?: is)? not available|not available|n/?a|none)"
    r"\W*$",
    re.I,
)
_COPYRIGHT = re.compile(r"(?:(?:crown\s+)?copyright\b|\u00a9|\(c\)\s*(?:19|20)\d\d)", re.I)


def clean_abstract(text: str) -> str:
    """An export's abstract without what is not the paper's: a placeholder
    ("[No abstract available]", as Scopus writes) is no abstract, and a publisher's
    closing copyright line ("(C) 2021 Elsevier Ltd. All rights reserved.", "Copyright (C)
    The Authors ...") is cut when it starts in the last 400 characters of the second half."""
    text = " ".join(str(text).split())
    if _NO_ABSTRACT.match(text):
        return ""
    for match in _COPYRIGHT.finditer(text):
        if match.start() >= max(len(text) / 2, len(text) - 400):
            return text[: match.start()].rstrip()
    return text


def paper_record(
    record_id: str, fields: dict[str, Any], abstract: str, title: str, keywords: list[str]
) -> Record:
    """One exported paper: its abstract cleaned (``clean_abstract``), or, with none, its
    title and keywords with a warning; empty metadata dropped, the year as a number."""
    metadata = {k: v for k, v in fields.items() if v not in (None, "", [])}
    if "year" in metadata:
        metadata["year"] = parse_year(metadata["year"])
    abstract = clean_abstract(abstract)
    if abstract.strip():
        return Record(record_id, abstract.strip(), metadata)
    fallback = ". ".join(x for x in [title.strip(), "; ".join(keywords)] if x)
    return Record(
        record_id,
        fallback,
        metadata,
        warning=f"record {record_id} has no abstract: using title and keywords",
    )


_RIS_RENAME = {
    "primary_title": "title",
    "first_authors": "authors",
    "journal_name": "journal",
    "secondary_title": "journal",
    "alternate_title3": "journal",
    "alternate_title1": "journal_abbreviation",
    "publication_year": "year",
}


def read_ris(text: str, stem: str, path: str | Path = "") -> list[Record]:
    """Records of a RIS export; id from ``ID``, else ``AN`` or ``DO``, else ``<stem>-<n>``."""
    import rispy

    try:
        entries = rispy.loads(text)
    except Exception as exc:  # noqa: BLE001 - rispy raises plain Exceptions
        raise UpstreamError(f"not a readable RIS file ({exc})", path=path) from None
    records = []
    for n, entry in enumerate(entries, start=1):
        fields: dict[str, Any] = {}
        for key, value in entry.items():
            key = _RIS_RENAME.get(key, key)
            if key in ("abstract", "id", "type_of_reference") or key in fields:
                continue
            fields[key] = _clean(value)
        if "type_of_reference" in entry:
            fields["type"] = entry["type_of_reference"]
        record_id = str(
            entry.get("id") or entry.get("accession_number") or entry.get("doi") or f"{stem}-{n}"
        ).strip()
        keywords = fields.get("keywords") or []
        records.append(
            paper_record(
                record_id,
                fields,
                _clean(entry.get("abstract") or entry.get("notes_abstract") or ""),
                str(fields.get("title", "")),
                keywords if isinstance(keywords, list) else [str(keywords)],
            )
        )
    return records


def read_bibtex(text: str, stem: str, path: str | Path = "") -> list[Record]:
    """Records of a BibTeX file (bibtexparser 1.4); id is the citation key."""
    import bibtexparser
    from bibtexparser.bparser import BibTexParser

    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    try:
        database = bibtexparser.loads(text, parser=parser)
    except Exception as exc:  # noqa: BLE001 - pyparsing errors vary
        raise UpstreamError(f"not a readable BibTeX file ({exc})", path=path) from None
    records = []
    for n, entry in enumerate(database.entries, start=1):
        fields: dict[str, Any] = {}
        for key, value in entry.items():
            if key in ("ID", "ENTRYTYPE", "abstract"):
                continue
            fields[key.lower()] = _clean(latex_text(value))
        if "author" in fields:
            fields["authors"] = [a.strip() for a in fields.pop("author").split(" and ")]
        if "journaltitle" in fields and "journal" not in fields:
            fields["journal"] = fields.pop("journaltitle")
        keywords = [k.strip() for k in re.split(r"[;,]", fields.get("keywords", "")) if k.strip()]
        if keywords:
            fields["keywords"] = keywords
        fields["type"] = entry.get("ENTRYTYPE", "")
        records.append(
            paper_record(
                str(entry.get("ID") or f"{stem}-{n}"),
                fields,
                _clean(latex_text(entry.get("abstract", ""))),
                str(fields.get("title", "")),
                keywords,
            )
        )
    return records


# --- tagged exports: PubMed MEDLINE (.nbib) and Web of Science plain text ---------------
_MEDLINE_LINE = re.compile(r"^([A-Z0-9]{2,4})\s*- (.*)$")
_WOS_LINE = re.compile(r"^([A-Z][A-Z0-9]) (.*)$")
_WOS_LISTS = {"AU", "AF", "CR", "BE", "C1"}  # one value per line


def looks_like_medline(text: str) -> bool:
    """PubMed's MEDLINE format ("Send to: Citation manager", .nbib or .txt)."""
    return bool(re.search(r"^PMID- ", text, re.M) and re.search(r"^(?:TI|AB)  - ", text, re.M))


def looks_like_wos(text: str) -> bool:
    """Web of Science's plain-text export ("FN Clarivate ...", records closed by "ER")."""
    return text.lstrip("\ufeff").startswith("FN ") and bool(re.search(r"^ER\s*$", text, re.M))


def _tagged(text: str, medline: bool) -> list[dict[str, list[str]]]:
    """Records of a tagged export as tag -> values. A continuation line (indented) goes
    on the last value, except in Web of Science's list tags (authors), one per line."""
    records: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] = {}
    tag = None
    for line in text.replace("\ufeff", "").split("\n"):
        if not line.strip():
            if medline and current:
                records.append(current)
                current, tag = {}, None
            continue
        if not medline and line.strip() in ("ER", "EF"):
            if current:
                records.append(current)
            current, tag = {}, None
            continue
        match = (_MEDLINE_LINE if medline else _WOS_LINE).match(line)
        if match and not line[0].isspace():
            tag = match.group(1)
            if medline and tag == "PMID" and current:
                records.append(current)
                current = {}
            current.setdefault(tag, []).append(match.group(2).strip())
        elif tag is not None and line[0].isspace():
            if not medline and tag in _WOS_LISTS:
                current[tag].append(line.strip())
            else:
                current[tag][-1] += " " + line.strip()
    if current:
        records.append(current)
    return [r for r in records if set(r) - {"FN", "VR"}]


def read_medline(text: str, stem: str, path: str | Path = "") -> list[Record]:
    """Records of a PubMed MEDLINE export; id is the PMID."""
    records = []
    for n, tags in enumerate(_tagged(text, medline=True), start=1):
        first = {tag: values[0] for tag, values in tags.items()}
        doi = next(
            (v.split()[0] for v in tags.get("AID", []) + tags.get("LID", []) if "[doi]" in v), None
        )
        fields = {
            "title": first.get("TI", ""),
            "authors": tags.get("FAU") or tags.get("AU") or [],
            "journal": first.get("JT") or first.get("TA", ""),
            "year": parse_year(first["DP"]) if first.get("DP") else None,
            "doi": doi,
            "keywords": tags.get("OT", []),
            "mesh": tags.get("MH", []),
            "type": first.get("PT", ""),
        }
        records.append(
            paper_record(
                first.get("PMID") or f"{stem}-{n}",
                fields,
                " ".join(tags.get("AB", [])),
                fields["title"],
                fields["keywords"],
            )
        )
    if not records:
        raise UpstreamError("no MEDLINE records (PMID- lines) found", path=path)
    return records


def read_wos(text: str, stem: str, path: str | Path = "") -> list[Record]:
    """Records of a Web of Science plain-text export; id is the accession number (UT)."""
    records = []
    for n, tags in enumerate(_tagged(text, medline=False), start=1):
        first = {tag: values[0] for tag, values in tags.items()}
        keywords = [k.strip() for k in re.split(r";", first.get("DE", "")) if k.strip()]
        fields = {
            "title": first.get("TI", ""),
            "authors": tags.get("AF") or tags.get("AU") or [],
            "journal": first.get("SO", ""),
            "year": parse_year(first.get("PY", "")) if first.get("PY") else None,
            "doi": first.get("DI"),
            "keywords": keywords,
            "type": first.get("DT", ""),
        }
        records.append(
            paper_record(
                first.get("UT") or first.get("DI") or f"{stem}-{n}",
                fields,
                first.get("AB", ""),
                fields["title"],
                keywords,
            )
        )
    if not records:
        raise UpstreamError("no Web of Science records (closed by ER lines) found", path=path)
    return records
