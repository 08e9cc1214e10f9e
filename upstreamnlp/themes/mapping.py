"""Map fitted topics onto a codebook's themes, then label every segment.

Topic -> theme (``ThemeMapper.fit``). For each topic and theme two kinds of evidence,
each on a 0-1 scale that means the same thing for every topic:

- **lexical**: the probability mass the topic puts on the theme's seed terms (seed terms
  and vocabulary are matched after lower-casing, simple lemmatising and joining phrases
  with '_'), saturated as ``mass / (mass + lexical_half_mass)``: a topic that spends
  ``lexical_half_mass`` (default 3%) of its weight on a theme's seed terms scores 0.5.
- **semantic**: cosine similarity between the theme (the mean embedding of its
  description and exemplar sentences) and the topic (the mean of the embedding of its top
  terms and the mean embedding of its representative segments), min-max scaled over the
  whole topic-by-theme matrix so that the least similar pair is 0 and the most similar 1.

``score = (lexical_weight * lexical + semantic_weight * semantic) / (sum of weights)``.
A theme is *assigned* to a topic when its score is at least ``assign_threshold`` and
within ``mixed_margin`` of the topic's best score. A topic's label is the assigned theme,
``mixed`` when several are assigned, and ``emergent`` when none is (the topic is
something the codebook does not describe; read it).

Segment -> theme (``ThemeMapper.label_segments``): see that method's docstring.

Choices measured on the DEV half of the demo gold coding (``benchmarks/RESULTS.md``, "## Demo
agreement"): theme similarity is the mean of the ``n_nearest`` (3) largest cosines to a
theme's individual texts (``segment_similarity="nearest"``; DEV kappa about +0.03 over
one mean vector, BBC News unchanged at 0.919), and a segment closer to the codebook's
``outside`` texts than to any theme (``outside_margin`` -0.03 in raw cosine) is ``none``.
Self-training lowered DEV kappa on the demo (0.535 -> 0.456) while it raised BBC News
(0.919 -> 0.935), so it stays on by default; turn it off for interview corpora.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from upstreamnlp.errors import UpstreamError
from upstreamnlp.themes.codebook import Codebook, iter_term_keys, load_codebook, normalise_term

EMERGENT = "emergent"
MIXED = "mixed"
NONE = "none"
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'\-]*")


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def _minmax(matrix: np.ndarray, low: float | None = None, high: float | None = None):
    low = float(matrix.min()) if low is None else low
    high = float(matrix.max()) if high is None else high
    if high - low < 1e-9:
        return np.zeros_like(matrix)
    return np.clip((matrix - low) / (high - low), 0.0, 1.0)


def simple_tokens(text: str) -> list[str]:
    """Lower-cased words of a text, for when no preprocessed tokens are given."""
    return [w.lower() for w in _WORD_RE.findall(text)]


class ThemeMapper:
    """Maps a fitted ``TopicModel``'s topics onto a codebook and labels segments.

    Parameters are the documented thresholds (module docstring); nothing happens here
    until ``fit``. ``embedder`` is anything with ``encode(texts) -> array`` (None: the
    package default from ``load_embedder()``).
    """

    def __init__(
        self,
        codebook: Codebook | str | Path,
        embedder=None,
        lexical_weight: float = 0.5,
        semantic_weight: float = 0.5,
        assign_threshold: float = 0.4,
        mixed_margin: float = 0.15,
        lexical_half_mass: float = 0.03,
        n_terms: int = 20,
        n_docs: int = 10,
        segment_semantic_weight: float = 0.4,
        segment_lexical_weight: float = 0.3,
        segment_topic_weight: float = 0.3,
        segment_lexical_half: float = 0.02,
        none_threshold: float = 0.3,
        emergent_own_threshold: float = 0.5,
        self_train: bool = True,
        confident_share: float = 0.5,
        segment_similarity: str = "nearest",
        n_nearest: int = 3,
        outside_margin: float = -0.03,
        seed: int = 1,
    ) -> None:
        self.codebook = codebook
        self.embedder = embedder
        self.lexical_weight = lexical_weight
        self.semantic_weight = semantic_weight
        self.assign_threshold = assign_threshold
        self.mixed_margin = mixed_margin
        self.lexical_half_mass = lexical_half_mass
        self.n_terms = n_terms
        self.n_docs = n_docs
        self.segment_semantic_weight = segment_semantic_weight
        self.segment_lexical_weight = segment_lexical_weight
        self.segment_topic_weight = segment_topic_weight
        self.segment_lexical_half = segment_lexical_half
        self.none_threshold = none_threshold
        self.emergent_own_threshold = emergent_own_threshold
        self.self_train = self_train
        self.confident_share = confident_share
        self.segment_similarity = segment_similarity
        self.n_nearest = n_nearest
        self.outside_margin = outside_margin
        self.seed = seed

    # --- topic -> theme ----------------------------------------------------------------
    def fit(
        self,
        model,
        texts: Sequence[str],
        docs: Sequence[Sequence[str]] | None = None,
        segment_ids: Sequence[str] | None = None,
    ) -> ThemeMapper:
        """Score every topic against every theme. ``texts`` are the modelled segments'
        de-identified texts (row order of ``model.doc_topic_``); ``docs`` their tokens."""
        codebook = self.codebook
        if not isinstance(codebook, Codebook):
            codebook = load_codebook(codebook)
        self.codebook_ = codebook
        texts = list(texts)
        doc_topic = np.asarray(model.doc_topic_, dtype=float)
        if len(texts) != doc_topic.shape[0]:
            raise UpstreamError(
                f"{len(texts)} texts but the topic model has {doc_topic.shape[0]} documents",
                where="ThemeMapper.fit",
                fix="pass the texts of exactly the segments the model was fitted on",
            )
        if docs is not None and len(docs) != len(texts):
            raise UpstreamError(
                f"{len(docs)} token lists but {len(texts)} texts", where="ThemeMapper.fit"
            )
        if segment_ids is not None and len(segment_ids) != len(texts):
            raise UpstreamError(
                f"{len(segment_ids)} segment ids but {len(texts)} texts", where="ThemeMapper.fit"
            )
        if self.embedder is None:
            from upstreamnlp.models.embeddings import load_embedder

            self.embedder = load_embedder()
        self.texts_ = texts
        self.tokens_ = [list(d) for d in docs] if docs is not None else None
        self.segment_ids_ = list(segment_ids) if segment_ids is not None else None
        self.doc_topic_ = doc_topic
        self.theme_ids_ = codebook.ids

        # Two encode calls: the segments (large, cached on their own) and the short texts
        # (theme descriptions and exemplars, topics' top terms).
        self.segment_vectors_ = _normalise_rows(np.asarray(self.embedder.encode(texts), float))
        theme_texts = [theme.texts() for theme in codebook]
        top_terms = model.top_terms(self.n_terms)
        term_texts = [", ".join(t.replace("_", " ") for t, _ in terms) for terms in top_terms]
        outside = list(getattr(codebook, "outside", ()) or ())
        short = [text for texts_ in theme_texts for text in texts_] + term_texts + outside
        short_vectors = _normalise_rows(np.asarray(self.embedder.encode(short), float))
        n_short = len(short) - len(outside)
        self.outside_vectors_ = short_vectors[n_short:]
        short_vectors = short_vectors[:n_short]
        # Theme vectors: mean of the (normalised) description and exemplar embeddings.
        theme_vectors, start = [], 0
        self.theme_text_vectors_ = []
        for texts_ in theme_texts:
            self.theme_text_vectors_.append(short_vectors[start : start + len(texts_)])
            theme_vectors.append(short_vectors[start : start + len(texts_)].mean(axis=0))
            start += len(texts_)
        self.theme_vectors_ = _normalise_rows(np.vstack(theme_vectors))

        lexical = self._topic_lexical(model)
        semantic_raw = self._topic_semantic(model, short_vectors[start:])
        semantic = _minmax(semantic_raw)
        total = self.lexical_weight + self.semantic_weight
        score = (self.lexical_weight * lexical + self.semantic_weight * semantic) / total
        best = score.max(axis=1, keepdims=True)
        assigned = (score >= self.assign_threshold) & (score >= best - self.mixed_margin)
        self.topic_scores_ = score

        rows = []
        for t in range(score.shape[0]):
            for j, theme_id in enumerate(self.theme_ids_):
                rows.append(
                    {
                        "topic": t,
                        "theme": theme_id,
                        "score": round(float(score[t, j]), 6),
                        "lexical": round(float(lexical[t, j]), 6),
                        "semantic": round(float(semantic[t, j]), 6),
                        "semantic_cosine": round(float(semantic_raw[t, j]), 6),
                        "assigned": bool(assigned[t, j]),
                    }
                )
        self.theme_map_ = pd.DataFrame(rows)
        labels = {}
        for t in range(score.shape[0]):
            chosen = [self.theme_ids_[j] for j in np.flatnonzero(assigned[t])]
            labels[t] = chosen[0] if len(chosen) == 1 else (MIXED if chosen else EMERGENT)
        self.topic_labels_ = labels
        return self

    def _topic_lexical(self, model) -> np.ndarray:
        topic_term = np.asarray(model.topic_term_, dtype=float)
        row_sums = topic_term.sum(axis=1, keepdims=True)
        row_sums[row_sums == 0] = 1.0
        topic_term = topic_term / row_sums
        vocab_keys = [normalise_term(str(v)) for v in model.vocabulary_]
        mass = np.zeros((topic_term.shape[0], len(self.codebook_)))
        for j, theme in enumerate(self.codebook_):
            seeds = {normalise_term(s) for s in theme.seed_terms} - {""}
            columns = [i for i, key in enumerate(vocab_keys) if key in seeds]
            if columns:
                mass[:, j] = topic_term[:, columns].sum(axis=1)
        self.seed_mass_ = mass
        return mass / (mass + self.lexical_half_mass)

    def _topic_semantic(self, model, term_vectors: np.ndarray) -> np.ndarray:
        representative = model.representative_docs(self.n_docs)
        topic_vectors = []
        for t in range(len(term_vectors)):
            idx = representative.get(t, [])
            if idx:
                doc_mean = _normalise_rows(self.segment_vectors_[idx].mean(axis=0)[None, :])[0]
                topic_vectors.append(0.5 * term_vectors[t] + 0.5 * doc_mean)
            else:
                topic_vectors.append(term_vectors[t])
        self.topic_vectors_ = _normalise_rows(np.vstack(topic_vectors))
        if self.segment_similarity == "nearest":  # as for segments: see segment_cosines
            n = max(1, self.n_nearest)
            return np.column_stack(
                [
                    np.sort(self.topic_vectors_ @ v.T, axis=1)[:, -min(n, len(v)) :].mean(axis=1)
                    for v in self.theme_text_vectors_
                ]
            )
        return self.topic_vectors_ @ self.theme_vectors_.T

    # --- segment -> theme --------------------------------------------------------------
    def segment_scores(self) -> pd.DataFrame:
        """Per segment and theme: the semantic, lexical, topic and combined scores (0-1)."""
        self._check_fitted()
        ids = self.theme_ids_
        cosine = self.segment_cosines()
        # Robust min-max (5th-95th percentile of all segment-theme cosines).
        semantic = _minmax(cosine, *np.percentile(cosine, [5, 95]))
        tokens = self.tokens_ or [simple_tokens(t) for t in self.texts_]
        seeds = [{normalise_term(s) for s in th.seed_terms} - {""} for th in self.codebook_]
        max_n = max([k.count("_") + 1 for s in seeds for k in s] or [1])
        counts = np.zeros((len(tokens), len(ids)))
        for i, toks in enumerate(tokens):
            for key in iter_term_keys(toks, max_n=max_n):
                for j, s in enumerate(seeds):
                    if key in s:
                        counts[i, j] += 1
        lengths = np.array([max(len(t), 1) for t in tokens], dtype=float)[:, None]
        density = counts / lengths
        lexical = density / (density + self.segment_lexical_half)
        weights = self.doc_topic_.copy()
        sums = weights.sum(axis=1, keepdims=True)
        sums[sums == 0] = 1.0
        topic_part = (weights / sums) @ self.topic_scores_
        total = self.segment_semantic_weight + self.segment_lexical_weight
        total += self.segment_topic_weight
        combined = (
            self.segment_semantic_weight * semantic
            + self.segment_lexical_weight * lexical
            + self.segment_topic_weight * topic_part
        ) / total
        self.segment_semantic_ = semantic
        self.segment_lexical_ = lexical
        self.segment_topic_ = topic_part
        self.segment_combined_ = combined
        self.seed_counts_ = counts
        frames = {"combined": combined, "semantic": semantic, "lexical": lexical}
        frames["topic"] = topic_part
        out = {}
        for part, matrix in frames.items():
            for j, theme_id in enumerate(ids):
                out[f"{part}_{theme_id}"] = matrix[:, j]
        return pd.DataFrame(out)

    def segment_cosines(self) -> np.ndarray:
        """Raw cosine similarity of every segment to every theme (segments x themes).

        ``segment_similarity="centroid"``: cosine to the theme vector (the mean of the
        description and exemplar embeddings). ``"nearest"``: the mean of the
        ``n_nearest`` largest cosines to the theme's individual texts (description and
        each exemplar), a k-nearest-neighbour reading of the codebook: a passage close to
        one exemplar counts even when the theme's texts are varied, which a single mean
        vector blurs (the exemplars of a theme span registers and sub-topics)."""
        if self.segment_similarity == "centroid":
            return self.segment_vectors_ @ self.theme_vectors_.T
        if self.segment_similarity != "nearest":
            raise UpstreamError(
                f"segment_similarity={self.segment_similarity!r} is not known",
                where="ThemeMapper",
                fix="use 'centroid' or 'nearest'",
            )
        return np.column_stack([self._top_mean(vectors) for vectors in self.theme_text_vectors_])

    def _top_mean(self, vectors: np.ndarray) -> np.ndarray:
        """Per segment, the mean of the ``n_nearest`` largest cosines to ``vectors``."""
        cos = self.segment_vectors_ @ vectors.T
        n = max(1, min(self.n_nearest, cos.shape[1]))
        return np.sort(cos, axis=1)[:, -n:].mean(axis=1)

    def outside_similarity(self) -> np.ndarray | None:
        """Per segment, the mean of the ``n_nearest`` largest cosines to the codebook's
        ``outside`` texts (material that fits no theme); None without them."""
        if self.outside_vectors_.shape[0] == 0:
            return None
        return self._top_mean(self.outside_vectors_)

    def label_segments(self) -> pd.DataFrame:
        """One row per modelled segment: ``segment_id``, ``theme``, ``theme_score`` and
        ``score_<theme>`` for every theme.

        How the label is chosen: each segment gets, per theme, a combined score (0-1) =
        weighted mean of (a) its own semantic similarity to the theme (cosine to the
        theme vector, scaled between the 5th and 95th percentile of all segment-theme
        cosines), (b) its own seed-term evidence (seed hits per token, saturated as
        ``d / (d + segment_lexical_half)``) and (c) its topics' mapping (``doc_topic_``
        weights times the topic-by-theme scores). The label is the best-scoring theme;
        when that score is below ``none_threshold`` the label is ``emergent`` if the
        segment's dominant topic is emergent, else ``none``. A segment whose dominant
        topic is emergent also stays ``emergent`` unless its own evidence for the best
        theme ((a) and (b) only) reaches ``emergent_own_threshold``: a topic the codebook
        does not describe should not lend its segments a theme on weak evidence. With ``self_train=True`` a
        logistic regression on the segment embeddings plus TF-IDF is trained on the
        ``confident_share`` most confident segments of each theme (largest margin between
        the best and second-best theme) and then relabels every segment that is not
        ``none``/``emergent`` (self-training; Yarowsky 1995). It is on by default because
        it raised Cohen's kappa on the BBC News benchmark from 0.919 to 0.937
        (``benchmarks/RESULTS.md``, "## Themes"); it is skipped when a theme has fewer
        than two confident segments. Self-trained rows have ``label_source`` "self-trained"
        and ``theme_score`` = the classifier's probability for the label.
        """
        self.segment_scores()
        combined = self.segment_combined_
        ids = np.asarray(self.theme_ids_, dtype=object)
        best = combined.argmax(axis=1)
        best_score = combined.max(axis=1)
        labels = ids[best].astype(object)
        dominant = self.doc_topic_.argmax(axis=1)
        has_topic = self.doc_topic_.max(axis=1) > 0
        in_emergent = np.array(
            [
                bool(h) and self.topic_labels_.get(int(t)) == EMERGENT
                for t, h in zip(dominant, has_topic, strict=True)
            ]
        )
        # A segment's own evidence (semantic + lexical, without its topics' mapping).
        own_total = self.segment_semantic_weight + self.segment_lexical_weight
        own = (
            self.segment_semantic_weight * self.segment_semantic_
            + self.segment_lexical_weight * self.segment_lexical_
        ) / own_total
        own_best = own[np.arange(len(best)), best]
        outside = self.outside_similarity()
        if outside is not None:
            raw_best = self.segment_cosines().max(axis=1)
            self.segment_outside_ = outside
            is_outside = outside > raw_best + self.outside_margin
        else:
            is_outside = np.zeros(len(labels), dtype=bool)
        for i in range(len(labels)):
            if in_emergent[i] and own_best[i] < self.emergent_own_threshold:
                labels[i] = EMERGENT
            elif is_outside[i] or best_score[i] < self.none_threshold:
                labels[i] = EMERGENT if in_emergent[i] else NONE
        theme_score = best_score.copy()
        source = np.array(["rules"] * len(labels), dtype=object)
        if self.self_train:
            labels, theme_score, source = self._self_train(labels, theme_score, source)
        segment_ids = self.segment_ids_ or list(range(len(labels)))
        frame = pd.DataFrame(
            {
                "segment_id": segment_ids,
                "theme": labels,
                "theme_score": np.round(theme_score, 6),
                "label_source": source,
            }
        )
        for j, theme_id in enumerate(self.theme_ids_):
            frame[f"score_{theme_id}"] = np.round(combined[:, j], 6)
        self.segment_labels_ = frame
        return frame

    def _self_train(self, labels, theme_score, source):
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        combined = self.segment_combined_
        ordered = np.sort(combined, axis=1)
        margin = ordered[:, -1] - (ordered[:, -2] if combined.shape[1] > 1 else 0.0)
        themed = np.isin(labels, self.theme_ids_)
        if themed.sum() < 4:
            return labels, theme_score, source
        # The most confident share *within each theme*, so every theme has examples.
        confident = np.zeros(len(labels), dtype=bool)
        for theme_id in self.theme_ids_:
            members = themed & (labels == theme_id)
            if members.any():
                cut = np.quantile(margin[members], 1.0 - self.confident_share)
                confident |= members & (margin >= cut)
        classes = set(labels[confident])
        if len(classes) < 2 or min((labels[confident] == c).sum() for c in classes) < 2:
            return labels, theme_score, source
        tokens = self.tokens_ or [simple_tokens(t) for t in self.texts_]
        tfidf = TfidfVectorizer(
            analyzer=lambda toks: [normalise_term(t) for t in toks], min_df=2, sublinear_tf=True
        )
        try:
            words = tfidf.fit_transform(tokens)
        except ValueError:  # empty vocabulary (tiny corpora): embeddings alone
            words = csr_matrix((len(tokens), 0))
        features = hstack([csr_matrix(self.segment_vectors_), words]).tocsr()
        classifier = LogisticRegression(C=1.0, max_iter=2000, random_state=self.seed)
        classifier.fit(features[confident], labels[confident])
        proba = classifier.predict_proba(features[themed])
        predicted = classifier.classes_[proba.argmax(axis=1)]
        labels = labels.copy()
        theme_score = theme_score.copy()
        labels[themed] = predicted
        theme_score[themed] = proba.max(axis=1)
        source[themed] = "self-trained"
        self.classifier_ = classifier
        self.confident_mask_ = confident
        return labels, theme_score, source

    def _check_fitted(self) -> None:
        if not hasattr(self, "theme_map_"):
            raise UpstreamError("the ThemeMapper is not fitted", fix="call fit(model, texts)")


def label_segments(
    model,
    texts: Sequence[str],
    codebook: Codebook | str | Path,
    docs: Sequence[Sequence[str]] | None = None,
    segment_ids: Sequence[str] | None = None,
    embedder=None,
    **mapper_params,
) -> pd.DataFrame:
    """Fit a ``ThemeMapper`` and return its segment labels (see ``label_segments``)."""
    mapper = ThemeMapper(codebook, embedder=embedder, **mapper_params)
    mapper.fit(model, texts, docs=docs, segment_ids=segment_ids)
    return mapper.label_segments()
