"""One call for a notebook or a run: everything about how the groups of one metadata
column differ (vocabulary, theme and topic prevalence, divergence), as DataFrames."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from upstreamnlp.compare.counts import GroupTermCounts
from upstreamnlp.compare.divergence import label_divergence, term_divergence, weight_divergence
from upstreamnlp.compare.prevalence import prevalence, topic_prevalence
from upstreamnlp.compare.vocabulary import distinctive_terms


@dataclass
class GroupComparison:
    """The comparison of the groups of ``column``."""

    column: str
    vocabulary: pd.DataFrame
    prevalence: pd.DataFrame
    term_divergence: pd.DataFrame
    theme_divergence: pd.DataFrame | None
    topic_divergence: pd.DataFrame | None

    def write(self, folder: str | Path) -> list[Path]:
        """``vocabulary_<column>.csv``, ``prevalence_<column>.csv`` and
        ``divergence_<column>.csv`` (term JSD) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [
            folder / f"vocabulary_{self.column}.csv",
            folder / f"prevalence_{self.column}.csv",
            folder / f"divergence_{self.column}.csv",
        ]
        self.vocabulary.to_csv(paths[0], index=False, float_format="%.6g")
        self.prevalence.to_csv(paths[1], index=False, float_format="%.6g")
        frames = [self.term_divergence.assign(measure="terms")]
        for name, frame in (("themes", self.theme_divergence), ("topics", self.topic_divergence)):
            if frame is not None:
                frames.append(frame.assign(measure=name))
        pd.concat(frames).rename_axis("group").reset_index().to_csv(
            paths[2], index=False, float_format="%.6g"
        )
        return paths


#: Segment columns that are bookkeeping, never groups a study compares.
NOT_GROUPS = frozenset(
    {
        "segment_id", "text", "tokens", "start_char", "end_char", "source_start_char",
        "source_end_char", "metadata_json", "speaker", "title", "authors", "doi",
        "abstract", "keywords", "topic", "topic_weight", "theme_score",
        "determinant_evidence", "label_source",
    }
)  # fmt: skip


def groupable_columns(columns) -> list[str]:
    """The columns a comparison may group by (metadata such as role, discipline, kind)."""
    return sorted(str(c) for c in columns if str(c) not in NOT_GROUPS)


def compare_groups(
    segments: pd.DataFrame,
    column: str,
    tokens: Sequence[Sequence[str]],
    doc_topic: np.ndarray | None = None,
    theme: str = "theme",
    document: str = "doc_id",
    top: int = 50,
    min_count: int = 3,
    n_boot: int = 1000,
    seed: int = 1,
) -> GroupComparison:
    """Compare the groups of ``column`` over modelled segments.

    ``segments`` has one row per modelled segment (``doc_id``, ``column``, and
    ``theme`` when themes were mapped), aligned with ``tokens`` and ``doc_topic``.
    Prevalence rows carry ``measure`` = ``theme`` or ``topic``.
    """
    from upstreamnlp.errors import UpstreamError

    if column not in segments.columns:
        raise UpstreamError(
            f"compare.by: no metadata column {column!r}; available: "
            f"{', '.join(groupable_columns(segments.columns))}",
            fix="name a column from the manifest or the table (e.g. role, discipline).",
        )
    groups = segments[column].reset_index(drop=True)
    counts = GroupTermCounts.from_stream(zip(groups, tokens, strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # said once below, not per statistic
        vocabulary = distinctive_terms(counts, min_count=min_count, top=top)
    prevalences = []
    theme_div = None
    if theme in segments.columns:
        prevalences.append(
            prevalence(
                segments, by=column, label=theme, document=document, n_boot=n_boot, seed=seed
            ).assign(measure="theme")
        )
        theme_div = label_divergence(segments.dropna(subset=[column]), column, theme)
    topic_div = None
    if doc_topic is not None:
        mask = groups.notna().to_numpy()
        prevalences.append(
            topic_prevalence(
                np.asarray(doc_topic)[mask],
                groups[mask],
                segments[document].reset_index(drop=True)[mask],
                n_boot=n_boot,
                seed=seed,
            ).assign(measure="topic")
        )
        topic_div = weight_divergence(np.asarray(doc_topic)[mask], groups[mask])
    prev = pd.concat(prevalences, ignore_index=True) if prevalences else pd.DataFrame()
    small = sorted(str(g) for g, n in counts.documents.items() if n < 2)
    if small:
        warnings.warn(
            f"{column}: groups with a single segment ({', '.join(small)}) are shown but "
            "their figures describe one source",
            stacklevel=2,
        )
    return GroupComparison(
        column=column,
        vocabulary=vocabulary,
        prevalence=prev,
        term_divergence=term_divergence(counts),
        theme_divergence=theme_div,
        topic_divergence=topic_div,
    )
