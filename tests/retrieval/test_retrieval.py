"""Both retrievers on a small hand-built base whose manuals leave no doubt about the best match."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_spec as spec

from logicdistill.errors import UserInputError
from logicdistill.functions import FunctionBase
from logicdistill.retrieval import Query, document_text, make_retriever, top_k
from logicdistill.retrieval.bm25 import BM25Retriever
from logicdistill.retrieval.dense import DenseRetriever

KINDS = ["dense", "bm25"]
STAGE = "strategy"
OTHER_STAGE = "move"


def hand_built_base() -> FunctionBase:
    return FunctionBase(
        task="pursuit",
        functions=(
            spec(
                "chase_evader",
                "Run straight at the evader and chase it down as fast as possible.",
                "the evader is close and running in the open.",
            ),
            # In another stage, worded like the door query: it must never be returned for STAGE.
            spec(
                "guard_door_step",
                "Step into the doorway to guard the door of the room.",
                "guarding a door so nobody leaves the room.",
                stage=OTHER_STAGE,
            ),
            spec(
                "guard_door",
                "Stand in the doorway and guard the door so nobody can leave the room.",
                "the evader is inside a room with a single door.",
            ),
            spec(
                "flee_to_corner",
                "Retreat and flee into the nearest corner to hide.",
                "I am in danger and must escape to a corner.",
            ),
        ),
    )


STAGE_NAMES = ["chase_evader", "guard_door", "flee_to_corner"]

QUERIES = [
    ("chase the evader down, run at it", "chase_evader"),
    ("guard the door of the room so nobody can leave", "guard_door"),
    ("flee and hide in a corner", "flee_to_corner"),
]


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    """Keeps the dense embedding cache inside the test's own directory."""
    monkeypatch.setenv("LOGICDISTILL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def query(*fields: str) -> Query:
    return Query(fields=fields)


def indexed(kind: str, base: FunctionBase | None = None):
    retriever = make_retriever(kind)
    retriever.index(base or hand_built_base())
    return retriever


@pytest.mark.parametrize("kind", KINDS)
def test_make_retriever_builds_the_named_kind(kind, cache_root):
    retriever = make_retriever(kind)
    assert retriever.name == kind
    assert isinstance(retriever, {"dense": DenseRetriever, "bm25": BM25Retriever}[kind])


@pytest.mark.parametrize("name", ["", "tfidf", "Dense", "bm-25"])
def test_make_retriever_rejects_unknown_names(name):
    with pytest.raises(UserInputError, match="unknown retriever .*choose dense or bm25"):
        make_retriever(name)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("text, expected", QUERIES, ids=[e for _, e in QUERIES])
def test_top_1_is_the_function_the_query_describes(kind, text, expected, cache_root):
    (hits,) = indexed(kind).search([query(text)], STAGE, k=1)
    assert [name for name, _ in hits] == [expected]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("text, expected", QUERIES, ids=[e for _, e in QUERIES])
def test_multi_field_query_is_ranked_by_its_distinctive_field(kind, text, expected, cache_root):
    shared = ("You command one pursuer of a team on a grid with walls.", "Stage: choose the cell to head for.")
    (hits,) = indexed(kind).search([query(*shared, text)], STAGE, k=1)
    assert hits[0][0] == expected


def test_query_text_joins_its_fields_by_lines():
    assert query("rules", "stage", "state").text == "rules\nstage\nstate"


@pytest.mark.parametrize("kind", KINDS)
def test_batched_queries_each_get_their_own_ranking(kind, cache_root):
    results = indexed(kind).search([query(q) for q, _ in QUERIES], STAGE, k=3)
    assert [hits[0][0] for hits in results] == [e for _, e in QUERIES]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("k", [0, 1, 2, 3, 10])
def test_top_k_returns_min_of_k_and_stage_size_sorted_by_score(kind, k, cache_root):
    (hits,) = indexed(kind).search([query(QUERIES[1][0])], STAGE, k=k)
    assert len(hits) == min(k, len(STAGE_NAMES))
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(score, float) for score in scores)
    assert len({name for name, _ in hits}) == len(hits)


@pytest.mark.parametrize("kind", KINDS)
def test_search_only_returns_functions_of_the_requested_stage(kind, cache_root):
    retriever = indexed(kind)
    (hits,) = retriever.search([query("guard the door of the room")], STAGE, k=10)
    assert sorted(name for name, _ in hits) == sorted(STAGE_NAMES)
    (hits,) = retriever.search([query("guard the door of the room")], OTHER_STAGE, k=10)
    assert [name for name, _ in hits] == ["guard_door_step"]


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_stage_is_a_user_input_error(kind, cache_root):
    with pytest.raises(UserInputError, match="no functions for stage 'target'"):
        indexed(kind).search([query("anything")], "target", k=3)


@pytest.mark.parametrize("kind", KINDS)
def test_search_before_index_is_a_user_input_error(kind, cache_root):
    with pytest.raises(UserInputError, match="no functions for stage"):
        make_retriever(kind).search([query("anything")], STAGE, k=3)


@pytest.mark.parametrize("kind", KINDS)
def test_reindexing_replaces_the_previous_base(kind, cache_root):
    retriever = indexed(kind)
    only_move = FunctionBase(task="pursuit", functions=(hand_built_base().get("guard_door_step"),))
    retriever.index(only_move)
    with pytest.raises(UserInputError):
        retriever.search([query("guard the door")], STAGE, k=3)
    (hits,) = retriever.search([query("guard the door")], OTHER_STAGE, k=3)
    assert [name for name, _ in hits] == ["guard_door_step"]


@pytest.mark.parametrize(
    "kind",
    ["dense", "bm25"],
)
@pytest.mark.parametrize("text", ["", "the of and"], ids=["empty", "stopwords"])
def test_a_query_without_content_words_still_returns_hits(kind, text, cache_root):
    (hits,) = indexed(kind).search([query(text)], STAGE, k=2)
    assert len(hits) == 2


def test_dense_scores_are_cosine_similarities(cache_root):
    (hits,) = indexed("dense").search([query(QUERIES[0][0])], STAGE, k=3)
    assert all(-1.0 - 1e-5 <= score <= 1.0 + 1e-5 for _, score in hits)


def test_bm25_gives_zero_to_a_query_sharing_no_words(cache_root):
    (hits,) = indexed("bm25").search([query("zebra xylophone")], STAGE, k=3)
    assert [score for _, score in hits] == [0.0, 0.0, 0.0]
    assert [name for name, _ in hits] == STAGE_NAMES  # ties keep the base's order


def test_document_text_has_readable_name_and_manual():
    text = document_text(hand_built_base().get("flee_to_corner"))
    assert text.startswith("flee to corner: Retreat and flee")
    assert "When to use: I am in danger" in text


def test_top_k_helper_breaks_ties_by_position():
    assert top_k(["a", "b", "c"], np.array([1.0, 2.0, 1.0]), 3) == [("b", 2.0), ("a", 1.0), ("c", 1.0)]
