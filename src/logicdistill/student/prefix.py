"""Keys and values of prompt prefixes, kept between scoring calls.

Selection prompts begin with the same system line, instruction, stage and often the same candidate
list, and differ only in the state near their end. Keeping the keys and values of a prefix already
read turns every later prompt that starts the same way into a short one. The reuse is exact: a
token's keys and values depend only on the tokens before it, and positions are kept.
The entries belong to one set of weights: call ``clear()`` after changing them (training).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

# per layer: keys and values, each [1, kv_heads, tokens, head_dim]
KV = list[tuple[torch.Tensor, torch.Tensor]]


@dataclass
class _Entry:
    ids: np.ndarray  # [tokens]
    kv: KV


class PrefixCache:
    """A few prefixes, least recently used evicted first (an entry of 500 tokens of the 135M
    student takes 23 MB)."""

    def __init__(self, capacity: int = 8, min_new: int = 16):
        self.capacity = capacity
        self.min_new = min_new  # storing fewer new tokens than this is not worth a copy
        self.entries: list[_Entry] = []  # most recently used last

    def clear(self) -> None:
        self.entries.clear()

    def lookup(self, ids: list[int]) -> tuple[int, KV | None]:
        """How many leading tokens of ``ids`` have cached keys and values, and those."""
        if not self.entries or not ids:
            return 0, None
        query = np.asarray(ids)
        lengths = [_common_length(e.ids, query) for e in self.entries]
        best = int(np.argmax(lengths))
        n = lengths[best]
        if n == 0:
            return 0, None
        self.entries.append(self.entries.pop(best))
        return n, [(k[:, :, :n], v[:, :, :n]) for k, v in self.entries[-1].kv]

    def store(self, ids: list[int], reused: int, cache) -> None:
        """Keep the keys and values of ``ids`` from ``cache``, the DynamicCache of a pass over one
        row that reused the first ``reused`` of them and fed the rest, unpadded, right after."""
        if len(ids) - reused < self.min_new:
            return
        n = len(ids)
        kv = [(lay.keys[:, :, :n].clone(), lay.values[:, :, :n].clone()) for lay in cache.layers]
        key = np.asarray(ids)
        # an entry that is a prefix of the new one is covered by it
        self.entries = [e for e in self.entries if _common_length(e.ids, key) < len(e.ids)]
        self.entries.append(_Entry(key, kv))
        del self.entries[: -self.capacity]


def common_prefix(seqs: list[list[int]]) -> list[int]:
    """The longest list every one of ``seqs`` starts with."""
    first = np.asarray(seqs[0])
    n = min(_common_length(first, np.asarray(s)) for s in seqs)
    return seqs[0][:n]


def _common_length(a: np.ndarray, b: np.ndarray) -> int:
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if len(differ) else n
