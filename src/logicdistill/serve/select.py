"""Function selection over HTTP, through the very prompt and scorer the LD agent uses in-process
(``StudentSelector``), so a served student chooses exactly as a loaded one.

As for chat, a request is planned (limits checked, prompt built and counted) outside the model
lock and scored under it.
"""

from __future__ import annotations

from dataclasses import dataclass

from logicdistill.serve.limits import ServeLimits, check_candidates, require_fit
from logicdistill.serve.schemas import SelectRequest
from logicdistill.student.model import Student
from logicdistill.student.prompts import Prompt, answer_texts, selection_prompt
from logicdistill.student.scoring import score_candidates


@dataclass
class SelectPlan:
    """A selection request within the limits, ready for the model."""

    prompt: Prompt
    names: list[str]  # the candidates, in the order given
    prompt_tokens: int


def select_prompt(student: Student, request: SelectRequest) -> Prompt:
    """``StudentSelector.prompt`` for the request's fields: candidates in the order given."""
    previews = [c.preview for c in request.candidates] if request.candidates[0].preview is not None else None
    return selection_prompt(
        student.tokenizer,
        request.instruction,
        request.line(),
        request.state_text,
        [(c.name, c.manual) for c in request.candidates],
        previews,
    )


def plan_select(student: Student, request: SelectRequest, limits: ServeLimits) -> SelectPlan:
    """Refuses (``APIError``) too many candidates before building the prompt, and a prompt that
    with the candidates' answers would not fit the window (``fit_scoring``)."""
    check_candidates(len(request.candidates), limits)
    prompt = select_prompt(student, request)
    names = [c.name for c in request.candidates]
    n_prompt = fit_scoring(student, prompt, names, limits, "in the candidates' names", param=None)
    return SelectPlan(prompt, names, n_prompt)


def fit_scoring(
    student: Student, prompt: Prompt, answers: list[str], limits: ServeLimits, what: str, param: str | None
) -> int:
    """The prompt's tokens, after refusing (``APIError``) a prompt that with the answers would not
    fit the window. The scorer feeds the answers after the prompt in one row (``scoring.py``), so
    their tokens all count: the bound on what it reads."""
    n_prompt = count_tokens(student, prompt.head) + count_tokens(student, prompt.tail)  # as the scorer reads them
    n_answers = sum(count_tokens(student, text) for text in answer_texts(student.tokenizer, answers))
    require_fit(n_prompt + n_answers, limits.window(student), f"{n_prompt} in the prompt and {n_answers} {what}", param)
    return n_prompt


def select(student: Student, plan: SelectPlan) -> tuple[str, dict[str, float]]:
    """The chosen name and every candidate's probability (in the order given): the model work, to
    run under the model lock."""
    probs = score_candidates(student, [plan.prompt], [plan.names])[0]
    return plan.names[int(probs.argmax())], dict(zip(plan.names, map(float, probs)))


def count_tokens(student: Student, text: str) -> int:
    """Tokens of ``text`` as the scorer tokenizes it: alone, without special tokens added."""
    return len(student.tokenizer(text, add_special_tokens=False).input_ids)
