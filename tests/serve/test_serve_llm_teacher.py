"""The served 135M student as the teacher LLM of ``data --demonstrator llm``: the real server, the
real ``openai`` client, the real console script. It reads the student's prompt word for word; it
answers the JSON schema the teacher asks with (structured outputs), so every label is one of the
offered names; a run killed midway resumes; the header records the model and its token usage; and
the offline replay, with the server stopped, rebuilds the identical file (at another concurrency,
too). Without the schema the 135M echoes the listing: tests/serve/test_serve_structured.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from logicdistill.agent.loop import stage_line
from logicdistill.distill.data import read_data
from logicdistill.distill.examples import make_examples
from logicdistill.student.prompts import selection_messages, selection_prompt
from logicdistill.tasks import get_task

pytestmark = pytest.mark.slow
MAX_TOKENS = 24  # the server's cap per reply: room for the longest name as JSON, {"function":"hit_soft_18_..."}
HANDS = 6  # 21 Points hands: 6 decisions asked, most hands forced


def test_the_teacher_llm_reads_the_students_prompt_word_for_word(student):
    task = get_task("pursuit")
    stage = task.stages[0]
    candidates = [(f.name, f.manual.text()) for f in task.bundled_base().by_stage(stage.name)[:3]]
    args = (task.instruction, stage_line(stage), "me P0\nE0 d3 {x}", candidates, ["E0 d3", "E1 d5", "E2 d{1}"])
    messages = selection_messages(*args)
    rendered = student.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert rendered == selection_prompt(student.tokenizer, *args).text


def command(*args) -> list[str]:
    data = ["data", "--task", "twentyone", "--retriever", "bm25", "--episodes", str(HANDS), "--demonstrator", "llm"]
    return [sys.executable, "-m", "logicdistill", *data, *map(str, args)]


ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def test_a_killed_run_resumes_and_the_offline_replay_rebuilds_the_same_file(served, tmp_path):
    out, again, store = tmp_path / "hands.jsonl", tmp_path / "again.jsonl", tmp_path / "store"
    live = command("--teacher", served.model_id, "--teacher-base-url", served.url, "--store", store)
    live += ["--concurrency", "2", "--price-per-mtok", "0.2,0.8", "--out", str(out)]
    first = subprocess.Popen(live, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    deadline = time.time() + 240
    while time.time() < deadline and first.poll() is None:  # kill it once a hand is written and a question answered
        if out.is_file() and '"kind":"episode"' in out.read_text() and store.is_dir() and any(store.iterdir()):
            break
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    assert first.wait() == -signal.SIGKILL  # killed midway, not finished
    assert 0 < len(read_data(out)[2]) < HANDS

    resumed = subprocess.run(live, capture_output=True, text=True, timeout=300, env=ENV)
    header, rows, episodes = read_data(out)
    usage = header.labels
    assert len(episodes) == HANDS and usage.model == served.model_id
    assert (usage.price_in_per_mtok, usage.price_out_per_mtok) == (0.2, 0.8)
    asked = [r for r in rows if not r.forced]
    assert asked and usage.decisions == len(asked) and all(r.label for r in asked)
    assert usage.prompt_tokens > 100 * usage.exchanges and 0 < usage.completion_tokens <= MAX_TOKENS * usage.exchanges
    assert usage.exchanges == len(list(store.glob("*.json")))  # each asked once, also across the kill
    assert usage.cost == pytest.approx((usage.prompt_tokens * 0.2 + usage.completion_tokens * 0.8) / 1e6)
    examples = make_examples(header, rows, served.student.tokenizer, "ld")  # training reads it like any other
    assert [e.answer for e in examples] == [r.choice for r in asked]
    assert resumed.returncode == 0, resumed.stderr
    assert usage.structured and usage.retried == usage.defaulted == 0  # the schema: every reply is a name
    assert all(r.choice in r.candidates and not r.label.unusable for r in asked)

    served.stop()
    replay = command(
        "--teacher", served.model_id, "--replay", store, "--concurrency", "1", "--price-per-mtok", "0.2,0.8"
    )
    replay += ["--out", str(again)]
    replayed = subprocess.run(replay, capture_output=True, text=True, timeout=300, env=ENV)
    assert replayed.returncode == resumed.returncode, replayed.stderr
    assert again.read_bytes() == out.read_bytes()
