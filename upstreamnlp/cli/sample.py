"""`upstreamnlp sample RUN_DIR --n N --out FILE`: segments for human coding."""

from __future__ import annotations

from pathlib import Path

import typer

from upstreamnlp.cli._app import app, console, handle_errors


@app.command("sample")
@handle_errors
def sample_command(
    run_dir: Path = typer.Argument(
        ..., metavar="RUN_DIR", help="A run folder (upstreamnlp run --out DIR)."
    ),
    n: int = typer.Option(..., "--n", help="How many segments to sample."),
    out: Path = typer.Option(
        ...,
        "--out",
        help="The file to write: .csv, .docx for a Word coding sheet, or .qdpx for a "
        "REFI-QDA project (NVivo, ATLAS.ti, MAXQDA, QualCoder) with the sample marked.",
    ),
    by: str = typer.Option(
        "theme", "--by", metavar="COLUMN", help="Column to stratify on (theme or metadata)."
    ),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same sample)."),
    blind: bool = typer.Option(
        True, "--blind/--show-labels", help="Hide the machine labels from coders (default)."
    ),
) -> None:
    """A stratified random sample of segments for human coding (CSV, Word or REFI-QDA).

    The file has empty gold_theme and gold_determinant_or_action columns; fill them in
    and give the file to `upstreamnlp validate RUN_DIR --gold FILE`. A .docx is a coding
    sheet with instructions, the run's codebook and one table row per segment. A .qdpx
    is the run's documents and codebook with the sampled segments coded `To code
    (sample)`: code them in your QDA program, export the project and give it to
    `validate --gold`.

    Example: upstreamnlp sample runs/demo --n 100 --out coding_sample.csv --by discipline

    Example: upstreamnlp sample runs/demo --n 60 --out coding_sheet.docx

    Example: upstreamnlp sample runs/demo --n 60 --out to_code.qdpx
    """
    from upstreamnlp.errors import UpstreamError
    from upstreamnlp.themes.coding_sheet import MACHINE_COLUMNS
    from upstreamnlp.themes.validation import read_run_assignments, sample_for_coding

    if out.suffix.lower() not in (".csv", ".docx", ".qdpx"):
        raise UpstreamError(
            f"cannot write a coding sample as {out.suffix or 'a file without extension'}",
            path=out,
            fix="name the file .csv, .docx (Word coding sheet) or .qdpx (REFI-QDA project)",
        )
    assignments = read_run_assignments(run_dir, need_text=True)
    sample = sample_for_coding(assignments, n=n, by=by or None, seed=seed)
    if out.suffix.lower() == ".qdpx":  # the run's documents, the sample marked for coding
        from upstreamnlp.report.qdpx import export_qdpx

        export_qdpx(run_dir, path=out, sample=sample["segment_id"], blind=blind)
        console.print(
            f"wrote a REFI-QDA project with {len(sample)} segments to code to {out}"
            + (" (blind)" if blind else "")
        )
        return
    first = ["segment_id", "doc_id", "start_char", "end_char", "text"]
    hidden = set(MACHINE_COLUMNS) if blind else set()  # the run's labels, hidden from coders
    gold = ["gold_theme", "gold_determinant_or_action"]
    # a coder reads the de-identified text; the original offsets would only clutter it
    hidden |= {"source_start_char", "source_end_char"}
    rest = [c for c in sample.columns if c not in first + gold and c not in hidden]
    sample = sample[[c for c in first if c in sample.columns] + rest + gold]
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".docx":
        from upstreamnlp.report.runfolder import RunFolder
        from upstreamnlp.themes.coding_sheet import write_coding_sheet

        folder = RunFolder(run_dir)
        note = (
            f"{len(sample)} segments drawn from the run {run_dir.name}"
            + (f", stratified by {by}" if by else "")
            + f", seed {seed}"
            + ("; the run's own labels are hidden." if blind else "; the run's labels are shown.")
        )
        write_coding_sheet(
            sample,
            out,
            codebook=folder.codebook(used_only=False),
            theme_ids=folder.theme_ids(),
            title=f"Coding sheet: {run_dir.name}",
            note=note,
        )
    else:
        # with a byte-order mark: Excel then opens it as UTF-8 (quotes, accents intact)
        sample.to_csv(out, index=False, encoding="utf-8-sig")
    console.print(f"wrote {len(sample)} segments to {out}" + (" (blind)" if blind else ""))
