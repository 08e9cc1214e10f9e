"""The focal concept: which words and phrases count as a use of "upstream".

A ``ConceptSpec`` lists the terms (default ``["upstream"]``) and extra phrases; the
built-in forms add the usual collocations (upstream action, thinking upstream, further
upstream), "causes of the causes" (Braveman & Gottlieb 2014) and the river metaphor
(pulling people out of the river; who is pushing them in; McKinlay 1975). Matching uses
spaCy's ``Matcher`` and ``PhraseMatcher`` on LOWER and LEMMA, so "Upstream",
"up-stream" and "up stream" all count, as adjective, adverb or noun.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: Parser components: definitions need dependencies, the concordance needs sentences.
CONCEPT_COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")
#: Heads that "upstream" modifies in the built-in phrases ("upstream approach").
BUILTIN_HEADS = (
    "action",
    "approach",
    "work",
    "thinking",
    "intervention",
    "determinant",
    "factor",
)
#: Verbs of direction that take "upstream" ("going upstream", "thinking upstream").
BUILTIN_VERBS = ("go", "move", "work", "think", "look", "push", "shift", "focus", "act")
BUILTIN_PHRASES = ("causes of the causes", "cause of the causes")


@dataclass(frozen=True)
class ConceptSpec:
    """The concept to study. ``terms`` are single words or hyphen/space-variable words
    ("upstream" also matches "up-stream" and "up stream"); ``phrases`` are extra
    multi-word expressions, matched on lower-case text and on lemmas; ``builtin`` adds
    the built-in forms listed in the module docstring."""

    terms: tuple[str, ...] = ("upstream",)
    phrases: tuple[str, ...] = ()
    builtin: bool = True
    window_words: int = 40

    def __post_init__(self) -> None:
        from upstreamnlp.errors import ConfigError

        terms = tuple(str(t).strip() for t in self.terms if str(t).strip())
        if not terms and not self.phrases:
            raise ConfigError(
                "the concept has no terms and no phrases",
                where="concept.terms",
                fix="give at least one term, e.g. concept.terms: [upstream]",
            )
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "phrases", tuple(str(p).strip() for p in self.phrases))

    @property
    def label(self) -> str:
        """How messages name the concept: 'upstream' or 'upstream', 'downstream'."""
        return ", ".join(f"'{t}'" for t in self.terms) or ", ".join(self.phrases)

    def term_words(self) -> set[str]:
        """Lower-case words of the terms (without hyphens), for stop lists."""
        words = set()
        for term in self.terms:
            words.add(_joined(term))
            words.update(w for w in re.split(r"[\s\-]+", term.lower()) if w)
        return words

    def term_regex(self) -> str:
        """A regular expression for any term, tolerant of 'up-stream' and 'up stream'."""
        return "(?:" + "|".join(_term_regex(t) for t in self.terms) + ")"

    def prefilter(self) -> re.Pattern:
        """A cheap test that a text may contain the concept (before running spaCy)."""
        parts = [self.term_regex()]
        for phrase in self.all_phrases():
            words = [w for w in re.findall(r"[A-Za-z]+", phrase) if len(w) >= 4]
            parts.extend(re.escape(w[:4].lower()) for w in words[:1])
        if self.builtin:
            parts.append(r"river")
        return re.compile("|".join(parts), re.IGNORECASE)

    def all_phrases(self) -> list[str]:
        return list(BUILTIN_PHRASES if self.builtin else ()) + list(self.phrases)


def _joined(term: str) -> str:
    return re.sub(r"[\s\-]+", "", term.lower())


def _term_regex(term: str) -> str:
    """'upstream' -> 'up[\\s-]?stream' (compounds of 'up/down/mid' + word split too)."""
    term = term.lower().strip()
    found = re.match(r"^(up|down|mid)[\s\-]?(stream)$", term)
    if found:
        return rf"\b{found.group(1)}[\s\-]?{found.group(2)}\b"
    words = [re.escape(w) for w in re.split(r"[\s\-]+", term) if w]
    return r"\b" + r"[\s\-]+".join(words) + r"\b"


def _term_token_patterns(term: str) -> list[list[dict[str, Any]]]:
    """Token patterns for a term: 'upstream', 'up-stream', 'up stream'."""
    term = term.lower().strip()
    words = [w for w in re.split(r"[\s\-]+", term) if w]
    found = re.match(r"^(up|down|mid)(stream)$", term)
    if found:
        words = [found.group(1), found.group(2)]
        patterns = [[{"LOWER": term}]]
    else:
        patterns = [[{"LOWER": words[0]}]] if len(words) == 1 else []
    if len(words) > 1:
        split = []
        for i, word in enumerate(words):
            if i:
                split.append({"ORTH": "-", "OP": "?"})
            split.append({"LOWER": word})
        patterns.append(split)
    if len(words) == 1:
        patterns.append([{"LEMMA": words[0]}])
    return patterns


def load_concept_pipeline() -> Any:
    """spaCy with the parser (sentences and dependencies), via the preprocess stage's
    ``load_pipeline``; a pipeline without a parser gets a rule-based sentencizer."""
    from upstreamnlp.preprocess import load_pipeline

    nlp, _name = load_pipeline(components=CONCEPT_COMPONENTS, ner=False)
    if not (nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")):
        nlp.add_pipe("sentencizer")
    return nlp


@dataclass
class ConceptMatcher:
    """Finds the concept in spaCy ``Doc`` objects; returns (span, form) pairs, longest
    match first-wins (``spacy.util.filter_spans``)."""

    spec: ConceptSpec
    nlp: Any

    def __post_init__(self) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        vocab = self.nlp.vocab
        self.matcher = Matcher(vocab)
        self.lower_phrases = PhraseMatcher(vocab, attr="LOWER")
        self.lemma_phrases = PhraseMatcher(vocab, attr="LEMMA")
        for term in self.spec.terms:
            term_patterns = _term_token_patterns(term)
            self.matcher.add("term", term_patterns)
            if not self.spec.builtin:
                continue
            for pattern in term_patterns:
                head = {"LEMMA": {"IN": list(BUILTIN_HEADS)}}
                self.matcher.add("phrase", [pattern + [head]])
                verb = {"LEMMA": {"IN": list(BUILTIN_VERBS)}}
                self.matcher.add("phrase", [[verb] + pattern])
                self.matcher.add("phrase", [[verb, {"LOWER": "further"}] + pattern])
                further = {"LOWER": {"IN": ["further", "farther", "more"]}}
                self.matcher.add("phrase", [[further] + pattern])
        if self.spec.builtin:
            rescue = {"LEMMA": {"IN": ["pull", "drag", "fish", "rescue", "save", "haul"]}}
            self.matcher.add(
                "river_metaphor",
                [
                    [
                        rescue,
                        {"IS_ALPHA": True, "OP": "{0,3}"},
                        {"LOWER": "out"},
                        {"LOWER": "of"},
                        {"LOWER": "the", "OP": "?"},
                        {"LOWER": {"IN": ["river", "water", "stream"]}},
                    ],
                    [
                        {"LOWER": "who"},
                        {"IS_ALPHA": True, "OP": "{0,2}"},
                        {"LEMMA": {"IN": ["push", "throw", "fall"]}},
                        {"IS_ALPHA": True, "OP": "{0,2}"},
                        {"LOWER": {"IN": ["in", "into"]}},
                    ],
                ],
            )
        for phrase in self.spec.all_phrases():
            self.lower_phrases.add("phrase", [self.nlp.make_doc(phrase)])
            self.lemma_phrases.add("phrase", [self.nlp(phrase)])

    def __call__(self, doc: Any) -> list[tuple[Any, str]]:
        from spacy.tokens import Span
        from spacy.util import filter_spans

        found = []
        for matcher in (self.matcher, self.lower_phrases, self.lemma_phrases):
            for match_id, start, end in matcher(doc):
                found.append(Span(doc, start, end, label=match_id))
        spans = filter_spans(found)
        return [(span, span.label_) for span in sorted(spans, key=lambda s: s.start)]
