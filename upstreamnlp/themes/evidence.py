"""Evidence that keeps every claim traceable to quotations: the top quotes for each theme
and each topic, a topic-by-theme heatmap of mapping scores, and one of final labels."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from upstreamnlp.errors import UpstreamError

QUOTE_COLUMNS = [
    "kind",
    "key",
    "rank",
    "segment_id",
    "doc_id",
    "speaker_role",
    "start_char",
    "end_char",
    "score",
    "text",
    "content_words",
]

# A quote should say something: segments with at least this many content words (the
# lemmas the model saw: nouns, verbs, adjectives..., stop words and fillers left out) come
# before shorter ones, so "Yeah, fine, thanks." is shown only when a topic or theme has too
# few longer segments.
MIN_QUOTE_WORDS = 8
# Topic weights equal to two decimals count as a tie (NMF gives many short segments a weight
# of exactly 1.0), broken by the segment's theme score and then its length.
WEIGHT_TIE = 0.01


def _segment_info(segments: pd.DataFrame | None, n_rows: int) -> pd.DataFrame:
    info = pd.DataFrame(index=range(n_rows))
    for column in ("segment_id", "doc_id", "speaker_role", "start_char", "end_char", "text"):
        if segments is not None and column in segments.columns:
            info[column] = segments[column].reset_index(drop=True)
        else:
            info[column] = None
    if segments is None or "segment_id" not in segments.columns:
        info["segment_id"] = list(range(n_rows))
    return info


def content_word_count(texts: Sequence[str], tokens: Sequence[Sequence[str]] | None = None):
    """Content words per segment: the number of tokens the model saw (``tokens``, lemmas
    after the part-of-speech and stop-word filter; a phrase such as ``social_determinant``
    counts its words), or without tokens the words of the text."""
    if tokens is not None:
        return np.array([sum(len(t.split("_")) for t in toks) for toks in tokens], dtype=int)
    return np.array([len(str(t or "").split()) for t in texts], dtype=int)


def quote_order(
    candidates: np.ndarray,
    content_words: np.ndarray,
    score: np.ndarray,
    tie_break: np.ndarray | None = None,
    lengths: np.ndarray | None = None,
    min_words: int = MIN_QUOTE_WORDS,
    tie: float = 0.0,
) -> np.ndarray:
    """``candidates`` (row indices) in quoting order: segments with at least ``min_words``
    content words first, then by ``score`` (descending; scores that round to the same
    multiple of ``tie`` are equal), then ``tie_break`` (descending), then ``lengths`` (longer first), then row
    order. Shorter segments follow only when there are too few long ones."""
    idx = np.asarray(candidates, dtype=int)
    if idx.size == 0:
        return idx
    primary = np.asarray(score, dtype=float)[idx]
    if tie > 0:
        primary = np.round(primary / tie)
    second = np.zeros(idx.size) if tie_break is None else np.asarray(tie_break, float)[idx]
    third = np.zeros(idx.size) if lengths is None else np.asarray(lengths, float)[idx]
    short = np.asarray(content_words)[idx] < min_words
    # np.lexsort sorts by the last key first
    return idx[np.lexsort((idx, -third, -second, -primary, short))]


# In a quote longer than this many words (a whole abstract, say) the reader is pointed to
# its key sentence: the one that holds most of the topic's top terms or the theme's seeds.
LONG_QUOTE_WORDS = 80
# a sentence ends at . ! or ? (and closing quotes or brackets) before a space or the end,
# so "3.5" and "e.g.," do not end one
_SENTENCE = re.compile(r"\S.*?(?:[.!?]+[\"')\]\u201d\u2019]*(?=\s|$)|$)", re.DOTALL)


def _term_pattern(term: str) -> re.Pattern | None:
    """A term as the model or the codebook writes it (a lemma; ``social_determinant`` for a
    phrase) matched in running text: case-insensitive, the last word's inflections too
    (``determinant`` matches "determinants", ``change`` "changing")."""
    words = [w for w in re.split(r"[_\s]+", str(term).strip().lower()) if w]
    if not words:
        return None
    last = words[-1]
    stem = last[:-1] if len(last) > 4 and last.endswith("e") else last
    parts = [re.escape(w) for w in words[:-1]] + [re.escape(stem) + r"\w*"]
    return re.compile(r"\b" + r"[\s-]+".join(parts) + r"\b", re.IGNORECASE)


def key_sentence(
    text: str, terms: Sequence[str], min_words: int = LONG_QUOTE_WORDS
) -> tuple[int, int] | None:
    """(start, end) character offsets in ``text`` of its sentence with the most distinct
    ``terms`` (ties: the earlier sentence), for texts of more than ``min_words`` words and
    more than one sentence; None when the text is short or no sentence holds a term."""
    text = str(text or "")
    if len(text.split()) <= min_words:
        return None
    sentences = [m for m in _SENTENCE.finditer(text) if m.group().strip()]
    if len(sentences) < 2:
        return None
    patterns = [p for p in (_term_pattern(t) for t in dict.fromkeys(terms)) if p is not None]
    best, best_hits = None, 0
    for match in sentences:
        hits = sum(1 for p in patterns if p.search(match.group()))
        if hits > best_hits:
            best, best_hits = match, hits
    if best is None:
        return None
    return best.start(), best.start() + len(best.group().rstrip())


def evidence_quotes(
    mapper,
    segments: pd.DataFrame | None = None,
    n: int = 5,
    texts: list[str] | None = None,
    theme_labels=None,
    theme_scores: np.ndarray | None = None,
    min_words: int = MIN_QUOTE_WORDS,
) -> pd.DataFrame:
    """The ``n`` best quotes for every theme and every topic of a fitted ``ThemeMapper``.

    ``segments`` holds one row per modelled segment in the model's row order (segment_id,
    doc_id, speaker_role, start_char, end_char, text: the de-identified text). A quote
    should carry content: segments with at least ``min_words`` content words
    (``content_word_count`` on the mapper's tokens) come first, shorter ones only when a
    theme or topic has too few. Theme quotes are the segments labelled with the theme,
    ranked by their theme score, then length; topic quotes are the segments whose
    dominant topic it is, ranked by topic weight (to ``WEIGHT_TIE``), then by the score
    of the segment's own theme label, then length.
    ``theme_labels`` and ``theme_scores`` (segments x the mapper's themes) replace the
    mapper's labels and combined scores, e.g. with a coded-sample labeller's labels and
    probabilities, so that the quotes show what the run's final labels say.
    Returns columns: kind (theme/topic), key, rank, segment_id, doc_id, speaker_role,
    start_char, end_char, score, text, content_words.
    """
    labels = mapper.segment_labels_ if hasattr(mapper, "segment_labels_") else None
    if labels is None:
        labels = mapper.label_segments()
    n_rows = len(labels)
    theme_of = labels["theme"].to_numpy()
    combined = mapper.segment_combined_
    if theme_labels is not None:
        theme_of = np.asarray(theme_labels, dtype=object)
        combined = np.asarray(theme_scores, dtype=float) if theme_scores is not None else None
        if (
            len(theme_of) != n_rows
            or combined is None
            or combined.shape
            != (
                n_rows,
                len(mapper.theme_ids_),
            )
        ):
            raise UpstreamError(
                f"theme_labels/theme_scores need {n_rows} rows and "
                f"{len(mapper.theme_ids_)} score columns",
                where="evidence_quotes",
                fix="pass one label and one row of per-theme scores per modelled segment",
            )
    info = _segment_info(segments, n_rows)
    if texts is not None:
        info["text"] = list(texts)
    elif info["text"].isna().all():
        info["text"] = list(mapper.texts_)
    tokens = getattr(mapper, "tokens_", None)
    if tokens is not None and len(tokens) != n_rows:
        tokens = None
    words = content_word_count(info["text"].fillna("").astype(str).tolist(), tokens)
    info["content_words"] = words
    lengths = info["text"].fillna("").astype(str).str.len().to_numpy()
    # how sure the labeller is of each segment's own label: the tie-break between
    # segments that load equally on a topic
    if theme_labels is not None:
        own_score = combined.max(axis=1)
    elif "theme_score" in labels:
        own_score = labels["theme_score"].to_numpy(dtype=float)
    else:
        own_score = np.asarray(combined, float).max(axis=1)
    rows = []
    for j, theme_id in enumerate(mapper.theme_ids_):
        idx = np.flatnonzero(theme_of == theme_id)
        order = quote_order(idx, words, combined[:, j], lengths=lengths, min_words=min_words)[:n]
        for rank, i in enumerate(order, start=1):
            rows.append(
                {"kind": "theme", "key": theme_id, "rank": rank, "score": combined[i, j]}
                | info.iloc[i].to_dict()
            )
    doc_topic = mapper.doc_topic_
    dominant = doc_topic.argmax(axis=1)
    weight = doc_topic.max(axis=1)
    for t in range(doc_topic.shape[1]):
        idx = np.flatnonzero((dominant == t) & (weight > 0))
        order = quote_order(
            idx, words, weight, own_score, lengths, min_words=min_words, tie=WEIGHT_TIE
        )[:n]
        for rank, i in enumerate(order, start=1):
            rows.append(
                {"kind": "topic", "key": str(t), "rank": rank, "score": weight[i]}
                | info.iloc[i].to_dict()
            )
    frame = pd.DataFrame(rows, columns=QUOTE_COLUMNS)
    frame["score"] = frame["score"].astype(float).round(6)
    return frame


def theme_heatmap(theme_map: pd.DataFrame, topic_labels: dict | None = None, title: str = ""):
    """A topic-by-theme heatmap of mapping scores (``theme_map_``/``theme_map.csv``);
    assigned cells are outlined. Returns a matplotlib Figure (the caller saves it)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    themes = list(dict.fromkeys(theme_map["theme"]))
    scores = theme_map.pivot(index="topic", columns="theme", values="score")[themes]
    assigned = theme_map.pivot(index="topic", columns="theme", values="assigned")[themes]
    fig = Figure(figsize=(1.2 * len(themes) + 2.5, 0.45 * len(scores) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(scores.to_numpy(float), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(themes)), themes, rotation=30, ha="right")
    ylabels = [
        f"topic {t}" + (f" ({topic_labels[t]})" if topic_labels and t in topic_labels else "")
        for t in scores.index
    ]
    ax.set_yticks(range(len(scores)), ylabels)
    for r in range(scores.shape[0]):
        for c in range(scores.shape[1]):
            value = scores.iat[r, c]
            ax.text(
                c,
                r,
                f"{value:.2f}",
                ha="center",
                va="center",
                color="black" if value > 0.6 else "white",
                fontsize=8,
            )
            if bool(assigned.iat[r, c]):
                ax.add_patch(
                    matplotlib.patches.Rectangle(
                        (c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2
                    )
                )
    fig.colorbar(image, ax=ax, label="mapping score (0-1)")
    ax.set_title(title or "Topics mapped onto themes (outlined: assigned)")
    fig.tight_layout()
    return fig


# Labels a segment can get besides a codebook theme, in the order the figure shows them.
OFF_THEME_LABELS = ("emergent", "mixed", "other", "none")


def topic_label_table(
    assignments: pd.DataFrame, theme_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """How many of each topic's segments got each final segment label (``assignments``:
    ``topic``, ``theme``; whatever labeller set ``theme``). Rows: topics in order; columns:
    ``theme_ids`` in codebook order (kept when no segment got them), any other theme seen,
    then the off-theme labels present, ``none`` always last."""
    missing = [c for c in ("topic", "theme") if c not in assignments.columns]
    if missing:
        raise UpstreamError(
            f"assignments lack column(s) {missing}",
            where="topic_label_table",
            fix="pass the run's assignments (assignments.csv): one row per segment",
        )
    labels = assignments["theme"].fillna("none").astype(str)
    seen = set(labels)
    themes = list(dict.fromkeys(theme_ids or []))
    themes += sorted(seen - set(themes) - set(OFF_THEME_LABELS))
    off = [label for label in OFF_THEME_LABELS if label in seen or label == "none"]
    counts = pd.crosstab(assignments["topic"], labels).reindex(columns=themes + off, fill_value=0)
    counts.index.name, counts.columns.name = "topic", "theme"
    return counts.sort_index().astype(int)


def topic_label_heatmap(
    assignments: pd.DataFrame,
    theme_ids: Sequence[str] | None = None,
    topic_labels: dict | None = None,
    title: str = "",
):
    """A topic-by-label heatmap of the final segment labels: colour is the share of the
    topic's segments with each label, the number in a cell the count
    (``topic_label_table``). Beside ``theme_heatmap`` (how topics map onto themes), it
    shows what the segments were finally labelled, e.g. by a trained labeller
    (``label_source``), which need not follow the topic. Returns a matplotlib Figure."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    counts = topic_label_table(assignments, theme_ids)
    totals = counts.sum(axis=1)
    shares = counts.div(totals.where(totals > 0, 1), axis=0)
    labels = list(counts.columns)
    fig = Figure(figsize=(1.2 * len(labels) + 2.5, 0.45 * len(counts) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(shares.to_numpy(float), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ylabels = [
        f"topic {t}"
        + (f" ({topic_labels[t]})" if topic_labels and t in topic_labels else "")
        + f", n={int(totals[t])}"
        for t in counts.index
    ]
    ax.set_yticks(range(len(counts)), ylabels)
    for r in range(counts.shape[0]):
        for c in range(counts.shape[1]):
            ax.text(
                c,
                r,
                str(counts.iat[r, c]),
                ha="center",
                va="center",
                color="white" if shares.iat[r, c] > 0.6 else "black",
                fontsize=8,
            )
    fig.colorbar(image, ax=ax, label="share of the topic's segments")
    if "label_source" in assignments.columns:
        source = ", ".join(sorted(set(assignments["label_source"].astype(str))))
    else:
        source = "zero-shot mapping"
    ax.set_title(title or f"Final segment labels by topic (labels: {source})")
    fig.tight_layout()
    return fig
