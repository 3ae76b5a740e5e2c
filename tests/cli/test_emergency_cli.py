"""`logicdistill emergency` as a subprocess: the listing, the JSON report, clean errors."""

import json
import subprocess
import sys

import pytest

from logicdistill.tasks import get_task

KEYS = {
    "task",
    "scenario",
    "rule",
    "agent",
    "retrained",
    "metric",
    "higher_is_better",
    "base_dir",
    "base_version",
    "added_functions",
    "normal",
    "before",
    "after",
    "recovery",
    "new_function_choices",
    "teacher",
    "kd",
}


def cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "logicdistill", "emergency", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


@pytest.mark.parametrize("task", ["pursuit", "twentyone"])
def test_list_prints_one_scenario_per_line_name_first(task):
    run = cli("--task", task, "--list")
    assert run.returncode == 0, run.stderr
    lines, emergencies = run.stdout.splitlines(), get_task(task).emergencies
    assert [line.split()[0] for line in lines] == [e.name for e in emergencies]
    assert all(e.rule in line for e, line in zip(emergencies, lines))


def test_twentyone_report_has_the_documented_keys(tmp_path):
    out, base = tmp_path / "r.json", tmp_path / "base"
    run = cli(
        "--task",
        "twentyone",
        "--scenario",
        "surrender",
        "--agent",
        "teacher",
        "--retriever",
        "bm25",
        "--episodes",
        "100",
        "--base-out",
        str(base),
        "--json",
        str(out),
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text())
    assert KEYS <= set(report) and report["retrained"] is False and report["metric"] == "regret"
    assert report["before"]["regret"] > 0.008 > report["after"]["regret"] and report["higher_is_better"] is False
    assert report["added_functions"][0]["provenance"]["kind"] == "reference" and report["base_version"] == 2
    assert (base / "v0002" / "functions" / "surrender_hopeless_hand.py").is_file()
    assert "surrender_hopeless_hand (decide, reference)" in run.stdout
    assert "lower being better" in run.stdout  # the recovery, in words that fit the headline metric


def test_pursuit_report_measures_the_agent_and_the_teacher(tmp_path):
    out = tmp_path / "r.json"
    run = cli(
        "--scenario",
        "box_in",
        "--agent",
        "random",
        "--retriever",
        "bm25",
        "--episodes",
        "1",
        "--variant",
        "ring",
        "--base-out",
        str(tmp_path / "base"),
        "--json",
        str(out),
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text())
    assert KEYS <= set(report) and report["agent"] == "random" and report["kd"] is None
    for phases in (report, report["teacher"]):
        assert all(phases[p]["episodes"] == 1 and 0 <= phases[p]["success_rate"] <= 1 for p in ("before", "after"))


@pytest.mark.parametrize(
    "args, message",
    [
        (("--scenario", "lava"), "unknown pursuit emergency 'lava'; scenarios: closed_zone, no_u_turn, box_in"),
        (("--task", "twentyone", "--scenario", "closed_zone"), "unknown twentyone emergency 'closed_zone'"),
        ((), "pass --scenario NAME"),
        (("--task", "chess", "--list"), "unknown task 'chess'"),
        (("--list", "--set", "bogus=1"), "has no setting 'bogus'"),
        (("--scenario", "box_in", "--demonstrator", "llm"), "--demonstrator llm needs --teacher MODEL"),
        (("--scenario", "box_in", "--concurrency", "2"), "--concurrency: only with --demonstrator llm"),
        (("--scenario", "box_in", "--teacher-reasoning"), "--teacher-reasoning needs --teacher MODEL"),
    ],
)
def test_bad_input_is_one_clear_line(args, message):
    run = cli(*args)
    assert run.returncode == 2 and message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_one_teacher_llm_writes_the_new_functions_and_labels_the_teacher_agents_decisions(tmp_path):
    """``--teacher`` names one teacher LLM for both its roles: with ``--demonstrator llm`` the model
    that writes the new functions also answers the teacher agent's decisions, through one store."""
    import re

    from helpers import chat_app, start_server

    from logicdistill.functions import Provenance, Verification
    from logicdistill.functions.source import functions_from_source

    scenario = next(e for e in get_task("pursuit").emergencies if e.name == "closed_zone")
    specs = [
        spec
        for origin, text in scenario.references
        for spec in functions_from_source(text, Provenance(kind="reference"), Verification(status="unverified"))
    ]
    requests = []

    def reply(body: dict) -> str:
        requests.append(body)
        if "response_format" in body:  # a decision: the last offered function
            names = body["response_format"]["json_schema"]["schema"]["properties"]["function"]["enum"]
            return json.dumps({"function": names[-1]})
        stage = re.search(r'for stage "(\w+)"', body["messages"][-1]["content"]).group(1)
        written = [{"name": f.name, "stage": f.stage, "source": f.source} for f in specs if f.stage == stage]
        return json.dumps({"functions": written})

    server = start_server(chat_app(reply, "scripted-teacher"))
    out = tmp_path / "r.json"
    try:
        run = cli(
            *("--scenario", "closed_zone", "--set", "max_steps=4", "--retriever", "bm25", "--episodes", "2"),
            *("--demonstrator", "llm", "--teacher", "scripted-teacher", "--teacher-base-url", server.url),
            *("--concurrency", "2", "--price-per-mtok", "1,4", "--base-out", str(tmp_path / "base")),
            *("--json", str(out)),
        )
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text())
    assert {f["provenance"]["kind"] for f in report["added_functions"]} == {"teacher"}
    for phase in ("normal", "before", "after"):
        usage = report[phase]["teacher_llm"]
        assert usage["model"] == "scripted-teacher" and usage["decisions"] > 0 and usage["cost"] > 0
    labelled = [r for r in requests if "response_format" in r]
    assert labelled and len(labelled) < len(requests)  # both roles asked the one server
    store = list((tmp_path / "base" / "teacher-store").glob("*.json"))
    assert len(store) == len({json.dumps(r, sort_keys=True) for r in requests})  # one store for both roles
