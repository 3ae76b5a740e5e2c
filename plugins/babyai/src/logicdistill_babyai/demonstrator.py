"""The offline teacher for BabyAI: every candidate is played out on a copy of the level.

A candidate at a stage is scored by what follows from it. It runs (after this step's earlier
choices); every way the later stages can go on from it this step is tried (each function of the
next stage in turn: the teacher chooses there next); each action it can lead to is taken on a
copy of the level (``Task.fork`` of the decision's state), and from there the rollout player
finishes the episode: until the mission is done, the episode's step limit is reached or
``steps`` steps have been played (the agent's ``horizon``: the task's 100, or ``--horizon``). A
rollout scores ``SUCCESS - steps taken`` for a mission done and minus the steps played otherwise, and a
candidate the best of its rollouts: outcome-verified, as the paper's large teacher is assumed to
be. A candidate the agent loop merged into an earlier one (they act alike with later stages at
their defaults) scores as that one, whose result the agent would run.

The rollout player is a fixed policy over the same base, so that a choice is judged by how a
good player goes on from it, not by how a naive one would undo it: at the motion stage it walks
shortest paths over seen cells (``shortest_path_step``, the default); at the subgoal stage it
picks a function from what the agent knows now (``rollout_subgoal``): put the carried
object down next to the target of a 'put' mission, fetch the key of a locked door to open, free
the hands before a pick-up, else head for the object the mission names (or explore); where a new
base leads the stage with another function than the bundled default (an emergency's answer, which
takes the mission at face value under the new rule), that function instead of the last. It reads no
memory of earlier steps, so a rollout's score depends only on the action it starts with, and
each state plays at most one rollout per action (six). The teacher leaves a stage's default for
any saving of a step (``min_gain``), so it plays at least as well as the rollout player wherever
the player's own functions are among the candidates (one-step policy improvement over it).
Where the base lacks one of these functions (a teacher's new base), the rollout plays that
stage's default.
"""

from __future__ import annotations

from typing import Any

from logicdistill.agent.loop import execute_calls, run_later_defaults_many, run_pipelines, stage_defaults
from logicdistill.agent.selectors import SelectionRequest
from logicdistill.functions import FunctionBase

SUCCESS = 1000.0
ROLLOUT_MOTION = "shortest_path_step"
HEAD, PUT_DOWN = "head_for_mission_object", "put_down_next_to_target"
FETCH_KEY, DROP = "fetch_key_for_locked_door", "drop_what_i_carry"
BUNDLED_DEFAULT = "continue_current_subgoal"  # reads last step's subgoal: the rollout player plays HEAD instead


def rollout_subgoal(view: Any, names: set[str], default: str) -> str:
    """The subgoal function the rollout player runs in a state, from what the agent knows now."""
    step = view.current_step()
    choice = HEAD if default == BUNDLED_DEFAULT else default
    if step is not None and step[0] == "put" and view.matches(view.carrying, step[1]):
        choice = PUT_DOWN
    elif step is not None and step[0] == "open":
        doors = [c for c in view.find(step[1]) if view.cell(c)[0] == "door"]
        if doors and view.cell(doors[0])[2] == "locked" and view.carrying != ("key", view.cell(doors[0])[1]):
            choice = FETCH_KEY
    elif step is not None and step[0] in ("pick up", "put") and view.carrying is not None:
        choice = DROP
    return choice if choice in names else default


class RolloutDemonstrator:
    def __init__(self, task: Any, base: FunctionBase, steps: int = 100):
        self.task, self.base, self.steps = task, base, steps
        self.names = set(base.names())
        self.defaults = stage_defaults(task, base)
        self.play = {**self.defaults, **({"motion": ROLLOUT_MOTION} if ROLLOUT_MOTION in self.names else {})}
        self._cache: dict[str, float] = {}
        self._cache_key: tuple = ()
        self.rollouts = 0  # rollouts played, for cost reports
        self.simulated_steps = 0

    def scores(self, request: SelectionRequest, pending: dict[int, dict[str, str]]) -> dict[str, float]:
        """Each candidate's best outcome over every way the later stages can go on from it this
        step (the teacher picks those next); a merged candidate scores as the one it is merged
        into, whose result the agent would run."""
        d, stage = request.decision, request.stage
        if self._cache_key != (id(d.state), d.step_seed):
            self._cache, self._cache_key = {}, (id(d.state), d.step_seed)
        merged = {spec.name: same for spec, same in request.merged}
        names = [c.name for c in request.candidates if c.name not in merged]
        plan = {d.unit: dict(d.results)}
        outcomes = execute_calls(self.task, self.base, d.state, stage, d.unit, [(n, plan) for n in names], d.memory)
        out = {}
        for name, (result, _) in zip(names, outcomes, strict=True):
            actions = self._actions(d, stage, {**d.results, stage.result: result})
            out[name] = max(self._value(d.state, action) for action in actions)
        for name, same in merged.items():
            out[name] = out[same] if same in out else self._value(d.state, self._default_action(d, stage, name))
        return out

    def _actions(self, d: Any, stage: Any, results: dict[str, Any]) -> set[str]:
        """The actions this step can end in from ``results`` (through ``stage``): every function of
        each later stage in turn."""
        stages = self.task.stages
        later = stages[stages.index(stage) + 1 :]
        if not later:
            return {self.task.to_action(d.state, {d.unit: results})}
        nxt = later[0]
        names = [spec.name for spec in self.base.by_stage(nxt.name)]
        plan = {d.unit: dict(results)}
        outcomes = execute_calls(self.task, self.base, d.state, nxt, d.unit, [(n, plan) for n in names], d.memory)
        return {a for r, _ in outcomes for a in self._actions(d, nxt, {**results, nxt.result: r})}

    def _default_action(self, d: Any, stage: Any, name: str) -> str:
        plan = {d.unit: dict(d.results)}
        ((result, _),) = execute_calls(self.task, self.base, d.state, stage, d.unit, [(name, plan)], d.memory)
        final = run_later_defaults_many(
            self.task, self.base, d.state, stage, d.unit, [result], plan, d.memory, self.defaults
        )
        return self.task.to_action(d.state, {d.unit: final[0]})

    def _value(self, state: Any, action: str) -> float:
        if action not in self._cache:  # the rollout player reads no memory: the action decides
            self._cache[action] = self.rollout(state, action)
        return self._cache[action]

    def rollout(self, state: Any, action: str) -> float:
        """Take ``action`` in a copy of the level, then let the rollout player finish."""
        env = self.task.fork(state)
        if env is None:  # a state without its level (a verification sample): nothing to play
            return 0.0
        limit = max(1, min(self.steps, state.max_steps - state.step))
        memory: dict[int, dict[str, Any]] = {0: {}}
        current, _, terminated, truncated, _ = env.step(action)
        played = 1
        while not (terminated or truncated) and played < limit:
            view = self.task.function_view(current, 0, {}, {})
            pipes = {0: {**self.play, "subgoal": rollout_subgoal(view, self.names, self.defaults["subgoal"])}}
            action, _ = run_pipelines(self.task, self.base, current, pipes, memory)
            current, _, terminated, truncated, _ = env.step(action)
            played += 1
        self.rollouts += 1
        self.simulated_steps += played
        return SUCCESS - played if current.success else -float(played)
