"""Imports every command module so that its command is registered on ``app``."""

import importlib

# One module per command; a module that is not written yet is simply absent.
for _name in ("ingest", "preprocess", "run", "validate", "sample"):
    try:
        importlib.import_module(f"upstreamnlp.cli.{_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"upstreamnlp.cli.{_name}":
            raise
