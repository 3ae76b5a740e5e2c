# Bundled pursuit functions, stage 3: the move itself. Each returns 'up', 'down', 'left',
# 'right' or 'stay'.
STAGE = "move"


def shortest_path_step(state, target, goal):
    """Step along a shortest path to the goal.

    When: the default; nothing blocks the way.
    """
    return state.step_towards(state.me, goal)


def step_around_teammates(state, target, goal):
    """Step along a shortest path that avoids teammates' cells.

    When: a teammate blocks my shortest path.
    """
    return state.step_towards(state.me, goal, avoid=list(state.teammates.values()))


def hold_position(state, target, goal):
    """Stay where I am.

    When: I stand on my goal and the target must pass me.
    """
    return "stay"


def step_squeezing_territory(state, target, goal):
    """Of the steps no farther from the goal, take the one leaving the target least territory.

    When: the target is within three moves.
    """
    moves = {"stay": state.me}
    for cell in state.neighbours(state.me):
        moves[state.step_towards(state.me, cell)] = cell
    now = state.dist(state.me, goal)
    options = [m for m, c in moves.items() if state.dist(c, goal) <= now] or ["stay"]

    def squeeze(move):
        cells = [moves[move] if i == state.index else p for i, p in enumerate(state.pursuers)]
        return (len(state.territory(target, against=cells)), state.dist(moves[move], goal), move)

    return min(options, key=squeeze)
