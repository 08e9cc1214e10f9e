"""`upstreamnlp validate RUN_DIR --gold GOLD.csv`: agreement with human coding."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from upstreamnlp.cli._app import app, console, handle_errors


@app.command("validate")
@handle_errors
def validate_command(
    run_dir: Path = typer.Argument(
        ..., metavar="RUN_DIR", help="A run folder (upstreamnlp run --out DIR)."
    ),
    gold: list[Path] = typer.Option(
        ...,
        "--gold",
        metavar="FILE",
        help="Human coding CSV: doc_id, start_char, end_char, theme [, determinant_or_action], "
        "offsets into the original documents (before de-identification); a filled-in "
        "`upstreamnlp sample` file (matched by segment_id) or the run's project.qdpx coded in "
        "NVivo/ATLAS.ti/MAXQDA and exported again works too. Repeat it for several coders "
        "(each file's name names its coder).",
    ),
    by: list[str] | None = typer.Option(
        None,
        "--by",
        metavar="COLUMN",
        help="Metadata column to break agreement down by (repeatable); default: the groups "
        "the run compares (compare.by in its config).",
    ),
) -> None:
    """Agreement of the run's theme labels with human coding.

    Prints Cohen's kappa, per-theme precision/recall/F1 and the confusion matrix for the
    run's segments and, when it labelled them (passages.csv), for its passages (each
    segment's sentences), and writes RUN_DIR/validation.json.

    Example: upstreamnlp validate runs/demo --gold corpora/demo/gold_coding.csv

    Example: upstreamnlp validate runs/demo --gold coded.csv --by role --by discipline

    Example: upstreamnlp validate runs/demo --gold anna.docx --gold ben.docx
    """
    from upstreamnlp.report.runfolder import RunFolder
    from upstreamnlp.themes.validation import (
        load_codings,
        read_run_assignments,
        read_run_passages,
        read_training_passages,
        validate,
    )

    folder = RunFolder(run_dir)
    assignments = read_run_assignments(run_dir)
    # labels checked against the codebook's ids: a typo or a theme's name in place of
    # its id is an error naming the row, not a new theme in the confusion matrix
    codebook = folder.codebook(used_only=False)
    gold_frame = load_codings(gold, list(codebook.ids) if codebook else None)
    if codebook is None:
        from upstreamnlp.themes.supervised import OFF_THEME_LABELS

        known = set(folder.theme_ids()) | set(OFF_THEME_LABELS)
        strange = sorted(set(gold_frame["theme"].astype(str)) - known)
        if strange:
            console.print(
                f"note: the run's codebook was not found, so gold labels are not checked; "
                f"{', '.join(strange)} never occur among the run's labels (a typo?)"
            )
    # A run trained on a coded sample is scored only on gold passages it did not learn from.
    training = read_training_passages(run_dir)
    if by is None:
        by = list(((folder.config or {}).get("compare") or {}).get("by") or [])
    passages = read_run_passages(run_dir)
    result = validate(assignments, gold_frame, training=training, by=by, passages=passages)
    console.print(
        f"{result.n_matched} of {result.n_gold} gold passages matched a run segment"
        + (f" ({len(result.unmatched)} unmatched)" if len(result.unmatched) else "")
        + (
            f"; {result.n_excluded_training} left out as training passages"
            if result.n_excluded_training
            else ""
        )
    )
    _print_agreements(result)
    if result.coders is not None and len(result.coders):
        _print_coders(result.coders)
    for note in result.notes:
        console.print(f"note: {note}")
    if result.passages is not None:
        _print_passages(result.passages)
    out = Path(run_dir) / "validation.json"
    data = result.to_dict()
    data["gold"] = str(gold[0]) if len(gold) == 1 else [str(g) for g in gold]
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    console.print(f"wrote {out}")


def _print_agreement(what: str, agreement) -> None:
    from upstreamnlp.themes.validation import interval_text

    interval = ""
    if agreement.kappa_ci is not None:
        interval = f" ({agreement.kappa_ci_method}: {interval_text(*agreement.kappa_ci)})"
    console.print(
        f"[bold]{what}[/]: Cohen's kappa {agreement.kappa:.3f}{interval}, "
        f"accuracy {agreement.accuracy:.3f}, macro-F1 {agreement.macro_f1:.3f}"
    )
    table = Table("label", "precision", "recall", "F1", "n (gold)", title=f"{what}: per label")
    for row in agreement.per_label.itertuples():
        table.add_row(
            str(row.label),
            f"{row.precision:.2f}",
            f"{row.recall:.2f}",
            f"{row.f1:.2f}",
            str(row.support),
        )
    console.print(table)
    confusion = Table(
        "gold \\ run",
        *[str(c) for c in agreement.confusion.columns],
        title=f"{what}: confusion matrix",
    )
    for label, row in agreement.confusion.iterrows():
        confusion.add_row(str(label), *[str(int(v)) for v in row])
    console.print(confusion)


def _print_agreements(result, unit: str = "") -> None:
    """Theme and determinant/action agreement, then agreement within each group, of the
    run's segments or (``unit`` " (passages)") of its passages."""
    if result.n_matched:
        _print_agreement(f"theme{unit}", result.theme)
        if result.determinant_or_action is not None:
            _print_agreement(f"determinant_or_action{unit}", result.determinant_or_action)
    for column, groups in result.by_group.items():
        _print_groups(column, groups, unit)


def _print_passages(result) -> None:
    """The agreement at the run's passages (passages.csv), after the segments'."""
    console.print(
        f"[bold]passages[/] (each segment's sentences, labelled one by one; passages.csv): "
        f"{result.n_matched} gold passages matched a run passage"
    )
    _print_agreements(result, " (passages)")
    for note in result.notes:
        console.print(f"note (passages): {note}")


def _fmt(x) -> str:
    return "-" if x != x else f"{x:.3f}"  # NaN: nothing coded for it


def _print_coders(coders) -> None:
    table = Table(
        "coder",
        "coder",
        "n (both coded)",
        "theme kappa",
        "n (det/action)",
        "det/action kappa",
        title="agreement between coders",
    )
    for row in coders.itertuples(index=False):
        table.add_row(
            str(row.coder_a),
            str(row.coder_b),
            str(row.n),
            _fmt(row.theme_kappa),
            str(row.det_n),
            _fmt(row.det_kappa),
        )
    console.print(table)


def _print_groups(column: str, groups, unit: str = "") -> None:
    from upstreamnlp.themes.validation import kappa_text

    table = Table(
        column,
        "n",
        "theme kappa (95% interval)",
        "theme accuracy",
        "n (det/action)",
        "det/action kappa (95% interval)",
        title=f"agreement by {column}{unit}",
    )
    for row in groups.itertuples(index=False):
        table.add_row(
            str(row.group),
            str(row.n),
            kappa_text(row.theme_kappa, row.theme_kappa_low, row.theme_kappa_high),
            _fmt(row.theme_accuracy),
            str(row.det_n),
            kappa_text(row.det_kappa, row.det_kappa_low, row.det_kappa_high),
        )
    console.print(table)
