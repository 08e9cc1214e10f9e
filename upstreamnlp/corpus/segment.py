"""Cut documents into segments: speaker turns for transcripts, paragraphs or records for papers.

Every segment is an exact slice of its document (``doc.text[start:end] == seg.text``);
whitespace is trimmed by moving offsets, never by editing text. Long turns and
paragraphs are split at sentence boundaries into windows of about ``min_words`` to
``max_words`` words, so that topic models see units of comparable length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from upstreamnlp.corpus.model import PARTICIPANT, Document, Segment
from upstreamnlp.corpus.transcripts import Turn, speaker_role
from upstreamnlp.errors import UpstreamError


@dataclass
class SegmentationOptions:
    """How documents are cut into segments.

    ``split_papers="abstract"``: a bibliographic record (RIS, BibTeX, table row) is one
    segment; ``"paragraphs"``: records are split like full texts. Full-text papers
    (.pdf, .txt) are always split into paragraphs; a PDF's reference list is dropped
    (``pdf_references="drop"``, ``corpus.papers.clean_pdf_pages``) unless ``"keep"``.
    ``merge_same_speaker`` joins
    consecutive subtitle cues of one speaker into one turn (.vtt, .srt).
    """

    min_words: int = 40
    max_words: int = 250
    merge_same_speaker: bool = True
    split_papers: Literal["abstract", "paragraphs"] = "abstract"
    pdf_references: Literal["drop", "keep"] = "drop"

    def __post_init__(self) -> None:
        if self.min_words < 1 or self.max_words < self.min_words:
            raise UpstreamError(
                f"min_words={self.min_words}, max_words={self.max_words}",
                where="segmentation options",
                fix="use 1 <= min_words <= max_words (defaults 40 and 250).",
            )
        if self.pdf_references not in ("drop", "keep"):
            raise UpstreamError(
                f"pdf_references={self.pdf_references!r}",
                where="segmentation options",
                fix="use 'drop' or 'keep'.",
            )
        if self.split_papers not in ("abstract", "paragraphs"):
            raise UpstreamError(
                f"split_papers={self.split_papers!r}",
                where="segmentation options",
                fix="use 'abstract' or 'paragraphs'.",
            )


_ABBREVIATIONS = frozenset(
    "dr mr mrs ms prof st sr jr vs cf al fig figs no nos approx e.g i.e etc eg ie ca "
    "dept univ inc ltd co gov nhs jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# A full stop, ! or ? (and closing quotes/brackets), whitespace, then a capital, digit or quote.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_WORD = re.compile(r"\S+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` moved inwards past whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def count_words(text: str, start: int = 0, end: int | None = None) -> int:
    """Whitespace-separated words in ``text[start:end]``."""
    return len(text[start:end].split())


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans in ``text[start:end]``; abbreviations (Dr., e.g.) do not end one."""
    end = len(text) if end is None else end
    spans = []
    begin = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if text[match.start()] == ".":
            word_start = text.rfind(" ", begin, match.start()) + 1
            word = text[max(word_start, begin) : match.start()].lower().lstrip("(\"'“‘")
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue  # "Dr. Smith", "e.g. Marmot", initials "J. Smith"
        spans.append(strip_span(text, begin, match.start() + 1 + _closing(text, match)))
        begin = match.end()
    if begin < end:
        spans.append(strip_span(text, begin, end))
    return [s for s in spans if s[0] < s[1]]


def _closing(text: str, match: re.Match[str]) -> int:
    """Length of the closing quotes/brackets after the sentence's punctuation."""
    n = 0
    while text[match.start() + 1 + n] in "\"'”’)]":
        n += 1
    return n


def window_span(
    text: str, start: int, end: int, options: SegmentationOptions
) -> list[tuple[int, int]]:
    """``[start, end)`` as one span, or, when longer than ``max_words``, sentence windows."""
    start, end = strip_span(text, start, end)
    if start >= end:
        return []
    if count_words(text, start, end) <= options.max_words:
        return [(start, end)]
    units: list[tuple[int, int, int]] = []
    for s, e in split_sentences(text, start, end):
        n = count_words(text, s, e)
        if n <= options.max_words:
            units.append((s, e, n))
            continue
        # A run-on "sentence" (no punctuation, e.g. an auto-transcript): cut by words.
        words = list(_WORD.finditer(text, s, e))
        for i in range(0, len(words), options.max_words):
            chunk = words[i : i + options.max_words]
            units.append((chunk[0].start(), chunk[-1].end(), len(chunk)))
    windows: list[list[tuple[int, int, int]]] = []
    for unit in units:
        if windows and sum(u[2] for u in windows[-1]) + unit[2] <= options.max_words:
            windows[-1].append(unit)
        else:
            windows.append([unit])
    if len(windows) > 1 and sum(u[2] for u in windows[-1]) < options.min_words:
        windows[-2:] = _rebalance(windows[-2] + windows[-1], options.max_words)
    return [(w[0][0], w[-1][1]) for w in windows]


def _rebalance(
    units: list[tuple[int, int, int]], max_words: int
) -> list[list[tuple[int, int, int]]]:
    """A short tail joins the window before it; if that is too long, split them evenly."""
    total = sum(u[2] for u in units)
    if total <= max_words:
        return [units]
    running, best, best_gap = 0, 1, total
    for i, unit in enumerate(units[:-1], start=1):
        running += unit[2]
        if abs(total / 2 - running) < best_gap:
            best, best_gap = i, abs(total / 2 - running)
    return [units[:best], units[best:]]


def _make_segments(
    doc: Document,
    spans: Iterable[tuple[int, int, str | None, str | None]],
) -> list[Segment]:
    segments = []
    for n, (start, end, speaker, role) in enumerate(spans, start=1):
        segments.append(
            Segment(
                id=f"{doc.id}#{n}",
                doc_id=doc.id,
                text=doc.text[start:end],
                start_char=start,
                end_char=end,
                speaker=speaker,
                speaker_role=role,
                metadata=dict(doc.metadata),
            )
        )
    return segments


def segment_transcript(
    doc: Document,
    turns: list[Turn],
    options: SegmentationOptions,
    interviewer_labels: Iterable[str] | None = None,
) -> list[Segment]:
    """One segment per turn (windows for long turns); interviewer turns are kept, labelled."""
    labels = None if interviewer_labels is None else list(interviewer_labels)
    spans = []
    for turn in turns:
        role = speaker_role(turn.speaker, labels) if turn.speaker else PARTICIPANT
        for s, e in window_span(doc.text, turn.start, turn.end, options):
            spans.append((s, e, turn.speaker, role))
    return _make_segments(doc, spans)


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Blank-line separated paragraphs, whitespace trimmed."""
    spans = []
    begin = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append(strip_span(text, begin, match.start()))
        begin = match.end()
    spans.append(strip_span(text, begin, len(text)))
    return [s for s in spans if s[0] < s[1]]


def segment_paper(doc: Document, options: SegmentationOptions, record: bool) -> list[Segment]:
    """A record is one segment (``split_papers="abstract"``); full texts go by paragraph.

    Short paragraphs (headings, captions) are merged with the ones after them until the
    unit reaches ``min_words``; long ones are windowed by sentence.
    """
    text = doc.text
    if record and options.split_papers == "abstract":
        start, end = strip_span(text, 0, len(text))
        return _make_segments(doc, [(start, end, None, None)] if start < end else [])
    units: list[list[int]] = []
    for s, e in paragraph_spans(text):
        n = count_words(text, s, e)
        if units and units[-1][2] < options.min_words and units[-1][2] + n <= options.max_words:
            units[-1][1] = e
            units[-1][2] += n
        else:
            units.append([s, e, n])
    if len(units) > 1 and units[-1][2] < options.min_words:
        last = units.pop()
        if units[-1][2] + last[2] <= options.max_words:
            units[-1][1] = last[1]
            units[-1][2] += last[2]
        else:
            units.append(last)
    spans = []
    for s, e, _ in units:
        spans.extend((ws, we, None, None) for ws, we in window_span(text, s, e, options))
    return _make_segments(doc, spans)
