"""The student server's limits over real HTTP: requests that would have held the model for
minutes or exhausted memory (1,000 stop strings, a select past the model's context, hundreds of
candidates, huge bodies) are refused at once with OpenAI's error body, even while the model is
busy, and the server goes on serving."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import openai
import pytest

from logicdistill.agent.llm_teacher import response_format
from logicdistill.serve import ServeLimits
from logicdistill.serve.errors import APIError
from logicdistill.serve.limits import reply_budget

pytestmark = pytest.mark.slow
LIMITS = ServeLimits()  # the served app (conftest) runs with the defaults
FAST = 2.0  # seconds: a refusal costs a tokenizer pass at most; the refused work took minutes


def post(served, path: str, data: bytes, content_type: str = "application/json") -> tuple[int, dict, float]:
    """Status, JSON body and seconds taken."""
    req = urllib.request.Request(served.url + path, data, {"Content-Type": content_type})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, json.loads(response.read()), time.perf_counter() - start
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), time.perf_counter() - start


def chat(served, **change) -> bytes:
    return json.dumps(
        {"model": served.model_id, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2} | change
    ).encode()


def selection(**change) -> bytes:
    return json.dumps(
        {
            "instruction": "Catch them.",
            "stage_line": "Stage move: pick a move.",
            "state_text": "P0",
            "candidates": [{"name": "a", "manual": "m"}, {"name": "b", "manual": "n"}],
        }
        | change
    ).encode()


def candidates(count: int) -> list[dict]:
    return [{"name": f"function_number_{i}_x", "manual": f"does thing {i}"} for i in range(count)]


def assert_openai_error(answer: dict, param: str | None = None, code: str | None = None) -> str:
    """The body is exactly OpenAI's error shape; returns the message."""
    assert set(answer) == {"error"} and set(answer["error"]) == {"message", "type", "param", "code"}
    assert answer["error"]["type"] == "invalid_request_error" and answer["error"]["message"]
    assert answer["error"]["param"] == param and answer["error"]["code"] == code
    return answer["error"]["message"]


# Each: the path, the body, then the status, param, code and words of the refusal.
REFUSED = {
    "1,000 stop strings": (
        "/chat/completions",
        lambda s: chat(s, stop=[f"s{i}" for i in range(1000)]),
        400,
        "stop",
        None,
        "give at most 4 stop strings, got 1000",
    ),
    "a long stop string": (
        "/chat/completions",
        lambda s: chat(s, stop=["x" * (LIMITS.max_stop_chars + 1)]),
        400,
        "stop",
        None,
        f"at most {LIMITS.max_stop_chars} characters",
    ),
    "messages past the context": (
        "/chat/completions",
        lambda s: chat(s, messages=[{"role": "user", "content": "hello there " * 9000}]),
        400,
        "messages",
        "context_length_exceeded",
        "this server allows 8192",
    ),
    "a 35 KB select": (
        "/select",
        lambda s: selection(state_text="the evader is at node 12. " * 1350),
        400,
        None,
        "context_length_exceeded",
        "this server allows 8192",
    ),
    "201 candidates": (
        "/select",
        lambda s: selection(candidates=candidates(201)),
        400,
        "candidates",
        None,
        f"give at most {LIMITS.max_candidates} candidates, got 201",
    ),
    "a schema of 65 answers": (
        "/chat/completions",
        lambda s: chat(
            s,
            response_format={"type": "json_schema", "json_schema": {"name": "n", "schema": {"enum": list(range(65))}}},
        ),
        400,
        "response_format",
        None,
        f"the schema allows 65 answers, more than {LIMITS.max_schema_answers}",
    ),
    "a schema's answers past the context": (
        "/chat/completions",
        lambda s: chat(
            s,
            messages=[{"role": "user", "content": "hello there " * 3800}],
            response_format=response_format([f"function_number_{i}_with_a_long_name" for i in range(60)]),
        ),
        400,
        "messages",
        "context_length_exceeded",
        "in the prompt and",  # the prompt fits alone; with every answer it does not
    ),
    "malformed JSON": (
        "/chat/completions",
        lambda s: b'{"model": "x", "messages": [',
        400,
        None,
        None,
        "the body is not valid JSON",
    ),
    "a schema violation": (
        "/chat/completions",
        lambda s: chat(s, messages="hi"),
        400,
        "messages",
        None,
        "messages: Input should be a valid list",
    ),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_over_limit_and_malformed_requests_are_fast_openai_shaped_400s(served, case):
    path, make, status, param, code, words = REFUSED[case]
    got, answer, seconds = post(served, path, make(served))
    assert got == status, answer
    assert words in assert_openai_error(answer, param, code)
    assert seconds < FAST


def test_the_35_kb_select_really_is_35_kb():
    assert len(REFUSED["a 35 KB select"][1](None)) >= 35_000


def test_the_openai_client_reports_the_limit(served):
    with pytest.raises(openai.BadRequestError, match="give at most 4 stop strings, got 5"):
        openai.OpenAI(base_url=served.url, api_key="x", max_retries=0).chat.completions.create(
            model=served.model_id,
            messages=[{"role": "user", "content": "hi"}],
            max_tokens=2,
            stop=["a", "b", "c", "d", "e"],
        )


def raw_request(served, path: str, headers: dict[str, str], chunks: list[bytes] = ()) -> tuple[int, dict]:
    """A request written by hand: ``chunks`` go out with chunked transfer encoding (no length is
    declared), and the response is read without finishing the body, as a client that stops
    sending once over the limit would."""
    url = urllib.parse.urlsplit(served.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        connection.putrequest("POST", url.path + path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        for chunk in chunks:
            connection.send(f"{len(chunk):X}\r\n".encode() + chunk + b"\r\n")
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_body_declared_too_large_is_a_413_before_any_of_it_is_sent(served):
    status, answer = raw_request(
        served,
        "/chat/completions",
        {"Content-Type": "application/json", "Content-Length": str(LIMITS.max_body_bytes + 1)},
    )
    assert status == 413
    assert "accepts at most 1048576" in assert_openai_error(answer, code="request_too_large")


def test_a_streamed_body_is_cut_off_once_over_the_limit(served):
    piece = b" " * (1 << 16)
    chunks = [piece] * (LIMITS.max_body_bytes // len(piece)) + [b"x"]  # one byte over, no length declared
    status, answer = raw_request(
        served, "/chat/completions", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, chunks
    )
    assert status == 413
    assert "more than 1048576 bytes" in assert_openai_error(answer, code="request_too_large")


def test_unknown_routes_and_methods_answer_in_the_openai_shape(served):
    status, answer, _ = post(served, "/completions", chat(served))
    assert status == 404 and "POST /v1/completions" in assert_openai_error(answer)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(served.url + "/chat/completions", timeout=60)
    assert info.value.code == 405 and "GET /v1/chat/completions" in assert_openai_error(json.loads(info.value.read()))


def test_refusals_do_not_wait_for_the_busy_model_and_the_server_serves_on(served):
    """While a select of exactly ``max_candidates`` candidates (the most allowed: seconds on a
    CPU) holds the model, every over-limit request is refused at once; then both endpoints serve."""
    busy: dict = {}
    worker = threading.Thread(
        target=lambda: busy.update(
            answer=post(served, "/select", selection(candidates=candidates(LIMITS.max_candidates)))
        )
    )
    worker.start()
    time.sleep(0.5)  # planning takes milliseconds; by now the select holds the model lock
    for path, make, status, *_ in REFUSED.values():
        got, answer, seconds = post(served, path, make(served))
        assert (got, seconds < FAST) == (status, True), answer
    assert worker.is_alive(), "the busy select ended before the refusals were tested; the test proves nothing"
    worker.join(timeout=120)
    status, answer, _ = busy["answer"]
    assert status == 200 and len(answer["probabilities"]) == LIMITS.max_candidates
    reply = openai.OpenAI(base_url=served.url, api_key="x", max_retries=0).chat.completions.create(
        model=served.model_id, messages=[{"role": "user", "content": "Name a colour."}], max_tokens=4, stop=["\n\n"]
    )
    assert reply.choices[0].message.content and reply.usage.completion_tokens <= 4
    status, answer, _ = post(served, "/select", selection())
    assert status == 200 and answer["selected"] in ("a", "b")


def test_an_explicit_max_tokens_must_fit_beside_the_prompt():
    limits = ServeLimits(max_tokens=100)
    assert reply_budget(8000, None, 8192, limits) == 100  # none asked: the server's cap
    assert reply_budget(8150, None, 8192, limits) == 42  # none asked: what room is left
    assert reply_budget(8000, 5000, 8192, limits) == 100  # more than the cap: capped, as OpenAI servers do
    with pytest.raises(APIError, match="8150 in the messages and 100 for the reply") as info:
        reply_budget(8150, 5000, 8192, limits)
    assert (info.value.status_code, info.value.code) == (400, "context_length_exceeded")
    with pytest.raises(APIError, match="8192 in the messages and at least 1"):
        reply_budget(8192, None, 8192, limits)


def test_limits_must_be_positive():
    with pytest.raises(ValueError, match="max_candidates must be at least 1, got 0"):
        ServeLimits(max_candidates=0)
    assert ServeLimits(context_tokens=None).context_tokens is None
