# Reference function for the closed_zone emergency, written by hand for logicdistill (provenance
# "reference"): the offline stand-in for the function a teacher LLM writes when the rule appears.
# Without the rule (no closed cells) it plays like shortest_path_step.
STAGE = "move"


def step_around_closed_zone(state, target, goal):
    """Step along a shortest path to the goal that keeps out of the closed zone (state.closed);
    when the goal lies inside the zone, step to the open cell next to me nearest to it.

    When: the default while the closed zone rule is in force (nobody may enter the closed zone in
    the middle of the map); unlike the older moves it never steps into the zone.
    """
    closed = state.closed
    if goal not in closed:
        return state.step_towards(state.me, goal, avoid=list(closed))
    cells = [state.me] + [c for c in state.neighbours(state.me) if c not in closed]
    return state.step_towards(state.me, min(cells, key=lambda c: (state.dist(c, goal), c)))
