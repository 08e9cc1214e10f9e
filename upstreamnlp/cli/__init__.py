"""The command line: a thin typer layer over the library (one module per command).

Each ``upstreamnlp/cli/<command>.py`` registers its command on ``app``; they only parse
options and call library functions. ``UpstreamError`` becomes one line and exit 2.
"""

# Importing the command modules registers their commands on ``app``.
from upstreamnlp.cli import commands  # noqa: F401,E402
from upstreamnlp.cli._app import app

__all__ = ["app"]
