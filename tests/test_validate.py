"""Validation against human coding: kappa, passage matching, samples, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from upstreamnlp.cli import app
from upstreamnlp.errors import UpstreamError
from upstreamnlp.themes import cohen_kappa, load_gold, sample_for_coding, validate
from upstreamnlp.themes.validation import agreement, kappa_interval


def test_kappa_equals_sklearn_on_a_hand_example():
    coder = ["prevention", "population", "other", "prevention", "grassroots", "other", "other"]
    model = ["prevention", "prevention", "other", "prevention", "grassroots", "population", "other"]
    # p_o = 5/7; p_e from the marginals: hand value 0.6 (checked against sklearn).
    assert cohen_kappa(coder, model) == pytest.approx(cohen_kappa_score(coder, model))
    assert cohen_kappa(coder, model) == pytest.approx(0.6, abs=1e-9)
    assert cohen_kappa(coder, coder) == 1.0
    # Systematic disagreement is below zero.
    assert cohen_kappa(["a", "b"] * 5, ["b", "a"] * 5) == pytest.approx(-1.0)


def run_assignments() -> pd.DataFrame:
    """Doc A has three segments, doc B one."""
    return pd.DataFrame(
        {
            "segment_id": ["A#1", "A#2", "A#3", "B#1"],
            "doc_id": ["A", "A", "A", "B"],
            "start_char": [0, 100, 200, 0],
            "end_char": [100, 200, 300, 80],
            "theme": ["prevention", "social_determinants", "none", "emergent"],
            "determinant_or_action": ["action", "determinant", "neither", "both"],
        }
    )


def _coded(n_docs: int, per_doc: int, error: float, seed: int = 0):
    """A gold coding of ``n_docs`` documents and a run that errs on a share ``error``."""
    rng = np.random.default_rng(seed)
    labels = np.array(["prevention", "population", "social_determinants", "grassroots", "other"])
    gold = rng.choice(labels, n_docs * per_doc)
    wrong = rng.random(len(gold)) < error
    run = np.where(wrong, rng.choice(labels, len(gold)), gold)
    docs = np.repeat([f"D{i}" for i in range(n_docs)], per_doc)
    return list(gold), list(run), list(docs)


def test_kappa_interval_holds_kappa_and_narrows_with_more_documents():
    gold, run, docs = _coded(10, 10, 0.3)
    low, high = kappa_interval(gold, run, docs)
    assert low < cohen_kappa(gold, run) < high
    assert kappa_interval(gold, run, docs) == (low, high)  # a fixed seed: reproducible
    gold4, run4, docs4 = _coded(160, 10, 0.3)
    low4, high4 = kappa_interval(gold4, run4, docs4)
    assert low4 < cohen_kappa(gold4, run4) < high4
    # 16 times the documents: about a quarter of the width
    assert (high4 - low4) < 0.4 * (high - low)
    # perfect agreement has nowhere to go
    assert kappa_interval(gold, gold, docs) == (1.0, 1.0)


def test_kappa_interval_by_document_is_wider_when_a_documents_passages_err_together():
    # every passage of a third of the documents is wrong (a speaker the labeller misreads):
    # resampling passages as if independent understates the uncertainty
    gold, _, docs = _coded(30, 10, 0.0)
    shift = {"prevention": "population", "population": "social_determinants"}
    shift |= {"social_determinants": "grassroots", "grassroots": "other", "other": "prevention"}
    run = [shift[g] if int(d[1:]) % 3 == 0 else g for g, d in zip(gold, docs, strict=True)]
    by_doc = kappa_interval(gold, run, docs)
    by_passage = kappa_interval(gold, run)
    assert (by_doc[1] - by_doc[0]) > 1.5 * (by_passage[1] - by_passage[0])
    result = agreement(gold, run, groups=docs)
    assert result.kappa_ci == by_doc
    assert "30 documents" in result.kappa_ci_method
    assert agreement(gold, run).kappa_ci is None


def test_gold_passages_match_the_segment_with_the_largest_overlap():
    gold = pd.DataFrame(
        {
            "doc_id": ["A", "A", "A", "B", "C"],
            "start_char": [10, 150, 190, 5, 0],
            "end_char": [60, 290, 260, 70, 10],
            "theme": ["prevention", "other", "other", "other", "grassroots"],
            "determinant_or_action": ["action", "determinant", "neither", "both", "action"],
        }
    )
    result = validate(run_assignments(), gold)
    matched = result.matches.set_index(["doc_id", "start_char"])["segment_id"]
    assert matched[("A", 10)] == "A#1"
    assert matched[("A", 150)] == "A#3"  # 90 characters in A#3, 50 in A#2
    assert matched[("A", 190)] == "A#3"
    assert matched[("B", 5)] == "B#1"
    assert result.n_gold == 5 and result.n_matched == 4
    assert list(result.unmatched["doc_id"]) == ["C"]
    # none and emergent count as the gold's 'other': every matched passage agrees.
    assert result.theme.kappa == pytest.approx(1.0)
    assert result.theme.confusion.loc["other", "other"] == 3
    assert result.determinant_or_action is not None
    assert result.determinant_or_action.accuracy == pytest.approx(3 / 4)
    summary = json.loads(json.dumps(result.to_dict()))
    assert summary["n_unmatched"] == 1 and summary["theme"]["kappa"] == 1.0


def test_per_theme_precision_recall_and_macro_f1():
    gold = pd.DataFrame(
        {
            "doc_id": ["A", "A", "A", "B"],
            "start_char": [0, 100, 200, 0],
            "end_char": [100, 200, 300, 80],
            "theme": ["prevention", "prevention", "social_determinants", "grassroots"],
        }
    )
    result = validate(run_assignments(), gold)
    per = result.theme.per_label.set_index("label")
    assert per.loc["prevention", "precision"] == 1.0
    assert per.loc["prevention", "recall"] == 0.5
    assert per.loc["social_determinants", "recall"] == 0.0  # labelled none by the run
    assert per.loc["grassroots", "f1"] == 0.0
    # No 'other' in this gold coding, so the run's none/emergent stay as they are.
    assert "none" in result.theme.confusion.columns
    assert result.theme.macro_f1 == pytest.approx(np.mean([2 / 3, 0.0, 0.0]))
    assert result.determinant_or_action is None


def test_start_and_end_come_from_segments_when_assignments_lack_them():
    segments = run_assignments()[["segment_id", "start_char", "end_char"]]
    assignments = run_assignments().drop(columns=["start_char", "end_char"])
    gold = pd.DataFrame(
        {"doc_id": ["A"], "start_char": [120], "end_char": [180], "theme": ["social_determinants"]}
    )
    result = validate(assignments, gold, segments=segments)
    assert result.matches.loc[0, "segment_id"] == "A#2"
    assert result.theme.accuracy == 1.0


def test_sample_for_coding_is_stratified_reproducible_and_blank():
    assignments = pd.DataFrame(
        {
            "segment_id": [f"s{i}" for i in range(63)],
            "doc_id": [f"d{i // 3}" for i in range(63)],
            "theme": ["prevention"] * 50 + ["grassroots"] * 10 + ["none"] * 3,
            "discipline": ["nursing", "economics", "sociology"] * 21,
        }
    )
    sample = sample_for_coding(assignments, n=21, by=("theme",), seed=7)
    assert len(sample) == 21 and sample["segment_id"].is_unique
    counts = sample["theme"].value_counts()
    assert counts["none"] == 3  # all a small stratum has
    assert counts["grassroots"] == 9 and counts["prevention"] == 9
    assert (sample["gold_theme"] == "").all()
    assert (sample["gold_determinant_or_action"] == "").all()
    again = sample_for_coding(assignments, n=21, by=("theme",), seed=7)
    pd.testing.assert_frame_equal(sample, again)
    other_seed = sample_for_coding(assignments, n=21, by=("theme",), seed=8)
    assert set(other_seed["segment_id"]) != set(sample["segment_id"])
    by_discipline = sample_for_coding(assignments, n=12, by="discipline", seed=1)
    assert by_discipline["discipline"].value_counts().tolist() == [4, 4, 4]
    proportional = sample_for_coding(assignments, n=21, by="theme", allocation="proportional")
    assert proportional["theme"].value_counts()["prevention"] > 14
    with pytest.raises(UpstreamError, match="role"):
        sample_for_coding(assignments, n=5, by="role")


def test_gold_csv_errors_name_the_file_and_the_columns(tmp_path):
    path = tmp_path / "coding.csv"
    path.write_text("doc_id,start,end,code\nA,0,10,prevention\n")
    with pytest.raises(UpstreamError) as info:
        load_gold(path)
    message = str(info.value)
    assert "coding.csv" in message and "start_char" in message and "theme" in message
    path.write_text("doc_id,start_char,end_char,theme\nA,0,10,prevention\nA,ten,20,other\n")
    with pytest.raises(UpstreamError, match="line 3"):
        load_gold(path)


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("utf-8-sig", ","), ("cp1252", ","), ("utf-8-sig", ";"), ("cp1252", ";"), ("utf-8", "\t")],
)
def test_gold_csv_saved_by_excel_reads_the_same(tmp_path, encoding, sep):
    """Excel saves "CSV UTF-8" with a byte-order mark, "CSV" in Windows cp1252, and in
    many European locales with semicolons; the coder's notes hold accents and commas."""
    plain = tmp_path / "plain.csv"
    rows = pd.DataFrame(
        {
            "doc_id": ["A", "A", "B"],
            "start_char": [0, 10, 0],
            "end_char": [10, 20, 12],
            "theme": ["prevention", "other", "grassroots"],
            "determinant_or_action": ["action", "neither", "action"],
            "note": ["café, école", "“quoted”; here", ""],
        }
    )
    rows.to_csv(plain, index=False)
    saved = tmp_path / "saved.csv"
    rows.to_csv(saved, index=False, sep=sep, encoding=encoding)
    pd.testing.assert_frame_equal(load_gold(saved), load_gold(plain))
    assert load_gold(saved)["note"].tolist()[:2] == ["café, école", "“quoted”; here"]


@pytest.mark.parametrize(
    ("name", "fix"),
    [("coding.xlsx", "CSV UTF-8"), ("coding.ods", "CSV UTF-8"), ("sheet.doc", "Word 2007-365")],
)
def test_gold_in_a_format_not_read_says_how_to_save_it(tmp_path, name, fix):
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04 a zip container")
    with pytest.raises(UpstreamError, match=fix) as info:
        load_gold(path)
    assert name in str(info.value)


def fake_run(tmp_path):
    """A run folder whose assignments.csv lacks offsets and text (segments.parquet has them)."""
    run = tmp_path / "run"
    run.mkdir()
    frame = run_assignments()
    frame["topic"] = [0, 1, 1, 2]
    frame["topic_weight"] = 0.8
    frame["theme_score"] = 0.7
    frame["role"] = ["researcher", "researcher", "researcher", "public"]
    frame.drop(columns=["start_char", "end_char"]).to_csv(run / "assignments.csv", index=False)
    segments = run_assignments()[["segment_id", "doc_id", "start_char", "end_char"]].copy()
    segments["text"] = ["We screen early.", "Poverty matters.", "Um, yes.", "Football again."]
    segments.to_parquet(run / "segments.parquet")
    return run


def test_cli_validate_prints_agreement_and_writes_json(tmp_path):
    run = fake_run(tmp_path)
    gold = tmp_path / "gold.csv"
    pd.DataFrame(
        {
            "doc_id": ["A", "A", "A", "B"],
            "start_char": [0, 100, 200, 0],
            "end_char": [90, 200, 290, 70],
            "text": ["", "", "", ""],
            "theme": ["prevention", "social_determinants", "other", "grassroots"],
            "determinant_or_action": ["action", "determinant", "neither", "action"],
        }
    ).to_csv(gold, index=False)
    result = CliRunner().invoke(app, ["validate", str(run), "--gold", str(gold)])
    assert result.exit_code == 0, result.output
    assert "kappa" in result.output and "confusion" in result.output
    data = json.loads((run / "validation.json").read_text())
    assert data["n_matched"] == 4
    assert data["theme"]["accuracy"] == 0.75
    assert data["theme"]["kappa"] == pytest.approx(
        cohen_kappa_score(
            ["prevention", "social_determinants", "other", "grassroots"],
            ["prevention", "social_determinants", "other", "other"],
        ),
        abs=1e-4,
    )
    assert data["determinant_or_action"]["accuracy"] == 0.75
    # kappa comes with its bootstrap interval over the two documents, which holds it
    low, high = data["theme"]["kappa_ci"]
    assert low <= data["theme"]["kappa"] <= high
    assert "2 documents" in data["theme"]["kappa_ci_method"]
    assert "95% percentile bootstrap" in " ".join(result.output.split())
    # no --by and no run config: no breakdown
    assert data["by_group"] == {}
    result = CliRunner().invoke(app, ["validate", str(run), "--gold", str(gold), "--by", "role"])
    assert result.exit_code == 0, result.output
    assert "agreement by role" in result.output
    groups = json.loads((run / "validation.json").read_text())["by_group"]["role"]
    assert [(g["group"], g["n"], g["theme_accuracy"]) for g in groups] == [
        ("public", 1, 0.0),
        ("researcher", 3, 1.0),
    ]


def test_agreement_is_broken_down_by_the_groups_a_study_compares():
    assignments = run_assignments()
    assignments["role"] = ["researcher", "researcher", None, "public"]
    gold = pd.DataFrame(
        {
            "doc_id": ["A", "A", "A", "A", "B"],
            "start_char": [0, 10, 100, 200, 0],
            "end_char": [90, 60, 190, 290, 70],
            "theme": ["prevention", "population", "social_determinants", "other", "grassroots"],
            "determinant_or_action": ["action", "action", "action", "", "both"],
        }
    )
    result = validate(assignments, gold, by=["role", "discipline"])
    table = result.by_group["role"].set_index("group")
    assert list(table.index) == ["(missing)", "public", "researcher"]
    assert list(table["n"]) == [1, 1, 3]
    # researchers: two passages in A#1 (one right, one wrong) and one right in A#2
    researcher = table.loc["researcher"]
    coder = ["prevention", "population", "social_determinants"]
    machine = ["prevention", "prevention", "social_determinants"]
    assert researcher["theme_accuracy"] == pytest.approx(2 / 3)
    assert researcher["theme_kappa"] == pytest.approx(cohen_kappa_score(coder, machine))
    assert researcher["det_n"] == 3 and researcher["det_accuracy"] == pytest.approx(2 / 3)
    # each group's kappa with its interval, from a bootstrap over the group's documents
    # (one document here: its passages are resampled)
    assert researcher["theme_kappa_low"] <= researcher["theme_kappa"]
    assert researcher["theme_kappa"] <= researcher["theme_kappa_high"]
    assert researcher["det_kappa_low"] <= researcher["det_kappa_high"]
    # the passage in A#3 (no role) is right; its aspect was not coded
    assert table.loc["(missing)", "theme_accuracy"] == 1.0
    assert table.loc["(missing)", "det_n"] == 0 and np.isnan(table.loc["(missing)", "det_kappa"])
    assert table.loc["public", "theme_accuracy"] == 0.0  # emergent counted as other
    # the groups add up to the whole
    assert table["n"].sum() == result.n_matched
    notes = " ".join(result.notes)
    assert (
        "no agreement by discipline: neither the run nor the gold has a column 'discipline'"
        in notes
    )
    assert "fewer than 20 passages in (missing), public, researcher" in notes
    assert set(result.to_dict()["by_group"]) == {"role"}


def test_two_coders_are_compared_with_the_run_and_with_each_other(tmp_path):
    # coders A and B code the same four passages of doc A/B with slightly different
    # boundaries; B alone codes one more; a third, unnamed row has no coder
    a_spans = [(0, 90), (100, 190), (200, 290), (0, 70)]
    b_spans = [(5, 95), (110, 200), (200, 280), (0, 60), (150, 180)]
    a_themes = ["prevention", "social_determinants", "other", "grassroots"]
    b_themes = ["prevention", "population", "none", "grassroots", "social_determinants"]
    a_det = ["action", "determinant", "neither", "action"]
    b_det = ["action", "action", "neither", "", "determinant"]
    docs = ["A", "A", "A", "B"]
    gold = pd.DataFrame(
        {
            "doc_id": docs + [*docs, "A"],
            "start_char": [s for s, _ in a_spans + b_spans],
            "end_char": [e for _, e in a_spans + b_spans],
            "theme": a_themes + b_themes,
            "determinant_or_action": a_det + b_det,
            "coder": ["A"] * 4 + ["B"] * 5,
        }
    )
    result = validate(run_assignments(), gold)
    # between the coders: the four passages both coded, paired by overlap (B's fifth,
    # inside A's second passage but sharing less than the pair's, stays out)
    pair = result.coders.iloc[0]
    assert (pair["coder_a"], pair["coder_b"], pair["n"]) == ("A", "B", 4)
    # B says "none" where A says "other": the same (no theme)
    b_as_a = ["other" if t == "none" else t for t in b_themes[:4]]
    assert pair["theme_kappa"] == pytest.approx(cohen_kappa_score(a_themes, b_as_a))
    assert pair["theme_accuracy"] == pytest.approx(3 / 4)
    assert pair["det_n"] == 3  # B left one aspect blank
    assert pair["det_kappa"] == pytest.approx(cohen_kappa_score(a_det[:3], b_det[:3]))
    # the run against each coder
    by_coder = result.by_group["coder"].set_index("group")
    assert list(by_coder["n"]) == [4, 5]
    run_themes = ["prevention", "social_determinants", "other", "other"]  # emergent: other
    assert by_coder.loc["A", "theme_kappa"] == pytest.approx(
        cohen_kappa_score(a_themes, run_themes)
    )
    assert by_coder.loc["B", "theme_accuracy"] == pytest.approx(3 / 5)
    assert "2 coders" in " ".join(result.notes)
    assert "a passage two coders coded counts twice" in " ".join(result.notes)
    data = result.to_dict()
    assert data["coders"][0]["n"] == 4 and set(data["by_group"]) == {"coder"}
    # one coder: nothing to compare
    single = validate(run_assignments(), gold[gold["coder"] == "A"])
    assert single.coders is None and single.by_group == {}
    # the command line prints the table
    run = fake_run(tmp_path)
    gold.to_csv(tmp_path / "gold.csv", index=False)
    out = CliRunner().invoke(app, ["validate", str(run), "--gold", str(tmp_path / "gold.csv")])
    assert out.exit_code == 0, out.output
    assert "agreement between coders" in out.output and "agreement by coder" in out.output
    # each coder in a file of their own (as two filled-in coding sheets would be)
    for coder, name in (("A", "anna"), ("B", "ben")):
        gold[gold["coder"] == coder].drop(columns="coder").to_csv(tmp_path / f"{name}.csv")
    args = ["validate", str(run), "--gold", str(tmp_path / "anna.csv")]
    out = CliRunner().invoke(app, [*args, "--gold", str(tmp_path / "ben.csv")])
    assert out.exit_code == 0, out.output
    data = json.loads((run / "validation.json").read_text())
    assert [(c["coder_a"], c["coder_b"], c["n"]) for c in data["coders"]] == [("anna", "ben", 4)]
    assert data["coders"][0]["theme_kappa"] == pytest.approx(pair["theme_kappa"], abs=1e-4)
    assert [g["group"] for g in data["by_group"]["coder"]] == ["anna", "ben"]
    assert data["gold"] == [str(tmp_path / "anna.csv"), str(tmp_path / "ben.csv")]


def test_cli_validate_also_scores_the_runs_passages_when_it_has_them(tmp_path):
    run = fake_run(tmp_path)
    gold = tmp_path / "gold.csv"
    # B#1 (0-80) is a cause in its first sentence and an action in its second
    pd.DataFrame(
        {
            "doc_id": ["A", "B", "B"],
            "start_char": [0, 0, 45],
            "end_char": [90, 40, 80],
            "theme": ["prevention", "grassroots", "grassroots"],
            "determinant_or_action": ["action", "determinant", "action"],
        }
    ).to_csv(gold, index=False)
    plain = CliRunner().invoke(app, ["validate", str(run), "--gold", str(gold)])
    assert plain.exit_code == 0, plain.output
    assert "passages" not in json.loads((run / "validation.json").read_text())
    pd.DataFrame(
        {
            "passage_id": ["A#1.1", "B#1.1", "B#1.2"],
            "segment_id": ["A#1", "B#1", "B#1"],
            "doc_id": ["A", "B", "B"],
            "start_char": [0, 0, 42],
            "end_char": [100, 41, 80],
            "text": ["We screen early.", "Rents went up.", "So we organised."],
            "theme": ["prevention", "grassroots", "grassroots"],
            "determinant_or_action": ["action", "determinant", "action"],
        }
    ).to_csv(run / "passages.csv", index=False)
    result = CliRunner().invoke(app, ["validate", str(run), "--gold", str(gold)])
    assert result.exit_code == 0, result.output
    assert "theme (passages)" in result.output
    data = json.loads((run / "validation.json").read_text())
    # segments: B#1 is 'emergent' and 'both' for both gold passages
    assert data["unit"] == "segment" and data["determinant_or_action"]["accuracy"] == pytest.approx(
        1 / 3, abs=1e-3
    )
    assert data["passages"]["unit"] == "passage" and data["passages"]["n_matched"] == 3
    assert data["passages"]["theme"]["accuracy"] == 1.0
    assert data["passages"]["determinant_or_action"]["accuracy"] == 1.0


def test_cli_validate_bad_gold_exits_2_with_the_reason(tmp_path):
    run = fake_run(tmp_path)
    gold = tmp_path / "gold.csv"
    gold.write_text("doc,theme\nA,prevention\n")
    result = CliRunner().invoke(app, ["validate", str(run), "--gold", str(gold)])
    assert result.exit_code == 2
    assert "gold.csv" in result.output and "start_char" in result.output
    assert "Traceback" not in result.output


def test_cli_sample_writes_a_blind_csv_for_coders(tmp_path):
    run = fake_run(tmp_path)
    out = tmp_path / "sample.csv"
    result = CliRunner().invoke(
        app, ["sample", str(run), "--n", "3", "--out", str(out), "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbfsegment_id,")  # Excel reads it as UTF-8
    sample = pd.read_csv(out, keep_default_na=False, encoding="utf-8-sig")
    assert len(sample) == 3
    assert list(sample.columns[:5]) == ["segment_id", "doc_id", "start_char", "end_char", "text"]
    assert "theme" not in sample.columns and "theme_score" not in sample.columns
    assert "role" in sample.columns  # metadata kept for the coder
    assert (sample["gold_theme"] == "").all()
    shown = tmp_path / "shown.csv"
    result = CliRunner().invoke(
        app, ["sample", str(run), "--n", "2", "--out", str(shown), "--show-labels", "--by", "role"]
    )
    assert result.exit_code == 0, result.output
    assert "theme" in pd.read_csv(shown).columns
    # a format it cannot write, and a run that did not finish, are errors
    bad = CliRunner().invoke(app, ["sample", str(run), "--n", "2", "--out", "s.xlsx"])
    assert bad.exit_code == 2 and ".xlsx" in bad.output and ".qdpx" in bad.output
    (run / "manifest.json").write_text(json.dumps({"status": "failed"}), encoding="utf-8")
    for args in (["sample", str(run), "--n", "2", "--out", str(out)], ["validate", str(run)]):
        if args[0] == "validate":
            args += ["--gold", str(out)]
        failed = CliRunner().invoke(app, args)
        assert failed.exit_code == 2 and "not complete (status: failed)" in failed.output
        assert "Traceback" not in failed.output


def _renamed_transcript():
    """A transcript in which a short name ("Pym", 3 characters) is replaced ten times by a
    10-character placeholder in the first turn: every later turn sits 70 characters
    further on in the de-identified text than in the original, more than a turn's length."""
    from upstreamnlp.corpus.model import Document, Segment
    from upstreamnlp.preprocess.deidentify import Replacement, rebuild_document

    turns = [
        "I told Pym, and Pym told Pym's boss; Pym, Pym, Pym, Pym, Pym, Pym and Pym agreed.",
        "Poverty makes people ill, full stop.",
        "We set up a tenants' union on the estate.",
        "Tax sugary drinks and ban the adverts.",
        "Screening at forty saved my dad's life.",
    ]
    text, segments = "", []
    for n, turn in enumerate(turns, start=1):
        text += "P01: "
        segments.append(Segment(f"T#{n}", "T", turn, len(text), len(text) + len(turn)))
        text += turn + "\n"
    replacements = [
        Replacement(m.start(), m.end(), "person", "[PERSON_1]")
        for m in __import__("re").finditer(r"\bPym\b", text)
    ]
    assert len(replacements) == 10
    original = Document("T", text, "transcript")
    return original, segments, rebuild_document(original, segments, replacements, {})


def _renamed_run(new_doc, rebuilt) -> pd.DataFrame:
    """The renamed transcript's segments as a run's assignments, one theme per turn."""
    from upstreamnlp.corpus.model import Corpus

    assignments = Corpus([new_doc], rebuilt).segments_frame()
    assignments["theme"] = [
        "other",
        "social_determinants",
        "grassroots",
        "population",
        "prevention",
    ]
    return assignments


def test_gold_coded_on_the_original_transcript_matches_after_names_are_replaced():
    original, segments, (new_doc, rebuilt) = _renamed_transcript()
    assert rebuilt[3].start_char - segments[3].start_char == 70  # 10 x (10 - 3)
    assert [(s.source_start_char, s.source_end_char) for s in rebuilt] == [
        (s.start_char, s.end_char) for s in segments
    ]
    assignments = _renamed_run(new_doc, rebuilt)
    # the coder quotes the original transcript: offsets of turns 2-5 in the original text
    gold = pd.DataFrame(
        {
            "doc_id": "T",
            "start_char": [s.start_char for s in segments[1:]],
            "end_char": [s.end_char for s in segments[1:]],
            "theme": ["social_determinants", "grassroots", "population", "prevention"],
        }
    )
    for row in gold.itertuples():
        assert original.text[row.start_char : row.end_char] == segments[row.Index + 1].text
    result = validate(assignments, gold)
    assert list(result.matches["segment_id"]) == ["T#2", "T#3", "T#4", "T#5"]
    assert result.theme.kappa == pytest.approx(1.0)
    # read as offsets into the de-identified text (a run without source offsets), the
    # same coding lands on earlier turns, none on its own
    drifted = validate(assignments.drop(columns=["source_start_char", "source_end_char"]), gold)
    own = ["T#2", "T#3", "T#4", "T#5"]
    assert all(m != o for m, o in zip(drifted.matches["segment_id"], own, strict=True))
    assert drifted.theme.kappa < 0.5


def test_a_coding_sheet_row_is_matched_to_its_own_segment():
    _, _, (new_doc, rebuilt) = _renamed_transcript()
    assignments = _renamed_run(new_doc, rebuilt)
    # a filled-in `upstreamnlp sample` file: the run's segment_id and its (de-identified)
    # offsets, which lie 70 characters after the same turn in the original transcript
    sheet = assignments.loc[[2, 4], ["segment_id", "doc_id", "start_char", "end_char"]].copy()
    sheet["theme"] = ["grassroots", "population"]
    result = validate(assignments, sheet.reset_index(drop=True))
    assert list(result.matches["segment_id"]) == ["T#3", "T#5"]
    assert list(result.matches["run_theme"]) == ["grassroots", "prevention"]
    # a coded sample of T#4, given as training, leaves out a gold passage on T#4 only
    training = assignments.loc[[3], ["segment_id", "doc_id", "start_char", "end_char"]]
    gold = pd.DataFrame(
        {
            "doc_id": "T",
            "start_char": [s.source_start_char for s in rebuilt[2:4]],
            "end_char": [s.source_end_char for s in rebuilt[2:4]],
            "theme": ["grassroots", "population"],
        }
    )
    held_out = validate(assignments, gold, training=training)
    assert held_out.n_excluded_training == 1
    assert list(held_out.matches["segment_id"]) == ["T#3"]


def test_coded_passages_learn_from_the_segment_they_were_quoted_from():
    from upstreamnlp.themes.supervised import segment_texts

    _, segments, (new_doc, rebuilt) = _renamed_transcript()
    frame = _renamed_run(new_doc, rebuilt)
    coded = pd.DataFrame(
        {
            "doc_id": "T",
            "start_char": [s.start_char for s in segments[1:]],  # the original transcript's
            "end_char": [s.end_char for s in segments[1:]],
        }
    )
    texts = list(frame["text"])
    assert segment_texts(coded, frame, texts, fallback=["?"] * 4) == texts[1:]


def test_codings_made_in_the_runs_own_qda_project_match_on_the_runs_offsets():
    _, _, (new_doc, rebuilt) = _renamed_transcript()
    assignments = _renamed_run(new_doc, rebuilt)
    # selections made in project.qdpx: offsets into the de-identified text, no segment_id
    qda = pd.DataFrame(
        {
            "doc_id": "T",
            "start_char": [s.start_char + 3 for s in rebuilt[2:]],
            "end_char": [s.end_char - 3 for s in rebuilt[2:]],
            "theme": ["grassroots", "population", "prevention"],
            "offsets": "run",
        }
    )
    result = validate(assignments, qda)
    assert list(result.matches["segment_id"]) == ["T#3", "T#4", "T#5"]
    assert result.theme.kappa == pytest.approx(1.0)
    # the same offsets read as the original documents' land on other turns
    as_original = validate(assignments, qda.drop(columns=["offsets"]))
    assert list(as_original.matches["segment_id"]) != ["T#3", "T#4", "T#5"]
