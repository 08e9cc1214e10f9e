"""Agreement between the run's labels and human coding, and samples for coding.

Direct validation by human coding of a random sample is what the methods literature asks
for (Grimmer & Stewart 2013; Nelson 2020); agreement is Cohen's kappa (Cohen 1960), the
statistic NVivo and QualCoder report, with per-theme precision, recall and F1, and a 95%
interval for kappa from a bootstrap over documents (``kappa_interval``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from upstreamnlp.bootstrap import percentile_interval, resampled_sums
from upstreamnlp.corpus.tables import read_csv_file
from upstreamnlp.errors import UpstreamError

GOLD_COLUMNS = ("doc_id", "start_char", "end_char", "theme")
RUN_OTHER_LABELS = ("none", "emergent", "mixed")
OTHER = "other"


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Cohen's kappa (Cohen 1960): (p_o - p_e) / (1 - p_e), where p_o is the observed
    agreement and p_e the agreement expected from each coder's label frequencies.
    Returns 1.0 when both coders use one and the same label throughout."""
    a = [str(x) for x in a]
    b = [str(x) for x in b]
    if len(a) != len(b):
        raise ValueError(f"kappa needs equal lengths, got {len(a)} and {len(b)}")
    if not a:
        return float("nan")
    labels = sorted(set(a) | set(b))
    index = {label: i for i, label in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)))
    for x, y in zip(a, b, strict=True):
        table[index[x], index[y]] += 1
    n = table.sum()
    p_o = np.trace(table) / n
    p_e = float((table.sum(axis=1) / n) @ (table.sum(axis=0) / n))
    if p_e >= 1.0:
        return 1.0 if p_o >= 1.0 else 0.0
    return float((p_o - p_e) / (1.0 - p_e))


# the bootstrap interval for kappa: resamples, level and seed (fixed, so that a
# validation run is reproducible)
KAPPA_CI_RESAMPLES = 2000
KAPPA_CI_LEVEL = 0.95
KAPPA_CI_SEED = 0


def _kappas_from_counts(counts: np.ndarray, n_labels: int) -> np.ndarray:
    """Cohen's kappa of each row of ``counts`` (rows: flattened gold x run tables)."""
    tables = counts.reshape(len(counts), n_labels, n_labels).astype(float)
    n = tables.sum(axis=(1, 2))
    safe = np.where(n > 0, n, 1.0)
    p_o = np.trace(tables, axis1=1, axis2=2) / safe
    p_e = np.einsum(
        "ki,ki->k", tables.sum(axis=2) / safe[:, None], tables.sum(axis=1) / safe[:, None]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (p_o - p_e) / (1.0 - p_e)
    degenerate = p_e >= 1.0 - 1e-12
    kappa[degenerate] = np.where(p_o[degenerate] >= 1.0 - 1e-12, 1.0, 0.0)
    kappa[n == 0] = np.nan
    return kappa


def _resampling_units(groups: Sequence[Any] | None, n: int) -> tuple[np.ndarray, str]:
    """What the kappa bootstrap draws for ``n`` passages: their documents (``groups``), or
    the passages themselves when there are no groups or only one. Returns each passage's
    unit number and the units' name."""
    if groups is None or len(set(map(str, groups))) < 2:
        return np.arange(n), "passages"
    if len(groups) != n:
        raise ValueError(f"kappa_interval: {len(groups)} groups for {n} passages")
    return pd.factorize(pd.Series([str(g) for g in groups]))[0], "documents"


def interval_text(low: float, high: float, digits: int = 3) -> str:
    """An interval as the CLI, the report and the tables write it: ``0.624 to 0.724``."""
    return f"{low:.{digits}f} to {high:.{digits}f}"


def kappa_interval(
    gold: Sequence[Any],
    run: Sequence[Any],
    groups: Sequence[Any] | None = None,
    resamples: int = KAPPA_CI_RESAMPLES,
    level: float = KAPPA_CI_LEVEL,
    seed: int = KAPPA_CI_SEED,
) -> tuple[float, float]:
    """A percentile bootstrap interval for Cohen's kappa (Efron & Tibshirani 1993, ch. 13).

    With ``groups`` (one per passage: its document) whole documents are drawn with
    replacement, a cluster bootstrap (Davison & Hinkley 1997, section 3.8): passages of one
    interview or abstract share a speaker and a subject, so their errors are not
    independent, and resampling single passages would make the interval too narrow.
    Without ``groups`` (or with one group) passages are drawn. Returns (low, high); NaN
    when there are no passages."""
    gold = [str(x) for x in gold]
    run = [str(x) for x in run]
    if len(gold) != len(run):
        raise ValueError(f"kappa_interval needs equal lengths, got {len(gold)} and {len(run)}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"kappa_interval: level {level} is not between 0 and 1")
    if not gold:
        return float("nan"), float("nan")
    labels = sorted(set(gold) | set(run))
    index = {label: i for i, label in enumerate(labels)}
    cells = np.array([index[g] * len(labels) + index[r] for g, r in zip(gold, run, strict=True)])
    unit, _ = _resampling_units(groups, len(gold))
    n_units = int(unit.max()) + 1
    per_unit = np.zeros((n_units, len(labels) ** 2))
    np.add.at(per_unit, (unit, cells), 1.0)
    counts = resampled_sums(per_unit, resamples, np.random.default_rng(seed))
    values = _kappas_from_counts(counts, len(labels))
    values = values[np.isfinite(values)]
    if not len(values):
        return float("nan"), float("nan")
    low, high = percentile_interval(values, level)
    return float(low), float(high)


@dataclass
class Agreement:
    """Agreement on one labelling: kappa (with its bootstrap interval, when computed),
    accuracy, per-label P/R/F1, macro-F1, confusion."""

    kappa: float
    accuracy: float
    macro_f1: float
    per_label: pd.DataFrame  # label, precision, recall, f1, support (gold count)
    confusion: pd.DataFrame  # rows: gold label, columns: run label
    kappa_ci: tuple[float, float] | None = None  # (low, high), KAPPA_CI_LEVEL
    kappa_ci_method: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kappa": _round(self.kappa),
            "kappa_ci": (
                [_round(self.kappa_ci[0]), _round(self.kappa_ci[1])] if self.kappa_ci else None
            ),
            "kappa_ci_method": self.kappa_ci_method,
            "accuracy": _round(self.accuracy),
            "macro_f1": _round(self.macro_f1),
            "per_label": {
                row.label: {
                    "precision": _round(row.precision),
                    "recall": _round(row.recall),
                    "f1": _round(row.f1),
                    "support": int(row.support),
                }
                for row in self.per_label.itertuples()
            },
            "confusion": {
                "labels_gold": [str(x) for x in self.confusion.index],
                "labels_run": [str(x) for x in self.confusion.columns],
                "counts": self.confusion.to_numpy().astype(int).tolist(),
            },
        }


def _round(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table's rows for JSON, numbers rounded (NaN as None)."""
    return [
        {k: (_round(v) if isinstance(v, float) else v) for k, v in row.items()}
        for row in table.to_dict("records")
    ]


def agreement(
    gold: Sequence[str], run: Sequence[str], groups: Sequence[Any] | None = None
) -> Agreement:
    """Kappa, accuracy, per-label precision/recall/F1 and the confusion matrix.
    Macro-F1 averages F1 over the labels that occur in the gold coding. With ``groups``
    (each passage's document) kappa also gets its 95% interval from a bootstrap over the
    documents (``kappa_interval``)."""
    gold = [str(x) for x in gold]
    run = [str(x) for x in run]
    gold_labels = sorted(set(gold), key=lambda x: (x == OTHER, x))
    extra = sorted(set(run) - set(gold_labels), key=lambda x: (x == OTHER, x))
    labels = gold_labels + extra
    confusion = pd.DataFrame(0, index=pd.Index(labels, name="gold"), columns=labels)
    confusion.columns.name = "run"
    for g, r in zip(gold, run, strict=True):
        confusion.loc[g, r] += 1
    rows = []
    for label in labels:
        tp = confusion.loc[label, label]
        predicted = confusion[label].sum()
        actual = confusion.loc[label].sum()
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append(
            {
                "label": label,
                "precision": float(precision),
                "recall": float(recall),
                "f1": float(f1),
                "support": int(actual),
            }
        )
    per_label = pd.DataFrame(rows, columns=["label", "precision", "recall", "f1", "support"])
    macro = float(per_label.loc[per_label["support"] > 0, "f1"].mean()) if rows else float("nan")
    accuracy = float(np.mean([g == r for g, r in zip(gold, run, strict=True)])) if gold else 0.0
    result = Agreement(cohen_kappa(gold, run), accuracy, macro, per_label, confusion)
    if groups is not None and gold:
        result.kappa_ci = kappa_interval(gold, run, groups)
        units, name = _resampling_units(groups, len(gold))
        result.kappa_ci_method = (
            f"{KAPPA_CI_LEVEL:.0%} percentile bootstrap, {KAPPA_CI_RESAMPLES} resamples of the "
            f"{int(units.max()) + 1} {name}"
        )
    return result


@dataclass
class ValidationResult:
    """What ``validate`` found: matches, unmatched gold passages and the agreements."""

    n_gold: int
    n_matched: int
    theme: Agreement
    determinant_or_action: Agreement | None
    matches: pd.DataFrame
    unmatched: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    n_excluded_training: int = 0
    # per metadata column (validate's ``by``): agreement within each of its groups
    by_group: dict[str, pd.DataFrame] = field(default_factory=dict)
    # with two or more coders in the gold: their agreement with each other (coder_agreement)
    coders: pd.DataFrame | None = None
    # the run's unit these labels are of: "segment" (assignments.csv) or "passage"
    unit: str = "segment"
    # the same gold against the run's passages (passages.csv), when validate is given them
    passages: ValidationResult | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (what ``validation.json`` holds)."""
        return {
            "by_group": {column: _records(table) for column, table in self.by_group.items()},
            "coders": _records(self.coders) if self.coders is not None else [],
            "n_gold": self.n_gold,
            "n_matched": self.n_matched,
            "n_unmatched": int(len(self.unmatched)),
            "n_excluded_training": self.n_excluded_training,
            "unmatched": self.unmatched[["doc_id", "start_char", "end_char"]].to_dict("records"),
            "theme": self.theme.to_dict(),
            "determinant_or_action": (
                self.determinant_or_action.to_dict() if self.determinant_or_action else None
            ),
            "notes": self.notes,
            "unit": self.unit,
            **({"passages": self.passages.to_dict()} if self.passages is not None else {}),
        }


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UpstreamError(
            f"{what} lacks column(s) {missing}",
            where=what,
            fix=f"{what} needs the columns {list(columns)}",
        )


SOURCE_OFFSETS = ("source_start_char", "source_end_char")


def in_source_offsets(assignments: pd.DataFrame) -> pd.DataFrame:
    """``assignments`` (or segments) with ``start_char``/``end_char`` in the original
    documents' offsets: a de-identified run's segments keep where they lay before names
    were replaced (``source_start_char``/``source_end_char``), and a human coder quotes
    the original document. Rows without source offsets (a run that replaced nothing, or
    one written before they were kept) keep their own."""
    if not all(c in assignments.columns for c in SOURCE_OFFSETS):
        return assignments
    out = assignments.copy()
    for offset, source in zip(("start_char", "end_char"), SOURCE_OFFSETS, strict=True):
        known = pd.to_numeric(out[source], errors="coerce")
        out[offset] = known.fillna(out[offset]).astype(int)
    return out


def locate_by_segment(passages: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Passages that name a run segment (``segment_id``, as a filled-in ``upstreamnlp
    sample`` file does) take that segment's offsets from ``assignments``: a coding sheet's
    offsets are the run's own, not the original document's."""
    if "segment_id" not in passages.columns or passages.empty:
        return passages
    spans = _by_segment_id(assignments)[["start_char", "end_char"]]
    named = passages["segment_id"].map(lambda v: str(v) if not _blank(v) else None)
    known = named.isin(spans.index)
    if not known.any():
        return passages
    out = passages.copy()
    for column in ("start_char", "end_char"):
        out.loc[known, column] = named[known].map(spans[column]).astype(int).to_numpy()
    return out


def locate_run_offsets(passages: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Passages whose offsets are into the run's own de-identified texts (``offsets`` =
    ``run``: codings read back from the run's REFI-QDA project) get the ``segment_id`` of
    the segment they overlap most there, so that ``locate_by_segment`` places them.
    ``assignments`` must still hold the run's own offsets."""
    if "offsets" not in passages.columns or passages.empty:
        return passages
    from upstreamnlp.themes.qda_coding import RUN_OFFSETS

    own = passages["offsets"].astype(str) == RUN_OFFSETS
    if not own.any():
        return passages
    out = passages.copy()
    if "segment_id" not in out.columns:
        out["segment_id"] = None
    out["segment_id"] = out["segment_id"].astype(object)
    spans = out.loc[own, ["doc_id", "start_char", "end_char"]].copy()
    spans["doc_id"] = spans["doc_id"].astype(str)
    found = match_passages(assignments, spans.reset_index(drop=True))["segment_id"].to_numpy()
    out.loc[own, "segment_id"] = found
    return out


def in_original_offsets(
    assignments: pd.DataFrame, *passages: pd.DataFrame
) -> tuple[pd.DataFrame, ...]:
    """``assignments`` (or segments) and each frame of coded ``passages`` in one frame of
    reference, the original documents' offsets, which a coder quotes: a passage from the
    run's own QDA project is placed by the segment it overlaps in the run's text, a
    passage naming a segment (a coding sheet) takes that segment's original offsets, any
    other is already in original offsets."""
    source = in_source_offsets(assignments)
    placed = [locate_by_segment(locate_run_offsets(p, assignments), source) for p in passages]
    return (source, *placed)


def _by_segment_id(assignments: pd.DataFrame) -> pd.DataFrame:
    """One row per segment, indexed by its id as text."""
    unique = assignments.drop_duplicates("segment_id")
    return unique.set_index(unique["segment_id"].astype(str))


def _blank(value: Any) -> bool:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return True
    return str(value).strip() == ""


def match_passages(assignments: pd.DataFrame, gold: pd.DataFrame) -> pd.DataFrame:
    """For each gold passage, the run segment of the same document with the largest
    character overlap (ties: the earlier segment); a passage that names a run segment
    (``segment_id``) is matched to it. Unmatched passages get NaN ``segment_id``. Returns
    gold's rows with ``segment_id``, ``overlap`` and a ``run_*`` column for each of
    ``theme`` and ``determinant_or_action`` that ``assignments`` has. Offsets of both are
    compared as given (``validate`` puts them in the original documents' offsets)."""
    by_doc = {d: g.sort_values("start_char") for d, g in assignments.groupby("doc_id", sort=False)}
    by_id = _by_segment_id(assignments)
    named = "segment_id" in gold.columns
    rows = []
    for g in gold.itertuples(index=False):
        best, best_overlap = None, 0
        candidates = by_doc.get(g.doc_id)
        segment_id = getattr(g, "segment_id", None) if named else None
        if not _blank(segment_id) and str(segment_id) in by_id.index:
            best = by_id.loc[str(segment_id)]
            best_overlap = int(
                min(best["end_char"], g.end_char) - max(best["start_char"], g.start_char)
            )
        elif candidates is not None:
            start = candidates["start_char"].to_numpy()
            end = candidates["end_char"].to_numpy()
            overlap = np.minimum(end, g.end_char) - np.maximum(start, g.start_char)
            if len(overlap) and overlap.max() > 0:
                i = int(np.argmax(overlap))
                best, best_overlap = candidates.iloc[i], int(overlap[i])
        row = g._asdict()
        row["segment_id"] = best["segment_id"] if best is not None else None
        row["overlap"] = best_overlap
        if "theme" in assignments.columns:
            row["run_theme"] = best["theme"] if best is not None else None
        if "determinant_or_action" in assignments.columns:
            row["run_determinant_or_action"] = (
                best["determinant_or_action"] if best is not None else None
            )
        rows.append(row)
    return pd.DataFrame(rows)


def overlaps_training(
    passages: pd.DataFrame, training: pd.DataFrame, segments: pd.DataFrame | None = None
) -> np.ndarray:
    """True for each passage that shares characters with a training passage of the same
    document, or (with ``segments``: matched ``segment_id`` plus the run's segment
    offsets) whose matched run segment does - a segment labelled by a classifier that saw
    part of it is not held out."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for row in training.itertuples(index=False):
        spans.setdefault(str(row.doc_id), []).append((int(row.start_char), int(row.end_char)))

    def hits(doc_id: str, start: Any, end: Any) -> bool:
        if pd.isna(start) or pd.isna(end):
            return False
        return any(min(e, end) > max(s, start) for s, e in spans.get(str(doc_id), ()))

    out = np.zeros(len(passages), dtype=bool)
    bounds = None
    if segments is not None and "segment_id" in passages:
        bounds = segments.drop_duplicates("segment_id").set_index("segment_id")
    for i, row in enumerate(passages.itertuples(index=False)):
        out[i] = hits(row.doc_id, row.start_char, row.end_char)
        segment_id = getattr(row, "segment_id", None)
        if not out[i] and bounds is not None and segment_id in bounds.index:
            seg = bounds.loc[segment_id]
            out[i] = hits(row.doc_id, seg["start_char"], seg["end_char"])
    return out


# groups with fewer matched passages than this get a warning: their kappa is unstable
SMALL_GROUP = 20
AGREEMENT_COLUMNS = ("n", "theme_kappa", "theme_accuracy", "det_n", "det_kappa", "det_accuracy")
# each group's kappas with their 95% interval (bootstrap over the group's documents)
INTERVAL_COLUMNS = ("theme_kappa_low", "theme_kappa_high", "det_kappa_low", "det_kappa_high")
GROUP_COLUMNS = ("group", *AGREEMENT_COLUMNS, *INTERVAL_COLUMNS)


def kappa_text(kappa: Any, low: Any = None, high: Any = None) -> str:
    """A kappa for a table: ``0.584 (0.49 to 0.67)`` with its interval, ``-`` for none."""

    def known(x: Any) -> bool:
        return x is not None and isinstance(x, (int, float)) and bool(np.isfinite(x))

    if not known(kappa):
        return "-"
    if known(low) and known(high):
        return f"{kappa:.3f} ({interval_text(low, high, 2)})"
    return f"{kappa:.3f}"


def _aspect_agreement(
    matched: pd.DataFrame, with_interval: bool = False
) -> tuple[int, Agreement | None]:
    """Determinant/action agreement over the matched passages the coder gave an aspect
    (and the run labelled): their number and the agreement (None when there are none)."""
    if not {"determinant_or_action", "run_determinant_or_action"} <= set(matched.columns):
        return 0, None
    coded = matched[
        matched["determinant_or_action"].notna()
        & (matched["determinant_or_action"].astype(str).str.strip() != "")
        & matched["run_determinant_or_action"].notna()
    ]
    if coded.empty:
        return 0, None
    return len(coded), agreement(
        coded["determinant_or_action"].astype(str).tolist(),
        coded["run_determinant_or_action"].astype(str).tolist(),
        groups=coded["doc_id"].astype(str).tolist() if with_interval else None,
    )


def agreement_by_group(matched: pd.DataFrame, column: str) -> pd.DataFrame:
    """Agreement within each value of ``column`` (a column of ``matched``: gold passages with
    ``theme``, ``run_theme`` and optionally ``determinant_or_action`` /
    ``run_determinant_or_action``). One row per group: ``n`` passages, theme kappa and
    accuracy, and the same for determinant/action over the ``det_n`` passages coded for it,
    each kappa with its 95% interval (``*_low``, ``*_high``: bootstrap over the group's
    documents, ``kappa_interval``), so that two groups' kappas can be told apart or not.
    Passages whose segment has no value form the group ``(missing)``."""
    values = matched[column].astype(object).where(matched[column].notna(), "(missing)")
    values = values.map(lambda v: str(v).strip() or "(missing)")
    rows = []
    for value, part in matched.groupby(values, sort=True):
        theme = agreement(
            part["theme"].astype(str).tolist(),
            part["run_theme"].astype(str).tolist(),
            groups=part["doc_id"].astype(str).tolist(),
        )
        nan = float("nan")
        row = {
            "group": str(value),
            "n": len(part),
            "theme_kappa": theme.kappa,
            "theme_accuracy": theme.accuracy,
            "det_n": 0,
            "det_kappa": nan,
            "det_accuracy": nan,
            "theme_kappa_low": theme.kappa_ci[0] if theme.kappa_ci else nan,
            "theme_kappa_high": theme.kappa_ci[1] if theme.kappa_ci else nan,
            "det_kappa_low": nan,
            "det_kappa_high": nan,
        }
        n_det, det = _aspect_agreement(part, with_interval=True)
        if det is not None:
            row.update(det_n=n_det, det_kappa=det.kappa, det_accuracy=det.accuracy)
            if det.kappa_ci:
                row.update(det_kappa_low=det.kappa_ci[0], det_kappa_high=det.kappa_ci[1])
        rows.append(row)
    return pd.DataFrame(rows, columns=list(GROUP_COLUMNS))


CODER_COLUMNS = ("coder_a", "coder_b", *AGREEMENT_COLUMNS)


def _coders(gold: pd.DataFrame) -> list[str]:
    """The distinct coders a gold coding names (its ``coder`` column), in order."""
    if "coder" not in gold.columns:
        return []
    names = gold["coder"].astype(object).where(gold["coder"].notna(), "").astype(str)
    return [c for c in dict.fromkeys(names.str.strip()) if c]


def _paired(a: pd.DataFrame, b: pd.DataFrame) -> list[tuple[int, int]]:
    """Passages of two coders that are the same unit: same document, sharing at least half
    of the shorter one's characters; each passage in one pair at most, largest overlaps
    first. Returns (row of a, row of b) positions."""
    b_by_doc = {d: part for d, part in b.groupby(b["doc_id"].astype(str), sort=False)}
    candidates = []
    for i, x in enumerate(a.itertuples(index=False)):
        part = b_by_doc.get(str(x.doc_id))
        if part is None:
            continue
        start, end = part["start_char"].to_numpy(), part["end_char"].to_numpy()
        overlap = np.minimum(end, x.end_char) - np.maximum(start, x.start_char)
        shorter = np.minimum(end - start, x.end_char - x.start_char)
        for k in np.flatnonzero((overlap > 0) & (2 * overlap >= shorter)):
            candidates.append((-int(overlap[k]), i, b.index.get_loc(part.index[k])))
    used_a, used_b, pairs = set(), set(), []
    for _, i, j in sorted(candidates):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def coder_agreement(gold: pd.DataFrame) -> pd.DataFrame:
    """How far human coders agree with each other (NVivo's coding comparison, as Cohen's
    kappa): for each pair of coders in ``gold``'s ``coder`` column, the passages both
    coded (same document, sharing at least half of the shorter passage), with theme kappa
    and accuracy, and determinant/action over the pairs both gave one. One row per pair
    of coders (``CODER_COLUMNS``); no rows with fewer than two coders. This is the ceiling
    to read the machine's agreement against."""
    coders = _coders(gold)
    frames = {
        c: gold[gold["coder"].astype(str).str.strip() == c].reset_index(drop=True) for c in coders
    }
    rows = []
    for n, first in enumerate(coders):
        for second in coders[n + 1 :]:
            a, b = frames[first], frames[second]
            pairs = _paired(a, b)
            row = {"coder_a": first, "coder_b": second, "n": len(pairs)}
            row.update(theme_kappa=float("nan"), theme_accuracy=float("nan"))
            row.update(det_n=0, det_kappa=float("nan"), det_accuracy=float("nan"))
            if pairs:
                left = a.iloc[[i for i, _ in pairs]].reset_index(drop=True)
                right = b.iloc[[j for _, j in pairs]].reset_index(drop=True)
                theme = agreement(  # "none" and "other" both mean no theme
                    left["theme"].astype(str).replace({"none": OTHER}).tolist(),
                    right["theme"].astype(str).replace({"none": OTHER}).tolist(),
                )
                row.update(theme_kappa=theme.kappa, theme_accuracy=theme.accuracy)
                if "determinant_or_action" in gold.columns:
                    # _aspect_agreement: the first coder's labels against the second's
                    both = left.assign(
                        run_determinant_or_action=right["determinant_or_action"].where(
                            right["determinant_or_action"].astype(str).str.strip() != ""
                        )
                    )
                    n_det, det = _aspect_agreement(both)
                    if det is not None:
                        row.update(det_n=n_det, det_kappa=det.kappa, det_accuracy=det.accuracy)
            rows.append(row)
    return pd.DataFrame(rows, columns=list(CODER_COLUMNS))


def validate(
    assignments: pd.DataFrame,
    gold: pd.DataFrame,
    segments: pd.DataFrame | None = None,
    training: pd.DataFrame | None = None,
    by: Sequence[str] = (),
    passages: pd.DataFrame | None = None,
) -> ValidationResult:
    """Agreement of a run's segment labels with human-coded gold passages.

    ``assignments``: segment_id, doc_id, start_char, end_char, theme
    [, determinant_or_action]; start/end are taken from ``segments`` (segments.parquet)
    when absent. ``gold``: doc_id, start_char, end_char, theme [, determinant_or_action].
    Gold offsets are read as offsets into the original documents, as a coder quotes them,
    and compared with where each segment lay before de-identification (its
    ``source_start_char``/``source_end_char``), so names replaced earlier in a transcript
    do not shift the match; a gold row with a ``segment_id`` of the run (a filled-in
    coding sample) is matched to that segment.
    When the gold coding uses ``other``, the run's ``none``/``emergent``/``mixed`` count
    as ``other``. ``training`` (doc_id, start_char, end_char): the coded passages a
    supervised labeller learned from; gold passages overlapping one of them, or matched
    to a run segment that overlaps one, are left out and counted in
    ``n_excluded_training`` (agreement on training data says nothing about new data).

    ``by``: metadata columns of ``assignments`` (role, discipline, ...) to break agreement
    down by (``by_group``, ``agreement_by_group``): if the machine is less reliable for
    one group, comparing theme prevalence between groups partly compares its errors. A
    column the gold has and the run has not (``coder``) is read from the gold. With two or
    more coders in the gold's ``coder`` column, agreement is also broken down by coder and
    ``coders`` holds the coders' agreement with each other (``coder_agreement``).

    ``passages`` (passages.csv: passage_id, segment_id, doc_id, offsets, labels): the
    run's sentence-level labels. Each gold passage is then also matched to the run passage
    it overlaps most, and ``passages`` of the result holds that agreement (``unit``
    "passage"). Gold passages left out above (training) are left out there too, and so
    are those that name a run segment (a coding sheet codes whole segments), with a note;
    a coding from the run's own QDA project is matched where it lies in the run's text.
    """
    assignments = assignments.copy()
    if ("start_char" not in assignments or "end_char" not in assignments) and (
        segments is not None
    ):
        _require(segments, ["segment_id", "start_char", "end_char"], "segments")
        offsets = ["start_char", "end_char", *(c for c in SOURCE_OFFSETS if c in segments)]
        assignments = assignments.drop(columns=offsets, errors="ignore")
        assignments = assignments.merge(
            segments[["segment_id", *offsets]], on="segment_id", how="left"
        )
    _require(
        assignments, ["segment_id", "doc_id", "start_char", "end_char", "theme"], "assignments"
    )
    _require(gold, GOLD_COLUMNS, "gold coding")
    assignments["doc_id"] = assignments["doc_id"].astype(str)
    gold = gold.copy()
    gold["doc_id"] = gold["doc_id"].astype(str)
    # rows placed by a run segment (a coding sheet) or in the run's own text (its QDA
    # project), which the passages need before in_original_offsets moves them
    placed = _placed_by_run(gold)
    if training is not None and len(training):
        _require(training, ["doc_id", "start_char", "end_char"], "training passages")
        assignments, gold, training = in_original_offsets(assignments, gold, training)
    else:
        assignments, gold = in_original_offsets(assignments, gold)
    matches = match_passages(assignments, gold)
    notes = []
    n_excluded = 0
    seen = np.zeros(len(matches), dtype=bool)
    if training is not None and len(training):
        seen = overlaps_training(
            matches, training, assignments[["segment_id", "start_char", "end_char"]]
        )
        n_excluded = int(seen.sum())
        matches = matches[~seen].reset_index(drop=True)
        if n_excluded:
            notes.append(
                f"{n_excluded} gold passage(s) left out: they (or their run segment) overlap "
                "passages of the coded sample the labeller was trained on"
            )
        if matches.empty:
            notes.append(
                "every gold passage overlaps the coded training sample: there is no "
                "held-out agreement to report; code a fresh sample of other passages "
                "(upstreamnlp sample) to validate the trained labeller"
            )
    matched = matches[matches["segment_id"].notna()].copy()
    unmatched = matches[matches["segment_id"].isna()].copy()
    gold_themes = set(gold["theme"].astype(str))
    run_theme = matched["run_theme"].astype(str)
    if OTHER in gold_themes:
        run_theme = run_theme.where(~run_theme.isin(RUN_OTHER_LABELS), OTHER)
        notes.append("run labels none/emergent/mixed counted as 'other'")
        # a coding that also says "none" (one coder's word for it) means the same
        matched["theme"] = matched["theme"].astype(str).replace({"none": OTHER})
    matched["run_theme"] = run_theme
    theme = agreement(
        matched["theme"].astype(str).tolist(),
        run_theme.tolist(),
        groups=matched["doc_id"].astype(str).tolist(),
    )
    det = (
        _aspect_agreement(matched, with_interval=True)[1]
        if "determinant_or_action" in gold.columns
        else None
    )
    if len(unmatched):
        notes.append(f"{len(unmatched)} gold passage(s) overlap no run segment")
    coders = None
    n_coders = len(_coders(gold))
    if n_coders > 1:
        by = [*by, "coder"]
        coders = coder_agreement(gold)
        notes.append(
            f"{n_coders} coders: the agreement above pools every coder's passages (a "
            "passage two coders coded counts twice); the run against each coder is in "
            "the table by coder, and the coders against each other in the table "
            "'agreement between coders' (validation.json: 'coders')"
        )
    by_group = {}
    for column in dict.fromkeys(by):
        if column in assignments.columns:
            values = assignments.drop_duplicates("segment_id").set_index("segment_id")[column]
            if column in matched.columns:  # a gold column of the same name: the run's wins
                matched = matched.drop(columns=[column])
            matched[column] = matched["segment_id"].map(values)
        elif column not in matched.columns:
            notes.append(
                f"no agreement by {column}: neither the run nor the gold has a column {column!r}"
            )
            continue
        by_group[column] = agreement_by_group(matched, column)
        small = by_group[column].loc[by_group[column]["n"] < SMALL_GROUP, "group"].tolist()
        if small:
            notes.append(
                f"agreement by {column}: fewer than {SMALL_GROUP} passages in "
                f"{', '.join(small)}; their kappa is unstable"
            )
    by_passage = None
    if passages is not None:
        by_passage = _validate_passages(passages, gold, seen, placed, by)
    return ValidationResult(
        n_gold=len(gold),
        n_matched=len(matched),
        theme=theme,
        determinant_or_action=det,
        matches=matches,
        unmatched=unmatched,
        notes=notes,
        n_excluded_training=n_excluded,
        by_group=by_group,
        coders=coders,
        passages=by_passage,
    )


def _validate_passages(
    passages: pd.DataFrame,
    gold: pd.DataFrame,
    seen: np.ndarray,
    placed: dict[str, np.ndarray],
    by: Sequence[str],
) -> ValidationResult | None:
    """``validate``'s agreement at the run's passages: ``gold`` (in original offsets)
    matched by overlap to ``passages``, leaving out the rows ``seen`` in training and
    those that named a run segment; a row coded in the run's own text is matched to the
    passage it overlaps there (``placed``: ``_placed_by_run``)."""
    _require(
        passages,
        ["passage_id", "segment_id", "doc_id", "start_char", "end_char", "theme"],
        "passages",
    )
    units = passages.drop(columns=["segment_id"]).rename(columns={"passage_id": "segment_id"})
    units["doc_id"] = units["doc_id"].astype(str)
    part = gold.reset_index(drop=True).copy()
    own = placed["own"]
    if own.any():  # where its selection lies in the run's text, not its segment's bounds
        spans = pd.DataFrame(
            {
                "doc_id": part.loc[own, "doc_id"].astype(str).to_numpy(),
                "start_char": placed["start"][own],
                "end_char": placed["end"][own],
            }
        )
        found = match_passages(units, spans)["segment_id"]
        hit = found.notna().to_numpy()
        source = in_source_offsets(units).set_index("segment_id")
        rows = np.flatnonzero(own)[hit]
        for column in ("start_char", "end_char"):
            part.loc[rows, column] = source.loc[found[hit], column].to_numpy()
    sheet = placed["sheet"]
    keep = ~(np.asarray(seen, dtype=bool) | sheet)
    # every row is now in the original documents' offsets, placed by no segment
    part = part[keep].drop(columns=["segment_id", "offsets"], errors="ignore")
    part = part.reset_index(drop=True)
    if part.empty:
        return None
    result = validate(units, part, by=by)
    result.unit = "passage"
    result.n_excluded_training = int(np.asarray(seen).sum())
    n_whole = int((sheet & ~np.asarray(seen, dtype=bool)).sum())
    if n_whole:
        result.notes.insert(
            0,
            f"{n_whole} gold passage(s) name a run segment (a coding sheet codes whole "
            "segments): compared with segment labels only",
        )
    return result


def _placed_by_run(gold: pd.DataFrame) -> dict[str, np.ndarray]:
    """Gold rows the run's segments place (``in_original_offsets``): ``sheet``, those
    naming a run segment (a filled-in coding sheet codes whole segments), and ``own``,
    those coded in the run's own text (read back from its QDA project), with their
    offsets there (``start``, ``end``) before they are moved to their segment's."""
    n = len(gold)
    sheet = np.zeros(n, dtype=bool)
    if "segment_id" in gold.columns:
        sheet = ~gold["segment_id"].map(_blank).to_numpy(dtype=bool)
    own = np.zeros(n, dtype=bool)
    if "offsets" in gold.columns:
        from upstreamnlp.themes.qda_coding import RUN_OFFSETS

        own = (gold["offsets"].astype(str) == RUN_OFFSETS).to_numpy() & ~sheet
    start = pd.to_numeric(gold["start_char"], errors="coerce").to_numpy()
    end = pd.to_numeric(gold["end_char"], errors="coerce").to_numpy()
    return {"sheet": sheet, "own": own, "start": start, "end": end}


def load_codings(
    paths: Sequence[str | Path], theme_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Several coders' codings as one gold coding (``load_gold`` each): rows without a
    ``coder`` take their file's name (``anna.docx`` -> ``anna``; the whole path when two
    files share a name), so ``validate`` compares the run with each coder and the coders
    with each other. One path: ``load_gold`` alone."""
    paths = [Path(p) for p in paths]
    if len(paths) == 1:
        return load_gold(paths[0], theme_ids)
    stems = [p.stem for p in paths]
    frames = []
    for path, stem in zip(paths, stems, strict=True):
        name = stem if stems.count(stem) == 1 else str(path)
        frame = load_gold(path, theme_ids)
        coder = frame["coder"] if "coder" in frame.columns else pd.Series("", index=frame.index)
        blank = coder.isna() | (coder.astype(str).str.strip() == "")
        frames.append(frame.assign(coder=coder.astype(object).where(~blank, name)))
    return pd.concat(frames, ignore_index=True)


def load_gold(path: str | Path, theme_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a gold coding: a CSV with doc_id, start_char, end_char, theme
    [, determinant_or_action], or a filled-in coding sample (``gold_theme``,
    ``gold_determinant_or_action``) as CSV or as the .docx coding sheet
    (``upstreamnlp sample --out FILE.docx``); rows left uncoded are dropped; or the run's
    REFI-QDA project coded in NVivo, ATLAS.ti, MAXQDA or QualCoder and exported again
    (``.qdpx``; ``themes.qda_coding``), whose offsets are the run's own.

    Offsets must be numbers and determinant/action labels one of determinant, action,
    both, neither (or empty). Theme labels are checked against ``theme_ids`` (plus
    ``other``/``none``) when given; a .docx sheet or a project brings its codebook's ids."""
    path = Path(path)
    if not path.exists():
        raise UpstreamError("gold coding file not found", path=path, fix="check the --gold path")
    if path.suffix.lower() == ".qdpx":
        from upstreamnlp.themes.qda_coding import read_qdpx_coding

        gold, project_ids = read_qdpx_coding(path)
        return _check_gold(
            gold, path, "coded selection", theme_ids if theme_ids is not None else project_ids
        )
    if path.suffix.lower() in (".doc", ".rtf"):
        raise UpstreamError(
            f"a {path.suffix.lower()} document is not read",
            path=path,
            fix="save the coding sheet as .docx (Word: Save As > Word Document; LibreOffice: "
            "Save As > Word 2007-365), keeping its tables",
        )
    if path.suffix.lower() in (".docx", ".odt"):  # the coding sheet, from Word or LibreOffice
        from upstreamnlp.themes.coding_sheet import read_coding_sheet

        gold, sheet_ids = read_coding_sheet(path)
        return _check_gold(
            gold, path, "table row", theme_ids if theme_ids is not None else sheet_ids
        )
    gold = read_csv_file(
        path,
        fix="give a CSV, the .docx coding sheet or a .qdpx project",
        dtype={"doc_id": str},
        keep_default_na=False,
    )
    gold.index = gold.index + 2  # line numbers: the header is line 1
    return _check_gold(gold, path, "line", theme_ids)


def _check_gold(
    gold: pd.DataFrame, path: Path, row: str, theme_ids: Sequence[str] | None
) -> pd.DataFrame:
    """The checks every gold coding goes through, whatever file it came from. ``gold``'s
    index is where each row sits in the file (``row`` names the unit: line, table row),
    so an error points at the row the researcher has to fix."""
    from upstreamnlp.themes.supervised import OFF_THEME_LABELS

    theme_column, aspect_column = "theme", "determinant_or_action"
    if "theme" not in gold.columns and "gold_theme" in gold.columns:
        theme_column, aspect_column = "gold_theme", "gold_determinant_or_action"
        gold = gold.rename(columns={theme_column: "theme", aspect_column: "determinant_or_action"})
        gold = gold[gold["theme"].astype(str).str.strip() != ""]
        if gold.empty:
            raise UpstreamError(
                "no segment is coded yet: every gold_theme cell is empty",
                path=path,
                fix="fill in gold_theme (and gold_determinant_or_action) for the segments "
                "you coded, save, and give the file again",
            )
    missing = [c for c in GOLD_COLUMNS if c not in gold.columns]
    if missing:
        raise UpstreamError(
            f"missing column(s) {missing}",
            path=path,
            where="header",
            fix=f"the gold coding needs the columns {list(GOLD_COLUMNS)} "
            "(and optionally determinant_or_action), or those of a filled-in "
            "`upstreamnlp sample` file",
        )
    gold = gold.copy()
    for column in ("start_char", "end_char"):
        numbers = pd.to_numeric(gold[column], errors="coerce")
        bad = numbers.isna()
        if bad.any():
            at = bad.idxmax()
            raise UpstreamError(
                f"column '{column}' must be a whole number, got {gold.at[at, column]!r}",
                path=path,
                where=f"{row} {at}",
                fix="give character offsets into the document text (in a coding sample, "
                "the offsets it was written with)",
            )
        gold[column] = numbers.astype(int)
    empty = gold["end_char"] <= gold["start_char"]
    if empty.any():
        raise UpstreamError(
            "end_char must be greater than start_char",
            path=path,
            where=f"{row} {empty.idxmax()}",
            fix="give the passage's character offsets into the document text",
        )
    gold["theme"] = gold["theme"].astype(str).str.strip()
    if theme_ids is not None:
        allowed = set(theme_ids) | set(OFF_THEME_LABELS)
        for at, theme in gold["theme"].items():
            if theme not in allowed:
                raise UpstreamError(
                    f"unknown theme id {theme!r}",
                    path=path,
                    where=f"{row} {at}, column {theme_column}",
                    fix=f"use one of {', '.join(sorted(set(theme_ids) - {OTHER}))} or other "
                    "(the codebook's ids)",
                )
    if "determinant_or_action" in gold.columns:
        gold["determinant_or_action"] = gold["determinant_or_action"].astype(str).str.strip()
        check_determinant_labels(gold["determinant_or_action"], path, row, aspect_column)
    return gold.reset_index(drop=True)


def check_determinant_labels(labels: pd.Series, path: Path, row: str, column: str) -> None:
    """Every label is determinant, action, both, neither or empty; ``labels``' index is
    where each sits in the file (``row`` names the unit: line, table row)."""
    from upstreamnlp.themes.supervised import DETERMINANT_LABELS

    for at, label in labels.items():
        if label and label not in DETERMINANT_LABELS:
            raise UpstreamError(
                f"unknown determinant_or_action label {label!r}",
                path=path,
                where=f"{row} {at}, column {column}",
                fix=f"use one of {', '.join(DETERMINANT_LABELS)} or leave it empty",
            )


def sample_for_coding(
    assignments: pd.DataFrame,
    n: int,
    by: str | Sequence[str] | None = ("theme",),
    seed: int = 1,
    allocation: str = "equal",
) -> pd.DataFrame:
    """A stratified random sample of ``n`` segments for human coding, with empty
    ``gold_theme`` and ``gold_determinant_or_action`` columns to fill in.

    ``by``: the column(s) to stratify on (a theme column or a metadata column; None for
    a simple random sample). ``allocation='equal'`` takes the same number from each
    stratum (so rare themes get enough passages for per-theme recall; what a stratum
    cannot supply goes to the others); ``'proportional'`` follows the strata's sizes.
    """
    if n <= 0:
        raise UpstreamError(f"sample size must be positive, got {n}", where="--n")
    by = [by] if isinstance(by, str) else list(by or [])
    missing = [c for c in by if c not in assignments.columns]
    if missing:
        raise UpstreamError(
            f"cannot stratify by {missing}: no such column",
            where="--by",
            fix=f"use one of {list(assignments.columns)}",
        )
    if allocation not in ("equal", "proportional"):
        raise UpstreamError(f"unknown allocation {allocation!r}", fix="use equal or proportional")
    rng = np.random.default_rng(seed)
    n = min(n, len(assignments))
    if not by:
        chosen = rng.choice(len(assignments), size=n, replace=False)
    else:
        # a segment without a value (e.g. papers have no role) is its own stratum
        values = assignments[by].astype(object).where(assignments[by].notna(), "(none)")
        keys = values.astype(str).agg(" | ".join, axis=1)
        strata = {k: np.flatnonzero(keys.to_numpy() == k) for k in sorted(set(keys))}
        sizes = {k: len(v) for k, v in strata.items()}
        quota = _allocate(sizes, n, allocation)
        chosen = np.concatenate(
            [rng.choice(strata[k], size=q, replace=False) for k, q in quota.items() if q]
        )
        rng.shuffle(chosen)  # coders see strata in random order
    sample = assignments.iloc[np.sort(chosen) if not by else chosen].copy()
    sample["gold_theme"] = ""
    sample["gold_determinant_or_action"] = ""
    return sample.reset_index(drop=True)


def _allocate(sizes: dict[str, int], n: int, allocation: str) -> dict[str, int]:
    """Split ``n`` over strata, never above a stratum's size (largest remainders)."""
    quota = dict.fromkeys(sizes, 0)
    remaining = n
    open_strata = [k for k in sizes if sizes[k] > 0]
    while remaining > 0 and open_strata:
        if allocation == "equal":
            weights = np.ones(len(open_strata))
        else:
            weights = np.array([sizes[k] - quota[k] for k in open_strata], dtype=float)
        raw = remaining * weights / weights.sum()
        share = np.floor(raw).astype(int)
        order = np.argsort(-(raw - share), kind="stable")
        for i in order[: remaining - share.sum()]:
            share[i] += 1
        for k, s in zip(open_strata, share, strict=True):
            take = min(int(s), sizes[k] - quota[k])
            quota[k] += take
            remaining -= take
        open_strata = [k for k in open_strata if quota[k] < sizes[k]]
    return quota


def read_training_passages(run_dir: str | Path) -> pd.DataFrame | None:
    """The coded passages a run's supervised labeller learned from (``coded_sample.csv``,
    named in ``manifest.json``), or None when the run learned from no coded sample."""
    import json

    run_dir = Path(run_dir)
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists():
        return None
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    info = manifest.get("coded_sample")
    if not info:
        return None
    path = run_dir / info.get("copy", "coded_sample.csv")
    if not path.exists():
        raise UpstreamError(
            "the run was trained on a coded sample but its copy is missing",
            path=path,
            fix="re-run the pipeline, or restore coded_sample.csv in the run folder",
        )
    return pd.read_csv(path, dtype={"doc_id": str}, keep_default_na=False)


def read_run_assignments(run_dir: Path, need_text: bool = False) -> pd.DataFrame:
    """``RUN_DIR/assignments.csv``, completed from ``segments.parquet`` when it lacks the
    character offsets (or, with ``need_text``, the segment text)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UpstreamError("run folder not found", path=run_dir, fix="give a run's --out folder")
    from upstreamnlp.runstatus import complete_manifest

    complete_manifest(run_dir, required=False)  # a finished run, or a folder made by hand
    path = run_dir / "assignments.csv"
    if not path.exists():
        raise UpstreamError(
            "no assignments.csv in the run folder",
            path=run_dir,
            fix="run `upstreamnlp run CONFIG --out DIR` with a themes codebook first",
        )
    assignments = pd.read_csv(path, dtype={"doc_id": str, "segment_id": str})
    for column in ("segment_id", "doc_id", "theme"):
        if column not in assignments.columns:
            raise UpstreamError(f"missing column '{column}'", path=path, where="header")
    wanted = [c for c in ("start_char", "end_char") if c not in assignments.columns]
    if need_text and "text" not in assignments.columns:
        wanted.append("text")
    # and where each segment lay before de-identification, when the run kept it
    source = [c for c in SOURCE_OFFSETS if c not in assignments.columns]
    segments_path = run_dir / "segments.parquet"
    if wanted and not segments_path.exists():
        raise UpstreamError(
            f"assignments.csv lacks {wanted} and there is no segments.parquet",
            path=run_dir,
            fix="re-run the pipeline so the run folder is complete",
        )
    if (wanted or source) and segments_path.exists():
        segments = pd.read_parquet(segments_path)
        segments["segment_id"] = segments["segment_id"].astype(str)
        wanted += [c for c in source if c in segments.columns]
        if wanted:
            assignments = assignments.merge(
                segments[["segment_id", *wanted]], on="segment_id", how="left"
            )
    return assignments


def read_run_passages(run_dir: Path) -> pd.DataFrame | None:
    """``RUN_DIR/passages.csv`` (each segment's sentences, labelled one by one), or None
    for a run that did not label passages (``theme_mapping.passages: false``, or one
    written before they were)."""
    path = Path(run_dir) / "passages.csv"
    if not path.exists():
        return None
    passages = pd.read_csv(
        path, dtype={"doc_id": str, "segment_id": str, "passage_id": str}, keep_default_na=False
    )
    for column in ("passage_id", "segment_id", "doc_id", "start_char", "end_char", "theme"):
        if column not in passages.columns:
            raise UpstreamError(
                f"missing column '{column}'",
                path=path,
                where="header",
                fix="re-run the pipeline, or delete passages.csv to validate segments only",
            )
    return passages
