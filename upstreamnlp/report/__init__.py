"""Stage 6: the report. ``report.html`` (one self-contained page), the figures (PNG and
SVG) and the REFI-QDA exports (``codebook.qdc``, ``project.qdpx``), built from the files
of a run folder so they can be rebuilt without re-running."""

from __future__ import annotations

from upstreamnlp.report.figures import figure_name, save_figure
from upstreamnlp.report.html import write_report
from upstreamnlp.report.qdpx import emergent_codes, export_qdc, export_qdpx, read_qdpx

__all__ = [
    "emergent_codes",
    "export_qdc",
    "export_qdpx",
    "figure_name",
    "read_qdpx",
    "save_figure",
    "write_report",
]
