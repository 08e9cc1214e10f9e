"""Passages: each segment's sentences, labelled one by one and validated at that unit."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from upstreamnlp.themes.passages import (
    label_passages,
    passage_theme_proba,
    segment_passages,
    sentence_spans,
)
from upstreamnlp.themes.validation import validate


def _pieces(text: str, **kw) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text, **kw)]


def test_sentences_split_where_a_reader_would_and_keep_abbreviations_and_numbers():
    text = (
        "We met the housing officer at the hall, e.g. about the damp. "
        'Rents rose 2.5 times in ten years!  "Who pays?" she asked us all. '
        "[PERSON_1] said the council knew."
    )
    assert _pieces(text) == [
        "We met the housing officer at the hall, e.g. about the damp.",
        "Rents rose 2.5 times in ten years!",
        '"Who pays?" she asked us all.',
        "[PERSON_1] said the council knew.",
    ]


def test_short_fragments_join_a_neighbour_and_line_breaks_always_split():
    text = "Everyone tells carers to look after themselves. With what time?"
    assert _pieces(text) == [text]  # "With what time?" is 3 words: one passage
    assert _pieces(text, min_words=3) == [
        "Everyone tells carers to look after themselves.",
        "With what time?",
    ]
    assert _pieces("Yes. Poverty makes people ill, that is the point.") == [
        "Yes. Poverty makes people ill, that is the point."
    ]
    assert _pieces("the first turn without a stop\nand a second turn here") == [
        "the first turn without a stop",
        "and a second turn here",
    ]
    assert _pieces("   ") == []
    with pytest.raises(ValueError):
        sentence_spans("text", min_words=0)


def test_passage_offsets_slice_both_the_deidentified_and_the_original_document():
    original = "Intro line here. I met John Smith at the clinic today. He was ill with damp."
    deidentified = "Intro line here. I met [PERSON_1] at the clinic today. He was ill with damp."
    start = deidentified.index("I met")
    seg_text = deidentified[start:]
    segments = pd.DataFrame(
        {
            "segment_id": ["D1#2"],
            "doc_id": ["D1"],
            "start_char": [start],
            "source_start_char": [original.index("I met")],
            "source_end_char": [len(original)],
        }
    )
    raw = SimpleNamespace(documents=[SimpleNamespace(id="D1", text=original)])
    passages = segment_passages(segments, [seg_text], raw_corpus=raw)
    assert list(passages["passage_id"]) == ["D1#2.1", "D1#2.2"]
    for row in passages.itertuples():
        assert deidentified[row.start_char : row.end_char] == row.text
    first, second = passages.itertuples()
    assert original[first.source_start_char : first.source_end_char] == (
        "I met John Smith at the clinic today."
    )
    assert original[second.source_start_char : second.source_end_char] == ("He was ill with damp.")


def test_a_passage_leans_towards_its_segment_only_as_far_as_the_weight_says():
    own = np.array([[0.55, 0.45], [0.9, 0.1]])
    segment = np.array([[0.2, 0.8]])
    alone = passage_theme_proba(own, segment, [0, 0], weight=0.0)
    assert np.allclose(alone, own)
    leaned = passage_theme_proba(own, segment, [0, 0], weight=1.0)
    assert np.allclose(leaned.sum(axis=1), 1.0)
    assert leaned[0].argmax() == 1  # a near tie goes the segment's way
    assert leaned[1].argmax() == 0  # a clear passage keeps its own theme
    with pytest.raises(ValueError):
        passage_theme_proba(own, segment[:, :1], [0, 0])


def test_without_a_learned_labeller_passages_take_their_segments_theme():
    passages = pd.DataFrame(
        {
            "passage_id": ["A#1.1", "A#1.2", "A#2.1"],
            "segment_id": ["A#1", "A#1", "A#2"],
            "text": [
                "Poverty and damp housing make people ill.",
                "So we campaigned for a living wage.",
                "The weather was lovely that summer.",
            ],
        }
    )
    out = label_passages(
        passages, [0, 0, 1], ["social_determinants", "none"], [0.8, 0.3], embedder=None
    )
    assert list(out["theme"]) == ["social_determinants", "social_determinants", "none"]
    assert list(out["theme_score"]) == [0.8, 0.8, 0.3]
    # determinant/action read from each sentence: a cause, then an action
    assert list(out["determinant_or_action"][:2]) == ["determinant", "action"]


def _run_frames():
    """One segment holding a sentence about a cause and one about an action; the
    segment's single label can only be right about one of them."""
    assignments = pd.DataFrame(
        {
            "segment_id": ["D1#1", "D2#1"],
            "doc_id": ["D1", "D2"],
            "start_char": [0, 0],
            "end_char": [100, 60],
            "theme": ["social_determinants", "prevention"],
            "determinant_or_action": ["action", "action"],
            "role": ["public", "researcher"],
        }
    )
    passages = pd.DataFrame(
        {
            "passage_id": ["D1#1.1", "D1#1.2", "D2#1.1"],
            "segment_id": ["D1#1", "D1#1", "D2#1"],
            "doc_id": ["D1", "D1", "D2"],
            "start_char": [0, 51, 0],
            "end_char": [50, 100, 60],
            "theme": ["social_determinants", "social_determinants", "prevention"],
            "determinant_or_action": ["determinant", "action", "action"],
            "role": ["public", "public", "researcher"],
        }
    )
    gold = pd.DataFrame(
        {
            "doc_id": ["D1", "D1", "D2"],
            "start_char": [2, 55, 5],
            "end_char": [45, 98, 50],
            "theme": ["social_determinants", "social_determinants", "prevention"],
            "determinant_or_action": ["determinant", "action", "action"],
        }
    )
    return assignments, passages, gold


def test_validate_matches_each_gold_passage_to_the_run_passage_it_overlaps_most():
    assignments, passages, gold = _run_frames()
    result = validate(assignments, gold, passages=passages, by=["role"])
    # segments: the first gold passage (a cause) gets its segment's 'action'
    assert result.determinant_or_action.accuracy == pytest.approx(2 / 3)
    assert result.unit == "segment"
    by_passage = result.passages
    assert by_passage.unit == "passage" and by_passage.n_matched == 3
    assert list(by_passage.matches["segment_id"]) == ["D1#1.1", "D1#1.2", "D2#1.1"]
    assert by_passage.determinant_or_action.accuracy == 1.0
    assert set(by_passage.by_group["role"]["group"]) == {"public", "researcher"}
    data = result.to_dict()
    assert data["unit"] == "segment" and data["passages"]["unit"] == "passage"
    assert data["passages"]["determinant_or_action"]["accuracy"] == 1.0
    assert "passages" not in validate(assignments, gold).to_dict()


def test_passages_leave_out_training_and_whole_segment_codings():
    assignments, passages, gold = _run_frames()
    # a coding sheet row codes the whole segment D2#1: segments only
    gold["segment_id"] = ["", "", "D2#1"]
    training = pd.DataFrame({"doc_id": ["D1"], "start_char": [60], "end_char": [90]})
    result = validate(assignments, gold, training=training, passages=passages)
    # D1's segment overlaps the training passage: both D1 gold passages are left out
    assert result.n_excluded_training == 2 and result.n_matched == 1
    assert result.passages is None  # nothing is left for the passages
    result = validate(assignments, gold, passages=passages)
    assert result.n_matched == 3
    assert result.passages.n_matched == 2
    assert any("name a run segment" in n for n in result.passages.notes)


def test_a_coding_from_the_runs_qda_project_meets_the_passage_it_was_made_on():
    """Codings read back from project.qdpx are in the run's own (de-identified) text: a
    replaced name shifts them against the original, so they are placed there."""
    assignments, passages, gold = _run_frames()
    # names replaced in D1 made its text 40 characters shorter than the original
    for frame in (assignments, passages):
        frame["source_start_char"] = frame["start_char"] + (frame["doc_id"] == "D1") * 40
        frame["source_end_char"] = frame["end_char"] + (frame["doc_id"] == "D1") * 40
    coded = gold.iloc[:2].copy()  # selections in the run's text of D1
    coded["offsets"] = "run"
    result = validate(assignments, coded, passages=passages)
    assert list(result.passages.matches["segment_id"]) == ["D1#1.1", "D1#1.2"]
    assert result.passages.determinant_or_action.accuracy == 1.0
    # read as original offsets instead, the second selection would land on passage 1
    moved = validate(assignments, coded.drop(columns=["offsets"]), passages=passages)
    assert list(moved.passages.matches["segment_id"]) == ["D1#1.1", "D1#1.1"]
