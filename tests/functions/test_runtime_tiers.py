"""Execution tiers: shipped functions run in process, everything else only in the sandbox; the
sandbox gives exactly the in-process decisions; a function that hangs, crashes or exhausts memory
in play is recorded, quarantined and replaced by the stage's fallback, and the episode goes on."""

from __future__ import annotations

import pytest

from logicdistill.agent.episodes import run_episode
from logicdistill.agent.loop import LDAgent
from logicdistill.agent.selectors import RandomSelector
from logicdistill.functions import Provenance, Verification, functions_from_source
from logicdistill.functions import runtime as runtime_module
from logicdistill.functions.runtime import FunctionRuntime, configure_runtime, get_runtime
from logicdistill.functions.sandbox import SandboxLimits
from logicdistill.functions.verification import merge
from logicdistill.games.pursuit.env import PursuitConfig, make_env
from logicdistill.games.pursuit.task import PursuitTask
from logicdistill.games.twentyone.env import TwentyOneEnv
from logicdistill.games.twentyone.task import TwentyOneTask
from logicdistill.retrieval.bm25 import BM25Retriever


@pytest.fixture
def fresh_runtime():
    """Each test configures this process's runtime; the default one is restored after it."""
    yield configure_runtime
    configure_runtime()


def test_only_sources_identical_to_the_shipped_ones_are_trusted():
    task, runtime = PursuitTask(), FunctionRuntime()
    shipped = task.bundled_base().functions[0]
    assert runtime.trusted(task, shipped)
    edited = shipped.model_copy(update={"source": shipped.source.replace("return", "return  ")})
    assert not runtime.trusted(task, edited)  # claims to be bundled, is not the package's copy
    renamed = shipped.model_copy(update={"name": "other"})
    assert not runtime.trusted(task, renamed)
    assert not FunctionRuntime(isolate_all=True).trusted(task, shipped)


def play(task, base, env_config: PursuitConfig, seed: int):
    env = make_env(env_config)
    agent = LDAgent(task, base, BM25Retriever(), RandomSelector(seed), top_k=5)
    return run_episode(task, env, agent, seed=seed, keep=True)


def decisions(result) -> list:
    return [(r.step, r.unit, r.stage, r.choice, r.result, r.previews, r.error) for s in result.trace for r in s.stages]


def test_the_sandbox_gives_the_in_process_decisions(fresh_runtime):
    """The whole bundled pursuit base, every call through the sandbox: the same game, step by step."""
    task = PursuitTask()
    config = PursuitConfig(map="maze", max_steps=25)
    fresh_runtime()
    here = play(task, task.bundled_base(), config, seed=4)
    isolated_runtime = fresh_runtime(isolate_all=True)
    isolated = play(task, task.bundled_base(), config, seed=4)
    assert decisions(isolated) == decisions(here) and len(decisions(here)) > 100
    assert isolated_runtime.counts.sandboxed_calls > 100 and not isolated_runtime.counts.failures


HOSTILE_MOVES = '''STAGE = "move"


def stall(state, target, goal):
    """Move towards the goal.

    When: always.
    """
    if state.step >= 3:
        while True:
            pass
    return "stay"


def hoard(state, target, goal):
    """Move towards the goal, carefully.

    When: always, carefully.
    """
    if state.step >= 2:
        return "x" * (4 * 1024 ** 3)
    return "stay"
'''


def test_misbehaving_functions_in_play_fall_back_and_the_episode_goes_on(fresh_runtime):
    """Both behave on the first steps (as on a verifier's samples) and then hang or hoard memory."""
    task = PursuitTask()
    runtime = fresh_runtime(SandboxLimits(call_ms=300))
    extra = [
        replace_status(s)
        for s in functions_from_source(HOSTILE_MOVES, Provenance(kind="teacher"), Verification(status="verified"))
    ]
    base = merge(task.bundled_base(), extra, "hostile moves")
    result = play(task, base, PursuitConfig(map="ring", max_steps=12), seed=1)
    assert result.steps == 12 or result.success  # played to its end
    errors = [r.error or "" for s in result.trace for r in s.stages] + [
        e for s in result.trace for r in s.stages for e in r.rejected.values()
    ]
    assert any("did not finish within 300 ms" in e for e in errors)
    assert any("ran out of memory" in e for e in errors)
    assert "stall" in runtime.counts.quarantined and runtime.counts.failures["timeout"] == 1
    assert runtime.counts.failures["memory"] >= 1
    assert runtime.counts.worker_restarts == 1  # the hang cost one worker; later calls hit the quarantine


def replace_status(spec):
    return spec.model_copy(update={"verification": Verification(status="verified")})


def test_a_twentyone_function_that_exits_is_contained(fresh_runtime):
    task = TwentyOneTask()
    runtime = fresh_runtime()
    source = '''STAGE = "decide"


def quit_game(state, stand_on):
    """Stop playing.

    When: always.
    """
    raise SystemExit(3)
'''
    base = merge(
        task.bundled_base(),
        functions_from_source(source, Provenance(kind="teacher"), Verification(status="verified")),
        "exit",
    )
    agent = LDAgent(task, base, BM25Retriever(), RandomSelector(2), top_k=5)
    result = run_episode(task, TwentyOneEnv(), agent, seed=2, keep=True)
    assert result.steps >= 1
    rejected = [e for s in result.trace for r in s.stages for e in r.rejected.values()]
    assert rejected and all("SystemExit" in e for e in rejected)
    assert runtime is get_runtime() and runtime_module.get_runtime().counts.sandboxed_calls >= 1


ESCAPING_TARGET = '''STAGE = "target"


def rewire(state):
    """Pick an evader, and try to take over whoever runs me.

    When: always.
    """
    for cls in ().__class__.__base__.__subclasses__():
        init = cls.__init__
        if init.__class__.__name__ == "function" and "path" in init.__globals__ and "sep" in init.__globals__:
            imp = init.__globals__["__builtins__"]["__import__"]
            imp("time").perf_counter = lambda: 0.0
            imp("logicdistill.functions.plain").MAX_DEPTH = -1
            if state.step >= 2:
                imp("os")._exit(3)
    return min(state.evaders)
'''


def test_a_function_that_reaches_the_real_builtins_cannot_touch_the_main_process(fresh_runtime):
    """In process this function would freeze every timing, break the loop and end the run with
    status 3 (what the security review saw); in the sandbox it only wrecks its own worker."""
    import time

    from logicdistill.functions import plain

    task = PursuitTask()
    runtime = fresh_runtime()
    extra = functions_from_source(ESCAPING_TARGET, Provenance(kind="teacher"), Verification(status="verified"))
    base = merge(task.bundled_base(), extra, "escaping target")
    result = play(task, base, PursuitConfig(map="ring", max_steps=6), seed=5)
    assert result.steps == 6 or result.success
    assert time.perf_counter() > 0 and plain.MAX_DEPTH == 32
    assert "rewire" in runtime.counts.quarantined and "exit status 3" in runtime.counts.quarantined["rewire"]
