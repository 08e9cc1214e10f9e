"""REFI-QDA exports (QDA-XML v1.0, https://www.qdasoftware.org): the codebook as ``.qdc``
and the whole coded project as ``.qdpx`` for NVivo, ATLAS.ti, MAXQDA, QualCoder, ...

A ``.qdpx`` is a zip holding ``project.qde`` (Project XML) and a lower-case ``sources/``
folder with each document's de-identified text as UTF-8 ``<guid>.txt``. Every segment the
run labelled with a theme (or as emergent) becomes a ``PlainTextSelection`` whose
``startPosition``/``endPosition`` are character offsets into that text, coded with the
theme's code. GUIDs are uuid5 of stable ids and zip entries carry a fixed timestamp, so
re-running the export gives identical bytes. The project's users are ``coder`` (first,
for the person who codes it: QualCoder names its coder after an imported project's first
user) and ``upstreamnlp``, who made the run's codings.
"""

from __future__ import annotations

import re
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from upstreamnlp.errors import UpstreamError
from upstreamnlp.report.runfolder import RunFolder
from upstreamnlp.themes.codebook import (
    EMERGENT_MARK,
    GUID_NAMESPACE,
    QDC_NAMESPACE,
    Codebook,
    codebook_to_qdc,
)

PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
USER_NAME = "upstreamnlp"
# the person who codes the project: listed first, because QualCoder names its coder after
# the first user of an imported project (else a coder's codings would carry USER_NAME and
# read back as the run's own; themes/qda_coding.py)
CODER_NAME = "coder"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
DA_CODES = {
    "determinant": (
        "Upstream determinant",
        "The passage says where a cause sits (income, housing, power).",
    ),
    "action": ("Upstream action", "The passage describes action aimed upstream."),
    "both": (
        "Determinant and action",
        "The passage describes both a determinant and action on it.",
    ),
    "neither": (
        "Neither determinant nor action",
        "The passage describes neither (e.g. off-topic talk).",
    ),
}
# a code for human coders only: the passage fits no theme (validate reads it as "other")
OTHER_CODE = ("Other (no theme)", "For coders: the passage fits no theme of the codebook.")
# marks the segments of a coding sample (export_qdpx(sample=...); `upstreamnlp sample`)
SAMPLE_CODE = (
    "To code (sample)",
    "Segments drawn at random by `upstreamnlp sample` for human coding: code each with one "
    "theme code (or Other (no theme)) and, if you like, one Determinants or action code, "
    "then export the project and give it to `upstreamnlp validate RUN --gold`.",
)
# Metadata keys that are bookkeeping, not case variables.
_SKIP_VARIABLES = {"metadata_json", "text", "source", "file"}

EmergentCode = tuple[str, str]  # (name, description)


def guid(*parts: object) -> str:
    """A deterministic GUID (uuid5) for an object of the export, from its stable id."""
    return str(uuid.uuid5(GUID_NAMESPACE, ":".join(str(p) for p in parts)))


# --- codes ------------------------------------------------------------------------------
def _emergent_codes_of(run: RunFolder) -> list[tuple[int, str, str]]:
    """(topic, name, description) for each topic that fits no theme."""
    topics = run.topics
    kind = run.metrics.get("model") or (run.config.get("model") or {}).get("kind") or "topic"
    out = []
    for topic in run.emergent_topics():
        terms: list[str] = []
        if topics is not None and {"topic", "term"} <= set(topics.columns):
            rows = topics[topics["topic"] == topic]
            if "rank" in rows:
                rows = rows.sort_values("rank", kind="stable")
            terms = [str(t) for t in rows["term"].head(10)]
        name = f"Emergent topic {topic}" + (f": {', '.join(terms[:3])}" if terms else "")
        description = (
            f"Topic {topic} of the {kind} model (k = {run.chosen_k}) fits none of the codebook's "
            f"themes: {EMERGENT_MARK}. " + (f"Top terms: {'; '.join(terms)}." if terms else "")
        ).strip()
        out.append((topic, name, description))
    return out


def emergent_codes(run_dir: str | Path) -> list[EmergentCode]:
    """The run's emergent topics as (name, description) pairs, for :func:`export_qdc`."""
    return [(name, desc) for _, name, desc in _emergent_codes_of(RunFolder(run_dir))]


def export_qdc(
    codebook: Codebook, emergent_codes: Iterable[EmergentCode | str], path: str | Path
) -> Path:
    """Write the codebook's themes and the emergent topics as a REFI-QDA ``.qdc``.

    The themes come from ``codebook_to_qdc`` (same GUIDs as the themes stage uses);
    each emergent code is ``(name, description)`` (or a bare name) and gets a GUID
    from its name.
    """
    root = etree.fromstring(codebook_to_qdc(codebook).encode("utf-8"))
    codes = root.find(f"{{{QDC_NAMESPACE}}}Codes")
    for item in emergent_codes:
        name, description = (item, "") if isinstance(item, str) else item
        code = etree.SubElement(
            codes,
            f"{{{QDC_NAMESPACE}}}Code",
            guid=guid("emergent_code", name),
            name=name,
            isCodable="true",
        )
        if description:
            etree.SubElement(code, f"{{{QDC_NAMESPACE}}}Description").text = description
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )
    return path


# --- the project ------------------------------------------------------------------------
def _variable_type(values: Sequence[Any]) -> str:
    if values and all(isinstance(v, bool) for v in values):
        return "Boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "Integer"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "Float"
    return "Text"


def _value_text(value: Any, kind: str) -> str:
    if kind == "Boolean":
        return "true" if value else "false"
    if kind == "Float":
        return repr(float(value))
    return str(value)


def _scalar(value: Any) -> bool:
    if value is None or isinstance(value, (list, dict, tuple)):
        return False
    try:
        return not pd.isna(value)
    except (TypeError, ValueError):
        return True


def _clean_xml_text(text: str) -> str:
    """XML 1.0 cannot hold most control characters; they become spaces (same length)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", " ", text)


def _sub(parent: etree._Element, tag: str, **attrs: Any) -> etree._Element:
    return etree.SubElement(
        parent, f"{{{PROJECT_NAMESPACE}}}{tag}", {k: str(v) for k, v in attrs.items()}
    )


def export_qdpx(
    run_dir: str | Path,
    codebook: Codebook | None = None,
    path: str | Path | None = None,
    sample: Iterable[str] | None = None,
    blind: bool = True,
) -> Path:
    """Write the run as a REFI-QDA project (``run_dir/project.qdpx`` by default).

    Needs ``segments.parquet`` (with ``segments.documents.parquet``) and
    ``assignments.csv``; the codebook defaults to the run's own (see ``RunFolder.codebook``),
    else codes are made from the theme ids the run used.

    ``sample`` (segment ids, e.g. from ``sample_for_coding``) makes a coding sample: the
    same sources and codes, but only those segments are selections, each coded
    ``To code (sample)`` (``SAMPLE_CODE``), and with ``blind`` (the default) without the
    run's own labels, so that the coder is not led by them. The coder codes the marked
    passages in the QDA program, reading them in their whole documents.
    """
    from upstreamnlp.corpus.model import Corpus

    run = RunFolder(run_dir)
    corpus = Corpus.from_parquet(run.path / "segments.parquet")
    assignments = run.assignments
    if assignments is None or not {"segment_id", "theme"} <= set(assignments.columns):
        raise UpstreamError(
            "assignments.csv is missing or has no segment_id/theme columns",
            path=run.path / "assignments.csv",
            fix="re-run `upstreamnlp run` so the themes stage writes it",
        )
    codebook = codebook or run.codebook()
    user_guid = guid("user", USER_NAME)
    project_name = (run.config.get("report") or {}).get(
        "title"
    ) or f"upstreamnlp run {run.path.name}"
    sampled = None if sample is None else {str(s) for s in sample}
    if sampled is not None:
        project_name = f"{project_name} (coding sample)"
    root = etree.Element(
        f"{{{PROJECT_NAMESPACE}}}Project",
        nsmap={None: PROJECT_NAMESPACE},
        name=str(project_name),
        origin=USER_NAME,
        creatingUserGUID=user_guid,
    )
    users = _sub(root, "Users")
    _sub(users, "User", guid=guid("user", CODER_NAME), name=CODER_NAME)
    _sub(users, "User", guid=user_guid, name=USER_NAME)

    # Codes: themes, emergent topics, then determinant/action under one parent.
    code_guid: dict[str, str] = {}
    code_name: dict[str, str] = {}
    codes = _sub(_sub(root, "CodeBook"), "Codes")
    themes = list(codebook.themes) if codebook is not None else []
    known = {t.id for t in themes}
    for theme in themes:
        el = _sub(codes, "Code", guid=theme.guid, name=theme.name, isCodable="true")
        if theme.color:
            el.set("color", theme.color)
        _sub(el, "Description").text = f"{theme.description}\nTheme id: {theme.id}"
        code_guid[theme.id], code_name[theme.id] = theme.guid, theme.name
    if themes:  # coders mark passages that fit no theme with it (themes.qda_coding)
        name, description = OTHER_CODE
        el = _sub(codes, "Code", guid=guid("code", "other"), name=name, isCodable="true")
        _sub(el, "Description").text = f"{description}\nTheme id: other"
    if sampled is not None:
        name, description = SAMPLE_CODE
        code_guid["sample"], code_name["sample"] = guid("code", "sample"), name
        el = _sub(codes, "Code", guid=code_guid["sample"], name=name, isCodable="true")
        _sub(el, "Description").text = description
    for theme_id in run.theme_ids():
        if theme_id not in known:
            code_guid[theme_id] = guid("code", theme_id)
            code_name[theme_id] = theme_id
            el = _sub(codes, "Code", guid=code_guid[theme_id], name=theme_id, isCodable="true")
            _sub(el, "Description").text = f"Theme id: {theme_id}"
    for topic, name, description in _emergent_codes_of(run):
        key = f"emergent:{topic}"
        code_guid[key], code_name[key] = guid("emergent_code", name), name
        el = _sub(codes, "Code", guid=code_guid[key], name=name, isCodable="true")
        _sub(el, "Description").text = description
    if (assignments["theme"] == "emergent").any():
        code_guid["emergent"], code_name["emergent"] = (
            guid("code", "emergent"),
            "Emergent (no theme)",
        )
        el = _sub(
            codes, "Code", guid=code_guid["emergent"], name=code_name["emergent"], isCodable="true"
        )
        _sub(el, "Description").text = "Segments the run labelled emergent: they fit no theme."
    has_da = "determinant_or_action" in assignments
    if has_da:
        parent = _sub(
            codes,
            "Code",
            guid=guid("code", "determinant_or_action"),
            name="Determinants or action",
            isCodable="false",
        )
        for key, (name, description) in DA_CODES.items():
            code_guid[f"da:{key}"], code_name[f"da:{key}"] = guid("code", f"da:{key}"), name
            el = _sub(parent, "Code", guid=code_guid[f"da:{key}"], name=name, isCodable="true")
            _sub(el, "Description").text = description

    # Cases: one per participant (participant_id) or else per document; metadata as variables.
    case_of: dict[str, str] = {}
    case_meta: dict[str, dict[str, Any]] = {}
    for doc in corpus.documents:
        case = str(doc.metadata.get("participant_id") or doc.id)
        case_of[doc.id] = case
        meta = case_meta.setdefault(case, {})
        for key, value in doc.metadata.items():
            if key not in _SKIP_VARIABLES and _scalar(value) and key not in meta:
                meta[key] = value
    variable_names = sorted({k for meta in case_meta.values() for k in meta})
    variable_types = {
        name: _variable_type([m[name] for m in case_meta.values() if name in m])
        for name in variable_names
    }
    if variable_names:
        variables = _sub(root, "Variables")
        for name in variable_names:
            _sub(
                variables,
                "Variable",
                guid=guid("variable", name),
                name=name,
                typeOfVariable=variable_types[name],
            )
    doc_guid = {doc.id: guid("source", doc.id) for doc in corpus.documents}
    if case_meta:
        cases = _sub(root, "Cases")
        for case, meta in case_meta.items():
            el = _sub(cases, "Case", guid=guid("case", case), name=case)
            for name in variable_names:
                if name in meta:
                    vv = _sub(el, "VariableValue")
                    _sub(vv, "VariableRef", targetGUID=guid("variable", name))
                    tag = {
                        "Boolean": "BooleanValue",
                        "Integer": "IntegerValue",
                        "Float": "FloatValue",
                    }.get(variable_types[name], "TextValue")
                    _sub(vv, tag).text = _clean_xml_text(
                        _value_text(meta[name], variable_types[name])
                    )
            for doc_id, doc_case in case_of.items():
                if doc_case == case:
                    _sub(el, "SourceRef", targetGUID=doc_guid[doc_id])

    # Sources and their coded selections.
    by_doc: dict[str, list[dict[str, Any]]] = {}
    segment = {s.id: s for s in corpus.segments}
    for row in assignments.to_dict("records"):
        by_doc.setdefault(
            str(row.get("doc_id") or segment.get(row["segment_id"]).doc_id), []
        ).append(row)
    sources = _sub(root, "Sources")
    texts: dict[str, str] = {}
    marked: set[str] = set()  # the sample's segments found in the run
    for doc in corpus.documents:
        source_guid = doc_guid[doc.id]
        text = _clean_xml_text(doc.text)
        texts[f"sources/{source_guid}.txt"] = text
        el = _sub(
            sources,
            "TextSource",
            guid=source_guid,
            name=doc.id,
            plainTextPath=f"internal://{source_guid}.txt",
            creatingUser=user_guid,
        )
        if doc.source:
            _sub(el, "Description").text = _clean_xml_text(f"{doc.kind}; source: {doc.source}")
        rows = sorted(
            by_doc.get(doc.id, []),
            key=lambda r: (int(_offsets(r, segment)[0]), str(r["segment_id"])),
        )
        for row in rows:
            coded = _run_codes(row, code_guid, has_da)
            if sampled is not None:
                if str(row["segment_id"]) not in sampled:
                    continue
                coded = ["sample"] if blind else [*coded, "sample"]
                marked.add(str(row["segment_id"]))
            if not coded:
                continue  # no theme ("none"), or one with no code ("mixed"/"other")
            start, end = _offsets(row, segment)
            seg = segment.get(row["segment_id"])
            if not 0 <= start < end <= len(doc.text) or (
                seg is not None and doc.text[start:end] != seg.text
            ):
                raise UpstreamError(
                    f"segment {row['segment_id']}: offsets {start}-{end} do not match the document text",
                    path=run.path / "assignments.csv",
                    fix="re-run `upstreamnlp run`; the run folder's files are out of step",
                )
            sel = _sub(
                el,
                "PlainTextSelection",
                guid=guid("selection", row["segment_id"]),
                name=str(row["segment_id"]),
                startPosition=start,
                endPosition=end,
                creatingUser=user_guid,
            )
            for code_key in coded:
                coding = _sub(
                    sel,
                    "Coding",
                    guid=guid("coding", row["segment_id"], code_key),
                    creatingUser=user_guid,
                )
                _sub(coding, "CodeRef", targetGUID=code_guid[code_key])

    if sampled is not None and sampled - marked:
        missing = sorted(sampled - marked)
        raise UpstreamError(
            f"{len(missing)} sampled segment(s) are not among the run's labelled segments "
            f"({', '.join(missing[:5])})",
            path=run.path / "assignments.csv",
            fix="draw the sample from this run (upstreamnlp sample RUN_DIR ...)",
        )
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    path = Path(path) if path is not None else run.path / "project.qdpx"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _write_entry(archive, "project.qde", xml)
        _write_entry(archive, "sources/", b"")
        for name in sorted(texts):
            _write_entry(archive, name, texts[name].encode("utf-8"))
    return path


def _run_codes(row: dict[str, Any], code_guid: dict[str, str], has_da: bool) -> list[str]:
    """The codes (keys of ``code_guid``) the run gave a segment: its theme (or emergent
    topic) and its determinant/action label; none when it has no theme with a code."""
    theme = str(row["theme"])
    if theme in ("none", ""):
        return []
    key = theme
    if theme == "emergent":
        topic = row.get("topic")
        key = (
            f"emergent:{int(topic)}"
            if _scalar(topic) and f"emergent:{int(topic)}" in code_guid
            else "emergent"
        )
    if key not in code_guid:
        return []
    coded = [key]
    if has_da and f"da:{row.get('determinant_or_action')}" in code_guid:
        coded.append(f"da:{row.get('determinant_or_action')}")
    return coded


def _offsets(row: dict[str, Any], segment: dict[str, Any]) -> tuple[int, int]:
    if _scalar(row.get("start_char")) and _scalar(row.get("end_char")):
        return int(row["start_char"]), int(row["end_char"])
    seg = segment.get(row["segment_id"])
    if seg is None:
        raise UpstreamError(
            f"segment {row['segment_id']} is in assignments.csv but not in segments.parquet",
            fix="re-run `upstreamnlp run`; the run folder's files are out of step",
        )
    return seg.start_char, seg.end_char


def _write_entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_STORED if name.endswith("/") else zipfile.ZIP_DEFLATED
    info.external_attr = (0o40755 << 16 | 0x10) if name.endswith("/") else (0o644 << 16)
    archive.writestr(info, data)


def read_qdpx(path: str | Path) -> dict[str, Any]:
    """Read back a ``.qdpx``: ``{"sources": {name: text}, "selections": [{"source",
    "start", "end", "code", "text"}, ...]}`` with one selection row per coding."""
    ns = {"p": PROJECT_NAMESPACE}
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("project.qde"))
        files = {
            n: archive.read(n).decode("utf-8") for n in archive.namelist() if not n.endswith("/")
        }
    names = {c.get("guid"): c.get("name") for c in root.iter(f"{{{PROJECT_NAMESPACE}}}Code")}
    sources: dict[str, str] = {}
    selections: list[dict[str, Any]] = []
    for source in root.findall("p:Sources/p:TextSource", ns):
        internal = source.get("plainTextPath", "")
        text = files.get("sources/" + internal.removeprefix("internal://"), "")
        sources[source.get("name")] = text
        for sel in source.findall("p:PlainTextSelection", ns):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            for ref in sel.findall("p:Coding/p:CodeRef", ns):
                selections.append(
                    {
                        "source": source.get("name"),
                        "segment": sel.get("name"),
                        "start": start,
                        "end": end,
                        "code": names.get(ref.get("targetGUID")),
                        "text": text[start:end],
                    }
                )
    return {"sources": sources, "selections": selections}
