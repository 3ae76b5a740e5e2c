"""The pursuit game as an LD task: its settings, stages, bundled base, environment, emergencies,
baselines, function view and state text. Generic code reads the game only through ``PursuitTask``.

The modules that play against or with the task (demonstrators, baselines, verification samples,
drawing) are imported where they are asked for: they import this module back, and a sandbox
worker, which loads this module to rebuild function views, should not load them at all."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from logicdistill.errors import FunctionError, UserInputError
from logicdistill.functions import FunctionBase, Stage
from logicdistill.functions.source import bundled_base
from logicdistill.functions.verification.samples import SampleSet
from logicdistill.games.pursuit.env import TEST_MAPS, PursuitConfig, PursuitEnv, make_env
from logicdistill.games.pursuit.evaders import EVADER_POLICIES
from logicdistill.games.pursuit.maps import MOVES, GridMap, bundled_map_names
from logicdistill.games.pursuit.rules import EMERGENCY_RULES, PursuitState, emergency_rule, rule_violation
from logicdistill.games.pursuit.view import PursuitView
from logicdistill.games.pursuit.when import blocking_mate, chase_under_way, nearest_evader_index, trapped
from logicdistill.tasks.api import SUCCESS_RATE, Emergency, Recipe, Task

STAGES = (
    Stage(
        "target", ("state",), "target", "an evader index (a key of state.evaders)", "choose which evader to go after"
    ),
    Stage(
        "strategy",
        ("state", "target"),
        "goal",
        "a free cell (row, col) to head for",
        "choose how to go after the target: the cell to head for",
    ),
    Stage(
        "move",
        ("state", "target", "goal"),
        "move",
        "one of 'up', 'down', 'left', 'right', 'stay'",
        "choose the move that takes me towards the goal",
    ),
)


INSTRUCTION = (
    "You move one blue pursuer of a team on a grid with walls. The team must catch every orange "
    "evader before the step limit by landing on its cell or swapping cells with it. d: path "
    "distance from you; terr: cells an evader reaches before any pursuer."
)


EVADERS = (*EVADER_POLICIES, "llm")


@dataclass(frozen=True)
class PursuitSettings:
    """The game's settings. The paper's are not public; these defaults are this project's choice."""

    evader: str = field(default="smart", metadata={"help": f"the evaders' policy: {' | '.join(EVADERS)}"})
    max_steps: int = field(default=100, metadata={"help": "steps before a game is lost"})
    n_pursuers: int = field(default=3, metadata={"help": "pursuers in the team (the units)"})
    n_evaders: int = field(default=2, metadata={"help": "evaders to catch"})
    fixed_starts: bool = field(
        default=False, metadata={"help": "start on the map's P/E marks, not seeded random cells"}
    )
    evader_model: str | None = field(default=None, metadata={"help": "the chat model of evader=llm"})
    evader_base_url: str | None = field(default=None, metadata={"help": "the endpoint of evader=llm"})
    emergency: str | None = field(
        default=None,
        metadata={"help": f"an emergency rule in force: {' | '.join(EMERGENCY_RULES)} (none: the normal rules)"},
    )
    maps: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "maps episodes are played on: bundled names, map files or generated:SEED[:HxW] "
            "(none: every bundled map)"
        },
    )
    held_out: tuple[str, ...] = field(
        default=TEST_MAPS,
        metadata={"help": "maps kept for the test split of `logicdistill data` (those among the maps)"},
    )


# Reference files per emergency, one stage each (default: NAME.py). box_in changes how a game is won,
# so it is answered at two stages: the whole team after one evader, and a side of it for each pursuer.
REFERENCE_FILES = {"box_in": ("box_in_target.py", "box_in.py")}


def _emergency(name: str) -> Emergency:
    folder = resources.files("logicdistill.games.pursuit") / "emergency_functions"
    files = REFERENCE_FILES.get(name, (f"{name}.py",))
    references = tuple((f"reference:pursuit/{file}", (folder / file).read_text(encoding="utf-8")) for file in files)
    return Emergency(name, EMERGENCY_RULES[name], references)


class PursuitTask(Task):
    name = "pursuit"
    Settings = PursuitSettings
    stages = STAGES
    actions = tuple(MOVES)  # one pursuer's possible actions: what a KD student names
    demonstrators = ("rollout", "when")  # simulated play (the default); the manuals' When lines as rules
    min_gain = 10.0  # rollout score: a capture is worth 1000 (demonstrator.CAPTURE_VALUE)
    # Why these (docs/experiments.md has the runs). train_examples: 15-17 min on two threads; 1,280 always keep
    # the target stage's default and win less (the target stage is 6% of the decisions but decides whom the team
    # chases). learning_rate: at 1e-3 one seed of two collapsed (10% won); at 5e-4 both won 80-85%. data_episodes:
    # the figures' data; 240 games (9,089 distinct training decisions, not 3,260) raised validation balanced
    # accuracy 0.74 -> 0.86 but won the same 85% of held-out games.
    recipe = Recipe(data_episodes=60, train_examples=2560, learning_rate=5e-4)
    metrics = (SUCCESS_RATE,)
    emergencies = tuple(_emergency(name) for name in EMERGENCY_RULES)
    baselines = ("greedy", "random-moves")

    def __init__(self, settings: PursuitSettings | None = None):
        """The settings' ``emergency`` rule is in force: its words end the instruction, which
        every retrieval query and prompt starts with."""
        super().__init__(settings)
        _check_settings(self.settings)
        self.emergency = emergency_rule(self.settings.emergency)  # "" for none, as states carry it
        self.instruction = INSTRUCTION + (f" New rule: {EMERGENCY_RULES[self.emergency]}" if self.emergency else "")

    # -- configuration ------------------------------------------------------------------------
    def setting_values(self) -> dict[str, str]:
        """Tuples comma-joined, as ``--set maps=a,b`` takes them."""
        values = {f.name: getattr(self.settings, f.name) for f in fields(self.settings)}
        return {k: ",".join(v) if isinstance(v, tuple) else str(v) for k, v in values.items()}

    def under_rule(self, emergency: Emergency | None) -> PursuitTask:
        return PursuitTask(replace(self.settings, emergency=emergency.name if emergency else None))

    # -- the environment ----------------------------------------------------------------------
    @property
    def variants(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.settings.maps or tuple(bundled_map_names())

    @property
    def held_out(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(m for m in self.settings.held_out if m in self.variants)

    def make_env(self, variant: str) -> PursuitEnv:
        s = self.settings
        return make_env(
            PursuitConfig(
                map=variant,
                n_pursuers=s.n_pursuers,
                n_evaders=s.n_evaders,
                max_steps=s.max_steps,
                evader=s.evader,
                fixed_starts=s.fixed_starts,
                evader_model=s.evader_model,
                evader_base_url=s.evader_base_url,
                emergency=s.emergency,
            )
        )

    def success(self, state: PursuitState) -> bool:
        return state.success

    def episode_figures(self, state: PursuitState) -> dict[str, float]:
        return {"captures": float(sum(state.captured))}

    def episode_text(self, state: PursuitState) -> str:
        from logicdistill.games.pursuit.render import render_ascii

        return render_ascii(state)

    def save_replay(self, states: list[PursuitState], path: Path) -> Path:
        from logicdistill.games.pursuit.render import save_replay  # PIL only when drawing

        return save_replay(states, path)

    def baseline(self, name: str, seed: int, env: Any) -> Any:
        from logicdistill.games.pursuit.baselines import GreedyChaseAgent, RandomMovesAgent

        if name == "greedy":
            return GreedyChaseAgent()
        if name == "random-moves":
            return RandomMovesAgent(seed)
        raise UserInputError(f"pursuit has no baseline {name!r}; baselines: {', '.join(self.baselines)}")

    # -- the function base ----------------------------------------------------------------------
    def bundled_base(self) -> FunctionBase:
        return bundled_base("logicdistill.games.pursuit", self.name, STAGES)

    def verification_samples(self) -> SampleSet:
        from logicdistill.games.pursuit.samples import verification_samples

        return verification_samples(self)

    # -- one decision -------------------------------------------------------------------------
    def units(self, state: PursuitState) -> list[int]:
        return list(range(len(state.pursuers)))

    def function_view(self, state: PursuitState, unit: int, plan: dict[int, dict], previous: dict) -> PursuitView:
        return PursuitView(state, unit, plan, previous)

    def snapshot(self, state: PursuitState, unit: int, plan: dict[int, dict], previous: dict) -> dict[str, Any]:
        """Everything ``function_view`` reads, as plain data: the map travels as its rows."""
        return {
            "rows": state.grid.rows,
            "pursuers": state.pursuers,
            "evaders": state.evaders,
            "captured": state.captured,
            "step": state.step,
            "max_steps": state.max_steps,
            "rule": state.rule,
            "headings": state.headings,
            "unit": unit,
            "plan": plan,
            "previous": previous,
        }

    def snapshot_context(self, state: PursuitState) -> tuple[str, ...]:
        return state.grid.rows  # a new map's distances take up to seconds: prepared once per worker

    @staticmethod
    def view_from_snapshot(snapshot: dict[str, Any]) -> PursuitView:
        grid = _snapshot_grid(snapshot["rows"])
        state = PursuitState(
            grid,
            snapshot["pursuers"],
            snapshot["evaders"],
            snapshot["captured"],
            snapshot["step"],
            snapshot["max_steps"],
            snapshot["rule"],
            snapshot["headings"],
        )
        return PursuitView(state, snapshot["unit"], snapshot["plan"], snapshot["previous"])

    def state_text(self, state: PursuitState, unit: int, results: dict[str, Any]) -> str:
        """Short lines, no coordinates: every token is latency for the student, and a small model
        reads distances (``d``), territory (``terr``) and free neighbours (``exits``) better than
        cells. The target stage (and a KD student, which reads no results) sees the whole team;
        later stages see only what their manuals' *When* lines are about (``when.py``): the
        chosen target, the teammate nearest to it and whether it is nearer than me, the goal, and
        whether a teammate stands on my next cell towards it."""
        grid, me = state.grid, state.pursuers[unit]
        view = PursuitView(state, unit, {}, {})
        if "target" not in results:
            open_moves = "".join(
                m[0].upper() for m, (dr, dc) in MOVES.items() if m != "stay" and grid.is_free((me[0] + dr, me[1] + dc))
            )
            mates = ", ".join(f"P{i} d{grid.distance(me, p)}" for i, p in view.teammates.items())
            evaders = ", ".join(
                f"{_evader_text(view, i)} exits{view.exits(e)}" for i, e in state.active_evaders.items()
            )
            return "\n".join(
                [
                    f"t {state.step}/{state.max_steps}, me P{unit} open {open_moves or '-'}",
                    f"mates {mates or '-'}",
                    f"evaders {evaders or '-'}",
                ]
            )
        target = results["target"]
        evader = state.evaders[target]
        mine = grid.distance(me, evader)
        if "goal" not in results:
            mates = {i: grid.distance(p, evader) for i, p in view.teammates.items()}
            if not mates:
                return f"target E{target} d{mine}, no mates"
            mate = min(mates, key=lambda i: (mates[i], i))
            return (
                f"target E{target} d{mine}, nearest mate to it P{mate} d{mates[mate]} "
                f"{'nearer than me' if mates[mate] < mine else 'not nearer'}"
            )
        blocker = blocking_mate(view, results["goal"])
        way = "free" if blocker is None else f"blocked by P{blocker}"
        return f"target E{target} d{mine}, goal {self._goal_text(state, unit, target, results['goal'])}, way {way}"

    def result_text(
        self,
        stage: Stage,
        result: Any,
        state: PursuitState,
        unit: int,
        results: dict[str, Any],
        previous: dict[str, Any],
    ) -> str:
        """A target reads as its evader with the distance and territory the target functions' When
        lines weigh (``E1 d11 terr3 trapped``), so that a student reads them on the preview line
        instead of looking each evader up in the state; and ``chased`` says a chase after it is
        under way (the When line of ``keep_previous_target``, which is often merged into another
        function that picks the same evader: without the mark the student could not tell a chase
        worth keeping from a mere alike pick). The marks are words because the 135M student learns
        a word in a preview far sooner than a comparison of numbers (docs/experiments.md)."""
        if stage.name == "target":
            view = PursuitView(state, unit, {}, previous)
            return _evader_text(view, result) + (" chased" if chase_under_way(view, result) else "")
        if stage.name == "strategy":
            return self._goal_text(state, unit, results["target"], result)
        return str(result)

    @staticmethod
    def _goal_text(state: PursuitState, unit: int, target: int, goal: tuple[int, int]) -> str:
        """A goal as its path distance from me and from the target evader: ``d5 e2``."""
        evader = state.evaders[target]
        return f"d{state.grid.distance(state.pursuers[unit], goal)} e{state.grid.distance(goal, evader)}"

    def check_result(self, stage: Stage, result: Any, state: PursuitState, unit: int) -> Any:
        if stage.name == "target":
            if isinstance(result, bool) or not isinstance(result, int) or result not in state.active_evaders:
                raise FunctionError(
                    f"target must be a free evader index {sorted(state.active_evaders)}, got {result!r}"
                )
            return result
        if stage.name == "strategy":
            cell = tuple(result) if isinstance(result, (list, tuple)) else None
            if (
                cell is None
                or len(cell) != 2
                or not all(isinstance(x, int) for x in cell)
                or not state.grid.is_free(cell)
            ):
                raise FunctionError(f"goal must be a free cell (row, col), got {result!r}")
            return cell
        if result not in MOVES:
            raise FunctionError(f"move must be one of {', '.join(MOVES)}, got {result!r}")
        broken = rule_violation(state, unit, result)
        if broken:
            raise FunctionError(f"move breaks the rule in force: {broken}")
        return result

    def fallback(self, stage: Stage, state: PursuitState, unit: int, results: dict[str, Any]) -> Any:
        """Nearest evader, its cell, and a shortest-path step: always valid."""
        view = PursuitView(state, unit, {}, {})
        if stage.name == "target":
            return nearest_evader_index(view)
        if stage.name == "strategy":
            return view.evaders[results["target"]]
        return view.step_towards(view.me, results["goal"])

    def to_action(self, state: PursuitState, results: dict[int, dict[str, Any]]) -> tuple[str, ...]:
        return tuple(results[u]["move"] for u in self.units(state))

    def demonstrator(self, base: FunctionBase, env: Any, horizon: int, kind: str):
        from logicdistill.games.pursuit.demonstrator import PursuitDemonstrator
        from logicdistill.games.pursuit.when import WhenDemonstrator

        return WhenDemonstrator() if kind == "when" else PursuitDemonstrator(self, base, env.evader_policy, horizon)


def _check_settings(s: PursuitSettings) -> None:
    """Settings errors at construction, not at the first episode."""
    if not isinstance(s, PursuitSettings):  # the old PursuitTask("closed_zone") would fail far from here
        raise TypeError(f"PursuitTask takes PursuitSettings, got {s!r}")
    if s.evader not in EVADERS:
        raise UserInputError(f"unknown evader {s.evader!r}; choose from {', '.join(EVADERS)}")
    if s.evader == "llm" and not s.evader_model:
        raise UserInputError("evader=llm needs evader_model (and usually evader_base_url)")
    emergency_rule(s.emergency)  # raises for an unknown rule
    if s.n_pursuers < 1 or s.n_evaders < 1 or s.max_steps < 1:
        raise UserInputError("pursuit needs at least one pursuer, one evader and one step")


@lru_cache(maxsize=16)
def _snapshot_grid(rows: tuple[str, ...]) -> GridMap:
    """One map per layout in a sandbox worker; its distances are computed here, while the view is
    prepared, so that no function's time limit pays for them."""
    grid = GridMap(name="snapshot", rows=rows)
    grid.distances  # noqa: B018 - computed once, cached on the map
    return grid


def _evader_text(view: PursuitView, evader: int) -> str:
    """``E1 d5 terr3 trapped``: an evader with its path distance from me and its territory, marked
    ``trapped`` where most_cornered_evader's When line calls it nearly trapped, as the state lists
    it and as a target preview repeats it."""
    territory = len(view.territory(evader))
    return f"E{evader} d{view.dist(view.me, view.evaders[evader])} terr{territory}" + (
        " trapped" if trapped(territory) else ""
    )
