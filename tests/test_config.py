"""The run config: what a researcher gets wrong, and the one line that tells them."""

import pytest

from upstreamnlp.config import load_config
from upstreamnlp.errors import ConfigError


def _write(tmp_path, text):
    (tmp_path / "data").mkdir(exist_ok=True)
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    monkeypatch.chdir("/")
    config = load_config(_write(tmp_path, "corpus:\n  paths: [data]\nmodel:\n  k: 5\n"))
    assert config.corpus.paths[0] == tmp_path / "data"
    assert config.model.ks == [5]
    # a gold coding per coder: a list of files
    (tmp_path / "anna.csv").write_text("", encoding="utf-8")
    (tmp_path / "ben.csv").write_text("", encoding="utf-8")
    text = "corpus:\n  paths: [data]\nvalidation:\n  gold: [anna.csv, ben.csv]\n"
    config = load_config(_write(tmp_path, text))
    assert config.validation.gold_paths() == [tmp_path / "anna.csv", tmp_path / "ben.csv"]
    config = load_config(_write(tmp_path, text.replace("[anna.csv, ben.csv]", "anna.csv")))
    assert config.validation.gold_paths() == [tmp_path / "anna.csv"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("corpus:\n  paths: [data]\nmodel:\n  kindd: lda\n", "unknown key 'model.kindd'"),
        ("corpus:\n  paths: [data]\nmodel:\n  kind: ldx\n", "'lda', 'nmf' or 'clusters'"),
        ("corpus:\n  paths: [missing]\n", "corpus.paths[0]: file or folder 'missing' not found"),
        ("corpus:\n  paths: [data]\nthemes: nothere.yaml\n", "themes: file or folder"),
        ("corpus:\n  paths: [data]\nvalidation:\n  gold: no.csv\n", "validation.gold: file"),
        (
            "corpus:\n  paths: [data]\nvalidation:\n  gold: [data, no.csv]\n",
            "validation.gold[1]: file or folder 'no.csv' not found",
        ),
        ("model:\n  k: 4\n", "missing key 'corpus'"),
        ("corpus:\n  paths: [data]\nmodel:\n  k: [1]\n", "k must be an integer >= 2"),
        ("corpus: [unclosed\n", "not valid YAML"),
        (
            "corpus:\n  paths: [data]\npreprocess:\n  lemmas: true\n",
            "unknown key 'preprocess.lemmas'",
        ),
    ],
)
def test_bad_configs_name_the_key(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    line = info.value.one_line()
    assert message in line
    assert str(path) in line
    assert "\n" not in line


def test_an_error_reads_as_sentences_naming_the_file_and_the_fix():
    from upstreamnlp.errors import UpstreamError

    error = UpstreamError("config file not found", path="x.yaml", fix="check the path")
    assert error.one_line() == "x.yaml: config file not found. Fix: check the path."
    asked = UpstreamError("is it there?", where="line 3", fix="Look again.")
    assert asked.reason() == "(line 3) is it there? Fix: Look again."
    assert UpstreamError("plain", path="x.csv").one_line() == "x.csv: plain"


def test_set_overrides_take_yaml_values(tmp_path):
    path = _write(tmp_path, "corpus:\n  paths: [data]\n")
    config = load_config(path, ["model.k=[3, 5]", "compare.by=role", "model.kind=nmf"])
    assert config.model.ks == [3, 5]
    assert config.compare.by == ["role"]
    assert config.model.kind == "nmf"
    with pytest.raises(ConfigError, match="unknown key 'model.nope'"):
        load_config(path, ["model.nope=1"])


def test_split_papers_cuts_exported_abstracts_into_passage_sized_segments(tmp_path):
    from upstreamnlp.run import read_config_corpus

    sentences = [
        f"Sentence {i} says something about housing and health in the town." for i in range(8)
    ]
    abstract = " ".join(sentences)  # 8 sentences of 11 words
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "export.ris").write_text(
        f"TY  - JOUR\nID  - P1\nTI  - Housing and health\nAB  - {abstract}\nER  - \n",
        encoding="utf-8",
    )
    base = "corpus:\n  paths: [data]\n  min_words: 10\n  max_words: 25\n"
    whole = read_config_corpus(load_config(_write(tmp_path, base)))
    assert [len(s.text.split()) for s in whole.segments] == [88]  # one record, one segment
    config = load_config(_write(tmp_path, base + "  split_papers: paragraphs\n"))
    cut = read_config_corpus(config)
    assert len(cut.segments) == 4
    document = cut.documents[0]
    for segment in cut.segments:
        assert 10 <= len(segment.text.split()) <= 25
        assert document.text[segment.start_char : segment.end_char] == segment.text
    with pytest.raises(ConfigError, match="'abstract' or 'paragraphs'"):
        load_config(_write(tmp_path, base + "  split_papers: sentences\n"))


def test_preprocess_config_finds_the_privacy_list_as_run_does(tmp_path, monkeypatch):
    from upstreamnlp.cli.preprocess import load_preprocess_options

    (tmp_path / "configs").mkdir()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "names.csv").write_text("term,type\nPym,PERSON\n", encoding="utf-8")
    (tmp_path / "configs" / "own.csv").write_text("term,type\n", encoding="utf-8")
    config = tmp_path / "configs" / "pp.yaml"
    monkeypatch.chdir(tmp_path)
    # relative to the working directory (as `run` reads a project's config) ...
    config.write_text("preprocess:\n  privacy_list: keys/names.csv\n", encoding="utf-8")
    assert load_preprocess_options(config).privacy_list.resolve() == (
        tmp_path / "keys" / "names.csv"
    )
    # ... or to the config's own folder
    config.write_text("preprocess:\n  privacy_list: own.csv\n", encoding="utf-8")
    assert load_preprocess_options(config).privacy_list == tmp_path / "configs" / "own.csv"
