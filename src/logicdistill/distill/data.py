"""Distillation data: the teacher's stage decisions, recorded exactly as a student will see them.

A JSONL file: a header line (settings and every manual), then for each episode its decision rows
followed by an episode row. The episode row marks the episode complete, so an interrupted run
resumes after the last complete episode and never keeps half an episode.

Candidates are what the retriever really returned, stored in a seeded shuffled order so that
nothing downstream can lean on the retriever's ranking; training examples list them in the base's
order, as the agent does (``examples.make_examples``). Splits are by variant (a
map, a level: ``Task.variants``) and seed: held-out variants never appear in training, and every
``VAL_EVERY``-th other episode is validation; a task with nothing to hold out tests on every fifth
episode.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np
from pydantic import BaseModel, SerializerFunctionWrapHandler, ValidationError, model_serializer

from logicdistill.agent.episodes import EpisodeResult, run_episode, run_episodes
from logicdistill.agent.factory import LLM, AgentOptions, build_agent
from logicdistill.agent.llm_teacher import DecisionLabel, LabelUsage
from logicdistill.agent.loop import stage_line
from logicdistill.errors import EndpointError, UserInputError
from logicdistill.plugins import reference_of
from logicdistill.tasks.api import Task
from logicdistill.userfiles import MiB, decode_utf8, describe_size, open_user_file, parse_json

FORMAT = "logicdistill-data/2"
VAL_EVERY = 5
Split = Literal["train", "val", "test"]


class DataHeader(BaseModel):
    kind: Literal["header"] = "header"
    format: Literal["logicdistill-data/2"] = FORMAT
    task: str
    task_class: str = ""  # how to load the task again (``plugins.reference_of``); "" in older files: by name
    instruction: str
    stage_lines: dict[str, str]  # stage name -> the stage line of every query and prompt
    actions: list[str]  # a unit's possible final actions (the KD answers)
    retriever: str
    top_k: int
    seed: int
    settings: dict[str, str]  # the task's (``Task.setting_values``); the teacher's min_gain and
    # demonstrator when not the task's
    variants: list[str]  # where episodes were played, in turn (all of ``Task.variants`` unless the run named some)
    held_out: list[str]  # variants whose episodes form the test split only
    base_fingerprint: str
    manuals: dict[str, str]  # function name -> manual text
    labels: LabelUsage | None = None  # a teacher LLM's labelling (``--demonstrator llm``): its model, and
    # what the whole file's labels took (written when a run completes); absent from other files

    @model_serializer(mode="wrap")
    def _omit_absent_labels(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_none(handler(self), "labels")


class DecisionRow(BaseModel):
    kind: Literal["decision"] = "decision"
    episode: int
    variant: str
    split: Split
    step: int
    unit: int
    stage: str
    state_text: str
    candidates: list[str]  # the offered ones (retrieved, less those whose preview failed or that act like an
    # earlier one in the base), shuffled
    previews: list[str]  # what each candidate would return (empty when forced, in data written before drills)
    merged: dict[str, str] = {}  # functions not offered because they act like an offered one -> that one
    choice: str  # the teacher's
    forced: bool  # all candidates agreed; no selection was needed
    action: str  # this unit's final result at this step, as the KD student names it
    label: DecisionLabel | None = None  # a teacher LLM's exchanges for ``choice`` and whether they were
    # usable (``--demonstrator llm``); absent otherwise, so offline data is what it always was

    @model_serializer(mode="wrap")
    def _omit_absent_label(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_none(handler(self), "label")


def _without_none(data: dict[str, Any], field: str) -> dict[str, Any]:
    if data.get(field, 0) is None:
        del data[field]
    return data


class EpisodeRow(BaseModel):
    kind: Literal["episode"] = "episode"
    episode: int
    variant: str
    seed: int
    split: Split
    success: bool
    steps: int


def split_of(variant: str, episode: int, held_out: list[str], variants: int = 1) -> Split:
    """The split of episode ``episode``, which plays ``variant``, one of ``variants`` played in turn."""
    if variant in held_out:
        return "test"
    # Where the number of variants shares a factor with VAL_EVERY, a plain ``episode % VAL_EVERY``
    # would send the same variants to validation every round (with 5 variants, one variant only,
    # never trained on); moving one place each round rotates validation over them all.
    turn = episode + (episode // variants if math.gcd(variants, VAL_EVERY) > 1 else 0)
    if not held_out and turn % VAL_EVERY == VAL_EVERY - 2:
        return "test"
    return "val" if turn % VAL_EVERY == VAL_EVERY - 1 else "train"


def decision_rows(
    result: EpisodeResult, variant: str, episode: int, split: Split, rng: np.random.Generator
) -> list[DecisionRow]:
    rows = []
    for step in result.trace:
        final = {r.unit: str(r.result) for r in step.stages if r.stage == step.stages[-1].stage}
        for r in step.stages:
            offered = r.offered
            order = rng.permutation(len(offered))
            rows.append(
                DecisionRow(
                    episode=episode,
                    variant=variant,
                    split=split,
                    step=r.step,
                    unit=r.unit,
                    stage=r.stage,
                    state_text=r.state_text,
                    candidates=[offered[i] for i in order],
                    previews=[r.previews[offered[i]] for i in order] if r.previews else [],
                    merged=r.merged,
                    choice=r.choice,
                    forced=r.forced,
                    action=final[r.unit],
                    label=r.label,
                )
            )
    return rows


# A header holds every manual and a decision row a state with its previews: a few KiB each. A far
# longer line is damage (or not a data file), refused before it fills memory.
MAX_LINE_BYTES = 16 * MiB


def _raw_lines(fh: BinaryIO, path: Path) -> Iterator[tuple[int, bytes]]:
    """Numbered lines of an opened data file, each at most ``MAX_LINE_BYTES``."""
    for i, line in enumerate(iter(lambda: fh.readline(MAX_LINE_BYTES + 1), b""), start=1):
        if len(line) > MAX_LINE_BYTES:
            raise UserInputError(
                f"{path}:{i}: line longer than {describe_size(MAX_LINE_BYTES)}; the data file is damaged"
            )
        yield i, line


def _read_lines(path: Path) -> list[tuple[int, Any]]:
    """Parsed lines with their numbers; a torn last line (from a crash: cut JSON, or a cut UTF-8
    sequence) is dropped, any other bad line is an error."""
    out: list[tuple[int, Any]] = []
    damaged: UserInputError | None = None  # the previous line's error: fatal unless it was the last
    with open_user_file(path, "data file") as fh:
        for i, raw in _raw_lines(fh, path):
            if damaged is not None:
                raise damaged
            where = f"{path}:{i}"
            try:
                out.append((i, parse_json(decode_utf8(raw, where), where)))
            except UserInputError as exc:
                damaged = UserInputError(f"{exc}; the data file is damaged")
    return out


def _check_header(path: Path, header: DataHeader) -> None:
    """What every reader of the rows relies on: stages and actions to name."""
    if not header.stage_lines or not header.actions or len(set(header.actions)) != len(header.actions):
        raise UserInputError(f"{path}:1: the header needs stage lines and distinct actions; the data file is damaged")


def _decision_problem(header: DataHeader, row: DecisionRow) -> str | None:
    """What in a decision row disagrees with its header or itself (examples and training rely on
    every one of these), or None."""
    if row.stage not in header.stage_lines:
        return f"unknown stage {row.stage!r}"
    if not row.candidates or len(set(row.candidates)) != len(row.candidates):
        return "candidates missing or repeated"
    unknown = [c for c in row.candidates if c not in header.manuals]
    if unknown:
        return f"candidate {unknown[0]!r} has no manual in the header"
    if row.choice not in row.candidates:
        return f"choice {row.choice!r} is not a candidate"
    if row.previews and len(row.previews) != len(row.candidates):
        return "previews do not match the candidates"
    if row.action not in header.actions:
        return f"action {row.action!r} is not one of the header's actions"
    return None


def read_data(path: str | Path) -> tuple[DataHeader, list[DecisionRow], list[EpisodeRow]]:
    """Header, decisions of complete episodes, and episode rows; clear errors for bad files."""
    path = Path(path)
    if not path.exists():
        raise UserInputError(f"data file not found: {path}; create it with `logicdistill data`")
    raw = _read_lines(path)
    if not raw:
        raise UserInputError(f"{path} is empty")
    where = f"{path}:1"
    try:
        header = DataHeader.model_validate(raw[0][1])
        _check_header(path, header)
        pending: list[DecisionRow] = []
        decisions, episodes = [], []
        for i, item in raw[1:]:
            where = f"{path}:{i}"
            kind = item.get("kind") if isinstance(item, dict) else None
            if kind == "decision":
                pending.append(DecisionRow.model_validate(item))
                problem = _decision_problem(header, pending[-1])
                if problem:
                    raise UserInputError(f"{where}: {problem}; the data file is damaged")
            elif kind == "episode":
                episodes.append(EpisodeRow.model_validate(item))
                decisions += pending
                pending = []
            else:
                raise UserInputError(f"{where}: unknown row kind {kind!r}")
    except ValidationError as exc:
        first = exc.errors()[0]
        what = f"{path} is not a {FORMAT} file" if where.endswith(":1") else f"{where}: not a {FORMAT} row"
        raise UserInputError(f"{what}: {first['msg']} at {'.'.join(map(str, first['loc'])) or 'the top'}") from None
    return header, decisions, episodes


def _write_lines(path: Path, items: list[BaseModel], mode: str) -> None:
    with path.open(mode, encoding="utf-8") as fh:
        for item in items:
            fh.write(item.model_dump_json() + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _identity(header: DataHeader) -> dict[str, Any]:
    """What a resumed file must share with the run that continues it: everything but the manuals
    and a teacher LLM's counts (its model and answer format are part of it)."""
    out = header.model_dump(exclude={"manuals", "labels"})
    if header.labels is not None:
        out["labels"] = header.labels.model_dump(include={"model", "structured"})
    return out


def _rewrite(path: Path, header: DataHeader, decisions: list[DecisionRow], episodes: list[EpisodeRow]) -> None:
    """The file as ``header`` and each episode's rows then its marker, replaced atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    rows: list[BaseModel] = [header]
    by_episode: dict[int, list[DecisionRow]] = {}
    for d in decisions:
        by_episode.setdefault(d.episode, []).append(d)
    for e in episodes:
        rows += [*by_episode.get(e.episode, []), e]
    _write_lines(tmp, rows, "w")
    os.replace(tmp, path)


def _resume_point(path: Path, header: DataHeader) -> int:
    """Episodes already complete in ``path``; rewrites the file without any partial episode."""
    old, decisions, episodes = read_data(path)
    settings, before = _identity(header), _identity(old)
    if before != settings:
        changed = [k for k in settings if before.get(k) != settings[k]]
        raise UserInputError(
            f"{path} was made with other settings ({', '.join(changed)}); use another --out or delete it"
        )
    done = {e.episode for e in episodes}
    if done != set(range(len(done))):
        raise UserInputError(f"{path} has gaps in its episodes; delete it and generate again")
    _rewrite(path, old, decisions, episodes)
    return len(done)


def generate_data(
    out: str | Path,
    episodes: int,
    task: Task,
    seed: int = 0,
    options: AgentOptions | None = None,
    on_episode: Callable[[EpisodeRow], None] | None = None,
    variants: Sequence[str] | None = None,
) -> Path:
    """Play ``episodes`` teacher episodes of ``task`` (resuming a partial file) and append their
    decisions. Episode i plays variant i mod n of ``variants`` (default: every one of the task's);
    the held-out variants form the test split. Naming only training variants spends every episode
    on training and validation data (the held-out ones are then left to ``eval``).

    With a teacher LLM (``options.demonstrator`` is ``LLM``) one agent serves every variant (it
    reads no environment), ``options.llm.concurrency`` episodes play in lock step so that its
    requests run concurrently (``agent.llm_teacher``), episodes are written in order as they
    complete, and when all are done the header gets the counts of the whole file's labels."""
    out, options = Path(out), options or AgentOptions()
    played = list(variants or task.variants)
    if not played or len(set(played)) < len(played):
        raise UserInputError(f"name each variant to play once; got {', '.join(played) or 'none'}")
    for variant in variants or ():
        task.make_env(variant)  # a variant the task does not accept fails here, before the file is touched
    base = options.base or task.bundled_base()
    llm = options.llm if options.demonstrator == LLM else None
    if options.demonstrator == LLM and llm is None:
        raise UserInputError(f"the {LLM} teacher needs a model: pass --teacher MODEL and --teacher-base-url URL")
    header = DataHeader(
        task=task.name,
        task_class=reference_of(type(task)),
        instruction=task.instruction,
        stage_lines={s.name: stage_line(s) for s in task.stages},
        actions=list(task.actions),
        retriever=options.retriever,
        top_k=options.top_k,
        seed=seed,
        settings={
            **task.setting_values(),
            **({} if options.min_gain is None else {"min_gain": str(options.min_gain)}),
            **({} if options.demonstrator is None else {"demonstrator": options.demonstrator}),
        },
        variants=played,
        held_out=list(task.held_out),
        base_fingerprint=base.fingerprint,
        manuals={f.name: f.manual.text() for f in base.functions},
        labels=llm.usage() if llm else None,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    start = _resume_point(out, header) if out.exists() else 0
    if start == 0:
        _write_lines(out, [header], "w")
    options = replace(options, base=base, seed=seed)

    def record(episode: int, result: EpisodeResult) -> None:
        split = split_of(result.variant, episode, list(task.held_out), len(played))
        rows = decision_rows(result, result.variant, episode, split, np.random.default_rng([seed, episode]))
        marker = EpisodeRow(
            episode=episode,
            variant=result.variant,
            seed=seed + episode,
            split=split,
            success=result.success,
            steps=result.steps,
        )
        _write_lines(out, [*rows, marker], "a")
        if on_episode:
            on_episode(marker)

    if llm is None:
        agents: dict[str, Any] = {}  # per variant: an offline teacher may simulate in its environment
        for episode in range(start, episodes):
            variant = played[episode % len(played)]
            env = task.make_env(variant)
            if variant not in agents:
                agents[variant] = build_agent("teacher", task, env, options)
            record(episode, run_episode(task, env, agents[variant], seed + episode, keep=True, variant=variant))
        return out
    if start < episodes:
        _play_in_lock_step(task, played, options, seed, start, episodes, llm.concurrency, record)
    _, decisions, done = read_data(out)
    labels = [d.label for d in decisions if d.label is not None]
    _rewrite(out, header.model_copy(update={"labels": llm.usage(labels)}), decisions, done)
    return out


def checked_labels(out: str | Path) -> LabelUsage:
    """What labelling ``out`` with a teacher LLM took; a teacher that gave no usable answer at all
    is an error (the file stays, complete and resumable, but its labels are only the stages'
    defaults)."""
    header, rows, _ = read_data(out)
    usage = header.labels
    if usage is None:
        raise UserInputError(f"{out} was not labelled by a teacher LLM")
    if usage.decisions and usage.defaulted == usage.decisions:
        reason = next(r.label.unusable[-1] for r in rows if r.label and r.label.defaulted)
        raise EndpointError(
            f"the teacher {usage.model} gave no usable answer in any of its {usage.decisions} decisions "
            f"(for instance: {reason}); {out} holds only the stages' defaults. Try a stronger model, "
            "or a server that honours the JSON schema"
        )
    return usage


def _play_in_lock_step(
    task: Task,
    played: list[str],
    options: AgentOptions,
    seed: int,
    start: int,
    episodes: int,
    parallel: int,
    record: Callable[[int, EpisodeResult], None],
) -> None:
    """Episodes ``start`` to ``episodes - 1`` with one agent, ``parallel`` at a time in lock step;
    each is recorded once every episode before it is, so a file cut short holds whole episodes
    in order."""
    variant_of = {e: played[e % len(played)] for e in range(start, episodes)}
    agent = build_agent("teacher", task, task.make_env(variant_of[start]), options)
    ended: dict[int, EpisodeResult] = {}
    following = start

    def finished(result: EpisodeResult) -> None:
        nonlocal following
        ended[result.seed - seed] = result
        while following in ended:
            done = ended.pop(following)
            record(following, done)
            done.trace.clear()  # written: the results run_episodes holds to the end need not keep them
            done.states.clear()
            following += 1

    def env_for(i: int) -> tuple[Any, str]:
        return task.make_env(variant_of[start + i]), variant_of[start + i]

    run_episodes(task, env_for, agent, [seed + e for e in range(start, episodes)], parallel, finished, keep=True)
