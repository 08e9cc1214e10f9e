"""``upstreamnlp preprocess CORPUS.parquet --out TOKENS.parquet [--config YAML]``."""

from __future__ import annotations

from pathlib import Path

import typer

from upstreamnlp.cli._app import app, console, handle_errors


def load_preprocess_options(path: Path | None):
    """PreprocessOptions from YAML keys at top level or under ``preprocess:``; a relative
    ``privacy_list`` path is read from the working directory or else the YAML file's
    folder, as ``upstreamnlp run`` reads it."""
    import yaml
    from pydantic import ValidationError

    from upstreamnlp.errors import ConfigError
    from upstreamnlp.preprocess.options import PreprocessOptions

    if path is None:
        return PreprocessOptions()
    if not path.exists():
        raise ConfigError("config file not found", path=path, fix="check the path.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({exc})", path=path) from None
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of options", path=path)
    if "preprocess" in data:
        data = data["preprocess"] or {}
    try:
        options = PreprocessOptions(**data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "?"
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        raise ConfigError(
            message,
            path=path,
            where=f"key '{key}'",
            fix="see PreprocessOptions in upstreamnlp/preprocess/options.py for valid keys.",
        ) from None
    if options.privacy_list is not None:  # as `run` reads it: working directory, then
        from upstreamnlp.config import _resolve  # the config's folder

        options.privacy_list = _resolve(options.privacy_list, path.parent)
    return options


@app.command("preprocess")
@handle_errors
def preprocess_command(
    corpus: Path = typer.Argument(
        ..., metavar="CORPUS", help="CORPUS.parquet written by `upstreamnlp ingest`."
    ),
    out: Path = typer.Option(..., "--out", help="TOKENS.parquet to write."),
    config: Path | None = typer.Option(None, "--config", help="YAML with preprocess options."),
    include_interviewer: bool = typer.Option(
        False, "--include-interviewer", help="Also model the interviewer's turns."
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Default: $UPSTREAMNLP_CACHE or .cache/upstreamnlp."
    ),
) -> None:
    """De-identify, lemmatise, tokenise and find phrases (cached).

    Example: upstreamnlp preprocess corpus.parquet --out tokens.parquet --config demo.yaml
    """
    from rich.table import Table

    from upstreamnlp.corpus.model import Corpus
    from upstreamnlp.preprocess.pipeline import preprocess

    options = load_preprocess_options(config)
    loaded = Corpus.from_parquet(corpus)
    result = preprocess(
        loaded,
        options,
        cache_dir=cache_dir,
        include_interviewer=include_interviewer,
        progress=True,
    )
    result.to_parquet(out)
    stats = result.stats
    table = Table(title=f"preprocessed {corpus.name} -> {out}", show_header=False)
    table.add_row("segments modelled", f"{stats['segments']} ({stats['empty_segments']} empty)")
    table.add_row("tokens", str(stats["tokens"]))
    table.add_row("vocabulary", f"{stats['vocabulary']} ({stats['phrases']} phrases)")
    replaced = ", ".join(f"{k} {v}" for k, v in stats["replacements"].items() if v) or "none"
    table.add_row("replacements", f"{replaced} in {stats['documents_deidentified']} documents")
    table.add_row("pipeline", result.pipeline_name)
    cache = stats["cache"]
    table.add_row("cache", f"{cache['hits']} hits, {cache['misses']} misses ({cache['dir']})")
    table.add_row("seconds", str(stats["seconds"]))
    console.print(table)
