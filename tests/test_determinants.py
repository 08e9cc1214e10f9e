"""Determinant/action labels with theme labels, the codebook's ``outside`` list and the
nearest-exemplar similarity (the demo-agreement changes)."""

from __future__ import annotations

import numpy as np
import pytest

from upstreamnlp.errors import UpstreamError
from upstreamnlp.models.embeddings import HashingEmbedder
from upstreamnlp.themes import ThemeMapper, codebook_to_qdc, label_determinant_action
from upstreamnlp.themes.codebook import Codebook, load_codebook
from upstreamnlp.themes.determinants import (
    ACTION_EXEMPLARS,
    DETERMINANT_EXEMPLARS,
    exemplar_similarity,
)
from upstreamnlp.themes.supervised import DeterminantActionLabeller


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


# --- semantic evidence: similarity to exemplar sentences ---------------------------------

# No cue of the rule in it, but (nearly) an action exemplar's words.
FLUORIDE = "Fluoridating the water supply protects the teeth of the whole population."


def test_exemplar_similarity_names_the_nearest_exemplar_of_each_kind():
    texts = [ACTION_EXEMPLARS[0], DETERMINANT_EXEMPLARS[1]]
    sim = exemplar_similarity(texts, HashingEmbedder())
    assert sim.loc[0, "action_similarity"] > sim.loc[0, "determinant_similarity"]
    assert sim.loc[1, "determinant_similarity"] > sim.loc[1, "action_similarity"]
    assert sim.loc[0, "nearest_action"] == ACTION_EXEMPLARS[0]
    assert sim.loc[1, "nearest_determinant"] == DETERMINANT_EXEMPLARS[1]


def test_exemplars_tilt_a_themed_passage_and_the_evidence_quotes_the_exemplar():
    assert FLUORIDE in ACTION_EXEMPLARS
    themes = ["social_determinants"]  # its usual aspect is "determinant"
    without = label_determinant_action([FLUORIDE], themes=themes)
    assert without.loc[0, "label"] == "determinant"
    with_exemplars = label_determinant_action([FLUORIDE], themes=themes, embedder=HashingEmbedder())
    assert with_exemplars.loc[0, "label"] == "action"
    assert f'S:action ~ "{FLUORIDE}"' in with_exemplars.loc[0, "evidence_terms"]
    # The cue scores reported to researchers stay the rule's own.
    assert with_exemplars.loc[0, "action_score"] == without.loc[0, "action_score"] == 0.0


def test_exemplars_never_label_off_topic_or_cue_less_unthemed_talk():
    texts = [FLUORIDE, "We campaigned for a living wage."]
    labels = label_determinant_action(texts, themes=["none", "other"], embedder=HashingEmbedder())
    assert list(labels["label"]) == ["neither", "neither"]
    # Without themes, a passage with no cue stays neither: exemplars only choose an aspect.
    plain = label_determinant_action([FLUORIDE], embedder=HashingEmbedder())
    assert plain.loc[0, "label"] == "neither" and plain.loc[0, "evidence_terms"] == ""


def test_the_theme_prior_cannot_make_a_passage_both():
    text = (
        "Poverty causes illness, leads to debt and is linked to damp and due to low pay. "
        "We lobbied the council and we set up a scheme."
    )
    cues = label_determinant_action([text])
    assert cues.loc[0, "determinant_score"] >= 4 > cues.loc[0, "action_score"]
    # Cue action 3.5 + 1.0 for the population theme's usual aspect would reach both_min (4).
    themed = label_determinant_action([text], themes=["population"])
    assert themed.loc[0, "label"] == "determinant"


def test_determinant_labeller_can_use_exemplar_similarity_features():
    causes = ["Damp housing and low wages make people ill.", DETERMINANT_EXEMPLARS[0]]
    actions = ["We set up a tenants campaign and lobbied the council.", ACTION_EXEMPLARS[1]]
    texts, labels = causes + actions, ["determinant"] * 2 + ["action"] * 2
    embedder = HashingEmbedder()
    plain = DeterminantActionLabeller(embedder=embedder, use_words=False, use_exemplars=False)
    plain.fit(texts, labels)
    extra = DeterminantActionLabeller(embedder=embedder, use_words=False).fit(texts, labels)
    assert extra.n_features_ == plain.n_features_ + 3
    assert list(extra.predict([ACTION_EXEMPLARS[2], DETERMINANT_EXEMPLARS[2]])) == [
        "action",
        "determinant",
    ]
