"""The cluster bootstrap shared by theme prevalence (``compare.prevalence``) and agreement
with human coding (``themes.validation.kappa_interval``): whole units (documents) are drawn
with replacement, because segments of one interview or paper are not independent
(Davison & Hinkley 1997, section 3.8; Field & Welsh 2007)."""

from __future__ import annotations

import numpy as np


def resampled_sums(
    per_unit: np.ndarray, n_boot: int, rng: np.random.Generator, block: int = 500
) -> np.ndarray:
    """Column sums of ``per_unit`` (units x values) over ``n_boot`` resamples of its rows
    drawn with replacement: an array of n_boot x values. Drawn ``block`` resamples at a time
    (the same draws as all at once) to bound memory."""
    per_unit = np.asarray(per_unit, dtype=float)
    n = len(per_unit)
    sums = np.empty((n_boot, per_unit.shape[1]))
    for start in range(0, n_boot, block):
        size = min(block, n_boot - start)
        picks = rng.integers(0, n, size=(size, n))
        sums[start : start + size] = per_unit[picks].sum(axis=1)
    return sums


def percentile_interval(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The percentile interval (Efron & Tibshirani 1993, ch. 13) of resampled ``values``
    (resamples along axis 0) at ``level`` (e.g. 0.95): (low, high)."""
    alpha = (1.0 - level) / 2.0
    return np.quantile(values, alpha, axis=0), np.quantile(values, 1.0 - alpha, axis=0)
