"""Exact inner-product search with faiss, for stages with thousands of functions.

Scoring every function with numpy and sorting all the scores costs more per query as a stage
grows; faiss keeps only the best k while it scans. It is exact, so it returns what ``top_k`` over
numpy scores returns, up to float rounding and the order of equal scores, which embeddings of
distinct manuals practically never produce (benchmarks/retrieval_scale.py measures both).
"""

from __future__ import annotations

import faiss
import numpy as np


class FlatIndex:
    def __init__(self, vectors: np.ndarray):
        self.size = len(vectors)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and row numbers of the ``min(k, size)`` best rows for each query, best first."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        return self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
