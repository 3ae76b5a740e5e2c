# Attempts walking from a caught exception's traceback to frames.
# expect: '__traceback__' is private or a dunder
STAGE = "target"


def traceback_frame_escape(state):
    """Hostile sample: walking from a caught exception's traceback to frames.

    When: never; it must be rejected.
    """
    try:
        1 / 0
    except ZeroDivisionError as exc:
        frame = exc.__traceback__.tb_frame
    return 0
