"""The teacher: a large LLM behind any OpenAI-compatible endpoint writes verified functions with
manuals; every exchange is stored by content so builds replay offline and exactly."""

from logicdistill.teacher.build import StageOutcome, build_base, write_functions
from logicdistill.teacher.client import TeacherClient, TeacherConfig
from logicdistill.teacher.store import ExchangeStore, request_key

__all__ = [
    "ExchangeStore",
    "StageOutcome",
    "TeacherClient",
    "TeacherConfig",
    "build_base",
    "request_key",
    "write_functions",
]
