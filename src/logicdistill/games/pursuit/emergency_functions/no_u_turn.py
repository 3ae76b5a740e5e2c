# Reference function for the no_u_turn emergency, written by hand for logicdistill (provenance
# "reference"): the offline stand-in for the function a teacher LLM writes when the rule appears.
# Without the rule (no heading) it plays a shortest path step.
STAGE = "move"


def step_without_turning_back(state, target, goal):
    """Take the first move of the shortest route to the goal that never turns straight back,
    searching over cells and headings: turning around takes a side step.

    When: the default while the no U-turn rule is in force (a pursuer cannot turn straight back,
    reversing its last move); unlike the older moves it turns around by a side step.
    """
    from collections import deque

    names = {(-1, 0): "up", (1, 0): "down", (0, -1): "left", (0, 1): "right"}
    back = {"up": "down", "down": "up", "left": "right", "right": "left"}
    me, goal = tuple(state.me), tuple(goal)
    mates = set(state.teammates.values())
    start = (me, state.heading)
    first = {start: "stay"}  # search node (cell, heading) -> the first move of the route reaching it
    queue = deque([start])
    while queue:
        cell, heading = queue.popleft()
        if cell == goal:
            return first[(cell, heading)]
        options = state.neighbours(cell)
        ahead = [c for c in options if names[(c[0] - cell[0], c[1] - cell[1])] != back.get(heading)]
        if (cell, heading) == start:  # turning back is allowed only when walls or teammates block every other way
            ahead = [c for c in ahead if c not in mates]
        for nxt in options:
            move = names[(nxt[0] - cell[0], nxt[1] - cell[1])]
            if ahead and move == back.get(heading):
                continue
            if (nxt, move) not in first:
                first[(nxt, move)] = move if (cell, heading) == start else first[(cell, heading)]
                queue.append((nxt, move))
    return "stay"
