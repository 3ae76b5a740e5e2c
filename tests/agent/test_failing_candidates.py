"""A candidate whose preview fails (it raises, or its result breaks the stage's contract or a rule
in force) is never offered to the selector while another candidate works."""

from logicdistill.agent.episodes import run_episode
from logicdistill.agent.loop import LDAgent
from logicdistill.agent.selectors import RandomSelector
from logicdistill.functions import Provenance, Verification, functions_from_source
from logicdistill.functions.verification import merge
from logicdistill.games.pursuit.task import PursuitSettings, PursuitTask
from logicdistill.retrieval.bm25 import BM25Retriever

BROKEN = '''STAGE = "move"


def step_off_the_map(state, target, goal):
    """Step towards the goal, or so it says.

    When: always; it is the best move there is.
    """
    return "sideways"
'''


def test_failing_candidates_are_recorded_and_never_chosen():
    task = PursuitTask()
    base = merge(
        task.bundled_base(),
        functions_from_source(BROKEN, Provenance(kind="human"), Verification(status="unverified")),
        "broken move",
    )
    env = PursuitTask(PursuitSettings(max_steps=15)).make_env("ring")
    agent = LDAgent(task, base, BM25Retriever(), RandomSelector(3), top_k=5)
    result = run_episode(task, env, agent, seed=3, keep=True)
    moves = [r for step in result.trace for r in step.stages if r.stage == "move"]
    assert moves and all("step_off_the_map" in r.candidates for r in moves)  # retrieved every time
    assert all("move must be one of" in r.rejected["step_off_the_map"] for r in moves)
    assert not any(r.choice == "step_off_the_map" or "step_off_the_map" in r.previews for r in moves)
    assert result.function_errors == 0


def test_under_a_rule_the_stale_functions_that_break_it_drop_out():
    task = PursuitTask(PursuitSettings(emergency="closed_zone", max_steps=30))
    env = task.make_env("rooms")
    agent = LDAgent(task, task.bundled_base(), BM25Retriever(), RandomSelector(0), top_k=5)
    result = run_episode(task, env, agent, seed=7, keep=True)
    moves = [r for step in result.trace for r in step.stages if r.stage == "move"]
    dropped = [r for r in moves if r.rejected]
    assert dropped and all("enters the closed zone" in e for r in dropped for e in r.rejected.values())
    assert all(r.error is None and r.choice not in r.rejected for r in dropped)  # a working one ran
