"""De-identification: names and places never reach an output; offsets stay exact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from upstreamnlp.corpus.model import Corpus, Document, Segment
from upstreamnlp.errors import UpstreamError
from upstreamnlp.preprocess import (
    PreprocessOptions,
    deidentify_corpus,
    load_pipeline,
    load_privacy_list,
    preprocess,
)

PRIVACY = [
    ("Sarah Haworth", "person"),
    ("Haworth", "person"),
    ("Okoro", "person"),
    ("Tolley", "person"),
    ("Pym", "person"),
    ("Thornbury", "place"),
    ("Brackenfield Road", "place"),
    ("Rose", "person"),  # a participant called Rose: the list wins over the allow-list
]


@pytest.fixture(scope="session")
def nlp():
    return load_pipeline(ner=True)[0]


def transcript(doc_id: str, turns: list[tuple[str, str]], kind: str = "transcript") -> Corpus:
    """A transcript whose text has 'Speaker: turn' lines, one segment per turn."""
    text, segments = f"Interview {doc_id}\n", []
    for n, (speaker, turn) in enumerate(turns, start=1):
        text += f"{speaker}: "
        start = len(text)
        text += turn + "\n"
        role = "interviewer" if speaker == "Interviewer" else "participant"
        segments.append(
            Segment(f"{doc_id}#{n}", doc_id, turn, start, start + len(turn), speaker, role)
        )
    return Corpus([Document(doc_id, text, kind)], segments)


def merge(*corpora: Corpus) -> Corpus:
    return Corpus(
        [d for c in corpora for d in c.documents], [s for c in corpora for s in c.segments]
    )


def interview_corpus() -> Corpus:
    first = transcript(
        "int01",
        [
            ("Interviewer", "Thank you Sarah Haworth. What does upstream mean to you?"),
            (
                "P01",
                "Well, Mrs Haworth's team in Thornbury ran the food bank on Brackenfield Road. "
                "Haworth always said poverty and housing come first. Dr Okoro agreed.",
            ),
            (
                "P01",
                "Okoro wrote to Councillor Pym about damp housing. Tolley's clinic refers "
                "people to welfare advice. Rose said the same at the NHS meeting.",
            ),
        ],
    )
    second = transcript(
        "int02",
        [
            ("Interviewer", "And in your area?"),
            ("Dr Okoro", "In Thornbury we talk to Tolley about Marmot and Sure Start in England."),
        ],
    )
    return merge(first, second)


def test_privacy_terms_absent_from_every_file_written(tmp_path, nlp):
    out = tmp_path / "out"
    cache = tmp_path / "cache"
    result = preprocess(
        interview_corpus(),
        PreprocessOptions(no_below=1, no_above=1.0),
        cache_dir=cache,
        privacy_terms=PRIVACY,
        nlp=nlp,
    )
    result.to_parquet(out / "tokens.parquet")
    files = [p for p in list(out.rglob("*")) + list(cache.rglob("*")) if p.is_file()]
    assert len(files) >= 4 and any(p.suffix == ".pkl" for p in files)
    assert {"spacy", "tokens"} <= {
        p.relative_to(cache).parts[0] for p in files if cache in p.parents
    }
    for path in files:
        content = path.read_bytes().decode("latin-1")
        for term, _ in PRIVACY:
            assert not re.search(rf"\b{re.escape(term)}\b", content, re.IGNORECASE), (term, path)
    # the analysis vocabulary survives
    text = " ".join(d.text for d in result.corpus.documents)
    for kept in ("Marmot", "Sure Start", "England", "NHS", "poverty", "housing"):
        assert kept in text


def test_placeholders_are_consistent_within_a_document(nlp):
    new, report = deidentify_corpus(interview_corpus(), nlp=nlp, privacy_terms=PRIVACY)
    text = new.document("int01").text
    haworth = re.findall(r"\[PERSON_\d+\]", text.split("Thank you ")[1])[0]
    # full name, "Mrs Haworth's" and the bare surname are one person
    assert text.count(haworth) == 3
    assert f"Mrs {haworth}'s team" in text
    okoro = re.search(r"Dr (\[PERSON_\d+\]) agreed", text).group(1)
    assert okoro != haworth
    assert text.count(okoro) == 2
    assert text.count("[PLACE_1]") == 1 and "[PLACE_2]" in text  # two distinct places
    assert "Councillor [PERSON_" in text
    # the report counts types, never the strings
    assert report["mentions"]["PERSON"] >= 7 and report["mentions"]["PLACE"] >= 2
    assert "Haworth" not in repr(report)


def test_offsets_are_exact_after_replacement(nlp):
    corpus = interview_corpus()
    new, _ = deidentify_corpus(corpus, nlp=nlp, privacy_terms=PRIVACY)
    assert [s.id for s in new.segments] == [s.id for s in corpus.segments]
    for seg in new.segments:
        assert new.document(seg.doc_id).text[seg.start_char : seg.end_char] == seg.text
    assert "Okoro" not in new.segments_of("int02")[1].speaker
    assert new.segments_of("int02")[1].speaker.startswith("Dr [PERSON_")
    # the named speaker in the label and in the text is the same placeholder
    doc2 = new.document("int02").text
    assert doc2.count(new.segments_of("int02")[1].speaker) >= 1


def test_ner_and_patterns_without_a_list(nlp):
    corpus = transcript(
        "int03",
        [
            (
                "P02",
                "I met Jonathan Whitfield from Oldcastle last week. Write to "
                "j.whitfield@example.org, ring 0161 496 0000 or +44 7700 900123, "
                "post to M13 9PL. See https://www.facebook.com/jon.whitfield but "
                "https://www.gov.uk/guidance stays.",
            )
        ],
    )
    new, report = deidentify_corpus(corpus, nlp=nlp)
    text = new.documents[0].text
    assert "Whitfield" not in text and "whitfield@" not in text
    assert "[EMAIL_1]" in text and "[POSTCODE_1]" in text and "[URL_1]" in text
    assert report["mentions"]["PHONE"] == 2
    assert "https://www.gov.uk/guidance" in text


def test_papers_are_left_alone_unless_asked(nlp):
    paper = transcript("paper01", [("P", "Dr Okoro in Thornbury studied housing.")], kind="paper")
    kept, report = deidentify_corpus(paper, nlp=nlp, privacy_terms=PRIVACY)
    assert "Okoro" in kept.documents[0].text and report["documents"] == 0
    changed, _ = deidentify_corpus(
        paper, PreprocessOptions(deidentify_papers=True), nlp=nlp, privacy_terms=PRIVACY
    )
    assert "Okoro" not in changed.documents[0].text


def test_privacy_list_files(tmp_path: Path):
    csv_path = tmp_path / "PRIVACY_KEY.csv"
    csv_path.write_text("term,type\nSarah Haworth,person\nThornbury,place\nPym,\n")
    terms = load_privacy_list(csv_path)
    assert [(t.term, t.type) for t in terms] == [
        ("Sarah Haworth", "PERSON"),
        ("Thornbury", "PLACE"),
        ("Pym", "PERSON"),
    ]
    yaml_path = tmp_path / "names.yaml"
    yaml_path.write_text("- Okoro\n- {term: Thornbury, type: place}\n")
    assert [t.type for t in load_privacy_list(yaml_path)] == ["PERSON", "PLACE"]
    bad = tmp_path / "bad.csv"
    bad.write_text("term,type\nOkoro,planet\n")
    with pytest.raises(UpstreamError, match=r"line 2.*planet"):
        load_privacy_list(bad)
    with pytest.raises(UpstreamError, match="term"):
        (tmp_path / "nocol.csv").write_text("name\nOkoro\n")
        load_privacy_list(tmp_path / "nocol.csv")


def test_original_offsets_map_exactly_onto_the_deidentified_text(nlp, tmp_path):
    import pandas as pd

    from upstreamnlp.preprocess.deidentify import SourceOffsetMap
    from upstreamnlp.themes.supervised import coded_passage_texts

    corpus = interview_corpus()
    new, _ = deidentify_corpus(corpus, nlp=nlp, privacy_terms=PRIVACY)
    # each segment remembers where it lay in the original document
    for old, seg in zip(corpus.segments, new.segments, strict=True):
        assert (seg.source_start_char, seg.source_end_char) == (old.start_char, old.end_char)
    # a coder quotes the original transcript; names earlier in the same turn are longer or
    # shorter than their placeholders
    text = corpus.document("int01").text
    quotes = ["Haworth always said poverty and housing come first.", "Tolley's clinic refers"]
    coded = pd.DataFrame(
        {
            "doc_id": "int01",
            "start_char": [text.index(q) for q in quotes],
            "end_char": [text.index(q) + len(q) for q in quotes],
        }
    )
    mapped = coded_passage_texts(coded, new, raw_corpus=corpus)
    assert re.fullmatch(r"\[PERSON_\d+\] always said poverty and housing come first\.", mapped[0])
    assert re.fullmatch(r"\[PERSON_\d+\]'s clinic refers", mapped[1])
    # an offset inside a name snaps to its placeholder: a start before it, an end after it
    to_run = SourceOffsetMap(new, corpus)
    inside = text.index("Okoro wrote") + 2
    deid = new.document("int01").text
    assert deid[to_run("int01", inside, "start") :].startswith("[PERSON_")
    assert deid[: to_run("int01", inside, "end")].endswith("]")
    # the original offsets survive the run folder's parquet
    new.to_parquet(tmp_path / "segments.parquet")
    again = Corpus.from_parquet(tmp_path / "segments.parquet")
    assert again == new
    assert again.segments[1].source_start_char == corpus.segments[1].start_char


@pytest.mark.parametrize(
    "original, new, quote, expected",
    [
        # the placeholder shares letters with the name it replaced ("O" in PERSON)
        (
            "Dr Okoro agreed. Okoro wrote.",
            "Dr [PERSON_1] agreed. [PERSON_1] wrote.",
            "wrote",
            "wrote",
        ),
        # a name at the start and one at the very end
        ("Pym said so to Haworth", "[PERSON_1] said so to [PERSON_2]", "said so", "said so"),
        # two names side by side become two adjacent placeholders
        ("Ask SarahHaworth now", "Ask [PERSON_1][PERSON_2] now", "now", "now"),
        # text that only looks like a placeholder is kept and counted as text
        (
            "[PERSON_9] met Pym today",
            "[PERSON_9] met [PERSON_1] today",
            "met Pym today",
            "met [PERSON_1] today",
        ),
    ],
)
def test_alignment_of_original_and_deidentified_text(original, new, quote, expected):
    from upstreamnlp.corpus.model import Corpus, Document, Segment
    from upstreamnlp.preprocess.deidentify import SourceOffsetMap

    raw = Corpus([Document("d", original)], [Segment("d#1", "d", original, 0, len(original))])
    deid = Corpus(
        [Document("d", new)],
        [Segment("d#1", "d", new, 0, len(new), source_start_char=0, source_end_char=len(original))],
    )
    to_run = SourceOffsetMap(deid, raw)
    start = original.index(quote)
    got = new[to_run("d", start, "start") : to_run("d", start + len(quote), "end")]
    assert got == expected
