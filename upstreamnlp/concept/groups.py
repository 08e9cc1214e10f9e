"""Who uses which sense, and which words keep the concept company in each group.

Sense prevalence reuses ``compare.prevalence`` (share of occurrences per sense in each
group, percentile intervals from a bootstrap over documents). Collocates are the words
within ``window`` tokens of the node, tested against the rest of that group's text with
log-likelihood G2 (Dunning 1993; Rayson & Garside 2000) and Hardie's (2014) log ratio,
as AntConc's collocates tool does.
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from upstreamnlp.compare import g2_keyness, log_ratio, prevalence
from upstreamnlp.concept.lexicon import ConceptSpec
from upstreamnlp.corpus.model import Corpus

COLLOCATE_COLUMNS = [
    "group",
    "term",
    "count_window",
    "count_rest",
    "window_tokens",
    "rest_tokens",
    "g2",
    "log_ratio",
]
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\-]*")


def sense_prevalence(
    occurrences: pd.DataFrame,
    by: str,
    n_boot: int = 1000,
    seed: int = 1,
    label: str = "sense_name",
) -> pd.DataFrame:
    """Share of the concept's occurrences in each sense per ``by`` group, with a
    document-bootstrap interval; a group with one document warns (no interval)."""
    return prevalence(occurrences, by=by, label=label, document="doc_id", n_boot=n_boot, seed=seed)


def _stop_form(word: str, drop: frozenset[str] | set[str]) -> bool:
    """Is ``word`` a stop word or filler, or its -s form ("gets", "says" for get, say)?
    Collocates are surface words; the stop lists hold base forms. -ing forms are kept:
    "thinking" in "upstream thinking" is no filler."""
    from upstreamnlp.themes.codebook import simple_lemma

    return word in drop or simple_lemma(word) in drop


def collocates(
    corpus: Corpus,
    occurrences: pd.DataFrame,
    by: str,
    spec: ConceptSpec | None = None,
    window: int = 5,
    min_count: int = 2,
    n: int = 20,
    include_interviewer: bool = False,
) -> pd.DataFrame:
    """Per group of ``by``: words within ``window`` tokens either side of the node that
    occur there more than in the rest of the group's text (G2 and log ratio, the top
    ``n`` by G2 with at least ``min_count`` window hits). Left out: stop words (spaCy's
    and scikit-learn's), spoken fillers (``preprocess.tokens.FILLERS``, as for the topic
    models), contractions ("that's", "i'd"), words of one or two letters, and the
    concept's own words."""
    from spacy.lang.en.stop_words import STOP_WORDS

    from upstreamnlp.concept.senses import _stop_words
    from upstreamnlp.preprocess.tokens import FILLERS

    spec = spec or ConceptSpec()
    drop = _stop_words() | spec.term_words() | FILLERS | STOP_WORDS
    nodes: dict[str, list[tuple[int, int]]] = {}
    for row in occurrences.itertuples():
        if row.segment_id is not None and not pd.isna(row.segment_id):
            nodes.setdefault(str(row.segment_id), []).append((row.start_char, row.end_char))
        else:
            nodes.setdefault(f"doc:{row.doc_id}", []).append((row.start_char, row.end_char))
    texts = {d.id: d.text for d in corpus.documents}
    window_counts: dict[str, Counter] = {}
    rest_counts: dict[str, Counter] = {}
    doc_meta = {d.id: d.metadata for d in corpus.documents}
    units = [
        (s.id, s.doc_id, s.start_char, s.end_char, {**doc_meta.get(s.doc_id, {}), **s.metadata})
        for s in corpus.iter_segments(include_interviewer=include_interviewer)
    ]
    with_segments = {u[1] for u in units}
    units += [
        (f"doc:{d.id}", d.id, 0, len(d.text), dict(d.metadata))
        for d in corpus.documents
        if d.id not in with_segments
    ]
    for unit_id, doc_id, start, end, metadata in units:
        group = metadata.get(by)
        if group is None or (not isinstance(group, str) and pd.isna(group)):
            continue
        group = str(group)
        tokens = [
            (m.start() + start, m.end() + start, m.group().lower())
            for m in _TOKEN.finditer(texts[doc_id][start:end])
        ]
        in_window = set()
        for n_start, n_end in nodes.get(unit_id, []):
            inside = [i for i, (a, b, _) in enumerate(tokens) if a < n_end and b > n_start]
            if not inside:
                continue
            low, high = max(0, inside[0] - window), min(len(tokens), inside[-1] + window + 1)
            in_window.update(i for i in range(low, high) if i not in inside)
        node_tokens = {
            i
            for n_start, n_end in nodes.get(unit_id, [])
            for i, (a, b, _) in enumerate(tokens)
            if a < n_end and b > n_start
        }
        win = window_counts.setdefault(group, Counter())
        rest = rest_counts.setdefault(group, Counter())
        for i, (_a, _b, word) in enumerate(tokens):
            if i in node_tokens:
                continue
            (win if i in in_window else rest)[word] += 1
    rows = []
    for group in sorted(window_counts):
        win, rest = window_counts[group], rest_counts[group]
        c, d = float(sum(win.values())), float(sum(rest.values()))
        scored = []
        for word, a in win.items():
            if a < min_count or "'" in word or len(word) <= 2 or _stop_form(word, drop):
                continue
            b = rest.get(word, 0)
            if d and b / d >= a / c:
                continue  # not more frequent near the node
            scored.append(
                {
                    "group": group,
                    "term": word,
                    "count_window": int(a),
                    "count_rest": int(b),
                    "window_tokens": int(c),
                    "rest_tokens": int(d),
                    "g2": round(g2_keyness(a, b, c, d), 4),
                    "log_ratio": round(log_ratio(a, b, c, d), 4),
                }
            )
        scored.sort(key=lambda r: (-r["g2"], r["term"]))
        rows.extend(scored[:n])
    return pd.DataFrame(rows, columns=COLLOCATE_COLUMNS)


def sense_prevalence_figure(prev: pd.DataFrame, by: str):
    """Grouped bars: share of each sense per group with bootstrap intervals."""
    from upstreamnlp.compare.figures import prevalence_plot

    fig = prevalence_plot(prev, title=f"Senses of the concept by {by}")
    fig.axes[0].set_ylabel("share of occurrences\n(95% CI, documents resampled)")
    return fig


def collocates_figure(table: pd.DataFrame, by: str, n: int = 10):
    """Horizontal bars of each group's top collocates by G2, one panel per group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys(table["group"])) or ["(none)"]
    fig, axes = plt.subplots(
        1, len(groups), figsize=(3.2 * len(groups) + 1, 0.3 * n + 1.5), squeeze=False
    )
    for ax, group in zip(axes[0], groups, strict=True):
        part = table[table["group"] == group].nlargest(n, "g2").iloc[::-1]
        if part.empty:
            ax.text(0.5, 0.5, "no collocates", ha="center", va="center")
            ax.set_axis_off()
            continue
        ax.barh(part["term"], part["g2"], color="#4c72b0")
        ax.set_title(str(group), fontsize=9)
        ax.set_xlabel("G2 (window vs rest)")
        ax.tick_params(axis="y", labelsize=8)
    fig.suptitle(f"Collocates of the concept by {by}", fontsize=10)
    fig.tight_layout()
    return fig
