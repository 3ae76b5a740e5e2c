"""The method's chained steps, per task entry: the base (the bundled one, or one a teacher LLM
writes and verification admits), the teacher's decisions as data, LD and KD students on the same
budget, every agent's evaluation, then a replay of the LD student and the task's emergencies;
each step writes one artefact under the output folder.

A step whose artefact is complete is skipped, so an interrupted run resumes where it stopped and a
second one only rewrites the summary and the report; ``fresh`` removes every artefact first (not
the teacher's stored exchanges: a request answered once is never paid for again). The folder
remembers the settings it was made with (the ledger), and other settings against the same folder
are refused rather than silently mixed. Nothing here knows any particular task: every step calls
the generic library functions with the task an entry names. ``logicdistill distill`` runs one
entry, ``logicdistill demo`` the entries of ``pipeline.demo``.
"""

from __future__ import annotations

import io
import json
import math
import shutil
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from logicdistill.agent.factory import AGENTS, LLM, STUDENT_AGENTS, AgentOptions
from logicdistill.agent.llm_teacher import LLMTeacherConfig, teacher_config
from logicdistill.distill.data import checked_labels, generate_data, read_data
from logicdistill.distill.train import TrainConfig, train
from logicdistill.emergency import Trial, run_emergency
from logicdistill.errors import UserInputError
from logicdistill.evaluation.run import evaluate, play, write_json, write_trace
from logicdistill.functions import FunctionBase, load_base, save_base
from logicdistill.functions.base import atomic_write_text
from logicdistill.pipeline.claims import Claim
from logicdistill.tasks.api import Emergency, Task
from logicdistill.tasks.registry import make_task
from logicdistill.teacher import TeacherClient, TeacherConfig, build_base
from logicdistill.teacher.client import api_key
from logicdistill.userfiles import MiB, read_json_object

FORMAT = "logicdistill-pipeline/1"
LEDGER = "pipeline.json"  # the settings this folder was made with and each step's time
OLD_LEDGER = "demo.json"  # what `logicdistill demo` wrote before it became this pipeline
MAX_ARTEFACT_BYTES = 256 * MiB  # the largest JSON a pipeline writes, an evaluation's, is well under 1 MiB
MAX_PARALLEL = 32  # student episodes in lock step: batches larger than this gain little on a CPU
EMERGENCY_AGENT = "ld"  # the student an emergency measures (the teacher is measured beside it)
DEFAULT_AGENTS = ("teacher", "ld", "kd", "random")  # and the task's baselines
NOT_IN_LEDGER = ("label", "teacher_base_url", "title", "about", "claims")  # how a run is shown, reached or read

Tick = Callable[[int, int | None, str], None]  # units done, units in all (None: unknown), a note
OnProgress = Callable[[str, int, int | None, str], None]  # the same, with the step's name first


@dataclass(frozen=True)
class TaskEntry:
    """One task of a pipeline, its teacher and its sizes; None: the default the help names,
    resolved against the task by ``plan``."""

    task: str = field(metadata={"help": "a registered task name, or path/to/file.py:ClassName or module:ClassName"})
    settings: tuple[str, ...] = field(default=(), metadata={"help": "the task's settings, NAME=VALUE as --set"})
    label: str = field(default="", metadata={"help": "its heading in tables (default: the task's name)"})
    teacher: str | None = field(
        default=None,
        metadata={
            "help": "a teacher LLM's model id: it writes the base (verified) and the emergencies' new functions; "
            "default: none, the task's bundled base and reference functions"
        },
    )
    teacher_base_url: str | None = field(default=None, metadata={"help": "the teacher's OpenAI-compatible base URL"})
    demonstrator: str | None = field(
        default=None,
        metadata={
            "help": f"who labels the decisions: one of the task's offline demonstrators (default: its first) or {LLM}"
        },
    )
    data_episodes: int | None = field(
        default=None, metadata={"help": "teacher episodes of data (default: the recipe's)"}
    )
    examples: int | None = field(
        default=None, metadata={"help": "training budget of each mode, LD and KD alike (default: the recipe's)"}
    )
    learning_rate: float | None = field(
        default=None, metadata={"help": "peak LoRA learning rate (default: the recipe's)"}
    )
    drills: float = field(
        default=TrainConfig.drills,
        metadata={"help": "share of ld draws rewritten as emergency drills; 0 where no emergency will be run"},
    )
    lora_layers: int | None = field(
        default=TrainConfig.lora_layers, metadata={"help": "LoRA on the last N decoder layers only (None: all)"}
    )
    eval_episodes: int = field(default=20, metadata={"help": "episodes per agent (and per emergency phase)"})
    agents: tuple[str, ...] | None = field(
        default=None,
        metadata={"help": f"agents evaluated (default: {', '.join(DEFAULT_AGENTS)} and the task's baselines)"},
    )
    emergencies: tuple[str, ...] | None = field(
        default=None, metadata={"help": "the task's emergencies run with the LD student (default: every one)"}
    )
    replay: bool | None = field(
        default=None, metadata={"help": "replay one game of the LD student (default: where the task draws replays)"}
    )

    def __post_init__(self) -> None:
        counts = {k: getattr(self, k) for k in ("data_episodes", "examples", "eval_episodes")}
        small = [k for k, v in counts.items() if v is not None and v < 1]
        if small:
            raise UserInputError(f"sizes of {self.task} must be at least 1: {', '.join(small)}")
        if not 0 <= self.drills <= 1:
            raise UserInputError(f"the drills share of {self.task} must be between 0 and 1, got {self.drills}")
        if self.lora_layers is not None and self.lora_layers < 1:
            raise UserInputError(f"lora_layers of {self.task} must be at least 1, got {self.lora_layers}")
        if self.learning_rate is not None and not 0 < self.learning_rate < math.inf:
            raise UserInputError(
                f"the learning rate of {self.task} must be positive and finite, got {self.learning_rate}"
            )
        if self.teacher_base_url and not self.teacher:
            raise UserInputError("--teacher-base-url needs --teacher MODEL (the teacher LLM's model id)")
        if self.demonstrator == LLM and not self.teacher:
            raise UserInputError(
                f"--demonstrator {LLM} needs --teacher MODEL and, unless it is OpenAI's, --teacher-base-url URL"
            )

    def resolved(self, task: Task) -> TaskEntry:
        """Every default made explicit from ``task`` (its recipe, demonstrators, emergencies), so
        the ledger records what was run and a changed recipe is noticed."""
        return replace(
            self,
            demonstrator=self.demonstrator or next(iter(task.demonstrators), LLM),  # none offline: the LLM's
            data_episodes=self.data_episodes or task.recipe.data_episodes,
            examples=self.examples or task.recipe.train_examples,
            learning_rate=self.learning_rate or task.recipe.learning_rate,
            agents=self.agents if self.agents is not None else (*DEFAULT_AGENTS, *task.baselines),
            emergencies=self.emergencies if self.emergencies is not None else tuple(e.name for e in task.emergencies),
            replay=self.replay if self.replay is not None else draws_replays(task),
        )


@dataclass(frozen=True)
class PipelineConfig:
    """The task entries and what all of them share."""

    tasks: tuple[TaskEntry, ...]
    val_examples: int = TrainConfig.val_examples  # validation decisions scored after training (~5 per second)
    accuracy_examples: int = 300  # held-out decisions scored for selection accuracy, as `eval`'s default
    seed: int = 3000  # evaluation seeds; data uses 0, 1, ...
    title: str = "Logic Distillation"  # the report's and the table's title
    about: str = ""  # a sentence on the sizes, for the report
    claims: tuple[Claim, ...] = ()  # what the run should show, checked against its figures (``claims``)

    def __post_init__(self) -> None:
        if not self.tasks:
            raise UserInputError("a pipeline needs at least one task")
        small = [k for k in ("val_examples", "accuracy_examples") if getattr(self, k) < 1]
        if small:
            raise UserInputError(f"sizes must be at least 1: {', '.join(small)}")
        refs = [entry.task for entry in self.tasks]
        if len(set(refs)) < len(refs):
            raise UserInputError(f"a pipeline names each task once; got {', '.join(refs)}")


def draws_replays(task: Task) -> bool:
    return type(task).save_replay is not Task.save_replay


@dataclass(frozen=True)
class Planned:
    """An entry with its task built and its defaults resolved: what every step and the summary read."""

    entry: TaskEntry
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

    @property
    def modes(self) -> tuple[str, ...]:
        """The students to train: those evaluated, and LD where a replay or an emergency needs it."""
        wanted = {STUDENT_AGENTS.get(a) for a in self.entry.agents}
        if self.entry.emergencies or self.entry.replay:
            wanted.add(EMERGENCY_AGENT)
        return tuple(m for m in ("ld", "kd") if m in wanted)

    def scenarios(self) -> list[Emergency]:
        known = {e.name: e for e in self.task.emergencies}
        unknown = [name for name in self.entry.emergencies or () if name not in known]
        if unknown:
            raise UserInputError(
                f"unknown {self.key} emergency {unknown[0]!r}; scenarios: {', '.join(known) or 'none'}"
            )
        return [known[name] for name in self.entry.emergencies or ()]


def sizes(config: PipelineConfig, planned: list[Planned]) -> dict[str, Any]:
    """Every setting that shapes the artefacts, as one flat mapping (``pursuit.eval_episodes``:
    keyed by the task's name, ``pursuit.task`` its reference), as the ledger stores them, so a
    refusal can name exactly what changed."""
    flat = {k: v for k, v in asdict(config).items() if k != "tasks" and k not in NOT_IN_LEDGER}
    for p in planned:
        flat |= {f"{p.key}.{k}": v for k, v in asdict(p.entry).items() if k not in NOT_IN_LEDGER}
    return json.loads(json.dumps(flat))  # tuples become lists, as JSON reads them back


def plan(config: PipelineConfig) -> list[Planned]:
    """Every entry's task, built, its defaults resolved and everything checked before any step
    runs, so a bad name, setting, agent, demonstrator or scenario fails at once rather than after
    the steps before it."""
    planned = []
    for entry in config.tasks:
        task = make_task(entry.task, entry.settings)
        planned.append(Planned(entry.resolved(task), task))
    keys = [p.key for p in planned]
    if len(set(keys)) < len(keys):
        raise UserInputError(f"a pipeline names each task once; got {', '.join(keys)}")
    for p in planned:
        unknown = sorted(set(p.entry.agents) - set(AGENTS) - set(p.task.baselines))
        if unknown:
            raise UserInputError(
                f"unknown agents for {p.key}: {', '.join(unknown)}; agents: {', '.join([*AGENTS, *p.task.baselines])}"
            )
        if p.entry.demonstrator not in (*p.task.demonstrators, LLM):
            raise UserInputError(
                f"{p.key} has no {p.entry.demonstrator!r} demonstrator; demonstrators: "
                f"{', '.join((*p.task.demonstrators, LLM))}"
            )
        if p.entry.replay and not draws_replays(p.task):
            raise UserInputError(f"{p.key} cannot draw replays")
        p.scenarios()
    return planned


@dataclass(frozen=True)
class Step:
    name: str
    outputs: tuple[Path, ...]  # everything it writes; ``fresh`` removes these
    done: Callable[[], bool]  # its artefact is complete, so the step is skipped
    run: Callable[[Tick], None]
    check: Callable[[], None] | None = None  # what it needs, checked before any step runs (an API key)


@dataclass(frozen=True)
class Layout:
    """Where each artefact lives under the output folder (``key``: a task's name)."""

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

    def base(self, key: str) -> Path:
        return self.root / key / "base"  # a base the teacher LLM wrote; none for the bundled one

    def teacher_store(self, key: str) -> Path:
        return self.root / key / "teacher-store"  # every exchange with the teacher LLM, by request content

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

    def emergency(self, key: str, scenario: str, name: str = "report.json") -> Path:
        return self.root / key / "emergency" / scenario / name


def base_of(layout: Layout, planned: Planned) -> FunctionBase:
    """The base every step of the entry uses: the one its teacher wrote (once the base step has
    run), else the task's bundled base."""
    if planned.entry.teacher is None:
        return planned.task.bundled_base()
    return load_base(layout.base(planned.key), task=planned.task)


def teacher_client(layout: Layout, planned: Planned) -> TeacherClient | None:
    """The entry's teacher LLM writing functions (None: the bundled base, the reference functions)."""
    entry = planned.entry
    if entry.teacher is None:
        return None
    return TeacherClient(TeacherConfig(entry.teacher, entry.teacher_base_url, store=layout.teacher_store(planned.key)))


def agent_options(layout: Layout, planned: Planned, seed: int, **changes: Any) -> AgentOptions:
    """What every agent of the entry plays with: its base, its demonstrator (the teacher LLM where
    it labels, its exchanges in the entry's store), ``seed``."""
    entry = planned.entry
    llm = None
    if entry.demonstrator == LLM:
        store = layout.teacher_store(planned.key)
        llm = LLMTeacherConfig(teacher_config(entry.teacher, entry.teacher_base_url, store, None))
    return AgentOptions(
        base=None if entry.teacher is None else base_of(layout, planned),
        demonstrator=entry.demonstrator,
        llm=llm,
        seed=seed,
        **changes,
    )


def _needs_key(planned: Planned) -> Callable[[], None] | None:
    """A step that asks the teacher LLM checks its API key before any step runs, not when it comes."""
    if planned.entry.teacher is None:
        return None
    url = planned.entry.teacher_base_url

    def check() -> None:
        api_key(url)  # none needed for localhost

    return check


def base_step(layout: Layout, planned: Planned) -> Step:
    """The teacher LLM writes the task's base, stage by stage; only verified functions join it."""
    out, stages = layout.base(planned.key), len(planned.task.stages)

    def run(tick: Tick) -> None:
        client = teacher_client(layout, planned)
        written = iter(range(1, stages + 1))
        tick(0, stages, f"teacher {planned.entry.teacher}")

        def stage_done(outcome) -> None:
            names = ", ".join(f.name for f in outcome.admitted) or "none"
            tick(next(written), stages, f"{outcome.stage}: {names}")

        base, _ = build_base(client, planned.task, on_stage=stage_done)
        shutil.rmtree(out, ignore_errors=True)  # a base is saved whole; nothing of an earlier try is kept
        save_base(base, out)

    return Step(
        f"{planned.key}: base by teacher {planned.entry.teacher}",
        (out,),
        (out / "CURRENT").is_file,
        run,
        _needs_key(planned),
    )


def data_step(layout: Layout, planned: Planned) -> Step:
    path, wanted = layout.data(planned.key), planned.entry.data_episodes
    llm = planned.entry.demonstrator == LLM

    def run(tick: Tick) -> None:
        shown: dict[str, Any] = {"done": 0, "episode": "", "usage": ""}

        def show() -> None:
            tick(shown["done"], wanted, ", ".join(filter(None, (shown["episode"], shown["usage"]))))

        def episode(row) -> None:
            shown.update(done=row.episode + 1, episode=row.variant)
            show()

        def used(counts) -> None:
            shown["usage"] = counts.text()
            show()

        options = agent_options(layout, planned, 0)
        if options.llm is not None:
            options = replace(options, llm=replace(options.llm, on_usage=used))
        generate_data(path, wanted, planned.task, options=options, on_episode=episode)
        if llm:
            checked_labels(path)

    return Step(
        f"{planned.key}: teacher data ({planned.entry.demonstrator})",
        (path,),
        lambda: path.is_file() and len(read_data(path)[2]) >= wanted,
        run,
        _needs_key(planned) if llm else None,
    )


def train_step(layout: Layout, planned: Planned, mode: str, config: PipelineConfig) -> Step:
    out = layout.run(planned.key, mode)

    def run(tick: Tick) -> None:
        tick(0, None, "LoRA on the 135M student")
        cfg = TrainConfig(
            mode=mode,
            max_examples=planned.entry.examples,
            val_examples=config.val_examples,
            learning_rate=planned.entry.learning_rate,
            drills=planned.entry.drills,
            lora_layers=planned.entry.lora_layers,
        )
        with quiet_trainer():
            metrics = train(layout.data(planned.key), out, cfg, resume=out.exists())
        tick(1, 1, f"{metrics['train_seconds']:.0f} s")

    return Step(f"{planned.key}: train {mode}", (out,), (out / "config.json").is_file, run)


@contextmanager
def quiet_trainer() -> Iterator[None]:
    """Silence ``transformers.Trainer``, as the pipeline shows its own progress: the Trainer drops
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


def eval_step(layout: Layout, planned: Planned, agent: str, config: PipelineConfig) -> Step:
    path, figures = layout.eval(planned.key, agent), layout.figures(planned.key, agent)
    mode = STUDENT_AGENTS.get(agent)
    episodes = planned.entry.eval_episodes
    # only a student gains from lock step (its decisions batched); others play one game at a time
    parallel = min(episodes, MAX_PARALLEL) if agent in STUDENT_AGENTS else 1
    asks_llm = agent == "teacher" and planned.entry.demonstrator == LLM

    def run(tick: Tick) -> None:
        wins: list[bool] = []

        def advance(result) -> None:
            wins.append(result.success)
            tick(len(wins), episodes, f"success {sum(wins)}/{len(wins)}")

        tick(0, episodes, "")
        options = agent_options(layout, planned, config.seed, run=layout.run(planned.key, mode) if mode else None)
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

    return Step(
        f"{planned.key}: eval {agent}", (path, figures), path.is_file, run, _needs_key(planned) if asks_llm else None
    )


def replay_step(layout: Layout, planned: Planned, config: PipelineConfig) -> Step:
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
            agent_options(layout, planned, config.seed, run=layout.run(planned.key, "ld")),
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


def emergency_step(layout: Layout, planned: Planned, scenario: Emergency, config: PipelineConfig) -> Step:
    """The LD student under a new rule: stale base, then the verified new functions (the teacher
    LLM's where the entry has one, else the task's reference ones), no retraining."""
    report, base_out = (layout.emergency(planned.key, scenario.name, n) for n in ("report.json", "base"))
    metric = planned.task.metrics[0]

    def run(tick: Tick) -> None:
        shutil.rmtree(base_out, ignore_errors=True)  # an interrupted run's versions would pile up
        phases = iter(range(7))  # ld: normal, before; new functions; ld: after; teacher: three phases
        options = agent_options(layout, planned, config.seed, run=layout.run(planned.key, EMERGENCY_AGENT))
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
            teacher_client(layout, planned),
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

    return Step(
        f"{planned.key}: emergency {scenario.name}", (report, base_out), report.is_file, run, _needs_key(planned)
    )


def pipeline_steps(layout: Layout, config: PipelineConfig, planned: list[Planned]) -> list[Step]:
    """Every task's base, data, training and evaluations first, then the replays and emergencies
    (they read the students the earlier steps trained)."""
    steps: list[Step] = []
    for p in planned:
        steps += [
            *([base_step(layout, p)] if p.entry.teacher else []),
            data_step(layout, p),
            *(train_step(layout, p, m, config) for m in p.modes),
            *(eval_step(layout, p, a, config) for a in p.entry.agents),
        ]
    steps += [replay_step(layout, p, config) for p in planned if p.entry.replay]
    return steps + [emergency_step(layout, p, s, config) for p in planned for s in p.scenarios()]


def clear(steps: list[Step], layout: Layout) -> None:
    """Remove what the steps wrote, the ledger, summary and report, and nothing else of the folder
    (the teacher's stored exchanges stay)."""
    written = [p for s in steps for p in s.outputs]
    for path in [*written, layout.ledger, layout.root / OLD_LEDGER, layout.summary, layout.report]:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def run_steps(
    steps: list[Step], layout: Layout, settings: dict[str, Any], on_progress: OnProgress | None = None
) -> dict[str, dict[str, Any]]:
    """Run the steps whose artefacts are missing, in order, in a folder made with ``settings``
    (``sizes``: other ones are refused); returns each step's seconds (from the run that made its
    artefact) and whether this run reused it."""
    ledger = _read_ledger(layout)
    if ledger and ledger["config"] != settings:
        changed = ", ".join(k for k in {**ledger["config"], **settings} if ledger["config"].get(k) != settings.get(k))
        raise UserInputError(
            f"{layout.root} holds a run made with other settings ({changed}); "
            "pass --fresh to redo it or choose another --out"
        )
    pending = {step.name for step in steps if not step.done()}
    for step in steps:
        if step.name in pending and step.check:
            step.check()
    seconds = dict(ledger["seconds"]) if ledger else {}
    timings: dict[str, dict[str, Any]] = {}
    report = on_progress or (lambda *_: None)
    for step in steps:
        tick: Tick = lambda done, total, note="", name=step.name: report(name, done, total, note)  # noqa: E731
        if step.name not in pending:
            timings[step.name] = {"seconds": seconds.get(step.name), "reused": True}
            tick(1, 1, "reused")
            continue
        start = time.perf_counter()
        step.run(tick)
        seconds[step.name] = time.perf_counter() - start
        timings[step.name] = {"seconds": seconds[step.name], "reused": False}
        _write_ledger(layout.ledger, settings, seconds)  # after every step: a crash keeps what was timed
    return timings


def read_artefact(path: Path) -> dict[str, Any]:
    """A JSON file an earlier run wrote (the folder is the user's: it may be damaged or edited);
    a problem is one line that says how to start over."""
    try:
        return read_json_object(path, MAX_ARTEFACT_BYTES, "pipeline file")
    except UserInputError as exc:
        raise UserInputError(f"cannot read the pipeline's files: {exc}; pass --fresh to redo it") from None


def _read_ledger(layout: Layout) -> dict[str, Any] | None:
    path = layout.ledger
    if not path.exists():
        if (layout.root / OLD_LEDGER).exists():
            raise UserInputError(
                f"{layout.root} holds a demo made by an earlier version ({OLD_LEDGER}); "
                "pass --fresh to redo it or choose another --out"
            )
        return None
    ledger = read_artefact(path)
    if ledger.get("format") != FORMAT or not all(isinstance(ledger.get(k), dict) for k in ("config", "seconds")):
        raise UserInputError(f"{path} is not a {FORMAT} file; pass --fresh to redo it")
    return ledger


def _write_ledger(path: Path, settings: dict[str, Any], seconds: dict[str, float]) -> None:
    atomic_write_text(path, json.dumps({"format": FORMAT, "config": settings, "seconds": seconds}, indent=2) + "\n")
