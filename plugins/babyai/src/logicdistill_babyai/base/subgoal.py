# Bundled BabyAI functions, stage 1: what to do next. Each returns a subgoal (verb, cell): verb
# one of 'go to', 'pick up', 'drop', 'toggle', 'explore', cell an (x, y) the agent has seen
# (an unseen one for 'explore': the cell to look at).
STAGE = "subgoal"


def continue_current_subgoal(state):
    """Keep last step's subgoal while it is still open; otherwise take the mission's current step
    at face value: pick up, open or go to the nearest seen object it names (for 'put X next to Y':
    pick up X, then go to Y), or look at the nearest unseen cell if none is seen.

    When: the default; nothing new in view changes the plan.
    """
    previous = state.previous.get("subgoal")
    if previous and state.still_open(previous):
        return previous
    step = state.current_step()
    if step[0] == "put":
        wanted = step[2] if state.matches(state.carrying, step[1]) else step[1]
        verb = "go to" if state.matches(state.carrying, step[1]) else "pick up"
    else:
        wanted, verb = step[1], {"go to": "go to", "pick up": "pick up", "open": "toggle"}[step[0]]
    found = state.find(wanted)
    if found:
        return (verb, found[0])
    frontier = state.unseen_frontier()
    return ("explore", frontier[0] if frontier else state.front)


def head_for_mission_object(state):
    """Drop whatever I was doing and head for the nearest seen object the mission's current step
    names: pick it up, open it or go to it (for 'put X next to Y': pick up X).

    When: the object the mission names has just come into view while I was exploring.
    """
    step = state.current_step()
    wanted = step[1]
    verb = {"go to": "go to", "pick up": "pick up", "open": "toggle", "put": "pick up"}[step[0]]
    found = state.find(wanted)
    if found:
        return (verb, found[0])
    frontier = state.unseen_frontier()
    return ("explore", frontier[0] if frontier else state.front)


def fetch_key_for_locked_door(state):
    """Get the key of the locked door the mission names: put down what else I hold, pick up the
    nearest seen key of the door's colour (or look for one), then open the door.

    When: the mission says open a door, that door is locked, and I do not carry its key.
    """
    step = state.current_step()
    doors = [c for c in state.find(step[1]) if state.cell(c)[0] == "door"] if step[0] == "open" else []
    door = doors[0] if doors else None
    if door is None or state.cell(door)[2] != "locked" or state.carrying == ("key", state.cell(door)[1]):
        # Not my situation: do what the mission's current step says, as head-for does, so that I am
        # offered only where fetching a key changes the plan. Listed before explore-nearest-unseen,
        # I name the choice where the key is still to be found and both would explore.
        verb = {"go to": "go to", "pick up": "pick up", "open": "toggle", "put": "pick up"}[step[0]]
        found = state.find(step[1])
        if found:
            return (verb, found[0])
        frontier = state.unseen_frontier()
        return ("explore", frontier[0] if frontier else state.front)
    if state.carrying is not None:
        spots = [c for c in state.empty_next_to(state.me) if state.steps_to_face(c) is not None]
        spots.sort(key=lambda c: (state.steps_to_face(c), c))
        if spots:
            return ("drop", spots[0])
    keys = state.find(("key", state.cell(door)[1]))
    if keys and state.carrying is None:
        return ("pick up", keys[0])
    frontier = state.unseen_frontier()
    return ("explore", frontier[0] if frontier else state.front)


def explore_nearest_unseen(state):
    """Look at the unseen cell I can face soonest (turns count as steps).

    When: nothing the mission names has been seen yet, or what I head for is gone.
    """
    frontier = state.unseen_frontier()
    return ("explore", frontier[0] if frontier else state.front)


def put_down_next_to_target(state):
    """Drop what I carry on the empty cell next to the mission's fixed object that I can face
    soonest ('put X next to Y': next to the nearest seen Y); while I do not carry X, head for what
    the mission's current step names.

    When: the mission says put X next to Y and I carry X.
    """
    step = state.current_step()
    if step[0] != "put" or not state.matches(state.carrying, step[1]):
        # Not my situation: do what the mission's current step says, as head-for does, so that
        # I am offered only where I would change the plan, never as a drop in the wrong place.
        verb = {"go to": "go to", "pick up": "pick up", "open": "toggle", "put": "pick up"}[step[0]]
        found = state.find(step[1])
        if found:
            return (verb, found[0])
        frontier = state.unseen_frontier()
        return ("explore", frontier[0] if frontier else state.front)
    fixed = step[2]
    spots = [c for y in state.find(fixed) for c in state.empty_next_to(y)]
    spots = [c for c in spots if state.steps_to_face(c) is not None]
    if spots:
        return ("drop", min(spots, key=lambda c: (state.steps_to_face(c), c)))
    frontier = state.unseen_frontier()
    return ("explore", frontier[0] if frontier else state.front)
