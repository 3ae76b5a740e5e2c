"""`logicdistill distill` through the real console script, on the example bakery task named by file
reference, at tiny sizes: the whole method end to end (data, LD and KD students on one budget,
evaluation, the task's emergency, summary.json and report.html, every step timed); a second run
reuses every artefact; a changed size is refused and ``--fresh`` redoes every step; a killed run
resumes; a teacher LLM (a scripted OpenAI-compatible server on localhost, real HTTP) writes the
base and labels the decisions, and ``--fresh`` then replays it all from the stored exchanges with
the server gone. The runs without students skip training: nothing evaluated needs one."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import chat_app, start_server

from logicdistill.functions import load_base
from logicdistill.tasks import make_task

BAKERY = f"{Path(__file__).parents[2] / 'examples' / 'bakery.py'}:BakeryTask"
TINY = ("--task", BAKERY, "--set", "days=3", "--data-episodes", "3", "--eval-episodes", "1")
WHOLE = (*TINY, "--examples", "8", "--agents", "teacher,ld,kd", "--out", "out")  # every agent of the method
NO_STUDENTS = (*TINY, "--agents", "teacher,random", "--emergency", "none", "--out", "out")
MODEL = "scripted-teacher"


def distill(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "logicdistill", "distill", *args], capture_output=True, text=True, timeout=900, cwd=cwd
    )


def ok(run: subprocess.CompletedProcess) -> str:
    assert run.returncode == 0, run.stderr[-3000:]
    return " ".join(run.stdout.split())  # rich wraps long lines


def summary_of(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def stamps(out: Path) -> dict[Path, int]:
    """Every artefact's modification time (the summary and report are rewritten by every run)."""
    rewritten = {out / "summary.json", out / "report.html"}
    return {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p not in rewritten}


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("distill")
    return root / "out", ok(distill(*WHOLE, cwd=root))


def test_the_whole_method_end_to_end(whole):
    out, stdout = whole
    summary = summary_of(out)
    bakery = summary["tasks"]["bakery"]
    assert bakery["base"]["source"] == "bundled" and bakery["base"]["path"] is None
    assert bakery["data"]["demonstrator"] == "expected-cost" and bakery["data"]["episodes"] == 3
    assert bakery["train"]["ld"]["train_examples"] == bakery["train"]["kd"]["train_examples"] == 8  # one budget
    assert list(bakery["agents"]) == ["teacher", "ld", "kd"]
    assert summary["config"]["bakery.examples"] == 8 and summary["config"]["bakery.learning_rate"] == 1e-3  # recipe
    assert summary["config"]["bakery.task"] == BAKERY
    (drill,) = summary["emergencies"]  # the task's one emergency, by default
    assert drill["scenario"] == "supplier_cap" and drill["agent"] == "ld" and not drill["retrained"]
    steps = summary["steps"]
    assert list(steps) == [
        "bakery: teacher data (expected-cost)",
        "bakery: train ld",
        "bakery: train kd",
        "bakery: eval teacher",
        "bakery: eval ld",
        "bakery: eval kd",
        "bakery: emergency supplier_cap",
    ]
    assert all(not t["reused"] and t["seconds"] > 0 for t in steps.values())
    assert summary["total_seconds"] == pytest.approx(sum(t["seconds"] for t in steps.values()))
    html = (out / "report.html").read_text()
    for name, timing in steps.items():  # each step's time in the report
        assert f'<tr><td>{name}</td><td class="num">{timing["seconds"]:.0f}</td>' in html
    assert "Emergency in bakery: supplier_cap" in html and "Training: the learning curves" in html
    assert "steps: 7 run, 0 reused" in stdout and "report:" in stdout


def test_a_second_run_reuses_every_artefact(whole):
    out, _ = whole
    before, first = stamps(out), summary_of(out)["steps"]
    start = time.perf_counter()
    stdout = ok(distill(*WHOLE, cwd=out.parent))
    assert time.perf_counter() - start < 120  # no model is loaded, no episode played
    again = summary_of(out)["steps"]
    assert all(t["reused"] for t in again.values()) and "steps: 0 run, 7 reused" in stdout
    assert [t["seconds"] for t in again.values()] == [t["seconds"] for t in first.values()]  # from the ledger
    assert stamps(out) == before


def test_a_changed_size_is_refused_and_fresh_redoes_every_step(tmp_path):
    out = tmp_path / "out"
    ok(distill(*NO_STUDENTS, cwd=tmp_path))
    assert list(summary_of(out)["steps"]) == [
        "bakery: teacher data (expected-cost)",
        "bakery: eval teacher",
        "bakery: eval random",
    ]  # no student is trained: nothing evaluated needs one
    (out / "notes.txt").write_text("mine")
    changed = (*NO_STUDENTS, "--eval-episodes", "2")
    refused = distill(*changed, cwd=tmp_path)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "other settings (bakery.eval_episodes)" in refused.stderr and "--fresh" in refused.stderr
    ok(distill(*changed, "--fresh", cwd=tmp_path))
    summary = summary_of(out)
    assert not any(t["reused"] for t in summary["steps"].values())
    assert summary["tasks"]["bakery"]["agents"]["teacher"]["episodes"] == 2
    assert (out / "notes.txt").read_text() == "mine"  # only the pipeline's files are removed


def test_a_killed_run_resumes_where_it_stopped(tmp_path):
    args = (*NO_STUDENTS, "--eval-episodes", "20")
    ledger = tmp_path / "out" / "pipeline.json"
    command = [sys.executable, "-m", "logicdistill", "distill", *args]
    with subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        deadline = time.time() + 300
        while not ledger.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        proc.kill()  # as a crash or a lost machine would: no clean-up runs
    assert list(json.loads(ledger.read_text())["seconds"]) == ["bakery: teacher data (expected-cost)"]
    assert not (tmp_path / "out" / "summary.json").exists()
    ok(distill(*args, cwd=tmp_path))
    reused = {name: t["reused"] for name, t in summary_of(tmp_path / "out")["steps"].items()}
    assert reused == {
        "bakery: teacher data (expected-cost)": True,
        "bakery: eval teacher": False,
        "bakery: eval random": False,
    }


# -- a teacher LLM ------------------------------------------------------------------------------
WRITTEN = {  # what the scripted teacher writes per stage: two functions that act differently
    "forecast": [
        '''def same_as_yesterday(state):
    """Expect as many customers as came yesterday.

    When: the default; demand is about the same every day.
    """
    return state.demand[-1]''',
        '''def last_week_mean(state):
    """The mean of the last seven days, rounded.

    When: demand varies from day to day but not by weekday.
    """
    return round(sum(state.demand[-7:]) / 7)''',
    ],
    "order": [
        '''def order_with_spare(state, forecast):
    """Order for the forecast plus 2 spare loaves, rounded up to an order size.

    When: the default; the forecast may be short by a loaf or two.
    """
    return state.round_order(forecast + 2 - state.stock)''',
        '''def order_exactly(state, forecast):
    """Order what the forecast needs beyond yesterday's loaves, no spare.

    When: demand is steady, so the forecast is rarely too low.
    """
    return state.round_order(forecast - state.stock)''',
    ],
}


class ScriptedTeacher:
    """Writes WRITTEN's functions when asked for a stage's (once each), picks the last candidate
    when asked to label a decision; keeps every request."""

    def __init__(self):
        self.requests: list[dict] = []
        self.asked: set[str] = set()
        self.local = start_server(chat_app(self.reply, MODEL))

    def reply(self, body: dict) -> str:
        self.requests.append(body)
        if "response_format" in body:  # a decision to label, with the candidates' names as a schema
            names = body["response_format"]["json_schema"]["schema"]["properties"]["function"]["enum"]
            return json.dumps({"function": names[-1]})
        stage = re.search(r'for stage "(\w+)"', body["messages"][-1]["content"]).group(1)
        if stage in self.asked:
            return "I have no more ideas."
        self.asked.add(stage)
        sources = WRITTEN[stage]
        functions = [{"name": re.search(r"def (\w+)", s).group(1), "stage": stage, "source": s} for s in sources]
        return json.dumps({"functions": functions})


def test_a_teacher_llm_writes_the_base_and_labels_and_fresh_replays_it_offline(tmp_path):
    teacher = ScriptedTeacher()
    args = (*NO_STUDENTS, "--teacher", MODEL, "--teacher-base-url", teacher.local.url, "--demonstrator", "llm")
    try:
        ok(distill(*args, cwd=tmp_path))
    finally:
        teacher.local.stop()
    out = tmp_path / "out"
    summary = summary_of(out)
    base = summary["tasks"]["bakery"]["base"]
    assert base["source"] == "teacher" and base["teacher"] == MODEL and base["path"] == "bakery/base"
    assert base["functions"] == {
        "forecast": ["same_as_yesterday", "last_week_mean"],
        "order": ["order_with_spare", "order_exactly"],
    }
    written = load_base(out / "bakery" / "base", task=make_task(BAKERY))
    assert written.fingerprint == base["fingerprint"]
    assert {f.provenance.kind for f in written.functions} == {"teacher"}
    labels = summary["tasks"]["bakery"]["data"]["labels"]
    assert labels["model"] == MODEL and labels["decisions"] > 0 and labels["defaulted"] == 0
    assert list(summary["steps"])[:2] == ["bakery: base by teacher scripted-teacher", "bakery: teacher data (llm)"]
    assert any("response_format" in r for r in teacher.requests) and (out / "bakery" / "teacher-store").is_dir()

    # the server is gone: --fresh redoes every step, every answer read from the stored exchanges
    ok(distill(*args, "--fresh", cwd=tmp_path))
    again = summary_of(out)
    assert not any(t["reused"] for t in again["steps"].values())
    assert again["tasks"]["bakery"]["base"]["fingerprint"] == base["fingerprint"]
    assert again["tasks"]["bakery"]["data"]["labels"]["decisions"] == labels["decisions"]


@pytest.mark.parametrize(
    "args, message",
    [
        (("--task", "chess"), "unknown task 'chess'"),
        (("--task", BAKERY, "--examples", "0"), "--examples must be at least 1"),
        (("--task", BAKERY, "--emergency", "lava"), "unknown bakery emergency 'lava'; scenarios: supplier_cap"),
        (("--task", BAKERY, "--emergency", "all", "--emergency", "supplier_cap"), "stand alone"),
        (("--task", BAKERY, "--agents", "teacher,,ld"), "--agents takes names separated by commas"),
        (("--task", BAKERY, "--agents", "teacher,wizard"), "unknown agents for bakery: wizard"),
        (("--task", BAKERY, "--demonstrator", "llm"), "--demonstrator llm needs --teacher"),
        (("--task", BAKERY, "--teacher", "m", "--teacher-base-url", "https://api.example.com/v1"), "API key"),
    ],
)
def test_bad_input_is_one_line_before_any_step(tmp_path, monkeypatch, args, message):
    monkeypatch.delenv("LOGICDISTILL_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    run = distill(*args, "--out", "out", cwd=tmp_path)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert run.stderr.startswith("error:") and message in run.stderr
    assert not (tmp_path / "out" / "pipeline.json").exists()
