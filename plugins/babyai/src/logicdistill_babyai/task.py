"""BabyAI (BALROG's five kinds) as a logicdistill task, through the public task API only.

Two stages per step: ``subgoal`` (what to do next: head for an object or door to pick it up, go
to it or open it, drop what is carried next to something, or look at unseen cells) and ``motion``
(the primitive action that carries the subgoal out). Functions see a ``BabyAIView``: the agent's
memory of what it has seen, never the level. The offline teacher plays each candidate out on a
copy of the level (``fork``, ``demonstrator.RolloutDemonstrator``); ``bot`` is minigrid's BabyAIBot.
The ``locked_room`` emergency puts what the mission names behind a locked door.

This module imports minigrid only where an environment is made, so a sandbox worker, which loads
this class to rebuild views, never imports it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from logicdistill.errors import FunctionError, UserInputError
from logicdistill.functions import FunctionBase, Stage
from logicdistill.functions.source import bundled_base
from logicdistill.functions.verification.samples import Sample, SampleSet
from logicdistill.tasks import SUCCESS_RATE, Emergency, Recipe, Task

from logicdistill_babyai.view import VERBS, BabyAIView

KINDS = ("goto", "pickup", "open", "putnext", "pick_up_seq_go_to")  # BALROG's, in its order (env.KINDS)
TEST = ":test"  # a held-out variant: the kind on level seeds no training variant plays (env.level_seed)
ACTIONS = ("turn left", "turn right", "go forward", "pick up", "drop", "toggle")  # env.ACTIONS
RULES = {  # emergency rules in words, by the name the levels know them by (env.RULES)
    "locked_room": "What the mission names may lie in a second room behind a locked door; a locked door opens "
    "only while you carry the key of its colour, which lies in your room.",
}

STAGES = (
    Stage(
        "subgoal",
        ("state",),
        "subgoal",
        "a subgoal (verb, cell): verb 'go to', 'pick up', 'drop', 'toggle' or 'explore', cell an (x, y)",
        "choose what to do next: which object or door to head for and what to do there, or where to look",
    ),
    Stage(
        "motion",
        ("state", "subgoal"),
        "action",
        "one of 'turn left', 'turn right', 'go forward', 'pick up', 'drop', 'toggle'",
        "choose the action that carries the subgoal out",
    ),
)

INSTRUCTION = (
    "You are an agent in a BabyAI grid world and see 7x7 cells ahead of you; walls and closed doors "
    "block the view. Complete the mission within {max_steps} steps. Actions: turn left, turn right, go "
    "forward, pick up (the object in front of you), drop (what you carry, in front of you), toggle (open "
    "the door in front of you; a locked door opens only while you carry the key of its colour)."
)


@dataclass(frozen=True)
class BabyAISettings:
    max_steps: int = field(default=100, metadata={"help": "steps before an episode is lost (BALROG: 100)"})
    rule: str | None = field(
        default=None,
        metadata={"help": f"an emergency rule in force: {' | '.join(RULES)} (none: the normal rules)"},
    )


def _emergency(name: str) -> Emergency:
    """A rule and its reference answer, ``emergency_functions/NAME.py``."""
    text = (resources.files("logicdistill_babyai") / "emergency_functions" / f"{name}.py").read_text(encoding="utf-8")
    return Emergency(name, RULES[name], ((f"reference:babyai/{name}.py", text),))


def is_legal(state: Any, action: Any) -> bool:
    """One of the six action words (module level: verification pickles it by name)."""
    return isinstance(action, str) and action in ACTIONS


class BabyAITask(Task):
    name = "babyai"
    Settings = BabyAISettings
    stages = STAGES
    actions = ACTIONS
    demonstrators = ("rollout",)
    min_gain = 1.0  # rollout score: steps saved (a success is worth 1000): leave the default to save a step
    horizon = 100  # a rollout plays to the end of the episode (capped by the steps left)
    # a subgoal is judged under every motion function, not only the default: with a naive motion default,
    # 'toggle the locked door' and 'fetch its key' can begin with the same turn, and hiding that choice
    # cost the teacher open episodes (turning back and forth to the step limit; README)
    lookahead = "all"
    recipe = Recipe(data_episodes=100, train_examples=1024, learning_rate=1e-3)
    variants = KINDS + tuple(kind + TEST for kind in KINDS)
    held_out = tuple(kind + TEST for kind in KINDS)  # the test split: the same kinds on other levels
    metrics = (SUCCESS_RATE,)
    emergencies = tuple(_emergency(name) for name in RULES)
    baselines = ("bot",)

    def __init__(self, settings: BabyAISettings | None = None):
        super().__init__(settings)
        if self.settings.max_steps < 1:
            raise UserInputError("babyai needs max_steps of at least 1")
        if self.settings.rule is not None and self.settings.rule not in RULES:
            raise UserInputError(f"unknown babyai rule {self.settings.rule!r}; rules: {', '.join(RULES)}")
        rule = self.settings.rule
        self.instruction = INSTRUCTION.format(max_steps=self.settings.max_steps) + (
            f" New rule: {RULES[rule]}" if rule else ""
        )

    def under_rule(self, emergency: Emergency | None) -> BabyAITask:
        if emergency is not None and emergency.name not in RULES:
            raise UserInputError(f"babyai has no emergency {emergency.name!r}")
        return BabyAITask(replace(self.settings, rule=emergency.name if emergency else None))

    # -- the environment ----------------------------------------------------------------------
    def make_env(self, variant: str) -> Any:
        from logicdistill_babyai.env import BabyAIEnv  # minigrid: only where episodes are played

        kind = variant[: -len(TEST)] if variant.endswith(TEST) else variant
        if kind not in KINDS:
            raise UserInputError(f"unknown babyai variant {variant!r}; variants: {', '.join(self.variants)}")
        return BabyAIEnv(variant, self.settings.max_steps, self.settings.rule)

    def fork(self, state: Any) -> Any:
        """A new environment in ``state``, from the level the state carries (``BabyAIState.world``);
        None for a state without one (a verification sample)."""
        if state.world is None:
            return None
        from logicdistill_babyai.env import BabyAIEnv

        return BabyAIEnv.at(state)

    def success(self, state: Any) -> bool:
        return bool(state.success)

    def episode_text(self, state: Any) -> str:
        where = f"step {state.step}/{state.max_steps} at {state.pos} facing {'ESWN'[state.direction]}"
        verdict = " - mission done" if state.success else ""
        return f"{self.state_text(state, 0, {})}\n{where}{verdict}"

    def summary_figures(self, episodes: list[dict[str, Any]]) -> dict[str, Any]:
        """``success_by_kind``: the success rate of each kind played, training and held-out levels
        together (``success_rate_by_variant`` keeps them apart)."""
        wins: dict[str, list[bool]] = defaultdict(list)
        for episode in episodes:
            kind = episode["variant"].removesuffix(TEST)
            wins[kind].append(bool(episode["success"]))
        return {"success_by_kind": {kind: sum(w) / len(w) for kind, w in wins.items()}}

    def baseline(self, name: str, seed: int, env: Any) -> Any:
        """The bot plans on the episode's own level: it forks it from the state it joins at."""
        if name != "bot":
            raise UserInputError(f"babyai has no baseline {name!r}; baselines: {', '.join(self.baselines)}")
        from logicdistill_babyai.baselines import BabyAIBotAgent

        return BabyAIBotAgent(self)

    # -- the function base ----------------------------------------------------------------------
    def bundled_base(self) -> FunctionBase:
        return bundled_base("logicdistill_babyai", self.name, STAGES)

    def verification_samples(self) -> SampleSet:
        """A few steps of every kind played with the fallbacks, and the same states late in an
        episode; without the level (functions never see it)."""
        samples = []
        for i, kind in enumerate(KINDS):
            env = self.make_env(kind)
            state, _ = env.reset(seed=1000 + i)
            memory: dict[int, dict[str, Any]] = {}
            for step in range(12):
                if step % 4 == 0:
                    samples.append(Sample(f"{kind} seed {1000 + i} step {step}", replace(state, world=None), memory))
                plan = {0: {}}
                for stage in STAGES:
                    plan[0][stage.result] = self.fallback(stage, state, 0, plan[0])
                state, _, terminated, truncated, _ = env.step(self.to_action(state, plan))
                memory = plan
                if terminated or truncated:
                    break
        late = [
            Sample(
                f"{s.label} as step {self.settings.max_steps - 1}",
                replace(s.state, step=self.settings.max_steps - 1),
                s.memory,
            )
            for s in samples[1::3]
        ]
        return SampleSet(tuple(samples + late), is_legal)

    # -- one decision -------------------------------------------------------------------------
    def function_view(self, state: Any, unit: int, plan: dict[int, dict], previous: dict) -> BabyAIView:
        return BabyAIView(self.snapshot(state, unit, plan, previous))

    def snapshot(self, state: Any, unit: int, plan: dict[int, dict], previous: dict) -> dict[str, Any]:
        """What the agent knows, as plain data: its memory of seen cells, its pose relative to where
        it started, what it carries and picked up, the mission, and its own last results."""
        return {
            "mission": state.mission,
            "pos": state.pos,
            "direction": state.direction,
            "carrying": state.carrying,
            "picked": state.picked,
            "known": state.known,
            "visible": state.visible,
            "step": state.step,
            "max_steps": state.max_steps,
            "previous": dict(previous),
        }

    @staticmethod
    def view_from_snapshot(snapshot: dict[str, Any]) -> BabyAIView:
        return BabyAIView(snapshot)

    def state_text(self, state: Any, unit: int, results: dict[str, Any]) -> str:
        """BALROG's words: the mission, then what the agent carries and sees now, one item a line
        (``a red ball 1 step left and 2 steps forward``); then the objects the mission names that
        it saw earlier but cannot see now (``remembered: ...``), and at the motion stage the
        chosen subgoal."""
        lines = [f"mission: {state.mission}", *state.sight]
        view = self.function_view(state, unit, {}, {})
        wanted = [d for step in view.steps for d in step[1:]]
        out_of_view = [
            f"a {_name(thing)} {view.where(c)}"
            for c, thing in sorted(view.objects.items())
            if c not in view.visible and any(view.matches(thing, d) for d in wanted)
        ]
        if out_of_view:
            lines.append("remembered: " + "; ".join(out_of_view))
        if "subgoal" in results:
            lines.append("subgoal: " + self._subgoal_text(view, results["subgoal"]))
        return "\n".join(lines)

    def result_text(
        self, stage: Stage, result: Any, state: Any, unit: int, results: dict[str, Any], previous: dict[str, Any]
    ) -> str:
        if stage.name == "subgoal":
            return self._subgoal_text(self.function_view(state, unit, {}, previous), result)
        return str(result)

    @staticmethod
    def _subgoal_text(view: BabyAIView, subgoal: Any) -> str:
        """``pick up the red ball 1 step left and 2 steps forward, 3 actions away``."""
        verb, cell = subgoal
        thing = view.cell(cell)
        what = (
            "the unseen cell" if thing is None else ("the empty cell" if thing[0] == "empty" else f"the {_name(thing)}")
        )
        if verb == "drop":
            what = "on " + what
        steps = view.steps_to_face(cell)
        away = "no known way" if steps is None else f"{steps} action{'s' if steps != 1 else ''} away"
        if verb == "toggle" and thing is not None and thing[0] == "door" and thing[2] == "locked":
            # what toggling will do, in words: a student did not read it from the door and the hands
            away += ", opens it" if view.carrying == ("key", thing[1]) else ", stays locked: I lack its key"
        return f"{verb} {what} {view.where(cell)}, {away}"

    def check_result(self, stage: Stage, result: Any, state: Any, unit: int) -> Any:
        if stage.name == "subgoal":
            try:
                verb, cell = result
                cell = (cell[0], cell[1]) if len(cell) == 2 else None
            except (TypeError, ValueError):
                cell = None
            if (
                cell is None
                or verb not in VERBS
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in cell)
            ):
                raise FunctionError(
                    f"subgoal must be (verb, (x, y)) with verb one of {', '.join(VERBS)}, got {result!r}"
                )
            if verb != "explore" and not any((x, y) == cell for x, y, *_ in state.known):
                raise FunctionError(f"subgoal {verb!r} names a cell never seen: {cell}")
            return (verb, cell)
        if result not in ACTIONS:
            raise FunctionError(f"action must be one of {', '.join(ACTIONS)}, got {result!r}")
        return result

    def fallback(self, stage: Stage, state: Any, unit: int, results: dict[str, Any]) -> Any:
        """Look at the nearest unseen cell; a shortest-path step towards the subgoal (or a turn)."""
        view = self.function_view(state, unit, {}, {})
        if stage.name == "subgoal":
            frontier = view.unseen_frontier()
            return ("explore", frontier[0] if frontier else view.front)
        verb, cell = results.get("subgoal") or ("explore", view.front)
        if tuple(cell) == view.front and verb in ("pick up", "drop", "toggle"):
            return verb
        actions = view.actions_to_face(cell)
        return actions[0] if actions else "turn left"

    def to_action(self, state: Any, results: dict[int, dict[str, Any]]) -> str:
        return str(results[0]["action"])  # a checked result or a KD student's word: both are the word

    def demonstrator(self, base: FunctionBase, env: Any, horizon: int, kind: str) -> Any:
        from logicdistill_babyai.demonstrator import RolloutDemonstrator

        return RolloutDemonstrator(self, base, horizon)


def _name(thing: tuple) -> str:
    """``red ball``; a door with its state: ``locked yellow door``."""
    kind, color, door = thing
    return f"{door} {color} door" if kind == "door" else f"{color} {kind}"
