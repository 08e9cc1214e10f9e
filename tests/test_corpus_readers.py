"""Readers for every input format, including the bad inputs a researcher's folder holds."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from upstreamnlp.corpus import Corpus, SegmentationOptions, read_corpus
from upstreamnlp.corpus.encoding import decode_bytes
from upstreamnlp.corpus.read import NOT_A_DOCUMENT
from upstreamnlp.errors import UpstreamError

TRANSCRIPT = (
    "Interviewer: What is upstream?\nP01: Café owners like Zoë said “housing” – and income.\n"
)


def write_pdf(path, paragraphs):
    """A one-page PDF with a real text layer (reportlab)."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    y = 800
    for paragraph in paragraphs:
        pdf.drawString(50, y, paragraph)
        y -= 40
    pdf.save()


def write_paper_pdf(path, pages):
    """A PDF of several pages, each a list of lines set 14 pt apart (reportlab)."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for lines in pages:
        y = 800
        for line in lines:
            pdf.drawString(50, y, line)
            y -= 14
        pdf.showPage()
    pdf.save()


def _journal_pages():
    header = "Journal of Public Health Practice 2021; 43: 101-112"
    body = [
        [
            header,
            "Upstream action on the social determi-",
            "nants of health means acting on income and housing.",
            "We describe a community-",
            "led programme in which residents set the agenda.",
            "1",
        ],
        [
            header,
            "Residents said the programme changed who decides. The social",
            "determinants of health were discussed at every meeting; community-led work",
            "needs secure funding.",
            "2",
        ],
        [
            header,
            "Discussion",
            "Power matters as much as money.",
            "References",
            "1. Marmot M. Fair society, healthy lives. London: UCL; 2010.",
            "2. Dahlgren G, Whitehead M. Policies and strategies. Stockholm; 1991.",
            "3",
        ],
    ]
    return body


def test_pdf_paper_loses_page_furniture_line_end_hyphens_and_its_reference_list(tmp_path):
    """What a researcher wants analysed from a journal PDF is the paper's own text: not
    page numbers, running headers, or the titles of cited works; and a word broken at a
    line end is one word again (a compound keeps its hyphen)."""
    write_paper_pdf(tmp_path / "p1.pdf", _journal_pages())
    corpus = read_corpus(tmp_path)
    text = corpus.document("p1").text
    assert "the social determinants of health means" in " ".join(text.split())
    assert "community-led programme" in " ".join(text.split())
    assert "Journal of Public Health Practice" not in text
    assert not any(line.strip() in {"1", "2", "3"} for line in text.split("\n"))
    assert text.rstrip().endswith("Power matters as much as money.")
    assert "Marmot" not in text and "References" not in text
    # the reference list is kept when asked for
    kept = read_corpus(tmp_path, options=SegmentationOptions(pdf_references="keep"))
    assert "Marmot M. Fair society" in kept.document("p1").text


def test_a_references_heading_early_in_a_pdf_is_not_taken_for_its_reference_list(tmp_path):
    pages = [["References", "to place in policy debates are rare, we argue."] + ["More text."] * 3]
    pages += [["The paper goes on for a while."] * 5, ["And ends here."]]
    write_paper_pdf(tmp_path / "p2.pdf", pages)
    text = read_corpus(tmp_path).document("p2").text
    assert "to place in policy debates" in text and text.rstrip().endswith("And ends here.")


# --- encodings ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "encoding,prefix",
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("cp1252", b""),
    ],
)
def test_encodings_keep_smart_quotes_and_accents(tmp_path, encoding, prefix):
    data = prefix + TRANSCRIPT.replace("\n", "\r\n").encode(encoding)
    (tmp_path / "int.txt").write_bytes(data)
    corpus = read_corpus(tmp_path)
    assert corpus.skipped == []
    doc = corpus.document("int")
    assert doc.text == TRANSCRIPT  # BOM gone, CRLF -> LF, nothing else changed
    assert corpus.segments[1].text == "Café owners like Zoë said “housing” – and income."


def test_latin1_and_binary():
    assert decode_bytes("Zoë à Montréal".encode("latin-1")) == "Zoë à Montréal"
    with pytest.raises(UpstreamError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")


def test_binary_file_with_text_extension_is_skipped(tmp_path):
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x02" * 20)
    (tmp_path / "good.txt").write_text(TRANSCRIPT, encoding="utf-8")
    corpus = read_corpus(tmp_path)
    assert [d.id for d in corpus.documents] == ["good"]
    assert corpus.skipped == [(str(tmp_path / "photo.txt"), "binary or unsupported file")]


# --- papers --------------------------------------------------------------------------------
def test_pdf_text_layer_scanned_and_corrupt(tmp_path):
    papers = tmp_path / "papers"
    papers.mkdir()
    write_pdf(papers / "review.pdf", ["Upstream interventions act on the causes of the causes."])
    pdf = canvas.Canvas(str(papers / "scanned.pdf"), pagesize=A4)
    pdf.rect(50, 50, 200, 200, fill=1)  # an image-like page: no text at all
    pdf.save()
    (papers / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf \x00\x01\x02")
    (papers / "broken.docx").write_bytes(b"PK\x03\x04 not a zip at all")
    corpus = read_corpus(tmp_path)
    assert [d.id for d in corpus.documents] == ["review"]
    assert corpus.document("review").kind == "paper"
    assert "causes of the causes" in corpus.segments[0].text
    reasons = dict(corpus.skipped)
    assert reasons[str(papers / "scanned.pdf")] == "no text layer (scanned?)"
    assert reasons[str(papers / "broken.pdf")].startswith("corrupt or unreadable PDF")
    assert reasons[str(papers / "broken.docx")].startswith("corrupt or unreadable .docx")


RIS = """TY  - JOUR
ID  - mcmahon2022
TI  - What shapes upstream action?
AU  - McMahon, N. E.
AU  - Doe, J.
JO  - Journal of Public Health
PY  - 2022///
KW  - health inequalities
KW  - upstream
DO  - 10.1093/pubmed/fdab001
AB  - A review of 24 articles found that upstream meant prevention to many.
ER  -

TY  - JOUR
TI  - A paper with no abstract
AN  - 123456
PY  - 2010
KW  - prevention
KW  - screening
ER  -

TY  - JOUR
TI  - Third, without any id
AB  - Population strategies change the context.
ER  -
"""

BIB = r"""@article{rose1985,
  author = {Rose, Geoffrey and Other, Ann},
  title = {Sick individuals and sick populations},
  journal = {International Journal of Epidemiology},
  year = {1985},
  keywords = {population strategy, prevention paradox},
  abstract = {The causes of cases are not the causes of incidence.},
  volume = {14}
}
@article{marmot2010,
  title = {Fair {Society}, Healthy Lives},
  year = {2010}
}
"""


def test_ris_records(tmp_path):
    (tmp_path / "refs.ris").write_text(RIS, encoding="utf-8")
    corpus = read_corpus(tmp_path)
    assert [d.id for d in corpus.documents] == ["mcmahon2022", "123456", "refs-3"]
    first = corpus.document("mcmahon2022")
    assert first.kind == "paper"
    assert first.text == "A review of 24 articles found that upstream meant prevention to many."
    assert first.metadata["title"] == "What shapes upstream action?"
    assert first.metadata["authors"] == ["McMahon, N. E.", "Doe, J."]
    assert first.metadata["journal"] == "Journal of Public Health"
    assert first.metadata["year"] == 2022
    assert first.metadata["keywords"] == ["health inequalities", "upstream"]
    assert first.metadata["doi"] == "10.1093/pubmed/fdab001"
    assert corpus.document("123456").text == "A paper with no abstract. prevention; screening"
    assert corpus.warnings[0][1] == "record 123456 has no abstract: using title and keywords"
    assert [s.id for s in corpus.segments] == ["mcmahon2022#1", "123456#1", "refs-3#1"]
    assert corpus.segments[0].metadata == first.metadata


MEDLINE = """PMID- 31234567
OWN - NLM
TI  - Upstream interventions to reduce health inequalities: a review of
      reviews.
AB  - Upstream interventions act on the social determinants of health. We
      reviewed income, housing and employment policies. Copyright (c) 2019
      Elsevier Ltd. All rights reserved.
FAU - Smith, John
AU  - Smith J
FAU - Patel, Asha
AU  - Patel A
DP  - 2019 Mar
JT  - Journal of Public Health
OT  - health inequalities
OT  - upstream
AID - 10.1000/jph.2019.1 [doi]

PMID- 32345678
TI  - Community power and health.
DP  - 2020
"""

WOS = """FN Clarivate Analytics Web of Science
VR 1.0
PT J
AU Brown, A
   Green, B
AF Brown, Alice
   Green, Ben
TI Shifting power upstream: community organising
   and health
SO SOCIAL SCIENCE & MEDICINE
DE community organising; power; health equity
AB Community organising moved decisions to residents.
PY 2021
DI 10.1016/j.socscimed.2021.1
UT WOS:000123456700001
ER

EF
"""


def test_pubmed_and_web_of_science_tagged_exports_read_one_paper_per_record(tmp_path):
    (tmp_path / "pubmed.nbib").write_text(MEDLINE, encoding="utf-8")
    (tmp_path / "pubmed_medline.txt").write_text(
        MEDLINE.replace("3123", "4123").replace("3234", "4234"), encoding="utf-8"
    )
    (tmp_path / "savedrecs.txt").write_text(WOS, encoding="utf-8")
    # the same records twice would be read once (see the duplicates test)
    corpus = read_corpus(tmp_path, deduplicate_papers=False)
    assert corpus.skipped == []
    review = corpus.document("31234567")
    assert review.kind == "paper"
    # continuation lines joined, the publisher's copyright line cut
    assert review.text == (
        "Upstream interventions act on the social determinants of health. We reviewed "
        "income, housing and employment policies."
    )
    assert review.metadata["title"].endswith("a review of reviews.")
    assert review.metadata["authors"] == ["Smith, John", "Patel, Asha"]
    assert review.metadata["year"] == 2019 and review.metadata["doi"] == "10.1000/jph.2019.1"
    assert review.metadata["keywords"] == ["health inequalities", "upstream"]
    assert corpus.document("41234567").text == review.text  # the same export saved as .txt
    # no abstract: title instead, with a warning
    assert corpus.document("32345678").text == "Community power and health."
    assert any("32345678 has no abstract" in m for _, m in corpus.warnings)
    wos = corpus.document("WOS:000123456700001")
    assert wos.text == "Community organising moved decisions to residents."
    assert wos.metadata["authors"] == ["Brown, Alice", "Green, Ben"]
    assert wos.metadata["title"] == "Shifting power upstream: community organising and health"
    assert wos.metadata["keywords"] == ["community organising", "power", "health equity"]
    assert wos.metadata["year"] == 2021


def test_a_paper_in_two_database_exports_is_read_once(tmp_path):
    """Scopus and Web of Science both hold most papers of a review: counted twice, a
    paper would weigh double in topics and in theme prevalence."""
    pd.DataFrame(
        {
            "Title": ["Upstream action on housing and health", "Power and place in health"],
            "Abstract": ["[No abstract available]", "Communities took control of decisions."],
            "DOI": ["10.1000/X1", None],
            "Year": [2020, 2019],
        }
    ).to_csv(tmp_path / "a_scopus.csv", index=False)
    (tmp_path / "b_wos.txt").write_text(
        WOS.replace("10.1016/j.socscimed.2021.1", "https://doi.org/10.1000/x1").replace(
            "Community organising moved decisions to residents.", "Housing is health."
        ),
        encoding="utf-8",
    )
    (tmp_path / "c_pubmed.nbib").write_text(
        "PMID- 111\nTI  - Power and place in health.\nAB  - Same paper, PubMed.\nDP  - 2019\n\n"
        "PMID- 222\nTI  - Power and place in health.\nAB  - A later paper.\nDP  - 2023\n",
        encoding="utf-8",
    )
    corpus = read_corpus(tmp_path)
    ids = sorted(d.id for d in corpus.documents)
    # the Scopus record had no abstract: the Web of Science one, with one, is kept
    assert ids == ["222", "WOS:000123456700001", "a_scopus-2"]
    assert corpus.document("WOS:000123456700001").text == "Housing is health."
    messages = [m for _, m in corpus.warnings]
    assert any(
        "a_scopus-1 is a duplicate of WOS:000123456700001" in m and "same DOI" in m
        for m in messages
    )
    assert any(
        "111 is a duplicate of a_scopus-2" in m and "same title and year" in m for m in messages
    )
    kept = read_corpus(tmp_path, deduplicate_papers=False)
    assert len(kept.documents) == 5


def test_scopus_placeholder_and_copyright_lines_are_not_abstract_text(tmp_path):
    pd.DataFrame(
        {
            "Title": ["Upstream action", "Income and health", "Short"],
            "Abstract": [
                "[No abstract available]",
                "Income shapes health through housing and food. "
                "\u00a9 2021 Elsevier Ltd. All rights reserved.",
                "Copyright law shapes who may publish health data; we discuss it.",
            ],
            "Author Keywords": ["prevention; policy", "income", "law"],
            "Year": [2020, 2021, 2022],
        }
    ).to_csv(tmp_path / "scopus.csv", index=False)
    corpus = read_corpus(tmp_path)
    texts = [d.text for d in corpus.documents]
    assert texts == [
        "Upstream action. prevention; policy",
        "Income shapes health through housing and food.",
        "Copyright law shapes who may publish health data; we discuss it.",  # not a notice
    ]
    assert any("scopus-1 has no abstract" in m for _, m in corpus.warnings)


def test_bibtex_as_zotero_escapes_it_reads_as_plain_text(tmp_path):
    """Zotero, JabRef and database exports write accents and symbols as LaTeX."""
    (tmp_path / "zotero.bib").write_text(
        "@article{muller2019,\n"
        ' title = {Upstream {\\"U}ber {A}ction in \\textit{M{\\"u}nchen}},\n'
        " author = {M{\\\"u}ller, J{\\\"o}rg and O'Brien, Se{\\'a}n},\n"
        " abstract = {Rents rose 50\\% --- \\emph{housing} \\& income; costs \\$5m, $p<0.05$.},\n"
        " year = {2019}\n}\n",
        encoding="utf-8",
    )
    paper = read_corpus(tmp_path).document("muller2019")
    assert paper.text == "Rents rose 50% \u2014 housing & income; costs $5m, p<0.05."
    assert paper.metadata["title"] == "Upstream \u00dcber Action in M\u00fcnchen"
    assert paper.metadata["authors"] == ["M\u00fcller, J\u00f6rg", "O'Brien, Se\u00e1n"]


def test_bibtex_records(tmp_path):
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    corpus = read_corpus(tmp_path)
    rose = corpus.document("rose1985")
    assert rose.text == "The causes of cases are not the causes of incidence."
    assert rose.metadata["authors"] == ["Rose, Geoffrey", "Other, Ann"]
    assert rose.metadata["year"] == 1985 and rose.metadata["volume"] == "14"
    assert rose.metadata["keywords"] == ["population strategy", "prevention paradox"]
    assert rose.metadata["journal"] == "International Journal of Epidemiology"
    marmot = corpus.document("marmot2010")
    assert marmot.text == "Fair Society, Healthy Lives"
    assert any("marmot2010 has no abstract" in m for _, m in corpus.warnings)


def test_full_text_paper_is_split_into_paragraphs(tmp_path):
    papers = tmp_path / "papers"
    papers.mkdir()
    heading = "Introduction"
    para = "Upstream action targets the social determinants of health in towns. " * 6
    text = f"{heading}\n\n{para}\n\n{para}\n   \n{para}\n"
    (papers / "essay.txt").write_text(text, encoding="utf-8")
    corpus = read_corpus(tmp_path, options=SegmentationOptions(min_words=20, max_words=250))
    doc = corpus.document("essay")
    assert doc.kind == "paper"
    segments = corpus.segments_of("essay")
    assert len(segments) == 3
    assert segments[0].text.startswith("Introduction\n\nUpstream")  # heading merged forward
    for seg in segments:
        assert doc.text[seg.start_char : seg.end_char] == seg.text
        assert seg.speaker is None and seg.speaker_role is None


# --- tables ------------------------------------------------------------------------------
def test_tables_of_every_format(tmp_path):
    rows = pd.DataFrame(
        {
            "id": ["a1", "a2"],
            "Abstract": ["Sugar levies change the context.", "Income matters most."],
            "Title": ["Levies", "Income"],
            "Authors": ["Adams, J.; White, M.", None],
            "journal": ["BMJ", None],
            "year": [2016, 2019],
        }
    )
    rows.to_csv(tmp_path / "export.csv", index=False)
    rows.rename(columns={"id": "ID"}).assign(ID=["t1", "t2"]).to_csv(
        tmp_path / "export.tsv", sep="\t", index=False
    )
    with open(tmp_path / "responses.jsonl", "w", encoding="utf-8") as handle:
        for n, answer in enumerate(["Prevention first.", "Tax sugar."]):
            handle.write(json.dumps({"respondent": f"r{n}", "text": answer, "age": 40 + n}) + "\n")
    pd.DataFrame(
        {"doc_id": ["q1"], "content": ["Housing is health."], "group": ["public"]}
    ).to_parquet(tmp_path / "survey.parquet")
    corpus = read_corpus(tmp_path)
    assert corpus.skipped == []
    a1 = corpus.document("a1")
    assert a1.kind == "paper" and a1.text == "Sugar levies change the context."
    assert a1.metadata == {
        "title": "Levies",
        "authors": ["Adams, J.", "White, M."],
        "journal": "BMJ",
        "year": 2016,
    }
    assert corpus.document("a2").metadata == {"title": "Income", "year": 2019}  # NaN dropped
    assert corpus.document("t2").text == "Income matters most."
    response = corpus.document("responses-1")  # no id column: row numbers
    assert response.kind == "other" and response.metadata == {"respondent": "r0", "age": 40}
    assert corpus.document("q1").metadata == {"group": "public"}


def test_table_without_text_column_names_the_columns(tmp_path):
    pd.DataFrame({"id": [1], "comment": ["hello"]}).to_csv(tmp_path / "notes.csv", index=False)
    corpus = read_corpus(tmp_path)
    assert corpus.documents == []
    reason = dict(corpus.skipped)[str(tmp_path / "notes.csv")]
    assert "['id', 'comment']" in reason and "--text-column" in reason
    with pytest.raises(UpstreamError, match="--text-column"):
        read_corpus(tmp_path, strict=True)
    assert read_corpus(tmp_path, text_column="comment").document("1").text == "hello"


def test_broken_jsonl_line_is_named_in_the_skip_reason(tmp_path):
    lines = [json.dumps({"text": "Prevention first."}), '{"text": "Tax sugar.', ""]
    (tmp_path / "responses.jsonl").write_text("\n".join(lines), encoding="utf-8")
    corpus = read_corpus(tmp_path)
    reason = dict(corpus.skipped)[str(tmp_path / "responses.jsonl")]
    assert reason.startswith("(line 2) invalid JSON") and "one JSON object" in reason


# --- folders, manifest, ids ----------------------------------------------------------------
def test_folder_skips_non_documents_and_reports_why(tmp_path):
    (tmp_path / "int01.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "README.md").write_text("About this corpus", encoding="utf-8")
    (tmp_path / "PRIVACY_KEY.csv").write_text("name,code\nSarah,P01\n", encoding="utf-8")
    (tmp_path / "gold_coding.csv").write_text("segment_id,theme\nx,prevention\n", encoding="utf-8")
    (tmp_path / "files.csv").write_text("file,role\nint01.txt,public\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "figure.png").write_bytes(b"\x89PNG")
    (tmp_path / "int03.doc").write_bytes(b"\xd0\xcf\x11\xe0 an old Word file")
    (tmp_path / "coding.xlsx").write_bytes(b"PK\x03\x04")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "int02.md").write_text(TRANSCRIPT, encoding="utf-8")
    corpus = read_corpus(tmp_path)
    assert sorted(d.id for d in corpus.documents) == ["int01", "int02"]
    reasons = {name.rsplit("/", 1)[-1]: reason for name, reason in corpus.skipped}
    assert reasons == {
        "README.md": "not a document (read-me)",
        "PRIVACY_KEY.csv": NOT_A_DOCUMENT,
        "gold_coding.csv": NOT_A_DOCUMENT,
        "files.csv": NOT_A_DOCUMENT,
        "empty.txt": "empty file",
        "figure.png": "unsupported file type '.png'",
        # types a researcher can convert are told how
        "int03.doc": "unsupported file type '.doc'. Fix: save it as .docx (or .txt) from "
        "your word processor.",
        "coding.xlsx": "unsupported file type '.xlsx'. Fix: save it as CSV (in Excel: File > "
        "Save As > CSV UTF-8).",
    }


def test_manifest_metadata_overrides_and_missing_files_warn(tmp_path):
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "int01.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "refs.ris").write_text(RIS, encoding="utf-8")
    (tmp_path / "meta.csv").write_text(
        "file,participant_id,role,discipline,doc_id,year\n"
        "transcripts/int01.txt,P01,practitioner,public health,,\n"
        "refs.ris,,,sociology,,\n"
        "refs.ris,,,epidemiology,mcmahon2022,2021\n"
        "gone.docx,P09,public,,,\n",
        encoding="utf-8",
    )
    corpus = read_corpus(tmp_path, manifest=tmp_path / "meta.csv")
    interview = corpus.document("int01")
    assert interview.metadata == {
        "participant_id": "P01",
        "role": "practitioner",
        "discipline": "public health",
    }
    assert all(s.metadata["role"] == "practitioner" for s in corpus.segments_of("int01"))
    paper = corpus.document("mcmahon2022")
    assert paper.metadata["discipline"] == "epidemiology"
    assert paper.metadata["year"] == 2021  # the manifest wins over the file
    assert corpus.document("123456").metadata["discipline"] == "sociology"
    assert (str(tmp_path / "meta.csv"), NOT_A_DOCUMENT) in corpus.skipped
    missing = [m for f, m in corpus.warnings if "line 5" in f]
    assert missing and "gone.docx" in missing[0]
    # a file the manifest forgot gets no role or discipline: the researcher is told
    assert not [m for _, m in corpus.warnings if "not in the manifest" in m]
    (tmp_path / "transcripts" / "int02.txt").write_text(TRANSCRIPT, encoding="utf-8")
    corpus = read_corpus(tmp_path, manifest=tmp_path / "meta.csv")
    forgotten = [(f, m) for f, m in corpus.warnings if "not in the manifest meta.csv" in m]
    assert [Path(f).name for f, _ in forgotten] == ["int02.txt"]


def test_manifest_kind_overrides_detection(tmp_path):
    (tmp_path / "notes.txt").write_text("Just a note about upstream.\n", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("file,kind\nnotes.txt,paper\n", encoding="utf-8")
    corpus = read_corpus(tmp_path)  # a top-level manifest.csv is found by itself
    assert corpus.document("notes").kind == "paper"


def test_tables_saved_by_excel_in_a_semicolon_locale_read_like_comma_ones(tmp_path):
    """Excel in many European locales saves .csv with semicolons, as ANSI (cp1252)."""
    (tmp_path / "int01.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "manifest.csv").write_bytes(
        "file;role;discipline\nint01.txt;practitioner;santé publique\n".encode("cp1252")
    )
    (tmp_path / "export.csv").write_bytes(
        'id;Abstract;year\na1;"Levies; taxes, and bans work.";2016\n'.encode("cp1252")
    )
    corpus = read_corpus(tmp_path)
    assert [Path(file).name for file, _ in corpus.skipped] == ["manifest.csv"]  # not a document
    assert corpus.document("int01").metadata["discipline"] == "santé publique"
    assert corpus.document("int01").metadata["role"] == "practitioner"
    paper = corpus.document("a1")
    assert paper.text == "Levies; taxes, and bans work." and paper.metadata["year"] == 2016


def test_manifest_without_file_column_is_an_error(tmp_path):
    (tmp_path / "m.csv").write_text("name,role\na.txt,public\n", encoding="utf-8")
    with pytest.raises(UpstreamError, match="no 'file' column"):
        read_corpus(tmp_path, manifest=tmp_path / "m.csv")


def test_duplicate_ids_are_made_unique(tmp_path):
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "int01.txt").write_text(TRANSCRIPT, encoding="utf-8")
    corpus = read_corpus(tmp_path)
    assert [d.id for d in corpus.documents] == ["int01", "int01-2", "int01-3"]
    assert {s.doc_id for s in corpus.segments} == {"int01", "int01-2", "int01-3"}
    assert corpus.segments_of("int01-2")[0].id == "int01-2#1"
    assert sum("duplicate document id" in m for _, m in corpus.warnings) == 2


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(UpstreamError, match="no such file or folder"):
        read_corpus(tmp_path / "nope")


def test_round_trip_through_parquet(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "int01.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (src / "refs.ris").write_text(RIS, encoding="utf-8")
    (src / "refs.bib").write_text(BIB, encoding="utf-8")
    (src / "manifest.csv").write_text("file,role\nint01.txt,public\n", encoding="utf-8")
    corpus = read_corpus(src)
    path = corpus.to_parquet(tmp_path / "out" / "corpus.parquet")
    again = Corpus.from_parquet(path)
    assert again == corpus
    frame = pd.read_parquet(path)
    assert {
        "segment_id",
        "doc_id",
        "text",
        "start_char",
        "end_char",
        "speaker",
        "speaker_role",
    } <= set(frame)
    assert len(frame) == len(corpus.segments)


def test_the_default_text_column_spelled_out_still_finds_an_abstract_column(tmp_path):
    # the contract's config writes `text_column: text`; a Scopus export has `Abstract`
    pd.DataFrame({"id": ["s1"], "Abstract": ["Upstream action on housing."]}).to_csv(
        tmp_path / "scopus.csv", index=False
    )
    corpus = read_corpus(tmp_path, text_column="text")
    assert corpus.document("s1").text == "Upstream action on housing."
    # a column named otherwise is the user's choice and must exist
    assert read_corpus(tmp_path, text_column="body").documents == []
