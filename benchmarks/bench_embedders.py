"""Which sentence embedding model: all-MiniLM-L6-v2 against all-mpnet-base-v2, side by side.

Both run in this process on the demo corpus and its gold coding, through the same pieces as
``bench_demo_agreement.py`` (which they import): the labeller trained on the codebook's
example passages alone (what ``make demo`` runs: no coding), on the DEV documents' coding
plus the examples and scored on TEST (what a user who codes half the documents gets), and
5-fold cross-validation by document (fold seeds 1-3, overlap-matched as ``validate``
reports). Every embedding-dependent piece changes with the model: the theme labeller's
embedding expert and its codebook evidence, the determinant/action exemplars and labeller.
The choice of model for the demo was made on the DEV rows only; TEST is reported.

Speed: both models embed the same 500 demo segments, uncached, one after the other (batch
32, CPU); the ratio is printed.

Usage: .venv/bin/python benchmarks/bench_embedders.py [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_demo_agreement as bench  # noqa: E402

from upstreamnlp.models.embeddings import load_embedder  # noqa: E402
from upstreamnlp.themes.codebook import load_codebook  # noqa: E402
from upstreamnlp.themes.determinants import label_determinant_action  # noqa: E402
from upstreamnlp.themes.supervised import (  # noqa: E402
    CodedSampleLabeller,
    DeterminantActionLabeller,
    blend_with_rule,
    coded_passage_texts,
    load_examples,
)
from upstreamnlp.themes.validation import load_gold  # noqa: E402

MODELS = ("minilm", "mpnet")


def examples_only(state: dict, examples) -> tuple[list[str], list[str]]:
    """Themes and determinant/action of every segment from the examples alone, as the run
    does without a coded sample (``bench_demo_agreement.example_rows``, first row)."""
    codebook = load_codebook(state["config"].themes)
    embedder = state["embedder"]
    seed, mapping = state["config"].model.seed, state["config"].theme_mapping
    labeller = CodedSampleLabeller(codebook, embedder, seed=seed)
    labeller.fit(list(examples["text"]), examples["theme"])
    predicted = bench.segment_themes(state, labeller)
    themes = list(np.where(predicted == "other", "none", predicted))
    rule = label_determinant_action(state["texts"], themes=themes, embedder=state["embedder"])
    aspects = examples[examples["determinant_or_action"] != ""]
    learned = DeterminantActionLabeller(codebook.ids, embedder, seed=seed)
    learned.fit(aspects["text"], aspects["determinant_or_action"], themes=aspects["theme"])
    proba = learned.predict_proba(state["texts"], themes=list(predicted))
    det = blend_with_rule(
        proba, learned.classes_, list(rule["label"]), mapping.determinant_rule_weight
    )
    return themes, list(det)


def rows_for(model: str, gold, seeds: list[int]) -> list[tuple[str, str, tuple]]:
    state = bench.prepare([f"embedder={model}"])
    codebook = load_codebook(state["config"].themes)
    examples = load_examples(ROOT / "configs" / "themes" / "upstream_examples.csv", codebook)
    texts = coded_passage_texts(gold, state["corpus"], state["raw_corpus"])
    rows = []
    themes, det = examples_only(state, examples)
    scored = bench.score(state, themes, det, gold)
    rows += [("examples, no coding", split, scored[split]) for split in ("dev", "test", "all")]
    test_docs = set(bench.split_gold(gold)["test"]["doc_id"].astype(str))
    seg_t, seg_d, *_ = bench.cross_validate(state, gold, texts, [test_docs], examples=examples)
    rows.append(("DEV coding + examples", "test", bench.score(state, seg_t, seg_d, gold)["test"]))
    per_split = {"dev": [], "test": [], "all": []}
    for seed in seeds:
        folds = bench.document_folds(gold, 5, seed=seed)
        seg_t, seg_d, *_ = bench.cross_validate(state, gold, texts, folds, examples=examples)
        scored = bench.score(state, seg_t, seg_d, gold)
        for split in per_split:
            per_split[split].append(scored[split])
    label = f"coding + examples, 5-fold CV, mean of fold seeds {seeds[0]}-{seeds[-1]}"
    rows += [(label, split, tuple(np.mean(v, axis=0))) for split, v in per_split.items()]
    return rows


def speed(texts: list[str]) -> dict[str, float]:
    seconds = {}
    for model in MODELS:
        embedder = load_embedder(model)
        embedder.encode(texts[:8])  # load the network outside the timing
        started = time.perf_counter()
        embedder.encode(texts)
        seconds[model] = time.perf_counter() - started
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    started = time.time()
    gold = load_gold(ROOT / "corpora" / "demo" / "gold_coding.csv").reset_index(drop=True)
    results = {model: rows_for(model, gold, args.seeds) for model in MODELS}
    print(
        "| setting | split | embedder | theme kappa | theme macro-F1 | det/action kappa | det/action macro-F1 |"
    )
    print("|---|---|---|---|---|---|---|")
    for i, (setting, split, _) in enumerate(results[MODELS[0]]):
        for model in MODELS:
            figures = results[model][i][2]
            cells = " | ".join(f"{x:.3f}" for x in figures)
            print(f"| {setting} | {split} | {model} | {cells} |")
    state = bench.prepare(["embedder=minilm"])
    seconds = speed(state["texts"][:500])
    print(
        f"\nembedding 500 demo segments: minilm {seconds['minilm']:.1f} s, mpnet "
        f"{seconds['mpnet']:.1f} s (mpnet / minilm time: {seconds['mpnet'] / seconds['minilm']:.1f}x)"
    )
    print(f"whole script {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
