"""A Word coding sheet: the sample ``upstreamnlp sample`` draws, as a .docx a human coder
fills in (instructions, the codebook, one table row per segment), and reading it back.

Many coders work in Word rather than a spreadsheet; the sheet carries everything they need
on paper. ``read_coding_sheet`` only reads the table: the checks of offsets and labels are
those ``validation.load_gold`` applies to a CSV, so both formats are held to one standard.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from upstreamnlp.errors import UpstreamError
from upstreamnlp.themes.codebook import Codebook

GOLD_THEME = "gold_theme"
GOLD_ASPECT = "gold_determinant_or_action"
LOCATION_COLUMNS = ("segment_id", "doc_id", "start_char", "end_char")
CODEBOOK_HEADER = ("id", "name", "description")
ASPECTS = (
    ("determinant", "it describes a cause of ill health or inequality (income, housing, power)"),
    ("action", "it describes or proposes doing something, and which way that is aimed"),
    ("both", "it does both"),
    ("neither", "it does neither (e.g. off-topic talk)"),
)
OTHER_DESCRIPTION = "No theme of the codebook fits the segment."
# the run's own labels (assignments.csv): hidden from coders unless asked for
MACHINE_COLUMNS = (
    "theme",
    "theme_score",
    "topic",
    "topic_weight",
    "determinant_or_action",
    "determinant_evidence",
    "label_source",
)
# the segment's metadata (role, discipline, year, ...), one "name: value" line each
ABOUT = "about"
PAGE_CM = (29.7, 21.0)  # A4 landscape, width x height
MARGIN_CM = 1.5
TEXT_WIDTH_CM = PAGE_CM[0] - 2 * MARGIN_CM  # what a table may take: 26.7 cm


def coding_sheet_columns(columns: Sequence[str]) -> list[str]:
    """The sheet's column order: where the segment is, the run's labels (when shown), one
    ``about`` column for all its metadata (when it has any), its text, then the two
    columns the coder fills in."""
    tail = ["text", GOLD_THEME, GOLD_ASPECT]
    machine = [c for c in MACHINE_COLUMNS if c in columns]
    metadata = [c for c in columns if c not in (*LOCATION_COLUMNS, *tail, *machine)]
    return (
        [c for c in LOCATION_COLUMNS if c in columns]
        + machine
        + ([ABOUT] if metadata else [])
        + tail
    )


def coding_sheet_frame(sample: pd.DataFrame) -> pd.DataFrame:
    """``sample`` as the sheet shows it (``coding_sheet_columns``): the metadata columns
    folded into ``about``, one "name: value" line per non-empty value, so that a dozen
    metadata columns do not squeeze the text a coder has to read."""
    columns = coding_sheet_columns(list(sample.columns))
    metadata = [
        c
        for c in sample.columns
        if c not in columns and c not in (*LOCATION_COLUMNS, "text", GOLD_THEME, GOLD_ASPECT)
    ]
    frame = sample.reindex(columns=[c for c in columns if c != ABOUT]).copy()
    if ABOUT in columns:
        frame[ABOUT] = [
            "\n".join(
                f"{name}: {value}"
                for name, value in zip(metadata, values, strict=True)
                if not pd.isna(value) and str(value).strip() != ""
            )
            for values in sample[metadata].itertuples(index=False, name=None)
        ]
    return frame[columns]


def write_coding_sheet(
    sample: pd.DataFrame,
    path: str | Path,
    codebook: Codebook | None = None,
    theme_ids: Sequence[str] = (),
    title: str = "Coding sheet",
    note: str = "",
) -> Path:
    """Write ``sample`` (from ``sample_for_coding``, machine labels already removed or
    kept by the caller) as a .docx: title, instructions, the codebook (each theme's id,
    name and description; ``theme_ids`` alone when the run's codebook file is not
    available) and one table of segments with blank ``gold_theme`` and
    ``gold_determinant_or_action`` cells. ``note`` says where the sample came from."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    path = Path(path)
    themes = (
        [(t.id, t.name, t.description) for t in codebook.themes]
        if codebook is not None
        else [(theme_id, "", "") for theme_id in theme_ids]
    )
    ids = [theme_id for theme_id, _, _ in themes] + ["other"]
    document = Document()
    section = document.sections[0]
    # A4 landscape (python-docx's template is US Letter, 2.3 cm narrower landscape, on
    # which the tables ran past the right margin): the segment table has many columns
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(PAGE_CM[0]), Cm(PAGE_CM[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    document.styles["Normal"].font.size = Pt(10)

    document.add_heading(title, level=0)
    if note:
        document.add_paragraph(note)
    document.add_heading("How to code", level=1)
    steps = [
        f"Read each segment's text. In {GOLD_THEME}, write the id of the one theme that fits "
        f"best: {', '.join(ids)} (other: no theme of the codebook fits).",
        f"In {GOLD_ASPECT}, write determinant, action, both or neither "
        "(see below); you may leave it empty.",
        f"Leave {GOLD_THEME} empty to skip a segment: rows without a theme are not counted.",
        f"Do not change the column headings, nor {', '.join(LOCATION_COLUMNS)}: they tie "
        "your coding to the run's segments.",
        "Then give this file to: upstreamnlp validate RUN_DIR --gold THIS_FILE.docx",
    ]
    for step in steps:
        document.add_paragraph(step, style="List Number")
    document.add_paragraph(f"{GOLD_ASPECT}: does the segment talk about upstream ...")
    for label, meaning in ASPECTS:
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(label).bold = True
        paragraph.add_run(f": {meaning}")

    document.add_heading("Codebook", level=1)
    if codebook is None:
        document.add_paragraph(
            "The run's codebook file was not found; its theme ids are listed without descriptions."
        )
    _add_table(
        document,
        list(CODEBOOK_HEADER),
        [list(row) for row in themes] + [["other", "Other", OTHER_DESCRIPTION]],
        widths={"id": Cm(3.5), "name": Cm(5), "description": Cm(TEXT_WIDTH_CM - 8.5)},
    )

    document.add_heading("Segments", level=1)
    frame = coding_sheet_frame(sample)
    columns = list(frame.columns)
    rows = [["" if pd.isna(v) else str(v) for v in record] for record in frame.to_numpy()]
    _add_table(document, columns, rows, widths=_segment_widths(columns), font_size=Pt(8))
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def _segment_widths(columns: Sequence[str], page_cm: float | None = None) -> dict:
    """Column widths that fill the text area of the sheet's page (``TEXT_WIDTH_CM``, A4
    landscape less the margins) or ``page_cm``: the coder's two columns 2.5 cm each,
    ``about`` 4.5 cm, the text at least 8 cm, the rest (ids, offsets, the run's labels)
    share what is left, at least 1.2 cm each; when that overruns the page, every column
    shrinks in proportion."""
    from docx.shared import Cm

    page_cm = TEXT_WIDTH_CM if page_cm is None else page_cm
    fixed = {GOLD_THEME: 2.5, GOLD_ASPECT: 2.5}
    if ABOUT in columns:
        fixed[ABOUT] = 4.5
    others = [c for c in columns if c not in ("text", *fixed)]
    room = page_cm - sum(fixed.values())
    text = max(8.0, room - 2.0 * len(others))
    other = max(1.2, (room - text) / max(len(others), 1))
    widths = {c: other for c in others}
    widths.update({"text": text, **fixed})
    scale = min(1.0, page_cm / sum(widths.values()))  # many metadata columns: shrink all
    return {c: Cm(w * scale) for c, w in widths.items()}


def _add_table(document, header: list[str], rows: list[list[str]], widths: dict, font_size=None):
    """A grid table with a bold heading row repeated on every page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    table = document.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    table.autofit = False
    # widths on the table grid (what LibreOffice reads) as well as on every cell (Word)
    for c, name in enumerate(header):
        if name in widths:
            table.columns[c].width = widths[name]
    # the heading row repeats on every page
    row_props = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    row_props.append(repeat)
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            if header[c] in widths:
                cell.width = widths[header[c]]
            cell.text = value
            for run in cell.paragraphs[0].runs:
                run.bold = r == 0
                if font_size is not None:
                    run.font.size = font_size
    return table


def _sheet_tables(path: Path) -> list[list[list[str]]]:
    """The tables of a coding sheet as rows of cell texts: a .docx (Word), or the same
    sheet saved by LibreOffice in its own format (.odt)."""
    if path.suffix.lower() == ".odt":
        from upstreamnlp.corpus.opendocument import odt_tables

        return odt_tables(path)
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise UpstreamError(
            f"not a readable Word file ({exc.__class__.__name__})",
            path=path,
            fix="save the coding sheet as .docx (Word 2007 or later)",
        ) from None
    return [[_cells(row) for row in table.rows] for table in document.tables]


def read_coding_sheet(path: str | Path) -> tuple[pd.DataFrame, list[str] | None]:
    """Read a coding sheet written by ``write_coding_sheet`` (and filled in, in Word, or
    in LibreOffice and saved as .docx or .odt): returns the segment table as strings,
    one row per table row, indexed by the table row number as Word counts it (the
    heading row is row 1), and the theme ids of the sheet's codebook table (None when
    the sheet has none). Labels are lower-cased, because Word capitalises the first
    letter typed in a cell; tracked changes count as accepted (``_cells``). No value is
    checked here: ``validation.load_gold`` checks them as it checks a CSV."""
    path = Path(path)
    tables = _sheet_tables(path)
    segments, theme_ids = None, None
    for cells in tables:
        if not cells:
            continue
        header = [h.strip() for h in cells[0]]
        if segments is None and {"doc_id", "start_char"} <= set(header):
            segments = (header, cells[1:])
        elif theme_ids is None and header[:1] == ["id"]:
            theme_ids = [row[0].strip().lower() for row in cells[1:] if row and row[0].strip()]
    if segments is None:
        raise UpstreamError(
            "no table whose heading row names doc_id, start_char, end_char and gold_theme",
            path=path,
            fix="give the coding sheet written by `upstreamnlp sample RUN_DIR --out FILE.docx`, "
            "with its column headings unchanged",
        )
    header, body = segments
    body = [(row + [""] * len(header))[: len(header)] for row in body]
    frame = pd.DataFrame(body, columns=header, index=range(2, 2 + len(body)), dtype=object)
    for column in (GOLD_THEME, GOLD_ASPECT, "theme", "determinant_or_action"):
        if column in frame.columns:
            frame[column] = frame[column].astype(str).str.strip().str.lower()
    return frame, theme_ids


def _cells(row) -> list[str]:
    """A row's cell texts, each cell's paragraphs joined by newlines ("" when empty), with
    tracked changes read as if accepted (``corpus.word.cell_text``): text typed while
    Word's Track Changes was on sits in ``w:ins``, which python-docx's ``cell.text``
    skips, so a coder's codes would be lost."""
    from upstreamnlp.corpus.word import cell_text

    return [cell_text(cell._tc) for cell in row.cells]
