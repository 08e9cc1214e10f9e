"""How far apart groups are: Jensen-Shannon divergence (Lin 1991) between their term
distributions or their topic/theme distributions, in bits (0 = identical, 1 = disjoint)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from upstreamnlp.compare.counts import GroupTermCounts


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    """JSD(P||Q) = H(M) - (H(P) + H(Q)) / 2 with M = (P + Q) / 2, base 2."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    p = p / p.sum() if p.sum() > 0 else p
    q = q / q.sum() if q.sum() > 0 else q
    m = (p + q) / 2.0

    def entropy(x: np.ndarray) -> float:
        x = x[x > 0]
        return float(-(x * np.log2(x)).sum())

    return max(0.0, entropy(m) - (entropy(p) + entropy(q)) / 2.0)


def divergence_matrix(distributions: dict) -> pd.DataFrame:
    """Pairwise JSD between named distributions (arrays over the same support)."""
    names = sorted(distributions, key=str)
    matrix = np.zeros((len(names), len(names)))
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            matrix[i, j] = matrix[j, i] = jensen_shannon(distributions[a], distributions[names[j]])
    return pd.DataFrame(matrix, index=names, columns=names)


def term_divergence(counts: GroupTermCounts) -> pd.DataFrame:
    """JSD between the groups' term distributions."""
    vocab = sorted(counts.total())
    dists = {
        g: np.array([counts.counts[g].get(w, 0) for w in vocab], dtype=float) for g in counts.groups
    }
    return divergence_matrix(dists)


def label_divergence(frame: pd.DataFrame, by: str, label: str) -> pd.DataFrame:
    """JSD between the groups' distributions of a label column (theme or topic)."""
    table = pd.crosstab(frame[by], frame[label])
    return divergence_matrix({g: table.loc[g].to_numpy(dtype=float) for g in table.index})


def weight_divergence(doc_topic: np.ndarray, groups: pd.Series) -> pd.DataFrame:
    """JSD between groups' mean topic weights."""
    groups = pd.Series(groups).reset_index(drop=True)
    dists = {
        g: np.asarray(doc_topic)[(groups == g).to_numpy()].mean(axis=0)
        for g in groups.dropna().unique()
    }
    return divergence_matrix(dists)
