# Attempts walking from a generator's frame to the caller's globals.
# expect: reaches interpreter internals
STAGE = "target"


def generator_frame_escape(state):
    """Hostile sample: walking from a generator's frame to the caller's globals.

    When: never; it must be rejected.
    """
    gen = (x for x in [0])
    frame = gen.gi_frame.f_back
    return 0
