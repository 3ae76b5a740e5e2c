# Bundled pursuit functions, stage 1: which evader to go after. Each returns an evader index.
STAGE = "target"


def nearest_evader(state):
    """Target the evader closest to me by shortest path.

    When: the default; one evader is clearly nearest to me, or nobody has a target yet.
    """
    return min(state.evaders, key=lambda e: (state.dist(state.me, state.evaders[e]), e))


def least_covered_evader(state):
    """Target the evader that the fewest teammates have chosen this step, nearest among ties.

    When: teammates already pile onto one evader while another evader runs free; splits the team.
    """
    counts = {e: 0 for e in state.evaders}
    for decided in state.plan.values():
        if decided.get("target") in counts:
            counts[decided["target"]] += 1
    return min(state.evaders, key=lambda e: (counts[e], state.dist(state.me, state.evaders[e]), e))


def most_cornered_evader(state):
    """Target the evader with the smallest territory, i.e. the fewest cells it reaches before
    any pursuer does.

    When: one evader is nearly trapped in a corner, corridor or dead end; finish it first.
    """
    return min(state.evaders, key=lambda e: (len(state.territory(e)), state.dist(state.me, state.evaders[e]), e))


def team_focus_target(state):
    """Target the evader that most teammates have chosen this step, nearest among ties.

    When: teammates are closing a net around one evader and one more pursuer completes it.
    """
    counts = {e: 0 for e in state.evaders}
    for decided in state.plan.values():
        if decided.get("target") in counts:
            counts[decided["target"]] += 1
    return min(state.evaders, key=lambda e: (-counts[e], state.dist(state.me, state.evaders[e]), e))


def keep_previous_target(state):
    """Keep last step's target while it is still free; otherwise the nearest evader.

    When: a chase is under way; switching targets every step wastes moves.
    """
    previous = state.previous.get("target")
    if previous in state.evaders:
        return previous
    return min(state.evaders, key=lambda e: (state.dist(state.me, state.evaders[e]), e))
