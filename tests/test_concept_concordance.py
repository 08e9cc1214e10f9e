"""The concordance: every use of "upstream" with exact offsets and KWIC contexts."""

import pytest

from upstreamnlp.concept import (
    ConceptSpec,
    analyse_concept,
    concordance,
    load_concept_pipeline,
    sort_concordance,
)
from upstreamnlp.corpus.model import Corpus, Document, Segment
from upstreamnlp.models.embeddings import HashingEmbedder


@pytest.fixture(scope="module")
def nlp():
    return load_concept_pipeline()


def _interview() -> Corpus:
    turns = [
        ("Interviewer", "interviewer", "What does upstream mean to you?"),
        (
            "P01",
            "participant",
            "Well, for me Upstream is about power. We tried to work up-stream,\n"
            "   but the money went to treatment.",
        ),
        ("Interviewer", "interviewer", "And the council?"),
        (
            "P01",
            "participant",
            "They talk about the causes of the causes. We keep pulling people out of the "
            "river and nobody goes up stream to see who is pushing them in.",
        ),
    ]
    text, segments = "", []
    for n, (speaker, role, turn) in enumerate(turns, start=1):
        line = f"{speaker}: "
        start = len(text) + len(line)
        text += line + turn + "\n\n"
        segments.append(
            Segment(
                id=f"int1#{n}",
                doc_id="int1",
                text=turn,
                start_char=start,
                end_char=start + len(turn),
                speaker=speaker,
                speaker_role=role,
                metadata={"role": "practitioner", "discipline": "nursing", "year": 2019},
            )
        )
    doc = Document("int1", text, kind="transcript", metadata={"role": "practitioner"})
    return Corpus([doc], segments)


def test_offsets_are_exact_and_forms_are_found(nlp):
    corpus = _interview()
    lines = concordance(corpus, nlp=nlp)
    text = corpus.document("int1").text
    for row in lines.itertuples():
        assert text[row.start_char : row.end_char] == row.match
        assert text[row.sentence_start : row.sentence_end].strip().startswith(row.sentence[:10])
    matches = lines["match"].str.lower().tolist()
    assert "upstream" in matches[0]
    assert any(m.startswith("work up-stream") for m in matches)
    assert any("up stream" in m for m in matches)
    assert "causes of the causes" in matches
    assert "river_metaphor" in set(lines["form"])
    # the interviewer's question is left out by default, included on request
    assert "int1#1" not in set(lines["segment_id"])
    with_interviewer = concordance(corpus, nlp=nlp, include_interviewer=True)
    assert "int1#1" in set(with_interviewer["segment_id"])
    # segment metadata columns come along
    assert set(lines["discipline"]) == {"nursing"} and set(lines["year"]) == {2019}
    assert set(lines["speaker_role"]) == {"participant"}


def test_contexts_are_the_text_around_the_match(nlp):
    corpus = _interview()
    lines = concordance(corpus, nlp=nlp, width=20)
    first = lines.iloc[0]
    assert first["match"] == "Upstream"
    assert first["left"] == "Well, for me "  # within the participant's turn only
    assert first["right"] == " is about power. We t"[:20]
    hyphen = lines[lines["match"].str.contains("up-stream")].iloc[0]
    # whitespace (newline and indentation) is normalised in the context
    assert hyphen["right"].startswith(", but the money")
    assert all(len(row.left) <= 20 and len(row.right) <= 20 for row in lines.itertuples())


def test_kwic_sort_by_left_and_right_word(nlp):
    corpus = Corpus(
        [
            Document("d1", "We must move upstream now. Zebras think upstream too."),
            Document("d2", "Always act upstream quickly, and then look upstream again."),
        ]
    )
    lines = concordance(corpus, nlp=nlp, spec=ConceptSpec(builtin=False))
    by_left = sort_concordance(lines, by="left")
    assert [r.split()[-1] for r in by_left["left"]] == ["act", "look", "move", "think"]
    by_right = sort_concordance(lines, by="right")
    assert [r.split()[0].strip(".,") for r in by_right["right"]] == [
        "again",
        "now",
        "quickly",
        "too",
    ]
    two = sort_concordance(lines, by="left", n_words=2)
    assert two["left"].iloc[0].rstrip().endswith("Always act")


def test_no_occurrences_gives_a_message_and_empty_tables(nlp, tmp_path):
    corpus = Corpus(
        [Document(f"d{i}", "We talked about prevention and housing.") for i in range(3)]
    )
    result = analyse_concept(corpus, nlp=nlp, embedder=HashingEmbedder())
    assert "no occurrences of 'upstream'" in result.message and "3 documents" in result.message
    assert result.concordance.empty and "start_char" in result.concordance.columns
    assert result.definitions.empty and "definiens" in result.definitions.columns
    assert result.senses.empty and "theme" in result.senses.columns
    out = result.write(tmp_path)
    assert (out / "concordance.csv").exists() and (out / "prevalence_role.csv").exists()
    assert result.figures() == {}
