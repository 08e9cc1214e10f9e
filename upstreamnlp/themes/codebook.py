"""Codebooks: the themes a run maps its topics onto, from YAML or a REFI-QDA ``.qdc``.

A codebook is a list of themes, each with an ``id``, a ``name``, a ``description`` a human
coder would use, ``seed_terms`` (words and phrases, written as a coder writes them) and
optional exemplar sentences (``examples``). ``references`` and ``color`` are also allowed;
any other key is an error that names the file, the theme and the key. An optional
top-level ``outside`` list holds descriptions or example sentences of material that fits
*no* theme (service pressures, funding, personal matters, ...): the mapper labels a
segment ``none`` when it is closer to these than to any theme.

The ``.qdc`` format is the REFI-QDA codebook standard (namespace
``urn:QDA-XML:codebook:1.0``; https://www.qdasoftware.org). Seed terms, examples and
references travel in each code's ``<Description>`` as lines ``Seed terms: a; b; c``,
``Example: ...`` and ``Reference: ...`` so that NVivo, ATLAS.ti or QualCoder users see
them and the toolkit can read them back. ``outside`` travels as one non-codable code whose
description has ``Theme id: none`` and one ``Outside: ...`` line per entry.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import yaml

from upstreamnlp.errors import ConfigError

logger = logging.getLogger("upstreamnlp.themes")
QDC_NAMESPACE = "urn:QDA-XML:codebook:1.0"
# uuid5 namespace for deterministic code GUIDs: same theme id, same GUID, every run.
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://upstreamnlp/codebook")
THEME_KEYS = {"id", "name", "description", "seed_terms", "examples", "references", "color"}
REQUIRED_KEYS = ("id", "name", "description")
# Labels the toolkit itself gives; a theme may not take one of these ids.
RESERVED_IDS = {"none", "emergent", "mixed"}
#: The sentence an exported emergent topic's code carries (report/qdpx.py): such a code
#: read back from a .qdc is a candidate, not a theme.
EMERGENT_MARK = "a candidate for a new code"
# The .qdc code that carries the codebook's ``outside`` list (a reserved id: never a theme).
OUTSIDE_ID = "none"
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOR_RE = re.compile(r"^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$")


@dataclass(frozen=True)
class Theme:
    """One theme of a codebook (see the module docstring for the keys)."""

    id: str
    name: str
    description: str
    seed_terms: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    color: str | None = None

    @property
    def guid(self) -> str:
        """A GUID derived from the theme id (uuid5), so exports are identical across runs."""
        return str(uuid.uuid5(GUID_NAMESPACE, f"theme:{self.id}"))

    def texts(self) -> list[str]:
        """What a coder reads to decide: the description, then the exemplar sentences."""
        return [self.description, *self.examples]


@dataclass(frozen=True)
class Codebook:
    """An ordered list of themes with unique ids."""

    themes: tuple[Theme, ...]
    name: str = ""
    description: str = ""
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    outside: tuple[str, ...] = ()

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.themes]

    def __len__(self) -> int:
        return len(self.themes)

    def __iter__(self):
        return iter(self.themes)

    def theme(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    @classmethod
    def from_dict(cls, data: Any, source: str | Path = "<codebook>") -> Codebook:
        """Validate a parsed YAML codebook; errors name the file, theme and key."""
        source = str(source)
        if not isinstance(data, dict) or "themes" not in data:
            raise ConfigError(
                "a codebook needs a top-level 'themes' list",
                path=source,
                fix="write 'themes:' followed by one '- id: ...' entry per theme",
            )
        unknown_top = set(data) - {"themes", "name", "description", "outside"}
        if unknown_top:
            raise ConfigError(
                f"unknown top-level key(s) {sorted(unknown_top)}",
                path=source,
                fix="allowed top-level keys: themes, name, description, outside",
            )
        raw_themes = data["themes"]
        if not isinstance(raw_themes, list) or not raw_themes:
            raise ConfigError(
                "'themes' must be a non-empty list", path=source, where="key 'themes'"
            )
        themes = []
        seen: set[str] = set()
        for i, raw in enumerate(raw_themes, start=1):
            theme = _theme_from_dict(raw, source, i)
            if theme.id in seen:
                raise ConfigError(
                    f"theme id '{theme.id}' appears twice",
                    path=source,
                    where=f"theme {i}, key 'id'",
                    fix="give every theme a unique id",
                )
            seen.add(theme.id)
            themes.append(theme)
        return cls(
            themes=tuple(themes),
            name=str(data.get("name") or ""),
            description=str(data.get("description") or "").strip(),
            source=source,
            outside=_str_list(data.get("outside"), source, "top-level key 'outside'"),
        )


def _str_list(value: Any, source: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise ConfigError("must be a list of strings", path=source, where=where)
    return tuple(str(v).strip() for v in value if str(v).strip())


def _theme_from_dict(raw: Any, source: str, index: int) -> Theme:
    if not isinstance(raw, dict):
        raise ConfigError(
            "each theme must be a mapping with id, name, description, seed_terms",
            path=source,
            where=f"theme {index}",
        )
    label = f"theme {index}" + (f" ('{raw['id']}')" if "id" in raw else "")
    unknown = set(raw) - THEME_KEYS
    if unknown:
        raise ConfigError(
            f"unknown key(s) {sorted(unknown)}",
            path=source,
            where=label,
            fix=f"allowed keys: {', '.join(sorted(THEME_KEYS))}",
        )
    for key in REQUIRED_KEYS:
        if not str(raw.get(key) or "").strip():
            raise ConfigError(
                f"missing or empty key '{key}'", path=source, where=label, fix=f"add '{key}: ...'"
            )
    theme_id = str(raw["id"]).strip()
    if not _ID_RE.match(theme_id) or theme_id in RESERVED_IDS:
        raise ConfigError(
            f"theme id '{theme_id}' is not allowed",
            path=source,
            where=f"{label}, key 'id'",
            fix="use lower-case letters, digits and '_' (not none/emergent/mixed)",
        )
    color = raw.get("color")
    if color is not None and not _COLOR_RE.match(str(color)):
        raise ConfigError(
            f"color '{color}' is not #RRGGBB", path=source, where=f"{label}, key 'color'"
        )
    return Theme(
        id=theme_id,
        name=str(raw["name"]).strip(),
        description=" ".join(str(raw["description"]).split()),
        seed_terms=_str_list(raw.get("seed_terms"), source, f"{label}, key 'seed_terms'"),
        examples=_str_list(raw.get("examples"), source, f"{label}, key 'examples'"),
        references=_str_list(raw.get("references"), source, f"{label}, key 'references'"),
        color=str(color) if color is not None else None,
    )


# --- REFI-QDA .qdc ---------------------------------------------------------------------
def _description_text(theme: Theme) -> str:
    lines = [theme.description]
    if theme.seed_terms:
        lines.append("Seed terms: " + "; ".join(theme.seed_terms))
    lines += [f"Example: {e}" for e in theme.examples]
    lines += [f"Reference: {r}" for r in theme.references]
    lines.append(f"Theme id: {theme.id}")
    return "\n".join(lines)


def _parse_description(text: str) -> dict[str, Any]:
    """Split a .qdc Description into description, seed terms, examples, references, id."""
    out: dict[str, Any] = {
        "description": [],
        "seed_terms": [],
        "examples": [],
        "references": [],
        "outside": [],
    }
    for line in (text or "").splitlines():
        stripped = line.strip()
        lower = stripped.lower()
        if lower.startswith("seed terms:"):
            out["seed_terms"] += [t.strip() for t in stripped[11:].split(";") if t.strip()]
        elif lower.startswith("example:"):
            out["examples"].append(stripped[8:].strip())
        elif lower.startswith("outside:"):
            out["outside"].append(stripped[8:].strip())
        elif lower.startswith("reference:"):
            out["references"].append(stripped[10:].strip())
        elif lower.startswith("theme id:"):
            out["id"] = stripped[9:].strip()
        elif stripped:
            out["description"].append(stripped)
    out["description"] = " ".join(out["description"])
    return out


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return slug if slug and slug[0].isalpha() else f"theme_{slug}"


def codebook_to_qdc(codebook: Codebook, extra_codes: Sequence[str] = ()) -> str:
    """The codebook as REFI-QDA ``.qdc`` XML (valid against Codebook.xsd).

    ``extra_codes`` adds plain codable codes (e.g. ``emergent``, ``other``) after the
    themes. GUIDs come from uuid5 of the theme id, so re-runs give identical bytes.
    """
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<CodeBook xmlns="{QDC_NAMESPACE}" origin="upstreamnlp">',
        "<Codes>",
    ]
    for theme in codebook.themes:
        color = f" color={quoteattr(theme.color)}" if theme.color else ""
        lines.append(
            f'<Code guid="{theme.guid}" name={quoteattr(theme.name)} isCodable="true"{color}>'
            f"<Description>{escape(_description_text(theme))}</Description></Code>"
        )
    if codebook.outside:
        text = "\n".join(
            ["Material that fits no theme (labelled none)."]
            + [f"Outside: {o}" for o in codebook.outside]
            + [f"Theme id: {OUTSIDE_ID}"]
        )
        guid = uuid.uuid5(GUID_NAMESPACE, "code:outside")
        lines.append(
            f'<Code guid="{guid}" name="Outside the codebook" isCodable="false">'
            f"<Description>{escape(text)}</Description></Code>"
        )
    for code in extra_codes:
        guid = uuid.uuid5(GUID_NAMESPACE, f"code:{code}")
        lines.append(
            f'<Code guid="{guid}" name={quoteattr(code)} isCodable="true">'
            f"<Description>{escape(f'Theme id: {code}')}</Description></Code>"
        )
    lines += ["</Codes>", "</CodeBook>", ""]
    return "\n".join(lines)


def _codebook_from_qdc(path: Path) -> Codebook:
    from lxml import etree

    try:
        root = etree.parse(str(path)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ConfigError(f"not a readable XML file ({exc})", path=path) from None
    ns = {"q": QDC_NAMESPACE}
    if etree.QName(root).localname != "CodeBook":
        raise ConfigError(
            f"root element is <{etree.QName(root).localname}>, expected <CodeBook>",
            path=path,
            fix="export the codebook as REFI-QDA .qdc from your QDA software",
        )
    codes = root.findall("q:Codes/q:Code", ns) or root.findall("Codes/Code")
    raw_themes, outside = [], []
    for code in codes:
        desc_el = code.find("q:Description", ns)
        if desc_el is None:
            desc_el = code.find("Description")
        parsed = _parse_description(desc_el.text if desc_el is not None else "")
        if parsed.get("id") == OUTSIDE_ID:
            outside += parsed["outside"]
            continue
        if parsed.get("id") is None and EMERGENT_MARK in (parsed["description"] or ""):
            # a run's emergent topic, exported as a candidate code: not a theme until the
            # researcher makes it one (removes this sentence, or gives it a Theme id)
            logger.warning(
                "%s: code %r is a run's emergent topic (%r in its description): not read "
                "as a theme; edit its description to make it one",
                path,
                code.get("name"),
                EMERGENT_MARK,
            )
            continue
        # Seed terms may also be nested codes (a common way to hold keywords).
        for child in code.findall("q:Code", ns) + code.findall("Code"):
            parsed["seed_terms"].append(child.get("name", ""))
        name = code.get("name") or ""
        raw = {
            "id": parsed.get("id") or _slug(name),
            "name": name,
            "description": parsed["description"] or name,
            "seed_terms": parsed["seed_terms"],
            "examples": parsed["examples"],
            "references": parsed["references"],
        }
        if code.get("color"):
            raw["color"] = code.get("color")
        raw_themes.append(raw)
    if not raw_themes:
        raise ConfigError("the .qdc file has no <Code> elements", path=path, where="<Codes>")
    return Codebook.from_dict({"themes": raw_themes, "outside": outside}, source=path)


def load_codebook(path: str | Path) -> Codebook:
    """Read a codebook from a themes YAML (``.yaml``/``.yml``) or a REFI-QDA ``.qdc``."""
    path = Path(path)
    if not path.exists():
        raise ConfigError("codebook file not found", path=path, fix="check the 'themes:' path")
    if path.suffix.lower() == ".qdc":
        return _codebook_from_qdc(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        raise ConfigError(
            f"not valid YAML ({exc.__class__.__name__})", path=path, where=where
        ) from None
    return Codebook.from_dict(data, source=path)


def codebook_terms(codebook: Codebook) -> dict[str, list[str]]:
    """Each theme's seed terms normalised with ``normalise_term`` (phrases joined by '_')."""
    return {t.id: sorted({normalise_term(s) for s in t.seed_terms} - {""}) for t in codebook}


# --- simple term normalisation, shared by lexical matching ------------------------------
_SPLIT_RE = re.compile(r"[\s_\-/]+")


def simple_lemma(word: str) -> str:
    """A deliberately simple English lemmatiser (plural/3rd-person -s), applied the same
    way to seed terms and to vocabulary, so 'benefits' meets 'benefit'."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ics")):
        return w[:-1]
    return w


def normalise_term(term: str) -> str:
    """Lower-case, split on spaces, hyphens and underscores, lemmatise simply, join by '_'."""
    words = [simple_lemma(w) for w in _SPLIT_RE.split(term.strip().lower()) if w]
    words = [re.sub(r"[^\w']", "", w) for w in words]
    return "_".join(w for w in words if w)


def iter_term_keys(tokens: Iterable[str], max_n: int = 4) -> Iterable[str]:
    """Normalised keys of every token and of every run of up to ``max_n`` consecutive
    tokens, so phrases are found whether or not preprocessing joined them."""
    # Phrase tokens from preprocessing ('sugar_levy') are split so their words count too.
    keys = [w for t in tokens for w in normalise_term(t).split("_") if w]
    for i in range(len(keys)):
        for n in range(1, max_n + 1):
            if i + n <= len(keys):
                yield "_".join(keys[i : i + n])
