from pathlib import Path

import nbformat as nbf

SETUP = '''import os
from pathlib import Path

# Run from the project root whether the notebook is opened from notebooks/ or not.
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
os.chdir(ROOT)

from upstreamnlp.config import load_config
from upstreamnlp.run import load_run, run

# The demo config; FAST (set by the test suite) sweeps fewer k and resamples less.
FAST = os.environ.get("UPSTREAMNLP_NOTEBOOK_FAST") == "1"
overrides = ["model.k=[4,6]", "compare.n_boot=200"] if FAST else []
RUN_DIR = Path(os.environ.get("UPSTREAMNLP_NOTEBOOK_RUN_DIR", ROOT / "runs" / "notebook-demo"))


def demo_run():
    """Reuse a finished run of the demo config, or make one (spaCy output, embeddings
    and model fits are cached, so a second run is quick)."""
    try:
        return load_run(RUN_DIR)
    except Exception:
        return run(load_config("configs/demo.yaml", overrides), RUN_DIR)
'''


def nb(cells):
    book = nbf.v4.new_notebook()
    book.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    book.cells = [
        nbf.v4.new_markdown_cell(c[3:]) if c.startswith("md:") else nbf.v4.new_code_cell(c)
        for c in cells
    ]
    for i, cell in enumerate(book.cells):  # stable ids: regenerating changes only what changed
        cell.id = f"cell-{i:02d}"
    return book


quick = nb(
    [
        "md:# Quick start: the demo corpus end to end\n\nThe demo corpus in `corpora/demo` is synthetic: 24 interviews (researchers, practitioners, members of the public) and 86 paper abstracts. One call runs every stage — reading, de-identification, topic models, themes, comparison, the concept lens, validation, report — and returns the results as Python objects and DataFrames.",
        SETUP,
        "md:## Run the whole pipeline\n`run(config, out_dir)` writes the run folder (the same as `upstreamnlp run configs/demo.yaml --out DIR`) and returns a `RunResult`.",
        "result = run(load_config('configs/demo.yaml', overrides), RUN_DIR)\nprint(result.out_dir, result.manifest['status'])",
        "md:## What was read\nEvery segment keeps its exact offsets into its (de-identified) document, so every quote can be traced back.",
        "segments = result.corpus.segments_frame()\nsegments.groupby(['kind', 'role'], dropna=False).size()",
        "doc = result.corpus.documents[0]\nseg = result.corpus.segments_of(doc.id)[1]\nassert doc.text[seg.start_char:seg.end_char] == seg.text\nprint(seg.speaker_role, '|', seg.text[:300])",
        "md:## How many topics, and why\nThe run fits each k with several seeds and scores coherence (NPMI, C_V), diversity and stability; a documented rule picks k.",
        "print(result.k_reason)\nresult.sweep.round(3)",
        "md:## The topics",
        "for topic, words in enumerate(result.model.topic_words(8)):\n    print(topic, result.topic_labels.get(topic, ''), ', '.join(words))",
        "md:## The report\nOpen this file in a browser: one self-contained page, no network needed.",
        "print((result.out_dir / 'report.html').resolve())",
    ]
)

themes = nb(
    [
        "md:# Themes and the quotes behind them\n\nThe run maps each topic onto the codebook (`configs/themes/upstream.yaml`: prevention, population/low-agency interventions, social determinants, grass-roots power) and labels every segment; topics that fit no theme are flagged *emergent*. Every claim comes with quotes.",
        SETUP,
        "result = demo_run()\nresult.theme_map.pivot(index='topic', columns='theme', values='score').round(2)",
        "md:## Topic labels: a theme, `mixed`, or `emergent`",
        "result.topic_labels",
        "md:## How often each theme appears, by group of participants",
        "a = result.assignments\na.groupby('role', dropna=False)['theme'].value_counts(normalize=True).unstack().round(2)",
        "md:## Quotes for each theme\nThe best-scoring segments for each theme, with their document and speaker role (de-identified text).",
        "q = result.quotes\nscope = 'scope' if 'scope' in q else 'kind'\nfor theme, rows in q[q[scope] == 'theme'].groupby('key'):\n    print(f'== {theme}')\n    for _, row in rows.head(2).iterrows():\n        print(f\"  [{row['doc_id']}, {row['speaker_role']}] {row['text'][:220]}\")",
        "md:## Determinants or action?\nA passage can describe where causes sit (upstream determinants), what is done about them (upstream action), both, or neither.",
        "pd_table = a.groupby('theme')['determinant_or_action'].value_counts().unstack(fill_value=0)\npd_table",
        "md:## Agreement with a human coder\nThe demo corpus ships 458 hand-coded passages; the run compares its labels with them (Cohen's kappa, with a 95% interval from a bootstrap over the coded documents). To code your own sample: `upstreamnlp sample RUN_DIR --n 100 --out sample.csv`, fill in `gold_theme`, then `upstreamnlp validate RUN_DIR --gold sample.csv`.",
        "import json\nvalidation = json.loads((result.out_dir / 'validation.json').read_text())\nfor aspect in ('theme', 'determinant_or_action'):\n    low, high = validation[aspect]['kappa_ci']\n    print(f\"{aspect}: kappa {validation[aspect]['kappa']:.3f} (95% interval {low:.3f} to {high:.3f})\")",
    ]
)

compare = nb(
    [
        "md:# Comparing disciplines and groups\n\nWhich words does each discipline use distinctively? Which themes does each group talk about more? How far apart are they? Log-odds ratios with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), G2 keyness with log ratio, and prevalence with a bootstrap that resamples documents, not segments.",
        SETUP,
        "from upstreamnlp.compare import compare_groups, distinctive_terms\nfrom upstreamnlp.compare.figures import prevalence_plot\nimport pandas as pd\n\nresult = demo_run()\n# The preprocessed terms (lemmas and phrases) of each modelled segment.\ntoken_table = pd.read_parquet(result.out_dir / 'tokens.parquet')\ntokens = dict(zip(token_table['segment_id'], token_table['tokens'].map(list)))",
        "md:## Distinctive vocabulary of each discipline (papers and interviews)",
        "a = result.assignments.dropna(subset=['discipline'])\nvocab = distinctive_terms(zip(a['discipline'], (tokens.get(s, []) for s in a['segment_id'])), top=8)\nvocab.groupby('group').head(6)[['group', 'term', 'count', 'z', 'g2', 'log_ratio']]",
        "md:## Theme prevalence by role, with intervals\nSegments of one interview are not independent, so the intervals resample whole documents.",
        "comparison = compare_groups(result.assignments, 'role', [tokens.get(s, []) for s in result.assignments['segment_id']], n_boot=300)\nprev = comparison.prevalence[comparison.prevalence['measure'] == 'theme']\nprev.round(3).head(12)",
        "fig = prevalence_plot(prev, 'Themes by role')",
        "md:## Are the labels equally reliable in each group?\nA difference in prevalence between groups is partly the machine's if it agrees less with the human coder in one of them. The run's validation breaks agreement down by the groups it compares (`compare.by`; `upstreamnlp validate RUN_DIR --gold FILE --by role`).",
        "import json\nvalidation = json.loads((result.out_dir / 'validation.json').read_text())\npd.DataFrame(validation['by_group']['role']).round(3)",
        "md:## How far apart are the groups? (Jensen-Shannon divergence of their vocabularies)",
        "comparison.term_divergence.round(3)",
        'md:## What do people mean by "upstream"?\nThe concept lens finds every use of the word, the sentences that say what it means, and the senses they fall into.',
        "concept_dir = result.out_dir / 'concept'\nimport pandas as pd\nif (concept_dir / 'definitions.csv').exists():\n    definitions = pd.read_csv(concept_dir / 'definitions.csv')\n    print(len(definitions), 'definitional statements')\n    display(definitions.head(8))\nelse:\n    print('concept lens not run')",
    ]
)

out = Path("notebooks")
for name, book in (
    ("01_quickstart.ipynb", quick),
    ("02_themes_and_quotes.ipynb", themes),
    ("03_comparing_disciplines.ipynb", compare),
):
    nbf.write(book, out / name)
print("ok")
