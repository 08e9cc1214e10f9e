"""Human coding read back from a REFI-QDA project (``.qdpx``): a researcher imports the
run's ``project.qdpx`` into NVivo, ATLAS.ti, MAXQDA or QualCoder, codes passages there
with the codebook's codes, exports the project again, and gives that file to ``validate
--gold`` or ``theme_mapping.coded_sample``.

Only codings made by someone other than upstreamnlp count (the run's own codings carry its
user). A coded passage is one selection: its theme from a theme code (the code's
description line ``Theme id: ...``, as the run's export writes it, or a code named like a
theme id), its determinant/action label from one of the export's "Determinants or action"
codes, and ``other`` from the export's "Other (no theme)" code. Codes of the coder's own
making are left out, and so is a selection that carries no theme code. Offsets are the project's, i.e. into the run's de-identified texts,
so the rows say ``offsets: run`` and are matched to the run's segments as they stand.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

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


def read_qdpx_coding(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """The human codings of a ``.qdpx`` project, one row per coded selection: doc_id (the
    source's name), start_char, end_char, theme, determinant_or_action, coder, text,
    offsets (``run``); and the theme ids the project's codes name. Selections coded with
    two themes keep both rows; ``validation.load_gold`` checks the labels."""
    from lxml import etree

    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            root = etree.fromstring(archive.read("project.qde"))
            files = {n: archive.read(n) for n in archive.namelist() if n.startswith("sources/")}
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
        text = files.get("sources/" + (source.get("plainTextPath") or "").split("://")[-1])
        text = text.decode("utf-8") if text is not None else ""
        for selection in source.iter("{*}PlainTextSelection"):
            codings = [
                (c.get("creatingUser") or selection.get("creatingUser"), ref.get("targetGUID"))
                for c in selection.iter("{*}Coding")
                for ref in c.iter("{*}CodeRef")
            ]
            codings = [(user, code) for user, code in codings if user not in ours]
            if not codings:
                continue
            start = int(selection.get("startPosition"))
            end = int(selection.get("endPosition"))
            aspect = next((aspects[c] for _, c in codings if c in aspects), "")
            coder = users.get(codings[0][0], codings[0][0] or "")
            for _, code in codings:
                if code in themes:
                    rows.append(
                        {
                            "doc_id": source.get("name"),
                            "start_char": start,
                            "end_char": end,
                            "theme": themes[code],
                            "determinant_or_action": aspect,
                            "coder": coder,
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
            "'Determinants or action' code) in your QDA software, then export the project",
        )
    frame.index = range(1, len(frame) + 1)  # selection numbers, for error messages
    return frame, sorted(set(themes.values()))
