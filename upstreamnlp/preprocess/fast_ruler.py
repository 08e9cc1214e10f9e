"""A faster stand-in for spaCy's ``attribute_ruler`` of the English pipelines.

The ruler maps fine tags to coarse POS and morphology with ~180 Matcher patterns; on
short interview turns the Matcher costs about as much as tok2vec. Almost all patterns
are single-token tests of TAG, LOWER and IS_SPACE, which a dictionary look-up answers;
the few multi-token ones still go through a (small) Matcher. Patterns that test DEP
never match here because the parser is not loaded. Rules apply in the original order,
later rules winning, as in ``AttributeRuler.match``. ``tests/test_preprocess.py``
checks that POS, morphology and lemmas are identical to the original component's.
"""

from __future__ import annotations

from typing import Any

SIMPLE_KEYS = {"TAG", "LOWER", "IS_SPACE"}


class FastAttributeRuler:
    """Callable pipeline component built from an existing ``AttributeRuler``."""

    def __init__(self, ruler: Any) -> None:
        from spacy.matcher import Matcher

        self.attrs = list(ruler.attrs)
        self.indices = list(ruler.indices)
        self.index: dict[tuple[str, Any], list[tuple[int, dict]]] = {}
        self.matcher = Matcher(ruler.vocab, validate=False)
        has_complex = False
        for attr_id, entry in enumerate(ruler.patterns):
            for pattern in entry["patterns"]:
                if any("DEP" in token for token in pattern):
                    continue  # no parser: DEP is never set, so these never match
                if (
                    len(pattern) == 1
                    and set(pattern[0]) <= SIMPLE_KEYS
                    and all(isinstance(v, (str, bool)) for v in pattern[0].values())
                ):
                    constraints = dict(pattern[0])
                    key = next(iter(sorted(constraints.items(), key=lambda kv: kv[0] != "LOWER")))
                    self.index.setdefault(key, []).append((attr_id, constraints))
                else:
                    self.matcher.add(str(attr_id), [pattern])
                    has_complex = True
        self.has_complex = has_complex

    def __call__(self, doc: Any) -> Any:
        from spacy.tokens._retokenize import set_token_attrs

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
