"""Stage 4: themes. Codebooks, topic-to-theme mapping, segment and passage (sentence)
labels, determinants vs action, evidence quotes, and validation against human coding."""

from __future__ import annotations

from upstreamnlp.themes.codebook import Codebook, Theme, codebook_to_qdc, load_codebook
from upstreamnlp.themes.coding_sheet import read_coding_sheet, write_coding_sheet
from upstreamnlp.themes.context import document_context
from upstreamnlp.themes.determinants import exemplar_similarity, label_determinant_action
from upstreamnlp.themes.evidence import (
    evidence_quotes,
    theme_heatmap,
    topic_label_heatmap,
    topic_label_table,
)
from upstreamnlp.themes.mapping import EMERGENT, MIXED, NONE, ThemeMapper, label_segments
from upstreamnlp.themes.passages import label_passages, segment_passages, sentence_spans
from upstreamnlp.themes.validation import (
    ValidationResult,
    cohen_kappa,
    load_codings,
    load_gold,
    sample_for_coding,
    validate,
)

__all__ = [
    "EMERGENT",
    "MIXED",
    "NONE",
    "Codebook",
    "Theme",
    "ThemeMapper",
    "ValidationResult",
    "codebook_to_qdc",
    "cohen_kappa",
    "document_context",
    "evidence_quotes",
    "exemplar_similarity",
    "label_determinant_action",
    "label_passages",
    "label_segments",
    "load_codebook",
    "load_codings",
    "load_gold",
    "read_coding_sheet",
    "sample_for_coding",
    "segment_passages",
    "sentence_spans",
    "theme_heatmap",
    "topic_label_heatmap",
    "topic_label_table",
    "validate",
    "write_coding_sheet",
]
