"""The pursuit game as an LD task: its stages, bundled base, function view and state text."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from logicdistill.errors import FunctionError
from logicdistill.functions import FunctionBase, Stage
from logicdistill.functions.source import bundled_base
from logicdistill.tasks.pursuit.maps import MOVES, GridMap
from logicdistill.tasks.pursuit.rules import EMERGENCY_RULES, PursuitState, emergency_rule, rule_violation
from logicdistill.tasks.pursuit.view import PursuitView
from logicdistill.tasks.pursuit.when import blocking_mate, chase_under_way, nearest_evader_index, trapped

STAGES = (
    Stage("target", ("state",), "target", "an evader index (a key of state.evaders)",
          "choose which evader to go after"),
    Stage("strategy", ("state", "target"), "goal", "a free cell (row, col) to head for",
          "choose how to go after the target: the cell to head for"),
    Stage("move", ("state", "target", "goal"), "move", "one of 'up', 'down', 'left', 'right', 'stay'",
          "choose the move that takes me towards the goal"),
)


INSTRUCTION = (
    "You move one blue pursuer of a team on a grid with walls. The team must catch every orange "
    "evader before the step limit by landing on its cell or swapping cells with it. d: path "
    "distance from you; terr: cells an evader reaches before any pursuer."
)


class PursuitTask:
    name = "pursuit"
    stages = STAGES
    actions = tuple(MOVES)  # one pursuer's possible actions: what a KD student names
    demonstrators = ("rollout", "when")  # simulated play (the default); the manuals' When lines as rules
    min_gain = 10.0  # rollout score: a capture is worth 1000 (demonstrator.CAPTURE_VALUE)
    train_examples = 2560  # 15-17 min on two threads; 1,280 always keep the target stage's default and win less
    # (the target stage is 6% of the decisions but decides whom the team chases: README)
    learning_rate = 5e-4  # at 1e-3 one seed of two collapsed (10% won); at 5e-4 both won 80-85% (README)
    data_episodes = 60  # the figures' data; 240 games (9,089 distinct training decisions, not 3,260) raised
    # validation balanced accuracy 0.74 -> 0.86 but won the same 85% of held-out games (README, session 13)

    def __init__(self, emergency: str | None = None):
        """``emergency``: a rule of ``rules.EMERGENCY_RULES`` in force; its words end the
        instruction, which every retrieval query and prompt starts with."""
        self.emergency = emergency_rule(emergency)
        self.instruction = INSTRUCTION + (f" New rule: {EMERGENCY_RULES[self.emergency]}" if self.emergency else "")

    def bundled_base(self) -> FunctionBase:
        return bundled_base("logicdistill.tasks.pursuit", self.name, STAGES)

    def units(self, state: PursuitState) -> list[int]:
        return list(range(len(state.pursuers)))

    def function_view(self, state: PursuitState, unit: int, plan: dict[int, dict], previous: dict) -> PursuitView:
        return PursuitView(state, unit, plan, previous)

    def snapshot(self, state: PursuitState, unit: int, plan: dict[int, dict], previous: dict) -> dict[str, Any]:
        """Everything ``function_view`` reads, as plain data: the map travels as its rows."""
        return {"rows": state.grid.rows, "pursuers": state.pursuers, "evaders": state.evaders,
                "captured": state.captured, "step": state.step, "max_steps": state.max_steps, "rule": state.rule,
                "headings": state.headings, "unit": unit, "plan": plan, "previous": previous}

    def snapshot_context(self, state: PursuitState) -> tuple[str, ...]:
        return state.grid.rows  # a new map's distances take up to seconds: prepared once per worker

    @staticmethod
    def view_from_snapshot(snapshot: dict[str, Any]) -> PursuitView:
        grid = _snapshot_grid(snapshot["rows"])
        state = PursuitState(grid, snapshot["pursuers"], snapshot["evaders"], snapshot["captured"], snapshot["step"],
                             snapshot["max_steps"], snapshot["rule"], snapshot["headings"])
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
            open_moves = "".join(m[0].upper() for m, (dr, dc) in MOVES.items()
                                 if m != "stay" and grid.is_free((me[0] + dr, me[1] + dc)))
            mates = ", ".join(f"P{i} d{grid.distance(me, p)}" for i, p in view.teammates.items())
            evaders = ", ".join(f"{_evader_text(view, i)} exits{view.exits(e)}"
                                for i, e in state.active_evaders.items())
            return "\n".join([f"t {state.step}/{state.max_steps}, me P{unit} open {open_moves or '-'}",
                              f"mates {mates or '-'}", f"evaders {evaders or '-'}"])
        target = results["target"]
        evader = state.evaders[target]
        mine = grid.distance(me, evader)
        if "goal" not in results:
            mates = {i: grid.distance(p, evader) for i, p in view.teammates.items()}
            if not mates:
                return f"target E{target} d{mine}, no mates"
            mate = min(mates, key=lambda i: (mates[i], i))
            return (f"target E{target} d{mine}, nearest mate to it P{mate} d{mates[mate]} "
                    f"{'nearer than me' if mates[mate] < mine else 'not nearer'}")
        blocker = blocking_mate(view, results["goal"])
        way = "free" if blocker is None else f"blocked by P{blocker}"
        return f"target E{target} d{mine}, goal {self._goal_text(state, unit, target, results['goal'])}, way {way}"

    def result_text(self, stage: Stage, result: Any, state: PursuitState, unit: int, results: dict[str, Any],
                    previous: dict[str, Any]) -> str:
        """A target reads as its evader with the distance and territory the target functions' When
        lines weigh (``E1 d11 terr3 trapped``), so that a student reads them on the preview line
        instead of looking each evader up in the state; and ``chased`` says a chase after it is
        under way (the When line of ``keep_previous_target``, which is often merged into another
        function that picks the same evader: without the mark the student could not tell a chase
        worth keeping from a mere alike pick). The marks are words because the 135M student learns
        a word in a preview far sooner than a comparison of numbers (README, session 15)."""
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
                raise FunctionError(f"target must be a free evader index {sorted(state.active_evaders)}, got {result!r}")
            return result
        if stage.name == "strategy":
            cell = tuple(result) if isinstance(result, (list, tuple)) else None
            if cell is None or len(cell) != 2 or not all(isinstance(x, int) for x in cell) or not state.grid.is_free(cell):
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
        from logicdistill.tasks.pursuit.demonstrator import PursuitDemonstrator
        from logicdistill.tasks.pursuit.when import WhenDemonstrator

        return WhenDemonstrator() if kind == "when" else PursuitDemonstrator(self, base, env.evader_policy, horizon)


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
    return (f"E{evader} d{view.dist(view.me, view.evaders[evader])} terr{territory}"
            + (" trapped" if trapped(territory) else ""))
