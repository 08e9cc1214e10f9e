"""Topic quality metrics: coherence (NPMI, C_V), diversity, stability, and NMI.

``npmi`` reproduces gensim's ``CoherenceModel(coherence="c_npmi")`` exactly (same sliding
windows, same counting, same epsilon) but computes the window counts once per corpus with
sparse matrix products, so scoring a model on a few thousand documents takes milliseconds
instead of the tens of seconds gensim's Python loop needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment

from upstreamnlp.errors import UpstreamError

EPSILON = 1e-12  # gensim.topic_coherence.direct_confirmation_measure.EPSILON

TopicList = Sequence[Sequence[str]]


def _as_topic_lists(topics) -> list[list[str]]:
    """Accept a fitted model, lists of terms, or lists of (term, weight) pairs."""
    if hasattr(topics, "topic_words"):
        return topics.topic_words(10)
    result = []
    for topic in topics:
        terms = [t[0] if isinstance(t, tuple) else t for t in topic]
        result.append([str(t) for t in terms])
    return result


class CoherenceReference:
    """Sliding-window counts over a reference corpus, as gensim's boolean sliding window
    estimator (``p_boolean_sliding_window``) produces them.

    Each document of length >= ``window`` yields ``len - window + 1`` windows; shorter
    documents (including empty ones) yield one window holding the whole document. Word
    presence is updated the way gensim's ``WordOccurrenceAccumulator`` slides: when a
    window moves, the token leaving it is marked absent even if it occurs again inside the
    window. We replicate that so our scores equal gensim's to floating-point precision.
    """

    def __init__(self, docs: Iterable[Sequence[str]], window: int = 10) -> None:
        self.window = window
        self.docs = [list(d) for d in docs]
        self._index: dict[str, int] = {}
        self._postings: list[list[np.ndarray]] = []
        self.n_windows = 0
        self._build()

    def _build(self) -> None:
        w = self.window
        postings: dict[str, list[np.ndarray]] = {}
        offset = 0
        for doc in self.docs:
            n = len(doc)
            n_win = n - w + 1 if n >= w else 1
            positions: dict[str, list[int]] = {}
            for p, token in enumerate(doc):
                positions.setdefault(token, []).append(p)
            for token, ps in positions.items():
                if n < w:
                    present = np.array([offset])
                else:
                    present = self._windows_present(ps, n_win) + offset
                if len(present):
                    postings.setdefault(token, []).append(present)
            offset += n_win
        self.n_windows = offset
        self._index = {t: i for i, t in enumerate(postings)}
        self._postings = list(postings.values())

    def _windows_present(self, positions: list[int], n_win: int) -> np.ndarray:
        """Windows where gensim counts a word with these positions as present."""
        w = self.window
        # An occurrence at p is added when the window reaches it (window max(0, p-w+1))
        # and removed when it leaves (window p+1); on the same step removal comes first.
        events = []
        for p in positions:
            events.append((max(0, p - w + 1), 1))
            events.append((p + 1, 0))
        events.sort()
        present = []
        state, start = False, 0
        for j, is_add in events:
            if is_add and not state:
                state, start = True, j
            elif not is_add and state:
                state = False
                present.append(np.arange(start, min(j, n_win)))
        if state:
            present.append(np.arange(start, n_win))
        if not present:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(present))

    def __contains__(self, term: str) -> bool:
        return term in self._index

    def counts(self, terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Window counts of each term (diagonal) and of each pair, as a dense matrix."""
        rows, cols = [], []
        for j, term in enumerate(terms):
            i = self._index.get(term)
            if i is None:
                continue
            windows = np.concatenate(self._postings[i])
            rows.append(windows)
            cols.append(np.full(len(windows), j))
        if not rows:
            m = np.zeros((len(terms), len(terms)))
            return np.zeros(len(terms)), m
        presence = sparse.csc_matrix(
            (np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
            shape=(self.n_windows, len(terms)),
        )
        co = (presence.T @ presence).toarray()
        return np.diag(co).copy(), co


def npmi(
    topics,
    docs: Sequence[Sequence[str]] | CoherenceReference,
    topn: int = 10,
    window: int = 10,
    per_topic: bool = False,
) -> float | list[float]:
    """Mean normalised PMI of each topic's top-``topn`` word pairs (Bouma 2009), estimated
    on sliding windows of ``window`` tokens over ``docs`` exactly as gensim's
    ``CoherenceModel(coherence="c_npmi")`` does (Röder et al. 2015 framework).

    Pass a ``CoherenceReference`` instead of ``docs`` to reuse the counts across models.
    Terms missing from the reference corpus raise ``UpstreamError`` (gensim raises too).
    """
    reference = docs if isinstance(docs, CoherenceReference) else CoherenceReference(docs, window)
    topic_lists = [t[:topn] for t in _as_topic_lists(topics)]
    terms = sorted({t for topic in topic_lists for t in topic})
    missing = [t for t in terms if t not in reference]
    if missing:
        raise UpstreamError(
            f"topic terms not in the reference corpus: {missing[:5]}",
            where="npmi",
            fix="score topics on the documents the model was fitted on",
        )
    single, co = reference.counts(terms)
    position = {t: i for i, t in enumerate(terms)}
    n = float(reference.n_windows)
    scores = []
    for topic in topic_lists:
        idx = [position[t] for t in topic]
        values = []
        for a in range(len(idx)):
            for b in range(len(idx)):
                if a == b:
                    continue
                i, j = idx[a], idx[b]
                joint = co[i, j] / n
                pmi = np.log((joint + EPSILON) / ((single[i] / n) * (single[j] / n)))
                values.append(pmi / -np.log(joint + EPSILON))
        scores.append(float(np.mean(values)) if values else float("nan"))
    return scores if per_topic else float(np.mean(scores))


def c_v(topics, docs: Sequence[Sequence[str]], topn: int = 10) -> float:
    """C_V coherence (Röder et al. 2015) as gensim's ``CoherenceModel`` computes it:
    a 110-token sliding window, NPMI context vectors and cosine similarity."""
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    topic_lists = [t[:topn] for t in _as_topic_lists(topics)]
    dictionary = Dictionary(docs)
    topic_lists = [[t for t in topic if t in dictionary.token2id] for topic in topic_lists]
    topic_lists = [t for t in topic_lists if len(t) >= 2]
    if not topic_lists:
        return float("nan")
    model = CoherenceModel(
        topics=topic_lists, texts=docs, dictionary=dictionary, coherence="c_v", processes=1
    )
    return float(model.get_coherence())


def diversity(topics, topn: int = 10) -> float:
    """Topic diversity (Dieng, Ruiz & Blei 2020): the share of unique terms among all
    topics' top-``topn`` terms; 1 means no term is shared between topics."""
    topic_lists = [t[:topn] for t in _as_topic_lists(topics)]
    if not topic_lists:
        return float("nan")
    unique = {t for topic in topic_lists for t in topic}
    return len(unique) / (topn * len(topic_lists))


def _jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def stability(runs: Sequence, topn: int = 10) -> dict:
    """Agreement of topics across runs (e.g. seeds): each other run's topics are matched
    one-to-one to the first run's by the Hungarian algorithm on the Jaccard similarity of
    their top-``topn`` term sets, and the matched similarities are averaged (Greene,
    O'Callaghan & Cunningham 2014, "How many topics? Stability analysis").

    ``runs`` are fitted models or topic lists. Returns ``{"mean": float, "per_topic":
    [float per topic of the first run]}``; one run alone is perfectly stable (1.0).
    """
    topic_sets = [[t[:topn] for t in _as_topic_lists(run)] for run in runs]
    if not topic_sets:
        raise UpstreamError("stability needs at least one run", where="stability")
    reference = topic_sets[0]
    if len(topic_sets) == 1:
        return {"mean": 1.0, "per_topic": [1.0] * len(reference)}
    per_topic = np.zeros(len(reference))
    for other in topic_sets[1:]:
        sim = np.array([[_jaccard(a, b) for b in other] for a in reference])
        rows, cols = linear_sum_assignment(-sim)
        matched = np.zeros(len(reference))
        matched[rows] = sim[rows, cols]
        per_topic += matched
    per_topic /= len(topic_sets) - 1
    return {"mean": float(per_topic.mean()), "per_topic": [float(x) for x in per_topic]}


def nmi(labels_true: Sequence, doc_topic) -> float:
    """Normalised mutual information (arithmetic mean normalisation, scikit-learn) between
    known labels and each document's dominant topic (BERTopic paper's clustering check)."""
    from sklearn.metrics import normalized_mutual_info_score

    weights = np.asarray(doc_topic)
    if weights.ndim == 2:
        dominant = np.argmax(weights, axis=1)
        dominant = np.where(weights.max(axis=1) > 0, dominant, -1)
    else:
        dominant = weights
    return float(normalized_mutual_info_score(list(labels_true), dominant))
