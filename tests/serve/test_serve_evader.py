"""The served 135M student as the endpoint of the pursuit `llm` evader for a few steps: every
evader decision is a real chat request, and each reply that names no legal move falls back to
`smart` and is counted."""

from __future__ import annotations

import re

import pytest

from logicdistill.agent.episodes import run_episode
from logicdistill.games.pursuit.baselines import GreedyChaseAgent
from logicdistill.games.pursuit.task import PursuitSettings, PursuitTask

pytestmark = pytest.mark.slow
MAX_TOKENS = 8


def test_llm_evader_plays_against_the_served_student_and_counts_fallbacks(served):
    task = PursuitTask(
        PursuitSettings(evader="llm", evader_model=served.model_id, evader_base_url=served.url, max_steps=3)
    )
    env = task.make_env("ring")
    evader = env.evader_policy
    replies, real_create = [], evader.client.chat.completions.create

    def recording_create(**request):
        response = real_create(**request)  # the real HTTP round trip to the served student
        legal = re.search(r"Legal moves: (.*)\.$", request["messages"][-1]["content"]).group(1).split(", ")
        replies.append((response.choices[0].message.content, legal))
        return response

    evader.client.chat.completions.create = recording_create
    result = run_episode(task, env, GreedyChaseAgent(), seed=1, keep=True)
    asked = sum(not c for s in result.states[:-1] for c in s.captured)  # uncaptured evaders are asked each step
    assert len(replies) == asked >= 4
    unusable = sum(not any(w in legal for w in re.findall(r"[a-z]+", text.lower())) for text, legal in replies)
    assert evader.fallbacks == unusable >= 1  # a 135M model does not answer with a bare move here
    assert result.steps == 3 or result.success
