"""The BabyAI environment: minigrid's BabyAI levels with BALROG's five task kinds, one per variant,
seen through the agent's partial view and remembered as the agent saw it.

BALROG plays ``BabyAI-MixedTrainLocal-v0/<kind>`` from the babyai-text package (not on PyPI and
not in minigrid 3.2.0), re-creating that level until its randomly drawn kind is the one asked for.
``MixedLocalLevel`` draws the same missions for one fixed kind, with minigrid's own level classes,
instruction classes and verifier: one 8x8 room with distractors (two rooms joined by a locked door
for ``open``), the same excluded colour-object pairs, the same ``pick up A, then go to B`` /
``go to B after you pick up A`` sequences. README.md lists every difference from BALROG.

``BabyAIEnv`` wraps a level with Gymnasium's interface for the toolkit: actions are BALROG's six
words, the step limit is 100, and every state is a ``BabyAIState``: the mission, BALROG's text of
the current view, and the agent's own memory of every cell it has seen (what it last saw there),
in coordinates relative to its starting cell. The level itself travels with the state only as
``world``, a frozen copy (the level pickled in this process, never sent anywhere) from which
``BabyAIEnv.at(state)`` rebuilds an environment in that state (``BabyAITask.fork``): the
demonstrator's rollouts and the bot play on it. No function ever sees it.

Under the ``locked_room`` rule (``RULES``) the kinds that name objects put them in a second room
behind a locked door whose key lies in the agent's room (``MixedLocalLevel._gen_locked_room``).
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # minigrid imports pygame

import numpy as np  # noqa: E402
from minigrid.core.constants import IDX_TO_COLOR, IDX_TO_OBJECT  # noqa: E402
from minigrid.core.roomgrid import RoomGrid  # noqa: E402
from minigrid.envs.babyai.core.roomgrid_level import RejectSampling, RoomGridLevel  # noqa: E402
from minigrid.envs.babyai.core.verifier import (  # noqa: E402
    AfterInstr,
    BeforeInstr,
    GoToInstr,
    ObjDesc,
    OpenInstr,
    PickupInstr,
    PutNextInstr,
)

KINDS = ("goto", "pickup", "open", "putnext", "pick_up_seq_go_to")  # BALROG's task names, in its order
ACTIONS = ("turn left", "turn right", "go forward", "pick up", "drop", "toggle")  # minigrid's actions 0-5
EXCLUDED = ("yellow box", "red key", "red door", "green ball", "grey door")  # MixedTrainLocal keeps these out
OPEN_DOOR_COLORS = ("yellow", "green", "blue", "purple")  # MixedTrainLocal's locked-door colours
DOOR_STATES = {0: "open", 1: "closed", 2: "locked"}
VIEW = 7  # the agent's view: 7x7 cells ahead of it, itself at the middle of the bottom row
TEST_SUFFIX = ":test"  # a held-out variant: the same kind on level seeds training never uses
RULES = ("locked_room",)  # emergency rules the levels can enforce (BabyAITask.emergencies words them)


def split_variant(variant: str) -> tuple[str, bool]:
    """``"goto:test"`` -> ``("goto", True)``; ``"goto"`` -> ``("goto", False)``."""
    kind, test = (variant[: -len(TEST_SUFFIX)], True) if variant.endswith(TEST_SUFFIX) else (variant, False)
    if kind not in KINDS:
        raise ValueError(
            f"unknown BabyAI kind {kind!r}; kinds: {', '.join(KINDS)} (add {TEST_SUFFIX} for held-out seeds)"
        )
    return kind, test


def level_seed(seed: int, test: bool) -> int:
    """The level an episode seed plays: even for training variants, odd for held-out ones, so the
    two never share a level whatever seeds ``data`` and ``eval`` use."""
    if seed < 0:
        raise ValueError(f"episode seeds are non-negative, got {seed}")
    return 2 * seed + (1 if test else 0)


class MixedLocalLevel(RoomGridLevel):
    """One BabyAI mission of a fixed ``kind``, drawn as babyai-text's MixedTrainLocal draws it."""

    def __init__(self, kind: str, max_steps: int = 100, num_dists: int = 8, rule: str | None = None, **kwargs: Any):
        self.kind, self.num_dists, self.rule = kind, num_dists, rule
        self.locked_room = None
        self.behind_lock = rule == "locked_room" and kind != "open"  # open's door is locked already
        two_rooms = kind == "open" or self.behind_lock
        super().__init__(room_size=8, num_rows=1, num_cols=2 if two_rooms else 1, max_steps=max_steps, **kwargs)

    def _gen_grid(self, width: int, height: int) -> None:
        """Rejection sampling, silently (minigrid's prints every rejection)."""
        while True:
            RoomGrid._gen_grid(self, width, height)
            try:
                self.gen_mission()
                self.validate_instrs(self.instrs)
            except (RejectSampling, RecursionError):
                continue
            if self.check_objs_reachable(raise_exc=False) and not any(x in self.instrs.surface(self) for x in EXCLUDED):
                break
        self.surface = self.instrs.surface(self)
        self.mission = self.surface

    def gen_mission(self) -> None:
        if self.kind == "open":
            self._gen_open()
            return
        if self.behind_lock:
            self._gen_locked_room()
            return
        self.place_agent()
        extra = 1 if self.kind in ("goto", "pickup") else 2
        self._mission_among(self.add_distractors(num_distractors=self.num_dists + extra, all_unique=False))

    def _mission_among(self, objs: list) -> None:
        """The kind's mission, naming objects among ``objs``."""
        if self.kind == "goto":
            obj = self._rand_elem(objs)
            self.instrs = GoToInstr(ObjDesc(obj.type, obj.color))
        elif self.kind == "pickup":
            obj = self._rand_elem(objs)
            self.instrs = PickupInstr(ObjDesc(obj.type, obj.color))
        elif self.kind == "putnext":
            first, second = self._two_objects(objs)
            self.instrs = PutNextInstr(ObjDesc(first.type, first.color), ObjDesc(second.type, second.color))
        else:  # pick_up_seq_go_to
            first, second = self._two_objects(objs)
            pick, go = PickupInstr(ObjDesc(first.type, first.color)), GoToInstr(ObjDesc(second.type, second.color))
            self.instrs = (
                BeforeInstr(pick, go) if self._rand_elem(["Before", "After"]) == "Before" else AfterInstr(go, pick)
            )

    def _two_objects(self, objs: list) -> tuple[Any, Any]:
        """The mission's two objects; the same description twice only if two objects match it."""
        first, second = self._rand_elem(objs), self._rand_elem(objs)
        if (first.type, first.color) == (second.type, second.color):
            same, _ = ObjDesc(first.type, first.color).find_matching_objs(self)
            while len(same) < 2 and (first.type, first.color) == (second.type, second.color):
                second = self._rand_elem(objs)
        return first, second

    def _gen_open(self) -> None:
        """Two rooms joined by a locked door; its key and the distractors in the agent's room."""
        color = self._rand_elem(OPEN_DOOR_COLORS)
        locked = self._rand_int(0, 2)
        other = 1 - locked
        door, _ = self.add_door(locked, 0, 0 if locked == 0 else 2, color=color, locked=True)
        self.locked_room = self.get_room(locked, 0)
        self.add_object(other, 0, "key", door.color)
        self.add_distractors(other, 0, num_distractors=self.num_dists, all_unique=False)
        self.place_agent(other, 0)
        self.instrs = OpenInstr(ObjDesc("door", self._rand_elem([None, color])))

    def _gen_locked_room(self) -> None:
        """The ``locked_room`` rule: two rooms joined by a locked door; the agent, the door's key
        and 4 distractors in one, the mission's objects among 5 (goto, pickup) or 6 objects in the
        other. Nothing on the agent's side fits what the mission names, so the door must be opened."""
        color = self._rand_elem(OPEN_DOOR_COLORS)
        locked = self._rand_int(0, 2)
        other = 1 - locked
        self.add_door(locked, 0, 0 if locked == 0 else 2, color=color, locked=True)
        self.locked_room = self.get_room(locked, 0)
        key, _ = self.add_object(other, 0, "key", color)
        mine = [key, *self.add_distractors(other, 0, num_distractors=4, all_unique=False)]
        inside = self.add_distractors(
            locked, 0, num_distractors=5 if self.kind in ("goto", "pickup") else 6, all_unique=False
        )
        self.place_agent(other, 0)
        self._mission_among(inside)
        named = _descs(self.instrs)
        if any(d.type in (None, o.type) and d.color in (None, o.color) for d in named for o in mine):
            raise RejectSampling("an object on the agent's side fits the mission")


def _descs(instr: Any) -> list[ObjDesc]:
    """Every object description an instruction names."""
    if isinstance(instr, (BeforeInstr, AfterInstr)):
        return _descs(instr.instr_a) + _descs(instr.instr_b)
    if isinstance(instr, PutNextInstr):
        return [instr.desc_move, instr.desc_fixed]
    return [instr.desc]


@dataclass(frozen=True)
class BabyAIState:
    """One moment of an episode as the agent knows it. Cells are ``(x, y)`` relative to the cell
    the agent started on (x grows east, y south); ``direction`` is minigrid's compass (0 east,
    1 south, 2 west, 3 north), which the agent observes."""

    variant: str
    seed: int  # the episode seed (the level is ``level_seed(seed, held out)``)
    mission: str
    step: int
    max_steps: int
    pos: tuple[int, int]
    direction: int
    carrying: tuple[str, str] | None  # (type, colour)
    known: tuple[tuple[int, int, str, str, str], ...]  # (x, y, type, colour, door state) of every cell seen
    visible: tuple[tuple[int, int], ...]  # the cells in view now
    sight: tuple[str, ...]  # BALROG's text of the current view, one item a line
    picked: tuple[tuple[str, str], ...] = ()  # what the agent picked up so far, in order
    success: bool = False
    done: bool = False
    world: bytes | None = field(default=None, compare=False, repr=False)  # the level, frozen: only for
    # BabyAIEnv.at (the demonstrator's rollouts, the bot); None in verification samples

    @property
    def kind(self) -> str:
        return split_variant(self.variant)[0]


class BabyAIEnv:
    """Gymnasium's interface over one kind: ``reset(seed=)`` -> (state, info); ``step(word)`` ->
    (state, reward, terminated, truncated, info). The reward is minigrid's (1 - 0.9 t/T on success)."""

    def __init__(self, variant: str, max_steps: int = 100, rule: str | None = None):
        if rule is not None and rule not in RULES:
            raise ValueError(f"unknown BabyAI rule {rule!r}; rules: {', '.join(RULES)}")
        self.variant, self.max_steps = variant, max_steps
        self.kind, self.test = split_variant(variant)
        self.level = MixedLocalLevel(self.kind, max_steps=max_steps, rule=rule)

    @classmethod
    def at(cls, state: BabyAIState) -> BabyAIEnv:
        """A new environment in ``state``, from the level the state carries: it plays on from
        there (no ``reset``) and shares nothing with the episode the state came from."""
        if state.world is None:
            raise ValueError("this state carries no level (a verification sample): nothing to play on")
        env = cls.__new__(cls)
        env.variant, env.max_steps = state.variant, state.max_steps
        env.kind, env.test = split_variant(state.variant)
        env.level, env.start = pickle.loads(state.world)  # pickled by _observe, in this process
        env.seed = state.seed
        env.memory = {(x, y): (kind, color, door) for x, y, kind, color, door in state.known}
        env.picked = list(state.picked)
        env.state = state
        return env

    def reset(self, seed: int | None = None) -> tuple[BabyAIState, dict[str, Any]]:
        self.seed = 0 if seed is None else int(seed)
        obs, _ = self.level.reset(seed=level_seed(self.seed, self.test))
        self.start = tuple(int(v) for v in self.level.agent_pos)
        self.memory: dict[tuple[int, int], tuple[str, str, str]] = {}
        self.picked: list[tuple[str, str]] = []
        self.state = self._observe(obs, success=False, done=False)
        return self.state, {"variant": self.variant, "mission": self.level.mission}

    def step(self, action: Any) -> tuple[BabyAIState, float, bool, bool, dict[str, Any]]:
        index = action_index(action)
        before = self.level.carrying
        obs, reward, terminated, truncated, _ = self.level.step(index)
        if before is None and self.level.carrying is not None:
            self.picked.append((self.level.carrying.type, self.level.carrying.color))
        success = bool(terminated and reward > 0)
        self.state = self._observe(obs, success=success, done=bool(terminated or truncated))
        return self.state, float(reward), bool(terminated), bool(truncated), {"variant": self.variant}

    def _observe(self, obs: dict[str, Any], success: bool, done: bool) -> BabyAIState:
        """Fold the current view into the memory and describe it."""
        level = self.level
        image = obs["image"]  # [VIEW, VIEW, 3]: (type, colour, state) per view cell, type 0 unseen
        pos = tuple(int(v) for v in level.agent_pos)
        fwd, right = level.dir_vec, level.right_vec
        visible = []
        for vi in range(VIEW):
            for vj in range(VIEW):
                kind = IDX_TO_OBJECT[int(image[vi, vj, 0])]
                if kind == "unseen":
                    continue
                ahead, side = VIEW - 1 - vj, vi - VIEW // 2
                x = pos[0] + int(fwd[0]) * ahead + int(right[0]) * side
                y = pos[1] + int(fwd[1]) * ahead + int(right[1]) * side
                cell = (x - self.start[0], y - self.start[1])
                if ahead == 0 and side == 0:  # the view shows what it carries there, not the floor
                    if self.memory.get(cell, ("",))[0] != "door":  # an open door it stands in stays one
                        self.memory[cell] = ("empty", "", "")
                else:
                    color = IDX_TO_COLOR[int(image[vi, vj, 1])] if kind not in ("empty", "wall") else ""
                    state = DOOR_STATES[int(image[vi, vj, 2])] if kind == "door" else ""
                    self.memory[cell] = (kind, color, state)
                visible.append(cell)
        carrying = (level.carrying.type, level.carrying.color) if level.carrying is not None else None
        return BabyAIState(
            variant=self.variant,
            seed=self.seed,
            mission=level.mission,
            step=int(level.step_count),
            max_steps=self.max_steps,
            pos=(pos[0] - self.start[0], pos[1] - self.start[1]),
            direction=int(level.agent_dir),
            carrying=carrying,
            known=tuple(sorted((c[0], c[1], *v) for c, v in self.memory.items())),
            visible=tuple(sorted(visible)),
            sight=describe_view(image, carrying),
            picked=tuple(self.picked),
            success=success,
            done=done,
            world=pickle.dumps((level, self.start), protocol=pickle.HIGHEST_PROTOCOL),  # 0.2 ms, 5 KB
        )


def action_index(action: Any) -> int:
    """A BALROG action word (or minigrid's index) as minigrid's action index."""
    if isinstance(action, str) and action in ACTIONS:
        return ACTIONS.index(action)
    if isinstance(action, (int, np.integer)) and not isinstance(action, bool) and 0 <= int(action) < len(ACTIONS):
        return int(action)
    raise ValueError(f"unknown BabyAI action {action!r}; actions: {', '.join(ACTIONS)}")


def _steps(n: int, word: str) -> str:
    return f"{n} step{'s' if n > 1 else ''} {word}"


def describe_view(image: np.ndarray, carrying: tuple[str, str] | None) -> tuple[str, ...]:
    """BALROG's text of a view (babyai-text's descriptions with "You see " removed): what the
    agent carries, the nearest wall straight ahead, left and right if nothing stands before it,
    then every object in view, left to right and far to near: ``a red ball 1 step left and 2
    steps forward``, ``a wall 3 steps forward``, ``a closed yellow door 2 steps right``."""
    ax, ay = VIEW // 2, VIEW - 1
    kinds = image[:, :, 0]
    out = [f"You carry a {carrying[1]} {carrying[0]}"] if carrying else []
    for word, cells in (
        ("forward", [(ax, j) for j in range(ay - 1, -1, -1)]),
        ("left", [(i, ay) for i in range(ax - 1, -1, -1)]),
        ("right", [(i, ay) for i in range(ax + 1, VIEW)]),
    ):
        for n, (i, j) in enumerate(cells, start=1):
            kind = IDX_TO_OBJECT[int(kinds[i, j])]
            if kind in ("unseen", "empty"):
                continue
            if kind == "wall":
                out.append(f"a wall {_steps(n, word)}")
            break
    for i in range(VIEW):
        for j in range(VIEW):
            kind = IDX_TO_OBJECT[int(kinds[i, j])]
            if kind in ("unseen", "empty", "wall") or (i, j) == (ax, ay):
                continue
            color = IDX_TO_COLOR[int(image[i, j, 1])]
            name = f"{DOOR_STATES[int(image[i, j, 2])]} {color} door" if kind == "door" else f"{color} {kind}"
            out.append(f"a {name} {relative_words(i - ax, ay - j)}")
    return tuple(out)


def relative_words(right: int, forward: int) -> str:
    """BALROG's position words: sideways first, then forward (``behind`` for what the agent
    remembers behind it, which BALROG's single view never shows)."""
    parts = []
    if right:
        parts.append(_steps(abs(right), "right" if right > 0 else "left"))
    if forward:
        parts.append(_steps(abs(forward), "forward" if forward > 0 else "behind"))
    return " and ".join(parts) or "here"
