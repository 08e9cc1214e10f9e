"""Stage 5a: compare groups (discipline, role, kind, year): distinctive vocabulary,
theme and topic prevalence with document-level bootstrap intervals, divergence."""

from upstreamnlp.compare.counts import GroupTermCounts
from upstreamnlp.compare.divergence import (
    divergence_matrix,
    jensen_shannon,
    label_divergence,
    term_divergence,
    weight_divergence,
)
from upstreamnlp.compare.groups import GroupComparison, compare_groups
from upstreamnlp.compare.prevalence import prevalence, topic_prevalence
from upstreamnlp.compare.vocabulary import (
    compare_two_groups,
    distinctive_terms,
    g2_keyness,
    log_odds_dirichlet,
    log_ratio,
)

__all__ = [
    "GroupComparison",
    "compare_groups",
    "GroupTermCounts",
    "compare_two_groups",
    "distinctive_terms",
    "divergence_matrix",
    "g2_keyness",
    "jensen_shannon",
    "label_divergence",
    "log_odds_dirichlet",
    "log_ratio",
    "prevalence",
    "term_divergence",
    "topic_prevalence",
    "weight_divergence",
]
