"""Is a run folder finished? A run folder counts only when its manifest.json says
``"status": "complete"`` (a failed or interrupted run never says so)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from upstreamnlp.errors import UpstreamError


def complete_manifest(run_dir: str | Path, required: bool = True) -> dict[str, Any] | None:
    """The run's manifest when the run is complete; an error naming its status when it is
    not. Without a manifest.json: an error, or None when not ``required`` (a folder made
    by hand, e.g. for tests)."""
    run_dir = Path(run_dir)
    path = run_dir / "manifest.json"
    if not path.exists():
        if not required:
            return None
        raise UpstreamError(
            "no manifest.json here", path=run_dir, fix="give a folder written by `upstreamnlp run`."
        )
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("status") != "complete":
        raise UpstreamError(
            f"the run is not complete (status: {manifest.get('status')})",
            path=run_dir,
            fix="run it again with `upstreamnlp run` and use the finished folder.",
        )
    return manifest
