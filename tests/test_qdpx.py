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
    # read back as a codebook (a researcher editing it in NVivo and re-using it): the
    # emergent topic is a candidate code, not a theme, until the researcher makes it one
    again = load_codebook(path)
    assert again.ids == ["prevention", "social_determinants", "grassroots"]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("a candidate for a new code", "community gardening"), "utf-8")
    adopted = load_codebook(path)
    assert len(adopted.ids) == 4 and "fits none of the codebook" in adopted.themes[3].description


def test_offsets_out_of_step_are_an_error_naming_the_segment(run_dir, tmp_path):
    broken = make_run_small.make_run_small(tmp_path / "broken", figures=False, concept=False)
    assignments = pd.read_csv(broken / "assignments.csv")
    assignments.loc[0, "start_char"] += 3
    assignments.to_csv(broken / "assignments.csv", index=False)
    with pytest.raises(UpstreamError, match="P01#2"):
        export_qdpx(broken)


def _code_as(project: etree._Element, coder: str, codings: list[tuple[str, int, int, list[str]]]):
    """Add a human coder's codings to a project, as NVivo or QualCoder would: for each
    (source name, start, end, code names) one selection coded by ``coder``."""
    ns = "urn:QDA-XML:project:1.0"
    user = etree.SubElement(project.find(f"{{{ns}}}Users"), f"{{{ns}}}User")
    user.set("guid", "11111111-2222-3333-4444-555555555555")
    user.set("name", coder)
    guid_of = {c.get("name"): c.get("guid") for c in project.iter(f"{{{ns}}}Code")}
    for code in project.iter(f"{{{ns}}}Code"):  # theme codes also by their theme id
        description = code.findtext(f"{{{ns}}}Description") or ""
        if "Theme id: " in description:
            guid_of.setdefault(description.split("Theme id: ")[-1].strip(), code.get("guid"))
    sources = {s.get("name"): s for s in project.iter(f"{{{ns}}}TextSource")}
    for n, (source, start, end, codes) in enumerate(codings):
        sel = etree.SubElement(sources[source], f"{{{ns}}}PlainTextSelection")
        sel.set("guid", f"00000000-0000-0000-0000-{n:012d}")
        sel.set("startPosition", str(start))
        sel.set("endPosition", str(end))
        sel.set("creatingUser", user.get("guid"))
        for code in codes:
            coding = etree.SubElement(sel, f"{{{ns}}}Coding")
            coding.set("guid", f"00000000-0000-0000-0001-{n:06d}{len(code):06d}")
            coding.set("creatingUser", user.get("guid"))
            etree.SubElement(coding, f"{{{ns}}}CodeRef").set("targetGUID", guid_of[code])


def test_human_coding_in_the_exported_project_reads_back_as_gold(run_dir, tmp_path):
    from upstreamnlp.themes import load_gold, validate
    from upstreamnlp.themes.validation import read_run_assignments

    exported = export_qdpx(run_dir, path=tmp_path / "project.qdpx")
    with zipfile.ZipFile(exported) as archive:
        entries = {n: archive.read(n) for n in archive.namelist()}
    project = etree.fromstring(entries["project.qde"])
    segments = pd.read_parquet(run_dir / "segments.parquet").set_index("segment_id")
    p01_2, p02_2, p03_1 = (segments.loc[s] for s in ("P01#2", "P02#2", "P03#1"))
    # a coder agrees on P01#2, codes a sentence inside P02#2 as grassroots/action, and
    # marks P03#1 as fitting no theme; the run's own codings stay in the project
    _code_as(
        project,
        "Coder A",
        [
            ("P01", int(p01_2.start_char), int(p01_2.end_char), ["prevention", "Upstream action"]),
            (
                "P02",
                int(p02_2.start_char) + 5,
                int(p02_2.end_char) - 5,
                ["grassroots", "Upstream action"],
            ),
            (
                "P03",
                int(p03_1.start_char),
                int(p03_1.end_char),
                ["Other (no theme)", "Neither determinant nor action"],
            ),
        ],
    )
    entries["project.qde"] = etree.tostring(project, xml_declaration=True, encoding="UTF-8")
    coded = tmp_path / "coded.qdpx"
    with zipfile.ZipFile(coded, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    gold = load_gold(coded)
    assert list(gold["doc_id"]) == ["P01", "P02", "P03"]  # the run's own codings left out
    assert list(gold["theme"]) == ["prevention", "grassroots", "other"]
    assert list(gold["determinant_or_action"]) == ["action", "action", "neither"]
    assert set(gold["coder"]) == {"Coder A"}
    assert gold["text"].iloc[0] == p01_2.text  # offsets into the project's (run's) texts
    result = validate(read_run_assignments(run_dir), gold)
    assert list(result.matches["segment_id"]) == ["P01#2", "P02#2", "P03#1"]
    assert result.theme.confusion.loc["grassroots", "social_determinants"] == 1
    assert result.theme.accuracy == pytest.approx(1 / 3)  # P03#1: the run said prevention
    # the same project is a coded sample to learn from: its texts are the run's own
    from upstreamnlp.corpus.model import Corpus
    from upstreamnlp.themes.supervised import coded_passage_texts, load_coded_sample

    sample = load_coded_sample(coded, ["prevention", "grassroots", "social_determinants"])
    corpus = Corpus.from_parquet(run_dir / "segments.parquet")
    assert coded_passage_texts(sample, corpus)[:2] == [p01_2.text, p02_2.text[5:-5]]


def _exported(run_dir: Path, tmp_path: Path) -> tuple[dict[str, bytes], etree._Element]:
    exported = export_qdpx(run_dir, path=tmp_path / "project.qdpx")
    with zipfile.ZipFile(exported) as archive:
        entries = {n: archive.read(n) for n in archive.namelist()}
    return entries, etree.fromstring(entries["project.qde"])


def _save(entries: dict[str, bytes], project: etree._Element, path: Path) -> Path:
    entries = {**entries, "project.qde": etree.tostring(project, encoding="UTF-8")}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _selection(source, n: int, start: int, end: int, user: str | None, codes: list[str]):
    """One PlainTextSelection; ``codes`` are (code guid, coding user or None) pairs."""
    ns = "urn:QDA-XML:project:1.0"
    sel = etree.SubElement(source, f"{{{ns}}}PlainTextSelection")
    sel.set("guid", f"00000000-0000-0000-0002-{n:012d}")
    sel.set("startPosition", str(start))
    sel.set("endPosition", str(end))
    if user:
        sel.set("creatingUser", user)
    for k, (code, coding_user) in enumerate(codes):
        coding = etree.SubElement(sel, f"{{{ns}}}Coding")
        coding.set("guid", f"00000000-0000-0000-0003-{n:06d}{k:06d}")
        if coding_user:
            coding.set("creatingUser", coding_user)
        etree.SubElement(coding, f"{{{ns}}}CodeRef").set("targetGUID", code)


def test_exported_project_names_a_coder_first(run_dir, tmp_path):
    # QualCoder names its coder after an imported project's first user; were that the
    # run's user, a coder's codings would read back as the run's own
    _, project = _exported(run_dir, tmp_path)
    names = [u.get("name") for u in project.iter("{urn:QDA-XML:project:1.0}User")]
    assert names == ["coder", "upstreamnlp"]


def test_coding_as_other_programs_write_it_reads_the_same(run_dir, tmp_path):
    """The same human coding in the shapes QDA programs export: QualCoder (one selection
    per code, texts with a byte-order mark, on Windows with CRLF line ends in `Sources/`),
    ATLAS.ti (two coders in one selection), NVivo (no user named on the coding, the
    determinant/action code on an overlapping span)."""
    from upstreamnlp.themes import load_gold

    ns = "urn:QDA-XML:project:1.0"
    segments = pd.read_parquet(run_dir / "segments.parquet").set_index("segment_id")
    p01_2, p02_2 = segments.loc["P01#2"], segments.loc["P02#2"]
    a, b = "11111111-2222-3333-4444-00000000000a", "11111111-2222-3333-4444-00000000000b"

    def project_with(add) -> tuple[dict, etree._Element]:
        entries, project = _exported(run_dir, tmp_path)
        users = project.find(f"{{{ns}}}Users")
        for guid, name in ((a, "Coder A"), (b, "Coder B")):
            etree.SubElement(users, f"{{{ns}}}User", guid=guid, name=name)
        code = {c.get("name"): c.get("guid") for c in project.iter(f"{{{ns}}}Code")}
        sources = {s.get("name"): s for s in project.iter(f"{{{ns}}}TextSource")}
        add(code, sources)
        return entries, project

    PREVENTION, SOCIAL = "Upstream as prevention", "Action on the social determinants"
    span1 = (int(p01_2.start_char), int(p01_2.end_char))
    span2 = (int(p02_2.start_char), int(p02_2.end_char))

    def qualcoder(code, sources):  # one selection per code, user on both
        n = 0
        for doc, span, codes in (
            ("P01", span1, [PREVENTION, "Upstream action"]),
            ("P02", span2, ["Upstream determinant", SOCIAL, "Upstream action"]),
        ):
            for name in codes:
                n += 1
                _selection(sources[doc], n, *span, a, [(code[name], a)])

    entries, project = project_with(qualcoder)
    gold = load_gold(_save(entries, project, tmp_path / "qualcoder.qdpx"))
    assert list(gold["theme"]) == ["prevention", "social_determinants"]
    # P02 got the determinant and the action code: both
    assert list(gold["determinant_or_action"]) == ["action", "both"]
    assert list(gold["text"]) == [p01_2.text, p02_2.text]
    # the texts as QualCoder writes them: BOM; on Windows CRLF and (older) `Sources/`
    for folder, line_end in (("sources/", "\n"), ("Sources/", "\r\n")):
        moved = {
            (folder + n.split("/", 1)[1] if n.startswith("sources/") else n): (
                ("\ufeff" + d.decode("utf-8").replace("\n", line_end)).encode("utf-8")
                if n.startswith("sources/")
                else d
            )
            for n, d in entries.items()
        }
        again = load_gold(_save(moved, project, tmp_path / "windows.qdpx"))
        assert list(again["text"]) == [p01_2.text, p02_2.text], folder
        assert list(again["start_char"]) == list(gold["start_char"])

    def atlas(code, sources):  # two coders in one selection, users on the codings
        _selection(
            sources["P01"],
            1,
            *span1,
            a,
            [
                (code[PREVENTION], a),
                (code["Upstream action"], a),
                (code[SOCIAL], b),
                (code["Upstream determinant"], b),
            ],
        )

    entries, project = project_with(atlas)
    gold = load_gold(_save(entries, project, tmp_path / "atlas.qdpx"))
    columns = ["coder", "theme", "determinant_or_action"]
    assert list(gold[columns].itertuples(index=False, name=None)) == [
        ("Coder A", "prevention", "action"),
        ("Coder B", "social_determinants", "determinant"),
    ]

    def nvivo(code, sources):  # no users; aspects on spans that overlap the theme's
        start, end = span1
        _selection(sources["P01"], 1, start, end, None, [(code[PREVENTION], None)])
        _selection(sources["P01"], 2, start - 10, end - 5, None, [(code["Upstream action"], None)])
        start, end = span2
        _selection(sources["P02"], 3, start, end, None, [(code[SOCIAL], None)])
        tail = (start + end) // 2 + 3  # covers less than half of the theme's span
        _selection(sources["P02"], 4, tail, end, None, [(code["Upstream determinant"], None)])

    entries, project = project_with(nvivo)
    gold = load_gold(_save(entries, project, tmp_path / "nvivo.qdpx"))
    assert list(gold["theme"]) == ["prevention", "social_determinants"]
    assert list(gold["determinant_or_action"]) == ["action", ""]


def _one_source_project(path: Path, text: str, selections: list[tuple[int, int, str]]) -> Path:
    """A minimal exported project: one text, a coder, the prevention code, and
    ``selections`` (start, end, name) each coded with it by the coder."""
    ns = "urn:QDA-XML:project:1.0"
    project = etree.Element(f"{{{ns}}}Project", nsmap={None: ns}, name="p")
    users = etree.SubElement(project, f"{{{ns}}}Users")
    etree.SubElement(users, f"{{{ns}}}User", guid="u1", name="Coder A")
    codes = etree.SubElement(etree.SubElement(project, f"{{{ns}}}CodeBook"), f"{{{ns}}}Codes")
    code = etree.SubElement(codes, f"{{{ns}}}Code", guid="c1", name="Prevention")
    etree.SubElement(code, f"{{{ns}}}Description").text = "Acting early.\nTheme id: prevention"
    sources = etree.SubElement(project, f"{{{ns}}}Sources")
    source = etree.SubElement(
        sources, f"{{{ns}}}TextSource", guid="s1", name="T1", plainTextPath="internal://t1.txt"
    )
    for n, (start, end, name) in enumerate(selections):
        _selection(source, n, start, end, "u1", [("c1", "u1")])
        if name:
            source[-1].set("name", name)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", etree.tostring(project, encoding="UTF-8"))
        archive.writestr("sources/t1.txt", text.encode("utf-8"))
    return path


def test_positions_counted_in_utf16_units_are_read_as_characters(tmp_path):
    """After an emoji (one character, two UTF-16 code units) a Qt-, .NET- or Java-based
    program's positions run one ahead of Python's; the selected text such programs write
    as the selection's name (QualCoder) shows which count a project uses."""
    from upstreamnlp.themes.qda_coding import read_qdpx_coding

    text = "P01: Loved it \U0001f600 honestly.\nP01: We set up a food co-op on the estate.\n"
    quote = "We set up a food co-op on the estate."
    start = text.index(quote)  # in characters
    units = len(text[:start].encode("utf-16-le")) // 2  # in UTF-16 code units
    assert units == start + 1
    end = start + len(quote)
    # QualCoder-like: positions in code units, the quote as the name; a second selection
    # without a name in the same source follows the first's count
    gold, _ = read_qdpx_coding(
        _one_source_project(
            tmp_path / "utf16.qdpx",
            text,
            [(units, units + len(quote), quote), (units, units + 9, "")],
        )
    )
    assert list(gold["text"]) == ["We set up", quote]  # in the order of their spans
    assert list(gold["start_char"]) == [start, start]
    # positions in characters with the quote as the name: unchanged
    gold, _ = read_qdpx_coding(
        _one_source_project(tmp_path / "chars.qdpx", text, [(start, end, quote)])
    )
    assert (gold.loc[1, "start_char"], gold.loc[1, "text"]) == (start, quote)
    # no names to judge by: characters, as the standard says
    gold, _ = read_qdpx_coding(
        _one_source_project(tmp_path / "bare.qdpx", text, [(start, end, "")])
    )
    assert gold.loc[1, "text"] == quote


def test_a_coding_sample_as_a_project_marks_the_sample_and_reads_back(run_dir, tmp_path):
    from typer.testing import CliRunner

    from upstreamnlp.cli import app
    from upstreamnlp.themes import load_gold, validate
    from upstreamnlp.themes.validation import read_run_assignments

    out = tmp_path / "to_code.qdpx"
    args = ["sample", str(run_dir), "--n", "3", "--seed", "2", "--out"]
    result = CliRunner().invoke(app, [*args, str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        project = etree.fromstring(archive.read("project.qde"))
    schema = _schema("Project.xsd")
    assert schema.validate(project), schema.error_log
    # the same segments as the CSV sample with the same seed, each marked and nothing else
    assert CliRunner().invoke(app, [*args, str(tmp_path / "s.csv")]).exit_code == 0
    drawn = list(pd.read_csv(tmp_path / "s.csv")["segment_id"])
    contents = read_qdpx(out)
    assert sorted(s["segment"] for s in contents["selections"]) == sorted(drawn)
    assert {s["code"] for s in contents["selections"]} == {"To code (sample)"}  # blind
    segments = pd.read_parquet(run_dir / "segments.parquet").set_index("segment_id")
    for sel in contents["selections"]:
        assert sel["text"] == segments.loc[sel["segment"], "text"]
    assert len(contents["sources"]) == 4  # whole documents, to read the passages in
    # with the run's labels shown, a labelled segment carries its theme code too
    shown = tmp_path / "shown.qdpx"
    assert CliRunner().invoke(app, [*args, str(shown), "--show-labels"]).exit_code == 0
    codes = {(s["segment"], s["code"]) for s in read_qdpx(shown)["selections"]}
    labels = pd.read_csv(run_dir / "assignments.csv").set_index("segment_id")["theme"]
    themed = [sid for sid in drawn if labels[sid] not in ("none", "mixed")]
    assert themed and all(
        any(sid == seg and code != "To code (sample)" for seg, code in codes) for sid in themed
    )
    # a coder codes the marked passages; the export's rows are the gold, matched to them
    with zipfile.ZipFile(out) as archive:
        entries = {n: archive.read(n) for n in archive.namelist()}
    project = etree.fromstring(entries["project.qde"])
    marked = [(s["source"], s["start"], s["end"], s["segment"]) for s in contents["selections"]]
    _code_as(project, "Coder A", [(doc, a, b, ["other"]) for doc, a, b, _ in marked])
    gold = load_gold(_save(entries, project, tmp_path / "coded.qdpx"))
    assert len(gold) == 3 and set(gold["theme"]) == {"other"}
    matched = validate(read_run_assignments(run_dir), gold).matches
    assert sorted(matched["segment_id"]) == sorted(drawn)
