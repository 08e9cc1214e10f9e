"""Determinant/action labels with theme labels, the codebook's ``outside`` list and the
nearest-exemplar similarity (the demo-agreement changes)."""

from __future__ import annotations

import numpy as np
import pytest

from upstreamnlp.errors import UpstreamError
from upstreamnlp.models.embeddings import HashingEmbedder
from upstreamnlp.themes import ThemeMapper, codebook_to_qdc, label_determinant_action
from upstreamnlp.themes.codebook import Codebook, load_codebook


def test_off_theme_passages_are_neither_and_themed_ones_get_their_usual_aspect():
    texts = [
        "Because of the cuts we had to close the library on Fridays.",  # cue, but off theme
        "The drinks have less sugar in them now.",  # no cue, population theme
        "Families here are struggling.",  # no cue, social determinants theme
    ]
    plain = label_determinant_action(texts)
    themed = label_determinant_action(texts, themes=["none", "population", "social_determinants"])
    assert plain.loc[0, "label"] == "determinant"
    assert list(themed["label"]) == ["neither", "action", "determinant"]


def test_both_needs_strong_evidence_of_each_aspect_by_default():
    text = "Damp flats make children ill, so I lobbied the council for two years."
    assert label_determinant_action([text], both_min=1.0).loc[0, "label"] == "both"
    assert label_determinant_action([text]).loc[0, "label"] != "both"


def test_theme_labels_must_match_the_passages():
    with pytest.raises(UpstreamError, match="2 theme labels but 1 passages"):
        label_determinant_action(["text"], themes=["population", "grassroots"])


def _codebook(tmp_path):
    path = tmp_path / "themes.yaml"
    path.write_text(
        "themes:\n"
        "  - id: housing\n    name: Housing\n    description: damp housing rent landlords\n"
        "    seed_terms: [housing, rent]\n"
        "  - id: diet\n    name: Diet\n    description: healthy eating fruit vegetables diet\n"
        "    seed_terms: [diet, fruit]\n"
        "outside:\n  - football match goal striker league referee\n",
        encoding="utf-8",
    )
    return path


def test_outside_key_round_trips_through_qdc(tmp_path):
    codebook = load_codebook(_codebook(tmp_path))
    assert codebook.outside == ("football match goal striker league referee",)
    qdc = tmp_path / "c.qdc"
    qdc.write_text(codebook_to_qdc(codebook), encoding="utf-8")
    again = load_codebook(qdc)
    assert again.ids == ["housing", "diet"] and again.outside == codebook.outside


def test_outside_must_be_a_list_of_strings(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "themes:\n  - id: a\n    name: A\n    description: a theme\noutside: {x: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(UpstreamError, match="outside"):
        load_codebook(path)


class _Model:
    """Two topics, fitted by hand: topic 0 housing, topic 1 diet."""

    def __init__(self, n):
        self.vocabulary_ = ["housing", "rent", "diet", "fruit"]
        self.topic_term_ = np.array([[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
        self.doc_topic_ = np.tile([0.5, 0.5], (n, 1))

    def top_terms(self, n):
        return [[("housing", 0.5), ("rent", 0.5)], [("diet", 0.5), ("fruit", 0.5)]]

    def representative_docs(self, n):
        return {}


def test_segments_close_to_outside_texts_are_none(tmp_path):
    codebook = load_codebook(_codebook(tmp_path))
    texts = [
        "damp housing and the rent and the landlords",
        "healthy eating, fruit and vegetables in the diet",
        "the football match, the striker scored a goal, the referee",
    ]
    tokens = [t.replace(",", "").split() for t in texts]
    params = {"embedder": HashingEmbedder(), "self_train": False, "none_threshold": 0.0}
    mapper = ThemeMapper(codebook, **params)
    labels = mapper.fit(_Model(3), texts, tokens).label_segments()
    assert list(labels["theme"]) == ["housing", "diet", "none"]
    # Without the outside texts (and no score threshold) it gets one of the themes.
    without = Codebook(themes=codebook.themes)
    mapper = ThemeMapper(without, **params)
    assert mapper.fit(_Model(3), texts, tokens).label_segments()["theme"][2] in codebook.ids


def test_unknown_similarity_is_an_error_that_names_the_choices(tmp_path):
    mapper = ThemeMapper(_codebook(tmp_path), embedder=HashingEmbedder(), segment_similarity="x")
    with pytest.raises(UpstreamError, match="centroid"):
        mapper.fit(_Model(1), ["housing"], [["housing"]]).label_segments()


def test_hashing_embedder_is_identical_across_instances_and_calls():
    texts = ["poverty makes people ill", "we campaigned for a living wage"]
    a = HashingEmbedder().encode(texts)
    b = HashingEmbedder().encode(texts[:1])
    assert np.allclose(a[:1], b)
    assert HashingEmbedder(seed=1).encode(texts[:1]).tolist() != b.tolist()
