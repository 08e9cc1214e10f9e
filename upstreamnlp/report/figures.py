"""Saving figures for the report: PNG (embedded in ``report.html``) and SVG (for papers).

Files are byte-identical across re-runs: the SVG id salt is fixed and no date or
software version is written into either file, so a run folder can be diffed.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from upstreamnlp.errors import UpstreamError  # noqa: E402

PNG_DPI = 120
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def figure_name(*parts: object) -> str:
    """A safe file stem from parts such as ``("prevalence", "role")``: characters other
    than letters, digits, '-', '_' and '.' become '_' (group names can hold anything)."""
    joined = "_".join(str(p) for p in parts if str(p) != "")
    safe = re.sub(r"[^A-Za-z0-9_.\-]+", "_", joined).strip("._") or "figure"
    return safe


def save_figure(fig: Figure, folder: str | Path, name: str) -> dict[str, Path]:
    """Write ``name.png`` (dpi 120) and ``name.svg`` into ``folder`` and close the figure.

    Returns ``{"png": path, "svg": path}``. Deterministic: same figure, same bytes.
    """
    if not _NAME_RE.match(name):
        raise UpstreamError(
            f"figure name {name!r} is not a safe file name",
            where="save_figure",
            fix="use letters, digits, '_', '-' and '.'; figure_name(...) builds one",
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"png": folder / f"{name}.png", "svg": folder / f"{name}.svg"}
    try:
        with matplotlib.rc_context({"svg.hashsalt": "upstreamnlp", "svg.fonttype": "path"}):
            # tight: axis labels and legends outside the axes are never cut off
            fig.savefig(
                paths["png"],
                dpi=PNG_DPI,
                metadata={"Software": None},
                bbox_inches="tight",
                pad_inches=0.1,
            )
            fig.savefig(
                paths["svg"],
                metadata={"Date": None, "Creator": None},
                bbox_inches="tight",
                pad_inches=0.1,
            )
    finally:
        plt.close(fig)
    return paths
