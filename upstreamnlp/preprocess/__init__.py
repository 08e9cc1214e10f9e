"""Stage 2: de-identification, lemmas, stop words and phrases (corpus -> tokens)."""

from upstreamnlp.preprocess.deidentify import (
    ALLOW_LIST,
    PrivacyTerm,
    deidentify_corpus,
    load_privacy_list,
)
from upstreamnlp.preprocess.options import PreprocessOptions
from upstreamnlp.preprocess.pipeline import Preprocessed, load_pipeline, preprocess

__all__ = [
    "ALLOW_LIST",
    "PreprocessOptions",
    "Preprocessed",
    "PrivacyTerm",
    "deidentify_corpus",
    "load_pipeline",
    "load_privacy_list",
    "preprocess",
]
