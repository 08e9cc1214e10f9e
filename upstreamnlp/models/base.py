"""The shape every topic model shares (scikit-learn style).

Hyper-parameters go in ``__init__``; ``fit(docs, texts=None)`` learns and returns
``self``; learned attributes end in an underscore:

- ``vocabulary_``: list of terms (length V)
- ``topic_term_``: array (k, V), each row a distribution over terms (sums to 1)
- ``doc_topic_``: array (n_docs, k), each row a distribution over topics (sums to 1;
  an all-zero row means the model left that document unassigned)

``docs`` are token lists (one per segment); ``texts`` are the matching de-identified
texts, used by models that embed text (``clusters``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


class TopicModel:
    """Base class: subclasses implement ``fit``; the rest is shared."""

    kind: str = "base"

    def __init__(self, k: int = 10, seed: int = 1) -> None:
        self.k = k
        self.seed = seed

    def fit(self, docs: Sequence[Sequence[str]], texts: Sequence[str] | None = None) -> TopicModel:
        raise NotImplementedError

    # --- shared views of what was learned ------------------------------------------
    @property
    def n_topics_(self) -> int:
        return int(self.topic_term_.shape[0])

    def top_terms(self, n: int = 10) -> list[list[tuple[str, float]]]:
        """Each topic's ``n`` top terms with their weights, best first (ties broken by
        term so that output is deterministic).

        Terms are ordered by ``term_score_`` when a model sets one (e.g. relevance,
        Sievert & Shirley 2014, which favours terms distinctive of the topic), else by
        weight; the weight reported is always the ``topic_term_`` probability."""
        result = []
        vocab = np.asarray(self.vocabulary_, dtype=object)
        scores = getattr(self, "term_score_", None)
        for t, row in enumerate(self.topic_term_):
            key = row if scores is None else scores[t]
            order = np.lexsort((vocab, -np.round(key, 12)))
            order = [i for i in order if row[i] > 0][:n]
            result.append([(str(vocab[i]), float(row[i])) for i in order])
        return result

    def topic_words(self, n: int = 10) -> list[list[str]]:
        return [[t for t, _ in terms] for terms in self.top_terms(n)]

    def topics_frame(self, n: int = 10) -> pd.DataFrame:
        """The contract's ``topics.csv`` rows: model, k, topic, rank, term, weight."""
        rows = [
            {
                "model": self.kind,
                "k": self.k,
                "topic": t,
                "rank": r + 1,
                "term": term,
                "weight": round(w, 6),
            }
            for t, terms in enumerate(self.top_terms(n))
            for r, (term, w) in enumerate(terms)
        ]
        return pd.DataFrame(rows, columns=["model", "k", "topic", "rank", "term", "weight"])

    def dominant_topics(self) -> tuple[np.ndarray, np.ndarray]:
        """Each document's heaviest topic (-1 when unassigned) and its weight."""
        weights = self.doc_topic_
        topic = np.argmax(weights, axis=1)
        weight = weights[np.arange(len(weights)), topic]
        topic = np.where(weight > 0, topic, -1)
        return topic, weight

    def representative_docs(self, n: int = 5) -> dict[int, list[int]]:
        """For each topic the indices of the ``n`` documents that weigh most on it,
        among those whose dominant topic it is (ties broken by index)."""
        topic, weight = self.dominant_topics()
        result: dict[int, list[int]] = {}
        for t in range(self.n_topics_):
            idx = np.flatnonzero(topic == t)
            order = idx[np.lexsort((idx, -weight[idx]))]
            result[t] = [int(i) for i in order[:n]]
        return result
