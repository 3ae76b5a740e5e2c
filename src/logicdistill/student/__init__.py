"""The student: a small causal LM that selects one of K functions by scoring their names."""

from logicdistill.student.model import Student, default_student_source, load_student
from logicdistill.student.prompts import answer_texts, selection_prompt
from logicdistill.student.scoring import score_candidates

__all__ = [
    "Student",
    "answer_texts",
    "default_student_source",
    "load_student",
    "score_candidates",
    "selection_prompt",
]
