"""Scoring candidate names as continuations of a prompt, reading each prompt once per decision.

A candidate's probability is what decoding restricted to the candidates would give it
(``answers.py``): only the tokens where names part matter, so usually the prompt's last column of
logits decides alone. A prompt's head (``prompts.Prompt``) is read once with the base weights and
kept (``heads.HeadCache``); prompts with the same head are scored together, and each tail and the
answer tokens that must be fed (those before a deeper branch, e.g. ``stand_on_1`` of
``stand_on_15``) share one row of one forward pass: ``[tail][answer 1][answer 2]...``. A custom 4D
attention mask lets every answer token see the head, the tail and its own answer's earlier tokens
only, and position ids restart at the tail's end for every answer, so each candidate is read
exactly as if it alone followed the prompt. Transformers uses a 4D mask as given
(``masking_utils._preprocess_mask_arguments``); the model must run sdpa attention, which
``load_student`` ensures.

Tails of a batch are left-padded so that they all end in the same column; the fed answer tokens
start right after, and only the logits from that column on are projected onto the vocabulary.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch

from logicdistill.student.answers import AnswerPath, answer_paths, branch_log_probs
from logicdistill.student.heads import KV, head_cache
from logicdistill.student.model import Student
from logicdistill.student.prompts import Prompt


@dataclass
class _Row:
    prompt: list[int]  # the tail's tokens
    answers: list[AnswerPath]  # every candidate's


def score_candidates(
    student: Student, prompts: list[Prompt], candidates: list[list[str]], max_batch: int = 16
) -> list[np.ndarray]:
    """For every prompt, a probability distribution over its candidate names (the chance that
    decoding restricted to them produces each), in the order the names were given."""
    if len(prompts) != len(candidates) or not all(candidates):
        raise ValueError("one non-empty list of candidate names is needed per prompt")
    tok = student.tokenizer
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(prompts):
        groups.setdefault(p.head, []).append(i)
    out: dict[int, np.ndarray] = {}
    with torch.inference_mode():
        for head, members in groups.items():
            kv = student.head_kv(tok(head, add_special_tokens=False).input_ids)
            for start in range(0, len(members), max_batch):
                chunk = members[start : start + max_batch]
                rows = [
                    _Row(tok(prompts[i].tail, add_special_tokens=False).input_ids, answer_paths(tok, candidates[i]))
                    for i in chunk
                ]
                out.update(zip(chunk, map(_softmax, _score_rows(student, rows, kv))))
    return [out[i] for i in range(len(prompts))]


class RememberingScorer:
    """``score_candidates`` for a student whose weights no longer change (an agent in play), with
    a memory of the prompts it has scored: the same prompt gets the same distribution, and games
    revisit the same situations (about 40% of the asked pursuit decisions of a held-out game
    repeat an earlier prompt exactly), which then cost no model call. The memory keeps the
    ``size`` most recently used prompts."""

    def __init__(self, student: Student, size: int = 50_000):
        self.student, self.size = student, size
        self.memory: OrderedDict[tuple, np.ndarray] = OrderedDict()

    def __call__(self, prompts: list[Prompt], candidates: list[list[str]]) -> list[np.ndarray]:
        keys = [(p.head, p.tail, tuple(c)) for p, c in zip(prompts, candidates)]
        new = {k: i for i, k in enumerate(keys) if k not in self.memory}
        if new:
            scored = score_candidates(
                self.student, [prompts[i] for i in new.values()], [candidates[i] for i in new.values()]
            )
            self.memory.update(zip(new, scored))
        for k in keys:
            self.memory.move_to_end(k)
        while len(self.memory) > self.size:
            self.memory.popitem(last=False)
        return [self.memory[k] for k in keys]


def _score_rows(student: Student, rows: list[_Row], head: KV) -> list[torch.Tensor]:
    """Log-probability per candidate, for tails scored together after one head."""
    totals = torch.zeros(sum(len(r.answers) for r in rows), dtype=torch.float64)  # [answers]
    if not any(a.branches for r in rows for a in r.answers):  # single candidates: nothing to read
        return list(torch.split(totals, [len(r.answers) for r in rows]))
    logits, batch = _forward(student, rows, head)
    b, k, own = (torch.tensor(x, device=logits.device) for x in (batch.b, batch.k, batch.own))
    logp = branch_log_probs(logits, b, k, batch.tokens, own).double().cpu()  # [branches]
    totals.index_add_(0, torch.tensor(batch.answer), logp)
    return list(torch.split(totals, [len(r.answers) for r in rows]))


def _forward(student: Student, rows: list[_Row], head: KV) -> tuple[torch.Tensor, _Batch]:
    """Logits from the last tail column on, and the layout used."""
    model, device = student.model, student.device
    reused = head[0][0].shape[2]
    batch = _layout(rows, reused, student.tokenizer.pad_token_id)
    logits = model(
        input_ids=batch.input_ids.to(device),  # [batch, seq]
        attention_mask=batch.mask.to(device),  # [batch, 1, seq, reused + seq]
        position_ids=batch.positions.to(device),  # [batch, seq]
        past_key_values=head_cache(head, len(rows), model.config),
        use_cache=True,
        logits_to_keep=batch.keep,
    ).logits.float()  # [batch, keep, vocab]
    return logits, batch


@dataclass
class _Batch:
    input_ids: torch.Tensor  # [batch, seq]
    positions: torch.Tensor  # [batch, seq]
    mask: torch.Tensor  # [batch, 1, seq, reused + seq], True = may attend
    keep: int  # logits kept: the last prompt column and every fed answer column
    # one entry per branch read: batch row, kept logit column, the branch's tokens, which of them
    # is the answer's own, and the answer's index among all of the batch's answers
    b: list[int]
    k: list[int]
    tokens: list[tuple[int, ...]]
    own: list[int]
    answer: list[int]


def _layout(rows: list[_Row], reused: int, pad_id: int) -> _Batch:
    width = max(len(r.prompt) for r in rows)
    seq = width + max(sum(len(a.fed) for a in r.answers) for r in rows)
    ids = torch.full((len(rows), seq), pad_id, dtype=torch.long)
    positions = torch.zeros((len(rows), seq), dtype=torch.long)
    segment = torch.full((len(rows), seq), -1, dtype=torch.long)  # -1 pad, 0 prompt, i + 1 answer i
    b, k, tokens, own, answer = [], [], [], [], []
    n = 0
    for i, row in enumerate(rows):
        end = reused + len(row.prompt)  # the position after the prompt
        ids[i, width - len(row.prompt) : width] = torch.tensor(row.prompt)
        positions[i, width - len(row.prompt) : width] = torch.arange(reused, end)
        segment[i, width - len(row.prompt) : width] = 0
        column = width
        for j, ans in enumerate(row.answers):
            fed = ans.fed
            ids[i, column : column + len(fed)] = torch.tensor(fed, dtype=torch.long)
            positions[i, column : column + len(fed)] = torch.arange(end, end + len(fed))
            segment[i, column : column + len(fed)] = j + 1
            for br in ans.branches:  # its logits come from the prompt's last column or a fed token
                source = width - 1 if br.depth == 0 else column + br.depth - 1
                b.append(i)
                k.append(source - (width - 1))
                tokens.append(br.tokens)
                own.append(br.own)
                answer.append(n)
            column += len(fed)
            n += 1
    return _Batch(ids, positions, _mask(segment, reused), seq - width + 1, b, k, tokens, own, answer)


def _mask(segment: torch.Tensor, reused: int) -> torch.Tensor:
    """Prompt tokens attend causally to the prompt; answer tokens to the prompt and causally to
    their own answer; pads to themselves only (a row with no allowed key would give NaN)."""
    q, kv = segment[:, :, None], segment[:, None, :]  # [batch, seq, 1], [batch, 1, seq]
    seq = segment.shape[1]
    causal = torch.ones(seq, seq, dtype=torch.bool).tril()  # [seq, seq]
    visible = ((kv == 0) & (q >= 0)) | ((kv == q) & (q > 0))  # [batch, seq, seq]
    pad_self = torch.eye(seq, dtype=torch.bool) & (q == -1)
    own = (causal & visible) | pad_self  # [batch, seq, seq]
    prefix = torch.ones(segment.shape[0], seq, reused, dtype=torch.bool)  # everyone sees it
    return torch.cat([prefix, own], dim=-1)[:, None]  # [batch, 1, seq, reused + seq]


def _softmax(logp: torch.Tensor) -> np.ndarray:
    x = logp.numpy()
    e = np.exp(x - x.max())
    return e / e.sum()
