# Bundled pursuit functions, stage 2: how to go after the target. Each returns a goal cell.
STAGE = "strategy"


def direct_chase(state, target):
    """Head straight for the target's cell.

    When: the default; the target is cornered or teammates block its way out.
    """
    return state.evaders[target]


def intercept_escape_route(state, target):
    """Get ahead of the target on its escape route, away from teammates.

    When: a teammate chases the target from behind.
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
    """Enter the target's territory at its point nearest to me.

    When: the target has a large open territory and I am outside it.
    """
    evader = state.evaders[target]
    region = state.territory(target, against=list(state.teammates.values())) or [evader]
    return min(region, key=lambda c: (state.dist(state.me, c), state.dist(c, evader), c))


def flank_target(state, target):
    """Approach the target from the side away from the nearest teammate.

    When: a teammate is within three moves of the target.
    """
    evader = state.evaders[target]
    if not state.teammates:
        return evader
    mate = min(state.teammates.values(), key=lambda p: (state.dist(p, evader), p))
    sides = state.neighbours(evader) or [evader]
    return max(sides, key=lambda c: (state.dist(c, mate) - state.dist(state.me, c), c))


def block_exit(state, target):
    """Stand on the first junction of the target's escape route.

    When: the target sits in a corridor or loop leading to open space.
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
    """Hold the busiest junction near the target that I reach first.

    When: the target circles a block; holding the junction breaks its loop.
    """
    evader = state.evaders[target]
    others = list(state.teammates.values())
    cells = [
        c for c in state.cells_within(evader, 3) if all(state.dist(state.me, c) <= state.dist(p, c) for p in others)
    ] or [evader]
    return max(cells, key=lambda c: (state.exits(c), -state.dist(state.me, c), c))
