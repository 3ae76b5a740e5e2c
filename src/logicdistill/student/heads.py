"""Keys and values of prompt heads, read once with the student's base weights.

Every decision of a stage with the same candidates shares one head (instruction, stage, manuals:
``prompts.Prompt``); only its tail (state, previews) differs. The head is always read with the
*base* weights, in training as in use, so its keys and values never change while an adapter
trains, are computed once per head for a whole training run, and are the same for every student
trained from one base model.
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import nullcontext

import torch

# per layer: keys and values, each [1, kv_heads, tokens, head_dim]
KV = list[tuple[torch.Tensor, torch.Tensor]]


class HeadCache:
    """The last ``capacity`` heads read, least recently used evicted first (a head of 400
    tokens of the 135M student takes 18 MB in fp32)."""

    def __init__(self, capacity: int = 16):
        self.capacity = capacity
        self.entries: OrderedDict[tuple[int, ...], KV] = OrderedDict()

    def clear(self) -> None:
        self.entries.clear()

    def get(self, model: torch.nn.Module, ids: list[int], device: torch.device) -> KV:
        """The keys and values of ``ids`` under ``model`` run with its adapter (if any) off."""
        key = tuple(ids)
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key]
        kv = read_head(model, ids, device)
        self.entries[key] = kv
        while len(self.entries) > self.capacity:
            self.entries.popitem(last=False)
        return kv


def read_head(model: torch.nn.Module, ids: list[int], device: torch.device) -> KV:
    """One forward pass over a head with the base weights: a peft model's adapters are disabled."""
    base = model.disable_adapter() if hasattr(model, "disable_adapter") else nullcontext()
    with torch.no_grad(), base:
        out = model(input_ids=torch.tensor([ids], device=device), use_cache=True)
    return [(layer.keys.detach(), layer.values.detach()) for layer in out.past_key_values.layers]


def head_cache(kv: KV, rows: int, config):
    """A DynamicCache holding ``kv`` for ``rows`` rows; the forward pass appends to new tensors,
    so the kept head is never modified."""
    from transformers import DynamicCache

    data = [(k.expand(rows, -1, -1, -1), v.expand(rows, -1, -1, -1)) for k, v in kv]
    return DynamicCache(ddp_cache_data=data, config=config)
