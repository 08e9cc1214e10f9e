"""Agreement of the demo run's labels with the human coding, on a held-out split.

The gold coding (``corpora/demo/gold_coding.csv``, 445 passages of 1-4 sentences) is split
**by document**: the coded documents sorted by ``doc_id``, then alternated - the 1st, 3rd,
5th, ... are DEV, the 2nd, 4th, ... are TEST. Design choices (segment size, codebook,
weights, cue rules) were made by looking at DEV only; TEST is reported, never tuned on.
Nothing here trains on gold labels: they are read only to score.

The pipeline pieces are the real ones (``upstreamnlp.run`` reading, preprocessing and
the k sweep, all cached under ``.cache/upstreamnlp``; ``ThemeMapper``;
``label_determinant_action``; ``validate``), run on ``configs/demo.yaml`` with the
segmentation given on the command line. Baselines, same embeddings and segments:
(a) nearest theme description (MiniLM cosine, ``none`` when no theme is close), and
(b) seed-term counts (``none`` when no seed term occurs).

Learning from a coded sample (``--supervised``): ``CodedSampleLabeller`` and
``DeterminantActionLabeller`` trained on DEV and scored on TEST, then 2-fold (DEV/TEST) and
5-fold cross-validation grouped by document, pooled over all coded passages, with and
without self-training, scored both by overlap matching (what ``validate`` does) and on the
coded spans themselves; plus a learning curve (10/25/50% of each fold's training
documents). Training text is cut from the de-identified documents at the passages'
offsets; no passage is ever scored by a labeller that learned from its document.

The embedder is the demo config's (all-mpnet-base-v2 since 2026-12-03), whose tables sit
under their own headings in RESULTS.md; the section's first tables were measured with
all-MiniLM-L6-v2: ``--set embedder=minilm`` reproduces (and with --write replaces) them,
and ``bench_embedders.py`` sets the two side by side.

Usage: .venv/bin/python benchmarks/bench_demo_agreement.py [--write] [--supervised]
  --write       replace this embedder's table in the "## Demo agreement" section of
                benchmarks/RESULTS.md (the prose around it is written by hand and kept)
  --supervised  only the coded-sample rows (with --write: their subsection only)
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from upstreamnlp.config import load_config  # noqa: E402
from upstreamnlp.themes.codebook import iter_term_keys, load_codebook, normalise_term  # noqa: E402
from upstreamnlp.themes.determinants import label_determinant_action  # noqa: E402
from upstreamnlp.themes.mapping import ThemeMapper  # noqa: E402
from upstreamnlp.themes.validation import load_gold, validate  # noqa: E402

CONFIG = ROOT / "configs" / "demo.yaml"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "## Demo agreement"


def split_gold(gold: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """DEV / TEST / ALL: coded documents sorted by id, alternated (1st DEV, 2nd TEST, ...)."""
    docs = sorted(gold["doc_id"].astype(str).unique())
    dev_docs = set(docs[0::2])
    is_dev = gold["doc_id"].astype(str).isin(dev_docs)
    return {"dev": gold[is_dev], "test": gold[~is_dev], "all": gold}


def prepare(overrides: list[str] | None = None) -> dict:
    """Corpus, preprocessing and the chosen topic model exactly as ``upstreamnlp run`` makes
    them for ``configs/demo.yaml`` (+ ``overrides``); everything is cached."""
    from upstreamnlp.models.embeddings import CachedEmbedder, load_embedder
    from upstreamnlp.preprocess import preprocess
    from upstreamnlp.run import _cache_dir, _fit_models, read_config_corpus

    config = load_config(CONFIG, overrides or [])
    cache_dir = _cache_dir(config)
    corpus = read_config_corpus(config)
    pre = preprocess(
        corpus,
        config.preprocess,
        cache_dir=cache_dir,
        include_interviewer=config.corpus.include_interviewer,
    )
    raw_corpus, corpus = corpus, pre.corpus
    keep = [i for i, toks in enumerate(pre.tokens) if toks]
    segment_ids = [pre.segment_ids[i] for i in keep]
    tokens = [pre.tokens[i] for i in keep]
    texts = [pre.texts[i] for i in keep]
    embedder = CachedEmbedder(load_embedder(config.embedder), cache_dir / "embeddings")
    sweep, model, k, _ = _fit_models(config, tokens, texts, embedder, cache_dir)
    frame = corpus.segments_frame().set_index("segment_id").loc[segment_ids].reset_index()
    return {
        "config": config,
        # offsets in the de-identified text and (source_*) in the original documents,
        # which the gold coding quotes: validate matches on the latter, as in a run
        "segments": frame[
            [
                "segment_id",
                "doc_id",
                "start_char",
                "end_char",
                "source_start_char",
                "source_end_char",
            ]
        ],
        "texts": texts,
        "tokens": tokens,
        "model": model,
        "k": k,
        "sweep": sweep,
        "embedder": embedder,
        "corpus": corpus,
        "raw_corpus": raw_corpus,
    }


def score(
    state: dict, themes: list[str], det: list[str], gold: pd.DataFrame
) -> dict[str, tuple[float, float, float, float]]:
    """(theme kappa, theme macro-F1, det kappa, det macro-F1) on DEV, TEST and ALL."""
    assignments = state["segments"].copy()
    assignments["theme"] = themes
    assignments["determinant_or_action"] = det
    out = {}
    for name, part in split_gold(gold).items():
        result = validate(assignments, part.reset_index(drop=True))
        d = result.determinant_or_action
        out[name] = (result.theme.kappa, result.theme.macro_f1, d.kappa, d.macro_f1)
    return out


def baseline_nearest(state: dict, codebook, none_quantile: float = 0.2) -> list[str]:
    """(a) argmax cosine(segment, theme description); the lowest ``none_quantile`` of best
    cosines -> none (a fifth of a coded study is typically 'other')."""
    emb = state["embedder"]
    seg = np.asarray(emb.encode(state["texts"]), float)
    desc = np.asarray(emb.encode([t.description for t in codebook]), float)
    seg /= np.linalg.norm(seg, axis=1, keepdims=True)
    desc /= np.linalg.norm(desc, axis=1, keepdims=True)
    cos = seg @ desc.T
    labels = np.asarray(codebook.ids, dtype=object)[cos.argmax(axis=1)]
    best = cos.max(axis=1)
    labels[best < np.quantile(best, none_quantile)] = "none"
    return list(labels)


def baseline_seed_counts(state: dict, codebook) -> list[str]:
    """(b) argmax seed-term occurrences; none when no seed term occurs."""
    seeds = [{normalise_term(s) for s in t.seed_terms} - {""} for t in codebook]
    max_n = max(k.count("_") + 1 for s in seeds for k in s)
    labels = []
    for toks in state["tokens"]:
        counts = np.zeros(len(seeds))
        for key in iter_term_keys(toks, max_n=max_n):
            for j, s in enumerate(seeds):
                counts[j] += key in s
        labels.append(codebook.ids[int(counts.argmax())] if counts.max() > 0 else "none")
    return labels


def run_mapper(state: dict, **params) -> list[str]:
    """Theme labels from ``ThemeMapper`` as ``upstreamnlp run`` calls it."""
    config = state["config"]
    mapper = ThemeMapper(
        config.themes, embedder=state["embedder"], seed=config.model.seed, **params
    )
    mapper.fit(state["model"], state["texts"], docs=state["tokens"])
    state["mapper"] = mapper
    return list(mapper.label_segments()["theme"])


def table_rows(state: dict, gold: pd.DataFrame, settings: dict[str, dict]) -> list[list]:
    """One row per setting: the figures on DEV, TEST and ALL. Determinant/action labels
    come from ``label_determinant_action`` given each setting's theme labels and the
    embedder, as in ``upstreamnlp run``."""
    codebook = load_codebook(state["config"].themes)
    rows = []
    labelled = [
        ("(a) nearest description", baseline_nearest(state, codebook)),
        ("(b) seed-term counts", baseline_seed_counts(state, codebook)),
    ]
    labelled += [(name, run_mapper(state, **params)) for name, params in settings.items()]
    for name, labels in labelled:
        det = label_determinant_action(state["texts"], themes=labels, embedder=state["embedder"])
        rows.append([name, score(state, labels, list(det["label"]), gold)])
    return rows


def format_table(rows: list[list]) -> str:
    head = "| setting | split | theme kappa | theme macro-F1 | det/action kappa | det/action macro-F1 |"
    lines = [head, "|---|---|---|---|---|---|"]
    for name, figures in rows:
        for split in ("dev", "test", "all"):
            tk, tf, dk, df = figures[split]
            lines.append(f"| {name} | {split} | {tk:.3f} | {tf:.3f} | {dk:.3f} | {df:.3f} |")
    return "\n".join(lines)


def write_table(heading: str, table: str) -> None:
    """Replace the first table under ``heading`` in benchmarks/RESULTS.md (the prose
    around it, written by hand, stays) and the date of its "Run YYYY-MM-DD" line."""
    old = RESULTS.read_text(encoding="utf-8")
    at = re.search(rf"^{re.escape(heading)}$", old, flags=re.MULTILINE).start()
    lines = old[at:].split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    last = first
    while last < len(lines) and lines[last].startswith("|"):
        last += 1
    above = "\n".join(lines[:first])  # the heading's prose: its "Run" date, not a later one
    above = re.sub(r"Run \d{4}-\d{2}-\d{2}", f"Run {date.today().isoformat()}", above, count=1)
    section = "\n".join([above, *table.strip().split("\n"), *lines[last:]])
    RESULTS.write_text(old[:at] + section, encoding="utf-8")


SUBSECTION = "### Learning from a coded sample"
# all-mpnet-base-v2's tables (the demo's embedder since 2026-12-03) have their own headings;
# the section's own tables are all-MiniLM-L6-v2's (`--set embedder=minilm`).
MPNET_SECTION = "#### Zero-shot settings, all-mpnet-base-v2"
MPNET_SUBSECTION = "#### Learning from a coded sample, all-mpnet-base-v2"


def headings(state: dict) -> tuple[str, str]:
    """Where ``--write`` puts the zero-shot and the coded-sample table for this embedder."""
    if state["embedder"].name.endswith("mpnet-base-v2"):
        return MPNET_SECTION, MPNET_SUBSECTION
    return SECTION, SUBSECTION


# The labeller's settings before experts fusion and before self-training was switched off
# (both chosen on the DEV documents; RESULTS.md), for comparison rows.
JOINT = {"fusion": "joint", "use_characters": False}
SELF_TRAIN = {"self_train_threshold": 0.6}
# segments labelled on their own, as before document context (2026-12-02)
NO_CONTEXT = {"context": 0.0}
# determinant/action learned from the coded passages' own text, as before 2026-12-02
PASSAGE_DET = {"det_on": "passage"}
# with examples alone, determinant/action by the cue-and-exemplar rule, as before 2026-12-02
RULE = {"rule_weight": 1.0}


def train_and_label(
    state: dict,
    coded: pd.DataFrame,
    texts: list[str],
    unlabelled: list[str] | None = None,
    passages: list[str] | None = None,
    examples: pd.DataFrame | None = None,
    context: float | None = None,
    det_on: str | None = None,
    examples_weight: float | None = None,
    fitted: dict | None = None,
    **theme_params,
):
    """Theme and determinant/action labels of every segment (and of ``passages``, when
    given) from labellers trained on ``coded`` (gold rows) with passage ``texts``, as
    ``upstreamnlp run`` does; ``unlabelled`` texts feed the theme labeller's self-training.
    Segment themes lean towards their neighbours' (``context``: the weight, None for the
    config's ``theme_mapping.document_context``, 0 for none); passages, read alone, do not.
    The determinant/action labeller learns from the segment each coded passage falls in
    (``det_on``: "segment" or "passage", None for ``theme_mapping.determinant_train_on``).
    Each example passage counts ``examples_weight`` (None: ``theme_mapping.examples_weight``)
    against 1 per coded passage, as in the run. ``fitted``: a dict that receives the two
    labellers (``themes``, ``det``), for labelling the run's passages too."""
    from upstreamnlp.themes.supervised import (
        CodedSampleLabeller,
        DeterminantActionLabeller,
        segment_texts,
    )

    codebook = load_codebook(state["config"].themes)
    seed = state["config"].model.seed
    embedder = state["embedder"]  # remembers each text's vector: folds embed nothing twice
    train_themes = list(coded["theme"])
    train_det = list(coded["determinant_or_action"])
    det_texts = list(texts)
    mapping = state["config"].theme_mapping
    if (det_on or mapping.determinant_train_on) == "segment":
        det_texts = segment_texts(coded, state["segments"], state["texts"], fallback=det_texts)
    weight = np.ones(len(train_themes) + (0 if examples is None else len(examples)))
    if examples is not None:  # the codebook's example passages join the coded ones
        if len(coded):
            weight[len(coded) :] = (
                mapping.examples_weight if examples_weight is None else examples_weight
            )
        texts = list(texts) + list(examples["text"])
        det_texts = det_texts + list(examples["text"])
        train_themes += list(examples["theme"])
        train_det += list(examples["determinant_or_action"])
    themes = CodedSampleLabeller(codebook, embedder, seed=seed, **theme_params)
    themes.fit(texts, train_themes, unlabelled=unlabelled, sample_weight=weight)
    det = DeterminantActionLabeller(codebook.ids, embedder, seed=seed)
    keep = [i for i, label in enumerate(train_det) if label]
    det.fit(
        [det_texts[i] for i in keep],
        [train_det[i] for i in keep],
        themes=[train_themes[i] for i in keep],
        sample_weight=weight[keep],
    )
    if fitted is not None:
        fitted.update(themes=themes, det=det)
    out = []
    for targets in (state["texts"], passages):
        if targets is None:
            continue
        if targets is state["texts"]:
            predicted = segment_themes(state, themes, context)
        else:
            predicted = themes.predict(targets)
        det_labels = det.predict(targets, themes=list(predicted))
        out += [np.where(predicted == "other", "none", predicted), det_labels]
    return tuple(out)


def segment_themes(state: dict, labeller, context: float | None = None) -> np.ndarray:
    """The labeller's theme (or ``other``) for every segment, each segment's probabilities
    leaned towards its neighbours' in the same document as ``upstreamnlp run`` does."""
    proba = segment_proba(state, labeller, context)
    return np.asarray(labeller.classes_[proba.argmax(axis=1)], dtype=object)


def segment_proba(state: dict, labeller, context: float | None = None) -> np.ndarray:
    """The labeller's theme probabilities for every segment, leaned towards its
    neighbours' (``context``: the weight, None for the config's), as the run does."""
    from upstreamnlp.themes.context import document_context

    mapping = state["config"].theme_mapping
    return document_context(
        labeller.predict_proba(state["texts"]),
        state["segments"]["doc_id"],
        state["segments"]["start_char"],
        weight=mapping.document_context if context is None else context,
        span=mapping.document_context_span,
    )


def document_folds(gold: pd.DataFrame, k: int, seed: int = 1) -> list[set[str]]:
    """``k`` groups of the coded documents (seeded random order, dealt in turn)."""
    docs = sorted(gold["doc_id"].astype(str).unique())
    order = np.random.default_rng(seed).permutation(len(docs))
    return [{docs[i] for i in order[f::k]} for f in range(k)]


def passage_figures(gold: pd.DataFrame, themes, det) -> tuple[float, float, float, float]:
    """The 4 figures when the coded spans themselves are labelled (no overlap matching)."""
    from upstreamnlp.themes.validation import agreement

    gold_themes = gold["theme"].replace({"none": "other"})
    run_themes = pd.Series(themes).replace({"none": "other"})
    t = agreement(list(gold_themes), list(run_themes))
    d = agreement(list(gold["determinant_or_action"]), list(det))
    return (t.kappa, t.macro_f1, d.kappa, d.macro_f1)


def cross_validate(state, gold, texts, folds, share: float = 1.0, examples=None, **theme_params):
    """Pooled labels of grouped cross-validation: every segment and every coded passage is
    labelled by labellers trained on the coded passages of *other* documents (a random
    ``share`` of them, for the learning curve); self-training sees only those documents'
    segments. Returns (segment themes, segment det/action, passage themes, passage
    det/action, mean number of training passages)."""
    seg_docs = state["segments"]["doc_id"].astype(str).to_numpy()
    gold_docs = gold["doc_id"].astype(str).to_numpy()
    seg_theme = np.array(["none"] * len(seg_docs), dtype=object)
    seg_det = np.array(["neither"] * len(seg_docs), dtype=object)
    psg_theme = np.array(["other"] * len(gold), dtype=object)
    psg_det = np.array(["neither"] * len(gold), dtype=object)
    rng = np.random.default_rng(1)
    sizes = []
    for held in folds:
        train_docs = sorted(set(gold_docs) - held)
        train_docs = list(rng.permutation(train_docs)[: max(2, round(share * len(train_docs)))])
        idx = np.flatnonzero(np.isin(gold_docs, train_docs))
        sizes.append(len(idx))
        pool = [t for t, d in zip(state["texts"], seg_docs, strict=True) if d not in held]
        held_idx = np.flatnonzero(np.isin(gold_docs, list(held)))
        themes, det, p_themes, p_det = train_and_label(
            state,
            gold.loc[idx],
            [texts[i] for i in idx],
            unlabelled=pool,
            passages=[texts[i] for i in held_idx],
            examples=examples,
            **theme_params,
        )
        mask = np.isin(seg_docs, list(held))
        seg_theme[mask], seg_det[mask] = themes[mask], det[mask]
        psg_theme[held_idx], psg_det[held_idx] = p_themes, p_det
    return seg_theme, seg_det, psg_theme, psg_det, float(np.mean(sizes))


def second_coder_rows(state: dict, gold: pd.DataFrame) -> list[list]:
    """How far two coders agree, for scale: ``corpora/demo/_parts/second_coding.csv`` holds
    150 randomly drawn gold passages coded blind by a second coder (a language model given
    only the domain brief and the codebook, not the gold or the corpus). Rows: the second
    coder against the gold, and the zero-shot run against the gold on the same passages."""
    from upstreamnlp.themes.validation import agreement

    second = load_gold(ROOT / "corpora" / "demo" / "_parts" / "second_coding.csv")
    keys = ["doc_id", "start_char", "end_char"]
    both = gold.merge(second, on=keys, suffixes=("", "_second"))
    t = agreement(list(both["theme"]), list(both["theme_second"]))
    d = agreement(list(both["determinant_or_action"]), list(both["determinant_or_action_second"]))
    zero_shot = run_mapper(state, self_train=False)
    det = label_determinant_action(state["texts"], themes=zero_shot, embedder=state["embedder"])
    same = gold.merge(second[keys], on=keys)
    figures = score(state, zero_shot, list(det["label"]), same)["all"]
    return [
        [
            "second coder (blind) vs gold",
            "-",
            "150 passages",
            0,
            (t.kappa, t.macro_f1, d.kappa, d.macro_f1),
        ],
        ["zero-shot run vs gold, same passages", "-", "150 passages", 0, figures],
    ]


def examples_det_labeller(state: dict, codebook, examples: pd.DataFrame):
    """The determinant/action labeller learned from the example passages' aspects, as
    ``upstreamnlp run`` fits it when there is no coded sample."""
    from upstreamnlp.themes.supervised import DeterminantActionLabeller

    aspects = examples[examples["determinant_or_action"] != ""]
    learned = DeterminantActionLabeller(
        codebook.ids, state["embedder"], seed=state["config"].model.seed
    )
    learned.fit(aspects["text"], aspects["determinant_or_action"], themes=aspects["theme"])
    return learned


def example_rows(state: dict, gold: pd.DataFrame, texts: list[str]) -> list[list]:
    """``theme_mapping.examples``: the labeller trained on configs/themes/upstream_examples.csv
    (1050 passages written from the domain brief and codebook, blind to this corpus and its
    gold) plus the codebook's exemplars, as ``upstreamnlp run`` does: alone (no gold at
    all; no self-training; det/action by a labeller learned from the examples' aspects,
    blended with the cue-and-exemplar rule, ``theme_mapping.determinant_rule_weight``) on
    DEV/TEST/ALL, and
    added to the coded sample in 5-fold CV by document (and with 25%/50% of the coding)."""
    from upstreamnlp.themes.supervised import (
        CodedSampleLabeller,
        blend_with_rule,
        load_examples,
    )

    codebook = load_codebook(state["config"].themes)
    examples = load_examples(ROOT / "configs" / "themes" / "upstream_examples.csv", codebook)
    embedder = state["embedder"]  # remembers each text's vector: folds embed nothing twice
    seed, mapping = state["config"].model.seed, state["config"].theme_mapping
    # the first batch (rows 1-350 of the file, 2026-11-28) with the codebook's own sentences
    first = examples[(examples.index < 350) | (examples["source"] == "codebook")]
    first_batch = {"examples": first, "examples_weight": 1.0}
    rows = []
    for name, params in (
        ("codebook examples, no coding", {}),
        ("codebook examples, no coding, no document context", NO_CONTEXT),
        ("codebook examples, no coding, joint fusion (earlier default)", {**JOINT, **NO_CONTEXT}),
        ("codebook examples, no coding, first batch only (350)", first_batch),
        ("codebook examples, no coding, det/action by the rule alone (before 2026-12-02)", RULE),
    ):
        params = dict(params)
        context = params.pop("context", None)
        train = params.pop("examples", examples)
        params.pop("examples_weight", None)
        rule_weight = params.pop("rule_weight", mapping.determinant_rule_weight)
        labeller = CodedSampleLabeller(codebook, embedder, seed=seed, **params)
        labeller.fit(list(train["text"]), train["theme"])
        predicted = segment_themes(state, labeller, context)
        themes = list(np.where(predicted == "other", "none", predicted))
        det = label_determinant_action(state["texts"], themes=themes, embedder=state["embedder"])
        det = list(det["label"])
        # as the run does: a labeller learned from the examples' aspects, blended with the rule
        if rule_weight < 1.0:
            learned = examples_det_labeller(state, codebook, train)
            proba = learned.predict_proba(state["texts"], themes=list(predicted))
            det = list(blend_with_rule(proba, learned.classes_, det, rule_weight))
        figures = score(state, themes, det, gold)
        rows += [[name, "examples", split, 0, figures[split]] for split in ("dev", "test", "all")]
    # what `upstreamnlp run --set theme_mapping.coded_sample=DEV.csv` then `validate` shows
    test_docs = set(split_gold(gold)["test"]["doc_id"].astype(str))
    for name, params in (
        ("coded sample + codebook examples", {"examples": examples}),
        ("coded sample + codebook examples, first batch only (350), full weight", first_batch),
    ):
        seg_t, seg_d, _, _, n = cross_validate(state, gold, texts, [test_docs], **params)
        rows.append([name, "dev", "test", round(n), score(state, seg_t, seg_d, gold)["test"]])
    folds = document_folds(gold, 5)
    by_seed = {}  # the defaults' 5-fold results per fold seed, for fold_seed_rows
    for share in (0.25, 0.5, 1.0):
        pooled = cross_validate(state, gold, texts, folds, share=share, examples=examples)
        if share == 1.0:
            by_seed[1] = pooled
        name = f"coded sample + codebook examples, 5-fold CV ({share:.0%} of training documents)"
        rows += cv_rows(state, gold, name, pooled, spans=share == 1.0)
    earlier = {**JOINT, **SELF_TRAIN, **NO_CONTEXT, **PASSAGE_DET}
    for name, fold_seed, params in (
        ("fold seed 2", 2, {}),
        ("no document context", 1, NO_CONTEXT),
        ("no document context, fold seed 2", 2, NO_CONTEXT),
        ("det/action learned from the coded passages' own text", 1, PASSAGE_DET),
        ("det/action learned from the coded passages' own text, fold seed 2", 2, PASSAGE_DET),
        ("joint fusion + self-training (earlier default)", 1, earlier),
        ("joint fusion + self-training (earlier default), fold seed 2", 2, earlier),
        ("examples at full weight", 1, {"examples_weight": 1.0}),
        ("examples at full weight, fold seed 2", 2, {"examples_weight": 1.0}),
        ("first batch of examples only (350), full weight", 1, first_batch),
        ("first batch of examples only (350), full weight, fold seed 2", 2, first_batch),
    ):
        defaults = not params
        params = {"examples": examples, **params}
        pooled = cross_validate(
            state, gold, texts, document_folds(gold, 5, seed=fold_seed), **params
        )
        name = f"coded sample + codebook examples, 5-fold CV, {name}"
        rows += cv_rows(state, gold, name, pooled, spans=True)
        if defaults:
            by_seed[fold_seed] = pooled
    return rows + fold_seed_rows(state, gold, texts, examples, by_seed)


def fold_seed_rows(
    state: dict, gold: pd.DataFrame, texts: list[str], examples, known: dict
) -> list[list]:
    """How much the deal of documents into folds moves the defaults' 5-fold figures: fold
    seeds 1-5 (overlap-matched, as ``validate`` reports), their mean, and the lowest value
    of each figure over the five; then the mean on the DEV and on the TEST documents alone
    (every choice was made on DEV). ``known``: results already computed, by fold seed."""
    figures, by_split = [], {"dev": [], "test": []}
    for seed in range(1, 6):
        pooled = known.get(seed) or cross_validate(
            state, gold, texts, document_folds(gold, 5, seed=seed), examples=examples
        )
        scored = score(state, pooled[0], pooled[1], gold)
        figures.append(scored["all"])
        for split in by_split:
            by_split[split].append(scored[split])
    n = round(pooled[4])
    base = "coded sample + codebook examples, 5-fold CV"
    held = "all, overlap-matched"
    rows = [[f"{base}, fold seed {i}", "other folds", held, n, f] for i, f in enumerate(figures, 1)]
    rows.append([f"{base}, mean of fold seeds 1-5", "other folds", held, n, np.mean(figures, 0)])
    rows.append([f"{base}, lowest over fold seeds 1-5", "other folds", held, n, np.min(figures, 0)])
    for split, values in by_split.items():
        name = f"{base}, mean of fold seeds 1-5, {split.upper()} documents only"
        rows.append([name, "other folds", f"{split}, overlap-matched", n, np.mean(values, 0)])
    return rows


def cv_rows(state: dict, gold: pd.DataFrame, name: str, pooled, spans: bool) -> list[list]:
    """Table rows of one ``cross_validate`` result: matched by overlap (what ``validate``
    reports) and, with ``spans``, on the coded spans themselves."""
    seg_t, seg_d, p_t, p_d, n = pooled
    rows = [
        [
            name,
            "other folds",
            "all, overlap-matched",
            round(n),
            score(state, seg_t, seg_d, gold)["all"],
        ]
    ]
    if spans:
        rows.append(
            [name, "other folds", "all, coded spans", round(n), passage_figures(gold, p_t, p_d)]
        )
    return rows


def supervised_rows(state: dict, gold: pd.DataFrame) -> list[list]:
    """Rows (setting, trained on, evaluated on, n passages, 4 figures): the zero-shot
    reference; DEV -> TEST; 2-fold and 5-fold cross-validation by document, pooled, each
    with and without self-training, matched by overlap and on the coded spans themselves;
    the learning curve (5-fold, a share of each fold's training documents)."""
    from upstreamnlp.themes.supervised import coded_passage_texts

    gold = gold.reset_index(drop=True)
    texts = coded_passage_texts(gold, state["corpus"], state["raw_corpus"])
    parts = split_gold(gold)
    rows = []
    zero_shot = run_mapper(state, self_train=False)
    zs_det = list(
        label_determinant_action(state["texts"], themes=zero_shot, embedder=state["embedder"])[
            "label"
        ]
    )
    figures = score(state, zero_shot, zs_det, gold)
    for split in ("dev", "test", "all"):
        rows.append(["zero-shot (demo settings)", "-", split, 0, figures[split]])
    two = [set(parts["test"]["doc_id"].astype(str)), set(parts["dev"]["doc_id"].astype(str))]
    seg_t, seg_d, _, _, n = cross_validate(state, gold, texts, two[:1])
    rows.append(
        [
            "coded sample",
            "dev",
            "test",
            round(n),
            score(state, seg_t, seg_d, gold)["test"],
        ]
    )
    for name, folds in (("2-fold", two), ("5-fold", document_folds(gold, 5))):
        for st_name, params in (("no self-training", {}), ("self-training", SELF_TRAIN)):
            pooled = cross_validate(state, gold, texts, folds, **params)
            rows += cv_rows(state, gold, f"coded sample ({st_name}), {name} CV", pooled, True)
    rows += example_rows(state, gold, texts)
    for share in (0.1, 0.25, 0.5):
        pooled = cross_validate(state, gold, texts, document_folds(gold, 5), share=share)
        name = f"learning curve: {share:.0%} of training documents, 5-fold CV"
        rows += cv_rows(state, gold, name, pooled, spans=False)
    return rows + second_coder_rows(state, gold)


def format_supervised(rows: list[list]) -> str:
    head = (
        "| setting | trained on | evaluated on | coded passages used | theme kappa | "
        "theme macro-F1 | det/action kappa | det/action macro-F1 |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for name, train, held, n, (tk, tf, dk, df) in rows:
        lines.append(
            f"| {name} | {train} | {held} | {n} | {tk:.3f} | {tf:.3f} | {dk:.3f} | {df:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--set", action="append", default=[], help="config override")
    parser.add_argument("--supervised", action="store_true", help="coded-sample rows only")
    args = parser.parse_args()
    started = time.time()
    gold = load_gold(ROOT / "corpora" / "demo" / "gold_coding.csv")
    state = prepare(args.set)
    if args.supervised:
        table = format_supervised(supervised_rows(state, gold))
        print(table)
        print(f"{len(state['texts'])} segments; {time.time() - started:.0f} s")
        if args.write:
            write_table(headings(state)[1], table)
        return
    settings = {
        "upstreamnlp, no self-training (demo)": {"self_train": False},
        "upstreamnlp defaults (self-training)": {},
        "centroid similarity, no outside set": {
            "self_train": False,
            "segment_similarity": "centroid",
            "outside_margin": float("inf"),
        },
    }
    rows = table_rows(state, gold, settings)
    # The earlier demo settings for comparison: whole turns (40-250 words), one mean
    # vector per theme, no outside set, self-training, det/action without themes.
    old = prepare([*args.set, "corpus.min_words=40", "corpus.max_words=250"])
    old_labels = run_mapper(
        old, segment_similarity="centroid", outside_margin=float("inf"), self_train=True
    )
    old_det = list(label_determinant_action(old["texts"], both_min=1.0)["label"])
    rows.append(["earlier settings (turns 40-250 words)", score(old, old_labels, old_det, gold)])
    table = format_table(rows)
    print(table)
    elapsed = time.time() - started
    print(f"{len(state['texts'])} segments, k={state['k']}; {elapsed:.0f} s")
    if args.write:
        write_table(headings(state)[0], table)


if __name__ == "__main__":
    main()
