"""The faiss index returns what ranking numpy scores with ``top_k`` returns."""

from __future__ import annotations

import numpy as np
import pytest

from logicdistill.retrieval import top_k
from logicdistill.retrieval.flat_index import FlatIndex


def unit_rows(rng: np.random.Generator, n: int, dim: int = 16) -> np.ndarray:
    rows = rng.standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.mark.parametrize("n_queries", [1, 32])  # faiss switches to BLAS from 20 queries
@pytest.mark.parametrize("k", [1, 5, 50])
def test_matches_top_k_over_numpy_scores(n_queries, k):
    rng = np.random.default_rng(k + n_queries)
    vectors, queries = unit_rows(rng, 300), unit_rows(rng, n_queries)
    names = [f"f{i}" for i in range(300)]
    scores, rows = FlatIndex(vectors).search(queries, k)
    for query, row_scores, row_ids in zip(queries, scores, rows):
        expected = top_k(names, query @ vectors.T, k)
        assert [names[i] for i in row_ids] == [n for n, _ in expected]
        np.testing.assert_allclose(row_scores, [s for _, s in expected], atol=1e-5)


@pytest.mark.parametrize("k, returned", [(0, 0), (3, 3), (7, 7), (100, 7)])
def test_returns_at_most_the_indexed_rows(k, returned):
    rng = np.random.default_rng(0)
    scores, rows = FlatIndex(unit_rows(rng, 7)).search(unit_rows(rng, 2), k)
    assert scores.shape == rows.shape == (2, returned)
    assert sorted(rows[0]) == sorted(set(rows[0])) and (rows >= 0).all()
