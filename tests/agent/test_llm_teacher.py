"""``--demonstrator llm`` against OpenAI-shaped servers on localhost (real HTTP, the real ``openai``
client): labels from a JSON-schema answer, recorded per decision and counted in the data header;
unusable replies retried once with the reason, then the stage's default, counted; concurrent
requests in lock-step episodes giving the same file as one at a time; and one clear line for an
unreachable endpoint, a rejected key and a teacher that never answers usably.

The served 135M student as the teacher (a killed run resuming, the offline replay) is in
tests/serve/test_serve_llm_teacher.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace

import pytest
from helpers import chat_app, free_port, start_server

from logicdistill.agent.factory import AgentOptions
from logicdistill.agent.llm_teacher import LLMTeacherConfig, parse_price, read_choice, teacher_config
from logicdistill.distill.data import generate_data, read_data
from logicdistill.errors import EndpointError, UserInputError
from logicdistill.tasks import get_task, make_task
from logicdistill.teacher import ExchangeStore
from logicdistill.teacher.client import REASONING_TOKENS

MODEL = "scripted-teacher"
PROSE = "Well, it depends on the dealer's card; I would think carefully before deciding."


class Teacher:
    """A scripted teacher LLM: ``answer(body)`` replies; the request bodies are kept, and the most
    requests it ever held at once."""

    def __init__(self, answer, delay: float = 0.0):
        self.answer, self.delay = answer, delay
        self.requests: list[dict] = []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        self.local = start_server(chat_app(self.reply, MODEL))
        self.url = self.local.url

    def reply(self, body: dict) -> str:
        with self.lock:
            self.requests.append(body)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(self.delay)
        with self.lock:
            self.in_flight -= 1
        return self.answer(body)


def names_offered(body: dict) -> list[str]:
    return body["response_format"]["json_schema"]["schema"]["properties"]["function"]["enum"]


def last_offered(body: dict) -> str:
    """The offered function last in the base: never the stage's default."""
    return json.dumps({"function": names_offered(body)[-1]})


@pytest.fixture
def teachers():
    started: list[Teacher] = []

    def start(answer, delay: float = 0.0) -> Teacher:
        started.append(Teacher(answer, delay))
        return started[-1]

    yield start
    for teacher in started:
        teacher.local.stop()


def options(url, store, replay=None, concurrency=2, reasoning=False, **kw) -> AgentOptions:
    llm = LLMTeacherConfig(teacher_config(MODEL, url, store, replay, reasoning), concurrency=concurrency, **kw)
    return AgentOptions(retriever="bm25", demonstrator="llm", llm=llm)


def hands(path, opts, episodes=5):
    return read_data(generate_data(path, episodes, get_task("twentyone"), options=opts))


@pytest.mark.parametrize(
    "reply, choice",
    [
        ('{"function": "stand_on_15"}', "stand_on_15"),
        ("stand_on_15", "stand_on_15"),
        (" `stand_on_15`.\n", "stand_on_15"),
        ('"stand_on_15"', "stand_on_15"),
        ("2. stand_on_15", "stand_on_15"),
        ('```json\n{"function": "stand_on_15"}\n```', "stand_on_15"),
        ("The best function is stand_on_15.", None),
        ("1. stand_on_17: Stick on 17 or more", None),
        ('{"function": "stand_on_15", "why": "weak dealer"}', None),
        ('{"function": "hit_always"}', None),
        ("", None),
    ],
)
def test_replies_are_read_strictly(reply, choice):
    got, reason = read_choice(reply, ["stand_on_17", "stand_on_15"])
    assert got == choice and bool(reason) == (choice is None)


def test_labels_are_the_llms_answers_recorded_per_decision_and_counted_in_the_header(teachers, tmp_path):
    teacher = teachers(last_offered)
    price = (2.0, 8.0)  # USD per million prompt and completion tokens
    header, rows, _ = hands(tmp_path / "h.jsonl", options(teacher.url, tmp_path / "store", price_per_mtok=price))
    base = list(header.manuals)  # base order
    asked = [r for r in rows if not r.forced]
    assert asked and all(r.label is not None for r in asked) and all(r.label is None for r in rows if r.forced)
    for r in asked:
        assert r.choice == max(r.candidates, key=base.index)  # the LLM's pick, not the default
        assert [e.key for e in r.label.exchanges] and not r.label.unusable and not r.label.defaulted
        assert ExchangeStore(tmp_path / "store").get(r.label.exchanges[0].key) is not None
    usage = header.labels
    assert usage.model == MODEL and usage.structured and usage.decisions == len(asked)
    assert usage.exchanges == len(teacher.requests) == len({r.label.exchanges[0].key for r in asked})
    assert usage.prompt_tokens == usage.completion_tokens == usage.exchanges  # the fake server's 1 + 1 per reply
    assert (usage.price_in_per_mtok, usage.price_out_per_mtok) == price
    assert usage.cost == pytest.approx(usage.exchanges * (2.0 + 8.0) / 1e6) and usage.retried == usage.defaulted == 0
    request = teacher.requests[0]  # the student's prompt, the candidates as a JSON-schema enum
    assert request["model"] == MODEL and request["temperature"] == 0.0 and request["max_tokens"] == 64
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert request["messages"][1]["content"].startswith(get_task("twentyone").instruction)
    assert "Answer with the name of the best function." in request["messages"][1]["content"]
    assert names_offered(request) == sorted(names_offered(request), key=base.index)


@pytest.mark.parametrize(
    "text, price",
    [("0.15,0.6", (0.15, 0.6)), (" 2.5 , 10 ", (2.5, 10.0)), ("0.5", (0.5, 0.5)), ("0,0", (0.0, 0.0))],
)
def test_prices_are_per_million_prompt_and_completion_tokens(text, price):
    assert parse_price(text) == price


@pytest.mark.parametrize("text", ["", "cheap", "1,2,3", "-1", "1,-2", "inf", "1,nan", "1,"])
def test_a_bad_price_is_one_clear_error(text):
    with pytest.raises(UserInputError, match=r"^--price-per-mtok takes USD per million tokens as IN,OUT"):
        parse_price(text)


def test_a_reasoning_teacher_gets_max_completion_tokens_and_no_temperature(teachers, tmp_path):
    teacher = teachers(last_offered)
    header, rows, _ = hands(tmp_path / "h.jsonl", options(teacher.url, tmp_path / "store", reasoning=True), 3)
    assert header.labels.decisions and header.labels.defaulted == 0
    for request in teacher.requests:  # what OpenAI's o-series and gpt-5 accept
        assert request["max_completion_tokens"] == 64 + REASONING_TOKENS
        assert "max_tokens" not in request and "temperature" not in request


def reasoning_only_app():
    """An endpoint that refuses max_tokens as OpenAI does for its reasoning models."""
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    app = FastAPI()

    @app.post("/v1/chat/completions")
    def chat(body: dict):
        error = {
            "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
            "'max_completion_tokens' instead.",
            "type": "invalid_request_error",
            "param": "max_tokens",
            "code": "unsupported_parameter",
        }
        return JSONResponse(status_code=400, content={"error": error})

    return app


def test_an_endpoint_that_refuses_max_tokens_points_to_teacher_reasoning(tmp_path):
    refusing = start_server(reasoning_only_app())
    try:
        with pytest.raises(EndpointError) as raised:
            hands(tmp_path / "h.jsonl", options(refusing.url, tmp_path / "store"), episodes=3)
    finally:
        refusing.stop()
    message = str(raised.value)
    assert "answered 400" in message and "Unsupported parameter: 'max_tokens'" in message
    assert message.endswith("; for a reasoning model (OpenAI o-series, gpt-5) add --teacher-reasoning")
    assert "--no-teacher-schema" not in message  # the schema is not what it refused


def test_an_unusable_reply_is_asked_again_with_the_reason_then_the_default_is_counted(teachers, tmp_path):
    teacher = teachers(lambda body: PROSE)
    header, rows, _ = hands(tmp_path / "h.jsonl", options(teacher.url, tmp_path / "store"))
    base = list(header.manuals)
    asked = [r for r in rows if not r.forced]
    assert asked and header.labels.retried == header.labels.defaulted == header.labels.decisions == len(asked)
    for r in asked:
        assert r.choice == min(r.candidates, key=base.index)  # the stage's default
        assert r.label.defaulted and len(r.label.exchanges) == 2 and len(r.label.unusable) == 2
        assert "is not one of the functions' names" in r.label.unusable[0]
    first, retry = teacher.requests[0]["messages"], teacher.requests[1]["messages"]
    assert retry[:2] == first and retry[2] == {"role": "assistant", "content": PROSE}  # the same conversation
    assert retry[3]["content"].startswith("That answer cannot be used: ")
    assert "Answer with the name of one of these functions and nothing else: " in retry[3]["content"]


def test_a_reply_fixed_on_the_retry_is_the_label(teachers, tmp_path):
    def answer(body: dict) -> str:  # prose, then the last name the retry lists
        if len(body["messages"]) == 2:
            return PROSE
        return body["messages"][-1]["content"].rsplit(": ", 1)[1].removesuffix(".").split(", ")[-1]

    teacher = teachers(answer)
    header, rows, _ = hands(tmp_path / "h.jsonl", options(teacher.url, tmp_path / "store", structured=False))
    base = list(header.manuals)
    asked = [r for r in rows if not r.forced]
    assert asked and header.labels.retried == len(asked) and header.labels.defaulted == 0
    assert all(r.choice == max(r.candidates, key=base.index) and not r.label.defaulted for r in asked)
    assert "response_format" not in teacher.requests[0] and not header.labels.structured


def test_concurrent_requests_in_lock_step_episodes_give_the_file_one_at_a_time_gives(teachers, tmp_path):
    teacher = teachers(last_offered, delay=0.05)
    pursuit = make_task("pursuit", {"max_steps": "3", "maps": "ring,arena", "held_out": "ring"})
    live = generate_data(tmp_path / "live.jsonl", 4, pursuit, options=options(teacher.url, tmp_path / "store", None, 4))
    assert teacher.most_in_flight > 1  # requests really ran together
    teacher.local.stop()
    replayed = generate_data(
        tmp_path / "replayed.jsonl", 4, pursuit, options=options(None, None, tmp_path / "store", concurrency=1)
    )
    assert replayed.read_bytes() == live.read_bytes()
    assert [e.episode for e in read_data(live)[2]] == [0, 1, 2, 3]


def test_a_missing_exchange_in_replay_is_named(teachers, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserInputError, match=r"replay: no stored teacher reply for request [0-9a-f]{64} in"):
        hands(tmp_path / "h.jsonl", options(None, None, tmp_path / "empty"), episodes=3)


def test_resuming_with_another_teacher_model_is_refused(teachers, tmp_path):
    teacher = teachers(last_offered)
    opts = options(teacher.url, tmp_path / "store")
    hands(tmp_path / "h.jsonl", opts, episodes=2)
    other = replace(opts.llm, teacher=replace(opts.llm.teacher, model="another-model"))
    with pytest.raises(UserInputError, match=r"other settings \(labels\)"):
        hands(tmp_path / "h.jsonl", replace(opts, llm=other), episodes=3)


def data_cli(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "logicdistill", "data", "--task", "twentyone", "--retriever", "bm25", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "OMP_NUM_THREADS": "1", **env},
    )


def assert_one_line_error(run, *fragments):
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def refusing_app():
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    app = FastAPI()

    @app.post("/v1/chat/completions")
    def chat():
        error = {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}
        return JSONResponse(status_code=401, content={"error": error})

    return app


def test_cli_bad_endpoint_bad_key_and_unusable_teacher_are_one_clear_line_each(teachers, tmp_path):
    common = ["--demonstrator", "llm", "--teacher", MODEL, "--episodes", "4"]
    nobody = f"http://127.0.0.1:{free_port()}/v1"
    run = data_cli(*common, "--teacher-base-url", nobody, "--out", tmp_path / "a.jsonl")
    assert_one_line_error(run, f"cannot reach the teacher endpoint {nobody}: Connection error. Start the server")

    refusing = start_server(refusing_app())
    try:
        run = data_cli(
            *common, "--teacher-base-url", refusing.url, "--out", tmp_path / "b.jsonl", LOGICDISTILL_API_KEY="sk-wrong"
        )
    finally:
        refusing.stop()
    assert_one_line_error(run, f"the teacher endpoint {refusing.url} rejected the API key (401)")

    teacher = teachers(lambda body: PROSE)
    out = tmp_path / "c.jsonl"
    run = data_cli(*common, "--teacher-base-url", teacher.url, "--out", out, "--price-per-mtok", "0.5,2")
    assert_one_line_error(
        run, f"the teacher {MODEL} gave no usable answer in any of its", "is not one of the functions' names"
    )
    usage = read_data(out)[0].labels
    assert usage.decisions > 0 and usage.defaulted == usage.retried == usage.decisions  # counted in the header
    assert usage.cost == pytest.approx((usage.prompt_tokens * 0.5 + usage.completion_tokens * 2) / 1e6)
    assert f"any of its {usage.decisions} decisions" in run.stderr and len(
        list((tmp_path / "c.teacher-store").iterdir())
    )


def test_cli_llm_options_need_the_llm_demonstrator_and_a_model(tmp_path, monkeypatch, capsys):
    from logicdistill.cli.app import main  # in process: both refusals come before any work

    for args, message in [
        (["--teacher", MODEL], "error: --teacher: only with --demonstrator llm"),
        (["--demonstrator", "llm", "--concurrency", "2"], "error: --demonstrator llm needs --teacher MODEL"),
        (["--teacher-reasoning"], "error: --teacher-reasoning: only with --demonstrator llm"),
        (
            ["--demonstrator", "llm", "--teacher", MODEL, "--price-per-mtok", "0.15,0.6,1"],
            "error: --price-per-mtok takes USD per million tokens as IN,OUT (prompt, completion; e.g. 0.15,0.6)",
        ),
    ]:
        argv = ["logicdistill", "data", "--task", "twentyone", "--out", str(tmp_path / "a.jsonl"), *args]
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as exited:
            main()
        lines = capsys.readouterr().err.strip().splitlines()
        assert exited.value.code == 2 and len(lines) == 1 and lines[0].startswith(message), lines


@pytest.mark.parametrize(
    ("price", "shown"), [(["--price-per-mtok", 0.5], " ($0.0000 at $0.5 in, $0.5 out per million)"), ([], "")]
)
def test_cli_prints_what_labelling_took(teachers, tmp_path, price, shown):
    teacher = teachers(last_offered)
    out = tmp_path / "h.jsonl"
    run = data_cli(
        "--demonstrator",
        "llm",
        "--teacher",
        MODEL,
        "--teacher-base-url",
        teacher.url,
        "--episodes",
        4,
        "--concurrency",
        2,
        *price,
        "--out",
        out,
    )
    assert run.returncode == 0, run.stderr
    usage = read_data(out)[0].labels
    printed = " ".join(run.stdout.split())
    assert (
        f"labels: {MODEL} answered {usage.decisions} decisions in {usage.exchanges} exchanges, "
        f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens{shown}; "
        f"0 retried, 0 defaulted to the stage's default; exchanges in {tmp_path / 'h.teacher-store'}"
    ) in printed


def test_the_teacher_agent_plays_and_evaluates_with_the_llm(teachers, tmp_path):
    from logicdistill.evaluation.run import evaluate, play

    teacher = teachers(last_offered)
    pursuit = make_task("pursuit", {"max_steps": "3"})
    order = pursuit.bundled_base().names()
    opts = options(teacher.url, tmp_path / "store")
    result = play("teacher", pursuit, None, 0, opts)
    asked = [s for step in result.trace for s in step.stages if not s.forced]
    assert asked and all(s.label and s.choice == max(s.offered, key=order.index) for s in asked)
    summary = evaluate("teacher", pursuit, 3, 0, opts, parallel=3)
    assert summary["episodes"] == 3 and summary["agent"] == "teacher"


def test_eval_reports_the_teacher_llms_usage_also_over_processes(teachers, tmp_path):
    from logicdistill.evaluation.run import evaluate

    teacher = teachers(last_offered)
    pursuit = make_task("pursuit", {"max_steps": "3"})
    opts = options(teacher.url, tmp_path / "store", price_per_mtok=(1.0, 4.0))
    one = evaluate("teacher", pursuit, 4, 0, opts, parallel=2)
    usage = one["teacher_llm"]
    assert usage["model"] == MODEL and usage["decisions"] > 0 and usage["defaulted"] == 0
    assert usage["exchanges"] == len(teacher.requests) == usage["prompt_tokens"] == usage["completion_tokens"]
    assert usage["cost"] == pytest.approx(usage["exchanges"] * (1.0 + 4.0) / 1e6)
    two = evaluate("teacher", pursuit, 4, 0, opts, parallel=2, processes=2)
    assert two["processes"] == 2 and two["per_episode"] == one["per_episode"]
    assert two["teacher_llm"] == usage  # an exchange made in both processes counts once, as in one


def test_a_workers_error_is_the_same_one_line_error(tmp_path):
    from logicdistill.evaluation.run import evaluate

    (tmp_path / "empty").mkdir()
    pursuit = make_task("pursuit", {"max_steps": "3"})  # no policy figures: only the workers ask
    with pytest.raises(UserInputError, match=r"^replay: no stored teacher reply for request [0-9a-f]{64} in"):
        evaluate("teacher", pursuit, 2, 0, options(None, None, tmp_path / "empty"), processes=2)


def test_cli_eval_json_holds_the_teacher_llms_usage(teachers, tmp_path):
    teacher = teachers(last_offered)
    out = tmp_path / "eval.json"
    args = ["--task", "pursuit", "--set", "max_steps=3", "--agent", "teacher", "--retriever", "bm25"]
    args += ["--demonstrator", "llm", "--teacher", MODEL, "--teacher-base-url", teacher.url]
    args += ["--store", str(tmp_path / "store"), "--episodes", "4", "--price-per-mtok", "1,4", "--processes", "2"]
    run = subprocess.run(
        [sys.executable, "-m", "logicdistill", "eval", *args, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(out.read_text())
    usage = summary["teacher_llm"]
    assert summary["processes"] == 2 and summary["episodes"] == 4
    # Two workers may ask the same question before either has stored the reply: the server then
    # hears it twice, and the usage counts the exchange once.
    distinct = {json.dumps(body, sort_keys=True) for body in teacher.requests}
    assert usage["decisions"] > 0 and usage["exchanges"] == len(distinct)
    assert (usage["price_in_per_mtok"], usage["price_out_per_mtok"]) == (1.0, 4.0)
    assert usage["cost"] == pytest.approx((usage["prompt_tokens"] * 1 + usage["completion_tokens"] * 4) / 1e6)


def test_any_task_gets_the_llm_teacher_without_knowing_it(teachers, tmp_path):
    from pathlib import Path

    bakery = make_task(f"{Path(__file__).resolve().parents[2] / 'examples' / 'bakery.py'}:BakeryTask", {"days": "4"})
    assert "llm" not in bakery.demonstrators
    teacher = teachers(last_offered)
    header, rows, _ = read_data(
        generate_data(tmp_path / "b.jsonl", 2, bakery, options=options(teacher.url, tmp_path / "store"))
    )
    asked = [r for r in rows if not r.forced]
    assert asked and header.labels.decisions == len(asked)
    assert all(r.choice == max(r.candidates, key=list(header.manuals).index) for r in asked)
