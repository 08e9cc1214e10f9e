"""Topic models recover planted topics, honour seeds, and refuse corpora too small for k."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upstreamnlp.errors import UpstreamError
from upstreamnlp.models import ClusterModel, LdaModel, NmfModel, make_model
from upstreamnlp.models.embeddings import HashingEmbedder
from upstreamnlp.models.selection import choose_k, plot_k_selection, sweep_k

PLANTED = {
    "housing": "housing rent landlord eviction tenancy homeless damp mortgage council flat",
    "food": "food hunger meal nutrition diet grocery breakfast kitchen bank fruit",
    "work": "wage job employer salary shift contract union payslip overtime pension",
    "school": "school teacher pupil classroom exam lesson homework curriculum tutor reading",
}
COMMON = "people say think really community local thing".split()


def planted_corpus(n_docs: int = 120, seed: int = 0):
    """Short documents, each drawn mostly from one planted topic plus common words."""
    rng = np.random.default_rng(seed)
    names = list(PLANTED)
    docs, labels = [], []
    for i in range(n_docs):
        topic = names[i % len(names)]
        words = PLANTED[topic].split()
        tokens = list(rng.choice(words, size=12)) + list(rng.choice(COMMON, size=3))
        rng.shuffle(tokens)
        docs.append([str(t) for t in tokens])
        labels.append(topic)
    return docs, labels


def assert_recovers(model, docs, labels):
    """Every planted topic is the majority vocabulary of some topic's top 5, and the
    dominant topics separate the planted labels."""
    tops = model.topic_words(5)
    for name, vocabulary in PLANTED.items():
        share = max(sum(t in vocabulary.split() for t in top) / 5 for top in tops)
        assert share >= 0.8, (name, tops)
    topic, _ = model.dominant_topics()
    for name in PLANTED:
        members = topic[[lab == name for lab in labels]]
        assert np.bincount(members[members >= 0]).max() / len(members) >= 0.9


def check_shapes(model, n_docs):
    assert model.topic_term_.shape == (model.k, len(model.vocabulary_))
    assert np.allclose(model.topic_term_.sum(axis=1), 1.0)
    assert model.doc_topic_.shape == (n_docs, model.k)
    sums = model.doc_topic_.sum(axis=1)
    assert np.all(np.isclose(sums, 1.0) | np.isclose(sums, 0.0))


def test_lda_recovers_planted_topics():
    docs, labels = planted_corpus()
    model = LdaModel(k=4, seed=1).fit(docs)
    check_shapes(model, len(docs))
    assert_recovers(model, docs, labels)


def test_nmf_recovers_planted_topics():
    docs, labels = planted_corpus()
    model = NmfModel(k=4, seed=1).fit(docs)
    check_shapes(model, len(docs))
    assert_recovers(model, docs, labels)


def test_clusters_with_hashing_embedder_recover_planted_topics(tmp_path):
    docs, labels = planted_corpus()
    texts = [" ".join(d) for d in docs]
    model = ClusterModel(k=4, seed=1, embedder=HashingEmbedder(), cache_dir=tmp_path)
    model.fit(docs, texts)
    check_shapes(model, len(docs))
    assert_recovers(model, docs, labels)
    assert model.outlier_share_ == 0.0
    # representative segments belong to the topic and come from one planted label
    reps = model.representative_docs(3)
    for t, idx in reps.items():
        assert len(idx) == 3
        assert len({labels[i] for i in idx}) == 1
        assert all(model.labels_[i] == t for i in idx)
    # the embeddings were cached: a second fit reads them back
    assert list((tmp_path / "embeddings").glob("*.npy"))


@pytest.mark.parametrize("clusterer", ["agglomerative", "hdbscan"])
def test_other_clusterers_reach_exactly_k(clusterer):
    docs, labels = planted_corpus()
    model = ClusterModel(k=4, seed=1, embedder=HashingEmbedder(), clusterer=clusterer)
    model.fit(docs, [" ".join(d) for d in docs])
    assert len(set(model.labels_[model.labels_ >= 0])) == 4
    assert model.outlier_share_ <= 0.1
    assert_recovers(model, docs, labels)


def test_clusters_accept_precomputed_embeddings_and_pca():
    docs, labels = planted_corpus()
    embeddings = HashingEmbedder().encode([" ".join(d) for d in docs])
    model = ClusterModel(k=4, seed=1, reducer="pca", n_components=5).fit(
        docs, embeddings=embeddings
    )
    assert_recovers(model, docs, labels)


def test_seeded_lda_pulls_a_theme_into_its_topic():
    docs, _ = planted_corpus()
    seeds = {"work_theme": ["wage", "job", "salary"], "housing_theme": ["rent", "eviction"]}
    model = LdaModel(k=4, seed=3, seed_topics=seeds).fit(docs)
    assert model.seed_topic_names_ == {0: "work_theme", 1: "housing_theme"}
    tops = model.topic_words(10)
    assert sum(t in PLANTED["work"].split() for t in tops[0]) >= 8
    assert sum(t in PLANTED["housing"].split() for t in tops[1]) >= 8


def test_seed_phrases_map_to_joined_tokens():
    docs, _ = planted_corpus()
    docs = [d + ["social_determinants"] if "wage" in d else d for d in docs]
    model = LdaModel(k=4, seed=1, seed_topics={"sd": ["Social determinants"]}).fit(docs)
    assert model.seed_topic_names_ == {0: "sd"}
    column = model.vocabulary_.index("social_determinants")
    assert model.topic_term_[:, column].argmax() == 0


@pytest.mark.parametrize("kind", ["lda", "nmf", "clusters"])
def test_same_seed_gives_identical_topics_csv(kind):
    docs, _ = planted_corpus(n_docs=80, seed=5)
    texts = [" ".join(d) for d in docs]
    params = {"embedder": "hashing"} if kind == "clusters" else {}
    first = make_model(kind, 4, seed=7, **params).fit(docs, texts).topics_frame().to_csv()
    second = make_model(kind, 4, seed=7, **params).fit(docs, texts).topics_frame().to_csv()
    assert first == second
    assert first.startswith(",model,k,topic,rank,term,weight")


@pytest.mark.parametrize("kind", ["lda", "nmf", "clusters"])
def test_corpus_too_small_for_k_names_k_and_size(kind):
    docs = [["rent", "damp"], ["wage", "job"], []]
    with pytest.raises(UpstreamError) as error:
        params = {"embedder": "hashing"} if kind == "clusters" else {}
        make_model(kind, 5, **params).fit(docs)
    message = str(error.value)
    assert "k=5" in message and "2 non-empty" in message and "k <= 2" in message


def test_empty_segment_is_left_unassigned():
    docs, _ = planted_corpus(n_docs=40)
    docs.append([])
    for kind in ("lda", "nmf"):
        model = make_model(kind, 4).fit(docs)
        assert model.doc_topic_[-1].sum() == 0
        assert model.dominant_topics()[0][-1] == -1


def test_make_model_rejects_unknown_kind_and_parameter():
    with pytest.raises(UpstreamError, match="unknown model kind 'lsa'"):
        make_model("lsa", 4)
    with pytest.raises(UpstreamError, match="passses"):
        make_model("lda", 4, passses=3)


def test_sweep_and_choose_k_prefers_the_planted_number():
    docs, _ = planted_corpus(n_docs=100)
    result = sweep_k(docs, None, "nmf", ks=[2, 4, 8], seeds=(1, 2), with_c_v=False)
    frame = result.frame
    assert list(frame["k"]) == [2, 4, 8]
    assert set(result.models) == {2, 4, 8}
    k, reason = choose_k(frame)
    assert k == 4
    assert "k=4" in reason and "NPMI" in reason
    fig = plot_k_selection(frame, k)
    assert len(fig.axes) == 3  # npmi, diversity, stability (c_v skipped)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["NPMI coherence", "Topic diversity", "Stability across seeds"]
    frame = frame.assign(c_v=0.5)
    assert "C_V coherence" in [ax.get_title() for ax in plot_k_selection(frame, k).axes]


def test_sweep_of_clusters_scores_every_k():
    docs, _ = planted_corpus(n_docs=60)
    result = sweep_k(docs, None, "clusters", ks=[3, 4], seeds=(1, 2), embedder="hashing")
    assert list(result.frame["k"]) == [3, 4]
    assert result.frame["stability"].between(0, 1).all()
    assert result.models[4].k == 4


def test_sweep_refuses_k_larger_than_corpus():
    docs, _ = planted_corpus(n_docs=6)
    with pytest.raises(UpstreamError, match="choose k <= 6"):
        sweep_k(docs, None, "nmf", ks=[2, 10], seeds=(1,))


@pytest.mark.slow
def test_clusters_with_minilm_separate_meaningful_topics():
    texts = [
        "The landlord raised the rent and we were evicted from the flat.",
        "Damp and mould in council housing made the children ill.",
        "Homeless families wait years for social housing.",
        "Tenants cannot afford the mortgage or the rent increases.",
        "Kids come to school hungry without breakfast.",
        "The food bank gives parcels to families who cannot buy groceries.",
        "Healthy meals and fruit are too expensive for many households.",
        "Free school meals keep children from going hungry.",
    ]
    docs = [t.lower().replace(".", "").split() for t in texts]
    model = ClusterModel(k=2, seed=1, embedder="auto").fit(docs, texts)
    labels = model.labels_
    assert len(set(labels[:4])) == 1 and len(set(labels[4:])) == 1
    assert labels[0] != labels[4]


def test_the_k_choice_says_what_each_criterion_alone_would_choose():
    """A researcher weighing the rank-sum rule needs to see where the criteria disagree
    (on the demo NPMI alone favours a smaller k than the combined rank)."""
    frame = pd.DataFrame(
        {
            "k": [4, 6, 8],
            "npmi": [0.07, 0.01, -0.01],
            "diversity": [0.90, 0.97, 0.95],
            "stability": [0.74, 1.00, 1.00],
        }
    )
    k, reason = choose_k(frame)
    assert k == 6
    assert "Each alone would choose: NPMI k=4, diversity k=6, stability k=6" in reason
