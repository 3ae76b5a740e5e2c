# Reference function for the box_in emergency, written by hand for logicdistill (provenance
# "reference"): the offline stand-in for the function a teacher LLM writes when the rule appears.
STAGE = "strategy"


def hold_open_side(state, target):
    """Head for an open cell next to the target that no teammate has taken as its goal and none
    reaches before me, so that together we hold every side of it; the nearest side otherwise.

    When: the default while the box-in rule is in force (landing on an evader no longer catches
    it: pursuers must stand on every open cell next to it).
    """
    evader = state.evaders[target]
    sides = state.neighbours(evader)
    if not sides:
        return evader
    taken = [decided.get("goal") for decided in state.plan.values()]
    mine = [c for c in sides if c not in taken
            and all(state.dist(state.me, c) <= state.dist(p, c) for p in state.teammates.values())]
    return min(mine or [c for c in sides if c not in taken] or sides, key=lambda c: (state.dist(state.me, c), c))
