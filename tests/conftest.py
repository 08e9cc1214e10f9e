"""Shared fixtures: one run of the demo config, reused by the demo and notebook tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What the notebooks use under the test suite (UPSTREAMNLP_NOTEBOOK_FAST=1).
FAST_OVERRIDES = ["model.k=[4,6]", "compare.n_boot=200"]


@pytest.fixture(scope="session")
def demo_run_dir(tmp_path_factory) -> Path:
    """The bundled demo config, end to end (fewer k and resamples than `make demo`)."""
    from upstreamnlp.config import load_config
    from upstreamnlp.run import run

    out = tmp_path_factory.mktemp("demo") / "run"
    config = load_config(ROOT / "configs" / "demo.yaml", FAST_OVERRIDES)
    run(config, out, config_path=ROOT / "configs" / "demo.yaml")
    return out


def _tracked_change(tag: str, text: str, text_tag: str = "w:t"):
    """A Word tracked change (``w:ins``, ``w:del``, ``w:moveFrom``) holding one run of
    ``text`` (``w:delText`` inside a deletion), as Word writes it with Track Changes on."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    change = OxmlElement(tag)
    for key, value in (("w:id", "1"), ("w:author", "Coder"), ("w:date", "2026-12-01T10:00:00Z")):
        change.set(qn(key), value)
    run, piece = OxmlElement("w:r"), OxmlElement(text_tag)
    piece.text = text
    run.append(piece)
    change.append(run)
    return change


@pytest.fixture
def tracked_change():
    """Builds Word tracked changes: ``tracked_change("w:ins", "text")``."""
    return _tracked_change
