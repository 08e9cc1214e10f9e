"""``upstreamnlp ingest``: summary, skipped files, parquet output, exit codes."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from upstreamnlp.cli import app
from upstreamnlp.corpus import Corpus

TRANSCRIPT = (
    "Interviewer: What does upstream action mean to you?\n"
    "P03: Acting on housing and income before people get ill.\n"
    "Interviewer: Anything else?\n"
    "P03: Taxes on sugar, I suppose.\n"
)


def test_ingest_writes_parquet_and_prints_summary(tmp_path):
    src = tmp_path / "corpus"
    (src / "transcripts").mkdir(parents=True)
    (src / "transcripts" / "int03.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (src / "abstracts.csv").write_text(
        "id,Abstract,title\nx1,Upstream means prevention.,Prevention\n", encoding="utf-8"
    )
    (src / "manifest.csv").write_text(
        "file,role,discipline\ntranscripts/int03.txt,practitioner,public health\n"
        "abstracts.csv,,epidemiology\n",
        encoding="utf-8",
    )
    (src / "scan.pdf").write_bytes(b"garbage")
    out = tmp_path / "out" / "corpus.parquet"
    result = CliRunner().invoke(
        app, ["ingest", str(src), "--manifest", str(src / "manifest.csv"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "transcript" in result.output and "practitioner" in result.output
    assert "epidemiology" in result.output
    assert "scan.pdf" in result.output and "corrupt or unreadable PDF" in result.output
    assert "not yet de-identified" in " ".join(result.output.split())  # names are in it
    corpus = Corpus.from_parquet(out)
    assert [d.id for d in corpus.documents] == ["x1", "int03"]
    roles = [s.speaker_role for s in corpus.segments_of("int03")]
    assert roles == ["interviewer", "participant", "interviewer", "participant"]


def test_ingest_exits_2_when_nothing_is_usable(tmp_path):
    src = tmp_path / "nothing"
    src.mkdir()
    (src / "notes.xyz").write_text("hello", encoding="utf-8")
    (src / "empty.txt").write_bytes(b"")
    result = CliRunner().invoke(app, ["ingest", str(src), "--out", str(tmp_path / "c.parquet")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "no usable documents" in result.output
    assert "empty.txt: empty file" in result.output
    assert not (tmp_path / "c.parquet").exists()


def test_ingest_bad_text_column_and_missing_path(tmp_path):
    (tmp_path / "t.csv").write_text("id,body\n1,Housing.\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "ingest",
            str(tmp_path / "t.csv"),
            "--text-column",
            "abstract",
            "--out",
            str(tmp_path / "c.parquet"),
        ],
    )
    assert result.exit_code == 2 and "columns found: ['id', 'body']" in result.output
    result = runner.invoke(
        app, ["ingest", str(tmp_path / "nope"), "--out", str(tmp_path / "c.parquet")]
    )
    assert result.exit_code == 2 and "no such file or folder" in result.output
    assert "Traceback" not in result.output


def test_ingest_with_a_run_config_segments_as_run_does(tmp_path):
    """Run step by step (ingest, then preprocess), the corpus must be the one `run` reads:
    the config's segment sizes and interviewer labels, not ingest's defaults."""
    from upstreamnlp.config import load_config
    from upstreamnlp.run import read_config_corpus

    data = tmp_path / "data"
    data.mkdir()
    long_turn = " ".join(["Housing and income shape health in this town."] * 12)
    (data / "int01.txt").write_text(
        f"Researcher: What does upstream mean?\nP01: {long_turn}\n", encoding="utf-8"
    )
    (tmp_path / "themes.yaml").write_text(
        "themes:\n  - id: sd\n    name: SD\n    description: Housing.\n", encoding="utf-8"
    )
    config = tmp_path / "run.yaml"
    config.write_text(
        "corpus:\n  paths: [data]\n  min_words: 5\n  max_words: 20\n"
        "  interviewer_labels: [Researcher]\nthemes: themes.yaml\n",
        encoding="utf-8",
    )
    out = tmp_path / "corpus.parquet"
    result = CliRunner().invoke(app, ["ingest", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = Corpus.from_parquet(out)
    expected = read_config_corpus(load_config(config))
    assert [(s.id, s.text, s.speaker_role) for s in written.segments] == [
        (s.id, s.text, s.speaker_role) for s in expected.segments
    ]
    assert len(written.segments) > 3  # the 96-word turn cut into windows of at most 20
    assert written.segments[0].speaker_role == "interviewer"
    default = CliRunner().invoke(app, ["ingest", str(data), "--out", str(tmp_path / "d.parquet")])
    assert default.exit_code == 0
    assert len(Corpus.from_parquet(tmp_path / "d.parquet").segments) < len(written.segments)
    nothing = CliRunner().invoke(app, ["ingest", "--out", str(tmp_path / "n.parquet")])
    assert nothing.exit_code == 2 and "--config" in nothing.output


def test_help_reflows_a_docstring_into_whole_sentences():
    """A command's help is read in a terminal of any width: the docstring's own line
    breaks must not split sentences ("fill them in" / "and give the file")."""
    result = CliRunner().invoke(app, ["sample", "--help"])
    assert result.exit_code == 0
    lines = [line.strip() for line in result.output.splitlines()]
    # rich mode kept the docstring's break after "fill them in", then wrapped again
    assert not any(line.endswith("fill them in") or line == "them in" for line in lines)
    assert "fill them in and give the file to" in " ".join(result.output.split())


@pytest.mark.parametrize("command", ["run", "ingest", "preprocess", "sample", "validate"])
def test_help_names_what_a_repeatable_option_takes(command):
    """Repeatable options read as the value a researcher types (--gold FILE, --by COLUMN,
    --set KEY=VALUE), not as Python types such as <list[Path]> (typer still shows an
    argument's type, e.g. ingest's PATHS)."""
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=140)
    assert result.exit_code == 0
    options = [line for line in result.output.splitlines() if "--" in line]
    assert options and not any("list[" in line for line in options)
    expected = {
        "run": "--set KEY=VALUE",
        "ingest": "--interviewer-label LABEL",
        "sample": "--by COLUMN",
        "validate": "--gold FILE",
    }.get(command)
    if expected:
        assert expected in " ".join(result.output.split()).replace(" │", "")
