"""Human coding read back from a REFI-QDA project (``.qdpx``): a researcher imports the
run's ``project.qdpx`` into NVivo, ATLAS.ti, MAXQDA or QualCoder, codes passages there
with the codebook's codes, exports the project again, and gives that file to ``validate
--gold`` or ``theme_mapping.coded_sample``.

Only codings made by someone other than upstreamnlp count (the run's own codings carry its
user). A coded passage is one coder's span of a source coded with a theme: its theme from
a theme code (the code's description line ``Theme id: ...``, as the run's export writes
it), ``other`` from the export's "Other (no theme)" code, and its determinant/action
label from one of the export's "Determinants or action" codes put by the same coder on
the same span, or on the span that covers most of it (at least half); the determinant and
the action code on one span read as ``both``. Programs write
codings differently, and all these shapes read the same:

- one selection holding all of a coder's codes (NVivo, ATLAS.ti), or one selection per
  code at the same position (QualCoder's export);
- several coders' codings in one selection (ATLAS.ti): one passage per coder;
- the user named on the ``Coding`` or only on the selection, or nowhere (NVivo);
- the texts in ``sources/`` or ``Sources/``, with or without a byte-order mark, with
  Windows line ends (positions count a line end as one character, as in the run's text).

- positions counted in characters (code points, as the standard and Python count) or in
  UTF-16 code units (as Qt-, .NET- and Java-based programs count): they differ after a
  character outside the Basic Multilingual Plane (an emoji). Which count a project uses
  is judged per source from the selected text some programs write as the selection's
  name (QualCoder does); without such names, characters.

Codes of the coder's own making are left out, and so is a span that carries no theme
code. Offsets are the project's, i.e. into the run's de-identified texts, so the rows say
``offsets: run`` and are matched to the run's segments as they stand.

QualCoder names its coder after the first user of an imported project; the run's export
lists a user ``coder`` first for that reason (``report.qdpx.CODER_NAME``). A coder who
codes under the name ``upstreamnlp`` cannot be told from the run and is left out.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from upstreamnlp.errors import UpstreamError

# the names the run's export gives the determinant/action codes (report/qdpx.py DA_CODES)
ASPECT_NAMES = {
    "upstream determinant": "determinant",
    "upstream action": "action",
    "determinant and action": "both",
    "neither determinant nor action": "neither",
}
EXPORT_USER = "upstreamnlp"
RUN_OFFSETS = "run"
_THEME_ID = re.compile(r"^\s*Theme id:\s*(\S+)\s*$", re.MULTILINE)


def _source_text(files: dict[str, bytes], plain_text_path: str) -> str:
    """A source's plain text from the archive: ``internal://NAME`` in ``sources/`` (any
    case), a byte-order mark dropped, line ends as one ``\\n``."""
    name = plain_text_path.split("://")[-1].lstrip("/")
    data = files.get(("sources/" + name).lower())
    if data is None:
        return ""
    text = data.decode("utf-8-sig", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _squash(text: str) -> str:
    return " ".join(text.split())


def _names_the_text(name: str, selected: str) -> bool:
    """Is a selection's name the text it selects (whole, or cut short with an ellipsis)?"""
    name, selected = _squash(name), _squash(selected)
    if len(name) < 5:
        return False
    if name == selected:
        return True
    short = name.rstrip(".\u2026 ")
    return len(short) >= 20 and short != name and selected.startswith(short)


def _position_reader(text: str, selections: list) -> Callable[[int], int]:
    """How to turn a selection's positions into character offsets in ``text``: as they
    are, or, when the selections' names show that they count UTF-16 code units (more
    names match the text so counted than as characters), through the code-unit offset
    of each character."""
    if all(ord(c) < 0x10000 for c in text):
        return int  # no character outside the BMP: both counts agree
    units = np.cumsum([0] + [2 if ord(c) > 0xFFFF else 1 for c in text])
    votes = 0
    for selection in selections:
        name = selection.get("name") or ""
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        as_units = text[int(np.searchsorted(units, start)) : int(np.searchsorted(units, end))]
        votes += _names_the_text(name, as_units) - _names_the_text(name, text[start:end])
    if votes <= 0:
        return int
    return lambda position: int(np.searchsorted(units, position))


def _combined(earlier: str | None, aspect: str) -> str:
    """A span's determinant/action label when a coder gives it a second one: the
    determinant code and the action code together mean ``both``; else the first stands."""
    if earlier is None:
        return aspect
    return "both" if {earlier, aspect} == {"determinant", "action"} else earlier


def _aspect_for(span: tuple[int, int], aspects: dict[tuple[int, int], str]) -> str:
    """The determinant/action label a coder gave this span: on the same span, else on the
    span that overlaps it most when that covers at least half of it; else ''."""
    if span in aspects:
        return aspects[span]
    start, end = span
    best, label = 0, ""
    for (s, e), aspect in aspects.items():
        overlap = min(end, e) - max(start, s)
        if overlap > best:
            best, label = overlap, aspect
    return label if best * 2 >= end - start else ""


def read_qdpx_coding(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """The human codings of a ``.qdpx`` project, one row per coder and coded span and
    theme: doc_id (the source's name), start_char, end_char, theme,
    determinant_or_action, coder, text, offsets (``run``); and the theme ids the
    project's codes name. A span coded with two themes keeps both rows;
    ``validation.load_gold`` checks the labels."""
    from lxml import etree

    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            root = etree.fromstring(archive.read("project.qde"))
            files = {
                n.lower(): archive.read(n)
                for n in archive.namelist()
                if n.lower().startswith("sources/")
            }
    except (zipfile.BadZipFile, KeyError, OSError, etree.XMLSyntaxError) as exc:
        raise UpstreamError(
            f"not a readable REFI-QDA project ({exc.__class__.__name__})",
            path=path,
            fix="export the project from your QDA software as REFI-QDA (.qdpx)",
        ) from None
    users = {u.get("guid"): u.get("name") or "" for u in root.iter("{*}User")}
    ours = {g for g, name in users.items() if name == EXPORT_USER}
    themes: dict[str, str] = {}  # code guid -> theme id
    aspects: dict[str, str] = {}  # code guid -> determinant/action label
    for code in root.iter("{*}Code"):
        description = code.findtext("{*}Description") or ""
        name = (code.get("name") or "").strip()
        found = _THEME_ID.search(description)
        if name.lower() in ASPECT_NAMES:
            aspects[code.get("guid")] = ASPECT_NAMES[name.lower()]
        elif found and code.get("isCodable", "true") == "true":
            themes[code.get("guid")] = found.group(1)
    rows = []
    for source in root.iter("{*}TextSource"):
        text = _source_text(files, source.get("plainTextPath") or "")
        # per coder: span -> theme ids (in order) and span -> determinant/action label
        coded: dict[str, dict[tuple[int, int], list[str]]] = {}
        aspect_of: dict[str, dict[tuple[int, int], str]] = {}
        selections = list(source.iter("{*}PlainTextSelection"))
        position = _position_reader(text, selections)
        for selection in selections:
            span = (
                position(int(selection.get("startPosition"))),
                position(int(selection.get("endPosition"))),
            )
            for coding in selection.iter("{*}Coding"):
                user = coding.get("creatingUser") or selection.get("creatingUser") or ""
                if user in ours:
                    continue
                for ref in coding.iter("{*}CodeRef"):
                    code = ref.get("targetGUID")
                    if code in aspects:
                        given = aspect_of.setdefault(user, {})
                        given[span] = _combined(given.get(span), aspects[code])
                    elif code in themes:
                        found = coded.setdefault(user, {}).setdefault(span, [])
                        if themes[code] not in found:
                            found.append(themes[code])
        for user, spans in coded.items():
            for (start, end), theme_ids in sorted(spans.items()):
                aspect = _aspect_for((start, end), aspect_of.get(user, {}))
                for theme in theme_ids:
                    rows.append(
                        {
                            "doc_id": source.get("name"),
                            "start_char": start,
                            "end_char": end,
                            "theme": theme,
                            "determinant_or_action": aspect,
                            "coder": users.get(user, user),
                            "text": text[start:end],
                            "offsets": RUN_OFFSETS,
                        }
                    )
    columns = ["doc_id", "start_char", "end_char", "theme", "determinant_or_action"]
    frame = pd.DataFrame(rows, columns=[*columns, "coder", "text", "offsets"])
    if frame.empty:
        raise UpstreamError(
            "the project holds no passage coded with a theme by a human coder",
            path=path,
            fix="code passages with the codebook's theme codes (and, optionally, a "
            "'Determinants or action' code) in your QDA software, then export the project; "
            f"codings made under the user name '{EXPORT_USER}' are the run's own and are "
            "left out (in QualCoder, set your coder name in Settings before coding)",
        )
    frame.index = range(1, len(frame) + 1)  # passage numbers, for error messages
    return frame, sorted(set(themes.values()))
