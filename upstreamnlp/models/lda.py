"""Latent Dirichlet allocation (Blei, Ng & Jordan 2003) with gensim, optionally seeded
by a codebook (topic-word priors in the spirit of Jagarlamudi, Daumé & Udayakumar 2012).

Determinism: gensim's single-process ``LdaModel`` with ``random_state`` gives the same
topics for the same seed; ``LdaMulticore`` depends on worker scheduling, so we use
``LdaModel``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from upstreamnlp.errors import UpstreamError
from upstreamnlp.models._common import check_corpus, normalise_rows, relevance, seed_term_token
from upstreamnlp.models.base import TopicModel


class LdaModel(TopicModel):
    """Gensim LDA with measured defaults.

    Measured on BBC News (2,225 documents, k=20, seed 1, top 10 terms; NPMI as gensim
    ``c_npmi``; timings on a shared, loaded 2-core machine): random start, passes=5,
    iterations=50: NPMI 0.076 (TD 0.785); with ``eta=None``/``chunksize=256``: 0.053;
    ``max_df=0.3``: 0.067. Starting from NMF topics (``init="nmf"``) with only
    passes=2, iterations=50: NPMI 0.127 ranked by probability and 0.160 (TD 0.95) ranked
    by relevance with weight 0.6, in 11 s, against tomotopy's 0.118 in about 17 s. One
    pass of at most 30 iterations from the NMF start (CPU seconds, k=20 / k=50): NPMI
    0.161 / 0.141 in 5.6 / 9.2 s, against 0.154 / 0.135 in 11.7 / 12.2 s with two passes
    of 50. Hence the defaults ``init="nmf"``, ``passes=1``, ``iterations=30``, ``eta="auto"``,
    ``relevance_weight=0.6``. ``LdaMulticore`` was not used: its result depends on worker
    scheduling, and a single process is deterministic (tested).

    ``seed_topics`` maps a theme id to seed terms; topic i (in the mapping's order) gets a
    prior that boosts its seed terms (``seed_strength``) and damps them elsewhere, so the
    codebook guides, but does not fix, the topics. ``seed_topic_names_`` records which
    topic each theme was seeded into.
    """

    kind = "lda"

    def __init__(
        self,
        k: int = 10,
        seed: int = 1,
        *,
        passes: int = 1,
        iterations: int = 30,
        chunksize: int = 2000,
        alpha: str | float = "symmetric",
        eta: str | float | None = "auto",
        min_df: int = 1,
        max_df: float = 1.0,
        seed_topics: dict[str, list[str]] | None = None,
        seed_strength: float = 1.0,
        relevance_weight: float = 0.6,
        init: str = "nmf",
    ) -> None:
        super().__init__(k=k, seed=seed)
        self.passes = passes
        self.iterations = iterations
        self.chunksize = chunksize
        self.alpha = alpha
        self.eta = eta
        self.min_df = min_df
        self.max_df = max_df
        self.seed_topics = seed_topics
        self.seed_strength = seed_strength
        self.relevance_weight = relevance_weight
        self.init = init

    def _seeded_eta(self, dictionary) -> tuple[np.ndarray, dict[int, str]]:
        """A (k, V) prior: base ``1/k``; seed terms get ``seed_strength`` in their topic
        and a hundredth of the base elsewhere."""
        seed_topics = self.seed_topics or {}
        if len(seed_topics) > self.k:
            raise UpstreamError(
                f"{len(seed_topics)} seeded themes but only k={self.k} topics",
                where="model.seed_topics",
                fix=f"choose k >= {len(seed_topics)}",
            )
        base = 1.0 / self.k
        eta = np.full((self.k, len(dictionary)), base)
        names: dict[int, str] = {}
        for topic, (theme, terms) in enumerate(seed_topics.items()):
            names[topic] = theme
            for term in terms:
                token_id = dictionary.token2id.get(seed_term_token(term))
                if token_id is None:
                    continue
                eta[:, token_id] = base / 100
                eta[topic, token_id] = self.seed_strength
        return eta, names

    def _nmf_initial_topics(self, model, docs, dictionary, bow) -> None:
        """Start from NMF topics (scaled to an average topic's mass) instead of random
        ones: variational LDA converges to a nearby, better local optimum in few passes
        (an NMF/SVD start in the spirit of Boutsidis & Gallopoulos 2008)."""
        from gensim.matutils import dirichlet_expectation

        from upstreamnlp.models.nmf import NmfModel

        nmf = NmfModel(k=self.k, seed=self.seed, min_df=1, max_df=1.0).fit(docs)
        column = {t: i for i, t in enumerate(nmf.vocabulary_)}
        mass = sum(c for b in bow for _, c in b) / self.k
        sstats = np.full((self.k, len(dictionary)), 1e-3)
        for token_id in range(len(dictionary)):
            j = column.get(dictionary[token_id])
            if j is not None:
                sstats[:, token_id] += nmf.topic_term_[:, j] * mass
        model.state.sstats = sstats.astype(model.dtype)
        model.expElogbeta = np.exp(dirichlet_expectation(model.state.get_lambda())).astype(
            model.dtype
        )

    def _seed_initial_topics(self, model, bow, dictionary) -> None:
        """Seed-guided initialisation: each seeded topic starts from the term counts of
        the segments that mention its seed terms (scaled to an average topic's mass), so
        the first E-step already groups the seed terms with the words that co-occur with
        them; the prior alone is too weak against a random start."""
        from gensim.matutils import dirichlet_expectation
        from scipy.optimize import linear_sum_assignment

        sstats = np.asarray(model.state.sstats, dtype=np.float64)
        mass = sum(c for b in bow for _, c in b) / self.k
        seed_ids = [
            {dictionary.token2id.get(seed_term_token(t)) for t in terms} - {None}
            for terms in (self.seed_topics or {}).values()
        ]
        # Move the starting topic that already holds most of each theme's seed terms to
        # that theme's position, so seeded and unseeded topics do not compete.
        share = sstats / sstats.sum(axis=1, keepdims=True)
        affinity = np.array(
            [[share[t, list(ids)].sum() for t in range(self.k)] for ids in seed_ids]
        )
        _, chosen = linear_sum_assignment(-affinity)
        rest = [t for t in range(self.k) if t not in set(chosen)]
        sstats = sstats[list(chosen) + rest]
        for topic, ids in enumerate(seed_ids):
            counts = np.zeros(len(dictionary))
            for b in bow:
                if any(i in ids for i, _ in b):
                    for i, c in b:
                        counts[i] += c
            if counts.sum() > 0:
                sstats[topic] = 0.5 * sstats[topic] + 0.5 * (counts / counts.sum() * mass) + 1e-3
        model.state.sstats = sstats.astype(model.dtype)
        model.expElogbeta = np.exp(dirichlet_expectation(model.state.get_lambda())).astype(
            model.dtype
        )

    def fit(self, docs: Sequence[Sequence[str]], texts: Sequence[str] | None = None) -> LdaModel:
        from gensim.corpora import Dictionary
        from gensim.models import LdaModel as GensimLda

        docs = [list(d) for d in docs]
        check_corpus(docs, self.k)
        dictionary = Dictionary(docs)
        if self.min_df > 1 or self.max_df < 1.0:
            dictionary.filter_extremes(no_below=self.min_df, no_above=self.max_df, keep_n=None)
        check_corpus(docs, self.k, vocabulary_size=len(dictionary))
        bow = [dictionary.doc2bow(d) for d in docs]
        eta = self.eta
        self.seed_topic_names_: dict[int, str] = {}
        if self.seed_topics:
            eta, self.seed_topic_names_ = self._seeded_eta(dictionary)
        logging.getLogger("gensim").setLevel(logging.WARNING)
        training = [b for b in bow if b]
        model = GensimLda(
            corpus=None,
            id2word=dictionary,
            num_topics=self.k,
            random_state=self.seed,
            passes=self.passes,
            iterations=self.iterations,
            chunksize=self.chunksize,
            alpha=self.alpha,
            eta=eta,
            update_every=1,
            eval_every=None,
        )
        if self.init == "nmf":
            self._nmf_initial_topics(model, docs, dictionary, bow)
        elif self.init != "random":
            raise UpstreamError(
                f"unknown init {self.init!r}", where="model.init", fix='use "nmf" or "random"'
            )
        if self.seed_topics:
            self._seed_initial_topics(model, bow, dictionary)
        model.update(training)
        self.model_ = model
        self.vocabulary_ = [dictionary[i] for i in range(len(dictionary))]
        self.topic_term_ = normalise_rows(model.get_topics())
        gamma, _ = model.inference(bow)
        empty = np.array([len(b) == 0 for b in bow])
        gamma[empty] = 0.0
        self.doc_topic_ = normalise_rows(gamma)
        counts = np.zeros(len(dictionary))
        for b in bow:
            for i, c in b:
                counts[i] += c
        self.term_score_ = relevance(
            self.topic_term_, counts / counts.sum(), weight=self.relevance_weight
        )
        return self
