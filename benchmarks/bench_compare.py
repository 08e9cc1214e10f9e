"""Counting and scoring 1 million short generated documents in one streaming pass.

Prints time and peak memory for upstreamnlp's streaming counter + distinctive-term
scoring, and, in the same process, for the usual alternative (materialise the corpus,
then scikit-learn's CountVectorizer per group) on a smaller slice, scaled.

Run: .venv/bin/python benchmarks/bench_compare.py [--docs 1000000]
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import tracemalloc

import numpy as np

from upstreamnlp.compare import GroupTermCounts, distinctive_terms


def generate(n_docs: int, seed: int = 0, vocab_size: int = 20000):
    """Short documents (5-25 tokens) from a Zipfian vocabulary; 4 groups, one of which
    over-uses a planted term."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(vocab_size)])
    groups = np.array(["researcher", "practitioner", "public", "paper"])
    block = 10000
    for start in range(0, n_docs, block):
        sizes = rng.integers(5, 26, size=block)
        ids = np.minimum(rng.zipf(1.3, size=int(sizes.sum())) - 1, vocab_size - 1)
        pos = 0
        for i, size in enumerate(sizes):
            if start + i >= n_docs:
                return
            group = groups[(start + i) % 4]
            tokens = vocab[ids[pos : pos + size]].tolist()
            pos += size
            if group == "public" and rng.random() < 0.2:
                tokens.append("planted_term")
            yield group, tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1_000_000)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )

    tracemalloc.start()
    t0 = time.perf_counter()
    counts = GroupTermCounts.from_stream(generate(args.docs))
    t_count = time.perf_counter() - t0
    t1 = time.perf_counter()
    table = distinctive_terms(counts, min_count=5, top=20)
    t_score = time.perf_counter() - t1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    top_public = table[table["group"] == "public"].iloc[0]["term"]
    print(
        f"upstreamnlp streaming: {args.docs:,} docs counted in {t_count:.1f} s, scored in {t_score:.1f} s; "
        f"peak traced memory {peak / 2**20:.0f} MiB; vocabulary {len(counts.total()):,}; "
        f"top 'public' term: {top_public}"
    )

    # The usual alternative, materialising the corpus first: measured on a tenth, scaled.
    n_small = args.docs // 10
    tracemalloc.start()
    t2 = time.perf_counter()
    docs = list(generate(n_small))
    from sklearn.feature_extraction.text import CountVectorizer

    vec = CountVectorizer(analyzer=lambda tokens: tokens)
    matrix = vec.fit_transform([d for _, d in docs])
    labels = np.array([g for g, _ in docs])
    for group in np.unique(labels):
        np.asarray(matrix[labels == group].sum(axis=0))
    t_naive = time.perf_counter() - t2
    _, peak_naive = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"materialise + CountVectorizer: {n_small:,} docs in {t_naive:.1f} s, peak {peak_naive / 2**20:.0f} MiB "
        f"(x10 for {args.docs:,} docs: ~{t_naive * 10:.0f} s, ~{peak_naive * 10 / 2**20:.0f} MiB)"
    )
    print(
        f"memory ratio at {args.docs:,} docs (materialised / streaming): {peak_naive * 10 / peak:.1f}x"
    )
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
