"""Interview transcripts: find speaker turns in text, and read .docx, .vtt and .srt.

A *turn* starts with a speaker label at the start of a line (``Interviewer:``, ``P03:``,
``Participant 3:``, ``Dr Smith:``, ``Speaker 1 (00:01:02):``, ``[00:01:02] Speaker 1:``,
``**Interviewer:**``, or in a dialogue pasted from a table ``Speaker 1<TAB>text``)
and runs until the next label; turns that wrap over several lines are one turn.
Offsets always point into the text exactly as given.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from upstreamnlp.corpus.model import INTERVIEWER, PARTICIPANT

#: Labels (lower case, trailing numbers ignored) that mark the interviewer by default.
DEFAULT_INTERVIEWER_LABELS: frozenset[str] = frozenset(
    {"interviewer", "int", "i", "q", "facilitator", "moderator"}
)

#: First words that start a heading or a note, never a speaker ("Note: ...", "Table 1: ...").
NOT_SPEAKER_WORDS: frozenset[str] = frozenset(
    {
        "note", "notes", "nb", "ps", "re", "date", "time", "location", "place", "duration",
        "title", "transcript", "transcription", "interview", "keywords", "keyword", "abstract",
        "background", "method", "methods", "results", "result", "conclusion", "conclusions",
        "aim", "aims", "objective", "objectives", "introduction", "discussion", "summary",
        "example", "examples", "source", "sources", "table", "figure", "fig", "box",
        "appendix", "chapter", "section", "step", "stage", "phase", "part", "theme",
        "themes", "quote", "subject", "from", "to", "cc", "tel", "email", "doi", "url",
        "http", "https", "www", "warning", "caution", "tip", "important", "definition",
        "context", "setting", "design", "participants", "funding", "references", "key",
        "recording", "audio", "file", "version", "project", "study", "site", "total",
    }
)  # fmt: skip

# Words allowed in lower case inside a name ("Head of Policy", "Ludwig van Beethoven").
_PARTICLES = frozenset({"of", "de", "van", "von", "da", "du", "le", "la", "der", "den", "bin"})

#: A timestamp as transcripts and subtitle exports write it (1:02, 00:01:02, 00:01:02.250).
TIMESTAMP = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_WORD = r"[^\W_][\w'’.\-]*"
_LABEL = rf"{_WORD}(?:[ \t]+{_WORD}){{0,3}}"
# A label followed by a colon (also in Markdown bold, "**Interviewer:**"), or (Otter style)
# a label and a timestamp alone on a line, or (a table pasted as text) a label, a tab and
# the speech, optionally with a time column between.
_CANDIDATE = re.compile(
    rf"""^[ \t]*(?:[\[(]{TIMESTAMP}[\])][ \t]*|{TIMESTAMP}[ \t]+)?(?:\*\*|__)?
    (?P<label>{_LABEL})
    (?:
        (?:\*\*|__)?(?:[ \t]*[\[(]{TIMESTAMP}[\])]|[ \t]+{TIMESTAMP})?[ \t]*:(?:\*\*|__)?(?=[ \t]|$)
        [ \t]*(?:[\[(]{TIMESTAMP}[\])]|\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?)?
      | [ \t]+{TIMESTAMP}[ \t]*$
      | (?P<tab>\t(?:[\[(]?{TIMESTAMP}[\])]?\t)?)(?=\S)
    )""",
    re.MULTILINE | re.VERBOSE,
)
# Labels that are speakers even when they occur once: role words and codes like P03, R, Q.
_KNOWN_LABEL = re.compile(
    r"(?:[A-Z]{1,3}\d{0,4}|(?:participant|respondent|interviewee|interviewer|speaker|"
    r"person|facilitator|moderator|researcher|int|resp)\.?(?:[ \t]*\d+)?)",
    re.IGNORECASE,
)


@dataclass
class Turn:
    """One speaker turn: the speaker's label and the span of what they said."""

    speaker: str | None
    start: int
    end: int


def _plausible_label(label: str) -> bool:
    words = label.split()
    if not words or len(words) > 4:
        return False
    if words[0].rstrip(".").lower() in NOT_SPEAKER_WORDS:
        return False
    if not words[0][0].isupper():
        return False
    return all(w[0].isupper() or w[0].isdigit() or w in _PARTICLES for w in words[1:])


def _one_off_ok(label: str, text: str, body_start: int) -> bool:
    """A label seen once: a code or role word, or a short name ("Sarah", "Dr Smith")
    followed by speech that starts like a sentence ("Housing: it is..." is not a turn)."""
    label = label.strip()
    if _KNOWN_LABEL.fullmatch(label):
        return True
    words = label.split()
    if len(words) > 2 or not all(w[:1].isupper() and w[1:].islower() for w in words):
        return False
    first = text[body_start : body_start + 1]
    return not first or first == "\n" or not first.islower()


def normalise_label(label: str) -> str:
    """A label reduced for role matching: lower case, no trailing number or dot."""
    text = re.sub(r"\(.*?\)", "", label).strip().lower()
    return re.sub(r"[\s.]*\d*[\s.]*$", "", text) or text


def speaker_role(label: str | None, interviewer_labels: Iterable[str] | None = None) -> str:
    """``"interviewer"`` when the label is one of ``interviewer_labels``, else ``"participant"``."""
    labels = (
        DEFAULT_INTERVIEWER_LABELS
        if interviewer_labels is None
        else frozenset(normalise_label(x) for x in interviewer_labels)
    )
    if label is not None and normalise_label(label) in labels:
        return INTERVIEWER
    return PARTICIPANT


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def find_turns(text: str) -> list[Turn]:
    """Speaker turns in ``text``, in order; an empty list when there are no labels.

    A candidate label counts when it is short (<= 4 capitalised words or a code), is not a
    heading word ("Note", "Table 1", "Background"), and either looks like a speaker code,
    role or short name (``P03``, ``Participant 3``, ``Interviewer``, ``Dr Smith``) or occurs
    at least twice, so a one-off "Public Health England: ..." line stays inside its turn.
    """
    candidates = [m for m in _CANDIDATE.finditer(text) if _plausible_label(m.group("label"))]
    counts = Counter(m.group("label") for m in candidates)
    # a tab after a word is a speaker only in a dialogue: labels that recur, two or more
    tabbed = Counter(m.group("label") for m in candidates if m.group("tab"))
    dialogue = sum(n >= 2 for n in tabbed.values()) >= 2

    def accept(m: re.Match) -> bool:
        if m.group("tab"):
            return dialogue and tabbed[m.group("label")] >= 2
        return counts[m.group("label")] >= 2 or _one_off_ok(m["label"], text, m.end())

    accepted = [m for m in candidates if accept(m)]
    turns = []
    for i, match in enumerate(accepted):
        end = accepted[i + 1].start() if i + 1 < len(accepted) else len(text)
        start, stop = _strip_span(text, match.end(), end)
        turns.append(Turn(match.group("label").strip(), start, stop))
    return turns


# --- Word ------------------------------------------------------------------------------
def read_docx_text(path: str | Path) -> str:
    """A Word document's paragraphs and table rows, one line each, tracked changes
    accepted (``corpus.word.document_text``)."""
    from upstreamnlp.corpus.word import document_text

    return document_text(path)


# --- subtitles (WebVTT from Zoom and Teams, SubRip) ------------------------------------
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?[ \t]+([^>]+)>", re.IGNORECASE)
_TAG = re.compile(r"</?[^>]*>")
_CUE_LABEL = re.compile(r"^\s*([^:\n]{1,60}?)\s*:\s+(?=\S)")


def _cue_speaker(payload: str) -> tuple[str | None, str]:
    voice = _VOICE.search(payload)
    if voice:
        speaker = voice.group(1).strip()
        return speaker, " ".join(_TAG.sub("", payload).split())
    plain = " ".join(_TAG.sub("", payload).split())
    label = _CUE_LABEL.match(plain)
    if label and len(label.group(1).split()) <= 5 and _plausible_cue_label(label.group(1)):
        return label.group(1).strip(), plain[label.end() :].strip()
    return None, plain


def _plausible_cue_label(label: str) -> bool:
    # Zoom writes display names as typed ("sarah jones"), so case is not checked here.
    first = label.split()[0].rstrip(".").lower()
    return first not in NOT_SPEAKER_WORDS and not re.search(r"[.!?,;]", label.rstrip("."))


def parse_subtitles(text: str) -> list[tuple[str | None, str]]:
    """(speaker, text) for each cue of a .vtt or .srt file, timestamps and numbers dropped."""
    cues = []
    for block in re.split(r"\n[ \t]*\n", text.strip()):
        lines = block.split("\n")
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue  # WEBVTT header, NOTE, STYLE and REGION blocks
        payload = "\n".join(lines[timing + 1 :]).strip()
        if not payload:
            continue
        speaker, said = _cue_speaker(payload)
        if said:
            cues.append((speaker, said))
    return cues


def subtitles_to_transcript(
    cues: list[tuple[str | None, str]], merge_same_speaker: bool = True
) -> tuple[str, list[Turn]]:
    """The document text (one ``Speaker: text`` line per turn) and its turns."""
    merged: list[list] = []
    for speaker, said in cues:
        if merge_same_speaker and merged and merged[-1][0] == speaker:
            merged[-1][1].append(said)
        else:
            merged.append([speaker, [said]])
    parts: list[str] = []
    turns: list[Turn] = []
    offset = 0
    for speaker, said in merged:
        prefix = f"{speaker}: " if speaker else ""
        body = " ".join(said)
        line = prefix + body
        turns.append(Turn(speaker, offset + len(prefix), offset + len(line)))
        parts.append(line)
        offset += len(line) + 1
    return "\n".join(parts), turns
