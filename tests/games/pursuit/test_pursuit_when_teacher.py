"""The When teacher: its rules are the manuals' When lines, and what they read is in the state text."""

import re

import pytest

from logicdistill.agent.episodes import run_episode
from logicdistill.agent.factory import AgentOptions, build_agent
from logicdistill.errors import UserInputError
from logicdistill.games.pursuit.task import PursuitSettings, PursuitTask
from logicdistill.games.pursuit.when import RULES
from logicdistill.tasks import get_task


def _numbers(pattern: str, text: str) -> list[tuple[int, ...]]:
    return [tuple(map(int, m)) if isinstance(m, tuple) else (int(m),) for m in re.findall(pattern, text)]


def rule_from_text(name: str, text: str, previews: dict[str, str]) -> bool:
    """Each rule recomputed from what a student reads alone: the state text and the previews."""
    if name in ("most_cornered_evader", "keep_previous_target"):
        evaders = {f"E{e}": (d, terr) for e, d, terr in _numbers(r"E(\d+) d(\d+) terr(\d+)", text)}
        nearest = min(evaders, key=lambda e: (evaders[e][0], int(e[1:])))
        if name == "keep_previous_target":  # a chase under way: the evader a preview marks as chased
            kept = next((p.split()[0] for p in previews.values() if p.endswith(" chased")), None)
            return kept is not None and kept != nearest
        cornered = min(evaders, key=lambda e: (evaders[e][1], int(e[1:])))
        return re.search(rf"\b{cornered} d\d+ terr\d+ trapped", text) is not None and cornered != nearest
    (mine,) = _numbers(r"target E\d+ d(\d+)", text)[0]
    if name in ("intercept_escape_route", "flank_target"):
        (mate,) = _numbers(r"mate to it P\d+ d(\d+)", text)[0]
        assert ("nearer than me" in text) == (mate < mine)
        return mine > 2 and (mate < mine if name == "intercept_escape_route" else mate <= 3)
    (goal,) = _numbers(r"goal d(\d+)", text)[0]
    return {
        "step_around_teammates": "way blocked by P" in text,
        "hold_position": goal == 0 and mine <= 2,
        "step_squeezing_territory": mine <= 3,
    }[name]


@pytest.fixture(scope="module")
def game():
    task = PursuitTask(PursuitSettings(max_steps=30))
    env = task.make_env("pillars")
    agent = build_agent("teacher", task, env, AgentOptions(retriever="bm25", demonstrator="when"))
    return task, run_episode(task, env, agent, seed=4, keep=True)


def test_rules_belong_to_bundled_non_default_functions():
    base = get_task("pursuit").bundled_base()
    defaults = {base.by_stage(s)[0].name for s in ("target", "strategy", "move")}
    assert set(RULES) <= set(base.names()) - defaults


def test_every_choice_follows_the_first_rule_that_holds_and_the_text_shows_why(game):
    task, result = game
    rank = {n: i for i, n in enumerate(task.bundled_base().names())}
    asked = [s for step in result.trace for s in step.stages if not s.forced]
    assert len(asked) > 50
    left_default = 0
    for s in asked:
        weighed = sorted((n for n in s.candidates if n not in s.rejected), key=rank.get)  # merged ones too
        shown = {n: p for n, p in s.previews.items() if n not in s.merged}  # the prompt lists these alone
        holding = [n for n in weighed if n in RULES and rule_from_text(n, s.state_text, shown)]
        first = (holding or weighed)[0]
        assert s.choice == s.merged.get(first, first) and s.choice in s.offered, s.state_text
        left_default += bool(holding)
    assert left_default > 10  # the rules do bite, at every stage below
    assert {s.stage for s in asked if s.choice != min(s.candidates, key=rank.get)} == {"target", "strategy", "move"}


def test_a_target_preview_carries_its_evaders_numbers_and_the_when_lines_as_words(game):
    """A target preview repeats its evader's d, terr and ``trapped`` mark (territory of at most 4:
    "nearly trapped") from the state text, and marks a chase under way (last step's target, at most
    2 moves farther than the nearest evader) as ``chased``: ``keep_previous_target`` is often merged
    into a function that picks the same evader, and the mark still tells the student its When line
    holds. Words, not numbers to compare: the student learns them far sooner (docs/experiments.md)."""
    _, result = game
    last: dict[int, int] = {}
    marks = {"chased": 0, "trapped": 0}
    for step in result.trace:
        for s in (s for s in step.stages if s.stage == "target"):
            evaders = {t.split()[0]: t for t in re.findall(r"(E\d+ d\d+ terr\d+(?: trapped)?) exits", s.state_text)}
            dist = {e: int(re.search(r" d(\d+)", t)[1]) for e, t in evaders.items()}
            for preview in s.previews.values():
                evader = preview.split()[0]
                assert preview.removesuffix(" chased") == evaders[evader]
                assert (" trapped" in preview) == (int(re.search(r"terr(\d+)", preview)[1]) <= 4)
                chase = s.unit in last and evader == f"E{last[s.unit]}" and dist[evader] <= min(dist.values()) + 2
                assert preview.endswith(" chased") == chase
                marks["chased"] += preview.endswith(" chased")
                marks["trapped"] += " trapped" in preview
        last = {s.unit: s.result for s in step.stages if s.stage == "target"}
    assert marks["chased"] > 20 and marks["trapped"] > 0


def test_later_stages_read_short_texts_about_the_chosen_target(game):
    _, result = game
    by_stage = {s.stage: s.state_text for s in result.trace[0].stages}
    assert by_stage["target"].startswith("t 0/30") and "evaders E" in by_stage["target"]
    assert re.fullmatch(
        r"target E\d+ d\d+, nearest mate to it P\d+ d\d+ (nearer than me|not nearer)", by_stage["strategy"]
    )
    assert re.fullmatch(r"target E\d+ d\d+, goal d\d+ e\d+, way (free|blocked by P\d+)", by_stage["move"])


def test_a_task_without_that_teacher_says_which_it_has():
    task = get_task("twentyone")
    with pytest.raises(UserInputError, match="twentyone has no 'when' teacher; teachers: exact"):
        build_agent("teacher", task, task.make_env("classic"), AgentOptions(retriever="bm25", demonstrator="when"))
