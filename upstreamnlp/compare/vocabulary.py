"""Distinctive vocabulary of groups: log-odds with an informative Dirichlet prior, and
log-likelihood keyness with the log ratio as effect size.

- Log-odds ratio with an informative Dirichlet prior and its z-score: Monroe, Colaresi &
  Quinn (2008), "Fightin' Words: Lexical Feature Selection and Evaluation for
  Identifying the Content of Political Conflict", Political Analysis 16(4), eqs. 16-22.
  The prior is the whole corpus's term distribution scaled to ``prior_strength`` pseudo
  counts (alpha_w = prior_strength * y_w / n). A larger strength shrinks rare terms more;
  the default (``None``) is a tenth of the corpus's tokens, so the prior weighs like a
  tenth of the data whatever the corpus size.
- G2 (log-likelihood) keyness: Dunning (1993); Rayson & Garside (2000), with the
  two-cell form used in corpus linguistics (AntConc, WordSmith, Wmatrix).
- Log ratio: Hardie (2014), binary log of the ratio of relative frequencies, with a
  0.5 adjustment for zero counts.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

from upstreamnlp.compare.counts import GroupTermCounts

VOCABULARY_COLUMNS = [
    "group",
    "term",
    "count",
    "count_rest",
    "z",
    "log_odds",
    "g2",
    "log_ratio",
]


def log_odds_dirichlet(
    counts_i: Counter,
    counts_j: Counter,
    prior: Counter,
    prior_strength: float = 1000.0,
    terms: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Monroe et al. (2008) log-odds ratio of each term in group i versus group j, with an
    informative Dirichlet prior ``alpha_w = prior_strength * prior_w / sum(prior)``.

    delta_w = log((y_iw + a_w) / (n_i + a_0 - y_iw - a_w)) - log((y_jw + a_w) / (n_j + a_0 - y_jw - a_w))
    var(delta_w) ~= 1 / (y_iw + a_w) + 1 / (y_jw + a_w);  z_w = delta_w / sqrt(var)
    Returns a DataFrame indexed by term with ``log_odds``, ``variance`` and ``z``.
    """
    vocab = list(terms) if terms is not None else sorted(set(counts_i) | set(counts_j))
    y_i = np.array([counts_i.get(w, 0) for w in vocab], dtype=float)
    y_j = np.array([counts_j.get(w, 0) for w in vocab], dtype=float)
    prior_counts = np.array([prior.get(w, 0) for w in vocab], dtype=float)
    prior_total = float(sum(prior.values())) or 1.0
    alpha = prior_strength * prior_counts / prior_total
    alpha = np.where(alpha > 0, alpha, prior_strength / max(prior_total, 1.0))  # unseen in prior
    a0 = float(prior_strength)
    n_i, n_j = float(sum(counts_i.values())), float(sum(counts_j.values()))
    delta = np.log((y_i + alpha) / (n_i + a0 - y_i - alpha)) - np.log(
        (y_j + alpha) / (n_j + a0 - y_j - alpha)
    )
    variance = 1.0 / (y_i + alpha) + 1.0 / (y_j + alpha)
    return pd.DataFrame(
        {"log_odds": delta, "variance": variance, "z": delta / np.sqrt(variance)},
        index=pd.Index(vocab, name="term"),
    )


def g2_keyness(a: float, b: float, c: float, d: float) -> float:
    """Log-likelihood G2 of a term seen ``a`` times in a target of ``c`` tokens and ``b``
    times in a reference of ``d`` tokens (Rayson & Garside 2000):
    E1 = c(a+b)/(c+d), E2 = d(a+b)/(c+d), G2 = 2(a ln(a/E1) + b ln(b/E2)), 0 ln 0 = 0.
    Positive whatever the direction; see ``log_ratio`` for the direction."""
    total = c + d
    if total == 0 or a + b == 0:
        return 0.0
    e1 = c * (a + b) / total
    e2 = d * (a + b) / total
    g2 = 0.0
    if a > 0:
        g2 += a * math.log(a / e1)
    if b > 0:
        g2 += b * math.log(b / e2)
    return 2.0 * g2


def log_ratio(a: float, b: float, c: float, d: float) -> float:
    """Hardie (2014) log ratio: log2 of the ratio of relative frequencies (a/c)/(b/d),
    zero counts replaced by 0.5."""
    a = a if a > 0 else 0.5
    b = b if b > 0 else 0.5
    if c == 0 or d == 0:
        return 0.0
    return math.log2((a / c) / (b / d))


def _score(
    target: Counter,
    reference: Counter,
    prior: Counter,
    prior_strength: float,
    min_count: int,
) -> pd.DataFrame:
    terms = sorted(
        w
        for w in set(target) | set(reference)
        if target.get(w, 0) + reference.get(w, 0) >= min_count
    )
    if not terms:
        return pd.DataFrame(columns=VOCABULARY_COLUMNS[1:])
    lo = log_odds_dirichlet(target, reference, prior, prior_strength, terms)
    a = np.array([target.get(w, 0) for w in terms], dtype=float)
    b = np.array([reference.get(w, 0) for w in terms], dtype=float)
    c, d = float(sum(target.values())), float(sum(reference.values()))
    return pd.DataFrame(
        {
            "term": terms,
            "count": a.astype(int),
            "count_rest": b.astype(int),
            "z": lo["z"].to_numpy(),
            "log_odds": lo["log_odds"].to_numpy(),
            "g2": _g2_vector(a, b, c, d),
            "log_ratio": _log_ratio_vector(a, b, c, d),
        }
    )


def _g2_vector(a: np.ndarray, b: np.ndarray, c: float, d: float) -> np.ndarray:
    """``g2_keyness`` for arrays of counts (same formula, 0 ln 0 = 0)."""
    total = c + d
    if total == 0:
        return np.zeros_like(a)
    e1 = c * (a + b) / total
    e2 = d * (a + b) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        term_a = np.where(a > 0, a * np.log(np.where(a > 0, a, 1) / np.where(e1 > 0, e1, 1)), 0.0)
        term_b = np.where(b > 0, b * np.log(np.where(b > 0, b, 1) / np.where(e2 > 0, e2, 1)), 0.0)
    return 2.0 * (term_a + term_b)


def _log_ratio_vector(a: np.ndarray, b: np.ndarray, c: float, d: float) -> np.ndarray:
    """``log_ratio`` for arrays of counts (zero counts replaced by 0.5)."""
    if c == 0 or d == 0:
        return np.zeros_like(a)
    return np.log2((np.where(a > 0, a, 0.5) / c) / (np.where(b > 0, b, 0.5) / d))


def distinctive_terms(
    counts: GroupTermCounts | Iterable[tuple[Hashable, Sequence[str]]],
    prior_strength: float | None = None,
    min_count: int = 3,
    top: int | None = None,
) -> pd.DataFrame:
    """Each group's vocabulary against the rest of the corpus.

    ``counts`` is a ``GroupTermCounts`` or any iterable of ``(group, tokens)`` pairs
    (counted in one pass). Returns one row per group and term with ``count`` (in the
    group), ``count_rest``, ``z`` and ``log_odds`` (Monroe et al. 2008), ``g2`` and
    ``log_ratio``; sorted by group then z descending; ``top`` keeps the top terms per group.
    A group with a single document gets a warning: its "distinctive" terms describe one
    person or paper, not a group.
    """
    if not isinstance(counts, GroupTermCounts):
        counts = GroupTermCounts.from_stream(counts)
    _warn_small_groups(counts.documents)
    prior = counts.total()
    prior_strength = _default_strength(prior, prior_strength)
    frames = []
    for group in counts.groups:
        scored = _score(counts.counts[group], counts.rest(group), prior, prior_strength, min_count)
        scored.insert(0, "group", group)
        scored = scored.sort_values(["z", "term"], ascending=[False, True])
        frames.append(scored.head(top) if top else scored)
    if not frames:
        return pd.DataFrame(columns=VOCABULARY_COLUMNS)
    return pd.concat(frames, ignore_index=True)[VOCABULARY_COLUMNS]


def compare_two_groups(
    counts: GroupTermCounts,
    group_a: Hashable,
    group_b: Hashable,
    prior_strength: float | None = None,
    min_count: int = 3,
) -> pd.DataFrame:
    """Group ``a`` against group ``b`` only (positive z: more typical of ``a``)."""
    for group in (group_a, group_b):
        if group not in counts.counts:
            from upstreamnlp.errors import UpstreamError

            raise UpstreamError(
                f"no documents in group {group!r}",
                fix=f"choose one of {counts.groups}.",
            )
    prior = counts.total()
    scored = _score(
        counts.counts[group_a],
        counts.counts[group_b],
        prior,
        _default_strength(prior, prior_strength),
        min_count,
    )
    scored.insert(0, "group", f"{group_a} vs {group_b}")
    return scored.sort_values(["z", "term"], ascending=[False, True], ignore_index=True)


def _default_strength(prior: Counter, prior_strength: float | None) -> float:
    if prior_strength is not None:
        return float(prior_strength)
    return max(1.0, 0.1 * sum(prior.values()))


def _warn_small_groups(documents: Counter) -> None:
    small = sorted(str(g) for g, n in documents.items() if n < 2)
    if small:
        warnings.warn(
            f"groups with a single document: {', '.join(small)}; their statistics describe "
            "one source, not a group, and their intervals are not meaningful",
            stacklevel=3,
        )
