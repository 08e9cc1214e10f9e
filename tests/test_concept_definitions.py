"""Definitional statements about "upstream": precision and recall on a labelled set."""

from pathlib import Path

import pandas as pd
import pytest

from upstreamnlp.concept import ConceptSpec, concordance, definitions, load_concept_pipeline, senses
from upstreamnlp.corpus.model import Corpus, Document
from upstreamnlp.models.embeddings import HashingEmbedder

LABELLED = Path(__file__).parent / "fixtures" / "concept" / "definitions.csv"


@pytest.fixture(scope="module")
def nlp():
    return load_concept_pipeline()


@pytest.fixture(scope="module")
def labelled():
    return pd.read_csv(LABELLED, keep_default_na=False)


@pytest.fixture(scope="module")
def sentence_corpus(labelled):
    docs = [Document(id=f"s{i:03d}", text=s) for i, s in enumerate(labelled["sentence"])]
    return Corpus(docs)


def test_labelled_set_is_big_and_varied(labelled):
    assert len(labelled) >= 60
    assert labelled["is_definition"].sum() >= 25
    assert set(labelled["kind"]) == {"def", "mention", "question", "literal"}


def test_definitions_precision_recall_and_span(nlp, labelled, sentence_corpus):
    found = definitions(sentence_corpus, nlp=nlp)
    by_doc = found.set_index("doc_id")
    truth = {f"s{i:03d}": row for i, row in labelled.iterrows()}
    tp = sum(1 for d in by_doc.index if truth[d]["is_definition"] == 1)
    precision = tp / max(len(by_doc), 1)
    recall = tp / labelled["is_definition"].sum()
    assert precision >= 0.9, by_doc.loc[[d for d in by_doc.index if not truth[d]["is_definition"]]]
    assert recall >= 0.8
    for doc_id, row in by_doc.iterrows():
        text = sentence_corpus.document(doc_id).text
        # offsets are exact document offsets
        assert text[row["definiens_start"] : row["definiens_end"]] == row["definiens"]
        gold = truth[doc_id]["definiens"]
        if gold:
            g_start = text.index(gold)
            overlap = min(row["definiens_end"], g_start + len(gold)) - max(
                row["definiens_start"], g_start
            )
            assert overlap > 0, (row["definiens"], gold)


def test_no_questions_or_literal_uses_extracted(nlp, labelled, sentence_corpus):
    found = definitions(sentence_corpus, nlp=nlp)
    kinds = {f"s{i:03d}": k for i, k in enumerate(labelled["kind"])}
    assert not [d for d in found["doc_id"] if kinds[d] in ("question", "literal")]


def test_negated_definitions_are_flagged(nlp):
    corpus = Corpus(
        [
            Document("a", "Upstream isn't just about screening programmes, it's about wages."),
            Document("b", "By upstream I don't mean health education, I mean the housing market."),
            Document("c", "Upstream means acting on income and housing."),
        ]
    )
    found = definitions(corpus, nlp=nlp).set_index("doc_id")
    assert bool(found.loc["a", "negated"]) and bool(found.loc["b", "negated"])
    assert not bool(found.loc["c", "negated"])


def test_literal_uses_form_the_literal_sense(nlp, labelled, sentence_corpus):
    lines = concordance(sentence_corpus, nlp=nlp)
    result = senses(lines, embedder=HashingEmbedder(), seed=1)
    sense_of = dict(zip(lines["doc_id"], result.assignments_["literal"], strict=True))
    kinds = {f"s{i:03d}": k for i, k in enumerate(labelled["kind"])}
    literal_docs = {d for d, k in kinds.items() if k == "literal"}
    assert all(sense_of[d] for d in literal_docs if d in sense_of)
    assert len([d for d in literal_docs if d in sense_of]) == len(literal_docs)
    metaphorical = [d for d in sense_of if kinds[d] == "def"]
    assert not any(sense_of[d] for d in metaphorical)


def test_custom_term_is_extracted(nlp):
    spec = ConceptSpec(terms=("downstream",))
    corpus = Corpus([Document("a", "For me, downstream means treating people once they are ill.")])
    found = definitions(corpus, spec, nlp=nlp)
    assert found["definiens"].tolist() == ["treating people once they are ill"]


# A second set, written by another author after the patterns were built: on first
# contact it gave precision 1.0 and recall 0.75; three general gaps were then closed
# ("for our team upstream means", the pseudo-cleft "what upstream means to me is",
# "the bit before ..." as a definition while "a bit of a buzzword" still evaluates).
SECOND_SET_DEFINITIONS = [
    "Upstream, as far as I'm concerned, is making sure families have enough money to live on.",
    "For our team upstream means getting the landlords to fix the damp before the kids get chest infections.",
    "In my view upstream is about the rules of the game, not the players.",
    "What upstream means to me is residents running the show.",
    "I'd define upstream as anything that changes the price of unhealthy food.",
    "Upstream is the bit before anybody needs a doctor.",
    "So upstream, I suppose, is the education and the jobs side of things.",
    "We took upstream to mean interventions on employment, housing and income.",
    "Here, upstream action denotes policies that reduce exposure across the whole population.",
    "Upstream thinking, in nursing, means looking beyond the bedside to the conditions that bring patients in.",
    "To my mind, working upstream is giving communities the power to decide.",
    "Upstream basically means screening and catching things early.",
]
SECOND_SET_OTHERS = [
    "Did the council ever talk about working upstream?",
    "We went upstream to the weir to look at the salmon ladder.",
    "The upstream suppliers raised their prices twice last year.",
    "I keep hearing the word upstream at meetings.",
    "Is upstream just another word for prevention?",
    "She wrote a report on upstream approaches in 2019.",
    "Funding for upstream work was cut again this year.",
    "The boat drifted upstream with the tide.",
    "Everyone says we should be more upstream, whatever that is.",
    "Upstream projects rarely get evaluated properly.",
    "They moved the water intake further upstream of the town.",
    "What would upstream look like on your estate?",
    "Upstream is a bit of a buzzword, if I'm honest.",
    "I honestly don't know what upstream means to me.",
]


def test_second_sentence_set_by_another_author(nlp):
    from upstreamnlp.concept.definitions import definitions_in_sentences

    found = definitions_in_sentences(SECOND_SET_DEFINITIONS + SECOND_SET_OTHERS, nlp=nlp)
    hits = [r is not None for r in found]
    recall = sum(hits[: len(SECOND_SET_DEFINITIONS)]) / len(SECOND_SET_DEFINITIONS)
    false_positives = [
        s for s, h in zip(SECOND_SET_OTHERS, hits[len(SECOND_SET_DEFINITIONS) :], strict=True) if h
    ]
    assert recall >= 0.9
    assert false_positives == []
