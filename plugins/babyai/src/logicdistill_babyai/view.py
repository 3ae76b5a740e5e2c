"""What a BabyAI function sees as ``state``: the agent's own knowledge, never the level.

Everything here comes from what the agent has seen (its memory of every cell it saw, as it last
saw it), what it carries, its mission text and its own moves. Cells are ``(x, y)`` relative to
the cell the agent started on (x grows east, y grows south); nothing tells a function where the
room's walls are until it has seen them.

This docstring is the vocabulary a teacher LLM is shown when it writes new functions.

Attributes
    mission       the mission text, e.g. 'put the red ball next to the blue key'
    steps         the mission as steps in the order they must be done, each a tuple:
                  ('go to', desc), ('pick up', desc), ('open', desc) or ('put', move_desc, fixed_desc);
                  a desc is (type, colour or None): ('ball', 'red'), ('door', None)
    me            my cell (x, y)
    direction     my heading as minigrid's compass: 0 east, 1 south, 2 west, 3 north
    facing        my heading as a step (dx, dy); front is me + facing
    front         the cell in front of me
    carrying      (type, colour) of what I hold, or None
    picked        (type, colour) of everything I picked up so far, in order
    objects       {cell: (type, colour, state)} of every key, ball, box and door I have seen,
                  where I last saw it (state: 'open', 'closed' or 'locked' for doors, else '')
    visible       the set of cells in view now
    previous      my own results from the last step, e.g. {'subgoal': ('pick up', (2, -1)), 'action': ...}
    step, steps_left

Methods
    cell(c)                    (type, colour, state) last seen at c ('wall', 'empty', 'door', 'key',
                               'ball', 'box'), or None if I never saw c
    passable(c)                c is seen and I can walk on it (empty, or an open door)
    neighbours(c)              the four cells next to c
    matches(thing, desc)       thing (type, colour, ...) fits desc (type, colour or None)
    find(desc)                 seen cells holding an object that fits desc, nearest first
    current_step()             the first mission step not done yet (a 'pick up' step is done once I
                               picked up something that fits it)
    unseen_frontier()          unseen cells next to a passable seen cell, nearest first
    actions_to_face(c, through_unseen=False)
                               the shortest list of 'turn left', 'turn right', 'go forward' that
                               leaves me next to c and facing it, walking on passable seen cells
                               (also on unseen ones if through_unseen); [] if I face c already,
                               None if no such way is known
    steps_to_face(c, through_unseen=False)   len(actions_to_face(...)) or None
    turn_towards(c)            'turn left' or 'turn right', whichever turns me towards c sooner;
                               None if c is straight ahead
    empty_next_to(c)           seen empty cells next to c (where a carried object can be dropped)
    still_open(subgoal)        whether a subgoal (verb, cell) is still worth pursuing: 'explore' while
                               its cell is unseen, 'go to' until I face it, 'pick up' while my hands
                               are empty and something pickable lies there, 'drop' while I carry
                               something and the cell is empty, 'toggle' while the door there is shut
    where(c)                   c in BALROG's words relative to me: '1 step left and 2 steps forward'
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

Cell = tuple[int, int]
COLORS = ("red", "green", "blue", "purple", "yellow", "grey")
PICKABLE = ("key", "ball", "box")
DIRECTIONS = ((1, 0), (0, 1), (-1, 0), (0, -1))  # minigrid's compass: east, south, west, north
VERBS = ("go to", "pick up", "drop", "toggle", "explore")
_DESC = re.compile(r"^(?:a|the) (?:(" + "|".join(COLORS) + r") )?(key|ball|box|door|object)$")


def parse_desc(text: str) -> tuple[str | None, str | None]:
    """``'the red ball'`` -> ``('ball', 'red')``; ``'a door'`` -> ``('door', None)``."""
    match = _DESC.match(text.strip())
    if not match:
        raise ValueError(f"cannot read the object {text!r}")
    color, kind = match.groups()
    return (None if kind == "object" else kind), color


def parse_mission(mission: str) -> tuple[tuple, ...]:
    """The mission's steps in the order they must be done."""
    text = mission.strip()
    if ", then " in text:
        return tuple(step for part in text.split(", then ") for step in parse_mission(part))
    if " after you " in text:
        later, first = text.split(" after you ", 1)
        return parse_mission(first) + parse_mission(later)
    if text.startswith("put ") and " next to " in text:
        move, fixed = text[4:].split(" next to ", 1)
        return (("put", parse_desc(move), parse_desc(fixed)),)
    for verb in ("go to", "pick up", "open"):
        if text.startswith(verb + " "):
            return ((verb, parse_desc(text[len(verb) + 1 :])),)
    raise ValueError(f"cannot read the mission {mission!r}")


def _words(n: int, word: str) -> str:
    return f"{n} step{'s' if n > 1 else ''} {word}"


class BabyAIView:
    __slots__ = (
        "mission",
        "steps",
        "me",
        "direction",
        "facing",
        "front",
        "carrying",
        "picked",
        "objects",
        "visible",
        "previous",
        "step",
        "steps_left",
        "_cells",
        "_trees",
        "_box",
    )

    def __init__(self, snapshot: dict[str, Any]):
        self.mission: str = snapshot["mission"]
        self.steps = parse_mission(self.mission)
        self.me: Cell = tuple(snapshot["pos"])
        self.direction: int = snapshot["direction"]
        self.facing: Cell = DIRECTIONS[self.direction]
        self.front: Cell = (self.me[0] + self.facing[0], self.me[1] + self.facing[1])
        carrying = snapshot["carrying"]
        self.carrying = tuple(carrying) if carrying else None
        self.picked = tuple(tuple(p) for p in snapshot["picked"])
        self._cells: dict[Cell, tuple[str, str, str]] = {(x, y): (k, c, s) for x, y, k, c, s in snapshot["known"]}
        self.objects = {cell: v for cell, v in self._cells.items() if v[0] in ("key", "ball", "box", "door")}
        self.visible = frozenset(tuple(c) for c in snapshot["visible"])
        self.previous = dict(snapshot["previous"])
        self.step = snapshot["step"]
        self.steps_left = snapshot["max_steps"] - snapshot["step"]
        xs = [c[0] for c in self._cells] + [self.me[0]]
        ys = [c[1] for c in self._cells] + [self.me[1]]
        self._box = (min(xs) - 1, max(xs) + 1, min(ys) - 1, max(ys) + 1)  # where unseen cells are walked on
        self._trees: dict[bool, dict] = {}

    # -- cells ---------------------------------------------------------------------------------
    def cell(self, c: Cell) -> tuple[str, str, str] | None:
        return self._cells.get(tuple(c))

    def passable(self, c: Cell) -> bool:
        thing = self._cells.get(tuple(c))
        return thing is not None and (thing[0] == "empty" or (thing[0] == "door" and thing[2] == "open"))

    @staticmethod
    def neighbours(c: Cell) -> list[Cell]:
        return [(c[0] + dx, c[1] + dy) for dx, dy in DIRECTIONS]

    @staticmethod
    def matches(thing: Any, desc: Any) -> bool:
        if not thing or not desc:
            return False
        kind, color = desc[0], desc[1]
        return (kind is None or thing[0] == kind) and (color is None or thing[1] == color)

    def find(self, desc: Any) -> list[Cell]:
        cells = [c for c, thing in self.objects.items() if self.matches(thing, desc)]
        return sorted(cells, key=self._nearness)

    def current_step(self) -> tuple | None:
        for step in self.steps:
            if step[0] == "pick up" and any(self.matches(p, step[1]) for p in self.picked):
                continue
            return step
        return None

    def unseen_frontier(self) -> list[Cell]:
        cells = {
            n
            for c in self._cells
            if self.passable(c) or c == self.me
            for n in self.neighbours(c)
            if n not in self._cells
        }
        return sorted(cells, key=self._nearness)

    def empty_next_to(self, c: Cell) -> list[Cell]:
        return [n for n in self.neighbours(c) if self._cells.get(n, ("",))[0] == "empty" and n != self.me]

    def where(self, c: Cell) -> str:
        dx, dy = c[0] - self.me[0], c[1] - self.me[1]
        fx, fy = self.facing
        forward, right = dx * fx + dy * fy, dx * (-fy) + dy * fx
        parts = []
        if right:
            parts.append(_words(abs(right), "right" if right > 0 else "left"))
        if forward:
            parts.append(_words(abs(forward), "forward" if forward > 0 else "behind"))
        return " and ".join(parts) or "here"

    # -- moving ----------------------------------------------------------------------------------
    def actions_to_face(self, c: Cell, through_unseen: bool = False) -> list[str] | None:
        c = tuple(c)
        if c == self.front:
            return []
        dist, parent = self._tree(through_unseen)
        goals = [
            (n[0], n[1], d)
            for d, (dx, dy) in enumerate(DIRECTIONS)
            for n in [(c[0] - dx, c[1] - dy)]
            if (n[0], n[1], d) in dist
        ]
        if not goals:
            return None
        pose = min(goals, key=lambda p: (dist[p], p))
        actions = []
        while pose in parent:
            pose, action = parent[pose]
            actions.append(action)
        return actions[::-1]

    def steps_to_face(self, c: Cell, through_unseen: bool = False) -> int | None:
        actions = self.actions_to_face(c, through_unseen)
        return None if actions is None else len(actions)

    def turn_towards(self, c: Cell) -> str | None:
        dx, dy = c[0] - self.me[0], c[1] - self.me[1]
        fx, fy = self.facing
        forward, right = dx * fx + dy * fy, dx * (-fy) + dy * fx
        if right > 0:
            return "turn right"
        if right < 0:
            return "turn left"
        return "turn left" if forward < 0 else None

    def still_open(self, subgoal: Any) -> bool:
        try:
            verb, cell = subgoal[0], (int(subgoal[1][0]), int(subgoal[1][1]))
        except (TypeError, IndexError, ValueError):
            return False
        thing = self._cells.get(cell)
        if verb == "explore":
            return thing is None
        if thing is None:
            return False
        if verb == "go to":
            return thing[0] in ("key", "ball", "box", "door") and cell != self.front
        if verb == "pick up":
            return self.carrying is None and thing[0] in PICKABLE
        if verb == "drop":
            return self.carrying is not None and thing[0] == "empty" and cell != self.me
        if verb == "toggle":
            return thing[0] == "door" and thing[2] != "open"
        return False

    # -- internals -------------------------------------------------------------------------------
    def _nearness(self, c: Cell) -> tuple:
        steps = self.steps_to_face(c)
        manhattan = abs(c[0] - self.me[0]) + abs(c[1] - self.me[1])
        return (steps is None, steps if steps is not None else manhattan, manhattan, c)

    def _walkable(self, c: Cell, through_unseen: bool) -> bool:
        if c in self._cells:
            return self.passable(c) or c == self.me
        x0, x1, y0, y1 = self._box
        return through_unseen and x0 <= c[0] <= x1 and y0 <= c[1] <= y1

    def _tree(self, through_unseen: bool) -> tuple[dict, dict]:
        """Breadth-first over poses (cell, heading) from mine: turns and steps each cost one."""
        if through_unseen not in self._trees:
            start = (self.me[0], self.me[1], self.direction)
            dist, parent = {start: 0}, {}
            queue = deque([start])
            while queue:
                x, y, d = pose = queue.popleft()
                dx, dy = DIRECTIONS[d]
                moves = [((x, y, (d - 1) % 4), "turn left"), ((x, y, (d + 1) % 4), "turn right")]
                if self._walkable((x + dx, y + dy), through_unseen):
                    moves.append(((x + dx, y + dy, d), "go forward"))
                for nxt, action in moves:
                    if nxt not in dist:
                        dist[nxt] = dist[pose] + 1
                        parent[nxt] = (pose, action)
                        queue.append(nxt)
            self._trees[through_unseen] = (dist, parent)
        return self._trees[through_unseen]
