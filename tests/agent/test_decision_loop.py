"""The LD loop end to end with real retrievers, and one full episode per agent."""

import pytest

from logicdistill.agent.episodes import run_episode
from logicdistill.agent.factory import AGENTS, STUDENT_AGENTS, AgentOptions, build_agent
from logicdistill.agent.loop import LDAgent
from logicdistill.agent.selectors import RandomSelector
from logicdistill.functions import FunctionBase, Provenance, Verification, functions_from_source
from logicdistill.games.pursuit.env import PursuitEnv
from logicdistill.games.pursuit.evaders import smart_evader
from logicdistill.games.pursuit.maps import bundled_map, parse_map
from logicdistill.retrieval.bm25 import BM25Retriever
from logicdistill.tasks import get_task

SMALL = parse_map(
    """
#########
#P..#..E#
#.#...#.#
#P..#..E#
#.#...#.#
#P......#
#########
""",
    name="small",
)


def small_env(max_steps=40):
    return PursuitEnv(SMALL, smart_evader, n_pursuers=3, n_evaders=2, max_steps=max_steps)


@pytest.mark.parametrize(
    "agent_name", [a for a in (*AGENTS, *get_task("pursuit").baselines) if a not in STUDENT_AGENTS]
)  # students: tests/student
def test_one_full_episode_per_agent(agent_name):
    task, env = get_task("pursuit"), small_env()
    agent = build_agent(agent_name, task, env, AgentOptions(retriever="bm25", seed=1))
    result = run_episode(task, env, agent, seed=1, keep=True)
    assert 1 <= result.steps <= 40
    assert result.success == (result.figures["captures"] == 2)
    assert [step.step for step in result.trace] == list(range(result.steps))  # numbered by the runner
    assert len(result.states) == result.steps + 1
    assert result.function_errors == 0
    if agent_name in ("teacher", "random"):
        # three stages per pursuer per step, each recorded with its candidates and choice
        assert all(len(step.stages) == 9 for step in result.trace)
        for record in result.trace[0].stages:
            assert record.choice in record.candidates
            assert record.retrieval_scores == sorted(record.retrieval_scores, reverse=True)


def test_teacher_catches_evaders_that_greedy_chasers_cannot():
    """Around the ring's blocks the greedy conga line never closes; the teacher's pincer does."""
    task = get_task("pursuit")
    results = {}
    for name in ("teacher", "greedy"):
        env = PursuitEnv(bundled_map("ring"), smart_evader, max_steps=100, use_fixed_starts=True)
        results[name] = run_episode(task, env, build_agent(name, task, env, AgentOptions(retriever="bm25")), seed=0)
    assert results["teacher"].success and results["teacher"].steps < 60
    assert not results["greedy"].success


def test_teacher_labels_are_outcome_scores_and_ties_follow_base_order():
    task, env = get_task("pursuit"), small_env()
    agent = build_agent("teacher", task, env, AgentOptions(retriever="bm25"))
    state, _ = env.reset(seed=3)
    _, step = agent.act(state)
    order = task.bundled_base().names()
    asked = [r for r in step.stages if not r.forced]
    assert asked, "some decision at the first step should matter"
    for record in asked:
        assert set(record.outcomes) == set(record.candidates)
        best = max(record.outcomes.values())
        tied = [n for n in record.candidates if record.outcomes[n] == best]
        assert record.choice == min(tied, key=order.index)


def test_broken_function_is_recorded_and_the_episode_goes_on():
    task = get_task("pursuit")
    bad = functions_from_source(
        'STAGE = "move"\n\ndef walk_into_nowhere(state, target, goal):\n'
        '    """Return a move that does not exist.\n\n    When: never.\n    """\n    return "jump"\n',
        Provenance(kind="human"),
        Verification(status="unverified"),
    )
    kept = tuple(f for f in task.bundled_base().functions if f.stage != "move")
    agent = LDAgent(task, FunctionBase("pursuit", kept + tuple(bad)), BM25Retriever(), RandomSelector(0), top_k=5)
    env = small_env(max_steps=5)
    result = run_episode(task, env, agent, seed=0, keep=True)
    assert result.function_errors == 3 * result.steps  # every pursuer's move failed, every step
    moves = [r for s in result.trace for r in s.stages if r.stage == "move"]
    assert all("jump" in r.error for r in moves)
    assert all(r.result in ("up", "down", "left", "right", "stay") for r in moves)  # the fallback move


def test_dense_retriever_drives_the_loop():
    task, env = get_task("pursuit"), small_env(max_steps=3)
    agent = build_agent("random", task, env, AgentOptions(retriever="dense", top_k=3))
    result = run_episode(task, env, agent, seed=0, keep=True)
    records = [r for s in result.trace for r in s.stages]
    assert all(len(r.candidates) == 3 for r in records)
    stage_of = {f.name: f.stage for f in task.bundled_base().functions}
    assert all(stage_of[c] == r.stage for r in records for c in r.candidates)


class CountingSelector(RandomSelector):
    name = "counting"

    def __init__(self):
        super().__init__(0)
        self.asked = []

    def select_batch(self, requests):
        self.asked += requests
        return super().select_batch(requests)


def test_selector_is_skipped_when_every_candidate_gives_the_same_result():
    """With one evader left every target function names it: no model call is needed there."""
    task, selector = get_task("pursuit"), CountingSelector()
    env = PursuitEnv(SMALL, smart_evader, n_pursuers=3, n_evaders=1, max_steps=5)
    agent = LDAgent(task, task.bundled_base(), BM25Retriever(), selector, top_k=5)
    state, _ = env.reset(seed=0)
    _, step = agent.act(state)
    target = [r for r in step.stages if r.stage == "target"]
    base_order = task.bundled_base().names()
    first_in_base = lambda names: min(names, key=base_order.index)  # noqa: E731
    assert all(r.forced and r.choice == first_in_base(r.candidates) for r in target)
    # what each would return is recorded all the same (emergency drills train on it): the one evader
    assert all(
        set(r.previews) == set(r.candidates)
        and len(set(r.previews.values())) == 1
        and r.previews[r.choice].split()[0] == "E0"
        for r in target
    )
    assert not any(req.stage.name == "target" for req in selector.asked)
    for req in selector.asked:  # asked decisions carry what each candidate would return
        assert set(req.previews) == {c.name for c in req.candidates} | {f.name for f, _ in req.merged}
        assert len({req.previews[c.name] for c in req.candidates}) > 1


def test_episodes_in_lock_step_play_exactly_as_one_by_one():
    """Batching several episodes' decisions must not let one episode's memory leak into another."""
    from logicdistill.agent.episodes import run_episodes

    task = get_task("pursuit")
    seeds = [3, 4, 5, 6, 7]
    agent = build_agent("teacher", task, small_env(), AgentOptions(retriever="bm25"))
    alone = run_episodes(task, lambda i: (small_env(), "small"), agent, seeds, parallel=1)
    together = run_episodes(task, lambda i: (small_env(), "small"), agent, seeds, parallel=3)
    assert [(r.seed, r.steps, r.success, r.figures) for r in together] == [
        (r.seed, r.steps, r.success, r.figures) for r in alone
    ]
    assert sum(len(r.stage_ms) for r in together) == sum(len(r.stage_ms) for r in alone)


def test_selector_is_offered_only_candidates_that_change_the_move():
    """Strategy candidates are offered only where their goals, each followed by the default move
    function, lead to different moves, and then one per move: the earliest in the base stands for
    the others that make its move (``merged``). Goals reached by the same first move are forced."""
    from logicdistill.agent.loop import execute_stage

    task, selector = get_task("pursuit"), CountingSelector()
    env = PursuitEnv(bundled_map("ring"), smart_evader, max_steps=8)
    agent = LDAgent(task, task.bundled_base(), BM25Retriever(), selector, top_k=5)
    move, rank = task.stages[-1], {n: i for i, n in enumerate(agent.base.names())}
    state, _ = env.reset(seed=1)
    asked_strategy, merged, forced_with_different_goals = 0, 0, 0

    def move_of(d, stage, name):
        plan = {u: dict(r) for u, r in d.choices.items()}
        plan[d.unit] = {
            **d.results,
            "goal": execute_stage(task, agent.base, d.state, stage, d.unit, name, {d.unit: dict(d.results)}, {})[0],
        }
        return execute_stage(task, agent.base, d.state, move, d.unit, "shortest_path_step", plan, {})[0]

    for _ in range(8):
        selector.asked.clear()
        action, step = agent.act(state)
        for req in (r for r in selector.asked if r.stage.name == "strategy"):
            moves = {c.name: move_of(req.decision, req.stage, c.name) for c in req.candidates}
            assert len(set(moves.values())) == len(moves) > 1
            for fn, same in req.merged:
                assert move_of(req.decision, req.stage, fn.name) == moves[same] and rank[same] < rank[fn.name]
            asked_strategy, merged = asked_strategy + 1, merged + len(req.merged)
        records = [r for r in step.stages if r.stage == "strategy" and not r.forced]
        assert all(r.choice not in r.merged for r in records)
        targets = {r.unit: r.result for r in step.stages if r.stage == "target"}
        for r in (r for r in step.stages if r.stage == "strategy" and r.forced):
            goals = {
                execute_stage(
                    task, agent.base, state, task.stages[1], r.unit, c, {r.unit: {"target": targets[r.unit]}}, {}
                )[0]
                for c in r.candidates
            }
            forced_with_different_goals += len(goals) > 1
        state, *_ = env.step(action)
        if state.done:
            break
    assert asked_strategy > 0 and merged > 0 and forced_with_different_goals > 0


def test_the_teacher_weighs_merged_candidates_and_answers_with_the_one_that_acts_alike():
    """A demonstrator may prefer a candidate the loop merged into an earlier one; the teacher then
    names that earlier one, which makes the same move, so its labels are always offered names."""
    from logicdistill.agent.selectors import Decision, SelectionRequest, TeacherSelector

    base = get_task("pursuit").bundled_base()
    specs = {f.name: f for f in base.by_stage("move")}

    class PrefersSqueeze:
        def scores(self, request, pending):
            return {c.name: float(c.name == "step_squeezing_territory") for c in request.candidates}

    teacher = TeacherSelector(PrefersSqueeze(), base.names())
    req = SelectionRequest(
        task_stage := get_task("pursuit").stages[-1],
        "state",
        [specs["shortest_path_step"], specs["hold_position"]],
        Decision(None, 0, {}, {0: {}}, {}, {}),
        merged=[(specs["step_squeezing_territory"], "hold_position")],
    )
    (sel,) = teacher.select_batch([req])
    assert task_stage.name == "move" and sel.choice == "hold_position"
    assert set(sel.outcomes) == {"shortest_path_step", "hold_position", "step_squeezing_territory"}
