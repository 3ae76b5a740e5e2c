"""Emergencies: every scenario's new rule, measured with the stale base and again after its
verified new function is added as a new base version (no retraining), for the LD student, the KD
student (no base: the new function cannot reach it) and the teacher.

    .venv/bin/python benchmarks/emergency.py --ld-run runs/ld --kd-run runs/kd
    .venv/bin/python benchmarks/emergency.py --agents teacher          # no student needed
Writes benchmarks/results/emergency.json after every scenario (a pursuit scenario takes 35-50
minutes, so an interrupted run keeps what it finished), keeping the scenarios it did not run this
time (and the new base versions under --out).

Every measurement goes through ``evaluate``: --episodes games (pursuit, spread over the bundled
maps) or hands (21 Points, whose exact regret and Monte Carlo check come from
``TwentyOneTask.policy_metrics`` with its hands fixed at 20,000, so this script no longer takes
--hands).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from logicdistill.agent.factory import AgentOptions
from logicdistill.emergency import Trial, run_emergency
from logicdistill.evaluation.run import write_json
from logicdistill.games.pursuit.task import PursuitSettings
from logicdistill.tasks import get_task

RESULTS = Path(__file__).parent / "results"
AGENTS = ("ld", "kd", "teacher")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--agents",
        nargs="+",
        choices=AGENTS,
        default=list(AGENTS),
        help="ld needs --ld-run, kd needs --kd-run; the teacher is always measured",
    )
    parser.add_argument("--ld-run", type=Path)
    parser.add_argument("--kd-run", type=Path)
    parser.add_argument("--tasks", nargs="+", default=["pursuit", "twentyone"])
    parser.add_argument(
        "--episodes",
        type=int,
        default=20,
        help="episodes per measurement: pursuit games (2 per map), 21 Points hands (regret is exact)",
    )
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--retriever", default="dense")
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--out", type=Path, help="where the new base versions go (default: a temporary folder)")
    args = parser.parse_args()
    for agent, run in (("ld", args.ld_run), ("kd", args.kd_run)):
        if agent in args.agents and run is None:
            parser.error(f"--agents {agent} needs --{agent}-run")
    main_agent = "ld" if "ld" in args.agents else "teacher"
    options = AgentOptions(retriever=args.retriever, seed=args.seed, run=args.ld_run if main_agent == "ld" else None)
    out = args.out or Path(tempfile.mkdtemp(prefix="emergency-bases-"))
    settings = {
        "agents": args.agents,
        "ld_run": str(args.ld_run) if args.ld_run else None,
        "kd_run": str(args.kd_run) if args.kd_run else None,
        "episodes": args.episodes,
        "seed": args.seed,
        "retriever": args.retriever,
        "evader": PursuitSettings.evader,
    }
    reports = {}
    for name in args.tasks:
        task = get_task(name)
        trial = Trial(episodes=args.episodes, seed=args.seed, parallel=args.parallel)
        for scenario in task.emergencies:
            start = time.perf_counter()
            report = run_emergency(
                task,
                scenario,
                main_agent,
                options,
                trial,
                out / f"{task.name}-{scenario.name}",
                kd_run=args.kd_run if "kd" in args.agents else None,
                on_phase=lambda label, name=scenario.name: print(f"  {name}: {label}", flush=True),
            )
            report["wall_s"] = time.perf_counter() - start
            reports[f"{task.name}/{scenario.name}"] = report
            print(row(report), flush=True)
            save(f"{task.name}/{scenario.name}", {**report, "settings": settings})
    print("\n| scenario | metric | agent | normal rules | new rule, stale base | new rule, new function | recovery |")
    print("|---|---|---|---|---|---|---|")
    for key, r in reports.items():
        m = r["metric"]
        recovered = "-" if r["recovery"] is None else f"{r['recovery']:.0%}"
        lines = [(r["agent"], r, recovered)] + ([("teacher", r["teacher"], "")] if r["agent"] != "teacher" else [])
        for agent, phases, rec in lines:
            print(
                f"| {key} | {m} | {agent} | {phases['normal'][m]:.3g} | {phases['before'][m]:.3g} | "
                f"{phases['after'][m]:.3g} | {rec} |"
            )
        if r["kd"]:
            print(f"| {key} | {m} | kd | {r['kd']['normal'][m]:.3g} | {r['kd']['under_rule'][m]:.3g} | (no base) | |")


def save(key: str, report: dict) -> None:
    """Merge one scenario's report into the results file, atomically: scenarios measured by earlier
    runs (other tasks, other agents) are kept, each with its settings."""
    path = RESULTS / "emergency.json"
    kept = json.loads(path.read_text()).get("scenarios", {}) if path.is_file() else {}
    write_json(path, {"scenarios": {**kept, key: report}})


def row(report: dict) -> str:
    m = report["metric"]
    figures = " -> ".join(f"{report[p][m]:.3g}" for p in ("normal", "before", "after"))
    recovered = "" if report["recovery"] is None else f", recovery {report['recovery']:.0%}"
    return (
        f"{report['task']}/{report['scenario']}: {report['agent']} {m} {figures}{recovered} ({report['wall_s']:.0f} s)"
    )


if __name__ == "__main__":
    main()
