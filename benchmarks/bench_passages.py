"""Segments against passages: agreement of the run's two units with the demo gold coding.

The run labels every modelled segment (``assignments.csv``) and, since 2026-12-03, each
segment's sentences one by one (``passages.csv``; ``upstreamnlp.themes.passages``: a
passage's theme probabilities are its own times its segment's, its determinant/action
read from its own text). ``validate`` matches every gold passage to the segment it
overlaps most and to the passage it overlaps most. This script sets the two side by side
for each way the run can learn its labels: the zero-shot mapper (codebook only), the
codebook examples with no coding (``make demo``), the DEV documents' coding plus the
examples scored on TEST, and 5-fold cross-validation by document (fold seeds 1-5).

Everything else is ``bench_demo_agreement.py``'s: the demo config (``configs/demo.yaml``,
its embedder), the cached pipeline, the DEV/TEST split by document, the labellers
trained as ``upstreamnlp run`` trains them. Passage settings (sentences, fragments of
fewer than 4 words joined, the segment's probabilities to the power 1) were chosen on the
DEV documents (RESULTS.md, 'Passages').

Usage: .venv/bin/python benchmarks/bench_passages.py [--write] [--seeds 5] [--set KEY=VALUE]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_demo_agreement as B  # noqa: E402

from upstreamnlp.themes.codebook import load_codebook  # noqa: E402
from upstreamnlp.themes.determinants import label_determinant_action  # noqa: E402
from upstreamnlp.themes.passages import label_passages, segment_passages  # noqa: E402
from upstreamnlp.themes.validation import load_gold, validate  # noqa: E402

HEADING = "### Passages"


def run_passages(state: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """The run's passages of the demo's segments, and each one's segment row."""
    mapping = state["config"].theme_mapping
    passages = segment_passages(
        state["segments"],
        state["texts"],
        raw_corpus=state["raw_corpus"],
        min_words=mapping.passage_min_words,
    )
    parent = pd.Index(state["segments"]["segment_id"]).get_indexer(passages["segment_id"])
    return passages, parent


def figures(state, gold, seg_themes, seg_det, labelled) -> dict[str, tuple]:
    """(segment figures, passage figures) per split: theme kappa, theme macro-F1,
    det/action kappa, det/action macro-F1, as ``validate`` computes them."""
    assignments = state["segments"].copy()
    assignments["theme"] = list(seg_themes)
    assignments["determinant_or_action"] = list(seg_det)
    out = {}
    for split, part in B.split_gold(gold).items():
        result = validate(assignments, part.reset_index(drop=True), passages=labelled)
        pair = []
        for r in (result, result.passages):
            d = r.determinant_or_action
            pair.append((r.theme.kappa, r.theme.macro_f1, d.kappa, d.macro_f1))
        out[split] = tuple(pair)
    return out


def zero_shot(state, passages, parent):
    themes = B.run_mapper(state, self_train=False)
    det = label_determinant_action(state["texts"], themes=themes, embedder=state["embedder"])
    labelled = label_passages(
        passages, parent, themes, np.zeros(len(themes)), embedder=state["embedder"]
    )
    return themes, list(det["label"]), labelled


def examples_only(state, passages, parent, examples):
    """What ``make demo`` runs: the labellers learned from the codebook examples."""
    from upstreamnlp.themes.supervised import CodedSampleLabeller, blend_with_rule

    codebook = load_codebook(state["config"].themes)
    seed, mapping = state["config"].model.seed, state["config"].theme_mapping
    embedder = state["embedder"]
    labeller = CodedSampleLabeller(codebook, embedder, seed=seed)
    labeller.fit(list(examples["text"]), examples["theme"])
    proba = B.segment_proba(state, labeller)
    predicted = labeller.classes_[proba.argmax(axis=1)]
    themes = list(np.where(predicted == "other", "none", predicted))
    rule = label_determinant_action(state["texts"], themes=themes, embedder=embedder)
    det_labeller = B.examples_det_labeller(state, codebook, examples)
    det = blend_with_rule(
        det_labeller.predict_proba(state["texts"], themes=list(predicted)),
        det_labeller.classes_,
        rule["label"],
        mapping.determinant_rule_weight,
    )
    labelled = label_passages(
        passages,
        parent,
        themes,
        proba.max(axis=1),
        embedder=embedder,
        theme_labeller=labeller,
        segment_proba=proba,
        det_labeller=det_labeller,
        blend=True,
        rule_weight=mapping.determinant_rule_weight,
        segment_weight=mapping.passage_segment_weight,
    )
    return themes, list(det), labelled


def coded(state, passages, parent, gold, texts, examples, held_docs_sets):
    """Segment and passage labels of the documents in each of ``held_docs_sets``, from
    labellers trained on the coded passages of the other documents plus the examples."""
    mapping = state["config"].theme_mapping
    seg_docs = state["segments"]["doc_id"].astype(str).to_numpy()
    psg_docs = passages["doc_id"].astype(str).to_numpy()
    gold_docs = gold["doc_id"].astype(str).to_numpy()
    seg_t = np.array(["none"] * len(seg_docs), dtype=object)
    seg_d = np.array(["neither"] * len(seg_docs), dtype=object)
    labelled = passages.copy()
    labelled["theme"], labelled["determinant_or_action"] = "none", "neither"
    for held in held_docs_sets:
        idx = np.flatnonzero(~np.isin(gold_docs, list(held)))
        fitted: dict = {}
        themes, det = B.train_and_label(
            state, gold.loc[idx], [texts[i] for i in idx], examples=examples, fitted=fitted
        )
        proba = B.segment_proba(state, fitted["themes"])
        mask = np.isin(seg_docs, list(held))
        seg_t[mask], seg_d[mask] = themes[mask], det[mask]
        rows = np.flatnonzero(np.isin(psg_docs, list(held)))
        part = label_passages(
            passages.iloc[rows],
            parent[rows],
            themes,
            proba.max(axis=1),
            embedder=state["embedder"],
            theme_labeller=fitted["themes"],
            segment_proba=proba,
            det_labeller=fitted["det"],
            segment_weight=mapping.passage_segment_weight,
        )
        labelled.iloc[rows, labelled.columns.get_loc("theme")] = part["theme"].to_numpy()
        labelled.iloc[rows, labelled.columns.get_loc("determinant_or_action")] = part[
            "determinant_or_action"
        ].to_numpy()
    return list(seg_t), list(seg_d), labelled


def rows_for(name: str, figs: dict, splits=("dev", "test", "all")) -> list[list]:
    return [[name, split, *figs[split][0], *figs[split][1]] for split in splits]


def format_table(rows: list[list]) -> str:
    head = (
        "| setting | split | segments: theme kappa | theme macro-F1 | det/action kappa | "
        "det/action macro-F1 | passages: theme kappa | theme macro-F1 | det/action kappa | "
        "det/action macro-F1 |\n|---|---|---|---|---|---|---|---|---|---|\n"
    )
    body = "".join(
        "| " + " | ".join([r[0], r[1], *(f"{x:.3f}" for x in r[2:])]) + " |\n" for r in rows
    )
    return head + body


def write(table: str, prose: str) -> None:
    """Replace (or add) the ``### Passages`` subsection's table in RESULTS.md, keeping
    the prose written by hand before it."""
    text = B.RESULTS.read_text(encoding="utf-8")
    block = f"{HEADING}\n\n{prose}\n\n{table}"
    if HEADING in text:
        start = text.index(HEADING)
        end = text.find("\n### ", start + len(HEADING))
        end2 = text.find("\n## ", start + len(HEADING))
        ends = [e for e in (end, end2) if e != -1]
        stop = min(ends) if ends else len(text)
        old = text[start:stop]
        hand = old.split("\n| setting |")[0].split("\n\n", 1)[1].strip() if "\n\n" in old else ""
        lines = [ln for ln in hand.splitlines() if not ln.startswith("Run ")]
        hand = "\n".join(lines).strip()
        new = f"{HEADING}\n\n{prose}\n\n" + (f"{hand}\n\n" if hand else "") + table
        text = text[:start] + new.rstrip("\n") + "\n" + text[stop:]
    else:
        anchor = "\n### Determinant/action"
        i = text.index(anchor)
        text = text[:i] + "\n" + block + text[i:]
    B.RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--seeds", type=int, default=5, help="fold seeds for 5-fold CV")
    parser.add_argument("--set", action="append", default=[], help="config override")
    args = parser.parse_args()
    from upstreamnlp.themes.supervised import coded_passage_texts, load_examples

    started = time.time()
    state = B.prepare(args.set)
    gold = load_gold(B.ROOT / "corpora" / "demo" / "gold_coding.csv").reset_index(drop=True)
    passages, parent = run_passages(state)
    print(f"{len(state['texts'])} segments, {len(passages)} passages")
    codebook = load_codebook(state["config"].themes)
    examples = load_examples(B.ROOT / "configs" / "themes" / "upstream_examples.csv", codebook)
    texts = coded_passage_texts(gold, state["corpus"], state["raw_corpus"])
    rows = []
    rows += rows_for(
        "zero-shot mapper (codebook only)",
        figures(state, gold, *zero_shot(state, passages, parent)),
    )
    rows += rows_for(
        "codebook examples, no coding (make demo)",
        figures(state, gold, *examples_only(state, passages, parent, examples)),
    )
    print(format_table(rows), flush=True)
    test_docs = set(B.split_gold(gold)["test"]["doc_id"].astype(str))
    labels = coded(state, passages, parent, gold, texts, examples, [test_docs])
    rows += rows_for("DEV coding + examples", figures(state, gold, *labels), ("test",))
    print(format_table(rows[-1:]), flush=True)
    per_seed = []
    for seed in range(1, args.seeds + 1):
        folds = B.document_folds(gold, 5, seed=seed)
        figs = figures(state, gold, *coded(state, passages, parent, gold, texts, examples, folds))
        per_seed.append(figs)
        rows += rows_for(f"coding + examples, 5-fold CV, fold seed {seed}", figs, ("all",))
        print(format_table(rows[-1:]), flush=True)
    n = len(per_seed)
    for split, what in (("all", ""), ("test", ", TEST documents only")):
        values = np.array([f[split] for f in per_seed])
        for name, agg in (("mean", values.mean(axis=0)), ("lowest", values.min(axis=0))):
            if name == "lowest" and split == "test":
                continue
            label = f"coding + examples, 5-fold CV, {name} of fold seeds 1-{n}{what}"
            rows.append([label, split, *agg[0], *agg[1]])
    table = format_table(rows)
    print(table)
    elapsed = time.time() - started
    print(f"{elapsed:.0f} s")
    if args.write:
        embedder = state["config"].embedder
        prose = (
            f"Run {date.today().isoformat()} on vm (Python {sys.version.split()[0]}); "
            f"`benchmarks/bench_passages.py` (embedder: {embedder}; {len(passages)} passages "
            f"of {len(state['texts'])} segments; {elapsed:.0f} s)."
        )
        write(table, prose)


if __name__ == "__main__":
    main()
