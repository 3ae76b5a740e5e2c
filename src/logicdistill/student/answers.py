"""A closed set of answers as a tree of tokens, scored as constrained decoding would choose them.

The student may only answer one of the candidates, so its choice is what decoding restricted to
the candidates' token sequences would produce: wherever the sequences part (a *branch*), the next
token is drawn among the branch's tokens only, and a candidate's probability is the product of its
token's share at every branch on its way. Tokens no other candidate shares at that point are
forced and cost nothing to read. Names usually differ from their first token (``block_exit`` vs
``direct_chase``): then one column of logits, the prompt's last, decides, and no answer token is
fed at all. Training and scoring both use this, so what is trained is what is scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch

from logicdistill.student.prompts import answer_texts


@dataclass(frozen=True)
class Branch:
    depth: int  # the answer token decided here (0: the first)
    tokens: tuple[int, ...]  # the tokens the candidates continue with here
    own: int  # which of them is this answer's


@dataclass(frozen=True)
class AnswerPath:
    tokens: list[int]  # the answer's tokens
    branches: list[Branch]  # where it parts from other candidates, shallowest first

    @property
    def fed(self) -> list[int]:
        """The tokens to feed: those before its deepest branch (the logits that decide a branch
        come from the token before it)."""
        return self.tokens[: self.branches[-1].depth] if self.branches else []


def answer_paths(tokenizer, names: list[str]) -> list[AnswerPath]:
    """Each candidate's tokens and branches, in the order given."""
    return list(_paths(tokenizer, tuple(names)))


@lru_cache(maxsize=1024)
def _paths(tokenizer, names: tuple[str, ...]) -> tuple[AnswerPath, ...]:
    """Kept per candidate list: every decision of a stage with the same candidates (the agent lists
    them in base order) and every training example would otherwise tokenize the names again."""
    ids = [tokenizer(t, add_special_tokens=False).input_ids for t in answer_texts(tokenizer, list(names))]
    paths = []
    for mine in ids:
        branches = []
        for depth in range(len(mine)):
            here = sorted({o[depth] for o in ids if len(o) > depth and o[:depth] == mine[:depth]})
            if len(here) > 1:
                branches.append(Branch(depth, tuple(here), here.index(mine[depth])))
        paths.append(AnswerPath(mine, branches))
    return tuple(paths)


def branch_log_probs(
    logits: torch.Tensor, rows: torch.Tensor, columns: torch.Tensor, tokens: list[tuple[int, ...]], own: torch.Tensor
) -> torch.Tensor:
    """For branches read at ``logits[rows, columns]`` (``logits``: [batch, columns, vocab]), the
    log-probability of each ``own`` token among that branch's ``tokens``: [branches]."""
    width = max(len(t) for t in tokens)
    ids = torch.zeros((len(tokens), width), dtype=torch.long, device=logits.device)
    valid = torch.zeros((len(tokens), width), dtype=torch.bool, device=logits.device)
    for i, t in enumerate(tokens):
        ids[i, : len(t)] = torch.tensor(t, device=logits.device)
        valid[i, : len(t)] = True
    picked = (
        logits[rows[:, None], columns[:, None], ids].float().masked_fill(~valid, float("-inf"))
    )  # [branches, width]
    return picked.log_softmax(-1).gather(1, own[:, None]).squeeze(1)
