"""The ``logicdistill`` command: parses options and calls one library function per command."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from logicdistill.agent.factory import AGENTS, AgentOptions
from logicdistill.errors import LogicDistillError, UserInputError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False,
                  help="Logic Distillation toolkit.")
base_app = typer.Typer(no_args_is_help=True, help="Show, list, diff and export function bases.")
maps_app = typer.Typer(no_args_is_help=True, help="List and show pursuit maps (bundled, files, or generated:SEED[:HxW]).")
app.add_typer(base_app, name="base")
app.add_typer(maps_app, name="maps")
console = Console(stderr=True)
term = Console()

Task = Annotated[str, typer.Option(help="Task: pursuit.")]
Agent = Annotated[str, typer.Option(help=f"Agent: {', '.join(AGENTS)}.")]
Seed = Annotated[int, typer.Option(help="Seed for starts and every random choice.")]
Evader = Annotated[str, typer.Option(help="Evader policy: random, greedy, smart, llm.")]
EvaderModel = Annotated[Optional[str], typer.Option(help="Model id for --evader llm.")]
EvaderURL = Annotated[Optional[str], typer.Option(help="OpenAI-compatible base URL for --evader llm.")]
FixedStarts = Annotated[bool, typer.Option(help="Start from the map's P/E marks instead of seeded random cells.")]
MaxSteps = Annotated[int, typer.Option(help="Step limit per episode.")]
Retriever = Annotated[str, typer.Option(help="Retriever: dense (MiniLM) or bm25.")]
TopK = Annotated[int, typer.Option(help="Candidates retrieved per stage.")]
BasePath = Annotated[Optional[Path], typer.Option("--base", help="Function base directory (default: bundled).")]
Run = Annotated[Optional[Path], typer.Option("--run", help="Trained run folder (for the ld and kd agents).")]
StudentModel = Annotated[Optional[str], typer.Option(help="Student model path or id for zero-shot agents.")]


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(), console=console)


def _options(base: Optional[Path], retriever: str, top_k: int, seed: int, run: Optional[Path] = None,
             student: Optional[str] = None) -> AgentOptions:
    from logicdistill.functions import load_base

    if top_k < 1:
        raise UserInputError("--top-k must be at least 1")
    return AgentOptions(base=load_base(base) if base else None, retriever=retriever, top_k=top_k, seed=seed,
                        run=run, student=student)


def _config(task: str, map_: str, evader: str, evader_model, evader_base_url, fixed_starts: bool, max_steps: int):
    from logicdistill.tasks import get_task
    from logicdistill.tasks.pursuit.env import PursuitConfig

    get_task(task)  # validates the name
    return PursuitConfig(map=map_, evader=evader, evader_model=evader_model, evader_base_url=evader_base_url,
                         fixed_starts=fixed_starts, max_steps=max_steps)


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
) -> None:
    """Play one episode and show it."""
    from logicdistill.evaluation.run import play as play_episode, write_trace
    from logicdistill.tasks.pursuit.render import render_ascii, save_replay

    config = _config(task, map, evader, evader_model, evader_base_url, fixed_starts, max_steps)

    def show(state, record) -> None:
        if ascii:
            choices = ", ".join(f"P{s.unit}:{s.choice}" for s in record.stages if s.stage != "move")
            term.print(f"{render_ascii(state)}\n{choices}\n", highlight=False)

    with console.status(f"playing {config.map} with {agent}"):
        result = play_episode(agent, config, seed, _options(base, retriever, top_k, seed, run, student), on_step=show)
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
    episodes: Annotated[int, typer.Option(help="Number of episodes, spread over the maps.")] = 20,
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
    accuracy_examples: Annotated[int, typer.Option(help="Held-out decisions scored for selection accuracy.")] = 300,
) -> None:
    """Evaluate an agent over many seeded episodes."""
    from logicdistill.evaluation.run import benchmark_maps, evaluate, write_json

    if episodes < 1:
        raise UserInputError("--episodes must be at least 1")
    maps = map or benchmark_maps()
    config = _config(task, maps[0], evader, evader_model, evader_base_url, fixed_starts, max_steps)
    options = _options(base, retriever, top_k, seed, run, student)
    with _progress() as progress:
        bar = progress.add_task(f"eval {agent}", total=episodes, rate="")
        wins = []

        def advance(result) -> None:
            wins.append(result.success)
            progress.update(bar, advance=1, rate=f"success {sum(wins)}/{len(wins)}")

        summary = evaluate(agent, config, maps, episodes, seed, options, on_episode=advance, data=data,
                           accuracy_examples=accuracy_examples)
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


@app.command()
def data(
    out: Annotated[Path, typer.Option("--out", help="JSONL file to write (an existing one is resumed).")],
    task: Task = "pursuit",
    episodes: Annotated[int, typer.Option(help="Teacher episodes to record, spread over the maps.")] = 60,
    seed: Seed = 0,
    evader: Evader = "smart",
    max_steps: MaxSteps = 100,
    base: BasePath = None,
    retriever: Retriever = "dense",
    top_k: TopK = 5,
) -> None:
    """Record the teacher's stage decisions as distillation data (resumable)."""
    from logicdistill.distill.data import TEST_MAPS, generate_data

    if episodes < 1:
        raise UserInputError("--episodes must be at least 1")
    config = _config(task, "arena", evader, None, None, False, max_steps)
    with _progress() as progress:
        bar = progress.add_task("teacher episodes", total=episodes, rate="")
        done = []

        def advance(row) -> None:
            done.append(row.success)
            progress.update(bar, completed=row.episode + 1, rate=f"{row.map} ({row.split})")

        generate_data(out, episodes, seed, config, _options(base, retriever, top_k, seed), on_episode=advance)
    term.print(f"data: {out} ({episodes} episodes; test maps held out: {', '.join(TEST_MAPS)})")


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="Distillation data from `logicdistill data`.")],
    out: Annotated[Path, typer.Option("--out", help="Run folder to create.")],
    mode: Annotated[str, typer.Option(help="ld: learn to select functions; kd: imitate the teacher's actions.")] = "ld",
    student: Annotated[Optional[str], typer.Option(help="Model path or id (default: bundled SmolLM2-135M).")] = None,
    max_examples: Annotated[int, typer.Option(help="Training examples (the budget; same for ld and kd).")] = 320,
    epochs: Annotated[int, typer.Option(help="Passes over the training examples.")] = 2,
    batch_size: Annotated[int, typer.Option(help="Examples per optimisation step (per device).")] = 8,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate of the LoRA weights.")] = 1e-3,
    seed: Seed = 0,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run from its last checkpoint.")] = False,
) -> None:
    """LoRA-fine-tune the student on distillation data."""
    from logicdistill.distill.train import TrainConfig, train as train_run

    if mode not in ("ld", "kd"):
        raise UserInputError(f"--mode must be ld or kd, got {mode!r}")
    cfg = TrainConfig(mode=mode, student=student, max_examples=max_examples, epochs=epochs,
                      batch_size=batch_size, learning_rate=learning_rate, seed=seed)
    metrics = train_run(data, out, cfg, resume=resume)
    term.print(f"run: {out}  ({metrics['steps']} steps, {metrics['train_seconds']:.0f} s, "
              f"validation accuracy {metrics['val_accuracy']:.3f})")


@base_app.command("show")
def base_show(
    path: Annotated[Optional[Path], typer.Argument(help="Base directory (default: the task's bundled base).")] = None,
    task: Task = "pursuit",
    version: Annotated[Optional[int], typer.Option(help="Version to show (default: current).")] = None,
    source: Annotated[bool, typer.Option(help="Print each function's source too.")] = False,
) -> None:
    """List a base's functions by stage with their manuals."""
    from logicdistill.functions import load_base
    from logicdistill.tasks import get_task

    base = load_base(path, version) if path else get_task(task).bundled_base()
    term.print(f"[bold]{base.task} base v{base.version}[/] ({len(base.functions)} functions) {base.note}")
    for stage in dict.fromkeys(f.stage for f in base.functions):
        term.print(f"\n[bold underline]stage: {stage}[/]")
        for f in base.by_stage(stage):
            origin = f.provenance.kind + (f":{f.provenance.model}" if f.provenance.model else "")
            term.print(f"[bold]{f.name}[/]{f.signature}  [dim]{origin}, {f.verification.status}[/]", highlight=False)
            term.print(f"  {f.manual.what}\n  [italic]When:[/] {f.manual.when}", highlight=False)
            if source:
                term.print(f.source, highlight=False)


@base_app.command("list")
def base_list(path: Annotated[Path, typer.Argument(help="Base root directory.")]) -> None:
    """List the versions stored in a base directory."""
    from logicdistill.functions.base import list_versions

    for entry in list_versions(path):
        term.print(entry)


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

    saved = save_base(get_task(task).bundled_base(), out_dir)
    term.print(f"wrote {task} base v{saved.version} ({len(saved.functions)} functions) to {out_dir}")


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


def main() -> None:
    """Console entry point: user errors become one clear line and exit code 2."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        app()
    except LogicDistillError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
