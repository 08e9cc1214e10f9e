"""De-identification: names, places, e-mails, phones, postcodes -> typed placeholders.

Interview data are confidential: participants' names and places must never reach an
output. Each document gets placeholders such as ``[PERSON_1]`` that are consistent within
it (the same name is always the same placeholder; a surname seen in a full name maps to
the full name's placeholder). Titles stay readable: ``Dr Okoro`` -> ``Dr [PERSON_1]``.

Sources of spans, strongest first: the user's privacy list (always wins, even over the
allow-list), patterns (e-mail, UK phone, UK postcode, personal URLs), title + name
(``Councillor Pym``), named speakers (``Dr Smith:``), spaCy NER (PERSON, GPE, LOC, FAC,
optionally ORG). Every name found once is replaced everywhere in its document, since NER
tags only some mentions. ``ALLOW_LIST`` keeps theme vocabulary and cited authors that NER
tends to tag (NHS, Sure Start, Marmot, Dahlgren, Whitehead, ...).
"""

from __future__ import annotations

import bisect
import csv
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from upstreamnlp.corpus.model import Corpus, Document, Segment
from upstreamnlp.errors import UpstreamError
from upstreamnlp.preprocess.options import NER_LABEL_TYPES, PreprocessOptions

PLACEHOLDER_TYPES = ("PERSON", "PLACE", "ORG", "EMAIL", "PHONE", "POSTCODE", "URL")

# Public-health vocabulary and cited authors (see the domain brief) that spaCy's NER
# sometimes tags as PERSON/ORG/GPE: replacing them would damage the analysis.
# Compared case-insensitively with the whole entity. A privacy-list term always wins.
ALLOW_LIST = frozenset(
    term.lower()
    for term in (
        # places and polities that are context, not identifiers
        "England",
        "UK",
        "U.K.",
        "Britain",
        "Great Britain",
        "United Kingdom",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "Europe",
        "EU",
        "European Union",
        "North West",
        "North East",
        "North",
        "South",
        "the North",
        "the South",
        "London",
        "Westminster",
        "US",
        "USA",
        "United States",
        "America",
        "Canada",
        "Australia",
        "Sweden",
        "Finland",
        # institutions, programmes, policies, events
        "NHS",
        "NHS England",
        "GP",
        "GPs",
        "A&E",
        "PHE",
        "Public Health England",
        "UKHSA",
        "NICE",
        "DWP",
        "ONS",
        "CCG",
        "CCGs",
        "ICS",
        "ICB",
        "WHO",
        "World Health Organization",
        "World Health Organisation",
        "Department of Health",
        "DHSC",
        "Government",
        "Parliament",
        "Treasury",
        "Sure Start",
        "Marmot Review",
        "Fair Society",
        "Healthy Lives",
        "Black Report",
        "Acheson",
        "Acheson Report",
        "Wanless",
        "Nuffield Council",
        "Nuffield",
        "Universal Credit",
        "Brexit",
        "COVID",
        "Covid",
        "COVID-19",
        "Covid-19",
        "Coronavirus",
        "Public Health",
        "Health Inequalities",
        "Upstream",
        "Downstream",
        "Commission on Social Determinants of Health",
        "CSDH",
        "Health in All Policies",
        "Marmot City",
        "Marmot Cities",
        "Healthy Cities",
        # cited authors (domain brief)
        "Marmot",
        "Michael Marmot",
        "Dahlgren",
        "Göran Dahlgren",
        "Whitehead",
        "Margaret Whitehead",
        "Rose",
        "Geoffrey Rose",
        "Popay",
        "Jennie Popay",
        "Wallerstein",
        "Nina Wallerstein",
        "Link",
        "Bruce Link",
        "Phelan",
        "Jo Phelan",
        "Frieden",
        "Thomas Frieden",
        "McKinlay",
        "John McKinlay",
        "Ashton",
        "McLaren",
        "Mytton",
        "Monsivais",
        "Braveman",
        "Gottlieb",
        "Krieger",
        "Gehlert",
        "McMahon",
        "Grimmer",
        "Carlsen",
        "Ralund",
        "Pickett",
        "Bambra",
        "Scott-Samuel",
        "Davey Smith",
        # Common surnames and first names (Smith, Graham, Stewart, Adams, ...) are left
        # out on purpose: a participant's name matters more than a citation.
    )
)

# Speaker labels that are roles, not names ("Interviewer", "P03", "Speaker 1", ...).
GENERIC_SPEAKER = re.compile(
    r"^(?:interviewer|interviewee|int|i|q|a|r|p|participant|respondent|speaker|moderator|"
    r"facilitator|researcher|unknown|person|voice|male|female)?\s*[a-z]?\s*\d*$",
    re.IGNORECASE,
)

_NAME_WORD = (
    r"[A-Z][a-z\u00C0-\u024F]*(?:['’][A-Z][a-z\u00C0-\u024F]+)?(?:-[A-Z][a-z\u00C0-\u024F]+)?"
)
TITLES = r"Dr|Doctor|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Councillor|Cllr|Rev|Reverend|Sir|Dame"
TITLE_NAME = re.compile(rf"\b(?:{TITLES})\.?[ \t]+({_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)")
_LEADING_TITLE = re.compile(rf"^(?:{TITLES})\.?\s+")
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# UK numbers: 01xx/02x/03xx/07xxx/08xx with or without +44 (Ofcom numbering plan).
PHONE = re.compile(
    r"(?<![\w+])(?:\+44[\s-]?(?:\(0\)[\s-]?)?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\w)"
)
# UK postcode (outward + inward code), upper case as written on letters.
POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)[ \t]?\d[A-Z]{2}\b")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+")
_PERSONAL_URL = re.compile(
    r"(facebook\.com|twitter\.com|x\.com|instagram\.com|linkedin\.com|tiktok\.com|"
    r"youtube\.com/@|~|/people/|/staff/|/profile|/users?/|/in/|/u/|/author/)",
    re.IGNORECASE,
)

_TYPE_ALIASES = {
    "person": "PERSON",
    "name": "PERSON",
    "people": "PERSON",
    "participant": "PERSON",
    "surname": "PERSON",
    "first_name": "PERSON",
    "forename": "PERSON",
    "place": "PLACE",
    "location": "PLACE",
    "gpe": "PLACE",
    "loc": "PLACE",
    "fac": "PLACE",
    "town": "PLACE",
    "city": "PLACE",
    "street": "PLACE",
    "area": "PLACE",
    "ward": "PLACE",
    "site": "PLACE",
    "building": "PLACE",
    "venue": "PLACE",
    "org": "ORG",
    "organisation": "ORG",
    "organization": "ORG",
    "employer": "ORG",
    "school": "ORG",
    "charity": "ORG",
    "email": "EMAIL",
    "phone": "PHONE",
    "postcode": "POSTCODE",
    "url": "URL",
}


@dataclass(frozen=True)
class PrivacyTerm:
    """One name or place from the user's privacy list."""

    term: str
    type: str = "PERSON"


@dataclass(frozen=True)
class Replacement:
    """``text[start:end]`` (original offsets) is replaced by ``placeholder``."""

    start: int
    end: int
    type: str
    placeholder: str


@dataclass
class DeidentifyReport:
    """Counts of replacements per type; never the original strings."""

    mentions: Counter = field(default_factory=Counter)
    distinct: Counter = field(default_factory=Counter)
    documents: int = 0

    def add(self, other: DeidentifyReport) -> None:
        self.mentions.update(other.mentions)
        self.distinct.update(other.distinct)
        self.documents += other.documents

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "mentions": {t: self.mentions.get(t, 0) for t in PLACEHOLDER_TYPES},
            "distinct": {t: self.distinct.get(t, 0) for t in PLACEHOLDER_TYPES},
        }


def _normal_type(value: str | None, path: Path, where: str) -> str:
    if value is None or str(value).strip() == "":
        return "PERSON"
    found = _TYPE_ALIASES.get(str(value).strip().lower())
    if found is None:
        raise UpstreamError(
            f"unknown type {value!r}",
            path=path,
            where=where,
            fix="use person, place or org (also email, phone, postcode, url), or leave it empty.",
        )
    return found


def load_privacy_list(path: str | Path) -> list[PrivacyTerm]:
    """Read a privacy list: CSV with a ``term`` column (optional ``type``), YAML, or TXT.

    YAML may be a list of terms, a list of ``{term, type}`` maps, or ``{type: [terms]}``.
    """
    path = Path(path)
    if not path.exists():
        raise UpstreamError("privacy list not found", path=path, fix="check the path.")
    terms: list[PrivacyTerm] = []
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ",")
            fields = {name.strip().lower(): name for name in reader.fieldnames or []}
            if "term" not in fields:
                raise UpstreamError(
                    f"no 'term' column (columns: {reader.fieldnames})",
                    path=path,
                    where="line 1",
                    fix="name the column of names and places 'term' (and optionally 'type').",
                )
            for line, row in enumerate(reader, start=2):
                term = (row.get(fields["term"]) or "").strip()
                if term:
                    kind = row.get(fields["type"]) if "type" in fields else None
                    terms.append(PrivacyTerm(term, _normal_type(kind, path, f"line {line}")))
    elif suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise UpstreamError(f"not valid YAML ({exc})", path=path) from None
        if isinstance(data, dict) and "terms" in data:
            data = data["terms"]
        if isinstance(data, dict):
            for kind, values in data.items():
                for value in values or []:
                    terms.append(PrivacyTerm(str(value).strip(), _normal_type(kind, path, kind)))
        elif isinstance(data, list):
            for index, item in enumerate(data):
                if isinstance(item, dict):
                    if "term" not in item:
                        raise UpstreamError(
                            "entry without 'term'", path=path, where=f"item {index + 1}"
                        )
                    kind = _normal_type(item.get("type"), path, f"item {index + 1}")
                    terms.append(PrivacyTerm(str(item["term"]).strip(), kind))
                else:
                    terms.append(PrivacyTerm(str(item).strip()))
        else:
            raise UpstreamError(
                "expected a list of terms", path=path, fix="write one '- Name' per line."
            )
    else:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                terms.append(PrivacyTerm(line.strip()))
    return [t for t in terms if t.term]


def as_privacy_terms(values: Iterable[Any] | None) -> list[PrivacyTerm]:
    """Accept ``PrivacyTerm``s, plain strings, ``(term, type)`` pairs or ``{term, type}``."""
    terms = []
    for value in values or []:
        if isinstance(value, PrivacyTerm):
            terms.append(value)
        elif isinstance(value, str):
            terms.append(PrivacyTerm(value))
        elif isinstance(value, dict):
            kind = _normal_type(value.get("type"), Path("privacy_terms"), str(value))
            terms.append(PrivacyTerm(value["term"], kind))
        else:
            term, kind = value
            terms.append(PrivacyTerm(term, _normal_type(kind, Path("privacy_terms"), term)))
    return [t for t in terms if t.term.strip()]


def _word_regex(words: Iterable[str]) -> re.Pattern | None:
    """Whole-word, case-sensitive alternation, longest first ("Tolley's" matches "Tolley")."""
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")


def _trim(surface: str) -> str:
    surface = surface.strip().strip(".,;:!?\"'()[]")
    surface = re.sub(r"['’]s?$", "", surface)
    surface = re.sub(r"^(?:the|The)\s+", "", surface)
    return surface.strip()


def _allowed(surface: str) -> bool:
    return surface.lower() in ALLOW_LIST


def is_generic_speaker(speaker: str | None) -> bool:
    """True for role labels (Interviewer, P03, Speaker 1); False for names (Dr Smith)."""
    return speaker is None or not speaker.strip() or bool(GENERIC_SPEAKER.match(speaker.strip()))


class Deidentifier:
    """Plans the replacements of one document from its text, NER entities and speakers."""

    def __init__(
        self,
        ner_labels: Sequence[str] = ("PERSON", "GPE", "LOC", "FAC"),
        privacy_terms: Iterable[PrivacyTerm] = (),
        urls: str = "personal",
    ) -> None:
        self.ner_labels = {label.upper() for label in ner_labels}
        self.privacy_terms = list(privacy_terms)
        self.term_types = {t.term: t.type for t in self.privacy_terms}
        self.term_regex = _word_regex(self.term_types)
        self.urls = urls

    # --- planning ------------------------------------------------------------------
    def plan(
        self,
        text: str,
        entities: Iterable[tuple[int, int, str]] = (),
        speakers: Iterable[str | None] = (),
    ) -> tuple[list[Replacement], dict[str, str]]:
        """Replacements for ``text`` (sorted, non-overlapping) and de-identified speakers."""
        spans: list[tuple[int, int, int, str, str]] = []  # (priority, start, end, type, key)
        # 1. the user's list: always replaced, wins over everything
        if self.term_regex is not None:
            for match in self.term_regex.finditer(text):
                surface = match.group(0)
                spans.append((0, match.start(), match.end(), self.term_types[surface], surface))
        # 2. patterns
        for regex, kind in ((EMAIL, "EMAIL"), (PHONE, "PHONE"), (POSTCODE, "POSTCODE")):
            for match in regex.finditer(text):
                spans.append((1, match.start(), match.end(), kind, match.group(0)))
        if self.urls != "keep":
            for match in URL.finditer(text):
                if self.urls == "all" or _PERSONAL_URL.search(match.group(0)):
                    spans.append((1, match.start(), match.end(), "URL", match.group(0)))
        # 3. names to replace wherever they occur: titles, named speakers, NER
        surfaces: dict[str, str] = {}  # surface -> type (first source wins)
        for term, kind in self.term_types.items():
            if kind in ("PERSON", "PLACE", "ORG"):
                surfaces.setdefault(term, kind)
        for match in TITLE_NAME.finditer(text):
            name = _trim(match.group(1))
            if name and not _allowed(name):
                surfaces.setdefault(name, "PERSON")
        named_speakers = {}
        for speaker in set(speakers):
            if not is_generic_speaker(speaker):
                name = _trim(_LEADING_TITLE.sub("", speaker.strip()))
                if name and (not _allowed(name) or name in self.term_types):
                    surfaces.setdefault(name, "PERSON")
                    named_speakers[speaker] = name
        for start, end, label in entities:
            if label not in self.ner_labels or label not in NER_LABEL_TYPES:
                continue
            surface = _trim(_LEADING_TITLE.sub("", text[start:end]))
            if (
                len(surface) < 2
                or not surface[0].isupper()
                or any(ch.isdigit() or ch in "@/\n" for ch in surface)
                or (_allowed(surface) and surface not in self.term_types)
            ):
                continue
            kind = NER_LABEL_TYPES[label]
            # ORG is often a capitalised common word; skip it when the lower-case form is
            # used in this document as an ordinary word.
            if (
                kind == "ORG"
                and " " not in surface
                and re.search(rf"\b{re.escape(surface.lower())}\b", text)
            ):
                continue
            surfaces.setdefault(surface, kind)
        # surnames of full names are the same person ("Sarah Haworth" ... "Haworth")
        alias: dict[str, str] = {}
        ambiguous: set[str] = set()
        for surface, kind in surfaces.items():
            words = surface.split()
            if kind == "PERSON" and len(words) >= 2:
                surname = words[-1]
                if len(surname) > 1 and not (_allowed(surname) and surname not in self.term_types):
                    if surname in alias and alias[surname] != surface:
                        ambiguous.add(surname)
                    alias[surname] = surface
        for surname in ambiguous:
            alias.pop(surname)
        for surname in alias:
            if surname not in surfaces or surfaces[surname] == "PERSON":
                surfaces[surname] = "PERSON"
        sweep = _word_regex(s for s in surfaces if s not in self.term_types)
        if sweep is not None:
            for match in sweep.finditer(text):
                surface = match.group(0)
                spans.append((2, match.start(), match.end(), surfaces[surface], surface))
        replacements = self._resolve(text, spans, alias)
        speaker_map = self._speakers(named_speakers, replacements, text, surfaces, alias)
        return replacements, speaker_map

    def _resolve(
        self, text: str, spans: list[tuple[int, int, int, str, str]], alias: dict[str, str]
    ) -> list[Replacement]:
        # strongest source first, then longest: keep spans that overlap nothing kept
        spans.sort(key=lambda s: (s[0], -(s[2] - s[1]), s[1]))
        taken = bytearray(len(text))
        kept = []
        for _priority, start, end, kind, key in spans:
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            kept.append((start, end, kind, key))
        kept.sort()
        self._numbers: dict[tuple[str, str], str] = {}
        counters: Counter = Counter()
        result = []
        for start, end, kind, key in kept:
            canonical = alias.get(key, key) if kind == "PERSON" else key
            placeholder = self._numbers.get((kind, canonical))
            if placeholder is None:
                counters[kind] += 1
                placeholder = f"[{kind}_{counters[kind]}]"
                self._numbers[(kind, canonical)] = placeholder
            result.append(Replacement(start, end, kind, placeholder))
        return result

    def _speakers(
        self,
        named_speakers: dict[str, str],
        replacements: list[Replacement],
        text: str,
        surfaces: dict[str, str],
        alias: dict[str, str],
    ) -> dict[str, str]:
        mapping = {}
        for speaker, name in named_speakers.items():
            canonical = alias.get(name, name)
            placeholder = self._numbers.get(("PERSON", canonical)) or self._numbers.get(
                (surfaces.get(name, "PERSON"), canonical)
            )
            if placeholder is None:  # the speaker never appears in the text itself
                count = sum(1 for kind, _ in self._numbers if kind == "PERSON") + 1
                placeholder = f"[PERSON_{count}]"
                self._numbers[("PERSON", canonical)] = placeholder
            mapping[speaker] = speaker.replace(name, placeholder)
        return mapping


def apply_replacements(text: str, replacements: Sequence[Replacement]) -> tuple[str, OffsetMap]:
    """The de-identified text and a map from original to new character offsets."""
    pieces = []
    previous = 0
    for rep in replacements:
        pieces.append(text[previous : rep.start])
        pieces.append(rep.placeholder)
        previous = rep.end
    pieces.append(text[previous:])
    return "".join(pieces), OffsetMap(replacements)


class OffsetMap:
    """Maps an original offset to the new text; offsets inside a replaced span snap to it."""

    def __init__(self, replacements: Sequence[Replacement]) -> None:
        self.starts = [r.start for r in replacements]
        self.replacements = list(replacements)
        self.shift_before = []  # cumulative shift before each replacement
        shift = 0
        for rep in replacements:
            self.shift_before.append(shift)
            shift += len(rep.placeholder) - (rep.end - rep.start)
        self.total = shift

    def __call__(self, offset: int, side: str = "start") -> int:
        index = bisect.bisect_right(self.starts, offset) - 1
        if index < 0:
            return offset
        rep = self.replacements[index]
        shift = self.shift_before[index]
        if offset >= rep.end:
            return offset + shift + len(rep.placeholder) - (rep.end - rep.start)
        if offset == rep.start:
            return offset + shift
        # inside a placeholder: a start snaps before it, an end after it
        new_start = rep.start + shift
        return new_start if side == "start" else new_start + len(rep.placeholder)


def rebuild_document(
    document: Document,
    segments: Sequence[Segment],
    replacements: Sequence[Replacement],
    speaker_map: dict[str, str],
) -> tuple[Document, list[Segment]]:
    """A new Document and Segments with replaced text and recomputed offsets."""
    new_text, offset = apply_replacements(document.text, replacements)
    new_document = Document(
        id=document.id,
        text=new_text,
        kind=document.kind,
        source=document.source,
        metadata=dict(document.metadata),
    )
    new_segments = []
    for seg in segments:
        start = offset(seg.start_char, "start")
        end = max(start, offset(seg.end_char, "end"))
        metadata = dict(seg.metadata)
        if "speaker" in metadata and metadata["speaker"] in speaker_map:
            metadata["speaker"] = speaker_map[metadata["speaker"]]
        new_segments.append(
            Segment(
                id=seg.id,
                doc_id=seg.doc_id,
                text=new_text[start:end],
                start_char=start,
                end_char=end,
                speaker=speaker_map.get(seg.speaker, seg.speaker) if seg.speaker else seg.speaker,
                speaker_role=seg.speaker_role,
                metadata=metadata,
                source_start_char=_first(seg.source_start_char, seg.start_char),
                source_end_char=_first(seg.source_end_char, seg.end_char),
            )
        )
    return new_document, new_segments


def _first(*values: int | None) -> int | None:
    return next((v for v in values if v is not None), None)


def should_deidentify(document: Document, options: PreprocessOptions) -> bool:
    """Transcripts and tables follow ``deidentify``; papers also need ``deidentify_papers``."""
    if not options.deidentify:
        return False
    if document.kind == "paper":
        return options.deidentify_papers
    return True


def report_of(replacements: Sequence[Replacement]) -> DeidentifyReport:
    report = DeidentifyReport(documents=1)
    report.mentions.update(r.type for r in replacements)
    report.distinct.update(kind for kind, _ in {(r.type, r.placeholder) for r in replacements})
    return report


def text_pieces(
    text: str, segments: Sequence[Segment], include_gaps: bool = True, max_chars: int = 50_000
) -> list[tuple[int, str]]:
    """(offset, text) pieces covering the segments once each (overlapping windows are
    merged) and, with ``include_gaps``, the text between them (headers, speaker labels).
    No piece is longer than ``max_chars``, so spaCy's length limit never bites."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for start, end in sorted({(s.start_char, s.end_char) for s in segments}):
        if include_gaps and start > cursor:
            spans.append((cursor, start))
        if end > cursor:
            spans.append((max(start, cursor), end))
        cursor = max(cursor, end)
    if include_gaps and cursor < len(text):
        spans.append((cursor, len(text)))
    result = []
    for start, end in spans:
        while end - start > max_chars:
            cut = text.rfind("\n", start + max_chars // 2, start + max_chars)
            if cut <= start:
                cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
            cut = cut if cut > start else start + max_chars
            if text[start:cut].strip():
                result.append((start, text[start:cut]))
            start = cut
        if text[start:end].strip():
            result.append((start, text[start:end]))
    return result


def deidentify_corpus(
    corpus: Corpus,
    options: PreprocessOptions | None = None,
    nlp: Any = None,
    privacy_terms: Iterable[Any] | None = None,
    cache_dir: str | Path | None | bool = False,
) -> tuple[Corpus, dict[str, Any]]:
    """A new Corpus with names, places and contacts replaced, offsets recomputed.

    ``doc.text[s.start_char:s.end_char] == s.text`` holds on the new texts, and named
    speakers ("Dr Smith") are replaced too. The report counts replacements per type
    (``mentions``, ``distinct``) and never contains the original strings. Runs the same
    spaCy pass as ``preprocess`` (no disk cache unless ``cache_dir`` is given).
    """
    from upstreamnlp.preprocess.pipeline import preprocess

    options = (options or PreprocessOptions()).model_copy(
        update={"pretokenized": False, "phrases": False}
    )
    result = preprocess(corpus, options, cache_dir=cache_dir, privacy_terms=privacy_terms, nlp=nlp)
    stats = result.stats
    report = {
        "documents": stats["documents_deidentified"],
        "mentions": stats["replacements"],
        "distinct": stats["distinct_replacements"],
    }
    return result.corpus, report


_PLACEHOLDER = re.compile(r"\[(?:" + "|".join(PLACEHOLDER_TYPES) + r")_\d+\]")


def align_placeholders(original: str, new: str) -> list[tuple[int, int, int, int, bool]] | None:
    """How ``new`` (``original`` with spans replaced by placeholders) lines up with
    ``original``: pieces (original start, end, new start, end, replaced), in order.
    Text between placeholders is copied verbatim, so each placeholder's original span ends
    where the next verbatim text resumes. None when ``new`` is not such a rewrite."""
    pieces: list[tuple[int, int, int, int, bool]] = []
    i = j = 0
    marks = list(_PLACEHOLDER.finditer(new))
    k = 0
    while k < len(marks):
        literal = new[j : marks[k].start()]
        if not original.startswith(literal, i):
            return None
        if literal:
            pieces.append((i, i + len(literal), j, j + len(literal), False))
        i, j = i + len(literal), marks[k].start()
        if original.startswith(marks[k].group(), i):  # a placeholder-like text kept as is
            size = len(marks[k].group())
            pieces.append((i, i + size, j, j + size, False))
            i, j, k = i + size, j + size, k + 1
            continue
        # adjacent placeholders share one original span
        last = k
        while last + 1 < len(marks) and marks[last + 1].start() == marks[last].end():
            last += 1
        end_new = marks[last].end()
        following = new[end_new : marks[last + 1].start() if last + 1 < len(marks) else len(new)]
        if following:
            resume = original.find(following, i + 1)
        else:  # the placeholder closes the text
            resume = len(original)
        if resume < 0:
            return None
        pieces.append((i, resume, j, end_new, True))
        i, j, k = resume, end_new, last + 1
    if original[i:] != new[j:]:
        return None
    if j < len(new):
        pieces.append((i, len(original), j, len(new), False))
    return pieces


class SourceOffsetMap:
    """Maps character offsets in the original documents (how a coder quotes a transcript)
    onto the de-identified ``corpus`` (whose segments keep ``source_start_char`` and
    ``source_end_char``). Inside a segment the original and de-identified texts are
    aligned piece by piece (``align_placeholders``), so an offset after a replaced name
    lands on the same character; a start inside a name snaps to the start of its
    placeholder, an end to its end. Without ``raw_corpus`` (the corpus before
    de-identification), or for an offset outside every segment, the shift at the nearest
    segment boundary before it is used (exact unless a name was replaced between the two)."""

    def __init__(self, corpus, raw_corpus=None) -> None:
        self._raw_texts = (
            {d.id: d.text for d in raw_corpus.documents} if raw_corpus is not None else {}
        )
        self._spans: dict[str, list] = {}
        for seg in corpus.segments:
            if seg.source_start_char is None or seg.source_end_char is None:
                continue
            self._spans.setdefault(seg.doc_id, []).append(seg)
        for segments in self._spans.values():
            segments.sort(key=lambda s: (s.source_start_char, s.source_end_char))
        self._pieces: dict[str, list | None] = {}

    def __call__(self, doc_id: str, offset: int, side: str = "start") -> int:
        segments = self._spans.get(doc_id)
        if not segments:
            return offset
        shift = 0
        for seg in segments:
            if seg.source_start_char <= offset <= seg.source_end_char:
                return seg.start_char + self._within(seg, offset - seg.source_start_char, side)
            if seg.source_end_char < offset:
                shift = seg.end_char - seg.source_end_char
        return offset + shift

    def _within(self, seg, i: int, side: str) -> int:
        if seg.id not in self._pieces:
            raw_text = self._raw_texts.get(seg.doc_id)
            original = (
                raw_text[seg.source_start_char : seg.source_end_char]
                if raw_text is not None
                else None
            )
            self._pieces[seg.id] = (
                align_placeholders(original, seg.text) if original is not None else None
            )
        pieces = self._pieces[seg.id]
        if pieces is None:  # the shift at the segment's start
            return i
        for a, b, c, d, replaced in pieces:
            if not replaced and a <= i <= b:
                return c + (i - a)
            if replaced and a <= i < b:
                return c if (i == a or side == "start") else d
        return len(seg.text)
