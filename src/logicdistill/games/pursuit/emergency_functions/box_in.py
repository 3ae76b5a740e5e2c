# Reference function for the box_in emergency, written by hand for logicdistill (provenance
# "reference"): the offline stand-in for the function a teacher LLM writes when the rule appears.
STAGE = "strategy"


def hold_assigned_side(state, target):
    """Share the open cells next to the target out among the pursuers after it (those that chose
    it this step before me, and I), one each, and head for mine: the sharing whose slowest
    pursuer arrives first, then the shortest total way. Where there is a pursuer for every side, wait two moves from
    the target next to my side until each side has its pursuer one move away, so that the
    target stays put, then all step in together. A pursuer left over heads for the other
    evader, or keeps two moves from the target.

    When: the default while the box-in rule is in force (landing on an evader no longer catches
    it: pursuers must stand on every open cell next to it).
    """
    from itertools import permutations

    evader = state.evaders[target]
    sides = state.neighbours(evader)
    if not sides:
        return evader
    team = sorted([state.index] + [i for i, d in state.plan.items() if d.get("target") == target])
    slots = sides + [None] * (len(team) - len(sides))

    def cost(order):
        ways = [state.dist(state.pursuers[i], c) for i, c in zip(team, order) if c is not None]
        return (max(ways), sum(ways))

    order = min(permutations(slots, len(team)), key=cost)
    mine = order[team.index(state.index)]
    if mine is None:
        others = [c for e, c in state.evaders.items() if e != target]
        if others:
            return min(others, key=lambda c: (state.dist(state.me, c), c))
        if state.dist(state.me, evader) <= 2:
            return state.me
        return [c for c in state.path(state.me, evader) if state.dist(c, evader) == 2][0]
    ready = all(state.dist(state.pursuers[i], c) <= 1 for i, c in zip(team, order) if c is not None)
    if len(sides) > len(team) or ready or state.me == mine:
        return mine
    wait = [c for c in state.neighbours(mine) if state.dist(c, evader) == 2]
    return min(wait, key=lambda c: (state.dist(state.me, c), c)) if wait else mine
