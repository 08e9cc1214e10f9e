"""Learning from a coded sample: a researcher codes some passages, the tool learns from
them, labels the rest, and agreement is reported only on passages it did not learn from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from upstreamnlp.cli import app
from upstreamnlp.errors import UpstreamError
from upstreamnlp.models.embeddings import HashingEmbedder
from upstreamnlp.run import run
from upstreamnlp.themes.supervised import (
    CodedSampleLabeller,
    DeterminantActionLabeller,
    blend_with_rule,
    load_coded_sample,
    segment_texts,
)
from upstreamnlp.themes.validation import load_gold, validate

VOCAB = {
    "prevention": "screening vaccination checkups early detection smoking cessation clinic",
    "grassroots": "residents organising tenants voted budget council listen control",
    "social_determinants": "housing damp wages poverty debt unemployment rent income",
}
FILLER = "really think people know that would say the about what".split()


def _passages(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        theme = list(VOCAB)[i % 3]
        words = list(rng.choice(VOCAB[theme].split(), 5)) + list(rng.choice(FILLER, 6))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + ".")
        labels.append(theme)
    return texts, labels


def test_labeller_learns_planted_themes_and_labels_held_out_passages():
    train_texts, train_labels = _passages(30, seed=1)
    test_texts, test_labels = _passages(30, seed=2)  # new passages, never seen
    labeller = CodedSampleLabeller(embedder=HashingEmbedder(), seed=1)
    assert labeller.fit(train_texts, train_labels) is labeller
    predicted = labeller.predict(test_texts)
    assert np.mean(predicted == np.array(test_labels)) >= 0.9
    proba = labeller.predict_proba(test_texts)
    assert proba.shape == (30, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert set(labeller.classes_) == set(VOCAB)
    # same seed, same labels
    again = CodedSampleLabeller(embedder=HashingEmbedder(), seed=1).fit(train_texts, train_labels)
    assert (again.predict(test_texts) == predicted).all()


def test_one_block_of_experts_is_a_plain_logistic_regression_on_it():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train_texts, train_labels = _passages(30, seed=1)
    test_texts, _ = _passages(12, seed=2)
    words_only = {"use_embeddings": False, "use_codebook": False, "use_characters": False}
    probas = []
    for fusion in ("experts", "joint"):
        labeller = CodedSampleLabeller(seed=1, fusion=fusion, **words_only)
        probas.append(labeller.fit(train_texts, train_labels).predict_proba(test_texts))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    plain = LogisticRegression(C=10.0, class_weight="balanced", max_iter=5000)
    plain.fit(vectorizer.fit_transform(train_texts), train_labels)
    expected = plain.predict_proba(vectorizer.transform(test_texts))
    assert np.allclose(probas[0], expected, atol=1e-6)
    assert np.allclose(probas[1], expected, atol=1e-6)


def test_character_ngrams_carry_coded_words_to_their_other_forms():
    """Coded 'vaccination', a new passage says 'vaccinated': word features cannot link the
    two, character n-grams (on by default for themes) can."""
    forms = {
        "prevention": ("vaccination screening immunisation", "vaccinated screened immunised"),
        "social_determinants": ("housing employment poverty", "housed employed impoverished"),
        "grassroots": ("organising campaigning mobilisation", "organised campaigned mobilised"),
    }
    rng = np.random.default_rng(3)

    def passages(column: int, n: int) -> tuple[list[str], list[str]]:
        texts, labels = [], []
        for i in range(n):
            theme = list(forms)[i % 3]
            words = list(rng.choice(forms[theme][column].split(), 2)) + list(rng.choice(FILLER, 4))
            texts.append(" ".join(rng.permutation(words)) + ".")
            labels.append(theme)
        return texts, labels

    train_texts, train_labels = passages(0, 30)
    test_texts, test_labels = passages(1, 30)  # only the other word forms
    accuracy = {}
    for characters in (False, True):
        labeller = CodedSampleLabeller(
            seed=1, use_embeddings=False, use_codebook=False, use_characters=characters
        )
        labeller.fit(train_texts, train_labels)
        accuracy[characters] = np.mean(labeller.predict(test_texts) == np.array(test_labels))
    assert accuracy[True] >= 0.9
    assert accuracy[False] <= 0.6


def test_an_unknown_fusion_names_the_choices():
    texts, labels = _passages(6, seed=1)
    with pytest.raises(UpstreamError, match="unknown fusion 'mean'.*experts, joint"):
        CodedSampleLabeller(embedder=HashingEmbedder(), fusion="mean").fit(texts, labels)


def test_determinant_training_text_is_the_segment_each_coded_passage_falls_in():
    segments = pd.DataFrame(
        {
            "segment_id": ["T1:0", "T1:1", "T2:0"],
            "doc_id": ["T1", "T1", "T2"],
            "start_char": [0, 100, 0],
            "end_char": [100, 200, 80],
        }
    )
    texts = ["first segment of T1", "second segment of T1", "only segment of T2"]
    coded = pd.DataFrame(
        {
            "doc_id": ["T1", "T1", "T2", "T3"],
            # inside the second; straddling, mostly in the first; in T2; a document with no segments
            "start_char": [120, 60, 10, 0],
            "end_char": [150, 110, 40, 50],
        }
    )
    own = ["passage a", "passage b", "passage c", "passage d"]
    assert segment_texts(coded, segments, texts, own) == [
        "second segment of T1",
        "first segment of T1",
        "only segment of T2",
        "passage d",
    ]
    with pytest.raises(ValueError, match="give one of each"):
        segment_texts(coded, segments, texts[:2], own)


def test_determinant_labeller_learns_from_coded_aspects():
    causes = [
        "Damp housing and low wages make people ill.",
        "Poverty leads to worse health because of debt and stress.",
        "Unemployment drives the gradient in life expectancy.",
        "Insecure work and rent arrears cause illness in poor areas.",
    ]
    actions = [
        "We set up a tenants campaign and lobbied the council.",
        "The council introduced a levy and funded a new scheme.",
        "We organised residents to vote on the budget.",
        "They should tax sugary drinks and ban the adverts.",
    ]
    labeller = DeterminantActionLabeller(("social_determinants",), HashingEmbedder(), seed=1)
    labeller.fit(causes + actions, ["determinant"] * 4 + ["action"] * 4)
    new = ["Overcrowding and poverty lead to poor health.", "We campaigned and set up a scheme."]
    assert list(labeller.predict(new)) == ["determinant", "action"]


def test_sample_weights_decide_between_conflicting_training_passages():
    # the same passages coded two ways: the heavier coding wins, for either labeller
    texts, labels = _passages(30, seed=1)
    rotated = [list(VOCAB)[(list(VOCAB).index(x) + 1) % 3] for x in labels]
    test_texts, test_labels = _passages(30, seed=2)
    for heavy, light, expected in ((1.0, 0.2, test_labels), (0.2, 1.0, None)):
        labeller = CodedSampleLabeller(embedder=HashingEmbedder(), seed=1)
        labeller.fit(texts + texts, labels + rotated, sample_weight=[heavy] * 30 + [light] * 30)
        predicted = labeller.predict(test_texts)
        if expected is None:
            expected = [list(VOCAB)[(list(VOCAB).index(x) + 1) % 3] for x in test_labels]
        assert np.mean(predicted == np.array(expected)) >= 0.9
    causes = ["Damp housing and low wages make people ill.", "Poverty and debt cause illness."]
    det = DeterminantActionLabeller(("social_determinants",), HashingEmbedder(), seed=1)
    for weights, expected in (([1, 1, 0.1, 0.1], "determinant"), ([0.1, 0.1, 1, 1], "action")):
        det.fit(causes * 2, ["determinant"] * 2 + ["action"] * 2, sample_weight=weights)
        assert list(det.predict(causes)) == [expected] * 2


@pytest.mark.parametrize("weights", [[1.0, 1.0], [1.0] * 5 + [0.0], [1.0] * 5 + [float("nan")]])
def test_bad_sample_weights_name_the_fix(weights):
    texts, labels = _passages(6, seed=1)
    with pytest.raises(UpstreamError) as caught:
        CodedSampleLabeller(embedder=HashingEmbedder(), seed=1).fit(
            texts, labels, sample_weight=weights
        )
    assert "sample_weight needs 6 positive numbers" in caught.value.one_line()
    assert "one weight > 0 per passage" in caught.value.one_line()


# --- a tiny study, coded in part, run end to end -----------------------------------------

SENTENCES = {
    "prevention": [
        "We ran screening clinics and smoking cessation groups so people stopped early.",
        "Health checks and vaccination in the community centre picked up problems early.",
    ],
    "grassroots": [
        "Residents voted on the budget themselves and the council had to listen to them.",
        "The tenants association organised and residents took control of the decisions.",
    ],
    "social_determinants": [
        "Damp housing, low wages and debt make people ill long before they see a doctor.",
        "Poverty and unemployment drive the gradient, rent and income shape everything.",
    ],
}
ASPECT = {"prevention": "action", "grassroots": "action", "social_determinants": "determinant"}


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("coded_study")
    data = root / "data"
    data.mkdir()
    coded = []
    for i in range(8):
        turns = ["Interviewer: What does upstream mean to you?"]
        order = list(SENTENCES)[i % 3 :] + list(SENTENCES)[: i % 3]
        for theme in order:
            turns.append(f"P{i:02d}: {SENTENCES[theme][i % 2]} {SENTENCES[theme][(i + 1) % 2]}")
            turns.append("Interviewer: Could you say more about that?")
        text = "\n\n".join(turns) + "\n"
        (data / f"T{i:02d}.txt").write_text(text, encoding="utf-8")
        for theme in order:
            sentence = SENTENCES[theme][i % 2]
            start = text.index(sentence)
            coded.append(
                {
                    "doc_id": f"T{i:02d}",
                    "start_char": start,
                    "end_char": start + len(sentence),
                    "theme": theme,
                    "determinant_or_action": ASPECT[theme],
                }
            )
    coded = pd.DataFrame(coded)
    coded.to_csv(root / "gold.csv", index=False)
    coded[coded["doc_id"] < "T04"].to_csv(root / "coded.csv", index=False)
    (root / "themes.yaml").write_text(
        """themes:
  - id: prevention
    name: Prevention
    description: Stopping illness early through screening, health checks and vaccination.
    seed_terms: [screening, vaccination, health checks]
  - id: grassroots
    name: Shifting power
    description: Residents and communities taking control of decisions.
    seed_terms: [residents, control, tenants]
  - id: social_determinants
    name: Social determinants
    description: Housing, income, poverty and debt as causes of ill health.
    seed_terms: [housing, poverty, income, debt]
""",
        encoding="utf-8",
    )
    (root / "run.yaml").write_text(
        """corpus:
  paths: [data]
  min_words: 8
  max_words: 20
preprocess:
  no_below: 1
model:
  kind: nmf
  k: 3
  stability_seeds: 1
themes: themes.yaml
theme_mapping:
  coded_sample: coded.csv
  labeller_self_train_threshold: 0.6
validation:
  gold: gold.csv
concept:
  enabled: false
report:
  qdpx: false
embedder: hashing
""",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def coded_run(study, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("coded_runs") / "run"
    run(study / "run.yaml", out)
    return out


@pytest.mark.slow
def test_run_learns_from_the_coded_sample_and_records_it(study, coded_run):
    manifest = json.loads((coded_run / "manifest.json").read_text())
    info = manifest["coded_sample"]
    assert info["path"].endswith("coded.csv") and len(info["sha256"]) == 64
    assert info["n_passages"] == 12
    assert info["passages_per_theme"] == {t: 4 for t in SENTENCES}
    # determinant/action learned from the segments the coded passages fall in
    assert info["determinant_trained_on"] == "segment"
    assert info["passages_per_determinant_or_action"] == {"action": 8, "determinant": 4}
    # the coded aspects decide alone (no blending with the rule), and the report says so
    det = manifest["determinant_labeller"]
    assert det["trained_on"] == "coded-sample" and det["rule_weight"] is None
    report = (coded_run / "report.html").read_text(encoding="utf-8")
    assert "a labeller trained on the aspects coded in your coded sample" in report
    # self-training on the run's uncoded segments (switched on in run.yaml) is recorded
    assert 0 < info["self_trained_segments"] <= len(pd.read_csv(coded_run / "assignments.csv"))
    assignments = pd.read_csv(coded_run / "assignments.csv")
    assert (assignments["label_source"] == "coded-sample").all()
    # no raw text is kept in the copy of the coded sample
    assert "text" not in pd.read_csv(coded_run / "coded_sample.csv").columns
    # the held-out interviews (T04-T07) are labelled as coded
    segments = pd.read_parquet(coded_run / "segments.parquet").set_index("segment_id")
    held_out = assignments[assignments["doc_id"] >= "T04"]
    text = held_out["segment_id"].map(segments["text"])
    housing = held_out[text.str.contains("Damp housing", regex=False)]
    assert len(housing) and (housing["theme"] == "social_determinants").mean() >= 0.75


@pytest.mark.slow
def test_validation_leaves_out_passages_the_labeller_learned_from(study, coded_run):
    report = json.loads((coded_run / "validation.json").read_text())
    # 24 gold passages, the 12 of T00-T03 trained the labeller; T04-T07 are held out
    assert report["n_gold"] == 24 and report["n_excluded_training"] == 12
    assert report["n_matched"] + report["n_unmatched"] == 12
    assert any("coded sample" in note for note in report["notes"])
    assert report["theme"]["kappa"] >= 0.6
    # the CLI reads the run's manifest and does the same
    result = CliRunner().invoke(
        app, ["validate", str(coded_run), "--gold", str(study / "gold.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "12 left out as training passages" in result.output
    assert json.loads((coded_run / "validation.json").read_text())["n_excluded_training"] == 12


@pytest.mark.slow
def test_validating_on_the_training_file_itself_reports_nothing_held_out(study, coded_run):
    result = CliRunner().invoke(
        app, ["validate", str(coded_run), "--gold", str(study / "coded.csv")]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((coded_run / "validation.json").read_text())
    assert report["n_excluded_training"] == 12 and report["n_matched"] == 0
    assert "no held-out agreement" in " ".join(result.output.split())
    assert "kappa" not in result.output  # no agreement figures on training data


def test_validate_excludes_overlapping_training_passages_directly():
    assignments = pd.DataFrame(
        {
            "segment_id": ["D#1", "D#2", "D#3"],
            "doc_id": ["D"] * 3,
            "start_char": [0, 100, 200],
            "end_char": [100, 200, 300],
            "theme": ["prevention", "grassroots", "prevention"],
        }
    )
    gold = pd.DataFrame(
        {
            "doc_id": ["D"] * 3,
            "start_char": [10, 120, 250],
            "end_char": [50, 150, 290],
            "theme": ["prevention", "grassroots", "grassroots"],
        }
    )
    # the training passage overlaps gold passage 1; gold passage 2 shares its segment
    training = pd.DataFrame({"doc_id": ["D"], "start_char": [20], "end_char": [40]})
    training2 = pd.DataFrame({"doc_id": ["D"], "start_char": [160], "end_char": [190]})
    result = validate(assignments, gold, training=pd.concat([training, training2]))
    assert result.n_excluded_training == 2 and result.n_matched == 1
    assert result.to_dict()["n_excluded_training"] == 2
    assert validate(assignments, gold).n_excluded_training == 0


@pytest.mark.parametrize(
    ("content", "message", "fix"),
    [
        ("doc_id,start_char,theme\nT00,0,prevention\n", "missing column", "end_char"),
        (
            "doc_id,start_char,end_char,theme\nT00,0,10,prevention\nT00,20,30,upstream_stuff\n",
            "unknown theme id 'upstream_stuff'",
            "use one of",
        ),
        (
            "doc_id,start_char,end_char,theme,determinant_or_action\n"
            "T00,0,10,prevention,action\nT00,20,30,grassroots,cause\n",
            "unknown determinant_or_action label 'cause'",
            "determinant, action, both, neither",
        ),
    ],
)
def test_bad_coded_samples_name_the_file_and_the_fix(tmp_path, content, message, fix):
    path = tmp_path / "my_coding.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UpstreamError) as caught:
        load_coded_sample(path, ["prevention", "grassroots"])
    text = caught.value.one_line()
    assert "my_coding.csv" in text and message in text and fix in text


def test_unknown_document_in_coded_sample_is_an_error(study, coded_run):
    from upstreamnlp.corpus import Corpus
    from upstreamnlp.themes.supervised import coded_passage_texts

    corpus = Corpus.from_parquet(coded_run / "segments.parquet")
    coded = load_gold(study / "coded.csv")
    coded.loc[0, "doc_id"] = "T99"
    with pytest.raises(UpstreamError, match="doc_id 'T99' is not a document of this run"):
        coded_passage_texts(coded, corpus, source="coded.csv")


def test_self_training_adds_confident_uncoded_segments_and_can_be_switched_off():
    coded_texts, coded_labels = _passages(12, seed=3)
    uncoded, _ = _passages(60, seed=4)  # the corpus's other segments, never coded
    test_texts, test_labels = _passages(30, seed=5)
    labeller = CodedSampleLabeller(embedder=HashingEmbedder(), seed=1, self_train_threshold=0.5)
    labeller.fit(coded_texts, coded_labels, unlabelled=uncoded)
    assert 0 < labeller.n_self_trained_ <= 60
    assert np.mean(labeller.predict(test_texts) == np.array(test_labels)) >= 0.8
    off = CodedSampleLabeller(embedder=HashingEmbedder(), seed=1, self_train_threshold=None)
    off.fit(coded_texts, coded_labels, unlabelled=uncoded)
    assert off.n_self_trained_ == 0
    # no uncoded segments given: plain supervised learning
    plain = CodedSampleLabeller(embedder=HashingEmbedder(), seed=1).fit(coded_texts, coded_labels)
    assert plain.n_self_trained_ == 0


@pytest.mark.slow
def test_theme_quotes_follow_the_coded_sample_labels(study, coded_run):
    assignments = pd.read_csv(coded_run / "assignments.csv").set_index("segment_id")
    quotes = pd.read_csv(coded_run / "quotes.csv")
    theme_quotes = quotes[quotes["kind"] == "theme"]
    assert len(theme_quotes)
    # every quote shown for a theme is a segment the run's final labels give that theme
    final = theme_quotes["segment_id"].map(assignments["theme"])
    assert (final == theme_quotes["key"]).all()


def test_blending_lets_the_labeller_overrule_the_rule_only_where_it_is_clearly_surer():
    classes = ["action", "both", "determinant", "neither"]
    proba = np.array(
        [
            [0.60, 0.00, 0.40, 0.00],  # prefers action by 0.20: the rule's determinant stands
            [0.85, 0.00, 0.15, 0.00],  # prefers action by 0.70 (> 0.35 / 0.65): overrules
            [0.10, 0.80, 0.10, 0.00],  # the labeller's "both" is never taken
            [0.50, 0.00, 0.10, 0.40],  # the rule's "both" stands against a weak preference
        ]
    )
    rule = ["determinant", "determinant", "action", "both"]
    blended = blend_with_rule(proba, classes, rule, rule_weight=0.35)
    assert list(blended) == ["determinant", "action", "action", "both"]
    # the ends of the scale: the rule alone, or the labeller alone without its "both"
    assert list(blend_with_rule(proba, classes, rule, rule_weight=1.0)) == rule
    alone = blend_with_rule(proba, classes, rule, rule_weight=0.0)
    assert list(alone) == ["action", "action", "action", "action"]
    with pytest.raises(ValueError, match="one row per passage"):
        blend_with_rule(proba[:2], classes, rule, rule_weight=0.35)
    with pytest.raises(ValueError, match="not in"):
        blend_with_rule(proba, classes, rule, rule_weight=1.5)


# --- example passages written from the codebook ------------------------------------------

EXAMPLES = """label,determinant_or_action,text
prevention,action,Screening and vaccination catch illness early before it gets worse.
prevention,action,Regular health checks at the clinic and stopping smoking early.
prevention,action,The nurse offers screening and vaccination to everyone over fifty.
grassroots,action,Residents decide together and the council must follow their vote.
grassroots,action,Tenants organised themselves and took control of the estate budget.
grassroots,action,Local people hold the power over decisions about their neighbourhood.
social_determinants,determinant,Poverty and debt and damp housing cause ill health.
social_determinants,determinant,Low income and unemployment and high rent harm health.
social_determinants,determinant,Wages and housing conditions shape who gets ill.
other,neither,The weather was lovely and we went for a long walk on Sunday.
"""


@pytest.fixture(scope="module")
def examples_run(study, tmp_path_factory) -> Path:
    (study / "examples.csv").write_text(EXAMPLES, encoding="utf-8")
    config = (study / "run.yaml").read_text(encoding="utf-8")
    config = config.replace("coded_sample: coded.csv", "examples: examples.csv")
    (study / "run_examples.yaml").write_text(config, encoding="utf-8")
    out = tmp_path_factory.mktemp("example_runs") / "run"
    run(study / "run_examples.yaml", out)
    return out


@pytest.mark.slow
def test_run_learns_themes_from_codebook_examples_without_any_coding(study, examples_run):
    manifest = json.loads((examples_run / "manifest.json").read_text())
    info = manifest["codebook_examples"]
    assert info["path"].endswith("examples.csv") and len(info["sha256"]) == 64
    assert info["n_examples"] == 10
    assert info["examples_per_label"]["prevention"] == 3
    assert info["weight"] == 1.0  # nothing coded: the examples are all there is
    assert "coded_sample" not in manifest
    # run.yaml switches self-training on for coded samples; examples alone never self-train
    labeller = manifest["theme_labeller"]
    assert labeller["self_train_threshold"] is None and labeller["self_trained_segments"] == 0
    assert labeller["fusion"] == "experts"
    assert labeller["feature_blocks"] == ["embedding", "evidence", "words", "characters"]
    assert labeller["document_context"] == 0.5 and labeller["document_context_span"] == 2.0
    # the report tells the reader that labels lean on their neighbours, and how far
    report = (examples_run / "report.html").read_text(encoding="utf-8")
    assert "leans towards those of its neighbours" in report
    assert "document_context = 0.5, span 2.0 segments" in report
    assert "example passages counted" not in report  # nothing coded to weigh them against
    assignments = pd.read_csv(examples_run / "assignments.csv")
    assert (assignments["label_source"] == "codebook-examples").all()
    segments = pd.read_parquet(examples_run / "segments.parquet").set_index("segment_id")
    text = assignments["segment_id"].map(segments["text"])
    for phrase, theme in (
        ("Damp housing", "social_determinants"),
        ("Residents voted", "grassroots"),
        ("screening clinics", "prevention"),
    ):
        rows = assignments[text.str.contains(phrase, regex=False)]
        assert len(rows) and (rows["theme"] == theme).mean() >= 0.75, phrase
    # determinant/action: a labeller learned from the examples' aspects, blended with the rule
    det = manifest["determinant_labeller"]
    assert det["trained_on"] == "codebook-examples" and det["rule_weight"] == 0.35
    assert det["passages_per_label"] == {"action": 6, "determinant": 3, "neither": 1}
    assert "the rule counts 0.35 (theme_mapping.determinant_rule_weight)" in report
    for phrase, aspect in (("Damp housing", "determinant"), ("Residents voted", "action")):
        rows = assignments[text.str.contains(phrase, regex=False)]
        assert (rows["determinant_or_action"] == aspect).mean() >= 0.75, phrase
    # nothing was coded, so validation leaves nothing out
    validation = json.loads((examples_run / "validation.json").read_text())
    assert validation["n_excluded_training"] == 0 and validation["n_matched"] == 24


@pytest.mark.slow
def test_coded_passages_outweigh_codebook_examples(study, tmp_path):
    (study / "examples.csv").write_text(EXAMPLES, encoding="utf-8")
    config = (study / "run.yaml").read_text(encoding="utf-8")
    config = config.replace(
        "coded_sample: coded.csv", "coded_sample: coded.csv\n  examples: examples.csv"
    )
    (study / "run_both.yaml").write_text(config, encoding="utf-8")
    run(study / "run_both.yaml", tmp_path / "run", overrides=["theme_mapping.examples_weight=0.25"])
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["codebook_examples"]["weight"] == 0.25
    assert manifest["coded_sample"]["n_passages"] == 12
    assignments = pd.read_csv(tmp_path / "run" / "assignments.csv")
    assert (assignments["label_source"] == "coded-sample+codebook-examples").all()
    # the report tells the reader how much the examples counted
    report = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "each of the 10 example passages counted 0.25 of one of your coded passages" in report


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("label,passage\nprevention,Screening early.\n", "missing columns ['text']"),
        ("label,text\nprevention,Screening.\nupstreamish,Something.\n", "unknown label"),
        (
            "label,determinant_or_action,text\nprevention,cause,Screening early.\n",
            "unknown determinant_or_action label 'cause'",
        ),
    ],
)
def test_bad_example_files_name_the_file_and_the_fix(tmp_path, content, message):
    from upstreamnlp.themes.codebook import load_codebook
    from upstreamnlp.themes.supervised import load_examples

    (tmp_path / "themes.yaml").write_text(
        "themes:\n  - id: prevention\n    name: Prevention\n    description: Screening.\n",
        encoding="utf-8",
    )
    path = tmp_path / "my_examples.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UpstreamError) as caught:
        load_examples(path, load_codebook(tmp_path / "themes.yaml"))
    text = caught.value.one_line()
    assert "my_examples.csv" in text and message in text
