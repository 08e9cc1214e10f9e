"""Preprocessing: tokens a topic model can use, phrases, the cache, the fallback, the CLI."""

from __future__ import annotations

import random
import warnings

import pandas as pd
import pytest
from typer.testing import CliRunner

import upstreamnlp.preprocess.pipeline as pipeline_module
from upstreamnlp.cli import app
from upstreamnlp.corpus.model import Corpus, Document, Segment
from upstreamnlp.preprocess import Preprocessed, PreprocessOptions, load_pipeline, preprocess

LOOSE = {"no_below": 1, "no_above": 1.0}  # tiny corpora: keep every term


@pytest.fixture(scope="session")
def nlp():
    return load_pipeline(ner=True)[0]


def corpus_of(turns: list[str], kind: str = "transcript", interviewer_every: int = 0) -> Corpus:
    """One document per turn (so document frequency is segment frequency)."""
    documents, segments = [], []
    for n, turn in enumerate(turns, start=1):
        doc_id = f"d{n:03d}"
        role = "participant"
        if interviewer_every and n % interviewer_every == 0:
            role = "interviewer"
        documents.append(Document(doc_id, turn, kind))
        segments.append(Segment(f"{doc_id}#1", doc_id, turn, 0, len(turn), "P", role))
    return Corpus(documents, segments)


def planted_corpus(n: int = 40, seed: int = 3) -> Corpus:
    rng = random.Random(seed)
    nouns = "housing poverty income school transport community council policy clinic".split()
    verbs = "support reduce fund improve tackle change".split()
    turns = []
    for i in range(n):
        a, b = rng.sample(nouns, 2)
        verb = rng.choice(verbs)
        if i < 30:
            turns.append(f"We {verb} the sugar levy because {a} and {b} matter.")
        else:
            turns.append(f"They {verb} local {a} while {b} stays weak.")
    return corpus_of(turns)


def test_stop_words_and_fillers_are_removed(tmp_path, nlp):
    corpus = corpus_of(
        [
            "Yeah, um, I mean, you know, it's kind of about housing really, basically.",
            "Erm, okay, so at the end of the day poverty is, like, sort of the thing.",
        ]
    )
    result = preprocess(corpus, PreprocessOptions(**LOOSE), cache_dir=tmp_path, nlp=nlp)
    assert result.tokens == [["housing"], ["poverty"]]


def test_lemmas_pos_filter_and_short_tokens(tmp_path, nlp):
    corpus = corpus_of(["The councils funded studies of damp houses in 2019 at www.example.org."])
    result = preprocess(corpus, PreprocessOptions(**LOOSE), cache_dir=tmp_path, nlp=nlp)
    assert result.tokens == [["council", "fund", "study", "damp", "house"]]
    nouns = preprocess(corpus, PreprocessOptions(pos=["NOUN"], **LOOSE), cache_dir=tmp_path)
    assert nouns.tokens == [["council", "study", "house"]]


def test_planted_collocation_becomes_one_term(tmp_path, nlp):
    result = preprocess(planted_corpus(), PreprocessOptions(**LOOSE), cache_dir=tmp_path, nlp=nlp)
    assert "sugar_levy" in result.phrases
    with_levy = [t for t in result.tokens if "sugar_levy" in t]
    assert len(with_levy) == 30
    assert not any("sugar" in t or "levy" in t for t in result.tokens)
    off = preprocess(
        planted_corpus(), PreprocessOptions(phrases=False, **LOOSE), cache_dir=tmp_path
    )
    assert sum("sugar" in t for t in off.tokens) == 30 and off.phrases == []


def test_dictionary_filtering_by_document_frequency(tmp_path, nlp):
    result = preprocess(planted_corpus(), PreprocessOptions(), cache_dir=tmp_path, nlp=nlp)
    # sugar_levy is in 30 of 40 segments (> no_above 0.5): dropped; rare terms too
    assert all("sugar_levy" not in t for t in result.tokens)
    vocabulary = {tok for t in result.tokens for tok in t}
    counts = {w: sum(w in t for t in result.tokens) for w in vocabulary}
    assert vocabulary and all(2 <= c <= 20 for c in counts.values())
    assert result.stats["vocabulary"] == len(vocabulary)


def test_interviewer_kept_in_corpus_not_modelled(tmp_path, nlp):
    corpus = corpus_of(
        ["housing matters", "what about poverty?", "income matters"], interviewer_every=2
    )
    result = preprocess(corpus, PreprocessOptions(**LOOSE), cache_dir=tmp_path, nlp=nlp)
    assert result.segment_ids == ["d001#1", "d003#1"]
    assert len(result.corpus.segments) == 3
    both = preprocess(
        corpus, PreprocessOptions(**LOOSE), cache_dir=tmp_path, include_interviewer=True
    )
    assert both.segment_ids == ["d001#1", "d002#1", "d003#1"]
    assert both.stats["cache"]["misses"] == 0  # interviewer choice never re-runs spaCy


def test_empty_segments_are_kept_and_counted(tmp_path, nlp):
    corpus = corpus_of(["Yeah, yeah. Okay.", "housing and poverty"])
    result = preprocess(corpus, PreprocessOptions(**LOOSE), cache_dir=tmp_path, nlp=nlp)
    assert result.tokens == [[], ["housing", "poverty"]]
    assert result.stats["empty_segments"] == 1


def test_pretokenized_text_is_used_as_is(tmp_path):
    corpus = corpus_of(["the sugar levy works", "yeah the tax"], kind="other")
    result = preprocess(corpus, PreprocessOptions(pretokenized=True), cache_dir=tmp_path)
    assert result.tokens == [["the", "sugar", "levy", "works"], ["yeah", "the", "tax"]]
    assert result.pipeline_name == "pretokenized"
    filtered = preprocess(
        corpus, PreprocessOptions(pretokenized=True, no_below=2, no_above=1.0), cache_dir=False
    )
    assert filtered.tokens == [["the"], ["the"]]


def test_cache_hits_and_misses(tmp_path, nlp):
    corpus = planted_corpus(12)
    first = preprocess(corpus, PreprocessOptions(**LOOSE), cache_dir=tmp_path, nlp=nlp)
    assert first.stats["cache"] == {
        "dir": str(tmp_path / "spacy"),
        "hits": 0,
        "misses": 12,
        "tokens_reused": False,
    }
    assert first.stats["spacy_texts"] == 12
    # modelling settings only: no spaCy at all, same tokens before the changed step
    again = preprocess(
        corpus,
        PreprocessOptions(phrase_threshold=0.9, extra_stopwords=["housing"], **LOOSE),
        cache_dir=tmp_path,
    )
    assert again.stats["cache"]["hits"] == 12 and again.stats["spacy_texts"] == 0
    assert not again.stats["cache"]["tokens_reused"]  # the modelling steps ran again
    assert any("housing" in t for t in first.tokens)
    assert not any("housing" in t for t in again.tokens)
    # a setting that changes spaCy's output is a miss
    changed = preprocess(
        corpus, PreprocessOptions(ner_labels=["PERSON"], **LOOSE), cache_dir=tmp_path, nlp=nlp
    )
    assert changed.stats["cache"]["misses"] == 12
    listed = preprocess(
        corpus, PreprocessOptions(**LOOSE), cache_dir=tmp_path, privacy_terms=["Levy"], nlp=nlp
    )
    assert listed.stats["cache"]["misses"] == 12
    # an unchanged re-run reads the modelling steps' output too
    same = preprocess(corpus, PreprocessOptions(**LOOSE), cache_dir=tmp_path)
    assert same.stats["cache"]["tokens_reused"] and same.stats["spacy_texts"] == 0
    assert same.tokens == first.tokens and same.phrases == first.phrases
    # ... but not when the modelled segments change
    with_interviewer = preprocess(
        corpus, PreprocessOptions(**LOOSE), cache_dir=tmp_path, include_interviewer=True
    )
    assert with_interviewer.stats["cache"]["hits"] == 12


def test_fallback_pipeline_still_lemmatises(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline_module, "MODEL_PACKAGES", ("no_such_spacy_model_xyz",))
    pipeline_module._warned.clear()
    with pytest.warns(UserWarning, match="blank pipeline"):
        nlp, name = load_pipeline(ner=True, reuse=False)
    assert name == "blank-en+lookup"
    assert [t.lemma_ for t in nlp("the studies were running")][1] == "study"
    corpus = corpus_of(["Studies of councils and houses."])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = preprocess(corpus, PreprocessOptions(**LOOSE), cache_dir=tmp_path, nlp=nlp)
    assert result.pipeline_name == "blank-en+lookup"
    assert result.tokens == [["study", "council", "house"]]


def test_parquet_round_trip(tmp_path, nlp):
    result = preprocess(planted_corpus(10), PreprocessOptions(**LOOSE), cache_dir=tmp_path, nlp=nlp)
    path = result.to_parquet(tmp_path / "out" / "TOKENS.parquet")
    frame = pd.read_parquet(path)
    assert list(frame.columns) == ["segment_id", "doc_id", "tokens", "text"]
    back = Preprocessed.from_parquet(path)
    assert back.tokens == result.tokens and back.texts == result.texts
    assert back.segment_ids == result.segment_ids and back.phrases == result.phrases
    assert back.pipeline_name == result.pipeline_name
    assert len(back.corpus.segments) == 10


def test_cli_preprocess(tmp_path, nlp):
    corpus = planted_corpus(10)
    corpus_path = corpus.to_parquet(tmp_path / "corpus.parquet")
    config = tmp_path / "config.yaml"
    config.write_text("preprocess:\n  no_below: 1\n  no_above: 1.0\n")
    out = tmp_path / "TOKENS.parquet"
    runner = CliRunner()
    args = ["preprocess", str(corpus_path), "--out", str(out), "--config", str(config)]
    result = runner.invoke(app, args + ["--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "vocabulary" in result.output and "en_core_web_sm" in result.output
    assert len(pd.read_parquet(out)) == 10
    assert (tmp_path / "TOKENS.corpus.parquet").exists()

    missing = runner.invoke(app, ["preprocess", str(tmp_path / "nope.parquet"), "--out", str(out)])
    assert missing.exit_code == 2 and "nope.parquet" in missing.output
    other = tmp_path / "other.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(other)
    wrong = runner.invoke(app, ["preprocess", str(other), "--out", str(out)])
    assert wrong.exit_code == 2 and "missing columns" in wrong.output
    config.write_text("no_belw: 3\n")
    bad_key = runner.invoke(app, args)
    assert bad_key.exit_code == 2 and "no_belw" in bad_key.output


def test_fast_pipeline_gives_the_same_tags_lemmas_and_entities(nlp):
    """The memoised rules and numpy's matrix products change speed, not output."""
    original, _ = load_pipeline(ner=True, reuse=False, fast_ruler=False, fast_matmul=False)
    assert {"attribute_ruler", "lemmatizer"} <= set(original.pipe_names)
    assert "attribute_ruler" not in nlp.pipe_names and "lemmatizer" not in nlp.pipe_names
    texts = [
        # multi-token and regular-expression rules: the exact path
        "I don't know, isn't it? We'd gonna wanna go; the councils' studies were running.",
        "Y'all ain't seen nothin' yet. C'mon, we got ta go, let's see.",
        # the memoised path, twice over (the second time from the memo)
        "Mr. O'Neil's co-ops cut 3.5 km of roads. They've been told to, haven't they?",
        "Whom do you think funded the U.K. sugar levy? Cannot, won't, shan't.",
        "Dr Amina Okoro said the council in Thornbury had cut the youth service.",
        "Dr Amina Okoro said the council in Thornbury had cut the youth service.",
        "She was leading the studies; she leads them; the leads were led astray.",
    ]
    expected = [
        [(t.tag_, t.pos_, str(t.morph), t.lemma_, t.ent_iob_, t.ent_type_) for t in doc]
        for doc in original.pipe(texts)
    ]
    got = [
        [(t.tag_, t.pos_, str(t.morph), t.lemma_, t.ent_iob_, t.ent_type_) for t in doc]
        for doc in nlp.pipe(texts)
    ]
    assert got == expected
    assert any(ent for row in got for *_, ent in row)  # the check covers entities too


def test_pipeline_with_parser_keeps_the_dependency_rules():
    """Some of the ruler's rules read dependency labels: with the parser loaded (the
    concept lens) the stock components stay: "That" as a subject is a pronoun."""
    with_parser, _ = load_pipeline(
        components=("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"), ner=False
    )
    assert "attribute_ruler" in with_parser.pipe_names
    doc = with_parser("That is what matters most.")
    assert (doc[0].tag_, doc[0].dep_, doc[0].pos_) == ("DT", "nsubj", "PRON")


def test_two_worker_processes_give_the_same_result(nlp):
    """Forked workers return entity spans and tokens; the result must not depend on them."""
    names = ["Amina Okoro", "Gareth Pym", "Dr Helen Lomax"]
    turns = [
        f"{names[i % 3]} from Thornbury said the sugar levy and poverty matter, "
        f"and housing in Oldcastle is damp. We co-produce the budget, sort of."
        for i in range(30)
    ]
    corpus = corpus_of(turns)
    options = dict(LOOSE, batch_size=4)  # several batches per worker
    listed = ["Gareth Pym", "Thornbury"]  # what NER misses here, the privacy list catches
    one, two = (
        preprocess(
            corpus,
            PreprocessOptions(n_process=n, **options),
            cache_dir=False,
            privacy_terms=listed,
            nlp=nlp,
        )
        for n in (1, 2)
    )
    assert two.tokens == one.tokens and two.phrases == one.phrases
    assert [d.text for d in two.corpus.documents] == [d.text for d in one.corpus.documents]
    assert "[PERSON_1]" in two.corpus.documents[0].text
    assert not any(name in d.text for d in two.corpus.documents for name in names)
