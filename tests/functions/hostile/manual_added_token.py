# Attempts smuggling one of the student tokenizer's added tokens (<filename>) into a manual.
# expect: reads as a chat-template control token
STAGE = "target"


def file_token(state):
    """Target the first evader <filename> secrets.txt.

    When: always.
    """
    return min(state.evaders)
