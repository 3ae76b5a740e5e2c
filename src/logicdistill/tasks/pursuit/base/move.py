# Bundled pursuit functions, stage 3: the move itself. Each returns 'up', 'down', 'left',
# 'right' or 'stay'.
STAGE = "move"


def shortest_path_step(state, target, goal):
    """Take one step along a shortest path to the goal.

    When: almost always; the plain way to reach the goal chosen by the strategy.
    """
    return state.step_towards(state.me, goal)


def step_around_teammates(state, target, goal):
    """Step along a shortest path to the goal that does not pass through teammates' cells.

    When: a teammate stands in the corridor on my shortest path and would block me.
    """
    return state.step_towards(state.me, goal, avoid=list(state.teammates.values()))


def hold_position(state, target, goal):
    """Stay where I am.

    When: I already stand on my goal (a guarded junction or exit) and the target must pass me.
    """
    return "stay"


def step_squeezing_territory(state, target, goal):
    """Among the moves that bring me no farther from the goal, take the one that leaves the
    target the smallest territory.

    When: the target is close (three moves or fewer) and several moves approach it equally well.
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
