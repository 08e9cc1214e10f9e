"""Passages: the sentences of each modelled segment, labelled one by one.

A topic model needs segments of some length (the demo's run to 60 words), but a human
coder codes a sentence or two: in the demo gold a coded passage is 25 words on average
and covers 44% of the segment it falls in. One label per segment then speaks for text
the coder gave another code, above all for determinant/action, where a speaker often
describes a cause in one sentence and what was done about it in the next.

So every labelled segment is also split into passages (``sentence_spans``: sentences,
fragments of fewer than ``min_words`` words joined to a neighbour), and each passage is
labelled from its own text with the segment's theme probabilities as its prior
(``passage_theme_proba``). The run writes them to ``passages.csv`` beside
``assignments.csv`` (one row per segment, which topic prevalence and the group comparison
count), and ``validate`` matches each gold passage to the run passage it overlaps most
as well as to the segment. Measured on the DEV documents of the demo gold
(``benchmarks/RESULTS.md``, 'Passages').
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from upstreamnlp.errors import UpstreamError

# a sentence ends at . ! ? (or ...), perhaps followed by a closing quote or bracket, then
# whitespace and something that can open a sentence: a capital, a digit, a quote, a
# bracket or a de-identification placeholder ("[PERSON_1]"); "e.g. housing" and "2.5" do
# not end one, a line break always does
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u2019\u201d)\]]*\s+(?=[\"'\u2018\u201c(\[A-Z0-9])|\n\s*")

PASSAGE_COLUMNS = (
    "passage_id",
    "segment_id",
    "doc_id",
    "start_char",
    "end_char",
    "source_start_char",
    "source_end_char",
    "text",
)


def sentence_spans(text: str, min_words: int = 4) -> list[tuple[int, int]]:
    """(start, end) of each passage of ``text``: its sentences, without surrounding
    whitespace, a sentence of fewer than ``min_words`` words ("With what time?", "Dr.")
    joined to the one before it (the first to the one after). Empty text gives none."""
    if min_words < 1:
        raise ValueError(f"sentence_spans: min_words must be at least 1, got {min_words}")
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start() + len(match.group().rstrip())))
        start = match.end()
    spans.append((start, len(text)))
    stripped = []
    for s, e in spans:
        piece = text[s:e]
        if not piece.strip():
            continue
        s += len(piece) - len(piece.lstrip())
        e -= len(piece) - len(piece.rstrip())
        stripped.append((s, e))

    def words(span: tuple[int, int]) -> int:
        return len(text[span[0] : span[1]].split())

    merged: list[tuple[int, int]] = []
    for span in stripped:
        if merged and (words(merged[-1]) < min_words or words(span) < min_words):
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
    return merged


def _source_offset(pieces, i: int, side: str) -> int | None:
    """Offset ``i`` of a de-identified segment text in its original text, from
    ``align_placeholders``' pieces (None when they do not cover it)."""
    for a, b, c, d, replaced in pieces:
        if not replaced and c <= i <= d:
            return a + (i - c)
        if replaced and c <= i <= d:
            return a if side == "start" else b
    return None


def segment_passages(
    segments: pd.DataFrame,
    texts: Sequence[str],
    raw_corpus=None,
    min_words: int = 4,
) -> pd.DataFrame:
    """One row per passage of each segment (``PASSAGE_COLUMNS``): ``segments`` holds
    segment_id, doc_id, start_char [, source_start_char, source_end_char] for each of
    ``texts`` (the segments' de-identified texts). Offsets are into the de-identified
    documents (``start_char``/``end_char``) and into the original ones (``source_*``,
    where a coder's quotes lie): read exactly around replaced names when ``raw_corpus``
    (the corpus before de-identification) is given, else shifted as the segment is."""
    from upstreamnlp.preprocess.deidentify import align_placeholders

    if len(segments) != len(texts):
        raise UpstreamError(
            f"{len(segments)} segments but {len(texts)} texts",
            where="passages",
            fix="give one text per segment, in the segments' order",
        )
    raw = {d.id: d.text for d in raw_corpus.documents} if raw_corpus is not None else {}
    has_source = all(c in segments.columns for c in ("source_start_char", "source_end_char"))
    rows = []
    for seg, text in zip(segments.itertuples(index=False), texts, strict=True):
        start = int(seg.start_char)
        src_start = int(seg.source_start_char) if has_source else start
        src_end = int(seg.source_end_char) if has_source else start + len(text)
        pieces = None
        original = raw.get(str(seg.doc_id))
        if original is not None:
            pieces = align_placeholders(original[src_start:src_end], text)
        for n, (s, e) in enumerate(sentence_spans(text, min_words), start=1):
            a = _source_offset(pieces, s, "start") if pieces else None
            b = _source_offset(pieces, e, "end") if pieces else None
            rows.append(
                (
                    f"{seg.segment_id}.{n}",
                    seg.segment_id,
                    seg.doc_id,
                    start + s,
                    start + e,
                    src_start + (s if a is None else a),
                    src_start + (e if b is None else b),
                    text[s:e],
                )
            )
    return pd.DataFrame(rows, columns=list(PASSAGE_COLUMNS))


def passage_theme_proba(
    passage_proba: np.ndarray,
    segment_proba: np.ndarray,
    parent: Sequence[int],
    weight: float = 1.0,
) -> np.ndarray:
    """Each passage's theme probabilities (``passage_proba``, passages x labels) times its
    segment's (``segment_proba[parent]``, already leaned towards its neighbours) to the
    power ``weight``, renormalised: the segment is the passage's context, as the
    neighbouring turns are a segment's. ``weight`` 0 labels each passage on its own."""
    passage_proba = np.asarray(passage_proba, dtype=float)
    prior = np.asarray(segment_proba, dtype=float)[np.asarray(parent, dtype=int)]
    if passage_proba.shape != prior.shape:
        raise ValueError(
            f"passage_theme_proba: {passage_proba.shape} passage probabilities against "
            f"{prior.shape} from their segments; give one row per passage, same labels"
        )
    if weight < 0:
        raise ValueError(f"passage_theme_proba: weight must be >= 0, got {weight}")
    out = passage_proba * np.power(prior + 1e-3, weight)
    total = out.sum(axis=1, keepdims=True)
    return np.divide(out, total, out=passage_proba.copy(), where=total > 0)


def label_passages(
    passages: pd.DataFrame,
    parent: Sequence[int],
    segment_themes: Sequence[str],
    segment_scores: Sequence[float],
    embedder=None,
    theme_labeller=None,
    segment_proba: np.ndarray | None = None,
    det_labeller=None,
    blend: bool = False,
    rule_weight: float = 0.35,
    segment_weight: float = 1.0,
) -> pd.DataFrame:
    """``passages`` (``segment_passages``) with ``theme``, ``theme_score``,
    ``determinant_or_action`` and ``determinant_evidence``; ``parent[i]`` is the row of
    passage *i*'s segment in ``segment_themes``/``segment_scores``/``segment_proba``.

    With a ``theme_labeller`` (``CodedSampleLabeller``) and its ``segment_proba`` (leaned
    towards the neighbours), a passage's theme is the most likely under
    ``passage_theme_proba``; without one (the zero-shot mapper), the segment's. Its
    determinant/action comes from ``det_labeller`` on its own text and theme (``blend``:
    mixed with the cue-and-exemplar rule at ``rule_weight``, as for segments learned from
    examples alone), or from the rule alone without one; the rule's evidence terms are
    always given."""
    from upstreamnlp.themes.determinants import label_determinant_action
    from upstreamnlp.themes.supervised import blend_with_rule

    out = passages.copy()
    parent = np.asarray(parent, dtype=int)
    texts = out["text"].astype(str).tolist()
    if theme_labeller is not None:
        if segment_proba is None:
            raise ValueError("label_passages: a theme_labeller needs the segments' probabilities")
        proba = passage_theme_proba(
            theme_labeller.predict_proba(texts), segment_proba, parent, weight=segment_weight
        )
        predicted = theme_labeller.classes_[proba.argmax(axis=1)]
        themes = np.where(predicted == "other", "none", predicted)
        scores = np.round(proba.max(axis=1), 6)
    else:
        themes = np.asarray(segment_themes, dtype=object)[parent]
        scores = np.asarray(segment_scores, dtype=float)[parent]
    out["theme"] = themes
    out["theme_score"] = scores
    rule = label_determinant_action(texts, themes=list(themes), embedder=embedder)
    if det_labeller is None:
        labels = rule["label"].to_numpy()
    else:
        det_themes = ["other" if t == "none" else t for t in themes]
        if blend:
            labels = blend_with_rule(
                det_labeller.predict_proba(texts, themes=det_themes),
                det_labeller.classes_,
                rule["label"],
                rule_weight,
            )
        else:
            labels = det_labeller.predict(texts, themes=det_themes)
    out["determinant_or_action"] = np.asarray(labels)
    out["determinant_evidence"] = rule["evidence_terms"].to_numpy()
    return out
