"""Term counts per group, gathered in one pass over a stream of documents.

Vocabulary statistics need only counts, so a corpus larger than memory can be counted
from a generator: memory grows with the vocabulary and the number of groups, never with
the number of documents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field


@dataclass
class GroupTermCounts:
    """Counts of each term in each group, plus the number of documents per group."""

    counts: dict[Hashable, Counter] = field(default_factory=dict)
    documents: Counter = field(default_factory=Counter)

    def update(self, group: Hashable, tokens: Iterable[str]) -> None:
        """Add one document's tokens to ``group``."""
        counter = self.counts.get(group)
        if counter is None:
            counter = self.counts[group] = Counter()
        counter.update(tokens)
        self.documents[group] += 1

    @classmethod
    def from_stream(cls, pairs: Iterable[tuple[Hashable, Sequence[str]]]) -> GroupTermCounts:
        """Count ``(group, tokens)`` pairs from any iterable, in one pass."""
        result = cls()
        for group, tokens in pairs:
            if group is None or group != group:  # None or NaN: no group, not counted
                continue
            result.update(group, tokens)
        return result

    @property
    def groups(self) -> list:
        return sorted(self.counts, key=str)

    def total(self) -> Counter:
        """Counts over all groups (the corpus the prior is drawn from)."""
        total: Counter = Counter()
        for counter in self.counts.values():
            total.update(counter)
        return total

    def rest(self, group: Hashable) -> Counter:
        """Counts of every group except ``group``."""
        rest: Counter = Counter()
        for other, counter in self.counts.items():
            if other != group:
                rest.update(counter)
        return rest
