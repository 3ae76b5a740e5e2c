"""Scoring candidate names as continuations of a prompt, reading each prompt once per decision.

A prompt and all of its candidates share one row of one forward pass:
``[prompt][answer 1][answer 2]...``. A custom 4D attention mask lets every answer token see the
whole prompt and its own answer's earlier tokens only, and position ids restart at the prompt's
end for every answer, so each candidate is scored exactly as if it alone followed the prompt.
Transformers uses a 4D mask as given (``masking_utils._preprocess_mask_arguments``); the model
must run sdpa attention, which ``load_student`` ensures. An answer's last token is never fed: the
logits that score it come from the token before it.

Prompts of one batch are left-padded so that they all end in the same column; the answers start
right after, and only the logits from that column on are projected onto the vocabulary. The
tokens all prompts of a batch start with are read once, in a pass of their own, and kept with the
student (``prefix.py``), as is a single prompt: later calls start after the longest kept prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from logicdistill.student.model import Student
from logicdistill.student.prefix import KV, common_prefix
from logicdistill.student.prompts import answer_texts

# No autocast: scores are computed in the model's fp32. On the reference CPU (2-core AMD EPYC with
# avx512_bf16, no AMX) bf16 autocast was 1.1-1.4x faster (benchmarks/student_latency.py --bf16)
# but moved candidate log-probabilities by up to 0.18, far beyond the 1e-4 that keeps scores equal
# to scoring each prompt + answer on its own; below ~50 tokens it was even slower (weight casts).


@dataclass
class _Row:
    prompt: list[int]  # the prompt's tokens after the reused prefix
    answers: list[list[int]]  # every candidate's answer tokens


def score_candidates(
    student: Student, prompts: list[str], candidates: list[list[str]], max_batch: int = 16
) -> list[np.ndarray]:
    """For every prompt, a probability distribution over its candidate names (softmax over each
    name's total answer log-likelihood), in the order the names were given."""
    if len(prompts) != len(candidates) or not all(candidates):
        raise ValueError("one non-empty list of candidate names is needed per prompt")
    tok = student.tokenizer
    prompt_ids = [tok(p, add_special_tokens=False).input_ids for p in prompts]
    answer_ids = [
        [tok(text, add_special_tokens=False).input_ids for text in answer_texts(tok, names)]
        for names in candidates
    ]
    out: list[np.ndarray] = []
    with torch.inference_mode():
        for start in range(0, len(prompts), max_batch):
            chunk = slice(start, start + max_batch)
            totals = _score_batch(student, prompt_ids[chunk], answer_ids[chunk])
            out += [_softmax(t) for t in totals]
    return out


def _score_batch(
    student: Student, prompts: list[list[int]], answers: list[list[list[int]]]
) -> list[torch.Tensor]:
    """Total answer log-likelihood per candidate, for prompts scored together."""
    # every row keeps >= 1 prompt token: its logits score the first answer token
    shared = common_prefix(prompts)[: min(map(len, prompts)) - 1]
    reused, past = student.prefixes.lookup(shared)
    if len(prompts) > 1 and len(shared) - reused >= student.prefixes.min_new:
        # read the batch's shared prefix once rather than once per row, and keep it
        _, cache, _ = _forward(student, [_Row(shared[reused:], [])], reused, past)
        student.prefixes.store(shared, reused, cache)
        reused, past = student.prefixes.lookup(shared)
    rows = [_Row(p[reused:], a) for p, a in zip(prompts, answers)]
    logits, cache, batch = _forward(student, rows, reused, past)
    if len(prompts) == 1:  # keep this prompt: the next decision likely starts the same way
        student.prefixes.store(shared, reused, cache)
    log_norm = torch.logsumexp(logits, dim=-1)  # [batch, keep]
    b, k, t = (torch.tensor(x, device=logits.device) for x in (batch.b, batch.k, batch.token))
    token_logp = (logits[b, k, t] - log_norm[b, k]).double().cpu()  # [answer tokens]
    totals = torch.zeros(batch.n_answers, dtype=torch.float64)  # [answers]
    totals.index_add_(0, torch.tensor(batch.answer), token_logp)
    return list(torch.split(totals, [len(a) for a in answers]))


def _forward(
    student: Student, rows: list[_Row], reused: int, past: KV | None
) -> tuple[torch.Tensor, object, _Batch]:
    """Logits from the last prompt column on, the pass's DynamicCache, and the layout used."""
    model, device = student.model, student.device
    batch = _layout(rows, reused, student.tokenizer.pad_token_id)
    cache = _cache(model, past, len(rows))
    logits = model(
        input_ids=batch.input_ids.to(device),  # [batch, seq]
        attention_mask=batch.mask.to(device),  # [batch, 1, seq, reused + seq]
        position_ids=batch.positions.to(device),  # [batch, seq]
        past_key_values=cache,
        use_cache=True,
        logits_to_keep=batch.keep,
    ).logits.float()  # [batch, keep, vocab]
    return logits, cache, batch


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


def _cache(model: torch.nn.Module, past: KV | None, rows: int):
    from transformers import DynamicCache

    if past is None:
        return DynamicCache(config=model.config)
    data = [(k.expand(rows, -1, -1, -1), v.expand(rows, -1, -1, -1)) for k, v in past]
    return DynamicCache(ddp_cache_data=data, config=model.config)


def _softmax(logp: torch.Tensor) -> np.ndarray:
    x = logp.numpy()
    e = np.exp(x - x.max())
    return e / e.sum()
