"""Topic-model benchmark on BBC News with the BERTopic paper's protocol (Grootendorst 2022).

Pretokenized corpus, k = 10..50, 3 seeds; every row scored by the same code: NPMI
(gensim ``c_npmi``, top 10, the corpus as reference), topic diversity (TD, top 10), and
NMI of each document's dominant topic against the BBC category. Compares upstreamnlp's
kinds with the peers a researcher would otherwise use.

    .venv/bin/python benchmarks/bench_topics.py            # full run (~20-30 min, 2 cores)
    .venv/bin/python benchmarks/bench_topics.py --quick    # k=10,20, one seed
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from upstreamnlp.models import make_model  # noqa: E402
from upstreamnlp.models.metrics import CoherenceReference, diversity, nmi, npmi  # noqa: E402

CORPUS = ROOT / ".." / "shared" / "datasets" / "bbc_news" / "corpus.tsv"


def load_corpus(path: Path) -> tuple[list[list[str]], list[str]]:
    path = Path(path)
    if not path.is_file():
        sys.exit(
            f"{path}: the BBC News dataset is not there (give --corpus PATH, or run from a checkout with ../shared beside it)."
        )
    docs, labels = [], []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            tokens, _partition, label = line.rstrip("\n").split("\t")
            docs.append(tokens.split())
            labels.append(label)
    return docs, labels


# --- each runner returns (topic word lists, dominant topic per document) -----------------
def run_ours(kind, **params):
    def runner(docs, texts, embeddings, k, seed):
        model = make_model(kind, k, seed=seed, **params)
        if kind == "clusters":
            model.fit(docs, texts, embeddings=embeddings)
        else:
            model.fit(docs, texts)
        topic, _ = model.dominant_topics()
        return model.topic_words(10), topic

    return runner


def run_gensim_octis(docs, texts, embeddings, k, seed):
    """gensim LdaModel with OCTIS's LDA defaults (passes=1, iterations=50, chunksize=2000,
    symmetric alpha, eta None, decay 0.5, offset 1)."""
    import logging

    from gensim.corpora import Dictionary
    from gensim.models import LdaModel

    logging.getLogger("gensim").setLevel(logging.WARNING)
    dictionary = Dictionary(docs)
    bow = [dictionary.doc2bow(d) for d in docs]
    model = LdaModel(
        bow,
        id2word=dictionary,
        num_topics=k,
        passes=1,
        iterations=50,
        chunksize=2000,
        alpha="symmetric",
        eta=None,
        decay=0.5,
        offset=1.0,
        random_state=seed,
    )
    topics = [[w for w, _ in model.show_topic(t, 10)] for t in range(k)]
    gamma, _ = model.inference(bow)
    return topics, gamma.argmax(axis=1)


def run_tomotopy(docs, texts, embeddings, k, seed, iterations=1000):
    import tomotopy as tp

    model = tp.LDAModel(k=k, seed=seed)
    for d in docs:
        model.add_doc(d)
    for _ in range(0, iterations, 100):
        model.train(100)
    topics = [[w for w, _ in model.get_topic_words(t, top_n=10)] for t in range(k)]
    dominant = np.array([int(np.argmax(doc.get_topic_dist())) for doc in model.docs])
    return topics, dominant


def run_sklearn_nmf(docs, texts, embeddings, k, seed):
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer()
    tfidf = vectorizer.fit_transform(texts)
    nmf = NMF(n_components=k, random_state=seed)
    weights = nmf.fit_transform(tfidf)
    vocab = vectorizer.get_feature_names_out()
    topics = [[str(vocab[i]) for i in row.argsort()[::-1][:10]] for row in nmf.components_]
    return topics, weights.argmax(axis=1)


def run_bertopic(docs, texts, embeddings, k, seed):
    from bertopic import BERTopic
    from umap import UMAP

    umap_model = UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed
    )
    model = BERTopic(umap_model=umap_model, nr_topics=k, calculate_probabilities=False)
    assigned, _ = model.fit_transform(texts, embeddings=embeddings)
    topics = [
        [w for w, _ in model.get_topic(t)][:10] for t in sorted(model.get_topics()) if t != -1
    ]
    return topics, np.asarray(assigned)


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores (nproc), {cpu}, Python {platform.python_version()}"


def write_results(path: Path, section: str) -> None:
    """Replace (or append) the '## Topic models' section, keeping the others."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## Topic models\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="k=10,20 and one seed")
    parser.add_argument("--models", default="", help="comma-separated subset of model names")
    parser.add_argument("--seeds", default="", help="comma-separated seeds (default 1,2,3)")
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument(
        "--from-log", action="store_true", help="summarise the rows logged by earlier runs"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    ks = [10, 20] if args.quick else [10, 20, 30, 40, 50]
    seeds = [1] if args.quick else [1, 2, 3]
    if args.seeds:
        seeds = [int(s) for s in args.seeds.split(",")]
    docs, labels = load_corpus(Path(args.corpus))
    texts = [" ".join(d) for d in docs]
    reference = CoherenceReference(docs, window=10)

    from upstreamnlp.models.embeddings import CachedEmbedder, SentenceEmbedder

    start = time.perf_counter()
    embedder = CachedEmbedder(SentenceEmbedder(), ROOT / "benchmarks" / ".cache")
    embeddings = embedder.encode(texts)
    embed_seconds = time.perf_counter() - start
    timing = ROOT / "benchmarks" / ".cache" / "embedding_seconds.txt"
    if embedder.hits and timing.exists():
        embed_seconds = float(timing.read_text())
        cached = " (when first computed; read from the cache in this run)"
    elif embedder.hits:
        cached = " (read from the cache)"
    else:
        timing.write_text(f"{embed_seconds:.1f}")
        cached = ""
    print(f"MiniLM embeddings: {embed_seconds:.1f} s{cached}", flush=True)

    runners = {
        "upstreamnlp lda": run_ours("lda"),
        "upstreamnlp nmf": run_ours("nmf"),
        "upstreamnlp clusters": run_ours("clusters"),
        "gensim LDA (OCTIS defaults)": run_gensim_octis,
        "tomotopy LDA (1000 it.)": run_tomotopy,
        "scikit-learn NMF (defaults)": run_sklearn_nmf,
        "BERTopic (MiniLM, UMAP+HDBSCAN)": run_bertopic,
    }
    if args.models:
        wanted = [m.strip() for m in args.models.split(",")]
        runners = {n: r for n, r in runners.items() if any(w in n for w in wanted)}
    embedding_based = {"upstreamnlp clusters", "BERTopic (MiniLM, UMAP+HDBSCAN)"}

    log = ROOT / "benchmarks" / ".cache" / "bench_topics.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    scores: list[dict] = []
    if args.from_log:
        # the latest row of each (model, k, seed): a re-run replaces an earlier one
        latest = {}
        for line in open(log):
            row = json.loads(line)
            latest[(row["model"], row["k"], row["seed"])] = row
        scores = [r for r in latest.values() if r["k"] in ks and r["seed"] in seeds]
        runners = {}
    for name, runner in runners.items():
        for k in ks:
            for seed in seeds:
                start = time.perf_counter()
                topics, dominant = runner(docs, texts, embeddings, k, seed)
                seconds = time.perf_counter() - start
                row = {
                    "model": name,
                    "k": k,
                    "seed": seed,
                    "npmi": npmi(topics, reference),
                    "td": diversity(topics),
                    "nmi": nmi(labels, dominant),
                    "seconds": seconds,
                    "n_topics": len(topics),
                }
                scores.append(row)
                with open(log, "a") as handle:
                    handle.write(json.dumps(row) + "\n")
                print(
                    f"{name:34s} k={k:2d} seed={seed} NPMI={row['npmi']:.3f} "
                    f"TD={row['td']:.3f} NMI={row['nmi']:.3f} {seconds:.1f}s",
                    flush=True,
                )
    rows = []
    for name in dict.fromkeys(s["model"] for s in scores):
        mine = [s for s in scores if s["model"] == name]
        rows.append(
            {
                "model": name,
                "npmi": np.mean([s["npmi"] for s in mine]),
                "td": np.mean([s["td"] for s in mine]),
                "nmi": np.mean([s["nmi"] for s in mine]),
                "seconds": np.mean([s["seconds"] for s in mine]),
                "clustering": name in embedding_based,
                "fits": len(mine),
                "ks": sorted({s["k"] for s in mine}),
                "seeds": sorted({s["seed"] for s in mine}),
            }
        )

    lines = [
        "| model | NPMI | TD | NMI | fit s (mean) | clustering s (mean) | fits (k; seeds) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        clustering = f"{r['seconds']:.2f}" if r["clustering"] else "-"
        lines.append(
            f"| {r['model']} | {r['npmi']:.3f} | {r['td']:.3f} | {r['nmi']:.3f} "
            f"| {r['seconds']:.2f} | {clustering} | {r['fits']} "
            f"({','.join(map(str, r['ks']))}; {','.join(map(str, r['seeds']))}) |"
        )
    by_name = {r["model"]: r for r in rows}
    ratios = []
    pairs = [
        ("upstreamnlp clusters", "BERTopic (MiniLM, UMAP+HDBSCAN)", "clusters / BERTopic time"),
        ("upstreamnlp lda", "tomotopy LDA (1000 it.)", "lda / tomotopy time"),
    ]
    for ours, peer, label in pairs:
        if ours in by_name and peer in by_name:
            ratios.append(f"- {label}: {by_name[ours]['seconds'] / by_name[peer]['seconds']:.2f}")
    table = "\n".join(lines)
    print("\n" + table + "\n" + "\n".join(ratios))

    section = (
        "## Topic models\n\n"
        f"Run {dt.date.today().isoformat()} on {machine()}; "
        f"`benchmarks/bench_topics.py{' --quick' if args.quick else ''}"
        f"{' --from-log' if args.from_log else ''}`. "
        "BBC News (2,225 documents, pretokenized); each row is the mean over the fits "
        "listed (k values; seeds). NPMI = gensim `c_npmi` "
        "(window 10, top 10, the corpus as reference, computed by "
        "`upstreamnlp.models.metrics.npmi`, which matches gensim exactly); TD = unique share "
        "of the top-10 terms (Dieng et al. 2020); NMI = dominant topic vs. category. "
        f"MiniLM embeddings computed once: {embed_seconds:.1f} s{cached}, not included in "
        "the fit times.\n\n" + table + "\n\n" + "\n".join(ratios) + "\n"
    )
    if not args.no_write:
        write_results(ROOT / "benchmarks" / "RESULTS.md", section)


if __name__ == "__main__":
    main()
