# Bundled pursuit functions, stage 2: how to go after the target. Each returns a goal cell.
STAGE = "strategy"


def direct_chase(state, target):
    """Head straight for the target evader's current cell.

    When: the target is in a dead end or corridor, or teammates already block its way out.
    """
    return state.evaders[target]


def intercept_escape_route(state, target):
    """Cut the target's escape route: its route runs to the cell of its territory farthest
    from my teammates; go to the first cell on that route I reach no later than the target,
    or to the route's end.

    When: a teammate chases the target from behind and it flees ahead; get in front of it.
    """
    evader = state.evaders[target]
    others = list(state.teammates.values())
    region = state.territory(target, against=others) or [evader]
    if others:
        far = max(region, key=lambda c: (min(state.dist(c, p) for p in others), c))
    else:
        far = max(region, key=lambda c: (state.dist(c, evader), c))
    for cell in state.path(evader, far):
        if state.dist(state.me, cell) <= state.dist(evader, cell):
            return cell
    return far


def cut_off_territory(state, target):
    """Enter the target's territory (cells it reaches before my teammates) at the point
    closest to me, shrinking the space it can flee into.

    When: the target has a large open territory and I stand outside it.
    """
    evader = state.evaders[target]
    region = state.territory(target, against=list(state.teammates.values())) or [evader]
    return min(region, key=lambda c: (state.dist(state.me, c), state.dist(c, evader), c))


def flank_target(state, target):
    """Approach the cell next to the target on the side away from the teammate nearest to it,
    so the two of us form a pincer.

    When: a teammate is already close to the target (three moves or fewer) on one side.
    """
    evader = state.evaders[target]
    if not state.teammates:
        return evader
    mate = min(state.teammates.values(), key=lambda p: (state.dist(p, evader), p))
    sides = state.neighbours(evader) or [evader]
    return max(sides, key=lambda c: (state.dist(c, mate) - state.dist(state.me, c), c))


def block_exit(state, target):
    """Stand on the first junction (a cell with three or more exits) along the target's
    escape route, away from my teammates, sealing the corridor it would run through.

    When: the target sits in a corridor or loop whose exits lead to open space.
    """
    evader = state.evaders[target]
    others = list(state.teammates.values()) or [state.me]
    region = state.territory(target, against=others) or [evader]
    far = max(region, key=lambda c: (min(state.dist(c, p) for p in others), c))
    for cell in state.path(evader, far):
        if state.exits(cell) >= 3:
            return cell
    return far


def guard_junction(state, target):
    """Hold the busiest junction (most exits) within three moves of the target that no
    teammate is nearer to, closest to me among equals.

    When: the target circles a block or pillar; holding the junction breaks its loop.
    """
    evader = state.evaders[target]
    others = list(state.teammates.values())
    cells = [c for c in state.cells_within(evader, 3)
             if all(state.dist(state.me, c) <= state.dist(p, c) for p in others)] or [evader]
    return max(cells, key=lambda c: (state.exits(c), -state.dist(state.me, c), c))
