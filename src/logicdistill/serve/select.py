"""Function selection over HTTP, through the very prompt and scorer the LD agent uses in-process
(``StudentSelector``), so a served student chooses exactly as a loaded one."""

from __future__ import annotations

from logicdistill.serve.schemas import SelectRequest
from logicdistill.student.model import Student
from logicdistill.student.prompts import Prompt, selection_prompt
from logicdistill.student.scoring import score_candidates


def select_prompt(student: Student, request: SelectRequest) -> Prompt:
    """``StudentSelector.prompt`` for the request's fields: candidates in the order given."""
    previews = [c.preview for c in request.candidates] if request.candidates[0].preview is not None else None
    return selection_prompt(student.tokenizer, request.instruction, request.line(), request.state_text,
                            [(c.name, c.manual) for c in request.candidates], previews)


def select(student: Student, request: SelectRequest) -> tuple[str, dict[str, float], int]:
    """The chosen name, every candidate's probability (in the order given) and the prompt's tokens."""
    prompt = select_prompt(student, request)
    names = [c.name for c in request.candidates]
    probs = score_candidates(student, [prompt], [names])[0]
    n_prompt = sum(len(student.tokenizer(part, add_special_tokens=False).input_ids) for part in (prompt.head, prompt.tail))
    return names[int(probs.argmax())], dict(zip(names, map(float, probs))), n_prompt
