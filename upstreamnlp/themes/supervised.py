"""Learn from a coded sample: theme and determinant/action labellers trained on a
researcher's own coding of some passages, then applied to every segment of the run.

This is the auto-coding step of NVivo and ATLAS.ti done as supervised text
classification (Grimmer & Stewart 2013, section 5; Nelson et al. 2021): a human codes
a sample, a classifier learns from it, and agreement is checked on passages the
classifier did **not** learn from (``validate`` excludes training passages).

Feature blocks of a passage (each can be switched off):

- ``embedding``: its sentence embedding (MiniLM, or any ``encode(texts)`` embedder),
  L2-normalised;
- ``evidence``: with a codebook, the zero-shot evidence ``ThemeMapper`` uses (per theme
  the mean of the 3 largest cosines to the theme's description and exemplars, the same
  for the codebook's ``outside`` texts, and the seed-term density per theme,
  ``d / (d + 0.02)``); for determinant/action, the cue-rule scores of ``score_passage``,
  the similarity to the determinant and action exemplars and the passage's theme;
- ``words``: TF-IDF of words and word pairs (sublinear tf, in at least 2 passages);
- ``characters`` (themes only, by default): TF-IDF of character 3-5-grams within word
  boundaries, so that a coded "vaccination" also speaks for "vaccinated".

Each block has its own multinomial logistic regression (L2, ``C`` = 10 for themes), and
a passage's label probabilities are the normalised product of theirs (``fusion=
"experts"``; a product of experts, Hinton 2002; late fusion in the sense of Snoek et al.
2005): each block gets an equal say, whatever its size and scale (thousands of sparse
n-gram columns against 384 embedding dimensions), where one regression over all blocks
side by side (``fusion="joint"``, still the determinant/action default) weighs them by
one penalty. ``class_weight="balanced"`` keeps rare codes
(``grassroots``) from being swamped by frequent ones (King & Zeng 2001).

How these were chosen (``benchmarks/RESULTS.md``, "## Demo agreement"): on the DEV
documents of the demo gold only, 5-fold cross-validation grouped by document, the coded
passages plus the codebook examples, matched by overlap as ``validate`` does, 3 fold
seeds: theme kappa 0.659 with one joint regression and self-training (the earlier
default), 0.684 with experts and character n-grams and no self-training, 0.672 with
experts and self-training; determinant/action 0.561, 0.567, 0.557. Self-training
(Yarowsky 1995; segments labelled with probability >= ``self_train_threshold`` join with
weight ``self_train_weight`` for one refit) is therefore off by default and a config key
(``theme_mapping.labeller_self_train_threshold``). Measured on DEV and not kept (within
+-0.02 of the plain labeller): sentence-level pooling of embeddings,
neighbouring-segment context, zero-shot mapper scores as features, C in 3-30, linear SVM,
ridge, unigrams only, a corpus-wide TF-IDF vocabulary, naive Bayes or nearest-neighbour
experts, per-expert weights, training on the text of the segment a coded passage falls
in rather than the passage, labelling a segment from its sentences, and fine-tuning
MiniLM on the training passages (no gain, minutes of CPU per fit).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from upstreamnlp.corpus.tables import read_csv_file
from upstreamnlp.errors import UpstreamError
from upstreamnlp.themes.codebook import Codebook, iter_term_keys, load_codebook, normalise_term

OTHER = "other"
DETERMINANT_LABELS = ("determinant", "action", "both", "neither")
# Labels a coded sample may give besides the codebook's theme ids (all mean "no theme").
OFF_THEME_LABELS = ("other", "none")


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def _check_weights(sample_weight, n: int, owner: str) -> np.ndarray:
    """One positive finite weight per passage (None: all 1)."""
    if sample_weight is None:
        return np.ones(n)
    weights = np.asarray(sample_weight, dtype=float).ravel()
    if len(weights) != n or not np.all(np.isfinite(weights)) or (weights <= 0).any():
        raise UpstreamError(
            f"sample_weight needs {n} positive numbers (got {len(weights)})",
            where=f"{owner}.fit",
            fix="pass one weight > 0 per passage, or none",
        )
    return weights


class _Experts:
    """A product of experts (Hinton 2002): one logistic regression per feature block; a
    passage's label probabilities are the normalised product of the experts'. With one
    block this is a plain logistic regression."""

    def __init__(self, C: float, class_weight, seed: int) -> None:
        self.C, self.class_weight, self.seed = C, class_weight, seed

    def fit(self, blocks: list, labels: np.ndarray, sample_weight=None) -> _Experts:
        from sklearn.linear_model import LogisticRegression

        self.models_ = [
            LogisticRegression(
                C=self.C, class_weight=self.class_weight, max_iter=5000, random_state=self.seed
            ).fit(block, labels, sample_weight=sample_weight)
            for block in blocks
        ]
        self.classes_ = self.models_[0].classes_
        return self

    def predict_proba(self, blocks: list) -> np.ndarray:
        log_p = sum(
            np.log(np.clip(m.predict_proba(b), 1e-12, None))
            for m, b in zip(self.models_, blocks, strict=True)
        )
        log_p = log_p - log_p.max(axis=1, keepdims=True)
        p = np.exp(log_p)
        return p / p.sum(axis=1, keepdims=True)


class _PassageClassifier:
    """Shared machinery: feature blocks (embedding; dense evidence; word and character
    TF-IDF) -> logistic regression, one per block (``fusion="experts"``) or one on all
    blocks side by side (``fusion="joint"``)."""

    FUSIONS = ("experts", "joint")

    # constructor arguments every labeller has; each subclass's __init__ keeps them as
    # attributes (estimator shape) with _keep_shared(locals())
    SHARED_PARAMS = (
        "embedder",
        "seed",
        "C",
        "class_weight",
        "use_embeddings",
        "use_words",
        "prior_weight",
        "use_characters",
        "fusion",
    )

    def _keep_shared(self, params: dict) -> None:
        for name in self.SHARED_PARAMS:
            setattr(self, name, params[name])

    # subclasses add their own dense features here (rows match ``texts``)
    def _extra_features(self, texts: list[str], **context) -> np.ndarray:
        return np.zeros((len(texts), 0))

    def _dense(self, texts: list[str], prior_scores, **context) -> list[tuple[str, np.ndarray]]:
        """The dense blocks, named: the embedding, then the evidence (extra features and
        priors)."""
        blocks = []
        if self.use_embeddings:
            if self.embedder is None:
                from upstreamnlp.models.embeddings import load_embedder

                self.embedder = load_embedder()
            vectors = np.asarray(self.embedder.encode(texts), float)
            blocks.append(("embedding", _normalise_rows(vectors)))
        evidence = [self.prior_weight * self._extra_features(texts, **context)]
        if prior_scores is not None:
            prior = np.asarray(prior_scores, dtype=float)
            if prior.ndim != 2 or prior.shape[0] != len(texts):
                raise UpstreamError(
                    f"prior_scores has shape {prior.shape}, expected ({len(texts)}, n)",
                    where=type(self).__name__,
                    fix="pass one row of prior scores per passage",
                )
            evidence.append(self.prior_weight * prior)
        evidence = np.hstack(evidence)
        if evidence.shape[1]:
            blocks.append(("evidence", evidence))
        return blocks

    def _text_vectorizers(self) -> list[tuple[str, dict]]:
        kinds = []
        if self.use_words:  # words and word pairs in at least 2 passages
            kinds.append(("words", {"ngram_range": (1, 2)}))
        if self.use_characters:  # character 3-5-grams inside word boundaries
            kinds.append(("characters", {"analyzer": "char_wb", "ngram_range": (3, 5)}))
        return kinds

    def _features(self, texts: list[str], prior_scores, fitting: bool, **context) -> list:
        """The feature blocks of ``texts`` (one sparse matrix each; one in all with
        ``fusion="joint"``)."""
        from scipy.sparse import csr_matrix, hstack

        if self.fusion not in self.FUSIONS:
            raise UpstreamError(
                f"unknown fusion {self.fusion!r}",
                where=type(self).__name__,
                fix=f"use one of {', '.join(self.FUSIONS)}",
            )
        named = [(name, csr_matrix(b)) for name, b in self._dense(texts, prior_scores, **context)]
        blocks = [b for _, b in named]
        if fitting:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self.vectorizers_ = {}
            for name, params in self._text_vectorizers():
                vectorizer = TfidfVectorizer(lowercase=True, min_df=2, sublinear_tf=True, **params)
                try:
                    blocks.append(vectorizer.fit_transform(texts))
                    self.vectorizers_[name] = vectorizer
                except ValueError:  # no term in two passages (tiny samples)
                    pass
            self.feature_blocks_ = [name for name, _ in named] + list(self.vectorizers_)
        else:
            blocks += [v.transform(texts) for v in self.vectorizers_.values()]
        if not blocks:
            raise UpstreamError(
                "no features: embeddings, words and priors are all switched off",
                where=type(self).__name__,
                fix="enable use_embeddings or use_words",
            )
        if self.fusion == "joint":
            return [hstack(blocks).tocsr()]
        return [b.tocsr() for b in blocks]

    def _fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        prior_scores,
        unlabelled: Sequence[str] | None = None,
        sample_weight: Sequence[float] | None = None,
        **context,
    ):
        texts = [str(t) for t in texts]
        labels = np.asarray([str(x) for x in labels], dtype=object)
        if len(texts) != len(labels):
            raise UpstreamError(
                f"{len(texts)} passages but {len(labels)} labels",
                where=f"{type(self).__name__}.fit",
                fix="pass one label per passage",
            )
        weights = _check_weights(sample_weight, len(labels), type(self).__name__)
        classes, counts = np.unique(labels, return_counts=True)
        if len(classes) < 2:
            raise UpstreamError(
                f"the coded sample uses only one label ({', '.join(classes) or 'none'})",
                where=f"{type(self).__name__}.fit",
                fix="code passages of at least two themes (ideally 20+ per theme)",
            )
        self.label_counts_ = {str(c): int(n) for c, n in zip(classes, counts, strict=True)}
        features = self._features(texts, prior_scores, fitting=True, **context)
        self.classifier_ = _Experts(self.C, self.class_weight, self.seed).fit(
            features, labels, sample_weight=weights
        )
        self.classes_ = self.classifier_.classes_
        self.n_features_ = sum(block.shape[1] for block in features)
        self.n_self_trained_ = 0
        threshold = getattr(self, "self_train_threshold", None)
        if unlabelled is not None and len(unlabelled) and threshold is not None:
            self._self_train([str(t) for t in unlabelled], features, labels, threshold, weights)
        return self

    def _self_train(
        self, unlabelled: list[str], features, labels, threshold: float, weights
    ) -> None:
        """One round of self-training (Yarowsky 1995; Zhu & Goldberg 2009, ch. 2): the
        corpus's uncoded segments that the first classifier labels with probability >=
        ``threshold`` join the coded passages with weight ``self_train_weight``, and the
        classifier is refitted. The TF-IDF vocabularies stay the coded passages' own."""
        from scipy.sparse import vstack

        extra = self._features(unlabelled, None, fitting=False)
        proba = self.classifier_.predict_proba(extra)
        confident = proba.max(axis=1) >= threshold
        if not confident.any():
            return
        weight = float(getattr(self, "self_train_weight", 0.5))
        blocks = [vstack([a, b[confident]]).tocsr() for a, b in zip(features, extra, strict=True)]
        all_labels = np.concatenate([labels, self.classes_[proba.argmax(axis=1)][confident]])
        sample_weight = np.concatenate([weights, np.full(confident.sum(), weight)])
        classifier = _Experts(self.C, self.class_weight, self.seed)
        classifier.fit(blocks, all_labels, sample_weight=sample_weight)
        if list(classifier.classes_) == list(self.classes_):
            self.classifier_ = classifier
            self.n_self_trained_ = int(confident.sum())

    def _proba(self, texts: Sequence[str], prior_scores, **context) -> np.ndarray:
        if not hasattr(self, "classifier_"):
            raise UpstreamError(
                f"the {type(self).__name__} is not fitted", fix="call fit(texts, labels) first"
            )
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, len(self.classes_)))
        features = self._features(texts, prior_scores, fitting=False, **context)
        return self.classifier_.predict_proba(features)


class CodedSampleLabeller(_PassageClassifier):
    """Theme labeller trained on human-coded passages (scikit-learn estimator shape).

    ``codebook`` (a ``Codebook`` or path; optional) adds the zero-shot codebook evidence
    as features (module docstring); ``use_codebook=False`` leaves it out. Labels are
    theme ids or ``other``; ``none`` in a coded sample is read as ``other``.
    """

    def __init__(
        self,
        codebook: Codebook | str | Path | None = None,
        embedder=None,
        seed: int = 1,
        C: float = 10.0,
        class_weight: str | None = "balanced",
        use_embeddings: bool = True,
        use_words: bool = True,
        use_codebook: bool = True,
        prior_weight: float = 1.0,
        n_nearest: int = 3,
        self_train_threshold: float | None = None,
        self_train_weight: float = 0.5,
        use_characters: bool = True,
        fusion: str = "experts",
    ) -> None:
        self._keep_shared(locals())
        self.codebook = codebook
        self.use_codebook = use_codebook
        self.n_nearest = n_nearest
        self.self_train_threshold = self_train_threshold
        self.self_train_weight = self_train_weight

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        prior_scores: Any = None,
        unlabelled: Sequence[str] | None = None,
        sample_weight: Sequence[float] | None = None,
    ) -> CodedSampleLabeller:
        """Learn from coded passages: ``texts`` and their ``labels`` (theme ids or other);
        ``prior_scores`` (optional, passages x n) are extra features, e.g. zero-shot
        scores, which must then be given to ``predict`` too (and rule out self-training).
        ``unlabelled``: the corpus's uncoded segments, for one round of self-training
        (``self_train_threshold``; None switches it off); ``n_self_trained_`` says how
        many joined. ``sample_weight``: one positive weight per passage (None: all 1), e.g.
        to let a codebook's example passages count less than the researcher's coding."""
        labels = [OTHER if str(x) in OFF_THEME_LABELS else str(x) for x in labels]
        if prior_scores is not None:
            unlabelled = None
        return self._fit(
            texts, labels, prior_scores, unlabelled=unlabelled, sample_weight=sample_weight
        )

    def predict_proba(self, texts: Sequence[str], prior_scores: Any = None) -> np.ndarray:
        """Probability of each label in ``classes_`` (passages x labels)."""
        return self._proba(texts, prior_scores)

    def predict(self, texts: Sequence[str], prior_scores: Any = None) -> np.ndarray:
        """The most probable label per passage (a theme id or ``other``)."""
        proba = self.predict_proba(texts, prior_scores)
        return np.asarray(self.classes_[proba.argmax(axis=1)], dtype=object)

    def _extra_features(self, texts: list[str], **context) -> np.ndarray:
        if not self.use_codebook or self.codebook is None:
            return np.zeros((len(texts), 0))
        return self._codebook_features(texts)

    def _codebook_features(self, texts: list[str]) -> np.ndarray:
        """Per theme: nearest-exemplar cosine and seed-term density; the outside cosine."""
        codebook = self.codebook
        if not isinstance(codebook, Codebook):
            codebook = load_codebook(codebook)
        self.codebook_ = codebook
        if self.embedder is None:
            from upstreamnlp.models.embeddings import load_embedder

            self.embedder = load_embedder()
        if not hasattr(self, "_reference_vectors"):
            groups = [theme.texts() for theme in codebook]
            if codebook.outside:
                groups.append(list(codebook.outside))
            flat = [t for g in groups for t in g]
            vectors = _normalise_rows(np.asarray(self.embedder.encode(flat), float))
            self._reference_vectors, start = [], 0
            for group in groups:
                self._reference_vectors.append(vectors[start : start + len(group)])
                start += len(group)
        segment = _normalise_rows(np.asarray(self.embedder.encode(texts), float))
        columns = []
        for reference in self._reference_vectors:
            cos = segment @ reference.T
            n = max(1, min(self.n_nearest, cos.shape[1]))
            columns.append(np.sort(cos, axis=1)[:, -n:].mean(axis=1))
        seeds = [{normalise_term(s) for s in t.seed_terms} - {""} for t in codebook]
        max_n = max([k.count("_") + 1 for s in seeds for k in s] or [1])
        from upstreamnlp.themes.mapping import simple_tokens

        density = np.zeros((len(texts), len(seeds)))
        for i, text in enumerate(texts):
            tokens = simple_tokens(text)
            for key in iter_term_keys(tokens, max_n=max_n):
                for j, s in enumerate(seeds):
                    density[i, j] += key in s
            density[i] /= max(len(tokens), 1)
        return np.column_stack([*columns, density / (density + 0.02)])


class DeterminantActionLabeller(_PassageClassifier):
    """Determinant/action labeller trained on coded passages (estimator shape).

    Features: the embedding, the cue-rule scores of ``score_passage`` (determinant and
    action score, each also as ``log1p``), with ``use_exemplars`` the similarity to the
    action and determinant exemplar sentences of ``exemplar_similarity`` (both, and their
    difference / 0.05) and, when ``themes`` are given to ``fit`` and ``predict``, a
    one-hot of the passage's theme (``theme_ids`` fixes its columns).

    Defaults (``C=3``, unweighted classes, exemplar features on) were chosen by 5-fold
    cross-validation grouped by document inside the DEV half of the demo gold only
    (``benchmarks/bench_det_action.py``): balanced class weights over-predicted the rare
    ``both`` (DEV kappa 0.47 at best vs 0.50 unweighted) and the exemplar features added
    about 0.05.
    """

    def __init__(
        self,
        theme_ids: Sequence[str] = (),
        embedder=None,
        seed: int = 1,
        C: float = 3.0,
        class_weight: str | None = None,
        use_embeddings: bool = True,
        use_words: bool = True,
        use_cues: bool = True,
        prior_weight: float = 1.0,
        use_exemplars: bool = True,
        use_characters: bool = False,
        fusion: str = "joint",
    ) -> None:
        self._keep_shared(locals())
        self.theme_ids = tuple(theme_ids)
        self.use_cues = use_cues
        self.use_exemplars = use_exemplars

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        prior_scores: Any = None,
        themes: Sequence[str] | None = None,
        sample_weight: Sequence[float] | None = None,
    ) -> DeterminantActionLabeller:
        """Learn from coded passages (labels: determinant, action, both, neither);
        ``sample_weight`` as for ``CodedSampleLabeller.fit``."""
        bad = sorted({str(x) for x in labels} - set(DETERMINANT_LABELS))
        if bad:
            raise UpstreamError(
                f"unknown determinant/action label(s) {bad}",
                where="DeterminantActionLabeller.fit",
                fix=f"use {', '.join(DETERMINANT_LABELS)}",
            )
        return self._fit(texts, labels, prior_scores, themes=themes, sample_weight=sample_weight)

    def predict_proba(
        self, texts: Sequence[str], prior_scores: Any = None, themes: Sequence[str] | None = None
    ) -> np.ndarray:
        """Probability of each label in ``classes_`` (passages x labels)."""
        return self._proba(texts, prior_scores, themes=themes)

    def predict(
        self, texts: Sequence[str], prior_scores: Any = None, themes: Sequence[str] | None = None
    ) -> np.ndarray:
        """The most probable label per passage."""
        proba = self.predict_proba(texts, prior_scores, themes=themes)
        return np.asarray(self.classes_[proba.argmax(axis=1)], dtype=object)

    def _extra_features(self, texts: list[str], themes=None, **context) -> np.ndarray:
        from upstreamnlp.themes.determinants import score_passage

        blocks = []
        if self.use_cues:
            scores = np.array(
                [
                    [s["determinant_score"], s["action_score"]]
                    for s in (score_passage(t) for t in texts)
                ]
            )
            blocks += [scores.reshape(len(texts), 2) / 4.0, np.log1p(scores.reshape(-1, 2))]
        if self.use_exemplars:
            from upstreamnlp.themes.determinants import SEMANTIC_SCALE, exemplar_similarity

            if self.embedder is None:
                from upstreamnlp.models.embeddings import load_embedder

                self.embedder = load_embedder()
            sim = exemplar_similarity(texts, self.embedder)
            act, det = sim["action_similarity"].to_numpy(), sim["determinant_similarity"].to_numpy()
            blocks.append(np.column_stack([act, det, (act - det) / SEMANTIC_SCALE]))
        if self.theme_ids and themes is not None:
            if len(themes) != len(texts):
                raise UpstreamError(
                    f"{len(themes)} themes but {len(texts)} passages",
                    where="DeterminantActionLabeller",
                    fix="pass one theme per passage",
                )
            ids = list(self.theme_ids)
            onehot = np.zeros((len(texts), len(ids) + 1))
            for i, theme in enumerate(themes):
                onehot[i, ids.index(theme) if theme in ids else len(ids)] = 1.0
            blocks.append(onehot)
        return np.hstack(blocks) if blocks else np.zeros((len(texts), 0))


def blend_with_rule(
    proba: np.ndarray, classes: Sequence[str], rule_labels: Sequence[str], rule_weight: float
) -> np.ndarray:
    """Determinant/action labels from a labeller's probabilities and the cue-and-exemplar
    rule's labels (``label_determinant_action``) together: a label's score is
    ``(1 - rule_weight) * p(label) + rule_weight * [rule says label]``, with the
    labeller's ``both`` left out ("both" is judged on the cues alone, as in the rule).
    So the labeller overrules the rule only where it prefers another label by a margin of
    more than ``rule_weight / (1 - rule_weight)`` (0.54 at 0.35); ``rule_weight`` 1 is the
    rule alone, 0 the labeller alone (without its ``both``).

    Used when the labeller learned from a codebook's example passages only: there the two
    err in opposite directions (the rule calls action talk that names causes
    "determinant", the labeller the reverse) and together agree more with the demo gold's
    coder than either (benchmarks/RESULTS.md, "Demo agreement"); with a coded sample the
    labeller alone does better."""
    proba = np.asarray(proba, dtype=float)
    classes = [str(c) for c in classes]
    rule_labels = [str(x) for x in rule_labels]
    if proba.shape != (len(rule_labels), len(classes)):
        raise ValueError(
            f"blend_with_rule: probabilities {proba.shape} for {len(rule_labels)} rule labels "
            f"and {len(classes)} classes; give one row per passage, one column per class"
        )
    if not 0.0 <= rule_weight <= 1.0:
        raise ValueError(f"blend_with_rule: rule_weight {rule_weight} is not in [0, 1]")
    labels = list(dict.fromkeys([*classes, *DETERMINANT_LABELS]))
    scores = np.zeros((len(rule_labels), len(labels)))
    for j, label in enumerate(classes):
        if label != "both":
            scores[:, labels.index(label)] = (1.0 - rule_weight) * proba[:, j]
    for i, label in enumerate(rule_labels):
        if label not in labels:
            raise ValueError(f"blend_with_rule: unknown rule label {label!r}")
        scores[i, labels.index(label)] += rule_weight
    return np.asarray(labels, dtype=object)[scores.argmax(axis=1)]


# --- coded samples: reading, checking, and their texts from the run's documents ---------


def load_coded_sample(path: str | Path, theme_ids: Sequence[str]) -> pd.DataFrame:
    """Read a gold-format CSV of human-coded passages (doc_id, start_char, end_char,
    theme [, determinant_or_action]; a filled-in ``upstreamnlp sample`` file, CSV or
    .docx, works too) and check every label (``validation.load_gold``). A ``text``
    column, if present, is dropped: training text is always taken from the run's
    de-identified documents."""
    from upstreamnlp.themes.validation import load_gold

    gold = load_gold(path, theme_ids)  # checks offsets and labels, naming the row
    if gold["theme"].nunique() < 2:
        raise UpstreamError(
            "the coded sample uses only one theme",
            path=path,
            fix="code passages of at least two themes (ideally 20+ per theme) to learn from",
        )
    located = ("segment_id", "doc_id", "start_char", "end_char", "offsets", "theme")
    keep = [c for c in located if c in gold]
    if "determinant_or_action" in gold.columns:
        keep.append("determinant_or_action")
    return gold[keep].reset_index(drop=True)


def load_examples(path: str | Path, codebook: Codebook) -> pd.DataFrame:
    """Example passages written from the codebook, for training the segment labeller
    without (or besides) a coded sample: a CSV with ``label`` (a theme id or ``other``),
    ``text`` and optionally ``determinant_or_action``. The codebook's own exemplars and
    ``outside`` list are appended (``source`` says which rows came from where).

    Why: nearest-exemplar similarity uses a handful of sentences per theme; a classifier
    fitted on a few dozen varied examples per theme separates them better (measured on the
    demo gold, which the examples never saw: benchmarks/RESULTS.md, "Demo agreement")."""
    path = Path(path)
    if not path.is_file():
        raise UpstreamError(
            "examples file not found", path=path, fix="check theme_mapping.examples"
        )
    table = read_csv_file(
        path,
        fix="give a CSV with columns label, text[, determinant_or_action]",
        dtype=str,
        keep_default_na=False,
    )
    missing = [c for c in ("label", "text") if c not in table.columns]
    if missing:
        raise UpstreamError(
            f"missing columns {missing}",
            path=path,
            fix="give a CSV with columns label, text[, determinant_or_action]",
        )
    allowed = set(codebook.ids) | set(OFF_THEME_LABELS)
    det = table["determinant_or_action"] if "determinant_or_action" in table else None
    for i, label in enumerate(table["label"]):
        if label.strip() not in allowed:
            raise UpstreamError(
                f"unknown label {label!r}",
                path=path,
                where=f"line {i + 2}, column label",
                fix=f"use one of {', '.join(sorted(codebook.ids))} or other (the codebook's ids)",
            )
    if det is not None:
        from upstreamnlp.themes.validation import check_determinant_labels

        lines = pd.Series([x.strip() for x in det], index=table.index + 2)
        check_determinant_labels(lines, path, "line", "determinant_or_action")
    rows = pd.DataFrame(
        {
            "theme": [x.strip() for x in table["label"]],
            "text": table["text"],
            "determinant_or_action": [x.strip() for x in det] if det is not None else "",
            "source": path.name,
        }
    )
    rows = rows[rows["text"].str.strip() != ""]
    own = [(t.id, text) for t in codebook.themes for text in t.examples]
    own += [(OTHER, text) for text in codebook.outside]
    extra = pd.DataFrame(
        {
            "theme": [theme for theme, _ in own],
            "text": [text for _, text in own],
            "determinant_or_action": "",
            "source": "codebook",
        }
    )
    return pd.concat([rows, extra], ignore_index=True)


def coded_passage_texts(
    coded: pd.DataFrame, corpus, raw_corpus=None, source: str | Path = "coded sample"
) -> list[str]:
    """The de-identified text of each coded passage, cut from ``corpus`` (the run's
    de-identified corpus) at its offsets. Passages with a ``segment_id`` that names a run
    segment (a filled-in ``upstreamnlp sample`` file) take that segment's text. Other
    offsets are read as offsets into the original documents (how coders quote) and mapped
    onto the de-identified text (``SourceOffsetMap``: exact when ``raw_corpus``, the corpus
    before de-identification, is given)."""
    from upstreamnlp.preprocess.deidentify import SourceOffsetMap
    from upstreamnlp.themes.qda_coding import RUN_OFFSETS

    documents = {d.id: d for d in corpus.documents}
    segments = {s.id: s for s in corpus.segments}
    to_run = SourceOffsetMap(corpus, raw_corpus)
    texts = []
    for i, row in enumerate(coded.itertuples(index=False)):
        segment_id = getattr(row, "segment_id", None)
        if isinstance(segment_id, str) and segment_id in segments:
            texts.append(segments[segment_id].text)
            continue
        doc_id = str(row.doc_id)
        document = documents.get(doc_id)
        if document is None:
            raise UpstreamError(
                f"doc_id {doc_id!r} is not a document of this run",
                path=source,
                where=f"line {i + 2}",
                fix="code passages of the run's own documents (doc_id as in segments.parquet)",
            )
        start, end = int(row.start_char), int(row.end_char)
        if getattr(row, "offsets", None) != RUN_OFFSETS:  # else already the run's own
            start, end = to_run(doc_id, start, "start"), to_run(doc_id, end, "end")
        if start >= len(document.text) or end <= start:
            raise UpstreamError(
                f"offsets {row.start_char}-{row.end_char} lie outside document {doc_id!r} "
                f"({len(document.text)} characters)",
                path=source,
                where=f"line {i + 2}",
                fix="give character offsets into the document text",
            )
        texts.append(document.text[start:end])
    return texts


def segment_texts(
    coded: pd.DataFrame, segments: pd.DataFrame, texts: Sequence[str], fallback: Sequence[str]
) -> list[str]:
    """For each coded passage, the text of the run segment it overlaps most in its document
    (``segments``: segment_id, doc_id, start_char, end_char [, source_start_char,
    source_end_char], one row per text in ``texts``; offsets compared as in ``validate``);
    a passage that overlaps no segment keeps its ``fallback`` text. The
    determinant/action labeller learns from these: it labels segments, and a cause told
    inside a segment about action reads differently from the same sentence alone."""
    from upstreamnlp.themes.validation import SOURCE_OFFSETS, in_original_offsets, match_passages

    if len(segments) != len(texts) or len(coded) != len(fallback):
        raise ValueError(
            f"segment_texts: {len(segments)} segments for {len(texts)} texts and "
            f"{len(coded)} passages for {len(fallback)} fallback texts; give one of each"
        )
    # as in validate: one frame of reference, the original documents' offsets
    located = ("segment_id", "doc_id", "start_char", "end_char")
    frame = segments[[c for c in segments.columns if c in (*located, *SOURCE_OFFSETS)]]
    passages = coded[[c for c in (*located, "offsets") if c in coded]].copy()
    frame = frame.assign(doc_id=frame["doc_id"].astype(str))
    passages["doc_id"] = passages["doc_id"].astype(str)
    frame, passages = in_original_offsets(frame, passages)
    matched = match_passages(frame, passages)["segment_id"]
    position = {str(sid): i for i, sid in enumerate(frame["segment_id"])}
    return [
        texts[position[str(sid)]] if isinstance(sid, str) and str(sid) in position else own
        for sid, own in zip(matched, fallback, strict=True)
    ]


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, so the manifest says exactly which coding trained the run."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
