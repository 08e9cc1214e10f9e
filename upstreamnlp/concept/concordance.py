"""Keyword in context: every use of the concept with its left and right context, as
AntConc's concordancer shows it (Anthony 2005, "AntConc: design and development of a
freeware corpus analysis toolkit"), with exact document offsets so every line is a quote
that can be traced back."""

from __future__ import annotations

import re
from typing import Any, Literal

import pandas as pd

from upstreamnlp.concept.lexicon import ConceptMatcher, ConceptSpec, load_concept_pipeline
from upstreamnlp.corpus.model import Corpus

CONCORDANCE_COLUMNS = [
    "occurrence_id",
    "doc_id",
    "segment_id",
    "speaker_role",
    "role",
    "discipline",
    "start_char",
    "end_char",
    "match",
    "form",
    "left",
    "right",
    "sentence",
    "sentence_start",
    "sentence_end",
]
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-]*")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text)


def _flat(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return str(value)
    return value


def _units(corpus: Corpus, include_interviewer: bool) -> list[tuple[Any, Any, int, int]]:
    """(document, segment or None, start, end) of every stretch of text to search: a
    document's segments when it has any, else the whole document."""
    by_doc: dict[str, list] = {}
    for seg in corpus.segments:
        by_doc.setdefault(seg.doc_id, []).append(seg)
    units = []
    for doc in corpus.documents:
        segments = by_doc.get(doc.id)
        if not segments:
            units.append((doc, None, 0, len(doc.text)))
            continue
        for seg in segments:
            if include_interviewer or not seg.is_interviewer:
                units.append((doc, seg, seg.start_char, seg.end_char))
    return units


def concordance(
    corpus: Corpus,
    spec: ConceptSpec | None = None,
    nlp: Any = None,
    include_interviewer: bool = False,
    width: int = 60,
) -> pd.DataFrame:
    """One row per occurrence of the concept: ids, the segment's speaker role and
    metadata, ``start_char``/``end_char`` in the document text (``doc.text[start:end]``
    is the match), the match and its form (term, phrase, river_metaphor), ``width``
    characters of left and right context (whitespace normalised, within the segment so
    that an interviewer's words never enter a participant's line), and the sentence with
    its document offsets. Interviewer turns are skipped unless ``include_interviewer``."""
    spec = spec or ConceptSpec()
    nlp = nlp if nlp is not None else load_concept_pipeline()
    matcher = ConceptMatcher(spec, nlp)
    prefilter = spec.prefilter()
    units = [u for u in _units(corpus, include_interviewer) if prefilter.search(_text_of(u))]
    rows = []
    texts = (_text_of(u) for u in units)
    for (document, segment, offset, unit_end), doc in zip(units, nlp.pipe(texts), strict=True):
        text = document.text
        metadata = dict(document.metadata)
        if segment is not None:
            metadata.update(segment.metadata)
        for span, form in matcher(doc):
            start, end = offset + span.start_char, offset + span.end_char
            sent = span.sent
            s_start, s_end = offset + sent.start_char, offset + sent.end_char
            row = {
                "occurrence_id": f"{document.id}@{start}",
                "doc_id": document.id,
                "segment_id": segment.id if segment is not None else None,
                "speaker_role": segment.speaker_role if segment is not None else None,
                "role": metadata.get("role"),
                "discipline": metadata.get("discipline"),
                "start_char": start,
                "end_char": end,
                "match": text[start:end],
                "form": form,
                "left": _normal(text[max(offset, start - 3 * width) : start]).lstrip()[-width:],
                "right": _normal(text[end : min(unit_end, end + 3 * width)]).rstrip()[:width],
                "sentence": _normal(text[s_start:s_end]).strip(),
                "sentence_start": s_start,
                "sentence_end": s_end,
            }
            for key, value in metadata.items():
                if key not in row:
                    row[key] = _flat(value)
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=CONCORDANCE_COLUMNS)
    extra = [c for c in frame.columns if c not in CONCORDANCE_COLUMNS]
    return frame[CONCORDANCE_COLUMNS + extra].reset_index(drop=True)


def _text_of(unit: tuple[Any, Any, int, int]) -> str:
    document, _segment, start, end = unit
    return document.text[start:end]


def sort_concordance(
    frame: pd.DataFrame, by: Literal["left", "right"] = "left", n_words: int = 1
) -> pd.DataFrame:
    """Sort concordance lines by the words next to the node, as AntConc's KWIC sort:
    ``left`` by the word just before (L1, then L2, ...), ``right`` by the word just after
    (R1, R2, ...); case-insensitive, ties kept in document order."""
    if by not in ("left", "right"):
        from upstreamnlp.errors import UpstreamError

        raise UpstreamError(f"cannot sort by '{by}'", fix="use by='left' or by='right'.")

    def key(context: str) -> tuple[str, ...]:
        words = [w.lower() for w in _WORD.findall(str(context))]
        near = list(reversed(words))[:n_words] if by == "left" else words[:n_words]
        return tuple(near + [""] * (n_words - len(near)))

    if frame.empty:
        return frame.copy()
    keys = frame[by].map(key)
    order = sorted(
        range(len(frame)),
        key=lambda i: (keys.iloc[i], str(frame["doc_id"].iloc[i]), frame["start_char"].iloc[i]),
    )
    return frame.iloc[order].reset_index(drop=True)
