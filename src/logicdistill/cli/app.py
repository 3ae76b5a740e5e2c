"""The ``logicdistill`` command: parses options and calls one library function per command.

Every command that plays a task takes ``--task`` (a registered name or a ``file.py:Class`` /
``module:Class`` reference) and ``--set NAME=VALUE`` for the task's settings; nothing here knows
any particular task: what a task reports, draws and calls its variants comes from the task.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Column, Table
from rich.text import Text

from logicdistill.agent.factory import AGENTS, LLM, AgentOptions
from logicdistill.agent.llm_teacher import LabelUsage, LLMTeacherConfig, parse_price, teacher_config
from logicdistill.cli.tasks_cmd import tasks_app
from logicdistill.distill.data import checked_labels, generate_data
from logicdistill.distill.train import TrainConfig, processes
from logicdistill.distill.train import train as train_run
from logicdistill.emergency import Trial, run_emergency
from logicdistill.errors import LogicDistillError, UserInputError
from logicdistill.evaluation.run import evaluate, write_json, write_trace
from logicdistill.evaluation.run import play as play_episode
from logicdistill.functions import diff_bases, load_base, save_base
from logicdistill.functions.base import list_versions
from logicdistill.functions.hygiene import terminal_safe
from logicdistill.functions.runtime import configure_runtime
from logicdistill.functions.sandbox import SandboxLimits
from logicdistill.functions.verification import add_source
from logicdistill.pipeline import DEMO, PipelineConfig, TaskEntry, comparison, run_pipeline
from logicdistill.pipeline.claims import describe, verdict
from logicdistill.serve import check_port, load_served_student
from logicdistill.serve import serve as run_server
from logicdistill.student.model import DTYPES
from logicdistill.student.runs import check_run
from logicdistill.tasks.api import SUCCESS_RATE, Emergency, Metric, Task
from logicdistill.tasks.registry import make_task
from logicdistill.teacher import TeacherClient, TeacherConfig, build_base
from logicdistill.userfiles import MiB, check_output_folder, check_output_path, read_user_text

app = typer.Typer(
    no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False, help="Logic Distillation toolkit."
)
base_app = typer.Typer(no_args_is_help=True, help="Show, list, diff, export, add to and build function bases.")
app.add_typer(base_app, name="base")
app.add_typer(tasks_app, name="tasks")
console = Console(stderr=True)
term = Console(soft_wrap=True)  # long lines (paths) stay whole: scripts and tests read them
DEFAULT_TASK = "pursuit"
MAX_SOURCE_BYTES = 1 * MiB  # a function file is a few KiB; far more is not a function file

_TASK_HELP = "Task: a registered name (`logicdistill tasks list`), path/to/file.py:ClassName or module:ClassName."
TaskRef = Annotated[str, typer.Option("--task", help=_TASK_HELP)]
# where a base on disk is read, its manifest names its task; --task is needed only for a task
# given by file reference (or to insist on one)
BaseTask = Annotated[
    Optional[str],
    typer.Option(
        "--task",
        help=f"{_TASK_HELP} Default: the task a base directory's manifest names; {DEFAULT_TASK} for 'bundled'.",
    ),
]
Settings = Annotated[
    Optional[list[str]],
    typer.Option(
        "--set",
        metavar="NAME=VALUE",
        help="A task setting; repeat the option (`logicdistill tasks show TASK` lists them with their defaults).",
    ),
]
Variants = Annotated[
    Optional[list[str]],
    typer.Option(
        "--variant",
        help="Variant to play (a map, a level: the task's own names, or any the task accepts); repeat the "
        "option. Default: eval plays the task's eval variants (its held-out ones where it has any; `logicdistill "
        "tasks show TASK`), emergency every variant.",
    ),
]
Agent = Annotated[str, typer.Option(help=f"Agent: {', '.join(AGENTS)}, or one of the task's baselines.")]
_AGENT = {f.name: f for f in fields(AgentOptions)}
# numpy's legacy seeding (which transformers' set_seed uses) takes 0 to 2**32 - 1
Seed = Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Seed for starts and every random choice.")]
# Upper limits on counts: far above any real use, they turn a typo into one line instead of an
# allocation that exhausts memory (a list of seeds, an array of returns) long into a run.
MAX_EPISODES, MAX_EXAMPLES = 1_000_000, 1_000_000
Retriever = Annotated[str, typer.Option(help="Retriever: dense (MiniLM) or bm25.")]
TopK = Annotated[int, typer.Option(min=1, help="Candidates retrieved per stage.")]
BasePath = Annotated[Optional[Path], typer.Option("--base", help="Function base directory (default: bundled).")]
Run = Annotated[Optional[Path], typer.Option("--run", help="Trained run folder (for the ld and kd agents).")]
StudentModel = Annotated[Optional[str], typer.Option(help="Student model path or id for zero-shot agents.")]
Teacher = Annotated[
    Optional[str],
    typer.Option(
        "--demonstrator",
        help="The teacher for the teacher agent and for data: one of the task's offline "
        "demonstrators (default: its first; `logicdistill tasks show TASK` lists them), or llm: a "
        "teacher LLM (--teacher) answers every decision, for any task.",
    ),
]
# a teacher LLM that labels decisions (--demonstrator llm), shared by `data`, `play`, `eval` and `emergency`
LabelModel = Annotated[
    Optional[str],
    typer.Option(
        "--teacher", help="With --demonstrator llm: the teacher LLM's model id (part of every stored request)."
    ),
]
LabelStore = Annotated[
    Optional[Path],
    typer.Option(
        "--store",
        help="With --demonstrator llm: where its exchanges are stored, keyed by request content (the store "
        "`base build` uses; default: next to --out for data, runs/teacher-store otherwise).",
    ),
]
Concurrency = Annotated[
    Optional[int],
    typer.Option(
        min=1,
        max=256,
        help="With --demonstrator llm: requests in flight at once (data plays as many episodes in lock step); "
        "default 4.",
    ),
]
PricePerMtok = Annotated[
    Optional[str],
    typer.Option(
        metavar="IN[,OUT]",
        help="With --demonstrator llm: USD per million prompt (IN) and completion (OUT) tokens, as price lists "
        "give them (e.g. 0.15,0.6); one number prices both alike. For the cost shown and recorded.",
    ),
]
TeacherSchema = Annotated[
    bool,
    typer.Option(
        "--teacher-schema/--no-teacher-schema",
        help="With --demonstrator llm: ask for a JSON-schema answer (response_format); turn off for servers "
        "that refuse it (replies are then read as a bare name).",
    ),
]
# a reasoning model as the teacher LLM, in every role: labelling, `base build`, `emergency`
TeacherReasoning = Annotated[
    bool,
    typer.Option(
        "--teacher-reasoning",
        help="The teacher LLM is a reasoning model (OpenAI o-series, gpt-5): requests send max_completion_tokens, "
        "with room for its hidden reasoning, and no temperature, which such models refuse.",
    ),
]
StudentDtype = Annotated[
    str, typer.Option(help="Student weights: auto (bf16 where the hardware has it), float32, bfloat16.")
]
Horizon = Annotated[
    Optional[int],
    typer.Option(
        min=1,
        help="The offline teacher's look-ahead in steps (its demonstrator's horizon); default: the task's "
        "(`logicdistill tasks show TASK`).",
    ),
]
Parallel = Annotated[int, typer.Option(help="Episodes played in lock step, their decisions batched.")]
# the teacher LLM's endpoint, shared by `base build` and `emergency`
TeacherUrl = Annotated[
    Optional[str],
    typer.Option(
        help="OpenAI-compatible base URL of the teacher (default: OpenAI's); key from "
        "LOGICDISTILL_API_KEY or OPENAI_API_KEY."
    ),
]
Replay = Annotated[
    Optional[Path], typer.Option(help="Answer the teacher from this store only; never contact the endpoint.")
]
Retries = Annotated[int, typer.Option(min=0, help="Teacher follow-ups that feed verification errors back.")]
Json = Annotated[Optional[Path], typer.Option("--json", help="Write the summary as JSON.")]
# the figures every evaluation has besides the task's own metrics (the table's last columns)
COMMON_METRICS = (
    SUCCESS_RATE,
    Metric("mean_steps", False, "mean steps", "{:.1f}"),
    Metric("selection_accuracy", True, "selection accuracy", "{:.0%}"),
    Metric("decision_ms_median", False, "decision ms (median)", "{:.3g}"),
)


def _untrusted(text: str, style: str = "") -> Text:
    """Text read from a base (names, manuals, notes) printed as itself: never parsed as console
    markup, and any character a terminal could act on shown escaped. Loading refuses such
    characters already; this is the second line of defence."""
    return Text(terminal_safe(text), style=style)


class _Progress(Progress):
    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.live.transient = True  # an error is one line: no stale bar is left above it
        super().__exit__(exc_type, exc, tb)


def _progress() -> Progress:
    return _Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _check_outputs(
    files: Optional[dict[str, Optional[Path]]] = None, folders: Optional[dict[str, Optional[Path]]] = None
) -> None:
    """Refuse unwritable output paths (option name -> path; None: not given) before any work, so a
    long run never fails only when it saves its result."""
    for option, path in (files or {}).items():
        if path is not None:
            check_output_path(path, option)
    for option, path in (folders or {}).items():
        if path is not None:
            check_output_folder(path, option)


def _check_runs(run: Optional[Path], kd_run: Optional[Path]) -> None:
    """Check run folders that are loaded late (the KD run after every other phase) at once."""
    if run is not None:
        check_run(run)
    if kd_run is not None:
        check_run(kd_run, "kd")


def _task(name: str, settings: Optional[list[str]]) -> Task:
    """The task ``--task`` names with its ``--set`` settings; any problem is a one-line user error."""
    return make_task(name, settings or [])


def _options(
    task: Task,
    base: Optional[Path],
    retriever: str,
    top_k: int,
    seed: int,
    run: Optional[Path] = None,
    student: Optional[str] = None,
    demonstrator: Optional[str] = None,
) -> AgentOptions:
    """The agent's options; a ``--base`` must hold a base of ``task`` (checked against its stages)."""
    if top_k < 1:
        raise UserInputError("--top-k must be at least 1")
    return AgentOptions(
        base=load_base(base, task=task) if base else None,
        retriever=retriever,
        top_k=top_k,
        seed=seed,
        run=run,
        student=student,
        demonstrator=demonstrator,
    )


def _at_least(minimum: int, **counts: int) -> None:
    """Refuse a count below ``minimum`` (``episodes=0`` reads as ``--episodes must be ...``)."""
    for name, value in counts.items():
        if value < minimum:
            raise UserInputError(f"--{name.replace('_', '-')} must be at least {minimum}")


def _llm_teacher(
    demonstrator: Optional[str],
    teacher: Optional[str],
    base_url: Optional[str],
    store: Optional[Path],
    replay: Optional[Path],
    concurrency: Optional[int],
    price_per_mtok: Optional[str],
    schema: bool,
    reasoning: bool,
    default_store: Path,
    on_usage: Any = None,
    writes_functions: bool = False,
) -> Optional[LLMTeacherConfig]:
    """The teacher LLM of ``--demonstrator llm``; its options without it are a one-line error.
    ``writes_functions``: the command's teacher LLM also writes functions (``emergency``), so its
    model, endpoint, store, replay and reasoning options stand without ``--demonstrator llm``."""
    if demonstrator != LLM:
        given = {"--concurrency": concurrency, "--price-per-mtok": price_per_mtok}
        if not writes_functions:
            given |= {"--teacher": teacher, "--teacher-base-url": base_url, "--store": store, "--replay": replay}
            given |= {"--teacher-reasoning": reasoning or None}
        named = [option for option, value in given.items() if value is not None]
        if named:
            raise UserInputError(f"{', '.join(named)}: only with --demonstrator {LLM} (a teacher LLM labels decisions)")
        return None
    if not teacher:
        raise UserInputError(
            f"--demonstrator {LLM} needs --teacher MODEL (the model id is part of every stored request) and, "
            "unless it is OpenAI's, --teacher-base-url URL"
        )
    price = None if price_per_mtok is None else parse_price(price_per_mtok)
    _check_outputs(folders={"--store": store})
    return LLMTeacherConfig(
        teacher_config(teacher, base_url, None if replay else store or default_store, replay, reasoning),
        concurrency=concurrency or 4,
        structured=schema,
        price_per_mtok=price,
        on_usage=on_usage,
    )


def _cell(value: Any, fmt: str) -> str:
    """A figure as table text; "-" where it was not measured."""
    if value is None:
        return "-"
    return fmt.format(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _metric(task: Task, name: str, higher_is_better: bool = True) -> Metric:
    """The task's description of the figure ``name``, or a plain one for a figure it does not list."""
    known = {m.name: m for m in (*task.metrics, *COMMON_METRICS)}
    return known.get(name, Metric(name, higher_is_better, name.replace("_", " ")))


_SANDBOX = {f.name: f for f in fields(SandboxLimits)}


@app.callback()
def sandbox_limits(
    call_timeout_ms: Annotated[
        int, typer.Option(min=1, max=600_000, help=f"Untrusted functions: {_SANDBOX['call_ms'].metadata['help']}.")
    ] = _SANDBOX["call_ms"].default,
    sandbox_memory_mb: Annotated[
        int, typer.Option(min=16, max=1 << 20, help=f"Untrusted functions: {_SANDBOX['memory_mb'].metadata['help']}.")
    ] = _SANDBOX["memory_mb"].default,
) -> None:
    """Logic Distillation toolkit. Functions not shipped with the package run only in confined
    worker processes, under these limits (docs/security.md)."""
    configure_runtime(SandboxLimits(call_ms=call_timeout_ms, memory_mb=sandbox_memory_mb))


@app.command()
def play(
    task: TaskRef = DEFAULT_TASK,
    set_: Settings = None,
    agent: Agent = "teacher",
    variant: Annotated[
        Optional[str], typer.Option(help="Variant to play (any the task accepts; default: its first).")
    ] = None,
    seed: Seed = _AGENT["seed"].default,
    render: Annotated[
        Optional[Path],
        typer.Option(help="Write a replay of the episode, where the task can draw one (e.g. .gif or .png)."),
    ] = None,
    trace: Annotated[Optional[Path], typer.Option(help="Write every stage decision as JSONL.")] = None,
    show: Annotated[bool, typer.Option(help="Print the episode as the task shows it, after every step.")] = False,
    base: BasePath = None,
    retriever: Retriever = _AGENT["retriever"].default,
    top_k: TopK = _AGENT["top_k"].default,
    run: Run = None,
    student: StudentModel = None,
    demonstrator: Teacher = None,
    horizon: Horizon = None,
    teacher: LabelModel = None,
    teacher_base_url: TeacherUrl = None,
    store: LabelStore = None,
    replay: Replay = None,
    concurrency: Concurrency = None,
    price_per_mtok: PricePerMtok = None,
    teacher_schema: TeacherSchema = True,
    teacher_reasoning: TeacherReasoning = False,
) -> None:
    """Play one episode and show it."""
    _check_outputs({"--render": render, "--trace": trace})
    chosen = _task(task, set_)
    variant = variant or chosen.variants[0]
    options = replace(_options(chosen, base, retriever, top_k, seed, run, student, demonstrator), horizon=horizon)
    llm = (demonstrator, teacher, teacher_base_url, store, replay, concurrency, price_per_mtok, teacher_schema)
    llm += (teacher_reasoning,)
    options = replace(options, llm=_llm_teacher(*llm, default_store=Path("runs") / "teacher-store"))
    with console.status(f"playing {escape(variant)} with {escape(agent)}"):
        result = play_episode(agent, chosen, variant, seed, options)
    if show:
        _show_episode(chosen, result, agent)
    verdict = "[green]success[/]" if result.success else "[red]no success[/]"
    term.print(
        f"{escape(chosen.name)} {escape(variant)} seed {seed}: {verdict} in {result.steps} steps, "
        f"return {result.total_reward:+g}",
        highlight=False,
    )
    if render:
        term.print(f"replay: {chosen.save_replay(result.states, render)}", highlight=False)
    if trace:
        write_trace(trace, result)
        term.print(f"trace: {trace}", highlight=False)


def _show_episode(task: Task, result: Any, agent: str) -> None:
    """Every state as the task shows it, each after the decisions that led to it."""
    term.print(task.episode_text(result.states[0]) + "\n", highlight=False, markup=False)
    for state, step in zip(result.states[1:], result.trace):
        choices = ", ".join(f"{s.unit}:{s.stage} {s.choice}" for s in step.stages) or agent
        term.print(f"({choices})\n{task.episode_text(state)}\n", highlight=False, markup=False)


@app.command("eval")
def eval_(
    task: TaskRef = DEFAULT_TASK,
    set_: Settings = None,
    agent: Agent = "teacher",
    episodes: Annotated[int, typer.Option(max=MAX_EPISODES, help="Number of episodes, spread over the variants.")] = 20,
    variant: Variants = None,
    seed: Seed = _AGENT["seed"].default,
    json: Json = None,
    figures: Annotated[
        Optional[Path], typer.Option(help="Folder for the figures the task draws of the policy (if it draws any).")
    ] = None,
    base: BasePath = None,
    retriever: Retriever = _AGENT["retriever"].default,
    top_k: TopK = _AGENT["top_k"].default,
    run: Run = None,
    student: StudentModel = None,
    data: Annotated[
        Optional[Path],
        typer.Option(help="Data whose test split measures selection accuracy (default: the run's data)."),
    ] = None,
    accuracy_examples: Annotated[
        int, typer.Option(min=0, help="Held-out decisions scored for selection accuracy (0: none).")
    ] = 300,
    parallel: Parallel = 8,
    processes: Annotated[
        int,
        typer.Option(
            min=1,
            max=256,
            help="Worker processes the episodes are spread over, each with its own agent (spawned; episode i "
            "goes to worker i mod N); results in episode order, the same as one process's for agents whose "
            "episodes do not depend on each other (not random).",
        ),
    ] = 1,
    dtype: StudentDtype = _AGENT["dtype"].default,
    demonstrator: Teacher = None,
    horizon: Horizon = None,
    teacher: LabelModel = None,
    teacher_base_url: TeacherUrl = None,
    store: LabelStore = None,
    replay: Replay = None,
    concurrency: Concurrency = None,
    price_per_mtok: PricePerMtok = None,
    teacher_schema: TeacherSchema = True,
    teacher_reasoning: TeacherReasoning = False,
) -> None:
    """Evaluate an agent over many seeded episodes, with the task's own figures of its policy."""
    _check_outputs({"--json": json}, {"--figures": figures})
    _at_least(1, episodes=episodes, parallel=parallel)
    chosen = _task(task, set_)
    options = _options(chosen, base, retriever, top_k, seed, run, student, demonstrator)
    options = replace(options, dtype=dtype, horizon=horizon)
    llm = (demonstrator, teacher, teacher_base_url, store, replay, concurrency, price_per_mtok, teacher_schema)
    llm += (teacher_reasoning,)
    with _progress() as progress:
        bar = progress.add_task(f"eval {escape(agent)}", total=episodes, rate="")
        wins: list[bool] = []
        usage = [""]  # the teacher LLM's, where one answers

        def advance(result) -> None:
            wins.append(result.success)
            progress.update(bar, advance=1, rate=f"success {sum(wins)}/{len(wins)}{usage[0]}")

        def used(counts: LabelUsage) -> None:
            usage[0] = f", {counts.text()}"

        default_store = Path("runs") / "teacher-store"
        options = replace(options, llm=_llm_teacher(*llm, default_store=default_store, on_usage=used))

        summary = evaluate(
            agent,
            chosen,
            episodes,
            seed,
            options,
            variants=variant or None,
            on_episode=advance,
            data=data,
            accuracy_examples=accuracy_examples,
            parallel=parallel,
            out=figures,
            processes=processes,
        )
    term.print(_eval_table(chosen, summary, f"{agent} on {chosen.name}, {episodes} episodes"))
    for key, path in _figure_paths(summary, figures).items():
        term.print(f"{key.replace('_', ' ')}: {path}", highlight=False)
    if json:
        write_json(json, summary)
        term.print(f"summary: {json}", highlight=False)


def _eval_table(task: Task, summary: dict[str, Any], title: str) -> Table:
    """The task's metrics (headline first), then what every evaluation measures; one row."""
    shown = list({m.name: m for m in (*task.metrics, *COMMON_METRICS)}.values())
    table = Table(*(Column(m.label, justify="right") for m in shown), title=escape(title))
    table.add_row(*(_cell(summary.get(m.name), m.format) for m in shown))
    return table


def _figure_paths(summary: dict[str, Any], folder: Optional[Path]) -> dict[str, str]:
    """The summary's entries that name a file the task drew under ``folder``."""
    if folder is None:
        return {}
    inside = folder.resolve()
    return {
        key: value
        for key, value in summary.items()
        if isinstance(value, str) and Path(value).is_file() and Path(value).resolve().is_relative_to(inside)
    }


@app.command()
def data(
    out: Annotated[Path, typer.Option("--out", help="JSONL file to write (an existing one is resumed).")],
    task: TaskRef = DEFAULT_TASK,
    set_: Settings = None,
    episodes: Annotated[
        Optional[int],
        typer.Option(
            max=MAX_EPISODES,
            help="Teacher episodes to record, round-robin over the task's variants; default: the task's recipe.",
        ),
    ] = None,
    variant: Annotated[
        Optional[list[str]],
        typer.Option(
            "--variant",
            help="Variant to record (the task's own names, or any it accepts); repeat the option. Default: every "
            "variant of the task, its held-out ones into the test split; name only training variants to spend "
            "every episode on training and validation data.",
        ),
    ] = None,
    seed: Seed = _AGENT["seed"].default,
    base: BasePath = None,
    retriever: Retriever = _AGENT["retriever"].default,
    top_k: TopK = _AGENT["top_k"].default,
    min_gain: Annotated[
        Optional[float],
        typer.Option(
            help="How much better (in the teacher's score units) a function must be for the teacher to leave a "
            "stage's default; default: the task's."
        ),
    ] = _AGENT["min_gain"].default,
    demonstrator: Teacher = None,
    horizon: Horizon = None,
    teacher: LabelModel = None,
    teacher_base_url: TeacherUrl = None,
    store: LabelStore = None,
    replay: Replay = None,
    concurrency: Concurrency = None,
    price_per_mtok: PricePerMtok = None,
    teacher_schema: TeacherSchema = True,
    teacher_reasoning: TeacherReasoning = False,
) -> None:
    """Record the teacher's stage decisions as distillation data (resumable)."""
    chosen = _task(task, set_)
    episodes = chosen.recipe.data_episodes if episodes is None else episodes
    _at_least(1, episodes=episodes)
    _check_outputs({"--out": out})
    if min_gain is not None and not 0 <= min_gain < math.inf:
        raise UserInputError(f"--min-gain must not be negative, and must be finite; got {min_gain}")
    options = _options(chosen, base, retriever, top_k, seed, demonstrator=demonstrator)
    options = replace(options, min_gain=min_gain, horizon=horizon)
    llm = (demonstrator, teacher, teacher_base_url, store, replay, concurrency, price_per_mtok, teacher_schema)
    llm += (teacher_reasoning,)
    with _progress() as progress:
        bar = progress.add_task("teacher episodes", total=episodes, rate="")
        shown = {"episode": "", "usage": ""}

        def advance(row) -> None:
            shown["episode"] = f"{escape(row.variant)} ({row.split})"
            progress.update(bar, completed=row.episode + 1, rate=", ".join(filter(None, shown.values())))

        def used(counts: LabelUsage) -> None:
            shown["usage"] = counts.text()
            progress.update(bar, rate=", ".join(filter(None, shown.values())))

        default_store = out.with_name(f"{out.stem}.teacher-store")
        options = replace(options, llm=_llm_teacher(*llm, default_store=default_store, on_usage=used))
        generate_data(out, episodes, chosen, seed=seed, options=options, on_episode=advance, variants=variant)
        usage = checked_labels(out) if options.llm else None
    held = f"held out: {', '.join(chosen.held_out)}" if chosen.held_out else "every fifth episode is the test split"
    if variant and not set(variant) & set(chosen.held_out):
        held = "no held-out variant recorded; every fifth episode is validation"
    term.print(f"data: {out} ({episodes} episodes of {chosen.name}; {held})", highlight=False)
    if usage:
        cost = ""  # no --price-per-mtok: no prices to show
        if usage.cost is not None:
            prices = f"${usage.price_in_per_mtok:g} in, ${usage.price_out_per_mtok:g} out per million"
            cost = f" (${usage.cost:.4f} at {prices})"
        term.print(
            f"labels: {usage.model} answered {usage.decisions} decisions in {usage.exchanges} exchanges, "
            f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens{cost}; "
            f"{usage.retried} retried, {usage.defaulted} defaulted to the stage's default; exchanges in "
            f"{replay or store or default_store}",
            highlight=False,
            markup=False,
        )


_TRAIN = {f.name: f for f in fields(TrainConfig)}


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="Distillation data from `logicdistill data`.")],
    out: Annotated[Path, typer.Option("--out", help="Run folder to create.")],
    mode: Annotated[
        str, typer.Option(help="ld: learn to select functions; kd: imitate the teacher's actions.")
    ] = _TRAIN["mode"].default,
    student: Annotated[Optional[str], typer.Option(help="Model path or id (default: bundled SmolLM2-135M).")] = _TRAIN[
        "student"
    ].default,
    max_examples: Annotated[
        Optional[int],
        typer.Option(
            max=MAX_EXAMPLES, help="Training examples (the budget; same for ld and kd). Default: the task's recipe."
        ),
    ] = _TRAIN["max_examples"].default,
    balance: Annotated[
        float,
        typer.Option(
            help="How evenly the budget covers the teacher's answers: 0 natural "
            "frequencies, 1 every answer equally often."
        ),
    ] = _TRAIN["balance"].default,
    drills: Annotated[
        float,
        typer.Option(
            help="Share of ld examples rewritten as emergency drills (a made-up "
            "rule and its new default function), 0 for none."
        ),
    ] = _TRAIN["drills"].default,
    drop_defaulted: Annotated[
        bool,
        typer.Option(
            "--drop-defaulted",
            help="Train (and validate) only on a teacher LLM's genuine answers (`data --demonstrator llm`): leave "
            "out the decisions whose reply was unusable twice and fell back to the stage's default (for kd, the "
            "unit steps that had one). Recorded in the run's config.",
        ),
    ] = _TRAIN["drop_defaulted"].default,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training examples.")] = _TRAIN["epochs"].default,
    batch_size: Annotated[int, typer.Option(min=1, help="Examples per optimisation step (per device).")] = _TRAIN[
        "batch_size"
    ].default,
    learning_rate: Annotated[
        Optional[float], typer.Option(help="Peak learning rate of the LoRA weights. Default: the task's recipe.")
    ] = _TRAIN["learning_rate"].default,
    lora_layers: Annotated[
        Optional[int], typer.Option(min=1, help=f"LoRA: {_TRAIN['lora_layers'].metadata['help']}.")
    ] = _TRAIN["lora_layers"].default,
    seed: Seed = _TRAIN["seed"].default,
    dtype: Annotated[str, typer.Option(help=f"Training {_TRAIN['dtype'].metadata['help']}.")] = _TRAIN["dtype"].default,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run from its last checkpoint.")] = False,
) -> None:
    """LoRA-fine-tune the student on distillation data."""
    if mode not in ("ld", "kd"):
        raise UserInputError(f"--mode must be ld or kd, got {mode!r}")
    if not 0 <= balance <= 1:
        raise UserInputError(f"--balance must be between 0 and 1, got {balance}")
    if not 0 <= drills <= 1:
        raise UserInputError(f"--drills must be between 0 and 1, got {drills}")
    if max_examples is not None and max_examples < 1:
        raise UserInputError(f"--max-examples must be at least 1, got {max_examples}")
    if learning_rate is not None and not 0 < learning_rate < math.inf:
        raise UserInputError(f"--learning-rate must be positive and finite, got {learning_rate}")
    if dtype not in DTYPES:
        raise UserInputError(f"--dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    cfg = TrainConfig(
        mode=mode,
        student=student,
        max_examples=max_examples,
        balance=balance,
        drills=drills,
        drop_defaulted=drop_defaulted,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        lora_layers=lora_layers,
        seed=seed,
        dtype=dtype,
    )
    metrics = train_run(
        data,
        out,
        cfg,
        resume=resume,
        on_precision=lambda p: term.print(f"precision: {p.name} ({p.reason})", highlight=False),
    )
    if not processes().is_main_process:
        return  # under accelerate launch or torchrun the main process reports
    scored = (
        ""
        if metrics["val_accuracy"] is None
        else f", validation accuracy {metrics['val_accuracy']:.3f}, balanced over answers "
        f"{metrics['val_balanced_accuracy']:.3f}"
    )
    term.print(f"run: {out}  ({metrics['steps']} steps, {metrics['train_seconds']:.0f} s{scored})")


@app.command()
def serve(
    run: Run = None,
    student: Annotated[Optional[str], typer.Option(help="Model folder or id (default: bundled SmolLM2-135M).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    dtype: StudentDtype = "auto",
    max_tokens: Annotated[
        int, typer.Option(help="Most tokens one reply may generate; requests asking for more are capped.")
    ] = 1024,
    served_model_name: Annotated[
        Optional[str], typer.Option(help="Model id clients use (default: the run folder's name or the model as given).")
    ] = None,
) -> None:
    """Serve a student over an OpenAI-compatible API (/v1/models, /v1/chat/completions) plus
    /v1/select, which selects a function exactly as the in-process LD agent does."""
    if max_tokens < 1:
        raise UserInputError("--max-tokens must be at least 1")
    check_port(host, port)
    with console.status("loading the student"):
        model, model_id = load_served_student(run, student, dtype)
    model_id = served_model_name or model_id
    term.print(f"serving {model_id} at http://{host}:{port}/v1 (models, chat/completions, select)", highlight=False)
    run_server(model, model_id, host, port, max_tokens)


@base_app.command("show")
def base_show(
    path: Annotated[Optional[Path], typer.Argument(help="Base directory (default: the task's bundled base).")] = None,
    task: BaseTask = None,
    set_: Settings = None,
    version: Annotated[Optional[int], typer.Option(min=1, help="Version to show (default: current).")] = None,
    source: Annotated[bool, typer.Option(help="Print each function's source too.")] = False,
) -> None:
    """List a base's functions by stage with their manuals."""
    if path is None:
        base = _task(task or DEFAULT_TASK, set_).bundled_base()
    else:
        base = load_base(path, version, task=_task(task, set_) if task else None)
    term.print(
        Text.assemble(
            _untrusted(f"{base.task} base v{base.version}", "bold"),
            f" ({len(base.functions)} functions) ",
            _untrusted(base.note),
        ),
        highlight=False,
    )
    for stage in dict.fromkeys(f.stage for f in base.functions):
        term.print(Text.assemble("\n", _untrusted(f"stage: {stage}", "bold underline")))
        for f in base.by_stage(stage):
            origin = f.provenance.kind + (f":{f.provenance.model}" if f.provenance.model else "")
            term.print(
                Text.assemble(
                    _untrusted(f.name, "bold"),
                    _untrusted(f.signature),
                    "  ",
                    _untrusted(f"{origin}, {f.verification.status}", "dim"),
                ),
                highlight=False,
            )
            term.print(
                Text.assemble(
                    "  ", _untrusted(f.manual.what), "\n  ", ("When:", "italic"), " ", _untrusted(f.manual.when)
                ),
                highlight=False,
            )
            if source:
                term.print(_untrusted(f.source), highlight=False)
    if base.dropped:
        term.print(
            _untrusted(f"\nnot offered (recorded as not verified): {', '.join(base.dropped)}", "dim"), highlight=False
        )


@base_app.command("list")
def base_list(path: Annotated[Path, typer.Argument(help="Base root directory.")]) -> None:
    """List the versions stored in a base directory."""
    for entry in list_versions(path):
        term.print(_untrusted(entry), highlight=False)  # notes are read from the base


@base_app.command("diff")
def base_diff(
    old: Annotated[str, typer.Argument(help="Base directory, DIR@VERSION, or 'bundled'.")],
    new: Annotated[str, typer.Argument(help="Base directory, DIR@VERSION, or 'bundled'.")],
    task: BaseTask = None,
    set_: Settings = None,
) -> None:
    """What was added, removed or changed between two bases or versions."""
    diff = diff_bases(_base_ref(old, task, set_), _base_ref(new, task, set_))
    if diff.empty:
        term.print("no differences")
    for label, names in (("added", diff.added), ("removed", diff.removed), ("changed", diff.changed)):
        for name in names:
            term.print(_untrusted(f"{label:8} {name}"), highlight=False)


def _base_ref(ref: str, task: Optional[str], settings: Optional[list[str]]):
    """A base named on the command line: a directory, DIR@VERSION, or 'bundled' (the task's)."""
    if ref == "bundled":
        return _task(task or DEFAULT_TASK, settings).bundled_base()
    path, _, version = ref.partition("@")
    if version and not version.isdigit():
        raise UserInputError(f"bad version in {ref!r}; expected DIR@NUMBER")
    return load_base(path, int(version) if version else None, task=_task(task, settings) if task else None)


@base_app.command("export")
def base_export(
    out_dir: Annotated[Path, typer.Option("--out", help="Base directory to create or add a version to.")],
    task: TaskRef = DEFAULT_TASK,
    set_: Settings = None,
) -> None:
    """Write the task's bundled base to a directory as a new version."""
    chosen = _task(task, set_)
    _check_outputs(folders={"--out": out_dir})
    saved = save_base(chosen.bundled_base(), out_dir)
    term.print(
        f"wrote {chosen.name} base v{saved.version} ({len(saved.functions)} functions) to {out_dir}", highlight=False
    )


@base_app.command("add")
def base_add(
    file: Annotated[
        Path,
        typer.Argument(
            help='Python file: a STAGE = "..." line and functions whose docstrings '
            "are their manuals (what they do, then When: ...)."
        ),
    ],
    base: Annotated[
        Path,
        typer.Option(
            "--base", help="Base directory; a missing one starts from the task's bundled base, saved as version 1."
        ),
    ],
    task: TaskRef = DEFAULT_TASK,
    set_: Settings = None,
    replace: Annotated[
        bool, typer.Option(help="Replace functions of the same name (in place) instead of rejecting the clash.")
    ] = False,
) -> None:
    """Verify human-written functions and save them as a new base version, or refuse with the
    reasons (exit code 2) and leave the base untouched."""
    text = read_user_text(file, MAX_SOURCE_BYTES, "function file")
    _check_outputs(folders={"--base": base})
    saved, report = add_source(base, _task(task, set_), text, str(file), replace_existing=replace)
    for line in report.lines():
        term.print(escape(line), highlight=False)  # reasons quote untrusted text
    term.print(
        f"wrote {saved.task} base v{saved.version} ({len(saved.functions)} functions) to {base}", highlight=False
    )


@base_app.command("build")
def base_build(
    out_dir: Annotated[Path, typer.Option("--out", help="Base directory to create or add a version to.")],
    teacher: Annotated[str, typer.Option("--teacher", help="Teacher model id (part of every stored request).")],
    teacher_base_url: TeacherUrl = None,
    task: TaskRef = DEFAULT_TASK,
    set_: Settings = None,
    store: Annotated[
        Optional[Path],
        typer.Option(help="Where exchanges are stored, keyed by request content (default: OUT/teacher-store)."),
    ] = None,
    replay: Replay = None,
    retries: Retries = 2,
    per_stage: Annotated[int, typer.Option(help="Functions to ask for per stage.")] = 3,
    teacher_reasoning: TeacherReasoning = False,
) -> None:
    """Let a teacher LLM write a verified base: every function checked, rejections fed back, every
    exchange stored so the build replays offline (--replay)."""
    _at_least(1, per_stage=per_stage)
    _check_outputs(folders={"--out": out_dir, "--store": store})
    chosen = _task(task, set_)
    if (out_dir / "CURRENT").is_file():
        load_base(out_dir, task=chosen)  # refuses another task's base, naming it
    store = store or out_dir / "teacher-store"
    client = TeacherClient(
        TeacherConfig(teacher, teacher_base_url, store=store, replay=replay, reasoning=teacher_reasoning)
    )

    def show(outcome) -> None:
        names = ", ".join(f.name for f in outcome.admitted) or "none"
        term.print(
            f"stage {outcome.stage}: admitted {names}; {len(outcome.rejections)} rejection(s) in "
            f"{outcome.requests} request(s)",
            highlight=False,
        )
        for line in outcome.rejections:
            term.print(f"  [dim]{escape(line)}[/]", highlight=False)  # reasons quote untrusted text

    base, _ = build_base(client, chosen, per_stage=per_stage, retries=retries, on_stage=show)
    saved = save_base(base, out_dir)
    source = f"replayed from {replay}" if replay else f"{client.requests} new request(s), exchanges in {store}"
    term.print(
        f"wrote {chosen.name} base v{saved.version} ({len(saved.functions)} functions) to {out_dir}; {source}",
        highlight=False,
    )


@app.command()
def emergency(
    task: TaskRef = DEFAULT_TASK,
    set_: Settings = None,
    list_: Annotated[
        bool, typer.Option("--list", help="Print the task's scenarios, one per line, name first.")
    ] = False,
    scenario: Annotated[Optional[str], typer.Option(help="Scenario name (see --list).")] = None,
    agent: Agent = "teacher",
    run: Run = None,
    kd_run: Annotated[Optional[Path], typer.Option(help="A KD run, measured under both rules for comparison.")] = None,
    episodes: Annotated[int, typer.Option(max=MAX_EPISODES, help="Episodes per measurement.")] = Trial.episodes,
    variant: Variants = None,
    seed: Seed = Trial.seed,
    parallel: Parallel = Trial.parallel,
    base: BasePath = None,
    base_out: Annotated[
        Optional[Path],
        typer.Option(help="Base directory the new version is written to (default: runs/emergency/TASK-SCENARIO/base)."),
    ] = None,
    teacher: Annotated[
        Optional[str],
        typer.Option(
            "--teacher",
            help="The teacher LLM's model id. It writes the new functions (default: the shipped reference ones) "
            "and, with --demonstrator llm, also answers the teacher agent's decisions: one teacher LLM, both roles.",
        ),
    ] = None,
    teacher_base_url: TeacherUrl = None,
    store: Annotated[
        Optional[Path],
        typer.Option(help="The teacher LLM's exchange store, for both its roles (default: BASE_OUT/teacher-store)."),
    ] = None,
    replay: Replay = None,
    retries: Retries = 2,
    teacher_reasoning: TeacherReasoning = False,
    retriever: Retriever = _AGENT["retriever"].default,
    top_k: TopK = _AGENT["top_k"].default,
    dtype: StudentDtype = _AGENT["dtype"].default,
    demonstrator: Teacher = None,
    horizon: Horizon = None,
    concurrency: Concurrency = None,
    price_per_mtok: PricePerMtok = None,
    teacher_schema: TeacherSchema = True,
    json: Annotated[Optional[Path], typer.Option("--json", help="Write the report as JSON.")] = None,
) -> None:
    """Switch a new rule on, measure the agent with the stale base, add verified new functions as a
    new base version, and measure the same agent again (no retraining)."""
    chosen = _task(task, set_)
    if list_:
        for e in chosen.emergencies:
            term.print(f"{e.name}  {e.rule}", highlight=False, markup=False, soft_wrap=True)
        return
    if scenario is None:
        raise UserInputError("pass --scenario NAME (see `logicdistill emergency --task TASK --list`)")
    picked = _scenario(chosen, scenario)
    _at_least(1, episodes=episodes, parallel=parallel)
    base_out = base_out or Path("runs") / "emergency" / f"{chosen.name}-{scenario}" / "base"
    _check_outputs({"--json": json}, {"--base-out": base_out, "--store": store})
    _check_runs(run, kd_run)
    store = store or base_out / "teacher-store"
    llm = (demonstrator, teacher, teacher_base_url, store, replay, concurrency, price_per_mtok, teacher_schema)
    labeller = _llm_teacher(*llm, teacher_reasoning, default_store=store, writes_functions=True)
    client = _teacher_client(teacher, teacher_base_url, store, replay, teacher_reasoning)
    options = _options(chosen, base, retriever, top_k, seed, run, demonstrator=demonstrator)
    options = replace(options, dtype=dtype, horizon=horizon, llm=labeller)
    trial = Trial(episodes=episodes, seed=seed, variants=tuple(variant or ()), parallel=parallel)
    with console.status(f"{escape(scenario)}: starting") as status:
        report = run_emergency(
            chosen,
            picked,
            agent,
            options,
            trial,
            base_out,
            client,
            retries,
            kd_run,
            on_phase=lambda label: status.update(f"{escape(scenario)}: {escape(label)}"),
        )
    term.print(_emergency_table(chosen, report, base_out))
    _print_recovery(chosen, report)
    term.print(
        "added: "
        + ", ".join(f"{f['name']} ({f['stage']}, {f['provenance']['kind']})" for f in report["added_functions"]),
        highlight=False,
        markup=False,
    )
    if json:
        write_json(json, report)
        term.print(f"report: {json}", highlight=False)


def _scenario(task: Task, name: str) -> Emergency:
    """The task's emergency called ``name``; an unknown one is a one-line error that lists them."""
    known = {e.name: e for e in task.emergencies}
    if not known:
        raise UserInputError(f"{task.name} has no emergencies")
    if name not in known:
        raise UserInputError(f"unknown {task.name} emergency {name!r}; scenarios: {', '.join(known)}")
    return known[name]


def _teacher_client(
    teacher: Optional[str], base_url: Optional[str], store: Path, replay: Optional[Path], reasoning: bool = False
):
    """A teacher LLM client that writes functions where one is asked for (None: the task's reference
    functions answer)."""
    if not (teacher or replay):
        if reasoning:
            raise UserInputError("--teacher-reasoning needs --teacher MODEL")
        return None

    if not teacher:
        raise UserInputError("--replay needs --teacher (the model id is part of every stored request)")
    return TeacherClient(TeacherConfig(teacher, base_url, store=store, replay=replay, reasoning=reasoning))


PHASES = ("normal", "before", "after")  # an emergency report's measurements of one agent


def _emergency_table(task: Task, report: dict[str, Any], base_out: Path) -> Table:
    """The headline metric of every measured agent under the old rules, the new rule with the stale
    base, and the new rule with the new functions."""
    metric = _metric(task, report["metric"], report["higher_is_better"])
    table = Table(
        "agent",
        "normal rules",
        "new rule, stale base",
        "new rule, new functions",
        title=escape(
            f"{report['scenario']}: {metric.label} (no retraining); new base v{report['base_version']} in {base_out}"
        ),
    )
    agent = report["agent"]
    rows = [(agent, report), *([("teacher", report["teacher"])] if agent != "teacher" else [])]
    for name, phases in rows:
        table.add_row(escape(name), *(_cell(phases[p][metric.name], metric.format) for p in PHASES))
    if report["kd"]:
        kd = report["kd"]
        table.add_row(
            "kd",
            _cell(kd["normal"][metric.name], metric.format),
            _cell(kd["under_rule"][metric.name], metric.format),
            "-",
        )
    return table


def _print_recovery(task: Task, report: dict[str, Any]) -> None:
    """What the new functions won back, in words that fit any headline metric."""
    if report["recovery"] is None:
        return
    metric = _metric(task, report["metric"], report["higher_is_better"])
    direction = "higher" if report["higher_is_better"] else "lower"
    term.print(
        f"{report['agent']} recovery: {report['recovery']:.0%} (the share of what the new rule cost in "
        f"{metric.label}, {direction} being better, that the new functions won back)",
        highlight=False,
        markup=False,
    )


_ENTRY = {f.name: f for f in fields(TaskEntry)}


@app.command()
def distill(
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Folder for every artefact, summary.json and report.html; an existing one is resumed."
        ),
    ],
    task: TaskRef = DEFAULT_TASK,
    set_: Settings = None,
    fresh: Annotated[
        bool,
        typer.Option(
            help="Remove what an earlier run wrote there and redo every step (the teacher LLM's stored "
            "exchanges stay: a request it answered is not paid for again)."
        ),
    ] = False,
    teacher: Annotated[
        Optional[str],
        typer.Option(
            "--teacher",
            help="A teacher LLM's model id: it writes the base into OUT/TASK/base (every function verified) and "
            "the emergencies' new functions, and labels the decisions with --demonstrator llm; its exchanges "
            "are stored in OUT/TASK/teacher-store. Default: none; the task's bundled base and reference functions.",
        ),
    ] = None,
    teacher_base_url: TeacherUrl = None,
    demonstrator: Annotated[
        Optional[str],
        typer.Option(
            "--demonstrator",
            help="Who labels the decisions the students learn: one of the task's offline demonstrators "
            "(default: its first; `logicdistill tasks show TASK`), or llm: the --teacher LLM.",
        ),
    ] = None,
    data_episodes: Annotated[
        Optional[int], typer.Option(max=MAX_EPISODES, help="Teacher episodes of data; default: the task's recipe.")
    ] = None,
    examples: Annotated[
        Optional[int],
        typer.Option(
            max=MAX_EXAMPLES, help="Training budget of each student, ld and kd alike; default: the task's recipe."
        ),
    ] = None,
    eval_episodes: Annotated[
        int,
        typer.Option(
            max=MAX_EPISODES,
            help="Episodes per agent and per emergency phase, on the task's held-out variants where it has any.",
        ),
    ] = _ENTRY["eval_episodes"].default,
    agents: Annotated[
        Optional[str],
        typer.Option(
            help="Agents evaluated, comma-separated; default: teacher,ld,kd,random and the task's baselines. "
            "A student is trained only where an agent, the replay or an emergency needs it."
        ),
    ] = None,
    emergency: Annotated[
        Optional[list[str]],
        typer.Option(
            "--emergency",
            help="An emergency of the task, run with the ld student (repeat the option for several); all (the "
            "default): every one of the task's; none: no emergency.",
        ),
    ] = None,
) -> None:
    """Logic Distillation as one resumable pipeline: the base (bundled, or written by the teacher LLM
    and verified), the teacher's decisions as data, the ld and kd students on the same budget,
    every agent evaluated, the task's emergencies without retraining, then summary.json and
    report.html. A step whose artefact exists is reused; each step is timed."""
    _at_least(1, eval_episodes=eval_episodes)
    _at_least(1, **{k: v for k, v in {"data_episodes": data_episodes, "examples": examples}.items() if v is not None})
    entry = TaskEntry(
        task,
        settings=tuple(set_ or ()),
        teacher=teacher,
        teacher_base_url=teacher_base_url,
        demonstrator=demonstrator,
        data_episodes=data_episodes,
        examples=examples,
        eval_episodes=eval_episodes,
        agents=None if agents is None else _names("--agents", agents.split(",")),
        emergencies=_emergencies(emergency),
    )
    _run_pipeline(out, PipelineConfig(tasks=(entry,)), fresh)


def _names(option: str, given: list[str]) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in given))
    if not names or "" in names:
        raise UserInputError(f"{option} takes names separated by commas, none of them empty")
    return names


def _emergencies(given: Optional[list[str]]) -> Optional[tuple[str, ...]]:
    """``--emergency`` as the entry takes it: None for all of the task's, () for none."""
    if not given or given == ["all"]:
        return None
    if given == ["none"]:
        return ()
    if {"all", "none"} & set(given):
        raise UserInputError("--emergency all and --emergency none stand alone; or name the emergencies to run")
    return _names("--emergency", given)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for every artefact, summary.json and report.html.")] = Path(
        "runs/demo"
    ),
    fresh: Annotated[bool, typer.Option(help="Remove what an earlier demo wrote there and redo every step.")] = False,
) -> None:
    """Logic Distillation end to end on the offline default models: the `distill` pipeline over
    pursuit and 21 Points at small sizes (teacher data, LD and KD students, every agent evaluated,
    a replay, an emergency, a report, the claims checked): about 40 minutes on 2 CPU cores; steps whose artefacts exist
    are reused."""
    _run_pipeline(out, DEMO, fresh)


def _run_pipeline(out: Path, config: PipelineConfig, fresh: bool) -> None:
    """Run (or resume) ``config`` under ``out``, a bar per step, then print the comparison."""
    _check_outputs(folders={"--out": out})
    progress, bars = _progress(), {}  # step name -> its bar

    def show(step: str, done: int, total: Optional[int], note: str) -> None:
        if not bars:
            progress.start()  # at the first step, so a refused folder prints its error alone
        if step not in bars:
            bars[step] = progress.add_task(escape(step), total=total, rate="")
        progress.update(bars[step], completed=done, total=total, rate=escape(note))

    try:
        summary = run_pipeline(out, config, fresh=fresh, on_progress=show)
    finally:
        if bars:
            progress.stop()
    columns, rows = comparison(summary)
    table = Table(
        "agent",
        *(Column(escape(f"{group}\n{label}"), justify="right") for group, label in columns),
        title=escape(f"{config.title} (held-out variants where a task has them)"),
    )
    for row in rows:
        table.add_row(*map(escape, row))
    term.print(table)
    colours = {"holds": "green", "fails": "red", "unchecked": "yellow"}
    for claim in summary["claims"]:
        word = verdict(claim)
        term.print(f"[{colours[word]}]{word}[/]  {escape(describe(claim))}", highlight=False)
    reused = sum(t["reused"] for t in summary["steps"].values())
    term.print(
        f"steps: {len(summary['steps']) - reused} run, {reused} reused; "
        f"{summary['total_seconds'] / 60:.1f} minutes of compute in all\n"
        f"report: {out / 'report.html'}\nsummary: {out / 'summary.json'}",
        highlight=False,
        markup=False,
    )


def _fail(message: str) -> NoReturn:
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(2)


# The option parser's errors: typer now vendors click (its errors derive from TyperException);
# older typer raises the click package's own.
PARSER_ERRORS = tuple(cls for cls in (getattr(typer, "TyperException", None), click.ClickException) if cls)


def _parser_message(exc: Exception) -> str:
    """A parser error (a bad or out-of-range value, an unknown option or command) on one line,
    with where to find the command's options."""
    message = " ".join((exc.format_message() if hasattr(exc, "format_message") else str(exc)).split())
    ctx = getattr(exc, "ctx", None)
    return f"{message} (see `{ctx.command_path} --help`)" if ctx is not None else message


def main() -> None:
    """Console entry point: user errors, ours and the option parser's, become one clear line and
    exit code 2."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        # standalone_mode=False: parser errors reach us instead of typer's multi-line box
        code = app(standalone_mode=False)
    except LogicDistillError as exc:
        _fail(str(exc))
    except PARSER_ERRORS as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # no_args_is_help: the help is already printed
            sys.exit(2)
        _fail(_parser_message(exc))
    except typer.Abort:
        console.print("aborted")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)  # --help and Ctrl-C (130) return their exit code here
