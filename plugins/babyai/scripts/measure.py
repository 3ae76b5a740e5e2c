"""The teacher against minigrid's BabyAIBot on the same held-out episodes.

For every kind, plays ``--episodes`` teacher episodes of ``KIND:test`` from seeds ``--seed`` ..,
as ``logicdistill eval --task babyai --agent teacher --variant KIND:test`` does, and beside each
one a BabyAIBot in minigrid's advice mode (``BabyAIBot.replan(action_taken)``): at every step the
bot says what it would do from where the teacher's episode is, and the share of steps where the
teacher did the same is the action agreement. Then the bot plays the same episodes alone
(``--agent bot``). Prints one JSON object: per kind and overall, success rates, steps, agreement
and the teacher's decision time per step.

    HF_HUB_OFFLINE=1 python plugins/babyai/scripts/measure.py --episodes 50 --json runs/babyai-measure.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from logicdistill.agent.factory import AgentOptions, build_agent
from logicdistill.evaluation.run import evaluate
from logicdistill.tasks import make_task

from logicdistill_babyai.baselines import BotDriver
from logicdistill_babyai.env import KINDS


def teacher_with_bot_advice(task, variant: str, seed: int, options: AgentOptions) -> dict:
    env = task.make_env(variant)
    agent = build_agent("teacher", task, env, options)
    state, _ = env.reset(seed=seed)
    agent.reset(seed)
    bot = BotDriver(task.fork(state))  # the bot advises on its own copy of the episode
    agree = steps = 0
    step_ms = []
    done = False
    while not done:
        advice = bot.suggest()
        start = time.perf_counter()
        action, _ = agent.act(state)
        step_ms.append((time.perf_counter() - start) * 1000)
        agree += advice == action
        steps += 1
        bot.taken(action)
        state, _, terminated, truncated, _ = env.step(action)
        done = terminated or truncated
    return {
        "seed": seed,
        "success": task.success(state),
        "steps": steps,
        "agree": agree,
        "ms": step_ms,
        "bot_failures": bot.failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=50, help="episodes per kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--retriever", default="dense")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--json", default=None, help="also write the result here")
    args = parser.parse_args()
    task = make_task("babyai")
    options = AgentOptions(retriever=args.retriever, seed=args.seed)
    out: dict = {"episodes_per_kind": args.episodes, "seed": args.seed, "retriever": args.retriever, "kinds": {}}
    totals = {"teacher": [], "bot": [], "agree": 0, "steps": 0, "ms": []}
    for kind in args.kinds.split(","):
        variant = f"{kind}:test"
        runs = [teacher_with_bot_advice(task, variant, args.seed + i, options) for i in range(args.episodes)]
        bot = evaluate("bot", task, args.episodes, args.seed, options, variants=[variant], accuracy_examples=0)
        ms = [m for r in runs for m in r["ms"]]
        out["kinds"][kind] = {
            "variant": variant,
            "teacher_success": sum(r["success"] for r in runs) / len(runs),
            "teacher_mean_steps": statistics.mean(r["steps"] for r in runs),
            "teacher_failed_seeds": [r["seed"] for r in runs if not r["success"]],
            "bot_success": bot["success_rate"],
            "bot_mean_steps": bot["mean_steps"],
            "bot_failed_seeds": [e["seed"] for e in bot["per_episode"] if not e["success"]],
            "action_agreement": sum(r["agree"] for r in runs) / sum(r["steps"] for r in runs),
            "teacher_ms_per_step_median": statistics.median(ms),
            "teacher_ms_per_step_p95": sorted(ms)[int(0.95 * (len(ms) - 1))],
            "bot_advice_failures": sum(r["bot_failures"] for r in runs),
        }
        totals["teacher"] += [r["success"] for r in runs]
        totals["bot"] += [e["success"] for e in bot["per_episode"]]
        totals["agree"] += sum(r["agree"] for r in runs)
        totals["steps"] += sum(r["steps"] for r in runs)
        totals["ms"] += ms
        print(kind, json.dumps(out["kinds"][kind]), flush=True)
    out["overall"] = {
        "teacher_success": sum(totals["teacher"]) / len(totals["teacher"]),
        "bot_success": sum(totals["bot"]) / len(totals["bot"]),
        "action_agreement": totals["agree"] / totals["steps"],
        "teacher_ms_per_step_median": statistics.median(totals["ms"]),
    }
    print(json.dumps(out["overall"]))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
