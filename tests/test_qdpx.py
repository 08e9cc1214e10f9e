"""REFI-QDA exports: valid against the QDA-XML schemas, offsets that point at the quotes,
identical bytes on re-export."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from upstreamnlp.errors import UpstreamError
from upstreamnlp.report import emergent_codes, export_qdc, export_qdpx, read_qdpx
from upstreamnlp.themes.codebook import load_codebook

FIXTURES = Path(__file__).parent / "fixtures"
_spec = importlib.util.spec_from_file_location("make_run_small", FIXTURES / "make_run_small.py")
make_run_small = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_run_small)


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FIXTURES / "refi-qda" / name)))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run_small.make_run_small(tmp_path_factory.mktemp("run"), figures=False)


def test_qdpx_is_valid_and_holds_sources(run_dir, tmp_path):
    path = export_qdpx(run_dir, path=tmp_path / "project.qdpx")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        project = etree.fromstring(archive.read("project.qde"))
    assert "project.qde" in names
    assert sum(n.startswith("sources/") and n.endswith(".txt") for n in names) == 4
    schema = _schema("Project.xsd")
    assert schema.validate(project), schema.error_log
    ns = {"p": "urn:QDA-XML:project:1.0"}
    for source in project.findall("p:Sources/p:TextSource", ns):
        assert source.get("plainTextPath").startswith("internal://")
        assert source.get("richTextPath") is None
    # one case per participant (the paper is its own case), with typed variables
    cases = {c.get("name") for c in project.findall("p:Cases/p:Case", ns)}
    assert cases == {"P01", "P02", "P03", "paper_01"}
    types = {
        v.get("name"): v.get("typeOfVariable")
        for v in project.findall("p:Variables/p:Variable", ns)
    }
    assert types["year"] == "Integer" and types["role"] == "Text"


def test_every_selection_is_the_segment_text(run_dir, tmp_path):
    contents = read_qdpx(export_qdpx(run_dir, path=tmp_path / "p.qdpx"))
    segments = pd.read_parquet(run_dir / "segments.parquet").set_index("segment_id")
    assignments = pd.read_csv(run_dir / "assignments.csv")
    labelled = set(assignments.loc[assignments["theme"] != "none", "segment_id"])
    selected = {s["segment"] for s in contents["selections"]}
    assert selected == labelled
    for sel in contents["selections"]:
        source_text = contents["sources"][sel["source"]]
        assert source_text[sel["start"] : sel["end"]] == segments.loc[sel["segment"], "text"]
    codes = {
        s["segment"]: s["code"] for s in contents["selections"] if s["code"] != "Upstream action"
    }
    assert codes["P01#2"] == "Upstream as prevention"
    assert codes["P02#3"].startswith("Emergent topic 2")
    # the planted markup survives as text in the source, unchanged
    assert "<script>alert(1)</script> &" in contents["sources"]["P01"]


def test_reexport_gives_identical_bytes(run_dir, tmp_path):
    a = export_qdpx(run_dir, path=tmp_path / "a.qdpx").read_bytes()
    b = export_qdpx(run_dir, path=tmp_path / "b.qdpx").read_bytes()
    assert a == b


def test_qdc_with_emergent_codes_is_valid_and_reads_back(run_dir, tmp_path):
    codebook = load_codebook(run_dir / "themes.yaml")
    extra = emergent_codes(run_dir)
    assert [name for name, _ in extra] == ["Emergent topic 2: community, garden, budget"]
    path = export_qdc(codebook, extra, tmp_path / "codebook.qdc")
    schema = _schema("Codebook.xsd")
    assert schema.validate(etree.parse(str(path))), schema.error_log
    again = load_codebook(path)
    assert again.ids[:3] == ["prevention", "social_determinants", "grassroots"]
    assert "fits none of the codebook" in again.themes[3].description


def test_offsets_out_of_step_are_an_error_naming_the_segment(run_dir, tmp_path):
    broken = make_run_small.make_run_small(tmp_path / "broken", figures=False, concept=False)
    assignments = pd.read_csv(broken / "assignments.csv")
    assignments.loc[0, "start_char"] += 3
    assignments.to_csv(broken / "assignments.csv", index=False)
    with pytest.raises(UpstreamError, match="P01#2"):
        export_qdpx(broken)
