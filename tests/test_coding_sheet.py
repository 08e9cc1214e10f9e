"""The Word coding sheet: `upstreamnlp sample --out FILE.docx` writes what a coder needs,
and a filled-in sheet validates exactly like the same coding given as CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from typer.testing import CliRunner

from upstreamnlp.cli import app
from upstreamnlp.errors import UpstreamError
from upstreamnlp.themes.validation import load_gold, read_run_assignments, validate

CODEBOOK = """themes:
  - id: prevention
    name: Upstream as prevention
    description: Acting before illness, through screening and early intervention.
  - id: social_determinants
    name: Social determinants
    description: Housing, income and poverty as causes of ill health.
  - id: grassroots
    name: Shifting power
    description: Communities taking control of decisions.
"""


def tiny_run(tmp_path: Path) -> Path:
    """A run folder as `upstreamnlp run` leaves it, reduced to what sample/validate read:
    manifest (with the codebook path), assignments.csv and segments.parquet."""
    run = tmp_path / "run"
    run.mkdir()
    (tmp_path / "themes.yaml").write_text(CODEBOOK, encoding="utf-8")
    manifest = {"status": "complete", "config": {"themes": str(tmp_path / "themes.yaml")}}
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assignments = pd.DataFrame(
        {
            "segment_id": ["A:0", "A:1", "B:0", "B:1"],
            "doc_id": ["A", "A", "B", "B"],
            "topic": [0, 1, 0, 2],
            "topic_weight": 0.8,
            "theme": ["prevention", "social_determinants", "prevention", "none"],
            "theme_score": 0.7,
            "determinant_or_action": ["action", "determinant", "action", "neither"],
            "role": ["researcher", "researcher", "public", "public"],
        }
    )
    assignments.to_csv(run / "assignments.csv", index=False)
    segments = assignments[["segment_id", "doc_id"]].copy()
    segments["start_char"] = [0, 50, 0, 40]
    segments["end_char"] = [49, 120, 39, 90]
    segments["text"] = [
        "We screen early & often.",
        "Damp housing <makes> people ill.",
        "Vaccination stops it first.",
        "Football again.",
    ]
    segments.to_parquet(run / "segments.parquet")
    return run


def _sheet_table(document):
    return next(t for t in document.tables if t.rows[0].cells[0].text == "segment_id")


def _fill(path: Path, codes: dict[str, tuple[str, str]]) -> None:
    """Fill the sheet as a coder would in Word: type into the gold cells of some rows."""
    document = Document(str(path))
    table = _sheet_table(document)
    header = [c.text for c in table.rows[0].cells]
    for row in table.rows[1:]:
        cells = row.cells
        segment_id = cells[header.index("segment_id")].text
        if segment_id in codes:
            theme, aspect = codes[segment_id]
            cells[header.index("gold_theme")].text = theme
            cells[header.index("gold_determinant_or_action")].text = aspect
    document.save(str(path))


def _sample_docx(run: Path, out: Path) -> None:
    result = CliRunner().invoke(app, ["sample", str(run), "--n", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output


def test_sample_writes_a_word_coding_sheet_with_instructions_codebook_and_table(tmp_path):
    run = tiny_run(tmp_path)
    out = tmp_path / "sheet.docx"
    _sample_docx(run, out)
    document = Document(str(out))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Coding sheet" in text
    assert "prevention, social_determinants, grassroots, other" in text
    assert "determinant, action, both or neither" in text
    codebook = document.tables[0]
    rows = [[c.text for c in row.cells] for row in codebook.rows]
    assert rows[0] == ["id", "name", "description"]
    # every codebook theme, also the one the run never used (grassroots), then other
    assert [r[0] for r in rows[1:]] == ["prevention", "social_determinants", "grassroots", "other"]
    assert rows[2][2] == "Housing, income and poverty as causes of ill health."
    table = _sheet_table(document)
    header = [c.text for c in table.rows[0].cells]
    assert header == [
        "segment_id",
        "doc_id",
        "start_char",
        "end_char",
        "about",
        "text",
        "gold_theme",
        "gold_determinant_or_action",
    ]
    body = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert len(body) == 4
    assert {r[0] for r in body} == {"A:0", "A:1", "B:0", "B:1"}
    # the segment's metadata, one "name: value" line per column
    assert {r[4] for r in body} == {"role: researcher", "role: public"}
    assert "Damp housing <makes> people ill." in {r[5] for r in body}
    assert all(r[6] == "" and r[7] == "" for r in body)
    # blind by default: no machine label anywhere in the sheet
    assert not {"theme", "theme_score", "topic", "determinant_or_action"} & set(header)


def test_a_filled_sheet_gives_the_same_agreement_as_the_same_coding_in_csv(tmp_path):
    run = tiny_run(tmp_path)
    out = tmp_path / "sheet.docx"
    _sample_docx(run, out)
    # Word capitalises the first letter typed in a cell: "Action" reads as "action"
    _fill(out, {"A:0": ("prevention", "Action"), "A:1": ("grassroots", "determinant")})
    gold_docx = load_gold(out)
    assert len(gold_docx) == 2  # the two uncoded rows are dropped
    segments = pd.read_parquet(run / "segments.parquet").set_index("segment_id")
    csv = tmp_path / "same.csv"
    pd.DataFrame(
        {
            "doc_id": ["A", "A"],
            "start_char": [segments.at["A:0", "start_char"], segments.at["A:1", "start_char"]],
            "end_char": [segments.at["A:0", "end_char"], segments.at["A:1", "end_char"]],
            "theme": ["prevention", "grassroots"],
            "determinant_or_action": ["action", "determinant"],
        }
    ).to_csv(csv, index=False)
    assignments = read_run_assignments(run)
    from_docx = validate(assignments, gold_docx)
    from_csv = validate(assignments, load_gold(csv))
    assert from_docx.n_matched == from_csv.n_matched == 2
    assert from_docx.theme.kappa == pytest.approx(from_csv.theme.kappa)
    assert from_docx.theme.accuracy == from_csv.theme.accuracy == 0.5
    pd.testing.assert_frame_equal(from_docx.theme.confusion, from_csv.theme.confusion)
    assert from_docx.determinant_or_action.accuracy == 1.0
    # and through the command a researcher runs
    result = CliRunner().invoke(app, ["validate", str(run), "--gold", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((run / "validation.json").read_text())
    assert data["n_gold"] == 2 and data["theme"]["accuracy"] == 0.5
    assert (
        data["theme"]["confusion"]["counts"] == from_csv.to_dict()["theme"]["confusion"]["counts"]
    )


@pytest.mark.parametrize(
    ("cell", "value", "expected"),
    [
        ("gold_theme", "upstream-ish", "unknown theme id 'upstream-ish'"),
        ("gold_determinant_or_action", "cause", "unknown determinant_or_action label 'cause'"),
        ("start_char", "twelve", "column 'start_char' must be a whole number"),
    ],
)
def test_a_bad_cell_names_the_file_the_table_row_and_the_fix(tmp_path, cell, value, expected):
    run = tiny_run(tmp_path)
    out = tmp_path / "sheet.docx"
    _sample_docx(run, out)
    _fill(out, {"A:0": ("prevention", "action"), "A:1": ("prevention", "")})
    document = Document(str(out))
    table = _sheet_table(document)
    header = [c.text for c in table.rows[0].cells]
    row_number = 1 + next(
        i for i, row in enumerate(table.rows) if row.cells[0].text == "A:1"
    )  # Word's count: the heading row is row 1
    table.rows[row_number - 1].cells[header.index(cell)].text = value
    document.save(str(out))
    with pytest.raises(UpstreamError) as info:
        load_gold(out)
    message = str(info.value)
    assert expected in message
    assert "sheet.docx" in message and f"table row {row_number}" in message
    assert "Fix:" in message
    result = CliRunner().invoke(app, ["validate", str(run), "--gold", str(out)])
    assert result.exit_code == 2 and f"table row {row_number}" in result.output
    assert "Traceback" not in result.output


def test_a_csv_with_a_bad_aspect_label_names_its_line(tmp_path):
    path = tmp_path / "gold.csv"
    path.write_text(
        "doc_id,start_char,end_char,theme,determinant_or_action\n"
        "A,0,10,prevention,action\nA,10,20,other,upstream\n"
    )
    with pytest.raises(UpstreamError, match=r"line 3, column determinant_or_action"):
        load_gold(path)


def test_a_sheet_saved_again_by_libreoffice_reads_as_the_sheet_filled_in(tmp_path):
    """The fixture is the sheet ``sample`` writes for ``tiny_run`` (seed 1), filled in as
    below, opened in LibreOffice 7, saved as .odt and then again as .docx: another program's
    XML (no table style, its own paragraph properties) must give the same coding."""
    run = tiny_run(tmp_path)
    out = tmp_path / "sheet.docx"
    _sample_docx(run, out)
    _fill(
        out,
        {
            "A:0": ("Prevention", "action"),
            "A:1": ("grassroots", "determinant"),
            "B:1": ("other", "neither"),
        },
    )
    fixtures = Path(__file__).parent / "fixtures"
    ours = load_gold(out)
    assignments = read_run_assignments(run)
    # the .odt is that LibreOffice .odt itself, as a coder who keeps LibreOffice's own
    # format would return it (its thumbnail image taken out of the archive)
    for name in ("coding_sheet_saved_by_libreoffice.docx", "coding_sheet_saved_by_libreoffice.odt"):
        theirs = load_gold(fixtures / name)
        assert len(theirs) == 3 and set(theirs["segment_id"]) == {"A:0", "A:1", "B:1"}, name
        pd.testing.assert_frame_equal(theirs, ours)
        assert validate(assignments, theirs).to_dict() == validate(assignments, ours).to_dict()


def test_codes_typed_with_track_changes_on_are_read_as_if_accepted(tmp_path, tracked_change):
    """With Word's Track Changes on, typed text sits in <w:ins> and deleted text in
    <w:delText>: the codes must read as the coder sees them once changes are accepted."""
    run = tiny_run(tmp_path)
    out = tmp_path / "sheet.docx"
    _sample_docx(run, out)
    document = Document(str(out))
    table = _sheet_table(document)
    header = [c.text for c in table.rows[0].cells]
    rows = {row.cells[0].text: row.cells for row in table.rows[1:]}
    theme, aspect = header.index("gold_theme"), header.index("gold_determinant_or_action")
    # A:0 typed in full with tracking on
    rows["A:0"][theme].paragraphs[0]._p.append(tracked_change("w:ins", "prevention"))
    rows["A:0"][aspect].paragraphs[0]._p.append(tracked_change("w:ins", "Action"))
    # A:1 coded grassroots, then corrected to social_determinants with tracking on
    cell = rows["A:1"][theme].paragraphs[0]._p
    cell.append(tracked_change("w:del", "grassroots", "w:delText"))
    cell.append(tracked_change("w:ins", "social_determinants"))
    # B:0: "other" moved away to another cell and "prevention" left
    cell = rows["B:0"][theme].paragraphs[0]._p
    cell.append(tracked_change("w:moveFrom", "other"))
    cell.append(tracked_change("w:ins", "prevention"))
    document.save(str(out))
    gold = load_gold(out).set_index("segment_id")
    assert sorted(gold.index) == ["A:0", "A:1", "B:0"]  # B:1 was left uncoded
    assert gold.loc["A:0", "theme"] == "prevention"
    assert gold.loc["A:0", "determinant_or_action"] == "action"
    assert gold.loc["A:1", "theme"] == "social_determinants"
    assert gold.loc["B:0", "theme"] == "prevention"


def test_validate_refuses_a_label_outside_the_codebook_and_an_uncoded_sample(tmp_path):
    """A typo, or a theme's name in place of its id, must not become a new theme in the
    confusion matrix; a sample nobody has coded yet gets a plain answer."""
    run = tiny_run(tmp_path)
    out = tmp_path / "sample.csv"
    result = CliRunner().invoke(app, ["sample", str(run), "--n", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    blank = CliRunner().invoke(app, ["validate", str(run), "--gold", str(out)])
    assert blank.exit_code == 2
    assert "no segment is coded yet" in blank.output and "sample.csv" in blank.output
    sample = pd.read_csv(out, keep_default_na=False, encoding="utf-8-sig")
    sample["gold_theme"] = ["prevention", "Shifting power", "prevnetion", "other"]
    sample.to_csv(out, index=False)
    typo = CliRunner().invoke(app, ["validate", str(run), "--gold", str(out)])
    assert typo.exit_code == 2 and "Traceback" not in typo.output
    assert "line 3" in typo.output and "unknown theme id 'shifting power'" in typo.output.lower()
    assert "grassroots" in typo.output  # the ids it may use, also those the run never gave
    sample["gold_theme"] = ["prevention", "grassroots", "prevention", "other"]
    sample.to_csv(out, index=False)
    assert CliRunner().invoke(app, ["validate", str(run), "--gold", str(out)]).exit_code == 0


def test_a_word_file_without_the_segment_table_is_refused(tmp_path):
    path = tmp_path / "notes.docx"
    document = Document()
    document.add_paragraph("my notes")
    document.save(str(path))
    with pytest.raises(UpstreamError, match="heading row names doc_id"):
        load_gold(path)


def test_the_segment_table_fits_the_page_however_many_metadata_columns():
    from upstreamnlp.themes.coding_sheet import (
        _segment_widths,
        coding_sheet_columns,
        coding_sheet_frame,
    )

    location = ["segment_id", "doc_id", "start_char", "end_char"]
    gold = ["gold_theme", "gold_determinant_or_action"]
    for n_metadata in (0, 3, 12, 30):
        for labels in ([], ["theme", "theme_score", "topic", "determinant_or_action"]):
            metadata = [f"meta{i}" for i in range(n_metadata)]
            columns = coding_sheet_columns(location + ["text"] + labels + metadata + gold)
            # however many metadata columns, they share one "about" column
            assert columns == location + labels + (["about"] if metadata else []) + ["text"] + gold
            widths = _segment_widths(columns)
            assert set(widths) == set(columns)
            assert sum(w.cm for w in widths.values()) <= 26.7 + 1e-6
            assert widths["text"].cm >= max(w.cm for w in widths.values()) - 1e-6
            assert widths["text"].cm >= 7.5  # a readable column, whatever else is shown
    sample = pd.DataFrame(
        {
            "segment_id": ["A:0", "A:1"],
            "doc_id": ["A", "A"],
            "start_char": [0, 50],
            "end_char": [49, 120],
            "text": ["one", "two"],
            "role": ["researcher", "researcher"],
            "discipline": ["sociology", None],
            "year": [2021, 2021],
            "gold_theme": ["", ""],
            "gold_determinant_or_action": ["", ""],
        }
    )
    frame = coding_sheet_frame(sample)
    # empty values are left out of "about"
    assert list(frame["about"]) == [
        "role: researcher\ndiscipline: sociology\nyear: 2021",
        "role: researcher\nyear: 2021",
    ]
    assert list(frame["text"]) == ["one", "two"] and list(frame["start_char"]) == [0, 50]


def test_a_filled_sheet_is_a_coded_sample_to_learn_from(tmp_path):
    from upstreamnlp.themes.supervised import load_coded_sample

    run = tiny_run(tmp_path)
    out = tmp_path / "sheet.docx"
    _sample_docx(run, out)
    _fill(out, {"A:0": ("prevention", "action"), "A:1": ("social_determinants", "Determinant")})
    coded = load_coded_sample(out, ["prevention", "social_determinants", "grassroots"])
    coded = coded.sort_values("start_char")  # the sheet lists the sample in drawn order
    assert list(coded["theme"]) == ["prevention", "social_determinants"]
    assert list(coded["determinant_or_action"]) == ["action", "determinant"]
    assert list(coded["start_char"]) == [0, 50] and list(coded["end_char"]) == [49, 120]
    # a theme the run's codebook does not have is refused, naming the sheet's row
    _fill(out, {"B:0": ("upstreamish", "action")})
    with pytest.raises(UpstreamError, match="unknown theme id 'upstreamish'") as error:
        load_coded_sample(out, ["prevention", "social_determinants", "grassroots"])
    assert "table row" in str(error.value)


def test_the_written_table_grid_gives_the_text_column_the_room(tmp_path):
    # LibreOffice lays a table out from its grid, Word from its cells: both carry the widths
    out = tmp_path / "sheet.docx"
    _sample_docx(tiny_run(tmp_path), out)
    table = Document(str(out)).tables[-1]
    header = [cell.text for cell in table.rows[0].cells]
    grid = {name: table.columns[i].width for i, name in enumerate(header)}
    cells = {name: table.rows[1].cells[i].width for i, name in enumerate(header)}
    assert grid == cells
    assert grid["text"] == max(grid.values()) and grid["text"].cm >= 8
    # every table fits between the margins of the page it is printed on (A4 landscape)
    section = Document(str(out)).sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (29.7, 21.0)
    room = section.page_width.cm - section.left_margin.cm - section.right_margin.cm
    for table in Document(str(out)).tables:
        assert sum(column.width.cm for column in table.columns) <= room + 1e-3
