"""Stage 1: raw files -> ``Document`` and ``Segment``."""

import logging

from upstreamnlp.corpus.model import INTERVIEWER, PARTICIPANT, Corpus, Document, Segment
from upstreamnlp.corpus.read import read_corpus
from upstreamnlp.corpus.segment import SegmentationOptions

# A library does not print its warnings itself; they are in ``corpus.warnings`` and go to
# whatever logging handlers the application configures.
logging.getLogger("upstreamnlp.corpus").addHandler(logging.NullHandler())

__all__ = [
    "Corpus",
    "Document",
    "Segment",
    "INTERVIEWER",
    "PARTICIPANT",
    "SegmentationOptions",
    "read_corpus",
]
