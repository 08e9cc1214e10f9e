"""Tokens for modelling: lemmas filtered by part of speech and stop words, then phrases.

Two halves. ``token_items`` and ``place_items`` turn a spaCy ``Doc`` into compact
``(lemma, pos, stop)`` tuples (cached on disk: no original text, names already dropped). ``select_tokens``,
``learn_phrases`` and ``filter_vocabulary`` run after the cache and are cheap, so
changing a modelling setting never re-runs spaCy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

#: Spoken fillers and transcript noise, compared with lower-cased lemmas. Added to spaCy's
#: English stop words because interviews are full of them and topic models put them in
#: every topic (cf. Schofield et al. 2017 on stop words in topic models).
FILLERS = frozenset(
    """
    yeah yes yep yup no nope um umm er erm uh uhm hmm mm mmm mhm ah oh ooh eh okay ok
    alright right like well so just really actually basically obviously literally
    probably maybe perhaps quite pretty sort kind thing things stuff lot lots bit get got
    gotten go going gone went come came make made take took put mean know think thought
    say said tell told want see look feel guess suppose reckon gonna wanna gotta cos
    cause because anyway anyways whatever somebody someone something everything anything
    nothing etc inaudible crosstalk laughter laughs laugh pause unclear interviewer
    participant transcript minute time way year day people person
    """.split()
)

#: Multiword fillers (as lemma sequences), removed before the single-word filters so
#: "at the end of the day" or "in terms of" leave no "end", "day" or "term" behind.
MULTIWORD_FILLERS: tuple[tuple[str, ...], ...] = tuple(
    tuple(phrase.split())
    for phrase in (
        "at the end of the day",
        "to be honest",
        "in term of",
        "if you like",
        "and so on",
        "and stuff",
        "and thing like that",
        "or whatever",
        "or something",
        "kind of",
        "sort of",
        "you know",
        "i mean",
        "i guess",
        "i suppose",
        "a bit",
        "a lot",
        "as well",
        "at the moment",
        "at all",
    )
)

BREAK = None  # a token position where phrases must not join (punctuation, a placeholder)

CachedToken = tuple[str, str, bool]  # (lower-cased lemma, coarse POS, spaCy stop word)


#: what ``token_items`` gives for tokens that are not terms
SKIP = 0  # spaces, numbers, URLs, e-mails, tokens without a letter: dropped
PUNCT = 1  # punctuation and symbols: a break between terms

_HYPHENS = ("-", "‐", "–")
_MEMOS: dict[str, dict[tuple[int, int, int], Any]] = {}


def token_items(doc: Any, offset: int = 0) -> list[tuple[int, int, Any]]:
    """``(start, end, value)`` per token of ``doc`` in document offsets (``offset`` is
    where ``doc`` starts), with hyphenated words merged ("co-production", "smoke-free").
    ``value`` is ``(lemma, pos, stop)`` for a term, ``PUNCT`` or ``SKIP``.

    Reads the ``Doc`` as arrays and classifies each distinct (word, lemma, POS) once:
    every property used is a property of that triple, so the per-token Python work is a
    dictionary look-up (``benchmarks/bench_preprocess.py``)."""
    from spacy.attrs import IDX, IS_ALPHA, LEMMA, LENGTH, ORTH, POS, SPACY

    n = len(doc)
    if n == 0:
        return []
    rows = doc.to_array([IDX, LENGTH, SPACY, ORTH, LEMMA, POS, IS_ALPHA]).tolist()
    lang = doc.lang_ or "en"
    memo = _MEMOS.setdefault(lang, {})
    strings = doc.vocab.strings
    hyphens = {strings.add(h) for h in _HYPHENS}
    out: list[tuple[int, int, Any]] = []
    i = 0
    while i < n:
        idx, length, _space, orth, lemma, pos, alpha = rows[i]
        j = i
        while (
            j + 2 < n
            and rows[j][2] == 0
            and rows[j + 1][3] in hyphens
            and rows[j + 1][2] == 0
            and rows[j + 2][6]
            and rows[j][6]
        ):
            j += 2
        if j > i:
            end = offset + rows[j][0] + rows[j][1]
            out.append((offset + idx, end, _hyphenated(doc, i, j)))
            i = j + 1
            continue
        value = memo.get((orth, lemma, pos))
        if value is None:
            value = _classify(doc[i])
            memo[(orth, lemma, pos)] = value
        out.append((offset + idx, offset + idx + length, value))
        i += 1
    return out


def _classify(token: Any) -> Any:
    if token.is_space:
        return SKIP
    if token.is_punct or token.pos_ in ("PUNCT", "SYM"):
        return PUNCT
    if token.like_num or token.like_url or token.like_email:
        return SKIP
    text = token.lower_
    if not any(ch.isalpha() for ch in text):
        return SKIP
    stops = _stop_words(token.doc)
    lemma = (token.lemma_ or text).lower()
    return (lemma, token.pos_, token.is_stop or lemma in stops or text in stops)


def _hyphenated(doc: Any, i: int, j: int) -> CachedToken:
    """One term for tokens i..j joined by hyphens; its POS is the last part's if that is
    a content word, else the first content part's."""
    parts = [doc[k].lower_ for k in range(i, j, 2)]
    last = doc[j]
    lemma = "-".join(parts + [(last.lemma_ or last.lower_).lower()])
    part_pos = [doc[k].pos_ for k in range(i, j + 1, 2)]
    pos = (
        last.pos_
        if last.pos_ in ("NOUN", "ADJ", "VERB")
        else next((p for p in part_pos if p in ("NOUN", "ADJ", "VERB")), last.pos_)
    )
    return (lemma, pos, False)


def place_items(
    items: Sequence[tuple[int, int, Any]], exclude: Sequence[tuple[int, int]] = ()
) -> list[tuple[int, Any]]:
    """``(start, item)`` for the terms of ``token_items``, with ``BREAK`` at punctuation
    and wherever a token overlaps a replaced span of ``exclude`` (document offsets)."""
    excluded = sorted(exclude)
    out: list[tuple[int, Any]] = []
    ex_index = 0
    n_excluded = len(excluded)
    for start, end, value in items:
        while ex_index < n_excluded and excluded[ex_index][1] <= start:
            ex_index += 1
        if (ex_index < n_excluded and excluded[ex_index][0] < end) or value == PUNCT:
            if out and out[-1][1] is not BREAK:
                out.append((start, BREAK))
        elif value != SKIP:
            out.append((start, value))
    return out


def _stop_words(doc: Any) -> frozenset:
    lang = doc.lang_ or "en"
    cached = _STOPS.get(lang)
    if cached is None:
        from spacy.util import get_lang_class

        cached = frozenset(get_lang_class(lang or "en").Defaults.stop_words)
        _STOPS[lang] = cached
    return cached


_STOPS: dict[str, frozenset] = {}


def select_tokens(
    cached: Sequence,
    pos: Iterable[str] | None,
    extra_stopwords: Iterable[str] = (),
    min_len: int = 3,
) -> list[list[str]]:
    """Runs of kept lemmas between breaks: no stop words, fillers, short tokens, or POS
    outside ``pos`` (``None`` or tokens without POS, as from the fallback pipeline, pass)."""
    pos_set = set(pos) if pos is not None else None
    extra = set(extra_stopwords)
    lemmas = [None if item is BREAK else item[0] for item in cached]
    drop = _multiword_mask(lemmas)
    runs: list[list[str]] = [[]]
    for item, dropped in zip(cached, drop, strict=True):
        if item is BREAK:
            if runs[-1]:
                runs.append([])
            continue
        lemma, tag, stop = item
        if (
            dropped
            or stop
            or lemma in FILLERS
            or lemma in extra
            or len(lemma) < min_len
            or (pos_set is not None and tag and tag not in pos_set)
        ):
            continue
        runs[-1].append(lemma)
    return [run for run in runs if run]


_FILLERS_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in MULTIWORD_FILLERS:
    _FILLERS_BY_FIRST.setdefault(_phrase[0], []).append(_phrase)


def _multiword_mask(lemmas: Sequence[str | None]) -> list[bool]:
    mask = [False] * len(lemmas)
    for i, lemma in enumerate(lemmas):
        candidates = _FILLERS_BY_FIRST.get(lemma)  # type: ignore[arg-type]
        if not candidates:
            continue
        for phrase in candidates:
            if tuple(lemmas[i : i + len(phrase)]) == phrase:
                for k in range(i, i + len(phrase)):
                    mask[k] = True
                break
    return mask


def default_phrase_min_count(n_segments: int) -> int:
    """Scaled to the corpus: 3 for small corpora, up to 20 for 2000+ segments."""
    return max(3, min(20, n_segments // 100))


def learn_phrases(
    runs_per_segment: Sequence[Sequence[Sequence[str]]],
    threshold: float = 0.5,
    min_count: int = 3,
    passes: int = 1,
) -> tuple[list[list[str]], list[str]]:
    """Join collocations with "_" (gensim ``Phrases``, npmi scoring: Bouma 2009).

    Learned on runs between punctuation, so words never join across a sentence or a
    removed name. Applied best-first rather than gensim's left-to-right, so in "fund
    sugar levy" the stronger "sugar_levy" wins over "fund_sugar". Returns one token list
    per segment and the phrases that occur.
    """
    from gensim.models.phrases import Phrases

    runs = [list(run) for segment in runs_per_segment for run in segment]
    segment_sizes = [len(segment) for segment in runs_per_segment]
    for _ in range(passes):
        if not runs:
            break
        model = Phrases(
            runs, min_count=min_count, threshold=threshold, scoring="npmi", delimiter="_"
        ).freeze()
        scores = {str(k): float(v) for k, v in model.phrasegrams.items()}
        runs = [_join_best_first(run, scores) for run in runs]
    found = sorted({tok for run in runs for tok in run if "_" in tok})
    result = []
    cursor = 0
    for size in segment_sizes:
        result.append([tok for run in runs[cursor : cursor + size] for tok in run])
        cursor += size
    return result, found


def _join_best_first(run: list[str], scores: dict[str, float]) -> list[str]:
    """Merge adjacent pairs found in ``scores``, highest score first, each word once."""
    if not scores or len(run) < 2:
        return run
    candidates = sorted(
        (
            (-scores[f"{a}_{b}"], i)
            for i, (a, b) in enumerate(zip(run, run[1:], strict=False))
            if f"{a}_{b}" in scores
        )
    )
    if not candidates:
        return run
    used = [False] * len(run)
    starts = set()
    for _score, i in candidates:
        if not used[i] and not used[i + 1]:
            used[i] = used[i + 1] = True
            starts.add(i)
    out, i = [], 0
    while i < len(run):
        if i in starts:
            out.append(f"{run[i]}_{run[i + 1]}")
            i += 2
        else:
            out.append(run[i])
            i += 1
    return out


def filter_vocabulary(
    tokens: Sequence[Sequence[str]],
    no_below: int | None = 2,
    no_above: float | None = 0.5,
    keep_n: int | None = 20000,
) -> list[list[str]]:
    """Keep terms in at least ``no_below`` segments and at most ``no_above`` of them
    (gensim ``Dictionary.filter_extremes``), the ``keep_n`` most frequent."""
    from gensim.corpora import Dictionary

    dictionary = Dictionary(tokens)
    dictionary.filter_extremes(no_below=no_below or 1, no_above=no_above or 1.0, keep_n=keep_n)
    vocabulary = set(dictionary.token2id)
    return [[tok for tok in segment if tok in vocabulary] for segment in tokens]
