"""The dense retriever's faiss path: used only for stages above the threshold, and ranking
multi-field queries exactly as the numpy path does."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from helpers import make_spec as spec

from logicdistill.functions import FunctionBase
from logicdistill.retrieval import Query
from logicdistill.retrieval.dense import DenseRetriever

VERBS = ["Chase", "Guard", "Flank", "Ambush", "Shadow", "Corner", "Block", "Herd"]
OBJECTS = [
    "the nearest evader",
    "the door of the room",
    "the corridor exit",
    "the crossroads",
    "the evader with most territory",
    "the far corner",
]
CONDITIONS = [
    "the evader is close",
    "teammates pile up",
    "the step limit is near",
    "the map is open",
    "the evader has one exit",
]
INSTRUCTION = "You move one blue pursuer of a team on a grid with walls."
QUERIES = [
    Query((INSTRUCTION, "Stage strategy: choose the cell to head for", "evaders E0 d3 terr4 exits1", "target E0")),
    Query((INSTRUCTION, "Stage strategy: choose the cell to head for", "mates P1 d2, P2 d2", "target E1")),
    Query(("guard the door so nobody leaves the room",)),
    Query(("the step limit is near; chase",)),
]


@pytest.fixture(scope="module")
def base() -> FunctionBase:
    """240 strategy functions with distinct manuals and 40 move functions."""
    specs = [
        spec(f"{verb.lower()}_{i}", f"{verb} {obj}.", f"{condition}.")
        for i, (verb, obj, condition) in enumerate(itertools.product(VERBS, OBJECTS, CONDITIONS))
    ]
    moves = [
        spec(f"step_{i}", f"Step towards {obj}.", f"{condition}.", stage="move")
        for i, (obj, condition) in enumerate(itertools.product(OBJECTS[:4], CONDITIONS * 2))
    ]
    return FunctionBase(task="pursuit", functions=tuple(specs + moves))


def indexed(base: FunctionBase, faiss_above: int) -> DenseRetriever:
    retriever = DenseRetriever(faiss_above=faiss_above)
    retriever.index(base)
    return retriever


@pytest.mark.parametrize(
    "faiss_above, faiss_stages",
    [(2000, set()), (240, set()), (239, {"strategy"}), (40, {"strategy"}), (39, {"strategy", "move"})],
)
def test_faiss_only_for_stages_above_the_threshold(base, faiss_above, faiss_stages):
    assert set(indexed(base, faiss_above).indexes) == faiss_stages


def test_reindexing_a_small_base_drops_the_faiss_indexes(base):
    retriever = indexed(base, 39)
    retriever.index(FunctionBase(task="pursuit", functions=base.functions[:10]))
    assert retriever.indexes == {}


@pytest.mark.parametrize("stage", ["strategy", "move"])
@pytest.mark.parametrize("k", [0, 1, 5, 20])  # deeper, some scores differ by float rounding only
def test_faiss_ranking_equals_numpy_ranking(base, stage, k):
    exact, fast = indexed(base, 10**9), indexed(base, 0)
    assert stage in fast.indexes and not exact.indexes
    for numpy_hits, faiss_hits in zip(exact.search(QUERIES, stage, k), fast.search(QUERIES, stage, k)):
        assert [n for n, _ in faiss_hits] == [n for n, _ in numpy_hits] and len(faiss_hits) == k
        np.testing.assert_allclose([s for _, s in faiss_hits], [s for _, s in numpy_hits], atol=1e-5)
        assert all(isinstance(s, float) for _, s in faiss_hits)


def test_k_beyond_the_stage_returns_every_function_once(base):
    (hits,) = indexed(base, 0).search(QUERIES[:1], "move", 300)
    assert sorted(n for n, _ in hits) == sorted(f.name for f in base.by_stage("move"))
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
