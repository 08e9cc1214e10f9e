"""A faster stand-in for spaCy's ``attribute_ruler`` of the English pipelines.

The ruler maps fine tags to coarse POS and morphology with ~180 Matcher patterns; on
short interview turns the Matcher costs about as much as tok2vec. Almost all patterns
are single-token tests of TAG, LOWER and IS_SPACE (by value or by a set of values), which
a dictionary look-up answers; the few multi-token and regular-expression ones still go
through a (small) Matcher. ``RulerLemmatizer`` goes further: rules and lemmas once per
distinct (word, tag) pair. Patterns that test DEP
never match here because the parser is not loaded. Rules apply in the original order,
later rules winning, as in ``AttributeRuler.match``. ``tests/test_preprocess.py``
checks that POS, morphology and lemmas are identical to the original component's.
"""

from __future__ import annotations

import re
from typing import Any

import numpy
from spacy.attrs import LEMMA, LOWER, MORPH, ORTH, POS, TAG
from spacy.matcher import Matcher
from spacy.tokens._retokenize import set_token_attrs

SIMPLE_KEYS = {"TAG", "LOWER", "IS_SPACE"}


def _expand(pattern: list[dict]) -> list[list[dict]]:
    """A one-token pattern tested only on TAG, LOWER and IS_SPACE, by equality or by a
    set of values (``{"IN": [...]}``), as the equality patterns it stands for (each is a
    dictionary key); ``[]`` for any other pattern."""
    if len(pattern) != 1 or not set(pattern[0]) <= SIMPLE_KEYS:
        return []
    options: list[dict] = [{}]
    for key, value in pattern[0].items():
        if isinstance(value, (str, bool)):
            values = [value]
        elif isinstance(value, dict) and set(value) == {"IN"}:
            values = list(dict.fromkeys(value["IN"]))
        else:
            return []
        options = [{**option, key: v} for option in options for v in values]
    return [[option] for option in options]


def _lower_need(token: dict) -> tuple[str, Any]:
    spec = token.get("LOWER", token.get("ORTH"))
    if isinstance(spec, str):
        return ("word", spec.lower())
    if isinstance(spec, dict) and set(spec) == {"IN"}:
        return ("words", {str(v).lower() for v in spec["IN"]})
    if isinstance(spec, dict) and set(spec) == {"REGEX"} and "LOWER" in token:
        return ("regex", re.compile(spec["REGEX"]))
    return ("any", None)


def _cost(need: tuple[str, Any]) -> int:
    return {"word": 0, "words": 1, "regex": 2}.get(need[0], 3)


def _accepts(kind: str, value: Any, lowers: set[str]) -> bool:
    if kind == "word":
        return value in lowers
    if kind == "words":
        return not lowers.isdisjoint(value)
    if kind == "regex":
        return any(value.search(lower) for lower in lowers)
    return True


class FastAttributeRuler:
    """Callable pipeline component built from an existing ``AttributeRuler``."""

    def __init__(self, ruler: Any) -> None:
        self.attrs = list(ruler.attrs)
        self.indices = list(ruler.indices)
        self.index: dict[tuple[str, Any], list[tuple[int, dict]]] = {}
        self.matcher = Matcher(ruler.vocab, validate=False)
        has_complex = False
        # what each remaining rule needs of every token, for ``may_match_complex``
        self._needs: list[list[tuple[str, Any]]] = []
        for attr_id, entry in enumerate(ruler.patterns):
            for pattern in entry["patterns"]:
                if any("DEP" in token for token in pattern):
                    continue  # no parser: DEP is never set, so these never match
                expanded = _expand(pattern)
                for simple in expanded:
                    constraints = dict(simple[0])
                    key = next(iter(sorted(constraints.items(), key=lambda kv: kv[0] != "LOWER")))
                    self.index.setdefault(key, []).append((attr_id, constraints))
                if expanded:
                    continue
                self.matcher.add(str(attr_id), [pattern])
                has_complex = True
                # word tests first: they are cheap and usually settle it
                needs = sorted((_lower_need(token) for token in pattern), key=_cost)
                self._needs.append(needs)
        self.has_complex = has_complex

    def may_match_complex(self, lowers: set[str]) -> bool:
        """Whether a multi-token or regular-expression rule could match a doc whose
        distinct lower-cased token texts are ``lowers``: every token of the rule must find
        a text it accepts (a necessary condition; ``True`` whenever it cannot tell)."""
        for needs in self._needs:
            if all(_accepts(kind, value, lowers) for kind, value in needs):
                return True
        return False

    def __call__(self, doc: Any) -> Any:
        matches: list[tuple[int, int, int]] = []
        index = self.index
        for token in doc:
            tag = token.tag_
            lower = token.lower_
            space = token.is_space
            for key in (("TAG", tag), ("LOWER", lower), ("IS_SPACE", space)):
                for attr_id, constraints in index.get(key, ()):
                    if (
                        constraints.get("TAG", tag) == tag
                        and constraints.get("LOWER", lower) == lower
                        and constraints.get("IS_SPACE", space) == space
                    ):
                        matches.append((attr_id, token.i, token.i + 1))
        if self.has_complex:
            for match_id, start, end in self.matcher(doc, allow_missing=True):
                matches.append((int(doc.vocab.strings[match_id]), start, end))
        matches.sort()
        for attr_id, start, end in matches:
            set_token_attrs(doc[start:end][self.indices[attr_id]], self.attrs[attr_id])
        return doc


class RulerLemmatizer:
    """The attribute ruler and the rule lemmatizer in one memoised pass.

    Without the parser, a token's POS and morphology from the single-token rules depend
    only on its text and fine tag, and the English rule lemmatizer depends only on those
    (text, POS, morphology). So the three attributes are computed once per distinct
    (ORTH, TAG) pair, by the original rules, and written back to the whole ``Doc`` with
    one ``Doc.from_array``. A document that any multi-token or regular-expression rule
    matches ("gon na", "y' all", "nothin'") goes through the rules token by token instead,
    exactly as before. Output is identical to ``attribute_ruler`` + ``lemmatizer``
    (``tests/test_preprocess.py``).
    """

    def __init__(self, ruler: Any, lemmatizer: Any) -> None:
        self.rules = FastAttributeRuler(ruler)
        self.lemmatizer = lemmatizer
        self.memo: dict[tuple[int, int], tuple[int, int, int]] = {}

    def __call__(self, doc: Any) -> Any:
        if len(doc) == 0:
            return doc
        keys = doc.to_array([ORTH, TAG, LOWER])
        if self.rules.has_complex:
            strings = doc.vocab.strings
            lowers = {strings[h] for h in set(keys[:, 2].tolist())}
            if self.rules.may_match_complex(lowers):
                return self.lemmatizer(self.rules(doc))
        memo = self.memo
        keys = keys[:, :2].tolist()
        values = []
        for i, (orth, tag) in enumerate(keys):
            value = memo.get((orth, tag))
            if value is None:
                value = self._compute(doc[i : i + 1])
                memo[(orth, tag)] = value
            values.append(value)
        doc.from_array([POS, MORPH, LEMMA], numpy.asarray(values, dtype="uint64"))
        return doc

    def _compute(self, span: Any) -> tuple[int, int, int]:
        """POS, morphology and lemma of a one-token span by the original rules."""
        token = span.as_doc()[0]  # a copy: the caller's doc is written once, by from_array
        self.rules(token.doc)
        if token.lemma == 0:
            token.lemma_ = self.lemmatizer.lemmatize(token)[0]
        return int(token.pos), int(token.morph.key), int(token.lemma)
