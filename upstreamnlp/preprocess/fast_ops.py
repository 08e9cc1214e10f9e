"""Matrix products for spaCy's neural components through numpy's BLAS instead of blis.

thinc's ``NumpyOps.gemm`` calls blis, whose generic kernel is several times slower than
the OpenBLAS that numpy wheels ship: on the 2-core x86_64 machines we run on, a
(3000 x 288) by (288 x 288) float32 product takes 39 ms of CPU in blis and 12 ms in numpy
with one thread (``benchmarks/bench_preprocess.py`` has the pipeline-level figures).
tok2vec and the tagger spend most of their time in that product, so swapping it is the
largest single speed-up of preprocessing.

The arithmetic is the same float32 product; only the summation order inside the BLAS
kernel differs, which can move a score in the last bits. ``tests/test_preprocess.py``
checks that tags, lemmas and entities are identical to the stock pipeline's on sample
text. The transition-based parser and NER call blis directly from Cython for their
per-step products; those are unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy
from thinc.api import NumpyOps


class MatmulOps(NumpyOps):
    """``NumpyOps`` with ``gemm`` done by ``numpy.matmul`` (OpenBLAS)."""

    name = "numpy"

    def gemm(
        self,
        x: Any,
        y: Any,
        out: Any = None,
        trans1: bool = False,
        trans2: bool = False,
    ) -> Any:
        left = x.T if trans1 else x
        right = y.T if trans2 else y
        if out is None:
            return numpy.matmul(left, right)
        numpy.matmul(left, right, out=out)
        return out


_OPS = MatmulOps()


def use_fast_matmul(nlp: Any) -> None:
    """Point every thinc layer of ``nlp``'s trainable components at :class:`MatmulOps`."""
    for _name, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is None or not hasattr(model, "walk"):
            continue
        for node in model.walk():
            if isinstance(node.ops, NumpyOps):
                node.ops = _OPS
