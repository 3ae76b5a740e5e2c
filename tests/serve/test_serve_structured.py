"""Structured outputs from the served 135M student over real HTTP with the real ``openai`` client:
the teacher's schema gets one of its names as JSON, chosen as the student's scorer ranks them
(checked against plain forward passes, too), greedily or by a reproducible draw; ``max_tokens``
and stop strings cut the chosen document as they cut generated text; a schema the server cannot
enforce, and ``json_object``, are 400s whose message the client shows. Without the schema the
135M still echoes the listing, which the teacher cannot use."""

from __future__ import annotations

import json

import numpy as np
import openai
import pytest
import torch

from logicdistill.agent.llm_teacher import read_choice, response_format
from logicdistill.agent.loop import stage_line
from logicdistill.serve.chat import chat_prompt
from logicdistill.serve.structured import render
from logicdistill.student.prompts import selection_messages
from logicdistill.student.scoring import score_candidates
from logicdistill.tasks import get_task

pytestmark = pytest.mark.slow
MAX_TOKENS = 24  # the server's cap per reply: room for the longest twentyone name as JSON
ENFORCED = "This server enforces only JSON schemas with a finite set of at most 64 answers"


def client(served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url, api_key="not-needed", max_retries=0, timeout=60)


def teacher_question(stage: int) -> tuple[list[dict[str, str]], list[str]]:
    """A 21 Points decision as the teacher LLM asks it: the student's prompt as chat messages,
    with three of the stage's candidates, and their names."""
    task = get_task("twentyone")
    chosen = task.bundled_base().by_stage(task.stages[stage].name)[:3]
    candidates = [(f.name, f.manual.text()) for f in chosen]
    state = "me 15 soft, 2 cards\ndealer shows 10"
    previews = ["stick", "hit", "hit"][: len(candidates)]
    messages = selection_messages(task.instruction, stage_line(task.stages[stage]), state, candidates, previews)
    return messages, [name for name, _ in candidates]


def ask(served, messages, names, **params):
    return client(served).chat.completions.create(
        model=served.model_id, messages=messages, response_format=response_format(names), max_tokens=64, **params
    )


def test_the_teachers_schema_gets_one_of_its_names_as_json_and_greedy_repeats_it(served):
    messages, names = teacher_question(1)
    first = ask(served, messages, names)
    content = first.choices[0].message.content
    assert json.loads(content)["function"] in names and content == render(json.loads(content))  # compact JSON
    assert read_choice(content, names) == (json.loads(content)["function"], "")  # the teacher can use it
    assert first.choices[0].finish_reason == "stop"
    tok = served.student.tokenizer
    assert first.usage.completion_tokens == len(tok(content, add_special_tokens=False).input_ids)
    prompt = tok.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)["input_ids"]
    assert first.usage.prompt_tokens == len(prompt) > 300
    for again in (ask(served, messages, names), ask(served, messages, names, temperature=0)):
        assert again.choices[0].message.content == content


def restricted_decoding(student, text: str, replies: list[str]) -> np.ndarray:
    """Each reply's probability under decoding restricted to the replies, from plain forward
    passes over the whole prompt and reply (no head cache, no packed rows): at every token where
    replies with the same tokens so far part, the share of its own token among theirs."""
    tok = student.tokenizer
    prompt = tok(text, add_special_tokens=False).input_ids
    ids = [tok(r, add_special_tokens=False).input_ids for r in replies]
    assert not any(a != b and b[: len(a)] == a for a in ids for b in ids)  # no reply's tokens begin another's
    out = []
    with torch.inference_mode():
        for mine in ids:
            logits = student.model(input_ids=torch.tensor([prompt + mine])).logits[0].double()
            p = 1.0
            for depth, token in enumerate(mine):
                here = sorted({o[depth] for o in ids if len(o) > depth and o[:depth] == mine[:depth]})
                if len(here) > 1:
                    shares = logits[len(prompt) + depth - 1, here].softmax(-1)
                    p *= float(shares[here.index(token)])
            out.append(p)
    return np.array(out)


@pytest.mark.parametrize("stage", [0, 1])  # its most likely name: the second, then the third listed
def test_the_served_reply_is_the_scorers_most_likely_document(served, stage):
    messages, names = teacher_question(stage)
    tok, student = served.student.tokenizer, served.student
    replies = [render({"function": n}) for n in names]
    prompt = chat_prompt(tok, messages)
    assert prompt.text == tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    expected = score_candidates(student, [prompt], [replies])[0]
    np.testing.assert_allclose(expected, restricted_decoding(student, prompt.text, replies), atol=1e-4)
    served_reply = ask(served, messages, names).choices[0].message.content
    assert served_reply == replies[int(expected.argmax())]


def test_a_sampled_reply_is_one_of_the_names_and_torch_manual_seed_repeats_it(served):
    """The server runs in this process (a thread), so the test's seed is the server's generator."""
    messages, names = teacher_question(0)
    replies = []
    for _ in range(2):
        torch.manual_seed(7)
        replies.append([ask(served, messages, names, temperature=2.0).choices[0].message.content for _ in range(2)])
    assert replies[0] == replies[1]
    assert all(read_choice(r, names)[0] in names for r in replies[0])


def test_max_tokens_and_stop_cut_the_chosen_document_as_they_cut_generated_text(served):
    messages, names = teacher_question(1)
    whole = ask(served, messages, names).choices[0].message.content
    tok = served.student.tokenizer
    cut = client(served).chat.completions.create(
        model=served.model_id, messages=messages, response_format=response_format(names), max_tokens=3
    )
    assert cut.choices[0].finish_reason == "length" and cut.usage.completion_tokens == 3
    assert cut.choices[0].message.content == tok.decode(tok(whole, add_special_tokens=False).input_ids[:3])
    stopped = ask(served, messages, names, stop=['"}'])
    assert stopped.choices[0].message.content == whole.removesuffix('"}')
    assert stopped.choices[0].finish_reason == "stop"


@pytest.mark.parametrize(
    ("format_", "words"),
    [
        (
            {"type": "json_schema", "json_schema": {"name": "free", "schema": {"type": "string"}}},
            "the schema allows any string, which cannot be listed",
        ),
        (
            {"type": "json_schema", "json_schema": {"name": "many", "schema": {"enum": list(range(65))}}},
            "the schema allows 65 answers, more than 64",
        ),
        ({"type": "json_object"}, "json_object allows any JSON object, which cannot be listed"),
    ],
)
def test_a_format_the_server_cannot_enforce_is_a_400_the_client_shows(served, format_, words):
    with pytest.raises(openai.BadRequestError) as info:
        client(served).chat.completions.create(
            model=served.model_id, messages=[{"role": "user", "content": "hi"}], response_format=format_
        )
    message = info.value.body["message"]
    assert words in message and ENFORCED in message and "vLLM enforces any schema" in message
    assert info.value.status_code == 400 and info.value.body["param"] == "response_format"


def test_without_the_schema_the_135m_echoes_the_listing_which_the_teacher_cannot_use(served):
    """What ``--no-teacher-schema`` (or a server that ignores the schema) gets from this model."""
    messages, names = teacher_question(1)
    reply = client(served).chat.completions.create(model=served.model_id, messages=messages, max_tokens=64)
    choice, reason = read_choice(reply.choices[0].message.content, names)
    assert choice is None and "is not one of the functions' names" in reason
