"""On-disk cache of spaCy's per-document results, so a second run skips spaCy.

Keyed by the sha256 of the input text, the segment offsets and the settings that change
spaCy's output (pipeline name and version, de-identification settings, privacy-list hash).
Modelling settings (token filters, phrases, vocabulary) run after the cache and are not
in the key. An entry holds replacement spans and placeholders, de-identified speaker
labels and ``(lemma, pos, stop)`` tokens of non-replaced words: never the original text.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    """``$UPSTREAMNLP_CACHE``, else ``.cache/upstreamnlp`` in the working directory."""
    env = os.environ.get("UPSTREAMNLP_CACHE")
    return Path(env) if env else Path.cwd() / ".cache" / "upstreamnlp"


def settings_hash(settings: dict[str, Any]) -> str:
    payload = json.dumps({"format": CACHE_FORMAT, **settings}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class SpacyCache:
    """Per-document entries under ``<root>/spacy/<2 hex>/<sha256>.pkl``; counts hits."""

    def __init__(self, root: str | Path | None) -> None:
        self.root = Path(root) / "spacy" if root is not None else None
        self.hits = 0
        self.misses = 0

    def key(self, text: str, offsets: list[tuple[int, int]], settings_key: str) -> str:
        digest = hashlib.sha256()
        digest.update(settings_key.encode("ascii"))
        digest.update(json.dumps(offsets).encode("ascii"))
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.pkl"

    def get(self, key: str) -> Any | None:
        if self.root is not None:
            path = self._path(key)
            try:
                with path.open("rb") as handle:
                    value = pickle.load(handle)
                self.hits += 1
                return value
            except FileNotFoundError:
                pass
            except Exception:  # noqa: BLE001 - a corrupt entry is a miss, rewritten below
                path.unlink(missing_ok=True)
        self.misses += 1
        return None

    def put(self, key: str, value: Any) -> None:
        if self.root is None:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # write then rename, so an interrupted run never leaves half an entry
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    def info(self) -> dict[str, Any]:
        return {
            "dir": str(self.root) if self.root else None,
            "hits": self.hits,
            "misses": self.misses,
        }
