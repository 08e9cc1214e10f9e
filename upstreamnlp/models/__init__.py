"""Stage 3: topic models (LDA, NMF, embedding clusters), metrics and k selection."""

from __future__ import annotations

from upstreamnlp.errors import UpstreamError
from upstreamnlp.models.base import TopicModel
from upstreamnlp.models.clusters import ClusterModel
from upstreamnlp.models.lda import LdaModel
from upstreamnlp.models.metrics import c_v, diversity, nmi, npmi, stability
from upstreamnlp.models.nmf import NmfModel

MODEL_KINDS: dict[str, type[TopicModel]] = {
    "lda": LdaModel,
    "nmf": NmfModel,
    "clusters": ClusterModel,
}


def make_model(kind: str, k: int, seed: int = 1, **params) -> TopicModel:
    """A model of ``kind`` (``lda``, ``nmf`` or ``clusters``) with ``k`` topics; ``params``
    are that kind's hyper-parameters (unknown ones raise ``UpstreamError``)."""
    import inspect

    if kind not in MODEL_KINDS:
        raise UpstreamError(
            f"unknown model kind {kind!r}",
            where="model.kind",
            fix=f"use one of {', '.join(MODEL_KINDS)}",
        )
    cls = MODEL_KINDS[kind]
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "k", "seed"}
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise UpstreamError(
            f"unknown parameter(s) {unknown} for model kind {kind!r}",
            where="model",
            fix=f"use only {sorted(accepted)}",
        )
    return cls(k=k, seed=seed, **params)


__all__ = [
    "ClusterModel",
    "LdaModel",
    "MODEL_KINDS",
    "NmfModel",
    "TopicModel",
    "c_v",
    "diversity",
    "make_model",
    "nmi",
    "npmi",
    "stability",
]
