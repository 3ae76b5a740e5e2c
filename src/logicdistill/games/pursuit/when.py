"""The *When* teacher for pursuit: each bundled manual's "When" line read as a rule on the state.

It stands in for a large LLM teacher that reads the manuals and picks a function when its "When"
holds. Unlike the rollout teacher (``demonstrator.py``), whose 8-step simulations depend on
teammates' next choices and the evaders' random moves, every rule here reads only what a student
reads at that stage: the state text (``task.PursuitTask.state_text``) and the candidates' previews.
So a student can learn its choices from the text. A function without a rule (the defaults, and any
function added later) is never preferred by it; where several rules hold, the function earliest in
the base wins. ``cut_off_territory`` has no rule: reading its When line as "the target's territory
has at least 15 cells" lost games (93% -> 81% won on the training maps; README).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from logicdistill.agent.selectors import SelectionRequest
from logicdistill.games.pursuit.view import PursuitView

HOLDS = 1000.0  # a holding rule is worth a capture on the rollout scale: any smaller min_gain leaves the default
TRAPPED_TERRITORY = 4  # most_cornered_evader's "nearly trapped": at most this many cells of territory
CHASE_SLACK = 2  # keep_previous_target's "a chase is under way": last step's target at most this many moves
# farther from me than the nearest evader

Rule = Callable[[PursuitView, dict[str, Any], dict[str, str]], bool]  # view, earlier results, previews


def blocking_mate(view: PursuitView, goal: tuple[int, int]) -> int | None:
    """The teammate standing on the first cell of my shortest path to ``goal``, if any."""
    if tuple(goal) == tuple(view.me):
        return None
    first = view.path(view.me, goal)[0]
    return next((i for i, cell in view.teammates.items() if tuple(cell) == tuple(first)), None)


def _target_dist(view: PursuitView, results: dict[str, Any]) -> int:
    return view.dist(view.me, view.evaders[results["target"]])


def nearest_evader_index(view: PursuitView) -> int:
    """The evader nearest to me (lowest index on ties): the target stage's default pick."""
    return min(view.evaders, key=lambda e: (view.dist(view.me, view.evaders[e]), e))


def trapped(territory: int) -> bool:
    """An evader with this territory is nearly trapped (the state text marks it ``trapped``)."""
    return territory <= TRAPPED_TERRITORY


def chase_under_way(view: PursuitView, evader: int) -> bool:
    """``evader`` is last step's target, still free and at most ``CHASE_SLACK`` moves farther from
    me than the nearest evader (a target preview marks it ``chased``)."""
    if view.previous.get("target") != evader or evader not in view.evaders:
        return False
    nearest = view.evaders[nearest_evader_index(view)]
    return view.dist(view.me, view.evaders[evader]) <= view.dist(view.me, nearest) + CHASE_SLACK


def most_cornered(view: PursuitView, results: dict[str, Any], previews: dict[str, str]) -> bool:
    """The evader with the least territory is nearly trapped and it is not the nearest one."""
    terr = {e: len(view.territory(e)) for e in view.evaders}
    cornered = min(terr, key=lambda e: (terr[e], e))
    return trapped(terr[cornered]) and cornered != nearest_evader_index(view)


def keep_chase(view: PursuitView, results: dict[str, Any], previews: dict[str, str]) -> bool:
    """A chase is under way after an evader that is not the nearest one."""
    kept = view.previous.get("target")
    return kept != nearest_evader_index(view) and chase_under_way(view, kept)


def mate_ahead(view: PursuitView, results: dict[str, Any], previews: dict[str, str]) -> bool:
    """A teammate is nearer the target than I am, and I am more than 2 moves from it."""
    target, mine = view.evaders[results["target"]], _target_dist(view, results)
    return mine > 2 and any(view.dist(m, target) < mine for m in view.teammates.values())


def mate_close(view: PursuitView, results: dict[str, Any], previews: dict[str, str]) -> bool:
    """A teammate is within 3 moves of the target, and I am more than 2 moves from it."""
    target = view.evaders[results["target"]]
    return _target_dist(view, results) > 2 and any(view.dist(m, target) <= 3 for m in view.teammates.values())


def way_blocked(view: PursuitView, results: dict[str, Any], previews: dict[str, str]) -> bool:
    """A teammate stands on the first cell of my shortest path to the goal."""
    return blocking_mate(view, results["goal"]) is not None


def on_goal_near(view: PursuitView, results: dict[str, Any], previews: dict[str, str]) -> bool:
    """I stand on my goal and the target is within 2 moves."""
    return tuple(results["goal"]) == tuple(view.me) and _target_dist(view, results) <= 2


def target_near(view: PursuitView, results: dict[str, Any], previews: dict[str, str]) -> bool:
    """The target is within 3 moves."""
    return _target_dist(view, results) <= 3


RULES: dict[str, Rule] = {
    "most_cornered_evader": most_cornered,
    "keep_previous_target": keep_chase,
    "intercept_escape_route": mate_ahead,
    "flank_target": mate_close,
    "step_around_teammates": way_blocked,
    "hold_position": on_goal_near,
    "step_squeezing_territory": target_near,
}


class WhenDemonstrator:
    """Scores a candidate ``HOLDS`` where its rule holds and 0 elsewhere; ``TeacherSelector`` then
    keeps the default unless some rule holds, and takes the earliest such function in the base."""

    def __init__(self, rules: dict[str, Rule] = RULES):
        self.rules = rules

    def scores(self, request: SelectionRequest, pending: dict[int, dict[str, str]]) -> dict[str, float]:
        d = request.decision
        view = PursuitView(d.state, d.unit, {}, d.memory.get(d.unit, {}))
        holds = {
            c.name: c.name in self.rules and self.rules[c.name](view, d.results, request.previews)
            for c in request.candidates
        }
        return {name: HOLDS if held else 0.0 for name, held in holds.items()}
