"""Topics as clusters of segment embeddings, described by class-based TF-IDF
(the BERTopic recipe, Grootendorst 2022, with swappable parts and a fixed k)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from upstreamnlp.errors import UpstreamError
from upstreamnlp.models._common import check_corpus, normalise_rows, relevance
from upstreamnlp.models.base import TopicModel


def class_tfidf(
    docs: Sequence[Sequence[str]], labels: np.ndarray, k: int, min_df: int = 1
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Class-based TF-IDF (Grootendorst 2022): all segments of a cluster form one
    document; ``W[c, t] = tf[c, t] / |c| * log(1 + A / f[t])`` with ``A`` the mean number
    of tokens per cluster and ``f[t]`` the term's frequency over all clusters.

    Returns the vocabulary, the (k, V) c-TF-IDF matrix and the (k, V) term counts.
    """
    vocab: dict[str, int] = {}
    df: dict[str, int] = {}
    for doc in docs:
        for token in set(doc):
            df[token] = df.get(token, 0) + 1
    for token in sorted(df):
        if df[token] >= min_df:
            vocab[token] = len(vocab)
    rows, cols = [], []
    for i, doc in enumerate(docs):
        if labels[i] < 0:
            continue
        for token in doc:
            j = vocab.get(token)
            if j is not None:
                rows.append(labels[i])
                cols.append(j)
    counts = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(k, len(vocab))).toarray()
    totals = counts.sum(axis=1, keepdims=True)
    tf = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    average = counts.sum() / max(1, k)
    frequency = counts.sum(axis=0)
    idf = np.log(1 + average / np.maximum(frequency, 1))
    return list(vocab), tf * idf, counts


def summed_tfidf(
    docs: Sequence[Sequence[str]], labels: np.ndarray, k: int, min_df: int = 3
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Class-based TF-IDF from document TF-IDF: each cluster's term weights are the sum of
    its segments' sublinear, L2-normalised TF-IDF vectors (so long segments do not
    dominate and every segment counts once). Returns the vocabulary, the (k, V) weights
    and each term's share of the corpus TF-IDF mass (for relevance ranking).

    Measured on BBC News (MiniLM, spherical k-means, seed 1, top 10): Grootendorst's
    c-TF-IDF gave NPMI 0.149 / TD 0.850 at k=10 and 0.154 / 0.767 at k=30; summed TF-IDF
    ranked by relevance 0.6 gave 0.198 / 0.980 and 0.165 / 0.933."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    n_docs = sum(1 for d in docs if d)
    vectorizer = TfidfVectorizer(
        analyzer=_identity,
        sublinear_tf=True,
        min_df=min_df if n_docs >= 20 * min_df else 1,
        max_df=0.95 if n_docs >= 20 else 1.0,
    )
    tfidf = vectorizer.fit_transform(docs)
    membership = np.zeros((len(docs), k))
    assigned = labels >= 0
    membership[np.flatnonzero(assigned), labels[assigned]] = 1.0
    weights = np.asarray((tfidf.T @ membership).T)
    mass = np.asarray(tfidf.sum(axis=0)).ravel()
    return [str(t) for t in vectorizer.get_feature_names_out()], weights, mass / mass.sum()


def _identity(tokens):
    return tokens


class ClusterModel(TopicModel):
    """Embed segments, optionally reduce, cluster into exactly ``k`` groups, describe
    each group by c-TF-IDF.

    - ``embedder``: ``"auto"`` (MiniLM when it loads, else hashing), ``"hashing"``, or
      any object with ``encode(texts)``; wrapped in ``CachedEmbedder(cache_dir)``. Or
      pass precomputed ``embeddings=`` to ``fit``.
    - ``reducer``: ``None`` (default: cluster the L2-normalised embeddings directly),
      ``"pca"`` or ``"umap"`` (optional dependency; falls back to PCA with a warning).
    - ``clusterer``: ``"kmeans"`` (default; spherical k-means, i.e. k-means on unit
      vectors, Dhillon & Modha 2001), ``"agglomerative"`` (Ward) or ``"hdbscan"``
      (scikit-learn's HDBSCAN, Campello et al. 2013; clusters then merged to ``k`` by
      centroid similarity; outliers reassigned to the nearest centroid when their
      cosine similarity is at least ``outlier_threshold``; ``outlier_share_`` reports
      the share left unassigned).
    - terms: ``term_weighting="tfidf_sum"`` (default, ``summed_tfidf``) ranked by relevance
      (``relevance_weight``, Sievert & Shirley 2014), or ``"ctfidf"`` (Grootendorst).
    - ``doc_topic_``: softmax of cosine similarities to the centroids with
      ``temperature`` (soft weights for theme mapping); unassigned segments get zeros.
    """

    kind = "clusters"

    def __init__(
        self,
        k: int = 10,
        seed: int = 1,
        *,
        embedder="auto",
        cache_dir: str | Path | None = None,
        reducer: str | None = None,
        n_components: int = 10,
        clusterer: str = "kmeans",
        n_init: int = 4,
        min_cluster_size: int | None = None,
        outlier_threshold: float = 0.3,
        temperature: float = 0.05,
        min_df: int = 3,
        term_weighting: str = "tfidf_sum",
        relevance_weight: float = 0.6,
    ) -> None:
        super().__init__(k=k, seed=seed)
        self.embedder = embedder
        self.cache_dir = cache_dir
        self.reducer = reducer
        self.n_components = n_components
        self.clusterer = clusterer
        self.n_init = n_init
        self.min_cluster_size = min_cluster_size
        self.outlier_threshold = outlier_threshold
        self.temperature = temperature
        self.min_df = min_df
        self.term_weighting = term_weighting
        self.relevance_weight = relevance_weight

    # --- parts -------------------------------------------------------------------
    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        from upstreamnlp.models.embeddings import CachedEmbedder, load_embedder

        embedder = self.embedder
        if isinstance(embedder, str):
            embedder = load_embedder(embedder)
        self.embedder_name_ = getattr(embedder, "name", type(embedder).__name__)
        return CachedEmbedder(embedder, self.cache_dir).encode(list(texts))

    def _reduce(self, vectors: np.ndarray) -> np.ndarray:
        if self.reducer is None:
            return vectors
        n_components = min(self.n_components, vectors.shape[1], len(vectors) - 1)
        if self.reducer == "umap":
            try:
                from umap import UMAP

                reduced = UMAP(
                    n_components=n_components,
                    n_neighbors=15,
                    min_dist=0.0,
                    metric="cosine",
                    random_state=self.seed,
                ).fit_transform(vectors)
                return np.asarray(reduced, dtype=np.float64)
            except ImportError:
                warnings.warn(
                    "umap-learn is not installed: reducing with PCA instead "
                    "(pip install umap-learn for UMAP)",
                    stacklevel=3,
                )
        elif self.reducer != "pca":
            raise UpstreamError(
                f"unknown reducer {self.reducer!r}",
                where="model.reducer",
                fix='use "umap", "pca" or none',
            )
        from sklearn.decomposition import PCA

        return PCA(n_components=n_components, random_state=self.seed).fit_transform(vectors)

    def _cluster(self, points: np.ndarray) -> np.ndarray:
        from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans

        if self.clusterer == "kmeans":
            return KMeans(self.k, n_init=self.n_init, random_state=self.seed).fit_predict(points)
        if self.clusterer == "agglomerative":
            return AgglomerativeClustering(n_clusters=self.k).fit_predict(points)
        if self.clusterer != "hdbscan":
            raise UpstreamError(
                f"unknown clusterer {self.clusterer!r}",
                where="model.clusterer",
                fix='use "kmeans", "agglomerative" or "hdbscan"',
            )
        size = self.min_cluster_size or max(5, len(points) // (10 * self.k))
        labels = HDBSCAN(min_cluster_size=size, copy=True).fit_predict(points)
        found = sorted(set(labels) - {-1})
        if len(found) < self.k:
            warnings.warn(
                f"HDBSCAN found {len(found)} clusters, fewer than k={self.k}: "
                "using k-means instead (lower min_cluster_size to let HDBSCAN find more)",
                stacklevel=3,
            )
            return KMeans(self.k, n_init=self.n_init, random_state=self.seed).fit_predict(points)
        # Merge the most similar clusters (average linkage on centroids) down to k.
        centroids = np.array([points[labels == c].mean(axis=0) for c in found])
        merge = AgglomerativeClustering(n_clusters=self.k, linkage="average").fit_predict(centroids)
        mapping = {c: merge[i] for i, c in enumerate(found)}
        return np.array([mapping.get(label, -1) for label in labels])

    # --- fit -----------------------------------------------------------------------
    def fit(
        self,
        docs: Sequence[Sequence[str]],
        texts: Sequence[str] | None = None,
        embeddings: np.ndarray | None = None,
    ) -> ClusterModel:
        docs = [list(d) for d in docs]
        check_corpus(docs, self.k)
        if embeddings is None:
            if texts is None:
                texts = [" ".join(d) for d in docs]
            if len(texts) != len(docs):
                raise UpstreamError(
                    f"{len(texts)} texts for {len(docs)} token lists",
                    where="clusters.fit",
                    fix="pass one text per segment",
                )
            embeddings = self._embed(texts)
        embeddings = np.asarray(embeddings, dtype=np.float64)
        if len(embeddings) != len(docs):
            raise UpstreamError(
                f"{len(embeddings)} embeddings for {len(docs)} token lists",
                where="clusters.fit",
                fix="pass one embedding row per segment",
            )
        norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
        unit = np.divide(embeddings, norms, out=np.zeros_like(embeddings), where=norms > 0)
        modelled = np.array([len(d) > 0 for d in docs]) & (norms[:, 0] > 0)
        labels = np.full(len(docs), -1)
        points = self._reduce(unit[modelled])
        labels[modelled] = self._cluster(points)

        # Centroids in the embedding space (unit length) give similarities for all segments.
        centroids = np.zeros((self.k, unit.shape[1]))
        for c in range(self.k):
            members = labels == c
            if members.any():
                centroids[c] = unit[members].mean(axis=0)
        centroids = normalise_l2(centroids)
        similarity = unit @ centroids.T
        outliers = modelled & (labels < 0)
        nearest = similarity.argmax(axis=1)
        rescue = outliers & (similarity.max(axis=1) >= self.outlier_threshold)
        labels[rescue] = nearest[rescue]
        self.labels_ = labels
        self.outlier_share_ = float(np.mean(labels < 0)) if len(labels) else 0.0

        logits = similarity / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        soft = np.exp(logits)
        soft[labels < 0] = 0.0
        self.doc_topic_ = normalise_rows(soft)
        self.embeddings_ = embeddings
        self.centroids_ = centroids

        if self.term_weighting == "ctfidf":
            vocabulary, weights, _ = class_tfidf(docs, labels, self.k, self.min_df)
            term_prob = None
        elif self.term_weighting == "tfidf_sum":
            vocabulary, weights, term_prob = summed_tfidf(docs, labels, self.k, self.min_df)
        else:
            raise UpstreamError(
                f"unknown term_weighting {self.term_weighting!r}",
                where="model.term_weighting",
                fix='use "tfidf_sum" or "ctfidf"',
            )
        check_corpus(docs, self.k, vocabulary_size=len(vocabulary))
        self.vocabulary_ = vocabulary
        self.topic_term_ = normalise_rows(weights)
        if term_prob is not None and self.relevance_weight < 1.0:
            self.term_score_ = relevance(self.topic_term_, term_prob, self.relevance_weight)
        return self

    def representative_docs(self, n: int = 5) -> dict[int, list[int]]:
        """For each topic the ``n`` member segments closest to its centroid."""
        unit = normalise_l2(self.embeddings_)
        similarity = unit @ self.centroids_.T
        result: dict[int, list[int]] = {}
        for t in range(self.k):
            idx = np.flatnonzero(self.labels_ == t)
            order = idx[np.lexsort((idx, -np.round(similarity[idx, t], 12)))]
            result[t] = [int(i) for i in order[:n]]
        return result


def normalise_l2(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix, dtype=np.float64), where=norms > 0)
