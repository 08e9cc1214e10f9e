"""Figures for group comparisons; each returns a matplotlib Figure (saved by the report)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def fightin_words_plot(vocabulary: pd.DataFrame, group, n_labels: int = 12):
    """Monroe et al. (2008) style scatter: term frequency (log) against z, the most
    distinctive terms in each direction labelled."""
    data = vocabulary[vocabulary["group"] == group]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if data.empty:
        ax.text(0.5, 0.5, "no terms", ha="center")
        return fig
    freq = data["count"] + data["count_rest"]
    ax.scatter(
        freq,
        data["z"],
        s=8,
        c=np.where(data["z"] > 1.96, "#b2182b", np.where(data["z"] < -1.96, "#2166ac", "#bbbbbb")),
    )
    ax.set_xscale("log")
    ax.axhline(1.96, color="#999", lw=0.6, ls="--")
    ax.axhline(-1.96, color="#999", lw=0.6, ls="--")
    for _, row in pd.concat(
        [data.nlargest(n_labels, "z"), data.nsmallest(n_labels // 2, "z")]
    ).iterrows():
        ax.annotate(str(row["term"]), (row["count"] + row["count_rest"], row["z"]), fontsize=7)
    ax.set_xlabel("term frequency (whole corpus, log scale)")
    ax.set_ylabel(f"z-score: {group} vs rest")
    ax.set_title(f"Distinctive vocabulary: {group}")
    fig.tight_layout()
    return fig


def prevalence_plot(prev: pd.DataFrame, title: str = "Prevalence by group"):
    """Grouped bars of share per label and group with bootstrap intervals."""
    groups = list(dict.fromkeys(prev["group"]))
    labels = list(dict.fromkeys(prev["label"]))
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(labels) * max(1, len(groups)) / 2), 4))
    width = 0.8 / max(len(groups), 1)
    x = np.arange(len(labels))
    for i, group in enumerate(groups):
        part = prev[prev["group"] == group].set_index("label").reindex(labels)
        err = np.vstack([part["share"] - part["ci_low"], part["ci_high"] - part["share"]])
        ax.bar(
            x + i * width - 0.4 + width / 2,
            part["share"],
            width,
            yerr=err,
            capsize=2,
            label=str(group),
        )
    ax.set_xticks(x)
    ax.set_xticklabels([str(v) for v in labels], rotation=30, ha="right")
    ax.set_ylabel("share of segments (95% CI, documents resampled)")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def divergence_heatmap(matrix: pd.DataFrame, title: str = "Jensen-Shannon divergence"):
    """Heatmap of a square divergence matrix, values printed in the cells."""
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * len(matrix), 1 + 0.6 * len(matrix)))
    im = ax.imshow(matrix.to_numpy(), cmap="viridis", vmin=0)
    ax.set_xticks(range(len(matrix)))
    ax.set_xticklabels(matrix.columns, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(len(matrix)))
    ax.set_yticklabels(matrix.index, fontsize=8)
    for i in range(len(matrix)):
        for j in range(len(matrix)):
            ax.text(
                j, i, f"{matrix.iat[i, j]:.2f}", ha="center", va="center", fontsize=7, color="w"
            )
    fig.colorbar(im, ax=ax, shrink=0.8, label="JSD (bits)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
