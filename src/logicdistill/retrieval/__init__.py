"""Retrieval of the top-K functions of a stage for a query (instruction + stage + state text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from logicdistill.errors import UserInputError
from logicdistill.functions import FunctionBase, FunctionSpec

Hit = tuple[str, float]  # function name, score (higher is better)


@dataclass(frozen=True)
class Query:
    """A retrieval query in fields: the instruction, the stage, and the state summary.

    Lexical retrievers read the joined text; the dense one embeds each field separately and sums,
    so the fixed fields are encoded once and only the short state summary costs time per step.
    """

    fields: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.fields)


def document_text(spec: FunctionSpec) -> str:
    """What a retriever indexes for a function: its readable name and its manual."""
    # Known weakness, not defended yet: a manual stuffed with the words of the state descriptions
    # wins retrieval everywhere. One admitted target function whose manual was every word of the
    # pursuit sample states' text (within the 1,500-character cap) ranked first for 96 of 96 sample
    # decisions with bm25 and 89 of 96 with dense, and in the top 3 for all. Admission checks a
    # manual's length and characters (functions/hygiene.py), not its honesty; a ranking defence
    # (e.g. penalising a document that matches every query of its stage) is left for later.
    return f"{spec.name.replace('_', ' ')}: {spec.manual.text()}"


def top_k(names: list[str], scores: np.ndarray, k: int) -> list[Hit]:
    """The ``k`` best names, best first; equal scores keep the base's order."""
    order = np.argsort(-scores, kind="stable")[:k]
    return [(names[i], float(scores[i])) for i in order]


class Retriever(Protocol):
    name: str

    def index(self, base: FunctionBase) -> None:
        """(Re)build the index for a base; cheap when the base's content was indexed before."""

    def search(self, queries: list[Query], stage: str, k: int) -> list[list[Hit]]:
        """Top-``k`` functions of ``stage`` for each query, best first."""


def make_retriever(kind: str) -> Retriever:
    if kind == "dense":
        from logicdistill.retrieval.dense import DenseRetriever

        return DenseRetriever()
    if kind == "bm25":
        from logicdistill.retrieval.bm25 import BM25Retriever

        return BM25Retriever()
    raise UserInputError(f"unknown retriever {kind!r}; choose dense or bm25")
