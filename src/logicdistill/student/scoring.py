"""Scoring candidate names as continuations of a prompt, reading each prompt once per decision.

A prompt's head (``prompts.Prompt``) is read once with the base weights and kept
(``heads.HeadCache``); prompts with the same head are scored together, and each tail and all of
its candidates share one row of one forward pass: ``[tail][answer 1][answer 2]...``. A custom 4D
attention mask lets every answer token see the head, the tail and its own answer's earlier tokens
only, and position ids restart at the tail's end for every answer, so each candidate is scored
exactly as if it alone followed the prompt. Transformers uses a 4D mask as given
(``masking_utils._preprocess_mask_arguments``); the model must run sdpa attention, which
``load_student`` ensures. An answer's last token is never fed: the logits that score it come from
the token before it.

Tails of a batch are left-padded so that they all end in the same column; the answers start right
after, and only the logits from that column on are projected onto the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from logicdistill.student.heads import KV, head_cache
from logicdistill.student.model import Student
from logicdistill.student.prompts import Prompt, answer_texts


@dataclass
class _Row:
    prompt: list[int]  # the tail's tokens
    answers: list[list[int]]  # every candidate's answer tokens


def score_candidates(
    student: Student, prompts: list[Prompt], candidates: list[list[str]], max_batch: int = 16
) -> list[np.ndarray]:
    """For every prompt, a probability distribution over its candidate names (softmax over each
    name's total answer log-likelihood), in the order the names were given."""
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
                rows = [_Row(tok(prompts[i].tail, add_special_tokens=False).input_ids,
                             [tok(t, add_special_tokens=False).input_ids for t in answer_texts(tok, candidates[i])])
                        for i in chunk]
                out.update(zip(chunk, map(_softmax, _score_rows(student, rows, kv))))
    return [out[i] for i in range(len(prompts))]


def _score_rows(student: Student, rows: list[_Row], head: KV) -> list[torch.Tensor]:
    """Total answer log-likelihood per candidate, for tails scored together after one head."""
    logits, batch = _forward(student, rows, head)
    log_norm = torch.logsumexp(logits, dim=-1)  # [batch, keep]
    b, k, t = (torch.tensor(x, device=logits.device) for x in (batch.b, batch.k, batch.token))
    token_logp = (logits[b, k, t] - log_norm[b, k]).double().cpu()  # [answer tokens]
    totals = torch.zeros(batch.n_answers, dtype=torch.float64)  # [answers]
    totals.index_add_(0, torch.tensor(batch.answer), token_logp)
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
    keep: int  # logits kept: the last prompt column and every answer column
    n_answers: int
    # one entry per scored answer token: batch row, kept logit column, token id, answer index
    b: list[int]
    k: list[int]
    token: list[int]
    answer: list[int]


def _layout(rows: list[_Row], reused: int, pad_id: int) -> _Batch:
    width = max(len(r.prompt) for r in rows)
    seq = width + max(sum(len(a) - 1 for a in r.answers) for r in rows)
    ids = torch.full((len(rows), seq), pad_id, dtype=torch.long)
    positions = torch.zeros((len(rows), seq), dtype=torch.long)
    segment = torch.full((len(rows), seq), -1, dtype=torch.long)  # -1 pad, 0 prompt, i + 1 answer i
    b, k, token, answer = [], [], [], []
    n = 0
    for i, row in enumerate(rows):
        end = reused + len(row.prompt)  # the position after the prompt
        ids[i, width - len(row.prompt) : width] = torch.tensor(row.prompt)
        positions[i, width - len(row.prompt) : width] = torch.arange(reused, end)
        segment[i, width - len(row.prompt) : width] = 0
        column = width
        for j, ans in enumerate(row.answers):
            fed = ans[:-1]  # the last token is scored from the logits of the one before it
            ids[i, column : column + len(fed)] = torch.tensor(fed, dtype=torch.long)
            positions[i, column : column + len(fed)] = torch.arange(end, end + len(fed))
            segment[i, column : column + len(fed)] = j + 1
            # the columns whose logits predict ans: the prompt's last, then each fed token
            sources = [width - 1] + list(range(column, column + len(fed)))
            b += [i] * len(ans)
            k += [c - (width - 1) for c in sources]
            token += ans
            answer += [n] * len(ans)
            column += len(fed)
            n += 1
    return _Batch(ids, positions, _mask(segment, reused), seq - width + 1, n, b, k, token, answer)


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
