"""The demo's chained steps, per task: teacher data, LD and KD training, every agent's evaluation,
then a replay of the student and an emergency where a task's entry asks for them; each step writes
one artefact under the output folder.

A step whose artefact is complete is skipped, so an interrupted demo resumes where it stopped and a
second one only rewrites the summary and the report; ``fresh`` removes every artefact first. The
tasks and their sizes live in ``DemoConfig``; the folder remembers the sizes it was made with, and
other sizes against the same folder are refused rather than silently mixed. Nothing here knows any
particular task: every step calls the generic library functions with the task an entry names.
"""

from __future__ import annotations

import io
import json
import shutil
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from logicdistill.agent.factory import AGENTS, STUDENT_AGENTS, AgentOptions
from logicdistill.distill.data import generate_data, read_data
from logicdistill.distill.train import TrainConfig, train
from logicdistill.emergency import Trial, run_emergency
from logicdistill.errors import UserInputError
from logicdistill.evaluation.run import evaluate, play, write_json, write_trace
from logicdistill.functions.base import atomic_write_text
from logicdistill.tasks.api import Emergency, Task
from logicdistill.tasks.registry import make_task
from logicdistill.userfiles import MiB, read_json_object

FORMAT = "logicdistill-demo/3"  # 3: a tuple of task entries, any task
LEDGER = "demo.json"  # the sizes this folder was made with and each step's time
MAX_ARTEFACT_BYTES = 256 * MiB  # the largest JSON a demo writes, an evaluation's, is well under 1 MiB
MAX_PARALLEL = 32  # student episodes in lock step: batches larger than this gain little on a CPU
EMERGENCY_AGENT = "ld"  # the student an emergency measures (the teacher is measured beside it)

Tick = Callable[[int, int | None, str], None]  # units done, units in all (None: unknown), a note
OnProgress = Callable[[str, int, int | None, str], None]  # the same, with the step's name first


@dataclass(frozen=True)
class DemoTask:
    """One task of the demo and its sizes."""

    task: str = field(metadata={"help": "a registered task name, or path/to/file.py:ClassName or module:ClassName"})
    settings: tuple[str, ...] = field(default=(), metadata={"help": "the task's settings, NAME=VALUE as --set"})
    label: str = field(default="", metadata={"help": "its heading in tables (default: the task's name)"})
    data_episodes: int = field(default=10, metadata={"help": "teacher episodes of data"})
    examples: int = field(default=160, metadata={"help": "training budget of each mode, LD and KD alike"})
    eval_episodes: int = field(default=2, metadata={"help": "episodes per agent (and per emergency phase)"})
    agents: tuple[str, ...] = field(default=("teacher", "ld", "kd", "random"), metadata={"help": "agents evaluated"})
    emergency: str | None = field(default=None, metadata={"help": "an emergency of the task run with the LD student"})
    replay: bool = field(default=False, metadata={"help": "replay the LD student's game (the task must draw one)"})

    def __post_init__(self) -> None:
        small = [k for k in ("data_episodes", "examples", "eval_episodes") if getattr(self, k) < 1]
        if small:
            raise UserInputError(f"demo sizes of {self.task} must be at least 1: {', '.join(small)}")


# Today's demo: sizes that fit 20-25 minutes on 2 CPU cores, measured there; the student's pursuit
# games dominate. Pursuit is evaluated on its held-out maps, 21 Points on every decision state (its
# policy figures) besides the hands played.
DEFAULT_TASKS = (
    DemoTask(
        "pursuit",
        settings=("max_steps=60",),  # the teacher needs up to ~50 steps on these maps
        data_episodes=10,  # one teacher game per bundled map (~10 s each)
        examples=160,  # ~3-5 s per 8 examples
        eval_episodes=2,  # games per agent on the held-out maps (student: ~5 decisions/s)
        agents=("teacher", "ld", "kd", "greedy", "random"),
        replay=True,
    ),
    DemoTask(
        "twentyone",
        label="21 Points",
        data_episodes=1500,  # teacher hands (~20 s)
        examples=128,
        eval_episodes=200,  # hands played per agent; the regret is exact anyway
        agents=("teacher", "ld", "kd", "zero-shot-ld", "zero-shot", "random"),
        emergency="surrender",
    ),  # three exact evaluations of the LD student and three of the teacher
)


@dataclass(frozen=True)
class DemoConfig:
    """The tasks and the sizes shared by all of them; far below the benchmarks:
    the demo shows the method working end to end; its figures are not measurements."""

    tasks: tuple[DemoTask, ...] = DEFAULT_TASKS
    learning_rate: float = 3e-3  # the small budgets learn more at a higher rate than the recipes'
    val_examples: int = 64  # validation decisions scored after training (~5 per second)
    accuracy_examples: int = 64  # held-out decisions scored for selection accuracy
    seed: int = 3000  # evaluation seeds; data uses 0, 1, ...

    def __post_init__(self) -> None:
        if not self.tasks:
            raise UserInputError("a demo needs at least one task")
        small = [k for k in ("val_examples", "accuracy_examples") if getattr(self, k) < 1]
        if small:
            raise UserInputError(f"demo sizes must be at least 1: {', '.join(small)}")
        refs = [entry.task for entry in self.tasks]
        if len(set(refs)) < len(refs):
            raise UserInputError(f"a demo names each task once; got {', '.join(refs)}")

    def sizes(self) -> dict[str, Any]:
        """Every size as one flat mapping (``pursuit.eval_episodes``), as the ledger stores them, so
        a refusal can name exactly what changed."""
        flat = {k: v for k, v in asdict(self).items() if k != "tasks"}
        for entry in self.tasks:
            flat |= {f"{entry.task}.{k}": v for k, v in asdict(entry).items() if k != "task"}
        return json.loads(json.dumps(flat))  # tuples become lists, as JSON reads them back


@dataclass(frozen=True)
class Planned:
    """An entry with its task built: what every step and the summary read."""

    entry: DemoTask
    task: Task

    @property
    def key(self) -> str:
        return self.task.name  # the folder of its artefacts and its key in the summary

    @property
    def label(self) -> str:
        return self.entry.label or self.task.name

    @property
    def eval_variants(self) -> list[str] | None:
        """Where agents are evaluated: the variants no student trained on, where the task keeps some."""
        return list(self.task.held_out) or None

    def scenario(self) -> Emergency | None:
        if self.entry.emergency is None:
            return None
        known = {e.name: e for e in self.task.emergencies}
        if self.entry.emergency not in known:
            raise UserInputError(
                f"unknown {self.key} emergency {self.entry.emergency!r}; scenarios: {', '.join(known) or 'none'}"
            )
        return known[self.entry.emergency]


def plan(config: DemoConfig) -> list[Planned]:
    """Every entry's task, built and checked before any step runs, so a bad name, setting, agent or
    scenario fails at once rather than after the steps before it."""
    planned = [Planned(entry, make_task(entry.task, entry.settings)) for entry in config.tasks]
    keys = [p.key for p in planned]
    if len(set(keys)) < len(keys):
        raise UserInputError(f"a demo names each task once; got {', '.join(keys)}")
    for p in planned:
        unknown = sorted(set(p.entry.agents) - set(AGENTS) - set(p.task.baselines))
        if unknown:
            raise UserInputError(
                f"unknown demo agents for {p.key}: {', '.join(unknown)}; agents: "
                f"{', '.join([*AGENTS, *p.task.baselines])}"
            )
        p.scenario()
    return planned


@dataclass(frozen=True)
class Step:
    name: str
    outputs: tuple[Path, ...]  # everything it writes; ``fresh`` removes these
    done: Callable[[], bool]  # its artefact is complete, so the step is skipped
    run: Callable[[Tick], None]


@dataclass(frozen=True)
class Layout:
    """Where each artefact lives under the demo folder (``key``: a task's name)."""

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

    def data(self, key: str) -> Path:
        return self.root / key / "data.jsonl"

    def run(self, key: str, mode: str) -> Path:
        return self.root / key / mode

    def eval(self, key: str, agent: str) -> Path:
        return self.root / key / "eval" / f"{agent}.json"

    def figures(self, key: str, agent: str) -> Path:
        return self.root / key / "eval" / agent  # what the task draws of the agent's policy

    def replay(self, key: str, suffix: str) -> Path:
        return self.root / key / f"replay{suffix}"

    def emergency(self, key: str, name: str = "report.json") -> Path:
        return self.root / key / "emergency" / name


def data_step(layout: Layout, planned: Planned) -> Step:
    path, wanted = layout.data(planned.key), planned.entry.data_episodes

    def run(tick: Tick) -> None:
        generate_data(path, wanted, planned.task, on_episode=lambda row: tick(row.episode + 1, wanted, row.variant))

    return Step(
        f"{planned.key}: teacher data", (path,), lambda: path.is_file() and len(read_data(path)[2]) >= wanted, run
    )


def train_step(layout: Layout, planned: Planned, mode: str, config: DemoConfig) -> Step:
    out = layout.run(planned.key, mode)

    def run(tick: Tick) -> None:
        tick(0, None, "LoRA on the 135M student")
        cfg = TrainConfig(
            mode=mode,
            max_examples=planned.entry.examples,
            val_examples=config.val_examples,
            learning_rate=config.learning_rate,
        )
        with quiet_trainer():
            metrics = train(layout.data(planned.key), out, cfg, resume=out.exists())
        tick(1, 1, f"{metrics['train_seconds']:.0f} s")

    return Step(f"{planned.key}: train {mode}", (out,), (out / "config.json").is_file, run)


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


def eval_step(layout: Layout, planned: Planned, agent: str, config: DemoConfig) -> Step:
    path, figures = layout.eval(planned.key, agent), layout.figures(planned.key, agent)
    mode = STUDENT_AGENTS.get(agent)
    options = AgentOptions(run=layout.run(planned.key, mode) if mode else None, seed=config.seed)
    episodes = planned.entry.eval_episodes
    # only a student gains from lock step (its decisions batched); others play one game at a time
    parallel = min(episodes, MAX_PARALLEL) if agent in STUDENT_AGENTS else 1

    def run(tick: Tick) -> None:
        wins: list[bool] = []

        def advance(result) -> None:
            wins.append(result.success)
            tick(len(wins), episodes, f"success {sum(wins)}/{len(wins)}")

        tick(0, episodes, "")
        summary = evaluate(
            agent,
            planned.task,
            episodes,
            config.seed,
            options,
            variants=planned.eval_variants,
            on_episode=advance,
            data=layout.data(planned.key),
            accuracy_examples=config.accuracy_examples,
            parallel=parallel,
            out=figures,
        )
        write_json(path, summary)

    return Step(f"{planned.key}: eval {agent}", (path, figures), path.is_file, run)


def replay_step(layout: Layout, planned: Planned, config: DemoConfig) -> Step:
    """One game of the LD student on the first evaluation variant, as the task draws it and a trace."""
    gif, trace, meta = (layout.replay(planned.key, s) for s in (".gif", ".jsonl", ".json"))
    variant = (planned.eval_variants or list(planned.task.variants))[0]

    def run(tick: Tick) -> None:
        steps = iter(range(1, 1 << 30))
        tick(0, None, variant)
        result = play(
            "ld",
            planned.task,
            variant,
            config.seed,
            AgentOptions(run=layout.run(planned.key, "ld")),
            on_step=lambda *_: tick(next(steps), None, variant),
        )
        write_trace(trace, result)
        drawn = planned.task.save_replay(result.states, gif)
        tick(result.steps, result.steps, f"{'success' if result.success else 'no success'} in {result.steps} steps")
        write_json(
            meta,
            {
                "task": planned.key,
                "agent": "ld",
                "variant": variant,
                "seed": config.seed,
                "success": result.success,
                "steps": result.steps,
                "return": result.total_reward,
                "drawing": Path(drawn).name,
            },
        )

    return Step(f"{planned.key}: replay of ld", (gif, trace, meta), meta.is_file, run)


def emergency_step(layout: Layout, planned: Planned, scenario: Emergency, config: DemoConfig) -> Step:
    """The LD student under a new rule: stale base, then the verified new function, no retraining."""
    report, base_out = layout.emergency(planned.key), layout.emergency(planned.key, "base")
    metric = planned.task.metrics[0]

    def run(tick: Tick) -> None:
        shutil.rmtree(base_out, ignore_errors=True)  # an interrupted run's versions would pile up
        phases = iter(range(7))  # ld: normal, before; new functions; ld: after; teacher: three phases
        options = AgentOptions(run=layout.run(planned.key, EMERGENCY_AGENT), seed=config.seed)
        trial = Trial(
            episodes=planned.entry.eval_episodes, seed=config.seed, variants=tuple(planned.eval_variants or ())
        )
        result = run_emergency(
            planned.task,
            scenario,
            EMERGENCY_AGENT,
            options,
            trial,
            base_out,
            on_phase=lambda label: tick(next(phases), 7, label),
        )
        write_json(report, result)
        figure = result["metric"]
        tick(
            7,
            7,
            f"{EMERGENCY_AGENT} {metric.label} {metric.format.format(result['before'][figure])} -> "
            f"{metric.format.format(result['after'][figure])}",
        )

    return Step(f"{planned.key}: emergency {scenario.name}", (report, base_out), report.is_file, run)


def demo_steps(layout: Layout, config: DemoConfig, planned: list[Planned]) -> list[Step]:
    """Every task's data, training and evaluations first, then the replays and emergencies (they
    read the students the earlier steps trained)."""
    steps: list[Step] = []
    for p in planned:
        steps += [
            data_step(layout, p),
            *(train_step(layout, p, m, config) for m in ("ld", "kd")),
            *(eval_step(layout, p, a, config) for a in p.entry.agents),
        ]
    steps += [replay_step(layout, p, config) for p in planned if p.entry.replay]
    return steps + [
        emergency_step(layout, p, scenario, config) for p in planned if (scenario := p.scenario()) is not None
    ]


def clear(steps: list[Step], layout: Layout) -> None:
    """Remove what the steps wrote, the ledger, summary and report, and nothing else of the folder."""
    for path in [p for s in steps for p in s.outputs] + [layout.ledger, layout.summary, layout.report]:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def run_steps(
    steps: list[Step], layout: Layout, config: DemoConfig, on_progress: OnProgress | None = None
) -> dict[str, dict[str, Any]]:
    """Run the steps whose artefacts are missing, in order; returns each step's seconds (from the
    run that made its artefact) and whether this run reused it."""
    sizes = config.sizes()
    ledger = _read_ledger(layout.ledger)
    if ledger and ledger["config"] != sizes:
        changed = ", ".join(k for k in {**ledger["config"], **sizes} if ledger["config"].get(k) != sizes.get(k))
        raise UserInputError(
            f"{layout.root} holds a demo made with other sizes ({changed}); "
            "pass --fresh to redo it or choose another --out"
        )
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
