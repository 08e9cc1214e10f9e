"""The demo run a newcomer sees: complete, private, and readable in a browser."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _privacy_pattern() -> re.Pattern:
    terms = pd.read_csv(ROOT / "corpora" / "demo" / "PRIVACY_KEY.csv")["term"].dropna()
    return re.compile(
        r"\b(" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)) + r")\b"
    )


def _texts(run_dir):
    """Every file of the run folder as text (parquet as CSV, the QDPX unzipped)."""
    for path in sorted(run_dir.rglob("*")):
        if path.is_dir() or path.suffix == ".png":
            continue
        if path.suffix == ".qdpx":
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{path.name}:{member}", archive.read(member).decode("utf-8", "replace")
        elif path.suffix == ".parquet":
            yield path.name, pd.read_parquet(path).astype(str).to_csv()
        else:
            yield path.name, path.read_text(encoding="utf-8", errors="replace")


def test_no_privacy_key_term_in_any_file_of_the_demo_run(demo_run_dir):
    pattern = _privacy_pattern()
    leaks = {}
    for name, text in _texts(demo_run_dir):
        found = set(pattern.findall(text))
        if found:
            leaks[name] = sorted(found)[:10]
    assert leaks == {}


def _escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_the_demo_run_is_complete_and_traceable(demo_run_dir):
    manifest = json.loads((demo_run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["pipeline"].startswith("en_core_web_sm")
    assert manifest["embedder"] == "sentence-transformers/all-mpnet-base-v2"
    assignments = pd.read_csv(demo_run_dir / "assignments.csv")
    segments = pd.read_parquet(demo_run_dir / "segments.parquet")
    assert set(assignments["segment_id"]) <= set(segments["segment_id"])
    assert "interviewer" not in set(assignments["speaker_role"].dropna())
    roles = set(assignments["role"].dropna())
    assert {"researcher", "practitioner", "public"} <= roles
    quotes = pd.read_csv(demo_run_dir / "quotes.csv")
    by_id = segments.set_index("segment_id")["text"]
    assert all(by_id[s] == t for s, t in zip(quotes["segment_id"], quotes["text"], strict=True))
    validation = json.loads((demo_run_dir / "validation.json").read_text())
    assert validation["n_matched"] == validation["n_gold"] >= 300
    # agreement within each group the demo compares, adding up to the whole
    for column in ("role", "discipline", "kind"):
        groups = validation["by_group"][column]
        assert sum(g["n"] for g in groups) == validation["n_matched"]
    assert {g["group"] for g in validation["by_group"]["kind"]} == {"paper", "transcript"}
    # every gold passage is also matched to one of the run's sentence-level passages
    passages = pd.read_csv(demo_run_dir / "passages.csv", keep_default_na=False)
    assert set(passages["segment_id"]) == set(assignments["segment_id"])
    assert len(passages) > 2 * len(assignments)
    by_passage = validation["passages"]
    assert by_passage["unit"] == "passage" and by_passage["n_matched"] == validation["n_gold"]
    assert {"kappa", "kappa_ci"} <= set(by_passage["determinant_or_action"])
    report = (demo_run_dir / "report.html").read_text(encoding="utf-8")
    assert "Agreement by role" in report and "Agreement by discipline" in report
    assert "Determinants versus action (passages)" in report
    # the run's warnings reach the page written by the run, beside what they concern
    assert manifest["warnings"] and all(_escaped(w) in report for w in manifest["warnings"])
    compare = report.split('<section id="compare">')[1].split("</section>")[0]
    by_discipline = compare.split('id="compare-discipline"')[1].split('id="compare-')[0]
    assert "political science: a single document, so no bootstrap interval" in by_discipline
    assert "<dt>status</dt><dd>complete</dd>" in report
    for column in ("role", "discipline", "kind"):
        assert (demo_run_dir / "compare" / f"vocabulary_{column}.csv").exists()
    assert (demo_run_dir / "concept" / "concordance.csv").exists()


def test_the_demo_exports_validate_and_every_coded_selection_is_the_segment(demo_run_dir):
    from lxml import etree

    from upstreamnlp.report.qdpx import read_qdpx

    schemas = ROOT / "tests" / "fixtures" / "refi-qda"
    with zipfile.ZipFile(demo_run_dir / "project.qdpx") as archive:
        names = archive.namelist()
        project = etree.fromstring(archive.read("project.qde"))
    assert any(n.startswith("sources/") for n in names)
    assert etree.XMLSchema(etree.parse(str(schemas / "Project.xsd"))).validate(project)
    codebook = etree.parse(str(demo_run_dir / "codebook.qdc"))
    assert etree.XMLSchema(etree.parse(str(schemas / "Codebook.xsd"))).validate(codebook)
    exported = read_qdpx(demo_run_dir / "project.qdpx")
    segments = pd.read_parquet(demo_run_dir / "segments.parquet").set_index("segment_id")["text"]
    assignments = pd.read_csv(demo_run_dir / "assignments.csv")
    themed = assignments[~assignments["theme"].isin(["none", "emergent"])]
    theme_names = {
        "Upstream as prevention",
        "Low-agency population interventions",
        "Action on the social determinants of health",
        "Grass-roots action that shifts power",
    }
    coded = [s for s in exported["selections"] if s["code"] in theme_names]
    assert len(coded) == len(themed) > 100
    for selection in exported["selections"]:
        assert selection["text"] == segments[selection["segment"]]


def test_a_blind_sample_of_the_demo_run_shows_coders_no_machine_judgement(demo_run_dir, tmp_path):
    from typer.testing import CliRunner

    from upstreamnlp.cli import app

    out = tmp_path / "to_code.csv"
    result = CliRunner().invoke(
        app, ["sample", str(demo_run_dir), "--n", "30", "--out", str(out), "--by", "role"]
    )
    assert result.exit_code == 0, result.output
    sample = pd.read_csv(out)
    assert len(sample) == 30
    machine = {
        "theme",
        "theme_score",
        "topic",
        "topic_weight",
        "determinant_or_action",
        "determinant_evidence",
    }
    assert machine.isdisjoint(sample.columns)
    assert {"gold_theme", "gold_determinant_or_action", "text", "role"} <= set(sample.columns)
