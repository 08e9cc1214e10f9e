"""Choosing the number of topics k: fit each k with several seeds, score, pick by a rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from upstreamnlp.errors import UpstreamError
from upstreamnlp.models.base import TopicModel
from upstreamnlp.models.metrics import CoherenceReference, c_v, diversity, npmi, stability


@dataclass
class SweepResult:
    """``frame``: one row per k (``k``, ``npmi``, ``npmi_sd``, ``c_v``, ``diversity``,
    ``stability``; means over seeds); ``models``: the first seed's model for each k."""

    frame: pd.DataFrame
    models: dict[int, TopicModel] = field(default_factory=dict)


def sweep_k(
    docs: Sequence[Sequence[str]],
    texts: Sequence[str] | None,
    kind: str,
    ks: Sequence[int],
    seeds: Sequence[int] = (1, 2, 3),
    with_c_v: bool = True,
    **params,
) -> SweepResult:
    """Fit ``kind`` for each k and seed and score it: NPMI, C_V and diversity (means over
    seeds) and stability across seeds (Greene et al. 2014). ``with_c_v=False`` skips C_V,
    the slowest metric."""
    from upstreamnlp.models import make_model

    docs = [list(d) for d in docs]
    n_docs = sum(1 for d in docs if d)
    too_big = [k for k in ks if k > n_docs]
    if too_big:
        raise UpstreamError(
            f"k={too_big[0]} is more topics than the corpus has non-empty segments ({n_docs})",
            where="model.k",
            fix=f"choose k <= {n_docs}",
        )
    reference = CoherenceReference(docs)
    fit_kwargs = {}
    if kind == "clusters":  # embed once for every k and seed
        probe = make_model(kind, ks[0], seed=seeds[0], **params)
        fit_kwargs["embeddings"] = probe._embed(
            texts if texts is not None else [" ".join(d) for d in docs]
        )
    rows, models = [], {}
    for k in ks:
        fitted = [
            make_model(kind, k, seed=s, **params).fit(docs, texts, **fit_kwargs) for s in seeds
        ]
        models[k] = fitted[0]
        npmis = [npmi(m, reference) for m in fitted]
        rows.append(
            {
                "k": k,
                "npmi": float(np.mean(npmis)),
                "npmi_sd": float(np.std(npmis)),
                "c_v": float(np.mean([c_v(m, docs) for m in fitted])) if with_c_v else np.nan,
                "diversity": float(np.mean([diversity(m) for m in fitted])),
                "stability": stability(fitted)["mean"],
            }
        )
    return SweepResult(frame=pd.DataFrame(rows), models=models)


def choose_k(frame: pd.DataFrame) -> tuple[int, str]:
    """The k with the best mean rank over NPMI, diversity and stability (each ranked
    higher-is-better across the swept k; ties go to the smaller k, the simpler model to
    interpret). A rank sum weighs the three criteria equally without assuming their
    scales are comparable. Returns the k and a one-line reason."""
    if frame.empty:
        raise UpstreamError("no k was swept", where="model.k", fix="give at least one k")
    criteria = ["npmi", "diversity", "stability"]
    ranks = pd.DataFrame({c: frame[c].rank(ascending=False, method="average") for c in criteria})
    ranks["k"] = frame["k"].to_numpy()
    ranks["mean_rank"] = ranks[criteria].mean(axis=1)
    best = ranks.sort_values(["mean_rank", "k"]).iloc[0]
    k = int(best["k"])
    row = frame.loc[frame["k"] == k].iloc[0]
    alone = {
        c: int(frame.sort_values([c, "k"], ascending=[False, True]).iloc[0]["k"]) for c in criteria
    }
    reason = (
        f"k={k} has the best mean rank ({best['mean_rank']:.2f} of {len(frame)} k values) "
        f"over NPMI ({row['npmi']:.3f}), diversity ({row['diversity']:.3f}) and "
        f"stability ({row['stability']:.3f}); ties go to the smaller k. Each alone would "
        f"choose: NPMI k={alone['npmi']}, diversity k={alone['diversity']}, stability "
        f"k={alone['stability']}"
    )
    return k, reason


METRIC_TITLES = {
    "npmi": "NPMI coherence",
    "c_v": "C_V coherence",
    "diversity": "Topic diversity",
    "stability": "Stability across seeds",
}


def plot_k_selection(frame: pd.DataFrame, chosen_k: int | None = None):
    """Each metric against k in its own panel, the chosen k marked by a dashed line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [m for m in ("npmi", "c_v", "diversity", "stability") if frame[m].notna().any()]
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 3), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        ax.plot(frame["k"], frame[metric], marker="o", color="#1f4e79")
        if chosen_k is not None:
            ax.axvline(chosen_k, linestyle="--", color="#c0504d", label=f"chosen k={chosen_k}")
        ax.set_xlabel("k (topics)")
        ax.set_title(METRIC_TITLES[metric])
        ax.set_xticks(list(frame["k"]))
    if chosen_k is not None:
        axes[0][0].legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig
