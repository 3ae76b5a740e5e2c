# Reference function for the box_in emergency, written by hand for logicdistill (provenance
# "reference"): the offline stand-in for the function a teacher LLM writes when the rule appears.
STAGE = "target"


def box_weakest_evader(state):
    """Target the evader the team can box in soonest: the one with the smallest territory, then
    the nearest to the whole team. Every pursuer works out the same evader, so all go after it
    together.

    When: the default while the box-in rule is in force (landing on an evader no longer catches
    it: pursuers must stand on every open cell next to it); split between the two evaders, the
    team seldom has a pursuer for every side of either.
    """

    def weakness(e):
        cell = state.evaders[e]
        return (len(state.territory(e)), sum(state.dist(p, cell) for p in state.pursuers), e)

    return min(state.evaders, key=weakness)
