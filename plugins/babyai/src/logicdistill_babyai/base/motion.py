# Bundled BabyAI functions, stage 2: the primitive action. Each returns one of 'turn left',
# 'turn right', 'go forward', 'pick up', 'drop', 'toggle'.
STAGE = "motion"


def shortest_path_step(state, subgoal):
    """Take the first step of the shortest way (over cells I have seen) to stand next to the
    subgoal's cell facing it; once I face it, do the subgoal's action there (pick up, drop,
    toggle). With no known way, turn towards the cell.

    When: the default; a way over seen cells leads to the subgoal, around whatever stands in
    between.
    """
    verb, cell = subgoal
    if tuple(cell) == state.front and verb in ("pick up", "drop", "toggle"):
        return verb
    actions = state.actions_to_face(cell)
    if actions:
        return actions[0]
    return state.turn_towards(cell) or "turn left"


def path_through_unseen_step(state, subgoal):
    """Like the shortest-path step, but counting unseen cells as walkable, so the way may cross
    parts of the room I have not looked at yet.

    When: the subgoal's cell is seen but no way over seen cells reaches it (or only a long one).
    """
    verb, cell = subgoal
    if tuple(cell) == state.front and verb in ("pick up", "drop", "toggle"):
        return verb
    actions = state.actions_to_face(cell, through_unseen=True)
    if actions:
        return actions[0]
    return state.turn_towards(cell) or "turn left"


def turn_to_look(state, subgoal):
    """Turn towards the subgoal's cell without moving (left or right, whichever faces it sooner);
    if it is straight ahead, or the subgoal is not to explore, take the shortest-path step.

    When: I am exploring and the unseen cells lie beside or behind me: a turn shows them sooner
    than walking there.
    """
    verb, cell = subgoal
    # Only a look needs no walking; towards an object a turn alone can undo the path's last step
    # (a door diagonally ahead: turn, then the path turns back), so there I act as the path does.
    turn = state.turn_towards(cell) if verb == "explore" else None
    if turn:
        return turn
    if tuple(cell) == state.front and verb in ("pick up", "drop", "toggle"):
        return verb
    actions = state.actions_to_face(cell)
    return actions[0] if actions else "go forward"
