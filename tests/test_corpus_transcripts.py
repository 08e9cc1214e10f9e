"""Transcripts: speaker labels, interviewer turns, wrapped turns, subtitles, exact offsets."""

from __future__ import annotations

import random
import re

import docx
import pytest

from upstreamnlp.corpus import SegmentationOptions, read_corpus
from upstreamnlp.corpus.segment import split_sentences
from upstreamnlp.corpus.transcripts import find_turns

QUESTIONS = [
    "What does upstream action mean to you in your own work?",
    "Could you give me an example of that from your borough?",
    "How would a colleague in another discipline describe it?",
    "Why do you think that framing took hold in the council?",
]
WORDS = (
    "housing income poverty prevention screening smoking policy council community "
    "education employment welfare neighbourhood legislation sugar tax alcohol families "
    "children schools transport inequality deprivation services evidence funding"
).split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 18))]
    return "I think " + " ".join(words) + "."


def make_transcript(seed: int = 0, turns: int = 12, long_every: int = 4) -> str:
    """An interview with numbered participant, interviewer questions and wrapped turns."""
    rng = random.Random(seed)
    labels = ["Interviewer", "I", "Q"]
    participant = rng.choice(["P03", "Participant 3", "R", "Dr Smith"])
    lines = ["Interview 3, recorded 12 May 2019", ""]
    for n in range(turns):
        lines.append(f"{labels[n % 3]}: {QUESTIONS[n % len(QUESTIONS)]}")
        lines.append("")
        n_sentences = 40 if n % long_every == 0 else rng.randint(2, 6)
        body = [_sentence(rng) for _ in range(n_sentences)]
        # wrap the turn over several lines, as Word does when saving as text
        wrapped = [" ".join(body[i : i + 3]) for i in range(0, len(body), 3)]
        lines.append(f"{participant}: " + "\n".join(wrapped))
        lines.append("")
    return "\n".join(lines)


def test_speaker_label_styles_are_recognised():
    text = (
        "Interviewer: one\nI: two\nQ: three\nA: four\nR: five\nP03: six\nP3: seven\n"
        "Participant 3: eight\nRespondent: nine\nDr Smith: Ten\nSarah: Eleven\n"
        "Speaker 1 (00:01:02): twelve\n[00:01:02] Speaker 1: thirteen\nINTERVIEWER: fourteen\n"
        "Speaker 2 00:03:04: fifteen\nHousing: it is the big one.\n"
    )
    turns = find_turns(text)
    assert [t.speaker for t in turns] == [
        "Interviewer", "I", "Q", "A", "R", "P03", "P3", "Participant 3", "Respondent",
        "Dr Smith", "Sarah", "Speaker 1", "Speaker 1", "INTERVIEWER", "Speaker 2",
    ]  # fmt: skip
    assert [text[t.start : t.end] for t in turns][11:13] == ["twelve", "thirteen"]
    # a one-off capitalised word before a colon, then lower case, is speech, not a speaker
    assert text[turns[-1].start : turns[-1].end] == "fifteen\nHousing: it is the big one."


def test_labels_in_markdown_bold_or_before_a_tab_are_speakers():
    """Transcripts pasted from a table (speaker, tab, maybe a time, tab, speech) or typed
    in Markdown (**Interviewer:**) are dialogues too; a data table pasted into a paper is
    not."""
    tabbed = (
        "Speaker 1\t00:00:03\tWhat does upstream mean?\nJane Smith\t00:00:09\tHousing.\n"
        "Speaker 1\t00:01:03\tWho acts?\nJane Smith\t00:01:09\tThe council.\n"
    )
    turns = find_turns(tabbed)
    assert [(t.speaker, tabbed[t.start : t.end]) for t in turns] == [
        ("Speaker 1", "What does upstream mean?"),
        ("Jane Smith", "Housing."),
        ("Speaker 1", "Who acts?"),
        ("Jane Smith", "The council."),
    ]
    bold = "**Interviewer:** What does upstream mean?\n**P01**: Housing and income.\n"
    turns = find_turns(bold)
    assert [(t.speaker, bold[t.start : t.end]) for t in turns] == [
        ("Interviewer", "What does upstream mean?"),
        ("P01", "Housing and income."),
    ]
    table = "Results\nIncome\t23.4\t45.1\nHousing\t12.0\t11.2\nIncome matters.\n"
    assert find_turns(table) == []
    # one tab in a labelled transcript stays inside the turn
    one = "Interviewer: Hi.\nP01: Hello.\nNote\ton the map.\n"
    assert [t.speaker for t in find_turns(one)] == ["Interviewer", "P01"]


def test_notes_and_mid_sentence_colons_are_not_speakers():
    text = (
        "Interviewer: What matters most?\n"
        "P03: Housing, mostly.\n"
        "Note: the participant pointed at a map.\n"
        "The main point is this: people need homes.\n"
        "Public Health England: said much the same.\n"
        "Interviewer: Thanks.\n"
    )
    turns = find_turns(text)
    assert [t.speaker for t in turns] == ["Interviewer", "P03", "Interviewer"]
    said = text[turns[1].start : turns[1].end]
    assert said.startswith("Housing, mostly.") and said.endswith("said much the same.")


def test_interviewer_never_in_participant_segments_and_participant_words_kept(tmp_path):
    options = SegmentationOptions(min_words=40, max_words=120)
    for seed in range(4):
        text = make_transcript(seed)
        (tmp_path / f"int{seed}.txt").write_text(text, encoding="utf-8")
    corpus = read_corpus(tmp_path, options=options)
    assert corpus.warnings == []
    assert {d.kind for d in corpus.documents} == {"transcript"}
    for doc in corpus.documents:
        segments = corpus.segments_of(doc.id)
        for seg in segments:
            assert doc.text[seg.start_char : seg.end_char] == seg.text
            assert not re.match(r"^\s|.*\s$", seg.text, re.S)
            assert "Interviewer:" not in seg.text and not seg.text.startswith(("P03:", "R:"))
            if seg.speaker_role == "participant":
                assert not any(q in seg.text for q in QUESTIONS)
                assert len(seg.text.split()) <= options.max_words
            else:
                assert seg.text in QUESTIONS
        # >= 99% of the participant's words are in some participant segment
        spoken = []
        for turn in find_turns(doc.text):
            if turn.speaker not in ("Interviewer", "I", "Q"):
                spoken.extend(doc.text[turn.start : turn.end].split())
        covered = [w for s in segments if s.speaker_role == "participant" for w in s.text.split()]
        assert len(covered) >= 0.99 * len(spoken) > 0
        ids = [s.id for s in segments]
        assert ids == [f"{doc.id}#{n}" for n in range(1, len(ids) + 1)]
    interviewer = [s for s in corpus.segments if s.speaker_role == "interviewer"]
    assert len(interviewer) == 4 * 12


def test_long_turn_is_split_at_sentence_boundaries(tmp_path):
    sentences = [
        f"Dr. Jones said sentence number {i} is about housing and income." for i in range(60)
    ]
    text = "Interviewer: Tell me more.\nP01: " + " ".join(sentences) + "\n"
    (tmp_path / "long.txt").write_text(text, encoding="utf-8")
    corpus = read_corpus(tmp_path, options=SegmentationOptions(min_words=40, max_words=100))
    parts = [s for s in corpus.segments if s.speaker == "P01"]
    assert len(parts) >= 6
    for seg in parts:
        assert 40 <= len(seg.text.split()) <= 100
        assert seg.text.startswith("Dr. Jones said") and seg.text.endswith("income.")


def test_sentence_splitter_keeps_abbreviations():
    text = 'Dr. Smith agreed, e.g. on housing. "It matters." Then we left! Why? Because.'
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Dr. Smith agreed, e.g. on housing.",
        '"It matters."',
        "Then we left!",
        "Why?",
        "Because.",
    ]


def test_custom_interviewer_labels(tmp_path):
    text = (
        "Researcher: What is upstream?\nP01: Prevention.\nResearcher: Anything else?\nP01: Tax.\n"
    )
    (tmp_path / "t.txt").write_text(text, encoding="utf-8")
    default = read_corpus(tmp_path)
    assert {s.speaker_role for s in default.segments} == {"participant"}
    custom = read_corpus(tmp_path, interviewer_labels=["Researcher"])
    roles = [(s.speaker, s.speaker_role) for s in custom.segments]
    assert roles[0] == ("Researcher", "interviewer") and roles[1] == ("P01", "participant")


def test_text_without_labels_is_not_a_transcript_unless_in_transcripts_folder(tmp_path):
    plain = "Upstream action means acting on causes.\n\nIt is a metaphor from McKinlay.\n"
    (tmp_path / "essay.txt").write_text(plain, encoding="utf-8")
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "unlabelled.txt").write_text(plain, encoding="utf-8")
    corpus = read_corpus(tmp_path)
    assert corpus.document("essay").kind == "other"
    unlabelled = corpus.document("unlabelled")
    assert unlabelled.kind == "transcript"
    assert {s.speaker_role for s in corpus.segments_of("unlabelled")} == {"participant"}
    assert any("no speaker labels" in m for f, m in corpus.warnings if "unlabelled" in f)


def test_docx_transcript(tmp_path):
    document = docx.Document()
    document.add_paragraph("Interviewer: What does upstream mean?")
    document.add_paragraph("Participant 3: Changing the conditions people live in.")
    document.add_paragraph("It continues in a second paragraph.")
    document.add_paragraph("Interviewer: Thank you.")
    document.save(tmp_path / "int03.docx")
    corpus = read_corpus(tmp_path)
    doc = corpus.document("int03")
    assert doc.kind == "transcript"
    assert doc.text.split("\n")[0] == "Interviewer: What does upstream mean?"
    participant = [s for s in corpus.segments if s.speaker_role == "participant"]
    assert [s.text for s in participant] == [
        "Changing the conditions people live in.\nIt continues in a second paragraph."
    ]
    assert participant[0].speaker == "Participant 3"


def test_a_transcript_without_a_known_interviewer_label_is_flagged(tmp_path):
    """ "Researcher:" asks the questions but is not a default interviewer label: its
    questions would be modelled as answers unless the researcher is told."""
    (tmp_path / "int01.txt").write_text(
        "Researcher: What does upstream mean to you?\nP01: Housing and income.\n"
        "Researcher: And who should act?\nP01: The council, with residents deciding.\n",
        encoding="utf-8",
    )
    corpus = read_corpus(tmp_path)
    [(file, message)] = corpus.warnings
    assert file.endswith("int01.txt")
    assert "no interviewer among the speakers (Researcher, P01)" in message
    assert "Researcher mostly asks questions" in message and "interviewer_labels" in message
    marked = read_corpus(tmp_path, interviewer_labels=["Researcher"])
    assert marked.warnings == []
    assert [s.speaker_role for s in marked.segments] == [
        "interviewer",
        "participant",
        "interviewer",
        "participant",
    ]


def test_docx_transcript_corrected_with_track_changes_reads_as_accepted(tmp_path, tracked_change):
    """A transcriber's corrections made with Track Changes on: what Word shows once the
    changes are accepted, not the words python-docx's paragraph.text alone would give."""
    document = docx.Document()
    document.add_paragraph("Interviewer: What does upstream mean?")
    turn = document.add_paragraph("P01: It means ")
    turn._p.append(tracked_change("w:del", "fixing the drains", "w:delText"))
    turn._p.append(tracked_change("w:ins", "fixing the conditions"))
    turn.add_run(" people live in.")
    document.add_paragraph("")._p.append(tracked_change("w:ins", "P01: And power, really."))
    document.save(tmp_path / "int04.docx")
    corpus = read_corpus(tmp_path)
    assert corpus.document("int04").text.split("\n")[1:] == [
        "P01: It means fixing the conditions people live in.",
        "P01: And power, really.",
    ]
    said = [s.text for s in corpus.segments if s.speaker_role == "participant"]
    assert "fixing the drains" not in " ".join(said) and "And power, really." in " ".join(said)


def test_docx_transcript_in_a_table_reads_one_turn_per_row(tmp_path):
    """Transcription services deliver tables: a heading row, then speaker, time, text."""
    document = docx.Document()
    document.add_paragraph("Interview 5, 12 March")
    rows = [
        ("Speaker", "Time", "Text"),
        ("Interviewer", "00:00:04", "What does upstream mean to you?"),
        ("Participant 5", "00:00:09", "Rent controls. Housing that does not make you ill."),
        ("Interviewer", "00:01:15", "Anything else?"),
    ]
    table = document.add_table(rows=len(rows), cols=3)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    document.save(tmp_path / "int05.docx")
    corpus = read_corpus(tmp_path)
    doc = corpus.document("int05")
    assert doc.kind == "transcript"
    assert doc.text.split("\n") == [
        "Interview 5, 12 March",
        "Interviewer: What does upstream mean to you?",
        "Participant 5: Rent controls. Housing that does not make you ill.",
        "Interviewer: Anything else?",
    ]
    participant = [s for s in corpus.segments if s.speaker_role == "participant"]
    assert [(s.speaker, s.text) for s in participant] == [
        ("Participant 5", "Rent controls. Housing that does not make you ill.")
    ]


ZOOM_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.500
Jane Interviewer: What does upstream mean to you?

2
00:00:04.500 --> 00:00:09.000
Sam Lee: It means prevention, mostly.

3
00:00:09.000 --> 00:00:12.000
Sam Lee: And some policy: taxes, for example.
"""

TEAMS_VTT = """WEBVTT

NOTE generated by Teams

a1b2c3-0
00:00:01.000 --> 00:00:04.000
<v Interviewer>What does upstream mean?</v>

a1b2c3-1
00:00:04.000 --> 00:00:08.000
<v Participant 2>The <c>social</c> determinants.</v>
"""

SRT = """1
00:00:01,000 --> 00:00:04,000
Interviewer: Where does the river start?

2
00:00:04,000 --> 00:00:07,000
P05: Upstream, with income
and housing.
"""


def test_vtt_and_srt_lose_timestamps_and_keep_speakers(tmp_path):
    (tmp_path / "zoom.vtt").write_text(ZOOM_VTT, encoding="utf-8")
    (tmp_path / "teams.vtt").write_text(TEAMS_VTT, encoding="utf-8")
    (tmp_path / "call.srt").write_text(SRT, encoding="utf-8")
    corpus = read_corpus(tmp_path, interviewer_labels=["Interviewer", "Jane Interviewer"])
    assert corpus.warnings == [] and corpus.skipped == []
    zoom = corpus.document("zoom")
    assert zoom.text == (
        "Jane Interviewer: What does upstream mean to you?\n"
        "Sam Lee: It means prevention, mostly. And some policy: taxes, for example."
    )
    assert [(s.speaker, s.speaker_role) for s in corpus.segments_of("zoom")] == [
        ("Jane Interviewer", "interviewer"),
        ("Sam Lee", "participant"),
    ]
    teams = corpus.document("teams")
    assert (
        teams.text
        == "Interviewer: What does upstream mean?\nParticipant 2: The social determinants."
    )
    assert corpus.segments_of("teams")[1].text == "The social determinants."
    srt = corpus.segments_of("call")
    assert [s.text for s in srt] == [
        "Where does the river start?",
        "Upstream, with income and housing.",
    ]
    for doc in corpus.documents:
        assert "-->" not in doc.text and "WEBVTT" not in doc.text
        for seg in corpus.segments_of(doc.id):
            assert doc.text[seg.start_char : seg.end_char] == seg.text


@pytest.mark.parametrize("merge", [True, False])
def test_merge_same_speaker_cues(tmp_path, merge):
    (tmp_path / "zoom.vtt").write_text(ZOOM_VTT, encoding="utf-8")
    corpus = read_corpus(tmp_path, options=SegmentationOptions(merge_same_speaker=merge))
    assert len(corpus.segments) == (2 if merge else 3)


ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3">
<office:body><office:text>
<text:tracked-changes><text:changed-region text:id="ct1"><text:deletion>
<office:change-info><dc:creator>T</dc:creator></office:change-info>
<text:p>fixing the drains</text:p></text:deletion></text:changed-region></text:tracked-changes>
<text:h text:outline-level="1">Interview 6</text:h>
<text:p>Interviewer: What does <text:span>upstream</text:span> mean?</text:p>
<text:p>P06: It means<text:s text:c="2"/>fixing <text:change text:change-id="ct1"/>the
 conditions<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation>
<text:note-body><text:p>Transcriber's note.</text:p></text:note-body></text:note> people
 live in.<office:annotation><text:p>check this</text:p></office:annotation></text:p>
<table:table><table:table-row><table:table-cell><text:p>Speaker</text:p></table:table-cell>
<table:table-cell><text:p>Text</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell><text:p>Interviewer</text:p></table:table-cell>
<table:table-cell><text:p>Anything else?</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell><text:p>P06</text:p></table:table-cell>
<table:table-cell><text:p>Power, really.</text:p></table:table-cell></table:table-row>
</table:table>
</office:text></office:body></office:document-content>
"""


def test_odt_transcript_from_libreoffice_reads_as_shown(tmp_path):
    """LibreOffice Writer saves .odt: its text, tracked changes accepted (the deleted
    words kept apart), without footnotes or comments, tables as turns."""
    import zipfile

    with zipfile.ZipFile(tmp_path / "int06.odt", "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", ODT_CONTENT)
    corpus = read_corpus(tmp_path)
    assert corpus.skipped == []
    doc = corpus.document("int06")
    assert doc.kind == "transcript"
    lines = [" ".join(line.split()) for line in doc.text.split("\n")]
    assert lines == [
        "Interview 6",
        "Interviewer: What does upstream mean?",
        "P06: It means fixing the conditions people live in.",
        "Interviewer: Anything else?",
        "P06: Power, really.",
    ]
    assert "  fixing" in doc.text  # <text:s text:c="2"/> is two spaces
    said = [s.text for s in corpus.segments if s.speaker_role == "participant"]
    assert "drains" not in " ".join(said) and "Transcriber" not in " ".join(said)
    assert "check this" not in doc.text
    (tmp_path / "broken.odt").write_bytes(b"PK\x03\x04 not really")
    reasons = dict(read_corpus(tmp_path).skipped)
    assert reasons[str(tmp_path / "broken.odt")].startswith("corrupt or unreadable .odt")
