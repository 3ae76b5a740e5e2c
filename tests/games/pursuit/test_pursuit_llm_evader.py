"""The `llm` evader against a real OpenAI-compatible HTTP server on localhost.

The server is a scripted stand-in for a chat model (a paid or remote model cannot run here); the
client, the HTTP round trip, the reply parsing and the fallback are all real.
"""

import numpy as np
import pytest
from helpers import chat_app, free_port, start_server

from logicdistill.errors import EndpointError
from logicdistill.games.pursuit.llm_evader import LLMEvader
from logicdistill.games.pursuit.maps import parse_map
from logicdistill.games.pursuit.rules import PursuitState, legal_moves

GRID = parse_map("#######\n#.....#\n#.###.#\n#.....#\n#######\n")


@pytest.fixture
def chat_server():
    """Replies with whatever `replies` holds next; records the prompts it was sent."""
    replies, prompts = [], []

    def reply(body: dict) -> str:
        prompts.append(body["messages"][-1]["content"])
        return replies.pop(0) if replies else "stay"

    local = start_server(chat_app(reply, "scripted"), timeout=20)
    yield local.url, replies, prompts
    local.stop()


def state(evader=(3, 5), pursuer=(1, 1)):
    return PursuitState(GRID, (pursuer,), (evader, (1, 5)), (False, True))


def test_llm_reply_becomes_the_evader_move(chat_server):
    url, replies, prompts = chat_server
    replies.append("Left.")
    evader = LLMEvader("scripted", url)
    moves = evader(state(), np.random.default_rng(0))
    assert moves == ("left", "stay")  # the captured evader is not asked
    assert len(prompts) == 1 and "E0 at row 3, column 5" in prompts[0]
    assert evader.fallbacks == 0


def test_unusable_reply_falls_back_to_smart_and_is_counted(chat_server):
    url, replies, _ = chat_server
    replies.append("I would rather dance")
    evader = LLMEvader("scripted", url)
    move = evader(state(), np.random.default_rng(0))[0]
    assert move in legal_moves(GRID, (3, 5))
    assert evader.fallbacks == 1


def test_illegal_move_is_not_taken(chat_server):
    url, replies, _ = chat_server
    replies.append("down")  # a wall below (3, 5)
    evader = LLMEvader("scripted", url)
    assert evader(state(), np.random.default_rng(0))[0] != "down"
    assert evader.fallbacks == 1


def test_unreachable_endpoint_is_a_clear_error():
    with pytest.raises(EndpointError, match="cannot reach the evader model endpoint"):
        LLMEvader("m", f"http://127.0.0.1:{free_port()}/v1", timeout=2)
