"""Group comparison: the statistics a researcher would check by hand."""

import math
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from upstreamnlp.compare import (
    GroupTermCounts,
    compare_groups,
    compare_two_groups,
    distinctive_terms,
    g2_keyness,
    jensen_shannon,
    label_divergence,
    log_odds_dirichlet,
    log_ratio,
    prevalence,
    term_divergence,
)


def _two_groups():
    epi = [
        "risk exposure gradient cohort risk poverty".split(),
        "exposure risk cohort income gradient".split(),
        "gradient risk exposure housing".split(),
    ]
    community = [
        "power residents voice control poverty".split(),
        "residents power collective voice".split(),
        "voice power residents housing income".split(),
    ]
    return [("epidemiology", d) for d in epi] + [("community", d) for d in community]


def test_log_odds_z_equals_the_papers_formulas():
    counts = GroupTermCounts.from_stream(_two_groups())
    i, j = counts.counts["epidemiology"], counts.counts["community"]
    prior = counts.total()
    a0 = 50.0
    got = log_odds_dirichlet(i, j, prior, prior_strength=a0)
    n_i, n_j, n = sum(i.values()), sum(j.values()), sum(prior.values())
    for w in prior:  # Monroe, Colaresi & Quinn 2008, eqs. 16, 18, 19, 22, written out per term
        a_w = a0 * prior[w] / n
        delta = math.log((i[w] + a_w) / (n_i + a0 - i[w] - a_w)) - math.log(
            (j[w] + a_w) / (n_j + a0 - j[w] - a_w)
        )
        z = delta / math.sqrt(1 / (i[w] + a_w) + 1 / (j[w] + a_w))
        assert got.at[w, "log_odds"] == pytest.approx(delta, rel=1e-12)
        assert got.at[w, "z"] == pytest.approx(z, rel=1e-12)


def test_g2_and_log_ratio_match_hand_computation():
    # a=10 in 1,000 target tokens, b=20 in 5,000 reference tokens: E1=5, E2=25,
    # G2 = 2 (10 ln 2 + 20 ln 0.8) = 4.937202...
    assert g2_keyness(10, 20, 1000, 5000) == pytest.approx(4.937202, abs=1e-6)
    # relative frequencies 0.01 vs 0.004: log2(2.5)
    assert log_ratio(10, 20, 1000, 5000) == pytest.approx(math.log2(2.5))
    assert g2_keyness(0, 0, 100, 100) == 0.0
    assert log_ratio(0, 4, 100, 100) == pytest.approx(math.log2(0.5 / 4))


def test_planted_group_term_ranks_first():
    rng = np.random.default_rng(0)
    shared = ["health", "people", "service", "council", "work", "money", "area", "family"]
    docs = []
    for group in ("nursing", "economics", "sociology"):
        for _ in range(30):
            tokens = list(rng.choice(shared, size=25))
            if group == "economics":
                tokens += ["elasticity"] * int(rng.integers(1, 4))
            docs.append((group, tokens))
    table = distinctive_terms(docs, min_count=2)
    econ = table[table["group"] == "economics"]
    assert econ.iloc[0]["term"] == "elasticity"
    assert econ.iloc[0]["z"] > 5
    assert econ.iloc[0]["g2"] > 10 and econ.iloc[0]["log_ratio"] > 3
    assert list(table.columns) == [
        "group",
        "term",
        "count",
        "count_rest",
        "z",
        "log_odds",
        "g2",
        "log_ratio",
    ]


def test_two_group_comparison_is_antisymmetric():
    counts = GroupTermCounts.from_stream(_two_groups())
    ab = compare_two_groups(counts, "epidemiology", "community", min_count=1).set_index("term")
    ba = compare_two_groups(counts, "community", "epidemiology", min_count=1).set_index("term")
    assert ab.index[0] == "risk"  # the most frequent epidemiology-only term leads
    assert ab.loc["risk", "z"] > 1.0
    assert ab.loc["power", "z"] < -1.0
    assert abs(ab.loc["poverty", "z"]) < 0.2  # used equally by both groups
    assert ab.loc["risk", "z"] == pytest.approx(-ba.loc["risk", "z"])


def test_counting_a_generator_in_one_pass():
    def stream():
        for n in range(5000):
            yield ("a" if n % 2 else "b"), [f"term{n % 7}", "shared"]

    counts = GroupTermCounts.from_stream(stream())
    assert counts.documents == Counter({"a": 2500, "b": 2500})
    assert counts.counts["a"]["shared"] == 2500
    assert sum(counts.total().values()) == 10000


def test_bootstrap_intervals_cover_the_true_prevalence():
    """Simulation: documents differ in their own prevalence (clustered segments);
    the document bootstrap's 95% interval should cover the true value ~95% of the time."""
    rng = np.random.default_rng(42)
    true_p, covered, runs = 0.3, 0, 120
    for run in range(runs):
        rows = []
        for doc in range(25):
            p_doc = rng.beta(3, 7)  # mean 0.3, documents vary
            for _seg in range(int(rng.integers(5, 20))):
                rows.append(
                    {
                        "doc_id": f"d{doc}",
                        "role": "public",
                        "theme": "prevention" if rng.random() < p_doc else "other",
                    }
                )
        frame = pd.DataFrame(rows)
        res = prevalence(frame, by="role", n_boot=400, seed=run).set_index("label")
        covered += res.loc["prevention", "ci_low"] <= true_p <= res.loc["prevention", "ci_high"]
    assert 0.85 <= covered / runs <= 1.0


def test_segment_bootstrap_would_be_too_narrow_document_bootstrap_is_wider():
    rng = np.random.default_rng(1)
    rows = []
    for doc in range(10):
        theme = "prevention" if doc < 5 else "other"  # each document talks of one thing
        rows += [{"doc_id": f"d{doc}", "role": "r", "theme": theme} for _ in range(40)]
    res = prevalence(pd.DataFrame(rows), by="role", n_boot=500).set_index("label")
    width = res.loc["prevention", "ci_high"] - res.loc["prevention", "ci_low"]
    naive_se = math.sqrt(0.25 / 400)  # binomial SE treating 400 segments as independent
    assert width > 4 * 1.96 * naive_se * 0.9
    assert rng is not None


def test_single_document_group_warns_not_crashes():
    frame = pd.DataFrame(
        {
            "doc_id": ["a", "a", "b", "c"],
            "discipline": ["nursing", "nursing", "economics", "economics"],
            "theme": ["prevention", "other", "population", "population"],
        }
    )
    with pytest.warns(UserWarning, match="single document"):
        res = prevalence(frame, by="discipline")
    nursing = res[(res["group"] == "nursing") & (res["label"] == "prevention")].iloc[0]
    assert nursing["share"] == 0.5 and nursing["ci_low"] == 0.5
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        distinctive_terms([("x", ["a", "b"]), ("y", ["a", "c"]), ("y", ["c"])], min_count=1)
    assert any("single document" in str(w.message) for w in caught)


def test_divergence_zero_for_identical_one_for_disjoint():
    assert jensen_shannon(np.array([1, 2, 3]), np.array([2, 4, 6])) == pytest.approx(0.0, abs=1e-12)
    assert jensen_shannon(np.array([1, 0]), np.array([0, 1])) == pytest.approx(1.0)
    counts = GroupTermCounts.from_stream(_two_groups())
    matrix = term_divergence(counts)
    assert matrix.loc["community", "community"] == 0
    assert 0 < matrix.loc["community", "epidemiology"] < 1
    frame = pd.DataFrame({"role": ["a", "a", "b", "b"], "theme": ["x", "y", "x", "x"]})
    assert label_divergence(frame, "role", "theme").loc["a", "b"] > 0


def test_compare_groups_writes_the_contract_files(tmp_path):
    segments = pd.DataFrame(
        {
            "doc_id": ["a", "a", "b", "c", "c", "d"],
            "role": ["public", "public", "public", "researcher", "researcher", "researcher"],
            "theme": [
                "prevention",
                "prevention",
                "other",
                "social_determinants",
                "population",
                "social_determinants",
            ],
        }
    )
    tokens = [
        ["diet", "exercise", "smoking"],
        ["diet", "exercise"],
        ["bus", "weather"],
        ["income", "gradient", "housing"],
        ["levy", "sugar"],
        ["income", "housing"],
    ]
    doc_topic = np.array([[0.9, 0.1], [0.8, 0.2], [0.5, 0.5], [0.1, 0.9], [0.3, 0.7], [0.2, 0.8]])
    result = compare_groups(segments, "role", tokens, doc_topic=doc_topic, min_count=1, n_boot=200)
    paths = result.write(tmp_path / "compare")
    vocab = pd.read_csv(tmp_path / "compare" / "vocabulary_role.csv")
    assert {"group", "term", "count", "z", "g2", "log_ratio"} <= set(vocab.columns)
    top_public = vocab[vocab["group"] == "public"].iloc[0]["term"]
    assert top_public in {"diet", "exercise"}
    prev = pd.read_csv(paths[1])
    assert set(prev["measure"]) == {"theme", "topic"}
    pub_prev = prev[(prev["group"] == "public") & (prev["label"] == "prevention")].iloc[0]
    assert pub_prev["share"] == pytest.approx(2 / 3)
    with pytest.raises(Exception, match="discipline"):
        compare_groups(segments, "discipline", tokens)


def test_vectorised_scores_equal_the_scalar_formulas():
    counts = GroupTermCounts.from_stream(_two_groups())
    table = distinctive_terms(counts, min_count=1).set_index(["group", "term"])
    epi, rest = counts.counts["epidemiology"], counts.rest("epidemiology")
    c, d = sum(epi.values()), sum(rest.values())
    for term in ("risk", "poverty", "power"):
        row = table.loc[("epidemiology", term)]
        assert row["g2"] == pytest.approx(g2_keyness(epi[term], rest[term], c, d))
        assert row["log_ratio"] == pytest.approx(log_ratio(epi[term], rest[term], c, d))


def _text_boxes(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in fig.axes[0].texts if t.get_text()]


def test_fightin_words_labels_do_not_overlap_and_ticks_read_as_numbers():
    from upstreamnlp.compare.figures import fightin_words_plot

    # many terms at nearly the same frequency and z: labels would sit on top of each other
    terms = [f"term{i}" for i in range(12)]
    vocabulary = pd.DataFrame(
        {
            "group": "public",
            "term": terms,
            "count": [6] * 6 + [11] * 6,
            "count_rest": [0] * 12,
            "z": [2.40 + 0.01 * i for i in range(12)],
        }
    )
    fig = fightin_words_plot(vocabulary, "public")
    boxes = _text_boxes(fig)
    assert len(boxes) == 12
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert ticks and all("times" not in t and "^" not in t for t in ticks)
    assert {"5", "10"} <= set(ticks)


def test_prevalence_plot_gives_every_group_its_own_colour_and_keeps_its_labels_in_view():
    from upstreamnlp.compare.figures import prevalence_plot

    groups = [f"discipline {i}" for i in range(12)]
    prev = pd.DataFrame(
        [
            {"group": g, "label": lab, "share": 0.5, "ci_low": 0.4, "ci_high": 0.6}
            for g in groups
            for lab in ("S1", "S2")
        ]
    )
    fig = prevalence_plot(prev, "Senses by discipline")
    ax = fig.axes[0]
    colours = {tuple(np.round(bar.get_facecolor(), 4)) for bar in ax.patches}
    assert len(colours) == 12
    legend = ax.get_legend()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    # the legend sits beside the bars, not over them
    assert not legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))
    assert "\n" in ax.get_ylabel()  # two short lines, not one long one cut off


def test_saved_figures_keep_what_lies_outside_the_axes(tmp_path):
    import matplotlib.pyplot as plt
    from PIL import Image

    from upstreamnlp.report.figures import PNG_DPI, save_figure

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["a", "b"], [1, 2])
    ax.legend(["a legend placed well outside the axes"], bbox_to_anchor=(1.05, 1), loc="upper left")
    paths = save_figure(fig, tmp_path, "outside")
    width, _ = Image.open(paths["png"]).size
    assert width > 4 * PNG_DPI  # the page grew to hold the legend instead of cutting it
