"""Assemble the demo corpus's shared files from the writers' parts.

Reads ``_parts/manifest_*.csv``, ``_parts/privacy_*.csv`` and ``_parts/coding_*.csv``
(the coders' quotes) and writes ``manifest.csv``, ``PRIVACY_KEY.csv`` and
``gold_coding.csv``. Gold offsets are found by reading the corpus with upstreamnlp's own
readers, so ``document.text[start_char:end_char] == text`` for every gold row.

Run from the project root:  .venv/bin/python corpora/demo/tools/assemble.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent.parent  # corpora/demo


def _parts(prefix: str) -> pd.DataFrame:
    frames = [
        pd.read_csv(p, dtype=str, keep_default_na=False)
        for p in sorted((HERE / "_parts").glob(f"{prefix}_*.csv"))
    ]
    return pd.concat(frames, ignore_index=True).fillna("")


def build_manifest() -> pd.DataFrame:
    manifest = _parts("manifest")
    if "interview_year" in manifest:
        manifest["year"] = manifest["year"].where(
            manifest["year"] != "", manifest["interview_year"]
        )
        manifest = manifest.drop(columns=["interview_year"])
    columns = ["file", "doc_id", "participant_id", "role", "discipline", "sector", "year"]
    manifest = manifest.reindex(columns=columns).fillna("")
    manifest.to_csv(HERE / "manifest.csv", index=False)
    return manifest


def build_privacy_key() -> pd.DataFrame:
    key = _parts("privacy").drop_duplicates(subset=["term"]).sort_values(["type", "term"])
    key.to_csv(HERE / "PRIVACY_KEY.csv", index=False)
    return key


def _find(text: str, quote: str) -> tuple[int, int] | None:
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    # PDF text layers break lines: match the quote with any whitespace between words
    pattern = r"\s+".join(re.escape(word) for word in quote.split())
    match = re.search(pattern, text)
    return (match.start(), match.end()) if match else None


def build_gold(manifest: pd.DataFrame) -> pd.DataFrame:
    sys.path.insert(0, str(HERE.parent.parent))
    from upstreamnlp.corpus import read_corpus

    corpus = read_corpus([HERE / "transcripts", HERE / "papers"], manifest=HERE / "manifest.csv")
    by_source: dict[str, list] = {}
    for doc in corpus.documents:
        by_source.setdefault(Path(doc.source).resolve().as_posix(), []).append(doc)
    coding = _parts("coding")
    rows, problems = [], []
    for _, row in coding.iterrows():
        docs = by_source.get((HERE / row["file"]).resolve().as_posix(), [])
        if row.get("doc_id"):
            docs = [d for d in docs if d.id == row["doc_id"]]
        hits = [(d, _find(d.text, row["quote"])) for d in docs]
        hits = [(d, span) for d, span in hits if span]
        if len(hits) != 1:
            problems.append(
                f"{row['file']} {row.get('doc_id', '')}: quote found {len(hits)} times: {row['quote'][:60]!r}"
            )
            continue
        doc, (start, end) = hits[0]
        rows.append(
            {
                "gold_id": f"G{len(rows) + 1:03d}",
                "doc_id": doc.id,
                "start_char": start,
                "end_char": end,
                "theme": row["theme"],
                "determinant_or_action": row["determinant_or_action"],
                "text": doc.text[start:end],
            }
        )
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise SystemExit(f"{len(problems)} gold quotes could not be placed")
    gold = pd.DataFrame(rows)
    gold.to_csv(HERE / "gold_coding.csv", index=False)
    return gold


def main() -> None:
    manifest = build_manifest()
    key = build_privacy_key()
    gold = build_gold(manifest)
    print(
        f"manifest: {len(manifest)} rows; privacy key: {len(key)} terms; gold: {len(gold)} passages"
    )
    print(gold["theme"].value_counts().to_string())


if __name__ == "__main__":
    main()
