"""Stage 5b: the concept lens. What do people mean when they say "upstream"?

``analyse_concept`` runs the whole lens on a de-identified corpus: the concordance
(every use, in context), the definitional statements, the senses the uses fall into and
their themes, and which groups use which sense (prevalence and collocates).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from upstreamnlp.concept.concordance import CONCORDANCE_COLUMNS, concordance, sort_concordance
from upstreamnlp.concept.definitions import DEFINITION_COLUMNS, definitions
from upstreamnlp.concept.groups import (
    COLLOCATE_COLUMNS,
    collocates,
    collocates_figure,
    sense_prevalence,
    sense_prevalence_figure,
)
from upstreamnlp.concept.lexicon import ConceptMatcher, ConceptSpec, load_concept_pipeline
from upstreamnlp.concept.literal import looks_literal
from upstreamnlp.concept.senses import SENSE_COLUMNS, SenseResult, senses
from upstreamnlp.corpus.model import Corpus

__all__ = [
    "ConceptMatcher",
    "ConceptResult",
    "ConceptSpec",
    "SenseResult",
    "analyse_concept",
    "collocates",
    "concordance",
    "definitions",
    "load_concept_pipeline",
    "looks_literal",
    "sense_prevalence",
    "senses",
    "sort_concordance",
]
PREVALENCE_COLUMNS = ["group", "label", "share", "ci_low", "ci_high", "n_segments", "n_documents"]


@dataclass
class ConceptResult:
    """Everything the lens found; ``write(folder)`` saves it under ``folder/concept``."""

    concordance: pd.DataFrame
    definitions: pd.DataFrame
    occurrences: pd.DataFrame
    senses: pd.DataFrame
    prevalence: dict[str, pd.DataFrame] = field(default_factory=dict)
    collocates: dict[str, pd.DataFrame] = field(default_factory=dict)
    message: str = ""
    warnings: list[str] = field(default_factory=list)

    def add_segment_labels(self, assignments: pd.DataFrame, top: int = 3) -> None:
        """Set beside each sense how the run labelled the segments its occurrences sit in
        (``segment_themes``: the ``top`` most frequent labels with their shares, and the
        number of occurrences in labelled segments), and each occurrence's
        ``segment_theme``. A sense's own ``theme`` says which theme its words and quotes
        are closest to; the segments around it may be labelled otherwise, and both are
        worth reading before calling a sense, say, 'social determinants'."""
        labels = assignments.drop_duplicates("segment_id").set_index("segment_id")["theme"]
        occurrences = self.occurrences.copy()
        occurrences["segment_theme"] = occurrences["segment_id"].map(labels)
        self.occurrences = occurrences
        mix = {}
        for sense, part in occurrences.dropna(subset=["segment_theme"]).groupby("sense"):
            shares = part["segment_theme"].value_counts(normalize=True).head(top)
            mix[sense] = (
                "; ".join(f"{theme} {share:.0%}" for theme, share in shares.items())
                + f" (of {len(part)})"
            )
        senses = self.senses.copy()
        senses["segment_themes"] = senses["sense"].map(mix).fillna("")
        self.senses = senses

    def write(self, folder: str | Path) -> Path:
        """Write the tables as CSV into ``folder/concept``; returns that folder."""
        out = Path(folder) / "concept"
        out.mkdir(parents=True, exist_ok=True)
        self.concordance.to_csv(out / "concordance.csv", index=False)
        self.definitions.to_csv(out / "definitions.csv", index=False)
        self.senses.to_csv(out / "senses.csv", index=False)
        self.occurrences.to_csv(out / "occurrences.csv", index=False)
        for column, table in self.prevalence.items():
            table.to_csv(out / f"prevalence_{column}.csv", index=False)
        for column, table in self.collocates.items():
            table.to_csv(out / f"collocates_{column}.csv", index=False)
        (out / "message.txt").write_text(self.message + "\n", encoding="utf-8")
        return out

    def figures(self) -> dict[str, Any]:
        """Matplotlib figures by name: sense prevalence and collocates per column."""
        figures = {}
        for column, table in self.prevalence.items():
            if not table.empty:
                figures[f"concept_senses_by_{column}"] = sense_prevalence_figure(table, column)
        for column, table in self.collocates.items():
            if not table.empty:
                figures[f"concept_collocates_by_{column}"] = collocates_figure(table, column)
        return figures


def analyse_concept(
    corpus: Corpus,
    spec: ConceptSpec | None = None,
    nlp: Any = None,
    embedder: Any = None,
    codebook: Any = None,
    by: Sequence[str] = ("role", "discipline"),
    seed: int = 1,
    k: int | None = None,
    n_boot: int = 1000,
    include_interviewer: bool = False,
) -> ConceptResult:
    """The whole lens on a (de-identified) corpus. Columns of ``by`` that the corpus
    lacks are skipped with a warning; no occurrences gives empty tables and a message."""
    spec = spec or ConceptSpec()
    nlp = nlp if nlp is not None else load_concept_pipeline()
    lines = concordance(corpus, spec, nlp=nlp, include_interviewer=include_interviewer)
    if lines.empty:
        message = (
            f"no occurrences of {spec.label} (or its forms) in {len(corpus)} documents; "
            "add terms under concept.terms"
        )
        return ConceptResult(
            concordance=lines,
            definitions=pd.DataFrame(columns=DEFINITION_COLUMNS),
            occurrences=pd.DataFrame(columns=CONCORDANCE_COLUMNS + ["sense", "sense_name"]),
            senses=pd.DataFrame(columns=SENSE_COLUMNS),
            prevalence={c: pd.DataFrame(columns=PREVALENCE_COLUMNS) for c in by},
            collocates={c: pd.DataFrame(columns=COLLOCATE_COLUMNS) for c in by},
            message=message,
        )
    found = definitions(lines, spec, nlp=nlp, corpus=corpus)
    result = senses(lines, spec, embedder=embedder, codebook=codebook, k=k, seed=seed)
    occurrences = lines.merge(
        result.assignments_.drop(columns=["literal"]).rename(columns={"theme": "sense_theme"}),
        on="occurrence_id",
        how="left",
    )
    occurrences["literal"] = occurrences["sense"] == 0
    prevalence_tables, collocate_tables, notes = {}, {}, []
    for column in by:
        if column not in occurrences.columns or occurrences[column].isna().all():
            notes.append(f"no metadata column '{column}': no comparison by it")
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            prevalence_tables[column] = sense_prevalence(
                occurrences[~occurrences["literal"]], column, n_boot=n_boot, seed=seed
            )
        notes.extend(str(w.message) for w in caught)
        collocate_tables[column] = collocates(
            corpus, occurrences, column, spec, include_interviewer=include_interviewer
        )
    message = (
        f"{len(lines)} occurrences of {spec.label} in {lines['doc_id'].nunique()} of "
        f"{len(corpus)} documents; {len(found)} definitional statements; {result.message}"
    )
    return ConceptResult(
        concordance=lines,
        definitions=found,
        occurrences=occurrences,
        senses=result.senses_,
        prevalence=prevalence_tables,
        collocates=collocate_tables,
        message=message,
        warnings=notes,
    )
