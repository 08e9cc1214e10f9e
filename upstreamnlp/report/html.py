"""``report.html``: one self-contained page that walks a researcher through a run.

The page is built only from the files of a run folder, so it can be rebuilt without
re-running anything. It makes no network request (figures are base64 PNG data URIs,
CSS is inline, fonts are the system's, no JavaScript) and every piece of corpus text,
metadata, file name and config value is HTML-escaped. Optional parts that are missing
give a short note instead of an error.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from upstreamnlp.corpus.model import is_missing
from upstreamnlp.report.runfolder import RunFolder
from upstreamnlp.themes.evidence import (
    LONG_QUOTE_WORDS,
    MIN_QUOTE_WORDS,
    WEIGHT_TIE,
    key_sentence,
    quote_order,
)
from upstreamnlp.themes.validation import (
    AGREEMENT_COLUMNS,
    CODER_COLUMNS,
    interval_text,
    kappa_text,
)

DEFAULT_TITLE = "What does 'upstream' mean? A topic and theme analysis"
MAX_QUOTES = 5
TOP_TERMS = 15
DEFINITIONS_SHOWN = 20
GENERIC_ROWS = 15
DA_LABELS = ("determinant", "action", "both", "neither")

SECTIONS = [
    ("glance", "The study at a glance"),
    ("choosing-k", "Choosing the number of topics"),
    ("topics", "Topics"),
    ("themes", "Themes"),
    ("emergent", "Emergent topics"),
    ("determinants", "Determinants versus action"),
    ("compare", "Group comparisons"),
    ("concept", "The concept lens: \u201cupstream\u201d"),
    ("validation", "Validation against human coding"),
    ("provenance", "How the run was made"),
]

CSS = """
:root{--ink:#1d2327;--muted:#5f6b73;--line:#d8dee3;--zebra:#f4f6f8;--accent:#1f5f8b;--warn:#fff4d6}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:var(--ink);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 28px 80px}
h1{font-size:1.9rem;line-height:1.25;margin:.2em 0 .4em}
h2{font-size:1.45rem;margin:2.2em 0 .6em;padding-top:.4em;border-top:2px solid var(--line)}
h3{font-size:1.15rem;margin:1.6em 0 .4em}
h4{font-size:1rem;margin:1.2em 0 .3em;color:var(--muted)}
a{color:var(--accent)}
.sub{color:var(--muted);margin-top:0}
.caveat{background:var(--warn);border-left:5px solid #d9a300;padding:12px 16px;margin:16px 0}
.alert{background:#fde8e8;border-left:5px solid #c0392b;padding:12px 16px;margin:16px 0}
.note{color:var(--muted);font-style:italic}
nav.toc{background:var(--zebra);padding:10px 18px;border-radius:6px}
nav.toc ol{margin:.3em 0;padding-left:1.4em;columns:2}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.9rem;max-width:100%}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#e9eef2}
tbody tr:nth-child(even){background:var(--zebra)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
figure{margin:1em 0 1.4em}
figure img{max-width:100%;height:auto;border:1px solid var(--line)}
figcaption{color:var(--muted);font-size:.85rem}
blockquote.quote{margin:.6em 0;padding:8px 14px;border-left:4px solid var(--accent);background:var(--zebra)}
blockquote.quote p{margin:0 0 .3em;white-space:pre-wrap}
blockquote.quote footer{color:var(--muted);font-size:.8rem}
.terms{line-height:2}
.term{display:inline-block;background:#e6eff6;border-radius:4px;padding:0 6px;margin:0 4px 4px 0}
.term small{color:var(--muted)}
.label{font-weight:600}
mark{background:#ffe58a}
pre{background:var(--zebra);padding:10px;overflow-x:auto;font-size:.85rem}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 16px}
dl.kv dt{font-weight:600}dl.kv dd{margin:0}
"""


# --- small HTML helpers ----------------------------------------------------------------
def _e(value: Any) -> str:
    """Escape anything for HTML text or attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


_missing = is_missing


def _fmt(value: Any) -> str:
    """Numbers in a readable form; missing values as an en dash."""
    if _missing(value):
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and "int" in str(value.dtype)):
        return f"{int(value):,}"
    if isinstance(value, float) or hasattr(value, "dtype"):
        number = float(value)
        if math.isinf(number):
            return "\u221e" if number > 0 else "-\u221e"
        if abs(number) >= 1000:
            return f"{number:,.0f}"
        if abs(number) >= 100:
            return f"{number:.1f}"
        return f"{number:.3f}" if abs(number) < 10 else f"{number:.2f}"
    return str(value)


# Columns whose numbers are labels or positions, not quantities: no thousands separator
# (a year 2020, an offset 1493, a topic 3).
_PLAIN_COLUMNS = {"year", "topic", "k", "sense", "rank", "seed", "start", "end", "id"}
_PLAIN_SUFFIXES = ("_char", "_start", "_end", "_id", "_year")


def _plain_column(name: Any) -> bool:
    name = str(name).lower()
    return name in _PLAIN_COLUMNS or name.endswith(_PLAIN_SUFFIXES)


def _fmt_plain(value: Any) -> str:
    """A year, id or offset as written: 2020, not 2,020 (or 2,020.0)."""
    if _missing(value):
        return "\u2013"
    if _is_number(value) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _is_number(value: Any) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float))
        or (hasattr(value, "dtype") and str(value.dtype)[:3] in {"int", "flo"})
    )


_LABEL_SOURCES = {
    "zero-shot": "the codebook alone (descriptions, exemplars and seed terms, with the topics' "
    "mapping; no training)",
    "codebook-examples": "a classifier trained on the codebook's example passages "
    "(theme_mapping.examples)",
    "coded-sample": "a classifier trained on your coded sample (theme_mapping.coded_sample)",
    "coded-sample+codebook-examples": "a classifier trained on your coded sample and the "
    "codebook's example passages",
}


def _learning_note(manifest: dict) -> str:
    """How much the codebook's examples counted against a coded sample
    (``theme_mapping.examples_weight``) and how far a learned label leans on its neighbours
    (``theme_mapping.document_context``)."""
    manifest = manifest or {}
    note = ""
    examples = manifest.get("codebook_examples") or {}
    if "coded_sample" in manifest and examples.get("weight") is not None:
        note = (
            f" In training, each of the {examples.get('n_examples')} example passages counted "
            f"{examples['weight']:g} of one of your coded passages (theme_mapping.examples_weight)."
        )
    labeller = manifest.get("theme_labeller") or {}
    weight = labeller.get("document_context") or 0
    if not weight:
        return note
    return note + (
        " Each segment's label also leans towards those of its neighbours in the same document "
        f"(theme_mapping.document_context = {weight}, span {labeller.get('document_context_span')}"
        " segments), as a coder reading the whole document would; set it to 0 to label "
        "every segment on its own."
    )


def _note(text: str) -> str:
    return f'<p class="note">{_e(text)}</p>'


def _table(
    frame: pd.DataFrame | None,
    columns: Sequence[str] | None = None,
    headers: Sequence[str] | None = None,
    max_rows: int | None = None,
    max_chars: int = 400,
    empty: str = "Nothing to show.",
) -> str:
    """An escaped HTML table of ``frame`` (selected ``columns``, first ``max_rows``)."""
    if frame is None or frame.empty:
        return _note(empty)
    columns = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    headers = list(headers) if headers and len(headers) == len(columns) else columns
    shown = frame if max_rows is None else frame.head(max_rows)
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    formats = [_fmt_plain if _plain_column(c) else _fmt for c in columns]
    rows = []
    for record in shown[columns].itertuples(index=False, name=None):
        cells = []
        for value, fmt in zip(record, formats, strict=True):
            text = fmt(value)
            if len(text) > max_chars:
                text = text[:max_chars] + "\u2026"
            cls = ' class="num"' if _is_number(value) else ""
            cells.append(f"<td{cls}>{_e(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if max_rows is not None and len(frame) > max_rows:
        more = _note(f"First {max_rows} of {len(frame)} rows shown.")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def _kv(pairs: Iterable[tuple[str, Any]]) -> str:
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(_fmt(v))}</dd>" for k, v in pairs)
    return f'<dl class="kv">{items}</dl>'


def _counts_table(counts: dict | None, key: str, value: str = "count") -> str:
    if not counts:
        return _note(f"No {key} counts recorded.")
    frame = pd.DataFrame({key: list(counts), value: list(counts.values())})
    return _table(frame)


class _Page:
    """Collects the sections of one report and remembers which figures it showed."""

    def __init__(self, run: RunFolder, final: bool = False, codebook=None) -> None:
        self.run = run
        self.final = final  # written by the run itself as its last step
        self.shown_figures: set[str] = set()
        self.codebook = codebook  # its seed terms mark the key sentence of long theme quotes
        self.segment_text: dict[str, str] = {}
        if run.segments is not None and {"segment_id", "text"} <= set(run.segments.columns):
            self.segment_text = dict(
                zip(run.segments["segment_id"], run.segments["text"], strict=False)
            )

    def key_terms(self, scope: str, key: Any, n: int = 10) -> list[str]:
        """What marks the key sentence of a long quote: a topic's ``n`` top terms, or a
        theme's seed terms."""
        if scope == "topic":
            topics = self.run.topics
            if topics is None or not {"topic", "term"} <= set(topics.columns):
                return []
            rows = topics[topics["topic"].astype(str) == str(key)]
            if "rank" in rows:
                rows = rows.sort_values("rank", kind="stable")
            return [str(t) for t in rows["term"].head(n)]
        if self.codebook is not None and key in self.codebook.ids:
            return list(self.codebook.theme(key).seed_terms)
        return []

    def figure(self, name: str, caption: str = "") -> str:
        path = self.run.figure(name)
        if path is None:
            return ""
        self.shown_figures.add(name)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        cap = caption or name.replace("_", " ")
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{_e(cap)}">'
            f"<figcaption>{_e(cap)} (figures/{_e(name)}.png, .svg)</figcaption></figure>"
        )

    def figures_with_prefix(self, prefix: str, caption: Callable[[str], str] | None = None) -> str:
        return "".join(
            self.figure(name, caption(name) if caption else "")
            for name in self.run.figures()
            if name.startswith(prefix) and name not in self.shown_figures
        )


def _quote(row: dict[str, Any], highlight: str | None = None, score_name: str = "score") -> str:
    """One quotation with where it came from (document, speaker role, group, offsets),
    its ``score`` (named ``score_name``) and its number of content words."""
    text = "" if _missing(row.get("text")) else str(row.get("text"))
    body = _highlight(text, highlight) if highlight else _e(text)
    parts = [f"doc {row.get('doc_id')}"]
    if not _missing(row.get("segment_id")):
        parts.append(f"segment {row.get('segment_id')}")
    for key in ("speaker_role", "role", "discipline"):
        if not _missing(row.get(key)) and str(row.get(key)):
            parts.append(f"{key.replace('_', ' ')}: {row.get(key)}")
    if not _missing(row.get("start_char")) and not _missing(row.get("end_char")):
        parts.append(f"chars {int(row['start_char'])}\u2013{int(row['end_char'])}")
    if not _missing(row.get("score")):
        parts.append(f"{score_name} {_fmt(row.get('score'))}")
    if not _missing(row.get("content_words")):
        parts.append(f"{int(row['content_words'])} content words")
    footer = " \u00b7 ".join(_e(p) for p in parts)
    return f'<blockquote class="quote"><p>{body}</p><footer>{footer}</footer></blockquote>'


def _highlight(text: str, span: str | tuple[int, int] | None) -> str:
    """Escape ``text`` and wrap the defining span (a substring or offsets) in <mark>."""
    if isinstance(span, tuple):
        start, end = span
    elif span and span in text:
        start = text.index(span)
        end = start + len(span)
    else:
        return _e(text)
    if not 0 <= start < end <= len(text):
        return _e(text)
    return f"{_e(text[:start])}<mark>{_e(text[start:end])}</mark>{_e(text[end:])}"


def _quotes_for(page: _Page, scope: str, key: Any, n: int = MAX_QUOTES) -> str:
    quotes = page.run.quotes
    if quotes is None or not {"scope", "key", "text"} <= set(quotes.columns):
        return _note("No quotes.csv in this run.")
    rows = quotes[(quotes["scope"] == scope) & (quotes["key"] == str(key))]
    if "rank" in rows:
        rows = rows.sort_values("rank", kind="stable")
    if rows.empty:
        return _note(f"No quotes for this {scope}.")
    score_name = "topic weight" if scope == "topic" else "theme score"
    terms = page.key_terms(scope, key)
    return "".join(
        _quote(r, highlight=key_sentence(str(r.get("text") or ""), terms), score_name=score_name)
        for r in rows.head(n).to_dict("records")
    )


def _quote_rule(scope: str) -> str:
    """How ``themes.evidence_quotes`` chose the quotes of a topic or a theme, in words."""
    substantive = (
        f"segments with at least {MIN_QUOTE_WORDS} content words (the lemmas the model saw; "
        "shorter ones only when too few are that long)"
    )
    if scope == "topic":
        return (
            f"up to {MAX_QUOTES} quotes: {substantive} whose dominant topic it is, ranked by "
            "their weight on the topic (equal to two decimals counts as a tie), ties broken "
            "by the score of the segment's own theme label, then by length; in a quote of "
            f"more than {LONG_QUOTE_WORDS} words the sentence with most of the topic's top "
            "terms is marked"
        )
    return (
        f"up to {MAX_QUOTES} quotes: {substantive} labelled with the theme, ranked by their "
        f"theme score, then by length; in a quote of more than {LONG_QUOTE_WORDS} words the "
        "sentence with most of the theme's seed terms is marked"
    )


# --- the sections ------------------------------------------------------------------------
GLANCE_COUNTS = (("documents", "documents"), ("segments", "segments"))


def _modelled_counts(run: RunFolder) -> tuple[int | None, int | None, int]:
    """(segments modelled, segments that could have been, those left out for having no
    content words). ``corpus_summary.modelled_segments`` counts every segment outside
    interviewer turns; the model (and assignments.csv) sees only those with tokens left
    after preprocessing (``empty_segments_not_modelled`` in manifest.json)."""
    manifest = run.manifest
    summary = manifest.get("corpus_summary") or {}
    candidates = summary.get("modelled_segments")
    empty = manifest.get("empty_segments_not_modelled")
    assignments = run.assignments
    if assignments is not None:
        modelled = len(assignments)
    elif candidates is not None:
        modelled = int(candidates) - int(empty or 0)
    else:
        return None, None, 0
    if candidates is None:
        candidates = modelled + int(empty or 0)
    return int(modelled), int(candidates), max(0, int(candidates) - int(modelled))


def _glance(page: _Page) -> str:
    run = page.run
    manifest = run.manifest
    out = []
    summary = manifest.get("corpus_summary") or {}
    if summary:
        pairs = [(label, summary[key]) for key, label in GLANCE_COUNTS if key in summary]
        modelled, candidates, empty = _modelled_counts(run)
        if modelled is not None:
            text = f"{modelled:,}"
            if empty:
                text += (
                    f" (of the {candidates:,} segments outside interviewer turns; {empty:,} "
                    "had no content words left after preprocessing, e.g. a one-word reply or "
                    "only stop words and fillers, and were not modelled)"
                )
            else:
                text += " (interviewer turns excluded)"
            pairs.append(("segments modelled", text))
        out.append(_kv(pairs))
    segments = run.segments
    if segments is not None and {"doc_id", "text"} <= set(segments.columns):
        words = segments["text"].fillna("").astype(str).str.split().str.len()
        frame = segments.assign(_words=words)
        for column in ("kind", "role", "discipline", "speaker_role"):
            if column not in frame:
                continue
            table = (
                frame.fillna({column: "(none)"})
                .groupby(column, sort=True)
                .agg(
                    documents=("doc_id", "nunique"),
                    segments=("doc_id", "size"),
                    words=("_words", "sum"),
                )
                .reset_index()
            )
            out.append(f"<h4>By {_e(column.replace('_', ' '))}</h4>" + _table(table))
    else:
        for key in ("by_kind", "by_role", "by_discipline"):
            if summary.get(key):
                out.append(
                    f"<h4>{_e(key.replace('_', ' '))}</h4>" + _counts_table(summary[key], key[3:])
                )
        if not summary:
            out.append(_note("No segments.parquet or corpus summary in this run."))
    out.append("<h3>De-identification</h3>")
    deid = manifest.get("deidentification")
    if deid:
        out.append(
            "<p>Names and places were replaced by placeholders before anything was stored; "
            "replacements by type:</p>" + _counts_table(deid, "type", "replacements")
        )
    else:
        out.append(
            _note("No de-identification counts recorded (de-identification may have been off).")
        )
    skipped = manifest.get("skipped") or []
    out.append("<h3>Skipped files</h3>")
    if skipped:
        frame = pd.DataFrame(
            [
                (s[0], s[1]) if isinstance(s, (list, tuple)) and len(s) >= 2 else (s, "")
                for s in skipped
            ],
            columns=["file", "reason"],
        )
        out.append(_table(frame))
    else:
        out.append(_note("No input file was skipped."))
    warnings = manifest.get("warnings") or []
    if warnings:
        out.append(
            "<h3>Warnings</h3><ul>" + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul>"
        )
    return "".join(out)


def _choosing_k(page: _Page) -> str:
    run = page.run
    out = [page.figure("k_selection", "Topic quality by number of topics k")]
    models = run.metrics.get("models")
    if models:
        frame = pd.DataFrame(models)
        cols = [c for c in ("k", "npmi", "c_v", "diversity", "stability") if c in frame]
        cols += [c for c in frame.columns if c not in cols]
        out.append(_table(frame, cols))
        out.append(
            "<p>NPMI and C<sub>V</sub>: topic coherence (Bouma 2009; R\u00f6der, Both &amp; "
            "Hinneburg 2015); diversity: share of unique top terms (Dieng, Ruiz &amp; Blei 2020); "
            "stability: agreement of topics across seeds (Greene, O'Callaghan &amp; Cunningham 2014).</p>"
        )
    else:
        out.append(_note("No metrics.json in this run."))
    selection = run.manifest.get("k_selection") or {}
    reason = run.metrics.get("reason") or selection.get("reason")
    if run.chosen_k is not None:
        kind = run.metrics.get("model") or (run.config.get("model") or {}).get("kind")
        out.append(
            f'<p><span class="label">Chosen k = {_e(run.chosen_k)}</span>'
            + (f" ({_e(kind)})" if kind else "")
            + (f": {_e(reason)}" if reason else "")
            + "</p>"
        )
    elif not models:
        out.append(_note("No chosen k recorded."))
    return "".join(out)


def _topic_info(run: RunFolder) -> dict[int, dict[str, Any]]:
    """Per topic: label, themes, best score, number of segments."""
    info: dict[int, dict[str, Any]] = {}
    labels = run.topic_labels
    if labels is not None and {"topic", "label"} <= set(labels.columns):
        for row in labels.to_dict("records"):
            info.setdefault(int(row["topic"]), {})["label"] = row.get("label")
    theme_map = run.theme_map
    if theme_map is not None and {"topic", "theme", "score"} <= set(theme_map.columns):
        for topic, rows in theme_map.groupby("topic"):
            best = rows.sort_values("score", ascending=False, kind="stable").iloc[0]
            entry = info.setdefault(int(topic), {})
            entry["best_theme"], entry["best_score"] = best["theme"], best["score"]
            if "assigned" in rows:
                entry["assigned"] = [str(t) for t in rows.loc[rows["assigned"], "theme"]]
    assignments = run.assignments
    if assignments is not None and "topic" in assignments:
        for topic, n in assignments["topic"].value_counts().items():
            info.setdefault(int(topic), {})["segments"] = int(n)
        if "theme" in assignments:
            for topic, rows in assignments.groupby("topic"):
                info[int(topic)]["segment_labels"] = _label_counts(rows["theme"])
    return info


def _label_counts(labels: pd.Series) -> str:
    """'40 prevention, 12 grassroots, 6 none': the final labels of some segments, most
    frequent first."""
    counts = labels.fillna("none").astype(str).value_counts(sort=False)
    counts = counts.sort_values(ascending=False, kind="stable")
    return ", ".join(f"{n} {label}" for label, n in counts.items())


def _terms(terms: pd.DataFrame) -> str:
    spans = []
    for row in (
        terms.sort_values("rank", kind="stable").to_dict("records")
        if "rank" in terms
        else terms.to_dict("records")
    ):
        weight = f" <small>{_e(_fmt(row.get('weight')))}</small>" if "weight" in row else ""
        spans.append(f'<span class="term">{_e(row.get("term"))}{weight}</span>')
    return f'<p class="terms">{"".join(spans)}</p>'


MAPPING_VS_LABELS = (
    "Two things are labelled: each topic as a whole is mapped onto the themes it fits "
    "(a theme, 'mixed' for several, 'emergent' for none), and each segment is then labelled "
    "on its own, from its own words. A segment's label need not be its topic's: a segment "
    "of an emergent topic can get a theme, and a segment of a mapped topic another theme "
    "or none."
)


def _one_topic(page: _Page, topic: int, terms: pd.DataFrame | None, info: dict[str, Any]) -> str:
    label = info.get("label")
    heading = f"Topic {topic}" + (f" \u2014 {label}" if label else "")
    out = [f'<h3 id="topic-{_e(topic)}">{_e(heading)}</h3>']
    facts = []
    if info.get("assigned"):
        facts.append(f"topic mapped onto: {', '.join(info['assigned'])}")
    elif label == "emergent":
        facts.append("the topic fits no theme (emergent)")
    if "best_theme" in info:
        facts.append(f"closest theme: {info['best_theme']} (score {_fmt(info['best_score'])})")
    if "segments" in info:
        segments = f"{info['segments']} segments"
        if info.get("segment_labels"):
            segments += f", each labelled on its own: {info['segment_labels']}"
        facts.append(segments)
    if facts:
        sentence = "; ".join(facts)
        out.append(f"<p>{_e(sentence[:1].upper() + sentence[1:])}.</p>")
    if terms is not None and not terms.empty:
        out.append(_terms(terms))
    out.append(_quotes_for(page, "topic", topic))
    return "".join(out)


def _topics(page: _Page) -> str:
    run = page.run
    topics = run.topics
    info = _topic_info(run)
    if (topics is None or topics.empty) and not info:
        return _note("No topics.csv in this run.")
    numbers = sorted(
        set(info) | (set(int(t) for t in topics["topic"]) if topics is not None else set())
    )
    out = []
    if topics is not None and "k" in topics and len(topics):
        model = topics["model"].iloc[0] if "model" in topics else ""
        described = f"{model} model with k = {topics['k'].iloc[0]}".strip()
        out.append(
            f"<p>{_e(described)}; "
            f"top terms with their weight in the topic, then {_e(_quote_rule('topic'))}. "
            "A segment's topic weight is its share of the topic (0-1; 1 means the model puts "
            "all of the segment in this topic).</p>"
        )
    if any("segment_labels" in entry for entry in info.values()):
        out.append(f"<p>{_e(MAPPING_VS_LABELS)}</p>")
    for topic in numbers:
        terms = topics[topics["topic"] == topic] if topics is not None else None
        out.append(_one_topic(page, topic, terms, info.get(topic, {})))
    return "".join(out)


def _score_guide(assignments: pd.DataFrame | None) -> str:
    """What a theme score (``theme_score``) is, for the labels this run has."""
    learned = (
        assignments is not None
        and "label_source" in assignments
        and (assignments["label_source"].astype(str) != "zero-shot").any()
    )
    if learned:
        what = (
            "the labeller's probability (0-1) for the label it chose; 0.9 means it is "
            "fairly sure, near 1 / (number of themes + 1) means it is guessing"
        )
    else:
        what = (
            "the zero-shot score (0-1) of the chosen theme, combining seed terms, "
            "similarity to the codebook and the segment's topic; higher is a closer fit, "
            "not a probability"
        )
    return f"Reading the scores: a theme score (theme_score in assignments.csv) is {what}."


def _themes(page: _Page, codebook) -> str:
    run = page.run
    assignments = run.assignments
    total = len(assignments) if assignments is not None else 0
    described = ""
    if total:
        sources = (
            sorted(set(assignments["label_source"].astype(str)))
            if "label_source" in assignments
            else ["zero-shot"]
        )
        described = "; ".join(_LABEL_SOURCES.get(source, source) for source in sources)
    out = [
        page.figure(
            "topic_theme_heatmap", "Topic-by-theme mapping scores (assigned cells outlined)"
        ),
        page.figure(
            "topic_label_heatmap",
            "Final segment labels by topic: the share of each topic's segments given each "
            "theme label (numbers: segment counts)"
            + (f"; labels from {described}" if described else ""),
        ),
    ]
    theme_ids = [t.id for t in codebook.themes] if codebook is not None else run.theme_ids()
    if not theme_ids:
        return "".join(out) + _note("No theme mapping in this run (no codebook was given).")
    if codebook is None:
        out.append(_note("The codebook file was not found; themes are shown by id only."))
    theme_map = run.theme_map
    if total:
        out.append(_note(f"Segment labels come from {described}.{_learning_note(run.manifest)}"))
    out.append(f"<p>Under each theme, {_e(_quote_rule('theme'))}.</p>")
    out.append(_note(_score_guide(assignments)))
    for theme_id in theme_ids:
        theme = next((t for t in codebook.themes if t.id == theme_id), None) if codebook else None
        name = theme.name if theme else theme_id
        out.append(f'<h3 id="theme-{_e(theme_id)}">{_e(name)} <small>({_e(theme_id)})</small></h3>')
        if theme is not None:
            out.append(f"<p>{_e(theme.description)}</p>")
            if theme.seed_terms:
                out.append(
                    f'<p><span class="label">Seed terms:</span> {_e("; ".join(theme.seed_terms))}</p>'
                )
        if theme_map is not None and {"topic", "theme", "assigned"} <= set(theme_map.columns):
            mapped = theme_map[(theme_map["theme"] == theme_id) & theme_map["assigned"]]
            topics = ", ".join(
                f"topic {int(t)} ({_fmt(s)})"
                for t, s in zip(mapped["topic"], mapped["score"], strict=False)
            )
            if not topics:
                topics = (
                    "none (no topic as a whole fits it best; its segments are labelled one by one)"
                )
            out.append(f'<p><span class="label">Topics mapped onto it:</span> {_e(topics)}</p>')
        if assignments is not None and "theme" in assignments and total:
            labelled = assignments[assignments["theme"] == theme_id]
            docs = labelled["doc_id"].nunique() if "doc_id" in labelled else 0
            source = ""
            if "topic" in labelled and len(labelled):
                by_topic = labelled["topic"].value_counts(sort=False).sort_index()
                by_topic = by_topic.sort_values(ascending=False, kind="stable")
                source = "; from " + ", ".join(f"topic {int(t)} ({n})" for t, n in by_topic.items())
            out.append(
                f'<p><span class="label">Segments labelled with it:</span> {len(labelled)} of '
                f"{total} modelled segments ({100 * len(labelled) / total:.1f}%), in {docs} "
                f"documents{_e(source)}.</p>"
            )
        out.append(_quotes_for(page, "theme", theme_id))
        out.append(_passages_for(page, theme_id))
    return "".join(out)


# sentences shown per theme from passages.csv, and the fewest words one needs to be shown
PASSAGE_QUOTES = 3
MIN_PASSAGE_WORDS = 8


def _passages_for(page: _Page, theme_id: str) -> str:
    """The theme's count among the run's passages (each segment's sentences, labelled one
    by one) and its most typical sentences: the highest theme scores, one per document."""
    passages = page.run.passages
    if passages is None or not {"theme", "text", "doc_id"} <= set(passages.columns):
        return ""
    labelled = passages[passages["theme"] == theme_id]
    share = 100 * len(labelled) / len(passages) if len(passages) else 0.0
    out = [
        f'<p><span class="label">Sentences labelled with it:</span> {len(labelled)} of '
        f"{len(passages)} passages ({share:.1f}%; passages.csv), in "
        f"{labelled['doc_id'].nunique()} documents.</p>"
    ]
    words = labelled["text"].astype(str).str.split().str.len()
    typical = labelled[words >= MIN_PASSAGE_WORDS]
    if "theme_score" in typical:
        typical = typical.sort_values("theme_score", ascending=False, kind="stable")
    typical = typical.drop_duplicates("doc_id").head(PASSAGE_QUOTES)
    if len(typical):
        out.append(
            f"<p>Its most typical sentences (highest theme score, one per document, at least "
            f"{MIN_PASSAGE_WORDS} words):</p>"
        )
        for row in typical.to_dict("records"):
            row["score"] = row.get("theme_score")
            out.append(_quote(row, score_name="theme score"))
    return "".join(out)


def _emergent(page: _Page) -> str:
    run = page.run
    emergent = run.emergent_topics()
    out = [
        "<p>Topics that fit none of the codebook's themes: what the models found that the "
        "codebook lacks. Read the quotes before deciding whether they are a new theme, a "
        "mixture, or noise.</p>"
    ]
    assignments = run.assignments
    if emergent:
        out.append(f"<p>{_e(MAPPING_VS_LABELS)}</p>")
    if assignments is not None and "theme" in assignments and len(assignments):
        n = int((assignments["theme"] == "emergent").sum())
        in_emergent = (
            int(assignments["topic"].isin(emergent).sum()) if "topic" in assignments else 0
        )
        summary = [
            f"{in_emergent} of {len(assignments)} modelled segments belong to an emergent "
            f"topic; {n} {'segment carries' if n == 1 else 'segments carry'} the label "
            "'emergent' (a segment of an emergent topic that fits no theme on its own either)"
        ]
        if n == 0 and in_emergent:
            summary.append(
                " (each of them was given a theme or none by the segment labeller, see below)"
            )
        out.append(f"<p>{_e(''.join(summary))}.</p>")
    if not emergent:
        return "".join(out) + _note("Every topic mapped onto a theme (or no mapping was made).")
    topics = run.topics
    info = _topic_info(run)
    for topic in emergent:
        terms = topics[topics["topic"] == topic] if topics is not None else None
        out.append(
            _one_topic(page, topic, terms, info.get(topic, {})).replace(
                f'id="topic-{topic}"', f'id="emergent-{topic}"', 1
            )
        )
    return "".join(out)


def _determinant_source(manifest: dict) -> str:
    """Where the determinant/action labels came from (the manifest's
    ``determinant_labeller``; none: the cue-and-exemplar rule)."""
    info = (manifest or {}).get("determinant_labeller") or {}
    rule = (
        "the cue-and-exemplar rule (upstreamnlp.themes.determinants), whose cues are listed "
        "per segment in assignments.csv (determinant_evidence)"
    )
    if not info:
        return f"Labels come from {rule}."
    sources = {"coded-sample": "your coded sample", "codebook-examples": "the codebook's examples"}
    trained = " and ".join(sources.get(s, s) for s in str(info.get("trained_on", "")).split("+"))
    if info.get("rule_weight") is None:
        return (
            f"Labels come from a labeller trained on the aspects coded in {trained}; the cues "
            "in assignments.csv (determinant_evidence) are shown as evidence only."
        )
    return (
        f"Labels blend a labeller trained on the aspects in {trained} with {rule}: the rule "
        f"counts {info['rule_weight']:g} (theme_mapping.determinant_rule_weight), so the "
        'labeller overrules it only where it is clearly surer; "both" comes from the rule alone.'
    )


def _determinants(page: _Page) -> str:
    run = page.run
    assignments = run.assignments
    out = [
        "<p>Does a passage describe where a <em>cause</em> sits (upstream determinants), an "
        "<em>action</em> aimed upstream, both, or neither? (Krieger 2008.)</p>"
    ]
    if assignments is None or "determinant_or_action" not in assignments:
        return "".join(out) + _note("No determinant/action labels in assignments.csv.")
    out.append(_note(_determinant_source(run.manifest)))
    labels = assignments["determinant_or_action"].fillna("neither").astype(str)
    counts = labels.value_counts()
    order = [x for x in DA_LABELS if x in counts] + [x for x in counts.index if x not in DA_LABELS]
    frame = pd.DataFrame(
        {
            "label": order,
            "segments": [int(counts[x]) for x in order],
            "share": [counts[x] / len(labels) for x in order],
        }
    )
    out.append("<h3>Counts by label</h3>" + _table(frame))
    if "theme" in assignments:
        cross = pd.crosstab(assignments["theme"], labels).reindex(columns=order, fill_value=0)
        cross = cross.reset_index().rename(columns={"theme": "theme"})
        out.append("<h3>By theme</h3>" + _table(cross))
    out.append(page.figure("determinant_action", "Determinants versus action, by theme"))
    out.append("<h3>Examples</h3>")
    out.append(
        f"<p>For each label, up to three segments with at least {MIN_QUOTE_WORDS} content "
        "words (shorter ones only when too few are that long), ranked by their weight on "
        "their topic (equal to two decimals counts as a tie), then by their theme score, "
        "then by length.</p>"
    )
    frame = assignments.assign(_label=labels).reset_index(drop=True)
    ids = frame["segment_id"] if "segment_id" in frame else pd.Series([None] * len(frame))
    old_text = frame["text"] if "text" in frame else pd.Series([None] * len(frame))
    frame["text"] = [
        page.segment_text.get(sid, text) for sid, text in zip(ids, old_text, strict=True)
    ]
    texts = frame["text"].map(lambda t: "" if _missing(t) else str(t))
    # content words as the model saw them (tokens.parquet), else words of the text
    words = run.content_words
    frame["content_words"] = [
        words.get(str(sid), len(text.split())) for sid, text in zip(ids, texts, strict=True)
    ]

    def column(name: str):
        return frame[name].fillna(0).to_numpy(float) if name in frame else None

    for label in [x for x in ("determinant", "action", "both") if x in counts]:
        order = quote_order(
            frame.index[frame["_label"] == label].to_numpy(),
            frame["content_words"].to_numpy(),
            column("topic_weight") if "topic_weight" in frame else np.zeros(len(frame)),
            column("theme_score"),
            texts.str.len().to_numpy(),
            tie=WEIGHT_TIE,
        )[:3]
        rows = frame.loc[order].to_dict("records")
        quotes = []
        for row in rows:
            row = dict(row)
            row.pop("score", None)
            if not _missing(row.get("text")):
                quotes.append(_quote(row))
        out.append(
            f"<h4>{_e(label)}</h4>" + ("".join(quotes) or _note("No segment text available."))
        )
    return "".join(out)


def _warning(text: str) -> str:
    return f'<p class="caveat">{_e(text)}</p>'


def _interval_warning(prev: pd.DataFrame | None, unit: str) -> str:
    """A prevalence table's groups with one document have no bootstrap interval: the
    interval shown is the point estimate (zero width), which must not read as certainty."""
    if prev is None or not {"group", "n_documents"} <= set(prev.columns):
        return ""
    single = sorted(
        {str(g) for g, n in zip(prev["group"], prev["n_documents"], strict=True) if n == 1}
    )
    if not single:
        return ""
    names = ", ".join(single)
    return _warning(
        f"{names}: {'a single document' if len(single) == 1 else 'a single document each'}, "
        "so no bootstrap interval is possible (documents are resampled); the interval shown "
        f"is the point estimate, and the share describes one source's {unit}, not a group."
    )


def _run_warnings(run: RunFolder, column: str) -> str:
    """The run's warnings about this grouping (manifest.json ``warnings`` starting
    '<column>: '), other than the single-document one told by ``_interval_warning``."""
    found = [
        str(w)
        for w in run.manifest.get("warnings") or []
        if str(w).startswith(f"{column}: ") and "single document" not in str(w)
    ]
    return "".join(_warning(f"Warning from the run: {w}") for w in found)


# One line each on how to read the statistics of the comparison tables.
COMPARE_GUIDE = (
    "<strong>z</strong> (log-odds z-score): how distinctive a term is for the group against "
    "the rest; beyond \u00b11.96 the difference is unlikely to be chance (about p &lt; 0.05), "
    "and the further from 0, the more distinctive; negative means the rest use it more.",
    "<strong>G<sup>2</sup></strong> (log-likelihood): the evidence that the term's frequency "
    "differs; 3.84 corresponds to p &lt; 0.05 and 10.83 to p &lt; 0.001. It grows with "
    "frequency, so read it for certainty, not size.",
    "<strong>log ratio</strong>: the size of the difference, as the binary log of the ratio "
    "of relative frequencies: 1 is twice as frequent in the group as in the rest, 2 four "
    "times, 0 equal, -1 half.",
    "<strong>Jensen-Shannon divergence</strong> (JSD, in bits): how different two groups' "
    "distributions of terms, themes or topics are; 0 is identical, 1 is nothing in common, "
    "and it is symmetric.",
)


def _compare_columns(run: RunFolder) -> list[str]:
    columns = list((run.config.get("compare") or {}).get("by") or [])
    folder = run.path / "compare"
    if folder.is_dir():
        for path in sorted(folder.glob("*.csv")):
            for prefix in ("vocabulary_", "prevalence_", "divergence_"):
                if path.stem.startswith(prefix):
                    columns.append(path.stem[len(prefix) :])
    return list(dict.fromkeys(str(c) for c in columns))


def _compare(page: _Page) -> str:
    run = page.run
    columns = _compare_columns(run)
    if not columns:
        return _note("No group comparison in this run (set compare.by in the config).")
    out = [
        "<p>Distinctive terms: log-odds ratio with an informative Dirichlet prior, as a "
        "z-score (Monroe, Colaresi &amp; Quinn 2008), with Dunning's G<sup>2</sup> (1993) and "
        "Hardie's log ratio (2014). Prevalence intervals resample documents, not segments.</p>"
        f"<ul>{''.join(f'<li>{item}</li>' for item in COMPARE_GUIDE)}</ul>"
    ]
    for column in columns:
        out.append(f'<h3 id="compare-{_e(column)}">By {_e(column)}</h3>')
        vocab = run.csv(f"compare/vocabulary_{column}.csv")
        out.append("<h4>Distinctive terms per group</h4>")
        if vocab is not None and {"group", "term", "z"} <= set(vocab.columns):
            for group, rows in vocab.groupby("group", sort=True):
                top = rows.sort_values("z", ascending=False, kind="stable").head(TOP_TERMS)
                out.append(f'<p class="label">{_e(group)}</p>')
                out.append(
                    _table(
                        top,
                        ["term", "count", "z", "g2", "log_ratio"],
                        ["term", "count", "z", "G2", "log ratio"],
                    )
                )
                from upstreamnlp.report.figures import figure_name

                out.append(
                    page.figure(
                        figure_name("fightin_words", column, group),
                        f"Distinctive vocabulary: {group} versus the rest",
                    )
                )
        else:
            out.append(_note(f"No compare/vocabulary_{column}.csv."))
        out.append(page.figures_with_prefix(f"fightin_words_{column}_"))
        out.append("<h4>Prevalence by group</h4>")
        out.append(page.figure(f"prevalence_{column}", f"Share of segments by {column} (95% CI)"))
        prev = run.csv(f"compare/prevalence_{column}.csv")
        out.append(_interval_warning(prev, "segments"))
        out.append(_run_warnings(run, column))
        if prev is not None:
            prev = prev.sort_values(
                [c for c in ("measure", "label", "group") if c in prev], kind="stable"
            )
            out.append(
                _table(
                    prev,
                    [
                        "measure",
                        "label",
                        "group",
                        "share",
                        "ci_low",
                        "ci_high",
                        "n_segments",
                        "n_documents",
                    ],
                )
            )
        else:
            out.append(_note(f"No compare/prevalence_{column}.csv."))
        out.append("<h4>Divergence between groups</h4>")
        out.append(
            page.figure(
                f"divergence_{column}", f"Jensen-Shannon divergence between {column} groups"
            )
        )
        div = run.csv(f"compare/divergence_{column}.csv")
        if div is not None:
            if "measure" in div:
                for measure, rows in div.groupby("measure", sort=True):
                    out.append(f"<p>{_e(measure)}</p>" + _table(rows.drop(columns="measure")))
            else:
                out.append(_table(div))
        else:
            out.append(_note(f"No compare/divergence_{column}.csv."))
    return "".join(out)


def _first(columns: Iterable[str], options: Sequence[str]) -> str | None:
    columns = list(columns)
    return next((c for c in options if c in columns), None)


def _definitions(page: _Page, frame: pd.DataFrame) -> str:
    text_col = _first(frame.columns, ("text", "sentence", "context", "quote"))
    if text_col is None:
        return _table(frame, max_rows=DEFINITIONS_SHOWN)
    span_col = _first(frame.columns, ("definition", "defining_span", "span", "definiens"))
    offsets = next(
        (
            (a, b)
            for a, b in (
                ("span_start", "span_end"),
                ("definition_start", "definition_end"),
                ("def_start", "def_end"),
            )
            if a in frame and b in frame
        ),
        None,
    )
    group_col = _first(frame.columns, ("group", "role", "discipline"))
    groups = frame.groupby(group_col, sort=True) if group_col else [("all", frame)]
    per_group = max(1, DEFINITIONS_SHOWN // max(1, len(groups) if group_col else 1))
    out = []
    for group, rows in groups:
        out.append(f"<h4>{_e(group_col or 'all')}: {_e(group)}</h4>" if group_col else "")
        for row in rows.head(per_group).to_dict("records"):
            span: str | tuple[int, int] | None = None
            if offsets and not _missing(row.get(offsets[0])) and not _missing(row.get(offsets[1])):
                span = (int(row[offsets[0]]), int(row[offsets[1]]))
            elif span_col and not _missing(row.get(span_col)):
                span = str(row[span_col])
            quote_row = dict(row)
            quote_row["text"] = row.get(text_col)
            out.append(_quote(quote_row, highlight=span))
    return "".join(out)


# (column, heading) of the concept tables worth reading; other columns stay in the CSV
SENSE_TABLE = [
    ("sense", "sense"),
    ("name", "name"),
    ("n", "uses"),
    ("theme", "theme (closest to its words)"),
    ("theme_score", "theme score"),
    ("segment_themes", "the run's labels of the segments it occurs in"),
    ("literal", "literal use"),
    ("top_terms", "top terms"),
    ("quotes", "example uses"),
]
SENSE_PREVALENCE_TABLE = [
    ("group", "group"),
    ("label", "sense"),
    ("share", "share of uses"),
    ("ci_low", "95% CI low"),
    ("ci_high", "95% CI high"),
    ("n_segments", "uses"),
    ("n_documents", "documents"),
]
COLLOCATE_TABLE = [
    ("group", "group"),
    ("term", "word"),
    ("count_window", "near the term"),
    ("count_rest", "elsewhere in the group"),
    ("g2", "G2"),
    ("log_ratio", "log ratio"),
]
OCCURRENCE_TABLE = [
    ("doc_id", "document"),
    ("segment_id", "segment"),
    ("role", "role"),
    ("discipline", "discipline"),
    ("match", "matched"),
    ("sense_name", "sense"),
    ("sense_theme", "sense's theme"),
]


def _columns(spec: list[tuple[str, str]], frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The columns of ``spec`` that ``frame`` has, and their headings."""
    present = [(c, h) for c, h in spec if c in frame.columns]
    return [c for c, _ in present], [h for _, h in present]


def _concept_term(run: RunFolder) -> str:
    """The concept's name as the page quotes it: 'upstream' (concept.terms)."""
    terms = (run.config.get("concept") or {}).get("terms") or ["upstream"]
    if isinstance(terms, str):
        terms = [terms]
    return " / ".join(f"\u2018{t}\u2019" for t in terms)


_FORMS = {
    "term": "uses of the word itself",
    "phrase": "related phrases",
    "river_metaphor": "passages of the river metaphor",
}


def _occurrence_forms(conc: pd.DataFrame, run: RunFolder) -> str:
    """What the count includes, from the concordance's ``form`` column: ': 177 the word
    itself, 60 related phrases (e.g. ...), ...'; each use counted once, as its longest
    match."""
    if "form" not in conc or "match" not in conc or conc.empty:
        return ""
    forms = conc["form"].fillna("term").astype(str)
    if set(forms) <= {"term"}:
        return ""
    words = {str(t).lower() for t in (run.config.get("concept") or {}).get("terms") or ["upstream"]}
    parts = []
    for form, count in forms.value_counts(sort=False).sort_values(ascending=False).items():
        part = f"{count} {_FORMS.get(form, form.replace('_', ' '))}"
        if form != "term":
            matches = conc.loc[forms == form, "match"].astype(str).str.lower().value_counts()
            examples = list(matches.index[:3])
            # related phrases without the word itself are the ones a reader would not expect
            if form == "phrase":
                examples += [
                    m for m in matches.index if m not in examples and not words & set(m.split())
                ][:2]
            part += " (e.g. " + ", ".join(f"\u2018{m}\u2019" for m in examples) + ")"
        parts.append(part)
    return ": " + "; ".join(parts) + "; each use is counted once, as its longest match"


def _concept_columns(folder: Path) -> list[str]:
    """The groupings the lens compared: prevalence_<column>.csv or collocates_<column>.csv."""
    columns = []
    for prefix in ("prevalence_", "collocates_"):
        columns += [p.stem[len(prefix) :] for p in sorted(folder.glob(f"{prefix}*.csv"))]
    return list(dict.fromkeys(columns))


def _figure_column(name: str, kind: str) -> str:
    """'discipline' from concept_senses_by_discipline (or concept_senses_discipline)."""
    rest = name[len(f"concept_{kind}_") :]
    return rest[len("by_") :] if rest.startswith("by_") else rest


def _concept_figure(page: _Page, kind: str, column: str, caption: str) -> str:
    for name in (f"concept_{kind}_by_{column}", f"concept_{kind}_{column}"):
        if page.run.figure(name) is not None and name not in page.shown_figures:
            return page.figure(name, caption)
    return ""


def _concept(page: _Page) -> str:
    run = page.run
    folder = run.path / "concept"
    if not folder.is_dir():
        return _note(
            "No concept/ folder in this run: the concept lens was not run."
        ) + page.figures_with_prefix("concept_")
    term = _concept_term(run)
    out = []
    conc = run.csv("concept/concordance.csv")
    out.append("<h3>Concordance</h3>")
    if conc is not None:
        out.append(
            f"<p>{len(conc)} occurrences of {_e(term)}"
            + (f" in {conc['doc_id'].nunique()} documents" if "doc_id" in conc else "")
            + _e(_occurrence_forms(conc, run))
            + ".</p>"
        )
        group_col = _first(conc.columns, ("group", "role", "discipline"))
        if group_col:
            counts = conc[group_col].fillna("(none)").value_counts().sort_index()
            out.append(
                _table(pd.DataFrame({group_col: counts.index, "occurrences": counts.to_numpy()}))
            )
        keyword = _first(conc.columns, ("match", "keyword", "node"))
        cols = [c for c in ("doc_id", group_col, "left", keyword, "right") if c and c in conc]
        headers = [{"doc_id": "document", keyword: "matched"}.get(c, c) for c in cols]
        out.append(_table(conc, cols or None, headers, max_rows=GENERIC_ROWS))
    else:
        out.append(_note("No concept/concordance.csv."))
    out.append("<h3>Definitional statements</h3>")
    defs = run.csv("concept/definitions.csv")
    out.append(
        _definitions(page, defs)
        if defs is not None and len(defs)
        else _note("No definitional statements found.")
    )
    out.append("<h3>Senses</h3>")
    senses = run.csv("concept/senses.csv")
    out.append(
        _table(senses, *_columns(SENSE_TABLE, senses), max_rows=GENERIC_ROWS)
        if senses is not None
        else _note("No concept/senses.csv.")
    )
    by_columns = _concept_columns(folder)
    for column in by_columns:
        out.append(f"<h3>Senses of {_e(term)} by {_e(column)}</h3>")
        out.append(
            _concept_figure(
                page,
                "senses",
                column,
                f"Share of each sense of {term} in each {column} group (95% CI, documents "
                "resampled)",
            )
        )
        prev = run.csv(f"concept/prevalence_{column}.csv")
        out.append(_interval_warning(prev, "uses"))
        if prev is not None:
            out.append(_table(prev, *_columns(SENSE_PREVALENCE_TABLE, prev), max_rows=GENERIC_ROWS))
    for column in by_columns:
        out.append(f"<h3>Words near {_e(term)} by {_e(column)} (collocates)</h3>")
        out.append(
            _concept_figure(
                page,
                "collocates",
                column,
                f"Collocates of {term} by {column}: each group's words most often within five "
                "words of it, by G2",
            )
        )
        table = run.csv(f"concept/collocates_{column}.csv")
        if table is not None:
            out.append(_table(table, *_columns(COLLOCATE_TABLE, table), max_rows=GENERIC_ROWS))
    occurrences = run.csv("concept/occurrences.csv")
    if occurrences is not None:
        out.append(f"<h3>Each use of {_e(term)} and its sense</h3>")
        out.append(
            _table(occurrences, *_columns(OCCURRENCE_TABLE, occurrences), max_rows=GENERIC_ROWS)
        )
    known = {"concordance", "definitions", "senses", "occurrences"}
    for path in sorted(folder.glob("*.csv")):
        if path.stem not in known and not path.stem.startswith(("prevalence_", "collocates_")):
            out.append(
                f"<h3>{_e(path.stem.replace('_', ' '))}</h3>"
                + _table(run.csv(f"concept/{path.name}"), max_rows=GENERIC_ROWS)
            )
    out.append(
        page.figures_with_prefix(
            "concept_senses_", lambda n: f"Senses of {term} by {_figure_column(n, 'senses')}"
        )
    )
    out.append(
        page.figures_with_prefix(
            "concept_collocates_",
            lambda n: f"Collocates of {term} by {_figure_column(n, 'collocates')}",
        )
    )
    out.append(page.figures_with_prefix("concept_"))
    return "".join(out)


def _agreement(title: str, data: dict[str, Any]) -> str:
    out = [f"<h3>{_e(title)}</h3>"]
    pairs = [(k, data.get(k)) for k in ("kappa",) if k in data]
    interval = data.get("kappa_ci")
    if isinstance(interval, list) and len(interval) == 2 and None not in interval:
        pairs.append(("kappa, 95% interval", interval_text(*interval)))
    pairs += [
        (k, data.get(k)) for k in ("accuracy", "macro_f1", "n_matched", "n_unmatched") if k in data
    ]
    out.append(_kv(pairs))
    if data.get("kappa_ci_method"):
        out.append(
            _note(
                f"Interval: {data['kappa_ci_method']}; passages of one document are "
                "resampled together, as their labels are not independent."
            )
        )
    per = data.get("per_label") or data.get("per_theme") or {}
    if per:
        frame = pd.DataFrame([{"label": label, **values} for label, values in per.items()])
        out.append(_table(frame, ["label", "precision", "recall", "f1", "support"]))
    confusion = data.get("confusion")
    if isinstance(confusion, dict) and "counts" in confusion:
        frame = pd.DataFrame(
            confusion["counts"],
            index=confusion.get("labels_gold"),
            columns=confusion.get("labels_run"),
        )
        out.append("<p>Confusion matrix (rows: human coding, columns: run).</p>")
        out.append(_table(frame.reset_index(names="gold \\ run")))
    elif isinstance(confusion, dict) and confusion:
        frame = pd.DataFrame(confusion).T.fillna(0)
        out.append("<p>Confusion matrix (rows: human coding, columns: run).</p>")
        out.append(_table(frame.reset_index(names="gold \\ run")))
    return "".join(out)


def _agreements(data: dict[str, Any], unit: str = "") -> list[str]:
    """Theme and determinant/action agreement from validation.json's ``data`` (the
    segments', or with ``unit`` " (passages)" its ``passages`` block)."""
    theme = {k: data[k] for k in ("n_matched", "n_unmatched") if k in data}
    out = [_agreement(f"Themes{unit}", {**theme, **(data.get("theme") or {})})]
    if isinstance(data.get("determinant_or_action"), dict):
        out.append(_agreement(f"Determinants versus action{unit}", data["determinant_or_action"]))
    return out


def _validation(page: _Page) -> str:
    data = page.run.json("validation.json")
    if not isinstance(data, dict):
        return (
            "<p>No validation.json in this run: the theme labels have not been checked against "
            "human coding. To do so, draw a stratified sample, code it by hand, and compare:</p>"
            "<pre>upstreamnlp sample RUN_DIR --n 100 --out coding_sample.csv\n"
            "# fill in gold_theme (and gold_determinant_or_action), then\n"
            "upstreamnlp validate RUN_DIR --gold coding_sample.csv</pre>"
        )
    out = [
        "<p>Cohen's kappa (Cohen 1960) corrects agreement for chance; macro-F1 averages "
        "F1 over the labels in the human coding.</p>"
    ]
    out += _agreements(data)
    groups = {column: rows for column, rows in (data.get("by_group") or {}).items() if rows}
    if groups:
        out.append(
            _note(
                "If the machine agrees less with the coder in one group, differences between "
                "groups in theme prevalence (Compare) may partly be its errors: read them with "
                "the tables below beside them."
            )
        )
    for column, rows in groups.items():
        out.append(f"<h3>Agreement by {_e(column)}</h3>")
        table = pd.DataFrame(rows)
        none = pd.Series(None, index=table.index, dtype=object)
        for kappa in ("theme_kappa", "det_kappa"):  # with the interval, where recorded
            if kappa in table.columns:
                low, high = table.get(f"{kappa}_low", none), table.get(f"{kappa}_high", none)
                table[kappa] = [
                    kappa_text(*values) for values in zip(table[kappa], low, high, strict=True)
                ]
        headers = ["group", "passages", "theme kappa (95% interval)", "theme accuracy"]
        headers += ["passages (det/action)", "det/action kappa (95% interval)"]
        headers += ["det/action accuracy"]
        out.append(_table(table, ["group", *AGREEMENT_COLUMNS], headers))
    coders = data.get("coders") or []
    if coders:
        out.append("<h3>Agreement between coders</h3>")
        out.append(
            "<p>Each pair of human coders on the passages both coded (same document, sharing "
            "at least half of the shorter passage): the ceiling to read the run's agreement "
            "against.</p>"
        )
        headers = ["coder", "coder", "passages (both coded)", "theme kappa", "theme accuracy"]
        headers += ["passages (det/action)", "det/action kappa", "det/action accuracy"]
        out.append(_table(pd.DataFrame(coders), list(CODER_COLUMNS), headers))
    for note in data.get("notes") or []:
        out.append(_note(str(note)))
    passages = data.get("passages")
    if isinstance(passages, dict):
        out.append(
            "<h3>At the passages: each segment's sentences</h3><p>The figures above are for "
            "the segment labels (assignments.csv), which the topic prevalence and the group "
            "comparison count. A coder codes a sentence or two, so the run also labels each "
            "segment's sentences one by one (passages.csv) and each coded passage is matched "
            "to the run passage it overlaps most. Use these labels to find and code "
            "passages; the segment labels for prevalence.</p>"
        )
        out += _agreements(passages, " (passages)")
        for note in passages.get("notes") or []:
            out.append(_note(str(note)))
    return "".join(out)


def _run_status(manifest: dict, final: bool) -> str:
    """The run's status as the reader should see it. A run writes the report as its last
    step, while manifest.json still says "running"; it marks the manifest complete only
    after that, so a page written by the run (``final``) belongs to a complete run
    (a failed run leaves no run folder, only its .partial staging folder)."""
    status = str(manifest.get("status") or "unknown")
    if final and status == "running":
        return "complete"
    return status


def _provenance(page: _Page) -> str:
    run = page.run
    manifest = dict(run.manifest)
    if not manifest:
        return _note("No manifest.json in this run folder.")
    manifest["status"] = _run_status(manifest, page.final)
    out = [
        _kv(
            (k, manifest.get(k))
            for k in (
                "status",
                "started",
                "finished",
                "config_path",
                "seed",
                "pipeline",
                "embedder",
            )
            if k in manifest
        )
    ]
    if manifest.get("seeds"):
        out.append(
            f'<p><span class="label">Seeds:</span> {_e(", ".join(str(s) for s in manifest["seeds"]))}</p>'
        )
    out.append("<h3>Configuration</h3>")
    config_text = yaml.safe_dump(
        run.config, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    out.append(f"<pre>{_e(config_text)}</pre>")
    out.append("<h3>Versions</h3>" + _counts_table(manifest.get("versions"), "package", "version"))
    out.append("<h3>Input files</h3>")
    inputs = manifest.get("inputs") or []
    out.append(
        _table(pd.DataFrame(inputs), ["path", "bytes", "sha256"])
        if inputs
        else _note("No input files recorded.")
    )
    out.append(
        "<h3>Timings (seconds)</h3>" + _counts_table(manifest.get("timings"), "stage", "seconds")
    )
    return "".join(out)


def write_report(
    run_dir: str | Path,
    title: str | None = None,
    final_name: str | None = None,
) -> Path:
    """Build ``run_dir/report.html`` from the run folder's files and return its path.

    Works on partial folders: every missing optional file gives a short note.
    ``final_name``: set by ``upstreamnlp.run`` when it writes the report as its last
    step, in the staging folder that becomes the run folder ``final_name``; the page then
    names that folder and does not warn that the run is incomplete.
    """
    run = RunFolder(run_dir)
    codebook = run.codebook()
    page = _Page(run, final=final_name is not None, codebook=codebook)
    title = title or (run.config.get("report") or {}).get("title") or DEFAULT_TITLE
    builders = {
        "glance": _glance,
        "choosing-k": _choosing_k,
        "topics": _topics,
        "themes": lambda p: _themes(p, codebook),
        "emergent": _emergent,
        "determinants": _determinants,
        "compare": _compare,
        "concept": _concept,
        "validation": _validation,
        "provenance": _provenance,
    }
    bodies = []
    for number, (anchor, heading) in enumerate(SECTIONS, start=1):
        body = builders[anchor](page)
        if anchor == "provenance":
            rest = [n for n in run.figures() if n not in page.shown_figures]
            if rest:
                body += "<h3>Other figures</h3>" + "".join(page.figure(n) for n in rest)
        bodies.append(f'<section id="{anchor}"><h2>{number}. {_e(heading)}</h2>{body}</section>')
    toc = "".join(f'<li><a href="#{a}">{_e(h)}</a></li>' for a, h in SECTIONS)
    status = run.manifest.get("status")
    alert = ""
    if status != "complete" and final_name is None:
        alert = (
            f'<div class="alert">This run folder is not complete (status: {_e(status or "unknown")}); '
            "parts of the report may be missing or out of date.</div>"
        )
    summary = run.manifest.get("corpus_summary") or {}
    parts = [f"{summary[k]:,} {k}" for k in ("documents", "segments") if k in summary]
    modelled = _modelled_counts(run)[0]
    if parts and modelled is not None:
        parts.append(f"{modelled:,} modelled")
    subtitle = ", ".join(parts)
    caveat = (
        '<div class="caveat"><strong>Read this first.</strong> The model is an aid to reading, '
        "not a replacement: it groups and ranks passages, it does not understand them. Check "
        "the quotes before drawing a conclusion from any topic, theme or comparison "
        "(Nelson 2020, \u201cComputational grounded theory\u201d; Grimmer &amp; Stewart 2013, "
        "\u201cText as data\u201d).</div>"
    )
    document = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{_e(title)}</h1>"
        + (
            f'<p class="sub">{_e(subtitle)} \u00b7 run folder {_e(final_name or run.path.name)}</p>'
            if subtitle
            else ""
        )
        + alert
        + caveat
        + f'<nav class="toc"><strong>Contents</strong><ol>{toc}</ol></nav>'
        + "".join(bodies)
        + "</main></body></html>\n"
    )
    path = run.path / "report.html"
    path.write_text(document, encoding="utf-8")
    return path
