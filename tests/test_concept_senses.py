"""Senses of "upstream": a planted set of prevention, power and literal uses."""

import warnings

import pytest

from upstreamnlp.concept import analyse_concept, concordance, load_concept_pipeline, senses
from upstreamnlp.corpus.model import Corpus, Document
from upstreamnlp.models.embeddings import HashingEmbedder
from upstreamnlp.themes import Codebook

PREVENTION = [
    "Upstream for us means screening and early detection of disease in the clinic.",
    "Going upstream is about screening, vaccination and early detection of disease.",
    "We do upstream work like screening clinics and vaccination drives for disease.",
    "Upstream prevention means screening adults early before the disease develops.",
    "The upstream approach is screening, vaccination and early detection in clinics.",
    "Upstream is screening people early so that disease is caught before it spreads.",
    "Our upstream programme offers screening and vaccination clinics for early detection.",
    "Thinking upstream means vaccination and screening clinics for early disease detection.",
    "Upstream action here is early detection through screening and vaccination clinics.",
    "Upstream, to me, is screening and vaccination, catching disease early in clinics.",
]
POWER = [
    "Upstream means residents taking collective control and power over decisions.",
    "Going upstream is about shifting power so residents control the decisions.",
    "Upstream work gives residents collective power and a voice in decisions.",
    "For me upstream is residents organising to take power and control of decisions.",
    "The upstream approach hands decision power to residents and their collective voice.",
    "Upstream is grassroots residents demanding power and control over decisions.",
    "Upstream action means collective control: residents with real power over decisions.",
    "Thinking upstream means residents have the power and voice to control decisions.",
    "Upstream change is residents claiming power and collective control of decisions.",
    "Upstream, really, is about residents gaining power, voice and control of decisions.",
]
LITERAL = [
    "Salmon swim upstream every autumn to spawn in the river gravel.",
    "We paddled the canoe upstream against the current of the river.",
    "The upstream suppliers raised prices for raw materials at the factory.",
    "Trout gather upstream of the weir where the river water is cold.",
    "Flood water from upstream closed the bridge over the river.",
]
CODEBOOK = Codebook.from_dict(
    {
        "themes": [
            {
                "id": "prevention",
                "name": "Prevention",
                "description": "Screening, vaccination and early detection of disease.",
                "seed_terms": ["screening", "vaccination", "early detection", "prevention"],
            },
            {
                "id": "grassroots",
                "name": "Grass roots",
                "description": "Residents taking collective control and power over decisions.",
                "seed_terms": ["power", "collective control", "residents", "voice"],
            },
        ]
    }
)


@pytest.fixture(scope="module")
def nlp():
    return load_concept_pipeline()


def _planted() -> Corpus:
    docs = []
    for i, text in enumerate(PREVENTION):
        docs.append(Document(f"prev{i}", text, metadata={"role": "practitioner"}))
    for i, text in enumerate(POWER):
        docs.append(Document(f"pow{i}", text, metadata={"role": "public"}))
    for i, text in enumerate(LITERAL):
        docs.append(Document(f"lit{i}", text, metadata={"role": "researcher"}))
    return Corpus(docs)


def test_planted_senses_are_separated_and_mapped(nlp):
    corpus = _planted()
    lines = concordance(corpus, nlp=nlp)
    result = senses(lines, embedder=HashingEmbedder(), codebook=CODEBOOK, seed=1)
    sense_of = dict(zip(lines["doc_id"], result.assignments_["sense"], strict=True))
    assert all(sense_of[f"lit{i}"] == 0 for i in range(5))
    prevention = {sense_of[f"prev{i}"] for i in range(10)}
    power = {sense_of[f"pow{i}"] for i in range(10)}
    assert len(prevention) == 1 and len(power) == 1 and prevention != power
    assert 0 not in prevention | power
    table = result.senses_.set_index("sense")
    assert table.loc[prevention.pop(), "theme"] == "prevention"
    assert table.loc[power.pop(), "theme"] == "grassroots"
    assert bool(table.loc[0, "literal"]) and table.loc[0, "n"] == 5
    assert result.k_ == 2
    # each sense has distinctive terms and quotes taken from its own uses
    assert "screening" in table.loc[sense_of["prev0"], "top_terms"]
    assert table.loc[sense_of["pow0"], "quotes"].split(" | ")[0] in POWER


def test_same_seed_same_senses(nlp):
    lines = concordance(_planted(), nlp=nlp)
    a = senses(lines, embedder=HashingEmbedder(), codebook=CODEBOOK, seed=3)
    b = senses(lines, embedder=HashingEmbedder(), codebook=CODEBOOK, seed=3)
    assert a.senses_.equals(b.senses_) and a.assignments_.equals(b.assignments_)


def test_too_few_occurrences_skip_clustering(nlp):
    corpus = Corpus([Document(f"d{i}", POWER[i]) for i in range(4)])
    result = senses(concordance(corpus, nlp=nlp), embedder=HashingEmbedder(), codebook=CODEBOOK)
    assert "not clustered" in result.message
    assert set(result.assignments_["sense"]) == {1}
    assert result.senses_.loc[0, "theme"] == "grassroots"


def test_analysis_by_group_warns_for_single_document_group(nlp, tmp_path):
    corpus = _planted()
    corpus.documents.append(
        Document("solo", "Upstream means residents with power.", metadata={"role": "lone"})
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the warning is collected, not raised
        result = analyse_concept(
            corpus, nlp=nlp, embedder=HashingEmbedder(), codebook=CODEBOOK, by=("role",), n_boot=200
        )
    assert any("single document" in w and "lone" in w for w in result.warnings)
    prev = result.prevalence["role"]
    lone = prev[prev["group"] == "lone"]
    assert (lone["ci_low"] == lone["share"]).all()
    practitioner = prev[(prev["group"] == "practitioner") & (prev["share"] > 0)]
    assert practitioner["label"].str.contains("screening").all()
    collocates = result.collocates["role"]
    assert "screening" in set(collocates[collocates["group"] == "practitioner"]["term"])
    out = result.write(tmp_path)
    for name in ("concordance", "definitions", "senses", "occurrences", "prevalence_role"):
        assert (out / f"{name}.csv").exists()
    assert set(result.figures()) == {"concept_senses_by_role", "concept_collocates_by_role"}
    # 16 of the 20 planted uses define; "we do upstream work like ..." and kin do not
    assert len(result.definitions) >= 15


def test_collocates_are_content_words_not_fillers_or_contractions(nlp):
    """Spoken fillers, contractions and stop words sit next to every word in interviews;
    listed as what 'upstream' keeps company with they would say nothing."""
    from upstreamnlp.concept.groups import collocates

    said = (
        "Er, that's upstream housing, I'd say. Um, yeah, we're upstream on housing, "
        "who's upstream? Housing, er, that's it. Wouldn't upstream be housing? She says "
        "upstream gets housing right, she says upstream planning gets it."
    )
    other = "The weather was fine and the bus was late, as it often is on a Monday."
    corpus = Corpus(
        [Document(f"t{i}", said + " " + other, metadata={"role": "public"}) for i in range(4)]
    )
    table = collocates(corpus, concordance(corpus, nlp=nlp), by="role", min_count=2)
    terms = set(table["term"])
    assert "housing" in terms
    assert not terms & {"that's", "i'd", "we're", "who's", "wouldn't", "er", "um", "yeah"}
    assert not terms & {"says", "gets"}  # forms of the fillers say and get
    assert "planning" in terms  # an -ing form is kept: "upstream planning" is no filler


def test_each_sense_shows_how_the_run_labelled_the_segments_it_occurs_in():
    """A sense named after the theme its words are closest to may sit mostly in segments
    the run labelled otherwise: the table shows both."""
    import pandas as pd

    from upstreamnlp.concept import ConceptResult

    occurrences = pd.DataFrame(
        {"sense": [1, 1, 1, 1, 2, 2], "segment_id": ["a", "b", "c", "x", "d", None]}
    )
    senses_table = pd.DataFrame({"sense": [0, 1, 2], "theme": ["none", "sd", "grassroots"]})
    result = ConceptResult(pd.DataFrame(), pd.DataFrame(), occurrences, senses_table)
    assignments = pd.DataFrame(
        {"segment_id": ["a", "b", "c", "d"], "theme": ["prevention", "prevention", "sd", "none"]}
    )
    result.add_segment_labels(assignments)
    mix = dict(zip(result.senses["sense"], result.senses["segment_themes"], strict=True))
    assert mix == {0: "", 1: "prevention 67%; sd 33% (of 3)", 2: "none 100% (of 1)"}
    assert list(result.occurrences["segment_theme"].fillna("-")) == [
        "prevention",
        "prevention",
        "sd",
        "-",
        "none",
        "-",
    ]
