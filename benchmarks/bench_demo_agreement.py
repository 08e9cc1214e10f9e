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
``DeterminantActionLabeller`` trained on the gold passages of one half and evaluated on the
other (2-fold cross-validation by document: DEV -> TEST, TEST -> DEV, and pooled), plus a
learning curve (25%, 50%, 100% of DEV documents -> TEST). Training text is cut from the
de-identified documents at the passages' offsets; no passage is ever scored by a labeller
that learned from its document.

Usage: .venv/bin/python benchmarks/bench_demo_agreement.py [--write] [--supervised]
  --write       put the table under "## Demo agreement" in benchmarks/RESULTS.md
  --supervised  only the coded-sample rows (with --write: their subsection only)
"""

from __future__ import annotations

import argparse
import platform
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
        "segments": frame[["segment_id", "doc_id", "start_char", "end_char"]],
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
    come from ``label_determinant_action`` given each setting's theme labels."""
    codebook = load_codebook(state["config"].themes)
    rows = []
    labelled = [
        ("(a) nearest description", baseline_nearest(state, codebook)),
        ("(b) seed-term counts", baseline_seed_counts(state, codebook)),
    ]
    labelled += [(name, run_mapper(state, **params)) for name, params in settings.items()]
    for name, labels in labelled:
        det = list(label_determinant_action(state["texts"], themes=labels)["label"])
        rows.append([name, score(state, labels, det, gold)])
    return rows


def format_table(rows: list[list]) -> str:
    head = "| setting | split | theme kappa | theme macro-F1 | det/action kappa | det/action macro-F1 |"
    lines = [head, "|---|---|---|---|---|---|"]
    for name, figures in rows:
        for split in ("dev", "test", "all"):
            tk, tf, dk, df = figures[split]
            lines.append(f"| {name} | {split} | {tk:.3f} | {tf:.3f} | {dk:.3f} | {df:.3f} |")
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Replace (or append) the "## Demo agreement" section, keeping every other one."""
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    block = f"{SECTION}\n\n{text.strip()}\n\n"
    new = (
        pattern.sub(lambda _: block, old) if pattern.search(old) else old.rstrip() + "\n\n" + block
    )
    RESULTS.write_text(new, encoding="utf-8")


SUBSECTION = "### Learning from a coded sample"


def train_and_label(state: dict, coded: pd.DataFrame, texts: list[str]):
    """Theme and determinant/action labels of every segment from labellers trained on
    ``coded`` (gold rows) with passage ``texts``, as ``upstreamnlp run`` does."""
    from upstreamnlp.themes.supervised import CodedSampleLabeller, DeterminantActionLabeller

    codebook = load_codebook(state["config"].themes)
    seed = state["config"].model.seed
    themes = CodedSampleLabeller(codebook, state["embedder"], seed=seed)
    themes.fit(texts, coded["theme"])
    predicted = themes.predict(state["texts"])
    det = DeterminantActionLabeller(codebook.ids, state["embedder"], seed=seed)
    det.fit(texts, coded["determinant_or_action"], themes=list(coded["theme"]))
    det_labels = det.predict(state["texts"], themes=list(predicted))
    return np.where(predicted == "other", "none", predicted), det_labels


def supervised_rows(state: dict, gold: pd.DataFrame) -> list[list]:
    """Rows (setting, trained on, evaluated on, n passages, 4 figures): the zero-shot
    reference, 2-fold CV by document (each fold and pooled) and the learning curve."""
    from upstreamnlp.themes.supervised import coded_passage_texts

    gold = gold.reset_index(drop=True)
    texts = coded_passage_texts(gold, state["corpus"], state["raw_corpus"])
    parts = split_gold(gold)
    rows = []
    zero_shot = run_mapper(state, self_train=False)
    zs_det = list(label_determinant_action(state["texts"], themes=zero_shot)["label"])
    figures = score(state, zero_shot, zs_det, gold)
    for split in ("dev", "test", "all"):
        rows.append(["zero-shot (demo settings)", "-", split, 0, figures[split]])
    seg_docs = state["segments"]["doc_id"].astype(str).to_numpy()
    pooled_theme = np.array(["none"] * len(seg_docs), dtype=object)
    pooled_det = np.array(["neither"] * len(seg_docs), dtype=object)
    for train, held in (("dev", "test"), ("test", "dev")):
        idx = parts[train].index
        themes, det = train_and_label(state, gold.loc[idx], [texts[i] for i in idx])
        figures = score(state, list(themes), list(det), gold)
        rows.append(["coded sample, 2-fold CV", train, held, len(idx), figures[held]])
        held_docs = set(parts[held]["doc_id"].astype(str))
        mask = np.isin(seg_docs, list(held_docs))
        pooled_theme[mask], pooled_det[mask] = themes[mask], det[mask]
    figures = score(state, list(pooled_theme), list(pooled_det), gold)
    rows.append(
        ["coded sample, 2-fold CV", "other half", "all (pooled)", len(gold), figures["all"]]
    )
    dev_docs = sorted(parts["dev"]["doc_id"].astype(str).unique())
    order = np.random.default_rng(1).permutation(len(dev_docs))
    for share in (0.25, 0.5, 1.0):
        chosen = {dev_docs[i] for i in order[: max(1, round(share * len(dev_docs)))]}
        idx = parts["dev"].index[parts["dev"]["doc_id"].astype(str).isin(chosen)]
        themes, det = train_and_label(state, gold.loc[idx], [texts[i] for i in idx])
        figures = score(state, list(themes), list(det), gold)
        name = f"learning curve: {share:.0%} of DEV documents ({len(chosen)})"
        rows.append([name, "dev", "test", len(idx), figures["test"]])
    return rows


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


def write_subsection(text: str) -> None:
    """Replace (or add at the end of "## Demo agreement") the coded-sample subsection."""
    old = RESULTS.read_text(encoding="utf-8")
    block = f"{SUBSECTION}\n\n{text.strip()}\n\n"
    pattern = re.compile(rf"^{re.escape(SUBSECTION)}\n.*?(?=^##|\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: block, old)
    else:
        section = re.compile(rf"(^{re.escape(SECTION)}\n.*?)(?=^## |\Z)", re.S | re.M)
        new = section.sub(lambda m: m.group(1).rstrip() + "\n\n" + block, old)
    RESULTS.write_text(new, encoding="utf-8")


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
            header = (
                f"Run {date.today().isoformat()} on {platform.node()} (Python "
                f"{platform.python_version()}); `benchmarks/bench_demo_agreement.py "
                "--supervised`.\n\n"
                "What `theme_mapping.coded_sample` does (`upstreamnlp/themes/supervised.py`): "
                "logistic regression (balanced class weights) on MiniLM embeddings + the "
                "codebook's zero-shot evidence + word TF-IDF; det/action adds the cue-rule "
                "scores and the theme. Every figure is on passages of documents the labeller "
                "never saw (split by document as above); 'pooled' scores each half with the "
                "labeller trained on the other. The learning curve trains on a seeded random "
                "25/50/100% of DEV documents and scores TEST. Caveat: C (10 themes, 3 "
                "det/action), class weighting and the feature blocks were chosen on these same "
                "two folds (a small optimism); ablations on the folds' mean (theme kappa / "
                "det kappa): no TF-IDF 0.61/0.44, no codebook or cue features 0.58/0.38, "
                "embeddings only 0.56/0.38, unweighted classes 0.62/0.46, keeping the "
                "zero-shot 'none' 0.63/0.44."
            )
            write_subsection(header + "\n\n" + table)
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
        header = (
            f"Run {date.today().isoformat()} on {platform.node()} (Python "
            f"{platform.python_version()}); `benchmarks/bench_demo_agreement.py`."
        )
        write_section(header + "\n\n" + table)


if __name__ == "__main__":
    main()
