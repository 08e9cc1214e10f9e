"""Figures for group comparisons; each returns a matplotlib Figure (saved by the report)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def fightin_words_plot(vocabulary: pd.DataFrame, group, n_labels: int = 12):
    """Monroe et al. (2008) style scatter: term frequency (log) against z, the most
    distinctive terms in each direction labelled (labels nudged apart so none overlap)."""
    from matplotlib.ticker import LogLocator, NullFormatter, StrMethodFormatter

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
    # plain numbers on the log axis (6, 10, 20, 50), not 6x10^0
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.axhline(1.96, color="#999", lw=0.6, ls="--")
    ax.axhline(-1.96, color="#999", lw=0.6, ls="--")
    labelled = pd.concat([data.nlargest(n_labels, "z"), data.nsmallest(n_labels // 2, "z")])
    labelled = labelled[~labelled.index.duplicated()]
    labels = [
        ax.annotate(
            str(row["term"]),
            (row["count"] + row["count_rest"], row["z"]),
            xytext=(3, 2),
            textcoords="offset points",
            fontsize=7,
        )
        for _, row in labelled.iterrows()
    ]
    ax.set_xlabel("term frequency (whole corpus, log scale)")
    ax.set_ylabel(f"z-score: {group} vs rest")
    ax.set_title(f"Distinctive vocabulary: {group}")
    fig.tight_layout()
    separate_labels(fig, labels)
    return fig


def separate_labels(fig, labels, step: float = 2.0, tries: int = 60) -> None:
    """Nudge text annotations (``textcoords="offset points"``) up or down until no two
    overlap, the strongest first keeping its place; a nudged label gets a thin leader
    line to its point. Deterministic; a simple stand-in for adjustText."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    placed = []
    for label in labels:
        x0, y0 = label.xyann
        box = label.get_window_extent(renderer).padded(2)
        for attempt in range(tries):
            if not any(box.overlaps(other) for other in placed):
                break
            # alternate above and below, further each time
            sign = 1 if attempt % 2 == 0 else -1
            label.xyann = (x0, y0 + sign * step * (attempt // 2 + 1) * 2)
            box = label.get_window_extent(renderer).padded(2)
        if label.xyann != (x0, y0):
            label.axes.annotate(
                "",
                label.xy,
                xytext=label.xyann,
                textcoords="offset points",
                arrowprops={"arrowstyle": "-", "color": "#999", "lw": 0.5},
            )
        placed.append(box)


def prevalence_plot(prev: pd.DataFrame, title: str = "Prevalence by group"):
    """Grouped bars of share per label and group with bootstrap intervals; one distinct
    colour per group (tab10, or tab20 for more than ten groups), the legend outside the
    axes."""
    groups = list(dict.fromkeys(prev["group"]))
    labels = list(dict.fromkeys(prev["label"]))
    width_in = min(16.0, max(6.0, 0.28 * len(labels) * max(1, len(groups)) + 2))
    fig, ax = plt.subplots(figsize=(width_in, 4))
    width = 0.8 / max(len(groups), 1)
    x = np.arange(len(labels))
    palette = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20")
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
            color=palette(i % palette.N),
        )
    ax.set_xticks(x)
    ax.set_xticklabels([str(v) for v in labels], rotation=30, ha="right")
    ax.set_ylabel("share of segments\n(95% CI, documents resampled)")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
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
