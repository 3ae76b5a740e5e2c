"""The teacher writes functions stage by stage; each is verified, rejections are fed back for a
bounded number of retries, and the admitted functions become a base.

Retry policy: per stage, one request plus at most ``retries`` follow-ups in the same
conversation, each listing every rejection reason of the previous reply and asking for the
missing number of functions. A stage that ends with no admitted function fails the build (nothing
is written): a base with an empty stage cannot decide, and quietly filling it with bundled
functions would misstate who wrote the base. The exchanges stay in the store, so a rerun with more
``--retries`` continues where this one stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from logicdistill.errors import EndpointError
from logicdistill.functions.base import FunctionBase
from logicdistill.functions.check import check_function_base
from logicdistill.functions.spec import FunctionSpec, Provenance, Stage
from logicdistill.functions.verification import Limits, Verifier
from logicdistill.tasks.api import Task
from logicdistill.teacher.client import TeacherClient
from logicdistill.teacher.prompts import first_message, retry_message, system_message
from logicdistill.teacher.reply import ReplyError, parse_reply


@dataclass
class StageOutcome:
    stage: str
    admitted: list[FunctionSpec] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)  # "name: reason", over every reply
    requests: int = 0


def write_functions(
    client: TeacherClient,
    verifier: Verifier,
    stage: Stage,
    count: int,
    retries: int,
    existing: Sequence[FunctionSpec] = (),
    extra: str = "",
    taken: Collection[str] = frozenset(),
) -> StageOutcome:
    """Ask the teacher for ``count`` verified functions of ``stage``. ``existing`` functions are
    shown so the new ones differ (emergencies add to a base); ``taken`` names may not be reused."""
    task = verifier.task
    sample = verifier.samples.samples[0]
    view = task.function_view(sample.state, task.units(sample.state)[0], {}, sample.memory.get(0, {}))
    example = verifier.reference.by_stage(stage.name)[:1]
    messages = [
        {"role": "system", "content": system_message()},
        {
            "role": "user",
            "content": first_message(task, stage, view, count, example[0] if example else None, list(existing), extra),
        },
    ]
    outcome, taken = StageOutcome(stage.name), set(taken) | {f.name for f in existing}
    for attempt in range(1 + retries):
        exchange = client.chat(messages)
        outcome.requests += 1
        reasons = _verify_reply(
            exchange.reply.content, exchange.key, client.config.model, verifier, stage, count, outcome, taken
        )
        if len(outcome.admitted) >= count or attempt == retries:
            break
        messages += [
            {"role": "assistant", "content": exchange.reply.content},
            {
                "role": "user",
                "content": retry_message(
                    stage,
                    reasons or ["fewer functions than asked for"],
                    [f.name for f in outcome.admitted],
                    count - len(outcome.admitted),
                ),
            },
        ]
    return outcome


def _verify_reply(
    text: str,
    key: str,
    model: str,
    verifier: Verifier,
    stage: Stage,
    count: int,
    outcome: StageOutcome,
    taken: set[str],
) -> list[str]:
    """Verify every proposal in a reply, admitting until the stage has ``count``; the reasons to
    feed back."""
    try:
        proposals = parse_reply(text, stage.name)
    except ReplyError as exc:
        outcome.rejections.append(f"reply: {exc}")
        return [f"your reply: {exc}"]
    reasons = []
    provenance = Provenance(kind="teacher", model=model, note=f"teacher exchange {key}")
    for i, proposal in enumerate(proposals):
        label = proposal.name or f"function {i + 1}"
        if proposal.stage != stage.name:
            reasons.append(f"{label}: written for stage {proposal.stage!r}, but stage {stage.name!r} was asked for")
            continue
        report = verifier.verify(proposal.source, provenance, label, stage=stage.name, taken=taken)
        for spec in report.admitted[: max(0, count - len(outcome.admitted))]:
            outcome.admitted.append(spec)
            taken.add(spec.name)
        reasons += [line for line in report.lines() if not line.endswith(f"admitted ({stage.name})")]
    outcome.rejections += reasons
    return reasons


def build_base(
    client: TeacherClient,
    task: Task,
    per_stage: int = 3,
    retries: int = 2,
    limits: Limits = Limits(),
    on_stage: Callable[[StageOutcome], None] | None = None,
) -> tuple[FunctionBase, list[StageOutcome]]:
    """A new base written by the teacher, every function verified; the task's bundled base is the
    reference whose defaults play the other stages while a function is tested."""
    outcomes, taken = [], set()
    with Verifier(task, task.bundled_base(), limits) as verifier:
        for stage in task.stages:
            outcome = write_functions(client, verifier, stage, per_stage, retries, taken=taken)
            taken |= {f.name for f in outcome.admitted}
            outcomes.append(outcome)
            if on_stage:
                on_stage(outcome)
            if not outcome.admitted:
                last = "\n  ".join(outcome.rejections[-5:]) or "(no reasons recorded)"
                raise EndpointError(
                    f"the teacher {client.config.model} wrote no function for stage {stage.name!r} that passed "
                    f"verification in {outcome.requests} request(s); nothing was written. Last reasons:\n  {last}\n"
                    "Rerun with more --retries (the stored exchanges are reused) or a stronger model."
                )
    functions = tuple(f for o in outcomes for f in o.admitted)
    base = FunctionBase(task=task.name, functions=functions, note=f"built by teacher {client.config.model}")
    return check_function_base(base, task), outcomes
