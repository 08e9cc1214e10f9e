"""The typer application and the error handling every command shares."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

app = typer.Typer(
    name="upstreamnlp",
    help=(
        "What do people mean by 'upstream action'? Ingest transcripts and papers, fit topic "
        "models, map them onto a codebook, compare groups, and write a report.\n\n"
        "Example: upstreamnlp run configs/demo.yaml --out runs/demo"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # markdown: a docstring's wrapped lines reflow as one paragraph (rich mode kept the
    # hard line breaks and wrapped again, breaking sentences mid-line)
    rich_markup_mode="markdown",
)
console = Console()
err_console = Console(stderr=True)
state = {"debug": False}


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks on errors."),
) -> None:
    state["debug"] = debug


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input -> one line naming the file and the fix, exit code 2, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from upstreamnlp.errors import UpstreamError

        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except UpstreamError as exc:
            if state["debug"]:
                raise
            err_console.print(
                f"[bold red]error:[/] {exc.one_line()}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:  # noqa: BLE001 - last resort: still no traceback
            if state["debug"]:
                raise
            err_console.print(
                f"[bold red]error:[/] {exc.__class__.__name__}: {exc} "
                "(for the traceback, run again as `upstreamnlp --debug COMMAND ...`)",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from None

    return wrapper


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
