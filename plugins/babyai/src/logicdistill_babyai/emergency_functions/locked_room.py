# Reference function for the locked_room emergency, written by hand for logicdistill-babyai
# (provenance "reference"): the offline stand-in for the function a teacher LLM writes when the rule
# appears. Where the rule does not bite (what the mission names is on my side) it plays like
# continue_current_subgoal without the memory: it takes the mission at face value.
STAGE = "subgoal"


def unlock_room_for_mission(state):
    """Work on the mission's current step; when nothing it names is within reach and every cell
    I can reach is seen, open the locked door: put down what I hold, pick up the key of the
    door's colour, toggle the door, then look through it. Put the key down (never next to a door)
    before picking up what the mission names.

    When: the default while the locked room rule is in force (what the mission names may lie
    behind a locked door whose key lies in my room).
    """

    def reachable(cells):
        return [c for c in cells if state.steps_to_face(c) is not None]

    def free_hands():
        # never next to a door: a thing dropped there blocks the doorway (standing in one, walk on first)
        doors = [c for c, thing in state.objects.items() if thing[0] == "door"]
        near_door = {n for door in doors for n in state.neighbours(door)}
        spots = [c for c in reachable(state.empty_next_to(state.me)) if c not in near_door]
        spots.sort(key=lambda c: (state.steps_to_face(c), c))
        return ("drop", spots[0]) if spots else None

    def open_door(door):
        color, status = state.cell(door)[1], state.cell(door)[2]
        if status != "locked" or state.carrying == ("key", color):
            return ("toggle", door)
        if state.carrying is not None:
            return free_hands() or ("toggle", door)
        keys = reachable(state.find(("key", color)))
        if keys:
            return ("pick up", keys[0])
        return None

    step = state.current_step()
    if step[0] == "open":
        doors = [c for c in reachable(state.find(step[1])) if state.cell(c)[0] == "door"]
        plan = open_door(doors[0]) if doors else None
        if plan:
            return plan
    elif step[0] == "put" and state.matches(state.carrying, step[1]):
        spots = reachable([c for y in state.find(step[2]) for c in state.empty_next_to(y)])
        if spots:
            return ("drop", min(spots, key=lambda c: (state.steps_to_face(c), c)))
        found = reachable(state.find(step[2]))
        if found:
            return ("go to", found[0])
    else:
        verb = "go to" if step[0] == "go to" else "pick up"
        found = reachable(state.find(step[1]))
        if found:
            if verb == "pick up" and state.carrying is not None:
                return free_hands() or (verb, found[0])
            return (verb, found[0])
    frontier = reachable(state.unseen_frontier())
    if frontier:
        return ("explore", frontier[0])
    doors = [c for c, thing in state.objects.items() if thing[0] == "door" and thing[2] != "open"]
    doors = sorted(reachable(doors), key=lambda c: (state.steps_to_face(c), c))
    for door in doors:
        plan = open_door(door)
        if plan:
            return plan
    frontier = state.unseen_frontier()
    return ("explore", frontier[0] if frontier else state.front)
