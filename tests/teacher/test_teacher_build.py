"""`base build` against a real localhost OpenAI-compatible server: a verified base with provenance,
rejected functions fed back and fixed, exact offline replay, and clear errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import functions_reply

from logicdistill.errors import EndpointError, UserInputError
from logicdistill.functions import load_base, save_base
from logicdistill.tasks import get_task
from logicdistill.teacher import TeacherClient, TeacherConfig, build_base

ESTIMATE = '''def stand_on_dealer_strength(state):
    """Stick on 12 or more against a weak dealer card (2 to 6), else on 17 or more.

    When: the dealer's card decides how much risk is worth taking.
    """
    return 12 if 2 <= state.dealer_card <= 6 else 17'''
DECIDE = '''def stick_at_estimate(state, stand_on):
    """Stick once my sum reaches the estimate, else hit.

    When: the default; nothing special about the hand.
    """
    return "stick" if state.player_sum >= stand_on else "hit"'''
DECIDE_OS = '''def ask_the_shell(state, stand_on):
    """Ask the shell.

    When: never.
    """
    import os
    return "hit" if os.system("true") else "stick"'''
DECIDE_DOUBLE = '''def double_down(state, stand_on):
    """Double down on 11.

    When: I hold a hard 11.
    """
    return "double" if state.player_sum == 11 else "stick"'''
PURSUIT = {
    "target": '''def closest_evader(state):
    """Target the evader closest to me.

    When: the default.
    """
    return min(state.evaders, key=lambda e: (state.dist(state.me, state.evaders[e]), e))''',
    "strategy": '''def chase_directly(state, target):
    """Head for the target's cell.

    When: the default.
    """
    return state.evaders[target]''',
    "move": '''def step_along_path(state, target, goal):
    """Step along a shortest path to the goal.

    When: the default.
    """
    return state.step_towards(state.me, goal)''',
}


def client(url: str | None, store, replay=None) -> TeacherClient:
    return TeacherClient(TeacherConfig("scripted-teacher", url, store=store, replay=replay))


def script_twentyone(server) -> None:
    server.replies["estimate"] = [functions_reply("estimate", ESTIMATE, fence=True)]
    server.replies["decide"] = [functions_reply("decide", DECIDE_OS, DECIDE_DOUBLE), functions_reply("decide", DECIDE)]


def test_build_writes_a_verified_base_with_provenance(teacher_server, tmp_path):
    script_twentyone(teacher_server)
    base, outcomes = build_base(
        client(teacher_server.url, tmp_path / "store"), get_task("twentyone"), per_stage=1, retries=1
    )
    assert base.names() == ["stand_on_dealer_strength", "stick_at_estimate"]
    for spec in base.functions:
        assert spec.provenance.kind == "teacher" and spec.provenance.model == "scripted-teacher"
        assert spec.verification.status == "verified" and len(spec.verification.checks) == 3
        key = spec.provenance.note.removeprefix("teacher exchange ")
        assert (tmp_path / "store" / f"{key}.json").is_file()  # each function points at the exchange it came from
    assert [o.requests for o in outcomes] == [1, 2]
    request = teacher_server.requests[0]
    assert request["model"] == "scripted-teacher" and request["temperature"] == 0.0
    prompt = request["messages"][1]["content"]
    assert "state.hit_once_value() -> float" in prompt and 'for stage "estimate"' in prompt  # the contract
    assert "21 Points, classic rules" in prompt and '"functions"' in prompt


def test_rejected_functions_are_fed_back_and_fixed_on_retry(teacher_server, tmp_path):
    script_twentyone(teacher_server)
    _, outcomes = build_base(
        client(teacher_server.url, tmp_path / "store"), get_task("twentyone"), per_stage=1, retries=1
    )
    decide = outcomes[1]
    assert [f.name for f in decide.admitted] == ["stick_at_estimate"]
    assert any("import of 'os' is not allowed" in r for r in decide.rejections)
    retry = teacher_server.requests[-1]["messages"]
    assert retry[-2]["role"] == "assistant" and "ask_the_shell" in retry[-2]["content"]  # the conversation goes on
    feedback = retry[-1]["content"]
    assert "ask_the_shell: rejected: line 6: import of 'os' is not allowed" in feedback
    assert (
        "double_down: rejected: returned a result stage decide cannot use: action must be 'hit' or 'stick'" in feedback
    )


def test_retries_ask_only_for_the_missing_functions(teacher_server, tmp_path):
    second = ESTIMATE.replace("stand_on_dealer_strength", "stand_on_dealer_strength_again")
    fixed = DECIDE.replace("stick_at_estimate", "stick_at_estimate_again")
    teacher_server.replies["estimate"] = [functions_reply("estimate", ESTIMATE, second)]
    teacher_server.replies["decide"] = [
        functions_reply("decide", DECIDE, DECIDE_DOUBLE),
        functions_reply("decide", fixed),
    ]
    base, outcomes = build_base(
        client(teacher_server.url, tmp_path / "store"), get_task("twentyone"), per_stage=2, retries=2
    )
    assert base.names() == [
        "stand_on_dealer_strength",
        "stand_on_dealer_strength_again",
        "stick_at_estimate",
        "stick_at_estimate_again",
    ]
    assert [o.requests for o in outcomes] == [1, 2]
    retry = teacher_server.requests[-1]["messages"][-1]["content"]
    assert "Admitted so far: stick_at_estimate." in retry and "Write 1 new or corrected function" in retry


def test_replay_reproduces_the_identical_base_with_the_server_stopped(teacher_server, tmp_path):
    script_twentyone(teacher_server)
    live, _ = build_base(client(teacher_server.url, tmp_path / "store"), get_task("twentyone"), per_stage=1, retries=1)
    teacher_server.stop()
    replayed, _ = build_base(
        client(teacher_server.url, None, replay=tmp_path / "store"), get_task("twentyone"), per_stage=1, retries=1
    )
    assert [f.model_dump() for f in replayed.functions] == [f.model_dump() for f in live.functions]
    assert replayed.fingerprint == live.fingerprint
    first, second = save_base(live, tmp_path / "a"), save_base(replayed, tmp_path / "b")
    assert (tmp_path / "a" / "v0001" / "functions" / "stick_at_estimate.py").read_bytes() == (
        tmp_path / "b" / "v0001" / "functions" / "stick_at_estimate.py"
    ).read_bytes()
    assert first.fingerprint == second.fingerprint


def test_a_missing_replay_entry_is_a_clear_error_naming_the_key(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserInputError, match=r"no stored teacher reply for request [0-9a-f]{64} in"):
        build_base(client(None, None, replay=tmp_path / "empty"), get_task("twentyone"), per_stage=1, retries=0)


def test_a_stage_with_no_admitted_function_fails_and_writes_nothing(teacher_server, tmp_path):
    teacher_server.replies["estimate"] = [functions_reply("estimate", ESTIMATE)]
    teacher_server.replies["decide"] = [functions_reply("decide", DECIDE_DOUBLE), "no code today"]
    with pytest.raises(EndpointError, match="no function for stage 'decide' that passed verification in 2"):
        build_base(client(teacher_server.url, tmp_path / "store"), get_task("twentyone"), per_stage=1, retries=1)
    assert "double_down: rejected" in teacher_server.requests[-1]["messages"][-1]["content"]
    assert len(list((tmp_path / "store").glob("*.json"))) == 3  # kept, so a rerun resumes


def test_cli_builds_a_pursuit_base_and_replays_it_offline(teacher_server, tmp_path):
    for stage, source in PURSUIT.items():
        teacher_server.replies[stage] = [functions_reply(stage, source)]
    out, again = tmp_path / "base", tmp_path / "again"
    command = [
        sys.executable,
        "-m",
        "logicdistill",
        "base",
        "build",
        "--task",
        "pursuit",
        "--teacher",
        "scripted-teacher",
        "--per-stage",
        "1",
    ]
    run = subprocess.run(
        [*command, "--teacher-base-url", teacher_server.url, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    printed = " ".join(run.stdout.split())  # rich wraps long lines
    assert "stage move: admitted step_along_path" in printed and "3 new request(s)" in printed
    teacher_server.stop()
    run = subprocess.run(
        [*command, "--replay", str(out / "teacher-store"), "--out", str(again)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert load_base(again).fingerprint == load_base(out).fingerprint
    assert load_base(out).get("closest_evader").provenance.kind == "teacher"


def test_cli_unreachable_endpoint_is_one_clear_line(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "logicdistill",
            "base",
            "build",
            "--task",
            "twentyone",
            "--teacher",
            "m",
            "--teacher-base-url",
            "http://127.0.0.1:9/v1",
            "--out",
            str(tmp_path / "b"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    printed = " ".join(run.stderr.split())
    assert "cannot reach the teacher endpoint http://127.0.0.1:9/v1" in printed and "Traceback" not in printed
    assert not (tmp_path / "b" / "CURRENT").exists()
