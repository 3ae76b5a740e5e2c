"""Sample decisions from the real game, on which untrusted functions are run before admission.

Each task gives its own (``Task.verification_samples``), because only the task knows how to reach
realistic states and what a legal final action is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sample:
    label: str  # where the state comes from, named in rejection reasons
    state: Any
    memory: dict[int, dict[str, Any]]  # each unit's results from the previous step ({} on the first)


@dataclass(frozen=True)
class SampleSet:
    samples: tuple[Sample, ...]
    is_legal: Callable[[Any, Any], bool]  # (state, action) -> legal; module-level, so it pickles by name
