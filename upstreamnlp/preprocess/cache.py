"""On-disk cache of spaCy's per-document results, so a second run skips spaCy.

Keyed by the sha256 of the input text, the segment offsets and the settings that change
spaCy's output (pipeline name and version, de-identification settings, privacy-list hash).
Modelling settings (token filters, phrases, vocabulary) run after the cache and are not
in the key. An entry holds replacement spans and placeholders, de-identified speaker
labels and ``(lemma, pos, stop)`` tokens of non-replaced words: never the original text.

A second level keeps the modelling steps' output (tokens per segment and phrases) under
``<root>/tokens/``, keyed by the per-document keys and the modelling settings, so an
unchanged re-run skips phrase learning and vocabulary filtering as well.
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
        self.result_hit = False

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
        _write_atomic(self._path(key), value)

    def get_result(self, key: str) -> Any | None:
        """The modelling steps' output (tokens, phrases) stored under ``key``, if any."""
        if self.root is None:
            return None
        path = self.root.parent / "tokens" / f"{key}.pkl"
        try:
            with path.open("rb") as handle:
                value = pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a corrupt entry is recomputed and rewritten
            path.unlink(missing_ok=True)
            return None
        self.result_hit = True
        return value

    def put_result(self, key: str, value: Any) -> None:
        if self.root is None:
            return
        _write_atomic(self.root.parent / "tokens" / f"{key}.pkl", value)

    def info(self) -> dict[str, Any]:
        return {
            "dir": str(self.root) if self.root else None,
            "hits": self.hits,
            "misses": self.misses,
            "tokens_reused": self.result_hit,
        }


def _write_atomic(path: Path, value: Any) -> None:
    """Write then rename, so an interrupted run never leaves half an entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
