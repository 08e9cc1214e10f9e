"""Metrics match hand computation and gensim."""

from __future__ import annotations

import math

import numpy as np
import pytest

from upstreamnlp.models.metrics import CoherenceReference, diversity, nmi, npmi, stability


def test_diversity_by_hand():
    topics = [["a", "b", "c", "d"], ["a", "e", "f", "g"]]
    # 7 unique of 8 terms
    assert diversity(topics, topn=4) == pytest.approx(7 / 8)
    assert diversity([["a", "b"], ["a", "b"]], topn=2) == pytest.approx(0.5)


def test_npmi_by_hand_on_four_short_documents():
    # Documents shorter than the window are one window each: 4 windows.
    docs = [["rent", "damp"], ["rent", "damp", "mould"], ["rent", "wage"], ["wage", "job"]]
    # p(rent)=3/4, p(damp)=2/4, p(rent,damp)=2/4
    p_r, p_d, p_rd = 0.75, 0.5, 0.5
    expected = math.log((p_rd + 1e-12) / (p_r * p_d)) / -math.log(p_rd + 1e-12)
    assert npmi([["rent", "damp"]], docs) == pytest.approx(expected, abs=1e-9)
    # damp and job never co-occur: NPMI close to -1 (gensim's epsilon keeps it finite)
    assert npmi([["damp", "job"]], docs) < -0.9


def test_npmi_matches_gensim_with_sliding_windows():
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(30)]
    # lengths around the window size, repeated tokens within windows, one empty doc
    docs = [list(rng.choice(vocab, size=int(n))) for n in rng.integers(3, 40, size=60)]
    docs.append([])
    topics = [list(rng.choice(vocab[:20], size=6, replace=False)) for _ in range(5)]
    dictionary = Dictionary(docs)
    expected = CoherenceModel(
        topics=topics, texts=docs, dictionary=dictionary, coherence="c_npmi", processes=1
    ).get_coherence_per_topic()
    ours = npmi(topics, CoherenceReference(docs), per_topic=True)
    assert np.allclose(ours, expected, atol=1e-6)
    assert npmi(topics, docs) == pytest.approx(float(np.mean(expected)), abs=1e-6)


def test_stability_matches_topics_across_runs():
    run_a = [["a", "b", "c"], ["d", "e", "f"]]
    run_b = [["d", "e", "x"], ["a", "b", "c"]]  # same topics, other order, one term changed
    result = stability([run_a, run_b], topn=3)
    assert result["per_topic"] == pytest.approx([1.0, 2 / 4])
    assert result["mean"] == pytest.approx(0.75)
    assert stability([run_a])["mean"] == 1.0


def test_nmi_of_perfect_and_unrelated_assignments():
    labels = ["x", "x", "y", "y"]
    assert nmi(labels, np.array([[1, 0], [0.9, 0.1], [0, 1], [0.2, 0.8]])) == pytest.approx(1.0)
    assert nmi(labels, np.array([0, 1, 0, 1])) == pytest.approx(0.0)


def test_c_v_and_npmi_rank_coherent_topics_above_mixed_ones():
    from upstreamnlp.models.metrics import c_v

    rng = np.random.default_rng(0)
    housing = "rent landlord eviction damp tenancy".split()
    food = "meal hunger diet grocery breakfast".split()
    docs = [list(rng.choice(housing if i % 2 else food, size=8)) for i in range(40)]
    coherent = [housing[:4], food[:4]]
    mixed = [housing[:2] + food[:2], housing[2:4] + food[2:4]]
    assert c_v(coherent, docs) > c_v(mixed, docs)
    assert npmi(coherent, docs) > 0 > npmi(mixed, docs)
