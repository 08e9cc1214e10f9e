"""``PreprocessOptions``: every setting of the preprocessing stage, validated.

The run config's ``preprocess:`` section holds these keys; unknown keys are an error
that names the key (pydantic ``extra="forbid"``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: spaCy entity labels that de-identification understands, and the placeholder type each
#: becomes. NORP, DATE and the rest are not identifying on their own and are never replaced.
NER_LABEL_TYPES = {"PERSON": "PERSON", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE", "ORG": "ORG"}
DEFAULT_NER_LABELS = ["PERSON", "GPE", "LOC", "FAC"]
DEFAULT_POS = ["NOUN", "ADJ", "VERB"]


class PreprocessOptions(BaseModel):
    """Settings of de-identification, tokenisation, phrases and vocabulary filtering.

    Only ``deidentify``, ``deidentify_papers``, ``ner_labels``, ``privacy_list`` and
    ``urls`` change what spaCy's pass produces (they are in the cache key); the token
    filters, phrases and dictionary settings run after the cache and are cheap to change.
    """

    model_config = ConfigDict(extra="forbid")

    deidentify: bool = Field(True, description="replace names and places in transcripts")
    deidentify_papers: bool = Field(False, description="also de-identify papers")
    ner_labels: list[str] = Field(default_factory=lambda: list(DEFAULT_NER_LABELS))
    privacy_list: Path | None = Field(
        None, description="CSV (term[,type]), YAML list or TXT of names and places"
    )
    urls: Literal["keep", "personal", "all"] = Field(
        "personal", description="replace URLs: none, those with personal paths, or all"
    )
    pretokenized: bool = Field(False, description="text is whitespace-separated tokens")
    phrases: bool = True
    phrase_threshold: float = Field(0.5, ge=-1.0, le=1.0, description="npmi threshold")
    phrase_min_count: int | None = Field(
        None, ge=1, description="None: scaled to the corpus, max(3, min(20, n/100))"
    )
    phrase_passes: int = Field(1, ge=1, le=3, description="2 also finds three-word phrases")
    pos: list[str] = Field(default_factory=lambda: list(DEFAULT_POS))
    extra_stopwords: list[str] = Field(default_factory=list)
    min_token_len: int = Field(3, ge=1)
    no_below: int = Field(2, ge=1, description="keep terms in at least this many segments")
    no_above: float = Field(0.5, gt=0.0, le=1.0, description="drop terms in more than this share")
    keep_n: int | None = Field(20000, ge=1)
    n_process: int = Field(1, ge=1)
    batch_size: int = Field(64, ge=1)

    @field_validator("ner_labels")
    @classmethod
    def _known_labels(cls, labels: list[str]) -> list[str]:
        labels = [label.upper() for label in labels]
        unknown = [label for label in labels if label not in NER_LABEL_TYPES]
        if unknown:
            raise ValueError(f"unknown NER labels {unknown}; choose from {list(NER_LABEL_TYPES)}")
        return labels

    @field_validator("pos")
    @classmethod
    def _upper_pos(cls, tags: list[str]) -> list[str]:
        return [tag.upper() for tag in tags]

    @field_validator("extra_stopwords")
    @classmethod
    def _lower_stopwords(cls, words: list[str]) -> list[str]:
        return [word.lower() for word in words]
