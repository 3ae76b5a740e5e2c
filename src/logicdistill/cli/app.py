"""The ``logicdistill`` command: parses options and calls one library function per command."""

from __future__ import annotations

import math
import os
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Column, Table
from rich.text import Text

from logicdistill.agent.factory import AGENTS, AgentOptions
from logicdistill.distill.train import TrainConfig
from logicdistill.errors import LogicDistillError, UserInputError
from logicdistill.functions.runtime import configure_runtime
from logicdistill.functions.sandbox import SandboxLimits
from logicdistill.userfiles import MiB, read_user_text

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False,
                  help="Logic Distillation toolkit.")
base_app = typer.Typer(no_args_is_help=True, help="Show, list, diff, export, add to and build function bases.")
maps_app = typer.Typer(no_args_is_help=True, help="List and show pursuit maps (bundled, files, or generated:SEED[:HxW]).")
app.add_typer(base_app, name="base")
app.add_typer(maps_app, name="maps")
console = Console(stderr=True)
term = Console()
MAX_SOURCE_BYTES = 1 * MiB  # a function file is a few KiB; far more is not a function file

Task = Annotated[str, typer.Option(help="Task: pursuit or twentyone (21 Points).")]
Rules = Annotated[str, typer.Option(help="21 Points rule set: classic (Gymnasium's defaults), natural (a natural "
                                         "pays 1.5), sab (Sutton & Barto).")]
Agent = Annotated[str, typer.Option(help=f"Agent: {', '.join(AGENTS)}.")]
# numpy's legacy seeding (which transformers' set_seed uses) takes 0 to 2**32 - 1
Seed = Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Seed for starts and every random choice.")]
Evader = Annotated[str, typer.Option(help="Evader policy: random, greedy, smart, llm.")]
EvaderModel = Annotated[Optional[str], typer.Option(help="Model id for --evader llm.")]
EvaderURL = Annotated[Optional[str], typer.Option(help="OpenAI-compatible base URL for --evader llm.")]
FixedStarts = Annotated[bool, typer.Option(help="Start from the map's P/E marks instead of seeded random cells.")]
# Upper limits on counts: far above any real use, they turn a typo into one line instead of an
# allocation that exhausts memory (a list of seeds, an array of returns) long into a run.
MAX_EPISODES, MAX_HANDS, MAX_STEPS, MAX_EXAMPLES = 1_000_000, 10_000_000, 10_000, 1_000_000
MaxSteps = Annotated[int, typer.Option(min=1, max=MAX_STEPS, help="Step limit per episode.")]
Retriever = Annotated[str, typer.Option(help="Retriever: dense (MiniLM) or bm25.")]
TopK = Annotated[int, typer.Option(min=1, help="Candidates retrieved per stage.")]
BasePath = Annotated[Optional[Path], typer.Option("--base", help="Function base directory (default: bundled).")]
Run = Annotated[Optional[Path], typer.Option("--run", help="Trained run folder (for the ld and kd agents).")]
StudentModel = Annotated[Optional[str], typer.Option(help="Student model path or id for zero-shot agents.")]
Teacher = Annotated[Optional[str], typer.Option(
    "--demonstrator", help="The offline teacher for the teacher agent and for data: pursuit rollout (simulated play, "
                           "the default) or when (each manual's When line as a rule on the state text); 21 Points "
                           "exact.")]
StudentDtype = Annotated[str, typer.Option(help="Student weights: auto (bf16 where the hardware has it), float32, "
                                                "bfloat16.")]


def _untrusted(text: str, style: str = "") -> Text:
    """Text read from a base (names, manuals, notes) printed as itself: never parsed as console
    markup, and any character a terminal could act on shown escaped. Loading refuses such
    characters already; this is the second line of defence."""
    from logicdistill.functions.hygiene import terminal_safe

    return Text(terminal_safe(text), style=style)


class _Progress(Progress):
    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.live.transient = True  # an error is one line: no stale bar is left above it
        super().__exit__(exc_type, exc, tb)


def _progress() -> Progress:
    return _Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(), console=console)


def _check_outputs(files: Optional[dict[str, Optional[Path]]] = None,
                   folders: Optional[dict[str, Optional[Path]]] = None) -> None:
    """Refuse unwritable output paths (option name -> path; None: not given) before any work, so a
    long run never fails only when it saves its result."""
    from logicdistill.userfiles import check_output_folder, check_output_path

    for option, path in (files or {}).items():
        if path is not None:
            check_output_path(path, option)
    for option, path in (folders or {}).items():
        if path is not None:
            check_output_folder(path, option)


def _check_runs(run: Optional[Path], kd_run: Optional[Path]) -> None:
    """Check run folders that are loaded late (the KD run after every other phase) at once."""
    from logicdistill.distill.runs import check_run

    if run is not None:
        check_run(run)
    if kd_run is not None:
        check_run(kd_run, "kd")


def _options(base: Optional[Path], retriever: str, top_k: int, seed: int, run: Optional[Path] = None,
             student: Optional[str] = None, demonstrator: Optional[str] = None) -> AgentOptions:
    from logicdistill.functions import load_base

    if top_k < 1:
        raise UserInputError("--top-k must be at least 1")
    return AgentOptions(base=load_base(base) if base else None, retriever=retriever, top_k=top_k, seed=seed,
                        run=run, student=student, demonstrator=demonstrator)


def _config(task: str, map_: str, evader: str, evader_model, evader_base_url, fixed_starts: bool, max_steps: int):
    from logicdistill.tasks import get_task
    from logicdistill.tasks.pursuit.env import PursuitConfig

    get_task(task)  # validates the name
    return PursuitConfig(map=map_, evader=evader, evader_model=evader_model, evader_base_url=evader_base_url,
                         fixed_starts=fixed_starts, max_steps=max_steps)


_SANDBOX = {f.name: f for f in fields(SandboxLimits)}


@app.callback()
def sandbox_limits(
    call_timeout_ms: Annotated[int, typer.Option(
        min=1, max=600_000, help=f"Untrusted functions: {_SANDBOX['call_ms'].metadata['help']}.")] = _SANDBOX[
        "call_ms"].default,
    sandbox_memory_mb: Annotated[int, typer.Option(
        min=16, max=1 << 20, help=f"Untrusted functions: {_SANDBOX['memory_mb'].metadata['help']}.")] = _SANDBOX[
        "memory_mb"].default,
) -> None:
    """Logic Distillation toolkit. Functions not shipped with the package run only in confined
    worker processes, under these limits (docs/security.md)."""
    configure_runtime(SandboxLimits(call_ms=call_timeout_ms, memory_mb=sandbox_memory_mb))


@app.command()
def play(
    task: Task = "pursuit",
    agent: Agent = "teacher",
    map: Annotated[str, typer.Option(help="Bundled map name, map file path, or generated:SEED[:HxW].")] = "arena",
    seed: Seed = 0,
    evader: Evader = "smart",
    evader_model: EvaderModel = None,
    evader_base_url: EvaderURL = None,
    fixed_starts: FixedStarts = False,
    max_steps: MaxSteps = 100,
    render: Annotated[Optional[Path], typer.Option(help="Write an animated replay (.gif or .png).")] = None,
    trace: Annotated[Optional[Path], typer.Option(help="Write every stage decision as JSONL.")] = None,
    ascii: Annotated[bool, typer.Option(help="Print the board after every step.")] = False,
    base: BasePath = None,
    retriever: Retriever = "dense",
    top_k: TopK = 5,
    run: Run = None,
    student: StudentModel = None,
    rules: Rules = "classic",
    env: Annotated[str, typer.Option(help="21 Points environment: ours or gymnasium (Blackjack-v1 itself).")] = "ours",
    demonstrator: Teacher = None,
) -> None:
    """Play one episode (21 Points: one hand) and show it."""
    from logicdistill.evaluation.run import play as play_episode, write_trace
    from logicdistill.tasks.pursuit.render import render_ascii, save_replay

    _check_outputs({"--render": render, "--trace": trace})
    if task == "twentyone":
        _play_hand(agent, rules, env, seed, _options(base, retriever, top_k, seed, run, student, demonstrator), trace)
        return
    config = _config(task, map, evader, evader_model, evader_base_url, fixed_starts, max_steps)

    def show(state, record) -> None:
        if ascii:
            choices = ", ".join(f"P{s.unit}:{s.choice}" for s in record.stages if s.stage != "move")
            term.print(f"{render_ascii(state)}\n{choices}\n", highlight=False)

    with console.status(f"playing {config.map} with {agent}"):
        result = play_episode(agent, config, seed, _options(base, retriever, top_k, seed, run, student, demonstrator),
                              on_step=show)
    verdict = "[green]all evaders captured[/]" if result.success else "[red]not all evaders captured[/]"
    term.print(f"{config.map} seed {seed}: {verdict} in {result.steps} steps ({result.captures} captures)")
    if render:
        term.print(f"replay: {save_replay(result.states, render)}")
    if trace:
        write_trace(trace, result)
        term.print(f"trace: {trace}")


@app.command("eval")
def eval_(
    task: Task = "pursuit",
    agent: Agent = "teacher",
    episodes: Annotated[int, typer.Option(max=MAX_EPISODES, help="Number of episodes, spread over the maps.")] = 20,
    map: Annotated[Optional[list[str]], typer.Option(help="Map(s); repeat the option. Default: all bundled maps.")] = None,
    seed: Seed = 0,
    evader: Evader = "smart",
    evader_model: EvaderModel = None,
    evader_base_url: EvaderURL = None,
    fixed_starts: FixedStarts = False,
    max_steps: MaxSteps = 100,
    json: Annotated[Optional[Path], typer.Option("--json", help="Write the summary as JSON.")] = None,
    base: BasePath = None,
    retriever: Retriever = "dense",
    top_k: TopK = 5,
    run: Run = None,
    student: StudentModel = None,
    data: Annotated[Optional[Path], typer.Option(help="Data whose test split measures selection accuracy "
                                                      "(default: the run's data).")] = None,
    accuracy_examples: Annotated[int, typer.Option(min=0, help="Held-out decisions scored for selection accuracy "
                                                        "(0: none).")] = 300,
    parallel: Annotated[int, typer.Option(help="Episodes played in lock step, their decisions batched.")] = 8,
    dtype: StudentDtype = "auto",
    rules: Rules = "classic",
    env: Annotated[str, typer.Option(help="21 Points environment for the Monte Carlo check: ours or gymnasium "
                                          "(Gymnasium's own Blackjack-v1).")] = "ours",
    hands: Annotated[int, typer.Option(max=MAX_HANDS, help="21 Points hands played for the Monte Carlo check.")
                     ] = 20_000,
    plot: Annotated[Optional[Path], typer.Option(help="21 Points: write the policy grid against the optimum (PNG).")] = None,
    demonstrator: Teacher = None,
) -> None:
    """Evaluate an agent over many seeded episodes (pursuit) or exactly over every hand (21 Points)."""
    from logicdistill.evaluation.run import benchmark_maps, evaluate, write_json

    _check_outputs({"--json": json, "--plot": plot})
    if task == "twentyone":
        options = replace(_options(base, retriever, top_k, seed, run, student, demonstrator), dtype=dtype)
        _eval_twentyone(agent, rules, env, hands, seed, options, data, accuracy_examples, plot, json)
        return
    if episodes < 1:
        raise UserInputError("--episodes must be at least 1")
    maps = map or benchmark_maps()
    config = _config(task, maps[0], evader, evader_model, evader_base_url, fixed_starts, max_steps)
    if parallel < 1:
        raise UserInputError("--parallel must be at least 1")
    options = replace(_options(base, retriever, top_k, seed, run, student, demonstrator), dtype=dtype)
    with _progress() as progress:
        bar = progress.add_task(f"eval {agent}", total=episodes, rate="")
        wins = []

        def advance(result) -> None:
            wins.append(result.success)
            progress.update(bar, advance=1, rate=f"success {sum(wins)}/{len(wins)}")

        summary = evaluate(agent, config, maps, episodes, seed, options, on_episode=advance, data=data,
                           accuracy_examples=accuracy_examples, parallel=parallel)
    table = Table(title=f"{agent} vs {evader} evaders, {episodes} episodes")
    keys = ("success_rate", "mean_steps", "selection_accuracy", "decision_ms_median", "decision_ms_p95",
            "function_errors")
    for key in keys:
        table.add_column(key.replace("_", " "))
    table.add_row(*(f"{summary[k]:.3g}" if isinstance(summary[k], float) else str(summary[k]) for k in keys))
    term.print(table)
    if json:
        write_json(json, summary)
        term.print(f"summary: {json}")


def _play_hand(agent: str, rules: str, env_name: str, seed: int, options: AgentOptions, trace: Optional[Path]) -> None:
    from logicdistill.agent.factory import build_agent
    from logicdistill.evaluation.episodes import run_episode
    from logicdistill.evaluation.run import write_trace
    from logicdistill.tasks.twentyone.env import make_env
    from logicdistill.tasks.twentyone.task import TwentyOneTask

    env, task = make_env(rules, env_name), TwentyOneTask(rules)
    result = run_episode(env, build_agent(agent, task, env, replace(options, seed=seed)), seed, keep=True)
    for state, step in zip(result.states, result.trace):
        choices = "; ".join(f"{s.stage}: {s.choice} -> {s.result}" for s in step.stages)
        term.print(f"{task.state_text(state, 0, {})}  ({choices or agent}) -> {task.actions[step.action]}",
                   highlight=False, markup=False)
    last = result.states[-1]
    term.print(f"player {last.player_cards} dealer {last.dealer_cards}: reward {last.reward:+g}", highlight=False,
               markup=False)
    if trace:
        write_trace(trace, result)
        term.print(f"trace: {trace}")


def _eval_twentyone(agent: str, rules: str, env: str, hands: int, seed: int, options: AgentOptions,
                    data: Optional[Path], accuracy_examples: int, plot: Optional[Path], json: Optional[Path]) -> None:
    from logicdistill.evaluation.run import write_json
    from logicdistill.evaluation.twentyone import evaluate_hands

    if hands < 2:
        raise UserInputError("--hands must be at least 2 (the Monte Carlo check needs a standard error)")
    with console.status(f"evaluating {agent} at 21 Points ({rules} rules)"):
        summary = evaluate_hands(agent, rules, env, hands, seed, options, data, accuracy_examples, plot)
    table = Table("figure", "value", title=f"{agent} at 21 Points, {rules} rules; Monte Carlo in {env} over {hands} hands")
    for key in ("expected_return_exact", "optimal_return", "regret", "mc_return", "mc_stderr", "policy_agreement",
                "selection_accuracy", "decision_ms_median"):
        table.add_row(key.replace("_", " "), f"{summary[key]:.4f}" if isinstance(summary[key], float) else str(summary[key]))
    term.print(table)
    if summary.get("plot"):
        term.print(f"policy grid: {summary['plot']}")
    if json:
        write_json(json, summary)
        term.print(f"summary: {json}")


@app.command()
def data(
    out: Annotated[Path, typer.Option("--out", help="JSONL file to write (an existing one is resumed).")],
    task: Task = "pursuit",
    episodes: Annotated[Optional[int], typer.Option(
        max=MAX_EPISODES, help="Teacher episodes (21 Points: hands) to record, spread over the maps; default: the task's (pursuit "
             "60, 21 Points 1500).")] = None,
    seed: Seed = 0,
    evader: Evader = "smart",
    max_steps: MaxSteps = 100,
    rules: Rules = "classic",
    base: BasePath = None,
    retriever: Retriever = "dense",
    top_k: TopK = 5,
    min_gain: Annotated[Optional[float], typer.Option(
        help="How much better (in the teacher's score units) a function must be for the teacher to leave a "
             "stage's default; default: the task's (pursuit 10, a capture being 1000; 21 Points 1).")] = None,
    demonstrator: Teacher = None,
) -> None:
    """Record the teacher's stage decisions as distillation data (resumable)."""
    from logicdistill.distill.data import generate_data
    from logicdistill.tasks import get_task
    from logicdistill.tasks.pursuit.env import PursuitEpisodes
    from logicdistill.tasks.twentyone.env import TwentyOneEpisodes

    episodes = get_task(task).data_episodes if episodes is None else episodes
    if episodes < 1:
        raise UserInputError("--episodes must be at least 1")
    _check_outputs({"--out": out})
    if min_gain is not None and not 0 <= min_gain < math.inf:
        raise UserInputError(f"--min-gain must not be negative, and must be finite; got {min_gain}")
    if task == "twentyone":
        source = TwentyOneEpisodes(rules)
    else:
        source = PursuitEpisodes(_config(task, "arena", evader, None, None, False, max_steps))
    with _progress() as progress:
        bar = progress.add_task("teacher episodes", total=episodes, rate="")

        def advance(row) -> None:
            progress.update(bar, completed=row.episode + 1, rate=f"{row.variant} ({row.split})")

        options = replace(_options(base, retriever, top_k, seed, demonstrator=demonstrator), min_gain=min_gain)
        generate_data(out, episodes, source, seed, options, on_episode=advance)
    held = f"held out: {', '.join(source.held_out)}" if source.held_out else "every fifth episode is the test split"
    term.print(f"data: {out} ({episodes} episodes of {task}; {held})")


_TRAIN = {f.name: f for f in fields(TrainConfig)}


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="Distillation data from `logicdistill data`.")],
    out: Annotated[Path, typer.Option("--out", help="Run folder to create.")],
    mode: Annotated[str, typer.Option(help="ld: learn to select functions; kd: imitate the teacher's actions.")] = "ld",
    student: Annotated[Optional[str], typer.Option(help="Model path or id (default: bundled SmolLM2-135M).")] = None,
    max_examples: Annotated[Optional[int], typer.Option(
        max=MAX_EXAMPLES,
        help="Training examples (the budget; same for ld and kd). Default: the task's (pursuit and "
             "21 Points 2560).")] = TrainConfig.max_examples,
    balance: Annotated[float, typer.Option(help="How evenly the budget covers the teacher's answers: 0 natural "
                                                "frequencies, 1 every answer equally often.")] = TrainConfig.balance,
    drills: Annotated[float, typer.Option(help="Share of ld examples rewritten as emergency drills (a made-up "
                                               "rule and its new default function), 0 for none.")] = TrainConfig.drills,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training examples.")] = TrainConfig.epochs,
    batch_size: Annotated[int, typer.Option(min=1, help="Examples per optimisation step (per device).")
                          ] = TrainConfig.batch_size,
    learning_rate: Annotated[Optional[float], typer.Option(
        help="Peak learning rate of the LoRA weights. Default: the task's (pursuit 5e-4, 21 Points 1e-3).")
    ] = TrainConfig.learning_rate,
    seed: Seed = 0,
    dtype: Annotated[str, typer.Option(help=f"Training {_TRAIN['dtype'].metadata['help']}.")
                     ] = _TRAIN["dtype"].default,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run from its last checkpoint.")] = False,
) -> None:
    """LoRA-fine-tune the student on distillation data."""
    from logicdistill.distill.train import train as train_run
    from logicdistill.student.model import DTYPES

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
    cfg = TrainConfig(mode=mode, student=student, max_examples=max_examples, balance=balance, drills=drills,
                      epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=seed, dtype=dtype)
    metrics = train_run(data, out, cfg, resume=resume,
                        on_precision=lambda p: term.print(f"precision: {p.name} ({p.reason})", highlight=False))
    scored = ("" if metrics["val_accuracy"] is None else
              f", validation accuracy {metrics['val_accuracy']:.3f}, balanced over answers "
              f"{metrics['val_balanced_accuracy']:.3f}")
    term.print(f"run: {out}  ({metrics['steps']} steps, {metrics['train_seconds']:.0f} s{scored})")


@app.command()
def serve(
    run: Run = None,
    student: Annotated[Optional[str], typer.Option(help="Model folder or id (default: bundled SmolLM2-135M).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    dtype: StudentDtype = "auto",
    max_tokens: Annotated[int, typer.Option(help="Most tokens one reply may generate; requests asking for more "
                                                 "are capped.")] = 1024,
    served_model_name: Annotated[Optional[str], typer.Option(help="Model id clients use (default: the run "
                                                                  "folder's name or the model as given).")] = None,
) -> None:
    """Serve a student over an OpenAI-compatible API (/v1/models, /v1/chat/completions) plus
    /v1/select, which selects a function exactly as the in-process LD agent does."""
    from logicdistill.serve import check_port, load_served_student, serve as run_server

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
    task: Task = "pursuit",
    version: Annotated[Optional[int], typer.Option(min=1, help="Version to show (default: current).")] = None,
    source: Annotated[bool, typer.Option(help="Print each function's source too.")] = False,
) -> None:
    """List a base's functions by stage with their manuals."""
    from logicdistill.functions import load_base
    from logicdistill.tasks import get_task

    base = load_base(path, version) if path else get_task(task).bundled_base()
    term.print(Text.assemble(_untrusted(f"{base.task} base v{base.version}", "bold"),
                             f" ({len(base.functions)} functions) ", _untrusted(base.note)), highlight=False)
    for stage in dict.fromkeys(f.stage for f in base.functions):
        term.print(Text.assemble("\n", _untrusted(f"stage: {stage}", "bold underline")))
        for f in base.by_stage(stage):
            origin = f.provenance.kind + (f":{f.provenance.model}" if f.provenance.model else "")
            term.print(Text.assemble(_untrusted(f.name, "bold"), _untrusted(f.signature), "  ",
                                     _untrusted(f"{origin}, {f.verification.status}", "dim")), highlight=False)
            term.print(Text.assemble("  ", _untrusted(f.manual.what), "\n  ", ("When:", "italic"), " ",
                                     _untrusted(f.manual.when)), highlight=False)
            if source:
                term.print(_untrusted(f.source), highlight=False)
    if base.dropped:
        term.print(_untrusted(f"\nnot offered (recorded as not verified): {', '.join(base.dropped)}", "dim"),
                   highlight=False)


@base_app.command("list")
def base_list(path: Annotated[Path, typer.Argument(help="Base root directory.")]) -> None:
    """List the versions stored in a base directory."""
    from logicdistill.functions.base import list_versions

    for entry in list_versions(path):
        term.print(_untrusted(entry), highlight=False)  # notes are read from the base


@base_app.command("diff")
def base_diff(
    old: Annotated[str, typer.Argument(help="Base directory, DIR@VERSION, or 'bundled'.")],
    new: Annotated[str, typer.Argument(help="Base directory, DIR@VERSION, or 'bundled'.")],
    task: Task = "pursuit",
) -> None:
    """What was added, removed or changed between two bases or versions."""
    from logicdistill.functions import diff_bases

    diff = diff_bases(_base_ref(old, task), _base_ref(new, task))
    if diff.empty:
        term.print("no differences")
    for label, names in (("added", diff.added), ("removed", diff.removed), ("changed", diff.changed)):
        for name in names:
            term.print(f"{label:8} {name}")


def _base_ref(ref: str, task: str):
    from logicdistill.functions import load_base
    from logicdistill.tasks import get_task

    if ref == "bundled":
        return get_task(task).bundled_base()
    path, _, version = ref.partition("@")
    if version and not version.isdigit():
        raise UserInputError(f"bad version in {ref!r}; expected DIR@NUMBER")
    return load_base(path, int(version) if version else None)


@base_app.command("export")
def base_export(
    out_dir: Annotated[Path, typer.Option("--out", help="Base directory to create or add a version to.")],
    task: Task = "pursuit",
) -> None:
    """Write the task's bundled base to a directory as a new version."""
    from logicdistill.functions import save_base
    from logicdistill.tasks import get_task

    _check_outputs(folders={"--out": out_dir})
    saved = save_base(get_task(task).bundled_base(), out_dir)
    term.print(f"wrote {task} base v{saved.version} ({len(saved.functions)} functions) to {out_dir}")


@base_app.command("add")
def base_add(
    file: Annotated[Path, typer.Argument(help='Python file: a STAGE = "..." line and functions whose docstrings '
                                              "are their manuals (what they do, then When: ...).")],
    base: Annotated[Path, typer.Option("--base", help="Base directory; a missing one starts from the task's "
                                                      "bundled base, saved as version 1.")],
    task: Task = "pursuit",
    replace: Annotated[bool, typer.Option(help="Replace functions of the same name (in place) instead of "
                                               "rejecting the clash.")] = False,
) -> None:
    """Verify human-written functions and save them as a new base version, or refuse with the
    reasons (exit code 2) and leave the base untouched."""
    from logicdistill.functions.verification import add_source
    from logicdistill.tasks import get_task

    text = read_user_text(file, MAX_SOURCE_BYTES, "function file")
    _check_outputs(folders={"--base": base})
    saved, report = add_source(base, get_task(task), text, str(file), replace_existing=replace)
    for line in report.lines():
        term.print(escape(line), highlight=False)  # reasons quote untrusted text
    term.print(f"wrote {saved.task} base v{saved.version} ({len(saved.functions)} functions) to {base}")


@base_app.command("build")
def base_build(
    out_dir: Annotated[Path, typer.Option("--out", help="Base directory to create or add a version to.")],
    teacher: Annotated[str, typer.Option("--teacher", help="Teacher model id (part of every stored request).")],
    teacher_base_url: Annotated[Optional[str], typer.Option(help="OpenAI-compatible base URL (default: OpenAI's); "
                                                                 "key from LOGICDISTILL_API_KEY or OPENAI_API_KEY.")] = None,
    task: Task = "pursuit",
    store: Annotated[Optional[Path], typer.Option(help="Where exchanges are stored, keyed by request content "
                                                       "(default: OUT/teacher-store).")] = None,
    replay: Annotated[Optional[Path], typer.Option(help="Answer only from this store; never contact the endpoint.")] = None,
    retries: Annotated[int, typer.Option(help="Follow-up requests per stage that feed verification errors back.")] = 2,
    per_stage: Annotated[int, typer.Option(help="Functions to ask for per stage.")] = 3,
) -> None:
    """Let a teacher LLM write a verified base: every function checked, rejections fed back, every
    exchange stored so the build replays offline (--replay)."""
    from logicdistill.functions import load_base, save_base
    from logicdistill.tasks import get_task
    from logicdistill.teacher import TeacherClient, TeacherConfig, build_base

    if per_stage < 1 or retries < 0:
        raise UserInputError("--per-stage must be at least 1 and --retries at least 0")
    _check_outputs(folders={"--out": out_dir, "--store": store})
    task_obj = get_task(task)
    if (out_dir / "CURRENT").is_file() and load_base(out_dir).task != task:
        raise UserInputError(f"{out_dir} holds a {load_base(out_dir).task} base, not a {task} one")
    store = store or out_dir / "teacher-store"
    client = TeacherClient(TeacherConfig(teacher, teacher_base_url, store=store, replay=replay))

    def show(outcome) -> None:
        names = ", ".join(f.name for f in outcome.admitted) or "none"
        term.print(f"stage {outcome.stage}: admitted {names}; {len(outcome.rejections)} rejection(s) in "
                   f"{outcome.requests} request(s)", highlight=False)
        for line in outcome.rejections:
            term.print(f"  [dim]{escape(line)}[/]", highlight=False)  # reasons quote untrusted text

    base, _ = build_base(client, task_obj, per_stage=per_stage, retries=retries, on_stage=show)
    saved = save_base(base, out_dir)
    source = f"replayed from {replay}" if replay else f"{client.requests} new request(s), exchanges in {store}"
    term.print(f"wrote {task} base v{saved.version} ({len(saved.functions)} functions) to {out_dir}; {source}")


@maps_app.command("list")
def maps_list() -> None:
    """The bundled maps with their sizes."""
    from logicdistill.tasks.pursuit.maps import bundled_map, bundled_map_names

    for name in bundled_map_names():
        grid = bundled_map(name)
        term.print(f"{name:12} {grid.height}x{grid.width}  {len(grid.free_cells)} free cells")


@maps_app.command("show")
def maps_show(spec: Annotated[str, typer.Argument(help="Bundled name, file path, or generated:SEED[:HxW].")]) -> None:
    """Print a map in file format."""
    from logicdistill.tasks.pursuit.maps import resolve_map

    term.print(resolve_map(spec).text(), highlight=False, end="")


@app.command()
def emergency(
    task: Task = "pursuit",
    list_: Annotated[bool, typer.Option("--list", help="Print the task's scenarios, one per line, name first.")] = False,
    scenario: Annotated[Optional[str], typer.Option(help="Scenario name (see --list).")] = None,
    agent: Agent = "teacher",
    run: Run = None,
    kd_run: Annotated[Optional[Path], typer.Option(help="A KD run, measured under both rules for comparison.")] = None,
    episodes: Annotated[int, typer.Option(max=MAX_EPISODES, help="Games per measurement (21 Points: Monte Carlo hands; the "
                                               "regret is exact).")] = 20,
    map: Annotated[Optional[list[str]], typer.Option(help="Pursuit map(s); repeat the option. Default: all.")] = None,
    evader: Evader = "smart",
    seed: Seed = 0,
    parallel: Annotated[int, typer.Option(help="Pursuit games played in lock step, their decisions batched.")] = 8,
    base: BasePath = None,
    base_out: Annotated[Optional[Path], typer.Option(help="Base directory the new version is written to "
                                                          "(default: runs/emergency/TASK-SCENARIO/base).")] = None,
    teacher: Annotated[Optional[str], typer.Option("--teacher", help="Teacher model that writes the new functions "
                                                                     "(default: the shipped reference ones).")] = None,
    teacher_base_url: Annotated[Optional[str], typer.Option(help="OpenAI-compatible base URL of the teacher.")] = None,
    store: Annotated[Optional[Path], typer.Option(help="Teacher exchange store (default: BASE_OUT/teacher-store).")] = None,
    replay: Annotated[Optional[Path], typer.Option(help="Answer the teacher from this store only (offline).")] = None,
    retries: Annotated[int, typer.Option(help="Teacher follow-ups that feed verification errors back.")] = 2,
    retriever: Retriever = "dense",
    top_k: TopK = 5,
    dtype: StudentDtype = "auto",
    demonstrator: Teacher = None,
    json: Annotated[Optional[Path], typer.Option("--json", help="Write the report as JSON.")] = None,
) -> None:
    """Switch a new rule on, measure the agent with the stale base, add verified new functions as a
    new base version, and measure the same agent again (no retraining)."""
    from logicdistill.emergency import Trial, get_scenario, run_emergency, scenarios
    from logicdistill.evaluation.run import write_json

    if list_:
        for s in scenarios(task):
            term.print(f"{s.name}  {s.rule}", highlight=False, markup=False, soft_wrap=True)
        return
    if scenario is None:
        raise UserInputError("pass --scenario NAME (see `logicdistill emergency --task TASK --list`)")
    chosen = get_scenario(task, scenario)
    if episodes < 1 or parallel < 1 or retries < 0:
        raise UserInputError("--episodes and --parallel must be at least 1, --retries at least 0")
    base_out = base_out or Path("runs") / "emergency" / f"{task}-{scenario}" / "base"
    _check_outputs({"--json": json}, {"--base-out": base_out, "--store": store})
    _check_runs(run, kd_run)
    client = None
    if teacher or replay:
        from logicdistill.teacher import TeacherClient, TeacherConfig

        if not teacher:
            raise UserInputError("--replay needs --teacher (the model id is part of every stored request)")
        client = TeacherClient(TeacherConfig(teacher, teacher_base_url, store=store or base_out / "teacher-store",
                                             replay=replay))
    options = replace(_options(base, retriever, top_k, seed, run, demonstrator=demonstrator), dtype=dtype)
    trial = Trial(episodes=episodes, seed=seed, maps=tuple(map or ()), evader=evader, parallel=parallel)
    with console.status(f"{scenario}: starting") as status:
        report = run_emergency(chosen, agent, options, trial, base_out, client, retries, kd_run,
                               on_phase=lambda label: status.update(f"{scenario}: {label}"))
    metric = report["metric"]
    table = Table("agent", "normal rules", "new rule, stale base", "new rule, new functions",
                  title=f"{scenario}: {metric} (no retraining); new base v{report['base_version']} in {base_out}")
    rows = [(agent, report), *([("teacher", report["teacher"])] if agent != "teacher" else [])]
    for name, phases in rows:
        table.add_row(name, *(f"{phases[p][metric]:.3g}" for p in ("normal", "before", "after")))
    if report["kd"]:
        table.add_row("kd", f"{report['kd']['normal'][metric]:.3g}", f"{report['kd']['under_rule'][metric]:.3g}", "-")
    term.print(table)
    if report["recovery"] is not None:
        term.print(f"{agent} recovery: {report['recovery']:.0%} (" + ("its old-rules success rate reached"
                   if metric == "success_rate" else "the regret the rule added, won back") + ")")
    term.print("added: " + ", ".join(f"{f['name']} ({f['stage']}, {f['provenance']['kind']})"
                                     for f in report["added_functions"]), highlight=False)
    if json:
        write_json(json, report)
        term.print(f"report: {json}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for every artefact, summary.json and "
                                                    "report.html.")] = Path("runs/demo"),
    fresh: Annotated[bool, typer.Option(help="Remove what an earlier demo wrote there and redo every step.")] = False,
) -> None:
    """Logic Distillation end to end on the offline default models: teacher data, LD and KD students,
    every agent evaluated, an emergency, a report (20-25 minutes on 2 CPU cores; steps whose
    artefacts exist are reused)."""
    from logicdistill.demo import TASK_LABELS, comparison, run_demo

    _check_outputs(folders={"--out": out})
    progress, bars = _progress(), {}  # step name -> its bar

    def show(step: str, done: int, total: Optional[int], note: str) -> None:
        if not bars:
            progress.start()  # at the first step, so a refused folder prints its error alone
        if step not in bars:
            bars[step] = progress.add_task(step, total=total, rate="")
        progress.update(bars[step], completed=done, total=total, rate=escape(note))

    try:
        summary = run_demo(out, fresh=fresh, on_progress=show)
    finally:
        if bars:
            progress.stop()
    columns, rows = comparison(summary)
    table = Table("agent", *(Column(f"{TASK_LABELS[task]}\n{label}", justify="right") for task, label in columns),
                  title="Logic Distillation demo (held-out pursuit maps; every 21 Points decision state)")
    for row in rows:
        table.add_row(*row)
    term.print(table)
    term.print(f"report: {out / 'report.html'}\nsummary: {out / 'summary.json'}")


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
