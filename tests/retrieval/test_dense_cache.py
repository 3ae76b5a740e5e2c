"""The dense retriever's on-disk embedding cache, keyed by the base's content fingerprint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import make_spec as spec

from logicdistill.functions import FunctionBase
from logicdistill.retrieval import Query
from logicdistill.retrieval.dense import DenseRetriever

QUERY = "guard the door of the room"
INSTRUCTION = "You command one pursuer of a team on a grid with walls."


def small_base() -> FunctionBase:
    return FunctionBase(
        task="pursuit",
        functions=(
            spec("chase_evader", "Chase the evader down.", "it is close."),
            spec("guard_door", "Guard the door of the room.", "it is inside a room."),
            spec("flee_to_corner", "Flee into a corner.", "I am in danger."),
        ),
    )


def count_encode_calls(retriever: DenseRetriever, monkeypatch) -> list[list[str]]:
    """Records the texts of every ``encode`` call on this instance; the real model still runs."""
    calls: list[list[str]] = []
    real = retriever.encode

    def counting(texts):
        calls.append(list(texts))
        return real(texts)

    monkeypatch.setattr(retriever, "encode", counting)
    return calls


def cache_file(cache_root: Path, retriever: DenseRetriever, base: FunctionBase) -> Path:
    (path,) = (cache_root / "embeddings").glob(f"*{base.fingerprint}*.npy")
    assert path.name == f"{Path(retriever.model_path).name}-{base.fingerprint}.npy"
    return path


@pytest.fixture
def cache_root(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LOGICDISTILL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_index_writes_normalised_embeddings_keyed_by_fingerprint(cache_root):
    base = small_base()
    retriever = DenseRetriever()  # cache location taken from $LOGICDISTILL_CACHE
    assert retriever.cache == cache_root / "embeddings"
    retriever.index(base)
    vectors = np.load(cache_file(cache_root, retriever, base))
    assert vectors.shape[0] == 3 and vectors.shape[1] > 0
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert not list((cache_root / "embeddings").glob("*.tmp"))


def test_explicit_cache_argument_wins_over_the_environment(cache_root, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    DenseRetriever(cache=elsewhere).index(small_base())
    assert len(list((elsewhere / "embeddings").glob("*.npy"))) == 1
    assert not cache_root.exists()


def test_second_retriever_reuses_cached_document_embeddings(cache_root, monkeypatch):
    base = small_base()
    first = DenseRetriever()
    first_calls = count_encode_calls(first, monkeypatch)
    first.index(base)
    assert len(first_calls) == 1 and len(first_calls[0]) == 3  # the documents, once
    expected = first.search([Query((QUERY,))], "strategy", k=3)

    second = DenseRetriever()
    calls = count_encode_calls(second, monkeypatch)
    second.index(base)
    assert calls == []  # documents come from the cache
    results = second.search([Query((QUERY,))], "strategy", k=3)
    assert calls == [[QUERY]]  # only the query is encoded
    assert [n for n, _ in results[0]] == [n for n, _ in expected[0]]
    np.testing.assert_allclose([s for _, s in results[0]], [s for _, s in expected[0]], atol=1e-5)


def test_changed_base_gets_its_own_cache_entry(cache_root, monkeypatch):
    base = small_base()
    DenseRetriever().index(base)
    edited = base.with_functions([spec("flee_to_corner", "Run away to a far corner.", "I am outnumbered.")])
    assert edited.fingerprint != base.fingerprint
    retriever = DenseRetriever()
    calls = count_encode_calls(retriever, monkeypatch)
    retriever.index(edited)
    assert len(calls) == 1
    assert len(list((cache_root / "embeddings").glob("*.npy"))) == 2


def corrupt_garbage(path: Path) -> None:
    path.write_bytes(b"this is not a numpy file at all" * 4)


def corrupt_truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:150])


def corrupt_wrong_rows(path: Path) -> None:
    np.save(path, np.ones((2, 384), dtype=np.float32))


def corrupt_empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize(
    "corrupt",
    [
        corrupt_garbage,
        corrupt_truncated,
        corrupt_wrong_rows,
        corrupt_empty,
    ],
    ids=["garbage", "truncated", "wrong-rows", "empty"],
)
def test_corrupted_cache_file_is_rebuilt(cache_root, monkeypatch, corrupt):
    base = small_base()
    first = DenseRetriever()
    first.index(base)
    path = cache_file(cache_root, first, base)
    good = np.load(path)
    corrupt(path)

    retriever = DenseRetriever()
    calls = count_encode_calls(retriever, monkeypatch)
    retriever.index(base)
    assert len(calls) == 1 and len(calls[0]) == 3  # the documents were encoded again
    np.testing.assert_allclose(np.load(path), good, atol=1e-5)  # and the cache file is whole again
    (hits,) = retriever.search([Query((QUERY,))], "strategy", k=1)
    assert hits[0][0] == "guard_door"


def test_repeated_query_fields_are_encoded_once(cache_root, monkeypatch):
    retriever = DenseRetriever()
    retriever.index(small_base())
    calls = count_encode_calls(retriever, monkeypatch)
    retriever.search([Query((INSTRUCTION, "Stage: strategy", "the target is in a room"))], "strategy", k=1)
    retriever.search([Query((INSTRUCTION, "Stage: strategy", "the target is in a corner"))], "strategy", k=1)
    assert calls == [[INSTRUCTION, "Stage: strategy", "the target is in a room"], ["the target is in a corner"]]


def test_query_embedding_is_the_normalised_sum_of_field_embeddings(cache_root):
    retriever = DenseRetriever()
    fields = (INSTRUCTION, QUERY)
    (combined,) = retriever.embed_queries([Query(fields)])
    parts = retriever.encode(list(fields))
    expected = parts.sum(axis=0) / np.linalg.norm(parts.sum(axis=0))
    np.testing.assert_allclose(combined, expected, atol=1e-5)
    (single,) = retriever.embed_queries([Query((QUERY,))])
    np.testing.assert_allclose(single, parts[1], atol=1e-5)


def test_a_full_field_cache_starts_again_without_losing_the_fields_a_batch_needs(tmp_path: Path):
    """Regression: the cache was cleared after choosing what to encode, so fields of the batch that
    had been cached before were lost and the next lookup raised KeyError."""
    retriever = DenseRetriever(cache=tmp_path)
    retriever.index(small_base())
    retriever.field_cache_size = 3
    first = retriever.search([Query((INSTRUCTION, f"state {i}")) for i in range(4)], "strategy", 2)
    again = retriever.search([Query((INSTRUCTION, "state 0")), Query((INSTRUCTION, "state 9"))], "strategy", 2)
    assert [n for n, _ in again[0]] == [n for n, _ in first[0]]
    assert len(retriever.field_cache) == 3  # the cleared cache holds just this batch's 3 fields
