"""The notebooks run top to bottom, through the library API, on the demo corpus."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.slow


def test_there_are_three_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_themes_and_quotes.ipynb",
        "03_comparing_disciplines.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, demo_run_dir, monkeypatch):
    monkeypatch.setenv("UPSTREAMNLP_NOTEBOOK_FAST", "1")
    monkeypatch.setenv("UPSTREAMNLP_NOTEBOOK_RUN_DIR", str(demo_run_dir))
    book = nbformat.read(path, as_version=4)
    assert not any(
        "!upstreamnlp" in c.source or "subprocess" in c.source
        for c in book.cells
        if c.cell_type == "code"
    )
    NotebookClient(
        book, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert os.environ.get("UPSTREAMNLP_NOTEBOOK_FAST") == "1"
