"""Document context: a segment's theme leans towards its neighbours' in the same document."""

from __future__ import annotations

import numpy as np
import pytest

from upstreamnlp.themes import document_context

# columns: prevention, population, social_determinants
CLEAR_SD = [0.05, 0.05, 0.9]
CLOSE_CALL = [0.5, 0.05, 0.45]  # prevention by a nose


def test_a_close_call_follows_the_neighbours_and_weight_zero_leaves_it():
    proba = np.array([CLEAR_SD, CLOSE_CALL, CLEAR_SD])
    docs, starts = ["T1"] * 3, [0, 100, 200]
    leaned = document_context(proba, docs, starts)
    assert leaned[1].argmax() == 2  # read among talk of housing and income
    assert np.allclose(leaned.sum(axis=1), 1.0)
    assert np.array_equal(document_context(proba, docs, starts, weight=0.0), proba)
    assert proba[1].argmax() == 0  # the input is not changed in place


def test_a_confident_segment_keeps_its_label_among_other_themes():
    proba = np.array([CLEAR_SD, [0.9, 0.05, 0.05], CLEAR_SD, CLEAR_SD])
    leaned = document_context(proba, ["T1"] * 4, [0, 1, 2, 3])
    assert leaned[1].argmax() == 0
    assert leaned[1, 0] < 0.9  # but it is less sure


def test_other_documents_and_lone_segments_do_not_count():
    proba = np.array([CLOSE_CALL, CLEAR_SD, CLEAR_SD, CLOSE_CALL])
    docs = ["P1", "T2", "T2", "P3"]
    leaned = document_context(proba, docs, [0, 0, 50, 0])
    # P1 and P3 are alone in their documents: their close calls stand, untouched
    assert np.allclose(leaned[[0, 3]], proba[[0, 3]])
    changed = proba.copy()
    changed[1:3] = [0.9, 0.05, 0.05]
    assert np.allclose(document_context(changed, docs, [0, 0, 50, 0])[[0, 3]], proba[[0, 3]])


def test_nearer_neighbours_count_more_and_order_comes_from_positions():
    population = [0.05, 0.9, 0.05]
    # in document order: SD, close call, population, population, population ... far away
    rows = [CLEAR_SD, CLOSE_CALL, [0.9, 0.05, 0.05], population]
    starts = [0, 10, 20, 30]
    # shuffled rows with their positions give the same answer per segment
    order = [2, 0, 3, 1]
    shuffled = document_context(np.array(rows)[order], ["T"] * 4, np.array(starts)[order])
    plain = document_context(np.array(rows), ["T"] * 4, starts)
    assert np.allclose(shuffled, plain[order])
    # population by a nose; next to it one segment on housing, then four on population
    doc = np.array([[0.05, 0.5, 0.45], CLEAR_SD] + [population] * 4)
    near = document_context(doc, ["T"] * 6, range(6), span=1.0, weight=1.0)
    whole = document_context(doc, ["T"] * 6, range(6), span=100.0, weight=1.0)
    assert near[0].argmax() == 2  # a short span reads mostly the next segment
    assert whole[0].argmax() == 1  # the whole document at about equal weight: population


def test_mismatched_inputs_name_the_fix():
    with pytest.raises(ValueError, match="one of each per segment"):
        document_context(np.array([CLEAR_SD, CLEAR_SD]), ["T1"], [0, 1])
    with pytest.raises(ValueError, match="weight must be >= 0"):
        document_context(np.array([CLEAR_SD]), ["T1"], [0], weight=-1)


def test_a_segment_with_no_probabilities_stays_empty_and_does_not_break_its_document():
    proba = np.array([[0.0, 0.0, 0.0], CLOSE_CALL, CLEAR_SD])
    leaned = document_context(proba, ["T"] * 3, [0, 1, 2])
    assert np.array_equal(leaned[0], [0.0, 0.0, 0.0])
    assert np.isfinite(leaned).all() and leaned[1].argmax() == 2
