"""The teacher client: content-keyed exchange store, replay, API keys, endpoint errors, and
tolerant reading of replies."""

from __future__ import annotations

import json

import pytest

from logicdistill.errors import EndpointError, UserInputError
from logicdistill.teacher import ExchangeStore, TeacherClient, TeacherConfig, request_key
from logicdistill.teacher.client import REASONING_TOKENS, api_key
from logicdistill.teacher.reply import ReplyError, parse_reply
from logicdistill.teacher.store import Reply

MESSAGES = [{"role": "user", "content": 'Write 1 function for stage "decide".'}]
SOURCE = 'def f(state, stand_on):\n    """F.\n\n    When: always.\n    """\n    return "hit"'


def test_request_key_is_the_content_hash_whatever_the_key_order():
    a = {"model": "m", "messages": MESSAGES, "temperature": 0.0}
    b = {"temperature": 0.0, "messages": MESSAGES, "model": "m"}
    assert request_key(a) == request_key(b) and len(request_key(a)) == 64
    assert request_key(a) != request_key({**a, "temperature": 0.5})
    assert request_key(a) != request_key({**a, "model": "other"})


def test_a_reasoning_teacher_gets_max_completion_tokens_and_the_others_what_they_always_got(tmp_path):
    plain = TeacherClient(TeacherConfig("m", store=tmp_path)).request(MESSAGES)
    assert plain == {"model": "m", "messages": MESSAGES, "temperature": 0.0, "max_tokens": 3000}  # stored keys hold
    reasoning = TeacherClient(TeacherConfig("o4-mini", store=tmp_path, reasoning=True)).request(MESSAGES)
    assert reasoning == {"model": "o4-mini", "messages": MESSAGES, "max_completion_tokens": 3000 + REASONING_TOKENS}


def test_store_round_trip_and_damage_is_a_clear_error(tmp_path):
    store = ExchangeStore(tmp_path)
    request = {"model": "m", "messages": MESSAGES}
    saved = store.put(request, Reply(content="hello", model="m"))
    on_disk = json.loads(store.path(saved.key).read_text())
    assert on_disk["request"] == request and on_disk["reply"]["content"] == "hello"
    assert store.get(saved.key) == saved and store.get("0" * 64) is None
    store.path(saved.key).write_text("{broken")
    with pytest.raises(UserInputError, match="not a readable teacher exchange"):
        store.get(saved.key)
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_live_requests_are_stored_and_never_sent_twice(teacher_server, tmp_path):
    teacher_server.replies["decide"] = ["first answer", "second answer"]
    client = TeacherClient(TeacherConfig("scripted-teacher", teacher_server.url, store=tmp_path))
    first = client.chat(MESSAGES)
    again = client.chat(MESSAGES)
    assert first.reply.content == again.reply.content == "first answer"
    assert len(teacher_server.requests) == 1 and client.requests == 1
    assert (tmp_path / f"{first.key}.json").is_file()


def test_replay_answers_from_the_store_only(teacher_server, tmp_path):
    teacher_server.replies["decide"] = ["recorded"]
    TeacherClient(TeacherConfig("scripted-teacher", teacher_server.url, store=tmp_path)).chat(MESSAGES)
    replay = TeacherClient(TeacherConfig("scripted-teacher", "http://127.0.0.1:9/v1", replay=tmp_path))
    assert replay.chat(MESSAGES).reply.content == "recorded"
    other = [{"role": "user", "content": 'Write 2 functions for stage "decide".'}]
    key = request_key(replay.request(other))
    with pytest.raises(UserInputError, match=f"no stored teacher reply for request {key}"):
        replay.chat(other)
    assert len(teacher_server.requests) == 1


def test_api_key_comes_from_the_environment_and_local_servers_need_none(monkeypatch):
    monkeypatch.delenv("LOGICDISTILL_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert api_key("http://localhost:8000/v1") == "not-needed"
    with pytest.raises(UserInputError, match="needs an API key: set LOGICDISTILL_API_KEY"):
        api_key("https://api.example.com/v1")
    with pytest.raises(UserInputError, match="api.openai.com needs an API key"):
        api_key(None)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    assert api_key("https://api.example.com/v1") == "sk-openai"
    monkeypatch.setenv("LOGICDISTILL_API_KEY", "sk-ld")
    assert api_key("https://api.example.com/v1") == "sk-ld"


def test_a_missing_key_fails_before_any_request(monkeypatch, tmp_path):
    monkeypatch.delenv("LOGICDISTILL_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = TeacherClient(TeacherConfig("m", "https://teacher.invalid/v1", store=tmp_path))
    with pytest.raises(UserInputError, match="needs an API key"):
        client.chat(MESSAGES)
    assert not list(tmp_path.iterdir())


def test_endpoint_errors_are_endpoint_errors(teacher_server, tmp_path):
    wrong_path = TeacherClient(TeacherConfig("m", teacher_server.url.removesuffix("/v1") + "/nope", store=tmp_path))
    with pytest.raises(EndpointError, match="404"):
        wrong_path.chat(MESSAGES)
    unreachable = TeacherClient(TeacherConfig("m", "http://127.0.0.1:9/v1", store=tmp_path, max_retries=0))
    with pytest.raises(EndpointError, match="cannot reach the teacher endpoint http://127.0.0.1:9/v1"):
        unreachable.chat(MESSAGES)


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"functions": [{"name": "f", "stage": "decide", "source": SOURCE}]}),
        "Sure! Here they are:\n```json\n"
        + json.dumps({"functions": [{"name": "f", "source": SOURCE}]})
        + "\n```\nEnjoy.",
        json.dumps([{"name": "f", "source": SOURCE}]),
        json.dumps({"name": "f", "stage": "decide", "source": SOURCE}),
        f"```python\n{SOURCE}\n```",
        f"{SOURCE}\n",
    ],
    ids=["json", "fenced-with-prose", "bare-list", "single-object", "python-fence", "bare-python"],
)
def test_replies_are_read_tolerantly(text):
    [proposal] = parse_reply(text, "decide")
    assert proposal.stage == "decide" and proposal.source.startswith("def f(state, stand_on):")


@pytest.mark.parametrize(
    "text, message",
    [
        ("I cannot help with that.", "neither a JSON object"),
        ('{"functions": []}', "must be an object"),
        ('{"functions": [{"name": "f"}]}', '"source" string'),
    ],
)
def test_unusable_replies_say_what_was_expected(text, message):
    with pytest.raises(ReplyError, match=message):
        parse_reply(text, "decide")
