"""BM25 retrieval over the manuals (``bm25s``): no model, a lexical baseline for the dense one."""

from __future__ import annotations

import bm25s
import numpy as np

from logicdistill.errors import UserInputError
from logicdistill.functions import FunctionBase
from logicdistill.retrieval import Hit, Query, document_text, top_k


class BM25Retriever:
    name = "bm25"

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {}
        self.models: dict[str, bm25s.BM25] = {}

    def index(self, base: FunctionBase) -> None:
        self.names, self.models = {}, {}
        for stage in dict.fromkeys(f.stage for f in base.functions):
            specs = base.by_stage(stage)
            model = bm25s.BM25()
            model.index(
                bm25s.tokenize([document_text(f) for f in specs], stopwords="en", show_progress=False),
                show_progress=False,
            )
            self.names[stage], self.models[stage] = [f.name for f in specs], model

    def search(self, queries: list[Query], stage: str, k: int) -> list[list[Hit]]:
        if stage not in self.names:
            raise UserInputError(f"the indexed base has no functions for stage {stage!r}")
        model, names = self.models[stage], self.names[stage]
        out = []
        for query in queries:
            tokens = bm25s.tokenize([query.text], stopwords="en", show_progress=False, return_ids=False)[0]
            # a query of stopwords only matches nothing: every function scores zero
            scores = np.asarray(model.get_scores(tokens), dtype=float) if tokens else np.zeros(len(names))
            out.append(top_k(names, scores, k))
        return out
