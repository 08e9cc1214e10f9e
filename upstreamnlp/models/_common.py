"""Helpers shared by the model kinds: input checks, row normalisation, term ranking."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from upstreamnlp.errors import UpstreamError


def check_corpus(docs: Sequence[Sequence[str]], k: int, vocabulary_size: int | None = None) -> None:
    """Refuse a corpus too small for ``k`` topics, naming k, the corpus size and the fix."""
    if not isinstance(k, int | np.integer) or k < 1:
        raise UpstreamError(f"k must be a positive whole number, got {k!r}", where="model.k")
    n_docs = sum(1 for d in docs if len(d) > 0)
    if n_docs < k:
        raise UpstreamError(
            f"k={k} topics asked for, but the corpus has only {n_docs} non-empty segments",
            where="model.k",
            fix=f"choose k <= {n_docs}, or add documents",
        )
    if vocabulary_size is not None and vocabulary_size < k:
        raise UpstreamError(
            f"k={k} topics asked for, but the vocabulary has only {vocabulary_size} terms "
            "after filtering",
            where="model.k",
            fix=f"choose k <= {vocabulary_size}, or lower min_df",
        )


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1; all-zero rows stay zero (an unassigned document)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros_like(matrix), where=sums > 0)


def relevance(topic_term: np.ndarray, term_prob: np.ndarray, weight: float = 0.6) -> np.ndarray:
    """Relevance of each term to each topic (Sievert & Shirley 2014, LDAvis):
    ``weight * log p(t|k) + (1 - weight) * log(p(t|k) / p(t))``. ``weight=1`` ranks by
    probability; lower values favour terms distinctive of the topic (their user study
    found 0.6 best), which raises topic diversity."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_phi = np.log(topic_term)
        log_lift = log_phi - np.log(np.maximum(term_prob, 1e-300))[None, :]
        score = weight * log_phi + (1 - weight) * log_lift
    return np.where(topic_term > 0, score, -np.inf)


def seed_term_token(term: str) -> str:
    """A codebook seed term as the token the preprocessor produces for it:
    ``"social determinants"`` -> ``"social_determinants"``."""
    return "_".join(term.lower().split())
