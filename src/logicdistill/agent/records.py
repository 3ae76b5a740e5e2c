"""Plain records of what the agent did; the CLI, the JSONL trace and the metrics all read these."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class StageRecord:
    step: int
    unit: int
    stage: str
    candidates: list[str]  # retrieved top-K, best first
    retrieval_scores: list[float]
    choice: str
    result: Any
    probabilities: dict[str, float] | None = None  # a model selector's distribution over candidates
    outcomes: dict[str, float] | None = None  # a demonstrator's simulated value per candidate
    label: dict[str, Any] | None = None  # a teacher LLM's exchanges for this choice (``Selection.label``)
    error: str | None = None  # the function raised or returned something invalid
    forced: bool = False  # every candidate led to the same action this step, so no selector was asked
    previews: dict[str, str] = field(default_factory=dict)  # candidate -> what it would return
    rejected: dict[str, str] = field(default_factory=dict)  # candidates not offered: their preview failed, why
    merged: dict[str, str] = field(default_factory=dict)  # candidates not offered: they do what this earlier one does
    retrieve_ms: float = 0.0
    select_ms: float = 0.0
    execute_ms: float = 0.0
    state_text: str = ""  # the state text the retriever and selector saw

    @property
    def offered(self) -> list[str]:
        """The candidates the selector chose among: retrieved, less the rejected and the merged."""
        return [c for c in self.candidates if c not in self.rejected and c not in self.merged]

    @property
    def decision_ms(self) -> float:
        return self.retrieve_ms + self.select_ms + self.execute_ms

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["result"] = _jsonable(self.result)
        return out


@dataclass
class StepRecord:
    step: int
    action: Any
    stages: list[StageRecord] = field(default_factory=list)
    decision_ms: float = 0.0  # wall time of the whole step decision


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
        return value
    return repr(value)
