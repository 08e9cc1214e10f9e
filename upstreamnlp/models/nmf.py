"""Non-negative matrix factorisation of TF-IDF (Lee & Seung 1999) with scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from upstreamnlp.models._common import check_corpus, normalise_rows, relevance
from upstreamnlp.models.base import TopicModel


def _identity(tokens):
    return tokens


class NmfModel(TopicModel):
    """NMF on sublinear, L2-normalised TF-IDF with NNDSVDa initialisation (deterministic
    for a given seed; Boutsidis & Gallopoulos 2008).

    Defaults measured on BBC News (2,225 documents, seed 1, top 10; NPMI as gensim
    ``c_npmi``): with sublinear TF, ``min_df=3`` and NNDSVDa, ranking top terms by
    relevance (Sievert & Shirley 2014) instead of weight raised NPMI and diversity:
    k=20: weight 0.200 / TD 0.900, relevance 0.8 0.234 / 0.980, 0.6 0.233 / 0.995;
    k=50: 0.199 / 0.832, 0.204 / 0.922, 0.163 / 0.972. ``relevance_weight=0.7`` sits
    between the two measured settings. NNDSVDa converged in about half the time of NNDSVD
    at equal NPMI (0.235 at k=20). Beta loss and regularisation were left at Frobenius /
    none (not measured).
    """

    kind = "nmf"

    def __init__(
        self,
        k: int = 10,
        seed: int = 1,
        *,
        min_df: int = 3,
        max_df: float = 0.95,
        sublinear_tf: bool = True,
        init: str = "nndsvda",
        beta_loss: str = "frobenius",
        alpha_W: float = 0.0,
        l1_ratio: float = 0.0,
        max_iter: int = 200,
        relevance_weight: float = 0.7,
    ) -> None:
        super().__init__(k=k, seed=seed)
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.init = init
        self.beta_loss = beta_loss
        self.alpha_W = alpha_W
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter
        self.relevance_weight = relevance_weight

    def fit(self, docs: Sequence[Sequence[str]], texts: Sequence[str] | None = None) -> NmfModel:
        import warnings

        from sklearn.decomposition import NMF
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = [list(d) for d in docs]
        check_corpus(docs, self.k)
        n_docs = sum(1 for d in docs if d)
        # A small corpus cannot afford to drop rare terms.
        min_df = self.min_df if n_docs >= 20 * self.min_df else 1
        vectorizer = TfidfVectorizer(
            analyzer=_identity,
            min_df=min_df,
            max_df=self.max_df if n_docs >= 20 else 1.0,
            sublinear_tf=self.sublinear_tf,
            norm="l2",
        )
        try:
            tfidf = vectorizer.fit_transform(docs)
        except ValueError:  # every term filtered out
            check_corpus(docs, self.k, vocabulary_size=0)
            raise
        vocabulary = vectorizer.get_feature_names_out()
        check_corpus(docs, self.k, vocabulary_size=len(vocabulary))
        solver = "cd" if self.beta_loss == "frobenius" else "mu"
        model = NMF(
            n_components=self.k,
            init=self.init,
            solver=solver,
            beta_loss=self.beta_loss,
            alpha_W=self.alpha_W,
            l1_ratio=self.l1_ratio,
            max_iter=self.max_iter,
            random_state=self.seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            weights = model.fit_transform(tfidf)
        self.model_ = model
        self.vectorizer_ = vectorizer
        self.vocabulary_ = [str(t) for t in vocabulary]
        self.topic_term_ = normalise_rows(model.components_)
        self.doc_topic_ = normalise_rows(weights)
        term_mass = np.asarray(tfidf.sum(axis=0)).ravel()
        self.term_score_ = relevance(
            self.topic_term_, term_mass / term_mass.sum(), weight=self.relevance_weight
        )
        return self
