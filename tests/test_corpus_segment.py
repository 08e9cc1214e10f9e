"""Segmentation options: windows, paper records, validation, and where warnings go."""

from __future__ import annotations

import logging

import pytest

from upstreamnlp.corpus import Document, SegmentationOptions, read_corpus
from upstreamnlp.corpus.segment import segment_paper, window_span
from upstreamnlp.errors import UpstreamError

SENTENCE = "Income and housing shape health across the whole social gradient today."


def test_windows_stay_within_bounds_and_cover_every_word():
    text = " ".join([SENTENCE] * 50)
    total = len(text.split())
    options = SegmentationOptions(min_words=40, max_words=100)
    spans = window_span(text, 0, len(text), options)
    sizes = [len(text[s:e].split()) for s, e in spans]
    assert all(40 <= n <= 100 for n in sizes) and sum(sizes) == total
    assert all(text[s:e].endswith("today.") for s, e in spans)


def test_run_on_text_without_punctuation_is_cut_by_words():
    text = " ".join(["upstream"] * 530)
    spans = window_span(text, 0, len(text), SegmentationOptions(min_words=40, max_words=250))
    assert [len(text[s:e].split()) for s, e in spans] == [250, 250, 30]


def test_records_are_one_segment_unless_paragraphs_are_asked_for():
    abstract = "\n\n".join([" ".join([SENTENCE] * 5)] * 3)  # three 60-word paragraphs
    doc = Document(id="r1", text=abstract, kind="paper", metadata={"year": 2020})
    one = segment_paper(doc, SegmentationOptions(), record=True)
    assert [s.id for s in one] == ["r1#1"] and one[0].text == abstract
    assert one[0].metadata == {"year": 2020} and one[0].metadata is not doc.metadata
    split = segment_paper(doc, SegmentationOptions(split_papers="paragraphs"), record=True)
    assert len(split) == 3
    assert all(doc.text[s.start_char : s.end_char] == s.text for s in split)


@pytest.mark.parametrize(
    "kwargs", [{"min_words": 0}, {"min_words": 300, "max_words": 250}, {"split_papers": "pages"}]
)
def test_bad_options_are_rejected(kwargs):
    with pytest.raises(UpstreamError, match="segmentation options"):
        SegmentationOptions(**kwargs)


def test_warnings_are_recorded_and_logged(tmp_path, caplog):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.txt").write_text("I: Hi.\nP1: Hello.\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="upstreamnlp.corpus"):
        corpus = read_corpus(tmp_path)
    assert len(corpus.warnings) == 1
    assert "duplicate document id 'x'" in caplog.text
