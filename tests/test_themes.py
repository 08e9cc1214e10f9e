"""Themes: codebooks (YAML and REFI-QDA .qdc), topic-to-theme mapping, segment labels,
evidence quotes and the determinant/action rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from upstreamnlp.errors import UpstreamError
from upstreamnlp.models.base import TopicModel
from upstreamnlp.models.embeddings import HashingEmbedder
from upstreamnlp.themes import (
    ThemeMapper,
    codebook_to_qdc,
    evidence_quotes,
    label_determinant_action,
    label_segments,
    load_codebook,
    theme_heatmap,
)
from upstreamnlp.themes.evidence import topic_label_heatmap, topic_label_table

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM_CODEBOOK = ROOT / "configs" / "themes" / "upstream.yaml"
CODEBOOK_XSD = ROOT / "tests" / "fixtures" / "refi-qda" / "Codebook.xsd"

# A planted corpus: one vocabulary per upstream theme, plus football (fits no theme).
PLANTED = {
    "prevention": "screening smoking diet exercise lifestyle early_intervention prevention "
    "obesity alcohol vaccination",
    "population": "sugar_levy legislation regulation tax ban reformulation fluoridation "
    "advertising industry salt",
    "social_determinants": "poverty housing income employment welfare debt deprivation "
    "education transport gradient",
    "grassroots": "empowerment residents co_production collective_control participation voice "
    "activism grassroots community_development decision_making",
    "football": "football goal striker match league referee stadium penalty midfielder fans",
}
COMMON = "people health inequalities upstream think really".split()


class FakeTopicModel(TopicModel):
    """A topic model with hand-set attributes (what a fitted model exposes)."""

    kind = "fake"

    def __init__(self, vocabulary, topic_term, doc_topic):
        super().__init__(k=len(topic_term))
        self.vocabulary_ = list(vocabulary)
        self.topic_term_ = np.asarray(topic_term, float)
        self.doc_topic_ = np.asarray(doc_topic, float)


def planted_corpus(docs_per_group: int = 8, seed: int = 0):
    """Segments written from each group's vocabulary, and a model whose topic g is group g."""
    rng = np.random.default_rng(seed)
    groups = list(PLANTED)
    vocabulary = sorted({w for words in PLANTED.values() for w in words.split()} | set(COMMON))
    index = {w: i for i, w in enumerate(vocabulary)}
    topic_term = np.zeros((len(groups), len(vocabulary)))
    for g, group in enumerate(groups):
        for w in PLANTED[group].split():
            topic_term[g, index[w]] = 0.8 / 10
        for w in COMMON:
            topic_term[g, index[w]] = 0.2 / len(COMMON)
    tokens, texts, truth, doc_topic = [], [], [], []
    for g, group in enumerate(groups):
        words = PLANTED[group].split()
        for _ in range(docs_per_group):
            chosen = list(rng.choice(words, size=6, replace=False)) + list(
                rng.choice(COMMON, size=2, replace=False)
            )
            tokens.append(chosen)
            texts.append("We talked about " + ", ".join(w.replace("_", " ") for w in chosen) + ".")
            truth.append(group)
            row = np.full(len(groups), 0.1 / (len(groups) - 1))
            row[g] = 0.9
            doc_topic.append(row)
    return FakeTopicModel(vocabulary, topic_term, doc_topic), texts, tokens, truth


def test_shipped_codebook_has_the_four_upstream_themes():
    codebook = load_codebook(UPSTREAM_CODEBOOK)
    assert codebook.ids == ["prevention", "population", "social_determinants", "grassroots"]
    for theme in codebook:
        assert len(theme.description.split()) >= 15
        assert 10 <= len(theme.examples) <= 20
        assert len(theme.seed_terms) >= 10
        assert theme.references
    assert "sugar levy" in codebook.theme("population").seed_terms
    # Material that fits no theme: used only to label segments "none".
    assert len(codebook.outside) >= 5


@pytest.fixture(scope="module")
def planted_mapper():
    """One fitted mapper on the planted corpus, shared by the tests that only read it."""
    model, texts, tokens, truth = planted_corpus()
    ids = [f"doc{i}#1" for i in range(len(texts))]
    mapper = ThemeMapper(UPSTREAM_CODEBOOK, embedder=HashingEmbedder())
    return mapper.fit(model, texts, tokens, segment_ids=ids), texts, truth


def test_planted_topics_map_to_their_themes_and_football_is_emergent(planted_mapper):
    mapper = planted_mapper[0]
    assert mapper.topic_labels_ == {
        0: "prevention",
        1: "population",
        2: "social_determinants",
        3: "grassroots",
        4: "emergent",
    }
    theme_map = mapper.theme_map_
    assert list(theme_map.columns[:6]) == [
        "topic",
        "theme",
        "score",
        "lexical",
        "semantic",
        "semantic_cosine",
    ]
    assert len(theme_map) == 5 * 4
    assert theme_map["score"].between(0, 1).all()
    assert not theme_map.loc[theme_map["topic"] == 4, "assigned"].any()
    # Each planted topic's own theme scores far above the others.
    scores = theme_map.pivot(index="topic", columns="theme", values="score")
    for t, theme in enumerate(["prevention", "population", "social_determinants", "grassroots"]):
        assert scores.loc[t, theme] - scores.loc[t].drop(theme).max() > 0.3


def test_a_topic_spanning_two_themes_is_mixed():
    model, texts, tokens, _ = planted_corpus()
    # Topic 0 and its segments become half prevention, half population vocabulary.
    model.topic_term_[0] = (model.topic_term_[0] + model.topic_term_[1]) / 2
    prevention, population = PLANTED["prevention"].split(), PLANTED["population"].split()
    for i in range(8):
        tokens[i] = prevention[i : i + 3] + population[i : i + 3]
        texts[i] = "We talked about " + ", ".join(w.replace("_", " ") for w in tokens[i])
    mapper = ThemeMapper(UPSTREAM_CODEBOOK, embedder=HashingEmbedder()).fit(model, texts, tokens)
    assert mapper.topic_labels_[0] == "mixed"
    assigned = mapper.theme_map_.query("topic == 0 and assigned")["theme"]
    assert set(assigned) == {"prevention", "population"}


def test_segments_get_their_planted_theme_and_football_gets_no_theme(planted_mapper):
    mapper, texts, truth = planted_mapper
    labels = mapper.label_segments()
    assert list(labels["segment_id"]) == [f"doc{i}#1" for i in range(len(texts))]
    assert {"theme", "theme_score", "score_prevention", "score_grassroots"} <= set(labels.columns)
    expected = [t if t != "football" else "emergent" for t in truth]
    assert (labels["theme"] == expected).mean() == 1.0
    assert labels["theme_score"].between(0, 1).all()


def test_self_training_keeps_planted_labels():
    model, texts, tokens, truth = planted_corpus(docs_per_group=10)
    mapper = ThemeMapper(UPSTREAM_CODEBOOK, embedder=HashingEmbedder(), self_train=True)
    labels = mapper.fit(model, texts, tokens).label_segments()
    expected = [t if t != "football" else "emergent" for t in truth]
    assert (labels["theme"] == expected).mean() >= 0.95
    assert "self-trained" in set(labels["label_source"])


def test_label_segments_function_equals_the_mapper_method(planted_mapper):
    mapper, texts, _ = planted_mapper
    model = planted_corpus()[0]
    frame = label_segments(
        model,
        texts,
        UPSTREAM_CODEBOOK,
        docs=mapper.tokens_,
        segment_ids=mapper.segment_ids_,
        embedder=HashingEmbedder(),
    )
    pd.testing.assert_frame_equal(frame, mapper.label_segments())


def test_seed_phrases_match_vocabulary_after_normalising():
    # 'Sugar levy' in the codebook meets 'sugar_levy' and 'levies' style variants.
    model = FakeTopicModel(
        ["sugar_levy", "benefits", "football"],
        [[0.5, 0.0, 0.5], [0.0, 0.5, 0.5]],
        [[1.0, 0.0], [0.0, 1.0]],
    )
    mapper = ThemeMapper(UPSTREAM_CODEBOOK, embedder=HashingEmbedder())
    mapper.fit(model, ["the sugar levy", "welfare benefits"], [["sugar_levy"], ["benefits"]])
    mass = pd.DataFrame(mapper.seed_mass_, columns=mapper.theme_ids_)
    assert mass.loc[0, "population"] == pytest.approx(0.5)
    assert mass.loc[1, "social_determinants"] == pytest.approx(0.5)
    assert mass.loc[0, "social_determinants"] == 0


def test_qdc_round_trip_gives_the_same_codebook_and_mapping(tmp_path, planted_mapper):
    codebook = load_codebook(UPSTREAM_CODEBOOK)
    xml = codebook_to_qdc(codebook, extra_codes=["emergent"])
    assert xml == codebook_to_qdc(codebook, extra_codes=["emergent"])  # deterministic
    path = tmp_path / "codebook.qdc"
    path.write_text(codebook_to_qdc(codebook), encoding="utf-8")
    again = load_codebook(path)
    assert again.themes == codebook.themes
    from_yaml, texts, _ = planted_mapper
    from_qdc = ThemeMapper(path, embedder=HashingEmbedder())
    from_qdc.fit(planted_corpus()[0], texts, from_yaml.tokens_, segment_ids=from_yaml.segment_ids_)
    pd.testing.assert_frame_equal(from_yaml.theme_map_, from_qdc.theme_map_)
    pd.testing.assert_frame_equal(from_yaml.label_segments(), from_qdc.label_segments())


def test_qdc_validates_against_the_refi_qda_schema():
    schema = etree.XMLSchema(etree.parse(str(CODEBOOK_XSD)))
    xml = codebook_to_qdc(load_codebook(UPSTREAM_CODEBOOK), extra_codes=["emergent", "other"])
    document = etree.fromstring(xml.encode("utf-8"))
    assert schema.validate(document), schema.error_log
    guids = [c.get("guid") for c in document.iter("{urn:QDA-XML:codebook:1.0}Code")]
    # four themes, the codebook's "outside" code, emergent and other
    assert len(guids) == len(set(guids)) == 7


def test_qdc_from_other_software_reads_nested_codes_as_seed_terms(tmp_path):
    path = tmp_path / "nvivo.qdc"
    path.write_text(
        '<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        '<Code guid="00000000-0000-0000-0000-000000000001" name="Housing and income" '
        'isCodable="true"><Description>Talk about living conditions.</Description>'
        '<Code guid="00000000-0000-0000-0000-000000000002" name="damp housing" isCodable="true"/>'
        "</Code></Codes></CodeBook>",
        encoding="utf-8",
    )
    codebook = load_codebook(path)
    assert codebook.ids == ["housing_and_income"]
    assert codebook.themes[0].seed_terms == ("damp housing",)


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("    colour: red\n", ["theme 1 ('a')", "colour"]),
        ("", ["theme 1 ('a')", "description"]),
    ],
)
def test_codebook_errors_name_file_theme_and_key(tmp_path, snippet, expected):
    path = tmp_path / "bad.yaml"
    description = "    description: Something.\n" if "description" not in expected else ""
    path.write_text("themes:\n  - id: a\n    name: A\n" + description + snippet, encoding="utf-8")
    with pytest.raises(UpstreamError) as info:
        load_codebook(path)
    message = str(info.value)
    assert "bad.yaml" in message
    for part in expected:
        assert part in message


def test_duplicate_and_reserved_theme_ids_are_rejected(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(
        "themes:\n  - {id: a, name: A, description: x}\n  - {id: a, name: B, description: y}\n"
    )
    with pytest.raises(UpstreamError, match="appears twice"):
        load_codebook(path)
    path.write_text("themes:\n  - {id: none, name: A, description: x}\n")
    with pytest.raises(UpstreamError, match="not allowed"):
        load_codebook(path)


def test_evidence_quotes_trace_back_to_segments(planted_mapper):
    mapper, texts, _ = planted_mapper
    segments = pd.DataFrame(
        {
            "segment_id": [f"d{i}#1" for i in range(len(texts))],
            "doc_id": [f"d{i}" for i in range(len(texts))],
            "speaker_role": "participant",
            "start_char": 0,
            "end_char": [len(t) for t in texts],
            "text": texts,
        }
    )
    quotes = evidence_quotes(mapper, segments, n=3)
    themes = quotes[quotes["kind"] == "theme"]
    assert set(themes["key"]) == {"prevention", "population", "social_determinants", "grassroots"}
    assert (themes.groupby("key").size() == 3).all()
    assert set(quotes.loc[quotes["kind"] == "topic", "key"]) == {"0", "1", "2", "3", "4"}
    for row in quotes.itertuples():
        assert row.text == texts[int(row.doc_id[1:])]
        assert row.end_char == len(row.text)
    # Scores within a theme are in descending order.
    for _, group in themes.groupby("key"):
        assert list(group["score"]) == sorted(group["score"], reverse=True)
    figure = theme_heatmap(mapper.theme_map_, mapper.topic_labels_)
    assert figure.axes and len(figure.axes[0].get_yticklabels()) == 5


def test_evidence_quotes_can_follow_other_final_labels(planted_mapper):
    """With a coded sample, quotes show the labeller's labels, ranked by its probability."""
    mapper, texts, _ = planted_mapper
    ids = mapper.theme_ids_
    labels = np.array([ids[i % 2] for i in range(len(texts))], dtype=object)
    scores = np.zeros((len(texts), len(ids)))
    scores[np.arange(len(texts)), [i % 2 for i in range(len(texts))]] = np.linspace(
        0.2, 0.9, len(texts)
    )
    quotes = evidence_quotes(mapper, n=2, theme_labels=labels, theme_scores=scores)
    themes = quotes[quotes["kind"] == "theme"]
    assert set(themes["key"]) == {ids[0], ids[1]}
    for row in themes.itertuples():
        assert labels[int(row.segment_id)] == row.key
    # the most probable segments come first
    top = themes[themes["key"] == ids[0]].iloc[0]
    assert top["score"] == scores[labels == ids[0], 0].max().round(6)
    with pytest.raises(UpstreamError, match="theme_scores"):
        evidence_quotes(mapper, theme_labels=labels, theme_scores=scores[:, :2])


def test_topic_label_table_counts_each_topics_final_segment_labels():
    assignments = pd.DataFrame(
        {
            "topic": [0, 0, 0, 1, 1, 2, 2, 2, 2],
            "theme": [
                "prevention",
                "prevention",
                "none",
                "social_determinants",
                "prevention",
                "emergent",
                "none",
                "none",
                "social_determinants",
            ],
            "label_source": "coded-sample",
        }
    )
    ids = ["prevention", "social_determinants", "grassroots"]
    table = topic_label_table(assignments, ids)
    # codebook order, the unused grassroots kept, off-theme labels last with none at the end
    assert list(table.columns) == ids + ["emergent", "none"]
    assert list(table.index) == [0, 1, 2]
    assert table.loc[0].tolist() == [2, 0, 0, 0, 1]
    assert table.loc[1].tolist() == [1, 1, 0, 0, 0]
    assert table.loc[2].tolist() == [0, 1, 0, 1, 2]
    assert int(table.to_numpy().sum()) == len(assignments)
    figure = topic_label_heatmap(assignments, ids, {0: "prevention"})
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "topic 0 (prevention), n=3"
    assert "coded-sample" in ax.get_title()
    assert sorted(t.get_text() for t in ax.texts) == sorted(
        str(v) for v in table.to_numpy().ravel()
    )
    with pytest.raises(UpstreamError, match="topic"):
        topic_label_table(assignments.drop(columns="topic"))


DETERMINANT_ACTION = [
    ("Poverty makes people ill.", "determinant"),
    ("Damp housing leads to asthma in children.", "determinant"),
    ("There is a clear social gradient in health.", "determinant"),
    ("People die younger in deprived areas because of low incomes.", "determinant"),
    ("Unemployment and debt are linked to poor mental health.", "determinant"),
    ("Exposure to air pollution is higher in poorer neighbourhoods.", "determinant"),
    ("Insecure work drives stress and ill health.", "determinant"),
    ("Low pay is associated with worse health outcomes.", "determinant"),
    ("It's the root causes, you know, the causes of the causes.", "determinant"),
    ("We campaigned for a living wage.", "action"),
    ("The council introduced a sugar levy in 2018.", "action"),
    ("We, um, we actually set up a food bank with the residents.", "action"),
    ("The government should tax sugary drinks.", "action"),
    ("We need to build more social housing.", "action"),
    ("The nurses referred patients to welfare rights advice.", "action"),
    ("Communities must have a say in decisions.", "action"),
    ("They co-produced the programme with young people.", "action"),
    ("Councils have to regulate fast food outlets.", "action"),
    ("Damp flats make children ill, so I lobbied the council for two years.", "both"),
    ("Damp housing causes asthma, so we lobbied the council to fix it.", "both"),
    ("Because poverty drives ill health, we should redistribute income.", "both"),
    ("Debt causes stress, so we set up a welfare advice service.", "both"),
    ("I think it is about fairness really.", "neither"),
    ("Yeah, I mean, it was a nice day.", "neither"),
    ("My background is in nursing.", "neither"),
    ("Health inequalities are unfair and avoidable.", "neither"),
]


def test_determinant_and_action_labels_on_hand_written_passages():
    texts = [t for t, _ in DETERMINANT_ACTION]
    # both_min=1: the sentence-level rule, where one strong cue of each aspect is "both".
    result = label_determinant_action(texts, both_min=1.0)
    assert list(result.columns) == ["label", "determinant_score", "action_score", "evidence_terms"]
    wrong = [
        (t, e, got)
        for (t, e), got in zip(DETERMINANT_ACTION, result["label"], strict=True)
        if got != e
    ]
    assert not wrong
    assert result.loc[0, "evidence_terms"]  # the cues are shown


@pytest.mark.slow
def test_minilm_maps_paraphrased_topics_without_shared_words():
    """With real sentence embeddings, topics described in other words still find their
    theme (the hashing embedder only sees shared vocabulary)."""
    from upstreamnlp.models.embeddings import SentenceEmbedder

    vocab_by_topic = [
        "cigarettes quitting jogging vegetables checkups cancer tests".split(),
        "rent landlords payslips jobcentre overdraft eviction foodbank".split(),
        "goalkeeper striker referee stadium penalty midfielder league".split(),
    ]
    vocabulary = sorted({w for ws in vocab_by_topic for w in ws})
    topic_term = np.zeros((3, len(vocabulary)))
    for t, ws in enumerate(vocab_by_topic):
        for w in ws:
            topic_term[t, vocabulary.index(w)] = 1 / len(ws)
    texts = [
        "I gave up cigarettes and started jogging after my cancer tests.",
        "Eat your vegetables and get regular checkups.",
        "The landlord put the rent up and the overdraft grew until eviction.",
        "Payslips do not cover rent, so families use the foodbank.",
        "The striker scored a penalty past the goalkeeper.",
        "The referee sent the midfielder off in the league match.",
    ]
    doc_topic = np.repeat(np.eye(3), 2, axis=0)
    model = FakeTopicModel(vocabulary, topic_term, doc_topic)
    mapper = ThemeMapper(UPSTREAM_CODEBOOK, embedder=SentenceEmbedder()).fit(model, texts)
    assert mapper.topic_labels_[0] == "prevention"
    assert mapper.topic_labels_[1] == "social_determinants"
    assert mapper.topic_labels_[2] == "emergent"


def _quote_mapper(texts, tokens, doc_topic, theme_scores):
    """What ``evidence_quotes`` reads from a fitted mapper, set by hand."""
    from types import SimpleNamespace

    theme_scores = np.asarray(theme_scores, float)
    ids = ["prevention", "social_determinants"]
    labels = pd.DataFrame(
        {
            "theme": [ids[j] for j in theme_scores.argmax(axis=1)],
            "theme_score": theme_scores.max(axis=1),
        }
    )
    return SimpleNamespace(
        segment_labels_=labels,
        segment_combined_=theme_scores,
        theme_ids_=ids,
        doc_topic_=np.asarray(doc_topic, float),
        texts_=list(texts),
        tokens_=[list(t) for t in tokens],
    )


def test_quotes_are_substantive_segments_not_small_talk():
    """Short turns that load fully on a topic ("Yeah, fine, thanks.") come after segments
    with something to say; ties in topic weight go to the segment the labeller is surer
    of, not to the first in document order."""
    housing = "damp housing landlord rent mould council repair tenant eviction".split()
    texts = [
        "Yeah, fine, thanks.",
        "No. I think that's it. Thanks.",
        "The damp in the flat, the landlord never came, the rent kept rising, " * 2,
        "Housing is health: damp, mould, rent arrears and a landlord who will not repair.",
        "Council tenants fought the eviction and won repairs for the whole estate.",
    ]
    tokens = [["fine"], ["think"], housing, housing, housing[:8]]
    doc_topic = [[1.0, 0.0], [1.0, 0.0], [0.998, 0.002], [0.999, 0.001], [0.7, 0.3]]
    scores = [[0.2, 0.3], [0.3, 0.4], [0.1, 0.6], [0.05, 0.95], [0.2, 0.7]]
    mapper = _quote_mapper(texts, tokens, doc_topic, scores)
    quotes = evidence_quotes(mapper, n=4)
    topic = quotes[quotes["kind"] == "topic"]
    # the two equal weights (1.00 to two decimals) are ordered by theme score (0.95 > 0.6)
    assert list(topic["segment_id"]) == [3, 2, 4, 1]
    assert list(topic["content_words"]) == [9, 9, 8, 1]
    theme = quotes[(quotes["kind"] == "theme") & (quotes["key"] == "social_determinants")]
    assert list(theme["segment_id"])[:3] == [3, 4, 2]  # substantive first, by score
    # with a lower bar the short turns compete on weight again
    loose = evidence_quotes(mapper, n=5, min_words=1)
    assert list(loose.loc[loose["kind"] == "topic", "segment_id"]) == [3, 2, 1, 0, 4]


def test_key_sentence_of_a_long_quote_holds_most_terms():
    from upstreamnlp.themes.evidence import key_sentence

    filler = "We interviewed residents of 3.5 estates in the north, e.g. near the river. " * 8
    key = "Social determinants such as housing changed when the council changed its policy."
    text = filler + key + " Then the funding stopped."
    span = key_sentence(text, ["social_determinant", "housing", "change", "policy", "fund"])
    assert text[span[0] : span[1]] == key
    # a short quote, a quote of one sentence, a quote without any term: nothing to mark
    assert key_sentence(key, ["housing"]) is None
    assert key_sentence(filler.replace(".", ",") + key, ["housing"]) is None
    assert key_sentence(filler + key, ["fluoride"]) is None
