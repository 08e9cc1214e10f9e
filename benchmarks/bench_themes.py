"""Theme labelling on BBC News: the five categories as a codebook (benchmarks/themes_bbc.yaml,
written from general knowledge before looking at the data) against the true labels.

Compares, with the same MiniLM embeddings (cached under benchmarks/_work/):
  (a) nearest description: argmax cosine(document, category description);
  (b) seed-term counts: argmax of seed-term occurrences;
  (c) upstreamnlp: ThemeMapper.label_segments on an NMF (k=10) fitted on the corpus,
      with and without self-training.
Writes the table under "## Themes" in benchmarks/RESULTS.md (other sections kept).

Usage: .venv/bin/python benchmarks/bench_themes.py [--k 10]
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
from sklearn.metrics import cohen_kappa_score, f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from upstreamnlp.models.embeddings import CachedEmbedder, load_embedder  # noqa: E402
from upstreamnlp.themes.codebook import iter_term_keys, load_codebook, normalise_term  # noqa: E402
from upstreamnlp.themes.mapping import ThemeMapper  # noqa: E402

CORPUS = ROOT.parent / "shared" / "datasets" / "bbc_news" / "corpus.tsv"
CODEBOOK = ROOT / "benchmarks" / "themes_bbc.yaml"
WORK = ROOT / "benchmarks" / "_work"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


def read_corpus(path: Path):
    path = Path(path)
    if not path.is_file():
        sys.exit(
            f"{path}: the BBC News dataset is not there (run from a checkout with ../shared beside it)."
        )
    docs, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].strip():
            docs.append(parts[0].split())
            labels.append(parts[2].strip())
    return docs, labels


def make_topic_model(docs, k: int, seed: int):
    try:
        from upstreamnlp.models import make_model

        return make_model("nmf", k, seed=seed).fit(docs), "upstreamnlp NmfModel"
    except ImportError:  # models stage not available: a plain sklearn NMF
        from sklearn.decomposition import NMF
        from sklearn.feature_extraction.text import TfidfVectorizer

        from upstreamnlp.models.base import TopicModel

        vec = TfidfVectorizer(analyzer=lambda d: d, min_df=3, sublinear_tf=True)
        x = vec.fit_transform(docs)
        nmf = NMF(k, init="nndsvd", random_state=seed, max_iter=400)
        w = nmf.fit_transform(x)
        model = TopicModel(k=k, seed=seed)
        model.vocabulary_ = list(vec.get_feature_names_out())
        h = nmf.components_
        model.topic_term_ = h / h.sum(axis=1, keepdims=True)
        s = w.sum(axis=1, keepdims=True)
        s[s == 0] = 1
        model.doc_topic_ = w / s
        return model, "sklearn NMF"


def scores(truth, predicted):
    """Kappa over all documents (none/emergent count as errors) and macro-F1 over the five
    true categories (a none label is a miss for its category, not a sixth class)."""
    categories = sorted(set(truth))
    return (
        cohen_kappa_score(truth, predicted),
        f1_score(truth, predicted, labels=categories, average="macro"),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    docs, truth = read_corpus(CORPUS)
    texts = [" ".join(d) for d in docs]
    codebook = load_codebook(CODEBOOK)
    ids = np.array(codebook.ids)
    embedder = CachedEmbedder(load_embedder("minilm"), WORK)
    t_embed = time.perf_counter()
    doc_vectors = embedder.encode(texts)
    t_embed = time.perf_counter() - t_embed
    rows = []

    # (a) nearest category description.
    description_vectors = embedder.encode([t.description for t in codebook])
    pred_a = ids[(doc_vectors @ description_vectors.T).argmax(axis=1)]
    rows.append(("(a) nearest description (MiniLM cosine)", *scores(truth, pred_a)))

    # (b) seed-term counts (ties -> first theme in codebook order).
    seeds = [{normalise_term(s) for s in t.seed_terms} for t in codebook]
    counts = np.zeros((len(docs), len(ids)))
    for i, d in enumerate(docs):
        for key in iter_term_keys(d, max_n=3):
            for j, s in enumerate(seeds):
                counts[i, j] += key in s
    pred_b = ids[counts.argmax(axis=1)]
    rows.append(("(b) seed-term counts", *scores(truth, pred_b)))

    # (c) upstreamnlp.
    t_model = time.perf_counter()
    model, model_name = make_topic_model(docs, args.k, args.seed)
    t_model = time.perf_counter() - t_model
    timings = {}
    for self_train in (False, True):
        t = time.perf_counter()
        mapper = ThemeMapper(codebook, embedder=embedder, self_train=self_train, seed=args.seed)
        mapper.fit(model, texts, docs=docs)
        labels = mapper.label_segments()
        timings[self_train] = time.perf_counter() - t
        predicted = labels["theme"].to_numpy()
        name = "upstreamnlp label_segments" + (" + self-training" if self_train else "")
        rows.append((f"(c) {name}", *scores(truth, predicted)))
        n_none = int(np.isin(predicted, ["none", "emergent"]).sum())
        print(f"{name}: {n_none} documents labelled none/emergent")
    print("topic labels:", mapper.topic_labels_)
    print(mapper.theme_map_.pivot(index="topic", columns="theme", values="score").round(2))

    table = [
        "| method | Cohen's kappa | macro-F1 |",
        "|---|---|---|",
        *[f"| {name} | {k:.3f} | {f:.3f} |" for name, k, f in rows],
    ]
    print("\n".join(table))
    total = time.perf_counter() - t0
    section = "\n".join(
        [
            "## Themes",
            "",
            f"BBC News ({len(docs)} documents, 5 categories) labelled with the codebook "
            "`benchmarks/themes_bbc.yaml` (written before looking at the data, not tuned). "
            f"Embeddings: {embedder.name} (cached); topic model: {model_name}, "
            f"k={args.k}, seed={args.seed}. Run {date.today().isoformat()} on "
            f"{platform.node()} ({platform.machine()}, {platform.processor() or 'cpu'}, "
            f"Python {platform.python_version()}); `benchmarks/bench_themes.py`.",
            "",
            *table,
            "",
            f"Timings: embeddings {t_embed:.1f} s (0 when cached), NMF {t_model:.1f} s, "
            f"mapping+labelling {timings[False]:.1f} s (rules) / {timings[True]:.1f} s "
            f"(self-training); whole script {total:.1f} s.",
            "Earlier measurements of the baselines on this machine: (a) 0.84, (b) 0.82.",
            "",
        ]
    )
    demo = demo_passages(embedder, args.seed)
    print("\n".join(demo))
    if not args.no_write:
        write_section(RESULTS, section + "\n".join(demo) + "\n")


def demo_passages(embedder, seed: int) -> list[str]:
    """A passage-level check on the demo corpus's gold coding (when present): each gold
    passage is labelled as if it were a segment (NMF k=10 fitted on the passages). Not the
    real run (segments differ from coded passages); a rough guide to the target figures."""
    from upstreamnlp.themes import label_determinant_action
    from upstreamnlp.themes.mapping import simple_tokens
    from upstreamnlp.themes.validation import agreement

    gold_path = ROOT / "corpora" / "demo" / "gold_coding.csv"
    if not gold_path.exists():
        return ["Demo corpus gold coding not present: passage-level check skipped."]
    import pandas as pd

    gold = pd.read_csv(gold_path)
    texts = gold["text"].astype(str).tolist()
    stop = set(
        "the a an of and to in is are was were that this it we they i you for on with as be "
        "by or at from have has not but about what which their our there so if more can do".split()
    )
    tokens = [[w for w in simple_tokens(t) if w not in stop] for t in texts]
    model, _ = make_topic_model(tokens, 10, seed)
    lines = [
        "",
        f"Demo corpus, passage-level check ({len(gold)} gold passages of "
        "`corpora/demo/gold_coding.csv` labelled as segments; NMF k=10 on the passages; "
        "run labels none/emergent/mixed count as `other`). The gold coding was looked at "
        "while developing, so these are not held-out figures.",
        "",
        "| labelling | Cohen's kappa | macro-F1 |",
        "|---|---|---|",
    ]
    for self_train in (False, True):
        mapper = ThemeMapper(
            ROOT / "configs/themes/upstream.yaml",
            embedder=embedder,
            self_train=self_train,
            seed=seed,
        )
        labels = mapper.fit(model, texts, tokens).label_segments()["theme"]
        labels = labels.replace({"none": "other", "emergent": "other", "mixed": "other"})
        result = agreement(gold["theme"].tolist(), labels.tolist())
        name = "theme" + (" + self-training" if self_train else "")
        lines.append(f"| {name} | {result.kappa:.3f} | {result.macro_f1:.3f} |")
    rule = label_determinant_action(texts)["label"]
    result = agreement(gold["determinant_or_action"].astype(str).tolist(), rule.tolist())
    lines.append(
        f"| determinant_or_action (cue rule) | {result.kappa:.3f} | {result.macro_f1:.3f} |"
    )
    lines.append("")
    lines.append(
        "Goals on the demo: kappa >= 0.7 (themes), >= 0.6 (determinant/action): not reached."
    )
    return lines


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the '## Themes' section, keeping every other section."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    pattern = re.compile(r"^## Themes\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
