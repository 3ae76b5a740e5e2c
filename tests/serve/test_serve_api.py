"""The student server over real HTTP: /v1/models and /v1/chat/completions through the official
``openai`` client, /v1/select against the in-process LD selector, and clear 4xx errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import numpy as np
import openai
import pytest

from logicdistill.agent.loop import LDAgent, stage_line
from logicdistill.agent.students import StudentSelector
from logicdistill.games.pursuit.env import PursuitEnv
from logicdistill.games.pursuit.evaders import smart_evader
from logicdistill.games.pursuit.maps import bundled_map
from logicdistill.retrieval import make_retriever
from logicdistill.serve.schemas import SelectRequest
from logicdistill.serve.select import select_prompt
from logicdistill.student.scoring import score_candidates
from logicdistill.tasks import get_task

pytestmark = pytest.mark.slow
MAX_TOKENS = 24  # the server's cap on every reply


def client(served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url, api_key="not-needed", max_retries=0, timeout=60)


def post(served, path: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(served.url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_models_lists_the_served_id(served):
    assert [m.id for m in client(served).models.list().data] == [served.model_id]


def test_chat_completion_through_the_openai_client_is_greedy_and_honours_stop(served):
    ask = dict(
        model=served.model_id,
        messages=[{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Name three colours."}],
    )
    first = client(served).chat.completions.create(**ask, max_tokens=12)
    text = first.choices[0].message.content
    assert text.strip() and first.model == served.model_id and first.object == "chat.completion"
    assert first.choices[0].finish_reason in ("stop", "length") and first.choices[0].message.role == "assistant"
    assert 0 < first.usage.completion_tokens <= 12
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens > 20
    stop = text.strip()[len(text.strip()) // 2 :][:3]  # a piece from the middle of the greedy reply
    cut = client(served).chat.completions.create(**ask, max_tokens=12, stop=[stop])
    assert cut.choices[0].message.content == text[: text.index(stop)]  # greedy: same tokens up to the stop
    assert cut.choices[0].finish_reason == "stop"


def test_max_completion_tokens_caps_the_reply_as_max_tokens_does(served):
    """OpenAI's newer name, the only one its reasoning models accept (``--teacher-reasoning`` sends
    it, without a temperature): the same greedy reply, cut at the same length."""
    ask = dict(model=served.model_id, messages=[{"role": "user", "content": "Write a long story about a cat."}])
    new = client(served).chat.completions.create(**ask, max_completion_tokens=3)
    old = client(served).chat.completions.create(**ask, max_tokens=3)
    assert new.usage.completion_tokens == 3 and new.choices[0].finish_reason == "length"
    assert new.choices[0].message.content == old.choices[0].message.content


def test_the_server_caps_the_reply_length(served):
    reply = client(served).chat.completions.create(
        model=served.model_id,
        messages=[{"role": "user", "content": "Write a long story about a cat."}],
        max_tokens=5000,
    )
    assert reply.usage.completion_tokens <= MAX_TOKENS
    assert reply.choices[0].finish_reason == "length"


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"model": "gpt-9"}, openai.NotFoundError, "model 'gpt-9' is not served here; this server serves"),
        ({"messages": []}, openai.BadRequestError, "messages: List should have at least 1 item"),
        ({"stream": True}, openai.BadRequestError, "stream: Input should be False"),
        ({"n": 2}, openai.BadRequestError, "n: Input should be 1"),
        ({"temperature": 5}, openai.BadRequestError, "temperature: Input should be less than or equal to 2"),
    ],
)
def test_bad_chat_requests_are_clear_4xx_errors(served, change, error, words):
    ask = {"model": served.model_id, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2} | change
    with pytest.raises(error, match=words):
        client(served).chat.completions.create(**ask)


class Recorder:
    """The in-process LD selector, keeping every request it saw and what it chose."""

    def __init__(self, inner: StudentSelector):
        self.inner, self.name, self.seen = inner, inner.name, []

    def select_batch(self, requests):
        selections = self.inner.select_batch(requests)
        self.seen += zip(requests, selections)
        return selections


def body(task, req, model: str, split_stage: bool) -> dict:
    """The request's fields as a client sends them; the stage either way the endpoint takes it."""
    stage = (
        {"stage": req.stage.name, "stage_description": req.stage.description}
        if split_stage
        else {"stage_line": stage_line(req.stage)}
    )
    return {
        "model": model,
        "instruction": task.instruction,
        **stage,
        "state_text": req.state_text,
        "candidates": [
            {"name": c.name, "manual": c.manual.text(), "preview": req.previews[c.name]} for c in req.candidates
        ],
    }


def test_select_chooses_exactly_as_the_in_process_ld_agent(served):
    """Real stage decisions of pursuit steps (until two stages needed the model): the served
    prompt is the agent's prompt, and the probabilities equal in-process scoring of it."""
    task, student = get_task("pursuit"), served.student
    recorder = Recorder(StudentSelector(student, task))
    env = PursuitEnv(bundled_map("ring"), smart_evader, max_steps=10)
    agent = LDAgent(task, task.bundled_base(), make_retriever("bm25"), recorder, top_k=5)
    state, _ = env.reset(seed=0)
    while len({req.stage.name for req, _ in recorder.seen}) < 2 and not state.done:
        action, _ = agent.act(state)
        state, *_ = env.step(action)
    assert len({req.stage.name for req, _ in recorder.seen}) >= 2
    for i, (req, chosen) in enumerate(recorder.seen):
        sent = body(task, req, served.model_id, split_stage=i % 2 == 1)
        prompt = recorder.inner.prompt(req)
        assert select_prompt(student, SelectRequest.model_validate(sent)) == prompt
        status, answer = post(served, "/select", sent)
        assert status == 200, answer
        names = [c.name for c in req.candidates]
        expected = score_candidates(student, [prompt], [names])[0]
        served_p = np.array([answer["probabilities"][n] for n in names])
        assert list(answer["probabilities"]) == names
        np.testing.assert_allclose(served_p, expected, atol=1e-5)
        np.testing.assert_allclose(served_p, [chosen.probabilities[n] for n in names], atol=1e-5)  # batched in the loop
        assert abs(served_p.sum() - 1) < 1e-6 and (served_p > 0).all()
        assert answer["selected"] == names[int(expected.argmax())] == chosen.choice
        assert answer["model"] == served.model_id and answer["prompt_tokens"] > 100


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"stage_line": None}, "give either stage_line or stage"),
        ({"stage": "move"}, "give either stage_line or stage"),
        ({"candidates": []}, "candidates: List should have at least 1 item"),
        (
            {"candidates": [{"name": "a", "manual": "m"}, {"name": "a", "manual": "n"}]},
            "candidate names must be unique",
        ),
        (
            {"candidates": [{"name": "a", "manual": "m", "preview": "x"}, {"name": "b", "manual": "n"}]},
            "give a preview for every candidate or for none",
        ),
        ({"state_text": 3}, "state_text: Input should be a valid string"),
    ],
)
def test_bad_select_requests_are_clear_400s(served, change, words):
    sent = {
        "instruction": "Catch them.",
        "stage_line": "Stage move: pick a move.",
        "state_text": "P0",
        "candidates": [{"name": "a", "manual": "m"}, {"name": "b", "manual": "n"}],
    } | change
    status, answer = post(served, "/select", {k: v for k, v in sent.items() if v is not None})
    assert status == 400 and words in answer["error"]["message"]
    assert answer["error"]["type"] == "invalid_request_error"


def test_select_for_another_model_is_a_404(served):
    sent = {
        "model": "other",
        "instruction": "x",
        "stage_line": "Stage move: y",
        "state_text": "z",
        "candidates": [{"name": "a", "manual": "m"}],
    }
    status, answer = post(served, "/select", sent)
    assert status == 404 and answer["error"]["code"] == "model_not_found"
