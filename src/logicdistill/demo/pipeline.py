"""The demo's chained steps: teacher data, LD and KD training, every agent's evaluation, a replay of
the student and an emergency, each writing one artefact under the output folder.

A step whose artefact is complete is skipped, so an interrupted demo resumes where it stopped and a
second one only rewrites the summary and the report; ``fresh`` removes every artefact first. The
sizes live in ``DemoConfig``; the folder remembers the sizes it was made with, and other sizes
against the same folder are refused rather than silently mixed.
"""

from __future__ import annotations

import io
import json
import shutil
import time
import warnings
from contextlib import contextmanager, redirect_stdout
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from logicdistill.agent.factory import AGENTS, STUDENT_AGENTS, AgentOptions
from logicdistill.distill.data import generate_data, read_data
from logicdistill.distill.train import TrainConfig, train
from logicdistill.emergency import Trial, get_scenario, run_emergency
from logicdistill.errors import UserInputError
from logicdistill.evaluation.run import evaluate, play, write_json, write_trace
from logicdistill.evaluation.twentyone import evaluate_hands
from logicdistill.functions.base import atomic_write_text
from logicdistill.tasks.pursuit.env import TEST_MAPS, PursuitConfig, PursuitEpisodes
from logicdistill.tasks.pursuit.render import save_replay
from logicdistill.tasks.twentyone.env import TwentyOneEpisodes
from logicdistill.userfiles import MiB, read_json_object

FORMAT = "logicdistill-demo/2"  # 2: students trained on the share among candidates, with drills
LEDGER = "demo.json"  # the sizes this folder was made with and each step's time
TASKS = ("pursuit", "twentyone")
MAX_ARTEFACT_BYTES = 256 * MiB  # the largest JSON a demo writes, an evaluation's, is well under 1 MiB

Tick = Callable[[int, int | None, str], None]  # units done, units in all (None: unknown), a note
OnProgress = Callable[[str, int, int | None, str], None]  # the same, with the step's name first


@dataclass(frozen=True)
class DemoConfig:
    """Sizes that fit 20-25 minutes on 2 CPU cores, far below the benchmarks' (README "Figures"):
    the demo shows the method working end to end; its figures are not measurements. The costs in
    the comments were measured on a 2-core CPU; the student's pursuit games dominate."""

    pursuit_episodes: int = 10  # teacher games of data, one per bundled map (~10 s each)
    hands: int = 1500  # 21 Points teacher hands of data (~20 s)
    pursuit_examples: int = 160  # training budget of each mode, LD and KD alike (~3-5 s per 8 examples)
    twentyone_examples: int = 128
    learning_rate: float = 3e-3  # the small budgets above learn more at a higher rate than the default
    val_examples: int = 64  # validation decisions scored after training (~5 per second)
    max_steps: int = 60  # pursuit step limit (data, evaluation, replay); the teacher needs up to ~50 here
    eval_episodes: int = 2  # pursuit games per agent on the held-out maps, in lock step (student: ~5 decisions/s)
    accuracy_examples: int = 64  # held-out decisions scored for selection accuracy
    mc_hands: int = 5000  # 21 Points Monte Carlo check per agent; the regret is exact (~1 min per student)
    emergency: str = "surrender"  # the 21 Points scenario, run with the LD student (three exact evaluations)
    pursuit_agents: tuple[str, ...] = ("teacher", "ld", "kd", "greedy", "random")
    twentyone_agents: tuple[str, ...] = ("teacher", "ld", "kd", "zero-shot-ld", "zero-shot", "random")
    seed: int = 3000  # evaluation seeds; data uses 0, 1, ...

    def __post_init__(self) -> None:
        sizes = {k: v for k, v in asdict(self).items() if isinstance(v, int) and k != "seed"}
        small = [k for k, v in sizes.items() if v < 1]
        if small:
            raise UserInputError(f"demo sizes must be at least 1: {', '.join(small)}")
        unknown = sorted({*self.pursuit_agents, *self.twentyone_agents} - set(AGENTS))
        if unknown:
            raise UserInputError(f"unknown demo agents {unknown}; agents: {', '.join(AGENTS)}")

    def examples(self, task: str) -> int:
        return self.pursuit_examples if task == "pursuit" else self.twentyone_examples

    def agents(self, task: str) -> tuple[str, ...]:
        return self.pursuit_agents if task == "pursuit" else self.twentyone_agents


@dataclass(frozen=True)
class Step:
    name: str
    outputs: tuple[Path, ...]  # everything it writes; ``fresh`` removes these
    done: Callable[[], bool]  # its artefact is complete, so the step is skipped
    run: Callable[[Tick], None]


@dataclass(frozen=True)
class Layout:
    """Where each artefact lives under the demo folder."""

    root: Path

    @property
    def ledger(self) -> Path:
        return self.root / LEDGER

    @property
    def summary(self) -> Path:
        return self.root / "summary.json"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    def data(self, task: str) -> Path:
        return self.root / task / "data.jsonl"

    def run(self, task: str, mode: str) -> Path:
        return self.root / task / mode

    def eval(self, task: str, agent: str, suffix: str = ".json") -> Path:
        return self.root / task / "eval" / f"{agent}{suffix}"

    def replay(self, suffix: str) -> Path:
        return self.root / "pursuit" / f"replay{suffix}"

    def emergency(self, name: str = "report.json") -> Path:
        return self.root / "emergency" / name


def pursuit_config(config: DemoConfig) -> PursuitConfig:
    """The game of every pursuit step; its map is the replay's (data and evaluation choose their own)."""
    return PursuitConfig(map=TEST_MAPS[0], max_steps=config.max_steps)


def data_step(layout: Layout, task: str, config: DemoConfig) -> Step:
    path = layout.data(task)
    wanted = config.pursuit_episodes if task == "pursuit" else config.hands
    source = PursuitEpisodes(pursuit_config(config)) if task == "pursuit" else TwentyOneEpisodes("classic")

    def run(tick: Tick) -> None:
        generate_data(path, wanted, source, on_episode=lambda row: tick(row.episode + 1, wanted, row.variant))

    return Step(f"{task}: teacher data", (path,), lambda: path.is_file() and len(read_data(path)[2]) >= wanted, run)


def train_step(layout: Layout, task: str, mode: str, config: DemoConfig) -> Step:
    out = layout.run(task, mode)

    def run(tick: Tick) -> None:
        tick(0, None, "LoRA on the 135M student")
        cfg = TrainConfig(mode=mode, max_examples=config.examples(task), val_examples=config.val_examples,
                          learning_rate=config.learning_rate)
        with quiet_trainer():
            metrics = train(layout.data(task), out, cfg, resume=out.exists())
        tick(1, 1, f"{metrics['train_seconds']:.0f} s")

    return Step(f"{task}: train {mode}", (out,), (out / "config.json").is_file, run)


@contextmanager
def quiet_trainer() -> Iterator[None]:
    """Silence ``transformers.Trainer`` for the demo, which shows its own progress: the Trainer drops
    its tqdm bar when transformers logs errors only, and then prints every step's losses instead
    (they are in the run's metrics.json and learning curve anyway)."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        with redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # deprecations inside transformers and peft
            yield
    finally:
        hf_logging.set_verbosity(level)


def eval_step(layout: Layout, task: str, agent: str, config: DemoConfig) -> Step:
    path, plot = layout.eval(task, agent), layout.eval(task, agent, ".png")
    mode = STUDENT_AGENTS.get(agent)
    options = AgentOptions(run=layout.run(task, mode) if mode else None, seed=config.seed)

    def run(tick: Tick) -> None:
        data = layout.data(task)
        if task == "twentyone":
            tick(0, 1, "all 280 decision states")
            summary = evaluate_hands(agent, "classic", "gymnasium", config.mc_hands, config.seed, options, data,
                                     config.accuracy_examples, plot)
            tick(1, 1, f"regret {summary['regret']:.4f}")
        else:
            wins: list[bool] = []

            def advance(result) -> None:
                wins.append(result.success)
                tick(len(wins), config.eval_episodes, f"success {sum(wins)}/{len(wins)}")

            tick(0, config.eval_episodes, "")
            summary = evaluate(agent, pursuit_config(config), list(TEST_MAPS), config.eval_episodes, config.seed,
                               options, on_episode=advance, data=data, accuracy_examples=config.accuracy_examples,
                               parallel=config.eval_episodes if agent in STUDENT_AGENTS else 1)
        write_json(path, summary)

    outputs = (path, plot) if task == "twentyone" else (path,)
    return Step(f"{task}: eval {agent}", outputs, path.is_file, run)


def replay_step(layout: Layout, config: DemoConfig) -> Step:
    """One pursuit game of the LD student on the first held-out map, as an animation and a trace."""
    gif, trace, meta = layout.replay(".gif"), layout.replay(".jsonl"), layout.replay(".json")

    def run(tick: Tick) -> None:
        game = pursuit_config(config)
        tick(0, game.max_steps, game.map)
        result = play("ld", game, config.seed, AgentOptions(run=layout.run("pursuit", "ld")),
                      on_step=lambda state, _: tick(state.step, game.max_steps, game.map))
        write_trace(trace, result)
        save_replay(result.states, gif)
        tick(result.steps, result.steps, f"{result.captures} captures in {result.steps} steps")
        write_json(meta, {"agent": "ld", "map": game.map, "seed": config.seed, "max_steps": game.max_steps,
                          "success": result.success, "steps": result.steps, "captures": result.captures})

    return Step("pursuit: replay of ld", (gif, trace, meta), meta.is_file, run)


def emergency_step(layout: Layout, config: DemoConfig) -> Step:
    """The LD student under a new rule: stale base, then the verified new function, no retraining."""
    report, base_out = layout.emergency(), layout.emergency("base")
    scenario = get_scenario("twentyone", config.emergency)  # an unknown name fails now, not after the rest

    def run(tick: Tick) -> None:
        shutil.rmtree(base_out, ignore_errors=True)  # an interrupted run's versions would pile up
        phases = iter(range(7))  # ld: normal, before; new functions; ld: after; teacher: three phases
        result = run_emergency(scenario, "ld",
                               AgentOptions(run=layout.run("twentyone", "ld"), seed=config.seed),
                               Trial(episodes=config.mc_hands, seed=config.seed), base_out,
                               on_phase=lambda label: tick(next(phases), 7, label))
        write_json(report, result)
        tick(7, 7, f"ld regret {result['before']['regret']:.4f} -> {result['after']['regret']:.4f}")

    return Step(f"twentyone: emergency {config.emergency}", (report, base_out), report.is_file, run)


def demo_steps(layout: Layout, config: DemoConfig) -> list[Step]:
    steps = []
    for task in TASKS:
        steps += [data_step(layout, task, config), *(train_step(layout, task, m, config) for m in ("ld", "kd")),
                  *(eval_step(layout, task, a, config) for a in config.agents(task))]
    return [*steps, replay_step(layout, config), emergency_step(layout, config)]


def clear(steps: list[Step], layout: Layout) -> None:
    """Remove what the steps wrote, the ledger, summary and report, and nothing else of the folder."""
    for path in [p for s in steps for p in s.outputs] + [layout.ledger, layout.summary, layout.report]:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def run_steps(steps: list[Step], layout: Layout, config: DemoConfig,
              on_progress: OnProgress | None = None) -> dict[str, dict[str, Any]]:
    """Run the steps whose artefacts are missing, in order; returns each step's seconds (from the
    run that made its artefact) and whether this run reused it."""
    sizes = json.loads(json.dumps(asdict(config)))  # as the ledger stores them: tuples become lists
    ledger = _read_ledger(layout.ledger)
    if ledger and ledger["config"] != sizes:
        changed = ", ".join(k for k in sizes if ledger["config"].get(k) != sizes[k])
        raise UserInputError(f"{layout.root} holds a demo made with other sizes ({changed}); "
                             "pass --fresh to redo it or choose another --out")
    seconds = dict(ledger["seconds"]) if ledger else {}
    timings: dict[str, dict[str, Any]] = {}
    report = on_progress or (lambda *_: None)
    for step in steps:
        tick: Tick = lambda done, total, note="", name=step.name: report(name, done, total, note)  # noqa: E731
        if step.done():
            timings[step.name] = {"seconds": seconds.get(step.name), "reused": True}
            tick(1, 1, "reused")
            continue
        start = time.perf_counter()
        step.run(tick)
        seconds[step.name] = time.perf_counter() - start
        timings[step.name] = {"seconds": seconds[step.name], "reused": False}
        _write_ledger(layout.ledger, sizes, seconds)  # after every step: a crash keeps what was timed
    return timings


def read_artefact(path: Path) -> dict[str, Any]:
    """A JSON file an earlier demo wrote (the folder is the user's: it may be damaged or edited);
    a problem is one line that says how to start over."""
    try:
        return read_json_object(path, MAX_ARTEFACT_BYTES, "demo file")
    except UserInputError as exc:
        raise UserInputError(f"cannot read the demo's files: {exc}; pass --fresh to redo the demo") from None


def _read_ledger(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    ledger = read_artefact(path)
    if ledger.get("format") != FORMAT or not all(isinstance(ledger.get(k), dict) for k in ("config", "seconds")):
        raise UserInputError(f"{path} is not a {FORMAT} file; pass --fresh to redo the demo")
    return ledger


def _write_ledger(path: Path, sizes: dict[str, Any], seconds: dict[str, float]) -> None:
    atomic_write_text(path, json.dumps({"format": FORMAT, "config": sizes, "seconds": seconds}, indent=2) + "\n")
