"""Benchmark ``read_corpus`` on ~50 MB of synthetic interview transcripts.

Writes varied transcripts (interviewer questions, wrapped participant turns, long
monologues, timestamps) to a temporary folder, then, each in a fresh process, times
(1) a naive baseline that only reads the files into a list of strings and
(2) ``read_corpus``, and reports seconds, MB/s and peak resident memory.

    python benchmarks/bench_ingest.py [--mb 50]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

WORDS = (
    "housing income poverty prevention screening smoking policy council community education "
    "employment welfare neighbourhood legislation sugar tax alcohol families children schools "
    "transport inequality deprivation services evidence funding upstream downstream causes "
    "determinants agency population lifestyle behaviour obesity diet exercise debt wages "
    "benefits discrimination racism power resources campaign residents volunteers grassroots"
).split()
QUESTIONS = [
    "What does upstream action mean to you?",
    "Can you give me an example from your own work?",
    "How would colleagues in other disciplines see it?",
    "What gets in the way of acting further upstream?",
]
SPEAKERS = ["P{:02d}", "Participant {}", "R{}", "Dr Smith{}"]


def _turn(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.choice([2, 3, 5, 8, 40])):
        words = [rng.choice(WORDS) for _ in range(rng.randint(5, 22))]
        sentences.append(rng.choice(["I think ", "Well, ", "So ", "And "]) + " ".join(words) + ".")
    lines = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
    return "\n".join(lines)


def generate(folder: Path, target_mb: float, seed: int = 1) -> int:
    """Write transcripts of ~100 KB each until ``target_mb`` is reached; returns bytes."""
    rng = random.Random(seed)
    total, n = 0, 0
    while total < target_mb * 1_000_000:
        n += 1
        label = SPEAKERS[n % len(SPEAKERS)].format(n % 40).replace("Smith0", "Smith")
        parts = [f"Interview {n}, recorded 2019", ""]
        size = 0
        while size < 100_000:
            stamp = f"[{rng.randint(0, 1):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}] "
            question = f"{stamp if n % 2 else ''}{rng.choice(['Interviewer', 'I', 'Q'])}: "
            parts.append(question + rng.choice(QUESTIONS))
            answer = f"{label}: {_turn(rng)}"
            parts.append(answer)
            parts.append("")
            size += len(answer) + 60
        data = "\n".join(parts).encode("utf-8")
        (folder / f"interview_{n:04d}.txt").write_bytes(data)
        total += len(data)
    return total


def _naive(folder: str, queue: mp.Queue) -> None:
    start = time.perf_counter()
    texts = [p.read_text(encoding="utf-8") for p in sorted(Path(folder).glob("*.txt"))]
    seconds = time.perf_counter() - start
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(texts), 0, 0))


def _ingest(folder: str, queue: mp.Queue) -> None:
    from upstreamnlp.corpus import read_corpus

    imported_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    corpus = read_corpus(folder)
    seconds = time.perf_counter() - start
    queue.put(
        (
            seconds,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            len(corpus.documents),
            len(corpus.segments),
            imported_kb,
        )
    )


def _in_fresh_process(target, folder: Path) -> tuple[float, int, int, int, int]:
    context = mp.get_context("spawn")  # a clean interpreter: peak memory is this step's own
    queue = context.Queue()
    process = context.Process(target=target, args=(str(folder), queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0, help="megabytes of transcripts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        nbytes = generate(folder, args.mb)
        mb = nbytes / 1_000_000
        n_files = len(list(folder.glob("*.txt")))
        print(f"generated {mb:.1f} MB in {n_files} transcripts")
        naive_s, naive_kb, _, _, _ = _in_fresh_process(_naive, folder)
        ingest_s, ingest_kb, n_docs, n_segs, imported_kb = _in_fresh_process(_ingest, folder)
    print(
        f"naive read    : {naive_s:6.2f} s  {mb / naive_s:7.1f} MB/s  peak RSS {naive_kb / 1024:6.0f} MB"
    )
    print(
        f"read_corpus   : {ingest_s:6.2f} s  {mb / ingest_s:7.1f} MB/s  peak RSS {ingest_kb / 1024:6.0f} MB"
        f"  ({n_docs} documents, {n_segs} segments)"
    )
    print(
        f"                (of which {imported_kb / 1024:.0f} MB is the interpreter with "
        f"upstreamnlp, pandas and pyarrow imported before reading)"
    )
    print(
        f"ratio         : {ingest_s / naive_s:.1f}x the time, "
        f"{ingest_kb / naive_kb:.1f}x the peak memory of the naive read"
    )
    if ingest_s > 60:
        print("SLOW: read_corpus took more than a minute", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
