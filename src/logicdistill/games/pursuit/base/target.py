# Bundled pursuit functions, stage 1: which evader to go after. Each returns an evader index.
STAGE = "target"


def nearest_evader(state):
    """Target the evader closest to me.

    When: the default; no reason to prefer another evader.
    """
    return min(state.evaders, key=lambda e: (state.dist(state.me, state.evaders[e]), e))


def least_covered_evader(state):
    """Target the evader fewest teammates chose this step.

    When: teammates pile onto one evader while another runs free.
    """
    counts = {e: 0 for e in state.evaders}
    for decided in state.plan.values():
        if decided.get("target") in counts:
            counts[decided["target"]] += 1
    return min(state.evaders, key=lambda e: (counts[e], state.dist(state.me, state.evaders[e]), e))


def most_cornered_evader(state):
    """Target the evader with the smallest territory.

    When: one evader is nearly trapped; finish it first.
    """
    return min(state.evaders, key=lambda e: (len(state.territory(e)), state.dist(state.me, state.evaders[e]), e))


def team_focus_target(state):
    """Target the evader most teammates chose this step.

    When: teammates are closing a net and one more pursuer completes it.
    """
    counts = {e: 0 for e in state.evaders}
    for decided in state.plan.values():
        if decided.get("target") in counts:
            counts[decided["target"]] += 1
    return min(state.evaders, key=lambda e: (-counts[e], state.dist(state.me, state.evaders[e]), e))


def keep_previous_target(state):
    """Keep last step's target while it is free, else the nearest.

    When: a chase is under way; switching wastes moves.
    """
    previous = state.previous.get("target")
    if previous in state.evaders:
        return previous
    return min(state.evaders, key=lambda e: (state.dist(state.me, state.evaders[e]), e))
