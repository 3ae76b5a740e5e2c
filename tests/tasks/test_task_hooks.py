"""The task API's hooks for what a task knows best: the demonstrator's horizon (and ``--horizon``),
where ``eval`` plays by default, forking the environment at a state, the environment a baseline is
built with, figures of the played episodes together, and how the agent loop tells that a stage's
candidates act alike (``lookahead``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from logicdistill.agent.factory import AgentOptions, build_agent
from logicdistill.agent.loop import LDAgent
from logicdistill.agent.selectors import RandomSelector
from logicdistill.errors import UserInputError
from logicdistill.evaluation.run import evaluate
from logicdistill.functions import FunctionBase
from logicdistill.retrieval.bm25 import BM25Retriever
from logicdistill.tasks import make_task

TINY = f"{Path(__file__).parent / 'fixtures' / 'tiny_task.py'}:TinyTask"
OPTIONS = AgentOptions(retriever="bm25")


@pytest.fixture
def tiny():
    return make_task(TINY)


# -- the demonstrator's horizon --------------------------------------------------------------------


def test_the_demonstrator_gets_the_tasks_horizon_unless_the_user_gives_one(tiny, monkeypatch):
    seen: list[int] = []
    original = type(tiny).demonstrator

    def recording(self, base, env, horizon, kind):
        seen.append(horizon)
        return original(self, base, env, horizon, kind)

    monkeypatch.setattr(type(tiny), "demonstrator", recording)
    env = tiny.make_env("short")
    build_agent("teacher", tiny, env, OPTIONS)
    monkeypatch.setattr(type(tiny), "horizon", 17)
    build_agent("teacher", tiny, env, OPTIONS)
    build_agent("teacher", tiny, env, AgentOptions(retriever="bm25", horizon=2))
    assert seen == [8, 17, 2]  # Task's default, the task's own, the user's
    with pytest.raises(UserInputError, match="--horizon must be at least 1"):
        build_agent("teacher", tiny, env, AgentOptions(retriever="bm25", horizon=0))


class Captured(Exception):
    def __init__(self, options: AgentOptions):
        self.options = options


@pytest.mark.parametrize(
    ("command", "target", "args"),
    [
        ("play", "play_episode", []),
        ("eval", "evaluate", []),
        ("data", "generate_data", ["--out", "OUT"]),
        ("emergency", "run_emergency", ["--scenario", "no_left", "--base-out", "BASE"]),
    ],
)
def test_horizon_is_an_option_of_every_command_that_takes_a_demonstrator(tmp_path, monkeypatch, command, target, args):
    from logicdistill.cli import app

    def capture(*positional: Any, **named: Any) -> None:
        options = named.get("options") or next(a for a in positional if isinstance(a, AgentOptions))
        raise Captured(options)

    monkeypatch.setattr(app, target, capture)
    args = [str(tmp_path / a) if a in ("OUT", "BASE") else a for a in args]
    for given, expected in (([], None), (["--horizon", "3"], 3)):
        result = CliRunner().invoke(app.app, [command, "--task", TINY, "--retriever", "bm25", *args, *given])
        assert isinstance(result.exception, Captured), result.output
        assert result.exception.options.horizon == expected
    refused = CliRunner().invoke(app.app, [command, "--task", TINY, *args, "--horizon", "0"])
    assert refused.exit_code == 2 and "--horizon" in refused.output


# -- where eval plays ----------------------------------------------------------------------------------


def test_eval_plays_the_held_out_variants_by_default(tiny):
    assert tiny.held_out == ("long",) and tiny.eval_variants == ("long",)
    summary = evaluate("random", tiny, 2, 0, OPTIONS)
    assert summary["variants"] == ["long"] and [e["variant"] for e in summary["per_episode"]] == ["long", "long"]
    assert evaluate("random", tiny, 2, 0, OPTIONS, variants=["short", "long"])["variants"] == ["short", "long"]


def test_a_task_without_held_out_variants_is_evaluated_on_all_of_them():
    twentyone = make_task("twentyone")
    assert twentyone.held_out == () and twentyone.eval_variants == twentyone.variants


# -- forking, and what a baseline is built with ----------------------------------------------------------


def test_a_fork_plays_on_from_the_state_and_leaves_the_episode_alone(tiny):
    env = tiny.make_env("long")
    state, _ = env.reset(seed=1)
    fork = tiny.fork(state)
    ahead, *_ = fork.step("right")
    assert ahead.position == min(state.position + 1, state.size - 1) and env.state == state
    assert make_task("pursuit").fork(make_task("pursuit").make_env("ring").reset(seed=0)[0]) is None  # the default


def test_a_baseline_is_built_with_the_agents_environment(tiny, monkeypatch):
    seen = []
    monkeypatch.setattr(type(tiny), "baseline", lambda self, name, seed, env: seen.append((name, seed, env)))
    env = tiny.make_env("short")
    build_agent("stay", tiny, env, AgentOptions(seed=4))
    assert seen == [("stay", 4, env)]


# -- figures of the episodes together -------------------------------------------------------------------


def test_the_tasks_summary_figures_join_evals_summary(tiny, monkeypatch):
    def reached(self, episodes):
        return {"episodes_seen": [(e["variant"], e["seed"], e["success"]) for e in episodes]}

    monkeypatch.setattr(type(tiny), "summary_figures", reached)
    summary = evaluate("random", tiny, 3, 5, OPTIONS, variants=["short", "long"])
    assert summary["episodes_seen"] == [(e["variant"], e["seed"], e["success"]) for e in summary["per_episode"]]
    assert [seed for _, seed, _ in summary["episodes_seen"]] == [5, 6, 7]


# -- lookahead: which candidates act alike -------------------------------------------------------------


class CountingSelector(RandomSelector):
    name = "counting"

    def __init__(self):
        super().__init__(0)
        self.asked = []

    def select_batch(self, requests):
        self.asked += requests
        return super().select_batch(requests)


def test_lookahead_all_keeps_apart_candidates_that_only_a_later_non_default_function_tells_apart(tiny, monkeypatch):
    """With 'wait' as the move stage's default every aim acts alike under the defaults (it stays),
    so the aim stage is never asked; compared under every move function, 'goal_cell' and 'here'
    differ (step_towards goes to the goal or stays), and the aim stage is asked."""
    bundled = tiny.bundled_base()
    aim, move = bundled.by_stage("aim"), bundled.by_stage("move")
    base = FunctionBase("tiny", tuple(aim + move[::-1]))  # wait leads the move stage
    assert base.by_stage("move")[0].name == "wait"
    state = next(s for seed in range(20) if (s := tiny.make_env("short").reset(seed=seed)[0]).position != s.goal)
    asked = {}
    for mode in ("defaults", "all"):
        selector = CountingSelector()
        monkeypatch.setattr(type(tiny), "lookahead", mode)
        _, step = LDAgent(tiny, base, BM25Retriever(), selector).act(state)
        asked[mode] = {r.stage for r in step.stages if not r.forced}
        assert {r.stage.name for r in selector.asked} == asked[mode]
    assert "aim" not in asked["defaults"] and "aim" in asked["all"]


def test_an_emergency_is_measured_on_every_variant_not_only_evals(tmp_path, tiny):
    from logicdistill.emergency import Trial, run_emergency

    report = run_emergency(tiny, tiny.emergencies[0], "teacher", OPTIONS, Trial(episodes=2), tmp_path / "base")
    assert all(report[phase]["variants"] == ["short", "long"] for phase in ("normal", "before", "after"))
