"""`upstreamnlp run CONFIG.yaml --out DIR [--set key=value]...`"""

from __future__ import annotations

from pathlib import Path

import typer

from upstreamnlp.cli._app import app, console, handle_errors


@app.command("run")
@handle_errors
def run_command(
    config: Path = typer.Argument(
        ..., metavar="CONFIG", help="Run config (YAML); see configs/default.yaml."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder to write."),
    set_: list[str] = typer.Option(
        [],
        "--set",
        metavar="KEY=VALUE",
        help="Override a config key, e.g. --set model.k=8 (repeatable).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
) -> None:
    """Every stage, from raw files to the report, into one run folder.

    Example: upstreamnlp run configs/demo.yaml --out runs/demo --set model.kind=lda
    """
    from upstreamnlp.config import load_config
    from upstreamnlp.run import run

    cfg = load_config(config, set_)
    result = run(cfg, out, progress=not quiet, config_path=config)
    console.print(f"[bold green]Run complete:[/] {result.out_dir}")
    console.print(f"Report: {(result.out_dir / 'report.html').resolve()}")
