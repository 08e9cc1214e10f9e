"""End to end: `upstreamnlp run` on a small corpus made here, as a researcher would use it."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from upstreamnlp.cli import app
from upstreamnlp.run import load_run, run

pytestmark = pytest.mark.slow

NAMES = ["Oisin Thackeray", "Wendelin Pryce", "Brackmoor", "Quillan Street"]

PREVENTION = [
    "We ran screening clinics and smoking cessation groups so people could stop before it got serious.",
    "Health checks in the community centre picked up blood pressure early, before the strokes.",
    "Early intervention with diet and exercise advice is what prevention means to most of our patients.",
    "The vaccination drive and the healthy eating classes were about stopping illness before it starts.",
]
POWER = [
    "Residents on the estate voted on the budget themselves and the council had to listen to them.",
    "Community organising gave tenants real control over decisions that used to be made for them.",
    "Participatory budgeting shifted power to people who live with the consequences of decisions.",
    "The tenants association campaigned and residents led the regeneration board, not the officers.",
]
DETERMINANTS = [
    "Damp housing, low wages and insecure work make people ill long before they see a doctor.",
    "Poverty and debt drive the gradient in health, income shapes everything about where you live.",
    "Unemployment and poor housing are the causes of the causes, the social determinants of health.",
    "Child poverty and benefit cuts widen inequalities in health across the whole neighbourhood.",
]


def _transcript(i: int, themes: list[list[str]]) -> str:
    name, place = NAMES[i % 2], NAMES[2 + i % 2]
    turns = [
        f"Interviewer: Thank you for talking to me today, interview {i}. What does upstream mean to you?"
    ]
    for j, theme in enumerate(themes):
        body = " ".join(theme[(i + j + k) % 4] for k in range(3))
        turns.append(f"P{i:02d}: My colleague {name} from {place} would say this. {body}")
        turns.append(f"Interviewer: Could you say more about that, point {j}?")
    turns.append(
        f"P{i:02d}: For me upstream is about stopping things before they start. Um, that's it really."
    )
    return "\n\n".join(turns) + "\n"


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("study")
    data = root / "data"
    data.mkdir()
    rows = []
    for i in range(8):
        themes = [PREVENTION, POWER, DETERMINANTS] if i % 2 else [DETERMINANTS, POWER, PREVENTION]
        (data / f"T{i:02d}.txt").write_text(_transcript(i, themes), encoding="utf-8")
        rows.append(
            {
                "file": f"T{i:02d}.txt",
                "participant_id": f"T{i:02d}",
                "role": "public" if i < 4 else "researcher",
            }
        )
    pd.DataFrame(rows).to_csv(data / "manifest.csv", index=False)
    pd.DataFrame({"term": NAMES, "type": ["person", "person", "place", "place"]}).to_csv(
        root / "privacy.csv", index=False
    )
    (root / "themes.yaml").write_text(
        """themes:
  - id: prevention
    name: Prevention
    description: Stopping illness early through screening, health checks, vaccination and lifestyle advice.
    seed_terms: [screening, prevention, health checks, diet, exercise, smoking]
  - id: grassroots
    name: Shifting power
    description: Residents and communities taking control of decisions, organising and voting.
    seed_terms: [residents, power, control, participatory budgeting, tenants]
  - id: social_determinants
    name: Social determinants
    description: Housing, income, poverty, work and debt as causes of ill health.
    seed_terms: [housing, poverty, income, wages, debt, social determinants]
""",
        encoding="utf-8",
    )
    (root / "run.yaml").write_text(
        """corpus:
  paths: [data]
  manifest: data/manifest.csv
  min_words: 10
  max_words: 120
preprocess:
  privacy_list: privacy.csv
  no_below: 1
model:
  kind: nmf
  k: [3, 4]
  stability_seeds: 2
themes: themes.yaml
compare:
  by: [role]
  n_boot: 200
  min_count: 1
embedder: hashing
""",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def run_dir(study, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "first"
    result = run(study / "run.yaml", out, config_path=study / "run.yaml")
    assert result.out_dir == out
    return out


def test_run_folder_is_complete_and_has_every_contract_file(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    for name in (
        "segments.parquet",
        "topics.csv",
        "assignments.csv",
        "theme_map.csv",
        "metrics.json",
        "report.html",
        "codebook.qdc",
        "project.qdpx",
        "compare/vocabulary_role.csv",
        "compare/prevalence_role.csv",
    ):
        assert (run_dir / name).exists(), name
    assert {"k_selection", "inputs", "timings", "versions", "seeds", "pipeline"} <= set(manifest)
    assert all(len(f["sha256"]) == 64 for f in manifest["inputs"])
    assignments = pd.read_csv(run_dir / "assignments.csv")
    assert {"segment_id", "doc_id", "topic", "topic_weight", "theme", "theme_score", "role"} <= set(
        assignments.columns
    )
    # the final segment labels per topic, beside the mapping heatmap, in the themes section
    assert (run_dir / "figures" / "topic_label_heatmap.png").exists()
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    themes = report.split('<section id="themes">')[1].split("</section>")[0]
    assert "topic_label_heatmap.png" in themes and "Final segment labels by topic" in themes
    assert "labels from the codebook alone" in themes  # a zero-shot run says so
    # each theme's sentences from passages.csv, with the most typical of them
    assert themes.count("Sentences labelled with it:") == 3
    assert "Its most typical sentences" in themes
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["chosen_k"] in (3, 4) and {m["k"] for m in metrics["models"]} == {3, 4}
    assert list(run_dir.parent.glob(".*.partial")) == []


def test_segments_are_themed_as_planted(run_dir):
    assignments = pd.read_csv(run_dir / "assignments.csv")
    segments = pd.read_parquet(run_dir / "segments.parquet").set_index("segment_id")
    text = assignments["segment_id"].map(segments["text"])
    screening = assignments[text.str.contains("screening clinics|Health checks in", regex=True)]
    assert (screening["theme"] == "prevention").mean() >= 0.5
    power = assignments[
        text.str.contains("Participatory budgeting|voted on the budget", regex=True)
    ]
    assert (power["theme"] == "grassroots").mean() >= 0.5


def test_no_name_or_place_reaches_any_file(run_dir):
    pattern = re.compile(
        "|".join(re.escape(part) for name in NAMES for part in name.split()), re.IGNORECASE
    )
    for path in run_dir.rglob("*"):
        if path.is_dir():
            continue
        if path.suffix == ".qdpx":
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    assert not pattern.search(archive.read(member).decode("utf-8", "replace")), (
                        member
                    )
        elif path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            assert not pattern.search(frame.astype(str).to_csv()), path.name
        elif path.suffix != ".png":
            assert not pattern.search(path.read_text(encoding="utf-8", errors="replace")), path.name


def test_same_config_same_results(study, run_dir, tmp_path):
    again = run(study / "run.yaml", tmp_path / "second")
    for name in ("topics.csv", "assignments.csv", "theme_map.csv"):
        assert (run_dir / name).read_bytes() == (again.out_dir / name).read_bytes(), name


def test_load_run_reopens_the_folder(run_dir):
    result = load_run(run_dir)
    assert len(result.assignments) > 0 and result.chosen_k in (3, 4)
    assert result.corpus.segments[0].text


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.k=[500]", "k=500 is more topics"),
        ("model.kindd=lda", "unknown key 'model.kindd'"),
        ("corpus.manifest=nothere.csv", "corpus.manifest: file or folder 'nothere.csv' not found"),
    ],
)
def test_bad_configs_give_one_line_and_exit_2(study, tmp_path, override, message):
    result = CliRunner().invoke(
        app, ["run", str(study / "run.yaml"), "--out", str(tmp_path / "bad"), "--set", override]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "bad" / "manifest.json").exists()


def test_a_bad_group_or_codebook_stops_the_run_before_any_preprocessing(
    study, tmp_path, monkeypatch
):
    """Mistakes a researcher makes in a config should cost seconds, not a whole run."""
    import upstreamnlp.preprocess as preprocess_module

    def never(*args, **kwargs):
        raise AssertionError("preprocessing started before the config was checked")

    monkeypatch.setattr(preprocess_module, "preprocess", never)
    result = CliRunner().invoke(
        app,
        ["run", str(study / "run.yaml"), "--out", str(tmp_path / "a"), "--set", "compare.by=sex"],
    )
    assert result.exit_code == 2, result.output
    assert "no metadata column 'sex'" in result.output
    assert "metadata_json" not in result.output and "source_start_char" not in result.output
    broken = tmp_path / "broken_themes.yaml"
    broken.write_text("themes:\n  - name: No id here\n    description: x\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["run", str(study / "run.yaml"), "--out", str(tmp_path / "b"), "--set", f"themes={broken}"],
    )
    assert result.exit_code == 2, result.output
    assert "broken_themes.yaml" in result.output


def test_a_failed_run_never_claims_to_be_complete(study, tmp_path, monkeypatch):
    import upstreamnlp.run as run_module

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(run_module, "_compare", broken)
    with pytest.raises(RuntimeError):
        run(study / "run.yaml", tmp_path / "broken")
    assert not (tmp_path / "broken").exists()
    partial = json.loads((tmp_path / ".broken.partial" / "manifest.json").read_text())
    assert partial["status"] == "failed" and "disk full" in partial["error"]


def test_determinant_figure_legend_sits_above_the_bars(tmp_path):
    from upstreamnlp.run import _determinant_figure

    assignments = pd.DataFrame(
        {
            "theme": ["prevention"] * 6 + ["grassroots"] * 6,
            "determinant_or_action": ["determinant", "action", "both", "neither"] * 3,
        }
    )
    saved = {}

    def keep(fig, folder, name):
        saved[name] = fig

    _determinant_figure(assignments, tmp_path, keep)
    fig = saved["determinant_action"]
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer))
    assert legend.y0 >= ax.get_window_extent(renderer).y1 - 1


def test_progress_line_says_when_a_stage_is_embedding_and_then_goes_back():
    import io

    from rich.console import Console

    from upstreamnlp.run import _Progress

    bar = _Progress(show=True)
    bar.console = Console(file=io.StringIO(), force_terminal=True)
    with bar.stage("themes", "mapping topics and segments onto the codebook"):
        status = bar._status[0]
        bar.embedding(1050, "all-mpnet-base-v2")
        assert "embedding 1,050 texts with all-mpnet-base-v2" in str(status.status)
        bar.embedding(0, "all-mpnet-base-v2")
        assert (
            str(status.status) == "[bold]themes[/]: mapping topics and segments onto the codebook"
        )
    bar.embedding(5, "all-mpnet-base-v2")  # between stages: nothing to update, no error
    assert "themes" in bar.timings


def test_passages_are_each_segments_sentences_in_both_offsets(study, run_dir):
    passages = pd.read_csv(run_dir / "passages.csv", dtype=str, keep_default_na=False)
    segments = pd.read_parquet(run_dir / "segments.parquet").set_index("segment_id")
    assignments = pd.read_csv(run_dir / "assignments.csv", dtype=str).set_index("segment_id")
    assert set(passages["segment_id"]) == set(assignments.index)  # every labelled segment
    for segment_id, group in passages.groupby("segment_id", sort=False):
        seg = segments.loc[segment_id]
        starts, ends = group["start_char"].astype(int), group["end_char"].astype(int)
        assert starts.iloc[0] >= seg["start_char"] and ends.iloc[-1] <= seg["end_char"]
        assert (starts.to_numpy()[1:] > ends.to_numpy()[:-1]).all()  # in order, no overlap
        for row in group.itertuples():
            offset = int(row.start_char) - int(seg["start_char"])
            assert seg["text"][offset : offset + len(row.text)] == row.text
        # a zero-shot run: each passage carries its segment's theme
        assert set(group["theme"]) == {assignments.loc[segment_id, "theme"]}
    assert set(passages["determinant_or_action"]) <= {"determinant", "action", "both", "neither"}
    # the original offsets, where a coder's quotes lie, hold the names that were replaced
    named = passages[passages["text"].str.contains(r"\[PERSON_\d+\]")]
    assert len(named)
    for row in named.itertuples():
        raw = (study / "data" / f"{row.doc_id}.txt").read_text(encoding="utf-8")
        original = raw[int(row.source_start_char) : int(row.source_end_char)]
        assert any(name in original for name in NAMES[:2]), (row.text, original)
        assert "[PERSON" not in original
