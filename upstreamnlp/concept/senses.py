"""Senses of the concept: which distinct meanings its uses fall into.

1. Each occurrence's context (its sentence; the KWIC line when the sentence is shorter
   than six words) is embedded.
2. A **literal** sense is set apart first: the lexical rule of ``concept.literal``, or at
   least one literal cue together with an embedding that is closer (by more than
   ``literal_margin`` cosine) to literal prototypes (rivers, supply chains, software)
   than to health-inequalities prototypes. River-metaphor matches, and other uses in a
   sentence that tells the river story, are never literal.
3. The metaphorical occurrences are clustered with k-means on L2-normalised embeddings;
   k is given or chosen by the mean silhouette (cosine; Rousseeuw 1987) over ``ks``.
   Fewer than six metaphorical occurrences: one sense, no clustering.
4. Each sense is described by class-based TF-IDF terms (Grootendorst 2022, via
   ``models.clusters.class_tfidf``) and the quotes nearest its centroid, and mapped onto
   the codebook with the themes stage's ``ThemeMapper`` (seed-term mass plus embedding
   similarity to each theme's description and exemplars): the best theme when its score
   reaches the mapper's ``assign_threshold``, else ``emergent``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from upstreamnlp.concept.lexicon import ConceptSpec
from upstreamnlp.concept.literal import literal_evidence, looks_literal
from upstreamnlp.models.base import TopicModel

SENSE_COLUMNS = [
    "sense",
    "name",
    "n",
    "theme",
    "theme_score",
    "literal",
    "top_terms",
    "quotes",
]
ASSIGNMENT_COLUMNS = ["occurrence_id", "sense", "sense_name", "literal", "theme"]
LITERAL_SENSE = 0
MIN_FOR_CLUSTERING = 6
LITERAL_PROTOTYPES = (
    "Salmon swim upstream against the current of the river to spawn.",
    "We paddled the boat upstream past the weir after the flood.",
    "Upstream suppliers in the supply chain raised the price of raw materials.",
    "Pull the upstream branch from the git repository before you merge.",
    "The oil and gas industry's upstream operations cover exploration and drilling.",
)
METAPHOR_PROTOTYPES = (
    "Upstream action tackles the causes of health inequalities before people become ill.",
    "Going upstream means prevention and changing the social conditions that shape health.",
    "Instead of pulling people out of the river we should stop them falling in.",
    "Upstream interventions such as policy and legislation change the context for everyone.",
)
_STOP: frozenset[str] | None = None


def _stop_words() -> frozenset[str]:
    global _STOP
    if _STOP is None:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        extra = {"think", "just", "really", "like", "know", "yeah", "thing", "things", "lot"}
        # Words of talking about meaning, which otherwise make a "definitions" sense.
        extra |= {"mean", "means", "meant", "say", "said", "term", "word", "use", "used"}
        _STOP = frozenset(ENGLISH_STOP_WORDS | extra)
    return _STOP


def context_tokens(text: str, spec: ConceptSpec) -> list[str]:
    """Lower-cased content words of a context, without stop words or the concept."""
    from upstreamnlp.themes.codebook import simple_lemma
    from upstreamnlp.themes.mapping import simple_tokens

    drop = _stop_words() | spec.term_words() | {"downstream", "stream"}
    words = [w for w in simple_tokens(text) if "'" not in w and w not in drop and len(w) > 2]
    return [simple_lemma(w) for w in words]


def occurrence_contexts(occurrences: pd.DataFrame) -> list[str]:
    """The text embedded for each occurrence: its sentence, or its KWIC line when the
    sentence has fewer than six words."""
    contexts = []
    for row in occurrences.itertuples():
        sentence = str(getattr(row, "sentence", "") or "")
        if len(sentence.split()) >= 6:
            contexts.append(sentence)
        else:
            contexts.append(
                " ".join(str(getattr(row, c, "") or "") for c in ("left", "match", "right"))
            )
    return contexts


class _SenseModel(TopicModel):
    """The senses seen as a topic model, so the themes stage's ``ThemeMapper`` can score
    them exactly as it scores topics."""

    kind = "senses"

    def __init__(self, vocabulary, counts, scores, labels, k):
        super().__init__(k=k)
        totals = counts.sum(axis=1, keepdims=True)
        self.vocabulary_ = list(vocabulary)
        self.topic_term_ = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        self.term_score_ = scores
        self.doc_topic_ = np.eye(k)[labels]


@dataclass
class SenseResult:
    """``senses_``: one row per sense (SENSE_COLUMNS); ``assignments_``: occurrence ->
    sense; ``k_`` and ``silhouette_`` (by k) for the clustering; ``message``."""

    senses_: pd.DataFrame
    assignments_: pd.DataFrame
    k_: int | None = None
    silhouette_: dict[int, float] = field(default_factory=dict)
    theme_map_: pd.DataFrame | None = None
    message: str = ""


def _empty(message: str) -> SenseResult:
    return SenseResult(
        pd.DataFrame(columns=SENSE_COLUMNS),
        pd.DataFrame(columns=ASSIGNMENT_COLUMNS),
        message=message,
    )


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def literal_mask(
    occurrences: pd.DataFrame,
    vectors: np.ndarray,
    embedder: Any,
    contexts: list[str] | None = None,
    literal_margin: float = 0.05,
) -> np.ndarray:
    """Which occurrences are literal (rule in the module docstring)."""
    contexts = contexts if contexts is not None else occurrence_contexts(occurrences)
    protos = _normalise(
        np.asarray(embedder.encode(list(LITERAL_PROTOTYPES + METAPHOR_PROTOTYPES)), float)
    )
    n_lit = len(LITERAL_PROTOTYPES)
    similarity = vectors @ protos.T
    margin = similarity[:, :n_lit].max(axis=1) - similarity[:, n_lit:].max(axis=1)
    forms = occurrences["form"].tolist() if "form" in occurrences else [""] * len(contexts)
    # A sentence that tells the river story ("pulling bodies out of the river") is the
    # metaphor, whatever else it says about rivers.
    if {"doc_id", "sentence_start"} <= set(occurrences.columns):
        keys = list(zip(occurrences["doc_id"], occurrences["sentence_start"], strict=True))
        story = {k for k, f in zip(keys, forms, strict=True) if f == "river_metaphor"}
        forms = ["river_metaphor" if k in story else f for k, f in zip(keys, forms, strict=True)]
    mask = []
    for context, form, gap in zip(contexts, forms, margin, strict=True):
        literal_hits, _ = literal_evidence(context)
        literal = looks_literal(context) or (literal_hits >= 1 and gap > literal_margin)
        mask.append(bool(literal and form != "river_metaphor"))
    return np.array(mask, dtype=bool)


def _choose_k(vectors: np.ndarray, k: int | None, ks, seed: int) -> tuple[np.ndarray, int, dict]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    candidates = [k] if k is not None else [c for c in ks if 2 <= c < n]
    if not candidates:
        return np.zeros(n, dtype=int), 1, {}
    best, scores = None, {}
    for c in candidates:
        c = min(int(c), n)
        labels = KMeans(n_clusters=c, n_init=10, random_state=seed).fit_predict(vectors)
        if len(set(labels)) < 2:
            score = -1.0
        else:
            score = float(silhouette_score(vectors, labels, metric="cosine"))
        scores[c] = round(score, 4)
        if best is None or score > best[0]:
            best = (score, c, labels)
    return best[2], best[1], scores


def senses(
    occurrences: pd.DataFrame,
    spec: ConceptSpec | None = None,
    embedder: Any = None,
    codebook: Any = None,
    mapper: Any = None,
    k: int | None = None,
    ks: tuple[int, ...] = (2, 3, 4, 5, 6),
    seed: int = 1,
    n_terms: int = 8,
    n_quotes: int = 3,
) -> SenseResult:
    """Literal sense, then metaphorical senses with terms, quotes and a theme (module
    docstring). ``occurrences`` is a concordance frame; ``codebook`` a ``Codebook`` or
    path (or pass a configured, unfitted ``ThemeMapper`` as ``mapper``); without either,
    senses get theme ``none``."""
    spec = spec or ConceptSpec()
    if occurrences is None or len(occurrences) == 0:
        return _empty(f"no occurrences of {spec.label}: no senses")
    if embedder is None:
        from upstreamnlp.models.embeddings import load_embedder

        embedder = load_embedder()
    occurrences = occurrences.reset_index(drop=True)
    contexts = occurrence_contexts(occurrences)
    vectors = _normalise(np.asarray(embedder.encode(contexts), dtype=float))
    literal = literal_mask(occurrences, vectors, embedder, contexts)
    tokens = [context_tokens(c, spec) for c in contexts]
    metaphorical = np.flatnonzero(~literal)
    messages = []
    labels = np.full(len(contexts), LITERAL_SENSE, dtype=int)
    chosen_k, silhouettes = 0, {}
    if len(metaphorical) >= MIN_FOR_CLUSTERING:
        cluster, chosen_k, silhouettes = _choose_k(vectors[metaphorical], k, ks, seed)
        labels[metaphorical] = cluster + 1
    elif len(metaphorical):
        chosen_k = 1
        labels[metaphorical] = 1
        messages.append(
            f"only {len(metaphorical)} metaphorical occurrences (fewer than "
            f"{MIN_FOR_CLUSTERING}): senses were not clustered; all form one sense"
        )
    rows = []
    # Sense numbers 1..k in order of size (largest first), ties by first occurrence.
    order = sorted(
        {int(x) for x in labels[metaphorical]},
        key=lambda s: (-int((labels == s).sum()), int(np.flatnonzero(labels == s)[0])),
    )
    renumber = {old: new for new, old in enumerate(order, start=1)}
    labels = np.array([renumber.get(int(x), LITERAL_SENSE) for x in labels])
    theme_of, score_of, theme_map = _map_themes(
        labels, metaphorical, contexts, tokens, chosen_k, embedder, codebook, mapper, seed
    )
    from upstreamnlp.models.clusters import class_tfidf

    k_all = int(labels.max()) + 1
    vocab, ctfidf, counts = class_tfidf(tokens, labels, k_all)
    for sense in range(k_all):
        members = np.flatnonzero(labels == sense)
        if not len(members):
            continue
        terms = [
            vocab[j] for j in np.argsort(-ctfidf[sense], kind="stable") if counts[sense, j] > 0
        ]
        terms = terms[:n_terms]
        centroid = _normalise(vectors[members].mean(axis=0)[None, :])[0]
        nearest = members[np.argsort(-(vectors[members] @ centroid), kind="stable")][:n_quotes]
        is_literal = sense == LITERAL_SENSE
        name = ("literal: " if is_literal else f"S{sense}: ") + ", ".join(terms[:3])
        rows.append(
            {
                "sense": sense,
                "name": name,
                "n": int(len(members)),
                "theme": "none" if is_literal else theme_of.get(sense, "none"),
                "theme_score": None if is_literal else score_of.get(sense),
                "literal": is_literal,
                "top_terms": "; ".join(terms),
                "quotes": " | ".join(contexts[i] for i in nearest),
            }
        )
    senses_frame = pd.DataFrame(rows, columns=SENSE_COLUMNS)
    names = dict(zip(senses_frame["sense"], senses_frame["name"], strict=True))
    themes = dict(zip(senses_frame["sense"], senses_frame["theme"], strict=True))
    assignments = pd.DataFrame(
        {
            "occurrence_id": occurrences["occurrence_id"]
            if "occurrence_id" in occurrences
            else range(len(labels)),
            "sense": labels,
            "sense_name": [names[s] for s in labels],
            "literal": labels == LITERAL_SENSE,
            "theme": [themes[s] for s in labels],
        }
    )
    n_literal = int(literal.sum())
    messages.insert(
        0,
        f"{len(contexts)} occurrences: {n_literal} literal, {len(metaphorical)} metaphorical "
        f"in {max(chosen_k, 0)} sense(s)"
        + (f" (k chosen by silhouette from {sorted(silhouettes)})" if len(silhouettes) > 1 else ""),
    )
    return SenseResult(
        senses_frame, assignments, chosen_k or None, silhouettes, theme_map, "; ".join(messages)
    )


def _map_themes(labels, metaphorical, contexts, tokens, k, embedder, codebook, mapper, seed):
    """Theme and score per metaphorical sense, via the themes stage's ``ThemeMapper``."""
    if not len(metaphorical) or (codebook is None and mapper is None):
        return {}, {}, None
    from upstreamnlp.models.clusters import class_tfidf
    from upstreamnlp.themes.mapping import EMERGENT, ThemeMapper

    if mapper is None:
        mapper = ThemeMapper(codebook, embedder=embedder, seed=seed)
    index = list(metaphorical)
    sense_labels = labels[index] - 1
    docs = [tokens[i] for i in index]
    vocab, scores, counts = class_tfidf(docs, sense_labels, k)
    model = _SenseModel(vocab, counts.astype(float), scores, sense_labels, k)
    mapper.fit(model, [contexts[i] for i in index], docs=docs)
    theme_map = mapper.theme_map_.copy()
    theme_map.insert(0, "sense", theme_map.pop("topic") + 1)
    theme_of, score_of = {}, {}
    for sense, part in theme_map.groupby("sense"):
        best = part.sort_values(["score", "theme"], ascending=[False, True]).iloc[0]
        score_of[int(sense)] = round(float(best["score"]), 4)
        passes = best["score"] >= mapper.assign_threshold
        theme_of[int(sense)] = best["theme"] if passes else EMERGENT
    return theme_of, score_of, theme_map
