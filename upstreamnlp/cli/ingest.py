"""``upstreamnlp ingest``: read files and folders into a segmented corpus (parquet)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import typer
from rich.table import Table

from upstreamnlp.cli._app import app, console, handle_errors
from upstreamnlp.corpus import Corpus, read_corpus
from upstreamnlp.errors import UpstreamError


def summary_table(corpus: Corpus) -> Table:
    """Documents, segments and words by kind, role and discipline (interviewer included)."""
    kinds = {d.id: d.kind for d in corpus.documents}
    table = Table(title="Corpus", show_lines=False)
    for column in ("by", "group", "documents", "segments", "words", "interviewer segments"):
        table.add_column(column, justify="right" if column[0] in "dswi" else "left")
    for by in ("kind", "role", "discipline"):
        docs: dict[str, set[str]] = defaultdict(set)
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for doc in corpus.documents:
            docs[str(doc.kind if by == "kind" else doc.metadata.get(by, "-"))].add(doc.id)
        for seg in corpus.segments:
            key = str(kinds[seg.doc_id] if by == "kind" else seg.metadata.get(by, "-"))
            counts[key][0] += 1
            counts[key][1] += len(seg.text.split())
            counts[key][2] += seg.is_interviewer
        if by != "kind" and set(docs) == {"-"}:
            continue  # no such metadata: nothing to show
        for group in sorted(docs):
            n_seg, n_words, n_int = counts[group]
            table.add_row(by, group, str(len(docs[group])), str(n_seg), str(n_words), str(n_int))
    return table


@app.command("ingest")
@handle_errors
def ingest(
    paths: list[Path] | None = typer.Argument(
        None,
        metavar="PATHS",
        help="Files or folders (read recursively); default: corpus.paths of --config.",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write FILE.parquet."),
    manifest: Path | None = typer.Option(
        None, "--manifest", "-m", help="CSV with a 'file' column and metadata columns."
    ),
    text_column: str | None = typer.Option(
        None, "--text-column", help="Column with the text in tables (default: text, Abstract...)."
    ),
    id_column: str | None = typer.Option(
        None, "--id-column", help="Column with document ids in tables (default: id)."
    ),
    interviewer_label: list[str] | None = typer.Option(
        None,
        "--interviewer-label",
        metavar="LABEL",
        help="Speaker label of the interviewer (repeat for several; replaces the default "
        "Interviewer, Int, I, Q, Facilitator, Moderator), e.g. --interviewer-label Researcher.",
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="A run config: its corpus settings (paths, manifest, columns, interviewer "
        "labels, segment sizes, papers) as `upstreamnlp run` reads them; options given "
        "here take precedence.",
    ),
) -> None:
    """Read transcripts, papers and tables into documents and segments.

    Writes one row per segment to FILE.parquet (documents' full texts beside it in
    FILE.documents.parquet), prints a summary and every skipped file with its reason.
    The texts are as read, names included: `preprocess` de-identifies them.

    Example: upstreamnlp ingest corpora/demo --manifest corpora/demo/manifest.csv --out corpus.parquet

    Example: upstreamnlp ingest --config configs/demo.yaml --out corpus.parquet
    """
    if out.suffix.lower() != ".parquet":
        raise UpstreamError(
            "the output must be a .parquet file", path=out, fix="use --out FILE.parquet."
        )
    if config is not None:  # segmented as `run` segments it, so the steps reproduce it
        from upstreamnlp.config import load_config
        from upstreamnlp.run import read_config_corpus

        overrides = [f"corpus.paths={[str(p) for p in paths]}"] if paths else []
        overrides += [
            f"corpus.{key}={value}"
            for key, value in (
                ("manifest", manifest),
                ("text_column", text_column),
                ("id_column", id_column),
                ("interviewer_labels", list(interviewer_label or []) or None),
            )
            if value is not None
        ]
        corpus = read_config_corpus(load_config(config, overrides))
        paths = paths or []
    elif not paths:
        raise UpstreamError(
            "no files or folders to read",
            where="ingest",
            fix="give PATHS (files or folders), or --config with corpus.paths",
        )
    else:
        corpus = read_corpus(
            paths,
            manifest=manifest,
            text_column=text_column,
            id_column=id_column,
            interviewer_labels=interviewer_label or None,
        )
    for file, reason in corpus.skipped:
        console.print(f"[yellow]skipped[/] {file}: {reason}", highlight=False, soft_wrap=True)
    for file, message in corpus.warnings:
        console.print(f"[yellow]warning[/] {file}: {message}", highlight=False, soft_wrap=True)
    if not corpus.documents:
        raise UpstreamError(
            f"no usable documents ({len(corpus.skipped)} file(s) skipped, reasons above)",
            path=", ".join(str(p) for p in paths),
            fix="give transcripts (.txt .md .docx .odt .vtt .srt), papers (.pdf .ris .bib .nbib) or "
            "tables (.csv .tsv .jsonl .parquet).",
        )
    console.print(summary_table(corpus))
    corpus.to_parquet(out)
    console.print(
        f"wrote {len(corpus.segments)} segments of {len(corpus.documents)} documents to {out}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        "[yellow]note[/]: these are the texts as read, not yet de-identified (names "
        "included): keep the file with your raw data; `upstreamnlp preprocess` writes the "
        "de-identified version",
        highlight=False,
        soft_wrap=True,
    )
