"""Prevalence of themes or topics per group, with bootstrap intervals over documents.

Segments of one interview are not independent, so the bootstrap resamples whole
documents (participants, papers) within each group: a cluster bootstrap (Davison &
Hinkley 1997, section 3.8; Field & Welsh 2007). The interval is the percentile interval.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from upstreamnlp.bootstrap import percentile_interval, resampled_sums

PREVALENCE_COLUMNS = [
    "group",
    "label",
    "share",
    "ci_low",
    "ci_high",
    "n_segments",
    "n_documents",
]


def prevalence(
    frame: pd.DataFrame,
    by: str,
    label: str = "theme",
    document: str = "doc_id",
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 1,
    labels: list | None = None,
) -> pd.DataFrame:
    """Share of segments with each ``label`` value in each ``by`` group, with a
    percentile interval from ``n_boot`` document-level bootstrap resamples.

    ``frame`` has one row per segment (e.g. ``assignments.csv``). Segments with no value
    in ``by`` are left out. A group with one document gets a warning and an interval
    equal to its share (no resampling is possible).
    """
    missing = [c for c in (by, label, document) if c not in frame.columns]
    if missing:
        from upstreamnlp.errors import UpstreamError

        raise UpstreamError(
            f"columns {missing} not found; available: {sorted(map(str, frame.columns))}",
            fix="choose a metadata column that the corpus has (e.g. role, discipline).",
        )
    data = frame[[by, label, document]].dropna(subset=[by])
    all_labels = (
        list(labels) if labels is not None else sorted(data[label].dropna().unique(), key=str)
    )
    rng = np.random.default_rng(seed)
    rows = []
    single = []
    for group, part in data.groupby(by, sort=True):
        # per document: count of segments with each label, and total segments
        table = pd.crosstab(part[document], part[label]).reindex(columns=all_labels, fill_value=0)
        counts = table.to_numpy(dtype=float)
        if len(table) < 2:
            single.append(str(group))
        rows += _group_rows(group, all_labels, counts, counts.sum(axis=1), n_boot, ci, rng)
    if single:
        warnings.warn(
            f"{by}: groups with a single document ({', '.join(single)}): no bootstrap "
            "interval is possible; the interval shown is the point estimate",
            stacklevel=2,
        )
    return pd.DataFrame(rows, columns=PREVALENCE_COLUMNS)


def _group_rows(
    group, labels: list, amounts: np.ndarray, sizes: np.ndarray, n_boot: int, ci: float, rng
) -> list[dict]:
    """Rows for one group from per-document label amounts (documents x labels) and
    per-document segment counts: the share of each label and its percentile interval
    from resampling whole documents. One document: the interval is the point estimate."""
    n_docs = len(sizes)
    share = amounts.sum(axis=0) / max(sizes.sum(), 1.0)
    if n_docs < 2:
        low = high = share
    else:
        sums = resampled_sums(np.column_stack([amounts, sizes]), n_boot, rng)
        boot = sums[:, :-1] / np.maximum(sums[:, -1], 1.0)[:, None]
        low, high = percentile_interval(boot, ci)
    return [
        {
            "group": group,
            "label": label,
            "share": float(share[i]),
            "ci_low": float(low[i]),
            "ci_high": float(high[i]),
            "n_segments": int(sizes.sum()),
            "n_documents": int(n_docs),
        }
        for i, label in enumerate(labels)
    ]


def topic_prevalence(
    doc_topic: np.ndarray,
    groups: pd.Series,
    documents: pd.Series,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 1,
) -> pd.DataFrame:
    """Mean topic weight per group (segments weighted equally), with document-level
    bootstrap intervals; labels are topic numbers."""
    doc_topic = np.asarray(doc_topic, dtype=float)
    groups = pd.Series(groups).reset_index(drop=True)
    documents = pd.Series(documents).reset_index(drop=True)
    rng = np.random.default_rng(seed)
    rows = []
    k = doc_topic.shape[1]
    for group in sorted(groups.dropna().unique(), key=str):
        mask = (groups == group).to_numpy()
        docs = documents[mask].to_numpy()
        weights = doc_topic[mask]
        uniq, inverse = np.unique(docs, return_inverse=True)
        sums = np.zeros((len(uniq), k))
        np.add.at(sums, inverse, weights)
        sizes = np.bincount(inverse, minlength=len(uniq)).astype(float)
        rows += _group_rows(group, list(range(k)), sums, sizes, n_boot, ci, rng)
    return pd.DataFrame(rows, columns=PREVALENCE_COLUMNS)
